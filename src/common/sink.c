/* SPDX-License-Identifier: MIT */
/* Byte sinks: windows over a file (temporary name, renamed on commit) or a
 * memory buffer. See include/vcompose/sink.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vcompose/sink.h"
#include "vcompose/util.h"

static int check_window(const struct vc_sink *s, size_t len, uint64_t off, const char *what,
			struct vc_error *err)
{
	if (off > s->limit || len > s->limit - off)
		return vc_errorf(
		    err, VC_ERANGE,
		    "%s: %s of %zu bytes at offset %llu is outside its area of %llu bytes",
		    s->who ? s->who : "sink", what, len, (unsigned long long)off,
		    (unsigned long long)s->limit);
	if (s->base > UINT64_MAX - off)
		return vc_errorf(err, VC_ERANGE, "%s: offset overflow", s->who ? s->who : "sink");
	return 0;
}

int vc_sink_pwrite(const struct vc_sink *s, const void *buf, size_t len, uint64_t off,
		   struct vc_error *err)
{
	int r = check_window(s, len, off, "write", err);

	if (r < 0)
		return r;
	if (len == 0)
		return 0;
	return s->ops->pwrite(s->impl, buf, len, s->base + off, err);
}

int vc_sink_pread(const struct vc_sink *s, void *buf, size_t len, uint64_t off,
		  struct vc_error *err)
{
	int r = check_window(s, len, off, "read", err);

	if (r < 0)
		return r;
	if (len == 0)
		return 0;
	return s->ops->pread(s->impl, buf, len, s->base + off, err);
}

#define COPY_KERNEL_CHUNK (1u << 30)
#define COPY_BOUNCE_CHUNK (1u << 20)

/* Errors after which the kernel will not copy between these two files. */
static bool copy_unsupported(int e)
{
	return e == EXDEV || e == EINVAL || e == ENOSYS || e == EOPNOTSUPP || e == EBADF ||
	       e == ETXTBSY || e == EPERM;
}

int vc_sink_copy_fd(const struct vc_sink *s, int fd, uint64_t src_off, uint64_t len, uint64_t off,
		    const char *src_name, struct vc_error *err)
{
	bool kernel = s->ops->copy_fd != NULL, holes = true;
	uint8_t *buf = NULL;
	struct stat st;
	int r = len > SIZE_MAX ? vc_errorf(err, VC_ERANGE, "%s: copy too large", src_name)
			       : check_window(s, (size_t)len, off, "write", err);

	/* holes are looked for only in a regular file long enough: a shorter
	 * one is the error below, whatever its holes */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < src_off + len)
		holes = false;
	while (r == 0 && len > 0) {
		long long n;
		uint64_t span = len; /* data from src_off on, up to the next hole */

		if (holes) {
			/* skip the hole at src_off (keeping the last 4 KiB), then copy
			 * up to the next one */
			off_t d = lseek(fd, (off_t)src_off, SEEK_DATA);
			uint64_t keep = len > 4096 ? len - 4096 : 0, skip;
			if (d < 0 && errno != ENXIO) {
				holes = false; /* no SEEK_DATA here: copy every byte */
				continue;
			}
			skip = d < 0 ? len : (uint64_t)d - src_off;
			skip = skip > keep ? keep : skip / 4096 * 4096;
			src_off += skip;
			off += skip;
			len -= skip;
			off_t h = lseek(fd, (off_t)src_off, SEEK_HOLE);
			if (h > (off_t)src_off && (uint64_t)h - src_off < len)
				span = VC_ROUND_UP((uint64_t)h - src_off, 4096);
			if (span > len)
				span = len;
		}
		if (kernel) {
			size_t chunk = span > COPY_KERNEL_CHUNK ? COPY_KERNEL_CHUNK : (size_t)span;

			n = s->ops->copy_fd(s->impl, fd, src_off, chunk, s->base + off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && copy_unsupported(errno)) {
				kernel = false;
				continue;
			}
			if (n < 0) {
				r = vc_errorf_errno(
				    err, VC_EIO, errno, "%s: copy to %s at offset %llu", src_name,
				    s->who ? s->who : "sink", (unsigned long long)off);
				break;
			}
		} else {
			size_t chunk = span > COPY_BOUNCE_CHUNK ? COPY_BOUNCE_CHUNK : (size_t)span;

			if (!buf && !(buf = malloc(COPY_BOUNCE_CHUNK))) {
				r = vc_errorf(err, VC_ENOMEM, "%s: out of memory", src_name);
				break;
			}
			n = pread(fd, buf, chunk, (off_t)src_off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				r = vc_errorf_errno(err, VC_EIO, errno, "%s: read", src_name);
				break;
			}
			if (n > 0)
				r = vc_sink_pwrite(s, buf, (size_t)n, off, err);
		}
		if (r == 0 && n == 0)
			r = vc_errorf(err, VC_EIO, "%s: file shrank while being read", src_name);
		src_off += (uint64_t)n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	free(buf);
	return r;
}

uint64_t vc_fd_next_data(int fd, uint64_t base, uint64_t off)
{
	if (fd < 0 || off > INT64_MAX - base)
		return off;
	off_t d = lseek(fd, (off_t)(base + off), SEEK_DATA);
	if (d < 0)
		return errno == ENXIO ? UINT64_MAX : off;
	return (uint64_t)d < base + off ? off : (uint64_t)d - base;
}

uint64_t vc_sink_next_data(const struct vc_sink *s, uint64_t off)
{
	return vc_fd_next_data(s->ops->fd ? s->ops->fd(s->impl) : -1, s->base, off);
}

struct vc_sink vc_sink_window(const struct vc_sink *s, uint64_t off, uint64_t len, const char *who)
{
	struct vc_sink w = *s;

	/* A window that does not fit its parent is clipped to an empty one, so
	 * every write into it fails with the owner's name. */
	if (off > s->limit) {
		off = 0;
		len = 0;
	} else if (len > s->limit - off) {
		len = s->limit - off;
	}
	w.base = s->base + off;
	w.limit = len;
	w.who = who;
	return w;
}

/* ---- file sink ---- */

struct vc_file_sink {
	struct vc_sink sink;
	int fd;
	char *path;	/* final name */
	char *tmp_path; /* temporary name in the same folder (NULL: unnamed yet) */
	bool anonymous; /* O_TMPFILE: no name until prepared */
	bool named;	/* anonymous, and linked in under tmp_path */
	bool prepared;
	uint64_t end; /* highest offset written */
	int committed;
};

/* ---- paths to remove on a fatal signal ---- */

#define CLEANUP_MAX 64
static const char *cleanup_paths[CLEANUP_MAX];

bool vc_cleanup_register(const char *path)
{
	for (int i = 0; i < CLEANUP_MAX; i++) {
		const char *none = NULL;
		if (__atomic_compare_exchange_n(&cleanup_paths[i], &none, path, 0, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return true;
	}
	return false;
}

void vc_cleanup_unregister(const char *path)
{
	for (int i = 0; i < CLEANUP_MAX; i++) {
		const char *want = path;
		if (__atomic_compare_exchange_n(&cleanup_paths[i], &want, NULL, 0, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return;
	}
}

void vc_cleanup_run(void)
{
	for (int i = 0; i < CLEANUP_MAX; i++) {
		const char *p = __atomic_load_n(&cleanup_paths[i], __ATOMIC_SEQ_CST);
		if (p)
			unlink(p);
	}
}

/* Writers run on several threads; the end only grows. */
static void note_end(struct vc_file_sink *f, uint64_t end)
{
	uint64_t cur = __atomic_load_n(&f->end, __ATOMIC_RELAXED);

	while (end > cur && !__atomic_compare_exchange_n(&f->end, &cur, end, 1, __ATOMIC_RELAXED,
							 __ATOMIC_RELAXED))
		;
}

/* Whole writes and reads at an offset, retried on EINTR and short counts;
 * errors name path. A read past the end is bad input (VC_EINVAL). */
static int full_pwrite(int fd, const char *path, const void *buf, size_t len, uint64_t off,
		       struct vc_error *err)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vc_errorf_errno(err, VC_EIO, errno, "%s: write at offset %llu", path,
					       (unsigned long long)off);
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int full_pread(int fd, const char *path, void *buf, size_t len, uint64_t off,
		      struct vc_error *err)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vc_errorf_errno(err, VC_EIO, errno, "%s: read at offset %llu", path,
					       (unsigned long long)off);
		}
		if (n == 0)
			return vc_errorf(err, VC_EINVAL, "%s: too short: ends at offset %llu", path,
					 (unsigned long long)off);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int file_pwrite(void *impl, const void *buf, size_t len, uint64_t off, struct vc_error *err)
{
	struct vc_file_sink *f = impl;
	int r = full_pwrite(f->fd, f->path, buf, len, off, err);

	if (r == 0)
		note_end(f, off + len);
	return r;
}

static long long file_copy_fd(void *impl, int fd, uint64_t src_off, size_t len, uint64_t off)
{
	struct vc_file_sink *f = impl;
	loff_t in = (loff_t)src_off, out = (loff_t)off;
	ssize_t n = copy_file_range(fd, &in, f->fd, &out, len, 0);

	if (n > 0)
		note_end(f, off + (uint64_t)n);
	return n;
}

static int file_pread(void *impl, void *buf, size_t len, uint64_t off, struct vc_error *err)
{
	struct vc_file_sink *f = impl;

	return full_pread(f->fd, f->path, buf, len, off, err);
}

static int file_fd(void *impl)
{
	return ((struct vc_file_sink *)impl)->fd;
}

static const struct vc_sink_ops file_ops = {
    .fd = file_fd,
    .pwrite = file_pwrite,
    .pread = file_pread,
    .copy_fd = file_copy_fd,
};

int vc_file_sink_open(const char *path, struct vc_file_sink **ret, struct vc_error *err)
{
	struct vc_file_sink *f = calloc(1, sizeof(*f));
	char *dir_copy = NULL, *base_copy = NULL;
	int r = VC_ENOMEM;

	if (!f)
		goto fail;
	f->fd = -1;
	f->path = strdup(path);
	dir_copy = strdup(path);
	base_copy = strdup(path);
	if (!f->path || !dir_copy || !base_copy)
		goto fail;
	/* dirname() may return a static "." rather than change its argument:
	 * use what it returns */
	const char *dir = dirname(dir_copy);
	if (asprintf(&f->tmp_path, "%s/.%s.XXXXXX", dir, basename(base_copy)) < 0) {
		f->tmp_path = NULL;
		goto fail;
	}
	/* An unnamed file first: nothing to clean up, whatever kills us. The
	 * mode is 0666 less the umask, as for any output. */
	f->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
	if (f->fd >= 0) {
		f->anonymous = true;
	} else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL || errno == ENOENT) {
		f->fd = mkostemp(f->tmp_path, O_CLOEXEC);
		if (f->fd >= 0)
			vc_cleanup_register(f->tmp_path);
	}
	if (f->fd < 0) {
		r = vc_errorf_errno(err, VC_EIO, errno, "%s: cannot create a temporary file", path);
		free(f->tmp_path);
		f->tmp_path = NULL;
		goto out;
	}
	/* mkostemp makes 0600; outputs are ordinary files, subject to umask. */
	mode_t um = umask(0);
	umask(um);
	if (!f->anonymous && fchmod(f->fd, 0666 & ~um) < 0) {
		r = vc_errorf_errno(err, VC_EIO, errno, "%s: chmod", f->tmp_path);
		goto out;
	}
	f->sink.ops = &file_ops;
	f->sink.impl = f;
	f->sink.base = 0;
	f->sink.limit = UINT64_MAX;
	f->sink.who = f->path;
	*ret = f;
	f = NULL;
	r = 0;
	goto out;
fail:
	r = vc_errorf(err, VC_ENOMEM, "%s: out of memory", path);
out:
	vc_file_sink_free(f);
	free(dir_copy);
	free(base_copy);
	return r;
}

static int give_name(struct vc_file_sink *f, struct vc_error *err);

const char *vc_file_sink_tmp_path(struct vc_file_sink *f)
{
	/* a tool writing in place needs a name: the file gets one now */
	if (f->anonymous && !f->named && give_name(f, NULL) < 0)
		return NULL;
	return f->tmp_path;
}

const struct vc_sink *vc_file_sink_sink(struct vc_file_sink *f)
{
	return &f->sink;
}

uint64_t vc_file_sink_end(const struct vc_file_sink *f)
{
	return __atomic_load_n(&f->end, __ATOMIC_RELAXED);
}

/* Links the unnamed (O_TMPFILE) file in under a fresh hidden name. */
static int give_name(struct vc_file_sink *f, struct vc_error *err)
{
	/* linkat of /proc/self/fd/N needs no capability (AT_EMPTY_PATH
	 * would); the name is random, retried when taken */
	char proc[64], *tmpl = f->tmp_path;
	size_t n = strlen(tmpl);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f->fd);
	for (int tries = 0;; tries++) {
		char *t = strdup(tmpl);
		int fd2;
		if (!t)
			return vc_errorf(err, VC_ENOMEM, "out of memory");
		/* a fresh random name from mkostemp's generator, then
		 * dropped: the link takes the name */
		fd2 = mkostemp(t, O_CLOEXEC);
		if (fd2 < 0) {
			int e = errno;
			free(t);
			return vc_errorf_errno(err, VC_EIO, e, "%s: cannot name the temporary file",
					       f->path);
		}
		close(fd2);
		unlink(t);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, t, AT_SYMLINK_FOLLOW) == 0) {
			memcpy(tmpl, t, n);
			free(t);
			break;
		}
		int e = errno;
		free(t);
		if (e != EEXIST || tries > 8)
			return vc_errorf_errno(err, VC_EIO, e, "%s: link the output", f->path);
	}
	vc_cleanup_register(f->tmp_path);
	f->named = true;
	return 0;
}

int vc_file_sink_prepare(struct vc_file_sink *f, uint64_t size, struct vc_error *err)
{
	uint64_t end = vc_file_sink_end(f);

	if (size == 0)
		size = end;
	if (size < end)
		return vc_errorf(err, VC_ERANGE, "%s: size %llu is below the %llu bytes written",
				 f->path, (unsigned long long)size, (unsigned long long)end);
	if (ftruncate(f->fd, (off_t)size) < 0)
		return vc_errorf_errno(err, VC_EIO, errno, "%s: set size", f->path);
	if (f->anonymous && !f->named) {
		int r = give_name(f, err);
		if (r < 0)
			return r;
	}
	f->prepared = true;
	return 0;
}

int vc_file_sink_commit(struct vc_file_sink *f, uint64_t size, struct vc_error *err)
{
	if (!f->prepared) {
		int r = vc_file_sink_prepare(f, size, err);
		if (r < 0)
			return r;
	}
	if (rename(f->tmp_path, f->path) < 0)
		return vc_errorf_errno(err, VC_EIO, errno, "%s: rename into place", f->path);
	vc_cleanup_unregister(f->tmp_path);
	f->committed = 1;
	return 0;
}

void vc_file_sink_free(struct vc_file_sink *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (!f->committed && f->tmp_path && (!f->anonymous || f->named))
		unlink(f->tmp_path);
	if (f->tmp_path)
		vc_cleanup_unregister(f->tmp_path);
	free(f->tmp_path);
	free(f->path);
	free(f);
}

/* ---- lock files ---- */

struct vc_lock {
	int fd;
	char *path;
};

int vc_lock_take(const char *path, const char *what, struct vc_lock **ret, struct vc_error *err)
{
	struct vc_lock *l = calloc(1, sizeof(*l));
	int r = 0;

	if (!l || !(l->path = strdup(path))) {
		free(l);
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	}
	for (int tries = 0;; tries++) {
		struct stat a, b;
		l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
		if (l->fd < 0) {
			r = vc_errorf_errno(err, VC_EIO, errno, "%s: cannot create the lock", path);
			break;
		}
		if (flock(l->fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;
			char pid[32] = "";
			ssize_t n = pread(l->fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = 0;
			pid[strcspn(pid, "\n")] = 0;
			if (e == EWOULDBLOCK)
				r = vc_errorf(
				    err, VC_EIO,
				    "%s: another process%s%s is writing %s (it holds %s); "
				    "wait for it, or write elsewhere",
				    what, pid[0] ? " " : "", pid, what, path);
			else
				r = vc_errorf_errno(err, VC_EIO, e, "%s: lock", path);
			break;
		}
		/* the holder before us may have removed the file after we opened
		 * it: the lock is ours only if the name still leads to it */
		if (fstat(l->fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			break;
		close(l->fd);
		l->fd = -1;
		if (tries > 16) {
			r = vc_errorf(err, VC_EIO, "%s: the lock keeps being replaced", path);
			break;
		}
	}
	if (r == 0) {
		char pid[32];
		int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		if (ftruncate(l->fd, 0) < 0 || pwrite(l->fd, pid, (size_t)n, 0) != n)
			r = vc_errorf_errno(err, VC_EIO, errno, "%s: write", path);
		vc_cleanup_register(l->path);
	}
	if (r < 0) {
		if (l->fd >= 0)
			close(l->fd);
		free(l->path);
		free(l);
		return r;
	}
	*ret = l;
	return 0;
}

void vc_lock_release(struct vc_lock *l)
{
	if (!l)
		return;
	unlink(l->path); /* before the unlock: a waiter then sees the name gone */
	vc_cleanup_unregister(l->path);
	close(l->fd);
	free(l->path);
	free(l);
}

/* ---- descriptor sink ---- */

static int fd_pwrite(void *impl, const void *buf, size_t len, uint64_t off, struct vc_error *err)
{
	struct vc_fd_sink *f = impl;

	return full_pwrite(f->fd, f->path, buf, len, off, err);
}

static int fd_pread(void *impl, void *buf, size_t len, uint64_t off, struct vc_error *err)
{
	struct vc_fd_sink *f = impl;

	return full_pread(f->fd, f->path, buf, len, off, err);
}

static const struct vc_sink_ops fd_ops = {.pwrite = fd_pwrite, .pread = fd_pread};

void vc_fd_sink_init(struct vc_fd_sink *f, int fd, const char *path)
{
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->path = path;
	f->sink.ops = &fd_ops;
	f->sink.impl = f;
	f->sink.limit = UINT64_MAX;
	f->sink.who = path;
}

/* ---- memory sink ---- */

static int mem_pwrite(void *impl, const void *buf, size_t len, uint64_t off, struct vc_error *err)
{
	struct vc_mem_sink *m = impl;
	size_t max = m->max ? m->max : (size_t)1 << 30;

	if (off > max || len > max - off)
		return vc_errorf(err, VC_ERANGE, "memory sink: write beyond %zu bytes", max);
	size_t end = (size_t)off + len;
	if (end > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		while (cap < end)
			cap = cap > max / 2 ? max : cap * 2;
		uint8_t *d = realloc(m->data, cap);
		if (!d)
			return vc_errorf(err, VC_ENOMEM, "memory sink: out of memory");
		memset(d + m->cap, 0, cap - m->cap);
		m->data = d;
		m->cap = cap;
	}
	memcpy(m->data + off, buf, len);
	if (end > m->len)
		m->len = end;
	return 0;
}

static int mem_pread(void *impl, void *buf, size_t len, uint64_t off, struct vc_error *err)
{
	struct vc_mem_sink *m = impl;

	if (off > m->len || len > m->len - off)
		return vc_errorf(err, VC_EIO, "memory sink: read past the end at offset %llu",
				 (unsigned long long)off);
	memcpy(buf, m->data + off, len);
	return 0;
}

static const struct vc_sink_ops mem_ops = {
    .pwrite = mem_pwrite,
    .pread = mem_pread,
};

void vc_mem_sink_init(struct vc_mem_sink *m)
{
	memset(m, 0, sizeof(*m));
	m->sink.ops = &mem_ops;
	m->sink.impl = m;
	m->sink.limit = UINT64_MAX;
	m->sink.who = "memory";
}

void vc_mem_sink_fini(struct vc_mem_sink *m)
{
	free(m->data);
	m->data = NULL;
	m->len = m->cap = 0;
}
