#!/bin/sh
# SPDX-License-Identifier: MIT
# Bad input to vcompose uki: each case gets a clear message naming the file and
# field, exit 1 (2 for usage), and leaves no output file behind.
. "$VC_SOURCE_DIR/tests/lib.sh"
PY=/usr/bin/python3
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
[ -e "$stub" ] && [ -n "$kernel" ] || { echo "SKIP: no stub or kernel"; exit 77; }
scratch out

# Mutations of the real stub, made with python (offsets read from the file).
$PY - "$stub" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
pe = struct.unpack_from("<I", d, 0x3c)[0]
opt = pe + 24
nsec = struct.unpack_from("<H", d, pe + 6)[0]
tab = opt + struct.unpack_from("<H", d, pe + 20)[0]
def w(name, b): open(name, "wb").write(bytes(b))
w("truncated.efi", d[:0x8000])
w("headers-only.efi", d[:tab + 20])
b = bytearray(d); struct.pack_into("<H", b, opt, 0x10b); w("pe32.efi", b)
b = bytearray(d); struct.pack_into("<I", b, 0x3c, len(d) + 16); w("lfanew.efi", b)
b = bytearray(d); b[pe:pe + 4] = b"PX\0\0"; w("nosig.efi", b)
# section 1 moved down onto section 0's addresses
b = bytearray(d); va0 = struct.unpack_from("<I", b, tab + 12)[0]
struct.pack_into("<I", b, tab + 40 + 12, va0 + 0x10); w("overlap.efi", b)
# section 1's raw data onto section 0's
b = bytearray(d); p0 = struct.unpack_from("<I", b, tab + 20)[0]
struct.pack_into("<I", b, tab + 40 + 20, p0); w("rawoverlap.efi", b)
# a name that is not NUL-padded
b = bytearray(d); b[tab:tab + 8] = b".t\0xt\0\0\0"; w("badname.efi", b)
# NumberOfSections beyond the file's headers
b = bytearray(d); struct.pack_into("<H", b, pe + 6, 96); w("nsec.efi", b)
# not an EFI application (subsystem 3, console)
b = bytearray(d); struct.pack_into("<H", b, opt + 68, 3); w("subsys.efi", b)
# the header block moved up so the section table ends 2 entries before the
# first section's data: 3 more headers move the stub's data up (grown.efi);
# with a debug directory (its entries hold file offsets) they cannot
first = min(struct.unpack_from("<I", d, tab + 40 * i + 20)[0] for i in range(nsec))
end = tab + 40 * nsec
shift = first - 2 * 40 - end
b = bytearray(d)
b[pe + shift:end + shift] = d[pe:end]
b[pe:pe + shift] = bytes(shift)
struct.pack_into("<I", b, 0x3c, pe + shift)
w("grown.efi", b)
va_data = struct.unpack_from("<I", d, tab + 40 * (nsec - 1) + 12)[0]
struct.pack_into("<II", b, opt + shift + 112 + 6 * 8, va_data, 28)
w("noroom.efi", b)
# a signed-looking stub: a certificate table entry pointing at the end
b = bytearray(d) + struct.pack("<IHH", 16, 0x200, 2) + bytes(8)
struct.pack_into("<II", b, opt + 112 + 4 * 8, len(d), 16); w("signed.efi", b)
PY
$PY - "$kernel" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
pe = struct.unpack_from("<I", d, 0x3c)[0]
b = bytearray(d); b[pe:pe + 4] = bytes(4); open("nostub-kernel", "wb").write(b)
b = bytearray(d); b[0x202:0x206] = b"XXXX"; open("nohdrs-kernel", "wb").write(b)
PY
printf 'just text\n' >notpe.efi
printf 'ID=x\n' >osrel
: >empty
printf 'not,an,sbat\n' >badsbat

check() { # check CODE SUBSTRING ARGS...
	expect_exit "$@"
	[ -z "$(ls -A out)" ] || { ls -la out >&2; fail "output left behind after: $*"; }
}
k="--linux $kernel"
check 1 "truncated?" uki --stub truncated.efi $k -o out/x.efi
check 1 "past the end of the file" uki --stub headers-only.efi $k -o out/x.efi
check 1 "PE32+ (0x20b) needed" uki --stub pe32.efi $k -o out/x.efi
check 1 "e_lfanew" uki --stub lfanew.efi $k -o out/x.efi
check 1 "no 'PE\\0\\0' signature" uki --stub nosig.efi $k -o out/x.efi
check 1 "not a PE file" uki --stub notpe.efi $k -o out/x.efi
check 1 "overlaps section" uki --stub overlap.efi $k -o out/x.efi
check 1 "raw data" uki --stub rawoverlap.efi $k -o out/x.efi
check 1 "name is not NUL-padded" uki --stub badname.efi $k -o out/x.efi
check 1 "section table" uki --stub nsec.efi $k -o out/x.efi
check 1 "not an EFI application" uki --stub subsys.efi $k -o out/x.efi
check 1 "its debug directory holds file offsets" uki --stub noroom.efi $k --cmdline x --os-release osrel -o out/x.efi
vc uki --stub grown.efi $k --cmdline x --os-release osrel -o out/grown.efi >/dev/null
objdump -h out/grown.efi | grep -q '\.linux' || fail "objdump does not read the UKI whose stub data moved"
rm out/grown.efi
check 1 "already signed" uki --stub signed.efi $k -o out/x.efi
check 1 "already signed" uki --stub "$kernel" $k -o out/x.efi
check 1 "not an EFI-stub kernel" uki --stub "$stub" --linux nostub-kernel -o out/x.efi
check 1 "not an EFI-stub kernel" uki --stub "$stub" --linux notpe.efi -o out/x.efi
check 1 "no bzImage 'HdrS' header" uki --stub "$stub" --linux nohdrs-kernel -o out/x.efi
check 1 "is empty" uki --stub "$stub" $k --initrd empty -o out/x.efi
check 1 "not a BMP image" uki --stub "$stub" $k --splash osrel -o out/x.efi
check 1 "not a flattened device tree" uki --stub "$stub" $k --dtb osrel -o out/x.efi
check 1 "does not start with an 'sbat,' line" uki --stub "$stub" $k --sbat badsbat -o out/x.efi
check 1 "missing: No such file or directory" uki --stub missing $k -o out/x.efi
check 2 "--stub, --linux and -o are required" uki --linux "$kernel" -o out/x.efi
check 2 "unexpected argument" uki --stub "$stub" $k -o out/x.efi extra
SOURCE_DATE_EPOCH=4294967296 check 1 "does not fit in the 32-bit PE TimeDateStamp" uki --stub "$stub" $k -o out/x.efi
# the command line must fit the kernel's cmdline_size (2047 for Debian's
# 6.1, read from its boot header) and hold no control characters (issue 15)
max=$($PY -c 'import struct,sys; d=open(sys.argv[1],"rb").read(0x240); print(struct.unpack_from("<I",d,0x238)[0])' "$kernel")
long=$(head -c $((max + 1)) /dev/zero | tr '\0' x)
check 1 "kernel command line of $((max + 1)) bytes" uki --stub "$stub" $k --cmdline "$long" -o out/x.efi
check 1 "takes at most $max" uki --stub "$stub" $k --cmdline "$long" -o out/x.efi
vc uki --stub "$stub" $k --cmdline "${long#x}" -o out/fits.efi || fail "a $max-byte command line is refused"
rm -f out/fits.efi
check 1 "control character 0x0a at byte 1" uki --stub "$stub" $k --cmdline "$(printf 'a\nroothash=0')" -o out/x.efi
check 1 "control character 0x1b at byte 1" uki --stub "$stub" $k --cmdline "$(printf 'a\033[2J')" -o out/x.efi
echo "bad input: all refused"
