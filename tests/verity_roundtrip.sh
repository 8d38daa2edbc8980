# SPDX-License-Identifier: MIT
# vcompose verity against veritysetup on fresh data: byte equality (random
# MiBs, 1 GiB sparse), veritysetup verify accepting our trees, corruption
# found by both, thread count and SHA-256 path never changing bytes, and bad
# input refused with a message, an exit code and no file left behind.
. "$VC_SOURCE_DIR/tests/lib.sh"
command -v veritysetup >/dev/null || fail "veritysetup not installed (cryptsetup-bin)"
U=0e8a3c1d-2b4f-4a6e-9d7c-5f1e3a2b4c6d
S=7d3f9a1c5e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a3c5e7b9d2f4a6c8e0b1d3f
scratch out
root_of() { sed -n 's/^Root hash:[[:space:]]*//p' "$1"; }
no_temp() { ! ls -A out | grep -q '^\.' || fail "a temporary file was left in out/: $(ls -A out)"; }

# Incompressible data of 5 MiB and 3 blocks: two levels and a partial block.
head -c $((5 * 1048576 + 3 * 4096)) /dev/urandom >rnd.bin
for sb in "" --no-superblock; do
	vc verity format rnd.bin out/r.hash --salt $S --uuid $U $sb >vc.txt
	veritysetup format rnd.bin vs.hash --salt $S --uuid $U $sb >vs.txt
	cmp out/r.hash vs.hash || fail "hash file differs from veritysetup's ($sb)"
	[ "$(root_of vc.txt)" = "$(root_of vs.txt)" ] || fail "root hash differs ($sb)"
	diff vs.txt vc.txt | grep -v 'VERITY header' | grep -q '^[<>]' &&
		fail "output lines differ from veritysetup's: $(diff vs.txt vc.txt)"
	rm -f vs.hash
done
vc verity format rnd.bin out/r.hash --salt $S --uuid $U >vc.txt
root=$(root_of vc.txt)
veritysetup verify rnd.bin out/r.hash "$root" || fail "veritysetup verify refuses our tree"
vc verity verify rnd.bin out/r.hash "$root" >/dev/null || fail "our verify refuses our tree"
# veritysetup reads our superblock back field by field.
veritysetup dump out/r.hash >dump.txt || fail "veritysetup dump refuses our superblock"
grep -Eq "^UUID:[[:space:]]+$U\$" dump.txt || fail "dump: UUID: $(cat dump.txt)"
grep -Eq "^Salt:[[:space:]]+$S\$" dump.txt || fail "dump: salt: $(cat dump.txt)"
grep -Eq "^Data blocks:[[:space:]]+1283\$" dump.txt || fail "dump: data blocks: $(cat dump.txt)"
grep -Eq "^Hash algorithm:[[:space:]]+sha256\$" dump.txt || fail "dump: algorithm: $(cat dump.txt)"

# Threads and SHA-256 implementation never change the bytes.
for j in 1 2 8; do
	vc verity format rnd.bin out/j$j.hash --salt $S --uuid $U --jobs $j >/dev/null
	cmp out/r.hash out/j$j.hash || fail "--jobs $j changes the bytes"
done
VC_SHA256=portable $VC_RUN "$VCOMPOSE" verity format rnd.bin out/p.hash --salt $S --uuid $U \
	--jobs 2 >/dev/null
cmp out/r.hash out/p.hash || fail "VC_SHA256=portable changes the bytes"

# One flipped byte in data block 700: both tools refuse, we name the block.
cp rnd.bin bad.bin
printf '\377' | dd of=bad.bin bs=1 seek=$((700 * 4096 + 123)) conv=notrunc status=none
cmp -s rnd.bin bad.bin && fail "the byte was not flipped"
if veritysetup verify bad.bin out/r.hash "$root" 2>/dev/null; then
	fail "veritysetup verify accepts corrupt data"
fi
expect_exit 1 "data block 700 " verity verify bad.bin out/r.hash "$root"
expect_exit 1 "does not match the given" verity verify rnd.bin out/r.hash \
	0000000000000000000000000000000000000000000000000000000000000000
# A corrupt hash block is named as such.
cp out/r.hash badtree.hash
printf '\1' | dd of=badtree.hash bs=1 seek=$((4096 + 5)) conv=notrunc status=none
expect_exit 1 "level 1" verity verify rnd.bin badtree.hash "$root"

# Embedded: the tree after the data, in the same file, read by veritysetup.
cp rnd.bin out/emb.img
[ -z "$VC_RUN" ] || chown nobody:nogroup out/emb.img
off=$(stat -c %s rnd.bin)
vc verity format out/emb.img out/emb.img --hash-offset $off --salt $S --uuid $U >vc.txt
[ "$(root_of vc.txt)" = "$root" ] || fail "embedded root differs"
veritysetup verify out/emb.img out/emb.img "$root" --hash-offset $off ||
	fail "veritysetup verify refuses our embedded tree"
vc verity verify out/emb.img out/emb.img "$root" --hash-offset $off >/dev/null ||
	fail "our verify refuses our embedded tree"
expect_exit 1 "overlap" verity format out/emb.img out/emb.img --hash-offset 4096 --data-blocks 2
# Without a superblock the parameters come from the options.
vc verity format rnd.bin out/ns.hash --salt $S --no-superblock >/dev/null
veritysetup verify rnd.bin out/ns.hash "$root" --no-superblock --salt $S ||
	fail "veritysetup verify refuses our tree without superblock"
vc verity verify rnd.bin out/ns.hash "$root" --no-superblock --salt $S >/dev/null ||
	fail "our verify refuses our tree without superblock"

# 1 GiB (sparse, so the test stays fast): equal to veritysetup's.
truncate -s 1G big.bin
vc verity format big.bin out/big.hash --salt $S --uuid $U >vc.txt
veritysetup format big.bin vs.hash --salt $S --uuid $U >vs.txt
cmp out/big.hash vs.hash || fail "1 GiB: hash file differs from veritysetup's"
[ "$(root_of vc.txt)" = "$(root_of vs.txt)" ] || fail "1 GiB: root differs"
rm -f vs.hash out/big.hash big.bin

# --json
vc verity format rnd.bin out/js.hash --salt $S --uuid $U --json >js.txt
python3 -c 'import json,sys; d=json.load(open("js.txt")); assert d["root_hash"]==sys.argv[1], d; assert d["data_blocks"]==1283 and d["salt"]==sys.argv[2] and d["uuid"]==sys.argv[3]' \
	"$root" $S $U || fail "--json summary is wrong: $(cat js.txt)"
vc verity verify rnd.bin out/r.hash "$root" --json |
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["verified"] and d["root_hash"]==sys.argv[1]' \
	"$root" || fail "verify --json"

# Without --salt/--uuid: derived from the seed (the hash file's name,
# vcompose's version, SOURCE_DATE_EPOCH), never random.
scratch out/a; scratch out/b; scratch out/c
SOURCE_DATE_EPOCH=1700000000 $VC_RUN "$VCOMPOSE" verity format rnd.bin out/a/d.hash >d1.txt
SOURCE_DATE_EPOCH=1700000000 $VC_RUN "$VCOMPOSE" verity format rnd.bin out/b/d.hash >/dev/null
cmp out/a/d.hash out/b/d.hash || fail "default salt/uuid are not reproducible"
vc verity format rnd.bin out/c/d.hash --source-date-epoch 1700000001 >d3.txt
[ "$(grep ^Salt d1.txt)" != "$(grep ^Salt d3.txt)" ] || fail "the epoch does not reach the salt"
grep -Eq '^Salt:[[:space:]]+[0-9a-f]{64}$' d1.txt || fail "derived salt is not 32 bytes"

# Bad input: message, exit code, and no hash file (nor temporary) left.
: >empty.bin
expect_exit 1 "empty" verity format empty.bin out/e.hash
[ ! -e out/e.hash ] || fail "empty data left a hash file"
head -c 5000 /dev/zero >odd.bin
expect_exit 1 "not a multiple of the data block size 4096" verity format odd.bin out/o.hash
[ ! -e out/o.hash ] || fail "odd-sized data left a hash file"
vc verity format odd.bin out/o.hash --data-blocks 1 --salt $S >/dev/null ||
	fail "--data-blocks 1 of a 5000-byte file refused"
expect_exit 1 "--data-blocks" verity format odd.bin out/o2.hash --data-blocks 2
long=$(printf '%0514d' 0)
expect_exit 1 "257 bytes given, at most 256" verity format rnd.bin out/s.hash --salt "$long"
[ ! -e out/s.hash ] || fail "a too long salt left a hash file"
expect_exit 1 "--salt 'xyz'" verity format rnd.bin out/s.hash --salt xyz
expect_exit 1 "power of two" verity format rnd.bin out/b.hash --data-block-size 3000
expect_exit 1 "power of two" verity format rnd.bin out/b.hash --hash-block-size 8192
expect_exit 1 "not a multiple of the hash block size" verity format rnd.bin out/b.hash --hash-offset 512
mkdir ro && chmod 0555 ro
expect_exit 3 "ro/h.hash" verity format rnd.bin ro/h.hash
[ -z "$(ls -A ro)" ] || fail "an unwritable folder got a file"
expect_exit 1 "missing.bin" verity format missing.bin out/m.hash
expect_exit 1 "differs from the salt in" verity verify rnd.bin out/r.hash "$root" --salt 00ff
expect_exit 1 "data block 0 " verity verify rnd.bin out/ns.hash "$root" --no-superblock --salt 00ff
expect_exit 1 "signature" verity verify rnd.bin out/ns.hash "$root"
expect_exit 1 "expected 64 hex digits" verity verify rnd.bin out/r.hash abcd
expect_exit 2 "expected 2 arguments" verity format rnd.bin
expect_exit 2 "unknown option" verity format rnd.bin out/x.hash --frobnicate
expect_exit 2 "unknown subcommand" verity dump rnd.bin
[ ! -e out/x.hash ] || fail "a usage error left a hash file"
no_temp
vc verity --help | grep -q "SOURCE_DATE_EPOCH" || fail "--help does not say how the salt is made"
echo ok
