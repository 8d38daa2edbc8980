/* SPDX-License-Identifier: MIT */
/* xmlcfg helpers: string lists, name checks, host path resolution, the seed.
 * Spec: DESIGN.md "Derived identifiers" and "The config". */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vcompose/sha256.h"
#include "vcompose/util.h"
#include "vcompose/xmlcfg.h"
#include "xmlcfg_priv.h"

void xc_strv_free(struct vc_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

bool xc_strv_has(const struct vc_strv *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return true;
	return false;
}

int xc_strv_add(struct vc_strv *s, const char *x, struct vc_error *err)
{
	char **v;
	char *c;

	if (s->n >= VC_XMLCFG_LIST_MAX * 4)
		return vc_errorf(err, VC_ERANGE, "more than %u items", VC_XMLCFG_LIST_MAX * 4);
	c = strdup(x);
	v = realloc(s->v, (s->n + 2) * sizeof(*v));
	if (!c || !v) {
		free(c);
		if (v)
			s->v = v;
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	}
	s->v = v;
	s->v[s->n++] = c;
	s->v[s->n] = NULL;
	return 0;
}

int xc_strv_add_unique(struct vc_strv *s, const char *x, struct vc_error *err)
{
	if (xc_strv_has(s, x))
		return 0;
	return xc_strv_add(s, x, err);
}

bool xc_is_name(const char *s, bool allow_leading_dot)
{
	if (!*s || (!allow_leading_dot && s[0] == '.'))
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '+'))
			return false;
	}
	return true;
}

bool xc_has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

/* Lexically normalises a relative path: drops "." and empty components and
 * resolves ".." against earlier components. Fails (returns NULL with
 * *escapes set) when ".." would leave the starting folder. */
static char *normalise_relative(const char *rel, bool *escapes)
{
	size_t n = strlen(rel);
	char *out = malloc(n + 1);
	size_t len = 0;

	*escapes = false;
	if (!out)
		return NULL;
	for (const char *p = rel; *p;) {
		const char *e = strchr(p, '/');
		size_t cl = e ? (size_t)(e - p) : strlen(p);
		if (cl == 0 || (cl == 1 && p[0] == '.')) {
			/* skip */
		} else if (cl == 2 && p[0] == '.' && p[1] == '.') {
			if (len == 0) {
				*escapes = true;
				free(out);
				return NULL;
			}
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the slash */
		} else {
			if (len)
				out[len++] = '/';
			memcpy(out + len, p, cl);
			len += cl;
		}
		p += cl;
		if (*p == '/')
			p++;
	}
	out[len] = '\0';
	return out;
}

int xc_resolve_path(const char *dir, const char *value, char **ret, struct vc_error *err)
{
	char *norm = NULL, *path = NULL, *real_dir = NULL, *real_path = NULL;
	bool escapes;
	struct stat st;
	int r;

	if (!*value)
		return vc_errorf(err, VC_EINVAL, "empty path");
	if (strlen(value) > PATH_MAX - 1)
		return vc_errorf(err, VC_ERANGE, "path longer than %d bytes", PATH_MAX - 1);
	if (value[0] == '/') {
		path = strdup(value);
		if (!path)
			return vc_errorf(err, VC_ENOMEM, "out of memory");
		goto check;
	}
	norm = normalise_relative(value, &escapes);
	if (!norm) {
		if (escapes)
			return vc_errorf(err, VC_EINVAL,
					 "relative path leaves the config's folder '%.200s'", dir);
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	}
	if (!*norm) {
		r = vc_errorf(err, VC_EINVAL, "path names the config's folder itself");
		goto out;
	}
	if (asprintf(&path, "%s/%s", dir, norm) < 0) {
		path = NULL;
		r = vc_errorf(err, VC_ENOMEM, "out of memory");
		goto out;
	}
	/* A symlink inside the folder must not lead out of it either. */
	real_dir = realpath(dir, NULL);
	real_path = realpath(path, NULL);
	if (real_dir && real_path) {
		size_t dl = strlen(real_dir);
		bool inside = !strncmp(real_path, real_dir, dl) &&
			      (real_path[dl] == '/' || (dl == 1 && real_dir[0] == '/'));
		if (!inside) {
			r = vc_errorf(err, VC_EINVAL,
				      "'%.200s' leads out of the config's folder (to '%.200s')",
				      path, real_path);
			goto out;
		}
	}
check:
	if (stat(path, &st) < 0) {
		r = vc_errorf_errno(err, errno == ENOENT ? VC_EINVAL : VC_EIO, errno, "'%.300s'",
				    path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = vc_errorf(err, VC_EINVAL, "'%.300s' is not a regular file", path);
		goto out;
	}
	*ret = path;
	path = NULL;
	r = 0;
out:
	free(norm);
	free(path);
	free(real_dir);
	free(real_path);
	return r;
}

int vc_xmlcfg_seed(const struct vc_config *cfg, int64_t source_date_epoch, uint8_t out[32],
		   struct vc_error *err)
{
	return vc_seed_derive(cfg->seed, cfg->name, cfg->version, source_date_epoch, out, err);
}
