/* SPDX-License-Identifier: MIT */
/* Writable state in a KIWI description: overlayroot (its write partition or
 * tmpfs, the partition's file system, the read-only part's size), <size>
 * and <partitions><partition/>. Spec: OSInside/kiwi kiwi/schema/kiwi.rnc
 * (k.type overlayroot*, k.size, k.partitions, k.partition) and KIWI's
 * defaults (kiwi/xml_state.py, kiwi/storage/disk.py). Read and validated
 * here; the rows of type.c's table call in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmlcfg_priv.h"

/* ---- writable state: overlayroot, <size>, <partitions> ----------------- */

/* The file systems vcompose can make reproducibly (mke2fs -d, see
 * docs/partitions.md); the others KIWI knows, refused with the reason. */
static int parse_fs(struct xc_ctx *c, const xmlNode *n, const char *an, enum vc_config_fs *ret)
{
	const char *v = xc_attr(n, an);

	if (!v)
		return 0;
	if (!strcmp(v, "ext2"))
		*ret = VC_CONFIG_FS_EXT2;
	else if (!strcmp(v, "ext3"))
		*ret = VC_CONFIG_FS_EXT3;
	else if (!strcmp(v, "ext4"))
		*ret = VC_CONFIG_FS_EXT4;
	else if (!strcmp(v, "xfs") || !strcmp(v, "btrfs"))
		return xc_fail(
		    c, n, an, VC_EUNSUPP,
		    "not supported: vcompose makes writable file systems with e2fsprogs, "
		    "whose times, UUIDs and hash seed can be fixed for reproducible "
		    "bytes (mkfs.%s cannot); use ext4",
		    v);
	else if (!strcmp(v, "erofs") || !strcmp(v, "squashfs"))
		return xc_fail(c, n, an, VC_EUNSUPP,
			       "%s is read-only: a writable partition needs ext2, ext3 or ext4", v);
	else if (!strcmp(v, "fat16") || !strcmp(v, "fat32") || !strcmp(v, "swap"))
		return xc_fail(c, n, an, VC_EUNSUPP,
			       "not supported on an extra partition (ext2, ext3 or ext4)");
	else
		return xc_fail(c, n, an, VC_EINVAL, "expected ext2, ext3 or ext4");
	return 0;
}

int xc_parse_overlayroot(struct xc_ctx *c, xmlNode *t)
{
	struct vc_config *cfg = c->cfg;

	cfg->overlayroot = true;
	cfg->overlay_write_partition = true;
	cfg->overlay_fs = VC_CONFIG_FS_EXT4;
	if (xc_parse_bool(c, t, "overlayroot_write_partition", &cfg->overlay_write_partition) < 0 ||
	    xc_parse_uint(c, t, "overlayroot_readonly_partsize", 1, VC_XMLCFG_PART_MIB_MAX, "MiB",
			  &cfg->overlay_readonly_mib) < 0)
		return c->err->code;
	/* KIWI: filesystem names the write partition's file system here */
	if (!xc_attr(t, "filesystem"))
		return cfg->overlay_write_partition
			   ? xc_fail(
				 c, t, NULL, VC_EINVAL,
				 "with overlayroot=\"true\" attribute filesystem names the write "
				 "partition's file system (filesystem=\"ext4\")")
			   : 0;
	if (!cfg->overlay_write_partition)
		return xc_note_attr(c, t, "filesystem",
				    "ignored (overlayroot_write_partition=\"false\": the overlay "
				    "is on tmpfs)");
	return parse_fs(c, t, "filesystem", &cfg->overlay_fs);
}

/* "N" (unit), "NM", "NG" or, when fill is not NULL, "all". */
static int parse_mib(struct xc_ctx *c, const xmlNode *n, const char *v, const char *an,
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
		return xc_fail(c, n, an, VC_EINVAL, "expected N (MiB), NM, NG%s",
			       fill ? " or \"all\"" : "");
	return xc_fail(c, n, NULL, VC_EINVAL, "expected a number of %s",
		       unit_mib == 1 ? "MiB" : "GiB");
range:
	if (an)
		return xc_fail(c, n, an, VC_ERANGE, "larger than %u MiB", VC_XMLCFG_DISK_MIB_MAX);
	return xc_fail(c, n, NULL, VC_ERANGE, "larger than %u MiB", VC_XMLCFG_DISK_MIB_MAX);
}

/* <size unit="M|G" additive="true|false" unpartitioned="N">N</size> */
int xc_parse_size(struct xc_ctx *c, xmlNode *k)
{
	static const char *const used[] = {"unit", "additive", "unpartitioned", NULL};
	struct vc_config *cfg = c->cfg;
	const char *unit = xc_attr(k, "unit");
	uint64_t u = 1, x = 0;
	char text[64];
	xmlChar *content;

	if (xc_check_attrs(c, k, used, NULL, NULL) < 0)
		return c->err->code;
	if (unit && !strcmp(unit, "G"))
		u = 1024;
	else if (unit && strcmp(unit, "M"))
		return xc_fail(c, k, "unit", VC_EINVAL, "expected \"M\" or \"G\"");
	if (xc_parse_bool(c, k, "additive", &cfg->disk_additive) < 0 ||
	    xc_parse_uint(c, k, "unpartitioned", 0, VC_XMLCFG_DISK_MIB_MAX, unit ? unit : "M", &x) <
		0)
		return c->err->code;
	content = xmlNodeGetContent(k);
	if (!content)
		return xc_oom(c);
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
			   ? xc_fail(c, k, NULL, VC_EINVAL, "expected a number of %s",
				     u == 1 ? "MiB" : "GiB")
			   : c->err->code;
	if (cfg->disk_mib == 0 && !cfg->disk_additive)
		return xc_fail(c, k, NULL, VC_EINVAL, "a disk of 0 MiB");
	if (x * u > VC_XMLCFG_DISK_MIB_MAX)
		return xc_fail(c, k, "unpartitioned", VC_ERANGE, "too large");
	cfg->unpartitioned_mib = x * u;
	if (!cfg->disk_additive && cfg->unpartitioned_mib > cfg->disk_mib)
		return xc_fail(c, k, "unpartitioned", VC_EINVAL,
			       "larger than the disk (KIWI's rule: unpartitioned <= size)");
	cfg->size_line = (unsigned)xc_line(c, k, NULL);
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

static int parse_partition(struct xc_ctx *c, xmlNode *k, struct vc_config_partition *p)
{
	static const char *const used[] = {
	    "name",	      "size",		"mountpoint", "filesystem", "label",
	    "partition_name", "partition_type", "part_id",    "clone",	    NULL};
	static const char *const reserved[] = {"root", "readonly", "boot", "prep", "spare",
					       "swap", "efi_csm",  "efi",  NULL};
	const char *v;

	p->line = (unsigned)xc_line(c, k, NULL);
	if (xc_check_attrs(c, k, used, NULL, NULL) < 0)
		return c->err->code;
	v = xc_attr(k, "name");
	if (!v)
		return xc_fail(c, k, NULL, VC_EINVAL, "attribute name is required");
	if (!xc_is_name(v, false) || strlen(v) > 32)
		return xc_fail(c, k, "name", VC_EINVAL, "expected 1..32 of [A-Za-z0-9._+-]");
	if (xc_in_list(reserved, v))
		return xc_fail(
		    c, k, "name", VC_EINVAL,
		    "a reserved name (KIWI's: root readonly boot prep spare swap efi_csm "
		    "efi)");
	for (size_t i = 0; i < c->cfg->n_parts && &c->cfg->parts[i] != p; i++)
		if (!strcmp(c->cfg->parts[i].name, v))
			return xc_fail(c, k, "name", VC_EINVAL, "given twice");
	if (xc_dup_attr(c, k, "name", &p->name) < 0)
		return c->err->code;
	v = xc_attr(k, "size");
	if (!v)
		return xc_fail(c, k, NULL, VC_EINVAL, "attribute size is required");
	if (parse_mib(c, k, v, "size", 1, &p->size_mib, &p->fill) < 0)
		return c->err->code;
	if (!p->fill && p->size_mib == 0)
		return xc_fail(c, k, "size", VC_EINVAL, "a partition of 0 MiB");
	v = xc_attr(k, "mountpoint");
	if (v && !strcmp(v, "/"))
		return xc_fail(c, k, "mountpoint", VC_EINVAL,
			       "/ is the root file system, not an extra partition");
	if (v && !ok_mountpoint(v))
		return xc_fail(c, k, "mountpoint", VC_EINVAL,
			       "expected an absolute, normalised path inside the tree (no \"..\", "
			       "\".\", \"//\", blanks, '\\\\' or '#')");
	for (size_t i = 0; v && i < c->cfg->n_parts && &c->cfg->parts[i] != p; i++)
		if (c->cfg->parts[i].mountpoint && !strcmp(c->cfg->parts[i].mountpoint, v))
			return xc_fail(c, k, "mountpoint", VC_EINVAL,
				       "used by partition \"%s\" too", c->cfg->parts[i].name);
	if (xc_dup_attr(c, k, "mountpoint", &p->mountpoint) < 0 ||
	    parse_fs(c, k, "filesystem", &p->fs) < 0)
		return c->err->code;
	if (p->mountpoint && p->fs == VC_CONFIG_FS_NONE)
		return xc_fail(c, k, "mountpoint", VC_EINVAL,
			       "a mounted partition needs filesystem=\"ext4\" (or ext2, ext3)");
	v = xc_attr(k, "label");
	if (v && (!*v || strlen(v) > 16 || xc_has_control(v)))
		return xc_fail(c, k, "label", VC_EINVAL,
			       "expected 1..16 printable bytes (an ext4 volume label)");
	if (v)
		p->label = strdup(v);
	else if (asprintf(&p->label, "%.16s", p->name) < 0)
		p->label = NULL;
	if (!p->label)
		return xc_oom(c);
	if (!v) /* KIWI: the map name in upper case */
		for (char *q = p->label; *q; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 'a' + 'A');
	v = xc_attr(k, "partition_name");
	if (v && (!*v || strlen(v) > 36 || xc_has_control(v)))
		return xc_fail(c, k, "partition_name", VC_EINVAL,
			       "expected 1..36 printable characters (a GPT partition name)");
	if (v)
		p->partition_name = strdup(v);
	else if (asprintf(&p->partition_name, "p.lx%s", p->name) < 0)
		p->partition_name = NULL;
	if (!p->partition_name)
		return xc_oom(c);
	v = xc_attr(k, "partition_type");
	if (v && strcmp(v, "t.linux"))
		return xc_fail(c, k, "partition_type", strcmp(v, "t.raid") ? VC_EINVAL : VC_EUNSUPP,
			       strcmp(v, "t.raid") ? "expected \"t.linux\""
						   : "not supported by vcompose (no mdraid)");
	v = xc_attr(k, "clone");
	if (v && strcmp(v, "0"))
		return xc_fail(c, k, "clone", VC_EUNSUPP, "partition clones are not supported");
	if (xc_attr(k, "part_id")) {
		uint64_t n = 0;
		if (xc_parse_uint(c, k, "part_id", 1, 128, "GPT entry number", &n) < 0)
			return c->err->code;
		p->number = (unsigned)n;
	}
	return 0;
}

int xc_parse_partitions(struct xc_ctx *c, xmlNode *ps)
{
	struct vc_config *cfg = c->cfg;
	bool fill = false;

	if (xc_check_attrs(c, ps, NULL, NULL, NULL) < 0)
		return c->err->code;
	FOR_ELEMENTS(k, ps)
	{
		if (!xc_is(k, "partition"))
			return xc_unknown_element(c, k, ps);
		if (cfg->n_parts >= VC_XMLCFG_PARTS_MAX)
			return xc_fail(c, k, NULL, VC_ERANGE, "more than %u partitions",
				       VC_XMLCFG_PARTS_MAX);
		struct vc_config_partition *np =
		    realloc(cfg->parts, (cfg->n_parts + 1) * sizeof(*np));
		if (!np)
			return xc_oom(c);
		cfg->parts = np;
		memset(&np[cfg->n_parts], 0, sizeof(*np));
		cfg->n_parts++;
		if (parse_partition(c, k, &np[cfg->n_parts - 1]) < 0)
			return c->err->code;
		if (np[cfg->n_parts - 1].fill) {
			if (fill)
				return xc_fail(c, k, "size", VC_EINVAL,
					       "only one partition can take the rest of the disk");
			fill = true;
		}
	}
	return 0;
}
