# SPDX-License-Identifier: MIT
"""Debian's unmodified U-Boot as a guest: its prompt, typed commands, its virtio disk, reset and poweroff
through SRST."""
import os

import pexpect
import pytest

from conftest import BUILD, HYP, ROOT, bundle_of, disk_copy


def spawn(config="uboot", timeout=60, disk=None, **qemu):
    env = dict(os.environ, TIMEOUT="120", BUNDLE=bundle_of(config), **qemu)
    if disk:
        env["DISK"] = disk
    return pexpect.spawn(os.path.join(ROOT, "scripts", "run-qemu.sh"), [HYP], env=env,
                         timeout=timeout, encoding="utf-8", codec_errors="replace")


def stop_autoboot(p):
    p.expect(r"\[uboot\] U-Boot 20\d\d")
    p.expect("Hit any key to stop autoboot")
    p.send(" ")
    p.expect(r"=> ")


def run(p, command, expect):
    p.send(command + "\r")
    for e in expect:
        p.expect(e)
    p.expect(r"=> ")


def test_uboot_prompt_commands_and_poweroff():
    p = spawn()
    try:
        stop_autoboot(p)
        run(p, "version", [r"\[uboot\] U-Boot 2023\.01"])
        run(p, "printenv fdtcontroladdr", [r"fdtcontroladdr=[0-9a-f]+"])
        # SBI as U-Boot reads it from the hypervisor: version 2.0 and the extensions it probes.
        run(p, "sbi", [r"SBI 2\.0", r"Extensions:", r"sbi_set_timer|Timer", r"Hart State Management",
                       r"System Reset"])
        run(p, "md.l 0x80200000 4", [r"80200000: [0-9a-f]{8} [0-9a-f]{8} [0-9a-f]{8} [0-9a-f]{8}"])
        p.send("poweroff\r")
        p.expect(r"hyp: guest 'uboot' stopped: shutdown")
        p.expect(r"hyp: all guests have stopped")
        p.expect(pexpect.EOF)
    finally:
        p.close()
    assert p.exitstatus == 0


def test_uboot_reset_restarts_only_that_guest():
    p = spawn()
    try:
        stop_autoboot(p)
        p.send("reset\r")
        p.expect(r"hyp: guest 'uboot' (cold|warm) reboot")
        stop_autoboot(p)
        run(p, "version", [r"U-Boot 2023\.01"])
        p.send("poweroff\r")
        p.expect(r"hyp: all guests have stopped")
        p.expect(pexpect.EOF)
    finally:
        p.close()
    assert p.exitstatus == 0


@pytest.mark.parametrize("qemu", [{}, {"CPU": "rv64,h=false"}], ids=["hext", "trap"])
def test_uboot_lists_its_virtio_disk(tmp_path, qemu):
    p = spawn(disk=disk_copy("ext2.img", tmp_path), **qemu)
    try:
        stop_autoboot(p)
        run(p, "virtio scan", [])
        run(p, "virtio info", [r"Device 0: MHVP VirtIO Block Device", r"Capacity: 16\.0 MB = 0\.0 GB \(32768 x 512\)"])
        # ext4ls reads ext2 too: the superblock, the root directory's inode and its block.
        run(p, "ext4ls virtio 0", [r"<DIR>\s+\d+ lost\+found", r"\s31 hello\.txt"])
        run(p, "ext4load virtio 0 0x84000000 hello.txt", [r"31 bytes read"])
        run(p, "md.b 0x84000000 0x10", [r"84000000: 68 65 6c 6c 6f 20 66 72 6f 6d"])
        p.send("poweroff\r")
        p.expect(r"hyp: all guests have stopped")
        p.expect(pexpect.EOF)
    finally:
        p.close()
    assert p.exitstatus == 0


@pytest.mark.parametrize("qemu", [{}, {"CPU": "rv64,h=false"}], ids=["hext", "trap"])
def test_uboot_load_from_nowhere_is_an_access_fault(qemu):
    """As on a board with nothing at that address: U-Boot's own handler reports the load access
    fault and resets; the reset is this guest's reboot, and it comes back to its prompt."""
    p = spawn(**qemu)
    try:
        stop_autoboot(p)
        p.send("md 0x20000000 4\r")
        p.expect(r"hyp: guest 'uboot': load-guest-page-fault at guest physical 0x20000000 .*"
                 r"load-access-fault raised in it")
        p.expect(r"\[uboot\] Unhandled exception: Load access fault")
        p.expect(r"\[uboot\] EPC: [0-9a-f]+ RA: [0-9a-f]+ TVAL: 0*20000000")
        p.expect(r"\[uboot\] resetting \.\.\.")
        p.expect(r"hyp: guest 'uboot' (cold|warm) reboot")
        stop_autoboot(p)
        run(p, "version", [r"U-Boot 2023\.01"])
        p.send("poweroff\r")
        p.expect(r"hyp: guest 'uboot' stopped: shutdown")
        p.expect(r"hyp: all guests have stopped")
        p.expect(pexpect.EOF)
    finally:
        p.close()
    assert p.exitstatus == 0


def test_uboot_on_sifive_u():
    """U-Boot reaches its prompt on the HiFive Unleashed model too (no host disk there)."""
    p = spawn(MACHINE="sifive_u")
    try:
        stop_autoboot(p)
        run(p, "version", [r"U-Boot 2023\.01"])
        p.send("poweroff\r")
        p.expect(r"hyp: all guests have stopped")
        p.expect(pexpect.EOF)
    finally:
        p.close()
    assert p.exitstatus == 0
