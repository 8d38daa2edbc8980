# SPDX-License-Identifier: MIT
# vcompose build --sb-key/--sb-cert [--sb-enroll], as nobody: systemd-boot
# (both copies), the UKI and NAME.efi are Authenticode-signed with the bytes
# sbsign writes at SOURCE_DATE_EPOCH (compared with sbsign under faketime,
# of the same unsigned files), verified by sbverify and osslsigncode; the
# manifest's digests are osslsigncode's; PK/KEK/db.auth equal efitools'
# sign-efi-sig-list -t output for the same certificate, owner and time;
# loader.conf asks for enrollment. Then every refusal: a key that does not
# match, a certificate that may not sign code, --sb-enroll without keys,
# an encrypted key without its passphrase - exit 1, nothing left behind.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
for t in faketime sbsign sbverify osslsigncode cert-to-efi-sig-list sign-efi-sig-list mcopy; do
	command -v $t >/dev/null || fail "$t missing (tools/deps.sh test)"
done
export SOURCE_DATE_EPOCH=1700000000
T='2023-11-14 22:13:20'
oem_inputs VCOMPOSE-SB
openssl req -x509 -newkey rsa:3072 -nodes -keyout sb.key -out sb.crt -days 3650 \
	-subj "/CN=vcompose sb test" 2>/dev/null
chmod a+r sb.key
scratch out
scratch plain
vc build config.xml --root tree -o out --initrd initrd.img --sb-key sb.key --sb-cert sb.crt \
	--sb-enroll >/dev/null 2>build.err
grep -q "^vcompose build: warning: sb.crt is valid from" build.err || fail "no warning for a certificate not valid at SOURCE_DATE_EPOCH"
! grep -q "warning: warning:" build.err || fail "the warning says 'warning:' twice: $(cat build.err)"
vc build config.xml --root tree -o plain --initrd initrd.img -q
m=out/oem.manifest.json
[ "$(ls out | tr '\n' ' ')" = "oem.efi oem.manifest.json oem.raw oem.roothash " ] || fail "outputs: $(ls out)"

# the ESP's signed files and the artifact: sbsign's bytes for the same input
extract out/oem.raw $m 0 esp.img
extract plain/oem.raw plain/oem.manifest.json 0 plain-esp.img
fsck.fat -n esp.img >/dev/null || fail "fsck.fat"
sbsign_at() { TZ=UTC faketime -f "$T" sbsign --key sb.key --cert sb.crt --output "$2" "$1" 2>/dev/null; }
for f in EFI/BOOT/BOOTX64.EFI EFI/systemd/systemd-bootx64.efi EFI/Linux/oem-2.0.efi; do
	b=$(basename $f)
	mcopy -n -i esp.img ::$f s.$b
	mcopy -n -i plain-esp.img ::$f u.$b
	sbsign_at u.$b sb.$b || fail "sbsign $f"
	cmp s.$b sb.$b || fail "$f differs from sbsign's signature of the unsigned file"
	sbverify --cert sb.crt s.$b >/dev/null 2>&1 || fail "sbverify refuses $f"
	osslsigncode verify -in s.$b -CAfile sb.crt >ossl.$b.log 2>&1 || { cat ossl.$b.log; fail "osslsigncode refuses $f"; }
	! sbverify --cert cert.pem s.$b >/dev/null 2>&1 || fail "sbverify accepts $f with another certificate"
	# the manifest records the digest osslsigncode calculates
	d=$(sed -n 's/^Calculated message digest *: *\([0-9A-F]*\).*/\1/p' ossl.$b.log | tr A-F a-f)
	python3 - "$m" "$f" "$d" <<'PY' || fail "manifest digest of $f"
import json, sys
sb = json.load(open(sys.argv[1]))["secure_boot"]
e = [x for x in sb["signed"] if x["file"] == sys.argv[2]]
assert len(e) == 1 and e[0]["authenticode_sha256"] == sys.argv[3], (e, sys.argv[3])
PY
done
cmp out/oem.efi s.oem-2.0.efi || fail "NAME.efi is not the ESP's UKI"
sbsign_at plain/oem.efi sb.oem.efi && cmp out/oem.efi sb.oem.efi || fail "oem.efi differs from sbsign's"
cmp u.BOOTX64.EFI tree/usr/lib/systemd/boot/efi/systemd-bootx64.efi || fail "unsigned build changed systemd-boot"

# enrollment: loader.conf, and the .auth files equal efitools' for the same
# certificate, owner GUID and time
[ "$(mtype -i esp.img ::loader/loader.conf)" = "$(printf 'timeout 0\nsecure-boot-enroll force')" ] ||
	fail "loader.conf: $(mtype -i esp.img ::loader/loader.conf)"
owner=$(json_get $m secure_boot enroll owner)
cert-to-efi-sig-list -g "$owner" sb.crt sb.esl
for v in PK KEK db; do
	sign-efi-sig-list -t "$T" -g "$owner" -k sb.key -c sb.crt $v sb.esl want.$v.auth >/dev/null
	mcopy -n -i esp.img ::loader/keys/auto/$v.auth got.$v.auth
	cmp got.$v.auth want.$v.auth || fail "$v.auth differs from sign-efi-sig-list's"
done

# vcompose verify --sb-cert: every PE on the ESP signed by it, as firmware
# checks; another certificate, an unsigned image and a changed byte fail,
# naming the files
vc verify out/oem.raw --sb-cert sb.crt > v.ok || { cat v.ok; fail "verify --sb-cert refuses the signed image"; }
[ "$(grep -c 'Authenticode SHA-256 .* verifies with sb.crt' v.ok)" = 3 ] || fail "verify: $(cat v.ok)"
# verify_fails SUBSTRING ARGS: vcompose verify exits 1 and prints SUBSTRING
verify_fails() {
	want=$1
	shift
	set +e
	$VC_RUN "$VCOMPOSE" verify "$@" > v.out 2>&1
	rc=$?
	set -e
	[ $rc = 1 ] && grep -qF -- "$want" v.out || { cat v.out; fail "verify $*: exit $rc, '$want'"; }
}
verify_fails "FAIL ESP (partition 1) /EFI/BOOT/BOOTX64.EFI: Authenticode: the signer 'CN=vcompose sb test' does not chain to cert.pem" \
	out/oem.raw --sb-cert cert.pem
verify_fails "FAIL ESP (partition 1) /EFI/Linux/oem-2.0.efi: Authenticode: not signed" plain/oem.raw --sb-cert sb.crt
vc verify plain/oem.raw >/dev/null || fail "verify without --sb-cert refuses an unsigned image"
cp out/oem.raw flip.raw
python3 - "$(cat out/oem.roothash)" <<'PY'
import sys
d = bytearray(open("flip.raw", "rb").read())
i = d.index(b"roothash=" + sys.argv[1].encode()) + 9
d[i] ^= 1
open("flip.raw", "wb").write(d)
PY
verify_fails "FAIL ESP (partition 1) /EFI/Linux/oem-2.0.efi: Authenticode: the image digest differs from the one signed" \
	flip.raw --sb-cert sb.crt
[ "$(grep -c '^FAIL' v.out)" -ge 1 ] && ! grep -q "^FAIL.*BOOTX64.EFI: Authenticode" v.out ||
	fail "verify named the wrong files: $(grep FAIL v.out)"
# inspect: each PE's digest and signer, the .auth files
vc inspect out/oem.raw --json > i.json
python3 - "$m" <<'PY' || fail "inspect: authenticode or secure_boot_keys"
import json, sys
m = json.load(open(sys.argv[1]))["secure_boot"]
esp = json.load(open("i.json"))["disk"]["partitions"][0]["fat"]
for e in m["signed"][:3]:
    a = esp["efi"]["/" + e["file"]]["authenticode"]
    assert a["signed"] and a["digest_ok"] and a["sha256"] == e["authenticode_sha256"], (e, a)
    assert a["subject"] == "CN=vcompose sb test", a
k = esp["secure_boot_keys"]
assert sorted(k) == ["/loader/keys/auto/KEK.auth", "/loader/keys/auto/PK.auth",
                     "/loader/keys/auto/db.auth"], sorted(k)
for v in k.values():
    assert v["timestamp"] == "2023-11-14T22:13:20Z" and v["entries"] == 1, v
    assert v["signatures"][0]["owner"] == m["enroll"]["owner"], v
    assert v["signatures"][0]["subject"] == "CN=vcompose sb test", v
    assert v["signer"]["subject"] == "CN=vcompose sb test", v
PY

# the same bytes twice, and from the config's attributes (paths relative to
# the config) instead of the options
scratch again
vc build config.xml --root tree -o again --initrd initrd.img --sb-key sb.key --sb-cert sb.crt \
	--sb-enroll -q 2>/dev/null
cmp out/oem.raw again/oem.raw || fail "two signed builds differ"
sed 's|<type |<type secure_boot_key="sb.key" secure_boot_cert="sb.crt" secure_boot_enroll="true" |' \
	config.xml > sbcfg.xml
scratch cfgout
vc build sbcfg.xml --root tree -o cfgout --initrd initrd.img -q 2>/dev/null
cmp out/oem.raw cfgout/oem.raw || fail "the config's secure_boot_* attributes signed other bytes"

# refusals: exit 1, nothing left in the output folder
scratch bad
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 3650 \
	-subj "/CN=other" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout tls.key -out tls.crt -days 3650 \
	-subj "/CN=tls" -addext extendedKeyUsage=serverAuth 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout cs.key -out cs.crt -days 3650 \
	-subj "/CN=cs" -addext extendedKeyUsage=codeSigning -addext keyUsage=digitalSignature 2>/dev/null
openssl pkey -in sb.key -aes256 -passout pass:sesame -out enc.key 2>/dev/null
printf 'sesame\n' > pass.txt
chmod a+r other.key tls.key cs.key enc.key pass.txt
B="build config.xml --root tree -o bad --initrd initrd.img"
expect_exit 1 "does not match" $B --sb-key other.key --sb-cert sb.crt
expect_exit 1 "extendedKeyUsage does not allow codeSigning" $B --sb-key tls.key --sb-cert tls.crt
expect_exit 1 "needs the key and certificate" $B --sb-enroll
sed 's|<type |<type secure_boot_key="sb.key" |' config.xml > halfcfg.xml
expect_exit 1 "<type secure_boot_key=\"sb.key\">: needs secure_boot_cert" \
	build halfcfg.xml --root tree -o bad --initrd initrd.img
expect_exit 1 "give both the key and its certificate" $B --sb-key sb.key --sb-enroll
expect_exit 1 "missing.crt" $B --sb-key sb.key --sb-cert missing.crt
expect_exit 1 "enc.key" $B --sb-key enc.key --sb-cert sb.crt
expect_exit 2 "at most one of" $B --sb-key enc.key --sb-cert sb.crt --passphrase-file pass.txt --passphrase-env X
[ -z "$(ls -A bad)" ] || fail "refused builds left files: $(ls -A bad)"
# an encrypted key with its passphrase signs the same bytes; a code-signing
# certificate is accepted
vc build config.xml --root tree -o bad --initrd initrd.img --sb-key enc.key --sb-cert sb.crt \
	--sb-enroll --passphrase-file pass.txt -q 2>/dev/null
cmp bad/oem.raw out/oem.raw || fail "the encrypted key signed other bytes"
scratch cs
vc build config.xml --root tree -o cs --initrd initrd.img --sb-key cs.key --sb-cert cs.crt -q 2>/dev/null
# a ddi has nothing to sign
scratch bad2
expect_exit 1 "ddi image" build "$VC_SOURCE_DIR/examples/minimal/config.xml" --root tree -o bad2 --sb-key sb.key --sb-cert sb.crt
echo ok
