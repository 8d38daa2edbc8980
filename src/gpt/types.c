/* SPDX-License-Identifier: MIT */
/* Partition type GUIDs by name. Spec: UAPI Discoverable Partitions
 * Specification, section "Defined Partition Type UUIDs" (the GUIDs are the
 * ones it lists; systemd's sd-gpt.h carries the same values). */
#include <stdio.h>
#include <string.h>

#include "vcompose/gpt.h"
#include "vcompose/util.h"

struct arch_types {
	const char *arch;  /* our suffix */
	const char *alias; /* another spelling, or NULL */
	const char
	    *guid[6]; /* root, usr, root-verity, usr-verity, root-verity-sig, usr-verity-sig */
};

static const char *const kind_names[6] = {
    "root", "usr", "root-verity", "usr-verity", "root-verity-sig", "usr-verity-sig",
};

static const struct arch_types arches[] = {
    {"x86-64",
     "x86_64",
     {"4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "8484680c-9521-48c6-9c11-b0720656f69e",
      "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5", "77ff5f63-e7b6-4633-acf4-1565b864c0e6",
      "41092b05-9fc8-4523-994f-2def0408b176", "e7bb33fb-06cf-4e81-8273-e543b413e2e2"}},
    {"x86",
     "i386",
     {"44479540-f297-41b2-9af7-d131d5f0458a", "75250d76-8cc6-458e-bd66-bd47cc81a812",
      "d13c5d3b-b5d1-422a-b29f-9454fdc89d76", "8f461b0d-14ee-4e81-9aa9-049b6fb97abd",
      "5996fc05-109c-48de-808b-23fa0830b676", "974a71c0-de41-43c3-be5d-5c5ccd1ad2c0"}},
    {"arm64",
     "aarch64",
     {"b921b045-1df0-41c3-af44-4c6f280d3fae", "b0e01050-ee5f-4390-949a-9101b17104e9",
      "df3300ce-d69f-4c92-978c-9bfb0f38d820", "6e11a4e7-fbca-4ded-b9e9-e1a512bb664e",
      "6db69de6-29f4-4758-a7a5-962190f00ce3", "c23ce4ff-44bd-4b00-b2d4-b41b3419e02a"}},
    {"arm",
     NULL,
     {"69dad710-2ce4-4e3c-b16c-21a1d49abed3", "7d0359a3-02b3-4f0a-865c-654403e70625",
      "7386cdf2-203c-47a9-a498-f2ecce45a2d6", "c215d751-7bcd-4649-be90-6627490a4c05",
      "42b0455f-eb11-491d-98d3-56145ba9d037", "d7ff812f-37d1-4902-a810-d76ba57b975a"}},
    {"riscv64",
     NULL,
     {"72ec70a6-cf74-40e6-bd49-4bda08e8f224", "beaec34b-8442-439b-a40b-984381ed097d",
      "b6ed5582-440b-4209-b8da-5ff7c419ea3d", "8f1056be-9b05-47c4-81d6-be53128e5b54",
      "efe0f087-ea8d-4469-821a-4c2a96a8386a", "d2f9000a-7a18-453f-b5cd-4d32f77a7b32"}},
    {"loongarch64",
     NULL,
     {"77055800-792c-4f94-b39a-98c91b762bb6", "e611c702-575c-4cbe-9a46-434fa0bf7e3f",
      "f3393b22-e9af-4613-a948-9d3bfbd0c535", "f46b2c26-59ae-48f0-9106-c50ed47f673d",
      "5afb67eb-ecc8-4f85-ae8e-ac1e7c50e7d0", "b024f315-d330-444c-8461-44bbde524e99"}},
};

static const struct {
	const char *name;
	const char *guid;
} plain_types[] = {
    {"esp", "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"},
    {"xbootldr", "bc13c2ff-59e6-4262-a352-b275fd6f7172"},
    {"swap", "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"},
    {"home", "933ac7e1-2eb4-4f13-b844-0e14e2aef915"},
    {"srv", "3b8f8425-20e0-4f3b-907f-1a25a76f98e8"},
    {"var", "4d21b016-b534-45c2-a9fb-5c16e091fd2d"},
    {"tmp", "7ec6f557-3bc5-4aca-b293-16ef5df639d1"},
    {"user-home", "773f91ef-66d4-49b5-bd83-d683bf40ad16"},
    {"linux-generic", "0fc63daf-8483-4772-8e79-3d69d8477de4"},
};

#if defined(__x86_64__)
#define HOST_ARCH 0
#elif defined(__i386__)
#define HOST_ARCH 1
#elif defined(__aarch64__)
#define HOST_ARCH 2
#elif defined(__arm__)
#define HOST_ARCH 3
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_ARCH 4
#elif defined(__loongarch64)
#define HOST_ARCH 5
#else
#define HOST_ARCH -1
#endif

static void guid_parse_const(const char *s, uint8_t out[16])
{
	struct vc_error e;
	int r = vc_uuid_parse(s, out, &e);

	(void)r;
	/* the table is ours: a bad entry is our bug */
	if (r < 0)
		memset(out, 0, 16);
}

/* "root-verity" + "-arm64" or "root" + "-arm64" + "-verity": returns the arch
 * index and kind, or -1. */
static int match_arch(const char *s, size_t len)
{
	for (size_t a = 0; a < VC_ARRAY_SIZE(arches); a++) {
		if (strlen(arches[a].arch) == len && memcmp(arches[a].arch, s, len) == 0)
			return (int)a;
		if (arches[a].alias && strlen(arches[a].alias) == len &&
		    memcmp(arches[a].alias, s, len) == 0)
			return (int)a;
	}
	return -1;
}

static int lookup_kind(const char *name, int *ret_kind, int *ret_arch)
{
	/* Longest kind names first so "root-verity-sig" is not read as "root-verity". */
	static const int order[6] = {4, 5, 2, 3, 0, 1};
	static const char *const kind_tails[6] = {
	    "", "", "-verity", "-verity", "-verity-sig", "-verity-sig"};

	for (size_t i = 0; i < 6; i++) {
		int k = order[i];
		size_t kl = strlen(kind_names[k]);

		/* base[-kind][-arch] */
		if (strncmp(name, kind_names[k], kl) == 0) {
			const char *rest = name + kl;
			if (*rest == '\0') {
				*ret_kind = k;
				*ret_arch = HOST_ARCH;
				return 0;
			}
			if (*rest == '-') {
				int a = match_arch(rest + 1, strlen(rest + 1));
				if (a >= 0) {
					*ret_kind = k;
					*ret_arch = a;
					return 0;
				}
			}
		}
		/* base-arch-kind (systemd's spelling) */
		const char *base = (k % 2 == 0) ? "root" : "usr";
		size_t bl = strlen(base), tl = strlen(kind_tails[k]), nl = strlen(name);
		if (k >= 2 && nl > bl + 1 + tl && strncmp(name, base, bl) == 0 && name[bl] == '-' &&
		    strcmp(name + nl - tl, kind_tails[k]) == 0) {
			int a = match_arch(name + bl + 1, nl - bl - 1 - tl);
			if (a >= 0) {
				*ret_kind = k;
				*ret_arch = a;
				return 0;
			}
		}
	}
	return -1;
}

int vc_gpt_type_lookup(const char *name, uint8_t ret_type[16], struct vc_error *err)
{
	int kind, arch;

	for (size_t i = 0; i < VC_ARRAY_SIZE(plain_types); i++)
		if (strcmp(name, plain_types[i].name) == 0) {
			guid_parse_const(plain_types[i].guid, ret_type);
			return 0;
		}
	if (lookup_kind(name, &kind, &arch) == 0) {
		if (arch < 0)
			return vc_errorf(err, VC_EUNSUPP,
					 "partition type '%s': this host's architecture has no DPS "
					 "type; add a suffix such as -x86-64 or -arm64",
					 name);
		guid_parse_const(arches[arch].guid[kind], ret_type);
		return 0;
	}
	if (strlen(name) == 36 && vc_uuid_parse(name, ret_type, err) == 0)
		return 0;
	return vc_errorf(
	    err, VC_EINVAL,
	    "unknown partition type '%s' (expected esp, xbootldr, swap, home, srv, var, "
	    "tmp, user-home, linux-generic, root, usr, root-verity, usr-verity, "
	    "root-verity-sig, usr-verity-sig with an optional -x86-64, -x86, -arm64, "
	    "-arm, -riscv64 or -loongarch64 suffix, or a GUID)",
	    name);
}

/* Finds the table slot of a type: plain index, or arch * 6 + kind + 100. */
static int find_type(const uint8_t type[16])
{
	uint8_t g[16];

	for (size_t i = 0; i < VC_ARRAY_SIZE(plain_types); i++) {
		guid_parse_const(plain_types[i].guid, g);
		if (memcmp(g, type, 16) == 0)
			return (int)i;
	}
	for (size_t a = 0; a < VC_ARRAY_SIZE(arches); a++)
		for (int k = 0; k < 6; k++) {
			guid_parse_const(arches[a].guid[k], g);
			if (memcmp(g, type, 16) == 0)
				return 100 + (int)a * 6 + k;
		}
	return -1;
}

const char *vc_gpt_type_name(const uint8_t type[16])
{
	/* Names with the suffix, built once per call into a static table of
	 * constant strings would need state; return the kind name for the host
	 * architecture and the plain names, which need no formatting. */
	static const char *const suffixed[VC_ARRAY_SIZE(arches)][6] = {
	    {"root-x86-64", "usr-x86-64", "root-verity-x86-64", "usr-verity-x86-64",
	     "root-verity-sig-x86-64", "usr-verity-sig-x86-64"},
	    {"root-x86", "usr-x86", "root-verity-x86", "usr-verity-x86", "root-verity-sig-x86",
	     "usr-verity-sig-x86"},
	    {"root-arm64", "usr-arm64", "root-verity-arm64", "usr-verity-arm64",
	     "root-verity-sig-arm64", "usr-verity-sig-arm64"},
	    {"root-arm", "usr-arm", "root-verity-arm", "usr-verity-arm", "root-verity-sig-arm",
	     "usr-verity-sig-arm"},
	    {"root-riscv64", "usr-riscv64", "root-verity-riscv64", "usr-verity-riscv64",
	     "root-verity-sig-riscv64", "usr-verity-sig-riscv64"},
	    {"root-loongarch64", "usr-loongarch64", "root-verity-loongarch64",
	     "usr-verity-loongarch64", "root-verity-sig-loongarch64", "usr-verity-sig-loongarch64"},
	};
	int t = find_type(type);

	if (t < 0)
		return NULL;
	if (t < 100)
		return plain_types[t].name;
	t -= 100;
	if (t / 6 == HOST_ARCH)
		return kind_names[t % 6];
	return suffixed[t / 6][t % 6];
}

bool vc_gpt_type_is_verity_data(const uint8_t type[16])
{
	int t = find_type(type);
	return t >= 100 && (t - 100) % 6 < 2;
}

bool vc_gpt_type_is_verity_hash(const uint8_t type[16])
{
	int t = find_type(type);
	return t >= 100 && ((t - 100) % 6 == 2 || (t - 100) % 6 == 3);
}

bool vc_gpt_type_is_verity_sig(const uint8_t type[16])
{
	int t = find_type(type);
	return t >= 100 && (t - 100) % 6 >= 4;
}

bool vc_gpt_type_verity_sibling(const uint8_t data_type[16], int kind, uint8_t ret_type[16])
{
	int t = find_type(data_type);

	if (t < 100 || (t - 100) % 6 >= 2 || kind < 0 || kind > 2)
		return false;
	t -= 100;
	/* kind 0: the data type itself, 1: its -verity, 2: its -verity-sig */
	guid_parse_const(arches[t / 6].guid[t % 6 + 2 * kind], ret_type);
	return true;
}
