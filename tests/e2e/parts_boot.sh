# SPDX-License-Identifier: MIT
# The writable-state boot proof: ONE image, built as nobody from the Debian 12
# fixture (tests/e2e/boot.sh makes it) with overlayroot (ext4 write
# partition), an Amazon-like /var partition from <partitions> and <size>,
# booted four times under qemu + OVMF (TCG), the same disk file each time.
# A proof unit prints what it sees, writes markers, and powers off; the
# command line picks the mode (OVMF's -kernel starts the UKI with -append
# as its load options, which systemd-stub takes without Secure Boot):
#   A  from the disk (systemd-boot): persistent overlay; / is overlay over
#      /dev/mapper/root (verified), /var is the partition with the tree's
#      /var content; writes /etc and /var markers
#   B  -append "... rd.root.overlay.temporary": upper layer on tmpfs, A's
#      /etc marker is not there; writes a tmpfs marker
#   C  -append "... rd.root.overlay.readonly": / is /dev/mapper/root, ro
#   D  from the disk again: A's markers are there, B's is gone
. "$VC_SOURCE_DIR/tests/build_lib.sh"
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
for t in qemu-system-x86_64 dracut tar; do
	command -v $t >/dev/null || { echo "SKIP: missing $t"; exit 77; }
done
[ -e "$code" ] || { echo "SKIP: missing OVMF"; exit 77; }
fixture=${VC_E2E_ROOTFS:-/var/cache/vcompose/bookworm-bootable.tar}
[ -s "$fixture" ] || fixture=$VC_BUILD_DIR/e2e/bookworm-rootfs.tar
[ -s "$fixture" ] || { echo "SKIP: no Debian 12 fixture (tests/e2e/boot.sh makes it)"; exit 77; }
export SOURCE_DATE_EPOCH=1700000000

# rd.timeout: a busy CI machine under TCG can take minutes to find the disk
# the fixture with our proof unit (as a tar again: owners kept)
mkdir tree
tar --numeric-owner -xf "$fixture" -C tree
mkdir -p tree/var/lib/vcompose-proof
echo "from the tree" > tree/var/lib/vcompose-proof/content
cat > tree/usr/local/sbin/vc-parts-proof <<'EOF'
#!/bin/sh
mode=persistent
case " $(cat /proc/cmdline) " in
*" rd.root.overlay.readonly "*) mode=readonly ;;
*" rd.root.overlay.temporary "*) mode=temporary ;;
esac
v() { "$@" 2>&1 | tr -s ' \n' ' '; }
printf '\nVCOMPOSE-PARTS-PROOF mode=%s\n' "$mode"
echo "ROOT=$(v findmnt -n -o SOURCE,FSTYPE,OPTIONS /)"
echo "LOWER=$(v findmnt -n -o SOURCE,FSTYPE,OPTIONS /run/overlay/rootfsbase)"
echo "UPPER=$(v findmnt -n -o SOURCE,FSTYPE /run/overlay/overlayfs)"
echo "VERITY=$(v veritysetup status root)"
echo "VAR=$(v findmnt -n -o SOURCE,FSTYPE /var)"
echo "VARDEV=$(readlink -f "$(findmnt -n -o SOURCE /var)")"
for l in /dev/disk/by-partuuid/*; do echo "PARTUUID=${l##*/} $(readlink -f "$l")"; done
echo "TREEVAR=$(v cat /var/lib/vcompose-proof/content)"
echo "ETC_MARK=$(v cat /etc/vc-mark)"
echo "VAR_MARK=$(v cat /var/vc-mark)"
echo "TMP_MARK=$(v cat /etc/vc-tmp)"
case $mode in
persistent) [ -e /etc/vc-mark ] || { echo boot1 > /etc/vc-mark; echo boot1 > /var/vc-mark; } ;;
temporary) echo tmpfs > /etc/vc-tmp ;;
readonly) echo "RO_WRITE=$(v sh -c 'echo x > /etc/vc-ro && echo written')" ;;
esac
sync
echo VCOMPOSE-PARTS-END
EOF
chmod 0755 tree/usr/local/sbin/vc-parts-proof
cat > tree/etc/systemd/system/vcompose-proof.service <<'EOF'
[Unit]
Description=vcompose writable-state proof
After=local-fs.target
Before=getty.target serial-getty@ttyS0.service
SuccessAction=poweroff-force
FailureAction=poweroff-force
[Service]
Type=oneshot
StandardOutput=tty
TTYPath=/dev/ttyS0
ExecStart=/usr/local/sbin/vc-parts-proof
EOF
tar --numeric-owner -C tree -cf tree.tar .
rm -rf tree
chmod a+r tree.tar
cat > parts.xml <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<image schemaversion="8.5" name="parts">
    <description type="system"><author>t</author><contact>t</contact><specification>t</specification></description>
    <preferences>
        <version>1.0.0</version>
        <type image="oem" overlayroot="true" overlayroot_readonly_filesystem="erofs" filesystem="ext4"
              erofscompression="lz4" firmware="efi" verity_blocks="all" verity_partition="true"
              kernelcmdline="quiet rd.timeout=1200" seed="vcompose parts proof">
            <bootloader name="systemd_boot" console="serial" timeout="0">
                <dracut>
                    <install paths="/usr/sbin/veritysetup"/>
                    <filesystems names="erofs"/>
                    <add_drivers names="dm-mod dm-verity erofs virtio_blk virtio_pci"/>
                    <force_drivers names="dm-verity erofs"/>
                    <add modules="systemd systemd-initrd systemd-veritysetup dm"/>
                </dracut>
            </bootloader>
            <size unit="M" additive="true">64</size>
            <partitions>
                <partition name="var" size="400" mountpoint="/var" filesystem="ext4"/>
            </partitions>
        </type>
    </preferences>
</image>
XML
chmod a+r parts.xml
scratch out
t0=$(date +%s)
vc build parts.xml --tar tree.tar -o out > build.log 2> build.err ||
	{ cat build.err >&2; fail "vcompose build"; }
echo "build: $(( $(date +%s) - t0 )) s, disk $(stat -c %s out/parts.raw) bytes"
m=out/parts.manifest.json
hash=$(cat out/parts.roothash)
cmdline=$(json_get $m cmdline)
varuuid=$(part_field $m 3 uuid)
rwuuid=$(part_field $m 4 uuid)
cp "$vars" vars.fd

boot() { # NAME [APPEND]: boots disk.img (the same file every time)
	name=$1 log=$1.log
	if [ -n "${2:-}" ]; then
		set -- -kernel out/parts.efi -append "$cmdline $2"
	else
		set --
	fi
	timeout "${VC_BOOT_TIMEOUT:-420}" qemu-system-x86_64 -accel tcg -machine q35 -m 1024 -smp 2 -nographic \
		-no-reboot -nic none -monitor none -serial file:"$log" \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$code" \
		-drive if=pflash,format=raw,unit=1,file=vars.fd \
		-drive if=virtio,format=raw,file=disk.img "$@" </dev/null >qemu.out 2>&1 &
	qpid=$!
	while kill -0 $qpid 2>/dev/null; do
		if grep -aqE 'VCOMPOSE-PARTS-END|Kernel panic|emergency mode' "$log" 2>/dev/null; then
			sleep 3; kill $qpid 2>/dev/null || true; break
		fi
		sleep 2
	done
	wait $qpid 2>/dev/null || true
	tr -d '\r' < "$log" | sed 's/\x1b\[[0-9;=?]*[A-Za-z]//g' > "$log.txt" || true
	grep -q VCOMPOSE-PARTS-END "$log.txt" || { tail -n 50 "$log.txt" >&2; fail "boot $name did not reach the proof"; }
	sed -n '/VCOMPOSE-PARTS-PROOF/,/VCOMPOSE-PARTS-END/p' "$log.txt"
}
get() { sed -n "s/^$2=//p" "$1.log.txt" | head -n 1; }
expect() { # BOOT KEY REGEX
	get "$1" "$2" | grep -qE "$3" || fail "boot $1: $2 is '$(get "$1" "$2")', expected /$3/"
}

cp --sparse=always out/parts.raw disk.img
t0=$(date +%s)
boot A
expect A ROOT '^overlay overlay rw.*lowerdir=/run/overlay/rootfsbase,upperdir=/run/overlay/overlayfs/rw'
expect A LOWER '^/dev/mapper/root erofs ro'
expect A VERITY "status: verified.*root hash: $hash"
expect A UPPER "^/dev/(vda5|disk/by-partuuid/$rwuuid) ext4"
expect A VAR ' ext4 $'
vardev=$(sed -n "s/^PARTUUID=$varuuid //p" A.log.txt)
[ -n "$vardev" ] && [ "$(get A VARDEV)" = "$vardev" ] || fail "boot A: /var is $(get A VARDEV), the var partition $vardev"
expect A TREEVAR '^from the tree $'
expect A ETC_MARK 'No such file'
boot B rd.root.overlay.temporary
expect B ROOT '^overlay overlay rw'
expect B LOWER '^/dev/mapper/root erofs ro'
expect B VERITY 'status: verified'
expect B UPPER '^ *$'
expect B ETC_MARK 'No such file'
expect B VAR_MARK '^boot1 $'
boot C rd.root.overlay.readonly
expect C ROOT '^/dev/mapper/root erofs ro'
expect C VERITY 'status: verified'
expect C ETC_MARK 'No such file'
expect C RO_WRITE 'Read-only file system'
boot D
expect D ROOT '^overlay overlay rw'
expect D VERITY 'status: verified'
expect D ETC_MARK '^boot1 $'
expect D VAR_MARK '^boot1 $'
expect D TMP_MARK 'No such file'
echo "4 boots: $(( $(date +%s) - t0 )) s"
echo ok
