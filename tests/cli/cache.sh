# SPDX-License-Identifier: MIT
# cache.sh - which opens keep the kernel's cached pages of a file: a
# reopen keeps them when nothing can have changed the file behind the
# kernel; while a pin is live a reopen drops them, so what the holder
# stored through its mapping is read; after the holder is gone the pages
# are kept again and the data stays.  fincore(1) opens the file and
# counts its cached pages.
. "$CLI_LIB"
need_root_fuse 60
command -v fincore >/dev/null || skip "fincore (util-linux) is missing"
trap 'stop_holders; cleanup' EXIT

resident() { fincore --bytes --noheadings --output RES "$1" | tr -d ' '; }

"$PINFS" mkfs --size 64M "$REGION" >/dev/null || die "mkfs"
mount_fg
F=$MNT/f
head -c 1048576 /dev/urandom >"$T/ref"
cp "$T/ref" "$F" || die "cp"
cat "$F" >/dev/null
r=$(resident "$F")
[ "${r:-0}" -gt 0 ] && ok "a reopen keeps the cached pages ($r bytes)" ||
	fail "a reopen of an unpinned file dropped its pages (${r:-?})"

hold "$F" --write
cat "$F" >/dev/null
r=$(resident "$F")
[ "$r" = 0 ] && ok "with a live pin, a reopen drops the cached pages" ||
	fail "a reopen under a write pin kept $r bytes"
grep -qa "pinfs hold" "$F" && ok "the holder's stores are read back" ||
	fail "the holder's stores are not seen through a new open"
stop_holders
# the holder's range holds its last pattern; the rest is the copy
cmp -s -i 65536 "$F" "$T/ref" && ok "the rest of the file is unchanged" ||
	fail "data past the pinned range changed"
grep -qa "pinfs hold" "$F" || fail "the holder's stores are gone after it ended"
# the end of the pin and its invalidation may finish after the holder
# exited (under load): the pages are kept again once both are done
for i in $(seq 40); do
	cat "$F" >/dev/null
	r=$(resident "$F")
	[ "${r:-0}" -gt 0 ] && break
	sleep 0.1
done
[ "${r:-0}" -gt 0 ] && ok "after the holder, reopens keep the pages again" ||
	fail "no pin left, but reopens still drop the pages after 4 s"
unmount_fg
run_expect 0 "$PINFS" fsck "$REGION" || fail "fsck: $OUT"
finish
