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
	# another host name, where a UTS namespace can be had
	if unshare -u true 2>/dev/null; then
		scratch out-host
		unshare -u sh -c "hostname vc-other-host && $VC_RUN '$VCOMPOSE' build '$cfg' --root t1 -o out-host" \
			> /dev/null || fail "build under another host name"
		(cd out-host && sha256sum * > ../sums-host)
	fi
fi
compare() { # REF [PREFIX]: every sums-PREFIX* must equal sums-REF; on a difference, say where
	for s in sums-${2:-}*; do
		cmp -s "sums-$1" "$s" && continue
		echo "$s differs from sums-$1:" >&2; diff "sums-$1" "$s" >&2 || true
		other=out-${s#sums-}
		disk=$(ls "out-$1"/*.raw | head -n 1)
		if "$VCOMPOSE" diff --help >/dev/null 2>&1; then
			"$VCOMPOSE" diff "$disk" "$other/$(basename "$disk")" >&2 || true
		else
			cmp "$disk" "$other/$(basename "$disk")" | head -n 1 >&2 || true
		fi
		fail "$s differs from the reference build"
	done
}
compare ref
grep -q 'minimal.raw' sums-ref || fail "no disk in the outputs"
# the image is not trivially small: several pclusters, a multi-level tree
[ "$(part_field out-ref/minimal.manifest.json 0 size)" -gt 4000000 ] || fail "tree too small to be a test"
n_ddi=$(ls sums-* | wc -l)
rm -f sums-*

# A signed, bootable (oem) image with a given initrd, RSA and ECDSA keys.
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
sdboot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
for f in "$stub" "$sdboot" "$kernel"; do
	[ -n "$f" ] && [ -e "$f" ] || { echo "SKIP: missing $f"; exit 77; }
done
mkdir -p t1/boot t1/usr/lib/systemd/boot/efi
cp "$stub" "$sdboot" t1/usr/lib/systemd/boot/efi/
cp "$kernel" t1/boot/
printf 'ID=repro\n' > t1/etc-os-release && mkdir -p t1/etc && mv t1/etc-os-release t1/etc/os-release
find t1 -exec touch -h -d @1900000000 {} +
chmod -R a+rX t1
head -c 3000000 /dev/zero > initrd.img
openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.crt -days 3650 \
	-subj /CN=repro -set_serial 1 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key \
	-out ec.crt -days 3650 -subj /CN=repro -set_serial 2 2>/dev/null
chmod a+r rsa.key ec.key
cat > oem.xml <<XML
<image schemaversion="8.5" name="oem">
  <description type="system"><author>r</author><contact>r</contact><specification>r</specification></description>
  <preferences><version>1</version>
    <type image="oem" filesystem="erofs" erofscompression="lz4" firmware="efi"
          verity_blocks="all" verity_partition="true" kernelcmdline="ro" format="qcow2">
      <bootloader name="systemd_boot" console="serial" timeout="1"/>
    </type>
  </preferences>
</image>
XML
chmod a+r oem.xml initrd.img
tar --format=posix --numeric-owner --owner=0 --group=0 -C t1 -cf t1b.tar .
cfg=oem.xml
for k in rsa ec; do
	build $k-ref   vc_env   --root t1 --initrd initrd.img --key $k.key --cert $k.crt --jobs 1
	build $k-jobs  vc_env   --root t1 --initrd initrd.img --key $k.key --cert $k.crt --jobs 2
	build $k-umask vc_umask --root t1 --initrd initrd.img --key $k.key --cert $k.crt
	build $k-tz    vc_tz    --root t1 --initrd initrd.img --key $k.key --cert $k.crt
	build $k-tar   vc_env   --tar t1b.tar --initrd initrd.img --key $k.key --cert $k.crt
	grep -q 'oem.roothash.p7s' sums-$k-ref || fail "$k: not signed"
done
compare rsa-ref rsa-
compare ec-ref ec-
grep -q 'oem.qcow2' sums-rsa-ref || fail "no qcow2 in the oem outputs (format=\"qcow2\")"
cmp -s sums-rsa-ref sums-ec-ref && fail "RSA and ECDSA signatures gave the same image"
echo "ok: $n_ddi DDI builds identical; 5 signed oem builds identical for RSA and for ECDSA"
