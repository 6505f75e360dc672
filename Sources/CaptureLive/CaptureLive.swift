// CaptureLive — packets from a live network interface through libpcap.
import CPcap
import CaptureInput

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How to open an interface.
public struct LiveCaptureOptions: Sendable, Equatable {
    public var interface: String
    /// A BPF expression (tcpdump syntax); nil captures everything.
    public var filter: String?
    /// Bytes kept of each packet.
    public var snapshotLength: Int32 = 262_144
    /// Kernel ring buffer size in bytes.
    public var bufferSize: Int32 = 32 << 20
    /// Off unless asked for: a monitoring tool sees what is addressed to the host (or what a SPAN port mirrors).
    public var promiscuous = false
    /// Longest wait for a packet before `next` returns `.timeout`, so the caller can look at signals and timers
    /// (also libpcap's read timeout, which bounds how long the kernel holds packets when not in immediate mode).
    public var timeoutMilliseconds: Int32 = 100
    /// Deliver packets as they arrive rather than when the kernel buffer block fills.
    public var immediate = true

    public init(interface: String) { self.interface = interface }
}

/// Why an interface could not be opened or read.
public enum LiveCaptureError: Error, CustomStringConvertible, Equatable {
    /// Opening needs privileges (PCAP_ERROR_PERM_DENIED, or EPERM on the socket).
    case permissionDenied(interface: String, detail: String)
    case noSuchDevice(interface: String, detail: String)
    /// The BPF expression did not compile.
    case badFilter(expression: String, detail: String)
    /// Any other libpcap failure (name of the call, libpcap's message).
    case pcap(call: String, detail: String)

    public var description: String {
        switch self {
        case .permissionDenied(let i, let d):
            return "cannot capture on \(i): permission denied; live capture needs root or CAP_NET_RAW and CAP_NET_ADMIN"
                + (d.isEmpty ? "" : " (libpcap: \(d))")
        case .noSuchDevice(let i, let d):
            return "no such interface: \(i)" + (d.isEmpty ? "" : " (libpcap: \(d))") + "; see --list-interfaces"
        case .badFilter(let e, let d):
            return "invalid capture filter \"\(e)\": \(d)"
        case .pcap(let call, let d):
            return "\(call) failed: \(d)"
        }
    }

    /// Errors the user can fix by changing the command line or its privileges (exit status 2).
    public var isUsageError: Bool {
        switch self {
        case .permissionDenied, .noSuchDevice, .badFilter: return true
        case .pcap: return false
        }
    }
}

/// libpcap's capture statistics (`pcap_stats`), cumulative since the interface was opened.
public struct LiveStatistics: Sendable, Equatable {
    /// Packets the kernel received that passed the filter (on Linux: including those then dropped).
    public var received: UInt64 = 0
    /// Packets dropped because the kernel buffer was full (the reader was too slow).
    public var droppedByKernel: UInt64 = 0
    /// Packets the interface or its driver dropped (where the platform reports it).
    public var droppedByInterface: UInt64 = 0
    public init() {}
    public init(received: UInt64, droppedByKernel: UInt64, droppedByInterface: UInt64) {
        self.received = received
        self.droppedByKernel = droppedByKernel
        self.droppedByInterface = droppedByInterface
    }
}

/// An interface as `pcap_findalldevs` sees it.
public struct LiveInterface: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var addresses: [String]
    public var isUp: Bool
    public var isRunning: Bool
    public var isLoopback: Bool
    public var isWireless: Bool
}

/// What `LiveCapture.next` found.
public enum LiveReadResult: Equatable {
    /// A packet was passed to the body.
    case packet
    /// The timeout passed without a packet.
    case timeout
    /// `breakLoop` was called (from a signal handler, say).
    case interrupted
    /// The interface went down (PCAP_ERROR_IFACE_NOT_UP).
    case ended
    case failed(String)
}

/// A live capture on one interface: `pcap_create`, options, `pcap_activate`, the filter, then `pcap_next_ex`.
///
/// Frames are numbered from 1 in the order libpcap delivers them. Not thread-safe, except `breakLoop`, which is
/// async-signal-safe (it may be called from a signal handler while `next` waits).
public final class LiveCapture {
    public let options: LiveCaptureOptions
    /// The link type of the interface (`pcap_datalink`).
    public let linkType: LinkType
    /// Frames delivered so far (the number of the last one).
    public private(set) var frameNumber = 0
    /// Packets whose captured length is smaller than their length on the wire (snapshot length).
    public private(set) var truncatedBySnapshotLength = 0
    /// The libpcap handle (for `pcap_breakloop` from a signal handler, and `pcap_dump_open`).
    public let handle: OpaquePointer
    private var closed = false
    private let selectableDescriptor: Int32

    public init(options: LiveCaptureOptions) throws(LiveCaptureError) {
        self.options = options
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let h = pcap_create(options.interface, &errbuf) else {
            throw .pcap(call: "pcap_create", detail: String(cString: errbuf))
        }
        func fail(_ call: String, _ status: Int32) -> LiveCaptureError {
            let detail = String(cString: pcap_geterr(h))
            return LiveCapture.classify(call: call, status: status, detail: detail, options: options)
        }
        var status = pcap_set_snaplen(h, options.snapshotLength)
        if status == 0 { status = pcap_set_promisc(h, options.promiscuous ? 1 : 0) }
        if status == 0 { status = pcap_set_timeout(h, options.timeoutMilliseconds) }
        if status == 0 { status = pcap_set_buffer_size(h, options.bufferSize) }
        if status == 0 && options.immediate { status = pcap_set_immediate_mode(h, 1) }
        if status != 0 {
            let e = fail("pcap_set_*", status)
            pcap_close(h)
            throw e
        }
        status = pcap_activate(h)
        if status < 0 {
            let e = fail("pcap_activate", status)
            pcap_close(h)
            throw e
        }
        // status > 0 is a warning (e.g. PCAP_WARNING_PROMISC_NOTSUP): capture goes on.
        if let expression = options.filter {
            var program = bpf_program()
            if pcap_compile(h, &program, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 {
                let detail = String(cString: pcap_geterr(h))
                pcap_close(h)
                throw .badFilter(expression: expression, detail: detail)
            }
            let set = pcap_setfilter(h, &program)
            pcap_freecode(&program)
            if set != 0 {
                let detail = String(cString: pcap_geterr(h))
                pcap_close(h)
                throw .badFilter(expression: expression, detail: detail)
            }
        }
        // Non-blocking reads and our own poll(2): the read timeout alone is not enough, with TPACKET_V3 libpcap
        // waits without limit while no packet arrives.
        if pcap_setnonblock(h, 1, &errbuf) != 0 {
            let detail = String(cString: errbuf)
            pcap_close(h)
            throw .pcap(call: "pcap_setnonblock", detail: detail)
        }
        selectableDescriptor = pcap_get_selectable_fd(h)
        handle = h
        linkType = LinkType(rawValue: UInt32(bitPattern: pcap_datalink(h)))
    }

    deinit { close() }

    static func classify(call: String, status: Int32, detail: String, options: LiveCaptureOptions) -> LiveCaptureError {
        switch status {
        case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
            return .permissionDenied(interface: options.interface, detail: detail)
        case PCAP_ERROR_NO_SUCH_DEVICE:
            return .noSuchDevice(interface: options.interface, detail: detail)
        default:
            // Some kernels report the socket refusal as a generic error carrying EPERM's text.
            if detail.contains("Operation not permitted") || detail.contains("Permission denied") {
                return .permissionDenied(interface: options.interface, detail: detail)
            }
            let name = String(cString: pcap_statustostr(status))
            return .pcap(call: call, detail: detail.isEmpty ? name : "\(name): \(detail)")
        }
    }

    /// Waits for the next packet (at most the timeout) and passes it to `body`. The packet's bytes are valid only
    /// during the call.
    public func next(_ body: (CapturedPacket) -> Void) -> LiveReadResult {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        var status = pcap_next_ex(handle, &header, &data)
        if status == 0 {
            // Nothing ready: wait for the descriptor, at most the timeout. A signal interrupts the wait (EINTR),
            // which returns `.timeout` so the caller looks at its stop flag.
            var pfd = pollfd(fd: selectableDescriptor, events: Int16(POLLIN), revents: 0)
            let timeout = selectableDescriptor >= 0 ? options.timeoutMilliseconds : 0
            if selectableDescriptor < 0 {
                usleep(UInt32(options.timeoutMilliseconds) * 1000)
            } else if poll(&pfd, 1, timeout) <= 0 {
                return .timeout
            }
            status = pcap_next_ex(handle, &header, &data)
        }
        switch status {
        case 1:
            guard let header, let data else { return .timeout }
            let h = header.pointee
            frameNumber += 1
            let caplen = Int(h.caplen)
            if h.len > h.caplen { truncatedBySnapshotLength += 1 }
            let packet = CapturedPacket(
                frameNumber: frameNumber, seconds: Int64(h.ts.tv_sec), nanoseconds: UInt32(h.ts.tv_usec) * 1000,
                linkType: linkType, originalLength: Int(h.len), truncatedRecord: false,
                data: UnsafeRawBufferPointer(start: data, count: caplen))
            body(packet)
            return .packet
        case 0:
            return .timeout
        case PCAP_ERROR_BREAK:
            return .interrupted
        case PCAP_ERROR_IFACE_NOT_UP:
            return .ended
        default:
            return .failed(String(cString: pcap_geterr(handle)))
        }
    }

    /// Makes a waiting or the next `next` return `.interrupted`. Async-signal-safe.
    public func breakLoop() { pcap_breakloop(handle) }

    /// `pcap_stats`, or nil when the platform does not give them.
    public func statistics() -> LiveStatistics? {
        var s = pcap_stat()
        guard pcap_stats(handle, &s) == 0 else { return nil }
        return LiveStatistics(received: UInt64(s.ps_recv), droppedByKernel: UInt64(s.ps_drop),
                              droppedByInterface: UInt64(s.ps_ifdrop))
    }

    public func close() {
        guard !closed else { return }
        closed = true
        pcap_close(handle)
    }

    /// Every interface libpcap can capture on (`pcap_findalldevs`).
    public static func interfaces() throws(LiveCaptureError) -> [LiveInterface] {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var list: UnsafeMutablePointer<pcap_if_t>?
        guard pcap_findalldevs(&list, &errbuf) == 0 else {
            throw .pcap(call: "pcap_findalldevs", detail: String(cString: errbuf))
        }
        defer { if let list { pcap_freealldevs(list) } }
        var out: [LiveInterface] = []
        var cursor = list
        while let dev = cursor {
            let d = dev.pointee
            var addresses: [String] = []
            var a = d.addresses
            while let addr = a {
                if let sa = addr.pointee.addr, let text = socketAddressText(sa) { addresses.append(text) }
                a = addr.pointee.next
            }
            let flags = d.flags
            out.append(LiveInterface(
                name: String(cString: d.name),
                description: d.description.map { String(cString: $0) },
                addresses: addresses,
                isUp: flags & UInt32(PCAP_IF_UP) != 0,
                isRunning: flags & UInt32(PCAP_IF_RUNNING) != 0,
                isLoopback: flags & UInt32(PCAP_IF_LOOPBACK) != 0,
                isWireless: flags & UInt32(PCAP_IF_WIRELESS) != 0))
            cursor = d.next
        }
        return out
    }

    /// The libpcap version string.
    public static var libraryVersion: String { String(cString: pcap_lib_version()) }
}

/// An IPv4 or IPv6 socket address as text (nil for other families, e.g. AF_PACKET).
func socketAddressText(_ sa: UnsafeMutablePointer<sockaddr>) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
    switch Int32(sa.pointee.sa_family) {
    case AF_INET:
        return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p -> String? in
            var addr = p.pointee.sin_addr
            guard inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count)) != nil else { return nil }
            return String(cString: buffer)
        }
    case AF_INET6:
        return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p -> String? in
            var addr = p.pointee.sin6_addr
            guard inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count)) != nil else { return nil }
            return String(cString: buffer)
        }
    default:
        return nil
    }
}
