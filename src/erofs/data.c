/* SPDX-License-Identifier: MIT */
/* EROFS data: step 3 of vc_erofs_write (see erofs.c), the blocks of files
 * and directories, computed on the pool and placed strictly in order. */
#include <pthread.h>
#include <sys/mman.h>
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "erofs_disk.h"
#include "erofs_priv.h"
#include "vcompose/endian.h"
#include "vcompose/util.h"

#define SEGMENT_BYTES	(4u << 20) /* a pool task's input, stored files */
#define SEGMENT_Z_BYTES VC_EROFS_SEGMENT_Z

/* ---- step 3: data, streamed through the pool ----
 *
 * Every directory and every segment of a file is a task, listed in the
 * order its blocks take. Pool threads claim tasks in that order and
 * compute them (render a directory, compress a segment) without a lock;
 * a task is then placed, strictly in order and under the lock, by
 * whichever thread finds it next in line: placing gives it its block
 * address, so addresses never depend on the thread count. One thread at
 * a time writes what has been placed (the writer; two writers would only
 * take turns on the image's inode lock) while the others go on computing.
 * Stored files are not read at all when the caller can hand out their
 * descriptors: the kernel copies them into place (vc_sink_copy_fd).
 * ztailpacking: placing a compressed file's last segment places its inode
 * too (after its data, see place_inode); directories, listed after all
 * files, wait for that before they render the nids.
 *
 * Memory: each running task computes in a lane (input and output buffers
 * that only grow, one lane per pool thread), so pages are touched once,
 * not once per file: fresh pages are what costs most in a virtual machine.
 * A task that is next in line when done, with no writer at work, becomes
 * the writer and writes from its lane; any other copies its result out
 * (detaches) and gives the lane back. A task
 * waits before starting while detached results exceed the budget, unless
 * it is next in line, so the bytes in flight stay bounded. */

enum task_kind { TASK_FLAT, TASK_Z, TASK_DIR };

struct lane {
	uint8_t *in, *out; /* cap bytes each */
	size_t cap;
	struct z_extent *ext; /* vc_erofs_max_extents(SEGMENT_Z_BYTES) */
	struct vc_erofs_codec codec;
	bool codec_live;
};

struct task {
	struct einode *e;
	enum task_kind kind;
	bool first;	   /* the file's first task: gives its block address */
	bool last;	   /* the file's last segment: carries the tail */
	bool done;	   /* computed, ready to be placed */
	uint64_t off, len; /* file bytes [off, off + len) */
	/* results: blocks and tail point into a lane, or into own once detached */
	uint8_t *blocks;   /* n_blocks * 4096; NULL for a stored file the kernel copies */
	uint8_t *tail;	   /* e->tail bytes, for the inline tail */
	uint8_t *own;	   /* malloc'ed result (directories, detached results) */
	uint64_t held;	   /* bytes of own counted in the budget */
	uint32_t n_blocks; /* for TASK_FLAT known from the plan */
	uint32_t blk;	   /* first block, once placed */
	uint32_t meta_blk; /* ztailpacking: a block of inodes this task starts */
	bool new_meta;	   /* ... which it zeroes before its inline tail lands */
	struct z_extent *ext;
	size_t n_ext;
};

struct stream {
	struct writer *w;
	struct task *tasks;
	size_t n, cap;
	pthread_mutex_t lock;
	pthread_cond_t moved; /* a task was placed or memory given back */
	size_t placed;	      /* tasks[0..placed) have their blocks */
	size_t written;	      /* tasks[0..written) are written (or being) */
	bool writing;	      /* a thread is writing placed tasks */
	struct lane *lanes;
	struct lane **free_lanes;
	size_t n_lanes, n_free;
	uint64_t held, budget;	   /* bytes of detached results */
	size_t fail_index;	   /* lowest failing task; n if none */
	size_t packed_first;	   /* the packed inode's first task; n if none */
	size_t n_done;		   /* tasks before packed_first computed */
	bool packed_ready;	   /* the tails are placed in the packed inode */
	size_t dirs_first;	   /* ztailpacking: the first directory; n if none */
	struct vc_erofs_gaps gaps; /* ztailpacking: room left in blocks of inodes */
	uint64_t progress_bytes;   /* the bytes to do, but the packed inode's */
	uint64_t progress_files;
	struct vc_error fail;
	bool use_fd;
};

int vc_erofs_read_content(struct writer *w, const struct vc_node *n, uint64_t off, uint8_t *buf,
			  size_t len, struct vc_error *err)
{
	char path[VC_TREE_PATH_MAX + 2];
	int r;

	if (n->type == VC_NODE_SYMLINK) {
		memcpy(buf, n->target + off, len);
		return 0;
	}
	if (n == &w->packed)
		return vc_erofs_read_packed(w, off, buf, len, err);
	if (!w->o->read)
		return vc_errorf(err, VC_EINVAL, "erofs: no content reader given");
	r = w->o->read(w->o->read_ctx, n, off, buf, len, err);
	if (r < 0 && !strstr(err->msg, vc_erofs_node_path(n, path, sizeof(path))))
		vc_error_prefix(err, "%s", path);
	return r;
}

/* A lane buffer: in huge pages where the kernel offers them, since one
 * fault then maps 2 MiB (faults are what costs most in a virtual machine). */
static uint8_t *lane_alloc(size_t len)
{
	const size_t huge = 2u << 20;
	uint8_t *p = aligned_alloc(huge, VC_ROUND_UP(len, huge));

#ifdef MADV_HUGEPAGE
	if (p)
		madvise(p, VC_ROUND_UP(len, huge), MADV_HUGEPAGE);
#endif
	return p;
}

/* Grows the lane's buffers to hold len bytes rounded up to blocks. */
static int lane_reserve(struct writer *w, struct lane *l, uint64_t len, struct vc_error *err)
{
	size_t cap = (size_t)VC_ROUND_UP(len, EROFS_BLKSIZ);

	if (!l->ext) {
		l->ext = calloc(vc_erofs_max_extents(SEGMENT_Z_BYTES), sizeof(*l->ext));
		if (!l->ext)
			return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (compression)");
		if (w->o->compress != VC_EROFS_NONE) {
			int r = vc_erofs_codec_init(&l->codec, w->o, err);

			if (r < 0)
				return r;
			l->codec_live = true;
		}
	}
	if (cap <= l->cap)
		return 0;
	/* grow by doubling from 1 MiB: few reallocations, pages kept */
	size_t c = l->cap ? l->cap : 1u << 20;

	while (c < cap)
		c *= 2;
	free(l->in);
	free(l->out);
	l->in = lane_alloc(c);
	l->out = lane_alloc(c);
	l->cap = l->in && l->out ? c : 0;
	if (!l->cap)
		return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (%zu bytes)", c);
	return 0;
}

static int compute_dir(struct writer *w, struct task *tk, struct vc_error *err)
{
	struct einode *e = tk->e;
	struct dent *de;
	size_t n_de;
	uint64_t blocks;
	int r = vc_erofs_dir_entries(e->n, &de, &n_de, err);

	if (r < 0)
		return r;
	vc_erofs_dir_size(de, n_de, &blocks);
	tk->own = malloc(blocks * EROFS_BLKSIZ);
	if (!tk->own) {
		free(de);
		return vc_errorf(err, VC_ENOMEM, "erofs: out of memory (directory)");
	}
	vc_erofs_dir_render(w, de, n_de, tk->own);
	free(de);
	tk->blocks = tk->own;
	tk->n_blocks = e->n_blocks;
	if (e->tail)
		tk->tail = tk->own + (uint64_t)e->n_blocks * EROFS_BLKSIZ;
	return 0;
}

/* ztailpacking: the bytes of a file of a block or less stored inline
 * (inode, xattrs, data), 0 when they would not fit one block. */
static uint64_t flat_inline(const struct einode *e)
{
	uint64_t flat = (e->extended ? 64 : 32) + e->xattr_isize + e->size;

	return e->size <= EROFS_BLKSIZ && flat <= EROFS_BLKSIZ ? flat : 0;
}

/* ztailpacking: the most bytes of a compressed file's rest that may follow
 * its inode; for a file that could be stored inline, fewer than that takes
 * (else compressing it gains nothing). */
static uint32_t inline_room(const struct einode *e)
{
	uint64_t room = e->ztail ? EROFS_BLKSIZ - e->header : 0, flat = flat_inline(e);

	if (flat)
		room = flat <= e->header + 1	     ? 0
		       : room < flat - e->header - 1 ? room
						     : flat - e->header - 1;
	return (uint32_t)room;
}

static int compute(struct stream *s, struct task *tk, struct lane *l, struct vc_error *err)
{
	struct writer *w = s->w;
	struct einode *e = tk->e;
	int r;

	if (tk->kind == TASK_DIR)
		return compute_dir(w, tk, err);

	if (tk->kind == TASK_FLAT) {
		/* the part of [off, off + len) in blocks, the rest is the inline
		 * tail (a stored file's block count is planned; only a compressed
		 * file's grows, as its segments are placed) */
		uint64_t block_bytes = e->layout == EROFS_INODE_CHUNK_BASED
					   ? UINT64_MAX /* its own chunks, no tail */
					   : (uint64_t)e->n_blocks * EROFS_BLKSIZ;
		uint64_t in_blocks =
		    tk->off >= block_bytes
			? 0
			: (tk->off + tk->len > block_bytes ? block_bytes - tk->off : tk->len);

		tk->n_blocks = (uint32_t)VC_DIV_ROUND_UP(in_blocks, EROFS_BLKSIZ);
		if (s->use_fd && e->n->type == VC_NODE_REG && e->n != &w->packed)
			return 0; /* the writer copies the blocks and reads the tail */
		size_t cap = (size_t)VC_ROUND_UP(tk->len, EROFS_BLKSIZ);

		r = lane_reserve(w, l, tk->len, err);
		if (r == 0)
			r = vc_erofs_read_content(w, e->n, tk->off, l->in, (size_t)tk->len, err);
		if (r < 0)
			return r;
		memset(l->in + tk->len, 0, cap - tk->len);
		tk->blocks = l->in;
		if (tk->last && e->tail)
			tk->tail = l->in + in_blocks;
		return 0;
	}
	/* TASK_Z; ztailpacking: the rest may follow the inode, in its block */
	struct z_tail zt = {.fragment = e->tailpack, .inline_max = inline_room(e)};

	r = lane_reserve(w, l, tk->len, err);
	if (r == 0)
		r = vc_erofs_read_content(w, e->n, tk->off, l->in, (size_t)tk->len, err);
	if (r < 0)
		return r;
	tk->n_ext = vc_erofs_compress_segment(l->in, (size_t)tk->len, tk->off, &l->codec,
					      tk->last ? &zt : NULL, l->out, l->ext);
	if (tk->n_ext && l->ext[tk->n_ext - 1].nblk == 0 && !l->ext[tk->n_ext - 1].inl)
		e->fragsrc = l->ext[tk->n_ext - 1].lstart; /* read once all are done */
	tk->ext = l->ext;
	tk->blocks = l->out;
	tk->n_blocks = 0;
	for (size_t i = 0; i < tk->n_ext; i++)
		tk->n_blocks += l->ext[i].nblk;
	if (zt.ilen) {
		e->tail = zt.ilen; /* read by the placing and writing threads */
		tk->tail = l->out + (uint64_t)tk->n_blocks * EROFS_BLKSIZ;
	} else if (e->ztail && flat_inline(e)) {
		/* a small file that did not shrink enough: stored inline */
		e->layout = EROFS_INODE_FLAT_INLINE;
		e->header = (e->extended ? 64 : 32) + e->xattr_isize;
		e->tail = (uint32_t)e->size;
		tk->n_ext = tk->n_blocks = 0;
		tk->blocks = NULL;
		tk->tail = l->in;
	}
	return 0;
}

static bool in_lane(const struct lane *l, const void *p)
{
	const uint8_t *q = p;

	return q && ((q >= l->in && q < l->in + l->cap) || (q >= l->out && q < l->out + l->cap));
}

/* Moves the parts of a result that live in lane l into memory of its own. */
static int detach(struct task *tk, const struct lane *l, struct vc_error *err)
{
	uint64_t blocks = in_lane(l, tk->blocks) ? (uint64_t)tk->n_blocks * EROFS_BLKSIZ : 0;
	uint64_t tail = in_lane(l, tk->tail) ? tk->e->tail : 0;
	uint64_t ext = tk->ext && tk->ext == l->ext ? tk->n_ext * sizeof(*tk->ext) : 0;

	if (!blocks && !tail && !ext)
		return 0;
	assert(!tk->own); /* only directories and stored files own memory, never in a lane */
	uint8_t *p = malloc(blocks + tail + ext);

	if (!p)
		return vc_errorf(err, VC_ENOMEM, "erofs: out of memory");
	if (blocks)
		memcpy(p, tk->blocks, blocks);
	if (tail)
		memcpy(p + blocks, tk->tail, tail);
	if (ext)
		memcpy(p + blocks + tail, tk->ext, ext);
	tk->own = p;
	tk->held = blocks + tail + ext;
	if (blocks)
		tk->blocks = p;
	if (tail)
		tk->tail = p + blocks;
	if (ext)
		tk->ext = (struct z_extent *)(void *)(p + blocks + tail);
	return 0;
}

/* Under the lock, ztailpacking: the inode of a compressed file (and its
 * inline tail), once its data are placed: in the fullest block of such
 * inodes whose gap holds it (best fit, as the metadata area), else in a
 * new block after its data. */
static int place_inode(struct stream *s, struct task *tk, struct vc_error *err)
{
	struct writer *w = s->w;
	struct einode *e = tk->e;
	uint64_t sz = VC_ROUND_UP((uint64_t)e->header + e->tail, EROFS_ISLOT);
	size_t f = vc_erofs_gap_best(&s->gaps, (size_t)(sz / EROFS_ISLOT));

	if (f) {
		e->off = s->gaps.q[f][s->gaps.head[f]++];
	} else {
		if (w->next_blk == UINT32_MAX)
			return vc_errorf(err, VC_ERANGE, "erofs: image over 16 TiB");
		tk->meta_blk = w->next_blk++;
		tk->new_meta = true;
		e->off = (uint64_t)tk->meta_blk * EROFS_BLKSIZ;
	}
	if (e->layout != EROFS_INODE_FLAT_COMPRESSION)
		w->n_compressed--; /* stored after all (compute) */
	else
		w->n_inlined += e->tail != 0;
	return vc_erofs_gap_push(&s->gaps, e->off + sz, err);
}

/* Under the lock: the block address of the next task in line. */
static int place(struct stream *s, struct task *tk, struct vc_error *err)
{
	struct writer *w = s->w;
	struct einode *e = tk->e;

	if (tk->first)
		e->blkaddr = tk->n_blocks || tk->kind == TASK_Z ? w->next_blk : 0;
	if ((uint64_t)w->next_blk + tk->n_blocks > UINT32_MAX)
		return vc_errorf(err, VC_ERANGE, "erofs: image over 16 TiB");
	tk->blk = w->next_blk;
	w->next_blk += tk->n_blocks;
	if (tk->kind != TASK_Z)
		return 0;
	if (e->n_ext + tk->n_ext > e->cap_ext) {
		size_t cap = (e->n_ext + tk->n_ext) * 2;
		struct z_extent *x = realloc(e->ext, cap * sizeof(*x));

		if (!x)
			return vc_errorf(err, VC_ENOMEM, "erofs: out of memory");
		e->ext = x;
		e->cap_ext = cap;
	}
	if (tk->n_ext) /* none: a small file stored after all (compute) */
		memcpy(e->ext + e->n_ext, tk->ext, tk->n_ext * sizeof(*tk->ext));
	e->n_ext += tk->n_ext;
	e->n_blocks += tk->n_blocks;
	return tk->last && e->ztail ? place_inode(s, tk, err) : 0;
}

/* Outside the lock: the placed task's bytes into the image. */
static int write_task(struct stream *s, struct task *tk, struct vc_error *err)
{
	static const uint8_t zeros[EROFS_BLKSIZ];
	struct writer *w = s->w;
	struct einode *e = tk->e;
	uint64_t at = (uint64_t)tk->blk * EROFS_BLKSIZ;
	int r = 0;

	if (tk->new_meta) /* the inodes and tails that land in it come later */
		r = vc_sink_pwrite(w->out, zeros, EROFS_BLKSIZ,
				   (uint64_t)tk->meta_blk * EROFS_BLKSIZ, err);
	if (r < 0)
		return r;
	if (tk->n_blocks && tk->blocks) {
		r = vc_sink_pwrite(w->out, tk->blocks, (size_t)tk->n_blocks * EROFS_BLKSIZ, at,
				   err);
	} else if (tk->n_blocks) { /* a stored file, copied by the kernel */
		uint64_t bytes = (uint64_t)tk->n_blocks * EROFS_BLKSIZ;
		uint64_t data = tk->off + bytes > e->size ? e->size - tk->off : bytes;
		char path[VC_TREE_PATH_MAX + 2];
		uint64_t src_off;
		int fd = w->o->open(w->o->read_ctx, e->n, &src_off, err);

		vc_erofs_node_path(e->n, path, sizeof(path));
		if (fd < 0) {
			if (!strstr(err->msg, path))
				vc_error_prefix(err, "%s", path);
			return fd;
		}
		r = vc_sink_copy_fd(w->out, fd, src_off + tk->off, data, at, path, err);
		w->o->close(w->o->read_ctx, fd);
		if (r == 0 && data < bytes)
			r = vc_sink_pwrite(w->out, zeros, (size_t)(bytes - data), at + data, err);
	}
	if (r == 0 && tk->tail)
		r = vc_sink_pwrite(w->out, tk->tail, e->tail, e->off + e->header, err);
	else if (r == 0 && tk->kind == TASK_FLAT && tk->last && e->tail) {
		/* a stored file's inline tail, read here: no buffer to keep */
		uint8_t tail[EROFS_BLKSIZ];

		r = vc_erofs_read_content(w, e->n, e->size - e->tail, tail, e->tail, err);
		if (r == 0)
			r = vc_sink_pwrite(w->out, tail, e->tail, e->off + e->header, err);
	}
	return r;
}

/* Under the lock: keeps the error of the lowest failing task. */
static void record_fail(struct stream *s, size_t i, const struct vc_error *e)
{
	if (i < s->fail_index) {
		s->fail_index = i;
		s->fail = *e;
	}
	pthread_cond_broadcast(&s->moved);
}

/* Under the lock: a task's memory back, once written or failed. */
static void task_release(struct stream *s, struct task *tk)
{
	s->held -= tk->held;
	free(tk->own);
	tk->own = tk->blocks = tk->tail = NULL;
	tk->ext = NULL;
	tk->held = 0;
}

/* Under the lock, by the writer: writes placed tasks until none is left,
 * dropping the lock for each write. A task still in lane l (the caller's
 * own, next in line when computed) gives the lane back once written. */
static void drain(struct stream *s, struct lane *l)
{
	while (s->written < s->placed) {
		size_t j = s->written++;
		struct task *tk = &s->tasks[j];
		struct vc_error e = {0};
		bool go = s->fail_index > j; /* nothing after a failure */
		int r = 0;

		pthread_mutex_unlock(&s->lock);
		if (go)
			r = write_task(s, tk, &e);
		pthread_mutex_lock(&s->lock);
		if (r < 0)
			record_fail(s, j, &e);
		else if (go && tk->kind != TASK_DIR)
			vc_progress_add(s->w->o->progress, tk->len, tk->last ? 1 : 0);
		if (l && in_lane(l, tk->blocks ? tk->blocks : tk->tail)) {
			s->free_lanes[s->n_free++] = l;
			l = NULL;
		}
		task_release(s, tk);
		pthread_cond_broadcast(&s->moved);
	}
	if (l)
		s->free_lanes[s->n_free++] = l;
}

/* Under the lock, once: the packed inode's size from the tails, and its
 * segments (listed for the most it could hold) cut to it. */
static void pack(struct stream *s)
{
	struct writer *w = s->w;
	uint64_t size = vc_erofs_pack(w);

	for (size_t j = s->packed_first; j < s->n; j++) {
		struct task *tk = &s->tasks[j];

		tk->len = tk->off < size ? (size - tk->off < SEGMENT_Z_BYTES ? size - tk->off
									     : SEGMENT_Z_BYTES)
					 : 0;
		tk->last = tk->len && tk->off + tk->len == size;
	}
	vc_progress_set_total(w->o->progress, s->progress_bytes + size, s->progress_files);
	s->packed_ready = true;
}

static int run_task(void *ctx, size_t i, struct vc_error *err)
{
	struct stream *s = ctx;
	struct task *tk = &s->tasks[i];
	struct lane *l;
	bool stop;
	int r;

	pthread_mutex_lock(&s->lock);
	while (s->fail_index > i && s->placed != i && s->held > s->budget)
		pthread_cond_wait(&s->moved, &s->lock);
	/* the packed inode: its tails are known once every file is compressed */
	while (i >= s->packed_first && s->fail_index > i && s->n_done < s->packed_first)
		pthread_cond_wait(&s->moved, &s->lock);
	if (i >= s->packed_first && s->fail_index > i && !s->packed_ready)
		pack(s);
	/* ztailpacking: directories name the nids files get when placed */
	while (i >= s->dirs_first && s->fail_index > i && s->placed < s->dirs_first)
		pthread_cond_wait(&s->moved, &s->lock);
	stop = s->fail_index < i;
	l = stop ? NULL : s->free_lanes[--s->n_free];
	pthread_mutex_unlock(&s->lock);
	if (stop) /* an earlier task failed: its error is the one reported */
		return vc_errorf(err, VC_EIO, "erofs: stopped");

	r = compute(s, tk, l, err);
	pthread_mutex_lock(&s->lock);
	if (r == 0 && (s->placed != i || s->writing)) {
		/* someone else will write it: keep the result, free the lane */
		pthread_mutex_unlock(&s->lock);
		r = detach(tk, l, err);
		pthread_mutex_lock(&s->lock);
		s->held += tk->held;
		s->free_lanes[s->n_free++] = l;
		l = NULL;
	}
	if (r < 0) {
		record_fail(s, i, err);
		task_release(s, tk);
		if (l)
			s->free_lanes[s->n_free++] = l;
		pthread_mutex_unlock(&s->lock);
		return r;
	}
	tk->done = true;
	if (i < s->packed_first)
		s->n_done++;
	while (s->placed < s->n && s->tasks[s->placed].done && s->fail_index > s->placed) {
		struct vc_error e = {0};

		if (place(s, &s->tasks[s->placed], &e) < 0) {
			record_fail(s, s->placed, &e);
			break;
		}
		s->placed++;
	}
	pthread_cond_broadcast(&s->moved);
	/* one writer at a time: two would only take turns on the image's lock */
	if (!s->writing) {
		s->writing = true;
		drain(s, l);
		s->writing = false;
	} else if (l) {
		s->free_lanes[s->n_free++] = l; /* placing failed before task i */
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int add_task(struct stream *s, struct task tk)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct task *t = realloc(s->tasks, cap * sizeof(*t));

		if (!t)
			return vc_errorf(s->w->err, VC_ENOMEM, "erofs: out of memory");
		s->tasks = t;
		s->cap = cap;
	}
	s->tasks[s->n++] = tk;
	return 0;
}

/* A chunk-based file: the blocks of its own (the other chunks are holes or
 * an earlier file's), in runs cut into segments. Own blocks were numbered
 * in file order, so in each chunk the new ones (from want on) are a suffix:
 * a merged chunk may begin with blocks it shares with an earlier chunk of
 * the same file. A run goes on through chunks that are new from their
 * start. */
static int list_chunks(struct stream *s, struct einode *e)
{
	size_t count = vc_erofs_chunk_count(e), first = s->n;
	uint64_t csize = UINT64_C(1) << e->chunkbits;
	uint32_t self = (uint32_t)e->n->index, want = 0;
	int r = 0;

	for (size_t k = 0; k < count && r == 0;) {
		uint64_t start = 0, end = 0;
		size_t j = k;

		for (; j < count; j++) {
			struct chunkref c = e->chunks[j];
			uint64_t off = j * csize,
				 len = e->size - off < csize ? e->size - off : csize;
			uint32_t nb = (uint32_t)VC_DIV_ROUND_UP(len, EROFS_BLKSIZ);

			if (c.owner != self || c.blk + nb <= want || (j > k && c.blk != want))
				break;
			assert(c.blk <= want);
			if (j == k)
				start = off + (uint64_t)(want - c.blk) * EROFS_BLKSIZ;
			want = c.blk + nb;
			end = off + len;
		}
		for (uint64_t off = start; off < end && r == 0; off += SEGMENT_BYTES) {
			uint64_t len = end - off < SEGMENT_BYTES ? end - off : SEGMENT_BYTES;

			r = add_task(s, (struct task){.e = e,
						      .kind = TASK_FLAT,
						      .off = off,
						      .len = len,
						      .first = s->n == first});
		}
		k = j > k ? j : k + 1;
	}
	assert(want == e->n_blocks);
	if (s->n > first)
		s->tasks[s->n - 1].last = true;
	return r;
}

static int list_tasks(struct stream *s)
{
	struct writer *w = s->w;
	int r = 0;

	for (size_t i = 0; i < w->n_inodes && r == 0; i++) {
		struct einode *e = w->order[i];
		const struct vc_node *n = e->n;

		if (e->frag)
			w->n_compressed++; /* its bytes are in the packed inode */
		if ((e->size == 0 && e != w->packed_inode) || e->frag || n->type == VC_NODE_CHR ||
		    n->type == VC_NODE_BLK || n->type == VC_NODE_FIFO || n->type == VC_NODE_SOCK)
			continue;
		if (n->type == VC_NODE_DIR) {
			if (!w->ztail) /* else after all files (list_dirs) */
				r = add_task(
				    s, (struct task){
					   .e = e, .kind = TASK_DIR, .first = true, .last = true});
			continue;
		}
		enum task_kind kind =
		    e->layout == EROFS_INODE_FLAT_COMPRESSION ? TASK_Z : TASK_FLAT;
		uint64_t seg = kind == TASK_Z ? SEGMENT_Z_BYTES : SEGMENT_BYTES;
		/* the packed inode: segments for the most it can hold, each cut
		 * to what it holds once the tails are known (pack) */
		uint64_t size = e == w->packed_inode ? w->packed_bound : e->size;

		if (kind == TASK_Z)
			w->n_compressed++;
		if (e->same) {
			/* an equal file's blocks serve: a stored one writes its tail */
			if (kind == TASK_FLAT && e->tail)
				r = add_task(s, (struct task){.e = e,
							      .kind = kind,
							      .off = e->size - e->tail,
							      .len = e->tail,
							      .last = true});
			continue;
		}
		if (e->layout == EROFS_INODE_CHUNK_BASED) {
			r = list_chunks(s, e);
			continue;
		}
		if (e == w->packed_inode)
			s->packed_first = s->n;
		for (uint64_t off = 0; off < size && r == 0; off += seg) {
			uint64_t len = size - off < seg ? size - off : seg;

			r = add_task(s, (struct task){.e = e,
						      .kind = kind,
						      .off = off,
						      .len = len,
						      .first = off == 0,
						      .last = off + len == size});
		}
	}
	return r;
}

/* ztailpacking: the directories, after all files, whose inodes (and so
 * nids) are placed with their data. */
static int list_dirs(struct stream *s)
{
	struct writer *w = s->w;
	int r = 0;

	s->dirs_first = s->n;
	for (size_t i = 0; i < w->n_inodes && r == 0; i++)
		if (w->order[i]->n->type == VC_NODE_DIR)
			r = add_task(s, (struct task){.e = w->order[i],
						      .kind = TASK_DIR,
						      .first = true,
						      .last = true});
	return r;
}

int vc_erofs_write_data(struct writer *w)
{
	struct stream s = {.w = w};
	unsigned width = w->o->pool ? vc_pool_threads(w->o->pool) : 1;
	int r;

	w->next_blk = (uint32_t)VC_DIV_ROUND_UP(w->meta_end, EROFS_BLKSIZ);
	s.use_fd = w->o->open && w->o->close;
	s.budget = (uint64_t)SEGMENT_Z_BYTES * 2 * (width ? width : 1);
	s.n_lanes = width ? width : 1;
	s.lanes = calloc(s.n_lanes, sizeof(*s.lanes));
	s.free_lanes = calloc(s.n_lanes, sizeof(*s.free_lanes));
	if (!s.lanes || !s.free_lanes) {
		free(s.lanes);
		free(s.free_lanes);
		return vc_errorf(w->err, VC_ENOMEM, "erofs: out of memory");
	}
	for (size_t i = 0; i < s.n_lanes; i++)
		s.free_lanes[s.n_free++] = &s.lanes[i];
	s.packed_first = SIZE_MAX;
	s.dirs_first = SIZE_MAX;
	r = list_tasks(&s);
	if (r == 0 && w->ztail)
		r = list_dirs(&s);
	if (r == 0 && w->o->progress) {
		for (size_t i = 0; i < s.n; i++)
			if (s.tasks[i].kind != TASK_DIR) {
				if (i < s.packed_first)
					s.progress_bytes += s.tasks[i].len;
				s.progress_files += s.tasks[i].last;
			}
		vc_progress_set_total(w->o->progress, s.progress_bytes + w->packed_bound,
				      s.progress_files);
	}
	if (r == 0) {
		s.fail_index = s.n;
		pthread_mutex_init(&s.lock, NULL);
		pthread_cond_init(&s.moved, NULL);
		r = vc_pool_for(w->o->pool, s.n, run_task, &s, w->err);
		if (s.fail_index < s.n) {
			*w->err = s.fail;
			r = s.fail.code ? s.fail.code : VC_EIO;
		}
		pthread_cond_destroy(&s.moved);
		pthread_mutex_destroy(&s.lock);
	}
	if (r == 0 && w->packed_inode) {
		/* the packed inode's own inode, after all data (as mkfs.erofs
		 * places it): its indexes are known only now */
		struct einode *p = w->packed_inode;

		p->header = vc_erofs_packed_header(w);
		p->off = (uint64_t)w->next_blk * EROFS_BLKSIZ;
		if ((uint64_t)w->next_blk + VC_DIV_ROUND_UP(p->header, EROFS_BLKSIZ) > UINT32_MAX)
			r = vc_errorf(w->err, VC_ERANGE, "erofs: image over 16 TiB");
		else
			w->next_blk += (uint32_t)VC_DIV_ROUND_UP(p->header, EROFS_BLKSIZ);
	}
	for (size_t i = 0; i < s.n; i++)
		task_release(&s, &s.tasks[i]);
	for (size_t i = 0; i < s.n_lanes; i++) {
		free(s.lanes[i].in);
		free(s.lanes[i].out);
		free(s.lanes[i].ext);
		if (s.lanes[i].codec_live)
			vc_erofs_codec_fini(&s.lanes[i].codec);
	}
	free(s.lanes);
	free(s.free_lanes);
	free(s.tasks);
	vc_erofs_gaps_free(&s.gaps);
	return r;
}
