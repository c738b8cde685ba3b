# SPDX-License-Identifier: MIT
"""Console input goes to the guest with the focus; Ctrl-] hands it to the next guest."""
from test_uboot import spawn

import pexpect


def test_input_follows_the_focus():
    p = spawn("console")
    try:
        p.expect(r"console input goes to 'echo-a'")
        ready = set()
        while len(ready) < 2:  # the two guests start side by side: either may be ready first
            p.expect(r"\[(echo-[ab])\] echo: ready")
            ready.add(p.match.group(1))
        p.send("hello\r")
        p.expect(r"\[echo-a\] echo: got 'hello'")
        p.send("\x1d\x1d")  # Ctrl-] alone starts an operator command (test_opcon.py)
        p.expect(r"hyp: console input goes to 'echo-b'")
        p.send("world\r")
        p.expect(r"\[echo-b\] echo: got 'world'")
        p.send("quit\r")
        p.expect(r"hyp: guest 'echo-b' stopped: shutdown")
        # The focus falls back to the guest still running.
        p.expect(r"hyp: console input goes to 'echo-a'")
        p.send("quit\r")
        p.expect(r"hyp: guest 'echo-a' stopped: shutdown")
        p.expect(pexpect.EOF)
        assert "got 'world'" not in p.before.split("[echo-a]")[-1]
    finally:
        p.close()
    assert p.exitstatus == 0
