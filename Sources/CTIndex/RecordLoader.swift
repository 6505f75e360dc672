import PKIParsing

/// A record that cannot be used.
struct RecordError: Error {
    let reason: String
    init(_ r: String) { reason = r }
}

/// Turns the records of one file into index entries.
struct RecordLoader {
    let format: CTSourceFormat
    let source: UInt32
    let path: String
    let limits: CTIndexLimits
    var scratch: [UInt8] = []
    var text: [UInt8] = []
    var serial: [UInt8] = []
    var hostIDs: [UInt32] = []
    /// Chain certificates already parsed (RFC 6962 extra_data repeats the same intermediates).
    var chainCache: [[UInt8]: X509Certificate] = [:]

    init(format: CTSourceFormat, source: UInt32, path: String, limits: CTIndexLimits) {
        self.format = format
        self.source = source
        self.path = path
        self.limits = limits
    }

    mutating func problem(_ reason: String, number: Int, line: Int, stats: inout CTLoadStats) {
        if stats.problems.count < limits.maximumProblemsKept {
            stats.problems.append(CTRecordProblem(file: path, record: number, line: line, reason: reason))
        }
    }

    // MARK: JSON records

    mutating func handleJSON(_ ev: JSONRecordSplitter.Event, line: Int, number: Int, index: inout CTIndex,
                             stats: inout CTLoadStats) throws {
        switch ev {
        case .malformed(let reason):
            stats.malformed += 1
            problem(reason, number: number, line: line, stats: &stats)
        case .oversized(let size):
            stats.oversized += 1
            problem("record of \(size) bytes exceeds \(limits.maximumRecordSize)", number: number, line: line,
                    stats: &stats)
        case .record(let bytes):
            do {
                let added: Bool
                switch format {
                case .rfc6962: added = try rfc6962(bytes, position: number - 1, index: &index)
                case .certstream: added = try certstream(bytes, index: &index)
                case .censys: added = try censys(bytes, index: &index)
                default: added = false
                }
                if added { stats.entries += 1 } else { stats.ignored += 1 }
            } catch let e as RecordError {
                stats.malformed += 1
                problem(e.reason, number: number, line: line, stats: &stats)
            } catch let e as JSONError {
                stats.malformed += 1
                problem("JSON: \(e.description)", number: number, line: line, stats: &stats)
            }
        }
    }

    @inline(__always)
    static func keyIs(_ key: UnsafeBufferPointer<UInt8>, _ k: StaticString) -> Bool {
        guard key.count == k.utf8CodeUnitCount else { return false }
        return memcmpBytes(k.utf8Start, key.baseAddress!, key.count)
    }

    /// Hex serial text → magnitude octets (no leading zero octet) in `serial`. Accepts upper/lower case, odd
    /// length, `:`/space/`-` separators and a `0x` prefix.
    static func hexSerial(_ s: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        var start = 0
        if s.count >= 2, s[0] == UInt8(ascii: "0"), s[1] == UInt8(ascii: "x") || s[1] == UInt8(ascii: "X") {
            start = 2
        }
        guard s.count > start, s.count - start <= 4096 else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: s.count) { digits -> Bool in
            var n = 0
            for k in start..<s.count {
                let c = s[k]
                if let v = hexValue(c) {
                    digits[n] = v
                    n += 1
                } else if c != UInt8(ascii: ":") && c != UInt8(ascii: " ") && c != UInt8(ascii: "-") {
                    return false
                }
            }
            guard n > 0 else { return false }
            // Skip leading zero digits, keep an even count (left-pad with one zero digit when odd).
            var i = 0
            while i < n - 1, digits[i] == 0 { i += 1 }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n / 2 + 1) { bytes -> Bool in
                var m = 0
                if (n - i) % 2 == 1 {
                    bytes[0] = digits[i]
                    m = 1
                    i += 1
                }
                while i < n {
                    bytes[m] = digits[i] << 4 | digits[i + 1]
                    m += 1
                    i += 2
                }
                // A zero first octet remains only for the value zero (magnitude is empty then).
                var z = 0
                while z < m, bytes[z] == 0 { z += 1 }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[z..<m]))
                return true
            }
        }
    }

    /// Issuer record of a DN string, cached by the string as written.
    mutating func crtshIssuer(_ raw: UnsafeBufferPointer<UInt8>, index: inout CTIndex) throws -> UInt32 {
        let rawID = try index.internString(raw)
        if let r = index.issuerByRawName[rawID] { return r }
        var rec = CTIndex.IssuerRecord()
        rec.display = rawID
        let norm = DNNormalizer.normalize(String(decoding: raw, as: UTF8.self))
        if !norm.isEmpty { rec.dn = try index.internString(norm) }
        let id = index.issuerID(rec)
        index.issuerByRawName[rawID] = id
        return id
    }

    // MARK: RFC 6962

    mutating func rfc6962(_ bytes: UnsafeBufferPointer<UInt8>, position: Int, index: inout CTIndex) throws -> Bool {
        var cur = JSONCursor(bytes)
        var leaf: [UInt8]? = nil
        var extra: [UInt8]? = nil
        var leafIndex: Int64? = nil
        try cur.object { c, key in
            let k = String(decoding: key, as: UTF8.self)
            switch k {
            case "leaf_input", "extra_data":
                try c.string(into: &text)
                guard let d = Base64.decode(text) else { throw RecordError("\(k) is not base64") }
                if k == "leaf_input" { leaf = d } else { extra = d }
            case "leaf_index", "index":
                leafIndex = try c.integer()
            default:
                try c.skipValue()
            }
        }
        guard cur.atEnd() else { throw RecordError("text after the record") }
        guard let leaf else { throw RecordError("no leaf_input") }
        let parsed = try MerkleTreeLeaf(leaf)
        let cert: X509Certificate
        do {
            switch parsed.entry {
            case .x509(let der): cert = try X509Certificate(derEncoded: der)
            case .precert(let tbs): cert = try X509Certificate(derEncoded: MerkleTreeLeaf.wrapTBS(tbs))
            }
        } catch {
            throw RecordError("leaf certificate: \(error)")
        }
        var chain: [X509Certificate] = []
        if let extra {
            for der in try MerkleTreeLeaf.chain(extraData: extra, isPrecert: parsed.isPrecert) {
                if let c = chainCache[der] {
                    chain.append(c)
                } else if let c = try? X509Certificate(derEncoded: der) {
                    if chainCache.count < 4096 { chainCache[der] = c }
                    chain.append(c)
                }
            }
        }
        for c in chain { try index.registerIssuer(c) }
        let issuer = chain.first { $0.subject.derEncoded == cert.issuer.derEncoded }
        try index.addCertificate(cert, issuer: issuer, extraHostnames: [],
                                 recordID: leafIndex ?? Int64(position), kind: leafIndex != nil ? .logIndex : .fileEntry,
                                 source: source, scratch: &scratch)
        return true
    }

    // MARK: certstream

    mutating func certstream(_ bytes: UnsafeBufferPointer<UInt8>, index: inout CTIndex) throws -> Bool {
        var cur = JSONCursor(bytes)
        let v = try cur.value()
        guard cur.atEnd() else { throw RecordError("text after the record") }
        if let t = v["message_type"]?.string, t != "certificate_update" { return false }
        guard let data = v["data"] ?? (v["leaf_cert"] != nil ? v : nil), let leafCert = data["leaf_cert"] else {
            throw RecordError("no data.leaf_cert")
        }
        let certIndex = data["cert_index"]?.int64
        var extra: [String] = []
        for d in leafCert["all_domains"]?.array ?? [] { if let s = d.string { extra.append(s) } }
        if let cn = leafCert["subject"]?["CN"]?.string { extra.append(cn) }
        if let san = leafCert["extensions"]?["subjectAltName"]?.string {
            for part in san.split(separator: ",") {
                let p = part.trimmingSpaces()
                if p.hasPrefix("DNS:") { extra.append(String(p.dropFirst(4))) }
            }
        }
        let chainValues = data["chain"]?.array ?? []
        // Full mode: DER is present.
        if let b64 = leafCert["as_der"]?.string, let der = Base64.decode(b64.utf8),
           let cert = try? X509Certificate(derEncoded: der) {
            var chain: [X509Certificate] = []
            for c in chainValues {
                if let s = c["as_der"]?.string, let d = Base64.decode(s.utf8), let x = try? X509Certificate(derEncoded: d) {
                    chain.append(x)
                }
            }
            for c in chain { try index.registerIssuer(c) }
            let issuer = chain.first { $0.subject.derEncoded == cert.issuer.derEncoded }
            try index.addCertificate(cert, issuer: issuer, extraHostnames: extra, recordID: certIndex,
                                     kind: .logIndex, source: source, scratch: &scratch)
            return true
        }
        guard let serialText = leafCert["serial_number"]?.string else { throw RecordError("no leaf_cert.serial_number") }
        var st = Array(serialText.utf8)
        guard st.withUnsafeMutableBufferPointer({ RecordLoader.hexSerial(UnsafeBufferPointer($0), into: &serial) }) else {
            throw RecordError("serial_number is not hex")
        }
        hostIDs.removeAll(keepingCapacity: true)
        for h in extra { if let id = try index.internHostname(h, scratch: &scratch) { hostIDs.append(id) } }
        let issuerDN = leafCert["issuer"]?["aggregated"]?.string ?? chainValues.first?["subject"]?["aggregated"]?.string
        let iid: UInt32
        if let issuerDN {
            var raw = Array(issuerDN.utf8)
            iid = try raw.withUnsafeMutableBufferPointer { try crtshIssuer(UnsafeBufferPointer($0), index: &index) }
        } else {
            iid = index.issuerID(CTIndex.IssuerRecord())
        }
        try serial.withUnsafeBufferPointer {
            try index.addEntry(serialMagnitude: $0, issuer: iid, hostnames: hostIDs, recordID: certIndex,
                               kind: .logIndex, notBefore: leafCert["not_before"]?.int64,
                               notAfter: leafCert["not_after"]?.int64, source: source)
        }
        return true
    }

    // MARK: Censys

    mutating func censys(_ bytes: UnsafeBufferPointer<UInt8>, index: inout CTIndex) throws -> Bool {
        var cur = JSONCursor(bytes)
        let v = try cur.value()
        guard cur.atEnd() else { throw RecordError("text after the record") }
        let parsed = v["parsed"]
        var extra: [String] = []
        for d in parsed?["names"]?.array ?? [] { if let s = d.string { extra.append(s) } }
        for d in parsed?["extensions"]?["subject_alt_name"]?["dns_names"]?.array ?? [] {
            if let s = d.string { extra.append(s) }
        }
        for d in parsed?["subject"]?["common_name"]?.array ?? [] { if let s = d.string { extra.append(s) } }
        var logIndex: Int64? = nil
        for (_, log) in v["ct"]?.members ?? [] {
            if let i = log["index"]?.int64 {
                logIndex = i
                break
            }
        }
        if let raw = v["raw"]?.string, let der = Base64.decode(raw.utf8), let cert = try? X509Certificate(derEncoded: der) {
            try index.addCertificate(cert, issuer: nil, extraHostnames: extra, recordID: logIndex,
                                     kind: logIndex != nil ? .logIndex : .fileEntry, source: source, scratch: &scratch)
            return true
        }
        guard let serialText = parsed?["serial_number"]?.string else { throw RecordError("no parsed.serial_number") }
        guard let sn = SerialNumber(decimal: serialText) else { throw RecordError("serial_number is not decimal") }
        serial = sn.bytes
        hostIDs.removeAll(keepingCapacity: true)
        for h in extra { if let id = try index.internHostname(h, scratch: &scratch) { hostIDs.append(id) } }
        let iid: UInt32
        if let dn = parsed?["issuer_dn"]?.string {
            var raw = Array(dn.utf8)
            iid = try raw.withUnsafeMutableBufferPointer { try crtshIssuer(UnsafeBufferPointer($0), index: &index) }
        } else {
            iid = index.issuerID(CTIndex.IssuerRecord())
        }
        let nb = parsed?["validity"]?["start"]?.string.flatMap { TimeText.parse(Array($0.utf8)) }
        let na = parsed?["validity"]?["end"]?.string.flatMap { TimeText.parse(Array($0.utf8)) }
        try serial.withUnsafeBufferPointer {
            try index.addEntry(serialMagnitude: $0, issuer: iid, hostnames: hostIDs, recordID: logIndex,
                               kind: logIndex != nil ? .logIndex : .fileEntry, notBefore: nb, notAfter: na,
                               source: source)
        }
        return true
    }

    // MARK: PEM / DER

    mutating func handlePEM(_ ev: CertificateEvent, line: Int, number: Int, index: inout CTIndex,
                            stats: inout CTLoadStats) throws {
        switch ev {
        case .ignored:
            stats.ignored += 1
        case .malformed(let reason):
            stats.malformed += 1
            problem(reason, number: number, line: line, stats: &stats)
        case .oversized(let size):
            stats.oversized += 1
            problem("certificate of \(size) bytes exceeds \(limits.maximumRecordSize)", number: number, line: line,
                    stats: &stats)
        case .certificate(let der):
            do {
                let cert = try X509Certificate(derEncoded: der)
                try index.addCertificate(cert, issuer: nil, extraHostnames: [], recordID: Int64(number - 1),
                                         kind: .fileEntry, source: source, scratch: &scratch)
                stats.entries += 1
            } catch let e as PKIParsingError {
                stats.malformed += 1
                problem("certificate: \(e)", number: number, line: line, stats: &stats)
            }
        }
    }

    /// Certificates of a bundle or directory find their issuers at lookup time through the known-issuer table.
    mutating func finishCertificates(index: inout CTIndex, stats: inout CTLoadStats) throws {}
}

/// RFC 6962 §3.4 MerkleTreeLeaf.
///
/// ```
/// struct { Version version; MerkleLeafType leaf_type; TimestampedEntry timestamped_entry; } MerkleTreeLeaf;
/// struct { uint64 timestamp; LogEntryType entry_type;
///          select(entry_type) { case x509_entry: ASN.1Cert; case precert_entry: PreCert; } signed_entry;
///          CtExtensions extensions; } TimestampedEntry;
/// struct { opaque issuer_key_hash[32]; TBSCertificate tbs_certificate; } PreCert;   -- TBS: opaque <1..2^24-1>
/// ```
struct MerkleTreeLeaf {
    enum Entry {
        case x509([UInt8])
        case precert(tbs: [UInt8])
    }
    var timestamp: UInt64
    var entry: Entry
    var isPrecert: Bool { if case .precert = entry { return true } else { return false } }

    init(_ b: [UInt8]) throws {
        guard b.count >= 12 else { throw RecordError("leaf_input shorter than a MerkleTreeLeaf header") }
        guard b[0] == 0 else { throw RecordError("MerkleTreeLeaf version \(b[0])") }
        guard b[1] == 0 else { throw RecordError("MerkleTreeLeaf leaf_type \(b[1])") }
        timestamp = b[2..<10].reduce(0) { $0 << 8 | UInt64($1) }
        let type = Int(b[10]) << 8 | Int(b[11])
        var i = 12
        func u24() throws -> Int {
            guard i + 3 <= b.count else { throw RecordError("leaf_input truncated") }
            defer { i += 3 }
            return Int(b[i]) << 16 | Int(b[i + 1]) << 8 | Int(b[i + 2])
        }
        switch type {
        case 0:
            let n = try u24()
            guard i + n <= b.count else { throw RecordError("leaf_input truncated (certificate)") }
            entry = .x509(Array(b[i..<(i + n)]))
            i += n
        case 1:
            guard i + 32 <= b.count else { throw RecordError("leaf_input truncated (issuer_key_hash)") }
            i += 32
            let n = try u24()
            guard i + n <= b.count else { throw RecordError("leaf_input truncated (tbs_certificate)") }
            entry = .precert(tbs: Array(b[i..<(i + n)]))
            i += n
        default:
            throw RecordError("unknown LogEntryType \(type)")
        }
        guard i + 2 <= b.count else { throw RecordError("leaf_input truncated (extensions)") }
        let ext = Int(b[i]) << 8 | Int(b[i + 1])
        guard i + 2 + ext == b.count else { throw RecordError("leaf_input length mismatch") }
    }

    /// The certificates of extra_data: x509_entry → certificate_chain; precert_entry → pre_certificate followed by
    /// precertificate_chain (the pre-certificate itself is not returned).
    static func chain(extraData b: [UInt8], isPrecert: Bool) throws -> [[UInt8]] {
        var i = 0
        func u24() throws -> Int {
            guard i + 3 <= b.count else { throw RecordError("extra_data truncated") }
            defer { i += 3 }
            return Int(b[i]) << 16 | Int(b[i + 1]) << 8 | Int(b[i + 2])
        }
        if isPrecert {
            let n = try u24()
            guard i + n <= b.count else { throw RecordError("extra_data truncated (pre_certificate)") }
            i += n
        }
        let total = try u24()
        guard i + total == b.count else { throw RecordError("extra_data chain length mismatch") }
        var out: [[UInt8]] = []
        while i < b.count {
            let n = try u24()
            guard i + n <= b.count else { throw RecordError("extra_data truncated (chain certificate)") }
            out.append(Array(b[i..<(i + n)]))
            i += n
        }
        return out
    }

    /// A TBSCertificate wrapped as a Certificate with an empty signature, so the certificate parser reads it.
    static func wrapTBS(_ tbs: [UInt8]) -> [UInt8] {
        // AlgorithmIdentifier sha256WithRSAEncryption, NULL; BIT STRING with no bits.
        let alg: [UInt8] = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00]
        let sig: [UInt8] = [0x03, 0x01, 0x00]
        let content = tbs + alg + sig
        return [0x30] + derLength(content.count) + content
    }

    static func derLength(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        var bytes: [UInt8] = []
        var v = n
        while v > 0 {
            bytes.insert(UInt8(v & 0xff), at: 0)
            v >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }
}
