# SPDX-License-Identifier: MIT
# vcompose qcow2 against qemu-img: a sparse 3 GiB disk with data in several
# L2 regions and the raw disk of the minimal example: qemu-img check finds no
# error, qemu-img compare finds the qcow2 equal to the raw; the same disk
# written sparse or dense gives the same bytes; bad input exits 1.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
command -v qemu-img >/dev/null || { echo "SKIP: no qemu-img"; exit 77; }
scratch out
truncate -s 3G big.raw
for mib in 0 700 1500 2900 3071; do
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
cp --sparse=never big.raw dense.raw
chmod a+r dense.raw
vc qcow2 dense.raw -o out/dense.qcow2
cmp out/big.qcow2 out/dense.qcow2 || fail "holes of the raw file changed the qcow2"
rm -f dense.raw
# 1 header + 10 data + 4 L2 (of 6 regions, 2 without data) + L1 + refcount block + table
[ "$(stat -c %s out/big.qcow2)" = $((18 * 65536)) ] || fail "size $(stat -c %s out/big.qcow2)"
expect_exit 1 "not a regular file" qcow2 . -o out/bad.qcow2
expect_exit 1 "a positive multiple of 512" qcow2 check.txt -o out/bad.qcow2
expect_exit 2 "give -o OUT" qcow2 big.raw
[ ! -e out/bad.qcow2 ] || fail "a failed run left out/bad.qcow2"
echo ok
