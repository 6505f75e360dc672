#!/usr/bin/env python3
"""Checks helloscope's events against the generator's ground truth.

    check.py TRUTH.ndjson EVENTS.ndjson [--ocsp] [--json]

Every ClientHello of the truth must be reported once for its 4-tuple, with the same frame, SNI, JA3 string, JA3
hash, JA4 and JA4_r; with --ocsp, every OCSP request must be reported (`ocsp_request` event for its 4-tuple whose
`cert_ids[].serial` holds the serial). Extra ClientHello events are errors too. Exit status 1 on any mismatch.
"""
import argparse
import json
import sys
from collections import defaultdict

FIELDS = ("frame", "sni", "ja3_string", "ja3", "ja4", "ja4_r")


def tuple_of(e):
    return (e.get("src_ip"), e.get("src_port"), e.get("dst_ip"), e.get("dst_port"))


def norm_serial(s):
    if isinstance(s, int):
        return "%x" % s
    s = str(s).lower().replace(":", "").replace(" ", "")
    if s.startswith("0x"):
        s = s[2:]
    return s.lstrip("0") or "0"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("truth")
    ap.add_argument("events")
    ap.add_argument("--ocsp", action="store_true", help="also require every OCSP request")
    ap.add_argument("--json", action="store_true", help="print the result as one JSON line")
    a = ap.parse_args()

    truth_hellos, truth_ocsp, meta = [], [], {}
    with open(a.truth) as f:
        for line in f:
            t = json.loads(line)
            if t["type"] == "client_hello":
                truth_hellos.append(t)
            elif t["type"] == "ocsp_request":
                truth_ocsp.append(t)
            elif t["type"] == "meta":
                meta = t

    hellos = defaultdict(list)
    ocsp = defaultdict(set)
    n_events = 0
    with open(a.events) as f:
        for line in f:
            e = json.loads(line)
            n_events += 1
            if e.get("type") == "client_hello":
                hellos[tuple_of(e)].append(e)
            elif e.get("type") == "ocsp_request":
                for cid in e.get("cert_ids") or []:
                    if cid.get("serial") is not None:
                        ocsp[tuple_of(e)].add(norm_serial(cid["serial"]))

    errors = []
    missing = wrong = 0
    for t in truth_hellos:
        got = hellos.pop(tuple_of(t), [])
        if not got:
            missing += 1
            errors.append("missing client_hello %s frame %d (%s)" % (tuple_of(t), t["frame"], t["ja4"]))
            continue
        if len(got) > 1:
            errors.append("%d client_hello events for %s" % (len(got), tuple_of(t)))
        e = got[0]
        bad = [k for k in FIELDS if e.get(k) != t[k]]
        if bad:
            wrong += 1
            errors.append("client_hello %s: " % (tuple_of(t),)
                          + "; ".join("%s %r, expected %r" % (k, e.get(k), t[k]) for k in bad))
    extra = sum(len(v) for v in hellos.values())
    for k, v in hellos.items():
        errors.append("unexpected client_hello for %s frame %s" % (k, v[0].get("frame")))

    ocsp_missing = 0
    if a.ocsp:
        for t in truth_ocsp:
            if norm_serial(t["serial"]) not in ocsp.get(tuple_of(t), ()):
                ocsp_missing += 1
                errors.append("missing ocsp_request %s serial %s (%s)" % (tuple_of(t), t["serial"], t["method"]))

    result = {"client_hellos_expected": len(truth_hellos), "client_hellos_found": len(truth_hellos) - missing,
              "client_hellos_wrong": wrong, "client_hellos_unexpected": extra,
              "ocsp_checked": a.ocsp, "ocsp_expected": len(truth_ocsp),
              "ocsp_found": (len(truth_ocsp) - ocsp_missing) if a.ocsp else None,
              "ok": not errors}
    if a.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print("client hellos: %d/%d found, %d with a wrong value, %d unexpected"
              % (result["client_hellos_found"], len(truth_hellos), wrong, extra))
        if a.ocsp:
            print("ocsp requests: %d/%d found" % (result["ocsp_found"], len(truth_ocsp)))
        else:
            print("ocsp requests: not checked (no --ocsp)")
    for msg in errors[:20]:
        print("  MISMATCH " + msg, file=sys.stderr)
    if len(errors) > 20:
        print("  ... %d more" % (len(errors) - 20), file=sys.stderr)
    sys.exit(0 if not errors else 1)


if __name__ == "__main__":
    main()
