#!/usr/bin/env python3
"""Deterministic synthetic capture generator for the helloscope benchmarks.

    gencap.py --size 1G --seed 1 --format pcap OUT.pcap          # mixed traffic, ground truth in OUT.truth.ndjson
    gencap.py --half-open 1000000 --seed 1 OUT.pcap              # memory test: half-open handshakes

Same arguments, same bytes. Mixed traffic: thousands of concurrent flows; TLS sessions whose ClientHello is a
real hello (see hellos.py) with a fresh random, session id, SNI and GREASE values, some enlarged to ~2 KB with a
post-quantum key share and split over 2-4 TCP segments, some split over two TLS records, some with reordered or
retransmitted segments; IPv4 and IPv6; bulk TLS application_data making up most of the bytes; plain HTTP GETs and
OCSP requests (POST, and GET with the base64 request in the path) with responses; DNS over UDP. Clients come
from a pool of --clients addresses and server names from a pool of --names names with skewed popularity, each name
with its own server address (0 for either: a new one per connection, the worst case for per-client and per-server
state).

Ground truth (OUT.truth.ndjson): one line per ClientHello (frame that completes it, 4-tuple, SNI, JA3 string and
hash, JA4 and JA4_r computed here from the generated fields) and per OCSP request (frame, 4-tuple, serial), then a
`meta` line with the totals. IP and TCP checksums are left zero (neither helloscope nor tshark checks them by
default).
"""
import argparse
import base64
import hashlib
import ipaddress
import json
import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hellos as H  # noqa: E402

MSS = 1448
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def parse_size(s):
    s = s.strip().upper()
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(s[-1:], 1)
    return int(float(s.rstrip("KMG")) * mult)


# -- DER / OCSP -------------------------------------------------------------------------------------------------

def der(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(lb)]) + lb + body


SHA1_ALG = der(0x30, der(0x06, bytes.fromhex("2b0e03021a")) + b"\x05\x00")


def ocsp_request(serial, name_hash, key_hash):
    """OCSPRequest (RFC 6960 4.1.1) with one CertID; `serial` is the positive INTEGER's content bytes."""
    cert_id = der(0x30, SHA1_ALG + der(0x04, name_hash) + der(0x04, key_hash) + der(0x02, serial))
    return der(0x30, der(0x30, der(0x30, der(0x30, cert_id))))


def serial_bytes(rng):
    n = rng.choice((8, 16, 16, 20))
    b = bytearray(rng.randbytes(n))
    b[0] = (b[0] & 0x7F) or 0x11  # positive, minimal (no leading zero byte)
    return bytes(b)


OCSP_RESPONSE_TRY_LATER = der(0x30, der(0x0A, b"\x03"))


# -- DNS ---------------------------------------------------------------------------------------------------------

def dns_name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"


def dns_query(qid, name):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", 1, 1)


def dns_response(qid, name, addr):
    q = dns_name(name) + struct.pack("!HH", 1, 1)
    return (struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q
            + struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + addr)


# -- packets -----------------------------------------------------------------------------------------------------

class Flow:
    """Both directions' header templates of one TCP or UDP flow (Ethernet + IPv4/IPv6)."""
    __slots__ = ("v6", "c_ip", "s_ip", "c_port", "s_port", "eth", "ident", "c_str", "s_str")

    def __init__(self, v6, c_ip, s_ip, c_port, s_port):
        self.v6, self.c_ip, self.s_ip, self.c_port, self.s_port = v6, c_ip, s_ip, c_port, s_port
        et = b"\x86\xdd" if v6 else b"\x08\x00"
        self.eth = (b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + et,
                    b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02" + et)
        self.ident = 0
        fam = ipaddress.IPv6Address if v6 else ipaddress.IPv4Address
        self.c_str, self.s_str = str(fam(c_ip)), str(fam(s_ip))

    def ip(self, d, proto, plen):
        src, dst = (self.c_ip, self.s_ip) if d == 0 else (self.s_ip, self.c_ip)
        if self.v6:
            return self.eth[d] + struct.pack("!IHBB", 0x60000000, plen, proto, 64) + src + dst
        self.ident = (self.ident + 1) & 0xFFFF
        return self.eth[d] + struct.pack("!BBHHHBBH", 0x45, 0, 20 + plen, self.ident, 0x4000, 64, proto, 0) + src + dst

    def tcp(self, d, seq, ack, flags, payload=b""):
        sp, dp = (self.c_port, self.s_port) if d == 0 else (self.s_port, self.c_port)
        return (self.ip(d, 6, 20 + len(payload))
                + struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags, 65535, 0, 0)
                + payload)

    def udp(self, d, payload):
        sp, dp = (self.c_port, self.s_port) if d == 0 else (self.s_port, self.c_port)
        return self.ip(d, 17, 8 + len(payload)) + struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload


class Conn:
    """TCP sequence state of one connection; builds segments and cuts byte streams into MSS-sized ones."""

    def __init__(self, flow, rng):
        self.f = flow
        self.seq = [rng.getrandbits(32), rng.getrandbits(32)]

    def handshake(self):
        f, s = self.f, self.seq
        yield f.tcp(0, s[0], 0, SYN), None
        yield f.tcp(1, s[1], s[0] + 1, SYN | ACK), None
        s[0] += 1; s[1] += 1
        yield f.tcp(0, s[0], s[1], ACK), None

    def seg(self, d, payload, flags=PSH | ACK, seq=None):
        return self.f.tcp(d, self.seq[d] if seq is None else seq, self.seq[1 - d], flags, payload)

    def send(self, d, data, tag=None):
        """The stream `data` in order, MSS-sized; `tag` marks the last segment."""
        mv = memoryview(data)
        n = len(data)
        o = 0
        while o < n:
            chunk = bytes(mv[o:o + MSS])
            p = self.seg(d, chunk)
            self.seq[d] += len(chunk)
            o += len(chunk)
            yield p, (tag if o >= n else None)

    def close(self):
        f, s = self.f, self.seq
        yield f.tcp(0, s[0], s[1], FIN | ACK), None
        yield f.tcp(1, s[1], s[0] + 1, FIN | ACK), None
        yield f.tcp(0, s[0] + 1, s[1] + 1, ACK), None


# -- the generator -----------------------------------------------------------------------------------------------

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo",
         "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor"]


class Generator:
    def __init__(self, args, hello_list):
        self.a = args
        self.rng = random.Random(args.seed)
        self.hellos = hello_list
        self.pool = self.rng.randbytes(4 << 20)
        self.truth = []
        self.next_client = 0
        self.stats = {"client_hellos": 0, "pq_hellos": 0, "split_records": 0, "multi_segment_hellos": 0,
                      "reordered_hellos": 0, "retransmitted_hello_segments": 0, "ipv6_flows": 0, "tls_sessions": 0,
                      "http_sessions": 0, "ocsp_requests": 0, "dns_exchanges": 0, "bulk_reordered": 0,
                      "bulk_retransmitted": 0}
        self.ocsp_issuer = (self.rng.randbytes(20), self.rng.randbytes(20))
        self.names = [self.sni() for _ in range(args.names)]

    # Endpoints. Clients come from a pool of --clients addresses (0: a new address per connection), each
    # connection with its own client port, so a 4-tuple names one connection. Server names come from a pool of
    # --names names chosen with a skew (a few popular, a long tail; 0: a fresh name per connection), and each
    # name has its own server address.
    def flow(self, s_port, v6=None, server=None):
        rng = self.rng
        self.next_client += 1
        k = self.next_client
        n = self.a.clients
        ci, port = (k % n, 1024 + (k // n) % 64000) if n else (k, 1024 + (k * 7919) % 64000)
        if v6 is None:
            v6 = (ci * 2654435761 >> 7) % 10 < 3 if n else rng.random() < 0.3
        si = server + 1 if server is not None else rng.randrange(1, 1 << 16)
        if v6:
            self.stats["ipv6_flows"] += 1
            c = b"\xfd\x00" + b"\x00" * 8 + struct.pack("!IH", ci, 0x100 + (ci & 0xff))
            s = bytes.fromhex("20010db8000000000000") + struct.pack("!IH", si >> 16, si & 0xFFFF)
        else:
            c = struct.pack("!I", (10 << 24) | (ci & 0xFFFFFF))
            s = struct.pack("!I", (198 << 24) | (18 << 16) | (si & 0xFFFF))
        return Flow(v6, c, s, port, s_port)

    def name_index(self):
        """An index into the name pool (skewed towards the first names), or None for a fresh name."""
        if not self.a.names:
            return None
        return int(self.a.names * self.rng.random() ** 3)

    def sni(self, index=None):
        if index is not None:
            return self.names[index]
        r = self.rng
        return "%s%d.%s.%s.example" % (r.choice(WORDS), r.randrange(1000), r.choice(WORDS), r.choice(WORDS))

    def record_truth(self, flow, h, tag, sni):
        ja4, ja4_r = h.ja4()
        s = h.ja3_string()
        self.truth.append({"type": "client_hello", "frame": None, "src_ip": flow.c_str, "src_port": flow.c_port,
                           "dst_ip": flow.s_str, "dst_port": flow.s_port, "sni": h.sni() if sni else None,
                           "ja3_string": s, "ja3": hashlib.md5(s.encode()).hexdigest(), "ja4": ja4, "ja4_r": ja4_r,
                           "_tag": tag})

    def client_hello(self, flow, pq_ok=True, name=None):
        """(Hello, TLS record bytes, cut points for TCP segments)."""
        rng, st = self.rng, self.stats
        base = rng.choice(self.hellos)
        pq = pq_ok and H.can_pq(base) and rng.random() < self.a.pq_share
        sni = (name or self.sni()) if base.ext(H.EXT_SNI) is not None else None
        h = H.fresh(base, rng, sni, pq)
        hs_len = len(h.handshake())
        split = None
        if rng.random() < 0.1 and hs_len > 40:
            split = rng.randrange(4, hs_len - 4)
            st["split_records"] += 1
        data = h.records(split)
        if pq:
            st["pq_hellos"] += 1
        if len(data) > 1200 or rng.random() < 0.08:
            k = rng.randrange(2, 5) if len(data) > 1200 else 2
            cuts = sorted(rng.sample(range(max(1, len(data) // (2 * k)), len(data) - 1), k - 1))
            # keep every piece within the MSS
            pieces = [0] + cuts + [len(data)]
            if any(b - a > MSS for a, b in zip(pieces, pieces[1:])):
                cuts = [len(data) * i // k for i in range(1, k)]
        else:
            cuts = []
        return h, data, cuts, sni

    def tls_session(self):
        rng, st, a = self.rng, self.stats, self.a
        st["tls_sessions"] += 1
        ni = self.name_index()
        flow = self.flow(443, server=ni)
        c = Conn(flow, rng)
        yield from c.handshake()
        h, data, cuts, sni = self.client_hello(flow, name=self.sni(ni))
        tag = len(self.truth)
        self.record_truth(flow, h, tag, sni)
        st["client_hellos"] += 1
        bounds = [0] + cuts + [len(data)]
        segs = [(c.seq[0] + bounds[i], data[bounds[i]:bounds[i + 1]]) for i in range(len(bounds) - 1)]
        if len(segs) > 1:
            st["multi_segment_hellos"] += 1
        order = list(range(len(segs)))
        if len(segs) > 1 and rng.random() < 0.15:
            i = rng.randrange(len(segs) - 1)
            order[i], order[i + 1] = order[i + 1], order[i]
            st["reordered_hellos"] += 1
        # the hello is complete at the first emission of its last-arriving segment
        emitted = []
        for n, i in enumerate(order):
            seq, payload = segs[i]
            last = n == len(order) - 1
            emitted.append((c.f.tcp(0, seq, c.seq[1], PSH | ACK, payload), tag if last else None))
            if rng.random() < 0.05:
                emitted.append((c.f.tcp(0, seq, c.seq[1], PSH | ACK, payload), None))  # retransmission
                st["retransmitted_hello_segments"] += 1
        c.seq[0] += len(data)
        for p in emitted:
            yield p
        yield c.seg(1, b"", ACK), None
        # ServerHello (TLS 1.3 shape) + change_cipher_spec + encrypted flight
        sh_body = (b"\x03\x03" + rng.randbytes(32) + b"\x20" + h.sid.ljust(32, b"\x00")[:32] + b"\x13\x01\x00"
                   + struct.pack("!H", 46) + b"\x00\x2b\x00\x02\x03\x04" + b"\x00\x33\x00\x24\x00\x1d\x00\x20"
                   + rng.randbytes(32))
        sh = b"\x02" + struct.pack("!I", len(sh_body))[1:] + sh_body
        flight = (b"\x16\x03\x03" + struct.pack("!H", len(sh)) + sh + b"\x14\x03\x03\x00\x01\x01"
                  + self.app_record(rng.randrange(2000, 5000)))
        yield from c.send(1, flight)
        yield from c.send(0, b"\x14\x03\x03\x00\x01\x01" + self.app_record(rng.randrange(60, 600)))
        # bulk: server application data, client ACKs every 4th segment
        total = int(rng.expovariate(1.0 / a.mean_bulk))
        sent, k = 0, 0
        while sent < total:
            rec = self.app_record(min(16384, max(1, total - sent)))
            sent += len(rec)
            mv = memoryview(rec)
            o = 0
            while o < len(rec):
                chunk = bytes(mv[o:o + MSS])
                seq = c.seq[1]
                p = c.seg(1, chunk)
                c.seq[1] += len(chunk)
                o += len(chunk)
                r = rng.random()
                if r < 0.002:
                    # reordered: the next segment goes first
                    st["bulk_reordered"] += 1
                    if o < len(rec):
                        nxt = bytes(mv[o:o + MSS])
                        yield c.seg(1, nxt), None
                        c.seq[1] += len(nxt)
                        o += len(nxt)
                    yield p, None
                elif r < 0.004:
                    st["bulk_retransmitted"] += 1
                    yield p, None
                    yield c.f.tcp(1, seq, c.seq[0], PSH | ACK, chunk), None
                else:
                    yield p, None
                k += 1
                if k % 4 == 0:
                    yield c.seg(0, b"", ACK), None
            if rng.random() < 0.05:
                yield from c.send(0, self.app_record(rng.randrange(30, 300)))
        yield from c.close()

    def app_record(self, n):
        o = self.rng.randrange(0, len(self.pool) - n)
        return b"\x17\x03\x03" + struct.pack("!H", n) + self.pool[o:o + n]

    def http_session(self):
        rng, st = self.rng, self.stats
        st["http_sessions"] += 1
        ni = self.name_index()
        flow = self.flow(80, server=ni)
        c = Conn(flow, rng)
        yield from c.handshake()
        host = self.sni(ni)
        r = rng.random()
        if r < 0.5:
            serial = serial_bytes(rng)
            req = ocsp_request(serial, *self.ocsp_issuer)
            post = r < 0.35
            if post:
                head = ("POST / HTTP/1.1\r\nHost: ocsp.%s\r\nUser-Agent: bench/1\r\nContent-Type: application/ocsp-request"
                        "\r\nContent-Length: %d\r\n\r\n" % (host, len(req))).encode()
                msg = head + req
            else:
                path = base64.b64encode(req).decode().replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
                msg = ("GET /%s HTTP/1.1\r\nHost: ocsp.%s\r\nUser-Agent: bench/1\r\n\r\n" % (path, host)).encode()
            tag = len(self.truth)
            self.truth.append({"type": "ocsp_request", "frame": None, "method": "POST" if post else "GET",
                               "src_ip": flow.c_str, "src_port": flow.c_port, "dst_ip": flow.s_str,
                               "dst_port": flow.s_port, "serial": serial.hex(), "_tag": tag})
            st["ocsp_requests"] += 1
            yield from c.send(0, msg, tag)
            body = OCSP_RESPONSE_TRY_LATER
            resp = ("HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: %d\r\n\r\n"
                    % len(body)).encode() + body
        else:
            msg = ("GET /page/%d.html HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\n\r\n" % (rng.randrange(10 ** 6), host)).encode()
            yield from c.send(0, msg)
            n = rng.randrange(200, 30000)
            o = rng.randrange(0, len(self.pool) - n)
            resp = ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % n).encode() \
                + self.pool[o:o + n]
        yield c.seg(1, b"", ACK), None
        yield from c.send(1, resp)
        yield c.seg(0, b"", ACK), None
        yield from c.close()

    def dns_exchange(self):
        rng = self.rng
        self.stats["dns_exchanges"] += 1
        flow = self.flow(53, server=0)
        qid = rng.getrandbits(16)
        name = self.sni(self.name_index())
        yield flow.udp(0, dns_query(qid, name)), None
        yield flow.udp(1, dns_response(qid, name, rng.randbytes(4))), None

    def session(self):
        r = self.rng.random()
        if r < self.a.tls_share:
            return self.tls_session()
        if r < self.a.tls_share + (1 - self.a.tls_share) / 2:
            return self.http_session()
        return self.dns_exchange()

    # -- memory test: half-open handshakes -----------------------------------------------------------------------
    def half_open(self, n, complete_every):
        """`n` connections that send SYN and the first segment of a ClientHello and then nothing; every
        `complete_every`-th connection instead sends a whole ClientHello (its segments back to back)."""
        for i in range(n):
            complete = complete_every and i % complete_every == complete_every - 1
            ni = self.name_index()
            flow = self.flow(443, v6=(i % 4 == 3), server=ni)
            c = Conn(flow, self.rng)
            yield c.f.tcp(0, c.seq[0], 0, SYN), None
            c.seq[0] += 1
            h, data, cuts, sni = self.client_hello(flow, name=self.sni(ni))
            if not cuts:
                cuts = [len(data) // 2]
            if complete:
                tag = len(self.truth)
                self.record_truth(flow, h, tag, sni)
                self.stats["client_hellos"] += 1
                bounds = [0] + cuts + [len(data)]
                for j in range(len(bounds) - 1):
                    last = j == len(bounds) - 2
                    yield c.f.tcp(0, c.seq[0] + bounds[j], 0, PSH | ACK, data[bounds[j]:bounds[j + 1]]), \
                        (tag if last else None)
            else:
                yield c.f.tcp(0, c.seq[0], 0, PSH | ACK, data[:cuts[0]]), None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--size", default="100M", help="target capture size (K/M/G suffixes)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=("pcap", "pcapng"), default=None, help="default: from the file name")
    ap.add_argument("--concurrency", type=int, default=4000, help="connections open at once")
    ap.add_argument("--mean-bulk", type=int, default=256 << 10, help="mean application data bytes per TLS session")
    ap.add_argument("--tls-share", type=float, default=0.8, help="share of sessions that are TLS (rest HTTP/DNS)")
    ap.add_argument("--pq-share", type=float, default=0.3, help="share of TLS 1.3 hellos given a 1216-byte ML-KEM share")
    ap.add_argument("--clients", type=int, default=2000, help="client addresses (0: a new one per connection)")
    ap.add_argument("--names", type=int, default=5000, help="server names, skewed popularity (0: a new one per connection)")
    ap.add_argument("--half-open", type=int, default=0, help="memory test: this many half-open handshakes")
    ap.add_argument("--complete-every", type=int, default=1000, help="memory test: every Nth handshake is complete")
    ap.add_argument("--repo", default=os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))
    a = ap.parse_args()
    fmt = a.format or ("pcapng" if a.out.endswith(".pcapng") else "pcap")
    target = parse_size(a.size)
    t0 = time.time()
    hl = H.load_hellos_cached(a.repo, os.path.join(os.path.dirname(os.path.abspath(a.out)), "hellos-cache.json"),
                              lambda *m: print(*m, file=sys.stderr))
    hl.sort(key=lambda sh: (sh[0], sh[1].key()))
    g = Generator(a, [h for _, h in hl])
    rng = g.rng

    out = open(a.out + ".tmp", "wb", buffering=0)
    if fmt == "pcap":
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    else:
        shb_body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
        out.write(struct.pack("<II", 0x0A0D0D0A, 12 + len(shb_body)) + shb_body + struct.pack("<I", 12 + len(shb_body)))
        idb_body = struct.pack("<HHI", 1, 0, 262144)
        out.write(struct.pack("<II", 1, 12 + len(idb_body)) + idb_body + struct.pack("<I", 12 + len(idb_body)))
    written = 24
    frame = 0
    ts = 1_700_000_000 * 1_000_000
    buf = []
    tags = {}
    pack_pcap = struct.Struct("<IIII").pack
    pack_epb = struct.Struct("<IIIIIII").pack

    def emit(p):
        nonlocal frame, ts, written
        frame += 1
        ts += 7
        n = len(p)
        if fmt == "pcap":
            buf.append(pack_pcap(ts // 1_000_000, ts % 1_000_000, n, n))
            buf.append(p)
            written += 16 + n
        else:
            pad = (-n) & 3
            tl = 32 + n + pad
            buf.append(pack_epb(6, tl, 0, ts >> 32, ts & 0xFFFFFFFF, n, n))
            buf.append(p + b"\x00" * pad + struct.pack("<I", tl))
            written += tl
        if len(buf) > 8192:
            out.write(b"".join(buf))
            buf.clear()

    if a.half_open:
        for p, tag in g.half_open(a.half_open, a.complete_every):
            emit(p)
            if tag is not None:
                tags[tag] = frame
    else:
        active = [g.session() for _ in range(a.concurrency)]
        n = len(active)
        while written < target:
            i = rng.randrange(n)
            try:
                p, tag = next(active[i])
            except StopIteration:
                active[i] = g.session()
                continue
            emit(p)
            if tag is not None:
                tags[tag] = frame
        # let the sessions that started a hello or an OCSP request finish it so the ground truth is whole
        while len(g.truth) > len(tags) and active:
            still = []
            for gen in active:
                try:
                    p, tag = next(gen)
                except StopIteration:
                    continue
                still.append(gen)
                emit(p)
                if tag is not None:
                    tags[tag] = frame
            active = still
    if buf:
        out.write(b"".join(buf))
    out.close()
    os.replace(a.out + ".tmp", a.out)

    with open(a.out + ".truth.ndjson", "w") as f:
        for t in g.truth:
            t["frame"] = tags[t.pop("_tag")]
            f.write(json.dumps(t, sort_keys=True) + "\n")
        meta = {"type": "meta", "format": fmt, "seed": a.seed, "bytes": os.path.getsize(a.out), "packets": frame,
                "hello_sources": len(hl), "half_open": a.half_open, "clients": a.clients, "names": a.names, "generator_seconds": round(time.time() - t0, 2)}
        meta.update(g.stats)
        f.write(json.dumps(meta, sort_keys=True) + "\n")
    print(json.dumps(meta, sort_keys=True), file=sys.stderr)


if __name__ == "__main__":
    main()
