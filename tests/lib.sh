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
