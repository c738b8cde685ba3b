# SPDX-License-Identifier: MIT
"""The boot chain of a board, on QEMU: OpenSBI starts Debian's U-Boot, whose own distro boot (nothing is
typed) finds boot.scr on the first partition of a virtio disk; the script loads hyp.bin and the
`boards` bundle from beside it and starts them with booti. Linux and a guest-pv guest run to their
end and the machine powers off by itself."""
import io
import os
import re
import shutil
import subprocess

import pexpect
import pytest

from conftest import BUILD, ROOT, Run

FIRMWARE = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"
CONFIG = "boards"
TIMEOUT = 240


def boot_disk_copy(directory):
    """A private copy of build/bootdisk-boards.img (made here if missing or stale): U-Boot and the
    hypervisor only read it, but a run must never depend on what an earlier one left."""
    disk = "bootdisk-%s.img" % CONFIG
    p = subprocess.run(["make", "-s", "--no-print-directory", os.path.join("build", disk)], cwd=ROOT,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=900)
    assert p.returncode == 0, p.stdout.decode(errors="replace")
    path = os.path.join(str(directory), disk)
    shutil.copyfile(os.path.join(BUILD, disk), path)
    return path


def boot_from_disk(disk, cpu):
    """QEMU's virt board with U-Boot as OpenSBI's payload and the disk on a virtio-mmio slot. U-Boot's
    default bootcmd (run distro_bootcmd) starts after its 2 s countdown: nothing is typed, so nothing
    interrupts it. Returns the run and how it ended: "exit" (QEMU stopped: power-off or, with
    -no-reboot, a reset), "prompt" (U-Boot found nothing it could boot) or "timeout"."""
    args = ["-machine", "virt", "-cpu", cpu, "-m", "512M", "-nographic", "-no-reboot",
            "-bios", FIRMWARE, "-kernel", UBOOT,
            # QEMU 7.2's virtio-mmio transports are legacy unless told otherwise; the hypervisor
            # drives version 2 only (U-Boot drives both).
            "-global", "virtio-mmio.force-legacy=false",
            "-drive", "file=%s,if=none,format=raw,id=hd0" % disk,
            "-device", "virtio-blk-device,drive=hd0"]
    log = io.StringIO()
    p = pexpect.spawn("qemu-system-riscv64", args, timeout=TIMEOUT, encoding="utf-8",
                      codec_errors="replace")
    p.logfile_read = log
    try:
        # U-Boot's prompt means every boot target failed: stop there rather than wait out the timeout.
        how = ["exit", "timeout", "prompt"][p.expect([pexpect.EOF, pexpect.TIMEOUT, r"\n=> "])]
    finally:
        p.close(force=True)
    return Run(log.getvalue(), p.exitstatus if how == "exit" else None), how


LINUX_INIT = ["init: hello from Linux", "init: cpus 1", "init: mmap ok 256 pages",
              "init: fork ok 4 children", "init: no disk", "init: done"]


@pytest.mark.parametrize("cpu,engine", [("rv64", "hext"), ("rv64,h=false", "trap")],
                         ids=["hext", "trap"])
def test_uboot_distro_boot_starts_the_hypervisor(tmp_path, cpu, engine):
    run, how = boot_from_disk(boot_disk_copy(tmp_path), cpu)
    out, lines = run.output, run.lines
    # Everything below happens without help and ends in a power-off.
    assert how != "prompt", "U-Boot found nothing it could boot:\n" + out
    assert how != "timeout", "still running after %d s:\n%s" % (TIMEOUT, out)
    assert run.returncode == 0, out

    # U-Boot found the script on the partition by itself, and everything it needed beside it.
    assert "Scanning virtio 0:1..." in lines, out
    assert "Found U-Boot script /boot.scr" in lines
    assert "boot.scr: booting from virtio 0:1, directory /" in lines
    assert not [l for l in lines if "ERROR" in l or "SCRIPT FAILED" in l], out
    assert "boot.scr: booti 0x84000000 - 0x8c000000" in lines
    # booti moves an Image to the start of RAM plus its text_offset (2 MiB) and starts it there; the
    # hypervisor finds its bundle where the script loaded it, through /chosen.
    assert any(l.startswith("Moving Image from 0x84000000 to 0x80200000,") for l in lines), out
    assert "hyp: RISC-V paravirtualizing microhypervisor, booting on hart 0 at 0x80200000" in lines
    # U-Boot put the bundle at ramdisk_addr_r; the hypervisor moves it beside itself.
    assert any(re.match(r"hyp: bundle: moved from 0x8c300000 to 0x[0-9a-f]+, beside the hypervisor",
                        l) for l in lines), out
    assert any(re.match(r'hyp: bundle: "%s" at 0x[0-9a-f]+-0x[0-9a-f]+: 2 guests' % CONFIG, l)
               for l in lines), out
    assert any(l.startswith("hyp: engine: %s on hart 0" % engine) for l in lines), out

    linux = run.guest_lines("linux")
    for marker in LINUX_INIT:
        assert marker in linux, out
    assert not [l for l in linux if "FAIL" in l or "Kernel panic" in l or "Oops" in l], out
    assert "reboot: Power down" in linux
    assert "demo done" in run.guest_lines("demo"), out
    assert "hyp: guest 'linux' stopped: shutdown" in lines
    assert "hyp: guest 'demo' stopped: shutdown" in lines
    assert "hyp: all guests have stopped" in lines
