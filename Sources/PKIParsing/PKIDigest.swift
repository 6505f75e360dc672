import CCrypto

/// Message digests through libcrypto (`EVP_Digest`).
public enum PKIDigest {
    public enum Algorithm: String, Sendable, Hashable, CaseIterable {
        case md5, sha1, sha224, sha256, sha384, sha512

        /// The algorithm for a hash OID (as found in an OCSP CertID), nil when not one of these.
        public init?(oid: String) {
            switch oid {
            case "1.2.840.113549.2.5": self = .md5
            case "1.3.14.3.2.26": self = .sha1
            case "2.16.840.1.101.3.4.2.4": self = .sha224
            case "2.16.840.1.101.3.4.2.1": self = .sha256
            case "2.16.840.1.101.3.4.2.2": self = .sha384
            case "2.16.840.1.101.3.4.2.3": self = .sha512
            default: return nil
            }
        }
    }

    /// The digest of `bytes`. Returns an empty array only if libcrypto fails (e.g. MD5 disabled by policy).
    public static func hash(_ algorithm: Algorithm, _ bytes: some Collection<UInt8>) -> [UInt8] {
        let md: OpaquePointer?
        switch algorithm {
        case .md5: md = EVP_md5()
        case .sha1: md = EVP_sha1()
        case .sha224: md = EVP_sha224()
        case .sha256: md = EVP_sha256()
        case .sha384: md = EVP_sha384()
        case .sha512: md = EVP_sha512()
        }
        guard let md else { return [] }
        let input = Array(bytes)
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var outLength: UInt32 = 0
        let ok = input.withUnsafeBytes { inPtr in
            out.withUnsafeMutableBytes { outPtr in
                EVP_Digest(inPtr.baseAddress, inPtr.count, outPtr.baseAddress?.assumingMemoryBound(to: UInt8.self),
                           &outLength, md, nil)
            }
        }
        guard ok == 1 else { return [] }
        return Array(out.prefix(Int(outLength)))
    }

    public static func sha1(_ bytes: some Collection<UInt8>) -> [UInt8] { hash(.sha1, bytes) }
    public static func sha256(_ bytes: some Collection<UInt8>) -> [UInt8] { hash(.sha256, bytes) }
}
