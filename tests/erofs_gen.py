#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes a pax tar of every edge case the EROFS writer must carry: sizes
# around the block size, a large mostly-zero file, incompressible and
# compressible data, a directory of 10,000 entries, 255-byte and UTF-8
# names, names sorting before ".", deep paths, 4095-byte symlink targets,
# devices, fifos, hardlinks, uid/gid 0/65535/65536/4294967294, odd modes,
# old and fractional mtimes, many, large, shared and ACL xattrs.
# Usage: erofs_gen.py OUT.tar [small] [EXPECT.dump]
#   small: leave out the 10,000-entry directory
#   EXPECT.dump: also write what tests/erofs_treedump.c must print for the
#   tree as a reader sees it (mtimes clamped to SOURCE_DATE_EPOCH = 1600000000)
import io
import random
import sys
import tarfile

out = sys.argv[1]
small = "small" in sys.argv[2:]
expect = [a for a in sys.argv[2:] if a != "small"]
rng = random.Random(1)
EPOCH = 1600000000
members = []


def add(name, typ=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0, mtime=EPOCH,
        linkname="", dev=(0, 0), pax=None):
    ti = tarfile.TarInfo(name)
    ti.type = typ
    ti.mode = mode
    ti.uid, ti.gid = uid, gid
    ti.uname = ti.gname = ""
    ti.mtime = mtime
    ti.linkname = linkname
    ti.devmajor, ti.devminor = dev
    if pax:
        ti.pax_headers = dict(pax)
    if typ == tarfile.REGTYPE:
        ti.size = len(data)
        members.append((ti, data))
    else:
        members.append((ti, None))


def d(name, **kw):
    add(name, tarfile.DIRTYPE, mode=kw.pop("mode", 0o755), **kw)


selinux = {"SCHILY.xattr.security.selinux": "system_u:object_r:usr_t:s0"}
d(".", mtime=EPOCH - 5)
d("dir")
d("sizes", pax=selinux)
for n in (0, 1, 4095, 4096, 4097, 8191, 8192, 12289, 65536 + 17):
    add("sizes/f%d" % n, data=bytes(rng.getrandbits(8) for _ in range(n)), pax=selinux)
    add("sizes/t%d" % n, data=(b"compressible line %d\n" * (n // 20 + 1))[:n] if n else b"",
        pax=selinux)
text = b"".join(b"line %d: the quick brown fox jumps over the lazy dog\n" % (i % 977)
                for i in range(60000))
add("data/text", data=text)
random_data = rng.randbytes(300000)
add("data/random", data=random_data)
# mostly zeros with islands of data: a large "sparse" file
big = bytearray(24 << 20)
for k in range(0, len(big), 3 << 20):
    big[k:k + 100] = b"island %d " % k * 8
big[-5:] = b"tail\n"
add("data/sparse", data=bytes(big))
mixed = bytearray()
for i in range(40):
    mixed += rng.randbytes(5000) if i % 3 == 0 else (b"abc%d" % i) * 2000
add("data/mixed", data=bytes(mixed))
# copies of larger files (not hardlinks): with dedupe, compressed and stored
# files of equal content share their blocks
d("dup")
add("dup/text", data=text)
add("dup/random", data=random_data)
d("data")
if not small:
    d("many")
    for i in range(10000):
        add("many/entry-%05d-%s" % (i, "x" * (i % 40)), data=b"" if i % 7 else b"%d\n" % i)
d("names")
add("names/" + "n" * 255, data=b"long name\n")
add("names/h\u00e9llo w\u00f6rld \u2713", data=b"utf8\n")
add("names/\u65e5\u672c\u8a9e", data=b"cjk\n")
for pre in ("-dash", "!bang", " space", "+plus", ",comma", "#hash", "~tilde", "\x7fdel"):
    add("names/" + pre, data=pre.encode())
deep = "deep"
d(deep)
for i in range(30):
    deep += "/" + ("%02d" % i) * 50
    d(deep)
add(deep + "/leaf", data=b"deep\n")
d("links")
add("links/short", tarfile.SYMTYPE, mode=0o777, linkname="../sizes/f1")
add("links/long", tarfile.SYMTYPE, mode=0o777, linkname=("a/" * 2047) + "b")
add("links/dir", tarfile.SYMTYPE, mode=0o777, linkname="/usr/lib")
add("links/hl1", data=b"hardlinked content\n", uid=1000, gid=1000)
add("dir/hl2", tarfile.LNKTYPE, linkname="links/hl1")
add("names/hl3", tarfile.LNKTYPE, linkname="links/hl1")
d("dev")
add("dev/null", tarfile.CHRTYPE, mode=0o666, dev=(1, 3))
add("dev/sda", tarfile.BLKTYPE, mode=0o660, gid=6, dev=(8, 0))
add("dev/bigminor", tarfile.CHRTYPE, dev=(4095, 1048575))
add("dev/fifo", tarfile.FIFOTYPE, mode=0o600)
d("owners")
for u in (0, 65535, 65536, 4294967294):
    add("owners/u%d" % u, data=b"%d\n" % u, uid=u, gid=u)
d("owners/dir65536", uid=65536, gid=70000)
d("modes")
for m in (0o000, 0o4755, 0o2755, 0o1777, 0o7777, 0o400):
    add("modes/m%04o" % m, data=b"m\n", mode=m)
d("modes/sticky", mode=0o1777)
d("times")
for t in (0, 1, 1000000000, EPOCH, EPOCH + 100):
    add("times/t%d" % t, data=b"t\n", mtime=t)
add("times/frac", data=b"f\n", pax={"mtime": "1500000000.123456789"})
d("xattrs")
add("xattrs/many", data=b"x\n",
    pax={"SCHILY.xattr.user.k%03d" % i: "value-%d" % i for i in range(60)})
add("xattrs/large", data=b"big xattr\n",
    pax={"SCHILY.xattr.user.big": "v" * 3000, "SCHILY.xattr.user.big2": "w" * 3500,
         "SCHILY.xattr.user.big3": "z" * 3900})
add("xattrs/mixed", data=b"mixed\n", pax={
    "SCHILY.xattr.trusted.overlay.opaque": "y",
    "SCHILY.xattr.security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00" + "\x00" * 12,
    "SCHILY.xattr.user.empty": "",
    "SCHILY.acl.access": "user::rw-,user:1000:r--,group::r--,mask::r--,other::r--",
    **selinux})
d("xattrs/acldir", pax={"SCHILY.acl.default": "user::rwx,group::r-x,other::r-x",
                        "SCHILY.acl.access": "user::rwx,user:1000:r-x,group::r-x,mask::r-x,other::r-x"})
for i in range(5):
    add("xattrs/shared%d" % i, data=b"s\n", pax={**selinux, "SCHILY.xattr.user.common": "c"})

with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
    for ti, data in members:
        tf.addfile(ti, io.BytesIO(data) if data is not None else None)


# ---- the expected dump ----
def esc(b):
    if not b:
        return b"-"
    return b"".join(b"\\%03o" % c if c <= 0x20 or c in (0x5c, 0x7f) else bytes([c]) for c in b)


def fnv(data):
    h = 1469598103934665603
    for c in data or b"":
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def acl(text):
    tags = {"user": (1, 2), "group": (4, 8), "mask": (0x10, 0x10), "other": (0x20, 0x20)}
    ents = []
    for e in text.split(","):
        kind, q, perm = e.split(":")
        p = (4 if perm[0] == "r" else 0) | (2 if perm[1] == "w" else 0) | (1 if perm[2] == "x" else 0)
        tag = tags[kind][1 if q else 0]
        ents.append((tag, int(q) if q else 0xFFFFFFFF, p))
    ents.sort()
    return b"\x02\0\0\0" + b"".join(t.to_bytes(2, "little") + p.to_bytes(2, "little") +
                                     i.to_bytes(4, "little") for t, i, p in ents)


if expect:
    byname = {}
    for ti, data in members:
        name = "/" if ti.name == "." else "/" + ti.name
        byname[name] = (ti, data)
    groups = {}
    for name, (ti, data) in byname.items():
        if ti.type == tarfile.LNKTYPE:
            groups.setdefault("/" + ti.linkname, []).append(name)
    lines = []
    for name, (ti, data) in byname.items():
        src = name
        if ti.type == tarfile.LNKTYPE:
            src = "/" + ti.linkname
            ti, data = byname[src]
        typ = {tarfile.REGTYPE: "f", tarfile.DIRTYPE: "d", tarfile.SYMTYPE: "l",
               tarfile.CHRTYPE: "c", tarfile.BLKTYPE: "b", tarfile.FIFOTYPE: "p"}[ti.type]
        mt = ti.pax_headers.get("mtime")
        if mt:
            sec, nsec = mt.split(".")
            mtime = "%s.%s" % (sec, nsec.ljust(9, "0"))
        else:
            mtime = "%d.000000000" % min(int(ti.mtime), EPOCH)
        if typ == "d":
            pre = "" if name == "/" else name
            subdirs = sum(1 for n, (t2, _) in byname.items()
                          if t2.type == tarfile.DIRTYPE and n != "/" and n.rsplit("/", 1)[0] == (pre or ""))
            nlink = 2 + subdirs
        else:
            nlink = 1 + len(groups.get(src, []))
        size = len(data) if typ == "f" else len(ti.linkname.encode()) if typ == "l" else 0
        rdev = "%d:%d" % (ti.devmajor, ti.devminor) if typ in "cb" else "0:0"
        xs = {}
        for k, v in ti.pax_headers.items():
            if k.startswith("SCHILY.xattr."):
                xs[k[13:].encode()] = v.encode()
            elif k == "SCHILY.acl.access":
                xs[b"system.posix_acl_access"] = acl(v)
            elif k == "SCHILY.acl.default":
                xs[b"system.posix_acl_default"] = acl(v)
        line = b"%s %s %04o %d %d %s %d %016x %s %s %d" % (
            esc(name.encode()), typ.encode(), ti.mode, ti.uid, ti.gid, mtime.encode(), size,
            fnv(data if typ == "f" else None), esc(ti.linkname.encode() if typ == "l" else b""),
            rdev.encode(), nlink)
        for k in sorted(xs):
            line += b" " + k + b"=" + xs[k].hex().encode()
        lines.append(line)
    with open(expect[0], "wb") as f:
        f.write(b"".join(l + b"\n" for l in sorted(lines)))
