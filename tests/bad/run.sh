# SPDX-License-Identifier: MIT
# The bad-input corpus: every line of tests/bad/cases runs vcompose (as nobody
# under CI) on one broken input and checks
#   - the exit code (1 bad input, 2 usage, 3 environment),
#   - that stderr holds the expected message text,
#   - that the message names the culprit (file, file:line, entry or option),
#     and that nothing (a library) printed before vcompose's own message,
#   - that the case's output folder ($O) holds no file afterwards, not even a
#     hidden temporary one, and the process was not killed by a signal.
# Inputs: configs in tests/bad/config/ (the one bad-config corpus; db.key and
# db.crt are what its configs name, not keys), mtree files in tests/bad/mtree/, the
# rest (archives, PE images, keys, big files) generated below into $F.
# Then the write-failure cases: a file-size limit (prlimit --fsize) and, as
# root, a full small tmpfs. Run: ctest -R bad, or VC_BAD_ONLY=NAME to run one.
. "$VC_SOURCE_DIR/tests/lib.sh"
here=$VC_SOURCE_DIR/tests/bad
F=$VC_TMP/fx          # generated inputs
C=$VC_TMP/cfg         # configs (keys in $C/keys, as the configs name them)
K=$C/keys
M=$here/mtree
T=$VC_TMP/tree        # the minimal example's tree
OT=$VC_TMP/oemtree    # the same with a kernel, a stub and systemd-boot
BK=$VC_TMP/badkernel  # the same with a kernel lacking its bzImage header
MC=$VC_SOURCE_DIR/examples/minimal/config.xml
H=e522df0f97da4febb882ac40f30b37dc0b444bf6df418929463fa25280f09d5c
export SOURCE_DATE_EPOCH=1700000000

# ---- inputs ----
python3 "$here/gen.py" "$F"
mkdir -p "$C" "$K"
cp "$here"/config/*.xml "$here"/config/db.key "$here"/config/db.crt "$C/"
# a key path that is a symlink out of the config's folder
ln -s "$VC_SOURCE_DIR/README.md" "$C/outside.key"
cp -a "$VC_SOURCE_DIR/examples/minimal/root" "$T"
cp -a "$T" "$OT"
mkdir -p "$OT/boot" "$OT/usr/lib/systemd/boot/efi"
cp "$F/kernel.efi" "$OT/boot/vmlinuz-6.1.0-bad"
cp "$VC_SOURCE_DIR/fuzz/corpus/pe/ld-efi-app-stripped.efi" "$F/stub.efi"
# builds predict PCR 11 from the stub's .sdmagic version: say 252 (same length)
python3 -c 'import sys; p=sys.argv[1]; d=open(p,"rb").read(); open(p,"wb").write(d.replace(b"systemd-stub fuzz", b"systemd-stub 252 "))' "$F/stub.efi"
cp "$F/stub.efi" "$OT/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
cp "$F/stub.efi" "$OT/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
cp -a "$OT" "$BK"
cp "$F/kernel-nohdrs.efi" "$BK/boot/vmlinuz-6.1.0-bad"
ossl() { openssl "$@" 2>/dev/null || fail "openssl $*"; }
x509() { ossl req -x509 -nodes -days 3650 -subj "/CN=vcompose-bad-$1" -set_serial 1 \
	-newkey "$2" ${3:-} -keyout "$K/$1.key" -out "$K/$1.crt"; }
x509 rsa rsa:2048
x509 rsa2 rsa:2048
x509 rsa1024 rsa:1024
x509 ec ec "-pkeyopt ec_paramgen_curve:P-256"
x509 k1 ec "-pkeyopt ec_paramgen_curve:secp256k1"
x509 ed ed25519
ossl pkcs8 -topk8 -in "$K/ec.key" -passout pass:secret -out "$K/enc.key"
printf 'garbage\n' > "$K/garbage.pem"
: > "$K/empty.pem"
head -c 300 "$K/rsa.crt" > "$K/trunc.crt"
: > "$F/empty"
truncate -s 64M "$F/huge.xml"    # sparse: a config far over the limit
chmod -R a+rX "$VC_TMP"
chmod a+r "$K"/*

# ---- the table ----
n=0
failed=0
# trim VAR: strips the blanks around $VAR's value (no subshell: 100+ cases)
trim() {
	eval "v=\$$1"
	v=${v#"${v%%[![:space:]]*}"}
	v=${v%"${v##*[![:space:]]}"}
	eval "$1=\$v"
}
while IFS='|' read -r name code names msg args; do
	case $name in '' | \#*) continue ;; esac
	for f in name code names msg args; do trim $f; done
	[ -z "${VC_BAD_ONLY:-}" ] || [ "$VC_BAD_ONLY" = "$name" ] || continue
	n=$((n + 1))
	O=$VC_TMP/out/$name
	scratch "$O"
	eval "set -- $args"
	envs=""
	while [ $# -gt 0 ] && case $1 in [A-Z_]*=*) true ;; *) false ;; esac; do
		envs="$envs $1"; shift
	done
	set +e
	# a hang is a failure too (exit 124), not a stuck test
	env $envs timeout -k 5 60 $VC_RUN "$VCOMPOSE" "$@" >"$VC_TMP/out.txt" 2>"$VC_TMP/err.txt" </dev/null
	got=$?
	set -e
	why=""
	[ "$got" = "$code" ] || why="exit $got, expected $code"
	[ -n "$why" ] || grep -qF -- "$msg" "$VC_TMP/err.txt" || why="message lacks '$msg'"
	[ -n "$why" ] || grep -qF -- "$names" "$VC_TMP/err.txt" || why="message does not name '$names'"
	# only vcompose speaks: no library printing to stderr before it
	[ -n "$why" ] || head -n 1 "$VC_TMP/err.txt" | grep -q '^vcompose ' || why="stderr starts with something else"
	# no raw control bytes: untrusted text is escaped (vc_escape), one line
	# per message (the forged-* cases check that a newline stays \n)
	[ -n "$why" ] || ! LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$VC_TMP/err.txt" ||
		why="raw control bytes in the message"
	left=$(ls -A "$O")
	[ -n "$why" ] || [ -z "$left" ] || why="left behind in the output folder: $left"
	if [ -n "$why" ]; then
		echo "FAIL $name: $why" >&2
		echo "  vcompose $*" >&2
		sed 's/^/  | /' "$VC_TMP/err.txt" >&2
		failed=$((failed + 1))
	fi
done < "$here/cases"

# ---- a valid GPT of 9000 entries is read (issue 15, item 11) ----
if [ -z "${VC_BAD_ONLY:-}" ]; then
	n=$((n + 1))
	set +e
	$VC_RUN "$VCOMPOSE" verify "$F/gpt-9000.img" >"$VC_TMP/out.txt" 2>"$VC_TMP/err.txt"
	got=$?
	set -e
	if [ "$got" != 0 ] || ! sgdisk -v "$F/gpt-9000.img" | grep -q "No problems found"; then
		echo "FAIL gpt-9000: verify exit $got (sgdisk -v: $(sgdisk -v "$F/gpt-9000.img" | head -n 1))" >&2
		cat "$VC_TMP/out.txt" "$VC_TMP/err.txt" >&2
		failed=$((failed + 1))
	fi
	# and verify names what is wrong with SizeOfPartitionEntry 0
	n=$((n + 1))
	$VC_RUN "$VCOMPOSE" verify "$F/gpt-esize0.img" >"$VC_TMP/out.txt" 2>&1 || true
	grep -q "primary header: SizeOfPartitionEntry 0 (128 x 2^n expected)" "$VC_TMP/out.txt" || {
		echo "FAIL gpt-esize0-verify:" >&2
		cat "$VC_TMP/out.txt" >&2
		failed=$((failed + 1))
	}
fi

# ---- write failures ----
# A file-size limit: the write fails (EFBIG), nothing is left.
if command -v prlimit >/dev/null && [ -z "${VC_BAD_ONLY:-}" ]; then
	n=$((n + 1))
	O=$VC_TMP/out/fsize
	scratch "$O"
	set +e
	prlimit --fsize=200000 $VC_RUN "$VCOMPOSE" build "$MC" --root "$T" -o "$O" \
		>/dev/null 2>"$VC_TMP/err.txt"
	got=$?
	set -e
	if [ "$got" != 3 ] || ! grep -q "File too large" "$VC_TMP/err.txt" || [ -n "$(ls -A "$O")" ]; then
		echo "FAIL fsize: exit $got; left: $(ls -A "$O")" >&2
		cat "$VC_TMP/err.txt" >&2
		failed=$((failed + 1))
	fi
fi
# A full file system: a 48 KiB tmpfs, where one can be mounted (root).
if [ "$(id -u)" = 0 ] && [ -z "${VC_BAD_ONLY:-}" ] && mkdir "$VC_TMP/small" &&
	mount -t tmpfs -o size=48k,mode=0755 vcompose-bad "$VC_TMP/small" 2>/dev/null; then
	n=$((n + 1))
	chown nobody:nogroup "$VC_TMP/small" 2>/dev/null || true
	set +e
	$VC_RUN "$VCOMPOSE" build "$MC" --root "$T" -o "$VC_TMP/small" >/dev/null 2>"$VC_TMP/err.txt"
	got=$?
	set -e
	left=$(ls -A "$VC_TMP/small")
	umount "$VC_TMP/small"
	if [ "$got" != 3 ] || ! grep -q "No space left on device" "$VC_TMP/err.txt" || [ -n "$left" ]; then
		echo "FAIL full-fs: exit $got; left: $left" >&2
		cat "$VC_TMP/err.txt" >&2
		failed=$((failed + 1))
	fi
else
	echo "note: full-file-system case skipped (needs root to mount a tmpfs)"
fi

echo "bad inputs: $n cases, $failed failed"
[ "$failed" = 0 ] || exit 1
[ -n "${VC_BAD_ONLY:-}" ] || [ "$n" -ge 60 ] || fail "only $n cases"
