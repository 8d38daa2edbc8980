# SPDX-License-Identifier: MIT
# The target architecture: what the tree's programs run on (the ELF
# machine of /usr/bin/sh), and for an oem image the stub's PE machine, which
# must agree. It names the GPT types (root-arm64, ...) and the removable-media
# boot file (BOOTAA64.EFI, ...). An arm64 stub is made here by changing the
# machine field of Debian's x86-64 one; nothing boots it, the readers only
# look at names and types.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
boot_files
export SOURCE_DATE_EPOCH=1700000000
# set_machine FILE OFFSET VALUE: a little-endian 16-bit field
set_machine() {
	python3 -c 'import struct,sys; f=open(sys.argv[1],"r+b"); f.seek(int(sys.argv[2])); f.write(struct.pack("<H", int(sys.argv[3])))' "$@"
}
pe_machine_off() {
	python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(0x40); print(struct.unpack_from("<I", d, 0x3c)[0] + 4)' "$1"
}
types() { sfdisk --json "$1" | python3 -c 'import json,sys; print(" ".join(p["type"] for p in json.load(sys.stdin)["partitiontable"]["partitions"]))'; }
ROOT_X64=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
ROOT_ARM64=B921B045-1DF0-41C3-AF44-4C6F280D3FAE
VERITY_ARM64=DF3300CE-D69F-4C92-978C-9BFB0F38D820

ddi() { # NAME: a DDI of tree/ with verity in its own partition
	cat > ddi.xml <<XML
<image schemaversion="8.5" name="$1">
  <description type="system"><author>t</author><contact>t</contact><specification>t</specification></description>
  <preferences><version>1</version>
    <type image="ddi" filesystem="erofs" verity_blocks="all" verity_partition="true"/>
  </preferences>
</image>
XML
	scratch "o-$1"
	vc build ddi.xml --root tree -o "o-$1" >/dev/null
}

# a DDI: the tree's /usr/bin/sh decides
mkdir -p tree/usr/bin
cp /bin/busybox tree/usr/bin/sh
chmod -R a+rX tree
ddi x
set -- $(types o-x/x.raw)
[ "$1" = $ROOT_X64 ] || fail "x86-64 tree: root type $1"
set_machine tree/usr/bin/sh 18 183 # EM_AARCH64
ddi a
set -- $(types o-a/a.raw)
[ "$1 $2" = "$ROOT_ARM64 $VERITY_ARM64" ] || fail "arm64 tree: types $*"
vc verify o-a/a.raw > v.out || fail "verify of the arm64 DDI: $(cat v.out)"

# an oem image: a tree without programs, with an arm64 stub and systemd-boot
rm -r tree
mkdir -p tree/boot tree/usr/lib/systemd/boot/efi tree/etc
cp "$stub" tree/usr/lib/systemd/boot/efi/linuxaa64.efi.stub
cp "$sdboot" tree/usr/lib/systemd/boot/efi/systemd-bootaa64.efi
set_machine tree/usr/lib/systemd/boot/efi/linuxaa64.efi.stub \
	"$(pe_machine_off "$stub")" 43620 # 0xaa64
cp "$kernel" tree/boot/
# the UKI writer checks that kernel and stub agree: an "arm64" kernel too
set_machine "tree/boot/${kernel#/boot/}" "$(pe_machine_off "$kernel")" 43620
printf 'ID=test\n' > tree/etc/os-release
chmod -R a+rX tree
head -c 4096 /dev/zero > initrd.img
cat > oem.xml <<XML
<image schemaversion="8.5" name="oem">
  <description type="system"><author>t</author><contact>t</contact><specification>t</specification></description>
  <preferences><version>1</version>
    <type image="oem" filesystem="erofs" firmware="efi" verity_blocks="all" verity_partition="true">
      <bootloader name="systemd_boot" timeout="0"/>
    </type>
  </preferences>
</image>
XML
scratch o-oem
vc build oem.xml --root tree -o o-oem --initrd initrd.img >/dev/null
set -- $(types o-oem/oem.raw)
[ "$2 $3" = "$ROOT_ARM64 $VERITY_ARM64" ] || fail "arm64 stub: types $*"
extract o-oem/oem.raw o-oem/oem.manifest.json 0 esp.img
mdir -i esp.img -/ -b :: | sort > esp.list
grep -qx '::/EFI/BOOT/BOOTAA64.EFI' esp.list || fail "no BOOTAA64.EFI: $(cat esp.list)"
grep -qx '::/EFI/systemd/systemd-bootaa64.efi' esp.list || fail "no systemd-bootaa64.efi"
grep -q 'X64' esp.list && fail "an x86-64 boot file on an arm64 ESP: $(cat esp.list)"

# programs for one architecture, a stub for another: refused, both named
mkdir -p tree/usr/bin
cp /bin/busybox tree/usr/bin/sh
chmod -R a+rX tree
scratch o-bad
expect_exit 1 "linuxaa64.efi.stub: a stub for arm64, but the tree's /usr/bin/sh is a program for x86-64" \
	build oem.xml --root tree -o o-bad --initrd initrd.img
[ -z "$(ls -A o-bad)" ] || fail "output left behind"
echo ok
