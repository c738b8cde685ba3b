// SPDX-License-Identifier: MIT
// Guest fuzzer in the spirit of HYPER-CUBE: a seeded stream of random SBI calls, hypercalls, CSR
// accesses, instructions and device accesses, each shaped so that the guest itself survives
// whatever the hypervisor answers. What is under test is the hypervisor: it must never panic, hang,
// or stop another guest. Bootargs: fuzz.seed= fuzz.n= (operations), fuzz.every= (progress line
// period), fuzz.trace= (print every operation from that iteration on), fuzz.fatal=1 (device
// accesses may go anywhere, which stops this guest: a contained guest fault), fuzz.misaligned=1
// (misaligned stores into shadowed page tables too, which the trap engine refuses by stopping the
// guest).
//
// Memory this program may let the hypervisor write into ("junk"): its own buffers below, the table
// frames it takes from the kernel's pool, and the top of RAM above the pool (mm.c's layout), which
// nothing else uses once the device tree has been read. Every address it hands out for writing is
// junk or lies wholly outside RAM; everything else in RAM is only ever read.
#include "fuzz/fuzz_int.h"

/* The instruction slot (in .text, which the kernel maps writable): up to four words, then a jump
 * back to fz_back. fz_exec loads x1..x31 from fz_regs and jumps to the slot; any trap taken in the
 * slot resumes at fz_back (fuzz_hook). Linker relaxation is off: gp holds a fuzzed value until
 * fz_back has restored it. */
__asm__(".option push\n"
        ".option norelax\n"
        ".pushsection .text.fuzzslot, \"ax\"\n"
        ".balign 16\n"
        ".globl fz_slot\n"
        "fz_slot:\n"
        ".word 0x13, 0x13, 0x13, 0x13\n"
        "j fz_back\n"
        ".popsection\n"
        ".pushsection .text.fuzzexec, \"ax\"\n"
        ".globl fz_exec, fz_back, fz_park\n"
        "fz_exec:\n"
        "la t0, fz_save\n"
        "sd ra, 0(t0)\n sd sp, 8(t0)\n sd gp, 16(t0)\n sd tp, 24(t0)\n"
        "sd s0, 32(t0)\n sd s1, 40(t0)\n sd s2, 48(t0)\n sd s3, 56(t0)\n"
        "sd s4, 64(t0)\n sd s5, 72(t0)\n sd s6, 80(t0)\n sd s7, 88(t0)\n"
        "sd s8, 96(t0)\n sd s9, 104(t0)\n sd s10, 112(t0)\n sd s11, 120(t0)\n"
        "la x31, fz_regs\n"
        "ld x1, 8(x31)\n ld x2, 16(x31)\n ld x3, 24(x31)\n ld x4, 32(x31)\n"
        "ld x5, 40(x31)\n ld x6, 48(x31)\n ld x7, 56(x31)\n ld x8, 64(x31)\n"
        "ld x9, 72(x31)\n ld x10, 80(x31)\n ld x11, 88(x31)\n ld x12, 96(x31)\n"
        "ld x13, 104(x31)\n ld x14, 112(x31)\n ld x15, 120(x31)\n ld x16, 128(x31)\n"
        "ld x17, 136(x31)\n ld x18, 144(x31)\n ld x19, 152(x31)\n ld x20, 160(x31)\n"
        "ld x21, 168(x31)\n ld x22, 176(x31)\n ld x23, 184(x31)\n ld x24, 192(x31)\n"
        "ld x25, 200(x31)\n ld x26, 208(x31)\n ld x27, 216(x31)\n ld x28, 224(x31)\n"
        "ld x29, 232(x31)\n ld x30, 240(x31)\n ld x31, 248(x31)\n"
        "j fz_slot\n"
        "fz_back:\n"
        /* Every register as the slot left it, into fz_out: sscratch lends a register for the
         * address (nothing can trap in between, and it is zero again before anything can). */
        "csrw sscratch, t0\n"
        "la t0, fz_out\n"
        "sd x1, 8(t0)\n sd x2, 16(t0)\n sd x3, 24(t0)\n sd x4, 32(t0)\n"
        "sd x6, 48(t0)\n sd x7, 56(t0)\n sd x8, 64(t0)\n"
        "sd x9, 72(t0)\n sd x10, 80(t0)\n sd x11, 88(t0)\n sd x12, 96(t0)\n"
        "sd x13, 104(t0)\n sd x14, 112(t0)\n sd x15, 120(t0)\n sd x16, 128(t0)\n"
        "sd x17, 136(t0)\n sd x18, 144(t0)\n sd x19, 152(t0)\n sd x20, 160(t0)\n"
        "sd x21, 168(t0)\n sd x22, 176(t0)\n sd x23, 184(t0)\n sd x24, 192(t0)\n"
        "sd x25, 200(t0)\n sd x26, 208(t0)\n sd x27, 216(t0)\n sd x28, 224(t0)\n"
        "sd x29, 232(t0)\n sd x30, 240(t0)\n sd x31, 248(t0)\n"
        "csrrw t1, sscratch, zero\n"
        "sd t1, 40(t0)\n"
        "la t0, fz_save\n"
        "ld ra, 0(t0)\n ld sp, 8(t0)\n ld gp, 16(t0)\n ld tp, 24(t0)\n"
        "ld s0, 32(t0)\n ld s1, 40(t0)\n ld s2, 48(t0)\n ld s3, 56(t0)\n"
        "ld s4, 64(t0)\n ld s5, 72(t0)\n ld s6, 80(t0)\n ld s7, 88(t0)\n"
        "ld s8, 96(t0)\n ld s9, 104(t0)\n ld s10, 112(t0)\n ld s11, 120(t0)\n"
        "ret\n"
        /* A secondary vCPU started through HSM stops itself at once (a0 = hart id, a1 = opaque). */
        "fz_park:\n"
        "li a7, 0x48534d\n li a6, 1\n ecall\n"
        "1: wfi\n j 1b\n"
        ".popsection\n"
        ".option pop\n");

uint64_t fz_regs[32], fz_out[32], fz_save[16];

/* Where the slot's loads and stores land: every register points into fz_data, sp into fz_stack,
 * whatever 12-bit offset the instruction adds. */
uint8_t fz_data[8192] __attribute__((aligned(4096)));
uint8_t fz_stack[16384] __attribute__((aligned(4096)));

uint64_t rng, seed, iter, nops, unexpected, slot_traps, trace_from = ~0ul;
uint64_t fz_ram_base = 0x80000000ul, fz_ram_size = 16 * MB, ram_end, mo, feat;
uint64_t junk, junk_end; /* [junk, junk_end): the top of RAM, ours to spoil */
uint64_t *T[NT]; /* T[0] = R0 (root), T[1] = K1 (its kernel L1): a tree we may run on */
bool has_hv, validated, fv, devices, has_plic, has_vblk, fatal, misaligned, r0_ok;
unsigned opcount[8];


uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

bool chance(unsigned one_in)
{
    return below(one_in) == 0;
}

void uart_sane(void)
{
    /* Undo what the fuzzer did to the UART the fv console uses: divisor latch off, no loopback. */
    if (fv && devices) {
        *(volatile uint8_t *)(UART + 3) = 0x03;
        *(volatile uint8_t *)(UART + 4) = 0x08;
        *(volatile uint8_t *)(UART + 1) = 0x00;
    }
}


void unexpected_result(const char *what, long got)
{
    unexpected++;
    say("\nfuzz: UNEXPECTED seed %lu iteration %lu: %s (got %ld)\n",
        (unsigned long)seed,
        (unsigned long)iter,
        what,
        got);
}

/* ---- main loop ---- */

static void setup(void)
{
    if (guest_platform.nmem > 0) {
        fz_ram_base = guest_platform.mem[0].base;
        fz_ram_size = guest_platform.mem[0].size;
    }
    ram_end = fz_ram_base + fz_ram_size;
    junk = fz_ram_base + fz_ram_size / 2 + 2 * MB;
    junk_end = ram_end;
    has_hv = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, HV_EXT, 0, 0, 0, 0, 0).value > 0;
    if (has_hv) {
        feat = (uint64_t)sbi_call(HV_EXT, HV_FID_PROBE, 0, 0, 0, 0, 0, 0).value & 0xffffffffu;
        mo = (uint64_t)sbi_call(HV_EXT, HV_FID_MACHINE_OFFSET, 0, 0, 0, 0, 0, 0).value;
    }
    validated = pt_validated();
#ifdef GUEST_FLAVOUR_fv
    fv = true;
#endif
    /* Our device accesses need native tables (validated ones map no device) and the devices. */
    devices = !validated && guest_platform.uart.dev.present && guest_platform.uart.dev.base == UART;
    has_plic = devices && guest_platform.plic.dev.present && guest_platform.plic.dev.base == PLIC;
    for (unsigned i = 0; i < guest_platform.nvirtio; i++) {
        has_vblk |= devices && guest_platform.virtio[i].base == VBLK;
    }
    for (int i = 0; i < NT; i++) {
        T[i] = pt_alloc();
    }
    pt_commit();
    if (feat & HV_FEAT_BLK) {
        blk_cap =
          (uint64_t)sbi_call(HV_EXT, HV_FID_BLK_CTL, HV_BLK_CTL_CAPACITY, 0, 0, 0, 0, 0).value;
    }
    if (feat & HV_FEAT_MMU) {
        r0_build();
    }
    trap_set_hook(fuzz_hook);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    const char *s = bootarg("fuzz.seed"), *n = bootarg("fuzz.n"), *e = bootarg("fuzz.every");
    const char *t = bootarg("fuzz.trace"), *f = bootarg("fuzz.fatal");
    uint64_t every;

    seed = s ? parse_ulong(s) : 1;
    nops = n ? parse_ulong(n) : 10000;
    every = e ? parse_ulong(e) : 10000;
    trace_from = t ? parse_ulong(t) : ~0ul;
    fatal = f && parse_ulong(f) != 0;
    misaligned = bootarg("fuzz.misaligned") && parse_ulong(bootarg("fuzz.misaligned")) != 0;
    rng = seed;
    setup();
    say("fuzz: seed %lu, %lu operations (%s flavour, tables %s, devices %s, disk %lu sectors, "
        "features 0x%lx)\n",
        (unsigned long)seed,
        (unsigned long)nops,
        GUEST_FLAVOUR,
        validated ? "validated" : "native",
        devices ? "yes" : "no",
        (unsigned long)blk_cap,
        (unsigned long)feat);

    for (iter = 0; iter < nops; iter++) {
        if (every && iter % every == 0) {
            say("\nfuzz: seed %lu iteration %lu\n", (unsigned long)seed, (unsigned long)iter);
        }
        /* Each operation starts from a state that depends on the seed only. */
        rng = seed ^ (iter * 0xd1342543de82ef95ull);
        rnd();
        unsigned kind = (unsigned)below(devices ? 17 : 14);
        if (iter >= trace_from) {
            say("fuzz: iteration %lu kind %u\n", (unsigned long)iter, kind);
        }
        switch (kind) {
            case 0:
            case 1:
            case 2:
                op_sbi();
                opcount[0]++;
                break;
            case 3:
            case 4:
            case 5:
                if (has_hv) {
                    op_hypercall();
                }
                opcount[1]++;
                break;
            case 6:
                if (has_hv) {
                    op_set_root();
                }
                opcount[2]++;
                break;
            case 7:
            case 8:
                op_csr();
                opcount[3]++;
                break;
            case 9:
            case 10:
                op_insn();
                opcount[4]++;
                break;
            case 11:
                if (chance(2)) {
                    op_table_store();
                } else if (has_hv) {
                    op_native_pte();
                }
                opcount[5]++;
                break;
            case 12:
                if (has_hv && blk_cap) {
                    op_blk();
                }
                opcount[1]++;
                break;
            case 13:
                op_ecall();
                opcount[7]++;
                break;
            case 14:
            case 15:
                op_mmio();
                opcount[6]++;
                break;
            default:
                if (has_vblk && chance(8)) {
                    op_vblk_session();
                } else {
                    op_mmio();
                }
                opcount[6]++;
                break;
        }
    }
    say("\nfuzz: sbi %u hypercall %u set-root %u csr %u insn %u native-pte %u mmio %u ecall %u; "
        "%lu traps in the slot, root switches %s\n",
        opcount[0],
        opcount[1],
        opcount[2],
        opcount[3],
        opcount[4],
        opcount[5],
        opcount[6],
        opcount[7],
        (unsigned long)slot_traps,
        r0_ok ? "done" : "never succeeded");
    say("fuzz: %lu unexpected results\n", (unsigned long)unexpected);
    say("fuzz: done seed %lu, %lu operations\n", (unsigned long)seed, (unsigned long)nops);
}
