# SPDX-License-Identifier: MIT
# The tree's dracut, run inside the tree, by each method, in seconds: a tree
# made of the minimal example, Debian's stub, systemd-boot and kernel, and a
# stand-in /usr/bin/dracut (a busybox shell script that writes its
# arguments, environment and user into the "initrd"). Checks:
# - bwrap (a user namespace) by default; under a seccomp filter that refuses
#   new user namespaces as Docker's default profile does (tests/nouserns.c),
#   proot, with a byte-identical image; the manifest names the method;
# - with ptrace refused too, exit 3 and one line naming what was refused and
#   the ways out, nothing in OUTDIR;
# - a dracut module the tree lacks: exit 1 before dracut runs, naming the
#   XML line and the closest modules; dm-verity: a kernel driver;
# - a failing dracut: exit 1, its [E] line and last lines in the message,
#   NAME.dracut.log the only file left in OUTDIR;
# - with efipartsize, dracut beside EROFS; --cache: a warm build runs no
#   dracut (it succeeds where none could run) and gives the same bytes; a
#   changed tree misses.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
nouserns=$VC_BUILD_DIR/tests/nouserns
# LeakSanitizer stops the world with ptrace: not where ptrace is refused
noleak=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
for t in bwrap proot; do
	command -v $t >/dev/null || { echo "SKIP: missing $t"; exit 77; }
done
[ -x "$nouserns" ] || { echo "SKIP: no tests/nouserns (libseccomp-dev)"; exit 77; }
export SOURCE_DATE_EPOCH=1700000000
oem_inputs VCOMPOSE-UNUSED
# the stand-in dracut and what the checks look at
mkdir -p tree/proc tree/dev tree/tmp tree/var/tmp tree/usr/lib/dracut/modules.d \
	"tree/usr/lib/modules/$kver"
for m in 00bash 01systemd-veritysetup 90dm 95fail-me 98systemd 99base; do
	mkdir -p "tree/usr/lib/dracut/modules.d/$m"
done
echo "kernel/drivers/md/dm-verity.ko:" > "tree/usr/lib/modules/$kver/modules.dep"
echo "DRACUT_VERSION=099-test" > tree/usr/lib/dracut/dracut-version.sh
cp /bin/busybox tree/usr/bin/busybox
ln -s busybox tree/usr/bin/sh
ln -s usr/bin tree/bin
ln -s usr/lib tree/lib
cat > tree/usr/bin/dracut <<'SH'
#!/bin/sh
[ "$1" = --version ] && { echo "dracut 099-test"; exit 1; }
for last; do :; done
case " $* " in
*fail-me*)
	echo "dracut: Executing: /usr/bin/dracut $*"
	echo "dracut[E]: Module 'fail-me' cannot be installed (a test)"
	echo "dracut: line A"; echo "dracut: line B"; exit 1 ;;
esac
touch /usr/written-by-dracut 2>/dev/null && echo "the tree is writable" >&2
{ printf '%s\n' "$@"; /usr/bin/busybox env | /usr/bin/busybox sort; /usr/bin/busybox id -u; } > "$last"
echo "dracut: *** Creating initramfs image file '$last' done ***"
SH
chmod -R a+rX tree
chmod 0755 tree/usr/bin/dracut
sed -i 's/<type image="oem"/<type image="oem" initrd_system="dracut"/' config.xml

scratch a
scratch b
scratch c
vc build config.xml --dracut tree --root tree -o a > a.log 2>&1 || { cat a.log >&2; fail "build with bwrap"; }
[ "$(json_get a/oem.manifest.json initrd method)" = bwrap ] || fail "not bwrap: $(cat a/oem.manifest.json)"
[ "$(json_get a/oem.manifest.json initrd dracut)" = tree ] || fail "not the tree's dracut"
[ "$(json_get a/oem.manifest.json initrd dracut_version)" = 099-test ] || fail "version"
objcopy -O binary --only-section=.initrd a/oem.efi initrd.a
grep -qx -- '--add' initrd.a || fail "no --add"
grep -q 'systemd-veritysetup dm' initrd.a || fail "the layout's modules were not added: $(cat initrd.a)"
grep -q 'dm-verity erofs' initrd.a || fail "the layout's drivers were not added"
grep -qx 'TMPDIR=/var/tmp' initrd.a || fail "TMPDIR"
grep -qx 'conffile=/tmp/vcompose/vcompose-dracut.conf' initrd.a || fail "conffile"
grep -qx 'PATH=/usr/sbin:/usr/bin:/sbin:/bin' initrd.a || fail "PATH is not the tree's"
grep -q "$VC_TMP" initrd.a && fail "a host path reached dracut: $(grep "$VC_TMP" initrd.a)"
[ -e tree/usr/written-by-dracut ] && fail "bwrap: dracut wrote into the tree"
grep -q 'the tree is writable' a/oem.dracut.log && fail "bwrap: the tree is writable inside"

# Docker's default profile: no new user namespaces -> proot, the same bytes
$VC_RUN "$nouserns" "$VCOMPOSE" build config.xml --dracut tree --root tree -o b > b.log 2>&1 ||
	{ cat b.log >&2; fail "build under the seccomp filter"; }
[ "$(json_get b/oem.manifest.json initrd method)" = proot ] || fail "not proot under the filter"
cmp a/oem.raw b/oem.raw || fail "bwrap and proot give different images"
rm -f tree/usr/written-by-dracut

# nothing works: one line, the ways out, nothing in OUTDIR
set +e
ASAN_OPTIONS=$noleak $VC_RUN "$nouserns" --no-ptrace "$VCOMPOSE" build config.xml --dracut tree --root tree -o c \
	> c.out 2> c.err
rc=$?
set -e
[ $rc = 3 ] || { cat c.err >&2; fail "all refused: exit $rc, expected 3"; }
[ "$(wc -l < c.err)" = 1 ] || { cat c.err >&2; fail "all refused: not one line"; }
for w in "bwrap:" "proot" "--initrd F" "--dracut host"; do
	grep -qF -- "$w" c.err || { cat c.err >&2; fail "all refused: no '$w'"; }
done
[ -z "$(ls -A c)" ] || fail "all refused: left $(ls -A c)"
cat c.err

# dracut beside EROFS (efipartsize), and the initrd cache
sed 's/<type image="oem"/<type image="oem" efipartsize="40"/' config.xml > conc.xml
scratch cache
scratch d
scratch e
vc build conc.xml --dracut tree --root tree -o d --cache cache > d.log 2>&1 || { cat d.log >&2; fail "cold cache"; }
[ "$(ls cache | wc -l)" = 3 ] || fail "cache: $(ls cache)"
ASAN_OPTIONS=$noleak VCOMPOSE_CACHE=$VC_TMP/cache $VC_RUN "$nouserns" --no-ptrace "$VCOMPOSE" build conc.xml --dracut tree \
	--root tree -o e > e.log 2>&1 || { cat e.log >&2; fail "warm cache: dracut ran"; }
for f in oem.raw oem.efi oem.manifest.json oem.dracut.log; do
	cmp d/$f e/$f || fail "warm cache: $f differs"
done
cmp -s a/oem.raw d/oem.raw && fail "efipartsize did not change the layout"
echo "changed" > tree/etc/hostname
rm -rf e && scratch e
set +e
ASAN_OPTIONS=$noleak VCOMPOSE_CACHE=$VC_TMP/cache $VC_RUN "$nouserns" --no-ptrace "$VCOMPOSE" build conc.xml --dracut tree \
	--root tree -o e > e.log 2>&1
rc=$?
set -e
[ $rc = 3 ] || { cat e.log >&2; fail "a changed tree hit the cache (exit $rc)"; }

# a dracut module the tree lacks: the XML line, the closest modules
cp config.xml bad.xml
sed -i 's|<uki>|<add modules="systemd-verity"/><uki>|' bad.xml
line=$(grep -n 'systemd-verity"' bad.xml | cut -d: -f1)
expect_exit 1 "bad.xml:$line: dracut module 'systemd-verity'" build bad.xml --dracut tree --root tree -o c
grep -q "closest: systemd-veritysetup" "$VC_TMP/.err" || fail "closest: $(cat "$VC_TMP/.err")"
[ -z "$(ls -A c)" ] || fail "missing module: left $(ls -A c)"
sed -i 's|systemd-verity"|dm-verity"|' bad.xml
expect_exit 1 "'dm-verity' is a kernel driver" build bad.xml --dracut tree --root tree -o c
grep -q '<add_drivers names="dm-verity"/>' "$VC_TMP/.err" || fail "no way out: $(cat "$VC_TMP/.err")"

# a failing dracut: its [E] line and last lines, the log the only file left
sed -i 's|dm-verity"|fail-me"|' bad.xml
expect_exit 1 "failed (exit status 1)" build bad.xml --dracut tree --root tree -o c
for w in "Module 'fail-me' cannot be installed" "line B" "c/oem.dracut.log"; do
	grep -qF -- "$w" "$VC_TMP/.err" || { cat "$VC_TMP/.err" >&2; fail "dracut failure: no '$w'"; }
done
[ "$(ls -A c)" = oem.dracut.log ] || fail "dracut failure: OUTDIR has $(ls -A c)"
grep -q 'line A' c/oem.dracut.log || fail "the log is not dracut's whole output"
cat "$VC_TMP/.err"
echo ok
