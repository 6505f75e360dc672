import CaptureInput
import PacketDecoding
import TLSParsing
import HTTPParsing
import PKIParsing

/// What one direction of a TCP flow is being read as.
enum DirectionMode {
    /// Looking for the start of TLS or HTTP at segment boundaries (plaintext before TLS: STARTTLS, CONNECT).
    case detecting
    case tls
    case http
    /// Only TLS record headers are walked, to notice application data after a revoked staple.
    case watchingApplicationData
    /// Nothing more to read in this direction.
    case done
}

struct DirectionState {
    var mode = DirectionMode.detecting
    /// Bytes at the start of a segment too few to decide on (bounded to a few bytes).
    var candidate: [UInt8] = []
    var plaintextBytes = 0
    var plaintextSegments = 0
    var tlsBytes = 0
    var parser = TLSStreamParser()
    /// The HTTP parser of an HTTP direction, kept in a box: inline it would add its ~300 bytes to both directions of
    /// every flow (TLS flows included), doubling the memory of a flow waiting for the rest of a ClientHello.
    var http: HTTPStreamParser? {
        get { httpBox?.parser }
        set {
            guard let newValue else { httpBox = nil; return }
            if httpBox != nil && isKnownUniquelyReferenced(&httpBox!) { httpBox!.parser = newValue } else { httpBox = HTTPParserBox(newValue) }
        }
    }
    private var httpBox: HTTPParserBox?
    /// Whether this direction has an HTTP parser (read without copying the parser out of its box).
    var hasHTTP: Bool { httpBox != nil }
    /// Runs `body` on the HTTP parser where it is, in its box (nil when there is none): copied out and stored
    /// back, the parser's buffers would be retained and copied on every feed.
    mutating func updateHTTP<R>(_ body: (inout HTTPStreamParser) -> R) -> R? {
        guard httpBox != nil else { return nil }
        if !isKnownUniquelyReferenced(&httpBox!) { httpBox = HTTPParserBox(httpBox!.parser) }
        return body(&httpBox!.parser)
    }
    var walker = TLSRecordWalker()
}

final class HTTPParserBox {
    var parser: HTTPStreamParser
    init(_ parser: HTTPStreamParser) { self.parser = parser }
}

/// An HTTP request waiting for its response.
struct PendingHTTPRequest {
    var info: HTTPRequestInfo
    var ocspNonce: OCSPNonce?
    var responder: ResponderInfo?
}

/// Per-flow analysis state, attached to the reassembler's flow.
final class FlowState {
    // Two stored properties (not a tuple), so one direction can be updated while the other is read.
    // Each updated in place while the other is read; never both through one access: no exclusivity checks.
    @exclusivity(unchecked) var direction0 = DirectionState()
    @exclusivity(unchecked) var direction1 = DirectionState()
    var clientDirection: Int?
    var clientHellos = 0
    var serverHellos = 0
    var countedAsTLS = false
    /// What the handshake said about revocation (shared with DTLS).
    // Created at first use: a flow that never completes a hello (a half-open handshake) does not pay for it.
    var handshake: HandshakeRevocationState {
        if let h = handshakeState { return h }
        let h = HandshakeRevocationState()
        handshakeState = h
        return h
    }
    /// Whether `handshake` was ever used (asked without creating it).
    var hasHandshake: Bool { handshakeState != nil }
    private var handshakeState: HandshakeRevocationState?
    var sni: String? { handshake.sni }
    // HTTP.
    var httpRequests: [PendingHTTPRequest] = []
    /// Request methods the response parser has not been told about yet (it may not exist yet).
    var methodsForResponseParser: [String] = []

    static let maximumPendingRequests = 64
}

extension CaptureAnalyzer: TCPStreamSink {
    public func tcpData(_ flow: TCPFlow, direction: Int, bytes: UnsafeRawBufferPointer) -> Bool {
        let state: FlowState
        if let s = flow.attachment as? FlowState { state = s } else { state = FlowState(); flow.attachment = state }
        let wants: Bool
        if direction == 0 {
            wants = read(bytes, state: state, direction: &state.direction0, index: 0, flow: flow)
        } else {
            wants = read(bytes, state: state, direction: &state.direction1, index: 1, flow: flow)
        }
        if !wants && state.handshake.pendingCertificates.count > 0 && state.clientDirection.map({ $0 != direction }) == true {
            flushCertificates(state: state, flow: flow)
        }
        return wants
    }

    public func tcpGap(_ flow: TCPFlow, direction: Int) -> Bool {
        guard let state = flow.attachment as? FlowState else { return true }
        func gap(_ d: inout DirectionState) -> Bool {
            switch d.mode {
            case .detecting:
                d.candidate = []
                return true
            case .tls, .http, .watchingApplicationData:
                count(d.mode == .http ? PipelineCounter.httpStreamGaps : PipelineCounter.tlsStreamGaps)
                d.parser.finish()
                d.http = nil
                d.mode = .done
                return false
            case .done:
                return false
            }
        }
        return direction == 0 ? gap(&state.direction0) : gap(&state.direction1)
    }

    public func tcpFlowEnded(_ flow: TCPFlow, reason: FlowEndReason) {
        if let state = flow.attachment as? FlowState {
            // A response delimited by the connection's close ends here.
            if state.direction0.hasHTTP, let messages = state.direction0.http?.finish() {
                for m in messages { httpMessage(m, state: state, index: 0, flow: flow) }
            }
            if state.direction1.hasHTTP, let messages = state.direction1.http?.finish() {
                for m in messages { httpMessage(m, state: state, index: 1, flow: flow) }
            }
            if state.hasHandshake && !state.handshake.pendingCertificates.isEmpty { flushCertificates(state: state, flow: flow) }
        }
        flow.attachment = nil
    }

    private func read(_ bytes: UnsafeRawBufferPointer, state: FlowState, direction d: inout DirectionState, index: Int,
                      flow: TCPFlow) -> Bool {
        switch d.mode {
        case .done:
            return false
        case .detecting:
            detect(bytes, state: state, direction: &d, index: index, flow: flow)
        case .tls:
            feedTLS(bytes, state: state, direction: &d, index: index, flow: flow)
        case .http:
            feedHTTP(bytes, state: state, direction: &d, index: index, flow: flow)
        case .watchingApplicationData:
            if d.walker.feed(bytes) {
                reportRevokedAccepted(state: state, flow: flow, direction: index)
                d.mode = .done
            } else if d.walker.failed {
                d.mode = .done
            }
        }
        return d.mode != .done
    }

    // MARK: - Detection

    private func detect(_ bytes: UnsafeRawBufferPointer, state: FlowState, direction d: inout DirectionState, index: Int,
                        flow: TCPFlow) {
        var tls: TLSDetection
        var http: HTTPDetection
        let viaCandidate = !d.candidate.isEmpty
        if viaCandidate {
            d.candidate.append(contentsOf: bytes.prefix(16))
            (tls, http) = d.candidate.withUnsafeBytes { (detectTLS($0), detectHTTP($0)) }
        } else {
            (tls, http) = (detectTLS(bytes), detectHTTP(bytes))
        }
        let earlier = viaCandidate ? Array(d.candidate.prefix(d.candidate.count - min(16, bytes.count))) : []
        if tls == .tls || tls == .sslv2 {
            d.mode = .tls
            d.candidate = []
            if !state.countedAsTLS { state.countedAsTLS = true; count(PipelineCounter.tlsFlows) }
            if !earlier.isEmpty { earlier.withUnsafeBytes { feedTLS($0, state: state, direction: &d, index: index, flow: flow) } }
            feedTLS(bytes, state: state, direction: &d, index: index, flow: flow)
            return
        }
        if http == .request || http == .response {
            d.mode = .http
            d.candidate = []
            var parser = HTTPStreamParser(role: http == .request ? .request : .response, limits: CaptureAnalyzer.httpLimits)
            if http == .response {
                for m in state.methodsForResponseParser { parser.expectResponse(toMethod: m) }
                state.methodsForResponseParser = []
            }
            d.http = parser
            if !earlier.isEmpty { earlier.withUnsafeBytes { feedHTTP($0, state: state, direction: &d, index: index, flow: flow) } }
            feedHTTP(bytes, state: state, direction: &d, index: index, flow: flow)
            return
        }
        if tls == .needMoreBytes || http == .needMoreBytes {
            if d.candidate.isEmpty { d.candidate.append(contentsOf: bytes) }
            if d.candidate.count > 16 { d.candidate = [] }
            return
        }
        d.candidate = []
        d.plaintextBytes += bytes.count
        d.plaintextSegments += 1
        if d.plaintextBytes > limits.maximumPlaintextBeforeTLS || d.plaintextSegments > limits.maximumSegmentsBeforeTLS {
            d.mode = .done
            count(PipelineCounter.tlsNotDetected)
        }
    }

    // MARK: - TLS

    private func feedTLS(_ bytes: UnsafeRawBufferPointer, state: FlowState, direction d: inout DirectionState, index: Int,
                         flow: TCPFlow) {
        d.tlsBytes += bytes.count
        if d.tlsBytes > limits.maximumTLSBytesPerDirection {
            count(PipelineCounter.tlsDirectionByteLimit)
            d.parser.finish()
            d.mode = .done
            return
        }
        var stop = false
        var watch = false
        d.parser.feed(bytes) { event in
            if stop { return }
            switch event {
            case .handshake(let type, let body, let recordVersion):
                stop = handshake(type: type, body: body, recordVersion: recordVersion, state: state, index: index, flow: flow)
            case .sslv2ClientHello(let message):
                count(PipelineCounter.sslv2ClientHellos)
                if let hello = try? ClientHello.parseSSLv2(message: message) {
                    state.clientDirection = state.clientDirection ?? index
                    state.clientHellos += 1
                    emitClientHello(hello, sni: nil, recordVersion: 0x0002, flow: flow, direction: index, index: state.clientHellos)
                } else {
                    count(PipelineCounter.tlsClientHelloMalformed)
                    stop = true
                }
            case .alert(let level, let description):
                count(PipelineCounter.tlsAlerts)
                emitAlert(level: level, description: description, flow: flow, direction: index,
                          fromClient: state.clientDirection.map { $0 == index }, sni: state.sni)
            case .changeCipherSpec:
                break
            case .encrypted:
                stop = true
                watch = state.handshake.revokedStaple != nil && state.clientDirection == index
            case .applicationData:
                stop = true
                if state.handshake.revokedStaple != nil && state.clientDirection == index {
                    reportRevokedAccepted(state: state, flow: flow, direction: index)
                }
            case .malformed(let reason):
                count(PipelineCounter.tlsMalformedPrefix + reason)
                stop = true
            }
        }
        if stop {
            d.parser.finish()
            d.mode = watch && !state.handshake.revokedAcceptedReported ? .watchingApplicationData : .done
        }
    }

    /// Handles one handshake message; returns true when this direction needs no more bytes.
    private func handshake(type: UInt8, body: [UInt8], recordVersion: UInt16, state: FlowState, index: Int,
                           flow: TCPFlow) -> Bool {
        let fromServer = state.clientDirection.map { $0 != index } ?? false
        switch type {
        case HandshakeType.clientHello:
            guard let hello = try? ClientHello(body: body) else {
                count(PipelineCounter.tlsClientHelloMalformed)
                return true
            }
            if state.clientDirection == nil { state.clientDirection = index }
            state.clientHellos += 1
            let sni = hello.serverName
            if state.clientHellos == 1 {
                state.handshake.sni = sni
                state.handshake.clientOfferedStatusRequest = hello.statusRequest != nil || hello.offersStatusRequestV2
            }
            emitClientHello(hello, sni: sni, recordVersion: recordVersion, flow: flow, direction: index, index: state.clientHellos)
            return false
        case HandshakeType.serverHello:
            guard let hello = try? ServerHello(body: body) else {
                count(PipelineCounter.tlsServerHelloMalformed)
                return true
            }
            if state.clientDirection == nil { state.clientDirection = 1 - index }
            state.serverHellos += 1
            state.handshake.serverAcknowledgedStatusRequest = hello.acknowledgesStatusRequest
            emitServerHello(hello, recordVersion: recordVersion, flow: flow, direction: index, index: state.serverHellos,
                            sni: state.sni)
            // After a TLS 1.3 ServerHello everything the server sends is encrypted.
            return !hello.isHelloRetryRequest && hello.negotiatedVersion == 0x0304
        case HandshakeType.certificate where fromServer:
            certificateMessage(body, state: state.handshake, context: context(flow: flow, direction: index))
            return false
        case HandshakeType.certificateStatus where fromServer:
            certificateStatusMessage(body, state: state.handshake, context: context(flow: flow, direction: index))
            return false
        case HandshakeType.serverHelloDone, HandshakeType.finished:
            if fromServer { flushCertificates(state: state, flow: flow) }
            return true
        default:
            if fromServer && !state.handshake.pendingCertificates.isEmpty { flushCertificates(state: state, flow: flow) }
            return false
        }
    }

    func flushCertificates(state: FlowState, flow: TCPFlow) { flushCertificates(state.handshake) }

    private func reportRevokedAccepted(state: FlowState, flow: TCPFlow, direction: Int) {
        guard let revoked = state.handshake.revokedStaple, !state.handshake.revokedAcceptedReported else { return }
        state.handshake.revokedAcceptedReported = true
        sink.handle(.revokedCertificateAccepted(RevokedCertificateAcceptedEvent(
            context: context(flow: flow, direction: direction), sni: state.sni, serial: revoked.serial, stapleFrame: revoked.frame)))
    }

    // MARK: - HTTP

    private func feedHTTP(_ bytes: UnsafeRawBufferPointer, state: FlowState, direction d: inout DirectionState, index: Int,
                          flow: TCPFlow) {
        guard let (messages, failed, upgraded) = d.updateHTTP({ parser in (parser.feed(bytes), parser.error, parser.isUpgraded) }) else {
            d.mode = .done
            return
        }
        for m in messages { httpMessage(m, state: state, index: index, flow: flow) }
        if let failed {
            count(PipelineCounter.httpMalformed)
            _ = failed
            d.http = nil
            d.mode = .done
        } else if upgraded {
            // CONNECT or an Upgrade: what follows is another protocol (often TLS).
            d.http = nil
            d.mode = .detecting
            d.plaintextBytes = 0
            d.plaintextSegments = 0
        }
    }

    /// HTTP bodies are read only when they may be DER (an OCSP request or response, a CRL: SEQUENCE, 0x30) or PEM
    /// ('-'); others are counted, not kept.
    static let httpLimits: HTTPParserLimits = {
        var limits = HTTPParserLimits()
        limits.keptBodyFirstBytes = [0x30, UInt8(ascii: "-")]
        return limits
    }()

    private func httpMessage(_ m: HTTPMessage, state: FlowState, index: Int, flow: TCPFlow) {
        let ctx = context(flow: flow, direction: index)
        switch m.startLine {
        case .request(let method, let target):
            count(PipelineCounter.httpRequests)
            let info = HTTPRequestInfo(host: m.host, method: method, uri: target, userAgent: m.userAgent,
                                       contentType: m.contentType, context: ctx)
            // Tell the other direction's response parser which method this response answers (HEAD has no body).
            let other = 1 - index
            if other == 0, state.direction0.http != nil { state.direction0.http!.expectResponse(toMethod: method) }
            else if other == 1, state.direction1.http != nil { state.direction1.http!.expectResponse(toMethod: method) }
            else if state.methodsForResponseParser.count < FlowState.maximumPendingRequests { state.methodsForResponseParser.append(method) }

            var ocsp: OCSPRequest?
            if method == "POST", m.body.first == 0x30 {
                ocsp = try? OCSPRequest(derEncoded: m.body)
            } else if method == "GET", target.utf8.count >= 40 {
                ocsp = OCSPRequest.fromGETPath(target)
            }
            let responder = ResponderCatalogue.shared.lookup(m.host, kind: "ocsp")
            sink.handle(.httpRequest(HTTPRequestEvent(http: info, isOCSP: ocsp != nil)))
            if let ocsp {
                count(PipelineCounter.ocspRequests)
                sink.handle(.ocspRequest(OCSPRequestEvent(context: ctx, http: info, request: ocsp,
                                                          requestBytes: method == "POST" ? m.body.count : target.utf8.count,
                                                          responder: responder)))
            }
            if state.httpRequests.count >= FlowState.maximumPendingRequests {
                state.httpRequests.removeFirst()
                count(PipelineCounter.httpUnansweredDropped)
            }
            state.httpRequests.append(PendingHTTPRequest(info: info, ocspNonce: ocsp?.nonce, responder: responder))
        case .response(let status, _):
            count(PipelineCounter.httpResponses)
            let request = state.httpRequests.isEmpty ? nil : state.httpRequests.removeFirst()
            let latency = request.map { Double(ctx.microseconds - $0.info.context.microseconds) / 1000 }
            guard let first = m.body.first, first == 0x30 || first == UInt8(ascii: "-") else { return }
            switch PKIDocument.parse(m.body[...]) {
            case .ocspResponse(let response)?:
                count(PipelineCounter.ocspResponses)
                let responder = request?.responder ?? ResponderCatalogue.shared.lookup(request?.info.host, kind: "ocsp")
                sink.handle(.ocspResponse(OCSPResponseEvent(context: ctx, http: request?.info, httpStatus: status, response: response,
                                                            requestNonce: request?.ocspNonce, requestFrame: request?.info.context.frame,
                                                            latencyMilliseconds: latency, responder: responder)))
            case .certificateList(let crl)?:
                count(PipelineCounter.crlFetches)
                sink.handle(.crlFetch(CRLFetchEvent(context: ctx, http: request?.info, httpStatus: status, crl: crl,
                                                    bodyBytes: Int(m.bodyByteCount), latencyMilliseconds: latency,
                                                    responder: ResponderCatalogue.shared.lookup(request?.info.host, kind: "crl"))))
            default:
                break
            }
        }
    }
}

/// Whether bytes start an HTTP/1.x request or response.
enum HTTPDetection { case request, response, notHTTP, needMoreBytes }

/// What starts an HTTP/1 message: a status line (first), or a request line's method.
private let httpStarts: [StaticString] = ["HTTP/1.", "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ",
                                           "PATCH ", "TRACE "]

/// Whether the first bytes of a direction start an HTTP/1 response, a request, neither, or cannot tell yet.
func detectHTTP(_ b: UnsafeRawBufferPointer) -> HTTPDetection {
    var undecided = false
    for (k, candidate) in httpStarts.enumerated() {
        let c = candidate.utf8Start
        let n = min(candidate.utf8CodeUnitCount, b.count)
        var match = true
        for i in 0..<n where b[i] != c[i] { match = false; break }
        if match {
            if n == candidate.utf8CodeUnitCount { return k == 0 ? .response : .request }
            undecided = true
        }
    }
    return undecided ? .needMoreBytes : .notHTTP
}
