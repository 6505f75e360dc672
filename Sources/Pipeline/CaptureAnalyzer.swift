import CaptureInput
import PacketDecoding
import TLSParsing
import Fingerprints
import QUICParsing

/// Runs the pipeline on one capture: packets → decoding → TCP reassembly → TLS → fingerprints → events.
///
/// Per packet the hot path does no heap allocation once a flow is known uninteresting: the packet is a view into
/// the mapped file, decoding writes into a reused struct, the flow lookup hashes an inline key, and a flow whose
/// analysis is over is only counted.
public final class CaptureAnalyzer {
    public let limits: AnalysisLimits
    public let sink: EventSink
    let captureName: String
    let reassembler: TCPReassembler
    @exclusivity(unchecked) private var decoder: PacketDecoder
    @exclusivity(unchecked) private var decoded = DecodedPacket()
    /// Running totals (packets, bytes, hellos); `counters` and `flows` are filled by `finish`.
    @exclusivity(unchecked) public internal(set) var summary: CaptureSummary
    /// The packet being processed (events take their frame and time from it).
    @exclusivity(unchecked) private var frame = 0
    @exclusivity(unchecked) private var seconds: Int64 = 0
    @exclusivity(unchecked) private var nanoseconds: UInt32 = 0
    var currentFrame: Int { frame }
    var currentSeconds: Int64 { seconds }
    var currentNanoseconds: UInt32 { nanoseconds }
    let udpHandshakes = UDPHandshakeExtractor()
    /// JA3/JA4/JA3S of hello shapes seen recently (a client's hellos repeat).
    let fingerprints = FingerprintCache()
    var udpFlows: [FlowKey: UDPFlowInfo] = [:]
    @exclusivity(unchecked) var counters: [String: Int] = [:]
    @exclusivity(unchecked) private var lastLinkType: UInt32 = .max
    @exclusivity(unchecked) private var lastLinkCount = 0

    public init(captureName: String, format: String, fileSize: Int64?, limits: AnalysisLimits = .init(), sink: EventSink) {
        self.limits = limits
        self.sink = sink
        self.captureName = captureName
        self.reassembler = TCPReassembler(limits: limits.reassembly)
        self.decoder = PacketDecoder(fragmentLimits: limits.fragments)
        self.summary = CaptureSummary(capture: captureName, format: format, fileSize: fileSize, limits: limits)
        for name in PipelineCounter.all { counters[name] = 0 }
    }

    /// Analyses every packet of `reader`, then emits the capture summary and returns it.
    /// `progress`, when given, is called with the bytes read so far every 65 536 packets.
    @discardableResult
    public static func analyze(reader: CaptureReader, name: String, limits: AnalysisLimits = .init(), sink: EventSink,
                               progress: ((Int64) -> Void)? = nil) -> CaptureSummary {
        let analyzer = CaptureAnalyzer(captureName: name, format: reader.format.rawValue, fileSize: reader.source.totalSize,
                                       limits: limits, sink: sink)
        // Every 65 536 packets (the summary counts them).
        func tick() {
            if let progress, analyzer.summary.packets & 0xffff == 0 { progress(reader.source.position) }
        }
        if reader.source.isComplete {
            // Two packets read ahead (their bytes stay valid in a mapping): the flow-table slot of the packet after
            // next and the flow of the next one are prefetched while the current one is processed, so the two
            // cache misses of a lookup overlap the work instead of stalling it. The peek that gives their keys
            // also lets a segment of a flow whose analysis is over be counted without decoding it.
            // The packets and their peeks are read into a ring of four entries and processed where they are:
            // nothing is moved from one variable to the next per packet.
            // Held here, so the loop does not retain and release it around every call.
            let reassembler = analyzer.reassembler
            let ring = UnsafeMutablePointer<PacketAhead>.allocate(capacity: 4)
            ring.initialize(repeating: PacketAhead(), count: 4)
            defer { ring.deinitialize(count: 4); ring.deallocate() }
            @inline(__always) func readAhead(_ entry: UnsafeMutablePointer<PacketAhead>) -> Bool {
                guard reader.next(into: &entry.pointee.packet) else { return false }
                entry.pointee.peeked = TCPSegmentPeek.read(entry.pointee.packet, into: &entry.pointee.segment)
                if entry.pointee.peeked { entry.pointee.hash = reassembler.prefetchSlot(entry.pointee.segment.key) }
                return true
            }
            // Packets in the ring from `index` on, and whether the capture has more.
            var index = 0
            var held = 0
            var more = true
            while more && held < 2 {
                if readAhead(ring + held) { held += 1 } else { more = false }
            }
            while held > 0 {
                if more {
                    if readAhead(ring + ((index + 2) & 3)) { held += 1 } else { more = false }
                }
                if held >= 2 {
                    let following = ring + ((index + 1) & 3)
                    if following.pointee.peeked { reassembler.prefetchFlow(hash: following.pointee.hash) }
                }
                analyzer.process(ahead: ring + (index & 3))
                tick()
                index += 1
                held -= 1
            }
        } else {
            while let packet = reader.next() {
                analyzer.process(packet)
                tick()
            }
        }
        progress?(reader.source.position)
        return analyzer.finish(readerCounters: reader.counters, stoppedEarly: reader.stoppedEarly)
    }

    /// Processes one packet.
    public func process(_ packet: CapturedPacket) {
        count(packet)
        decodeAndProcess(packet)
    }

    /// Processes a packet of the read-ahead ring, given what `TCPSegmentPeek` read of it: a segment of a flow whose
    /// analysis is over is counted as decoding it would count it, without decoding it.
    @inline(__always)
    private func process(ahead: UnsafeMutablePointer<PacketAhead>) {
        count(ahead.pointee.packet)
        if ahead.pointee.peeked,
           reassembler.countSegmentOfQuietFlow(key: ahead.pointee.segment.key, hash: ahead.pointee.hash,
                                               flags: ahead.pointee.segment.flags,
                                               payloadCount: ahead.pointee.segment.payloadCount,
                                               now: ahead.pointee.packet.seconds, sink: self) {
            decoder.countPeeked(truncated: ahead.pointee.segment.truncated)
            summary.tcpPackets += 1
            return
        }
        decodeAndProcess(ahead.pointee.packet)
    }

    /// The summary's counts and times for one packet.
    @inline(__always)
    private func count(_ packet: borrowing CapturedPacket) {
        frame = packet.frameNumber
        seconds = packet.seconds
        nanoseconds = packet.nanoseconds
        if summary.firstSeconds == nil {
            summary.firstSeconds = packet.seconds
            summary.firstNanoseconds = packet.nanoseconds
        }
        summary.lastSeconds = packet.seconds
        summary.lastNanoseconds = packet.nanoseconds
        summary.packets += 1
        summary.bytes += Int64(packet.data.count)
        if packet.linkType.rawValue != lastLinkType {
            flushLinkCount()
            lastLinkType = packet.linkType.rawValue
        }
        lastLinkCount += 1
    }

    private func decodeAndProcess(_ packet: borrowing CapturedPacket) {
        guard case .decoded = decoder.decode(packet, into: &decoded) else { return }
        switch decoded.transport {
        case IPProtocolNumber.tcp:
            summary.tcpPackets += 1
            reassembler.process(decoded, now: packet.seconds, sink: self)
        case IPProtocolNumber.udp:
            summary.udpPackets += 1
            processUDP(decoded)
        default:
            break
        }
    }

    /// Advances capture time without a packet (live capture on a quiet interface), so idle flows still expire.
    public func advanceClock(toSeconds now: Int64) {
        reassembler.advanceClock(now: now, sink: self)
    }

    private func flushLinkCount() {
        if lastLinkCount > 0 {
            summary.linkTypes[LinkType(rawValue: lastLinkType).description, default: 0] += lastLinkCount
        }
        lastLinkCount = 0
    }

    /// Ends all flows, emits the summary event and returns it.
    public func finish(readerCounters: CaptureCounters, stoppedEarly: Bool) -> CaptureSummary {
        reassembler.finish(sink: self)
        for key in udpFlows.keys.sorted(by: { ($0.low, $0.high) < ($1.low, $1.high) }) { flushCertificates(udpFlows[key]!.handshake) }
        flushLinkCount()
        var s = summary
        s.flows = reassembler.counters.flowsCreated
        s.truncated = readerCounters.truncatedRecords > 0 || stoppedEarly
        var c = counters
        c["capture_truncated_records"] = readerCounters.truncatedRecords
        c["capture_oversized_records"] = readerCounters.oversizedRecords
        c["capture_malformed_blocks"] = readerCounters.malformedBlocks
        c["capture_skipped_blocks"] = readerCounters.skippedBlocks
        c["capture_unknown_interface"] = readerCounters.unknownInterface
        c["capture_trailing_bytes"] = Int(readerCounters.trailingBytes)
        c["capture_stopped_early"] = stoppedEarly ? 1 : 0
        let d = decoder.counters
        c["decode_unsupported_link_type"] = d.unsupportedLinkType
        c["decode_not_ip"] = d.notIP
        c["decode_other_transport"] = d.otherTransport
        c["decode_truncated_packets"] = d.truncatedPackets
        for layer in ["link", "vlan", "pppoe", "mpls", "ipv4", "ipv6", "ipv6_extension", "tcp", "udp", "gre", "erspan", "vxlan", "tunnel_depth"] {
            c["decode_malformed_\(layer)"] = d.malformed[layer] ?? 0
        }
        c["ip_fragments_ipv4"] = d.ipv4Fragments
        c["ip_fragments_ipv6"] = d.ipv6Fragments
        c["ip_datagrams_reassembled"] = d.datagramsReassembled
        c["ip_fragments_dropped"] = d.fragmentsDropped
        c["ip_fragment_datagrams_evicted"] = decoder.fragments.evicted
        c["tunnel_gre"] = d.greDecapsulated
        c["tunnel_erspan"] = d.erspanDecapsulated
        c["tunnel_vxlan"] = d.vxlanDecapsulated
        c["tunnel_ip_in_ip"] = d.ipInIPDecapsulated
        let r = reassembler.counters
        c["tcp_segments"] = r.segments
        c["tcp_flows_evicted"] = r.flowsEvicted
        c["tcp_flows_expired"] = r.flowsExpired
        c["tcp_retransmitted_segments"] = r.retransmittedSegments
        c["tcp_out_of_order_segments"] = r.outOfOrderSegments
        c["tcp_overlap_conflicts"] = r.overlapConflicts
        c["tcp_gaps_skipped"] = r.gapsSkipped
        c["tcp_out_of_order_dropped_by_limit"] = r.outOfOrderDroppedByLimit
        c["tcp_midstream_pickups"] = r.midstreamPickups
        c["tcp_untracked_segments"] = r.untrackedSegments
        c["tcp_peak_flows"] = r.peakFlows
        c["tcp_peak_out_of_order_bytes"] = r.peakOutOfOrderBytes
        udpCounters(into: &c)
        s.counters = c
        summary = s
        sink.handle(.captureSummary(s))
        return s
    }

    // MARK: - Flow analysis

    func context(flow: TCPFlow, direction: Int) -> EventContext {
        EventContext(seconds: seconds, nanoseconds: nanoseconds, capture: captureName, frame: frame,
                     source: flow.sender(direction), destination: flow.sender(1 - direction), transport: "tcp")
    }

    func count(_ name: String) { counters[name, default: 0] += 1 }

    /// `sni` is `hello.serverName`, read once by the caller.
    func emitClientHello(_ hello: ClientHello, sni: String?, recordVersion: UInt16, flow: TCPFlow, direction: Int, index: Int) {
        summary.clientHellos += 1
        let ctx = context(flow: flow, direction: direction)
        let (ja3, ja4) = fingerprints.clientHello(hello, transport: .tcp)
        // Made in the event's box, not moved into it.
        sink.handle(.clientHello(ClientHelloEvent(context: ctx, index: index, protocolName: "tls", recordVersion: recordVersion,
                                                  hello: hello, sni: sni, ja3: ja3, ja4: ja4, quicVersion: nil)))
        if index == 1, let sni { responderContact(host: sni, via: "tls_sni", context: ctx) }
    }

    /// A hidden contact with a catalogue host (TLS SNI, DNS query): reported with low confidence.
    func responderContact(host: String, via: String, context: EventContext) {
        guard let responder = ResponderCatalogue.shared.lookup(host) else { return }
        count(PipelineCounter.responderContacts)
        sink.handle(.responderContact(ResponderContactEvent(context: context, via: via, host: host.lowercased(), responder: responder)))
    }

    func emitServerHello(_ hello: ServerHello, recordVersion: UInt16, flow: TCPFlow, direction: Int, index: Int, sni: String?) {
        summary.serverHellos += 1
        let event = ServerHelloEvent(context: context(flow: flow, direction: direction), index: index, protocolName: "tls",
                                     recordVersion: recordVersion, hello: hello, ja3s: fingerprints.serverHello(hello), sni: sni,
                                     quicVersion: nil)
        sink.handle(.serverHello(event))
    }

    func emitAlert(level: UInt8, description: UInt8, flow: TCPFlow, direction: Int, fromClient: Bool?, sni: String?) {
        sink.handle(.tlsAlert(TLSAlertEvent(context: context(flow: flow, direction: direction), level: level,
                                            description: description, sni: sni, fromClient: fromClient)))
    }
}

/// Names of the pipeline's own counters (all written in the summary, zero or not).
enum PipelineCounter {
    static let tlsFlows = "tls_flows"
    static let tlsNotDetected = "tls_not_detected"
    static let tlsStreamGaps = "tls_stream_gaps"
    static let tlsClientHelloMalformed = "tls_client_hello_malformed"
    static let tlsServerHelloMalformed = "tls_server_hello_malformed"
    static let tlsDirectionByteLimit = "tls_direction_byte_limit"
    static let tlsAlerts = "tls_alerts"
    static let sslv2ClientHellos = "tls_sslv2_client_hellos"
    static let tlsMalformedPrefix = "tls_malformed_"
    static let udpFlowStateCleared = "udp_flow_state_cleared"
    static let responderContacts = "responder_contacts"
    static let dnsQueries = "dns_queries"
    static let tlsCertificates = "tls_certificates"
    static let tlsCertificateMalformed = "tls_certificate_malformed"
    static let tlsStapleMalformed = "tls_staple_malformed"
    static let ocspStaples = "ocsp_staples"
    static let ocspRequests = "ocsp_requests"
    static let ocspResponses = "ocsp_responses"
    static let crlFetches = "crl_fetches"
    static let httpRequests = "http_requests"
    static let httpResponses = "http_responses"
    static let httpMalformed = "http_malformed"
    static let httpStreamGaps = "http_stream_gaps"
    static let httpUnansweredDropped = "http_unanswered_requests_dropped"
    static let all = [udpFlowStateCleared, responderContacts, dnsQueries, tlsCertificates, tlsCertificateMalformed, tlsStapleMalformed, ocspStaples,
                      ocspRequests, ocspResponses, crlFetches, httpRequests, httpResponses, httpMalformed, httpStreamGaps,
                      httpUnansweredDropped, tlsFlows, tlsNotDetected, tlsStreamGaps, tlsClientHelloMalformed, tlsServerHelloMalformed,
                      tlsDirectionByteLimit, tlsAlerts, sslv2ClientHellos,
                      tlsMalformedPrefix + "record_header", tlsMalformedPrefix + "record_length",
                      tlsMalformedPrefix + "handshake_too_large", tlsMalformedPrefix + "sslv2_record_length"]
}

/// A packet read ahead of the one being processed, with what `TCPSegmentPeek` read of it (`peeked` false when it is
/// not plain TCP) and its flow-table hash.
struct PacketAhead {
    var packet = CapturedPacket.empty
    var segment = TCPSegmentPeek.empty
    var hash = 0
    var peeked = false
}
