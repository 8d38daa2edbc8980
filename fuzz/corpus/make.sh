#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerates the seed corpora in fuzz/corpus/<target>/ with reference tools
# (GNU tar, cpio, gzip/xz/zstd/bzip2/lz4, GNU as + ld for PE, veritysetup,
# openssl). Run from anywhere; needs no root. Seeds stay small (a few KB);
# fuzz/run.sh adds the big real inputs (the systemd stub) at run time.
# Regression inputs (crash-*, named after the fix) are kept by hand.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
cd "$w"
export SOURCE_DATE_EPOCH=1700000000 TZ=UTC LC_ALL=C

# xmlcfg: the examples and a few variants
d=$here/xmlcfg; mkdir -p "$d"
cp "$src/examples/minimal/config.xml" "$d/minimal.xml"
cp "$src/examples/bootable/config.xml" "$d/bootable.xml"
sed 's/verity_partition="true"/embed_verity_metadata="true"/' "$src/examples/bootable/config.xml" > "$d/embedded.xml"
cat > "$d/profiles.xml" <<'XML'
<?xml version="1.0"?>
<image schemaversion="8.5" name="p">
  <description type="system"><author>a</author><contact>c</contact><specification>s</specification></description>
  <profiles><profile name="a" description="A"/><profile name="Live" description="L" import="true"/></profiles>
  <preferences profiles="a"><version>1.0</version>
    <type image="oem" filesystem="erofs" firmware="efi" seed="s" verity_blocks="all"
          efipartsize="64" kernelcmdline="console=ttyS0 root=&lt;data_device&gt;">
      <bootloader name="systemd_boot"><dracut><uki><kernel name="vmlinuz"/></uki>
        <install paths="/usr/sbin/veritysetup"/><add modules="systemd-veritysetup"/></dracut></bootloader>
    </type>
  </preferences>
  <preferences profiles="Live" arch="aarch64"><version>2.0</version><type image="oem" filesystem="erofs"/></preferences>
  <packages type="image"><package name="x"/></packages>
</image>
XML

# tree: one small folder in every archive format and filter
mkdir -p t/etc t/usr/bin t/dev
echo hello > t/etc/motd
printf '#!/bin/sh\n' > t/usr/bin/tool
ln t/usr/bin/tool t/usr/bin/tool2
ln -s usr/bin t/bin
chmod 4755 t/usr/bin/tool
d=$here/tree; mkdir -p "$d"
tarx() { tar --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner -C t "$@" .; }
tarx --format=ustar -b 1 -cf "$d/ustar.tar"
tarx --format=pax -b 1 -cf "$d/pax.tar"
tarx --format=gnu -b 1 -cf "$d/gnu.tar"
(cd t && find . | sort | cpio --quiet -o -H newc --reproducible) > "$d/newc.cpio"
(cd t && find . | sort | cpio --quiet -o -H odc) > "$d/odc.cpio"
gzip -9n < "$d/ustar.tar" > "$d/ustar.tar.gz"
xz -9 < "$d/pax.tar" > "$d/pax.tar.xz"
zstd -q -19 < "$d/gnu.tar" > "$d/gnu.tar.zst"
bzip2 -9 < "$d/newc.cpio" > "$d/newc.cpio.bz2"
lz4 -q -9 < "$d/ustar.tar" > "$d/ustar.tar.lz4"
printf 'x' > a
tar -b 1 --format=gnu -cf "$d/traversal.tar" --transform 's,^a$,../../a,' a
tar -b 1 --format=pax -cPf "$d/absolute.tar" "$w/a"

# mtree: hand-written manifests in the formats libarchive reads
d=$here/mtree; mkdir -p "$d"
printf '#mtree\n./etc type=dir mode=0755 uid=0 gid=0\n./etc/passwd type=file mode=0644 uid=0 gid=0\n./usr/bin/sh type=file mode=4711 uid=0 gid=0\n./dev type=dir mode=0755\n./dev/console type=char mode=0600 uid=0 gid=5 device=native,5,1\n' > "$d/basic.mtree"
printf '#mtree\n/set type=file uid=0 gid=0 mode=0644\n./etc/shadow mode=0600\n/unset all\n./usr type=dir mode=0755\n./usr/bin/sh type=link link=busybox\n./dev/sda type=block device=native,8,0\n./run type=fifo\n' > "$d/set.mtree"
printf '#mtree\n. type=dir\n etc type=dir mode=0700\n  passwd type=file time=1.5 size=27\n ..\n usr\\040x type=dir\n..\n' > "$d/relative.mtree"

# pe and uki: a small EFI application linked by GNU ld, with .sbat and .sdmagic
cat > t.s <<'ASM'
	.text
	.globl efi_main
efi_main:
	xorl %eax, %eax
	ret
	.section .sdmagic,"a"
	.ascii "#### LoaderInfo: systemd-stub fuzz ####\0"
	.section .sbat,"a"
	.ascii "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
	.ascii "systemd,1,The systemd Developers,systemd,252,https://systemd.io/\n"
	.data
	.long 42
ASM
as --64 -o t.o t.s
ld -m i386pep --subsystem 10 -e efi_main --file-alignment 0x200 --section-alignment 0x1000 -o t.efi t.o
ld -m i386pep --subsystem 10 -e efi_main --file-alignment 0x200 --section-alignment 0x1000 -s -o ts.efi t.o
for target in pe uki; do
	d=$here/$target; mkdir -p "$d"
	cp t.efi "$d/ld-efi-app.efi"
	cp ts.efi "$d/ld-efi-app-stripped.efi"
done
{ cat ts.efi; printf '\n--cut--sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\nfuzz,1,Fuzz,fuzz,1,none\n'; } > "$here/uki/with-sbat"
if [ -e /usr/lib/systemd/boot/efi/linuxx64.efi.stub ]; then
	head -c 4096 /usr/lib/systemd/boot/efi/linuxx64.efi.stub > "$here/pe/stub-head-4k"
fi

# verity: superblocks written by veritysetup format
d=$here/verity; mkdir -p "$d"
head -c 65536 /dev/zero > data
vs() { name=$1; shift; rm -f hash; veritysetup format data hash "$@" > /dev/null; head -c 512 hash > "$d/$name"; }
vs default --salt 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff --uuid 12345678-1234-4234-9234-123456789abc
vs blocks512 --data-block-size 512 --hash-block-size 512 --salt 01 --uuid 12345678-1234-4234-9234-123456789abc
vs nosalt --salt - --uuid 12345678-1234-4234-9234-123456789abc
vs sha1 --hash sha1 --salt 02 --uuid 12345678-1234-4234-9234-123456789abc
vs format0 --format 0 --salt 03 --uuid 12345678-1234-4234-9234-123456789abc
vs salt256 --salt $(printf 'ab%.0s' $(seq 256)) --uuid 12345678-1234-4234-9234-123456789abc

# sign_key: key "\n--cut--" certificate, made by openssl
d=$here/sign_key; mkdir -p "$d"
pair() { name=$1; key=$2; cert=$3; { cat "$key"; printf '\n--cut--'; cat "$cert"; } > "$d/$name"; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.pem -out rsa.crt -days 3650 -subj /CN=fuzz -set_serial 1 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.pem -out ec.crt -days 3650 -subj /CN=fuzz -set_serial 2 2>/dev/null
openssl pkey -in ec.pem -outform DER -out ec.der
openssl x509 -in ec.crt -outform DER -out ec.crt.der
openssl pkcs8 -topk8 -in ec.pem -passout pass:fuzz -v2 aes-128-cbc -out ec-enc.pem
openssl ec -in ec.pem -out ec-sec1.pem 2>/dev/null
pair rsa-pem rsa.pem rsa.crt
pair ec-der ec.der ec.crt.der
pair ec-encrypted ec-enc.pem ec.crt
pair ec-sec1-chain ec-sec1.pem ec.crt
cat rsa.crt >> "$d/ec-sec1-chain"
pair mismatch ec.pem rsa.crt

# text: hex, UUIDs, sizes
d=$here/text; mkdir -p "$d"
printf 'e48da609055204e89ae53b655ca2216dd983cf3cb829f34f63a297d106d53e2d' > "$d/hex"
printf '12345678-1234-4234-9234-123456789ABC' > "$d/uuid"
printf '0x1000' > "$d/hexnum"; printf '64M' > "$d/size"; printf '18446744073709551615' > "$d/max"
