import SwiftASN1

/// An X.500 name.
///
/// ```
/// Name ::= CHOICE { -- only one possibility for now --
///   rdnSequence  RDNSequence }
/// RDNSequence ::= SEQUENCE OF RelativeDistinguishedName
/// RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
/// AttributeTypeAndValue ::= SEQUENCE {
///   type     AttributeType,
///   value    AttributeValue }                                            -- RFC 5280 §4.1.2.4
/// ```
///
/// An empty RDNSequence (`30 00`) is valid and gives an empty name whose strings are `""`.
public struct DistinguishedName: Sendable, Hashable, CustomStringConvertible {
    /// One attribute of a relative distinguished name.
    public struct Attribute: Sendable, Hashable {
        /// Dotted OID of the attribute type.
        public let oid: String
        /// Decoded text for string-typed values; nil for other value types (see `valueDER`).
        public let value: String?
        /// DER of the whole AttributeValue.
        public let valueDER: [UInt8]

        /// Short name (`CN`, `O`, `C`, ...) or the dotted OID.
        public var shortName: String { DistinguishedName.shortNames[oid] ?? oid }
    }

    /// The RDNs in encoding order (most significant first, usually `C` ... `CN`).
    public let rdns: [[Attribute]]
    /// The DER encoding of the whole Name (what an OCSP CertID's issuerNameHash is computed over).
    public let derEncoded: [UInt8]

    /// Every attribute, flattened in encoding order.
    public var attributes: [Attribute] { rdns.flatMap { $0 } }

    /// Values of the attributes with short name `name` (e.g. `"CN"`), in encoding order.
    public func values(_ name: String) -> [String] {
        attributes.filter { $0.shortName == name }.compactMap(\.value)
    }

    /// The first common name, if any.
    public var commonName: String? { values("CN").first }

    /// RFC 4514 string: RDNs in **reverse** encoding order, `type=value` joined by `,`, multi-valued RDNs joined
    /// by `+`, special characters escaped with `\`, non-string values as `#` + hex DER.
    /// Example: `CN=Go Daddy Validation Authority - G2,O=GoDaddy Inc.,L=Scottsdale,ST=Arizona,C=US`.
    public var rfc4514: String {
        rdns.reversed().map { rdn in
            rdn.map { a in
                let v = a.value.map(DistinguishedName.escape4514) ?? "#" + PKIHex.encode(a.valueDER)
                return "\(a.shortName)=\(v)"
            }.joined(separator: "+")
        }.joined(separator: ",")
    }

    /// One-line form in encoding order, `type = value` joined by `, ` — openssl's `-nameopt oneline` without
    /// quoting, which is what Zeek prints for an OCSP responder name.
    /// Example: `C = US, ST = Arizona, L = Scottsdale, O = GoDaddy Inc., CN = Go Daddy Validation Authority - G2`.
    public var oneline: String {
        rdns.map { rdn in
            rdn.map { a in "\(a.shortName) = \(a.value ?? "#" + PKIHex.encode(a.valueDER))" }.joined(separator: " + ")
        }.joined(separator: ", ")
    }

    /// Same as `rfc4514`.
    public var description: String { rfc4514 }

    /// Parses a DER-encoded Name on its own.
    public init(derEncoded bytes: ArraySlice<UInt8>) throws(PKIParsingError) {
        self = try DERSupport.parse(bytes, structure: "Name", limit: PKIParsingLimits.maximumCertificateSize) {
            try DistinguishedName(node: $0)
        }
    }

    init(node: ASN1Node) throws {
        var rdns: [[Attribute]] = []
        for rdnNode in try DERSupport.children(node, what: "RDNSequence") {
            let set = try DERSupport.children(rdnNode, identifier: .set, what: "RelativeDistinguishedName")
            guard !set.isEmpty else { throw DERFailure.malformed("empty RelativeDistinguishedName") }
            var rdn: [Attribute] = []
            for atv in set {
                rdn.append(
                    try DERSupport.sequence(atv, what: "AttributeTypeAndValue") { it in
                        let oid = try DERSupport.oid(try DERSupport.required(&it, "type"), what: "AttributeType")
                        let v = try DERSupport.required(&it, "value")
                        return Attribute(oid: oid, value: DERSupport.string(v), valueDER: Array(v.encodedBytes))
                    })
            }
            rdns.append(rdn)
        }
        self.rdns = rdns
        self.derEncoded = Array(node.encodedBytes)
    }

    static func escape4514(_ s: String) -> String {
        var out = ""
        let scalars = Array(s.unicodeScalars)
        for (i, c) in scalars.enumerated() {
            switch c {
            case ",", "+", "\"", "\\", "<", ">", ";", "=":
                out += "\\" + String(c)
            case "#" where i == 0, " " where i == 0 || i == scalars.count - 1:
                out += "\\" + String(c)
            case "\u{0}":
                out += "\\00"
            default:
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Attribute type short names (openssl spelling).
    public static let shortNames: [String: String] = [
        "2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "serialNumber", "2.5.4.6": "C", "2.5.4.7": "L",
        "2.5.4.8": "ST", "2.5.4.9": "street", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "title",
        "2.5.4.13": "description", "2.5.4.15": "businessCategory", "2.5.4.17": "postalCode", "2.5.4.42": "GN",
        "2.5.4.43": "initials", "2.5.4.44": "generationQualifier", "2.5.4.46": "dnQualifier",
        "2.5.4.65": "pseudonym", "2.5.4.97": "organizationIdentifier",
        "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
        "1.2.840.113549.1.9.1": "emailAddress",
        "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL", "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
    ]
}

/// A GeneralName.
///
/// ```
/// GeneralName ::= CHOICE {
///      otherName                       [0]     OtherName,
///      rfc822Name                      [1]     IA5String,
///      dNSName                         [2]     IA5String,
///      x400Address                     [3]     ORAddress,
///      directoryName                   [4]     Name,
///      ediPartyName                    [5]     EDIPartyName,
///      uniformResourceIdentifier       [6]     IA5String,
///      iPAddress                       [7]     OCTET STRING,
///      registeredID                    [8]     OBJECT IDENTIFIER }      -- RFC 5280 §4.2.1.6
/// ```
public enum GeneralName: Sendable, Hashable, CustomStringConvertible {
    case otherName(typeID: String?, der: [UInt8])
    case rfc822Name(String)
    case dNSName(String)
    case x400Address(der: [UInt8])
    case directoryName(DistinguishedName)
    case ediPartyName(der: [UInt8])
    case uniformResourceIdentifier(String)
    /// Raw address octets (4 or 16 for an address; 8 or 32 for a name-constraint address/mask).
    case iPAddress([UInt8])
    case registeredID(String)

    /// Text form: the string for IA5 names, RFC 4514 for a directory name, a rendered address for iPAddress.
    public var description: String {
        switch self {
        case .otherName(let t, let der): return "othername:\(t ?? "?"):#\(PKIHex.encode(der))"
        case .rfc822Name(let s), .dNSName(let s), .uniformResourceIdentifier(let s): return s
        case .x400Address(let der), .ediPartyName(let der): return "#" + PKIHex.encode(der)
        case .directoryName(let n): return n.rfc4514
        case .iPAddress(let b): return GeneralName.renderIP(b)
        case .registeredID(let oid): return oid
        }
    }

    init(node: ASN1Node) throws {
        guard node.identifier.tagClass == .contextSpecific else {
            throw DERFailure.malformed("GeneralName: unexpected tag \(node.identifier)")
        }
        func ia5() throws -> String {
            guard case .primitive(let c) = node.content else {
                throw DERFailure.malformed("GeneralName: constructed IA5String")
            }
            return String(decoding: c, as: UTF8.self)
        }
        switch node.identifier.tagNumber {
        case 0:
            var typeID: String?
            if case .constructed(let kids) = node.content, let first = kids.first(where: { _ in true }),
                first.identifier == .objectIdentifier
            {
                typeID = try? DERSupport.oid(first, what: "OtherName.type-id")
            }
            self = .otherName(typeID: typeID, der: Array(node.encodedBytes))
        case 1: self = .rfc822Name(try ia5())
        case 2: self = .dNSName(try ia5())
        case 3: self = .x400Address(der: Array(node.encodedBytes))
        case 4: self = .directoryName(try DistinguishedName(node: try DERSupport.explicitChild(node, what: "directoryName")))
        case 5: self = .ediPartyName(der: Array(node.encodedBytes))
        case 6: self = .uniformResourceIdentifier(try ia5())
        case 7:
            guard case .primitive(let c) = node.content else { throw DERFailure.malformed("GeneralName: bad iPAddress") }
            self = .iPAddress(Array(c))
        case 8:
            guard case .primitive(let c) = node.content, let s = OIDText.dotted(c) else {
                throw DERFailure.malformed("GeneralName: bad registeredID")
            }
            self = .registeredID(s)
        default:
            throw DERFailure.malformed("GeneralName: unknown tag [\(node.identifier.tagNumber)]")
        }
    }

    /// `GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName`
    static func list(_ node: ASN1Node) throws -> [GeneralName] {
        try DERSupport.children(node, what: "GeneralNames").map { try GeneralName(node: $0) }
    }

    /// Dotted quad for 4 octets, RFC 5952 text for 16 octets, `addr/mask` for 8 and 32, hex otherwise.
    public static func renderIP(_ b: [UInt8]) -> String {
        switch b.count {
        case 4: return b.map { "\($0)" }.joined(separator: ".")
        case 16:
            var groups: [UInt16] = []
            for i in stride(from: 0, to: 16, by: 2) { groups.append(UInt16(b[i]) << 8 | UInt16(b[i + 1])) }
            // Longest run (length >= 2) of zero groups becomes "::".
            var bestStart = -1, bestLen = 0, i = 0
            while i < 8 {
                if groups[i] == 0 {
                    var j = i
                    while j < 8, groups[j] == 0 { j += 1 }
                    if j - i > bestLen { bestStart = i; bestLen = j - i }
                    i = j
                } else {
                    i += 1
                }
            }
            func hex(_ g: ArraySlice<UInt16>) -> String { g.map { String($0, radix: 16) }.joined(separator: ":") }
            if bestLen >= 2 {
                return hex(groups[0..<bestStart]) + "::" + hex(groups[(bestStart + bestLen)...])
            }
            return hex(groups[...])
        case 8: return renderIP(Array(b[0..<4])) + "/" + renderIP(Array(b[4..<8]))
        case 32: return renderIP(Array(b[0..<16])) + "/" + renderIP(Array(b[16..<32]))
        default: return PKIHex.encode(b)
        }
    }
}
