// The whole pipeline on a capture file (pcap or pcapng, detected by content): reader, decoder, reassembly, TLS,
// QUIC/DTLS, fingerprints, events. Every event is written as JSON and packet strings are rendered for the terminal; the
// harness traps on JSON that is not valid UTF-8 or carries a raw control character, on a string from a packet
// whose terminal rendering (`printable`) keeps an escape or control character, and on flow counts beyond the limit.
//
// Input: a capture file. Its first byte also picks default or small limits (the file is read unchanged).
import CaptureInput
import PacketDecoding
import Pipeline
import FuzzSupport

let smallLimits: AnalysisLimits = {
    var l = AnalysisLimits()
    l.reassembly.maximumFlows = 4
    l.reassembly.maximumOutOfOrderBytesPerDirection = 2048
    l.reassembly.maximumOutOfOrderBytesTotal = 6144
    l.reassembly.idleTimeoutSeconds = 30
    l.fragments.maximumDatagrams = 4
    l.fragments.maximumTotalBytes = 16 << 10
    l.maximumPlaintextBeforeTLS = 256
    l.maximumSegmentsBeforeTLS = 4
    l.maximumTLSBytesPerDirection = 4096
    return l
}()

func checkJSON(_ bytes: [UInt8]) {
    for b in bytes where b < 0x20 {
        fatalError("raw control byte 0x\(String(b, radix: 16)) in JSON: \(String(decoding: bytes, as: UTF8.self))")
    }
    if String(validating: bytes, as: UTF8.self) == nil { fatalError("JSON output is not valid UTF-8") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = Array(UnsafeBufferPointer(start: data, count: size))
    guard let reader = try? CaptureReader(source: ByteSource(.bytes(file))) else { return 0 }
    let limits = size > 0 && data[0] & 1 == 1 ? smallLimits : AnalysisLimits()
    let collector = EventCollector()
    let summary = CaptureAnalyzer.analyze(reader: reader, name: "fuzz", limits: limits, sink: collector)
    var w = JSONWriter()
    for event in collector.events {
        w.reset()
        event.write(to: &w)
        checkJSON(w.bytes)
    }
    // Strings from packets as the terminal shows them.
    for hello in collector.clientHellos {
        let shown = [hello.sni ?? ""] + hello.hello.alpnProtocols.map { String(decoding: $0, as: UTF8.self) }
        for text in shown {
            for scalar in printable(text).unicodeScalars
            where scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029 {
                fatalError("terminal rendering carries U+\(String(scalar.value, radix: 16))")
            }
        }
    }
    if let peak = summary.counters["tcp_peak_flows"], peak > limits.reassembly.maximumFlows {
        fatalError("tcp_peak_flows \(peak) beyond the limit \(limits.reassembly.maximumFlows)")
    }
    return 0
}

@_cdecl("FuzzPipeline_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
