/* SPDX-License-Identifier: MIT */
/* Runs dracut against the tree. Spec: dracut(8), dracut 059 as shipped by
 * Debian 12 (/usr/bin/dracut). See include/vcompose/dracut.h. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vcompose/dracut.h"

#define DRACUT_DEFAULT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
#define DRACUT_LIST_MAX	    1024 /* items in one list */
#define DRACUT_TAIL_BYTES   4096 /* how much of the log end to look at */
#define DRACUT_TAIL_LINES   6

/* dracut 059 fills these in only when "$dracutsysrootdir$value" is not a
 * folder (from the host's pkg-config, then a default). With a sysroot and an
 * empty value the test looks at the sysroot itself, which is a folder, so
 * they stay empty (/usr/bin/dracut near line 1392 and 1720-1925). The values
 * are those of a merged-/usr Debian 12 system with systemd 252; dracut still
 * falls back to its defaults for any that the tree lacks. */
static const char conf_text[] =
    "# Written by vcompose for one dracut run; replaces the tree's dracut.conf.\n"
    "hostonly=\"no\"\n"
    "hostonly_cmdline=\"no\"\n"
    "systemdutildir=\"/usr/lib/systemd\"\n"
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

const char *vc_dracut_conf(void)
{
	return conf_text;
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
	const char *path = getenv("PATH");
	int r;

	if (!o->sysroot || !*o->sysroot)
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
	if ((r = pushf(&a, err, "%s", o->dracut ? o->dracut : "dracut")) < 0 ||
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
	/* After "--": a positional argument, which dracut does not store. */
	if ((r = pushf(&a, err, "--")) < 0 || (r = pushf(&a, err, "%s", outfile)) < 0)
		goto fail;

	/* The environment, from scratch. */
	if ((r = pushf(&e, err, "PATH=%s", path && *path ? path : DRACUT_DEFAULT_PATH)) < 0 ||
	    (r = pushf(&e, err, "LC_ALL=C")) < 0 || (r = pushf(&e, err, "TZ=UTC")) < 0 ||
	    (r = pushf(&e, err, "SOURCE_DATE_EPOCH=%" PRId64, o->source_date_epoch)) < 0 ||
	    (r = pushf(&e, err, "TMPDIR=%s/tmp", workdir)) < 0 ||
	    (r = pushf(&e, err, "dracutsysrootdir=%s", o->sysroot)) < 0 ||
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

static int write_all(const char *path, const char *text, struct vc_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text), off = 0;

	if (fd < 0)
		return vc_errorf_errno(err, VC_EIO, errno, "dracut: %s", path);
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return vc_errorf_errno(err, VC_EIO, e, "dracut: %s", path);
		}
		off += (size_t)n;
	}
	if (close(fd) < 0)
		return vc_errorf_errno(err, VC_EIO, errno, "dracut: %s", path);
	return 0;
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

/* The last lines of the log, each indented, into out. */
static void log_tail(int fd, char *out, size_t size)
{
	char buf[DRACUT_TAIL_BYTES + 1];
	off_t end = lseek(fd, 0, SEEK_END);
	off_t start = end > DRACUT_TAIL_BYTES ? end - DRACUT_TAIL_BYTES : 0;
	ssize_t n = end > 0 ? pread(fd, buf, (size_t)(end - start), start) : 0;
	size_t len = n > 0 ? (size_t)n : 0;
	int lines = 0;
	size_t from;

	out[0] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	buf[len] = '\0';
	for (from = len; from > 0; from--) {
		if (buf[from - 1] == '\n' && ++lines == DRACUT_TAIL_LINES)
			break;
	}
	size_t o = 0;
	for (size_t i = from; i < len && o + 4 < size; i++) {
		if (i == from || buf[i - 1] == '\n') {
			out[o++] = '\n';
			out[o++] = ' ';
			out[o++] = ' ';
		}
		if (buf[i] != '\n')
			out[o++] = (unsigned char)buf[i] < 0x20 && buf[i] != '\t' ? '?' : buf[i];
	}
	out[o] = '\0';
}

static int check_tree(const struct vc_dracut_options *o, const char *root, struct vc_error *err)
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

int vc_dracut_run(const struct vc_dracut_options *o, struct vc_error *err)
{
	struct vc_dracut_options oo = *o;
	struct vc_dracut_cmd cmd = {0};
	char *prog = NULL, *root = NULL, *workdir = NULL, *out_tmp = NULL, *log_tmp = NULL;
	char *out_abs = NULL, *path = NULL;
	int out_fd = -1, log_fd = -1, r;
	const char *tmp = o->tmpdir ? o->tmpdir : getenv("TMPDIR");

	if (!o->output || !*o->output)
		return vc_errorf(err, VC_EINVAL, "dracut: no output file given");
	if (!o->sysroot || !*o->sysroot)
		return vc_errorf(err, VC_EINVAL, "dracut: no tree folder given");
	prog = find_program(o->dracut ? o->dracut : "dracut");
	if (!prog)
		return vc_errorf(
		    err, VC_EIO,
		    "dracut: '%s' not found%s (install dracut, or give a ready initrd)",
		    o->dracut ? o->dracut : "dracut",
		    o->dracut && strchr(o->dracut, '/') ? "" : " in PATH");
	root = realpath(o->sysroot, NULL);
	if (!root) {
		r = vc_errorf_errno(err, VC_EINVAL, errno, "dracut: tree folder '%s'", o->sysroot);
		goto out;
	}
	oo.sysroot = root;
	if ((r = check_tree(o, root, err)) < 0)
		goto out;

	/* A private work folder: the configuration, an empty conf.d, TMPDIR. */
	if (asprintf(&workdir, "%s/vcompose-dracut.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
		workdir = NULL;
		r = vc_errorf(err, VC_ENOMEM, "dracut: out of memory");
		goto out;
	}
	if (!mkdtemp(workdir)) {
		r = vc_errorf_errno(err, VC_EIO, errno, "dracut: cannot create '%s'", workdir);
		free(workdir);
		workdir = NULL;
		goto out;
	}
	if (asprintf(&path, "%s/conf.d", workdir) < 0) {
		path = NULL;
		r = vc_errorf(err, VC_ENOMEM, "dracut: out of memory");
		goto out;
	}
	if (mkdir(path, 0700) < 0) {
		r = vc_errorf_errno(err, VC_EIO, errno, "dracut: cannot create conf.d in '%s'",
				    workdir);
		goto out;
	}
	free(path);
	path = NULL;
	if (asprintf(&path, "%s/tmp", workdir) < 0) {
		path = NULL;
		r = vc_errorf(err, VC_ENOMEM, "dracut: out of memory");
		goto out;
	}
	if (mkdir(path, 0700) < 0) {
		r = vc_errorf_errno(err, VC_EIO, errno, "dracut: cannot create tmp in '%s'",
				    workdir);
		goto out;
	}
	free(path);
	path = NULL;
	if (asprintf(&path, "%s/vcompose-dracut.conf", workdir) < 0) {
		path = NULL;
		r = vc_errorf(err, VC_ENOMEM, "dracut: out of memory");
		goto out;
	}
	if ((r = write_all(path, conf_text, err)) < 0)
		goto out;

	/* Output and log beside their final names, renamed at the end. */
	if ((r = temp_beside(o->output, &out_tmp, &out_fd, err)) < 0)
		goto out;
	out_abs = realpath(out_tmp, NULL);
	if (!out_abs) {
		r = vc_errorf_errno(err, VC_EIO, errno, "dracut: %s", out_tmp);
		goto out;
	}
	if (o->log) {
		if ((r = temp_beside(o->log, &log_tmp, &log_fd, err)) < 0)
			goto out;
	} else {
		free(path);
		path = NULL;
		if (asprintf(&path, "%s/dracut.log", workdir) < 0) {
			path = NULL;
			r = vc_errorf(err, VC_ENOMEM, "dracut: out of memory");
			goto out;
		}
		log_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			r = vc_errorf_errno(err, VC_EIO, errno, "dracut: %s", path);
			goto out;
		}
	}
	oo.dracut = prog;
	if ((r = vc_dracut_command(&oo, out_abs, workdir, &cmd, err)) < 0)
		goto out;

	pid_t pid = fork();
	if (pid < 0) {
		r = vc_errorf_errno(err, VC_EIO, errno, "dracut: fork");
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(log_fd, 1) < 0 ||
		    dup2(log_fd, 2) < 0 || chdir(workdir) < 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execve(prog, cmd.argv, cmd.envp);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = vc_errorf_errno(err, VC_EIO, errno, "dracut: waitpid");
			goto out;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char tail[360];
		log_tail(log_fd, tail, sizeof(tail));
		if (WIFEXITED(status))
			r = vc_errorf(err, VC_EIO,
				      "dracut failed (exit status %d)%s%s; its log ends:%s",
				      WEXITSTATUS(status), o->log ? ", log in " : "",
				      o->log ? o->log : "", tail);
		else
			r = vc_errorf(err, VC_EIO,
				      "dracut was killed by signal %d%s%s; its log ends:%s",
				      WTERMSIG(status), o->log ? ", log in " : "",
				      o->log ? o->log : "", tail);
		/* The log is what explains the failure: keep it. */
		if (o->log && rename(log_tmp, o->log) == 0) {
			free(log_tmp);
			log_tmp = NULL;
		}
		goto out;
	}
	struct stat st;
	if (fstat(out_fd, &st) < 0 || stat(out_tmp, &st) < 0 || st.st_size == 0) {
		r = vc_errorf(err, VC_EIO, "dracut: exited 0 but wrote no initrd to '%s'", out_tmp);
		goto out;
	}
	if (rename(out_tmp, o->output) < 0) {
		r = vc_errorf_errno(err, VC_EIO, errno, "dracut: rename to '%s'", o->output);
		goto out;
	}
	free(out_tmp);
	out_tmp = NULL;
	if (o->log) {
		if (rename(log_tmp, o->log) < 0) {
			r = vc_errorf_errno(err, VC_EIO, errno, "dracut: rename to '%s'", o->log);
			unlink(o->output);
			goto out;
		}
		free(log_tmp);
		log_tmp = NULL;
	}
	r = 0;
out:
	vc_dracut_command_fini(&cmd);
	if (out_fd >= 0)
		close(out_fd);
	if (log_fd >= 0)
		close(log_fd);
	if (out_tmp)
		unlink(out_tmp);
	if (log_tmp)
		unlink(log_tmp);
	if (workdir)
		remove_tree(workdir);
	free(out_tmp);
	free(log_tmp);
	free(out_abs);
	free(workdir);
	free(path);
	free(root);
	free(prog);
	return r;
}
