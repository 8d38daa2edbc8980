/* SPDX-License-Identifier: MIT */
/* vcompose verity: not built yet. */
#include "cli.h"

int cmd_verity(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_not_built("verity");
}
