import Pipeline
import PKIParsing
import PacketDecoding

/// A pointer from a report entry back to the event that proves it.
public struct Evidence: Sendable, Hashable, Comparable {
    public var capture: String
    public var frame: Int
    public var flow: String
    public var event: String

    init(_ c: EventContext, _ event: String) {
        capture = c.capture
        frame = c.frame
        flow = c.flowID
        self.event = event
    }

    public static func < (a: Evidence, b: Evidence) -> Bool {
        (a.capture, a.frame, a.event, a.flow) < (b.capture, b.frame, b.event, b.flow)
    }

    var json: JSONValue {
        .object(["capture": .string(capture), "frame": .int(frame), "flow": .string(flow), "event": .string(event)])
    }
}

/// Finding severities, in order.
public enum Severity: String, Sendable, CaseIterable, Comparable {
    case info, low, medium, high

    var rank: Int { Severity.allCases.firstIndex(of: self)! }  // allCases holds every case
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One finding: what, how bad, a one-line summary, and the events that prove it.
public struct Finding: Sendable {
    public var kind: String
    public var severity: Severity
    public var summary: String
    public var client: String?
    public var server: String?
    public var evidence: [Evidence]

    var json: JSONValue {
        .object(["kind": .string(kind), "severity": .string(severity.rawValue), "summary": .string(summary),
                 "client": .optional(client), "server": .optional(server),
                 "evidence": .array(evidence.sorted().map(\.json))])
    }
}

/// Options recorded in the report (what was asked for, and the limits in force).
public struct ReportOptions: Sendable {
    public var generatorVersion: String
    public var arguments: [String: JSONValue]
    public var fingerprints: FingerprintDatabase
    public init(generatorVersion: String, arguments: [String: JSONValue] = [:], fingerprints: FingerprintDatabase = .bundledDatabase) {
        self.generatorVersion = generatorVersion
        self.arguments = arguments
        self.fingerprints = fingerprints
    }
}

/// Builds the defender's report from the event stream: per-client fingerprints and revocation behaviour, servers,
/// responders, and findings with evidence. Memory grows with the number of distinct clients, servers,
/// fingerprints and revocation events, not with packets (hellos are aggregated as they arrive).
public final class ReportBuilder: EventSink {
    public static let schemaVersion = "1.0"
    /// Evidence items kept per aggregate entry (the count is always exact).
    public static let maximumEvidence = 50
    // Memory bounds (docs/report.md): beyond them new entries are counted in `counters` (`report_*_dropped`), not kept.
    public static let maximumClients = 100_000
    public static let maximumServers = 100_000
    public static let maximumResponders = 10_000
    /// Distinct keys per table inside one aggregate (fingerprints per client, SNIs per fingerprint, User-Agents…).
    public static let maximumTableEntries = 256
    /// OCSP checks and CRL downloads kept per client (the count stays exact).
    public static let maximumChecksPerClient = 1_000
    public static let maximumFindings = 10_000

    struct FingerprintAggregate {
        var ja4: String
        var ja4_r: String
        var ja3: Set<String> = []
        var protocols: Set<String> = []
        var count = 0
        var first: EventContext
        var last: EventContext
        var snis: [String: Int] = [:]
        var statusRequestOffered = 0
        var statusRequestIndexes: Set<Int> = []
        var tlsVersions: Set<String> = []
    }

    struct OCSPCheck {
        var context: EventContext
        var responderHost: String
        var responder: ResponderInfo?
        var serials: [String]
        var hostnames: [String]
        var method: String
        var nonce: Bool
        var statuses: [String] = []
        var latency: Double?
        var tlsFlow: TLSFlowLink?
    }

    struct ClientAggregate {
        var fingerprints: [String: FingerprintAggregate] = [:]
        var hellos = 0
        var hellosWithStatusRequest = 0
        var ocspChecks: [OCSPCheck] = []
        var ocspCheckCount = 0
        var crlDownloads: [(EventContext, String, Int)] = []
        var staples: [String: Int] = [:]
        var stapleEvidence: [Evidence] = []
        var mustStapleSeen: [String: Evidence] = [:]
        var alerts: [String: Int] = [:]
        var alertEvidence: [Evidence] = []
        var userAgents: [String: Int] = [:]
        /// Hidden contacts with catalogue hosts: `tls_sni:HOST` / `dns:HOST` → count.
        var responderContacts: [String: Int] = [:]
        var uaEvidence: [Evidence] = []
        var sniFingerprints: [String: [String: Evidence]] = [:]
        var first: EventContext?
        var last: EventContext?
    }

    struct ServerAggregate {
        var address: String
        var sni: String?
        var handshakes = 0
        var ja3s: Set<String> = []
        var certificates: [String: (subject: String, mustStaple: Bool, notAfter: String)] = [:]
        var staples = 0
        var stapleStatuses: [String: Int] = [:]
        var staleStaples = 0
        var staplesWithoutRequest = 0
        var mustStapleWithoutStaple = 0
    }

    struct ResponderAggregate {
        var host: String
        var responder: ResponderInfo?
        var requests = 0
        var clients: Set<String> = []
        var eventHostnames: Set<String> = []
        var statuses: [String: Int] = [:]
        var latencies: [Double] = []
        var serials: Set<String> = []
    }

    let options: ReportOptions
    private var clients: [String: ClientAggregate] = [:]
    private var servers: [String: ServerAggregate] = [:]
    private var responders: [String: ResponderAggregate] = [:]
    private var findings: [Finding] = []
    private var summaries: [CaptureSummary] = []
    private var inputs: [String: [String: JSONValue]] = [:]
    /// Certificates seen in clear: serial → names (the capture teaches the report which host a serial is).
    private var namesBySerial: [String: Set<String>] = [:]
    /// OCSP requests awaiting their response, by capture and request frame.
    private var checkIndex: [String: (client: String, index: Int)] = [:]
    private var eventCounts: [String: Int] = [:]
    /// What the bounds above left out.
    private var dropped: [String: Int] = [:]

    public init(options: ReportOptions) { self.options = options }

    /// Describes an input file (called by the command, which knows paths and hashes).
    public func addInput(name: String, path: String, sha256: String?) {
        inputs[name, default: [:]]["path"] = .string(path)
        inputs[name, default: [:]]["sha256"] = .optional(sha256)
    }

    public func handle(_ event: Event) {
        eventCounts[event.typeName, default: 0] += 1
        switch event {
        case .clientHello(let e): clientHello(e)
        case .serverHello(let e): serverHello(e)
        case .tlsAlert(let e): alert(e)
        case .ocspRequest(let e): ocspRequest(e)
        case .ocspResponse(let e): ocspResponse(e)
        case .crlFetch(let e): crlFetch(e)
        case .ocspStaple(let e): staple(e)
        case .certificate(let e): certificate(e)
        case .revokedCertificateAccepted(let e): revokedAccepted(e)
        case .httpRequest(let e): httpRequest(e)
        case .responderContact(let e):
            withClient(e.context.source.address.description, e.context) { a in
                bump(&a.responderContacts, "\(e.via):\(e.host)", limit: Self.maximumTableEntries, counter: "report_contacts_dropped")
            }
        case .captureSummary(let s): summaries.append(s)
        }
    }

    /// Updates a client's aggregate in place (no copy of its tables); a new client beyond `maximumClients` is
    /// counted in `report_clients_dropped` and not kept.
    private func withClient(_ ip: String, _ c: EventContext, _ body: (inout ClientAggregate) -> Void) {
        if clients[ip] == nil && clients.count >= Self.maximumClients {
            dropped["report_clients_dropped", default: 0] += 1
            return
        }
        update(&clients[ip, default: ClientAggregate()]) { a in
            if a.first == nil || c.microseconds < a.first!.microseconds { a.first = c }  // checked for nil first
            if a.last == nil || c.microseconds >= a.last!.microseconds { a.last = c }
            body(&a)
        }
    }

    /// Updates a server's aggregate in place; beyond `maximumServers` new servers are counted and not kept.
    private func withServer(_ address: String, _ sni: String?, _ body: (inout ServerAggregate) -> Void) {
        let key = serverKey(address, sni)
        if servers[key] == nil && servers.count >= Self.maximumServers {
            dropped["report_servers_dropped", default: 0] += 1
            return
        }
        update(&servers[key, default: ServerAggregate(address: address, sni: sni)], body)
    }

    private func withResponder(_ host: String, _ responder: ResponderInfo?, _ body: (inout ResponderAggregate) -> Void) {
        if responders[host] == nil && responders.count >= Self.maximumResponders {
            dropped["report_responders_dropped", default: 0] += 1
            return
        }
        update(&responders[host, default: ResponderAggregate(host: host, responder: responder)], body)
    }

    /// Bounded insert into a counting table: beyond `limit` distinct keys, new keys are counted under `counter`.
    private func bump(_ table: inout [String: Int], _ key: String, limit: Int, counter: String) {
        if table[key] == nil && table.count >= limit {
            dropped[counter, default: 0] += 1
            return
        }
        table[key, default: 0] += 1
    }

    // MARK: - Events

    private func clientHello(_ e: ClientHelloEvent) {
        let sni = e.sni  // decoded once: the tables below then share one copy of the name
        withClient(e.context.source.address.description, e.context) { a in
            a.hellos += 1
            if e.hello.statusRequest != nil { a.hellosWithStatusRequest += 1 }
            if a.fingerprints[e.ja4.ja4] == nil && a.fingerprints.count >= Self.maximumTableEntries {
                dropped["report_fingerprints_dropped", default: 0] += 1
            } else {
                update(&a.fingerprints[e.ja4.ja4, default: FingerprintAggregate(ja4: e.ja4.ja4, ja4_r: e.ja4.ja4_r, first: e.context, last: e.context)]) { f in
                    f.count += 1
                    f.last = e.context
                    if let ja3 = e.ja3, f.ja3.count < Self.maximumTableEntries { f.ja3.insert(ja3.hash) }
                    f.protocols.insert(e.protocolName)
                    f.tlsVersions.insert(e.tlsVersion)
                    if let sni { bump(&f.snis, sni, limit: Self.maximumTableEntries, counter: "report_snis_dropped") }
                    if let sr = e.hello.statusRequest {
                        f.statusRequestOffered += 1
                        f.statusRequestIndexes.insert(sr.index)
                    }
                }
            }
            // Fingerprint changes for one client and SNI (first hellos only: a retry after HelloRetryRequest differs).
            if e.index == 1, let sni, a.sniFingerprints[sni]?[e.ja4.ja4] == nil,
               a.sniFingerprints[sni] != nil || a.sniFingerprints.count < Self.maximumTableEntries {
                a.sniFingerprints[sni, default: [:]][e.ja4.ja4] = Evidence(e.context, "client_hello")
            }
        }
    }

    private func addFinding(_ f: Finding) {
        guard findings.count < Self.maximumFindings else {
            dropped["report_findings_dropped", default: 0] += 1
            return
        }
        findings.append(f)
    }

    private func serverKey(_ address: String, _ sni: String?) -> String { address + "|" + (sni ?? "") }

    private func serverHello(_ e: ServerHelloEvent) {
        withServer(e.context.source.address.description, e.sni) { s in
            if !e.hello.isHelloRetryRequest { s.handshakes += 1 }
            if s.ja3s.count < Self.maximumTableEntries { s.ja3s.insert(e.ja3s.hash) }
        }
    }

    private func alert(_ e: TLSAlertEvent) {
        let clientIP = (e.fromClient ?? true) ? e.context.source.address.description : e.context.destination.address.description
        let who = e.fromClient == true ? "sent" : e.fromClient == false ? "received" : "seen"
        withClient(clientIP, e.context) { a in
            a.alerts["\(who):\(TLSAlertEvent.name(e.description))", default: 0] += 1  // at most 2 × 256 keys
            if a.alertEvidence.count < Self.maximumEvidence { a.alertEvidence.append(Evidence(e.context, "tls_alert")) }
        }
        if e.fromClient == true, [42, 43, 44, 45, 46, 48, 113].contains(e.description) {
            addFinding(Finding(kind: "client-rejected-certificate", severity: .info,
                                    summary: "client \(clientIP) aborted the handshake with \(e.context.destination.address) (\(e.sni ?? "no SNI")) with alert \(TLSAlertEvent.name(e.description))",
                                    client: clientIP, server: e.context.destination.address.description,
                                    evidence: [Evidence(e.context, "tls_alert")]))
        }
    }

    /// The hostnames serials stand for: names the event carried (CT correlation) and names of certificates seen
    /// in clear anywhere in the analysed captures. Resolved when the report is written, so a certificate seen after
    /// the OCSP check still names it.
    private func hostnames(for serials: [String], eventNames: [String] = []) -> [String] {
        var names = Set(eventNames)
        for s in serials { names.formUnion(namesBySerial[s] ?? []) }
        return names.sorted()
    }

    private func resolved(_ c: OCSPCheck) -> [String] { hostnames(for: c.serials, eventNames: c.hostnames) }

    /// A Host header as a responder name: lowercased, without a port.
    static func responderHost(_ host: String?) -> String? {
        guard var h = host?.lowercased(), !h.isEmpty else { return nil }
        if h.hasPrefix("[") { return h }  // IPv6 literal
        if let colon = h.lastIndex(of: ":") { h = String(h[..<colon]) }
        return h
    }

    static func checkKey(_ capture: String, _ frame: Int, client: Endpoint, server: Endpoint) -> String {
        "\(capture)#\(frame)#\(client.address)#\(client.port)#\(server.address)#\(server.port)"
    }

    private func ocspRequest(_ e: OCSPRequestEvent) {
        let ip = e.context.source.address.description
        let host = Self.responderHost(e.http.host) ?? e.context.destination.address.description
        let serials = e.request.certIDs.map(\.serialNumber.hex)
        let names = e.hostnames
        withClient(ip, e.context) { a in
            a.ocspCheckCount += 1
            guard a.ocspChecks.count < Self.maximumChecksPerClient else {
                dropped["report_ocsp_checks_dropped", default: 0] += 1
                return
            }
            a.ocspChecks.append(OCSPCheck(context: e.context, responderHost: host, responder: e.responder, serials: serials,
                                          hostnames: names, method: e.http.method, nonce: e.request.nonce != nil, statuses: [],
                                          latency: nil, tlsFlow: e.tlsFlow))
            checkIndex[Self.checkKey(e.context.capture, e.context.frame, client: e.context.source, server: e.context.destination)] = (ip, a.ocspChecks.count - 1)
        }
        withResponder(host, e.responder) { r in
            r.requests += 1
            if r.clients.count < Self.maximumTableEntries { r.clients.insert(ip) }
            if r.eventHostnames.count < Self.maximumTableEntries { r.eventHostnames.formUnion(names) }
            if r.serials.count < Self.maximumTableEntries { r.serials.formUnion(serials) }
        }
    }

    private func ocspResponse(_ e: OCSPResponseEvent) {
        let statuses = e.response.basic?.responses.map(\.certStatus.name) ?? [e.response.responseStatus.name]
        if let frame = e.requestFrame,
           let (ip, i) = checkIndex[Self.checkKey(e.context.capture, frame, client: e.context.destination, server: e.context.source)] {
            clients[ip]!.ocspChecks[i].statuses = statuses  // the index was recorded with the check
            clients[ip]!.ocspChecks[i].latency = e.latencyMilliseconds
        }
        let host = Self.responderHost(e.http?.host) ?? e.context.source.address.description
        withResponder(host, e.responder) { r in
            for s in statuses { r.statuses[s, default: 0] += 1 }
            if let l = e.latencyMilliseconds, r.latencies.count < Self.maximumChecksPerClient * 10 { r.latencies.append(l) }
        }
        if statuses.contains("revoked") {
            let serials = e.response.basic?.responses.filter { if case .revoked = $0.certStatus { return true } else { return false } }
                .map(\.certID.serialNumber.hex) ?? []
            let names = hostnames(for: serials, eventNames: e.ctMatches.filter { serials.contains($0.serial) }.flatMap(\.hostnames))
            addFinding(Finding(kind: "responder-reports-revoked", severity: .low,
                                    summary: "\(host) answered \(e.context.destination.address) that certificate \(serials.joined(separator: ", "))\(names.isEmpty ? "" : " (" + names.joined(separator: ", ") + ")") is revoked",
                                    client: e.context.destination.address.description, server: host,
                                    evidence: [Evidence(e.context, "ocsp_response")]))
        }
    }

    private func crlFetch(_ e: CRLFetchEvent) {
        withClient(e.context.destination.address.description, e.context) { a in
            guard a.crlDownloads.count < Self.maximumChecksPerClient else {
                dropped["report_crl_downloads_dropped", default: 0] += 1
                return
            }
            a.crlDownloads.append((e.context, e.http.map { "http://\($0.host ?? e.context.source.address.description)\($0.uri)" } ?? "", e.crl.revokedCount))
        }
    }

    private func staple(_ e: OCSPStapleEvent) {
        let ip = e.context.destination.address.description
        let statuses = e.response.basic?.responses.map(\.certStatus.name) ?? [e.response.responseStatus.name]
        withClient(ip, e.context) { a in
            for s in statuses { a.staples[s, default: 0] += 1 }  // a handful of status names
            if a.stapleEvidence.count < Self.maximumEvidence { a.stapleEvidence.append(Evidence(e.context, "ocsp_staple")) }
        }
        let addr = e.context.source.address.description
        var stale = false
        if let basic = e.response.basic {
            for r in basic.responses {
                if r.thisUpdate.secondsSinceEpoch > e.context.seconds { stale = true }
                if let n = r.nextUpdate, n.secondsSinceEpoch < e.context.seconds { stale = true }
            }
        }
        withServer(addr, e.sni) { s in
            s.staples += 1
            for st in statuses { s.stapleStatuses[st, default: 0] += 1 }
            if stale { s.staleStaples += 1 }
            if e.stapleWithoutRequest { s.staplesWithoutRequest += 1 }
        }
        let server = "\(addr) (\(e.sni ?? "no SNI"))"
        if stale {
            addFinding(Finding(kind: "stale-staple", severity: .medium,
                                    summary: "\(server) stapled an OCSP response that is expired or not yet valid at the time of the handshake",
                                    client: ip, server: addr, evidence: [Evidence(e.context, "ocsp_staple")]))
        }
        if e.stapleWithoutRequest {
            addFinding(Finding(kind: "staple-without-request", severity: .low,
                                    summary: "\(server) stapled an OCSP response although \(ip) did not offer status_request (RFC 6066 forbids it)",
                                    client: ip, server: addr, evidence: [Evidence(e.context, "ocsp_staple")]))
        }
    }

    private func certificate(_ e: CertificateEvent) {
        let c = e.certificate
        var names = Set(c.dnsNames)
        if let sni = e.sni, e.chainIndex == 0 { names.insert(sni) }
        if e.chainIndex == 0 && (namesBySerial[c.serialNumber.hex] != nil || namesBySerial.count < Self.maximumClients) {
            namesBySerial[c.serialNumber.hex, default: []].formUnion(names)
        }
        let addr = e.context.source.address.description
        withServer(addr, e.sni) { s in
            if s.certificates.count < Self.maximumTableEntries {
                s.certificates[c.serialNumber.hex] = (c.subject.rfc4514, c.mustStaple, c.notAfter.rfc3339)
            }
            if e.mustStapleWithoutStaple { s.mustStapleWithoutStaple += 1 }
        }
        if c.mustStaple && e.chainIndex == 0 {
            withClient(e.context.destination.address.description, e.context) { a in
                if a.mustStapleSeen.count < Self.maximumTableEntries { a.mustStapleSeen[c.serialNumber.hex] = Evidence(e.context, "certificate") }
            }
        }
        if e.mustStapleWithoutStaple {
            addFinding(Finding(kind: "must-staple-without-staple", severity: .medium,
                                    summary: "\(addr) (\(e.sni ?? "no SNI")) served must-staple certificate \(c.serialNumber.hex) without a staple",
                                    client: e.context.destination.address.description, server: addr,
                                    evidence: [Evidence(e.context, "certificate")]))
        }
    }

    private func revokedAccepted(_ e: RevokedCertificateAcceptedEvent) {
        let ip = e.context.source.address.description
        addFinding(Finding(kind: "revoked-certificate-accepted", severity: .high,
                                summary: "client \(ip) kept talking to \(e.context.destination.address) (\(e.sni ?? "no SNI")) after a stapled response said certificate \(e.serial ?? "?") is revoked",
                                client: ip, server: e.context.destination.address.description,
                                evidence: [Evidence(e.context, "revoked_certificate_accepted")]))
    }

    private func httpRequest(_ e: HTTPRequestEvent) {
        guard let ua = e.http.userAgent else { return }
        withClient(e.http.context.source.address.description, e.http.context) { a in
            bump(&a.userAgents, ua, limit: Self.maximumTableEntries, counter: "report_user_agents_dropped")
            if a.uaEvidence.count < Self.maximumEvidence { a.uaEvidence.append(Evidence(e.http.context, "http_request")) }
        }
    }

    // MARK: - Classification

    /// The classes of docs/report.md, from the evidence each needs.
    static func classify(_ a: ClientAggregate) -> String {
        if !a.ocspChecks.isEmpty { return "live-ocsp" }
        if !a.crlDownloads.isEmpty { return "crl-fetch" }
        if a.hellos == 0 { return "no-tls-seen" }
        if a.hellosWithStatusRequest > 0 {
            return a.staples.isEmpty ? "browser-like" : "staple-only"
        }
        return "no-revocation-signal"
    }

    static func statusRequestBehaviour(offered: Int, of total: Int) -> String {
        offered == 0 ? "never" : offered == total ? "always" : "sometimes"
    }

    /// A browser a User-Agent claims to be, if any.
    static func claimedBrowser(_ ua: String) -> String? {
        let u = ua.lowercased()
        if u.contains("curl/") || u.contains("wget/") || u.contains("python") || u.contains("go-http-client") || u.contains("okhttp") { return nil }
        if u.contains("firefox/") { return "firefox" }
        if u.contains("edg/") { return "edge" }
        if u.contains("chrome/") || u.contains("chromium/") { return "chrome" }
        if u.contains("safari/") { return "safari" }
        return nil
    }

    // MARK: - Output

    /// Derived findings (fingerprint changes, User-Agent mismatches, live OCSP leaks), computed once at the end.
    private func derivedFindings() -> [Finding] {
        var out: [Finding] = []
        for (ip, a) in clients {
            for (sni, fps) in a.sniFingerprints where fps.count > 1 {
                out.append(Finding(kind: "fingerprint-change", severity: .low,
                                   summary: "client \(ip) used \(fps.count) different JA4 fingerprints for \(sni): \(fps.keys.sorted().joined(separator: ", "))",
                                   client: ip, server: sni, evidence: Array(fps.values)))
            }
            // One finding per responder contacted: which hostnames the client revealed to it.
            var byResponder: [String: [OCSPCheck]] = [:]
            for c in a.ocspChecks { byResponder[c.responderHost, default: []].append(c) }
            for (host, checks) in byResponder {
                let names = Set(checks.flatMap(resolved)).sorted()
                let serials = Set(checks.flatMap(\.serials)).sorted()
                let who = checks.first?.responder.map { "\(host) (\($0.operator))" } ?? host
                let what = names.isEmpty ? "certificate serial \(serials.joined(separator: ", ")) (hostname unknown: add --ct with a CT export)"
                                         : names.joined(separator: ", ")
                let during = checks.compactMap { c in c.tlsFlow.map { ($0, c.latency) } }
                let handshake = during.first.map { link, latency in
                    "; during the TLS handshake with \(link.sni ?? link.flow)" + (latency.map { ", adding " + fixedPoint($0, decimals: 1) + " ms" } ?? "")
                } ?? ""
                out.append(Finding(kind: "live-ocsp-privacy-leak", severity: .medium,
                                   summary: "client \(ip) told \(who) it was visiting \(what) (\(checks.count) live OCSP check\(checks.count == 1 ? "" : "s")\(handshake))",
                                   client: ip, server: host, evidence: checks.prefix(Self.maximumEvidence).map { Evidence($0.context, "ocsp_request") }))
            }
            // A User-Agent that claims a browser while the TLS fingerprints are known and are not that browser's.
            let claimed = Set(a.userAgents.keys.compactMap(Self.claimedBrowser))
            if !claimed.isEmpty {
                let labels = a.fingerprints.values.compactMap { options.fingerprints.label(ja4: $0.ja4, ja3: $0.ja3.first) }
                let matches = labels.contains { l in l.kind == "browser" && claimed.contains { l.application.lowercased().contains($0) || ($0 == "chrome" && l.application.lowercased().contains("chromium")) } }
                if !labels.isEmpty && !matches {
                    out.append(Finding(kind: "user-agent-mismatch", severity: .medium,
                                       summary: "client \(ip) claims \(claimed.sorted().joined(separator: "/")) in its User-Agent but its TLS fingerprint is \(Set(labels.map(\.display)).sorted().joined(separator: ", "))",
                                       client: ip, server: nil, evidence: a.uaEvidence.prefix(5) + a.fingerprints.values.prefix(5).map { Evidence($0.first, "client_hello") }))
                }
            }
        }
        return out
    }

    public var allFindings: [Finding] {
        (findings + derivedFindings()).sorted {
            ($1.severity, $0.kind, $0.summary) < ($0.severity, $1.kind, $1.summary)
        }
    }

    /// The highest finding severity, if any.
    public var highestSeverity: Severity? { allFindings.map(\.severity).max() }

    /// The whole report as a tree (for the readable summary and tests). `write(to:)` writes the same bytes as
    /// its `pretty()` text without building it.
    public func document() -> JSONValue {
        let (members, arrays) = topLevel()
        var root = members
        for (k, a) in arrays { root[k] = .array((0..<a.count).map(a.element)) }
        return .object(root)
    }

    /// Writes the report (the text of `document().pretty()`), building one entry of the long arrays — clients,
    /// servers, responders, findings — at a time instead of the whole tree. `amend` may change the other top-level
    /// members first (the live command adds its section to `options`).
    public func write(to w: inout PrettyJSONWriter, amend: (inout [String: JSONValue]) -> Void = { _ in }) {
        var (members, arrays) = topLevel()
        amend(&members)
        w.beginObject()
        for k in Set(members.keys).union(arrays.keys).sorted() {
            w.key(k)
            if let a = arrays[k] {
                w.beginArray()
                for i in 0..<a.count { w.value(a.element(i)) }
                w.endArray()
            } else {
                w.value(members[k]!)  // a key of one of the two tables
            }
        }
        w.endObject()
    }

    /// A long array of the report: its length and how to build each element.
    struct LongArray {
        var count: Int
        var element: (Int) -> JSONValue
    }

    /// The report's top-level members: the short ones built, the long arrays to be built element by element.
    private func topLevel() -> (members: [String: JSONValue], arrays: [String: LongArray]) {
        var root: [String: JSONValue] = [:]
        root["schema_version"] = .string(Self.schemaVersion)
        root["generator"] = .object(["name": .string("helloscope"), "version": .string(options.generatorVersion)])
        root["options"] = .object(options.arguments)
        root["inputs"] = .array(summaries.map { s in
            var o = inputs[s.capture] ?? [:]
            o["file"] = .string(s.capture)
            o["format"] = .string(s.format)
            o["size"] = .optional(s.fileSize.map { Int($0) })
            o["packets"] = .int(s.packets)
            o["bytes"] = .int(Int(s.bytes))
            o["first_ts"] = .optional(s.firstSeconds.map { rfc3339(seconds: $0, nanoseconds: s.firstNanoseconds) })
            o["last_ts"] = s.packets > 0 ? .string(rfc3339(seconds: s.lastSeconds, nanoseconds: s.lastNanoseconds)) : .null
            o["link_types"] = .object(s.linkTypes.mapValues { .int($0) })
            o["truncated"] = .bool(s.truncated)
            o["flows"] = .int(s.flows)
            o["client_hellos"] = .int(s.clientHellos)
            o["server_hellos"] = .int(s.serverHellos)
            return .object(o)
        })
        var counters: [String: Int] = [:]
        for s in summaries { for (k, v) in s.counters { counters[k, default: 0] += v } }
        for name in ["report_clients_dropped", "report_servers_dropped", "report_responders_dropped", "report_fingerprints_dropped",
                     "report_snis_dropped", "report_user_agents_dropped", "report_contacts_dropped", "report_ocsp_checks_dropped",
                     "report_crl_downloads_dropped", "report_findings_dropped"] {
            counters[name] = dropped[name] ?? 0
        }
        root["counters"] = .object(counters.mapValues { .int($0) })
        if let limits = summaries.first?.limits {
            root["limits"] = .object([
                "max_flows": .int(limits.reassembly.maximumFlows),
                "max_out_of_order_bytes_per_direction": .int(limits.reassembly.maximumOutOfOrderBytesPerDirection),
                "max_out_of_order_bytes_total": .int(limits.reassembly.maximumOutOfOrderBytesTotal),
                "idle_timeout_seconds": .int(Int(limits.reassembly.idleTimeoutSeconds)),
                "max_plaintext_before_tls": .int(limits.maximumPlaintextBeforeTLS),
                "max_tls_bytes_per_direction": .int(limits.maximumTLSBytesPerDirection),
            ])
        } else {
            root["limits"] = .object([:])
        }
        root["event_counts"] = .object(eventCounts.mapValues { .int($0) })
        let f = allFindings
        var bySeverity: [String: JSONValue] = [:]
        for s in Severity.allCases { bySeverity[s.rawValue] = .int(f.filter { $0.severity == s }.count) }
        var classifications: [String: Int] = [:]
        for a in clients.values { classifications[Self.classify(a), default: 0] += 1 }
        root["summary"] = .object([
            "clients": .int(clients.count), "servers": .int(servers.count), "responders": .int(responders.count),
            "client_hellos": .int(summaries.reduce(0) { $0 + $1.clientHellos }),
            "live_ocsp_checks": .int(clients.values.reduce(0) { $0 + $1.ocspCheckCount }),
            "findings": .object(bySeverity),
            "classifications": .object(classifications.mapValues { .int($0) }),
        ])
        let clientKeys = clients.keys.sorted(), serverKeys = servers.keys.sorted(), responderKeys = responders.keys.sorted()
        // Keys taken from the dictionaries themselves.
        let arrays: [String: LongArray] = [
            "clients": LongArray(count: clientKeys.count) { self.clientJSON(clientKeys[$0], self.clients[clientKeys[$0]]!) },
            "servers": LongArray(count: serverKeys.count) { self.serverJSON(self.servers[serverKeys[$0]]!) },
            "responders": LongArray(count: responderKeys.count) { self.responderJSON(self.responders[responderKeys[$0]]!) },
            "findings": LongArray(count: f.count) { f[$0].json },
        ]
        return (root, arrays)
    }

    private func ctxTime(_ c: EventContext?) -> JSONValue {
        c.map { .string(rfc3339(seconds: $0.seconds, nanoseconds: $0.nanoseconds)) } ?? .null
    }

    private func clientJSON(_ ip: String, _ a: ClientAggregate) -> JSONValue {
        let fps: [JSONValue] = a.fingerprints.keys.sorted().map { k in
            let f = a.fingerprints[k]!  // key from the dictionary
            let label = options.fingerprints.label(ja4: f.ja4, ja3: f.ja3.sorted().first)
            return .object([
                "ja4": .string(f.ja4), "ja4_r": .string(f.ja4_r), "ja3": .strings(f.ja3.sorted()),
                "protocols": .strings(f.protocols.sorted()), "tls_versions": .strings(f.tlsVersions.sorted()),
                "count": .int(f.count), "first_seen": ctxTime(f.first), "last_seen": ctxTime(f.last),
                "snis": .object(f.snis.mapValues { .int($0) }),
                "status_request": .object([
                    "behaviour": .string(Self.statusRequestBehaviour(offered: f.statusRequestOffered, of: f.count)),
                    "offered": .int(f.statusRequestOffered),
                    "indexes": .array(f.statusRequestIndexes.sorted().map { .int($0) }),
                ]),
                "label": label?.json ?? .null,
            ])
        }
        let checks: [JSONValue] = a.ocspChecks.sorted { ($0.context.capture, $0.context.frame) < ($1.context.capture, $1.context.frame) }
            .prefix(Self.maximumEvidence * 4).map { c in
                .object([
                    "ts": ctxTime(c.context), "responder": .string(c.responderHost),
                    "operator": .optional(c.responder?.operator), "method": .string(c.method), "serials": .strings(c.serials),
                    "hostnames": .strings(resolved(c)), "statuses": .strings(c.statuses), "latency_ms": .optional(c.latency),
                    "nonce": .bool(c.nonce),
                    "tls_flow": c.tlsFlow.map { .object(["flow": .string($0.flow), "capture": .string($0.capture), "frame": .int($0.frame),
                                                          "sni": .optional($0.sni), "offset_ms": .double($0.offsetMilliseconds)]) } ?? .null, "evidence": Evidence(c.context, "ocsp_request").json,
                ])
            }
        return .object([
            "address": .string(ip),
            "classification": .string(Self.classify(a)),
            "first_seen": ctxTime(a.first), "last_seen": ctxTime(a.last),
            "client_hellos": .int(a.hellos),
            "fingerprints": .array(fps),
            "status_request": .object([
                "behaviour": .string(Self.statusRequestBehaviour(offered: a.hellosWithStatusRequest, of: a.hellos)),
                "offered": .int(a.hellosWithStatusRequest), "hellos": .int(a.hellos),
            ]),
            "revocation": .object([
                "live_ocsp_checks": .array(checks),
                "live_ocsp_check_count": .int(a.ocspCheckCount),
                "responders": .strings(Set(a.ocspChecks.map(\.responderHost)).sorted()),
                "hostnames_revealed": .strings(Set(a.ocspChecks.flatMap(resolved)).sorted()),
                "crl_downloads": .array(a.crlDownloads.map { .object(["ts": ctxTime($0.0), "url": .string($0.1), "revoked_count": .int($0.2),
                                                                      "evidence": Evidence($0.0, "crl_fetch").json]) }),
                "staples_received": .object(a.staples.mapValues { .int($0) }),
                "must_staple_certificates": .strings(a.mustStapleSeen.keys.sorted()),
                "tls_alerts": .object(a.alerts.mapValues { .int($0) }),
                "hidden_responder_contacts": .object(a.responderContacts.mapValues { .int($0) }),
            ]),
            "user_agents": .object(a.userAgents.mapValues { .int($0) }),
        ])
    }

    private func serverJSON(_ s: ServerAggregate) -> JSONValue {
        .object([
            "address": .string(s.address), "sni": .optional(s.sni), "handshakes": .int(s.handshakes),
            "ja3s": .strings(s.ja3s.sorted()),
            "certificates": .array(s.certificates.keys.sorted().map { k in
                let c = s.certificates[k]!  // key from the dictionary
                return .object(["serial": .string(k), "subject": .string(c.subject), "must_staple": .bool(c.mustStaple),
                                "not_after": .string(c.notAfter)])
            }),
            "stapling": .object([
                "staples_sent": .int(s.staples), "statuses": .object(s.stapleStatuses.mapValues { .int($0) }),
                "stale_staples": .int(s.staleStaples), "staples_without_request": .int(s.staplesWithoutRequest),
                "must_staple_without_staple": .int(s.mustStapleWithoutStaple),
            ]),
        ])
    }

    private func responderJSON(_ r: ResponderAggregate) -> JSONValue {
        let sorted = r.latencies.sorted()
        let latency: JSONValue = sorted.isEmpty ? .null : .object([
            "min_ms": .double(sorted.first!), "median_ms": .double(sorted[sorted.count / 2]), "max_ms": .double(sorted.last!),
        ])
        return .object([
            "host": .string(r.host), "operator": .optional(r.responder?.operator), "kind": .optional(r.responder?.kind),
            "requests": .int(r.requests), "distinct_clients": .int(r.clients.count), "clients": .strings(r.clients.sorted()),
            "hostnames_revealed": .strings(hostnames(for: Array(r.serials), eventNames: Array(r.eventHostnames))),
            "serials": .strings(r.serials.sorted()),
            "statuses": .object(r.statuses.mapValues { .int($0) }), "latency": latency,
        ])
    }
}

/// Runs `body` on a value in place (used with `dictionary[key, default: …]`, whose modify accessor does not copy).
@inline(__always)
func update<T>(_ value: inout T, _ body: (inout T) -> Void) { body(&value) }
