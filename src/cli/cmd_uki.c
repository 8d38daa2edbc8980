/* SPDX-License-Identifier: MIT */
/* vcompose uki: not built yet. */
#include "cli.h"

int cmd_uki(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_not_built("uki");
}
