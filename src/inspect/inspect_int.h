/* SPDX-License-Identifier: MIT */
/* Shared between describe.c, verify.c and diff.c. */
#ifndef VC_INSPECT_INT_H
#define VC_INSPECT_INT_H

#include "vcompose/verity.h"
#include "inspect_priv.h"

/* The superblock at area_off and the plan of the tree after it (hash offsets
 * relative to area_off). */
int verity_load(const struct img *im, uint64_t area_off, uint64_t area_len,
		struct vc_verity_params *vp, struct vc_verity_plan *pl, struct vc_error *err);
/* The root hash of the stored tree (its top block; a one-block tree: the data). */
int verity_stored_root(const struct img *im, uint64_t area_off, const struct vc_verity_params *vp,
		       const struct vc_verity_plan *pl, bool have_data, uint64_t data_off,
		       uint8_t root[32], struct vc_error *err);
const struct gpt_part *gpt_pair_data(const struct gpt_info *g, const struct gpt_part *hash);

#endif
