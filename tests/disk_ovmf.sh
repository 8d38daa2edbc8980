# SPDX-License-Identifier: MIT
# OVMF finds the ESP on a `vcompose gpt` disk and runs systemd-boot from a
# `vcompose fat` file system (FAT32; FAT16 is the composer's boot test's), and systemd-boot reads its
# loader/loader.conf (a long name) from it: its countdown appears on the
# serial console. Skips (77) without qemu, OVMF or systemd-boot.
. "$VC_SOURCE_DIR/tests/lib.sh"
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
sdboot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
for f in $code $vars $sdboot; do [ -r $f ] || { echo "skip: no $f"; exit 77; }; done
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 77; }
scratch out
mkdir -p t/EFI/BOOT t/loader
cp $sdboot t/EFI/BOOT/BOOTX64.EFI
printf 'timeout 7\n' >t/loader/loader.conf

boot() { # SIZE: builds the disk and waits for systemd-boot's countdown
	vc fat --size "$1" --root t -o out/esp.img --label ESP --hidden-sectors 2048
	vc gpt -o out/disk.img --part esp:out/esp.img,label=ESP
	cp $vars vars.fd
	: >serial.log
	qemu-system-x86_64 -machine q35 -m 256 -display none -no-reboot -serial file:serial.log \
		-drive if=pflash,format=raw,readonly=on,file=$code -drive if=pflash,format=raw,file=vars.fd \
		-drive file=out/disk.img,format=raw,if=virtio &
	pid=$!
	i=0
	while [ $i -lt 240 ] && ! grep -aq "Boot in 7 s" serial.log; do sleep 0.5; i=$((i + 1)); done
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	grep -aq "Boot in 7 s" serial.log || { tr -d '\033' <serial.log | tail -c 2000; fail "$1: no systemd-boot countdown"; }
}
boot 600M # FAT32
echo ok
