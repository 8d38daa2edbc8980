/* SPDX-License-Identifier: MIT */
/* xmlcfg internals shared by its source files. */
#ifndef VC_XMLCFG_PRIV_H
#define VC_XMLCFG_PRIV_H

#include <stdbool.h>

#include "vcompose/error.h"
#include "vcompose/xmlcfg.h"

void xc_strv_free(struct vc_strv *s);
bool xc_strv_has(const struct vc_strv *s, const char *x);
int xc_strv_add(struct vc_strv *s, const char *x, struct vc_error *err);
int xc_strv_add_unique(struct vc_strv *s, const char *x, struct vc_error *err);

/* [A-Za-z0-9._+-]+; a leading '.' only when allowed. */
bool xc_is_name(const char *s, bool allow_leading_dot);
/* Any byte below 0x20 or 0x7f. */
bool xc_has_control(const char *s);

/* A host path from the config: absolute as given; relative ones against dir,
 * refused when they leave dir lexically or through a symlink. The file must
 * exist and be a regular file. *ret is owned by the caller. */
int xc_resolve_path(const char *dir, const char *value, char **ret, struct vc_error *err);

#endif
