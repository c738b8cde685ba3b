# SPDX-License-Identifier: MIT
"""make bench, every hart: instructions per IPI round trip and per remote fence (the smpstress guest,
counted on vCPU 0's hart) with its two vCPUs on one hart (under -icount, exact) and on two (multi-
threaded TCG: QEMU 7.2's -icount runs harts round robin and a remote fence, which the firmware waits
on, does not finish there; the counts include waiting and vary run to run: the median of three), and
the wall-time ratio of one parallel computation in a 2-vCPU guest on one hart against two."""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
DIV = 10         # a tenth of smpstress's rounds: 2000 IPI round trips, 2000 fences
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
        outs = [run(smp, "div=%d" % DIV, smp == 1)[0] for _ in range(3 if smp > 1 else 1)]
        ipi = sorted(per_op(o, "ipi ping-pong") for o in outs)[len(outs) // 2]
        fence = sorted(per_op(o, "remote fences") for o in outs)[len(outs) // 2]
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
        "(`SMP=2`) or on one (`SMP=1`); `instret` counts what vCPU 0's hart executes: the guest, the "
        "hypervisor, the firmware. On one hart the run is under `-icount` and exact. On two it is "
        "not: QEMU 7.2 under `-icount` runs the harts round robin on one thread, and a remote fence "
        "(the firmware waits for the other hart's answer) did not finish there in 200 s; so the "
        "two-hart figures come from multi-threaded TCG, include the time the hart waits for the other "
        "(spinning in the firmware, or idle in the hypervisor's WFI loop), and move from run to run: "
        "the median of three. `scripts/bench_harts.py`; one point by hand: "
        "`BUNDLE=build/cfg/smpstress/guests.img SMP=2 APPEND=hyp.guestargs=div=%d "
        "scripts/run-qemu.sh build/hyp.bin`." % DIV, "",
        "| operation | vCPUs on two harts (median of 3, not exact) | on one hart (exact) |", "|---|---|---|",
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
