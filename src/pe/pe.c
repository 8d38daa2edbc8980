/* SPDX-License-Identifier: MIT */
/* PE32 and PE32+ reader: checks every header field before use. The one PE
 * parser of vcompose: UKI assembly, Authenticode and inspect all read
 * through it.
 * Spec: Microsoft "PE Format" ("MS-DOS Stub", "COFF File Header", "Optional
 * Header (Image Only)", "Optional Header Data Directories", "Section Table"). */
#include <stdio.h>
#include <string.h>

#include "pe_disk.h"
#include "vcompose/endian.h"
#include "vcompose/pe.h"
#include "vcompose/sha256.h"

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* How far a section reaches in memory: VirtualSize, or SizeOfRawData when a
 * linker left VirtualSize at 0. */
static uint64_t section_extent(const struct vc_pe_section *s)
{
	return s->virtual_size ? s->virtual_size : s->size_of_raw_data;
}

static int parse_section_name(const uint8_t raw[8], unsigned idx, const char *what, char out[9],
			      struct vc_error *err)
{
	size_t n = 0;

	while (n < 8 && raw[n])
		n++;
	for (size_t i = n; i < 8; i++)
		if (raw[i])
			return vc_errorf(
			    err, VC_EINVAL,
			    "%s: section %u: name is not NUL-padded (byte %zu is 0x%02x)", what,
			    idx, i, raw[i]);
	for (size_t i = 0; i < n; i++)
		if (raw[i] < 0x21 || raw[i] > 0x7e)
			return vc_errorf(err, VC_EINVAL,
					 "%s: section %u: name has a non-printable byte 0x%02x",
					 what, idx, raw[i]);
	memcpy(out, raw, n);
	out[n] = '\0';
	return 0;
}

static int parse_sections(const uint8_t *data, size_t len, const char *what,
			  struct vc_pe_image *img, struct vc_error *err)
{
	uint64_t first_raw = UINT64_MAX, end_raw = 0;

	for (unsigned i = 0; i < img->n_sections; i++) {
		const struct pe_section_disk *d =
		    (const void *)(data + img->section_table_offset + (size_t)i * sizeof(*d));
		struct vc_pe_section *s = &img->sections[i];
		int r = parse_section_name(d->name, i, what, s->name, err);

		if (r < 0)
			return r;
		s->virtual_size = vc_get_le32(d->virtual_size);
		s->virtual_address = vc_get_le32(d->virtual_address);
		s->size_of_raw_data = vc_get_le32(d->size_of_raw_data);
		s->pointer_to_raw_data = vc_get_le32(d->pointer_to_raw_data);
		s->characteristics = vc_get_le32(d->characteristics);

		uint64_t va = s->virtual_address, ext = section_extent(s);
		/* VirtualAddress should be a multiple of SectionAlignment; Debian 12's
		 * stub puts .sdmagic at 0x19100 with 0x200, so only order and overlap
		 * are enforced. The sections we add are aligned. */
		if (va < img->size_of_headers)
			return vc_errorf(
			    err, VC_EINVAL,
			    "%s: section %u '%s': VirtualAddress 0x%x inside the headers "
			    "(SizeOfHeaders 0x%x)",
			    what, i, s->name, s->virtual_address, img->size_of_headers);
		if (va + ext > img->size_of_image)
			return vc_errorf(
			    err, VC_EINVAL,
			    "%s: section %u '%s': ends at RVA 0x%llx, past SizeOfImage 0x%x", what,
			    i, s->name, (unsigned long long)(va + ext), img->size_of_image);
		if (i > 0) {
			const struct vc_pe_section *p = &img->sections[i - 1];
			uint64_t pend = p->virtual_address + section_extent(p);

			if (va < pend)
				return vc_errorf(err, VC_EINVAL,
						 "%s: section %u '%s' at RVA 0x%x overlaps section "
						 "'%s' (ends at 0x%llx)",
						 what, i, s->name, s->virtual_address, p->name,
						 (unsigned long long)pend);
		}
		if (s->size_of_raw_data == 0)
			continue;
		uint64_t off = s->pointer_to_raw_data, end = off + s->size_of_raw_data;
		if (off % img->file_alignment)
			return vc_errorf(
			    err, VC_EINVAL,
			    "%s: section %u '%s': PointerToRawData 0x%x is not a multiple "
			    "of FileAlignment 0x%x",
			    what, i, s->name, s->pointer_to_raw_data, img->file_alignment);
		if (off < img->size_of_headers)
			return vc_errorf(err, VC_EINVAL,
					 "%s: section %u '%s': raw data at 0x%x inside the headers "
					 "(SizeOfHeaders 0x%x)",
					 what, i, s->name, s->pointer_to_raw_data,
					 img->size_of_headers);
		if (end > len)
			return vc_errorf(
			    err, VC_EINVAL,
			    "%s: section %u '%s': raw data [0x%x, 0x%llx) past the end of "
			    "the file (%zu bytes): truncated?",
			    what, i, s->name, s->pointer_to_raw_data, (unsigned long long)end, len);
		for (unsigned k = 0; k < i; k++) {
			const struct vc_pe_section *o = &img->sections[k];

			if (!o->size_of_raw_data)
				continue;
			if (off < (uint64_t)o->pointer_to_raw_data + o->size_of_raw_data &&
			    o->pointer_to_raw_data < end)
				return vc_errorf(
				    err, VC_EINVAL,
				    "%s: section %u '%s': raw data [0x%x, 0x%llx) overlaps "
				    "section '%s' [0x%x, 0x%llx)",
				    what, i, s->name, s->pointer_to_raw_data,
				    (unsigned long long)end, o->name, o->pointer_to_raw_data,
				    (unsigned long long)o->pointer_to_raw_data +
					o->size_of_raw_data);
		}
		if (off < first_raw)
			first_raw = off;
		if (end > end_raw)
			end_raw = end;
	}
	img->first_raw_data = first_raw == UINT64_MAX ? 0 : (uint32_t)first_raw;
	img->end_of_raw_data = (uint32_t)(end_raw ? end_raw : img->size_of_headers);
	return 0;
}

static int parse_data_dirs(const uint8_t *data, size_t len, const char *what,
			   struct vc_pe_image *img, struct vc_error *err)
{
	const uint8_t *dirs = data + img->data_dirs_offset;

	for (uint32_t i = 0; i < img->n_data_dirs; i++) {
		const struct pe_data_dir_disk *d = (const void *)(dirs + i * sizeof(*d));
		uint64_t va = vc_get_le32(d->virtual_address), size = vc_get_le32(d->size);

		if (!size)
			continue;
		if (i == PE_DIR_SECURITY) {
			/* The one directory that holds a file offset, not an RVA. */
			if (va + size > len)
				return vc_errorf(
				    err, VC_EINVAL,
				    "%s: certificate table [0x%llx, +0x%llx) past the end "
				    "of the file (%zu bytes)",
				    what, (unsigned long long)va, (unsigned long long)size, len);
			img->security_offset = (uint32_t)va;
			img->security_size = (uint32_t)size;
			continue;
		}
		if (va + size > img->size_of_image)
			return vc_errorf(
			    err, VC_EINVAL,
			    "%s: data directory %u [RVA 0x%llx, +0x%llx) past SizeOfImage "
			    "0x%x",
			    what, i, (unsigned long long)va, (unsigned long long)size,
			    img->size_of_image);
	}
	return 0;
}

/* The DOS stub's e_lfanew, the PE signature, the COFF header and the
 * optional header's magic (PE32 or PE32+); *ret_opt_size its size. */
static int parse_coff(const uint8_t *data, size_t len, const char *what, struct vc_pe_image *img,
		      uint64_t *ret_opt_size, struct vc_error *err)
{
	const struct pe_coff_header_disk *coff;
	uint64_t lfanew, opt_size, opt_min;
	uint16_t magic;

	if (len < 0x40 || memcmp(data, PE_DOS_MAGIC, 2) != 0)
		return vc_errorf(err, VC_EINVAL, "%s: not a PE file (no 'MZ' DOS header)", what);
	lfanew = vc_get_le32(data + PE_DOS_LFANEW_OFFSET);
	if (lfanew < 0x40 || lfanew + PE_SIG_BYTES + sizeof(*coff) > len)
		return vc_errorf(err, VC_EINVAL,
				 "%s: no PE header: e_lfanew 0x%llx outside the file (%zu bytes)",
				 what, (unsigned long long)lfanew, len);
	if (memcmp(data + lfanew, PE_SIGNATURE, PE_SIG_BYTES) != 0)
		return vc_errorf(err, VC_EINVAL,
				 "%s: not a PE file: no 'PE\\0\\0' signature at e_lfanew 0x%llx",
				 what, (unsigned long long)lfanew);
	coff = (const void *)(data + lfanew + PE_SIG_BYTES);
	img->data = data;
	img->len = len;
	img->pe_offset = (uint32_t)lfanew;
	img->opt_offset = (uint32_t)(lfanew + PE_SIG_BYTES + sizeof(*coff));
	img->machine = vc_get_le16(coff->machine);
	img->n_sections = vc_get_le16(coff->number_of_sections);
	img->time_date_stamp = vc_get_le32(coff->time_date_stamp);
	img->pointer_to_symbol_table = vc_get_le32(coff->pointer_to_symbol_table);
	img->number_of_symbols = vc_get_le32(coff->number_of_symbols);
	img->characteristics = vc_get_le16(coff->characteristics);
	opt_size = vc_get_le16(coff->size_of_optional_header);

	if (opt_size < 2 || img->opt_offset + opt_size > len)
		return vc_errorf(
		    err, VC_EINVAL,
		    "%s: SizeOfOptionalHeader %llu does not fit in the file (%zu bytes)", what,
		    (unsigned long long)opt_size, len);
	magic = vc_get_le16(data + img->opt_offset);
	if (magic != PE_OPT_MAGIC_PE32PLUS && magic != PE_OPT_MAGIC_PE32)
		return vc_errorf(err, VC_EINVAL,
				 "%s: optional header magic 0x%x is neither PE32 (0x10b) nor PE32+ "
				 "(0x20b)",
				 what, magic);
	img->pe32plus = magic == PE_OPT_MAGIC_PE32PLUS;
	opt_min = img->pe32plus ? sizeof(struct pe_opt_header64_disk)
				: sizeof(struct pe_opt_header32_disk);
	if (opt_size < opt_min)
		return vc_errorf(err, VC_EINVAL,
				 "%s: SizeOfOptionalHeader %llu is smaller than a %s header (%llu)",
				 what, (unsigned long long)opt_size,
				 img->pe32plus ? "PE32+" : "PE32", (unsigned long long)opt_min);
	if (!(img->characteristics & PE_FILE_EXECUTABLE_IMAGE))
		return vc_errorf(err, VC_EINVAL,
				 "%s: COFF Characteristics 0x%x lack IMAGE_FILE_EXECUTABLE_IMAGE",
				 what, img->characteristics);
	if (img->n_sections == 0 || img->n_sections > VC_PE_MAX_SECTIONS)
		return vc_errorf(err, VC_EINVAL, "%s: NumberOfSections %u not in 1..%u", what,
				 img->n_sections, VC_PE_MAX_SECTIONS);
	*ret_opt_size = opt_size;
	return 0;
}

/* The optional header's fields, checked against each other and the file;
 * where the data directories and the section table are. */
static int parse_optional(const uint8_t *data, size_t len, const char *what,
			  struct vc_pe_image *img, uint64_t opt_size, struct vc_error *err)
{
	const struct pe_opt_header64_disk *o64;
	const struct pe_opt_header32_disk *o32;
	uint64_t opt_min = img->pe32plus ? sizeof(*o64) : sizeof(*o32), table, table_end;

	/* The fields both layouts share sit at one offset (pe_disk.h). */
	o64 = (const void *)(data + img->opt_offset);
	o32 = (const void *)(data + img->opt_offset);
	img->size_of_initialized_data = vc_get_le32(o64->size_of_initialized_data);
	img->entry_point = vc_get_le32(o64->address_of_entry_point);
	img->section_alignment = vc_get_le32(o64->section_alignment);
	img->file_alignment = vc_get_le32(o64->file_alignment);
	img->size_of_image = vc_get_le32(o64->size_of_image);
	img->size_of_headers = vc_get_le32(o64->size_of_headers);
	img->checksum = vc_get_le32(o64->checksum);
	img->checksum_offset =
	    img->opt_offset + (uint32_t)offsetof(struct pe_opt_header64_disk, checksum);
	img->subsystem = vc_get_le16(o64->subsystem);
	img->n_data_dirs = vc_get_le32(img->pe32plus ? o64->number_of_rva_and_sizes
						     : o32->number_of_rva_and_sizes);
	img->data_dirs_offset = img->opt_offset + (uint32_t)opt_min;

	if (!is_pow2(img->file_alignment) || img->file_alignment > 0x10000)
		return vc_errorf(err, VC_EINVAL,
				 "%s: FileAlignment 0x%x is not a power of two up to 64 KiB", what,
				 img->file_alignment);
	if (!is_pow2(img->section_alignment) || img->section_alignment < img->file_alignment)
		return vc_errorf(err, VC_EINVAL,
				 "%s: SectionAlignment 0x%x is not a power of two >= FileAlignment "
				 "0x%x",
				 what, img->section_alignment, img->file_alignment);
	if (img->n_data_dirs > PE_MAX_DATA_DIRS ||
	    opt_min + (uint64_t)img->n_data_dirs * sizeof(struct pe_data_dir_disk) > opt_size)
		return vc_errorf(
		    err, VC_EINVAL,
		    "%s: NumberOfRvaAndSizes %u does not fit in SizeOfOptionalHeader %llu", what,
		    img->n_data_dirs, (unsigned long long)opt_size);
	if (img->n_data_dirs > PE_DIR_SECURITY)
		img->security_dir_offset =
		    img->data_dirs_offset +
		    PE_DIR_SECURITY * (uint32_t)sizeof(struct pe_data_dir_disk);
	table = img->opt_offset + opt_size;
	table_end = table + (uint64_t)img->n_sections * sizeof(struct pe_section_disk);
	img->section_table_offset = (uint32_t)table;
	if (table_end > len)
		return vc_errorf(
		    err, VC_EINVAL,
		    "%s: section table (%u entries, ends at 0x%llx) past the end of the "
		    "file (%zu bytes): truncated?",
		    what, img->n_sections, (unsigned long long)table_end, len);
	if (img->size_of_headers < table_end || img->size_of_headers > len)
		return vc_errorf(err, VC_EINVAL,
				 "%s: SizeOfHeaders 0x%x does not cover the section table (ends at "
				 "0x%llx) or exceeds the file (%zu bytes)",
				 what, img->size_of_headers, (unsigned long long)table_end, len);
	/* The spec wants SizeOfImage a multiple of SectionAlignment; Debian 12's
	 * stub (0x19300 with 0x200) is not, and firmware loads it: only bounds. */
	if (img->size_of_image < img->size_of_headers)
		return vc_errorf(err, VC_EINVAL,
				 "%s: SizeOfImage 0x%x does not cover SizeOfHeaders 0x%x", what,
				 img->size_of_image, img->size_of_headers);
	if (img->entry_point >= img->size_of_image)
		return vc_errorf(err, VC_EINVAL,
				 "%s: AddressOfEntryPoint 0x%x past SizeOfImage 0x%x", what,
				 img->entry_point, img->size_of_image);
	if (img->pointer_to_symbol_table &&
	    img->pointer_to_symbol_table + (uint64_t)img->number_of_symbols * PE_SYMBOL_SIZE > len)
		return vc_errorf(
		    err, VC_EINVAL,
		    "%s: COFF symbol table (%u symbols at 0x%x) past the end of the file: "
		    "truncated?",
		    what, img->number_of_symbols, img->pointer_to_symbol_table);
	return 0;
}

int vc_pe_parse(const uint8_t *data, size_t len, const char *what, struct vc_pe_image *ret,
		struct vc_error *err)
{
	uint64_t opt_size = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = parse_coff(data, len, what, ret, &opt_size, err);
	if (r == 0)
		r = parse_optional(data, len, what, ret, opt_size, err);
	if (r == 0)
		r = parse_data_dirs(data, len, what, ret, err);
	if (r == 0)
		r = parse_sections(data, len, what, ret, err);
	return r;
}

int vc_pe_parse_pe32plus(const uint8_t *data, size_t len, const char *what, struct vc_pe_image *ret,
			 struct vc_error *err)
{
	int r = vc_pe_parse(data, len, what, ret, err);

	if (r == 0 && !ret->pe32plus)
		r = vc_errorf(err, VC_EUNSUPP,
			      "%s: optional header magic 0x10b is PE32 (32-bit); PE32+ (0x20b) "
			      "needed",
			      what);
	return r;
}

const struct vc_pe_section *vc_pe_find_section(const struct vc_pe_image *img, const char *name)
{
	for (unsigned i = 0; i < img->n_sections; i++)
		if (strcmp(img->sections[i].name, name) == 0)
			return &img->sections[i];
	return NULL;
}

size_t vc_pe_section_data(const struct vc_pe_image *img, const struct vc_pe_section *s,
			  const uint8_t **ret)
{
	size_t n = s->virtual_size && s->virtual_size < s->size_of_raw_data ? s->virtual_size
									    : s->size_of_raw_data;

	/* parse_sections() checked the raw range lies in the file. */
	*ret = n ? img->data + s->pointer_to_raw_data : img->data;
	return n;
}

/* Ones'-complement arithmetic: the sum of chunks is the same in any order. */
uint64_t vc_pe_checksum_add(uint64_t sum, const uint8_t *p, size_t n, uint64_t off)
{
	size_t i = 0;

	if (n && (off & 1)) {
		sum += (uint64_t)p[0] << 8;
		i = 1;
	}
	for (; i + 1 < n; i += 2)
		sum += (uint64_t)p[i] | (uint64_t)p[i + 1] << 8;
	if (i < n)
		sum += p[i];
	/* Fold now and then so the sum never overflows whatever the size. */
	while (sum >> 32)
		sum = (sum & 0xffffffffu) + (sum >> 32);
	return sum;
}

uint32_t vc_pe_checksum_finish(uint64_t sum, uint64_t file_len)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)(sum + file_len);
}

uint32_t vc_pe_checksum(const uint8_t *data, size_t len, uint32_t checksum_offset)
{
	uint64_t sum = 0;
	size_t co = checksum_offset;

	if (co + 4 <= len) {
		sum = vc_pe_checksum_add(sum, data, co, 0);
		sum = vc_pe_checksum_add(sum, data + co + 4, len - co - 4, co + 4);
	} else {
		sum = vc_pe_checksum_add(sum, data, len, 0);
	}
	return vc_pe_checksum_finish(sum, len);
}

static bool is_text_section(const char *name)
{
	return !strcmp(name, ".cmdline") || !strcmp(name, ".osrel") || !strcmp(name, ".uname") ||
	       !strcmp(name, ".sbat");
}

/* Number fields, one key each, in this order. */
struct json_uint {
	const char *key;
	uint64_t value;
};

static void json_uints(struct vc_json *j, const struct json_uint *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		vc_json_key_uint(j, f[i].key, f[i].value);
	}
}

int vc_pe_describe_json(const struct vc_pe_image *img, struct vc_json *j, struct vc_error *err)
{
	const struct json_uint head[] = {
	    {"machine", img->machine},
	    {"subsystem", img->subsystem},
	    {"time_date_stamp", img->time_date_stamp},
	    {"section_alignment", img->section_alignment},
	    {"file_alignment", img->file_alignment},
	    {"size_of_image", img->size_of_image},
	    {"checksum", img->checksum},
	};

	(void)err;
	vc_json_begin_object(j);
	json_uints(j, head, sizeof(head) / sizeof(head[0]));
	vc_json_key_bool(j, "signed", img->security_size != 0);
	vc_json_key(j, "sections");
	vc_json_begin_array(j);
	for (unsigned i = 0; i < img->n_sections; i++) {
		const struct vc_pe_section *s = &img->sections[i];
		const uint8_t *p;
		size_t n = vc_pe_section_data(img, s, &p);
		uint8_t md[VC_SHA256_LEN];

		vc_sha256(p, n, md);
		vc_json_begin_object(j);
		vc_json_key_string(j, "name", s->name);
		const struct json_uint sf[] = {
		    {"vma", s->virtual_address},       {"virtual_size", s->virtual_size},
		    {"raw_size", s->size_of_raw_data}, {"file_offset", s->pointer_to_raw_data},
		    {"flags", s->characteristics},
		};
		json_uints(j, sf, sizeof(sf) / sizeof(sf[0]));
		vc_json_key_hex(j, "sha256", md, sizeof(md));
		if (is_text_section(s->name)) {
			size_t t = n;

			while (t && p[t - 1] == 0)
				t--;
			vc_json_key(j, "text");
			vc_json_string_n(j, (const char *)p, t);
		}
		vc_json_end_object(j);
	}
	vc_json_end_array(j);
	vc_json_end_object(j);
	return 0;
}
