#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang (ASan + UBSan) in their own build
# folder and runs each for SECONDS (default 60) on its seed corpus; fails on
# any crash, leak, timeout or out-of-memory. Usage:
#   fuzz/run.sh [SECONDS] [TARGET...]
# Environment: VC_FUZZ_BUILD (build folder, default build-fuzz in the source
# tree), VC_FUZZ_WORK (grown corpora, crash inputs and logs, default
# $VC_FUZZ_BUILD/work), VC_FUZZ_JOBS (build parallelism, default 2).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
build=${VC_FUZZ_BUILD:-$src/build-fuzz}
work=${VC_FUZZ_WORK:-$build/work}
targets=${*:-xmlcfg tree mtree pe uki verity sign_key text erofs_read}

CC=${CC:-clang} cmake -S "$src" -B "$build" -DVC_FUZZ=ON -DVC_WERROR=OFF \
	-DVC_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"${VC_FUZZ_JOBS:-2}" --target fuzz >/dev/null

# Big real inputs are not committed: they join the working corpus here.
extra() {
	case $1 in
	pe | uki)
		for f in /usr/lib/systemd/boot/efi/linuxx64.efi.stub \
			/usr/lib/systemd/boot/efi/systemd-bootx64.efi; do
			if [ -e "$f" ]; then cp "$f" "$2/real-$(basename "$f")"; fi
		done
		;;
	esac
	return 0
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=""
summary=""
for t in $targets; do
	corpus=$work/$t
	art=$work/crashes/$t
	log=$work/$t.log
	mkdir -p "$corpus" "$art"
	extra "$t" "$corpus"
	dict=""
	if [ -e "$src/fuzz/$t.dict" ]; then dict="-dict=$src/fuzz/$t.dict"; fi
	echo "fuzz_$t: ${secs}s" >&2
	set +e
	(cd "$work" && TMPDIR=$work "$build/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=20 \
		-rss_limit_mb=2560 -max_len=131072 -print_final_stats=1 \
		-artifact_prefix="$art/" $dict "$corpus" "$src/fuzz/corpus/$t") >"$log" 2>&1
	rc=$?
	set -e
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	summary="$summary
fuzz_$t: exit $rc, ${runs:-?} executions, ${cov:-cov: ?}"
	if [ "$rc" != 0 ]; then
		failed="$failed $t"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written|Timeout|out-of-memory' "$log" |
			head -n 20 >&2
	fi
done
echo "$summary"
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed (logs, inputs: $work)" >&2
	exit 1
fi
