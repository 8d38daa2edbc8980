# SPDX-License-Identifier: MIT
vc_script_test(verity_vectors tests/verity_vectors.sh)
vc_script_test(verity_roundtrip tests/verity_roundtrip.sh)
