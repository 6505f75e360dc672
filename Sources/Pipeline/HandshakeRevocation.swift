import CaptureInput
import PKIParsing
import TLSParsing

/// What a TLS or DTLS handshake said about revocation: the SNI, whether status_request was offered and
/// acknowledged, the certificate chain waiting to be reported, and a stapled `revoked` response.
final class HandshakeRevocationState {
    var sni: String?
    var clientOfferedStatusRequest = false
    var serverAcknowledgedStatusRequest = false
    var pendingCertificates: [X509Certificate] = []
    var certificateContext: EventContext?
    var stapled = false
    var revokedStaple: (frame: Int, serial: String?)?
    var revokedAcceptedReported = false
}

extension CaptureAnalyzer {
    /// Certificates kept from one Certificate message.
    static let maximumChainLength = 16

    /// TLS ≤1.2 Certificate (RFC 5246 §7.4.2): `opaque ASN.1Cert<1..2^24-1>; ASN.1Cert certificate_list<0..2^24-1>;`
    /// The chain is reported once the server has said whether it staples (see `flushCertificates`).
    func certificateMessage(_ body: [UInt8], state: HandshakeRevocationState, context: EventContext) {
        var parsed: [X509Certificate] = []
        body.withUnsafeBytes { raw in
            var c = ByteCursor(raw)
            guard let list = c.readVector24() else { count(PipelineCounter.tlsCertificateMalformed); return }
            var l = ByteCursor(list)
            while !l.isAtEnd && parsed.count < Self.maximumChainLength {
                guard let der = l.readVector24() else { count(PipelineCounter.tlsCertificateMalformed); break }
                if let cert = try? X509Certificate(derEncoded: Array(der)) {
                    parsed.append(cert)
                } else {
                    count(PipelineCounter.tlsCertificateMalformed)
                }
            }
        }
        state.pendingCertificates = parsed
        state.certificateContext = context
    }

    /// CertificateStatus (RFC 6066 §8): the stapled OCSP response.
    func certificateStatusMessage(_ body: [UInt8], state: HandshakeRevocationState, context: EventContext) {
        guard let status = try? CertificateStatus(tlsMessageBody: body), let response = status.response else {
            count(PipelineCounter.tlsStapleMalformed)
            return
        }
        state.stapled = true
        let event = OCSPStapleEvent(context: context, sni: state.sni, response: response,
                                    clientOfferedStatusRequest: state.clientOfferedStatusRequest,
                                    serverAcknowledged: state.serverAcknowledgedStatusRequest,
                                    leafSerial: state.pendingCertificates.first?.serialNumber.hex)
        count(PipelineCounter.ocspStaples)
        sink.handle(.ocspStaple(event))
        if let revoked = response.basic?.responses.first(where: { if case .revoked = $0.certStatus { return true } else { return false } }) {
            state.revokedStaple = (frame: context.frame, serial: revoked.certID.serialNumber.hex)
        }
        flushCertificates(state)
    }

    /// Reports the pending chain, with whether a staple came with it.
    func flushCertificates(_ state: HandshakeRevocationState) {
        guard let ctx = state.certificateContext, !state.pendingCertificates.isEmpty else { return }
        let chain = state.pendingCertificates
        state.pendingCertificates = []
        state.certificateContext = nil
        for (i, cert) in chain.enumerated() {
            count(PipelineCounter.tlsCertificates)
            sink.handle(.certificate(CertificateEvent(context: ctx, sni: state.sni, chainIndex: i, chainLength: chain.count,
                                                      certificate: cert, issuer: i + 1 < chain.count ? chain[i + 1] : nil,
                                                      stapled: state.stapled)))
        }
    }
}
