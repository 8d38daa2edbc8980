# SPDX-License-Identifier: MIT
# vcompose gpt checked by the reference partitioners: byte equality with
# sgdisk and fdisk (vectors/gpt), sfdisk -d/--json fields, sfdisk -V, sgdisk -v,
# fdisk -l, contents at their offsets, reproducibility, bad input.
. "$VC_SOURCE_DIR/tests/lib.sh"
V=$VC_SOURCE_DIR/vectors/gpt
scratch out
PATH=$PATH:/usr/sbin:/sbin

sha() { sha256sum "$1" | cut -d' ' -f1; }

# 1. The sgdisk-512 layout: every byte as sgdisk wrote it.
vc gpt -o out/d.img --size 11M --disk-guid 11111111-2222-3333-4444-555555555555 \
	--part esp:,size=3M,label=ESP,uuid=AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE \
	--part root-x86-64:,size=5M,label=root,flags=read-only+growfs,uuid=00112233-4455-6677-8899-AABBCCDDEEFF \
	--part root-verity-x86-64:,size=1M,flags=required+hidden+no-auto,roothash=00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef
[ "$(sha out/d.img)" = fd6c63376a4869d9f04070b4ed6ef70ee9e6b7ad0a7302f6c30ced4ddee5a107 ] ||
	fail "sgdisk-512: our disk differs from sgdisk's (vectors/gpt/MANIFEST)"
(cd out && sfdisk -d d.img) >sfd.txt
diff -u "$V/sgdisk-512.sfdisk-d" sfd.txt || fail "sfdisk -d differs from the vector"
sfdisk -V out/d.img >/dev/null || fail "sfdisk -V"
sgdisk -v out/d.img | grep -q "No problems found" || fail "sgdisk -v"
fdisk -l out/d.img >fdl.txt 2>fdl.err || fail "fdisk -l"
grep -q "Disklabel type: gpt" fdl.txt || fail "fdisk -l: no GPT"
[ ! -s fdl.err ] && ! grep -qi "mismatch\|corrupt\|invalid" fdl.txt || { cat fdl.txt fdl.err; fail "fdisk -l warns"; }
# The same disk made live by this host's sgdisk, when it has one.
if command -v sgdisk >/dev/null; then
	truncate -s 11M live.img
	sgdisk -U 11111111-2222-3333-4444-555555555555 \
		-n 1:2048:+3M -t 1:C12A7328-F81F-11D2-BA4B-00A0C93EC93B -u 1:AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE -c 1:ESP \
		-n 2:8192:+5M -t 2:4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709 -u 2:00112233-4455-6677-8899-AABBCCDDEEFF -c 2:root \
		-A 2:set:59 -A 2:set:60 \
		-n 3:18432:+1M -t 3:2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5 -u 3:01234567-89AB-CDEF-0123-456789ABCDEF \
		-A 3:set:63 -A 3:set:62 -A 3:set:0 live.img >/dev/null
	cmp live.img out/d.img || fail "live sgdisk disk differs"
fi

# 2. 4096-byte sectors: fdisk's disk, but for the MBR's ending CHS (MANIFEST).
vc gpt -o out/d4.img --sector-size 4096 --size 12M --disk-guid 11111111-2222-3333-4444-555555555555 \
	--part esp:,size=3M,label=ESP,uuid=AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE \
	--part root-x86-64:,size=5M,label=root,flags=read-only+growfs,uuid=00112233-4455-6677-8899-AABBCCDDEEFF
cp out/d4.img p4.img
printf '\377\377\377' | dd of=p4.img bs=1 seek=451 conv=notrunc status=none
[ "$(sha p4.img)" = f8de07cc20818226f8c0c2200aaa9e7737406a9dcfadacb188a5423e724b27f3 ] ||
	fail "fdisk-4096: our disk differs from fdisk's beyond the MBR CHS"
printf 'v\nq\n' | fdisk -b 4096 out/d4.img >f4.txt 2>&1
grep -q "Using 2 out of 128 partitions" f4.txt || { cat f4.txt; fail "fdisk -b 4096 verify"; }
fdisk -b 4096 -l out/d4.img | grep -q "d4.img2 *1024 *2303 *1280" || fail "fdisk -b 4096 -l"

# 3. Contents at their offsets, types by name, sizes rounded to 1 MiB.
head -c 1500000 /dev/urandom >esp.bin
head -c 3000000 /dev/urandom >root.bin
vc gpt -o out/c.img --part esp:esp.bin,label=ESP --part root-arm64:root.bin,label=röot-ä --part swap:,size=1 \
	--json >c.json
sfdisk --json out/c.img >cj.json
python3 - c.json cj.json <<'PY'
import json, sys
ours = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))["partitiontable"]
assert t["id"].lower() == ours["disk_guid"], (t["id"], ours["disk_guid"])
assert t["sectorsize"] == 512 and t["firstlba"] == 34
want = [("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", 2048, 4096, "ESP"),
        ("B921B045-1DF0-41C3-AF44-4C6F280D3FAE", 6144, 6144, "röot-ä"),
        ("0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", 12288, 2048, None)]
for p, o, (ty, start, size, name) in zip(t["partitions"], ours["partitions"], want):
    assert p["type"] == ty and p["start"] == start and p["size"] == size, p
    assert p.get("name") == name, p
    assert p["uuid"].lower() == o["uuid"] and o["offset"] == start * 512, (p, o)
PY
cmp -n 1500000 esp.bin out/c.img 0 1048576 || fail "esp content"
cmp -n 3000000 root.bin out/c.img 0 3145728 || fail "root content"
sgdisk -v out/c.img | grep -q "No problems found" || fail "sgdisk -v c.img"

# 4. Every DPS type name gives the GUID util-linux names the same way
# (sfdisk -T; util-linux 2.38 does not list xbootldr and user-home yet).
args=""
for t in esp swap home srv var tmp linux-generic; do args="$args --part $t:,size=1"; done
for a in x86-64 x86 arm64 arm riscv64 loongarch64; do
	for k in root usr root-verity usr-verity root-verity-sig usr-verity-sig; do
		args="$args --part $k-$a:,size=1"
	done
done
vc gpt -o out/types.img --seed types $args
sfdisk --json out/types.img >types.json
sfdisk --label gpt -T >types.txt
python3 - types.json types.txt <<'PY'
import json, sys
parts = json.load(open(sys.argv[1]))["partitiontable"]["partitions"]
names = dict(l.split(None, 1) for l in open(sys.argv[2]) if "-" in l.split(" ")[0])
names = {k: v.strip() for k, v in names.items()}
want = ["EFI System", "Linux swap", "Linux home", "Linux server data", "Linux variable data",
        "Linux temporary data", "Linux filesystem"]
for a in ["x86-64", "x86", "ARM-64", "ARM", "RISC-V-64", "LoongArch-64"]:
    want += ["Linux root (%s)" % a, "Linux /usr (%s)" % a, "Linux root verity (%s)" % a,
             "Linux /usr verity (%s)" % a, "Linux root verity sign. (%s)" % a,
             "Linux /usr verity sign. (%s)" % a]
assert len(parts) == len(want) == 43, len(parts)
for p, w in zip(parts, want):
    assert names.get(p["type"]) == w, (p["type"], names.get(p["type"]), w)
PY

# 5. Reproducibility: same bytes twice; another epoch changes only the GUIDs and CRCs.
# (the default seed is the output's name, vcompose's version and the epoch)
scratch out/a; scratch out/b; scratch out/c
SOURCE_DATE_EPOCH=1 vc gpt -o out/a/r.img --part esp:esp.bin --part home:,size=2M
SOURCE_DATE_EPOCH=1 vc gpt -o out/b/r.img --part esp:esp.bin --part home:,size=2M
cmp out/a/r.img out/b/r.img || fail "two runs differ"
SOURCE_DATE_EPOCH=2 vc gpt -o out/c/r.img --part esp:esp.bin --part home:,size=2M
n=$(cmp -l out/a/r.img out/c/r.img | wc -l)
[ "$n" -gt 0 ] && [ "$n" -le 200 ] || fail "another epoch: $n bytes differ"
cmp -n 1500000 out/a/r.img out/c/r.img 1048576 1048576 || fail "another epoch changed content"

# 5b. Entry numbers (KIWI's efipart_id="55" rootpart_id="1"): sfdisk lists the
# entries by number, the disk order stays the order given.
vc gpt -o out/n.img --part esp:esp.bin,label=ESP,number=55 --part root-x86-64:,size=1M,number=1 \
	--part swap:,size=1M --json >n.json
sfdisk --json out/n.img >nj.json
python3 - n.json nj.json <<'PY'
import json, sys
ours = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))["partitiontable"]
got = [(p["node"].rsplit("img", 1)[1], p["start"]) for p in t["partitions"]]
assert got == [("1", 6144), ("2", 8192), ("55", 2048)], got
assert [p["number"] for p in ours["partitions"]] == [55, 1, 2], ours
PY
sfdisk -V out/n.img >/dev/null || fail "sfdisk -V n.img"
sgdisk -v out/n.img | grep -q "No problems found" || fail "sgdisk -v n.img"
expect_exit 1 "number 55 is taken by partition 1" gpt -o out/bad.img --part esp:esp.bin,number=55 \
	--part swap:,size=1M,number=55
expect_exit 1 "expected 1..128" gpt -o out/bad.img --part esp:esp.bin,number=0

# 6. Bad input: a clear message, exit 1 (2 for usage), no output left behind.
expect_exit 1 "unknown partition type 'rooot'" gpt -o out/bad.img --part rooot:esp.bin
expect_exit 1 "at most 36" gpt -o out/bad.img --part esp:esp.bin,label=abcdefghijklmnopqrstuvwxyz0123456789X
expect_exit 1 "too small" gpt -o out/bad.img --size 2M --part esp:esp.bin
expect_exit 1 "overlaps partition 1" gpt -o out/bad.img --part esp:esp.bin --part home:,size=1M,start=2M
expect_exit 1 "unknown flag 'readonly'" gpt -o out/bad.img --part esp:esp.bin,flags=readonly
expect_exit 1 "nonexistent.bin" gpt -o out/bad.img --part esp:nonexistent.bin
expect_exit 2 "-o DISK is required" gpt --part esp:esp.bin
many=""
i=0; while [ $i -lt 129 ]; do many="$many --part home:,size=1"; i=$((i + 1)); done
expect_exit 1 "at most 128" gpt -o out/bad.img $many
[ ! -e out/bad.img ] || fail "a failed run left out/bad.img"
[ -z "$(ls -A out | grep '^\.')" ] || fail "a failed run left a temporary file"
echo ok
