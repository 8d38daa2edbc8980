/* SPDX-License-Identifier: MIT */
/* vcompose qcow2: a raw disk image written as qcow2. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_priv.h"
#include "vcompose/qcow2.h"
#include "vcompose/sink.h"

static void help(void)
{
	printf("Usage: vcompose qcow2 DISK.raw -o DISK.qcow2\n\n"
	       "Writes a raw disk image as qcow2 (version 3, 64 KiB clusters, no compression,\n"
	       "no backing file): every cluster holding a non-zero byte, in disk order, then\n"
	       "the tables. The same disk gives the same bytes, whatever its holes.\n\n"
	       "Options:\n"
	       "  -o OUT    output image (replaced atomically)\n");
}

static int read_fd(void *ctx, void *buf, size_t len, uint64_t off, struct vc_error *err)
{
	const struct vc_fd_sink *in = ctx;

	return vc_sink_pread(&in->sink, buf, len, off, err);
}

int cmd_qcow2(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"output", required_argument, NULL, 'o'},
	    {0},
	};
	struct vc_error err = {0};
	struct vc_file_sink *f = NULL;
	struct vc_fd_sink in;
	const char *out = NULL;
	struct stat st;
	uint64_t size = 0;
	int c, fd, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': help(); return VC_EXIT_OK;
		case 'o': out = optarg; break;
		default: return cli_usage("qcow2", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("qcow2", "give one raw disk image");
	if (!out)
		return cli_usage("qcow2", "give -o OUT");
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		vc_errorf_errno(&err, errno == ENOENT ? VC_EINVAL : VC_EIO, errno, "%s",
				argv[optind]);
		return cli_fail("qcow2", &err);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		vc_errorf(&err, VC_EINVAL, "%s: not a regular file", argv[optind]);
		close(fd);
		return cli_fail("qcow2", &err);
	}
	vc_fd_sink_init(&in, fd, argv[optind]);
	struct vc_qcow2_source src = {.pread = read_fd, .ctx = &in, .size = (uint64_t)st.st_size};
	r = vc_file_sink_open(out, &f, &err);
	if (r == 0)
		r = vc_qcow2_write(&src, vc_file_sink_sink(f), &size, &err);
	if (r == 0)
		r = vc_file_sink_commit(f, size, &err);
	vc_file_sink_free(f);
	close(fd);
	if (r < 0)
		return cli_fail("qcow2", &err);
	return VC_EXIT_OK;
}
