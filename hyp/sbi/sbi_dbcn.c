// SPDX-License-Identifier: MIT
// SBI Debug Console extension (ext-debug-console.adoc): whole buffers per call, the batched console.
#include "sbi.h"

#include <string.h>

#include "console.h"
#include "guest_mem.h"
#include "vm.h"

/* Bytes taken per call; the spec lets a write be partial and the guest loops on the count returned.
 * Bounded so one call cannot hold the hart for long. */
#define DBCN_MAX_CHUNK HV_DBCN_MAX

/* The guest buffer for read/write, or NULL when the range is not wholly in its RAM. What a read
 * stores never goes into a frame the page-table validator has typed as a table (as for a disk read). */
static void *dbcn_buffer(struct vcpu *v, const struct sbi_call *c, unsigned long *len, bool store)
{
    *len = c->args[0] < DBCN_MAX_CHUNK ? c->args[0] : DBCN_MAX_CHUNK;
    /* RV64: base_addr_hi holds address bits 64 and up, which no guest RAM has. */
    if (c->args[2] != 0) {
        return NULL;
    }
    /* The whole buffer the guest named must be valid, not just the part taken now. */
    uint64_t hpa;
    if (!guest_ram_range(v->vm, c->args[1], c->args[0], &hpa)) {
        return NULL;
    }
    if (store) {
        return guest_ram_write_ptr(v->vm, c->args[1], *len);
    }
    return guest_ram_ptr(v->vm, c->args[1], *len);
}

static struct sbi_ret dbcn_handle(struct vcpu *v, const struct sbi_call *c)
{
    unsigned long len;
    char *buf;

    switch (c->fid) {
    case SBI_DBCN_WRITE:
        buf = dbcn_buffer(v, c, &len, false);
        if (!buf) {
            return sbi_err(SBI_ERR_INVALID_PARAM);
        }
        len = console_guest_allow(v->vm, buf, len);
        console_guest_write(v->vm, buf, len);
        return sbi_ok(len);
    case SBI_DBCN_READ: {
        buf = dbcn_buffer(v, c, &len, true);
        if (!buf) {
            return sbi_err(SBI_ERR_INVALID_PARAM);
        }
        unsigned long n = 0;
        int ch;
        while (n < len && (ch = console_guest_getc(v->vm)) >= 0) {
            buf[n++] = (char)ch;
        }
        return sbi_ok(n);
    }
    case SBI_DBCN_WRITE_BYTE:
    {
        char ch = (char)(c->args[0] & 0xff);
        if (console_guest_allow(v->vm, &ch, 1) == 0) {
            return (struct sbi_ret){ .no_reply = true }; /* "blocking": the guest calls again */
        }
        console_guest_putc(v->vm, ch);
        return sbi_ok(0);
    }
    default:
        return sbi_err(SBI_ERR_NOT_SUPPORTED);
    }
}

const struct sbi_ext sbi_ext_dbcn = {
    .name = "dbcn",
    .eid_start = SBI_EXT_DBCN,
    .eid_end = SBI_EXT_DBCN,
    .handle = dbcn_handle,
};
