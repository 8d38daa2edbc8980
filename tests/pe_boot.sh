#!/bin/sh
# SPDX-License-Identifier: MIT
# The real proof: a UKI made by vcompose from Debian's systemd-boot stub and
# kernel boots under OVMF (qemu TCG) to a tiny busybox initrd that prints a
# marker and /proc/cmdline on the serial console, then powers off. The ESP
# (mkfs.fat + mcopy) and the GPT (sgdisk) are made by the reference tools here.
# With a software TPM (swtpm, tpm-crb) the same boot proves the measured-boot
# prediction: the UKI carries a signed PCR policy (--pcr-key), the initrd
# prints TPM PCR 11 before any boot phase, the firmware's event log and the
# .pcrsig/.pcrpkey the stub passed on in /.extra; PCR 11 must equal what
# `vcompose uki` predicted for the stub alone, the event log must replay to
# it with one name and one data event per measured section, and the files in
# /.extra must be the UKI's sections.
. "$VC_SOURCE_DIR/tests/lib.sh"
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
for f in "$stub" "$kernel" "$code" "$vars" /bin/busybox; do
	[ -n "$f" ] && [ -e "$f" ] || { echo "SKIP: missing $f"; exit 77; }
done
for t in qemu-system-x86_64 mkfs.fat mcopy mmd sgdisk python3 swtpm swtpm_setup; do
	command -v $t >/dev/null || { echo "SKIP: missing $t"; exit 77; }
done

# initrd: gzip'd cpio newc with busybox as /init (no root needed)
python3 "$VC_SOURCE_DIR/tests/busybox_initrd.py" initrd.img VCOMPOSE-UKI-BOOTED '
B=/bin/busybox
$B mount -t securityfs securityfs /sys/kernel/security
echo "PCR11-SHA256=$($B cat /sys/class/tpm/tpm0/pcr-sha256/11)"
echo "PCRSIG=$($B sha256sum /.extra/tpm2-pcr-signature.json)"
echo "PCRPKEY=$($B sha256sum /.extra/tpm2-pcr-public-key.pem)"
echo EVENTLOG-BEGIN
$B base64 /sys/kernel/security/tpm0/binary_bios_measurements
echo EVENTLOG-END'
key=$VC_SOURCE_DIR/vectors/sign/TEST-ONLY-rsa2048.key

cmdline="console=ttyS0 panic=-1 vcompose.test=uki-boot quiet"
scratch out
# .osrel and a .splash too: eight new sections, one more than Debian 12's stub
# has header room for (0x400 bytes of headers), so the stub's raw data moves
# up a FileAlignment unit; the boot proves the firmware loads it so
printf 'ID=vcompose-test\n' >os-release
python3 - splash.bmp <<'PY'
import struct, sys
px = b"\x00\x00\xff\x00" * 2  # two rows of one red pixel, padded to 4 bytes
hdr = b"BM" + struct.pack("<IHHI", 54 + len(px), 0, 0, 54)
hdr += struct.pack("<IiiHHIIiiII", 40, 1, 2, 1, 24, 0, len(px), 2835, 2835, 0, 0)
open(sys.argv[1], "wb").write(hdr + px)
PY
vc uki --stub "$stub" --linux "$kernel" --initrd initrd.img --cmdline "$cmdline" \
	--os-release os-release --splash splash.bmp --pcr-key "$key" -o out/uki.efi --json >uki.json
python3 - "$stub" out/uki.efi <<'PY' || fail "the stub's sections moved wrongly"
import struct, sys
def sections(path):
    d = open(path, "rb").read()
    pe, = struct.unpack_from("<I", d, 0x3C)
    n, opt = struct.unpack_from("<H", d, pe + 6)[0], struct.unpack_from("<H", d, pe + 20)[0]
    hs, = struct.unpack_from("<I", d, pe + 24 + 60)
    out = {}
    for i in range(n):
        name, vs, va, rs, ro = struct.unpack_from("<8sIIII", d, pe + 24 + opt + 40 * i)
        out[name.rstrip(b"\0")] = (ro, d[ro:ro + min(vs, rs)])
    return hs, out
hs0, a = sections(sys.argv[1])
hs1, b = sections(sys.argv[2])
assert hs1 > hs0, f"SizeOfHeaders {hs1:#x}: the headers did not need to grow, the test proves nothing"
for name, (ro, data) in a.items():
    assert b[name][1] == data, f"{name} changed"
    assert b[name][0] == ro + hs1 - hs0, f"{name} at {b[name][0]:#x}, expected {ro + hs1 - hs0:#x}"
print(f"headers grown {hs0:#x} -> {hs1:#x}; the stub's {len(a)} sections moved, bytes intact")
PY
python3 "$VC_SOURCE_DIR/tests/uki_sections.py" out/uki.efi sections

# ESP (FAT) in a GPT disk. vcompose's own fat and gpt writers when this build
# has them, else the reference tools (mkfs.fat + mcopy, sgdisk); either way the
# reference readers check the result before qemu runs.
esp_mib=$(( ($(stat -c %s out/uki.efi) + 4*1048576) / 1048576 ))
if "$VCOMPOSE" fat --help >/dev/null 2>&1; then
	scratch espdir
	mkdir -p espdir/EFI/BOOT
	cp out/uki.efi espdir/EFI/BOOT/BOOTX64.EFI
	vc fat --size $((esp_mib * 1048576)) --root espdir -o out/esp.img --label ESP >/dev/null
	cp out/esp.img esp.img
	echo "ESP: vcompose fat"
else
	mkfs.fat -C -F 16 -n ESP esp.img $((esp_mib * 1024)) >/dev/null
	mmd -i esp.img ::EFI ::EFI/BOOT
	mcopy -i esp.img out/uki.efi ::EFI/BOOT/BOOTX64.EFI
	echo "ESP: mkfs.fat + mcopy"
fi
mcopy -i esp.img ::EFI/BOOT/BOOTX64.EFI esp-copy.efi
cmp esp-copy.efi out/uki.efi || fail "the ESP does not hold our UKI"
if "$VCOMPOSE" gpt --help >/dev/null 2>&1; then
	vc gpt -o out/disk.img --part esp:esp.img >/dev/null
	cp out/disk.img disk.img
	echo "GPT: vcompose gpt"
else
	truncate -s $(( (esp_mib + 2) * 1048576 )) disk.img
	sgdisk -n 1:2048:+${esp_mib}M -t 1:ef00 disk.img >/dev/null
	dd if=esp.img of=disk.img bs=1M seek=1 conv=notrunc status=none
	echo "GPT: sgdisk"
fi
sgdisk -v disk.img | grep -q "No problems found" || fail "sgdisk -v: bad GPT"
sgdisk -i 1 disk.img | grep -q "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" || fail "partition 1 is not an ESP"
cp "$vars" vars.fd
swtpm_start

set +e
timeout 300 qemu-system-x86_64 -accel tcg -machine q35 -m 512 -nographic -no-reboot \
	-nic none -monitor none -serial file:serial.log \
	-chardev socket,id=chrtpm,path=tpm/sock -tpmdev emulator,id=tpm0,chardev=chrtpm \
	-device tpm-crb,tpmdev=tpm0 \
	-drive if=pflash,format=raw,unit=0,readonly=on,file="$code" \
	-drive if=pflash,format=raw,unit=1,file=vars.fd \
	-drive if=virtio,format=raw,file=disk.img </dev/null >qemu.out 2>&1
rc=$?
set -e
tr -d '\r' <serial.log >serial.txt || true
if ! grep -q '^VCOMPOSE-UKI-BOOTED$' serial.txt; then
	echo "qemu exit $rc; serial log tail:" >&2
	tail -n 40 serial.txt >&2
	cat qemu.out >&2
	fail "the UKI did not boot to the initrd"
fi
grep -qxF "CMDLINE=[$cmdline]" serial.txt ||
	{ grep CMDLINE serial.txt >&2; fail "/proc/cmdline differs from the .cmdline we embedded"; }
echo "booted: $(grep -c . serial.txt) serial lines, qemu exit $rc"

# Measured boot: PCR 11 as predicted, the event log replays to it.
sed -n '/^EVENTLOG-BEGIN$/,/^EVENTLOG-END$/p' serial.txt | sed '1d;$d' | base64 -d >eventlog.bin ||
	fail "no event log on the console"
python3 - uki.json serial.txt eventlog.bin sections <<'PY' || fail "measured boot"
import hashlib, json, os, re, struct, sys
pcr11 = json.load(open(sys.argv[1]))["pcr11"]
serial = open(sys.argv[2]).read()
want = pcr11["sha256"][0]["hash"]
assert pcr11["sha256"][0]["phase"] == "", pcr11
got = re.search(r"^PCR11-SHA256=([0-9A-Fa-f]{64})$", serial, re.M).group(1).lower()
assert got == want, f"booted PCR 11 {got} != predicted {want}"
# The TCG2 (crypto agile) event log: a SHA-1 format header event whose data is
# the Spec ID event (the algorithms and digest sizes), then TCG_PCR_EVENT2s.
log = open(sys.argv[3], "rb").read()
_, _, _, hsize = struct.unpack_from("<II20sI", log, 0)
spec = log[32:32 + hsize]
n_alg, = struct.unpack_from("<I", spec, 24)
sizes = dict(struct.unpack_from("<HH", spec, 28 + 4 * i) for i in range(n_alg))
off, pcr, events = 32 + hsize, bytes(32), []
while off < len(log):
    idx, etype, n = struct.unpack_from("<III", log, off)
    off += 12
    digests = {}
    for _ in range(n):
        alg, = struct.unpack_from("<H", log, off)
        digests[alg] = log[off + 2:off + 2 + sizes[alg]]
        off += 2 + sizes[alg]
    esize, = struct.unpack_from("<I", log, off)
    data = log[off + 4:off + 4 + esize]
    off += 4 + esize
    if idx == 11:
        pcr = hashlib.sha256(pcr + digests[0x000B]).digest()
        # systemd-stub logs the section name as UTF-16 text (EV_IPL)
        events.append((data.decode("utf-16-le").rstrip("\0"), digests[0x000B].hex()))
assert pcr.hex() == got, f"event log replays to {pcr.hex()}, PCR 11 is {got}"
# One name event and one data event per measured section, in the stub's order,
# the data digests those of the sections as they lie in memory.
names = [e[0] for e in events]
assert names[0::2] == pcr11["measured"] and names[1::2] == pcr11["measured"], names
for i, name in enumerate(pcr11["measured"]):
    assert events[2 * i][1] == hashlib.sha256(name.encode() + b"\0").hexdigest()
    mem = open(os.path.join(sys.argv[4], name[1:]), "rb").read()
    assert events[2 * i + 1][1] == hashlib.sha256(mem).hexdigest(), name
# The stub passed .pcrsig and .pcrpkey on, unmeasured, in /.extra.
for tag, sec in (("PCRSIG", "pcrsig"), ("PCRPKEY", "pcrpkey")):
    h = re.search(r"^%s=([0-9a-f]{64}) " % tag, serial, re.M).group(1)
    assert h == hashlib.sha256(open(os.path.join(sys.argv[4], sec), "rb").read()).hexdigest(), tag
print(f"PCR 11 (sha256) booted = predicted = event log replay: {got}; "
      f"{len(events)} PCR 11 events ({', '.join(pcr11['measured'])}); /.extra has the UKI's .pcrsig and .pcrpkey")
PY
