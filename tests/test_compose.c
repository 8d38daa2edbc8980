/* SPDX-License-Identifier: MIT */
/* compose's plan on its own (src/compose/plan.c): the disk's layout from the
 * config and the measured sizes, without writing anything; then the writing
 * (compose_image): a DDI and an oem image written into a memory sink, read
 * back the way the specs write them (GPT headers and CRCs, the plan's
 * places, the verity root hash) and compared with vc_compose()'s NAME.raw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <zlib.h>

#include "../src/compose/compose_priv.h"
#include "test_util.h"
#include "vcompose/endian.h"
#include "vcompose/gpt.h"
#include "vcompose/sha256.h"
#include "vcompose/sink.h"
#include "vcompose/verity.h"
#include "vcompose/xmlcfg.h"

#define MIB (UINT64_C(1) << 20)

static const uint8_t root_uuid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t hash_uuid[16] = {16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};

static void config(struct vc_config *cfg, enum vc_config_image image)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->path = "config.xml";
	cfg->type_line = 7;
	cfg->image = image;
	cfg->verity = true;
	cfg->verity_partition = true;
}

/* The sizes of a small oem build: a 16 MiB ESP, 5 MiB and a bit of EROFS,
 * a 48 KiB hash tree, a signature of 1900 bytes. */
static void sizes(struct compose_plan_in *in, const struct vc_config *cfg)
{
	memset(in, 0, sizeof(*in));
	in->cfg = cfg;
	in->arch = "x86-64";
	in->esp_size = 16 * MIB;
	in->root_size = 5 * MIB + 4096;
	in->hash_area = 48 * 1024;
	in->signed_ = true;
	in->sig_size = 1900;
	in->root_uuid = root_uuid;
	in->hash_uuid = hash_uuid;
}

static void assert_type(const struct compose_plan_part *p, const char *name)
{
	uint8_t t[16];
	struct vc_error err = {0};

	assert_int_equal(vc_gpt_type_lookup(name, t, &err), 0);
	if (memcmp(t, p->gpt.type, 16))
		fail_msg("partition \"%s\": not of type %s", p->gpt.label, name);
}

/* Every partition starts on a MiB, after the one before it, and is a whole
 * number of MiB; the GPT gets exact places. */
static void assert_aligned(const struct compose_plan *p)
{
	uint64_t end = MIB; /* the protective MBR and the primary GPT */

	for (size_t i = 0; i < p->n_parts; i++) {
		const struct vc_gpt_part *g = &p->parts[i].gpt;
		assert_true(g->exact);
		assert_int_equal(g->start % MIB, 0);
		assert_int_equal(g->size % MIB, 0);
		assert_true(g->size > 0);
		assert_true(g->start >= end);
		end = g->start + g->size;
	}
}

static void plan_oem_order_and_offsets(void **state)
{
	struct vc_config cfg;
	struct compose_plan_in in;
	struct compose_plan p;
	struct vc_error err = {0};

	(void)state;
	config(&cfg, VC_CONFIG_IMAGE_OEM);
	cfg.rootfs_label = "system";
	sizes(&in, &cfg);
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_int_equal(p.n_parts, 4);
	assert_aligned(&p);
	/* esp | root | root-verity | root-verity-sig, packed */
	assert_int_equal(p.parts[0].role, COMPOSE_ESP);
	assert_int_equal(p.parts[1].role, COMPOSE_ROOT);
	assert_int_equal(p.parts[2].role, COMPOSE_VERITY);
	assert_int_equal(p.parts[3].role, COMPOSE_SIG);
	assert_type(&p.parts[0], "esp");
	assert_type(&p.parts[1], "root-x86-64");
	assert_type(&p.parts[2], "root-x86-64-verity");
	assert_type(&p.parts[3], "root-x86-64-verity-sig");
	assert_int_equal(p.esp_off, MIB);
	assert_int_equal(p.parts[0].gpt.start, MIB);
	assert_int_equal(p.parts[0].gpt.size, 16 * MIB);
	assert_int_equal(p.root_off, 17 * MIB);
	assert_int_equal(p.root_part_size, 6 * MIB);
	assert_int_equal(p.hash_off, 23 * MIB);
	assert_int_equal(p.hash_part_size, MIB);
	assert_int_equal(p.sig_off, 24 * MIB);
	assert_int_equal(p.sig_part_size, MIB);
	assert_int_equal(p.disk_size, 0); /* no <size>: what the GPT needs */
	/* labels, flags; the DPS pairing of UUIDs with the root hash */
	assert_string_equal(p.parts[0].gpt.label, "ESP");
	assert_string_equal(p.parts[1].gpt.label, "system");
	assert_string_equal(p.parts[2].gpt.label, "root-verity");
	assert_string_equal(p.parts[3].gpt.label, "root-verity-sig");
	assert_int_equal(p.parts[0].gpt.flags, 0);
	for (size_t i = 1; i < 4; i++)
		assert_int_equal(p.parts[i].gpt.flags, VC_GPT_FLAG_READ_ONLY);
	assert_true(p.parts[1].gpt.uuid_set && !memcmp(p.parts[1].gpt.uuid, root_uuid, 16));
	assert_true(p.parts[2].gpt.uuid_set && !memcmp(p.parts[2].gpt.uuid, hash_uuid, 16));
	assert_false(p.parts[0].gpt.uuid_set); /* derived from the seed by the GPT */
	assert_false(p.parts[3].gpt.uuid_set);
	/* efipart_id, rootpart_id: entry numbers, the disk order stays */
	cfg.esp_number = 3;
	cfg.root_number = 1;
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_int_equal(p.parts[0].gpt.number, 3);
	assert_int_equal(p.parts[1].gpt.number, 1);
	assert_int_equal(p.parts[2].gpt.number, 0);
	assert_int_equal(p.parts[0].role, COMPOSE_ESP);
}

/* A DDI has no ESP: the root at 1 MiB; without a key no signature
 * partition; an ESP size given for a DDI is not placed. */
static void plan_ddi(void **state)
{
	struct vc_config cfg;
	struct compose_plan_in in;
	struct compose_plan p;
	struct vc_error err = {0};

	(void)state;
	config(&cfg, VC_CONFIG_IMAGE_DDI);
	sizes(&in, &cfg);
	in.signed_ = false;
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_int_equal(p.n_parts, 2);
	assert_aligned(&p);
	assert_int_equal(p.parts[0].role, COMPOSE_ROOT);
	assert_int_equal(p.parts[1].role, COMPOSE_VERITY);
	assert_string_equal(p.parts[0].gpt.label, "root");
	assert_int_equal(p.root_off, MIB);
	assert_int_equal(p.hash_off, 7 * MIB);
	assert_int_equal(p.esp_size, 0);
	/* arm64: the types follow the target */
	in.arch = "arm64";
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_type(&p.parts[0], "root-arm64");
	assert_type(&p.parts[1], "root-arm64-verity");
	/* without verity: the root only, no UUID from a root hash */
	cfg.verity = cfg.verity_partition = false;
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_int_equal(p.n_parts, 1);
	assert_false(p.parts[0].gpt.uuid_set);
	assert_int_equal(p.root_part_size, 6 * MIB);
}

/* Embedded verity: the tree after the file system in the root partition
 * (hash_off is the root's); KIWI's trailer adds its 4 KiB block. */
static void plan_embedded_verity(void **state)
{
	struct vc_config cfg;
	struct compose_plan_in in;
	struct compose_plan p;
	struct vc_error err = {0};

	(void)state;
	config(&cfg, VC_CONFIG_IMAGE_DDI);
	cfg.verity_partition = false;
	sizes(&in, &cfg);
	in.signed_ = false;
	in.root_size = 6 * MIB - 48 * 1024; /* the tree just fits the 6th MiB */
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_int_equal(p.n_parts, 1);
	assert_int_equal(p.hash_off, p.root_off);
	assert_int_equal(p.root_part_size, 6 * MIB);
	assert_true(p.parts[0].gpt.uuid_set); /* named on the cmdline by the root hash */
	cfg.embed_verity_metadata = true;     /* + 4 KiB: a 7th MiB */
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_int_equal(p.root_part_size, 7 * MIB);
	/* overlayroot_readonly_partsize: the root's size, when it holds all */
	cfg.overlay_readonly_mib = 10;
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_int_equal(p.root_part_size, 10 * MIB);
	cfg.overlay_readonly_mib = 6;
	assert_int_equal(compose_plan(&in, &p, &err), VC_ERANGE);
	assert_non_null(
	    strstr(err.msg, "config.xml:7: <type overlayroot_readonly_partsize=\"6\">"));
	assert_non_null(strstr(err.msg, "needs 7 MiB"));
}

/* <partitions> and the overlay write partition after the signature; a
 * <size> disk: the fill partition takes what is left, the later ones move. */
static void plan_extra_partitions(void **state)
{
	struct vc_config cfg;
	struct vc_config_partition var = {.name = "var",
					  .size_mib = 24,
					  .mountpoint = "/var",
					  .fs = VC_CONFIG_FS_EXT4,
					  .partition_name = "p.var",
					  .line = 12,
					  .number = 9};
	struct vc_config_partition data = {.name = "data",
					   .fill = true,
					   .fs = VC_CONFIG_FS_EXT4,
					   .partition_name = "p.data",
					   .line = 13};
	struct vc_config_partition raw = {
	    .name = "raw", .size_mib = 2, .fs = VC_CONFIG_FS_NONE, .partition_name = "p.raw"};
	static const uint8_t u[3][16] = {{1}, {2}, {3}};
	struct compose_plan_in in;
	struct compose_plan p;
	struct vc_error err = {0};

	(void)state;
	config(&cfg, VC_CONFIG_IMAGE_OEM);
	sizes(&in, &cfg);
	in.extra[0] = (struct compose_plan_extra){.cfg = &var, .need = 8 * MIB, .uuid = u[0]};
	in.extra[1] = (struct compose_plan_extra){.cfg = &data, .need = 4 * MIB, .uuid = u[1]};
	in.extra[2] = (struct compose_plan_extra){.cfg = &raw, .need = MIB, .uuid = u[2]};
	in.n_extra = 3;
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_int_equal(p.n_parts, 7);
	assert_aligned(&p);
	assert_int_equal(p.parts[4].role, COMPOSE_EXTRA);
	assert_int_equal(p.parts[4].extra, 0);
	assert_int_equal(p.parts[6].extra, 2);
	assert_type(&p.parts[4], "var"); /* a DPS type for /var */
	assert_type(&p.parts[5], "linux-generic");
	assert_string_equal(p.parts[4].gpt.label, "p.var");
	assert_int_equal(p.parts[4].gpt.number, 9);
	assert_int_equal(p.parts[4].gpt.flags, 0);
	assert_int_equal(p.parts[5].gpt.flags, VC_GPT_FLAG_GROWFS);
	assert_true(!memcmp(p.parts[5].gpt.uuid, u[1], 16));
	assert_int_equal(p.extra[0].off, 25 * MIB); /* after the signature */
	assert_int_equal(p.extra[0].size, 24 * MIB);
	assert_int_equal(p.extra[1].off, 49 * MIB);
	assert_int_equal(p.extra[1].size, 4 * MIB); /* no <size>: what it needs */
	assert_int_equal(p.extra[2].off, 53 * MIB);
	assert_int_equal(p.disk_size, 0);
	/* <size>100M: the last MiB for the backup GPT; data grows, raw moves */
	cfg.disk_mib = 100;
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_aligned(&p);
	assert_int_equal(p.disk_size, 100 * MIB);
	assert_int_equal(p.extra[1].size, (100 - 1 - 2 - 49) * MIB);
	assert_int_equal(p.extra[2].off, 97 * MIB);
	assert_int_equal(p.parts[6].gpt.start, 97 * MIB);
	/* additive, unpartitioned: added to what the partitions need */
	cfg.disk_additive = true;
	cfg.disk_mib = 10;
	cfg.unpartitioned_mib = 5;
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_int_equal(p.disk_size, (55 + 1 + 5 + 10) * MIB);
	assert_int_equal(p.extra[1].size, 14 * MIB);
	/* too small: a partition, the disk; each names its line */
	cfg.disk_additive = false;
	cfg.disk_mib = 50;
	assert_int_equal(compose_plan(&in, &p, &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "<size>: 50 MiB given, 61 MiB needed"));
	cfg.disk_mib = 0;
	var.size_mib = 7;
	assert_int_equal(compose_plan(&in, &p, &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "config.xml:12: <partition name=\"var\" size=\"7M\">: too "
					"small: about 8 MiB needed for the ext4 file system"));
	var.size_mib = 24;
	in.extra[2].need = 4 * MIB; /* filesystem="none": its size is kept */
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_int_equal(p.extra[2].size, 2 * MIB);
}

/* overlayroot's write partition: 256 MiB without <size>, the rest with. */
static void plan_overlay_partition(void **state)
{
	struct vc_config cfg;
	struct compose_plan_in in;
	struct compose_plan p;
	struct vc_error err = {0};
	static const uint8_t u[16] = {7};

	(void)state;
	config(&cfg, VC_CONFIG_IMAGE_OEM);
	sizes(&in, &cfg);
	in.extra[0] = (struct compose_plan_extra){.need = 2 * MIB, .uuid = u};
	in.n_extra = 1;
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_int_equal(p.n_parts, 5);
	assert_string_equal(p.parts[4].gpt.label, "overlay");
	assert_type(&p.parts[4], "linux-generic");
	assert_int_equal(p.parts[4].gpt.flags, VC_GPT_FLAG_GROWFS);
	assert_int_equal(p.extra[0].size, 256 * MIB);
	cfg.disk_mib = 160;
	assert_int_equal(compose_plan(&in, &p, &err), 0);
	assert_int_equal(p.extra[0].off + p.extra[0].size + MIB, 160 * MIB);
}

/* The plan is made again as sizes become known: what an earlier plan
 * placed stays where it was; sizes too small for the hash tree are named. */
static void plan_grows_in_place(void **state)
{
	struct vc_config cfg;
	struct compose_plan_in in;
	struct compose_plan early, late;
	struct vc_error err = {0};

	(void)state;
	config(&cfg, VC_CONFIG_IMAGE_OEM);
	sizes(&in, &cfg);
	uint64_t root = in.root_size, area = in.hash_area, sig = in.sig_size;
	in.root_size = in.hash_area = in.sig_size = 0;
	assert_int_equal(compose_plan(&in, &early, &err), 0); /* before EROFS */
	in.root_size = root;
	in.hash_area = area;
	assert_int_equal(compose_plan(&in, &late, &err), 0); /* before verity */
	assert_int_equal(early.esp_off, late.esp_off);
	assert_int_equal(early.root_off, late.root_off);
	early = late;
	in.sig_size = sig;
	assert_int_equal(compose_plan(&in, &late, &err), 0); /* after signing */
	assert_int_equal(early.hash_off, late.hash_off);
	assert_int_equal(early.root_part_size, late.root_part_size);
	assert_int_equal(early.hash_part_size, late.hash_part_size);
	/* the same input, the same plan, byte for byte */
	assert_int_equal(compose_plan(&in, &early, &err), 0);
	assert_memory_equal(&early, &late, sizeof(early));
	/* veritypartsize */
	cfg.veritypart_mib = 3;
	assert_int_equal(compose_plan(&in, &late, &err), 0);
	assert_int_equal(late.hash_part_size, 3 * MIB);
	assert_int_equal(late.sig_off, 26 * MIB);
	in.hash_area = 3 * MIB + 1;
	assert_int_equal(compose_plan(&in, &late, &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "config.xml:7: <type veritypartsize=\"3\">: the hash tree "
					"needs 4 MiB"));
}

/* ---- the boot side: the command line, the ESP's files ---- */

static const uint8_t roothash[32] = {0xab, 0xcd, [31] = 0xef};
#define HASH	  "abcd0000000000000000000000000000000000000000000000000000000000ef"
#define ROOT_UUID "01020304-0506-0708-090a-0b0c0d0e0f10"
#define HASH_UUID "100f0e0d-0c0b-0a09-0807-060504030201"

static char *cmdline(const struct compose_cmdline_in *ci)
{
	struct vc_error err = {0};
	char *s = NULL;

	if (compose_cmdline(ci, &s, &err) < 0)
		fail_msg("compose_cmdline: %s", err.msg);
	return s;
}

/* The final command line of a 5 MiB root with default verity parameters. */
static void cmdline_in(struct compose_cmdline_in *ci, const struct vc_config *cfg,
		       struct vc_verity_params *vp)
{
	vc_verity_params_init(vp);
	*ci = (struct compose_cmdline_in){.cfg = cfg,
					  .roothash = roothash,
					  .final = true,
					  .root_uuid = root_uuid,
					  .hash_uuid = hash_uuid,
					  .vp = vp,
					  .root_size = 5 * MIB};
}

static void cmdline_words(void **state)
{
	struct vc_config cfg;
	struct vc_verity_params vp;
	struct compose_cmdline_in ci;
	struct vc_error err = {0};
	char *s;

	(void)state;
	config(&cfg, VC_CONFIG_IMAGE_OEM);
	cmdline_in(&ci, &cfg, &vp);
	/* the config's words, roothash= added */
	cfg.kernelcmdline = "quiet";
	s = cmdline(&ci);
	assert_string_equal(s, "quiet roothash=" HASH);
	free(s);
	/* placeholders; the serial console added; a given console= kept */
	cfg.kernelcmdline = "a=<data_device> b=<hash_device> c=<hash>";
	cfg.console = VC_CONFIG_CONSOLE_SERIAL;
	s = cmdline(&ci);
	assert_string_equal(s, "a=/dev/disk/by-partuuid/" ROOT_UUID
			       " b=/dev/disk/by-partuuid/" HASH_UUID " c=" HASH
			       " console=ttyS0,115200 roothash=" HASH);
	free(s);
	cfg.kernelcmdline = "console=ttyAMA0 x.console=1";
	cfg.console = VC_CONFIG_CONSOLE_VGA;
	s = cmdline(&ci);
	assert_string_equal(s, "console=ttyAMA0 x.console=1 roothash=" HASH);
	free(s);
	/* a roothash= word: kept when it is the image's, refused when not
	 * (but not while planning with the dummy hash) */
	cfg.console = VC_CONFIG_CONSOLE_DEFAULT;
	cfg.kernelcmdline = "roothash=" HASH;
	s = cmdline(&ci);
	assert_string_equal(s, "roothash=" HASH);
	free(s);
	cfg.kernelcmdline = "roothash=00";
	s = NULL;
	assert_int_equal(compose_cmdline(&ci, &s, &err), VC_EINVAL);
	assert_null(s);
	assert_non_null(strstr(err.msg, "config.xml:7: <type kernelcmdline>: roothash=00 is not"));
	ci.final = false;
	s = cmdline(&ci);
	assert_string_equal(s, "roothash=00");
	free(s);
	/* no verity: nothing added */
	ci.final = true;
	cfg.verity = false;
	cfg.kernelcmdline = NULL;
	s = cmdline(&ci);
	assert_string_equal(s, "");
	free(s);
}

/* An embedded tree: systemd's verity_root_* options name where it is. */
static void cmdline_embedded_and_overlay(void **state)
{
	struct vc_config cfg;
	struct vc_verity_params vp;
	struct compose_cmdline_in ci;
	char *s;

	(void)state;
	config(&cfg, VC_CONFIG_IMAGE_DDI);
	cfg.verity_partition = false;
	cmdline_in(&ci, &cfg, &vp);
	s = cmdline(&ci);
	assert_string_equal(s, "roothash=" HASH " systemd.verity_root_data=PARTUUID=" ROOT_UUID
			       " systemd.verity_root_hash=PARTUUID=" ROOT_UUID
			       " systemd.verity_root_options=hash-offset=5242880");
	free(s);
	vp.superblock = false; /* KIWI's layout: every parameter on the line */
	vp.data_blocks = 1280;
	vp.salt[0] = 0x5a;
	vp.salt_len = 2;
	s = cmdline(&ci);
	assert_non_null(strstr(s, " systemd.verity_root_options=superblock=no,data-blocks=1280,"
				  "hash-offset=5242880,salt=5a00"));
	free(s);
	/* overlayroot: the write partition, or tmpfs; the config's word wins */
	static const uint8_t ou[16] = {0xee, [15] = 0x01};
	config(&cfg, VC_CONFIG_IMAGE_OEM);
	cfg.overlayroot = true;
	cfg.kernelcmdline = "quiet";
	ci.overlay_uuid = ou;
	s = cmdline(&ci);
	assert_string_equal(s, "quiet rd.root.overlay.write=/dev/disk/by-partuuid/"
			       "ee000000-0000-0000-0000-000000000001 roothash=" HASH);
	free(s);
	ci.overlay_uuid = NULL;
	s = cmdline(&ci);
	assert_string_equal(s, "quiet rd.root.overlay.temporary roothash=" HASH);
	free(s);
	cfg.kernelcmdline = "rd.root.overlay.temporary rd.root.overlay.size=50%";
	ci.overlay_uuid = ou;
	s = cmdline(&ci);
	assert_string_equal(s, "rd.root.overlay.temporary rd.root.overlay.size=50% roothash=" HASH);
	free(s);
}

static void esp_files(void **state)
{
	static const char *const auth[] = {"PK", "KEK", "db"};
	struct vc_config cfg;
	struct compose_esp_in in = {
	    .cfg = &cfg, .boot = "BOOTAA64.EFI", .efi = "aa64", .auth_names = auth};
	struct compose_esp e;

	(void)state;
	config(&cfg, VC_CONFIG_IMAGE_OEM);
	cfg.name = "os";
	cfg.version = "";
	/* no boot loader: the UKI is the removable-media boot file */
	compose_esp_plan(&in, &e);
	assert_int_equal(e.n_files, 1);
	assert_int_equal(e.files[0].what, COMPOSE_ESP_UKI);
	assert_string_equal(e.files[0].path, "EFI/BOOT/BOOTAA64.EFI");
	/* systemd-boot: twice, the UKI in EFI/Linux, loader.conf, entries/ */
	cfg.bootloader = VC_CONFIG_BOOT_SYSTEMD_BOOT;
	cfg.version = "1.2";
	cfg.timeout = -1;
	compose_esp_plan(&in, &e);
	assert_int_equal(e.n_files, 5);
	assert_int_equal(e.files[0].what, COMPOSE_ESP_SDBOOT);
	assert_string_equal(e.files[0].path, "EFI/BOOT/BOOTAA64.EFI");
	assert_int_equal(e.files[1].what, COMPOSE_ESP_SDBOOT);
	assert_string_equal(e.files[1].path, "EFI/systemd/systemd-bootaa64.efi");
	assert_int_equal(e.files[2].what, COMPOSE_ESP_UKI);
	assert_string_equal(e.files[2].path, "EFI/Linux/os-1.2.efi");
	assert_int_equal(e.files[3].what, COMPOSE_ESP_LOADER_CONF);
	assert_string_equal(e.files[3].path, "loader/loader.conf");
	assert_int_equal(e.files[4].what, COMPOSE_ESP_DIR);
	assert_string_equal(e.files[4].path, "loader/entries");
	assert_string_equal(e.loader_conf, "timeout 0\n");
	/* Secure Boot enrollment: the three files, before loader.conf */
	cfg.timeout = 5;
	in.n_auth = 3;
	compose_esp_plan(&in, &e);
	assert_int_equal(e.n_files, 8);
	assert_string_equal(e.loader_conf, "timeout 5\nsecure-boot-enroll force\n");
	for (unsigned v = 0; v < 3; v++) {
		char want[64];
		snprintf(want, sizeof(want), "loader/keys/auto/%s.auth", auth[v]);
		assert_int_equal(e.files[3 + v].what, COMPOSE_ESP_AUTH);
		assert_int_equal(e.files[3 + v].auth, v);
		assert_string_equal(e.files[3 + v].path, want);
	}
	assert_int_equal(e.files[6].what, COMPOSE_ESP_LOADER_CONF);
}

/* ---- the writing: an image into a memory sink ---- */

#define EPOCH 1700000000

/* A scratch folder for one test (removed by its teardown). */
static char scratch[64];

static int scratch_setup(void **state)
{
	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/vc-compose-test.XXXXXX");
	return mkdtemp(scratch) ? 0 : -1;
}

static int scratch_teardown(void **state)
{
	(void)state;
	return vc_test_rmtree(scratch);
}

static void scratch_path(char *buf, size_t cap, const char *name)
{
	if ((size_t)snprintf(buf, cap, "%s/%s", scratch, name) >= cap)
		fail_msg("path too long");
}

static void write_bytes(const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *f;

	scratch_path(path, sizeof(path), name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		fail_msg("cannot write %s", path);
	if (chmod(path, 0644) != 0)
		fail_msg("cannot chmod %s", path);
}

static void make_dirs(const char *const *dirs)
{
	char path[256];

	for (size_t i = 0; dirs[i]; i++) {
		scratch_path(path, sizeof(path), dirs[i]);
		if (mkdir(path, 0755) != 0)
			fail_msg("cannot make %s", path);
	}
}

static void options(struct vc_compose_options *o, const char *config, const char *root)
{
	memset(o, 0, sizeof(*o));
	o->config_path = config;
	o->root_dir = root;
	o->outdir = scratch;
	o->have_epoch = true;
	o->epoch = EPOCH;
	o->jobs = 2;
	o->defer_signature = true; /* a root-verity-sig partition, no key needed */
}

/* The plan's GUIDs as the GPT stores them: the first three fields little
 * endian (UEFI 2.10 appendix A). */
static void guid_disk(const uint8_t u[16], uint8_t out[16])
{
	static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

	for (int i = 0; i < 16; i++)
		out[i] = u[order[i]];
}

static uint64_t le64(const uint8_t *p)
{
	return vc_get_le64(p);
}

/* A GPT header at LBA lba, read the way the spec writes it (UEFI 2.10
 * section 5.3.2, offsets from its table 5-5), not through gpt_disk.h:
 * signature, revision, size 92, its CRC32 and the entry array's, where
 * it and its partner lie. Returns the entry array's LBA. */
static uint64_t check_gpt_header(const uint8_t *disk, uint64_t disk_size, uint64_t lba,
				 uint64_t alternate)
{
	uint8_t h[92];
	const uint8_t *src = disk + lba * 512;
	uint32_t n = vc_get_le32(src + 80), esize = vc_get_le32(src + 84);

	memcpy(h, src, sizeof(h));
	assert_memory_equal(h, "EFI PART", 8);			  /* Signature */
	assert_int_equal(vc_get_le32(h + 8), 0x00010000);	  /* Revision 1.0 */
	assert_int_equal(vc_get_le32(h + 12), 92);		  /* HeaderSize */
	assert_int_equal(le64(h + 24), lba);			  /* MyLBA */
	assert_int_equal(le64(h + 32), alternate);		  /* AlternateLBA */
	assert_int_equal(le64(h + 48) + 1, disk_size / 512 - 33); /* LastUsableLBA */
	assert_int_equal(esize, 128);				  /* SizeOfPartitionEntry */
	uint64_t entries = le64(h + 72);			  /* PartitionEntryLBA */
	assert_int_equal(vc_get_le32(h + 88),			  /* PartitionEntryArrayCRC32 */
			 (uint32_t)crc32(0, disk + entries * 512, n * esize));
	uint32_t want = vc_get_le32(h + 16); /* HeaderCRC32, computed with itself zero */
	memset(h + 16, 0, 4);
	assert_int_equal(want, (uint32_t)crc32(0, h, sizeof(h)));
	return entries;
}

/* What a disk in memory must hold for its plan: a protective MBR, both
 * GPT headers with their CRCs, one entry per planned partition at the
 * planned place with the planned type and UUID, nothing after them; the
 * verity tree at its planned place, whose top block gives the root hash
 * (format 1: SHA-256 of salt then block) and whose every block verifies. */
static void check_disk(const struct vc_mem_sink *m, const struct compose_image *im)
{
	const struct compose_plan *p = &im->plan;
	const uint8_t *d = m->data;
	uint64_t last = im->disk_size / 512 - 1;

	assert_int_equal(m->len, im->disk_size);
	assert_int_equal(d[510], 0x55); /* the protective MBR's boot signature */
	assert_int_equal(d[511], 0xaa);
	assert_int_equal(d[446 + 4], 0xee); /* its one partition, of type 0xEE */
	uint64_t primary = check_gpt_header(d, im->disk_size, 1, last);
	uint64_t backup = check_gpt_header(d, im->disk_size, last, 1);
	assert_int_equal(primary, 2);
	assert_int_equal(backup, last - 32);
	assert_memory_equal(d + primary * 512, d + backup * 512, 128 * 128);
	for (size_t i = 0; i < 128; i++) {
		const uint8_t *e = d + primary * 512 + i * 128;
		uint8_t type[16], uuid[16];
		if (i >= p->n_parts) { /* unused entries are all zero */
			for (size_t k = 0; k < 128; k++)
				assert_int_equal(e[k], 0);
			continue;
		}
		const struct vc_gpt_part *g = &p->parts[i].gpt;
		guid_disk(g->type, type);
		assert_memory_equal(e, type, 16); /* PartitionTypeGUID */
		if (g->uuid_set) {
			guid_disk(g->uuid, uuid);
			assert_memory_equal(e + 16, uuid, 16); /* UniquePartitionGUID */
		}
		assert_int_equal(le64(e + 32) * 512, g->start);			/* StartingLBA */
		assert_int_equal((le64(e + 40) + 1) * 512, g->start + g->size); /* EndingLBA */
	}

	/* verity: the DPS pairs the partitions with the root hash's halves */
	const struct compose_plan_part *root = &p->parts[p->parts[0].role == COMPOSE_ESP];
	assert_int_equal(root->role, COMPOSE_ROOT);
	assert_int_equal(root->gpt.start, p->root_off);
	assert_memory_equal(root->gpt.uuid, im->roothash, 16);
	assert_int_equal(root[1].role, COMPOSE_VERITY);
	assert_memory_equal(root[1].gpt.uuid, im->roothash + 16, 16);
	const struct vc_verity_params *vp = &im->vp;
	assert_int_equal(vp->data_blocks * vp->data_block_size, im->root_size);
	/* the superblock, then the top level: one block, hashed for the root
	 * (with one data block there is no level: the root is its hash) */
	assert_memory_equal(d + p->hash_off, "verity\0\0", 8);
	uint8_t top[32];
	struct vc_sha256 h;
	vc_sha256_init(&h);
	vc_sha256_update(&h, vp->salt, vp->salt_len);
	if (vp->data_blocks == 1)
		vc_sha256_update(&h, d + p->root_off, vp->data_block_size);
	else
		vc_sha256_update(&h, d + p->hash_off + vp->hash_block_size, vp->hash_block_size);
	vc_sha256_final(&h, top);
	assert_memory_equal(top, im->roothash, 32);
	struct vc_sink data = vc_sink_window(&m->sink, p->root_off, im->root_size, "data");
	struct vc_sink hash = vc_sink_window(&m->sink, p->hash_off, p->hash_part_size, "hash");
	struct vc_verity_src src = {.sink = &data};
	struct vc_verity_params vq = *vp;
	struct vc_error err = {0};
	vq.hash_offset = 0;
	if (vc_verity_verify(&vq, &src, &hash, NULL, im->roothash, NULL, &err) < 0)
		fail_msg("verity: %s", err.msg);
}

/* The same options through vc_compose(): NAME.raw must hold the same
 * bytes as the memory sink. */
static void same_as_file(const struct vc_compose_options *o, const struct vc_mem_sink *m,
			 const char *raw)
{
	struct vc_compose_result res;
	struct vc_error err = {0};
	struct vc_buf b;
	char path[256];

	if (vc_compose(o, &res, &err) < 0)
		fail_msg("vc_compose: %s", err.msg);
	scratch_path(path, sizeof(path), raw);
	vc_test_read(path, &b);
	assert_int_equal(b.len, m->len);
	assert_true(memcmp(b.data, m->data, m->len) == 0);
	vc_buf_fini(&b);
}

/* The smallest example (a DDI: root, root-verity, and a deferred
 * root-verity-sig) written to memory. */
static void write_ddi_to_memory(void **state)
{
	struct vc_compose_options o;
	struct compose_image im;
	struct vc_mem_sink m;
	struct vc_error err = {0};

	(void)state;
	options(&o, VC_SOURCE_DIR "/examples/minimal/config.xml",
		VC_SOURCE_DIR "/examples/minimal/root");
	vc_mem_sink_init(&m);
	if (compose_image(&o, &m.sink, &im, &err) < 0)
		fail_msg("compose_image: %s", err.msg);
	assert_int_equal(im.plan.n_parts, 3);
	assert_int_equal(im.plan.parts[2].role, COMPOSE_SIG);
	check_disk(&m, &im);
	/* the deferred signature partition is left zero, for `vcompose sign` */
	for (uint64_t i = 0; i < im.plan.sig_part_size; i++)
		if (m.data[im.plan.sig_off + i])
			fail_msg("signature partition: byte %llu is not zero",
				 (unsigned long long)i);
	same_as_file(&o, &m, "minimal.raw");
	vc_mem_sink_fini(&m);
}

/* An oem build's inputs in the scratch folder: root/ with a synthetic stub
 * and kernel (tests/test_util.h) and an os-release, initrd.img (4 KiB),
 * config.xml with the given <type> attributes and content. The options
 * name them; *initrd gets the initrd's bytes. */
static void oem_inputs(struct vc_compose_options *o, const char *type, const char *inner,
		       uint8_t initrd[4096])
{
	static const char *const dirs[] = {"root",
					   "root/etc",
					   "root/boot",
					   "root/usr",
					   "root/usr/lib",
					   "root/usr/lib/systemd",
					   "root/usr/lib/systemd/boot",
					   "root/usr/lib/systemd/boot/efi",
					   NULL};
	static char cfg[256], root[256], initrd_path[256];
	struct vc_test_pe stub, kernel;
	char config[1024];

	make_dirs(dirs);
	vc_test_fake_pe(&stub, NULL, false);
	vc_test_fake_pe(&kernel, NULL, true);
	write_bytes("root/usr/lib/systemd/boot/efi/linuxx64.efi.stub", stub.d, stub.len);
	write_bytes("root/boot/vmlinuz-6.1.0-unit", kernel.d, kernel.len);
	write_bytes("root/etc/os-release", "ID=unit\n", 8);
	for (size_t i = 0; i < 4096; i++)
		initrd[i] = (uint8_t)(i * 7);
	write_bytes("initrd.img", initrd, 4096);
	snprintf(config, sizeof(config),
		 "<?xml version=\"1.0\"?>\n<image schemaversion=\"8.5\" name=\"unit\">\n"
		 "<description type=\"system\"><author>t</author><contact>t</contact>"
		 "<specification>t</specification></description>\n"
		 "<preferences><version>1.0</version>\n"
		 "<type image=\"oem\" filesystem=\"erofs\" firmware=\"efi\" %s>%s</type>\n"
		 "</preferences>\n</image>\n",
		 type, inner);
	write_bytes("config.xml", config, strlen(config));
	scratch_path(cfg, sizeof(cfg), "config.xml");
	scratch_path(root, sizeof(root), "root");
	scratch_path(initrd_path, sizeof(initrd_path), "initrd.img");
	options(o, cfg, root);
	o->initrd_path = initrd_path;
}

/* An oem image (ESP with the UKI, root, root-verity, root-verity-sig),
 * written to memory. */
static void write_oem_to_memory(void **state)
{
	uint8_t initrd[4096], hex[65], word[80];
	struct vc_compose_options o;
	struct compose_image im;
	struct vc_mem_sink m;
	struct vc_error err = {0};

	(void)state;
	oem_inputs(&o, "verity_blocks=\"all\" verity_partition=\"true\" kernelcmdline=\"quiet\"",
		   "", initrd);
	vc_mem_sink_init(&m);
	if (compose_image(&o, &m.sink, &im, &err) < 0)
		fail_msg("compose_image: %s", err.msg);
	assert_int_equal(im.plan.n_parts, 4);
	assert_int_equal(im.plan.parts[0].role, COMPOSE_ESP);
	check_disk(&m, &im);
	/* the ESP: a FAT boot sector knowing its place (BPB_HiddSec), and the
	 * UKI in it with roothash= of the root hash on its command line */
	const uint8_t *esp = m.data + im.plan.esp_off;
	assert_int_equal(esp[510], 0x55);
	assert_int_equal(esp[511], 0xaa);
	assert_int_equal(vc_get_le32(esp + 28), im.plan.esp_off / 512);
	vc_hex_encode(im.roothash, 32, (char *)hex);
	snprintf((char *)word, sizeof(word), "roothash=%s", (const char *)hex);
	assert_non_null(memmem(esp, im.plan.esp_size, word, strlen((char *)word)));
	assert_non_null(memmem(esp, im.plan.esp_size, initrd, sizeof(initrd)));
	same_as_file(&o, &m, "unit.raw");
	/* NAME.efi, the UKI beside the disk, lies whole in the ESP */
	char efi[256];
	struct vc_buf b;
	scratch_path(efi, sizeof(efi), "unit.efi");
	vc_test_read(efi, &b);
	assert_non_null(memmem(esp, im.plan.esp_size, b.data, b.len));
	vc_buf_fini(&b);
	vc_mem_sink_fini(&m);
}

/* ext4 partitions are made by mke2fs in a file, by its name: refused when
 * the image is written to memory, saying why. */
static void write_ext4_to_memory_refused(void **state)
{
	uint8_t initrd[4096];
	struct vc_compose_options o;
	struct compose_image im;
	struct vc_mem_sink m;
	struct vc_error err = {0};

	(void)state;
	oem_inputs(&o, "verity_blocks=\"all\" verity_partition=\"true\"",
		   "<partitions><partition name=\"data\" size=\"8\" filesystem=\"ext4\"/>"
		   "</partitions>",
		   initrd);
	vc_mem_sink_init(&m);
	int r = compose_image(&o, &m.sink, &im, &err);
	if (r != VC_EUNSUPP || !strstr(err.msg, "mke2fs"))
		fail_msg("%d: %s", r, err.msg);
	vc_mem_sink_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(plan_oem_order_and_offsets),
	    cmocka_unit_test(plan_ddi),
	    cmocka_unit_test(plan_embedded_verity),
	    cmocka_unit_test(plan_extra_partitions),
	    cmocka_unit_test(plan_overlay_partition),
	    cmocka_unit_test(plan_grows_in_place),
	    cmocka_unit_test(cmdline_words),
	    cmocka_unit_test(cmdline_embedded_and_overlay),
	    cmocka_unit_test(esp_files),
	    cmocka_unit_test_setup_teardown(write_ddi_to_memory, scratch_setup, scratch_teardown),
	    cmocka_unit_test_setup_teardown(write_oem_to_memory, scratch_setup, scratch_teardown),
	    cmocka_unit_test_setup_teardown(write_ext4_to_memory_refused, scratch_setup,
					    scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
