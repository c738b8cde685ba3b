# SPDX-License-Identifier: MIT
"""Shared pytest set-up: QEMU boots of built configurations, and the one-line summary `make test` ends with."""
import collections
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")


class Run:
    """The console output and exit status of one QEMU boot."""

    def __init__(self, output, returncode):
        self.output = output
        self.returncode = returncode
        self.lines = output.replace("\r", "").split("\n")

    def guest_lines(self, name):
        prefix = "[%s] " % name
        return [l[len(prefix):] for l in self.lines if l.startswith(prefix)]

    def exits(self):
        """The exit table as {guest: {cause: count}}; a cause the table leaves out (no guest took
        it) reads 0."""
        table, guests = {}, None
        for line in self.lines:
            m = re.match(r"hyp:   (\S+)\s+(.*)$", line)
            if not m:
                continue
            cells = m.group(2).split()
            if m.group(1) == "cause":
                guests = cells
                table = {g: collections.defaultdict(int) for g in guests}
            elif guests:
                for g, v in zip(guests, cells):
                    table[g][m.group(1)] = int(v)
        return table

    def device_exits(self, guest):
        """Guest-page-fault exits of a guest that were device accesses (or refused ones): all of
        them less those that cleared its RAM at first touch (hext, ram-clearing-faults)."""
        t = self.exits()[guest]
        return (t["insn-guest-page-fault"] + t["load-guest-page-fault"] + t["store-guest-page-fault"]
                - t["ram-clearing-faults"])


HYP = os.path.join(BUILD, "hyp.bin")

# QEMU's exit status, set by the hypervisor through QEMU's test finisher (README, "Exit status").
EXIT_OK, EXIT_GUEST_FAILED, EXIT_NO_GUEST, EXIT_PANIC = 0, 3, 4, 5


def exit_guest_failed(qemu):
    """QEMU's exit status when a guest failed, for the QEMU settings qemu: sifive_u has no test
    finisher, so there the hypervisor powers off through the firmware as on a board: QEMU says 0."""
    return EXIT_OK if qemu.get("MACHINE", "").startswith("sifive_u") else EXIT_GUEST_FAILED


def bundle_of(config):
    """The guest bundle `make bundle CONFIG=<config>` makes."""
    return os.path.join(BUILD, "cfg", config, "guests.img")


def boot(config, timeout=120, image=HYP, **env):
    """Boots build/hyp.bin with the bundle of a configuration (or BUNDLE=path) through
    scripts/run-qemu.sh; env sets MACHINE, CPU, SMP, APPEND..."""
    e = dict(os.environ, TIMEOUT=str(timeout), BUNDLE=bundle_of(config) if config else "")
    e.update({k: str(v) for k, v in env.items()})
    p = subprocess.run([os.path.join(ROOT, "scripts", "run-qemu.sh"), image], env=e,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout + 30)
    return Run(p.stdout.decode(errors="replace"), p.returncode)


def disk_copy(name, directory):
    """A private copy of build/disk/<name> in directory: each run writes its own disk."""
    path = os.path.join(str(directory), name)
    shutil.copyfile(os.path.join(BUILD, "disk", name), path)
    return path


@pytest.fixture(scope="session")
def qemu():
    return boot


# Where the guest-pv scenarios run: the hext engine (the H extension), the trap engine on a virt hart
# without it (the guest kernel deprivileged, everything privileged emulated), and the trap engine on
# a second board, the HiFive Unleashed (U54 harts, SiFive UART, an E51 left alone).
ENGINES = {"hext": {}, "trap": {"CPU": "rv64,h=false"}, "sifive_u": {"MACHINE": "sifive_u"}}


@pytest.fixture(params=sorted(ENGINES))
def engine(request):
    """QEMU settings for one engine and board: pass as boot(config, **engine)."""
    return ENGINES[request.param]


@pytest.fixture(params=["hext", "trap"])
def disk_engine(request):
    """As engine, on the boards with a virtio disk for the host (QEMU's sifive_u has none)."""
    return ENGINES[request.param]


def pytest_unconfigure(config):
    # `make test` ends with exactly one line "N passed, M failed" (errors count as failures).
    tr = config.pluginmanager.get_plugin("terminalreporter")
    if tr is None:
        return
    passed = len(tr.stats.get("passed", []))
    failed = len(tr.stats.get("failed", [])) + len(tr.stats.get("error", []))
    print("%d passed, %d failed" % (passed, failed))
