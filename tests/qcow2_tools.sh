# SPDX-License-Identifier: MIT
# vcompose qcow2 against qemu-img: a sparse 600 MiB disk with data in its
# two L2 regions: qemu-img check finds no error, qemu-img compare finds the
# qcow2 equal to the raw; the same disk written sparse or dense gives the
# same bytes (on a 64 MiB disk: a dense copy of a big one costs CI time);
# bad input exits 1.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
command -v qemu-img >/dev/null || { echo "SKIP: no qemu-img"; exit 77; }
scratch out
truncate -s 600M big.raw
for mib in 0 599; do
	python3 -c "import sys; sys.stdout.buffer.write(bytes(range(256)) * 400)" |
		dd of=big.raw bs=1M seek=$mib conv=notrunc status=none
done
chmod a+r big.raw
vc qcow2 big.raw -o out/big.qcow2
qemu-img check out/big.qcow2 >check.txt 2>&1 || { cat check.txt; fail "qemu-img check"; }
grep -q "No errors were found on the image" check.txt || fail "qemu-img check: $(cat check.txt)"
qemu-img compare -f raw -F qcow2 big.raw out/big.qcow2 >/dev/null || fail "qemu-img compare"
[ "$(qemu-img info --output=json out/big.qcow2 | json_get /dev/stdin format)" = qcow2 ] ||
	fail "not qcow2"
# 1 header + 4 data + 2 L2 + L1 + refcount block + refcount table
[ "$(stat -c %s out/big.qcow2)" = $((10 * 65536)) ] || fail "size $(stat -c %s out/big.qcow2)"
truncate -s 64M small.raw
for mib in 0 33 63; do
	python3 -c "import sys; sys.stdout.buffer.write(bytes(range(256)) * 400)" |
		dd of=small.raw bs=1M seek=$mib conv=notrunc status=none
done
cp --sparse=never small.raw dense.raw
chmod a+r small.raw dense.raw
vc qcow2 small.raw -o out/small.qcow2
vc qcow2 dense.raw -o out/dense.qcow2
cmp out/small.qcow2 out/dense.qcow2 || fail "holes of the raw file changed the qcow2"
qemu-img compare -f raw -F qcow2 dense.raw out/dense.qcow2 >/dev/null || fail "compare 64 MiB"
expect_exit 1 "not a regular file" qcow2 . -o out/bad.qcow2
expect_exit 1 "a positive multiple of 512" qcow2 check.txt -o out/bad.qcow2
expect_exit 2 "give -o OUT" qcow2 big.raw
[ ! -e out/bad.qcow2 ] || fail "a failed run left out/bad.qcow2"
echo ok
