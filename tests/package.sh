# SPDX-License-Identifier: MIT
# The Debian package: `dpkg-buildpackage -us -uc -b` on a copy of the source
# builds a .deb that lintian finds no error in; unpacked into a scratch root
# with `dpkg -x`, its binary runs, `man vcompose-build` reads its page and the
# bash completion completes a command and an option.
. "$VC_SOURCE_DIR/tests/lib.sh"
for t in dpkg-buildpackage lintian man scdoc dh; do
	command -v $t >/dev/null || { echo "SKIP: missing $t"; exit 77; }
done
dpkg-checkbuilddeps "$VC_SOURCE_DIR/debian/control" 2>/dev/null ||
	{ echo "SKIP: build dependencies of debian/control missing"; exit 77; }
mkdir src
# the source as a clean clone has it: no build folders, no .git
tar -C "$VC_SOURCE_DIR" --exclude='./build*' --exclude=./.git --exclude=./out -cf - . | tar -C src -xf -
(cd src && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
	> pkg.log 2>&1 || { tail -n 30 pkg.log >&2; fail "dpkg-buildpackage"; }
deb=$(ls vcompose_*_*.deb)
[ -f "$deb" ] || fail "no .deb was made"
lintian --fail-on error --no-tag-display-limit ./*.changes > lintian.log 2>&1 ||
	{ cat lintian.log >&2; fail "lintian reports errors"; }
dpkg -x "$deb" root
v=$(root/usr/bin/vcompose --version) || fail "the packaged binary does not run"
echo "$v" | grep -q "vcompose" || fail "--version printed '$v'"
MANPATH=$PWD/root/usr/share/man man -P cat vcompose-build 2>/dev/null > man.txt ||
	fail "man vcompose-build"
grep -q "vcompose-build - compose" man.txt || fail "the page of vcompose-build reads: $(head -n 5 man.txt)"
for page in vcompose vcompose-build vcompose-erofs vcompose-verity vcompose-sign vcompose-uki \
	vcompose-fat vcompose-gpt vcompose-inspect vcompose-verify vcompose-diff vcompose-tree; do
	[ -f "root/usr/share/man/man1/$page.1.gz" ] || fail "no manual page $page(1)"
done
comp=root/usr/share/bash-completion/completions/vcompose
[ -f "$comp" ] || fail "no bash completion"
got=$(PATH=$PWD/root/usr/bin:$PATH bash -c '. "$1"; COMP_WORDS=(vcompose bu); COMP_CWORD=1; _vcompose
	echo "${COMPREPLY[*]}"; COMP_WORDS=(vcompose build --source-d); COMP_CWORD=2; _vcompose
	echo "${COMPREPLY[*]}"' sh "$comp")
[ "$got" = "build
--source-date-epoch" ] || fail "bash completion gave: $got"
echo "ok: $deb"
