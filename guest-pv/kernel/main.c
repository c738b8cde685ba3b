// SPDX-License-Identifier: MIT
// guest-pv start: paging on, then the program's own main.
#include <string.h>

#include "fdt.h"
#include "guest.h"

void kmain(unsigned long hartid, unsigned long dtb);
void secondary_main(unsigned long hartid);

struct platform_info guest_platform;
static secondary_fn secondary_entry_fn;

void kmain(unsigned long hartid, unsigned long dtb)
{
    uint32_t size = dtb ? fdt_total_size((const void *)dtb) : 0;

    /* The hypervisor hands over a device tree; a guest without one still runs, with no bootargs. */
    if (!size || fdt_parse((const void *)dtb, size, &guest_platform) != 0) {
        guest_platform.bootargs[0] = '\0';
    }
    mm_init();
    guest_main(hartid, dtb);
    sbi_shutdown();
}

int start_secondary(unsigned long hartid, secondary_fn fn, void *stack_top)
{
    extern char secondary_entry[];

    secondary_entry_fn = fn;
    return (int)sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, hartid, (unsigned long)secondary_entry,
                         (unsigned long)stack_top, 0, 0, 0)
        .error;
}

void secondary_main(unsigned long hartid)
{
    /* Same address space as the boot vCPU: its page tables, so kernel data is shared. */
    pt_switch(kernel_root, 0);
    secondary_entry_fn(hartid);
    sbi_call(SBI_EXT_HSM, SBI_HSM_HART_STOP, 0, 0, 0, 0, 0, 0);
}

const char *bootarg(const char *key)
{
    const char *p = guest_platform.bootargs;
    size_t n = strlen(key);

    while (*p) {
        while (*p == ' ') {
            p++;
        }
        if (strncmp(p, key, n) == 0 && p[n] == '=') {
            return p + n + 1;
        }
        while (*p && *p != ' ') {
            p++;
        }
    }
    return (const char *)0;
}

unsigned long parse_ulong(const char *s)
{
    unsigned long v = 0;
    unsigned base = 10;

    if (s && s[0] == '0' && s[1] == 'x') {
        base = 16;
        s += 2;
    }
    for (; s && *s && *s != ' ' && *s != ','; s++) {
        unsigned d = *s >= 'a' ? (unsigned)(*s - 'a' + 10) : (unsigned)(*s - '0');
        if (d >= base) {
            break;
        }
        v = v * base + d;
    }
    return v;
}
