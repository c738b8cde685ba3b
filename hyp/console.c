// SPDX-License-Identifier: MIT
// Console: log lines of the hypervisor and line-buffered guest output, each line tagged with its owner.
#include "console.h"

#include <stdarg.h>

#include <arch/arch.h>

#include "lib/format.h"
#include "vm.h"

static void puts_raw(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n') {
            console_hw_putc('\r');
        }
        console_hw_putc(*s);
    }
}

void hyp_printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    puts_raw(buf);
}

void hyp_log(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    puts_raw("hyp: ");
    puts_raw(buf);
    puts_raw("\n");
}

_Noreturn void hyp_panic(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    puts_raw("hyp: PANIC: ");
    puts_raw(buf);
    puts_raw("\n");
    arch_fw_shutdown(true);
}

void console_guest_flush(struct vm *vm)
{
    if (vm->console_len == 0) {
        return;
    }
    vm->console_line[vm->console_len] = '\0';
    puts_raw("[");
    puts_raw(vm->cfg->name);
    puts_raw("] ");
    puts_raw(vm->console_line);
    puts_raw("\n");
    vm->console_len = 0;
}

void console_guest_putc(struct vm *vm, char c)
{
    if (c == '\n') {
        /* An empty line still shows, so a guest's blank lines keep their place. */
        if (vm->console_len == 0) {
            vm->console_line[vm->console_len++] = ' ';
        }
        console_guest_flush(vm);
        return;
    }
    if (c == '\r') {
        return;
    }
    /* Control characters other than tab would let a guest rewrite other guests' lines on a terminal. */
    if ((unsigned char)c < 0x20 && c != '\t') {
        c = '?';
    }
    vm->console_line[vm->console_len++] = c;
    if (vm->console_len == CONSOLE_LINE_MAX - 1) {
        console_guest_flush(vm);
    }
}

void console_guest_write(struct vm *vm, const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        console_guest_putc(vm, buf[i]);
    }
}

/* Index into vms[] of the guest that receives console input. */
static unsigned focus;

int console_guest_getc(struct vm *vm)
{
    return vm->id == focus ? console_hw_getc() : -1;
}

void console_focus_next(void)
{
    /* Keep the focus while its guest runs; otherwise the next running one in order takes it. */
    for (unsigned i = 0; i < nvms; i++) {
        unsigned n = (focus + i) % nvms;
        if (vms[n].state == VM_RUNNING) {
            if (n != focus) {
                hyp_log("console input now goes to '%s'", vms[n].cfg->name);
            }
            focus = n;
            return;
        }
    }
}
