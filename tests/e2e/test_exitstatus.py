# SPDX-License-Identifier: MIT
"""The run's exit status: QEMU exits 0 when every guest stopped cleanly, 3 when one was stopped for
a fault or shut itself down with reason "system failure", 4 when no guest started, 5 when the
hypervisor panicked; `make run` passes it on and says which guests failed. guest-pv
(configs/verdict.dts) and Linux show both outcomes."""
import re
import subprocess

import pytest

from conftest import EXIT_GUEST_FAILED, EXIT_NO_GUEST, EXIT_OK, EXIT_PANIC, ROOT, boot


def verdict(v, *options):
    return boot("verdict", timeout=60, APPEND=" ".join(("hyp.guestargs=verdict=" + v,) + options))


def table_rows(run):
    """The exit table's rows: {cause: [count per guest]}."""
    return {cause: [run.exits()[g][cause] for g in run.exits()]
            for cause in set().union(*(set(t) for t in run.exits().values()))}


def test_guests_that_pass_exit_0():
    run = verdict("pass", "hyp.exits=all")
    assert run.returncode == EXIT_OK, run.output
    assert "verdict: pass" in run.guest_lines("verdict")
    assert "canary: done" in run.guest_lines("canary")
    assert not re.search(r"hyp: guest '\S+' failed: ", run.output), run.output
    # hyp.exits=all: every cause has its row, those no guest took too.
    rows = table_rows(run)
    assert rows["breakpoint"] == [0, 0], run.output
    assert [run.device_exits(g) for g in run.exits()] == [0, 0], run.output
    assert all(n > 0 for n in rows["longest-exit"] + rows["hyp-instructions"]), run.output


@pytest.mark.parametrize("how, why", [("fail", "shutdown (system failure)"),
                                      ("fault", "")])
def test_a_failing_guest_fails_the_run(how, why):
    run = verdict(how)
    assert run.returncode == EXIT_GUEST_FAILED, run.output
    assert "verdict: " + how in run.guest_lines("verdict")
    # The other guest ran to its end all the same; only the failed one is named, after the table.
    assert "canary: done" in run.guest_lines("canary")
    failed = [l for l in run.lines if re.match(r"hyp: guest '\S+' failed: ", l)]
    assert len(failed) == 1, run.output
    assert failed[0].startswith("hyp: guest 'verdict' failed: " + why), run.output
    assert run.lines.index(failed[0]) > run.lines.index("hyp: all guests have stopped")
    assert 'hyp: 1 of 2 guests failed: powering off with reason "system failure"' in run.lines
    # By default the table has the causes some guest took, and the longest single exit per guest.
    rows = table_rows(run)
    assert all(any(counts) for counts in rows.values()), rows
    assert "breakpoint" not in rows and rows["vs-ecall"][0] > 0, rows
    assert all(0 < longest <= hyp
               for longest, hyp in zip(rows["longest-exit"], rows["hyp-instructions"])), rows


def test_hypervisor_panic_and_no_guest():
    run = boot("verdict", timeout=30, APPEND="hyp.selftest=panic")
    assert run.returncode == EXIT_PANIC, run.output
    assert "run-qemu: exit status 5: the hypervisor panicked" in run.output
    run = boot(None, timeout=30)
    assert run.returncode == EXIT_NO_GUEST, run.output
    assert "run-qemu: exit status 4: the hypervisor started no guest" in run.output


def make_run(*args):
    p = subprocess.run(["make", "-s", "--no-print-directory", "run"] + list(args), cwd=ROOT,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=400)
    return p.returncode, p.stdout.decode(errors="replace").replace("\r", "")


def test_make_run_fails_and_names_the_failed_guest():
    rc, out = make_run("CONFIG=verdict", "APPEND=hyp.guestargs=verdict=fail", "TIMEOUT=60")
    assert rc != 0, out
    assert "hyp: guest 'verdict' failed: shutdown (system failure)" in out, out
    assert "run-qemu: exit status 3: a guest failed" in out


@pytest.mark.parametrize("cpu", ["rv64", "rv64,h=false"])
def test_a_guest_failing_on_several_harts_fails_the_run(cpu):
    """Its other vCPUs spin on the other harts; the stop kicks those harts out of it, and they look
    for a guest left to run while the failing hart is still taking the VM apart. The verdict, read
    when the last guest is gone, must already say it failed."""
    for _ in range(3):
        rc, out = make_run("KERNEL=build/guest-pv/verdict.bin", "LOAD_OFFSET=0", "SMP=4", "VCPUS=4",
                           "CPU=" + cpu, "BOOTARGS=verdict=fail verdict.spin=4", "TIMEOUT=60")
        assert "[guest] verdict: 3 vCPUs spin" in out, out
        assert "hyp: guest 'guest' failed: shutdown (system failure)" in out, out
        assert "run-qemu: exit status 3: a guest failed" in out, out
        assert rc != 0, out


LINUX = ["KERNEL=build/linux/Image", "INITRD=build/linux/initrd.cpio", "TIMEOUT=150"]


def test_linux_that_completes_exits_0():
    rc, out = make_run(*LINUX, "BOOTARGS=console=ttyS0 earlycon=sbi", "APPEND=hyp.reboot=fail")
    assert rc == 0, out
    assert "[guest] init: done" in out
    assert "hyp: guest 'guest' stopped: shutdown" in out


def test_linux_whose_init_fails_fails_the_run():
    """Linux never passes "system failure" to the SBI: a run that must end boots it with panic=-1,
    so a panic is a reboot request, and hyp.reboot=fail makes that a failed guest. Here init cannot
    run (rdinit names a directory), so the kernel panics."""
    rc, out = make_run(*LINUX, "BOOTARGS=console=ttyS0 earlycon=sbi rdinit=/proc panic=-1",
                       "APPEND=hyp.reboot=fail")
    assert rc != 0, out
    assert "[guest] Kernel panic - not syncing: No working init found" in out, out
    assert "hyp: guest 'guest' failed: reboot requested (hyp.reboot=fail)" in out, out
    assert "run-qemu: exit status 3: a guest failed" in out

