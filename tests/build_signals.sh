# SPDX-License-Identifier: MIT
# Interrupted and concurrent builds (issue 15, items 7 and 13):
#   - a second build into the same output name fails at once, naming the
#     first (the lock OUTDIR/.NAME.lock), and changes nothing;
#   - SIGTERM, SIGINT, SIGHUP leave nothing at all in the output folder
#     (earlier good outputs survive); SIGKILL leaves no temporary output
#     (O_TMPFILE), at most the empty lock, which the next build takes over;
#   - builds run one after another give one consistent set of files.
. "$VC_SOURCE_DIR/tests/lib.sh"
export SOURCE_DATE_EPOCH=1700000000
MC=$VC_SOURCE_DIR/examples/minimal/config.xml
mkdir -p slow/etc
cp -a "$VC_SOURCE_DIR/examples/minimal/root/." slow/
seq 1 3000000 > slow/etc/big # 23 MB of lz4hc on one thread: seconds
chmod -R a+rX slow
scratch out
# a good build first: it must survive the interrupted ones
vc build "$MC" --root "$VC_SOURCE_DIR/examples/minimal/root" -o out -q
good=$(sha256sum out/minimal.raw out/minimal.roothash)
start() { # starts a slow build; waits until it holds the lock
	$VC_RUN "$VCOMPOSE" build "$MC" --root slow -o out -q --jobs 1 >/dev/null 2>"$1" &
	pid=$!
	for _ in $(seq 100); do
		[ -e out/.minimal.lock ] && return 0
		sleep 0.1
	done
	fail "the build did not take out/.minimal.lock"
}
# concurrent: the second fails fast, naming the first
start first.err
expect_exit 3 "another process $pid is writing" build "$MC" --root "$VC_SOURCE_DIR/examples/minimal/root" -o out
for sig in TERM INT HUP; do
	[ "$sig" = TERM ] || start first.err
	sleep 0.2
	kill -$sig $pid
	set +e
	wait $pid
	rc=$?
	set -e
	[ "$rc" -gt 128 ] || fail "SIG$sig: the build exited $rc, not by the signal"
	left=$(ls -A out | grep -v '^minimal\.\(raw\|roothash\|manifest\.json\)$' || true)
	[ -z "$left" ] || fail "SIG$sig left: $left"
	[ "$(sha256sum out/minimal.raw out/minimal.roothash)" = "$good" ] ||
		fail "SIG$sig: the earlier good outputs changed"
done
start first.err
sleep 0.2
kill -KILL $pid
wait $pid || true
left=$(ls -A out | grep -v '^minimal\.\(raw\|roothash\|manifest\.json\)$' || true)
[ -z "$left" ] || [ "$left" = .minimal.lock ] || fail "SIGKILL left: $left"
# the stale lock is taken over
vc build "$MC" --root "$VC_SOURCE_DIR/examples/minimal/root" -o out -q
[ -z "$(ls -A out | grep '^\.' || true)" ] || fail "a build left hidden files: $(ls -A out)"
[ "$(sha256sum out/minimal.raw out/minimal.roothash)" = "$good" ] || fail "the rebuild differs"
echo ok
