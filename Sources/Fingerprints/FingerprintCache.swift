import TLSParsing

/// Remembers the JA3, JA4 and JA3S of recently seen hello shapes, so a client that connects again with the same
/// hello (what most clients do: the random, session ID, key shares, SNI value and GREASE values change, the lists
/// do not) is fingerprinted without building and hashing the strings again.
///
/// The key holds every input the fingerprints read, so a hit gives exactly what `JA3(clientHello:)` and
/// `JA4(clientHello:transport:)` would compute: the transport, legacy_version, the highest offered version,
/// whether SNI is present, the JA4 ALPN code, and the cipher, extension, signature-algorithm, group and
/// point-format lists (GREASE removed where the fingerprints remove it), each with its length. A client that
/// shuffles its extensions per connection (Chromium) misses on every hello and pays only the key.
///
/// Bounded: at most `capacity` shapes per kind; when full it starts over.
public final class FingerprintCache {
    public let capacity: Int
    public private(set) var hits = 0
    public private(set) var misses = 0
    private var clientHellos: [[UInt16]: (ja3: JA3?, ja4: JA4)] = [:]
    private var serverHellos: [[UInt16]: JA3] = [:]
    private var key: [UInt16] = []

    public init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// JA3 (nil for the SSL 2.0 format) and JA4 of `hello`.
    public func clientHello(_ hello: ClientHello, transport: JA4.Transport) -> (ja3: JA3?, ja4: JA4) {
        if hello.isSSLv2Format {
            return (JA3(clientHello: hello), JA4(clientHello: hello, transport: transport))
        }
        buildClientKey(hello, transport: transport)
        if let found = clientHellos[key] {
            hits += 1
            return found
        }
        misses += 1
        let value = (JA3(clientHello: hello), JA4(clientHello: hello, transport: transport))
        if clientHellos.count >= capacity { clientHellos.removeAll(keepingCapacity: true) }
        clientHellos[key] = value
        return value
    }

    /// JA3S of `hello`.
    public func serverHello(_ hello: ServerHello) -> JA3 {
        key.removeAll(keepingCapacity: true)
        key.append(hello.legacyVersion)
        key.append(hello.cipherSuite)
        for e in hello.extensions { key.append(e.type) }
        if let found = serverHellos[key] {
            hits += 1
            return found
        }
        misses += 1
        let value = JA3(serverHello: hello)
        if serverHellos.count >= capacity { serverHellos.removeAll(keepingCapacity: true) }
        serverHellos[key] = value
        return value
    }

    private func buildClientKey(_ h: ClientHello, transport: JA4.Transport) {
        key.removeAll(keepingCapacity: true)
        switch transport {
        case .tcp: key.append(0)
        case .quic: key.append(1)
        case .dtls: key.append(2)
        }
        key.append(h.legacyVersion)
        key.append(h.highestOfferedVersion)
        var hasSNI: UInt16 = 0
        for e in h.extensions where e.type == ExtensionType.serverName { hasSNI = 1; break }
        key.append(hasSNI)
        for b in JA4.alpnCode(h.alpnProtocols.first).utf8 { key.append(UInt16(b)) }
        func list(_ values: [UInt16], dropGREASE: Bool) {
            let lengthAt = key.count
            key.append(0)
            for v in values where !(dropGREASE && isGREASE(v)) { key.append(v) }
            key[lengthAt] = UInt16(truncatingIfNeeded: key.count - lengthAt - 1)
        }
        list(h.cipherSuites, dropGREASE: true)
        let lengthAt = key.count
        key.append(0)
        for e in h.extensions where !isGREASE(e.type) { key.append(e.type) }
        key[lengthAt] = UInt16(truncatingIfNeeded: key.count - lengthAt - 1)
        list(h.signatureAlgorithms, dropGREASE: true)
        list(h.supportedGroups, dropGREASE: true)
        list(h.ecPointFormats.map { UInt16($0) }, dropGREASE: false)
    }
}
