/* SPDX-License-Identifier: MIT */
/* `verity format DATA HASH` on files, by veritysetup's rules (cryptsetup's
 * veritysetup.c and lib/verity/verity.c): where the tree is written and
 * which blocks it covers. The CLI stats the files and opens what this says. */
#include "vcompose/verity.h"

int vc_verity_files_decide(struct vc_verity_files *f, struct vc_verity_params *p,
			   struct vc_error *err)
{
	/* Into DATA itself, a device, or an existing file at an offset: in
	 * place, as veritysetup does. Else a new file, renamed at the end. */
	f->in_place = f->hash_exists && (f->same_file || f->hash_is_blockdev ||
					 (f->have_hash_offset && p->hash_offset > 0));
	if (f->have_data_blocks) {
		/* given */
	} else if (f->same_file && f->have_hash_offset) {
		/* the data ends where the hash area starts */
		if (p->hash_offset % p->data_block_size)
			return vc_errorf(
			    err, VC_EINVAL,
			    "--hash-offset %llu: not a multiple of the data block size "
			    "%u (give --data-blocks)",
			    (unsigned long long)p->hash_offset, p->data_block_size);
		p->data_blocks = p->hash_offset / p->data_block_size;
	} else {
		if (f->data_size % p->data_block_size)
			return vc_errorf(
			    err, VC_EINVAL,
			    "%s: size %llu is not a multiple of the data block size %u "
			    "(give --data-blocks to hash a prefix)",
			    f->data_path, (unsigned long long)f->data_size, p->data_block_size);
		p->data_blocks = f->data_size / p->data_block_size;
	}
	if (p->data_blocks == 0)
		return vc_errorf(err, VC_EINVAL, "%s: empty: no data block to hash", f->data_path);
	if (p->data_blocks > f->data_size / p->data_block_size)
		return vc_errorf(err, VC_EINVAL,
				 "--data-blocks %llu: %s has %llu bytes, %llu blocks of %u bytes "
				 "need %llu",
				 (unsigned long long)p->data_blocks, f->data_path,
				 (unsigned long long)f->data_size,
				 (unsigned long long)p->data_blocks, p->data_block_size,
				 (unsigned long long)(p->data_blocks * p->data_block_size));
	return 0;
}

int vc_verity_files_check_overlap(const struct vc_verity_files *f, const struct vc_verity_params *p,
				  struct vc_error *err)
{
	uint64_t data_end = p->data_blocks * p->data_block_size;

	if (f->same_file && p->hash_offset < data_end)
		return vc_errorf(err, VC_EINVAL,
				 "--hash-offset %llu: the hash area would overlap the %llu bytes "
				 "of data",
				 (unsigned long long)p->hash_offset, (unsigned long long)data_end);
	return 0;
}
