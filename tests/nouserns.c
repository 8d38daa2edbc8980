/* SPDX-License-Identifier: MIT */
/* Test helper: runs a command under a seccomp filter that refuses new user
 * namespaces as Docker's default profile does for a process without
 * CAP_SYS_ADMIN (unshare and clone with CLONE_NEWUSER: EPERM; clone3:
 * ENOSYS, so that callers fall back to clone, whose flags a filter can
 * read). With --no-ptrace, ptrace is refused too (EPERM), so that proot
 * cannot trace either: every method of running the tree's dracut refused.
 * Spec: seccomp(2), libseccomp's seccomp_rule_add(3), moby's
 * profiles/seccomp/default.json.
 *
 *	nouserns [--no-ptrace] COMMAND [ARG]...
 */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int i = 1, no_ptrace = 0;
	scmp_filter_ctx ctx;

	if (i < argc && !strcmp(argv[i], "--no-ptrace")) {
		no_ptrace = 1;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: nouserns [--no-ptrace] COMMAND [ARG]...\n");
		return 2;
	}
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	/* libseccomp kills on a foreign architecture by default; Docker's
	 * profile lists x86, x32 and x86-64, and proot rewrites syscall
	 * numbers while it traces: allow, as Docker does */
	if (!ctx || seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0 ||
	    (no_ptrace && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ptrace), 0) < 0) ||
	    seccomp_load(ctx) < 0) {
		fprintf(stderr, "nouserns: cannot load the seccomp filter\n");
		return 3;
	}
	seccomp_release(ctx);
	execvp(argv[i], argv + i);
	fprintf(stderr, "nouserns: %s: %s\n", argv[i], strerror(errno));
	return 127;
}
