# SPDX-License-Identifier: MIT
"""Emulated UART and PLIC seen from a guest; bad device accesses stop only the guest that made them;
SMP SBI (HSM, IPI, RFENCE) between the vCPUs of one guest."""
import re

from conftest import boot, exit_guest_failed
from test_foundation import check_demo


def results(lines, prefix):
    ok = [l for l in lines if l.startswith(prefix) and l.endswith(": ok")]
    bad = [l for l in lines if "FAIL" in l]
    return ok, bad


def test_uart_and_plic_registers_and_interrupts(engine):
    run = boot("devices", **engine)
    # The guests that poke bad addresses (test below) end with a failure, and so does the run.
    assert run.returncode == exit_guest_failed(engine), run.output
    lines = run.guest_lines("devtest")
    ok, bad = results(lines, "devtest: ")
    assert not bad, bad
    assert len(ok) == 29, lines
    assert "devtest: written through THR" in lines
    assert "devtest: uart interrupt through the plic: ok" in lines
    assert "devtest: 0 failures" in lines
    check_demo(run, "demo")


def test_bad_device_accesses_fault_only_that_guest(engine):
    """Each poke raises an access fault in its guest (as hardware would); guest-pv has no handler
    for it, says so and shuts down with a failure. The others run on."""
    run = boot("devices", **engine)
    out = run.output
    assert re.search(r"hyp: guest 'unassigned': load-guest-page-fault at guest physical "
                     r"0x10001000 .*not RAM or a device of it: load-access-fault raised in it", out), out
    assert re.search(r"hyp: guest 'badwidth': store of 2 bytes at device address 0xc000004 "
                     r"\(pc 0x[0-9a-f]+\) is not supported: store-access-fault raised in it", out), out
    # No UART was given to this guest: the UART's address is not its device.
    assert re.search(r"hyp: guest 'nodevice': load-guest-page-fault at guest physical "
                     r"0x10000005", out), out
    for name, cause, tval in (("unassigned", 5, "0x10001000"), ("badwidth", 7, "0xc000004"),
                              ("nodevice", 5, "0x10000005")):
        assert any(l.startswith("guest panic: unhandled trap cause 0x%x tval %s" % (cause, tval))
                   for l in run.guest_lines(name)), out
        assert "hyp: guest '%s' stopped: shutdown (system failure)" % name in out
    assert "poke: FAIL" not in out
    check_demo(run, "demo")


def test_smp_hsm_ipi_rfence(engine):
    run = boot("smp", **engine)
    assert run.returncode == 0, run.output
    lines = run.guest_lines("smptest")
    ok, bad = results(lines, "smptest: ")
    assert not bad, bad
    assert len(ok) == 36, lines
    assert "smptest: hart 1 resumed from retentive suspend" in lines
    assert "smptest: hart 2 restarted after non-retentive suspend" in lines
    assert "smptest: 0 failures" in lines
    check_demo(run, "demo")


def _uartfast_checks(run):
    lines = run.guest_lines("uartfast")
    ok, bad = results(lines, "uartfast: ")
    assert not bad, bad
    assert len(ok) == 32, lines
    assert "uartfast: hart 1 wrote this through THR" in lines
    assert "uartfast: 0 failures" in lines
    out = run.output
    assert "device address 0x10000008 (pc 0x" in out and "load-access-fault raised in it" in out, out
    assert "device address 0x100000ff (pc 0x" in out and "store-access-fault raised in it" in out, out
    assert "guest physical 0x10000100 " in out, out


def test_uart_fast_path_edge_cases(engine):
    """Every width, signed and unsigned, data registers the hext fast path saves and ones it saves
    only later (s-registers), a compressed load (the full path), LSR/IIR/loopback state, addresses just past the registers
    (an access fault each), two vCPUs at the UART at once: the same answers on every engine."""
    run = boot("uartfast", **engine)
    assert run.returncode == 0, run.output
    _uartfast_checks(run)


def test_uart_fast_path_vm_on_two_harts():
    """On hext with two harts the guest's vCPUs run on both, so its UART accesses take the VM's
    lock (or the full path when another hart holds it)."""
    run = boot("uartfast", SMP=2)
    assert run.returncode == 0, run.output
    # Both harts, in the order the boot hart (OpenSBI's lottery) placed them.
    assert re.search(r"2 vCPU on harts (0,1|1,0),", run.output), run.output
    _uartfast_checks(run)
