# SPDX-License-Identifier: MIT
# Knowledge kept once (issue 14): one PKCS#7 verifier, one PE parser, one
# seed recipe and one FAT volume-id derivation, and every command keys its
# identifiers with that seed; `vcompose gpt --seed S` gives the disk GUID of a
# build whose config has seed="S".
. "$VC_SOURCE_DIR/tests/lib.sh"
cd "$VC_SOURCE_DIR"
# only_in PATTERN FILE...: the extended regex PATTERN appears in src/ and
# include/ only in the files named.
only_in() {
	pat=$1; shift
	hits=$(grep -rlE -- "$pat" src include | sort)
	want=$(printf '%s\n' "$@" | sort)
	[ "$hits" = "$want" ] || fail "'$pat' is in: $(echo $hits); expected only in: $*"
}
# One PKCS#7 verifier: SignedData is read in src/sign/pkcs7_verify.c alone
# (the DER writer names its OID too).
only_in 'int vc_pkcs7_verify\(' src/sign/pkcs7_verify.c include/vcompose/sign.h
only_in 'oid_signed_data|OID_PKCS7_SIGNED' src/sign/pkcs7_verify.c src/sign/der.c src/sign/der_priv.h
only_in 'mbedtls_x509_crt_parse(_file)?\(' src/sign/key.c
# One DPS signature JSON: written and read in src/sign/pkcs7.c alone
# (vc_sign_dps_blob, vc_sign_dps_parse; join, inspect and verify call it).
only_in '[(,] *"(rootHash|certificateFingerprint)"' src/sign/pkcs7.c include/vcompose/sign.h
only_in 'vc_sign_dps_parse\(' src/sign/pkcs7.c include/vcompose/sign.h src/compose/join.c \
	src/inspect/describe.c src/inspect/verify.c
# One JSON reader: common's (vc_json_parse).
only_in '"(JSON: %s|unterminated escape)"' src/common/json_read.c
# One PE parser and one PE checksum: the PE signature, e_lfanew and the
# optional header magics are read in src/pe alone.
only_in 'PE_SIGNATURE|"PE\\\\0\\\\0"' src/pe/pe.c src/pe/pe_disk.h
only_in 'PE_DOS_LFANEW_OFFSET|0x3c\)' src/pe/pe.c src/pe/pe_disk.h
only_in '0x20b|0x10b' src/pe/pe.c src/pe/pe_disk.h include/vcompose/pe.h
only_in 'uint(32|64)_t vc_pe_checksum' src/pe/pe.c include/vcompose/pe.h
# One description per on-disk format: no field read or written at a literal
# offset, no magic number spelled outside the format's *_disk.h (the
# records and constants there: gpt_disk.h, erofs_disk.h, fat_disk.h,
# verity_disk.h, pe_disk.h, ext4_disk.h; ELF's, read by compose, in elf_disk.h).
bad=$(grep -rnE 'vc_(get|put)_[lb]e(16|32|64)\([^;]*\+ *(0x)?[0-9]+\)' src | grep -v '_disk\.h:' || true)
[ -z "$bad" ] || fail "an on-disk field at a literal offset outside a *_disk.h: $bad"
# ... nor a field's place added to a record's start or buffer as a number
# (data + 0x202, raw + 56, opt_offset + 64, at + 32)
bad=$(grep -rnE '(_off(set)?|data|raw|\bat|\be) *\+ *(0x[0-9a-fA-F]+|[1-9][0-9]+)\b' src |
	grep -v '_disk\.h:' || true)
[ -z "$bad" ] || fail "a field's offset as a literal outside a *_disk.h: $bad"
bad=$(grep -rnE '0xE0F5E1E2|\\177ELF|"EFI PART"|"verity\\0\\0"|\[51[01]\]|0x41615252|0x61417272|0xEF53' src |
	grep -v '_disk\.h:' || true)
[ -z "$bad" ] || fail "a magic number outside its *_disk.h: $bad"
# diff's field tables and regions: offsets and sizes from the records
# (offsetof, sizeof), never a record's size or a field's offset as a number
bad=$(grep -nE 'radd\([^,]*, *(0x)?[1-9][0-9]* *,|radd\([^,]*,[^,]*, *(0x)?[0-9]+ *,|^\s*\{ *(0x)?[0-9]+ *,|_offset *\+ *[0-9]+|\? *(64|32) *: *(32|64)|unit = *[0-9]+;|[*/] *(32|40|64|92|128|512)u?\b' \
	src/inspect/diff.c || true)
[ -z "$bad" ] || fail "src/inspect/diff.c: a record's offset or size as a literal: $bad"
for f in gpt_read.c erofs_read.c fat_read.c image.c diff.c; do
	grep -q '_disk\.h"' "src/inspect/$f" || fail "src/inspect/$f does not read through a *_disk.h"
done
# One seed recipe and one volume-id derivation.
only_in 'vcompose-seed-v1' src/common/util.c include/vcompose/util.h include/vcompose/xmlcfg.h
only_in '[a-z]-volume-id"' src/fat/fat.c include/vcompose/fat.h
# every identifier of the commands and compose is keyed by that seed
bad=$(grep -nE 'vc_uuid_derive\(|vc_gpt_init\(|vc_verity_params_derive\(|vc_fat_volume_id\(' \
	src/cli/*.c src/compose/*.c | grep -vE '\(.*(s32|c->seed), sizeof\((s32|c->seed)\)' || true)
[ -z "$bad" ] || fail "an identifier keyed by something else than the image seed: $bad"
# A library's headers only in the module that uses it: compose and cli learn
# liblz4's and libarchive's versions from erofs and tree (vc_erofs_lz4_version,
# vc_tree_archive_version), not by including them.
bad=$(grep -lE '#include <(archive|archive_entry|lz4|lz4hc|zstd|lzma)\.h>' src/compose/*.c src/cli/*.c || true)
[ -z "$bad" ] || fail "a compression or archive library's header outside erofs/tree: $bad"

# No function over ~120 lines (130 here) without its reason written above it
# ("Long: ..." in the comment before it).
bad=$(python3 - <<'PY'
import glob
for f in sorted(glob.glob("src/*/*.c")):
    lines = open(f, encoding="utf-8").read().split("\n")
    for i, l in enumerate(lines):
        if l != "{":
            continue
        j = i + 1
        while j < len(lines) and lines[j] != "}":
            j += 1
        k = i - 1
        while k > 0 and "(" not in lines[k]:
            k -= 1
        name = lines[k].split("(")[0].split()[-1].lstrip("*")
        above = "\n".join(lines[max(0, k - 8):k])
        if j - k + 1 > 130 and "Long:" not in above:
            print("%s:%d: %s, %d lines" % (f, k + 1, name, j - k + 1))
PY
)
[ -z "$bad" ] || fail "a function over 130 lines without 'Long:' and its reason above it: $bad"

# The same seed gives the same identifiers in `build` and in a command.
cd "$VC_TMP"
scratch out
sed 's/verity_partition="true"/verity_partition="true" seed="once"/' \
	"$VC_SOURCE_DIR/examples/minimal/config.xml" > config.xml
grep -q 'seed="once"' config.xml || fail "the example's config changed: no seed set"
vc build config.xml --root "$VC_SOURCE_DIR/examples/minimal/root" -o out -q
vc gpt -o out/gpt.img --seed once --part root:,size=1M
a=$(sfdisk --json out/minimal.raw | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["id"])')
b=$(sfdisk --json out/gpt.img | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["id"])')
[ -n "$a" ] && [ "$a" = "$b" ] || fail "disk GUID: build with seed=\"once\" $a, gpt --seed once $b"
echo ok
