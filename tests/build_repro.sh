# SPDX-License-Identifier: MIT
# Same inputs, same bytes: the minimal-style DDI of a generated tree (LZ4HC,
# a few MiB, many files) built under variations must give identical artifacts:
# --jobs 1/2/16, umask 022/077, TZ, LC_ALL, output and working folders, the
# tree as a folder created in reverse order with later mtimes (clamped), a tar
# and a tar.zst, and a different builder uid.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
export SOURCE_DATE_EPOCH=1700000000

gen() { # DIR ORDER: a deterministic tree; ORDER=rev creates entries backwards
	python3 - "$1" "$2" <<'PY'
import os, random, sys
root, order = sys.argv[1], sys.argv[2]
rnd = random.Random(42)
entries = []
for d in range(12):
    for f in range(30):
        n = rnd.randrange(0, 70000)
        kind = rnd.random()
        if kind < 0.4:   # text: compresses
            data = (("line %d of file %d in dir %d\n" % (f, f, d)) * (n // 24 + 1)).encode()[:n]
        elif kind < 0.7: # random: does not
            data = rnd.randbytes(n)
        else:            # mixed
            data = rnd.randbytes(n // 2) + bytes(n - n // 2)
        entries.append(("d%02d/sub%d/f%03d" % (d, f % 3, f), data))
if order == "rev":
    entries.reverse()
for path, data in entries:
    p = os.path.join(root, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as fh:
        fh.write(data)
os.symlink("d00/sub0/f000", os.path.join(root, "link"))
PY
}
mkdir -p t1 t2
gen t1 fwd
gen t2 rev
find t1 -exec touch -h -d @1600000000 {} +
find t2 -exec touch -h -d @1800000000 {} +     # later than the epoch: clamped
# the reverse-created tree, with later mtimes, must equal t1 once clamped... only
# if the clamp lands on the same value: make t1's mtimes later too.
find t1 -exec touch -h -d @1900000000 {} +
chmod -R a+rX t1 t2
tar --format=posix --numeric-owner --owner=0 --group=0 -C t1 -cf t1.tar .
zstd -q t1.tar -o t1.tar.zst
cfg="$VC_SOURCE_DIR/examples/minimal/config.xml"

build() { # NAME RUNNER ARGS...: builds into out-NAME
	name=$1; runner=$2; shift 2
	scratch "out-$name"
	$runner build "$cfg" -o "out-$name" "$@" > /dev/null || fail "build $name"
	(cd "out-$name" && sha256sum * > ../sums-$name)
}
build ref      vc_env --root t1 --jobs 1
build jobs2    vc_env --root t1 --jobs 2
build jobs16   vc_env --root t1 --jobs 16
build umask    vc_umask --root t1
build tz       vc_tz --root t1
build rev      vc_env --root t2
build tar      vc_env --tar t1.tar
build zst      vc_env --tar t1.tar.zst
mkdir -p elsewhere/deeper && scratch elsewhere/deeper/o
(cd elsewhere && $VC_RUN "$VCOMPOSE" build "$cfg" --root ../t1 -o deeper/o > /dev/null) || fail "build elsewhere"
(cd elsewhere/deeper/o && sha256sum * > ../../../sums-elsewhere)
if [ -n "$VC_RUN" ]; then # a different builder uid (root instead of nobody)
	scratch out-root
	"$VCOMPOSE" build "$cfg" --root t1 -o out-root > /dev/null || fail "build as root"
	(cd out-root && sha256sum * > ../sums-root)
fi
for s in sums-*; do
	cmp -s sums-ref "$s" || { diff sums-ref "$s" >&2; fail "$s differs from the reference build"; }
done
grep -q 'minimal.raw' sums-ref || fail "no disk in the outputs"
# the image is not trivially small: several pclusters, a multi-level tree
[ "$(part_field out-ref/minimal.manifest.json 0 size)" -gt 4000000 ] || fail "tree too small to be a test"
echo "ok: $(ls sums-* | wc -l) builds identical"
