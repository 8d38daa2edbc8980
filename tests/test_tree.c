/* SPDX-License-Identifier: MIT */
/* Unit tests for src/tree: every file type and xattrs from a folder and from
 * archives written here with libarchive (tar pax, tar.gz, tar.zst, cpio),
 * hardlink grouping, ordering, policies, mtree, and malicious archives. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "vcompose/tree.h"

static char scratch[64];

static int setup(void **state)
{
	(void)state;
	strcpy(scratch, "/tmp/vctreeXXXXXX");
	return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
	return system(cmd) == 0 ? 0 : -1;
}

static void put_file(const char *rel, const char *content, mode_t mode)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", scratch, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	fchmod(fd, mode);
	close(fd);
}

static char *at(const char *rel)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", scratch, rel);
	return p[k];
}

static struct vc_tree *load(const char *path, enum vc_tree_source src,
			    const struct vc_tree_options *o)
{
	struct vc_tree *t = NULL;
	struct vc_error err = {0};
	int r = vc_tree_load(path, src, o, &t, &err);
	if (r < 0)
		fail_msg("load %s: %s", path, err.msg);
	return t;
}

static void read_all(const struct vc_tree *t, const struct vc_node *n, char *buf, size_t cap)
{
	struct vc_error err = {0};
	assert_true(n->size < cap);
	assert_int_equal(vc_tree_read(t, n, 0, buf, n->size, &err), 0);
	buf[n->size] = '\0';
}

/* A folder with every type the caller may create (devices only as root). */
static void make_folder(void)
{
	assert_int_equal(mkdir(at("root"), 0755), 0);
	assert_int_equal(mkdir(at("root/dir"), 0700), 0);
	assert_int_equal(mkdir(at("root/dir/sub"), 0755), 0);
	put_file("root/dir/b", "bee\n", 0644);
	put_file("root/dir/a", "a", 04755);
	put_file("root/Z", "upper", 0600);
	assert_int_equal(symlink("dir/a", at("root/link")), 0);
	assert_int_equal(mkfifo(at("root/fifo"), 0640), 0);
	assert_int_equal(link(at("root/dir/b"), at("root/hard1")), 0);
	assert_int_equal(link(at("root/dir/b"), at("root/dir/sub/hard2")), 0);
	assert_int_equal(setxattr(at("root/dir/a"), "user.b", "2", 1, 0), 0);
	assert_int_equal(setxattr(at("root/dir/a"), "user.a", "one", 3, 0), 0);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at("root/sock"));
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	if (geteuid() == 0)
		assert_int_equal(mknod(at("root/console"), S_IFCHR | 0600, makedev(5, 1)), 0);
}

static void folder_every_type(void **state)
{
	char buf[64];
	(void)state;
	make_folder();
	struct vc_tree_options o = {.owner = VC_OWNER_KEEP};
	struct vc_tree *t = load(at("root"), VC_TREE_AUTO, &o);
	/* pre-order, children sorted by name bytes ("Z" < "console" < "dir" ...) */
	char path[VC_TREE_PATH_MAX + 2];
	const char *want_root[] = {"/",	     "/Z",     "/console", "/dir",
				   "/dir/a", "/dir/b", "/dir/sub", "/dir/sub/hard2",
				   "/fifo",  "/hard1", "/link",	   "/sock"};
	size_t k = 0;
	for (size_t i = 0; i < t->n_nodes; i++, k++) {
		if (geteuid() != 0 && k == 2)
			k++; /* no /console without root */
		assert_string_equal(vc_tree_path(t->nodes[i], path, sizeof(path)), want_root[k]);
		assert_int_equal(t->nodes[i]->index, i);
	}
	assert_int_equal(k, 12);
	struct vc_node *a = vc_tree_lookup(t, "/dir/a");
	assert_non_null(a);
	assert_int_equal(a->type, VC_NODE_REG);
	assert_int_equal(a->mode, 04755);
	assert_int_equal(a->uid, geteuid());
	assert_int_equal(a->n_xattrs, 2);
	assert_string_equal(a->xattrs[0].name, "user.a"); /* sorted */
	assert_memory_equal(a->xattrs[0].value, "one", 3);
	struct vc_node *l = vc_tree_lookup(t, "link");
	assert_int_equal(l->type, VC_NODE_SYMLINK);
	assert_string_equal(l->target, "dir/a");
	assert_int_equal(l->size, 5);
	assert_int_equal(vc_tree_lookup(t, "/fifo")->type, VC_NODE_FIFO);
	assert_int_equal(vc_tree_lookup(t, "/sock")->type, VC_NODE_SOCK);
	assert_int_equal(vc_tree_lookup(t, "/dir")->mode, 0700);
	assert_int_equal(vc_tree_lookup(t, "/dir")->nlink, 3); /* 2 + sub */
	assert_int_equal(t->root->nlink, 3);		       /* 2 + dir */
	if (geteuid() == 0) {
		struct vc_node *c = vc_tree_lookup(t, "/console");
		assert_int_equal(c->type, VC_NODE_CHR);
		assert_int_equal(c->rdev_major, 5);
		assert_int_equal(c->rdev_minor, 1);
	}
	/* hardlinks: the first in pre-order (/dir/b) carries the group */
	struct vc_node *b = vc_tree_lookup(t, "/dir/b"), *h1 = vc_tree_lookup(t, "/hard1"),
		       *h2 = vc_tree_lookup(t, "/dir/sub/hard2");
	assert_ptr_equal(b->link_first, b);
	assert_ptr_equal(h1->link_first, b);
	assert_ptr_equal(h2->link_first, b);
	assert_int_equal(b->nlink, 3);
	assert_int_equal(h1->nlink, 3);
	assert_int_equal(b->link_group, 1);
	assert_int_equal(h2->link_group, 1);
	assert_int_equal(t->n_link_groups, 1);
	read_all(t, h1, buf, sizeof(buf));
	assert_string_equal(buf, "bee\n");
	assert_null(vc_tree_lookup(t, "/dir/missing"));
	assert_null(vc_tree_lookup(t, "/link/x"));
	/* a file that changes size after the tree was read: named, not read */
	struct vc_node *z = vc_tree_lookup(t, "/Z");
	struct vc_error e = {0};
	FILE *grow = fopen(at("root/Z"), "a");
	assert_non_null(grow);
	fputs("more", grow);
	fclose(grow);
	assert_int_equal(vc_tree_read(t, z, 0, buf, (size_t)z->size, &e), VC_EIO);
	assert_non_null(strstr(e.msg, "/Z: changed since the tree was read (5 bytes then, 9 now)"));
	vc_tree_free(t);

	/* Owner policy: the folder default is root; epoch clamps mtimes. */
	o.owner = VC_OWNER_DEFAULT;
	o.have_epoch = true;
	o.source_date_epoch = 1000;
	t = load(at("root"), VC_TREE_DIR, &o);
	for (size_t i = 0; i < t->n_nodes; i++) {
		assert_int_equal(t->nodes[i]->uid, 0);
		assert_int_equal(t->nodes[i]->mtime, 1000);
		assert_int_equal(t->nodes[i]->mtime_nsec, 0);
	}
	vc_tree_free(t);
}

/* ---- archives written with libarchive ---- */

struct entry_spec {
	const char *path;
	unsigned type; /* AE_IF* */
	unsigned mode;
	const char *data; /* regular files; symlink target */
	const char *hardlink;
	int64_t size_override; /* -1: strlen(data) */
};

static void write_archive(const char *path, int format, int filter, const struct entry_spec *e,
			  size_t n)
{
	struct archive *a = archive_write_new();
	assert_int_equal(archive_write_set_format(a, format), ARCHIVE_OK);
	if (filter >= 0)
		assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].path);
		archive_entry_set_mtime(ae, 1700000000 + (time_t)i, 0);
		archive_entry_set_uid(ae, 1000 + i);
		archive_entry_set_gid(ae, 2000);
		archive_entry_set_size(ae, 0);
		/* cpio tells hardlinks by inode number and link count */
		size_t ino = i, links = 1;
		for (size_t j = 0; j < n; j++) {
			if (e[i].hardlink && strcmp(e[j].path, e[i].hardlink) == 0)
				ino = j;
			if (e[j].hardlink && strcmp(e[j].hardlink, e[i].path) == 0)
				links++;
		}
		archive_entry_set_ino(ae, 100 + ino);
		archive_entry_set_nlink(ae, e[i].hardlink ? 2 : links);
		if (e[i].hardlink) {
			archive_entry_set_hardlink(ae, e[i].hardlink);
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0755);
		} else {
			archive_entry_set_filetype(ae, e[i].type);
			archive_entry_set_perm(ae, e[i].mode);
		}
		if (e[i].type == AE_IFLNK)
			archive_entry_set_symlink(ae, e[i].data);
		if (e[i].type == AE_IFCHR || e[i].type == AE_IFBLK) {
			archive_entry_set_rdevmajor(ae, 8);
			archive_entry_set_rdevminor(ae, 3);
		}
		if (e[i].type == AE_IFREG && !e[i].hardlink) {
			archive_entry_set_size(ae, e[i].size_override >= 0
						       ? e[i].size_override
						       : (int64_t)strlen(e[i].data));
			archive_entry_xattr_add_entry(ae, "user.k", "v", 1);
			archive_entry_xattr_add_entry(ae, "trusted.overlay.x", "y", 1);
		}
		int wr = archive_write_header(a, ae);
		if (wr != ARCHIVE_OK && wr != ARCHIVE_WARN)
			fail_msg("%s: %s: %s", path, e[i].path, archive_error_string(a));
		if (e[i].type == AE_IFREG && e[i].data && !e[i].hardlink)
			archive_write_data(a, e[i].data, strlen(e[i].data));
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static const struct entry_spec good[] = {
    {"./", AE_IFDIR, 0755, NULL, NULL, -1},
    {"./usr/bin/", AE_IFDIR, 0755, NULL, NULL, -1},
    {"./usr/bin/sh", AE_IFREG, 0755, "#!shell", NULL, -1},
    {"./usr/bin/ash", 0, 0, NULL, "./usr/bin/sh", -1},
    {"./dev/sda3", AE_IFBLK, 0660, NULL, NULL, -1},
    {"./dev/null", AE_IFCHR, 0666, NULL, NULL, -1},
    {"./run/fifo", AE_IFIFO, 0600, NULL, NULL, -1},
    {"./bin", AE_IFLNK, 0777, "usr/bin", NULL, -1},
    {"./empty", AE_IFREG, 0644, "", NULL, -1},
};

static void check_good_tree(struct vc_tree *t, bool pax)
{
	char buf[64];
	struct vc_node *sh = vc_tree_lookup(t, "/usr/bin/sh");
	assert_non_null(sh);
	assert_int_equal(sh->mode, 0755);
	assert_int_equal(sh->uid, 1002);
	assert_int_equal(sh->gid, 2000);
	assert_int_equal(sh->mtime, 1700000002);
	read_all(t, sh, buf, sizeof(buf));
	assert_string_equal(buf, "#!shell");
	if (pax) {
		assert_int_equal(sh->link_first->n_xattrs, 2);
		assert_string_equal(sh->link_first->xattrs[0].name, "trusted.overlay.x");
		assert_string_equal(sh->link_first->xattrs[1].name, "user.k");
	}
	struct vc_node *ash = vc_tree_lookup(t, "/usr/bin/ash");
	/* "ash" < "sh": the link comes first in pre-order and carries the group */
	assert_ptr_equal(ash->link_first, ash);
	assert_ptr_equal(sh->link_first, ash);
	assert_int_equal(ash->nlink, 2);
	read_all(t, ash, buf, sizeof(buf));
	assert_string_equal(buf, "#!shell");
	struct vc_node *sda = vc_tree_lookup(t, "/dev/sda3");
	assert_int_equal(sda->type, VC_NODE_BLK);
	assert_int_equal(sda->rdev_major, 8);
	assert_int_equal(sda->rdev_minor, 3);
	assert_int_equal(vc_tree_lookup(t, "/dev/null")->type, VC_NODE_CHR);
	assert_int_equal(vc_tree_lookup(t, "/run/fifo")->type, VC_NODE_FIFO);
	/* implicit parents: folders 0755 */
	assert_int_equal(vc_tree_lookup(t, "/run")->type, VC_NODE_DIR);
	assert_int_equal(vc_tree_lookup(t, "/run")->mode, 0755);
	assert_string_equal(vc_tree_lookup(t, "/bin")->target, "usr/bin");
	/* resolve follows symlinks inside the tree, lookup does not */
	assert_null(vc_tree_lookup(t, "/bin/sh"));
	assert_ptr_equal(vc_tree_resolve(t, "/bin/sh"), sh);
	assert_ptr_equal(vc_tree_resolve(t, "bin/../bin/./sh"), sh);
	assert_null(vc_tree_resolve(t, "/bin/nothing"));
	assert_int_equal(vc_tree_lookup(t, "/empty")->size, 0);
}

static void archives_every_format(void **state)
{
	static const struct {
		int format, filter;
		const char *name;
		bool pax;
		bool in_place; /* a plain tar: data read where they are, not spooled */
	} cases[] = {
	    {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, -1, "a.tar", true, true},
	    {ARCHIVE_FORMAT_TAR_GNUTAR, -1, "g.tar", false, true},
	    {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP, "a.tar.gz", true, false},
	    {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_ZSTD, "a.tar.zst", true, false},
	    {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_XZ, "a.tar.xz", true, false},
	    {ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_BZIP2, "a.tar.bz2", false, false},
	    {ARCHIVE_FORMAT_CPIO_SVR4_NOCRC, -1, "a.cpio", false, false},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_archive(at(cases[i].name), cases[i].format, cases[i].filter, good,
			      sizeof(good) / sizeof(good[0]));
		struct vc_tree *t = load(at(cases[i].name), VC_TREE_AUTO, NULL);
		check_good_tree(t, cases[i].pax);
		assert_int_equal(vc_tree_lookup(t, "/usr/bin/sh")->link_first->src_direct,
				 cases[i].in_place);
		vc_tree_free(t);
	}
	/* --owner root and an mtree overlay on an archive */
	FILE *f = fopen(at("m.mtree"), "w");
	fprintf(f, "#mtree\n./usr/bin/sh type=file mode=4711 uid=0 gid=5 time=7.0\n"
		   "./dev/console type=char mode=0600 uid=0 gid=5 device=native,5,1\n"
		   "./newdir type=dir mode=0700 uid=3 gid=3\n");
	fclose(f);
	struct vc_tree_options o = {.owner = VC_OWNER_ROOT, .mtree_path = at("m.mtree")};
	struct vc_tree *t = load(at("a.tar"), VC_TREE_ARCHIVE, &o);
	struct vc_node *sh = vc_tree_lookup(t, "/usr/bin/sh");
	assert_int_equal(sh->mode, 04711);
	assert_int_equal(sh->gid, 5);
	assert_int_equal(sh->mtime, 7);
	assert_int_equal(vc_tree_lookup(t, "/usr/bin/ash")->mode, 04711); /* one inode */
	assert_int_equal(vc_tree_lookup(t, "/empty")->uid, 0);
	struct vc_node *c = vc_tree_lookup(t, "/dev/console");
	assert_non_null(c);
	assert_int_equal(c->type, VC_NODE_CHR);
	assert_int_equal(c->rdev_major, 5);
	assert_int_equal(vc_tree_lookup(t, "/newdir")->uid, 3);
	/* the added nodes took their sorted places */
	for (size_t i = 0; i < t->n_nodes; i++)
		assert_int_equal(t->nodes[i]->index, i);
	assert_ptr_equal(vc_tree_lookup(t, "/dev")->children[0], c);
	vc_tree_free(t);
}

/* ---- malicious and broken input ---- */

static void expect_bad(const char *file, const char *substr)
{
	struct vc_tree *t = NULL;
	struct vc_error err = {0};
	int r = vc_tree_load(file, VC_TREE_ARCHIVE, NULL, &t, &err);
	if (r >= 0)
		fail_msg("%s: loaded, expected an error containing '%s'", file, substr);
	assert_null(t);
	assert_int_equal(r, VC_EINVAL);
	if (!strstr(err.msg, substr))
		fail_msg("%s: message '%s' lacks '%s'", file, err.msg, substr);
	assert_null(strchr(err.msg, '\n')); /* one line */
}

static void bad_archive(const char *name, const struct entry_spec *e, size_t n, const char *substr)
{
	write_archive(at(name), ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, -1, e, n);
	expect_bad(at(name), substr);
}

static void malicious_archives(void **state)
{
	char longname[300], longpath[4200];
	(void)state;
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	for (size_t i = 0; i + 2 < sizeof(longpath); i += 2)
		memcpy(longpath + i, "d/", 2);
	longpath[sizeof(longpath) - 2] = 'x';
	longpath[sizeof(longpath) - 1] = '\0';
	char longtarget[5000];
	memset(longtarget, 't', sizeof(longtarget) - 1);
	longtarget[sizeof(longtarget) - 1] = '\0';

	const struct entry_spec dotdot[] = {{"../etc/passwd", AE_IFREG, 0644, "x", NULL, -1}};
	bad_archive("dotdot.tar", dotdot, 1, "escapes the root");
	const struct entry_spec dotdot2[] = {{"a/b/../../../x", AE_IFREG, 0644, "x", NULL, -1}};
	bad_archive("dotdot2.tar", dotdot2, 1, "escapes the root");
	const struct entry_spec abs[] = {{"/etc/passwd", AE_IFREG, 0644, "x", NULL, -1}};
	bad_archive("abs.tar", abs, 1, "absolute path");
	const struct entry_spec huge[] = {{longname, AE_IFREG, 0644, "x", NULL, -1}};
	bad_archive("hugename.tar", huge, 1, "at most 255");
	const struct entry_spec hugepath[] = {{longpath, AE_IFREG, 0644, "x", NULL, -1}};
	bad_archive("hugepath.tar", hugepath, 1, "at most 4095");
	const struct entry_spec missing[] = {{"a", 0, 0, NULL, "nowhere", -1}};
	bad_archive("linkmissing.tar", missing, 1, "hard link to a missing entry");
	const struct entry_spec todir[] = {{"d/", AE_IFDIR, 0755, NULL, NULL, -1},
					   {"a", 0, 0, NULL, "d", -1}};
	bad_archive("linkdir.tar", todir, 2, "hard link to a folder");
	const struct entry_spec conflict[] = {{"a", AE_IFREG, 0644, "x", NULL, -1},
					      {"a/", AE_IFDIR, 0755, NULL, NULL, -1}};
	bad_archive("conflict.tar", conflict, 2, "appears twice, as a file and as a folder");
	const struct entry_spec parent[] = {{"a", AE_IFREG, 0644, "x", NULL, -1},
					    {"a/b", AE_IFREG, 0644, "y", NULL, -1}};
	bad_archive("parent.tar", parent, 2, "is used as a folder but is not one");
	const struct entry_spec emptylink[] = {{"l", AE_IFLNK, 0777, "", NULL, -1}};
	bad_archive("emptylink.tar", emptylink, 1, "empty target");
	const struct entry_spec longlink[] = {{"l", AE_IFLNK, 0777, longtarget, NULL, -1}};
	bad_archive("longlink.tar", longlink, 1, "at most 4095");
	const struct entry_spec rootfile[] = {{"./", AE_IFREG, 0644, "x", NULL, -1}};
	bad_archive("rootfile.tar", rootfile, 1, "rootfile.tar: ");

	/* truncated: a member that claims more data than the archive holds */
	const struct entry_spec big[] = {{"big", AE_IFREG, 0644, "0123456789", NULL, -1}};
	write_archive(at("trunc.tar"), ARCHIVE_FORMAT_TAR_USTAR, -1, big, 1);
	assert_int_equal(truncate(at("trunc.tar"), 700), 0);
	expect_bad(at("trunc.tar"), "trunc.tar");
	/* corrupt gzip: a valid header, then garbage */
	write_archive(at("c.tar.gz"), ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP, good,
		      sizeof(good) / sizeof(good[0]));
	int fd = open(at("c.tar.gz"), O_WRONLY);
	assert_int_equal(pwrite(fd, "garbagegarbagegarbage", 21, 20), 21);
	close(fd);
	expect_bad(at("c.tar.gz"), "c.tar.gz");
	/* not an archive */
	put_file("text.txt", "just some words\nthat are not an archive\n", 0644);
	expect_bad(at("text.txt"), "text.txt");
	/* empty file */
	put_file("empty.tar", "", 0644);
	expect_bad(at("empty.tar"), "empty.tar");
	/* missing input: an environment error naming the path */
	struct vc_tree *t = NULL;
	struct vc_error err = {0};
	assert_int_equal(vc_tree_load(at("nope.tar"), VC_TREE_AUTO, NULL, &t, &err), VC_EIO);
	assert_non_null(strstr(err.msg, "nope.tar"));
	/* mtree naming a file the tree lacks */
	FILE *f = fopen(at("bad.mtree"), "w");
	fprintf(f, "#mtree\n./ghost type=file mode=0644 uid=0 gid=0\n");
	fclose(f);
	write_archive(at("ok.tar"), ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, -1, good, 2);
	struct vc_tree_options o = {.mtree_path = at("bad.mtree")};
	assert_int_equal(vc_tree_load(at("ok.tar"), VC_TREE_ARCHIVE, &o, &t, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "ghost: a file listed in the mtree is not in the tree"));
	f = fopen(at("notype.mtree"), "w");
	fprintf(f, "#mtree\n./usr mode=0700\n");
	fclose(f);
	o.mtree_path = at("notype.mtree");
	assert_int_equal(vc_tree_load(at("ok.tar"), VC_TREE_ARCHIVE, &o, &t, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "type"));
}

/* A tree written out as a folder reads back the same (but for devices,
 * fifos and owners, which an unprivileged extract leaves out). */
static void extract_round_trip(void **state)
{
	struct vc_error err = {0};
	char buf[64];
	(void)state;
	write_archive(at("x.tar"), ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, -1, good,
		      sizeof(good) / sizeof(good[0]));
	struct vc_tree *t = load(at("x.tar"), VC_TREE_ARCHIVE, NULL);
	assert_int_equal(mkdir(at("x"), 0755), 0);
	assert_int_equal(vc_tree_extract(t, at("x"), &err), 0);
	struct vc_tree_options o = {.owner = VC_OWNER_KEEP};
	struct vc_tree *u = load(at("x"), VC_TREE_DIR, &o);
	struct vc_node *sh = vc_tree_lookup(u, "/usr/bin/sh");
	assert_non_null(sh);
	assert_int_equal(sh->mode, 0755);
	assert_int_equal(sh->nlink, 2); /* still hardlinked to ash */
	read_all(u, sh, buf, sizeof(buf));
	assert_string_equal(buf, "#!shell");
	assert_string_equal(vc_tree_lookup(u, "/bin")->target, "usr/bin");
	/* the tree's mtimes, not the time of the extraction (dracut copies
	 * them into the initrd) */
	for (size_t i = 1; i < u->n_nodes; i++) {
		char p[512];
		vc_tree_path(u->nodes[i], p, sizeof(p));
		struct vc_node *n = vc_tree_lookup(t, p);
		assert_non_null(n);
		assert_int_equal(u->nodes[i]->mtime, n->mtime);
	}
	assert_null(vc_tree_lookup(u, "/dev/null")); /* devices left out */
	assert_non_null(vc_tree_lookup(u, "/dev"));
	vc_tree_free(u);
	vc_tree_free(t);
	assert_int_equal(vc_tree_remove(at("x"), &err), 0);
	assert_int_equal(access(at("x"), F_OK), -1);
}

/* vc_tree_detach(): a folder's content leaves the tree (renumbered, link
 * counts redone) and stays readable below the returned node; a hardlink
 * across the mount point is refused. vc_tree_set_file(): a new file and a
 * replaced one, readable; vc_tree_extract_node() writes the detached part. */
static void detach_and_set_file(void **state)
{
	struct vc_error err = {0};
	struct vc_node *var = NULL, *top = NULL;
	char buf[64];
	(void)state;
	assert_int_equal(mkdir(at("r"), 0755), 0);
	assert_int_equal(mkdir(at("r/etc"), 0755), 0);
	assert_int_equal(mkdir(at("r/var"), 0755), 0);
	assert_int_equal(mkdir(at("r/var/lib"), 0750), 0);
	put_file("r/var/lib/db", "data", 0640);
	put_file("r/etc/fstab", "# old\n", 0644);
	put_file("r/usr", "x", 0644);
	struct vc_tree *t = load(at("r"), VC_TREE_DIR, NULL);
	size_t before = t->n_nodes;
	var = vc_tree_lookup(t, "/var");
	assert_int_equal(vc_tree_detach(t, var, &top, &err), 0);
	assert_int_equal(t->n_nodes, before - 2); /* lib, db */
	assert_int_equal(var->n_children, 0);
	assert_int_equal(var->nlink, 2);
	assert_null(vc_tree_lookup(t, "/var/lib/db"));
	for (size_t i = 0; i < t->n_nodes; i++)
		assert_int_equal(t->nodes[i]->index, i);
	const struct vc_node *db = vc_tree_lookup_child(top->children[0], "db", 2);
	assert_non_null(db);
	assert_string_equal(vc_tree_path(db, buf, sizeof(buf)), "/lib/db");
	read_all(t, db, buf, sizeof(buf));
	assert_string_equal(buf, "data");
	assert_int_equal(mkdir(at("x"), 0755), 0);
	assert_int_equal(vc_tree_extract_node(t, top, at("x"), &err), 0);
	assert_int_equal(access(at("x/lib/db"), R_OK), 0);
	/* set_file: replace (mode kept), create (mode given) */
	assert_int_equal(vc_tree_set_file(t, "/etc/fstab", "# new\n", 6, 0600, 5, &err), 0);
	assert_int_equal(vc_tree_set_file(t, "/etc/hostname", "h\n", 2, 0644, 7, &err), 0);
	struct vc_node *f = vc_tree_lookup(t, "/etc/fstab"),
		       *h = vc_tree_lookup(t, "/etc/hostname");
	assert_int_equal(f->mode, 0644);
	assert_int_equal(f->mtime, 5);
	read_all(t, f, buf, sizeof(buf));
	assert_string_equal(buf, "# new\n");
	assert_int_equal(h->mode, 0644);
	read_all(t, h, buf, sizeof(buf));
	assert_string_equal(buf, "h\n");
	assert_int_equal(t->n_nodes, before - 1);
	for (size_t i = 1; i < t->n_nodes; i++)
		assert_true(t->nodes[i]->index == i);
	assert_int_equal(vc_tree_set_file(t, "/nope/x", "", 0, 0644, 0, &err), VC_EINVAL);
	assert_int_equal(vc_tree_set_file(t, "/usr/x", "", 0, 0644, 0, &err), VC_EINVAL);
	vc_tree_free(t);

	/* a hardlink group across the mount point */
	put_file("r/var/lib/h", "h", 0644);
	assert_int_equal(link(at("r/var/lib/h"), at("r/etc/h")), 0);
	t = load(at("r"), VC_TREE_DIR, NULL);
	assert_int_equal(vc_tree_detach(t, vc_tree_lookup(t, "/var"), &top, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "hardlinks"));
	vc_tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(folder_every_type, setup, teardown),
	    cmocka_unit_test_setup_teardown(archives_every_format, setup, teardown),
	    cmocka_unit_test_setup_teardown(malicious_archives, setup, teardown),
	    cmocka_unit_test_setup_teardown(extract_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(detach_and_set_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
