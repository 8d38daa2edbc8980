#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the binary inputs of the bad-input corpus into the folder argv[1]:
# archives (made with Python's tarfile, then damaged), PE images (a minimal
# EFI-stub kernel and broken variants), size-limit breakers. Deterministic.
import gzip, io, os, struct, sys, tarfile

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def put(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def tar(members, fmt=tarfile.GNU_FORMAT):
    """members: (name, type, data-or-linkname) -> tar bytes."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        for name, typ, arg in members:
            i = tarfile.TarInfo(name)
            i.mtime = 1700000000
            i.mode = 0o755 if typ == tarfile.DIRTYPE else 0o644
            i.type = typ
            if typ in (tarfile.LNKTYPE, tarfile.SYMTYPE):
                i.linkname = arg
                t.addfile(i)
            elif typ == tarfile.REGTYPE:
                i.size = len(arg)
                t.addfile(i, io.BytesIO(arg))
            else:
                t.addfile(i)
    return b.getvalue()


R, D, L, S = tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.LNKTYPE, tarfile.SYMTYPE
good = tar([("etc", D, None), ("etc/motd", R, b"hello\n"), ("usr", D, None),
            ("usr/bin", D, None), ("usr/bin/sh", R, b"#!\n" * 100)])
put("traversal.tar", tar([("etc", D, None), ("etc/../../escape", R, b"x")]))
put("dotdot-only.tar", tar([("..", D, None)]))
put("absolute.tar", tar([("/etc/passwd", R, b"root:x:0:0::/:/bin/sh\n")], tarfile.PAX_FORMAT))
put("longname.tar", tar([("a" * 300, R, b"x")], tarfile.PAX_FORMAT))
put("longpath.tar", tar([("/".join(["d" * 200] * 22) + "/f", R, b"x")], tarfile.PAX_FORMAT))
put("hardlink-missing.tar", tar([("etc", D, None), ("etc/link", L, "etc/nothere")]))
put("hardlink-dir.tar", tar([("etc", D, None), ("etc/link", L, "etc")]))
put("file-then-dir.tar", tar([("etc", R, b"x"), ("etc/motd", R, b"y")]))
put("symlink-long.tar", tar([("l", S, "t" * 5000)], tarfile.PAX_FORMAT))
put("empty-name.tar", tar([("./", D, None), ("", R, b"x")]))
# a truncated tar: the header says 300 bytes, the file stops after 100
t = tar([("big", R, b"z" * 300)])
put("truncated.tar", t[:512 + 100])
# gzip with a good header and a damaged deflate stream
gz = bytearray(gzip.compress(good, mtime=0))
for i in range(20, 60):
    gz[i] ^= 0x5A
put("corrupt.tar.gz", bytes(gz))
put("truncated.tar.gz", gzip.compress(good, mtime=0)[:60])
# zstd frame magic followed by junk
put("corrupt.tar.zst", b"\x28\xb5\x2f\xfd" + bytes(range(256)) * 4)
put("not-an-archive.tar", b"this is plain text, not an archive\n" * 10)
put("empty.tar", b"")

# PE images. A minimal EFI-stub kernel: PE32+ x86-64, one .text section,
# bzImage "HdrS" at 0x202 and kernel_version pointing at a release string.
def pe(machine=0x8664, magic=0x20B, subsystem=10, hdrs=True, nsec=1, size=0x600,
       sizeofimage=0x2000, lfanew=0x40, raw_ptr=0x400, raw_size=0x200, cmdline_size=2047):
    k = bytearray(size)
    k[0:2] = b"MZ"
    struct.pack_into("<I", k, 0x3C, lfanew)
    k[lfanew:lfanew + 4] = b"PE\0\0"
    struct.pack_into("<HHIIIHH", k, lfanew + 4, machine, nsec, 0, 0, 0, 240, 0x22)
    o = lfanew + 24
    struct.pack_into("<H", k, o, magic)
    struct.pack_into("<I", k, o + 16, 0x1000)        # AddressOfEntryPoint
    struct.pack_into("<II", k, o + 32, 0x1000, 0x200)  # Section/FileAlignment
    struct.pack_into("<II", k, o + 56, sizeofimage, 0x400)  # SizeOfImage, SizeOfHeaders
    struct.pack_into("<H", k, o + 68, subsystem)
    struct.pack_into("<I", k, o + 108, 16)
    s = o + 240
    k[s:s + 5] = b".text"
    struct.pack_into("<IIIIIIHHI", k, s + 8, 0x200, 0x1000, raw_size, raw_ptr, 0, 0, 0, 0,
                     0x60000020)
    if hdrs:
        k[0x202:0x206] = b"HdrS"
        struct.pack_into("<H", k, 0x206, 0x20F)           # boot protocol 2.15
        struct.pack_into("<H", k, 0x20E, 0x100)
        struct.pack_into("<I", k, 0x238, cmdline_size)    # as Debian's 6.1
        rel = b"6.1.0-bad (bad@vcompose) #1"
        k[0x300:0x300 + len(rel)] = rel
    return bytes(k)


put("kernel.efi", pe())
put("kernel-nohdrs.efi", pe(hdrs=False))
put("kernel-cmdline64.efi", pe(cmdline_size=64))
put("kernel-arm64.efi", pe(machine=0xAA64))
put("kernel-pe32.efi", pe(magic=0x10B))
put("kernel-app-subsystem.efi", pe(subsystem=3))
put("pe-truncated.efi", pe()[:0x500])
k = pe()
put("pe-lfanew-out.efi", k[:0x3C] + struct.pack("<I", 0x7FFFFFF0) + k[0x40:])
put("pe-no-sections.efi", pe(nsec=0))
put("pe-raw-past-end.efi", pe(raw_size=0x10000))
put("pe-image-small.efi", pe(sizeofimage=0x1100))
put("mz-only.efi", b"MZ" + b"\0" * 100)
put("initrd.img", b"070701" + b"0" * 104 + b"TRAILER!!!\0\0")
# an initrd bigger than 1 MiB for the ESP-size cases (zeros compress away in git)
put("initrd-2m.img", b"\0" * (2 << 20))

# issue 15: a FIFO for every path argument (nothing writes to it: opening
# it blocking would hang), an mtree text and a zip given as --tar, a DPS blob
if not os.path.exists(os.path.join(out, "fifo")):
    os.mkfifo(os.path.join(out, "fifo"), 0o666)
    os.chmod(os.path.join(out, "fifo"), 0o666)
put("mtree-as-tar", b"#mtree\n./etc type=dir mode=0755\n./etc/big type=file size=1000000 mode=0644\n")
import zipfile
zb = io.BytesIO()
with zipfile.ZipFile(zb, "w") as z:
    zi = zipfile.ZipInfo("etc/motd", (2023, 11, 14, 0, 0, 0))
    z.writestr(zi, b"hello\n")
put("zip-as-tar", zb.getvalue())
put("dps.json", (b'{"rootHash":"' + b"00" * 32 + b'","signature":"AA=="}').ljust(4096, b"\0"))
put("forged-name.tar", tar([("../\x1b[2J\nvcompose build: image written", R, b"x")], tarfile.PAX_FORMAT))
# one depth limit (1024 folders) for a folder and a tar (item 9); the
# folder's path is long enough that the reason must survive shortening
put("deep.tar", tar([("/".join(["a"] * 1500) + "/f", R, b"x")], tarfile.PAX_FORMAT))
os.makedirs(os.path.join(out, "deeproot"), exist_ok=True)
fd = os.open(os.path.join(out, "deeproot"), os.O_RDONLY | os.O_DIRECTORY)
for _ in range(1026):
    try:
        os.mkdir("dd", dir_fd=fd)
    except FileExistsError:
        pass
    nfd = os.open("dd", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
os.close(fd)
# item 12: a hard link whose target is only in a pax linkpath (empty ustar
# linkname); item 3 of the smaller list: uid (uid_t)-1 and an mtime of 1e23
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("etc"); i.type = D; i.mode = 0o755; t.addfile(i)
    i = tarfile.TarInfo("etc/motd"); i.size = 3; t.addfile(i, io.BytesIO(b"hi\n"))
    i = tarfile.TarInfo("etc/link"); i.type = L; i.linkname = ""
    i.pax_headers = {"linkpath": "etc/motd"}; t.addfile(i)
put("pax-linkpath.tar", b.getvalue())
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("f"); i.size = 1; i.uid = 4294967295; t.addfile(i, io.BytesIO(b"x"))
put("uid-minus-one.tar", b.getvalue())
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("f"); i.size = 1; i.pax_headers = {"mtime": "100000000000000000000000"}
    t.addfile(i, io.BytesIO(b"x"))
put("mtime-1e23.tar", b.getvalue())
# a >4096-entry GPT (valid: sgdisk -v finds no problem) and SizeOfPartitionEntry 0
import binascii
def gpt(n_entries, entry_size, disk=16 << 20):
    d = bytearray(disk)
    d[446 + 4] = 0xEE; struct.pack_into("<II", d, 446 + 8, 1, disk // 512 - 1); d[510:512] = b"\x55\xaa"
    esz = max(entry_size, 128)
    arr_lbas = (n_entries * esz + 511) // 512
    last = disk // 512 - 1
    arr = bytearray(n_entries * esz)
    first_usable, last_usable = 2 + arr_lbas, last - 1 - arr_lbas
    # one linux partition
    struct.pack_into("<16s16sQQ", arr, 0, bytes.fromhex("af3dc60f838472478e793d69d8477de4"),
                     b"\x11" * 16, first_usable + 2048 - first_usable % 2048, first_usable + 4095)
    crc_arr = binascii.crc32(arr)
    for lba, alt, elba in ((1, last, 2), (last, 1, last - arr_lbas)):
        h = bytearray(92)
        struct.pack_into("<8sIIIIQQQQ16sQIII", h, 0, b"EFI PART", 0x10000, 92, 0, 0, lba, alt,
                         first_usable, last_usable, b"\x22" * 16, elba, n_entries, entry_size,
                         crc_arr)
        struct.pack_into("<I", h, 16, binascii.crc32(h))
        d[lba * 512:lba * 512 + 92] = h
        d[elba * 512:elba * 512 + len(arr)] = arr
    return bytes(d)
put("gpt-9000.img", gpt(9000, 128))
put("gpt-esize0.img", gpt(128, 0))
os.chmod(os.path.join(out, "gpt-esize0.img"), 0o666)  # join opens it for writing
# configs: UTF-32 (libxml2 said "Document is empty") and text after a NUL
mc = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                       "minimal", "config.xml"), encoding="utf-8").read()
put("utf32.xml", mc.replace("utf-8", "UTF-32").encode("utf-32"))
put("nul-after.xml", mc.encode() + b"\0<image>ignored</image>\n")
