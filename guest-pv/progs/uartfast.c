// SPDX-License-Identifier: MIT
// The UART's edge cases for the hypervisor's device fast path: every load and store width, signed
// and unsigned, data registers it saves and ones it does not (s-registers: saved later), a
// compressed load, LSR/IIR/RBR state, addresses just past the registers (an access fault each),
// then two vCPUs reading LSR and IIR while one of them transmits through THR.
#include "guest.h"

#define UART 0x10000000ul
#define LOOPS 3000

static unsigned failures;
static volatile uint64_t faults, fault_cause, fault_tval;
static volatile unsigned hart1_done, hart1_bad;
static uint8_t stack1[4096] __attribute__((aligned(16)));

static void expect(const char *what, long got, long want)
{
    if (got == want) {
        kprintf("uartfast: %s: ok\n", what);
    } else {
        kprintf("uartfast: %s: FAIL (got %ld, want %ld)\n", what, got, want);
        failures++;
    }
}

/* Loads and stores with the data register chosen here (the fast path saves only some). */
#define LOAD(insn, reg, off)                                                                        \
    ({                                                                                              \
        register long r_ __asm__(reg);                                                              \
        __asm__ volatile(insn " %0, %1(%2)" : "=r"(r_) : "i"(off), "r"(UART) : "memory");          \
        r_;                                                                                         \
    })
#define STORE(insn, reg, off, v)                                                                    \
    do {                                                                                            \
        register long r_ __asm__(reg) = (long)(v);                                                  \
        __asm__ volatile(insn " %0, %1(%2)" : : "r"(r_), "i"(off), "r"(UART) : "memory");          \
    } while (0)

/* An access the UART does not decode raises an access fault: counted, and stepped over. */
static bool fault_hook(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    if (cause != 5 && cause != 7) { /* load / store access fault */
        return false;
    }
    faults++;
    fault_cause = cause;
    fault_tval = tval;
    f->sepc += 4;
    return true;
}

static void widths_and_registers(void)
{
    STORE("sb", "t1", 7, 0xa5); /* SCR */
    expect("lbu of SCR into a5", LOAD("lbu", "a5", 7), 0xa5);
    expect("lb of SCR sign-extends", LOAD("lb", "t3", 7), -91);
    expect("lb of SCR into s2 (unsaved register)", LOAD("lb", "s2", 7), -91);
    STORE("sb", "s3", 7, 0x3c);
    expect("sb from s3 (unsaved register)", LOAD("lbu", "a0", 7), 0x3c);
    STORE("sb", "a7", 7, 0x1ff); /* only the low byte reaches the register */
    expect("sb keeps the low byte", LOAD("lbu", "t6", 7), 0xff);
    expect("lb of MSR (0xb0) is negative", LOAD("lb", "a1", 6), -80);
    expect("lh of MSR is the byte, unsigned", LOAD("lh", "a2", 6), 0xb0);
    expect("lhu of MSR", LOAD("lhu", "t0", 6), 0xb0);
    STORE("sw", "a3", 4, 0xffffff03); /* MCR: 5 bits kept */
    expect("lw of MCR", LOAD("lw", "a4", 4), 0x03);
    expect("lwu of MCR", LOAD("lwu", "t2", 4), 0x03);
    STORE("sb", "t4", 3, 0x83); /* LCR with DLAB */
    STORE("sd", "t5", 0, 0x1122334455667712l);
    expect("ld of DLL", LOAD("ld", "a6", 0), 0x12);
    expect("lw of DLL", LOAD("lw", "a5", 0), 0x12);
    STORE("sh", "a5", 0, 0x0134);
    expect("sh to DLL, lhu back", LOAD("lhu", "a5", 0), 0x34);
    expect("lbu of LCR", LOAD("lbu", "a5", 3), 0x83);
    STORE("sb", "a5", 3, 0x03);
    expect("IER visible again", LOAD("lbu", "a5", 1), 0);
    __asm__ volatile("lbu zero, 5(%0)" : : "r"(UART) : "memory"); /* a load into x0: discarded */
    expect("LSR after a load into x0", LOAD("lbu", "a5", 5), 0x60);
    {
        register long v __asm__("a0");
        register unsigned long base __asm__("a1") = UART;
        __asm__ volatile(".option push\n\t.option arch, +c\n\tc.lw %0, 4(%1)\n\t.option pop"
                         : "=r"(v) : "r"(base) : "memory");
        expect("compressed c.lw of MCR", v, 0x03);
    }
    STORE("sb", "a5", 4, 0); /* MCR off */
}

static void line_state(void)
{
    expect("LSR idle (THRE|TEMT)", LOAD("lbu", "a5", 5), 0x60);
    expect("IIR: no interrupt, FIFO off", LOAD("lbu", "a5", 2), 0x01);
    STORE("sb", "a5", 1, 0x02); /* IER: ETBEI raises THRE at once */
    expect("IIR: THRE", LOAD("lbu", "a5", 2) & 0x0f, 0x02);
    expect("IIR: THRE acknowledged by the read", LOAD("lbu", "a5", 2) & 0x0f, 0x01);
    STORE("sb", "a5", 1, 0x00);
    STORE("sb", "a5", 4, 0x10); /* loopback */
    STORE("sb", "a2", 0, 'Q');
    STORE("sb", "t0", 0, 'R');
    expect("loopback: LSR data ready", LOAD("lbu", "a5", 5) & 1, 1);
    expect("loopback: first byte", LOAD("lbu", "a5", 0), 'Q');
    expect("loopback: second byte into s4 (unsaved register)", LOAD("lbu", "s4", 0), 'R');
    expect("loopback: LSR empty again", LOAD("lbu", "a5", 5), 0x60);
    STORE("sb", "a5", 4, 0x00);
}

static void outside(void)
{
    trap_set_hook(fault_hook);
    LOAD("lbu", "a5", 8);
    expect("load at UART+8 faults", (long)faults, 1);
    expect("its cause and address", (long)(fault_cause == 5 && fault_tval == UART + 8), 1);
    STORE("sb", "a5", 0xff, 1);
    expect("store at UART+0xff faults", (long)(faults == 2 && fault_cause == 7), 1);
    (void)*(volatile uint32_t *)(UART + 0x100);
    expect("load past the UART's 256 bytes faults", (long)(faults == 3 && fault_tval == UART + 0x100), 1);
    trap_set_hook((trap_hook)0);
}

static void hart1(unsigned long hartid)
{
    static const char line[] = "uartfast: hart 1 wrote this through THR\n";
    (void)hartid;
    for (unsigned i = 0; i < LOOPS; i++) {
        if (LOAD("lbu", "a4", 5) != 0x60 || LOAD("lbu", "t3", 2) != 0x01) {
            hart1_bad++;
        }
    }
    for (const char *p = line; *p; p++) {
        while (!(LOAD("lbu", "a4", 5) & 0x20)) {
        }
        STORE("sb", "a3", 0, *p);
    }
    __atomic_store_n(&hart1_done, 1, __ATOMIC_RELEASE);
}

static void two_harts(void)
{
    unsigned bad = 0;

    expect("start hart 1", start_secondary(1, hart1, stack1 + sizeof stack1), 0);
    while (!__atomic_load_n(&hart1_done, __ATOMIC_ACQUIRE)) {
        if (LOAD("lbu", "a5", 5) != 0x60) {
            bad++;
        }
    }
    for (unsigned i = 0; i < LOOPS; i++) {
        if (LOAD("lbu", "t1", 5) != 0x60 || LOAD("lbu", "a0", 2) != 0x01) {
            bad++;
        }
    }
    expect("hart 0: LSR and IIR steady", bad, 0);
    expect("hart 1: LSR and IIR steady", hart1_bad, 0);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    widths_and_registers();
    line_state();
    outside();
    two_harts();
    kprintf("uartfast: %u failures\n", failures);
}
