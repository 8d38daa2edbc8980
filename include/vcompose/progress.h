/* SPDX-License-Identifier: MIT */
/* Progress counters of a long stage, shared between the writer that counts
 * and whoever draws them (src/cli). The writers only add to atomic counters
 * (from any thread, never blocking, no clock, no callback); the reader
 * samples them when it likes. A NULL counter is allowed everywhere.
 *
 *	struct vc_progress p;
 *	vc_progress_init(&p);
 *	vc_progress_set_total(&p, bytes, files);  // by the writer, once it knows
 *	vc_progress_add(&p, n, 1);                // as each file is done
 */
#ifndef VCOMPOSE_PROGRESS_H
#define VCOMPOSE_PROGRESS_H

#include <stdatomic.h>
#include <stdint.h>

struct vc_progress {
	_Atomic uint64_t done;	      /* bytes done */
	_Atomic uint64_t total;	      /* bytes in all; 0: not known yet */
	_Atomic uint64_t items_done;  /* files (or blocks) done */
	_Atomic uint64_t items_total; /* 0: not counted */
};

static inline void vc_progress_init(struct vc_progress *p)
{
	atomic_init(&p->done, 0);
	atomic_init(&p->total, 0);
	atomic_init(&p->items_done, 0);
	atomic_init(&p->items_total, 0);
}

/* back to zero at the start of a stage (the reader may be sampling) */
static inline void vc_progress_reset(struct vc_progress *p)
{
	if (!p)
		return;
	atomic_store_explicit(&p->done, 0, memory_order_relaxed);
	atomic_store_explicit(&p->total, 0, memory_order_relaxed);
	atomic_store_explicit(&p->items_done, 0, memory_order_relaxed);
	atomic_store_explicit(&p->items_total, 0, memory_order_relaxed);
}

static inline void vc_progress_set_total(struct vc_progress *p, uint64_t bytes, uint64_t items)
{
	if (!p)
		return;
	atomic_store_explicit(&p->total, bytes, memory_order_relaxed);
	atomic_store_explicit(&p->items_total, items, memory_order_relaxed);
}

static inline void vc_progress_add(struct vc_progress *p, uint64_t bytes, uint64_t items)
{
	if (!p)
		return;
	atomic_fetch_add_explicit(&p->done, bytes, memory_order_relaxed);
	if (items)
		atomic_fetch_add_explicit(&p->items_done, items, memory_order_relaxed);
}

#endif
