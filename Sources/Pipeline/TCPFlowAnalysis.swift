import CaptureInput
import PacketDecoding
import TLSParsing

/// What one direction of a TCP flow is being read as.
enum DirectionMode {
    /// Looking for the start of TLS at segment boundaries (plaintext before it: STARTTLS, HTTP CONNECT).
    case detecting
    case tls
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
}

/// Per-flow analysis state, attached to the reassembler's flow.
final class FlowState {
    @exclusivity(unchecked) var directions = (DirectionState(), DirectionState())
    var clientDirection: Int?
    var clientHellos = 0
    var serverHellos = 0
    var sni: String?
    var countedAsTLS = false
}

extension CaptureAnalyzer: TCPStreamSink {
    public func tcpData(_ flow: TCPFlow, direction: Int, bytes: UnsafeRawBufferPointer) -> Bool {
        let state: FlowState
        if let s = flow.attachment as? FlowState { state = s } else { state = FlowState(); flow.attachment = state }
        if direction == 0 {
            return read(bytes, state: state, direction: &state.directions.0, index: 0, flow: flow)
        }
        return read(bytes, state: state, direction: &state.directions.1, index: 1, flow: flow)
    }

    public func tcpGap(_ flow: TCPFlow, direction: Int) -> Bool {
        guard let state = flow.attachment as? FlowState else { return true }
        func gap(_ d: inout DirectionState) -> Bool {
            switch d.mode {
            case .detecting:
                d.candidate = []
                return true
            case .tls:
                count(PipelineCounter.tlsStreamGaps)
                d.parser.finish()
                d.mode = .done
                return false
            case .done:
                return false
            }
        }
        return direction == 0 ? gap(&state.directions.0) : gap(&state.directions.1)
    }

    public func tcpFlowEnded(_ flow: TCPFlow, reason: FlowEndReason) {
        flow.attachment = nil
    }

    private func read(_ bytes: UnsafeRawBufferPointer, state: FlowState, direction d: inout DirectionState, index: Int,
                      flow: TCPFlow) -> Bool {
        switch d.mode {
        case .done:
            return false
        case .detecting:
            var detection: TLSDetection
            if d.candidate.isEmpty {
                detection = detectTLS(bytes)
            } else {
                d.candidate.append(contentsOf: bytes.prefix(16))
                detection = d.candidate.withUnsafeBytes { detectTLS($0) }
            }
            switch detection {
            case .tls, .sslv2:
                d.mode = .tls
                if !state.countedAsTLS { state.countedAsTLS = true; count(PipelineCounter.tlsFlows) }
                if d.candidate.isEmpty {
                    feedTLS(bytes, state: state, direction: &d, index: index, flow: flow)
                } else {
                    // The candidate holds the earlier bytes plus a prefix of these: feed the earlier bytes, then all of these.
                    let earlier = Array(d.candidate.prefix(d.candidate.count - min(16, bytes.count)))
                    d.candidate = []
                    earlier.withUnsafeBytes { feedTLS($0, state: state, direction: &d, index: index, flow: flow) }
                    feedTLS(bytes, state: state, direction: &d, index: index, flow: flow)
                }
            case .needMoreBytes:
                if d.candidate.isEmpty { d.candidate.append(contentsOf: bytes) }
                if d.candidate.count > 16 { d.candidate = [] }
            case .notTLS:
                d.candidate = []
                d.plaintextBytes += bytes.count
                d.plaintextSegments += 1
                if d.plaintextBytes > limits.maximumPlaintextBeforeTLS || d.plaintextSegments > limits.maximumSegmentsBeforeTLS {
                    d.mode = .done
                    count(PipelineCounter.tlsNotDetected)
                }
            }
        case .tls:
            feedTLS(bytes, state: state, direction: &d, index: index, flow: flow)
        }
        return d.mode != .done
    }

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
                    emitClientHello(hello, recordVersion: 0x0002, flow: flow, direction: index, index: state.clientHellos)
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
            case .malformed(let reason):
                count(PipelineCounter.tlsMalformedPrefix + reason)
                stop = true
            }
        }
        if stop {
            d.parser.finish()
            d.mode = .done
        }
    }

    /// Handles one handshake message; returns true when this direction needs no more bytes.
    private func handshake(type: UInt8, body: [UInt8], recordVersion: UInt16, state: FlowState, index: Int,
                           flow: TCPFlow) -> Bool {
        switch type {
        case HandshakeType.clientHello:
            guard let hello = try? ClientHello(body: body) else {
                count(PipelineCounter.tlsClientHelloMalformed)
                return true
            }
            if state.clientDirection == nil { state.clientDirection = index }
            state.clientHellos += 1
            if state.sni == nil { state.sni = hello.serverName }
            emitClientHello(hello, recordVersion: recordVersion, flow: flow, direction: index, index: state.clientHellos)
            return false
        case HandshakeType.serverHello:
            guard let hello = try? ServerHello(body: body) else {
                count(PipelineCounter.tlsServerHelloMalformed)
                return true
            }
            if state.clientDirection == nil { state.clientDirection = 1 - index }
            state.serverHellos += 1
            emitServerHello(hello, recordVersion: recordVersion, flow: flow, direction: index, index: state.serverHellos,
                            sni: state.sni)
            // After a TLS 1.3 ServerHello everything the server sends is encrypted.
            return !hello.isHelloRetryRequest && hello.negotiatedVersion == 0x0304
        case HandshakeType.serverHelloDone, HandshakeType.finished:
            return true
        default:
            return false
        }
    }
}
