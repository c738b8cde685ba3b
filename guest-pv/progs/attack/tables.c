// SPDX-License-Identifier: MIT
// Attack pack, validated page tables: the hypervisor's own stores aimed at a validated table
// (refused before anything is written, the table unchanged: docs/security.md, "Found, and fixed"),
// root slot 511 (the hypervisor's alias on the trap engine, docs/hypercalls.md), and linear and
// cross-level tables after Xen's XSA-240: each frame has one table type at a time
// (docs/hypercalls.md, "Page tables"), so a table reached again as a table of another level is
// refused.
#include <string.h>

#include "attack.h"

#define IS(n) (strcmp(a, n) == 0)
#define SLOT511 (AT_ROOT + 511 * 8)

bool attack_tables(const char *a)
{
    static struct hv_blk_req req;
    struct sbiret r;

    /* ---- the hypervisor's stores into a validated table ---- */
    if (IS("multicall-results-in-table")) {
        /* The array is the level-0 table: its results would overwrite entries. */
        at_build_and_pin();
        at_snap(AT_L0);
        at_result(a, "error", hv_call(HV_FID_MULTICALL, AT_L0, 1, 0).error);
        at_result(a, "table-unchanged", at_same(AT_L0));
    } else if (IS("dbcn-read-into-table")) {
        at_build_and_pin();
        at_snap(AT_L0);
        r = sbi_call(SBI_EXT_DBCN, SBI_DBCN_READ, 64, AT_L0, 0, 0, 0, 0);
        at_result(a, "error", r.error);
        at_result(a, "table-unchanged", at_same(AT_L0));
    } else if (IS("blk-read-into-table")) {
        at_build_and_pin();
        at_snap(AT_L0);
        req = (struct hv_blk_req){ HV_BLK_READ, 0x77, 0, AT_L0, 512 };
        r = hv_call(HV_FID_BLK_SUBMIT, (unsigned long)&req, 1, 0);
        at_result(a, "error", r.error);
        at_result(a, "status", req.status);
        at_result(a, "table-unchanged", at_same(AT_L0));
    } else if (IS("blk-status-array-in-table")) {
        /* The request array is the table: its status words would be written into entries. */
        at_build_and_pin();
        at_snap(AT_L0);
        at_result(a, "error", hv_call(HV_FID_BLK_SUBMIT, AT_L0, 1, 0).error);
        at_result(a, "table-unchanged", at_same(AT_L0));
        /* ---- root slot 511 ---- */
    } else if (IS("slot511-update")) {
        /* On the trap engine the pinned root's slot 511 holds the hypervisor's alias: the guest may
         * read it, never change it. With stage 2 the slot is the guest's like any other. */
        at_build_and_pin();
        uint64_t before = *(volatile uint64_t *)SLOT511;
        at_result(a, "error", at_update1(SLOT511, AT_PTE(AT_SPARE, 0)));
        at_result(a, "entry-unchanged", *(volatile uint64_t *)SLOT511 == before);
    } else if (IS("slot511-pin-filled")) {
        /* A second root, its slot 511 filled by the guest before the pin. */
        at_build_and_pin();
        uint64_t *root2 = (uint64_t *)AT_SPARE;
        root2[2] = AT_PTE(AT_L1, 0);
        root2[511] = AT_PTE(AT_SPARE2, 0);
        at_result(a, "pin", hv_call(HV_FID_PIN_TABLE, AT_MA(AT_SPARE), 0, 0).error);
    } else if (IS("slot511-user-root")) {
        /* A user root (SET_ROOT's a2) holding nothing: pinned, it gains the hypervisor's entry on
         * the trap engine (its trap vector must stay mapped while user code runs), without the U
         * bit, so user code cannot reach it; unpinned, the entry goes. */
        at_build_and_pin();
        uint64_t *uroot = (uint64_t *)AT_SPARE;
        at_result(a, "pin", hv_call(HV_FID_PIN_TABLE, AT_MA(AT_SPARE), 0, 0).error);
        uint64_t e = ((volatile uint64_t *)uroot)[511];
        at_result(a, "slot-filled", (e & PTE_V) != 0);
        at_result(a, "slot-user", (e & PTE_U) != 0);
        at_result(a, "update", at_update1(AT_SPARE + 511 * 8, 0));
        at_result(a, "unpin", hv_call(HV_FID_UNPIN_TABLE, AT_MA(AT_SPARE), 0, 0).error);
        at_result(a, "slot-empty-after", ((volatile uint64_t *)uroot)[511] == 0);
        /* ---- linear and cross-level tables (XSA-240) ---- */
    } else if (IS("xsa240-root-points-at-itself")) {
        at_build_and_pin();
        at_snap(AT_ROOT);
        at_result(a, "error", at_update1(AT_ROOT + 3 * 8, AT_PTE(AT_ROOT, 0)));
        at_result(a, "root-unchanged", at_same(AT_ROOT));
    } else if (IS("xsa240-l1-points-at-l1")) {
        /* L1[9] naming L1 itself, then SPARE made a second level-1 table (ROOT[3]) and L1[10]
         * naming it: a level-1 table used as a level 0 either way. */
        at_build_and_pin();
        at_result(a, "self", at_update1(AT_L1 + 9 * 8, AT_PTE(AT_L1, 0)));
        at_result(a, "second-l1", at_update1(AT_ROOT + 3 * 8, AT_PTE(AT_SPARE, 0)));
        at_result(a, "other", at_update1(AT_L1 + 10 * 8, AT_PTE(AT_SPARE, 0)));
        at_result(a,
                  "entries-empty",
                  ((volatile uint64_t *)AT_L1)[9] == 0 && ((volatile uint64_t *)AT_L1)[10] == 0);
    } else if (IS("xsa240-frame-at-two-levels")) {
        /* SPARE a level-0 table under L1[9], then named as a level-1 table by the root: refused;
         * once the first use is gone, the second is accepted. */
        at_build_and_pin();
        at_result(a, "as-l0", at_update1(AT_L1 + 9 * 8, AT_PTE(AT_SPARE, 0)));
        at_result(a, "as-l1", at_update1(AT_ROOT + 3 * 8, AT_PTE(AT_SPARE, 0)));
        at_result(a, "root-entry-empty", ((volatile uint64_t *)AT_ROOT)[3] == 0);
        at_result(a, "l0-dropped", at_update1(AT_L1 + 9 * 8, 0));
        at_result(a, "as-l1-after", at_update1(AT_ROOT + 3 * 8, AT_PTE(AT_SPARE, 0)));
    } else if (IS("native-rewrite-then-unpin")) {
        /* With stage 2 (hext) a guest may store into its validated tables directly: here a root
         * naming itself, an L1 naming itself and the L0 link moved to an unvalidated frame, all
         * after the pin. The unpin must undo what the pin did, not what the frames now say, and
         * the tree pin again. Without stage 2 each store faults (the tables are read-only). */
        at_build_and_pin();
        at_hook_faults();
        ((volatile uint64_t *)AT_ROOT)[3] = AT_PTE(AT_ROOT, 0);
        ((volatile uint64_t *)AT_L1)[9] = AT_PTE(AT_L1, 0);
        ((volatile uint64_t *)AT_L1)[5] = AT_PTE(AT_SPARE, 0);
        at_result(a, "stores-faulted", (long)at_faults);
        at_result(a, "unpin", hv_call(HV_FID_UNPIN_TABLE, AT_MA(AT_ROOT), 0, 0).error);
        at_result(a, "pin-again", at_build_and_pin());
        at_result(a, "unpin-again", hv_call(HV_FID_UNPIN_TABLE, AT_MA(AT_ROOT), 0, 0).error);
    } else {
        return false;
    }
    return true;
}
