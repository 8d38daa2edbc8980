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

/* ---- JSON ---- */

struct jp {
	const char *s, *end;
	int depth;
	struct vc_error *err;
};

static void jp_ws(struct jp *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static int jp_fail(struct jp *p, const char *what)
{
	return vc_errorf(p->err, VC_EINVAL, "JSON: %s", what);
}

static int utf8_put(struct vc_buf *b, uint32_t c, struct vc_error *err)
{
	uint8_t u[4];
	size_t n;

	if (c < 0x80) {
		u[0] = (uint8_t)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (uint8_t)(0xC0 | c >> 6);
		u[1] = (uint8_t)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (uint8_t)(0xE0 | c >> 12);
		u[1] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
		u[2] = (uint8_t)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xF0 | c >> 18);
		u[1] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
		u[2] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
		u[3] = (uint8_t)(0x80 | (c & 0x3F));
		n = 4;
	}
	return vc_buf_append(b, u, n, err);
}

/* escape letter, then what it stands for */
static const char esc[] = "\"\"\\\\//b\bf\fn\nr\rt\t";

static int jp_string(struct jp *p, char **ret)
{
	struct vc_buf b = {0};
	int r = 0;

	p->s++; /* the quote */
	while (r == 0) {
		if (p->s >= p->end) {
			r = jp_fail(p, "unterminated string");
			break;
		}
		unsigned char c = (unsigned char)*p->s++;
		if (c == '"')
			break;
		if (c < 0x20) {
			r = jp_fail(p, "control character in a string");
			break;
		}
		if (c != '\\') {
			r = vc_buf_append(&b, &c, 1, p->err);
			continue;
		}
		if (p->s >= p->end) {
			r = jp_fail(p, "unterminated escape");
			break;
		}
		c = (unsigned char)*p->s++;
		const char *map = c ? strchr(esc, c) : NULL;
		if (c != 'u') {
			if (!map || ((map - esc) & 1)) {
				r = jp_fail(p, "bad escape");
				break;
			}
			r = vc_buf_append(&b, map + 1, 1, p->err);
			continue;
		}
		uint32_t u = 0;
		for (int i = 0; i < 4; i++) {
			if (p->s >= p->end) {
				r = jp_fail(p, "short \\u escape");
				break;
			}
			char h = *p->s++;
			int d = h >= '0' && h <= '9'   ? h - '0'
				: h >= 'a' && h <= 'f' ? h - 'a' + 10
				: h >= 'A' && h <= 'F' ? h - 'A' + 10
						       : -1;
			u = u << 4 | (uint32_t)(d & 15);
			if (d < 0) {
				r = jp_fail(p, "bad \\u escape");
				break;
			}
		}
		if (r == 0 && (u == 0 || (u >= 0xD800 && u < 0xE000)))
			u = 0xFFFD; /* no NULs or lone surrogates in our strings */
		if (r == 0)
			r = utf8_put(&b, u, p->err);
	}
	if (r == 0)
		r = vc_buf_append(&b, "", 1, p->err);
	if (r < 0) {
		vc_buf_fini(&b);
		return r;
	}
	*ret = (char *)b.data;
	return 0;
}

static int jp_value(struct jp *p, struct jval *v);

static int jp_push(struct jp *p, struct jval *v, struct jval **ret)
{
	if (v->n_kids >= 100000)
		return jp_fail(p, "too many members");
	struct jval *k = realloc(v->kids, (v->n_kids + 1) * sizeof(*k));
	if (!k)
		return vc_errorf(p->err, VC_ENOMEM, "out of memory");
	v->kids = k;
	*ret = &k[v->n_kids++];
	memset(*ret, 0, sizeof(**ret));
	return 0;
}

static int jp_value(struct jp *p, struct jval *v)
{
	int r = 0;

	memset(v, 0, sizeof(*v));
	jp_ws(p);
	if (p->s >= p->end)
		return jp_fail(p, "unexpected end");
	if (++p->depth > 64)
		return jp_fail(p, "nested too deeply");
	char c = *p->s;
	if (c == '"') {
		v->type = J_STR;
		r = jp_string(p, &v->str);
	} else if (c == '{' || c == '[') {
		bool obj = c == '{';
		v->type = obj ? J_OBJ : J_ARR;
		p->s++;
		jp_ws(p);
		if (p->s < p->end && *p->s == (obj ? '}' : ']')) {
			p->s++;
		} else {
			for (;;) {
				struct jval *k = NULL;
				char *key = NULL;
				jp_ws(p);
				if (obj) {
					if (p->s >= p->end || *p->s != '"')
						return jp_fail(p, "expected a key");
					if ((r = jp_string(p, &key)) < 0)
						return r;
					jp_ws(p);
					if (p->s >= p->end || *p->s != ':') {
						free(key);
						return jp_fail(p, "expected ':'");
					}
					p->s++;
				}
				if ((r = jp_push(p, v, &k)) < 0) {
					free(key);
					return r;
				}
				r = jp_value(p, k);
				k->key = key;
				if (r < 0)
					return r;
				jp_ws(p);
				if (p->s < p->end && *p->s == ',') {
					p->s++;
					continue;
				}
				if (p->s < p->end && *p->s == (obj ? '}' : ']')) {
					p->s++;
					break;
				}
				return jp_fail(p,
					       obj ? "expected ',' or '}'" : "expected ',' or ']'");
			}
		}
	} else if (c == 't' && p->end - p->s >= 4 && !memcmp(p->s, "true", 4)) {
		v->type = J_BOOL;
		v->b = true;
		p->s += 4;
	} else if (c == 'f' && p->end - p->s >= 5 && !memcmp(p->s, "false", 5)) {
		v->type = J_BOOL;
		p->s += 5;
	} else if (c == 'n' && p->end - p->s >= 4 && !memcmp(p->s, "null", 4)) {
		v->type = J_NULL;
		p->s += 4;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		char tmp[64];
		size_t n = 0;
		while (p->s < p->end && n < sizeof(tmp) - 1 && strchr("+-.eE0123456789", *p->s))
			tmp[n++] = *p->s++;
		tmp[n] = 0;
		char *e;
		v->type = J_NUM;
		v->num = strtod(tmp, &e);
		if (*e)
			return jp_fail(p, "bad number");
	} else {
		return jp_fail(p, "unexpected character");
	}
	p->depth--;
	return r;
}

int json_parse(const char *text, size_t len, struct jval *ret, struct vc_error *err)
{
	struct jp p = {.s = text, .end = text + len, .err = err};
	int r = jp_value(&p, ret);

	if (r == 0) {
		jp_ws(&p);
		if (p.s != p.end)
			r = jp_fail(&p, "text after the value");
	}
	if (r < 0) {
		json_free(ret);
		memset(ret, 0, sizeof(*ret));
	}
	return r;
}

void json_free(struct jval *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n_kids; i++)
		json_free(&v->kids[i]);
	free(v->kids);
	free(v->str);
	free(v->key);
	v->kids = NULL;
	v->str = v->key = NULL;
	v->n_kids = 0;
}

const struct jval *json_get(const struct jval *obj, const char *key)
{
	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (size_t i = 0; i < obj->n_kids; i++)
		if (obj->kids[i].key && strcmp(obj->kids[i].key, key) == 0)
			return &obj->kids[i];
	return NULL;
}

static void print_scalar(const struct jval *v, struct vc_buf *o, struct vc_error *err)
{
	switch (v->type) {
	case J_NULL: vc_buf_appendf(o, err, "-"); break;
	case J_BOOL: vc_buf_appendf(o, err, "%s", v->b ? "yes" : "no"); break;
	case J_NUM:
		if (v->num > -9e15 && v->num < 9e15 && v->num == (double)(long long)v->num)
			vc_buf_appendf(o, err, "%lld", (long long)v->num);
		else
			vc_buf_appendf(o, err, "%g", v->num);
		break;
	case J_STR:
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

static void print_text(const struct jval *v, int indent, struct vc_buf *o, struct vc_error *err)
{
	for (size_t i = 0; i < v->n_kids; i++) {
		const struct jval *k = &v->kids[i];
		vc_buf_appendf(o, err, "%*s", indent * 2, "");
		if (k->key)
			vc_buf_appendf(o, err, "%s:", k->key);
		else
			vc_buf_appendf(o, err, "-");
		if ((k->type == J_OBJ || k->type == J_ARR) && k->n_kids) {
			vc_buf_appendf(o, err, "\n");
			print_text(k, indent + 1, o, err);
		} else if (k->type == J_OBJ || k->type == J_ARR) {
			vc_buf_appendf(o, err, " %s\n", k->type == J_OBJ ? "{}" : "[]");
		} else {
			vc_buf_appendf(o, err, " ");
			print_scalar(k, o, err);
			vc_buf_appendf(o, err, "\n");
		}
	}
}

int vc_inspect_json_to_text(const char *json, struct vc_buf *out, struct vc_error *err)
{
	struct jval v;
	int r = json_parse(json, strlen(json), &v, err);

	if (r < 0)
		return r;
	print_text(&v, 0, out, err);
	json_free(&v);
	if (vc_buf_append(out, "", 1, err) < 0)
		return VC_ENOMEM;
	out->len--;
	return 0;
}

/* ---- the DPS signature JSON ---- */

void sig_free(struct sig_info *s)
{
	free(s->p7);
	memset(s, 0, sizeof(*s));
}

int sig_read(const uint8_t *blob, size_t len, struct sig_info *ret, struct vc_error *err)
{
	struct jval v;
	size_t n = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	while (n < len && blob[n])
		n++;
	for (size_t i = n; i < len; i++)
		if (blob[i])
			return vc_errorf(err, VC_EINVAL,
					 "signature JSON: non-zero byte at %zu after its end "
					 "(%zu)",
					 i, n);
	r = json_parse((const char *)blob, n, &v, err);
	if (r < 0) {
		vc_error_prefix(err, "signature JSON");
		return r;
	}
	const struct jval *rh = json_get(&v, "rootHash"),
			  *fp = json_get(&v, "certificateFingerprint"),
			  *sg = json_get(&v, "signature");
	if (v.type != J_OBJ)
		r = vc_errorf(err, VC_EINVAL, "signature JSON: not an object");
	else if (!rh || rh->type != J_STR || strlen(rh->str) < 2 || strlen(rh->str) > 128 ||
		 strspn(rh->str, "0123456789abcdef") != strlen(rh->str))
		r = vc_errorf(err, VC_EINVAL,
			      "signature JSON: \"rootHash\" missing or not lowercase hex");
	else if (!sg || sg->type != J_STR)
		r = vc_errorf(err, VC_EINVAL, "signature JSON: \"signature\" missing");
	if (r == 0)
		snprintf(ret->roothash, sizeof(ret->roothash), "%s", rh->str);
	if (r == 0 && fp) {
		size_t fl;
		if (fp->type != J_STR ||
		    vc_hex_decode(fp->str, ret->fingerprint, 32, &fl, err) < 0 || fl != 32)
			r = vc_errorf(
			    err, VC_EINVAL,
			    "signature JSON: \"certificateFingerprint\" is not 64 hex digits");
		ret->has_fp = r == 0;
	}
	if (r == 0) {
		r = vc_base64_decode(sg->str, &ret->p7, &ret->p7_len, err);
		if (r < 0)
			vc_error_prefix(err, "signature JSON: \"signature\"");
	}
	json_free(&v);
	if (r < 0)
		sig_free(ret);
	return r;
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
