#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Damages an uncompressed EROFS image the way a hostile one would, with the
# structure kept valid otherwise (the superblock checksum recomputed; issue
# 15, item 6):
#   erofs_corrupt.py IN OUT CASE
#   loop-root  /a's entry "b" points at the root: a directory cycle
#   loop-self  /a's entry "b" points at /a itself
#   dot        the root's "." points at /a
#   dotdot     /a's ".." points at /a/b
#   ftype      the entry "top" says directory; its inode is a regular file
#   inner      the entry "top" points one slot into the root inode
# Spec: Linux 6.1 fs/erofs/erofs_fs.h (superblock at 1024: root_nid at +14,
# meta_blkaddr at +40; inodes at meta_blkaddr * 4096 + nid * 32; dirents of
# 12 bytes: nid le64, nameoff le16, file_type u8).
import struct
import sys

src, dst, case = sys.argv[1:4]
img = bytearray(open(src, "rb").read())
root_nid = struct.unpack_from("<H", img, 1024 + 14)[0]
meta = struct.unpack_from("<I", img, 1024 + 40)[0] * 4096


def inode(nid):
    at = meta + nid * 32
    fmt, icount, mode = struct.unpack_from("<HHH", img, at)
    ext = fmt & 1
    layout = fmt >> 1 & 7
    size = struct.unpack_from("<Q" if ext else "<I", img, at + 8)[0]
    i_u = struct.unpack_from("<I", img, at + 16)[0]
    isize = 64 if ext else 32
    xsize = 12 + 4 * (icount - 1) if icount else 0
    return dict(at=at, mode=mode, layout=layout, size=size, i_u=i_u, inline=at + isize + xsize)


def dirents(nid):
    """(name, nid, file_type, offset of the dirent in img) of a flat directory."""
    ino = inode(nid)
    out = []
    for boff in range(0, ino["size"], 4096):
        blen = min(4096, ino["size"] - boff)
        if ino["layout"] == 2 and boff + 4096 > ino["size"]:
            base = ino["inline"]
        else:
            base = ino["i_u"] * 4096 + boff
        n = struct.unpack_from("<H", img, base + 8)[0] // 12
        for i in range(n):
            d = base + 12 * i
            enid, noff, ft = struct.unpack_from("<QHB", img, d)
            nend = struct.unpack_from("<H", img, d + 12 + 8)[0] if i + 1 < n else blen
            name = bytes(img[base + noff:base + nend]).rstrip(b"\0").decode()
            out.append((name, enid, ft, d))
    return out


def entry(dir_nid, name):
    for e in dirents(dir_nid):
        if e[0] == name:
            return e
    sys.exit(f"no entry {name!r} in nid {dir_nid}")


a = entry(root_nid, "a")
b = entry(a[1], "b")
if case == "loop-root":
    struct.pack_into("<Q", img, b[3], root_nid)
elif case == "loop-self":
    struct.pack_into("<Q", img, b[3], a[1])
elif case == "dot":
    struct.pack_into("<Q", img, entry(root_nid, ".")[3], a[1])
elif case == "dotdot":
    struct.pack_into("<Q", img, entry(a[1], "..")[3], b[1])
elif case == "ftype":
    struct.pack_into("<B", img, entry(root_nid, "top")[3] + 10, 2)
elif case == "inner":
    struct.pack_into("<Q", img, entry(root_nid, "top")[3], root_nid + 1)
else:
    sys.exit(f"unknown case {case}")
# the superblock checksum covers bytes 1024..4095, where small images keep
# their inodes too: recompute it (Linux crc32c(~0, ...), no final inversion)
if struct.unpack_from("<I", img, 1024 + 8)[0] & 1:
    struct.pack_into("<I", img, 1024 + 4, 0)
    crc = 0xFFFFFFFF
    for byte in img[1024:4096]:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    struct.pack_into("<I", img, 1024 + 4, crc)
open(dst, "wb").write(img)
