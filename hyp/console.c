// SPDX-License-Identifier: MIT
// Console: log lines of the hypervisor and line-buffered guest output, each line tagged with its owner.
#include "console.h"

#include <stdarg.h>
#include <stdbool.h>

#include <arch/arch.h>

#include "devices.h"
#include "lib/format.h"
#include "sched.h"
#include "vm.h"

/* The guest whose unfinished line is on the terminal, the cursor at its end: its next output
 * continues that line, anyone else's starts a new one. open_shown counts the guest's characters on
 * that line, so its backspaces can never reach its name tag. */
static struct vm *open_line;
static unsigned open_shown;

static void puts_raw(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n') {
            console_hw_putc('\r');
        }
        console_hw_putc(*s);
    }
}

static void close_open_line(void)
{
    if (open_line) {
        puts_raw("\n");
        open_line = (struct vm *)0;
    }
}

static void vlog(const char *prefix, const char *fmt, va_list ap, const char *suffix)
{
    char buf[256];

    fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    close_open_line();
    puts_raw(prefix);
    puts_raw(buf);
    puts_raw(suffix);
}

void hyp_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog("", fmt, ap, "");
    va_end(ap);
}

void hyp_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog("hyp: ", fmt, ap, "\n");
    va_end(ap);
}

_Noreturn void hyp_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog("hyp: PANIC: ", fmt, ap, "\n");
    va_end(ap);
    arch_fw_shutdown(true);
}

/* Puts what the guest has buffered on the terminal; a finished line also gets its newline. */
static void emit(struct vm *vm, bool end_of_line)
{
    if (open_line != vm) {
        close_open_line();
        puts_raw("[");
        puts_raw(vm->cfg->name);
        puts_raw("] ");
    }
    if (open_line != vm) {
        open_shown = 0;
    }
    vm->console_line[vm->console_len] = '\0';
    puts_raw(vm->console_line);
    open_shown += vm->console_len;
    vm->console_len = 0;
    if (end_of_line) {
        puts_raw("\n");
        open_line = (struct vm *)0;
    } else {
        open_line = vm;
    }
}

void console_guest_flush(struct vm *vm)
{
    if (vm->console_len > 0) {
        emit(vm, false);
    }
}

void console_guest_end(struct vm *vm)
{
    if (vm->console_len > 0 || open_line == vm) {
        emit(vm, true);
    }
}

void console_guest_putc(struct vm *vm, char c)
{
    if (c == '\n') {
        emit(vm, true);
        return;
    }
    if (c == '\r') {
        return;
    }
    /* Backspace edits the line being built, as it would on the guest's own terminal; once that part
     * is shown, the terminal itself takes the backspace. */
    if (c == '\b' || c == 0x7f) {
        if (vm->console_len > 0) {
            vm->console_len--;
        } else if (open_line == vm && open_shown > 0) {
            console_hw_putc('\b');
            open_shown--;
        }
        return;
    }
    /* Control characters other than tab, and bytes a terminal may take as 8-bit control codes (0x9b
     * is CSI), would let a guest rewrite other guests' lines: they are shown as '?'. */
    if (((unsigned char)c < 0x20 && c != '\t') || (unsigned char)c >= 0x80) {
        c = '?';
    }
    vm->console_line[vm->console_len++] = c;
    if (vm->console_len == CONSOLE_LINE_MAX - 1) {
        console_guest_flush(vm);
    }
}

size_t console_guest_allow(struct vm *vm, size_t len)
{
    bool others = false;

    for (unsigned i = 0; i < nvms; i++) {
        others |= &vms[i] != vm && vms[i].state == VM_RUNNING;
    }
    if (!others) {
        return len; /* alone: nobody to be fair to */
    }
    size_t left = vm->console_slice_bytes < CONSOLE_SLICE_BYTES ? CONSOLE_SLICE_BYTES - vm->console_slice_bytes : 0;
    size_t n = len < left ? len : left;
    vm->console_slice_bytes += (unsigned)n;
    if (n < len) {
        if (!vm->console_throttled) {
            vm->console_throttled = true;
            hyp_log("guest '%s' floods the console: throttled to %u bytes per time slice", vm->cfg->name,
                    CONSOLE_SLICE_BYTES);
        }
        sched_yield_soon();
    }
    return n;
}

void console_guest_write(struct vm *vm, const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        console_guest_putc(vm, buf[i]);
    }
}

/* Index into vms[] of the guest that receives console input. */
static unsigned focus;
static bool announced;

/* Gives the focus to the first running guest at or after focus + from, in order. */
static void focus_search(unsigned from)
{
    for (unsigned i = from; i < from + nvms; i++) {
        unsigned n = (focus + i) % nvms;
        if (vms[n].state == VM_RUNNING) {
            if (n != focus || !announced) {
                hyp_log("console input goes to '%s' (Ctrl-] for the next guest)", vms[n].cfg->name);
            }
            focus = n;
            announced = true;
            return;
        }
    }
}

/* Ctrl-] moves the console input to the next running guest (QEMU keeps Ctrl-A for itself). */
#define FOCUS_KEY 0x1d

void console_poll(void)
{
    int c;

    while ((c = console_hw_getc()) >= 0) {
        if (c == FOCUS_KEY) {
            focus_search(1);
            continue;
        }
        struct vm *vm = focus < nvms ? &vms[focus] : (struct vm *)0;
        if (!vm || vm->state != VM_RUNNING) {
            continue;
        }
        /* A guest that does not read its input loses the oldest bytes, never anyone else's. */
        if (vm->input_count == CONSOLE_INPUT_MAX) {
            vm->input_head = (vm->input_head + 1) % CONSOLE_INPUT_MAX;
            vm->input_count--;
        }
        vm->input[(vm->input_head + vm->input_count) % CONSOLE_INPUT_MAX] = (uint8_t)c;
        vm->input_count++;
        devices_console_input(vm);
    }
}

int console_guest_getc(struct vm *vm)
{
    /* A guest that reads input is waiting for it: show its prompt. */
    console_guest_flush(vm);
    console_poll();
    if (vm->input_count == 0) {
        return -1;
    }
    int c = vm->input[vm->input_head];
    vm->input_head = (vm->input_head + 1) % CONSOLE_INPUT_MAX;
    vm->input_count--;
    return c;
}

void console_focus_next(void)
{
    focus_search(0);
}
