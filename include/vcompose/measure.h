/* SPDX-License-Identifier: MIT */
/* TPM PCR 11 of a Unified Kernel Image, predicted offline, and systemd's
 * signed PCR policy (.pcrsig).
 * Specs: TCG PC Client Platform Firmware Profile (PCR extend: new =
 * H(old || H(event))); TPM 2.0 Library Part 3 section 23.7 (TPM2_PolicyPCR)
 * and Part 2 section 10.6 (TPML_PCR_SELECTION); UAPI "Unified Kernel Image"
 * (.pcrsig JSON); systemd-stub(7) and systemd-measure(1) of systemd 252 for
 * what is measured and how.
 *
 * What systemd-stub measures into PCR 11, before the kernel runs: for each
 * section of its list found in the image, in the list's order (not the
 * file's), the section name with its NUL, then the section's bytes as they
 * lie in memory: VirtualSize bytes, the raw data followed by zeros. A
 * section is found by comparing the first strlen(name) bytes of the 8-byte
 * header name (the last match wins); one with VirtualSize 0 is skipped.
 * The list depends on the stub's version (VC_MEASURE_STUB_*); .pcrsig is
 * never measured. systemd then extends PCR 11 with one word per boot phase
 * (systemd-pcrphase: "enter-initrd", "leave-initrd", "sysinit", "ready"),
 * each word hashed without a NUL. A phase path "a:b" is the value after the
 * words a then b; "" is the value the stub leaves.
 *
 * The signed policy (what `systemd-measure sign` prints and the stub passes
 * on as /.extra/tpm2-pcr-signature.json): per bank, per phase path, the
 * TPM2_PolicyPCR digest (SHA-256 session) of PCR 11 holding that value,
 * signed RSASSA-PKCS1-v1_5 with the bank's digest, keyed by the SHA-256 of
 * the RSAPublicKey DER.
 *
 *	struct vc_measure m;
 *	vc_measure_uki(sections, n, VC_MEASURE_STUB_252, VC_MEASURE_BANK(VC_SIGN_SHA256), &m, err);
 *	uint8_t v[VC_SIGN_MD_MAX];
 *	vc_measure_phase(&m, VC_SIGN_SHA256, "enter-initrd", v, err);
 */
#ifndef VCOMPOSE_MEASURE_H
#define VCOMPOSE_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcompose/error.h"
#include "vcompose/sign.h"
#include "vcompose/util.h"

#define VC_MEASURE_PCR	       11u
#define VC_MEASURE_BANK(md)    (1u << (md))
#define VC_MEASURE_ALL_BANKS   0xfu
#define VC_MEASURE_MAX_PHASES  16
#define VC_MEASURE_PHASE_MAX   255 /* bytes of a phase path */
#define VC_MEASURE_MAX_SECTION 12  /* sections a stub may measure */

/* Which list of sections a stub measures. */
enum vc_measure_stub {
	VC_MEASURE_STUB_252, /* systemd 251-253: .linux .osrel .cmdline .initrd .splash
				.dtb .pcrpkey */
	VC_MEASURE_STUB_254, /* systemd 254-256: ... .dtb .uname .sbat .pcrpkey */
};

/* The stub's list from its ".sdmagic" text ("#### LoaderInfo: systemd-stub
 * 252.39-1~deb12u2 ####"); VC_EUNSUPP for a version whose measurements we do
 * not model (before 251, from 257 on: profiles, .ucode), VC_EINVAL when the
 * text is not of that form. */
int vc_measure_stub_from_magic(const uint8_t *magic, size_t len, enum vc_measure_stub *ret,
			       struct vc_error *err);

/* A PE section as the stub sees it. */
struct vc_measure_section {
	uint8_t name[8];     /* the section header's Name field */
	const uint8_t *data; /* the raw data in the file */
	size_t len;	     /* bytes of data loaded: min(SizeOfRawData, VirtualSize) */
	uint64_t size;	     /* VirtualSize: measured bytes, zeros past len */
};

/* PCR 11 after the stub, per bank. */
struct vc_measure {
	unsigned banks;
	enum vc_measure_stub stub;
	uint8_t value[VC_SIGN_N_MD][VC_SIGN_MD_MAX];
	size_t n_measured;
	char measured[VC_MEASURE_MAX_SECTION][9]; /* the names, in measurement order */
};

/* Measures sections[0..n) as the stub does, into fresh (zero) PCRs of the
 * banks in the mask. */
int vc_measure_uki(const struct vc_measure_section *sections, size_t n, enum vc_measure_stub stub,
		   unsigned banks, struct vc_measure *ret, struct vc_error *err);

/* PCR 11 of bank md after the words of the phase path (normalized first). */
int vc_measure_phase(const struct vc_measure *m, enum vc_sign_md md, const char *phase,
		     uint8_t *out, struct vc_error *err);

/* A bank by name: "sha1", "sha256", "sha384", "sha512" (any case, as
 * systemd-measure --bank takes them). */
int vc_measure_bank_from_name(const char *name, enum vc_sign_md *ret, struct vc_error *err);

/* PCR extend: pcr = H(pcr || digest). */
int vc_measure_extend(enum vc_sign_md md, uint8_t *pcr, const uint8_t *digest,
		      struct vc_error *err);

/* The default phase paths of systemd-measure: enter-initrd, then
 * :leave-initrd, :sysinit, :ready. */
extern const char *const vc_measure_default_phases[4];

/* A list of phase paths as systemd-measure takes them: each normalized
 * (empty words and surplus ':' dropped), sorted by bytes, duplicates
 * removed. */
struct vc_measure_phases {
	size_t n;
	char path[VC_MEASURE_MAX_PHASES][VC_MEASURE_PHASE_MAX + 1];
};
int vc_measure_phases_add(struct vc_measure_phases *p, const char *path, struct vc_error *err);
void vc_measure_phases_default(struct vc_measure_phases *p);

/* The TPM2_PolicyPCR digest (SHA-256 policy session, from zeros) of PCR 11
 * of bank md holding value. */
void vc_measure_policy_pcr(enum vc_sign_md md, const uint8_t *value, uint8_t out[32]);

/* The .pcrsig JSON, byte for byte what `systemd-measure sign` (252) prints
 * for these banks and phases, final newline included, appended to out.
 * pubkey_pem: the .pcrpkey bytes (its fingerprint goes in "pkfp"). */
int vc_measure_pcrsig(const struct vc_measure *m, const struct vc_measure_phases *phases,
		      const struct vc_sign_rsa_key *key, const uint8_t *pubkey_pem,
		      size_t pubkey_len, struct vc_buf *out, struct vc_error *err);

/* Writes the prediction as the members of an open JSON object (the
 * manifest's and inspect's "pcr11"): "pcr":11,"stub":"systemd-stub 252","measured":[".linux",...],
 * "sha256":[{"phase":"","hash":"..."},{"phase":"enter-initrd",...}],...:
 * per bank, the value after the stub alone first, then after each phase
 * path of phases (NULL: systemd-measure's four). */
int vc_measure_json(const struct vc_measure *m, const struct vc_measure_phases *phases,
		    struct vc_json *j, struct vc_error *err);

#endif
