/* SPDX-License-Identifier: MIT */
/* The join step of deferred signing: a DPS signature blob into the
 * root-verity-sig partition of an image we built.
 * Spec: UEFI 2.10 section 5.3.2/5.3.3 (GPT header and entries, CRC32s);
 * UAPI Discoverable Partitions Specification ("verity signature partition":
 * JSON with rootHash, certificateFingerprint, signature; the data and hash
 * partition UUIDs are the first and last 128 bits of the root hash).
 *
 * The partition is found, never given: the GPT's root/usr partition whose
 * UUID is the first 128 bits of the blob's rootHash, its verity partition
 * (when there is one) with the last 128 bits, and the one -verity-sig
 * partition of the same architecture. Nothing outside that partition is
 * written. Without a GPT, the file must be the signature partition itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "vcompose/compose.h"
#include "vcompose/endian.h"
#include "vcompose/gpt.h"
#include "vcompose/sign.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"
#include "../gpt/gpt_disk.h"

#define JOIN_MAX_REGION (64u << 20) /* bytes of a signature partition we fill */
#define JOIN_MAX_ARRAY	(16u << 20) /* bytes of an entry array we read */

static void guid_from_disk(const uint8_t in[16], uint8_t out[16])
{
	out[0] = in[3], out[1] = in[2], out[2] = in[1], out[3] = in[0];
	out[4] = in[5], out[5] = in[4];
	out[6] = in[7], out[7] = in[6];
	memcpy(out + 8, in + 8, 8);
}

static int pread_full(int fd, const char *path, void *buf, size_t len, uint64_t off,
		      struct vc_error *err)
{
	struct vc_fd_sink s;

	vc_fd_sink_init(&s, fd, path);
	return vc_sink_pread(&s.sink, buf, len, off, err);
}

/* The "rootHash" of a DPS signature blob (32 to 64 bytes), read by sign's
 * one reader of the blob (vc_sign_dps_parse: the whole JSON checked). */
static int join_roothash(const uint8_t *dps, size_t len, uint8_t ret[64], size_t *ret_len,
			 struct vc_error *err)
{
	struct vc_sign_dps d;
	int r = vc_sign_dps_parse(dps, len, &d, err);

	if (r < 0)
		return r;
	r = vc_hex_decode(d.roothash, ret, 64, ret_len, err);
	if (r == 0 && *ret_len < 32)
		r = vc_errorf(err, VC_EINVAL, "\"rootHash\" of %zu bytes: at least 32 expected",
			      *ret_len);
	vc_sign_dps_fini(&d);
	return r;
}

/* Reads the primary GPT (512- or 4096-byte sectors). 0 with *ret_found false
 * when the file has no GPT header signature at all. */
struct table {
	bool found;
	uint32_t sector;
	uint32_t n_entries, entry_size;
	uint64_t first_usable, last_usable;
	uint8_t *array;
};

static int read_table(int fd, const char *path, uint64_t size, struct table *t,
		      struct vc_error *err)
{
	struct gpt_header_disk h;
	uint8_t raw[512];
	int r;

	memset(t, 0, sizeof(*t));
	for (uint32_t sector = 512; sector <= 4096; sector *= 8) {
		if (size < (uint64_t)sector * 3)
			break;
		r = pread_full(fd, path, raw, sizeof(raw), sector, err);
		if (r < 0)
			return r;
		if (memcmp(raw, GPT_SIGNATURE, 8) == 0) {
			t->sector = sector;
			break;
		}
	}
	if (!t->sector)
		return 0;
	t->found = true;
	memcpy(&h, raw, sizeof(h));
	uint32_t hsize = vc_get_le32(h.header_size);
	if (hsize < 92 || hsize > 512)
		return vc_errorf(err, VC_EINVAL, "%s: GPT header: HeaderSize %u (92..512 expected)",
				 path, hsize);
	uint32_t crc = vc_get_le32(h.header_crc32);
	memset(raw + offsetof(struct gpt_header_disk, header_crc32), 0, 4);
	if ((uint32_t)crc32(0, raw, hsize) != crc)
		return vc_errorf(err, VC_EINVAL,
				 "%s: the primary GPT header's CRC32 is wrong; `vcompose verify` "
				 "tells more, join writes only into an intact table's partition",
				 path);
	t->n_entries = vc_get_le32(h.number_of_partition_entries);
	t->entry_size = vc_get_le32(h.size_of_partition_entry);
	t->first_usable = vc_get_le64(h.first_usable_lba);
	t->last_usable = vc_get_le64(h.last_usable_lba);
	uint64_t lba = vc_get_le64(h.partition_entry_lba);
	uint64_t n_lbas = size / t->sector;
	if (t->entry_size < 128 || (t->entry_size & (t->entry_size - 1)))
		return vc_errorf(err, VC_EINVAL,
				 "%s: GPT header: SizeOfPartitionEntry %u (128 x 2^n expected)",
				 path, t->entry_size);
	uint64_t bytes = (uint64_t)t->n_entries * t->entry_size;
	if (bytes > JOIN_MAX_ARRAY || lba >= n_lbas ||
	    VC_DIV_ROUND_UP(bytes, t->sector) > n_lbas - lba)
		return vc_errorf(err, VC_EINVAL,
				 "%s: GPT entry array of %u x %u bytes at LBA %llu does not fit "
				 "the disk",
				 path, t->n_entries, t->entry_size, (unsigned long long)lba);
	t->array = malloc(bytes ? bytes : 1);
	if (!t->array)
		return vc_errorf(err, VC_ENOMEM, "%s: out of memory", path);
	r = pread_full(fd, path, t->array, bytes, lba * t->sector, err);
	if (r < 0)
		return r;
	if ((uint32_t)crc32(0, t->array, (uInt)bytes) != vc_get_le32(h.partition_entry_array_crc32))
		return vc_errorf(err, VC_EINVAL, "%s: the GPT entry array's CRC32 is wrong", path);
	return 0;
}

struct found {
	unsigned index; /* 1-based; 0: none */
	int count;
	uint8_t type[16]; /* the first one's */
	uint64_t first_lba, last_lba;
};

/* The entries of type `type` (NULL: a root/usr data type of any
 * architecture) and UUID `uuid` (NULL: any); ret names the first. */
static int find(const struct table *t, const uint8_t *type, const uint8_t *uuid, struct found *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (uint32_t i = 0; i < t->n_entries; i++) {
		const struct gpt_entry_disk *e =
		    (const void *)(t->array + (size_t)i * t->entry_size);
		uint8_t ty[16], u[16];

		guid_from_disk(e->type_guid, ty);
		guid_from_disk(e->part_guid, u);
		if ((type ? memcmp(ty, type, 16) != 0 : !vc_gpt_type_is_verity_data(ty)) ||
		    (uuid && memcmp(u, uuid, 16) != 0))
			continue;
		if (ret->count++ == 0) {
			ret->index = i + 1;
			memcpy(ret->type, ty, 16);
			ret->first_lba = vc_get_le64(e->first_lba);
			ret->last_lba = vc_get_le64(e->last_lba);
		}
	}
	return ret->count;
}

static int locate(const char *path, const struct table *t, const uint8_t *rh, size_t rh_len,
		  uint64_t size, uint64_t *ret_off, uint64_t *ret_len, unsigned *ret_index,
		  struct vc_error *err)
{
	uint8_t hash_type[16], sig_type[16], du[16], hu[16];
	char us[VC_UUID_STR];
	struct found d, h, s;

	vc_gpt_uuids_from_roothash(rh, rh_len, du, hu);
	vc_uuid_format(du, us);
	if (find(t, NULL, du, &d) != 1)
		return vc_errorf(err, VC_EINVAL,
				 "%s: %s root or usr partition with UUID %s (the first 128 bits "
				 "of the root hash): not the image of this root hash?",
				 path, d.count ? "more than one" : "no", us);
	vc_gpt_type_verity_sibling(d.type, 1, hash_type);
	vc_gpt_type_verity_sibling(d.type, 2, sig_type);
	find(t, hash_type, NULL, &h);
	if (h.count > 1)
		return vc_errorf(err, VC_EINVAL, "%s: %d %s partitions", path, h.count,
				 vc_gpt_type_name(hash_type));
	if (h.count == 1) {
		struct found hm;
		find(t, hash_type, hu, &hm);
		if (hm.count != 1) {
			vc_uuid_format(hu, us);
			return vc_errorf(
			    err, VC_EINVAL,
			    "%s: the %s partition (%u) does not have UUID %s (the last "
			    "128 bits of the root hash)",
			    path, vc_gpt_type_name(hash_type), h.index, us);
		}
	}
	find(t, sig_type, NULL, &s);
	if (s.count != 1)
		return vc_errorf(err, VC_EINVAL, "%s: %s %s partition for partition %u", path,
				 s.count ? "more than one" : "no", vc_gpt_type_name(sig_type),
				 d.index);
	uint64_t n_lbas = size / t->sector;
	if (s.first_lba > s.last_lba || s.first_lba < t->first_usable ||
	    s.last_lba > t->last_usable || s.last_lba >= n_lbas)
		return vc_errorf(err, VC_EINVAL,
				 "%s: the %s partition (%u): LBAs %llu..%llu outside the usable "
				 "%llu..%llu",
				 path, vc_gpt_type_name(sig_type), s.index,
				 (unsigned long long)s.first_lba, (unsigned long long)s.last_lba,
				 (unsigned long long)t->first_usable,
				 (unsigned long long)t->last_usable);
	*ret_off = s.first_lba * t->sector;
	*ret_len = (s.last_lba - s.first_lba + 1) * t->sector;
	*ret_index = s.index;
	return 0;
}

int vc_compose_join(const struct vc_join_options *o, struct vc_join_result *ret,
		    struct vc_error *err)
{
	struct table t = {0};
	struct vc_buf buf = {0};
	uint8_t rh[64];
	size_t rh_len;
	uint64_t off = 0, len = 0;
	unsigned index = 0;
	struct stat st;
	int fd, r;

	r = join_roothash(o->dps, o->dps_len, rh, &rh_len, err);
	if (r < 0)
		return r;
	fd = vc_open_input(o->image, O_RDWR, NULL, err);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		r = vc_errorf_errno(err, VC_EIO, errno, "%s", o->image);
		goto out;
	}
	r = read_table(fd, o->image, (uint64_t)st.st_size, &t, err);
	if (r < 0)
		goto out;
	if (t.found) {
		r = locate(o->image, &t, rh, rh_len, (uint64_t)st.st_size, &off, &len, &index, err);
		if (r == 0 && o->have_region && (o->offset != off || o->size != len))
			r = vc_errorf(err, VC_EINVAL,
				      "%s: --offset %llu --size %llu is not the signature "
				      "partition %u (offset %llu, %llu bytes); leave them out",
				      o->image, (unsigned long long)o->offset,
				      (unsigned long long)o->size, index, (unsigned long long)off,
				      (unsigned long long)len);
	} else if (!o->have_region) {
		r = vc_errorf(err, VC_EINVAL,
			      "%s: no GPT; for a bare signature partition give --offset 0 --size "
			      "%lld (the whole file)",
			      o->image, (long long)st.st_size);
	} else if (o->offset != 0 || o->size != (uint64_t)st.st_size) {
		r = vc_errorf(err, VC_EINVAL,
			      "%s: no GPT, so the file must be the signature partition itself: "
			      "--offset 0 --size %lld, not %llu+%llu",
			      o->image, (long long)st.st_size, (unsigned long long)o->offset,
			      (unsigned long long)o->size);
	} else {
		off = 0;
		len = o->size;
	}
	if (r < 0)
		goto out;
	if (len == 0 || len % VC_JOIN_ALIGN || len > JOIN_MAX_REGION) {
		r = vc_errorf(err, VC_EINVAL,
			      "%s: signature region of %llu bytes: a multiple of 4096 up to 64 MiB "
			      "expected",
			      o->image, (unsigned long long)len);
		goto out;
	}
	if (o->dps_len > len) {
		r = vc_errorf(err, VC_ERANGE,
			      "%s: the signature needs %zu bytes, the region has %llu", o->image,
			      o->dps_len, (unsigned long long)len);
		goto out;
	}
	if (!vc_buf_grow(&buf, (size_t)len, err)) {
		r = VC_ENOMEM;
		goto out;
	}
	r = pread_full(fd, o->image, buf.data, (size_t)len, off, err);
	if (r < 0)
		goto out;
	if (!o->force)
		for (size_t i = 0; i < len; i++)
			if (buf.data[i]) {
				r = vc_errorf(err, VC_EINVAL,
					      "%s: the signature region at %llu is not empty (byte "
					      "%zu is not zero); --force overwrites it",
					      o->image, (unsigned long long)off, i);
				goto out;
			}
	memset(buf.data, 0, (size_t)len);
	memcpy(buf.data, o->dps, o->dps_len);
	struct vc_fd_sink img;
	vc_fd_sink_init(&img, fd, o->image);
	r = vc_sink_pwrite(&img.sink, buf.data, (size_t)len, off, err);
	if (r == 0 && ret) {
		ret->offset = off;
		ret->size = len;
		ret->partition = index;
	}
out:
	if (fd >= 0)
		close(fd);
	free(t.array);
	vc_buf_fini(&buf);
	return r;
}
