/* SPDX-License-Identifier: MIT */
/* vcompose sign: not built yet. */
#include "cli.h"

int cmd_sign(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_not_built("sign");
}
