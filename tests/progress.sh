# SPDX-License-Identifier: MIT
# Progress: on a terminal (a pseudo-terminal made by script(1)) the EROFS
# and verity stages draw bytes, files and percent; on a non-terminal nothing
# is drawn by default; --progress=plain prints lines for logs; -v adds the
# stage times. (Issue 21.)
. "$VC_SOURCE_DIR/tests/build_lib.sh"
command -v script >/dev/null || { echo "SKIP: no script(1)"; exit 77; }
export SOURCE_DATE_EPOCH=1700000000
# a tree of 48 MB in 40 files, incompressible
python3 - <<'PY'
import os, random
r = random.Random(7)
os.makedirs("tree/data", exist_ok=True)
for i in range(40):
    with open(f"tree/data/f{i:02d}", "wb") as f:
        f.write(r.randbytes(1200 * 1024))
PY
chmod -R a+rX tree
cfg=$VC_SOURCE_DIR/examples/minimal/config.xml
scratch o1
script -qec "$VC_RUN $VCOMPOSE build $cfg --root tree -o o1" tty.txt > /dev/null ||
	{ cat tty.txt >&2; fail "build under a pseudo-terminal"; }
tr '\r' '\n' < tty.txt > tty.lines
grep -qE 'EROFS root file system: 40/40 files, .* of .* \(100%\)' tty.lines ||
	{ cat tty.lines >&2; fail "no EROFS progress with files and percent on a terminal"; }
grep -qE 'dm-verity over [0-9]+ blocks: .* of .* \(100%\)' tty.lines ||
	{ cat tty.lines >&2; fail "no verity progress with percent on a terminal"; }
scratch o2
vc build "$cfg" --root tree -o o2 > out.txt 2> err.txt || fail "build on a non-terminal"
! grep -q '%' err.txt || { cat err.txt >&2; fail "progress drawn on a non-terminal"; }
cmp -s o1/minimal.raw o2/minimal.raw || fail "progress changed the image"
scratch o3
vc build "$cfg" --root tree -o o3 --progress=plain -v > out.txt 2> plain.txt || fail "--progress=plain"
! grep -q "$(printf '\r')" plain.txt || fail "plain progress redraws with CR"
grep -qE 'EROFS root file system: 40/40 files, .*\(100%\)' plain.txt ||
	{ cat plain.txt >&2; fail "no plain EROFS progress line"; }
grep -q '^stage times:' plain.txt || { cat plain.txt >&2; fail "-v printed no stage times"; }
expect_exit 2 "--progress bogus" build "$cfg" --root tree -o o3 --progress=bogus
echo ok
