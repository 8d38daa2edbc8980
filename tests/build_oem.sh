# SPDX-License-Identifier: MIT
# vcompose build of a bootable (oem) image as nobody, signed: a tree with
# Debian's systemd-boot, stub and kernel, a busybox initrd given with
# --initrd; KIWI's format="qcow2" and partition numbers efipart_id="3"
# rootpart_id="1". Checked with sfdisk, fsck.fat, mtools, objdump, sbverify,
# veritysetup, openssl cms, qemu-img check and compare; then the qcow2 is
# booted under OVMF (qemu TCG) through our GPT (the ESP in entry 3), our
# FAT, systemd-boot and our UKI to the initrd, which prints the command
# line it got (with our roothash=).
. "$VC_SOURCE_DIR/tests/build_lib.sh"
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
for f in "$code" "$vars"; do
	[ -e "$f" ] || { echo "SKIP: missing $f"; exit 77; }
done
export SOURCE_DATE_EPOCH=1700000000
oem_inputs VCOMPOSE-OEM-BOOTED
sed -i 's/<type image="oem"/<type image="oem" format="qcow2" efipart_id="3" rootpart_id="1"/' config.xml
scratch out
vc build config.xml --root tree -o out --initrd initrd.img --key key.pem --cert cert.pem >/dev/null
hash=$(cat out/oem.roothash)
m=out/oem.manifest.json
ls out | sort | tr '\n' ' ' |
	grep -qx 'oem.efi oem.manifest.json oem.qcow2 oem.raw oem.roothash oem.roothash.p7s ' ||
	fail "outputs: $(ls out)"

# GPT: esp, root, root-verity, root-verity-sig on disk; entries root 1,
# root-verity 2, esp 3 (efipart_id), root-verity-sig 4
sfdisk -V out/oem.raw >/dev/null || fail "sfdisk -V"
sfdisk --json out/oem.raw | python3 -c '
import json, sys
p = json.load(sys.stdin)["partitiontable"]["partitions"]
want = [("1", "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"), ("2", "2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5"),
        ("3", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"), ("4", "41092B05-9FC8-4523-994F-2DEF0408B176")]
assert [(x["node"].rsplit("raw", 1)[1], x["type"]) for x in p] == want, p
starts = {x["type"]: x["start"] for x in p}
assert starts["C12A7328-F81F-11D2-BA4B-00A0C93EC93B"] == 2048, p  # the ESP is first on disk
' || fail "partition types and numbers"
vc inspect --json out/oem.raw | python3 -c '
import json, sys
p = json.load(sys.stdin)["disk"]["partitions"]
assert [(x["number"], x["type"]) for x in p] == [(1, "root"), (2, "root-verity"), (3, "esp"),
                                                  (4, "root-verity-sig")], p
' || fail "inspect --json: partition numbers"

# qcow2: clean, equal to the raw disk, listed in the manifest
qemu-img check out/oem.qcow2 >/dev/null || fail "qemu-img check oem.qcow2"
qemu-img compare -f raw -F qcow2 out/oem.raw out/oem.qcow2 >/dev/null || fail "qemu-img compare"
[ "$(python3 -c 'import json,sys; print([a["size"] for a in json.load(open(sys.argv[1]))["artifacts"] if a["file"] == "oem.qcow2"][0])' $m)" = "$(stat -c %s out/oem.qcow2)" ] ||
	fail "oem.qcow2 not in the manifest"

# ESP: a clean FAT with systemd-boot and our UKI
extract out/oem.raw $m 0 esp.img
fsck.fat -n esp.img >/dev/null || fail "fsck.fat"
mdir -i esp.img -/ -b :: | sort > esp.list
grep -qx '::/EFI/BOOT/BOOTX64.EFI' esp.list || fail "no BOOTX64.EFI: $(cat esp.list)"
grep -qx '::/EFI/Linux/oem-2.0.efi' esp.list || fail "no UKI in EFI/Linux"
grep -qx '::/loader/loader.conf' esp.list || fail "no loader.conf"
mcopy -i esp.img ::EFI/Linux/oem-2.0.efi esp-uki.efi
cmp esp-uki.efi out/oem.efi || fail "UKI on the ESP differs from uki.efi"
mcopy -i esp.img ::EFI/BOOT/BOOTX64.EFI boot.efi
cmp boot.efi "$sdboot" || fail "BOOTX64.EFI is not systemd-boot"

# UKI: sections, command line with our root hash
objdump -h out/oem.efi > sections
for s in .osrel .cmdline .uname .initrd .linux; do
	grep -q " $s " sections || fail "UKI lacks $s"
done
objcopy -O binary --only-section=.cmdline out/oem.efi cmdline.bin
tr -d '\0' < cmdline.bin > cmdline.txt
grep -q "roothash=$hash" cmdline.txt || fail "cmdline lacks roothash: $(cat cmdline.txt)"
grep -q "console=ttyS0" cmdline.txt || fail "console not on the cmdline"
# unsigned: sbverify parses it without a warning (sections inside the file,
# checksum areas inside the image) and finds no signature table
sbverify --list out/oem.efi > sblist.txt 2>&1 || fail "sbverify --list cannot read the UKI"
[ "$(cat sblist.txt)" = "No signature table present" ] || fail "sbverify --list: $(cat sblist.txt)"

# verity and signature
extract out/oem.raw $m 1 root.img
extract out/oem.raw $m 2 verity.img
veritysetup verify root.img verity.img "$hash" || fail "veritysetup verify"
printf %s "$hash" > hash.txt
openssl cms -verify -binary -inform DER -in out/oem.roothash.p7s -content hash.txt \
	-certfile cert.pem -CAfile cert.pem -purpose any -out /dev/null 2>/dev/null ||
	fail "openssl cms -verify of roothash.p7s"
extract out/oem.raw $m 3 sig.img
python3 - "$hash" <<'PY' || fail "signature partition"
import base64, hashlib, json, ssl, sys
blob = open("sig.img", "rb").read()
j = json.loads(blob.rstrip(b"\0"))
assert j["rootHash"] == sys.argv[1], j
der = ssl.PEM_cert_to_DER_cert(open("cert.pem").read())
assert j["certificateFingerprint"] == hashlib.sha256(der).hexdigest(), j
assert base64.b64decode(j["signature"]) == open("out/oem.roothash.p7s", "rb").read()
PY

# boot it
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu"; exit 77; }
cp "$vars" vars.fd
cp out/oem.qcow2 disk.qcow2
set +e
timeout 200 qemu-system-x86_64 -accel tcg -machine q35 -m 512 -nographic -no-reboot \
	-nic none -monitor none -serial file:serial.log \
	-drive if=pflash,format=raw,unit=0,readonly=on,file="$code" \
	-drive if=pflash,format=raw,unit=1,file=vars.fd \
	-drive if=virtio,format=qcow2,file=disk.qcow2 </dev/null >qemu.out 2>&1
rc=$?
set -e
tr -d '\r' < serial.log > serial.txt || true
grep -q '^VCOMPOSE-OEM-BOOTED$' serial.txt || {
	echo "qemu exit $rc" >&2; tail -n 40 serial.txt >&2; fail "the image did not boot to the initrd"; }
grep -q "^CMDLINE=\[.*roothash=$hash" serial.txt || fail "the kernel did not get our roothash="
echo ok
