/* SPDX-License-Identifier: MIT */
/* Buffer, hex, derived UUIDs (DESIGN.md "Derived identifiers"), integer
 * parsing and SOURCE_DATE_EPOCH. */
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcompose/sha256.h"
#include "vcompose/util.h"

void vc_buf_init(struct vc_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void vc_buf_fini(struct vc_buf *b)
{
	free(b->data);
	vc_buf_init(b);
}

uint8_t *vc_buf_grow(struct vc_buf *b, size_t len, struct vc_error *err)
{
	if (len > SIZE_MAX - b->len - 1) {
		vc_errorf(err, VC_ENOMEM, "buffer: size overflow");
		return NULL;
	}
	if (b->len + len + 1 > b->cap) { /* +1: room for a NUL after text */
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + len + 1)
			cap = cap > SIZE_MAX / 2 ? b->len + len + 1 : cap * 2;
		uint8_t *d = realloc(b->data, cap);
		if (!d) {
			vc_errorf(err, VC_ENOMEM, "buffer: out of memory (%zu bytes)", cap);
			return NULL;
		}
		b->data = d;
		b->cap = cap;
	}
	uint8_t *p = b->data + b->len;
	memset(p, 0, len + 1);
	b->len += len;
	return p;
}

int vc_buf_append(struct vc_buf *b, const void *data, size_t len, struct vc_error *err)
{
	uint8_t *p = vc_buf_grow(b, len, err);

	if (!p)
		return VC_ENOMEM;
	if (len)
		memcpy(p, data, len);
	return 0;
}

int vc_buf_appendf(struct vc_buf *b, struct vc_error *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return vc_errorf(err, VC_EINVAL, "buffer: bad format");
	uint8_t *p = vc_buf_grow(b, (size_t)n, err);
	if (!p)
		return VC_ENOMEM;
	va_start(ap, fmt);
	vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return 0;
}

const char *vc_file_kind(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a folder";
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFSOCK: return "a socket";
	case S_IFLNK: return "a symbolic link";
	}
	return "of an unknown type";
}

int vc_open_input(const char *path, int flags, unsigned *ret_mode, struct vc_error *err)
{
	int acc = flags & O_ACCMODE;
	int fd = open(path, acc | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	bool stream;

	if (fd < 0) {
		int e = errno;
		int r = vc_errorf_errno(err, e == ENOENT ? VC_EINVAL : VC_EIO, e, "%s", path);
		errno = e; /* for callers that map a missing file differently */
		return r;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return vc_errorf_errno(err, VC_EIO, e, "%s", path);
	}
	stream = (flags & VC_OPEN_STREAM) && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode));
	if (!S_ISREG(st.st_mode) && !((flags & VC_OPEN_BLOCK) && S_ISBLK(st.st_mode)) && !stream) {
		close(fd);
		errno = 0; /* opened fine: not a missing or unreadable file */
		return vc_errorf(err, VC_EINVAL, "%s: not a regular file but %s", path,
				 vc_file_kind(st.st_mode));
	}
	if (stream && S_ISFIFO(st.st_mode)) {
		/* A FIFO opened without a writer reads as empty once O_NONBLOCK
		 * is gone: wait for its writer's first bytes (or its close). */
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return vc_errorf_errno(err, VC_EIO, e, "%s", path);
	}
	if (ret_mode)
		*ret_mode = st.st_mode;
	return fd;
}

int vc_write_file(const char *path, const void *data, size_t len, unsigned mode,
		  struct vc_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
	size_t off = 0;

	if (fd < 0)
		return vc_errorf_errno(err, VC_EIO, errno, "%s", path);
	while (off < len) {
		ssize_t k = write(fd, (const uint8_t *)data + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			close(fd);
			return vc_errorf_errno(err, VC_EIO, e, "%s", path);
		}
		off += (size_t)k;
	}
	if (close(fd) < 0)
		return vc_errorf_errno(err, VC_EIO, errno, "%s", path);
	return 0;
}

int vc_read_file(const char *path, size_t max, struct vc_buf *out, struct vc_error *err)
{
	int fd = vc_open_input(path, O_RDONLY, NULL, err);
	struct stat st;
	int r = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		r = vc_errorf_errno(err, VC_EIO, errno, "%s", path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		r = vc_errorf(err, VC_ERANGE, "%s: %lld bytes, at most %zu", path,
			      (long long)st.st_size, max);
		goto out;
	}
	uint8_t *p = vc_buf_grow(out, (size_t)st.st_size, err);
	if (!p) {
		r = VC_ENOMEM;
		goto out;
	}
	for (size_t done = 0; done < (size_t)st.st_size;) {
		ssize_t n = read(fd, p + done, (size_t)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? vc_errorf_errno(err, VC_EIO, errno, "%s: read", path)
				  : vc_errorf(err, VC_EIO, "%s: shrank while being read", path);
			goto out;
		}
		done += (size_t)n;
	}
out:
	close(fd);
	return r;
}

long vc_utf8_to_utf16(const char *s, size_t len, uint16_t *out, size_t max)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + len;
	size_t n = 0;

	while (p < end) {
		uint32_t c;
		int extra;

		if (p[0] < 0x80) {
			c = p[0];
			extra = 0;
		} else if ((p[0] & 0xe0) == 0xc0) {
			c = p[0] & 0x1f;
			extra = 1;
		} else if ((p[0] & 0xf0) == 0xe0) {
			c = p[0] & 0x0f;
			extra = 2;
		} else if ((p[0] & 0xf8) == 0xf0) {
			c = p[0] & 0x07;
			extra = 3;
		} else {
			return -1;
		}
		if (end - p <= extra)
			return -1;
		for (int i = 1; i <= extra; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			c = c << 6 | (p[i] & 0x3f);
		}
		if ((extra == 1 && c < 0x80) || (extra == 2 && c < 0x800) ||
		    (extra == 3 && c < 0x10000) || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return -1;
		p += extra + 1;
		if (c >= 0x10000) {
			if (out && n + 2 <= max) {
				out[n] = (uint16_t)(0xd800 | ((c - 0x10000) >> 10));
				out[n + 1] = (uint16_t)(0xdc00 | ((c - 0x10000) & 0x3ff));
			}
			n += 2;
		} else {
			if (out && n < max)
				out[n] = (uint16_t)c;
			n++;
		}
	}
	return (long)n;
}

void vc_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vc_hex_decode(const char *hex, uint8_t *out, size_t max, size_t *ret_len, struct vc_error *err)
{
	size_t n = strlen(hex);

	if (n % 2)
		return vc_errorf(err, VC_EINVAL, "'%.80s': odd number of hex digits (%zu)", hex, n);
	if (n / 2 > max)
		return vc_errorf(err, VC_ERANGE, "'%.80s…': %zu bytes of hex, at most %zu", hex,
				 n / 2, max);
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
		if (hi < 0 || lo < 0)
			return vc_errorf(err, VC_EINVAL, "'%.80s': not a hex digit at position %zu",
					 hex, hi < 0 ? i : i + 1);
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*ret_len = n / 2;
	return 0;
}

/* Takes the first 16 bytes and sets version 4 and the variant. (Not for
 * the DPS verity pair: systemd matches those bytes unchanged, see
 * vc_gpt_uuids_from_roothash().) */
static void uuid_from_bytes(const uint8_t in[16], uint8_t out[16])
{
	memcpy(out, in, 16);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x40); /* version 4 */
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

int vc_seed_derive(const char *seed, const char *name, const char *version, int64_t epoch,
		   uint8_t out[VC_SEED_LEN], struct vc_error *err)
{
	static const char tag[] = "vcompose-seed-v1\n";
	struct vc_sha256 c;
	char dec[24];

	vc_sha256_init(&c);
	vc_sha256_update(&c, tag, sizeof(tag) - 1);
	if (seed) {
		vc_sha256_update(&c, "seed=", 5);
		vc_sha256_update(&c, seed, strlen(seed));
		vc_sha256_update(&c, "\n", 1);
	} else {
		if (epoch < 0)
			return vc_errorf(err, VC_EINVAL,
					 "SOURCE_DATE_EPOCH %" PRId64 " is negative", epoch);
		snprintf(dec, sizeof(dec), "%" PRId64, epoch);
		vc_sha256_update(&c, "name=", 5);
		vc_sha256_update(&c, name, strlen(name));
		vc_sha256_update(&c, "\nversion=", 9);
		vc_sha256_update(&c, version, strlen(version));
		vc_sha256_update(&c, "\nsource_date_epoch=", 19);
		vc_sha256_update(&c, dec, strlen(dec));
		vc_sha256_update(&c, "\n", 1);
	}
	vc_sha256_final(&c, out);
	return 0;
}

void vc_uuid_derive(const void *seed, size_t seed_len, const char *label, uint8_t out[16])
{
	uint8_t mac[VC_SHA256_LEN];

	vc_hmac_sha256(seed, seed_len, label, strlen(label), mac);
	uuid_from_bytes(mac, out);
}

void vc_uuid_format(const uint8_t u[16], char out[VC_UUID_STR])
{
	snprintf(out, VC_UUID_STR,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
}

int vc_uuid_parse(const char *s, uint8_t out[16], struct vc_error *err)
{
	uint8_t u[16];
	size_t j = 0;

	if (strlen(s) != 36)
		goto bad;
	for (size_t i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				goto bad;
			i++;
			continue;
		}
		int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		u[j++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	memcpy(out, u, 16);
	return 0;
bad:
	return vc_errorf(err, VC_EINVAL,
			 "'%.80s': not a UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s);
}

int vc_parse_u64(const char *s, bool allow_suffix, uint64_t *ret, struct vc_error *err)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;
	int base = 10;

	if (!*p)
		return vc_errorf(err, VC_EINVAL, "empty number");
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!*p)
			goto bad;
	}
	for (; *p; p++) {
		int d = base == 16 ? hex_value(*p) : (*p >= '0' && *p <= '9' ? *p - '0' : -1);
		if (d < 0)
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return vc_errorf(err, VC_ERANGE, "'%.80s': number too large", s);
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (p == s || (base == 16 && p == s + 2))
		goto bad;
	if (*p) {
		if (!allow_suffix || p[1] != '\0')
			goto bad;
		switch (*p) {
		case 'K':
		case 'k': mul = 1ull << 10; break;
		case 'M':
		case 'm': mul = 1ull << 20; break;
		case 'G':
		case 'g': mul = 1ull << 30; break;
		case 'T':
		case 't': mul = 1ull << 40; break;
		default: goto bad;
		}
		if (v > UINT64_MAX / mul)
			return vc_errorf(err, VC_ERANGE, "'%.80s': number too large", s);
	}
	*ret = v * mul;
	return 0;
bad:
	return vc_errorf(err, VC_EINVAL, "'%.80s': not a number", s);
}

int vc_source_date_epoch(int64_t *ret, bool *ret_set, struct vc_error *err)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;

	if (!s || !*s) {
		*ret = 0;
		*ret_set = false;
		return 0;
	}
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return vc_errorf(err, VC_EINVAL,
					 "SOURCE_DATE_EPOCH='%.40s': not a non-negative integer",
					 s);
	if (vc_parse_u64(s, false, &v, err) < 0 || v > INT64_MAX)
		return vc_errorf(err, VC_EINVAL, "SOURCE_DATE_EPOCH='%.40s': out of range", s);
	*ret = (int64_t)v;
	*ret_set = true;
	return 0;
}
