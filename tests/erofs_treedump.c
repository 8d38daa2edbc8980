/* SPDX-License-Identifier: MIT */
/* A tree dump for the kernel check (tests/erofs_qemu.sh), built static so it
 * runs in a busybox initrd: one line per entry below ROOT, sorted by path:
 * path, type, mode, uid, gid, mtime.nsec, size, FNV-1a 64 of the contents,
 * link target ("-" if none), rdev, nlink and every xattr (name=hex), names
 * sorted; bytes up to space, backslash and DEL in names are written \ooo.
 * tests/erofs_gen.py writes the same format for the tree it generates.
 * Usage: erofs_treedump ROOT */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static char **lines;
static size_t n_lines, cap_lines;
static size_t root_len;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Writes s with bytes <= 0x20, '\\' and 0x7f as \ooo, so fields split on spaces. */
static void put_escaped(FILE *f, const char *s)
{
	if (!*s)
		fputc('-', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c == '\\' || c == 0x7f)
			fprintf(f, "\\%03o", c);
		else
			fputc(c, f);
	}
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char *buf = NULL, target[4100] = "", names[65536], val[65536];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	uint64_t h = 1469598103934665603ull;
	const char *rel = path[root_len] ? path + root_len : "/";
	char type = S_ISDIR(st->st_mode)    ? 'd'
		    : S_ISREG(st->st_mode)  ? 'f'
		    : S_ISLNK(st->st_mode)  ? 'l'
		    : S_ISCHR(st->st_mode)  ? 'c'
		    : S_ISBLK(st->st_mode)  ? 'b'
		    : S_ISFIFO(st->st_mode) ? 'p'
					    : 's';

	(void)flag;
	(void)ftw;
	if (S_ISREG(st->st_mode)) {
		int fd = open(path, O_RDONLY);
		ssize_t r;

		while (fd >= 0 && (r = read(fd, val, sizeof(val))) > 0)
			for (ssize_t i = 0; i < r; i++)
				h = (h ^ (uint8_t)val[i]) * 1099511628211ull;
		if (fd < 0)
			h = 0;
		else
			close(fd);
	}
	if (S_ISLNK(st->st_mode)) {
		ssize_t r = readlink(path, target, sizeof(target) - 1);

		target[r > 0 ? r : 0] = '\0';
	}
	put_escaped(f, rel);
	fprintf(f, " %c %04o %u %u %lld.%09ld %lld %016llx ", type, st->st_mode & 07777, st->st_uid,
		st->st_gid, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_size, (unsigned long long)h);
	put_escaped(f, target);
	fprintf(f, " %u:%u %lu",
		S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? major(st->st_rdev) : 0,
		S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? minor(st->st_rdev) : 0,
		(unsigned long)st->st_nlink);
	ssize_t nl = llistxattr(path, names, sizeof(names));
	char *list[1024];
	size_t nx = 0;

	for (ssize_t p = 0; nl > 0 && p < nl && nx < 1024; p += (ssize_t)strlen(names + p) + 1)
		list[nx++] = names + p;
	qsort(list, nx, sizeof(*list), cmp_str);
	for (size_t k = 0; k < nx; k++) {
		ssize_t vl = lgetxattr(path, list[k], val, sizeof(val));

		fprintf(f, " %s=", list[k]);
		for (ssize_t i = 0; i < vl; i++)
			fprintf(f, "%02x", (uint8_t)val[i]);
	}
	fclose(f);
	if (n_lines == cap_lines) {
		cap_lines = cap_lines ? cap_lines * 2 : 1024;
		lines = realloc(lines, cap_lines * sizeof(*lines));
	}
	lines[n_lines++] = buf;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	root_len = strlen(argv[1]);
	if (nftw(argv[1], visit, 64, FTW_PHYS) != 0)
		return 1;
	qsort(lines, n_lines, sizeof(*lines), cmp_str);
	for (size_t i = 0; i < n_lines; i++)
		puts(lines[i]);
	return 0;
}
