#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora of the host fuzzers (tests/fuzz/corpus/NAME/), each input spelled in the
encoding its fuzz_NAME.c reads, so a seed is a meaningful program rather than noise. The output is
committed; run this again (from the repository root) after changing an encoding. Inputs that once
crashed a fuzzer live in the same directories under names starting with "regress-" and are kept."""
import os
import struct
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def u8(v):
    return struct.pack("<B", v & 0xff)


def u16(v):
    return struct.pack("<H", v & 0xffff)


def u32(v):
    return struct.pack("<I", v & 0xffffffff)


def u64(v):
    return struct.pack("<Q", v & 0xffffffffffffffff)


def write(name, seed, data):
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, seed), "wb") as f:
        f.write(data)


# ---- fdt: the device trees of the unit tests, compiled by dtc ------------------------------------
def fdt():
    data = os.path.join(ROOT, "tests", "unit", "data")
    for dts in sorted(os.listdir(data)):
        if dts.endswith(".dts"):
            out = os.path.join(CORPUS, "fdt", dts[:-4] + ".dtb")
            os.makedirs(os.path.dirname(out), exist_ok=True)
            subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out,
                            os.path.join(data, dts)], check=True)


# ---- fdt_write: writer programs (fuzz_fdt_write.c) -----------------------------------------------
FDT_DICT = ["", "memory@80000000", "memory", "cpus", "cpu@0", "cpu@1", "chosen", "reserved-memory",
            "soc", "serial@10000000", "plic@c000000", "clint@2000000", "virtio_mmio@10008000",
            "reg", "compatible", "#address-cells", "#size-cells", "status", "device_type",
            "riscv,isa", "mmu-type", "timebase-frequency", "riscv,ndev", "bootargs", "stdout-path",
            "model", "interrupts", "okay", "disabled", "ns16550a", "riscv,plic0", "virtio,mmio",
            "cpu", "rv64imafdch_zicsr_sstc", "riscv,sv39", "/soc/serial@10000000", "cells",
            "size-cells"]


def nm(s):
    if s in FDT_DICT:
        return u8(FDT_DICT.index(s))
    assert len(s) < 16
    return u8(0xc0 | len(s)) + s.encode()


def begin(s):
    return u8(0) + nm(s)


def end():
    return u8(1)


def prop_u32(name, v):
    return u8(4) + u32(v) + nm(name)


def prop_u64(name, v):
    return u8(5) + u64(v) + nm(name)


def prop_cells(name, cells):
    return u8(6) + u8(len(cells)) + b"".join(u32(c) for c in cells) + nm(name)


def prop_str(name, s):
    return u8(7) + nm(s) + nm(name)


def prop_strs(name, strs):
    return u8(8) + u8(len(strs)) + b"".join(nm(s) for s in strs) + nm(name)


def prop_empty(name):
    return u8(3) + nm(name)


def fdt_write():
    # A VM's tree as hyp/vm_dt.c builds it: memory, one cpu, a UART, chosen. Even length: closed.
    vm = (u16(4096) + begin("") + prop_u32("#address-cells", 2) + prop_u32("#size-cells", 2) +
          prop_str("model", "riscv,sv39") +
          begin("memory@80000000") + prop_str("device_type", "memory") +
          prop_cells("reg", [0, 0x80000000, 0, 0x8000000]) + end() +
          begin("cpus") + prop_u32("#address-cells", 1) + prop_u32("#size-cells", 0) +
          prop_u32("timebase-frequency", 10000000) + begin("cpu@0") +
          prop_str("device_type", "cpu") + prop_u32("reg", 0) +
          prop_str("riscv,isa", "rv64imafdch_zicsr_sstc") + prop_str("mmu-type", "riscv,sv39") +
          prop_str("status", "okay") + end() + end() +
          begin("soc") + begin("serial@10000000") + prop_strs("compatible", ["ns16550a"]) +
          prop_cells("reg", [0, 0x10000000, 0, 0x100]) + prop_u32("interrupts", 10) +
          prop_empty("cells") + end() + end() +
          begin("chosen") + prop_str("stdout-path", "/soc/serial@10000000") +
          prop_str("bootargs", "okay") + end() + end())
    write("fdt_write", "vm-tree", vm)
    # Too small a buffer: the writer must fail cleanly.
    write("fdt_write", "overflow", u16(100) + begin("") +
          prop_cells("reg", [1, 2, 3, 4, 5, 6, 7, 8]) + end() + u8(3) + nm("model"))
    # Misuse: a second root, an END_NODE too many.
    write("fdt_write", "misuse", u16(2048) + begin("") + end() + begin("x") + end() + end() + u8(1))
    # Deep nesting: past the reader's 16 levels.
    write("fdt_write", "deep", u16(4096) + b"".join(begin("soc") for _ in range(18)))


# ---- insn: 13-byte records (fuzz_insn.c); a decoded store or AMO also takes 32 data bytes --------
def insn():
    def rec(word, htinst, off, data=b""):
        return u32(word) + u64(htinst) + u8(off) + data

    data = u64(0x0123456789abcdef) + u64(0x1111111111111111) + u64(0x2222222222222222) + \
        u64(0x3333333333333333)
    write("insn", "sd", rec(0x81f0b023, 0x01f03023, 0, data + data))          # sd x31,-2048(x1)
    write("insn", "lw-htinst", rec(0x00452283, 0x00002283, 4))                 # lw x5,4(x10)
    write("insn", "c-sd", rec(0xe39c, 0x00f03021, 0, data + data))             # c.sd x15,0(x15)
    write("insn", "c-lwsp", rec(0x4502, 0x00012501, 0))                        # c.lwsp x10,0(sp)
    write("insn", "amoadd-w", rec(0x0063a2af, 0x0063a2af, 4, data + data))     # amoadd.w x5,x6,(x7)
    write("insn", "amomax-d", rec(0xa0b6352f, 0x00b63023, 0, data + data))     # amomax.d
    write("insn", "sc-d", rec(0x1863b2af, 0x0063b023, 0, data + data))         # sc.d x5,x6,(x7)
    write("insn", "lr-w", rec(0x1005a52f, 0x00002000, 0))                      # lr.w; pseudo
    write("insn", "misaligned-sh", rec(0xfe659f23, 0x00659023, 1, data + data))  # sh, offset 1


# ---- privemu: a vCPU state, then events (fuzz_privemu.c) -----------------------------------------
CSRS = [0x100, 0x104, 0x105, 0x106, 0x10a, 0x140, 0x141, 0x142, 0x143, 0x144, 0x180, 0x14d, 0x101,
        0x107, 0x10c, 0x145, 0x181, 0x5a8, 0xda0, 0xc00, 0xc01, 0xc02, 0x600, 0x645, 0x200, 0x280,
        0x300, 0x305, 0x341, 0x7b0, 0xfff, 0x001, 0x003, 0x015]


def pe_state(vmode=1, sstatus=0, sie=0, hvip=0, stvec=0x80200000, sepc=0, satp=0):
    s = u64(0x8000_0000_0000_1234) + u64(0x80201000) + u64(0xffffffffffffffff) + u64(0)
    s += u64(0x80200000) + u8(vmode) + u64(sstatus) + u16(sie) + u16(hvip) + u64(stvec) + u64(sepc)
    s += u64(0) + u64(0) + u64(0) + u64(satp) + u8(7) + u8(1)
    return s


def csr_op(f3, rd, csr, rs1):
    return u8(0) + u8(CSRS.index(csr)) + u8(f3) + u16(rs1 | rd << 5)


def set_reg(r, v):
    # x[1 + op % 31] for op in 0x80..0x9f
    return u8(0x80 + (r - 1 - 0x80 % 31) % 31) + u64(v)


def privemu():
    SIE, SPIE, SPP, SUM = 1 << 1, 1 << 5, 1 << 8, 1 << 18
    # A kernel's early boot: trap vector, interrupts on, paging on, fence, a timer interrupt taken,
    # its cause read, return to user with sret.
    boot = (pe_state() + set_reg(5, 0x80200100) + csr_op(1, 0, 0x105, 5) +   # csrw stvec,t0
            set_reg(6, 0x222) + csr_op(2, 0, 0x104, 6) +                      # csrs sie,t1
            csr_op(6, 0, 0x100, 2) +                                          # csrsi sstatus,SIE
            set_reg(7, (8 << 60) | 0x80400) + csr_op(1, 0, 0x180, 7) +        # csrw satp,t2
            u8(0x21) + u16(0) +                                               # sfence.vma
            u8(0xa0 | 8 | 1) +                                                # VSTIP raised: taken
            csr_op(2, 10, 0x142, 0) + csr_op(2, 11, 0x141, 0) +               # csrr scause, sepc
            u8(0xa0) +                                                        # VSTIP cleared
            csr_op(3, 0, 0x100, 0) + csr_op(7, 0, 0x100, 8) +                 # csrci sstatus,SPP
            u8(0x42) + u8(0))                                                 # sret
    write("privemu", "boot", boot)
    # Every CSR read and written, from user mode (all illegal) and from the kernel.
    allc = pe_state(vmode=0)
    for c in CSRS[:12]:
        allc += csr_op(1, 5, c, 6)
    allc += u8(0xc0) + u8(8) + u64(0)  # an ecall from user: the kernel takes it
    for c in CSRS:
        allc += set_reg(6, 0xffffffffffffffff) + csr_op(1, 5, c, 6) + csr_op(3, 5, c, 6)
    write("privemu", "all-csrs", allc)
    # sret to user with SPIE, wfi, mret, vectored interrupt entry.
    write("privemu", "sret-wfi", pe_state(sstatus=SPIE | SUM | SPP, sie=0x222, hvip=0x4,
                                          stvec=0x80200001, sepc=0x80300000) +
          u8(0x42) + u8(1) + u8(0x42) + u8(2) + u8(0x42) + u8(0) + u8(0xa8 | 0) + u8(0x42) + u8(0))


# ---- ptval: operations on the validator (fuzz_ptval.c) -------------------------------------------
def pv_frame(f):
    return u8(f) if f < 64 else u8(0x40 | (f - 512)) if f < 1024 else u8(0x80 | (f - 1024))


def pv_pte(f, flags):
    return u8(0x40) + pv_frame(f) + u8(flags)


def pv_update(f, i, pte):
    return u8(0) + pv_frame(f) + (u8(i) if i < 8 else u8(0x80) + u16(i)) + pte


def pv_pin(f):
    return u8(4) + pv_frame(f)


def pv_unpin(f):
    return u8(5) + pv_frame(f)


def ptval():
    V, R, W, X, A, D = 1, 2, 4, 8, 0x40, 0x80
    # A tree prepared in plain frames, pinned, changed through validated updates, refused writable
    # mappings of its tables, a 2 MiB writable superpage, flushed, unpinned.
    tree = (u8(0) + pv_update(0, 0, pv_pte(1, V)) + pv_update(1, 0, pv_pte(2, V)) +
            pv_update(2, 0, pv_pte(10, V | R | W | A | D)) + pv_pin(0) +
            pv_update(2, 1, pv_pte(11, V | R | W)) + pv_update(2, 2, pv_pte(1, V | R | W)) +
            pv_update(1, 1, pv_pte(512, V | R | W | X)) + pv_update(2, 511, pv_pte(0, V | R)) +
            pv_pin(517) + u8(7) + pv_update(2, 0, u8(0x17)) + u8(3) + pv_frame(10) + pv_unpin(0))
    write("ptval", "tree", tree)
    # Two roots sharing a level-1 table, a level confusion, unpin of one.
    write("ptval", "shared", u8(0) + pv_update(0, 0, pv_pte(2, V)) + pv_update(1, 0, pv_pte(2, V)) +
          pv_pin(0) + pv_pin(1) + pv_update(0, 1, pv_pte(1, V)) + pv_unpin(0) + pv_pin(0) +
          pv_unpin(1))
    # hext: the guest also writes its pinned tables itself, then unpins.
    write("ptval", "hext-tamper", u8(0x48) + pv_update(0, 0, pv_pte(1, V)) + pv_pin(0) +
          u8(6) + pv_frame(0) + u8(1) + pv_pte(0, V) +
          u8(6) + pv_frame(1) + u8(0) + pv_pte(1, V | R | W) +
          pv_update(0, 0, u8(0x17)) + pv_unpin(0))


# ---- sbi: a VM and a program of ecalls (fuzz_sbi.c) ----------------------------------------------
EIDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x0f, 0x10, 0x54494d45, 0x735049, 0x52464e43, 0x48534d,
        0x53525354, 0x4442434e, 0x08505648]
HV = 17


def a_raw(v):
    return u8(0) + u64(v)


def a_small(v):
    return u8(1) + u8(v)


def a_gpa(frame, off=0):
    return u8(2) + u8(frame) + u16(off // 8)


def a_ma(frame):
    return u8(3) + u8(frame)


def a_zero():
    return a_small(0)


def sbi_call(vcpu, eid, fid, *args):
    args = list(args) + [a_zero()] * (6 - len(args))
    return u8(vcpu) + u8(EIDS.index(eid) if eid in EIDS else HV) + u8(fid) + b"".join(args)


def hv(fid, *args):
    return sbi_call(0, 0x08505648, fid, *args)


def store_updates(frame, entries):
    # entries: (table frame, slot < 8, cmd, target frame, flags)
    n = len(entries)
    out = u8(0xa0) + u8((n - 1) << 4) + u8(frame) + u16(0)
    for tf, slot, cmd, target, flags in entries:
        out += u8(slot << 2 | cmd) + u8(tf) + u8(target) + u8(flags)
    return out


def store_multicalls(frame, calls):
    out = u8(0xa0) + u8(1 | ((len(calls) + 2) % 4) << 4) + u8(frame) + u16(0)
    for fid, args in calls:
        args = list(args) + [a_zero()] * (6 - len(args))
        out += u8(fid) + b"".join(args)
    return out


def store_blk(frame, reqs):
    out = u8(0xa0) + u8(2 | ((len(reqs) + 2) % 4) << 4) + u8(frame) + u16(0)
    for op, sector, buf in reqs:
        out += u8(op) + u8(sector) + buf
    return out


def sbi():
    base = (u8(0x02) + u8(0) + u8(3) + b"abc" +
            sbi_call(0, 0x10, 0) + sbi_call(0, 0x10, 3, a_raw(0x08505648)) +
            sbi_call(0, 0x4442434e, 0, a_small(5), a_gpa(0)) +
            sbi_call(0, 0x4442434e, 1, a_small(2), a_gpa(1)) +
            sbi_call(0, 0x48534d, 0, a_small(1), a_gpa(2), a_small(7)) +
            sbi_call(0, 0x735049, 0, a_small(3)) + sbi_call(1, 0x48534d, 2, a_small(1)) +
            sbi_call(0, 0x52464e43, 1, a_small(1), a_zero(), a_gpa(3)) +
            sbi_call(0, 1, 0, a_small(0x41)) + sbi_call(0, 0x54494d45, 0, a_raw(1 << 40)) +
            sbi_call(1, 0x48534d, 1))
    write("sbi", "base-dbcn-hsm", base)
    V, R, W, A, D = 1, 2, 4, 0x40, 0x80
    for engine, name in ((0, "pv-mmu-hext"), (1, "pv-mmu-trap")):
        prog = (u8(0x10 | engine) + u8(0) + u8(0) +
                store_updates(7, [(0, 0, 0, 1, V), (1, 0, 0, 2, V),
                                  (2, 0, 0, 4, V | R | W | A | D)]) +
                hv(3, a_gpa(7), a_small(3)) + hv(4, a_ma(0)) + hv(6, a_ma(0), a_small(1)) +
                store_updates(6, [(2, 1, 0, 5, V | R), (3, 0, 1, 0, 0)]) +
                hv(3, a_gpa(6), a_small(2)) +
                hv(5, a_ma(0)) + hv(7, a_small(0)) +
                store_multicalls(5, [(1, []), (2, []),
                                     (7, [a_small(2), a_gpa(0), a_small(64), a_raw(~0)])]) +
                hv(8, a_gpa(5), a_small(3)) + hv(0) + hv(6, a_zero()))
        write("sbi", name, prog)
    blk = (u8(0x18 | 0x10) + u8(0) + u8(0) +
           store_blk(5, [(1, 2, a_gpa(3)), (0, 2, a_gpa(4)), (2, 0, a_zero())]) +
           hv(9, a_gpa(5), a_small(3)) + hv(10, a_small(0)) + hv(10, a_small(1)))
    write("sbi", "pv-blk", blk)
    # A root pinned whose entries are a multicall array (PIN of address 0, which every entry of a
    # root may hold), then that multicall (trap engine): before the fix in hc_multicall.c the call's
    # error (-5: V set, reserved bits) was written into the pinned root, unvalidated.
    mc = (u8(0x01) + u8(0) + u8(0) +
          store_multicalls(0, [(4, [])]) + hv(4, a_ma(0)) + hv(8, a_gpa(0), a_small(1)))
    write("sbi", "regress-multicall-into-root", mc)
    # Console input read (DBCN) into a pinned root: before the fix in sbi_dbcn.c the bytes went into
    # the table, unvalidated.
    write("sbi", "regress-dbcn-read-into-root", u8(0x01) + u8(0) + u8(8) + b"abcdefgh" +
          hv(4, a_ma(0)) + sbi_call(0, 0x4442434e, 1, a_small(8), a_gpa(0)))


if __name__ == "__main__":
    fdt()
    fdt_write()
    insn()
    privemu()
    ptval()
    sbi()
