/* SPDX-License-Identifier: MIT */
/* CSR numbers and bit fields (priv spec: csrs.adoc, supervisor.adoc, hypervisor.adoc) and the one accessor macro. */
#ifndef ARCH_CSR_H
#define ARCH_CSR_H

/* Supervisor CSRs. */
#define CSR_SSTATUS 0x100
#define CSR_SIE 0x104
#define CSR_STVEC 0x105
#define CSR_SCOUNTEREN 0x106
#define CSR_SENVCFG 0x10a
#define CSR_SSCRATCH 0x140
#define CSR_SEPC 0x141
#define CSR_SCAUSE 0x142
#define CSR_STVAL 0x143
#define CSR_SIP 0x144
#define CSR_STIMECMP 0x14d
#define CSR_SATP 0x180

/* Hypervisor CSRs. */
#define CSR_HSTATUS 0x600
#define CSR_HEDELEG 0x602
#define CSR_HIDELEG 0x603
#define CSR_HIE 0x604
#define CSR_HTIMEDELTA 0x605
#define CSR_HCOUNTEREN 0x606
#define CSR_HGEIE 0x607
#define CSR_HENVCFG 0x60a
#define CSR_HTVAL 0x643
#define CSR_HIP 0x644
#define CSR_HVIP 0x645
#define CSR_HTINST 0x64a
#define CSR_HGATP 0x680

/* Virtual-supervisor CSRs: the guest's S-mode state while it is not running. */
#define CSR_VSSTATUS 0x200
#define CSR_VSIE 0x204
#define CSR_VSTVEC 0x205
#define CSR_VSSCRATCH 0x240
#define CSR_VSEPC 0x241
#define CSR_VSCAUSE 0x242
#define CSR_VSTVAL 0x243
#define CSR_VSIP 0x244
#define CSR_VSTIMECMP 0x24d
#define CSR_VSATP 0x280

/* Unprivileged counters. */
#define CSR_CYCLE 0xc00
#define CSR_TIME 0xc01
#define CSR_INSTRET 0xc02

/* sstatus */
#define SSTATUS_SIE (1ul << 1)
#define SSTATUS_SPIE (1ul << 5)
#define SSTATUS_SPP (1ul << 8)
#define SSTATUS_FS (3ul << 13)
#define SSTATUS_SUM (1ul << 18)
#define SSTATUS_MXR (1ul << 19)
#define SSTATUS_UXL_64 (2ul << 32)
#define SSTATUS_SD (1ul << 63)

/* satp (RV64, supervisor chapter "satp"): MODE[63:60], ASID[59:44], PPN[43:0]. */
#define SATP_MODE_SHIFT 60
#define SATP_MODE_BARE 0ul
#define SATP_MODE_SV39 8ul
#define SATP_ASID_SHIFT 44
#define SATP_ASID_MASK 0xfffful
#define SATP_PPN_MASK ((1ul << 44) - 1)

/* hstatus (hypervisor.adoc, "Hypervisor Status Register") */
#define HSTATUS_VSBE (1ul << 5)
#define HSTATUS_GVA (1ul << 6)
#define HSTATUS_SPV (1ul << 7)
#define HSTATUS_SPVP (1ul << 8)
#define HSTATUS_HU (1ul << 9)
#define HSTATUS_VTVM (1ul << 20)
#define HSTATUS_VTW (1ul << 21)
#define HSTATUS_VTSR (1ul << 22)
#define HSTATUS_VSXL_SHIFT 32

/* Interrupt numbers, used both as bit positions in sie/sip/hvip and as scause codes. */
#define IRQ_S_SOFT 1
#define IRQ_VS_SOFT 2
#define IRQ_S_TIMER 5
#define IRQ_VS_TIMER 6
#define IRQ_S_EXT 9
#define IRQ_VS_EXT 10
#define IRQ_S_GEXT 12

#define SCAUSE_IRQ (1ul << 63)

/* henvcfg.STCE: VS-mode owns vstimecmp (Sstc), so a guest tick costs no exit. */
#define HENVCFG_STCE (1ul << 63)

/* hcounteren: CY, TM, IR. */
#define HCOUNTEREN_CY (1ul << 0)
#define HCOUNTEREN_TM (1ul << 1)
#define HCOUNTEREN_IR (1ul << 2)

/* hgatp (RV64): MODE[63:60], VMID[57:44], PPN[43:0]; Sv39x4 is mode 8. */
#define HGATP_MODE_SHIFT 60
#define HGATP_MODE_SV39X4 8ul
#define HGATP_VMID_SHIFT 44
#define HGATP_VMID_MASK 0x3ffful
#define HGATP_PPN_MASK ((1ul << 44) - 1)

#ifndef __ASSEMBLER__
#define CSR_STR_(x) #x
#define CSR_STR(x) CSR_STR_(x)

/* Numeric CSR operands, so nothing depends on the assembler knowing the hypervisor CSR names. */
#define csr_read(csr)                                                                              \
    ({                                                                                             \
        unsigned long csr_v_;                                                                      \
        __asm__ volatile("csrr %0, " CSR_STR(csr) : "=r"(csr_v_) : : "memory");                    \
        csr_v_;                                                                                    \
    })

#define csr_write(csr, val)                                                                        \
    ({                                                                                             \
        unsigned long csr_w_ = (unsigned long)(val);                                               \
        __asm__ volatile("csrw " CSR_STR(csr) ", %0" : : "rK"(csr_w_) : "memory");                 \
    })

#define csr_set(csr, val)                                                                          \
    ({                                                                                             \
        unsigned long csr_w_ = (unsigned long)(val);                                               \
        __asm__ volatile("csrs " CSR_STR(csr) ", %0" : : "rK"(csr_w_) : "memory");                 \
    })

#define csr_clear(csr, val)                                                                        \
    ({                                                                                             \
        unsigned long csr_w_ = (unsigned long)(val);                                               \
        __asm__ volatile("csrc " CSR_STR(csr) ", %0" : : "rK"(csr_w_) : "memory");                 \
    })

#define csr_swap(csr, val)                                                                         \
    ({                                                                                             \
        unsigned long csr_w_ = (unsigned long)(val), csr_v_;                                       \
        __asm__ volatile("csrrw %0, " CSR_STR(csr) ", %1"                                          \
                         : "=r"(csr_v_)                                                            \
                         : "rK"(csr_w_)                                                            \
                         : "memory");                                                              \
        csr_v_;                                                                                    \
    })
#endif

#endif
