// SPDX-License-Identifier: MIT
// SBI dispatcher: finds the extension for a7, runs it, writes the result, steps past the ecall.
#include "sbi.h"

#include "console.h"
#include "vm.h"

static const struct sbi_ext *const extensions[] = {
    &sbi_ext_legacy_timer,
    &sbi_ext_legacy_console,
    &sbi_ext_legacy_clear_ipi,
    &sbi_ext_legacy_ipi_fence,
    &sbi_ext_legacy_shutdown,
    &sbi_ext_base,
    &sbi_ext_time,
    &sbi_ext_ipi,
    &sbi_ext_rfence,
    &sbi_ext_hsm,
    &sbi_ext_srst,
    &sbi_ext_dbcn,
    &sbi_ext_sta,
    &sbi_ext_hv,
};

const struct sbi_ext *sbi_find_ext(unsigned long eid)
{
    for (unsigned i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
        if (eid >= extensions[i]->eid_start && eid <= extensions[i]->eid_end) {
            return extensions[i];
        }
    }
    return (const struct sbi_ext *)0;
}

bool sbi_dispatch_quick(struct vcpu_arch *a, struct vm *vm)
{
    uint32_t eid = (uint32_t)vcpu_arch_get_reg(a, REG_A7);
    bool legacy = eid == SBI_EXT_LEGACY_CONSOLE_PUTCHAR;

    if (!legacy && !(eid == SBI_EXT_DBCN && (uint32_t)vcpu_arch_get_reg(a, REG_A6) == SBI_DBCN_WRITE_BYTE)) {
        return false;
    }
    if (!console_guest_putc_quick(vm, (char)(vcpu_arch_get_reg(a, REG_A0) & 0xff))) {
        return false;
    }
    /* As sbi_dispatch replies: a legacy call's result in a0 alone (a1 preserved). */
    vcpu_arch_set_reg(a, REG_A0, 0);
    if (!legacy) {
        vcpu_arch_set_reg(a, REG_A1, 0);
    }
    vcpu_arch_set_pc(a, vcpu_arch_get_pc(a) + 4);
    return true;
}

void sbi_dispatch(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    /* EIDs and FIDs are signed 32-bit integers (binary-encoding.adoc): only the low half of a7 and
     * a6 names them, whatever a caller left in the upper half. */
    struct sbi_call c = {
        .eid = (uint32_t)vcpu_arch_get_reg(a, REG_A7),
        .fid = (uint32_t)vcpu_arch_get_reg(a, REG_A6),
    };
    for (unsigned i = 0; i < 6; i++) {
        c.args[i] = vcpu_arch_get_reg(a, REG_A0 + i);
    }

    const struct sbi_ext *ext = sbi_find_ext(c.eid);
    struct sbi_ret r = ext ? ext->handle(v, &c) : sbi_err(SBI_ERR_NOT_SUPPORTED);
    if (r.no_reply) {
        return;
    }
    /* An unknown legacy EID still follows the legacy convention: a1 is preserved. */
    bool legacy = ext ? ext->legacy : c.eid <= 0x0f;
    if (legacy) {
        vcpu_arch_set_reg(a, REG_A0, ext ? r.value : (uint64_t)r.error);
    } else {
        vcpu_arch_set_reg(a, REG_A0, (uint64_t)r.error);
        vcpu_arch_set_reg(a, REG_A1, r.value);
    }
    /* ecall is always 4 bytes: there is no compressed form. */
    vcpu_arch_set_pc(a, vcpu_arch_get_pc(a) + 4);
}
