// SPDX-License-Identifier: MIT
// The census kernel's page tables: an identity gigapage over RAM for the kernel, and a window of
// test pages at 0x40000000 whose entries the memory probes set up one by one (supervisor chapter,
// Sv39).
#include "census.h"

#define TEST_BASE 0x40000000ull
#define TEST_PAGES 32

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t root48[512] __attribute__((aligned(4096)));
static uint64_t root57[512] __attribute__((aligned(4096)));
static uint64_t l1_test[512] __attribute__((aligned(4096)));
static uint64_t l0_test[512] __attribute__((aligned(4096)));
static uint8_t pages[TEST_PAGES][4096] __attribute__((aligned(4096)));

static uint64_t table_pte(const void *t)
{
    return (((uint64_t)(uintptr_t)t >> 12) << 10) | PTE_V;
}

uint64_t test_va(unsigned slot)
{
    return TEST_BASE + (uint64_t)slot * 4096;
}

uint64_t *test_pte(unsigned slot)
{
    return &l0_test[slot];
}

void *test_page(unsigned slot)
{
    return pages[slot % TEST_PAGES];
}

/* A valid leaf for a test slot's own backing page with the given flags. */
uint64_t test_leaf(unsigned slot, uint64_t flags)
{
    return (((uint64_t)(uintptr_t)pages[slot % TEST_PAGES] >> 12) << 10) | PTE_V | flags;
}

uint64_t *mm_root(void)
{
    return root;
}

uint64_t *mm_l1_test(void)
{
    return l1_test;
}

void mm_build(void)
{
    /* The kernel: RAM from 0x80000000 as one RWX gigapage, A and D set so that no probe of A/D
     * updates ever depends on the kernel's own accesses. Global: every root shares it. */
    root[2] = ((0x80000000ull >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;
    root[1] = table_pte(l1_test);
    l1_test[0] = table_pte(l0_test);
    /* The U-mode snippets, a second time, at U_CODE_VA with U (entries 16 and 17). */
    uint64_t u = (uint64_t)(uintptr_t)__user_start;
    for (unsigned i = 0; i < 2; i++) {
        l0_test[16 + i] = (((u + i * 4096ull) >> 12) << 10) | PTE_V | PTE_R | PTE_X | PTE_U | PTE_A;
    }
    /* The test window (census.h lists what each slot holds); the probes change only the entries
     * whose bits they test, and put them back. */
    static const struct {
        unsigned slot;
        uint64_t flags;
    } fixed[] = {
        { SLOT_K_RW, PTE_R | PTE_W | PTE_A | PTE_D },
        { SLOT_U_RW, PTE_U | PTE_R | PTE_W | PTE_A | PTE_D },
        { SLOT_K_X, PTE_X | PTE_A },
        { SLOT_U_X, PTE_U | PTE_X | PTE_A },
        { SLOT_K_R, PTE_R | PTE_A },
        { SLOT_U_R, PTE_U | PTE_R | PTE_A },
        { SLOT_K_RX, PTE_R | PTE_X | PTE_A },
        { SLOT_U_RX, PTE_U | PTE_R | PTE_X | PTE_A },
        { SLOT_W_ONLY, PTE_W | PTE_A | PTE_D },
        { SLOT_CROSS, PTE_R | PTE_W | PTE_A | PTE_D },
    };
    for (unsigned i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        l0_test[fixed[i].slot] = test_leaf(fixed[i].slot, fixed[i].flags);
    }
    /* Code for the fetch probes: "li a0, 42; ret" in every executable test page. */
    static const unsigned code_slots[] = { SLOT_K_X, SLOT_U_X, SLOT_K_RX, SLOT_U_RX, SLOT_A_FETCH };
    for (unsigned i = 0; i < sizeof(code_slots) / sizeof(code_slots[0]); i++) {
        uint8_t *dst = pages[code_slots[i]];
        for (const char *p = probe_code; p < probe_code_end; p++) {
            *dst++ = (uint8_t)*p;
        }
    }
    __asm__ volatile("fence.i" ::: "memory");
    /* Sv48 and Sv57 roots that reach the same tables one and two levels down, so writing either
     * mode into satp leaves the kernel where it is. */
    root48[0] = table_pte(root);
    root57[0] = table_pte(root48);
}

uint64_t mm_satp(void)
{
    return (8ull << SATP_MODE_SHIFT) | ((uint64_t)(uintptr_t)root >> 12);
}

uint64_t mm_root48(void)
{
    return (uint64_t)(uintptr_t)root48 >> 12;
}

uint64_t mm_root57(void)
{
    return (uint64_t)(uintptr_t)root57 >> 12;
}

void mm_on(void)
{
    csr_write(CSR_SATP, mm_satp());
    __asm__ volatile("sfence.vma" ::: "memory");
}

void mm_off(void)
{
    csr_write(CSR_SATP, 0);
    __asm__ volatile("sfence.vma" ::: "memory");
}
