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
  libphonenumber8 libprotobuf-dev libabsl-dev libidn2-dev
  libsodium-dev
  python3-aiosmtpd nodejs
  libxlsxwriter-dev libminizip-dev libcli11-dev python3-jsonschema libcurl4-openssl-dev
)
# `make bench` adds the reference servers and the profiler (--bench).
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(python3 nginx-core libnginx-mod-http-lua linux-perf)
fi
# The Prometheus rules' tests need promtool (--promtool: Debian's prometheus package; the
# policy below keeps its service from starting).
if [ "${1:-}" = "--promtool" ]; then
  PACKAGES+=(prometheus)
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

# libphonenumber's headers (issue 17). Debian 12's libphonenumber-dev depends on the default
# libboost-thread-dev (1.74), which conflicts with the Boost 1.81 packages pingpost builds with;
# its headers need no Boost (without I18N_PHONENUMBERS_USE_BOOST they use their own locks, and the
# runtime package links no Boost). So the runtime library comes
# from its package (libphonenumber8, above) and the -dev package is fetched from the same Debian
# archive by apt and unpacked beside, never installed: dpkg's state stays clean.
PHONENUMBER_DEV=/opt/pingpost/libphonenumber-dev
need_phonenumber_headers=0
if [ ! -f "$PHONENUMBER_DEV/usr/include/phonenumbers/phonenumberutil.h" ]; then
  need_phonenumber_headers=1
fi

unpack_phonenumber_headers() {
  local tmp
  tmp=$(mktemp -d)
  chmod 777 "$tmp"
  (cd "$tmp" && $SUDO apt-get download -q libphonenumber-dev)
  $SUDO mkdir -p "$PHONENUMBER_DEV"
  $SUDO dpkg-deb -x "$tmp"/libphonenumber-dev_*.deb "$PHONENUMBER_DEV"
  $SUDO rm -rf "$tmp"
}

if [ ${#missing[@]} -eq 0 ]; then
  if [ "$need_phonenumber_headers" = 1 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    unpack_phonenumber_headers || { $SUDO apt-get update -q && unpack_phonenumber_headers; }
  fi
  exit 0
fi

echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Two installs at once (tests install their own tools, -j2) wait for dpkg's lock instead of
# failing.
APT_WAIT=(-o DPkg::Lock::Timeout=600)
$SUDO apt-get "${APT_WAIT[@]}" update -q
# Installing nginx must not start a system nginx on port 80: forbid service starts meanwhile.
POLICY=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  made_policy=1
fi
rc=0
$SUDO apt-get "${APT_WAIT[@]}" install -y -q --no-install-recommends "${missing[@]}" || rc=$?
if [ "$made_policy" = 1 ]; then $SUDO rm -f "$POLICY"; fi
if [ "$rc" = 0 ] && [ "$need_phonenumber_headers" = 1 ]; then
  unpack_phonenumber_headers || rc=$?
fi
exit $rc
