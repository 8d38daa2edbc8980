/* SPDX-License-Identifier: MIT */
/* A UKI with its PCR 11 prediction and signed PCR policy: pe plans the
 * sections, measure predicts what systemd-stub extends into PCR 11 from them
 * (in memory: VirtualSize bytes), sign makes the .pcrsig, pe lays it out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcompose/compose.h"

#define MAX_SECTIONS (VC_PE_MAX_SECTIONS + 16)

/* The stub's measurement list from its .sdmagic. */
static int stub_kind(const struct vc_uki_section *s, size_t n, enum vc_measure_stub *ret,
		     struct vc_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].name, ".sdmagic"))
			return vc_measure_stub_from_magic(s[i].data, s[i].len, ret, err);
	return vc_errorf(err, VC_EUNSUPP, "the stub has no .sdmagic: not systemd-stub");
}

static int predict(struct vc_uki_plan *plan, unsigned banks, struct vc_measure *ret,
		   struct vc_error *err)
{
	struct vc_uki_section *us = calloc(MAX_SECTIONS, sizeof(*us));
	struct vc_measure_section *ms = calloc(MAX_SECTIONS, sizeof(*ms));
	enum vc_measure_stub kind;
	size_t n;
	int r;

	if (!us || !ms) {
		r = vc_errorf(err, VC_ENOMEM, "out of memory");
		goto out;
	}
	n = vc_uki_plan_sections(plan, us, MAX_SECTIONS);
	for (size_t i = 0; i < n; i++) {
		memcpy(ms[i].name, us[i].name, strnlen(us[i].name, sizeof(ms[i].name)));
		ms[i].data = us[i].data;
		ms[i].len = us[i].len;
		ms[i].size = us[i].virtual_size;
	}
	if ((r = stub_kind(us, n, &kind, err)) == 0)
		r = vc_measure_uki(ms, n, kind, banks, ret, err);
out:
	free(us);
	free(ms);
	return r;
}

int vc_compose_uki(const struct vc_uki_options *o, const struct vc_compose_pcr_options *p,
		   const struct vc_sink *out, struct vc_uki_summary *ret_sum,
		   struct vc_compose_pcr *ret_pcr, struct vc_error *err)
{
	struct vc_uki_options uo = *o;
	struct vc_sign_rsa_key *key = NULL;
	struct vc_uki_plan *plan = NULL;
	struct vc_buf pem = {0}, sig = {0};
	struct vc_uki_blob pkey = {0};
	struct vc_compose_pcr *res = calloc(1, sizeof(*res));
	struct vc_error why = {0};
	int r;

	if (!res)
		return vc_errorf(err, VC_ENOMEM, "out of memory");
	if (p->phases)
		res->phases = *p->phases;
	else
		vc_measure_phases_default(&res->phases);
	if (p->key_path) {
		if ((r = vc_sign_rsa_key_load(p->key_path, &key, err)) < 0 ||
		    (r = vc_sign_rsa_public_pem(key, &pem, err)) < 0 ||
		    (r = vc_sign_rsa_public_fingerprint(pem.data, pem.len, res->pkfp, err)) < 0) {
			vc_error_prefix(err, "PCR key");
			goto out;
		}
		pkey.name = "the PCR key's public part";
		pkey.data = pem.data;
		pkey.len = pem.len;
		uo.pcrpkey = &pkey;
	}
	if ((r = vc_uki_plan_new(&uo, &plan, err)) < 0)
		goto out;
	r = predict(plan, p->banks ? p->banks : VC_MEASURE_BANK(VC_SIGN_SHA256), &res->m, &why);
	if (r < 0 && r != VC_ENOMEM && !key) { /* no prediction; the UKI is still fine */
		snprintf(res->why, sizeof(res->why), "%s", why.msg);
	} else if (r < 0) {
		*err = why;
		vc_error_prefix(err, "PCR 11");
		goto out;
	} else {
		res->predicted = true;
	}
	if (key) {
		if ((r = vc_measure_pcrsig(&res->m, &res->phases, key, pem.data, pem.len, &sig,
					   err)) < 0 ||
		    (r = vc_uki_plan_add_pcrsig(plan, sig.data, sig.len, err)) < 0)
			goto out;
		res->signed_ = true;
	}
	r = vc_uki_plan_write(plan, out, ret_sum, err);
	if (r == 0 && ret_pcr)
		*ret_pcr = *res;
out:
	vc_uki_plan_free(plan);
	vc_sign_rsa_key_free(key);
	vc_buf_fini(&pem);
	vc_buf_fini(&sig);
	free(res);
	return r;
}

int vc_compose_pcr_json(const struct vc_compose_pcr *p, struct vc_json *j, struct vc_error *err)
{
	int r;

	if (!p->predicted) {
		vc_json_null(j);
		return 0;
	}
	vc_json_begin_object(j);
	if ((r = vc_measure_json(&p->m, &p->phases, j, err)) < 0)
		return r;
	if (p->signed_) {
		vc_json_key(j, "signed");
		vc_json_begin_object(j);
		vc_json_key_hex(j, "pkfp", p->pkfp, sizeof(p->pkfp));
		vc_json_key(j, "banks");
		vc_json_begin_array(j);
		for (unsigned b = 0; b < VC_SIGN_N_MD; b++)
			if (p->m.banks & VC_MEASURE_BANK(b))
				vc_json_string(j, vc_sign_md_name(b));
		vc_json_end_array(j);
		vc_json_key(j, "phases");
		vc_json_begin_array(j);
		for (size_t i = 0; i < p->phases.n; i++)
			vc_json_string(j, p->phases.path[i]);
		vc_json_end_array(j);
		vc_json_end_object(j);
	}
	vc_json_end_object(j);
	return 0;
}
