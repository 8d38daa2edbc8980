/* SPDX-License-Identifier: MIT */
/* The boot side of the plan (compose_priv.h): the kernel command line and
 * the ESP's files, from the config and what the stages found, without I/O.
 * compose.c assembles the UKI with the command line and writes the ESP's
 * files in this order (the FAT writer keeps the order it is given). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_priv.h"
#include "vcompose/util.h"
#include "vcompose/verity.h"
#include "vcompose/xmlcfg.h"

/* ---- the kernel command line ---- */

static int append_word(struct vc_buf *b, const char *w, size_t n, struct vc_error *err)
{
	if (b->len && vc_buf_append(b, " ", 1, err) < 0)
		return VC_ENOMEM;
	return vc_buf_append(b, w, n, err);
}

/* Whether the command line has the word KEY=VALUE (key given with its '='),
 * as the kernel splits it: words between spaces, double quotes keep spaces.
 * "mymod.roothash=1" is not the word "roothash=". */
static bool cmdline_word(const char *s, const char *key, const char **ret_val, size_t *ret_len)
{
	size_t klen = strlen(key);

	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		const char *w = s;
		bool q = false;
		while (*s && (q || (*s != ' ' && *s != '\t' && *s != '\n'))) {
			if (*s == '"')
				q = !q;
			s++;
		}
		if ((size_t)(s - w) >= klen && strncmp(w, key, klen) == 0) {
			*ret_val = w + klen;
			*ret_len = (size_t)(s - w) - klen;
			return true;
		}
	}
	return false;
}

/* overlayroot: the write partition, or tmpfs, unless the config's command
 * line says. */
static int overlay_words(const struct compose_cmdline_in *ci, struct vc_buf *b,
			 struct vc_error *err)
{
	const char *in = ci->cfg->kernelcmdline ? ci->cfg->kernelcmdline : "";
	char u[VC_UUID_STR];

	if (!ci->cfg->overlayroot || strstr(in, "rd.root.overlay.write=") ||
	    strstr(in, "rd.root.overlay.temporary"))
		return 0;
	if (!ci->overlay_uuid)
		return vc_buf_appendf(b, err, "%srd.root.overlay.temporary", b->len ? " " : "");
	vc_uuid_format(ci->overlay_uuid, u);
	return vc_buf_appendf(b, err, "%srd.root.overlay.write=/dev/disk/by-partuuid/%s",
			      b->len ? " " : "", u);
}

int compose_cmdline(const struct compose_cmdline_in *ci, char **ret, struct vc_error *err)
{
	const struct vc_config *cfg = ci->cfg;
	const struct vc_verity_params *vp = ci->vp;
	const char *in = cfg->kernelcmdline ? cfg->kernelcmdline : "";
	char hash[65], data_dev[80], hash_dev[80], uuid[VC_UUID_STR];
	struct vc_buf b = {0};
	int r = 0;

	vc_hex_encode(ci->roothash, 32, hash);
	vc_uuid_format(ci->root_uuid, uuid);
	snprintf(data_dev, sizeof(data_dev), "/dev/disk/by-partuuid/%s", uuid);
	vc_uuid_format(cfg->verity_partition ? ci->hash_uuid : ci->root_uuid, uuid);
	snprintf(hash_dev, sizeof(hash_dev), "/dev/disk/by-partuuid/%s", uuid);
	/* placeholders */
	for (const char *p = in; *p && r == 0;) {
		if (strncmp(p, "<data_device>", 13) == 0) {
			r = vc_buf_append(&b, data_dev, strlen(data_dev), err);
			p += 13;
		} else if (strncmp(p, "<hash_device>", 13) == 0) {
			r = vc_buf_append(&b, hash_dev, strlen(hash_dev), err);
			p += 13;
		} else if (strncmp(p, "<hash>", 6) == 0) {
			r = vc_buf_append(&b, hash, 64, err);
			p += 6;
		} else {
			r = vc_buf_append(&b, p, 1, err);
			p++;
		}
	}
	if (r == 0)
		r = overlay_words(ci, &b, err);
	const char *val;
	size_t vlen;
	if (r == 0 && cfg->console == VC_CONFIG_CONSOLE_SERIAL &&
	    !cmdline_word(in, "console=", &val, &vlen))
		r = append_word(&b, "console=ttyS0,115200", 20, err);
	if (r == 0 && cfg->console == VC_CONFIG_CONSOLE_VGA &&
	    !cmdline_word(in, "console=", &val, &vlen))
		r = append_word(&b, "console=tty0", 12, err);
	if (r == 0 && vc_buf_append(&b, "", 0, err) < 0) /* NUL-terminated for the scan */
		r = VC_ENOMEM;
	bool have =
	    r == 0 && b.data && cmdline_word((const char *)b.data, "roothash=", &val, &vlen);
	if (have && ci->final && (vlen != 64 || strncmp(val, hash, 64) != 0))
		r = vc_errorf(err, VC_EINVAL,
			      "%s:%u: <type kernelcmdline>: roothash=%.*s is not the image's root "
			      "hash %s; remove the word (vcompose adds roothash= itself)",
			      cfg->path, cfg->type_line, (int)(vlen > 80 ? 80 : vlen), val, hash);
	if (r == 0 && cfg->verity) {
		char w[128];
		snprintf(w, sizeof(w), "roothash=%s", hash);
		if (!have)
			r = append_word(&b, w, strlen(w), err);
		if (r == 0 && !cfg->verity_partition) {
			/* tree after the filesystem in the root partition */
			char ww[1024];
			vc_uuid_format(ci->root_uuid, uuid);
			char salt[2 * VC_VERITY_MAX_SALT + 1];
			vc_hex_encode(vp->salt, vp->salt_len, salt);
			if (vp->superblock)
				snprintf(ww, sizeof(ww),
					 "systemd.verity_root_data=PARTUUID=%s "
					 "systemd.verity_root_hash=PARTUUID=%s "
					 "systemd.verity_root_options=hash-offset=%llu",
					 uuid, uuid, (unsigned long long)ci->root_size);
			else
				snprintf(
				    ww, sizeof(ww),
				    "systemd.verity_root_data=PARTUUID=%s "
				    "systemd.verity_root_hash=PARTUUID=%s "
				    "systemd.verity_root_options=superblock=no,data-blocks=%llu,"
				    "hash-offset=%llu,salt=%s",
				    uuid, uuid, (unsigned long long)vp->data_blocks,
				    (unsigned long long)ci->root_size, salt);
			r = append_word(&b, ww, strlen(ww), err);
		}
	}
	if (r == 0 && vc_buf_append(&b, "", 0, err) < 0)
		r = VC_ENOMEM;
	if (r < 0) {
		vc_buf_fini(&b);
		return r;
	}
	*ret = b.data ? (char *)b.data : strdup("");
	return *ret ? 0 : vc_errorf(err, VC_ENOMEM, "out of memory");
}

/* ---- the ESP's files ---- */

static void esp_add(struct compose_esp *e, enum compose_esp_what what, unsigned auth,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void esp_add(struct compose_esp *e, enum compose_esp_what what, unsigned auth,
		    const char *fmt, ...)
{
	struct compose_esp_file *f = &e->files[e->n_files++];
	va_list ap;

	f->what = what;
	f->auth = auth;
	va_start(ap, fmt);
	vsnprintf(f->path, sizeof(f->path), fmt, ap);
	va_end(ap);
}

void compose_esp_plan(const struct compose_esp_in *in, struct compose_esp *e)
{
	const struct vc_config *cfg = in->cfg;

	memset(e, 0, sizeof(*e));
	if (cfg->bootloader != VC_CONFIG_BOOT_SYSTEMD_BOOT) {
		/* the UKI as the removable-media boot file */
		esp_add(e, COMPOSE_ESP_UKI, 0, "EFI/BOOT/%s", in->boot);
		return;
	}
	/* systemd-boot twice (the removable-media path and its own), the UKI
	 * where it finds UKIs (Boot Loader Specification, type #2) */
	esp_add(e, COMPOSE_ESP_SDBOOT, 0, "EFI/BOOT/%s", in->boot);
	esp_add(e, COMPOSE_ESP_SDBOOT, 0, "EFI/systemd/systemd-boot%s.efi", in->efi);
	esp_add(e, COMPOSE_ESP_UKI, 0, "EFI/Linux/%s%s%s.efi", cfg->name,
		cfg->version[0] ? "-" : "", cfg->version);
	snprintf(e->loader_conf, sizeof(e->loader_conf), "timeout %d\n%s",
		 cfg->timeout >= 0 ? cfg->timeout : 0,
		 /* systemd-boot 252 enrolls loader/keys/auto/ without asking when
		  * the firmware is in setup mode ("force"; in a virtual machine
		  * at once, on hardware after a 15 s countdown), then resets */
		 in->n_auth ? "secure-boot-enroll force\n" : "");
	for (unsigned v = 0; v < in->n_auth; v++)
		esp_add(e, COMPOSE_ESP_AUTH, v, "loader/keys/auto/%s.auth", in->auth_names[v]);
	esp_add(e, COMPOSE_ESP_LOADER_CONF, 0, "loader/loader.conf");
	esp_add(e, COMPOSE_ESP_DIR, 0, "loader/entries");
}
