# SPDX-License-Identifier: MIT
# mkfs.sh - pinfs mkfs: formats, refuses to overwrite without --force
# (bytes unchanged), reports progress when asked.
. "$CLI_LIB"

run_expect 0 "$PINFS" mkfs --size 64M "$REGION" || die "mkfs"
[ "$(stat -c %s "$REGION")" = $((64 << 20)) ] || fail "region size $(stat -c %s "$REGION")"
printf '%s\n' "$OUT" | grep -q "granularity" || fail "mkfs summary: $OUT"
cp "$REGION" "$T/before"

run_expect 1 "$PINFS" mkfs --size 64M "$REGION" && one_line "mkfs over a region"
printf '%s\n' "$OUT" | grep -q -- "--force" || fail "refusal does not mention --force: $OUT"
cmp -s "$REGION" "$T/before" || fail "refused mkfs changed the region"
run_expect 1 "$PINFS" mkfs "$REGION"
cmp -s "$REGION" "$T/before" || fail "refused mkfs (no size) changed the region"

run_expect 0 "$PINFS" mkfs --force "$REGION" || fail "mkfs --force"
run_expect 0 "$PINFS" fsck "$REGION" || fail "fsck after mkfs --force: $OUT"

# a mounted region is never formatted, --force or not
mount_fg
echo keep >"$MNT/kept" || fail "write on the mount"
run_expect 1 "$PINFS" mkfs --force "$REGION" && one_line "mkfs --force of a mounted region"
printf '%s\n' "$OUT" | grep -q "mounted on" || fail "reason: $OUT"
run_expect 1 "$PINFS" mkfs --force --size 64M "$REGION"
[ "$(cat "$MNT/kept")" = keep ] || fail "the mounted filesystem lost a file"
unmount_fg
run_expect 0 "$PINFS" fsck "$REGION" || fail "fsck after refused mkfs: $OUT"

# --progress shows progress even when stderr is not a terminal
rm -f "$REGION"
"$PINFS" mkfs --progress --size 256M "$REGION" >/dev/null 2>"$T/progress" ||
	fail "mkfs --progress"
grep -q "100%" "$T/progress" || fail "no progress shown: $(cat "$T/progress")"
# and nothing on a non-terminal without it
rm -f "$REGION"
"$PINFS" mkfs --size 256M "$REGION" >/dev/null 2>"$T/quiet" || fail "mkfs"
[ -s "$T/quiet" ] && fail "progress on a non-terminal: $(cat "$T/quiet")"
finish
