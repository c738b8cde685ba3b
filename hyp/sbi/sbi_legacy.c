// SPDX-License-Identifier: MIT
// SBI v0.1 legacy extensions (ext-legacy.adoc) that older guests still call: timer, console, shutdown.
#include "sbi.h"

#include <arch/arch.h>

#include "console.h"
#include "vm.h"

static struct sbi_ret legacy_timer(struct vcpu *v, const struct sbi_call *c)
{
    vcpu_arch_set_timer(v, c->args[0]);
    return sbi_ok(0);
}

static struct sbi_ret legacy_console(struct vcpu *v, const struct sbi_call *c)
{
    if (c->eid == SBI_EXT_LEGACY_CONSOLE_PUTCHAR) {
        console_guest_putc(v->vm, (char)(c->args[0] & 0xff));
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
