#!/usr/bin/env bash
# Install what pinfs needs to build, run and test, from Debian packages.
# Idempotent: installs only what is missing.
set -euo pipefail
pkgs=(build-essential meson ninja-build pkg-config
      libfuse3-dev fuse3 liburing-dev libpmem2-dev check
      systemtap-sdt-dev clang valgrind fio gnuplot-nox attr
      util-linux procps psmisc python3 stress-ng
      libpython3.11-testsuite)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "pinfs: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
