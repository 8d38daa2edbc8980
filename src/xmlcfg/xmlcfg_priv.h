/* SPDX-License-Identifier: MIT */
/* xmlcfg internals shared by its source files: the parse context, the
 * message helpers (every problem is collected, see xc_fail()), the value
 * parsers, and the element parsers type.c calls. */
#ifndef VC_XMLCFG_PRIV_H
#define VC_XMLCFG_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "vcompose/error.h"
#include "vcompose/xmlcfg.h"

#define XC_PROFILES_MAX 256

struct xc_profile {
	xmlNode *node;
	const char *name;
	bool import;
	bool available; /* its arch matches */
	bool selected;
};

struct xc_ctx {
	const char *buf; /* the document, for the lines of start tags and attributes */
	size_t len;
	const char *file; /* for messages */
	const char *dir;  /* relative host paths start here */
	const char *arch;
	const struct vc_xmlcfg_options *opts;
	struct vc_config *cfg;
	struct vc_error *err;
	struct vc_strv noted;  /* keys of the notes already made */
	struct vc_strv errors; /* every error of the description, as found */
	int first_code;	       /* the code of the first error */
	size_t n_more;	       /* errors beyond those kept in errors */
	struct xc_profile profiles[XC_PROFILES_MAX];
	size_t n_profiles;
};

/* ---- strings ---- */

void xc_strv_free(struct vc_strv *s);
bool xc_strv_has(const struct vc_strv *s, const char *x);
int xc_strv_add(struct vc_strv *s, const char *x, struct vc_error *err);
int xc_strv_add_unique(struct vc_strv *s, const char *x, struct vc_error *err);

/* [A-Za-z0-9._+-]+; a leading '.' only when allowed. */
bool xc_is_name(const char *s, bool allow_leading_dot);
/* Any byte below 0x20 or 0x7f. */
bool xc_has_control(const char *s);
bool xc_in_list(const char *const *list, const char *s);

/* A host path from the config: absolute as given; relative ones against dir,
 * refused when they leave dir lexically or through a symlink. The file must
 * exist and be a regular file. *ret is owned by the caller. */
int xc_resolve_path(const char *dir, const char *value, char **ret, struct vc_error *err);

/* ---- the document ---- */

#define FOR_ELEMENTS(k, parent)                                                                    \
	for (xmlNode *k = (parent)->children; k; k = k->next)                                      \
		if (k->type == XML_ELEMENT_NODE)

/* n is an element named `name` in no namespace. */
bool xc_is(const xmlNode *n, const char *name);
/* The value of attribute an of n, or NULL when absent. */
const char *xc_attr(const xmlNode *n, const char *an);
/* The line of n's start tag, or of its attribute an (NULL: the tag's '<'). */
long xc_line(const struct xc_ctx *c, const xmlNode *n, const char *an);

/* ---- messages ----
 * xc_fail() records "FILE:LINE: <elem attr="value">: MSG" as an error of the
 * description and returns code (< 0); parsing goes on, so that one run
 * reports every problem, and vc_xmlcfg_parse() fails at the end. A caller
 * stops only for xc_fatal() codes (out of memory): every other failure is
 * already recorded. xc_prefix() records the message an inner function left
 * in c->err, after "FILE:LINE: <elem attr="value">". */
int xc_fail(struct xc_ctx *c, const xmlNode *n, const char *an, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int xc_prefix(struct xc_ctx *c, const xmlNode *n, const char *an);
static inline bool xc_fatal(int r)
{
	return r == VC_ENOMEM;
}
int xc_oom(struct xc_ctx *c);
/* A warning, once per key: "FILE:LINE: WHAT: WHY". */
int xc_note(struct xc_ctx *c, const char *key, long line, const char *what, const char *why);
int xc_note_element(struct xc_ctx *c, const xmlNode *n, const char *why);
int xc_note_attr(struct xc_ctx *c, const xmlNode *n, const char *an, const char *why);
int xc_unknown_element(struct xc_ctx *c, const xmlNode *n, const xmlNode *parent);
/* Every attribute of n must be in used or in ignored (a warning, why_ignored);
 * each other one is an error. Namespaced attributes (xsi:...) are skipped. */
int xc_check_attrs(struct xc_ctx *c, const xmlNode *n, const char *const *used,
		   const char *const *ignored, const char *why_ignored);

/* ---- values ---- */

int xc_parse_bool(struct xc_ctx *c, const xmlNode *n, const char *an, bool *ret);
/* Decimal, no sign, no suffix, in [min, max]; unit names it in messages. */
int xc_parse_uint(struct xc_ctx *c, const xmlNode *n, const char *an, uint64_t min, uint64_t max,
		  const char *unit, uint64_t *ret);
int xc_dup_attr(struct xc_ctx *c, const xmlNode *n, const char *an, char **ret);
int xc_resolve(struct xc_ctx *c, const xmlNode *n, const char *an, char **ret);

/* ---- elements (xmlcfg.c) ---- */

int xc_parse_bootloader(struct xc_ctx *c, xmlNode *b);
int xc_parse_initrd(struct xc_ctx *c, xmlNode *i);
int xc_parse_oemconfig(struct xc_ctx *c, xmlNode *o);

/* ---- writable state (writable.c) ---- */

/* overlayroot="true": the write partition (or tmpfs), its file system (the
 * <type filesystem>), overlayroot_readonly_partsize. */
int xc_parse_overlayroot(struct xc_ctx *c, xmlNode *t);
int xc_parse_size(struct xc_ctx *c, xmlNode *k);
int xc_parse_partitions(struct xc_ctx *c, xmlNode *ps);

/* ---- <type> (type.c) ---- */

/* Reads the selected <type>: every attribute through the table, then the
 * rules between attributes, then its child elements. */
int xc_parse_type(struct xc_ctx *c, xmlNode *t);

#endif
