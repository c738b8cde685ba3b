# SPDX-License-Identifier: MIT
"""The attack pack: one hostile action per boot (guest-pv/progs/attack.c), on both engines, beside a
canary guest. Each is refused (an SBI error, an I/O error status) or contained (a fault inside the
guest, as hardware would raise it, or the guest stopped with a log line naming it), the canary keeps
its heartbeat through it, and the hypervisor carries on to a clean power-off."""
import re

import pytest

from attack_more import MORE_CASES
from conftest import EXIT_GUEST_FAILED, boot

SBI_INVALID_PARAM, SBI_DENIED, SBI_INVALID_ADDRESS, SBI_IO = -3, -4, -5, -13
ILLEGAL = 2  # scause of an illegal instruction, as the guest sees it

# name -> what must be seen: ("result", [lines after "attack: NAME: "]) or ("stopped", regex of the
# hypervisor's stop reason).
CASES = {
    # The paravirtual MMU, after Xen's PV MMU advisories.
    "xsa148-superpage-over-table": ("result", ["error %d" % SBI_DENIED]),
    "xsa182-flag-upgrade": ("result", ["error %d" % SBI_DENIED]),
    "xsa212-wrapping-batch": ("result", ["error %d" % SBI_INVALID_ADDRESS]),
    "xsa213-root-switch-in-multicall": ("result", ["error %d" % SBI_DENIED, "third-call-ran 0"]),
    "xsa217-unmap-then-reuse": ("result", ["stale-write-faulted 1", "pin-after-unmap 0"]),
    # Found in review: a frame the shadow maps writable, or protects as a table of its own, becomes a
    # validated table; a page-table walk reaching a device; FP state kept while FS is Off. On hext
    # a guest may write its validated tables natively (stage 2 confines it): the store goes through.
    "shadow-writable-then-typed": ("result", {"trap": ["typed 0", "store-faulted 1", "entry-unchanged 1"],
                                              "hext": ["typed 0", "store-faulted 0", "entry-unchanged 0"]}),
    "protected-table-then-typed": ("result", {"trap": ["typed 0", "store-faulted 1", "entry-unchanged 1"],
                                              "hext": ["typed 0", "store-faulted 0", "entry-unchanged 0"]}),
    "fp-off-kept": ("result", ["fp-register-kept 1"]),
    # A page-table walk through a device register: a store access fault, as the spec has it for the
    # walk's implicit access.
    "walk-through-device": ("result", ["access-fault 7"]),
    "pte-past-ram": ("result", ["error %d" % SBI_INVALID_ADDRESS]),
    "pte-below-ram": ("result", ["error %d" % SBI_INVALID_ADDRESS]),
    "pte-other-guest-ram": ("result", ["error %d" % SBI_INVALID_ADDRESS]),
    "pte-device": ("result", ["error %d" % SBI_INVALID_ADDRESS]),
    "pin-outside-ram": ("result", ["error %d" % SBI_INVALID_ADDRESS]),
    "update-outside-ram": ("result", ["error %d" % SBI_INVALID_ADDRESS]),
    "nested-multicall": ("result", ["error %d" % SBI_DENIED]),
    "set-root-unpinned": ("result", ["error %d" % SBI_DENIED]),
    "unpin-root-in-use": ("result", ["error %d" % SBI_DENIED]),
    "map-table-writable": ("result", ["error %d" % SBI_DENIED]),
    "huge-batch-count": ("result", ["error %d" % SBI_INVALID_ADDRESS]),
    # Work per exit (docs/hypercalls.md, "Work per call"): each of these asked one exit for minutes
    # of work (or millions of instructions); they run under -icount, where WORK_PER_EXIT bounds the
    # longest exit the guest caused, and the guest continues what was cut.
    "ptval-toggle": ("result", ["pin 0", "error 0", "done 16", "unlinked 1", "unpin 0"]),
    "ptval-toggle-multicall": ("result", ["pin 0", "error 0", "calls 8", "unlinked 1"]),
    "ptval-never-continues": ("result", ["pin 0", "cut 1", "linked 0", "next-call-waits 1"]),
    "blk-multicall-flood": ("result", ["error 0", "calls 64", "statuses-ok 1"]),
    "virtio-descriptor-flood": ("result", ["completed 128", "status-ioerr 1"]),
    "virtio-big-reads": ("result", ["completed 128", "statuses-ok 1"]),
    # Loads, stores and fetches aimed at memory that is not the guest's, and at devices it lacks:
    # the access fault hardware would raise, in the guest (nothing outside it is read or written).
    "load-past-ram": ("result", ["access-fault 5"]),
    "store-below-ram": ("result", ["access-fault 7"]),
    "fetch-past-ram": ("result", ["access-fault 1"]),
    "load-address-zero": ("result", ["access-fault 5"]),
    "load-unassigned-mmio": ("result", ["access-fault 5"]),
    "plic-bad-width": ("result", ["access-fault 7"]),
    "read-hypervisor-alias": ("result", ["faulted-in-guest 1"]),
    "user-reads-kernel": ("result", ["faulted-in-guest 1"]),
    "user-wfi": ("result", ["cause %d" % ILLEGAL]),
    # The vCPU page (trap engine only; hext has none: SBI_ERR_NOT_SUPPORTED) and its return call.
    "vpage-bad-address": ("result", {
        "trap": ["unaligned %d" % SBI_INVALID_PARAM, "outside-ram %d" % SBI_INVALID_ADDRESS,
                 "past-ram %d" % SBI_INVALID_ADDRESS, "wrapping %d" % SBI_INVALID_ADDRESS],
        "hext": ["unaligned -2", "outside-ram -2", "past-ram -2", "wrapping -2"]}),
    # A validated table is refused; a page made a table later is dropped, never written.
    "vpage-in-table": ("result", {
        "trap": ["root %d" % SBI_DENIED, "spare 0", "retype 0", "table-words-written 0", "trap-taken 1"],
        "hext": ["root -2", "spare -2", "retype 0", "table-words-written 0", "trap-taken 1"]}),
    # Pending bits the guest forges deliver nothing and are overwritten at its next exit.
    "vpage-forged-pending": ("result", {
        "trap": ["register 0", "pending-after 0", "irqs-taken 0"],
        "hext": ["register -2", "pending-after 0", "irqs-taken 0"]}),
    # A return to the hypervisor's alias, odd: an instruction page fault in the guest, pc bit 0 clear.
    "vpage-return-bad-pc": ("result", {
        "trap": ["register 0", "fault-cause 12", "fault-pc-odd 0"],
        "hext": ["register -2", "fault-cause -1", "fault-pc-odd 0"]}),
    # The other vCPU rewrites the page with noise while this one traps and calls: nothing but the
    # guest's own state changes, and every trap still arrives.
    "vpage-concurrent-rewrite": ("result", {
        "trap": ["register 0", "start 0", "traps 2000", "rewrites-seen 1"],
        "hext": ["register -2", "start 0", "traps 2000", "rewrites-seen 1"]}),
    # User code cannot make the return call: its ecall is a system call, whatever a7 says.
    "vpage-return-from-user": ("result", ["cause 8"]),
    # Buffers that cross the end of RAM or wrap.
    "dbcn-write-past-ram": ("result", ["error %d" % SBI_INVALID_PARAM]),
    "dbcn-write-wrapping": ("result", ["error %d" % SBI_INVALID_PARAM]),
    "dbcn-read-outside-ram": ("result", ["error %d" % SBI_INVALID_PARAM]),
    "blk-buffer-past-ram": ("result", ["error %d" % SBI_IO, "status 1"]),
    "blk-array-wrapping": ("result", ["error %d" % SBI_INVALID_ADDRESS]),
    "blk-sector-past-disk": ("result", ["error %d" % SBI_IO, "status 1"]),
    # SBI calls with arguments out of range.
    "hsm-start-bad-hart": ("result", ["error %d" % SBI_INVALID_PARAM]),
    "hsm-start-hostile-entry": ("result", ["error %d" % SBI_INVALID_ADDRESS]),
    "hsm-suspend-bad-type": ("result", ["error %d" % SBI_INVALID_PARAM]),
    "ipi-bad-mask": ("result", ["error %d" % SBI_INVALID_PARAM]),
    "rfence-bad-base": ("result", ["error %d" % SBI_INVALID_PARAM]),
    "legacy-ipi-bad-pointer": ("result", ["error %d" % SBI_INVALID_ADDRESS]),
    "srst-reserved-type": ("result", ["error %d" % SBI_INVALID_PARAM]),
    # CSRs and instructions a guest kernel may not use: illegal instructions for it to handle.
    "csr-hstatus": ("result", ["cause %d" % ILLEGAL]),
    "csr-mstatus": ("result", ["cause %d" % ILLEGAL]),
    "csr-unknown": ("result", ["cause %d" % ILLEGAL]),
    "mret": ("result", ["cause %d" % ILLEGAL]),
    "hlv": ("result", ["cause %d" % ILLEGAL]),
    "illegal-zero": ("result", ["cause %d" % ILLEGAL]),
    "satp-bad-mode": ("result", ["unchanged 1"]),
    # Guests that never yield, loop in their own trap handler, sleep for ever or flood the console.
    "spin-interrupts-off": ("result", ["spun 1"]),
    "trap-loop": ("stopped", r"trap loop: its trap handler at 0xc8000000 faults"),
    "wfi-forever": ("stopped", r"every vCPU sleeps in WFI with all its interrupts disabled"),
    "hsm-suspend-forever": ("stopped", r"every vCPU sleeps \(WFI or HSM suspend\) with all its interrupts disabled"),
    "console-flood": ("result", ["flooded 1"]),
    # Log lines a guest can cause at will are rate-limited (vm_log); test_log_floods checks the log.
    "log-flood": ("result", ["stores-done 1"]),
    "reboot-storm": ("result", ["reboots 200"]),
}
# The newer classes (guest-pv/progs/attack/*.c) keep their expectations beside them.
CASES.update(MORE_CASES)


# The target of DESIGN.md, "Bounded work": no exit holds the hart longer, whatever the guest asks.
WORK_PER_EXIT = 100000


# SMP=2: the attacker's two vCPUs run on two harts (its exits under its VM lock, its stop waiting for
# the other hart), the canary beside it, on both engines.
@pytest.mark.parametrize("smp", [1, 2])
@pytest.mark.parametrize("name", sorted(CASES))
def test_attack(name, disk_engine, smp):
    work = name in ("ptval-toggle", "ptval-toggle-multicall", "ptval-never-continues",
                    "blk-multicall-flood", "virtio-descriptor-flood", "virtio-big-reads")
    # The work-per-exit cases count exactly under -icount, on one hart: with two, QEMU 7.2's
    # round-robin -icount lets a hart that waits for the other (a VM's stop, a lock) spin for whole
    # time slices, so those runs go without it, and without the count (docs/bench.md, "Every hart").
    extra = {"ICOUNT": 1} if work and smp == 1 else {}
    extra["SMP"] = smp
    run = boot("attack", timeout=120 if work else 60, APPEND="hyp.guestargs=attack=" + name,
               **disk_engine, **extra)
    # A guest the hypervisor had to stop is a failed guest, and the run's exit status says so.
    assert run.returncode == (EXIT_GUEST_FAILED if CASES[name][0] == "stopped" else 0), run.output
    assert "PANIC" not in run.output
    lines = run.guest_lines("attack")
    assert "attack: %s: start" % name in lines, run.output
    kind, want = CASES[name]
    if isinstance(want, dict):
        want = want["trap" if disk_engine.get("CPU") == "rv64,h=false" else "hext"]
    if kind == "result":
        got = [l[len("attack: %s: result " % name):] for l in lines
               if l.startswith("attack: %s: result " % name)]
        assert got == want, run.output
        assert "hyp: guest 'attack' stopped: shutdown" in run.lines
    else:
        stops = [l for l in run.lines if l.startswith("hyp: guest 'attack' stopped: ")]
        assert len(stops) == 1 and re.search(want, stops[0]), run.output
        assert "attack: %s: end" % name not in lines
    # The canary kept its heartbeat through it: it beat after the attack began and ran to its end.
    order = [l for l in run.lines if "attack: %s: start" % name in l or "canary: heartbeat" in l]
    assert any("canary: heartbeat" in l for l in order[order.index(next(
        l for l in order if "attack: %s: start" % name in l)):]), run.output
    assert "canary: done" in run.guest_lines("canary")
    assert "hyp: all guests have stopped" in run.lines
    if work and smp == 1:
        # Hypervisor instructions of the attacker's longest exit (exact under -icount).
        assert run.exits()["attack"]["longest-exit"] < WORK_PER_EXIT, run.output


def test_trap_return_noise_takes_the_assembly_short_path():
    """The noisy returns of trap-return-noise on one hart of the trap engine: the assembly short path
    (tfast.S) takes most of them (test_attack checks what each one did), the C paths the rest."""
    run = boot("attack", timeout=60, CPU="rv64,h=false", APPEND="hyp.guestargs=attack=trap-return-noise")
    assert "attack: trap-return-noise: result wrong 0" in run.guest_lines("attack"), run.output
    assert run.exits()["attack"]["short-path-asm"] >= 2000, run.output


def test_console_flood_leaves_the_canary_its_share():
    # Under -icount the flood and the heartbeats share the same clock as on a real board.
    run = boot("attack", timeout=60, ICOUNT=1, APPEND="hyp.guestargs=attack=console-flood")
    assert "hyp: guest 'attack' floods the console: throttled to 16384 bytes per time slice" in run.lines
    tags = [l.split("]")[0][1:] for l in run.lines if l.startswith(("[attack] x", "[canary] canary: heartbeat"))]
    # Heartbeats come between flood lines, not only after the flood.
    first, last = tags.index("attack"), len(tags) - 1 - tags[::-1].index("attack")
    assert "canary" in tags[first:last], tags[:50]


@pytest.mark.parametrize("cpu", ["rv64", "rv64,h=false"], ids=["hext", "trap"])
def test_crash_restart_cycles_leave_the_allocator_as_it_was(cpu):
    run = boot("restart", timeout=120, CPU=cpu)
    assert run.returncode == EXIT_GUEST_FAILED, run.output  # its last crash is a failure
    assert "PANIC" not in run.output
    m = [l for l in run.lines if l.startswith("hyp: guest 'crash' restarted ")]
    assert m == [l for l in m if re.match(r"hyp: guest 'crash' restarted 1000 times; it holds 0 frames "
                                          r"now \(all given back\)$", l)] and m, run.output
    assert "canary: done" in run.guest_lines("canary")
    assert "crash: still alive" not in run.output


@pytest.mark.parametrize("name", ["log-flood", "reboot-storm"])
def test_log_floods_are_rate_limited(name, disk_engine):
    """2,000 refused stores (trap engine) or 200 reboots: the hypervisor logs a burst, then drops
    lines and says how many, instead of a line each."""
    # Under -icount: the allowance refills with time, which on a loaded host without it passes at
    # whatever pace the host gives QEMU (200 reboots once took long enough to earn 60 lines).
    run = boot("attack", timeout=120, ICOUNT=1, APPEND="hyp.guestargs=attack=" + name, **disk_engine)
    assert "PANIC" not in run.output
    about = [l for l in run.lines if l.startswith("hyp: guest 'attack' ") and
             ("reboot" in l or "validated page tables" in l)]
    trap = disk_engine.get("CPU") == "rv64,h=false"
    if name == "reboot-storm" or trap:
        assert len(about) < 60, "\n".join(about)
        assert any(re.match(r"hyp: guest 'attack': \d+ log lines about it dropped", l) for l in run.lines), \
            run.output[-3000:]
    assert "canary: done" in run.guest_lines("canary")
