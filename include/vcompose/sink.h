/* SPDX-License-Identifier: MIT */
/* The byte sink: where every format writer puts its bytes.
 *
 * A sink is a window [base, base + limit) of a backing store (a file or a
 * memory buffer). Writers get a window and write at offsets relative to it;
 * a write outside the window is refused with an error naming the writer
 * (`who`), so no module can scribble over its neighbour's partition. Holes
 * that nobody writes read back as zeros (sparse in a file).
 *
 * The file sink writes an unnamed file in the final path's folder (O_TMPFILE)
 * and vc_file_sink_commit() links it in under a temporary name and renames
 * that into place: a crash, even SIGKILL, leaves nothing behind. Where the
 * file system has no O_TMPFILE it creates "<dir>/.<name>.XXXXXX" instead,
 * registered with vc_cleanup_register() so that a signal handler can remove
 * it; vc_file_sink_free() without a commit unlinks it, so an error never
 * leaves half an output.
 *
 *	struct vc_file_sink *f;
 *	if (vc_file_sink_open("out/disk.raw", &f, err) < 0) return err->code;
 *	struct vc_sink part = vc_sink_window(vc_file_sink_sink(f), off, len, "erofs");
 *	... vc_sink_pwrite(&part, buf, n, 0, err) ...
 *	vc_file_sink_commit(f, total_size, err);
 *	vc_file_sink_free(f);
 */
#ifndef VCOMPOSE_SINK_H
#define VCOMPOSE_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcompose/error.h"

struct vc_sink_ops {
	/* Absolute offsets in the backing store; the window was checked. */
	int (*pwrite)(void *impl, const void *buf, size_t len, uint64_t off, struct vc_error *err);
	int (*pread)(void *impl, void *buf, size_t len, uint64_t off, struct vc_error *err);
	/* Optional: copies len bytes of fd at src_off to off inside the kernel
	 * (copy_file_range). Returns the bytes copied (0 < n <= len), 0 when
	 * the source ended early, or -1 with errno when the kernel cannot do it
	 * for this pair (EXDEV, EINVAL, ENOSYS, ...): vc_sink_copy_fd() then
	 * reads and writes instead. */
	long long (*copy_fd)(void *impl, int fd, uint64_t src_off, size_t len, uint64_t off);
	/* Optional: the backing store's descriptor, for SEEK_DATA (holes). */
	int (*fd)(void *impl);
};

/* A value type: copy it freely. */
struct vc_sink {
	const struct vc_sink_ops *ops;
	void *impl;
	uint64_t base;	 /* offset of the window in the backing store */
	uint64_t limit;	 /* length of the window; UINT64_MAX = unbounded */
	const char *who; /* owner of the window, for error messages */
};

/* Writes len bytes at off (relative to the window). */
int vc_sink_pwrite(const struct vc_sink *s, const void *buf, size_t len, uint64_t off,
		   struct vc_error *err);

/* Reads back len bytes at off; bytes never written read as zero. Short
 * reads (past the end of the store) are an error. */
int vc_sink_pread(const struct vc_sink *s, void *buf, size_t len, uint64_t off,
		  struct vc_error *err);

/* The first offset at or after off (relative to the window) that may hold
 * data: everything before it is a hole of the backing file and reads as
 * zero. Returns off when the store cannot tell (memory, no SEEK_DATA), and
 * UINT64_MAX when only holes follow. For hashing zeros cheaply (verity). */
uint64_t vc_sink_next_data(const struct vc_sink *s, uint64_t off);
/* The same for the bytes of fd from base on: off and the result count
 * from base. */
uint64_t vc_fd_next_data(int fd, uint64_t base, uint64_t off);

/* Writes len bytes read from fd at src_off to off (relative to the window),
 * without a user-space copy where the backing store allows it. A source
 * shorter than src_off + len is an error naming src_name. The target range
 * must be one never written before (it reads zero): holes of fd (SEEK_DATA/
 * SEEK_HOLE) are skipped, not written, so a sparse input leaves the output
 * file sparse too (the range's last 4 KiB are always written: the file
 * covers the whole range). */
int vc_sink_copy_fd(const struct vc_sink *s, int fd, uint64_t src_off, uint64_t len, uint64_t off,
		    const char *src_name, struct vc_error *err);

/* A sub-window [off, off + len) of s, owned by `who` (borrowed, static text). */
struct vc_sink vc_sink_window(const struct vc_sink *s, uint64_t off, uint64_t len, const char *who);

/* File sink. */
struct vc_file_sink;
int vc_file_sink_open(const char *path, struct vc_file_sink **ret, struct vc_error *err);
/* The whole file, unbounded; valid until vc_file_sink_free(). */
const struct vc_sink *vc_file_sink_sink(struct vc_file_sink *f);
/* The temporary file's name, for a tool that writes into it in place
 * (mke2fs -E offset=); valid until vc_file_sink_free(). An unnamed
 * (O_TMPFILE) file is linked in under a hidden name first (so SIGKILL can
 * leave that one behind); NULL when that fails. */
const char *vc_file_sink_tmp_path(struct vc_file_sink *f);
/* Highest offset written so far (end of the last byte). */
uint64_t vc_file_sink_end(const struct vc_file_sink *f);
/* Sets the size to size (0: keep the written end) and gives the data a
 * name in the folder (a hidden temporary one): everything that can fail
 * before the rename. vc_file_sink_commit() calls it when it was not called;
 * a caller with several outputs prepares all, then commits all, so that the
 * renames happen as one set. */
int vc_file_sink_prepare(struct vc_file_sink *f, uint64_t size, struct vc_error *err);
/* Sets the size to size (0: keep the written end), renames into place.
 * No fsync: like mkfs.erofs, veritysetup and sbsign, durability against a
 * power cut is left to the caller (sync); it cost up to half the wall time
 * of a build (see README, Performance). */
int vc_file_sink_commit(struct vc_file_sink *f, uint64_t size, struct vc_error *err);
/* Closes; removes the temporary file unless committed. NULL is a no-op. */
void vc_file_sink_free(struct vc_file_sink *f);

/* Paths to remove when the process is killed by a signal (temporary files
 * where O_TMPFILE is missing, lock files). At most 64 at a time; register
 * returns false when full. vc_cleanup_run() only calls unlink(), so a
 * signal handler may call it. The path is borrowed until unregistered. */
bool vc_cleanup_register(const char *path);
void vc_cleanup_unregister(const char *path);
void vc_cleanup_run(void);

/* An exclusive lock on path (created if missing, holding our pid), for
 * writers that must not overlap, e.g. two builds into one output folder.
 * Fails at once, naming the holder's pid, when another process holds it.
 * The lock file is removed by vc_lock_release() (and by vc_cleanup_run()). */
struct vc_lock;
int vc_lock_take(const char *path, const char *what, struct vc_lock **ret, struct vc_error *err);
void vc_lock_release(struct vc_lock *l); /* NULL is a no-op */

/* Descriptor sink: in place over a file or device the caller opened and
 * closes (no temporary name, no rename); reads past its end are VC_EINVAL. */
struct vc_fd_sink {
	struct vc_sink sink; /* unbounded window over the descriptor */
	int fd;
	const char *path; /* for messages (borrowed) */
};
void vc_fd_sink_init(struct vc_fd_sink *f, int fd, const char *path);

/* Memory sink, for tests and small artifacts: grows on write, zero-filled. */
struct vc_mem_sink {
	struct vc_sink sink; /* unbounded window over the buffer */
	uint8_t *data;
	size_t len; /* end of the last byte written */
	size_t cap;
	size_t max; /* refuse to grow past this (0: 1 GiB) */
};
void vc_mem_sink_init(struct vc_mem_sink *m);
void vc_mem_sink_fini(struct vc_mem_sink *m);

#endif
