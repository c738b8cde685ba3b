# SPDX-License-Identifier: MIT
"""Guest fuzzing, short: the fuzz guests of configs/fuzz.c run a few thousand random SBI calls,
hypercalls, CSR accesses, instructions and device accesses from a fixed seed on each engine, beside a
demo guest and a heartbeat canary that must not notice. `make fuzz` runs the long version."""
import re

import pytest

from conftest import ENGINES, boot
from test_foundation import check_demo

SEED = 7
OPS = 3000


# SMP=2: each fuzz guest's two vCPUs run on two harts (its calls under its VM lock, its HSM, IPI and
# fence calls crossing harts), the canaries beside them.
@pytest.mark.parametrize("smp", [1, 2])
@pytest.mark.parametrize("name", ["hext", "trap"])
def test_fuzz_guests_finish_and_the_canary_runs(name, smp):
    run = boot("fuzz", timeout=240, SMP=smp, APPEND="hyp.guestargs=fuzz.seed=%d,fuzz.n=%d,fuzz.every=1000,"
               "canary.beats=50" % (SEED, OPS), **ENGINES[name])
    assert run.returncode == 0, run.output
    assert "PANIC" not in run.output, run.output
    for guest in ("fuzz", "fuzzfv"):
        lines = run.guest_lines(guest)
        assert "fuzz: done seed %d, %d operations" % (SEED, OPS) in lines, run.output
        assert "fuzz: 0 unexpected results" in lines, run.output
        assert "hyp: guest '%s' stopped: shutdown" % guest in run.lines, run.output
    # Progress lines name the seed and iteration, so a failure replays exactly.
    assert "fuzz: seed %d iteration 2000" % SEED in run.guest_lines("fuzz")
    # Both canaries ran to their end: the demo's workloads, and the heartbeat.
    assert "demo done" in run.guest_lines("demo"), run.output
    check_demo(run, "demo")
    assert "canary: done" in run.guest_lines("canary"), run.output
    if smp == 2:
        for guest in ("fuzz", "fuzzfv"):
            m = re.search(r"hyp: guest '%s': .* 2 vCPU on harts (\d+),(\d+), " % guest, run.output)
            assert m and m.group(1) != m.group(2), run.output
