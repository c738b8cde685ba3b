// SPDX-License-Identifier: MIT
// The guest kernel's commonest privileged instructions with edge values, each run ROUNDS times so
// that the trap engine patches it and its short path in assembly (arch/riscv/tfast.S) takes it:
// sscratch swapped through every register, sepc bit 0, scause and stval under every CSR form,
// sstatus read-only bits, SIE, SUM and FS changes, sret with forged SPP/SPIE, and interrupts that a
// set SIE or an sret lets in. Each case prints its mismatches against the privileged spec and a
// checksum of every value read: tests/e2e/test_trap.py wants no mismatch and the same checksums on
// hext (the hardware's own VS-mode CSRs) as on the trap engine.
#include "guest.h"

#define ROUNDS 300
#define SIE_BIT (1ul << 1)
#define SPIE_BIT (1ul << 5)
#define SPP_BIT (1ul << 8)
#define FS_MASK (3ul << 13)
#define SUM_BIT (1ul << 18)
#define SD_BIT (1ul << 63)
#define SSIP (1ul << 1)
/* Bits a guest kernel can never change through sstatus: SD (follows FS), UXL, XS, VS, UBE and
 * bits no sstatus has (MIE, MPIE, MPP, MPRV). */
#define SSTATUS_RO                                                                                 \
    ((1ul << 63) | (3ul << 32) | (3ul << 15) | (3ul << 9) | (1ul << 6) | (1ul << 3) | (1ul << 7) | \
     (3ul << 11) | (1ul << 17))

static unsigned bad, checks, first_bad;
static uint64_t sum, first_got, first_want;

static void check(uint64_t got, uint64_t want)
{
    sum = sum * 1000003u + got;
    if (got != want && !bad++) {
        first_bad = checks;
        first_got = got;
        first_want = want;
    }
    checks++;
}

static void report(const char *name)
{
    kprintf("privfast: %s bad %u sum %lx\n", name, bad, (unsigned long)sum);
    if (bad) {
        kprintf("privfast: %s first mismatch: check %u read 0x%lx, the spec says 0x%lx\n",
                name,
                first_bad,
                (unsigned long)first_got,
                (unsigned long)first_want);
    }
    bad = checks = 0;
    sum = 0;
}

/* An exit the trap engine's full path takes (sie is 0 throughout): it patches what the short path
 * emulated since the last one, so every instruction below is patched within a few rounds. */
static void full_exit(void)
{
    __asm__ volatile("csrw sie, zero");
}

/* A value of many shapes per round: high bits, low bit, all ones. */
static uint64_t pattern(unsigned r)
{
    uint64_t x = (uint64_t)(r + 1) * 0x9e3779b97f4a7c15ul;

    return r % 7 == 0 ? ~0ul : r % 5 == 0 ? 1ul << (r % 64) : x;
}

/* ---- sscratch swapped through each register (the short path's register tables) ---- */
uint64_t tf_key, tf_val[32], tf_got[32], tf_back[32], tf_saved[32];

/* For each xN: sscratch = key, xN = val[N], csrrw xN, sscratch, xN, then got[N] = xN and
 * back[N] = sscratch. Every register is saved first and restored last; no trap may come in between
 * (interrupts are off and everything touched is mapped), since the guest's trap entry uses
 * sscratch. */
__asm__(
  ".text\n"
  ".globl tf_swap_all\n"
  "tf_swap_all:\n"
  "    csrw sscratch, t0\n"
  "    lla t0, tf_saved\n"
  "    .irp n, 1,2,3,4,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
  "    sd x\\n, 8*\\n(t0)\n"
  "    .endr\n"
  "    csrr t1, sscratch\n"
  "    sd t1, 40(t0)\n"
  "    .irp n, "
  "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
  "    .if \\n == 5\n"
  "    lla t1, tf_key\n"
  "    ld t1, 0(t1)\n"
  "    csrw sscratch, t1\n"
  "    lla t1, tf_val\n"
  "    ld x5, 40(t1)\n"
  "    csrrw x5, sscratch, x5\n"
  "    lla t1, tf_got\n"
  "    sd x5, 40(t1)\n"
  "    csrr x5, sscratch\n"
  "    lla t1, tf_back\n"
  "    sd x5, 40(t1)\n"
  "    .else\n"
  "    lla t0, tf_key\n"
  "    ld t0, 0(t0)\n"
  "    csrw sscratch, t0\n"
  "    lla t0, tf_val\n"
  "    ld x\\n, 8*\\n(t0)\n"
  "    csrrw x\\n, sscratch, x\\n\n"
  "    lla t0, tf_got\n"
  "    sd x\\n, 8*\\n(t0)\n"
  "    csrr x\\n, sscratch\n"
  "    lla t0, tf_back\n"
  "    sd x\\n, 8*\\n(t0)\n"
  "    .endif\n"
  "    .endr\n"
  "    lla t0, tf_saved\n"
  "    .irp n, 1,2,3,4,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
  "    ld x\\n, 8*\\n(t0)\n"
  "    .endr\n"
  "    ld t0, 40(t0)\n"
  "    ret\n");
void tf_swap_all(void);

static void swap_all_registers(void)
{
    for (unsigned r = 0; r < ROUNDS; r++) {
        tf_key = pattern(r);
        for (unsigned n = 1; n < 32; n++) {
            tf_val[n] = pattern(r + n) ^ n;
        }
        tf_swap_all();
        full_exit();
        for (unsigned n = 1; n < 32; n++) {
            check(tf_got[n], tf_key);
            check(tf_back[n], tf_val[n]);
        }
    }
    report("sscratch-every-register");
}

/* ---- sepc, scause, stval under each CSR form ---- */
#define CSR_FORMS(csr, v, m, mask)                                                                 \
    do {                                                                                           \
        uint64_t o1, o2, o3, o4, o5, o6, now;                                                      \
        __asm__ volatile("csrrw %0, " csr ", %1" : "=r"(o1) : "r"(v));                             \
        __asm__ volatile("csrrs %0, " csr ", %1" : "=r"(o2) : "r"(m));                             \
        __asm__ volatile("csrrc %0, " csr ", %1" : "=r"(o3) : "r"(v));                             \
        __asm__ volatile("csrrwi %0, " csr ", 0x15" : "=r"(o4));                                   \
        __asm__ volatile("csrrsi %0, " csr ", 0x0b" : "=r"(o5));                                   \
        __asm__ volatile("csrrci %0, " csr ", 0x03" : "=r"(o6));                                   \
        __asm__ volatile("csrr %0, " csr : "=r"(now));                                             \
        (void)o1;                                                                                  \
        check(o2, (v) & (mask));                                                                   \
        check(o3, ((v) | (m)) & (mask));                                                           \
        check(o4, ((((v) | (m)) & (mask)) & ~(v)) & (mask));                                       \
        check(o5, 0x15ul & (mask));                                                                \
        check(o6, 0x1ful & (mask));                                                                \
        check(now, 0x1cul & (mask));                                                               \
    } while (0)

static void plain_csrs(void)
{
    uint64_t sepc0, scause0, stval0;

    __asm__ volatile("csrr %0, sepc" : "=r"(sepc0));
    __asm__ volatile("csrr %0, scause" : "=r"(scause0));
    __asm__ volatile("csrr %0, stval" : "=r"(stval0));
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint64_t v = pattern(r), m = pattern(r + 3);
        CSR_FORMS("sepc", v, m, ~1ul); /* IALIGN 16: bit 0 always reads 0 */
        CSR_FORMS("scause", v, m, ~0ul);
        CSR_FORMS("stval", v, m, ~0ul);
        full_exit();
    }
    __asm__ volatile("csrw sepc, %0" : : "r"(sepc0));
    __asm__ volatile("csrw scause, %0" : : "r"(scause0));
    __asm__ volatile("csrw stval, %0" : : "r"(stval0));
    report("sepc-scause-stval");
}

/* ---- sstatus ---- */
static uint64_t sstatus_read(void)
{
    uint64_t s;
    __asm__ volatile("csrr %0, sstatus" : "=r"(s));
    return s;
}

static const uint64_t kernel_word = 0x5a5a1234;

static void sstatus_cases(void)
{
    uint64_t s0 = sstatus_read(), ro = SSTATUS_RO, o;

    for (unsigned r = 0; r < ROUNDS; r++) {
        /* Read-only bits: neither set nor cleared, the reads unchanged. */
        __asm__ volatile("csrrs %0, sstatus, %1" : "=r"(o) : "r"(ro));
        check(o, s0);
        __asm__ volatile("csrrc %0, sstatus, %1" : "=r"(o) : "r"(ro));
        check(o, s0);
        check(sstatus_read(), s0);
        /* SIE on and off (nothing pending is enabled: sie is 0 here). */
        __asm__ volatile("csrrsi %0, sstatus, 2" : "=r"(o));
        check(o, s0);
        check(sstatus_read(), s0 | SIE_BIT);
        __asm__ volatile("csrrci %0, sstatus, 2" : "=r"(o));
        check(o, s0 | SIE_BIT);
        /* SUM: on the trap engine another shadow view, which must map the kernel as well. */
        uint64_t sum_bit = SUM_BIT, w;
        __asm__ volatile("csrrs %0, sstatus, %1" : "=r"(o) : "r"(sum_bit));
        check(o, s0);
        w = *(volatile const uint64_t *)&kernel_word;
        check(w, 0x5a5a1234);
        __asm__ volatile("csrrc %0, sstatus, %1" : "=r"(o) : "r"(sum_bit));
        check(o, s0 | SUM_BIT);
        /* FS through every state, SD following Dirty; then back. */
        for (uint64_t fs = 0; fs < 4; fs++) {
            uint64_t fsm = FS_MASK, f = fs << 13;
            __asm__ volatile("csrc sstatus, %0" : : "r"(fsm));
            __asm__ volatile("csrs sstatus, %0" : : "r"(f));
            uint64_t want = (s0 & ~(FS_MASK | SD_BIT)) | f | (fs == 3 ? SD_BIT : 0);
            check(sstatus_read(), want);
        }
        uint64_t fsm = FS_MASK, f0 = s0 & FS_MASK;
        __asm__ volatile("csrc sstatus, %0" : : "r"(fsm));
        __asm__ volatile("csrs sstatus, %0" : : "r"(f0));
        check(sstatus_read() & ~SD_BIT, s0 & ~SD_BIT);
        /* A whole-register write of what was read changes nothing. */
        __asm__ volatile("csrrw %0, sstatus, %1" : "=r"(o) : "r"(s0));
        check(sstatus_read() & ~SD_BIT, s0 & ~SD_BIT);
        full_exit();
    }
    report("sstatus");
}

/* ---- sret with forged SPP/SPIE/SIE, staying in the kernel ---- */
static void sret_cases(void)
{
    uint64_t s0 = sstatus_read();

    for (unsigned r = 0; r < ROUNDS; r++) {
        for (unsigned c = 0; c < 4; c++) {
            uint64_t spie = c & 1 ? SPIE_BIT : 0, sie = c & 2 ? SIE_BIT : 0,
                     clr = SPIE_BIT | SIE_BIT;
            uint64_t set = SPP_BIT | spie | sie, s, pc, at;
            __asm__ volatile("csrc sstatus, %0" : : "r"(clr));
            __asm__ volatile("csrs sstatus, %0" : : "r"(set));
            __asm__ volatile("lla t0, 1f\n"
                             "csrw sepc, t0\n"
                             "sret\n"
                             "1: lla %2, 1b\n"
                             "csrr %0, sstatus\n"
                             "csrr %1, sepc"
                             : "=r"(s), "=r"(pc), "=r"(at)
                             :
                             : "t0", "memory");
            uint64_t want = (s0 & ~(SIE_BIT | SPP_BIT)) | SPIE_BIT | (spie ? SIE_BIT : 0);
            check(s, want);
            check(pc, at);
            __asm__ volatile("csrci sstatus, 2");
        }
        full_exit();
    }
    __asm__ volatile("csrw sstatus, %0" : : "r"(s0));
    report("sret-forged-spp-spie");
}

/* ---- interrupts let in by SIE or sret: taken at once, at the next instruction ---- */
static volatile unsigned soft_irqs;
static volatile uint64_t soft_epc;

static bool soft_hook(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    (void)tval;
    if (cause != (CAUSE_IRQ | 1)) {
        return false;
    }
    __asm__ volatile("csrc sip, %0" : : "r"(SSIP));
    soft_irqs++;
    soft_epc = f->sepc;
    return true;
}

static void irq_cases(void)
{
    uint64_t s0 = sstatus_read(), ssie = SSIP, ssip = SSIP;

    trap_set_hook(soft_hook);
    __asm__ volatile("csrs sie, %0" : : "r"(ssie));
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint64_t at;
        unsigned before = soft_irqs;
        __asm__ volatile("csrs sip, %0" : : "r"(ssip));
        __asm__ volatile("lla %0, 1f\n"
                         "csrsi sstatus, 2\n"
                         "1: csrci sstatus, 2"
                         : "=r"(at)
                         :
                         : "memory");
        check(soft_irqs - before, 1);
        check(soft_epc, at);
    }
    report("irq-on-sie-set");
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint64_t at, set = SPP_BIT | SPIE_BIT;
        unsigned before = soft_irqs;
        __asm__ volatile("csrs sip, %0" : : "r"(ssip));
        __asm__ volatile("csrs sstatus, %0" : : "r"(set));
        __asm__ volatile("lla %0, 1f\n"
                         "csrw sepc, %0\n"
                         "sret\n"
                         "1: csrci sstatus, 2"
                         : "=&r"(at)
                         :
                         : "memory");
        check(soft_irqs - before, 1);
        check(soft_epc, at);
    }
    report("irq-on-sret");
    __asm__ volatile("csrc sie, %0" : : "r"(ssie));
    __asm__ volatile("csrw sstatus, %0" : : "r"(s0));
    trap_set_hook(0);
}

/* ---- system calls of a task: the forwarded ecall and the sret back to user mode ---- */
static USER_TEXT void getpid_task(long n)
{
    for (long i = 0; i < n; i++) {
        sys_call(SYS_GETPID, 0, 0);
    }
    sys_call(SYS_EXIT, 0, 0);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    uint64_t sie0, sscratch0, s0 = sstatus_read();

    (void)hartid;
    (void)dtb;
    __asm__ volatile("csrci sstatus, 2");
    __asm__ volatile("csrrw %0, sie, zero" : "=r"(sie0));
    __asm__ volatile("csrr %0, sscratch" : "=r"(sscratch0));
    swap_all_registers();
    __asm__ volatile("csrw sscratch, %0" : : "r"(sscratch0));
    plain_csrs();
    sstatus_cases();
    sret_cases();
    irq_cases();
    __asm__ volatile("csrw sie, %0" : : "r"(sie0));
    __asm__ volatile("csrw sstatus, %0" : : "r"(s0));
    task_create(getpid_task, ROUNDS);
    task_create(getpid_task, ROUNDS);
    kprintf("privfast: tasks %d\n", task_run_all());
    kprintf("privfast: done\n");
}
