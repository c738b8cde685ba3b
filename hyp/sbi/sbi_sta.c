// SPDX-License-Identifier: MIT
// SBI Steal-time Accounting extension (ext-steal-time.adoc): how long each vCPU was ready to run
// and waited for its hart while other vCPUs had it, in a record the guest registers.
#include "sbi.h"

#include <string.h>

#include "console.h"
#include "guest_mem.h"
#include "hyp.h"
#include "smp.h"
#include "vm.h"

#define STA_OFF ~0ul /* shmem_phys_lo and _hi both all ones: stop reporting */

_Static_assert(sizeof(struct sbi_sta_record) == SBI_STA_SHMEM_SIZE, "STA record layout");
_Static_assert(__builtin_offsetof(struct sbi_sta_record, steal) == 8, "STA record layout");
_Static_assert(__builtin_offsetof(struct sbi_sta_record, preempted) == 16, "STA record layout");

uint64_t sta_ticks_to_ns(uint64_t ticks, uint64_t freq)
{
    /* Whole seconds and the rest apart: the rest times 10^9 stays below 2^64 for any timebase up
     * to 18 GHz, and the total is exact to a nanosecond, so the count never runs backwards. */
    if (freq == 0) {
        return 0;
    }
    return ticks / freq * 1000000000ull + ticks % freq * 1000000000ull / freq;
}

/* Writes the record: sequence odd, then steal and preempted, then sequence even, each store ordered
 * before the next (the guest reads them in the other order). The record's frame is checked each
 * time, as it may have become a table the validator holds since it was registered: then the vCPU
 * reports nothing more. The caller holds the VM's lock if it spans harts. */
static void sta_write(struct vcpu *v, bool preempted)
{
    volatile struct sbi_sta_record *r = guest_ram_dma_ptr(v->vm, v->sta.gpa, SBI_STA_SHMEM_SIZE);

    if (!r) {
        hyp_log("guest '%s' vCPU %u: its steal-time record at 0x%lx is a page table now: no longer "
                "written",
                v->vm->cfg->name,
                v->id,
                (unsigned long)v->sta.gpa);
        v->sta.on = false;
        return;
    }
    uint64_t ns = sta_ticks_to_ns(v->sta.steal, platform.timebase_freq);

    r->sequence = ++v->sta.seq;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    r->steal = ns;
    r->preempted = preempted;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    r->sequence = ++v->sta.seq;
}

void sta_ready(struct vcpu *v, uint64_t now)
{
    v->sta.waiting = true;
    v->sta.ready_at = now;
}

/* One vCPU's record, under its VM's lock where the VM spans harts (another hart may be waking or
 * resetting the vCPU, or pinning the record's frame as a table). */
static void sta_update(struct vcpu *v, bool preempted, uint64_t now)
{
    bool taken = vm_lock(v->vm);

    if (v->sta.on && v->vm->state == VM_RUNNING && v->state == VCPU_RUNNABLE) {
        if (preempted && !v->sta.waiting) {
            sta_ready(v, now);
            sta_write(v, true);
        } else if (!preempted && v->sta.waiting) {
            v->sta.steal += now > v->sta.ready_at ? now - v->sta.ready_at : 0;
            v->sta.waiting = false;
            sta_write(v, false);
        }
    }
    vm_unlock(v->vm, taken);
}

void sta_switch(struct pcpu *c, struct vcpu *prev, struct vcpu *next, uint64_t now)
{
    /* Only the moments the record changes: prev leaves this hart still runnable, or next comes back
     * to it after a wait. A vCPU going idle (WFI, a suspend) does not wait: that is not steal. prev
     * is the vCPU this hart ran last, which may have stopped since (its slot even reused). */
    if (prev && prev != next && prev->pcpu == c && prev->sta.on) {
        sta_update(prev, true, now);
    }
    if (next->sta.on && next->sta.waiting) {
        sta_update(next, false, now);
    }
}

void sta_reset(struct vcpu *v)
{
    v->sta = (struct vcpu_sta){ 0 };
}

static long sta_set_shmem(struct vcpu *v, uint64_t lo, uint64_t hi, uint64_t flags)
{
    if (flags != 0) {
        return SBI_ERR_INVALID_PARAM;
    }
    if (lo == STA_OFF && hi == STA_OFF) {
        v->sta.on = false;
        return SBI_SUCCESS;
    }
    if (lo & (SBI_STA_SHMEM_SIZE - 1)) {
        return SBI_ERR_INVALID_PARAM;
    }
    /* RV64: shmem_phys_hi holds address bits 64 and up, which no guest RAM has. Not in a frame the
     * validator holds as a table either: only validated updates change those. */
    void *p = hi == 0 ? guest_ram_write_ptr(v->vm, lo, SBI_STA_SHMEM_SIZE) : (void *)0;
    if (!p) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    memset(p, 0, SBI_STA_SHMEM_SIZE);
    /* It runs now: nothing stolen yet, and the zeroed record says so (sequence 0, even). */
    v->sta = (struct vcpu_sta){ .on = true, .gpa = lo };
    return SBI_SUCCESS;
}

static struct sbi_ret sta_handle(struct vcpu *v, const struct sbi_call *c)
{
    if (c->fid != SBI_STA_SET_SHMEM) {
        return sbi_err(SBI_ERR_NOT_SUPPORTED);
    }
    long err = sta_set_shmem(v, c->args[0], c->args[1], c->args[2]);
    return err == SBI_SUCCESS ? sbi_ok(0) : sbi_err(err);
}

const struct sbi_ext sbi_ext_sta = {
    .name = "sta",
    .eid_start = SBI_EXT_STA,
    .eid_end = SBI_EXT_STA,
    .handle = sta_handle,
};
