#!/usr/bin/env bash
# Builds the lab's throwaway PKI with openssl.
#   lab/pki.sh DIR
# DIR receives: root.{key,crt}, int.{key,crt}, ocsp.{key,crt} (delegated OCSP signer),
# good/revoked/muststaple.{key,crt,chain.crt}, index.txt (openssl ca database),
# intermediate.crl (DER) and intermediate.crl.pem, www/ (what the CRL/CA HTTP server serves).
# Names and serial numbers are fixed; keys and validity dates are new on every run.
set -euo pipefail
D=${1:?usage: pki.sh DIR}
mkdir -p "$D" "$D/www"
cd "$D"

OCSP_URL=http://ocsp.lab.test:8080
CRL_URL=http://crl.lab.test:8081/intermediate.crl
CAISSUERS_URL=http://crl.lab.test:8081/intermediate.crt

# Fixed serial numbers (tests refer to them).
SERIAL_ROOT=0x01
SERIAL_INT=0x0100
SERIAL_OCSP=0x0a01
SERIAL_GOOD=0x1001
SERIAL_REVOKED=0x8f00000000000001   # top bit set: DER needs a leading 00 octet
SERIAL_MUSTSTAPLE=0x1003

cat > ext.cnf <<EOF
[ v3_root ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ v3_int ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_ocsp ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ leaf_base ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess = OCSP;URI:$OCSP_URL, caIssuers;URI:$CAISSUERS_URL
crlDistributionPoints = URI:$CRL_URL

[ leaf_good ]
.include_section = leaf_base
subjectAltName = DNS:good.lab.test

[ leaf_revoked ]
.include_section = leaf_base
subjectAltName = DNS:revoked.lab.test

[ leaf_muststaple ]
.include_section = leaf_base
subjectAltName = DNS:muststaple.lab.test
tlsfeature = status_request
EOF
# openssl's config has no section include; expand leaf_base into each leaf section instead.
python3 - ext.cnf <<'PY'
import re, sys
p = sys.argv[1]
text = open(p).read()
base = re.search(r"\[ leaf_base \]\n(.*?)\n\n", text, re.S).group(1)
text = text.replace(".include_section = leaf_base", base)
open(p, "w").write(text)
PY

subj() { printf '/C=XX/O=helloscope lab/CN=%s' "$1"; }
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

# Root CA (self-signed).
newkey root
openssl req -new -key root.key -subj "$(subj 'helloscope Lab Root CA')" -out root.csr
openssl x509 -req -in root.csr -signkey root.key -days 3650 -set_serial $SERIAL_ROOT -sha256 \
  -extfile ext.cnf -extensions v3_root -out root.crt 2>/dev/null

issue() { # name subject-cn ca-name serial section days
  local n=$1 cn=$2 ca=$3 serial=$4 sect=$5 days=$6
  newkey "$n"
  openssl req -new -key "$n.key" -subj "$(subj "$cn")" -out "$n.csr"
  openssl x509 -req -in "$n.csr" -CA "$ca.crt" -CAkey "$ca.key" -set_serial "$serial" -days "$days" \
    -sha256 -extfile ext.cnf -extensions "$sect" -out "$n.crt" 2>/dev/null
}
issue int 'helloscope Lab Intermediate CA' root $SERIAL_INT v3_int 1825
issue ocsp 'helloscope Lab OCSP Responder' int $SERIAL_OCSP v3_ocsp 825
issue good good.lab.test int $SERIAL_GOOD leaf_good 397
issue revoked revoked.lab.test int $SERIAL_REVOKED leaf_revoked 397
issue muststaple muststaple.lab.test int $SERIAL_MUSTSTAPLE leaf_muststaple 397
rm -f ./*.csr
for n in good revoked muststaple; do cat "$n.crt" int.crt > "$n.chain.crt"; done
cat int.crt root.crt > cachain.crt

# openssl ca database: good, muststaple and the OCSP signer valid, revoked revoked (keyCompromise).
idx_line() { # status name [revocation]
  local status=$1 n=$2 rev=${3:-}
  local end serial dn
  end=$(date -u -d "$(openssl x509 -in "$n.crt" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
  serial=$(openssl x509 -in "$n.crt" -noout -serial | cut -d= -f2)
  dn=$(openssl x509 -in "$n.crt" -noout -subject -nameopt compat | sed 's/^subject=//')
  printf '%s\t%s\t%s\t%s\tunknown\t%s\n' "$status" "$end" "$rev" "$serial" "$dn"
}
REVTIME=$(date -u -d '-1 hour' +%y%m%d%H%M%SZ)
{
  idx_line V ocsp
  idx_line V good
  idx_line R revoked "$REVTIME,keyCompromise"
  idx_line V muststaple
} > index.txt
echo 'unique_subject = no' > index.txt.attr
echo 1000 > crlnumber

cat > ca.cnf <<EOF
[ ca ]
default_ca = lab_int
[ lab_int ]
dir = $D
database = \$dir/index.txt
crlnumber = \$dir/crlnumber
certificate = \$dir/int.crt
private_key = \$dir/int.key
default_md = sha256
default_crl_days = 30
crl_extensions = crl_ext
[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF
openssl ca -config ca.cnf -gencrl -out intermediate.crl.pem 2>/dev/null
openssl crl -in intermediate.crl.pem -outform DER -out intermediate.crl

cp intermediate.crl www/intermediate.crl
openssl x509 -in int.crt -outform DER -out www/intermediate.crt
openssl x509 -in root.crt -outform DER -out www/root.crt

# Pre-fetched OCSP responses for the stapling servers, signed by the delegated responder.
for n in good revoked muststaple; do
  openssl ocsp -index index.txt -rsigner ocsp.crt -rkey ocsp.key -CA int.crt -issuer int.crt \
    -cert "$n.crt" -respout "$n.ocsp.der" -ndays 7 -no_nonce >/dev/null 2>&1
done
# Sanity: the responses say what the index says.
openssl ocsp -respin good.ocsp.der -CAfile cachain.crt -issuer int.crt -cert good.crt -no_nonce 2>/dev/null | grep -q ': good'
openssl ocsp -respin revoked.ocsp.der -CAfile cachain.crt -issuer int.crt -cert revoked.crt -no_nonce 2>/dev/null | grep -q ': revoked'
echo "pki: ready in $D"
