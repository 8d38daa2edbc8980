# SPDX-License-Identifier: MIT
# The boot proof, for one Debian tree ($VC_E2E_SUITE: bookworm, the default,
# or trixie; made by examples/bootable/make-rootfs.sh and cached in
# /var/cache/vcompose when writable, else in the build folder):
# `vcompose build examples/bootable/config.xml` as nobody, with the tree's own
# dracut run inside the tree (bwrap), then again with --jobs 1 under proot:
# the same bytes. The initrd keeps the tree's modes (no 0600 units). Then
# qemu + OVMF (TCG): the boot must reach the marker unit with / on
# /dev/mapper/root (dm-verity, our root hash) and our roothash= on the
# command line; a copy with one byte of the root partition flipped must be
# refused by dm-verity. Debian 13's root is zstd (level 9).
. "$VC_SOURCE_DIR/tests/build_lib.sh"
suite=${VC_E2E_SUITE:-bookworm}
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
for t in qemu-system-x86_64 debootstrap bwrap proot objcopy lsinitrd; do
	command -v $t >/dev/null || { echo "SKIP: missing $t"; exit 77; }
done
[ -e "$code" ] || { echo "SKIP: missing OVMF"; exit 77; }
# cached where erofs_debian caches its tree (shared by build folders), else in the build folder
if [ -z "${VC_E2E_ROOTFS:-}" ] && mkdir -p /var/cache/vcompose 2>/dev/null && [ -w /var/cache/vcompose ]; then
	VC_E2E_ROOTFS=/var/cache/vcompose/$suite-bootable.tar
fi
fixture=${VC_E2E_ROOTFS:-$VC_BUILD_DIR/e2e/$suite-rootfs.tar}
if [ ! -s "$fixture" ]; then
	mkdir -p "$(dirname "$fixture")"
	# 77 (a skip) when the mirror is unreachable; CI's VC_NO_SKIP fails it
	sh "$VC_SOURCE_DIR/examples/bootable/make-rootfs.sh" "$fixture" "$suite" ||
		{ rc=$?; [ $rc = 3 ] && { echo "SKIP: debootstrap $suite failed"; exit 77; }; exit $rc; }
fi
chmod a+r "$fixture"
export SOURCE_DATE_EPOCH=1700000000
scratch out
cp -r "$VC_SOURCE_DIR/examples/bootable" cfg
# Debian 13's kernel (6.12) reads zstd EROFS: its root is zstd level 9, as
# KIWI and mkfs.erofs spell it
if [ "$suite" = trixie ]; then
	sed -i 's|erofscompression="lz4hc"|erofscompression="zstd,level=9" erofs_target="6.12"|' cfg/config.xml
	grep -q 'erofscompression="zstd,level=9"' cfg/config.xml || fail "the example's erofscompression changed"
fi
chmod -R a+rX cfg
t0=$(date +%s)
vc build cfg/config.xml --tar "$fixture" -o out > build.log 2> build.err ||
	{ cat build.err >&2; fail "vcompose build of the bootable example"; }
echo "build: $(( $(date +%s) - t0 )) s, disk $(stat -c %s out/bootable.raw) bytes"
hash=$(cat out/bootable.roothash)
if [ "$suite" = trixie ]; then
	vc inspect out/bootable.raw --json > inspect.json || fail "inspect"
	alg=$(python3 -c '
import json, sys
print([p for p in json.load(open(sys.argv[1]))["disk"]["partitions"] if p["type"] == "root"][0]["erofs"]["compression"])' inspect.json)
	[ "$alg" = zstd ] || fail "the root is $alg, not zstd"
fi
# the manifest names the dracut that made the initrd: the tree's (the
# default), in a namespace
[ "$(json_get out/bootable.manifest.json initrd dracut)" = tree ] || fail "not the tree's dracut"
[ "$(json_get out/bootable.manifest.json initrd method)" = bwrap ] || fail "not bwrap"
ver=$(json_get out/bootable.manifest.json initrd dracut_version)
want=$(tar -xOf "$fixture" ./usr/lib/dracut/dracut-version.sh | sed -n 's/^DRACUT_VERSION=//p')
[ "$ver" = "$want" ] || fail "manifest: dracut $ver, the tree has $want"
echo "dracut: the tree's $ver under bwrap"

# the same bytes with one thread and the tree's dracut under proot
scratch out1
t0=$(date +%s)
vc build cfg/config.xml --tar "$fixture" -o out1 --jobs 1 --dracut proot > build1.log 2> build1.err ||
	{ cat build1.err >&2; fail "vcompose build --jobs 1 --dracut proot"; }
echo "build --jobs 1 --dracut proot: $(( $(date +%s) - t0 )) s"
[ "$(json_get out1/bootable.manifest.json initrd method)" = proot ] || fail "not proot"
cmp out/bootable.raw out1/bootable.raw || fail "bwrap and proot (--jobs 1) give different disks"
cmp out/bootable.efi out1/bootable.efi || fail "bwrap and proot (--jobs 1) give different UKIs"

# the host's dracut (059, glibc 2.36) is refused for a tree with a newer C library
if [ "$suite" = trixie ]; then
	scratch outh
	expect_exit 1 "is newer than the host's" build cfg/config.xml --tar "$fixture" -o outh --dracut host
	[ -z "$(ls -A outh)" ] || fail "--dracut host: left $(ls -A outh)"
fi

# the initrd keeps the tree's modes (no world-inaccessible units)
objcopy -O binary --only-section=.initrd out/bootable.efi initrd.img
lsinitrd initrd.img > initrd.list 2>/dev/null || fail "lsinitrd cannot read the initrd"
grep -q ' usr/lib/systemd/system/initrd.target$' initrd.list || fail "no systemd in the initrd"
grep -q 'systemd-veritysetup' initrd.list || fail "no veritysetup in the initrd"
# every file under /usr that the initrd and the tree both have: readable by
# all in the initrd when it is in the tree (dracut may rewrite a file, e.g.
# hwdb.bin, and setuid bits need not survive)
tar -tvf "$fixture" > tree.list
python3 - initrd.list tree.list <<'PY' || fail "the initrd's modes differ from the tree's"
import sys
def modes(path, col, strip):
    m = {}
    for line in open(path, errors="replace"):
        f = line.split()
        if len(f) > col and f[0][:1] == "-":
            m[f[col].removeprefix(strip)] = f[0]
    return m
initrd, tree = modes(sys.argv[1], 8, ""), modes(sys.argv[2], 5, "./")
both = [p for p in initrd if p.startswith("usr/") and p in tree]
bad = [f"{p}: {initrd[p]} in the initrd, {tree[p]} in the tree" for p in both
       if tree[p][7] == "r" and initrd[p][7] != "r"]
print(f"modes: {len(both)} files of /usr in both, {len(bad)} less readable")
for b in bad[:10]:
    print(b, file=sys.stderr)
sys.exit(1 if bad or len(both) < 100 else 0)
PY


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
