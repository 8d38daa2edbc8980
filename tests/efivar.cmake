# SPDX-License-Identifier: MIT
vc_test(efivar DEPS vc_efivar vc_sign)
