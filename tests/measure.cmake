# SPDX-License-Identifier: MIT
vc_test(measure DEPS vc_measure vc_sign)
