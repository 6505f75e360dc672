import CaptureInput
import PacketDecoding
import TLSParsing
import Fingerprints
import CScan

/// Fields every event carries: when, where in which capture, and between which endpoints.
public struct EventContext: Sendable {
    public var seconds: Int64
    public var nanoseconds: UInt32
    public var capture: String
    /// 1-based number of the packet that completed what the event reports.
    public var frame: Int
    public var source: Endpoint
    public var destination: Endpoint
    /// `tcp` or `udp`.
    public var transport: String

    public init(seconds: Int64, nanoseconds: UInt32, capture: String, frame: Int, source: Endpoint,
                destination: Endpoint, transport: String) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.capture = capture
        self.frame = frame
        self.source = source
        self.destination = destination
        self.transport = transport
    }

    /// A stable flow identifier: transport, client endpoint, server endpoint.
    public var flowID: String {
        guard transport == "tcp" || transport == "udp" else {
            func ep(_ e: Endpoint) -> String { e.address.isIPv6 ? "[\(e.address)]:\(e.port)" : "\(e.address):\(e.port)" }
            return "\(transport) \(ep(source)) > \(ep(destination))"
        }
        return String(unsafeUninitializedCapacity: Self.maximumFlowIDLength) { writeFlowID(to: $0.baseAddress!) }
    }

    /// Room `writeFlowID` needs: the transport (3), two bracketed addresses with ports, " > ".
    static let maximumFlowIDLength = 3 + 1 + 2 * (IPAddress.maximumTextLength + 2 + 6) + 3

    /// Writes `flowID` at `p` (room for `maximumFlowIDLength`) for a `tcp` or `udp` context: `tcp [2001:db8::1]:443 >
    /// 192.0.2.1:51000` (IPv6 addresses in brackets); returns how many bytes.
    func writeFlowID(to p: UnsafeMutablePointer<UInt8>) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * IPAddress.maximumTextLength) { t in
            let s = t.baseAddress!, d = s + IPAddress.maximumTextLength
            return writeFlowID(to: p, sourceText: s, source.address.writeText(to: s), destinationText: d,
                               destination.address.writeText(to: d))
        }
    }

    /// `writeFlowID` with the two addresses' text already written (`sourceLength` bytes at `sourceText`, …).
    @inline(__always)
    func writeFlowID(to p: UnsafeMutablePointer<UInt8>, sourceText: UnsafePointer<UInt8>, _ sourceLength: Int,
                     destinationText: UnsafePointer<UInt8>, _ destinationLength: Int) -> Int {
        var o = 0
        func ep(_ e: Endpoint, _ text: UnsafePointer<UInt8>, _ n: Int) {
            if e.address.isIPv6 { p[o] = UInt8(ascii: "["); o += 1 }
            hs_copy(p + o, text, n)
            o += n
            if e.address.isIPv6 { p[o] = UInt8(ascii: "]"); o += 1 }
            p[o] = UInt8(ascii: ":"); o += 1
            o += writeDecimal(Int64(e.port), to: p + o)
        }
        p[0] = transport == "tcp" ? UInt8(ascii: "t") : UInt8(ascii: "u")
        p[1] = transport == "tcp" ? UInt8(ascii: "c") : UInt8(ascii: "d")
        p[2] = UInt8(ascii: "p")
        p[3] = UInt8(ascii: " ")
        o = 4
        ep(source, sourceText, sourceLength)
        p[o] = UInt8(ascii: " "); p[o + 1] = UInt8(ascii: ">"); p[o + 2] = UInt8(ascii: " ")
        o += 3
        ep(destination, destinationText, destinationLength)
        return o
    }

    public var microseconds: Int64 { seconds &* 1_000_000 &+ Int64(nanoseconds / 1000) }

    /// The members every event starts with: type, time, capture, frame, endpoints, transport and flow id. Each
    /// address is formatted once, for its own member and for the flow id.
    func write(type: StaticString, to w: inout JSONWriter) {
        w.members { write(type: type, to: $0) }
    }

    /// The same members, the first ones of an object written through `JSONWriter.members`. `type` is plain ASCII.
    func write(type: StaticString, to m: JSONMembers) {
        m.raw("\"type\":\"")
        m.raw(type)
        m.raw("\",\"ts\":")
        if rfc3339InPlace(seconds: seconds, nanoseconds: nanoseconds) {
            m.plain(maximumLength: 27) { writeRFC3339(seconds: seconds, nanoseconds: nanoseconds, to: $0) }
        } else {
            m.string(rfc3339General(seconds: seconds, nanoseconds: nanoseconds))
        }
        m.field(",\"capture\":", capture)
        m.field(",\"frame\":", frame)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * IPAddress.maximumTextLength) { t in
            let s = t.baseAddress!, d = s + IPAddress.maximumTextLength
            let sn = source.address.writeText(to: s)
            let dn = destination.address.writeText(to: d)
            m.raw(",\"src_ip\":")
            m.plain(maximumLength: IPAddress.maximumTextLength) { hs_copy($0, s, sn); return sn }
            m.field(",\"src_port\":", Int(source.port))
            m.raw(",\"dst_ip\":")
            m.plain(maximumLength: IPAddress.maximumTextLength) { hs_copy($0, d, dn); return dn }
            m.field(",\"dst_port\":", Int(destination.port))
            // The transport is always `tcp` or `udp`, so nothing in it or the flow id needs escaping; any other
            // value is written through the escaping path.
            guard transport == "tcp" || transport == "udp" else {
                m.field(",\"transport\":", transport)
                m.field(",\"flow\":", flowID)
                return
            }
            m.raw(transport == "tcp" ? ",\"transport\":\"tcp\",\"flow\":" : ",\"transport\":\"udp\",\"flow\":")
            m.plain(maximumLength: Self.maximumFlowIDLength) {
                writeFlowID(to: $0, sourceText: s, sn, destinationText: d, dn)
            }
        }
    }
}

/// An event's fields in a box shared by copies, copied on write. An event is copied as it passes from the analysis
/// through the correlator to the writers; a copy of the fields themselves would retain and release each of their
/// strings and arrays (17 for a ClientHello), a copy of the box retains it once. Setting a field gives the event a
/// box of its own. Used where the copies cost more than the box's allocation: not for a ServerHello event (8
/// strings and arrays), where the box cost 1.4 M more instructions than it saved on the 100 MB capture.
struct SharedFields<Value: Sendable>: Sendable {
    final class Box: Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    private var box: Box

    init(_ value: Value) { box = Box(value) }

    /// The fields, read in place.
    var value: Value {
        @inline(__always) _read { yield box.value }
    }

    /// Changes the fields in a box of this copy's own.
    mutating func update(_ change: (inout Value) -> Void) {
        var v = box.value
        change(&v)
        box = Box(v)
    }
}

/// A ClientHello and its fingerprints.
///
/// The fields live in a box shared by copies (`SharedFields`).
public struct ClientHelloEvent: Sendable {
    struct Fields: Sendable {
        var context: EventContext
        var index: Int
        var protocolName: String
        var recordVersion: UInt16
        var hello: ClientHello
        var ja3: JA3?
        var ja4: JA4
        var quicVersion: UInt32?
        var sni: String?
    }

    private var box: SharedFields<Fields>

    public var context: EventContext {
        get { box.value.context }
        set { box.update { $0.context = newValue } }
    }
    /// 1-based number of this ClientHello within its flow.
    public var index: Int {
        get { box.value.index }
        set { box.update { $0.index = newValue } }
    }
    /// `tls`, `quic` or `dtls`.
    public var protocolName: String {
        get { box.value.protocolName }
        set { box.update { $0.protocolName = newValue } }
    }
    public var recordVersion: UInt16 {
        get { box.value.recordVersion }
        set { box.update { $0.recordVersion = newValue } }
    }
    public var hello: ClientHello {
        get { box.value.hello }
        set { box.update { $0.hello = newValue } }
    }
    public var ja3: JA3? {
        get { box.value.ja3 }
        set { box.update { $0.ja3 = newValue } }
    }
    public var ja4: JA4 {
        get { box.value.ja4 }
        set { box.update { $0.ja4 = newValue } }
    }
    public var quicVersion: UInt32? {
        get { box.value.quicVersion }
        set { box.update { $0.quicVersion = newValue } }
    }
    /// The hello's server_name (`hello.serverName`), read once when the event is made.
    public var sni: String? {
        get { box.value.sni }
        set { box.update { $0.sni = newValue } }
    }

    init(context: EventContext, index: Int, protocolName: String, recordVersion: UInt16, hello: ClientHello,
         sni: String?, ja3: JA3?, ja4: JA4, quicVersion: UInt32?) {
        box = SharedFields(Fields(context: context, index: index, protocolName: protocolName, recordVersion: recordVersion,
                                  hello: hello, ja3: ja3, ja4: ja4, quicVersion: quicVersion, sni: sni))
    }

    public var tlsVersion: String { String(ja4.prefix.dropFirst().prefix(2)) }

    /// `"tls_version": tlsVersion`, copied from the JA4 prefix's bytes when they are plain ASCII (they always are:
    /// the prefix is made of ASCII letters and digits).
    /// The value of `tls_version`: `tlsVersion`, copied from the JA4 prefix's bytes when they are plain ASCII (they
    /// always are: the prefix is made of ASCII letters and digits).
    func writeTLSVersion(to m: JSONMembers) {
        var prefix = ja4.prefix
        let copied = prefix.withUTF8 { u -> Bool in
            guard u.count >= 3, u.allSatisfy({ $0 >= 0x30 && $0 < 0x7f && $0 != 0x5c }) else { return false }
            m.plain(maximumLength: 2) { p in p[0] = u[1]; p[1] = u[2]; return 2 }
            return true
        }
        if !copied { m.string(tlsVersion) }
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.members { m in
            context.write(type: "client_hello", to: m)
            m.field(",\"index\":", index)
            m.field(",\"protocol\":", protocolName)
            if let quicVersion { m.raw(",\"quic_version\":"); m.string(hex32(quicVersion)) }
            m.raw(hello.isSSLv2Format ? ",\"sslv2_format\":true,\"record_version\":" : ",\"sslv2_format\":false,\"record_version\":")
            m.int(Int(recordVersion))
            m.field(",\"legacy_version\":", Int(hello.legacyVersion))
            m.raw(",\"tls_version\":")
            writeTLSVersion(to: m)
            m.field(",\"sni\":", sni)
            m.raw(",\"alpn\":")
            m.list(utf8Strings: hello.alpnProtocolNames)
            m.raw(",\"cipher_suites\":")
            if hello.isSSLv2Format {
                m.list(ints: hello.sslv2CipherSpecs)
            } else {
                m.list(hello.cipherSuiteList)
            }
            m.raw(",\"extensions\":")
            hello.withExtensions { e, _ in m.list(count: e.count) { e[$0].type } }
            m.field(",\"supported_groups\":", list: hello.supportedGroupList)
            m.raw(",\"ec_point_formats\":")
            m.list(bytes: hello.ecPointFormatBytes)
            m.field(",\"signature_algorithms\":", list: hello.signatureAlgorithmList)
            m.field(",\"supported_versions\":", list: hello.supportedVersionList)
            m.raw(",\"key_share_groups\":")
            m.list(ints: hello.keyShareGroupList)
            let sr = hello.statusRequest
            m.raw(sr != nil ? ",\"status_request\":{\"offered\":true,\"index\":" : ",\"status_request\":{\"offered\":false,\"index\":")
            m.int(sr?.index)
            m.field(",\"extension_count\":", hello.extensionCount)
            m.field(",\"status_type\":", sr?.statusType.map { Int($0) })
            m.field(",\"responder_id_count\":", sr?.responderIDCount)
            m.field(",\"request_extensions_length\":", sr?.requestExtensionsLength)
            m.raw("},\"status_request_v2\":")
            m.bool(hello.offersStatusRequestV2)
            m.field(",\"signed_certificate_timestamp\":", hello.offersSignedCertificateTimestamp)
            m.field(",\"encrypted_client_hello\":", hello.hasEncryptedClientHello)
            m.field(",\"quic_transport_parameters\":", hello.hasQUICTransportParameters)
            m.field(",\"ja3\":", ja3?.hash)
            m.field(",\"ja3_string\":", ja3?.string)
            m.field(",\"ja4\":", ja4.ja4)
            m.field(",\"ja4_r\":", ja4.ja4_r)
            m.field(",\"ja4_o\":", ja4.ja4_o)
            m.field(",\"ja4_ro\":", ja4.ja4_ro)
        }
        w.endObject()
    }
}

/// A ServerHello (or HelloRetryRequest) and its JA3S.
public struct ServerHelloEvent: Sendable {
    public var context: EventContext
    public var index: Int
    public var protocolName: String
    public var recordVersion: UInt16
    public var hello: ServerHello
    public var ja3s: JA3
    /// The SNI of the flow's first ClientHello, when seen.
    public var sni: String?
    public var quicVersion: UInt32?

    public var tlsVersion: String { ja4VersionCode(hello.negotiatedVersion) }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.members { m in
            context.write(type: "server_hello", to: m)
            m.field(",\"index\":", index)
            m.field(",\"protocol\":", protocolName)
            if let quicVersion { m.raw(",\"quic_version\":"); m.string(hex32(quicVersion)) }
            m.field(",\"record_version\":", Int(recordVersion))
            m.field(",\"legacy_version\":", Int(hello.legacyVersion))
            m.field(",\"tls_version\":", tlsVersion)
            m.field(",\"cipher_suite\":", Int(hello.cipherSuite))
            m.raw(",\"extensions\":")
            hello.extensions.withUnsafeBufferPointer { e in m.list(count: e.count) { e[$0].type } }
            m.field(",\"hello_retry_request\":", hello.isHelloRetryRequest)
            m.field(",\"status_request_acknowledged\":", hello.acknowledgesStatusRequest)
            m.field(",\"sni\":", sni)
            m.field(",\"ja3s\":", ja3s.hash)
            m.field(",\"ja3s_string\":", ja3s.string)
        }
        w.endObject()
    }
}

/// An alert sent in clear (RFC 8446 §6).
public struct TLSAlertEvent: Sendable {
    public var context: EventContext
    public var level: UInt8
    public var description: UInt8
    public var sni: String?
    /// Whether the sender is the client of the flow (nil when unknown).
    public var fromClient: Bool?

    public static func name(_ d: UInt8) -> String {
        switch d {
        case 0: return "close_notify"
        case 10: return "unexpected_message"
        case 20: return "bad_record_mac"
        case 22: return "record_overflow"
        case 40: return "handshake_failure"
        case 42: return "bad_certificate"
        case 43: return "unsupported_certificate"
        case 44: return "certificate_revoked"
        case 45: return "certificate_expired"
        case 46: return "certificate_unknown"
        case 47: return "illegal_parameter"
        case 48: return "unknown_ca"
        case 49: return "access_denied"
        case 50: return "decode_error"
        case 51: return "decrypt_error"
        case 70: return "protocol_version"
        case 71: return "insufficient_security"
        case 80: return "internal_error"
        case 86: return "inappropriate_fallback"
        case 90: return "user_canceled"
        case 109: return "missing_extension"
        case 110: return "unsupported_extension"
        case 112: return "unrecognized_name"
        case 113: return "bad_certificate_status_response"
        case 115: return "unknown_psk_identity"
        case 116: return "certificate_required"
        case 120: return "no_application_protocol"
        default: return "alert_\(d)"
        }
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        context.write(type: "tls_alert", to: &w)
        w.field("level", Int(level))
        w.field("level_name", level == 1 ? "warning" : level == 2 ? "fatal" : "unknown")
        w.field("description", Int(description))
        w.field("description_name", TLSAlertEvent.name(description))
        w.key("from_client")
        if let fromClient { w.bool(fromClient) } else { w.null() }
        w.field("sni", sni)
        w.endObject()
    }
}

func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

/// Every event helloscope emits.
public indirect enum Event: Sendable {
    case clientHello(ClientHelloEvent)
    case serverHello(ServerHelloEvent)
    case tlsAlert(TLSAlertEvent)
    case ocspRequest(OCSPRequestEvent)
    case ocspResponse(OCSPResponseEvent)
    case crlFetch(CRLFetchEvent)
    case ocspStaple(OCSPStapleEvent)
    case certificate(CertificateEvent)
    case revokedCertificateAccepted(RevokedCertificateAcceptedEvent)
    case httpRequest(HTTPRequestEvent)
    case responderContact(ResponderContactEvent)
    case captureSummary(CaptureSummary)

    public var typeName: String {
        switch self {
        case .clientHello: return "client_hello"
        case .serverHello: return "server_hello"
        case .tlsAlert: return "tls_alert"
        case .ocspRequest: return "ocsp_request"
        case .ocspResponse: return "ocsp_response"
        case .crlFetch: return "crl_fetch"
        case .ocspStaple: return "ocsp_staple"
        case .certificate: return "certificate"
        case .revokedCertificateAccepted: return "revoked_certificate_accepted"
        case .httpRequest: return "http_request"
        case .responderContact: return "responder_contact"
        case .captureSummary: return "capture_summary"
        }
    }

    public func write(to w: inout JSONWriter) {
        switch self {
        case .clientHello(let e): e.write(to: &w)
        case .serverHello(let e): e.write(to: &w)
        case .tlsAlert(let e): e.write(to: &w)
        case .ocspRequest(let e): e.write(to: &w)
        case .ocspResponse(let e): e.write(to: &w)
        case .crlFetch(let e): e.write(to: &w)
        case .ocspStaple(let e): e.write(to: &w)
        case .certificate(let e): e.write(to: &w)
        case .revokedCertificateAccepted(let e): e.write(to: &w)
        case .httpRequest(let e): e.write(to: &w)
        case .responderContact(let e): e.write(to: &w)
        case .captureSummary(let e): e.write(to: &w)
        }
    }
}

/// Receives events in the order they happen.
public protocol EventSink: AnyObject {
    func handle(_ event: Event)
}
