import PKIParsing

/// Where an HTTP message was seen: Host header, method, URI, User-Agent.
public struct HTTPRequestInfo: Sendable {
    public var host: String?
    public var method: String
    public var uri: String
    public var userAgent: String?
    public var contentType: String?
    public var context: EventContext
}

/// A responder host from the catalogue (data/responders.csv).
public struct ResponderInfo: Sendable, Equatable {
    public var host: String
    public var `operator`: String
    public var kind: String
}

/// A live OCSP request over HTTP (RFC 6960 §4.1, appendix A): POST body or GET-encoded path.
public struct OCSPRequestEvent: Sendable {
    public var context: EventContext
    public var http: HTTPRequestInfo
    public var request: OCSPRequest
    public var requestBytes: Int
    public var responder: ResponderInfo?
    /// Correlation: the hostnames the serials stand for, how they were matched, and the TLS flow the check
    /// belongs to (filled by the correlator; empty without it).
    public var hostnames: [String] = []
    public var ctMatches: [CTMatchInfo] = []
    public var tlsFlow: TLSFlowLink?

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        context.write(type: "ocsp_request", to: &w)
        writeHTTP(http, responder: responder, to: &w)
        writeCertIDs(request.certIDs, to: &w)
        w.field("nonce", request.nonce?.hex)
        w.field("signed", request.isSigned)
        w.field("requestor_name", request.requestorNameString)
        w.field("request_bytes", requestBytes)
        writeCorrelation(hostnames: hostnames, matches: ctMatches, to: &w)
        w.key("tls_flow")
        if let tlsFlow { tlsFlow.write(to: &w) } else { w.null() }
        w.endObject()
    }
}

/// An OCSP response over HTTP, paired with its request.
public struct OCSPResponseEvent: Sendable {
    public var context: EventContext
    public var http: HTTPRequestInfo?
    public var httpStatus: Int?
    public var response: OCSPResponse
    public var requestNonce: OCSPNonce?
    public var requestFrame: Int?
    public var latencyMilliseconds: Double?
    public var responder: ResponderInfo?
    public var hostnames: [String] = []
    public var ctMatches: [CTMatchInfo] = []

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        context.write(type: "ocsp_response", to: &w)
        if let http { writeHTTP(http, responder: responder, to: &w) } else { writeHTTPUnknown(to: &w) }
        w.field("http_status", httpStatus)
        writeOCSPResponse(response, at: context, to: &w)
        w.key("nonce_matches_request")
        if let r = requestNonce, let n = response.basic?.nonce { w.bool(r.value == n.value) } else { w.null() }
        w.field("request_frame", requestFrame)
        w.key("latency_ms")
        if let latencyMilliseconds { w.double(latencyMilliseconds) } else { w.null() }
        writeCorrelation(hostnames: hostnames, matches: ctMatches, to: &w)
        w.endObject()
    }
}

/// How a serial was matched to hostnames (Certificate Transparency export or a certificate seen in the capture).
public struct CTMatchInfo: Sendable, Equatable {
    public var serial: String
    /// `serial+issuer-key`, `serial+issuer-name`, `serial-only`, or `none`.
    public var quality: String
    public var hostnames: [String]
    /// The export file (or `capture`), and the crt.sh id or log index when the source has one.
    public var source: String
    public var entry: String?
    public var candidates: Int
    public init(serial: String, quality: String, hostnames: [String], source: String, entry: String?, candidates: Int) {
        self.serial = serial
        self.quality = quality
        self.hostnames = hostnames
        self.source = source
        self.entry = entry
        self.candidates = candidates
    }
}

/// The TLS flow an OCSP check belongs to: same client, a ClientHello whose SNI is one of the matched names (or whose
/// server certificate has the serial), within the correlation window.
public struct TLSFlowLink: Sendable, Equatable {
    public var flow: String
    public var capture: String
    public var frame: Int
    public var sni: String?
    /// OCSP request time minus ClientHello time, milliseconds (the check happened during the handshake when small).
    public var offsetMilliseconds: Double
    public init(flow: String, capture: String, frame: Int, sni: String?, offsetMilliseconds: Double) {
        self.flow = flow
        self.capture = capture
        self.frame = frame
        self.sni = sni
        self.offsetMilliseconds = offsetMilliseconds
    }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("flow", flow)
        w.field("capture", capture)
        w.field("frame", frame)
        w.field("sni", sni)
        w.key("offset_ms")
        w.double(offsetMilliseconds)
        w.endObject()
    }
}

func writeCorrelation(hostnames: [String], matches: [CTMatchInfo], to w: inout JSONWriter) {
    w.field("hostnames", strings: hostnames)
    w.key("ct_match")
    w.beginArray()
    for m in matches {
        w.beginObject()
        w.field("serial", m.serial)
        w.field("quality", m.quality)
        w.field("hostnames", strings: m.hostnames)
        w.field("source", m.source)
        w.field("entry", m.entry)
        w.field("candidates", m.candidates)
        w.endObject()
    }
    w.endArray()
}

/// A CRL downloaded over HTTP (RFC 5280 §5).
public struct CRLFetchEvent: Sendable {
    public var context: EventContext
    public var http: HTTPRequestInfo?
    public var httpStatus: Int?
    public var crl: CertificateList
    public var bodyBytes: Int
    public var latencyMilliseconds: Double?
    public var responder: ResponderInfo?
    /// Hostnames of the revoked serials (correlation).
    public var hostnames: [String] = []
    public var ctMatches: [CTMatchInfo] = []
    /// Revoked serials written in the event at most.
    public static let maximumSerialsInEvent = 1000

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        context.write(type: "crl_fetch", to: &w)
        if let http { writeHTTP(http, responder: responder, to: &w) } else { writeHTTPUnknown(to: &w) }
        w.field("http_status", httpStatus)
        w.field("issuer", crl.issuerString)
        w.field("this_update", crl.thisUpdate.rfc3339)
        w.field("next_update", crl.nextUpdate?.rfc3339)
        w.field("crl_number", crl.crlNumber?.hex)
        w.field("revoked_count", crl.revokedCount)
        let serials = crl.revokedCertificates.prefix(Self.maximumSerialsInEvent).map(\.serialNumber.hex)
        w.field("revoked_serials", strings: Array(serials))
        w.field("revoked_serials_truncated", crl.revokedCount > serials.count)
        w.field("body_bytes", bodyBytes)
        w.key("latency_ms")
        if let latencyMilliseconds { w.double(latencyMilliseconds) } else { w.null() }
        writeCorrelation(hostnames: hostnames, matches: ctMatches, to: &w)
        w.endObject()
    }
}

/// A stapled OCSP response: TLS ≤1.2 CertificateStatus (RFC 6066 §8, RFC 6961).
public struct OCSPStapleEvent: Sendable {
    public var context: EventContext
    public var sni: String?
    public var response: OCSPResponse
    public var clientOfferedStatusRequest: Bool
    public var serverAcknowledged: Bool
    public var leafSerial: String?

    public var hostnames: [String] = []
    public var ctMatches: [CTMatchInfo] = []

    /// RFC 6066 forbids a staple the client did not ask for.
    public var stapleWithoutRequest: Bool { !clientOfferedStatusRequest }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        context.write(type: "ocsp_staple", to: &w)
        w.field("sni", sni)
        w.field("status_request_offered", clientOfferedStatusRequest)
        w.field("status_request_acknowledged", serverAcknowledged)
        w.field("staple_without_request", stapleWithoutRequest)
        w.field("leaf_serial", leafSerial)
        w.key("matches_leaf")
        if let leafSerial { w.bool(response.basic?.responses.contains { $0.certID.serialNumber.hex == leafSerial } ?? false) } else { w.null() }
        writeOCSPResponse(response, at: context, to: &w)
        writeCorrelation(hostnames: hostnames, matches: ctMatches, to: &w)
        w.endObject()
    }
}

/// A certificate of a chain served in clear (TLS ≤1.2 Certificate message, RFC 5246 §7.4.2).
public struct CertificateEvent: Sendable {
    public var context: EventContext
    public var sni: String?
    public var chainIndex: Int
    public var chainLength: Int
    public var certificate: X509Certificate
    /// The next certificate of the chain (the issuer, when the server sent it in order).
    public var issuer: X509Certificate?
    /// Whether the server stapled an OCSP response in this handshake.
    public var stapled: Bool

    public var mustStapleWithoutStaple: Bool { chainIndex == 0 && certificate.mustStaple && !stapled }

    public func write(to w: inout JSONWriter) {
        let c = certificate
        w.beginObject()
        context.write(type: "certificate", to: &w)
        w.field("sni", sni)
        w.field("chain_index", chainIndex)
        w.field("chain_length", chainLength)
        w.field("serial", c.serialNumber.hex)
        w.field("subject", c.subject.rfc4514)
        w.field("issuer", c.issuer.rfc4514)
        w.field("san_dns", strings: c.dnsNames)
        w.field("san_ip", strings: c.ipAddresses)
        w.field("not_before", c.notBefore.rfc3339)
        w.field("not_after", c.notAfter.rfc3339)
        w.field("expired_at_packet_time", c.notAfter.secondsSinceEpoch < context.seconds)
        w.field("not_yet_valid_at_packet_time", c.notBefore.secondsSinceEpoch > context.seconds)
        w.field("ocsp_urls", strings: c.ocspURLs)
        w.field("crl_urls", strings: c.crlDistributionPointURLs)
        w.field("ca_issuers_urls", strings: c.caIssuersURLs)
        w.key("is_ca")
        if let ca = c.isCA { w.bool(ca) } else { w.null() }
        w.field("must_staple", c.mustStaple)
        w.field("stapled", stapled)
        w.field("must_staple_without_staple", mustStapleWithoutStaple)
        w.field("sha256", PKIHex.encode(c.fingerprint(.sha256)))
        w.field("issuer_name_hash_sha1", PKIHex.encode(PKIDigest.hash(.sha1, c.issuerDER)))
        w.field("issuer_key_hash_sha1", issuer.map { PKIHex.encode($0.subjectPublicKeyHash(.sha1)) })
        w.endObject()
    }
}

/// The client kept going (sent application data) after the server stapled a `revoked` response.
public struct RevokedCertificateAcceptedEvent: Sendable {
    public var context: EventContext
    public var sni: String?
    public var serial: String?
    public var stapleFrame: Int

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        context.write(type: "revoked_certificate_accepted", to: &w)
        w.field("sni", sni)
        w.field("serial", serial)
        w.field("staple_frame", stapleFrame)
        w.endObject()
    }
}

// MARK: - Shared writers

func writeHTTP(_ http: HTTPRequestInfo, responder: ResponderInfo?, to w: inout JSONWriter) {
    w.field("host", http.host)
    w.field("method", http.method)
    w.field("uri", http.uri)
    w.field("user_agent", http.userAgent)
    writeResponder(responder, to: &w)
}

func writeHTTPUnknown(to w: inout JSONWriter) {
    w.key("host"); w.null()
    w.key("method"); w.null()
    w.key("uri"); w.null()
    w.key("user_agent"); w.null()
    writeResponder(nil, to: &w)
}

func writeResponder(_ responder: ResponderInfo?, to w: inout JSONWriter) {
    w.key("responder")
    if let responder {
        w.beginObject()
        w.field("host", responder.host)
        w.field("operator", responder.operator)
        w.field("kind", responder.kind)
        w.endObject()
    } else {
        w.null()
    }
}

func writeCertIDs(_ ids: [OCSPCertID], to w: inout JSONWriter) {
    w.key("cert_ids")
    w.beginArray()
    for id in ids {
        w.beginObject()
        w.field("hash_algorithm", id.hashAlgorithmName)
        w.field("hash_algorithm_oid", id.hashAlgorithm.oid)
        w.field("issuer_name_hash", id.issuerNameHashHex)
        w.field("issuer_key_hash", id.issuerKeyHashHex)
        w.field("serial", id.serialNumber.hex)
        w.endObject()
    }
    w.endArray()
}

/// The fields an OCSP response contributes to `ocsp_response` and `ocsp_staple` events.
func writeOCSPResponse(_ r: OCSPResponse, at context: EventContext, to w: inout JSONWriter) {
    w.field("response_status", r.responseStatus.name)
    let basic = r.basic
    w.field("responder_id", basic.map { $0.responderID.description })
    w.field("responder_id_type", basic.map { if case .byName = $0.responderID { return "by_name" } else { return "by_key" } })
    w.field("produced_at", basic?.producedAt.rfc3339)
    w.key("responses")
    w.beginArray()
    var fresh = basic != nil
    var expired = false, notYetValid = false
    for s in basic?.responses ?? [] {
        w.beginObject()
        w.field("serial", s.certID.serialNumber.hex)
        w.field("hash_algorithm", s.certID.hashAlgorithmName)
        w.field("issuer_name_hash", s.certID.issuerNameHashHex)
        w.field("issuer_key_hash", s.certID.issuerKeyHashHex)
        w.field("cert_status", s.certStatus.name)
        w.field("revocation_time", s.certStatus.revokedInfo?.revocationTime.rfc3339)
        w.field("revocation_reason", s.certStatus.revokedInfo?.revocationReason?.name)
        w.field("this_update", s.thisUpdate.rfc3339)
        w.field("next_update", s.nextUpdate?.rfc3339)
        w.endObject()
        if s.thisUpdate.secondsSinceEpoch > context.seconds { notYetValid = true; fresh = false }
        if let next = s.nextUpdate, next.secondsSinceEpoch < context.seconds { expired = true; fresh = false }
    }
    w.endArray()
    w.field("nonce", basic?.nonce?.hex)
    w.field("signature_algorithm", basic?.signatureAlgorithm.description)
    w.field("certificate_count", basic?.certificateCount ?? 0)
    w.field("fresh", fresh)
    w.field("expired", expired)
    w.field("not_yet_valid", notYetValid)
}

/// A plain HTTP request (any port): host, method, URI and User-Agent — what the report needs to compare a
/// client's claimed browser with its TLS fingerprint. Bodies are never written.
public struct HTTPRequestEvent: Sendable {
    public var http: HTTPRequestInfo
    /// The request carried an OCSP request (an `ocsp_request` event was emitted too).
    public var isOCSP: Bool

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        http.context.write(type: "http_request", to: &w)
        w.field("host", http.host)
        w.field("method", http.method)
        w.field("uri", http.uri)
        w.field("user_agent", http.userAgent)
        w.field("content_type", http.contentType)
        w.field("ocsp", isOCSP)
        w.endObject()
    }
}

/// Contact with a known OCSP/CRL host whose content is hidden: a TLS ClientHello whose SNI is a catalogue host
/// (e.g. an OCSP request over HTTPS), or a DNS query for one. Lower confidence than an `ocsp_request`.
public struct ResponderContactEvent: Sendable {
    public var context: EventContext
    /// `tls_sni` or `dns`.
    public var via: String
    public var host: String
    public var responder: ResponderInfo

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        context.write(type: "responder_contact", to: &w)
        w.field("via", via)
        w.field("host", host)
        writeResponder(responder, to: &w)
        w.field("confidence", "low")
        w.endObject()
    }
}
