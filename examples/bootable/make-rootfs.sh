#!/bin/sh
# SPDX-License-Identifier: MIT
# The boot proof's fixtures: a bootable Debian 12 (bookworm, the default) or
# Debian 13 (trixie) root tree, as a tarball with numeric owners. debootstrap --variant=minbase, then (inside the tree, with
# INITRD=No so no initramfs tool runs) the kernel, dracut, systemd-boot's EFI
# files and cryptsetup; plus a oneshot unit that prints a marker, `findmnt /`,
# the verity status of the root device and /proc/cmdline to the serial
# console, then powers off. Needs root (debootstrap chroots); the mirror is
# the one this host's apt uses.
# Usage: make-rootfs.sh OUT.tar [bookworm|trixie]
set -eu
out=$1
suite=${2:-bookworm}
case $suite in
bookworm) extra="" ;;
# trixie moved the veritysetup generator (which dracut's systemd-veritysetup
# module needs) from systemd to systemd-cryptsetup
trixie) extra="systemd-cryptsetup" ;;
*) echo "make-rootfs.sh: suite '$suite': bookworm or trixie" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "make-rootfs.sh: needs root (debootstrap)" >&2; exit 77; }
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
[ -n "$mirror" ] || { echo "make-rootfs.sh: no apt mirror configured" >&2; exit 3; }
work=$(mktemp -d "${TMPDIR:-/var/tmp}/vc-rootfs.XXXXXX")
trap 'umount "$work/root/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
root=$work/root
debootstrap --variant=minbase --include=systemd,systemd-sysv,udev,kmod \
	"$suite" "$root" "$mirror" > "$work/debootstrap.log" 2>&1 ||
	{ tail -n 30 "$work/debootstrap.log" >&2; exit 3; }
mount -t proc proc "$root/proc"
chroot "$root" env DEBIAN_FRONTEND=noninteractive INITRD=No apt-get install -y -q \
	--no-install-recommends dracut-core dracut linux-image-amd64 cryptsetup-bin \
	systemd-boot-efi $extra > "$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log" >&2; exit 3; }
umount "$root/proc"
chroot "$root" apt-get clean
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/"* "$root/var/log/"*
# the proof: a unit that reports and powers off
cat > "$root/etc/systemd/system/vcompose-proof.service" <<'UNIT'
[Unit]
Description=vcompose boot proof
After=local-fs.target
# before the login prompt: agetty resets the serial line under our output
Before=getty.target serial-getty@ttyS0.service
SuccessAction=poweroff-force
FailureAction=poweroff-force
[Service]
Type=oneshot
StandardOutput=tty
TTYPath=/dev/ttyS0
ExecStart=/bin/sh -c 'printf "\\nVCOMPOSE-BOOT-PROOF\\nROOT=%%s\\nVERITY=%%s\\nCMDLINE=%%s\\n" "$(findmnt -n -o SOURCE,FSTYPE,OPTIONS /)" "$(veritysetup status root 2>&1 | tr -s " \\n" " ")" "$(cat /proc/cmdline)"'
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/vcompose-proof.service \
	"$root/etc/systemd/system/multi-user.target.wants/vcompose-proof.service"
echo vcompose > "$root/etc/hostname"
# an empty machine-id: systemd would write one, but / is read-only
: > "$root/etc/machine-id"
tar --numeric-owner --xattrs -C "$root" -cf "$out.tmp" . && mv "$out.tmp" "$out"
