/* SPDX-License-Identifier: MIT */
/* libFuzzer target: UKI assembly (vc_uki_write) on a fuzzed stub, with a
 * small well-formed EFI-stub kernel made here. Input: the stub, optionally
 * followed by "\n--cut--" and SBAT lines to merge. The output, when there is
 * one, must parse as PE32+ again. */
#include <string.h>

#include "fuzz_util.h"
#include "vcompose/endian.h"
#include "vcompose/pe.h"
#include "vcompose/sink.h"

/* A 0x600-byte PE32+ x86-64 EFI application with a bzImage "HdrS" header:
 * DOS header, PE header at 0x40, one .text section at file 0x400, RVA 0x1000. */
static uint8_t kernel[0x600];

static void make_kernel(void)
{
	uint8_t *k = kernel, *opt = k + 0x58, *sec;

	memcpy(k, "MZ", 2);
	vc_put_le32(k + 0x3c, 0x40); /* e_lfanew */
	memcpy(k + 0x40, "PE\0\0", 4);
	vc_put_le16(k + 0x44, 0x8664);	     /* Machine: AMD64 */
	vc_put_le16(k + 0x46, 1);	     /* NumberOfSections */
	vc_put_le16(k + 0x54, 112 + 16 * 8); /* SizeOfOptionalHeader */
	vc_put_le16(k + 0x56, 0x0022);	     /* executable, large address aware */
	vc_put_le16(opt + 0, 0x20b);	     /* PE32+ */
	vc_put_le32(opt + 16, 0x1000);	     /* AddressOfEntryPoint */
	vc_put_le32(opt + 32, 0x1000);	     /* SectionAlignment */
	vc_put_le32(opt + 36, 0x200);	     /* FileAlignment */
	vc_put_le32(opt + 56, 0x2000);	     /* SizeOfImage */
	vc_put_le32(opt + 60, 0x400);	     /* SizeOfHeaders */
	vc_put_le16(opt + 68, 10);	     /* Subsystem: EFI application */
	vc_put_le32(opt + 108, 16);	     /* NumberOfRvaAndSizes */
	sec = opt + 112 + 16 * 8;
	memcpy(sec, ".text", 5);
	vc_put_le32(sec + 8, 0x200);	   /* VirtualSize */
	vc_put_le32(sec + 12, 0x1000);	   /* VirtualAddress */
	vc_put_le32(sec + 16, 0x200);	   /* SizeOfRawData */
	vc_put_le32(sec + 20, 0x400);	   /* PointerToRawData */
	vc_put_le32(sec + 36, 0x60000020); /* code, execute, read */
	memcpy(k + 0x202, "HdrS", 4);	   /* bzImage setup header */
	vc_put_le16(k + 0x20e, 0x100);	   /* kernel_version: 0x200 + 0x100 */
	memcpy(k + 0x300, "6.1.0-fuzz (fuzz@vcompose) #1", 29);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const uint8_t initrd[] = "070701fuzz";
	static const uint8_t osrel[] = "ID=fuzz\nVERSION_ID=1\n";
	struct vc_uki_blob stub = {.name = "stub"}, kern = {.name = "kernel"},
			   rd = {.name = "initrd"}, os = {.name = "os-release"},
			   sbat = {.name = "sbat"};
	struct vc_uki_options o;
	struct vc_uki_summary sum;
	struct vc_mem_sink m;
	struct vc_error err = {0};
	const uint8_t *tail;
	size_t stub_len, tail_len;

	if (!kernel[0])
		make_kernel();
	fuzz_split(data, len, &stub_len, &tail, &tail_len);
	stub.data = (uint8_t *)data;
	stub.len = stub_len;
	kern.data = kernel;
	kern.len = sizeof(kernel);
	rd.data = (uint8_t *)initrd;
	rd.len = sizeof(initrd) - 1;
	os.data = (uint8_t *)osrel;
	os.len = sizeof(osrel) - 1;
	sbat.data = (uint8_t *)tail;
	sbat.len = tail_len;

	vc_uki_options_init(&o);
	o.stub = &stub;
	o.kernel = &kern;
	o.initrds[0] = &rd;
	o.n_initrds = 1;
	o.cmdline = "console=ttyS0 roothash=0123";
	o.os_release = &os;
	if (tail_len)
		o.sbat = &sbat;
	o.have_epoch = true;
	o.epoch = 1700000000;

	vc_mem_sink_init(&m);
	m.max = 64u << 20;
	if (vc_uki_write(&o, &m.sink, &sum, &err) == 0) {
		struct vc_pe_image img;
		if (vc_pe_parse(m.data, m.len, "uki", &img, &err) < 0) {
			fprintf(stderr, "our UKI does not parse: %s\n", err.msg);
			abort();
		}
	}
	FUZZ_CHECK_MSG(err);
	vc_mem_sink_fini(&m);
	return 0;
}
