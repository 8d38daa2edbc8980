/* SPDX-License-Identifier: MIT */
/* The bounded file reader, the findings list, probing by magic numbers, and
 * the small text formats (the DPS signature JSON, base64, a kernel command
 * line). Spec: UAPI DPS "Verity signature partition"; RFC 8259 (JSON);
 * RFC 4648 (base64). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "erofs/erofs_disk.h"
#include "ext4/ext4_disk.h"
#include "fat/fat_disk.h"
#include "gpt/gpt_disk.h"
#include "pe/pe_disk.h"
#include "verity/verity_disk.h"
#include "vcompose/endian.h"
#include "vcompose/sign.h"
#include "inspect_priv.h"

int img_open(const char *path, struct img *ret, struct vc_error *err)
{
	struct stat st;
	int fd = vc_open_input(path, O_RDONLY | VC_OPEN_BLOCK, NULL, err);

	if (fd < 0) {
		if (errno != 0) /* a missing or unreadable image: exit 3 */
			err->code = fd = VC_EIO;
		return fd;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return vc_errorf_errno(err, VC_EIO, e, "%s", path);
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		close(fd);
		return vc_errorf(err, VC_EINVAL, "%s: not a regular file", path);
	}
	ret->fd = fd;
	ret->size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);
		ret->size = end > 0 ? (uint64_t)end : 0;
	}
	ret->path = path;
	return 0;
}

void img_close(struct img *im)
{
	if (im && im->fd >= 0)
		close(im->fd);
	if (im)
		im->fd = -1;
}

int img_read(const struct img *im, uint64_t off, void *buf, size_t len, struct vc_error *err)
{
	uint8_t *p = buf;

	if (off > im->size || len > im->size - off)
		return vc_errorf(
		    err, VC_EINVAL, "%s: %zu bytes at offset %llu: beyond the end (%llu bytes)",
		    im->path, len, (unsigned long long)off, (unsigned long long)im->size);
	while (len > 0) {
		ssize_t n = pread(im->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vc_errorf_errno(err, VC_EIO, errno, "%s: read at %llu", im->path,
					       (unsigned long long)off);
		if (n == 0)
			return vc_errorf(err, VC_EINVAL, "%s: truncated at %llu", im->path,
					 (unsigned long long)off);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int img_read_alloc(const struct img *im, uint64_t off, uint64_t len, uint8_t **ret,
		   struct vc_error *err)
{
	uint8_t *b;

	if (len > VC_INSPECT_MAX_FILE_READ)
		return vc_errorf(err, VC_ERANGE, "%s: %llu bytes at %llu: more than we read whole",
				 im->path, (unsigned long long)len, (unsigned long long)off);
	b = malloc(len ? (size_t)len : 1);
	if (!b)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	int r = img_read(im, off, b, (size_t)len, err);
	if (r < 0) {
		free(b);
		return r;
	}
	*ret = b;
	return 0;
}

static int ro_pwrite(void *impl, const void *buf, size_t len, uint64_t off, struct vc_error *err)
{
	(void)impl;
	(void)buf;
	return vc_errorf(err, VC_EINVAL, "read-only image: refused a write of %zu bytes at %llu",
			 len, (unsigned long long)off);
}

static int ro_pread(void *impl, void *buf, size_t len, uint64_t off, struct vc_error *err)
{
	return img_read(impl, off, buf, len, err);
}

static const struct vc_sink_ops ro_ops = {.pwrite = ro_pwrite, .pread = ro_pread};

struct vc_sink img_sink(const struct img *im, uint64_t off, uint64_t len, const char *who)
{
	struct vc_sink s = {
	    .ops = &ro_ops, .impl = (void *)im, .base = off, .limit = len, .who = who};
	return s;
}

enum vc_inspect_kind img_probe(const struct img *im, uint64_t off, uint64_t len)
{
	uint8_t b[EROFS_SUPER_OFFSET + 8];
	const struct fat_bpb_disk *bpb = (const void *)b;
	const struct fat_ebr_disk *ebr16 = (const void *)(b + FAT_BS_EBR16_OFFSET);
	const struct fat_ebr_disk *ebr32 = (const void *)(b + FAT_BS_EBR32_OFFSET);
	struct vc_error e;

	if (len >= 1024 && img_read(im, off, b, len >= sizeof(b) ? sizeof(b) : 1024, &e) == 0) {
		if (len >= sizeof(b) && vc_get_le32(b + EROFS_SUPER_OFFSET) == EROFS_MAGIC)
			return VC_INSPECT_EROFS;
		if (len >= 1024 && memcmp(b + 512, GPT_SIGNATURE, 8) == 0)
			return VC_INSPECT_DISK;
		if (memcmp(b, VERITY_SB_SIGNATURE, 8) == 0)
			return VC_INSPECT_VERITY;
		if (memcmp(b, PE_DOS_MAGIC, 2) == 0)
			return VC_INSPECT_PE;
		if (memcmp(b + FAT_BS_SIGNATURE_OFFSET, FAT_BS_SIGNATURE, 2) == 0 &&
		    (bpb->jmp_boot[0] == 0xEB || bpb->jmp_boot[0] == 0xE9) &&
		    (memcmp(ebr16->fil_sys_type, "FAT", 3) == 0 ||
		     memcmp(ebr32->fil_sys_type, "FAT32", 5) == 0))
			return VC_INSPECT_FAT;
	}
	if (len >= 8 && img_read(im, off, b, 8, &e) == 0) {
		if (memcmp(b, VERITY_SB_SIGNATURE, 8) == 0)
			return VC_INSPECT_VERITY;
		if (memcmp(b, PE_DOS_MAGIC, 2) == 0)
			return VC_INSPECT_PE;
		if (b[0] == '{')
			return VC_INSPECT_SIG;
	}
	if (len >= 16 && img_read(im, off, b, len >= 32 ? 32 : (size_t)len, &e) == 0 &&
	    vc_pkcs7_probe(b, len >= 32 ? 32 : (size_t)len))
		return VC_INSPECT_P7S;
	/* ext2/3/4: s_magic in the superblock at 1024 */
	if (len >= 2048 &&
	    img_read(im, off + EXT4_SUPER_OFFSET + offsetof(struct ext4_super_block_disk, s_magic),
		     b, 2, &e) == 0 &&
	    vc_get_le16(b) == EXT4_SUPER_MAGIC)
		return VC_INSPECT_EXT4;
	/* a 4096-byte GPT sector size */
	if (len >= 8192 && img_read(im, off + 4096, b, 8, &e) == 0 &&
	    memcmp(b, GPT_SIGNATURE, 8) == 0)
		return VC_INSPECT_DISK;
	return VC_INSPECT_UNKNOWN;
}

bool img_is_zero(const struct img *im, uint64_t off, uint64_t len)
{
	static const uint8_t zero[4096];
	uint8_t b[4096];
	struct vc_error e;

	if (len == 0 || len > VC_INSPECT_SIG_MAX)
		return false;
	for (uint64_t at = 0; at < len; at += sizeof(b)) {
		size_t n = len - at < sizeof(b) ? (size_t)(len - at) : sizeof(b);
		if (img_read(im, off + at, b, n, &e) < 0 || memcmp(b, zero, n) != 0)
			return false;
	}
	return true;
}

const char *vc_inspect_kind_name(enum vc_inspect_kind k)
{
	switch (k) {
	case VC_INSPECT_DISK: return "disk";
	case VC_INSPECT_EROFS: return "erofs";
	case VC_INSPECT_VERITY: return "verity";
	case VC_INSPECT_FAT: return "fat";
	case VC_INSPECT_PE: return "pe";
	case VC_INSPECT_SIG: return "verity-signature";
	case VC_INSPECT_EXT4: return "ext4";
	case VC_INSPECT_P7S: return "pkcs7-signature";
	default: return "unknown";
	}
}

/* ---- findings ---- */

void vc_inspect_report_fini(struct vc_inspect_report *r)
{
	free(r->items);
	memset(r, 0, sizeof(*r));
}

static int report_vadd(struct vc_inspect_report *r, bool failed, bool not_checked,
		       const char *where, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
static int report_vadd(struct vc_inspect_report *r, bool failed, bool not_checked,
		       const char *where, const char *fmt, va_list ap)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		void *p = realloc(r->items, cap * sizeof(*r->items));
		if (!p)
			return VC_ENOMEM;
		r->items = p;
		r->cap = cap;
	}
	struct vc_inspect_report_item *it = &r->items[r->n++];
	memset(it, 0, sizeof(*it));
	it->failed = failed;
	it->not_checked = not_checked;
	snprintf(it->where, sizeof(it->where), "%s", where);
	vsnprintf(it->what, sizeof(it->what), fmt, ap);
	if (failed)
		r->n_failed++;
	if (not_checked)
		r->n_not_checked++;
	return 0;
}

int vc_inspect_report_add(struct vc_inspect_report *r, bool failed, const char *where,
			  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int rc = report_vadd(r, failed, false, where, fmt, ap);
	va_end(ap);
	return rc;
}

int vc_inspect_report_not_checked(struct vc_inspect_report *r, const char *where, const char *fmt,
				  ...)
{
	va_list ap;

	va_start(ap, fmt);
	int rc = report_vadd(r, false, true, where, fmt, ap);
	va_end(ap);
	return rc;
}

static void print_scalar(const struct vc_json_value *v, struct vc_buf *o, struct vc_error *err)
{
	switch (v->type) {
	case VC_JSON_NULL: vc_buf_appendf(o, err, "-"); break;
	case VC_JSON_BOOL: vc_buf_appendf(o, err, "%s", v->b ? "yes" : "no"); break;
	case VC_JSON_NUM:
		if (v->num > -9e15 && v->num < 9e15 && v->num == (double)(long long)v->num)
			vc_buf_appendf(o, err, "%lld", (long long)v->num);
		else
			vc_buf_appendf(o, err, "%g", v->num);
		break;
	case VC_JSON_STR:
		/* multi-line text (os-release, SBAT) is indented under its key */
		for (const char *s = v->str; *s; s++) {
			if (*s == '\n' && s[1])
				vc_buf_appendf(o, err, "\n    | ");
			else if (*s != '\n')
				vc_buf_append(o, s, 1, err);
		}
		break;
	default: break;
	}
}

static void print_text(const struct vc_json_value *v, int indent, struct vc_buf *o,
		       struct vc_error *err)
{
	for (size_t i = 0; i < v->n_kids; i++) {
		const struct vc_json_value *k = &v->kids[i];
		vc_buf_appendf(o, err, "%*s", indent * 2, "");
		if (k->key)
			vc_buf_appendf(o, err, "%s:", k->key);
		else
			vc_buf_appendf(o, err, "-");
		if ((k->type == VC_JSON_OBJ || k->type == VC_JSON_ARR) && k->n_kids) {
			vc_buf_appendf(o, err, "\n");
			print_text(k, indent + 1, o, err);
		} else if (k->type == VC_JSON_OBJ || k->type == VC_JSON_ARR) {
			vc_buf_appendf(o, err, " %s\n", k->type == VC_JSON_OBJ ? "{}" : "[]");
		} else {
			vc_buf_appendf(o, err, " ");
			print_scalar(k, o, err);
			vc_buf_appendf(o, err, "\n");
		}
	}
}

int vc_inspect_json_to_text(const char *json, struct vc_buf *out, struct vc_error *err)
{
	struct vc_json_value v;
	int r = vc_json_parse(json, strlen(json), &v, err);

	if (r < 0)
		return r;
	print_text(&v, 0, out, err);
	vc_json_value_free(&v);
	if (vc_buf_append(out, "", 1, err) < 0)
		return VC_ENOMEM;
	out->len--;
	return 0;
}

bool cmdline_get(const char *cmdline, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	const char *p = cmdline;
	bool found = false;

	/* the last occurrence wins, as for the kernel and systemd */
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		const char *w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if ((size_t)(p - w) > kl && !strncmp(w, key, kl) && w[kl] == '=') {
			size_t l = (size_t)(p - w) - kl - 1;
			if (l >= n)
				l = n - 1;
			memcpy(out, w + kl + 1, l);
			out[l] = 0;
			found = true;
		}
	}
	return found;
}
