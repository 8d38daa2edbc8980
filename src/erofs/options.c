/* SPDX-License-Identifier: MIT */
/* EROFS options: the compression strings of KIWI's erofscompression and
 * mkfs.erofs -z, features, pcluster sizes, Linux versions, and which Linux
 * first reads each of them. Spec: fs/erofs/erofs_fs.h (feature bits,
 * Z_EROFS_COMPRESSION_*, Z_EROFS_PCLUSTER_MAX_SIZE); the versions are the
 * Linux releases whose fs/erofs first accepted each bit or algorithm
 * (EROFS_ALL_FEATURE_INCOMPAT and the z_erofs_decomp table of each). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "erofs_disk.h"
#include "erofs_priv.h"
#include "vcompose/util.h"

static const struct {
	const char *name;
	enum vc_erofs_compress c;
	int min, max, def; /* levels; min > max: no level */
	unsigned kver;	   /* the first Linux that decompresses it */
} algs[] = {
    {"none", VC_EROFS_NONE, 1, 0, 0, VC_EROFS_KVER(5, 4)},
    {"uncompressed", VC_EROFS_NONE, 1, 0, 0, VC_EROFS_KVER(5, 4)},
    {"lz4", VC_EROFS_LZ4, 1, 0, 0, VC_EROFS_KVER(5, 4)},
    {"lz4hc", VC_EROFS_LZ4HC, 1, 12, 9, VC_EROFS_KVER(5, 4)},
    {"zstd", VC_EROFS_ZSTD, 1, 22, 3, VC_EROFS_KVER(6, 10)},
    {"lzma", VC_EROFS_LZMA, 0, 9, 6, VC_EROFS_KVER(5, 16)},
    {"deflate", VC_EROFS_DEFLATE, 1, 9, 1, VC_EROFS_KVER(6, 6)},
};

static const struct {
	const char *name;
	unsigned bit;
	unsigned kver;
} features[] = {
    {"ztailpacking", VC_EROFS_FEATURE_ZTAILPACKING, VC_EROFS_KVER(5, 17)},
    {"fragments", VC_EROFS_FEATURE_FRAGMENTS, VC_EROFS_KVER(6, 1)},
    {"dedupe", VC_EROFS_FEATURE_DEDUPE, VC_EROFS_KVER(6, 1)},
    {"chunks", VC_EROFS_FEATURE_CHUNKS, VC_EROFS_KVER(5, 15)},
};

#define KVER_BIG_PCLUSTER VC_EROFS_KVER(5, 13) /* COMPR_CFGS, BIG_PCLUSTER */

const char *vc_erofs_compress_name(enum vc_erofs_compress c)
{
	for (size_t i = 0; i < VC_ARRAY_SIZE(algs); i++)
		if (algs[i].c == c)
			return algs[i].name;
	return "?";
}

int vc_erofs_level_default(enum vc_erofs_compress c)
{
	for (size_t i = 0; i < VC_ARRAY_SIZE(algs); i++)
		if (algs[i].c == c)
			return algs[i].def;
	return 0;
}

int vc_erofs_check_level(enum vc_erofs_compress c, int level, struct vc_error *err)
{
	for (size_t i = 0; i < VC_ARRAY_SIZE(algs); i++) {
		if (algs[i].c != c)
			continue;
		if (level == 0 && algs[i].min != 0)
			return 0; /* the default */
		if (algs[i].min > algs[i].max)
			return vc_errorf(err, VC_EINVAL, "%s takes no level", algs[i].name);
		/* LZMA's extreme presets, as mkfs.erofs numbers them */
		if (c == VC_EROFS_LZMA && level >= 100 && level <= 109)
			return 0;
		if (level < algs[i].min || level > algs[i].max)
			return vc_errorf(err, VC_EINVAL, "%s level %d: expected %d..%d%s",
					 algs[i].name, level, algs[i].min, algs[i].max,
					 c == VC_EROFS_LZMA ? " or 100..109" : "");
		return 0;
	}
	return vc_errorf(err, VC_EINVAL, "unknown compression %d", (int)c);
}

int vc_erofs_parse_compress(const char *s, enum vc_erofs_compress *ret_c, int *ret_level,
			    struct vc_error *err)
{
	size_t n = strcspn(s, ",:");
	const char *lv = s[n] ? s + n + 1 : NULL;
	int level = 0;

	for (size_t i = 0; i < VC_ARRAY_SIZE(algs); i++) {
		if (strlen(algs[i].name) != n || strncmp(s, algs[i].name, n) != 0)
			continue;
		if (lv) {
			uint64_t v;

			if (strncmp(lv, "level=", 6) == 0)
				lv += 6;
			else if ((*lv >= 'a' && *lv <= 'z') || strchr(lv, ',') || strchr(lv, ':'))
				return vc_errorf(err, VC_EUNSUPP,
						 "compression '%s': one algorithm with an optional "
						 "level is supported (ALG or ALG,level=N), not "
						 "several or other options",
						 s);
			if (algs[i].min > algs[i].max)
				return vc_errorf(err, VC_EINVAL,
						 "compression '%s': %s takes no level", s,
						 algs[i].name);
			if (vc_parse_u64(lv, false, &v, err) < 0 || v > 1000)
				return vc_errorf(err, VC_EINVAL,
						 "compression '%s': level '%s' is not a number", s,
						 lv);
			level = (int)v;
			if (level == 0 && algs[i].min != 0)
				return vc_errorf(err, VC_EINVAL,
						 "compression '%s': %s level 0: expected %d..%d", s,
						 algs[i].name, algs[i].min, algs[i].max);
			if (vc_erofs_check_level(algs[i].c, level, err) < 0) {
				vc_error_prefix(err, "compression '%s'", s);
				return err->code;
			}
		}
		*ret_c = algs[i].c;
		*ret_level = level;
		return 0;
	}
	return vc_errorf(err, VC_EINVAL,
			 "compression '%s': unknown algorithm '%.*s' (known: none, lz4, lz4hc, "
			 "zstd, lzma, deflate)",
			 s, (int)(n > 40 ? 40 : n), s);
}

int vc_erofs_parse_features(const char *s, unsigned *ret, struct vc_error *err)
{
	unsigned f = 0;
	const char *p = s;

	if (strcmp(s, "none") == 0 || !*s) {
		*ret = 0;
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		size_t i;

		for (i = 0; i < VC_ARRAY_SIZE(features); i++)
			if (strlen(features[i].name) == n && strncmp(p, features[i].name, n) == 0)
				break;
		if (i == VC_ARRAY_SIZE(features))
			return vc_errorf(err, VC_EINVAL,
					 "features '%s': unknown feature '%.*s' (known: "
					 "ztailpacking, fragments, dedupe, chunks)",
					 s, (int)(n > 40 ? 40 : n), p);
		f |= features[i].bit;
		p += n;
		if (*p == ',')
			p++;
	}
	*ret = f;
	return 0;
}

/* A size with an optional k/M/G suffix, a power of two from 4096 to max. */
static int parse_pow2(const char *s, uint64_t max, const char *what, const char *limit,
		      uint64_t *ret, struct vc_error *err)
{
	uint64_t v;

	if (vc_parse_u64(s, true, &v, err) < 0)
		return vc_errorf(err, VC_EINVAL, "%s '%s': not a size", what, s);
	if (v < EROFS_BLKSIZ || v > max || (v & (v - 1)))
		return vc_errorf(err, VC_EINVAL,
				 "%s '%s': expected a power of two from 4096 to %llu (%s)", what, s,
				 (unsigned long long)max, limit);
	*ret = v;
	return 0;
}

int vc_erofs_parse_pcluster(const char *s, uint32_t *ret, struct vc_error *err)
{
	uint64_t v = 0;
	int r = parse_pow2(s, VC_EROFS_PCLUSTER_MAX, "pcluster size",
			   "EROFS's Z_EROFS_PCLUSTER_MAX_SIZE", &v, err);

	if (r == 0)
		*ret = (uint32_t)v;
	return r;
}

int vc_erofs_parse_chunk_size(const char *s, uint64_t *ret, struct vc_error *err)
{
	return parse_pow2(s, VC_EROFS_CHUNK_MAX, "chunk size",
			  "the block size << 31, EROFS_CHUNK_FORMAT_BLKBITS_MASK", ret, err);
}

int vc_erofs_parse_kver(const char *s, unsigned *ret, struct vc_error *err)
{
	char *end;
	unsigned long major, minor;

	major = strtoul(s, &end, 10);
	if (end == s || *end != '.' || s[0] < '0' || s[0] > '9')
		goto bad;
	s = end + 1;
	if (s[0] < '0' || s[0] > '9')
		goto bad;
	minor = strtoul(s, &end, 10);
	if ((*end && *end != '.') || major < 5 || major > 99 || minor > 999 ||
	    VC_EROFS_KVER(major, minor) < VC_EROFS_KVER(5, 4))
		goto bad;
	*ret = VC_EROFS_KVER(major, minor);
	return 0;
bad:
	return vc_errorf(err, VC_EINVAL,
			 "Linux version '%s': expected MAJOR.MINOR, 5.4 or later (e.g. 6.1, 6.12)",
			 s);
}

const char *vc_erofs_kver_str(unsigned kver, char *buf, size_t cap)
{
	snprintf(buf, cap, "%u.%u", kver / 1000, kver % 1000);
	return buf;
}

/* The newest requirement of o, with what asks for it in *ret_why. */
static unsigned need_of(const struct vc_erofs_options *o, const char **ret_why)
{
	unsigned need = VC_EROFS_KVER(5, 4);
	const char *why = "EROFS";

	if (o->compress != VC_EROFS_NONE) {
		for (size_t i = 0; i < VC_ARRAY_SIZE(algs); i++)
			if (algs[i].c == o->compress && algs[i].kver > need) {
				need = algs[i].kver;
				why = algs[i].name;
			}
		if (o->pcluster_size > EROFS_BLKSIZ && KVER_BIG_PCLUSTER > need) {
			need = KVER_BIG_PCLUSTER;
			why = "a pcluster size over 4096 (big pclusters)";
		}
	}
	for (size_t i = 0; i < VC_ARRAY_SIZE(features); i++)
		if ((o->features & features[i].bit) && features[i].kver > need) {
			need = features[i].kver;
			why = features[i].name;
		}
	if (ret_why)
		*ret_why = why;
	return need;
}

unsigned vc_erofs_min_kver(const struct vc_erofs_options *o)
{
	return need_of(o, NULL);
}

int vc_erofs_check_options(const struct vc_erofs_options *o, struct vc_error *err)
{
	unsigned target = o->target ? o->target : VC_EROFS_KVER_DEFAULT;
	char a[16], b[16];
	const char *why;
	unsigned need;

	if (vc_erofs_check_level(o->compress, o->level, err) < 0)
		return vc_errorf(err, err->code, "erofs: %s", err->msg);
	if (o->pcluster_size &&
	    (o->pcluster_size < EROFS_BLKSIZ || o->pcluster_size > VC_EROFS_PCLUSTER_MAX ||
	     (o->pcluster_size & (o->pcluster_size - 1))))
		return vc_errorf(err, VC_EINVAL,
				 "erofs: pcluster size %u: expected a power of two from 4096 to %u",
				 o->pcluster_size, VC_EROFS_PCLUSTER_MAX);
	if (o->chunk_size && (o->chunk_size < EROFS_BLKSIZ || o->chunk_size > VC_EROFS_CHUNK_MAX ||
			      (o->chunk_size & (o->chunk_size - 1))))
		return vc_errorf(err, VC_EINVAL,
				 "erofs: chunk size %llu: expected a power of two from 4096 to 8T",
				 (unsigned long long)o->chunk_size);
	need = need_of(o, &why);
	if (need > target)
		return vc_errorf(err, VC_EINVAL,
				 "erofs: %s needs Linux %s or later to read it, but the target "
				 "kernel is %s (raise the target, e.g. --erofs-target %s)",
				 why, vc_erofs_kver_str(need, a, sizeof(a)),
				 vc_erofs_kver_str(target, b, sizeof(b)), a);
	if ((o->features & VC_EROFS_FEATURE_DEDUPE) && !(o->features & VC_EROFS_FEATURE_FRAGMENTS))
		return vc_errorf(err, VC_EUNSUPP,
				 "erofs: dedupe shares equal fragments here: it needs fragments");
	if ((o->features & VC_EROFS_FEATURE_FRAGMENTS) && o->compress == VC_EROFS_NONE)
		return vc_errorf(err, VC_EINVAL,
				 "erofs: fragments are compressed data: choose a compression");
	if ((o->features & VC_EROFS_FEATURE_ZTAILPACKING) && o->compress == VC_EROFS_NONE)
		return vc_errorf(
		    err, VC_EINVAL,
		    "erofs: ztailpacking inlines compressed tails: choose a compression");
	for (size_t i = 0; i < VC_ARRAY_SIZE(features); i++)
		if (o->features & features[i].bit & ~VC_EROFS_FEATURES_BUILT)
			return vc_errorf(
			    err, VC_EUNSUPP,
			    "erofs: the %s feature is not written by this vcompose yet",
			    features[i].name);
	return 0;
}

unsigned vc_erofs_kver_of_features(uint32_t feature_compat, uint32_t feature_incompat,
				   uint16_t compr_algs)
{
	static const struct {
		uint32_t bit;
		unsigned kver;
	} incompat[] = {
	    {EROFS_FEATURE_INCOMPAT_LZ4_0PADDING, VC_EROFS_KVER(5, 4)},
	    {EROFS_FEATURE_INCOMPAT_COMPR_CFGS, KVER_BIG_PCLUSTER},
	    {EROFS_FEATURE_INCOMPAT_CHUNKED_FILE, VC_EROFS_KVER(5, 15)},
	    {EROFS_FEATURE_INCOMPAT_DEVICE_TABLE, VC_EROFS_KVER(5, 16)},
	    {EROFS_FEATURE_INCOMPAT_ZTAILPACKING, VC_EROFS_KVER(5, 17)},
	    {EROFS_FEATURE_INCOMPAT_FRAGMENTS, VC_EROFS_KVER(6, 1)},
	    {EROFS_FEATURE_INCOMPAT_XATTR_PREFIXES, VC_EROFS_KVER(6, 4)},
	};
	static const unsigned alg_kver[] = {
	    [Z_EROFS_COMPRESSION_LZ4] = VC_EROFS_KVER(5, 4),
	    [Z_EROFS_COMPRESSION_LZMA] = VC_EROFS_KVER(5, 16),
	    [Z_EROFS_COMPRESSION_DEFLATE] = VC_EROFS_KVER(6, 6),
	    [Z_EROFS_COMPRESSION_ZSTD] = VC_EROFS_KVER(6, 10),
	};
	unsigned need = VC_EROFS_KVER(5, 4);
	uint32_t known = 0;

	(void)feature_compat; /* compatible bits: older kernels ignore them */
	for (size_t i = 0; i < VC_ARRAY_SIZE(incompat); i++) {
		known |= incompat[i].bit;
		if ((feature_incompat & incompat[i].bit) && incompat[i].kver > need)
			need = incompat[i].kver;
	}
	if (feature_incompat & ~known)
		return UINT32_MAX; /* newer than this table */
	if (feature_incompat & EROFS_FEATURE_INCOMPAT_COMPR_CFGS) {
		for (unsigned a = 0; a < 16; a++) {
			if (!(compr_algs & (1u << a)))
				continue;
			if (a >= VC_ARRAY_SIZE(alg_kver))
				return UINT32_MAX;
			if (alg_kver[a] > need)
				need = alg_kver[a];
		}
	}
	return need;
}
