# SPDX-License-Identifier: MIT
# vcompose erofs: usage errors, bad input, --json, no half-written output.
. "$VC_SOURCE_DIR/tests/lib.sh"
scratch out
mkdir -p t/sub && echo hi >t/sub/f && chmod -R a+rX t
expect_exit 2 "exactly one of --root" erofs -o out/x.img
expect_exit 2 "-o IMG" erofs --root t
expect_exit 1 "unknown algorithm 'zst'" erofs --root t -o out/x.img --compress zst
expect_exit 1 "zstd needs Linux 6.10" erofs --root t -o out/x.img --compress zstd
expect_exit 1 "lz4hc level 13: expected 1..12" erofs --root t -o out/x.img --compress lz4hc:13
expect_exit 2 "longer than 16 bytes" erofs --root t -o out/x.img --label 12345678901234567
expect_exit 2 "--uuid" erofs --root t -o out/x.img --uuid nope
expect_exit 3 "does-not-exist" erofs --root does-not-exist -o out/x.img
[ ! -e out/x.img ] || fail "an image was left behind after an error"
[ -z "$(ls -A out)" ] || fail "temporary files left behind: $(ls -A out)"
# a file that cannot be read when its data are copied: named, nothing left
mkdir -p u && head -c 20000 /dev/urandom > u/locked && cp u/locked u/open && chmod 0755 u
chmod 000 u/locked
expect_exit 3 "u/locked" erofs --root u -o out/x.img
[ -z "$(ls -A out)" ] || fail "output left behind after a read error: $(ls -A out)"
SOURCE_DATE_EPOCH=1000 vc erofs --root t -o out/a.img --label ROOT --json >a.json
grep -q '"inodes": 3' a.json || fail "--json inodes"
grep -q '"label": "ROOT"' a.json || fail "--json label"
fsck.erofs out/a.img >/dev/null || fail "fsck.erofs"
dump.erofs -s out/a.img | grep -q "Filesystem created: *Thu Jan  1 00:16:40 1970" ||
	fail "build time is not SOURCE_DATE_EPOCH"
# The same inputs give the same bytes; the UUID is derived, not random.
SOURCE_DATE_EPOCH=1000 vc erofs -q --root t -o out/a.img
cp out/a.img first.img
SOURCE_DATE_EPOCH=1000 vc erofs -q --root t -o out/a.img
cmp first.img out/a.img || fail "two runs differ"
SOURCE_DATE_EPOCH=1000 vc erofs -q --root t -o out/other.img
if cmp -s out/a.img out/other.img; then fail "two image names share a UUID"; fi
SOURCE_DATE_EPOCH=1000 vc erofs -q --root t -o out/c.img --uuid 11111111-2222-4333-8444-555555555555
dump.erofs -s out/c.img | grep -q "11111111-2222-4333-8444-555555555555" || fail "--uuid"
echo ok
