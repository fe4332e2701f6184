#!/usr/bin/env bash
# The pin part of the demo: a holder pins the first MiB of FILE with a
# breakable lease and unpins 200 ms after the break; a second process
# truncates FILE; the holder's timeline and the truncate's are printed.
# Usage: demo-pins.sh PINFS MOUNTPOINT FILE
set -euo pipefail
PINFS=$1 MNT=$2 F=$3
log=$(mktemp)
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null || true
	rm -f "$log"
}
trap cleanup EXIT

ms() { date +%s%3N; }
echo "demo: a holder pins $F [0, 1 MiB) with a lease, writing to it, acking 200 ms after a break"
"$PINFS" hold --write --lease --ack-after 200 "$F" 0 1M >"$log" 2>&1 &
holder=$!
for _ in $(seq 100); do grep -q pinned "$log" && break; sleep 0.05; done
grep -q pinned "$log" || { cat "$log"; echo "demo: holder did not pin"; exit 1; }
"$PINFS" pins "$MNT"
t0=$(ms)
echo "demo: $(date +%T.%3N) truncating $F to 0 (the range is pinned)"
truncate -s 0 "$F"
t1=$(ms)
echo "demo: $(date +%T.%3N) truncate returned after $((t1 - t0)) ms"
timeout 10 tail --pid="$holder" -f /dev/null || true
holder=
echo "demo: the holder's timeline:"
sed 's/^/    /' "$log"
"$PINFS" pins "$MNT"
stat -c 'demo: %n is now %s bytes' "$F"
