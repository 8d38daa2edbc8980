# SPDX-License-Identifier: MIT
# vcompose tree --dump as an unprivileged user: a folder equals its tarball
# (plain, zstd, from stdin), readdir order does not matter, mtimes clamp,
# malicious archives give exit 1 and a one-line message.
. "$VC_SOURCE_DIR/tests/lib.sh"

mk_tree() { # DIR ORDER(fwd|rev)
	d=$1
	mkdir -p "$d"
	if [ "$2" = fwd ]; then names="a b c d e f g h"; else names="h g f e d c b a"; fi
	for n in $names; do
		mkdir -p "$d/dir_$n"
		printf 'file %s\n' "$n" > "$d/dir_$n/file"
		ln -s "../dir_$n/file" "$d/dir_$n/link"
	done
	mkdir -p "$d/usr/bin"
	printf '#!/bin/sh\n' > "$d/usr/bin/tool"
	chmod 4755 "$d/usr/bin/tool"
	ln "$d/usr/bin/tool" "$d/usr/bin/tool2"
	mkfifo "$d/fifo"
	printf 'sp ace\n' > "$d/name with space"
	setfattr -n user.note -v hello "$d/usr/bin/tool" 2>/dev/null || true
	find "$d" -exec touch -h -d @1600000000 {} +
}

mk_tree fwd fwd
mk_tree rev rev
export SOURCE_DATE_EPOCH=1700000000
vc tree --dump --root fwd > fwd.dump
vc tree --dump --root rev > rev.dump
cmp fwd.dump rev.dump || fail "readdir order changed the tree"
grep -q '^/usr/bin/tool type=file mode=4755 uid=0 gid=0 mtime=1600000000.000000000' fwd.dump ||
	fail "tool line wrong: $(grep tool fwd.dump)"
grep -q '^/usr/bin/tool2 .*nlink=2 hardlink=1' fwd.dump || fail "hardlink group"
grep -q '^/name\\040with\\040space ' fwd.dump || fail "escaped name"

tar --format=posix --xattrs --numeric-owner --owner=0 --group=0 -C fwd -cf fwd.tar .
vc tree --dump --tar fwd.tar > tar.dump
diff fwd.dump tar.dump || fail "folder and tar differ"
zstd -q fwd.tar -o fwd.tar.zst
$VC_RUN "$VCOMPOSE" tree --dump --tar - < fwd.tar.zst > zst.dump
diff fwd.dump zst.dump || fail "folder and tar.zst on stdin differ"

# clamping: an epoch below the mtimes
SOURCE_DATE_EPOCH=1000 vc tree --dump --root fwd | grep -q '^/fifo .*mtime=1000.000000000' ||
	fail "mtime not clamped"
vc tree --dump --root fwd --source-date-epoch 5 | grep -q '^/ .*mtime=5.000000000' ||
	fail "--source-date-epoch not applied"

# ownership: tar keeps owners by default, --owner root zeroes them
tar --format=posix --numeric-owner --owner=123 --group=456 -C fwd -cf owned.tar .
vc tree --dump --tar owned.tar | grep -q '^/fifo .*uid=123 gid=456' || fail "owners kept"
vc tree --dump --tar owned.tar --owner root | grep -q '^/fifo .*uid=0 gid=0' || fail "--owner root"

# mtree overlay: setuid root and a device node, without root
printf '#mtree\n./usr/bin/tool type=file mode=4711 uid=0 gid=0\n./dev type=dir mode=0755 uid=0 gid=0\n./dev/console type=char mode=0600 uid=0 gid=5 device=native,5,1\n' > over.mtree
vc tree --dump --root fwd --mtree over.mtree > m.dump
grep -q '^/dev/console type=char mode=0600 uid=0 gid=5 .*rdev=5,1' m.dump || fail "mtree device"
grep -q '^/usr/bin/tool2 type=file mode=4711' m.dump || fail "mtree mode on the hardlink group"

# malicious archives made with python's tarfile
python3 - <<'PY'
import io, tarfile
def mk(name, members):
    with tarfile.open(name, "w", format=tarfile.PAX_FORMAT) as t:
        for m, data in members:
            if data is not None:
                m.size = len(data)
                t.addfile(m, io.BytesIO(data))
            else:
                t.addfile(m)
f = lambda n: tarfile.TarInfo(n)
mk("traversal.tar", [(f("../../etc/passwd"), b"x")])
mk("absolute.tar", [(f("/etc/shadow"), b"x")])
l = f("hl"); l.type = tarfile.LNKTYPE; l.linkname = "missing"
mk("hardlink.tar", [(l, None)])
d = f("a"); d.type = tarfile.DIRTYPE
mk("conflict.tar", [(f("a"), b"x"), (d, None)])
PY
expect_exit 1 "traversal.tar: ../../etc/passwd: path escapes the root" tree --dump --tar traversal.tar
[ "$(wc -l < "$VC_TMP/.err")" = 1 ] || fail "message is not one line"
expect_exit 1 "absolute path" tree --dump --tar absolute.tar
expect_exit 1 "hard link to a missing entry 'missing'" tree --dump --tar hardlink.tar
expect_exit 1 "appears twice, as a file and as a folder" tree --dump --tar conflict.tar
head -c $(($(wc -c < fwd.tar.zst) / 2)) fwd.tar.zst > cut.tar.zst
expect_exit 1 "cut.tar.zst" tree --dump --tar cut.tar.zst
expect_exit 3 "missing.tar" tree --dump --tar missing.tar
expect_exit 2 "exactly one of --root" tree --dump
# --tar of a FIFO is one stream, read once (issue 15, item 4): the writer
# starts after vcompose opened it, and a cpio works the same way
mkfifo stream.fifo
chmod 666 stream.fifo
(sleep 1; cat fwd.tar > stream.fifo) &
timeout 60 $VC_RUN "$VCOMPOSE" tree --dump --tar stream.fifo > fifo.dump || fail "--tar FIFO"
wait
diff fwd.dump fifo.dump || fail "folder and tar through a FIFO differ"
(cd fwd && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > fwd.cpio
vc tree --dump --tar fwd.cpio > /dev/null || fail "a cpio archive is refused"
expect_exit 2 "expected keep or root" tree --dump --root fwd --owner nobody

# A huge sparse file (issue 15, item 3): 1 TiB apparent, a few KiB of data,
# in a 20 KiB tar (pax and GNU sparse). tree --dump skips the holes
# (sparse_sha256, checked against python's computation of its definition)
# in well under the timeout, folder and tar agree. A build keeps its holes
# (EROFS chunk-based files, target 5.15 or later: the default): a small
# image in seconds, verify holds. Where it cannot keep them (erofs_target
# 5.10) a build that cannot hold the file is refused up front in one line
# naming the file, and leaves nothing.
mkdir -p sp
printf 'x\n' > sp/small
truncate -s 1T sp/big.img
printf 'data' | dd of=sp/big.img bs=1 seek=5000000 conv=notrunc status=none
printf 'tail' | dd of=sp/big.img bs=1 seek=$((1 << 39)) conv=notrunc status=none
chmod -R a+rX sp
tar --sparse --format=posix -C sp -cf sparse.tar .
tar --sparse --format=gnu -C sp -cf sparse-gnu.tar .
[ "$(wc -c < sparse.tar)" -lt 100000 ] || fail "the sparse tar is not small: $(wc -c < sparse.tar)"
want=$(python3 - sp/big.img <<'PY'
import os, hashlib, struct, sys
f = os.open(sys.argv[1], os.O_RDONLY); size = os.fstat(f).st_size
h = hashlib.sha256(); pos = 0
while pos < size:  # every non-zero 4 KiB block: le64 index, bytes; then le64 size
    try: d = os.lseek(f, pos, os.SEEK_DATA)
    except OSError: break
    d = max(pos, d // 4096 * 4096)
    e = min(size, -(-os.lseek(f, d, os.SEEK_HOLE) // 4096) * 4096)
    for b in range(d, e, 4096):
        blk = os.pread(f, min(4096, e - b), b)
        if blk.strip(b'\0'): h.update(struct.pack('<Q', b // 4096) + blk)
    pos = e
h.update(struct.pack('<Q', size)); print(h.hexdigest())
PY
)
for src in "--tar sparse.tar" "--tar sparse-gnu.tar" "--root sp"; do
	timeout 20 $VC_RUN "$VCOMPOSE" tree --dump $src > sp.dump || fail "tree --dump $src of a 1 TiB sparse file"
	grep -q "^/big.img type=file .* size=1099511627776 sparse_sha256=$want " sp.dump ||
		{ cat sp.dump >&2; fail "tree --dump $src: sparse_sha256 of /big.img is not $want"; }
done
ex=$VC_SOURCE_DIR/examples/minimal
sed 's/erofscompression="lz4hc"/erofscompression="none"/' "$ex/config.xml" > none.xml
sed 's/erofscompression="lz4hc"/erofscompression="none" erofs_target="5.10"/' "$ex/config.xml" \
	> none510.xml
sed 's|verity_partition="true"/>|erofs_target="5.10" verity_partition="true"><size unit="M">64</size></type>|' \
	"$ex/config.xml" > size.xml
chmod a+r none.xml none510.xml size.xml
scratch out-tib
start=$(date +%s)
timeout 60 $VC_RUN "$VCOMPOSE" build none.xml --tar sparse.tar -o out-tib -q ||
	fail "build of a 1 TiB sparse file in a 20 KiB tar"
[ $(($(date +%s) - start)) -lt 20 ] || fail "the 1 TiB sparse file took $(($(date +%s) - start)) s"
[ "$(stat -c %s out-tib/minimal.raw)" -lt $((64 << 20)) ] ||
	fail "the 1 TiB sparse file's image is $(stat -c %s out-tib/minimal.raw) bytes"
vc verify out-tib/minimal.raw > /dev/null || fail "verify of the 1 TiB sparse file's image"
rm -rf out-tib
refused() { # CONFIG TAR TEXT
	scratch out-sp
	expect_exit 1 "$2: /big.img: a file of " build "$1" --tar "$2" -o out-sp
	grep -qF -- "$3" "$VC_TMP/.err" || { cat "$VC_TMP/.err" >&2; fail "$1: the refusal does not say '$3'"; }
	[ "$(wc -l < "$VC_TMP/.err")" = 1 ] || { cat "$VC_TMP/.err" >&2; fail "$1: not one line"; }
	[ -z "$(ls -A out-sp)" ] || fail "$1: a refused build left $(ls -A out-sp)"
	rm -rf out-sp
}
refused none510.xml sparse.tar "more than a verity hash tree covers"
refused size.xml sparse.tar "more than the disk's size.xml:"
# a sparse file that fits is built, and its holes stay holes in the image
# file (vc_sink_copy_fd skips them): 128 MiB apparent, a few MiB allocated;
# from the folder and from the sparse tar the same bytes, and verify holds
mkdir -p fit
printf 'x\n' > fit/small
truncate -s 128M fit/big.img
printf 'data' | dd of=fit/big.img bs=1 seek=5000000 conv=notrunc status=none
chmod -R a+rX fit
tar --sparse --format=posix -C fit -cf fit.tar .
scratch out-fit
scratch out-fit2
vc build none.xml --root fit -o out-fit -q || fail "build of a 128 MiB sparse file"
vc build none.xml --tar fit.tar -o out-fit2 -q || fail "build of a 128 MiB sparse file from a tar"
cmp out-fit/minimal.raw out-fit2/minimal.raw || fail "the sparse file's image differs between folder and tar"
used=$(($(stat -c %b out-fit/minimal.raw) * $(stat -c %B out-fit/minimal.raw)))
[ "$used" -lt $((16 << 20)) ] ||
	fail "the image of a 128 MiB sparse file takes $used bytes on disk: its holes were written"
vc verify out-fit/minimal.raw > /dev/null || fail "verify of the sparse file's image"
# its tree (level 0 of the holes from a precomputed zero-block digest) as
# veritysetup computes it from the bytes
python3 - out-fit/minimal.raw out-fit/minimal.manifest.json <<'PY'
import json, sys
d = json.load(open(sys.argv[2]))
img = open(sys.argv[1], 'rb')
for p, name in zip(d["disk"]["partitions"], ("root.img", "hash.img")):
    img.seek(p["offset"]); out = open("out-fit/" + name, "wb")
    left = p["size"]
    while left:
        b = img.read(min(left, 1 << 20)); left -= len(b)
        if b.strip(b"\0"): out.write(b)
        else: out.seek(len(b), 1)
    out.truncate()
PY
PATH=$PATH:/usr/sbin veritysetup verify out-fit/root.img out-fit/hash.img "$(cat out-fit/minimal.roothash)" ||
	fail "veritysetup verify refuses the sparse file's image"
rm -rf out-fit out-fit2
# past the output folder's free space (below the verity limit of ~127 GiB)
free=$(df -B1 --output=avail . | tail -n 1)
if [ "$free" -lt $((100 << 30)) ]; then
	truncate -s $((free + (1 << 30))) sp/big.img
	tar --sparse --format=posix -C sp -cf free.tar .
	refused none510.xml free.tar "free on the file system of out-sp"
fi
echo ok
