# SPDX-License-Identifier: MIT
# vcompose verity format against the veritysetup known answers in
# vectors/verity (cases.tsv: root hash, size and SHA-256 of the hash file).
. "$VC_SOURCE_DIR/tests/lib.sh"
vec="$VC_SOURCE_DIR/vectors/verity"
. "$vec/data.sh"
scratch out
# Separate-layout cases hash a prefix of one data file (--data-blocks).
gen_data aes $((16385 * 4096)) >aes.bin
gen_data zero $((2048 * 4096)) >zero.bin
n=0
while IFS="$(printf '\t')" read -r name kind blocks dbs hbs salt uuid layout off sb root size sum; do
	case $name in '#'*|'') continue ;; esac
	flags="--data-block-size $dbs --hash-block-size $hbs --salt $salt"
	[ "$sb" = sb ] && flags="$flags --uuid $uuid" || flags="$flags --no-superblock"
	[ "$off" = 0 ] || flags="$flags --hash-offset $off"
	if [ "$layout" = emb ]; then
		# The tree after the data in the same file; the data block count
		# follows from --hash-offset.
		head -c $((blocks * dbs)) "$kind.bin" >"out/$name"
		[ -z "$VC_RUN" ] || chown nobody:nogroup "out/$name"
		h="out/$name"
		vc verity format "out/$name" "$h" $flags >out.txt || fail "$name: format failed"
	else
		h="out/$name.hash"
		vc verity format "$kind.bin" "$h" $flags --data-blocks "$blocks" >out.txt ||
			fail "$name: format failed"
	fi
	got=$(sed -n 's/^Root hash:[[:space:]]*//p' out.txt)
	[ "$got" = "$root" ] || fail "$name: root hash $got, veritysetup's $root"
	[ "$(stat -c %s "$h")" = "$size" ] || fail "$name: size $(stat -c %s "$h"), expected $size"
	[ "$(sha256sum <"$h" | cut -d' ' -f1)" = "$sum" ] || fail "$name: hash file bytes differ"
	if [ -f "$vec/$name.hash" ]; then
		cmp "$vec/$name.hash" "$h" || fail "$name: differs from the stored hash file"
	fi
	rm -f "$h"
	n=$((n + 1))
done <"$vec/cases.tsv"
[ $n -ge 28 ] || fail "only $n cases read"
echo "ok: $n veritysetup vectors"
