/* SPDX-License-Identifier: MIT */
/* GPT reader. Spec: UEFI 2.10 section 5.2.3 (protective MBR) and 5.3.2
 * (GPT header: signature, HeaderSize, HeaderCRC32 over HeaderSize bytes with
 * the field zeroed, MyLBA, AlternateLBA, usable range, entry array and its
 * CRC32), 5.3.3 (entries). The backup header sits in the last LBA and points
 * at its own entry array; both must describe the same partitions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gpt/gpt_disk.h"
#include "vcompose/endian.h"
#include "inspect_priv.h"

#define GPT_MAX_ARRAY (16u << 20) /* bytes of an entry array we read (131072 entries) */

void guid_from_disk(const uint8_t in[16], uint8_t out[16])
{
	out[0] = in[3], out[1] = in[2], out[2] = in[1], out[3] = in[0];
	out[4] = in[5], out[5] = in[4];
	out[6] = in[7], out[7] = in[6];
	memcpy(out + 8, in + 8, 8);
}

void gpt_part_where(const struct gpt_part *p, char *out, size_t n)
{
	if (p->label[0])
		snprintf(out, n, "%s (partition %u)", p->label, p->index);
	else
		snprintf(out, n, "partition %u", p->index);
}

static uint32_t crc32_of(const uint8_t *b, size_t n)
{
	uLong c = crc32(0L, Z_NULL, 0);

	while (n > 0) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		c = crc32(c, b, k);
		b += k;
		n -= k;
	}
	return (uint32_t)c;
}

/* UTF-16LE name, 36 units, to UTF-8 (unpaired surrogates become U+FFFD). */
static void label_utf8(const uint8_t *name, char *out, size_t n)
{
	size_t o = 0;

	for (int i = 0; i < 36; i++) {
		uint32_t c = vc_get_le16(name + 2 * i);
		if (c == 0)
			break;
		if (c >= 0xD800 && c < 0xDC00 && i + 1 < 36) {
			const uint8_t *next = name + 2 * (i + 1); /* the low surrogate */
			uint32_t d = vc_get_le16(next);
			if (d >= 0xDC00 && d < 0xE000) {
				c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
				i++;
			} else {
				c = 0xFFFD;
			}
		} else if (c >= 0xD800 && c < 0xE000) {
			c = 0xFFFD;
		}
		uint8_t u[4];
		size_t k;
		if (c < 0x80) {
			u[0] = (uint8_t)c;
			k = 1;
		} else if (c < 0x800) {
			u[0] = (uint8_t)(0xC0 | c >> 6), u[1] = (uint8_t)(0x80 | (c & 0x3F));
			k = 2;
		} else if (c < 0x10000) {
			u[0] = (uint8_t)(0xE0 | c >> 12), u[1] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
			u[2] = (uint8_t)(0x80 | (c & 0x3F));
			k = 3;
		} else {
			u[0] = (uint8_t)(0xF0 | c >> 18), u[1] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
			u[2] = (uint8_t)(0x80 | (c >> 6 & 0x3F)),
			u[3] = (uint8_t)(0x80 | (c & 0x3F));
			k = 4;
		}
		if (o + k >= n)
			break;
		memcpy(out + o, u, k);
		o += k;
	}
	out[o] = 0;
}

struct hdr {
	bool ok; /* signature, size, CRC and ranges good */
	uint8_t raw[512];
	uint32_t size, crc, crc_calc;
	uint64_t my_lba, alt_lba, first_usable, last_usable, entries_lba;
	uint32_t n_entries, entry_size, array_crc, array_crc_calc;
	uint8_t *array; /* n_entries * entry_size */
	size_t array_len;
};

/* Reads and checks one header and its array; findings name it by `which`. */
static int read_hdr(const struct img *im, uint32_t sector, uint64_t lba, const char *which,
		    struct hdr *h, struct vc_inspect_report *chk, struct vc_error *err)
{
	uint64_t n_lbas = im->size / sector;
	int r;

	memset(h, 0, sizeof(*h));
	if (lba >= n_lbas) {
		if (chk)
			vc_inspect_report_add(chk, true, "gpt",
					      "%s header: LBA %llu beyond the disk", which,
					      (unsigned long long)lba);
		return 0;
	}
	r = img_read(im, lba * sector, h->raw, 512, err);
	if (r < 0)
		return r;
	const struct gpt_header_disk *d = (const void *)h->raw;
	if (memcmp(d->signature, GPT_SIGNATURE, 8) != 0) {
		if (chk)
			vc_inspect_report_add(chk, true, "gpt",
					      "%s header at LBA %llu (offset %llu): no 'EFI PART' "
					      "signature",
					      which, (unsigned long long)lba,
					      (unsigned long long)(lba * sector));
		return 0;
	}
	h->size = vc_get_le32(d->header_size);
	h->crc = vc_get_le32(d->header_crc32);
	h->my_lba = vc_get_le64(d->my_lba);
	h->alt_lba = vc_get_le64(d->alternate_lba);
	h->first_usable = vc_get_le64(d->first_usable_lba);
	h->last_usable = vc_get_le64(d->last_usable_lba);
	h->entries_lba = vc_get_le64(d->partition_entry_lba);
	h->n_entries = vc_get_le32(d->number_of_partition_entries);
	h->entry_size = vc_get_le32(d->size_of_partition_entry);
	h->array_crc = vc_get_le32(d->partition_entry_array_crc32);
	if (h->size < sizeof(*d) || h->size > 512 || h->size > sector) {
		if (chk)
			vc_inspect_report_add(chk, true, "gpt",
					      "%s header: HeaderSize %u (92..%u expected)", which,
					      h->size, sector < 512 ? sector : 512);
		return 0;
	}
	uint8_t tmp[512];
	memcpy(tmp, h->raw, h->size);
	memset(tmp + offsetof(struct gpt_header_disk, header_crc32), 0, 4);
	h->crc_calc = crc32_of(tmp, h->size);
	bool good = true;
	if (h->crc != h->crc_calc) {
		good = false;
		if (chk)
			vc_inspect_report_add(chk, true, "gpt",
					      "%s header at offset %llu: HeaderCRC32 0x%08x, "
					      "computed 0x%08x",
					      which, (unsigned long long)(lba * sector), h->crc,
					      h->crc_calc);
	}
	if (h->my_lba != lba) {
		good = false;
		if (chk)
			vc_inspect_report_add(
			    chk, true, "gpt", "%s header: MyLBA %llu, found at LBA %llu", which,
			    (unsigned long long)h->my_lba, (unsigned long long)lba);
	}
	/* each problem in its own words (UEFI 2.10 table 5-6: the entry size is
	 * 128 x 2^n; the array and the usable range inside the disk) */
	const char *bad = NULL;
	char why[200];
	uint64_t bytes = (uint64_t)h->n_entries * h->entry_size;
	if (h->entry_size < sizeof(struct gpt_entry_disk) ||
	    (h->entry_size & (h->entry_size - 1))) {
		snprintf(why, sizeof(why), "SizeOfPartitionEntry %u (128 x 2^n expected)",
			 h->entry_size);
		bad = why;
	} else if (h->n_entries == 0) {
		bad = "NumberOfPartitionEntries 0";
	} else if (bytes > GPT_MAX_ARRAY) {
		snprintf(why, sizeof(why), "entry array of %u x %u bytes (at most %u MiB are read)",
			 h->n_entries, h->entry_size, GPT_MAX_ARRAY >> 20);
		bad = why;
	} else if (h->entries_lba >= n_lbas || bytes > (n_lbas - h->entries_lba) * sector) {
		snprintf(why, sizeof(why),
			 "entry array (%u x %u bytes at LBA %llu) past the end of the disk (%llu "
			 "LBAs)",
			 h->n_entries, h->entry_size, (unsigned long long)h->entries_lba,
			 (unsigned long long)n_lbas);
		bad = why;
	} else if (h->first_usable > h->last_usable || h->last_usable >= n_lbas) {
		snprintf(why, sizeof(why), "usable LBAs %llu..%llu not inside the disk's %llu",
			 (unsigned long long)h->first_usable, (unsigned long long)h->last_usable,
			 (unsigned long long)n_lbas);
		bad = why;
	}
	if (bad) {
		if (chk)
			vc_inspect_report_add(chk, true, "gpt", "%s header: %s", which, bad);
		return 0;
	}
	h->array_len = (size_t)h->n_entries * h->entry_size;
	r = img_read_alloc(im, h->entries_lba * sector, h->array_len, &h->array, err);
	if (r < 0)
		return r;
	h->array_crc_calc = crc32_of(h->array, h->array_len);
	if (h->array_crc != h->array_crc_calc) {
		good = false;
		if (chk)
			vc_inspect_report_add(chk, true, "gpt",
					      "%s entry array at offset %llu: "
					      "PartitionEntryArrayCRC32 0x%08x, computed 0x%08x",
					      which, (unsigned long long)(h->entries_lba * sector),
					      h->array_crc, h->array_crc_calc);
	}
	h->ok = good;
	if (good && chk)
		vc_inspect_report_add(chk, false, "gpt", "%s header and entry array CRC32s", which);
	return 0;
}

int gpt_read(const struct img *im, struct gpt_info *ret, struct vc_inspect_report *chk,
	     struct vc_error *err)
{
	struct hdr p = {0}, b = {0};
	uint8_t mbr[512];
	uint32_t sector = 512;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (im->size < 512 * 4)
		return vc_errorf(err, VC_EINVAL, "%s: too small for a GPT disk", im->path);
	r = img_read(im, 0, mbr, 512, err);
	if (r < 0)
		return r;
	{
		uint8_t s[8];
		r = img_read(im, 512, s, 8, err);
		if (r < 0)
			return r;
		if (memcmp(s, GPT_SIGNATURE, 8) != 0 && im->size >= 8192 &&
		    img_read(im, 4096, s, 8, err) == 0 && memcmp(s, GPT_SIGNATURE, 8) == 0)
			sector = 4096;
	}
	const struct mbr_disk *m = (const void *)mbr;
	bool pmbr = memcmp(m->signature, MBR_SIGNATURE, 2) == 0;
	bool has_ee = false;
	for (int i = 0; i < 4; i++)
		has_ee |= m->part[i].os_type == MBR_OS_TYPE_PROTECTIVE;
	if (chk)
		vc_inspect_report_add(chk, !(pmbr && has_ee), "gpt",
				      pmbr && has_ee
					  ? "protective MBR"
					  : "protective MBR: no 0x55AA signature or no type "
					    "0xEE entry at offset 446");
	r = read_hdr(im, sector, 1, "primary", &p, chk, err);
	if (r < 0)
		goto out;
	uint64_t last = im->size / sector - 1;
	uint64_t alt = p.ok ? p.alt_lba : last;
	if (p.ok && alt != last && chk)
		vc_inspect_report_add(chk, true, "gpt",
				      "primary header: AlternateLBA %llu, the last LBA is %llu",
				      (unsigned long long)alt, (unsigned long long)last);
	r = read_hdr(im, sector, alt, "backup", &b, chk, err);
	if (r < 0)
		goto out;
	if (b.ok && b.alt_lba != 1 && chk)
		vc_inspect_report_add(chk, true, "gpt",
				      "backup header: AlternateLBA %llu, expected 1",
				      (unsigned long long)b.alt_lba);
	if (p.ok && b.ok && chk) {
		bool same = p.n_entries == b.n_entries && p.entry_size == b.entry_size &&
			    p.array_len == b.array_len &&
			    memcmp(p.array, b.array, p.array_len) == 0 &&
			    p.first_usable == b.first_usable && p.last_usable == b.last_usable &&
			    memcmp(p.raw + offsetof(struct gpt_header_disk, disk_guid),
				   b.raw + offsetof(struct gpt_header_disk, disk_guid), 16) == 0;
		vc_inspect_report_add(
		    chk, !same, "gpt",
		    same ? "backup header and entries equal the primary"
			 : "backup header or entry array differs from the primary");
	}
	struct hdr *h = p.ok ? &p : b.ok ? &b : NULL;
	if (!h) {
		r = vc_errorf(err, VC_EINVAL, "%s: no valid GPT header (primary or backup)",
			      im->path);
		goto out;
	}
	ret->sector = sector;
	ret->primary_ok = p.ok;
	ret->backup_ok = b.ok;
	guid_from_disk(((const struct gpt_header_disk *)h->raw)->disk_guid, ret->disk_guid);
	ret->first_usable = h->first_usable;
	ret->last_usable = h->last_usable;
	ret->alternate_lba = h->alt_lba;
	ret->entries_lba = h->entries_lba;
	ret->n_entries = h->n_entries;
	ret->entry_size = h->entry_size;
	for (uint32_t i = 0; i < h->n_entries; i++) {
		const struct gpt_entry_disk *e =
		    (const void *)(h->array + (size_t)i * h->entry_size);
		static const uint8_t zero[16];
		if (memcmp(e->type_guid, zero, 16) == 0)
			continue;
		if (ret->n_parts == VC_GPT_MAX_PARTS) {
			if (chk)
				vc_inspect_report_add(chk, true, "gpt", "more than %d partitions",
						      VC_GPT_MAX_PARTS);
			break;
		}
		struct gpt_part *gp = &ret->parts[ret->n_parts];
		gp->index = i + 1;
		guid_from_disk(e->type_guid, gp->type);
		guid_from_disk(e->part_guid, gp->uuid);
		gp->first_lba = vc_get_le64(e->first_lba);
		gp->last_lba = vc_get_le64(e->last_lba);
		gp->attrs = vc_get_le64(e->attributes);
		label_utf8(e->name, gp->label, sizeof(gp->label));
		gp->type_name = vc_gpt_type_name(gp->type);
		char where[128];
		gpt_part_where(gp, where, sizeof(where));
		if (gp->first_lba > gp->last_lba || gp->first_lba < h->first_usable ||
		    gp->last_lba > h->last_usable) {
			if (chk)
				vc_inspect_report_add(
				    chk, true, "gpt",
				    "%s: LBAs %llu..%llu outside the usable %llu..%llu", where,
				    (unsigned long long)gp->first_lba,
				    (unsigned long long)gp->last_lba,
				    (unsigned long long)h->first_usable,
				    (unsigned long long)h->last_usable);
			continue; /* not usable: never read through it */
		}
		gp->offset = gp->first_lba * sector;
		gp->size = (gp->last_lba - gp->first_lba + 1) * sector;
		for (size_t k = 0; k < ret->n_parts; k++) {
			const struct gpt_part *o = &ret->parts[k];
			if (gp->first_lba <= o->last_lba && o->first_lba <= gp->last_lba && chk)
				vc_inspect_report_add(chk, true, "gpt", "%s overlaps partition %u",
						      where, o->index);
		}
		ret->n_parts++;
	}
	r = 0;
out:
	free(p.array);
	free(b.array);
	return r;
}
