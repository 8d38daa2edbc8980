# SPDX-License-Identifier: MIT
vc_test(tree DEPS vc_tree PkgConfig::archive)
vc_script_test(tree_cli tests/tree_cli.sh)
