#!/usr/bin/env bash
# The Debian package (issue 19), built by CPack from this build directory: its files (dpkg-deb
# -c), its control data (dependencies, maintainer scripts, the configuration as a conffile), and
# its systemd unit verified by systemd-analyze against the package's own files.
#   tests/packaging/check.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/out/pingpost_*.deb)
echo "package: $(basename "$deb")"
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/pingpostd ./usr/bin/ppctl ./lib/systemd/system/pingpost.service \
         ./etc/pingpost/pingpost.json ./usr/share/doc/pingpost/README.md; do
  grep -q " $f\$" <<<"$contents" || { echo "missing from the package: $f"; exit 1; }
done
info=$(dpkg-deb -I "$deb")
grep -q "^ Package: pingpost$" <<<"$info" || { echo "no Package: pingpost"; exit 1; }
grep -q "^ Depends: .*librocksdb" <<<"$info" || grep -q "^ Depends: .*libc6" <<<"$info" ||
  { echo "no Depends computed from the binaries"; echo "$info"; exit 1; }
grep -q "^ Depends: .*tzdata" <<<"$info" || { echo "tzdata not a dependency"; exit 1; }
dpkg-deb -e "$deb" "$work/control"
grep -qx "/etc/pingpost/pingpost.json" "$work/control/conffiles" || { echo "no conffile"; exit 1; }
test -x "$work/control/postinst" && test -x "$work/control/prerm"
# The unit as packaged, its ExecStart pointed at the package's own binary (not installed here).
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/ppctl" --help >/dev/null
sed "s|/usr/bin/pingpostd|$work/root/usr/bin/pingpostd|" \
  "$work/root/lib/systemd/system/pingpost.service" >"$work/pingpost.service"
out=$(systemd-analyze verify "$work/pingpost.service" 2>&1) || { echo "$out"; exit 1; }
if grep -qi "pingpost.service" <<<"$out"; then echo "$out"; exit 1; fi
# The sandbox it asks for (a regression here would quietly widen what the service may touch).
for opt in DynamicUser=yes ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes \
           SystemCallFilter=@system-service Restart=on-failure KillSignal=SIGTERM; do
  grep -q "^$opt" "$src/packaging/pingpost.service" || { echo "unit lacks $opt"; exit 1; }
done
echo "package ok"
