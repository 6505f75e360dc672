extension CTMatch {
    /// The match as one JSON object (keys: serial, quality, ambiguous, hostnames, candidates[]; candidate times in
    /// RFC 3339).
    public var json: String {
        var o = "{\"serial\":\(jsonString(serial)),\"quality\":\(jsonString(quality.rawValue)),"
        o += "\"ambiguous\":\(ambiguous),\"hostnames\":[\(hostnames.map(jsonString).joined(separator: ","))],"
        o += "\"candidates\":[\(candidates.map(\.json).joined(separator: ","))]}"
        return o
    }
}

extension CTCandidate {
    /// The candidate as one JSON object.
    public var json: String {
        var o = "{\"quality\":\(jsonString(quality.rawValue)),"
        o += "\"hostnames\":[\(hostnames.map(jsonString).joined(separator: ","))],"
        o += "\"issuer\":\(jsonString(issuer)),\"source\":\(jsonString(source)),"
        o += "\"record_kind\":\(jsonString(recordKind.rawValue))"
        if let recordID { o += ",\"record_id\":\(recordID)" }
        if let notBefore { o += ",\"not_before\":\(jsonString(TimeText.rfc3339(notBefore)))" }
        if let notAfter { o += ",\"not_after\":\(jsonString(TimeText.rfc3339(notAfter)))" }
        return o + "}"
    }
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}
