#!/usr/bin/env python3
"""helloscope benchmark: throughput and memory against a floor and tshark, with a correctness check.

Called by Benchmarks/run.sh (which builds helloscope and the floor program first). Settings come from the
environment (see run.sh); results go to stdout, Benchmarks/out/results.json and Benchmarks/out/results.md.
"""
import filecmp
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("BENCH_OUT", os.path.join(HERE, "out"))
HS = os.environ["HELLOSCOPE"]
WALK = os.path.join(OUT, "walk")
SIZES = os.environ.get("BENCH_SIZES", "100M 1G 3G").split()
PCAPNG_SIZES = os.environ.get("BENCH_PCAPNG_SIZES", "1G").split()
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SEED = int(os.environ.get("BENCH_SEED", "1"))
TSHARK_SIZE = os.environ.get("BENCH_TSHARK_SIZE", "1G")
TSHARK_RUNS = int(os.environ.get("BENCH_TSHARK_RUNS", "1"))
# Also time tshark with out-of-order TCP reassembly on (what finding hellos in reordered segments takes).
TSHARK_OOO = os.environ.get("BENCH_TSHARK_OOO", "1") != "0"
HALF_OPEN = int(os.environ.get("BENCH_HALF_OPEN", "1000000"))
HALF_OPEN_MAX_FLOWS = [int(x) for x in os.environ.get("BENCH_HALF_OPEN_MAX_FLOWS", "131072").split()]
JOBS = os.environ.get("BENCH_JOBS", "")
# Rows of the generated crt.sh export the CT index is loaded from (0: skip). Issue 6's goal is for 1 000 000.
CT_ENTRIES = int(os.environ.get("BENCH_CT", "1000000"))
MIB = 1 << 20
failures = []


def log(*a):
    print(*a, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def size_bytes(s):
    s = s.upper()
    return int(float(s.rstrip("KMG")) * {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(s[-1], 1))


def capture(size, fmt, half_open=0):
    """Generates (or reuses) a capture; returns (path, meta)."""
    name = ("halfopen-%d" % half_open if half_open else "mixed-%s" % size) + "-s%d.%s" % (SEED, fmt)
    path = os.path.join(OUT, name)
    truth = path + ".truth.ndjson"
    gen = os.path.join(HERE, "gen", "gencap.py")
    stamp = os.path.getmtime(gen) if os.path.exists(gen) else 0
    if not (os.path.exists(path) and os.path.exists(truth) and os.path.getmtime(truth) >= stamp):
        cmd = [sys.executable, gen, path, "--seed", str(SEED), "--format", fmt]
        cmd += ["--half-open", str(half_open)] if half_open else ["--size", size]
        log("  generating %s ..." % name)
        t = time.time()
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
        log("  generated %s: %.0f MB in %.1f s" % (name, os.path.getsize(path) / 1e6, time.time() - t))
    with open(truth) as f:
        meta = [json.loads(l) for l in f if '"type": "meta"' in l][-1]
    return path, meta


def measure(cmd, stdout=subprocess.DEVNULL):
    """Runs `cmd` under /usr/bin/time; returns wall, cpu (user+sys) seconds, peak RSS and peak anonymous RSS
    (KiB; the latter sampled from /proc every 5 ms: memory other than the mapped capture)."""
    tf = os.path.join(OUT, ".time")
    # The files the run writes are removed first, outside the timing: tshark's output file is opened (and emptied)
    # by this script before tshark starts, and a previous run's events file, left in place, would be emptied inside
    # helloscope's time instead (the kernel freeing its pages: about 3 ms of a 1 GB run's 0.23 s).
    for flag, value in zip(cmd, cmd[1:]):
        if flag in ("--events", "--report") and os.path.exists(value):
            os.unlink(value)
    p = subprocess.Popen(["/usr/bin/time", "-f", "%e %U %S %M", "-o", tf] + cmd, stdout=stdout,
                         stderr=subprocess.PIPE)
    peak_anon = [0]

    def poll():
        child = None
        while p.poll() is None:
            try:
                if child is None:
                    with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
                        kids = f.read().split()
                    child = kids[0] if kids else None
                if child:
                    with open("/proc/%s/status" % child) as f:
                        for line in f:
                            if line.startswith("RssAnon:"):
                                peak_anon[0] = max(peak_anon[0], int(line.split()[1]))
            except (OSError, IndexError):
                pass
            time.sleep(0.005)

    th = threading.Thread(target=poll)
    th.start()
    t0 = time.perf_counter()
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    th.join()
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, err.decode()[-2000:]))
    e, u, s, m = open(tf).read().split()[-4:]
    return {"wall": wall, "cpu": float(u) + float(s), "user": float(u), "sys": float(s), "rss_kib": int(m),
            "anon_kib": peak_anon[0], "stdout": out.decode(errors="replace") if out else ""}


def resident(path):
    """The fraction of the file in the page cache (util-linux fincore), or None where fincore is missing."""
    try:
        out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", path],
                             capture_output=True, text=True, check=True).stdout.strip()
        return int(out) / max(1, os.path.getsize(path))
    except (OSError, ValueError, subprocess.CalledProcessError):
        return None


def warm(path):
    """Puts the file in the page cache in the same state before every measurement of it (the targets are for a warm
    cache), and logs and returns how much of it was cached before and in what folios it is cached after.

    The state is that of a capture read once from disk: its cached pages are dropped (posix_fadvise DONTNEED) and
    it is read back with `cat`. The kernel then keeps it in large folios, which it maps many pages per fault. What
    was cached before depends on the file's history: machines of this kind run DAMON with a pageout scheme (pages
    idle for about a minute are evicted), and pages faulted back in one at a time, or left over from writing the
    file, can sit in 4 KiB folios, whose mapping costs about 0.1 s of kernel time per GB. Both the walk and
    helloscope pay it, so it moved the walk's speed by up to 1.6x and the ratios between runs with it."""
    before = resident(path)
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL)
    after = folios(path)
    if before is not None:
        log("  page cache before the warm-up: %.0f%% of the file" % (100 * before))
    if after is not None:
        log("  after dropping it and reading it back: %.0f%% of its pages in large folios, %.1f pages per folio"
            % (100 * after["large_share"], after["mean_pages"]))
    return before, after


def folios(path):
    """{"large_share": share of the cached pages in large folios, "mean_pages": mean folio size in pages}, or None
    where unknown (not root)."""
    out = subprocess.run([WALK, "-f", path], capture_output=True, text=True).stdout.split()
    try:
        return {"large_share": float(out[0]), "mean_pages": float(out[1])}
    except (IndexError, ValueError):
        return None


def runs(cmd, n, **kw):
    return summarise([measure(cmd, **kw) for _ in range(n)])


def runs_alternating(cmds, n):
    """`runs` for several commands, their runs interleaved (A B A B ...), so that a drift of the machine's speed
    during the measurement weighs on each alike: the ratio of their medians is what it is compared by."""
    rs = [[] for _ in cmds]
    for _ in range(n):
        for i, cmd in enumerate(cmds):
            rs[i].append(measure(cmd))
    return [summarise(r) for r in rs]


def summarise(rs):
    n = len(rs)
    med = lambda k: statistics.median(r[k] for r in rs)
    res = {"wall": med("wall"), "cpu": med("cpu"), "rss_kib": max(r["rss_kib"] for r in rs),
           "anon_kib": max(r["anon_kib"] for r in rs), "runs": n, "walls": [round(r["wall"], 3) for r in rs]}
    if rs[-1]["stdout"]:
        res["stdout"] = rs[-1]["stdout"]
    return res


def summary_of(events):
    with open(events, "rb") as f:
        f.seek(max(0, os.path.getsize(events) - (1 << 16)))
        last = f.read().splitlines()[-1]
    return json.loads(last)


def check(truth, events, ocsp):
    cmd = [sys.executable, os.path.join(HERE, "check.py"), truth, events, "--json"] + (["--ocsp"] if ocsp else [])
    p = subprocess.run(cmd, capture_output=True, text=True)
    res = json.loads(p.stdout.strip().splitlines()[-1])
    if p.returncode != 0:
        failures.append("%s: %s" % (os.path.basename(events), p.stderr.strip()[:3000]))
        log("  CHECK FAILED for %s\n%s" % (events, p.stderr.strip()[:3000]))
    return res


def main():
    os.makedirs(OUT, exist_ok=True)
    help_text = sh([HS, "analyze", "--help"])
    has_report = "--report" in help_text
    has_no_hash = "--no-input-hash" in help_text
    has_ocsp = re.search(r"ocsp", help_text, re.I) is not None
    load = os.getloadavg()
    machine = {
        "nproc": sh(["nproc"]).strip(),
        "cpu": next((l.split(":", 1)[1].strip() for l in sh(["lscpu"]).splitlines() if l.startswith("Model name")), "?"),
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30), 1),
        "kernel": platform.release(), "load_at_start": [round(x, 2) for x in load],
        "helloscope": sh([HS, "--version"]).strip(),
        "tshark": sh(["tshark", "--version"]).splitlines()[0] if TSHARK_SIZE != "0" else None,
    }
    log("machine: %(nproc)s cores, %(cpu)s, %(mem_gib)s GiB, kernel %(kernel)s, load %(load_at_start)s" % machine)
    if load[0] > 1.0:
        log("  note: load average %.2f - other work is running; wall times will be noisy, CPU times less so" % load[0])
    log("helloscope features: --report %s; OCSP requests %s" % (
        "measured as a second variant" if has_report else "not available (not used)",
        "checked" if has_ocsp else "not reported by this helloscope (not checked)"))

    results = {"machine": machine, "seed": SEED, "runs": RUNS, "report_option": has_report, "ocsp_checked": has_ocsp,
               "throughput": [], "tshark": None, "memory_test": None, "jobs": None, "ct_index": None}
    mixed = []

    def analyze_cmd(path, tag, report=False, no_hash=False):
        ev = os.path.join(OUT, "%s.events.ndjson" % tag)
        cmd = [HS, "analyze", path, "--events", ev, "--quiet"]
        if report:
            cmd += ["--report", os.path.join(OUT, "%s.report.json" % tag)]
        if no_hash:
            cmd += ["--no-input-hash"]
        return cmd, ev

    def compare_with_tshark():
        """tshark against helloscope on the same capture. Called right after that capture's own series, so that
        helloscope is measured in the state its series measured it in: after the --jobs runs (5.6 GB mapped, both
        cores busy for seconds) this machine stays slower for a while (five runs of the 1 GB pcap right after them:
        0.41-0.60 s wall, against 0.36-0.40 s before them), and the comparison used to come after those."""
        path, meta = capture(TSHARK_SIZE, "pcap")
        nbytes = os.path.getsize(path)
        tag = os.path.basename(path)
        log("\ntshark vs helloscope on %s (%.1f MB; tshark is slow, so the comparison uses this file for both)"
            % (tag, nbytes / 1e6))
        # helloscope first, then tshark: in the seconds after tshark exits (and frees its 1.7 GB) the machine runs
        # slower for a while (helloscope's three runs right after it: 0.79, 0.57, 0.48 s, against 0.45 s later).
        cmd, ev = analyze_cmd(path, tag)
        before, after = warm(path)
        # One run first, not timed: in the series helloscope's runs come after the report variants' and the walks'
        # runs of the same file, here they would come right after the warm-up, whose first runs are the slowest
        # (six warm-ups of the 1 GB pcap, the median run time by position after the warm-up: 0.277, 0.247, 0.264,
        # 0.236, 0.265, 0.257 s). tshark runs after helloscope's, on the file as they leave it.
        measure(cmd)
        hs = runs(cmd, RUNS)
        hs["mb_s"], hs["pkts_s"] = nbytes / 1e6 / hs["wall"], meta["packets"] / hs["wall"]
        hs["resident_before_warm_up"] = before
        hs["folios_after_warm_up"] = after
        hsr = None
        if has_report:
            cmd, _ = analyze_cmd(path, tag + ".r", report=True)
            hsr = runs(cmd, RUNS)
        base = ["tshark", "-r", path, "-T", "fields", "-e", "tls.handshake.ja3", "-Y", "tls.handshake.type==1"]
        variants = [("default", base)]
        if TSHARK_OOO:
            variants.append(("out-of-order", base + ["-o", "tcp.reassemble_out_of_order:TRUE"]))
        tsv = {}
        for name, tcmd in variants:
            out = os.path.join(OUT, "tshark.%s.ja3.txt" % name)
            with open(out, "w") as f:
                t = runs(tcmd, TSHARK_RUNS, stdout=f)
            with open(out) as f:
                t["ja3_lines"] = sum(1 for l in f if l.strip())
            t["mb_s"], t["pkts_s"] = nbytes / 1e6 / t["wall"], meta["packets"] / t["wall"]
            tsv[name] = t
        ts = min(tsv.values(), key=lambda t: t["wall"])  # the faster tshark: the conservative ratio
        results["tshark"] = {"capture": tag, "bytes": nbytes, "packets": meta["packets"], "tshark": ts,
                             "tshark_variants": tsv, "helloscope": hs, "helloscope_report": hsr,
                             "ratio": ts["wall"] / hs["wall"], "ratio_cpu": ts["cpu"] / hs["cpu"],
                             "ratio_report": ts["wall"] / hsr["wall"] if hsr else None,
                             "tshark_ja3_lines": ts["ja3_lines"], "client_hellos": meta["client_hellos"]}
        for name, t in tsv.items():
            log("  tshark (%s) %8.1f MB/s  %10.0f packets/s  cpu %.1f s  peak RSS %.0f MiB  (%d JA3 lines for %d ClientHellos)"
                % (name, t["mb_s"], t["pkts_s"], t["cpu"], t["rss_kib"] / 1024, t["ja3_lines"], meta["client_hellos"]))
        log("  helloscope   %8.1f MB/s  %10.0f packets/s  cpu %.3f s%s" % (
            hs["mb_s"], hs["pkts_s"], hs["cpu"], "; with --report %.3f s wall" % hsr["wall"] if hsr else ""))
        log("  tshark / helloscope = %.0fx (wall), %.0fx (cpu)%s" % (
            results["tshark"]["ratio"], results["tshark"]["ratio_cpu"],
            "; with --report %.0fx (wall)" % results["tshark"]["ratio_report"] if hsr else ""))


    compared = False
    for fmt, size in [("pcap", s) for s in SIZES] + [("pcapng", s) for s in PCAPNG_SIZES]:
        path, meta = capture(size, fmt)
        mixed.append(path)
        nbytes, packets = os.path.getsize(path), meta["packets"]
        tag = os.path.basename(path)
        log("\n%s: %.1f MB, %d packets, %d ClientHellos, %d OCSP requests"
            % (tag, nbytes / 1e6, packets, meta["client_hellos"], meta["ocsp_requests"]))
        before, after = warm(path)
        cat = runs(["sh", "-c", 'cat "$0" > /dev/null', path], RUNS)
        hsr = hsn = None
        if has_report:
            cmd, ev = analyze_cmd(path, tag, report=True)
            hsr = runs(cmd, RUNS)
            check(path + ".truth.ndjson", ev, has_ocsp)
            if has_no_hash:
                cmd, ev = analyze_cmd(path, tag, report=True, no_hash=True)
                hsn = runs(cmd, RUNS)
        cmd, ev = analyze_cmd(path, tag)
        # The floor and helloscope's events run, alternately: their ratio is a target.
        # The same walk requesting the lines ahead as helloscope's reader does, for comparison (not a target).
        walk, walk_pf, hs = runs_alternating([[WALK, path], [WALK, "-p", path], cmd], RUNS)
        chk = check(path + ".truth.ndjson", ev, has_ocsp)
        counters = summary_of(ev).get("counters", {})
        row = {"capture": tag, "format": fmt, "bytes": nbytes, "packets": packets, "resident_before_warm_up": before,
               "folios_after_warm_up": after,
               "cat": cat, "walk": walk,
               "walk_prefetch": walk_pf,
               "helloscope": hs, "helloscope_report": hsr, "helloscope_report_no_hash": hsn, "check": chk,
               "counters": {k: counters.get(k) for k in ("tcp_peak_flows", "tcp_flows_evicted", "tcp_flows_expired",
                                                         "tcp_out_of_order_segments", "tcp_retransmitted_segments")}}
        for name, r in (("cat", cat), ("walk", walk), ("walk_prefetch", walk_pf), ("helloscope", hs)) + ((("report", hsr),) if hsr else ()) \
                + ((("report_no_hash", hsn),) if hsn else ()):
            r["mb_s"] = nbytes / 1e6 / r["wall"]
            r["mb_s_cpu"] = nbytes / 1e6 / r["cpu"] if r["cpu"] > 0 else None
            r["pkts_s"] = packets / r["wall"]
        row["helloscope_vs_walk"] = walk["wall"] / hs["wall"]
        row["helloscope_vs_walk_cpu"] = walk["cpu"] / hs["cpu"] if hs["cpu"] else None
        row["helloscope_vs_walk_prefetch"] = walk_pf["wall"] / hs["wall"]
        if hsr:
            row["report_vs_walk"] = walk["wall"] / hsr["wall"]
        if hsn:
            row["report_no_hash_vs_walk"] = walk["wall"] / hsn["wall"]
        results["throughput"].append(row)
        log("  cat          %8.0f MB/s" % cat["mb_s"])
        log("  walk         %8.0f MB/s  %10.0f packets/s  (cpu %.3f s)" % (walk["mb_s"], walk["pkts_s"], walk["cpu"]))
        log("  walk -p      %8.0f MB/s  %10.0f packets/s  (cpu %.3f s; requesting the lines ahead, as helloscope's "
            "reader does)" % (walk_pf["mb_s"], walk_pf["pkts_s"], walk_pf["cpu"]))
        log("  helloscope   %8.0f MB/s  %10.0f packets/s  (cpu %.3f s = %.0f MB/s)  peak RSS %.1f MiB, "
            "of which not the mapped file %.1f MiB" % (hs["mb_s"], hs["pkts_s"], hs["cpu"], hs["mb_s_cpu"],
                                                        hs["rss_kib"] / 1024, hs["anon_kib"] / 1024))
        if hsr:
            log("  + --report   %8.0f MB/s  %10.0f packets/s  (cpu %.3f s = %.0f MB/s)  peak RSS %.1f MiB, "
                "of which not the mapped file %.1f MiB  (the capture's SHA-256 is computed on a second thread)"
                % (hsr["mb_s"], hsr["pkts_s"], hsr["cpu"], hsr["mb_s_cpu"], hsr["rss_kib"] / 1024, hsr["anon_kib"] / 1024))
        if hsn:
            log("  + --report --no-input-hash (one thread) %8.0f MB/s  (cpu %.3f s = %.0f MB/s)  not the mapped file %.1f MiB"
                % (hsn["mb_s"], hsn["cpu"], hsn["mb_s_cpu"], hsn["anon_kib"] / 1024))
        log("  helloscope / walk = %.2f (wall), %.2f (cpu); / walk -p %.2f%s%s" % (
            row["helloscope_vs_walk"], row["helloscope_vs_walk_cpu"], row["helloscope_vs_walk_prefetch"],
            "; with --report %.2f" % row["report_vs_walk"] if hsr else "",
            "; with --report --no-input-hash %.2f" % row["report_no_hash_vs_walk"] if hsn else ""))
        log("  check: %d/%d ClientHellos right, %d unexpected%s" % (
            chk["client_hellos_found"] - chk["client_hellos_wrong"], chk["client_hellos_expected"],
            chk["client_hellos_unexpected"],
            ", OCSP %s/%s" % (chk["ocsp_found"], chk["ocsp_expected"]) if has_ocsp else ", OCSP not checked"))
        if TSHARK_SIZE != "0" and not compared and fmt == "pcap" and size == TSHARK_SIZE:
            compare_with_tshark()
            compared = True

    if TSHARK_SIZE != "0" and not compared:
        compare_with_tshark()

    jobs_identical = None
    if JOBS and mixed:
        nbytes = sum(os.path.getsize(p) for p in mixed)
        log("\n--jobs: the %d mixed captures in one run (%.0f MB), --jobs 1 against --jobs %s"
            % (len(mixed), nbytes / 1e6, JOBS))
        if "--jobs" not in help_text:
            log("  not available in this helloscope")
        else:
            res, outputs = {}, {}
            for j in ["1", JOBS]:
                ev, rp = (os.path.join(OUT, "jobs-%s.%s" % (j, ext)) for ext in ("events.ndjson", "report.json"))
                res[j] = runs([HS, "analyze"] + mixed + ["--jobs", j, "--events", ev, "--report", rp, "--quiet"],
                              min(RUNS, 3))
                outputs[j] = (ev, rp)
                log("  --jobs %-3s %7.2f s wall  %7.2f s cpu  %6.0f MB/s  peak RSS %.0f MiB, not the mapped files %.0f MiB"
                    % (j, res[j]["wall"], res[j]["cpu"], nbytes / 1e6 / res[j]["wall"], res[j]["rss_kib"] / 1024,
                       res[j]["anon_kib"] / 1024))
            jobs_identical = all(filecmp.cmp(a, b, shallow=False) for a, b in zip(outputs["1"], outputs[JOBS]))
            log("  speed-up %.2fx (wall); events and report identical: %s"
                % (res["1"]["wall"] / res[JOBS]["wall"], "yes" if jobs_identical else "NO"))
            results["jobs"] = {"captures": [os.path.basename(p) for p in mixed], "bytes": nbytes, "jobs": JOBS,
                               "one": res["1"], "several": res[JOBS], "identical": jobs_identical}

    if HALF_OPEN:
        path, meta = capture(None, "pcap", half_open=HALF_OPEN)
        tag = os.path.basename(path)
        log("\nmemory test %s: %d half-open handshakes (SYN + first segment of a ClientHello), %d complete "
            "ClientHellos interleaved, %.0f MB" % (tag, HALF_OPEN, meta["client_hellos"], os.path.getsize(path) / 1e6))
        keep = ("tcp_peak_flows", "tcp_flows_evicted", "tcp_flows_expired", "tcp_midstream_pickups",
                "tcp_peak_out_of_order_bytes", "tls_flows")
        results["memory_test"] = {"capture": tag, "bytes": os.path.getsize(path), "half_open": HALF_OPEN, "runs": []}
        for max_flows in [None] + HALF_OPEN_MAX_FLOWS:
            cmd, ev = analyze_cmd(path, tag)
            if max_flows:
                cmd += ["--max-flows", str(max_flows)]
            hs = runs(cmd, min(RUNS, 3))
            chk = check(path + ".truth.ndjson", ev, has_ocsp)
            s = summary_of(ev)
            c = s.get("counters", {})
            lim = (s.get("limits") or {}).get("max_flows")
            results["memory_test"]["runs"].append({"max_flows_option": max_flows, "max_flows": lim, "helloscope": hs,
                                                   "check": chk, "counters": {k: c.get(k) for k in keep}})
            log("  %s (max_flows %s): peak RSS %.1f MiB, of which not the mapped file %.1f MiB; %.2f s"
                % ("--max-flows %d" % max_flows if max_flows else "default limits", lim, hs["rss_kib"] / 1024,
                   hs["anon_kib"] / 1024, hs["wall"]))
            log("    counters: " + ", ".join("%s=%s" % (k, c.get(k)) for k in keep))
            log("    check: %d/%d complete ClientHellos right" % (
                chk["client_hellos_found"] - chk["client_hellos_wrong"], chk["client_hellos_expected"]))

    if CT_ENTRIES:
        results["ct_index"] = ct_index_benchmark()

    # targets
    log("\ntargets")
    tgt = []
    big = [r for r in results["throughput"] if r["bytes"] >= 900 * MIB]
    for r in big:
        tgt.append(("%s at >= 50%% of the header walk" % r["capture"], r["helloscope_vs_walk"] >= 0.5,
                    "%.0f%% (wall), %.0f%% (cpu)" % (100 * r["helloscope_vs_walk"], 100 * r["helloscope_vs_walk_cpu"])))
    if results["tshark"]:
        tgt.append((">= 100x faster than tshark", results["tshark"]["ratio"] >= 100, "%.0fx" % results["tshark"]["ratio"]))
    if results["throughput"]:
        anon = [max(r["helloscope"]["anon_kib"], (r["helloscope_report"] or {}).get("anon_kib", 0),
                    (r["helloscope_report_no_hash"] or {}).get("anon_kib", 0)) / 1024
                for r in results["throughput"]]
        tgt.append(("RSS besides the mapped file <= 64 MiB at every size", max(anon) <= 64,
                    " / ".join("%.1f" % a for a in anon) + " MiB"))
    if results["memory_test"]:
        for r in results["memory_test"]["runs"]:
            m = r["helloscope"]
            tgt.append(("%d half-open handshakes <= 256 MiB besides the mapped file (%s)"
                        % (HALF_OPEN, "--max-flows %d" % r["max_flows_option"] if r["max_flows_option"] else "default limits"),
                        m["anon_kib"] / 1024 <= 256,
                        "%.1f MiB (peak RSS with the mapped file %.1f MiB)" % (m["anon_kib"] / 1024, m["rss_kib"] / 1024)))
    ct = results["ct_index"]
    if ct and ct["rows"] == 1_000_000:
        tgt.append(("CT index: 1 000 000-row export loaded at >= 500 000 entries/s (issue 6)", ct["entries_per_s"] >= 500_000,
                    "%.0f entries/s (wall of the whole command), %.0f per CPU second" % (ct["entries_per_s"], ct["entries_per_cpu_s"])))
        tgt.append(("CT index: 1 000 000-row export in < 300 MB (issue 6)", ct["load"]["rss_kib"] * 1024 < 300e6,
                    "peak RSS %.0f MiB (%.0f MB), index tables %s MiB" % (ct["load"]["rss_kib"] / 1024, ct["load"]["rss_kib"] * 1024 / 1e6,
                                                                      ct["index_tables_mib"])))
    if jobs_identical is not None:
        tgt.append(("--jobs %s writes the events and report of --jobs 1" % JOBS, jobs_identical,
                    "identical" if jobs_identical else "different"))
    tgt.append(("every generated ClientHello found with the right values" + (" and every OCSP request" if has_ocsp else ""),
                not failures, "ok" if not failures else "%d failed checks" % len(failures)))
    for name, ok, detail in tgt:
        log("  [%s] %s: %s" % ("met" if ok else "NOT MET", name, detail))
    results["targets"] = [{"target": n, "met": ok, "value": d} for n, ok, d in tgt]
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    log("\nresults: %s" % os.path.join(OUT, "results.json"))
    if failures:
        log("\nFAILED: helloscope's events do not match the ground truth:\n  " + "\n  ".join(failures))
        sys.exit(1)
    if jobs_identical is False:
        log("\nFAILED: --jobs %s did not write the events and report of --jobs 1" % JOBS)
        sys.exit(1)


def ct_index_benchmark():
    """Loads a generated crt.sh export of CT_ENTRIES rows into the CT index (`helloscope ct-index load`): load rate
    and memory, median of min(RUNS, 3) runs; then the cost of a lookup (`ct-index query --serials-file`, the
    generator's lookup file: half present in other spellings, half absent)."""
    ct_dir = os.path.join(OUT, "ct")
    export = os.path.join(ct_dir, "crtsh-%d.json" % CT_ENTRIES)
    lookups = os.path.join(ct_dir, "lookups-%d.txt" % CT_ENTRIES)
    gen = os.path.join(HERE, "ct", "generate-crtsh.py")
    if not (os.path.exists(export) and os.path.exists(lookups)) or os.path.getmtime(export) < os.path.getmtime(gen):
        log("\n  generating %s ..." % export)
        subprocess.run([sys.executable, gen, str(CT_ENTRIES), ct_dir], check=True, stdout=subprocess.DEVNULL)
    size = os.path.getsize(export)
    log("\nCT index: %s, %d rows, %.0f MB (crt.sh JSON)" % (os.path.basename(export), CT_ENTRIES, size / 1e6))
    load = runs([HS, "ct-index", "load", export], min(RUNS, 3), stdout=subprocess.PIPE)
    text = load.pop("stdout", "")
    m = re.search(r"total: (\d+) entries, (\d+) distinct serials", text)
    tables = re.search(r"index tables (\d+) MiB", text)
    entries = int(m.group(1)) if m else CT_ENTRIES
    q = subprocess.run([HS, "ct-index", "query", "--serials-file", lookups, export], capture_output=True, text=True)
    qm = re.search(r"(\d+) lookups, (\d+) found, (\d+) ns per lookup", q.stderr)
    res = {"export": os.path.basename(export), "rows": CT_ENTRIES, "bytes": size, "entries": entries,
           "distinct_serials": int(m.group(2)) if m else None, "index_tables_mib": int(tables.group(1)) if tables else None,
           "load": load, "entries_per_s": entries / load["wall"], "entries_per_cpu_s": entries / load["cpu"],
           "lookups": int(qm.group(1)) if qm else None, "lookups_found": int(qm.group(2)) if qm else None,
           "ns_per_lookup": int(qm.group(3)) if qm else None}
    log("  load         %.2f s wall, %.2f s cpu: %.0f entries/s (%.0f per CPU second), %s distinct serials" % (
        load["wall"], load["cpu"], res["entries_per_s"], res["entries_per_cpu_s"], res["distinct_serials"]))
    log("  memory       peak RSS %.0f MiB, index tables %s MiB" % (load["rss_kib"] / 1024, res["index_tables_mib"]))
    if qm:
        log("  lookups      %d (%d found): %d ns each, building the match included" % (
            res["lookups"], res["lookups_found"], res["ns_per_lookup"]))
    return res


if __name__ == "__main__":
    main()
