// SPDX-License-Identifier: MIT
// Emulated virtio-blk (virtio 1.x, virtio-mmio version 2, split virtqueue). Requests run inside the
// guest's QueueNotify store, up to one exit's budget of descriptors and bytes; what is left goes on
// in the guest's later exits, as a real device finishes in its own time: so does a request the
// backend answers later (the host disk), whose used entry and interrupt come with that answer. Everything read from guest
// memory is read once into our own copy before it is checked.
#include "dev/vblk.h"

#include <stddef.h>
#include <string.h>

#include "budget.h"
#include "dev/vblk_int.h"
#include "virtio.h"


_Static_assert(VBLK_PART_MAX <= BLK_XFER_MAX && VBLK_PART_MAX % VIRTIO_BLK_SECTOR == 0,
               "a part fits one backend request");
/* An exit that finds a part answered checks the chain again and copies the part: within its budget. */
_Static_assert(VBLK_QSIZE * UNITS_VIRTIO_DESC + UNITS_BLK_REQUEST + VBLK_PART_MAX / BYTES_PER_UNIT <=
                   VIRTIO_EXIT_BUDGET,
               "an answered part is always collected by the next exit");

void vblk_update_irq(struct vblk *b)
{
    bool level = b->isr != 0;
    if (level != b->irq_level) {
        b->irq_level = level;
        if (b->ops.irq) {
            b->ops.irq(b->ops.ctx, level);
        }
    }
}

void vblk_reset(struct vblk *b)
{
    struct vblk_ops ops = b->ops;

    /* Virtio 1.x: after a reset the device uses nothing the driver gave it. */
    if (b->cur_busy && b->cur_wait && ops.cancel) {
        ops.cancel(ops.ctx);
    }
    uint64_t capacity = b->capacity;
    bool level = b->irq_level;

    memset(b, 0, offsetof(struct vblk, chain));
    b->ops = ops;
    b->capacity = capacity;
    b->irq_level = level;
    vblk_update_irq(b); /* a reset withdraws a pending interrupt */
}

void vblk_init(struct vblk *b, uint64_t capacity, const struct vblk_ops *ops)
{
    memset(b, 0, sizeof *b);
    if (ops) {
        b->ops = *ops;
    }
    b->capacity = capacity;
}

/* The driver broke the queue's rules (an index past the ring, a ring outside its RAM): virtio 1.x,
 * "Device Status Field", lets the device stop and ask for a reset, which it tells through a
 * configuration interrupt. */
static void needs_reset(struct vblk *b)
{
    b->status |= VIRTIO_STATUS_NEEDS_RESET;
    b->isr |= VIRTIO_INT_CONFIG;
}

static uint64_t touch(const struct vblk *b, const volatile void *p, uint64_t len)
{
    return b->ops.touch && p ? b->ops.touch(b->ops.ctx, (void *)(uintptr_t)p, len) : 0;
}

static void *dma(struct vblk *b, uint64_t gpa, uint64_t len, bool device_writes)
{
    return b->ops.dma ? b->ops.dma(b->ops.ctx, gpa, len, device_writes) : NULL;
}

/* Walks the chain at head into b->chain. Returns the number of pieces, or 0 when the chain is
 * malformed: a loop or a chain longer than the queue, an index past the table, an indirect
 * descriptor (not offered), a readable descriptor after a writable one, or a buffer that is not
 * wholly the guest's. *status_at is the last writable byte if the last piece can hold it, even for
 * a malformed chain, so the guest still hears about its error. *read counts descriptors read. */
static unsigned walk_chain(struct vblk *b, const volatile struct virtq_desc *table, uint16_t head,
                           uint8_t **status_at, unsigned *read)
{
    unsigned n = 0;
    bool bad = false, seen_write = false;
    uint16_t i = head;

    *status_at = NULL;
    *read = 0;
    for (;;) {
        if (i >= b->queue_num || n == b->queue_num) {
            return 0; /* past the table, or more descriptors than the queue has: a loop */
        }
        uint64_t addr = table[i].addr;
        uint32_t len = table[i].len;
        uint16_t flags = table[i].flags, next = table[i].next;
        bool w = flags & VIRTQ_DESC_F_WRITE;
        /* One check per descriptor, whatever its length: the validator counts the tables in any
         * range in O(log n) (a descriptor may be as long as the guest's RAM). */
        uint8_t *p = dma(b, addr, len, w);
        (*read)++;
        bad |= (flags & VIRTQ_DESC_F_INDIRECT) || !p || (seen_write && !w);
        seen_write |= w;
        b->chain[n++] = (struct vblk_piece){ p, addr, len, w };
        *status_at = w && p && len ? p + len - 1 : NULL;
        if (!(flags & VIRTQ_DESC_F_NEXT)) {
            break;
        }
        i = next;
    }
    return bad ? 0 : n;
}

/* Copies the first len readable bytes of the chain (the request header) to out. */
static bool read_header(const struct vblk *b, unsigned n, void *out, size_t len)
{
    uint8_t *dst = out;
    for (unsigned k = 0; k < n && len > 0 && !b->chain[k].device_writes; k++) {
        size_t take = b->chain[k].len < len ? b->chain[k].len : len;
        touch(b, b->chain[k].buf, take);
        memcpy(dst, b->chain[k].buf, take);
        dst += take;
        len -= take;
    }
    return len == 0;
}

/* The data segments of a checked chain: readable bytes after the header for a write, writable bytes
 * before the status byte for a read. Returns how many, or -1 when they do not fit the backend. */
static int data_segs(struct vblk *b, unsigned n, bool device_writes, uint64_t *bytes)
{
    size_t skip = device_writes ? 0 : sizeof(struct virtio_blk_req_hdr);
    int nsegs = 0;

    *bytes = 0;
    for (unsigned k = 0; k < n; k++) {
        struct vblk_piece pc = b->chain[k];
        if (pc.device_writes != device_writes) {
            continue;
        }
        if (device_writes && k == n - 1) {
            pc.len--; /* the status byte */
        }
        size_t cut = skip < pc.len ? skip : pc.len;
        skip -= cut;
        if (pc.len == cut) {
            continue;
        }
        if (nsegs == BLK_SEGS_MAX) {
            return -1;
        }
        b->segs[nsegs++] = (struct blk_seg){ pc.buf + cut, (uint32_t)(pc.len - cut) };
        *bytes += pc.len - cut;
    }
    return nsegs;
}

/* Ends request head: its status byte (if it has one the device may still store into), its used
 * entry. */
static void complete(struct vblk *b, volatile struct virtq_used *used, uint16_t head,
                     uint8_t *status_at, uint8_t st, uint32_t written)
{
    if (status_at) {
        touch(b, status_at, 1);
        *status_at = st;
        written++;
    }
    b->requests++;
    b->errors += st != VIRTIO_BLK_S_OK;
    used->ring[b->used_idx % b->queue_num] = (struct virtq_used_elem){ head, written };
    b->used_idx++;
}

/* The status byte of the request under way, checked again: its frame may have become a validated
 * table since the chain was walked (in an earlier exit). */
static uint8_t *cur_status(struct vblk *b)
{
    const struct vblk_piece *last = &b->chain[b->cur_n - 1];
    return dma(b, last->gpa + last->len - 1, 1, true);
}

/* Takes the request at head: walks and checks its chain and header. One that moves no data (a
 * malformed one, a flush, an unknown type) completes at once; otherwise it is the request under
 * way. */
static void take_request(struct vblk *b, const volatile struct virtq_desc *table,
                         volatile struct virtq_used *used, uint16_t head, uint32_t *budget)
{
    struct virtio_blk_req_hdr h;
    uint8_t *status_at;
    unsigned read;
    unsigned n = walk_chain(b, table, head, &status_at, &read);
    uint8_t st = VIRTIO_BLK_S_IOERR;

    *budget -= read * UNITS_VIRTIO_DESC;
    if (n > 0 && status_at == b->chain[n - 1].buf + b->chain[n - 1].len - 1 &&
        read_header(b, n, &h, sizeof h)) {
        if (h.type == VIRTIO_BLK_T_FLUSH) {
            /* Started as a request under way: the backend may answer it in a later exit. */
            b->cur_busy = true;
            b->cur_in = false;
            b->cur_op = BLK_FLUSH;
            b->cur_head = head;
            b->cur_n = n;
            b->cur_nsegs = 0;
            b->cur_sector = 0;
            b->cur_bytes = 0;
            b->cur_done = 0;
            b->cur_wait = false;
            return;
        } else if (h.type != VIRTIO_BLK_T_IN && h.type != VIRTIO_BLK_T_OUT) {
            st = VIRTIO_BLK_S_UNSUPP;
        } else {
            bool in = h.type == VIRTIO_BLK_T_IN;
            uint64_t bytes;
            int nsegs = data_segs(b, n, in, &bytes);
            /* Checked here too, not only by the backend: the capacity the guest was told is the
             * limit. */
            if (nsegs >= 0 && bytes % VIRTIO_BLK_SECTOR == 0 && h.sector <= b->capacity &&
                bytes / VIRTIO_BLK_SECTOR <= b->capacity - h.sector) {
                b->cur_busy = true;
                b->cur_in = in;
                b->cur_op = in ? BLK_READ : BLK_WRITE;
                b->cur_wait = false;
                b->cur_head = head;
                b->cur_n = n;
                b->cur_nsegs = nsegs;
                b->cur_sector = h.sector;
                b->cur_bytes = bytes;
                b->cur_done = 0;
                return;
            }
        }
    }
    complete(b, used, head, status_at, st, 0);
}

/* The segments that hold bytes [cur_done, cur_done + len) of the data, into b->part; how many. */
static unsigned data_parts(struct vblk *b, uint64_t len)
{
    unsigned nparts = 0;
    uint64_t pos = 0;

    for (int k = 0; k < b->cur_nsegs && pos < b->cur_done + len; k++) {
        uint64_t lo = pos, hi = pos + b->segs[k].len;
        pos = hi;
        if (hi <= b->cur_done) {
            continue;
        }
        uint64_t from = lo > b->cur_done ? lo : b->cur_done;
        uint64_t to = hi < b->cur_done + len ? hi : b->cur_done + len;
        b->part[nparts++] = (struct blk_seg){ b->segs[k].buf + (from - lo), (uint32_t)(to - from) };
    }
    return nparts;
}

/* The request under way ends with st: its status and used entry. */
static void end_request(struct vblk *b, volatile struct virtq_used *used, uint8_t st)
{
    if (b->cur_wait && b->ops.cancel) {
        b->ops.cancel(b->ops.ctx); /* its part at the backend is not wanted any more */
    }
    b->cur_wait = false;
    b->cur_busy = false;
    uint32_t written = st == VIRTIO_BLK_S_OK && b->cur_in ? (uint32_t)b->cur_bytes : 0;
    complete(b, used, b->cur_head, cur_status(b), st, written);
}

/* A part of take bytes ended with st: the request goes on, or ends. */
static void part_done(struct vblk *b, volatile struct virtq_used *used, enum blk_status st,
                      uint64_t take)
{
    b->cur_done += take;
    if (st != BLK_OK || b->cur_done == b->cur_bytes) {
        end_request(b, used, (uint8_t)st);
    }
}

/* The part at the backend: its answer if there is one, a read's data copied now. False while it
 * has none, or the budget cannot pay for the copy (the next exit's can). */
static bool collect_part(struct vblk *b, volatile struct virtq_used *used, uint32_t *budget)
{
    uint32_t cost = UNITS_BLK_REQUEST + (uint32_t)(b->cur_take / BYTES_PER_UNIT);

    if (*budget < cost || !b->ops.answered(b->ops.ctx)) {
        return false;
    }
    *budget -= cost;
    unsigned nparts = data_parts(b, b->cur_take);
    enum blk_status st = b->ops.finish(b->ops.ctx, b->part, b->cur_in ? nparts : 0);
    b->cur_wait = false;
    part_done(b, used, st == BLK_PENDING || st == BLK_BUSY ? BLK_IOERR : st, b->cur_take);
    return true;
}

/* Moves as much of the request under way as the budget allows, whole sectors at a time and at most
 * VBLK_PART_MAX per backend request; completes it when all is moved or the backend fails. A part the
 * backend answers later ends this exit's work on the queue (requests complete in order). recheck:
 * an earlier exit walked its chain, so the buffers the device stores into are checked again first.
 * False when the budget ran out first, or the request waits for the backend. */
static bool continue_request(struct vblk *b, volatile struct virtq_used *used, uint32_t *budget,
                             bool recheck)
{
    if (recheck) {
        for (unsigned k = 0; k < b->cur_n; k++) {
            const struct vblk_piece *pc = &b->chain[k];
            if (*budget < UNITS_VIRTIO_DESC) {
                return false;
            }
            *budget -= UNITS_VIRTIO_DESC;
            if (pc->device_writes && !dma(b, pc->gpa, pc->len, true)) {
                end_request(b, used, VIRTIO_BLK_S_IOERR);
                return true;
            }
        }
    }
    if (b->cur_wait) {
        return collect_part(b, used, budget);
    }
    if (*budget < UNITS_BLK_REQUEST) {
        return false;
    }
    /* The pages the next bytes go to or come from are cleared first where the guest never used them
     * (guest_mem.h): a room's worth at most, paid from the budget, then the bytes from what is left. */
    uint64_t room = (*budget - UNITS_BLK_REQUEST) * (uint64_t)BYTES_PER_UNIT;
    room = room < VBLK_PART_MAX ? room : VBLK_PART_MAX;
    unsigned nparts = data_parts(b, room);
    uint64_t cleared = 0;
    for (unsigned k = 0; k < nparts; k++) {
        cleared += touch(b, b->part[k].buf, b->part[k].len);
    }
    uint64_t units = cleared * UNITS_PER_CLEARED_PAGE;
    *budget = units < *budget - UNITS_BLK_REQUEST ? *budget - (uint32_t)units : UNITS_BLK_REQUEST;
    room = (*budget - UNITS_BLK_REQUEST) * (uint64_t)BYTES_PER_UNIT;
    room = room < VBLK_PART_MAX ? room : VBLK_PART_MAX;
    uint64_t take = b->cur_bytes - b->cur_done < room ? b->cur_bytes - b->cur_done : room;
    take -= take % VIRTIO_BLK_SECTOR;
    if (take == 0 && b->cur_bytes != 0) {
        *budget = 0; /* what was cleared stays cleared: the bytes go in the next exit */
        return false;
    }
    nparts = data_parts(b, take);
    enum blk_status st = BLK_OK;
    if (take > 0 || b->cur_op == BLK_FLUSH) {
        st = b->ops.start(b->ops.ctx, b->cur_op,
                          b->cur_sector + b->cur_done / VIRTIO_BLK_SECTOR, b->part, nparts);
    }
    if (st == BLK_BUSY) {
        return false; /* the backend serves others: this part starts in a later exit */
    }
    *budget -= UNITS_BLK_REQUEST + (uint32_t)(take / BYTES_PER_UNIT);
    if (st == BLK_PENDING) {
        b->cur_wait = true;
        b->cur_take = take;
        return false;
    }
    part_done(b, used, st, take);
    return true;
}

void vblk_work(struct vblk *b, uint32_t budget)
{
    uint16_t num = (uint16_t)b->queue_num;
    bool sane = b->queue_ready && num && !(num & (num - 1)) && !(b->desc & 15) && !(b->avail & 1) &&
                !(b->used & 3);
    bool resumed = b->cur_busy; /* its chain was walked in an earlier call */

    b->pending = false;
    if ((b->status & VIRTIO_STATUS_NEEDS_RESET) || !(b->status & VIRTIO_STATUS_DRIVER_OK)) {
        return;
    }
    /* The rings are found again each time: the guest may have retyped their frames meanwhile. */
    const volatile struct virtq_desc *table =
      sane ? dma(b, b->desc, VIRTQ_DESC_BYTES(num), false) : NULL;
    volatile struct virtq_avail *avail =
      sane ? dma(b, b->avail, VIRTQ_AVAIL_BYTES(num), false) : NULL;
    volatile struct virtq_used *used = sane ? dma(b, b->used, VIRTQ_USED_BYTES(num), true) : NULL;
    if (!table || !avail || !used) {
        needs_reset(b);
        vblk_update_irq(b);
        return;
    }
    touch(b, table, VIRTQ_DESC_BYTES(num));
    touch(b, avail, VIRTQ_AVAIL_BYTES(num));
    touch(b, used, VIRTQ_USED_BYTES(num));
    uint16_t avail_idx = avail->idx;
    if ((uint16_t)(avail_idx - b->last_avail) > num) {
        needs_reset(b); /* more entries than the ring holds: the index is garbage */
        vblk_update_irq(b);
        return;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the ring entries after the index that covers them */
    uint16_t used_before = b->used_idx;
    for (;;) {
        if (b->cur_busy) {
            if (!continue_request(b, used, &budget, resumed)) {
                break;
            }
            resumed = false;
            continue;
        }
        if (b->last_avail == avail_idx) {
            break;
        }
        /* A whole chain's walk must fit (at most the queue's length): the next exit has it all. */
        if (budget < num * UNITS_VIRTIO_DESC) {
            break;
        }
        uint16_t head = avail->ring[b->last_avail % num];
        b->last_avail++;
        take_request(b, table, used, head, &budget);
    }
    b->pending = b->cur_busy || b->last_avail != avail_idx;
    if (b->used_idx != used_before) {
        __atomic_thread_fence(
          __ATOMIC_SEQ_CST); /* the used entries before the index showing them */
        used->idx = b->used_idx;
        b->isr |= VIRTIO_INT_USED;
    }
    vblk_update_irq(b);
}

bool vblk_pending(const struct vblk *b)
{
    return b->pending;
}
