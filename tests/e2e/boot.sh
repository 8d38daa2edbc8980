# SPDX-License-Identifier: MIT
# The boot proof: a Debian 12 tree (examples/bootable/make-rootfs.sh, cached in the
# build folder) -> `vcompose build examples/bootable/config.xml` as nobody,
# dracut included -> qemu + OVMF (TCG). The boot must reach the marker unit
# with / on /dev/mapper/root (dm-verity, our root hash) and our roothash= on
# the command line; a copy with one byte of the root partition flipped must
# be refused by dm-verity.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
for t in qemu-system-x86_64 debootstrap dracut; do
	command -v $t >/dev/null || { echo "SKIP: missing $t"; exit 77; }
done
[ -e "$code" ] || { echo "SKIP: missing OVMF"; exit 77; }
# cached where erofs_debian caches its tree (shared by build folders), else in the build folder
if [ -z "${VC_E2E_ROOTFS:-}" ] && mkdir -p /var/cache/vcompose 2>/dev/null && [ -w /var/cache/vcompose ]; then
	VC_E2E_ROOTFS=/var/cache/vcompose/bookworm-bootable.tar
fi
fixture=${VC_E2E_ROOTFS:-$VC_BUILD_DIR/e2e/rootfs.tar}
if [ ! -s "$fixture" ]; then
	mkdir -p "$(dirname "$fixture")"
	sh "$VC_SOURCE_DIR/examples/bootable/make-rootfs.sh" "$fixture"
fi
chmod a+r "$fixture"
export SOURCE_DATE_EPOCH=1700000000
scratch out
cp -r "$VC_SOURCE_DIR/examples/bootable" cfg
chmod -R a+rX cfg
t0=$(date +%s)
vc build cfg/config.xml --tar "$fixture" -o out > build.log 2> build.err ||
	{ cat build.err >&2; fail "vcompose build of the bootable example"; }
echo "build: $(( $(date +%s) - t0 )) s, disk $(stat -c %s out/bootable.raw) bytes"
hash=$(cat out/bootable.roothash)

boot() { # DISK LOG STOP_PATTERN
	cp "$vars" vars.fd
	timeout 420 qemu-system-x86_64 -accel tcg -machine q35 -m 1024 -smp 2 -nographic \
		-no-reboot -nic none -monitor none -serial file:"$2" \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$code" \
		-drive if=pflash,format=raw,unit=1,file=vars.fd \
		-drive if=virtio,format=raw,file="$1" </dev/null >qemu.out 2>&1 &
	qpid=$!
	# stop as soon as the verdict is on the console
	while kill -0 $qpid 2>/dev/null; do
		if grep -aqE "$3" "$2" 2>/dev/null; then sleep 2; kill $qpid 2>/dev/null || true; break; fi
		sleep 2
	done
	wait $qpid 2>/dev/null || true
	# plain text: no CR, no terminal escapes (systemd-boot draws a menu)
	tr -d '\r' < "$2" | sed 's/\x1b\[[0-9;=?]*[A-Za-z]//g' > "$2.txt" || true
}

# the image, on a copy (qemu may write to it)
cp --sparse=always out/bootable.raw disk.img
t0=$(date +%s)
boot disk.img serial.log 'reboot: Power down|CMDLINE=|Kernel panic|login:'
echo "boot: $(( $(date +%s) - t0 )) s"
grep -q 'VCOMPOSE-BOOT-PROOF' serial.log.txt || {
	tail -n 60 serial.log.txt >&2; fail "the image did not boot to the marker"; }
grep -qE '^ROOT=/dev/mapper/root +erofs +ro' serial.log.txt ||
	fail "/ is not the verity device: $(grep '^ROOT=' serial.log.txt)"
grep -q "^VERITY=.*verified" serial.log.txt || fail "verity status: $(grep '^VERITY=' serial.log.txt)"
grep -q "^CMDLINE=.*roothash=$hash" serial.log.txt || fail "cmdline: $(grep '^CMDLINE=' serial.log.txt)"

# tampered: one byte of the EROFS superblock block flipped
off=$(part_field out/bootable.manifest.json 1 offset)
cp --sparse=always out/bootable.raw bad.img
printf '\377' | dd of=bad.img bs=1 seek=$((off + 1100)) conv=notrunc status=none
boot bad.img bad.log 'verity.*(corrupt|mismatch)|VCOMPOSE-BOOT-PROOF|Kernel panic|emergency|login:'
grep -q 'VCOMPOSE-BOOT-PROOF' bad.log.txt && fail "a tampered image booted"
grep -qiE 'verity.*(corrupt|mismatch)' bad.log.txt || {
	tail -n 40 bad.log.txt >&2; fail "dm-verity did not report the tampered block"; }
echo ok
