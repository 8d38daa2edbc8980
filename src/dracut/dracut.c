/* SPDX-License-Identifier: MIT */
/* Runs the tree's dracut inside the tree (bubblewrap or proot), or the
 * host's against it. Spec: dracut(8), dracut 059 (Debian 12) and 106
 * (Debian 13), bwrap(1), proot(1). See include/vcompose/dracut.h and
 * docs/dracut.md. */
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <ftw.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vcompose/dracut.h"
#include "vcompose/util.h"

#define DRACUT_DEFAULT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
#define DRACUT_LIST_MAX	    1024	/* items in one list */
#define DRACUT_SCAN_BYTES   (256 << 10) /* how much of the log end to look at */
#define DRACUT_ERR_LINES    4		/* dracut's error lines in a message */
#define DRACUT_TAIL_LINES   2		/* and its last lines */
#define DRACUT_LINE_MAX	    110		/* bytes of one line in a message */

/* dracut 059 fills these in only when "$dracutsysrootdir$value" is not a
 * folder (from the host's pkg-config, then a default). With a sysroot and an
 * empty value the test looks at the sysroot itself, which is a folder, so
 * they stay empty (/usr/bin/dracut near line 1392 and 1720-1925). The values
 * are those of a merged-/usr Debian 12 system with systemd 252; dracut still
 * falls back to its defaults for any that the tree lacks. */
#define CONF_HEAD                                                                                  \
	"# Written by vcompose for one dracut run; replaces the tree's dracut.conf.\n"             \
	"hostonly=\"no\"\n"                                                                        \
	"hostonly_cmdline=\"no\"\n"

/* For the tree's dracut, run with the tree as "/": it finds its folders.
 * dracut runs as a user: what a tool made unreadable in the initrd's
 * staging folder (systemd-sysusers --root writes etc/shadow and
 * etc/gshadow with mode 0000, dracut 106) becomes readable by its owner
 * just before dracut packs it with cpio (a function of this file's shell,
 * called where dracut calls cpio in the staging folder). */
static const char conf_tree[] =
    CONF_HEAD "cpio() {\n"
	      "    find . -type f ! -perm -u=r -exec chmod u+r -- {} + 2>/dev/null\n"
	      "    command cpio \"$@\"\n"
	      "}\n";

static const char conf_text[] =
    CONF_HEAD "systemdutildir=\"/usr/lib/systemd\"\n"
	      "systemdutilconfdir=\"/etc/systemd\"\n"
	      "systemdsystemunitdir=\"/usr/lib/systemd/system\"\n"
	      "systemdsystemconfdir=\"/etc/systemd/system\"\n"
	      "systemduser=\"/usr/lib/systemd/user\"\n"
	      "systemduserconfdir=\"/etc/systemd/user\"\n"
	      "systemdcatalog=\"/usr/lib/systemd/catalog\"\n"
	      "systemdnetwork=\"/usr/lib/systemd/network\"\n"
	      "systemdnetworkconfdir=\"/etc/systemd/network\"\n"
	      "systemdntpunits=\"/usr/lib/systemd/ntp-units.d\"\n"
	      "systemdntpunitsconfdir=\"/etc/systemd/ntp-units.d\"\n"
	      "systemdportable=\"/usr/lib/systemd/portable\"\n"
	      "systemdportableconfdir=\"/etc/systemd/portable\"\n"
	      "sysctld=\"/usr/lib/sysctl.d\"\n"
	      "sysctlconfdir=\"/etc/sysctl.d\"\n"
	      "environment=\"/usr/lib/environment.d\"\n"
	      "environmentconfdir=\"/etc/environment.d\"\n"
	      "modulesload=\"/usr/lib/modules-load.d\"\n"
	      "modulesloadconfdir=\"/etc/modules-load.d\"\n"
	      "sysusers=\"/usr/lib/sysusers.d\"\n"
	      "sysusersconfdir=\"/etc/sysusers.d\"\n"
	      "tmpfilesdir=\"/usr/lib/tmpfiles.d\"\n"
	      "tmpfilesconfdir=\"/etc/tmpfiles.d\"\n"
	      "depmodd=\"/usr/lib/depmod.d\"\n"
	      "depmodconfdir=\"/etc/depmod.d\"\n"
	      "udevdir=\"/usr/lib/udev\"\n"
	      "udevconfdir=\"/etc/udev\"\n"
	      "udevrulesdir=\"/usr/lib/udev/rules.d\"\n"
	      "udevrulesconfdir=\"/etc/udev/rules.d\"\n"
	      "dbus=\"/usr/share/dbus-1\"\n"
	      "dbusconfdir=\"/etc/dbus-1\"\n"
	      "dbusinterfaces=\"/usr/share/dbus-1/interfaces\"\n"
	      "dbusinterfacesconfdir=\"/etc/dbus-1/interfaces\"\n"
	      "dbusservices=\"/usr/share/dbus-1/services\"\n"
	      "dbusservicesconfdir=\"/etc/dbus-1/services\"\n"
	      "dbussession=\"/usr/share/dbus-1/session.d\"\n"
	      "dbussessionconfdir=\"/etc/dbus-1/session.d\"\n"
	      "dbussystem=\"/usr/share/dbus-1/system.d\"\n"
	      "dbussystemconfdir=\"/etc/dbus-1/system.d\"\n"
	      "dbussystemservices=\"/usr/share/dbus-1/system-services\"\n"
	      "dbussystemservicesconfdir=\"/etc/dbus-1/system-services\"\n";

const char *vc_dracut_conf(bool host)
{
	return host ? conf_text : conf_tree;
}

static const char *const method_names[] = {"auto", "bwrap", "proot", "host"};

const char *vc_dracut_method_name(enum vc_dracut_method m)
{
	return (unsigned)m < 4 ? method_names[m] : "?";
}

int vc_dracut_method_parse(const char *s, enum vc_dracut_method *ret, struct vc_error *err)
{
	if (!strcmp(s, "tree")) {
		*ret = VC_DRACUT_AUTO;
		return 0;
	}
	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(s, method_names[i])) {
			*ret = (enum vc_dracut_method)i;
			return 0;
		}
	return vc_errorf(err, VC_EINVAL,
			 "dracut '%.40s': one of tree (bwrap, else proot), bwrap, proot, host", s);
}

/* ---- the command ------------------------------------------------------- */

struct strlist {
	char **v;
	size_t n, cap;
};

static int push(struct strlist *l, char *s, struct vc_error *err)
{
	if (!s)
		return vc_errorf(err, VC_ENOMEM, "dracut: out of memory");
	if (l->n + 2 > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			free(s);
			return vc_errorf(err, VC_ENOMEM, "dracut: out of memory");
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
	return 0;
}

static int pushf(struct strlist *l, struct vc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int pushf(struct strlist *l, struct vc_error *err, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return push(l, r < 0 ? NULL : s, err);
}

static void free_list(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* An item of a space-separated dracut list: no blanks, quotes or controls. */
static bool ok_item(const char *s)
{
	if (!*s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '\'' || *p == '\\')
			return false;
	return true;
}

static bool ok_kver(const char *s)
{
	if (!*s || s[0] == '.' || strlen(s) > 128)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._+-~", *p)))
			return false;
	return true;
}

/* "--opt" "a b c" when the list is not empty. */
static int push_list(struct strlist *l, const char *opt, const char *const *items,
		     struct vc_error *err)
{
	size_t len = 0, n = 0;
	char *joined, *p;

	if (!items || !items[0])
		return 0;
	for (; items[n]; n++) {
		if (n >= DRACUT_LIST_MAX)
			return vc_errorf(err, VC_ERANGE, "dracut %s: more than %d items", opt,
					 DRACUT_LIST_MAX);
		if (!ok_item(items[n]))
			return vc_errorf(err, VC_EINVAL,
					 "dracut %s: '%.100s' is not a valid item (blank, quote or "
					 "control character)",
					 opt, items[n]);
		len += strlen(items[n]) + 1;
	}
	joined = malloc(len);
	if (!joined)
		return vc_errorf(err, VC_ENOMEM, "dracut: out of memory");
	p = joined;
	for (size_t i = 0; i < n; i++) {
		size_t il = strlen(items[i]);
		if (i)
			*p++ = ' ';
		memcpy(p, items[i], il);
		p += il;
	}
	*p = '\0';
	if (pushf(l, err, "%s", opt) < 0) {
		free(joined);
		return err->code;
	}
	return push(l, joined, err);
}

void vc_dracut_command_fini(struct vc_dracut_cmd *cmd)
{
	free_list(cmd->argv);
	free_list(cmd->envp);
	cmd->argv = NULL;
	cmd->envp = NULL;
}

int vc_dracut_command(const struct vc_dracut_options *o, const char *outfile, const char *workdir,
		      struct vc_dracut_cmd *ret, struct vc_error *err)
{
	struct strlist a = {0}, e = {0};
	const bool host = o->method == VC_DRACUT_HOST;
	/* the tree's dracut gets the tree's usual PATH, never the caller's */
	const char *path = host ? getenv("PATH") : NULL;
	int r;

	if (host && (!o->sysroot || !*o->sysroot))
		return vc_errorf(err, VC_EINVAL, "dracut: no tree folder given");
	if (!o->kver || !ok_kver(o->kver))
		return vc_errorf(err, VC_EINVAL, "dracut: kernel version '%.100s' is not valid",
				 o->kver ? o->kver : "");
	if (o->source_date_epoch < 0)
		return vc_errorf(err, VC_EINVAL,
				 "dracut: SOURCE_DATE_EPOCH %" PRId64 " is negative",
				 o->source_date_epoch);
	if (o->compress && !ok_item(o->compress))
		return vc_errorf(err, VC_EINVAL, "dracut: compression '%.100s' is not valid",
				 o->compress);
	for (const char *const *p = o->install; p && *p; p++)
		if ((*p)[0] != '/')
			return vc_errorf(err, VC_EINVAL,
					 "dracut --install: '%.100s' is not an absolute path", *p);

	/* Options only: dracut stores these in the initrd. No host path here. */
	if ((r = pushf(&a, err, "%s",
		       o->dracut ? o->dracut
		       : host	 ? "dracut"
				 : "/usr/bin/dracut")) < 0 ||
	    (r = pushf(&a, err, "--force")) < 0 || (r = pushf(&a, err, "--no-hostonly")) < 0 ||
	    (r = pushf(&a, err, "--reproducible")) < 0 || (r = pushf(&a, err, "--no-uefi")) < 0 ||
	    (r = pushf(&a, err, "--kver")) < 0 || (r = pushf(&a, err, "%s", o->kver)) < 0)
		goto fail;
	if (o->no_kernel && (r = pushf(&a, err, "--no-kernel")) < 0)
		goto fail;
	if ((r = pushf(&a, err, "--compress")) < 0 ||
	    (r = pushf(&a, err, "%s", o->compress ? o->compress : "zstd")) < 0)
		goto fail;
	if ((r = push_list(&a, "--modules", o->set_modules, err)) < 0 ||
	    (r = push_list(&a, "--add", o->add_modules, err)) < 0 ||
	    (r = push_list(&a, "--omit", o->omit_modules, err)) < 0 ||
	    (r = push_list(&a, "--add-drivers", o->add_drivers, err)) < 0 ||
	    (r = push_list(&a, "--force-drivers", o->force_drivers, err)) < 0 ||
	    (r = push_list(&a, "--omit-drivers", o->omit_drivers, err)) < 0 ||
	    (r = push_list(&a, "--filesystems", o->filesystems, err)) < 0 ||
	    (r = push_list(&a, "--install", o->install, err)) < 0)
		goto fail;
	if (o->include_dir) {
		if (host) {
			r = vc_errorf(err, VC_EUNSUPP,
				      "dracut: extra files for the initrd need the tree's dracut, "
				      "not the host's");
			goto fail;
		}
		/* a fixed path inside: stored in the initrd, the same everywhere */
		if ((r = pushf(&a, err, "--include")) < 0 ||
		    (r = pushf(&a, err, "%s/include", workdir)) < 0 ||
		    (r = pushf(&a, err, "/")) < 0)
			goto fail;
	}
	/* After "--": a positional argument, which dracut does not store. */
	if ((r = pushf(&a, err, "--")) < 0 || (r = pushf(&a, err, "%s", outfile)) < 0)
		goto fail;

	/* The environment, from scratch. */
	if ((r = pushf(&e, err, "PATH=%s", path && *path ? path : DRACUT_DEFAULT_PATH)) < 0 ||
	    (r = pushf(&e, err, "LC_ALL=C")) < 0 || (r = pushf(&e, err, "TZ=UTC")) < 0 ||
	    (r = pushf(&e, err, "SOURCE_DATE_EPOCH=%" PRId64, o->source_date_epoch)) < 0 ||
	    (r = host ? pushf(&e, err, "TMPDIR=%s/tmp", workdir)
		      : pushf(&e, err, "TMPDIR=/var/tmp")) < 0 ||
	    (host && (r = pushf(&e, err, "dracutsysrootdir=%s", o->sysroot)) < 0) ||
	    (!host && ((r = pushf(&e, err, "DRACUT_NO_MKNOD=1")) < 0 ||
		       (r = pushf(&e, err, "DRACUT_NO_XATTR=1")) < 0 ||
		       (r = pushf(&e, err, "cpio_owner=0:0")) < 0)) ||
	    (r = pushf(&e, err, "conffile=%s/vcompose-dracut.conf", workdir)) < 0 ||
	    (r = pushf(&e, err, "confdir=%s/conf.d", workdir)) < 0)
		goto fail;
	ret->argv = a.v;
	ret->envp = e.v;
	return 0;
fail:
	free_list(a.v);
	free_list(e.v);
	return r;
}

/* ---- running it -------------------------------------------------------- */

/* The program's path: as given when it has a '/', else found in PATH. */
static char *find_program(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? strdup(name) : NULL;
	if (!path || !*path)
		path = DRACUT_DEFAULT_PATH;
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, ":");
		if (len && len < sizeof(buf) - strlen(name) - 2) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, p, name);
			struct stat st;
			if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
				return strdup(buf);
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return NULL;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* "<dir of path>/.<base>.XXXXXX", created empty; *ret_fd stays open. */
static int temp_beside(const char *path, char **ret, int *ret_fd, struct vc_error *err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dl = slash ? (int)(slash - path) : 1;
	const char *dir = slash ? path : ".";
	char *t;
	int fd;

	if (!*base)
		return vc_errorf(err, VC_EINVAL, "dracut: '%s' names a folder, not a file", path);
	if (slash == path)
		dl = 0; /* "/name" */
	if (asprintf(&t, "%.*s/.%s.XXXXXX", dl, dir, base) < 0)
		return vc_errorf(err, VC_ENOMEM, "dracut: out of memory");
	fd = mkostemp(t, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(t);
		return vc_errorf_errno(err, VC_EIO, e, "dracut: cannot create a file beside '%s'",
				       path);
	}
	*ret = t;
	*ret_fd = fd;
	return 0;
}

/* mkdir of "<base><sub>", 0700. */
static int mkdir_in(const char *base, const char *sub, struct vc_error *err)
{
	char p[PATH_MAX];

	if ((size_t)snprintf(p, sizeof(p), "%s%s", base, sub) >= sizeof(p))
		return vc_errorf(err, VC_ERANGE, "dracut: path too long under '%s'", base);
	if (mkdir(p, 0700) < 0)
		return vc_errorf_errno(err, VC_EIO, errno, "dracut: cannot create '%s'", p);
	return 0;
}

/* Up to cap - 1 bytes of fd from off, NUL-terminated; the count. */
static size_t read_at(int fd, off_t off, char *buf, size_t cap)
{
	size_t got = 0;

	while (got + 1 < cap) {
		ssize_t n = pread(fd, buf + got, cap - 1 - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

/* One line of the log into the message: printable, at most DRACUT_LINE_MAX. */
static void put_line(char *out, size_t size, size_t *o, const char *line, size_t len)
{
	if (len > DRACUT_LINE_MAX)
		len = DRACUT_LINE_MAX;
	if (*o + 4 >= size)
		return;
	out[(*o)++] = '\n';
	out[(*o)++] = ' ';
	out[(*o)++] = ' ';
	for (size_t i = 0; i < len && *o + 1 < size; i++)
		out[(*o)++] = (unsigned char)line[i] < 0x20 || line[i] == 0x7f ? '?' : line[i];
	out[*o] = '\0';
}

/* dracut's own error lines: derror/dfatal ("dracut[E]:", "dracut[F]:",
 * "dracut: FATAL:"), dracut-install's "ERROR:", a shell's "error". */
static bool error_line(const char *l, size_t len)
{
	static const char *const marks[] = {"[E]", "[F]", "ERROR", "FATAL", "rror:", "annot "};
	for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
		size_t ml = strlen(marks[k]);
		for (size_t i = 0; i + ml <= len; i++)
			if (!memcmp(l + i, marks[k], ml))
				return true;
	}
	return false;
}

/* The error lines of the log (the first DRACUT_ERR_LINES before its last
 * lines), then its last DRACUT_TAIL_LINES lines, each on its own line. */
static void log_summary(int fd, char *out, size_t size)
{
	char *buf = malloc(DRACUT_SCAN_BYTES + 1);
	off_t end = lseek(fd, 0, SEEK_END);
	off_t start = end > DRACUT_SCAN_BYTES ? end - DRACUT_SCAN_BYTES : 0;
	size_t len, o = 0, n_err = 0, from;

	out[0] = '\0';
	if (!buf)
		return;
	len = end > 0 ? read_at(fd, start, buf, DRACUT_SCAN_BYTES + 1) : 0;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	/* where the last lines start */
	from = len;
	for (int lines = 0; from > 0; from--)
		if (buf[from - 1] == '\n' && ++lines == DRACUT_TAIL_LINES)
			break;
	for (size_t i = 0; i < from;) {
		size_t e = i;
		while (e < from && buf[e] != '\n')
			e++;
		if (error_line(buf + i, e - i) && n_err < DRACUT_ERR_LINES) {
			put_line(out, size, &o, buf + i, e - i);
			n_err++;
		}
		i = e + 1;
	}
	if (n_err)
		put_line(out, size, &o, "...", 3);
	for (size_t i = from; i < len;) {
		size_t e = i;
		while (e < len && buf[e] != '\n')
			e++;
		if (e > i)
			put_line(out, size, &o, buf + i, e - i);
		i = e + 1;
	}
	free(buf);
}

/* "DRACUT_VERSION=059-4" in a dracut-version.sh, into out ("" if none). */
static void version_file(const char *path, char *out, size_t size)
{
	char buf[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	const char *v;

	out[0] = '\0';
	if (fd < 0)
		return;
	read_at(fd, 0, buf, sizeof(buf));
	close(fd);
	if ((v = strstr(buf, "DRACUT_VERSION=")))
		snprintf(out, size, "%.*s", (int)strcspn(v + 15, "\n \"'"), v + 15);
}

/* glibc's release ("2.41") from a libc.so.6's banner, into out ("" if none). */
static void libc_release(const char *path, char *out, size_t size)
{
	static const char mark[] = "release version ";
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;

	out[0] = '\0';
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size < (64 << 20) &&
	    (buf = malloc((size_t)st.st_size + 1))) {
		size_t len = read_at(fd, 0, buf, (size_t)st.st_size + 1);
		char *p = memmem(buf, len, mark, sizeof(mark) - 1);
		if (p) {
			p += sizeof(mark) - 1;
			size_t n = 0;
			while (p + n < buf + len && n < 16 &&
			       ((p[n] >= '0' && p[n] <= '9') || p[n] == '.'))
				n++;
			while (n && p[n - 1] == '.')
				n--;
			snprintf(out, size, "%.*s", (int)n, p);
		}
	}
	free(buf);
	close(fd);
}

/* a < b for "2.36" and "2.41" (numbers compared part by part) */
static bool older(const char *a, const char *b)
{
	while (*a || *b) {
		unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);
		if (x != y)
			return x < y;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
		if ((*a && (*a < '0' || *a > '9')) || (*b && (*b < '0' || *b > '9')))
			break;
	}
	return false;
}

/* The host's dracut would run the host's programs on the tree's libraries:
 * refused when the tree's C library is newer than the host's. */
static int check_libc(const char *root, struct vc_error *err)
{
	static const char *const where[] = {
	    "/usr/lib/x86_64-linux-gnu/libc.so.6",
	    "/usr/lib/aarch64-linux-gnu/libc.so.6",
	    "/usr/lib/i386-linux-gnu/libc.so.6",
	    "/usr/lib/arm-linux-gnueabihf/libc.so.6",
	    "/usr/lib/riscv64-linux-gnu/libc.so.6",
	    "/lib/x86_64-linux-gnu/libc.so.6",
	    "/usr/lib64/libc.so.6",
	    "/lib64/libc.so.6",
	    "/usr/lib/libc.so.6",
	};
	const char *host = gnu_get_libc_version();
	char p[PATH_MAX], tree[32];

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", root, where[i]);
		libc_release(p, tree, sizeof(tree));
		if (!tree[0])
			continue;
		if (older(host, tree))
			return vc_errorf(
			    err, VC_EUNSUPP,
			    "dracut host: the tree's C library (glibc %s, %s) is newer than the "
			    "host's (glibc %s): the host's dracut runs the host's programs, which "
			    "would load the tree's libraries and fail; use the tree's dracut "
			    "(--dracut tree, the default), or give a ready initrd (--initrd F)",
			    tree, where[i] + 1, host);
		return 0;
	}
	return 0;
}

static int check_tree(const struct vc_dracut_options *o, const char *root, bool host,
		      struct vc_error *err)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/usr/lib/dracut/modules.d", root);
	if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
		return vc_errorf(err, VC_EINVAL,
				 "dracut: the tree '%s' has no dracut (usr/lib/dracut/modules.d): "
				 "dracut takes its modules from the tree; install dracut in it, or "
				 "give a ready initrd",
				 o->sysroot);
	if (!host) {
		const char *prog = o->dracut ? o->dracut : "/usr/bin/dracut";
		snprintf(p, sizeof(p), "%s%s", root, prog);
		if (prog[0] != '/' || lstat(p, &st) < 0)
			return vc_errorf(err, VC_EINVAL,
					 "dracut: the tree '%s' has no %s (install dracut in it, "
					 "or give a ready initrd)",
					 o->sysroot, prog);
		/* mount points: the tree is read-only inside */
		static const char *const mp[] = {"/proc", "/dev", "/tmp", "/var/tmp"};
		for (size_t i = 0; i < 4; i++) {
			snprintf(p, sizeof(p), "%s%s", root, mp[i]);
			if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
				return vc_errorf(
				    err, VC_EINVAL,
				    "dracut: the tree '%s' has no folder %s (dracut "
				    "runs in the tree, which needs it as a mount point)",
				    o->sysroot, mp[i]);
		}
	}
	if (o->no_kernel)
		return 0;
	snprintf(p, sizeof(p), "%s/lib/modules/%s/modules.dep", root, o->kver);
	if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
		return vc_errorf(err, VC_EINVAL,
				 "dracut: the tree '%s' lacks the kernel modules of %s "
				 "(lib/modules/%s/modules.dep)",
				 o->sysroot, o->kver, o->kver);
	return 0;
}

/* The wrapper that runs the tree's dracut in the tree. work is the host
 * folder holding tmp/vcompose (seen inside as VC_DRACUT_WORK) and vartmp. */
static int wrapper(const struct vc_dracut_options *o, enum vc_dracut_method m, const char *prog,
		   const char *root, const char *work, struct strlist *w, struct vc_error *err)
{
	/* dracut runs as a user other than root inside: the caller's uid, or
	 * nobody's for root. Root in a namespace differs by method (proot -0
	 * keeps u+rw on every chmod, bwrap's root does not), so the bytes
	 * would; as a user, both see the same modes. What a user cannot read
	 * is made readable before cpio (conf_tree). */
	unsigned uid = getuid() ? (unsigned)getuid() : 65534;
	unsigned gid = getuid() ? (unsigned)getgid() : 65534;
	int r;

	if ((r = pushf(w, err, "%s", prog)) < 0)
		return r;
	if (m == VC_DRACUT_BWRAP) {
		static const char *const fixed[] = {
		    "--unshare-user", "--unshare-pid",	   "--unshare-ipc", "--unshare-uts",
		    "--unshare-net",  "--die-with-parent", "--new-session"};
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			if ((r = pushf(w, err, "%s", fixed[i])) < 0)
				return r;
		if ((r = pushf(w, err, "--uid")) < 0 || (r = pushf(w, err, "%u", uid)) < 0 ||
		    (r = pushf(w, err, "--gid")) < 0 || (r = pushf(w, err, "%u", gid)) < 0 ||
		    (r = pushf(w, err, "--ro-bind")) < 0 || (r = pushf(w, err, "%s", root)) < 0 ||
		    (r = pushf(w, err, "/")) < 0 || (r = pushf(w, err, "--proc")) < 0 ||
		    (r = pushf(w, err, "/proc")) < 0 || (r = pushf(w, err, "--dev")) < 0 ||
		    (r = pushf(w, err, "/dev")) < 0 || (r = pushf(w, err, "--tmpfs")) < 0 ||
		    (r = pushf(w, err, "/tmp")) < 0 || (r = pushf(w, err, "--tmpfs")) < 0 ||
		    (r = pushf(w, err, "/var/tmp")) < 0 || (r = pushf(w, err, "--bind")) < 0 ||
		    (r = pushf(w, err, "%s/tmp/vcompose", work)) < 0 ||
		    (r = pushf(w, err, VC_DRACUT_WORK)) < 0)
			return r;
		if (o->include_dir && ((r = pushf(w, err, "--ro-bind")) < 0 ||
				       (r = pushf(w, err, "%s", o->include_dir)) < 0 ||
				       (r = pushf(w, err, VC_DRACUT_WORK "/include")) < 0))
			return r;
		if ((r = pushf(w, err, "--chdir")) < 0 || (r = pushf(w, err, "/")) < 0 ||
		    (r = pushf(w, err, "--")) < 0)
			return r;
		return 0;
	}
	/* proot: the same view by path translation (not read-only) */
	if ((r = pushf(w, err, "-r")) < 0 || (r = pushf(w, err, "%s", root)) < 0 ||
	    (r = pushf(w, err, "-b")) < 0 || (r = pushf(w, err, "/proc")) < 0 ||
	    (r = pushf(w, err, "-b")) < 0 || (r = pushf(w, err, "/dev")) < 0 ||
	    (r = pushf(w, err, "-b")) < 0 || (r = pushf(w, err, "%s/tmp:/tmp", work)) < 0 ||
	    (r = pushf(w, err, "-b")) < 0 || (r = pushf(w, err, "%s/vartmp:/var/tmp", work)) < 0)
		return r;
	if (o->include_dir &&
	    ((r = pushf(w, err, "-b")) < 0 ||
	     (r = pushf(w, err, "%s:" VC_DRACUT_WORK "/include", o->include_dir)) < 0))
		return r;
	if (!getuid() && ((r = pushf(w, err, "-i")) < 0 || (r = pushf(w, err, "65534:65534")) < 0))
		return r;
	if ((r = pushf(w, err, "-w")) < 0 || (r = pushf(w, err, "/")) < 0)
		return r;
	return 0;
}

/* proot 5.1 (Debian 12) does not know the system calls added since Linux
 * 5.3: it lets faccessat2 (which glibc 2.33+ tries first for access()) and
 * openat2 through with the path untranslated, so bash's `[[ -w DIR ]]` looks
 * at the host's path, and dracut stops with "No permission to write". A
 * seccomp filter on proot and its tracees answers them (and clone3) ENOSYS,
 * as an older kernel would: glibc falls back to faccessat and clone, which
 * proot translates. Numbers from the generic table, the same on every
 * architecture for calls numbered 424 and up. */
static int proot_filter(void)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 435 /* clone3 */, 3, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 437 /* openat2 */, 2, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 439 /* faccessat2 */, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

/* Runs argv with envp, stdin from /dev/null, stdout and stderr into fd, in
 * dir (under proot's filter when proot); *status as waitpid gives it. */
static int run(char *const *argv, char *const *envp, int fd, const char *dir, bool proot,
	       int *status, struct vc_error *err)
{
	pid_t pid = fork();

	if (pid < 0)
		return vc_errorf_errno(err, VC_EIO, errno, "dracut: fork");
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
		    chdir(dir) < 0 || (proot && proot_filter() < 0))
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return vc_errorf_errno(err, VC_EIO, errno, "dracut: waitpid");
	}
	return 0;
}

/* argv = a then b (b's strings copied). */
static int concat(const struct strlist *a, char *const *b, struct strlist *ret,
		  struct vc_error *err)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < a->n; i++)
		r = pushf(ret, err, "%s", a->v[i]);
	for (size_t i = 0; r == 0 && b[i]; i++)
		r = pushf(ret, err, "%s", b[i]);
	return r;
}

/* The first line of a file, printable, into out. */
static void first_line(const char *path, char *out, size_t size)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	out[0] = '\0';
	if (fd < 0)
		return;
	read_at(fd, 0, buf, sizeof(buf));
	close(fd);
	for (const char *p = buf; *p && *p != '\n' && n + 1 < size; p++)
		out[n++] = (unsigned char)*p < 0x20 ? '?' : *p;
	out[n] = '\0';
}

/* Can method m run the tree's dracut here? Runs `dracut --version` inside;
 * on success the version, else why not (appended to refused). */
static bool probe(const struct vc_dracut_options *o, enum vc_dracut_method m, const char *root,
		  const char *work, const struct vc_dracut_cmd *cmd, char *version, size_t vsize,
		  char *refused, size_t rsize, struct vc_error *err)
{
	const char *name = m == VC_DRACUT_BWRAP ? "bwrap" : "proot";
	const char *given = m == VC_DRACUT_BWRAP ? o->bwrap : o->proot;
	char *prog = find_program(given ? given : name);
	struct strlist w = {0}, full = {0};
	char path[PATH_MAX], line[200] = "";
	char *const vargv[] = {cmd->argv[0], "--version", NULL};
	int fd = -1, status = 0;
	bool ok = false;
	struct vc_error e = {0};

	if (!prog) {
		snprintf(line, sizeof(line), "%s not found%s", given ? given : name,
			 given && strchr(given, '/') ? "" : " in PATH");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/probe.log", work);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || wrapper(o, m, prog, root, work, &w, &e) < 0 ||
	    concat(&w, vargv, &full, &e) < 0 ||
	    run(full.v, cmd->envp, fd, "/", m == VC_DRACUT_PROOT, &status, &e) < 0) {
		snprintf(line, sizeof(line), "%.190s", e.msg[0] ? e.msg : strerror(errno));
		goto out;
	}
	/* "dracut 059-4" (dracut 059 then exits 1: the line is the answer) */
	char buf[512];
	read_at(fd, 0, buf, sizeof(buf));
	const char *v = strstr(buf, "dracut ");
	if (WIFEXITED(status) && v && (v == buf || v[-1] == '\n') && v[7] >= '0' && v[7] <= '9') {
		snprintf(version, vsize, "%.*s", (int)strcspn(v + 7, "\n "), v + 7);
		ok = true;
		goto out;
	}
	first_line(path, line, sizeof(line));
	/* "bwrap: No permissions to create new namespace, likely because ...":
	 * the first clause, without the program's name */
	char *l = line;
	if (!strncmp(l, name, strlen(name)) && (l[strlen(name)] == ':' || l[strlen(name)] == ' ')) {
		l += strlen(name);
		if (!strncmp(l, " error", 6))
			l += 6;
		while (*l == ':' || *l == ' ')
			l++;
	}
	l[strcspn(l, ",;<")] = '\0';
	memmove(line, l, strlen(l) + 1);
	for (size_t n = strlen(line); n && (line[n - 1] == ' ' || line[n - 1] == '.');)
		line[--n] = '\0';
	if (!line[0])
		snprintf(line, sizeof(line), "exit status %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
out:
	if (!ok) {
		size_t n = strlen(refused);
		snprintf(refused + n, rsize - n, "%s%s: %s", n ? "; " : "", name, line);
	}
	if (fd >= 0)
		close(fd);
	free_list(w.v);
	free_list(full.v);
	free(prog);
	(void)err;
	return ok;
}

/* Moves from to to: a rename, or a copy beside to then a rename. */
static int move_file(const char *from, const char *to, struct vc_error *err)
{
	char *tmp = NULL;
	int in = -1, out = -1, r = 0;
	char buf[1 << 16];

	if (rename(from, to) == 0)
		return 0;
	if (errno != EXDEV)
		return vc_errorf_errno(err, VC_EIO, errno, "dracut: rename to '%s'", to);
	if ((r = temp_beside(to, &tmp, &out, err)) < 0)
		return r;
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		r = vc_errorf_errno(err, VC_EIO, errno, "dracut: %s", from);
	for (off_t off = 0; r == 0;) {
		ssize_t n = pread(in, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = vc_errorf_errno(err, VC_EIO, errno, "dracut: %s", from);
		if (n <= 0)
			break;
		for (ssize_t done = 0; r == 0 && done < n;) {
			ssize_t k = pwrite(out, buf + done, (size_t)(n - done), off + done);
			if (k < 0 && errno != EINTR)
				r = vc_errorf_errno(err, VC_EIO, errno, "dracut: %s", tmp);
			else if (k > 0)
				done += k;
		}
		off += n;
	}
	if (in >= 0)
		close(in);
	if (close(out) < 0 && r == 0)
		r = vc_errorf_errno(err, VC_EIO, errno, "dracut: %s", tmp);
	if (r == 0 && rename(tmp, to) < 0)
		r = vc_errorf_errno(err, VC_EIO, errno, "dracut: rename to '%s'", to);
	if (r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}

/* The private work folder: tmp/vcompose (the configuration, an empty
 * conf.d, out/, the host's dracut's tmp/) and vartmp (proot's /var/tmp). */
static int make_work(const struct vc_dracut_options *o, bool host, char **ret, struct vc_error *err)
{
	const char *tmp = o->tmpdir ? o->tmpdir : getenv("TMPDIR");
	char p[PATH_MAX];
	char *work;
	int r;

	if (asprintf(&work, "%s/vcompose-dracut.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		return vc_errorf(err, VC_ENOMEM, "dracut: out of memory");
	if (!mkdtemp(work)) {
		r = vc_errorf_errno(err, VC_EIO, errno, "dracut: cannot create '%s'", work);
		free(work);
		return r;
	}
	*ret = work; /* removed by the caller, also on error */
	if ((r = mkdir_in(work, "/tmp", err)) < 0 || (r = mkdir_in(work, "/vartmp", err)) < 0 ||
	    (r = mkdir_in(work, "/tmp/vcompose", err)) < 0 ||
	    (r = mkdir_in(work, "/tmp/vcompose/conf.d", err)) < 0 ||
	    (r = mkdir_in(work, "/tmp/vcompose/out", err)) < 0 ||
	    (r = mkdir_in(work, "/tmp/vcompose/tmp", err)) < 0 ||
	    (o->include_dir && (r = mkdir_in(work, "/tmp/vcompose/include", err)) < 0))
		return r;
	snprintf(p, sizeof(p), "%.3000s/tmp/vcompose/vcompose-dracut.conf", work);
	const char *conf = vc_dracut_conf(host);
	r = vc_write_file(p, conf, strlen(conf), 0644, err);
	if (r < 0)
		vc_error_prefix(err, "dracut");
	return r;
}

/* The host's dracut's version: <prefix>/bin/dracut ->
 * <prefix>/lib/dracut/dracut-version.sh, else /usr/lib's. */
static void host_version(const char *prog, char *version, size_t cap)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", prog);
	char *slash = strrchr(p, '/');
	if (slash && slash > p) {
		*slash = '\0';
		slash = strrchr(p, '/');
		if (slash) {
			snprintf(slash, sizeof(p) - (size_t)(slash - p),
				 "/lib/dracut/dracut-version.sh");
			version_file(p, version, cap);
		}
	}
	if (!version[0])
		version_file("/usr/lib/dracut/dracut-version.sh", version, cap);
}

/* The first method that runs the tree's dracut here (bwrap, else proot; or
 * the one asked for), and its wrapper's argv in w. */
static int tree_method(const struct vc_dracut_options *o, const char *root, const char *work,
		       const struct vc_dracut_cmd *cmd, struct vc_dracut_result *res,
		       struct strlist *w, struct vc_error *err)
{
	static const enum vc_dracut_method order[] = {VC_DRACUT_BWRAP, VC_DRACUT_PROOT};
	enum vc_dracut_method m = o->method;
	bool ok = false;
	int r;

	for (size_t i = 0; !ok && i < 2; i++) {
		m = o->method == VC_DRACUT_AUTO ? order[i] : o->method;
		ok = probe(o, m, root, work, cmd, res->version, sizeof(res->version), res->refused,
			   sizeof(res->refused), err);
		if (o->method != VC_DRACUT_AUTO)
			break;
	}
	if (!ok)
		return vc_errorf(err, VC_EIO,
				 "dracut: the tree's dracut cannot run here (%s); give a ready "
				 "initrd (--initrd F), or use the host's dracut (--dracut host)",
				 res->refused);
	res->method = m;
	char *prog = find_program(m == VC_DRACUT_BWRAP ? (o->bwrap ? o->bwrap : "bwrap")
						       : (o->proot ? o->proot : "proot"));
	r = prog ? wrapper(o, m, prog, root, work, w, err)
		 : vc_errorf(err, VC_EIO, "dracut: %s vanished", vc_dracut_method_name(m));
	free(prog);
	return r;
}

/* dracut exited non-zero or was killed: its error lines and the log's name. */
static int failed(const struct vc_dracut_options *o, const struct vc_dracut_result *res, int status,
		  int log_fd, struct vc_error *err)
{
	const bool host = o->method == VC_DRACUT_HOST;
	char summary[380], how[96];

	log_summary(log_fd, summary, sizeof(summary));
	snprintf(how, sizeof(how), "the %s's dracut %s%s%s", host ? "host" : "tree", res->version,
		 host ? "" : " under ", host ? "" : vc_dracut_method_name(res->method));
	if (WIFEXITED(status))
		return vc_errorf(err, VC_EINVAL, "%s failed (exit status %d)%s%s:%s", how,
				 WEXITSTATUS(status), o->log ? "; full log: " : "",
				 o->log ? o->log : "", summary);
	return vc_errorf(err, VC_EINVAL, "%s was killed by signal %d%s%s:%s", how, WTERMSIG(status),
			 o->log ? "; full log: " : "", o->log ? o->log : "", summary);
}

int vc_dracut_run(const struct vc_dracut_options *o, struct vc_dracut_result *ret,
		  struct vc_error *err)
{
	const bool host = o->method == VC_DRACUT_HOST;
	struct vc_dracut_options oo = *o;
	struct vc_dracut_cmd cmd = {0};
	struct vc_dracut_result res = {.method = o->method, .from_tree = !host};
	struct strlist w = {0}, full = {0};
	char *prog = NULL, *root = NULL, *work = NULL, *log_tmp = NULL;
	char vc[PATH_MAX], inner[PATH_MAX], p[PATH_MAX];
	int log_fd = -1, r, status;

	if (!o->output || !*o->output)
		return vc_errorf(err, VC_EINVAL, "dracut: no output file given");
	if (!o->sysroot || !*o->sysroot)
		return vc_errorf(err, VC_EINVAL, "dracut: no tree folder given");
	if ((unsigned)o->method > VC_DRACUT_HOST)
		return vc_errorf(err, VC_EINVAL, "dracut: unknown method %d", (int)o->method);
	if (host) {
		prog = find_program(o->dracut ? o->dracut : "dracut");
		if (!prog)
			return vc_errorf(
			    err, VC_EIO,
			    "dracut: '%s' not found%s (install dracut, or give a ready initrd)",
			    o->dracut ? o->dracut : "dracut",
			    o->dracut && strchr(o->dracut, '/') ? "" : " in PATH");
	}
	root = realpath(o->sysroot, NULL);
	if (!root) {
		r = vc_errorf_errno(err, VC_EINVAL, errno, "dracut: tree folder '%s'", o->sysroot);
		goto out;
	}
	oo.sysroot = root;
	if ((r = check_tree(o, root, host, err)) < 0)
		goto out;
	if (host && (r = check_libc(root, err)) < 0)
		goto out;

	if ((r = make_work(o, host, &work, err)) < 0)
		goto out;
	snprintf(vc, sizeof(vc), "%s/tmp/vcompose", work);

	/* The log beside its final name (renamed at the end, also on failure). */
	if (o->log) {
		if ((r = temp_beside(o->log, &log_tmp, &log_fd, err)) < 0)
			goto out;
	} else {
		snprintf(p, sizeof(p), "%s/dracut.log", work);
		log_fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			r = vc_errorf_errno(err, VC_EIO, errno, "dracut: %s", p);
			goto out;
		}
	}
	/* dracut's command, with the work folder as dracut sees it */
	const char *wd = host ? vc : VC_DRACUT_WORK;
	snprintf(inner, sizeof(inner), "%.3000s/out/initrd.img", wd);
	if (host)
		oo.dracut = prog;
	if ((r = vc_dracut_command(&oo, inner, wd, &cmd, err)) < 0)
		goto out;

	if (host) {
		host_version(prog, res.version, sizeof(res.version));
	} else if ((r = tree_method(o, root, work, &cmd, &res, &w, err)) < 0) {
		goto out;
	}
	if ((r = concat(&w, cmd.argv, &full, err)) < 0)
		goto out;
	if ((r = run(full.v, cmd.envp, log_fd, host ? vc : "/", res.method == VC_DRACUT_PROOT,
		     &status, err)) < 0)
		goto out;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r = failed(o, &res, status, log_fd, err);
		/* The log is what explains the failure: keep it. */
		if (o->log && rename(log_tmp, o->log) == 0) {
			free(log_tmp);
			log_tmp = NULL;
		}
		goto out;
	}
	struct stat st;
	snprintf(p, sizeof(p), "%.3000s/out/initrd.img", vc);
	if (stat(p, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		r = vc_errorf(err, VC_EIO, "dracut: exited 0 but wrote no initrd");
		goto out;
	}
	if ((r = move_file(p, o->output, err)) < 0)
		goto out;
	if (o->log) {
		if (rename(log_tmp, o->log) < 0) {
			r = vc_errorf_errno(err, VC_EIO, errno, "dracut: rename to '%s'", o->log);
			unlink(o->output);
			goto out;
		}
		free(log_tmp);
		log_tmp = NULL;
	}
	if (ret)
		*ret = res;
	r = 0;
out:
	vc_dracut_command_fini(&cmd);
	free_list(w.v);
	free_list(full.v);
	if (log_fd >= 0)
		close(log_fd);
	if (log_tmp)
		unlink(log_tmp);
	if (work)
		remove_tree(work);
	free(log_tmp);
	free(work);
	free(root);
	free(prog);
	return r;
}
