// SPDX-License-Identifier: MIT
// Calls from the hypervisor to the M-mode firmware through the SBI.
#include <arch/arch.h>

#include "hvabi.h"

struct fw_ret {
    long error;
    long value;
};

static struct fw_ret fw_call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                             unsigned long a2)
{
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r6 __asm__("a6") = fid;
    register unsigned long r7 __asm__("a7") = eid;

    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
    return (struct fw_ret){ (long)r0, (long)r1 };
}

/* The RFENCE calls take five arguments. */
static long fw_call5(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                     unsigned long a2, unsigned long a3, unsigned long a4)
{
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r3 __asm__("a3") = a3;
    register unsigned long r4 __asm__("a4") = a4;
    register unsigned long r6 __asm__("a6") = fid;
    register unsigned long r7 __asm__("a7") = eid;

    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r4), "r"(r6), "r"(r7) : "memory");
    return (long)r0;
}

/* ext-ipi.adoc FID 0; ext-rfence.adoc FIDs 0 (FENCE.I), 1 (SFENCE.VMA), 3 (HFENCE.GVMA with VMID),
 * 5 (HFENCE.VVMA with ASID), 6 (HFENCE.VVMA). Hart masks are of hart ids 0-63 (hart_mask_base 0). */
#define FW_IPI_SEND 0
#define FW_RFENCE_FENCE_I 0
#define FW_RFENCE_SFENCE_VMA 1
#define FW_RFENCE_HFENCE_GVMA_VMID 3
#define FW_RFENCE_HFENCE_VVMA_ASID 5
#define FW_RFENCE_HFENCE_VVMA 6

long arch_fw_send_ipi(uint64_t harts)
{
    return fw_call(SBI_EXT_IPI, FW_IPI_SEND, harts, 0, 0).error;
}

long arch_fw_remote_fence_i(uint64_t harts)
{
    return fw_call(SBI_EXT_RFENCE, FW_RFENCE_FENCE_I, harts, 0, 0).error;
}

long arch_fw_remote_sfence_vma(uint64_t harts, uint64_t start, uint64_t size)
{
    /* Every ASID: the trap engine's ASIDs name shadow views, not the guest's address spaces. */
    return fw_call5(SBI_EXT_RFENCE, FW_RFENCE_SFENCE_VMA, harts, 0, start, size, 0);
}

long arch_fw_remote_hfence_vvma(uint64_t harts, uint64_t start, uint64_t size, long asid)
{
    /* The firmware fences for the VMID in the calling hart's hgatp: the caller's VM is loaded. */
    if (asid < 0) {
        return fw_call5(SBI_EXT_RFENCE, FW_RFENCE_HFENCE_VVMA, harts, 0, start, size, 0);
    }
    return fw_call5(SBI_EXT_RFENCE, FW_RFENCE_HFENCE_VVMA_ASID, harts, 0, start, size, (unsigned long)asid);
}

long arch_fw_remote_hfence_gvma_vmid(uint64_t harts, unsigned vmid)
{
    /* start 0, size 0: the whole guest physical space (ext-rfence.adoc). */
    return fw_call5(SBI_EXT_RFENCE, FW_RFENCE_HFENCE_GVMA_VMID, harts, 0, 0, 0, vmid);
}

void arch_fw_putchar(int c)
{
    fw_call(SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 0, (unsigned long)c, 0, 0);
}

/* QEMU's test finisher (its sifive_test device): a 32-bit write of FINISHER_FAIL with a code in the
 * upper half makes QEMU exit with that code. OpenSBI 1.1 writes FINISHER_FAIL for a shutdown with
 * reason "system failure" but only 16 bits of it, code 0, which QEMU takes for success: so the
 * hypervisor writes it itself when the run failed. */
#define FINISHER_FAIL 0x3333u
static volatile uint32_t *finisher;

void arch_fw_set_finisher(uint64_t base)
{
    finisher = (volatile uint32_t *)(uintptr_t)base;
}

_Noreturn void arch_fw_shutdown(unsigned status)
{
    unsigned long reason = status ? SBI_SRST_REASON_SYSFAIL : SBI_SRST_REASON_NONE;

    if (status && finisher) {
        *finisher = FINISHER_FAIL | (status & 0xffffu) << 16;
    }
    /* A board has no finisher: the firmware powers off, told the reason (it may log it or ignore
     * it); the console has said which guests failed. */
    fw_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN, reason, 0);
    /* A board that cannot power off (the HiFive Unleashed has only a reset line) is reset instead:
     * the run is over either way, and QEMU's -no-reboot ends there. */
    fw_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_COLD_REBOOT, reason, 0);
    /* Firmware without SRST: the legacy call, then nothing left but to stop this hart. */
    fw_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0);
    for (;;) {
        __asm__ volatile("wfi");
    }
}

long arch_fw_hart_status(unsigned long hartid)
{
    struct fw_ret r = fw_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, hartid, 0, 0);
    return r.error ? r.error : r.value;
}

long arch_fw_hart_stop(void)
{
    /* ext-hsm.adoc: called with S-mode interrupts off, as the hypervisor always runs. */
    return fw_call(SBI_EXT_HSM, SBI_HSM_HART_STOP, 0, 0, 0).error;
}

long arch_fw_hart_start(unsigned long hartid, struct pcpu *c)
{
    extern char secondary_entry[];

    /* The hart starts with its MMU off (satp = 0): the entry's physical address is what it runs at
     * now, since the hypervisor's own mappings are the identity. */
    return fw_call(SBI_EXT_HSM, SBI_HSM_HART_START, hartid, (unsigned long)(uintptr_t)secondary_entry,
                   (unsigned long)(uintptr_t)c)
        .error;
}

long arch_fw_hart_start_at_image_entry(unsigned long hartid, unsigned long arg1)
{
    extern char _start[];

    return fw_call(SBI_EXT_HSM, SBI_HSM_HART_START, hartid, (unsigned long)(uintptr_t)_start, arg1)
      .error;
}

void arch_fw_info(struct arch_fw_info *info)
{
    info->spec_version = fw_call(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0).value;
    info->impl_id = fw_call(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0, 0).value;
    info->impl_version = fw_call(SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION, 0, 0, 0).value;
    info->mvendorid = (unsigned long)fw_call(SBI_EXT_BASE, SBI_BASE_GET_MVENDORID, 0, 0, 0).value;
    info->marchid = (unsigned long)fw_call(SBI_EXT_BASE, SBI_BASE_GET_MARCHID, 0, 0, 0).value;
    info->mimpid = (unsigned long)fw_call(SBI_EXT_BASE, SBI_BASE_GET_MIMPID, 0, 0, 0).value;
}

/* The firmware's timer, for harts without Sstc. */
void arch_fw_set_timer(uint64_t deadline);
void arch_fw_set_timer(uint64_t deadline)
{
    fw_call(SBI_EXT_TIME, SBI_TIME_SET_TIMER, deadline, 0, 0);
}
