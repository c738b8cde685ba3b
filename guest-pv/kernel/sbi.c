// SPDX-License-Identifier: MIT
// SBI calls, and hypercalls made again until the hypervisor has done all they ask.
#include "guest.h"

struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                       unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
{
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r3 __asm__("a3") = a3;
    register unsigned long r4 __asm__("a4") = a4;
    register unsigned long r5 __asm__("a5") = a5;
    register unsigned long r6 __asm__("a6") = fid;
    register unsigned long r7 __asm__("a7") = eid;

    __asm__ volatile("ecall"
                     : "+r"(r0), "+r"(r1)
                     : "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r6), "r"(r7)
                     : "memory");
    return (struct sbiret){ (long)r0, (long)r1 };
}

_Noreturn void sbi_shutdown(void)
{
    sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_NONE, 0, 0,
             0, 0);
    for (;;) {
        __asm__ volatile("wfi");
    }
}

/* Where call at of a multicall the hypervisor cut goes on: a batch from the part it did not do, any
 * other call (a pin it had not finished, or one it had not begun) as it was. */
static void multicall_advance(struct hv_multicall *c)
{
    if (c->fid == HV_FID_MMU_UPDATE) {
        c->args[0] += c->value * sizeof(struct hv_mmu_update);
        c->args[1] -= c->value;
    } else if (c->fid == HV_FID_BLK_SUBMIT) {
        c->args[0] += c->value * sizeof(struct hv_blk_req);
        c->args[1] -= c->value;
    }
}

struct sbiret hv_call(unsigned long fid, unsigned long a0, unsigned long a1, unsigned long a2)
{
    unsigned long done = 0;
    struct sbiret r;

    for (;;) {
        switch (fid) {
            case HV_FID_PIN_TABLE:
            case HV_FID_UNPIN_TABLE:
                /* 1 when done; 0: its work goes on in our next call, this one. */
                r = sbi_call(HV_EXT, fid, a0, a1, a2, 0, 0, 0);
                if (r.error || r.value != 0) {
                    return r;
                }
                break;
            case HV_FID_MMU_UPDATE:
            case HV_FID_BLK_SUBMIT:
            case HV_FID_MULTICALL: {
                unsigned long size = fid == HV_FID_MMU_UPDATE   ? sizeof(struct hv_mmu_update)
                                     : fid == HV_FID_BLK_SUBMIT ? sizeof(struct hv_blk_req)
                                                                : sizeof(struct hv_multicall);
                r = sbi_call(HV_EXT, fid, a0 + done * size, a1 - done, a2, 0, 0, 0);
                if (r.error) {
                    r.value += (long)done; /* the failing entry, counted from the first */
                    return r;
                }
                done += (unsigned long)r.value;
                if (done >= a1) {
                    r.value = (long)done;
                    return r;
                }
                if (fid == HV_FID_MULTICALL) {
                    multicall_advance((struct hv_multicall *)a0 + done);
                } else if (fid == HV_FID_BLK_SUBMIT && r.value == 0) {
                    return r; /* a request never fits (a bad one is refused, not cut): give up */
                }
                break;
            }
            default:
                return sbi_call(HV_EXT, fid, a0, a1, a2, 0, 0, 0);
        }
    }
}
