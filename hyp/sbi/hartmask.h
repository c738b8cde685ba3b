/* SPDX-License-Identifier: MIT */
/* Hart masks (SBI spec, binary-encoding.adoc, "Hart Mask"): which of a VM's vCPUs a call names. */
#ifndef HYP_SBI_HARTMASK_H
#define HYP_SBI_HARTMASK_H

#include <stdint.h>

/* Sets *vcpus to a bit per vCPU (of nvcpus) named by hart_mask and hart_mask_base; base = -1 names
 * them all. Returns SBI_SUCCESS, or SBI_ERR_INVALID_PARAM if any named hart does not exist (then
 * nothing may be done). Pure, unit tested. */
long sbi_hart_mask(unsigned long mask, unsigned long base, unsigned nvcpus, uint64_t *vcpus);

#endif
