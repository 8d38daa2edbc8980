#!/bin/sh
# SPDX-License-Identifier: MIT
# vcompose build against the chain of standard tools doing the same work on
# the same tree, in one run: mkfs.erofs (lz4hc), veritysetup format, openssl
# cms (root-hash signature), objcopy (UKI, as dracut --uefi builds it),
# mkfs.vfat + mcopy (ESP), sfdisk + dd (disk). dracut is excluded from both:
# both get the same initrd. Prints the median of RUNS runs of each and the
# ratio. Usage: bench/build.sh [TREE_DIR] [RUNS]  (needs a built vcompose)
#
# With dracut: bench/build.sh --dracut [ROOTFS.tar] [RUNS] builds
# examples/bootable (efipartsize set: dracut runs beside EROFS and verity)
# from the boot proof's Debian 12 tree (default
# /var/cache/vcompose/bookworm-bootable.tar), cold (an empty --cache) and
# warm (the cache filled), against the chain one after the other: tar -x,
# mkfs.erofs, veritysetup format, the tree's dracut in the tree (bwrap, as
# a chroot), objcopy, mkfs.vfat + mcopy, sfdisk + dd.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
vc=${VCOMPOSE:-$top/build/src/cli/vcompose}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/vc-bench.XXXXXX")
trap 'chmod -R u+rwX "$work" 2>/dev/null; rm -rf "$work"' EXIT
now() { date +%s.%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# The standard tools' steps, the same in both benchmarks.
# tools_root D TREE: D/root.erofs (mkfs.erofs, lz4hc) and D/root.verity
# (veritysetup format); sets hash.
tools_root() {
	mkfs.erofs --quiet -zlz4hc -T "$SOURCE_DATE_EPOCH" \
		-U 6e1d4b6a-9a4c-4b0e-8a0e-0f3e1b2c3d4e "$1/root.erofs" "$2" >/dev/null
	veritysetup format "$1/root.erofs" "$1/root.verity" \
		--salt=5579e7e0d244503aaf6296e1a5cc9ad93d20c2147007c2e0fd3054c621cc7efe \
		--uuid=8c2a5f4e-1d3b-4c5a-9e7f-0a1b2c3d4e5f > "$1/verity.txt"
	hash=$(sed -n 's/^Root hash:[[:space:]]*//p' "$1/verity.txt")
}
# tools_uki OUT STUB OSREL CMDLINE KERNEL INITRD: a UKI as dracut --uefi
# builds it, with objcopy.
tools_uki() {
	objcopy --add-section .osrel="$3" --change-section-vma .osrel=0x20000 \
		--add-section .cmdline="$4" --change-section-vma .cmdline=0x30000 \
		--add-section .linux="$5" --change-section-vma .linux=0x2000000 \
		--add-section .initrd="$6" --change-section-vma .initrd=0x3000000 \
		"$2" "$1"
}
# tools_disk D SDBOOT UKI NAME ESP_KB: the ESP (mkfs.vfat + mcopy: systemd-boot,
# the UKI as EFI/Linux/NAME.efi) and D/disk.raw (sfdisk + dd) holding it,
# D/root.erofs and D/root.verity.
tools_disk() {
	mkfs.vfat -C -n ESP "$1/esp.img" "$5" >/dev/null
	mmd -i "$1/esp.img" ::EFI ::EFI/BOOT ::EFI/Linux ::loader
	mcopy -i "$1/esp.img" "$2" ::EFI/BOOT/BOOTX64.EFI
	mcopy -i "$1/esp.img" "$3" "::EFI/Linux/$4.efi"
	e=$(mib "$1/esp.img"); r=$(mib "$1/root.erofs"); v=$(mib "$1/root.verity")
	truncate -s $(( (e + r + v + 4) * 1048576 )) "$1/disk.raw"
	printf 'label: gpt\nstart=2048, size=%dM, type=U\nsize=%dM, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709\nsize=%dM, type=2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5\n' \
		"$e" "$r" "$v" | sfdisk -q "$1/disk.raw"
	dd if="$1/esp.img" of="$1/disk.raw" bs=1M seek=1 conv=notrunc,sparse status=none
	dd if="$1/root.erofs" of="$1/disk.raw" bs=1M seek=$((1 + e)) conv=notrunc,sparse status=none
	dd if="$1/root.verity" of="$1/disk.raw" bs=1M seek=$((1 + e + r)) conv=notrunc,sparse status=none
}
mib() { echo $(( ($(stat -c %s "$1") + 1048575) / 1048576 )); }

if [ "${1:-}" = --dracut ]; then
	tar=${2:-/var/cache/vcompose/bookworm-bootable.tar}
	runs=${3:-1}
	[ -s "$tar" ] || { echo "no $tar (tests/e2e/boot.sh makes it)" >&2; exit 77; }
	export SOURCE_DATE_EPOCH=1700000000
	cfg=$top/examples/bootable/config.xml
	mkdir "$work/cache"
	cold() {
		rm -rf "$work/o" "$work/cold" && mkdir "$work/o" "$work/cold"
		"$vc" build "$cfg" --tar "$tar" -o "$work/o" --cache "$work/cold" -q
	}
	warm() {
		rm -rf "$work/o" && mkdir "$work/o"
		"$vc" build "$cfg" --tar "$tar" -o "$work/o" --cache "$work/cache" -q
	}
	chain() {
		d=$work/t
		chmod -R u+rwX "$d" 2>/dev/null || true
		rm -rf "$d" && mkdir -p "$d/tree"
		tar -xf "$tar" -C "$d/tree" --no-same-owner 2>/dev/null || true
		kver=$(ls "$d/tree/lib/modules" | head -n 1)
		tools_root "$d" "$d/tree"
		mkdir -p "$d/out"
		bwrap --unshare-user --unshare-pid --ro-bind "$d/tree" / --proc /proc --dev /dev \
			--tmpfs /tmp --tmpfs /var/tmp --bind "$d/out" /tmp/out -- \
			/usr/bin/env -i PATH=/usr/sbin:/usr/bin SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" \
			/usr/bin/dracut --force --no-hostonly --reproducible --no-uefi --kver "$kver" \
			--add "systemd systemd-initrd systemd-veritysetup dm" \
			--add-drivers "dm-mod dm-verity erofs virtio_blk virtio_pci virtio_scsi sd_mod ahci nvme" \
			--install /usr/sbin/veritysetup /tmp/out/initrd.img > "$d/dracut.log" 2>&1
		printf 'ro quiet console=ttyS0,115200 roothash=%s' "$hash" > "$d/cmdline"
		efi=$d/tree/usr/lib/systemd/boot/efi
		tools_uki "$d/uki.efi" "$efi/linuxx64.efi.stub" "$d/tree/etc/os-release" "$d/cmdline" \
			"$d/tree/boot/vmlinuz-$kver" "$d/out/initrd.img"
		tools_disk "$d" "$efi/systemd-bootx64.efi" "$d/uki.efi" bootable $((128 * 1024))
	}
	warm   # fills the cache and the page cache
	: > "$work/tc"; : > "$work/tw"; : > "$work/tt"
	for i in $(seq "$runs"); do
		t0=$(now); cold; t1=$(now); warm; t2=$(now); chain; t3=$(now)
		echo "$t1 - $t0" | bc >> "$work/tc"
		echo "$t2 - $t1" | bc >> "$work/tw"
		echo "$t3 - $t2" | bc >> "$work/tt"
	done
	mc=$(median < "$work/tc"); mw=$(median < "$work/tw"); mt=$(median < "$work/tt")
	echo "tree: $(du -sh "$work/t/tree" | cut -f1), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	printf 'vcompose build, cold (dracut)  : %7.2f s (median of %d)\n' "$mc" "$runs"
	printf 'vcompose build, warm (cache)   : %7.2f s\n' "$mw"
	printf 'standard chain, with dracut    : %7.2f s\n' "$mt"
	printf 'chain / cold                   : %7.2fx\n' "$(echo "$mt / $mc" | bc -l)"
	printf 'cold / warm                    : %7.2fx\n' "$(echo "$mc / $mw" | bc -l)"
	exit 0
fi

runs=${2:-3}
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
sdboot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
kver=${kernel#/boot/vmlinuz-}
export SOURCE_DATE_EPOCH=1700000000

tree=${1:-}
if [ -z "$tree" ]; then
	# a default tree: the host's /usr/bin (a few hundred MB)
	tree=$work/tree
	mkdir -p "$tree/usr" "$tree/boot" "$tree/etc"
	cp -a /usr/bin "$tree/usr/" 2>/dev/null || true
	cp "$kernel" "$tree/boot/"
	cp /etc/os-release "$tree/etc/os-release" 2>/dev/null || true
fi
mkdir -p "$tree/usr/lib/systemd/boot/efi"
cp "$stub" "$sdboot" "$tree/usr/lib/systemd/boot/efi/" 2>/dev/null || true
[ -e "$tree/boot/vmlinuz-$kver" ] || cp "$kernel" "$tree/boot/"
head -c 30000000 /dev/urandom > "$work/initrd.img"   # stands in for dracut's output
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-days 3650 -subj /CN=bench 2>/dev/null
cat > "$work/config.xml" <<XML
<image schemaversion="8.5" name="bench">
  <description type="system"><author>b</author><contact>b</contact><specification>b</specification></description>
  <preferences><version>1</version>
    <type image="oem" filesystem="erofs" erofscompression="lz4hc" firmware="efi"
          verity_blocks="all" verity_partition="true" kernelcmdline="ro">
      <bootloader name="systemd_boot" console="serial" timeout="0">
        <dracut><uki><kernel name="vmlinuz-$kver"/></uki></dracut>
      </bootloader>
    </type>
  </preferences>
</image>
XML
du -sh "$tree" | sed 's/^/tree: /'

run_vcompose() {
	rm -rf "$work/o" && mkdir "$work/o"
	"$vc" build "$work/config.xml" --root "$tree" -o "$work/o" --initrd "$work/initrd.img" \
		--key "$work/key.pem" --cert "$work/cert.pem" -q
}

run_tools() {
	d=$work/t
	rm -rf "$d" && mkdir "$d"
	tools_root "$d" "$tree"
	printf %s "$hash" > "$d/hash.txt"
	openssl cms -sign -binary -noattr -nocerts -md sha256 -outform DER -in "$d/hash.txt" \
		-signer "$work/cert.pem" -inkey "$work/key.pem" -out "$d/hash.p7s"
	printf 'ro console=ttyS0,115200 roothash=%s' "$hash" > "$d/cmdline"
	# UKI as dracut --uefi builds it with objcopy
	tools_uki "$d/uki.efi" "$stub" "$tree/etc/os-release" "$d/cmdline" "$kernel" \
		"$work/initrd.img"
	esp_kb=$(( ($(stat -c %s "$d/uki.efi") * 2 + 8 * 1048576) / 1048576 * 1024 ))
	tools_disk "$d" "$sdboot" "$d/uki.efi" bench "$esp_kb"
	# neither side syncs: vcompose renames its outputs into place, no fsync
}

run_vcompose; run_tools   # warm the page cache
: > "$work/tv"; : > "$work/tt"
for i in $(seq "$runs"); do
	t0=$(now); run_vcompose; t1=$(now); run_tools; t2=$(now)
	echo "$t1 - $t0" | bc >> "$work/tv"
	echo "$t2 - $t1" | bc >> "$work/tt"
done
mv=$(median < "$work/tv"); mt=$(median < "$work/tt")
printf 'vcompose build      : %6.2f s (median of %d)\n' "$mv" "$runs"
printf 'standard tool chain : %6.2f s (median of %d)\n' "$mt" "$runs"
printf 'ratio               : %6.2fx\n' "$(echo "$mt / $mv" | bc -l)"
