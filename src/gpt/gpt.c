/* SPDX-License-Identifier: MIT */
/* GPT writer. Spec: UEFI 2.10, section 5.2.3 "Protective MBR" and section 5.3
 * "GUID Partition Table (GPT) Disk Layout"; attribute bits from the UAPI
 * Discoverable Partitions Specification. See include/vcompose/gpt.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gpt_disk.h"
#include "vcompose/endian.h"
#include "vcompose/gpt.h"
#include "vcompose/sha256.h"
#include "vcompose/util.h"

/* The largest disk we accept: 2^63 bytes keeps every sum below in range. */
#define DISK_SIZE_MAX (UINT64_C(1) << 62)

void vc_gpt_init(struct vc_gpt *g, const void *seed, size_t seed_len)
{
	memset(g, 0, sizeof(*g));
	g->sector_size = 512;
	/* HMAC hashes keys longer than its block (64 bytes) first, so keeping the
	 * SHA-256 of a long seed derives the same identifiers. */
	if (seed_len > sizeof(g->seed)) {
		vc_sha256(seed, seed_len, g->seed);
		g->seed_len = VC_SHA256_LEN;
	} else {
		if (seed_len)
			memcpy(g->seed, seed, seed_len);
		g->seed_len = seed_len;
	}
}

int vc_gpt_add(struct vc_gpt *g, const struct vc_gpt_part *p, struct vc_error *err)
{
	size_t idx = g->n_parts + 1;
	long units;

	if (g->n_parts >= VC_GPT_MAX_PARTS)
		return vc_errorf(err, VC_ERANGE, "partition %zu: a GPT holds at most %d partitions",
				 idx, VC_GPT_MAX_PARTS);
	if (memchr(p->label, '\0', sizeof(p->label)) == NULL)
		return vc_errorf(err, VC_EINVAL, "partition %zu: label is not terminated", idx);
	units = vc_utf8_to_utf16(p->label, strlen(p->label), NULL, 0);
	if (units < 0)
		return vc_errorf(err, VC_EINVAL, "partition %zu: label '%s' is not valid UTF-8",
				 idx, p->label);
	if (units > VC_GPT_LABEL_UNITS)
		return vc_errorf(
		    err, VC_EINVAL,
		    "partition %zu: label '%s' is %ld UTF-16 units long, at most %d fit", idx,
		    p->label, units, VC_GPT_LABEL_UNITS);
	if (p->exact && (p->size == 0 || p->size % g->sector_size != 0))
		return vc_errorf(err, VC_EINVAL,
				 "partition %zu: exact size %llu is not a positive multiple of the "
				 "%u-byte sector",
				 idx, (unsigned long long)p->size, g->sector_size);
	if (p->size > DISK_SIZE_MAX)
		return vc_errorf(err, VC_ERANGE, "partition %zu: size %llu is too large", idx,
				 (unsigned long long)p->size);
	if (p->number > VC_GPT_MAX_PARTS)
		return vc_errorf(err, VC_ERANGE, "partition %zu: number %u, at most %d", idx,
				 p->number, VC_GPT_MAX_PARTS);
	for (size_t i = 0; p->number && i < g->n_parts; i++)
		if (g->parts[i].number == p->number)
			return vc_errorf(err, VC_EINVAL,
					 "partition %zu ('%s'): number %u is taken by partition "
					 "%zu ('%s')",
					 idx, p->label, p->number, i + 1, g->parts[i].label);
	g->parts[g->n_parts] = *p;
	g->parts[g->n_parts].offset = 0;
	g->parts[g->n_parts].part_size = 0;
	g->parts[g->n_parts].first_lba = g->parts[g->n_parts].last_lba = 0;
	g->n_parts++;
	g->laid_out = false;
	return 0;
}

static uint64_t array_lbas(const struct vc_gpt *g)
{
	return GPT_ARRAY_BYTES / g->sector_size;
}

/* Numbers the partitions without one: the lowest free entry, in disk order. */
static void number_parts(struct vc_gpt *g)
{
	bool used[VC_GPT_MAX_PARTS + 1] = {false};
	unsigned next = 1;

	for (size_t i = 0; i < g->n_parts; i++)
		used[g->parts[i].number] = true;
	for (size_t i = 0; i < g->n_parts; i++) {
		if (g->parts[i].number)
			continue;
		while (used[next])
			next++;
		g->parts[i].number = next;
		used[next] = true;
	}
}

int vc_gpt_layout(struct vc_gpt *g, struct vc_error *err)
{
	uint64_t ss = g->sector_size, pos = VC_GPT_ALIGN, need;

	if (ss != 512 && ss != 4096)
		return vc_errorf(err, VC_EINVAL, "sector size %u: only 512 and 4096 are supported",
				 g->sector_size);
	for (size_t i = 0; i < g->n_parts; i++) {
		struct vc_gpt_part *p = &g->parts[i];

		if (p->start) {
			uint64_t first = (2 + array_lbas(g)) * ss;
			if (p->start % ss != 0)
				return vc_errorf(
				    err, VC_EINVAL,
				    "partition %zu ('%s'): start %llu is not a multiple "
				    "of the %llu-byte sector",
				    i + 1, p->label, (unsigned long long)p->start,
				    (unsigned long long)ss);
			if (p->start < first)
				return vc_errorf(
				    err, VC_EINVAL,
				    "partition %zu ('%s'): start %llu is inside the "
				    "protective MBR, the GPT header and its entry array; "
				    "the first usable byte is %llu",
				    i + 1, p->label, (unsigned long long)p->start,
				    (unsigned long long)first);
			if (i > 0 && p->start < pos)
				return vc_errorf(
				    err, VC_EINVAL,
				    "partition %zu ('%s'): start %llu overlaps partition "
				    "%zu, which ends at %llu",
				    i + 1, p->label, (unsigned long long)p->start, i,
				    (unsigned long long)pos);
			if (p->start > DISK_SIZE_MAX)
				return vc_errorf(err, VC_ERANGE,
						 "partition %zu: start %llu is too large", i + 1,
						 (unsigned long long)p->start);
			p->offset = p->start;
		} else {
			p->offset = VC_ROUND_UP(pos, (uint64_t)VC_GPT_ALIGN);
		}
		if (p->exact)
			p->part_size = p->size;
		else
			p->part_size =
			    p->size ? VC_ROUND_UP(p->size, (uint64_t)VC_GPT_ALIGN) : VC_GPT_ALIGN;
		if (p->part_size > DISK_SIZE_MAX - p->offset)
			return vc_errorf(err, VC_ERANGE,
					 "partition %zu ('%s'): the disk would exceed "
					 "%llu bytes",
					 i + 1, p->label, (unsigned long long)DISK_SIZE_MAX);
		p->first_lba = p->offset / ss;
		p->last_lba = (p->offset + p->part_size) / ss - 1;
		pos = p->offset + p->part_size;
		if (!p->uuid_set) {
			char label[48];
			snprintf(label, sizeof(label), "gpt-partition-%zu", i + 1);
			vc_uuid_derive(g->seed, g->seed_len, label, p->uuid);
			p->uuid_set = true;
		}
	}
	/* The backup entry array and header follow the last usable LBA. */
	need = pos + (array_lbas(g) + 1) * ss;
	if (g->disk_size == 0) {
		g->disk_size = VC_ROUND_UP(need, (uint64_t)VC_GPT_ALIGN);
	} else {
		if (g->disk_size % ss != 0)
			return vc_errorf(err, VC_EINVAL,
					 "disk size %llu is not a multiple of the %llu-byte sector",
					 (unsigned long long)g->disk_size, (unsigned long long)ss);
		if (g->disk_size < need)
			return vc_errorf(
			    err, VC_ERANGE,
			    "disk size %llu bytes is too small: the partitions and the "
			    "backup table need %llu bytes (%llu MiB)",
			    (unsigned long long)g->disk_size, (unsigned long long)need,
			    (unsigned long long)VC_DIV_ROUND_UP(need, 1024 * 1024));
		if (g->disk_size > DISK_SIZE_MAX)
			return vc_errorf(err, VC_ERANGE, "disk size %llu is too large",
					 (unsigned long long)g->disk_size);
	}
	number_parts(g);
	if (!g->disk_guid_set) {
		vc_uuid_derive(g->seed, g->seed_len, "disk-guid", g->disk_guid);
		g->disk_guid_set = true;
	}
	g->laid_out = true;
	return 0;
}

/* GPT stores a GUID's first three fields little-endian, the rest as is. */
static void guid_to_disk(uint8_t out[16], const uint8_t uuid[16])
{
	out[0] = uuid[3];
	out[1] = uuid[2];
	out[2] = uuid[1];
	out[3] = uuid[0];
	out[4] = uuid[5];
	out[5] = uuid[4];
	out[6] = uuid[7];
	out[7] = uuid[6];
	memcpy(out + 8, uuid + 8, 8);
}

/* CHS of an LBA on the 255-head, 63-sector geometry partitioners assume;
 * 0xFFFFFF when the cylinder does not fit in 10 bits. */
static void lba_to_chs(uint8_t chs[3], uint64_t lba)
{
	uint64_t cyl = lba / (255 * 63), rem = lba % (255 * 63);
	uint64_t head = rem / 63, sector = rem % 63 + 1;

	if (cyl > 1023) {
		chs[0] = chs[1] = chs[2] = 0xff;
		return;
	}
	chs[0] = (uint8_t)head;
	chs[1] = (uint8_t)(sector | ((cyl >> 2) & 0xc0));
	chs[2] = (uint8_t)cyl;
}

static void fill_header(struct gpt_header_disk *h, const struct vc_gpt *g, uint64_t my_lba,
			uint64_t alt_lba, uint64_t entry_lba, uint32_t array_crc)
{
	uint64_t disk_lbas = g->disk_size / g->sector_size;

	memset(h, 0, sizeof(*h));
	memcpy(h->signature, GPT_SIGNATURE, 8);
	vc_put_le32(h->revision, GPT_REVISION);
	vc_put_le32(h->header_size, sizeof(*h));
	vc_put_le64(h->my_lba, my_lba);
	vc_put_le64(h->alternate_lba, alt_lba);
	vc_put_le64(h->first_usable_lba, 2 + array_lbas(g));
	vc_put_le64(h->last_usable_lba, disk_lbas - 2 - array_lbas(g));
	guid_to_disk(h->disk_guid, g->disk_guid);
	vc_put_le64(h->partition_entry_lba, entry_lba);
	vc_put_le32(h->number_of_partition_entries, GPT_ENTRIES);
	vc_put_le32(h->size_of_partition_entry, GPT_ENTRY_SIZE);
	vc_put_le32(h->partition_entry_array_crc32, array_crc);
	/* header_crc32 is zero while the CRC is computed */
	vc_put_le32(h->header_crc32, (uint32_t)crc32(0, (const Bytef *)h, sizeof(*h)));
}

int vc_gpt_write(const struct vc_gpt *g, const struct vc_sink *disk, struct vc_error *err)
{
	uint64_t ss = g->sector_size, disk_lbas, last_lba;
	uint8_t *array = NULL, *sector = NULL;
	struct mbr_disk mbr;
	struct gpt_header_disk h;
	uint32_t array_crc;
	int r = 0;

	if (!g->laid_out)
		return vc_errorf(err, VC_EINVAL, "gpt: vc_gpt_layout() was not called");
	disk_lbas = g->disk_size / ss;
	last_lba = disk_lbas - 1;

	array = calloc(1, GPT_ARRAY_BYTES);
	sector = calloc(1, ss);
	if (!array || !sector) {
		r = vc_errorf(err, VC_ENOMEM, "gpt: out of memory");
		goto out;
	}

	for (size_t i = 0; i < g->n_parts; i++) {
		const struct vc_gpt_part *p = &g->parts[i];
		struct gpt_entry_disk e;
		uint16_t name[VC_GPT_LABEL_UNITS];
		long units = vc_utf8_to_utf16(p->label, strlen(p->label), name, VC_GPT_LABEL_UNITS);

		memset(&e, 0, sizeof(e));
		guid_to_disk(e.type_guid, p->type);
		guid_to_disk(e.part_guid, p->uuid);
		vc_put_le64(e.first_lba, p->first_lba);
		vc_put_le64(e.last_lba, p->last_lba);
		vc_put_le64(e.attributes, p->flags);
		for (long u = 0; u < units && u < VC_GPT_LABEL_UNITS; u++)
			vc_put_le16(e.name + 2 * u, name[u]);
		memcpy(array + (size_t)(p->number - 1) * GPT_ENTRY_SIZE, &e, sizeof(e));
	}
	array_crc = (uint32_t)crc32(0, array, GPT_ARRAY_BYTES);

	/* Backup: entry array, then the header in the last LBA. */
	r = vc_sink_pwrite(disk, array, GPT_ARRAY_BYTES, (last_lba - array_lbas(g)) * ss, err);
	if (r < 0)
		goto out;
	fill_header(&h, g, last_lba, 1, last_lba - array_lbas(g), array_crc);
	memset(sector, 0, ss);
	memcpy(sector, &h, sizeof(h));
	r = vc_sink_pwrite(disk, sector, ss, last_lba * ss, err);
	if (r < 0)
		goto out;

	/* Primary: header in LBA 1, entries from LBA 2. */
	r = vc_sink_pwrite(disk, array, GPT_ARRAY_BYTES, 2 * ss, err);
	if (r < 0)
		goto out;
	fill_header(&h, g, 1, last_lba, 2, array_crc);
	memset(sector, 0, ss);
	memcpy(sector, &h, sizeof(h));
	r = vc_sink_pwrite(disk, sector, ss, ss, err);
	if (r < 0)
		goto out;

	/* Protective MBR covering the whole disk (or 2^32 - 1 sectors of it). */
	memset(&mbr, 0, sizeof(mbr));
	mbr.part[0].starting_chs[1] = 0x02; /* cylinder 0, head 0, sector 2 = LBA 1 */
	mbr.part[0].os_type = MBR_OS_TYPE_PROTECTIVE;
	lba_to_chs(mbr.part[0].ending_chs, last_lba);
	vc_put_le32(mbr.part[0].starting_lba, 1);
	vc_put_le32(mbr.part[0].size_in_lba,
		    last_lba > 0xffffffff ? 0xffffffff : (uint32_t)last_lba);
	memcpy(mbr.signature, MBR_SIGNATURE, 2);
	memset(sector, 0, ss);
	memcpy(sector, &mbr, sizeof(mbr));
	r = vc_sink_pwrite(disk, sector, ss, 0, err);
out:
	free(array);
	free(sector);
	if (r < 0)
		vc_error_prefix(err, "gpt");
	return r;
}

void vc_gpt_uuids_from_roothash(const uint8_t *roothash, size_t len, uint8_t ret_data[16],
				uint8_t ret_hash[16])
{
	/* len >= 16 is the caller's promise (a SHA-256 root hash is 32 bytes). */
	memcpy(ret_data, roothash, 16);
	memcpy(ret_hash, roothash + len - 16, 16);
}

int vc_gpt_flags_parse(const char *s, uint64_t *ret, struct vc_error *err)
{
	static const struct {
		const char *name;
		uint64_t bit;
	} names[] = {
	    {"required", VC_GPT_FLAG_REQUIRED},	      {"no-block-io", VC_GPT_FLAG_NO_BLOCK_IO},
	    {"legacy-boot", VC_GPT_FLAG_LEGACY_BOOT}, {"growfs", VC_GPT_FLAG_GROWFS},
	    {"read-only", VC_GPT_FLAG_READ_ONLY},     {"hidden", VC_GPT_FLAG_HIDDEN},
	    {"no-auto", VC_GPT_FLAG_NO_AUTO},
	};
	uint64_t v = 0;
	const char *p = s;

	if (*s >= '0' && *s <= '9') {
		if (vc_parse_u64(s, false, &v, err) < 0)
			return vc_errorf(err, VC_EINVAL, "flags '%s': not a number", s);
		*ret = v;
		return 0;
	}
	while (*p) {
		size_t len = strcspn(p, "+|");
		size_t i;

		for (i = 0; i < VC_ARRAY_SIZE(names); i++)
			if (strlen(names[i].name) == len && memcmp(names[i].name, p, len) == 0)
				break;
		if (i == VC_ARRAY_SIZE(names))
			return vc_errorf(err, VC_EINVAL,
					 "flags '%s': unknown flag '%.*s' (expected required, "
					 "no-block-io, legacy-boot, growfs, read-only, hidden, "
					 "no-auto or a number)",
					 s, (int)len, p);
		v |= names[i].bit;
		p += len;
		if (*p)
			p++;
	}
	*ret = v;
	return 0;
}
