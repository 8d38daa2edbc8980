/* SPDX-License-Identifier: MIT */
/* Shared by the subcommands: the only place that prints and picks exit codes.
 * Exit codes: 0 success, 1 bad input or a failed check, 2 usage error,
 * 3 environment problem (missing tool, I/O error, out of memory). */
#ifndef VC_CLI_PRIV_H
#define VC_CLI_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/util.h"

enum {
	VC_EXIT_OK = 0,
	VC_EXIT_BAD = 1,
	VC_EXIT_USAGE = 2,
	VC_EXIT_ENV = 3,
};

/* -q / -v: -1 quiet, 0 normal, 1 verbose. Set by each command's parser. */
extern int cli_verbosity;

/* Prints "vcompose CMD: KIND TEXT" to stderr as one line, TEXT escaped
 * (vc_escape); KIND is "error: ", "warning: " or "". */
void cli_line(const char *cmd, const char *kind, const char *text);
/* Prints "vcompose CMD: error: MSG" to stderr; returns the exit code for err->code. */
int cli_fail(const char *cmd, const struct vc_error *err);
/* Prints "vcompose CMD: MSG" and a hint to run --help; returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_exit_code(int vc_code);

/* --jobs N: 1..VC_POOL_MAX_THREADS, 0 = one per CPU. */
int cli_parse_jobs(const char *s, unsigned *ret, struct vc_error *err);
/* The build time: --source-date-epoch if given (opt non-NULL), else
 * $SOURCE_DATE_EPOCH; *ret_set false when neither is there. */
int cli_epoch(const char *opt, int64_t *ret, bool *ret_set, struct vc_error *err);
/* The image seed of a command (vc_seed_derive(), the recipe `vcompose build`
 * uses): --seed S when given, else the output's file name, vcompose's version
 * and the epoch. */
int cli_seed(const char *seed, const char *output, int64_t epoch, uint8_t out[VC_SEED_LEN],
	     struct vc_error *err);

/* A key's passphrase from --passphrase-file F (its first line) or
 * --passphrase-env VAR into out; nothing when both are NULL. The caller
 * wipes it with cli_wipe(); it is never printed. */
struct vc_buf;
int cli_passphrase(const char *file, const char *env, struct vc_buf *out, struct vc_error *err);
void cli_wipe(struct vc_buf *b);

/* Finishes a --json document, prints it to stdout and frees j; 0, or the
 * error code (err says why). */
int cli_json_print(struct vc_json *j, struct vc_error *err);

/* Progress lines (cli_progress.c): redrawn on a terminal, periodic lines
 * in plain mode, nothing otherwise; stage times kept for -v. */
enum cli_progress_mode { CLI_PROGRESS_NONE, CLI_PROGRESS_TTY, CLI_PROGRESS_PLAIN };
struct vc_progress;
void cli_progress_start(enum cli_progress_mode mode);
void cli_progress_stage(const char *stage, struct vc_progress *p); /* resets p */
void cli_progress_end(bool print_times);
void cli_progress_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --owner keep|root (defined in cmd_tree.c); -1 if neither. */
enum vc_owner_policy;
int cli_parse_owner(const char *s, enum vc_owner_policy *ret);

/* Subcommands. */
int cmd_build(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_erofs(int argc, char **argv);
int cmd_verity(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_uki(int argc, char **argv);
int cmd_fat(int argc, char **argv);
int cmd_qcow2(int argc, char **argv);
int cmd_gpt(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_diff(int argc, char **argv);

#endif
