# SPDX-License-Identifier: MIT
"""Foundation scenarios: boot banner, two guests side by side, delegation, isolation, panic path."""
import os
import re
import subprocess

import pytest

from conftest import ROOT, boot, exit_guest_failed

DEMO_STEPS = ["task 1: step 10", "task 2: step 20", "task 1: step 11", "task 2: step 21",
              "task 1: step 12", "task 2: step 22"]


# What the demo guest prints, whatever its flavour and engine: the results of its workloads.
DEMO_RESULTS = ["compute: checksum c5f084b6f8a0b750", "nullcalls: 1000 of 1000",
                "console: 8 lines, checksum 952b9ceb5c75bbfc",
                "ptchurn: 512 PTE updates, checksum 41734bcecff477a0", "tasks: 2 finished",
                "timer: 3 ticks", "demo done"]


def demo_results(run, name):
    """The result lines of a demo guest, in order."""
    keys = tuple(r.split(":")[0] + ":" for r in DEMO_RESULTS[:-1]) + ("demo done",)
    return [l for l in run.guest_lines(name) if l.startswith(keys) and not l.startswith("console: line")]


def check_demo(run, name, flavour="pv"):
    lines = run.guest_lines(name)
    assert "guest-pv demo (%s flavour) on hart 0" % flavour in lines, run.output
    assert demo_results(run, name) == DEMO_RESULTS, run.output
    assert [l for l in lines if l.startswith("task ")] == DEMO_STEPS


def test_default_demo_two_guests(engine):
    run = boot("default", **engine)
    assert run.returncode == 0, run.output
    for name in ("pv", "fv"):
        check_demo(run, name, flavour=name)
        assert "hyp: guest '%s' stopped: shutdown" % name in run.lines
    assert "hyp: all guests have stopped" in run.lines
    exits = run.exits()
    assert set(exits) == {"pv", "fv"}
    # Both guests slept in WFI for their ticks, so each gave the hart away at least three times.
    for name in exits:
        assert exits[name]["virtual-insn"] >= 3
        assert exits[name]["vs-ecall"] > 0
        counts = {k: v for k, v in exits[name].items()
                  if k not in ("total", "hyp-instructions", "longest-exit", "shadow-drops-all",
                               "shadow-drops-new-table", "short-path-priv", "short-path-syscall",
                               "ram-clearing-faults", "slice-ends", "stop-instructions",
                               "hyp-busy-instructions", "patched-insns", "short-path-patched",
                               "patch-frames-undone", "short-path-asm", "shadow-tables-given-up")}
        assert exits[name]["total"] == sum(counts.values())
        # Only causes some guest took are rows: a zero row is one the other guest took.
        assert all(any(exits[g].get(cause, 0) for g in exits) for cause in exits[name])


def test_guests_are_time_sliced():
    # fv prints before pv has finished: the hypervisor switched between them.
    run = boot("default")
    order = [l.split("]")[0][1:] for l in run.lines if l.startswith(("[pv]", "[fv]"))]
    first_fv = order.index("fv")
    assert "pv" in order[first_fv:], run.output


def test_boot_banner_reports_platform():
    run = boot("default", SMP=2)
    out = run.output
    assert run.returncode == 0, out
    assert "hyp: memory: 0x80000000-0x9fffffff (512 MiB)" in out
    assert "hyp: reserved: 0x80000000-0x8007ffff" in out  # OpenSBI's region, from the device tree
    assert "hyp: timebase: 10000000 Hz" in out
    assert "hyp: uart: ns16550a at 0x10000000" in out
    assert "hyp: plic: sifive,plic-1.0.0 at 0xc000000, 96 sources" in out
    assert "hyp: clint: sifive,clint0 at 0x2000000" in out
    # OpenSBI's boot-hart lottery may pick either hart; the other one is stopped in the firmware
    # until the hypervisor starts it, and then runs guests too.
    boot_hart = re.search(r"hyp: engine: hext on hart ([01])", out)
    assert boot_hart, out
    other = 1 - int(boot_hart.group(1))
    assert re.search(r"hyp: hart %s: .*H, Sstc: boot hart" % boot_hart.group(1), out)
    assert re.search(r"hyp: hart %d: .*H, Sstc: parked \(stopped in firmware\)" % other, out)
    assert "hyp: hart %d: hext, running guests (1 vCPUs)" % other in run.lines, out


def test_memory_size_from_device_tree():
    run = boot("default", MEM="1G")
    assert "hyp: memory: 0x80000000-0xbfffffff (1024 MiB)" in run.output
    assert run.returncode == 0


def test_delegated_traps_cause_no_exits():
    run = boot("deleg")
    assert run.returncode == 0, run.output
    lines = run.guest_lines("deleg")
    assert "deleg: breakpoints 3" in lines, run.output
    assert "deleg: page faults load 1 store 1 fetch 1" in lines
    assert "deleg: tasks 3, readback 0x1234" in lines
    assert "deleg: user read of kernel memory faulted in the guest 1 time(s)" in lines
    exits = run.exits()["deleg"]
    for cause in ("breakpoint", "u-ecall", "insn-page-fault", "load-page-fault", "store-page-fault",
                  "illegal-insn", "insn-misaligned", "load-misaligned", "store-misaligned"):
        assert exits[cause] == 0, (cause, exits)
    check_demo(run, "demo")


def test_isolation_stops_only_the_offender(engine):
    run = boot("isolation", **engine)
    assert run.returncode == exit_guest_failed(engine), run.output  # its stop is a failure
    assert ("hyp: guest 'isolate' stopped: store-guest-page-fault at guest physical 0x88000000 "
            "(guest virtual 0x88000000, pc 0x") in run.output
    assert "FAIL" not in run.output
    check_demo(run, "demo")
    assert run.device_exits("isolate") == 1


@pytest.mark.parametrize("cpu", ["rv64", "rv64,h=false"], ids=["hext", "trap"])
def test_panic_path_prints_registers(cpu):
    run = boot("default", APPEND="hyp.selftest=panic", timeout=30, CPU=cpu)
    out = run.output
    # One report, and the machine powered off with the panic's status: on a hart without H the
    # report reads no hypervisor CSR (that was an illegal instruction, a panic in the panic path,
    # over and over, until the run was killed).
    assert run.returncode == 5, out
    assert out.count("hyp: PANIC:") == 1, out[-3000:]
    assert "hyp: PANIC: breakpoint trap in the hypervisor (scause 0x3)" in out, out
    regs = ("sepc", "stval", "sstatus", "ra", "sp", "a0", "t6")
    regs += ("hstatus", "htval", "htinst") if cpu == "rv64" else ()
    for reg in regs:
        assert "hyp:   %s " % reg in out or "  %s " % reg in out, reg
    assert "[pv]" not in out


def test_image_has_linux_header():
    with open(os.path.join(ROOT, "build", "hyp.bin"), "rb") as f:
        hdr = f.read(64)
    assert hdr[48:56] == b"RISCV\0\0\0" and hdr[56:60] == b"RSC\x05"
    assert int.from_bytes(hdr[8:16], "little") == 0x200000  # text_offset


def test_run_rejects_bad_settings():
    env = dict(os.environ, CPU="no-such-cpu")
    p = subprocess.run(["make", "-s", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=300)
    assert p.returncode != 0
    assert b"QEMU rejects MACHINE=virt CPU=no-such-cpu" in p.stdout, p.stdout
    p = subprocess.run(["make", "-s", "run", "CONFIG=nonexistent"], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    assert p.returncode != 0 and b"CONFIG=nonexistent is not a configuration" in p.stdout
    p = subprocess.run(["make", "-s", "run", "SMP=zero"], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=300)
    assert p.returncode != 0 and b"SMP=zero is not a positive number" in p.stdout


def test_timer_preempts_guests_that_never_yield(engine):
    run = boot("timeslice", **engine)
    assert run.returncode == 0, run.output
    order = [l.split("]")[0][1:] for l in run.lines if l.startswith("[hog-") and "hog: round" in l]
    assert sorted(order) == ["hog-a"] * 6 + ["hog-b"] * 6, run.output
    # Neither guest sleeps or calls out between rounds, yet the other one printed in between.
    switches = sum(1 for a, b in zip(order, order[1:]) if a != b)
    assert switches >= 2, order
    for name in ("hog-a", "hog-b"):
        assert run.guest_lines(name)[-1] == "hog: round 5 (2f5d65fb107e9c81)"
        # Each used up at least one slice: ended at a timer tick, or found over at one of its exits
        # (a loaded host makes exits long in real time; such a slice end takes no timer interrupt).
        assert run.exits()[name]["slice-ends"] >= 1
