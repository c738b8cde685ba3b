// SPDX-License-Identifier: MIT
// guest-pv memory: page pools and Sv39 page tables. Guest RAM, from the device tree:
//   [base, base+2M)          the kernel image, its .bss and stacks
//   [base+2M, base+size/2)   data pages (page_alloc)
//   [base+size/2, +2M)       page-table frames (pt_alloc): mapped read-only when the hypervisor validates
//                            our tables, so that every change goes through it
// The tables are written natively (PTE stores and sfence.vma), or, in the pv flavour on a hypervisor
// without stage-2 translation, through batched, validated hypercalls (pt.c).
#include "guest.h"
#include "pt.h"

#define MB (1ul << 20)
#define SATP_SV39 (8ul << 60)
#define VA_DEVICE_SLOT 0 /* root slot of the 1 GiB at 0: devices, identity-mapped, never executable */
#define VA_USER_SLOT PT_USER_SLOT /* 0x40000000-0x7fffffff: the only part of a task's root that is its own */
#define VA_KERNEL_SLOT 2 /* the 1 GiB at 0x80000000: the kernel's identity window over its RAM */

uint64_t *kernel_root;
uint64_t ram_base = 0x80000000ul, ram_size = 8 * MB;

#define TABLE_FRAMES 512 /* the 2 MiB table pool */

/* Data pages keep their free list inside the free pages. Table frames may be read-only to us, so
 * theirs is a stack beside the pool. */
static struct {
    uint64_t next, end;
    void *free;
} pages;

static struct {
    uint64_t next, end;
    unsigned nfree;
    uint64_t free[TABLE_FRAMES];
} tables;

void *page_alloc(void)
{
    uint64_t *w = pages.free;

    if (w) {
        pages.free = *(void **)w;
    } else if (pages.next + PAGE_SIZE <= pages.end) {
        w = (uint64_t *)pages.next;
        pages.next += PAGE_SIZE;
    } else {
        kputs("guest: out of pages\n");
        return (void *)0;
    }
    for (unsigned i = 0; i < PAGE_SIZE / 8; i++) {
        w[i] = 0;
    }
    return w;
}

void page_free(void *p)
{
    *(void **)p = pages.free;
    pages.free = p;
}

uint64_t *pt_alloc(void)
{
    uint64_t *t;

    if (tables.nfree > 0) {
        t = (uint64_t *)tables.free[--tables.nfree];
    } else if (tables.next + PAGE_SIZE <= tables.end) {
        t = (uint64_t *)tables.next;
        tables.next += PAGE_SIZE;
    } else {
        kputs("guest: out of page-table frames\n");
        return (uint64_t *)0;
    }
    pt_zero(t);
    return t;
}

void pt_release(uint64_t *t)
{
    /* Never more than TABLE_FRAMES are handed out, so the stack cannot overflow. */
    tables.free[tables.nfree++] = (uint64_t)t;
}

bool pt_is_table_frame(const void *p)
{
    /* The 2 MiB pool mm_init placed at the middle of the kernel's window (not of RAM: past 1 GiB the
     * window is the first GiB only). */
    uint64_t a = (uint64_t)p, pool = tables.end - 2 * MB;
    return tables.end != 0 && a >= pool && a < tables.end;
}

static uint64_t *walk(uint64_t *root, uint64_t va, bool create)
{
    uint64_t *t = root;

    for (int level = 2; level > 0; level--) {
        uint64_t *e = &t[(va >> (12 + 9 * level)) & 0x1ff];
        uint64_t v = pt_get(e);
        if (!(v & PTE_V)) {
            if (!create) {
                return (uint64_t *)0;
            }
            uint64_t *n = pt_alloc();
            if (!n) {
                return (uint64_t *)0;
            }
            v = pte_make((uint64_t)n, 0);
            pt_set(e, v);
        } else if (v & (PTE_R | PTE_W | PTE_X)) {
            return (uint64_t *)0; /* inside a superpage */
        }
        t = (uint64_t *)pte_pa(v);
    }
    return &t[(va >> 12) & 0x1ff];
}

int pt_map(uint64_t *root, uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *e = walk(root, va, true);

    if (!e || (pt_get(e) & PTE_V)) {
        return -1;
    }
    pt_set(e, pte_make(pa, flags | PTE_A | PTE_D));
    return 0;
}

int pt_unmap(uint64_t *root, uint64_t va)
{
    uint64_t *e = walk(root, va, false);

    if (!e || !(pt_get(e) & PTE_V)) {
        return -1;
    }
    pt_set(e, 0);
    return 0;
}

uint64_t *pt_new_root(void)
{
    uint64_t *r = pt_alloc();

    if (r) {
        pt_set(&r[VA_KERNEL_SLOT], pt_get(&kernel_root[VA_KERNEL_SLOT]));
        if (pt_get(&kernel_root[VA_DEVICE_SLOT])) {
            pt_set(&r[VA_DEVICE_SLOT], pt_get(&kernel_root[VA_DEVICE_SLOT]));
        }
    }
    return r;
}

static void free_table(uint64_t *t, int level)
{
    for (unsigned i = 0; i < 512; i++) {
        uint64_t e = pt_get(&t[i]);
        if (!(e & PTE_V)) {
            continue;
        }
        if (e & (PTE_R | PTE_W | PTE_X)) {
            if (level == 0) {
                page_free((void *)pte_pa(e));
            }
        } else {
            free_table((uint64_t *)pte_pa(e), level - 1);
        }
    }
    pt_release(t);
}

void pt_free_user(uint64_t *root)
{
    /* Only the user slot: the kernel and device slots are shared with every other root. Every page
     * still mapped there is freed, so callers unmap first what they do not own (task.c: user code).
     * The root must no longer be in use (unpinned): its frames are written directly. */
    uint64_t e = pt_get(&root[VA_USER_SLOT]);
    if (e & PTE_V) {
        free_table((uint64_t *)pte_pa(e), 1);
    }
    pt_release(root);
}

void mm_init(void)
{
    extern char _end[];

    if (guest_platform.nmem > 0) {
        ram_base = guest_platform.mem[0].base;
        ram_size = guest_platform.mem[0].size;
    }
    pages.next = ((uint64_t)_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    if (pages.next < ram_base + 2 * MB) {
        pages.next = ram_base + 2 * MB;
    }
    /* Only the first GiB of RAM is in the kernel's window (one root slot): the pools stay inside it. */
    uint64_t window = ram_size < (1ul << 30) ? ram_size : (1ul << 30);
    pages.end = ram_base + window / 2;
    tables.next = pages.end;
    tables.end = tables.next + 2 * MB;
    pt_mode_init();

    /* The kernel window: 2 MiB leaves over RAM, global, without U so tasks cannot touch it. The
     * table pool is read-only when the hypervisor checks our tables: they change only through it. */
    kernel_root = pt_alloc();
    uint64_t *l1 = pt_alloc();
    pt_set(&kernel_root[VA_KERNEL_SLOT], pte_make((uint64_t)l1, 0));
    for (uint64_t off = 0; off < ram_size && off < (1ul << 30); off += 2 * MB) {
        uint64_t flags = PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D;
        if (pt_validated() && pt_is_table_frame((void *)(ram_base + off))) {
            flags = PTE_R | PTE_G | PTE_A;
        }
        pt_set(&l1[((ram_base + off) >> 21) & 0x1ff], pte_make(ram_base + off, flags));
    }
    /* Devices are reached natively only: validated tables map nothing but our own RAM. */
    if (!pt_validated()) {
        pt_set(&kernel_root[VA_DEVICE_SLOT], PTE_V | PTE_R | PTE_W | PTE_G | PTE_A | PTE_D);
    }
    pt_pin(kernel_root);
    pt_switch(kernel_root, 0);
}
