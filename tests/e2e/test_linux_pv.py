# SPDX-License-Identifier: MIT
"""Linux 6.1 patched to cooperate (guest-pv/linux/): on the trap engine it keeps its interrupt flag and
trap state in a vCPU page and returns from traps with one hypercall; under hext and natively it finds no
vCPU page and runs its native paths. One image for all three; beside the unmodified kernel too."""
import os
import re
import subprocess

import pytest

from conftest import BUILD, ROOT, boot, disk_copy
from test_linux import GUEST_FILE_LINES, INIT_LINES, check_init, debugfs_cat

PV_ON = "rvhyp: vCPU pages: interrupt flag and trap state in memory"
PV_OFF = "rvhyp: no vCPU page, native trap paths"
# Its user page tables, fenced (HV_FID_TABLES_FENCED): offered on the trap engine only.
PV_TABLES = "rvhyp: user page tables written without traps, fenced"
# Its user page-table updates handed over in batches (HV_FEAT_TABLES_BATCHED, guest-pv/linux/0004): with
# the fence promise, on the trap engine only, unless rvhyp_mmu=fenced.
PV_BATCHED = "rvhyp: user page-table updates batched through MMU_UPDATE"
# Anonymous fault-around (guest-pv/linux/0003): on by default on the trap engine only, in the group the
# hypervisor fills at once (HV_FILL_AROUND).
PV_AROUND = "anonymous write faults map 16 pages at once"


def check_disk(run, lines, disk):
    assert "init: disk read ok: /mnt/hello.txt" in lines
    assert "init: disk write ok: 76000 bytes to /mnt/guest.txt" in lines
    assert debugfs_cat(disk, "/guest.txt").split("\n")[:-1] == GUEST_FILE_LINES
    fsck = subprocess.run(["/usr/sbin/e2fsck", "-fn", disk], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    assert fsck.returncode == 0, fsck.stdout.decode(errors="replace")
    assert "reboot: Power down" in lines
    assert "hyp: guest 'linux-pv' stopped: shutdown" in run.lines


def test_linux_pv_on_the_trap_engine(tmp_path):
    disk = disk_copy("ext2.img", tmp_path)
    run = boot("linux-pv", timeout=180, DISK=disk, CPU="rv64,h=false")
    assert run.returncode == 0, run.output
    lines = run.guest_lines("linux-pv")
    assert PV_ON in lines, run.output
    assert PV_TABLES in lines, run.output
    assert PV_BATCHED in lines, run.output
    assert PV_AROUND in lines, run.output
    check_init(lines, 1)
    check_disk(run, lines, disk)
    # The batches reached the hypervisor (fork's copies, munmap's and exit's zaps).
    assert run.exits()["linux-pv"]["table-updates-batched"] > 100, run.output


def test_linux_pv_with_the_fences_alone(tmp_path):
    """rvhyp_mmu=fenced: the same kernel keeps the fence promise without handing its updates over
    (the comparison docs/bench.md makes); the hypervisor sees no batch."""
    disk = disk_copy("ext2.img", tmp_path)
    run = boot("linux-pv", timeout=180, DISK=disk, CPU="rv64,h=false",
               APPEND="hyp.guestargs=rvhyp_mmu=fenced")
    assert run.returncode == 0, run.output
    lines = run.guest_lines("linux-pv")
    assert PV_TABLES in lines, run.output
    assert not [l for l in lines if "page-table updates" in l], run.output
    check_init(lines, 1)
    check_disk(run, lines, disk)
    assert "table-updates-batched" not in run.exits()["linux-pv"], run.output


def test_linux_pv_on_hext(tmp_path):
    disk = disk_copy("ext2.img", tmp_path)
    run = boot("linux-pv", timeout=120, DISK=disk)
    assert run.returncode == 0, run.output
    lines = run.guest_lines("linux-pv")
    assert PV_OFF in lines, run.output
    assert not [l for l in lines if "rvhyp: user page" in l], run.output
    assert PV_AROUND not in lines, run.output
    check_init(lines, 1)
    check_disk(run, lines, disk)


def boot_natively(append=""):
    env = dict(os.environ, TIMEOUT="120", LINUX_DIR=os.path.join(BUILD, "linux-pv"), APPEND=append)
    p = subprocess.run([os.path.join(ROOT, "scripts", "run-linux-native.sh")], env=env, cwd=ROOT,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=200)
    out = p.stdout.decode(errors="replace").replace("\r", "")
    assert p.returncode == 0, out
    return out.split("\n"), out


def test_linux_pv_natively():
    lines, out = boot_natively()
    assert PV_OFF in lines, out
    assert PV_AROUND not in lines, out
    check_init(lines, 1)


def test_linux_pv_fault_around_natively_on_request():
    """The fault-around is Linux code of its own, not the hypervisor's: asked for on the command line
    it runs natively too, and init's fresh mmap pages (mapped by a neighbour's fault) read zero."""
    lines, out = boot_natively("anon_fault_around=8")
    assert PV_OFF in lines, out
    assert "anonymous write faults map 8 pages at once" in lines, out
    check_init(lines, 1)
    assert "init: mmap ok 256 pages" in lines, out


def test_linux_pv_mmap_takes_an_exit_pair_per_group_not_per_page(tmp_path):
    """The mmap phase of the Linux workload on the trap engine: 1 MiB stored to page by page. With
    the kernel mapping 16 pages per write fault and the hypervisor filling them in the fault's
    return, the 256 pages cost about 16 faults (2 exits each) and the mmap and munmap calls: fewer
    than one exit per 4 pages. Without either half it is over 2 per page (docs/bench.md)."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import bench
    phases, _, ex = bench.linux_workload("trap", str(tmp_path), "linux-pv")
    with open(os.path.join(str(tmp_path), "linux-pv-bench-trap.log")) as f:
        assert PV_AROUND in f.read()
    per_op = bench.phase_exits_per_op("trap", str(tmp_path), "linux-pv", "mmap", phases, ex)
    assert 0 < per_op < 256 / 4, per_op


def check_init_shared_console(lines):
    """Two guests share the host console: the console mux ends a guest's partial line when the other
    one writes, and the rest of it comes as a line of its own, split anywhere. A guest's characters
    stay in order, so its lines joined without separators hold each marker whole."""
    text = "".join(lines)
    for marker in INIT_LINES + ["init: cpus 1"]:
        assert marker in text, "\n".join(lines)
    for bad in ("FAIL", "Kernel panic", "Oops"):
        assert bad not in text, "\n".join(lines)
    return text


def test_linux_and_linux_pv_side_by_side_on_the_trap_engine():
    run = boot("linux-duo", timeout=300, CPU="rv64,h=false")
    assert run.returncode == 0, run.output
    check_init_shared_console(run.guest_lines("linux"))
    assert PV_ON in check_init_shared_console(run.guest_lines("linux-pv"))
    assert "rvhyp: " not in "".join(run.guest_lines("linux"))
    assert "hyp: guest 'linux' stopped: shutdown" in run.lines
    assert "hyp: guest 'linux-pv' stopped: shutdown" in run.lines


@pytest.mark.parametrize("smp", [1, 2])
def test_linux_pv_two_vcpus_on_the_trap_engine(smp):
    """The second CPU registers its own page when it comes up (smp_callin) and runs on it; with two
    harts, each vCPU on its own (IPIs, remote fences and the shadow trees' drops cross harts)."""
    run = boot("linux-pv-smp", timeout=180, CPU="rv64,h=false", SMP=smp)
    assert run.returncode == 0, run.output
    lines = run.guest_lines("linux-pv-smp")
    check_init(lines, 2)
    assert PV_ON in lines
    assert PV_TABLES in lines
    assert PV_BATCHED in lines
    assert "smp: Brought up 1 node, 2 CPUs" in lines
    assert not [l for l in lines if "vCPU page refused" in l]
    if smp == 2:
        m = re.search(r"hyp: guest 'linux-pv-smp': .* 2 vCPU on harts (\d+),(\d+), ", run.output)
        assert m and m.group(1) != m.group(2), run.output
