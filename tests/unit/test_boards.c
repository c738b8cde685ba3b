// SPDX-License-Identifier: MIT
// Unit tests for board support: device trees shaped like real boards' (VisionFive 2, BPI-F3,
// HiFive Premier P550, HiFive Unleashed) through fdt_parse and platform_choose.
#include "check.h"
#include "fdt.h"
#include "platform.h"

#include <stdint.h>

static uint8_t *load_dtb(const char *name, size_t *size)
{
    return test_load_dtb(name, size);
}

/* Parses the named tree into *info; false (and a failed check) when it cannot. */
static bool parse_board(const char *name, struct platform_info *info)
{
    size_t size;
    uint8_t *blob = load_dtb(name, &size);
    CHECK(blob != NULL);
    if (!blob) {
        return false;
    }
    int r = fdt_parse(blob, size, info);
    CHECK_EQ(r, FDT_OK);
    free(blob);
    return r == FDT_OK;
}

/* Replaces the only occurrence of `from` in the blob with `to`, of the same length. */
static bool patch_blob(uint8_t *blob, size_t size, const char *from, const char *to)
{
    size_t n = strlen(from), hits = 0, at = 0;
    for (size_t i = 0; i + n <= size; i++) {
        if (memcmp(blob + i, from, n) == 0) {
            hits++;
            at = i;
        }
    }
    if (hits != 1 || strlen(to) != n) {
        return false;
    }
    memcpy(blob + at, to, n);
    return true;
}

static void check_uart(const struct platform_uart *u, enum platform_uart_kind kind, uint64_t base)
{
    CHECK_EQ(u->kind, kind);
    CHECK_EQ(u->base, base);
    CHECK_EQ(u->stride, 4);
    CHECK_EQ(u->width, 4);
}

/* ---- Boards ---- */

TEST(board_visionfive2)
{
    struct platform_info info;
    struct platform_choice c;
    if (!parse_board("visionfive2", &info)) {
        return;
    }
    CHECK_STR(info.model, "StarFive VisionFive 2 v1.3B");
    CHECK_EQ(info.nmem, 1);
    CHECK_EQ(info.mem[0].base, 0x40000000);
    CHECK_EQ(info.mem[0].size, 0x100000000ull);
    CHECK_EQ(info.nreserved, 1);
    CHECK_EQ(info.reserved[0].base, 0x40000000);
    CHECK_EQ(info.timebase_freq, 4000000);
    CHECK_EQ(info.initrd_start, 0x46100000);
    CHECK_EQ(info.initrd_end, 0x4633a000);
    /* The S7 monitor core: disabled, no MMU, no F or D. */
    CHECK_EQ(info.nharts, 5);
    CHECK_EQ(info.harts[0].hartid, 0);
    CHECK(!info.harts[0].enabled);
    CHECK(!info.harts[0].has_mmu);
    CHECK(!info.harts[0].has_fd);
    CHECK_STR(info.harts[0].isa, "rv64imac_zba_zbb");
    for (unsigned i = 1; i < 5; i++) {
        CHECK_EQ(info.harts[i].hartid, i);
        CHECK(info.harts[i].enabled);
        CHECK(info.harts[i].has_mmu);
        CHECK(info.harts[i].has_fd);
        CHECK(!info.harts[i].has_h);
        CHECK(!info.harts[i].has_sstc);
        CHECK_STR(info.harts[i].mmu, "riscv,sv39");
        CHECK_STR(info.harts[i].isa, "rv64imafdc_zba_zbb");
    }
    /* stdout-path "serial0:115200n8" reaches uart0 through /aliases. */
    CHECK_STR(info.stdout_path, "serial0:115200n8");
    CHECK(info.uart.dev.present);
    CHECK_EQ(info.uart.dev.base, 0x10000000);
    CHECK_EQ(info.uart.dev.size, 0x10000);
    CHECK_STR(info.uart.dev.compatible, "snps,dw-apb-uart");
    CHECK_EQ(info.uart.reg_shift, 2);
    CHECK_EQ(info.uart.reg_io_width, 4);
    CHECK_EQ(info.plic.dev.base, 0xc000000);
    CHECK_STR(info.plic.dev.compatible, "sifive,plic-1.0.0");
    CHECK_EQ(info.plic.ndev, 136);
    CHECK_EQ(info.clint.base, 0x2000000);
    CHECK_STR(info.clint.compatible, "sifive,clint0");

    platform_choose(&info, 1, false, &c);
    CHECK_EQ(c.nharts, 5);
    CHECK(!c.harts[0].usable);
    CHECK_STR(c.harts[0].why, "disabled in the device tree");
    for (unsigned i = 1; i < 5; i++) {
        CHECK_EQ(c.harts[i].hartid, i);
        CHECK(c.harts[i].usable);
        CHECK(c.harts[i].why == NULL);
    }
    CHECK_EQ(c.nusable, 4);
    CHECK_EQ(c.engine, PLATFORM_ENGINE_TRAP);
    CHECK_STR(platform_engine_name(c.engine), "trap");
    CHECK_STR(c.engine_why, "no H extension");
    CHECK(c.problem == NULL);
    CHECK(!c.common_subset);
    CHECK(!c.sstc);
    check_uart(&c.uart, PLATFORM_UART_NS16550, 0x10000000);
    CHECK_EQ(c.nram, 1);
    CHECK_EQ(c.ram[0].base, 0x40000000);
    CHECK_EQ(c.ram[0].size, 0x100000000ull);
}

/* Were the S7 enabled, it would still be left alone: first for its missing MMU, then (given one)
 * for its missing F and D. */
TEST(board_visionfive2_monitor_core)
{
    struct platform_info info;
    struct platform_choice c;
    if (!parse_board("visionfive2", &info)) {
        return;
    }
    info.harts[0].enabled = true;
    platform_choose(&info, 1, false, &c);
    CHECK(!c.harts[0].usable);
    CHECK_STR(c.harts[0].why, "no MMU (mmu-type absent or riscv,none)");
    info.harts[0].has_mmu = true;
    platform_choose(&info, 1, false, &c);
    CHECK(!c.harts[0].usable);
    CHECK_STR(c.harts[0].why, "no F and D: a monitor core");
    CHECK_EQ(c.nusable, 4);
    CHECK_EQ(c.engine, PLATFORM_ENGINE_TRAP);
}

/* The hart that entered the hypervisor must be one it can use. */
TEST(board_visionfive2_boot_hart)
{
    struct platform_info info;
    struct platform_choice c;
    if (!parse_board("visionfive2", &info)) {
        return;
    }
    platform_choose(&info, 0, false, &c);
    CHECK_EQ(c.engine, PLATFORM_ENGINE_NONE);
    CHECK_STR(platform_engine_name(c.engine), "none");
    CHECK_STR(c.problem, "disabled in the device tree");
    CHECK_EQ(c.nusable, 4);
    platform_choose(&info, 7, false, &c);
    CHECK_EQ(c.engine, PLATFORM_ENGINE_NONE);
    CHECK_STR(c.problem, "the boot hart is not in the device tree");
}

TEST(board_bpi_f3)
{
    static const char isa[] = "rv64imafdcbv_zicbom_zicbop_zicboz_zicntr_zicond_zicsr_zifencei_"
                              "zihintpause_zihpm_zfh_zba_zbb_zbc_zbs_zkt_zvfh_zvkt_sscofpmf_sstc_"
                              "svinval_svnapot_svpbmt";
    struct platform_info info;
    struct platform_choice c;
    if (!parse_board("bpi-f3", &info)) {
        return;
    }
    CHECK_STR(info.model, "Banana Pi BPI-F3");
    /* RAM from 0: 2 GiB below the devices, the rest above 4 GiB. */
    CHECK_EQ(info.nmem, 2);
    CHECK_EQ(info.mem[0].base, 0);
    CHECK_EQ(info.mem[0].size, 0x80000000);
    CHECK_EQ(info.mem[1].base, 0x100000000ull);
    CHECK_EQ(info.mem[1].size, 0x80000000);
    CHECK_EQ(info.nreserved, 1);
    CHECK_EQ(info.reserved[0].base, 0);
    CHECK_EQ(info.reserved[0].size, 0x80000);
    CHECK_EQ(info.timebase_freq, 24000000);
    CHECK_EQ(info.initrd_start, 0x21000000);
    CHECK_EQ(info.initrd_end, 0x21280000);
    /* cpu-map and the L2 cache nodes are not harts. */
    CHECK_EQ(info.nharts, 8);
    for (unsigned i = 0; i < info.nharts && i < 8; i++) {
        const struct fdt_hart *h = &info.harts[i];
        CHECK_EQ(h->hartid, i);
        CHECK(h->enabled && h->has_mmu && h->has_fd);
        CHECK(!h->has_h);
        CHECK(h->has_sstc); /* read from the blob: "sstc" lies past what isa[] keeps */
        CHECK_EQ(strlen(h->isa), FDT_ISA_LEN - 1);
        CHECK(strncmp(h->isa, isa, FDT_ISA_LEN - 1) == 0);
        CHECK(strstr(h->isa, "_sstc") == NULL);
        CHECK_STR(h->mmu, "riscv,sv39");
    }
    /* stdout-path "serial0", without options, reaches uart0 on the dma-bus through /aliases. */
    CHECK_STR(info.stdout_path, "serial0");
    CHECK_EQ(info.uart.dev.base, 0xd4017000);
    CHECK_EQ(info.uart.dev.size, 0x100);
    CHECK_STR(info.uart.dev.compatible, "spacemit,k1-uart");
    CHECK_EQ(info.uart.reg_shift, 2);
    CHECK_EQ(info.uart.reg_io_width, 4);
    CHECK_EQ(info.plic.dev.base, 0xe0000000);
    CHECK_EQ(info.plic.ndev, 159);
    CHECK_EQ(info.clint.base, 0xe4000000);

    platform_choose(&info, 0, false, &c);
    CHECK_EQ(c.nharts, 8);
    CHECK_EQ(c.nusable, 8);
    CHECK_EQ(c.engine, PLATFORM_ENGINE_TRAP);
    CHECK_STR(c.engine_why, "no H extension");
    CHECK(!c.common_subset);
    CHECK(c.sstc);
    check_uart(&c.uart, PLATFORM_UART_NS16550, 0xd4017000);
    CHECK_STR(platform_uart_kind_name(c.uart.kind), "ns16550");
    CHECK_EQ(c.nram, 2);
    CHECK_EQ(c.ram[1].base, 0x100000000ull);
}

TEST(board_p550)
{
    struct platform_info info;
    struct platform_choice c;
    if (!parse_board("p550", &info)) {
        return;
    }
    CHECK_STR(info.model, "SiFive HiFive Premier P550");
    CHECK_EQ(info.nmem, 1);
    CHECK_EQ(info.mem[0].base, 0x80000000);
    CHECK_EQ(info.mem[0].size, 0x400000000ull);
    CHECK_EQ(info.timebase_freq, 1000000);
    CHECK_EQ(info.initrd_start, 0x88300000);
    CHECK_EQ(info.initrd_end, 0x88712000);
    /* No riscv,isa: the string is rebuilt from riscv,isa-base and riscv,isa-extensions. */
    CHECK_EQ(info.nharts, 4);
    for (unsigned i = 0; i < info.nharts && i < 4; i++) {
        const struct fdt_hart *h = &info.harts[i];
        CHECK_EQ(h->hartid, i);
        CHECK(h->enabled && h->has_mmu && h->has_fd && h->has_h);
        CHECK(!h->has_sstc);
        CHECK_STR(h->isa, "rv64imafdch_sscofpmf_zba_zbb_zicsr_zifencei");
        CHECK_STR(h->mmu, "riscv,sv48");
    }
    /* Two UARTs are enabled; the serial0 alias names the first. */
    CHECK_STR(info.stdout_path, "serial0:115200n8");
    CHECK_EQ(info.uart.dev.base, 0x50900000);
    CHECK_STR(info.uart.dev.compatible, "snps,dw-apb-uart");
    CHECK_EQ(info.uart.clock, 200000000);
    CHECK_EQ(info.plic.dev.base, 0xc000000);
    CHECK_EQ(info.plic.ndev, 520);
    CHECK_EQ(info.clint.base, 0x2000000);

    platform_choose(&info, 0, false, &c);
    CHECK_EQ(c.nusable, 4);
    CHECK_EQ(c.engine, PLATFORM_ENGINE_HEXT);
    CHECK_STR(platform_engine_name(c.engine), "hext");
    CHECK_STR(c.engine_why, "H extension on every usable hart");
    CHECK(!c.common_subset);
    CHECK(!c.sstc);
    check_uart(&c.uart, PLATFORM_UART_NS16550, 0x50900000);
    CHECK_EQ(c.nram, 1);
}

TEST(board_p550_force_trap)
{
    struct platform_info info;
    struct platform_choice c;
    if (!parse_board("p550", &info)) {
        return;
    }
    platform_choose(&info, 2, true, &c);
    CHECK_EQ(c.nusable, 4);
    CHECK_EQ(c.engine, PLATFORM_ENGINE_TRAP);
    CHECK_STR(c.engine_why, "forced by hyp.engine=trap");
    CHECK(!c.common_subset);
}

/* QEMU's sifive_u: the E51 (hart 0) has no MMU and no F or D; the U54 runs the trap engine. */
TEST(board_sifive_u)
{
    struct platform_info info;
    struct platform_choice c;
    if (!parse_board("sifive-u", &info)) {
        return;
    }
    CHECK(!info.harts[0].has_fd);
    CHECK(info.harts[1].has_fd);
    platform_choose(&info, 1, false, &c);
    CHECK_EQ(c.nharts, 2);
    CHECK(!c.harts[0].usable);
    CHECK_STR(c.harts[0].why, "no MMU (mmu-type absent or riscv,none)");
    CHECK(c.harts[1].usable);
    CHECK_EQ(c.nusable, 1);
    CHECK_EQ(c.engine, PLATFORM_ENGINE_TRAP);
    CHECK(!c.sstc);
    check_uart(&c.uart, PLATFORM_UART_SIFIVE, 0x10010000);
    CHECK_STR(platform_uart_kind_name(c.uart.kind), "sifive");
    CHECK_EQ(c.nram, 1);
    CHECK_EQ(c.ram[0].base, 0x80000000);
}

/* QEMU's virt: every hart has H and Sstc; the ns16550a has byte registers. */
TEST(board_qemu_virt)
{
    struct platform_info info;
    struct platform_choice c;
    if (!parse_board("qemu-virt", &info)) {
        return;
    }
    platform_choose(&info, 0, false, &c);
    CHECK_EQ(c.nusable, 2);
    CHECK_EQ(c.engine, PLATFORM_ENGINE_HEXT);
    CHECK(c.sstc);
    CHECK_EQ(c.uart.kind, PLATFORM_UART_NS16550);
    CHECK_EQ(c.uart.stride, 1);
    CHECK_EQ(c.uart.width, 1);
}

/* ---- Policy on hand-made platforms ---- */

static void add_hart(struct platform_info *p, uint32_t id, bool h, bool sstc)
{
    p->harts[p->nharts++] = (struct fdt_hart){
        .hartid = id, .enabled = true, .has_mmu = true, .has_fd = true, .has_h = h,
        .has_sstc = sstc,
    };
}

/* Harts that differ: what guests get is what all of them have. */
TEST(board_mixed_harts)
{
    static struct platform_info p;
    struct platform_choice c;
    memset(&p, 0, sizeof p);
    add_hart(&p, 0, true, true);
    add_hart(&p, 1, false, false);
    platform_choose(&p, 0, false, &c);
    CHECK_EQ(c.nusable, 2);
    CHECK_EQ(c.engine, PLATFORM_ENGINE_TRAP);
    CHECK_STR(c.engine_why, "not every usable hart has the H extension");
    CHECK(c.common_subset);
    CHECK(!c.sstc);
    CHECK_EQ(c.uart.kind, PLATFORM_UART_NONE); /* no UART in the tree */
    CHECK_EQ(c.nram, 0);

    /* A hart left alone does not count: the rest all have H. */
    p.harts[1].enabled = false;
    platform_choose(&p, 0, false, &c);
    CHECK_EQ(c.nusable, 1);
    CHECK_EQ(c.engine, PLATFORM_ENGINE_HEXT);
    CHECK(!c.common_subset);
    CHECK(c.sstc);

    /* Same H, different Sstc. */
    p.harts[1] = p.harts[0];
    p.harts[1].hartid = 1;
    p.harts[1].has_sstc = false;
    platform_choose(&p, 1, false, &c);
    CHECK_EQ(c.engine, PLATFORM_ENGINE_HEXT);
    CHECK(c.common_subset);
    CHECK(!c.sstc);
}

/* ---- UARTs ---- */

TEST(board_uart_kinds)
{
    CHECK_EQ(platform_uart_kind("ns16550a"), PLATFORM_UART_NS16550);
    CHECK_EQ(platform_uart_kind("ns16550"), PLATFORM_UART_NS16550);
    CHECK_EQ(platform_uart_kind("snps,dw-apb-uart"), PLATFORM_UART_NS16550);
    CHECK_EQ(platform_uart_kind("intel,xscale-uart"), PLATFORM_UART_NS16550);
    CHECK_EQ(platform_uart_kind("spacemit,k1-uart"), PLATFORM_UART_NS16550);
    CHECK_EQ(platform_uart_kind("sifive,uart0"), PLATFORM_UART_SIFIVE);
    CHECK_EQ(platform_uart_kind("ns16550x"), PLATFORM_UART_NONE);
    CHECK_EQ(platform_uart_kind("arm,pl011"), PLATFORM_UART_NONE);
    CHECK_EQ(platform_uart_kind(""), PLATFORM_UART_NONE);
}

/* Layouts the driver cannot reach are refused, and the console stays on SBI. */
TEST(board_uart_layouts)
{
    struct fdt_uart u = { .dev = { .present = true, .base = 0x1000, .size = 0x100 } };
    struct platform_uart pu;
    strcpy(u.dev.compatible, "snps,dw-apb-uart");

    u.reg_shift = 2;
    u.reg_io_width = 4;
    platform_uart_choose(&u, &pu);
    CHECK_EQ(pu.kind, PLATFORM_UART_NS16550);
    CHECK_EQ(pu.stride, 4);
    u.reg_shift = 2;
    u.reg_io_width = 1; /* byte accesses 4 bytes apart */
    platform_uart_choose(&u, &pu);
    CHECK_EQ(pu.kind, PLATFORM_UART_NS16550);
    CHECK_EQ(pu.width, 1);
    u.reg_io_width = 2;
    platform_uart_choose(&u, &pu);
    CHECK_EQ(pu.width, 2);
    u.reg_io_width = 3;
    platform_uart_choose(&u, &pu);
    CHECK_EQ(pu.kind, PLATFORM_UART_NONE);
    u.reg_shift = 0; /* 32-bit accesses one byte apart would be misaligned */
    u.reg_io_width = 4;
    platform_uart_choose(&u, &pu);
    CHECK_EQ(pu.kind, PLATFORM_UART_NONE);
    u.reg_shift = 40; /* no undefined shift */
    platform_uart_choose(&u, &pu);
    CHECK_EQ(pu.kind, PLATFORM_UART_NONE);
    u.reg_shift = 2;
    u.dev.size = 0x14; /* LSR at 0x14 lies past reg */
    platform_uart_choose(&u, &pu);
    CHECK_EQ(pu.kind, PLATFORM_UART_NONE);
    u.dev.size = 0x18;
    platform_uart_choose(&u, &pu);
    CHECK_EQ(pu.kind, PLATFORM_UART_NS16550);
    u.dev.base = 0x1002; /* not aligned to the access width */
    platform_uart_choose(&u, &pu);
    CHECK_EQ(pu.kind, PLATFORM_UART_NONE);
    u.dev.base = 0x1000;
    strcpy(u.dev.compatible, "arm,pl011");
    platform_uart_choose(&u, &pu);
    CHECK_EQ(pu.kind, PLATFORM_UART_NONE);
    strcpy(u.dev.compatible, "sifive,uart0");
    u.dev.size = 0x8;
    platform_uart_choose(&u, &pu);
    CHECK_EQ(pu.kind, PLATFORM_UART_NONE);
    u.dev.size = 0x1000;
    platform_uart_choose(&u, &pu);
    CHECK_EQ(pu.kind, PLATFORM_UART_SIFIVE);
    u.dev.present = false;
    platform_uart_choose(&u, &pu);
    CHECK_EQ(pu.kind, PLATFORM_UART_NONE);
}

/* ---- Corners of board trees ---- */

/* /chosen comes before /aliases; its alias names the second of two enabled UARTs. */
TEST(board_stdout_alias)
{
    struct platform_info info;
    if (!parse_board("board-corners", &info)) {
        return;
    }
    CHECK_STR(info.stdout_path, "serial1:115200n8");
    CHECK_EQ(info.uart.dev.base, 0x2000);
    CHECK_STR(info.uart.dev.compatible, "intel,xscale-uart");
}

/* An alias of a disabled UART, or no such alias: the first enabled UART, as without stdout-path. */
TEST(board_stdout_alias_unresolved)
{
    static const char *const to[] = { "serial2:", "serial9:" };
    for (unsigned i = 0; i < 2; i++) {
        struct platform_info info;
        size_t size;
        uint8_t *blob = load_dtb("board-corners", &size);
        CHECK(blob != NULL);
        if (!blob) {
            return;
        }
        CHECK(patch_blob(blob, size, "serial1:", to[i]));
        CHECK_EQ(fdt_parse(blob, size, &info), FDT_OK);
        CHECK_EQ(info.uart.dev.base, 0x1000);
        CHECK_STR(info.uart.dev.compatible, "snps,dw-apb-uart");
        free(blob);
    }
}

/* riscv,isa-extensions alone: base taken as rv64, the string cut at the last name that fits, and
 * flags read from the whole list (Sstc comes last, in capitals). */
TEST(board_isa_extensions_only)
{
    struct platform_info info;
    if (!parse_board("board-corners", &info)) {
        return;
    }
    CHECK_EQ(info.nharts, 1);
    const struct fdt_hart *h = &info.harts[0];
    CHECK_STR(h->isa, "rv64imafdcv_zicbom_zicboz_zicntr_zicond_zicsr_zifencei_zihintpause_zihpm_"
                      "zfh_zba_zbb_zbc_zbs_zkt_zvfh_zvkt_sscofpmf_svinval");
    CHECK(h->has_fd);
    CHECK(!h->has_h);
    CHECK(h->has_sstc);
}

/* What guests are told: what the engine gives them, nothing the hart has beyond that. */
TEST(guest_isa_filters_what_the_engine_does_not_give)
{
    char out[FDT_ISA_LEN];

    platform_guest_isa("rv64imafdch_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc", false, out,
                       sizeof out);
    CHECK_STR(out, "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc");
    platform_guest_isa("rv64imafdch_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc", true, out,
                       sizeof out);
    CHECK_STR(out, "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs");
    /* A K1 (BPI-F3): vector, its parts, counters, PBMT and CMOs withheld; on the trap engine Sstc,
     * Svnapot and Svinval too. */
    platform_guest_isa("rv64imafdcv_zicbom_zicboz_zicntr_zicond_zicsr_zifencei_zihintpause_zihpm_"
                       "zfh_zba_zbb_zbc_zbs_zkt_zvfh_zvkt_sscofpmf_sstc_svinval_svnapot_svpbmt",
                       true, out, sizeof out);
    CHECK_STR(out, "rv64imafdc_zicntr_zicond_zicsr_zifencei_zihintpause_zfh_zba_zbb_zbc_zbs_zkt");
    platform_guest_isa("rv64imac", true, out, sizeof out);
    CHECK_STR(out, "rv64imac");
    /* Truncation never leaves half an extension. */
    platform_guest_isa("rv64imafdc_zicsr_zifencei", false, out, 17);
    CHECK_STR(out, "rv64imafdc_zicsr");
}

/* hyp.harts=<list>: ids and ranges; anything else is refused whole, never half taken. */
TEST(harts_list_parses_ids_and_ranges)
{
    uint64_t m = 0;

    CHECK(platform_parse_harts("1,3-4", &m));
    CHECK_EQ(m, 0x1aull);
    CHECK(platform_parse_harts("0", &m));
    CHECK_EQ(m, 1ull);
    CHECK(platform_parse_harts("63", &m));
    CHECK_EQ(m, 1ull << 63);
    CHECK(platform_parse_harts("0-63", &m));
    CHECK_EQ(m, ~0ull);
    m = 7;
    CHECK(!platform_parse_harts("", &m));
    CHECK(!platform_parse_harts("64", &m));
    CHECK(!platform_parse_harts("4-2", &m));
    CHECK(!platform_parse_harts("1,", &m));
    CHECK(!platform_parse_harts("1;2", &m));
    CHECK(!platform_parse_harts("-1", &m));
    CHECK(!platform_parse_harts("99999999999999999999", &m));
    CHECK(!platform_parse_harts("2-", &m));
    CHECK_EQ(m, 7ull);
}
