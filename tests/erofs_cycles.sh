# SPDX-License-Identifier: MIT
# The EROFS walk of inspect and verify on hostile images (issue 15, item 6):
# a directory entry pointing at the root or at its own folder (a cycle that
# fsck.erofs 1.5 loops on or reports as corruption), "." and ".." pointing
# elsewhere, a file type that contradicts the inode, a nid inside another
# inode. verify must fail naming the path, inspect must list it under
# errors and exit 1; the good image passes both. The damage is made by tests/erofs_corrupt.py.
. "$VC_SOURCE_DIR/tests/lib.sh"
export SOURCE_DATE_EPOCH=1700000000
mkdir -p root/a/b
echo hi > root/a/f
echo x > root/top
chmod -R a+rX root
scratch out
vc erofs --root root -o out/e.img --compress none >/dev/null
vc verify out/e.img >/dev/null || fail "the good image does not verify"
vc inspect out/e.img >/dev/null || fail "the good image does not inspect"
check() { # CASE TEXT
	python3 "$VC_SOURCE_DIR/tests/erofs_corrupt.py" out/e.img "out/$1.img" "$1"
	set +e
	timeout 60 $VC_RUN "$VCOMPOSE" verify "out/$1.img" > "$1.out" 2> "$1.err"
	v=$?
	timeout 60 $VC_RUN "$VCOMPOSE" inspect "out/$1.img" > "$1.ierr" 2>&1
	i=$?
	set -e
	[ "$v" = 1 ] || { cat "$1.out" "$1.err" >&2; fail "$1: verify exit $v, expected 1"; }
	grep -qF -- "$2" "$1.out" || { cat "$1.out" >&2; fail "$1: verify does not say '$2'"; }
	# inspect describes what it can, lists the problem under errors and
	# exits 1 (a cycle is no "ok"):
	[ "$i" = 1 ] || { cat "$1.ierr" >&2; fail "$1: inspect exit $i, expected 1"; }
	grep -q "^vcompose inspect: [0-9]* errors\{0,1\} in out/$1.img" "$1.ierr" ||
		{ cat "$1.ierr" >&2; fail "$1: inspect does not say it found errors"; }
	sed -n '/^errors:/,$p' "$1.ierr" | grep -qF -- "$2" ||
		{ cat "$1.ierr" >&2; fail "$1: inspect's errors do not say '$2'"; }
}
check loop-root "EROFS /a/b: directory nid"
check loop-self "a directory cycle or a hard link to a folder"
check dot "EROFS /: '.' points at nid"
check dotdot "EROFS /a: '..' points at nid"
check ftype "EROFS /top: the directory entry's file type 2 does not match"
check inner "lies inside another inode's record"
echo ok
