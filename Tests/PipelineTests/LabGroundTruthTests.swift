import Testing
import Foundation
import Pipeline
import TestSupport

/// The lab's captures (captures/lab, or a fresh run named by HELLOSCOPE_LAB_CAPTURES) and their ground truth,
/// which lab/ground_truth.py derived from the clients' own output and tshark.
enum Lab {
    static var directories: [String] {
        var dirs = [Paths.packageRoot + "/captures/lab"]
        if let fresh = ProcessInfo.processInfo.environment["HELLOSCOPE_LAB_CAPTURES"], !fresh.isEmpty,
           Paths.fileExists(fresh + "/ground-truth.json") {
            dirs.append(fresh)
        }
        return dirs
    }

    struct Scenario: CustomTestStringConvertible, Sendable {
        var directory: String
        var name: String
        var json: [String: any Sendable]
        var testDescription: String { "\(name) (\(directory.hasSuffix("captures/lab") ? "committed" : "fresh"))" }
        var path: String { directory + "/" + (json["capture"] as? String ?? name + ".pcap") }
        func list(_ key: String) -> [[String: Any]] { json[key] as? [[String: Any]] ?? [] }
    }

    static var scenarios: [Scenario] {
        var out: [Scenario] = []
        for dir in directories {
            guard let data = FileManager.default.contents(atPath: dir + "/ground-truth.json"),
                  let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let scenarios = root["scenarios"] as? [String: Any] else { continue }
            for name in scenarios.keys.sorted() {
                guard let s = scenarios[name] as? [String: Any] else { continue }
                out.append(Scenario(directory: dir, name: name, json: s.mapValues { $0 as! any Sendable }))
            }
        }
        return out
    }
}

extension EventCollector {
    var alerts: [TLSAlertEvent] { events.compactMap { if case .tlsAlert(let e) = $0 { return e } else { return nil } } }
}

@Suite struct LabGroundTruth {
    @Test func labIsPresent() {
        #expect(Lab.scenarios.count >= 27, "captures/lab/ground-truth.json lists the lab's scenarios")
    }

    /// Every ClientHello, ServerHello, staple, OCSP request and response, CRL download and clear alert of the ground
    /// truth, with its values, at its frame; and nothing extra.
    @Test(arguments: Lab.scenarios)
    func eventsMatchGroundTruth(_ s: Lab.Scenario) throws {
        let events = try analyze(s.path)
        // ClientHellos.
        let hellos = s.list("client_hellos")
        #expect(events.clientHellos.count == hellos.count, "ClientHellos")
        for h in hellos {
            let frame = h["frame"] as! Int
            let e = try #require(events.clientHellos.first { $0.context.frame == frame }, "ClientHello at frame \(frame)")
            #expect(e.sni == h["sni"] as? String)
            #expect((e.hello.statusRequest != nil) == (h["status_request"] as? Bool ?? false))
            #expect(e.hello.statusRequest?.index == h["status_request_index"] as? Int)
            #expect(e.hello.extensions.count == h["extension_count"] as? Int)
            #expect(e.ja3?.string == h["ja3_full"] as? String)
            #expect(e.ja3?.hash == h["ja3"] as? String)
            #expect(e.ja4.ja4 == h["ja4"] as? String)
            #expect(e.ja4.ja4_r == h["ja4_r"] as? String)
        }
        // ServerHellos.
        let serverHellos = s.list("server_hellos")
        #expect(events.serverHellos.count == serverHellos.count, "ServerHellos")
        for h in serverHellos {
            let frame = h["frame"] as! Int
            let e = try #require(events.serverHellos.first { $0.context.frame == frame }, "ServerHello at frame \(frame)")
            #expect(e.ja3s.string == h["ja3s_full"] as? String)
        }
        // Staples sent in clear.
        let staple = s.json["staple"] as? [String: Any] ?? [:]
        let messages = (staple["messages"] as? [[String: Any]] ?? []).filter { $0["visible"] as? Bool == true }
        #expect(events.staples.count == messages.count, "staples")
        for m in messages {
            let frame = m["frame"] as! Int
            let e = try #require(events.staples.first { $0.context.frame == frame }, "staple at frame \(frame)")
            let singles = e.response.basic?.responses ?? []
            #expect(singles.map(\.certStatus.name) == m["cert_status"] as? [String])
            #expect(singles.map(\.certID.serialNumber.hex) == m["serials"] as? [String])
            #expect(singles.compactMap { $0.certStatus.revokedInfo?.revocationReason?.name } == m["revocation_reason"] as? [String] ?? [])
        }
        // Live OCSP requests and their responses.
        let ocsp = s.list("ocsp_requests")
        #expect(events.ocspRequests.count == ocsp.count, "OCSP requests")
        #expect(events.ocspResponses.count == ocsp.filter { $0["response_frame"] is Int }.count, "OCSP responses")
        for r in ocsp {
            let frame = r["frame"] as! Int
            let e = try #require(events.ocspRequests.first { $0.context.frame == frame }, "OCSP request at frame \(frame)")
            #expect(e.http.method == r["method"] as? String)
            #expect(e.http.host == r["host_header"] as? String)
            #expect(e.request.certIDs.map(\.serialNumber.hex) == r["serials"] as? [String])
            #expect(e.request.certIDs.map(\.hashAlgorithmName) == r["hash_algorithms"] as? [String])
            #expect((e.request.nonce != nil) == (r["nonce"] as? Bool ?? false))
            if let responseFrame = r["response_frame"] as? Int {
                let resp = try #require(events.ocspResponses.first { $0.context.frame == responseFrame })
                #expect(resp.requestFrame == frame)
                #expect(resp.httpStatus == r["http_status"] as? Int)
                #expect(resp.response.responseStatus.name == r["response_status"] as? String)
                #expect(resp.response.basic?.responses.map(\.certStatus.name) == r["cert_status"] as? [String])
                #expect((resp.response.basic?.nonce != nil) == (r["response_nonce"] as? Bool ?? false))
            }
        }
        // CRL downloads.
        let crls = s.list("crl_downloads")
        #expect(events.crlFetches.count == crls.count, "CRL downloads")
        for c in crls {
            let e = try #require(events.crlFetches.first { $0.context.frame == c["response_frame"] as? Int })
            #expect(e.crl.revokedCount == c["revoked_entries"] as? Int)
            #expect(e.crl.revokedCertificates.map(\.serialNumber.hex) == c["revoked_serials"] as? [String])
            #expect(e.http?.uri == URL(string: c["url"] as? String ?? "")?.path)
        }
        // Alerts in clear.
        let alerts = s.list("alerts")
        #expect(events.alerts.count == alerts.count, "alerts")
        for a in alerts {
            let e = try #require(events.alerts.first { $0.context.frame == a["frame"] as? Int })
            #expect(Int(e.description) == a["description"] as? Int)
            #expect(e.fromClient == ((a["from"] as? String) == "client"))
        }
    }

    /// The revoked staple the OpenSSL client kept using, and the must-staple certificate served without one.
    @Test func revocationFlagsOnLabCaptures() throws {
        let dir = Paths.packageRoot + "/captures/lab/"
        let revoked = try analyze(dir + "openssl-status-revoked.pcap")
        #expect(revoked.events.contains { if case .revokedCertificateAccepted(let e) = $0 { return e.serial == "8f00000000000001" } else { return false } })
        let gnutls = try analyze(dir + "gnutls-ocsp-revoked.pcap")
        #expect(!gnutls.events.contains { if case .revokedCertificateAccepted = $0 { return true } else { return false } })
        let mustStaple = try analyze(dir + "gnutls-muststaple.pcap")
        let leaf = try #require(mustStaple.certificates.first { $0.chainIndex == 0 })
        #expect(leaf.certificate.mustStaple && leaf.mustStapleWithoutStaple)
        #expect(leaf.certificate.serialNumber.hex == "1003")
        let noRequest = try analyze(dir + "openssl-nostatus-staple12.pcap")
        #expect(noRequest.staples.isEmpty)
    }
}
