import CaptureInput
import PacketDecoding
import TLSParsing
import QUICParsing
import Fingerprints

/// Per-UDP-conversation numbering of hellos (QUIC and DTLS), bounded.
struct UDPFlowInfo {
    var clientHellos = 0
    var serverHellos = 0
    let handshake = HandshakeRevocationState()
}

extension CaptureAnalyzer {
    /// Most UDP conversations with hello numbering remembered at once; beyond it the table is cleared (counted).
    static let maximumUDPFlows = 65_536

    static func endpointKey(_ e: Endpoint) -> EndpointKey {
        e.address.isIPv6 ? EndpointKey(addressHigh: e.address.hi, addressLow: e.address.lo, port: e.port, isIPv6: true)
                         : EndpointKey(ipv4: UInt32(truncatingIfNeeded: e.address.lo), port: e.port)
    }

    /// A UDP datagram: QUIC Initials and DTLS handshakes are recognised by content on any port.
    func processUDP(_ p: borrowing DecodedPacket) {
        let source = p.sourceEndpoint, destination = p.destinationEndpoint
        if destination.port == 53 || destination.port == 5353 {
            dnsQuery(p.payload, source: source, destination: destination)
            return
        }
        switch udpHandshakes.process(datagram: p.payload, from: Self.endpointKey(source), to: Self.endpointKey(destination)) {
        case .none:
            return
        case .quic(let result):
            for m in result.messages {
                let fromClient = m.direction == .client
                handleUDPHandshake(bytes: m.bytes, isDTLS: false, fromClient: fromClient, source: source, destination: destination,
                                   recordVersion: 0, quicVersion: m.version)
            }
        case .dtls(let result):
            for m in result.messages {
                let fromClient = m.senderRole.map { $0 == .client } ?? (m.handshakeType == HandshakeType.clientHello)
                handleUDPHandshake(bytes: m.bytes, isDTLS: true, fromClient: fromClient, source: source, destination: destination,
                                   recordVersion: m.recordVersion, quicVersion: nil)
            }
        }
    }

    private func handleUDPHandshake(bytes: [UInt8], isDTLS: Bool, fromClient: Bool, source: Endpoint, destination: Endpoint,
                                    recordVersion: UInt16, quicVersion: UInt32?) {
        guard bytes.count >= 4 else { return }
        let type = bytes[0]
        let revocationMessage = isDTLS && !fromClient && (type == HandshakeType.certificate || type == HandshakeType.certificateStatus
            || type == HandshakeType.serverHelloDone)
        guard type == HandshakeType.clientHello || type == HandshakeType.serverHello || revocationMessage else { return }
        let (key, _) = FlowKey.make(source: source, destination: destination, transport: IPProtocolNumber.udp)
        if udpFlows[key] == nil && udpFlows.count >= Self.maximumUDPFlows {
            udpFlows.removeAll(keepingCapacity: true)
            count(PipelineCounter.udpFlowStateCleared)
        }
        var info = udpFlows[key] ?? UDPFlowInfo()
        defer { udpFlows[key] = info }
        let body = Array(bytes.dropFirst(4))
        let protocolName = isDTLS ? "dtls" : "quic"
        let context = EventContext(seconds: currentSeconds, nanoseconds: currentNanoseconds, capture: captureName,
                                   frame: currentFrame, source: source, destination: destination, transport: "udp")
        if revocationMessage {
            switch type {
            case HandshakeType.certificate: certificateMessage(body, state: info.handshake, context: context)
            case HandshakeType.certificateStatus: certificateStatusMessage(body, state: info.handshake, context: context)
            default: flushCertificates(info.handshake)
            }
            return
        }
        if type == HandshakeType.clientHello {
            guard let hello = try? ClientHello(body: body, isDTLS: isDTLS) else {
                count(PipelineCounter.tlsClientHelloMalformed)
                return
            }
            info.clientHellos += 1
            let sni = hello.serverName
            if info.clientHellos == 1 {
                info.handshake.sni = sni
                info.handshake.clientOfferedStatusRequest = hello.statusRequest != nil || hello.offersStatusRequestV2
            }
            summary.clientHellos += 1
            let (ja3, ja4) = fingerprints.clientHello(hello, transport: isDTLS ? .dtls : .quic)
            sink.handle(.clientHello(ClientHelloEvent(
                context: context, index: info.clientHellos, protocolName: protocolName, recordVersion: recordVersion,
                hello: hello, sni: sni, ja3: ja3, ja4: ja4, quicVersion: quicVersion)))
        } else {
            guard let hello = try? ServerHello(body: body) else {
                count(PipelineCounter.tlsServerHelloMalformed)
                return
            }
            info.serverHellos += 1
            info.handshake.serverAcknowledgedStatusRequest = hello.acknowledgesStatusRequest
            summary.serverHellos += 1
            sink.handle(.serverHello(ServerHelloEvent(
                context: context, index: info.serverHellos, protocolName: protocolName, recordVersion: recordVersion,
                hello: hello, ja3s: fingerprints.serverHello(hello), sni: info.handshake.sni, quicVersion: quicVersion)))
        }
    }

    func udpCounters(into c: inout [String: Int]) {
        let q = udpHandshakes.quic.counters
        c["quic_datagrams"] = q.datagrams
        c["quic_initial_packets"] = q.initialPackets
        c["quic_decrypt_failures"] = q.decryptFailures
        c["quic_malformed"] = q.malformed
        c["quic_version_negotiation"] = q.versionNegotiation
        c["quic_retry"] = q.retry
        c["quic_unknown_version"] = q.unknownVersion
        c["quic_draft_version"] = q.draftVersion
        c["quic_unknown_frames"] = q.unknownFrames
        c["quic_crypto_bytes_dropped"] = q.cryptoBytesDropped
        c["quic_connections_evicted"] = q.evictedConnections
        let d = udpHandshakes.dtls.counters
        c["dtls_records"] = d.records
        c["dtls_malformed"] = d.malformed
        c["dtls_hello_verify_requests"] = d.helloVerifyRequests
        c["dtls_fragments_dropped"] = d.droppedFragments
        c["dtls_flows_evicted"] = d.evictedFlows
    }
}

extension CaptureAnalyzer {
    /// A DNS query (RFC 1035 §4.1): header, then the first question's QNAME. Only names in the responder catalogue
    /// are reported; nothing is kept.
    func dnsQuery(_ b: UnsafeRawBufferPointer, source: Endpoint, destination: Endpoint) {
        guard b.count >= 12, b[2] & 0x80 == 0, b.be16(4) >= 1 else { return }  // a query with a question
        count(PipelineCounter.dnsQueries)
        // The question name's labels joined by dots (at most 64 labels of at most 63 bytes), as bytes: an ASCII name
        // (as every catalogue host is) is looked up without making strings, which are made only for a match.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64 * 64) { name in
            var o = 12, n = 0, labels = 0
            var ascii = true
            while o < b.count {
                let len = Int(b[o])
                if len == 0 { break }
                guard len < 64, o + 1 + len <= b.count, labels < 64 else { return }  // no compression in a question name
                if labels > 0 { name[n] = UInt8(ascii: "."); n += 1 }
                for k in 0..<len {
                    let c = b[o + 1 + k]
                    if c >= 0x80 { ascii = false }
                    name[n + k] = c
                }
                n += len
                labels += 1
                o += 1 + len
            }
            guard labels > 0 else { return }
            let host = UnsafeBufferPointer(rebasing: name[0..<n])
            if ascii && n <= 255 && ResponderCatalogue.shared.lookupASCII(host) == nil { return }
            // A match, or a name the string lookup must judge (non-ASCII bytes, or longer than 255).
            let text = ascii ? String(decoding: host, as: UTF8.self) : Self.questionName(b)
            let ctx = EventContext(seconds: currentSeconds, nanoseconds: currentNanoseconds, capture: captureName, frame: currentFrame,
                                   source: source, destination: destination, transport: "udp")
            responderContact(host: text, via: "dns", context: ctx)
        }
    }

    /// The question name as text: each label decoded as UTF-8 (invalid bytes replaced), joined by dots. The name's
    /// labels were checked by the caller.
    static func questionName(_ b: UnsafeRawBufferPointer) -> String {
        var o = 12
        var labels: [String] = []
        while o < b.count, b[o] != 0 {
            let len = Int(b[o])
            labels.append(String(decoding: b.view(o + 1, len), as: UTF8.self))
            o += 1 + len
        }
        return labels.joined(separator: ".")
    }
}
