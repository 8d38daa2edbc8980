/* SPDX-License-Identifier: MIT */
/* On-disk PE/COFF records, private to the pe module.
 * Spec: Microsoft "PE Format": "MS-DOS Stub", "Signature", "COFF File Header
 * (Object and Image)", "Optional Header (Image Only)" (PE32+ layout), "Optional
 * Header Data Directories", "Section Table (Section Headers)". All fields are
 * little-endian; every access goes through vcompose/endian.h. */
#ifndef VC_PE_DISK_H
#define VC_PE_DISK_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define PE_DOS_MAGIC		    "MZ"
#define PE_DOS_LFANEW_OFFSET	    0x3c /* le32: file offset of the PE signature */
#define PE_SIGNATURE		    "PE\0\0"
#define PE_SIG_BYTES		    4u /* the COFF header follows it */
#define PE_OPT_MAGIC_PE32	    0x10bu
#define PE_OPT_MAGIC_PE32PLUS	    0x20bu
#define PE_FILE_EXECUTABLE_IMAGE    0x0002u
#define PE_FILE_LOCAL_SYMS_STRIPPED 0x0008u
#define PE_DIR_SECURITY		    4u /* certificate table: file offset and size */
#define PE_DIR_DEBUG		    6u /* debug directory: entries hold file offsets */
#define PE_MAX_DATA_DIRS	    16u
#define PE_SYMBOL_SIZE		    18u /* one COFF symbol table record */

/* COFF file header, right after "PE\0\0". 20 bytes. */
struct pe_coff_header_disk {
	uint8_t machine[2];		    /* le16: IMAGE_FILE_MACHINE_* */
	uint8_t number_of_sections[2];	    /* le16 */
	uint8_t time_date_stamp[4];	    /* le32: seconds since 1970 */
	uint8_t pointer_to_symbol_table[4]; /* le32: file offset, 0 for images */
	uint8_t number_of_symbols[4];	    /* le32 */
	uint8_t size_of_optional_header[2]; /* le16: optional header incl. data dirs */
	uint8_t characteristics[2];	    /* le16: IMAGE_FILE_* */
};
static_assert(sizeof(struct pe_coff_header_disk) == 20, "COFF header is 20 bytes");

/* PE32+ optional header without the data directories. 112 bytes. */
struct pe_opt_header64_disk {
	uint8_t magic[2]; /* le16: 0x20b PE32+ */
	uint8_t major_linker_version;
	uint8_t minor_linker_version;
	uint8_t size_of_code[4];	     /* le32 */
	uint8_t size_of_initialized_data[4]; /* le32: sum over data sections */
	uint8_t size_of_uninitialized_data[4];
	uint8_t address_of_entry_point[4]; /* le32: RVA */
	uint8_t base_of_code[4];	   /* le32: RVA */
	uint8_t image_base[8];		   /* le64 */
	uint8_t section_alignment[4];	   /* le32: bytes, power of two >= file_alignment */
	uint8_t file_alignment[4];	   /* le32: bytes, power of two */
	uint8_t major_os_version[2];
	uint8_t minor_os_version[2];
	uint8_t major_image_version[2];
	uint8_t minor_image_version[2];
	uint8_t major_subsystem_version[2];
	uint8_t minor_subsystem_version[2];
	uint8_t win32_version_value[4];
	uint8_t size_of_image[4];   /* le32: multiple of section_alignment */
	uint8_t size_of_headers[4]; /* le32: multiple of file_alignment */
	uint8_t checksum[4];	    /* le32: imagehlp CheckSumMappedFile */
	uint8_t subsystem[2];	    /* le16: 10 = EFI application */
	uint8_t dll_characteristics[2];
	uint8_t size_of_stack_reserve[8];
	uint8_t size_of_stack_commit[8];
	uint8_t size_of_heap_reserve[8];
	uint8_t size_of_heap_commit[8];
	uint8_t loader_flags[4];
	uint8_t number_of_rva_and_sizes[4]; /* le32: data directories that follow */
};
static_assert(sizeof(struct pe_opt_header64_disk) == 112, "PE32+ optional header is 112 bytes");
static_assert(offsetof(struct pe_opt_header64_disk, checksum) == 64, "CheckSum at 64");

/* PE32 optional header without the data directories. 96 bytes. Up to
 * dll_characteristics its fields sit where PE32+'s do (BaseOfData and a 4-byte
 * ImageBase take the place of the 8-byte ImageBase); the stack and heap sizes
 * are 4 bytes each. */
struct pe_opt_header32_disk {
	uint8_t magic[2]; /* le16: 0x10b PE32 */
	uint8_t major_linker_version;
	uint8_t minor_linker_version;
	uint8_t size_of_code[4];
	uint8_t size_of_initialized_data[4];
	uint8_t size_of_uninitialized_data[4];
	uint8_t address_of_entry_point[4];
	uint8_t base_of_code[4];
	uint8_t base_of_data[4];
	uint8_t image_base[4];
	uint8_t section_alignment[4];
	uint8_t file_alignment[4];
	uint8_t major_os_version[2];
	uint8_t minor_os_version[2];
	uint8_t major_image_version[2];
	uint8_t minor_image_version[2];
	uint8_t major_subsystem_version[2];
	uint8_t minor_subsystem_version[2];
	uint8_t win32_version_value[4];
	uint8_t size_of_image[4];
	uint8_t size_of_headers[4];
	uint8_t checksum[4];
	uint8_t subsystem[2];
	uint8_t dll_characteristics[2];
	uint8_t size_of_stack_reserve[4];
	uint8_t size_of_stack_commit[4];
	uint8_t size_of_heap_reserve[4];
	uint8_t size_of_heap_commit[4];
	uint8_t loader_flags[4];
	uint8_t number_of_rva_and_sizes[4];
};
static_assert(sizeof(struct pe_opt_header32_disk) == 96, "PE32 optional header is 96 bytes");
/* The fields both layouts share are read at one offset. */
#define PE_OPT_SAME(f)                                                                             \
	static_assert(offsetof(struct pe_opt_header32_disk, f) ==                                  \
			  offsetof(struct pe_opt_header64_disk, f),                                \
		      #f " at the same offset in PE32 and PE32+")
PE_OPT_SAME(size_of_initialized_data);
PE_OPT_SAME(address_of_entry_point);
PE_OPT_SAME(section_alignment);
PE_OPT_SAME(file_alignment);
PE_OPT_SAME(size_of_image);
PE_OPT_SAME(size_of_headers);
PE_OPT_SAME(checksum);
PE_OPT_SAME(subsystem);

/* One data directory entry. 8 bytes. */
struct pe_data_dir_disk {
	uint8_t virtual_address[4]; /* le32: RVA (a file offset for the certificate table) */
	uint8_t size[4];	    /* le32: bytes */
};
static_assert(sizeof(struct pe_data_dir_disk) == 8, "data directory is 8 bytes");

/* Section header. 40 bytes. */
struct pe_section_disk {
	uint8_t name[8];		   /* ASCII, NUL-padded, not terminated at 8 */
	uint8_t virtual_size[4];	   /* le32: bytes in memory */
	uint8_t virtual_address[4];	   /* le32: RVA */
	uint8_t size_of_raw_data[4];	   /* le32: bytes in the file */
	uint8_t pointer_to_raw_data[4];	   /* le32: file offset */
	uint8_t pointer_to_relocations[4]; /* le32: 0 for images */
	uint8_t pointer_to_linenumbers[4]; /* le32: 0 (deprecated) */
	uint8_t number_of_relocations[2];
	uint8_t number_of_linenumbers[2];
	uint8_t characteristics[4]; /* le32: IMAGE_SCN_* */
};
static_assert(sizeof(struct pe_section_disk) == 40, "section header is 40 bytes");

/* An entry of the attribute certificate table ("The Attribute Certificate
 * Table (Image Only)"), 8 bytes, then the certificate, padded to 8. */
struct win_certificate_disk {
	uint8_t dw_length[4];	       /* le32: header and certificate, without the padding */
	uint8_t w_revision[2];	       /* le16: WIN_CERT_REVISION_2_0 */
	uint8_t w_certificate_type[2]; /* le16: WIN_CERT_TYPE_PKCS_SIGNED_DATA */
};
static_assert(sizeof(struct win_certificate_disk) == 8, "WIN_CERTIFICATE header is 8 bytes");
#define WIN_CERT_REVISION_2_0	       0x0200
#define WIN_CERT_TYPE_PKCS_SIGNED_DATA 0x0002

/* The x86 boot protocol's setup header in a bzImage (Linux
 * Documentation/arch/x86/boot.rst), the fields the UKI checks. */
#define BZ_HDRS_OFF	      0x202 /* "HdrS" */
#define BZ_VERSION_OFF	      0x206 /* le16, boot protocol version */
#define BZ_CMDLINE_SIZE_OFF   0x238 /* le32, from version 2.06: longest command line */
#define BZ_CMDLINE_SIZE_VER   0x206 /* the version that added cmdline_size */
#define BZ_SETUP_OFF	      0x200 /* the setup header: kernel_version counts from here */
#define BZ_KERNEL_VERSION_OFF 0x20e /* le16: the version string, from BZ_SETUP_OFF */

#endif
