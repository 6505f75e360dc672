import CTIndex
import PacketDecoding
import PKIParsing
import Pipeline

/// Joins revocation events to hostnames and TLS flows, between the pipeline and the writers.
///
/// * Every serial in `ocsp_request`, `ocsp_response`, `ocsp_staple` and `crl_fetch` events is looked up in the CT
///   index (exports loaded with `--ct`, and certificates the capture itself shows in clear, which the correlator
///   teaches the index as they pass): the event gains `hostnames` and `ct_match` (quality, source, entry).
/// * An `ocsp_request` is linked to the TLS flow it belongs to (`tls_flow`): the same client, a ClientHello whose
///   SNI is among the matched names or whose server certificate has the serial, within `window` seconds either
///   side. Because the ClientHello may come after the request, requests are held until the window has passed in
///   capture time (or the capture ends); the events behind them wait too, so the output stays in order.
///
/// Memory is bounded: `maximumPendingEvents` held at once (beyond it the oldest are released early), and the
/// recent ClientHellos of at most `maximumClients` clients, `hellosPerClient` each. ClientHellos and served
/// certificates older than twice the window (a request held for one window may still link a hello one window
/// before it) are forgotten as capture time advances, so what is kept depends on the traffic of the last seconds,
/// not on the length of the capture.
public final class Correlator: EventSink {
    public struct Options: Sendable {
        public var windowSeconds: Double = 5
        public var maximumPendingEvents = 10_000
        public var maximumClients = 65_536
        public var hellosPerClient = 32
        public init() {}
    }

    public struct Counters: Sendable, Equatable {
        public var serialsLooked = 0
        public var serialsMatched = 0
        public var certificatesLearned = 0
        public var requestsLinkedToTLS = 0
        public var pendingReleasedEarly = 0
    }

    /// A ClientHello remembered for linking; its strings (flow id) are made only when a request links to it.
    struct Hello {
        var micros: Int64
        var sni: String?
        var context: EventContext
    }

    /// The two ends of a TCP connection as the client sees them.
    struct ServerFlow: Hashable {
        var client: Endpoint
        var server: Endpoint
    }

    public private(set) var index: CTIndex
    public let options: Options
    // Used by one analysis thread at a time, never re-entered, each updated by one access at a time: no
    // exclusivity checks (one per event and per held event otherwise).
    @exclusivity(unchecked) public private(set) var counters = Counters()
    private let downstream: EventSink
    /// Events held behind an OCSP request, oldest first.
    @exclusivity(unchecked) private var pending = HeldEvents()
    @exclusivity(unchecked) private var hellos: [IPAddress: [Hello]] = [:]
    /// Leaf serial served on a flow, and when.
    private var leafByFlow: [ServerFlow: (serial: String, micros: Int64)] = [:]
    private var issuers: [X509Certificate] = []
    /// The latest capture time seen in a ClientHello or certificate, and how many were remembered since the last
    /// sweep of what is older than the horizon.
    @exclusivity(unchecked) private var newestMicros: Int64 = .min
    @exclusivity(unchecked) private var rememberedSinceSweep = 0
    @exclusivity(unchecked) private var lastSweepMicros: Int64 = .min

    /// ClientHellos kept for linking requests (for diagnostics and tests).
    public var rememberedHellos: Int { hellos.values.reduce(0) { $0 + $1.count } }
    /// Served leaf certificates kept for linking requests.
    public var rememberedLeaves: Int { leafByFlow.count }
    /// Times what is past the horizon was forgotten (for diagnostics and tests: each visits every client).
    public private(set) var sweeps = 0

    public init(index: CTIndex = CTIndex(), options: Options = Options(), downstream: EventSink) {
        self.index = index
        self.options = options
        self.downstream = downstream
    }

    public func handle(_ event: Event) {
        var event = event
        var deadline: Int64 = .min
        switch event {
        case .clientHello(let e):
            remember(context: e.context, sni: e.sni)
        case .certificate(let e):
            learn(e)
        case .ocspRequest(let e):
            deadline = e.context.microseconds + Int64(options.windowSeconds * 1_000_000)
        case .ocspResponse(var e):
            (e.hostnames, e.ctMatches) = resolve(e.response.basic?.responses.map(\.certID) ?? [])
            event = .ocspResponse(e)
        case .ocspStaple(var e):
            (e.hostnames, e.ctMatches) = resolve(e.response.basic?.responses.map(\.certID) ?? [])
            event = .ocspStaple(e)
        case .crlFetch(var e):
            (e.hostnames, e.ctMatches) = resolveSerials(e.crl.revokedCertificates.prefix(CRLFetchEvent.maximumSerialsInEvent).map(\.serialNumber))
            event = .crlFetch(e)
        case .captureSummary:
            flush(until: .max)
            downstream.handle(event)
            hellos.removeAll(keepingCapacity: true)
            leafByFlow.removeAll(keepingCapacity: true)
            newestMicros = .min
            lastSweepMicros = .min
            rememberedSinceSweep = 0
            return
        default:
            break
        }
        let now = Self.micros(event)
        if pending.isEmpty && deadline == .min {
            downstream.handle(event)
            return
        }
        pending.append(deadline: deadline, event: event)
        flush(until: now)
        if pending.count > options.maximumPendingEvents, let oldest = pending.removeFirst() {
            counters.pendingReleasedEarly += 1
            release(oldest)
        }
    }

    static func micros(_ event: Event) -> Int64 {
        switch event {
        case .clientHello(let e): return e.context.microseconds
        case .serverHello(let e): return e.context.microseconds
        case .tlsAlert(let e): return e.context.microseconds
        case .ocspRequest(let e): return e.context.microseconds
        case .ocspResponse(let e): return e.context.microseconds
        case .crlFetch(let e): return e.context.microseconds
        case .ocspStaple(let e): return e.context.microseconds
        case .certificate(let e): return e.context.microseconds
        case .revokedCertificateAccepted(let e): return e.context.microseconds
        case .httpRequest(let e): return e.http.context.microseconds
        case .responderContact(let e): return e.context.microseconds
        case .captureSummary: return .max
        }
    }

    /// Releases the held events whose window has passed by `seconds` of capture time (a live capture calls this
    /// on its clock tick, so a quiet interface does not hold a request back).
    public func advanceClock(toSeconds seconds: Int64) {
        flush(until: seconds &* 1_000_000)
    }

    /// Releases held events, in order, while the head's window has passed.
    private func flush(until now: Int64) {
        while let deadline = pending.firstDeadline, deadline <= now, let event = pending.removeFirst() {
            release(event)
        }
    }

    private func release(_ event: Event) {
        guard case .ocspRequest(var e) = event else {
            downstream.handle(event)
            return
        }
        (e.hostnames, e.ctMatches) = resolve(e.request.certIDs)
        e.tlsFlow = link(e)
        if e.tlsFlow != nil { counters.requestsLinkedToTLS += 1 }
        downstream.handle(.ocspRequest(e))
    }

    // MARK: - Learning

    /// Remembers a ClientHello (its context and SNI: the event is not copied out of its box whole).
    private func remember(context: EventContext, sni: String?) {
        let client = context.source.address
        advance(to: context.microseconds)
        if hellos[client] == nil && hellos.count >= options.maximumClients {
            sweep()
            if hellos.count >= options.maximumClients { hellos.removeAll(keepingCapacity: true) }
        }
        let cap = options.hellosPerClient
        let hello = Hello(micros: context.microseconds, sni: sni, context: context)
        // Updated in place: read out, appended to and stored back, the list would be copied on every hello.
        update(&hellos[client, default: []]) { list in
            if list.count >= cap { list.removeFirst() }
            list.append(hello)
        }
    }

    @inline(__always)
    private func update<T>(_ value: inout T, _ body: (inout T) -> Void) { body(&value) }

    /// Moves the correlator's notion of now; every window of capture time (at least every second: with a window of
    /// 0 a sweep per hello would visit every client each time), or every 4 096 remembered items, forgets what is
    /// past the horizon.
    private func advance(to micros: Int64) {
        if micros > newestMicros { newestMicros = micros }
        rememberedSinceSweep += 1
        if rememberedSinceSweep >= 4096 || newestMicros &- lastSweepMicros > max(Int64(options.windowSeconds * 1_000_000), 1_000_000) {
            sweep()
        }
    }

    /// Forgets ClientHellos and served leaves older than twice the window (plus a second for timestamps slightly out
    /// of order): no request still held or yet to come can link to them.
    private func sweep() {
        sweeps += 1
        rememberedSinceSweep = 0
        lastSweepMicros = newestMicros
        let horizon = newestMicros &- 2 * Int64(options.windowSeconds * 1_000_000) &- 1_000_000
        for client in Array(hellos.keys) {
            update(&hellos[client, default: []]) { list in list.removeAll { $0.micros < horizon } }
            if hellos[client]?.isEmpty == true { hellos[client] = nil }
        }
        leafByFlow = leafByFlow.filter { $0.value.micros >= horizon }
    }

    private func learn(_ e: CertificateEvent) {
        if e.chainIndex == 0 {
            index.learn(certificate: e.certificate, issuer: e.issuer, sni: e.sni, source: "capture:" + e.context.capture)
            counters.certificatesLearned += 1
            advance(to: e.context.microseconds)
            if leafByFlow.count < options.maximumClients * 4 {
                leafByFlow[ServerFlow(client: e.context.destination, server: e.context.source)] =
                    (e.certificate.serialNumber.hex, e.context.microseconds)
            }
        } else if issuers.count < 1024, !issuers.contains(e.certificate) {
            issuers.append(e.certificate)
            index.addIssuers([e.certificate])
        }
    }

    // MARK: - Matching

    private func info(_ m: CTMatch?, serial: String) -> CTMatchInfo {
        guard let m else {
            return CTMatchInfo(serial: serial, quality: "none", hostnames: [], source: "", entry: nil, candidates: 0)
        }
        let best = m.candidates.first { $0.quality == m.quality } ?? m.candidates.first
        return CTMatchInfo(serial: serial, quality: m.quality.rawValue, hostnames: m.hostnames, source: best?.source ?? "",
                           entry: best?.recordID.map { String($0) }, candidates: m.candidates.count)
    }

    func resolve(_ ids: [OCSPCertID]) -> ([String], [CTMatchInfo]) {
        var names = Set<String>()
        var infos: [CTMatchInfo] = []
        for id in ids {
            counters.serialsLooked += 1
            let m = index.lookup(certID: id, issuerCandidates: issuers)
            if m != nil { counters.serialsMatched += 1 }
            let i = info(m, serial: id.serialNumber.hex)
            names.formUnion(i.hostnames)
            infos.append(i)
        }
        return (names.sorted(), infos)
    }

    func resolveSerials(_ serials: [SerialNumber]) -> ([String], [CTMatchInfo]) {
        var names = Set<String>()
        var infos: [CTMatchInfo] = []
        for s in serials {
            counters.serialsLooked += 1
            guard let m = index.lookup(serialHex: s.hex) else { continue }
            counters.serialsMatched += 1
            let i = info(m, serial: s.hex)
            names.formUnion(i.hostnames)
            infos.append(i)
        }
        return (names.sorted(), infos)
    }

    /// The ClientHello of the same client, within the window, whose SNI is a matched name or whose server
    /// certificate has one of the serials; the closest in time wins.
    private func link(_ e: OCSPRequestEvent) -> TLSFlowLink? {
        guard let list = hellos[e.context.source.address] else { return nil }
        let t = e.context.microseconds
        let window = Int64(options.windowSeconds * 1_000_000)
        let names = Set(e.hostnames.map { $0.lowercased() })
        let serials = Set(e.request.certIDs.map(\.serialNumber.hex))
        var best: Hello?
        for h in list where abs(h.micros - t) <= window {
            let bySNI = h.sni.map { sni in names.contains(sni.lowercased()) || names.contains { $0.hasPrefix("*.") && sni.lowercased().hasSuffix($0.dropFirst(1)) } } ?? false
            let served = leafByFlow[ServerFlow(client: h.context.source, server: h.context.destination)]
            let byCertificate = served.map { serials.contains($0.serial) } ?? false
            guard bySNI || byCertificate else { continue }
            if best == nil || abs(h.micros - t) < abs(best!.micros - t) { best = h }
        }
        guard let best else { return nil }
        return TLSFlowLink(flow: best.context.flowID, capture: best.context.capture, frame: best.context.frame, sni: best.sni,
                           offsetMilliseconds: Double(t - best.micros) / 1000)
    }
}

/// A first-in first-out ring of held events: appending and releasing move each event once (no shifting of what
/// is still held, no copy left behind to destroy later).
struct HeldEvents {
    private var slots: [(deadline: Int64, event: Event)?] = []
    private var head = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }
    var firstDeadline: Int64? { count == 0 ? nil : slots[head]!.deadline }

    mutating func append(deadline: Int64, event: Event) {
        if count == slots.count { grow() }
        slots[(head + count) % slots.count] = (deadline, event)
        count += 1
    }

    mutating func removeFirst() -> Event? {
        guard count > 0 else { return nil }
        let item = slots[head].take()
        head = (head + 1) % slots.count
        count -= 1
        if count == 0 { head = 0 }
        return item?.event
    }

    private mutating func grow() {
        var bigger: [(deadline: Int64, event: Event)?] = []
        bigger.reserveCapacity(max(64, slots.count * 2))
        for i in 0..<count { bigger.append(slots[(head + i) % slots.count].take()) }
        bigger.append(contentsOf: repeatElement(nil, count: max(64, slots.count * 2) - count))
        slots = bigger
        head = 0
    }
}
