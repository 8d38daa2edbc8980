/* SPDX-License-Identifier: MIT */
/* The initramfs, made by the tree's own dracut, run inside the tree, as the
 * invoking user. Spec: dracut(8); dracut 059 (Debian 12) and 106 (Debian 13);
 * bwrap(1); proot(1). The reasons are in docs/dracut.md.
 *
 * What it does: runs the tree's /usr/bin/dracut with the tree as "/" in an
 * unprivileged user + mount + pid namespace made by bubblewrap (the tree
 * read-only, private tmpfs /tmp and /var/tmp, /proc, /dev, no network), or,
 * where user namespaces are refused (Docker's default seccomp profile,
 * Ubuntu's AppArmor rule), under proot (ptrace). The first method that works
 * runs, after a probe (`dracut --version` inside), and is reported with the
 * version of the dracut that ran. Both see the same paths, arguments and
 * environment, so the initrd's bytes do not depend on the method. The old
 * way, the host's dracut with dracutsysrootdir=, is the explicit
 * VC_DRACUT_HOST; it is refused when the tree's C library is newer than the
 * host's (the host's programs would load it and fail).
 *
 * Inside, the work folder is /tmp/vcompose: vcompose-dracut.conf (replaces
 * the tree's /etc/dracut.conf), conf.d/ (empty), include/ (extra files) and
 * out/ (the initrd); dracut's TMPDIR is /var/tmp. Nothing is written into the
 * tree. The initrd is renamed into place only when dracut succeeded; dracut's
 * output is kept as the log, and a failure's message carries dracut's own
 * error lines and its last lines.
 *
 * Reproducibility. dracut stores its option list in the initrd
 * (usr/lib/dracut/build-parameter.txt): every option is the same on every
 * host (no host path: the tree is "/"), the output is a positional argument,
 * the environment is built from scratch (PATH, LC_ALL=C, TZ=UTC,
 * SOURCE_DATE_EPOCH, TMPDIR, conffile, confdir); --reproducible makes dracut
 * clamp times and sort the cpio.
 *
 *	struct vc_dracut_options o = { .sysroot = "/tmp/tree", .kver = "6.1.0-26-amd64",
 *				       .output = "out/initrd.img", .log = "out/dracut.log",
 *				       .source_date_epoch = 1700000000 };
 *	struct vc_dracut_result res;
 *	if (vc_dracut_run(&o, &res, err) < 0) ...
 *	printf("%s dracut %s via %s\n", res.from_tree ? "tree" : "host", res.version,
 *	       vc_dracut_method_name(res.method));
 */
#ifndef VCOMPOSE_DRACUT_H
#define VCOMPOSE_DRACUT_H

#include <stdbool.h>
#include <stdint.h>

#include "vcompose/error.h"

/* Where dracut comes from and how it runs. */
enum vc_dracut_method {
	VC_DRACUT_AUTO = 0, /* the tree's: bwrap, else proot (the first that works) */
	VC_DRACUT_BWRAP,    /* the tree's, in a user namespace made by bubblewrap */
	VC_DRACUT_PROOT,    /* the tree's, under proot (ptrace; no namespace) */
	VC_DRACUT_HOST,	    /* the host's, with the tree as dracutsysrootdir */
};

/* "auto", "bwrap", "proot", "host". */
const char *vc_dracut_method_name(enum vc_dracut_method m);
/* "tree" (= auto), "auto", "bwrap", "proot", "host"; VC_EINVAL otherwise. */
int vc_dracut_method_parse(const char *s, enum vc_dracut_method *ret, struct vc_error *err);

/* Lists are NULL-terminated arrays of names (NULL = empty), borrowed. */
struct vc_dracut_options {
	const char *dracut;	   /* the program: in the tree (default /usr/bin/dracut), or
				    * for VC_DRACUT_HOST on the host (default "dracut" in PATH) */
	const char *sysroot;	   /* the tree folder */
	const char *kver;	   /* kernel version: the tree's lib/modules/KVER */
	const char *output;	   /* the initrd to write (renamed into place) */
	const char *log;	   /* dracut's output kept here (renamed into place, also on
				    * failure); NULL = not kept */
	const char *tmpdir;	   /* parent of the private work folder; NULL = $TMPDIR or /tmp */
	const char *compress;	   /* dracut --compress value; NULL = "zstd" */
	int64_t source_date_epoch; /* exported as SOURCE_DATE_EPOCH (>= 0) */
	bool no_kernel;		   /* --no-kernel: no kernel modules (tests) */
	enum vc_dracut_method method;
	const char *bwrap; /* the programs; NULL = "bwrap" / "proot" found in PATH */
	const char *proot;

	const char *const *install;	  /* --install: absolute paths in the tree */
	const char *const *add_modules;	  /* --add */
	const char *const *omit_modules;  /* --omit */
	const char *const *set_modules;	  /* --modules: the complete list */
	const char *const *add_drivers;	  /* --add-drivers */
	const char *const *force_drivers; /* --force-drivers */
	const char *const *omit_drivers;  /* --omit-drivers */
	const char *const *filesystems;	  /* --filesystems */
	/* A host folder whose content is added to the initrd at "/" (dracut
	 * --include /tmp/vcompose/include /): files a caller adds (units, a
	 * dracut hook's configuration). Only for the tree's dracut. */
	const char *include_dir;
};

/* What ran. */
struct vc_dracut_result {
	enum vc_dracut_method method; /* VC_DRACUT_BWRAP, _PROOT or _HOST */
	bool from_tree;		      /* the tree's dracut (not the host's) */
	char version[32];	      /* dracut's own version ("059-4", "106-6") */
	char refused[400];	      /* methods tried first and why ("bwrap: ..."); "" */
};

/* A command ready to exec: argv and envp, NULL-terminated, owned. */
struct vc_dracut_cmd {
	char **argv;
	char **envp;
};

/* The work folder as the tree's dracut sees it. */
#define VC_DRACUT_WORK "/tmp/vcompose"

/* Builds dracut's own command for o (without the bwrap/proot in front),
 * writing to outfile, with the work folder workdir (holding
 * vcompose-dracut.conf, conf.d/ and, for the host's dracut, tmp/): for the
 * tree's dracut workdir is VC_DRACUT_WORK and outfile is inside it. Pure: no
 * I/O. */
int vc_dracut_command(const struct vc_dracut_options *o, const char *outfile, const char *workdir,
		      struct vc_dracut_cmd *ret, struct vc_error *err);
void vc_dracut_command_fini(struct vc_dracut_cmd *cmd);

/* The text of the configuration file given to dracut: hostonly off; for the
 * host's dracut under a sysroot also the directory variables for a
 * merged-/usr tree (Debian 12 paths), which dracut 059 leaves empty there.
 * Static. */
const char *vc_dracut_conf(bool host);

/* Checks the tree (dracut, the kernel's modules.dep), picks the method, runs
 * dracut and renames its output to o->output. VC_EIO when no method can run
 * the tree's dracut (one line: what was refused and the ways out) or the
 * host's dracut is missing; VC_EINVAL when dracut fails (the message carries
 * its error lines and last lines, and names the log) or the tree lacks what
 * dracut needs;
 * VC_EUNSUPP when the host's dracut is asked for a tree whose C library is
 * newer than the host's. Nothing is left at o->output on failure; the log is
 * kept at o->log when dracut ran. ret (may be NULL) is written on success. */
int vc_dracut_run(const struct vc_dracut_options *o, struct vc_dracut_result *ret,
		  struct vc_error *err);

#endif
