// SPDX-License-Identifier: MIT
// Hart-mask decoding shared by IPI, RFENCE and the legacy calls: every named hart is checked before
// anything is done, so a bad mask has no partial effect.
#include "hartmask.h"

#include "hvabi.h"

long sbi_hart_mask(unsigned long mask, unsigned long base, unsigned nvcpus, uint64_t *vcpus)
{
    *vcpus = 0;
    if (base == ~0ul) {
        *vcpus = nvcpus >= 64 ? ~0ull : (1ull << nvcpus) - 1;
        return SBI_SUCCESS;
    }
    for (unsigned i = 0; i < 64; i++) {
        if (!((mask >> i) & 1)) {
            continue;
        }
        /* base + i must name a vCPU; written so that a huge base cannot wrap around. */
        if (base >= nvcpus || i >= nvcpus - base) {
            *vcpus = 0;
            return SBI_ERR_INVALID_PARAM;
        }
        *vcpus |= 1ull << (base + i);
    }
    return SBI_SUCCESS;
}
