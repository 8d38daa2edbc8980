/* SPDX-License-Identifier: MIT */
/* vcompose: git-style dispatch to the subcommands. Only src/cli knows argv. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_priv.h"
#include "vcompose/pool.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"

int cli_verbosity;

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
    {"build", cmd_build, "config.xml + tree -> bootable verity disk image"},
    {"tree", cmd_tree, "load a tree (folder or archive) and dump it canonically"},
    {"erofs", cmd_erofs, "write an EROFS image of a tree"},
    {"verity", cmd_verity, "format or verify a dm-verity hash tree"},
    {"sign", cmd_sign, "sign a root hash (PKCS#7) or a PE file (Authenticode)"},
    {"uki", cmd_uki, "assemble a Unified Kernel Image on the systemd-boot stub"},
    {"fat", cmd_fat, "write a FAT file system (an ESP) from a folder"},
    {"gpt", cmd_gpt, "write a GPT disk from partition images"},
    {"qcow2", cmd_qcow2, "write a raw disk image as qcow2, reproducibly"},
    {"inspect", cmd_inspect, "describe a disk, EROFS, verity or UKI image"},
    {"verify", cmd_verify, "check an image's verity trees, signature and tables"},
    {"diff", cmd_diff, "name where two builds that should be identical differ"},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: vcompose COMMAND [OPTIONS]\n\n"
		   "Composes bootable, verity-protected, reproducible disk images without root.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < VC_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'vcompose COMMAND --help' for a command's options.\n"
		   "Exit codes: 0 success, 1 bad input or failed check, 2 usage error,\n"
		   "3 environment problem (missing tool, I/O error).\n");
}

int cli_exit_code(int code)
{
	switch (code) {
	case VC_OK: return VC_EXIT_OK;
	case VC_EIO:
	case VC_ENOMEM: return VC_EXIT_ENV;
	default: return VC_EXIT_BAD;
	}
}

void cli_line(const char *cmd, const char *kind, const char *text)
{
	/* messages carry tar names, XML values, labels: one escaped line each,
	 * so no input can move the cursor or forge a line of ours */
	char esc[4 * sizeof(((struct vc_error *)0)->msg) + 16];

	fprintf(stderr, "vcompose %s: %s%s\n", cmd, kind, vc_escape(text, esc, sizeof(esc)));
}

int cli_fail(const char *cmd, const struct vc_error *err)
{
	cli_line(cmd, "error: ", err->msg[0] ? err->msg : vc_error_name(err->code));
	return cli_exit_code(err->code ? err->code : VC_EINVAL);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_line(cmd, "", msg);
	fprintf(stderr, "Try 'vcompose %s --help'.\n", cmd);
	return VC_EXIT_USAGE;
}

int cli_parse_jobs(const char *s, unsigned *ret, struct vc_error *err)
{
	uint64_t v;

	if (vc_parse_u64(s, false, &v, err) < 0)
		return vc_errorf(err, VC_EINVAL, "--jobs '%s': not a number", s);
	if (v > VC_POOL_MAX_THREADS)
		return vc_errorf(err, VC_EINVAL, "--jobs %s: at most %d", s, VC_POOL_MAX_THREADS);
	*ret = (unsigned)v;
	return 0;
}

int cli_epoch(const char *opt, int64_t *ret, bool *ret_set, struct vc_error *err)
{
	uint64_t v;

	if (!opt)
		return vc_source_date_epoch(ret, ret_set, err);
	/* decimal only, as SOURCE_DATE_EPOCH (reproducible-builds.org): "0x10"
	 * is refused here as it is there */
	if (strspn(opt, "0123456789") != strlen(opt) || vc_parse_u64(opt, false, &v, err) < 0 ||
	    v > INT64_MAX)
		return vc_errorf(err, VC_EINVAL,
				 "--source-date-epoch '%s': not a non-negative integer", opt);
	*ret = (int64_t)v;
	*ret_set = true;
	return 0;
}

int cli_seed(const char *seed, const char *output, int64_t epoch, uint8_t out[VC_SEED_LEN],
	     struct vc_error *err)
{
	const char *base = strrchr(output, '/');

	return vc_seed_derive(seed, base ? base + 1 : output, VC_VERSION, epoch, out, err);
}

int cli_passphrase(const char *file, const char *env, struct vc_buf *out, struct vc_error *err)
{
	if (file) {
		int r = vc_read_file(file, 4096, out, err);
		if (r < 0)
			return r;
		uint8_t *nl = out->len ? memchr(out->data, '\n', out->len) : NULL;
		if (nl)
			out->len = (size_t)(nl - out->data);
		if (out->len && out->data[out->len - 1] == '\r')
			out->len--;
	} else if (env) {
		const char *v = getenv(env);
		if (!v)
			return vc_errorf(err, VC_EINVAL,
					 "--passphrase-env %s: the variable is not set", env);
		if (vc_buf_append(out, v, strlen(v), err) < 0)
			return VC_ENOMEM;
	}
	return 0;
}

int cli_json_print(struct vc_json *j, struct vc_error *err)
{
	const char *text = vc_json_finish(j, err);

	if (text)
		fputs(text, stdout);
	vc_json_fini(j);
	return text ? 0 : err->code ? err->code : VC_ENOMEM;
}

void cli_wipe(struct vc_buf *b)
{
	if (b->data) {
		volatile uint8_t *p = b->data;
		for (size_t i = 0; i < b->cap; i++)
			p[i] = 0;
	}
	vc_buf_fini(b);
}

/* SIGINT, SIGTERM, SIGHUP: remove what a file system without O_TMPFILE
 * forced us to name, and the output lock, then die of the signal as usual
 * (exit status 128 + N for the shell). SIGKILL cannot be caught: outputs are
 * unnamed (O_TMPFILE) until they are complete, so it leaves at most an
 * empty .NAME.lock, which the next build takes over. */
static void on_fatal_signal(int sig)
{
	vc_cleanup_run();
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(int argc, char **argv)
{
	/* Past a file-size limit (ulimit -f) a write fails with EFBIG, so the
	 * file sink reports it and removes its temporary file, instead of the
	 * default SIGXFSZ killing us and leaving half an output behind. */
	signal(SIGXFSZ, SIG_IGN);
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_fatal_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	if (argc < 2) {
		usage(stderr);
		return VC_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return VC_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("vcompose %s\n", VC_VERSION);
		return VC_EXIT_OK;
	}
	for (size_t i = 0; i < VC_ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "vcompose: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return VC_EXIT_USAGE;
}
