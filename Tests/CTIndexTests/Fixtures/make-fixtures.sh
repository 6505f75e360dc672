#!/usr/bin/env bash
# Regenerates the CT correlation fixtures in this directory (needs openssl >= 3.0 and python3).
#
#   root.pem                   self-signed root "CT Fixture Root"
#   ca-a.pem, ca-b.pem         two intermediates (CN "CT Fixture CA A" / "CT Fixture CA B")
#   ca-c.pem                   a third intermediate that is never in any export (decoys)
#   issuers.pem                bundle: ca-a, ca-b, root
#   leaves/*.pem               the leaves (directory input)
#   shop-a.pem   serial 8f00000000000000000001 (DER content has a leading 00) by CA A, shop.example.org
#   mail-b.pem   the SAME serial by CA B, mail.example.net           (a serial shared by two issuers)
#   api-a.pem    serial 0abc (odd hex "abc")     by CA A, api.example.org + api2.example.org
#   blog-a.pem   serial 1234                     by CA A, CN blog.example.org only (no SAN)
#   decoy-c.pem  serial 0abc by CA C (same serial as api-a, other issuer), decoy.example.com — in no export
#   stray-a.pem  serial 5555 by CA A, stray.example.com — in no export
#   ocsp-*.der   OCSP requests (openssl ocsp -reqout), SHA-1 and SHA-256 CertIDs, for the leaves above
#   crtsh.json   crt.sh-style export of shop-a (and its precertificate row), mail-b, api-a, blog-a; serials in
#                crt.sh's spelling (DER content octets, lower case, leading 00 kept)
#   certstream.ndjson  certstream messages (upper-case, no leading zeros, odd length) + a heartbeat
#   censys.ndjson      Censys views with decimal serials (one with `raw`)
#   get-entries.json   RFC 6962 get-entries: x509_entry shop-a (chain ca-a, root), precert_entry api-a
#   expected.tsv       serial (normalised) <TAB> issuer CN <TAB> hostnames (comma-joined)
#
# Keys are fresh on every run; the tests only assert what this script fixes (serials, names) or recompute hashes
# from the certificates. Usage: Tests/CTIndexTests/Fixtures/make-fixtures.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
cat > ext.cnf <<'CNF'
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ leaf_shop ]
basicConstraints = critical,CA:FALSE
subjectAltName = DNS:shop.example.org,DNS:www.shop.example.org
authorityInfoAccess = OCSP;URI:http://ocsp.example-ca.test/
[ leaf_mail ]
basicConstraints = critical,CA:FALSE
subjectAltName = DNS:mail.example.net
authorityInfoAccess = OCSP;URI:http://ocsp.example-ca.test/
[ leaf_api ]
basicConstraints = critical,CA:FALSE
subjectAltName = DNS:api.example.org,DNS:API2.Example.org.
[ leaf_blog ]
basicConstraints = critical,CA:FALSE
[ leaf_decoy ]
basicConstraints = critical,CA:FALSE
subjectAltName = DNS:decoy.example.com
[ leaf_stray ]
basicConstraints = critical,CA:FALSE
subjectAltName = DNS:stray.example.com
CNF

key root.key
openssl req -x509 -new -key root.key -subj "/C=XX/O=CT Fixtures/CN=CT Fixture Root" -days 3650 \
  -set_serial 1 -extensions v3_ca -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n'; cat ext.cnf) \
  -out root.pem 2>/dev/null
for c in a b c; do
  C=$(echo $c | tr a-z A-Z)
  key ca-$c.key
  openssl req -new -key ca-$c.key -subj "/C=XX/O=CT Fixtures, Inc./CN=CT Fixture CA $C" -out ca-$c.csr
  openssl x509 -req -in ca-$c.csr -CA root.pem -CAkey root.key -set_serial 0x1$c \
    -days 3000 -extfile ext.cnf -extensions v3_ca -out ca-$c.pem 2>/dev/null
done

leaf() { # name ca serial cn ext
  key $1.key
  openssl req -new -key $1.key -subj "/CN=$4" -out $1.csr
  openssl x509 -req -in $1.csr -CA ca-$2.pem -CAkey ca-$2.key -set_serial $3 -days 400 \
    -extfile ext.cnf -extensions $5 -out $1.pem 2>/dev/null
}
leaf shop-a a 0x8f00000000000000000001 shop.example.org leaf_shop
leaf mail-b b 0x8f00000000000000000001 mail.example.net leaf_mail
leaf api-a a 0xabc api.example.org leaf_api
leaf blog-a a 0x1234 Blog.Example.org leaf_blog
leaf decoy-c c 0xabc decoy.example.com leaf_decoy
leaf stray-a a 0x5555 stray.example.com leaf_stray

ocsp() { # out issuer cert digest
  openssl ocsp -issuer "$2" -$4 -cert "$3" -no_nonce -reqout "$1" >/dev/null
}
for d in sha1 sha256; do
  ocsp ocsp-shop-a-$d.der ca-a.pem shop-a.pem $d
  ocsp ocsp-mail-b-$d.der ca-b.pem mail-b.pem $d
  ocsp ocsp-api-a-$d.der ca-a.pem api-a.pem $d
  ocsp ocsp-blog-a-$d.der ca-a.pem blog-a.pem $d
  ocsp ocsp-decoy-c-$d.der ca-c.pem decoy-c.pem $d
  ocsp ocsp-stray-a-$d.der ca-a.pem stray-a.pem $d
done

rm -rf "$here/leaves"
mkdir -p "$here/leaves"
for l in shop-a mail-b api-a blog-a; do cp $l.pem "$here/leaves/"; done
cat ca-a.pem ca-b.pem root.pem > issuers.pem
cp root.pem ca-a.pem ca-b.pem ca-c.pem issuers.pem shop-a.pem mail-b.pem api-a.pem blog-a.pem decoy-c.pem \
  stray-a.pem ocsp-*.der "$here/"

python3 - "$here" <<'PY'
import base64, json, subprocess, sys
here = sys.argv[1]

def der(pem):
    return subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"], capture_output=True, check=True).stdout

def tlv(b, i):
    """(tag, header length, content length) at offset i."""
    tag = b[i]; l = b[i + 1]
    if l < 0x80: return tag, 2, l
    n = l & 0x7f
    return tag, 2 + n, int.from_bytes(b[i + 2:i + 2 + n], "big")

def tbs(cert):
    _, h, _ = tlv(cert, 0)
    _, h2, l2 = tlv(cert, h)
    return cert[h:h + h2 + l2]

def u24(n): return n.to_bytes(3, "big")

leaves = {
    "shop-a": dict(ca="CT Fixture CA A", content="008f00000000000000000001", hosts=["shop.example.org", "www.shop.example.org"], id=1001),
    "mail-b": dict(ca="CT Fixture CA B", content="008f00000000000000000001", hosts=["mail.example.net"], id=1002),
    "api-a": dict(ca="CT Fixture CA A", content="0abc", hosts=["api.example.org", "api2.example.org"], id=1003),
    "blog-a": dict(ca="CT Fixture CA A", content="1234", hosts=["blog.example.org"], id=1004),
}
rows = []
for name, v in leaves.items():
    rows.append({"issuer_ca_id": 77 if v["ca"].endswith("A") else 78,
                 "issuer_name": "C=XX, O=CT Fixtures\\, Inc., CN=" + v["ca"] if name == "shop-a" else "C=XX, O=CT Fixtures, Inc., CN=" + v["ca"],
                 "common_name": v["hosts"][0], "name_value": "\n".join(v["hosts"]), "id": v["id"],
                 "entry_timestamp": "2026-01-02T03:04:05.678", "not_before": "2026-01-02T03:04:05",
                 "not_after": "2027-02-03T04:05:06", "serial_number": v["content"], "result_count": len(v["hosts"])})
# the precertificate row of shop-a: same serial and issuer, another id
pre = dict(rows[0]); pre["id"] = 999; rows.insert(0, pre)
with open(f"{here}/crtsh.json", "w") as f:
    json.dump(rows, f, indent=2)

with open(f"{here}/certstream.ndjson", "w") as f:
    f.write(json.dumps({"message_type": "heartbeat", "timestamp": 1581741558.4}) + "\n")
    for k, (name, v) in enumerate(leaves.items()):
        serial = v["content"].lstrip("0").upper()
        msg = {"message_type": "certificate_update", "data": {
            "update_type": "X509LogEntry", "cert_index": 5000 + k,
            "cert_link": "http://ct.example/ct/v1/get-entries?start=%d&end=%d" % (5000 + k, 5000 + k),
            "leaf_cert": {"all_domains": v["hosts"], "serial_number": serial,
                          "subject": {"CN": v["hosts"][0], "aggregated": "/CN=" + v["hosts"][0]},
                          "not_before": 1767323045, "not_after": 1801713906.0},
            "chain": [{"subject": {"C": "XX", "CN": v["ca"], "O": "CT Fixtures, Inc.",
                                   "aggregated": "/C=XX/CN=%s/O=CT Fixtures, Inc." % v["ca"]}}],
            "seen": 1767323046.5, "source": {"name": "fixture log", "url": "ct.example/"}}}
        f.write(json.dumps(msg) + "\n")

with open(f"{here}/censys.ndjson", "w") as f:
    for k, (name, v) in enumerate(leaves.items()):
        d = {"parsed": {"serial_number": str(int(v["content"], 16)), "names": v["hosts"],
                        "issuer_dn": "C=XX, O=CT Fixtures, Inc., CN=" + v["ca"],
                        "validity": {"start": "2026-01-02T03:04:05Z", "end": "2027-02-03T04:05:06Z"}},
             "ct": {"fixture_log": {"index": 7000 + k}}}
        if name == "api-a":
            d["raw"] = base64.b64encode(der(f"{here}/api-a.pem")).decode()
        f.write(json.dumps(d) + "\n")

root, caa = der(f"{here}/root.pem"), der(f"{here}/ca-a.pem")
chain = u24(len(caa)) + caa + u24(len(root)) + root
shop = der(f"{here}/shop-a.pem")
x509_leaf = bytes([0, 0]) + (1767323045000).to_bytes(8, "big") + bytes([0, 0]) + u24(len(shop)) + shop + bytes([0, 0])
api = der(f"{here}/api-a.pem")
t = tbs(api)
pre_leaf = bytes([0, 0]) + (1767323046000).to_bytes(8, "big") + bytes([0, 1]) + bytes(32) + u24(len(t)) + t + bytes([0, 0])
entries = [
    {"leaf_input": base64.b64encode(x509_leaf).decode(), "extra_data": base64.b64encode(u24(len(chain)) + chain).decode()},
    {"leaf_input": base64.b64encode(pre_leaf).decode(),
     "extra_data": base64.b64encode(u24(len(api)) + api + u24(len(chain)) + chain).decode()},
]
with open(f"{here}/get-entries.json", "w") as f:
    json.dump({"entries": entries}, f)

with open(f"{here}/expected.tsv", "w") as f:
    for name, v in leaves.items():
        f.write("%s\t%s\t%s\n" % (v["content"].lstrip("0"), v["ca"], ",".join(v["hosts"])))
PY
echo "fixtures written to $here"
