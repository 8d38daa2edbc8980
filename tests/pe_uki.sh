#!/bin/sh
# SPDX-License-Identifier: MIT
# vcompose uki checked by the reference readers: objdump -h -p, python3-pefile
# (every section: name, order, address, sizes, flags, alignment, overlap,
# contents equal to the inputs; header fields and CheckSum), sbverify --list;
# section contents equal to an objcopy-made UKI (the way dracut builds one);
# byte-identical output on a second run.
. "$VC_SOURCE_DIR/tests/lib.sh"
PY=/usr/bin/python3
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
[ -e "$stub" ] && [ -n "$kernel" ] || { echo "SKIP: no stub or kernel"; exit 77; }
$PY -c 'import pefile' || { echo "SKIP: no python3-pefile"; exit 77; }

# Inputs with odd lengths, so padding is exercised.
printf 'ID=vctest\nNAME="vcompose test"\nVERSION_ID=1\n' >osrel
printf 'first initrd: 27 bytes long' >initrd1
printf 'second\n' >initrd2
$PY - <<'PY'
import struct
# a 2x1 24-bit BMP
px = b"\x00\x00\xff\x00\xff\x00\x00\x00"
bmp = b"BM" + struct.pack("<IHHI", 14 + 40 + len(px), 0, 0, 54) + struct.pack(
    "<IiiHHIIiiII", 40, 2, 1, 1, 24, 0, len(px), 2835, 2835, 0, 0) + px
open("splash.bmp", "wb").write(bmp)
# an empty flattened device tree (v17): header, empty reserve map, FDT_END
strs = b""
structb = struct.pack(">II", 1, 0) + struct.pack(">I", 2) + struct.pack(">I", 9)
off_rsv = 40; off_struct = off_rsv + 16; off_strs = off_struct + len(structb)
total = off_strs + len(strs)
hdr = struct.pack(">10I", 0xd00dfeed, total, off_struct, off_strs, off_rsv, 17, 16, 0,
                  len(strs), len(structb))
open("tiny.dtb", "wb").write(hdr + b"\0" * 16 + structb + strs)
PY
cmdline="console=ttyS0 root=/dev/vda ro"
scratch out
SOURCE_DATE_EPOCH=1700000000 vc uki --stub "$stub" --linux "$kernel" \
	--initrd initrd1 --initrd initrd2 --cmdline "$cmdline" --os-release osrel \
	--uname 6.1.0-test --splash splash.bmp --dtb tiny.dtb -o out/a.efi --json >a.json
(umask 077; SOURCE_DATE_EPOCH=1700000000 TZ=Asia/Tokyo LC_ALL=C TMPDIR=/var/tmp \
	vc uki --stub "$stub" --linux "$kernel" \
	--initrd initrd1 --initrd initrd2 --cmdline "$cmdline" --os-release osrel \
	--uname 6.1.0-test --splash splash.bmp --dtb tiny.dtb -o out/b.efi -q)
cmp out/a.efi out/b.efi || fail "two assemblies from the same inputs differ"
# No epoch: the stub's TimeDateStamp; the kernel release read from the bzImage.
env -u SOURCE_DATE_EPOCH $VC_RUN "$VCOMPOSE" uki --stub "$stub" --linux "$kernel" \
	--initrd initrd1 --cmdline "$cmdline" -o out/c.efi --json >c.json

# objdump: sections, sizes, flags.
objdump -h out/a.efi >objdump.txt
objdump -p out/a.efi >objdump-p.txt
grep -q 'file format pei-x86-64' objdump.txt || fail "objdump: not pei-x86-64"
grep -A1 ' \.linux ' objdump.txt | grep -q 'READONLY, CODE' || fail "objdump: .linux flags"
for s in .osrel .cmdline .dtb .uname .splash .initrd; do
	grep -A1 " $s " objdump.txt | grep -q 'CONTENTS, ALLOC, LOAD, READONLY, DATA' ||
		fail "objdump: $s flags"
done
grep -q "Subsystem.*(EFI application)" objdump-p.txt || fail "objdump -p: subsystem"

# sbverify reads the layout (and finds no signature).
sbverify --list out/a.efi >sbverify.txt 2>&1 || { cat sbverify.txt; fail "sbverify --list failed"; }
grep -q 'No signature table present' sbverify.txt || fail "sbverify: unexpected output"

$PY - "$stub" "$kernel" "$cmdline" <<'PY'
import hashlib, json, struct, sys, pefile
stub_path, kernel_path, cmdline = sys.argv[1:4]
def fail(m):
    print("FAIL:", m, file=sys.stderr); sys.exit(1)
def up(x, a): return (x + a - 1) // a * a
stub = pefile.PE(stub_path)
kern = pefile.PE(kernel_path, fast_load=True)
kdata = open(kernel_path, "rb").read()
raw = open("out/a.efi", "rb").read()
pe = pefile.PE("out/a.efi", fast_load=True)
if pe.get_warnings(): fail("pefile warnings (fast load): %s" % pe.get_warnings())
full = pefile.PE("out/a.efi")
if set(full.get_warnings()) - set(stub.get_warnings()):
    fail("pefile warnings beyond the stub's own: %s" % full.get_warnings())
oh, fh = pe.OPTIONAL_HEADER, pe.FILE_HEADER
sa, fa = oh.SectionAlignment, oh.FileAlignment
names = [s.Name.rstrip(b"\0").decode() for s in pe.sections]
ns = len(stub.sections)
want = [s.Name.rstrip(b"\0").decode() for s in stub.sections] + \
    [".osrel", ".cmdline", ".dtb", ".uname", ".splash", ".initrd", ".linux"]
if names != want: fail("section order %s != %s" % (names, want))
if fh.NumberOfSections != len(want): fail("NumberOfSections")
if fh.TimeDateStamp != 1700000000: fail("TimeDateStamp %d" % fh.TimeDateStamp)
if oh.CheckSum != pe.generate_checksum(): fail("CheckSum %x != pefile %x" % (oh.CheckSum, pe.generate_checksum()))
table_end = pe.sections[-1].get_file_offset() + 40
if oh.SizeOfHeaders < table_end or oh.SizeOfHeaders % fa: fail("SizeOfHeaders")
if oh.SizeOfHeaders > min(s.PointerToRawData for s in pe.sections if s.SizeOfRawData): fail("headers overlap data")
# stub sections untouched
for a, b in zip(stub.sections, pe.sections[:ns]):
    for f in ("VirtualAddress", "Misc_VirtualSize", "SizeOfRawData", "PointerToRawData", "Characteristics"):
        if getattr(a, f) != getattr(b, f): fail("stub section %s field %s changed" % (a.Name, f))
    if a.get_data() != b.get_data(): fail("stub section %s bytes changed" % a.Name)
inputs = {
    ".osrel": open("osrel", "rb").read(),
    ".cmdline": cmdline.encode() + b"\0",
    ".dtb": open("tiny.dtb", "rb").read(),
    ".uname": b"6.1.0-test",
    ".splash": open("splash.bmp", "rb").read(),
    ".initrd": b"".join(d + b"\0" * (-len(d) % 4) for d in
                         (open("initrd1", "rb").read(), open("initrd2", "rb").read())),
    ".linux": kdata,
}
prev_end = None
init = stub.OPTIONAL_HEADER.SizeOfInitializedData
for s in pe.sections[ns:]:
    n = s.Name.rstrip(b"\0").decode()
    d = inputs[n]
    if s.VirtualAddress % sa: fail("%s VA %x not aligned to %x" % (n, s.VirtualAddress, sa))
    if s.PointerToRawData % fa or s.SizeOfRawData % fa: fail("%s raw not aligned" % n)
    if s.SizeOfRawData != up(len(d), fa): fail("%s SizeOfRawData" % n)
    if raw[s.PointerToRawData:s.PointerToRawData + len(d)] != d: fail("%s bytes differ from the input" % n)
    if any(raw[s.PointerToRawData + len(d):s.PointerToRawData + s.SizeOfRawData]): fail("%s padding not zero" % n)
    vs = kern.OPTIONAL_HEADER.SizeOfImage if n == ".linux" else len(d)
    if s.Misc_VirtualSize != max(vs, len(d)): fail("%s VirtualSize %x" % (n, s.Misc_VirtualSize))
    flags = 0x40000020 if n == ".linux" else 0x40000040
    if s.Characteristics != flags: fail("%s flags %x" % (n, s.Characteristics))
    init += s.Misc_VirtualSize
# no overlap, ascending, in memory and in the file
secs = list(pe.sections)
for a, b in zip(secs, secs[1:]):
    if a.VirtualAddress + max(a.Misc_VirtualSize, 1) > b.VirtualAddress: fail("VA overlap %s %s" % (a.Name, b.Name))
    if a.PointerToRawData + a.SizeOfRawData > b.PointerToRawData: fail("raw overlap %s %s" % (a.Name, b.Name))
last = secs[-1]
if oh.SizeOfImage != up(last.VirtualAddress + last.Misc_VirtualSize, sa): fail("SizeOfImage %x" % oh.SizeOfImage)
if len(raw) != last.PointerToRawData + last.SizeOfRawData: fail("file size")
if oh.SizeOfInitializedData != init: fail("SizeOfInitializedData %x != %x" % (oh.SizeOfInitializedData, init))
# .sbat: Debian 12's stub leaves no room for the merge: the stub's own kept
sb = [s for s in pe.sections if s.Name.rstrip(b"\0") == b".sbat"]
if len(sb) != 1: fail("one .sbat expected")
j = json.load(open("a.json"))
if [x["name"] for x in j["sections"]] != want: fail("--json sections")
if j["size"] != len(raw) or j["checksum"] != oh.CheckSum: fail("--json size/checksum")
# Without SOURCE_DATE_EPOCH: the stub's stamp; .uname from the bzImage header
c = pefile.PE("out/c.efi", fast_load=True)
if c.FILE_HEADER.TimeDateStamp != stub.FILE_HEADER.TimeDateStamp: fail("stub TimeDateStamp not kept")
cu = [s for s in c.sections if s.Name.rstrip(b"\0") == b".uname"]
if not cu: fail("no .uname scraped from the bzImage")
rel = kernel_path.split("vmlinuz-", 1)[1]
if cu[0].get_data()[:cu[0].Misc_VirtualSize] != rel.encode(): fail(".uname %r != %r" % (cu[0].get_data()[:40], rel))
print("pefile: %d sections checked" % len(pe.sections))
PY

# The dracut way: objcopy --add-section on the same stub and inputs. Every
# section's bytes must match ours (layout differences: docs/pe.md).
printf '%s\0' "$cmdline" >cmdline.txt
: >initrd.cat
for f in initrd1 initrd2; do
	cat $f >>initrd.cat
	head -c $(( (4 - $(stat -c %s $f) % 4) % 4 )) /dev/zero >>initrd.cat
done
objcopy --add-section .osrel=osrel --change-section-vma .osrel=0x20000 \
	--add-section .cmdline=cmdline.txt --change-section-vma .cmdline=0x30000 \
	--add-section .splash=splash.bmp --change-section-vma .splash=0x40000 \
	--add-section .linux="$kernel" --change-section-vma .linux=0x2000000 \
	--add-section .initrd=initrd.cat --change-section-vma .initrd=0x3000000 \
	"$stub" objcopy.efi
$PY - "$kernel" <<'PY'
import sys, pefile
def sect(p):
    pe = pefile.PE(p, fast_load=True)
    return {s.Name.rstrip(b"\0").decode(): s.get_data()[:s.Misc_VirtualSize] for s in pe.sections}
ours, theirs = sect("out/a.efi"), sect("objcopy.efi")
klen = len(open(sys.argv[1], "rb").read())
for n in (".osrel", ".cmdline", ".splash", ".initrd", ".linux"):
    a, b = ours[n], theirs[n]
    if n == ".linux":
        a, b = a[:klen], b[:klen]
    if a != b:
        print("FAIL: %s differs from objcopy's" % n, file=sys.stderr); sys.exit(1)
print("objcopy: .osrel .cmdline .splash .initrd .linux equal")
PY

# vcompose inspect lists the sections and prints the text ones.
vc inspect out/a.efi >inspect.txt
grep -qxF "        text: $cmdline" inspect.txt || { cat inspect.txt; fail "inspect: .cmdline not printed"; }
grep -qxF "        text: 6.1.0-test" inspect.txt || fail "inspect: .uname not printed"
grep -qx "  checksum_ok: yes" inspect.txt || fail "inspect: checksum not valid"
vc inspect --json out/a.efi >inspect.json
$PY - <<'PY'
import hashlib, json, sys
j = json.load(open("inspect.json"))
assert j["kind"] == "pe" and j["pe"]["uki"] is True
s = {x["name"]: x for x in j["pe"]["pe"]["sections"]}
assert j["pe"]["checksum_ok"] is True
assert s[".osrel"]["sha256"] == hashlib.sha256(open("osrel", "rb").read()).hexdigest(), "osrel sha256"
assert s[".osrel"]["text"] == open("osrel").read().rstrip("\0"), "osrel text"
assert s[".splash"]["sha256"] == hashlib.sha256(open("splash.bmp", "rb").read()).hexdigest()
PY

# Authenticode over our layout: sbsign signs it, sbverify checks the signature.
if command -v sbsign >/dev/null && command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=vcompose-test -days 2 \
		-keyout db.key -out db.crt 2>/dev/null
	sbsign --key db.key --cert db.crt --output signed.efi out/a.efi 2>sbsign.txt ||
		{ cat sbsign.txt; fail "sbsign refused our UKI"; }
	sbverify --cert db.crt signed.efi >sbverify2.txt 2>&1 ||
		{ cat sbverify2.txt; fail "sbverify: signature over our UKI does not verify"; }
	# and the signed UKI is refused as a stub
	expect_exit 1 "already signed" uki --stub signed.efi --linux "$kernel" -o out/z.efi
fi
echo "pe_uki: ok"
