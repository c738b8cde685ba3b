/* SPDX-License-Identifier: MIT */
/* Device-tree reader: turns the flattened device tree that firmware hands us into a platform description. */
#ifndef HYP_FDT_H
#define HYP_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDT_MAX_MEM 8
#define FDT_MAX_RESERVED 16
#define FDT_MAX_HARTS 16
#define FDT_ISA_LEN 128
#define FDT_STR_LEN 64
#define FDT_BOOTARGS_LEN 256
#define FDT_MAX_VIRTIO 8
/* A blob larger than this is refused: nothing we boot on has one, and it bounds every walk. */
#define FDT_MAX_SIZE (1u << 20)

struct fdt_region {
    uint64_t base;
    uint64_t size;
};

struct fdt_hart {
    uint32_t hartid;
    bool enabled;            /* status absent or "okay" */
    bool has_mmu;            /* mmu-type present and not "riscv,none" */
    bool has_h;              /* 'h' in the single-letter part of riscv,isa */
    bool has_fd;             /* 'f' and 'd' (or 'g') there: not a monitor core such as an E51 */
    bool has_sstc;           /* "sstc" among the multi-letter extensions */
    /* riscv,isa, truncated if longer; built from riscv,isa-base and riscv,isa-extensions when the
     * tree has only those. */
    char isa[FDT_ISA_LEN];
    char mmu[FDT_STR_LEN];   /* mmu-type, empty when absent */
};

struct fdt_device {
    bool present;
    uint64_t base;
    uint64_t size;
    char compatible[FDT_STR_LEN]; /* the first compatible string that matched */
};

struct fdt_uart {
    struct fdt_device dev;
    uint32_t reg_shift;    /* reg-shift, default 0 */
    uint32_t reg_io_width; /* reg-io-width, default 1 */
    uint32_t clock;        /* clock-frequency, 0 when absent */
};

struct fdt_plic {
    struct fdt_device dev;
    uint32_t ndev; /* riscv,ndev */
};

/* A "virtio,mmio" transport slot: which device sits behind it (if any) is read from its registers. */
struct fdt_virtio {
    uint64_t base;
    uint64_t size;
    uint32_t irq; /* the first cell of interrupts, 0 when absent */
};

struct platform_info {
    struct fdt_region mem[FDT_MAX_MEM];
    unsigned nmem;
    /* /reserved-memory children with reg, and the blob's memory-reservation block. */
    struct fdt_region reserved[FDT_MAX_RESERVED];
    unsigned nreserved;
    struct fdt_hart harts[FDT_MAX_HARTS];
    unsigned nharts;
    uint64_t timebase_freq; /* /cpus timebase-frequency (or the first cpu's) */
    /* /chosen stdout-path (a path, or an alias of /aliases) if it resolves, else the first
     * 16550-compatible or SiFive UART. */
    struct fdt_uart uart;
    struct fdt_plic plic;   /* riscv,plic0 or sifive,plic-1.0.0 */
    struct fdt_device clint; /* riscv,clint0 / sifive,clint0 / riscv,aclint-mtimer */
    /* sifive,test1 / sifive,test0: the test finisher of QEMU's virt board, through which a failing
     * run ends QEMU with a status of its own (arch/riscv/sbi_fw.c). */
    struct fdt_device finisher;
    char bootargs[FDT_BOOTARGS_LEN]; /* /chosen bootargs, empty when absent */
    char stdout_path[FDT_STR_LEN];   /* /chosen stdout-path, empty when absent */
    char model[FDT_STR_LEN];         /* root model, empty when absent */
    /* /chosen linux,initrd-start/-end: where the loader put the guest bundle; both 0 when absent or
     * when end is not above start. */
    uint64_t initrd_start, initrd_end;
    struct fdt_virtio virtio[FDT_MAX_VIRTIO]; /* "virtio,mmio" nodes in document order */
    unsigned nvirtio;
};

enum fdt_error {
    FDT_OK = 0,
    FDT_ERR_BADMAGIC = -1,
    FDT_ERR_BADVERSION = -2,
    FDT_ERR_TRUNCATED = -3,  /* totalsize, or an offset/size in the header, past what we may read */
    FDT_ERR_BADSTRUCT = -4,  /* malformed structure block: bad token, unterminated name, bad nesting */
    FDT_ERR_BADPROP = -5,    /* a property runs past the block or names a string outside the strings block */
    FDT_ERR_TOODEEP = -6,
    FDT_ERR_NOMEM = -7,      /* no /memory node with a usable reg */
};

/* Parses the blob at `blob`; at most `avail` bytes may be read from it (and never more than FDT_MAX_SIZE).
 * Every offset and length in the blob is checked before use; on error *out is unspecified. */
int fdt_parse(const void *blob, size_t avail, struct platform_info *out);

/* The totalsize field of a blob after its magic is checked, or 0 when the header is not a device tree. */
uint32_t fdt_total_size(const void *blob);

const char *fdt_strerror(int err);

/* A blob whose header has been checked: every block lies inside its totalsize bytes. */
struct fdt_blob {
    const uint8_t *base, *st;
    const char *str;
    uint32_t total, rsv_off, st_size, str_size;
};

/* Checks the header of the blob at `blob` (at most `avail` and `max` bytes may be read). */
int fdt_open(const void *blob, size_t avail, uint32_t max, struct fdt_blob *b);

enum fdt_token_kind { FDT_BEGIN = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_END = 9 };

/* One token of the structure block: a node's name (FDT_BEGIN), or a property's name and value. */
struct fdt_token {
    enum fdt_token_kind kind;
    const char *name; /* NUL-terminated inside the blob */
    size_t name_len;
    const uint8_t *data; /* FDT_PROP: the value, len bytes inside the blob */
    uint32_t len;
};

/* The token at *pos (start at 0), skipping NOPs; *pos moves past it. Each call advances *pos by at
 * least 4, so a walk ends. Nesting is the caller's to check. */
int fdt_next(const struct fdt_blob *b, uint32_t *pos, struct fdt_token *t);

/* Big-endian cells, read byte by byte (a blob may sit at any alignment). */
uint32_t fdt_be32(const uint8_t *p);

/* The length of s, at most max (strnlen is POSIX, not C11). */
size_t fdt_strnlen(const char *s, size_t max);

/* The memory-reservation block's (address, size) pairs up to its 0,0 entry, non-empty ones into
 * out[*n..max) (more are dropped); FDT_ERR_TRUNCATED when the block runs past the blob. */
int fdt_rsvmap(const struct fdt_blob *b, struct fdt_region *out, unsigned max, unsigned *n);

#endif
