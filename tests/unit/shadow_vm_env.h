/* SPDX-License-Identifier: MIT */
/* One vCPU's shadow trees over the fake guest RAM of shadow_guest.h, with the VM's record of
 * protected tables and writable leaves behind them, as the trap engine keeps them: what the tests of
 * table writes (test_shadow_span.c) and of fills by groups (test_shadow_around.c) share. A drop of
 * every tree is counted in drop_vm_calls. */
#ifndef TESTS_SHADOW_VM_ENV_H
#define TESTS_SHADOW_VM_ENV_H

#include <stdlib.h>

#include "shadow_guest.h"

#define NFRAMES (RAM_SIZE / PAGE)
#define NROOTS (SHADOW_SPACES * SHADOW_VIEWS)

static uint64_t *frames;
static struct shadow sh;
static struct shadow_vm vm;
static uint64_t bitmap[NFRAMES / 64];
static unsigned drop_vm_calls;

static void ops_drop_vm(void *ctx);
static const struct shadow_ops ops = GUEST_OPS(ops_drop_vm);

static void ops_drop_vm(void *ctx)
{
    (void)ctx;
    shadow_drop_all(&sh, &ops);
    shadow_vm_reset(&vm);
    drop_vm_calls++;
}

/* Guest RAM zeroed, a guest root at GBASE, every set of trees empty, the records empty. */
static void setup(void)
{
    fresh_memory(&frames, NROOTS + NPOOL * 4);
    shadow_vm_init(&vm, bitmap, wmap_room, GBASE, NFRAMES);
    drop_vm_calls = 0;
    off = 0;
    next_table = GBASE;
    memset(&env, 0, sizeof(env));
    env.root = gtable();
    uint64_t base = (uint64_t)(uintptr_t)frames, roots[NROOTS];
    for (unsigned i = 0; i < NROOTS; i++) {
        roots[i] = base + i * PAGE;
    }
    shadow_init(&sh, &ops, roots, base + NROOTS * PAGE, NPOOL * 4, RESERVED_PTE, &vm);
    shadow_add_spaces(&sh, &ops, roots + SHADOW_VIEWS, SHADOW_SPACES - 1);
}

static inline enum shadow_result fill(enum shadow_view view, uint64_t va, enum shadow_access acc)
{
    uint64_t gpa;
    return shadow_fill(&sh, &ops, &env, view, va, acc, &gpa);
}

/* The leaf the current tree of view holds for va, 0 if none. */
static inline uint64_t leaf(enum shadow_view view, uint64_t va)
{
    unsigned level;
    return tree_leaf(sh.root[view], va, &level);
}

#endif
