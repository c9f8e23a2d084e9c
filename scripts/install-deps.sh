#!/usr/bin/env bash
# Installs the Debian 12 packages pingpost needs to build, test and run.
# Idempotent: only missing packages are installed; apt-get update runs only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev
  libssl-dev openssl
  libsimdjson-dev librocksdb-dev libspdlog-dev libfmt-dev
  libre2-dev libhowardhinnant-date-dev tzdata libxml2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
  curl python3
  libjs-chart.js zlib1g-dev libjemalloc-dev
)
# `make bench` adds the reference servers and the profiler (--bench).
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(python3 nginx-core libnginx-mod-http-lua linux-perf)
fi
# The console's browser tests install a headless browser and its driver (--browser).
if [ "${1:-}" = "--browser" ]; then
  PACKAGES+=(chromium chromium-driver python3-selenium fonts-dejavu-core)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# Installing nginx must not start a system nginx on port 80: forbid service starts meanwhile.
POLICY=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  made_policy=1
fi
rc=0
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" || rc=$?
if [ "$made_policy" = 1 ]; then $SUDO rm -f "$POLICY"; fi
exit $rc
