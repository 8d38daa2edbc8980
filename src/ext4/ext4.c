/* SPDX-License-Identifier: MIT */
/* ext2/3/4 with e2fsprogs' mke2fs -d and debugfs. Spec: mke2fs(8),
 * mke2fs.conf(5), debugfs(8), e2fsprogs 1.47. See include/vcompose/ext4.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vcompose/ext4.h"
#include "vcompose/util.h"

#define MIB	     (UINT64_C(1) << 20)
#define BLOCK	     UINT64_C(4096)
#define INODE_RATIO  UINT64_C(16384)
#define TOOL_PATH    "/usr/sbin:/usr/bin:/sbin:/bin"
#define TAIL_BYTES   2048
#define STACK_ROUNDS 64

/* Ours, so that the host's /etc/mke2fs.conf does not decide the bytes.
 * The ext4 features are Debian 12's defaults. */
static const char mke2fs_conf[] =
    "[defaults]\n"
    "\tbase_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr\n"
    "\tdefault_mntopts = acl,user_xattr\n"
    "\tenable_periodic_fsck = 0\n"
    "\tblocksize = 4096\n"
    "\tinode_size = 256\n"
    "\tinode_ratio = 16384\n"
    "[fs_types]\n"
    "\text3 = {\n"
    "\t\tfeatures = has_journal\n"
    "\t}\n"
    "\text4 = {\n"
    "\t\tfeatures = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,"
    "extra_isize\n"
    "\t}\n";

/* ---- the size estimate ---- */

/* mke2fs's default journal (ext2fs_default_journal_size(), 4 KiB blocks). */
static uint64_t journal_blocks(uint64_t blocks)
{
	if (blocks < 2048)
		return 0;
	if (blocks < 32768)
		return 1024;
	if (blocks < 256 * 1024)
		return 4096;
	if (blocks < 512 * 1024)
		return 8192;
	if (blocks < 4096 * 1024)
		return 16384;
	if (blocks < 8192 * 1024)
		return 32768;
	if (blocks < 16384 * 1024)
		return 65536;
	if (blocks < 32768 * 1024)
		return 131072;
	return 262144;
}

/* Pre-order walk of the subtree below top (top first), no recursion. */
struct walk {
	const struct vc_node **stack;
	size_t sp, cap;
};

static int walk_push(struct walk *w, const struct vc_node *n)
{
	if (w->sp == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 256;
		const struct vc_node **s = realloc(w->stack, cap * sizeof(*s));
		if (!s)
			return -1;
		w->stack = s;
		w->cap = cap;
	}
	w->stack[w->sp++] = n;
	return 0;
}

/* The next node, or NULL at the end (or out of memory: *oom set). */
static const struct vc_node *walk_next(struct walk *w, bool *oom)
{
	if (!w->sp)
		return NULL;
	const struct vc_node *n = w->stack[--w->sp];
	for (size_t i = n->n_children; i > 0; i--)
		if (walk_push(w, n->children[i - 1]) < 0) {
			*oom = true;
			return NULL;
		}
	return n;
}

uint64_t vc_ext4_min_size(const struct vc_node *top, enum vc_ext4_type type, size_t n_mkdirs)
{
	uint64_t data = 0, inodes = 11 + 1 + n_mkdirs; /* reserved, lost+found */
	struct walk w = {0};
	bool oom = false;

	data += (2 + n_mkdirs) * BLOCK; /* root and lost+found (4 blocks at most) */
	if (top && walk_push(&w, top) == 0) {
		for (const struct vc_node *n; (n = walk_next(&w, &oom));) {
			inodes++;
			if (n->link_first != n)
				continue;
			if (n->type == VC_NODE_REG)
				data += VC_ROUND_UP(n->size, BLOCK) +
					(n->size > 4 * 128 * MIB ? BLOCK : 0); /* extent tree */
			else if (n->type == VC_NODE_DIR) {
				/* entries: 8 bytes + name, 4-aligned; blocks 3/4 full */
				uint64_t b = 24;
				for (size_t i = 0; i < n->n_children; i++)
					b += 8 + VC_ROUND_UP(n->children[i]->name_len, 4);
				data += VC_ROUND_UP(b * 4 / 3, BLOCK);
			} else if (n->type == VC_NODE_SYMLINK && n->size >= 60)
				data += BLOCK;
		}
	}
	free(w.stack);
	/* the smallest size that holds data, inode tables, bitmaps, group
	 * descriptors (about 1/128 of the size) and the journal, 1 MiB to spare */
	uint64_t size = VC_ROUND_UP(data + MIB, MIB);
	for (int i = 0; i < STACK_ROUNDS; i++) {
		uint64_t blocks = size / BLOCK;
		uint64_t need = data + (size / INODE_RATIO) * 256 + size / 128 + MIB +
				(type == VC_EXT2 ? 0 : journal_blocks(blocks) * BLOCK);
		if (inodes * INODE_RATIO > size)
			need = need > inodes * INODE_RATIO ? need : inodes * INODE_RATIO;
		need = VC_ROUND_UP(need, MIB);
		if (need <= size)
			break;
		size = need;
	}
	return size < VC_EXT4_MIN_SIZE ? VC_EXT4_MIN_SIZE : size;
}

/* ---- running e2fsprogs ---- */

static char *find_tool(const char *name)
{
	char buf[4096];

	for (const char *p = TOOL_PATH; *p;) {
		size_t len = strcspn(p, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, p, name);
		if (access(buf, X_OK) == 0)
			return strdup(buf);
		p += len + (p[len] == ':');
	}
	return NULL;
}

/* The last lines of the log, on one line each indented, into out. */
static void log_tail(int fd, char *out, size_t cap)
{
	char buf[TAIL_BYTES + 1];
	off_t end = lseek(fd, 0, SEEK_END);
	off_t start = end > TAIL_BYTES ? end - TAIL_BYTES : 0;
	ssize_t n = end > 0 ? pread(fd, buf, (size_t)(end - start), start) : 0;
	size_t len = n > 0 ? (size_t)n : 0, o = 0;

	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	size_t from = len;
	for (int lines = 0; from > 0; from--)
		if (buf[from - 1] == '\n' && ++lines == 4)
			break;
	for (size_t i = from; i < len && o + 4 < cap; i++) {
		if (i == from || buf[i - 1] == '\n') {
			out[o++] = '\n';
			out[o++] = ' ';
			out[o++] = ' ';
		}
		if (buf[i] != '\n')
			out[o++] = (unsigned char)buf[i] < 0x20 ? '?' : buf[i];
	}
	out[o] = '\0';
}

/* Runs argv with envp, output to log_fd; 0 when it exits 0. */
static int run(char *const argv[], char *const envp[], int log_fd, struct vc_error *err)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return vc_errorf_errno(err, VC_EIO, errno, "%s: fork", argv[0]);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(log_fd, 1) < 0 ||
		    dup2(log_fd, 2) < 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return vc_errorf_errno(err, VC_EIO, errno, "%s: waitpid", argv[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	char tail[600];
	log_tail(log_fd, tail, sizeof(tail));
	return vc_errorf(err, VC_EIO, "%s failed (%s %d); its output ends:%s", argv[0],
			 WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), tail);
}

/* ---- the debugfs script ---- */

/* A path debugfs's command parser takes inside double quotes. */
static bool quotable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\' || *s == 0x7f)
			return false;
	return true;
}

/* path of n relative to top ("/" for top) */
static void rel_path(const struct vc_node *top, const struct vc_node *n, char *buf, size_t cap)
{
	char full[VC_TREE_PATH_MAX + 2], base[VC_TREE_PATH_MAX + 2];
	size_t bl;

	vc_tree_path(n, full, sizeof(full));
	vc_tree_path(top, base, sizeof(base));
	bl = strcmp(base, "/") ? strlen(base) : 0;
	snprintf(buf, cap, "%s", full[bl] ? full + bl : "/");
}

static int set_fields(struct vc_buf *s, const char *path, uint32_t mode, uint32_t uid, uint32_t gid,
		      int64_t mtime, int64_t epoch, struct vc_error *err)
{
	return vc_buf_appendf(s, err,
			      "sif \"%s\" mode 0%o\nsif \"%s\" uid %u\nsif \"%s\" gid %u\n"
			      "sif \"%s\" atime @%" PRId64 "\nsif \"%s\" mtime @%" PRId64 "\n"
			      "sif \"%s\" ctime @%" PRId64 "\nsif \"%s\" crtime @%" PRId64 "\n",
			      path, mode, path, uid, path, gid, path, mtime, path, mtime, path,
			      mtime, path, epoch);
}

static uint32_t type_bits(enum vc_node_type t)
{
	switch (t) {
	case VC_NODE_DIR: return 0040000;
	case VC_NODE_SYMLINK: return 0120000;
	case VC_NODE_CHR: return 0020000;
	case VC_NODE_BLK: return 0060000;
	case VC_NODE_FIFO: return 0010000;
	case VC_NODE_SOCK: return 0140000;
	case VC_NODE_REG: break;
	}
	return 0100000;
}

/* Extended attributes of n at path: each value in a file of the work
 * folder (debugfs's ea_set -f reads it as it is, binary), set before the
 * inode's times. e2fsprogs turns system.posix_acl_* into ext4's own ACL
 * format. */
static int set_xattrs(const struct vc_node *n, const char *path, const char *work, unsigned *seq,
		      struct vc_buf *s, struct vc_error *err)
{
	char file[4200], full[VC_TREE_PATH_MAX + 2];
	int r = 0;

	for (size_t i = 0; i < n->n_xattrs && r == 0; i++) {
		const struct vc_xattr *x = &n->xattrs[i];
		if (!quotable(x->name) || strchr(x->name, ' '))
			return vc_errorf(err, VC_EUNSUPP,
					 "%s: an extended attribute name with a space, quote, "
					 "backslash or control character cannot go into an ext4 "
					 "partition here",
					 vc_tree_path(n, full, sizeof(full)));
		snprintf(file, sizeof(file), "%s/xattr.%u", work, (*seq)++);
		r = vc_write_file(file, x->value, x->value_len, 0600, err);
		if (r == 0)
			r = vc_buf_appendf(s, err, "ea_set -f \"%s\" \"%s\" %s\n", file, path,
					   x->name);
	}
	return r;
}

static int script(const struct vc_ext4_options *o, const char *work, struct vc_buf *s,
		  struct vc_error *err)
{
	char path[VC_TREE_PATH_MAX + 2];
	struct walk w = {0};
	bool oom = false;
	unsigned seq = 0;
	int r = 0;

	if (o->top && walk_push(&w, o->top) < 0)
		oom = true;
	for (const struct vc_node *n; r == 0 && (n = walk_next(&w, &oom));) {
		rel_path(o->top, n, path, sizeof(path));
		if (!quotable(path)) {
			r = vc_errorf(err, VC_EUNSUPP,
				      "%s: a name with a quote, backslash or control character "
				      "cannot go into an ext4 partition here",
				      vc_tree_path(n, path, sizeof(path)));
			break;
		}
		if (n->type == VC_NODE_SOCK ||
		    (n->link_first != n && (n->type == VC_NODE_CHR || n->type == VC_NODE_BLK ||
					    n->type == VC_NODE_FIFO))) {
			r = vc_errorf(err, VC_EUNSUPP,
				      "%s: %s are not supported in an ext4 partition",
				      vc_tree_path(n, path, sizeof(path)),
				      n->type == VC_NODE_SOCK ? "sockets" : "hardlinked devices");
			break;
		}
		if (n->link_first != n)
			continue; /* one inode: set through the first path */
		/* debugfs's mknod makes a name in its current folder */
		const char *base = strrchr(path, '/') + 1;
		int dl = (int)(base - path - 1);
		if (n->type == VC_NODE_CHR || n->type == VC_NODE_BLK)
			r = vc_buf_appendf(s, err, "cd \"/%.*s\"\nmknod \"%s\" %c %u %u\ncd /\n",
					   dl, path + 1, base, n->type == VC_NODE_CHR ? 'c' : 'b',
					   n->rdev_major, n->rdev_minor);
		else if (n->type == VC_NODE_FIFO)
			r = vc_buf_appendf(s, err, "cd \"/%.*s\"\nmknod \"%s\" p\ncd /\n", dl,
					   path + 1, base);
		if (r == 0)
			r = set_xattrs(n, path, work, &seq, s, err);
		if (r == 0)
			r = set_fields(s, path, type_bits(n->type) | (n->mode & 07777), n->uid,
				       n->gid, n->mtime, o->epoch, err);
	}
	if (oom && r == 0)
		r = vc_errorf(err, VC_ENOMEM, "out of memory");
	free(w.stack);
	if (r == 0 && !o->top)
		r = set_fields(s, "/", 040755, 0, 0, o->epoch, o->epoch, err);
	for (const char *const *d = o->mkdirs; r == 0 && d && *d; d++) {
		snprintf(path, sizeof(path), "/%s", *d);
		r = set_fields(s, path, 040755, 0, 0, o->epoch, o->epoch, err);
	}
	if (r == 0)
		r = set_fields(s, "/lost+found", 040700, 0, 0, o->epoch, o->epoch, err);
	return r;
}

/* debugfs reports a failed command on its output and still exits 0: every
 * line that is not the echo of a command ("debugfs: ...") or the banner is
 * an error. */
static int check_debugfs_log(int fd, struct vc_error *err)
{
	char buf[8192];
	off_t end = lseek(fd, 0, SEEK_END);
	size_t len =
	    end > 0 ? (size_t)(end < (off_t)sizeof(buf) - 1 ? end : (off_t)sizeof(buf) - 1) : 0;
	ssize_t n = len ? pread(fd, buf, len, 0) : 0;

	buf[n > 0 ? n : 0] = '\0';
	for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!*line || !strncmp(line, "debugfs: ", 9) || !strncmp(line, "debugfs 1.", 10) ||
		    !strncmp(line, "Allocated inode: ", 17)) /* mknod says so */
			continue;
		return vc_errorf(err, VC_EIO, "debugfs: %.300s", line);
	}
	return 0;
}

static const char *const types[] = {"ext2", "ext3", "ext4"};

/* What can be refused before any work: the place, the time, names e2fsprogs
 * would misread, the size against what the content needs. */
static int check_options(const struct vc_ext4_options *o, struct vc_error *err)
{
	if (o->offset % BLOCK || o->size % BLOCK)
		return vc_errorf(err, VC_EINVAL, "ext4: offset and size must be 4 KiB multiples");
	if (o->epoch < 0)
		return vc_errorf(err, VC_EINVAL, "ext4: negative time");
	if (strchr(o->image, '?'))
		return vc_errorf(err, VC_EINVAL,
				 "%s: e2fsprogs reads '?' in a file name as options; use "
				 "another output folder",
				 o->image);
	if (o->label && (strlen(o->label) > VC_EXT4_LABEL_MAX || !quotable(o->label)))
		return vc_errorf(err, VC_EINVAL, "ext4: label '%.40s' is not valid (<= 16 bytes)",
				 o->label);
	uint64_t need = vc_ext4_min_size(o->top, o->type, 0);
	for (const char *const *d = o->mkdirs; d && *d; d++)
		need += BLOCK;
	if (o->size < need) {
		char p[VC_TREE_PATH_MAX + 2];
		return vc_errorf(err, VC_ERANGE,
				 "%llu MiB given, %llu MiB needed for the %s file system%s%s",
				 (unsigned long long)(o->size / MIB),
				 (unsigned long long)VC_DIV_ROUND_UP(need, MIB), types[o->type],
				 o->top ? " holding the tree's " : "",
				 o->top ? vc_tree_path(o->top, p, sizeof(p)) : "");
	}
	return 0;
}

/* The work folder's files: root/ (the content, the extra folders),
 * mke2fs.conf, debugfs.cmd (the script that sets owners, modes, times and
 * xattrs) and an empty log, opened into *log_fd. */
static int fill_work(const struct vc_ext4_options *o, const char *work, int *log_fd,
		     struct vc_error *err)
{
	char root[4200], conf[4200], cmds[4200], logp[4200];
	struct vc_buf s = {0};
	int r;

	snprintf(root, sizeof(root), "%s/root", work);
	snprintf(conf, sizeof(conf), "%s/mke2fs.conf", work);
	snprintf(cmds, sizeof(cmds), "%s/debugfs.cmd", work);
	snprintf(logp, sizeof(logp), "%s/log", work);
	r = vc_write_file(conf, mke2fs_conf, sizeof(mke2fs_conf) - 1, 0600, err);
	if (r == 0 && mkdir(root, 0700) < 0)
		r = vc_errorf_errno(err, VC_EIO, errno, "%s", root);
	if (r == 0 && o->top)
		r = vc_tree_extract_node(o->tree, o->top, root, err);
	for (const char *const *d = o->mkdirs; r == 0 && d && *d; d++) {
		char p[4400];
		snprintf(p, sizeof(p), "%s/%s", root, *d);
		if (strchr(*d, '/') || !quotable(*d) || mkdir(p, 0755) < 0)
			r = vc_errorf_errno(err, VC_EIO, errno, "%s", p);
	}
	if (r == 0)
		r = script(o, work, &s, err);
	if (r == 0)
		r = vc_write_file(cmds, s.data, s.len, 0600, err);
	if (r == 0) {
		*log_fd = open(logp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (*log_fd < 0)
			r = vc_errorf_errno(err, VC_EIO, errno, "%s", logp);
	}
	vc_buf_fini(&s);
	return r;
}

int vc_ext4_write(const struct vc_ext4_options *o, struct vc_error *err)
{
	const char *tmp = o->tmpdir ? o->tmpdir : getenv("TMPDIR");
	char work[4096], root[4200], conf[4200], cmds[4200];
	char uuid[VC_UUID_STR], seed[VC_UUID_STR], ext[256], size_k[32], dev[4200];
	char env_conf[4300], env_time[64];
	char *mke2fs = NULL, *debugfs = NULL;
	int log_fd = -1, r;

	r = check_options(o, err);
	if (r < 0)
		return r;
	mke2fs = find_tool("mke2fs");
	debugfs = find_tool("debugfs");
	if (!mke2fs || !debugfs) {
		free(mke2fs);
		free(debugfs);
		return vc_errorf(err, VC_EIO, "%s not found in %s (install e2fsprogs)",
				 mke2fs ? "debugfs" : "mke2fs", TOOL_PATH);
	}
	snprintf(work, sizeof(work), "%s/vcompose-ext4.XXXXXX", tmp && *tmp ? tmp : "/var/tmp");
	if (!mkdtemp(work)) {
		r = vc_errorf_errno(err, VC_EIO, errno, "%s: cannot make a work folder", work);
		free(mke2fs);
		free(debugfs);
		return r;
	}
	if (!quotable(work)) {
		r = vc_errorf(err, VC_EINVAL,
			      "%s: a work folder with a quote, backslash or control character "
			      "(TMPDIR) cannot be named to debugfs",
			      work);
		goto out;
	}
	snprintf(root, sizeof(root), "%s/root", work);
	snprintf(conf, sizeof(conf), "%s/mke2fs.conf", work);
	snprintf(cmds, sizeof(cmds), "%s/debugfs.cmd", work);
	r = fill_work(o, work, &log_fd, err);
	if (r < 0)
		goto out;

	vc_uuid_format(o->uuid, uuid);
	vc_uuid_format(o->hash_seed, seed);
	snprintf(ext, sizeof(ext),
		 "hash_seed=%s,root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0,nodiscard,"
		 "offset=%llu",
		 seed, (unsigned long long)o->offset);
	snprintf(size_k, sizeof(size_k), "%lluk", (unsigned long long)(o->size / 1024));
	snprintf(env_conf, sizeof(env_conf), "MKE2FS_CONFIG=%s", conf);
	snprintf(env_time, sizeof(env_time), "E2FSPROGS_FAKE_TIME=%" PRId64, o->epoch);
	char *envp[] = {"PATH=" TOOL_PATH, "LC_ALL=C", "TZ=UTC", "E2FSPROGS_LIBMAGIC_SUPPRESS=1",
			env_conf,	   env_time,   NULL};
	char *margv[] = {mke2fs,
			 "-q",
			 "-F",
			 "-t",
			 (char *)types[o->type],
			 "-T",
			 "default",
			 "-U",
			 uuid,
			 "-E",
			 ext,
			 "-L",
			 (char *)(o->label ? o->label : ""),
			 "-d",
			 root,
			 (char *)o->image,
			 size_k,
			 NULL};
	r = run(margv, envp, log_fd, err);
	if (r < 0 && (strstr(err->msg, "allocate") || strstr(err->msg, "No free space") ||
		      strstr(err->msg, "No space"))) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		r = vc_errorf(err, VC_ERANGE,
			      "%llu MiB are too few for the content (more is needed); %s",
			      (unsigned long long)(o->size / MIB), msg);
	}
	if (r < 0)
		goto out;
	if (ftruncate(log_fd, 0) < 0) {
		r = vc_errorf_errno(err, VC_EIO, errno, "%s/log", work);
		goto out;
	}
	snprintf(dev, sizeof(dev), "%s?offset=%llu", o->image, (unsigned long long)o->offset);
	char *dargv[] = {debugfs, "-w", "-f", cmds, dev, NULL};
	r = run(dargv, envp, log_fd, err);
	if (r == 0)
		r = check_debugfs_log(log_fd, err);
out:
	if (r < 0 && r != VC_ENOMEM)
		vc_error_prefix(err, "%s", types[o->type]);
	if (log_fd >= 0)
		close(log_fd);
	struct vc_error e2 = {0};
	int r2 = vc_tree_remove(work, &e2);
	if (r == 0 && r2 < 0) {
		*err = e2;
		r = r2;
	}
	free(mke2fs);
	free(debugfs);
	return r;
}
