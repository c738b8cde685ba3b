# SPDX-License-Identifier: MIT
"""Linux 6.1, unmodified, as a guest with one and two vCPUs, and natively as the baseline; with one vCPU
it mounts its virtio-blk disk (a region of the host disk image), and the host checks what it wrote."""
import os
import re
import subprocess

from conftest import ROOT, boot, disk_copy

# The devmem line: a process reading a physical address nothing decodes gets the access fault a hart
# raises (natively, and from the hypervisor on both engines) as SIGSEGV, and init carries on.
INIT_LINES = ["init: hello from Linux", "init: mmap ok 256 pages", "init: fork ok 4 children",
              "init: devmem read of 0x7000000: child killed by signal 11", "init: done"]


# The kernel's report of the devmem child's SIGSEGV (printk, on whichever CPU the child ran) can land
# in the middle of a line init is still writing through the tty on another CPU, as on hardware: its
# two header lines are taken out before init's lines are looked for.
KERNEL_REPORT = re.compile(r"CPU: \d+ PID: \d+ Comm: \S+ Not tainted \S+ #\d+ ?\n|"
                           r"Hardware name: [^\n]*\(DT\)\n")


def check_init(lines, cpus):
    init_lines = KERNEL_REPORT.sub("", "\n".join(lines) + "\n").split("\n")
    # A line of the hypervisor's own (the access fault it logs for the devmem child) ends the line a
    # guest is still writing on the terminal; the rest of it comes on a line of its own.
    init_lines += [a + b for a, b in zip(init_lines, init_lines[1:])]
    for marker in INIT_LINES:
        assert marker in init_lines, "\n".join(lines)
    assert "init: cpus %d" % cpus in lines
    assert not [l for l in lines if "FAIL" in l or "Kernel panic" in l or "Oops" in l]


GUEST_FILE_LINES = ["line %05d written by the Linux guest" % i for i in range(2000)]


def debugfs_cat(image, path):
    p = subprocess.run(["/usr/sbin/debugfs", "-R", "cat " + path, image], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=True)
    return p.stdout.decode(errors="replace")


def test_linux_one_vcpu(tmp_path):
    disk = disk_copy("ext2.img", tmp_path)
    run = boot("linux", timeout=120, DISK=disk)
    assert run.returncode == 0, run.output
    lines = run.guest_lines("linux")
    check_init(lines, 1)
    # The guest read the host's file and wrote its own; after QEMU has exited, the image holds it and
    # the file system is clean.
    assert "hyp: disk: virtio-blk at 0x10008000, 32768 sectors (16 MiB), flush" in run.lines
    assert any("[vda] 32768 512-byte logical blocks" in l for l in lines), run.output
    assert "init: disk read ok: /mnt/hello.txt" in lines
    assert "init: disk write ok: 76000 bytes to /mnt/guest.txt" in lines
    assert debugfs_cat(disk, "/guest.txt").split("\n")[:-1] == GUEST_FILE_LINES
    assert debugfs_cat(disk, "/hello.txt") == "hello from the host disk image\n"
    fsck = subprocess.run(["/usr/sbin/e2fsck", "-fn", disk], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    assert fsck.returncode == 0, fsck.stdout.decode(errors="replace")
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
    assert "init: no disk" in lines
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
    assert "init: no disk" in out.split("\n")


def test_linux_without_its_host_disk():
    """The configuration asks for a host disk the machine does not have: the guest sees an empty
    device and runs on."""
    run = boot("linux", timeout=120)
    assert run.returncode == 0, run.output
    assert "hyp: disk: no virtio-blk device found" in run.lines
    lines = run.guest_lines("linux")
    check_init(lines, 1)
    assert "init: no disk" in lines


def test_linux_on_the_trap_engine(tmp_path):
    """The same unmodified kernel on a hart without H: its kernel deprivileged, its page tables
    shadowed, its disk and console emulated; it reads and writes the disk as on hext."""
    disk = disk_copy("ext2.img", tmp_path)
    run = boot("linux", timeout=180, DISK=disk, CPU="rv64,h=false")
    assert run.returncode == 0, run.output
    assert "hyp: engine: trap on hart 0 (no H extension;" in run.output
    lines = run.guest_lines("linux")
    check_init(lines, 1)
    assert "init: disk write ok: 76000 bytes to /mnt/guest.txt" in lines
    assert debugfs_cat(disk, "/guest.txt").split("\n")[:-1] == GUEST_FILE_LINES
    fsck = subprocess.run(["/usr/sbin/e2fsck", "-fn", disk], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    assert fsck.returncode == 0, fsck.stdout.decode(errors="replace")
    exits = run.exits()["linux"]
    # What hext delegates shows up here: emulated CSR accesses and sret, shadow fills, the guest's
    # writes to its own page tables, its processes' system calls forwarded to it.
    for cause in ("priv-insn-emulated", "shadow-fill", "table-write-emulated", "u-ecall"):
        assert exits[cause] > 0, (cause, exits)


def test_linux_two_vcpus_on_the_trap_engine():
    run = boot("linux-smp", timeout=180, CPU="rv64,h=false")
    assert run.returncode == 0, run.output
    lines = run.guest_lines("linux-smp")
    check_init(lines, 2)
    assert "smp: Brought up 1 node, 2 CPUs" in lines


def test_linux_workload_on_the_trap_engine():
    """The bench's Linux workload (configs/linux/init.c, rvhyp.bench=1) on the trap engine, under
    -icount with a fixed seed, as scripts/bench.py runs it: its system calls go through the short
    path in assembly, and the kernel's linear map keeps its superpages once their RAM is cleared."""
    run = boot("linux-bench", timeout=300, CPU="rv64,h=false", ICOUNT=1, QEMU_EXTRA="-seed 1")
    assert run.returncode == 0, run.output
    phases = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in
              re.finditer(r"init: bench (\w+) n=(\d+) instret=(\d+)", "\n".join(run.guest_lines("linux")))}
    assert "compute" in phases, run.output
    n, instret = phases["getpid"]
    # Issue 14's target: a system call within 15x native (200 instructions): 5,474 before the path
    # in assembly, 1,917 with it.
    assert instret / n <= 15 * 200, instret / n
    exits = run.exits()["linux"]
    # Nearly every patched instruction and forwarded system call took tfast.S.
    taken = exits["short-path-patched"] + exits["short-path-syscall"]
    assert exits["short-path-asm"] >= 0.95 * taken, exits
    # A fill clears a bounded step of a superpage's RAM until it may map it whole: without it the
    # linear map went a page at a time, overflowing the record of writable leaves (51 whole-VM
    # drops for a frame becoming a table, 76,000 fills; 2 and 50,000 with it).
    assert exits["shadow-drops-new-table"] <= 10, exits
    assert exits["shadow-fill"] <= 60000, exits
