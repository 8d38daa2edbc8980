#!/bin/sh
# SPDX-License-Identifier: MIT
# vcompose erofs against Debian's mkfs.erofs on the same tree, in one run:
# for none, lz4 and lz4hc, RUNS timed runs of each (after one warm-up, so
# both read from the page cache), medians of time, CPU time and size, their
# ratios, peak RSS;
# and vcompose from a tarball of the tree against the same tree as a folder.
# Usage: bench/erofs.sh [TREE_DIR]   (default: a tree made from /usr)
#   RUNS=5 JOBS=2 VCOMPOSE=build/src/cli/vcompose bench/erofs.sh /srv/rootfs
# MKFS_EROFS: the mkfs.erofs command to compare with (default: the
# installed one), e.g. Debian 13's 1.8 run by its own ld.so; MODES: the
# compressions, each ALG[@PCLUSTER][+FEATURES] in mkfs.erofs -z syntax
# (default: none lz4 lz4hc); +FEATURES go to both (-E for mkfs.erofs;
# chunks as its --chunksize=4096, e.g. none+chunks):
#   MKFS_EROFS="$T/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --library-path \
#     $T/usr/lib/x86_64-linux-gnu $T/usr/bin/mkfs.erofs" MODES="zstd,level=9@131072 lz4hc" bench/erofs.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
VCOMPOSE=${VCOMPOSE:-$top/build/src/cli/vcompose}
RUNS=${RUNS:-3}
JOBS=${JOBS:-2}
MKFS_EROFS=${MKFS_EROFS:-mkfs.erofs}
MODES=${MODES:-none lz4 lz4hc}
work=$(mktemp -d "${TMPDIR:-/tmp}/erofs-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
U=01234567-89ab-cdef-0123-456789abcdef

tree=${1:-}
if [ -z "$tree" ]; then
	# A real tree: programs, libraries and documentation of this machine.
	tree=$work/tree
	mkdir -p "$tree/usr"
	for d in bin sbin lib/x86_64-linux-gnu share/doc share/man share/perl5 share/zoneinfo; do
		[ -d "/usr/$d" ] || continue
		mkdir -p "$tree/usr/$(dirname $d)"
		cp -a "/usr/$d" "$tree/usr/$d" 2>/dev/null || true
	done
fi
echo "tree: $tree ($(du -sh "$tree" | cut -f1), $(find "$tree" | wc -l) entries)"
echo "vcompose: --jobs $JOBS; mkfs.erofs: $($MKFS_EROFS -V 2>/dev/null | head -n 1 || echo '?')"

# t_ms CMD...: runs CMD, prints "milliseconds peak-RSS-KiB"; appends its
# CPU time (user + sys, ms) to $work/cpu.
t_ms() {
	s=$(date +%s%N)
	/usr/bin/time -f "%M %U %S" -o "$work/rss" "$@" >/dev/null 2>"$work/err" ||
		{ cat "$work/err" >&2; exit 1; }
	e=$(date +%s%N)
	set -- $(cat "$work/rss")
	echo "$2 $3" | awk '{ printf "%d\n", ($1 + $2) * 1000 }' >"$work/cpu1"
	echo "$(( (e - s) / 1000000 )) $1"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "Medians of $RUNS runs; wall time (ms), CPU time user+sys (ms), peak RSS (KiB)."
echo "On a shared machine wall time follows the load; CPU time does not."
printf '%-22s %8s %8s %6s %8s %8s %6s %11s %11s %6s %8s %8s\n' mode "ours" "mkfs" wall \
	"ours cpu" "mkfs cpu" cpu "ours bytes" "mkfs bytes" size "ours RSS" "mkfs RSS"
for mode in $MODES; do
	alg=${mode%%[@+]*} pc= feat=
	case $mode in *@*) pc=${mode#*@} pc=${pc%%+*} ;; esac
	case $mode in *+*) feat=${mode#*+} ;; esac
	z=""; [ "$alg" = none ] || z=-z$alg
	ours="--compress $alg" theirs="$z"
	[ -z "$pc" ] || { ours="$ours --pcluster-size $pc --erofs-target 6.12"; theirs="$theirs -C$pc"; }
	case $alg in zstd* | lzma* | deflate*) ours="$ours --erofs-target 6.12" ;; esac
	# chunks: mkfs.erofs's --chunksize (4 KiB, ours by default), not an -E option
	mfeat=$(echo ",$feat," | sed 's/,chunks,/,/; s/^,//; s/,$//')
	[ "$mfeat" = "$feat" ] || theirs="$theirs --chunksize=4096"
	[ -z "$feat" ] || ours="$ours --erofs-features $feat --erofs-target 6.12"
	[ -z "$mfeat" ] || theirs="$theirs -E$mfeat"
	: >"$work/o"; : >"$work/m"; : >"$work/or"; : >"$work/mr"; : >"$work/oc"; : >"$work/mc"
	: >"$work/os"; : >"$work/ms"
	for i in $(seq 0 "$RUNS"); do
		# both write a new file (replacing one makes ext4 flush it first)
		rm -f "$work/ours.img"
		r=$(t_ms "$VCOMPOSE" erofs -q --root "$tree" $ours --jobs "$JOBS" \
			--uuid $U -o "$work/ours.img")
		[ "$i" = 0 ] || { echo "${r% *}" >>"$work/o"; echo "${r#* }" >>"$work/or";
			cat "$work/cpu1" >>"$work/oc"; stat -c %s "$work/ours.img" >>"$work/os"; }
		rm -f "$work/theirs.img"
		r=$(t_ms $MKFS_EROFS $theirs -T"$SOURCE_DATE_EPOCH" -U $U --all-root "$work/theirs.img" "$tree")
		[ "$i" = 0 ] || { echo "${r% *}" >>"$work/m"; echo "${r#* }" >>"$work/mr";
			cat "$work/cpu1" >>"$work/mc"; stat -c %s "$work/theirs.img" >>"$work/ms"; }
	done
	o=$(median <"$work/o"); m=$(median <"$work/m")
	oc=$(median <"$work/oc"); mc=$(median <"$work/mc")
	# sizes are medians too: mkfs.erofs 1.8's fragments vary from run to run
	os=$(median <"$work/os"); ms=$(median <"$work/ms")
	printf '%-22s %8s %8s %5.2fx %8s %8s %5.2fx %11s %11s %5.3fx %8s %8s\n' $mode "$o" "$m" \
		"$(echo "$m / $o" | bc -l)" "$oc" "$mc" "$(echo "$mc / $oc" | bc -l)" "$os" "$ms" \
		"$(echo "$os / $ms" | bc -l)" "$(median <"$work/or")" "$(median <"$work/mr")"
done

# The same tree from a tarball (spooled once by the tree loader).
tar -C "$tree" -cf "$work/tree.tar" .
: >"$work/d"; : >"$work/t"
for i in $(seq 0 "$RUNS"); do
	rm -f "$work/d.img" "$work/t.img"
	r=$(t_ms "$VCOMPOSE" erofs -q --root "$tree" --owner keep --jobs "$JOBS" --uuid $U -o "$work/d.img")
	[ "$i" = 0 ] || echo "${r% *}" >>"$work/d"
	r=$(t_ms "$VCOMPOSE" erofs -q --tar "$work/tree.tar" --jobs "$JOBS" --uuid $U -o "$work/t.img")
	[ "$i" = 0 ] || echo "${r% *}" >>"$work/t"
done
d=$(median <"$work/d"); t=$(median <"$work/t")
printf 'none from tar: %s ms, from folder: %s ms: %.2fx\n' "$t" "$d" "$(echo "$t / $d" | bc -l)"
cmp -s "$work/d.img" "$work/t.img" && echo "tar and folder give the same image" ||
	echo "note: tar and folder images differ (ownership or xattrs of the folder)"
