#!/bin/sh
# SPDX-License-Identifier: MIT
# vcompose verity format against veritysetup format on incompressible data in
# the page cache, with OpenSSL's SHA-256 on every CPU as the machine's bound.
# Prints medians of RUNS runs (alternating the two tools) and the ratios.
#
# Usage: bench/verity.sh [SIZE_GIB...]        (default: 1 4)
# Env:   VCOMPOSE  the binary (default: build-rel/src/cli/vcompose, else build/...)
#        RUNS      runs per tool and size (default 5)
#        BENCH_DIR where the data goes (default $TMPDIR or /tmp; needs the sizes
#                  in free space and in RAM, so that the data stays cached)
#        JOBS      --jobs for vcompose (default: one per CPU)
#        NICE      run both tools (and openssl) under `nice -n NICE`, e.g. -10 as
#                  root on a shared machine, to measure them rather than the load
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${VCOMPOSE:-}" ]; then
	for b in build-rel build; do
		[ -x "$top/$b/src/cli/vcompose" ] && VCOMPOSE=$top/$b/src/cli/vcompose && break
	done
fi
[ -x "${VCOMPOSE:-}" ] || { echo "bench: build vcompose first (cmake -B build-rel -DCMAKE_BUILD_TYPE=Release)" >&2; exit 3; }
command -v veritysetup >/dev/null || { echo "bench: veritysetup missing (cryptsetup-bin)" >&2; exit 3; }
RUNS=${RUNS:-5}
SIZES=${*:-1 4}
ncpu=$(nproc)
dir=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/vcbench.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
salt=5c0ffee5a1700000000000000000000000000000000000000000000000000001
uuid=0b5e55ed-1234-4abc-8def-0123456789ab
have_time=false
[ -x /usr/bin/time ] && have_time=true

pre=""
[ -z "${NICE:-}" ] || pre="nice -n $NICE"
now() { date +%s.%N; }
# secs CMD...: wall seconds of one run (stdout dropped); CPU seconds (user +
# system) in $dir/cpu and peak RSS (KiB) in $dir/rss, when /usr/bin/time exists
secs() {
	t0=$(now)
	if $have_time; then
		$pre /usr/bin/time -f '%U %S %M' -o "$dir/time" "$@" >/dev/null
		awk '{ printf "%.2f\n", $1 + $2 }' "$dir/time" >"$dir/cpu"
		awk '{ print $3 }' "$dir/time" >"$dir/rss"
	else
		$pre "$@" >/dev/null
		echo 0 >"$dir/cpu"
		echo 0 >"$dir/rss"
	fi
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "machine: $ncpu CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "vcompose: $("$VCOMPOSE" --version) ($VCOMPOSE); $(veritysetup --version | cut -d' ' -f1-2); $(openssl version | cut -d' ' -f1-2)"
echo "runs: $RUNS per tool and size, medians${NICE:+, nice $NICE}; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# OpenSSL's SHA-256 of 4 KiB blocks on every CPU (and on one).
osl_multi=$($pre openssl speed -evp sha256 -bytes 4096 -multi "$ncpu" 2>/dev/null |
	awk '/^sha256/ { sub(/k$/, "", $2); printf "%.3f", $2 * 1000 / 1e9 }')
osl_one=$($pre openssl speed -evp sha256 -bytes 4096 2>/dev/null |
	awk '/^sha256/ { sub(/k$/, "", $2); printf "%.3f", $2 * 1000 / 1e9 }')
echo "openssl speed -evp sha256 -bytes 4096: ${osl_one} GB/s per CPU-second (1 process), ${osl_multi} GB/s wall with -multi $ncpu"
echo

printf '%-6s %-12s %9s %9s %8s %10s\n' size tool seconds GB/s CPU-s peakRSS
for g in $SIZES; do
	bytes=$((g * 1073741824))
	data="$dir/data.$g"
	openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
		-iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null |
		head -c "$bytes" >"$data"
	cat "$data" >/dev/null # into the page cache
	: >"$dir/vc.t"
	: >"$dir/vs.t"
	: >"$dir/vc.rss"
	: >"$dir/vc.cpu"
	: >"$dir/vs.cpu"
	i=0
	while [ $i -lt "$RUNS" ]; do
		rm -f "$dir/h.vc" "$dir/h.vs"
		secs "$VCOMPOSE" verity format "$data" "$dir/h.vc" --salt $salt --uuid $uuid \
			${JOBS:+--jobs $JOBS} >>"$dir/vc.t"
		cat "$dir/rss" >>"$dir/vc.rss"
		cat "$dir/cpu" >>"$dir/vc.cpu"
		secs veritysetup format "$data" "$dir/h.vs" --salt $salt --uuid $uuid >>"$dir/vs.t"
		cat "$dir/cpu" >>"$dir/vs.cpu"
		i=$((i + 1))
	done
	cmp -s "$dir/h.vc" "$dir/h.vs" || { echo "bench: hash files differ at ${g} GiB!" >&2; exit 1; }
	tree_kib=$(($(stat -c %s "$dir/h.vc") / 1024))
	vc=$(median <"$dir/vc.t")
	vs=$(median <"$dir/vs.t")
	rss=$(median <"$dir/vc.rss")
	vcc=$(median <"$dir/vc.cpu")
	vsc=$(median <"$dir/vs.cpu")
	awk -v g="$g" -v b="$bytes" -v vc="$vc" -v vs="$vs" -v rss="$rss" -v tree="$tree_kib" \
		-v om="$osl_multi" -v vcc="$vcc" -v vsc="$vsc" 'BEGIN {
		printf "%-6s %-12s %9.3f %9.2f %8.2f %7d KiB (tree %d KiB)\n", g "G", "vcompose", vc, b / vc / 1e9, vcc, rss, tree
		printf "%-6s %-12s %9.3f %9.2f %8.2f\n", g "G", "veritysetup", vs, b / vs / 1e9, vsc
		printf "%-6s ratio: vcompose is %.2fx veritysetup (wall), %.2fx (CPU time); %.0f%% of openssl -multi (%.2f GB/s)\n",
			g "G", vs / vc, (vcc > 0 ? vsc / vcc : 0), 100 * b / vc / 1e9 / om, om
	}'
	rm -f "$data" "$dir/h.vc" "$dir/h.vs"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
