/* SPDX-License-Identifier: MIT */
/* The census kernel's trap frame: its layout, shared by start.S (which fills it) and trap.c. */
#ifndef CENSUS_FRAME_H
#define CENSUS_FRAME_H

/* Byte offsets: x1..x31 at 8 * n (slot 0 unused), then the trap CSRs and the vector taken. */
#define FR_X(n) ((n)*8)
#define FR_EPC 256
#define FR_STATUS 264
#define FR_CAUSE 272
#define FR_TVAL 280
#define FR_VEC 288
#define FR_SIZE 304 /* a multiple of 16: the stack stays aligned */

#ifndef __ASSEMBLER__
#include <stdint.h>

struct frame {
    uint64_t x[32];
    uint64_t epc;
    uint64_t status;
    uint64_t cause;
    uint64_t tval;
    int64_t vec; /* vectored entry number, or -1 for the direct (BASE) entry */
    uint64_t pad;
};

_Static_assert(sizeof(struct frame) == FR_SIZE, "start.S stores the frame at these offsets");
_Static_assert(__builtin_offsetof(struct frame, epc) == FR_EPC, "frame layout");
_Static_assert(__builtin_offsetof(struct frame, vec) == FR_VEC, "frame layout");
#endif

#endif
