/* SPDX-License-Identifier: MIT */
/* Helpers shared by the libFuzzer targets: the fuzz input as a file. */
#ifndef VCOMPOSE_FUZZ_UTIL_H
#define VCOMPOSE_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* A memory file holding data[0..len); *path gets "/proc/self/fd/N".
 * Returns the descriptor (close it when done); aborts when the host fails. */
static inline int fuzz_memfile(const uint8_t *data, size_t len, char path[64])
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0) {
		perror("memfd_create");
		abort();
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = pwrite(fd, data + off, len - off, (off_t)off);
		if (n <= 0) {
			perror("pwrite");
			abort();
		}
		off += (size_t)n;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

/* Splits data at the first occurrence of the 8-byte marker "\n--cut--"
 * (the dictionary-friendly way to fuzz two inputs at once): [0, *a_len) and
 * the rest after the marker. Without a marker, b is empty. */
static inline void fuzz_split(const uint8_t *data, size_t len, size_t *a_len, const uint8_t **b,
			      size_t *b_len)
{
	static const char mark[] = "\n--cut--";

	for (size_t i = 0; i + 8 <= len; i++) {
		size_t k = 0;
		while (k < 8 && data[i + k] == (uint8_t)mark[k])
			k++;
		if (k == 8) {
			*a_len = i;
			*b = data + i + 8;
			*b_len = len - i - 8;
			return;
		}
	}
	*a_len = len;
	*b = data + len;
	*b_len = 0;
}

/* The error message must be a NUL-terminated string that says something. */
#define FUZZ_CHECK_MSG(err)                                                                        \
	do {                                                                                       \
		if ((err).code &&                                                                  \
		    (memchr((err).msg, 0, sizeof((err).msg)) == NULL || (err).msg[0] == 0)) {      \
			fprintf(stderr, "error %d without a message\n", (err).code);               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
