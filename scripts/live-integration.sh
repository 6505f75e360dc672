#!/usr/bin/env bash
# Integration test of `helloscope live` on real traffic, isolated in a network namespace of its own.
#
# In a fresh namespace (its loopback only; nothing leaves it): a throwaway CA, server certificate and OCSP
# responder made with openssl; `openssl s_server` stapling an OCSP response; `openssl ocsp` as a responder.
# `helloscope live` listens on the namespace's `lo`; curl, `openssl s_client -status` and an `openssl ocsp`
# query make the traffic; SIGINT stops helloscope. Then the events, the report and the saved pcap are checked.
#
# Usage: scripts/live-integration.sh [path/to/helloscope]     (default: .build-live/debug/helloscope, then .build/debug)
# Needs root (namespaces, capture). Installs openssl, curl, iproute2, jq with apt-get when they are missing.
# Environment:
#   HELLOSCOPE_EXPECT_OCSP=1|0  require (1) or do not require (0) ocsp_request events. Default: required when
#                               `helloscope analyze --help` mentions OCSP (the pipeline's OCSP support), else reported only.
#   KEEP_WORKDIR=1              keep the temporary directory (events, report, pcap, logs) for inspection.
# Exit status: 0 passed, 1 a check failed, 77 skipped (not root, or no `ip`).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-}
if [[ -z $bin ]]; then
    for c in "$here/.build-live/debug/helloscope" "$here/.build/debug/helloscope"; do
        [[ -x $c ]] && { bin=$c; break; }
    done
fi
[[ -n $bin && -x $bin ]] || { echo "live-integration: helloscope binary not found (build first, or pass its path)" >&2; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

if [[ $(id -u) -ne 0 ]]; then echo "live-integration: SKIP: needs root (network namespace, capture)" >&2; exit 77; fi

missing=()
command -v ip >/dev/null || missing+=(iproute2)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
command -v jq >/dev/null || missing+=(jq)
if ((${#missing[@]})); then
    echo "live-integration: installing ${missing[*]}" >&2
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null 2>&1; then
        command -v ip >/dev/null || { echo "live-integration: SKIP: no 'ip' and it could not be installed" >&2; exit 77; }
        echo "live-integration: could not install ${missing[*]}" >&2; exit 1
    fi
fi

ns="hs-live-it-$$"
work=$(mktemp -d /tmp/hs-live-it.XXXXXX)
pids=()
ns_created=0
cleanup() {
    local rc=$?
    # SIGTERM, then SIGKILL for what is still there after 2 s (a parent may have started us with SIGTERM blocked,
    # and children inherit that).
    for p in "${pids[@]}"; do [[ -n $p ]] && kill "$p" 2>/dev/null || true; done
    for _ in $(seq 1 20); do
        local alive=0
        for p in "${pids[@]}"; do [[ -n $p ]] && kill -0 "$p" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for p in "${pids[@]}"; do [[ -n $p ]] && kill -KILL "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do [[ -n $p ]] && wait "$p" 2>/dev/null || true; done
    exec 7>&- 2>/dev/null || true
    ((ns_created)) && ip netns del "$ns" 2>/dev/null || true
    if [[ ${KEEP_WORKDIR:-0} == 1 || $rc -ne 0 ]]; then echo "live-integration: files kept in $work" >&2; else rm -rf "$work"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "live-integration: FAIL: $*" >&2; exit 1; }
ok() { echo "live-integration: ok: $*"; }
in_ns() { ip netns exec "$ns" "$@"; }

# --- Throwaway PKI: CA, server certificate, OCSP signer, an OCSP response to staple ---------------------------
cd "$work"
cat > ca.cnf <<'EOF'
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:test.example,DNS:status.example,IP:127.0.0.1
authorityInfoAccess = OCSP;URI:http://127.0.0.1:8888
[v3_ocsp]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,OCSPSigning
EOF
{
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 2 \
        -subj "/CN=helloscope live test CA" -config ca.cnf -extensions v3_ca
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
        -subj "/CN=test.example" -config ca.cnf
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial 0x1001 -days 2 -out server.crt \
        -extfile ca.cnf -extensions v3_server
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ocsp.key -out ocsp.csr \
        -subj "/CN=helloscope live test OCSP" -config ca.cnf
    openssl x509 -req -in ocsp.csr -CA ca.crt -CAkey ca.key -set_serial 0x1002 -days 2 -out ocsp.crt \
        -extfile ca.cnf -extensions v3_ocsp
    printf 'V\t%s\t\t1001\tunknown\t/CN=test.example\n' "$(date -u -d '+2 days' +%y%m%d%H%M%SZ)" > index.txt
    openssl ocsp -issuer ca.crt -cert server.crt -no_nonce -reqout status-req.der
    openssl ocsp -index index.txt -CA ca.crt -rsigner ocsp.crt -rkey ocsp.key -reqin status-req.der \
        -respout status.der -ndays 1
} > pki.log 2>&1 || { cat pki.log >&2; fail "could not make the test PKI"; }
ok "throwaway CA, server certificate, OCSP signer and stapled response made"

# --- Namespace -------------------------------------------------------------------------------------------------
ip netns add "$ns"
ns_created=1
in_ns ip link set lo up
ok "namespace $ns (loopback only)"

wait_port() {  # port
    for _ in $(seq 1 100); do
        in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "nothing listens on port $1"
}

# Started with `ip netns exec` directly (not through a function) so that $! is the server's own PID.
ip netns exec "$ns" openssl ocsp -index index.txt -CA ca.crt -rsigner ocsp.crt -rkey ocsp.key -port 8888 -ndays 1 \
    > ocsp-responder.log 2>&1 &
pids+=($!)
ip netns exec "$ns" openssl s_server -accept 127.0.0.1:8443 -cert server.crt -key server.key -CAfile ca.crt \
    -status_file status.der -www -quiet > s_server.log 2>&1 &
pids+=($!)
# The OCSP responder serves one connection at a time: no probe connection, its log says when it listens.
for _ in $(seq 1 100); do grep -q "waiting for OCSP client" ocsp-responder.log && break; sleep 0.1; done
grep -q "waiting for OCSP client" ocsp-responder.log || { cat ocsp-responder.log >&2; fail "OCSP responder did not start"; }
wait_port 8443
ok "OCSP responder on 127.0.0.1:8888, TLS server on 127.0.0.1:8443"

# --- helloscope live ---------------------------------------------------------------------------------------------
# --idle-timeout 1: the idle connection below must be expired by the clock while the interface is quiet.
ip netns exec "$ns" "$bin" live -i lo --events events.ndjson --report report.json --report-interval 0.5 \
    --write-pcap flows.pcap --idle-timeout 1 > live.out 2> live.err &
hs=$!
pids+=($hs)
for _ in $(seq 1 100); do grep -q "listening on lo" live.err && break; sleep 0.1; done
grep -q "listening on lo" live.err || { cat live.err >&2; fail "helloscope live did not start"; }
ok "helloscope live listening (pid $hs)"

# --- Traffic -------------------------------------------------------------------------------------------------------
in_ns curl -sS -k --max-time 10 --resolve test.example:8443:127.0.0.1 https://test.example:8443/ -o curl.out \
    || fail "curl failed"
ok "curl https://test.example:8443/"
in_ns openssl s_client -connect 127.0.0.1:8443 -servername status.example -status -CAfile ca.crt \
    < /dev/null > s_client.out 2>&1 || fail "openssl s_client failed"
grep -q "OCSP Response Status: successful" s_client.out || fail "s_client saw no stapled OCSP response"
ok "openssl s_client -status (stapled OCSP response received)"
# TLS 1.2: the certificate and its staple travel in clear, so the pipeline can see them.
in_ns openssl s_client -tls1_2 -connect 127.0.0.1:8443 -servername staple12.example -status -CAfile ca.crt \
    < /dev/null > s_client12.out 2>&1 || fail "openssl s_client -tls1_2 failed"
grep -q "OCSP Response Status: successful" s_client12.out || fail "s_client -tls1_2 saw no stapled OCSP response"
ok "openssl s_client -tls1_2 -status (stapled OCSP response received)"
in_ns openssl ocsp -issuer ca.crt -cert server.crt -url http://127.0.0.1:8888 -CAfile ca.crt -timeout 10 \
    > ocsp-query.out 2>&1 || { cat ocsp-query.out >&2; fail "openssl ocsp query failed"; }
grep -q "server.crt: good" ocsp-query.out || fail "OCSP query did not say good"
ok "openssl ocsp -url http://127.0.0.1:8888 (good)"
# A connection that shakes hands and then stays silent (its stdin, a FIFO, is held open). Last, because
# s_server -www serves one connection at a time.
mkfifo idle.in
exec 7<>idle.in
ip netns exec "$ns" openssl s_client -connect 127.0.0.1:8443 -servername idle.example < idle.in > idle.out 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "^---" idle.out 2>/dev/null && break; sleep 0.1; done
grep -q "^---" idle.out || fail "idle s_client did not connect"
idle_since=$SECONDS
ok "idle TLS connection open (SNI idle.example)"

# A periodic report must appear while running.
for _ in $(seq 1 40); do [[ -s report.json ]] && break; sleep 0.1; done
jq -e '.options.live.mode == "live" and .options.live.final == false' report.json > /dev/null || fail "no periodic report while running"
ok "periodic report rewritten while running"

# The idle connection has had no packet for over 1 s; the sweep runs every 10 s of the pipeline's clock, which
# helloscope advances from the wall clock (2 s behind) while no packet arrives.
while ((SECONDS - idle_since < 14)); do sleep 0.5; done
kill -INT "$hs"
for _ in $(seq 1 200); do kill -0 "$hs" 2>/dev/null || break; sleep 0.1; done
kill -0 "$hs" 2>/dev/null && fail "helloscope live still running 20 s after SIGINT"
set +e
wait "$hs"
rc=$?
set -e
rest=()
for p in "${pids[@]}"; do [[ $p != "$hs" ]] && rest+=("$p"); done
pids=("${rest[@]}")
[[ $rc -eq 0 ]] || { cat live.err >&2; fail "helloscope live exited with $rc after SIGINT"; }
ok "SIGINT: helloscope live exited 0"
grep -E "stopped \(SIGINT\)" live.err || fail "no stop message on stderr"
grep -q "dropped by kernel" live.err || fail "no capture statistics on stderr"

# --- Checks (jq 1.6: -e only sees the last input, so whole files are slurped with -s) ----------------------------------------------------------------------------------------------------
jq -s -e 'length > 0' events.ndjson > /dev/null || fail "events are not valid NDJSON"
ch() { jq -c --arg sni "$1" 'select(.type == "client_hello" and .sni == $sni)' events.ndjson; }
[[ -n $(ch test.example) ]] || fail "no client_hello with SNI test.example (curl)"
ch test.example | jq -s -e 'all(.[]; (.ja4 | length) > 10 and (.ja3 | length) == 32)' > /dev/null || fail "curl hello lacks ja4/ja3"
ok "curl ClientHello: $(ch test.example | jq -r '"sni=\(.sni) ja4=\(.ja4)"' | head -1)"
[[ -n $(ch status.example) ]] || fail "no client_hello with SNI status.example (s_client)"
ch status.example | jq -s -e 'all(.[]; .status_request.offered == true and (.ja4 | length) > 10)' > /dev/null \
    || fail "s_client -status hello lacks status_request or ja4"
ok "s_client ClientHello: $(ch status.example | jq -r '"sni=\(.sni) ja4=\(.ja4) status_request=\(.status_request.offered)"' | head -1)"
jq -s -e 'any(.[]; .type == "server_hello")' events.ndjson > /dev/null || fail "no server_hello"
summary=$(jq -c 'select(.type == "capture_summary")' events.ndjson)
[[ -n $summary ]] || fail "no capture_summary event"
echo "$summary" | jq -e '.format == "live" and .capture == "lo" and (.counters.live_received >= .packets)
    and (.counters | has("live_dropped_kernel") and has("live_dropped_interface"))' > /dev/null \
    || fail "capture_summary lacks the live counters: $summary"
ok "capture_summary: $(echo "$summary" | jq -r '"packets=\(.packets) client_hellos=\(.client_hellos) live_received=\(.counters.live_received) live_dropped_kernel=\(.counters.live_dropped_kernel)"')"
[[ -n $(ch idle.example) ]] || fail "no client_hello with SNI idle.example"
echo "$summary" | jq -e '.counters.tcp_flows_expired >= 1' > /dev/null \
    || fail "the idle connection was not expired on the quiet interface: $(echo "$summary" | jq -c .counters)"
ok "quiet interface: idle connection expired by the clock (tcp_flows_expired=$(echo "$summary" | jq .counters.tcp_flows_expired))"

expect_ocsp=${HELLOSCOPE_EXPECT_OCSP:-}
if [[ -z $expect_ocsp ]]; then
    if "$bin" analyze --help 2>&1 | grep -qi ocsp; then expect_ocsp=1; else expect_ocsp=0; fi
fi
ocsp_events=$(jq -c 'select(.type == "ocsp_request")' events.ndjson | wc -l)
if [[ $expect_ocsp == 1 ]]; then
    ((ocsp_events > 0)) || fail "no ocsp_request event for the openssl ocsp query"
    jq -s -e 'any(.[]; .type == "ocsp_response")' events.ndjson > /dev/null || fail "no ocsp_response event"
    jq -s -e 'any(.[]; .type == "ocsp_staple" and .sni == "staple12.example")' events.ndjson > /dev/null \
        || fail "no ocsp_staple event for the TLS 1.2 handshake"
    ok "OCSP seen: $ocsp_events ocsp_request, ocsp_response, ocsp_staple (TLS 1.2, staple12.example)"
else
    echo "live-integration: note: OCSP events not required (pipeline without OCSP support); ocsp_request events: $ocsp_events"
fi

# The report is the project's report (reports/helloscope-report.schema.json) with options.live.
jq -e '.schema_version == "1.0" and .generator.name == "helloscope" and .options.live.mode == "live"
    and .options.live.interface == "lo" and .options.live.final == true and (.options.live.started | length) > 0
    and (.options.live.updated | length) > 0 and .options.live.received >= 1 and (.options.live.dropped_kernel | type) == "number"
    and .inputs[0].format == "live" and .inputs[0].file == "lo" and .counters.live_received >= 1
    and ([.clients[].fingerprints[].snis | keys[]] | index("test.example") != null and index("status.example") != null)' \
    report.json > /dev/null || fail "final report incomplete: $(cat report.json)"
ok "final report parses: $(jq -c '{received: .options.live.received, dropped_kernel: .options.live.dropped_kernel, clients: .summary.clients, live_ocsp_checks: .summary.live_ocsp_checks, classifications: .summary.classifications}' report.json)"
if python3 -c 'import jsonschema' 2>/dev/null; then
    python3 "$here/scripts/validate-json.py" "$here/reports/helloscope-report.schema.json" report.json > schema.out \
        || { cat schema.out >&2; fail "final report does not match the report schema"; }
    if [[ -f $here/reports/helloscope-events.schema.json ]]; then
        python3 "$here/scripts/validate-json.py" "$here/reports/helloscope-events.schema.json" events.ndjson --ndjson > schema-events.out \
            || { cat schema-events.out >&2; fail "events do not match the event schema"; }
    fi
    ok "report and events match their JSON schemas"
else
    echo "live-integration: note: python3 jsonschema missing, schemas not checked"
fi
ls -a | grep -q '\.report\.json\.tmp' && fail "temporary report file left behind"

# The saved pcap holds the handshake flows: analysing it offline finds the same hellos.
[[ -s flows.pcap ]] || fail "no --write-pcap file"
"$bin" analyze flows.pcap --events offline.ndjson > /dev/null
for sni in test.example status.example; do
    live=$(jq -r --arg s "$sni" 'select(.type == "client_hello" and .sni == $s) | .ja4' events.ndjson | sort -u)
    off=$(jq -r --arg s "$sni" 'select(.type == "client_hello" and .sni == $s) | .ja4' offline.ndjson | sort -u)
    [[ -n $off && $live == "$off" ]] || fail "saved pcap: $sni hello ja4 '$off' differs from live '$live'"
done
if [[ $expect_ocsp == 1 ]]; then
    jq -s -e 'any(.[]; .type == "ocsp_request")' offline.ndjson > /dev/null || fail "saved pcap lacks the OCSP flow"
fi
ok "--write-pcap: $(jq -r 'select(.type == "capture_summary") | "\(.packets) packets, \(.client_hellos) ClientHellos"' offline.ndjson) re-analysed offline, same JA4s"

# An interface that disappears under helloscope: exit status 1, a message, and the summary still written.
ip -n "$ns" link add hsit0 type veth peer name hsit1
ip -n "$ns" link set hsit0 up
ip -n "$ns" link set hsit1 up
ip netns exec "$ns" "$bin" live -i hsit1 --events gone.ndjson > gone.out 2> gone.err &
gone=$!
pids+=($gone)
for _ in $(seq 1 100); do grep -q "listening on hsit1" gone.err && break; sleep 0.1; done
ip -n "$ns" link del hsit0
for _ in $(seq 1 100); do kill -0 "$gone" 2>/dev/null || break; sleep 0.1; done
set +e
wait "$gone"
rc=$?
set -e
[[ $rc -eq 1 ]] || { cat gone.err >&2; fail "interface removed: exit status $rc, expected 1"; }
grep -q "capture failed" gone.err || fail "interface removed: no failure message"
jq -s -e 'any(.[]; .type == "capture_summary")' gone.ndjson > /dev/null || fail "interface removed: no capture_summary"
ok "interface removed while capturing: exit 1, $(grep -o 'capture failed.*' gone.err)"

echo "live-integration: PASS"
