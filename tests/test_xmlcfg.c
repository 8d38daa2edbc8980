/* SPDX-License-Identifier: MIT */
/* xmlcfg unit tests: good configs (the examples, a KIWI-style description
 * with what cannot apply offline, profiles, KIWI's <initrd> forms) and bad
 * ones, each error checked for "config.xml:LINE:" and the attribute. Seeds
 * are compared with values computed by sha256sum(1) (coreutils 9.1):
 *   printf 'vcompose-seed-v1\nseed=vcompose bootable example\n' | sha256sum
 *   printf 'vcompose-seed-v1\nname=minimal\nversion=1.0.0\nsource_date_epoch=1700000000\n' |
 * sha256sum
 */
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

#include "test_util.h"

#include "vcompose/util.h"
#include "vcompose/xmlcfg.h"

static char tmpdir[256];

static void write_file(const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	vc_test_write(path, text, 0644);
}

static int setup(void **state)
{
	char path[512];

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/xmlcfg-test-XXXXXX", VC_BINARY_DIR);
	if (!mkdtemp(tmpdir))
		return -1;
	write_file("db.key", "key\n");
	write_file("db.crt", "cert\n");
	write_file("initrd.img", "initrd\n");
	write_file("pcr.key", "key\n");
	snprintf(path, sizeof(path), "%s/sub", tmpdir);
	mkdir(path, 0755);
	write_file("sub/other.key", "key\n");
	snprintf(path, sizeof(path), "%s/outside.key", tmpdir);
	if (symlink("/etc/hostname", path) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return vc_test_rmtree(tmpdir);
}

static int parse(const char *xml, const struct vc_xmlcfg_options *o, struct vc_config **ret,
		 struct vc_error *err)
{
	vc_error_clear(err);
	return vc_xmlcfg_parse(xml, strlen(xml), "config.xml", tmpdir, o, ret, err);
}

static struct vc_config *parse_ok(const char *xml, const struct vc_xmlcfg_options *o)
{
	struct vc_error err;
	struct vc_config *cfg = NULL;

	if (parse(xml, o, &cfg, &err) < 0)
		fail_msg("unexpected error: %s", err.msg);
	assert_non_null(cfg);
	return cfg;
}

/* Five lines of head: the <type> under test is on line 5. */
#define HEAD                                                                                       \
	"<?xml version=\"1.0\"?>\n"                                                                \
	"<image schemaversion=\"8.5\" name=\"t\">\n"                                               \
	"<description type=\"system\"><author>a</author><contact>c</contact>"                      \
	"<specification>s</specification></description>\n"                                         \
	"<preferences><version>1.2.3</version>\n"
#define TAIL "</preferences>\n</image>\n"

static bool has_str(const struct vc_strv *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return true;
	return false;
}

static bool notes_mention(const struct vc_config *cfg, const char *x)
{
	for (size_t i = 0; i < cfg->notes.n; i++)
		if (strstr(cfg->notes.v[i], x))
			return true;
	return false;
}

static void example_minimal(void **state)
{
	struct vc_error err;
	struct vc_config *cfg = NULL;
	uint8_t seed[32];
	char hex[65];

	(void)state;
	assert_int_equal(
	    vc_xmlcfg_load(VC_SOURCE_DIR "/examples/minimal/config.xml", NULL, &cfg, &err), 0);
	assert_string_equal(cfg->name, "minimal");
	assert_string_equal(cfg->version, "1.0.0");
	assert_int_equal(cfg->image, VC_CONFIG_IMAGE_DDI);
	assert_int_equal(cfg->compress, VC_EROFS_LZ4HC);
	assert_true(cfg->verity);
	assert_true(cfg->verity_partition);
	assert_false(cfg->embed_verity_metadata);
	assert_int_equal(cfg->verity_blocks, 0);
	assert_int_equal(cfg->initrd, VC_CONFIG_INITRD_NONE);
	assert_int_equal(cfg->bootloader, VC_CONFIG_BOOT_NONE);
	assert_null(cfg->signature_key);
	assert_null(cfg->seed);
	assert_string_equal(cfg->dir, VC_SOURCE_DIR "/examples/minimal");
	assert_int_equal(cfg->notes.n, 0);
	assert_int_equal(vc_xmlcfg_seed(cfg, 1700000000, seed, &err), 0);
	vc_hex_encode(seed, 32, hex);
	assert_string_equal(hex,
			    "6005d2eb8d6b36327f6475e39bf4d3cf243c487634d3bbd386d86955bd2c70dc");
	assert_int_equal(vc_xmlcfg_seed(cfg, -1, seed, &err), VC_EINVAL);
	vc_xmlcfg_free(cfg);
}

static void example_bootable(void **state)
{
	struct vc_error err;
	struct vc_config *cfg = NULL;
	uint8_t seed[32];
	char hex[65];

	(void)state;
	assert_int_equal(
	    vc_xmlcfg_load(VC_SOURCE_DIR "/examples/bootable/config.xml", NULL, &cfg, &err), 0);
	assert_int_equal(cfg->image, VC_CONFIG_IMAGE_OEM);
	assert_true(cfg->efi);
	assert_int_equal(cfg->bootloader, VC_CONFIG_BOOT_SYSTEMD_BOOT);
	assert_int_equal(cfg->console, VC_CONFIG_CONSOLE_SERIAL);
	assert_int_equal(cfg->timeout, 3);
	assert_int_equal(cfg->initrd, VC_CONFIG_INITRD_DRACUT);
	assert_string_equal(cfg->kernelcmdline, "ro quiet");
	assert_true(has_str(&cfg->dracut.install, "/usr/sbin/veritysetup"));
	assert_true(has_str(&cfg->dracut.add_drivers, "dm-verity"));
	assert_true(has_str(&cfg->dracut.force_drivers, "erofs"));
	assert_true(has_str(&cfg->dracut.add_modules, "systemd-veritysetup"));
	assert_true(has_str(&cfg->dracut.filesystems, "erofs"));
	assert_null(cfg->dracut.uki_kernel);
	assert_string_equal(cfg->seed, "vcompose bootable example");
	/* The seed attribute wins over name, version and epoch. */
	assert_int_equal(vc_xmlcfg_seed(cfg, 12345, seed, &err), 0);
	vc_hex_encode(seed, 32, hex);
	assert_string_equal(hex,
			    "18200c222fbaa8ea2414131c7827bb45120fa73df2575684594c6d8e31a55a68");
	vc_xmlcfg_free(cfg);
}

/* The DESIGN.md example with KIWI's own names and its ignored elements. */
static void kiwi_style_description(void **state)
{
	static const char xml[] =
	    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<image schemaversion=\"7.5\" name=\"kiwi-test-image-verity\" "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	    "xsi:noNamespaceSchemaLocation=\"kiwi.xsd\">\n"
	    "  <description type=\"system\">\n"
	    "    <author>Someone</author><contact>someone@example.org</contact>\n"
	    "    <specification>Verity test</specification>\n"
	    "  </description>\n"
	    "  <preferences>\n"
	    "    <version>2.0.0</version>\n"
	    "    <packagemanager>apt</packagemanager>\n"
	    "    <locale>en_US</locale>\n"
	    "    <keytable>us</keytable>\n"
	    "    <timezone>UTC</timezone>\n"
	    "  </preferences>\n"
	    "  <preferences>\n"
	    "    <type image=\"oem\" filesystem=\"erofs\" firmware=\"efi\" efipartsize=\"100\"\n"
	    "          verity_blocks=\"all\" initrd_system=\"dracut\" "
	    "devicepersistency=\"by-uuid\"\n"
	    "          verity_signature_required=\"true\" verity_signature_key=\"db.key\"\n"
	    "          verity_signature_cert=\"./sub/../db.crt\"\n"
	    "          embed_verity_metadata=\"false\" verity_partition=\"true\" "
	    "veritypartsize=\"100\"\n"
	    "          kernelcmdline=\"console=ttyS0 rd.verity=&lt;data_device&gt;:"
	    "&lt;hash_device&gt;:&lt;hash&gt;\" luks=\"false\">\n"
	    "      <oemconfig><oem-resize>false</oem-resize>"
	    "<oem-boot-title>Verity</oem-boot-title></oemconfig>\n"
	    "      <bootloader name=\"systemd_boot\" console=\"serial\" timeout=\"10\">\n"
	    "        <dracut>\n"
	    "          <install paths=\"/usr/sbin/veritysetup\"/>\n"
	    "          <uki><kernel name=\"vmlinuz-6.1.0-56-amd64\"/></uki>\n"
	    "          <filesystems names=\"erofs\"/>\n"
	    "          <add_drivers names=\"erofs dm-verity erofs\"/>\n"
	    "          <force_drivers names=\"dm-verity\"/>\n"
	    "          <add modules=\"systemd-veritysetup\"/>\n"
	    "        </dracut>\n"
	    "      </bootloader>\n"
	    "      <initrd action=\"setup\"><dracut uefi=\"true\"/></initrd>\n"
	    "      <initrd action=\"add\"><dracut module=\"dm\"/>"
	    "<dracut driver=\"virtio_blk\"/></initrd>\n"
	    "      <initrd action=\"omit\"><dracut module=\"plymouth\"/>"
	    "<dracut driver=\"floppy\"/></initrd>\n"
	    "      <size unit=\"G\">2</size>\n"
	    "    </type>\n"
	    "  </preferences>\n"
	    "  <users><user password=\"x\" home=\"/root\" name=\"root\" groups=\"root\"/></users>\n"
	    "  <users><user password=\"x\" home=\"/home/a\" name=\"a\"/></users>\n"
	    "  <repository type=\"apt-deb\"><source path=\"obs://x\"/></repository>\n"
	    "  <packages type=\"image\"><package name=\"systemd\"/></packages>\n"
	    "  <packages type=\"bootstrap\"><package name=\"bash\"/></packages>\n"
	    "</image>\n";
	struct vc_config *cfg;
	char path[600];

	(void)state;
	write_file("config.sh", "#!/bin/sh\n");
	cfg = parse_ok(xml, NULL);
	snprintf(path, sizeof(path), "%s/config.sh", tmpdir);
	unlink(path);

	assert_string_equal(cfg->name, "kiwi-test-image-verity");
	assert_string_equal(cfg->version, "2.0.0");
	assert_string_equal(cfg->description, "Verity test");
	assert_int_equal(cfg->type_line, 15);
	assert_int_equal(cfg->efipart_mib, 100);
	assert_int_equal(cfg->veritypart_mib, 100);
	assert_true(cfg->signature_required);
	snprintf(path, sizeof(path), "%s/db.key", tmpdir);
	assert_string_equal(cfg->signature_key, path);
	snprintf(path, sizeof(path), "%s/db.crt", tmpdir);
	assert_string_equal(cfg->signature_cert, path);
	assert_int_equal(cfg->cmdline_placeholders, VC_CONFIG_CMDLINE_DATA_DEVICE |
							VC_CONFIG_CMDLINE_HASH_DEVICE |
							VC_CONFIG_CMDLINE_HASH);
	assert_string_equal(cfg->kernelcmdline,
			    "console=ttyS0 rd.verity=<data_device>:<hash_device>:<hash>");
	assert_string_equal(cfg->dracut.uki_kernel, "vmlinuz-6.1.0-56-amd64");
	assert_true(cfg->dracut.uefi);
	/* add_drivers: unique, in order; <initrd action="add"> appends. */
	assert_int_equal(cfg->dracut.add_drivers.n, 3);
	assert_string_equal(cfg->dracut.add_drivers.v[0], "erofs");
	assert_string_equal(cfg->dracut.add_drivers.v[1], "dm-verity");
	assert_string_equal(cfg->dracut.add_drivers.v[2], "virtio_blk");
	assert_true(has_str(&cfg->dracut.add_modules, "dm"));
	assert_true(has_str(&cfg->dracut.omit_modules, "plymouth"));
	assert_true(has_str(&cfg->dracut.omit_drivers, "floppy"));
	assert_string_equal(cfg->boot_title, "Verity");
	/* Ignored offline, once per element, with the line of the first. */
	assert_true(notes_mention(cfg, "config.xml:38: <users>: ignored offline"));
	assert_false(notes_mention(cfg, "config.xml:39: <users>"));
	assert_true(notes_mention(cfg, "config.xml:40: <repository>: ignored offline"));
	assert_true(notes_mention(cfg, "config.xml:41: <packages>: ignored offline"));
	assert_false(notes_mention(cfg, "config.xml:42:"));
	assert_true(notes_mention(cfg, "<packagemanager>"));
	assert_true(notes_mention(cfg, "config.sh: ignored offline"));
	assert_true(notes_mention(cfg, "config.xml:16: <type devicepersistency>: ignored: "));
	assert_false(notes_mention(cfg, "<size>")); /* honoured: the disk's size */
	assert_int_equal(cfg->disk_mib, 2048);
	assert_false(cfg->disk_additive);
	assert_true(notes_mention(cfg, "<oem-resize>"));
	assert_false(notes_mention(cfg, "<type luks>")); /* "false" asks for nothing */
	size_t users = 0;
	for (size_t i = 0; i < cfg->notes.n; i++)
		users += strstr(cfg->notes.v[i], "<users>") != NULL;
	assert_int_equal(users, 1);
	vc_xmlcfg_free(cfg);
}

static const char profiles_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<image schemaversion=\"8.5\" name=\"p\">\n"
    "<description type=\"system\"><author>a</author><contact>c</contact>"
    "<specification>s</specification></description>\n"
    "<profiles>\n"
    "  <profile name=\"base\" description=\"b\"/>\n"
    "  <profile name=\"signed\" description=\"s\"><requires profile=\"base\"/></profile>\n"
    "  <profile name=\"dev\" description=\"d\" import=\"true\"/>\n"
    "  <profile name=\"arm\" description=\"a\" arch=\"aarch64\"/>\n"
    "</profiles>\n"
    "<preferences><version>1.0</version></preferences>\n"
    "<preferences profiles=\"base\"><version>9.9</version>\n"
    "  <type image=\"ddi\" verity_blocks=\"all\"/>\n"
    "</preferences>\n"
    "<preferences profiles=\"signed\">\n"
    "  <type image=\"ddi\" verity_partition=\"true\" primary=\"true\" "
    "verity_signature_key=\"db.key\" verity_signature_cert=\"db.crt\"/>\n"
    "</preferences>\n"
    "<preferences profiles=\"dev,other\">\n"
    "  <type image=\"oem\" filesystem=\"erofs\"/>\n"
    "  <type image=\"ddi\" primary=\"false\"/>\n"
    "</preferences>\n"
    "</image>\n";

static void profiles_select_types(void **state)
{
	struct vc_xmlcfg_options o = {0};
	const char *sel_base[] = {"base", NULL};
	const char *sel_signed[] = {"signed", NULL};
	const char *sel_arm[] = {"arm", NULL};
	const char *sel_none[] = {"nope", NULL};
	struct vc_config *cfg;
	struct vc_error err;

	(void)state;
	/* No --profile: the import="true" profile "dev"; its first type. */
	cfg = parse_ok(profiles_xml, &o);
	assert_int_equal(cfg->profiles.n, 1);
	assert_string_equal(cfg->profiles.v[0], "dev");
	assert_int_equal(cfg->image, VC_CONFIG_IMAGE_OEM);
	assert_int_equal(cfg->type_line, 18);
	assert_string_equal(cfg->version, "1.0");
	vc_xmlcfg_free(cfg);

	o.profiles = sel_base;
	cfg = parse_ok(profiles_xml, &o);
	assert_int_equal(cfg->type_line, 12);
	assert_false(cfg->verity_partition);
	vc_xmlcfg_free(cfg);

	/* "signed" requires "base": both apply, the primary type wins. */
	o.profiles = sel_signed;
	cfg = parse_ok(profiles_xml, &o);
	assert_int_equal(cfg->profiles.n, 2);
	assert_true(has_str(&cfg->profiles, "base"));
	assert_int_equal(cfg->type_line, 15);
	assert_true(cfg->verity_partition);
	assert_non_null(cfg->signature_key);
	vc_xmlcfg_free(cfg);

	o.profiles = sel_arm;
	assert_int_equal(parse(profiles_xml, &o, &cfg, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "--profile 'arm': not for this architecture"));
	o.arch = "aarch64";
	assert_int_equal(parse(profiles_xml, &o, &cfg, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "config.xml:2: <image>: no <type>"));
	o.arch = NULL;
	o.profiles = sel_none;
	assert_int_equal(parse(profiles_xml, &o, &cfg, &err), VC_EINVAL);
	assert_non_null(
	    strstr(err.msg, "--profile 'nope': no such profile (defined: base, signed, dev)"));
}

static void signature_key_from_cli(void **state)
{
	static const char xml[] = HEAD "<type image=\"ddi\" verity_partition=\"true\" "
				       "verity_signature_required=\"true\"/>\n" TAIL;
	struct vc_xmlcfg_options o = {.have_key = true};
	struct vc_config *cfg = parse_ok(xml, &o);

	(void)state;
	assert_true(cfg->signature_required);
	assert_null(cfg->signature_key);
	vc_xmlcfg_free(cfg);
}

static void variants(void **state)
{
	struct vc_config *cfg;

	(void)state;
	cfg = parse_ok(HEAD "<type image=\"oem\" overlayroot=\"true\" "
			    "overlayroot_readonly_filesystem=\"erofs\" filesystem=\"ext4\" "
			    "erofscompression=\"lz4hc,9\" verity_blocks=\"1024\" "
			    "embed_verity_metadata=\"true\" initrd_file=\"initrd.img\">\n"
			    "<bootloader name=\"custom\" output_console=\"gfxterm serial\"/>\n"
			    "<initrd action=\"set\"><dracut module=\"base\"/></initrd>\n"
			    "</type>\n" TAIL,
		       NULL);
	assert_int_equal(cfg->compress, VC_EROFS_LZ4HC);
	assert_int_equal(cfg->compress_level, 9);
	assert_int_equal(cfg->verity_blocks, 1024);
	assert_true(cfg->embed_verity_metadata);
	assert_int_equal(cfg->bootloader, VC_CONFIG_BOOT_NONE);
	assert_int_equal(cfg->console, VC_CONFIG_CONSOLE_SERIAL);
	assert_non_null(strstr(cfg->initrd_file, "/initrd.img"));
	assert_true(has_str(&cfg->dracut.set_modules, "base"));
	assert_true(cfg->overlayroot);
	assert_true(cfg->overlay_write_partition);
	assert_int_equal(cfg->overlay_fs, VC_CONFIG_FS_EXT4);
	vc_xmlcfg_free(cfg);

	/* No verity at all, lz4, absolute key path is taken as given. */
	cfg = parse_ok(HEAD
		       "<type image=\"oem\" filesystem=\"erofs\" erofscompression=\"lz4\"/>\n" TAIL,
		       NULL);
	assert_false(cfg->verity);
	assert_int_equal(cfg->compress, VC_EROFS_LZ4);
	assert_int_equal(cfg->timeout, -1);
	vc_xmlcfg_free(cfg);

	/* KIWI's verity example: zstd,level=9; and our erofs_* attributes */
	cfg = parse_ok(HEAD "<type image=\"oem\" filesystem=\"erofs\" "
			    "erofscompression=\"zstd,level=9\" erofs_pcluster_size=\"128k\" "
			    "erofs_features=\"fragments,dedupe\" erofs_target=\"6.12\"/>\n" TAIL,
		       NULL);
	assert_int_equal(cfg->compress, VC_EROFS_ZSTD);
	assert_int_equal(cfg->compress_level, 9);
	assert_int_equal(cfg->erofs_pcluster_size, 131072);
	assert_int_equal(cfg->erofs_features, VC_EROFS_FEATURE_FRAGMENTS | VC_EROFS_FEATURE_DEDUPE);
	assert_int_equal(cfg->erofs_target, VC_EROFS_KVER(6, 12));
	vc_xmlcfg_free(cfg);
}

/* Each bad config: the code, the "config.xml:LINE:" and what must be named. */
struct bad {
	const char *xml;
	int code;
	const char *where; /* "config.xml:5: <type efipartsize=\"0\">" etc. */
	const char *what;  /* a word of the explanation */
};

static void writable_state(void **state)
{
	struct vc_config *cfg;

	(void)state;
	/* KIWI's overlayroot profile with vcompose's EROFS, plus Amazon's /var */
	cfg =
	    parse_ok(HEAD "<type image=\"oem\" overlayroot=\"true\" "
			  "overlayroot_readonly_filesystem=\"erofs\" filesystem=\"ext4\" "
			  "overlayroot_readonly_partsize=\"1500\">\n"
			  "<size unit=\"G\" additive=\"true\" unpartitioned=\"1\"> 4 </size>\n"
			  "<partitions>\n"
			  "<partition name=\"var\" size=\"2G\" mountpoint=\"/var\" "
			  "filesystem=\"ext4\"/>\n"
			  "<partition name=\"data\" size=\"100\" label=\"d\" partition_name=\"D\" "
			  "partition_type=\"t.linux\" clone=\"0\"/>\n"
			  "</partitions>\n"
			  "</type>\n" TAIL,
		     NULL);
	assert_true(cfg->overlayroot);
	assert_true(cfg->overlay_write_partition);
	assert_int_equal(cfg->overlay_fs, VC_CONFIG_FS_EXT4);
	assert_int_equal(cfg->overlay_readonly_mib, 1500);
	assert_int_equal(cfg->disk_mib, 4096);
	assert_true(cfg->disk_additive);
	assert_int_equal(cfg->unpartitioned_mib, 1024);
	assert_int_equal(cfg->size_line, 6);
	assert_int_equal(cfg->n_parts, 2);
	assert_string_equal(cfg->parts[0].name, "var");
	assert_int_equal(cfg->parts[0].size_mib, 2048);
	assert_string_equal(cfg->parts[0].mountpoint, "/var");
	assert_int_equal(cfg->parts[0].fs, VC_CONFIG_FS_EXT4);
	assert_string_equal(cfg->parts[0].label, "VAR"); /* KIWI: the name upper-cased */
	assert_string_equal(cfg->parts[0].partition_name, "p.lxvar"); /* KIWI's default */
	assert_int_equal(cfg->parts[0].line, 8);
	assert_null(cfg->parts[1].mountpoint);
	assert_int_equal(cfg->parts[1].fs, VC_CONFIG_FS_NONE);
	assert_string_equal(cfg->parts[1].label, "d");
	assert_string_equal(cfg->parts[1].partition_name, "D");
	vc_xmlcfg_free(cfg);

	/* tmpfs overlay: the filesystem attribute has nothing to name */
	cfg = parse_ok(HEAD "<type image=\"oem\" overlayroot=\"true\" "
			    "overlayroot_readonly_filesystem=\"erofs\" "
			    "overlayroot_write_partition=\"false\">\n"
			    "<partitions><partition name=\"srv\" size=\"all\" mountpoint=\"/srv\" "
			    "filesystem=\"ext2\"/></partitions>\n"
			    "</type>\n" TAIL,
		       NULL);
	assert_true(cfg->overlayroot);
	assert_false(cfg->overlay_write_partition);
	assert_true(cfg->parts[0].fill);
	assert_int_equal(cfg->parts[0].fs, VC_CONFIG_FS_EXT2);
	assert_int_equal(cfg->disk_mib, 0);
	vc_xmlcfg_free(cfg);
}

#define TYPE(attrs) HEAD "<type " attrs "/>\n" TAIL
#define OEM	    "image=\"oem\" filesystem=\"erofs\" "

static const struct bad bad_cases[] = {
    /* malformed XML: the line of the error */
    {"<?xml version=\"1.0\"?>\n<image name=\"t\">\n<description>\n</image>\n", VC_EINVAL,
     "config.xml:4: malformed XML", "mismatch"},
    /* an external entity (XXE) is never loaded: DOCTYPE refused */
    {"<?xml version=\"1.0\"?>\n<!DOCTYPE image [\n<!ENTITY x SYSTEM \"file:///etc/passwd\">\n]>\n"
     "<image schemaversion=\"8.5\" name=\"&x;\"/>\n",
     VC_EINVAL, "config.xml:2: <!DOCTYPE>", "not allowed"},
    {"<?xml version=\"1.0\"?>\n<!DOCTYPE image SYSTEM \"http://example.org/kiwi.dtd\">\n"
     "<image schemaversion=\"8.5\" name=\"t\"/>\n",
     VC_EINVAL, "config.xml:2: <!DOCTYPE>", "not allowed"},
    /* an undeclared entity is a well-formedness error */
    {HEAD "<type image=\"ddi\" seed=\"&foo;\"/>\n" TAIL, VC_EINVAL, "config.xml:5: malformed XML",
     "foo"},
    {HEAD "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"/etc/passwd\"/>\n"
	  "<type image=\"ddi\"/>\n" TAIL,
     VC_EUNSUPP, "config.xml:5: <include>", "XInclude"},
    {"<?xml version=\"1.0\"?>\n<config/>\n", VC_EINVAL, "config.xml:2: <config>", "<image>"},
    {"<?xml version=\"1.0\"?>\n<image schemaversion=\"8.5\" name=\"../evil\">\n</image>\n",
     VC_EINVAL, "config.xml:2: <image name=\"../evil\">", "output files"},
    {"<?xml version=\"1.0\"?>\n<image name=\"t\">\n</image>\n", VC_EINVAL, "config.xml:2: <image>",
     "schemaversion is required"},
    {"<?xml version=\"1.0\"?>\n<image schemaversion=\"8.5\" name=\"t\">\n<description/>\n"
     "<preferences><version>x y</version>\n<type image=\"ddi\"/></preferences></image>\n",
     VC_EINVAL, "config.xml:4: <version>", "'x y'"},
    {HEAD "<type image=\"ddi\" seed=\"a\" seed=\"b\"/>\n" TAIL, VC_EINVAL, "", ""},
    {HEAD "</preferences><include from=\"this://other.xml\"/><preferences>\n" TAIL, VC_EUNSUPP,
     "config.xml:5: <include>", "merge"},
    {HEAD "<frobnicate/>\n" TAIL, VC_EINVAL, "config.xml:5: <frobnicate>", "unknown element"},
    {HEAD TAIL, VC_EINVAL, "config.xml:2: <image>", "no <type>"},
    /* <type> attributes */
    {TYPE("image=\"iso\""), VC_EUNSUPP, "config.xml:5: <type image=\"iso\">", "ddi"},
    {TYPE("image=\"bogus\""), VC_EUNSUPP, "config.xml:5: <type image=\"bogus\">", "oem"},
    {TYPE("filesystem=\"erofs\""), VC_EINVAL, "config.xml:5: <type>", "image is required"},
    {TYPE("image=\"oem\""), VC_EINVAL, "config.xml:5: <type>", "filesystem is required"},
    {TYPE("image=\"oem\" filesystem=\"ext4\""), VC_EUNSUPP,
     "config.xml:5: <type filesystem=\"ext4\">", "EROFS"},
    {TYPE("image=\"oem\" filesystem=\"zfs\""), VC_EINVAL, "config.xml:5: <type filesystem=\"zfs\">",
     "expected"},
    {TYPE(OEM "overlayroot=\"true\""), VC_EUNSUPP,
     "config.xml:5: <type overlayroot_readonly_filesystem>", "erofs"},
    /* writable state: overlayroot, <size>, <partitions> */
    {TYPE("image=\"oem\" overlayroot=\"true\" overlayroot_readonly_filesystem=\"erofs\" "
	  "filesystem=\"erofs\""),
     VC_EUNSUPP, "config.xml:5: <type filesystem=\"erofs\">", "read-only"},
    {TYPE("image=\"oem\" overlayroot=\"true\" overlayroot_readonly_filesystem=\"erofs\" "
	  "filesystem=\"xfs\""),
     VC_EUNSUPP, "config.xml:5: <type filesystem=\"xfs\">", "reproducible"},
    {TYPE("image=\"oem\" overlayroot=\"true\" overlayroot_readonly_filesystem=\"erofs\" "),
     VC_EINVAL, "config.xml:5: <type>", "write partition's file system"},
    {TYPE(OEM "overlayroot_write_partition=\"false\""), VC_EINVAL,
     "config.xml:5: <type overlayroot_write_partition=\"false\">", "overlayroot=\"true\""},
    {HEAD "<type " OEM ">\n<size unit=\"T\">1</size></type>\n" TAIL, VC_EINVAL,
     "config.xml:6: <size unit=\"T\">", "\"M\" or \"G\""},
    {HEAD "<type " OEM ">\n<size>10G</size></type>\n" TAIL, VC_EINVAL, "config.xml:6: <size>",
     "number of MiB"},
    {HEAD "<type " OEM ">\n<size>1</size><size>2</size></type>\n" TAIL, VC_EINVAL,
     "config.xml:6: <size>", "twice"},
    {HEAD "<type " OEM ">\n<partitions><partition name=\"var\" size=\"100\" "
	  "mountpoint=\"/\" filesystem=\"ext4\"/></partitions></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <partition mountpoint=\"/\">", "root file system"},
    {HEAD "<type " OEM ">\n<partitions><partition name=\"var\" size=\"100\" "
	  "mountpoint=\"/var/../etc\" filesystem=\"ext4\"/></partitions></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <partition mountpoint=\"/var/../etc\">", "inside the tree"},
    {HEAD "<type " OEM ">\n<partitions><partition name=\"var\" size=\"100\" "
	  "mountpoint=\"var\" filesystem=\"ext4\"/></partitions></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <partition mountpoint=\"var\">", "absolute"},
    {HEAD "<type " OEM ">\n<partitions><partition name=\"var\" size=\"100\" "
	  "mountpoint=\"/var\" filesystem=\"btrfs\"/></partitions></type>\n" TAIL,
     VC_EUNSUPP, "config.xml:6: <partition filesystem=\"btrfs\">", "ext4"},
    {HEAD "<type " OEM ">\n<partitions><partition name=\"root\" size=\"100\"/>"
	  "</partitions></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <partition name=\"root\">", "reserved"},
    {HEAD "<type " OEM ">\n<partitions><partition name=\"a\" size=\"all\"/>"
	  "<partition name=\"b\" size=\"all\"/></partitions></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <partition size=\"all\">", "only one"},
    {HEAD "<type " OEM ">\n<partitions><partition name=\"a\" size=\"1T\"/>"
	  "</partitions></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <partition size=\"1T\">", "\"all\""},
    {HEAD "<type " OEM ">\n<partitions><partition name=\"a\" size=\"10\" "
	  "mountpoint=\"/srv\"/></partitions></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <partition mountpoint=\"/srv\">", "filesystem"},
    {HEAD "<type " OEM ">\n<partitions><partition name=\"a\" size=\"10\" part_id=\"0\"/>"
	  "</partitions></type>\n" TAIL,
     VC_ERANGE, "config.xml:6: <partition part_id=\"0\">", "1..128"},
    /* partition numbers: one partition per number */
    {TYPE(OEM "efipart_id=\"129\""), VC_ERANGE, "config.xml:5: <type efipart_id=\"129\">",
     "1..128"},
    {TYPE(OEM "efipart_id=\"3\" rootpart_id=\"3\""), VC_EINVAL,
     "config.xml:5: <type rootpart_id=\"3\">", "ESP's"},
    {TYPE("image=\"ddi\" efipart_id=\"2\""), VC_EINVAL, "config.xml:5: <type efipart_id=\"2\">",
     "no EFI"},
    {HEAD "<type " OEM "rootpart_id=\"1\">\n<partitions><partition name=\"a\" size=\"10\" "
	  "part_id=\"1\"/></partitions></type>\n" TAIL,
     VC_EINVAL, "config.xml:5: <type>", "partition 1 is taken (rootpart_id)"},
    {HEAD "<type "
	  "image=\"oem\" overlayroot=\"true\" overlayroot_readonly_filesystem=\"erofs\" "
	  "filesystem=\"ext4\">\n<partitions><partition name=\"a\" "
	  "size=\"all\"/></partitions></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <partition size=\"all\">", "write partition"},
    {HEAD "<type image=\"ddi\">\n<partitions/></type>\n" TAIL, VC_EINVAL,
     "config.xml:6: <partitions>", "ddi"},
    {TYPE(OEM "erofscompression=\"brotli\""), VC_EINVAL,
     "config.xml:5: <type erofscompression=\"brotli\">", "unknown algorithm 'brotli'"},
    {TYPE(OEM "erofscompression=\"zstd,level=23\""), VC_EINVAL,
     "config.xml:5: <type erofscompression=\"zstd,level=23\">", "zstd level 23: expected 1..22"},
    {TYPE(OEM "erofs_pcluster_size=\"12288\""), VC_EINVAL,
     "config.xml:5: <type erofs_pcluster_size=\"12288\">", "power of two"},
    {TYPE(OEM "erofs_features=\"packing\""), VC_EINVAL,
     "config.xml:5: <type erofs_features=\"packing\">", "unknown feature 'packing'"},
    {TYPE(OEM "erofs_target=\"six\""), VC_EINVAL, "config.xml:5: <type erofs_target=\"six\">",
     "MAJOR.MINOR"},
    {TYPE(OEM "erofscompression=\"lz4hc,13\""), VC_EINVAL,
     "config.xml:5: <type erofscompression=\"lz4hc,13\">", "1..12"},
    {TYPE(OEM "firmware=\"bios\""), VC_EUNSUPP, "config.xml:5: <type firmware=\"bios\">", "EFI"},
    {TYPE(OEM "firmware=\"efi2\""), VC_EINVAL, "config.xml:5: <type firmware=\"efi2\">",
     "expected"},
    {TYPE(OEM "efipartsize=\"0\""), VC_ERANGE, "config.xml:5: <type efipartsize=\"0\">", "MiB"},
    {TYPE(OEM "efipartsize=\"20M\""), VC_EINVAL, "config.xml:5: <type efipartsize=\"20M\">", "MiB"},
    {TYPE(OEM "efipartsize=\"99999999999999999999999\""), VC_ERANGE,
     "config.xml:5: <type efipartsize=", "too large"},
    {TYPE("image=\"ddi\" efipartsize=\"20\""), VC_EINVAL, "config.xml:5: <type efipartsize=\"20\">",
     "no EFI"},
    {TYPE(OEM "verity_blocks=\"some\""), VC_EINVAL, "config.xml:5: <type verity_blocks=\"some\">",
     "all"},
    {TYPE(OEM "verity_blocks=\"\""), VC_EINVAL, "config.xml:5: <type verity_blocks=\"\">", "all"},
    {TYPE(OEM "embed_verity_metadata=\"true\""), VC_EINVAL,
     "config.xml:5: <type embed_verity_metadata=\"true\">", "verity_blocks"},
    {TYPE(OEM "verity_blocks=\"all\" embed_verity_metadata=\"true\" verity_partition=\"true\""),
     VC_EINVAL, "config.xml:5: <type verity_partition=\"true\">", "exclude each other"},
    {TYPE(OEM "verity_partition=\"yes\""), VC_EINVAL,
     "config.xml:5: <type verity_partition=\"yes\">", "true"},
    {TYPE(OEM "verity_partition=\"true\" verity_blocks=\"100\""), VC_EINVAL,
     "config.xml:5: <type verity_blocks=\"100\">", "all"},
    {TYPE(OEM "veritypartsize=\"10\""), VC_EINVAL, "config.xml:5: <type veritypartsize=\"10\">",
     "verity_partition"},
    {TYPE(OEM "verity_partition=\"true\" veritypartsize=\"-1\""), VC_EINVAL,
     "config.xml:5: <type veritypartsize=\"-1\">", "MiB"},
    {TYPE(OEM "verity_partition=\"true\" verity_signature_required=\"true\""), VC_EINVAL,
     "config.xml:5: <type verity_signature_required=\"true\">", "verity_signature_key"},
    /* a key without verity_signature_cert is accepted here: its PEM file
       must hold the certificate, which compose checks when it reads it */
    {TYPE(OEM "verity_signature_key=\"db.key\" verity_signature_cert=\"db.crt\""), VC_EINVAL,
     "config.xml:5: <type verity_signature_key=\"db.key\">", "needs verity"},
    {TYPE(OEM "verity_partition=\"true\" verity_signature_key=\"missing.key\" "
	      "verity_signature_cert=\"db.crt\""),
     VC_EINVAL, "config.xml:5: <type verity_signature_key=\"missing.key\">", "No such file"},
    {TYPE(OEM "verity_partition=\"true\" verity_signature_key=\"../db.key\" "
	      "verity_signature_cert=\"db.crt\""),
     VC_EINVAL, "config.xml:5: <type verity_signature_key=\"../db.key\">", "leaves the config"},
    {TYPE(OEM "verity_partition=\"true\" verity_signature_key=\"sub/../../x/db.key\" "
	      "verity_signature_cert=\"db.crt\""),
     VC_EINVAL, "config.xml:5: <type verity_signature_key=\"sub/../../x/db.key\">",
     "leaves the config"},
    {TYPE(OEM "verity_partition=\"true\" verity_signature_key=\"outside.key\" "
	      "verity_signature_cert=\"db.crt\""),
     VC_EINVAL, "config.xml:5: <type verity_signature_key=\"outside.key\">", "leads out"},
    {TYPE(OEM "verity_partition=\"true\" verity_signature_key=\"sub\" "
	      "verity_signature_cert=\"db.crt\""),
     VC_EINVAL, "config.xml:5: <type verity_signature_key=\"sub\">", "not a regular file"},
    {TYPE(OEM "initrd_system=\"kiwi\""), VC_EUNSUPP, "config.xml:5: <type initrd_system=\"kiwi\">",
     "dracut"},
    {TYPE(OEM "initrd_system=\"none\""), VC_EINVAL, "config.xml:5: <type initrd_system=\"none\">",
     "needs an initrd"},
    {TYPE("image=\"ddi\" initrd_file=\"initrd.img\""), VC_EINVAL,
     "config.xml:5: <type initrd_file=\"initrd.img\">", "ddi"},
    {TYPE("image=\"ddi\" pcr_signature_key=\"pcr.key\""), VC_EINVAL,
     "config.xml:5: <type pcr_signature_key=\"pcr.key\">", "no UKI"},
    {TYPE(OEM "kernelcmdline=\"root=&lt;root&gt;\""), VC_EINVAL,
     "config.xml:5: <type kernelcmdline=\"root=<root>\">", "unknown placeholder '<root>'"},
    {TYPE(OEM "kernelcmdline=\"x=&lt;hash&gt;\""), VC_EINVAL,
     "config.xml:5: <type kernelcmdline=\"x=<hash>\">", "need verity"},
    /* a roothash= word is compared with the root hash by compose (tests/user_surface.sh) */
    {TYPE(OEM "kernelcmdline=\"a&#10;b\""), VC_EINVAL,
     "config.xml:5: <type kernelcmdline=", "control"},
    {TYPE("image=\"ddi\" kernelcmdline=\"quiet\""), VC_EINVAL,
     "config.xml:5: <type kernelcmdline=\"quiet\">", "ddi"},
    {TYPE(OEM "luks=\"secret\""), VC_EUNSUPP, "config.xml:5: <type luks=\"secret\">",
     "not supported"},
    {TYPE(OEM "mdraid=\"mirroring\""), VC_EUNSUPP, "config.xml:5: <type mdraid=\"mirroring\">",
     "not supported"},
    {TYPE(OEM "verity_blox=\"all\""), VC_EINVAL, "config.xml:5: <type verity_blox=\"all\">",
     "unknown attribute"},
    {TYPE(OEM "seed=\"\""), VC_EINVAL, "config.xml:5: <type seed=\"\">", "printable"},
    {TYPE(OEM "primary=\"maybe\""), VC_EINVAL, "config.xml:5: <type primary=\"maybe\">", "true"},
    {TYPE(OEM "rootfs_label=\"this label is far too long for a gpt partition name\""), VC_EINVAL,
     "config.xml:5: <type rootfs_label=", "1..16 bytes"},
    /* children of <type> */
    {HEAD "<type image=\"ddi\">\n<bootloader name=\"systemd_boot\"/></type>\n" TAIL, VC_EINVAL,
     "config.xml:6: <bootloader>", "ddi"},
    {HEAD "<type " OEM ">\n<bootloader name=\"grub2\"/></type>\n" TAIL, VC_EUNSUPP,
     "config.xml:6: <bootloader name=\"grub2\">", "systemd_boot"},
    {HEAD "<type " OEM ">\n<bootloader name=\"lilo\"/></type>\n" TAIL, VC_EINVAL,
     "config.xml:6: <bootloader name=\"lilo\">", "expected"},
    {HEAD "<type " OEM ">\n<bootloader name=\"systemd_boot\" console=\"hdmi\"/></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <bootloader console=\"hdmi\">", "serial"},
    {HEAD "<type " OEM ">\n<bootloader name=\"systemd_boot\" output_console=\"serial tv\"/>"
	  "</type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <bootloader output_console=\"serial tv\">", "'tv'"},
    {HEAD "<type " OEM
	  ">\n<bootloader name=\"systemd_boot\" output_console=\"serial tv\"/></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <bootloader output_console=\"serial tv\">", "'tv'"},
    {HEAD "<type " OEM ">\n<bootloader name=\"systemd_boot\" timeout=\"1000\"/></type>\n" TAIL,
     VC_ERANGE, "config.xml:6: <bootloader timeout=\"1000\">", "0..600"},
    {HEAD "<type " OEM ">\n<bootloader name=\"systemd_boot\"/>\n<bootloader name=\"systemd_boot\"/>"
	  "</type>\n" TAIL,
     VC_EINVAL, "config.xml:7: <bootloader>", "twice"},
    {HEAD "<type " OEM ">\n<bootloader name=\"systemd_boot\"><dracut>\n"
	  "<install paths=\"/usr/sbin/veritysetup ../etc/shadow\"/>\n"
	  "</dracut></bootloader></type>\n" TAIL,
     VC_EINVAL, "config.xml:7: <install paths=", "'../etc/shadow'"},
    {HEAD "<type " OEM ">\n<bootloader name=\"systemd_boot\"><dracut>\n"
	  "<install paths=\"/usr/../etc/shadow\"/>\n</dracut></bootloader></type>\n" TAIL,
     VC_EINVAL, "config.xml:7: <install paths=", "absolute path"},
    {HEAD "<type " OEM ">\n<bootloader name=\"systemd_boot\"><dracut>\n"
	  "<add_drivers names=\"dm-verity;rm\"/>\n</dracut></bootloader></type>\n" TAIL,
     VC_EINVAL, "config.xml:7: <add_drivers names=\"dm-verity;rm\">", "driver name"},
    {HEAD "<type " OEM ">\n<bootloader name=\"systemd_boot\"><dracut>\n"
	  "<add_drivers names=\"  \"/>\n</dracut></bootloader></type>\n" TAIL,
     VC_EINVAL, "config.xml:7: <add_drivers names=\"  \">", "empty list"},
    {HEAD "<type " OEM ">\n<bootloader name=\"systemd_boot\"><dracut>\n"
	  "<add module=\"dm\"/>\n</dracut></bootloader></type>\n" TAIL,
     VC_EINVAL, "config.xml:7: <add module=\"dm\">", "unknown attribute"},
    {HEAD "<type " OEM ">\n<bootloader name=\"systemd_boot\"><dracut>\n"
	  "<uki><kernel name=\"../vmlinuz\"/></uki>\n</dracut></bootloader></type>\n" TAIL,
     VC_EINVAL, "config.xml:7: <kernel name=\"../vmlinuz\">", "file name"},
    {HEAD
     "<type " OEM ">\n<bootloader name=\"systemd_boot\"><dracut>\n"
     "<uki><kernel name=\"a\"/><kernel name=\"b\"/></uki>\n</dracut></bootloader></type>\n" TAIL,
     VC_EINVAL, "config.xml:7: <kernel>", "only one kernel"},
    {HEAD "<type " OEM ">\n<initrd action=\"replace\"/></type>\n" TAIL, VC_EINVAL,
     "config.xml:6: <initrd action=\"replace\">", "setup"},
    {HEAD "<type " OEM ">\n<initrd action=\"add\"><dracut/></initrd></type>\n" TAIL, VC_EINVAL,
     "config.xml:6: <dracut>", "module or a driver"},
    {HEAD "<type " OEM ">\n<initrd action=\"setup\"><dracut module=\"dm\"/></initrd></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <dracut module=\"dm\">", "uefi"},
    {HEAD "<type " OEM ">\n<initrd action=\"add\"><dracut uefi=\"true\"/></initrd></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <dracut uefi=\"true\">", "setup"},
    {HEAD "<type " OEM ">\n<initrd action=\"setup\"><dracut uefi=\"yes\"/></initrd></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <dracut uefi=\"yes\">", "true"},
    {HEAD "<type " OEM ">\n<initrd action=\"set\"><dracut driver=\"x\"/></initrd></type>\n" TAIL,
     VC_EINVAL, "config.xml:6: <dracut driver=\"x\">", "modules only"},
    {HEAD "<type " OEM ">\n<gadget/></type>\n" TAIL, VC_EINVAL, "config.xml:6: <gadget>",
     "unknown element inside <type>"},
    {HEAD "<type " OEM ">\n<oemconfig><mystery/></oemconfig></type>\n" TAIL, VC_EINVAL,
     "config.xml:6: <mystery>", "unknown element"},
    /* profiles */
    {"<?xml version=\"1.0\"?>\n<image schemaversion=\"8.5\" name=\"t\">\n<profiles>\n"
     "<profile name=\"a\" description=\"x\"/>\n<profile name=\"a\" description=\"y\"/>\n"
     "</profiles>\n</image>\n",
     VC_EINVAL, "config.xml:5: <profile name=\"a\">", "twice"},
    {"<?xml version=\"1.0\"?>\n<image schemaversion=\"8.5\" name=\"t\">\n<profiles>\n"
     "<profile name=\"a\" description=\"x\" import=\"true\"/>\n"
     "<profile name=\"b\" description=\"x\"><requires profile=\"zz\"/></profile>\n"
     "</profiles>\n<description type=\"system\"><specification>s</specification></description>\n"
     "<preferences profiles=\"a\"><type image=\"ddi\"/></preferences>\n</image>\n",
     0, NULL, NULL},
};

static void bad_configs(void **state)
{
	size_t checked = 0;

	(void)state;
	for (size_t i = 0; i < VC_ARRAY_SIZE(bad_cases); i++) {
		const struct bad *b = &bad_cases[i];
		struct vc_config *cfg = NULL;
		struct vc_error err;
		int r = parse(b->xml, NULL, &cfg, &err);

		if (b->code == 0) { /* a control case: good */
			if (r != 0)
				fail_msg("case %zu: unexpected error: %s", i, err.msg);
			vc_xmlcfg_free(cfg);
			continue;
		}
		if (r == 0) {
			vc_xmlcfg_free(cfg);
			fail_msg("case %zu: accepted, expected '%s'", i, b->where);
		}
		assert_null(cfg);
		if (!*b->where) { /* only the class and a line */
			if (!strstr(err.msg, "config.xml:"))
				fail_msg("case %zu: no line in '%s'", i, err.msg);
			checked++;
			continue;
		}
		if (r != b->code || !strstr(err.msg, b->where) || !strstr(err.msg, b->what))
			fail_msg("case %zu: got %d '%s'\n  expected %d with '%s' and '%s'", i, r,
				 err.msg, b->code, b->where, b->what);
		checked++;
	}
	assert_true(checked >= 60);
}

static void load_errors(void **state)
{
	struct vc_config *cfg = NULL;
	struct vc_error err;
	char path[600];

	(void)state;
	assert_int_equal(vc_xmlcfg_load("/nonexistent/config.xml", NULL, &cfg, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "/nonexistent/config.xml"));
	assert_int_equal(vc_xmlcfg_load(tmpdir, NULL, &cfg, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
	/* Too large: refused before parsing. */
	snprintf(path, sizeof(path), "%s/big.xml", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fseek(f, VC_XMLCFG_FILE_MAX + 1, SEEK_SET), 0);
	fputc('\n', f);
	fclose(f);
	assert_int_equal(vc_xmlcfg_load(path, NULL, &cfg, &err), VC_ERANGE);
	assert_non_null(strstr(err.msg, "big.xml"));
	assert_null(cfg);
}

/* Billion laughs with entities inside the document: refused as a DOCTYPE. */
static void entity_expansion_refused(void **state)
{
	static const char xml[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE image [\n"
	    " <!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
	    " <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
	    " <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
	    "]>\n"
	    "<image schemaversion=\"8.5\" name=\"t\">&c;</image>\n";
	struct vc_config *cfg = NULL;
	struct vc_error err;

	(void)state;
	assert_int_equal(parse(xml, NULL, &cfg, &err), VC_EINVAL);
	assert_non_null(strstr(err.msg, "config.xml:2: <!DOCTYPE>"));
}

/* What a report callback receives, in order: "W:" warnings, "E:" errors. */
struct collected {
	char text[16][512];
	size_t n;
};

static void collect(void *ctx, enum vc_xmlcfg_level level, const char *msg)
{
	struct collected *k = ctx;

	if (k->n < 16)
		snprintf(k->text[k->n++], sizeof(k->text[0]), "%s%s",
			 level == VC_XMLCFG_ERROR ? "E:" : "W:", msg);
}

/* One run reports every problem, each with its line; the parse goes on
 * after each, and the load fails at the end. */
static void all_problems_at_once(void **state)
{
	static const char xml[] =
	    HEAD "<type image=\"oem\" filesystem=\"ext4\" luks=\"linux\"\n"
		 "      devicepersistency=\"by-label\" frobnicate=\"1\" efipartsize=\"x\">\n"
		 "  <bootloader name=\"grub2\" timeout=\"never\"/>\n"
		 "  <systemdisk/>\n"
		 "</type>\n" TAIL;
	static const char *const want[] = {
	    "W:config.xml:6: <type devicepersistency>: ignored: ",
	    "E:config.xml:5: <type filesystem=\"ext4\">: the root is always a verity-protected "
	    "EROFS",
	    "E:config.xml:5: <type luks=\"linux\">: not supported: ",
	    "E:config.xml:6: <type frobnicate=\"1\">: unknown attribute",
	    "E:config.xml:6: <type efipartsize=\"x\">: expected a decimal number of MiB",
	    "E:config.xml:7: <bootloader name=\"grub2\">: GRUB and zipl are not installed: use "
	    "name=\"systemd_boot\"",
	    "E:config.xml:7: <bootloader timeout=\"never\">",
	    "E:config.xml:8: <systemdisk>: volumes",
	};
	struct collected k = {0};
	struct vc_xmlcfg_options o = {.report = collect, .report_ctx = &k};
	struct vc_config *cfg = NULL;
	struct vc_error err;

	(void)state;
	assert_int_equal(parse(xml, &o, &cfg, &err), VC_EUNSUPP); /* the first error's code */
	assert_null(cfg);
	assert_string_equal(err.msg, "config.xml: 7 errors");
	assert_int_equal(k.n, VC_ARRAY_SIZE(want));
	for (size_t i = 0; i < k.n; i++)
		if (strncmp(k.text[i], want[i], strlen(want[i])))
			fail_msg("message %zu: '%s'\n  expected '%s...'", i, k.text[i], want[i]);

	/* Without a callback, the error names the first and counts the others. */
	assert_int_equal(parse(xml, NULL, &cfg, &err), VC_EUNSUPP);
	assert_non_null(strstr(err.msg, "config.xml:5: <type filesystem=\"ext4\">"));
	assert_non_null(strstr(err.msg, "(and 6 more errors)"));

	/* One error: err holds it, the callback gets the warnings only. */
	k.n = 0;
	assert_int_equal(parse(HEAD "<type image=\"oem\" filesystem=\"erofs\" "
				    "devicepersistency=\"by-label\" luks=\"linux\"/>\n" TAIL,
			       &o, &cfg, &err),
			 VC_EUNSUPP);
	assert_non_null(strstr(err.msg, "config.xml:5: <type luks=\"linux\">: not supported: "));
	assert_int_equal(k.n, 1);
	assert_memory_equal(k.text[0], "W:", 2);
}

/* ---- docs/xmlcfg.md's <type> table against the parser ---- */

/* A whole text file, NUL-terminated (the caller frees it). */
static char *slurp(const char *path)
{
	struct vc_error err = {0};
	struct vc_buf b;

	vc_test_read(path, &b);
	if (vc_buf_append(&b, "", 1, &err) < 0)
		fail_msg("%s", err.msg);
	return (char *)b.data;
}

/* The cells of a table row "| a | b | ... |", '\|' unescaped, code
 * backticks stripped from each cell's ends. Returns the count. */
static size_t row_cells(const char *line, char cells[][1024], size_t max)
{
	size_t n = 0, len = 0;
	const char *p = strchr(line, '|');

	if (!p)
		return 0;
	for (p++; *p && *p != '\n' && n < max; p++) {
		if (*p == '\\' && p[1] == '|') {
			cells[n][len++] = *++p;
		} else if (*p == '|') {
			cells[n][len] = '\0';
			char *c = cells[n], *e = c + strlen(c);
			while (*c == ' ')
				c++;
			while (e > c && e[-1] == ' ')
				e--;
			if (e > c + 1 && *c == '`' && e[-1] == '`')
				c++, e--;
			memmove(cells[n], c, (size_t)(e - c));
			cells[n][e - c] = '\0';
			n++;
			len = 0;
		} else if (len < 1023) {
			cells[n][len++] = *p;
		}
	}
	return n;
}

/* Does some collected message of kind k ('E' or 'W') name <type AN...>? */
static bool names_attr(const struct collected *k, char kind, const char *an)
{
	char pat[128];

	for (size_t i = 0; i < k->n; i++) {
		if (k->text[i][0] != kind)
			continue;
		snprintf(pat, sizeof(pat), "<type %s=", an);
		if (strstr(k->text[i], pat))
			return true;
		snprintf(pat, sizeof(pat), "<type %s>", an);
		if (strstr(k->text[i], pat))
			return true;
	}
	return false;
}

static size_t count_kind(const struct collected *k, char kind)
{
	size_t n = 0;

	for (size_t i = 0; i < k->n; i++)
		n += k->text[i][0] == kind;
	return n;
}

static bool in_names(char names[][64], size_t n, const char *x)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], x))
			return true;
	return false;
}

/* One row: the example on top of image="oem" filesystem="erofs". */
static void check_row(const char *an, const char *class, const char *example)
{
	char xml[4096], base[128] = "";
	struct collected k = {0};
	struct vc_xmlcfg_options o = {.report = collect, .report_ctx = &k};
	struct vc_config *cfg = NULL;
	struct vc_error err;
	int r;

	if (strncmp(example, "image=", 6) && !strstr(example, " image="))
		strcat(base, "image=\"oem\" ");
	if (strncmp(example, "filesystem=", 11) && !strstr(example, " filesystem="))
		strcat(base, "filesystem=\"erofs\" ");
	snprintf(xml, sizeof(xml), HEAD "<type %s%s/>\n" TAIL, base, example);
	r = parse(xml, &o, &cfg, &err);
	vc_xmlcfg_free(cfg);
	if (r < 0 && !count_kind(&k, 'E') && k.n < 16) /* one error: it is in err */
		snprintf(k.text[k.n++], sizeof(k.text[0]), "E:%.500s", err.msg);
	if (!strcmp(class, "honoured")) {
		if (r < 0 || names_attr(&k, 'W', an))
			fail_msg("%s (honoured): '%s' gave '%s'", an, example,
				 k.n ? k.text[0] : "?");
	} else if (!strcmp(class, "refused")) {
		if (r == 0 || !names_attr(&k, 'E', an))
			fail_msg("%s (refused): '%s' gave no error naming it", an, example);
	} else if (!strcmp(class, "ignored")) {
		if (r < 0 || !names_attr(&k, 'W', an))
			fail_msg("%s (ignored): '%s' gave %s", an, example,
				 r < 0 ? err.msg : "no warning naming it");
	} else {
		fail_msg("%s: class '%s'", an, class);
	}
}

static void type_table_matches_docs(void **state)
{
	static char names[256][64];
	char cells[6][1024];
	char *doc = slurp(VC_SOURCE_DIR "/docs/xmlcfg.md");
	char *kiwi = slurp(VC_SOURCE_DIR "/tests/kiwi/type-attributes.txt");
	const char *p = strstr(doc, "<!-- type-attributes");
	const char *end = strstr(doc, "<!-- end of type-attributes");
	size_t n = 0;

	(void)state;
	assert_non_null(p);
	assert_non_null(end);
	for (p = strchr(p, '\n'); p && p < end; p = strchr(p + 1, '\n')) {
		if (strncmp(p + 1, "| `", 3))
			continue;
		assert_int_equal(row_cells(p + 1, cells, 6), 4);
		if (in_names(names, n, cells[0]))
			fail_msg("docs/xmlcfg.md: %s twice", cells[0]);
		assert_true(n < 256 && strlen(cells[0]) < 64);
		strcpy(names[n++], cells[0]);
		check_row(cells[0], cells[1], cells[2]);
	}
	/* every attribute of the parser's table and of KIWI's schema has a row */
	for (size_t i = 0; vc_xmlcfg_type_attr_name(i); i++)
		if (!in_names(names, n, vc_xmlcfg_type_attr_name(i)))
			fail_msg("docs/xmlcfg.md has no row for %s", vc_xmlcfg_type_attr_name(i));
	assert_int_equal(n, vc_xmlcfg_type_attr_count());
	size_t from_schema = 0;
	for (char *save = NULL, *l = strtok_r(kiwi, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (*l == '#')
			continue;
		if (!in_names(names, n, l))
			fail_msg("KIWI's <type %s> has no row in docs/xmlcfg.md", l);
		from_schema++;
	}
	assert_int_equal(from_schema, 94);
	free(doc);
	free(kiwi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(example_minimal),
	    cmocka_unit_test(example_bootable),
	    cmocka_unit_test(kiwi_style_description),
	    cmocka_unit_test(profiles_select_types),
	    cmocka_unit_test(signature_key_from_cli),
	    cmocka_unit_test(variants),
	    cmocka_unit_test(writable_state),
	    cmocka_unit_test(bad_configs),
	    cmocka_unit_test(load_errors),
	    cmocka_unit_test(entity_expansion_refused),
	    cmocka_unit_test(all_problems_at_once),
	    cmocka_unit_test(type_table_matches_docs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
