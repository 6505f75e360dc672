import Pipeline

/// The readable summary `analyze` prints: captures, a table of clients with their classification and top
/// fingerprints, live OCSP checks with the hostnames they revealed, and the findings. ANSI colours only when
/// asked (stdout is a terminal); every string from a packet goes through `printable` first.
public enum HumanReport {
    public static func render(_ doc: JSONValue, color: Bool) -> String {
        guard case .object(let root) = doc else { return "" }
        func c(_ code: String, _ s: String) -> String { color ? "\u{1b}[\(code)m\(s)\u{1b}[0m" : s }
        var out = ""
        for case .object(let input) in root["inputs"].arrayValue {
            let name = printable(input["file"].stringValue ?? "?")
            out += c("1", name) + ": \(input["format"].stringValue ?? "?"), \(input["packets"].intValue ?? 0) packets, "
                + "\(input["flows"].intValue ?? 0) TCP flows, \(input["client_hellos"].intValue ?? 0) ClientHellos"
                + ((input["truncated"].boolValue ?? false) ? c("33", ", truncated") : "") + "\n"
        }
        if case .object(let counters) = root["counters"] ?? .null {
            let problems = counters.filter { ($0.key.contains("malformed") || $0.key.contains("truncated") || $0.key.contains("evicted")
                || $0.key.contains("dropped") || $0.key.contains("limit") || $0.key.contains("gaps")) && ($0.value.intValue ?? 0) > 0 }
            if !problems.isEmpty {
                out += c("33", "  counters: ") + problems.keys.sorted().map { "\($0)=\(problems[$0]!.intValue ?? 0)" }.joined(separator: " ") + "\n"
            }
        }
        let clients = root["clients"].arrayValue
        out += "\n" + c("1", "Clients") + " (\(clients.count))\n"
        if clients.isEmpty { out += "  none\n" }
        for case .object(let client) in clients {
            let cls = client["classification"].stringValue ?? "?"
            let colorCode = cls == "live-ocsp" ? "31" : cls == "no-revocation-signal" ? "33" : "32"
            let sr = (client["status_request"]?.objectValue?["behaviour"]).stringValue ?? "?"
            out += "  " + pad(printable(client["address"].stringValue ?? "?"), 40) + " " + c(colorCode, pad(cls, 22))
                + " hellos \(client["client_hellos"].intValue ?? 0), status_request \(sr)\n"
            let fps = client["fingerprints"].arrayValue.compactMap(\.objectValue).sorted { ($0["count"].intValue ?? 0) > ($1["count"].intValue ?? 0) }
            for f in fps.prefix(3) {
                let label = (f["label"]?.objectValue).flatMap { l in l["application"].stringValue.map { app in app + ((l["version"].stringValue).map { " " + $0 } ?? "") } }
                // Most frequent first, equal counts by name (not in the dictionary's per-process hash order).
                let snis = (f["snis"]?.objectValue ?? [:]).sorted { ($1.value.intValue ?? 0, $0.key) < ($0.value.intValue ?? 0, $1.key) }.prefix(3).map { printable($0.key) }
                out += "      \(f["ja4"].stringValue ?? "?") ×\(f["count"].intValue ?? 0)" + (label.map { "  [" + printable($0) + "]" } ?? "")
                    + (snis.isEmpty ? "" : "  " + snis.joined(separator: ", ")) + "\n"
            }
            if fps.count > 3 { out += "      … \(fps.count - 3) more fingerprints\n" }
            if let rev = client["revocation"]?.objectValue {
                for case .object(let check) in rev["live_ocsp_checks"].arrayValue.prefix(5) {
                    let names = check["hostnames"].arrayValue.compactMap(\.stringValue).map(printable)
                    let serials = check["serials"].arrayValue.compactMap(\.stringValue)
                    out += "      " + c("31", "live OCSP") + " → \(printable(check["responder"].stringValue ?? "?"))"
                        + ((check["operator"].stringValue).map { " (\(printable($0)))" } ?? "") + ": "
                        + (names.isEmpty ? "serial " + serials.joined(separator: ",") : names.joined(separator: ", "))
                        + (check["statuses"].arrayValue.isEmpty ? "" : " → " + check["statuses"].arrayValue.compactMap(\.stringValue).joined(separator: ","))
                        + ((check["latency_ms"].doubleValue).map { " (" + fixedPoint($0, decimals: 1) + " ms)" } ?? "") + "\n"
                }
                let crl = rev["crl_downloads"].arrayValue.count
                if crl > 0 { out += "      CRL downloads: \(crl)\n" }
                if case .object(let staples) = rev["staples_received"] ?? .null, !staples.isEmpty {
                    out += "      staples received: " + staples.keys.sorted().map { "\($0)=\(staples[$0]!.intValue ?? 0)" }.joined(separator: " ") + "\n"
                }
            }
        }
        let findings = root["findings"].arrayValue
        out += "\n" + c("1", "Findings") + " (\(findings.count))\n"
        if findings.isEmpty { out += "  none\n" }
        for case .object(let f) in findings {
            let sev = f["severity"].stringValue ?? "?"
            let code = sev == "high" ? "1;31" : sev == "medium" ? "31" : sev == "low" ? "33" : "36"
            let ev = f["evidence"].arrayValue.compactMap(\.objectValue).prefix(3).map { "\(printable($0["capture"].stringValue ?? "?"))#\($0["frame"].intValue ?? 0)" }
            out += "  " + c(code, pad(sev.uppercased(), 6)) + " " + printable(f["summary"].stringValue ?? "") + "  [" + ev.joined(separator: " ") + "]\n"
        }
        return out
    }

    static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
}


extension Optional where Wrapped == JSONValue {
    var stringValue: String? { self?.stringValue }
    var intValue: Int? { self?.intValue }
    var doubleValue: Double? { self?.doubleValue }
    var boolValue: Bool? { self?.boolValue }
    var arrayValue: [JSONValue] { self?.arrayValue ?? [] }
    var objectValue: [String: JSONValue]? { self?.objectValue }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    var intValue: Int? { if case .int(let i) = self { return i } else { return nil } }
    var doubleValue: Double? {
        switch self {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: return nil
        }
    }
    var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var arrayValue: [JSONValue] { if case .array(let a) = self { return a } else { return [] } }
}
