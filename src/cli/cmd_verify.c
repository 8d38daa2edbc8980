/* SPDX-License-Identifier: MIT */
/* vcompose verify: not built yet. */
#include "cli.h"

int cmd_verify(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_not_built("verify");
}
