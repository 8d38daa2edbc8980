/* SPDX-License-Identifier: MIT */
/* vcompose tree: not built yet. */
#include "cli.h"

int cmd_tree(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_not_built("tree");
}
