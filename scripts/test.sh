#!/usr/bin/env bash
# The whole test suite — what `make test` and CI (.ci/run) run.
#
# 1. Installs what the tests need (scripts/ensure-deps.sh --tests).
# 2. Reruns the lab's non-browser scenarios from scratch (lab/check-ground-truth.sh: real clients and servers in
#    network namespaces) and checks their ground truth against the committed one, so the lab cannot rot; the
#    fresh captures are then tested like the committed ones. Needs root; HELLOSCOPE_SKIP_LAB=1 skips it.
# 3. Builds and runs every Swift test.
# 4. Runs every libFuzzer target briefly on its committed corpus (scripts/fuzz.sh --ci, ~4 minutes), so the
#    harness cannot rot and the regression corpus is replayed. HELLOSCOPE_SKIP_FUZZ=1 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh --tests

lab_dir=""
if [ "${HELLOSCOPE_SKIP_LAB:-0}" = 1 ]; then
  echo "test: lab rerun skipped (HELLOSCOPE_SKIP_LAB=1)" >&2
elif [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null 2>&1; then
  echo "test: lab rerun skipped (needs root and iproute2 for network namespaces)" >&2
else
  rm -rf .build-lab/captures
  mkdir -p .build-lab
  echo "test: rerunning the lab's non-browser scenarios into .build-lab/captures" >&2
  lab/check-ground-truth.sh --keep "$PWD/.build-lab/captures"
  lab_dir="$PWD/.build-lab/captures"
fi

if [ "${HELLOSCOPE_SKIP_FUZZ:-0}" = 1 ]; then
  echo "test: fuzzing skipped (HELLOSCOPE_SKIP_FUZZ=1)" >&2
else
  scripts/fuzz.sh --ci
fi

swift build --build-tests
HELLOSCOPE_LAB_CAPTURES="$lab_dir" swift test --skip-build
