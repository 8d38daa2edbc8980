# SPDX-License-Identifier: MIT
vc_test(xmlcfg DEPS vc_xmlcfg)
