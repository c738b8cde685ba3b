/* SPDX-License-Identifier: MIT */
/* What the shadow-table tests share: PTE flags, a fake guest RAM whose "host physical" address is
 * the pointer, and helpers that build the guest's own Sv39 tables in it. */
#ifndef TESTS_SHADOW_GUEST_H
#define TESTS_SHADOW_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arch/shadow.h>

#define V (1ull << 0)
#define R (1ull << 1)
#define W (1ull << 2)
#define X (1ull << 3)
#define U (1ull << 4)
#define G (1ull << 5)
#define A (1ull << 6)
#define D (1ull << 7)
#define RWX (R | W | X)
#define PAGE 4096ull
#define MEGA (2ull << 20)
#define GIGA (1ull << 30)

/* Guest RAM: 8 MiB at a fake guest-physical base. */
#define GBASE 0x80000000ull
#define RAM_SIZE (8ull << 20)
#define DATA (GBASE + MEGA) /* guest frames for data; tables come from the first 2 MiB */
#define NPOOL 16
#define RESERVED_PTE (0xabcdeull << 10 | V | R | W | X | A | D)

static uint8_t *ram;
static struct shadow_wmap wmap_room[SHADOW_WMAP_MAX] __attribute__((unused)); /* a VM's record of writable leaves */
static uint64_t next_table; /* next free guest table frame */
static uint64_t off;        /* what the guest's tables add to a guest physical address */
static struct shadow_env env;

/* The guest-memory operations of a guest whose whole RAM is the buffer above and has no devices
 * (test_shadow_wp.c, test_shadow_cache.c; shadow_fill_env.h varies the RAM size: ops_ram). */
static inline void *guest_ops_ram(void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    bool in = gpa >= GBASE && gpa - GBASE <= RAM_SIZE && len <= RAM_SIZE - (gpa - GBASE);
    return in ? ram + (gpa - GBASE) : (void *)0;
}

static inline uint64_t guest_ops_hpa(void *ctx, uint64_t gpa)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)ram + (gpa - GBASE);
}

static inline bool guest_ops_device(void *ctx, uint64_t gpa)
{
    (void)ctx;
    (void)gpa;
    return false;
}

static inline bool guest_ops_may_write(void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    (void)gpa;
    (void)len;
    return true;
}

static inline uint64_t *guest_ops_table(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (uint64_t *)(uintptr_t)pa;
}

/* Guest RAM, and nframes frames for shadow roots and pools at *frames: allocated once, zeroed at
 * every call (each case starts from nothing). */
static inline void fresh_memory(uint64_t **frames, uint64_t nframes)
{
    if (!ram) {
        ram = aligned_alloc(MEGA, RAM_SIZE);
        *frames = aligned_alloc(PAGE, nframes * PAGE);
    }
    memset(ram, 0, RAM_SIZE);
    memset(*frames, 0, nframes * PAGE);
}

/* The operations above as a struct shadow_ops, with the test's own drop of every tree. */
#define GUEST_OPS(drop_vm)                                                                             \
    { guest_ops_ram, guest_ops_hpa, guest_ops_device, guest_ops_may_write, guest_ops_table, drop_vm, NULL }

static inline uint64_t *gptr(uint64_t gpa)
{
    return (uint64_t *)(ram + (gpa - GBASE));
}

static inline uint64_t gtable(void)
{
    uint64_t t = next_table;
    next_table += PAGE;
    memset(gptr(t), 0, PAGE);
    return t;
}

static inline uint64_t pte(uint64_t gpa, uint64_t flags)
{
    return ((gpa + off) >> 12) << 10 | flags;
}

static inline unsigned vpn(uint64_t va, unsigned l)
{
    return (unsigned)(va >> (12 + 9 * l)) & 0x1ff;
}

/* The hardware's view of a shadow tree whose root is at root: the leaf for va (0 if none), its
 * level in *level. */
static inline uint64_t tree_leaf(uint64_t root, uint64_t va, unsigned *level)
{
    const uint64_t *t = guest_ops_table(NULL, root);
    for (int l = 2; l >= 0; l--) {
        uint64_t e = t[vpn(va, (unsigned)l)];
        if (!(e & V)) {
            return 0;
        }
        if (e & RWX) {
            *level = (unsigned)l;
            return e;
        }
        t = guest_ops_table(NULL, (e >> 10) << 12);
    }
    return 0;
}

/* The guest table at level (2: the root) on the way to va, made when missing. */
static inline uint64_t gtable_of(uint64_t va, unsigned level)
{
    uint64_t t = env.root - off;
    for (unsigned l = 2; l > level; l--) {
        uint64_t *e = gptr(t) + vpn(va, l);
        if (!(*e & V)) {
            *e = pte(gtable(), V);
        }
        t = ((*e >> 10) << 12) - off;
    }
    return t;
}

/* Puts an entry (a leaf, or any value) for va at level in the guest's tables, making those above. */
static inline uint64_t *gmap(uint64_t va, unsigned level, uint64_t entry)
{
    uint64_t *e = gptr(gtable_of(va, level)) + vpn(va, level);
    *e = entry;
    return e;
}

#endif
