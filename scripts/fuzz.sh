#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (a separate package) and runs each for a while.
#
#   scripts/fuzz.sh [--seconds N] [--ci] [--merge] [--seeds DIR] [--no-build] [--build-only] [--jobs N] [TARGET...]
#
#   --seconds N   run each target N seconds (default 30)
#   --ci          short run for CI: 12 s per target; the whole script (build included) fits in about 5 minutes
#   --merge       afterwards, minimise the run's corpus into Fuzz/corpus/<TARGET> (libFuzzer -merge=1), keeping
#                 only inputs up to 16 KiB (--merge-max-bytes N) so the committed corpus stays small
#   --seeds DIR   also start from DIR/<TARGET>/ (e.g. from Fuzz/seeds/extract.py)
#   --jobs N      libFuzzer -fork=N: N fuzzing processes per target (mind the cores)
#   --no-build    use the existing build; --build-only: build and stop
#   TARGET...     some of the targets (default all: FuzzPcap FuzzPcapNG FuzzDecode …, see Fuzz/Package.swift)
#
# Prints executions, coverage (cov: edges, ft: features), corpus size and crashes per target; exits non-zero
# when any target crashed, leaked, timed out or ran out of memory. Crash inputs are kept under
# .build-fuzz/artifacts/<TARGET>/ (reproduce: .build-fuzz/release/<TARGET> <file>).
#
# Scratch path: .build-fuzz, or $FUZZ_SCRATCH.
# Build: swift build -c release --package-path Fuzz --scratch-path .build-fuzz
#          -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing
# (-enable-testing lets FuzzUDP build protected QUIC Initials with the decoder's own internal test builder.)
set -uo pipefail
cd "$(dirname "$0")/.."

ALL=(FuzzPcap FuzzPcapNG FuzzDecode FuzzTLSStream FuzzHello FuzzHTTP FuzzOCSP FuzzX509 FuzzPKIText FuzzUDP FuzzPipeline FuzzCTIndex)
seconds=30
merge=0
build=1
build_only=0
jobs=0
seeds=""
merge_max=16384
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift ;;
    --ci) seconds=12 ;;
    --merge) merge=1 ;;
    --merge-max-bytes) merge_max="$2"; shift ;;
    --seeds) seeds="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --no-build) build=0 ;;
    --build-only) build_only=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    Fuzz*) targets+=("$1") ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL[@]}")

SCRATCH="${FUZZ_SCRATCH:-.build-fuzz}"
BIN="$SCRATCH/release"
if [ "$build" = 1 ]; then
  scripts/ensure-deps.sh || exit 1
  # SwiftPM keeps the source list of a path dependency in its build plan: when files were added to the main
  # package since the last plan, make it plan again.
  plan="$SCRATCH/release/description.json"
  if [ -f "$plan" ] && [ -n "$(find Sources Package.swift -newer "$plan" -print -quit)" ]; then touch Fuzz/Package.swift; fi
  echo "fuzz.sh: building ${#targets[@]} target(s) with -sanitize=fuzzer,address" >&2
  args=()
  for t in "${targets[@]}"; do args+=(--product "$t"); done
  if [ ${#targets[@]} -eq ${#ALL[@]} ]; then args=(); fi
  start=$(date +%s)
  swift build -c release --package-path Fuzz --scratch-path "$SCRATCH" \
      -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing "${args[@]}" \
      2>&1 | grep -v "Cannot export local symbol '__asan_extra_spill_area'" >&2
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "fuzz.sh: build failed" >&2; exit 1; }
  echo "fuzz.sh: built in $(( $(date +%s) - start )) s" >&2
fi
[ "$build_only" = 1 ] && exit 0

failed=0
printf '%-14s %12s %8s %8s %8s %8s  %s\n' target executions exec/s cov ft corpus result
for t in "${targets[@]}"; do
  exe="$BIN/$t"
  [ -x "$exe" ] || { echo "fuzz.sh: $exe missing (build first)" >&2; failed=1; continue; }
  work="$SCRATCH/work/$t"
  artifacts="$SCRATCH/artifacts/$t"
  mkdir -p "$work" "$artifacts" "Fuzz/corpus/$t"
  dirs=("$work" "Fuzz/corpus/$t")
  [ -n "$seeds" ] && [ -d "$seeds/$t" ] && dirs+=("$seeds/$t")
  [ -f "Fuzz/dictionaries/$t.dict" ] && dict=(-dict="Fuzz/dictionaries/$t.dict") || dict=()
  log="$SCRATCH/logs/$t.log"
  mkdir -p "$(dirname "$log")"
  # Inputs of the capture-level targets are whole captures: keep them short (faster, and seeds are cut there).
  case "$t" in FuzzPcap|FuzzPcapNG|FuzzDecode|FuzzUDP|FuzzPipeline) max_len=16384 ;; *) max_len=65536 ;; esac
  fork=()
  [ "$jobs" -gt 0 ] && fork=(-fork="$jobs" -ignore_crashes=0)
  # New inputs go to $work only (the first directory); the committed corpus is read, not written.
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}" \
    "$exe" "${dirs[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" "${fork[@]}" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | awk '{print $2+0}')
  last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: [0-9]+' | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  if [ -z "$execs" ] || [ "$execs" = 0 ]; then execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last"); fi
  result=ok
  if [ $rc -ne 0 ]; then
    failed=1
    result="FAILED (exit $rc): $(grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|Fatal error|SUMMARY' "$log" | cut -c1-120) — log $log, inputs $artifacts/"
  fi
  printf '%-14s %12s %8s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
  if [ "$merge" = 1 ] && [ $rc -eq 0 ]; then
    candidates="$SCRATCH/candidates/$t"
    merged="$SCRATCH/merged/$t"
    rm -rf "$candidates" "$merged"; mkdir -p "$candidates" "$merged"
    for d in "${dirs[@]}"; do
      find "$d" -maxdepth 1 -type f -size -"$((merge_max + 1))"c -exec cp -f {} "$candidates/" \;
    done
    if "$exe" -merge=1 -timeout=10 -rss_limit_mb=2048 -max_len="$merge_max" "$merged" "$candidates" >"$SCRATCH/logs/$t.merge.log" 2>&1; then
      rm -rf "Fuzz/corpus/$t"; mv "$merged" "Fuzz/corpus/$t"
      echo "  merged: Fuzz/corpus/$t now $(ls "Fuzz/corpus/$t" | wc -l) files, $(cat "Fuzz/corpus/$t"/* 2>/dev/null | wc -c) bytes"
    else
      echo "  merge failed, see $SCRATCH/logs/$t.merge.log" >&2
      failed=1
    fi
  fi
done
exit $failed
