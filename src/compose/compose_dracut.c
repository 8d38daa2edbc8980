/* SPDX-License-Identifier: MIT */
/* The initrd stage: the tree's dracut, run inside the tree (src/dracut).
 * A tree that came as a folder is used as it is; one that came as an
 * archive is written out to a private folder first (and removed after).
 *
 * What the layout needs is added to the config's lists (compose_dracut_need):
 * for a verity root the tree's systemd-veritysetup and dm modules and the
 * dm-verity and erofs drivers. A dracut module the config names that the
 * tree's dracut lacks is an error before dracut runs. dracut's output is
 * kept as OUTDIR/NAME.dracut.log: an artifact when the build succeeds, the
 * only file left in OUTDIR when dracut fails. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose_priv.h"
#include "vcompose/dracut.h"
#include "vcompose/sha256.h"
#include "vcompose/tree.h"
#include "vcompose/util.h"
#include "vcompose/xmlcfg.h"

int compose_dracut_need(struct cx *c, enum compose_dracut_kind kind, const char *name,
			struct vc_error *err)
{
	struct compose_dracut_list *l = &c->dracut_need[kind];

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], name))
			return 0;
	if (l->n + 1 >= COMPOSE_DRACUT_NEED_MAX)
		return vc_errorf(err, VC_ERANGE, "dracut: more than %d added items",
				 COMPOSE_DRACUT_NEED_MAX - 1);
	l->v[l->n++] = name;
	l->v[l->n] = NULL;
	return 0;
}

/* The tree's dracut modules: folder names "NNname" under modules.d. */
static const struct vc_node *dracut_modules(const struct cx *c)
{
	const struct vc_node *d = vc_tree_resolve(c->tree, "/usr/lib/dracut/modules.d");
	return d && d->type == VC_NODE_DIR ? d : NULL;
}

static const char *module_name(const struct vc_node *n)
{
	const char *s = n->name;
	return n->name_len > 2 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' ? s + 2
											   : s;
}

static bool tree_has_module(const struct cx *c, const char *name)
{
	const struct vc_node *d = dracut_modules(c);

	for (size_t i = 0; d && i < d->n_children; i++)
		if (!strcmp(module_name(d->children[i]), name))
			return true;
	return false;
}

/* Levenshtein distance, capped (names are short). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];

	if (la > 64 || lb > 64)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The (up to) three modules of the tree closest to name, "a, b, c":
 * sharing a part ("verity" in "systemd-veritysetup") first, then by edit
 * distance, ties in name order. */
static void closest(const struct cx *c, const char *name, char *out, size_t size)
{
	const struct vc_node *d = dracut_modules(c);
	const char *best[3] = {0};
	size_t score[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
	char part[64];

	/* the longest '-'-separated part of name, for substring matches */
	part[0] = '\0';
	for (const char *p = name; *p;) {
		size_t l = strcspn(p, "-_");
		if (l > strlen(part) && l < sizeof(part))
			snprintf(part, sizeof(part), "%.*s", (int)l, p);
		p += l;
		if (*p)
			p++;
	}
	for (size_t i = 0; d && i < d->n_children; i++) {
		const char *m = module_name(d->children[i]);
		size_t s = distance(name, m) + (strlen(part) >= 3 && strstr(m, part) ? 0 : 100);
		for (size_t k = 0; k < 3; k++) {
			if (s < score[k] || (s == score[k] && best[k] && strcmp(m, best[k]) < 0)) {
				for (size_t j = 2; j > k; j--) {
					best[j] = best[j - 1];
					score[j] = score[j - 1];
				}
				best[k] = m;
				score[k] = s;
				break;
			}
		}
	}
	out[0] = '\0';
	for (size_t k = 0, o = 0; k < 3 && best[k] && o < size; k++)
		o += (size_t)snprintf(out + o, size - o, "%s%s", k ? ", " : "", best[k]);
}

/* Is name a kernel module of the tree's kernel ("dm-verity" and "dm_verity"
 * alike)? Looks for ".../name.ko" in modules.dep and modules.builtin. */
static bool kernel_driver(const struct cx *c, const char *name)
{
	static const char *const files[] = {"modules.dep", "modules.builtin"};
	char want[2][80];
	bool found = false;

	if (strlen(name) > 64)
		return false;
	snprintf(want[0], sizeof(want[0]), "/%s.ko", name);
	snprintf(want[1], sizeof(want[1]), "/%s.ko", name);
	for (char *p = want[1]; *p; p++)
		*p = *p == '-' ? '_' : *p == '_' ? '-' : *p;
	for (size_t f = 0; !found && f < 2; f++) {
		char path[600];
		snprintf(path, sizeof(path), "/usr/lib/modules/%s/%s", c->kver, files[f]);
		struct vc_node *n = vc_tree_resolve(c->tree, path);
		struct vc_error e = {0};
		if (!n || n->type != VC_NODE_REG || n->size > (64u << 20))
			continue;
		char *buf = malloc((size_t)n->size + 1);
		if (!buf)
			return false;
		if (vc_tree_read(c->tree, n, 0, buf, (size_t)n->size, &e) == 0) {
			buf[n->size] = '\0';
			found = memmem(buf, (size_t)n->size, want[0], strlen(want[0])) ||
				memmem(buf, (size_t)n->size, want[1], strlen(want[1]));
		}
		free(buf);
	}
	return found;
}

/* Every dracut module the config names must be the tree's. */
static int check_modules(struct cx *c, struct vc_error *err)
{
	const struct vc_config_dracut *d = &c->cfg->dracut;
	const struct vc_strv *lists[] = {&d->add_modules, &d->set_modules};
	const unsigned *lines[] = {d->add_modules_line, d->set_modules_line};

	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			const char *m = lists[l]->v[i];
			char near[200], where[64] = "";
			if (tree_has_module(c, m))
				continue;
			if (lines[l] && lines[l][i])
				snprintf(where, sizeof(where), ":%u", lines[l][i]);
			if (kernel_driver(c, m))
				return vc_errorf(
				    err, VC_EINVAL,
				    "%s%s: dracut module '%s': '%s' is a kernel driver (of %s), "
				    "not "
				    "a dracut module; name it in <add_drivers names=\"%s\"/>",
				    c->cfg->path, where, m, m, c->kver, m);
			closest(c, m, near, sizeof(near));
			return vc_errorf(err, VC_EINVAL,
					 "%s%s: dracut module '%s': the tree's dracut has no such "
					 "module (usr/lib/dracut/modules.d); closest: %s",
					 c->cfg->path, where, m, near[0] ? near : "none");
		}
	return 0;
}

/* What the layout needs, on top of the config's. */
static int layout_needs(struct cx *c, struct vc_error *err)
{
	int r = 0;

	if (!c->cfg->verity)
		return 0;
	/* systemd's veritysetup generator opens roothash= (usrhash= later);
	 * in Debian 13 it is in systemd-cryptsetup */
	if (!tree_has_module(c, "systemd-veritysetup"))
		return vc_errorf(err, VC_EINVAL,
				 "dracut: a verity root needs dracut's systemd-veritysetup module, "
				 "which the tree lacks (usr/lib/dracut/modules.d; install dracut "
				 "and systemd's veritysetup in the tree, or give a ready initrd)");
	if ((r = compose_dracut_need(c, COMPOSE_DRACUT_MODULE, "systemd-veritysetup", err)) < 0)
		return r;
	if (tree_has_module(c, "dm") &&
	    (r = compose_dracut_need(c, COMPOSE_DRACUT_MODULE, "dm", err)) < 0)
		return r;
	if ((r = compose_dracut_need(c, COMPOSE_DRACUT_DRIVER, "dm-verity", err)) < 0 ||
	    (r = compose_dracut_need(c, COMPOSE_DRACUT_DRIVER, "erofs", err)) < 0)
		return r;
	return 0;
}

/* list a then the items of b not in a, NULL-terminated, borrowed strings */
static const char **merge(char *const *a, size_t na, const char *const *b, size_t nb)
{
	const char **v = calloc(na + nb + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < na; i++)
		v[n++] = a[i];
	for (size_t i = 0; i < nb; i++) {
		bool dup = false;
		for (size_t k = 0; k < n && !dup; k++)
			dup = !strcmp(v[k], b[i]);
		if (!dup)
			v[n++] = b[i];
	}
	return v;
}

/* ---- the initrd cache (--cache DIR, $VCOMPOSE_CACHE) ----
 * Keyed by everything that can change dracut's output: vcompose's version,
 * the canonical dump of the whole tree (content, modes, owners, mtimes,
 * xattrs), dracut's lists, kernel, SOURCE_DATE_EPOCH, configuration text and
 * which dracut (the tree's or the host's). DIR/initrd-KEY.img, .log and
 * .txt (version, method, tree|host: what the manifest records), each
 * written under a temporary name and renamed, .txt last. */

static ssize_t hash_write(void *cookie, const char *buf, size_t len)
{
	vc_sha256_update(cookie, buf, len);
	return (ssize_t)len;
}

static void key_list(struct vc_sha256 *h, const char *name, const char *const *v)
{
	vc_sha256_update(h, name, strlen(name));
	for (size_t i = 0; v && v[i]; i++) {
		vc_sha256_update(h, " ", 1);
		vc_sha256_update(h, v[i], strlen(v[i]));
	}
	vc_sha256_update(h, "\n", 1);
}

static int cache_key(struct cx *c, const struct vc_dracut_options *o, char key[65],
		     struct vc_error *err)
{
	struct vc_sha256 h, th;
	uint8_t d[32];
	char line[600];
	cookie_io_functions_t io = {.write = hash_write};
	FILE *f;
	int r;

	vc_sha256_init(&th);
	f = fopencookie(&th, "w", io);
	if (!f)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	r = vc_tree_dump(c->tree, f, err);
	if (fclose(f) != 0 && r == 0)
		r = vc_errorf(err, VC_EIO, "the tree's dump");
	if (r < 0)
		return r;
	vc_sha256_final(&th, d);
	vc_sha256_init(&h);
	snprintf(line, sizeof(line),
		 "vcompose initrd cache 1\nvcompose %s\ndracut %s\nkver %s\nepoch %lld\n",
		 VC_VERSION, o->method == VC_DRACUT_HOST ? "host" : "tree", o->kver,
		 (long long)o->source_date_epoch);
	vc_sha256_update(&h, line, strlen(line));
	vc_sha256_update(&h, d, sizeof(d));
	key_list(&h, "install", o->install);
	key_list(&h, "add", o->add_modules);
	key_list(&h, "omit", o->omit_modules);
	key_list(&h, "modules", o->set_modules);
	key_list(&h, "add-drivers", o->add_drivers);
	key_list(&h, "force-drivers", o->force_drivers);
	key_list(&h, "omit-drivers", o->omit_drivers);
	key_list(&h, "filesystems", o->filesystems);
	const char *conf = vc_dracut_conf(o->method == VC_DRACUT_HOST);
	vc_sha256_update(&h, conf, strlen(conf));
	vc_sha256_final(&h, d);
	vc_hex_encode(d, 32, key);
	return 0;
}

static void cache_path(const struct cx *c, const char *key, const char *ext, char *out, size_t size)
{
	snprintf(out, size, "%s/initrd-%s.%s", c->o->cache_dir, key, ext);
}

/* A hit fills c->initrd, c->dracut_log and c->dracut; false on a miss. */
static bool cache_load(struct cx *c, const char *key)
{
	char p[4200], v[32] = "", m[16] = "", from[8] = "";
	struct vc_buf txt = {0};
	struct vc_error e = {0};
	bool ok = false;

	cache_path(c, key, "txt", p, sizeof(p));
	if (vc_read_file(p, 4096, &txt, &e) < 0 || vc_buf_append(&txt, "", 1, &e) < 0)
		goto out;
	if (sscanf((const char *)txt.data, "%31s %15s %7s", v, m, from) != 3 ||
	    vc_dracut_method_parse(m, &c->dracut.method, &e) < 0)
		goto out;
	cache_path(c, key, "log", p, sizeof(p));
	if (vc_read_file(p, 64u << 20, &c->dracut_log, &e) < 0)
		goto out;
	cache_path(c, key, "img", p, sizeof(p));
	if (vc_uki_blob_load(p, UINT64_C(1) << 30, &c->initrd, &e) < 0) {
		vc_buf_fini(&c->dracut_log);
		goto out;
	}
	snprintf(c->dracut.version, sizeof(c->dracut.version), "%s", v);
	c->dracut.from_tree = !strcmp(from, "tree");
	ok = true;
out:
	vc_buf_fini(&txt);
	return ok;
}

static int cache_put(const struct cx *c, const char *key, const char *ext, const void *data,
		     size_t len, struct vc_error *err)
{
	char p[4200], t[4300];
	int fd, r = 0;

	cache_path(c, key, ext, p, sizeof(p));
	snprintf(t, sizeof(t), "%s.XXXXXX", p);
	fd = mkostemp(t, O_CLOEXEC);
	if (fd < 0)
		return vc_errorf_errno(err, VC_EIO, errno, "--cache %s: cannot write",
				       c->o->cache_dir);
	for (size_t off = 0; off < len && r == 0;) {
		ssize_t n = write(fd, (const uint8_t *)data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = vc_errorf_errno(err, VC_EIO, errno, "%s", t);
		else
			off += (size_t)n;
	}
	if (r == 0 && fchmod(fd, 0644) < 0)
		r = vc_errorf_errno(err, VC_EIO, errno, "%s", t);
	if (close(fd) < 0 && r == 0)
		r = vc_errorf_errno(err, VC_EIO, errno, "%s", t);
	if (r == 0 && rename(t, p) < 0)
		r = vc_errorf_errno(err, VC_EIO, errno, "%s", p);
	if (r < 0)
		unlink(t);
	return r;
}

static int cache_store(const struct cx *c, const char *key, struct vc_error *err)
{
	char txt[128];
	int r;

	snprintf(txt, sizeof(txt), "%s %s %s\n", c->dracut.version,
		 vc_dracut_method_name(c->dracut.method), c->dracut.from_tree ? "tree" : "host");
	r = cache_put(c, key, "img", c->initrd.data, c->initrd.len, err);
	if (r == 0)
		r = cache_put(c, key, "log", c->dracut_log.data, c->dracut_log.len, err);
	if (r == 0)
		r = cache_put(c, key, "txt", txt, strlen(txt), err);
	return r;
}

/* dracut itself (or the cache): the initrd into c->initrd. May run on its
 * own thread: it reads c->tree and writes only c->initrd, c->dracut,
 * c->dracut_log and the files of its work folder. */
static int dracut_run(struct cx *c, struct vc_error *err)
{
	const struct vc_config_dracut *d = &c->cfg->dracut;
	const char *tmp = getenv("TMPDIR");
	char work[4096], sysroot[4200], initrd[4200], log[4200];
	const char **mods = NULL, **drvs = NULL, **inst = NULL;
	int r;

	const struct compose_dracut_list *need = c->dracut_need;
	mods = merge(d->add_modules.v, d->add_modules.n, need[COMPOSE_DRACUT_MODULE].v,
		     need[COMPOSE_DRACUT_MODULE].n);
	drvs = merge(d->add_drivers.v, d->add_drivers.n, need[COMPOSE_DRACUT_DRIVER].v,
		     need[COMPOSE_DRACUT_DRIVER].n);
	inst = merge(d->install.v, d->install.n, need[COMPOSE_DRACUT_INSTALL].v,
		     need[COMPOSE_DRACUT_INSTALL].n);
	if (!mods || !drvs || !inst) {
		free(mods);
		free(drvs);
		free(inst);
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	}

	if (!tmp || !*tmp)
		tmp = "/var/tmp"; /* a whole tree: not a small tmpfs */
	snprintf(work, sizeof(work), "%s/vcompose-dracut.XXXXXX", tmp);
	if (!mkdtemp(work)) {
		free(mods);
		free(drvs);
		free(inst);
		return vc_errorf_errno(err, VC_EIO, errno, "%s: cannot make a work folder", work);
	}
	snprintf(initrd, sizeof(initrd), "%s/initrd.img", work);
	/* the log where it stays when dracut fails; read back and removed on
	 * success (it is then written with the other artifacts) */
	snprintf(log, sizeof(log), "%s/%s.dracut.log", c->o->outdir, c->cfg->name);
	if (c->o->root_dir)
		snprintf(sysroot, sizeof(sysroot), "%s", c->o->root_dir);
	else
		snprintf(sysroot, sizeof(sysroot), "%s/sysroot", work);
	struct vc_dracut_options o = {
	    .sysroot = sysroot,
	    .kver = c->kver,
	    .output = initrd,
	    .log = log,
	    .tmpdir = work,
	    .source_date_epoch = c->epoch,
	    .method = c->o->dracut_method,
	    .install = inst,
	    .add_modules = mods,
	    .omit_modules = (const char *const *)d->omit_modules.v,
	    .set_modules = (const char *const *)d->set_modules.v,
	    .add_drivers = drvs,
	    .force_drivers = (const char *const *)d->force_drivers.v,
	    .omit_drivers = (const char *const *)d->omit_drivers.v,
	    .filesystems = (const char *const *)d->filesystems.v,
	    .include_dir = c->dracut_include[0] ? c->dracut_include : NULL,
	};
	bool detached = false; /* content of <partitions> mount points */
	for (size_t i = 0; i < c->n_xparts; i++)
		detached |= c->xparts[i].content != NULL;
	char key[65] = "";
	if (c->o->cache_dir && !o.include_dir && !detached) {
		/* (extra files and the content of partitions' mount points are
		 * not in the key: no cache with them) */
		if ((r = cache_key(c, &o, key, err)) < 0)
			goto out;
		if (cache_load(c, key)) {
			c->initrd_cached = true;
			goto out;
		}
	}
	if (!c->o->root_dir) {
		if (mkdir(sysroot, 0700) < 0) {
			r = vc_errorf_errno(err, VC_EIO, errno, "%s", sysroot);
			goto out;
		}
		r = vc_tree_extract(c->tree, sysroot, err);
		/* the system as it runs: the partitions' content at their
		 * mount points (/var/tmp is one dracut needs) */
		for (size_t i = 0; i < c->cfg->n_parts && r == 0; i++) {
			const struct xpart *x = &c->xparts[c->part_order[i]];
			char at[4400];
			if (!x->content || !x->cfg->mountpoint)
				continue;
			snprintf(at, sizeof(at), "%s%s", sysroot, x->cfg->mountpoint);
			r = vc_tree_extract_node(c->tree, x->content, at, err);
		}
		if (r < 0)
			goto out;
	}
	r = vc_dracut_run(&o, &c->dracut, err);
	if (r == 0) {
		r = vc_read_file(log, 64u << 20, &c->dracut_log, err);
		unlink(log);
	}
	if (r == 0)
		r = vc_uki_blob_load(initrd, UINT64_C(1) << 30, &c->initrd, err);
	if (r == 0 && key[0])
		r = cache_store(c, key, err);
out:
	c->initrd.name = "the initrd dracut made"; /* initrd[] does not outlive this call */
	struct vc_error e2 = {0};
	int r2 = vc_tree_remove(work, &e2);
	if (r == 0 && r2 < 0) {
		*err = e2;
		r = r2;
	}
	free(mods);
	free(drvs);
	free(inst);
	return r;
}

static void *dracut_thread(void *arg)
{
	struct cx *c = arg;

	c->dracut_r = dracut_run(c, &c->dracut_err);
	return NULL;
}

int compose_dracut(struct cx *c, bool background, struct vc_error *err)
{
	int r;

	/* what can be refused without running dracut, refused now */
	if ((r = check_modules(c, err)) < 0 || (r = layout_needs(c, err)) < 0)
		return r;
	if (!background)
		return dracut_run(c, err);
	vc_error_clear(&c->dracut_err);
	c->dracut_r = 0;
	r = pthread_create(&c->dracut_thread, NULL, dracut_thread, c);
	if (r != 0)
		return vc_errorf_errno(err, VC_EIO, r, "dracut: cannot start a thread");
	c->dracut_started = true;
	return 0;
}

int compose_dracut_wait(struct cx *c, struct vc_error *err)
{
	if (!c->dracut_started)
		return 0;
	pthread_join(c->dracut_thread, NULL);
	c->dracut_started = false;
	if (c->dracut_r < 0)
		*err = c->dracut_err;
	return c->dracut_r;
}
