#!/usr/bin/env python3
"""Writes hostile captures for helloscope, at full scale (nothing here is committed except this script).

    Tests/Fixtures/adversarial/generate.py OUT_DIR [--flows N] [--fragments N] [--hello-bytes N]

Every capture also holds one good TLS connection (the python-default hello, SNI good.lab.test), so a run
shows both what was dropped and that good hellos are still fingerprinted:

    helloscope analyze OUT_DIR/half-open-flows.pcap --events - | tail -1    # capture_summary counters

Files:
  half-open-flows.pcap     N SYNs (default 1 000 000) from distinct address/port pairs, never answered
  fragment-flood.pcap      N first IPv4 fragments of distinct datagrams (default 200 000), never completed
  one-byte-hello.pcap      a handshake announcing 16 MiB, then the "rest" one byte per segment (default 200 000)
  huge-hello.pcap          a ClientHello claiming 2^24-1 bytes, followed by full 16 KiB records
  retransmit-storm.pcap    one segment retransmitted 100 000 times, with and without differing bytes
  lying-lengths.pcap       pcap record, IP total length, TCP data offset, TLS record/handshake/extension lengths
  lying-pcapng.pcapng      pcapng blocks with lengths that lie (short, unaligned, beyond the file, trailer mismatch)
  unknown-link.pcapng      packets on an undecodable link type beside an Ethernet interface
  der-depth.der            an OCSP-response-shaped DER value nested 100 000 SEQUENCEs deep
  capture.pcap.gz          a gzip-compressed capture (helloscope names gzip and how to read it)
  empty.pcap, text.pcap    not captures
The same families, at unit-test scale, are asserted by Tests/PipelineTests/AdversarialTests.swift.
"""
import argparse, gzip, os, struct

HERE = os.path.dirname(os.path.abspath(__file__))
HELLO = bytes.fromhex("".join(open(os.path.join(HERE, "..", "hellos", "python-default.hex")).read().split()))


def csum(h):
    s = sum(struct.unpack(">10H", h))
    while s > 0xffff:
        s = (s & 0xffff) + (s >> 16)
    return struct.pack(">H", ~s & 0xffff)


def ipv4(src, dst, proto, payload, ident=1, frag=0x4000, total=None):
    h = struct.pack(">BBHHHBB2s4s4s", 0x45, 0, total if total is not None else 20 + len(payload), ident & 0xffff, frag,
                    64, proto, b"\0\0", bytes(src), bytes(dst))
    return h[:10] + csum(h) + h[12:] + payload


def tcp(sport, dport, seq, flags=0x18, payload=b"", ack=0, offset=0x50):
    return struct.pack(">HHIIBBHHH", sport, dport, seq & 0xffffffff, ack, offset, flags, 65535, 0, 0) + payload


def eth(payload, ethertype=0x0800):
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01" + struct.pack(">H", ethertype) + payload


def tcp4(client, seq, payload=b"", flags=0x18, sport=45000, ack=0, src=(10, 0, 0, 1), dst=(10, 0, 0, 2)):
    seg = tcp(sport, 443, seq, flags, payload, ack) if client else tcp(443, sport, seq, flags, payload, ack)
    return eth(ipv4(src if client else dst, dst if client else src, 6, seg))


def good(sport=45000):
    return [tcp4(True, 1000, flags=0x02, sport=sport), tcp4(False, 9000, flags=0x12, sport=sport, ack=1001),
            tcp4(True, 1001, HELLO, sport=sport, ack=9001)]


class Pcap:
    def __init__(self, path, link=1):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, link))
        self.t = 1_700_000_000

    def add(self, pkt, incl=None, orig=None):
        self.f.write(struct.pack("<IIII", self.t, 0, len(pkt) if incl is None else incl, len(pkt) if orig is None else orig))
        self.f.write(pkt)

    def raw(self, b):
        self.f.write(b)

    def close(self):
        self.f.close()


def record(hs, ctype=22, length=None):
    return struct.pack(">BHH", ctype, 0x0301, len(hs) if length is None else length) + hs


def client_hello(sni=b"x.test", ext_delta=0):
    body = b"\x03\x03" + b"\x11" * 32 + b"\0" + struct.pack(">H", 4) + b"\x13\x01\x13\x02" + b"\x01\x00"
    name = b"\0" + struct.pack(">H", len(sni)) + sni
    sn = struct.pack(">H", len(name)) + name
    exts = struct.pack(">HH", 0, len(sn) + ext_delta) + sn
    body += struct.pack(">H", len(exts)) + exts
    return b"\x01" + len(body).to_bytes(3, "big") + body


def block(t, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", t, n) + body + struct.pack("<I", n)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--flows", type=int, default=1_000_000)
    ap.add_argument("--fragments", type=int, default=200_000)
    ap.add_argument("--hello-bytes", type=int, default=200_000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    o = lambda n: os.path.join(a.out, n)

    p = Pcap(o("half-open-flows.pcap"))
    for i in range(a.flows):
        src = (10, 1 + (i >> 16) % 200, (i >> 8) & 0xff, i & 0xff)
        p.add(eth(ipv4(src, (10, 0, 0, 2), 6, tcp(1024 + i % 60000, 443, i, 0x02))))
    for f in good():
        p.add(f)
    p.close()

    p = Pcap(o("fragment-flood.pcap"))
    for i in range(a.fragments):
        p.add(eth(ipv4((10, 2, (i >> 8) & 0xff, i & 0xff), (10, 0, 0, 2), 6, b"\x45" * 64, ident=i, frag=0x2000)))
    for f in good():
        p.add(f)
    p.close()

    p = Pcap(o("one-byte-hello.pcap"))
    p.add(tcp4(True, 1, flags=0x02, sport=40300))
    p.add(tcp4(True, 2, record(b"\x01\xff\xff\xff", length=16_388), sport=40300))
    for i in range(a.hello_bytes):
        p.add(tcp4(True, 11 + i, b"\x41", sport=40300))
    for f in good():
        p.add(f)
    p.close()

    p = Pcap(o("huge-hello.pcap"))
    seq = 2
    p.add(tcp4(True, 1, flags=0x02, sport=40301))
    for payload in [record(b"\x01\xff\xff\xff\x03\x03")] + [record(b"\x42" * 16384)] * 1100:
        p.add(tcp4(True, seq, payload, sport=40301))
        seq += len(payload)
    for f in good():
        p.add(f)
    p.close()

    p = Pcap(o("retransmit-storm.pcap"))
    p.add(tcp4(True, 100, flags=0x02, sport=40302))
    for i in range(100_000):
        chunk = bytearray(HELLO[:100])
        if i % 2:
            chunk[50] ^= 0xff  # a differing copy of delivered bytes
        p.add(tcp4(True, 101, bytes(chunk), sport=40302))
    p.add(tcp4(True, 201, HELLO[100:], sport=40302))
    p.close()

    p = Pcap(o("lying-lengths.pcap"))
    for f in good(45001):
        p.add(f)
    hs = client_hello()
    p.add(eth(ipv4((10, 0, 0, 1), (10, 0, 0, 2), 6, tcp(40100, 443, 1, payload=record(hs)), total=19)))
    p.add(eth(ipv4((10, 0, 0, 1), (10, 0, 0, 2), 6, tcp(40101, 443, 1, payload=record(hs)), total=60000)))
    p.add(eth(ipv4((10, 0, 0, 1), (10, 0, 0, 2), 6, tcp(40102, 443, 1, payload=record(hs), offset=0xf0))))
    p.add(eth(ipv4((10, 0, 0, 1), (10, 0, 0, 2), 6, tcp(40103, 443, 1, payload=record(hs, length=0xffff)))))
    p.add(tcp4(True, 1, record(b"\x01\x00\x40\x00" + hs[4:]), sport=40104))
    p.add(tcp4(True, 1, record(client_hello(ext_delta=200)), sport=40105))
    for f in good(45002):
        p.add(f)
    p.add(b"", incl=0xfffffff0, orig=0xfffffff0)  # the record length no reader should believe
    p.raw(b"\x41" * 64)
    p.close()

    with open(o("lying-pcapng.pcapng"), "wb") as f:
        f.write(block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", 1, 0, 0)))
        for pkt in good(45003):
            f.write(block(6, struct.pack("<IIIII", 0, 0, 0, len(pkt), len(pkt)) + pkt))
        f.write(struct.pack("<II", 6, 13) + b"\x41" * 9)           # unaligned length
        f.write(struct.pack("<II", 6, 8) + b"\x41" * 4)            # shorter than a block header
        f.write(struct.pack("<II", 6, 0x7ffffff0) + b"\x41" * 40)  # beyond the file

    with open(o("unknown-link.pcapng"), "wb") as f:
        f.write(block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", 147, 0, 0)))
        f.write(block(1, struct.pack("<HHI", 1, 0, 0)))
        for i in range(1000):
            f.write(block(6, struct.pack("<IIIII", 0, 0, i, 60, 60) + bytes([i & 0xff]) * 60))
        for pkt in good():
            f.write(block(6, struct.pack("<IIIII", 1, 0, 0, len(pkt), len(pkt)) + pkt))

    # Built from the inside out: each level a SEQUENCE around the previous one, minimal DER lengths.
    inner = b"\x0a\x01\x00"
    for _ in range(100_000):
        n = len(inner)
        ln = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
        inner = b"\x30" + ln + inner
    with open(o("der-depth.der"), "wb") as f:
        f.write(inner)

    with open(o("capture.pcap"), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for pkt in good():
            f.write(struct.pack("<IIII", 1_700_000_000, 0, len(pkt), len(pkt)) + pkt)
    with open(o("capture.pcap"), "rb") as src, gzip.open(o("capture.pcap.gz"), "wb") as dst:
        dst.write(src.read())
    os.unlink(o("capture.pcap"))
    open(o("empty.pcap"), "wb").close()
    with open(o("text.pcap"), "w") as f:
        f.write("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n")


main()
