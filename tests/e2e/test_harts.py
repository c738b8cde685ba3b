# SPDX-License-Identifier: MIT
"""Every hart: secondary harts started through SBI HSM, guests placed on them (cpus affinity or
spread), hyp.harts, monitor cores left alone. Runs without -icount: harts run in parallel."""
import os
import re
import shutil
import socket
import subprocess

import pytest

from conftest import BUILD, ENGINES, ROOT, Run, boot
from test_foundation import check_demo

GUESTS = {"pv-a": "pv", "fv-b": "fv", "pv-c": "pv", "fv-d": "fv"}

# Four application harts on each board: virt's 0-3 (with H, or without it for the trap engine), and
# the HiFive Unleashed's U54s 1-4 beside its E51 (hart 0, no MMU: left alone).
BOARDS = {
    "hext": (dict(ENGINES["hext"], SMP=4), "hext", [0, 1, 2, 3]),
    "trap": (dict(ENGINES["trap"], SMP=4), "trap", [0, 1, 2, 3]),
    "sifive_u": (dict(ENGINES["sifive_u"], SMP=5), "trap", [1, 2, 3, 4]),
}


def placed(run):
    """guest name -> the hart id its placement line names."""
    out = {}
    for l in run.lines:
        m = re.match(r"hyp: guest '([\w.-]+)': .* vCPU on hart (\d+),", l)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_four_guests_one_per_hart(board):
    env, engine, harts = BOARDS[board]
    run = boot("harts", **env)
    assert run.returncode == 0, run.output
    for name, flavour in GUESTS.items():
        check_demo(run, name, flavour=flavour)
        assert "hyp: guest '%s' stopped: shutdown" % name in run.lines
    where = placed(run)
    # cpus = <3> pins pv-a; the others go one to each hart left, so every hart runs one guest.
    assert where["pv-a"] == 3, run.output
    assert sorted(where.values()) == harts, run.output
    for h in harts:
        assert "hyp: hart %d: %s, running guests (1 vCPUs)" % (h, engine) in run.lines, run.output
    if board == "sifive_u":
        assert "hyp: hart 0: left alone: disabled in the device tree" in run.lines, run.output
    assert "hyp: all guests have stopped" in run.lines


@pytest.mark.parametrize("engine,boot_hart", [("hext", 0), ("hext", 3), ("trap", 3)])
def test_harts_bootarg_leaves_harts_alone(engine, boot_hart):
    """hyp.harts leaves hart 3 out whichever hart the firmware boots on: as the boot hart it builds
    the guests, takes none and goes back to the firmware."""
    run = boot_on_hart("harts", boot_hart, SMP=4, **dict(ENGINES[engine], APPEND="hyp.harts=0-2"))
    assert run.returncode == 0, run.output
    if boot_hart == 3:
        assert "hyp: hart 3: left alone: not in hyp.harts (the boot hart: it stops once the guests " \
            "are built)" in run.lines, run.output
    else:
        assert "hyp: hart 3: left alone: not in hyp.harts" in run.lines, run.output
    assert not re.search(r"^hyp: hart 3: busy", run.output, re.M), run.output
    # pv-a may run on hart 3 only, which is not in use: it is refused, the others spread over 0-2.
    assert "hyp: guest 0 ('pv-a') not started: its cpus name no hart the hypervisor runs guests on" \
        in run.lines, run.output
    where = placed(run)
    assert sorted(where.values()) == [0, 1, 2], run.output
    for name in ("fv-b", "pv-c", "fv-d"):
        check_demo(run, name, flavour=GUESTS[name])


def test_bad_harts_list_uses_every_hart():
    run = boot("harts", SMP=2, APPEND="hyp.harts=1,x")
    assert run.returncode == 0, run.output
    assert "hyp: hyp.harts=1,x: not a list of hart ids (0-63) and ranges: every usable hart is used" \
        in run.lines, run.output
    # Both harts take guests (pv-a, pinned to hart 3, which this board lacks, is not started).
    counts = sorted(int(m.group(1)) for m in
                    (re.match(r"hyp: hart [01]: hext, running guests \((\d) vCPUs\)", l) for l in run.lines) if m)
    assert counts == [1, 2], run.output


@pytest.mark.parametrize("engine", ["hext", "trap"])
def test_linux_four_vcpus_on_four_harts(engine):
    from test_linux import check_init
    run = boot("linux-smp4", timeout=240, SMP=4, **ENGINES[engine])
    assert run.returncode == 0, run.output
    lines = run.guest_lines("linux-smp4")
    check_init(lines, 4)
    assert "smp: Brought up 1 node, 4 CPUs" in lines, run.output
    # One vCPU per hart: IPIs, remote fences and the stop cross harts (the trap engine fences the
    # other harts where its shadow trees or a retyped frame must change there at once).
    m = re.search(r"hyp: guest 'linux-smp4': .* 4 vCPU on harts ([\d,]+), ", run.output)
    assert m and sorted(m.group(1).split(",")) == ["0", "1", "2", "3"], run.output
    for h in range(4):
        assert "hyp: hart %d: %s, running guests (1 vCPUs)" % (h, engine) in run.lines, run.output
    assert run.exits()["linux-smp4"]["irq-s-soft"] > 0, run.output


# The stress guest: 10^5 operations where the run is quick enough (one hart's worth of threads on this
# host); a tenth where four harts share two host cores under multi-threaded TCG.
STRESS = {
    ("hext", 2): 1, ("trap", 2): 1, ("hext", 4): 10, ("trap", 4): 10,
}


@pytest.mark.parametrize("engine,smp", sorted(STRESS))
def test_smp_stress(engine, smp):
    div = STRESS[(engine, smp)]
    run = boot("smpstress", timeout=400, SMP=smp, APPEND="hyp.guestargs=div=%d" % div, **ENGINES[engine])
    assert run.returncode == 0, run.output
    lines = run.guest_lines("smpstress")
    m = [re.match(r"smpstress: (\d+) operations, (\d+) failures$", l) for l in lines]
    m = [x for x in m if x]
    assert m, run.output
    assert int(m[0].group(2)) == 0, run.output
    assert int(m[0].group(1)) >= 100000 // div, run.output
    assert "hyp: guest 'smpstress' stopped: shutdown" in run.lines, run.output
    # vCPU 0 and vCPU 1 (the two sides of every phase) run on different harts (vCPU 0 on the boot
    # hart, which OpenSBI's lottery picks), on both engines.
    m = re.search(r"3 vCPU on harts (\d+),(\d+),", run.output)
    assert m and m.group(1) != m.group(2), run.output


@pytest.mark.parametrize("engine", ["hext", "trap"])
def test_exit_table_has_a_row_per_hart(engine):
    """The exit table sums each guest over the harts its vCPUs ran on; after it, a row per hart
    the hypervisor ran on: its busy instructions (on exits: the same ones the guests'
    hyp-busy-instructions count, split by hart) and its idle ones."""
    run = boot("smp", SMP=4, **ENGINES[engine])
    assert run.returncode == 0, run.output
    rows = {}
    for l in run.lines:
        m = re.match(r"hyp: hart (\d+): busy (\d+), idle (\d+) \(hypervisor instructions", l)
        if m:
            rows[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
    assert sorted(rows) == [0, 1, 2, 3], run.output
    exits = run.exits()
    assert sum(b for b, _ in rows.values()) == sum(t["hyp-busy-instructions"] for t in exits.values()), \
        run.output
    running = [h for h in rows if re.search(r"^hyp: hart %d: %s, running guests" % (h, engine), run.output, re.M)]
    idle = [h for h in rows if "hyp: hart %d: %s, idle (no guest placed on it)" % (h, engine) in run.lines]
    assert sorted(running + idle) == [0, 1, 2, 3], run.output
    for h in running:
        assert rows[h][0] > 0, run.output
    for h in idle:
        assert rows[h][0] == 0 and rows[h][1] > 0, run.output
    # smptest's three vCPUs on three harts, demo on the fourth: every hart did exits (both engines).
    assert not idle, run.output


@pytest.mark.parametrize("engine", ["hext", "trap"])
def test_hart_started_at_the_image_entry_comes_up(engine):
    """OpenSBI 1.1 may send a hart being started by SBI HSM to its boot-time payload entry (the
    image's, a1 = the DTB) instead of the address asked for (head.S, boot_entry). The selftest
    starts every other hart that way: each comes up once, as if through its own entry, and the
    image boots only once (a second boot cleared .bss under the boot hart: a panic on hext, a
    second banner and a hart taken from the guests on the trap engine)."""
    run = boot("smp", SMP=4, APPEND="hyp.selftest=wrong-door", **ENGINES[engine])
    assert run.returncode == 0, run.output
    assert "PANIC" not in run.output
    assert len([l for l in run.lines if "microhypervisor, booting on hart" in l]) == 1, run.output
    for h in range(4):
        assert re.search(r"^hyp: hart %d: %s, (running guests|idle)" % (h, engine), run.output, re.M), \
            run.output
    assert "smptest: 0 failures" in run.guest_lines("smptest"), run.output
    check_demo(run, "demo")


FW_DYNAMIC = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
FW_BASE = 0x80000000


def boot_hart_done_pc():
    """Where OpenSBI's fw_dynamic has marked the boot status done after its relocation (fw_base.S:
    `sd t0, 0(t1)` of BOOT_STATUS_BOOT_HART_DONE, then `fence rw, rw`): the address after the fence,
    found in the binary so that another build of the firmware is found or refused, never guessed."""
    with open(FW_DYNAMIC, "rb") as f:
        blob = f.read()
    pattern = bytes.fromhex("23305300" "0f003003")  # sd t0,0(t1); fence rw,rw
    at = [i for i in range(0, len(blob) - 8, 2) if blob[i:i + 8] == pattern]
    return FW_BASE + at[0] + 8 if len(at) == 1 else None


def boot_on_hart(config, hart, timeout=120, **env):
    """Boots with `hart` as OpenSBI's boot hart, which its lottery otherwise picks at random: QEMU
    waits at reset under its gdbstub; hart 0 alone runs the firmware's relocation (QEMU prefers it)
    up to the boot status, then `hart` alone runs from there into the hypervisor's entry, winning the
    cold-boot lottery in sbi_init; then every hart runs."""
    pc = boot_hart_done_pc()
    if pc is None or not shutil.which("gdb-multiarch"):
        pytest.skip("needs gdb-multiarch and Debian 12's OpenSBI fw_dynamic (its boot-status store)")
    with socket.socket() as s:
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    e = dict(os.environ, TIMEOUT=str(timeout), BUNDLE=os.path.join(BUILD, "cfg", config, "guests.img"),
             QEMU_EXTRA="-S -gdb tcp:localhost:%d" % port)
    e.update({k: str(v) for k, v in env.items()})
    qemu = subprocess.Popen([os.path.join(ROOT, "scripts", "run-qemu.sh"), os.path.join(BUILD, "hyp.bin")],
                            env=e, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    cmds = ["set confirm off", "set pagination off", "set architecture riscv:rv64",
            "set tcp auto-retry on", "set tcp connect-timeout 30", "target remote localhost:%d" % port,
            "set scheduler-locking on", "thread 1", "hbreak *0x%x" % pc, "continue", "delete",
            "thread %d" % (hart + 1), "hbreak *0x%x" % ENTRY, "continue", "delete",
            "set scheduler-locking off", "detach"]
    gdb = subprocess.run(["gdb-multiarch", "-q", "-batch"] + sum((["-ex", c] for c in cmds), []),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=60)
    out, _ = qemu.communicate(timeout=timeout + 30)
    assert gdb.returncode == 0, gdb.stdout.decode(errors="replace")
    return Run(out.decode(errors="replace"), qemu.returncode)


ENTRY = 0x80200000  # where OpenSBI enters its payload on QEMU virt


@pytest.mark.parametrize("engine,smp,hart", [("hext", 2, 1), ("trap", 2, 1), ("hext", 4, 3), ("trap", 4, 2)])
def test_any_hart_may_be_the_boot_hart(engine, smp, hart):
    """Hart ids are not indexes: with OpenSBI's boot hart not hart 0 (its lottery picks any), every
    hart still comes up, each guest is placed on some hart and finishes."""
    run = boot_on_hart("smp", hart, SMP=smp, **ENGINES[engine])
    assert run.returncode == 0, run.output
    assert "hyp: RISC-V paravirtualizing microhypervisor, booting on hart %d at 0x80200000" % hart \
        in run.lines, run.output
    for h in range(smp):
        assert re.search(r"^hyp: hart %d: %s, (running guests|idle)" % (h, engine), run.output, re.M), \
            run.output
    assert "smptest: 0 failures" in run.guest_lines("smptest"), run.output
    check_demo(run, "demo")
    assert "PANIC" not in run.output


@pytest.mark.parametrize("engine", ["hext", "trap"])
@pytest.mark.parametrize("harts,vcpus", [(2, 4), (4, 8)])
def test_vcpus_sharing_a_hart_that_is_not_their_vms_first_take_turns(engine, harts, vcpus):
    """More vCPUs than harts (up to VCPU_MAX, 8): vCPU 0's hart is not the only one shared, and on
    each other hart the vCPU started first spins from its start on; the ones started after it there
    must still get their slices."""
    p = subprocess.run(["make", "-s", "--no-print-directory", "run", "KERNEL=build/guest-pv/verdict.bin",
                        "LOAD_OFFSET=0", "SMP=%d" % harts, "VCPUS=%d" % vcpus,
                        "CPU=" + ENGINES[engine].get("CPU", "rv64"),
                        "BOOTARGS=verdict=pass verdict.spin=%d" % vcpus, "TIMEOUT=60"],
                       cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=200)
    run = Run(p.stdout.decode(errors="replace"), p.returncode)
    m = re.search(r"%d vCPU on harts ([\d,]+)," % vcpus, run.output)
    assert m, run.output
    placed_on = m.group(1).split(",")
    assert len(set(placed_on)) == harts and placed_on[1] == placed_on[1 + harts], run.output
    assert "verdict: %d vCPUs spin" % (vcpus - 1) in run.guest_lines("guest"), run.output
    assert "hyp: guest 'guest' stopped: shutdown" in run.lines, run.output
    assert p.returncode == 0, run.output
