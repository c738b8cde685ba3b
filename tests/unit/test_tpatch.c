// SPDX-License-Identifier: MIT
// Patched privileged instructions (arch/tpatch.h): the patch encoding, the slot table, undoing a
// frame, and a guest kernel that reads its own patched text through the shadow trees and sees its
// original instructions.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <arch/tpatch.h>

#include "check.h"
#include "shadow_guest.h"

#define NFRAMES (RAM_SIZE / PAGE)
#define KTEXT 0xffffffff80000000ull  /* the kernel's text mapping: 4 KiB leaves, R and X */
#define LINEAR 0xffffffd800000000ull /* its linear map: one 2 MiB leaf, R and W */
#define TEXT (DATA + 4 * PAGE)       /* the text frame, inside the linear map's 2 MiB */
#define CSRRW_SSCRATCH 0x14001073u   /* csrrw x0, sscratch, x0 */
#define CSRR_SEPC 0x141025f3u        /* csrr a1, sepc */
#define SRET 0x10200073u

static uint64_t *frames;
static struct shadow sh;
static struct shadow_vm vm;
static uint64_t bitmap[NFRAMES / 64 + 1];

static void ops_drop_vm(void *ctx)
{
    (void)ctx;
    shadow_drop_all(&sh, (const struct shadow_ops *)0);
}

static const struct shadow_ops ops = GUEST_OPS(ops_drop_vm);

static uint32_t rd32(uint64_t gpa)
{
    uint32_t v;
    memcpy(&v, ram + (gpa - GBASE), 4);
    return v;
}

static void wr32(uint64_t gpa, uint32_t v)
{
    memcpy(ram + (gpa - GBASE), &v, 4);
}

static uint8_t *frame_mem(uint64_t gpa)
{
    return ram + (gpa - GBASE);
}

static void setup(void)
{
    fresh_memory(&frames, SHADOW_VIEWS + NPOOL);
    shadow_vm_init(&vm, bitmap, wmap_room, GBASE, NFRAMES);
    off = 0;
    next_table = GBASE;
    memset(&env, 0, sizeof(env));
    env.root = gtable();
    uint64_t base = (uint64_t)(uintptr_t)frames;
    const uint64_t roots[SHADOW_VIEWS] = { base, base + PAGE, base + 2 * PAGE };
    shadow_init(&sh, &ops, roots, base + SHADOW_VIEWS * PAGE, NPOOL, RESERVED_PTE, &vm);
    gmap(KTEXT, 0, pte(TEXT, V | R | X | A | G));
    gmap(LINEAR, 1, pte(DATA, V | R | W | A | D | G));
    wr32(TEXT + 0x10, CSRRW_SSCRATCH);
    wr32(TEXT + 0x22, CSRR_SEPC); /* 2-aligned, as after a compressed instruction */
    wr32(TEXT + 0x40, SRET);
}

/* The hardware's leaf for va in the kernel's tree (0 if none); its level in *level. */
static uint64_t leaf(uint64_t va, unsigned *level)
{
    return tree_leaf(sh.root[SHADOW_KERNEL], va, level);
}

static enum shadow_result fill(uint64_t va, enum shadow_access acc)
{
    uint64_t gpa;
    return shadow_fill(&sh, &ops, &env, SHADOW_KERNEL, va, acc, &gpa);
}

TEST(encoding)
{
    /* As the assembler encodes them: lb zero,-2048(zero) and lb zero,-1025(zero). */
    CHECK_EQ(tpatch_insn(0), 0x80000003u);
    CHECK_EQ(tpatch_insn(TPATCH_SLOTS - 1), 0xbff00003u);
    /* Every slot's load address lies in the alias slot (VPN[2] = 511), below its top 1 KiB. */
    CHECK_EQ((TPATCH_ADDR_BASE >> 30) & 0x1ff, 511);
    CHECK(TPATCH_ADDR_BASE + TPATCH_SLOTS - 1 < 0xfffffffffffffc00ull);
}

TEST(add_hit_and_refusals)
{
    setup();
    struct tpatch *p = &vm.patch;
    uint8_t *m = frame_mem(TEXT);
    CHECK_EQ(tpatch_add(p, m, TEXT, 0x10, KTEXT + 0x10, CSRRW_SSCRATCH), TPATCH_NEW_FRAME);
    CHECK_EQ(tpatch_add(p, m, TEXT, 0x22, KTEXT + 0x22, CSRR_SEPC), TPATCH_ADDED);
    CHECK_EQ(rd32(TEXT + 0x10), tpatch_insn(0));
    CHECK_EQ(rd32(TEXT + 0x22), tpatch_insn(1));
    const struct tpatch_slot *e = tpatch_hit(p, TPATCH_ADDR_BASE + 1, KTEXT + 0x22);
    CHECK(e != NULL && e->orig == CSRR_SEPC);
    /* Another pc, another slot, an address outside the slots: not a patch. */
    CHECK(tpatch_hit(p, TPATCH_ADDR_BASE + 1, KTEXT + 0x10) == NULL);
    CHECK(tpatch_hit(p, TPATCH_ADDR_BASE + 2, KTEXT + 0x22) == NULL);
    CHECK(tpatch_hit(p, TPATCH_ADDR_BASE - 1, KTEXT + 0x10) == NULL);
    CHECK(tpatch_hit(p, TPATCH_ADDR_BASE + TPATCH_SLOTS, KTEXT + 0x10) == NULL);
    /* Bytes that are not the instruction (already patched, or changed), odd or crossing offsets. */
    CHECK_EQ(tpatch_add(p, m, TEXT, 0x10, KTEXT + 0x10, CSRRW_SSCRATCH), TPATCH_REFUSED);
    CHECK_EQ(tpatch_add(p, m, TEXT, 0x41, KTEXT + 0x41, SRET), TPATCH_REFUSED);
    CHECK_EQ(tpatch_add(p, m, TEXT, 4094, KTEXT + 4094, SRET), TPATCH_REFUSED);
    CHECK_EQ(tpatch_add(p, m, TEXT + 2, 0x40, KTEXT + 0x40, SRET), TPATCH_REFUSED);
    CHECK(tpatch_frame_patched(p, TEXT + 123));
    CHECK(!tpatch_frame_patched(p, TEXT + PAGE));
    CHECK(tpatch_any_in(p, DATA, MEGA));
    CHECK(!tpatch_any_in(p, TEXT + PAGE, MEGA));
    CHECK(tpatch_any_in(p, TEXT + PAGE - 1, 1));
    CHECK_EQ(p->patched, 2);
}

TEST(guest_reads_its_patched_text)
{
    setup();
    struct tpatch *p = &vm.patch;
    unsigned level = 9;
    /* Before patching, the kernel reads and executes its text through one readable leaf. */
    CHECK_EQ(fill(KTEXT + 0x10, SHADOW_LOAD), SHADOW_OK);
    CHECK(leaf(KTEXT, &level) & R);
    CHECK_EQ(tpatch_add(p, frame_mem(TEXT), TEXT, 0x10, KTEXT + 0x10, CSRRW_SSCRATCH),
             TPATCH_NEW_FRAME);
    /* A new patched frame: the engine drops every tree, refills are execute-only. */
    shadow_drop_all(&sh, &ops);
    CHECK_EQ(fill(KTEXT + 0x10, SHADOW_EXEC), SHADOW_OK);
    uint64_t e = leaf(KTEXT, &level);
    CHECK((e & X) && !(e & R) && !(e & W));
    /* The hypervisor reading for the guest (tv_read_insn) sees the original, byte by byte. */
    uint8_t buf[8];
    memcpy(buf, ram + (TEXT + 0xe - GBASE), 8);
    tpatch_fixup(p, TEXT + 0xe, buf, 8);
    uint32_t got;
    memcpy(&got, buf + 2, 4);
    CHECK_EQ(got, CSRRW_SSCRATCH);
    memcpy(buf, ram + (TEXT + 0x12 - GBASE), 2);
    tpatch_fixup(p, TEXT + 0x12, buf, 2);
    CHECK_EQ(buf[0] | buf[1] << 8, CSRRW_SSCRATCH >> 16);
    /* The guest's own load of its text: refused while patched, the frame's patches undone, then
     * the load is filled as any and reads the original instruction. */
    CHECK_EQ(fill(KTEXT + 0x10, SHADOW_LOAD), SHADOW_PATCHED);
    tpatch_undo_frame(p, frame_mem(TEXT), TEXT);
    CHECK_EQ(fill(KTEXT + 0x10, SHADOW_LOAD), SHADOW_OK);
    CHECK(leaf(KTEXT, &level) & R);
    CHECK_EQ(rd32(TEXT + 0x10), CSRRW_SSCRATCH);
    CHECK(tpatch_hit(p, TPATCH_ADDR_BASE + 0, KTEXT + 0x10) == NULL);
    CHECK(!tpatch_frame_patched(p, TEXT));
    CHECK_EQ(p->undone, 1);
}

TEST(text_patching_through_the_linear_map)
{
    setup();
    struct tpatch *p = &vm.patch;
    unsigned level = 9;
    /* Without patches the linear map is one 2 MiB writable leaf. */
    CHECK_EQ(fill(LINEAR + 8 * PAGE, SHADOW_STORE), SHADOW_OK);
    CHECK(leaf(LINEAR + 8 * PAGE, &level) & W);
    CHECK_EQ(level, 1);
    CHECK_EQ(tpatch_add(p, frame_mem(TEXT), TEXT, 0x40, KTEXT + 0x40, SRET), TPATCH_NEW_FRAME);
    shadow_drop_all(&sh, &ops);
    /* With a patched frame inside, the rest of the 2 MiB is mapped page by page ... */
    CHECK_EQ(fill(LINEAR + 8 * PAGE, SHADOW_STORE), SHADOW_OK);
    CHECK(leaf(LINEAR + 8 * PAGE, &level) & W);
    CHECK_EQ(level, 0);
    /* ... and Linux rewriting its text (alternatives, jump labels) through it undoes the patches
     * first: its store then lands on the original bytes and the frame is writable data again. */
    uint64_t at = LINEAR + (TEXT - DATA) + 0x40;
    CHECK_EQ(fill(at, SHADOW_STORE), SHADOW_PATCHED);
    tpatch_undo_frame(p, frame_mem(TEXT), TEXT);
    CHECK_EQ(rd32(TEXT + 0x40), SRET);
    CHECK_EQ(fill(at, SHADOW_STORE), SHADOW_OK);
    CHECK(leaf(at, &level) & W);
}

TEST(undo_keeps_what_a_device_wrote)
{
    setup();
    struct tpatch *p = &vm.patch;
    uint8_t *m = frame_mem(TEXT);
    CHECK_EQ(tpatch_add(p, m, TEXT, 0x10, KTEXT + 0x10, CSRRW_SSCRATCH), TPATCH_NEW_FRAME);
    CHECK_EQ(tpatch_add(p, m, TEXT, 0x40, KTEXT + 0x40, SRET), TPATCH_ADDED);
    wr32(TEXT + 0x40, 0x12345678u); /* written over the patch without the engine knowing */
    tpatch_undo_frame(p, m, TEXT);
    CHECK_EQ(rd32(TEXT + 0x10), CSRRW_SSCRATCH);
    CHECK_EQ(rd32(TEXT + 0x40), 0x12345678u);
    /* And a read never turns such bytes into the old instruction. */
    CHECK_EQ(tpatch_add(p, m, TEXT, 0x10, KTEXT + 0x10, CSRRW_SSCRATCH), TPATCH_NEW_FRAME);
    uint32_t v = 0xdeadbeefu;
    tpatch_fixup(p, TEXT + 0x10, (uint8_t *)&v, 4);
    CHECK_EQ(v, 0xdeadbeefu);
}

TEST(a_frame_undone_too_often_is_left_alone)
{
    setup();
    struct tpatch *p = &vm.patch;
    uint8_t *m = frame_mem(TEXT);
    for (unsigned i = 0; i < TPATCH_MAX_UNDO; i++) {
        CHECK_EQ(tpatch_add(p, m, TEXT, 0x10, KTEXT + 0x10, CSRRW_SSCRATCH), TPATCH_NEW_FRAME);
        tpatch_undo_frame(p, m, TEXT);
    }
    CHECK_EQ(tpatch_add(p, m, TEXT, 0x10, KTEXT + 0x10, CSRRW_SSCRATCH), TPATCH_REFUSED);
    CHECK_EQ(rd32(TEXT + 0x10), CSRRW_SSCRATCH);
    /* Another frame is patched as before. */
    wr32(TEXT + PAGE, SRET);
    CHECK_EQ(tpatch_add(p, frame_mem(TEXT + PAGE), TEXT + PAGE, 0, KTEXT + PAGE, SRET),
             TPATCH_NEW_FRAME);
}

TEST(bounded_tables)
{
    setup();
    struct tpatch *p = &vm.patch;
    unsigned added = 0;
    /* More instructions than slots, over more frames than the table keeps. */
    for (unsigned f = 0; f < TPATCH_FRAMES + 4; f++) {
        uint64_t gpa = DATA + MEGA + f * PAGE;
        for (unsigned i = 0; i < 64; i++) {
            wr32(gpa + i * 4, SRET);
            added += tpatch_add(p, frame_mem(gpa), gpa, i * 4, KTEXT + f * PAGE + i * 4, SRET) !=
                     TPATCH_REFUSED;
        }
    }
    CHECK_EQ(added, TPATCH_SLOTS);
    CHECK(p->nframes <= TPATCH_FRAMES);
    /* A frame undone frees its slots for the next. */
    tpatch_undo_frame(p, frame_mem(DATA + MEGA), DATA + MEGA);
    uint64_t gpa = DATA + MEGA + (TPATCH_FRAMES + 3) * PAGE;
    CHECK(tpatch_add(p, frame_mem(gpa), gpa, 0, 0x1000, SRET) != TPATCH_REFUSED);
}

TEST(device_writes_and_user_code_undo)
{
    setup();
    struct tpatch *p = &vm.patch;
    uint64_t other = TEXT + 3 * PAGE;
    wr32(other + 8, SRET);
    CHECK_EQ(tpatch_add(p, frame_mem(TEXT), TEXT, 0x10, KTEXT + 0x10, CSRRW_SSCRATCH),
             TPATCH_NEW_FRAME);
    CHECK_EQ(tpatch_add(p, frame_mem(other), other, 8, KTEXT + 8, SRET), TPATCH_NEW_FRAME);
    /* Guest user code mapping a patched frame executes the originals: never filled patched. */
    uint64_t uva = 0x10000;
    gmap(uva, 0, pte(TEXT, V | R | X | U | A));
    uint64_t gpa;
    CHECK_EQ(shadow_fill(&sh, &ops, &env, SHADOW_USER, uva, SHADOW_EXEC, &gpa), SHADOW_PATCHED);
    /* A device writing the last byte before the text frame leaves it; one reaching its first
     * byte undoes it, and only it. */
    CHECK_EQ(p->live_frames, 2);
    tpatch_undo_range(p, ram, GBASE, TEXT - 8, 8);
    CHECK(tpatch_frame_patched(p, TEXT));
    tpatch_undo_range(p, ram, GBASE, TEXT - 8, 9);
    CHECK(!tpatch_frame_patched(p, TEXT));
    CHECK_EQ(rd32(TEXT + 0x10), CSRRW_SSCRATCH);
    CHECK(tpatch_frame_patched(p, other));
    CHECK_EQ(rd32(other + 8), tpatch_insn(1));
    /* A range over all of RAM (a restart) undoes the rest. */
    tpatch_undo_range(p, ram, GBASE, 0, ~0ull);
    CHECK(!tpatch_frame_patched(p, other));
    CHECK_EQ(rd32(other + 8), SRET);
    CHECK_EQ(p->live_frames, 0);
}
