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
vc build config.xml --root "$VC_SOURCE_DIR/examples/minimal/root" -o out > /dev/null
m=out/emb.manifest.json
hash=$(cat out/emb.roothash)
[ "$(json_get $m verity layout)" = embedded ] || fail "layout"
extract out/emb.raw $m 0 root.img
size=$(stat -c %s root.img)
fs=$(json_get $m verity hashOffset)
blocks=$(json_get $m verity dataBlocks)
salt=$(json_get $m verity salt)
veritysetup verify --no-superblock --hash-offset="$fs" --data-blocks="$blocks" --salt="$salt" \
	root.img root.img "$hash" || fail "veritysetup verify of the embedded tree"
# the trailer, as KIWI writes it
want=$(printf '1 erofs ro verity\3771 4096 4096 %s %s sha256 %s %s\377' "$blocks" $((fs / 4096)) "$hash" "$salt")
got=$(dd if=root.img bs=4096 skip=$((size / 4096 - 1)) count=1 status=none | tr -d '\000')
[ "$got" = "$want" ] || fail "KIWI trailer: '$got'"
fsck.erofs root.img > /dev/null || fail "fsck.erofs"
# both at once is refused by the config
sed -i 's/embed_verity_metadata="true"/embed_verity_metadata="true" verity_partition="true"/' config.xml
scratch out2
expect_exit 1 "config.xml:" build config.xml --root "$VC_SOURCE_DIR/examples/minimal/root" -o out2
[ -z "$(ls -A out2)" ] || fail "output left behind"
echo ok
