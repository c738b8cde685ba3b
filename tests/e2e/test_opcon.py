# SPDX-License-Identifier: MIT
"""The operator console on the host UART (Ctrl-] and a command key) against real guests: Linux and
an echo guest (configs/opcon.dts); and the raw console of one guest (hyp.raw, RAW=1)."""
import os
import re
import subprocess

import pexpect

from conftest import BUILD, HYP, ROOT
from test_uboot import spawn

PREFIX = "\x1d"


def listing(p, n=2):
    """Asks for the list of n guests; returns {name: (focused, number, state, rest of the row)}."""
    p.send(PREFIX + "l")
    p.expect(r"hyp: guests \(\* has the console input")
    p.expect(r"hyp:   # name .*exits hyp-instructions\r*\n")
    rows = {}
    for _ in range(n):
        # (The pty turns each newline into \r\n: the hypervisor's \r\n arrives as \r\r\n.)
        p.expect(r"hyp: ([* ]) (\d) (\S+) +(running|stopped|failed) +([^\r\n]*?) *\r*\n")
        m = p.match
        rows[m.group(3)] = (m.group(1) == "*", int(m.group(2)), m.group(4), m.group(5))
    return rows


def test_list_stop_restart_linux_and_focus():
    p = spawn("opcon", timeout=90)
    try:
        p.expect(r"hyp: console input goes to 'linux'")
        # Both guests run (Linux has just started: a key waits at most one 10 ms time slice).
        rows = listing(p)
        assert rows["linux"][:3] == (True, 0, "running"), rows
        assert rows["echo"][:3] == (False, 1, "running"), rows
        assert re.match(r"1 [RW] on hart 0 +128 +\d+ +\d+$", rows["linux"][3]), rows
        assert re.match(r"1 [RW] on hart 0 +8 ", rows["echo"][3]), rows
        # Live exits of the focused guest: non-zero causes only.
        p.send(PREFIX + "t")
        p.expect(r"hyp: exits of guest 'linux' so far \(causes it took\):\r*\n")
        p.expect(r"hyp:  longest-exit +\d+ \(\S+\)\r*\n")
        causes = re.findall(r"hyp:  (\S+) +(\d+)\r*\n", p.before)
        assert ("total", "0") not in causes and causes, p.before
        assert all(int(n) > 0 for _, n in causes), causes
        # Stop it: the input moves to the guest still running.
        p.send(PREFIX + "s")
        p.expect(r"hyp: guest 'linux' stopped: stopped by the operator")
        p.expect(r"hyp: console input goes to 'echo'")
        rows = listing(p)
        assert rows["linux"][:3] == (False, 0, "stopped"), rows
        assert rows["linux"][3].endswith("stopped by the operator"), rows
        assert rows["echo"][:3] == (True, 1, "running"), rows
        # Give the input back to the stopped guest and restart it: Linux boots again, to its init.
        p.send(PREFIX + "f 0")
        p.expect(r"hyp: console input goes to 'linux', which is stopped \(Ctrl-\] r restarts it\)")
        p.send(PREFIX + "r")
        p.expect(r"hyp: guest 'linux' restarting from its configuration \(operator\)")
        p.expect(r"\[linux\] Linux version 6\.1")
        p.expect(r"\[linux\] init: hello from Linux")
        p.expect(r"\[linux\] init: done")
        p.expect(r"hyp: guest 'linux' stopped: shutdown")
        p.expect(r"hyp: console input goes to 'echo'")
        # Restart a running guest: stopped, built again, and it says it is ready again.
        p.send("hello\r")
        p.expect(r"\[echo\] echo: got 'hello'")
        p.send(PREFIX + "r")
        p.expect(r"hyp: guest 'echo' stopped: restarted by the operator")
        p.expect(r"\[echo\] echo: ready")
        # Help, a key that is no command, n with one guest left: nothing moves.
        p.send(PREFIX + "?")
        p.expect(r"hyp: operator console: Ctrl-\] then")
        p.expect(r"hyp:   \?       this help")
        p.send(PREFIX + "x")
        p.expect(r"hyp: operator: no command for key 0x78")
        p.send(PREFIX + "n" + "quit\r")
        p.expect(r"\[echo\] echo: got 'quit'")
        p.expect(r"hyp: all guests have stopped")
        p.expect(pexpect.EOF)
    finally:
        p.close()
    # Stops by the operator and restarts are no failures.
    assert p.exitstatus == 0


def test_next_guest_and_stop_with_two_guest_pv_guests():
    p = spawn("console")
    try:
        ready = set()
        while len(ready) < 2:  # in either order
            p.expect(r"\[(echo-[ab])\] echo: ready")
            ready.add(p.match.group(1))
        p.send(PREFIX + "n")
        p.expect(r"hyp: console input goes to 'echo-b'")
        p.send("one\r")
        p.expect(r"\[echo-b\] echo: got 'one'")
        p.send(PREFIX + "s")
        p.expect(r"hyp: guest 'echo-b' stopped: stopped by the operator")
        p.expect(r"hyp: console input goes to 'echo-a'")
        # s on a guest that is not running says so.
        p.send(PREFIX + "f1" + PREFIX + "s")
        p.expect(r"hyp: guest 'echo-b' is not running")
        p.send(PREFIX + "f9")
        p.expect(r"hyp: operator: f takes a guest's number, 0 to 1")
        p.send(PREFIX + "n" + "quit\r")
        p.expect(r"hyp: guest 'echo-a' stopped: shutdown")
        p.expect(pexpect.EOF)
    finally:
        p.close()
    assert p.exitstatus == 0


def test_raw_console_passes_bytes_unchanged():
    p = spawn("rawcon", RAW="1")
    try:
        p.expect(r"hyp: console: guest 'rawcon' is raw")
        # No tag, and bytes a tagged line shows as '?' (UTF-8, escape sequences) arrive as written.
        p.expect_exact("\r\nrawcon: bytes caf\u00e9 \x1b[1mbold\x1b[0m\tend\r\n")
        # An unfinished line shows at once; each byte typed reaches the guest as it is typed, and
        # Ctrl-] Ctrl-] is one Ctrl-] for a raw guest.
        p.expect_exact("rawcon> ")
        p.send("a")
        p.expect_exact("[61]")
        p.send("\x7f" + PREFIX + PREFIX + "q")
        p.expect_exact("[7f][1d][71]")
        p.expect_exact("rawcon: bye")
        p.expect(r"hyp: guest 'rawcon' stopped: shutdown")
        assert "[rawcon]" not in p.before
        p.expect(pexpect.EOF)
    finally:
        p.close()
    assert p.exitstatus == 0


def test_the_list_stays_aligned_for_a_guest_on_several_harts(tmp_path):
    """A guest's vCPU column names a hart per vCPU when it spans several ("4 W--- on harts 0,1,0,1",
    longer than the column's usual width): the column widens for it, header included, so the columns
    after it stay under their names."""
    bundle = str(tmp_path / "guests.img")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "mkbundle.py"), "--kernel",
                    os.path.join(BUILD, "guest-pv", "echo.bin"), "--vcpus", "4", "--memory", "8M",
                    "--load-offset", "0", "--name", "echo4", "-o", bundle], check=True)
    env = dict(os.environ, TIMEOUT="60", BUNDLE=bundle, SMP="2")
    p = pexpect.spawn(os.path.join(ROOT, "scripts", "run-qemu.sh"), [HYP], env=env, timeout=60,
                      encoding="utf-8", codec_errors="replace")
    try:
        p.expect(r"\[echo4\] echo: ready")
        p.send(PREFIX + "l")
        p.expect(r"hyp:   (# name .*exits hyp-instructions)\r*\n")
        header = p.match.group(1)
        # (The firmware's boot hart, which places the vCPUs first, may be either hart.)
        p.expect(r"hyp: \* (0 echo4 +running +(4 \S+ on harts [01],[01],[01],[01]) +8 +\d+ +\d+)\r*\n")
        row, vcpus = p.match.group(1), p.match.group(2)
        assert len(vcpus) > len("vCPUs              "), vcpus  # wider than the usual column
        # Each column ends where its name does (numbers right-aligned under their names).
        for name, value in (("RAM MiB", " 8 "), ("exits", None), ("hyp-instructions", None)):
            end = header.index(name) + len(name)
            assert end <= len(row) and row[end - 1].isdigit() and (end == len(row) or row[end] == " "), \
                (header, row, name)
        assert header.index("vCPUs") == row.index(vcpus), (header, row)
        p.send(PREFIX + "s")
        p.expect(r"hyp: guest 'echo4' stopped: stopped by the operator")
        p.expect(pexpect.EOF)
    finally:
        p.close()
    assert p.exitstatus == 0
