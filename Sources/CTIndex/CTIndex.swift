import PKIParsing

/// How well a CT entry matches an OCSP CertID (or a serial and issuer hashes), best last.
public enum CTMatchQuality: String, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// Only the serial number is shared; the issuer could not be checked (no hashes known for that entry).
    case serialOnly = "serial-only"
    /// Serial and issuer name: the entry's issuer Name DER hash equals the CertID's issuerNameHash, or its issuer
    /// DN string equals the subject of a known issuer certificate whose name hash equals it.
    case serialIssuerName = "serial+issuer-name"
    /// Serial, issuer name and issuer key: the entry's issuer certificate is known (RFC 6962 chain, a bundle or
    /// directory holding the issuer, or a certificate learned with its issuer) and both hashes are equal.
    case serialIssuerKey = "serial+issuer-key"

    private var rank: Int {
        switch self {
        case .serialOnly: return 0
        case .serialIssuerName: return 1
        case .serialIssuerKey: return 2
        }
    }

    public static func < (a: CTMatchQuality, b: CTMatchQuality) -> Bool { a.rank < b.rank }
    public var description: String { rawValue }
}

/// What an entry's `recordID` is.
public enum CTRecordKind: String, Sendable, Hashable {
    /// crt.sh certificate id (`id`).
    case crtshID = "crtsh-id"
    /// CT log entry index (certstream `cert_index`, Censys `ct.<log>.index`, `leaf_index` when given).
    case logIndex = "log-index"
    /// 0-based position of the entry in its file (get-entries without an index, PEM bundles).
    case fileEntry = "file-entry"
    /// Learned from a capture (`learn`); no id.
    case capture
}

/// One index entry that shares the looked-up serial.
public struct CTCandidate: Sendable, Hashable {
    public var quality: CTMatchQuality
    /// Lower-cased subject CN and SANs (and the SNI for learned certificates), sorted, deduplicated.
    public var hostnames: [String]
    /// Issuer DN as the source wrote it (certificates: encoding order, `C=US, O=…, CN=…`).
    public var issuer: String
    /// The file (or capture name) the entry came from.
    public var source: String
    public var recordKind: CTRecordKind
    /// crt.sh id, log index or position in the file (see `recordKind`); nil for learned entries.
    public var recordID: Int64?
    public var notBefore: Int64?
    public var notAfter: Int64?
    /// Normalised serial (`SerialNumber.hex`).
    public var serial: String
}

/// The result of a lookup: every candidate that is not excluded by the issuer information, best first.
public struct CTMatch: Sendable, Hashable {
    /// The best candidate quality.
    public var quality: CTMatchQuality
    /// Hostnames of the best-quality candidates, sorted and deduplicated.
    public var hostnames: [String]
    /// Every candidate not excluded, best quality first, then load order.
    public var candidates: [CTCandidate]
    /// True when the best-quality candidates name more than one issuer (a serial shared by two CAs that the
    /// issuer information could not tell apart).
    public var ambiguous: Bool
    /// Normalised serial.
    public var serial: String
}

public enum CTIndexError: Error, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case unknownFormat(path: String)
    case capacityExceeded(String)
    /// The loader's reader thread could not be created (the system's thread limit).
    case threadNotStarted

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r): return "\(p): cannot open: \(r)"
        case .unknownFormat(let p): return "\(p): format not recognised (use --ct-format)"
        case .capacityExceeded(let w): return "index capacity exceeded: \(w)"
        case .threadNotStarted: return "cannot start the loader's reader thread"
        }
    }
}

/// Limits of the loaders.
public struct CTIndexLimits: Sendable {
    /// Largest JSON record, PEM block or DER certificate kept; larger ones are skipped and counted.
    public var maximumRecordSize = 1 << 20
    /// Problems (record number, line, reason) kept per load; all are counted.
    public var maximumProblemsKept = 20
    /// Hostnames kept per entry (crt.sh rows can list thousands).
    public var maximumHostnamesPerEntry = 1000
    /// Longest hostname kept (bytes).
    public var maximumHostnameLength = 1024
    public init() {}
}

/// Certificate Transparency correlation index: maps an OCSP CertID (issuer hashes + serial) or a serial back to the
/// hostnames of the certificate, from CT exports and certificates (see docs/ct-correlation.md).
///
/// Storage is compact: serials, hostnames and issuer names are interned byte strings (`ByteTable`); an entry is a
/// 48-byte record of ids; issuer hashes are kept as 8-byte prefixes per distinct issuer.
public struct CTIndex: Sendable {
    struct Entry: Sendable {
        var serial: UInt32
        var next: UInt32
        var issuer: UInt32
        var namesStart: UInt32
        var recordID: Int64
        /// Seconds since the epoch clamped to 1…2^32 − 1 (1970-01-01…2106-02-07); 0 = unknown.
        var notBefore: UInt32
        var notAfter: UInt32
        var source: UInt32
        var namesCount: UInt16
        var kind: UInt8
    }

    struct IssuerRecord: Sendable, Hashable {
        /// Normalised DN string id, or `none`.
        var dn: UInt32 = none
        /// Display string id, or `none`.
        var display: UInt32 = none
        var hasNameHash = false
        var nameSHA1: UInt64 = 0
        var nameSHA256: UInt64 = 0
        var hasKeyHash = false
        var keySHA1: UInt64 = 0
        var keySHA256: UInt64 = 0
    }

    /// An issuer certificate seen anywhere (chains, bundles, learned issuers): links DN strings to hashes.
    struct KnownIssuer: Sendable, Hashable {
        var dn: UInt32
        var nameSHA1: UInt64
        var nameSHA256: UInt64
        var keySHA1: UInt64
        var keySHA256: UInt64
    }

    static let none = UInt32.max
    static let noTime = Int64.min

    public var limits: CTIndexLimits
    var strings = ByteTable()
    var serials = ByteTable()
    var serialHeads: [UInt32] = []
    var entries: [Entry] = []
    var names: [UInt32] = []
    var issuers: [IssuerRecord] = []
    var issuerIDs: [IssuerRecord: UInt32] = [:]
    /// Raw issuer string id (crt.sh `issuer_name` as written) → issuer record.
    var issuerByRawName: [UInt32: UInt32] = [:]
    var knownIssuers: [KnownIssuer] = []
    var knownIssuerSet: Set<KnownIssuer> = []
    var knownByDN: [UInt32: [Int]] = [:]
    var knownByNameSHA1: [UInt64: [Int]] = [:]
    var knownByNameSHA256: [UInt64: [Int]] = [:]
    var sources: [String] = []
    var sourceIDs: [String: UInt32] = [:]

    public init(limits: CTIndexLimits = CTIndexLimits()) {
        self.limits = limits
    }

    /// Number of entries.
    public var count: Int { entries.count }
    /// Number of distinct serials.
    public var distinctSerials: Int { serials.count }
    /// Issuer certificates known (their DN and hashes), from chains, bundles and learned issuers.
    public var knownIssuerCount: Int { knownIssuers.count }

    /// Bytes held by the index's tables (capacity, not counting allocator overhead).
    public var approximateMemoryBytes: Int {
        strings.approximateBytes + serials.approximateBytes + serialHeads.capacity * 4
            + entries.capacity * MemoryLayout<Entry>.stride + names.capacity * 4
            + issuers.capacity * MemoryLayout<IssuerRecord>.stride * 3 + knownIssuers.capacity * 80
    }

    // MARK: - Adding

    mutating func sourceID(_ s: String) -> UInt32 {
        if let id = sourceIDs[s] { return id }
        let id = UInt32(sources.count)
        sources.append(s)
        sourceIDs[s] = id
        return id
    }

    mutating func internString(_ bytes: UnsafeBufferPointer<UInt8>) throws -> UInt32 {
        guard let id = strings.intern(bytes) else { throw CTIndexError.capacityExceeded("string pool above 4 GiB") }
        return id
    }

    mutating func internString(_ s: String) throws -> UInt32 {
        var a = Array(s.utf8)
        return try a.withUnsafeMutableBufferPointer { try internString(UnsafeBufferPointer($0)) }
    }

    mutating func issuerID(_ r: IssuerRecord) -> UInt32 {
        if let id = issuerIDs[r] { return id }
        let id = UInt32(issuers.count)
        issuers.append(r)
        issuerIDs[r] = id
        return id
    }

    /// Hostname normalisation: trimmed, ASCII lower-cased, one trailing dot removed; empty names, names without a
    /// letter or digit, and text with spaces, brackets, quotes, commas or slashes dropped.
    mutating func internHostname(_ raw: UnsafeBufferPointer<UInt8>, scratch: inout [UInt8]) throws -> UInt32? {
        var start = 0
        var end = raw.count
        while start < end, isSpace(raw[start]) { start += 1 }
        while end > start, isSpace(raw[end - 1]) { end -= 1 }
        if end > start, raw[end - 1] == UInt8(ascii: ".") { end -= 1 }
        guard end > start, end - start <= limits.maximumHostnameLength else { return nil }
        let n = end - start
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { out -> UInt32? in
            var alnum = false
            for k in 0..<n {
                let c = raw[start + k]
                // Identities only: DNS names (wildcards, IDNA), IP addresses, e-mail addresses; no spaces or brackets.
                let cls = CTIndex.hostnameByteClass(c)
                if cls == 0 { return nil }
                if cls == 2 { alnum = true }
                out[k] = c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c
            }
            guard alnum else { return nil }
            return try internString(UnsafeBufferPointer(out))
        }
    }

    /// 0 = not allowed in a hostname (controls, space, `()",/\<>[]{}|``^`, DEL), 1 = allowed, 2 = letter, digit
    /// or non-ASCII. Bit masks rather than a table: no lazy global in the hot loop.
    @inline(__always)
    static func hostnameByteClass(_ c: UInt8) -> UInt8 {
        if c >= 0x80 { return 2 }
        let bit = UInt64(1) << UInt64(c & 63)
        // Letters and digits.
        let alnumLow: UInt64 = 0x03FF_0000_0000_0000  // '0'...'9'
        let alnumHigh: UInt64 = 0x07FF_FFFE_07FF_FFFE  // 'A'...'Z', 'a'...'z'
        // Forbidden: 0x00-0x20, '"' 0x22, '(' 0x28, ')' 0x29, ',' 0x2c, '/' 0x2f, '<' 0x3c, '>' 0x3e;
        // '[' 0x5b, '\\' 0x5c, ']' 0x5d, '^' 0x5e, '`' 0x60, '{' 0x7b, '|' 0x7c, '}' 0x7d, DEL 0x7f.
        let forbiddenLow: UInt64 = 0x5000_9305_FFFF_FFFF
        let forbiddenHigh: UInt64 = 0xB800_0001_7800_0000
        if c < 64 {
            if forbiddenLow & bit != 0 { return 0 }
            return alnumLow & bit != 0 ? 2 : 1
        }
        if forbiddenHigh & bit != 0 { return 0 }
        return alnumHigh & bit != 0 ? 2 : 1
    }

    mutating func internHostname(_ s: String, scratch: inout [UInt8]) throws -> UInt32? {
        var a = Array(s.utf8)
        return try a.withUnsafeMutableBufferPointer { try internHostname(UnsafeBufferPointer($0), scratch: &scratch) }
    }

    /// Appends an entry. `serialMagnitude` has no leading zero octet.
    mutating func addEntry(serialMagnitude: UnsafeBufferPointer<UInt8>, issuer: UInt32, hostnames: [UInt32],
                           recordID: Int64?, kind: CTRecordKind, notBefore: Int64?, notAfter: Int64?,
                           source: UInt32) throws {
        guard entries.count < Int(UInt32.max) - 1, names.count + hostnames.count < Int(UInt32.max) else {
            throw CTIndexError.capacityExceeded("more than 2^32 entries or hostnames")
        }
        guard let sid = serials.intern(serialMagnitude) else {
            throw CTIndexError.capacityExceeded("serial pool above 4 GiB")
        }
        let e = UInt32(entries.count)
        // New entries go to the head of their serial's chain (lookups sort candidates back into load order).
        var next = CTIndex.none
        if Int(sid) == serialHeads.count {
            serialHeads.append(e)
        } else {
            next = serialHeads[Int(sid)]
            serialHeads[Int(sid)] = e
        }
        let start = UInt32(names.count)
        var n = 0
        for h in hostnames where n < limits.maximumHostnamesPerEntry {
            // Small lists: a linear duplicate check is cheaper than a set.
            var dup = false
            var k = Int(start)
            while k < names.count {
                if names[k] == h {
                    dup = true
                    break
                }
                k += 1
            }
            if !dup {
                names.append(h)
                n += 1
            }
        }
        let kindCode: UInt8
        switch kind {
        case .crtshID: kindCode = 0
        case .logIndex: kindCode = 1
        case .fileEntry: kindCode = 2
        case .capture: kindCode = 3
        }
        entries.append(Entry(serial: sid, next: next, issuer: issuer, namesStart: start,
                             recordID: recordID ?? CTIndex.noTime, notBefore: CTIndex.packTime(notBefore),
                             notAfter: CTIndex.packTime(notAfter), source: source, namesCount: UInt16(n),
                             kind: kindCode))
    }

    @inline(__always)
    static func packTime(_ t: Int64?) -> UInt32 {
        guard let t else { return 0 }
        return UInt32(clamping: max(1, t))
    }

    static func prefix64(_ h: [UInt8]) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<min(8, h.count) { v = v << 8 | UInt64(h[k]) }
        return v
    }

    /// Registers a certificate as a possible issuer (its subject DN and hashes).
    @discardableResult
    mutating func registerIssuer(_ cert: X509Certificate) throws -> KnownIssuer {
        let dn = try internString(DNNormalizer.normalize(cert.subject))
        let k = KnownIssuer(dn: dn,
                            nameSHA1: CTIndex.prefix64(cert.subjectNameHash(.sha1)),
                            nameSHA256: CTIndex.prefix64(cert.subjectNameHash(.sha256)),
                            keySHA1: CTIndex.prefix64(cert.subjectPublicKeyHash(.sha1)),
                            keySHA256: CTIndex.prefix64(cert.subjectPublicKeyHash(.sha256)))
        if knownIssuerSet.insert(k).inserted {
            knownByDN[dn, default: []].append(knownIssuers.count)
            knownByNameSHA1[k.nameSHA1, default: []].append(knownIssuers.count)
            knownByNameSHA256[k.nameSHA256, default: []].append(knownIssuers.count)
            knownIssuers.append(k)
        }
        return k
    }

    /// The issuer record of a certificate, with key hashes when its issuer certificate is given.
    mutating func issuerRecord(for cert: X509Certificate, issuer: X509Certificate?) throws -> UInt32 {
        var r = IssuerRecord()
        r.dn = try internString(DNNormalizer.normalize(cert.issuer))
        r.display = try internString(DNNormalizer.display(cert.issuer))
        r.hasNameHash = true
        r.nameSHA1 = CTIndex.prefix64(PKIDigest.hash(.sha1, cert.issuerDER))
        r.nameSHA256 = CTIndex.prefix64(PKIDigest.hash(.sha256, cert.issuerDER))
        if let issuer {
            let k = try registerIssuer(issuer)
            r.hasKeyHash = true
            r.keySHA1 = k.keySHA1
            r.keySHA256 = k.keySHA256
        }
        return issuerID(r)
    }

    /// Adds a parsed certificate (from any source).
    mutating func addCertificate(_ cert: X509Certificate, issuer: X509Certificate?, extraHostnames: [String],
                                 recordID: Int64?, kind: CTRecordKind, source: UInt32,
                                 scratch: inout [UInt8]) throws {
        let iid = try issuerRecord(for: cert, issuer: issuer)
        var hostIDs: [UInt32] = []
        for h in [cert.subject.commonName].compactMap({ $0 }) + cert.dnsNames + cert.ipAddresses + extraHostnames {
            if let id = try internHostname(h, scratch: &scratch) { hostIDs.append(id) }
        }
        if cert.isCA != false { try registerIssuer(cert) }
        try cert.serialNumber.bytes.withUnsafeBufferPointer {
            try addEntry(serialMagnitude: $0, issuer: iid, hostnames: hostIDs, recordID: recordID, kind: kind,
                         notBefore: cert.notBefore.secondsSinceEpoch, notAfter: cert.notAfter.secondsSinceEpoch,
                         source: source)
        }
    }

    // MARK: - Learning from captures

    /// Adds a certificate seen in a capture (a TLS ≤ 1.2 Certificate message): the leaf joins the index with the
    /// SNI of its connection among its hostnames; `issuer` (the next certificate of the chain, when it issued the
    /// leaf) gives key hashes and is registered as a known issuer. Repeated calls with the same certificate, SNI and
    /// source add nothing.
    public mutating func learn(certificate: X509Certificate, issuer: X509Certificate?, sni: String?, source: String) {
        var scratch: [UInt8] = []
        do {
            let useIssuer = issuer.flatMap { $0.subject.derEncoded == certificate.issuer.derEncoded ? $0 : nil }
            let iid = try issuerRecord(for: certificate, issuer: useIssuer)
            let src = sourceID(source)
            var wanted: [UInt32] = []
            for h in [certificate.subject.commonName].compactMap({ $0 }) + certificate.dnsNames
                + certificate.ipAddresses + (sni.map { [$0] } ?? []) {
                if let id = try internHostname(h, scratch: &scratch) { wanted.append(id) }
            }
            if let sid = certificate.serialNumber.bytes.withUnsafeBufferPointer({ serials.find($0) }) {
                var e = serialHeads[Int(sid)]
                while e != CTIndex.none {
                    let entry = entries[Int(e)]
                    if entry.issuer == iid, entry.source == src, entry.kind == 3 {
                        let have = Set(names[Int(entry.namesStart)..<Int(entry.namesStart) + Int(entry.namesCount)])
                        if wanted.allSatisfy(have.contains) { return }
                    }
                    e = entry.next
                }
            }
            try certificate.serialNumber.bytes.withUnsafeBufferPointer {
                try addEntry(serialMagnitude: $0, issuer: iid, hostnames: wanted, recordID: nil, kind: .capture,
                             notBefore: certificate.notBefore.secondsSinceEpoch,
                             notAfter: certificate.notAfter.secondsSinceEpoch, source: src)
            }
        } catch {
            // Capacity exceeded: the certificate is not learned.
        }
    }

    /// Registers issuer certificates (for instance a CA bundle) without adding them as entries, so that entries that
    /// carry only an issuer DN string (crt.sh) can be checked against CertID hashes.
    public mutating func addIssuers(_ certificates: [X509Certificate]) {
        for c in certificates { _ = try? registerIssuer(c) }
    }

    // MARK: - Lookup

    /// Looks up an OCSP CertID. `issuerCandidates` are certificates the caller believes may be the issuer (for
    /// instance the TLS chain of the connection); they let entries known only by an issuer DN string be checked.
    public func lookup(certID: OCSPCertID, issuerCandidates: [X509Certificate] = []) -> CTMatch? {
        var algorithm = PKIDigest.Algorithm(oid: certID.hashAlgorithm.oid)
        var nameHash: [UInt8]? = certID.issuerNameHash
        var keyHash: [UInt8]? = certID.issuerKeyHash
        if algorithm != .sha1 && algorithm != .sha256 {
            // Another digest: find the issuer among the candidates and continue with its SHA-1 hashes.
            if let c = issuerCandidates.first(where: { certID.matches(issuer: $0, serial: certID.serialNumber) }) {
                algorithm = .sha1
                nameHash = c.subjectNameHash(.sha1)
                keyHash = c.subjectPublicKeyHash(.sha1)
            } else {
                algorithm = nil
                nameHash = nil
                keyHash = nil
            }
        }
        return lookup(serial: certID.serialNumber, issuerNameHash: nameHash, issuerKeyHash: keyHash,
                      hashAlgorithm: algorithm, issuerCandidates: issuerCandidates)
    }

    /// Looks up a serial with optional issuer hashes (`hashAlgorithm` .sha1 or .sha256; when nil it is inferred
    /// from the hash length, 20 → SHA-1, 32 → SHA-256). Without hashes every entry of the serial is a
    /// `serial-only` candidate.
    public func lookup(serial: SerialNumber, issuerNameHash: [UInt8]? = nil, issuerKeyHash: [UInt8]? = nil,
                       hashAlgorithm: PKIDigest.Algorithm? = nil,
                       issuerCandidates: [X509Certificate] = []) -> CTMatch? {
        guard let sid = serial.bytes.withUnsafeBufferPointer({ serials.find($0) }) else { return nil }
        var alg = hashAlgorithm
        if alg == nil {
            let len = issuerNameHash?.count ?? issuerKeyHash?.count
            alg = len == 20 ? .sha1 : len == 32 ? .sha256 : nil
        }
        let query = Query(algorithm: (alg == .sha1 || alg == .sha256) ? alg : nil,
                          name: issuerNameHash.flatMap { $0.count >= 8 ? CTIndex.prefix64($0) : nil },
                          key: issuerKeyHash.flatMap { $0.count >= 8 ? CTIndex.prefix64($0) : nil },
                          candidates: issuerCandidates.map { c in
                              (dn: DNNormalizer.normalize(c.subject),
                               name1: CTIndex.prefix64(c.subjectNameHash(.sha1)),
                               name256: CTIndex.prefix64(c.subjectNameHash(.sha256)),
                               key1: CTIndex.prefix64(c.subjectPublicKeyHash(.sha1)),
                               key256: CTIndex.prefix64(c.subjectPublicKeyHash(.sha256)))
                          })
        var found: [(CTMatchQuality, UInt32, Int)] = []
        var e = serialHeads[Int(sid)]
        while e != CTIndex.none {
            let entry = entries[Int(e)]
            if let q = grade(issuers[Int(entry.issuer)], query) { found.append((q, e, found.count)) }
            e = entry.next
        }
        guard !found.isEmpty else { return nil }
        found.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        let best = found[0].0
        var candidates: [CTCandidate] = []
        var bestNames = Set<String>()
        var bestIssuers = Set<Int>()
        for (q, e, _) in found {
            let c = candidate(Int(e), quality: q)
            if q == best {
                bestNames.formUnion(c.hostnames)
                let r = issuers[Int(entries[Int(e)].issuer)]
                bestIssuers.insert(r.dn != CTIndex.none ? Int(r.dn) : -1 - Int(entries[Int(e)].issuer))
            }
            candidates.append(c)
        }
        return CTMatch(quality: best, hostnames: bestNames.sorted(), candidates: candidates,
                       ambiguous: bestIssuers.count > 1, serial: serial.hex)
    }

    /// Every entry of a serial, without issuer checks.
    public func lookup(serialHex: String) -> CTMatch? {
        guard let s = SerialNumber(hex: serialHex) else { return nil }
        return lookup(serial: s)
    }

    struct Query {
        var algorithm: PKIDigest.Algorithm?
        var name: UInt64?
        var key: UInt64?
        var candidates: [(dn: String, name1: UInt64, name256: UInt64, key1: UInt64, key256: UInt64)]
    }

    /// The quality of an entry's issuer against the query; nil when the issuer information excludes it.
    func grade(_ r: IssuerRecord, _ q: Query) -> CTMatchQuality? {
        guard let alg = q.algorithm, q.name != nil || q.key != nil else { return .serialOnly }
        let sha1 = alg == .sha1
        if r.hasKeyHash, let key = q.key {
            guard (sha1 ? r.keySHA1 : r.keySHA256) == key else { return nil }
            if r.hasNameHash, let name = q.name, (sha1 ? r.nameSHA1 : r.nameSHA256) != name { return nil }
            return .serialIssuerKey
        }
        if r.hasNameHash {
            let entryName = sha1 ? r.nameSHA1 : r.nameSHA256
            if let name = q.name, name != entryName { return nil }
            // Issuer certificates with exactly this name (bundles, directories, chains, the caller's candidates)
            // can confirm the CertID's key.
            var sawIssuer = false
            if let key = q.key {
                for k in (sha1 ? knownByNameSHA1[entryName] : knownByNameSHA256[entryName]) ?? [] {
                    sawIssuer = true
                    if (sha1 ? knownIssuers[k].keySHA1 : knownIssuers[k].keySHA256) == key { return .serialIssuerKey }
                }
                for c in q.candidates where (sha1 ? c.name1 : c.name256) == entryName {
                    sawIssuer = true
                    if (sha1 ? c.key1 : c.key256) == key { return .serialIssuerKey }
                }
            }
            if q.name != nil { return .serialIssuerName }
            return sawIssuer ? nil : .serialOnly
        }
        // Only an issuer DN string: compare with issuer certificates of that DN (known ones and the caller's).
        guard r.dn != CTIndex.none else { return .serialOnly }
        var sawIssuer = false
        for k in knownByDN[r.dn] ?? [] {
            let ki = knownIssuers[k]
            sawIssuer = true
            if issuerMatches(name: sha1 ? ki.nameSHA1 : ki.nameSHA256, key: sha1 ? ki.keySHA1 : ki.keySHA256, q) {
                return .serialIssuerName
            }
        }
        if !q.candidates.isEmpty {
            let dn = strings.string(r.dn)
            for c in q.candidates where c.dn == dn {
                sawIssuer = true
                if issuerMatches(name: sha1 ? c.name1 : c.name256, key: sha1 ? c.key1 : c.key256, q) {
                    return .serialIssuerName
                }
            }
        }
        return sawIssuer ? nil : .serialOnly
    }

    /// An issuer certificate of the entry's DN is the CertID's issuer when the name hash is equal (a different
    /// key with the same name is a re-keyed CA, still the same name).
    private func issuerMatches(name: UInt64, key: UInt64, _ q: Query) -> Bool {
        if let qn = q.name { return qn == name }
        if let qk = q.key { return qk == key }
        return false
    }

    func candidate(_ i: Int, quality: CTMatchQuality) -> CTCandidate {
        let e = entries[i]
        var hosts = Set<String>()
        for k in Int(e.namesStart)..<(Int(e.namesStart) + Int(e.namesCount)) { hosts.insert(strings.string(names[k])) }
        let r = issuers[Int(e.issuer)]
        let kind: CTRecordKind
        switch e.kind {
        case 0: kind = .crtshID
        case 1: kind = .logIndex
        case 2: kind = .fileEntry
        default: kind = .capture
        }
        return CTCandidate(
            quality: quality, hostnames: hosts.sorted(),
            issuer: r.display != CTIndex.none ? strings.string(r.display) : "",
            source: Int(e.source) < sources.count ? sources[Int(e.source)] : "",
            recordKind: kind, recordID: e.recordID == CTIndex.noTime ? nil : e.recordID,
            notBefore: e.notBefore == 0 ? nil : Int64(e.notBefore),
            notAfter: e.notAfter == 0 ? nil : Int64(e.notAfter),
            serial: SerialNumber(magnitude: serials.bytes(e.serial)).hex)
    }
}
