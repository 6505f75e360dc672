#!/usr/bin/env bash
# Re-extracts the fixtures that come from real traffic (see README.md): OCSP bodies, stapled responses,
# certificate chains and raw HTTP streams from the Zeek OCSP traces, and two certificates from ct-samples.
# Needs tshark (>= 4.0) and python3. The tests never run this; they use the committed files.
# Usage: extract-trace-fixtures.sh [CORPUS_DIR] [OUT_DIR]
set -euo pipefail
corpus="${1:-/work/shared/corpus}"
out="${2:-$(cd "$(dirname "$0")" && pwd)}"
z="$corpus/zeek-ocsp"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/http-streams"

# HTTP bodies (tshark names objects after the URI; "%2f" is "/", "(n)" the n-th duplicate).
for f in ocsp-http-get ocsp-request-response ocsp-revoked ocsp-empty-responderid; do
  mkdir -p "$tmp/$f"
  tshark -r "$z/$f.pcap" -q --export-objects "http,$tmp/$f" >/dev/null 2>&1
done
cp "$tmp/ocsp-http-get/"MEkw* "$out/zeek-http-get-response.der"
cp "$tmp/ocsp-request-response/%2f" "$out/zeek-godaddy-request.der"
cp "$tmp/ocsp-request-response/%2f(1)" "$out/zeek-godaddy-response.der"
cp "$tmp/ocsp-revoked/%2f" "$out/zeek-revoked-request-1.der"
for i in 1 2 3; do cp "$tmp/ocsp-revoked/%2f($((2 * i)))" "$out/zeek-revoked-request-$((i + 1)).der"; done
for i in 0 1 2 3; do cp "$tmp/ocsp-revoked/%2f($((2 * i + 1)))" "$out/zeek-revoked-response-$((i + 1)).der"; done
cp "$tmp/ocsp-empty-responderid/ocsp" "$out/zeek-empty-responderid-response.der"

# TLS: CertificateStatus (type 22) OCSP response and the Certificate (type 11) chain, from the server side of
# TCP stream 0, reassembled by "follow,tcp,raw".
cat > "$tmp/tls.py" <<'PY'
import subprocess, sys
pcap, prefix = sys.argv[1], sys.argv[2]
txt = subprocess.run(["tshark", "-r", pcap, "-q", "-z", "follow,tcp,raw,0"], capture_output=True, text=True).stdout
srv = b"".join(bytes.fromhex(l.strip()) for l in txt.splitlines() if l.startswith("\t"))
hs, i = b"", 0
while i + 5 <= len(srv):
    ct, ln = srv[i], int.from_bytes(srv[i + 3:i + 5], "big")
    if ct == 22: hs += srv[i + 5:i + 5 + ln]
    if ct == 20: break
    i += 5 + ln
j = 0
while j + 4 <= len(hs):
    t, ln = hs[j], int.from_bytes(hs[j + 1:j + 4], "big"); m = hs[j + 4:j + 4 + ln]; j += 4 + ln
    if t == 22:
        open(prefix + "-staple.der", "wb").write(m[4:4 + int.from_bytes(m[1:4], "big")])
    if t == 11:
        k, n = 3, 0
        while k < 3 + int.from_bytes(m[0:3], "big"):
            cl = int.from_bytes(m[k:k + 3], "big"); open("%s-cert%d.der" % (prefix, n), "wb").write(m[k + 3:k + 3 + cl]); k += 3 + cl; n += 1
PY
for f in ocsp-stapling ocsp-stapling-twimg ocsp-stapling-digicert; do python3 "$tmp/tls.py" "$z/$f.pcap" "$out/$f"; done

# Raw HTTP streams, one file per direction.
cat > "$tmp/streams.py" <<'PY'
import subprocess, sys
pcap, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for s in range(n):
    txt = subprocess.run(["tshark", "-r", pcap, "-q", "-z", "follow,tcp,raw,%d" % s], capture_output=True, text=True).stdout
    c, srv = b"", b""
    for line in txt.splitlines():
        if line.startswith("\t"): srv += bytes.fromhex(line.strip())
        elif line.strip() and all(ch in "0123456789abcdef" for ch in line.strip()): c += bytes.fromhex(line.strip())
    open("%s-%d.client.bin" % (prefix, s), "wb").write(c); open("%s-%d.server.bin" % (prefix, s), "wb").write(srv)
PY
python3 "$tmp/streams.py" "$z/ocsp-http-get.pcap" "$out/http-streams/http-get" 1
python3 "$tmp/streams.py" "$z/ocsp-request-response.pcap" "$out/http-streams/godaddy-post" 1
python3 "$tmp/streams.py" "$z/ocsp-revoked.pcap" "$out/http-streams/revoked" 4
python3 "$tmp/streams.py" "$z/ocsp-empty-responderid.pcap" "$out/http-streams/empty-responderid" 1

# CT samples: the Censys view's "raw" certificate, and the Icarus log entry's leaf.
python3 -c 'import json,base64,sys; d=json.load(open(sys.argv[1])); r=[]
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            (r.append(v) if k == "raw" else walk(v))
    elif isinstance(o, list):
        [walk(v) for v in o]
walk(d); open(sys.argv[2], "wb").write(base64.b64decode(r[0]))' \
  "$corpus/ct-samples/censys-v2-certificate-view-excerpt.json" "$out/ct-censys-google.der"
cp "$corpus/ct-samples/rfc6962-icarus-120000000-leaf.der" "$out/ct-icarus-leaf.der"
chmod 644 "$out"/*.der "$out"/http-streams/*.bin
echo "trace fixtures written to $out"
