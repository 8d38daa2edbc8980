/* SPDX-License-Identifier: MIT */
/* qcow2 writer. Spec: QEMU docs/interop/qcow2.txt, version 3 ("Header",
 * "Cluster mapping", "Host cluster management"). See include/vcompose/qcow2.h.
 *
 * One pass over the disk: each cluster is read once and, when it holds a
 * non-zero byte, written at the next free host cluster (from cluster 1; the
 * header's cluster 0 is written last). Then the metadata, whose size is
 * known only now: the L2 tables (one per 512 MiB of disk with data), the L1
 * table, the refcount blocks and the refcount table. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2_disk.h"
#include "vcompose/endian.h"
#include "vcompose/qcow2.h"
#include "vcompose/util.h"

#define CS	     ((uint64_t)VC_QCOW2_CLUSTER_SIZE)
#define L2_ENTRIES   (CS / 8)	   /* 8192: one L2 table maps 512 MiB */
#define RC_PER_BLOCK (CS * 8 / 16) /* 32768 16-bit refcounts per block */

struct writer {
	const struct vc_qcow2_source *src;
	const struct vc_sink *out;
	uint64_t next;	  /* next free host cluster */
	uint64_t l1_size; /* L1 entries */
	uint64_t **l2;	  /* l2[i]: L2 table i (host offsets | COPIED), or NULL */
	uint8_t *buf;	  /* one cluster */
};

/* n is a multiple of 8 */
static bool all_zero(const uint8_t *b, size_t n)
{
	uint64_t acc = 0, w;

	for (size_t i = 0; i < n; i += 8) {
		memcpy(&w, b + i, 8);
		acc |= w;
		if ((i & 4095) == 4088 && acc)
			return false;
	}
	return acc == 0;
}

/* Stores every non-zero cluster of the disk, in disk order. */
static int write_data(struct writer *w, struct vc_error *err)
{
	uint64_t n = VC_DIV_ROUND_UP(w->src->size, CS);

	for (uint64_t g = 0; g < n; g++) {
		uint64_t off = g * CS, len = w->src->size - off < CS ? w->src->size - off : CS;
		uint64_t i = g / L2_ENTRIES;
		int r;

		if (len < CS)
			memset(w->buf + len, 0, CS - len);
		r = w->src->pread(w->src->ctx, w->buf, (size_t)len, off, err);
		if (r < 0)
			return r;
		if (all_zero(w->buf, CS))
			continue;
		if (!w->l2[i]) {
			w->l2[i] = calloc(L2_ENTRIES, sizeof(uint64_t));
			if (!w->l2[i])
				return vc_errorf(err, VC_ENOMEM, "qcow2: out of memory");
		}
		w->l2[i][g % L2_ENTRIES] = (w->next * CS) | QCOW2_OFLAG_COPIED;
		r = vc_sink_pwrite(w->out, w->buf, CS, w->next * CS, err);
		if (r < 0)
			return r;
		w->next++;
	}
	return 0;
}

/* n big-endian 64-bit entries from v, in whole clusters at host cluster at. */
static int write_table64(struct writer *w, const uint64_t *v, uint64_t n, uint64_t at,
			 struct vc_error *err)
{
	uint64_t clusters = VC_DIV_ROUND_UP(n * 8, CS);

	for (uint64_t k = 0; k < clusters; k++) {
		memset(w->buf, 0, CS);
		for (uint64_t e = 0; e < L2_ENTRIES && k * L2_ENTRIES + e < n; e++)
			vc_put_be64(w->buf + e * 8, v[k * L2_ENTRIES + e]);
		int r = vc_sink_pwrite(w->out, w->buf, CS, (at + k) * CS, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The L2 tables, then the L1 table; sets *ret_l1 (host cluster). */
static int write_maps(struct writer *w, uint64_t *ret_l1, struct vc_error *err)
{
	uint64_t *l1 = calloc(w->l1_size, sizeof(uint64_t));
	int r = 0;

	if (!l1)
		return vc_errorf(err, VC_ENOMEM, "qcow2: out of memory");
	for (uint64_t i = 0; i < w->l1_size && r == 0; i++) {
		if (!w->l2[i])
			continue;
		r = write_table64(w, w->l2[i], L2_ENTRIES, w->next, err);
		l1[i] = (w->next * CS) | QCOW2_OFLAG_COPIED;
		w->next++;
	}
	if (r == 0) {
		*ret_l1 = w->next;
		r = write_table64(w, l1, w->l1_size, w->next, err);
		w->next += VC_DIV_ROUND_UP(w->l1_size * 8, CS);
	}
	free(l1);
	return r;
}

/* Refcount blocks (1 for every cluster of the file) and the refcount table
 * after them; the blocks count themselves and the table. */
static int write_refcounts(struct writer *w, uint64_t *ret_table, uint64_t *ret_table_clusters,
			   struct vc_error *err)
{
	uint64_t blocks = 0, tclusters = 0, total;
	uint64_t *table;
	int r = 0;

	for (;;) {
		total = w->next + blocks + tclusters;
		uint64_t b = VC_DIV_ROUND_UP(total, RC_PER_BLOCK);
		uint64_t t = VC_DIV_ROUND_UP(b * 8, CS);
		if (b == blocks && t == tclusters)
			break;
		blocks = b;
		tclusters = t;
	}
	table = calloc(tclusters * L2_ENTRIES, sizeof(uint64_t));
	if (!table)
		return vc_errorf(err, VC_ENOMEM, "qcow2: out of memory");
	for (uint64_t k = 0; k < blocks && r == 0; k++) {
		memset(w->buf, 0, CS);
		for (uint64_t e = 0; e < RC_PER_BLOCK && k * RC_PER_BLOCK + e < total; e++)
			vc_put_be16(w->buf + e * 2, 1);
		table[k] = (w->next + k) * CS;
		r = vc_sink_pwrite(w->out, w->buf, CS, (w->next + k) * CS, err);
	}
	if (r == 0)
		r = write_table64(w, table, tclusters * L2_ENTRIES, w->next + blocks, err);
	*ret_table = w->next + blocks;
	*ret_table_clusters = tclusters;
	w->next = total;
	free(table);
	return r;
}

static int write_header(struct writer *w, uint64_t l1, uint64_t rt, uint64_t rt_clusters,
			struct vc_error *err)
{
	struct qcow2_header_disk h;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, QCOW2_MAGIC, 4);
	vc_put_be32(h.version, QCOW2_VERSION);
	vc_put_be32(h.cluster_bits, QCOW2_CLUSTER_BITS);
	vc_put_be64(h.size, w->src->size);
	vc_put_be32(h.l1_size, (uint32_t)w->l1_size);
	vc_put_be64(h.l1_table_offset, l1 * CS);
	vc_put_be64(h.refcount_table_offset, rt * CS);
	vc_put_be32(h.refcount_table_clusters, (uint32_t)rt_clusters);
	vc_put_be32(h.refcount_order, QCOW2_REFCOUNT_ORDER);
	vc_put_be32(h.header_length, sizeof(h));
	/* the rest of cluster 0, the end-of-extensions marker included, is zero */
	memset(w->buf, 0, CS);
	memcpy(w->buf, &h, sizeof(h));
	return vc_sink_pwrite(w->out, w->buf, CS, 0, err);
}

int vc_qcow2_write(const struct vc_qcow2_source *src, const struct vc_sink *out, uint64_t *ret_size,
		   struct vc_error *err)
{
	struct writer w = {.src = src, .out = out, .next = 1};
	uint64_t l1 = 0, rt = 0, rt_clusters = 0;
	int r;

	if (src->size == 0 || src->size % 512 || src->size > VC_QCOW2_SIZE_MAX)
		return vc_errorf(err, VC_EINVAL,
				 "qcow2: a disk of %llu bytes (a positive multiple of 512, at most "
				 "16 TiB)",
				 (unsigned long long)src->size);
	w.l1_size = VC_DIV_ROUND_UP(src->size, CS * L2_ENTRIES);
	w.l2 = calloc(w.l1_size, sizeof(*w.l2));
	w.buf = malloc(CS);
	if (!w.l2 || !w.buf) {
		r = vc_errorf(err, VC_ENOMEM, "qcow2: out of memory");
		goto out;
	}
	r = write_data(&w, err);
	if (r == 0)
		r = write_maps(&w, &l1, err);
	if (r == 0)
		r = write_refcounts(&w, &rt, &rt_clusters, err);
	if (r == 0)
		r = write_header(&w, l1, rt, rt_clusters, err);
	if (r == 0)
		*ret_size = w.next * CS;
out:
	for (uint64_t i = 0; w.l2 && i < w.l1_size; i++)
		free(w.l2[i]);
	free(w.l2);
	free(w.buf);
	return r;
}
