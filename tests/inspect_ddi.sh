# SPDX-License-Identifier: MIT
# vcompose inspect / verify / diff on a DDI from vcompose build, as nobody:
# inspect --json matches the manifest field by field (and sfdisk's view of the
# table); verify passes, then fails naming the place after one byte is
# flipped in the root data, the verity superblock, the GPT primary header;
# a wrong --roothash is named; diff finds identical builds identical.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
export SOURCE_DATE_EPOCH=1700000000
# flip FILE OFFSET: changes one byte (xor 0x5a)
flip() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 90)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# the minimal example and 64 KiB more, so that the tree has two levels
cp -a "$VC_SOURCE_DIR/examples/minimal/root" tree
awk 'BEGIN { for (i = 0; i < 4096; i++) printf "line %011d\n", i * 7919 }' > tree/data.txt
chmod -R a+rX tree
scratch out
vc build "$VC_SOURCE_DIR/examples/minimal/config.xml" --root tree -o out >/dev/null
img=out/minimal.raw
hash=$(cat out/minimal.roothash)

# inspect --json against the manifest and sfdisk
vc inspect --json $img > insp.json
sfdisk --json $img > pt.json
python3 - <<'PY' || fail "inspect --json does not match the manifest"
import json
i = json.load(open("insp.json")); m = json.load(open("out/minimal.manifest.json"))
pt = json.load(open("pt.json"))["partitiontable"]
assert i["schema"] == 2 and i["kind"] == "disk" and i["errors"] == [], i["errors"]
d = i["disk"]
assert d["guid"] == m["disk"]["guid"], (d["guid"], m["disk"]["guid"])
assert d["guid"].upper() == pt["id"], pt["id"]
assert i["size"] == m["disk"]["size"]
assert d["primary_header"] == "ok" and d["backup_header"] == "ok"
assert len(d["partitions"]) == len(m["disk"]["partitions"]) == len(pt["partitions"])
for p, q, s in zip(d["partitions"], m["disk"]["partitions"], pt["partitions"]):
    for k in ("type", "label", "uuid", "offset", "size"):
        assert p[k] == q[k], (k, p[k], q[k])
    assert p["type_guid"].upper() == s["type"] and p["uuid"].upper() == s["uuid"], (p, s)
    assert p["offset"] == s["start"] * 512 and p["size"] == s["size"] * 512, (p, s)
    assert p["flag_names"] == ["read-only"] and p["flags"] == "0x1000000000000000", p
root, verity = d["partitions"]
assert root["content"] == "erofs" and verity["content"] == "verity"
e = root["erofs"]
assert e["build_time"] == m["source_date_epoch"] == 1700000000, e
assert e["files"] == 5 and e["directories"] == 7 and e["symlinks"] == 1, e
assert e["size"] == m["root_filesystem"]["size"], e
assert e["checksum_ok"] is True and e["compression"] == "lz4" and e["compressed_files"] >= 1, e
assert "sb_csum" in e["feature_compat"] and e["inodes_reachable"] == e["inodes"], e
v = verity["verity"]
assert v["root_hash"] == m["root_hash"], (v, m["root_hash"])
assert v["salt"] == m["verity"]["salt"] and v["data_blocks"] == m["verity"]["data_blocks"], v
assert v["algorithm"] == "sha256" and v["data_block_size"] == 4096, v
PY
# the text form carries the same facts
vc inspect $img > insp.txt
grep -q "root_hash: $hash" insp.txt || fail "text inspect lacks the root hash"
grep -q "build_time: 1700000000" insp.txt || fail "text inspect lacks the build time"
# bare images are recognised too (cut out of the disk by the manifest)
extract $img out/minimal.manifest.json 0 root.erofs
extract $img out/minimal.manifest.json 1 root.verity
truncate -s "$(json_get out/minimal.manifest.json root_filesystem size)" root.erofs
vc inspect --json root.erofs | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["kind"]=="erofs" and d["erofs"]["checksum_ok"], d' ||
	fail "inspect root.erofs"
vc inspect --json root.verity | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["kind"]=="verity" and d["verity"]["levels"]==1, d' ||
	fail "inspect root.verity"

# verify: all good, also with the right --roothash
vc verify $img > v.out || fail "verify of a good image: $(cat v.out)"
grep -q "all .* checks passed" v.out || fail "verify summary"
vc verify -q --roothash "$hash" $img >/dev/null || fail "verify --roothash (right hash)"
vc verify --json $img | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["ok"] and d["failed"]==0 and len(d["checks"])>=6, d' ||
	fail "verify --json"
vc verify -q root.erofs >/dev/null || fail "verify root.erofs"

# a wrong --roothash: named
expect_exit 1 "1 of" verify -q --roothash 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff $img
grep -q "^FAIL root (partition 1): --roothash 00112233.* differs from the recomputed root hash $hash" "$VC_TMP/.out" ||
	fail "wrong --roothash not named: $(cat "$VC_TMP/.out")"
expect_exit 2 "not 64 hex digits" verify --roothash 1234 $img
expect_exit 2 "give IMAGE" verify
expect_exit 3 "missing.raw" verify missing.raw

roff=1048576  # both partitions from the table sfdisk read
hoff=$(sed -n 's/.*"start": *\([0-9]*\).*/\1/p' pt.json | sed -n 2p)
hoff=$((hoff * 512))
# one byte of a file's data (block 5 of the root)
cp $img t-data.raw && flip t-data.raw $((roff + 5 * 4096 + 1000))
set +e; $VC_RUN "$VCOMPOSE" verify -q t-data.raw > t.out; rc=$?; set -e
[ $rc = 1 ] || fail "verify of flipped root data: exit $rc"
grep -q "^FAIL root (partition 1): verity: data block 5 at offset $((roff + 5 * 4096)) " t.out ||
	fail "data flip not named: $(cat t.out)"
# one byte of level 0 of the hash tree (the digest of data block 3)
cp $img t-hash.raw && flip t-hash.raw $((hoff + 4096 + 3 * 32 + 4))
set +e; $VC_RUN "$VCOMPOSE" verify -q t-hash.raw > t.out; rc=$?; set -e
[ $rc = 1 ] || fail "verify of a flipped hash: exit $rc"
grep -q "^FAIL root-verity (partition 2): verity level 0 block 0 at offset $((hoff + 4096)) differs from the tree recomputed from the data" t.out ||
	fail "hash flip not named: $(cat t.out)"
grep -q "^FAIL root (partition 1)" t.out && fail "hash flip blamed on the data: $(cat t.out)"
# one byte of the verity superblock's salt: the stored tree no longer holds
cp $img t-salt.raw && flip t-salt.raw $((hoff + 88 + 5))
set +e; $VC_RUN "$VCOMPOSE" verify -q t-salt.raw > t.out; rc=$?; set -e
[ $rc = 1 ] || fail "verify of a flipped salt: exit $rc"
grep -q "^FAIL root-verity (partition 2)" t.out || fail "salt flip not named: $(cat t.out)"
# the GPT primary header's CRC
cp $img t-gpt.raw && flip t-gpt.raw $((512 + 16))
set +e; $VC_RUN "$VCOMPOSE" verify -q t-gpt.raw > t.out; rc=$?; set -e
[ $rc = 1 ] || fail "verify of a bad GPT CRC: exit $rc"
grep -q "^FAIL gpt: primary header at offset 512: HeaderCRC32" t.out || fail "GPT flip not named: $(cat t.out)"
# a byte of the primary entry array (a label): its CRC, and the backup no longer equal
cp $img t-ent.raw && flip t-ent.raw $((1024 + 56))
set +e; $VC_RUN "$VCOMPOSE" verify -q t-ent.raw > t.out; rc=$?; set -e
[ $rc = 1 ] || fail "verify of a bad GPT entry: exit $rc"
grep -q "primary entry array at offset 1024: PartitionEntryArrayCRC32" t.out || fail "entry flip not named: $(cat t.out)"
# the EROFS superblock (its volume name: checksummed, not read by anyone)
cp $img t-sb.raw && flip t-sb.raw $((roff + 1024 + 64))
set +e; $VC_RUN "$VCOMPOSE" verify -q t-sb.raw > t.out; rc=$?; set -e
[ $rc = 1 ] || fail "verify of a bad EROFS superblock: exit $rc"
grep -q "EROFS superblock at offset $((roff + 1024)): checksum" t.out || fail "EROFS sb flip not named: $(cat t.out)"
# inspect still describes a damaged image, and says what is wrong
vc inspect --json t-gpt.raw | python3 -c 'import json,sys; d=json.load(sys.stdin)
assert d["disk"]["primary_header"] == "bad" and d["disk"]["backup_header"] == "ok", d["disk"]
assert any("HeaderCRC32" in e for e in d["errors"]), d["errors"]' || fail "inspect of a damaged GPT"

# diff: the same build twice is identical; the flipped copies are named
scratch out2
vc build "$VC_SOURCE_DIR/examples/minimal/config.xml" --root tree -o out2 >/dev/null
vc diff $img out2/minimal.raw > d.out || fail "diff of identical builds: $(cat d.out)"
[ "$(cat d.out)" = identical ] || fail "diff says: $(cat d.out)"
set +e; $VC_RUN "$VCOMPOSE" diff $img t-sb.raw > d.out; rc=$?; set -e
[ $rc = 1 ] || fail "diff of a flipped superblock: exit $rc"
grep -q "^root (partition 1): EROFS superblock field volume_name$" d.out || fail "diff of a flipped superblock: $(cat d.out)"
set +e; $VC_RUN "$VCOMPOSE" diff $img t-ent.raw > d.out; rc=$?; set -e
[ $rc = 1 ] || fail "diff of a flipped entry: exit $rc"
grep -q "^gpt: GPT entry 1 field PartitionName$" d.out || fail "diff of a flipped entry: $(cat d.out)"
set +e; $VC_RUN "$VCOMPOSE" diff $img t-data.raw > d.out; rc=$?; set -e
[ $rc = 1 ] || fail "diff of flipped data: exit $rc"
grep -q "^root (partition 1): data of /data.txt\|^root (partition 1): EROFS block 5 " d.out || fail "diff of flipped data: $(cat d.out)"
expect_exit 2 "give two images" diff $img

# the tree embedded after the file system (no verity partition)
sed 's/verity_partition="true"/verity_partition="false"/' "$VC_SOURCE_DIR/examples/minimal/config.xml" > emb.xml
scratch out3
vc build emb.xml --root tree -o out3 >/dev/null
ehash=$(cat out3/minimal.roothash)
vc verify -q --roothash "$ehash" out3/minimal.raw >/dev/null || fail "verify of the embedded layout"
vc inspect --json out3/minimal.raw > emb.json
python3 - "$ehash" <<'PY' || fail "inspect of the embedded layout"
import json, sys
d = json.load(open("emb.json")); m = json.load(open("out3/minimal.manifest.json"))
p = d["disk"]["partitions"][0]
assert len(d["disk"]["partitions"]) == 1 and p["content"] == "erofs", p
e = p["embedded_verity"]
assert e["hash_offset"] == m["verity"]["hash_offset"] == p["erofs"]["size"], (e, m["verity"])
assert e["verity"]["root_hash"] == sys.argv[1] and e["verity"]["salt"] == m["verity"]["salt"], e
PY
cp out3/minimal.raw t-emb.raw && flip t-emb.raw $((roff + 2 * 4096 + 5))
set +e; $VC_RUN "$VCOMPOSE" verify -q --roothash "$ehash" t-emb.raw > t.out; rc=$?; set -e
[ $rc = 1 ] || fail "embedded layout, flipped data: exit $rc"
grep -q "^FAIL root (partition 1): verity: data block 2 at offset $((roff + 2 * 4096)) " t.out ||
	fail "embedded layout: data flip not named: $(cat t.out)"
echo ok
