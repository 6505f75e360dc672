#!/usr/bin/env bash
# Regenerates the openssl-made fixtures in this directory (see README.md).
# Keys are fresh on every run, so hashes and signatures change; the tests only assert values that the
# script fixes (serials, names, dates given here, statuses, reasons) or that they recompute from the
# certificates themselves (issuerNameHash / issuerKeyHash).
# Usage: Tests/PKIParsingTests/Fixtures/make-fixtures.sh   (needs openssl >= 3.0)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

cat > ca.cnf <<'CNF'
[ ca ]
default_ca = testca
[ testca ]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./serial
crlnumber = ./crlnumber
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
default_crl_days = 7
[ policy_any ]
countryName = optional
organizationName = optional
commonName = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:www.example.test,DNS:example.test,IP:192.0.2.10,IP:2001:db8::1
authorityInfoAccess = OCSP;URI:http://ocsp.example.test/,caIssuers;URI:http://ca.example.test/ca.der
crlDistributionPoints = URI:http://crl.example.test/ca.crl
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_staple ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectAltName = DNS:staple.example.test
authorityInfoAccess = OCSP;URI:http://ocsp.example.test/
tlsfeature = status_request
[ v3_ocsp ]
basicConstraints = critical,CA:FALSE
extendedKeyUsage = OCSPSigning
CNF
mkdir newcerts
: > index.txt
echo 1000 > crlnumber

# CA (self-signed through `openssl ca -selfsign` so that the validity dates are fixed).
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -new -key ca.key -subj "/C=DE/O=Helloscope Test/CN=Helloscope Test CA" -out ca.csr
echo 01 > serial
openssl ca -batch -config ca.cnf -selfsign -keyfile ca.key -in ca.csr -out ca.pem -extensions v3_ca \
  -startdate 20250101000000Z -enddate 20350101000000Z -notext

# Leaf whose serial has the top bit set (DER INTEGER content 00 8f 00 .. 00 01).
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key
openssl req -new -key leaf.key -subj "/C=DE/O=Helloscope Test/CN=www.example.test" -out leaf.csr
echo 8F000000000000000001 > serial
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in leaf.csr -out leaf.pem -extensions v3_leaf \
  -startdate 20250601000000Z -enddate 20260601000000Z -notext

# Must-staple leaf (TLS Feature extension holding status_request).
openssl ecparam -name prime256v1 -genkey -noout -out staple.key
openssl req -new -key staple.key -subj "/CN=staple.example.test" -out staple.csr
echo 1001 > serial
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in staple.csr -out staple.pem -extensions v3_staple \
  -startdate 20250601000000Z -enddate 20260601000000Z -notext

# Three more leaves, revoked with different reasons.
for s in 2001 2002 2003; do
  openssl ecparam -name prime256v1 -genkey -noout -out r$s.key
  openssl req -new -key r$s.key -subj "/CN=revoked-$s.example.test" -out r$s.csr
  echo $s > serial
  openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in r$s.csr -out r$s.pem -extensions v3_leaf \
    -startdate 20250601000000Z -enddate 20260601000000Z -notext
done
openssl ca -config ca.cnf -cert ca.pem -keyfile ca.key -revoke r2001.pem -crl_reason keyCompromise
openssl ca -config ca.cnf -cert ca.pem -keyfile ca.key -revoke r2002.pem -crl_reason superseded
openssl ca -config ca.cnf -cert ca.pem -keyfile ca.key -revoke r2003.pem -crl_reason unspecified
# Fix the revocation times so the fixtures carry known values (index.txt column 3).
awk 'BEGIN{FS=OFS="\t"} $1=="R" { split($3, a, ","); $3 = "250715120000Z" (length(a[2]) ? "," a[2] : "") } {print}' \
  index.txt > index.new && mv index.new index.txt

# CRL with fixed lastUpdate / nextUpdate.
openssl ca -config ca.cnf -cert ca.pem -keyfile ca.key -gencrl \
  -crl_lastupdate 20250801000000Z -crl_nextupdate 20250808000000Z -out crl.pem
openssl crl -in crl.pem -outform DER -out "$here/crl.der"

# OCSP requests.
openssl ocsp -issuer ca.pem -cert leaf.pem -reqout "$here/ocsp-req-nonce.der"
openssl ocsp -issuer ca.pem -cert leaf.pem -no_nonce -reqout "$here/ocsp-req-nononce.der"
openssl ocsp -sha256 -issuer ca.pem -cert leaf.pem -cert staple.pem -serial 0x2001 -no_nonce \
  -reqout "$here/ocsp-req-sha256-multi.der"
openssl ocsp -issuer ca.pem -cert r2001.pem -no_nonce -reqout req-revoked.der
openssl ocsp -issuer ca.pem -serial 0x7777 -no_nonce -reqout req-unknown.der

# OCSP responses from `openssl ocsp -index` (thisUpdate = now, nextUpdate = now + 7 days).
openssl ocsp -index index.txt -CA ca.pem -rsigner ca.pem -rkey ca.key -ndays 7 \
  -reqin "$here/ocsp-req-nonce.der" -respout "$here/ocsp-resp-good.der"
openssl ocsp -index index.txt -CA ca.pem -rsigner ca.pem -rkey ca.key -ndays 7 -resp_key_id -resp_no_certs \
  -reqin req-revoked.der -respout "$here/ocsp-resp-revoked.der"
openssl ocsp -index index.txt -CA ca.pem -rsigner ca.pem -rkey ca.key -ndays 7 \
  -reqin req-unknown.der -respout "$here/ocsp-resp-unknown.der"
openssl ocsp -index index.txt -CA ca.pem -rsigner ca.pem -rkey ca.key -ndays 7 \
  -reqin "$here/ocsp-req-sha256-multi.der" -respout "$here/ocsp-resp-multi.der"

# Certificates in DER.
openssl x509 -in ca.pem -outform DER -out "$here/ca.der"
openssl x509 -in leaf.pem -outform DER -out "$here/leaf.der"
openssl x509 -in staple.pem -outform DER -out "$here/must-staple.der"

# Text dumps by openssl, for reference (the tests do not read them).
openssl ocsp -reqin "$here/ocsp-req-nonce.der" -req_text > "$here/ocsp-req-nonce.txt"
openssl ocsp -reqin "$here/ocsp-req-sha256-multi.der" -req_text > "$here/ocsp-req-sha256-multi.txt"
for r in good revoked unknown multi; do
  openssl ocsp -respin "$here/ocsp-resp-$r.der" -resp_text -noverify > "$here/ocsp-resp-$r.txt"
done
openssl crl -in crl.pem -noout -text > "$here/crl.txt"
echo "fixtures written to $here"
