# SPDX-License-Identifier: MIT
# vcompose sign roothash / dps / join, checked with openssl (cms -verify,
# smime -sign for byte equality) and python's json/base64 for the DPS blob.
# Keys are made here by openssl; none of them is kept.
. "$VC_SOURCE_DIR/tests/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
RH=e522df0f97da4febb882ac40f30b37dc0b444bf6df418929463fa25280f09d5c
RH2=0000000000000000000000000000000000000000000000000000000000000001
printf %s $RH > rh.txt
printf %s $RH2 > rh2.txt
printf '%s\n' $RH > rh-nl.txt
scratch out

# keys: RSA 2048/4096, ECDSA P-256/P-384; readable by the unprivileged user
for k in rsa2048:rsa:2048 rsa4096:rsa:4096 p256:ec:P-256 p384:ec:P-384; do
	name=${k%%:*}; rest=${k#*:}; alg=${rest%%:*}; arg=${rest#*:}
	if [ $alg = rsa ]; then opt="-newkey rsa:$arg"; else opt="-newkey ec -pkeyopt ec_paramgen_curve:$arg"; fi
	openssl req -x509 $opt -nodes -keyout $name.key -out $name.crt -subj "/CN=vcompose test $name" \
		-days 3650 2>/dev/null
done
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -subj "/CN=other" \
	-days 3650 2>/dev/null
chmod 644 *.key

verify() { # P7S CONTENT CERT
	openssl cms -verify -binary -inform DER -in "$1" -content "$2" -certfile "$3" -CAfile "$3" \
		-purpose any -out /dev/null 2>/dev/null
}

for name in rsa2048 rsa4096 p256 p384; do
	vc sign roothash --key $name.key --cert $name.crt --roothash $RH -o out/$name.p7s
	vc sign roothash --key $name.key --cert $name.crt --roothash $RH -o out/$name-2.p7s
	cmp out/$name.p7s out/$name-2.p7s || fail "$name: two signings differ"
	verify out/$name.p7s rh.txt $name.crt || fail "$name: openssl cms -verify refuses"
	! verify out/$name.p7s rh2.txt $name.crt || fail "$name: accepted for another root hash"
	! verify out/$name.p7s rh-nl.txt $name.crt || fail "$name: accepted with a newline"
	! verify out/$name.p7s rh.txt other.crt || fail "$name: accepted with another certificate"
	# no certificates inside by default; no signed attributes
	openssl pkcs7 -inform DER -in out/$name.p7s -print_certs 2>/dev/null | grep -q CERTIFICATE &&
		fail "$name: certificate embedded without --include-cert"
	openssl pkcs7 -inform DER -in out/$name.p7s -print -noout | grep -A1 "auth_attr:" |
		grep -q "unauth_attr:" || fail "$name: signed attributes present"
	openssl smime -verify -binary -inform DER -in out/$name.p7s -content rh.txt \
		-certfile $name.crt -CAfile $name.crt -purpose any -out /dev/null 2>/dev/null ||
		fail "$name: openssl smime -verify refuses"
done

# RSA: byte-identical to openssl smime, with and without the certificate
for name in rsa2048 rsa4096; do
	openssl smime -sign -noattr -nocerts -binary -md sha256 -outform DER -in rh.txt \
		-signer $name.crt -inkey $name.key -out $name-ossl.p7s
	cmp out/$name.p7s $name-ossl.p7s || fail "$name: differs from openssl smime -nocerts"
	openssl smime -sign -noattr -binary -md sha256 -outform DER -in rh.txt \
		-signer $name.crt -inkey $name.key -out $name-ossl-cert.p7s
	vc sign roothash --key $name.key --cert $name.crt --roothash-file rh-nl.txt --include-cert \
		-o out/$name-cert.p7s
	cmp out/$name-cert.p7s $name-ossl-cert.p7s || fail "$name: differs from openssl smime (certs)"
	openssl cms -verify -binary -inform DER -in out/$name-cert.p7s -content rh.txt \
		-CAfile $name.crt -purpose any -out /dev/null 2>/dev/null ||
		fail "$name: embedded certificate not usable"
done
# upper-case input signs the lower-case text
vc sign roothash --key rsa2048.key --cert rsa2048.crt --roothash $(echo $RH | tr a-f A-F) -o out/up.p7s
cmp out/up.p7s out/rsa2048.p7s || fail "upper-case root hash signed differently"

# DER key and certificate give the same bytes as PEM
openssl pkey -in p256.key -outform DER -out p256.der.key
openssl x509 -in p256.crt -outform DER -out p256.der.crt
chmod 644 p256.der.key
vc sign roothash --key p256.der.key --cert p256.der.crt --roothash $RH -o out/p256-der.p7s
cmp out/p256-der.p7s out/p256.p7s || fail "DER key/cert sign differently"

# DPS signature partition
vc sign roothash --key p256.key --cert p256.crt --roothash $RH -o out/dps.p7s --dps out/dps.bin \
	--json > dps.json
fp=$(openssl x509 -in p256.crt -outform DER | sha256sum | cut -d' ' -f1)
$PY - out/dps.bin out/dps.p7s $RH $fp <<'EOF' || fail "DPS blob"
import base64, json, sys
blob = open(sys.argv[1], 'rb').read()
p7 = open(sys.argv[2], 'rb').read()
assert len(blob) % 4096 == 0 and len(blob) > 0, len(blob)
text, pad = blob.split(b'\0', 1)
assert pad.strip(b'\0') == b'', 'junk after the NUL'
assert b' ' not in text and b'\n' not in text, 'not compact'
obj = json.loads(text, object_pairs_hook=lambda kv: kv)
assert [k for k, _ in obj] == ['rootHash', 'certificateFingerprint', 'signature'], obj
d = dict(obj)
assert d['rootHash'] == sys.argv[3]
assert d['certificateFingerprint'] == sys.argv[4]
assert base64.b64decode(d['signature'], validate=True) == p7
EOF
grep -q "\"certificate_fingerprint\": \"$fp\"" dps.json || fail "--json lacks the fingerprint"

# deferred signing: a .p7s made elsewhere, the blob, then joined into an image
vc sign dps --roothash-file rh.txt --p7s out/dps.p7s --cert p256.crt -o out/dps2.bin
cmp out/dps2.bin out/dps.bin || fail "sign dps differs from sign roothash --dps"
expect_exit 1 "does not verify" sign dps --roothash $RH2 --p7s out/dps.p7s --cert p256.crt -o out/x.p7s
expect_exit 1 "no signer matches" sign dps --roothash $RH --p7s out/dps.p7s --cert rsa2048.crt -o out/x.p7s

# sign verify: ours, and openssl's with its default signed attributes
vc sign verify --cert p256.crt --roothash $RH --p7s out/dps.p7s | grep -q "good signature" ||
	fail "sign verify refuses our signature"
openssl smime -sign -binary -md sha256 -outform DER -in rh.txt -signer rsa4096.crt \
	-inkey rsa4096.key -out attrs.p7s
vc sign verify --cert rsa4096.crt --roothash-file rh.txt --p7s attrs.p7s >/dev/null ||
	fail "sign verify refuses openssl's signature with attributes"
expect_exit 1 "messageDigest" sign verify --cert rsa4096.crt --roothash $RH2 --p7s attrs.p7s
cp out/rsa2048.p7s bad.p7s
printf '\001' | dd of=bad.p7s bs=1 seek=300 conv=notrunc 2>/dev/null
expect_exit 1 "does not verify" sign verify --cert rsa2048.crt --roothash $RH --p7s bad.p7s
expect_exit 1 "not a PKCS#7" sign verify --cert rsa2048.crt --roothash $RH --p7s rh.txt

# inspect of a .p7s (ours in DER, openssl cms's in PEM) and of the DPS JSON:
# signer, certificate fingerprint, digest, the root hash in FILE for
# FILE.p7s, and whether the parts agree, by the one verifier (issue 21)
scratch ins
cp out/rsa2048-cert.p7s ins/a.roothash.p7s
cp rh-nl.txt ins/a.roothash
openssl cms -sign -binary -md sha384 -outform PEM -in rh.txt -signer p256.crt -inkey p256.key \
	-out ins/b.roothash.p7s
cp rh.txt ins/b.roothash
cp out/rsa2048-cert.p7s ins/c.roothash.p7s
cp rh2.txt ins/c.roothash
vc sign roothash --key rsa2048.key --cert rsa2048.crt --roothash $RH --include-cert -o ins/d.p7s \
	--dps ins/d.dps
ofp=$(openssl x509 -in other.crt -outform DER | sha256sum | cut -d' ' -f1)
$PY - ins/d.dps ins/e.dps ins/f.dps $RH $RH2 $ofp <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(d.replace(sys.argv[4].encode(), sys.argv[5].encode()))
t = d.split(b'\0', 1)[0]
import json
o = json.loads(t)
o['certificateFingerprint'] = sys.argv[6]
b = json.dumps(o, separators=(',', ':')).encode()
open(sys.argv[3], 'wb').write(b + b'\0' * (4096 - len(b)))
PY
chmod -R a+rX ins
set +e
for f in a.roothash.p7s b.roothash.p7s c.roothash.p7s d.p7s d.dps e.dps f.dps; do
	vc inspect ins/$f --json > ins/$f.json
done
vc inspect ins/a.roothash.p7s > ins/a.txt
set -e
rfp=$(openssl x509 -in rsa2048.crt -outform DER | sha256sum | cut -d' ' -f1)
pfp=$(openssl x509 -in p256.crt -outform DER | sha256sum | cut -d' ' -f1)
$PY - ins $RH $RH2 $rfp $pfp <<'PY' || fail "inspect of .p7s and DPS JSON files"
import json, sys
d, rh, rh2, rfp, pfp = sys.argv[1:]
J = lambda f: json.load(open(f"{d}/{f}.json"))
a = J("a.roothash.p7s")
assert a["kind"] == "pkcs7-signature" and a["errors"] == [], a
p = a["pkcs7"]
assert p["format"] == "der" and p["detached"] and p["certificates"] == 1, p
assert p["signer"]["fingerprint"] == rfp and p["signer"]["digest"] == "SHA256", p["signer"]
assert p["signer"]["subject"] == "CN=vcompose test rsa2048", p["signer"]
assert p["content"]["root_hash"] == rh and p["content"]["signature_ok"] is True, p["content"]
b = J("b.roothash.p7s")["pkcs7"]
assert b["format"] == "pem" and b["signer"]["digest"] == "SHA384", b
assert b["signer"]["fingerprint"] == pfp and b["signer"]["signed_attributes"], b["signer"]
assert b["message_digest"] and b["content"]["signature_ok"] is True, b
c = J("c.roothash.p7s")
assert c["pkcs7"]["content"]["signature_ok"] is False and c["pkcs7"]["content"]["root_hash"] == rh2, c
assert any("does not hold" in e for e in c["errors"]), c["errors"]
assert J("d.p7s")["pkcs7"]["content"] is None
s = J("d.dps")
assert s["kind"] == "verity-signature" and s["errors"] == [], s
g = s["signature"]
assert g["root_hash"] == rh and g["certificate_fingerprint"] == rfp, g
assert g["fingerprint_matches_certificate"] and g["signature_ok"] and g["consistent"], g
assert g["problem"] is None and g["signer"]["fingerprint"] == rfp, g
e = J("e.dps")["signature"]
assert e["root_hash"] == rh2 and e["signature_ok"] is False and e["consistent"] is False, e
assert e["fingerprint_matches_certificate"] is True, e
f = J("f.dps")
assert f["signature"]["fingerprint_matches_certificate"] is False, f
assert f["signature"]["consistent"] is False and f["errors"], f
PY
# inspect exits 1 when its errors list is not empty
! vc inspect ins/e.dps > /dev/null 2>&1 || fail "inspect of an inconsistent DPS JSON exits 0"
! vc inspect ins/c.roothash.p7s > /dev/null 2>&1 || fail "inspect of a .p7s that does not hold over FILE exits 0"
vc inspect ins/d.dps > /dev/null || fail "inspect of a consistent DPS JSON fails"
grep -q "^    fingerprint: $rfp" ins/a.txt && grep -q "^    signature_ok: yes" ins/a.txt ||
	{ cat ins/a.txt >&2; fail "inspect's text form of a .p7s"; }

# join: a build with --defer-signature, signed elsewhere, joined back. The
# signature partition is found from the GPT (DPS type, the root hash's
# partition UUIDs); nothing outside it changes (issue 15, item 1).
scratch dd
SOURCE_DATE_EPOCH=1700000000 vc build "$VC_SOURCE_DIR/examples/minimal/config.xml" \
	--root "$VC_SOURCE_DIR/examples/minimal/root" -o dd --defer-signature -q
img=dd/minimal.raw
DRH=$(cat dd/minimal.roothash)
vc sign roothash --key p256.key --cert p256.crt --roothash-file dd/minimal.roothash -o out/d.p7s \
	--dps out/d.dps
cp $img before.img
# before the join the signature partition is empty: verify and inspect say
# so (not "JSON: unexpected end"); with --cert verify fails, as no
# signature can hold
vc verify $img > v.out || { cat v.out >&2; fail "verify of a deferred build fails without --cert"; }
grep -q "^not checked root-verity-sig (partition 3): empty (signature deferred)" v.out ||
	{ cat v.out >&2; fail "verify does not report the empty deferred signature partition"; }
grep -q "checks passed, 1 not checked" v.out || fail "verify's summary of a deferred build"
expect_exit 1 "1 of" verify $img --cert p256.crt
grep -q "^FAIL root-verity-sig (partition 3): empty (signature deferred)" "$VC_TMP/.out" ||
	{ cat "$VC_TMP/.out" >&2; fail "verify --cert of a deferred build: no FAIL naming the empty partition"; }
grep -qi "unexpected end" v.out "$VC_TMP/.out" && fail "a deferred signature reported as a JSON error"
vc inspect $img --json > deferred.json
$PY - deferred.json <<'PY' || fail "inspect of a deferred build"
import json, sys
d = json.load(open(sys.argv[1]))
p = [p for p in d["disk"]["partitions"] if p["type"] == "root-verity-sig"][0]
assert p["content"] == "empty" and p["signature_deferred"] is True, p
assert d["errors"] == [], d["errors"]
PY
sig=$(sfdisk --json $img | $PY -c '
import json, sys
for p in json.load(sys.stdin)["partitiontable"]["partitions"]:
    if p["type"] == "41092B05-9FC8-4523-994F-2DEF0408B176": print(p["start"] * 512, p["size"] * 512)')
[ -n "$sig" ] || fail "no root-verity-sig partition in the deferred build"
set -- $sig
soff=$1 ssize=$2
# a region that is not the signature partition: refused, nothing written
expect_exit 1 "is not the signature partition" sign join $img --offset 4096 --size 4096 \
	--dps out/d.dps
expect_exit 1 "is not the signature partition" sign join $img --offset $soff --size 4096 \
	--dps out/d.dps
# a signature for another root hash finds no partition
vc sign roothash --key p256.key --cert p256.crt --roothash $RH -o out/o.p7s --dps out/o.dps
expect_exit 1 "not the image of this root hash" sign join $img --dps out/o.dps
cmp $img before.img || fail "a refused join wrote into the image"
vc sign join $img --roothash-file dd/minimal.roothash --p7s out/d.p7s --cert p256.crt -q
cmp -n $soff $img before.img || fail "join changed bytes before the signature partition"
cmp -i $((soff + ssize)) $img before.img || fail "join changed bytes after the signature partition"
dd if=$img bs=4096 skip=$((soff / 4096)) count=$((ssize / 4096)) 2>/dev/null > region.bin
head -c "$(stat -c %s out/d.dps)" region.bin | cmp - out/d.dps || fail "joined blob differs"
[ "$(tail -c +4097 region.bin | tr -d '\0' | wc -c)" = 0 ] || fail "region not NUL-padded"
sfdisk -V $img >/dev/null || fail "sfdisk -V refuses the joined image"
vc verify $img --cert p256.crt >/dev/null || fail "vcompose verify refuses the joined image"
expect_exit 1 "is not empty" sign join $img --dps out/d.dps
vc sign join $img --dps out/d.dps --force --json | grep -q '"partition": 3' ||
	fail "join --json does not name partition 3"
# without a GPT: only the whole file, as the signature partition itself
head -c 65536 /dev/zero > out/sig.part
[ -z "$VC_RUN" ] || chown nobody:nogroup out/sig.part
expect_exit 1 "no GPT" sign join out/sig.part --dps out/d.dps
expect_exit 1 "must be the signature partition itself" sign join out/sig.part --offset 16384 \
	--size 16384 --dps out/d.dps
{ printf '\060'; head -c 70000 /dev/zero; } > big.p7s
expect_exit 1 "needs" sign join out/sig.part --offset 0 --size 65536 --p7s big.p7s --roothash $RH
vc sign join out/sig.part --offset 0 --size 65536 --dps out/d.dps
head -c "$(stat -c %s out/d.dps)" out/sig.part | cmp - out/d.dps || fail "bare join differs"

# encrypted keys: PKCS#8 (PBES2, AES-256) and traditional PEM
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:s3cret \
	-out enc8.key 2>/dev/null
openssl req -x509 -key enc8.key -passin pass:s3cret -out enc8.crt -subj /CN=enc -days 3650
openssl rsa -in enc8.key -passin pass:s3cret -aes256 -traditional -passout pass:s3cret \
	-out enctrad.key 2>/dev/null
printf 's3cret\n' > pass.txt
printf 'wrong\n' > wrong.txt
chmod 644 enc8.key enctrad.key pass.txt wrong.txt
for k in enc8 enctrad; do
	vc sign roothash --key $k.key --cert enc8.crt --roothash $RH -o out/$k.p7s --passphrase-file pass.txt
	verify out/$k.p7s rh.txt enc8.crt || fail "$k: signature refused"
	expect_exit 1 "encrypted" sign roothash --key $k.key --cert enc8.crt --roothash $RH -o out/x.p7s
	expect_exit 1 "wrong passphrase" sign roothash --key $k.key --cert enc8.crt --roothash $RH \
		-o out/x.p7s --passphrase-file wrong.txt
	grep -q s3cret "$VC_TMP/.err" && fail "passphrase echoed"
done
cmp out/enc8.p7s out/enctrad.p7s || fail "same key, different signatures"
VC_TEST_PASS=s3cret $VC_RUN env VC_TEST_PASS=s3cret "$VCOMPOSE" sign roothash --key enc8.key \
	--cert enc8.crt --roothash $RH -o out/env.p7s --passphrase-env VC_TEST_PASS
cmp out/env.p7s out/enc8.p7s || fail "--passphrase-env"
expect_exit 1 "not set" sign roothash --key enc8.key --cert enc8.crt --roothash $RH -o out/x.p7s \
	--passphrase-env VC_NO_SUCH_VARIABLE

# bad keys and certificates: clear message, exit 1, no output
expect_exit 1 "does not match" sign roothash --key other.key --cert rsa2048.crt --roothash $RH -o out/x.p7s
expect_exit 1 "does not match" sign roothash --key p256.key --cert rsa2048.crt --roothash $RH -o out/x.p7s
expect_exit 1 "does not match" sign roothash --key p384.key --cert p256.crt --roothash $RH -o out/x.p7s
openssl genpkey -algorithm ed25519 -out ed.key
openssl req -x509 -key ed.key -out ed.crt -subj /CN=ed -days 3650
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key 2>/dev/null
openssl req -x509 -key rsa1024.key -out rsa1024.crt -subj /CN=weak -days 3650
chmod 644 ed.key rsa1024.key
expect_exit 1 "only RSA and ECDSA" sign roothash --key ed.key --cert ed.crt --roothash $RH -o out/x.p7s
expect_exit 1 "1024 bits" sign roothash --key rsa1024.key --cert rsa1024.crt --roothash $RH -o out/x.p7s
expect_exit 1 "rh.txt" sign roothash --key rsa2048.key --cert rh.txt --roothash $RH -o out/x.p7s
expect_exit 1 "no-such" sign roothash --key no-such.key --cert rsa2048.crt --roothash $RH -o out/x.p7s
expect_exit 1 "--roothash" sign roothash --key rsa2048.key --cert rsa2048.crt --roothash xyz -o out/x.p7s
expect_exit 2 "--key" sign roothash --cert rsa2048.crt --roothash $RH -o out/x.p7s
expect_exit 2 "exactly one" sign roothash --key rsa2048.key --cert rsa2048.crt --roothash $RH \
	--roothash-file rh.txt -o out/x.p7s
expect_exit 2 "unknown mode" sign frob
expect_exit 3 "no-such-dir" sign roothash --key rsa2048.key --cert rsa2048.crt --roothash $RH \
	-o out/x.p7s --dps out/no-such-dir/x.dps
[ ! -e out/x.p7s ] || fail "a failed signing left an output"
[ -z "$(ls -A out | grep '^\.')" ] || fail "temporary files left in out/"

# an expired certificate: a warning, still signed
mkdir ca
touch ca/index.txt
echo 01 > ca/serial
printf '[ca]\ndefault_ca=d\n[d]\ndatabase=ca/index.txt\nserial=ca/serial\nnew_certs_dir=ca\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' > ca.cnf
openssl req -new -key rsa2048.key -subj /CN=expired -out e.csr
openssl ca -config ca.cnf -selfsign -keyfile rsa2048.key -in e.csr -startdate 20000101000000Z \
	-enddate 20010101000000Z -batch -out expired.crt 2>/dev/null
expect_exit 0 "has expired" sign roothash --key rsa2048.key --cert expired.crt --roothash $RH -o out/e.p7s
echo ok
