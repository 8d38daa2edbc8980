/* SPDX-License-Identifier: MIT */
/* vcompose gpt: not built yet. */
#include "cli.h"

int cmd_gpt(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_not_built("gpt");
}
