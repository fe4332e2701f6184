#!/usr/bin/env bash
# Build pinfs and run every test suite: the plain build (unit, recovery,
# fuse, slow), the sanitizer build (address,undefined) and the unit suites
# under valgrind.  Installs what it needs; safe to rerun.  The last line is
# "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bash scripts/deps.sh || exit 1

configure() { # configure DIR [meson args...]
	local dir=$1; shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
}
setup() { # setup DIR [meson args...]: configure and build everything
	configure "$@" || return 1
	ninja -C "$1" >/dev/null || { ninja -C "$1"; return 1; }
}

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0
run() { # run NAME DIR [meson test args...]
	local name=$1 dir=$2; shift 2
	echo "== $name ($(date +%T))"
	meson test -C "$dir" --no-rebuild --print-errorlogs "$@" || status=1
	for f in "$dir"/meson-logs/testlog*.json; do
		[ -f "$f" ] && cp "$f" "$logs/$name-$(basename "$f")"
	done
}

if setup build; then
	rm -f build/meson-logs/testlog*.json
	run plain build
else
	echo "build failed"; status=1
fi
if setup build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
	rm -f build-asan/meson-logs/testlog*.json
	# Holders and tests provoke SIGSEGV/SIGBUS on purpose (read pins,
	# revoked mappings): the sanitizers must leave those to the test.
	# The fuse-ref suites check the tests against libfuse's own example
	# (not our code, and it leaks in libfuse): the plain build runs them.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:handle_segv=0:handle_sigbus=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		run asan build-asan --no-suite slow --no-suite fuse-ref --no-suite stress-seq \
			--no-suite cpython
else
	echo "sanitizer build failed"; status=1
fi
# The libFuzzer target over the ioctl decoders needs clang; build only it
# (a whole clang build is not needed) and run it bounded (<= 60 s).
if CC=clang configure build-fuzz && ninja -C build-fuzz tests/pin/fuzz_pin_ioc >/dev/null; then
	rm -f build-fuzz/meson-logs/testlog*.json
	run fuzz build-fuzz --suite slow pin-fuzz
else
	echo "fuzz build failed"; status=1
fi
if [ -f build/build.ninja ]; then
	# the plain run's testlog.json is already saved: remove it, or the
	# valgrind run would count it again
	rm -f build/meson-logs/testlog.json build/meson-logs/testlog-valgrind.json
	run valgrind build --setup valgrind --suite unit --no-suite novalgrind
fi

python3 "$top/scripts/summarize.py" "$logs"/*.json || status=1
exit $status
