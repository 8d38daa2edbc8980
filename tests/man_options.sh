# SPDX-License-Identifier: MIT
# The manual pages keep up with the binary: every long option a command's
# --help names is described in its page (docs/man/vcompose-CMD.1.scd), every
# command of `vcompose --help` has a page, and every page is valid scdoc.
. "$VC_SOURCE_DIR/tests/lib.sh"
command -v scdoc >/dev/null || { echo "SKIP: missing scdoc"; exit 77; }
man=$VC_SOURCE_DIR/docs/man
cmds=$("$VCOMPOSE" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')
[ -n "$cmds" ] || fail "vcompose --help lists no commands"
for c in $cmds; do
	page=$man/vcompose-$c.1.scd
	[ -f "$page" ] || fail "no manual page for 'vcompose $c' ($page)"
	grep -qE "vcompose-$c\\*?\\(1\\)" "$man/vcompose.1.scd" || fail "vcompose(1) does not list vcompose-$c(1)"
	for o in $("$VCOMPOSE" "$c" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		[ "$o" = --help ] && continue
		grep -q -- "\*$o\*" "$page" || fail "vcompose-$c(1) does not describe $o"
	done
done
for f in "$man"/*.scd; do
	scdoc < "$f" > /dev/null || fail "scdoc rejects $f"
done
echo ok
