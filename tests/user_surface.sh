# SPDX-License-Identifier: MIT
# What a user touches (issue 21), one section per item; each fails without
# its fix.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
export SOURCE_DATE_EPOCH=1700000000
ex=$VC_SOURCE_DIR/examples/minimal
scratch w

# The output folder is made when missing, with its parents; a failed build
# leaves none of the folders it made.
vc build "$ex/config.xml" --root "$ex/root" -o w/new/deeper/out > /dev/null ||
	fail "build into a missing output folder"
[ -f w/new/deeper/out/minimal.raw ] || fail "no image in the folder made for it"
echo '<image' > w/bad.xml
expect_exit 1 "bad.xml" build w/bad.xml --root "$ex/root" -o w/made/for/nothing
[ ! -e w/made ] || fail "a failed build left the folders it made: $(find w/made)"
: > w/file
expect_exit 1 "not a folder" build "$ex/config.xml" --root "$ex/root" -o w/file/out

# --sdboot: systemd-boot from a file when the tree has none
mkdir oem && cd oem
oem_inputs SDBOOT-MARKER
rm tree/usr/lib/systemd/boot/efi/systemd-boot*.efi
scratch out
expect_exit 1 "give --sdboot" build config.xml --root tree --initrd initrd.img -o out
vc build config.xml --root tree --initrd initrd.img --sdboot "$sdboot" -o out > /dev/null ||
	fail "build with --sdboot"
off=$(part_field out/oem.manifest.json 0 offset)
mcopy -n -i "out/oem.raw@@$off" ::/EFI/BOOT/BOOTX64.EFI boot.efi
cmp -s boot.efi "$sdboot" || fail "the ESP's BOOTX64.EFI is not the --sdboot file"
cp "$sdboot" tree/usr/lib/systemd/boot/efi/

# roothash=: only the word counts. mymod.roothash=1 is not it: ours is still
# appended. A roothash= word equal to ours stands; another is refused.
sed 's/panic=-1 quiet/panic=-1 mymod.roothash=1/' config.xml > c1.xml
scratch o1
vc build c1.xml --root tree --initrd initrd.img -o o1 > /dev/null || fail "build with mymod.roothash=1"
h=$(cat o1/oem.roothash)
json_get o1/oem.manifest.json cmdline | grep -q " roothash=$h" ||
	fail "mymod.roothash=1 stopped roothash= from being added: $(json_get o1/oem.manifest.json cmdline)"
sed "s/panic=-1 quiet/panic=-1 roothash=$h/" config.xml > c2.xml
scratch o2
vc build c2.xml --root tree --initrd initrd.img -o o2 > /dev/null || fail "build with roothash=<ours>"
[ "$(json_get o2/oem.manifest.json cmdline | grep -o "roothash=" | wc -l)" = 1 ] ||
	fail "roothash= twice: $(json_get o2/oem.manifest.json cmdline)"
sed "s/panic=-1 quiet/panic=-1 roothash=00$h/" config.xml > c3.xml
scratch o3
expect_exit 1 "is not the image's root hash" build c3.xml --root tree --initrd initrd.img -o o3
[ -z "$(ls o3)" ] || fail "a refused build left $(ls o3)"

# A key file that also holds its certificate signs alone (KIWI issue 2801's
# config names only verity_signature_key); a key alone says how to add one;
# --key/--cert override a config that names only the key.
cat key.pem cert.pem > both.pem
chmod a+r both.pem
sed 's|verity_partition="true"|verity_partition="true" verity_signature_key="both.pem"|' config.xml > c4.xml
scratch o4
vc build c4.xml --root tree --initrd initrd.img -o o4 > /dev/null || fail "build with a key+certificate PEM"
[ -s o4/oem.roothash.p7s ] || fail "no signature from the key+certificate PEM"
# verify's trust order: one changed byte in the root partition is one FAIL
# (the verity check); the claims about the root hash (the UUIDs, the
# signature's rootHash and PKCS#7, roothash=) are "not checked", never FAIL.
cp o4/oem.raw flip.raw
python3 - flip.raw $(($(part_field o4/oem.manifest.json 1 offset) + 1000000)) <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))
PY
set +e
vc verify flip.raw --cert cert.pem > v.out 2> v.err
rc=$?
vc verify flip.raw --cert cert.pem --json > v.json
set -e
[ "$rc" = 1 ] || { cat v.out v.err >&2; fail "verify of a changed root partition: exit $rc, expected 1"; }
[ "$(grep -c '^FAIL' v.out)" = 1 ] && grep '^FAIL' v.out | grep -q 'verity: data block' ||
	{ cat v.out >&2; fail "verify of one changed root byte: not exactly one FAIL, the verity check's"; }
for what in "partition UUIDs" 'signature JSON "rootHash"' "PKCS#7 signature" "roothash="; do
	grep '^not checked' v.out | grep -qF "$what" ||
		{ cat v.out >&2; fail "verify: '$what' is not reported as not checked"; }
done
grep -q "1 of .* checks failed, 4 not checked" v.err || { cat v.err >&2; fail "verify's summary"; }
python3 - v.json <<'PY' || fail "verify --json: statuses"
import json, sys
d = json.load(open(sys.argv[1]))
st = [c["status"] for c in d["checks"]]
assert d["failed"] == 1 and d["not_checked"] == 4 and not d["ok"], (d["failed"], d["not_checked"])
assert st.count("failed") == 1 and st.count("not_checked") == 4, st
assert all(c["ok"] == (c["status"] == "ok") for c in d["checks"])
PY
printf '%s' "$(cat o4/oem.roothash)" | tr -d '\n' > rh.txt
openssl cms -verify -binary -inform DER -in o4/oem.roothash.p7s -content rh.txt \
	-certfile cert.pem -CAfile cert.pem -purpose any -out /dev/null 2>/dev/null ||
	fail "openssl cms -verify of the signature made with the key+certificate PEM"
sed 's|verity_partition="true"|verity_partition="true" verity_signature_key="key.pem"|' config.xml > c5.xml
scratch o5
expect_exit 1 "holds a key but no certificate" build c5.xml --root tree --initrd initrd.img -o o5
grep -q "openssl req -x509" "$VC_TMP/.err" || fail "the message does not say how to make a certificate"
scratch o6
vc build c5.xml --root tree --initrd initrd.img --key key.pem --cert cert.pem -o o6 > /dev/null ||
	fail "--key/--cert do not override a config naming only the key"
[ -s o6/oem.roothash.p7s ] || fail "no signature with --key/--cert"
cd ..
echo ok
