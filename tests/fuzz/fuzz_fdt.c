// SPDX-License-Identifier: MIT
// Fuzzes the device-tree reader (hyp/fdt.c), which treats the blob firmware hands over as hostile:
// fdt_parse on arbitrary bytes (as they come, and again with the header's magic and totalsize made
// right, so mutations reach the structure block), and fdt_total_size. ASan sees every read past the
// input; the checks below hold for whatever the reader returns.
#include <string.h>

#include "fdt.h"
#include "fuzz.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A string the reader copied: NUL-terminated inside its array. */
static void check_str(const char *s, size_t cap, const char *what)
{
    FUZZ_CHECK(memchr(s, '\0', cap) != NULL, "%s not terminated", what);
}

static void check_result(int err, const struct platform_info *pi)
{
    FUZZ_CHECK(err <= FDT_OK && err >= FDT_ERR_NOMEM, "error %d outside enum fdt_error", err);
    FUZZ_CHECK(strcmp(fdt_strerror(err), "unknown error") != 0, "error %d has no text", err);
    if (err != FDT_OK && err != FDT_ERR_NOMEM) {
        return; /* *out is unspecified */
    }
    FUZZ_CHECK((err == FDT_OK) == (pi->nmem > 0), "FDT_OK iff memory: err %d nmem %u", err,
               pi->nmem);
    FUZZ_CHECK(pi->nmem <= FDT_MAX_MEM, "nmem %u", pi->nmem);
    FUZZ_CHECK(pi->nreserved <= FDT_MAX_RESERVED, "nreserved %u", pi->nreserved);
    FUZZ_CHECK(pi->nharts <= FDT_MAX_HARTS, "nharts %u", pi->nharts);
    FUZZ_CHECK(pi->nvirtio <= FDT_MAX_VIRTIO, "nvirtio %u", pi->nvirtio);
    /* Empty regions say nothing: the reader drops them. */
    for (unsigned i = 0; i < pi->nmem; i++) {
        FUZZ_CHECK(pi->mem[i].size != 0, "empty memory region %u", i);
    }
    for (unsigned i = 0; i < pi->nreserved; i++) {
        FUZZ_CHECK(pi->reserved[i].size != 0, "empty reserved region %u", i);
    }
    for (unsigned i = 0; i < pi->nvirtio; i++) {
        FUZZ_CHECK(pi->virtio[i].size != 0, "empty virtio slot %u", i);
    }
    for (unsigned i = 0; i < pi->nharts; i++) {
        check_str(pi->harts[i].isa, sizeof pi->harts[i].isa, "isa");
        check_str(pi->harts[i].mmu, sizeof pi->harts[i].mmu, "mmu");
    }
    check_str(pi->bootargs, sizeof pi->bootargs, "bootargs");
    check_str(pi->stdout_path, sizeof pi->stdout_path, "stdout_path");
    check_str(pi->model, sizeof pi->model, "model");
    check_str(pi->uart.dev.compatible, sizeof pi->uart.dev.compatible, "uart compatible");
    check_str(pi->plic.dev.compatible, sizeof pi->plic.dev.compatible, "plic compatible");
    check_str(pi->clint.compatible, sizeof pi->clint.compatible, "clint compatible");
    FUZZ_CHECK(pi->uart.dev.present || pi->uart.dev.compatible[0] == '\0', "absent uart named");
}

static int parse(const uint8_t *blob, size_t avail)
{
    struct platform_info pi;
    memset(&pi, 0x5a, sizeof pi); /* the reader must set everything it returns */
    int err = fdt_parse(blob, avail, &pi);
    check_result(err, &pi);
    /* The same bytes give the same answer: nothing is kept between calls. */
    struct platform_info again;
    int err2 = fdt_parse(blob, avail, &again);
    FUZZ_CHECK(err == err2, "second parse %d, first %d", err2, err);
    if (err == FDT_OK) {
        FUZZ_CHECK(again.nmem == pi.nmem && again.nharts == pi.nharts &&
                       again.nreserved == pi.nreserved && again.nvirtio == pi.nvirtio &&
                       again.timebase_freq == pi.timebase_freq &&
                       strcmp(again.bootargs, pi.bootargs) == 0,
                   "two parses of one blob differ");
    }
    return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* libFuzzer's buffer is exactly size bytes on the heap, so ASan catches any read past avail. */
    int err = parse(data, size);
    if (size >= 8) {
        uint32_t total = fdt_total_size(data);
        FUZZ_CHECK(total == (be32(data) == 0xd00dfeedu ? be32(data + 4) : 0), "total_size %u",
                   total);
    }
    /* A short avail: the reader may read no further than it is told. */
    if (size > 0) {
        uint8_t *shorter = malloc(size - 1);
        memcpy(shorter, data, size - 1);
        int e = fdt_parse(shorter, size - 1, &(struct platform_info){ 0 });
        FUZZ_CHECK(e <= FDT_OK && e >= FDT_ERR_NOMEM, "error %d", e);
        free(shorter);
    }
    /* Again with a header that passes the first checks, so mutated seeds reach the walk. */
    if (size >= 40 && err != FDT_OK) {
        uint8_t *fixed = malloc(size);
        memcpy(fixed, data, size);
        put_be32(fixed, 0xd00dfeedu);
        put_be32(fixed + 4, (uint32_t)size);
        parse(fixed, size);
        free(fixed);
    }
    return 0;
}
