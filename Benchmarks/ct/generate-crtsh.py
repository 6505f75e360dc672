#!/usr/bin/env python3
"""Writes a crt.sh-style JSON export of N synthetic certificates (default 1,000,000) for load benchmarks,
and a file of serials to look up (every 1000th exported serial in a different spelling, plus as many absent ones).

Usage: Benchmarks/ct/generate-crtsh.py [N] [OUT_DIR]     (default OUT_DIR: Benchmarks/out/ct, not committed)
Shape as crt.sh writes it (keys in its order, pretty-printed by row); serials are DER content octets in lower-case
hex (a leading 00 when the top bit is set); 40 issuers; 1-4 names per certificate; a precertificate row (same
serial, issuer and names, another id) for one certificate in ten.
"""
import json, os, random, sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "out", "ct")
os.makedirs(out, exist_ok=True)
rng = random.Random(6962)
issuers = [("C=US, O=Example Trust %d, CN=Example TLS CA %d" % (i % 7, i), 1000 + i) for i in range(40)]
words = ["shop", "mail", "api", "cdn", "static", "login", "portal", "vpn", "www", "app", "img", "blog"]
path = os.path.join(out, "crtsh-%d.json" % n)
lookups = []
with open(path, "w") as f:
    f.write("[")
    rows = 0
    cid = 5_000_000_000
    while rows < n:
        serial = rng.getrandbits(rng.choice([64, 128, 144]))
        content = serial.to_bytes((serial.bit_length() + 8) // 8, "big").hex()  # sign octet when top bit set
        issuer, caid = issuers[rng.randrange(len(issuers))]
        dom = "%s%d.example-%d.com" % (rng.choice(words), rows, rows % 9973)
        names = [dom] + ["%s.%s" % (rng.choice(words), dom) for _ in range(rng.randrange(4))]
        copies = 2 if rng.random() < 0.1 else 1
        for c in range(copies):
            if rows >= n:
                break
            cid += 1
            row = {"issuer_ca_id": caid, "issuer_name": issuer, "common_name": dom, "name_value": "\n".join(names),
                   "id": cid, "entry_timestamp": "2026-03-04T05:06:07.890", "not_before": "2026-03-04T04:06:07",
                   "not_after": "2026-06-02T04:06:07", "serial_number": content, "result_count": len(names)}
            f.write(("" if rows == 0 else ",") + "\n  " + json.dumps(row))
            rows += 1
        if rows % 1000 == 0:
            lookups.append(content.upper().lstrip("0") or "0")
            lookups.append("%x" % rng.getrandbits(120))  # almost surely absent
    f.write("\n]\n")
with open(os.path.join(out, "lookups-%d.txt" % n), "w") as f:
    f.write("\n".join(lookups) + "\n")
print(path, os.path.getsize(path), "bytes;", len(lookups), "lookup serials")
