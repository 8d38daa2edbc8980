/* SPDX-License-Identifier: MIT */
/* Unified Kernel Image assembly on the systemd-boot stub.
 * Specs: UAPI group "Unified Kernel Image (UKI)" (section names and meaning);
 * Microsoft "PE Format" (section table, alignment rules, CheckSum); shim's
 * "SBAT.md" (the .sbat CSV and its mandatory first line). Section order and
 * placement follow systemd's ukify: new sections after the stub's last one,
 * .osrel .cmdline .dtb .uname .splash .pcrpkey .initrd .pcrsig .linux, then
 * .sbat. Writing is planned first (the sections and their bytes), so that a
 * caller can measure them and add the signed .pcrsig before the layout. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pe_disk.h"
#include "vcompose/endian.h"
#include "vcompose/pe.h"

#define SBAT_HEADER "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md"
#define SBAT_UKI    "uki,1,UKI,uki,1,https://uapi-group.org/specifications/specs/unified_kernel_image/"
#define FLAGS_DATA  (VC_PE_SCN_CNT_INITIALIZED_DATA | VC_PE_SCN_MEM_READ)
#define FLAGS_LINUX (VC_PE_SCN_CNT_CODE | VC_PE_SCN_MEM_READ)
#define UNAME_MAX   255

void vc_uki_options_init(struct vc_uki_options *o)
{
	memset(o, 0, sizeof(*o));
}

int vc_uki_blob_load(const char *path, uint64_t max, struct vc_uki_blob *b, struct vc_error *err)
{
	struct vc_buf buf = {0};
	int r;

	memset(b, 0, sizeof(*b));
	r = vc_read_file(path, max > SIZE_MAX ? SIZE_MAX : (size_t)max, &buf, err);
	if (r < 0) {
		vc_buf_fini(&buf);
		return r;
	}
	b->name = path;
	b->data = buf.data;
	b->len = buf.len;
	b->owned = true;
	return 0;
}

void vc_uki_blob_fini(struct vc_uki_blob *b)
{
	if (b && b->owned)
		free(b->data);
	if (b)
		memset(b, 0, sizeof(*b));
}

/* One section we add. */
struct new_section {
	const char *name;
	const uint8_t *data;
	size_t len;
	uint64_t virtual_size;
	uint32_t flags;
	uint64_t va, off, raw;
};

struct vc_uki_plan {
	const struct vc_uki_options *o; /* borrowed */
	struct vc_pe_image stub, kernel;
	size_t stub_len; /* the stub's bytes we keep (a trailing symbol table dropped) */
	bool strip_symbols;
	struct new_section sec[12];
	size_t n_sec;
	struct vc_buf cmdline, initrd, sbat, pcrsig;
	struct vc_uki_summary sum; /* what is known before the layout */
	char uname[UNAME_MAX + 1];
	const struct vc_pe_section *stub_sbat; /* overwritten in place, or NULL */
	uint64_t sum_acc;		       /* running checksum */
};

/* Old stubs keep a COFF symbol table at the end of the file; images should
 * have none. Drop it when nothing follows it, as ukify does; refuse otherwise. */
static int stub_symbols(struct vc_uki_plan *b, const char *name, struct vc_error *err)
{
	const struct vc_pe_image *s = &b->stub;
	uint64_t end;

	b->stub_len = s->len;
	if (!s->pointer_to_symbol_table)
		return 0;
	end = s->pointer_to_symbol_table + (uint64_t)s->number_of_symbols * PE_SYMBOL_SIZE;
	if (end + 4 <= s->len)
		end += vc_get_le32(s->data + end); /* the string table's size includes its own 4 */
	if (end != s->len || s->pointer_to_symbol_table < s->end_of_raw_data)
		return vc_errorf(
		    err, VC_EUNSUPP,
		    "stub '%s': COFF symbol table at 0x%x is not at the end of the file; "
		    "strip the stub",
		    name, s->pointer_to_symbol_table);
	b->stub_len = s->pointer_to_symbol_table;
	b->strip_symbols = true;
	return 0;
}

static int check_stub(struct vc_uki_plan *b, const struct vc_uki_blob *stub, struct vc_error *err)
{
	const struct vc_pe_image *s = &b->stub;

	if (s->subsystem != VC_PE_SUBSYSTEM_EFI_APPLICATION)
		return vc_errorf(err, VC_EINVAL,
				 "stub '%s': Subsystem %u is not an EFI application (10)",
				 stub->name, s->subsystem);
	if (s->security_size)
		return vc_errorf(
		    err, VC_EINVAL,
		    "stub '%s': already signed (certificate table of %u bytes at 0x%x); "
		    "use the unsigned stub and sign the UKI",
		    stub->name, s->security_size, s->security_offset);
	/* The UKI's sections go right after the stub's last one, and SizeOfImage
	 * is recomputed: an entry point or a data directory (imports,
	 * relocations, ...) past the stub's sections would end up inside them
	 * or outside the image. */
	const struct vc_pe_section *last = &s->sections[s->n_sections - 1];
	uint64_t end = last->virtual_address +
		       (uint64_t)(last->virtual_size ? last->virtual_size : last->size_of_raw_data);
	const uint8_t *dirs = s->data + s->opt_offset + sizeof(struct pe_opt_header64_disk);
	if (s->entry_point >= end)
		return vc_errorf(
		    err, VC_EINVAL,
		    "stub '%s': AddressOfEntryPoint 0x%x is past its last section (ends "
		    "at RVA 0x%llx)",
		    stub->name, s->entry_point, (unsigned long long)end);
	for (uint32_t i = 0; i < s->n_data_dirs; i++) {
		const struct pe_data_dir_disk *d = (const void *)(dirs + i * sizeof(*d));
		uint64_t va = vc_get_le32(d->virtual_address), size = vc_get_le32(d->size);

		if (i != PE_DIR_SECURITY && size && va + size > end)
			return vc_errorf(
			    err, VC_EINVAL,
			    "stub '%s': data directory %u [RVA 0x%llx, +0x%llx) reaches "
			    "past its last section (ends at RVA 0x%llx)",
			    stub->name, i, (unsigned long long)va, (unsigned long long)size,
			    (unsigned long long)end);
	}
	return stub_symbols(b, stub->name, err);
}

/* An EFI-stub kernel: a PE image for the stub's machine; on x86 also a bzImage
 * (the "HdrS" real-mode header of Documentation/arch/x86/boot.rst). */
static int check_kernel(struct vc_uki_plan *b, const struct vc_uki_blob *k, struct vc_error *err)
{
	char what[300];
	int r;

	if (k->len == 0)
		return vc_errorf(err, VC_EINVAL, "kernel '%s' is empty", k->name);
	snprintf(what, sizeof(what), "kernel '%s'", k->name);
	r = vc_pe_parse_pe32plus(k->data, k->len, what, &b->kernel, err);
	if (r < 0) {
		vc_error_prefix(err, "not an EFI-stub kernel");
		return r;
	}
	if (b->kernel.machine != b->stub.machine)
		return vc_errorf(err, VC_EINVAL,
				 "kernel '%s': machine 0x%x differs from the stub's 0x%x", k->name,
				 b->kernel.machine, b->stub.machine);
	if (b->kernel.subsystem != VC_PE_SUBSYSTEM_EFI_APPLICATION)
		return vc_errorf(err, VC_EINVAL,
				 "kernel '%s': Subsystem %u is not an EFI application (10)",
				 k->name, b->kernel.subsystem);
	if ((b->kernel.machine == VC_PE_MACHINE_AMD64 || b->kernel.machine == VC_PE_MACHINE_I386) &&
	    (k->len < BZ_HDRS_OFF + 4 || memcmp(k->data + BZ_HDRS_OFF, "HdrS", 4) != 0))
		return vc_errorf(err, VC_EINVAL, "kernel '%s': no bzImage 'HdrS' header at 0x202",
				 k->name);
	return 0;
}

/* The longest command line the kernel takes, without its NUL: on x86 the
 * boot protocol header's cmdline_size (at 0x238 from version 2.06; 255
 * before, Documentation/arch/x86/boot.rst); 0 where the image does not say
 * (arm64, riscv64: a build-time COMMAND_LINE_SIZE, not in the image). */
static uint32_t kernel_cmdline_max(const struct vc_uki_blob *k)
{
	if (k->len < BZ_CMDLINE_SIZE_OFF + 4 || memcmp(k->data + BZ_HDRS_OFF, "HdrS", 4) != 0)
		return 0;
	if (vc_get_le16(k->data + BZ_VERSION_OFF) < BZ_CMDLINE_SIZE_VER)
		return 255;
	return vc_get_le32(k->data + BZ_CMDLINE_SIZE_OFF);
}

/* A command line the kernel would cut (it drops the tail, and roothash= may
 * be there) or control characters (a newline ends the line for the stub's
 * readers, ESC reaches the console) are refused, naming both lengths. */
static int check_cmdline(const struct vc_uki_options *o, struct vc_error *err)
{
	if (!o->cmdline)
		return 0;
	size_t n = strlen(o->cmdline);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)o->cmdline[i];
		if (ch < 0x20 || ch == 0x7f)
			return vc_errorf(
			    err, VC_EINVAL,
			    "kernel command line: control character 0x%02x at byte %zu", ch, i);
	}
	uint32_t max = kernel_cmdline_max(o->kernel);
	if (max && n > max)
		return vc_errorf(err, VC_EINVAL,
				 "kernel command line of %zu bytes: kernel '%s' takes at most %u "
				 "(cmdline_size in its boot header) and would cut the rest",
				 n, o->kernel->name, max);
	return 0;
}

/* The kernel release from the bzImage header (kernel_version at 0x20e points
 * to "RELEASE (user@host) #..."), as ukify reads it. Empty when absent. */
static void scrape_uname(const struct vc_uki_blob *k, char out[UNAME_MAX + 1])
{
	uint64_t off;
	size_t n = 0, i;
	const uint8_t *p;

	out[0] = '\0';
	if (k->len < BZ_KERNEL_VERSION_OFF + 2 || memcmp(k->data + BZ_HDRS_OFF, "HdrS", 4) != 0)
		return;
	off = BZ_SETUP_OFF + (uint64_t)vc_get_le16(k->data + BZ_KERNEL_VERSION_OFF);
	if (off == BZ_SETUP_OFF || off >= k->len)
		return;
	p = k->data + off;
	while (n < k->len - off && n < UNAME_MAX && p[n] &&
	       ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') || p[n] == '.' ||
		p[n] == '_' || p[n] == '-'))
		n++;
	/* Then " (" builder ") #". */
	i = n;
	if (n == 0 || i + 2 > k->len - off || p[i] != ' ' || p[i + 1] != '(')
		return;
	for (i += 2; i < k->len - off && i < 256 && p[i] != ')'; i++)
		if (p[i] == ' ' || p[i] == 0)
			return;
	if (i + 2 >= k->len - off || p[i] != ')' || p[i + 1] != ' ' || p[i + 2] != '#')
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* Appends the lines of an SBAT text after its header line (which must be there)
 * to b->sbat, each ending in '\n'. Trailing NULs and '\r' are dropped, and so
 * are empty lines. */
static int sbat_take(struct vc_uki_plan *b, const uint8_t *p, size_t n, const char *what,
		     struct vc_error *err)
{
	size_t i = 0, line = 0;

	while (n && p[n - 1] == 0)
		n--;
	if (memchr(p, 0, n))
		return vc_errorf(err, VC_EINVAL, "%s: SBAT text contains a NUL byte", what);
	if (n < 5 || memcmp(p, "sbat,", 5) != 0)
		return vc_errorf(err, VC_EINVAL, "%s: SBAT does not start with an 'sbat,' line",
				 what);
	while (i < n) {
		const uint8_t *nl = memchr(p + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - p) : n, e = end;

		if (e > i && p[e - 1] == '\r')
			e--;
		if (line++ > 0 && e > i) {
			if (vc_buf_append(&b->sbat, p + i, e - i, err) < 0 ||
			    vc_buf_append(&b->sbat, "\n", 1, err) < 0)
				return err->code;
		}
		i = end + 1;
	}
	return 0;
}

static int sbat_merge(struct vc_uki_plan *b, const struct vc_uki_options *o, struct vc_error *err)
{
	const struct vc_pe_section *s;
	const uint8_t *p;
	size_t n;
	int r;

	if (vc_buf_append(&b->sbat, SBAT_HEADER "\n", sizeof(SBAT_HEADER), err) < 0)
		return err->code;
	s = vc_pe_find_section(&b->stub, ".sbat");
	if (s) {
		n = vc_pe_section_data(&b->stub, s, &p);
		if ((r = sbat_take(b, p, n, "stub .sbat", err)) < 0)
			return r;
	}
	s = vc_pe_find_section(&b->kernel, ".sbat");
	if (s) {
		n = vc_pe_section_data(&b->kernel, s, &p);
		if ((r = sbat_take(b, p, n, "kernel .sbat", err)) < 0)
			return r;
	}
	if (o->sbat) {
		if ((r = sbat_take(b, o->sbat->data, o->sbat->len, o->sbat->name, err)) < 0)
			return r;
	} else if (vc_buf_append(&b->sbat, SBAT_UKI "\n", sizeof(SBAT_UKI), err) < 0) {
		return err->code;
	}
	/* NUL-terminated, as shim's parser and ukify expect. */
	return vc_buf_append(&b->sbat, "", 1, err);
}

static int add_section(struct vc_uki_plan *b, const char *name, const uint8_t *data, size_t len,
		       uint64_t vsize, uint32_t flags, struct vc_error *err)
{
	struct new_section *s;

	if (strlen(name) > 8)
		return vc_errorf(err, VC_EINVAL, "section name '%s' is longer than 8 bytes", name);
	if (vc_pe_find_section(&b->stub, name) && strcmp(name, ".sbat") != 0)
		return vc_errorf(err, VC_EINVAL, "stub already has a section '%s'", name);
	if (len == 0)
		return vc_errorf(err, VC_EINVAL, "section '%s' would be empty", name);
	if (b->n_sec == VC_ARRAY_SIZE(b->sec))
		return vc_errorf(err, VC_ERANGE, "too many sections");
	s = &b->sec[b->n_sec++];
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->data = data;
	s->len = len;
	s->virtual_size = vsize > len ? vsize : len;
	s->flags = flags;
	return 0;
}

static int add_blob(struct vc_uki_plan *b, const char *name, const struct vc_uki_blob *blob,
		    struct vc_error *err)
{
	int r;

	if (!blob)
		return 0;
	if (blob->len == 0)
		return vc_errorf(err, VC_EINVAL, "%s '%s' is empty", name, blob->name);
	if (!strcmp(name, ".splash") && (blob->len < 2 || memcmp(blob->data, "BM", 2) != 0))
		return vc_errorf(err, VC_EINVAL, "splash '%s' is not a BMP image (no 'BM' magic)",
				 blob->name);
	if (!strcmp(name, ".dtb") && (blob->len < 4 || vc_get_be32(blob->data) != 0xd00dfeedu))
		return vc_errorf(err, VC_EINVAL,
				 "device tree '%s' is not a flattened device tree (no 0xd00dfeed)",
				 blob->name);
	r = add_section(b, name, blob->data, blob->len, 0, FLAGS_DATA, err);
	return r;
}

/* The sections in ukify's order. */
static int collect(struct vc_uki_plan *b, const struct vc_uki_options *o, struct vc_error *err)
{
	int r;

	if ((r = add_blob(b, ".osrel", o->os_release, err)) < 0)
		return r;
	if (o->cmdline) {
		if (vc_buf_append(&b->cmdline, o->cmdline, strlen(o->cmdline) + 1, err) < 0)
			return err->code;
		if ((r = add_section(b, ".cmdline", b->cmdline.data, b->cmdline.len, 0, FLAGS_DATA,
				     err)) < 0)
			return r;
	}
	if ((r = add_blob(b, ".dtb", o->dtb, err)) < 0)
		return r;
	if (o->uname) {
		size_t n = strlen(o->uname);

		if (n == 0 || n > UNAME_MAX)
			return vc_errorf(err, VC_EINVAL, "uname '%.40s': length %zu not in 1..%d",
					 o->uname, n, UNAME_MAX);
		memcpy(b->uname, o->uname, n + 1);
	} else {
		scrape_uname(o->kernel, b->uname);
	}
	if (b->uname[0] && (r = add_section(b, ".uname", (const uint8_t *)b->uname,
					    strlen(b->uname), 0, FLAGS_DATA, err)) < 0)
		return r;
	if ((r = add_blob(b, ".splash", o->splash, err)) < 0)
		return r;
	if ((r = add_blob(b, ".pcrpkey", o->pcrpkey, err)) < 0)
		return r;
	if (o->n_initrds == 1) {
		if ((r = add_blob(b, ".initrd", o->initrds[0], err)) < 0)
			return r;
	} else if (o->n_initrds > 1) {
		/* Concatenated, each padded to 4 bytes (the kernel parses cpio
		 * archives at 4-byte boundaries). */
		for (size_t i = 0; i < o->n_initrds; i++) {
			const struct vc_uki_blob *x = o->initrds[i];
			size_t pad = VC_ROUND_UP(x->len, 4) - x->len;

			if (vc_buf_append(&b->initrd, x->data, x->len, err) < 0 ||
			    !vc_buf_grow(&b->initrd, pad, err))
				return err->code;
		}
		if ((r = add_section(b, ".initrd", b->initrd.data, b->initrd.len, 0, FLAGS_DATA,
				     err)) < 0)
			return r;
	}
	/* .linux reserves the kernel's SizeOfImage in memory, so the kernel can
	 * run in place; never less than its file. */
	return add_section(b, ".linux", o->kernel->data, o->kernel->len, b->kernel.size_of_image,
			   FLAGS_LINUX, err);
}

/* Merged .sbat over the stub's own when it fits there: within its raw size
 * and before the next section's address. */
static int place_sbat(struct vc_uki_plan *b, const struct vc_uki_options *o,
		      struct vc_uki_summary *sum, struct vc_error *err)
{
	const struct vc_pe_section *s = vc_pe_find_section(&b->stub, ".sbat");
	uint64_t room;
	unsigned idx;

	if (!s)
		return add_section(b, ".sbat", b->sbat.data, b->sbat.len, 0, FLAGS_DATA, err);
	idx = (unsigned)(s - b->stub.sections);
	room = s->size_of_raw_data;
	if (idx + 1 < b->stub.n_sections &&
	    b->stub.sections[idx + 1].virtual_address - (uint64_t)s->virtual_address < room)
		room = b->stub.sections[idx + 1].virtual_address - (uint64_t)s->virtual_address;
	if (b->sbat.len <= room) {
		b->stub_sbat = s;
		sum->sbat_in_stub = true;
		return 0;
	}
	if (o->sbat)
		return vc_errorf(err, VC_ERANGE,
				 "%s: merged SBAT (%zu bytes) does not fit in the stub's .sbat "
				 "(%llu bytes)",
				 o->sbat->name, b->sbat.len, (unsigned long long)room);
	/* Debian 12's stub leaves 256 bytes: keep its own SBAT. */
	sum->sbat_kept = true;
	return 0;
}

static const uint8_t zeros[4096];

static int emit(struct vc_uki_plan *b, const struct vc_sink *out, const void *p, size_t n,
		uint64_t off, struct vc_error *err)
{
	if (!n)
		return 0;
	b->sum_acc = vc_pe_checksum_add(b->sum_acc, p, n, off);
	return vc_sink_pwrite(out, p, n, off, err);
}

static int emit_zeros(struct vc_uki_plan *b, const struct vc_sink *out, uint64_t from, uint64_t to,
		      struct vc_error *err)
{
	while (from < to) {
		size_t n = to - from > sizeof(zeros) ? sizeof(zeros) : (size_t)(to - from);
		int r = emit(b, out, zeros, n, from, err);

		if (r < 0)
			return r;
		from += n;
	}
	return 0;
}

static void put_section(uint8_t *p, const char *name, uint64_t vsize, uint64_t va, uint64_t raw,
			uint64_t off, uint32_t flags)
{
	struct pe_section_disk *d = (void *)p;

	memset(d, 0, sizeof(*d));
	memcpy(d->name, name, strlen(name));
	vc_put_le32(d->virtual_size, (uint32_t)vsize);
	vc_put_le32(d->virtual_address, (uint32_t)va);
	vc_put_le32(d->size_of_raw_data, (uint32_t)raw);
	vc_put_le32(d->pointer_to_raw_data, (uint32_t)off);
	vc_put_le32(d->characteristics, flags);
}

/* Where the new sections go. */
struct layout {
	uint64_t hdr_size;  /* SizeOfHeaders */
	uint64_t shift;	    /* how far the stub's raw data moves up in the file */
	uint64_t image_end; /* SizeOfImage */
	uint64_t file_end;  /* file size */
	uint64_t init_data; /* SizeOfInitializedData */
	size_t n_total;	    /* sections in the output */
};

/* The new section table must end before the first section in memory. In
 * the file, it may run over zero bytes up to the stub's raw data; past
 * that, the raw data moves up by whole FileAlignment units (old stubs,
 * e.g. systemd 252's, keep 0x400 bytes of headers under a first section at
 * RVA 0x4000: room for 7 more headers without the move). Only section
 * headers hold file offsets in a stub we accept (no certificate table, the
 * symbol table dropped); a debug directory also would, and is refused. */
static int layout_headers(struct vc_uki_plan *b, struct layout *l, struct vc_error *err)
{
	const struct vc_pe_image *s = &b->stub;
	const struct pe_data_dir_disk *debug =
	    (const void *)(s->data + s->opt_offset + sizeof(struct pe_opt_header64_disk) +
			   PE_DIR_DEBUG * sizeof(struct pe_data_dir_disk));
	uint64_t table_end, data_at, limit = s->sections[0].virtual_address;
	uint64_t old_end =
	    s->section_table_offset + (uint64_t)s->n_sections * sizeof(struct pe_section_disk);

	l->n_total = s->n_sections + b->n_sec;
	table_end = s->section_table_offset + (uint64_t)l->n_total * sizeof(struct pe_section_disk);
	l->hdr_size = VC_ROUND_UP(table_end, (uint64_t)s->file_alignment);
	if (l->hdr_size < s->size_of_headers)
		l->hdr_size = s->size_of_headers;
	data_at =
	    s->first_raw_data && s->first_raw_data < b->stub_len ? s->first_raw_data : b->stub_len;
	if (l->hdr_size > data_at) {
		l->shift = VC_ROUND_UP(l->hdr_size - data_at, (uint64_t)s->file_alignment);
		l->hdr_size = data_at + l->shift;
	}
	if (l->n_total > VC_PE_MAX_SECTIONS || l->hdr_size > limit)
		return vc_errorf(
		    err, VC_ERANGE,
		    "stub '%s': no room for %zu more section headers: the headers would "
		    "end at 0x%llx, the first section starts at RVA 0x%llx",
		    b->o->stub->name, b->n_sec, (unsigned long long)l->hdr_size,
		    (unsigned long long)limit);
	if (l->shift && s->n_data_dirs > PE_DIR_DEBUG && vc_get_le32(debug->size))
		return vc_errorf(err, VC_EUNSUPP,
				 "stub '%s': no room for %zu more section headers before its "
				 "data at 0x%llx, and its debug directory holds file offsets "
				 "that moving the data would break; strip the stub",
				 b->o->stub->name, b->n_sec, (unsigned long long)data_at);
	for (uint64_t i = old_end; i < (l->shift ? data_at : table_end); i++)
		if (s->data[i])
			return vc_errorf(err, VC_EINVAL,
					 "stub '%s': byte 0x%llx after the section table is "
					 "in use (0x%02x): no free room for new headers",
					 b->o->stub->name, (unsigned long long)i, s->data[i]);
	return 0;
}

/* Addresses after the stub's last section, data after its bytes. */
static int layout_sections(struct vc_uki_plan *b, struct layout *l, struct vc_error *err)
{
	const struct vc_pe_image *s = &b->stub;
	const struct vc_pe_section *last = &s->sections[s->n_sections - 1];
	uint64_t fa = s->file_alignment, sa = s->section_alignment, va, off;

	va = last->virtual_address +
	     (uint64_t)(last->virtual_size ? last->virtual_size : last->size_of_raw_data);
	if (b->stub_sbat == last && last->virtual_address + (uint64_t)b->sbat.len > va)
		va = last->virtual_address + (uint64_t)b->sbat.len;
	off = VC_ROUND_UP((uint64_t)b->stub_len + l->shift, fa);
	l->init_data = s->size_of_initialized_data;
	for (size_t i = 0; i < b->n_sec; i++) {
		struct new_section *n = &b->sec[i];

		n->va = VC_ROUND_UP(va, sa);
		n->off = off;
		n->raw = VC_ROUND_UP((uint64_t)n->len, fa);
		va = n->va + n->virtual_size;
		off = n->off + n->raw;
		l->init_data += n->virtual_size; /* as ukify counts, .linux included */
	}
	l->image_end = VC_ROUND_UP(va, sa);
	l->file_end = off;
	if (l->image_end > UINT32_MAX || off > UINT32_MAX)
		return vc_errorf(err, VC_ERANGE,
				 "the UKI would need %llu bytes of address space and %llu of file; "
				 "PE32+ allows 4 GiB",
				 (unsigned long long)l->image_end, (unsigned long long)off);
	if (l->init_data > UINT32_MAX)
		l->init_data = UINT32_MAX;
	return 0;
}

/* The stub's headers, patched, with our section headers; hdr holds
 * l->hdr_size bytes. */
static int build_headers(struct vc_uki_plan *b, const struct layout *l, uint8_t *hdr,
			 struct vc_error *err)
{
	const struct vc_pe_image *s = &b->stub;
	const struct vc_uki_options *o = b->o;
	struct pe_coff_header_disk *c = (void *)(hdr + s->pe_offset + 4);
	struct pe_opt_header64_disk *h = (void *)(hdr + s->opt_offset);
	uint32_t stamp = s->time_date_stamp;

	if (o->have_epoch) {
		if (o->epoch < 0 || o->epoch > UINT32_MAX)
			return vc_errorf(err, VC_ERANGE,
					 "SOURCE_DATE_EPOCH %lld does not fit in the 32-bit PE "
					 "TimeDateStamp",
					 (long long)o->epoch);
		stamp = (uint32_t)o->epoch;
	}
	memcpy(hdr, s->data, s->size_of_headers);
	vc_put_le16(c->number_of_sections, (uint16_t)l->n_total);
	vc_put_le32(c->time_date_stamp, stamp);
	if (b->strip_symbols) {
		vc_put_le32(c->pointer_to_symbol_table, 0);
		vc_put_le32(c->number_of_symbols, 0);
		vc_put_le16(c->characteristics, s->characteristics | PE_FILE_LOCAL_SYMS_STRIPPED);
	}
	vc_put_le32(h->size_of_initialized_data, (uint32_t)l->init_data);
	vc_put_le32(h->size_of_image, (uint32_t)l->image_end);
	vc_put_le32(h->size_of_headers, (uint32_t)l->hdr_size);
	vc_put_le32(h->checksum, 0);
	b->sum.time_date_stamp = stamp;
	if (b->stub_sbat) {
		struct pe_section_disk *d =
		    (void *)(hdr + s->section_table_offset +
			     (size_t)(b->stub_sbat - s->sections) * sizeof(*d));

		vc_put_le32(d->virtual_size, (uint32_t)b->sbat.len);
	}
	for (size_t i = 0; l->shift && i < s->n_sections; i++) {
		struct pe_section_disk *d =
		    (void *)(hdr + s->section_table_offset + i * sizeof(*d));

		if (s->sections[i].pointer_to_raw_data)
			vc_put_le32(d->pointer_to_raw_data,
				    (uint32_t)(s->sections[i].pointer_to_raw_data + l->shift));
	}
	for (size_t i = 0; i < b->n_sec; i++) {
		const struct new_section *n = &b->sec[i];

		put_section(hdr + s->section_table_offset +
				(s->n_sections + i) * sizeof(struct pe_section_disk),
			    n->name, n->virtual_size, n->va, n->raw, n->off, n->flags);
	}
	return 0;
}

/* Every byte: headers, the stub's sections (its .sbat replaced), ours with
 * zero padding, then the checksum over all of it. */
static int emit_image(struct vc_uki_plan *b, const struct layout *l, const uint8_t *hdr,
		      const struct vc_sink *out, struct vc_error *err)
{
	const struct vc_pe_image *s = &b->stub;
	uint64_t hs = l->hdr_size, d = l->shift, from = hs - d, at = b->stub_len + d;
	uint8_t ck[4];
	int r;

	/* the stub's bytes from `from` on move up by d */
	b->sum.checksum = 0;
	b->sum_acc = 0;
	if ((r = emit(b, out, hdr, hs, 0, err)) < 0)
		return r;
	if (b->stub_sbat) {
		uint64_t so = b->stub_sbat->pointer_to_raw_data;
		uint64_t se = so + b->stub_sbat->size_of_raw_data;

		if ((r = emit(b, out, s->data + from, so - from, hs, err)) < 0 ||
		    (r = emit(b, out, b->sbat.data, b->sbat.len, so + d, err)) < 0 ||
		    (r = emit_zeros(b, out, so + d + b->sbat.len, se + d, err)) < 0 ||
		    (r = emit(b, out, s->data + se, b->stub_len - se, se + d, err)) < 0)
			return r;
	} else if ((r = emit(b, out, s->data + from, b->stub_len - from, hs, err)) < 0) {
		return r;
	}
	for (size_t i = 0; i < b->n_sec; i++) {
		const struct new_section *n = &b->sec[i];

		if ((r = emit_zeros(b, out, at, n->off, err)) < 0 ||
		    (r = emit(b, out, n->data, n->len, n->off, err)) < 0 ||
		    (r = emit_zeros(b, out, n->off + n->len, n->off + n->raw, err)) < 0)
			return r;
		at = n->off + n->raw;
	}
	b->sum.checksum = vc_pe_checksum_finish(b->sum_acc, l->file_end);
	vc_put_le32(ck, b->sum.checksum);
	return vc_sink_pwrite(out, ck, 4, s->checksum_offset, err);
}

static void summarize(struct vc_uki_plan *b, const struct layout *l)
{
	const struct vc_pe_image *s = &b->stub;
	struct vc_uki_summary *sum = &b->sum;

	sum->size = l->file_end;
	sum->size_of_image = (uint32_t)l->image_end;
	sum->n_stub_sections = s->n_sections;
	sum->n_sections = (uint16_t)l->n_total;
	for (size_t i = 0; i < s->n_sections; i++) {
		sum->sections[i] = s->sections[i];
		if (sum->sections[i].pointer_to_raw_data)
			sum->sections[i].pointer_to_raw_data += (uint32_t)l->shift;
	}
	if (b->stub_sbat)
		sum->sections[b->stub_sbat - s->sections].virtual_size = (uint32_t)b->sbat.len;
	for (size_t i = 0; i < b->n_sec; i++) {
		struct vc_pe_section *d = &sum->sections[s->n_sections + i];

		snprintf(d->name, sizeof(d->name), "%s", b->sec[i].name);
		d->virtual_size = (uint32_t)b->sec[i].virtual_size;
		d->virtual_address = (uint32_t)b->sec[i].va;
		d->size_of_raw_data = (uint32_t)b->sec[i].raw;
		d->pointer_to_raw_data = (uint32_t)b->sec[i].off;
		d->characteristics = b->sec[i].flags;
	}
}

int vc_uki_plan_new(const struct vc_uki_options *o, struct vc_uki_plan **ret, struct vc_error *err)
{
	struct vc_uki_plan *b;
	char what[300];
	int r;

	if (!o->stub || !o->kernel)
		return vc_errorf(err, VC_EINVAL, "a stub and a kernel are required");
	if (o->n_initrds > VC_UKI_MAX_INITRDS)
		return vc_errorf(err, VC_ERANGE, "more than %d initrds", VC_UKI_MAX_INITRDS);
	b = calloc(1, sizeof(*b));
	if (!b)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	b->o = o;
	snprintf(what, sizeof(what), "stub '%s'", o->stub->name);
	if ((r = vc_pe_parse_pe32plus(o->stub->data, o->stub->len, what, &b->stub, err)) < 0 ||
	    (r = check_stub(b, o->stub, err)) < 0 || (r = check_kernel(b, o->kernel, err)) < 0 ||
	    (r = check_cmdline(o, err)) < 0 || (r = collect(b, o, err)) < 0 ||
	    (r = sbat_merge(b, o, err)) < 0 || (r = place_sbat(b, o, &b->sum, err)) < 0) {
		vc_uki_plan_free(b);
		return r;
	}
	snprintf(b->sum.uname, sizeof(b->sum.uname), "%s", b->uname);
	b->sum.sbat_merged_len = b->sbat.len;
	*ret = b;
	return 0;
}

size_t vc_uki_plan_sections(const struct vc_uki_plan *b, struct vc_uki_section *out, size_t max)
{
	const struct vc_pe_image *s = &b->stub;
	size_t n = 0;

	for (size_t i = 0; i < s->n_sections && n < max; i++, n++) {
		const struct vc_pe_section *x = &s->sections[i];

		memcpy(out[n].name, x->name, sizeof(out[n].name));
		out[n].virtual_size = x->virtual_size;
		if (x == b->stub_sbat) {
			out[n].data = b->sbat.data;
			out[n].len = b->sbat.len;
			out[n].virtual_size = b->sbat.len;
		} else {
			out[n].len = vc_pe_section_data(s, x, &out[n].data);
		}
	}
	for (size_t i = 0; i < b->n_sec && n < max; i++, n++) {
		snprintf(out[n].name, sizeof(out[n].name), "%s", b->sec[i].name);
		out[n].data = b->sec[i].data;
		out[n].len = b->sec[i].len;
		out[n].virtual_size = b->sec[i].virtual_size;
	}
	return n;
}

int vc_uki_plan_add_pcrsig(struct vc_uki_plan *b, const uint8_t *json, size_t len,
			   struct vc_error *err)
{
	struct new_section *linux_sec;
	int r;

	if (b->pcrsig.len)
		return vc_errorf(err, VC_EINVAL, "the UKI already has a .pcrsig");
	if ((r = vc_buf_append(&b->pcrsig, json, len, err)) < 0)
		return r;
	/* Before .linux, as ukify places it (.linux stays last but .sbat). */
	if ((r = add_section(b, ".pcrsig", b->pcrsig.data, b->pcrsig.len, 0, FLAGS_DATA, err)) < 0)
		return r;
	for (linux_sec = b->sec; strcmp(linux_sec->name, ".linux"); linux_sec++)
		;
	struct new_section pcrsig = b->sec[b->n_sec - 1];
	memmove(linux_sec + 1, linux_sec,
		(size_t)(&b->sec[b->n_sec - 1] - linux_sec) * sizeof(*linux_sec));
	*linux_sec = pcrsig;
	return 0;
}

int vc_uki_plan_write(struct vc_uki_plan *b, const struct vc_sink *out, struct vc_uki_summary *ret,
		      struct vc_error *err)
{
	struct layout l;
	uint8_t *hdr;
	int r;

	memset(&l, 0, sizeof(l));
	if ((r = layout_headers(b, &l, err)) < 0 || (r = layout_sections(b, &l, err)) < 0)
		return r;
	hdr = calloc(1, l.hdr_size);
	if (!hdr)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	if ((r = build_headers(b, &l, hdr, err)) == 0 &&
	    (r = emit_image(b, &l, hdr, out, err)) == 0) {
		summarize(b, &l);
		if (ret)
			*ret = b->sum;
	}
	free(hdr);
	return r;
}

void vc_uki_plan_free(struct vc_uki_plan *b)
{
	if (!b)
		return;
	vc_buf_fini(&b->cmdline);
	vc_buf_fini(&b->initrd);
	vc_buf_fini(&b->sbat);
	vc_buf_fini(&b->pcrsig);
	free(b);
}

int vc_uki_write(const struct vc_uki_options *o, const struct vc_sink *out,
		 struct vc_uki_summary *ret, struct vc_error *err)
{
	struct vc_uki_plan *b;
	int r = vc_uki_plan_new(o, &b, err);

	if (r < 0)
		return r;
	r = vc_uki_plan_write(b, out, ret, err);
	vc_uki_plan_free(b);
	return r;
}
