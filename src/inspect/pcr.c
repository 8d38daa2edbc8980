/* SPDX-License-Identifier: MIT */
/* A UKI's TPM PCR 11, read back: the prediction from the sections as the
 * file says they load (measure.h), and the check of a .pcrsig against the
 * .pcrpkey and those sections. Spec: UAPI "Unified Kernel Image" (.pcrsig:
 * per bank, entries {"pcrs","pkfp","pol","sig"}), systemd-measure(1). The
 * .pcrsig is hostile input: every field is checked before use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect_priv.h"
#include "vcompose/measure.h"
#include "vcompose/pe.h"

#define MAX_ENTRIES 256
/* Zeros hashed past the sections' data: a kernel's SizeOfImage exceeds its
 * file by a few MiB; a hostile VirtualSize must not make us hash 4 GiB. */
#define MAX_ZERO_FILL (UINT64_C(256) << 20)

int inspect_uki_measure(const struct vc_pe_image *pe, unsigned banks, struct vc_measure *ret,
			struct vc_error *err)
{
	struct vc_measure_section *ms;
	const struct vc_pe_section *magic = vc_pe_find_section(pe, ".sdmagic");
	enum vc_measure_stub kind;
	const uint8_t *p;
	size_t k;
	int r;

	if (!magic)
		return vc_errorf(err, VC_EUNSUPP, "no .sdmagic: not a systemd-stub UKI");
	k = vc_pe_section_data(pe, magic, &p);
	if ((r = vc_measure_stub_from_magic(p, k, &kind, err)) < 0)
		return r;
	ms = calloc(pe->n_sections ? pe->n_sections : 1, sizeof(*ms));
	if (!ms)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	uint64_t fill = 0;
	for (size_t i = 0; i < pe->n_sections; i++) {
		const struct vc_pe_section *s = &pe->sections[i];

		memcpy(ms[i].name, s->name, strnlen(s->name, sizeof(ms[i].name)));
		ms[i].len = vc_pe_section_data(pe, s, &ms[i].data);
		ms[i].size = s->virtual_size;
		fill += ms[i].size > ms[i].len ? ms[i].size - ms[i].len : 0;
	}
	if (fill > MAX_ZERO_FILL)
		r = vc_errorf(err, VC_ERANGE,
			      "sections reach %llu bytes past their data (VirtualSize); more than "
			      "the %llu we hash",
			      (unsigned long long)fill, (unsigned long long)MAX_ZERO_FILL);
	else
		r = vc_measure_uki(ms, pe->n_sections, kind, banks, ret, err);
	free(ms);
	return r;
}

/* The phase path whose PolicyPCR digest is pol, or NULL. */
static const char *match_phase(const struct vc_measure *m, enum vc_sign_md md,
			       const uint8_t pol[32])
{
	static const char *const paths[] = {"", "enter-initrd", "enter-initrd:leave-initrd",
					    "enter-initrd:leave-initrd:sysinit",
					    "enter-initrd:leave-initrd:sysinit:ready"};
	uint8_t v[VC_SIGN_MD_MAX], want[32];
	struct vc_error err = {0};

	for (size_t i = 0; i < VC_ARRAY_SIZE(paths); i++) {
		if (vc_measure_phase(m, md, paths[i], v, &err) < 0)
			return NULL;
		vc_measure_policy_pcr(md, v, want);
		if (!memcmp(want, pol, 32))
			return paths[i];
	}
	return NULL;
}

static void check_entry(const struct vc_measure *m, enum vc_sign_md md,
			const struct vc_json_value *e, const uint8_t *pem, size_t pem_len,
			const uint8_t fp[32], size_t idx, const char *where,
			struct vc_inspect_report *rep)
{
	const struct vc_json_value *pcrs = vc_json_get(e, "pcrs"), *pkfp = vc_json_get(e, "pkfp"),
				   *pol = vc_json_get(e, "pol"), *sig = vc_json_get(e, "sig");
	uint8_t pkfp_b[32], pol_b[32], *sig_b = NULL;
	size_t n = 0, sig_len = 0;
	struct vc_error err = {0};
	const char *bank = vc_sign_md_name(md), *phase;
	char w[96];

	snprintf(w, sizeof(w), "%s .pcrsig %s[%zu]", where, bank, idx);
	if (e->type != VC_JSON_OBJ || !pcrs || pcrs->type != VC_JSON_ARR || !pkfp ||
	    pkfp->type != VC_JSON_STR || !pol || pol->type != VC_JSON_STR || !sig ||
	    sig->type != VC_JSON_STR) {
		vc_inspect_report_add(rep, true, w,
				      "not an object of \"pcrs\", \"pkfp\", \"pol\", "
				      "\"sig\"");
		return;
	}
	if (pcrs->n_kids != 1 || pcrs->kids[0].type != VC_JSON_NUM || pcrs->kids[0].num != 11) {
		vc_inspect_report_add(rep, true, w, "\"pcrs\" is not [11]");
		return;
	}
	if (vc_hex_decode(pkfp->str, pkfp_b, sizeof(pkfp_b), &n, &err) < 0 || n != 32 ||
	    memcmp(pkfp_b, fp, 32)) {
		vc_inspect_report_add(
		    rep, true, w, "\"pkfp\" %.70s is not the fingerprint of .pcrpkey", pkfp->str);
		return;
	}
	if (vc_hex_decode(pol->str, pol_b, sizeof(pol_b), &n, &err) < 0 || n != 32) {
		vc_inspect_report_add(rep, true, w, "\"pol\" is not a SHA-256 digest in hex");
		return;
	}
	if (vc_base64_decode(sig->str, &sig_b, &sig_len, &err) < 0) {
		vc_inspect_report_add(rep, true, w, "\"sig\": %s", err.msg);
		return;
	}
	if (vc_sign_rsa_verify(pem, pem_len, md, pol_b, 32, sig_b, sig_len, &err) < 0) {
		vc_inspect_report_add(rep, true, w, "signature over \"pol\" by .pcrpkey: %s",
				      err.msg);
	} else if (!(phase = match_phase(m, md, pol_b))) {
		vc_inspect_report_add(rep, true, w,
				      "signed policy %.16s... matches no PCR 11 value of the "
				      "measured sections (stub alone or systemd's four phases)",
				      pol->str);
	} else {
		vc_inspect_report_add(rep, false, w,
				      "signed by .pcrpkey; policy of PCR 11 after %s%s",
				      *phase ? "phase " : "the stub alone", phase);
	}
	free(sig_b);
}

void inspect_check_pcrsig(const struct vc_pe_image *pe, const char *where,
			  struct vc_inspect_report *rep)
{
	const struct vc_pe_section *ss = vc_pe_find_section(pe, ".pcrsig");
	const struct vc_pe_section *ks = vc_pe_find_section(pe, ".pcrpkey");
	const uint8_t *sig, *pem;
	size_t sig_len, pem_len, n_entries = 0;
	struct vc_error err = {0};
	struct vc_measure m;
	struct vc_json_value v = {0};
	uint8_t fp[32];
	char w[96];

	if (!ss)
		return;
	snprintf(w, sizeof(w), "%s .pcrsig", where);
	if (!ks) {
		vc_inspect_report_add(rep, true, w, "no .pcrpkey to check it against");
		return;
	}
	sig_len = vc_pe_section_data(pe, ss, &sig);
	pem_len = vc_pe_section_data(pe, ks, &pem);
	if (vc_sign_rsa_public_fingerprint(pem, pem_len, fp, &err) < 0) {
		vc_inspect_report_add(rep, true, w, ".pcrpkey: %s", err.msg);
		return;
	}
	if (inspect_uki_measure(pe, VC_MEASURE_ALL_BANKS, &m, &err) < 0) {
		vc_inspect_report_add(rep, true, w, "PCR 11 cannot be predicted: %s", err.msg);
		return;
	}
	if (vc_json_parse((const char *)sig, strnlen((const char *)sig, sig_len), &v, &err) < 0 ||
	    v.type != VC_JSON_OBJ) {
		vc_inspect_report_add(rep, true, w, "not a JSON object: %s", err.msg);
		vc_json_value_free(&v);
		return;
	}
	for (size_t i = 0; i < v.n_kids; i++) {
		const struct vc_json_value *bank = &v.kids[i];
		enum vc_sign_md md;

		if (vc_measure_bank_from_name(bank->key, &md, &err) < 0 ||
		    bank->type != VC_JSON_ARR) {
			vc_inspect_report_add(rep, true, w, "\"%.40s\": not a PCR bank's array",
					      bank->key);
			continue;
		}
		for (size_t k = 0; k < bank->n_kids && n_entries < MAX_ENTRIES; k++, n_entries++)
			check_entry(&m, md, &bank->kids[k], pem, pem_len, fp, k, where, rep);
	}
	if (n_entries == 0)
		vc_inspect_report_add(rep, true, w, "no signature in it");
	vc_json_value_free(&v);
}

int inspect_pcr11_json(const struct vc_pe_image *pe, struct vc_json *j, struct vc_error *err)
{
	struct vc_measure m;
	int r = inspect_uki_measure(pe, VC_MEASURE_BANK(VC_SIGN_SHA256), &m, err);

	if (r < 0)
		return r;
	vc_json_begin_object(j);
	r = vc_measure_json(&m, NULL, j, err);
	vc_json_end_object(j);
	return r;
}
