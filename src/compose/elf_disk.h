/* SPDX-License-Identifier: MIT */
/* The start of an ELF header, what compose reads of the tree's programs to
 * learn the architecture they run on. Spec: System V ABI, "ELF Header"
 * (e_ident, EI_CLASS, EI_DATA, e_machine). */
#ifndef VC_ELF_DISK_H
#define VC_ELF_DISK_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MAGIC    "\177ELF"
#define ELF_EI_CLASS 4 /* e_ident[]: 1 ELFCLASS32, 2 ELFCLASS64 */
#define ELF_EI_DATA  5 /* e_ident[]: 1 little endian, 2 big endian */
#define ELF_CLASS64  2
#define ELF_DATA2MSB 2

struct elf_head_disk {
	uint8_t e_ident[16];  /* ELF_MAGIC, then class, data, version, ABI */
	uint8_t e_type[2];    /* in the file's byte order (EI_DATA) */
	uint8_t e_machine[2]; /* EM_*: in the file's byte order */
};
static_assert(sizeof(struct elf_head_disk) == 20, "e_ident, e_type, e_machine: 20 bytes");
static_assert(offsetof(struct elf_head_disk, e_machine) == 18, "e_machine at 18");

#endif
