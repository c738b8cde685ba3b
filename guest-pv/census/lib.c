// SPDX-License-Identifier: MIT
// The census kernel's library: console lines through the SBI, a small formatter, SBI calls, and a
// reader for the few device-tree properties the probes report.
#include "census.h"

#define SBI_LEGACY_PUTCHAR 0x01
#define SBI_EXT_TIME 0x54494d45
#define SBI_EXT_SRST 0x53525354

unsigned probe_count;

struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                       unsigned long a2)
{
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r6 __asm__("a6") = fid;
    register unsigned long r7 __asm__("a7") = eid;

    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){ (long)r0, (long)r1 };
}

/* The legacy console: the one output path that OpenSBI 1.1 and the hypervisor both offer
 * (OpenSBI 1.1 has no DBCN), so every run prints the same way. */
static void put_char(char c)
{
    register unsigned long r0 __asm__("a0") = (unsigned char)c;
    register unsigned long r7 __asm__("a7") = SBI_LEGACY_PUTCHAR;

    __asm__ volatile("ecall" : "+r"(r0) : "r"(r7) : "memory", "a1");
}

void sbi_set_timer(uint64_t deadline)
{
    sbi_call(SBI_EXT_TIME, 0, deadline, 0, 0);
}

_Noreturn void sbi_shutdown(void)
{
    sbi_call(SBI_EXT_SRST, 0, 0, 0, 0);
    for (;;) {
        __asm__ volatile("wfi");
    }
}

static void put_str(const char *s)
{
    while (*s) {
        put_char(*s++);
    }
}

/* ---- Formatting: %s %c %d %u %x with l, and %%; enough for the probes, nothing more. ---- */

struct sink {
    char *buf;
    size_t size;
    size_t n;
};

static void sink_put(struct sink *k, char c)
{
    if (k->n + 1 < k->size) {
        k->buf[k->n] = c;
    }
    k->n++;
}

static void sink_num(struct sink *k, uint64_t v, unsigned base, bool neg)
{
    char digits[24];
    unsigned n = 0;

    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg) {
        sink_put(k, '-');
    }
    while (n) {
        sink_put(k, digits[--n]);
    }
}

int fmt_vsn(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink k = { buf, size, 0 };

    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            sink_put(&k, *p);
            continue;
        }
        bool lng = false;
        p++;
        if (*p == 'l') {
            lng = true;
            p++;
        }
        switch (*p) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            for (s = s ? s : "(null)"; *s; s++) {
                sink_put(&k, *s);
            }
            break;
        }
        case 'c':
            sink_put(&k, (char)va_arg(ap, int));
            break;
        case 'd': {
            int64_t v = lng ? va_arg(ap, long) : va_arg(ap, int);
            sink_num(&k, v < 0 ? (uint64_t)-v : (uint64_t)v, 10, v < 0);
            break;
        }
        case 'u':
            sink_num(&k, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, false);
            break;
        case 'x':
            sink_num(&k, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, false);
            break;
        case '%':
            sink_put(&k, '%');
            break;
        default:
            sink_put(&k, '?');
            if (!*p) {
                p--;
            }
            break;
        }
    }
    if (size) {
        buf[k.n < size ? k.n : size - 1] = '\0';
    }
    return (int)k.n;
}

int fmt_sn(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsn(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

void out_line(const char *fmt, ...)
{
    char line[256];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsn(line, sizeof(line), fmt, ap);
    va_end(ap);
    put_str(line);
    put_str("\n");
}

void probe(const char *name, const char *fmt, ...)
{
    char value[200];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsn(value, sizeof(value), fmt, ap);
    va_end(ap);
    probe_count++;
    out_line("probe %s: %s", name, value);
}

bool str_has(const char *s, const char *word)
{
    for (; s && *s; s++) {
        size_t i = 0;
        while (word[i] && s[i] == word[i]) {
            i++;
        }
        if (!word[i]) {
            return true;
        }
    }
    return false;
}

/* ---- Device tree: a read-only walk of the structure block (devicetree spec, "Flattened
 * Devicetree Format"), trusting the blob only as far as its own header says. ---- */

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

static const uint8_t *fdt_base;
static uint32_t fdt_size, fdt_struct, fdt_struct_size, fdt_strings;

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void fdt_init(const void *fdt)
{
    const uint8_t *p = fdt;

    fdt_base = (const uint8_t *)0;
    if (!p || ((uintptr_t)p & 3) || be32(p) != FDT_MAGIC) {
        return;
    }
    fdt_size = be32(p + 4);
    fdt_struct = be32(p + 8);
    fdt_strings = be32(p + 12);
    fdt_struct_size = be32(p + 36);
    if (fdt_size > (1u << 20) || fdt_struct >= fdt_size || fdt_strings >= fdt_size ||
        fdt_struct_size > fdt_size - fdt_struct) {
        return;
    }
    fdt_base = p;
}

bool fdt_valid(void)
{
    return fdt_base != (const uint8_t *)0;
}

/* Does the node path "/a/b" at depth d equal the stack of names seen so far? */
static bool path_is(const char *path, const char *const *names, unsigned depth)
{
    const char *p = path;

    for (unsigned d = 1; d < depth; d++) {
        if (*p++ != '/') {
            return false;
        }
        const char *n = names[d];
        while (*n && *p == *n) {
            p++;
            n++;
        }
        if (*n || (*p && *p != '/')) {
            return false;
        }
    }
    return *p == '\0' || (depth == 1 && p[0] == '/' && p[1] == '\0');
}

static const void *fdt_prop(const char *path, const char *prop, uint32_t *len)
{
    const char *names[8];
    unsigned depth = 0;
    uint32_t off = fdt_struct, end = fdt_struct + fdt_struct_size;

    if (!fdt_base) {
        return (const void *)0;
    }
    while (off + 4 <= end) {
        uint32_t tok = be32(fdt_base + off);
        off += 4;
        if (tok == FDT_BEGIN_NODE) {
            const char *name = (const char *)fdt_base + off;
            uint32_t n = 0;
            while (off + n < end && name[n]) {
                n++;
            }
            if (depth < 8) {
                names[depth] = name;
            }
            depth++;
            off = (off + n + 1 + 3) & ~3u;
        } else if (tok == FDT_END_NODE) {
            if (depth == 0) {
                return (const void *)0;
            }
            depth--;
        } else if (tok == FDT_PROP) {
            if (off + 8 > end) {
                return (const void *)0;
            }
            uint32_t plen = be32(fdt_base + off), nameoff = be32(fdt_base + off + 4);
            const uint8_t *val = fdt_base + off + 8;
            if (plen > end - off - 8 || fdt_strings + nameoff >= fdt_size) {
                return (const void *)0;
            }
            const char *pname = (const char *)fdt_base + fdt_strings + nameoff;
            if (depth <= 8 && path_is(path, names, depth)) {
                const char *a = pname, *b = prop;
                while (*a && *a == *b) {
                    a++;
                    b++;
                }
                if (*a == *b) {
                    *len = plen;
                    return val;
                }
            }
            off = (off + 8 + plen + 3) & ~3u;
        } else if (tok == FDT_NOP) {
            continue;
        } else {
            return (const void *)0;
        }
    }
    return (const void *)0;
}

const char *fdt_string(const char *path, const char *prop)
{
    uint32_t len = 0;
    const char *s = fdt_prop(path, prop, &len);

    return s && len > 0 && s[len - 1] == '\0' ? s : (const char *)0;
}

bool fdt_u32(const char *path, const char *prop, uint32_t *val)
{
    uint32_t len = 0;
    const uint8_t *p = fdt_prop(path, prop, &len);

    if (!p || len != 4) {
        return false;
    }
    *val = be32(p);
    return true;
}
