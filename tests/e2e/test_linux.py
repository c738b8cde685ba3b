# SPDX-License-Identifier: MIT
"""Linux 6.1, unmodified, as a guest with one and two vCPUs, and natively as the baseline."""
import os
import subprocess

from conftest import ROOT, boot

INIT_LINES = ["init: hello from Linux", "init: mmap ok 256 pages", "init: fork ok 4 children",
              "init: done"]


def check_init(lines, cpus):
    for marker in INIT_LINES:
        assert marker in lines, "\n".join(lines)
    assert "init: cpus %d" % cpus in lines
    assert not [l for l in lines if "FAIL" in l or "Kernel panic" in l or "Oops" in l]


def test_linux_one_vcpu():
    run = boot("linux", timeout=120)
    assert run.returncode == 0, run.output
    lines = run.guest_lines("linux")
    check_init(lines, 1)
    assert "SBI specification v2.0 detected" in lines
    assert any("ttyS0 at MMIO 0x10000000" in l and "16550A" in l for l in lines)
    assert "reboot: Power down" in lines
    assert "hyp: guest 'linux' stopped: shutdown" in run.lines
    exits = run.exits()["linux"]
    # The guest ticks on Sstc, and its own page faults and syscalls never leave it.
    assert exits["irq-vs-timer"] == 0 and exits["u-ecall"] == 0 and exits["load-page-fault"] == 0


def test_linux_two_vcpus():
    run = boot("linux-smp", timeout=180)
    assert run.returncode == 0, run.output
    lines = run.guest_lines("linux-smp")
    check_init(lines, 2)
    assert "smp: Brought up 1 node, 2 CPUs" in lines
    assert "SBI HSM extension detected" in lines


def test_linux_natively():
    env = dict(os.environ, TIMEOUT="120")
    p = subprocess.run([os.path.join(ROOT, "scripts", "run-linux-native.sh")], env=env, cwd=ROOT,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=200)
    out = p.stdout.decode(errors="replace").replace("\r", "")
    assert p.returncode == 0, out
    check_init(out.split("\n"), 1)
