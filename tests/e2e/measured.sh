# SPDX-License-Identifier: MIT
# Measured boot of a whole Debian 12 system, and a secret sealed to the UKI's
# signed PCR policy. The boot proof's fixture (tests/e2e/boot.sh) plus the
# TPM2 libraries systemd-creds loads (copied from this Debian 12 host: the
# same packages) and a unit that, once systemd's phases ran, prints PCR 11
# and seals two secrets with `systemd-creds encrypt --with-key=tpm2-with-public-key
# --tpm2-public-key=`: one to the .pcrpkey the stub passed on, one to
# another key made here. Built with --pcr-key and --pcr-phase sysinit:ready
# (the dracut initrd here measures no phase; systemd-pcrphase in the root
# measures "sysinit" and "ready"), booted under OVMF + swtpm: PCR 11 must
# equal the manifest's prediction for that phase path, the first secret must
# decrypt with the .pcrsig the stub passed on, the second must not.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
for t in qemu-system-x86_64 swtpm swtpm_setup openssl; do
	command -v $t >/dev/null || { echo "SKIP: missing $t"; exit 77; }
done
[ -e "$code" ] || { echo "SKIP: missing OVMF"; exit 77; }
if [ -z "${VC_E2E_ROOTFS:-}" ] && mkdir -p /var/cache/vcompose 2>/dev/null && [ -w /var/cache/vcompose ]; then
	VC_E2E_ROOTFS=/var/cache/vcompose/bookworm-bootable.tar
fi
fixture=${VC_E2E_ROOTFS:-$VC_BUILD_DIR/e2e/bookworm-rootfs.tar}
if [ ! -s "$fixture" ]; then
	mkdir -p "$(dirname "$fixture")"
	sh "$VC_SOURCE_DIR/examples/bootable/make-rootfs.sh" "$fixture"
fi
libs=""
for p in libtss2-esys-3.0.2-0 libtss2-sys1 libtss2-mu0 libtss2-rc0 libtss2-tctildr0 libtss2-tcti-device0; do
	l=$(dpkg -L $p 2>/dev/null | grep '/usr/lib/.*\.so') || { echo "SKIP: missing $p"; exit 77; }
	libs="$libs $l"
done

# The tree: the fixture, the TPM2 libraries, the proof unit, another key.
mkdir -p add/etc/systemd/system/multi-user.target.wants add/usr/local/bin add/etc/vcompose
for l in $libs; do
	mkdir -p "add$(dirname "$l")"
	cp -P "$l" "add$l"
done
openssl genrsa -out other.key 2048 2>/dev/null
openssl pkey -in other.key -pubout -out add/etc/vcompose/other.pem
cat > add/usr/local/bin/vcompose-tpm-proof <<'SH'
#!/bin/sh
# after systemd-pcrphase's "sysinit" and "ready": PCR 11, then seal and unseal
printf '\nTPM-PCR11=%s\n' "$(cat /sys/class/tpm/tpm0/pcr-sha256/11)"
echo "TPM-PHASES=$(systemctl is-active systemd-pcrphase-sysinit.service systemd-pcrphase.service | tr '\n' ' ')"
echo "TPM-FILES=$(sha256sum /run/systemd/tpm2-pcr-signature.json /run/systemd/tpm2-pcr-public-key.pem | tr -s ' \n' '  ')"
echo vcompose-sealed-secret > /run/secret
systemd-creds encrypt --with-key=tpm2-with-public-key \
	--tpm2-public-key=/run/systemd/tpm2-pcr-public-key.pem /run/secret /run/good.cred &&
	echo "TPM-GOOD=$(systemd-creds decrypt /run/good.cred - 2>&1)"
systemd-creds encrypt --with-key=tpm2-with-public-key \
	--tpm2-public-key=/etc/vcompose/other.pem /run/secret /run/other.cred && {
	out=$(systemd-creds decrypt /run/other.cred - 2>&1); rc=$?
	echo "TPM-OTHER=$(echo "$out" | tr '\n' ' ') rc=$rc"; }
echo TPM-PROOF-END
SH
chmod 755 add/usr/local/bin/vcompose-tpm-proof
cat > add/etc/systemd/system/vcompose-tpm-proof.service <<'UNIT'
[Unit]
Description=vcompose measured boot proof
After=local-fs.target systemd-pcrphase.service systemd-pcrphase-sysinit.service
Before=vcompose-proof.service getty.target serial-getty@ttyS0.service
[Service]
Type=oneshot
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
ExecStart=/usr/local/bin/vcompose-tpm-proof
[Install]
WantedBy=multi-user.target
UNIT
ln -s /etc/systemd/system/vcompose-tpm-proof.service \
	add/etc/systemd/system/multi-user.target.wants/vcompose-tpm-proof.service
cp "$fixture" tree.tar
(cd add && find . ! -type d | sort) >add.list
tar --numeric-owner --owner=0 --group=0 --mtime=@1700000000 -C add -rf tree.tar -T add.list
chmod a+r tree.tar

export SOURCE_DATE_EPOCH=1700000000
scratch out
cp -r "$VC_SOURCE_DIR/examples/bootable" cfg
cp "$VC_SOURCE_DIR/vectors/sign/TEST-ONLY-rsa2048.key" cfg/pcr.key
chmod -R a+rX cfg
t0=$(date +%s)
vc build cfg/config.xml --tar tree.tar -o out --pcr-key cfg/pcr.key --pcr-phase sysinit:ready \
	--pcr-phase enter-initrd >build.log 2>build.err ||
	{ cat build.err >&2; fail "vcompose build"; }
echo "build: $(( $(date +%s) - t0 )) s"
want=$(python3 -c 'import json,sys
for e in json.load(open(sys.argv[1]))["pcr11"]["sha256"]:
    if e["phase"] == "sysinit:ready": print(e["hash"])' out/bootable.manifest.json)
[ -n "$want" ] || fail "the manifest has no prediction for sysinit:ready"

swtpm_start
cp "$vars" vars.fd
cp --sparse=always out/bootable.raw disk.img
t0=$(date +%s)
timeout 480 qemu-system-x86_64 -accel tcg -machine q35 -m 1024 -smp 2 -nographic \
	-no-reboot -nic none -monitor none -serial file:serial.log \
	-chardev socket,id=chrtpm,path=tpm/sock -tpmdev emulator,id=tpm0,chardev=chrtpm \
	-device tpm-crb,tpmdev=tpm0 \
	-drive if=pflash,format=raw,unit=0,readonly=on,file="$code" \
	-drive if=pflash,format=raw,unit=1,file=vars.fd \
	-drive if=virtio,format=raw,file=disk.img </dev/null >qemu.out 2>&1 &
qpid=$!
while kill -0 $qpid 2>/dev/null; do
	if grep -aqE 'TPM-PROOF-END|Kernel panic|reboot: Power down' serial.log 2>/dev/null; then
		sleep 2; kill $qpid 2>/dev/null || true; break
	fi
	sleep 2
done
wait $qpid 2>/dev/null || true
echo "boot: $(( $(date +%s) - t0 )) s"
tr -d '\r' < serial.log | sed 's/\x1b\[[0-9;=?]*[A-Za-z]//g' > serial.txt || true
grep -q '^TPM-PROOF-END' serial.txt || { tail -n 60 serial.txt >&2; fail "no proof from the booted system"; }
grep '^TPM-' serial.txt
got=$(grep -ao 'TPM-PCR11=[0-9A-Fa-f]*' serial.txt | head -n 1 | cut -d= -f2 | tr 'A-F' 'a-f')
[ "$got" = "$want" ] || fail "booted PCR 11 $got != the manifest's sysinit:ready $want"
grep -qx 'TPM-GOOD=vcompose-sealed-secret' serial.txt ||
	fail "the secret sealed to .pcrpkey did not decrypt with the UKI's .pcrsig"
grep '^TPM-OTHER=' serial.txt | grep -q 'vcompose-sealed-secret' &&
	fail "a secret sealed to another key decrypted"
grep -q '^TPM-OTHER=.* rc=[1-9]' serial.txt || fail "decrypting the other secret did not fail"
echo "ok: PCR 11 = $got (stub + sysinit + ready); sealed to .pcrpkey: unsealed; to another key: refused"
