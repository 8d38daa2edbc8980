/* SPDX-License-Identifier: MIT */
/* A GPT disk from partition images (what `vcompose gpt` does): the
 * partition options of "TYPE:FILE[,KEY=VALUE...]", each image checked and
 * copied into its partition; gpt.c lays out and writes the table. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vcompose/gpt.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"

#define COPY_CHUNK (1024 * 1024)

/* roothash=H: the UUID the DPS pairs with the root hash, by the type. */
static int uuid_from_roothash(const char *type, const char *hex, struct vc_gpt_part *p,
			      struct vc_error *err)
{
	uint8_t hash[64], data[16], hashp[16];
	size_t n;

	if (vc_hex_decode(hex, hash, sizeof(hash), &n, err) < 0 || n < 16) {
		vc_error_clear(err);
		return vc_errorf(err, VC_EINVAL, "%s: roothash '%s' is not hex of 16 to 64 bytes",
				 type, hex);
	}
	if (!vc_gpt_type_is_verity_data(p->type) && !vc_gpt_type_is_verity_hash(p->type))
		return vc_errorf(err, VC_EINVAL,
				 "%s: roothash= applies to root, usr, root-verity and usr-verity "
				 "partitions only",
				 type);
	vc_gpt_uuids_from_roothash(hash, n, data, hashp);
	memcpy(p->uuid, vc_gpt_type_is_verity_data(p->type) ? data : hashp, 16);
	p->uuid_set = true;
	return 0;
}

/* One KEY=VALUE of a partition (tok modified in place). */
static int part_option(const char *type, char *tok, struct vc_gpt_part *p, const char **roothash,
		       struct vc_error *err)
{
	char *eq = strchr(tok, '=');
	const char *v;
	uint64_t n;

	if (!eq)
		return vc_errorf(err, VC_EINVAL, "%s: option '%s' is not KEY=VALUE", type, tok);
	*eq = '\0';
	v = eq + 1;
	if (strcmp(tok, "label") == 0) {
		if (strlen(v) > VC_GPT_LABEL_MAX)
			return vc_errorf(err, VC_EINVAL,
					 "%s: label '%s' is longer than 36 UTF-16 units", type, v);
		strcpy(p->label, v);
	} else if (strcmp(tok, "uuid") == 0) {
		if (vc_uuid_parse(v, p->uuid, err) < 0) {
			vc_error_prefix(err, "%s: uuid", type);
			return err->code;
		}
		p->uuid_set = true;
	} else if (strcmp(tok, "roothash") == 0) {
		*roothash = v;
	} else if (strcmp(tok, "flags") == 0) {
		if (vc_gpt_flags_parse(v, &p->flags, err) < 0) {
			vc_error_prefix(err, "%s", type);
			return err->code;
		}
	} else if (strcmp(tok, "number") == 0) {
		if (vc_parse_u64(v, false, &n, err) < 0 || n < 1 || n > VC_GPT_MAX_PARTS) {
			vc_error_clear(err);
			return vc_errorf(err, VC_EINVAL, "%s: number '%s': expected 1..%d", type, v,
					 VC_GPT_MAX_PARTS);
		}
		p->number = (unsigned)n;
	} else if (strcmp(tok, "size") == 0 || strcmp(tok, "start") == 0) {
		if (vc_parse_u64(v, true, &n, err) < 0) {
			vc_error_prefix(err, "%s: %s", type, tok);
			return err->code;
		}
		if (tok[1] != 'i' && n == 0)
			/* 0 would mean "the next 1 MiB boundary" in vc_gpt_part */
			return vc_errorf(err, VC_EINVAL,
					 "%s: start=0 is inside the GPT; leave start out for the "
					 "next 1 MiB boundary",
					 type);
		if (tok[1] == 'i')
			p->size = n;
		else
			p->start = n;
	} else {
		return vc_errorf(err, VC_EINVAL,
				 "%s: unknown option '%s' (expected label, uuid, roothash, flags, "
				 "size, start, number)",
				 type, tok);
	}
	return 0;
}

int vc_gpt_part_parse(char *spec, struct vc_gpt_part *p, const char **ret_file,
		      struct vc_error *err)
{
	char *colon = strchr(spec, ':');
	char *opts, *tok, *save = NULL;
	const char *roothash = NULL;
	int r = 0;

	memset(p, 0, sizeof(*p));
	*ret_file = NULL;
	if (!colon)
		return vc_errorf(err, VC_EINVAL, "'%s': expected TYPE:FILE", spec);
	*colon = '\0';
	if (vc_gpt_type_lookup(spec, p->type, err) < 0)
		return err->code;
	opts = strchr(colon + 1, ',');
	if (opts)
		*opts++ = '\0';
	if (colon[1])
		*ret_file = colon + 1;
	for (tok = opts ? strtok_r(opts, ",", &save) : NULL; tok && r == 0;
	     tok = strtok_r(NULL, ",", &save))
		r = part_option(spec, tok, p, &roothash, err);
	if (r == 0 && roothash)
		r = uuid_from_roothash(spec, roothash, p, err);
	if (r == 0 && !*ret_file && p->size == 0)
		r = vc_errorf(err, VC_EINVAL, "%s: no FILE and no size=", spec);
	return r;
}

int vc_gpt_part_image(const char *path, struct vc_gpt_part *p, uint64_t *ret_size,
		      struct vc_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return vc_errorf_errno(err, errno == ENOENT ? VC_EINVAL : VC_EIO, errno, "%s",
				       path);
	if (!S_ISREG(st.st_mode))
		return vc_errorf(err, VC_EINVAL, "%s: not a regular file but %s", path,
				 vc_file_kind(st.st_mode));
	*ret_size = (uint64_t)st.st_size;
	if (p->size < *ret_size)
		p->size = *ret_size;
	return 0;
}

int vc_gpt_copy_image(const char *path, uint64_t size, const struct vc_sink *w,
		      struct vc_error *err)
{
	uint8_t *buf = malloc(COPY_CHUNK);
	uint64_t off = 0;
	int fd = -1, r = 0;

	if (!buf)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	fd = vc_open_input(path, O_RDONLY | VC_OPEN_BLOCK, NULL, err);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	while (off < size) {
		size_t want = size - off > COPY_CHUNK ? COPY_CHUNK : (size_t)(size - off);
		ssize_t got = pread(fd, buf, want, (off_t)off);
		bool zero = true;

		if (got < 0) {
			r = vc_errorf_errno(err, VC_EIO, errno, "%s: read", path);
			goto out;
		}
		if (got == 0) {
			r = vc_errorf(err, VC_EIO, "%s: shrank while being copied", path);
			goto out;
		}
		/* Zero chunks stay holes: the disk file reads them back as zeros. */
		for (ssize_t i = 0; i < got && zero; i++)
			zero = buf[i] == 0;
		if (!zero) {
			r = vc_sink_pwrite(w, buf, (size_t)got, off, err);
			if (r < 0)
				goto out;
		}
		off += (uint64_t)got;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}
