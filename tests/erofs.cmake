# SPDX-License-Identifier: MIT
vc_test(erofs DEPS vc_erofs PkgConfig::lz4 PkgConfig::zstd PkgConfig::lzma PkgConfig::zlib)
vc_script_test(erofs_vectors tests/erofs_vectors.sh)
vc_script_test(erofs_cli tests/erofs_cli.sh)
vc_script_test(erofs_roundtrip tests/erofs_roundtrip.sh)
vc_script_test(erofs_algs tests/erofs_algs.sh)
vc_script_test(erofs_bigfile tests/erofs_bigfile.sh)
vc_script_test(erofs_chunks tests/erofs_chunks.sh)
vc_script_test(erofs_qemu tests/erofs_qemu.sh)
# Boots a kernel under TCG: about a minute; `ctest -LE qemu` leaves it out.
set_tests_properties(erofs_qemu PROPERTIES LABELS "script;qemu")
vc_script_test(erofs_debian tests/erofs_debian.sh)
# Makes a Debian tree with debootstrap the first time (minutes), then cached.
set_tests_properties(erofs_debian PROPERTIES LABELS "script;debian" TIMEOUT 1800)
vc_script_test(erofs_qemu612 tests/erofs_qemu612.sh)
# Boots Debian 13's kernel under TCG, all variants in one boot: about a minute.
set_tests_properties(erofs_qemu612 PROPERTIES LABELS "script;qemu" TIMEOUT 1200)
