# SPDX-License-Identifier: MIT
vc_test(gpt DEPS vc_gpt PkgConfig::zlib)
vc_script_test(gpt_tools tests/gpt_tools.sh)
