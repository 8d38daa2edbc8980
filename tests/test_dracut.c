/* SPDX-License-Identifier: MIT */
/* dracut module tests: the exact command and environment, the checks of the
 * tree, a stand-in dracut (a shell script that records what it was given),
 * failure reporting, and one real dracut 059 run when the host has dracut
 * (read back with lsinitrd, run twice to compare bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "vcompose/dracut.h"
#include "test_util.h"

static char tmpdir[256];

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", tmpdir, name);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[512];

	path_of(path, sizeof(path), name);
	vc_test_write(path, text, mode);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[65536];
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static bool exists(const char *name)
{
	char path[512];

	path_of(path, sizeof(path), name);
	return access(path, F_OK) == 0;
}

static void mkdir_p(const char *name)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", tmpdir, name);
	assert_int_equal(system(cmd), 0);
}

/* Folder entries other than . and .., as "a b c". */
static void list_dir(const char *name, char *out, size_t size)
{
	char cmd[700];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "ls -A '%s/%s' | tr '\\n' ' '", tmpdir, name);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	pclose(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/dracut-test-XXXXXX", VC_BINARY_DIR);
	if (!mkdtemp(tmpdir))
		return -1;
	/* A tree with dracut's module folder and one kernel's modules. */
	mkdir_p("tree/usr/lib/dracut/modules.d");
	mkdir_p("tree/usr/lib/modules/6.1.0-9-amd64");
	write_file("tree/usr/lib/modules/6.1.0-9-amd64/modules.dep", "", 0644);
	char p[512];
	path_of(p, sizeof(p), "tree/lib");
	if (symlink("usr/lib", p) < 0)
		return -1;
	mkdir_p("work");
	mkdir_p("out");
	mkdir_p("notree");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return vc_test_rmtree(tmpdir);
}

static void command_is_exact(void **state)
{
	const char *install[] = {"/usr/sbin/veritysetup", "/usr/bin/systemd-escape", NULL};
	const char *add[] = {"systemd", "systemd-initrd", "systemd-veritysetup", "dm", NULL};
	const char *omit[] = {"plymouth", NULL};
	const char *drivers[] = {"dm-mod", "dm-verity", "erofs", NULL};
	const char *force[] = {"dm-verity", NULL};
	const char *nodrv[] = {"floppy", NULL};
	const char *fs[] = {"erofs", NULL};
	struct vc_dracut_options o = {
	    .dracut = "/usr/bin/dracut",
	    .method = VC_DRACUT_HOST,
	    .sysroot = "/work/tree",
	    .kver = "6.1.0-9-amd64",
	    .source_date_epoch = 1700000000,
	    .install = install,
	    .add_modules = add,
	    .omit_modules = omit,
	    .add_drivers = drivers,
	    .force_drivers = force,
	    .omit_drivers = nodrv,
	    .filesystems = fs,
	};
	static const char *const want[] = {
	    "/usr/bin/dracut",
	    "--force",
	    "--no-hostonly",
	    "--reproducible",
	    "--no-uefi",
	    "--kver",
	    "6.1.0-9-amd64",
	    "--compress",
	    "zstd",
	    "--add",
	    "systemd systemd-initrd systemd-veritysetup dm",
	    "--omit",
	    "plymouth",
	    "--add-drivers",
	    "dm-mod dm-verity erofs",
	    "--force-drivers",
	    "dm-verity",
	    "--omit-drivers",
	    "floppy",
	    "--filesystems",
	    "erofs",
	    "--install",
	    "/usr/sbin/veritysetup /usr/bin/systemd-escape",
	    "--",
	    "/out/.initrd.img.abc123",
	    NULL,
	};
	struct vc_dracut_cmd cmd = {0};
	struct vc_error err;
	size_t i;

	(void)state;
	setenv("PATH", "/usr/sbin:/usr/bin", 1);
	assert_int_equal(vc_dracut_command(&o, "/out/.initrd.img.abc123", "/tmp/w", &cmd, &err), 0);
	for (i = 0; want[i]; i++) {
		assert_non_null(cmd.argv[i]);
		assert_string_equal(cmd.argv[i], want[i]);
	}
	assert_null(cmd.argv[i]);
	/* No host path among the options (dracut stores them in the initrd). */
	for (i = 0; cmd.argv[i] && strcmp(cmd.argv[i], "--"); i++) {
		assert_null(strstr(cmd.argv[i], "/work/tree"));
		assert_null(strstr(cmd.argv[i], "/tmp/w"));
	}
	static const char *const env[] = {
	    "PATH=/usr/sbin:/usr/bin",
	    "LC_ALL=C",
	    "TZ=UTC",
	    "SOURCE_DATE_EPOCH=1700000000",
	    "TMPDIR=/tmp/w/tmp",
	    "dracutsysrootdir=/work/tree",
	    "conffile=/tmp/w/vcompose-dracut.conf",
	    "confdir=/tmp/w/conf.d",
	    NULL,
	};
	for (i = 0; env[i]; i++) {
		assert_non_null(cmd.envp[i]);
		assert_string_equal(cmd.envp[i], env[i]);
	}
	assert_null(cmd.envp[i]);
	vc_dracut_command_fini(&cmd);

	/* set_modules, no_kernel, another compressor; empty lists leave no option. */
	const char *set[] = {"bash", NULL};
	struct vc_dracut_options o2 = {.sysroot = "t",
				       .method = VC_DRACUT_HOST,
				       .kver = "6.1",
				       .no_kernel = true,
				       .compress = "cat",
				       .set_modules = set};
	assert_int_equal(vc_dracut_command(&o2, "x", "/w", &cmd, &err), 0);
	static const char *const want2[] = {"dracut",
					    "--force",
					    "--no-hostonly",
					    "--reproducible",
					    "--no-uefi",
					    "--kver",
					    "6.1",
					    "--no-kernel",
					    "--compress",
					    "cat",
					    "--modules",
					    "bash",
					    "--",
					    "x",
					    NULL};
	for (i = 0; want2[i]; i++)
		assert_string_equal(cmd.argv[i], want2[i]);
	assert_null(cmd.argv[i]);
	vc_dracut_command_fini(&cmd);

	/* The tree's dracut: the tree's PATH (not the caller's), paths inside
	 * only, root's mknod off, cpio owners 0:0, extra files at "/". */
	struct vc_dracut_options o3 = {.kver = "6.12",
				       .source_date_epoch = 7,
				       .set_modules = set,
				       .include_dir = "/host/extra"};
	setenv("PATH", "/host/bin", 1);
	assert_int_equal(
	    vc_dracut_command(&o3, VC_DRACUT_WORK "/out/initrd.img", VC_DRACUT_WORK, &cmd, &err),
	    0);
	static const char *const want3[] = {"/usr/bin/dracut",
					    "--force",
					    "--no-hostonly",
					    "--reproducible",
					    "--no-uefi",
					    "--kver",
					    "6.12",
					    "--compress",
					    "zstd",
					    "--modules",
					    "bash",
					    "--include",
					    "/tmp/vcompose/include",
					    "/",
					    "--",
					    "/tmp/vcompose/out/initrd.img",
					    NULL};
	for (i = 0; want3[i]; i++)
		assert_string_equal(cmd.argv[i], want3[i]);
	assert_null(cmd.argv[i]);
	static const char *const env3[] = {
	    "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	    "LC_ALL=C",
	    "TZ=UTC",
	    "SOURCE_DATE_EPOCH=7",
	    "TMPDIR=/var/tmp",
	    "DRACUT_NO_MKNOD=1",
	    "DRACUT_NO_XATTR=1",
	    "cpio_owner=0:0",
	    "conffile=/tmp/vcompose/vcompose-dracut.conf",
	    "confdir=/tmp/vcompose/conf.d",
	    NULL,
	};
	for (i = 0; env3[i]; i++)
		assert_string_equal(cmd.envp[i], env3[i]);
	assert_null(cmd.envp[i]);
	vc_dracut_command_fini(&cmd);
	/* extra files need the tree's dracut */
	o3.method = VC_DRACUT_HOST;
	o3.sysroot = "/t";
	assert_int_equal(vc_dracut_command(&o3, "x", "/w", &cmd, &err), VC_EUNSUPP);
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
}

static void command_refuses_bad_items(void **state)
{
	const char *blank[] = {"dm verity", NULL};
	const char *quote[] = {"dm\"x", NULL};
	const char *rel[] = {"usr/sbin/veritysetup", NULL};
	struct vc_dracut_cmd cmd = {0};
	struct vc_error err;
	struct vc_dracut_options o = {.sysroot = "/t", .kver = "6.1", .source_date_epoch = 1};

	(void)state;
	o.add_drivers = blank;
	assert_int_equal(vc_dracut_command(&o, "x", "/w", &cmd, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "--add-drivers: 'dm verity'"));
	o.add_drivers = NULL;
	o.add_modules = quote;
	assert_int_equal(vc_dracut_command(&o, "x", "/w", &cmd, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "--add"));
	o.add_modules = NULL;
	o.install = rel;
	assert_int_equal(vc_dracut_command(&o, "x", "/w", &cmd, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "usr/sbin/veritysetup"));
	o.install = NULL;
	o.kver = "../../etc";
	assert_int_equal(vc_dracut_command(&o, "x", "/w", &cmd, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "kernel version '../../etc'"));
	o.kver = "6.1";
	o.source_date_epoch = -5;
	assert_int_equal(vc_dracut_command(&o, "x", "/w", &cmd, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "-5"));
	assert_null(cmd.argv);
}

static void conf_sets_every_directory(void **state)
{
	static const char *const vars[] = {
	    "systemdutildir", "systemdsystemunitdir",
	    "udevdir",	      "udevrulesdir",
	    "tmpfilesdir",    "sysusers",
	    "modulesload",    "depmodd",
	    "dbus",	      "dbussystem",
	    "systemdcatalog", NULL,
	};
	const char *conf = vc_dracut_conf(true);
	size_t n = 0;

	(void)state;
	for (size_t i = 0; vars[i]; i++) {
		char key[64];
		snprintf(key, sizeof(key), "\n%s=\"/", vars[i]);
		assert_non_null(strstr(conf, key));
	}
	for (const char *p = conf; (p = strstr(p, "=\"/")); p++)
		n++;
	assert_int_equal(n, 41);
	assert_null(strstr(conf, "=\"\""));
	assert_non_null(strstr(conf, "hostonly=\"no\""));
	/* the tree's dracut, with the tree as "/", finds its folders itself */
	conf = vc_dracut_conf(false);
	assert_non_null(strstr(conf, "hostonly=\"no\""));
	assert_null(strstr(conf, "systemdutildir"));
}

static void missing_dracut(void **state)
{
	struct vc_error err;
	char tree[512], out[512];
	struct vc_dracut_options o = {.kver = "6.1.0-9-amd64", .method = VC_DRACUT_HOST};

	(void)state;
	path_of(tree, sizeof(tree), "tree");
	path_of(out, sizeof(out), "out/initrd.img");
	o.sysroot = tree;
	o.output = out;
	o.dracut = "/nonexistent/dracut";
	assert_int_equal(vc_dracut_run(&o, NULL, &err), VC_EIO);
	assert_non_null(strstr(err.msg, "'/nonexistent/dracut' not found"));
	o.dracut = "vcompose-no-such-dracut";
	assert_int_equal(vc_dracut_run(&o, NULL, &err), VC_EIO);
	assert_non_null(strstr(err.msg, "not found in PATH"));
	assert_false(exists("out/initrd.img"));
}

/* The stand-in records its arguments and environment and the config it was
 * given, writes an initrd to its last argument, and checks that its TMPDIR
 * is not in the tree. */
static const char fake_ok[] =
    "#!/bin/sh\n"
    "for last; do :; done\n"
    "{ printf '%s\\n' \"$@\"; echo \"sysroot=$dracutsysrootdir\"; echo \"tmp=$TMPDIR\";\n"
    "  echo \"epoch=$SOURCE_DATE_EPOCH\"; echo \"pwd=$(pwd)\"; env | sort; } > \"$last\"\n"
    "cat \"$conffile\" >> \"$last\"\n"
    "test -d \"$confdir\" && test -d \"$TMPDIR\" || exit 9\n"
    "echo 'dracut: *** Creating image file ***' >&2\n";

static const char fake_fail[] =
    "#!/bin/sh\n"
    "for i in 1 2 3 4 5 6 7 8 9 10; do echo \"dracut: line $i\" >&2; done\n"
    "echo 'dracut: FATAL: Module systemd-veritysetup cannot be installed.' >&2\n"
    "exit 1\n";

static void fake_dracut_run(void **state)
{
	struct vc_error err;
	char tree[512], out[512], log[512], prog[512], work[512], listing[512];
	const char *drivers[] = {"dm-verity", NULL};
	struct vc_dracut_options o = {.kver = "6.1.0-9-amd64",
				      .method = VC_DRACUT_HOST,
				      .source_date_epoch = 42,
				      .add_drivers = drivers};
	char *text;

	(void)state;
	write_file("fake-dracut", fake_ok, 0755);
	path_of(prog, sizeof(prog), "fake-dracut");
	path_of(tree, sizeof(tree), "tree");
	path_of(out, sizeof(out), "out/initrd.img");
	path_of(log, sizeof(log), "out/dracut.log");
	path_of(work, sizeof(work), "work");
	o.dracut = prog;
	o.sysroot = tree;
	o.output = out;
	o.log = log;
	o.tmpdir = work;
	if (vc_dracut_run(&o, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	text = read_file(out);
	assert_non_null(text);
	assert_non_null(strstr(text, "--add-drivers\ndm-verity\n"));
	assert_non_null(strstr(text, "--kver\n6.1.0-9-amd64\n"));
	assert_non_null(strstr(text, "sysroot=/")); /* absolute */
	assert_non_null(strstr(text, "/tree\n"));
	assert_non_null(strstr(text, "tmp=/"));
	assert_non_null(strstr(text, "/work/vcompose-dracut."));
	assert_non_null(strstr(text, "epoch=42\n"));
	assert_non_null(strstr(text, "\nTZ=UTC\n"));
	assert_null(strstr(text, "\nHOME=")); /* a clean environment */
	assert_non_null(strstr(text, "systemdutildir=\"/usr/lib/systemd\""));
	text = read_file(log);
	assert_non_null(text);
	assert_non_null(strstr(text, "Creating image file"));
	/* Nothing left behind: no temporaries beside the outputs, no work folder,
	 * nothing written into the tree. */
	list_dir("out", listing, sizeof(listing));
	assert_string_equal(listing, "dracut.log initrd.img ");
	list_dir("work", listing, sizeof(listing));
	assert_string_equal(listing, "");
	list_dir("tree", listing, sizeof(listing));
	assert_string_equal(listing, "lib usr ");

	/* Failure: exit status, the tail of the log, no initrd, the log kept. */
	unlink(out);
	unlink(log);
	write_file("fake-dracut", fake_fail, 0755);
	assert_int_equal(vc_dracut_run(&o, NULL, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "host's dracut"));
	assert_non_null(strstr(err.msg, "failed (exit status 1)"));
	assert_non_null(strstr(err.msg, "FATAL: Module systemd-veritysetup cannot be installed"));
	assert_non_null(strstr(err.msg, "line 10"));
	assert_null(strstr(err.msg, "line 4\n"));
	assert_non_null(strstr(err.msg, "dracut.log"));
	list_dir("out", listing, sizeof(listing));
	assert_string_equal(listing, "dracut.log ");
	list_dir("work", listing, sizeof(listing));
	assert_string_equal(listing, "");
	unlink(log);
}

static void tree_checks(void **state)
{
	struct vc_error err;
	char tree[512], out[512], prog[512];
	struct vc_dracut_options o = {.kver = "6.1.0-9-amd64", .method = VC_DRACUT_HOST};

	(void)state;
	write_file("fake-dracut", fake_ok, 0755);
	path_of(prog, sizeof(prog), "fake-dracut");
	path_of(out, sizeof(out), "out/initrd.img");
	o.dracut = prog;
	o.output = out;
	path_of(tree, sizeof(tree), "notree");
	o.sysroot = tree;
	assert_int_equal(vc_dracut_run(&o, NULL, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "has no dracut (usr/lib/dracut/modules.d)"));
	path_of(tree, sizeof(tree), "tree");
	o.sysroot = tree;
	o.kver = "6.1.0-10-amd64";
	assert_int_equal(vc_dracut_run(&o, NULL, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "lacks the kernel modules of 6.1.0-10-amd64"));
	path_of(tree, sizeof(tree), "no-such-folder");
	o.sysroot = tree;
	assert_int_equal(vc_dracut_run(&o, NULL, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "no-such-folder"));
	assert_false(exists("out/initrd.img"));
}

/* The host's dracut 059 itself, with the host's "/" as the tree (it holds
 * dracut, /proc, /dev, /tmp and /var/tmp), run inside it under bwrap, without
 * kernel modules and with only the "bash" module: a few seconds a run,
 * enough to check what it stores. Runs as its own ctest (dracut_real, label
 * "slow", VC_DRACUT_REAL=1; =2 also runs it under proot and compares the
 * bytes); skipped when the host has no dracut, bwrap, proot, lsinitrd, zstd
 * or cpio, a failure then under VC_NO_SKIP=1. */
static void real_dracut(void **state)
{
	struct vc_error err;
	struct vc_dracut_result res;
	char out1[512], out2[512], work[512], cmd[1400], p[600];
	const char *set[] = {"bash", NULL};
	struct vc_dracut_options o = {.kver = "6.1.0-vcompose",
				      .sysroot = "/",
				      .method = VC_DRACUT_BWRAP,
				      .no_kernel = true,
				      .set_modules = set,
				      .source_date_epoch = 1700000000};

	(void)state;
	if (!getenv("VC_DRACUT_REAL") || access("/usr/bin/dracut", X_OK) != 0 ||
	    access("/usr/lib/dracut/modules.d", F_OK) != 0 ||
	    system("command -v lsinitrd zstd cpio bwrap proot >/dev/null 2>&1") != 0) {
		/* Under VC_NO_SKIP=1 (tools/test.sh) a missing tool is a failure. */
		const char *no_skip = getenv("VC_NO_SKIP");
		if (getenv("VC_DRACUT_REAL") && no_skip && !strcmp(no_skip, "1"))
			fail_msg("dracut, bwrap, proot, lsinitrd, zstd or cpio missing "
				 "(tools/deps.sh test)");
		skip();
		return;
	}
	path_of(out1, sizeof(out1), "out/real1.img");
	path_of(out2, sizeof(out2), "out/real2.img");
	path_of(work, sizeof(work), "work");
	o.output = out1;
	o.tmpdir = work;
	if (vc_dracut_run(&o, &res, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(res.method, VC_DRACUT_BWRAP);
	assert_true(res.from_tree);
	assert_non_null(strstr(res.version, "059"));
	/* Same bytes under proot, with another work folder and output name
	 * (VC_DRACUT_REAL=2: a second run doubles the time). */
	if (!strcmp(getenv("VC_DRACUT_REAL"), "2")) {
		mkdir_p("work2");
		path_of(work, sizeof(work), "work2");
		o.output = out2;
		o.tmpdir = work;
		o.method = VC_DRACUT_PROOT;
		if (vc_dracut_run(&o, &res, &err) < 0)
			fail_msg("%s", err.msg);
		assert_int_equal(res.method, VC_DRACUT_PROOT);
		snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", out1, out2);
		assert_int_equal(system(cmd), 0);
	}
	/* What dracut stored: our options, no host path. */
	snprintf(cmd, sizeof(cmd),
		 "lsinitrd '%s' usr/lib/dracut/build-parameter.txt > '%s/out/params' 2>&1", out1,
		 tmpdir);
	assert_int_equal(system(cmd), 0);
	snprintf(p, sizeof(p), "%s/out/params", tmpdir);
	const char *params = read_file(p);
	assert_non_null(params);
	assert_non_null(strstr(params, "--reproducible"));
	assert_non_null(strstr(params, "--kver '6.1.0-vcompose'"));
	assert_null(strstr(params, tmpdir));
	assert_null(strstr(params, "/tmp"));
	/* The module asked for is there (lsinitrd lists the cpio). */
	snprintf(cmd, sizeof(cmd), "lsinitrd '%s' | grep -q ' usr/bin/bash$'", out1);
	assert_int_equal(system(cmd), 0);
	/* The work folder is gone. */
	char listing[256];
	list_dir("work", listing, sizeof(listing));
	assert_string_equal(listing, "");
}

int main(void)
{
	if (getenv("VC_DRACUT_REAL")) {
		const struct CMUnitTest real[] = {cmocka_unit_test(real_dracut)};
		return cmocka_run_group_tests(real, setup, teardown);
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(command_is_exact),
	    cmocka_unit_test(command_refuses_bad_items),
	    cmocka_unit_test(conf_sets_every_directory),
	    cmocka_unit_test(missing_dracut),
	    cmocka_unit_test(fake_dracut_run),
	    cmocka_unit_test(tree_checks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
