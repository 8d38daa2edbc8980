#!/bin/sh
# SPDX-License-Identifier: MIT
# vcompose uki's TPM PCR 11 prediction and signed policy against
# systemd-measure 252 on several UKIs (with and without initrd, os-release,
# splash, dtb; several banks and phase sets): each section given to
# `systemd-measure calculate` as systemd-stub measures it (VirtualSize bytes
# in memory, extracted by tests/uki_sections.py), our "pcr11" values equal
# its; the .pcrsig section equals `systemd-measure sign`'s output byte for
# byte (it asks a TPM for the policy digest: swtpm with all four banks); two
# runs give identical UKIs, and two oem builds (--pcr-key, the config's
# pcr_signature_key) identical images, manifests and UKIs (whose .pcrsig
# verifies).
. "$VC_SOURCE_DIR/tests/build_lib.sh"
PY=/usr/bin/python3
M=/usr/lib/systemd/systemd-measure
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
for f in "$M" "$stub" "$kernel" /usr/bin/swtpm /usr/bin/swtpm_setup; do
	[ -n "$f" ] && [ -e "$f" ] || { echo "SKIP: missing $f"; exit 77; }
done
key=$VC_SOURCE_DIR/vectors/sign/TEST-ONLY-rsa2048.key
vec=$VC_SOURCE_DIR/vectors/measure

# A software TPM with every bank allocated (systemd-measure sign needs one).
mkdir tpm
swtpm_setup --tpm2 --tpmstate tpm --pcr-banks sha1,sha256,sha384,sha512 >/dev/null 2>&1 ||
	fail "swtpm_setup"
port=$((20000 + $$ % 20000))
swtpm socket --tpm2 --tpmstate dir=tpm --server type=tcp,port=$port \
	--ctrl type=tcp,port=$((port + 1)) --flags not-need-init,startup-clear &
tpm_pid=$!
trap 'kill $tpm_pid 2>/dev/null' EXIT
TPM=swtpm:host=127.0.0.1,port=$port
sleep 1

printf 'ID=vctest\nVERSION_ID=1\n' >osrel
printf 'initrd of 23 bytes\n...' >initrd
scratch out

# check NAME VCOMPOSE-UKI-ARGS...: builds out/NAME.efi with --json, then
# compares every bank and phase with systemd-measure calculate, and .pcrsig
# (when signed) with systemd-measure sign.
check() {
	name=$1
	shift
	SOURCE_DATE_EPOCH=1700000000 vc uki --stub "$stub" --linux "$kernel" \
		--cmdline "console=ttyS0 quiet" -o "out/$name.efi" --json "$@" >"$name.json" ||
		fail "$name: vcompose uki"
	rm -rf "$name.d"
	$PY "$VC_SOURCE_DIR/tests/uki_sections.py" "out/$name.efi" "$name.d"
	margs=""
	for s in linux osrel cmdline initrd splash dtb pcrpkey; do
		[ -e "$name.d/$s" ] && margs="$margs --$s=$name.d/$s"
	done
	# The same banks and phases as ours, from our JSON.
	set -- $($PY - "$name.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["pcr11"]
banks = [b for b in ("sha1", "sha256", "sha384", "sha512") if b in p]
phases = [e["phase"] for e in p[banks[0]]]
print(" ".join("--bank=" + b.upper() for b in banks),
      " ".join("--phase=" + (ph or ":") for ph in phases))
PY
)
	$M calculate $margs "$@" --json=short >"$name.calc" || fail "$name: systemd-measure calculate"
	$PY - "$name.json" "$name.calc" <<'PY' || fail "$name: PCR 11 differs from systemd-measure"
import json, sys
ours = json.load(open(sys.argv[1]))["pcr11"]
theirs = json.load(open(sys.argv[2]))
n = 0
for bank, entries in theirs.items():
    want = {e.get("phase", ""): e["hash"] for e in entries}
    got = {e["phase"]: e["hash"] for e in ours[bank]}
    assert want == got, (bank, want, got)
    n += len(want)
print(f"{sys.argv[1]}: {n} values equal systemd-measure's ({', '.join(ours['measured'])})")
PY
	if grep -q '"signed"' "$name.json"; then
		[ -e "$name.d/pcrsig" ] || fail "$name: signed, but no .pcrsig"
		phases=$($PY -c 'import json,sys; print(" ".join("--phase=" + (p or ":") for p in json.load(open(sys.argv[1]))["pcr11"]["signed"]["phases"]))' "$name.json")
		banks=$(echo "$@" | tr ' ' '\n' | grep -- --bank= | tr '\n' ' ')
		$M sign --tpm2-device=$TPM $margs $banks $phases --private-key="$key" >"$name.sig" ||
			fail "$name: systemd-measure sign"
		cmp "$name.sig" "$name.d/pcrsig" || fail "$name: .pcrsig differs from systemd-measure sign"
		cmp "$name.d/pcrpkey" "$vec/pcrpkey.pem" || fail "$name: .pcrpkey is not openssl's PEM"
		echo "$name: .pcrsig equals systemd-measure sign's ($(wc -c <"$name.sig") bytes)"
	fi
}

# No initrd, no key: the default bank and phases.
check bare
# initrd, splash, all four banks, signed with the default phases. (Debian 12's
# stub has room for 7 more section headers, as for ukify: .osrel and .dtb are
# in the last case.)
check full --initrd initrd --splash "$vec/splash" \
	--pcr-key "$key" --pcr-bank sha1 --pcr-bank sha256 --pcr-bank sha384 --pcr-bank sha512
# An initrd, signed for the stub alone and one phase (given out of order).
check phases --initrd initrd --pcr-key "$key" --pcr-phase enter-initrd --pcr-phase :
# dtb without splash, sha384 only, signed for a custom phase path.
check dtb --dtb "$vec/dtb" --os-release osrel --pcr-key "$key" --pcr-bank sha384 \
	--pcr-phase enter-initrd:leave-initrd

# .linux: the kernel file is shorter than its VirtualSize: measuring the file
# alone (as systemd-measure --linux=vmlinuz would) gives another value.
$M calculate --linux="$kernel" --cmdline=bare.d/cmdline --bank=SHA256 --phase=: --json=short |
	grep -q "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["pcr11"]["sha256"][0]["hash"])' bare.json)" &&
	fail "the kernel file alone predicts the same PCR 11: VirtualSize not exercised"

# vcompose verify checks each .pcrsig entry against .pcrpkey and the sections;
# inspect lists the same sha256 prediction as uki --json.
vc verify out/full.efi >verify.txt || { cat verify.txt; fail "verify full.efi"; }
[ "$(grep -c 'signed by .pcrpkey; policy of PCR 11 after' verify.txt)" = 16 ] ||
	{ cat verify.txt; fail "verify: not 16 good .pcrsig entries"; }
vc inspect out/full.efi --json >inspect.json
$PY - inspect.json full.json <<'PY' || fail "inspect's pcr11 differs from uki's"
import json, sys
def find(o):
    if isinstance(o, dict):
        if "pcr11" in o:
            return o["pcr11"]
        for v in o.values():
            r = find(v)
            if r:
                return r
a, b = find(json.load(open(sys.argv[1]))), json.load(open(sys.argv[2]))["pcr11"]
assert a["sha256"] == b["sha256"] and a["measured"] == b["measured"], (a, b)
PY
# A changed .cmdline (same length): no signed policy matches any more.
cp out/full.efi bad.efi
$PY - bad.efi <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.index(b"console=ttyS0 quiet")
d[i:i + 5] = b"CONSO"
open(sys.argv[1], "wb").write(d)
PY
chmod a+r bad.efi
vc verify bad.efi >verify-bad.txt && fail "verify accepted a changed .cmdline"
grep -q "matches no PCR 11 value" verify-bad.txt || { cat verify-bad.txt; fail "verify: wrong reason"; }

# Reproducible: a second run, other environment, same bytes.
(umask 077; SOURCE_DATE_EPOCH=1700000000 TZ=Asia/Tokyo LC_ALL=C vc uki --stub "$stub" \
	--linux "$kernel" --cmdline "console=ttyS0 quiet" -o out/full2.efi --initrd initrd \
	--splash "$vec/splash" --pcr-key "$key" \
	--pcr-bank sha512 --pcr-bank sha384 --pcr-bank sha256 --pcr-bank sha1 >/dev/null) ||
	fail "second run"
cmp out/full.efi out/full2.efi || fail "two runs differ"

# Two oem builds, other environments: the same image, manifest and UKI.
mkdir oem && cd oem
oem_inputs VCOMPOSE-MEASURE
for n in 1 2; do
	scratch out$n
done
SOURCE_DATE_EPOCH=1700000000 vc_env build config.xml --root tree --initrd initrd.img -o out1 \
	--pcr-key "$key" -q || fail "build 1"
# the second with the key named by the config (pcr_signature_key) instead
cp "$key" pcr.key
chmod a+r pcr.key
sed 's|<type |<type pcr_signature_key="pcr.key" |' config.xml >config2.xml
grep -q pcr_signature_key config2.xml || fail "config2.xml"
SOURCE_DATE_EPOCH=1700000000 vc_tz build config2.xml --root tree --initrd initrd.img -o out2 \
	--jobs 1 -q || fail "build 2"
for f in oem.raw oem.efi oem.manifest.json; do
	cmp out1/$f out2/$f || fail "two builds differ in $f"
done
json_get out1/oem.manifest.json pcr11 signed pkfp | grep -q '^3ae7846a' || fail "manifest: no signed pcr11"
vc verify out1/oem.efi | grep -q "sha256\[3\]: signed by .pcrpkey; policy of PCR 11 after phase enter-initrd:leave-initrd:sysinit:ready" ||
	fail "the built UKI's .pcrsig does not verify"
echo ok
