#!/bin/sh
# usdt_probes.sh BINARY HAVE_SDT - every pin trace event is a USDT probe
# of provider "pinfs" in BINARY (a program linking lib/pin).
# Exit 77 (skip) when built without <sys/sdt.h> or without readelf.
bin=$1
[ "$2" = "1" ] || { echo "built without sys/sdt.h"; exit 77; }
command -v readelf >/dev/null 2>&1 || { echo "no readelf"; exit 77; }
notes=$(readelf -n "$bin") || exit 1
fail=0
for p in lease unlease pin conflict deny break_sent ack expire sigbus \
	 sigkill quarantine release holder_exit recover attach sync wait wake \
	 signal_error; do
	if ! printf '%s\n' "$notes" | grep -A3 'Provider: pinfs' |
		grep -q "Name: $p\$"; then
		echo "missing USDT probe pinfs:$p"
		fail=1
	fi
done
exit $fail
