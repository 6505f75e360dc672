import SwiftASN1

/// Internal error used while walking the tree; mapped to `PKIParsingError` at the public entry points.
struct DERFailure: Error {
    var unsupported: Bool
    var reason: String
    static func malformed(_ reason: String) -> DERFailure { DERFailure(unsupported: false, reason: reason) }
    static func unsupported(_ reason: String) -> DERFailure { DERFailure(unsupported: true, reason: reason) }
}

enum DERSupport {
    /// Parses `bytes` as one complete DER element (falling back to BER for encodings real responders produce,
    /// such as non-minimal lengths), enforcing `limit`, then runs `body` with typed-error mapping.
    static func parse<T>(
        _ bytes: ArraySlice<UInt8>,
        structure: String,
        limit: Int,
        _ body: (ASN1Node) throws -> T
    ) throws(PKIParsingError) -> T {
        guard bytes.count <= limit else {
            throw .inputTooLarge(structure: structure, size: bytes.count, limit: limit)
        }
        guard !bytes.isEmpty else { throw .malformed(structure: structure, reason: "empty input") }
        return try mapErrors(structure: structure) {
            let root: ASN1Node
            if let der = try? DER.parse(bytes) { root = der } else { root = try BER.parse(bytes) }
            return try body(root)
        }
    }

    static func mapErrors<T>(structure: String, _ body: () throws -> T) throws(PKIParsingError) -> T {
        do {
            return try body()
        } catch let e as PKIParsingError {
            throw e
        } catch let e as DERFailure {
            throw e.unsupported
                ? .unsupported(structure: structure, reason: e.reason)
                : .malformed(structure: structure, reason: e.reason)
        } catch let e as ASN1Error {
            throw .malformed(structure: structure, reason: "\(e.code)")
        } catch {
            throw .malformed(structure: structure, reason: "\(error)")
        }
    }

    // MARK: - Structure walking

    static func sequence<T>(
        _ node: ASN1Node,
        identifier: ASN1Identifier = .sequence,
        what: String,
        _ body: (inout ASN1NodeCollection.Iterator) throws -> T
    ) throws -> T {
        guard node.identifier == identifier, case .constructed(let children) = node.content else {
            throw DERFailure.malformed("\(what): expected constructed \(identifier), found \(node.identifier)")
        }
        var it = children.makeIterator()
        let result = try body(&it)
        guard it.next() == nil else { throw DERFailure.malformed("\(what): unexpected trailing elements") }
        return result
    }

    /// Children of a constructed node with `identifier`.
    static func children(_ node: ASN1Node, identifier: ASN1Identifier = .sequence, what: String) throws -> [ASN1Node] {
        guard node.identifier == identifier, case .constructed(let children) = node.content else {
            throw DERFailure.malformed("\(what): expected constructed \(identifier), found \(node.identifier)")
        }
        return Array(children)
    }

    static func required(_ it: inout ASN1NodeCollection.Iterator, _ what: String) throws -> ASN1Node {
        guard let n = it.next() else { throw DERFailure.malformed("\(what) missing") }
        return n
    }

    /// Returns the next node when it has `identifier`, without consuming otherwise.
    static func optional(_ it: inout ASN1NodeCollection.Iterator, _ identifier: ASN1Identifier) -> ASN1Node? {
        var copy = it
        guard let n = copy.next(), n.identifier == identifier else { return nil }
        it = copy
        return n
    }

    /// The single child of an EXPLICIT context tag.
    static func explicitChild(_ node: ASN1Node, what: String) throws -> ASN1Node {
        guard case .constructed(let children) = node.content else {
            throw DERFailure.malformed("\(what): explicit tag is primitive")
        }
        var it = children.makeIterator()
        guard let child = it.next(), it.next() == nil else {
            throw DERFailure.malformed("\(what): explicit tag must hold exactly one element")
        }
        return child
    }

    static func context(_ n: UInt) -> ASN1Identifier { ASN1Identifier(tagWithNumber: n, tagClass: .contextSpecific) }

    // MARK: - Primitives

    static func primitive(_ node: ASN1Node, _ identifier: ASN1Identifier, what: String) throws -> ArraySlice<UInt8> {
        guard node.identifier == identifier else {
            throw DERFailure.malformed("\(what): expected \(identifier), found \(node.identifier)")
        }
        guard case .primitive(let content) = node.content else {
            throw DERFailure.malformed("\(what): constructed encoding not supported")
        }
        return content
    }

    /// INTEGER content octets (at least one octet).
    static func integerContent(_ node: ASN1Node, _ identifier: ASN1Identifier = .integer, what: String) throws
        -> ArraySlice<UInt8>
    {
        let c = try primitive(node, identifier, what: what)
        guard !c.isEmpty else { throw DERFailure.malformed("\(what): empty INTEGER") }
        return c
    }

    /// A small INTEGER / ENUMERATED value. Values that do not fit in 32 bits are malformed for our purposes.
    static func smallInt(_ node: ASN1Node, _ identifier: ASN1Identifier = .integer, what: String) throws -> Int {
        let c = try integerContent(node, identifier, what: what)
        var trimmed = c
        while trimmed.count > 1, trimmed.first == 0 { trimmed = trimmed.dropFirst() }
        guard trimmed.count <= 4 else { throw DERFailure.malformed("\(what): integer too large") }
        var v: Int64 = (trimmed.first ?? 0) & 0x80 != 0 && c.first != 0 ? -1 : 0
        for b in trimmed { v = v << 8 | Int64(b) }
        return Int(truncatingIfNeeded: v)
    }

    static func octetString(_ node: ASN1Node, what: String) throws -> ArraySlice<UInt8> {
        try primitive(node, .octetString, what: what)
    }

    /// BIT STRING content without the unused-bits octet.
    static func bitString(_ node: ASN1Node, _ identifier: ASN1Identifier = .bitString, what: String) throws
        -> ArraySlice<UInt8>
    {
        let c = try primitive(node, identifier, what: what)
        guard let unused = c.first, unused < 8 else { throw DERFailure.malformed("\(what): bad BIT STRING") }
        if c.count == 1, unused != 0 { throw DERFailure.malformed("\(what): bad BIT STRING") }
        return c.dropFirst()
    }

    static func boolean(_ node: ASN1Node, what: String) throws -> Bool {
        let c = try primitive(node, .boolean, what: what)
        guard c.count == 1, let b = c.first else { throw DERFailure.malformed("\(what): bad BOOLEAN") }
        return b != 0  // BER tolerance: any non-zero octet is TRUE
    }

    static func oid(_ node: ASN1Node, what: String) throws -> String {
        let c = try primitive(node, .objectIdentifier, what: what)
        guard let s = OIDText.dotted(c) else { throw DERFailure.malformed("\(what): bad OBJECT IDENTIFIER") }
        return s
    }

    static func time(_ node: ASN1Node, what: String) throws -> PKITime {
        let utc: Bool
        switch node.identifier {
        case .utcTime: utc = true
        case .generalizedTime: utc = false
        default: throw DERFailure.malformed("\(what): expected a time, found \(node.identifier)")
        }
        guard case .primitive(let c) = node.content, let t = PKITime.decode(c, utc: utc) else {
            throw DERFailure.malformed("\(what): invalid time value")
        }
        return t
    }

    static func generalizedTime(_ node: ASN1Node, what: String) throws -> PKITime {
        guard node.identifier == .generalizedTime else {
            throw DERFailure.malformed("\(what): expected GeneralizedTime, found \(node.identifier)")
        }
        return try time(node, what: what)
    }

    /// Text of a string-typed node (DirectoryString and friends). nil for non-string tags.
    static func string(_ node: ASN1Node) -> String? {
        guard case .primitive(let c) = node.content, node.identifier.tagClass == .universal else { return nil }
        switch node.identifier {
        case .utf8String, .printableString, .ia5String, .visibleString, .numericString, .generalString,
            .graphicString:
            return String(decoding: c, as: UTF8.self)
        case .teletexString, .videotexString:
            // T.61 in theory, Latin-1 in practice.
            return String(String.UnicodeScalarView(c.map { Unicode.Scalar($0) }))
        case .bmpString:
            guard c.count % 2 == 0 else { return nil }
            var units: [UInt16] = []
            var i = c.startIndex
            while i + 1 < c.endIndex {
                units.append(UInt16(c[i]) << 8 | UInt16(c[i + 1]))
                i += 2
            }
            return String(decoding: units, as: UTF16.self)
        case .universalString:
            guard c.count % 4 == 0 else { return nil }
            var scalars = String.UnicodeScalarView()
            var i = c.startIndex
            while i + 3 < c.endIndex {
                let v = UInt32(c[i]) << 24 | UInt32(c[i + 1]) << 16 | UInt32(c[i + 2]) << 8 | UInt32(c[i + 3])
                scalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
                i += 4
            }
            return String(scalars)
        default:
            return nil
        }
    }
}

/// OBJECT IDENTIFIER content decoding to dotted text.
enum OIDText {
    static func dotted(_ content: ArraySlice<UInt8>) -> String? {
        guard !content.isEmpty, content.count <= 128 else { return nil }
        var arcs: [UInt64] = []
        var value: UInt64 = 0
        var inArc = false
        for b in content {
            if !inArc && b == 0x80 { return nil }  // non-minimal arc
            guard value <= (UInt64.max >> 7) else { return nil }
            value = value << 7 | UInt64(b & 0x7f)
            inArc = true
            if b & 0x80 == 0 {
                arcs.append(value)
                value = 0
                inArc = false
            }
        }
        guard !inArc, let first = arcs.first else { return nil }
        var parts: [String]
        if first < 40 {
            parts = ["0", "\(first)"]
        } else if first < 80 {
            parts = ["1", "\(first - 40)"]
        } else {
            parts = ["2", "\(first - 80)"]
        }
        parts.append(contentsOf: arcs.dropFirst().map { "\($0)" })
        return parts.joined(separator: ".")
    }
}
