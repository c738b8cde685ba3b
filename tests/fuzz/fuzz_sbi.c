// SPDX-License-Identifier: MIT
// Fuzzes the SBI dispatcher and every extension behind it (hyp/sbi/*.c), the hypercalls included
// (hyp/pv/*.c: page tables through the validator, multicall, block I/O on a RAM disk), against a
// fake VM of 1 to 4 vCPUs with 256 KiB of RAM, on either engine's rules (hext, or trap where
// validated tables are the guest's real page tables and read-only to it). The input picks the VM,
// then runs a program of ecalls with a0..a7 random or near-valid (addresses in and around RAM,
// frames, PTEs, hart masks), stores of the guest into its RAM (arrays of updates, multicalls and
// block requests), and wake-ups. After every call: only a0 (and a1 for non-legacy calls) of the
// caller changed, pc moved past the ecall unless the vCPU was stopped or reset, error codes are the
// spec's, other vCPUs are untouched unless started, a root some vCPU translates with stays pinned,
// ptval_check() holds and, on the trap engine, slot 511 of every pinned root is still the
// hypervisor's.
#include <string.h>

#include "fuzz.h"
#include "hvabi.h"
#include <arch/arch.h>
#include "pv/pv.h"
#include "sbi/sbi.h"
#include "sbi_stubs.h"
#include "vm.h"

#define RAM_SIZE (256u * 1024)
#define RAM_FRAMES (RAM_SIZE / 4096)
#define DISK_SECTORS 64

static struct vm vm;
static uint8_t *ram;
static uint8_t disk[DISK_SECTORS * 512];
static bool tampered; /* the hext guest wrote one of its typed tables itself */
static bool trace;    /* FUZZ_TRACE=1: print every call (to read a crashing input) */

static uint64_t machine_offset(void)
{
    return arch_engine_trap ? vm.ram_hpa - VM_RAM_BASE : 0;
}

static uint64_t frame_ma(uint64_t frame)
{
    return VM_RAM_BASE + machine_offset() + frame * 4096;
}

static uint64_t pte_to(uint64_t ma, uint64_t flags)
{
    return (ma >> 12) << 10 | flags;
}

static unsigned frame_type(uint64_t frame)
{
    return vm.mmu.ready && frame < vm.mmu.val.nframes ? vm.mmu.val.frames[frame].type : PT_NONE;
}

/* ---- values for registers and guest memory ---- */

/* A frame of RAM, most often one of the first eight, so that tables, arrays and buffers meet. */
static uint64_t take_frame(struct fuzz_in *in)
{
    uint8_t b = fz_u8(in);
    return b < 0xc0 ? b % 8 : b % RAM_FRAMES;
}

/* A doubleword-aligned offset into RAM. */
static uint64_t take_off(struct fuzz_in *in)
{
    uint64_t f = take_frame(in);
    return f * 4096 + (fz_u16(in) % 512) * 8;
}

static uint64_t take_arg(struct fuzz_in *in)
{
    uint8_t s = fz_u8(in);
    switch (s % 10) {
    case 0: return fz_u64(in);
    case 1: return fz_u8(in);
    case 2: return VM_RAM_BASE + take_off(in);
    case 3: return frame_ma(take_frame(in)) + ((s & 0x80) ? 8u * (fz_u8(in) & 7) : 0);
    case 4: {
        static const uint64_t edge[] = {
            VM_RAM_BASE + RAM_SIZE, VM_RAM_BASE + RAM_SIZE - 8, VM_RAM_BASE + RAM_SIZE - 64,
            VM_RAM_BASE - 8, 0, ~0ull, ~0ull - 7, 1ull << 63, VM_RAM_BASE + RAM_SIZE - 512,
            0x1000, HV_MULTICALL_MAX, HV_MMU_BATCH_MAX + 1, 0x80000000ul, 0x80000001ul,
        };
        return edge[fz_u8(in) % (sizeof edge / sizeof edge[0])];
    }
    case 5: return fz_u8(in) & 15; /* a hart mask or hart id */
    case 6: return ~0ull;
    case 7: return pte_to(frame_ma(take_frame(in)), fz_u8(in));
    case 8: return fz_u8(in) % 12; /* a function ID, a type, a command */
    default: return (uint64_t)(int64_t)(int8_t)fz_u8(in);
    }
}

static const uint64_t eids[] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 0x0f, SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_IPI, SBI_EXT_RFENCE,
    SBI_EXT_HSM, SBI_EXT_SRST, SBI_EXT_DBCN, SBI_EXT_STA, HV_EXT, HV_EXT, HV_EXT, HV_EXT, 0x504d55, 0x08000000,
};
#define NEIDS (sizeof eids / sizeof eids[0])

/* The guest stores into its RAM: on the trap engine its validated tables are read-only to it; a
 * hext guest may write them too (validation is advisory there). */
static void guest_store(uint64_t off, const void *src, size_t len)
{
    if (off >= RAM_SIZE) {
        return;
    }
    len = len < RAM_SIZE - off ? len : RAM_SIZE - off;
    for (uint64_t f = off / 4096; len && f <= (off + len - 1) / 4096; f++) {
        if (frame_type(f) != PT_NONE) {
            if (arch_engine_trap) {
                return;
            }
            tampered = true;
        }
    }
    if (trace) {
        fprintf(stderr, "guest stores %zu bytes at 0x%llx\n", len,
                (unsigned long long)(VM_RAM_BASE + off));
    }
    memcpy(ram + off, src, len);
}

static void take_store(struct fuzz_in *in)
{
    uint8_t kind = fz_u8(in);
    uint64_t off = take_off(in);
    unsigned n = 1 + (kind >> 4) % 8;
    switch (kind % 4) {
    case 0: { /* an array of page-table updates */
        struct hv_mmu_update u[8];
        for (unsigned i = 0; i < n; i++) {
            uint8_t b = fz_u8(in);
            uint64_t f = take_frame(in);
            /* HV_MMU_PTE or HV_MMU_ZERO on a guest frame, or anything at all. */
            u[i].ptr = frame_ma(f) + 8 * (b & 0x40 ? 511 : (b >> 2) & 7) + (b & 1);
            u[i].ptr = (b & 3) == 3 ? take_arg(in) : u[i].ptr;
            u[i].val = (b & 0x80) ? take_arg(in) : pte_to(frame_ma(take_frame(in)), fz_u8(in) | 1);
        }
        guest_store(off, u, n * sizeof u[0]);
        break;
    }
    case 1: { /* an array of multicalls */
        struct hv_multicall m[4];
        n = 1 + n % 4;
        for (unsigned i = 0; i < n; i++) {
            m[i].fid = fz_u8(in) % 12;
            for (unsigned k = 0; k < 6; k++) {
                m[i].args[k] = take_arg(in);
            }
            m[i].error = 0x7e7e;
            m[i].value = 0x7e7e;
        }
        guest_store(off, m, n * sizeof m[0]);
        break;
    }
    case 2: { /* an array of block requests */
        struct hv_blk_req r[4];
        n = 1 + n % 4;
        for (unsigned i = 0; i < n; i++) {
            uint8_t b = fz_u8(in);
            r[i] =
              (struct hv_blk_req){ .op = b % 4,
                                   .status = 9,
                                   .sector = fz_u8(in) % 70,
                                   .buf = take_arg(in),
                                   .len = (b & 0x80) ? take_arg(in) : 512u * (1 + (b >> 4) % 4) };
        }
        guest_store(off, r, n * sizeof r[0]);
        break;
    }
    default: {
        uint64_t v = take_arg(in);
        guest_store(off, &v, sizeof v);
        break;
    }
    }
}

/* ---- checks ---- */

static bool is_sbi_error(long e)
{
    return e <= SBI_SUCCESS && e >= SBI_ERR_IO;
}

static void check_validator(void)
{
    struct ptval *pv = &vm.mmu.val;
    if (!vm.mmu.ready) {
        /* Its tables may be allocated and partly zeroed (a budget's worth per exit). */
        long out = vm.mmu.table_pa ? (long)vm.mmu.table_frames : 0;
        FUZZ_CHECK(stub.frames_out == out, "%ld frames out with no validator", stub.frames_out);
        for (unsigned i = 0; i < vm.nvcpus; i++) {
            FUZZ_CHECK(stub.satp[i] == 0 && stub.user_root[i] == 0, "root set without validator");
        }
        return;
    }
    FUZZ_CHECK(stub.frames_out == (long)vm.mmu.table_frames, "frames out %ld", stub.frames_out);
    FUZZ_CHECK(pv->nframes == RAM_FRAMES && pv->base == VM_RAM_BASE + machine_offset(),
               "validator geometry");
    /* A tree a vCPU translates with is pinned: unpinned, its frames could become writable. */
    for (unsigned i = 0; i < vm.nvcpus; i++) {
        uint64_t s = stub.satp[i];
        if (s) {
            FUZZ_CHECK(s >> 60 == 8 && ptval_is_pinned_root(pv, (s & ((1ull << 44) - 1)) << 12),
                       "vCPU %u runs on 0x%llx, not a pinned root", i, (unsigned long long)s);
        }
        FUZZ_CHECK(!stub.user_root[i] || ptval_is_pinned_root(pv, stub.user_root[i]),
                   "vCPU %u user root not pinned", i);
    }
    if (tampered) {
        return;
    }
    /* On the trap engine slot 511 of a pinned root is the hypervisor's, which the validator never
     * sees: it must still be there, and is set aside while the counts are checked. */
    uint64_t *slot[RAM_FRAMES];
    unsigned nslot = 0;
    for (uint64_t f = 0; f < RAM_FRAMES; f++) {
        if (pv->frames[f].pinned && arch_engine_trap) {
            uint64_t *t = (uint64_t *)(ram + f * 4096);
            FUZZ_CHECK(t[511] == STUB_RESERVED_ENTRY, "root %llu slot 511 is 0x%llx",
                       (unsigned long long)f, (unsigned long long)t[511]);
            slot[nslot++] = &t[511];
            t[511] = 0;
        }
    }
    char why[160];
    bool ok = ptval_check(pv, why, sizeof why);
    for (unsigned i = 0; i < nslot; i++) {
        *slot[i] = STUB_RESERVED_ENTRY;
    }
    FUZZ_CHECK(ok, "ptval_check: %s", why);
}

static void ecall(struct vcpu *v, struct fuzz_in *in)
{
    struct vcpu_arch *a = &v->arch;
    uint8_t s = fz_u8(in);
    uint64_t eid = s < 0xf8 ? eids[s % NEIDS] : fz_u64(in);
    uint8_t f = fz_u8(in);
    uint64_t fid = f < 0xf0 ? f % 12 : fz_u64(in);
    a->regs.x[REG_A7] = eid;
    a->regs.x[REG_A6] = fid;
    for (unsigned r = REG_A0; r <= REG_A5; r++) {
        a->regs.x[r] = take_arg(in);
    }

    struct vcpu_regs before = a->regs;
    struct vcpu others[VCPU_MAX];
    memcpy(others, vm.vcpus, sizeof others);
    size_t out_before = stub.output_len;
    if (trace) {
        fprintf(stderr,
                "vCPU %u ecall eid 0x%llx fid %llu a0..a5 %llx %llx %llx %llx %llx %llx\n",
                v->id,
                (unsigned long long)eid,
                (unsigned long long)fid,
                (unsigned long long)a->regs.x[10],
                (unsigned long long)a->regs.x[11],
                (unsigned long long)a->regs.x[12],
                (unsigned long long)a->regs.x[13],
                (unsigned long long)a->regs.x[14],
                (unsigned long long)a->regs.x[15]);
    }
    sbi_dispatch(v);
    if (trace) {
        fprintf(stderr, "  -> a0 %lld a1 0x%llx\n", (long long)a->regs.x[REG_A0],
                (unsigned long long)a->regs.x[REG_A1]);
    }

    /* Only the low 32 bits of a7 and a6 name the extension and function (binary-encoding.adoc). */
    eid = (uint32_t)eid;
    fid = (uint32_t)fid;
    const struct sbi_ext *ext = sbi_find_ext(eid);
    bool legacy = ext ? ext->legacy : eid <= 0x0f;
    long err = (long)a->regs.x[REG_A0];
    bool stopped_or_reset = a->regs.sepc == before.sepc;
    if (stopped_or_reset) {
        /* Only stop (HSM, legacy shutdown) and system reset do not return to the caller. */
        bool may = (eid == SBI_EXT_HSM && fid == SBI_HSM_HART_STOP) ||
                   eid == SBI_EXT_LEGACY_SHUTDOWN ||
                   (eid == SBI_EXT_SRST && fid == SBI_SRST_SYSTEM_RESET);
        FUZZ_CHECK(may, "eid 0x%llx fid %llu did not step pc", (unsigned long long)eid,
                   (unsigned long long)fid);
        FUZZ_CHECK(memcmp(&a->regs, &before, sizeof before) == 0, "no-reply call wrote registers");
    } else {
        FUZZ_CHECK(a->regs.sepc == before.sepc + 4, "pc 0x%llx",
                   (unsigned long long)a->regs.sepc);
        for (unsigned r = 0; r < 32; r++) {
            bool may = r == REG_A0 || (r == REG_A1 && !legacy);
            FUZZ_CHECK(may || a->regs.x[r] == before.x[r], "eid 0x%llx fid %llu changed x%u",
                       (unsigned long long)eid, (unsigned long long)fid, r);
        }
        FUZZ_CHECK(legacy || is_sbi_error(err), "eid 0x%llx fid %llu: error %ld",
                   (unsigned long long)eid, (unsigned long long)fid, err);
        if (!ext) {
            FUZZ_CHECK(err == SBI_ERR_NOT_SUPPORTED, "unknown extension answered %ld", err);
        }
        if (eid == SBI_EXT_DBCN && fid == SBI_DBCN_WRITE && err == SBI_SUCCESS) {
            FUZZ_CHECK(a->regs.x[REG_A1] <= HV_DBCN_MAX &&
                           stub.output_len - out_before == a->regs.x[REG_A1],
                       "dbcn write of %llu", (unsigned long long)a->regs.x[REG_A1]);
        }
    }
    /* Other vCPUs: untouched, unless this call started one (HSM start) or stopped the VM. */
    for (unsigned i = 0; i < vm.nvcpus; i++) {
        struct vcpu *t = &vm.vcpus[i];
        if (t == v || vm.state == VM_STOPPED) {
            continue;
        }
        bool started = others[i].state == VCPU_OFF && t->state == VCPU_RUNNABLE;
        if (started) {
            FUZZ_CHECK(eid == SBI_EXT_HSM && fid == SBI_HSM_HART_START && err == SBI_SUCCESS &&
                           before.x[REG_A0] == i,
                       "vCPU %u started by another call", i);
            uint64_t pc = t->arch.regs.sepc;
            FUZZ_CHECK(pc >= VM_RAM_BASE && pc < VM_RAM_BASE + RAM_SIZE && !(pc & 1),
                       "started at 0x%llx", (unsigned long long)pc);
            continue;
        }
        FUZZ_CHECK(t->state == others[i].state &&
                       memcmp(&t->arch.regs, &others[i].arch.regs, sizeof t->arch.regs) == 0,
                   "vCPU %u changed by a call of vCPU %u", i, v->id);
    }
    if (v->state == VCPU_SUSPENDED && v->resume_reset) {
        FUZZ_CHECK(v->resume_pc >= VM_RAM_BASE && v->resume_pc < VM_RAM_BASE + RAM_SIZE,
                   "resume at 0x%llx", (unsigned long long)v->resume_pc);
    }
    check_validator();
}

/* ---- the VM ---- */

static void setup(struct fuzz_in *in)
{
    static struct vm_config cfg = { .name = "fz" };
    uint8_t f = fz_u8(in);

    if (!ram) {
        void *p = NULL;
        FUZZ_CHECK(posix_memalign(&p, 2u << 20, RAM_SIZE) == 0, "no memory");
        ram = p;
    }
    memset(ram, 0, RAM_SIZE);
    memset(disk, 0, sizeof disk);
    memset(&vm, 0, sizeof vm);
    arch_engine_trap = f & 1;
    cfg.devices = (f & 16) ? VM_DEV_PLIC : 0;
    vm.cfg = &cfg;
    vm.state = VM_RUNNING;
    vm.ram_hpa = (uint64_t)(uintptr_t)ram;
    vm.ram_size = RAM_SIZE;
    /* Which pages count as used already (the rest the hypervisor clears when it touches them). */
    static uint64_t clean_bits[RAM_SIZE / 4096 / 64];
    for (unsigned w = 0; w < RAM_SIZE / 4096 / 64; w++) {
        clean_bits[w] = (f & 32) ? ~0ull : 0x0101010101010101ull * fz_u8(in);
    }
    vm.clean = (struct ram_clean){ clean_bits, RAM_SIZE / 4096, 0 };
    vm.nvcpus = 1 + ((f >> 1) & 3);
    if (f & 8) {
        vm.disk = (struct blk_disk){ .kind = BLK_RAM, .sectors = DISK_SECTORS, .ram = disk };
    }
    vplic_init(&vm.plic, vm.nvcpus, NULL);
    vm.plic.priority[HV_BLK_IRQ] = 1;
    uint8_t states = fz_u8(in);
    for (unsigned i = 0; i < vm.nvcpus; i++) {
        struct vcpu *v = &vm.vcpus[i];
        v->vm = &vm;
        v->id = i;
        v->pcpu = arch_this_cpu(); /* one hart: every IPI and fence is local */
        v->state = i == 0 ? VCPU_RUNNABLE : (enum vcpu_state)((states >> (2 * i)) & 3);
        v->arch.regs.sepc = VM_RAM_BASE + 0x1000 * (i + 1);
        for (unsigned r = 1; r < 32; r++) {
            v->arch.regs.x[r] = 0xdead0000u + 0x100 * i + r;
        }
    }
    size_t n = fz_u8(in) % 16;
    n = n < in->n ? n : in->n;
    stub_reset(in->p, n);
    in->p += n;
    in->n -= n;
    tampered = false;
    trace = getenv("FUZZ_TRACE") != NULL;
    if (trace) {
        fprintf(stderr, "%s engine, %u vCPUs, disk %d, machine offset 0x%llx\n",
                arch_engine_trap ? "trap" : "hext", vm.nvcpus, vm.disk.kind == BLK_RAM,
                (unsigned long long)machine_offset());
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    setup(&in);

    for (unsigned step = 0; step < 64 && in.n > 0 && vm.state == VM_RUNNING; step++) {
        uint8_t op = fz_u8(&in);
        if (op < 0xa0) {
            /* An ecall from a running vCPU (the named one if it runs). */
            struct vcpu *v = &vm.vcpus[op % vm.nvcpus];
            for (unsigned i = 0; i < vm.nvcpus && v->state != VCPU_RUNNABLE; i++) {
                v = &vm.vcpus[i];
            }
            if (v->state != VCPU_RUNNABLE) {
                break; /* nobody runs: what the scheduler would wait on is not modelled */
            }
            arch_this_cpu()->current = v;
            ecall(v, &in);
        } else if (op < 0xf0) {
            take_store(&in);
            check_validator();
        } else {
            /* An interrupt wakes a sleeping vCPU; a non-retentive suspend resumes at its address.
             */
            struct vcpu *v = &vm.vcpus[op % vm.nvcpus];
            if (v->state == VCPU_WFI || v->state == VCPU_SUSPENDED) {
                if (v->resume_reset) {
                    v->arch.regs.sepc = v->resume_pc;
                    v->arch.regs.x[REG_A1] = v->resume_arg;
                    v->resume_reset = false;
                }
                v->state = VCPU_RUNNABLE;
            }
        }
    }
    pv_release(&vm);
    FUZZ_CHECK(stub.frames_out == 0, "%ld frames leaked", stub.frames_out);
    return 0;
}
