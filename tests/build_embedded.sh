# SPDX-License-Identifier: MIT
# The KIWI layout: the verity tree embedded after the filesystem in the root
# partition (no superblock, veritysetup --hash-offset) and KIWI's 4 KiB
# metadata trailer in the partition's last block; checked with veritysetup
# and against the trailer format KIWI writes.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
export SOURCE_DATE_EPOCH=1700000000
cat > config.xml <<'XML'
<?xml version="1.0"?>
<image schemaversion="8.5" name="emb">
  <description type="system"><author>t</author><contact>t</contact><specification>t</specification></description>
  <preferences>
    <version>1</version>
    <type image="ddi" filesystem="erofs" verity_blocks="all" embed_verity_metadata="true"/>
  </preferences>
</image>
XML
scratch out
# the example tree and enough data for a tree of more than one block
cp -r "$VC_SOURCE_DIR/examples/minimal/root" tree
head -c 100000 /dev/urandom > tree/blob
chmod -R a+rX tree
vc build config.xml --root tree -o out > /dev/null
m=out/emb.manifest.json
hash=$(cat out/emb.roothash)
[ "$(json_get $m verity layout)" = embedded ] || fail "layout"
extract out/emb.raw $m 0 root.img
size=$(stat -c %s root.img)
fs=$(json_get $m verity hash_offset)
blocks=$(json_get $m verity data_blocks)
salt=$(json_get $m verity salt)
veritysetup verify --no-superblock --hash-offset="$fs" --data-blocks="$blocks" --salt="$salt" \
	root.img root.img "$hash" || fail "veritysetup verify of the embedded tree"
# the trailer, as KIWI writes it
want=$(printf '1 erofs ro verity\3771 4096 4096 %s %s sha256 %s %s\377' "$blocks" $((fs / 4096)) "$hash" "$salt")
got=$(dd if=root.img bs=4096 skip=$((size / 4096 - 1)) count=1 status=none | tr -d '\000')
[ "$got" = "$want" ] || fail "KIWI trailer: '$got'"
fsck.erofs root.img > /dev/null || fail "fsck.erofs"
# vcompose verify reads the trailer (there is no verity superblock) and
# recomputes the tree; one flipped data byte or a wrong trailer hash is named
vc verify out/emb.raw > v.out || fail "verify: $(cat v.out)"
grep -q "KIWI verity metadata" v.out || fail "verify did not read the trailer: $(cat v.out)"
grep -q "KIWI's root hash equals the root hash" v.out || fail "trailer root: $(cat v.out)"
off=$(part_field $m 0 offset)
cp out/emb.raw bad.raw
printf '\377' | dd of=bad.raw bs=1 seek=$((off + 100)) conv=notrunc status=none
if vc verify bad.raw > v.out; then fail "verify passed a flipped data byte"; fi
grep -q "data block 0 at offset $off" v.out || fail "tamper not named: $(cat v.out)"
cp out/emb.raw bad.raw
tpos=$((off + size - 4096 + $(printf '1 erofs ro verity\3771 4096 4096 %s %s sha256 ' "$blocks" $((fs / 4096)) | wc -c)))
printf 0 | dd of=bad.raw bs=1 seek=$tpos conv=notrunc status=none
[ "$(printf %.1s "$hash")" != 0 ] || printf 1 | dd of=bad.raw bs=1 seek=$tpos conv=notrunc status=none
if vc verify bad.raw > v.out; then fail "verify passed a wrong trailer hash"; fi
grep -q "KIWI's root hash .* differs" v.out || fail "trailer hash not named: $(cat v.out)"
# both at once is refused by the config
sed -i 's/embed_verity_metadata="true"/embed_verity_metadata="true" verity_partition="true"/' config.xml
scratch out2
expect_exit 1 "config.xml:" build config.xml --root "$VC_SOURCE_DIR/examples/minimal/root" -o out2
[ -z "$(ls -A out2)" ] || fail "output left behind"
echo ok
