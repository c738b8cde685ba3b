// SPDX-License-Identifier: MIT
// The console driver: the pv flavour hands whole buffers to SBI DBCN (one trap per buffer); the fv
// flavour drives the 16550 UART the hardware (or the hypervisor) gives it, one register access per byte.
#include <stdarg.h>

#include "format.h"
#include "guest.h"

#ifdef GUEST_FLAVOUR_fv
#define UART_BASE 0x10000000ul
#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE 0x20

static void uart_putc(char c)
{
    volatile uint8_t *uart = (volatile uint8_t *)UART_BASE;

    while (!(uart[UART_LSR] & LSR_THRE)) {
    }
    uart[UART_THR] = (uint8_t)c;
}

void kwrite(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            uart_putc('\r');
        }
        uart_putc(buf[i]);
    }
}
#else
void kwrite(const char *buf, size_t len)
{
    /* The kernel runs identity-mapped, so a virtual address is the physical one DBCN wants. The
     * hypervisor may take less than asked, nothing at all while the console is busy (ext-debug-console.adoc:
     * a partial or no write): loop on the count, calling again until it takes the rest. */
    while (len > 0) {
        struct sbiret r = sbi_call(SBI_EXT_DBCN, SBI_DBCN_WRITE, len, (unsigned long)buf, 0, 0, 0, 0);
        if (r.error != SBI_SUCCESS) {
            return;
        }
        buf += r.value;
        len -= (size_t)r.value;
    }
}
#endif

void kputs(const char *s)
{
    size_t n = 0;

    while (s[n]) {
        n++;
    }
    kwrite(s, n);
}

void kprintf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    kwrite(buf, (size_t)n);
}
