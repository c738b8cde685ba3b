// SPDX-License-Identifier: MIT
// Block hypercalls: a batch of requests in one trap, carried out in order on the guest's disk, with a
// status written back per request and one completion interrupt per batch. A request the host disk
// takes time over ends the call ("cut", as a call out of budget): the guest calls again, and the call
// that finds it answered writes its status and goes on with the batch (docs/hypercalls.md).
#include <string.h>

#include "blk/blk.h"
#include "budget.h"
#include "mm.h"
#include "guest_mem.h"
#include "hvabi.h"
#include "pv/pv.h"
#include "vm.h"
#include "vplatform.h"

_Static_assert(HV_BLK_OK == BLK_OK && HV_BLK_IOERR == BLK_IOERR && HV_BLK_UNSUPP == BLK_UNSUPP,
               "block statuses pass through unchanged");
_Static_assert(HV_BLK_SECTOR == BLK_SECTOR, "one sector size");
_Static_assert(HV_BLK_IRQ != VM_VBLK_IRQ && HV_BLK_IRQ != VM_UART_IRQ, "a PLIC source of its own");
/* The largest request fits a whole exit's budget: a call with a fresh budget starts at least one
 * (or collects one the host disk answered). */
_Static_assert(UNITS_BLK_REQUEST + HV_BLK_LEN_MAX / BYTES_PER_UNIT +
                   (HV_BLK_LEN_MAX / PAGE_SIZE + 1) * UNITS_PER_CLEARED_PAGE <= EXIT_BUDGET,
               "one request per exit at least");

/* What a request costs the exit: its bytes (what a RAM disk copies) and the request itself. */
static uint64_t blk_units(const struct vm *vm, const struct hv_blk_req *r)
{
    bool data = r->op == HV_BLK_READ || r->op == HV_BLK_WRITE;
    uint64_t len = data && r->len <= HV_BLK_LEN_MAX ? r->len : 0; /* longer: refused unread */
    uint64_t hpa;
    /* The bytes, and clearing the pages they span where the guest never used them (guest_mem.h). */
    uint64_t clear = len && guest_ram_range(vm, r->buf, len, &hpa) ? guest_ram_unused_pages(vm, r->buf, len) : 0;
    return UNITS_BLK_REQUEST + len / BYTES_PER_UNIT + clear * UNITS_PER_CLEARED_PAGE;
}

/* The buffer of a request, checked (again, for one the host disk answered in a later exit: the
 * guest may have made a frame of it a page table meanwhile, which a read may not rewrite). */
static uint8_t *req_buf(struct vm *vm, bool read, uint64_t gpa, uint64_t len)
{
    return read ? guest_ram_write_ptr(vm, gpa, len) : guest_ram_ptr(vm, gpa, len);
}

/* One request, already copied out of guest memory. Its buffer must be the guest's RAM, and for a read
 * not one of its validated page tables, which the disk would otherwise rewrite behind the validator.
 * BLK_PENDING: on the host disk's queue; BLK_BUSY: not started. */
static enum blk_status blk_one(struct vm *vm, const struct hv_blk_req *r)
{
    if (r->op == HV_BLK_FLUSH) {
        return blk_start(&vm->disk, BLK_USER_HC, BLK_FLUSH, 0, (const struct blk_seg *)0, 0);
    }
    if (r->op != HV_BLK_READ && r->op != HV_BLK_WRITE) {
        return BLK_UNSUPP;
    }
    if (r->len == 0 || r->len > HV_BLK_LEN_MAX || r->len % HV_BLK_SECTOR) {
        return BLK_IOERR;
    }
    bool read = r->op == HV_BLK_READ;
    uint8_t *buf = req_buf(vm, read, r->buf, r->len);
    if (!buf) {
        return BLK_IOERR;
    }
    struct blk_seg seg = { buf, (uint32_t)r->len };
    return blk_start(&vm->disk, BLK_USER_HC, read ? BLK_READ : BLK_WRITE, r->sector, &seg, 1);
}

/* The request an earlier call left on the host disk, answered: its result (a read's data copied into
 * its buffer, checked again), written into its status where the guest's array had it. */
static enum blk_status collect(struct vm *vm)
{
    struct hc_blk_wait *w = &vm->blk_wait;
    bool read = w->op == HV_BLK_READ;
    uint8_t *buf = read ? req_buf(vm, true, w->buf, w->len) : (uint8_t *)0;
    struct blk_seg seg = { buf, w->len };
    enum blk_status st = blk_finish(&vm->disk, BLK_USER_HC, &seg, buf ? 1 : 0);

    w->busy = false;
    struct hv_blk_req *at = guest_ram_dma_ptr(vm, w->at, sizeof *at);
    if (at) {
        at->status = st;
    }
    return st;
}

void hc_blk_cancel(struct vm *vm)
{
    blk_cancel(&vm->disk, BLK_USER_HC);
    vm->blk_wait.busy = false;
}

static void completion_irq(struct vm *vm, bool level)
{
    if (vm->cfg->devices & VM_DEV_PLIC) {
        vplic_set_level(&vm->plic, HV_BLK_IRQ, level);
    }
}

long hc_blk_submit(struct vcpu *v, uint64_t gpa, uint64_t count, uint64_t *done,
                   struct hc_budget *b)
{
    struct vm *vm = v->vm;
    uint64_t n = count < HV_BLK_BATCH_MAX ? count : HV_BLK_BATCH_MAX;

    *done = 0;
    if (vm->disk.kind == BLK_NONE) {
        return SBI_ERR_NOT_SUPPORTED;
    }
    /* The whole array is checked first (n is small, so its size cannot wrap); statuses are written
     * into it, so it may not be a page table either. */
    struct hv_blk_req *reqs = guest_ram_dma_ptr(vm, gpa, n * sizeof(struct hv_blk_req));
    if (!reqs || (gpa & 7)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    long err = SBI_SUCCESS;
    uint64_t i = 0;
    bool ran = false;
    struct hc_blk_wait *w = &vm->blk_wait;
    if (w->busy) {
        /* A request of an earlier call is on the host disk: nothing else starts before its answer,
         * which only the vCPU that started it collects (its call continues that batch; another
         * vCPU's would not know to skip the request). Its read data is copied now, from this exit's
         * budget. */
        uint64_t units = UNITS_BLK_REQUEST + w->len / BYTES_PER_UNIT;
        if (w->vcpu != v->id || units > b->left || !blk_answered(&vm->disk, BLK_USER_HC)) {
            b->cut = count > 0; /* not yet: the guest calls again */
            return SBI_SUCCESS;
        }
        b->left -= units;
        enum blk_status st = collect(vm);
        ran = true;
        /* The same array again: this call continues the batch, its first request is the one that
         * ended (another array is a new batch; the old request's status is in its own array). */
        if (w->at == gpa && n > 0) {
            i = 1;
            if (st != BLK_OK) {
                *done = 0;
                completion_irq(vm, true);
                return SBI_ERR_IO;
            }
        }
    }
    for (; i < n; i++) {
        struct hv_blk_req r;
        /* Read once: the guest may rewrite its array while we work. */
        memcpy(&r, &reqs[i], sizeof r);
        /* Requests and bytes per exit are bounded: one that does not fit what is left waits for
         * the guest's next call, untouched (its status is not written). */
        uint64_t units = blk_units(vm, &r);
        if (units > b->left) {
            break;
        }
        b->left -= units;
        enum blk_status st = blk_one(vm, &r);
        if (st == BLK_BUSY) {
            break; /* the host disk serves another request: this one is started by a later call */
        }
        if (st == BLK_PENDING) {
            /* On the host disk's queue: its answer is looked for when the guest calls again. */
            *w = (struct hc_blk_wait){ true, v->id, gpa + i * sizeof(struct hv_blk_req), r.buf,
                                       (uint32_t)r.len, r.op };
            break;
        }
        reqs[i].status = st;
        ran = true;
        if (st != BLK_OK) {
            err = SBI_ERR_IO; /* later requests may depend on this one: they are not run */
            break;
        }
    }
    *done = i;
    if (i < count && err == SBI_SUCCESS) {
        b->cut = true; /* past HV_BLK_BATCH_MAX, or out of budget: the guest calls again */
    }
    /* The completion interrupt of what ran (whether or not it failed). */
    if (ran) {
        completion_irq(vm, true);
    }
    return err;
}

long hc_blk_ctl(struct vcpu *v, uint64_t what, uint64_t *value)
{
    struct vm *vm = v->vm;

    *value = 0;
    if (vm->disk.kind == BLK_NONE) {
        return SBI_ERR_NOT_SUPPORTED;
    }
    switch (what) {
    case HV_BLK_CTL_CAPACITY:
        *value = vm->disk.sectors;
        return SBI_SUCCESS;
    case HV_BLK_CTL_ACK:
        completion_irq(vm, false);
        return SBI_SUCCESS;
    default:
        return SBI_ERR_INVALID_PARAM;
    }
}
