#!/usr/bin/env python3
"""Builds per-target seed corpora for the fuzz targets from real captures and fixtures.

    Fuzz/seeds/extract.py OUT_DIR CAPTURE_OR_DIR...

Writes OUT_DIR/<Target>/<name> files in each target's input format (see the header of each
Fuzz/Sources/<Target>/main.swift). TCP and UDP payloads come from tshark; packets from a small
pcap/pcapng reader here. The seeds are only a starting point: scripts/fuzz.sh merges them (with what
fuzzing finds) into the minimised corpus kept under Fuzz/corpus/.
"""
import hashlib, os, struct, subprocess, sys
from collections import defaultdict

MAX_FILE = 64 << 10      # captures truncated to this size as reader / pipeline seeds
MAX_SEQ = 32 << 10       # packet and datagram sequences


def write(out, target, data, tag):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = tag + "-" + hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read_packets(data):
    """(linktype, bytes) for every packet of a pcap or pcapng file."""
    out = []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        link = struct.unpack(e + "I", data[20:24])[0] & 0xffff
        off = 24
        while off + 16 <= len(data):
            incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
            out.append((link, data[off + 16:off + 16 + incl]))
            off += 16 + incl
    elif magic == b"\x0a\x0d\x0d\x0a":
        off, e, links = 0, "<", []
        while off + 12 <= len(data):
            bom = data[off + 8:off + 12]
            if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
                e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
                links = []
            btype, blen = struct.unpack(e + "II", data[off:off + 8])
            if blen < 12:
                break
            body = data[off + 8:off + blen - 4]
            if btype == 1:
                links.append(struct.unpack(e + "H", body[:2])[0])
            elif btype == 6 and len(body) >= 20:
                iface, _, _, cap = struct.unpack(e + "IIII", body[:16])
                if iface < len(links):
                    out.append((links[iface], body[20:20 + cap]))
            elif btype == 3 and links:
                out.append((links[0], body[4:]))
            off += blen
    return out


LINKS = {1: 0, 101: 1, 228: 2, 229: 3, 0: 4, 108: 5, 113: 6, 276: 7, 12: 8, 14: 9}


def tshark_fields(path, filt, fields):
    cmd = ["tshark", "-n", "-r", path, "-Y", filt, "-T", "fields", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except Exception:
        return []
    return [line.split("|") for line in r.stdout.splitlines()]


def tcp_streams(path):
    """{(stream, src, sport): bytes} of TCP payloads in capture order (retransmissions included)."""
    streams = defaultdict(bytearray)
    rows = tshark_fields(path, "tcp.len > 0", ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "tcp.payload"])
    for row in rows:
        if len(row) < 5 or not row[4]:
            continue
        streams[(row[0], row[1] or row[2], row[3])] += bytes.fromhex(row[4].replace(":", ""))
    return streams


def udp_conversations(path):
    convs = defaultdict(list)
    rows = tshark_fields(path, "udp.length > 8", ["udp.stream", "ip.src", "ipv6.src", "udp.srcport", "udp.payload"])
    for row in rows:
        if len(row) < 5 or not row[4]:
            continue
        convs[row[0]].append(((row[1] or row[2]), row[3], bytes.fromhex(row[4].replace(":", ""))))
    return convs


def handshakes(stream):
    """(type, body) of clear-text handshake messages in a TLS byte stream."""
    out, hs, off = [], bytearray(), 0
    while off + 5 <= len(stream):
        ctype, length = stream[off], struct.unpack(">H", stream[off + 3:off + 5])[0]
        if ctype not in (20, 21, 22, 23) or stream[off + 1] != 3:
            break
        if ctype == 22:
            hs += stream[off + 5:off + 5 + length]
        elif ctype in (20, 23):
            break
        off += 5 + length
    i = 0
    while i + 4 <= len(hs):
        t, n = hs[i], int.from_bytes(hs[i + 1:i + 4], "big")
        if i + 4 + n > len(hs):
            break
        out.append((t, bytes(hs[i + 4:i + 4 + n])))
        i += 4 + n
    return out


def certificates(body):
    """DER certificates of a TLS 1.2 Certificate message body (TLS 1.3 bodies have a context byte first)."""
    out = []
    for start in (0, 1):
        b = body[start:]
        if len(b) < 3:
            continue
        total, i = int.from_bytes(b[:3], "big"), 3
        while i + 3 <= min(len(b), 3 + total):
            n = int.from_bytes(b[i:i + 3], "big")
            out.append(b[i + 3:i + 3 + n])
            i += 3 + n
            if start == 1:
                ext = int.from_bytes(b[i:i + 2], "big") if i + 2 <= len(b) else 0
                i += 2 + ext
    return [c for c in out if len(c) > 64 and c[0] == 0x30]


def http_bodies(out, stream, tag):
    """OCSP requests/responses and CRLs/certificates carried in Content-Length HTTP bodies, as DER seeds."""
    off = 0
    while True:
        end = stream.find(b"\r\n\r\n", off)
        if end < 0:
            return
        head = stream[off:end].lower()
        length = 0
        for line in head.split(b"\r\n"):
            if line.startswith(b"content-length:"):
                try:
                    length = int(line.split(b":", 1)[1])
                except ValueError:
                    length = 0
        body = stream[end + 4:end + 4 + length]
        if body[:1] == b"\x30":
            if b"ocsp" in head:
                write(out, "FuzzOCSP", body, tag)
            elif b"crl" in head or b"cert" in head or b"pkix" in head:
                write(out, "FuzzX509", body, tag)
        off = end + 4 + length


def main():
    out, inputs = sys.argv[1], sys.argv[2:]
    files = []
    for p in inputs:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in sorted(names)]
        else:
            files.append(p)
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        tag = os.path.basename(path).replace(".", "_")[:40]
        magic = data[:4]
        is_pcap = magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d")
        is_pcapng = magic == b"\x0a\x0d\x0d\x0a"
        name = os.path.basename(path)
        if not (is_pcap or is_pcapng):
            # CT exports (crt.sh, RFC 6962, certstream, Censys, PEM, DER): auto-detected format, default chunking.
            if ("ct-samples" in path or "CTIndex" in path) and name.rsplit(".", 1)[-1] in ("json", "ndjson", "pem", "der", "txt"):
                write(out, "FuzzCTIndex", b"\x00" + data[:MAX_FILE], tag)
            # Fixtures: DER documents, HTTP streams, hello hex dumps.
            if name.endswith(".der"):
                write(out, "FuzzOCSP" if "ocsp" in name or "zeek" in name else "FuzzX509", data, tag)
            elif name.endswith(".bin") and "http" in path:
                write(out, "FuzzHTTP", bytes([0 if ".client." in name else 1]) + data, tag)
                for line in data.split(b"\r\n"):
                    if line.startswith(b"GET "):
                        write(out, "FuzzPKIText", line.split(b" ")[1], tag)
            elif name.endswith(".hex"):
                raw = bytes.fromhex("".join(data.decode().split()))
                for t, body in handshakes(raw) or [(1, raw[4:])]:
                    write(out, "FuzzHello", body, tag)
                write(out, "FuzzTLSStream", b"\x00" + raw, tag)
            continue
        trimmed = data[:MAX_FILE]
        write(out, "FuzzPipeline", trimmed, tag)
        if is_pcap:
            write(out, "FuzzPcap", bytes([{b"\xd4\xc3\xb2\xa1": 0, b"\xa1\xb2\xc3\xd4": 1, b"\x4d\x3c\xb2\xa1": 2}.get(magic, 3)]) + trimmed[4:], tag)
        else:
            write(out, "FuzzPcapNG", trimmed[4:], tag)
        seq = bytearray()
        for link, pkt in read_packets(data):
            seq += bytes([LINKS.get(link, 10), 1]) + struct.pack(">H", len(pkt)) + pkt
            if len(seq) > MAX_SEQ:
                break
        if seq:
            write(out, "FuzzDecode", bytes(seq), tag)
        for key, stream in tcp_streams(path).items():
            s = bytes(stream[:MAX_SEQ])
            hs = handshakes(s)
            if hs:
                write(out, "FuzzTLSStream", b"\x00" + s, tag)
            for t, body in hs:
                if t in (1, 2):
                    write(out, "FuzzHello", body, tag)
                elif t == 11:
                    for cert in certificates(body):
                        write(out, "FuzzX509", cert, tag)
                elif t == 22:
                    write(out, "FuzzOCSP", body, tag)
            if s[:4] in (b"GET ", b"POST", b"HTTP"):
                write(out, "FuzzHTTP", bytes([1 if s.startswith(b"HTTP") else 0]) + s, tag)
                http_bodies(out, s, tag)
                for line in s.split(b"\r\n"):
                    if line.startswith(b"GET "):
                        write(out, "FuzzPKIText", line.split(b" ")[1], tag)
        for conv in udp_conversations(path).values():
            client = (conv[0][0], conv[0][1])
            seq = bytearray()
            for src, port, payload in conv:
                seq += bytes([0 if (src, port) == client else 1]) + struct.pack(">H", len(payload)) + payload
                if len(seq) > MAX_SEQ:
                    break
            if conv[0][2][:1] and (conv[0][2][0] & 0x80 or conv[0][2][0] in (20, 21, 22, 23, 24, 25)):
                write(out, "FuzzUDP", bytes(seq), tag)
    # Serial spellings as sources print them.
    for s in (b"00:8f:3a:21", b"0x1234ABCD", b"12345678901234567890", b"  42 ", b"0", b"deadbeef" * 8):
        write(out, "FuzzPKIText", s, "serial")


main()
