/* SPDX-License-Identifier: MIT */
/* The initrd stage: dracut against the tree. */
#include "compose_priv.h"

int compose_dracut(struct cx *c, struct vc_error *err)
{
	(void)c;
	return vc_errorf(err, VC_EUNSUPP, "dracut: not wired in yet; give --initrd FILE");
}
