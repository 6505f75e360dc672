// Link / IP / TCP decoding (tunnels, IPv6 extension headers, IP defragmentation) and TCP reassembly, with each
// reassembled direction fed to the TLS record parser and every hello fingerprinted, as the pipeline does.
//
// Input: a sequence of packets, each `link(1) time_step(1) length(2, big-endian) bytes(length)`; `link` picks the
// link type, `time_step` advances the clock (so idle expiry and fragment timeouts happen). The reassembler and
// the defragmenter run with small limits so eviction and limit paths are reached with short inputs; the harness
// traps if a limit is exceeded.
import CaptureInput
import PacketDecoding
import TLSParsing
import FuzzSupport

let linkTypes: [LinkType] = [.ethernet, .raw, .ipv4, .ipv6, .null, .loop, .linuxSLL, .linuxSLL2, .rawLegacy,
                             .rawOpenBSD, LinkType(rawValue: 147)]

let reassemblyLimits: ReassemblyLimits = {
    var l = ReassemblyLimits()
    l.maximumFlows = 4
    l.maximumOutOfOrderBytesPerDirection = 2048
    l.maximumOutOfOrderBytesTotal = 6144
    l.idleTimeoutSeconds = 30
    return l
}()

let fragmentLimits: IPFragmentReassembler.Limits = {
    var l = IPFragmentReassembler.Limits()
    l.maximumDatagrams = 4
    l.maximumTotalBytes = 16 << 10
    l.timeoutSeconds = 5
    return l
}()

/// Both directions of one connection, as TLS.
final class FlowState {
    var directions = [TLSConsumer(), TLSConsumer()]
}

final class Sink: TCPStreamSink {
    var bytes = 0
    func tcpData(_ flow: TCPFlow, direction: Int, bytes: UnsafeRawBufferPointer) -> Bool {
        let state = (flow.attachment as? FlowState) ?? FlowState()
        flow.attachment = state
        self.bytes += bytes.count
        state.directions[direction].feed(bytes)
        return !state.directions[direction].parser.finished
    }

    func tcpGap(_ flow: TCPFlow, direction: Int) -> Bool {
        // The pipeline gives up a direction after a gap: the record boundary is lost.
        (flow.attachment as? FlowState)?.directions[direction].parser.finish()
        return false
    }

    func tcpFlowEnded(_ flow: TCPFlow, reason: FlowEndReason) {
        flow.attachment = nil
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var decoder = PacketDecoder(fragmentLimits: fragmentLimits)
    let reassembler = TCPReassembler(limits: reassemblyLimits)
    let sink = Sink()
    var decoded = DecodedPacket()
    var now: Int64 = 1_700_000_000
    var frame = 0
    while !input.isAtEnd {
        let link = linkTypes[Int(input.u8()) % linkTypes.count]
        now += Int64(input.u8())
        let length = Int(input.u16())
        let bytes = input.take(length)
        frame += 1
        let packet = CapturedPacket(frameNumber: frame, seconds: now, nanoseconds: 0, linkType: link,
                                    originalLength: length, data: bytes)
        guard decoder.decode(packet, into: &decoded) == .decoded else { continue }
        _ = decoded.payload.reduce(0, &+)  // the view must be valid
        if decoded.transport == IPProtocolNumber.tcp {
            reassembler.process(decoded, now: now, sink: sink)
            if reassembler.activeFlows > reassemblyLimits.maximumFlows {
                fatalError("\(reassembler.activeFlows) flows held, limit \(reassemblyLimits.maximumFlows)")
            }
        }
    }
    reassembler.finish(sink: sink)
    let c = reassembler.counters
    if c.peakFlows > reassemblyLimits.maximumFlows || c.peakOutOfOrderBytes > reassemblyLimits.maximumOutOfOrderBytesTotal {
        fatalError("peak flows \(c.peakFlows), peak out-of-order bytes \(c.peakOutOfOrderBytes) beyond the limits")
    }
    if reassembler.activeFlows != 0 { fatalError("\(reassembler.activeFlows) flows left after finish") }
    return 0
}

@_cdecl("FuzzDecode_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
