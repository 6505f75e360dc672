#!/usr/bin/env bash
# Installs the Debian packages helloscope needs, only those that are missing.
#   scripts/ensure-deps.sh            build dependencies (libpcap-dev, libssl-dev, pkg-config)
#   scripts/ensure-deps.sh --tests    also what the test suite uses (tshark for differential tests)
# Runs apt-get as root, or through sudo when available.
set -euo pipefail
want=(libpcap-dev libssl-dev pkg-config)
tests=0
for arg in "$@"; do
  case "$arg" in
    --tests) want+=(tshark); tests=1 ;;
    --lab) want+=(tshark tcpdump nginx-light gnutls-bin curl iproute2 python3 libnss3-tools) ;;
    *) echo "ensure-deps: unknown option $arg" >&2; exit 2 ;;
  esac
done
missing=()
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
echo "ensure-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The tests validate every JSON document against the schemas under reports/ with python3's jsonschema.
if [ "$tests" = 1 ] && ! python3 -c 'import jsonschema' 2>/dev/null; then
  echo "ensure-deps: installing python3 jsonschema" >&2
  python3 -m pip install --quiet jsonschema 2>/dev/null || python3 -m pip install --quiet --break-system-packages jsonschema
fi
