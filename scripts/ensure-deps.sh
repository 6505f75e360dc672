#!/usr/bin/env bash
# Installs the Debian packages helloscope needs, only those that are missing.
#   scripts/ensure-deps.sh            build dependencies (libpcap-dev, libssl-dev, pkg-config)
#   scripts/ensure-deps.sh --tests    also what the test suite uses (tshark for differential tests)
# Runs apt-get as root, or through sudo when available.
set -euo pipefail
want=(libpcap-dev libssl-dev pkg-config)
for arg in "$@"; do
  case "$arg" in
    --tests) want+=(tshark) ;;
    --lab) want+=(tshark tcpdump nginx-light gnutls-bin curl iproute2 python3 libnss3-tools) ;;
    *) echo "ensure-deps: unknown option $arg" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "ensure-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
