# SPDX-License-Identifier: MIT
# Helpers for the build tests: partitions by manifest, reference checks.
. "$VC_SOURCE_DIR/tests/lib.sh"
# part_field MANIFEST INDEX FIELD: a field of partition INDEX (0-based) from manifest.json
part_field() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["disk"]["partitions"][int(sys.argv[2])][sys.argv[3]])' "$@"
}
# extract DISK MANIFEST INDEX OUT: copies partition INDEX out of the disk
extract() {
	off=$(part_field "$2" "$3" offset); size=$(part_field "$2" "$3" size)
	dd if="$1" of="$4" bs=1M skip=$((off / 1048576)) count=$((size / 1048576)) status=none
}
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2:]: d=d[k]
print(d)' "$@"; }
# Runners with a varied environment, all unprivileged.
vc_env() { $VC_RUN "$VCOMPOSE" "$@"; }
vc_umask() { (umask 077; $VC_RUN "$VCOMPOSE" "$@"); }
vc_tz() { TZ=Pacific/Kiritimati LC_ALL=C.UTF-8 $VC_RUN "$VCOMPOSE" "$@"; }
