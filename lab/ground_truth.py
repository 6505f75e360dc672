#!/usr/bin/env python3
"""Ground truth for the lab captures, derived from tshark and from the clients' own output.

  ground_truth.py build --meta META.jsonl --captures DIR --out ground-truth.json --manifest MANIFEST.md
                        [--previous OLD.json --previous-dir OLDDIR]
  ground_truth.py summary ground-truth.json
  ground_truth.py compare COMMITTED.json NEW.json      (exit 1 when the stable facts differ)
  ground_truth.py project ground-truth.json            (prints the stable facts that compare uses)

Nothing here is typed in by hand: every value comes from `tshark -T json -e ...` on the
capture (TCP reassembly with out-of-order segments on) or from the client's log. TLS 1.3
handshake messages after the ServerHello are encrypted: their staples are recorded as not
visible. Key logs are NOT given to tshark, so everything recorded is what a passive observer
without keys sees.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import urllib.parse

TLS_TCP_PORTS = [4431, 4432, 4433, 4434, 4435]
HTTP_TCP_PORTS = [8080, 8081]
DTLS_UDP_PORTS = [4436]
QUIC_UDP_PORTS = [4437]

FIELDS = [
    "frame.number", "frame.len", "frame.protocols", "ip.src", "ip.dst",
    "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.segment.count",
    "udp.stream", "udp.srcport", "udp.dstport",
    "quic.long.packet_type",
    "tls.record.content_type", "tls.record.opaque_type", "tls.handshake.type", "tls.handshake.extension.type",
    "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str",
    "tls.handshake.ja3_full", "tls.handshake.ja3", "tls.handshake.ja3s_full", "tls.handshake.ja3s",
    "tls.handshake.extensions.supported_version", "tls.handshake.ciphersuite",
    "tls.handshake.fragment.count", "tls.handshake.sig_hash_alg", "tls.handshake.version", "dtls.handshake.version",
    "tls.alert_message.level", "tls.alert_message.desc",
    "dtls.record.content_type", "dtls.handshake.type", "dtls.handshake.extension.type",
    "dtls.handshake.extensions_server_name", "dtls.handshake.ja3_full", "dtls.handshake.ja3",
    "dtls.handshake.ja3s_full", "dtls.handshake.ja3s", "dtls.handshake.cookie_length", "dtls.handshake.ciphersuite",
    "dtls.alert_message.level", "dtls.alert_message.desc",
    "ocsp.responseStatus", "ocsp.certStatus", "ocsp.serialNumber", "ocsp.ReOcspNonce",
    "ocsp.revocationReason", "pkix1explicit.id", "x509af.algorithm.id",
    "http.request.method", "http.request.uri", "http.host", "http.response.code",
    "http.content_type", "http.request_in",
    "x509af.userCertificate",
]

CERT_STATUS = {"0": "good", "1": "revoked", "2": "unknown"}
OCSP_RESPONSE_STATUS = {"0": "successful", "1": "malformedRequest", "2": "internalError",
                        "3": "tryLater", "5": "sigRequired", "6": "unauthorized"}
HASH_OIDS = {"1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.1": "sha256",
             "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512"}
NONCE_OID = "1.3.6.1.5.5.7.48.1.2"
ALERT_DESC = {"0": "close_notify", "10": "unexpected_message", "20": "bad_record_mac", "40": "handshake_failure",
              "42": "bad_certificate", "43": "unsupported_certificate", "44": "certificate_revoked",
              "45": "certificate_expired", "46": "certificate_unknown", "47": "illegal_parameter",
              "48": "unknown_ca", "49": "access_denied", "50": "decode_error", "51": "decrypt_error",
              "70": "protocol_version", "80": "internal_error", "90": "user_canceled",
              "109": "missing_extension", "112": "unrecognized_name",
              "113": "bad_certificate_status_response", "116": "certificate_required",
              "120": "no_application_protocol"}
CRL_REASON = {"0": "unspecified", "1": "keyCompromise", "2": "cACompromise", "3": "affiliationChanged",
              "4": "superseded", "5": "cessationOfOperation", "6": "certificateHold", "8": "removeFromCRL",
              "9": "privilegeWithdrawn", "10": "aACompromise"}
GREASE = {0x0a0a + 0x1010 * i for i in range(16)}


def tshark_frames(pcap: str, keylog: str = None) -> list:
    cmd = ["tshark", "-r", pcap, "-n", "-o", "tcp.reassemble_out_of_order:TRUE", "-T", "json"]
    if keylog:
        cmd += ["-o", f"tls.keylog_file:{keylog}"]
    for p in TLS_TCP_PORTS:
        cmd += ["-d", f"tcp.port=={p},tls"]
    for p in HTTP_TCP_PORTS:
        cmd += ["-d", f"tcp.port=={p},http"]
    for p in DTLS_UDP_PORTS:
        cmd += ["-d", f"udp.port=={p},dtls"]
    for p in QUIC_UDP_PORTS:
        cmd += ["-d", f"udp.port=={p},quic"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    frames = []
    for pkt in json.loads(out or "[]"):
        frames.append(pkt["_source"]["layers"])
    return frames


def tshark_version() -> str:
    out = subprocess.run(["tshark", "--version"], check=True, capture_output=True, text=True).stdout
    return out.splitlines()[0]


def first(frame: dict, field: str, default=None):
    v = frame.get(field)
    return v[0] if v else default


def ints(frame: dict, field: str) -> list:
    return [int(x, 0) for x in frame.get(field, [])]


def hex_serial(tshark_bytes: str) -> str:
    """tshark prints INTEGER serials as colon hex of the DER content octets; drop leading zero octets."""
    h = tshark_bytes.replace(":", "").lower()
    h = h.lstrip("0")
    if len(h) % 2:
        h = "0" + h
    return h or "00"


# --- JA4 (shared/corpus/foxio/JA4.md), computed from tshark's fields of the ClientHello ---
JA4_VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2",
                0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}


def client_hello_sigalgs(pcap: str, keylog: str = None) -> dict:
    """frame number -> the signature_algorithms (0x000d) list of the ClientHello in it, in wire order.
    tshark's flat sig_hash_alg field also holds delegated_credentials' list, so read the tree."""
    cmd = ["tshark", "-r", pcap, "-n", "-o", "tcp.reassemble_out_of_order:TRUE", "-T", "json", "--no-duplicate-keys",
           "-Y", "tls.handshake.type == 1 || dtls.handshake.type == 1"]
    for p in TLS_TCP_PORTS:
        cmd += ["-d", f"tcp.port=={p},tls"]
    for p in DTLS_UDP_PORTS:
        cmd += ["-d", f"udp.port=={p},dtls"]
    for p in QUIC_UDP_PORTS:
        cmd += ["-d", f"udp.port=={p},quic"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = {}

    def walk(o, acc):
        if isinstance(o, dict):
            t = o.get("tls.handshake.extension.type", o.get("dtls.handshake.extension.type"))
            for pre in ("tls", "dtls"):
                if t == "13" and f"{pre}.handshake.sig_hash_algs" in o:
                    algs = o[f"{pre}.handshake.sig_hash_algs"].get(f"{pre}.handshake.sig_hash_alg", [])
                    acc.append(algs if isinstance(algs, list) else [algs])
                    return
            for v in o.values():
                walk(v, acc)
        elif isinstance(o, list):
            for v in o:
                walk(v, acc)

    for pkt in json.loads(out or "[]"):
        layers = pkt["_source"]["layers"]
        num = int(layers["frame"]["frame.number"])
        acc = []
        walk({k: v for k, v in layers.items() if k in ("tls", "dtls", "quic")}, acc)
        result[num] = [int(x, 16) for x in acc[0]] if acc else []
    return result


def ja4(proto: str, legacy_version: int, supported_versions: list, ciphers: list, exts: list, alpn: str,
        sigalgs: list):
    """Returns (ja4, ja4_r)."""
    ciphers = [c for c in ciphers if c not in GREASE]
    exts = [e for e in exts if e not in GREASE]
    sv = [v for v in supported_versions if v not in GREASE]
    version = JA4_VERSIONS.get(max(sv) if sv else legacy_version, "00")
    sni = "d" if 0 in exts else "i"
    if alpn:
        raw = alpn.encode("latin-1", "replace")
        f, l = raw[0], raw[-1]
        isalnum = lambda b: chr(b).isascii() and chr(b).isalnum()
        a = chr(f) + chr(l) if isalnum(f) and isalnum(l) else raw.hex()[0] + raw.hex()[-1]
    else:
        a = "00"
    part_a = f"{proto}{version}{sni}{min(len(ciphers), 99):02d}{min(len(exts), 99):02d}{a}"
    cs = ",".join(sorted(f"{c:04x}" for c in ciphers))
    es = ",".join(sorted(f"{e:04x}" for e in exts if e not in (0x0000, 0x0010)))
    sa = ",".join(f"{x:04x}" for x in sigalgs if x not in GREASE)
    c_in = es + ("_" + sa if sa else "")
    h = lambda x: hashlib.sha256(x.encode()).hexdigest()[:12]
    part_b = h(cs) if cs else "000000000000"
    part_c = h(c_in) if es else "000000000000"
    return f"{part_a}_{part_b}_{part_c}", f"{part_a}_{cs}_{c_in}"


# --- a minimal DER reader for OCSP GET requests (the request is in the URL, not in a body tshark parses) ---
def der_items(buf: bytes, pos: int = 0, end: int = None):
    end = len(buf) if end is None else end
    while pos < end:
        tag = buf[pos]
        ln = buf[pos + 1]
        hdr = 2
        if ln & 0x80:
            n = ln & 0x7F
            ln = int.from_bytes(buf[pos + 2:pos + 2 + n], "big")
            hdr += n
        yield tag, buf[pos + hdr:pos + hdr + ln], pos + hdr, pos + hdr + ln
        pos += hdr + ln


def der_oid(content: bytes) -> str:
    parts = [content[0] // 40, content[0] % 40]
    v = 0
    for b in content[1:]:
        v = (v << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(v)
            v = 0
    return ".".join(map(str, parts))


def parse_ocsp_request(der: bytes) -> dict:
    """OCSPRequest -> {serials, hash_algorithms, nonce} (RFC 6960 4.1.1)."""
    ocsp_req = next(der_items(der))[1]
    tbs = next(der_items(ocsp_req))[1]
    serials, hashes, nonce = [], [], False
    for tag, content, _, _ in der_items(tbs):
        if tag == 0x30:  # requestList
            for _, req, _, _ in der_items(content):
                cert_id = next(der_items(req))[1]
                parts = list(der_items(cert_id))
                alg = next(der_items(parts[0][1]))[1]
                hashes.append(HASH_OIDS.get(der_oid(alg), der_oid(alg)))
                serials.append(hex_serial(parts[3][1].hex()))
        elif tag == 0xA2:  # requestExtensions
            nonce = NONCE_OID in [der_oid(c) for t, c, _, _ in _walk(content) if t == 0x06]
    return {"serials": serials, "hash_algorithms": hashes, "nonce": nonce}


def _walk(buf: bytes):
    for tag, content, s, e in der_items(buf):
        yield tag, content, s, e
        if tag & 0x20:
            yield from _walk(content)


# --- client log ---
RESULT_PATTERNS = [
    r"^\*\*\* Fatal error: .*", r"^\*\*\* PKI verification.*", r"^- Status: .*", r"^- Handshake was completed",
    r"^\*\*\* OCSP: .*", r"^curl: \(\d+\) .*", r"^\* No OCSP response received", r"^\* SSL certificate status: .*",
    r"^http_code=.*", r"^error: .*", r"^version: .*", r"^response: .*", r"^alpn: .*", r"^echo: .*",
    r"^Verify return code: .*", r"^verify error:.*", r"^OCSP response: no response sent", r"^\s*Cert Status: .*",
    r"^0x[0-9A-Fa-f]+: .*", r"^[^ ]+\.crt: (good|revoked|unknown)$", r"^screenshot: .*",
]


def client_lines(log_path: str) -> list:
    try:
        text = open(log_path, errors="replace").read()
    except OSError:
        return []
    seen = []
    for line in text.splitlines():
        line = line.rstrip()
        if any(re.match(p, line) for p in RESULT_PATTERNS):
            s = re.sub(r"(?:/[^/\s:]+)+/([^/\s:]+)", r"\1", line.strip())  # paths of the work area -> file names
            if s not in seen:
                seen.append(s)
    return seen[:12]


def staple_from_client(lines: list) -> str:
    for s in lines:
        m = re.match(r"Cert Status: (\w+)", s) or re.match(r"\* SSL certificate status: (\w+)", s)
        if m:
            return m.group(1)
        if s.startswith("OCSP response: no response sent") or s.startswith("* No OCSP response received"):
            return "none"
    return None


# --- per scenario ---
def analyse(meta: dict, cap_dir: str) -> dict:
    pcap = os.path.join(cap_dir, meta["capture"])
    frames = tshark_frames(pcap)
    sigalgs_by_frame = client_hello_sigalgs(pcap)
    hellos, server_hellos, staples, alerts, ocsp, crls = [], [], [], [], [], []
    encrypted_alerts = []
    by_number = {int(first(f, "frame.number")): f for f in frames}
    dtls = any("dtls.handshake.type" in f for f in frames)
    tls13_streams = set()

    for f in frames:
        num = int(first(f, "frame.number"))
        stream = first(f, "tcp.stream") or first(f, "udp.stream")
        src_port = first(f, "tcp.srcport") or first(f, "udp.srcport")
        dst_port = first(f, "tcp.dstport") or first(f, "udp.dstport")
        protos = first(f, "frame.protocols", "").split(":")
        proto = "dtls" if "dtls.handshake.type" in f else ("quic" if "quic" in protos else "tls")
        p = "dtls" if proto == "dtls" else "tls"
        htypes = ints(f, f"{p}.handshake.type")
        if 1 in htypes:
            exts = ints(f, f"{p}.handshake.extension.type")
            ch = {
                "frame": num,
                "transport": {"tls": "tcp", "dtls": "udp", "quic": "quic"}[proto],
                "stream": int(stream) if stream is not None else None,
                "client_port": int(src_port), "server_port": int(dst_port),
                "frame_len": int(first(f, "frame.len")),
                "tcp_segments": int(first(f, "tcp.segment.count", 1)) if proto == "tls" else None,
                "handshake_fragments": int(first(f, "tls.handshake.fragment.count", 1)) if proto == "tls" else None,
                "sni": first(f, f"{p}.handshake.extensions_server_name"),
                "alpn": f.get("tls.handshake.extensions_alpn_str", [])[:4] if proto != "dtls" else [],
                "status_request": 5 in exts,
                "status_request_index": exts.index(5) if 5 in exts else None,
                "extension_count": len(exts),
                "extensions": exts,
                "grease_extensions": sum(1 for e in exts if e in GREASE),
                "supported_versions": [hex(v) for v in ints(f, "tls.handshake.extensions.supported_version")]
                if proto != "dtls" else [],
                "cipher_suites": [f"{c:04x}" for c in ints(f, f"{p}.handshake.ciphersuite")],
                "signature_algorithms": [f"{c:04x}" for c in ints(f, "tls.handshake.sig_hash_alg")]
                if proto != "dtls" else [],
                "ja3_full": first(f, f"{p}.handshake.ja3_full"),
                "ja3": first(f, f"{p}.handshake.ja3"),
            }
            legacy = first(f, f"{p}.handshake.version")
            ch["ja4"], ch["ja4_r"] = ja4(
                {"tls": "t", "dtls": "d", "quic": "q"}[proto], int(legacy, 16) if legacy else 0,
                ints(f, "tls.handshake.extensions.supported_version") if proto != "dtls" else [],
                ints(f, f"{p}.handshake.ciphersuite"), exts, first(f, "tls.handshake.extensions_alpn_str") if proto != "dtls" else None,
                sigalgs_by_frame.get(num, []))
            ch["signature_algorithms"] = [f"{c:04x}" for c in sigalgs_by_frame.get(num, [])]
            if proto == "dtls":
                ch["cookie_length"] = int(first(f, "dtls.handshake.cookie_length", 0))
            hellos.append(ch)
        if 2 in htypes:
            sv = [hex(v) for v in ints(f, "tls.handshake.extensions.supported_version")] if proto != "dtls" else []
            suites = ints(f, f"{p}.handshake.ciphersuite")
            sh = {
                "frame": num,
                "stream": int(stream) if stream is not None else None,
                "version": "0x304" if "0x304" in sv else None,
                "cipher_suite": hex(suites[0]) if suites else None,
                "ja3s_full": first(f, f"{p}.handshake.ja3s_full"),
                "ja3s": first(f, f"{p}.handshake.ja3s"),
            }
            if sh["version"] is None:
                sh["version"] = "dtls1.2" if proto == "dtls" else "0x303"
            if sh["version"] == "0x304":
                tls13_streams.add(sh["stream"])
            server_hellos.append(sh)
        if 22 in htypes and "ocsp.responseStatus" in f:  # DTLS: only the frame completing the fragments
            staples.append({
                "frame": num,
                "stream": int(stream) if stream is not None else None,
                "visible": True,
                "ocsp_response_status": OCSP_RESPONSE_STATUS.get(first(f, "ocsp.responseStatus"), first(f, "ocsp.responseStatus")),
                "cert_status": [CERT_STATUS.get(s, s) for s in f.get("ocsp.certStatus", [])],
                "serials": [hex_serial(s) for s in f.get("ocsp.serialNumber", [])],
                "revocation_reason": [CRL_REASON.get(r, r) for r in f.get("ocsp.revocationReason", [])],
            })
        n_clear = len(f.get(f"{p}.alert_message.desc", []))
        n_alert = sum(1 for t in f.get(f"{p}.record.content_type", []) if t == "21")
        if n_alert > n_clear:
            encrypted_alerts.append({"frame": num, "records": n_alert - n_clear,
                                     "from": "client" if int(dst_port) in TLS_TCP_PORTS + DTLS_UDP_PORTS else "server"})
        for level, desc in zip(f.get(f"{p}.alert_message.level", []), f.get(f"{p}.alert_message.desc", [])):
            alerts.append({"frame": num, "from": "client" if int(dst_port) in TLS_TCP_PORTS + DTLS_UDP_PORTS else "server",
                           "level": int(level), "description": int(desc),
                           "name": ALERT_DESC.get(desc, "unknown")})
        method = first(f, "http.request.method")
        if method:
            host = first(f, "http.host")
            uri = first(f, "http.request.uri")
            ctype = first(f, "http.content_type")
            resp = next((g for g in frames if first(g, "http.request_in") == str(num)), None)
            if ctype == "application/ocsp-request" or (int(dst_port) == 8080 and method == "GET"):
                entry = {"frame": num, "responder_host": host.split(":")[0], "host_header": host,
                         "responder_port": int(dst_port), "method": method}
                if method == "POST":
                    entry["serials"] = [hex_serial(s) for s in f.get("ocsp.serialNumber", [])]
                    entry["hash_algorithms"] = [HASH_OIDS.get(a, a) for a in f.get("x509af.algorithm.id", [])]
                    entry["nonce"] = NONCE_OID in f.get("pkix1explicit.id", []) or "ocsp.ReOcspNonce" in f
                    entry["request_decoded_by"] = "tshark"
                else:
                    b64 = urllib.parse.unquote(uri.rsplit("/", 1)[-1])
                    entry.update(parse_ocsp_request(base64.b64decode(b64)))
                    entry["request_decoded_by"] = "lab DER reader (request is in the URL)"
                    entry["uri_length"] = len(uri)
                if resp is not None:
                    entry["response_frame"] = int(first(resp, "frame.number"))
                    entry["http_status"] = int(first(resp, "http.response.code"))
                    rs = first(resp, "ocsp.responseStatus")
                    entry["response_status"] = OCSP_RESPONSE_STATUS.get(rs, rs)
                    entry["response_serials"] = [hex_serial(s) for s in resp.get("ocsp.serialNumber", [])]
                    entry["cert_status"] = [CERT_STATUS.get(s, s) for s in resp.get("ocsp.certStatus", [])]
                    entry["revocation_reason"] = [CRL_REASON.get(r, r) for r in resp.get("ocsp.revocationReason", [])]
                    entry["response_nonce"] = "ocsp.ReOcspNonce" in resp
                else:
                    entry["response_frame"] = None
                ocsp.append(entry)
            elif uri and (uri.endswith(".crl") or (resp is not None and first(resp, "http.content_type") == "application/pkix-crl")):
                hostport = host if ":" in host else f"{host}:{dst_port}"
                entry = {"frame": num, "url": f"http://{hostport}{uri}", "host_header": host, "method": method}
                if resp is not None:
                    entry["response_frame"] = int(first(resp, "frame.number"))
                    entry["http_status"] = int(first(resp, "http.response.code"))
                    entry["content_type"] = first(resp, "http.content_type")
                    revoked = [hex_serial(s) for s in resp.get("x509af.userCertificate", [])]
                    entry["revoked_entries"] = len(revoked)
                    entry["revoked_serials"] = revoked
                crls.append(entry)

    # TLS 1.3: certificate and any staple travel encrypted.
    staple_sent = bool(staples)
    hidden = [sh["stream"] for sh in server_hellos if sh["version"] == "0x304"]
    lines = client_lines(meta.get("client_log", ""))
    app_data = sum(
        sum(1 for t in f.get("tls.record.content_type", []) + f.get("tls.record.opaque_type", [])
            + f.get("dtls.record.content_type", []) if t == "23")
        for f in frames)
    result = {
        "capture": meta["capture"],
        "keys": meta["keys"],
        "description": meta["description"],
        "client": {"name": meta["client"], "version": meta["client_version"]},
        "server": meta["server"],
        "sni": meta["sni"] or None,
        "extension_order": meta.get("ext_order", "fixed"),
        "frames": len(frames),
        "client_hellos": hellos,
        "server_hellos": server_hellos,
        "staple": {
            "sent": staple_sent if not hidden else (True if staple_sent else None),
            "visible": staple_sent,
            "note": ("TLS 1.3: Certificate (and any status_request staple in it) is encrypted; not visible without keys"
                     if hidden and not staple_sent else None),
            "messages": staples,
            "status_from_client": staple_from_client(lines),
        },
        "ocsp_requests": ocsp,
        "crl_downloads": crls,
        "alerts": alerts,
        "encrypted_alerts": encrypted_alerts,
        "outcome": {
            "result": "ok" if meta["client_exit"] == "0" else "failed",
            "client_exit": int(meta["client_exit"]),
            "app_data_records": app_data,
            "client_says": lines,
        },
    }
    if hidden and not staple_sent:
        result["staple"]["sent"] = None
        keys = os.path.join(cap_dir, meta["keys"])
        if os.path.exists(keys) and os.path.getsize(keys) > 0:
            # With the key log: the TLS 1.3 Certificate message and the staple in its status_request entry.
            seen, status = False, []
            for f in tshark_frames(pcap, keys):
                if 11 in ints(f, "tls.handshake.type") and "http.request.method" not in f:
                    seen = True
                    status += [CERT_STATUS.get(x, x) for x in f.get("ocsp.certStatus", [])]
            result["staple"]["with_keys"] = {"certificate_decrypted": seen, "sent": bool(status) if seen else None,
                                            "cert_status": status}
    return result


def short_version(v: str) -> str:
    """Manifest column: the first words of the version string, plus the TLS library token if any."""
    words = (v or "").replace(",", "").split()
    short = " ".join(words[:3] if words[:1] == ["Mozilla"] else words[:2])
    lib = next((w for w in words if w.startswith(("OpenSSL/", "GnuTLS/"))), None)
    return short + (f", {lib}" if lib and lib not in short else "")


def manifest(gt: dict) -> str:
    out = ["# Lab captures", "",
           "Generated by `lab/run-lab.sh` (see `lab/README.md`); the machine-readable facts are in `ground-truth.json`, "
           "derived with " + gt["generator"]["tshark"].rstrip(".") + ". Full client version strings are in the JSON.",
           "Every capture has its TLS key log next to it (`<scenario>.keys`). Names resolve to 127.0.0.1 inside the lab "
           "namespace (198.18.0.1 over the MTU-576 link); the PKI is in `pki/`.", "",
           "| scenario | client (version) | server | exercises | observed |",
           "|---|---|---|---|---|"]
    for name, s in gt["scenarios"].items():
        obs = []
        for ch in s["client_hellos"]:
            sr = f"status_request at index {ch['status_request_index']}" if ch["status_request"] else "no status_request"
            seg = f", {ch['tcp_segments']} TCP segments" if (ch.get("tcp_segments") or 1) > 1 else ""
            frag = f", {ch['handshake_fragments']} records" if (ch.get("handshake_fragments") or 1) > 1 else ""
            obs.append(f"CH frame {ch['frame']}: {sr} of {ch['extension_count']}{seg}{frag}, JA4 {ch.get('ja4')}")
        st = s["staple"]
        if st["visible"]:
            obs.append("staple: " + ", ".join(",".join(m["cert_status"]) for m in st["messages"]))
        elif st["sent"] is None:
            wk = st.get("with_keys") or {}
            dec = (", with keys: " + (",".join(wk["cert_status"]) if wk.get("sent") else "none")) if wk.get("certificate_decrypted") else ""
            obs.append("staple: not visible (TLS 1.3)" + dec
                       + (f", client saw {st['status_from_client']}" if st["status_from_client"] else ""))
        for o in s["ocsp_requests"]:
            obs.append(f"OCSP {o['method']} to {o['responder_host']}: serials {','.join(o['serials'])} -> "
                       f"{','.join(o.get('cert_status', [])) or 'no response'}")
        for c in s["crl_downloads"]:
            obs.append(f"CRL {c['url']}: {c.get('revoked_entries')} revoked")
        for a in s["alerts"]:
            obs.append(f"alert from {a['from']}: {a['level']}/{a['description']} {a['name']}")
        enc = [a["from"] for a in s.get("encrypted_alerts", [])]
        if enc:
            obs.append("encrypted alerts from " + ", ".join(f"{w} x{enc.count(w)}" for w in sorted(set(enc))))
        obs.append(f"outcome: {s['outcome']['result']}")
        client = f"{s['client']['name']} ({short_version(s['client']['version'])})".replace("|", "/")
        out.append(f"| `{name}` | {client} | {s['server']} | {s['description']} | {'; '.join(obs)} |")
    notes = gt.get("notes", [])
    if notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"


def cmd_build(a) -> int:
    metas = [json.loads(l) for l in open(a.meta) if l.strip()]
    scenarios = {}
    for m in metas:
        scenarios[m["name"]] = analyse(m, a.captures)
    notes = []
    if a.previous and os.path.exists(a.previous):
        old = json.load(open(a.previous))
        for name, s in old.get("scenarios", {}).items():
            if name not in scenarios and os.path.exists(os.path.join(a.previous_dir, s["capture"])):
                s["carried_over"] = True
                scenarios[name] = s
                notes.append(f"`{name}` was not rerun in the last run; its entry and capture are from an earlier run "
                             "(its certificates are from that run's PKI).")
    if a.notes and os.path.exists(a.notes):
        notes += [l.strip() for l in open(a.notes) if l.strip()]
    gt = {
        "format": "helloscope-lab-ground-truth/1",
        "generator": {"tshark": tshark_version(), "tshark_options": "-o tcp.reassemble_out_of_order:TRUE, "
                      "decode-as tcp 4431-4435 tls, tcp 8080/8081 http, udp 4436 dtls, udp 4437 quic; no key log"},
        "conventions": {
            "serials": "lower-case hex without leading zero octets",
            "status_request_index": "0-based position of extension 5 in the ClientHello extension list as sent, GREASE included",
            "frame": "tshark frame.number of the packet that completes the message (after reassembly)",
            "staple.sent": "true/false when visible; null when TLS 1.3 hides the Certificate message",
            "staple.with_keys": "TLS 1.3 only: the Certificate message decrypted with the scenario's key log",
        },
        "scenarios": dict(sorted(scenarios.items())),
        "notes": notes,
    }
    with open(a.out, "w") as fh:
        json.dump(gt, fh, indent=2)
        fh.write("\n")
    with open(a.manifest, "w") as fh:
        fh.write(manifest(gt))
    return 0


def project(gt: dict, names=None) -> dict:
    """The facts that must not change between runs (no frame numbers, keys, times, randoms)."""
    proj = {}
    for name, s in gt["scenarios"].items():
        if names is not None and name not in names:
            continue
        fixed = s.get("extension_order", "fixed") == "fixed"
        chs = []
        for ch in s["client_hellos"]:
            c = {"sni": ch["sni"], "status_request": ch["status_request"], "extension_count": ch["extension_count"],
                 "extension_set": sorted(e for e in ch["extensions"] if e not in GREASE), "alpn": ch["alpn"],
                 "multi_segment": (ch.get("tcp_segments") or 1) > 1,
                 "multi_record": (ch.get("handshake_fragments") or 1) > 1, "ja4": ch.get("ja4")}
            if fixed:
                c.update({"status_request_index": ch["status_request_index"], "ja3_full": ch["ja3_full"], "ja3": ch["ja3"]})
            chs.append(c)
        proj[name] = {
            "client": s["client"]["name"],
            "client_hellos": chs,
            "server_hellos": [{"version": sh["version"], "cipher_suite": sh["cipher_suite"], "ja3s_full": sh["ja3s_full"]}
                              for sh in s["server_hellos"]],
            "staple": {"sent": s["staple"]["sent"], "cert_status": [m["cert_status"] for m in s["staple"]["messages"]],
                       "status_from_client": s["staple"]["status_from_client"],
                       "with_keys": s["staple"].get("with_keys")},
            "ocsp_requests": [{k: o.get(k) for k in ("responder_host", "method", "serials", "hash_algorithms", "nonce",
                                                      "http_status", "response_status", "cert_status", "response_serials")}
                              for o in s["ocsp_requests"]],
            "crl_downloads": [{k: c.get(k) for k in ("url", "http_status", "revoked_entries", "revoked_serials")}
                              for c in s["crl_downloads"]],
            "alerts": [{k: a[k] for k in ("from", "level", "description")} for a in s["alerts"]],
            "outcome": s["outcome"]["result"],
        }
    return proj


def cmd_compare(a) -> int:
    old = json.load(open(a.committed))
    new = json.load(open(a.new))
    names = set(new["scenarios"])
    skipped = sorted(set(old["scenarios"]) - names)
    po, pn = project(old, names), project(new)
    bad = 0
    for name in sorted(names | set(po)):
        if name not in po:
            print(f"NEW      {name}: not in the committed ground truth")
            bad += 1
        elif po[name] != pn.get(name):
            bad += 1
            print(f"CHANGED  {name}")
            for k in po[name]:
                if po[name][k] != pn[name].get(k):
                    print(f"  {k}:\n    committed: {json.dumps(po[name][k])}\n    now:       {json.dumps(pn[name].get(k))}")
        else:
            print(f"ok       {name}")
    for name in skipped:
        print(f"skipped  {name} (not rerun)")
    print(f"{len(names) - bad} passed, {bad} failed, {len(skipped)} skipped")
    return 1 if bad else 0


def cmd_summary(a) -> int:
    gt = json.load(open(a.file))
    for name, s in gt["scenarios"].items():
        chs = s["client_hellos"]
        sr = ",".join(str(c["status_request_index"]) if c["status_request"] else "-" for c in chs) or "none"
        st = s["staple"]
        staple = ",".join(",".join(m["cert_status"]) for m in st["messages"]) if st["visible"] else (
            "hidden" if st["sent"] is None else "no")
        oc = ";".join(f"{o['method']}:{'/'.join(o.get('cert_status', []))}" for o in s["ocsp_requests"]) or "-"
        al = ",".join(str(x["description"]) for x in s["alerts"]) or "-"
        print(f"{name:28s} CH={len(chs)} status_request@{sr:6s} staple={staple:8s} ocsp={oc:24s} "
              f"crl={len(s['crl_downloads'])} alerts={al:6s} {s['outcome']['result']}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--meta", required=True)
    b.add_argument("--captures", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--manifest", required=True)
    b.add_argument("--previous")
    b.add_argument("--previous-dir")
    b.add_argument("--notes")
    s = sub.add_parser("summary")
    s.add_argument("file")
    c = sub.add_parser("compare")
    c.add_argument("committed")
    c.add_argument("new")
    p = sub.add_parser("project")
    p.add_argument("file")
    a = ap.parse_args()
    if a.cmd == "build":
        return cmd_build(a)
    if a.cmd == "summary":
        return cmd_summary(a)
    if a.cmd == "compare":
        return cmd_compare(a)
    json.dump(project(json.load(open(a.file))), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
