/* SPDX-License-Identifier: MIT */
/* The guest fuzzer's parts (guest-pv/progs/fuzz.c and guest-pv/progs/fuzz/): its state, its value and
 * argument generators, and the operations each part implements. */
#ifndef GUEST_FUZZ_INT_H
#define GUEST_FUZZ_INT_H

#include <string.h>

#include "../../kernel/pt.h"
#include "guest.h"
#include "virtio.h"

#define MB (1ul << 20)
#define UART 0x10000000ul
#define PLIC 0x0c000000ul
#define VBLK 0x10001000ul
#define SATP_CSR 0x180
#define NT 24 /* table frames of our own trees */
#define SSIP (1ul << 1)

extern uint32_t fz_slot[5];
extern char fz_back[], fz_park[];
void fz_exec(void);
extern uint64_t fz_regs[32], fz_out[32], fz_save[16];
extern uint8_t fz_data[8192];
extern uint8_t fz_stack[16384];
extern uint64_t rng, seed, iter, nops, unexpected, slot_traps, trace_from;
extern uint64_t fz_ram_base, fz_ram_size, ram_end, mo, feat;
extern uint64_t junk, junk_end;
extern uint64_t *T[NT];
extern bool has_hv, validated, fv, devices, has_plic, has_vblk, fatal, misaligned, r0_ok;
extern unsigned opcount[8];
extern uint64_t blk_cap; /* the disk's size in sectors, 0 without one (args.c) */

/* Sub-areas of the junk region: argument arrays the hypervisor reads (and writes results into) stay
 * apart from the data area that random writes, block reads and DMA may hit. */
#define J_MC (junk + 0x0000)  /* multicall arrays */
#define J_MMU (junk + 0x4000) /* MMU_UPDATE arrays: 64 slices of 16 entries, or one long batch */
#define J_BLK (junk + 0xa000) /* block request arrays */
#define J_VQ                                                                                       \
    (junk + 0xc000) /* virtqueue: descriptor tables at +0/+0x1000, avail +0x2000, used +0x3000 */
#define J_DATA (junk + 0x10000)

#define say(...)                                                                                   \
    do {                                                                                           \
        uart_sane();                                                                               \
        kprintf(__VA_ARGS__);                                                                      \
    } while (0)

uint64_t rnd(void);
uint64_t below(uint64_t n);
bool chance(unsigned one_in);
void uart_sane(void);
void unexpected_result(const char *what, long got);
uint64_t rval(void);
uint64_t bad_addr(uint64_t len);
uint64_t junk_addr(uint64_t len, uint64_t align);
uint64_t wr_addr(uint64_t len, uint64_t align);
uint64_t rcount(unsigned small);
uint64_t hart_mask(void);
uint64_t hart_base(void);
uint64_t pte_of(uint64_t pa, uint64_t flags);
uint64_t rpte(void);
uint64_t rptr(void);
uint64_t rframe(void);
void fill_mmu(uint64_t at, unsigned n);
void fill_mmu_va(uint64_t at, unsigned n);
uint64_t blk_len(void);
void fill_blk(struct hv_blk_req *r, unsigned n);
void gen_hc(unsigned long fid, uint64_t *a, bool inner);
unsigned long rfid(unsigned span);
struct sbiret hc(unsigned long fid, const uint64_t *a);
void hypercall(unsigned long fid);
void op_multicall_into_table(void);
void op_hypercall(void);
void op_blk(void);
bool r0_intact(void);
void r0_build(void);
void op_set_root(void);
bool eid_known(unsigned long eid);
void op_sbi(void);
void slot_run(uint32_t w0, uint32_t w1, uint32_t w2);
void regs_fill(bool random);
void regs_check(uint32_t may);
bool fuzz_hook(struct trap_frame *f, uint64_t cause, uint64_t tval);
uint32_t csr_insn(unsigned csr, unsigned f3, unsigned rd, unsigned rs1);
unsigned rcsr(void);
void op_csr(void);
bool insn_ok(uint32_t w);
void op_insn(void);
void op_ecall(void);
void op_table_store(void);
void op_native_pte(void);
uint64_t vq_addr(uint64_t base);
void vq_sanitize(void);
uint32_t vblk_value(unsigned off);
void mmio(uint64_t addr, unsigned width, bool store, uint64_t val);
void op_mmio(void);
void op_vblk_session(void);

#endif
