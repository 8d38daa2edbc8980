/* SPDX-License-Identifier: MIT */
/* PCR 11 of a UKI as systemd-stub and systemd-pcrphase extend it, the
 * TPM2_PolicyPCR digest and systemd-measure's signed policy JSON.
 * Specs: TCG PC Client Platform Firmware Profile 1.05 section 3.3.3 (extend);
 * TPM 2.0 Library Part 3 section 23.7 (TPM2_PolicyPCR: policyDigest_new =
 * H(policyDigest_old || TPM_CC_PolicyPCR || pcrs || pcrDigest)), Part 2
 * sections 6.3 (TPM_ALG_ID), 6.5.2 (TPM_CC) and 10.6 (TPMS_PCR_SELECTION);
 * systemd 252's src/boot/efi/stub.c, pe.c (locate_sections) and
 * src/boot/measure.c for the behaviour reproduced here (facts, not code). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vcompose/endian.h"
#include "vcompose/measure.h"
#include "vcompose/sha256.h"

#define TPM_CC_POLICY_PCR 0x0000017Fu

/* The stub's lists, in measurement order. ".pcrsig" is located but never
 * measured (it signs the result). */
static const char *const list_252[] = {".linux",  ".osrel", ".cmdline", ".initrd",
				       ".splash", ".dtb",   ".pcrpkey"};
static const char *const list_254[] = {".linux", ".osrel", ".cmdline", ".initrd", ".splash",
				       ".dtb",	 ".uname", ".sbat",    ".pcrpkey"};

const char *const vc_measure_default_phases[4] = {
    "enter-initrd",
    "enter-initrd:leave-initrd",
    "enter-initrd:leave-initrd:sysinit",
    "enter-initrd:leave-initrd:sysinit:ready",
};

static const uint16_t tpm_alg[VC_SIGN_N_MD] = {0x0004, 0x000B, 0x000C, 0x000D};

int vc_measure_stub_from_magic(const uint8_t *magic, size_t len, enum vc_measure_stub *ret,
			       struct vc_error *err)
{
	static const char tag[] = "LoaderInfo: systemd-stub ";
	const uint8_t *p = memmem(magic, len, tag, sizeof(tag) - 1);
	unsigned v = 0;
	size_t i, n = 0;

	if (!p)
		return vc_errorf(err, VC_EUNSUPP,
				 "the stub's .sdmagic does not name a systemd-stub version");
	i = (size_t)(p - magic) + sizeof(tag) - 1;
	while (i < len && magic[i] >= '0' && magic[i] <= '9' && n < 6) {
		v = v * 10 + (unsigned)(magic[i++] - '0');
		n++;
	}
	if (n == 0 || n == 6)
		return vc_errorf(err, VC_EUNSUPP, "the stub's .sdmagic has no version number");
	if (v < 251 || v > 256)
		return vc_errorf(err, VC_EUNSUPP,
				 "systemd-stub %u: its PCR 11 measurements are not modelled "
				 "(251..256 are)",
				 v);
	*ret = v <= 253 ? VC_MEASURE_STUB_252 : VC_MEASURE_STUB_254;
	return 0;
}

int vc_measure_bank_from_name(const char *name, enum vc_sign_md *ret, struct vc_error *err)
{
	for (unsigned b = 0; b < VC_SIGN_N_MD; b++)
		if (!strcasecmp(name, vc_sign_md_name(b))) {
			*ret = b;
			return 0;
		}
	return vc_errorf(err, VC_EINVAL, "PCR bank '%s': not one of sha1, sha256, sha384, sha512",
			 name);
}

int vc_measure_extend(enum vc_sign_md md, uint8_t *pcr, const uint8_t *digest, struct vc_error *err)
{
	uint8_t buf[2 * VC_SIGN_MD_MAX];
	size_t n = vc_sign_md_len(md);

	memcpy(buf, pcr, n);
	memcpy(buf + n, digest, n);
	return vc_sign_md(md, buf, 2 * n, pcr, err);
}

static const uint8_t zeros[65536];

/* H(section bytes as in memory) for each bank in the mask. */
static void hash_section(struct vc_sign_md_ctx *const *ctx, unsigned banks,
			 const struct vc_measure_section *s, uint8_t out[][VC_SIGN_MD_MAX])
{
	size_t len = s->len < s->size ? s->len : (size_t)s->size;

	for (unsigned b = 0; b < VC_SIGN_N_MD; b++) {
		uint64_t left = s->size - len;

		if (!(banks & VC_MEASURE_BANK(b)))
			continue;
		vc_sign_md_update(ctx[b], s->data, len);
		while (left) {
			size_t k = left > sizeof(zeros) ? sizeof(zeros) : (size_t)left;

			vc_sign_md_update(ctx[b], zeros, k);
			left -= k;
		}
		vc_sign_md_final(ctx[b], out[b]);
	}
}

int vc_measure_uki(const struct vc_measure_section *sections, size_t n, enum vc_measure_stub stub,
		   unsigned banks, struct vc_measure *ret, struct vc_error *err)
{
	const char *const *list = stub == VC_MEASURE_STUB_254 ? list_254 : list_252;
	size_t n_list =
	    stub == VC_MEASURE_STUB_254 ? VC_ARRAY_SIZE(list_254) : VC_ARRAY_SIZE(list_252);
	struct vc_sign_md_ctx *ctx[VC_SIGN_N_MD] = {0};
	const struct vc_measure_section *found[VC_MEASURE_MAX_SECTION] = {0};
	uint8_t h[VC_SIGN_N_MD][VC_SIGN_MD_MAX];
	struct vc_measure m;
	int r = 0;

	if (!banks || (banks & ~VC_MEASURE_ALL_BANKS))
		return vc_errorf(err, VC_EINVAL, "no PCR bank, or an unknown one (mask 0x%x)",
				 banks);
	memset(&m, 0, sizeof(m));
	m.banks = banks;
	m.stub = stub;
	/* locate_sections(): each header against each name, prefix compare,
	 * the last match wins. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n_list; j++)
			if (!memcmp(sections[i].name, list[j], strlen(list[j])))
				found[j] = &sections[i];
	for (unsigned b = 0; b < VC_SIGN_N_MD; b++)
		if ((banks & VC_MEASURE_BANK(b)) && (r = vc_sign_md_new(b, &ctx[b], err)) < 0)
			goto out;
	for (size_t j = 0; j < n_list; j++) {
		if (!found[j] || found[j]->size == 0)
			continue;
		/* The name with its NUL, then the data. */
		for (unsigned b = 0; b < VC_SIGN_N_MD; b++) {
			if (!(banks & VC_MEASURE_BANK(b)))
				continue;
			vc_sign_md_update(ctx[b], list[j], strlen(list[j]) + 1);
			vc_sign_md_final(ctx[b], h[b]);
			if ((r = vc_measure_extend(b, m.value[b], h[b], err)) < 0)
				goto out;
		}
		hash_section(ctx, banks, found[j], h);
		for (unsigned b = 0; b < VC_SIGN_N_MD; b++)
			if ((banks & VC_MEASURE_BANK(b)) &&
			    (r = vc_measure_extend(b, m.value[b], h[b], err)) < 0)
				goto out;
		snprintf(m.measured[m.n_measured++], sizeof(m.measured[0]), "%s", list[j]);
	}
	*ret = m;
out:
	for (unsigned b = 0; b < VC_SIGN_N_MD; b++)
		vc_sign_md_free(ctx[b]);
	return r;
}

int vc_measure_phase(const struct vc_measure *m, enum vc_sign_md md, const char *phase,
		     uint8_t *out, struct vc_error *err)
{
	uint8_t h[VC_SIGN_MD_MAX];
	const char *p = phase;
	int r;

	if (!(m->banks & VC_MEASURE_BANK(md)))
		return vc_errorf(err, VC_EINVAL, "PCR bank %s was not measured",
				 vc_sign_md_name(md));
	memcpy(out, m->value[md], vc_sign_md_len(md));
	while (*p) {
		size_t w = strcspn(p, ":");

		if (w) { /* the word alone, no NUL */
			if ((r = vc_sign_md(md, p, w, h, err)) < 0 ||
			    (r = vc_measure_extend(md, out, h, err)) < 0)
				return r;
		}
		p += w;
		if (*p == ':')
			p++;
	}
	return 0;
}

int vc_measure_phases_add(struct vc_measure_phases *p, const char *path, struct vc_error *err)
{
	char norm[VC_MEASURE_PHASE_MAX + 1];
	size_t n = 0, i;
	const char *s = path;

	/* Empty words dropped, the rest joined by single ':'. */
	while (*s) {
		size_t w = strcspn(s, ":");

		if (w) {
			if (n + (n ? 1 : 0) + w > VC_MEASURE_PHASE_MAX)
				return vc_errorf(err, VC_ERANGE,
						 "phase path '%.40s...' longer than %d bytes", path,
						 VC_MEASURE_PHASE_MAX);
			if (n)
				norm[n++] = ':';
			memcpy(norm + n, s, w);
			n += w;
		}
		s += w;
		if (*s == ':')
			s++;
	}
	norm[n] = '\0';
	for (i = 0; i < p->n; i++) {
		int c = strcmp(norm, p->path[i]);

		if (c == 0)
			return 0;
		if (c < 0)
			break;
	}
	if (p->n == VC_MEASURE_MAX_PHASES)
		return vc_errorf(err, VC_ERANGE, "more than %d phase paths", VC_MEASURE_MAX_PHASES);
	memmove(p->path[i + 1], p->path[i], (p->n - i) * sizeof(p->path[0]));
	memcpy(p->path[i], norm, n + 1);
	p->n++;
	return 0;
}

void vc_measure_phases_default(struct vc_measure_phases *p)
{
	/* Already in byte order, as systemd-measure keeps them. */
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < VC_ARRAY_SIZE(vc_measure_default_phases); i++)
		snprintf(p->path[p->n++], sizeof(p->path[0]), "%s", vc_measure_default_phases[i]);
}

void vc_measure_policy_pcr(enum vc_sign_md md, const uint8_t *value, uint8_t out[32])
{
	/* policyDigest_old (32 zeros) || TPM_CC || TPML_PCR_SELECTION || pcrDigest */
	uint8_t buf[32 + 4 + 4 + 2 + 1 + 3 + 32] = {0};
	uint8_t *p = buf + 32;

	vc_put_be32(p, TPM_CC_POLICY_PCR);
	vc_put_be32(p + 4, 1);		 /* count */
	vc_put_be16(p + 8, tpm_alg[md]); /* hash */
	p[10] = 3;			 /* sizeofSelect: PCRs 0..23 */
	p[11 + VC_MEASURE_PCR / 8] = 1u << (VC_MEASURE_PCR % 8);
	/* pcrDigest: the session's hash (SHA-256) of the PCR's value */
	vc_sha256(value, vc_sign_md_len(md), p + 14);
	vc_sha256(buf, sizeof(buf), out);
}

int vc_measure_pcrsig(const struct vc_measure *m, const struct vc_measure_phases *phases,
		      const struct vc_sign_rsa_key *key, const uint8_t *pubkey_pem,
		      size_t pubkey_len, struct vc_buf *out, struct vc_error *err)
{
	struct vc_buf sig = {0}, b64 = {0};
	struct vc_json j;
	uint8_t fp[32], pcr[VC_SIGN_MD_MAX], pol[32];
	int r;

	if (!phases->n)
		return vc_errorf(err, VC_EINVAL, "no phase to sign for");
	if ((r = vc_sign_rsa_public_fingerprint(pubkey_pem, pubkey_len, fp, err)) < 0)
		return r;
	vc_json_init(&j, 0);
	vc_json_begin_object(&j);
	/* systemd-measure loops phases then banks, appending to each bank's
	 * array; the object's keys come out in bank order. */
	for (unsigned b = 0; b < VC_SIGN_N_MD; b++) {
		if (!(m->banks & VC_MEASURE_BANK(b)))
			continue;
		vc_json_key(&j, vc_sign_md_name(b));
		vc_json_begin_array(&j);
		for (size_t i = 0; i < phases->n; i++) {
			if ((r = vc_measure_phase(m, b, phases->path[i], pcr, err)) < 0)
				goto out;
			vc_measure_policy_pcr(b, pcr, pol);
			sig.len = 0;
			b64.len = 0;
			if ((r = vc_sign_rsa_sign(key, b, pol, sizeof(pol), &sig, err)) < 0 ||
			    (r = vc_base64_encode(sig.data, sig.len, &b64, err)) < 0)
				goto out;
			vc_json_begin_object(&j);
			vc_json_key(&j, "pcrs");
			vc_json_begin_array(&j);
			vc_json_uint(&j, VC_MEASURE_PCR);
			vc_json_end_array(&j);
			vc_json_key_hex(&j, "pkfp", fp, sizeof(fp));
			vc_json_key_hex(&j, "pol", pol, sizeof(pol));
			vc_json_key(&j, "sig");
			vc_json_string_n(&j, (const char *)b64.data, b64.len);
			vc_json_end_object(&j);
		}
		vc_json_end_array(&j);
	}
	vc_json_end_object(&j);
	const char *text = vc_json_finish(&j, err); /* ends in "\n" as systemd's */
	if (!text) {
		r = err->code;
		goto out;
	}
	r = vc_buf_append(out, text, strlen(text), err);
out:
	vc_json_fini(&j);
	vc_buf_fini(&sig);
	vc_buf_fini(&b64);
	return r;
}

int vc_measure_json(const struct vc_measure *m, const struct vc_measure_phases *phases,
		    struct vc_json *j, struct vc_error *err)
{
	struct vc_measure_phases def;
	uint8_t v[VC_SIGN_MD_MAX];
	int r;

	if (!phases) {
		vc_measure_phases_default(&def);
		phases = &def;
	}
	vc_json_key_uint(j, "pcr", VC_MEASURE_PCR);
	vc_json_key(j, "stub");
	vc_json_string(j, m->stub == VC_MEASURE_STUB_254 ? "systemd-stub 254..256"
							 : "systemd-stub 251..253");
	vc_json_key(j, "measured");
	vc_json_begin_array(j);
	for (size_t i = 0; i < m->n_measured; i++)
		vc_json_string(j, m->measured[i]);
	vc_json_end_array(j);
	for (unsigned b = 0; b < VC_SIGN_N_MD; b++) {
		if (!(m->banks & VC_MEASURE_BANK(b)))
			continue;
		vc_json_key(j, vc_sign_md_name(b));
		vc_json_begin_array(j);
		for (size_t i = 0; i <= phases->n; i++) {
			const char *ph = i == 0 ? "" : phases->path[i - 1];

			if (i > 0 && !*ph)
				continue; /* the stub-only value comes first anyway */
			if ((r = vc_measure_phase(m, b, ph, v, err)) < 0)
				return r;
			vc_json_begin_object(j);
			vc_json_key_string(j, "phase", ph);
			vc_json_key_hex(j, "hash", v, vc_sign_md_len(b));
			vc_json_end_object(j);
		}
		vc_json_end_array(j);
	}
	return 0;
}
