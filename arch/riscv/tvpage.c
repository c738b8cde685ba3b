// SPDX-License-Identifier: MIT
// The trap engine's use of a vCPU page (vpage.c has the logic): finding the page in guest memory at
// each use, forwarding traps through it, and the return hypercall. The page is guest RAM that is
// never a page table: that is checked at every use, not only at registration, because the guest may
// make the frame a validated table later; then the registration is dropped and the guest is back on
// its CSRs (its own loss only).
#include <arch/privemu.h>
#include <arch/vcpu_arch.h>
#include <arch/vpage.h>

#include "guest_mem.h"
#include "hvabi.h"
#include "tengine_int.h"
#include "vm.h"

static volatile struct hv_vcpu_page *page_of(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    volatile struct hv_vcpu_page *p;

    if (!a->tv.vpage) {
        return (volatile struct hv_vcpu_page *)0;
    }
    p = guest_ram_dma_ptr(v->vm, a->tv.vpage, HV_VP_SIZE);
    if (!p) {
        a->tv.vpage = 0;
    }
    return p;
}

long tv_set_vcpu_page(struct vcpu *v, uint64_t gpa)
{
    struct vcpu_arch *a = &v->arch;
    volatile struct hv_vcpu_page *p;

    a->tv.vpage = gpa;
    p = page_of(v);
    if (gpa && !p) {
        return SBI_ERR_DENIED;
    }
    if (p) {
        /* The page starts as the CSRs are: the flag is the guest's sstatus.SIE now. */
        vpage_sync_out(a, p);
    }
    return SBI_SUCCESS;
}

void tv_vpage_in(struct vcpu *v)
{
    volatile struct hv_vcpu_page *p = page_of(v);

    if (p) {
        vpage_sync_in(&v->arch, p);
    }
}

void tv_vpage_out(struct vcpu *v)
{
    volatile struct hv_vcpu_page *p = page_of(v);

    if (p) {
        vpage_sync_out(&v->arch, p);
    }
}

void tv_enter_trap(struct vcpu_arch *a, uint64_t cause, uint64_t tval)
{
    int from_user = !a->tv.vmode;
    volatile struct hv_vcpu_page *p;

    priv_enter_trap(a, cause, tval);
    p = page_of(vcpu_of_arch(a));
    if (p) {
        vpage_forward(a, p, from_user);
    }
}

long tv_trap_return(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    volatile struct hv_vcpu_page *p = page_of(v);

    /* Only the guest kernel reaches here: its user code's ecall is a system call of its own. */
    if (!p || !a->tv.vmode) {
        return p ? SBI_ERR_DENIED : SBI_ERR_NOT_SUPPORTED;
    }
    if (vpage_return(a, p) & SSTATUS_MXR) {
        tv_drop_all(v); /* shadow entries were made for the old MXR (as emulate_privileged) */
    }
    return SBI_SUCCESS;
}
