#!/usr/bin/env bash
# Throughput check of `helloscope live` (not a unit test): replays a large capture at full speed with
# `tcpreplay --topspeed` onto one end of a veth pair inside a network namespace of its own, while helloscope
# listens on the other end; then prints packets per second handled and the kernel's drops.
#
# The capture is generated here (never committed): FLOWS TLS connections with real ClientHellos made by the
# system's OpenSSL (through Python's ssl module, 64 different SNI/ALPN combinations), each with BULK data segments
# of 1400 bytes, interleaved, then the Ethernet captures of /work/shared/corpus appended (mergecap) when present.
#
# Usage: scripts/live-throughput.sh [path/to/helloscope]   (default: .build-live/release/helloscope, built if missing)
# Environment: FLOWS (20000)  BULK (8)  LOOPS (3, tcpreplay --loop)  BUFFER_MB (helloscope --buffer-size, 64)
#              CAPTURE (replay this pcap instead of generating one)  KEEP_WORKDIR=1
#              SETTLE (seconds between the end of the replay and SIGINT, 2; 0 checks that a stop drains the kernel buffer)
#              REPORT_INTERVAL (--report-interval, 60: each rewrite builds the whole report on the capture thread)
#              LIVE_OPTIONS (more helloscope live options, e.g. "--no-immediate" or "--snaplen 65535")
#              PPS (replay at this rate with tcpreplay --pps instead of --topspeed: find the rate without drops)
# Needs root; installs tcpreplay (and iproute2, wireshark-common for mergecap) with apt-get when missing.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/.build-live/release/helloscope}
if [[ ! -x $bin ]]; then
    echo "live-throughput: building release binary" >&2
    (cd "$here" && swift build -c release --scratch-path .build-live >&2)
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
[[ $(id -u) -eq 0 ]] || { echo "live-throughput: needs root" >&2; exit 77; }
missing=()
command -v tcpreplay >/dev/null || missing+=(tcpreplay)
command -v ip >/dev/null || missing+=(iproute2)
command -v mergecap >/dev/null || missing+=(wireshark-common)
command -v jq >/dev/null || missing+=(jq)
if ((${#missing[@]})); then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

FLOWS=${FLOWS:-20000}
BULK=${BULK:-8}
LOOPS=${LOOPS:-3}
BUFFER_MB=${BUFFER_MB:-64}
REPORT_INTERVAL=${REPORT_INTERVAL:-60}
ns="hs-live-tp-$$"
work=$(mktemp -d /tmp/hs-live-tp.XXXXXX)
hs=""
ns_created=0
cleanup() {
    local rc=$?
    if [[ -n $hs ]] && kill -0 "$hs" 2>/dev/null; then kill -KILL "$hs" 2>/dev/null || true; wait "$hs" 2>/dev/null || true; fi
    ((ns_created)) && ip netns del "$ns" 2>/dev/null || true
    if [[ ${KEEP_WORKDIR:-0} == 1 ]]; then echo "live-throughput: files kept in $work" >&2; else rm -rf "$work"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- The capture -----------------------------------------------------------------------------------------------
if [[ -n ${CAPTURE:-} ]]; then
    cap=$CAPTURE
else
    cap=$work/replay.pcap
    python3 - "$work/generated.pcap" "$FLOWS" "$BULK" <<'EOF'
import os, ssl, struct, sys, random
out, flows, bulk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(7)

def client_hello(sni, alpn):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = ctx.wrap_bio(i, o, server_hostname=sni)
    try:
        s.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return o.read()

hellos = [client_hello(f"host-{n}.throughput.example", [["h2", "http/1.1"], ["http/1.1"], None, ["h2"]][n % 4])
          for n in range(64)]

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b)//2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def frame(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    c = csum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + tcp + payload

def flow_packets(i):
    c = bytes([10, 64 + (i >> 16) % 64, (i >> 8) & 255, i & 255])
    s = bytes([192, 0, 2, 1 + i % 200])
    cp, sp = 1024 + (i * 7) % 60000, 443
    ci, si = random.getrandbits(32), random.getrandbits(32)
    h = hellos[i % len(hellos)]
    pk = [frame(c, s, cp, sp, ci, 0, 0x02, b""),
          frame(s, c, sp, cp, si, ci + 1, 0x12, b""),
          frame(c, s, cp, sp, ci + 1, si + 1, 0x10, b""),
          frame(c, s, cp, sp, ci + 1, si + 1, 0x18, h)]
    cseq, sseq = ci + 1 + len(h), si + 1
    junk = os.urandom(1400)
    for _ in range(bulk):
        pk.append(frame(s, c, sp, cp, sseq & 0xffffffff, cseq & 0xffffffff, 0x10, junk))
        sseq += 1400
    pk.append(frame(c, s, cp, sp, cseq & 0xffffffff, sseq & 0xffffffff, 0x11, b""))
    pk.append(frame(s, c, sp, cp, sseq & 0xffffffff, (cseq + 1) & 0xffffffff, 0x11, b""))
    pk.append(frame(c, s, cp, sp, (cseq + 1) & 0xffffffff, (sseq + 1) & 0xffffffff, 0x10, b""))
    return pk

with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    t = 1_700_000_000_000_000
    active = []  # interleave up to 64 flows
    nxt = 0
    while nxt < flows or active:
        while len(active) < 64 and nxt < flows:
            active.append(flow_packets(nxt)); nxt += 1
        k = random.randrange(len(active))
        p = active[k].pop(0)
        if not active[k]:
            active.pop(k)
        t += 5
        f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(p), len(p)))
        f.write(p)
EOF
    corpus=()
    if [[ -d /work/shared/corpus ]]; then
        while IFS= read -r f; do
            [[ $(capinfos -T -r -E "$f" 2>/dev/null | cut -f2) == ether ]] && corpus+=("$f")
        done < <(find /work/shared/corpus -name '*.pcap' -o -name '*.pcapng' | sort)
    fi
    if ((${#corpus[@]})); then
        mergecap -F pcap -a -w "$cap" "$work/generated.pcap" "${corpus[@]}"
    else
        mv "$work/generated.pcap" "$cap"
    fi
fi
packets=$(capinfos -c -M -T -r "$cap" | cut -f2)
size=$(stat -c %s "$cap")
echo "live-throughput: capture: $packets packets, $((size / 1048576)) MiB, replayed $LOOPS times"

# --- veth pair inside a namespace of our own ---------------------------------------------------------------------
ip netns add "$ns"
ns_created=1
# No IPv6 on the pair: no router solicitations or MLD reports mixed into the measurement.
ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" link add hstp0 type veth peer name hstp1
ip -n "$ns" link set hstp0 up
ip -n "$ns" link set hstp1 up
ip -n "$ns" link set lo up

ip netns exec "$ns" "$bin" live -i hstp1 --buffer-size "$BUFFER_MB" ${LIVE_OPTIONS:-} --events "$work/events.ndjson" \
    --report "$work/report.json" --report-interval "$REPORT_INTERVAL" -q > "$work/live.out" 2> "$work/live.err" &
hs=$!
sleep 1
kill -0 "$hs" || { cat "$work/live.err" >&2; exit 1; }

rate=(--topspeed)
[[ -n ${PPS:-} ]] && rate=(--pps="$PPS")
ip netns exec "$ns" tcpreplay "${rate[@]}" --loop="$LOOPS" -i hstp0 "$cap" > "$work/tcpreplay.out" 2>&1
sleep "${SETTLE:-2}"
# CPU time helloscope used (the replay is over; only the finish remains).
read -r utime stime < <(awk '{print $14, $15}' /proc/$hs/stat)
peak_rss=$(awk '/VmHWM/ {print $2 " " $3}' /proc/$hs/status)
tick=$(getconf CLK_TCK)
kill -INT "$hs"
for _ in $(seq 1 300); do kill -0 "$hs" 2>/dev/null || break; sleep 0.1; done
wait "$hs" || { cat "$work/live.err" >&2; exit 1; }
hs=""

grep -E "Actual|Rated|Statistics|Successful|Failed" "$work/tcpreplay.out" | sed 's/^/tcpreplay: /'
cat "$work/live.err" | sed 's/^/helloscope: /'
jq -r 'select(.type == "capture_summary")
    | (((.last_ts | sub("\\.[0-9]+Z$"; "Z") | fromdate) + (.last_ts | capture("\\.(?<f>[0-9]+)Z$").f | ("0." + .) | tonumber))
       - ((.first_ts | sub("\\.[0-9]+Z$"; "Z") | fromdate) + (.first_ts | capture("\\.(?<f>[0-9]+)Z$").f | ("0." + .) | tonumber))) as $span
    | "result: \(.packets) packets handled in \($span * 1000 | floor) ms of arrival time = \(if $span > 0 then (.packets / $span | floor) else "n/a" end) pps; "
      + "kernel received \(.counters.live_received), dropped by kernel \(.counters.live_dropped_kernel), "
      + "dropped by interface \(.counters.live_dropped_interface); \(.client_hellos) ClientHellos, \(.flows) TCP flows"' \
    "$work/events.ndjson"
sent=$((packets * LOOPS))
cpu=$(awk -v u="$utime" -v s="$stime" -v t="$tick" 'BEGIN { printf "%.2f", (u + s) / t }')
handled=$(jq -r 'select(.type == "capture_summary") | .packets' "$work/events.ndjson")
echo "result: sent $sent packets; helloscope used $cpu s of CPU = $(awk -v p="$handled" -v c="$cpu" 'BEGIN { printf "%d", (c > 0 ? p / c : 0) }') packets per CPU second"
echo "result: helloscope peak resident memory $peak_rss"
echo "result: machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
