// SPDX-License-Identifier: MIT
// Pokes one address that bootargs name (poke=ADDR width=1|2|4|8 op=r|w): an access no device completes,
// which must raise an access fault in this guest alone.
#include "guest.h"

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    unsigned long addr = parse_ulong(bootarg("poke"));
    unsigned long width = bootarg("width") ? parse_ulong(bootarg("width")) : 4;
    const char *op = bootarg("op");
    bool write = op && op[0] == 'w';

    kprintf("poke: %s %lu bytes at 0x%lx\n", write ? "write" : "read", width, addr);
    uint64_t v = 0;
    switch (width) {
    case 1:
        write ? (void)(*(volatile uint8_t *)addr = 1) : (void)(v = *(volatile uint8_t *)addr);
        break;
    case 2:
        write ? (void)(*(volatile uint16_t *)addr = 1) : (void)(v = *(volatile uint16_t *)addr);
        break;
    case 8:
        write ? (void)(*(volatile uint64_t *)addr = 1) : (void)(v = *(volatile uint64_t *)addr);
        break;
    default:
        write ? (void)(*(volatile uint32_t *)addr = 1) : (void)(v = *(volatile uint32_t *)addr);
        break;
    }
    kprintf("poke: FAIL: the access completed (0x%lx)\n", (unsigned long)v);
}
