// SPDX-License-Identifier: MIT
// SBI v0.1 legacy extensions (ext-legacy.adoc) that older guests still call: timer, console, IPIs,
// remote fences, shutdown.
#include "sbi.h"

#include <arch/arch.h>
#include <arch/csr.h>

#include "console.h"
#include "hartmask.h"
#include "sched.h"
#include "vm.h"

static struct sbi_ret legacy_timer(struct vcpu *v, const struct sbi_call *c)
{
    vcpu_arch_set_timer(v, c->args[0]);
    sched_timer_changed(v);
    return sbi_ok(0);
}

static struct sbi_ret legacy_console(struct vcpu *v, const struct sbi_call *c)
{
    if (c->eid == SBI_EXT_LEGACY_CONSOLE_PUTCHAR) {
        char ch = (char)(c->args[0] & 0xff);
        if (console_guest_allow(v->vm, &ch, 1) == 0) {
            return (struct sbi_ret){ .no_reply = true }; /* blocks: the guest calls again */
        }
        console_guest_putc(v->vm, ch);
        return sbi_ok(0);
    }
    /* getchar: the byte, or -1 when none is waiting. */
    return sbi_ok((unsigned long)(long)console_guest_getc(v->vm));
}

static struct sbi_ret legacy_shutdown(struct vcpu *v, const struct sbi_call *c)
{
    (void)c;
    vm_stop(v->vm, "shutdown (legacy SBI)");
    return (struct sbi_ret){ .no_reply = true };
}

const struct sbi_ext sbi_ext_legacy_timer = {
    .name = "legacy-set-timer",
    .eid_start = SBI_EXT_LEGACY_SET_TIMER,
    .eid_end = SBI_EXT_LEGACY_SET_TIMER,
    .legacy = true,
    .handle = legacy_timer,
};

const struct sbi_ext sbi_ext_legacy_console = {
    .name = "legacy-console",
    .eid_start = SBI_EXT_LEGACY_CONSOLE_PUTCHAR,
    .eid_end = SBI_EXT_LEGACY_CONSOLE_GETCHAR,
    .legacy = true,
    .handle = legacy_console,
};

const struct sbi_ext sbi_ext_legacy_shutdown = {
    .name = "legacy-shutdown",
    .eid_start = SBI_EXT_LEGACY_SHUTDOWN,
    .eid_end = SBI_EXT_LEGACY_SHUTDOWN,
    .legacy = true,
    .handle = legacy_shutdown,
};

/* clear_ipi: returns whether one was pending (ext-legacy.adoc: 0, or a positive value). */
static struct sbi_ret legacy_clear_ipi(struct vcpu *v, const struct sbi_call *c)
{
    (void)c;
    bool was = vcpu_arch_virq_pending(v, IRQ_VS_SOFT);
    vcpu_arch_set_virq(v, IRQ_VS_SOFT, false);
    return sbi_ok(was ? 1 : 0);
}

/* The legacy calls pass a pointer to a hart mask in the guest's virtual memory; NULL means every
 * hart (as OpenSBI's legacy implementation reads it). */
static long legacy_targets(struct vcpu *v, unsigned long ptr, uint64_t *targets)
{
    uint64_t mask;

    if (ptr == 0) {
        return sbi_hart_mask(0, ~0ul, v->vm->nvcpus, targets);
    }
    if (!vcpu_arch_read_guest_u64(v, ptr, &mask)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    return sbi_hart_mask(mask, 0, v->vm->nvcpus, targets);
}

static struct sbi_ret legacy_ipi_fence(struct vcpu *v, const struct sbi_call *c)
{
    uint64_t targets;
    long err = legacy_targets(v, c->args[0], &targets);

    if (err != SBI_SUCCESS) {
        return sbi_ok((unsigned long)err);
    }
    switch (c->eid) {
    case SBI_EXT_LEGACY_SEND_IPI:
        sbi_send_ipis(v->vm, targets);
        return sbi_ok(0);
    case SBI_EXT_LEGACY_REMOTE_FENCE_I:
        return sbi_ok((unsigned long)sbi_fence_i(v->vm, targets));
    case SBI_EXT_LEGACY_REMOTE_SFENCE_VMA:
        return sbi_ok((unsigned long)sbi_fence_range(v->vm, targets, c->args[1], c->args[2], -1));
    default: /* SBI_EXT_LEGACY_REMOTE_SFENCE_VMA_ASID */
        if (c->args[3] > 0xffff) {
            return sbi_ok((unsigned long)SBI_ERR_INVALID_PARAM);
        }
        return sbi_ok((unsigned long)sbi_fence_range(v->vm, targets, c->args[1], c->args[2], (long)c->args[3]));
    }
}

const struct sbi_ext sbi_ext_legacy_clear_ipi = {
    .name = "legacy-clear-ipi",
    .eid_start = SBI_EXT_LEGACY_CLEAR_IPI,
    .eid_end = SBI_EXT_LEGACY_CLEAR_IPI,
    .legacy = true,
    .handle = legacy_clear_ipi,
};

const struct sbi_ext sbi_ext_legacy_ipi_fence = {
    .name = "legacy-ipi-fence",
    .eid_start = SBI_EXT_LEGACY_SEND_IPI,
    .eid_end = SBI_EXT_LEGACY_REMOTE_SFENCE_VMA_ASID,
    .legacy = true,
    .handle = legacy_ipi_fence,
};
