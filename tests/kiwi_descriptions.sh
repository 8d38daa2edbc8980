# SPDX-License-Identifier: MIT
# KIWI's own build-test descriptions (tests/kiwi/, copies of OSInside/kiwi
# build-tests/x86/*/*/appliance.kiwi; see tests/kiwi/README.md), given to
# vcompose build unchanged, with -q: each run reports every refused item of
# the description, each on its own "error:" line, exactly the list in
# tests/kiwi/EXPECT, and exits 1 (never 0 with something dropped); the
# warnings are printed although -q is given; nothing is left in the output
# folder. Then two of them with only their refused items changed build as
# described, checked with vcompose inspect --json: partitions, GPT entry
# numbers, sizes, file systems, the qcow2 format.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
K=$VC_SOURCE_DIR/tests/kiwi
export SOURCE_DATE_EPOCH=1700000000
cp -a "$VC_SOURCE_DIR/examples/minimal/root" tree
chmod -R a+rX tree
n=0
while IFS='|' read -r path args want; do
	case $path in '' | \#*) continue ;; esac
	path=$(echo $path); n=$((n + 1))
	O=out-$n; scratch "$O"
	set +e
	# shellcheck disable=SC2086 # args are words
	$VC_RUN "$VCOMPOSE" build -q "$K/$path" --root tree -o "$O" $args >out.txt 2>err.txt
	rc=$?
	set -e
	why=""
	[ "$rc" = 1 ] || why="exit $rc, expected 1"
	grep -v ': [0-9]* errors$' err.txt | grep '^vcompose build: error: ' >errors.txt || true
	grep -q '^vcompose build: warning: ' err.txt || why="${why:+$why; }no warning printed with -q"
	count=0
	rest=$want
	while [ -n "$rest" ]; do
		frag=${rest%%;*}; [ "$frag" = "$rest" ] && rest="" || rest=${rest#*;}
		frag=$(echo "$frag" | sed 's/^ *//; s/ *$//')
		[ -n "$frag" ] || continue
		count=$((count + 1))
		grep -qF -- "$frag" errors.txt || why="${why:+$why; }no error for '$frag'"
	done
	got=$(wc -l <errors.txt)
	[ "$got" = "$count" ] || why="${why:+$why; }$got errors, expected $count"
	[ "$count" -lt 2 ] || grep -q ": $count errors\$" err.txt || why="${why:+$why; }no '$count errors'"
	[ -z "$(ls -A "$O")" ] || why="${why:+$why; }left in the output folder: $(ls -A "$O")"
	if [ -n "$why" ]; then
		echo "FAIL $path: $why" >&2; sed 's/^/  | /' err.txt >&2; exit 1
	fi
	echo "ok $path: exit 1, $count error(s), $(grep -c 'warning: ' err.txt) warning(s)"
done <"$K/EXPECT"
[ "$n" -ge 12 ] || fail "only $n descriptions"

# Two descriptions with their refused items changed build as described.
boot_files
mkdir -p tree/boot tree/usr/lib/systemd/boot/efi
cp "$stub" "$sdboot" tree/usr/lib/systemd/boot/efi/
cp "$kernel" tree/boot/
chmod -R a+rX tree
python3 "$VC_SOURCE_DIR/tests/busybox_initrd.py" initrd.img KIWI-VARIANT
chmod a+r initrd.img
# inspect_parts DISK "NUMBER:TYPE:SIZE_MIB:CONTENT ...": the GPT entries by number
# ("*": any; the root's size follows the host's kernel)
inspect_parts() {
	vc inspect --json "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert not d["errors"], d["errors"]
got = ["%d:%s:%d:%s" % (p["number"], p["type"], p["size"] >> 20, p.get("content", "-"))
       for p in d["disk"]["partitions"]]
want = sys.argv[1].split()
ok = len(got) == len(want) and all(
    all(w in ("*", g) for w, g in zip(a.split(":"), b.split(":"))) for a, b in zip(want, got))
assert ok, (got, want)' "$2" || fail "inspect --json $1"
}

# rawhide/test-image-systemd-boot with filesystem="erofs": format="qcow2",
# efipartsize="200", systemd-boot
mkdir -p sdboot
sed 's/filesystem="ext4"/filesystem="erofs"/' "$K/rawhide/test-image-systemd-boot/appliance.kiwi" \
	>sdboot/appliance.kiwi
chmod -R a+rX sdboot
scratch out-sdboot
vc build -q sdboot/appliance.kiwi --root tree --initrd initrd.img -o out-sdboot 2>err.txt ||
	{ cat err.txt >&2; fail "systemd-boot variant"; }
grep -q 'warning: .*<packagemanager>' err.txt || fail "no warning with -q"
inspect_parts out-sdboot/kiwi-test-image-systemd-boot.raw "1:esp:200:fat 2:root:*:erofs"
qemu-img compare -f raw -F qcow2 out-sdboot/kiwi-test-image-systemd-boot.raw \
	out-sdboot/kiwi-test-image-systemd-boot.qcow2 >/dev/null || fail "qcow2 differs from the raw"

# fedora/test-image-amazon-linux-layout with filesystem="erofs",
# bootpartition="false", systemd-boot: efipart_id="55", rootpart_id="1",
# efipartsize="100", <size unit="G">10</size>, the ext4 /var partition with
# part_id="13"; the boot partition's attributes are warnings
mkdir -p amazon
sed '/<partition /!s/filesystem="ext4"/filesystem="erofs"/; s/bootpartition="true"/bootpartition="false"/;
	s/bootloader name="grub2"/bootloader name="systemd_boot"/' \
	"$K/fedora/test-image-amazon-linux-layout/appliance.kiwi" >amazon/appliance.kiwi
chmod -R a+rX amazon
scratch out-amazon
vc build -q amazon/appliance.kiwi --root tree --initrd initrd.img -o out-amazon 2>err.txt ||
	{ cat err.txt >&2; fail "Amazon layout variant"; }
grep -q 'warning: .*<type bootpart_id>: ignored' err.txt || fail "bootpart_id not warned"
grep -q 'warning: .*<size>' err.txt && fail "<size> dropped with a warning"
disk=$(ls out-amazon/*.raw)
inspect_parts "$disk" "1:root:*:erofs 13:var:2000:ext4 55:esp:100:fat"
sfdisk --json "$disk" | python3 -c '
import json, sys
p = json.load(sys.stdin)["partitiontable"]
assert [x["node"].rsplit("raw", 1)[1] for x in p["partitions"]] == ["1", "13", "55"], p
assert p["partitions"][2]["start"] == 2048, p  # the ESP is first on disk
assert p["lastlba"] * 512 >= 10 * 1024**3 - 2**20, p  # <size unit="G">10</size>
' || fail "sfdisk --json: numbers, disk order, size"
echo ok
