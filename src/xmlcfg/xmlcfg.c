/* SPDX-License-Identifier: MIT */
/* KIWI config.xml reader. Spec: OSInside/kiwi kiwi/schema/kiwi.rnc (element
 * and attribute names, value sets) and DESIGN.md "The config" (the verity,
 * UKI and dracut proposal of KIWI issue 2801). See include/vcompose/xmlcfg.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "vcompose/util.h"
#include "vcompose/xmlcfg.h"
#include "xmlcfg_priv.h"

/* ---- messages ---------------------------------------------------------- */

static long line_of(const xmlNode *n)
{
	return n ? xmlGetLineNo(n) : 0;
}

/* lines[i] = line for the items of list added since *lines was last grown
 * (dracut module lists: their errors name the line) */
static int note_lines(unsigned **lines, const struct vc_strv *list, size_t before, long line,
		      struct vc_error *err)
{
	unsigned *v;

	if (list->n == before)
		return 0;
	v = realloc(*lines, list->n * sizeof(*v));
	if (!v)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	for (size_t i = before; i < list->n; i++)
		v[i] = (unsigned)line;
	*lines = v;
	return 0;
}

static const char *elem_name(const xmlNode *n)
{
	return (const char *)n->name;
}

static bool name_end(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '/' || ch == '>';
}

/* libxml2 gives an element the line where its start tag ends. A start tag
 * may span lines; the line of the attribute (or of the '<') is what a user
 * wants. The tag's '<' is the last "<NAME" before the end of that line:
 * nothing but attributes (no raw '<') lies between. */
long xc_line(const struct xc_ctx *c, const xmlNode *n, const char *an)
{
	long end_line = line_of(n), line = 1;
	size_t end = 0, start, at;
	size_t nl = strlen(elem_name(n));
	bool found = false;

	if (end_line <= 0 || !c->buf)
		return end_line;
	while (end < c->len && line <= end_line) {
		if (c->buf[end] == '\n')
			line++;
		end++;
	}
	for (start = end; start-- > 0;) {
		if (c->buf[start] == '<' && start + 1 + nl < end &&
		    !memcmp(c->buf + start + 1, elem_name(n), nl) &&
		    name_end(c->buf[start + 1 + nl])) {
			found = true;
			break;
		}
	}
	if (!found)
		return end_line;
	at = start;
	if (an) {
		size_t al = strlen(an);
		for (size_t i = start + 1 + nl; i + al < end; i++) {
			if (c->buf[i] == '>')
				break;
			if (name_end(c->buf[i - 1]) && !memcmp(c->buf + i, an, al) &&
			    (c->buf[i + al] == '=' || c->buf[i + al] == ' ' ||
			     c->buf[i + al] == '\t' || c->buf[i + al] == '\n')) {
				at = i;
				break;
			}
		}
	}
	line = 1;
	for (size_t i = 0; i < at; i++)
		line += c->buf[i] == '\n';
	return line;
}

/* The value of attribute `name` of n as text, or NULL when absent. Values
 * are always plain text: entity references were refused earlier. */
const char *xc_attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		if (a->ns || strcmp((const char *)a->name, name))
			continue;
		if (!a->children)
			return "";
		return (const char *)a->children->content;
	}
	return NULL;
}

/* Keeps the message c->err holds as one more error of the description. At
 * most XC_ERRORS_MAX are kept; the rest are counted. */
#define XC_ERRORS_MAX 64
static int record(struct xc_ctx *c)
{
	int code = c->err->code;

	if (!c->errors.n && !c->n_more)
		c->first_code = code;
	if (c->errors.n >= XC_ERRORS_MAX) {
		c->n_more++;
		return code;
	}
	if (xc_strv_add(&c->errors, c->err->msg, c->err) < 0)
		return c->err->code;
	c->err->code = code;
	return code;
}

int xc_oom(struct xc_ctx *c)
{
	return vc_errorf(c->err, VC_ENOMEM, "out of memory");
}

/* "FILE:LINE: <elem attr="value">: MSG", recorded. */
int xc_fail(struct xc_ctx *c, const xmlNode *n, const char *an, int code, const char *fmt, ...)
{
	char msg[sizeof(c->err->msg)];
	const char *v = an ? xc_attr(n, an) : NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (v)
		vc_errorf(c->err, code, "%s:%ld: <%s %s=\"%.120s\">: %s", c->file,
			  xc_line(c, n, an), elem_name(n), an, v, msg);
	else if (an)
		vc_errorf(c->err, code, "%s:%ld: <%s %s>: %s", c->file, xc_line(c, n, NULL),
			  elem_name(n), an, msg);
	else
		vc_errorf(c->err, code, "%s:%ld: <%s>: %s", c->file, xc_line(c, n, NULL),
			  elem_name(n), msg);
	return record(c);
}

/* Adds "FILE:LINE: <elem attr="value">" before an inner error, recorded. */
int xc_prefix(struct xc_ctx *c, const xmlNode *n, const char *an)
{
	const char *v = an ? xc_attr(n, an) : NULL;

	if (xc_fatal(c->err->code))
		return c->err->code;
	if (v)
		vc_error_prefix(c->err, "%s:%ld: <%s %s=\"%.120s\">", c->file, xc_line(c, n, an),
				elem_name(n), an, v);
	else
		vc_error_prefix(c->err, "%s:%ld: <%s>", c->file, xc_line(c, n, NULL), elem_name(n));
	return record(c);
}

/* One note per key: "FILE:LINE: WHAT: WHY". */
int xc_note(struct xc_ctx *c, const char *key, long line, const char *what, const char *why)
{
	char *s;
	int r;

	if (xc_strv_has(&c->noted, key))
		return 0;
	if (xc_strv_add(&c->noted, key, c->err) < 0)
		return c->err->code;
	if (line > 0)
		r = asprintf(&s, "%s:%ld: %s: %s", c->file, line, what, why);
	else
		r = asprintf(&s, "%s: %s: %s", c->file, what, why);
	if (r < 0)
		return xc_oom(c);
	r = xc_strv_add(&c->cfg->notes, s, c->err);
	if (r == 0 && c->opts->report)
		c->opts->report(c->opts->report_ctx, VC_XMLCFG_WARNING, s);
	free(s);
	return r;
}

int xc_note_element(struct xc_ctx *c, const xmlNode *n, const char *why)
{
	char what[128];

	snprintf(what, sizeof(what), "<%s>", elem_name(n));
	return xc_note(c, what, xc_line(c, n, NULL), what, why);
}

int xc_note_attr(struct xc_ctx *c, const xmlNode *n, const char *an, const char *why)
{
	char what[160];

	snprintf(what, sizeof(what), "<%s %s>", elem_name(n), an);
	return xc_note(c, what, xc_line(c, n, an), what, why);
}

/* ---- attribute checks -------------------------------------------------- */

bool xc_in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

/* Every attribute of n must be in `used` or in `ignored` (noted once each);
 * anything else is an error. Namespaced attributes (xsi:...) are skipped. */
static int check_attrs_also(struct xc_ctx *c, const xmlNode *n, const char *const *used,
			    const char *const *also, const char *const *ignored,
			    const char *why_ignored)
{
	int r = 0;

	for (const xmlAttr *a = n->properties; a; a = a->next) {
		const char *an = (const char *)a->name;
		int q;
		if (a->ns)
			continue;
		if (xc_in_list(used, an) || xc_in_list(also, an))
			continue;
		if (xc_in_list(ignored, an))
			q = xc_note_attr(c, n, an, why_ignored);
		else
			q = xc_fail(
			    c, n, an, VC_EINVAL,
			    "unknown attribute (neither KIWI's schema nor vcompose define it "
			    "here)");
		if (xc_fatal(q))
			return q;
		r = r ? r : q;
	}
	return r;
}

int xc_check_attrs(struct xc_ctx *c, const xmlNode *n, const char *const *used,
		   const char *const *ignored, const char *why_ignored)
{
	return check_attrs_also(c, n, used, NULL, ignored, why_ignored);
}

/* Refuses entity references and over-long values anywhere in the subtree;
 * makes every attribute value a single text node (or none). */
static int check_plain(struct xc_ctx *c, const xmlNode *n)
{
	for (const xmlNode *k = n; k; k = k->next) {
		if (k->type == XML_ENTITY_REF_NODE || k->type == XML_ENTITY_NODE)
			return vc_errorf(
			    c->err, VC_EINVAL,
			    "%s:%ld: entity reference '&%s;': entities are not allowed", c->file,
			    line_of(k->parent), (const char *)k->name);
		if (k->type != XML_ELEMENT_NODE)
			continue;
		for (const xmlAttr *a = k->properties; a; a = a->next) {
			if (a->children &&
			    (a->children->next || a->children->type != XML_TEXT_NODE))
				return xc_fail(c, k, (const char *)a->name, VC_EINVAL,
					       "entity references are not allowed");
			if (a->children &&
			    strlen((const char *)a->children->content) > VC_XMLCFG_VALUE_MAX)
				return xc_fail(c, k, (const char *)a->name, VC_ERANGE,
					       "value longer than %u bytes", VC_XMLCFG_VALUE_MAX);
		}
		if (k->ns && k->ns->href &&
		    (!strcmp((const char *)k->ns->href, "http://www.w3.org/2001/XInclude") ||
		     !strcmp((const char *)k->ns->href, "http://www.w3.org/2003/XInclude")))
			return xc_fail(c, k, NULL, VC_EUNSUPP, "XInclude is not supported");
		if (check_plain(c, k->children) < 0)
			return c->err->code;
	}
	return 0;
}

int xc_parse_bool(struct xc_ctx *c, const xmlNode *n, const char *an, bool *ret)
{
	const char *v = xc_attr(n, an);

	if (!v)
		return 0;
	if (!strcmp(v, "true") || !strcmp(v, "1"))
		*ret = true;
	else if (!strcmp(v, "false") || !strcmp(v, "0"))
		*ret = false;
	else
		return xc_fail(c, n, an, VC_EINVAL, "expected \"true\" or \"false\"");
	return 0;
}

/* Decimal, no sign, no suffix, in [min, max]. */
int xc_parse_uint(struct xc_ctx *c, const xmlNode *n, const char *an, uint64_t min, uint64_t max,
		  const char *unit, uint64_t *ret)
{
	const char *v = xc_attr(n, an);
	uint64_t x = 0;

	if (!v)
		return 0;
	if (!*v)
		return xc_fail(c, n, an, VC_EINVAL, "expected a number of %s", unit);
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return xc_fail(c, n, an, VC_EINVAL, "expected a decimal number of %s",
				       unit);
		if (x > (UINT64_MAX - 9) / 10)
			return xc_fail(c, n, an, VC_ERANGE, "number too large");
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (x < min || x > max)
		return xc_fail(c, n, an, VC_ERANGE, "%s out of range: %llu..%llu expected", unit,
			       (unsigned long long)min, (unsigned long long)max);
	*ret = x;
	return 0;
}

int xc_dup_attr(struct xc_ctx *c, const xmlNode *n, const char *an, char **ret)
{
	const char *v = xc_attr(n, an);

	if (!v)
		return 0;
	free(*ret);
	*ret = strdup(v);
	if (!*ret)
		return vc_errorf(c->err, VC_ENOMEM, "out of memory");
	return 0;
}

int xc_resolve(struct xc_ctx *c, const xmlNode *n, const char *an, char **ret)
{
	const char *v = xc_attr(n, an);
	char *p = NULL;

	if (!v)
		return 0;
	if (xc_resolve_path(c->dir, v, &p, c->err) < 0)
		return xc_prefix(c, n, an);
	free(*ret);
	*ret = p;
	return 0;
}

/* Splits a whitespace-separated list into out (unique, in order); each
 * item checked by ok(). */
static int split_list(struct xc_ctx *c, const xmlNode *n, const char *an, bool (*ok)(const char *),
		      const char *what, struct vc_strv *out)
{
	const char *v = xc_attr(n, an);
	char item[VC_XMLCFG_VALUE_MAX + 1];
	size_t count = 0;

	if (!v)
		return xc_fail(c, n, NULL, VC_EINVAL, "attribute %s is required", an);
	for (const char *p = v; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, " \t\n\r");
		memcpy(item, p, len);
		item[len] = '\0';
		p += len;
		if (!ok(item))
			return xc_fail(c, n, an, VC_EINVAL, "'%.100s' is not a valid %s", item,
				       what);
		if (++count > VC_XMLCFG_LIST_MAX)
			return xc_fail(c, n, an, VC_ERANGE, "more than %u items",
				       VC_XMLCFG_LIST_MAX);
		if (xc_strv_add_unique(out, item, c->err) < 0)
			return xc_prefix(c, n, an);
	}
	if (!count)
		return xc_fail(c, n, an, VC_EINVAL, "empty list of %ss", what);
	return 0;
}

static bool ok_name(const char *s)
{
	return xc_is_name(s, false) && strlen(s) <= 64;
}

/* An absolute path inside the tree: no "..", no "." components, no quotes
 * or shell-special characters (dracut's --install list is split on spaces). */
static bool ok_tree_path(const char *s)
{
	if (s[0] != '/' || strlen(s) > 1024)
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch < 0x21 || ch == 0x7f || strchr("\"'\\$`;&|<>*?[]{}()", ch))
			return false;
	}
	for (const char *p = s; (p = strstr(p, "/.")); p++) {
		if (p[2] == '/' || p[2] == '\0' || (p[2] == '.' && (p[3] == '/' || p[3] == '\0')))
			return false;
	}
	return true;
}

/* ---- elements ---------------------------------------------------------- */

bool xc_is(const xmlNode *n, const char *name)
{
	return !n->ns && !strcmp((const char *)n->name, name);
}

int xc_unknown_element(struct xc_ctx *c, const xmlNode *n, const xmlNode *parent)
{
	return xc_fail(c, n, NULL, VC_EINVAL, "unknown element inside <%s>", elem_name(parent));
}

static int parse_dracut_ours(struct xc_ctx *c, xmlNode *d)
{
	struct vc_config_dracut *dr = &c->cfg->dracut;
	bool seen_uki = false;

	if (xc_check_attrs(c, d, NULL, NULL, NULL) < 0)
		return c->err->code;
	FOR_ELEMENTS(k, d)
	{
		static const char *const paths[] = {"paths", NULL};
		static const char *const names[] = {"names", NULL};
		static const char *const modules[] = {"modules", NULL};
		int r = 0;

		if (xc_is(k, "install")) {
			r = xc_check_attrs(c, k, paths, NULL, NULL);
			if (!r)
				r = split_list(c, k, "paths", ok_tree_path,
					       "absolute path in the tree", &dr->install);
		} else if (xc_is(k, "filesystems")) {
			r = xc_check_attrs(c, k, names, NULL, NULL);
			if (!r)
				r = split_list(c, k, "names", ok_name, "filesystem name",
					       &dr->filesystems);
		} else if (xc_is(k, "add_drivers") || xc_is(k, "force_drivers") ||
			   xc_is(k, "omit_drivers")) {
			struct vc_strv *out = xc_is(k, "add_drivers")	  ? &dr->add_drivers
					      : xc_is(k, "force_drivers") ? &dr->force_drivers
									  : &dr->omit_drivers;
			r = xc_check_attrs(c, k, names, NULL, NULL);
			if (!r)
				r = split_list(c, k, "names", ok_name, "driver name", out);
		} else if (xc_is(k, "add") || xc_is(k, "omit")) {
			size_t before = dr->add_modules.n;
			r = xc_check_attrs(c, k, modules, NULL, NULL);
			if (!r)
				r = split_list(c, k, "modules", ok_name, "dracut module name",
					       xc_is(k, "add") ? &dr->add_modules
							       : &dr->omit_modules);
			if (!r)
				r = note_lines(&dr->add_modules_line, &dr->add_modules, before,
					       xc_line(c, k, "modules"), c->err);
		} else if (xc_is(k, "uki")) {
			if (seen_uki)
				return xc_fail(c, k, NULL, VC_EINVAL, "given twice");
			seen_uki = true;
			r = xc_check_attrs(c, k, NULL, NULL, NULL);
			FOR_ELEMENTS(kk, k)
			{
				static const char *const name[] = {"name", NULL};
				if (!xc_is(kk, "kernel"))
					return xc_unknown_element(c, kk, k);
				if (dr->uki_kernel)
					return xc_fail(c, kk, NULL, VC_EINVAL,
						       "only one kernel per UKI");
				if (xc_check_attrs(c, kk, name, NULL, NULL) < 0)
					return c->err->code;
				const char *v = xc_attr(kk, "name");
				if (!v)
					return xc_fail(c, kk, NULL, VC_EINVAL,
						       "attribute name is required");
				if (!xc_is_name(v, false) || strlen(v) > 255)
					return xc_fail(c, kk, "name", VC_EINVAL,
						       "expected a kernel file name (no '/')");
				if (xc_dup_attr(c, kk, "name", &dr->uki_kernel) < 0)
					return c->err->code;
			}
		} else {
			r = xc_unknown_element(c, k, d);
		}
		if (xc_fatal(r))
			return r;
	}
	return 0;
}

int xc_parse_bootloader(struct xc_ctx *c, xmlNode *b)
{
	static const char *const used[] = {"name", "console", "timeout", "output_console", NULL};
	static const char *const ignored[] = {
	    "bls",	  "input_console",     "serial_line",	"video_mode", "timeout_style",
	    "targettype", "use_disk_password", "grub_template", NULL};
	struct vc_config *cfg = c->cfg;
	const char *v;

	if (xc_fatal(xc_check_attrs(c, b, used, ignored,
				    "ignored (GRUB settings; vcompose uses systemd-boot)")))
		return c->err->code;
	v = xc_attr(b, "name");
	if (!v)
		xc_fail(c, b, NULL, VC_EINVAL, "attribute name is required");
	else if (!strcmp(v, "systemd_boot"))
		cfg->bootloader = VC_CONFIG_BOOT_SYSTEMD_BOOT;
	else if (!strcmp(v, "custom"))
		cfg->bootloader = VC_CONFIG_BOOT_NONE;
	else if (!strcmp(v, "grub2") || !strcmp(v, "grub2_s390x_emu") || !strcmp(v, "zipl"))
		xc_fail(c, b, "name", VC_EUNSUPP,
			"GRUB and zipl are not installed: use name=\"systemd_boot\" (systemd-boot, "
			"the UKI in EFI/Linux/) or name=\"custom\" (the UKI alone as the "
			"removable-media boot file)");
	else
		xc_fail(c, b, "name", VC_EINVAL,
			"expected one of grub2, grub2_s390x_emu, systemd_boot, custom, zipl");

	/* console: vcompose's "serial|console|none", which is also KIWI's pre-8.4
	 * bootloader console ("OUTPUT [INPUT]" GRUB terminal names, now
	 * output_console): serial anywhere wins, else a screen console. */
	const char *cn = xc_attr(b, "console")		? "console"
			 : xc_attr(b, "output_console") ? "output_console"
							: NULL;
	if (cn) {
		static const char *const terms[] = {
		    "none",  "console",	 "gfxterm",	"serial",	"vga_text", "mda_text",
		    "morse", "spkmodem", "at_keyboard", "usb_keyboard", NULL};
		char buf[VC_XMLCFG_VALUE_MAX + 1];
		bool serial = false, screen = false, any = false;
		snprintf(buf, sizeof(buf), "%s", xc_attr(b, cn));
		for (char *save = NULL, *w = strtok_r(buf, " ", &save); w;
		     w = strtok_r(NULL, " ", &save)) {
			if (!xc_in_list(terms, w)) {
				xc_fail(c, b, cn, VC_EINVAL,
					"'%.40s': expected \"serial\", \"console\" or \"none\" "
					"(or KIWI's GRUB terminal names)",
					w);
				break;
			}
			any = true;
			serial = serial || !strcmp(w, "serial");
			screen = screen || !strcmp(w, "console") || !strcmp(w, "gfxterm") ||
				 !strcmp(w, "vga_text");
		}
		if (!any)
			xc_fail(c, b, cn, VC_EINVAL, "empty");
		cfg->console = serial	? VC_CONFIG_CONSOLE_SERIAL
			       : screen ? VC_CONFIG_CONSOLE_VGA
					: VC_CONFIG_CONSOLE_DEFAULT;
	}
	uint64_t t = 0;
	if (xc_attr(b, "timeout")) {
		if (xc_parse_uint(c, b, "timeout", 0, 600, "seconds", &t) == 0)
			cfg->timeout = (int)t;
	}
	FOR_ELEMENTS(k, b)
	{
		int r;
		if (xc_is(k, "dracut"))
			r = parse_dracut_ours(c, k);
		else if (xc_is(k, "bootloadersettings") || xc_is(k, "securelinux"))
			r = xc_note_element(c, k, "ignored (GRUB and secure-execution settings)");
		else
			r = xc_unknown_element(c, k, b);
		if (xc_fatal(r))
			return r;
	}
	return 0;
}

/* KIWI's <initrd action="add|omit|set|setup"><dracut module driver uefi/>. */
int xc_parse_initrd(struct xc_ctx *c, xmlNode *i)
{
	static const char *const used[] = {"action", NULL};
	static const char *const dused[] = {"module", "driver", "uefi", NULL};
	struct vc_config_dracut *dr = &c->cfg->dracut;
	const char *action;

	if (xc_check_attrs(c, i, used, NULL, NULL) < 0)
		return c->err->code;
	action = xc_attr(i, "action");
	if (!action)
		return xc_fail(c, i, NULL, VC_EINVAL, "attribute action is required");
	if (strcmp(action, "add") && strcmp(action, "omit") && strcmp(action, "set") &&
	    strcmp(action, "setup"))
		return xc_fail(c, i, "action", VC_EINVAL,
			       "expected \"add\", \"omit\", \"set\" or \"setup\"");
	FOR_ELEMENTS(k, i)
	{
		const char *m, *d;
		bool uefi = false;

		if (!xc_is(k, "dracut"))
			return xc_unknown_element(c, k, i);
		if (xc_check_attrs(c, k, dused, NULL, NULL) < 0 ||
		    xc_parse_bool(c, k, "uefi", &uefi) < 0)
			return c->err->code;
		m = xc_attr(k, "module");
		d = xc_attr(k, "driver");
		if (m && !ok_name(m))
			return xc_fail(c, k, "module", VC_EINVAL, "not a valid dracut module name");
		if (d && !ok_name(d))
			return xc_fail(c, k, "driver", VC_EINVAL, "not a valid driver name");
		if (!strcmp(action, "setup")) {
			if (m || d)
				return xc_fail(
				    c, k, m ? "module" : "driver", VC_EINVAL,
				    "<initrd action=\"setup\"> takes only uefi=\"true|false\"");
			dr->uefi = uefi;
			continue;
		}
		if (xc_attr(k, "uefi"))
			return xc_fail(c, k, "uefi", VC_EINVAL,
				       "uefi belongs in <initrd action=\"setup\">");
		if (!m && !d)
			return xc_fail(c, k, NULL, VC_EINVAL,
				       "needs a module or a driver attribute");
		int r = 0;
		size_t before_add = dr->add_modules.n, before_set = dr->set_modules.n;
		if (!strcmp(action, "add")) {
			if (m)
				r = xc_strv_add_unique(&dr->add_modules, m, c->err);
			if (!r && d)
				r = xc_strv_add_unique(&dr->add_drivers, d, c->err);
		} else if (!strcmp(action, "omit")) {
			if (m)
				r = xc_strv_add_unique(&dr->omit_modules, m, c->err);
			if (!r && d)
				r = xc_strv_add_unique(&dr->omit_drivers, d, c->err);
		} else { /* set: the complete module list */
			if (d)
				return xc_fail(c, k, "driver", VC_EINVAL,
					       "<initrd action=\"set\"> lists modules only");
			r = xc_strv_add_unique(&dr->set_modules, m, c->err);
		}
		if (!r)
			r = note_lines(&dr->add_modules_line, &dr->add_modules, before_add,
				       xc_line(c, k, "module"), c->err);
		if (!r)
			r = note_lines(&dr->set_modules_line, &dr->set_modules, before_set,
				       xc_line(c, k, "module"), c->err);
		if (r < 0)
			return xc_prefix(c, k, NULL);
	}
	return 0;
}

int xc_parse_oemconfig(struct xc_ctx *c, xmlNode *o)
{
	if (xc_check_attrs(c, o, NULL, NULL, NULL) < 0)
		return c->err->code;
	FOR_ELEMENTS(k, o)
	{
		if (xc_is(k, "oem-boot-title")) {
			xmlChar *t = xmlNodeGetContent(k);
			if (!t)
				return vc_errorf(c->err, VC_ENOMEM, "out of memory");
			if (xc_has_control((const char *)t) || !*t ||
			    strlen((const char *)t) > 128) {
				xmlFree(t);
				return xc_fail(c, k, NULL, VC_EINVAL,
					       "expected a title of 1..128 printable characters");
			}
			free(c->cfg->boot_title);
			c->cfg->boot_title = strdup((const char *)t);
			xmlFree(t);
			if (!c->cfg->boot_title)
				return vc_errorf(c->err, VC_ENOMEM, "out of memory");
		} else if (!strncmp(elem_name(k), "oem-", 4) && !k->ns) {
			if (xc_note_element(c, k, "ignored (a KIWI install/first-boot setting)") <
			    0)
				return c->err->code;
		} else {
			return xc_unknown_element(c, k, o);
		}
	}
	return 0;
}

/* ---- profiles ---------------------------------------------------------- */

static bool arch_matches(struct xc_ctx *c, const char *list)
{
	char buf[VC_XMLCFG_VALUE_MAX + 1];

	if (!list)
		return true;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save = NULL, *a = strtok_r(buf, ",", &save); a; a = strtok_r(NULL, ",", &save))
		if (!strcmp(a, c->arch))
			return true;
	return false;
}

static struct xc_profile *find_profile(struct xc_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->n_profiles; i++)
		if (!strcmp(c->profiles[i].name, name))
			return &c->profiles[i];
	return NULL;
}

static int collect_profiles(struct xc_ctx *c, xmlNode *image)
{
	FOR_ELEMENTS(ps, image)
	{
		if (!xc_is(ps, "profiles"))
			continue;
		if (xc_check_attrs(c, ps, NULL, NULL, NULL) < 0)
			return c->err->code;
		FOR_ELEMENTS(p, ps)
		{
			static const char *const used[] = {"name", "description", "import", "arch",
							   NULL};
			struct xc_profile *x;
			if (!xc_is(p, "profile"))
				return xc_unknown_element(c, p, ps);
			if (xc_check_attrs(c, p, used, NULL, NULL) < 0)
				return c->err->code;
			const char *name = xc_attr(p, "name");
			if (!name || !*name)
				return xc_fail(c, p, NULL, VC_EINVAL, "attribute name is required");
			if (strchr(name, ',') || xc_has_control(name))
				return xc_fail(c, p, "name", VC_EINVAL, "not a valid profile name");
			if (find_profile(c, name))
				return xc_fail(c, p, "name", VC_EINVAL, "profile defined twice");
			if (c->n_profiles >= XC_PROFILES_MAX)
				return xc_fail(c, p, NULL, VC_ERANGE, "more than %d profiles",
					       XC_PROFILES_MAX);
			x = &c->profiles[c->n_profiles++];
			x->node = p;
			x->name = name;
			if (xc_parse_bool(c, p, "import", &x->import) < 0)
				return c->err->code;
			x->available = arch_matches(c, xc_attr(p, "arch"));
			FOR_ELEMENTS(r, p)
			{
				static const char *const rused[] = {"profile", "arch", NULL};
				if (!xc_is(r, "requires"))
					return xc_unknown_element(c, r, p);
				if (xc_check_attrs(c, r, rused, NULL, NULL) < 0)
					return c->err->code;
				if (!xc_attr(r, "profile"))
					return xc_fail(c, r, NULL, VC_EINVAL,
						       "attribute profile is required");
			}
		}
	}
	return 0;
}

static int select_profile(struct xc_ctx *c, struct xc_profile *p, unsigned depth)
{
	if (p->selected)
		return 0;
	if (depth > 32)
		return xc_fail(c, p->node, "name", VC_EINVAL,
			       "<requires> nested too deeply (a cycle?)");
	p->selected = true;
	FOR_ELEMENTS(r, p->node)
	{
		if (!arch_matches(c, xc_attr(r, "arch")))
			continue;
		struct xc_profile *q = find_profile(c, xc_attr(r, "profile"));
		if (!q)
			return xc_fail(c, r, "profile", VC_EINVAL, "no such profile");
		if (!q->available)
			return xc_fail(c, r, "profile", VC_EINVAL, "profile is not for arch %s",
				       c->arch);
		if (select_profile(c, q, depth + 1) < 0)
			return c->err->code;
	}
	return xc_strv_add_unique(&c->cfg->profiles, p->name, c->err);
}

static int resolve_profiles(struct xc_ctx *c, const xmlNode *image)
{
	const char *const *want = c->opts->profiles;

	if (want && *want) {
		for (; *want; want++) {
			struct xc_profile *p = find_profile(c, *want);
			if (!p || !p->available) {
				char known[256] = "";
				size_t len = 0;
				for (size_t i = 0; i < c->n_profiles && len < sizeof(known) - 2;
				     i++)
					if (c->profiles[i].available)
						len += (size_t)snprintf(
						    known + len, sizeof(known) - len, "%s%s",
						    len ? ", " : "", c->profiles[i].name);
				vc_errorf(c->err, VC_EINVAL,
					  "%s:%ld: --profile '%.64s': %s (defined: %s)", c->file,
					  xc_line(c, image, NULL), *want,
					  p ? "not for this architecture" : "no such profile",
					  len ? known : "none");
				return record(c);
			}
			if (select_profile(c, p, 0) < 0)
				return c->err->code;
		}
		return 0;
	}
	/* KIWI: without --profile, the profiles marked import="true" (no <requires>). */
	for (size_t i = 0; i < c->n_profiles; i++) {
		struct xc_profile *p = &c->profiles[i];
		if (p->import && p->available) {
			p->selected = true;
			if (xc_strv_add_unique(&c->cfg->profiles, p->name, c->err) < 0)
				return c->err->code;
		}
	}
	return 0;
}

/* A section with profiles="a,b" applies when one of them is selected; one
 * without applies always. */
static bool section_applies(struct xc_ctx *c, const xmlNode *n)
{
	const char *ps = xc_attr(n, "profiles");
	char buf[VC_XMLCFG_VALUE_MAX + 1];
	bool any = false;

	if (!arch_matches(c, xc_attr(n, "arch")))
		return false;
	if (!ps)
		return true;
	snprintf(buf, sizeof(buf), "%s", ps);
	for (char *save = NULL, *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (xc_strv_has(&c->cfg->profiles, p))
			any = true;
	return any;
}

/* ---- document ---------------------------------------------------------- */

static const char *const offline_elements[] = {
    "users",	  "repository",	  "packages",  "drivers", "strip",
    "containers", "certificates", "extension", NULL,
};

static const char *const preferences_ignored[] = {
    "bootsplash-theme",
    "bootloader-theme",
    "keytable",
    "locale",
    "packagemanager",
    "release-version",
    "rpm-locale-filtering",
    "rpm-check-signatures",
    "rpm-excludedocs",
    "showlicense",
    "timezone",
    NULL,
};

/* KIWI's description scripts: none of them runs. */
static const char *const kiwi_scripts[] = {
    "config.sh",
    "images.sh",
    "config-host-overlay.sh",
    "config-overlay.sh",
    "disk.sh",
    "pre_disk_sync.sh",
    "post_bootstrap.sh",
    "edit_boot_config.sh",
    "edit_boot_install.sh",
    NULL,
};

static int check_name(struct xc_ctx *c, const xmlNode *image)
{
	const char *name = xc_attr(image, "name");

	if (!name)
		return xc_fail(c, image, NULL, VC_EINVAL, "attribute name is required");
	if (!xc_is_name(name, false) || strlen(name) > VC_XMLCFG_NAME_MAX)
		return xc_fail(c, image, "name", VC_EINVAL,
			       "expected 1..%u of [A-Za-z0-9._+-], not starting with '.' (it names "
			       "the output files)",
			       VC_XMLCFG_NAME_MAX);
	return xc_dup_attr(c, image, "name", &c->cfg->name);
}

static int parse_description(struct xc_ctx *c, xmlNode *d)
{
	static const char *const used[] = {"type", NULL};

	if (xc_check_attrs(c, d, used, NULL, NULL) < 0)
		return c->err->code;
	FOR_ELEMENTS(k, d)
	{
		if (xc_is(k, "specification")) {
			xmlChar *t = xmlNodeGetContent(k);
			if (!t)
				return vc_errorf(c->err, VC_ENOMEM, "out of memory");
			free(c->cfg->description);
			c->cfg->description = strdup((const char *)t);
			xmlFree(t);
			if (!c->cfg->description)
				return vc_errorf(c->err, VC_ENOMEM, "out of memory");
		} else if (!xc_is(k, "author") && !xc_is(k, "contact") && !xc_is(k, "license")) {
			return xc_unknown_element(c, k, d);
		}
	}
	return 0;
}

static int parse_version(struct xc_ctx *c, xmlNode *v)
{
	xmlChar *t;
	const char *s;
	size_t a, len;

	if (c->cfg->version)
		return 0; /* KIWI: the first <version> wins */
	t = xmlNodeGetContent(v);
	if (!t)
		return vc_errorf(c->err, VC_ENOMEM, "out of memory");
	s = (const char *)t;
	a = strspn(s, " \t\r\n");
	len = strlen(s + a);
	while (len && strchr(" \t\r\n", s[a + len - 1]))
		len--;
	char buf[65];
	if (len == 0 || len > 64) {
		xmlFree(t);
		return xc_fail(c, v, NULL, VC_EINVAL, "expected a version of 1..64 characters");
	}
	memcpy(buf, s + a, len);
	buf[len] = '\0';
	xmlFree(t);
	if (!xc_is_name(buf, false))
		return xc_fail(c, v, NULL, VC_EINVAL, "'%s': expected [A-Za-z0-9._+-]", buf);
	c->cfg->version = strdup(buf);
	if (!c->cfg->version)
		return vc_errorf(c->err, VC_ENOMEM, "out of memory");
	return 0;
}

/* One <preferences> that applies: <version>, the <type>s to choose from. */
static int parse_preferences(struct xc_ctx *c, xmlNode *k, xmlNode **types, size_t *n_types)
{
	static const char *const used[] = {"profiles", "arch", NULL};
	int r = xc_check_attrs(c, k, used, NULL, NULL);

	if (r < 0 || !section_applies(c, k))
		return xc_fatal(r) ? r : 0;
	FOR_ELEMENTS(p, k)
	{
		if (xc_is(p, "version"))
			r = parse_version(c, p);
		else if (xc_is(p, "type") && *n_types >= XC_PROFILES_MAX)
			r = xc_fail(c, p, NULL, VC_ERANGE, "too many types");
		else if (xc_is(p, "type"))
			types[(*n_types)++] = p;
		else if (!p->ns && xc_in_list(preferences_ignored, elem_name(p)))
			r = xc_note_element(c, p, "ignored offline (the tree is used as it is)");
		else
			r = xc_unknown_element(c, p, k);
		if (xc_fatal(r))
			return r;
	}
	return 0;
}

/* KIWI: the type with primary="true", else the first. */
static xmlNode *choose_type(struct xc_ctx *c, const xmlNode *image, xmlNode **types, size_t n_types)
{
	for (size_t i = 0; i < n_types; i++) {
		bool primary = false;
		if (xc_parse_bool(c, types[i], "primary", &primary) == 0 && primary)
			return types[i];
	}
	if (n_types)
		return types[0];
	if (c->cfg->profiles.n)
		xc_fail(c, image, NULL, VC_EINVAL,
			"no <type> in the <preferences> for profile(s) %s%s", c->cfg->profiles.v[0],
			c->cfg->profiles.n > 1 ? ", ..." : "");
	else if (c->n_profiles)
		xc_fail(c, image, NULL, VC_EINVAL,
			"no <type> without a profile; choose one with --profile (defined: %s%s)",
			c->profiles[0].name, c->n_profiles > 1 ? ", ..." : "");
	else
		xc_fail(c, image, NULL, VC_EINVAL, "no <type> in any <preferences> that applies");
	return NULL;
}

static int note_scripts(struct xc_ctx *c)
{
	for (size_t i = 0; kiwi_scripts[i]; i++) {
		char path[PATH_MAX];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", c->dir, kiwi_scripts[i]);
		if (lstat(path, &st) == 0 &&
		    xc_note(c, kiwi_scripts[i], 0, kiwi_scripts[i],
			    "ignored offline (scripts are not run; the tree is used as it is)") < 0)
			return c->err->code;
	}
	return 0;
}

static int parse_image(struct xc_ctx *c, xmlNode *image)
{
	static const char *const used[] = {"name", "displayname", "id", "schemaversion", NULL};
	xmlNode *types[XC_PROFILES_MAX];
	size_t n_types = 0;
	xmlNode *chosen = NULL;
	bool seen_description = false;
	int r;

	if (xc_fatal(xc_check_attrs(c, image, used, NULL, NULL)) || xc_fatal(check_name(c, image)))
		return c->err->code;
	const char *sv = xc_attr(image, "schemaversion");
	if (!sv)
		xc_fail(c, image, NULL, VC_EINVAL, "attribute schemaversion is required");
	else if (!(sv[0] >= '1' && sv[0] <= '9') || !strchr(sv, '.') ||
		 strspn(sv, "0123456789.") != strlen(sv))
		xc_fail(c, image, "schemaversion", VC_EINVAL, "expected a version like \"8.5\"");
	if (xc_dup_attr(c, image, "displayname", &c->cfg->displayname) < 0)
		return c->err->code;
	/* the profiles decide which sections apply: stop at their errors */
	if (collect_profiles(c, image) < 0 || resolve_profiles(c, image) < 0)
		return c->err->code;

	FOR_ELEMENTS(k, image)
	{
		r = 0;
		if (xc_is(k, "description") && seen_description) {
			r = xc_fail(c, k, NULL, VC_EINVAL, "given twice");
		} else if (xc_is(k, "description")) {
			seen_description = true;
			r = parse_description(c, k);
		} else if (xc_is(k, "profiles")) {
			continue; /* read above */
		} else if (xc_is(k, "preferences")) {
			r = parse_preferences(c, k, types, &n_types);
		} else if (xc_is(k, "include")) {
			r = xc_fail(c, k, NULL, VC_EUNSUPP,
				    "not supported: merge the included file into this one");
		} else if (!k->ns && xc_in_list(offline_elements, elem_name(k))) {
			r = xc_note_element(
			    c, k, "ignored offline (vcompose uses the given tree as it is)");
		} else {
			r = xc_unknown_element(c, k, image);
		}
		if (xc_fatal(r))
			return r;
	}
	if (!seen_description)
		xc_fail(c, image, NULL, VC_EINVAL, "<description> is required");
	chosen = choose_type(c, image, types, n_types);
	if (chosen && xc_fatal(xc_parse_type(c, chosen)))
		return c->err->code;
	if (!c->cfg->version) {
		c->cfg->version = strdup("");
		if (!c->cfg->version)
			return xc_oom(c);
	}
	return note_scripts(c);
}

struct first_error {
	bool set;
	int line;
	char msg[256];
	bool doctype; /* a <!DOCTYPE> was met; parsing stopped there */
	int doctype_line;
};

/* SAX internalSubset: the first thing of a DOCTYPE. Stopping here means no
 * entity or DTD declaration is ever processed. */
static void refuse_doctype(void *data, const xmlChar *name, const xmlChar *external_id,
			   const xmlChar *system_id)
{
	xmlParserCtxtPtr px = data;
	struct first_error *f = px->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	if (!f->doctype) {
		f->doctype = true;
		f->doctype_line = px->input ? px->input->line : 0;
	}
	xmlStopParser(px);
}

/* libxml2's structured error callback: keeps the first error, which names
 * the cause; later ones are often consequences. */
static void keep_first_error(void *data, xmlErrorPtr e)
{
	xmlParserCtxtPtr px = data;
	struct first_error *f = px ? px->_private : NULL;

	if (!f || f->set || !e || e->level < XML_ERR_ERROR)
		return;
	f->set = true;
	f->line = e->line; /* 0: raised outside the parser (encoding conversion) */
	snprintf(f->msg, sizeof(f->msg), "%s", e->message ? e->message : "not well-formed");
	size_t m = strlen(f->msg);
	while (m && (f->msg[m - 1] == '\n' || f->msg[m - 1] == ' '))
		f->msg[--m] = '\0';
}

/* The line of "<!DOCTYPE" in buf (libxml2 keeps no line for the DTD). */
static long doctype_line(const char *buf, size_t len)
{
	long line = 1;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			line++;
		else if (buf[i] == '<' && len - i >= 9 && !memcmp(buf + i, "<!DOCTYPE", 9))
			return line;
	}
	return 1;
}

void vc_xmlcfg_free(struct vc_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->dir);
	free(cfg->name);
	free(cfg->displayname);
	free(cfg->version);
	free(cfg->description);
	xc_strv_free(&cfg->profiles);
	free(cfg->rootfs_label);
	free(cfg->boot_title);
	free(cfg->signature_key);
	free(cfg->signature_cert);
	free(cfg->sb_key);
	free(cfg->sb_cert);
	free(cfg->pcr_key);
	free(cfg->initrd_file);
	free(cfg->kernelcmdline);
	xc_strv_free(&cfg->dracut.install);
	xc_strv_free(&cfg->dracut.filesystems);
	xc_strv_free(&cfg->dracut.add_drivers);
	xc_strv_free(&cfg->dracut.force_drivers);
	xc_strv_free(&cfg->dracut.omit_drivers);
	xc_strv_free(&cfg->dracut.add_modules);
	xc_strv_free(&cfg->dracut.omit_modules);
	xc_strv_free(&cfg->dracut.set_modules);
	free(cfg->dracut.add_modules_line);
	free(cfg->dracut.set_modules_line);
	free(cfg->dracut.uki_kernel);
	for (size_t i = 0; i < cfg->n_parts; i++) {
		free(cfg->parts[i].name);
		free(cfg->parts[i].mountpoint);
		free(cfg->parts[i].label);
		free(cfg->parts[i].partition_name);
	}
	free(cfg->parts);
	free(cfg->seed);
	xc_strv_free(&cfg->notes);
	free(cfg);
}

/* The description's errors, in one vc_error (see vc_xmlcfg_load()). */
static int all_errors(struct xc_ctx *c)
{
	size_t n = c->errors.n + c->n_more;

	if (n == 1)
		return vc_errorf(c->err, c->first_code, "%s", c->errors.v[0]);
	if (!c->opts->report)
		return vc_errorf(c->err, c->first_code, "%s (and %zu more errors)", c->errors.v[0],
				 n - 1);
	for (size_t i = 0; i < c->errors.n; i++)
		c->opts->report(c->opts->report_ctx, VC_XMLCFG_ERROR, c->errors.v[i]);
	if (c->n_more)
		return vc_errorf(c->err, c->first_code, "%s: %zu errors (%zu more not shown)",
				 c->file, n, c->n_more);
	return vc_errorf(c->err, c->first_code, "%s: %zu errors", c->file, n);
}

int vc_xmlcfg_parse(const char *buf, size_t len, const char *name, const char *dir,
		    const struct vc_xmlcfg_options *opts, struct vc_config **ret,
		    struct vc_error *err)
{
	static const struct vc_xmlcfg_options no_opts;
	struct xc_ctx c = {0};
	struct first_error first = {0};
	xmlParserCtxtPtr px = NULL;
	xmlDocPtr doc = NULL;
	xmlNode *root;
	int r;

	c.buf = buf;
	c.len = len;
	c.file = name;
	c.dir = dir && *dir ? dir : ".";
	c.opts = opts ? opts : &no_opts;
	c.arch = c.opts->arch ? c.opts->arch : "x86_64";
	c.err = err;
	if (len > VC_XMLCFG_FILE_MAX)
		return vc_errorf(err, VC_ERANGE, "%s: %zu bytes, at most %u", name, len,
				 VC_XMLCFG_FILE_MAX);
	/* libxml2 reads UTF-32 as "Document is empty"; and text after a NUL
	 * (e.g. past </image>) would be ignored unseen. UTF-16 has NULs. */
	const unsigned char *u = (const unsigned char *)buf;
	if (len >= 4 &&
	    ((!u[0] && !u[1] && ((u[2] == 0xFE && u[3] == 0xFF) || (!u[2] && u[3]))) ||
	     (u[0] == 0xFF && u[1] == 0xFE && !u[2] && !u[3]) || (u[0] && !u[1] && !u[2] && !u[3])))
		return vc_errorf(err, VC_EINVAL,
				 "%s: UTF-32 text; save the config as UTF-8 (or UTF-16)", name);
	bool utf16 =
	    len >= 2 && ((u[0] == 0xFE && u[1] == 0xFF) || (u[0] == 0xFF && u[1] == 0xFE) ||
			 (!u[0] && u[1]) || (u[0] && !u[1]));
	const char *nul = utf16 ? NULL : memchr(buf, 0, len);
	if (nul) {
		size_t line = 1;
		for (const char *p = buf; p < nul; p++)
			line += *p == '\n';
		return vc_errorf(err, VC_EINVAL,
				 "%s:%zu: a NUL byte at offset %zu: a config is text, and what "
				 "follows would be ignored",
				 name, line, (size_t)(nul - buf));
	}
	c.cfg = calloc(1, sizeof(*c.cfg));
	if (!c.cfg)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	c.cfg->timeout = -1;
	c.cfg->path = strdup(name);
	c.cfg->dir = strdup(c.dir);
	if (!c.cfg->path || !c.cfg->dir) {
		r = vc_errorf(err, VC_ENOMEM, "out of memory");
		goto out;
	}

	px = xmlNewParserCtxt();
	if (!px) {
		r = vc_errorf(err, VC_ENOMEM, "out of memory");
		goto out;
	}
	px->_private = &first;
	px->sax->serror = keep_first_error;
	px->sax->internalSubset = refuse_doctype;
	/* No network, no entity substitution, no DTD loading, no XInclude; and
	 * libxml2 keeps its own limits (no XML_PARSE_HUGE). */
	/* libxml2 reports encoding conversion and I/O errors through its global
	 * handler, which prints to stderr: catch them for this parse. */
	xmlSetStructuredErrorFunc(px, keep_first_error);
	doc = xmlCtxtReadMemory(px, buf, (int)len, name, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				    XML_PARSE_BIG_LINES);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (first.doctype || (doc && (doc->intSubset || doc->extSubset))) {
		r = vc_errorf(err, VC_EINVAL,
			      "%s:%ld: <!DOCTYPE>: not allowed (no DTDs, no entities)", name,
			      first.doctype ? (long)first.doctype_line : doctype_line(buf, len));
		goto out;
	}
	if (!doc || !px->wellFormed || first.set) {
		if (!first.set) {
			const xmlError *e = xmlCtxtGetLastError(px);
			keep_first_error(px, (xmlErrorPtr)e);
		}
		if (first.set && first.line == 0)
			r = vc_errorf(err, VC_EINVAL, "%s: not in its declared encoding: %s", name,
				      first.msg);
		else
			r = vc_errorf(err, VC_EINVAL, "%s:%d: malformed XML: %s", name, first.line,
				      first.set ? first.msg : "not well-formed");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!root) {
		r = vc_errorf(err, VC_EINVAL, "%s:1: no root element", name);
		goto out;
	}
	if (check_plain(&c, root) < 0) {
		r = err->code;
		goto out;
	}
	if (!xc_is(root, "image")) {
		r = xc_fail(&c, root, NULL, VC_EINVAL, "the root element must be <image>");
		goto out;
	}
	r = parse_image(&c, root);
	if (!xc_fatal(r) && (c.errors.n || c.n_more))
		r = all_errors(&c);
	if (r < 0)
		goto out;
	*ret = c.cfg;
	c.cfg = NULL;
	r = 0;
out:
	xc_strv_free(&c.noted);
	xc_strv_free(&c.errors);
	vc_xmlcfg_free(c.cfg);
	if (doc)
		xmlFreeDoc(doc);
	if (px)
		xmlFreeParserCtxt(px);
	return r;
}

int vc_xmlcfg_load(const char *path, const struct vc_xmlcfg_options *opts, struct vc_config **ret,
		   struct vc_error *err)
{
	struct stat st;
	char *buf = NULL, *dir = NULL;
	size_t got = 0;
	int fd, r;

	fd = vc_open_input(path, O_RDONLY, NULL, err);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		r = vc_errorf_errno(err, VC_EIO, errno, "%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = vc_errorf(err, VC_EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > VC_XMLCFG_FILE_MAX) {
		r = vc_errorf(err, VC_ERANGE, "%s: %lld bytes, at most %u", path,
			      (long long)st.st_size, VC_XMLCFG_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = vc_errorf(err, VC_ENOMEM, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = vc_errorf_errno(err, VC_EIO, errno, "%s", path);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	dir = strdup(path);
	if (!dir) {
		r = vc_errorf(err, VC_ENOMEM, "out of memory");
		goto out;
	}
	char *slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	r = vc_xmlcfg_parse(buf, got, path, dir, opts, ret, err);
out:
	free(buf);
	free(dir);
	close(fd);
	return r;
}
