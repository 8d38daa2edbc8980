/* SPDX-License-Identifier: MIT */
/* vcompose fat: not built yet. */
#include "cli.h"

int cmd_fat(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_not_built("fat");
}
