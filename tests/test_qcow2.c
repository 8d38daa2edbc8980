/* SPDX-License-Identifier: MIT */
/* Unit tests for src/qcow2: the header's fields at their offsets, the
 * clusters stored (non-zero ones only, in disk order), the tables read back
 * by hand into the disk, the refcounts, and the same bytes twice. qemu-img
 * check and compare read the output in tests/qcow2_tools.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vcompose/endian.h"
#include "vcompose/qcow2.h"
#include "vcompose/sink.h"

#define CS   (64 * 1024)
#define DISK (UINT64_C(600) * 1024 * 1024) /* 600 MiB: two L2 tables' worth */

/* A disk of zeros with a few stamped clusters: g -> byte (g & 0xff) | 1. */
static const uint64_t stamped[] = {0, 3, 8191, 8192, 9599};

static int read_disk(void *ctx, void *buf, size_t len, uint64_t off, struct vc_error *err)
{
	(void)ctx;
	(void)err;
	memset(buf, 0, len); /* the writer reads one cluster at a time */
	for (size_t i = 0; i < sizeof(stamped) / sizeof(stamped[0]); i++) {
		uint64_t a = stamped[i] * CS + 100;
		if (a >= off && a < off + len)
			((uint8_t *)buf)[a - off] = (uint8_t)(stamped[i] | 1);
	}
	return 0;
}

static void write_disk(struct vc_mem_sink *m, uint64_t *size)
{
	struct vc_error err = {0};
	struct vc_qcow2_source src = {.pread = read_disk, .size = DISK};

	vc_mem_sink_init(m);
	m->max = 64u << 20;
	assert_int_equal(vc_qcow2_write(&src, &m->sink, size, &err), 0);
}

static void qcow2_header(void **state)
{
	struct vc_mem_sink m;
	uint64_t size;

	(void)state;
	write_disk(&m, &size);
	const uint8_t *h = m.data;
	assert_memory_equal(h, "QFI\xfb\0\0\0\3", 8);	  /* magic, version 3 */
	assert_int_equal(vc_get_be64(h + 8), 0);	  /* no backing file */
	assert_int_equal(vc_get_be32(h + 20), 16);	  /* 64 KiB clusters */
	assert_int_equal(vc_get_be64(h + 24), DISK);	  /* virtual size */
	assert_int_equal(vc_get_be32(h + 32), 0);	  /* no encryption */
	assert_int_equal(vc_get_be32(h + 36), 2);	  /* L1 entries: 600 / 512 up */
	assert_int_equal(vc_get_be32(h + 60), 0);	  /* no snapshots */
	assert_int_equal(vc_get_be64(h + 72), 0);	  /* incompatible features */
	assert_int_equal(vc_get_be32(h + 96), 4);	  /* 16-bit refcounts */
	assert_int_equal(vc_get_be32(h + 100), 104);	  /* header length */
	assert_memory_equal(h + 104, (uint8_t[8]){0}, 8); /* end of extensions */
	/* 1 header + 5 data + 2 L2 + 1 L1 + 1 refcount block + 1 refcount table */
	assert_int_equal(size, 11 * CS);
	assert_int_equal(m.len, size);
	assert_int_equal(vc_get_be64(h + 40), 8 * CS);	/* L1 after the L2 tables */
	assert_int_equal(vc_get_be64(h + 48), 10 * CS); /* refcount table last */
	assert_int_equal(vc_get_be32(h + 56), 1);
	vc_mem_sink_fini(&m);
}

/* Reads guest cluster g back through L1 and L2; NULL when not stored. */
static const uint8_t *lookup(const struct vc_mem_sink *m, uint64_t g)
{
	const uint8_t *h = m->data;
	uint64_t l1 = vc_get_be64(h + 40);
	uint64_t e1 = vc_get_be64(m->data + l1 + (g / 8192) * 8);
	if (!e1)
		return NULL;
	assert_true(e1 >> 63); /* COPIED: refcount 1 */
	uint64_t e2 = vc_get_be64(m->data + (e1 & ~(UINT64_C(1) << 63)) + (g % 8192) * 8);
	if (!e2)
		return NULL;
	assert_true(e2 >> 63);
	return m->data + (e2 & ~(UINT64_C(1) << 63));
}

static void qcow2_maps_and_refcounts(void **state)
{
	struct vc_mem_sink m, m2;
	uint64_t size, size2;

	(void)state;
	write_disk(&m, &size);
	for (size_t i = 0; i < sizeof(stamped) / sizeof(stamped[0]); i++) {
		const uint8_t *c = lookup(&m, stamped[i]);
		assert_non_null(c);
		assert_true(c == m.data + (i + 1) * CS); /* in disk order from cluster 1 */
		assert_int_equal(c[100], (uint8_t)(stamped[i] | 1));
	}
	assert_null(lookup(&m, 1));	   /* zeros are not stored */
	assert_null(lookup(&m, 8192 + 5)); /* zeros in the second L2 table */
	/* every cluster of the file has refcount 1, none beyond */
	const uint8_t *rb = m.data + vc_get_be64(m.data + vc_get_be64(m.data + 48));
	for (uint64_t k = 0; k < 11; k++)
		assert_int_equal(vc_get_be16(rb + 2 * k), 1);
	assert_int_equal(vc_get_be16(rb + 22), 0);
	/* the same disk, the same bytes */
	write_disk(&m2, &size2);
	assert_int_equal(size, size2);
	assert_memory_equal(m.data, m2.data, size);
	vc_mem_sink_fini(&m);
	vc_mem_sink_fini(&m2);
}

static void qcow2_rejects_bad_sizes(void **state)
{
	struct vc_error err = {0};
	struct vc_mem_sink m;
	uint64_t size;
	struct vc_qcow2_source src = {.pread = read_disk, .size = 1000};

	(void)state;
	vc_mem_sink_init(&m);
	assert_int_equal(vc_qcow2_write(&src, &m.sink, &size, &err), VC_EINVAL);
	src.size = 0;
	assert_int_equal(vc_qcow2_write(&src, &m.sink, &size, &err), VC_EINVAL);
	vc_mem_sink_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(qcow2_header),
	    cmocka_unit_test(qcow2_maps_and_refcounts),
	    cmocka_unit_test(qcow2_rejects_bad_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
