/* SPDX-License-Identifier: MIT */
/* vcompose build: not built yet. */
#include "cli.h"

int cmd_build(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_not_built("build");
}
