#!/usr/bin/env bash
# Reruns the non-browser lab scenarios into a temporary directory and compares their ground
# truth with the committed captures/lab/ground-truth.json, modulo keys, times and randoms:
# per scenario the ClientHellos (SNI, status_request offered and its index, extension count
# and set, JA3 strings, ALPN, segment/record spread), ServerHellos (version, cipher, JA3S
# string), staples and their statuses, OCSP requests (method, responder, serials, hash
# algorithms, nonce, statuses), CRL downloads, clear-text alerts and the outcome.
# Frame numbers, ports, keys and timestamps are not compared. Extension order (and so the
# status_request index and JA3 full string) is compared only for clients that do not shuffle.
#
#   lab/check-ground-truth.sh [--committed FILE] [--keep DIR]
# Exit 0 when every rerun scenario matches. Needs root, like run-lab.sh.
set -euo pipefail
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$LAB_DIR")
COMMITTED=$REPO/captures/lab/ground-truth.json
KEEP=
while [ $# -gt 0 ]; do
  case "$1" in
    --committed) COMMITTED=$2; shift ;;
    --keep) KEEP=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-ground-truth: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -f "$COMMITTED" ] || { echo "check-ground-truth: $COMMITTED not found" >&2; exit 2; }

OUT=${KEEP:-$(mktemp -d /tmp/helloscope-lab-check.XXXXXX)}
[ -n "$KEEP" ] || trap 'rm -rf "$OUT"' EXIT
"$LAB_DIR/run-lab.sh" --no-browsers --out "$OUT"
echo "== comparing $OUT/ground-truth.json with $COMMITTED"
python3 "$LAB_DIR/ground_truth.py" compare "$COMMITTED" "$OUT/ground-truth.json"
