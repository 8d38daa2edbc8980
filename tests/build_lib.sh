# SPDX-License-Identifier: MIT
# Helpers for the build tests: partitions by manifest, reference checks.
. "$VC_SOURCE_DIR/tests/lib.sh"
# part_field MANIFEST INDEX FIELD: a field of partition INDEX (0-based) from manifest.json
part_field() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["disk"]["partitions"][int(sys.argv[2])][sys.argv[3]])' "$@"
}
# extract DISK MANIFEST INDEX OUT: copies partition INDEX out of the disk
extract() {
	off=$(part_field "$2" "$3" offset); size=$(part_field "$2" "$3" size)
	dd if="$1" of="$4" bs=1M skip=$((off / 1048576)) count=$((size / 1048576)) status=none
}
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2:]: d=d[k]
print(d)' "$@"; }
# Runners with a varied environment, all unprivileged.
vc_env() { $VC_RUN "$VCOMPOSE" "$@"; }
vc_umask() { (umask 077; $VC_RUN "$VCOMPOSE" "$@"); }
vc_tz() { TZ=Pacific/Kiritimati LC_ALL=C.UTF-8 $VC_RUN "$VCOMPOSE" "$@"; }
# boot_files: sets stub, sdboot, kernel (the host's newest), kver; exits 77
# when one of them or busybox is missing.
boot_files() {
	stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
	sdboot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
	kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
	for f in "$stub" "$sdboot" "$kernel" /bin/busybox; do
		[ -n "$f" ] && [ -e "$f" ] || { echo "SKIP: missing $f"; exit 77; }
	done
	kver=${kernel#/boot/vmlinuz-}
}
# oem_inputs MARKER: what an oem test image is made of, in the current
# folder: tree/ (the minimal example with Debian's stub, systemd-boot and
# newest kernel), initrd.img (a busybox initrd that prints MARKER), key.pem
# and cert.pem (a test signer), config.xml (lz4, verity partition,
# systemd-boot on the serial console). Sets what boot_files sets.
oem_inputs() {
	boot_files
	cp -a "$VC_SOURCE_DIR/examples/minimal/root" tree
	mkdir -p tree/boot tree/usr/lib/systemd/boot/efi
	cp "$stub" "$sdboot" tree/usr/lib/systemd/boot/efi/
	cp "$kernel" tree/boot/
	chmod -R a+rX tree
	python3 "$VC_SOURCE_DIR/tests/busybox_initrd.py" initrd.img "$1"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 3650 \
		-subj /CN=vcompose-test -set_serial 7 2>/dev/null
	chmod a+r key.pem
	cat > config.xml <<XML
<?xml version="1.0"?>
<image schemaversion="8.5" name="oem">
  <description type="system"><author>t</author><contact>t</contact><specification>t</specification></description>
  <preferences>
    <version>2.0</version>
    <type image="oem" filesystem="erofs" erofscompression="lz4" firmware="efi"
          verity_blocks="all" verity_partition="true" kernelcmdline="panic=-1 quiet">
      <bootloader name="systemd_boot" console="serial" timeout="0">
        <dracut><uki><kernel name="vmlinuz-$kver"/></uki></dracut>
      </bootloader>
    </type>
  </preferences>
</image>
XML
}
