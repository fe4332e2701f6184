# SPDX-License-Identifier: MIT
# fsck.sh - pinfs fsck exit statuses: 0 clean; 1 problems found (and,
# with --repair, fixed: clean afterwards); 8 could not check, with one
# line saying why.  Without --repair nothing is written.
. "$CLI_LIB"
need_root_fuse 45

le64() { # le64 FILE OFFSET: the little-endian 64-bit number there
	od -An -tu8 -j "$2" -N 8 "$1" | tr -d ' '
}
poke() { # poke FILE OFFSET BYTE(decimal)
	printf "\\$(printf '%03o' "$3")" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

"$PINFS" mkfs --size 64M "$REGION" >/dev/null || die "mkfs"
run_expect 0 "$PINFS" fsck "$REGION" || die "fsck of a fresh region"
printf '%s\n' "$OUT" | grep -q "clean" || fail "clean: $OUT"

# a file, so there is an inode to damage
mount_fg
echo data >"$MNT/f" || fail "write"
unmount_fg
run_expect 0 "$PINFS" fsck "$REGION" || fail "fsck after use: $OUT"
cp "$REGION" "$T/good"

# 1. one byte of the primary superblock: found (the backup is intact),
#    nothing written without --repair, fixed with it
poke "$REGION" 100 $(( ($(od -An -tu1 -j 100 -N 1 "$REGION") ^ 0xff) ))
cp "$REGION" "$T/bad"
run_expect 1 "$PINFS" fsck "$REGION" || echo "$OUT" >&2
cmp -s "$REGION" "$T/bad" || fail "fsck without --repair wrote the region"
OUT=$(timeout 30 "$PINFS" mount "$REGION" "$MNT" 2>&1) && { fail "mounted a bad superblock"; unmount_dir "$MNT"; }
one_line "mount of a bad primary superblock"
run_expect 1 "$PINFS" fsck --repair "$REGION" || echo "$OUT" >&2
printf '%s\n' "$OUT" | grep -q "repaired" || fail "--repair: $OUT"
run_expect 0 "$PINFS" fsck "$REGION" || fail "not clean after --repair: $OUT"
mount_fg
[ "$(cat "$MNT/f")" = data ] || fail "data after superblock repair"
unmount_fg

# 2. a wrong link count in the file's inode (inode 2; nlink at +12)
cp "$T/good" "$REGION"
itab=$(le64 "$REGION" 88)
poke "$REGION" $((itab + 2 * 256 + 12)) 7
cp "$REGION" "$T/bad"
run_expect 1 "$PINFS" fsck "$REGION" || echo "$OUT" >&2
printf '%s\n' "$OUT" | grep -q "problem" || fail "no problem line: $OUT"
cmp -s "$REGION" "$T/bad" || fail "fsck without --repair wrote the region"
run_expect 1 "$PINFS" fsck -r "$REGION" || echo "$OUT" >&2
run_expect 0 "$PINFS" fsck "$REGION" || fail "nlink not repaired: $OUT"

# 3. cannot check: 8 and one line
for what in missing empty garbage; do
	case $what in
	missing) rm -f "$REGION" ;;
	empty) : >"$REGION" ;;
	garbage) head -c $((16 << 20)) /dev/urandom >"$REGION" ;;
	esac
	run_expect 8 "$PINFS" fsck "$REGION" && one_line "fsck of a $what region"
	run_expect 8 "$PINFS" fsck --repair "$REGION" && one_line "fsck --repair of a $what region"
done

# 4. a mounted region is not checked
cp "$T/good" "$REGION"
mount_fg
run_expect 8 "$PINFS" fsck "$REGION" && one_line "fsck of a mounted region"
printf '%s\n' "$OUT" | grep -q "mounted" || fail "reason: $OUT"
unmount_fg
run_expect 2 "$PINFS" fsck --bogus "$REGION"
finish
