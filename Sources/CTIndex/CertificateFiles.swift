/// What the certificate file splitters produce.
enum CertificateEvent {
    case certificate([UInt8])
    case oversized(size: Int)
    case malformed(String)
    /// A PEM block that is not a certificate (a key, a CRL…).
    case ignored
}

/// Streams PEM text: every `-----BEGIN CERTIFICATE-----` (or `X509 CERTIFICATE`, `TRUSTED CERTIFICATE`) block is
/// decoded; other blocks are ignored; text between blocks is skipped. Lines are capped at the block size.
struct PEMSplitter {
    let maximumBlockSize: Int
    private var line: [UInt8] = []
    private var lineTooLong = false
    private var inBlock = false
    private var isCertificate = false
    private var body: [UInt8] = []
    private var bodyTooLarge = false
    private var bodySize = 0
    private var currentLine = 0
    private(set) var blockLine = 0
    private(set) var blockNumber = 0

    init(maximumBlockSize: Int) {
        self.maximumBlockSize = maximumBlockSize
    }

    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ emit: (CertificateEvent, Int, Int) throws -> Void) rethrows {
        var start = 0
        for i in 0..<chunk.count where chunk[i] == 0x0a {
            append(chunk, start, i)
            try endLine(emit)
            start = i + 1
        }
        append(chunk, start, chunk.count)
    }

    private mutating func append(_ chunk: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) {
        guard to > from else { return }
        if line.count + (to - from) > maximumBlockSize {
            lineTooLong = true
            return
        }
        line.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[from..<to]))
    }

    private mutating func endLine(_ emit: (CertificateEvent, Int, Int) throws -> Void) rethrows {
        currentLine += 1
        defer {
            line.removeAll(keepingCapacity: true)
            lineTooLong = false
        }
        var text = line[...]
        while let l = text.last, isSpace(l) { text = text.dropLast() }
        while let f = text.first, isSpace(f) { text = text.dropFirst() }
        if text.starts(with: PEMSplitter.begin) {
            if inBlock { try emit(.malformed("BEGIN inside a block"), blockNumber, blockLine) }
            inBlock = true
            blockNumber += 1
            blockLine = currentLine
            let label = String(decoding: text.dropFirst(PEMSplitter.begin.count), as: UTF8.self)
            isCertificate = label.hasPrefix("CERTIFICATE-") || label.hasPrefix("X509 CERTIFICATE-")
                || label.hasPrefix("TRUSTED CERTIFICATE-")
            body.removeAll(keepingCapacity: true)
            bodySize = 0
            bodyTooLarge = false
            return
        }
        guard inBlock else { return }
        if text.starts(with: PEMSplitter.end) {
            inBlock = false
            if !isCertificate {
                try emit(.ignored, blockNumber, blockLine)
            } else if bodyTooLarge {
                try emit(.oversized(size: bodySize * 3 / 4), blockNumber, blockLine)
            } else if let der = Base64.decode(body), !der.isEmpty {
                try emit(.certificate(der), blockNumber, blockLine)
            } else {
                try emit(.malformed("invalid base64 in PEM block"), blockNumber, blockLine)
            }
            return
        }
        if lineTooLong { bodyTooLarge = true }
        bodySize += text.count
        if bodySize > maximumBlockSize * 4 / 3 + 4 { bodyTooLarge = true }
        if !bodyTooLarge {
            if text.contains(UInt8(ascii: ":")) { return }  // RFC 1421 headers: skipped
            body.append(contentsOf: text)
        }
    }

    mutating func finish(_ emit: (CertificateEvent, Int, Int) throws -> Void) rethrows {
        if !line.isEmpty { try endLine(emit) }
        if inBlock {
            inBlock = false
            try emit(.malformed("truncated PEM block"), blockNumber, blockLine)
        }
    }

    static let begin = Array("-----BEGIN ".utf8)
    static let end = Array("-----END ".utf8)
}

/// Streams DER certificates written one after another (a `.der`/`.cer` file or a concatenation).
struct DERSplitter {
    let maximumSize: Int
    private var header: [UInt8] = []
    private var body: [UInt8] = []
    private var remaining = 0
    private var total = 0
    private var skipping = false
    private var dead = false
    private(set) var number = 0

    init(maximumSize: Int) {
        self.maximumSize = maximumSize
    }

    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ emit: (CertificateEvent, Int, Int) throws -> Void) rethrows {
        var i = 0
        while i < chunk.count && !dead {
            if remaining == 0 {
                header.append(chunk[i])
                i += 1
                if header.count == 1 {
                    number += 1
                    if header[0] != 0x30 {
                        dead = true
                        try emit(.malformed("not a DER SEQUENCE (tag 0x\(String(header[0], radix: 16)))"), number, 0)
                        return
                    }
                    continue
                }
                let l0 = header[1]
                if l0 < 0x80 {
                    total = Int(l0)
                } else {
                    let n = Int(l0 & 0x7f)
                    guard n >= 1, n <= 4 else {
                        dead = true
                        try emit(.malformed("bad DER length"), number, 0)
                        return
                    }
                    guard header.count == 2 + n else { continue }
                    total = header[2...].reduce(0) { $0 << 8 | Int($1) }
                }
                remaining = total
                skipping = header.count + total > maximumSize
                body = skipping ? [] : header
                if remaining == 0 { try complete(emit) }
                continue
            }
            let take = min(remaining, chunk.count - i)
            if !skipping { body.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[i..<(i + take)])) }
            remaining -= take
            i += take
            if remaining == 0 { try complete(emit) }
        }
    }

    private mutating func complete(_ emit: (CertificateEvent, Int, Int) throws -> Void) rethrows {
        if skipping {
            try emit(.oversized(size: header.count + total), number, 0)
        } else {
            try emit(.certificate(body), number, 0)
        }
        header.removeAll(keepingCapacity: true)
        body = []
        skipping = false
    }

    mutating func finish(_ emit: (CertificateEvent, Int, Int) throws -> Void) rethrows {
        if !dead && (!header.isEmpty || remaining > 0) {
            try emit(.malformed("truncated DER certificate"), number, 0)
        }
    }
}
