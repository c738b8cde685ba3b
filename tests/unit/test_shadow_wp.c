// SPDX-License-Identifier: MIT
// Shadow page tables: the per-VM record of guest table frames (struct shadow_vm) that every tree of
// the VM keeps write-protected, the writable bitmap, the drops it forces, and the page a table
// write names. Two vCPUs share one record, as in the trap engine.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "shadow_guest.h"

#define NFRAMES (RAM_SIZE / PAGE)
#define NCPU 2

static uint64_t *frames;    /* per vCPU: 3 roots, then the pool */
static struct shadow sh[NCPU];
static struct shadow_vm vm;
static uint64_t bitmap[NFRAMES / 64 + 1]; /* the last word is a guard shadow_vm_* must not touch */
static unsigned drop_vm_calls;

/* What the engine does (tengine.c, drop_vm_shadows): every tree of every vCPU, then the record. */
static void ops_drop_vm(void *ctx);
static const struct shadow_ops ops = GUEST_OPS(ops_drop_vm);

static void ops_drop_vm(void *ctx)
{
    (void)ctx;
    for (unsigned c = 0; c < NCPU; c++) {
        shadow_drop_all(&sh[c], &ops);
    }
    shadow_vm_reset(&vm);
    drop_vm_calls++;
}

static void setup(uint64_t offset)
{
    fresh_memory(&frames, NCPU * (SHADOW_VIEWS + NPOOL));
    memset(bitmap, 0xa5, sizeof(bitmap)); /* init must clear what it owns, and only that */
    shadow_vm_init(&vm, bitmap, wmap_room, GBASE, NFRAMES);
    drop_vm_calls = 0;
    off = offset;
    next_table = GBASE;
    memset(&env, 0, sizeof(env));
    env.offset = offset;
    env.root = gtable() + offset;
    for (unsigned c = 0; c < NCPU; c++) {
        uint64_t base = (uint64_t)(uintptr_t)frames + c * (SHADOW_VIEWS + NPOOL) * PAGE;
        const uint64_t roots[SHADOW_VIEWS] = { base, base + PAGE, base + 2 * PAGE };
        shadow_init(&sh[c], &ops, roots, base + SHADOW_VIEWS * PAGE, NPOOL, RESERVED_PTE, &vm);
    }
}

static uint64_t out_gpa;
static unsigned sh_level;

static enum shadow_result fill(unsigned cpu, enum shadow_view view, uint64_t va,
                               enum shadow_access acc)
{
    return shadow_fill(&sh[cpu], &ops, &env, view, va, acc, &out_gpa);
}

/* The hardware's view of a vCPU's tree: the leaf for va (0 if none); its level in sh_level. */
static uint64_t sh_leaf(unsigned cpu, enum shadow_view view, uint64_t va)
{
    return tree_leaf(sh[cpu].root[view], va, &sh_level);
}

/* The frame's bit in the writable bitmap. */
static bool wbit(uint64_t gpa)
{
    uint64_t f = (gpa - GBASE) / PAGE;
    return (bitmap[f / 64] >> (f % 64)) & 1;
}

static unsigned wbits(void)
{
    unsigned n = 0;
    for (uint64_t f = 0; f < NFRAMES; f++) {
        n += wbit(GBASE + f * PAGE);
    }
    return n;
}

/* The record holds the frame at gpa, at level, first reached through va. */
static void expect_wp(uint64_t gpa, unsigned level, uint64_t va)
{
    const struct shadow_wp *w = shadow_wp_find(&vm, gpa);
    CHECK(w != NULL);
    if (w) {
        CHECK_EQ(w->gpa, gpa);
        CHECK_EQ(w->level, level);
        CHECK_EQ(w->va, va);
    }
}

/* shadow_table_written's answer for a store at gpa: the start of the span to drop (its level in
 * written_level), or ~0 for "everything". */
static unsigned written_level;
static uint64_t written(uint64_t gpa)
{
    uint64_t va = 0x5a5a;
    written_level = 7;
    return shadow_table_written(&vm, gpa, &va, &written_level) ? va : ~0ull;
}

#define OK SHADOW_OK
#define TW SHADOW_TABLE_WRITE
#define KER SHADOW_KERNEL
#define KSUM SHADOW_KERNEL_SUM
#define USR SHADOW_USER
#define LD SHADOW_LOAD
#define ST SHADOW_STORE

TEST(init_and_reset_clear_only_what_they_own)
{
    uint64_t words[4];
    memset(words, 0xff, sizeof(words));
    struct shadow_vm v;
    v.table_writes = 7;
    shadow_vm_init(&v, words, wmap_room, 0x1000, 100); /* 100 frames: two words */
    CHECK_EQ(v.nwp, 0);
    CHECK_EQ(v.table_writes, 0);
    CHECK_EQ(v.ram_base, 0x1000);
    CHECK_EQ(v.nframes, 100);
    CHECK(v.writable == words);
    CHECK_EQ(words[0] | words[1], 0);
    CHECK_EQ(words[2] & words[3], ~0ull);
    CHECK(shadow_wp_find(&v, 0x1000) == NULL);
    setup(0);
    CHECK_EQ(bitmap[NFRAMES / 64], 0xa5a5a5a5a5a5a5a5ull); /* the guard */
    CHECK_EQ(wbits(), 0);
    /* reset forgets frames and bits, keeps the counter and the geometry. */
    gmap(0x1000, 0, pte(DATA, V | R | W | A | D));
    CHECK_EQ(fill(0, KER, 0x1000, ST), OK);
    CHECK_EQ(written(env.root), 0);
    CHECK(vm.nwp > 0 && wbits() > 0);
    shadow_vm_reset(&vm);
    CHECK_EQ(vm.nwp, 0);
    CHECK_EQ(wbits(), 0);
    CHECK(shadow_wp_find(&vm, env.root) == NULL);
    CHECK_EQ(vm.table_writes, 1);
    CHECK_EQ(vm.nframes, NFRAMES);
    CHECK_EQ(bitmap[NFRAMES / 64], 0xa5a5a5a5a5a5a5a5ull);
}

TEST(a_walk_records_every_table_it_passes)
{
    for (uint64_t o = 0; o <= (1ull << 32); o += 1ull << 32) { /* plain, then machine addresses */
        setup(o);
        gmap(0x40201000, 0, pte(DATA, V | R | A));
        uint64_t root = env.root - off;
        uint64_t l1 = gtable_of(0x40201000, 1), l0 = gtable_of(0x40201000, 0);
        CHECK_EQ(fill(0, KER, 0x40201234, LD), OK);
        CHECK_EQ(vm.nwp, 3);
        expect_wp(root, 2, 0); /* guest physical addresses, whatever the tables name */
        expect_wp(l1, 1, 0x40000000);
        expect_wp(l0, 0, 0x40200000);
        CHECK(shadow_wp_find(&vm, l0 + 0xff8) == shadow_wp_find(&vm, l0)); /* any byte of it */
        CHECK(shadow_wp_find(&vm, l0 + PAGE) == NULL);
        CHECK(shadow_wp_find(&vm, DATA) == NULL); /* the data page is no table */
        /* More walks through the same tables, from any view or vCPU, add nothing. */
        gmap(0x403ff000, 0, pte(DATA, V | R | U | A));
        env.sum = true;
        CHECK_EQ(fill(1, USR, 0x403ff000, LD) | fill(0, KSUM, 0x403ff000, LD), OK);
        CHECK_EQ(vm.nwp, 3);
        expect_wp(l0, 0, 0x40200000);
        /* A 2 MiB guest leaf: the root and the level-1 table only. */
        gmap(0x80400000, 1, pte(DATA, V | R | A));
        CHECK_EQ(fill(0, KER, 0x80400000, LD), OK);
        CHECK_EQ(vm.nwp, 4);
        expect_wp(gtable_of(0x80400000, 1), 1, 0x80000000);
        /* The upper half: bases keep the sign extension. */
        gmap(0xffffffc000603000ull, 0, pte(DATA, V | R | A));
        CHECK_EQ(fill(1, KER, 0xffffffc000603000ull, LD), OK);
        CHECK_EQ(vm.nwp, 6);
        expect_wp(gtable_of(0xffffffc000603000ull, 1), 1, 0xffffffc000000000ull);
        expect_wp(gtable_of(0xffffffc000603000ull, 0), 0, 0xffffffc000600000ull);
        CHECK_EQ(drop_vm_calls, 0);
    }
}

TEST(a_failed_walk_records_nothing)
{
    setup(0);
    gmap(0x1000, 0, pte(DATA, V | R | A));
    CHECK_EQ(fill(0, KER, 0x2000, LD), SHADOW_PAGE_FAULT); /* empty entry in the last table */
    CHECK_EQ(fill(0, USR, 0x1000, LD), SHADOW_PAGE_FAULT); /* refused by the view */
    CHECK_EQ(vm.nwp, 0);
}

TEST(stores_to_a_table_are_table_writes)
{
    setup(0);
    gmap(0x1000, 0, pte(DATA, V | R | W | A | D));
    uint64_t root = env.root, l0 = gtable_of(0x1000, 0);
    /* The guest maps its own last-level table, and its root, writable. */
    gmap(0x2000, 0, pte(l0, V | R | W | A | D));
    uint64_t *re = gmap(0x3000, 0, pte(root, V | R | W | A));
    CHECK_EQ(fill(0, KER, 0x2010, ST), TW);
    CHECK_EQ(out_gpa, l0 + 0x10);
    CHECK_EQ(sh_leaf(0, KER, 0x2000), 0); /* nothing mapped: the hypervisor carries it out */
    CHECK_EQ(fill(1, KER, 0x3ff8, ST), TW);
    CHECK_EQ(out_gpa, root + 0xff8);
    CHECK_EQ(*re & D, D); /* the guest's leaf is updated as for any store */
    /* A load maps the table read-only, though the guest's leaf is writable and dirty. */
    CHECK_EQ(fill(0, KER, 0x2010, LD), OK);
    CHECK_EQ(sh_leaf(0, KER, 0x2000) & RWX, R);
    CHECK_EQ(fill(1, KER, 0x3000, LD), OK);
    CHECK_EQ(sh_leaf(1, KER, 0x3000) & RWX, R);
    CHECK(!wbit(l0) && !wbit(root));
    /* Data stays writable. */
    CHECK_EQ(fill(0, KER, 0x1000, ST), OK);
    CHECK_EQ(sh_leaf(0, KER, 0x1000) & RWX, R | W);
    CHECK(wbit(DATA));
    /* A table first reached by one vCPU is protected from the other. */
    gmap(0x40000000, 0, pte(DATA + PAGE, V | R | U | A));
    uint64_t ul0 = gtable_of(0x40000000, 0);
    gmap(0x4000, 0, pte(ul0, V | R | W | A | D));
    CHECK_EQ(fill(1, USR, 0x40000000, LD), OK);
    CHECK_EQ(fill(0, KER, 0x4008, ST), TW);
    CHECK_EQ(out_gpa, ul0 + 8);
    CHECK_EQ(drop_vm_calls, 0);
}

TEST(no_writable_2mib_leaf_over_a_table)
{
    setup(0);
    /* The first 2 MiB of RAM holds the tables; the guest maps it, and the next 2 MiB, with 2 MiB
     * pages, writable and dirty. */
    gmap(0x40200000, 1, pte(GBASE, V | R | W | A | D));
    gmap(0x40400000, 1, pte(DATA, V | R | W | A | D));
    uint64_t l1 = gtable_of(0x40200000, 1);
    CHECK_EQ(fill(0, KER, 0x40400000, ST), OK); /* no table in it: one writable 2 MiB leaf */
    CHECK_EQ(sh_leaf(0, KER, 0x40400000) & RWX, R | W);
    CHECK_EQ(sh_level, 1);
    CHECK_EQ(fill(0, KER, 0x40300000, ST), OK); /* a data page among the tables: 4 KiB */
    CHECK_EQ(sh_leaf(0, KER, 0x40300000) & RWX, R | W);
    CHECK_EQ(sh_level, 0);
    CHECK_EQ(sh_leaf(0, KER, 0x40200000), 0);
    CHECK(wbit(GBASE + MEGA / 2) && !wbit(GBASE) && !wbit(l1));
    CHECK_EQ(fill(0, KER, 0x40200000 + (l1 - GBASE), ST), TW);
    CHECK_EQ(out_gpa, l1);
    /* A load of it maps no W, and only its 4 KiB: a 2 MiB read-only leaf over the tables would throw
     * away the writable 4 KiB entries of the data pages beside them, again and again. */
    CHECK_EQ(fill(0, KER, 0x40200000 + (l1 - GBASE) + 8, LD), OK);
    CHECK_EQ(sh_leaf(0, KER, 0x40200000 + (l1 - GBASE)) & RWX, R);
    CHECK_EQ(sh_level, 0);
    CHECK(!wbit(l1));
    CHECK_EQ(sh_leaf(0, KER, 0x40300000) & RWX, R | W); /* still there */
    /* Read-only (clean) over the tables: 4 KiB as well. */
    gmap(0x40600000, 1, pte(GBASE, V | R | W | A));
    CHECK_EQ(fill(1, KER, 0x40600000, LD), OK);
    CHECK_EQ(sh_leaf(1, KER, 0x40600000) & RWX, R);
    CHECK_EQ(sh_level, 0);
    CHECK_EQ(drop_vm_calls, 0);
}

TEST(writable_mappings_set_their_bits)
{
    setup(0);
    gmap(0x1000, 0, pte(DATA + 0x5000, V | R | W | A | D));
    gmap(0x2000, 0, pte(DATA + 0x6000, V | R | W | A)); /* clean: no W until the first store */
    gmap(0x3000, 0, pte(DATA + 0x7000, V | R | A));
    gmap(0x4000, 0, pte(DATA + 0x8000, V | R | W | U | A | D));
    CHECK_EQ(fill(0, KER, 0x1000, LD) | fill(0, KER, 0x2000, LD) | fill(0, KER, 0x3000, LD), OK);
    CHECK_EQ(fill(0, USR, 0x4000, ST), OK);
    CHECK_EQ(fill(0, KER, 0x4000, LD), SHADOW_PAGE_FAULT); /* a U page, SUM clear */
    CHECK_EQ(wbits(), 2);
    CHECK(wbit(DATA + 0x5000) && wbit(DATA + 0x8000));
    CHECK_EQ(fill(1, KER, 0x2000, ST), OK);
    CHECK_EQ(wbits(), 3);
    CHECK(wbit(DATA + 0x6000));
    /* A writable 2 MiB leaf: every frame of it. */
    gmap(0x40200000, 1, pte(DATA + 2 * MEGA, V | R | W | A | D));
    CHECK_EQ(fill(1, KER, 0x40234000, LD), OK);
    CHECK(sh_leaf(1, KER, 0x40234000) != 0);
    CHECK_EQ(sh_level, 1);
    CHECK_EQ(wbits(), 3 + 512);
    CHECK(wbit(DATA + 2 * MEGA) && wbit(DATA + 3 * MEGA - PAGE) && !wbit(DATA + 2 * MEGA - PAGE));
    /* An offset changes nothing: bits are per guest physical frame. */
    setup(1ull << 32);
    gmap(0x1000, 0, pte(DATA + 0x5000, V | R | W | A | D));
    CHECK_EQ(fill(0, KER, 0x1000, ST), OK);
    CHECK_EQ(wbits(), 1);
    CHECK(wbit(DATA + 0x5000));
}

TEST(a_writable_frame_becoming_a_table_loses_only_its_writable_leaves)
{
    setup(0);
    /* vCPU 0 maps a data frame writable; vCPU 1 also maps something. */
    gmap(0x7000, 0, pte(DATA + 0x5000, V | R | W | A | D));
    gmap(0x8000, 0, pte(DATA, V | R | A));
    CHECK_EQ(fill(0, KER, 0x7000, ST), OK);
    CHECK_EQ(fill(1, KER, 0x8000, LD), OK);
    CHECK_EQ(vm.nwp, 3);
    CHECK(wbit(DATA + 0x5000));
    sh[0].fence = sh[1].fence = false;
    /* The guest makes that frame a last-level table for 0x40000000 and walks through it. */
    uint64_t l1 = gtable_of(0x40000000, 1);
    gptr(l1)[0] = pte(DATA + 0x5000, V);
    gptr(DATA + 0x5000)[3] = pte(DATA + 0x9000, V | R | A);
    CHECK_EQ(fill(1, KER, 0x40003000, LD), OK);
    CHECK_EQ(drop_vm_calls, 0);
    CHECK_EQ(vm.revokes, 1);
    CHECK_EQ(sh_leaf(0, KER, 0x7000), 0);      /* the writable leaf went, and vCPU 0 must fence */
    CHECK(sh[0].fence && !sh[1].fence);
    CHECK(sh_leaf(1, KER, 0x8000) != 0);       /* nothing else did */
    CHECK(sh_leaf(1, KER, 0x40003000) != 0);
    CHECK_EQ(sh[0].used, 2);
    CHECK_EQ(sh[1].used, 4);
    CHECK_EQ(vm.nwp, 5);
    expect_wp(l1, 1, 0x40000000);
    expect_wp(DATA + 0x5000, 0, 0x40000000);
    /* From now on the old writable view of the frame is a table write. */
    CHECK_EQ(fill(0, KER, 0x7018, ST), TW);
    CHECK_EQ(out_gpa, DATA + 0x5018);
    /* The same through a writable 2 MiB leaf: any frame in it becoming a table. */
    gmap(0x80200000, 1, pte(DATA + 2 * MEGA, V | R | W | A | D));
    CHECK_EQ(fill(0, KER, 0x80200000, ST), OK);
    gptr(gtable_of(0xc0000000, 1))[5] = pte(DATA + 2 * MEGA + 0x7000, V); /* 0xc0a00000 */
    gptr(DATA + 2 * MEGA + 0x7000)[0] = pte(DATA, V | R | A);
    CHECK_EQ(fill(1, KER, 0xc0a00000, LD), OK);
    CHECK_EQ(drop_vm_calls, 0);
    CHECK_EQ(sh_leaf(0, KER, 0x80200000), 0);
    expect_wp(DATA + 2 * MEGA + 0x7000, 0, 0xc0a00000);
    /* Refilled, the 2 MiB are pages now (a table lies in them): writable but that frame. */
    CHECK_EQ(fill(0, KER, 0x80200000, ST), OK);
    CHECK(sh_leaf(0, KER, 0x80200000) != 0 && sh_level == 0);
    CHECK_EQ(fill(0, KER, 0x80207000, ST), TW);
}

TEST(an_unrecorded_writable_leaf_drops_the_vm)
{
    setup(0);
    gmap(0x7000, 0, pte(DATA + 0x5000, V | R | W | A | D));
    CHECK_EQ(fill(0, KER, 0x7000, ST), OK);
    vm.wmap_lost = true; /* as after a vCPU reset, or a full record */
    uint64_t l1 = gtable_of(0x40000000, 1);
    gptr(l1)[0] = pte(DATA + 0x5000, V);
    gptr(DATA + 0x5000)[3] = pte(DATA + 0x9000, V | R | A);
    CHECK_EQ(fill(1, KER, 0x40003000, LD), OK);
    CHECK_EQ(drop_vm_calls, 1);
    CHECK_EQ(sh_leaf(0, KER, 0x7000), 0);
    CHECK(!vm.wmap_lost); /* the drop started the record afresh */
    CHECK_EQ(wbits(), 0);
}

TEST(stale_records_make_room)
{
    setup(0);
    /* More writable leaves than the record holds, each dropped before the next: never lost. */
    for (unsigned i = 0; i < SHADOW_WMAP_MAX + 8; i++) {
        uint64_t va = 0x100000 + (uint64_t)(i % 256) * PAGE;
        gmap(va, 0, pte(DATA + (i % 256) * PAGE, V | R | W | A | D));
        CHECK_EQ(fill(0, KER, va, ST), OK);
        shadow_drop_va(&sh[0], &ops, va);
    }
    CHECK(!vm.wmap_lost);
}

TEST(a_full_record_drops_the_vm)
{
    setup(0);
    /* Root, one level-1 table and 126 last-level tables fill the record exactly. */
    unsigned n = SHADOW_WP_MAX - 2;
    for (unsigned i = 0; i <= n; i++) {
        gmap(i * MEGA + 0x1000, 0, pte(DATA, V | R | A));
    }
    for (unsigned i = 0; i < n; i++) {
        CHECK_EQ(fill(i % NCPU, KER, i * MEGA + 0x1000, LD), OK);
    }
    CHECK_EQ(vm.nwp, SHADOW_WP_MAX);
    CHECK_EQ(drop_vm_calls, 0);
    CHECK(sh_leaf((n - 1) % NCPU, KER, (n - 1) * MEGA + 0x1000) != 0);
    /* One more table: start over with just this path. */
    CHECK_EQ(fill(0, KER, n * MEGA + 0x1000, LD), OK);
    CHECK_EQ(drop_vm_calls, 1);
    CHECK_EQ(vm.nwp, 3);
    expect_wp(env.root, 2, 0);
    expect_wp(gtable_of(0, 1), 1, 0);
    expect_wp(gtable_of(n * MEGA, 0), 0, n * MEGA);
    CHECK(shadow_wp_find(&vm, gtable_of(0, 0)) == NULL);
    CHECK_EQ(sh_leaf((n - 1) % NCPU, KER, (n - 1) * MEGA + 0x1000), 0);
    CHECK(sh_leaf(0, KER, n * MEGA + 0x1000) != 0);
    /* Full again: a walk through tables already recorded needs no room. */
    for (unsigned i = 0; i < n - 1; i++) {
        CHECK_EQ(fill(1, KER, i * MEGA + 0x1000, LD), OK);
    }
    CHECK_EQ(vm.nwp, SHADOW_WP_MAX);
    CHECK_EQ(fill(0, KER, n * MEGA + 0x1000, LD), OK);
    CHECK_EQ(drop_vm_calls, 1);
}

TEST(table_written_names_the_span_of_the_entry)
{
    setup(0);
    gmap(0x40201000, 0, pte(DATA, V | R | A));
    gmap(0xffffffc000603000ull, 0, pte(DATA, V | R | A));
    CHECK_EQ(fill(0, KER, 0x40201000, LD) | fill(1, KER, 0xffffffc000603000ull, LD), OK);
    uint64_t l0 = gtable_of(0x40201000, 0), hl0 = gtable_of(0xffffffc000603000ull, 0);
    CHECK_EQ(written(l0), 0x40200000);
    CHECK_EQ(written(l0 + 0x10), 0x40202000);
    CHECK_EQ(written(l0 + 0x13), 0x40202000); /* a byte store inside entry 2 */
    CHECK_EQ(written(l0 + 0xff8), 0x40200000 + 511 * PAGE);
    CHECK_EQ(written(hl0 + 0x18), 0xffffffc000603000ull);
    CHECK_EQ(written_level, 0);
    /* Pointers: the 2 MiB or 1 GiB their entry translates; a root's upper half sign-extends. */
    CHECK_EQ(written(env.root), 0);
    CHECK_EQ(written_level, 2);
    CHECK_EQ(written(env.root + 8 * vpn(0x40201000, 2)), 0x40000000);
    CHECK_EQ(written(env.root + 8 * 300), 0xffffffcb00000000ull);
    CHECK_EQ(written(gtable_of(0x40201000, 1) + 8), 0x40200000);
    CHECK_EQ(written_level, 1);
    CHECK_EQ(written(gtable_of(0xffffffc000603000ull, 1) + 8 * 511), 0xffffffc03fe00000ull);
    CHECK_EQ(written(DATA), ~0ull); /* not in the record (the caller should not ask) */
    CHECK_EQ(vm.table_writes, 11);
}

/* One last-level table reached through two 2 MiB ranges (the guest links it twice): the page of an
 * entry is not one address, so a write to it drops everything. */
TEST(a_table_reached_from_two_ranges_is_aliased)
{
    setup(0);
    gmap(0x201000, 0, pte(DATA, V | R | A));
    uint64_t l0 = gtable_of(0x201000, 0);
    gptr(gtable_of(0x201000, 1))[2] = pte(l0, V); /* 0x400000 too */
    CHECK_EQ(fill(0, KER, 0x201000, LD), OK);
    CHECK_EQ(fill(0, KER, 0x201000, LD), OK); /* again through the same range: still one */
    CHECK_EQ(written(l0 + 8), 0x201000);
    CHECK_EQ(fill(1, KER, 0x401000, LD), OK);
    CHECK_EQ(vm.nwp, 3);
    CHECK_EQ(written(l0 + 8), ~0ull);
    CHECK_EQ(fill(0, KER, 0x201000, LD), OK); /* aliased stays aliased */
    CHECK_EQ(written(l0 + 8), ~0ull);
    /* Until the record starts over. */
    shadow_vm_reset(&vm);
    CHECK_EQ(fill(1, KER, 0x401000, LD), OK);
    CHECK_EQ(written(l0 + 8), 0x401000);
    /* One frame at two levels over the same range (a table linked to itself, from a second root):
     * the level differs, the base does not. */
    setup(0);
    gmap(0x1000, 0, pte(DATA, V | R | A)); /* root A -> L1 -> T, T[1] a leaf */
    uint64_t t = gtable_of(0x1000, 0);
    CHECK_EQ(fill(0, KER, 0x1000, LD), OK);
    expect_wp(t, 0, 0);
    uint64_t root_b = gtable();
    gptr(root_b)[0] = pte(t, V); /* root B -> T as L1 -> T[0] -> T as L0 -> T[1] */
    gptr(t)[0] = pte(t, V);
    env.root = root_b + off;
    CHECK_EQ(fill(1, KER, 0x1000, LD), OK);
    CHECK_EQ(out_gpa, DATA);
    CHECK_EQ(written(t + 8), ~0ull);
    /* A level-1 table linked from two root slots: recorded once (a write to it drops all). */
    setup(0);
    gmap(0x1000, 0, pte(DATA, V | R | A));
    uint64_t l1 = gtable_of(0x1000, 1);
    gptr(env.root)[1] = pte(l1, V);
    CHECK_EQ(fill(0, KER, 0x1000, LD) | fill(0, KER, GIGA + 0x1000, LD), OK);
    CHECK_EQ(vm.nwp, 3);
    CHECK_EQ(written(l1), ~0ull);
    CHECK_EQ(drop_vm_calls, 0);
}

TEST(bare_mode_records_nothing)
{
    setup(0);
    env.bare = true;
    CHECK_EQ(fill(0, KER, GBASE + 0x123, LD), OK);
    CHECK_EQ(fill(1, USR, DATA + 0x10, ST), OK);
    CHECK_EQ(vm.nwp, 0);
    CHECK_EQ(drop_vm_calls, 0);
    /* Its writable 2 MiB leaves are remembered, so a frame in them that becomes a table drops
     * them once the guest turns translation on. */
    CHECK_EQ(wbits(), 2 * 512);
    CHECK(wbit(GBASE) && wbit(DATA + MEGA - PAGE));
    env.bare = false;
    gmap(0x1000, 0, pte(DATA, V | R | A));
    CHECK_EQ(fill(0, KER, 0x1000, LD), OK);
    CHECK_EQ(drop_vm_calls, 0); /* the tables' 2 MiB lost their writable leaf, no more */
    CHECK_EQ(sh_leaf(0, KER, GBASE + 0x123), 0);
    CHECK(sh_leaf(1, USR, DATA) != 0);
    CHECK_EQ(vm.nwp, 3);
    /* A recorded table is still no writable target in Bare mode. */
    env.bare = true;
    CHECK_EQ(fill(0, KER, env.root, ST), TW);
    CHECK_EQ(out_gpa, env.root);
}

TEST(a_full_fence_drops_the_lower_half_and_forgets_its_tables)
{
    setup(0);
    uint64_t user = 0x40201000, kern = 0xffffffc000603000ull, alias = 0xffffffc000605000ull;
    gmap(user, 0, pte(DATA, V | R | W | U | A | D));
    gmap(kern, 0, pte(DATA + PAGE, V | R | A));
    uint64_t ul0 = gtable_of(user, 0), kl0 = gtable_of(kern, 0);
    /* The kernel maps its own table frames writable, as Linux's linear map does. */
    gmap(alias, 0, pte(kl0, V | R | W | A | D));
    gmap(alias + PAGE, 0, pte(ul0, V | R | W | A | D));
    CHECK_EQ(fill(0, USR, user, LD), OK);
    CHECK_EQ(fill(0, KER, kern, LD), OK);
    CHECK_EQ(vm.nwp, 5); /* the root, two tables for each half */
    shadow_drop_lower(&sh[0], &ops, 0, 0);
    CHECK_EQ(sh_leaf(0, USR, user), 0);
    CHECK(sh_leaf(0, KER, kern) != 0);
    CHECK(sh[0].fence);
    CHECK(!shadow_has_lower(&sh[0]));
    /* Another vCPU still translates the lower half: nothing is forgotten yet (tmem.c asks). */
    CHECK_EQ(fill(1, USR, user, LD), OK);
    CHECK(shadow_has_lower(&sh[1]));
    shadow_drop_lower(&sh[1], &ops, 0, 0);
    shadow_vm_forget_lower(&vm);
    CHECK_EQ(vm.nwp, 3);
    expect_wp(env.root - off, 2, 0); /* a root serves both halves */
    expect_wp(kl0, 0, 0xffffffc000600000ull);
    CHECK(shadow_wp_find(&vm, ul0) == NULL);
    /* The kept upper half cannot go stale: its tables are still protected, their stores still
     * the hypervisor's; the lower half's old table is plain memory again. */
    CHECK_EQ(fill(0, KER, alias, ST), TW);
    CHECK_EQ(fill(0, KER, alias + PAGE, ST), OK);
    CHECK_EQ(drop_vm_calls, 0);
}
