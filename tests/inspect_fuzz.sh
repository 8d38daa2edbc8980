# SPDX-License-Identifier: MIT
# The readers treat images as hostile: 36 copies of a DDI from vcompose build
# and of a FAT ESP made by mkfs.fat, each with a few bytes changed where the
# structures are (GPT, superblocks, inodes, directories, the FAT, the verity
# tree), deterministically. inspect, verify (and diff) must end with 0 or 1 and
# a message, never a crash or a sanitizer report; inspect --json must stay JSON.
. "$VC_SOURCE_DIR/tests/lib.sh"
export SOURCE_DATE_EPOCH=1700000000
command -v mkfs.fat >/dev/null && command -v mcopy >/dev/null || { echo "SKIP: no mkfs.fat"; exit 77; }
scratch out
vc build "$VC_SOURCE_DIR/examples/minimal/config.xml" --root "$VC_SOURCE_DIR/examples/minimal/root" -o out >/dev/null 2>&1
mkdir -p esp/EFI/Linux esp/a/b/c
echo "timeout 0" > "esp/a/b/c/some long name.conf"
head -c 9000 /dev/zero | tr '\0' 'z' > esp/EFI/Linux/x.efi
truncate -s 2M esp.img
mkfs.fat -n ESP esp.img >/dev/null
mcopy -s -i esp.img esp/EFI esp/a ::/
python3 - <<'PY'
import random
rng = random.Random(11)
disk = open("out/minimal.raw", "rb").read()
esp = open("esp.img", "rb").read()
# where the structures are: GPT head and tail, the root's first block, the hash partition
spots_disk = [(0, 34 * 512), (len(disk) - 33 * 512, len(disk)), (1 << 20, (1 << 20) + 4096),
              (2 << 20, (2 << 20) + 4096)]
spots_esp = [(0, 512), (512, 8 * 4096), (8 * 4096, 64 * 1024)]
for i in range(36):
    src, spots = (disk, spots_disk) if i % 3 else (esp, spots_esp)
    b = bytearray(src)
    for _ in range(rng.randint(1, 6)):
        lo, hi = rng.choice(spots)
        o = rng.randrange(lo, hi)
        b[o] = rng.choice([0, 0xff, b[o] ^ (1 << rng.randrange(8)), rng.randrange(256)])
    open("m%03d.img" % i, "wb").write(b)
PY
chmod a+r m*.img
n=0
for f in m*.img; do
	cmds="inspect --json $f|verify --jobs 1 $f"
	[ $((n % 3)) = 1 ] && cmds="$cmds|diff out/minimal.raw $f"
	IFS='|'
	for cmd in $cmds; do
		unset IFS
		set +e
		$VC_RUN "$VCOMPOSE" $cmd > o.txt 2> e.txt
		rc=$?
		set -e
		if grep -q "Sanitizer\|runtime error" e.txt || { [ $rc != 0 ] && [ $rc != 1 ]; }; then
			cat e.txt >&2
			fail "vcompose $cmd: exit $rc"
		fi
		case $cmd in inspect*) [ $rc = 1 ] || cp o.txt "$f.json" ;; esac
		[ $rc = 0 ] || [ -s e.txt ] || [ -s o.txt ] || fail "vcompose $cmd: exit $rc without a word"
		IFS='|'
	done
	unset IFS
	n=$((n + 1))
done
python3 - <<'PY' || fail "inspect --json printed something that is not JSON"
import glob, json
for f in sorted(glob.glob("m*.img.json")):
    try:
        d = json.load(open(f))
        assert isinstance(d["errors"], list) and d["schema"] == 2
    except Exception as e:
        raise SystemExit("%s: %s" % (f, e))
PY
echo "ok: $n mutated images"
