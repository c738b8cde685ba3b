# SPDX-License-Identifier: MIT
"""make bench, every hart: instructions per cross-hart IPI round trip and per remote fence (the
smpstress guest under -icount, counted on vCPU 0's hart), and the wall-time ratio of one parallel
computation in a 2-vCPU guest on one hart against two (multi-threaded TCG, the minimum of several runs)."""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
DIV = 100        # a hundredth of smpstress's rounds: 200 IPI round trips, 200 fences
WALL_RUNS = 3


def run(smp, guestargs, icount):
    env = dict(os.environ, TIMEOUT="400", ICOUNT="1" if icount else "0", CPU="rv64", SMP=str(smp),
               APPEND="hyp.guestargs=" + guestargs,
               BUNDLE=os.path.join(BUILD, "cfg", "smpstress", "guests.img"))
    t = time.monotonic()
    p = subprocess.run([os.path.join(ROOT, "scripts", "run-qemu.sh"), os.path.join(BUILD, "hyp.bin")],
                       env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=460)
    wall = time.monotonic() - t
    out = p.stdout.decode(errors="replace").replace("\r", "")
    if p.returncode != 0 or not re.search(r"operations, 0 failures|compute on 2 vCPUs", out):
        sys.exit("bench: smpstress SMP=%d (%s) failed:\n%s" % (smp, guestargs, out[-2000:]))
    return out, wall


def per_op(out, what):
    m = re.search(r"smpstress: %s: (\d+)(?: rounds)?, (\d+) instructions on vCPU 0" % what, out)
    return int(m.group(2)) / int(m.group(1))


def harts_rows():
    rows = []
    for smp, where in ((2, "cross-hart"), (1, "same-hart")):
        out, _ = run(smp, "div=%d" % DIV, True)
        ipi, fence = per_op(out, "ipi ping-pong"), per_op(out, "remote fences")
        rows.append(("hext", where, "ipi", "instructions_per_round_trip", "%.0f" % ipi))
        rows.append(("hext", where, "rfence", "instructions_per_op", "%.0f" % fence))
        print("bench: hext  %-10s ipi round trip %.0f instr, remote fence %.0f instr (vCPU 0's hart)" %
              (where, ipi, fence), flush=True)
    walls = {}
    for smp in (1, 2):
        walls[smp] = min(run(smp, "work=compute", False)[1] for _ in range(WALL_RUNS))
        rows.append(("hext", "%d-hart" % smp, "compute2", "wall_seconds_min", "%.2f" % walls[smp]))
    rows.append(("hext", "2-hart", "compute2", "speedup_over_1_hart", "%.2f" % (walls[1] / walls[2])))
    print("bench: hext  2 vCPUs computing: %.2f s on 1 hart, %.2f s on 2 (min of %d), %.2fx" %
          (walls[1], walls[2], WALL_RUNS, walls[1] / walls[2]), flush=True)
    return rows


def harts_docs(rows, value):
    v = lambda where, work, metric: value(rows, "hext", where, work, metric)
    return [
        "## Every hart", "",
        "The smpstress guest (configs/smpstress.dts) on hext, its vCPU 0 and vCPU 1 on two harts "
        "(`SMP=2`) or on one (`SMP=1`), under `-icount`, where QEMU runs the harts round robin on one "
        "thread and `instret` counts what vCPU 0's hart executes: the guest, the hypervisor, the "
        "firmware. `scripts/bench_harts.py`; one point by hand: `BUNDLE=build/cfg/smpstress/guests.img "
        "ICOUNT=1 SMP=2 APPEND=hyp.guestargs=div=%d scripts/run-qemu.sh build/hyp.bin`." % DIV, "",
        "| operation | vCPUs on two harts | on one hart |", "|---|---|---|",
        "| IPI round trip (SBI IPI there, SBI IPI back, each delivered), instructions on vCPU 0's hart "
        "| %.0f | %.0f |" % (v("cross-hart", "ipi", "instructions_per_round_trip"),
                             v("same-hart", "ipi", "instructions_per_round_trip")),
        "| remote SFENCE.VMA (SBI RFENCE, the other vCPU named), instructions on the caller's hart "
        "| %.0f | %.0f |" % (v("cross-hart", "rfence", "instructions_per_op"),
                             v("same-hart", "rfence", "instructions_per_op")), "",
        "Across harts an IPI is the guest's SBI call, the hypervisor's inbox write and SBI IPI to the "
        "firmware (an M-mode software interrupt on the other hart), the target's exit on the "
        "supervisor software interrupt and its entry with VSSIP set; the round trip counted on one "
        "hart includes its share of both directions and the idle loop that waits between. A remote "
        "fence is a local HFENCE.VVMA plus the firmware's remote HFENCE.VVMA, which returns once the "
        "other hart has fenced; the other hart's own instructions are not in the figure.", "",
        "Scaling, **wall time on a shared 2-core machine** (QEMU's multi-threaded TCG, no `-icount`; "
        "noise from other work on the host enters it): the same computation on both vCPUs of one guest "
        "(`work=compute`), on one hart and on two, the minimum of %d runs each: %.2f s and %.2f s, "
        "%.2fx (target 1.7x)." % (WALL_RUNS, v("1-hart", "compute2", "wall_seconds_min"),
                                  v("2-hart", "compute2", "wall_seconds_min"),
                                  v("2-hart", "compute2", "speedup_over_1_hart")), ""]
