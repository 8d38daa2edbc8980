# SPDX-License-Identifier: MIT
# vcompose build of the minimal example (a DDI) as nobody; every byte read
# back with reference tools: sfdisk, sgdisk, fsck.erofs --extract, veritysetup.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
export SOURCE_DATE_EPOCH=1700000000
scratch out
vc build "$VC_SOURCE_DIR/examples/minimal/config.xml" --root "$VC_SOURCE_DIR/examples/minimal/root" -o out > build.log
grep -q "^Root hash: $(cat out/minimal.roothash)$" build.log || fail "root hash not printed"
ls out | sort > files
printf 'minimal.manifest.json\nminimal.raw\nminimal.roothash\n' | cmp - files || fail "outputs: $(cat files)"
m=out/minimal.manifest.json

# GPT: valid, two partitions of the DPS types, read-only, UUIDs from the root hash
sfdisk -V out/minimal.raw >/dev/null || fail "sfdisk -V"
sgdisk -v out/minimal.raw | grep -q "No problems found" || fail "sgdisk -v"
sfdisk --json out/minimal.raw > pt.json
hash=$(cat out/minimal.roothash)
u1=$(echo "$hash" | cut -c1-32 | sed -E 's/(.{8})(.{4})(.{4})(.{4})(.{12})/\1-\2-\3-\4-\5/')
u2=$(echo "$hash" | cut -c33-64 | sed -E 's/(.{8})(.{4})(.{4})(.{4})(.{12})/\1-\2-\3-\4-\5/')
python3 - "$u1" "$u2" <<'PY'
import json, sys
p = json.load(open("pt.json"))["partitiontable"]["partitions"]
assert len(p) == 2, p
assert p[0]["type"] == "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", p[0]   # root x86-64
assert p[1]["type"] == "2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5", p[1]   # root-verity x86-64
assert p[0]["uuid"].lower() == sys.argv[1] and p[1]["uuid"].lower() == sys.argv[2], p
assert p[0]["attrs"] == "GUID:60" and p[0]["start"] % 2048 == 0, p
PY

# the manifest's offsets and hashes match the image; the root file system,
# cut out by its offset, and its tree check out with the reference tools
extract out/minimal.raw $m 0 p1
extract out/minimal.raw $m 1 p2
for i in 0 1; do
	[ "$(sha256sum < p$((i + 1)) | cut -d' ' -f1)" = "$(part_field $m $i sha256)" ] ||
		fail "partition $i: sha256 differs from the manifest"
done
[ "$(json_get $m root_hash)" = "$hash" ] || fail "manifest root hash"
json_get $m versions liblz4 | grep -Eq '^[0-9]+\.[0-9]+' || fail "manifest lacks liblz4's version"
fsck.erofs p1 >/dev/null || fail "fsck.erofs"
mkdir x && fsck.erofs --extract=x p1 >/dev/null || fail "fsck.erofs --extract"
diff -r x "$VC_SOURCE_DIR/examples/minimal/root" || fail "extracted tree differs"
veritysetup verify p1 p2 "$hash" || fail "veritysetup verify of the partitions"
printf '\377' | dd of=p1 bs=1 seek=1100 conv=notrunc status=none
veritysetup verify p1 p2 "$hash" 2>/dev/null && fail "veritysetup accepted a flipped byte"

# a bad config: exit 1, file:line in the message, nothing left in the output folder
scratch out2
printf '<image name="x" schemaversion="8.5"><preferences><type image="oem" filesystem="ext4"/></preferences></image>\n' > bad.xml
expect_exit 1 "bad.xml:1" build bad.xml --root "$VC_SOURCE_DIR/examples/minimal/root" -o out2
[ -z "$(ls -A out2)" ] || fail "output left after an error: $(ls -A out2)"
expect_exit 2 "give -o OUTDIR" build bad.xml --root x
expect_exit 1 "bad.xml:1" build bad.xml --root x -o missing
[ ! -e missing ] || fail "a failed build left the output folder it made"
echo ok
