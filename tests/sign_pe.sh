# SPDX-License-Identifier: MIT
# vcompose sign pe: Authenticode on Debian's systemd-boot, its UKI stub and a
# UKI made with objcopy, checked by sbverify and osslsigncode, compared with
# sbsign's output for the same key and input.
. "$VC_SOURCE_DIR/tests/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
EFI=/usr/lib/systemd/boot/efi
command -v faketime >/dev/null || fail "faketime missing (tools/deps.sh test)"
for f in $EFI/systemd-bootx64.efi $EFI/linuxx64.efi.stub; do
	[ -r $f ] || fail "$f missing: install systemd-boot-efi"
done
scratch out

openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.crt -subj "/CN=vcompose pe test" \
	-days 3650 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout p256.key -out p256.crt \
	-subj "/CN=vcompose pe ec" -days 3650 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -subj "/CN=other" \
	-days 3650 2>/dev/null
# a chain: CA -> leaf; the leaf's PEM file carries the CA after it
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -subj "/CN=vcompose test CA" \
	-days 3650 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=vcompose leaf" \
	2>/dev/null
openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out leaf.crt -days 3650 \
	2>/dev/null
cat leaf.crt ca.crt > leaf-chain.crt
chmod 644 *.key

# a UKI: the stub plus .osrel, .cmdline and a kernel-sized .linux
printf 'ID=test\n' > osrel
printf 'console=ttyS0 roothash=00' > cmdline
head -c 100000 /dev/urandom > linux.bin
objcopy --add-section .osrel=osrel --change-section-vma .osrel=0x40000 \
	--add-section .cmdline=cmdline --change-section-vma .cmdline=0x41000 \
	--add-section .linux=linux.bin --change-section-vma .linux=0x50000 \
	$EFI/linuxx64.efi.stub uki.efi
cp $EFI/systemd-bootx64.efi boot.efi
cp $EFI/linuxx64.efi.stub stub.efi

osslverify() { # FILE CA
	osslsigncode verify -in "$1" -CAfile "$2" >ossl.log 2>&1 && grep -q "^Succeeded" ossl.log
}

# The parts of a signed PE: the SpcIndirectDataContent, the image before
# the certificate table, and offsets of CheckSum and the security entry.
cat > pe.py <<'EOF'
import hashlib, struct, sys
def tlv(b, i):
    tag, l = b[i], b[i + 1]; h = 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[i + 2:i + 2 + n], 'big'); h += n
    return tag, i + h, i + h + l
def children(b, i):
    _, s, e = tlv(b, i); out = []
    while s < e:
        out.append(s); s = tlv(b, s)[2]
    return out
def parts(path):
    d = open(path, 'rb').read()
    lf = struct.unpack_from('<I', d, 0x3c)[0]; opt = lf + 24
    magic = struct.unpack_from('<H', d, opt)[0]
    dirs = opt + (112 if magic == 0x20b else 96)
    off, size = struct.unpack_from('<II', d, dirs + 32)
    dw = struct.unpack_from('<I', d, off)[0]
    p7 = d[off + 8:off + dw]
    sd = children(p7, children(p7, children(p7, 0)[1])[0])
    ci = children(p7, sd[2])                 # contentInfo: oid, [0]
    idc = children(p7, ci[1])[0]
    _, _, e = tlv(p7, idc)
    certs = children(p7, sd[3]) if p7[sd[3]] == 0xa0 else []
    return d, opt + 64, dirs + 32, off, size, p7[idc:e], len(certs)
def checksum(d, co):
    s = 0
    for i in range(0, len(d) - 1, 2):
        if i in (co, co + 2): continue
        s += d[i] | d[i + 1] << 8; s = (s & 0xffff) + (s >> 16)
    if len(d) & 1:
        s += d[-1]; s = (s & 0xffff) + (s >> 16)
    return s + len(d)
cmd = sys.argv[1]
if cmd == 'check':      # FILE: layout and checksum of our output
    d, co, cd, off, size, idc, n = parts(sys.argv[2])
    assert off % 8 == 0 and size % 8 == 0 and off + size == len(d), (off, size, len(d))
    assert struct.unpack_from('<HH', d, off + 4) == (0x200, 2)
    assert struct.unpack_from('<I', d, co)[0] == checksum(d, co), 'CheckSum'
    print(n)
elif cmd == 'compare':  # OURS SBSIGN: same digest structure, same image but 2 fields
    a = parts(sys.argv[2]); b = parts(sys.argv[3])
    assert a[5] == b[5], 'SpcIndirectDataContent differs from sbsign'
    assert a[3] == b[3], 'certificate table offset differs'
    ia, ib = a[0][:a[3]], b[0][:b[3]]
    allowed = set(range(a[1], a[1] + 4)) | set(range(a[2] + 4, a[2] + 8))
    diff = {i for i in range(len(ia)) if ia[i] != ib[i]}
    assert diff <= allowed, sorted(diff - allowed)[:8]
EOF

for f in boot stub uki; do
	for k in rsa p256; do
		vc sign pe --key $k.key --cert $k.crt $f.efi -o out/$f.$k.efi
		vc sign pe --key $k.key --cert $k.crt $f.efi -o out/$f.$k.2.efi
		cmp out/$f.$k.efi out/$f.$k.2.efi || fail "$f/$k: two signings differ"
		sbverify --cert $k.crt out/$f.$k.efi >/dev/null 2>&1 || fail "$f/$k: sbverify refuses"
		osslverify out/$f.$k.efi $k.crt || { cat ossl.log; fail "$f/$k: osslsigncode refuses"; }
		! sbverify --cert other.crt out/$f.$k.efi >/dev/null 2>&1 ||
			fail "$f/$k: sbverify accepts another certificate"
		[ "$($PY pe.py check out/$f.$k.efi)" = 1 ] || fail "$f/$k: layout or checksum"
	done
	# a flipped byte in the signed image makes both verifiers refuse
	cp out/$f.rsa.efi flip.efi
	printf '\377' | dd of=flip.efi bs=1 seek=5000 conv=notrunc 2>/dev/null
	! sbverify --cert rsa.crt flip.efi >/dev/null 2>&1 || fail "$f: sbverify accepts a flipped byte"
	! osslverify flip.efi rsa.crt || fail "$f: osslsigncode accepts a flipped byte"
	# sbsign: the same image digest structure and image bytes; the
	# signed attributes differ by design (see docs/sign.md)
	sbsign --key rsa.key --cert rsa.crt --output sb.$f.efi $f.efi >/dev/null 2>&1
	$PY pe.py compare out/$f.rsa.efi sb.$f.efi || fail "$f: differs from sbsign beyond the signature"
	# --replace of sbsign's signature gives our bytes for the original
	vc sign pe --key rsa.key --cert rsa.crt sb.$f.efi -o out/$f.re.efi --replace
	cmp out/$f.re.efi out/$f.rsa.efi || fail "$f: --replace differs from signing the original"
	# --signing-time: sbsign's bytes, sbsign run (under faketime) at that time
	TZ=UTC faketime -f '2023-11-14 22:13:20' sbsign --key rsa.key --cert rsa.crt \
		--output sbt.$f.efi $f.efi >/dev/null 2>&1 || fail "$f: faketime sbsign"
	vc sign pe --key rsa.key --cert rsa.crt --signing-time 1700000000 $f.efi -o out/$f.t.efi
	cmp out/$f.t.efi sbt.$f.efi || fail "$f: --signing-time differs from sbsign at that time"
done

# --json reports the digest osslsigncode calculates
vc sign pe --key rsa.key --cert rsa.crt uki.efi -o out/uki.json.efi --json > pe.json
osslverify out/uki.json.efi rsa.crt
calc=$(sed -n 's/^Calculated message digest *: *\([0-9A-F]*\).*/\1/p' ossl.log | tr A-F a-f)
[ -n "$calc" ] && grep -q "\"image_digest\": \"$calc\"" pe.json || fail "--json digest != osslsigncode's"

# in place: the input is read before the output is renamed over it
cp uki.efi out/inplace.efi
[ -z "$VC_RUN" ] || chown nobody:nogroup out/inplace.efi
vc sign pe --key rsa.key --cert rsa.crt out/inplace.efi -o out/inplace.efi
cmp out/inplace.efi out/uki.rsa.efi || fail "signing in place differs"

# a chain: both certificates embedded, verified against the CA
vc sign pe --key leaf.key --cert leaf-chain.crt uki.efi -o out/uki.chain.efi
[ "$($PY pe.py check out/uki.chain.efi)" = 2 ] || fail "chain not embedded"
sbverify --cert ca.crt out/uki.chain.efi >/dev/null 2>&1 || fail "sbverify refuses the chain"
osslverify out/uki.chain.efi ca.crt || { cat ossl.log; fail "osslsigncode refuses the chain"; }

# refusals: signed already, not PE, truncated, wrong key; never an output
expect_exit 1 "already signed" sign pe --key rsa.key --cert rsa.crt out/uki.rsa.efi -o out/x.efi
printf 'hello\n' > text.txt
expect_exit 1 "not a PE file" sign pe --key rsa.key --cert rsa.crt text.txt -o out/x.efi
: > empty.efi
expect_exit 1 "not a PE file" sign pe --key rsa.key --cert rsa.crt empty.efi -o out/x.efi
head -c 1000 boot.efi > trunc.efi
expect_exit 1 "trunc.efi" sign pe --key rsa.key --cert rsa.crt trunc.efi -o out/x.efi
head -c 100000 boot.efi > trunc2.efi
expect_exit 1 "past the end of the file" sign pe --key rsa.key --cert rsa.crt trunc2.efi -o out/x.efi
expect_exit 1 "does not match" sign pe --key other.key --cert rsa.crt boot.efi -o out/x.efi
expect_exit 1 "no-such.efi" sign pe --key rsa.key --cert rsa.crt no-such.efi -o out/x.efi
expect_exit 2 "-o" sign pe --key rsa.key --cert rsa.crt boot.efi
[ ! -e out/x.efi ] || fail "a refused signing left an output"
[ -z "$(ls -A out | grep '^\.')" ] || fail "temporary files left in out/"
echo ok
