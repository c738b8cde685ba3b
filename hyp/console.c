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
#include <arch/spinlock.h>

#include "devices.h"
#include "hyp.h"
#include "lib/format.h"
#include "opcon.h"
#include "sched.h"
#include "smp.h"
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
static unsigned raw_id = ~0u; /* raw_vm's id, which console_guest_putc_quick compares */

/* Lock: the terminal (whole lines never interleave), open_line/open_shown, raw_vm/raw_open, the
 * focus, every guest's console_line and input queue, and the operator console's state. Taken on
 * entry to every public function here; a hart that holds it may take it again (a log line from
 * inside a guest's stop, the operator's restart), so it counts its depth. Order: before the frames
 * lock; nothing waits on a guest with it held. */
static struct spinlock con_lock;
static uint32_t con_owner; /* pcpu id + 1 of the hart holding it, 0 when free */
static unsigned con_depth;

static void con_enter(void)
{
    uint32_t me = arch_this_cpu()->id + 1;

    /* Only this hart ever stores its own id: if it reads its id, it holds the lock. */
    if (__atomic_load_n(&con_owner, __ATOMIC_RELAXED) == me) {
        con_depth++;
        return;
    }
    spin_lock(&con_lock);
    __atomic_store_n(&con_owner, me, __ATOMIC_RELAXED);
    con_depth = 1;
}

static void con_leave(void)
{
    if (--con_depth == 0) {
        __atomic_store_n(&con_owner, 0u, __ATOMIC_RELAXED);
        spin_unlock(&con_lock);
    }
}

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
    con_enter();
    close_open_line();
    puts_raw(prefix);
    puts_raw(buf);
    puts_raw(suffix);
    con_leave();
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

static void locked_guest_flush(struct vm *vm)
{
    if (vm->console_len > 0) {
        emit(vm, false);
    }
}

static void locked_guest_end(struct vm *vm)
{
    if (vm->console_len > 0 || open_line == vm) {
        emit(vm, true);
    }
}

static void locked_guest_putc(struct vm *vm, char c)
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
        locked_guest_flush(vm);
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
    /* vm runs, so it is one of those counted. */
    bool others = __atomic_load_n(&vms_running, __ATOMIC_RELAXED) > 1;
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

bool console_guest_putc_quick(struct vm *vm, char c)
{
    /* vm may be an alias of the VM (see console.h): pointers are compared by id. A VM on several
     * harts keeps its line buffer under its lock, which the whole way takes. */
    if (vm->id == __atomic_load_n(&raw_id, __ATOMIC_RELAXED) || vm->spans_harts || c < 0x20 || c >= 0x7f ||
        vm->console_len >= CONSOLE_LINE_MAX - 2 || console_guest_fits(vm, &c, 1) == 0) {
        return false;
    }
    if (__atomic_load_n(&vms_running, __ATOMIC_RELAXED) > 1) {
        if (vm->console_slice_bytes >= CONSOLE_SLICE_BYTES) {
            return false;
        }
        vm->console_slice_bytes++;
    }
    vm->console_line[vm->console_len++] = c;
    return true;
}

static void locked_guest_write(struct vm *vm, const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        locked_guest_putc(vm, buf[i]);
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

static void locked_start(void)
{
    if (boot_options.raw_console) {
        for (unsigned i = 0; i < nvms && !raw_vm; i++) {
            const char *want = boot_options.raw_name;
            bool named = !want[0] || strcmp(vms[i].cfg->name, want) == 0;
            if (named && vms[i].state == VM_RUNNING) {
                raw_vm = &vms[i];
                raw_id = vms[i].id;
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

static void locked_focus_next(void)
{
    focus_search(0);
}

static void locked_focus_step(void)
{
    focus_search(1);
}

static void locked_focus(struct vm *vm)
{
    focus = vm->id;
    announce();
}

struct vm *console_focused(void)
{
    return focus < nvms ? &vms[focus] : (struct vm *)0;
}

/* Bytes for the focused guest, read from the UART (or typed for it by the operator console) under
 * the console lock; handed to the guest after the lock is dropped, under its VM's lock: a guest's
 * device state is never touched with the console lock held (lock order: VM, then console). */
#define KEYS_MAX 64
static uint8_t keys[KEYS_MAX];
static unsigned nkeys;

static void locked_input(uint8_t c)
{
    if (nkeys < KEYS_MAX) {
        keys[nkeys++] = c;
    }
}

/* Reads what the host console has: the operator console takes its keys, the rest is queued for the
 * focused guest. Returns that guest, or NULL when its hart is another (it reads there). */
static struct vm *read_input(void)
{
    int c;
    struct vm *f = console_focused();

    /* Input raises the focused guest's device interrupts: only the hart of its vCPU 0 takes it in
     * (any hart may, while it is stopped: its input is dropped then, operator keys still work). */
    if (f && f->state == VM_RUNNING && f->pcpu != arch_this_cpu()) {
        return (struct vm *)0;
    }
    while (nkeys < KEYS_MAX && (c = console_hw_getc()) >= 0) {
        if (!opcon_key((uint8_t)c)) {
            locked_input((uint8_t)c);
        }
    }
    return console_focused();
}

/* Takes the queued bytes (console lock held) into buf. */
static unsigned take_keys(uint8_t *buf)
{
    unsigned n = nkeys;

    memcpy(buf, keys, n);
    nkeys = 0;
    return n;
}

/* Hands bytes to a guest (console lock not held). A guest that does not read its input loses the
 * oldest bytes, never anyone else's. */
static void deliver(struct vm *vm, const uint8_t *buf, unsigned n)
{
    if (!vm || n == 0) {
        return;
    }
    bool taken = vm_lock(vm);
    for (unsigned i = 0; i < n && vm->state == VM_RUNNING; i++) {
        if (vm->input_count == CONSOLE_INPUT_MAX) {
            vm->input_head = (vm->input_head + 1) % CONSOLE_INPUT_MAX;
            vm->input_count--;
        }
        vm->input[(vm->input_head + vm->input_count) % CONSOLE_INPUT_MAX] = buf[i];
        vm->input_count++;
        devices_console_input(vm);
    }
    vm_unlock(vm, taken);
}

/* The public entry points: each takes the console lock around its work. */
void console_guest_flush(struct vm *vm)
{
    /* Nothing buffered, nothing to show: the line buffer is the VM's, written only on its hart, so
     * this hart may look without the lock (a guest polling its UART comes here on every read). */
    if (vm->console_len == 0) {
        return;
    }
    con_enter();
    locked_guest_flush(vm);
    con_leave();
}

void console_guest_end(struct vm *vm)
{
    con_enter();
    locked_guest_end(vm);
    con_leave();
}

void console_guest_putc(struct vm *vm, char c)
{
    /* The common byte only grows the VM's own line buffer (its hart's alone; raw_vm is set once at
     * boot): no lock. Newlines, edits, control bytes and a full buffer reach the terminal's state. */
    if (vm != raw_vm && c >= 0x20 && c < 0x7f && vm->console_len < CONSOLE_LINE_MAX - 2) {
        vm->console_line[vm->console_len++] = c;
        return;
    }
    con_enter();
    locked_guest_putc(vm, c);
    con_leave();
}

void console_guest_write(struct vm *vm, const char *buf, size_t len)
{
    con_enter();
    locked_guest_write(vm, buf, len);
    con_leave();
}

void console_start(void)
{
    con_enter();
    locked_start();
    con_leave();
}

void console_focus_next(void)
{
    con_enter();
    locked_focus_next();
    con_leave();
}

void console_focus_step(void)
{
    con_enter();
    locked_focus_step();
    con_leave();
}

void console_focus(struct vm *vm)
{
    con_enter();
    locked_focus(vm);
    con_leave();
}

void console_input(uint8_t c)
{
    con_enter();
    locked_input(c);
    con_leave();
}

void console_poll(void)
{
    uint8_t buf[KEYS_MAX];

    struct opcon_cmd cmds[OPCON_PENDING_MAX];

    con_enter();
    struct vm *f = read_input();
    unsigned n = take_keys(buf);
    unsigned ncmds = opcon_take_pending(cmds);
    con_leave();
    deliver(f, buf, n);
    /* Only the scheduler calls this, where no exit is half done (between exits, or at the end of
     * a timer exit): what the operator asked of a guest's life happens here, never in the middle of
     * an SBI read that would then write into a guest's freed RAM. */
    opcon_run(cmds, ncmds);
}

int console_guest_getc(struct vm *vm)
{
    uint8_t buf[KEYS_MAX];

    /* A guest that reads input is waiting for it: show its prompt. */
    console_guest_flush(vm);
    con_enter();
    struct vm *f = read_input();
    unsigned n = take_keys(buf);
    con_leave();
    deliver(f, buf, n);
    /* Its input queue is its VM's: the caller (its exit) holds what protects it. */
    if (vm->input_count == 0) {
        return -1;
    }
    int c = vm->input[vm->input_head];
    vm->input_head = (vm->input_head + 1) % CONSOLE_INPUT_MAX;
    vm->input_count--;
    return c;
}
