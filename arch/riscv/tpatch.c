// SPDX-License-Identifier: MIT
// Patched privileged instructions of a trap-engine guest (arch/tpatch.h): the table from patch slot
// to original instruction, and the frames that hold patches.
#include <arch/tpatch.h>

#define PAGE 4096ull
#define OP_LOAD 0x03u

static void put32(uint8_t *m, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++) {
        m[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get32(const uint8_t *m)
{
    return m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
}

void tpatch_init(struct tpatch *p)
{
    for (unsigned i = 0; i < TPATCH_SLOTS; i++) {
        p->slot[i].live = 0;
        p->slot[i].next = i + 1 < TPATCH_SLOTS ? (uint16_t)(i + 1) : TPATCH_NONE;
    }
    p->free = 0;
    p->lo = ~0ull;
    p->hi = 0;
    p->nframes = 0;
    p->live_frames = 0;
    p->patched = 0;
    p->undone = 0;
}

uint32_t tpatch_insn(unsigned s)
{
    /* I-type: imm[11:0] | rs1 = x0 | funct3 = 0 (LB) | rd = x0 | LOAD. */
    return (((s - 2048u) & 0xfffu) << 20) | OP_LOAD;
}

const struct tpatch_slot *tpatch_hit(const struct tpatch *p, uint64_t addr, uint64_t pc)
{
    uint64_t s = addr - TPATCH_ADDR_BASE;

    if (addr < TPATCH_ADDR_BASE || s >= TPATCH_SLOTS || !p->slot[s].live || p->slot[s].va != pc) {
        return (const struct tpatch_slot *)0;
    }
    return &p->slot[s];
}

static int frame_index(const struct tpatch *p, uint64_t gpa)
{
    for (unsigned i = 0; i < p->nframes; i++) {
        if (p->frame[i].gpa == (gpa & ~(PAGE - 1))) {
            return (int)i;
        }
    }
    return -1;
}

bool tpatch_frame_patched(const struct tpatch *p, uint64_t gpa)
{
    if (gpa < p->lo || gpa >= p->hi) {
        return false;
    }
    int i = frame_index(p, gpa);

    return i >= 0 && p->frame[i].n > 0;
}

bool tpatch_any_in(const struct tpatch *p, uint64_t gpa, uint64_t len)
{
    if (gpa >= p->hi || (p->lo >= gpa && p->lo - gpa >= len)) {
        return false;
    }
    for (unsigned i = 0; i < p->nframes; i++) {
        uint64_t f = p->frame[i].gpa;
        /* Overlap without a sum that could wrap: the frame ends after gpa, and starts before the
         * range ends (or before gpa, which is then inside the frame). */
        if (p->frame[i].n && f + PAGE > gpa && (f < gpa || f - gpa < len)) {
            return true;
        }
    }
    return false;
}

enum tpatch_add_result tpatch_add(struct tpatch *p,
                                  uint8_t *mem,
                                  uint64_t frame_gpa,
                                  unsigned off,
                                  uint64_t va,
                                  uint32_t insn)
{
    if ((off & 1) || off > PAGE - 4 || (frame_gpa & (PAGE - 1)) || get32(mem + off) != insn) {
        return TPATCH_REFUSED;
    }
    int f = frame_index(p, frame_gpa);
    if (f < 0) {
        /* A frame without live patches and not given up may give its record to a new one. */
        for (unsigned i = 0; f < 0 && i < p->nframes; i++) {
            if (!p->frame[i].n && p->frame[i].undos < TPATCH_MAX_UNDO) {
                f = (int)i;
            }
        }
        if (f < 0 && p->nframes == TPATCH_FRAMES) {
            return TPATCH_REFUSED;
        }
        if (f < 0) {
            f = (int)p->nframes++;
        }
        p->frame[f] = (struct tpatch_frame){ frame_gpa, 0, 0, TPATCH_NONE };
    }
    struct tpatch_frame *fr = &p->frame[f];
    if (fr->undos >= TPATCH_MAX_UNDO) {
        return TPATCH_REFUSED;
    }
    unsigned s = p->free;
    if (s == TPATCH_NONE) {
        return TPATCH_REFUSED;
    }
    p->free = p->slot[s].next;
    p->slot[s] = (struct tpatch_slot){ va, insn, (uint16_t)off, (uint8_t)f, 1, fr->head };
    fr->head = (uint16_t)s;
    put32(mem + off, tpatch_insn(s));
    p->patched++;
    if (fr->n++) {
        return TPATCH_ADDED;
    }
    p->live_frames++;
    p->lo = frame_gpa < p->lo ? frame_gpa : p->lo;
    p->hi = frame_gpa + PAGE > p->hi ? frame_gpa + PAGE : p->hi;
    return TPATCH_NEW_FRAME;
}

/* Undoes the patches of the frames in mask (bit i: frame[i]), visiting only their own slots (an
 * exit that undoes must stay short). base is the host view of base_gpa, and of every frame in
 * mask at the same distance. */
static void undo_frames(struct tpatch *p, uint32_t mask, uint8_t *base, uint64_t base_gpa)
{
    for (unsigned i = 0; i < p->nframes; i++) {
        struct tpatch_frame *fr = &p->frame[i];
        if (!((mask >> i) & 1) || !fr->n) {
            continue;
        }
        for (unsigned s = fr->head; s != TPATCH_NONE;) {
            struct tpatch_slot *e = &p->slot[s];
            unsigned next = e->next;
            uint8_t *m = base + (fr->gpa - base_gpa) + e->off;
            if (get32(m) == tpatch_insn(s)) {
                put32(m, e->orig);
            }
            e->live = 0;
            e->next = p->free;
            p->free = (uint16_t)s;
            s = next;
        }
        fr->head = TPATCH_NONE;
        fr->n = 0;
        fr->undos++;
        p->live_frames--;
        p->undone++;
    }
    p->lo = ~0ull;
    p->hi = 0;
    for (unsigned i = 0; i < p->nframes; i++) {
        if (p->frame[i].n) {
            p->lo = p->frame[i].gpa < p->lo ? p->frame[i].gpa : p->lo;
            p->hi = p->frame[i].gpa + PAGE > p->hi ? p->frame[i].gpa + PAGE : p->hi;
        }
    }
}

void tpatch_undo_frame(struct tpatch *p, uint8_t *mem, uint64_t frame_gpa)
{
    int f = frame_index(p, frame_gpa);

    if (f >= 0 && p->frame[f].n) {
        undo_frames(p, 1u << f, mem, frame_gpa & ~(PAGE - 1));
    }
}

void tpatch_undo_range(struct tpatch *p, uint8_t *ram, uint64_t ram_gpa, uint64_t gpa, uint64_t len)
{
    uint32_t mask = 0;

    for (unsigned i = 0; i < p->nframes; i++) {
        uint64_t f = p->frame[i].gpa;
        if (p->frame[i].n && f + PAGE > gpa && (f < gpa || f - gpa < len)) {
            mask |= 1u << i;
        }
    }
    undo_frames(p, mask, ram, ram_gpa);
}

void tpatch_fixup(const struct tpatch *p, uint64_t gpa, uint8_t *buf, unsigned len)
{
    if (!tpatch_any_in(p, gpa, len)) {
        return;
    }
    for (unsigned f = 0; f < p->nframes; f++) {
        const struct tpatch_frame *fr = &p->frame[f];
        if (!fr->n || fr->gpa + PAGE <= gpa || (fr->gpa >= gpa && fr->gpa - gpa >= len)) {
            continue;
        }
        for (unsigned s = fr->head; s != TPATCH_NONE; s = p->slot[s].next) {
            const struct tpatch_slot *e = &p->slot[s];
            uint64_t at = fr->gpa + e->off;
            uint32_t patch = tpatch_insn(s);
            /* Byte by byte, and only where the patch is what memory holds. */
            for (unsigned i = 0; i < 4; i++) {
                if (at + i >= gpa && at + i - gpa < len &&
                    buf[at + i - gpa] == (uint8_t)(patch >> (8 * i))) {
                    buf[at + i - gpa] = (uint8_t)(e->orig >> (8 * i));
                }
            }
        }
    }
}
