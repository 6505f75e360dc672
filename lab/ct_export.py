#!/usr/bin/env python3
"""Writes a crt.sh-style JSON export (identity search `q=%.lab.test`) of the lab leaves.

usage: ct_export.py PKI_DIR NAME... > ct-export.json

Fields and encodings follow shared/corpus/ct-samples/FORMATS.md section 1 (crt.sh JSON):
keys in crt.sh's order; issuer_name RFC 2253-ish with ", " separators in certificate order;
timestamps UTC without zone (entry_timestamp with milliseconds); serial_number = lower-case
hex of the DER INTEGER content octets (keeps the leading 00 when the top bit is set);
name_value = the matching identities (CN and SAN dNSNames, distinct) joined by "\\n";
result_count = number of matching identity rows (CN row + SAN rows).
The lab certificates are not in any CT log: ids and entry_timestamp are synthetic but
fixed (entry_timestamp = not_before + 90.25 s). One decoy entry is appended: the same
name as good.lab.test with a serial (00 8f ... 02) that no lab certificate carries.
"""
import datetime as dt
import json
import os
import re
import subprocess
import sys

ISSUER_CA_ID = 990001
FIRST_ID = 9900000001


def openssl(*args: str) -> str:
    return subprocess.run(["openssl", *args], check=True, capture_output=True, text=True).stdout


def der_serial_hex(serial_hex_upper: str) -> str:
    """openssl prints the serial without leading zero octets; crt.sh keeps DER content octets."""
    h = serial_hex_upper.lower()
    if len(h) % 2:
        h = "0" + h
    if int(h[:2], 16) & 0x80:
        h = "00" + h
    return h


def ts(openssl_date: str) -> dt.datetime:
    return dt.datetime.strptime(openssl_date.replace("  ", " "), "%b %d %H:%M:%S %Y GMT")


def record(path: str, ident: int) -> dict:
    text = openssl("x509", "-in", path, "-noout", "-issuer", "-subject", "-serial", "-startdate", "-enddate",
                   "-ext", "subjectAltName", "-nameopt", "sep_comma_plus_space")
    issuer = re.search(r"^issuer=(.*)$", text, re.M).group(1)
    cn = re.search(r"^subject=.*CN=([^,\n]*)", text, re.M).group(1)
    serial = re.search(r"^serial=(\w+)$", text, re.M).group(1)
    nb = ts(re.search(r"^notBefore=(.*)$", text, re.M).group(1))
    na = ts(re.search(r"^notAfter=(.*)$", text, re.M).group(1))
    sans = re.findall(r"DNS:([^,\s]+)", text)
    names = sorted(set([cn] + sans))
    entry = nb + dt.timedelta(seconds=90, milliseconds=250)
    return {
        "issuer_ca_id": ISSUER_CA_ID,
        "issuer_name": issuer,
        "common_name": cn,
        "name_value": "\n".join(names),
        "id": ident,
        "entry_timestamp": entry.strftime("%Y-%m-%dT%H:%M:%S.") + f"{entry.microsecond // 1000:03d}",
        "not_before": nb.strftime("%Y-%m-%dT%H:%M:%S"),
        "not_after": na.strftime("%Y-%m-%dT%H:%M:%S"),
        "serial_number": der_serial_hex(serial),
        "result_count": 1 + len(sans),
    }


def main() -> int:
    pki = sys.argv[1]
    rows = [record(os.path.join(pki, f"{n}.crt"), FIRST_ID + i) for i, n in enumerate(sys.argv[2:])]
    good = next(r for r in rows if r["common_name"] == "good.lab.test")
    decoy = dict(good)
    decoy["id"] = FIRST_ID + 100
    decoy["serial_number"] = "008f00000000000002"
    rows.append(decoy)
    json.dump(rows, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
