# SPDX-License-Identifier: MIT
# The code's layout is clang-format's (.clang-format), as STYLE.md asks:
# every C file under src/, include/ and tests/ is already formatted.
command -v clang-format >/dev/null || { echo "SKIP: no clang-format"; exit 77; }
cd "$VC_SOURCE_DIR"
find src include tests -name '*.[ch]' | sort | xargs clang-format --dry-run --Werror ||
	{ echo "FAIL: run clang-format -i on the files named above" >&2; exit 1; }
echo ok
