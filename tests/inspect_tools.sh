# SPDX-License-Identifier: MIT
# vcompose verify and inspect on a disk made only by the standard tools, laid
# out as systemd-repart does: mkfs.fat + mcopy (a FAT32 ESP with long names),
# mkfs.erofs (root), veritysetup format (root-verity), openssl cms (the
# detached signature, with signed attributes and the certificate, in the DPS
# JSON), sfdisk (GPT, partition UUIDs from the root hash). Then one byte of
# the root data, of the hash tree and of the signature is changed.
. "$VC_SOURCE_DIR/tests/lib.sh"
for t in mkfs.erofs veritysetup sfdisk openssl mkfs.fat mcopy python3; do
	command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
flip() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 90)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
uuid() { echo "$1" | sed -E 's/(.{8})(.{4})(.{4})(.{4})(.{12})/\1-\2-\3-\4-\5/'; }

cp -a "$VC_SOURCE_DIR/examples/minimal/root" tree
awk 'BEGIN { for (i = 0; i < 30000; i++) printf "line %011d\n", i * 7919 }' > tree/data.txt
mkfs.erofs -T 1700000000 -U 6f1f5d3a-2c4b-4e8a-9d7c-0123456789ab root.img tree >/dev/null 2>&1 ||
	fail "mkfs.erofs"
veritysetup format root.img hash.img > vs.out || fail "veritysetup format"
hash=$(sed -n 's/^Root hash:[[:space:]]*//p' vs.out)
[ ${#hash} = 64 ] || fail "no root hash from veritysetup: $(cat vs.out)"
printf %s "$hash" > hash.txt
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 3650 \
	-subj "/CN=tools-test/O=vcompose" -set_serial 0x1234 2>/dev/null
openssl cms -sign -binary -in hash.txt -signer cert.pem -inkey key.pem -outform DER -out sig.p7s ||
	fail "openssl cms -sign"
openssl cms -verify -binary -inform DER -in sig.p7s -content hash.txt -CAfile cert.pem \
	-purpose any -out /dev/null 2>/dev/null || fail "openssl cannot verify its own signature"
fp=$(openssl x509 -in cert.pem -outform DER | sha256sum | cut -c1-64)
printf '{"rootHash":"%s","certificateFingerprint":"%s","signature":"%s"}' "$hash" "$fp" \
	"$(base64 -w0 sig.p7s)" > sig.json
# the ESP: FAT32 from mkfs.fat, files with long and short names
mkdir -p esp/EFI/Linux esp/loader
echo "timeout 0" > esp/loader/loader.conf
head -c 70000 /dev/zero | tr '\0' 'u' > "esp/EFI/Linux/a rather long file name.txt"
truncate -s 40M esp.img
mkfs.fat -F 32 -n TOOLSESP esp.img >/dev/null || fail "mkfs.fat"
mcopy -s -i esp.img esp/EFI esp/loader ::/ || fail "mcopy"

mib() { echo $(( ($(stat -c %s "$1") + 1048575) / 1048576 )); }
rs=$(mib root.img); hs=$(mib hash.img)
truncate -s $((1 + 40 + rs + hs + 1 + 1))M disk.raw
u1=$(uuid "$(echo "$hash" | cut -c1-32)"); u2=$(uuid "$(echo "$hash" | cut -c33-64)")
sfdisk -q disk.raw <<EOF2 || fail "sfdisk"
label: gpt
start=1MiB, size=40MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=ESP
size=${rs}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$u1, name=root, attrs="GUID:60"
size=${hs}MiB, type=2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5, uuid=$u2, name=root-verity, attrs="GUID:60"
size=1MiB, type=41092B05-9FC8-4523-994F-2DEF0408B176, name=root-verity-sig
EOF2
put() { dd if="$1" of=disk.raw bs=1M seek="$2" conv=notrunc status=none; }
put esp.img 1
put root.img 41
put hash.img $((41 + rs))
put sig.json $((41 + rs + hs))
chmod a+r disk.raw
sfdisk -V disk.raw >/dev/null || fail "sfdisk -V"

# everything holds, and inspect sees what the tools wrote
vc verify --cert cert.pem --roothash "$hash" disk.raw > v.out || fail "verify: $(cat v.out)"
grep -q "PKCS#7 signature of the root hash verifies with cert.pem" v.out || fail "signature: $(cat v.out)"
grep -q "^ok   gpt: partition UUIDs of root (partition 2) and root-verity (partition 3) are the halves" v.out ||
	fail "UUIDs: $(cat v.out)"
grep -q "^ok   ESP (partition 1): FAT chains, sizes and copies consistent" v.out || fail "FAT: $(cat v.out)"
vc inspect --json disk.raw > insp.json
mdir -i esp.img -/ -b :: | sed 's|^::||' | sort > mdir.list
python3 - "$hash" <<'PY' || fail "inspect of the tools' disk"
import json, sys
i = json.load(open("insp.json"))
assert i["errors"] == [], i["errors"]
esp, root, verity, sig = i["disk"]["partitions"]
f = esp["fat"]
assert f["type"] == "FAT32" and f["label"] == "TOOLSESP", f
paths = sorted(x["path"] + ("/" if x["type"] == "directory" else "") for x in f["files"])
want = sorted(l.strip() for l in open("mdir.list") if l.strip())
assert paths == want, (paths, want)
big = [x for x in f["files"] if x["path"] == "/EFI/Linux/a rather long file name.txt"][0]
assert big["size"] == 70000, big
e = root["erofs"]
assert e["uuid"] == "6f1f5d3a-2c4b-4e8a-9d7c-0123456789ab" and e["build_time"] == 1700000000, e
assert e["checksum_ok"] is True and e["files"] == 5 and e["symlinks"] == 1, e
assert verity["verity"]["root_hash"] == sys.argv[1], verity
s = sig["signature"]["signer"]
assert s["signed_attributes"] is True and s["subject"] == "CN=tools-test, O=vcompose", s
assert s["serial"] == "1234", s
PY

# one byte of the root data, of the hash tree's level 0, of the signature
dblocks=$(( $(stat -c %s root.img) / 4096 ))
cp disk.raw t1.raw && flip t1.raw $((41 * 1048576 + (dblocks - 1) * 4096 + 17))
set +e; $VC_RUN "$VCOMPOSE" verify -q --cert cert.pem t1.raw > t.out; rc=$?; set -e
[ $rc = 1 ] || fail "root data flip: exit $rc"
grep -q "^FAIL root (partition 2): verity: data block $((dblocks - 1)) at offset $((41 * 1048576 + (dblocks - 1) * 4096)) " t.out ||
	fail "root data flip not named: $(cat t.out)"
cp disk.raw t2.raw && flip t2.raw $(((41 + rs) * 1048576 + 4096 + 40))
set +e; $VC_RUN "$VCOMPOSE" verify -q t2.raw > t.out; rc=$?; set -e
[ $rc = 1 ] || fail "hash flip: exit $rc"
grep -q "^FAIL root-verity (partition 3): verity level 0 block 0 at offset $(((41 + rs) * 1048576 + 4096)) differs" t.out ||
	fail "hash flip not named: $(cat t.out)"
grep -q "^FAIL root (partition 2)" t.out && fail "hash flip blamed on the data: $(cat t.out)"
# the signed attributes are covered too: change the signing time's last digit
sz=$(stat -c %s sig.p7s)
off=$(grep -aboE '[0-9]{12}Z' sig.p7s | tail -n 1 | cut -d: -f1)  # after the certificate's dates
[ -n "$off" ] || fail "no signingTime in the CMS signature"
cp sig.p7s bad.p7s
c=$(dd if=sig.p7s bs=1 skip=$((off + 11)) count=1 status=none | tr 0-9 1-90)
printf %s "$c" | dd of=bad.p7s bs=1 seek=$((off + 11)) conv=notrunc status=none
[ "$(stat -c %s bad.p7s)" = "$sz" ] || fail "bad.p7s size"
printf '{"rootHash":"%s","certificateFingerprint":"%s","signature":"%s"}' "$hash" "$fp" \
	"$(base64 -w0 bad.p7s)" > bad.json
cp disk.raw t3.raw && dd if=bad.json of=t3.raw bs=1M seek=$((41 + rs + hs)) conv=notrunc status=none
set +e; $VC_RUN "$VCOMPOSE" verify -q --cert cert.pem t3.raw > t.out; rc=$?; set -e
[ $rc = 1 ] || fail "signed attribute change: exit $rc"
grep -q "^FAIL root-verity-sig (partition 4): PKCS#7 signature of the root hash: PKCS#7: the signature does not verify" t.out ||
	fail "signed attribute change not named: $(cat t.out)"
echo ok
