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
    for (unsigned i = 0; i < TPATCH_HASH; i++) {
        p->hash[i] = 0;
    }
    p->nmegas = 0;
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

#define MEGA (2ull << 20)

static unsigned hash_of(uint64_t gpa)
{
    return (unsigned)(((gpa >> 12) * 0x9e3779b1u) >> 7) & (TPATCH_HASH - 1);
}

static int frame_index(const struct tpatch *p, uint64_t gpa)
{
    uint64_t f = gpa & ~(PAGE - 1);

    /* Never full (TPATCH_HASH > TPATCH_FRAMES): a probe ends at an empty entry. */
    for (unsigned h = hash_of(f);; h = (h + 1) & (TPATCH_HASH - 1)) {
        if (!p->hash[h]) {
            return -1;
        }
        if (p->frame[p->hash[h] - 1].gpa == f) {
            return p->hash[h] - 1;
        }
    }
}

static int mega_index(const struct tpatch *p, uint64_t gpa)
{
    for (unsigned i = 0; i < p->nmegas; i++) {
        if (p->mega[i].gpa == (gpa & ~(MEGA - 1))) {
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

static bool overlaps(uint64_t f, uint64_t size, uint64_t gpa, uint64_t len)
{
    /* Without a sum that could wrap: [f, f + size) ends after gpa, and starts before the range
     * ends (or before gpa, which is then inside it). */
    return f + size > gpa && (f < gpa || f - gpa < len);
}

bool tpatch_any_in(const struct tpatch *p, uint64_t gpa, uint64_t len)
{
    if (!len || gpa >= p->hi || (p->lo >= gpa && p->lo - gpa >= len)) {
        return false;
    }
    /* Whole 2 MiB regions (a superpage the shadow would map) from their counts; anything else
     * frame by frame, through the index when that is shorter than the list. */
    bool whole = true;
    for (unsigned i = 0; i < p->nmegas; i++) {
        uint64_t m = p->mega[i].gpa;
        if (!p->mega[i].live || !overlaps(m, MEGA, gpa, len)) {
            continue;
        }
        if (len >= MEGA && m >= gpa && m - gpa <= len - MEGA) {
            return true;
        }
        whole = false;
    }
    if (whole) {
        return false;
    }
    uint64_t first = gpa & ~(PAGE - 1);
    if (len <= 8 * PAGE) {
        for (uint64_t f = first; overlaps(f, PAGE, gpa, len) && f >= first; f += PAGE) {
            if (tpatch_frame_patched(p, f)) {
                return true;
            }
        }
        return false;
    }
    for (unsigned i = 0; i < p->nframes; i++) {
        if (p->frame[i].n && overlaps(p->frame[i].gpa, PAGE, gpa, len)) {
            return true;
        }
    }
    return false;
}

/* A record for the frame at f, made when new; -1 when the tables are full. */
static int frame_record(struct tpatch *p, uint64_t f)
{
    int i = frame_index(p, f);

    if (i >= 0) {
        return i;
    }
    if (p->nframes == TPATCH_FRAMES || (mega_index(p, f) < 0 && p->nmegas == TPATCH_MEGAS)) {
        return -1;
    }
    if (mega_index(p, f) < 0) {
        p->mega[p->nmegas].gpa = f & ~(MEGA - 1);
        p->mega[p->nmegas++].live = 0;
    }
    i = (int)p->nframes++;
    p->frame[i] = (struct tpatch_frame){ f, 0, 0, TPATCH_NONE };
    unsigned h = hash_of(f);
    while (p->hash[h]) {
        h = (h + 1) & (TPATCH_HASH - 1);
    }
    p->hash[h] = (uint16_t)(i + 1);
    return i;
}

static void bounds(struct tpatch *p)
{
    p->lo = ~0ull;
    p->hi = 0;
    for (unsigned i = 0; i < p->nmegas; i++) {
        if (p->mega[i].live) {
            p->lo = p->mega[i].gpa < p->lo ? p->mega[i].gpa : p->lo;
            p->hi = p->mega[i].gpa + MEGA > p->hi ? p->mega[i].gpa + MEGA : p->hi;
        }
    }
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
    int f = p->free == TPATCH_NONE ? -1 : frame_record(p, frame_gpa);
    if (f < 0 || p->frame[f].undos >= TPATCH_MAX_UNDO) {
        return TPATCH_REFUSED;
    }
    struct tpatch_frame *fr = &p->frame[f];
    unsigned s = p->free;
    p->free = p->slot[s].next;
    p->slot[s] = (struct tpatch_slot){ va, insn, (uint16_t)off, 1, 0, (uint16_t)f, fr->head };
    fr->head = (uint16_t)s;
    put32(mem + off, tpatch_insn(s));
    p->patched++;
    if (fr->n++) {
        return TPATCH_ADDED;
    }
    p->live_frames++;
    p->mega[mega_index(p, frame_gpa)].live++;
    bounds(p);
    return TPATCH_NEW_FRAME;
}

/* Undoes the patches of frame i, visiting only its own slots (an exit that undoes must stay
 * short). mem is the host view of the frame. */
static void undo_one(struct tpatch *p, unsigned i, uint8_t *mem)
{
    struct tpatch_frame *fr = &p->frame[i];

    for (unsigned s = fr->head; s != TPATCH_NONE;) {
        struct tpatch_slot *e = &p->slot[s];
        unsigned next = e->next;
        if (get32(mem + e->off) == tpatch_insn(s)) {
            put32(mem + e->off, e->orig);
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
    p->mega[mega_index(p, fr->gpa)].live--;
    p->undone++;
}

void tpatch_undo_frame(struct tpatch *p, uint8_t *mem, uint64_t frame_gpa)
{
    int f = frame_index(p, frame_gpa);

    if (f >= 0 && p->frame[f].n) {
        undo_one(p, (unsigned)f, mem);
        bounds(p);
    }
}

void tpatch_undo_range(struct tpatch *p, uint8_t *ram, uint64_t ram_gpa, uint64_t gpa, uint64_t len)
{
    if (!tpatch_any_in(p, gpa, len)) {
        return;
    }
    for (unsigned i = 0; i < p->nframes; i++) {
        if (p->frame[i].n && overlaps(p->frame[i].gpa, PAGE, gpa, len)) {
            undo_one(p, i, ram + (p->frame[i].gpa - ram_gpa));
        }
    }
    bounds(p);
}

void tpatch_fixup(const struct tpatch *p, uint64_t gpa, uint8_t *buf, unsigned len)
{
    if (!tpatch_any_in(p, gpa, len)) {
        return;
    }
    /* A read of a few bytes (an instruction) meets at most two frames. */
    uint64_t first = gpa & ~(PAGE - 1);
    for (uint64_t f = first; f >= first && overlaps(f, PAGE, gpa, len); f += PAGE) {
        int i = frame_index(p, f);
        if (i < 0 || !p->frame[i].n) {
            continue;
        }
        for (unsigned s = p->frame[i].head; s != TPATCH_NONE; s = p->slot[s].next) {
            const struct tpatch_slot *e = &p->slot[s];
            uint64_t at = f + e->off;
            uint32_t patch = tpatch_insn(s);
            /* Byte by byte, and only where the patch is what memory holds. */
            for (unsigned b = 0; b < 4; b++) {
                if (at + b >= gpa && at + b - gpa < len &&
                    buf[at + b - gpa] == (uint8_t)(patch >> (8 * b))) {
                    buf[at + b - gpa] = (uint8_t)(e->orig >> (8 * b));
                }
            }
        }
    }
}
