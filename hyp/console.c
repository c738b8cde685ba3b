// SPDX-License-Identifier: MIT
// Console: log lines of the hypervisor and line-buffered guest output, each line tagged with its
// owner, or the raw guest's bytes (hyp.raw) as they are; input for the guest with the focus, except
// what the operator console (hyp/opcon.c) takes.
#include "conout.h"
#include "console.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include <arch/arch.h>

#include "devices.h"
#include "hyp.h"
#include "lib/format.h"
#include "opcon.h"
#include "sched.h"
#include "vm.h"

/* The guest whose unfinished line is on the terminal, the cursor at its end: its next output
 * continues that line, anyone else's starts a new one. open_shown counts the guest's characters on
 * that line, so its backspaces can never reach its name tag. */
static struct vm *open_line;
static unsigned open_shown;

/* The raw guest: its bytes reach the host UART as it wrote them, with no tag and no buffering, so
 * tools that read a console can be pointed at it. raw_open: its last byte did not end a line, so a
 * line of anyone else starts on a new one. Invariant: open_line and raw_open are never both set. */
static struct vm *raw_vm;
static bool raw_open;

static void puts_raw(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n') {
            conout_putc('\r');
        }
        conout_putc(*s);
    }
}

static void close_open_line(void)
{
    if (open_line || raw_open) {
        puts_raw("\n");
        open_line = (struct vm *)0;
        raw_open = false;
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
    conout_flush();
    arch_fw_shutdown(HYP_EXIT_PANIC);
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

bool console_is_raw(const struct vm *vm)
{
    return vm == raw_vm;
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
    if (vm == raw_vm) {
        if (open_line) {
            close_open_line();
        }
        conout_putc(c);
        raw_open = c != '\n';
        return;
    }
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
            conout_putc('\b');
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

/* What showing the guest's next bytes may add to the output ring at most: each byte, and a name tag
 * and line end for every line it ends or fills (NAME_MAX_LEN + "[] " + "\r\n", and a newline that
 * closes another's open line). */
#define LINE_COST (NAME_MAX_LEN + 8)

size_t console_guest_fits(struct vm *vm, const char *buf, size_t len)
{
    size_t room = conout_room(), cost = vm->console_len + LINE_COST, n;

    room = room > CONOUT_RESERVE ? room - CONOUT_RESERVE : 0;
    for (n = 0; n < len; n++) {
        cost += 1 + (buf[n] == '\n' || (n + 1) % (CONSOLE_LINE_MAX / 2) == 0 ? LINE_COST : 0);
        if (cost > room) {
            break;
        }
    }
    return n;
}

size_t console_guest_allow(struct vm *vm, const char *buf, size_t len)
{
    bool others = false;

    for (unsigned i = 0; i < nvms; i++) {
        others |= &vms[i] != vm && vms[i].state == VM_RUNNING;
    }
    size_t n = console_guest_fits(vm, buf, len);
    if (others) {
        /* Not alone: a fair share per time slice as well. */
        size_t left = vm->console_slice_bytes < CONSOLE_SLICE_BYTES ? CONSOLE_SLICE_BYTES - vm->console_slice_bytes : 0;
        n = n < left ? n : left;
        vm->console_slice_bytes += (unsigned)n;
        if (n < len && n == left && !vm->console_throttled) {
            vm->console_throttled = true;
            hyp_log("guest '%s' floods the console: throttled to %u bytes per time slice", vm->cfg->name,
                    CONSOLE_SLICE_BYTES);
        }
    }
    if (n < len) {
        sched_yield_soon(); /* the others run, and the UART drains meanwhile */
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

static void announce(void)
{
    struct vm *vm = &vms[focus];

    if (vm->state != VM_RUNNING) {
        hyp_log("console input goes to '%s', which is stopped (Ctrl-] r restarts it)",
                vm->cfg->name);
    } else if (vm == raw_vm) {
        hyp_log("console input goes to '%s', raw (Ctrl-] Ctrl-] types it a Ctrl-], Ctrl-] ? help)",
                vm->cfg->name);
    } else {
        hyp_log("console input goes to '%s' (Ctrl-] Ctrl-] for the next guest, Ctrl-] ? for help)",
                vm->cfg->name);
    }
    announced = true;
}

/* Gives the focus to the first running guest at or after focus + from, in order. */
static void focus_search(unsigned from)
{
    for (unsigned i = from; i < from + nvms; i++) {
        unsigned n = (focus + i) % nvms;
        if (vms[n].state == VM_RUNNING) {
            bool moved = n != focus || !announced;
            focus = n;
            if (moved) {
                announce();
            }
            return;
        }
    }
}

void console_start(void)
{
    if (boot_options.raw_console) {
        for (unsigned i = 0; i < nvms && !raw_vm; i++) {
            const char *want = boot_options.raw_name;
            bool named = !want[0] || strcmp(vms[i].cfg->name, want) == 0;
            if (named && vms[i].state == VM_RUNNING) {
                raw_vm = &vms[i];
                focus = i;
            }
        }
        if (raw_vm) {
            hyp_log("console: guest '%s' is raw: its bytes pass unchanged, input straight to it",
                    raw_vm->cfg->name);
        } else {
            hyp_log("console: hyp.raw%s%s names no running guest: every guest's lines are tagged",
                    boot_options.raw_name[0] ? "=" : "", boot_options.raw_name);
        }
    }
    focus_search(0);
}

void console_focus_next(void)
{
    focus_search(0);
}

void console_focus_step(void)
{
    focus_search(1);
}

void console_focus(struct vm *vm)
{
    focus = vm->id;
    announce();
}

struct vm *console_focused(void)
{
    return focus < nvms ? &vms[focus] : (struct vm *)0;
}

void console_input(uint8_t c)
{
    struct vm *vm = console_focused();

    if (!vm || vm->state != VM_RUNNING) {
        return;
    }
    /* A guest that does not read its input loses the oldest bytes, never anyone else's. */
    if (vm->input_count == CONSOLE_INPUT_MAX) {
        vm->input_head = (vm->input_head + 1) % CONSOLE_INPUT_MAX;
        vm->input_count--;
    }
    vm->input[(vm->input_head + vm->input_count) % CONSOLE_INPUT_MAX] = c;
    vm->input_count++;
    devices_console_input(vm);
}

/* Reads what the host console has: the operator console takes its keys, the focused guest the
 * rest. */
static void read_input(void)
{
    int c;

    while ((c = console_hw_getc()) >= 0) {
        if (!opcon_key((uint8_t)c)) {
            console_input((uint8_t)c);
        }
    }
}

void console_poll(void)
{
    read_input();
    /* Only the scheduler calls this, where no exit is half done (between exits, or at the end of
     * a timer exit): what the operator asked of a guest's life happens here, never in the middle of
     * an SBI read that would then write into a guest's freed RAM. */
    opcon_run_pending();
}

int console_guest_getc(struct vm *vm)
{
    /* A guest that reads input is waiting for it: show its prompt. */
    console_guest_flush(vm);
    read_input();
    if (vm->input_count == 0) {
        return -1;
    }
    int c = vm->input[vm->input_head];
    vm->input_head = (vm->input_head + 1) % CONSOLE_INPUT_MAX;
    vm->input_count--;
    return c;
}
