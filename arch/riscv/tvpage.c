// SPDX-License-Identifier: MIT
// The trap engine's use of a vCPU page (vpage.c has the logic): finding the page in guest memory at
// each use, forwarding traps through it, and the return hypercall. The page is guest RAM that is
// never a page table: that is checked at every use, not only at registration, because the guest may
// make the frame a validated table later; then the registration is dropped and the guest is back on
// its CSRs (its own loss only).
#include <arch/privemu.h>
#include <arch/vcpu_arch.h>
#include <arch/vpage.h>

#include "exit.h"
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
        a->tv.vpage_hpa = 0;
    }
    return p;
}

long tv_set_vcpu_page(struct vcpu *v, uint64_t gpa)
{
    struct vcpu_arch *a = &v->arch;
    volatile struct hv_vcpu_page *p;

    a->tv.vpage = gpa;
    p = page_of(v);
    a->tv.vpage_hpa = (uint64_t)(uintptr_t)p; /* the hypervisor maps host memory one to one */
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

bool tv_vpage_fast_syscall(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    volatile struct hv_vcpu_page *p = page_of(v);

    if (!p || a->tv.vmode) {
        return false;
    }
    vpage_sync_in(a, p);
    a->tv.handler_faults = 0; /* as tv_reflect: a system call is never a fault at the handler */
    priv_enter_trap(a, EXC_U_ECALL, 0);
    vpage_forward(a, p, 1);
    vpage_sync_out(a, p);
    return true;
}

bool tv_vpage_fast_return(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    volatile struct hv_vcpu_page *p = page_of(v);
    struct hv_vcpu_page snap;

    if (!p || !a->tv.vmode) {
        return false;
    }
    /* What the return reads, read once: a change of MXR (every tree dropped) is the full path's. */
    snap.irq_on = p->irq_on;
    snap.ret_pc = p->ret_pc;
    snap.ret_status = p->ret_status;
    snap.ret_a0 = p->ret_a0;
    snap.ret_a1 = p->ret_a1;
    snap.ret_a6 = p->ret_a6;
    snap.ret_a7 = p->ret_a7;
    if ((snap.ret_status ^ a->vs.vsstatus) & SSTATUS_MXR) {
        return false;
    }
    vpage_sync_in(a, &snap);
    (void)vpage_return(a, &snap);
    vpage_sync_out(a, p);
    tv_refill(v);
    return true;
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
    tv_refill(v);
    return SBI_SUCCESS;
}
