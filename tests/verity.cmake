# SPDX-License-Identifier: MIT
vc_script_test(verity_vectors tests/verity_vectors.sh)
