// SPDX-License-Identifier: MIT
// guest-pv memory: a page allocator over the RAM after the image, and Sv39 page tables.
#include "guest.h"

extern char _end[];

#define RAM_BASE 0x80000000ul
/* The kernel assumes at least this much RAM; every configuration gives more. */
#define RAM_MIN (8ul << 20)
#define SATP_SV39 (8ul << 60)
#define VA_KERNEL_SLOT 2 /* root slot of the 1 GiB at 0x80000000: the kernel's identity window */
#define VA_DEVICE_SLOT 0 /* the 1 GiB below: devices, identity-mapped, never executable */
#define VA_USER_SLOT 1   /* 0x40000000-0x7fffffff: the only part of a task's root that is its own */

uint64_t *kernel_root;
static uint64_t next_page;
static void *free_list;

void *page_alloc(void)
{
    void *p;

    if (free_list) {
        p = free_list;
        free_list = *(void **)p;
    } else {
        if (next_page + PAGE_SIZE > RAM_BASE + RAM_MIN) {
            kputs("guest: out of pages\n");
            return (void *)0;
        }
        p = (void *)next_page;
        next_page += PAGE_SIZE;
    }
    uint64_t *w = p;
    for (unsigned i = 0; i < PAGE_SIZE / 8; i++) {
        w[i] = 0;
    }
    return p;
}

void page_free(void *p)
{
    *(void **)p = free_list;
    free_list = p;
}

static uint64_t *pte_table(uint64_t pte)
{
    return (uint64_t *)((pte >> 10) << 12);
}

static uint64_t *walk(uint64_t *root, uint64_t va, bool create)
{
    uint64_t *t = root;

    for (int level = 2; level > 0; level--) {
        uint64_t *e = &t[(va >> (12 + 9 * level)) & 0x1ff];
        if (!(*e & PTE_V)) {
            if (!create) {
                return (uint64_t *)0;
            }
            void *n = page_alloc();
            if (!n) {
                return (uint64_t *)0;
            }
            *e = (((uint64_t)n >> 12) << 10) | PTE_V;
        } else if (*e & (PTE_R | PTE_W | PTE_X)) {
            return (uint64_t *)0; /* inside a superpage */
        }
        t = pte_table(*e);
    }
    return &t[(va >> 12) & 0x1ff];
}

int pt_map(uint64_t *root, uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *e = walk(root, va, true);

    if (!e || (*e & PTE_V)) {
        return -1;
    }
    *e = ((pa >> 12) << 10) | flags | PTE_V | PTE_A | PTE_D;
    return 0;
}

int pt_unmap(uint64_t *root, uint64_t va)
{
    uint64_t *e = walk(root, va, false);

    if (!e || !(*e & PTE_V)) {
        return -1;
    }
    *e = 0;
    __asm__ volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
    return 0;
}

uint64_t *pt_new_root(void)
{
    uint64_t *r = page_alloc();

    if (r) {
        r[VA_KERNEL_SLOT] = kernel_root[VA_KERNEL_SLOT];
        r[VA_DEVICE_SLOT] = kernel_root[VA_DEVICE_SLOT];
    }
    return r;
}

static void free_table(uint64_t *t, int level, bool free_leaves)
{
    for (unsigned i = 0; i < 512; i++) {
        if (!(t[i] & PTE_V)) {
            continue;
        }
        if (t[i] & (PTE_R | PTE_W | PTE_X)) {
            if (free_leaves && level == 0) {
                page_free(pte_table(t[i]));
            }
        } else {
            free_table(pte_table(t[i]), level - 1, free_leaves);
        }
    }
    page_free(t);
}

void pt_free_user(uint64_t *root)
{
    /* Only the user slot: the kernel and device slots are shared with every other root. Every page
     * still mapped there is freed, so callers unmap first what they do not own (task.c: user code). */
    if (root[VA_USER_SLOT] & PTE_V) {
        free_table(pte_table(root[VA_USER_SLOT]), 1, true);
    }
    page_free(root);
}

void pt_switch(uint64_t *root)
{
    __asm__ volatile("csrw satp, %0\n sfence.vma" : : "r"(SATP_SV39 | ((uint64_t)root >> 12)) : "memory");
}

void mm_init(void)
{
    next_page = ((uint64_t)_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    /* The kernel's window: 1 GiB identity-mapped at RAM_BASE, global, without U so tasks cannot touch
     * it. Anything outside guest RAM in it faults in the hypervisor, not here. */
    kernel_root = page_alloc();
    kernel_root[VA_KERNEL_SLOT] = ((RAM_BASE >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_G |
                                  PTE_A | PTE_D;
    kernel_root[VA_DEVICE_SLOT] = PTE_V | PTE_R | PTE_W | PTE_G | PTE_A | PTE_D;
    pt_switch(kernel_root);
}
