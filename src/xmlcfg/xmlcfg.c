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

#define XC_PROFILES_MAX 256

struct xc_profile {
	xmlNode *node;
	const char *name;
	bool import;
	bool available; /* its arch matches */
	bool selected;
};

struct ctx {
	const char *buf; /* the document, for the lines of start tags and attributes */
	size_t len;
	const char *file; /* for messages */
	const char *dir;  /* relative host paths start here */
	const char *arch;
	const struct vc_xmlcfg_options *opts;
	struct vc_config *cfg;
	struct vc_error *err;
	struct vc_strv noted; /* keys of the notes already made */
	struct xc_profile profiles[XC_PROFILES_MAX];
	size_t n_profiles;
};

/* ---- messages ---------------------------------------------------------- */

static long line_of(const xmlNode *n)
{
	return n ? xmlGetLineNo(n) : 0;
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
static long src_line(const struct ctx *c, const xmlNode *n, const char *an)
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
static const char *attr(const xmlNode *n, const char *name)
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

/* "FILE:LINE: <elem attr="value">: MSG" */
static int fail(struct ctx *c, const xmlNode *n, const char *an, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(struct ctx *c, const xmlNode *n, const char *an, int code, const char *fmt, ...)
{
	char msg[sizeof(c->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (an) {
		const char *v = attr(n, an);
		if (v)
			return vc_errorf(c->err, code, "%s:%ld: <%s %s=\"%.120s\">: %s", c->file,
					 src_line(c, n, an), elem_name(n), an, v, msg);
		return vc_errorf(c->err, code, "%s:%ld: <%s %s>: %s", c->file, src_line(c, n, NULL),
				 elem_name(n), an, msg);
	}
	return vc_errorf(c->err, code, "%s:%ld: <%s>: %s", c->file, src_line(c, n, NULL),
			 elem_name(n), msg);
}

/* Adds "FILE:LINE: <elem attr="value">" before an inner error. */
static int prefix(struct ctx *c, const xmlNode *n, const char *an)
{
	const char *v = an ? attr(n, an) : NULL;

	if (v)
		vc_error_prefix(c->err, "%s:%ld: <%s %s=\"%.120s\">", c->file, src_line(c, n, an),
				elem_name(n), an, v);
	else
		vc_error_prefix(c->err, "%s:%ld: <%s>", c->file, src_line(c, n, NULL),
				elem_name(n));
	return c->err->code;
}

/* One note per key: "FILE:LINE: WHAT: WHY". */
static int note(struct ctx *c, const char *key, long line, const char *what, const char *why)
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
		return vc_errorf(c->err, VC_ENOMEM, "out of memory");
	r = xc_strv_add(&c->cfg->notes, s, c->err);
	free(s);
	return r;
}

static int note_element(struct ctx *c, const xmlNode *n, const char *why)
{
	char what[128];

	snprintf(what, sizeof(what), "<%s>", elem_name(n));
	return note(c, what, src_line(c, n, NULL), what, why);
}

static int note_attr(struct ctx *c, const xmlNode *n, const char *an, const char *why)
{
	char what[160];

	snprintf(what, sizeof(what), "<%s %s>", elem_name(n), an);
	return note(c, what, src_line(c, n, an), what, why);
}

/* ---- attribute checks -------------------------------------------------- */

static bool in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

/* Every attribute of n must be in `used` or in `ignored` (noted once each);
 * anything else is an error. Namespaced attributes (xsi:...) are skipped. */
static int check_attrs_also(struct ctx *c, const xmlNode *n, const char *const *used,
			    const char *const *also, const char *const *ignored,
			    const char *why_ignored)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		const char *an = (const char *)a->name;
		if (a->ns)
			continue;
		if (in_list(used, an) || in_list(also, an))
			continue;
		if (in_list(ignored, an)) {
			if (note_attr(c, n, an, why_ignored) < 0)
				return c->err->code;
			continue;
		}
		return fail(
		    c, n, an, VC_EINVAL,
		    "unknown attribute (neither KIWI's schema nor vcompose define it here)");
	}
	return 0;
}

static int check_attrs(struct ctx *c, const xmlNode *n, const char *const *used,
		       const char *const *ignored, const char *why_ignored)
{
	return check_attrs_also(c, n, used, NULL, ignored, why_ignored);
}

/* Refuses entity references and over-long values anywhere in the subtree;
 * makes every attribute value a single text node (or none). */
static int check_plain(struct ctx *c, const xmlNode *n)
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
				return fail(c, k, (const char *)a->name, VC_EINVAL,
					    "entity references are not allowed");
			if (a->children &&
			    strlen((const char *)a->children->content) > VC_XMLCFG_VALUE_MAX)
				return fail(c, k, (const char *)a->name, VC_ERANGE,
					    "value longer than %u bytes", VC_XMLCFG_VALUE_MAX);
		}
		if (k->ns && k->ns->href &&
		    (!strcmp((const char *)k->ns->href, "http://www.w3.org/2001/XInclude") ||
		     !strcmp((const char *)k->ns->href, "http://www.w3.org/2003/XInclude")))
			return fail(c, k, NULL, VC_EUNSUPP, "XInclude is not supported");
		if (check_plain(c, k->children) < 0)
			return c->err->code;
	}
	return 0;
}

static int parse_bool(struct ctx *c, const xmlNode *n, const char *an, bool *ret)
{
	const char *v = attr(n, an);

	if (!v)
		return 0;
	if (!strcmp(v, "true") || !strcmp(v, "1"))
		*ret = true;
	else if (!strcmp(v, "false") || !strcmp(v, "0"))
		*ret = false;
	else
		return fail(c, n, an, VC_EINVAL, "expected \"true\" or \"false\"");
	return 0;
}

/* Decimal, no sign, no suffix, in [min, max]. */
static int parse_uint(struct ctx *c, const xmlNode *n, const char *an, uint64_t min, uint64_t max,
		      const char *unit, uint64_t *ret)
{
	const char *v = attr(n, an);
	uint64_t x = 0;

	if (!v)
		return 0;
	if (!*v)
		return fail(c, n, an, VC_EINVAL, "expected a number of %s", unit);
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return fail(c, n, an, VC_EINVAL, "expected a decimal number of %s", unit);
		if (x > (UINT64_MAX - 9) / 10)
			return fail(c, n, an, VC_ERANGE, "number too large");
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (x < min || x > max)
		return fail(c, n, an, VC_ERANGE, "%s out of range: %llu..%llu expected", unit,
			    (unsigned long long)min, (unsigned long long)max);
	*ret = x;
	return 0;
}

static int dup_attr(struct ctx *c, const xmlNode *n, const char *an, char **ret)
{
	const char *v = attr(n, an);

	if (!v)
		return 0;
	free(*ret);
	*ret = strdup(v);
	if (!*ret)
		return vc_errorf(c->err, VC_ENOMEM, "out of memory");
	return 0;
}

static int resolve(struct ctx *c, const xmlNode *n, const char *an, char **ret)
{
	const char *v = attr(n, an);
	char *p = NULL;

	if (!v)
		return 0;
	if (xc_resolve_path(c->dir, v, &p, c->err) < 0)
		return prefix(c, n, an);
	free(*ret);
	*ret = p;
	return 0;
}

/* Splits a whitespace-separated list into out (unique, in order); each
 * item checked by ok(). */
static int split_list(struct ctx *c, const xmlNode *n, const char *an, bool (*ok)(const char *),
		      const char *what, struct vc_strv *out)
{
	const char *v = attr(n, an);
	char item[VC_XMLCFG_VALUE_MAX + 1];
	size_t count = 0;

	if (!v)
		return fail(c, n, NULL, VC_EINVAL, "attribute %s is required", an);
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
			return fail(c, n, an, VC_EINVAL, "'%.100s' is not a valid %s", item, what);
		if (++count > VC_XMLCFG_LIST_MAX)
			return fail(c, n, an, VC_ERANGE, "more than %u items", VC_XMLCFG_LIST_MAX);
		if (xc_strv_add_unique(out, item, c->err) < 0)
			return prefix(c, n, an);
	}
	if (!count)
		return fail(c, n, an, VC_EINVAL, "empty list of %ss", what);
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

#define FOR_ELEMENTS(k, parent)                                                                    \
	for (xmlNode *k = (parent)->children; k; k = k->next)                                      \
		if (k->type == XML_ELEMENT_NODE)

static bool is(const xmlNode *n, const char *name)
{
	return !n->ns && !strcmp((const char *)n->name, name);
}

static int unknown_element(struct ctx *c, const xmlNode *n, const xmlNode *parent)
{
	return fail(c, n, NULL, VC_EINVAL, "unknown element inside <%s>", elem_name(parent));
}

/* KIWI attributes of <type> that vcompose cannot honour: refusing beats
 * silently building something else. */
static const char *const type_unsupported[] = {
    "luks",
    "mdraid",
    "standalone_integrity",
    "embed_integrity_metadata",
    "spare_part",
    "boot",
    "root_clone",
    "boot_clone",
    "gpt_hybrid_mbr",
    "force_mbr",
    "bootpartition",
    "efiparttable",
    "eficsm",
    "delta_root",
    NULL,
};

/* KIWI attributes of <type> that change nothing in what vcompose writes. */
static const char *const type_ignored[] = {
    "archive",
    "eficsmpart_id",
    "efipart_id",
    "rootpart_id",
    "bootpart_id",
    "bootfilesystem",
    "bootkernel",
    "bootpartsize",
    "efifatimagesize",
    "dosparttable_extended_layout",
    "bootprofile",
    "btrfs_quota_groups",
    "btrfs_root_is_snapper_snapshot",
    "btrfs_root_is_subvolume",
    "btrfs_set_default_volume",
    "btrfs_root_is_readonly_snapshot",
    "compressed",
    "devicepersistency",
    "editbootconfig",
    "editbootinstall",
    "flags",
    "enclave_format",
    "format",
    "formatoptions",
    "fsmountoptions",
    "fscreateoptions",
    "squashfscompression",
    "gcelicense",
    "hybridpersistent",
    "hybridpersistent_filesystem",
    "metadata_path",
    "installboot",
    "install_continue_on_timeout",
    "installprovidefailsafe",
    "installiso",
    "installstick",
    "installpxe",
    "mediacheck",
    "ramonly",
    "target_blocksize",
    "target_removable",
    "selinux_policy",
    "vhdfixedtag",
    "volid",
    "application_id",
    "wwid_wait_timeout",
    "derived_from",
    "provide_system_files",
    "require_system_files",
    "ensure_empty_tmpdirs",
    "xen_server",
    "publisher",
    "disk_start_sector",
    "bundle_format",
    /* names of older schema versions that KIWI converts (kiwi/xsl/convert*.xsl) */
    "btrfs_root_is_snapshot",
    "vga",
    NULL,
};

static const char *const type_used[] = {
    "image",
    "primary",
    "filesystem",
    "erofscompression",
    "firmware",
    "efipartsize",
    "verity_blocks",
    "embed_verity_metadata",
    "initrd_system",
    "kernelcmdline",
    "rootfs_label",
    "overlayroot",
    "overlayroot_readonly_filesystem",
    "overlayroot_write_partition",
    "overlayroot_readonly_partsize",
    /* vcompose's own (DESIGN.md "The config") */
    "verity_partition",
    "veritypartsize",
    "verity_signature_required",
    "verity_signature_key",
    "verity_signature_cert",
    "seed",
    "initrd_file",
    NULL,
};

static int parse_dracut_ours(struct ctx *c, xmlNode *d)
{
	struct vc_config_dracut *dr = &c->cfg->dracut;
	bool seen_uki = false;

	if (check_attrs(c, d, NULL, NULL, NULL) < 0)
		return c->err->code;
	FOR_ELEMENTS(k, d)
	{
		static const char *const paths[] = {"paths", NULL};
		static const char *const names[] = {"names", NULL};
		static const char *const modules[] = {"modules", NULL};
		int r = 0;

		if (is(k, "install")) {
			r = check_attrs(c, k, paths, NULL, NULL);
			if (!r)
				r = split_list(c, k, "paths", ok_tree_path,
					       "absolute path in the tree", &dr->install);
		} else if (is(k, "filesystems")) {
			r = check_attrs(c, k, names, NULL, NULL);
			if (!r)
				r = split_list(c, k, "names", ok_name, "filesystem name",
					       &dr->filesystems);
		} else if (is(k, "add_drivers") || is(k, "force_drivers") ||
			   is(k, "omit_drivers")) {
			struct vc_strv *out = is(k, "add_drivers")     ? &dr->add_drivers
					      : is(k, "force_drivers") ? &dr->force_drivers
								       : &dr->omit_drivers;
			r = check_attrs(c, k, names, NULL, NULL);
			if (!r)
				r = split_list(c, k, "names", ok_name, "driver name", out);
		} else if (is(k, "add") || is(k, "omit")) {
			r = check_attrs(c, k, modules, NULL, NULL);
			if (!r)
				r = split_list(c, k, "modules", ok_name, "dracut module name",
					       is(k, "add") ? &dr->add_modules : &dr->omit_modules);
		} else if (is(k, "uki")) {
			if (seen_uki)
				return fail(c, k, NULL, VC_EINVAL, "given twice");
			seen_uki = true;
			r = check_attrs(c, k, NULL, NULL, NULL);
			FOR_ELEMENTS(kk, k)
			{
				static const char *const name[] = {"name", NULL};
				if (!is(kk, "kernel"))
					return unknown_element(c, kk, k);
				if (dr->uki_kernel)
					return fail(c, kk, NULL, VC_EINVAL,
						    "only one kernel per UKI");
				if (check_attrs(c, kk, name, NULL, NULL) < 0)
					return c->err->code;
				const char *v = attr(kk, "name");
				if (!v)
					return fail(c, kk, NULL, VC_EINVAL,
						    "attribute name is required");
				if (!xc_is_name(v, false) || strlen(v) > 255)
					return fail(c, kk, "name", VC_EINVAL,
						    "expected a kernel file name (no '/')");
				if (dup_attr(c, kk, "name", &dr->uki_kernel) < 0)
					return c->err->code;
			}
		} else {
			return unknown_element(c, k, d);
		}
		if (r < 0)
			return c->err->code;
	}
	return 0;
}

static int parse_bootloader(struct ctx *c, xmlNode *b)
{
	static const char *const used[] = {"name", "console", "timeout", "output_console", NULL};
	static const char *const ignored[] = {
	    "bls",	  "input_console",     "serial_line",	"video_mode", "timeout_style",
	    "targettype", "use_disk_password", "grub_template", NULL};
	struct vc_config *cfg = c->cfg;
	const char *v;

	if (check_attrs(c, b, used, ignored,
			"ignored (GRUB settings; vcompose uses systemd-boot)") < 0)
		return c->err->code;
	v = attr(b, "name");
	if (!v)
		return fail(c, b, NULL, VC_EINVAL, "attribute name is required");
	if (!strcmp(v, "systemd_boot"))
		cfg->bootloader = VC_CONFIG_BOOT_SYSTEMD_BOOT;
	else if (!strcmp(v, "custom"))
		cfg->bootloader = VC_CONFIG_BOOT_NONE;
	else if (!strcmp(v, "grub2") || !strcmp(v, "grub2_s390x_emu") || !strcmp(v, "zipl"))
		return fail(c, b, "name", VC_EUNSUPP,
			    "vcompose installs systemd-boot (\"systemd_boot\") or the UKI alone "
			    "(\"custom\")");
	else
		return fail(c, b, "name", VC_EINVAL,
			    "expected one of grub2, grub2_s390x_emu, systemd_boot, custom, zipl");

	/* console: vcompose's "serial|console|none", which is also KIWI's pre-8.4
	 * bootloader console ("OUTPUT [INPUT]" GRUB terminal names, now
	 * output_console): serial anywhere wins, else a screen console. */
	const char *cn = attr(b, "console")	     ? "console"
			 : attr(b, "output_console") ? "output_console"
						     : NULL;
	if (cn) {
		static const char *const terms[] = {
		    "none",  "console",	 "gfxterm",	"serial",	"vga_text", "mda_text",
		    "morse", "spkmodem", "at_keyboard", "usb_keyboard", NULL};
		char buf[VC_XMLCFG_VALUE_MAX + 1];
		bool serial = false, screen = false, any = false;
		snprintf(buf, sizeof(buf), "%s", attr(b, cn));
		for (char *save = NULL, *w = strtok_r(buf, " ", &save); w;
		     w = strtok_r(NULL, " ", &save)) {
			if (!in_list(terms, w))
				return fail(c, b, cn, VC_EINVAL,
					    "'%.40s': expected \"serial\", \"console\" or \"none\" "
					    "(or KIWI's GRUB terminal names)",
					    w);
			any = true;
			serial = serial || !strcmp(w, "serial");
			screen = screen || !strcmp(w, "console") || !strcmp(w, "gfxterm") ||
				 !strcmp(w, "vga_text");
		}
		if (!any)
			return fail(c, b, cn, VC_EINVAL, "empty");
		cfg->console = serial	? VC_CONFIG_CONSOLE_SERIAL
			       : screen ? VC_CONFIG_CONSOLE_VGA
					: VC_CONFIG_CONSOLE_DEFAULT;
	}
	uint64_t t = 0;
	if (attr(b, "timeout")) {
		if (parse_uint(c, b, "timeout", 0, 600, "seconds", &t) < 0)
			return c->err->code;
		cfg->timeout = (int)t;
	}
	FOR_ELEMENTS(k, b)
	{
		if (is(k, "dracut")) {
			if (parse_dracut_ours(c, k) < 0)
				return c->err->code;
		} else if (is(k, "bootloadersettings") || is(k, "securelinux")) {
			if (note_element(c, k, "ignored (GRUB and secure-execution settings)") < 0)
				return c->err->code;
		} else {
			return unknown_element(c, k, b);
		}
	}
	return 0;
}

/* KIWI's <initrd action="add|omit|set|setup"><dracut module driver uefi/>. */
static int parse_initrd(struct ctx *c, xmlNode *i)
{
	static const char *const used[] = {"action", NULL};
	static const char *const dused[] = {"module", "driver", "uefi", NULL};
	struct vc_config_dracut *dr = &c->cfg->dracut;
	const char *action;

	if (check_attrs(c, i, used, NULL, NULL) < 0)
		return c->err->code;
	action = attr(i, "action");
	if (!action)
		return fail(c, i, NULL, VC_EINVAL, "attribute action is required");
	if (strcmp(action, "add") && strcmp(action, "omit") && strcmp(action, "set") &&
	    strcmp(action, "setup"))
		return fail(c, i, "action", VC_EINVAL,
			    "expected \"add\", \"omit\", \"set\" or \"setup\"");
	FOR_ELEMENTS(k, i)
	{
		const char *m, *d;
		bool uefi = false;

		if (!is(k, "dracut"))
			return unknown_element(c, k, i);
		if (check_attrs(c, k, dused, NULL, NULL) < 0 || parse_bool(c, k, "uefi", &uefi) < 0)
			return c->err->code;
		m = attr(k, "module");
		d = attr(k, "driver");
		if (m && !ok_name(m))
			return fail(c, k, "module", VC_EINVAL, "not a valid dracut module name");
		if (d && !ok_name(d))
			return fail(c, k, "driver", VC_EINVAL, "not a valid driver name");
		if (!strcmp(action, "setup")) {
			if (m || d)
				return fail(
				    c, k, m ? "module" : "driver", VC_EINVAL,
				    "<initrd action=\"setup\"> takes only uefi=\"true|false\"");
			dr->uefi = uefi;
			continue;
		}
		if (attr(k, "uefi"))
			return fail(c, k, "uefi", VC_EINVAL,
				    "uefi belongs in <initrd action=\"setup\">");
		if (!m && !d)
			return fail(c, k, NULL, VC_EINVAL, "needs a module or a driver attribute");
		int r = 0;
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
				return fail(c, k, "driver", VC_EINVAL,
					    "<initrd action=\"set\"> lists modules only");
			r = xc_strv_add_unique(&dr->set_modules, m, c->err);
		}
		if (r < 0)
			return prefix(c, k, NULL);
	}
	return 0;
}

static int parse_oemconfig(struct ctx *c, xmlNode *o)
{
	if (check_attrs(c, o, NULL, NULL, NULL) < 0)
		return c->err->code;
	FOR_ELEMENTS(k, o)
	{
		if (is(k, "oem-boot-title")) {
			xmlChar *t = xmlNodeGetContent(k);
			if (!t)
				return vc_errorf(c->err, VC_ENOMEM, "out of memory");
			if (xc_has_control((const char *)t) || !*t ||
			    strlen((const char *)t) > 128) {
				xmlFree(t);
				return fail(c, k, NULL, VC_EINVAL,
					    "expected a title of 1..128 printable characters");
			}
			free(c->cfg->boot_title);
			c->cfg->boot_title = strdup((const char *)t);
			xmlFree(t);
			if (!c->cfg->boot_title)
				return vc_errorf(c->err, VC_ENOMEM, "out of memory");
		} else if (!strncmp(elem_name(k), "oem-", 4) && !k->ns) {
			if (note_element(c, k, "ignored (a KIWI install/first-boot setting)") < 0)
				return c->err->code;
		} else {
			return unknown_element(c, k, o);
		}
	}
	return 0;
}

/* Placeholders in kernelcmdline: only <data_device>, <hash_device>, <hash>. */
static int parse_cmdline(struct ctx *c, const xmlNode *t)
{
	const char *v = attr(t, "kernelcmdline");
	struct vc_config *cfg = c->cfg;

	if (!v)
		v = "";
	if (xc_has_control(v))
		return fail(c, t, "kernelcmdline", VC_EINVAL, "control characters are not allowed");
	for (const char *p = v; (p = strchr(p, '<')); p++) {
		const char *e = strchr(p, '>');
		if (!e)
			return fail(c, t, "kernelcmdline", VC_EINVAL, "'<' without '>'");
		size_t len = (size_t)(e - p + 1);
		if (len == 13 && !strncmp(p, "<data_device>", len))
			cfg->cmdline_placeholders |= VC_CONFIG_CMDLINE_DATA_DEVICE;
		else if (len == 13 && !strncmp(p, "<hash_device>", len))
			cfg->cmdline_placeholders |= VC_CONFIG_CMDLINE_HASH_DEVICE;
		else if (len == 6 && !strncmp(p, "<hash>", len))
			cfg->cmdline_placeholders |= VC_CONFIG_CMDLINE_HASH;
		else
			return fail(c, t, "kernelcmdline", VC_EINVAL,
				    "unknown placeholder '%.*s' (known: <data_device>, "
				    "<hash_device>, <hash>)",
				    (int)(len > 40 ? 40 : len), p);
	}
	/* roothash= is ours to add. */
	for (const char *p = v; (p = strstr(p, "roothash=")); p++)
		if (p == v || p[-1] == ' ')
			return fail(c, t, "kernelcmdline", VC_EINVAL,
				    "roothash= is added by vcompose; remove it");
	cfg->kernelcmdline = strdup(v);
	if (!cfg->kernelcmdline)
		return vc_errorf(c->err, VC_ENOMEM, "out of memory");
	return 0;
}

static int parse_compression(struct ctx *c, const xmlNode *t)
{
	const char *v = attr(t, "erofscompression");
	struct vc_config *cfg = c->cfg;

	if (!v || !strcmp(v, "none") || !strcmp(v, "uncompressed")) {
		cfg->compress = VC_CONFIG_COMPRESS_NONE;
		return 0;
	}
	if (!strcmp(v, "lz4")) {
		cfg->compress = VC_CONFIG_COMPRESS_LZ4;
		return 0;
	}
	if (!strncmp(v, "lz4hc", 5)) {
		cfg->compress = VC_CONFIG_COMPRESS_LZ4HC;
		if (!v[5])
			return 0;
		/* "lz4hc,9" (mkfs.erofs -z syntax, what KIWI passes) or "lz4hc:9" */
		if ((v[5] == ',' || v[5] == ':') && v[6] >= '1' && v[6] <= '9') {
			unsigned lvl = (unsigned)(v[6] - '0');
			if (v[7] >= '0' && v[7] <= '9' && !v[8])
				lvl = lvl * 10 + (unsigned)(v[7] - '0');
			else if (v[7])
				lvl = 0;
			if (lvl >= 1 && lvl <= 12) {
				cfg->compress_level = lvl;
				return 0;
			}
		}
		return fail(c, t, "erofscompression", VC_EINVAL, "lz4hc level must be 1..12");
	}
	if (!strncmp(v, "lzma", 4) || !strncmp(v, "deflate", 7) || !strncmp(v, "zstd", 4))
		return fail(c, t, "erofscompression", VC_EUNSUPP,
			    "vcompose compresses EROFS with lz4 or lz4hc only");
	return fail(c, t, "erofscompression", VC_EINVAL,
		    "expected none, lz4, lz4hc or lz4hc,LEVEL");
}

/* ---- writable state: overlayroot, <size>, <partitions> ----------------- */

/* The file systems vcompose can make reproducibly (mke2fs -d, see
 * docs/partitions.md); the others KIWI knows, refused with the reason. */
static int parse_fs(struct ctx *c, const xmlNode *n, const char *an, enum vc_config_fs *ret)
{
	const char *v = attr(n, an);

	if (!v)
		return 0;
	if (!strcmp(v, "ext2"))
		*ret = VC_CONFIG_FS_EXT2;
	else if (!strcmp(v, "ext3"))
		*ret = VC_CONFIG_FS_EXT3;
	else if (!strcmp(v, "ext4"))
		*ret = VC_CONFIG_FS_EXT4;
	else if (!strcmp(v, "xfs") || !strcmp(v, "btrfs"))
		return fail(c, n, an, VC_EUNSUPP,
			    "not supported: vcompose makes writable file systems with e2fsprogs, "
			    "whose times, UUIDs and hash seed can be fixed for reproducible "
			    "bytes (mkfs.%s cannot); use ext4",
			    v);
	else if (!strcmp(v, "erofs") || !strcmp(v, "squashfs"))
		return fail(c, n, an, VC_EUNSUPP,
			    "%s is read-only: a writable partition needs ext2, ext3 or ext4", v);
	else if (!strcmp(v, "fat16") || !strcmp(v, "fat32") || !strcmp(v, "swap"))
		return fail(c, n, an, VC_EUNSUPP,
			    "not supported on an extra partition (ext2, ext3 or ext4)");
	else
		return fail(c, n, an, VC_EINVAL, "expected ext2, ext3 or ext4");
	return 0;
}

static int parse_overlayroot(struct ctx *c, xmlNode *t)
{
	struct vc_config *cfg = c->cfg;

	cfg->overlayroot = true;
	cfg->overlay_write_partition = true;
	cfg->overlay_fs = VC_CONFIG_FS_EXT4;
	if (parse_bool(c, t, "overlayroot_write_partition", &cfg->overlay_write_partition) < 0 ||
	    parse_uint(c, t, "overlayroot_readonly_partsize", 1, VC_XMLCFG_PART_MIB_MAX, "MiB",
		       &cfg->overlay_readonly_mib) < 0)
		return c->err->code;
	/* KIWI: filesystem names the write partition's file system here */
	if (!attr(t, "filesystem"))
		return cfg->overlay_write_partition
			   ? fail(c, t, NULL, VC_EINVAL,
				  "with overlayroot=\"true\" attribute filesystem names the write "
				  "partition's file system (filesystem=\"ext4\")")
			   : 0;
	if (!cfg->overlay_write_partition)
		return note_attr(c, t, "filesystem",
				 "ignored (overlayroot_write_partition=\"false\": the overlay "
				 "is on tmpfs)");
	return parse_fs(c, t, "filesystem", &cfg->overlay_fs);
}

/* "N" (unit), "NM", "NG" or, when fill is not NULL, "all". */
static int parse_mib(struct ctx *c, const xmlNode *n, const char *v, const char *an,
		     uint64_t unit_mib, uint64_t *ret, bool *fill)
{
	uint64_t x = 0;
	const char *p = v;

	if (fill && !strcmp(v, "all")) {
		*fill = true;
		*ret = 0;
		return 0;
	}
	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > VC_XMLCFG_DISK_MIB_MAX)
			goto range;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (*p == 'M' && !p[1])
		unit_mib = 1;
	else if (*p == 'G' && !p[1])
		unit_mib = 1024;
	else if (*p)
		goto bad;
	if (x > VC_XMLCFG_DISK_MIB_MAX || x * unit_mib > VC_XMLCFG_DISK_MIB_MAX)
		goto range;
	*ret = x * unit_mib;
	return 0;
bad:
	if (an)
		return fail(c, n, an, VC_EINVAL, "expected N (MiB), NM, NG%s",
			    fill ? " or \"all\"" : "");
	return fail(c, n, NULL, VC_EINVAL, "expected a number of %s",
		    unit_mib == 1 ? "MiB" : "GiB");
range:
	if (an)
		return fail(c, n, an, VC_ERANGE, "larger than %u MiB", VC_XMLCFG_DISK_MIB_MAX);
	return fail(c, n, NULL, VC_ERANGE, "larger than %u MiB", VC_XMLCFG_DISK_MIB_MAX);
}

/* <size unit="M|G" additive="true|false" unpartitioned="N">N</size> */
static int parse_size(struct ctx *c, xmlNode *k)
{
	static const char *const used[] = {"unit", "additive", "unpartitioned", NULL};
	struct vc_config *cfg = c->cfg;
	const char *unit = attr(k, "unit");
	uint64_t u = 1, x = 0;
	char text[64];
	xmlChar *content;

	if (check_attrs(c, k, used, NULL, NULL) < 0)
		return c->err->code;
	if (unit && !strcmp(unit, "G"))
		u = 1024;
	else if (unit && strcmp(unit, "M"))
		return fail(c, k, "unit", VC_EINVAL, "expected \"M\" or \"G\"");
	if (parse_bool(c, k, "additive", &cfg->disk_additive) < 0 ||
	    parse_uint(c, k, "unpartitioned", 0, VC_XMLCFG_DISK_MIB_MAX, unit ? unit : "M", &x) < 0)
		return c->err->code;
	content = xmlNodeGetContent(k);
	if (!content)
		return vc_errorf(c->err, VC_ENOMEM, "out of memory");
	size_t len = strlen((const char *)content), a = 0;
	while (a < len && strchr(" \t\r\n", content[a]))
		a++;
	while (len > a && strchr(" \t\r\n", content[len - 1]))
		len--;
	snprintf(text, sizeof(text), "%.*s", (int)(len - a), (const char *)content + a);
	bool too_long = len - a >= sizeof(text);
	xmlFree(content);
	if (too_long || strpbrk(text, "MG") ||
	    parse_mib(c, k, text, NULL, u, &cfg->disk_mib, NULL) < 0)
		return too_long || strpbrk(text, "MG")
			   ? fail(c, k, NULL, VC_EINVAL, "expected a number of %s",
				  u == 1 ? "MiB" : "GiB")
			   : c->err->code;
	if (cfg->disk_mib == 0 && !cfg->disk_additive)
		return fail(c, k, NULL, VC_EINVAL, "a disk of 0 MiB");
	if (x * u > VC_XMLCFG_DISK_MIB_MAX)
		return fail(c, k, "unpartitioned", VC_ERANGE, "too large");
	cfg->unpartitioned_mib = x * u;
	if (!cfg->disk_additive && cfg->unpartitioned_mib > cfg->disk_mib)
		return fail(c, k, "unpartitioned", VC_EINVAL,
			    "larger than the disk (KIWI's rule: unpartitioned <= size)");
	cfg->size_line = (unsigned)src_line(c, k, NULL);
	return 0;
}

/* A mount point: absolute, normalised (no "//", ".", "..", trailing '/'),
 * printable without blanks or '\\' (it goes into /etc/fstab), not "/". */
static bool ok_mountpoint(const char *s)
{
	if (s[0] != '/' || !s[1] || strlen(s) > 1024 || s[strlen(s) - 1] == '/')
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '\\' || *p == '#')
			return false;
	for (const char *p = s; *p; p++) {
		if (*p != '/')
			continue;
		if (p[1] == '/' || (p[1] == '.' && (p[2] == '/' || !p[2])) ||
		    (p[1] == '.' && p[2] == '.' && (p[3] == '/' || !p[3])))
			return false;
	}
	return true;
}

static int parse_partition(struct ctx *c, xmlNode *k, struct vc_config_partition *p)
{
	static const char *const used[] = {
	    "name",	      "size",		"mountpoint", "filesystem", "label",
	    "partition_name", "partition_type", "part_id",    "clone",	    NULL};
	static const char *const reserved[] = {"root", "readonly", "boot", "prep", "spare",
					       "swap", "efi_csm",  "efi",  NULL};
	const char *v;

	p->line = (unsigned)src_line(c, k, NULL);
	if (check_attrs(c, k, used, NULL, NULL) < 0)
		return c->err->code;
	v = attr(k, "name");
	if (!v)
		return fail(c, k, NULL, VC_EINVAL, "attribute name is required");
	if (!xc_is_name(v, false) || strlen(v) > 32)
		return fail(c, k, "name", VC_EINVAL, "expected 1..32 of [A-Za-z0-9._+-]");
	if (in_list(reserved, v))
		return fail(c, k, "name", VC_EINVAL,
			    "a reserved name (KIWI's: root readonly boot prep spare swap efi_csm "
			    "efi)");
	for (size_t i = 0; i < c->cfg->n_parts && &c->cfg->parts[i] != p; i++)
		if (!strcmp(c->cfg->parts[i].name, v))
			return fail(c, k, "name", VC_EINVAL, "given twice");
	if (dup_attr(c, k, "name", &p->name) < 0)
		return c->err->code;
	v = attr(k, "size");
	if (!v)
		return fail(c, k, NULL, VC_EINVAL, "attribute size is required");
	if (parse_mib(c, k, v, "size", 1, &p->size_mib, &p->fill) < 0)
		return c->err->code;
	if (!p->fill && p->size_mib == 0)
		return fail(c, k, "size", VC_EINVAL, "a partition of 0 MiB");
	v = attr(k, "mountpoint");
	if (v && !strcmp(v, "/"))
		return fail(c, k, "mountpoint", VC_EINVAL,
			    "/ is the root file system, not an extra partition");
	if (v && !ok_mountpoint(v))
		return fail(c, k, "mountpoint", VC_EINVAL,
			    "expected an absolute, normalised path inside the tree (no \"..\", "
			    "\".\", \"//\", blanks, '\\\\' or '#')");
	for (size_t i = 0; v && i < c->cfg->n_parts && &c->cfg->parts[i] != p; i++)
		if (c->cfg->parts[i].mountpoint && !strcmp(c->cfg->parts[i].mountpoint, v))
			return fail(c, k, "mountpoint", VC_EINVAL, "used by partition \"%s\" too",
				    c->cfg->parts[i].name);
	if (dup_attr(c, k, "mountpoint", &p->mountpoint) < 0 ||
	    parse_fs(c, k, "filesystem", &p->fs) < 0)
		return c->err->code;
	if (p->mountpoint && p->fs == VC_CONFIG_FS_NONE)
		return fail(c, k, "mountpoint", VC_EINVAL,
			    "a mounted partition needs filesystem=\"ext4\" (or ext2, ext3)");
	v = attr(k, "label");
	if (v && (!*v || strlen(v) > 16 || xc_has_control(v)))
		return fail(c, k, "label", VC_EINVAL,
			    "expected 1..16 printable bytes (an ext4 volume label)");
	if (v)
		p->label = strdup(v);
	else if (asprintf(&p->label, "%.16s", p->name) < 0)
		p->label = NULL;
	if (!p->label)
		return vc_errorf(c->err, VC_ENOMEM, "out of memory");
	if (!v) /* KIWI: the map name in upper case */
		for (char *q = p->label; *q; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 'a' + 'A');
	v = attr(k, "partition_name");
	if (v && (!*v || strlen(v) > 36 || xc_has_control(v)))
		return fail(c, k, "partition_name", VC_EINVAL,
			    "expected 1..36 printable characters (a GPT partition name)");
	if (v)
		p->partition_name = strdup(v);
	else if (asprintf(&p->partition_name, "p.lx%s", p->name) < 0)
		p->partition_name = NULL;
	if (!p->partition_name)
		return vc_errorf(c->err, VC_ENOMEM, "out of memory");
	v = attr(k, "partition_type");
	if (v && strcmp(v, "t.linux"))
		return fail(c, k, "partition_type", strcmp(v, "t.raid") ? VC_EINVAL : VC_EUNSUPP,
			    strcmp(v, "t.raid") ? "expected \"t.linux\""
						: "not supported by vcompose (no mdraid)");
	v = attr(k, "clone");
	if (v && strcmp(v, "0"))
		return fail(c, k, "clone", VC_EUNSUPP, "partition clones are not supported");
	if (attr(k, "part_id"))
		return fail(c, k, "part_id", VC_EUNSUPP,
			    "partition numbers are not supported yet: partitions follow the "
			    "root's in the order of the config");
	return 0;
}

static int parse_partitions(struct ctx *c, xmlNode *ps)
{
	struct vc_config *cfg = c->cfg;
	bool fill = false;

	if (check_attrs(c, ps, NULL, NULL, NULL) < 0)
		return c->err->code;
	FOR_ELEMENTS(k, ps)
	{
		if (!is(k, "partition"))
			return unknown_element(c, k, ps);
		if (cfg->n_parts >= VC_XMLCFG_PARTS_MAX)
			return fail(c, k, NULL, VC_ERANGE, "more than %u partitions",
				    VC_XMLCFG_PARTS_MAX);
		struct vc_config_partition *np =
		    realloc(cfg->parts, (cfg->n_parts + 1) * sizeof(*np));
		if (!np)
			return vc_errorf(c->err, VC_ENOMEM, "out of memory");
		cfg->parts = np;
		memset(&np[cfg->n_parts], 0, sizeof(*np));
		cfg->n_parts++;
		if (parse_partition(c, k, &np[cfg->n_parts - 1]) < 0)
			return c->err->code;
		if (np[cfg->n_parts - 1].fill) {
			if (fill)
				return fail(c, k, "size", VC_EINVAL,
					    "only one partition can take the rest of the disk");
			fill = true;
		}
	}
	return 0;
}

static int parse_type(struct ctx *c, xmlNode *t)
{
	struct vc_config *cfg = c->cfg;
	const char *v;

	cfg->type_line = (unsigned)src_line(c, t, NULL);
	for (size_t i = 0; type_unsupported[i]; i++) {
		const char *u = type_unsupported[i];
		v = attr(t, u);
		if (!v)
			continue;
		/* A feature that is switched off is harmless. */
		if (!strcmp(v, "false") || !strcmp(v, "0") ||
		    (!strcmp(u, "efiparttable") && !strcmp(v, "gpt")))
			continue;
		return fail(c, t, u, VC_EUNSUPP, "not supported by vcompose");
	}
	if (check_attrs_also(c, t, type_used, type_unsupported, type_ignored,
			     "ignored (no effect on what vcompose writes)") < 0)
		return c->err->code;
	for (size_t i = 0; type_unsupported[i]; i++)
		if (attr(t, type_unsupported[i]) &&
		    note_attr(c, t, type_unsupported[i], "ignored (switched off)") < 0)
			return c->err->code;

	/* image */
	v = attr(t, "image");
	if (!v)
		return fail(c, t, NULL, VC_EINVAL, "attribute image is required");
	if (!strcmp(v, "oem"))
		cfg->image = VC_CONFIG_IMAGE_OEM;
	else if (!strcmp(v, "ddi"))
		cfg->image = VC_CONFIG_IMAGE_DDI;
	else
		return fail(c, t, "image", VC_EUNSUPP,
			    "vcompose builds \"oem\" (a bootable disk) or \"ddi\" (a Discoverable "
			    "Disk Image)");
	bool oem = cfg->image == VC_CONFIG_IMAGE_OEM;

	/* root filesystem: EROFS, directly or as KIWI's overlayroot read-only part */
	bool overlay = false;
	if (parse_bool(c, t, "overlayroot", &overlay) < 0)
		return c->err->code;
	v = attr(t, "overlayroot_readonly_filesystem");
	if (v && strcmp(v, "erofs") && strcmp(v, "squashfs"))
		return fail(c, t, "overlayroot_readonly_filesystem", VC_EINVAL,
			    "expected \"squashfs\" or \"erofs\"");
	if (overlay) {
		if (!oem)
			return fail(c, t, "overlayroot", VC_EINVAL,
				    "a ddi is not booted: overlayroot needs image=\"oem\"");
		if (!v || strcmp(v, "erofs"))
			return fail(c, t, "overlayroot_readonly_filesystem", VC_EUNSUPP,
				    "with overlayroot=\"true\" vcompose needs "
				    "overlayroot_readonly_filesystem=\"erofs\"");
		if (parse_overlayroot(c, t) < 0)
			return c->err->code;
	} else {
		static const char *const ov[] = {"overlayroot_write_partition",
						 "overlayroot_readonly_partsize", NULL};
		for (size_t i = 0; ov[i]; i++)
			if (attr(t, ov[i]))
				return fail(c, t, ov[i], VC_EINVAL, "needs overlayroot=\"true\"");
		if (v && note_attr(c, t, "overlayroot_readonly_filesystem",
				   "ignored (overlayroot is not set)") < 0)
			return c->err->code;
		v = attr(t, "filesystem");
		if (!v && oem)
			return fail(c, t, NULL, VC_EINVAL,
				    "attribute filesystem is required (filesystem=\"erofs\")");
		if (v && strcmp(v, "erofs")) {
			static const char *const kiwi_fs[] = {"btrfs",	  "ext2", "ext3", "ext4",
							      "squashfs", "xfs",  NULL};
			if (in_list(kiwi_fs, v))
				return fail(
				    c, t, "filesystem", VC_EUNSUPP,
				    "vcompose writes an EROFS root only (filesystem=\"erofs\"); "
				    "for a writable root use overlayroot=\"true\" with "
				    "overlayroot_readonly_filesystem=\"erofs\"");
			return fail(c, t, "filesystem", VC_EINVAL,
				    "expected btrfs, ext2, ext3, ext4, squashfs, erofs or xfs");
		}
	}
	if (parse_compression(c, t) < 0)
		return c->err->code;

	/* firmware */
	v = attr(t, "firmware");
	cfg->efi = oem;
	if (v) {
		if (!strcmp(v, "efi") || !strcmp(v, "uefi")) {
			cfg->efi = true;
			if (!strcmp(v, "uefi") &&
			    note_attr(c, t, "firmware",
				      "\"uefi\" is treated as \"efi\" (no shim is installed)") < 0)
				return c->err->code;
		} else if (!strcmp(v, "bios") || !strcmp(v, "ec2") || !strcmp(v, "ofw") ||
			   !strcmp(v, "opal") || !strcmp(v, "custom")) {
			return fail(c, t, "firmware", VC_EUNSUPP,
				    "vcompose makes EFI disks only (firmware=\"efi\")");
		} else {
			return fail(c, t, "firmware", VC_EINVAL,
				    "expected bios, ec2, efi, uefi, ofw, opal or custom");
		}
		if (!oem && note_attr(c, t, "firmware", "ignored for a ddi (no ESP)") < 0)
			return c->err->code;
	}
	if (attr(t, "efipartsize")) {
		if (!oem)
			return fail(c, t, "efipartsize", VC_EINVAL,
				    "a ddi has no EFI system partition");
		if (parse_uint(c, t, "efipartsize", 1, VC_XMLCFG_PART_MIB_MAX, "MiB",
			       &cfg->efipart_mib) < 0)
			return c->err->code;
	}
	if (dup_attr(c, t, "rootfs_label", &cfg->rootfs_label) < 0)
		return c->err->code;
	if (cfg->rootfs_label && (!*cfg->rootfs_label || strlen(cfg->rootfs_label) > 36 ||
				  xc_has_control(cfg->rootfs_label)))
		return fail(c, t, "rootfs_label", VC_EINVAL,
			    "expected 1..36 printable characters (a GPT partition name)");

	/* verity */
	v = attr(t, "verity_blocks");
	if (v) {
		if (!strcmp(v, "all")) {
			cfg->verity_blocks = 0;
		} else {
			bool digits = *v != '\0';
			for (const char *p = v; *p; p++)
				digits = digits && *p >= '0' && *p <= '9';
			if (!digits)
				return fail(c, t, "verity_blocks", VC_EINVAL,
					    "expected \"all\" or a number of 4 KiB blocks");
			if (parse_uint(c, t, "verity_blocks", 1, UINT64_MAX / 4096, "blocks",
				       &cfg->verity_blocks) < 0)
				return c->err->code;
		}
		cfg->verity = true;
	}
	if (parse_bool(c, t, "embed_verity_metadata", &cfg->embed_verity_metadata) < 0 ||
	    parse_bool(c, t, "verity_partition", &cfg->verity_partition) < 0)
		return c->err->code;
	if (cfg->embed_verity_metadata && !v)
		return fail(c, t, "embed_verity_metadata", VC_EINVAL,
			    "needs verity_blocks (KIWI's rule)");
	if (cfg->embed_verity_metadata && cfg->verity_partition)
		return fail(c, t, "verity_partition", VC_EINVAL,
			    "verity_partition=\"true\" and embed_verity_metadata=\"true\" exclude "
			    "each other");
	if (cfg->verity_partition) {
		if (cfg->verity_blocks)
			return fail(c, t, "verity_blocks", VC_EINVAL,
				    "with verity_partition=\"true\" the whole filesystem is "
				    "protected: use \"all\"");
		cfg->verity = true;
	}
	if (attr(t, "veritypartsize")) {
		if (!cfg->verity_partition)
			return fail(c, t, "veritypartsize", VC_EINVAL,
				    "needs verity_partition=\"true\"");
		if (parse_uint(c, t, "veritypartsize", 1, VC_XMLCFG_PART_MIB_MAX, "MiB",
			       &cfg->veritypart_mib) < 0)
			return c->err->code;
	}

	/* signature */
	if (parse_bool(c, t, "verity_signature_required", &cfg->signature_required) < 0)
		return c->err->code;
	if (resolve(c, t, "verity_signature_key", &cfg->signature_key) < 0 ||
	    resolve(c, t, "verity_signature_cert", &cfg->signature_cert) < 0)
		return c->err->code;
	if ((cfg->signature_required || cfg->signature_key || cfg->signature_cert) && !cfg->verity)
		return fail(c, t,
			    cfg->signature_required ? "verity_signature_required"
			    : cfg->signature_key    ? "verity_signature_key"
						    : "verity_signature_cert",
			    VC_EINVAL,
			    "a root hash signature needs verity (verity_blocks or "
			    "verity_partition)");
	if (cfg->signature_key && !cfg->signature_cert)
		return fail(c, t, "verity_signature_key", VC_EINVAL,
			    "needs verity_signature_cert (the certificate of the key)");
	if (cfg->signature_cert && !cfg->signature_key)
		return fail(c, t, "verity_signature_cert", VC_EINVAL, "needs verity_signature_key");
	if (cfg->signature_required && !cfg->signature_key && !c->opts->have_key)
		return fail(c, t, "verity_signature_required", VC_EINVAL,
			    "needs verity_signature_key and verity_signature_cert (or --key and "
			    "--cert)");

	/* initrd */
	v = attr(t, "initrd_system");
	cfg->initrd = oem ? VC_CONFIG_INITRD_DRACUT : VC_CONFIG_INITRD_NONE;
	if (v) {
		if (!strcmp(v, "dracut"))
			cfg->initrd = VC_CONFIG_INITRD_DRACUT;
		else if (!strcmp(v, "none"))
			cfg->initrd = VC_CONFIG_INITRD_NONE;
		else if (!strcmp(v, "kiwi"))
			return fail(
			    c, t, "initrd_system", VC_EUNSUPP,
			    "vcompose builds the initrd with dracut (initrd_system=\"dracut\")");
		else
			return fail(c, t, "initrd_system", VC_EINVAL,
				    "expected \"dracut\", \"kiwi\" or \"none\"");
	}
	if (resolve(c, t, "initrd_file", &cfg->initrd_file) < 0)
		return c->err->code;
	if (oem && cfg->initrd == VC_CONFIG_INITRD_NONE)
		return fail(c, t, "initrd_system", VC_EINVAL,
			    "an oem image needs an initrd to open its verity root");
	if (!oem && cfg->initrd_file)
		return fail(c, t, "initrd_file", VC_EINVAL, "a ddi has no kernel or initrd");
	if (parse_cmdline(c, t) < 0)
		return c->err->code;
	if (cfg->cmdline_placeholders && !cfg->verity)
		return fail(c, t, "kernelcmdline", VC_EINVAL,
			    "placeholders <data_device> <hash_device> <hash> need verity");
	if (!oem && *cfg->kernelcmdline)
		return fail(c, t, "kernelcmdline", VC_EINVAL, "a ddi has no kernel command line");

	/* seed */
	v = attr(t, "seed");
	if (v) {
		if (!*v || strlen(v) > VC_XMLCFG_SEED_MAX || xc_has_control(v))
			return fail(c, t, "seed", VC_EINVAL, "expected 1..%u printable bytes",
				    VC_XMLCFG_SEED_MAX);
		if (dup_attr(c, t, "seed", &cfg->seed) < 0)
			return c->err->code;
		cfg->seed_line = (unsigned)src_line(c, t, "seed");
	}

	/* children */
	bool seen_bootloader = false, seen_oemconfig = false, seen_size = false,
	     seen_partitions = false;
	FOR_ELEMENTS(k, t)
	{
		int r = 0;
		if (is(k, "bootloader")) {
			if (seen_bootloader)
				return fail(c, k, NULL, VC_EINVAL, "given twice in one <type>");
			seen_bootloader = true;
			if (!oem)
				return fail(c, k, NULL, VC_EINVAL,
					    "a ddi has no boot loader (image=\"ddi\")");
			r = parse_bootloader(c, k);
		} else if (is(k, "initrd")) {
			if (!oem)
				return fail(c, k, NULL, VC_EINVAL, "a ddi has no initrd");
			r = parse_initrd(c, k);
		} else if (is(k, "oemconfig")) {
			if (seen_oemconfig)
				return fail(c, k, NULL, VC_EINVAL, "given twice in one <type>");
			seen_oemconfig = true;
			r = parse_oemconfig(c, k);
		} else if (is(k, "size")) {
			if (seen_size)
				return fail(c, k, NULL, VC_EINVAL, "given twice in one <type>");
			seen_size = true;
			r = parse_size(c, k);
		} else if (is(k, "partitions")) {
			if (seen_partitions)
				return fail(c, k, NULL, VC_EINVAL, "given twice in one <type>");
			seen_partitions = true;
			if (!oem)
				return fail(c, k, NULL, VC_EINVAL,
					    "a ddi holds one root file system: <partitions> needs "
					    "image=\"oem\"");
			r = parse_partitions(c, k);
		} else if (is(k, "systemdisk") || is(k, "containerconfig") || is(k, "machine") ||
			   is(k, "vagrantconfig") || is(k, "installmedia") || is(k, "luksformat")) {
			r = note_element(c, k,
					 "ignored (vcompose sizes the disk to its partitions)");
		} else {
			return unknown_element(c, k, t);
		}
		if (r < 0)
			return c->err->code;
	}
	for (size_t i = 0; i < cfg->n_parts; i++)
		if (cfg->parts[i].fill && cfg->overlayroot && cfg->overlay_write_partition)
			return vc_errorf(c->err, VC_EINVAL,
					 "%s:%u: <partition size=\"all\">: the overlayroot write "
					 "partition takes the rest of the disk; give a size",
					 c->file, cfg->parts[i].line);
	return 0;
}

/* ---- profiles ---------------------------------------------------------- */

static bool arch_matches(struct ctx *c, const char *list)
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

static struct xc_profile *find_profile(struct ctx *c, const char *name)
{
	for (size_t i = 0; i < c->n_profiles; i++)
		if (!strcmp(c->profiles[i].name, name))
			return &c->profiles[i];
	return NULL;
}

static int collect_profiles(struct ctx *c, xmlNode *image)
{
	FOR_ELEMENTS(ps, image)
	{
		if (!is(ps, "profiles"))
			continue;
		if (check_attrs(c, ps, NULL, NULL, NULL) < 0)
			return c->err->code;
		FOR_ELEMENTS(p, ps)
		{
			static const char *const used[] = {"name", "description", "import", "arch",
							   NULL};
			struct xc_profile *x;
			if (!is(p, "profile"))
				return unknown_element(c, p, ps);
			if (check_attrs(c, p, used, NULL, NULL) < 0)
				return c->err->code;
			const char *name = attr(p, "name");
			if (!name || !*name)
				return fail(c, p, NULL, VC_EINVAL, "attribute name is required");
			if (strchr(name, ',') || xc_has_control(name))
				return fail(c, p, "name", VC_EINVAL, "not a valid profile name");
			if (find_profile(c, name))
				return fail(c, p, "name", VC_EINVAL, "profile defined twice");
			if (c->n_profiles >= XC_PROFILES_MAX)
				return fail(c, p, NULL, VC_ERANGE, "more than %d profiles",
					    XC_PROFILES_MAX);
			x = &c->profiles[c->n_profiles++];
			x->node = p;
			x->name = name;
			if (parse_bool(c, p, "import", &x->import) < 0)
				return c->err->code;
			x->available = arch_matches(c, attr(p, "arch"));
			FOR_ELEMENTS(r, p)
			{
				static const char *const rused[] = {"profile", "arch", NULL};
				if (!is(r, "requires"))
					return unknown_element(c, r, p);
				if (check_attrs(c, r, rused, NULL, NULL) < 0)
					return c->err->code;
				if (!attr(r, "profile"))
					return fail(c, r, NULL, VC_EINVAL,
						    "attribute profile is required");
			}
		}
	}
	return 0;
}

static int select_profile(struct ctx *c, struct xc_profile *p, unsigned depth)
{
	if (p->selected)
		return 0;
	if (depth > 32)
		return fail(c, p->node, "name", VC_EINVAL,
			    "<requires> nested too deeply (a cycle?)");
	p->selected = true;
	FOR_ELEMENTS(r, p->node)
	{
		if (!arch_matches(c, attr(r, "arch")))
			continue;
		struct xc_profile *q = find_profile(c, attr(r, "profile"));
		if (!q)
			return fail(c, r, "profile", VC_EINVAL, "no such profile");
		if (!q->available)
			return fail(c, r, "profile", VC_EINVAL, "profile is not for arch %s",
				    c->arch);
		if (select_profile(c, q, depth + 1) < 0)
			return c->err->code;
	}
	return xc_strv_add_unique(&c->cfg->profiles, p->name, c->err);
}

static int resolve_profiles(struct ctx *c, const xmlNode *image)
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
				return vc_errorf(c->err, VC_EINVAL,
						 "%s:%ld: --profile '%.64s': %s (defined: %s)",
						 c->file, src_line(c, image, NULL), *want,
						 p ? "not for this architecture"
						   : "no such profile",
						 len ? known : "none");
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
static bool section_applies(struct ctx *c, const xmlNode *n)
{
	const char *ps = attr(n, "profiles");
	char buf[VC_XMLCFG_VALUE_MAX + 1];
	bool any = false;

	if (!arch_matches(c, attr(n, "arch")))
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

static int check_name(struct ctx *c, const xmlNode *image)
{
	const char *name = attr(image, "name");

	if (!name)
		return fail(c, image, NULL, VC_EINVAL, "attribute name is required");
	if (!xc_is_name(name, false) || strlen(name) > VC_XMLCFG_NAME_MAX)
		return fail(c, image, "name", VC_EINVAL,
			    "expected 1..%u of [A-Za-z0-9._+-], not starting with '.' (it names "
			    "the output files)",
			    VC_XMLCFG_NAME_MAX);
	return dup_attr(c, image, "name", &c->cfg->name);
}

static int parse_description(struct ctx *c, xmlNode *d)
{
	static const char *const used[] = {"type", NULL};

	if (check_attrs(c, d, used, NULL, NULL) < 0)
		return c->err->code;
	FOR_ELEMENTS(k, d)
	{
		if (is(k, "specification")) {
			xmlChar *t = xmlNodeGetContent(k);
			if (!t)
				return vc_errorf(c->err, VC_ENOMEM, "out of memory");
			free(c->cfg->description);
			c->cfg->description = strdup((const char *)t);
			xmlFree(t);
			if (!c->cfg->description)
				return vc_errorf(c->err, VC_ENOMEM, "out of memory");
		} else if (!is(k, "author") && !is(k, "contact") && !is(k, "license")) {
			return unknown_element(c, k, d);
		}
	}
	return 0;
}

static int parse_version(struct ctx *c, xmlNode *v)
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
		return fail(c, v, NULL, VC_EINVAL, "expected a version of 1..64 characters");
	}
	memcpy(buf, s + a, len);
	buf[len] = '\0';
	xmlFree(t);
	if (!xc_is_name(buf, false))
		return fail(c, v, NULL, VC_EINVAL, "'%s': expected [A-Za-z0-9._+-]", buf);
	c->cfg->version = strdup(buf);
	if (!c->cfg->version)
		return vc_errorf(c->err, VC_ENOMEM, "out of memory");
	return 0;
}

static int parse_image(struct ctx *c, xmlNode *image)
{
	static const char *const used[] = {"name", "displayname", "id", "schemaversion", NULL};
	xmlNode *types[XC_PROFILES_MAX];
	size_t n_types = 0;
	xmlNode *chosen = NULL;
	bool seen_description = false;

	if (check_attrs(c, image, used, NULL, NULL) < 0 || check_name(c, image) < 0)
		return c->err->code;
	const char *sv = attr(image, "schemaversion");
	if (!sv)
		return fail(c, image, NULL, VC_EINVAL, "attribute schemaversion is required");
	if (!(sv[0] >= '1' && sv[0] <= '9') || !strchr(sv, '.') ||
	    strspn(sv, "0123456789.") != strlen(sv))
		return fail(c, image, "schemaversion", VC_EINVAL,
			    "expected a version like \"8.5\"");
	if (dup_attr(c, image, "displayname", &c->cfg->displayname) < 0)
		return c->err->code;
	if (collect_profiles(c, image) < 0 || resolve_profiles(c, image) < 0)
		return c->err->code;

	FOR_ELEMENTS(k, image)
	{
		if (is(k, "description")) {
			if (seen_description)
				return fail(c, k, NULL, VC_EINVAL, "given twice");
			seen_description = true;
			if (parse_description(c, k) < 0)
				return c->err->code;
		} else if (is(k, "profiles")) {
			continue; /* read above */
		} else if (is(k, "preferences")) {
			static const char *const pused[] = {"profiles", "arch", NULL};
			if (check_attrs(c, k, pused, NULL, NULL) < 0)
				return c->err->code;
			if (!section_applies(c, k))
				continue;
			FOR_ELEMENTS(p, k)
			{
				if (is(p, "version")) {
					if (parse_version(c, p) < 0)
						return c->err->code;
				} else if (is(p, "type")) {
					if (n_types >= XC_PROFILES_MAX)
						return fail(c, p, NULL, VC_ERANGE,
							    "too many types");
					types[n_types++] = p;
				} else if (!p->ns && in_list(preferences_ignored, elem_name(p))) {
					if (note_element(
						c, p,
						"ignored offline (the tree is used as it is)") < 0)
						return c->err->code;
				} else {
					return unknown_element(c, p, k);
				}
			}
		} else if (is(k, "include")) {
			return fail(c, k, NULL, VC_EUNSUPP,
				    "not supported: merge the included file into this one");
		} else if (!k->ns && in_list(offline_elements, elem_name(k))) {
			if (note_element(
				c, k, "ignored offline (vcompose uses the given tree as it is)") <
			    0)
				return c->err->code;
		} else {
			return unknown_element(c, k, image);
		}
	}
	if (!seen_description)
		return fail(c, image, NULL, VC_EINVAL, "<description> is required");

	/* KIWI: the type with primary="true", else the first. */
	for (size_t i = 0; i < n_types && !chosen; i++) {
		bool primary = false;
		if (parse_bool(c, types[i], "primary", &primary) < 0)
			return c->err->code;
		if (primary)
			chosen = types[i];
	}
	if (!chosen && n_types)
		chosen = types[0];
	if (!chosen) {
		if (c->cfg->profiles.n)
			return fail(c, image, NULL, VC_EINVAL,
				    "no <type> in the <preferences> for profile(s) %s%s",
				    c->cfg->profiles.v[0], c->cfg->profiles.n > 1 ? ", ..." : "");
		if (c->n_profiles)
			return fail(c, image, NULL, VC_EINVAL,
				    "no <type> without a profile; choose one with --profile "
				    "(defined: %s%s)",
				    c->profiles[0].name, c->n_profiles > 1 ? ", ..." : "");
		return fail(c, image, NULL, VC_EINVAL,
			    "no <type> in any <preferences> that applies");
	}
	if (parse_type(c, chosen) < 0)
		return c->err->code;
	if (!c->cfg->version) {
		c->cfg->version = strdup("");
		if (!c->cfg->version)
			return vc_errorf(c->err, VC_ENOMEM, "out of memory");
	}
	for (size_t i = 0; kiwi_scripts[i]; i++) {
		char path[PATH_MAX];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", c->dir, kiwi_scripts[i]);
		if (lstat(path, &st) == 0 &&
		    note(c, kiwi_scripts[i], 0, kiwi_scripts[i],
			 "ignored offline (scripts are not run; the tree is used as it is)") < 0)
			return c->err->code;
	}
	return 0;
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

int vc_xmlcfg_parse(const char *buf, size_t len, const char *name, const char *dir,
		    const struct vc_xmlcfg_options *opts, struct vc_config **ret,
		    struct vc_error *err)
{
	static const struct vc_xmlcfg_options no_opts;
	struct ctx c = {0};
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
	if (!is(root, "image")) {
		r = fail(&c, root, NULL, VC_EINVAL, "the root element must be <image>");
		goto out;
	}
	r = parse_image(&c, root);
	if (r < 0)
		goto out;
	*ret = c.cfg;
	c.cfg = NULL;
	r = 0;
out:
	xc_strv_free(&c.noted);
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

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vc_errorf_errno(err, errno == ENOENT ? VC_EINVAL : VC_EIO, errno, "%s",
				       path);
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
