#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs a script test in a fresh scratch folder ($VC_TMP), removed afterwards.
# As root (CI), vcompose itself runs as nobody: tests call "$VC_RUN" vcompose ...
set -eu
script=$1
VC_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vctest.XXXXXX")
chmod 0755 "$VC_TMP"
trap 'rm -rf "$VC_TMP"' EXIT
export VC_TMP
if [ "$(id -u)" = 0 ]; then
	VC_RUN="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
	chown nobody:nogroup "$VC_TMP"
else
	VC_RUN=""
fi
export VC_RUN
cd "$VC_TMP"
# A script exits 77 when a tool it needs is missing (a skip); under
# VC_NO_SKIP=1 (tools/test.sh, so CI) that is a failure: a green run must
# not hide a missing install step.
set +e
sh -eu "$script"
rc=$?
if [ "$rc" = 77 ] && [ "${VC_NO_SKIP:-0}" = 1 ]; then
	echo "FAIL: skipped, but VC_NO_SKIP=1 (a dependency is missing)" >&2
	exit 1
fi
exit "$rc"
