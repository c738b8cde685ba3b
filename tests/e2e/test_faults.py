# SPDX-License-Identifier: MIT
"""Accesses no machine would complete raise access faults in the guest, as hardware does; a guest
whose description says on-fault = "stop" is stopped instead, and nobody else notices either way."""
from conftest import boot

KINDS = [("load", 5, "0x88000000"), ("store", 7, "0x88000008"), ("amo", 7, "0x88000010"),
         ("fetch", 1, "0x88000000"), ("device-width", 7, "0xc000004"), ("no-device", 5, "0x10002000"),
         ("walk", 5, "0xc0000000")]


def test_access_faults_reach_the_guest(engine):
    run = boot("faults", **engine)
    # (The run's exit status reports the strict guest's stop as a failure: not checked here.)
    assert "hyp: all guests have stopped" in run.output, run.output
    assert "PANIC" not in run.output
    for guest in ("pv", "fv"):
        lines = run.guest_lines(guest)
        for kind, cause, tval in KINDS:
            assert "faults: %s: cause %d tval %s: ok" % (kind, cause, tval) in lines, run.output
        assert lines[-1] == "faults: done (0)", run.output
        assert "hyp: guest '%s' stopped: shutdown" % guest in run.output
    # The first few are logged, then only counted.
    assert ("hyp: guest 'pv': load-guest-page-fault at guest physical 0x88000000 (guest virtual "
            "0x88000000, pc ") in run.output
    assert "load-access-fault raised in it" in run.output
    assert "(further ones are counted, not logged)" in run.output
    assert run.output.count("hyp: guest 'pv': ") <= 5 + 2
    # on-fault = "stop": stopped at the first one, as before.
    assert ("hyp: guest 'strict' stopped: load-guest-page-fault at guest physical 0x88000000"
            in run.output), run.output
    assert not any(l.startswith("faults: load") for l in run.guest_lines("strict"))
    assert "demo done" in run.guest_lines("demo")
