#!/usr/bin/env bash
# tests/crash/kons-store-tool.sh KONS-STORE: the kons-store tool's contract (exit codes,
# nothing written to disks it must not touch), on real files.
set -u
tool=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/kons-store-tool-XXXXXX")
trap 'rm -rf "$dir"' EXIT
fails=0 passes=0
expect() {  # expect STATUS DESCRIPTION -- COMMAND...
    local want=$1 what=$2; shift 3
    "$@" >"$dir/out" 2>"$dir/err"; local got=$?
    if [[ $got -eq $want ]]; then passes=$((passes + 1))
    else fails=$((fails + 1)); echo "FAIL: $what: exit $got, wanted $want"; cat "$dir/out" "$dir/err"; fi
}
f=$dir/store.img
expect 1 "probe of a missing file" -- "$tool" probe "$f"
expect 1 "usage" -- "$tool" frobnicate "$f"
expect 1 "bad size" -- "$tool" claim "$f" 12Q
expect 0 "claim creates a 16 MiB store" -- "$tool" claim "$f" 16M
[[ $(stat -c %s "$f") -eq $((16 << 20)) ]] && passes=$((passes + 1)) || { fails=$((fails + 1)); echo "FAIL: size"; }
expect 0 "probe says kons" -- "$tool" probe "$f"
grep -q '^kons: Kons store' "$dir/out" && passes=$((passes + 1)) || { fails=$((fails + 1)); echo "FAIL: probe text"; }
expect 2 "a second claim refuses" -- "$tool" claim "$f"
expect 0 "ten updates" -- "$tool" update "$f" 10
grep -q '^sequence 11$' "$dir/out" && passes=$((passes + 1)) || { fails=$((fails + 1)); echo "FAIL: sequence after updates"; cat "$dir/out"; }
expect 0 "info" -- "$tool" info "$f"
grep -q '^sequence     11 (copy A)$' "$dir/out" && passes=$((passes + 1)) || { fails=$((fails + 1)); echo "FAIL: info"; cat "$dir/out"; }
# A blank file, then a foreign one: probe says so, claim leaves the foreign one as it was.
b=$dir/blank.img; truncate -s 4M "$b"
expect 10 "probe says blank" -- "$tool" probe "$b"
x=$dir/foreign.img; truncate -s 4M "$x"; printf 'EXT4-like' | dd of="$x" bs=1 seek=1080 conv=notrunc 2>/dev/null
sum=$(md5sum < "$x")
expect 11 "probe says foreign" -- "$tool" probe "$x"
expect 2 "claim refuses a foreign disk" -- "$tool" claim "$x"
[[ $(md5sum < "$x") == "$sum" ]] && passes=$((passes + 1)) || { fails=$((fails + 1)); echo "FAIL: foreign disk changed"; }
expect 2 "update refuses a blank disk" -- "$tool" update "$b"
expect 11 "a tiny file is foreign (too small)" -- bash -c "truncate -s 64K '$dir/tiny.img' && '$tool' probe '$dir/tiny.img'"
echo "$passes passed, $fails failed"
[[ $fails -eq 0 ]]
