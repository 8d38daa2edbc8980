/* SPDX-License-Identifier: MIT */
/* vcompose erofs: not built yet. */
#include "cli.h"

int cmd_erofs(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_not_built("erofs");
}
