#!/usr/bin/env bash
# helloscope real-client capture lab.
#
#   lab/run-lab.sh [--no-browsers] [--no-quic] [--out DIR] [--keep-work]
#
# Builds a throwaway PKI, starts OCSP/CRL/TLS/DTLS/QUIC servers inside a private network
# namespace, runs real clients against them one scenario at a time while tcpdump records
# the namespace's loopback, and writes DIR/<scenario>.pcap, DIR/<scenario>.keys,
# DIR/ground-truth.json (derived from tshark and the clients' own output), DIR/MANIFEST.md
# and DIR/pki/. Default DIR: captures/lab. Needs root (network namespaces, tcpdump).
# No traffic leaves the namespaces the script creates; everything it starts is stopped and
# the namespaces are deleted on exit, also on failure.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$LAB_DIR")
OUT=$REPO/captures/lab
BROWSERS=1
QUIC=1
KEEP_WORK=0
NS=${HSLAB_NS:-hslab}          # servers, loopback clients and captures
NS2=${NS}-peer                  # the far end of the MTU-576 veth link
T0=$(date +%s)

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --no-browsers) BROWSERS=0 ;;
    --no-quic) QUIC=0 ;;
    --out) OUT=${2:?--out needs a directory}; shift ;;
    --out=*) OUT=${1#--out=} ;;
    --keep-work) KEEP_WORK=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run-lab: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
case "$OUT" in /*) ;; *) OUT=$PWD/$OUT ;; esac

log() { printf '[lab %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, tcpdump)"

# ---------------------------------------------------------------------------------------
# 1. Dependencies (installed only when missing).
# ---------------------------------------------------------------------------------------
want=(openssl nginx-light gnutls-bin curl tcpdump tshark iproute2 python3 python3-pip libnss3-tools ethtool)
[ "$BROWSERS" -eq 1 ] && want+=(chromium firefox-esr)
missing=()
for p in "${want[@]}"; do
  if [ "$p" = nginx-light ] && command -v nginx >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian nginx package may start its default site; the lab runs its own instance only.

PYDEPS=$LAB_DIR/work/pydeps
if [ "$QUIC" -eq 1 ] && ! PYTHONPATH=$PYDEPS python3 -c 'import aioquic' 2>/dev/null; then
  log "installing aioquic into $PYDEPS"
  mkdir -p "$PYDEPS"
  python3 -m pip install --quiet --disable-pip-version-check --target "$PYDEPS" aioquic 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check --break-system-packages --target "$PYDEPS" aioquic ||
    { log "aioquic could not be installed: QUIC scenario skipped"; QUIC=0; }
fi

# ---------------------------------------------------------------------------------------
# 2. Work area, cleanup trap, lock.
# ---------------------------------------------------------------------------------------
exec 9>/run/lock/helloscope-lab.lock
flock -n 9 || die "another lab run holds /run/lock/helloscope-lab.lock"

WORK=$(mktemp -d /tmp/helloscope-lab.XXXXXX)
PKI=$WORK/pki
CAP=$WORK/out          # captures and keys of this run; copied to $OUT at the end
LOGS=$WORK/logs
mkdir -p "$CAP" "$LOGS"
: > "$WORK/meta.jsonl"
PIDS=()

cleanup() {
  local rc=$?
  set +e
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do
    kill "${PIDS[$i]}" 2>/dev/null
  done
  for pid in "${PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  ip netns del "$NS2" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "/etc/netns/$NS" "/etc/netns/$NS2"
  rmdir /etc/netns 2>/dev/null   # only when nothing else uses it
  if [ "$KEEP_WORK" -eq 1 ]; then log "work area kept: $WORK"; else rm -rf "$WORK"; fi
  [ $rc -ne 0 ] && log "FAILED (exit $rc)"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

track() { PIDS+=("$1"); }
untrack() { local p keep=(); for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; PIDS=("${keep[@]}"); }
nsx() { ip netns exec "$NS" "$@"; }
ns2x() { ip netns exec "$NS2" "$@"; }

# ---------------------------------------------------------------------------------------
# 3. PKI.
# ---------------------------------------------------------------------------------------
log "building PKI"
"$LAB_DIR/pki.sh" "$PKI" >/dev/null

# ---------------------------------------------------------------------------------------
# 4. Namespaces: $NS (loopback, every server) and $NS2 linked to it by a veth pair, MTU 576.
#    198.18.0.0/30 is the benchmarking range and exists only on this link inside the two namespaces.
# ---------------------------------------------------------------------------------------
ip netns del "$NS2" 2>/dev/null || true
ip netns del "$NS" 2>/dev/null || true
for n in "$NS" "$NS2"; do ip netns add "$n"; ip -n "$n" link set lo up; done
mkdir -p "/etc/netns/$NS" "/etc/netns/$NS2"
LAB_NAMES="good.lab.test revoked.lab.test muststaple.lab.test ocsp.lab.test crl.lab.test"
printf '127.0.0.1\tlocalhost %s\n' "$LAB_NAMES" > "/etc/netns/$NS/hosts"
printf '127.0.0.1\tlocalhost\n198.18.0.1\t%s\n' "$LAB_NAMES" > "/etc/netns/$NS2/hosts"
# Name lookups other than /etc/hosts stay inside the namespace too.
for n in "$NS" "$NS2"; do printf 'nameserver 127.0.0.1\n' > "/etc/netns/$n/resolv.conf"; done
ip link add hsv0 netns "$NS" type veth peer name hsv1 netns "$NS2"
ip -n "$NS" addr add 198.18.0.1/30 dev hsv0
ip -n "$NS2" addr add 198.18.0.2/30 dev hsv1
ip -n "$NS" link set hsv0 mtu 576 up
ip -n "$NS2" link set hsv1 mtu 576 up
# No segmentation offload: every captured frame is a real on-the-wire segment of at most 576 bytes.
nsx ethtool -K hsv0 tso off gso off gro off >/dev/null 2>&1 || true
ns2x ethtool -K hsv1 tso off gso off gro off >/dev/null 2>&1 || true

# ---------------------------------------------------------------------------------------
# 5. Servers.
# ---------------------------------------------------------------------------------------
P_OCSP=8080; P_HTTP=8081
P_STAPLE12=4431; P_STAPLE13=4432; P_NOSTAPLE=4433; P_MUSTSTAPLE=4434; P_REVOKED=4435
P_DTLS=4436; P_QUIC=4437

start_bg() { # logname cmd...   (runs inside $NS)
  local name=$1; shift
  # `ip netns exec` directly (not the nsx function) so that $! is the server process itself.
  ip netns exec "$NS" "$@" > "$LOGS/$name.log" 2>&1 9>&- &
  track $!
}
wait_tcp() { # port
  for _ in $(seq 1 50); do
    nsx bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null && return 0
    sleep 0.1
  done
  die "server on port $1 did not come up (see logs)"
}

log "starting servers in namespace $NS"
start_bg ocsp-responder openssl ocsp -index "$PKI/index.txt" -port $P_OCSP -rsigner "$PKI/ocsp.crt" \
  -rkey "$PKI/ocsp.key" -CA "$PKI/int.crt" -ndays 1 -ignore_err
start_bg http-crl python3 -m http.server $P_HTTP --bind 0.0.0.0 --directory "$PKI/www"

mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
user root;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $LOGS/nginx-error.log info;
events { worker_connections 64; }
http {
  access_log $LOGS/nginx-access.log;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  default_type text/html;
  keepalive_timeout 0;
  # stapling ON, TLS 1.2 only: the CertificateStatus message is in clear
  server {
    listen $P_STAPLE12 ssl;
    server_name good.lab.test;
    ssl_certificate $PKI/good.chain.crt;
    ssl_certificate_key $PKI/good.key;
    ssl_protocols TLSv1.2;
    ssl_stapling on;
    ssl_stapling_file $PKI/good.ocsp.der;
    location / { return 200 "<html><body>good.lab.test: stapling on, TLS 1.2</body></html>\n"; }
  }
  # stapling ON, TLS 1.3 only: the staple travels in the encrypted Certificate message
  server {
    listen $P_STAPLE13 ssl;
    server_name good.lab.test;
    ssl_certificate $PKI/good.chain.crt;
    ssl_certificate_key $PKI/good.key;
    ssl_protocols TLSv1.3;
    ssl_stapling on;
    ssl_stapling_file $PKI/good.ocsp.der;
    location / { return 200 "<html><body>good.lab.test: stapling on, TLS 1.3</body></html>\n"; }
  }
  # stapling OFF, TLS 1.2 and 1.3
  server {
    listen $P_NOSTAPLE ssl;
    server_name good.lab.test;
    ssl_certificate $PKI/good.chain.crt;
    ssl_certificate_key $PKI/good.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_stapling off;
    location / { return 200 "<html><body>good.lab.test: no stapling</body></html>\n"; }
  }
  # must-staple certificate served WITHOUT a staple; TLS 1.2 only so the missing CertificateStatus
  # and the clients' alerts are visible in clear
  server {
    listen $P_MUSTSTAPLE ssl;
    server_name muststaple.lab.test;
    ssl_certificate $PKI/muststaple.chain.crt;
    ssl_certificate_key $PKI/muststaple.key;
    ssl_protocols TLSv1.2;
    ssl_stapling off;
    location / { return 200 "<html><body>muststaple.lab.test: must-staple, no staple</body></html>\n"; }
  }
}
EOF
nsx nginx -t -c "$WORK/nginx/nginx.conf" > "$LOGS/nginx-test.log" 2>&1 || { cat "$LOGS/nginx-test.log" >&2; die "nginx config"; }
start_bg nginx nginx -c "$WORK/nginx/nginx.conf"
# The revoked host: nginx will not staple a revoked response, openssl s_server staples whatever it is given.
# TLS 1.2 only so the staple and any client alert are visible in clear.
start_bg s_server-revoked openssl s_server -accept $P_REVOKED -cert "$PKI/revoked.crt" -key "$PKI/revoked.key" \
  -cert_chain "$PKI/int.crt" -status_file "$PKI/revoked.ocsp.der" -no_tls1_3 -www
start_bg s_server-dtls openssl s_server -dtls1_2 -listen -accept $P_DTLS -cert "$PKI/good.crt" -key "$PKI/good.key" \
  -cert_chain "$PKI/int.crt" -status_file "$PKI/good.ocsp.der" -quiet
if [ "$QUIC" -eq 1 ]; then
  start_bg quic-server env PYTHONPATH="$PYDEPS" python3 "$LAB_DIR/quic_echo.py" server $P_QUIC \
    "$PKI/good.chain.crt" "$PKI/good.key"
fi
# The openssl ocsp responder serves one connection at a time and stalls on a connection that sends
# nothing, so it is not probed with a bare connect: its log says when it listens.
for _ in $(seq 1 50); do grep -q 'waiting for OCSP client' "$LOGS/ocsp-responder.log" && break; sleep 0.1; done
grep -q 'waiting for OCSP client' "$LOGS/ocsp-responder.log" || die "OCSP responder did not start"
for p in $P_HTTP $P_STAPLE12 $P_STAPLE13 $P_NOSTAPLE $P_MUSTSTAPLE $P_REVOKED; do wait_tcp "$p"; done
sleep 1   # UDP servers (DTLS, QUIC) have no connect probe

# ---------------------------------------------------------------------------------------
# 6. Scenario machinery.
# ---------------------------------------------------------------------------------------
V_OPENSSL=$(openssl version)
V_CURL=$(curl --version | head -n1)
V_GNUTLS=$(gnutls-cli --version 2>/dev/null | head -n1)
V_PYTHON=$(python3 -c 'import sys, ssl; print("Python " + sys.version.split()[0] + " (" + ssl.OPENSSL_VERSION + ")")')
TLS_FILTER="tcp portrange 4431-4435 or tcp port $P_OCSP or tcp port $P_HTTP"

CAP_PID=
cap_start() { # pcap-path filter namespace interface snaplen
  local pcap=$1 filter=$2 ns=$3 ifc=$4 snap=$5 tlog=$LOGS/$(basename "$1" .pcap).tcpdump
  ip netns exec "$ns" tcpdump -i "$ifc" -s "$snap" -U --immediate-mode -Z root -w "$pcap" "$filter" > "$tlog" 2>&1 9>&- &
  CAP_PID=$!
  track $CAP_PID
  for _ in $(seq 1 50); do grep -q 'listening on' "$tlog" 2>/dev/null && break; sleep 0.1; done
  grep -q 'listening on' "$tlog" || die "tcpdump did not start: $(cat "$tlog")"
  sleep 0.3
}
cap_stop() {
  sleep 1
  kill -INT "$CAP_PID" 2>/dev/null || true
  wait "$CAP_PID" 2>/dev/null || true
  untrack "$CAP_PID"
}
json_line() { python3 -c 'import json, sys; a = sys.argv[1:]; print(json.dumps(dict(zip(a[::2], a[1::2]))))' "$@"; }

# Scenario attributes, set before each call to `scenario`:
#   CLIENT CLIENT_VERSION SERVER SNI DESC   [FILTER CAP_NS CAP_IF SNAP EXT_ORDER]
SCN=
scenario() { # name command...
  SCN=$1; shift
  local pcap=$CAP/$SCN.pcap rc=0
  log "scenario $SCN"
  : > "$CAP/$SCN.keys"
  cap_start "$pcap" "${FILTER:-$TLS_FILTER}" "${CAP_NS:-$NS}" "${CAP_IF:-lo}" "${SNAP:-0}"
  "$@" > "$LOGS/$SCN.out" 2>&1 || rc=$?
  cap_stop
  json_line name "$SCN" capture "$SCN.pcap" keys "$SCN.keys" client "$CLIENT" client_version "$CLIENT_VERSION" \
    server "$SERVER" sni "$SNI" description "$DESC" client_exit "$rc" client_log "$LOGS/$SCN.out" \
    ext_order "${EXT_ORDER:-fixed}" >> "$WORK/meta.jsonl"
  unset FILTER CAP_NS CAP_IF SNAP EXT_ORDER
}
http_get() { printf 'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' "$1"; }
s_client() { # host port [extra s_client options]
  local host=$1 port=$2; shift 2
  http_get "$host" | nsx timeout 20 openssl s_client -connect "$host:$port" -servername "$host" \
    -CAfile "$PKI/root.crt" -keylogfile "$CAP/$SCN.keys" -ign_eof "$@"
}
curl_get() { # url [extra curl options]
  local url=$1; shift
  nsx env SSLKEYLOGFILE="$CAP/$SCN.keys" timeout 20 curl -sS -v --cacert "$PKI/root.crt" -o /dev/null \
    -w 'http_code=%{http_code} ssl_verify_result=%{ssl_verify_result}\n' "$@" "$url"
}
gnutls() { # host port [extra gnutls-cli options]
  local host=$1 port=$2; shift 2
  http_get "$host" | nsx env SSLKEYLOGFILE="$CAP/$SCN.keys" timeout 20 gnutls-cli --x509cafile "$PKI/root.crt" \
    -p "$port" "$@" "$host"
}
# A long ALPN list makes OpenSSL's ClientHello about 1.3 kB: several TCP segments at MTU 576,
# several 512-byte records with -max_send_frag 512.
BIG_ALPN=$(python3 -c 'print(",".join(["http/1.1"] + ["lab-proto-%02d-padding-to-grow-the-hello" % i for i in range(24)]))')
BIG_GROUPS=X25519:P-256:P-384:P-521:X448:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192

# ---------------------------------------------------------------------------------------
# 7. Scenarios.
# ---------------------------------------------------------------------------------------
CLIENT="openssl s_client"; CLIENT_VERSION=$V_OPENSSL; SNI=good.lab.test
SERVER="nginx, stapling on, TLS 1.2 only (:$P_STAPLE12)"
DESC="OpenSSL client without -status: no status_request, so no staple even though the server staples"
scenario openssl-nostatus-staple12 s_client good.lab.test $P_STAPLE12
DESC="OpenSSL client with -status: status_request offered, good staple in a clear CertificateStatus message"
scenario openssl-status-staple12 s_client good.lab.test $P_STAPLE12 -status
SERVER="nginx, stapling on, TLS 1.3 only (:$P_STAPLE13)"
DESC="OpenSSL client with -status over TLS 1.3: the staple rides in the encrypted Certificate message"
scenario openssl-status-staple13 s_client good.lab.test $P_STAPLE13 -status
SERVER="nginx, stapling off (:$P_NOSTAPLE)"
DESC="OpenSSL client with -status against a server that does not staple: status_request offered, nothing stapled"
scenario openssl-status-nostaple s_client good.lab.test $P_NOSTAPLE -status
SERVER="openssl s_server -status_file <revoked response>, TLS 1.2 (:$P_REVOKED)"; SNI=revoked.lab.test
DESC="OpenSSL client with -status against the revoked host: revoked staple (keyCompromise) in clear; s_client reports it but does not abort"
scenario openssl-status-revoked s_client revoked.lab.test $P_REVOKED -status
DESC="OpenSSL client downloading and checking the CRL (-crl_check -crl_download -verify_return_error): fetches the CRL over HTTP, aborts with a certificate_revoked alert in clear"
scenario openssl-alert-revoked s_client revoked.lab.test $P_REVOKED -crl_check -crl_download -verify_return_error

CLIENT="curl"; CLIENT_VERSION=$V_CURL; SNI=good.lab.test
SERVER="nginx, stapling off (:$P_NOSTAPLE)"
DESC="curl without --cert-status: the ClientHello of a plain curl; no OCSP anywhere"
scenario curl-nostatus curl_get https://good.lab.test:$P_NOSTAPLE/
SERVER="nginx, stapling on, TLS 1.2 only (:$P_STAPLE12)"
DESC="curl --cert-status: status_request offered, good staple checked by curl"
scenario curl-certstatus-staple12 curl_get https://good.lab.test:$P_STAPLE12/ --cert-status
SERVER="nginx, must-staple certificate, no staple, TLS 1.2 only (:$P_MUSTSTAPLE)"; SNI=muststaple.lab.test
DESC="curl --cert-status against a must-staple certificate served without a staple: curl fails (no OCSP response)"
scenario curl-certstatus-muststaple curl_get https://muststaple.lab.test:$P_MUSTSTAPLE/ --cert-status

CLIENT="gnutls-cli"; CLIENT_VERSION=$V_GNUTLS; SNI=good.lab.test
SERVER="nginx, stapling off (:$P_NOSTAPLE)"
DESC="gnutls-cli --ocsp with no staple: the client asks the OCSP responder itself"
scenario gnutls-ocsp-nostaple gnutls good.lab.test $P_NOSTAPLE --ocsp
SERVER="nginx, stapling on, TLS 1.2 only (:$P_STAPLE12)"
DESC="gnutls-cli --ocsp with a good staple: the staple answers, no responder query expected"
scenario gnutls-ocsp-staple12 gnutls good.lab.test $P_STAPLE12 --ocsp
SERVER="nginx, must-staple certificate, no staple, TLS 1.2 only (:$P_MUSTSTAPLE)"; SNI=muststaple.lab.test
DESC="gnutls-cli against a must-staple certificate without a staple: GnuTLS enforces the TLS Feature extension"
scenario gnutls-muststaple gnutls muststaple.lab.test $P_MUSTSTAPLE
SERVER="openssl s_server -status_file <revoked response>, TLS 1.2 (:$P_REVOKED)"; SNI=revoked.lab.test
DESC="gnutls-cli --ocsp against the revoked host: revoked staple; the client rejects the certificate"
scenario gnutls-ocsp-revoked gnutls revoked.lab.test $P_REVOKED --ocsp

CLIENT="python ssl"; CLIENT_VERSION=$V_PYTHON; SNI=good.lab.test
SERVER="nginx, stapling on, TLS 1.2 only (:$P_STAPLE12)"
DESC="Python ssl module (default context): no status_request, no staple"
scenario python-ssl nsx timeout 20 python3 "$LAB_DIR/py_tls_client.py" good.lab.test $P_STAPLE12 "$PKI/root.crt" "$CAP/python-ssl.keys"

# Direct OCSP and CRL traffic.
CLIENT="openssl ocsp"; CLIENT_VERSION=$V_OPENSSL; SNI=""; SERVER="openssl ocsp responder (:$P_OCSP), delegated signer"
FILTER="tcp port $P_OCSP or tcp port $P_HTTP"
DESC="OCSP POST for good.lab.test with a nonce"
scenario ocsp-post-nonce nsx timeout 20 openssl ocsp -url http://ocsp.lab.test:$P_OCSP -issuer "$PKI/int.crt" \
  -cert "$PKI/good.crt" -nonce -CAfile "$PKI/cachain.crt" -resp_text
FILTER="tcp port $P_OCSP or tcp port $P_HTTP"
DESC="one OCSP POST with three SHA-256 CertIDs (good 0x1001, revoked 0x8f00000000000001, must-staple 0x1003), no nonce"
scenario ocsp-post-multi-sha256 nsx timeout 20 openssl ocsp -url http://ocsp.lab.test:$P_OCSP -issuer "$PKI/int.crt" \
  -sha256 -serial 0x1001 -sha256 -serial 0x8f00000000000001 -sha256 -cert "$PKI/muststaple.crt" -no_nonce \
  -CAfile "$PKI/cachain.crt" -resp_text
ocsp_get() {
  openssl ocsp -issuer "$PKI/int.crt" -cert "$PKI/revoked.crt" -no_nonce -reqout "$WORK/get-req.der" >/dev/null
  local path
  path=$(python3 -c 'import base64, sys, urllib.parse; print(urllib.parse.quote(base64.b64encode(open(sys.argv[1], "rb").read()).decode(), safe=""))' "$WORK/get-req.der")
  echo "GET http://ocsp.lab.test:$P_OCSP/$path"
  nsx timeout 20 curl -sS -o "$WORK/get-resp.der" -w 'http_code=%{http_code} content_type=%{content_type}\n' \
    "http://ocsp.lab.test:$P_OCSP/$path"
  openssl ocsp -respin "$WORK/get-resp.der" -resp_text -noverify
}
CLIENT="curl (OCSP GET)"; CLIENT_VERSION=$V_CURL
FILTER="tcp port $P_OCSP or tcp port $P_HTTP"
DESC="OCSP GET (RFC 6960 A.1: base64 DER request, URL-encoded, as the last path segment) for the revoked serial"
scenario ocsp-get ocsp_get
CLIENT="curl (CRL)"; SERVER="python3 http.server (:$P_HTTP)"
FILTER="tcp port $P_OCSP or tcp port $P_HTTP"
DESC="CRL download over HTTP: the intermediate's CRL with one revoked entry"
scenario crl-download nsx timeout 20 curl -sS -o "$WORK/crl.der" -w 'http_code=%{http_code} content_type=%{content_type}\n' \
  http://crl.lab.test:$P_HTTP/intermediate.crl

# Reassembly.
CLIENT="openssl s_client"; CLIENT_VERSION=$V_OPENSSL; SNI=good.lab.test
SERVER="nginx, stapling on, TLS 1.2 only (:$P_STAPLE12), reached over a veth link with MTU 576"
CAP_NS=$NS2; CAP_IF=hsv1; FILTER="tcp port $P_STAPLE12"
DESC="large ClientHello (long ALPN list, many groups) split over several TCP segments by MTU 576"
scenario reassembly-mtu576 bash -c 'http_get() { printf "GET / HTTP/1.0\r\nHost: good.lab.test\r\n\r\n"; }; http_get |
  ip netns exec "$0" timeout 20 openssl s_client -connect good.lab.test:'$P_STAPLE12' -servername good.lab.test \
  -CAfile "$1" -keylogfile "$2" -ign_eof -status -alpn "$3" -groups "$4"' "$NS2" "$PKI/root.crt" "$CAP/reassembly-mtu576.keys" "$BIG_ALPN" "$BIG_GROUPS"
SERVER="nginx, stapling off (:$P_NOSTAPLE)"
DESC="large ClientHello sent in 512-byte TLS records (-max_send_frag 512): the handshake message spans several records"
scenario reassembly-records512 s_client good.lab.test $P_NOSTAPLE -status -alpn "$BIG_ALPN" -groups "$BIG_GROUPS" -max_send_frag 512

# DTLS.
SERVER="openssl s_server -dtls1_2 -listen (HelloVerifyRequest cookie), stapling (:$P_DTLS/udp)"
FILTER="udp port $P_DTLS"
DESC="DTLS 1.2 with -status: ClientHello, HelloVerifyRequest, second ClientHello with the cookie; staple in clear"
dtls_client() {
  (echo "hello over dtls"; sleep 1) | nsx timeout 20 openssl s_client -dtls1_2 -connect good.lab.test:$P_DTLS \
    -servername good.lab.test -CAfile "$PKI/root.crt" -keylogfile "$CAP/$SCN.keys" -status
}
scenario dtls12-status dtls_client

# QUIC.
if [ "$QUIC" -eq 1 ]; then
  V_AIOQUIC=$(PYTHONPATH=$PYDEPS python3 -c 'import aioquic; print("aioquic " + aioquic.__version__)')
  CLIENT="aioquic (python)"; CLIENT_VERSION="$V_AIOQUIC, $V_PYTHON"
  SERVER="aioquic echo server, ALPN hq-lab (:$P_QUIC/udp)"; FILTER="udp port $P_QUIC"
  DESC="QUIC v1: the ClientHello inside the Initial packet (tshark decrypts Initials without keys)"
  scenario quic-aioquic nsx timeout 20 env PYTHONPATH="$PYDEPS" python3 "$LAB_DIR/quic_echo.py" client \
    good.lab.test $P_QUIC "$PKI/root.crt" "$CAP/quic-aioquic.keys"
fi

# Browsers.
if [ "$BROWSERS" -eq 1 ]; then
  BFILTER="tcp port $P_NOSTAPLE or tcp port $P_MUSTSTAPLE or tcp port $P_STAPLE12 or tcp port $P_OCSP or tcp port $P_HTTP"
  chromium_run() { # url
    local home=$WORK/chromium-home
    rm -rf "$home"; mkdir -p "$home/.pki/nssdb"
    certutil -N -d "sql:$home/.pki/nssdb" --empty-password
    certutil -A -d "sql:$home/.pki/nssdb" -n "helloscope lab root" -t "C,," -i "$PKI/root.crt"
    nsx env HOME="$home" SSLKEYLOGFILE="$CAP/$SCN.keys" timeout 60 chromium --headless=new --no-sandbox \
      --disable-gpu --no-first-run --disable-background-networking --disable-component-update \
      --disable-sync --user-data-dir="$home/profile" --ssl-key-log-file="$CAP/$SCN.keys" \
      --virtual-time-budget=3000 --dump-dom "$1"
  }
  firefox_run() { # url [ocsp|default]   (default: the browser's own revocation settings)
    local prof=$WORK/firefox-profile
    rm -rf "$prof" "$WORK/firefox-home"; mkdir -p "$prof" "$WORK/firefox-home"
    certutil -N -d "sql:$prof" --empty-password
    certutil -A -d "sql:$prof" -n "helloscope lab root" -t "C,," -i "$PKI/root.crt"
    cp "$LAB_DIR/firefox-user.js" "$prof/user.js"
    [ "${2:-ocsp}" = ocsp ] && cat "$LAB_DIR/firefox-ocsp.js" >> "$prof/user.js"
    # An error page never finishes the screenshot: the must-staple case ends by the timeout.
    nsx env HOME="$WORK/firefox-home" SSLKEYLOGFILE="$CAP/$SCN.keys" MOZ_HEADLESS=1 timeout 40 firefox-esr \
      --headless --no-remote --profile "$prof" --screenshot "$WORK/$SCN.png" "$1"
    [ -s "$WORK/$SCN.png" ] && echo "screenshot: $(stat -c %s "$WORK/$SCN.png") bytes"
  }
  V_CHROMIUM=$(chromium --version 2>/dev/null | head -n1)
  V_FIREFOX=$(firefox-esr --version 2>/dev/null | head -n1)
  CLIENT="chromium (headless)"; CLIENT_VERSION=$V_CHROMIUM; SNI=good.lab.test
  SERVER="nginx, stapling on, TLS 1.2 only (:$P_STAPLE12)"; FILTER=$BFILTER; EXT_ORDER=shuffled
  DESC="headless Chromium, lab root trusted via NSS db: GREASE, shuffled extensions, status_request, good staple in clear"
  scenario chromium-staple12 chromium_run https://good.lab.test:$P_STAPLE12/
  SERVER="nginx, stapling off (:$P_NOSTAPLE)"; FILTER=$BFILTER; EXT_ORDER=shuffled
  DESC="headless Chromium, no staple: Chromium does not ask the OCSP responder itself"
  scenario chromium-nostaple chromium_run https://good.lab.test:$P_NOSTAPLE/
  CLIENT="firefox-esr (headless)"; CLIENT_VERSION=$V_FIREFOX
  SERVER="nginx, stapling off (:$P_NOSTAPLE)"; FILTER=$BFILTER
  DESC="headless Firefox ESR with security.OCSP.enabled=1, no staple: Firefox queries the lab OCSP responder itself"
  scenario firefox-nostaple firefox_run https://good.lab.test:$P_NOSTAPLE/
  DESC="headless Firefox ESR with its default revocation preferences (no firefox-ocsp.js), no staple"
  FILTER=$BFILTER
  scenario firefox-default-nostaple firefox_run https://good.lab.test:$P_NOSTAPLE/ default
  SERVER="nginx, must-staple certificate, no staple, TLS 1.2 only (:$P_MUSTSTAPLE)"; SNI=muststaple.lab.test; FILTER=$BFILTER
  DESC="headless Firefox ESR against a must-staple certificate without a staple: Firefox enforces must-staple"
  scenario firefox-muststaple firefox_run https://muststaple.lab.test:$P_MUSTSTAPLE/
fi

# ---------------------------------------------------------------------------------------
# 8. Ground truth, manifest, PKI export; copy to $OUT.
# ---------------------------------------------------------------------------------------
log "deriving ground truth with tshark"
mkdir -p "$CAP/pki"
for n in root int ocsp good revoked muststaple; do openssl x509 -in "$PKI/$n.crt" -out "$CAP/pki/$n.crt"; done
cp "$PKI/intermediate.crl.pem" "$CAP/pki/intermediate.crl.pem"
python3 "$LAB_DIR/ct_export.py" "$CAP/pki" good revoked muststaple > "$CAP/pki/ct-export.json"
python3 "$LAB_DIR/ground_truth.py" build --meta "$WORK/meta.jsonl" --captures "$CAP" \
  --previous "$OUT/ground-truth.json" --previous-dir "$OUT" --out "$CAP/ground-truth.json" --manifest "$CAP/MANIFEST.md" \
  --notes "$LAB_DIR/manifest-notes.txt"

mkdir -p "$OUT/pki"
rm -f "$OUT"/pki/*.crt "$OUT"/pki/*.pem "$OUT"/pki/ct-export.json
cp "$CAP"/*.pcap "$CAP"/*.keys "$OUT"/
cp "$CAP"/pki/* "$OUT/pki/"
cp "$CAP/ground-truth.json" "$CAP/MANIFEST.md" "$OUT/"

python3 "$LAB_DIR/ground_truth.py" summary "$OUT/ground-truth.json"
log "captures: $(du -ch "$OUT"/*.pcap | tail -n1 | cut -f1) in $(ls "$OUT"/*.pcap | wc -l) files under $OUT"
log "done in $(( $(date +%s) - T0 )) s"
