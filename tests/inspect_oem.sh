# SPDX-License-Identifier: MIT
# vcompose inspect / verify / diff on a signed, bootable (oem) image from
# vcompose build, as nobody: inspect --json against the manifest, openssl's
# view of the certificate and the ESP's files; verify passes with the right
# certificate and fails, naming the place, with a wrong one, after a byte of
# the UKI's .cmdline or of the signature JSON is changed; diff of two builds
# with different SOURCE_DATE_EPOCH names the time fields and derived ids.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
# put BYTE at OFFSET of FILE
poke() { printf %s "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# the byte offset of the first match of a fixed string in a file
find_off() { grep -aboF -m1 -- "$2" "$1" | head -n 1 | cut -d: -f1; }

oem_inputs VCOMPOSE-INSPECT
# another signer, and an impostor with the same name and serial but another key
openssl req -x509 -newkey rsa:2048 -nodes -keyout k2.pem -out other.pem -days 3650 \
	-subj /CN=someone-else -set_serial 9 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout k3.pem -out impostor.pem -days 3650 \
	-subj /CN=vcompose-test -set_serial 7 2>/dev/null
scratch out
scratch out2
SOURCE_DATE_EPOCH=1700000000 vc build config.xml --root tree -o out --initrd initrd.img --key key.pem --cert cert.pem -q
SOURCE_DATE_EPOCH=1700000999 vc build config.xml --root tree -o out2 --initrd initrd.img --key key.pem --cert cert.pem -q
img=out/oem.raw
hash=$(cat out/oem.roothash)

# inspect --json: the manifest, the certificate, the ESP
vc inspect --json $img > insp.json
openssl x509 -in cert.pem -outform DER | sha256sum | cut -c1-64 > fp.txt
python3 - "$(cat fp.txt)" <<'PY' || fail "inspect --json of the oem image"
import json, sys
i = json.load(open("insp.json")); m = json.load(open("out/oem.manifest.json"))
assert i["errors"] == [], i["errors"]
d = i["disk"]
assert d["guid"] == m["disk"]["guid"]
for p, q in zip(d["partitions"], m["disk"]["partitions"]):
    for k in ("type", "label", "uuid", "offset", "size"):
        assert p[k] == q[k], (k, p[k], q[k])
esp, root, verity, sig = d["partitions"]
assert [p["content"] for p in d["partitions"]] == ["fat", "erofs", "verity", "verity-signature"]
assert verity["verity"]["root_hash"] == m["root_hash"]
assert root["erofs"]["compression"] == "lz4" and root["erofs"]["build_time"] == m["source_date_epoch"]
files = {f["path"]: f for f in esp["fat"]["files"]}
uki = "/EFI/Linux/oem-2.0.efi"
art = {a["file"]: a for a in m["artifacts"]}
assert files[uki]["sha256"] == art["oem.efi"]["sha256"], files[uki]
assert files[uki]["size"] == art["oem.efi"]["size"]
assert files["/EFI/BOOT/BOOTX64.EFI"]["type"] == "file" and files["/loader/entries"]["type"] == "directory"
u = esp["fat"]["efi"][uki]
assert u["uki"] is True and u["authenticode_signed"] is False and u["checksum_ok"] is True, u
assert u["roothash"] == m["root_hash"] and u["usrhash"] is None, u
secs = {s["name"]: s for s in u["pe"]["sections"]}
for s in (".osrel", ".cmdline", ".uname", ".initrd", ".linux"):
    assert s in secs, (s, list(secs))
assert secs[".cmdline"]["text"] == m["cmdline"], (secs[".cmdline"]["text"], m["cmdline"])
assert secs[".uname"]["text"] == m["kernel"]
assert esp["fat"]["efi"]["/EFI/BOOT/BOOTX64.EFI"]["uki"] is False
s = sig["signature"]
assert s["root_hash"] == m["root_hash"] and s["certificate_fingerprint"] == sys.argv[1], s
assert s["signer"]["issuer"] == "CN=vcompose-test" and s["signer"]["serial"] == "07", s
assert s["signer"]["digest"] == "SHA256" and s["signer"]["signed_attributes"] is False, s
PY

# verify with the right certificate: everything holds
vc verify --cert cert.pem $img > v.out || fail "verify: $(cat v.out)"
grep -q "^ok   root-verity-sig (partition 4): PKCS#7 signature of the root hash verifies with cert.pem" v.out ||
	fail "signature not verified: $(cat v.out)"
grep -q "^ok   ESP (partition 1) /EFI/Linux/oem-2.0.efi .cmdline .*roothash= equals the root hash" v.out ||
	fail "roothash= not checked: $(cat v.out)"
grep -q "^ok   ESP (partition 1): FAT chains, sizes and copies consistent" v.out || fail "FAT not checked"
# the wrong certificate, and one with the signer's name and serial but another key
expect_exit 1 "checks failed" verify -q --cert other.pem $img
grep -q "^FAIL root-verity-sig (partition 4): PKCS#7 signature of the root hash: signed by issuer 'CN=vcompose-test' serial 07, not by the certificate other.pem" "$VC_TMP/.out" ||
	fail "wrong certificate not named: $(cat "$VC_TMP/.out")"
grep -q "^FAIL root-verity-sig (partition 4): certificateFingerprint is not the SHA-256 of other.pem" "$VC_TMP/.out" ||
	fail "fingerprint mismatch not named"
expect_exit 1 "checks failed" verify -q --cert impostor.pem $img
grep -q "PKCS#7 signature of the root hash: PKCS#7: the signature does not verify with the key of impostor.pem" "$VC_TMP/.out" ||
	fail "impostor not caught: $(cat "$VC_TMP/.out")"
expect_exit 3 "nothere.pem" verify --cert nothere.pem $img

# one byte of the root hash on the UKI's command line (on the ESP)
at=$(find_off $img "roothash=$hash")
[ -n "$at" ] || fail "no roothash= in the image"
cp $img t-cmd.raw && poke t-cmd.raw $((at + 9 + 10)) "$(printf %s "$hash" | cut -c11 | tr 0-9a-f 1-9a-f0)"
set +e; $VC_RUN "$VCOMPOSE" verify -q --cert cert.pem t-cmd.raw > t.out; rc=$?; set -e
[ $rc = 1 ] || fail "verify after a .cmdline change: exit $rc"
grep -q "^FAIL ESP (partition 1) /EFI/Linux/oem-2.0.efi .cmdline (file offset [0-9]*): roothash= .* differs from the recomputed root hash $hash" t.out ||
	fail ".cmdline change not named: $(cat t.out)"
grep -q "^FAIL ESP (partition 1) /EFI/Linux/oem-2.0.efi: PE CheckSum" t.out || fail "PE checksum not checked: $(cat t.out)"
# a byte of the signature JSON's signature (still base64)
at=$(find_off $img '"signature":"')
cp $img t-sig.raw && poke t-sig.raw $((at + 13 + 200)) "$(dd if=$img bs=1 skip=$((at + 13 + 200)) count=1 status=none | tr 'A-Za-z0-9+/' 'B-ZAb-za1-90/+')"
set +e; $VC_RUN "$VCOMPOSE" verify -q --cert cert.pem t-sig.raw > t.out; rc=$?; set -e
[ $rc = 1 ] || fail "verify after a signature change: exit $rc"
grep -q "^FAIL root-verity-sig (partition 4): PKCS#7 signature of the root hash: " t.out || fail "signature change not named: $(cat t.out)"
# a byte of the signature JSON's rootHash
at=$(find_off $img '"rootHash":"')
cp $img t-rh.raw && poke t-rh.raw $((at + 12 + 3)) "$(printf %s "$hash" | cut -c4 | tr 0-9a-f 1-9a-f0)"
set +e; $VC_RUN "$VCOMPOSE" verify -q --cert cert.pem t-rh.raw > t.out; rc=$?; set -e
[ $rc = 1 ] || fail "verify after a rootHash change: exit $rc"
grep -q "^FAIL root-verity-sig (partition 4): signature JSON \"rootHash\" .* differs from the recomputed root hash $hash" t.out ||
	fail "rootHash change not named: $(cat t.out)"

# diff: two builds a SOURCE_DATE_EPOCH apart
set +e; $VC_RUN "$VCOMPOSE" diff $img out2/oem.raw > d.out; rc=$?; set -e
[ $rc = 1 ] || fail "diff of different builds: exit $rc"
for want in \
	"gpt: GPT primary header fields HeaderCRC32, DiskGUID, PartitionEntryArrayCRC32" \
	"gpt: GPT entry 2 field UniquePartitionGUID" \
	"ESP (partition 1): FAT boot sector field volume id" \
	"ESP (partition 1): /EFI/Linux/oem-2.0.efi: PE header TimeDateStamp (1700000000 vs 1700000999)" \
	"ESP (partition 1): /EFI/Linux/oem-2.0.efi: PE section .cmdline" \
	"root (partition 2): EROFS superblock fields checksum, build_time, uuid" \
	"root-verity (partition 3): verity superblock fields uuid, salt" \
	"root-verity (partition 3): verity level 0 block 0" \
	"root-verity-sig (partition 4): signature JSON \"rootHash\"" \
	"root-verity-sig (partition 4): signature JSON \"signature\""; do
	grep -qF -- "$want" d.out || fail "diff lacks '$want': $(cat d.out)"
done
grep -q "directory entry of /EFI/Linux/oem-2.0.efi fields .*wtime" d.out || fail "diff lacks FAT times: $(cat d.out)"
# the standalone UKIs: PE structure by name
set +e; $VC_RUN "$VCOMPOSE" diff out/oem.efi out2/oem.efi > d.out; rc=$?; set -e
[ $rc = 1 ] || fail "diff of the UKIs: exit $rc"
grep -q "^pe: PE: PE section .cmdline" d.out || fail "UKI diff: $(cat d.out)"
echo ok
