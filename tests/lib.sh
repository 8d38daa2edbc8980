# SPDX-License-Identifier: MIT
# Helpers for script tests; sourced with ". $VC_SOURCE_DIR/tests/lib.sh".
# vc ARGS: runs vcompose as the unprivileged user.
vc() { $VC_RUN "$VCOMPOSE" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_exit CODE SUBSTRING ARGS...: runs vcompose, checks exit code and stderr.
expect_exit() {
	want=$1; sub=$2; shift 2
	set +e
	$VC_RUN "$VCOMPOSE" "$@" >"$VC_TMP/.out" 2>"$VC_TMP/.err"
	got=$?
	set -e
	[ "$got" = "$want" ] || { cat "$VC_TMP/.err" >&2; fail "vcompose $*: exit $got, expected $want"; }
	grep -qF -- "$sub" "$VC_TMP/.err" || { cat "$VC_TMP/.err" >&2; fail "vcompose $*: stderr lacks '$sub'"; }
}
# scratch DIR: a folder the unprivileged user can write.
scratch() { mkdir -p "$1"; [ -z "$VC_RUN" ] || chown nobody:nogroup "$1"; }
# swtpm_start: a software TPM 2.0 (one bank, SHA-256: the firmware hashes
# every measurement once per bank, in software under TCG) in ./tpm, for qemu's
# -chardev socket,id=chrtpm,path=tpm/sock; stopped when the test exits.
swtpm_start() {
	mkdir tpm
	swtpm_setup --tpm2 --tpmstate tpm --pcr-banks sha256 >/dev/null 2>&1 || fail "swtpm_setup"
	swtpm socket --tpm2 --tpmstate dir=tpm --ctrl type=unixio,path=tpm/sock \
		--flags startup-clear --terminate &
	tpm_pid=$!
	trap 'kill $tpm_pid 2>/dev/null || true' EXIT
	sleep 1
}
# apt_mirror: the Debian mirror apt is configured with here (deb822 or the
# one-line format), for debootstrap; fails when there is none.
apt_mirror() {
	m=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
	[ -n "$m" ] || m=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
	[ -n "$m" ] && echo "${m%% *}"
}
