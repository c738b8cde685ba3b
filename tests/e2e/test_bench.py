# SPDX-License-Identifier: MIT
"""make bench is deterministic: two runs of a short workload set give byte-identical CSVs."""
import os
import subprocess

from conftest import ROOT


def run_bench(out):
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "bench.py"), "--quick",
                        "--out", out], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    assert p.returncode == 0, p.stdout.decode(errors="replace")
    with open(os.path.join(out, "results.csv")) as f:
        return f.read()


def test_bench_repeats_bit_for_bit(tmp_path):
    a = run_bench(str(tmp_path / "a"))
    b = run_bench(str(tmp_path / "b"))
    assert a == b
    rows = [l.split(",") for l in a.strip().split("\n")[1:]]
    null_pv = [r for r in rows if r[1] == "pv" and r[2] == "null" and r[3] == "instructions_per_op"]
    # The fast path: a null hypercall round trip, loop included, within 40 instructions.
    assert null_pv and float(null_pv[0][4]) <= 40, a


def test_uart_register_read_within_300_on_hext():
    """The hext device fast path: one emulated UART register read (the bench's mmio workload, fv
    flavour, counted by the guest under -icount) within 300 instructions, every exit counted."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import bench
    ops, instructions, exits, _ = bench.measure("bench-fv", "fv", "mmio", 200, "", "hext")
    assert ops == 200
    assert exits.get("load-guest-page-fault") == 200, exits
    assert instructions / ops <= 300, instructions / ops
