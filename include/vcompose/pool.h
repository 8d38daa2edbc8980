/* SPDX-License-Identifier: MIT */
/* A small worker pool offering a parallel-for and nothing more.
 *
 * Results never depend on the number of workers: fn writes only to slot i of
 * its output, and if several items fail, the error of the lowest i is the one
 * reported. A NULL pool, or a pool of one, runs everything on the caller. */
#ifndef VCOMPOSE_POOL_H
#define VCOMPOSE_POOL_H

#include <stddef.h>

#include "vcompose/error.h"

struct vc_pool;

/* n_threads 0 means one per online CPU; capped at VC_POOL_MAX_THREADS. */
#define VC_POOL_MAX_THREADS 256
int vc_pool_new(unsigned n_threads, struct vc_pool **ret, struct vc_error *err);
void vc_pool_free(struct vc_pool *p);
unsigned vc_pool_threads(const struct vc_pool *p);

/* Runs fn(ctx, i, err) for every i in [0, n) and waits for all of them.
 * Items are handed out in increasing order; after a failure, items not yet
 * started are skipped. Not reentrant: fn must not call vc_pool_for on p. */
int vc_pool_for(struct vc_pool *p, size_t n, int (*fn)(void *ctx, size_t i, struct vc_error *err),
		void *ctx, struct vc_error *err);

#endif
