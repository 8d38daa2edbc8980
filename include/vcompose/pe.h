/* SPDX-License-Identifier: MIT */
/* PE32/PE32+ reader, PE checksum and Unified Kernel Image (UKI) assembly.
 * Specs: Microsoft "PE Format" (COFF file header, optional header PE32+, section
 * table, "The Attribute Certificate Table", "Appendix A: Calculating Authenticode
 * PE Image Hash" for the checksum field); UAPI group "Unified Kernel Image (UKI)";
 * systemd-stub(7) for the section names.
 *
 * What it writes: the systemd-boot stub (linuxx64.efi.stub) unchanged, followed by
 * new sections in the order ukify writes them — .osrel .cmdline .dtb .uname .splash
 * .pcrpkey .initrd .pcrsig .linux — each at a VirtualAddress rounded up to the stub's
 * SectionAlignment after the previous section, at a file offset rounded up to its
 * FileAlignment. .sbat is the merge of the stub's, the kernel's and our own SBAT
 * lines, written in place into the stub's .sbat when it fits there, else appended
 * after .linux when the stub has none. Header fields NumberOfSections,
 * SizeOfImage, SizeOfInitializedData, SizeOfHeaders, TimeDateStamp and CheckSum
 * are updated. .pcrpkey is written as given; .pcrsig is made by the caller
 * from the planned sections (vc_uki_plan_sections(): measure them, sign, then
 * vc_uki_plan_add_pcrsig()), as ukify runs systemd-measure before the layout.
 * What it does not write: Authenticode (sign.h, after assembly), .ucode,
 * profiles.
 *
 * The reader trusts nothing: every offset, size and count of the DOS header, PE
 * signature, COFF header, optional header, data directories and section table is
 * checked against the file and against each other before it is used.
 *
 *	struct vc_uki_options o;
 *	vc_uki_options_init(&o);
 *	o.stub = &stub; o.kernel = &kernel; o.cmdline = "console=ttyS0";
 *	if (vc_uki_write(&o, vc_file_sink_sink(f), &summary, err) < 0) ...
 */
#ifndef VCOMPOSE_PE_H
#define VCOMPOSE_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/sink.h"
#include "vcompose/util.h"

/* Section characteristics (PE Format, "Section Flags"). */
#define VC_PE_SCN_CNT_CODE	       0x00000020u
#define VC_PE_SCN_CNT_INITIALIZED_DATA 0x00000040u
#define VC_PE_SCN_MEM_READ	       0x40000000u

#define VC_PE_MACHINE_AMD64		0x8664u
#define VC_PE_MACHINE_I386		0x014cu
#define VC_PE_MACHINE_ARM64		0xaa64u
#define VC_PE_SUBSYSTEM_EFI_APPLICATION 10u

/* The PE Format caps NumberOfSections at 96 for images. */
#define VC_PE_MAX_SECTIONS 96u

struct vc_pe_section {
	char name[9];		      /* NUL-terminated; 8-byte names have no NUL on disk */
	uint32_t virtual_size;	      /* bytes in memory */
	uint32_t virtual_address;     /* RVA (ours: multiples of SectionAlignment) */
	uint32_t size_of_raw_data;    /* bytes in the file, multiple of FileAlignment */
	uint32_t pointer_to_raw_data; /* file offset, multiple of FileAlignment (0: none) */
	uint32_t characteristics;
};

/* A validated PE32 or PE32+ image. It borrows the bytes it was parsed from. */
struct vc_pe_image {
	const uint8_t *data;
	size_t len;
	bool pe32plus;	     /* optional header magic 0x20b; else PE32 (0x10b) */
	uint32_t pe_offset;  /* e_lfanew: the "PE\0\0" signature */
	uint32_t opt_offset; /* optional header */
	uint32_t section_table_offset;
	uint16_t machine;
	uint16_t n_sections;
	uint16_t characteristics;
	uint16_t subsystem;
	uint32_t time_date_stamp;
	uint32_t pointer_to_symbol_table; /* 0 when stripped, as images should be */
	uint32_t number_of_symbols;
	uint32_t section_alignment;
	uint32_t file_alignment;
	uint32_t size_of_image;
	uint32_t size_of_headers;
	uint32_t size_of_initialized_data;
	uint32_t checksum;
	uint32_t checksum_offset; /* file offset of OptionalHeader.CheckSum */
	uint32_t entry_point;	  /* AddressOfEntryPoint, RVA */
	uint32_t n_data_dirs;
	uint32_t data_dirs_offset;    /* file offset of DataDirectory[0] */
	uint32_t security_dir_offset; /* file offset of DataDirectory[4] (0: no such entry) */
	uint32_t security_offset;     /* certificate table: file offset, not RVA */
	uint32_t security_size;	      /* non-zero: the image is Authenticode-signed */
	uint32_t first_raw_data;      /* lowest PointerToRawData of a section with data */
	uint32_t end_of_raw_data;     /* highest end of section raw data */
	struct vc_pe_section sections[VC_PE_MAX_SECTIONS];
};

/* The one PE parser: parses and checks data[0..len) as a PE32 or PE32+
 * image (headers, data directories, section table, raw data inside the file,
 * no overlaps); `what` names it in errors ("stub", "kernel"). Used by the UKI
 * writer, Authenticode (sign) and inspect. */
int vc_pe_parse(const uint8_t *data, size_t len, const char *what, struct vc_pe_image *ret,
		struct vc_error *err);
/* The same, refusing a PE32 image with VC_EUNSUPP (a UKI's stub and kernel). */
int vc_pe_parse_pe32plus(const uint8_t *data, size_t len, const char *what, struct vc_pe_image *ret,
			 struct vc_error *err);

/* The first section named `name`, or NULL. */
const struct vc_pe_section *vc_pe_find_section(const struct vc_pe_image *img, const char *name);

/* Bytes of a section as loaded (min(VirtualSize, SizeOfRawData) from the file). */
size_t vc_pe_section_data(const struct vc_pe_image *img, const struct vc_pe_section *s,
			  const uint8_t **ret);

/* The PE checksum (imagehlp CheckSumMappedFile) of data[0..len), with the 4 bytes
 * at checksum_offset counted as zero. */
uint32_t vc_pe_checksum(const uint8_t *data, size_t len, uint32_t checksum_offset);
/* The same in pieces, for a file that is never whole in memory: adds the
 * 16-bit little-endian words of p[0..n), which sits at file offset off, to a
 * running sum (chunks in any order, none overlapping, the CheckSum field left
 * out); vc_pe_checksum_finish() folds it and adds the file length. */
uint64_t vc_pe_checksum_add(uint64_t sum, const uint8_t *p, size_t n, uint64_t off);
uint32_t vc_pe_checksum_finish(uint64_t sum, uint64_t file_len);

/* An input file's bytes (owned when `owned`). */
struct vc_uki_blob {
	const char *name; /* for error messages (a path) */
	uint8_t *data;
	size_t len;
	bool owned;
};

/* Reads a whole file (at most max bytes) into b. */
int vc_uki_blob_load(const char *path, uint64_t max, struct vc_uki_blob *b, struct vc_error *err);
void vc_uki_blob_fini(struct vc_uki_blob *b);

#define VC_UKI_MAX_INITRDS 64

struct vc_uki_options {
	const struct vc_uki_blob *stub;	  /* required: PE32+ EFI application, unsigned */
	const struct vc_uki_blob *kernel; /* required: EFI-stub kernel (.linux) */
	const struct vc_uki_blob *initrds[VC_UKI_MAX_INITRDS];
	size_t n_initrds;
	const char *cmdline;		      /* .cmdline, written NUL-terminated; NULL: none */
	const struct vc_uki_blob *os_release; /* .osrel */
	const char *uname;		      /* .uname; NULL: read from the bzImage header */
	const struct vc_uki_blob *sbat;	      /* SBAT lines to add; NULL: the "uki" line */
	const struct vc_uki_blob *splash;     /* .splash (BMP) */
	const struct vc_uki_blob *dtb;	      /* .dtb */
	const struct vc_uki_blob *pcrpkey;    /* .pcrpkey (PEM public key) */
	bool have_epoch;		      /* TimeDateStamp = epoch, else the stub's */
	int64_t epoch;
};

void vc_uki_options_init(struct vc_uki_options *o);

/* What was written. */
struct vc_uki_summary {
	struct vc_pe_section sections[VC_PE_MAX_SECTIONS]; /* the output's section table */
	uint16_t n_sections;
	uint16_t n_stub_sections;
	uint64_t size; /* file size */
	uint32_t size_of_image;
	uint32_t checksum;
	uint32_t time_date_stamp;
	char uname[256];   /* the .uname written ("" when none) */
	bool sbat_in_stub; /* merged .sbat written over the stub's */
	bool sbat_kept;	   /* the stub's .sbat left alone: merge did not fit */
	size_t sbat_merged_len;
};

/* Assembles the UKI into out (offsets from 0; the caller commits). */
int vc_uki_write(const struct vc_uki_options *o, const struct vc_sink *out,
		 struct vc_uki_summary *ret, struct vc_error *err);

/* Two steps, for a caller that needs the sections before their layout (to
 * measure them and sign the result). o and everything it points to are
 * borrowed until vc_uki_plan_free(). */
struct vc_uki_plan;
int vc_uki_plan_new(const struct vc_uki_options *o, struct vc_uki_plan **ret, struct vc_error *err);
void vc_uki_plan_free(struct vc_uki_plan *p);

/* A section of the planned UKI as it will be loaded: len bytes of data (the
 * raw data the loader copies), then zeros up to virtual_size. */
struct vc_uki_section {
	char name[9];
	const uint8_t *data; /* borrowed from the plan or its inputs */
	size_t len;
	uint64_t virtual_size;
};
/* The stub's sections (its .sbat as it will be), then ours, in file order;
 * at most max of them. Returns how many were written to out. */
size_t vc_uki_plan_sections(const struct vc_uki_plan *p, struct vc_uki_section *out, size_t max);
/* Adds .pcrsig (copied) before .linux. Once only. */
int vc_uki_plan_add_pcrsig(struct vc_uki_plan *p, const uint8_t *json, size_t len,
			   struct vc_error *err);
/* Lays the sections out and writes the UKI into out. */
int vc_uki_plan_write(struct vc_uki_plan *p, const struct vc_sink *out, struct vc_uki_summary *ret,
		      struct vc_error *err);

/* Appends a JSON object describing a PE file's sections (name, vma, sizes,
 * flags, sha256 of the loaded bytes; text of .cmdline .osrel .uname .sbat). */
int vc_pe_describe_json(const struct vc_pe_image *img, struct vc_json *j, struct vc_error *err);

#endif
