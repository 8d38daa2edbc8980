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
echo ok
