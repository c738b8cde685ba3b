# SPDX-License-Identifier: MIT
"""Attack cases of guest-pv/progs/attack/*.c, in test_attack.py's CASES form: name -> ("result",
[lines after "attack: NAME: result "]) or a dict of those per engine where the hardware (hext) and
the spec leave the choice to the hart."""

SBI_NOT_SUPPORTED, SBI_INVALID_PARAM, SBI_DENIED, SBI_INVALID_ADDRESS, SBI_IO = -2, -3, -4, -5, -13
ILLEGAL = 2
IOERR = ["completed 1", "status-ioerr 1", "buffer-untouched 1", "device-works-after 1"]
RESET = ["completed 0", "needs-reset 1", "status-untouched 1", "device-works-after 1"]

MORE_CASES = {
    # The vCPU page's return call with random sstatus, registers and flag (attack/vpage.c): every one
    # does what the call may; hext has no vCPU page.
    "trap-return-noise": ("result", {"trap": ["register 0", "wrong 0"],
                                      "hext": ["register %d" % SBI_NOT_SUPPORTED, "wrong 0"]}),
    # With a vCPU page, sstatus accesses that set, clear or read SIE go through the page; the SUM
    # toggles the short paths take leave it alone (attack/vpage.c).
    "page-flag-csrs": ("result", {
        "trap": ["register 0", "set-not-seen 0", "clear-not-seen 0", "flag-not-read 0", "sum-wrong 0"],
        "hext": ["register %d" % SBI_NOT_SUPPORTED, "set-not-seen 0", "clear-not-seen 0", "flag-not-read 0",
                 "sum-wrong 0"]}),
    # virtio-blk (hyp/dev/vblk.c): malformed chains end with IOERR and move no data; rings it cannot
    # use, or an avail index past the ring, stop the device (DEVICE_NEEDS_RESET) until a reset.
    "virtio-chain-loop": ("result", IOERR),
    "virtio-chain-longer-than-queue": ("result", IOERR),
    "virtio-indirect": ("result", IOERR),
    "virtio-garbage-avail-idx": ("result", ["completed 0", "needs-reset 1", "status-untouched 1",
                                            "buffer-untouched 1", "device-works-after 1"]),
    "virtio-desc-ring-outside-ram": ("result", RESET),
    "virtio-used-ring-past-ram": ("result", RESET),
    "virtio-queue-size-not-power-of-2": ("result", RESET),
    "virtio-misaligned-desc-ring": ("result", RESET),
    "virtio-used-ring-in-table": ("result", RESET + ["table-unchanged 1"]),
    "virtio-desc-ring-in-table": ("result", ["completed 1", "used-len 0", "needs-reset 0",
                                             "table-unchanged 1"]),
    # A status byte it may not write: the request ends without one (used length 0).
    "virtio-status-in-table": ("result", ["completed 1", "used-len 0", "buffer-untouched 1",
                                          "table-unchanged 1"]),
    "virtio-data-in-table": ("result", ["completed 1", "status-ioerr 1", "table-unchanged 1"]),
    # The hypervisor's own stores aimed at a validated table: refused before any is made.
    "multicall-results-in-table": ("result", ["error %d" % SBI_INVALID_ADDRESS, "table-unchanged 1"]),
    "dbcn-read-into-table": ("result", ["error %d" % SBI_INVALID_PARAM, "table-unchanged 1"]),
    "blk-read-into-table": ("result", ["error %d" % SBI_IO, "status 1", "table-unchanged 1"]),
    "blk-status-array-in-table": ("result", ["error %d" % SBI_INVALID_ADDRESS, "table-unchanged 1"]),
    # Root slot 511: the hypervisor's alias on the trap engine (docs/hypercalls.md); with stage 2
    # (hext) the guest's like any other slot.
    "slot511-update": ("result", {"trap": ["error %d" % SBI_DENIED, "entry-unchanged 1"],
                                  "hext": ["error 0", "entry-unchanged 0"]}),
    "slot511-pin-filled": ("result", {"trap": ["pin %d" % SBI_INVALID_PARAM], "hext": ["pin 0"]}),
    "slot511-user-root": ("result", {
        "trap": ["pin 0", "slot-filled 1", "slot-user 0", "update %d" % SBI_DENIED, "unpin 0",
                 "slot-empty-after 1"],
        "hext": ["pin 0", "slot-filled 0", "slot-user 0", "update 0", "unpin 0", "slot-empty-after 1"]}),
    # Linear and cross-level tables (XSA-240): one type per frame.
    "xsa240-root-points-at-itself": ("result", ["error %d" % SBI_DENIED, "root-unchanged 1"]),
    "xsa240-l1-points-at-l1": ("result", ["self %d" % SBI_DENIED, "second-l1 0", "other %d" % SBI_DENIED,
                                          "entries-empty 1"]),
    "xsa240-frame-at-two-levels": ("result", ["as-l0 0", "as-l1 %d" % SBI_DENIED, "root-entry-empty 1",
                                              "l0-dropped 0", "as-l1-after 0"]),
    # Stores into validated tables after the pin: faults without stage 2, carried out with it; the
    # unpin undoes the pin either way.
    "native-rewrite-then-unpin": ("result", {"trap": ["stores-faulted 3", "unpin 0", "pin-again 0", "unpin-again 0"],
                                             "hext": ["stores-faulted 0", "unpin 0", "pin-again 0", "unpin-again 0"]}),
    # Emulation edges (trap engine: arch/riscv/privemu.c, memop.c; hext: the hart).
    "sret-forged-spp": ("result", ["faults 0", "sie 1", "spp 0", "spie 1", "sie-from-spie-0 0",
                                   "user-sret-cause %d" % ILLEGAL]),
    # UXL is WARL; the trap engine offers RV64 user mode only (2); QEMU 7.2's hart keeps any
    # non-zero value written to (v)sstatus.UXL, out of the hypervisor's reach with stage 2.
    "sstatus-readonly-bits": ("result", {"trap": ["uxl 2", "xs 0", "sd-follows 1"],
                                         "hext": ["uxl 1", "xs 0", "sd-follows 1"]}),
    "sie-readonly-bits": ("result", ["sie-is-ssie-stie-seie 1"]),
    "sip-readonly-bits": ("result", ["forced 0", "ssip 1"]),
    "satp-sv48-sv57": ("result", {"trap": ["sv48-mode 8", "sv57-mode 8", "still-running 1"],
                                  "hext": ["sv48-mode 9", "sv57-mode 10", "still-running 1"]}),
    "amo-lrsc-on-table": ("result", ["first 176", "amoswap-old-ok 1", "amoswap-seen 177",
                                     "amoadd-seen 176", "sc-ok 1", "sc-seen 177"]),
    # An address-misaligned exception for the guest (the AMO's: 6 by the spec, 4 from QEMU 7.2's
    # hart), the entry unchanged, the guest not stopped.
    "amo-misaligned-on-table": ("result", ["amo-misaligned 1", "lr-cause 4", "entry-unchanged 1"]),
    # Storms: every call answered, the mechanism intact after it.
    "hsm-storm": ("result", ["start-errors 0", "stopped-again 500", "ran 500", "suspends-woken 500"]),
    # A reboot while vCPU 1 makes calls on another hart (SMP=2, hext): each one starts afresh.
    "reboot-busy-storm": ("result", ["reboots 50", "errors 0"]),
    "timer-storm": ("result", ["errors 0", "cleared 1", "fires 1"]),
    "ipi-storm": ("result", ["errors 0", "pending 1", "cleared 1", "again 1"]),
    "plic-claim-storm": ("result", ["faults 0", "claims-nonzero 0", "read 1", "claim 1", "claim-after 0"]),
}
