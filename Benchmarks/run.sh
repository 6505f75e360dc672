#!/usr/bin/env bash
# helloscope benchmark (`make bench`): builds helloscope (release) and the floor program, generates or reuses
# deterministic captures under Benchmarks/out/, measures cat / header walk / helloscope / tshark (medians of
# several runs), runs the memory test and the CT-index load, checks every event against the ground truth, prints
# the figures.
#
# Settings (environment):
#   BENCH_SIZES="100M 1G 3G"   mixed-traffic pcap sizes           BENCH_PCAPNG_SIZES="1G"   pcapng sizes
#   BENCH_RUNS=5               runs per measurement (median)       BENCH_SEED=1          generator seed
#   BENCH_TSHARK_SIZE=1G       capture tshark is compared on (0: skip tshark)   BENCH_TSHARK_RUNS=1
#   BENCH_TSHARK_OOO=1         also time tshark with out-of-order TCP reassembly (0: only its defaults)
#   BENCH_HALF_OPEN=1000000    half-open handshakes in the memory test (0: skip)
#   BENCH_SCRATCH=.build       SwiftPM scratch path                BENCH_NO_BUILD=1      use the existing build
#   BENCH_JOBS=2               also time all the mixed captures in one run, --jobs 1 against --jobs 2 (unset: skip)
#   BENCH_CT=1000000           rows of the crt.sh export loaded into the CT index: load rate, memory, lookups (0: skip)
# Exit status 1 when helloscope's events do not match the ground truth.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${BENCH_SCRATCH:-.build}"
mkdir -p Benchmarks/out

need() { command -v "$1" >/dev/null 2>&1; }
if ! [ -x /usr/bin/time ] || ! need tshark || ! need gcc || ! need python3; then
    echo "installing /usr/bin/time, tshark, gcc, python3" >&2
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq time tshark gcc python3 >/dev/null
fi

if [ -z "${BENCH_NO_BUILD:-}" ]; then
    echo "building helloscope (release, static Swift runtime as make release builds it, $SCRATCH)"
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" 2>&1 | tail -1
fi
HELLOSCOPE="$(swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --show-bin-path)/helloscope"
gcc -O2 -o Benchmarks/out/walk Benchmarks/floor/walk.c

HELLOSCOPE="$HELLOSCOPE" exec python3 Benchmarks/bench.py
