/* SPDX-License-Identifier: MIT */
/* Worker pool with a parallel-for. Items are claimed from a shared counter;
 * each item's error is kept only if its index is the lowest failing one, so
 * the reported error never depends on which thread ran first. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vcompose/pool.h"

struct job {
	size_t n;
	int (*fn)(void *ctx, size_t i, struct vc_error *err);
	void *ctx;
	size_t next;	      /* next index to claim (under lock) */
	size_t fail_index;    /* lowest failing index so far; n if none */
	struct vc_error fail; /* its error */
	unsigned running;     /* workers still inside this job */
};

struct vc_pool {
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job was posted, or shutdown */
	pthread_cond_t done; /* a worker left the job */
	struct job *job;
	unsigned long generation;
	int shutdown;
	unsigned n_threads; /* workers, the caller included */
	pthread_t *threads; /* n_threads - 1 of them */
};

/* Runs items of j until none is left; called with the lock held. */
static void drain(struct vc_pool *p, struct job *j)
{
	while (j->next < j->n && j->next < j->fail_index) {
		size_t i = j->next++;
		struct vc_error e = {0};

		pthread_mutex_unlock(&p->lock);
		int r = j->fn(j->ctx, i, &e);
		pthread_mutex_lock(&p->lock);
		if (r < 0 && i < j->fail_index) {
			if (e.code == 0)
				e.code = r;
			j->fail_index = i;
			j->fail = e;
		}
	}
}

static void *worker(void *arg)
{
	struct vc_pool *p = arg;
	unsigned long seen = 0;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->shutdown && (p->job == NULL || p->generation == seen))
			pthread_cond_wait(&p->work, &p->lock);
		if (p->shutdown)
			break;
		seen = p->generation;
		struct job *j = p->job;
		j->running++;
		drain(p, j);
		j->running--;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int vc_pool_new(unsigned n_threads, struct vc_pool **ret, struct vc_error *err)
{
	struct vc_pool *p;

	if (n_threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		n_threads = n > 0 ? (unsigned)n : 1;
	}
	if (n_threads > VC_POOL_MAX_THREADS)
		return vc_errorf(err, VC_ERANGE, "%u threads asked, at most %d", n_threads,
				 VC_POOL_MAX_THREADS);
	p = calloc(1, sizeof(*p));
	if (!p)
		return vc_errorf(err, VC_ENOMEM, "pool: out of memory");
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->n_threads = 1;
	if (n_threads > 1) {
		p->threads = calloc(n_threads - 1, sizeof(*p->threads));
		if (!p->threads) {
			vc_pool_free(p);
			return vc_errorf(err, VC_ENOMEM, "pool: out of memory");
		}
		for (unsigned t = 0; t + 1 < n_threads; t++) {
			int r = pthread_create(&p->threads[t], NULL, worker, p);
			if (r != 0) {
				vc_pool_free(p);
				return vc_errorf_errno(err, VC_EIO, r,
						       "pool: cannot start thread %u", t);
			}
			p->n_threads++;
		}
	}
	*ret = p;
	return 0;
}

void vc_pool_free(struct vc_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->shutdown = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned t = 0; t + 1 < p->n_threads; t++)
		pthread_join(p->threads[t], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p->threads);
	free(p);
}

unsigned vc_pool_threads(const struct vc_pool *p)
{
	return p ? p->n_threads : 1;
}

int vc_pool_for(struct vc_pool *p, size_t n, int (*fn)(void *ctx, size_t i, struct vc_error *err),
		void *ctx, struct vc_error *err)
{
	struct job j = {.n = n, .fn = fn, .ctx = ctx, .fail_index = n};

	if (n == 0)
		return 0;
	if (!p || p->n_threads == 1 || n == 1) {
		for (size_t i = 0; i < n; i++) {
			int r = fn(ctx, i, err);
			if (r < 0) {
				if (err && err->code == 0)
					err->code = r;
				return r;
			}
		}
		return 0;
	}
	pthread_mutex_lock(&p->lock);
	p->job = &j;
	p->generation++;
	pthread_cond_broadcast(&p->work);
	j.running++;
	drain(p, &j);
	j.running--;
	while (j.running > 0)
		pthread_cond_wait(&p->done, &p->lock);
	p->job = NULL;
	pthread_mutex_unlock(&p->lock);
	if (j.fail_index < n) {
		if (err)
			*err = j.fail;
		return j.fail.code;
	}
	return 0;
}
