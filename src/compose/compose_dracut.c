/* SPDX-License-Identifier: MIT */
/* The initrd stage: dracut against the tree, as the invoking user. A tree
 * that came as a folder is dracut's sysroot as it is; one that came as an
 * archive is written out to a private folder first (and removed after). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose_priv.h"
#include "vcompose/dracut.h"
#include "vcompose/util.h"
#include "vcompose/tree.h"
#include "vcompose/xmlcfg.h"

int compose_dracut(struct cx *c, struct vc_error *err)
{
	const struct vc_config_dracut *d = &c->cfg->dracut;
	const char *tmp = getenv("TMPDIR");
	char work[4096], sysroot[4200], initrd[4200], log[4200];
	int r;

	if (!tmp || !*tmp)
		tmp = "/var/tmp"; /* a whole tree: not a small tmpfs */
	snprintf(work, sizeof(work), "%s/vcompose-dracut.XXXXXX", tmp);
	if (!mkdtemp(work))
		return vc_errorf_errno(err, VC_EIO, errno, "%s: cannot make a work folder", work);
	snprintf(initrd, sizeof(initrd), "%s/initrd.img", work);
	snprintf(log, sizeof(log), "%s/dracut.log", work);
	if (c->o->root_dir) {
		snprintf(sysroot, sizeof(sysroot), "%s", c->o->root_dir);
	} else {
		snprintf(sysroot, sizeof(sysroot), "%s/sysroot", work);
		if (mkdir(sysroot, 0700) < 0) {
			r = vc_errorf_errno(err, VC_EIO, errno, "%s", sysroot);
			goto out;
		}
		r = vc_tree_extract(c->tree, sysroot, err);
		if (r < 0)
			goto out;
	}
	struct vc_dracut_options o = {
	    .sysroot = sysroot,
	    .kver = c->kver,
	    .output = initrd,
	    .log = log,
	    .tmpdir = work,
	    .source_date_epoch = c->epoch,
	    .install = (const char *const *)d->install.v,
	    .add_modules = (const char *const *)d->add_modules.v,
	    .omit_modules = (const char *const *)d->omit_modules.v,
	    .set_modules = (const char *const *)d->set_modules.v,
	    .add_drivers = (const char *const *)d->add_drivers.v,
	    .force_drivers = (const char *const *)d->force_drivers.v,
	    .omit_drivers = (const char *const *)d->omit_drivers.v,
	    .filesystems = (const char *const *)d->filesystems.v,
	};
	r = vc_dracut_run(&o, err);
	/* the log goes beside the image (NAME.dracut.log), renamed with the rest */
	struct vc_error le = {0};
	if (r == 0 && vc_read_file(log, 64u << 20, &c->dracut_log, &le) < 0)
		c->dracut_log.len = 0;
	if (r == 0)
		r = vc_uki_blob_load(initrd, UINT64_C(1) << 30, &c->initrd, err);
	c->initrd.name = "the initrd dracut made"; /* initrd[] does not outlive this call */
out:;
	struct vc_error e2 = {0};
	int r2 = vc_tree_remove(work, &e2);
	if (r == 0 && r2 < 0) {
		*err = e2;
		r = r2;
	}
	return r;
}
