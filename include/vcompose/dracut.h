/* SPDX-License-Identifier: MIT */
/* The initramfs, made by dracut from the tree, as the invoking user.
 * Spec: dracut(8) and /usr/bin/dracut of dracut 059 (Debian 12).
 *
 * What it does: runs the host's dracut with the tree as its sysroot, so that
 * dracut takes its modules and dracut-install, the kernel modules
 * (lib/modules/KVER) and every binary from the tree; writes the initrd under
 * a temporary name next to the output and renames it on success; keeps
 * dracut's output (stdout and stderr) as the log, and puts its tail in the
 * error when dracut fails.
 *
 * Reproducibility. dracut stores its whole option list in the initrd
 * (usr/lib/dracut/build-parameter.txt), so nothing that names a host path is
 * given as an option: the sysroot, the configuration file and folder and the
 * temporary folder go through dracut's environment (dracutsysrootdir,
 * conffile, confdir, TMPDIR), and the output file is a positional argument,
 * which dracut does not store. Checked with dracut 059: two runs with
 * different TMPDIR and output paths give the same bytes. The environment is
 * built from scratch (PATH, LC_ALL=C, TZ=UTC, SOURCE_DATE_EPOCH and the
 * above); --reproducible makes dracut clamp times and sort the cpio.
 *
 * Never writes into the tree: TMPDIR is a private folder (dracut would use
 * the sysroot's /var/tmp), and the tree's /etc/dracut.conf(.d) are replaced
 * by vcompose's own file, which also sets the 41 directory variables that
 * dracut 059 leaves empty under a sysroot (see vc_dracut_conf() and
 * docs/dracut.md). The tree's /usr/lib/dracut/dracut.conf.d
 * (the distribution's defaults) is still read.
 *
 *	struct vc_dracut_options o = { .sysroot = "/tmp/tree", .kver = "6.1.0-26-amd64",
 *				       .output = "out/initrd.img", .log = "out/dracut.log",
 *				       .source_date_epoch = 1700000000 };
 *	if (vc_dracut_run(&o, err) < 0) ...
 */
#ifndef VCOMPOSE_DRACUT_H
#define VCOMPOSE_DRACUT_H

#include <stdbool.h>
#include <stdint.h>

#include "vcompose/error.h"

/* Lists are NULL-terminated arrays of names (NULL = empty), borrowed. */
struct vc_dracut_options {
	const char *dracut;   /* the program; NULL = "dracut" found in PATH */
	const char *sysroot;  /* the tree folder */
	const char *kver;     /* kernel version: the tree's lib/modules/KVER */
	const char *output;   /* the initrd to write (renamed into place) */
	const char *log;      /* dracut's output kept here (renamed into place); NULL = not kept */
	const char *tmpdir;   /* parent of the private work folder; NULL = $TMPDIR or /tmp */
	const char *compress; /* dracut --compress value; NULL = "zstd" */
	int64_t source_date_epoch; /* exported as SOURCE_DATE_EPOCH (>= 0) */
	bool no_kernel;		   /* --no-kernel: no kernel modules (tests) */

	const char *const *install;	  /* --install: absolute paths in the tree */
	const char *const *add_modules;	  /* --add */
	const char *const *omit_modules;  /* --omit */
	const char *const *set_modules;	  /* --modules: the complete list */
	const char *const *add_drivers;	  /* --add-drivers */
	const char *const *force_drivers; /* --force-drivers */
	const char *const *omit_drivers;  /* --omit-drivers */
	const char *const *filesystems;	  /* --filesystems */
};

/* A command ready to exec: argv and envp, NULL-terminated, owned. */
struct vc_dracut_cmd {
	char **argv;
	char **envp;
};

/* Builds the command for o, writing to outfile, with the private work folder
 * workdir (holding vcompose-dracut.conf, conf.d/ and tmp/). Pure: no I/O. */
int vc_dracut_command(const struct vc_dracut_options *o, const char *outfile, const char *workdir,
		      struct vc_dracut_cmd *ret, struct vc_error *err);
void vc_dracut_command_fini(struct vc_dracut_cmd *cmd);

/* The text of the configuration file given to dracut: hostonly off and the
 * directory variables for a merged-/usr tree (Debian 12 paths). Static. */
const char *vc_dracut_conf(void);

/* Checks the tree (dracut's modules, the kernel's modules.dep), runs dracut
 * and renames its output to o->output. VC_EIO when dracut is missing or fails
 * (the message carries the tail of its log); VC_EINVAL when the tree lacks
 * what dracut needs. Nothing is left at o->output on failure. */
int vc_dracut_run(const struct vc_dracut_options *o, struct vc_error *err);

#endif
