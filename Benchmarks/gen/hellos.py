"""ClientHello model: parse real hellos, rewrite them (random, session id, SNI, GREASE, post-quantum key share)
with every length recomputed, and compute JA3 / JA4 from the fields, independently of helloscope.

Sources of real hellos (all read at generation time):
  * Tests/Fixtures/hellos/*.hex            - TLS records written by OpenSSL (always present)
  * captures/lab/*.pcap*                    - the real-client lab, when it exists
  * ../shared/corpus/**/*.pcap*             - the reference corpus, when it exists
Captures are read with tshark (`tcp.reassembled.data` / `tcp.payload` of frames with a ClientHello); a hello is
kept only if re-serialising the parsed fields gives back the exact original bytes.
"""
import glob
import json
import hashlib
import os
import struct
import subprocess


def is_grease(v):
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


GREASE_VALUES = [0x0A0A + 0x1010 * i for i in range(16)]

EXT_SNI, EXT_GROUPS, EXT_FORMATS, EXT_SIGALGS, EXT_ALPN, EXT_VERSIONS, EXT_KEYSHARE = 0, 10, 11, 13, 16, 43, 51
X25519MLKEM768 = 0x11EC


class Hello:
    __slots__ = ("version", "random", "sid", "ciphers", "comp", "has_exts", "exts", "record_version")

    def __init__(self, version, random, sid, ciphers, comp, has_exts, exts, record_version=0x0301):
        self.version, self.random, self.sid = version, random, sid
        self.ciphers, self.comp, self.has_exts, self.exts = list(ciphers), comp, has_exts, list(exts)
        self.record_version = record_version

    # -- wire format ---------------------------------------------------------------------------------------
    @staticmethod
    def parse_body(b, record_version=0x0301):
        o = 0
        version = struct.unpack_from("!H", b, o)[0]; o += 2
        random = b[o:o + 32]; o += 32
        sl = b[o]; o += 1
        sid = b[o:o + sl]; o += sl
        cl = struct.unpack_from("!H", b, o)[0]; o += 2
        if cl % 2 or o + cl > len(b):
            raise ValueError("cipher length")
        ciphers = list(struct.unpack_from("!%dH" % (cl // 2), b, o)); o += cl
        ml = b[o]; o += 1
        comp = b[o:o + ml]; o += ml
        if len(comp) != ml:
            raise ValueError("compression")
        exts = []
        has_exts = o < len(b)
        if has_exts:
            el = struct.unpack_from("!H", b, o)[0]; o += 2
            end = o + el
            if end != len(b):
                raise ValueError("extensions length")
            while o < end:
                t, l = struct.unpack_from("!HH", b, o); o += 4
                if o + l > end:
                    raise ValueError("extension length")
                exts.append((t, bytes(b[o:o + l]))); o += l
        return Hello(version, bytes(random), bytes(sid), ciphers, bytes(comp), has_exts, exts, record_version)

    def body(self):
        parts = [struct.pack("!H", self.version), self.random, bytes([len(self.sid)]), self.sid,
                 struct.pack("!H", 2 * len(self.ciphers)), struct.pack("!%dH" % len(self.ciphers), *self.ciphers),
                 bytes([len(self.comp)]), self.comp]
        if self.has_exts:
            eb = b"".join(struct.pack("!HH", t, len(d)) + d for t, d in self.exts)
            parts += [struct.pack("!H", len(eb)), eb]
        return b"".join(parts)

    def handshake(self):
        body = self.body()
        return b"\x01" + struct.pack("!I", len(body))[1:] + body

    def records(self, split_at=None):
        """The hello as TLS handshake records; `split_at` cuts the handshake message over two records."""
        hs = self.handshake()
        pieces = [hs] if split_at is None else [hs[:split_at], hs[split_at:]]
        return b"".join(b"\x16" + struct.pack("!HH", self.record_version, len(p)) + p for p in pieces)

    def ext(self, t):
        for et, d in self.exts:
            if et == t:
                return d
        return None

    def set_ext(self, t, data):
        for i, (et, _) in enumerate(self.exts):
            if et == t:
                self.exts[i] = (t, data)
                return

    def copy(self):
        return Hello(self.version, self.random, self.sid, self.ciphers, self.comp, self.has_exts, self.exts,
                     self.record_version)

    # -- field lists -----------------------------------------------------------------------------------------
    def _u16_list(self, t, lenbytes):
        d = self.ext(t)
        if d is None or len(d) < lenbytes:
            return []
        n = d[0] if lenbytes == 1 else struct.unpack_from("!H", d)[0]
        n = min(n, len(d) - lenbytes) // 2
        return list(struct.unpack_from("!%dH" % n, d, lenbytes))

    def groups(self):
        return self._u16_list(EXT_GROUPS, 2)

    def formats(self):
        d = self.ext(EXT_FORMATS)
        if not d:
            return []
        return list(d[1:1 + d[0]])

    def sigalgs(self):
        return self._u16_list(EXT_SIGALGS, 2)

    def versions(self):
        return self._u16_list(EXT_VERSIONS, 1)

    def alpn_first(self):
        d = self.ext(EXT_ALPN)
        if d is None or len(d) < 3:
            return None
        n = d[2]
        return d[3:3 + n]

    def sni(self):
        d = self.ext(EXT_SNI)
        if d is None or len(d) < 5:
            return None
        o, end = 2, 2 + struct.unpack_from("!H", d)[0]
        while o + 3 <= end:
            t, l = d[o], struct.unpack_from("!H", d, o + 1)[0]
            if t == 0:
                return d[o + 3:o + 3 + l].decode("utf-8", "replace")
            o += 3 + l
        return None

    # -- fingerprints, computed from the fields ---------------------------------------------------------------
    def ja3_string(self):
        j = lambda xs: "-".join(str(x) for x in xs)
        ng = lambda xs: [x for x in xs if not is_grease(x)]
        return "%d,%s,%s,%s,%s" % (self.version, j(ng(self.ciphers)), j(ng(t for t, _ in self.exts)),
                                   j(ng(self.groups())), j(self.formats()))

    def ja4(self):
        ciphers = [c for c in self.ciphers if not is_grease(c)]
        exts = [t for t, _ in self.exts if not is_grease(t)]
        sig = [s for s in self.sigalgs() if not is_grease(s)]
        vs = [v for v in self.versions() if not is_grease(v)]
        best = max(vs) if vs else self.version
        vcode = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2"}.get(best, "00")
        sni = "d" if any(t == EXT_SNI for t, _ in self.exts) else "i"
        alpn = self.alpn_first()
        if not alpn:
            a_code = "00"
        else:
            ok = lambda b: chr(b).isascii() and chr(b).isalnum()
            if ok(alpn[0]) and ok(alpn[-1]):
                a_code = chr(alpn[0]) + chr(alpn[-1])
            else:
                h = alpn.hex()
                a_code = h[0] + h[-1]
        a = "t" + vcode + sni + "%02d" % min(len(ciphers), 99) + "%02d" % min(len(exts), 99) + a_code
        cs = ",".join("%04x" % c for c in sorted(ciphers))
        es = ",".join("%04x" % e for e in sorted(e for e in exts if e not in (EXT_SNI, EXT_ALPN)))
        craw = es + ("_" + ",".join("%04x" % s for s in sig) if sig else "")
        h12 = lambda s: hashlib.sha256(s.encode()).hexdigest()[:12]
        b = h12(cs) if ciphers else "000000000000"
        c = h12(craw) if es else "000000000000"
        return "%s_%s_%s" % (a, b, c), "%s_%s_%s" % (a, cs, craw)

    def key(self):
        return self.ja3_string() + "|" + self.ja4()[1]


def hello_from_records(data):
    """The first ClientHello in a byte stream of TLS records (handshake may span records), or None."""
    o, hs, rv = 0, b"", None
    while o + 5 <= len(data):
        ct, ver, ln = data[o], struct.unpack_from("!H", data, o + 1)[0], struct.unpack_from("!H", data, o + 3)[0]
        if ct != 22:
            return None
        rv = rv or ver
        hs += data[o + 5:o + 5 + ln]
        o += 5 + ln
        if len(hs) >= 4:
            if hs[0] != 1:
                return None
            n = struct.unpack("!I", b"\x00" + hs[1:4])[0]
            if len(hs) >= 4 + n:
                body = hs[4:4 + n]
                h = Hello.parse_body(body, rv)
                if h.body() != body:
                    raise ValueError("does not round-trip")
                return h
    return None


def load_hellos(repo, log=lambda *a: None):
    """Every distinct real ClientHello available on this machine, as [(source, Hello)]."""
    found, seen = [], set()

    def add(src, h):
        if h is None or h.version >= 0xFE00 or h.version < 0x0300:
            return
        k = h.key()
        if k not in seen:
            seen.add(k)
            found.append((src, h))

    for path in sorted(glob.glob(os.path.join(repo, "Tests/Fixtures/hellos/*.hex"))):
        with open(path) as f:
            add(os.path.relpath(path, repo), hello_from_records(bytes.fromhex(f.read().strip())))
    caps = sorted(glob.glob(os.path.join(repo, "captures/lab/*.pcap*")))
    corpus = os.path.join(repo, "..", "shared", "corpus")
    caps += sorted(glob.glob(os.path.join(corpus, "**", "*.pcap*"), recursive=True))
    tshark = any(os.access(os.path.join(p, "tshark"), os.X_OK) for p in os.environ.get("PATH", "").split(":"))
    if caps and not tshark:
        log("hellos: tshark not found, using the fixture hellos only")
        caps = []
    for cap in caps:
        try:
            out = subprocess.run(["tshark", "-r", cap, "-o", "tcp.reassemble_out_of_order:TRUE",
                                  "-Y", "tcp && tls.handshake.type == 1", "-T", "fields",
                                  "-e", "tcp.reassembled.data", "-e", "tcp.payload"],
                                 capture_output=True, text=True, timeout=60).stdout
        except Exception:
            continue
        for line in out.splitlines():
            for field in line.split("\t"):
                field = field.split(",")[0].replace(":", "").strip()
                if not field:
                    continue
                try:
                    add(os.path.relpath(cap, os.path.join(repo, "..")), hello_from_records(bytes.fromhex(field)))
                except (ValueError, struct.error, IndexError):
                    pass
                break
    return found


def sources(repo):
    paths = sorted(glob.glob(os.path.join(repo, "Tests/Fixtures/hellos/*.hex")))
    paths += sorted(glob.glob(os.path.join(repo, "captures/lab/*.pcap*")))
    paths += sorted(glob.glob(os.path.join(repo, "..", "shared", "corpus", "**", "*.pcap*"), recursive=True))
    return [[os.path.relpath(p, repo), os.path.getsize(p), int(os.path.getmtime(p))] for p in paths]


def load_hellos_cached(repo, cache, log=lambda *a: None):
    """load_hellos, remembered in `cache` (a JSON file) until the set of source files changes."""
    src = sources(repo)
    try:
        with open(cache) as f:
            c = json.load(f)
        if c["sources"] == src:
            return [(s, Hello.parse_body(bytes.fromhex(b), rv)) for s, b, rv in c["hellos"]]
    except (OSError, ValueError, KeyError):
        pass
    found = load_hellos(repo, log)
    with open(cache + ".tmp", "w") as f:
        json.dump({"sources": src, "hellos": [(s, h.body().hex(), h.record_version) for s, h in found]}, f)
    os.replace(cache + ".tmp", cache)
    return found


# -- rewriting --------------------------------------------------------------------------------------------------

def sni_ext(name):
    n = name.encode()
    return struct.pack("!HBH", len(n) + 3, 0, len(n)) + n


def fresh(h, rng, sni, pq):
    """A copy of `h` with a fresh random and session id, new SNI (when it had one), new GREASE values, and for
    `pq` a 1216-byte X25519MLKEM768 key share (and the group in supported_groups) in front."""
    n = h.copy()
    n.random = rng.randbytes(32)
    if n.sid:
        n.sid = rng.randbytes(len(n.sid))
    g = lambda v: rng.choice(GREASE_VALUES) if is_grease(v) else v
    n.ciphers = [g(c) for c in n.ciphers]
    exts = []
    for t, d in n.exts:
        t = g(t)
        if t == EXT_SNI and sni is not None:
            d = sni_ext(sni)
        elif t == EXT_GROUPS and len(d) >= 2:
            vals = [g(v) for v in struct.unpack_from("!%dH" % ((len(d) - 2) // 2), d, 2)]
            if pq and X25519MLKEM768 not in vals:
                vals.insert(1 if vals and is_grease(vals[0]) else 0, X25519MLKEM768)
            d = struct.pack("!H%dH" % len(vals), 2 * len(vals), *vals)
        elif t == EXT_KEYSHARE and len(d) >= 2:
            shares, o = [], 2
            while o + 4 <= len(d):
                grp, l = struct.unpack_from("!HH", d, o)
                key = d[o + 4:o + 4 + l]
                shares.append((g(grp), rng.randbytes(len(key)) if not is_grease(grp) else key))
                o += 4 + l
            if pq:
                shares = [s for s in shares if s[0] != X25519MLKEM768]
                pos = 1 if shares and is_grease(shares[0][0]) else 0
                shares.insert(pos, (X25519MLKEM768, rng.randbytes(1216)))
            body = b"".join(struct.pack("!HH", grp, len(k)) + k for grp, k in shares)
            d = struct.pack("!H", len(body)) + body
        elif t == EXT_VERSIONS and len(d) >= 1:
            vals = [g(v) for v in struct.unpack_from("!%dH" % ((len(d) - 1) // 2), d, 1)]
            d = bytes([2 * len(vals)]) + struct.pack("!%dH" % len(vals), *vals)
        exts.append((t, d))
    n.exts = exts
    return n


def can_pq(h):
    return h.ext(EXT_KEYSHARE) is not None and h.ext(EXT_GROUPS) is not None and 0x0304 in h.versions()
