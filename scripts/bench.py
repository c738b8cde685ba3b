#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make bench: deterministic counts comparing the pv and fv flavours of guest-pv, and Linux boot to init
natively and under the hypervisor. Every figure is a count under QEMU -icount shift=0 (instructions,
exits), never wall time. Writes build/bench/results.csv, docs/bench.md and docs/bench.svg."""
import argparse
import csv
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_harts import harts_docs, harts_rows  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")

# (workload, n): n is rounds, calls, lines or ticks, chosen to take a second or two each.
WORKLOADS = [("null", 2000), ("mmio", 1000), ("console", 400), ("ptchurn", 16), ("compute", 200000),
             ("blk", 256), ("timer", 50)]
QUICK = [("null", 50), ("ptchurn", 1), ("blk", 16)]
# (label, config, extra guest args): pv-hc is the pv flavour made to validate its page tables through
# hypercalls although the hardware has stage 2: what it costs where a trap engine would need it.
FLAVOURS = [("pv", "bench-pv", ""), ("fv", "bench-fv", ""), ("pv-hc", "bench-pv", "pv.mmu=hypercall")]
# Engines and the QEMU CPU that gives each: hext with the H extension, trap on a hart without it.
ENGINES = ["hext", "trap"]
ENGINE_CPU = {"hext": "rv64", "trap": "rv64,h=false"}
TARGETS = {
    "null": "round trip <= 40 instructions (pv); SBI get_spec_version <= 150 (fv)",
    "mmio": "UART register round trip <= 300 instructions",
    "console": ">= 4096 bytes per exit (pv)",
    "ptchurn": "trap engine: pv <= 1/64 of fv's exits, >= 5x fewer instructions",
    "timer": "0 exits per tick with Sstc",
    "blk": "pv batch: fewer exits per MiB than virtio-blk",
}


def run_qemu(config, guestargs, icount=True, timeout=300, disk=None, engine="hext", extra=None):
    env = dict(os.environ, TIMEOUT=str(timeout), ICOUNT="1" if icount else "0", CPU=ENGINE_CPU[engine])
    if extra:
        env["QEMU_EXTRA"] = extra
    if disk:
        env["DISK"] = disk
    if guestargs:
        env["APPEND"] = "hyp.guestargs=" + guestargs.replace(" ", ",")
    env["BUNDLE"] = os.path.join(BUILD, "cfg", config, "guests.img")
    # HYP_IMAGE: another hypervisor image (an older build, for a before/after comparison).
    image = os.environ.get("HYP_IMAGE", os.path.join(BUILD, "hyp.bin"))
    p = subprocess.run([os.path.join(ROOT, "scripts", "run-qemu.sh"), image], env=env,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout + 30)
    out = p.stdout.decode(errors="replace").replace("\r", "")
    if p.returncode != 0:
        sys.exit("bench: %s (%s) failed:\n%s" % (config, guestargs, out[-2000:]))
    return out


def exit_table(out, guest):
    table, cols = {}, None
    for line in out.split("\n"):
        m = re.match(r"hyp:   (\S+)\s+(.*)$", line)
        if not m:
            continue
        cells = m.group(2).split()
        if m.group(1) == "cause":
            cols = cells
        elif cols and guest in cols:
            table[m.group(1)] = int(cells[cols.index(guest)])
    return table


# Rows of the exit table that count something else.
NOT_EXITS = ("hyp-instructions", "longest-exit", "shadow-drops-all", "shadow-drops-new-table",
             "short-path-priv", "short-path-syscall", "ram-clearing-faults", "slice-ends",
             "stop-instructions", "hyp-busy-instructions", "patched-insns", "short-path-patched",
             "patch-frames-undone", "short-path-asm", "shadow-tables-given-up")


def measure(config, guest, workload, n, extra, engine):
    """Returns (ops, instructions, {cause: exits}, hyp instructions) of n operations, the n=0 run of the
    same workload subtracted so that boot and report cost nothing."""
    res = []
    for count in (0, n):
        args = "bench=%s n=%d %s" % (workload, count, extra)
        out = run_qemu(config, args.strip(), engine=engine)
        m = re.search(r"\[%s\] bench: (\S+)\s+ops=(\d+) instret=(\d+)" % re.escape(guest), out)
        if not m:
            sys.exit("bench: no result from %s %s:\n%s" % (config, args, out[-2000:]))
        res.append((int(m.group(2)), int(m.group(3)), exit_table(out, guest)))
    (_, i0, t0), (ops, i1, t1) = res
    exits = {k: t1.get(k, 0) - t0.get(k, 0) for k in t1 if k not in NOT_EXITS}
    hyp = t1.get("hyp-instructions", 0) - t0.get("hyp-instructions", 0)
    return ops, i1 - i0, exits, hyp


# The Linux workload (configs/linux/init.c, rvhyp.bench=1): phases timed with instret inside the guest,
# which on one hart counts everything the hart executes meanwhile (guest kernel, firmware, hypervisor).
LINUX_PHASES = [("getpid", "getpid() system call"), ("fork", "fork + _exit + waitpid"),
                ("mmap", "mmap 1 MiB, store to each page, munmap"), ("tmpfs", "4 MiB written and read back (ramfs)"),
                ("pipe", "1-byte pipe round trip between two processes"),
                ("fault", "page read then written (2 faults)"), ("compute", "xorshift step (no kernel)")]
LINUX_TARGETS = {"getpid": 15, "fork": 4, "mmap": 3, "tmpfs": 1.5, "boot": 1.3}
LINUX_WHERE = ["native", "hext", "trap"]
# The unmodified kernel and the cooperative one (guest-pv/linux/): the same source, config and init.
LINUX_KERNELS = ["linux", "linux-pv"]
LINUX_PV_TARGETS = {"getpid": 4, "fork": 3, "mmap": 2.5, "boot": 1.2}
# Phases whose exits per operation make bench counts (trap engine), and pv's target as a share of fv's.
LINUX_EXIT_PHASES = ("fork", "mmap")
LINUX_PV_EXIT_TARGETS = {"mmap": 1 / 20}
MMAP_PAGES = 256  # the mmap phase's 1 MiB in 4 KiB pages (configs/linux/init.c)
# QEMU's virt board puts a random rng-seed in the device tree: a fixed seed makes runs repeat.
QEMU_SEED = "1"


def linux_workload(where, out_dir, kernel="linux", zero=None, args=""):
    """Returns ({phase: (n, instructions)}, boot-to-init instructions, exit table) of one run of the
    Linux workload natively or under an engine, on the unmodified kernel or the cooperative one; zero:
    a phase init runs with n = 0 (rvhyp.zero=), for the exits of the others; args: more kernel
    arguments (one word)."""
    tag = "-" + args.replace("=", "") if args else ""
    if zero:
        out = run_qemu(kernel + "-bench", " ".join(w for w in ("rvhyp.zero=" + zero, args) if w), timeout=600,
                       engine=where, extra="-seed " + QEMU_SEED)
        with open(os.path.join(out_dir, "%s-bench-%s-zero-%s%s.log" % (kernel, where, zero, tag)), "w") as f:
            f.write(out)
        if not re.search(r"init: bench %s n=0 " % zero, out):
            sys.exit("bench: the Linux workload without %s did not finish (%s, %s):\n%s" %
                     (zero, kernel, where, out[-2000:]))
        return exit_table(out, kernel)
    if where == "native":
        env = dict(os.environ, ICOUNT="1", TIMEOUT="600", MEM="128M", SEED=QEMU_SEED,
                   APPEND=" ".join(w for w in ("rvhyp.bench=1", args) if w), LINUX_DIR=os.path.join(BUILD, kernel))
        env.pop("DISK", None)
        p = subprocess.run([os.path.join(ROOT, "scripts", "run-linux-native.sh")], env=env, cwd=ROOT,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out, prefix = p.stdout.decode(errors="replace").replace("\r", ""), ""
    else:
        out = run_qemu(kernel + "-bench", args, timeout=600, engine=where, extra="-seed " + QEMU_SEED)
        prefix = "[%s] " % kernel
    with open(os.path.join(out_dir, "%s-bench-%s%s.log" % (kernel, where, tag)), "w") as f:
        f.write(out)
    phases = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in
              re.finditer(re.escape(prefix) + r"init: bench (\w+) n=(\d+) instret=(\d+)", out)}
    boot = re.search(re.escape(prefix) + r"init: time (\d+)", out)
    if not boot or len(phases) != len(LINUX_PHASES):
        sys.exit("bench: the Linux workload did not finish (%s, %s):\n%s" % (kernel, where, out[-2000:]))
    # Linux's boot counts from its own first instruction: under the hypervisor from the time the
    # guests start (the hypervisor's boot, its bundle's sha256 checks included, is not Linux's),
    # natively from the time the same firmware hands over, which the hypervisor's run reports too.
    start = re.search(r"hyp: boot: entered at time (\d+), guests start at time (\d+)", out)
    if where == "native":
        first = None
    elif not start:
        sys.exit("bench: no boot times from the hypervisor (%s)" % where)
    else:
        first = (int(start.group(1)), int(start.group(2)))
    # timebase 10 MHz; -icount shift=0 runs one instruction per nanosecond: 100 per tick.
    return (phases, (int(boot.group(1)), first),
            exit_table(out, kernel) if where != "native" else {})


def phase_exits_per_op(where, out_dir, kernel, name, phases, ex, args=""):
    """Exits per operation of one phase of a run (its phases and exit table ex, from linux_workload):
    the run's exit table less that of the same run with the phase at n = 0, everything else the same
    (runs repeat exactly)."""
    without = linux_workload(where, out_dir, kernel, zero=name, args=args)
    return (ex.get("total", 0) - without.get("total", 0)) / phases[name][0]


def linux_rows(out_dir, only=None, kernels=None):
    rows = []
    for kernel in kernels or LINUX_KERNELS:
        rows += linux_kernel_rows(out_dir, kernel, only)
    if "linux-pv" in (kernels or LINUX_KERNELS) and (not only or "trap" in only):
        rows += linux_around_rows(out_dir)
    return rows


# The cooperative kernel's anonymous fault-around (guest-pv/linux/0003), on by default on the trap engine
# only: the same runs with it turned off there (anon_fault_around=1) and turned on natively, so that
# what it buys is told apart from what the rest of the cooperation does.
LINUX_AROUND = [("trap", "anon_fault_around=1"), ("native", "anon_fault_around=16")]
LINUX_AROUND_PHASES = ("fork", "mmap", "fault")


# Its page-table updates handed over in batches (guest-pv/linux/0004, the default where offered) against
# the fence promise alone (rvhyp_mmu=fenced), on the trap engine: the phases that change tables.
LINUX_MMU = ("trap", "rvhyp_mmu=fenced")
LINUX_MMU_PHASES = ("fork", "mmap", "pipe", "fault")


def variant_rows(out_dir, where, args, names, exit_names):
    """The cooperative kernel's workload with more kernel arguments: instructions per operation of
    the phases named, exits per operation of exit_names."""
    rows = []
    phases, _, ex = linux_workload(where, out_dir, "linux-pv", args=args)
    label = "linux-pv:" + args
    for name in names:
        n, instr = phases[name]
        rows.append((where, label, "wl:" + name, "instructions_per_op", "%.1f" % (instr / n)))
    for name in exit_names:
        rows.append((where, label, "wl:" + name, "exits_per_op",
                     "%.1f" % phase_exits_per_op(where, out_dir, "linux-pv", name, phases, ex, args)))
    return rows


def linux_around_rows(out_dir):
    rows = []
    for where, args in LINUX_AROUND:
        rows += variant_rows(out_dir, where, args, LINUX_AROUND_PHASES, ("mmap",) if where == "trap" else ())
    rows += variant_rows(out_dir, LINUX_MMU[0], LINUX_MMU[1], LINUX_MMU_PHASES, ("fork", "mmap"))
    return rows


def linux_kernel_rows(out_dir, kernel, only=None):
    rows, res = [], {}
    for where in LINUX_WHERE:
        if where == "native" or not only or where in only:
            res[where] = linux_workload(where, out_dir, kernel)
    native, (ninit, _), _ = res["native"]
    # The firmware's part, the same natively: what the hypervisor saw at its entry.
    fw = next(first[0] for _, (_, first), _ in (res[w] for w in res if w != "native"))
    nboot = (ninit - fw) * 100
    for where in res:
        phases, (init, first), ex = res[where]
        boot = nboot if where == "native" else (init - first[1]) * 100
        for name, _ in LINUX_PHASES:
            n, instr = phases[name]
            rows.append((where, kernel, "wl:" + name, "instructions_per_op", "%.1f" % (instr / n)))
            rows.append((where, kernel, "wl:" + name, "relative_to_native", "%.3f" % (instr / native[name][1])))
        rows.append((where, kernel, "wl:boot", "instructions", boot))
        rows.append((where, kernel, "wl:boot", "relative_to_native", "%.3f" % (boot / nboot)))
        for cause, v in sorted(ex.items()):
            if v:
                rows.append((where, kernel, "wl:exits", cause, v))
        for name in LINUX_EXIT_PHASES if where == "trap" else ():
            rows.append((where, kernel, "wl:" + name, "exits_per_op",
                         "%.1f" % phase_exits_per_op(where, out_dir, kernel, name, phases, ex)))
        print("bench: %-8s workload %-6s " % (kernel, where) +
              " ".join("%s=%.2fx" % (k, phases[k][1] / native[k][1]) for k, _ in LINUX_PHASES) +
              " boot=%.3fx" % (boot / nboot), flush=True)
    return rows


def linux_pv_docs(rows):
    """The cooperative kernel against the unmodified one: per phase, both engines, pv/fv and pv/native."""
    lines = ["## Cooperative Linux", "",
             "The same workload on the kernel patched to cooperate (`guest-pv/linux/`, `configs/linux-pv-bench.dts`; "
             "`pv/native` divides by the same pv kernel run natively, where it finds no hypervisor and keeps its "
             "native paths, its fault-around off). What it uses on the trap engine: the vCPU page (interrupt flag "
             "as a memory word, trap state read from memory, one return hypercall instead of `sret` and its CSR "
             "writes; the system call and the return taken in assembly, `tfast.S`), fenced user page tables "
             "(`HV_FID_TABLES_FENCED`: its stores to user space's last-level tables are plain stores, its installs "
             "need no fence, the faulted page and its group are filled on the return), its page-table updates "
             "handed over in batches (below) and anonymous fault-around (below). On hext the kernel finds none "
             "of them (`HV_FEAT_VCPU_PAGE`, `HV_FEAT_TABLES_FENCED` and `HV_FEAT_TABLES_BATCHED` are "
             "trap-only, and the fault-around follows the vCPU page) and runs its native paths.", "",
             "| phase | pv native instr/op | hext pv/fv | trap fv instr/op | trap pv instr/op | trap pv/fv "
             "| trap pv/native | target (trap pv/native) |", "|---|---|---|---|---|---|---|---|"]
    missed = []
    for name, _ in LINUX_PHASES + [("boot", "")]:
        metric = "instructions" if name == "boot" else "instructions_per_op"
        pn, ph, pt = (value(rows, w, "linux-pv", "wl:" + name, metric) for w in LINUX_WHERE)
        fh, ft = (value(rows, w, "linux", "wl:" + name, metric) for w in ("hext", "trap"))
        target = LINUX_PV_TARGETS.get(name)
        r = pt / pn
        if target and r > target:
            missed.append(name)
        lines.append("| %s | %.0f | %.4f | %.0f | %.0f | %.3f | %.2f | %s |" %
                     (name, pn, ph / fh, ft, pt, pt / ft, r,
                      "<= %gx: %s" % (target, "met" if r <= target else "missed") if target else ""))
    hb = value(rows, "hext", "linux-pv", "wl:boot", "instructions") / value(rows, "hext", "linux", "wl:boot",
                                                                           "instructions")
    ex = {k: value(rows, "trap", k, "wl:exits", "total") or 0 for k in LINUX_KERNELS}
    lines += ["", "hext target (pv no slower than fv within 1 %%): boot pv/fv %.4f: %s. Exits of the whole "
              "trap-engine run (boot and workload): fv %d, pv %d." %
              (hb, "met" if hb <= 1.01 else "missed", ex["linux"], ex["linux-pv"]), "",
              "Exits per operation on the trap engine (the run's exit table less that of the same run with the "
              "phase at n = 0, `rvhyp.zero=`):", "",
              "| phase | fv exits/op | pv exits/op | pv/fv | target |", "|---|---|---|---|---|"]
    for name in LINUX_EXIT_PHASES:
        fe = value(rows, "trap", "linux", "wl:" + name, "exits_per_op")
        pe = value(rows, "trap", "linux-pv", "wl:" + name, "exits_per_op")
        target = LINUX_PV_EXIT_TARGETS.get(name)
        if target and pe / fe > target:
            missed.append(name + " exits")
        lines.append("| %s | %.1f | %.1f | 1/%.1f | %s |" %
                     (name, fe, pe, fe / pe, "<= 1/%g: %s" % (1 / target, "met" if pe / fe <= target else "missed")
                      if target else ""))
    mmap_pe = value(rows, "trap", "linux-pv", "wl:mmap", "exits_per_op")
    off, on = ("linux-pv:" + a for _, a in LINUX_AROUND)
    off_pe = value(rows, "trap", off, "wl:mmap", "exits_per_op")
    lines += ["", "A page fault of user code costs the cooperative kernel two exits: the fault, which the hardware "
              "raises into the hypervisor and which only the guest kernel can resolve, and the return to user "
              "mode, which only the hypervisor can make, since both kernel and user code run in U-mode on the "
              "trap engine. Two exits per fault is the floor, so the mmap exit target needs fewer faults than "
              "pages touched. On the trap engine the kernel maps the free neighbours of an anonymous page it "
              "write-faults in, in its aligned group of 16 (`guest-pv/linux/0003`; `anon_fault_around=` on its "
              "command line sets it, 1 turns it off), and the hypervisor fills the group's valid entries on "
              "the fault's return (`HV_FILL_AROUND`): %.2f exits per page touched (of %d), against %.2f with "
              "the fault-around off. That is a paging policy, not a cheaper fault: it costs memory where a "
              "process touches one page of a group, and work where a process with more pages mapped forks or "
              "exits. The same kernel with it off on the trap engine, and on natively (instructions per "
              "operation):" % (mmap_pe / MMAP_PAGES, MMAP_PAGES, off_pe / MMAP_PAGES), "",
              "| phase | trap pv | trap pv, fault-around off | native pv | native pv, fault-around on "
              "| trap pv / native pv, both on |", "|---|---|---|---|---|---|"]
    for name in LINUX_AROUND_PHASES:
        tp = value(rows, "trap", "linux-pv", "wl:" + name, "instructions_per_op")
        np_ = value(rows, "native", "linux-pv", "wl:" + name, "instructions_per_op")
        toff = value(rows, "trap", off, "wl:" + name, "instructions_per_op")
        non = value(rows, "native", on, "wl:" + name, "instructions_per_op")
        lines.append("| %s | %.0f | %.0f | %.0f | %.0f | %.2f |" % (name, tp, toff, np_, non, tp / non))
    fenced = "linux-pv:" + LINUX_MMU[1]
    lines += ["", "Its page-table updates (`guest-pv/linux/0004`, `HV_FEAT_TABLES_BATCHED`): Linux's lazy-MMU "
              "sections hand their changes to the hypervisor in one `MMU_UPDATE` each, which drops the pages "
              "they name, so the flushes that follow need no fence of everything and the process keeps the "
              "rest of its shadow. Against the same kernel with the fence promise alone (`rvhyp_mmu=fenced`), "
              "on the trap engine:", "",
              "| phase | batched instr/op | fenced instr/op | batched/fenced | batched exits/op "
              "| fenced exits/op |", "|---|---|---|---|---|---|"]
    for name in LINUX_MMU_PHASES:
        b = value(rows, "trap", "linux-pv", "wl:" + name, "instructions_per_op")
        f = value(rows, "trap", fenced, "wl:" + name, "instructions_per_op")
        be = value(rows, "trap", "linux-pv", "wl:" + name, "exits_per_op")
        fe = value(rows, "trap", fenced, "wl:" + name, "exits_per_op")
        lines.append("| %s | %.0f | %.0f | %.3f | %s | %s |" %
                     (name, b, f, b / f, "%.1f" % be if be is not None else "",
                      "%.1f" % fe if fe is not None else ""))
    if missed:
        lines += ["", "Missed: %s. docs/architecture.md (\"Cooperative Linux\") says what is left." %
                  ", ".join(missed)]
    lines += [""]
    return lines


def linux_docs(rows):
    lines = ["## Linux workload", "",
             "`configs/linux/init.c` with `rvhyp.bench=1` on the kernel command line (`configs/linux-bench.dts`, "
             "`scripts/run-linux-native.sh APPEND=rvhyp.bench=1`): one vCPU, 128 MiB, no disk, QEMU `-seed %s`. "
             "Each phase is timed by the guest's init with `rdinstret`, which on one hart under `-icount` counts "
             "every instruction the hart runs meanwhile: Linux's, OpenSBI's and the hypervisor's. So the "
             "figures are what the guest loses, firmware detours and world switches included, not only what "
             "the hypervisor counts for itself. Each phase runs a tenth of its operations uncounted first, so "
             "that what a path costs once (the hypervisor patching a newly hot kernel instruction, and the "
             "shadow refill after) lands there. `boot` is Linux's own: from its first instruction to the first "
             "of init (under the hypervisor from the moment guests start, so the hypervisor's boot and its "
             "bundle checks are left out; natively from the moment OpenSBI hands over, the time the "
             "hypervisor reports at its own entry)." %
             QEMU_SEED, "",
             "| phase | one op | native instr/op | hext instr/op | hext/native | trap instr/op | trap/native "
             "| target (trap) |", "|---|---|---|---|---|---|---|---|"]
    for name, what in LINUX_PHASES + [("boot", "Linux's first instruction to init's")]:
        metric = "instructions" if name == "boot" else "instructions_per_op"
        n, h, t = (value(rows, w, "linux", "wl:" + name, metric) for w in LINUX_WHERE)
        target = LINUX_TARGETS.get(name)
        tr = t / n
        lines.append("| %s | %s | %.0f | %.0f | %.3f | %.0f | %.2f | %s |" %
                     (name, what, n, h, h / n, t, tr,
                      "<= %gx: %s" % (target, "met" if tr <= target else "missed") if target else ""))
    ex = sorted(((r[3], int(r[4])) for r in rows if r[:3] == ("trap", "linux", "wl:exits")
                 and r[3] != "total" and r[3] not in NOT_EXITS), key=lambda x: -x[1])
    tot = value(rows, "trap", "linux", "wl:exits", "total") or 0
    fast = value(rows, "trap", "linux", "wl:exits", "short-path-priv") or 0
    fsys = value(rows, "trap", "linux", "wl:exits", "short-path-syscall") or 0
    drops = value(rows, "trap", "linux", "wl:exits", "shadow-drops-all") or 0
    patched = value(rows, "trap", "linux", "wl:exits", "patched-insns") or 0
    ppatched = value(rows, "trap", "linux", "wl:exits", "short-path-patched") or 0
    fasm = value(rows, "trap", "linux", "wl:exits", "short-path-asm") or 0
    lines += ["", "Exits of the whole trap-engine run (boot and workload), most frequent first: %s; %d in all. "
              "Of the emulated privileged instructions %d took the short path (`arch/riscv/tfast.c`), and %d "
              "of the system calls; every shadow tree was dropped at once %d times. %d privileged "
              "instructions of the kernel were patched (`arch/tpatch.h`), and %d of the short path's "
              "emulations ran patched, reaching the hypervisor through a delegated load fault instead of "
              "the firmware. %d of the short path's instructions and system calls were taken in assembly "
              "(`arch/riscv/tfast.S`)." %
              (", ".join("%s %d" % e for e in ex[:8]), tot, fast, fsys, drops, patched, ppatched, fasm), "",
              "Where the rest goes, what each step changed, and why the remaining targets are missed: "
              "[trap-speed.md](trap-speed.md).", ""]
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="three small workloads (the determinism test)")
    ap.add_argument("--out", default=os.path.join(BUILD, "bench"))
    ap.add_argument("--no-docs", action="store_true")
    ap.add_argument("--linux", action="store_true", help="the Linux workload only (results in --out, no docs)")
    ap.add_argument("--engines", help="with --linux: the engines to run (comma-separated; native always runs)")
    ap.add_argument("--kernels", help="with --linux: linux, linux-pv or both (comma-separated; default both)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rows = []
    if a.linux:
        kernels = a.kernels.split(",") if a.kernels else None
        rows = linux_rows(a.out, a.engines.split(",") if a.engines else None, kernels)
        with open(os.path.join(a.out, "linux.csv"), "w", newline="") as f:
            csv.writer(f).writerows(rows)
        if not a.engines and not kernels:
            print("\n".join(linux_docs(rows) + linux_pv_docs(rows)))
        return
    workloads = QUICK if a.quick else WORKLOADS
    for engine in ENGINES:
        for label, config, extra in FLAVOURS:
            for workload, n in workloads:
                # pv-hc shows on hext what every pv guest does on the trap engine: there it is pv.
                if label == "pv-hc" and (workload != "ptchurn" or engine != "hext"):
                    continue
                # Validated tables map no device: on the trap engine the UART is the fv flavour's.
                if label == "pv" and workload == "mmio" and engine == "trap":
                    continue
                guest = "fv" if label == "fv" else "pv"
                ops, instr, exits, hyp = measure(config, guest, workload, n, extra, engine)
                total = exits.get("total", 0)
                rows.append((engine, label, workload, "ops", ops))
                rows.append((engine, label, workload, "instructions_per_op", "%.2f" % (instr / ops)))
                rows.append((engine, label, workload, "exits_per_op", "%.4f" % (total / ops)))
                for cause, v in sorted(exits.items()):
                    if cause != "total" and v:
                        rows.append((engine, label, workload, "exits_per_op:" + cause,
                                     "%.4f" % (v / ops)))
                rows.append((engine, label, workload, "hyp_instructions_per_exit",
                             "%.1f" % (hyp / total) if total else "0"))
                if workload == "blk":
                    rows.append((engine, label, workload, "exits_per_mib", "%.1f" % (total / ops * (1 << 20))))
                if workload == "console":
                    rows.append((engine, label, workload, "bytes_per_exit",
                                 "%.1f" % (ops / total) if total else str(ops)))
                print("bench: %-5s %-6s %-8s ops=%-7d instr/op=%-10.2f exits/op=%.4f" %
                      (engine, label, workload, ops, instr / ops, total / ops), flush=True)
    if not a.quick:
        rows += linux_rows(a.out)
        rows += harts_rows()
    path = os.path.join(a.out, "results.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["engine", "flavour", "workload", "metric", "value"])
        w.writerows(rows)
    print("bench: wrote " + path)
    if not a.quick and not a.no_docs:
        write_docs(rows, a.out)


def value(rows, engine, flavour, workload, metric):
    for r in rows:
        if r[:4] == (engine, flavour, workload, metric):
            return float(r[4])
    return None


def version(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode().split("\n")[0]
    except OSError:
        return "?"


def capacity_docs(out):
    """The capacity section scripts/bench_capacity.py wrote (make bench runs it first)."""
    path = os.path.join(out, "capacity.md")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().splitlines() + [""]


def write_docs(rows, out):
    lines = ["# Benchmarks", "",
             "Generated by `make bench` (scripts/bench.py); every figure is a count under QEMU "
             "`-icount shift=0,sleep=off`, where the guest-visible `instret` counts executed instructions "
             "exactly and runs repeat bit for bit. Per operation figures subtract a run of the same "
             "workload with n = 0, so boot and reporting cost nothing.", "",
             "- QEMU: " + version(["qemu-system-riscv64", "--version"]),
             "- compiler: " + version(["riscv64-unknown-elf-gcc", "--version"]),
             "- firmware: Debian opensbi " + version(["dpkg-query", "-W", "-f=${Version}", "opensbi"]),
             "", "Commands: `make bench` (this page, `build/bench/results.csv`, `docs/bench.svg`); one "
             "point by hand: `BUNDLE=build/cfg/bench-pv/guests.img ICOUNT=1 "
             "APPEND=hyp.guestargs=bench=null,n=1000 scripts/run-qemu.sh build/hyp.bin`.", "",
             "`hext` is the H-extension engine (QEMU `-cpu rv64`), `trap` the trap engine on a hart without "
             "H (`-cpu rv64,h=false`: the guest kernel deprivileged, shadow page tables for fv, validated "
             "direct paging for pv). `pv-hc` (hext only) is the pv flavour validating its page tables "
             "through hypercalls although the hardware has stage 2 (bootarg `pv.mmu=hypercall`), as "
             "every pv guest does on the trap engine.", "",
             "| engine | workload | pv instr/op | fv instr/op | pv/fv instr | pv exits/op | fv exits/op | "
             "hyp instr/exit (fv) | target |", "|---|---|---|---|---|---|---|---|---|"]
    for engine in ENGINES:
        for workload, _ in WORKLOADS:
            pi = value(rows, engine, "pv", workload, "instructions_per_op")
            fi = value(rows, engine, "fv", workload, "instructions_per_op")
            pe = value(rows, engine, "pv", workload, "exits_per_op")
            fe = value(rows, engine, "fv", workload, "exits_per_op")
            hx = value(rows, engine, "fv", workload, "hyp_instructions_per_exit")
            f = lambda v, fmt: "-" if v is None else fmt % v
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" %
                         (engine, workload, f(pi, "%.1f"), f(fi, "%.1f"),
                          f(pi / fi if pi is not None and fi else None, "%.3f"), f(pe, "%.4f"),
                          f(fe, "%.4f"), f(hx, "%.0f"), TARGETS.get(workload, "")))
    lines += ["", "## Against the targets", ""]
    null = value(rows, "hext", "pv", "null", "instructions_per_op")
    tnull = value(rows, "trap", "pv", "null", "instructions_per_op")
    fnull = value(rows, "hext", "fv", "null", "instructions_per_op")
    tfnull = value(rows, "trap", "fv", "null", "instructions_per_op")
    mmio = value(rows, "hext", "fv", "mmio", "instructions_per_op")
    tmmio = value(rows, "trap", "fv", "mmio", "instructions_per_op")
    con = value(rows, "hext", "pv", "console", "bytes_per_exit")
    conf = value(rows, "hext", "fv", "console", "exits_per_op")
    timer = value(rows, "hext", "pv", "timer", "exits_per_op")
    ttimer = value(rows, "trap", "pv", "timer", "exits_per_op")
    hc = value(rows, "hext", "pv-hc", "ptchurn", "exits_per_op")
    hci = value(rows, "hext", "pv-hc", "ptchurn", "instructions_per_op")
    tpe = value(rows, "trap", "pv", "ptchurn", "exits_per_op")
    tfe = value(rows, "trap", "fv", "ptchurn", "exits_per_op")
    tpi = value(rows, "trap", "pv", "ptchurn", "instructions_per_op")
    tfi = value(rows, "trap", "fv", "ptchurn", "instructions_per_op")
    tph = value(rows, "trap", "pv", "ptchurn", "hyp_instructions_per_exit") * tpe
    tfh = value(rows, "trap", "fv", "ptchurn", "hyp_instructions_per_exit") * tfe
    ratio = value(rows, "hext", "linux", "wl:boot", "relative_to_native")
    tratio = value(rows, "trap", "linux", "wl:boot", "relative_to_native")
    bpv = value(rows, "hext", "pv", "blk", "exits_per_mib")
    bfv = value(rows, "hext", "fv", "blk", "exits_per_mib")
    tbpv = value(rows, "trap", "pv", "blk", "exits_per_mib")
    tbfv = value(rows, "trap", "fv", "blk", "exits_per_mib")
    met = lambda ok: "met" if ok else "missed"
    lines += [
        "- Null hypercall round trip: %.1f guest-visible instructions on hext, %.1f on the trap engine, "
        "loop included (target <= 40: %s, %s). Both are answered in `trap.S` before the full register "
        "save." % (null, tnull, met(null <= 40), met(tnull <= 40)),
        "- SBI get_spec_version round trip (the fv flavour's null call): %.1f instructions on hext, %.1f "
        "on the trap engine (target <= 150 on hext: %s). The Base functions whose answer never changes "
        "are answered in `trap.S` from the answers the full path gave first (`sbi_base_fixed`); other "
        "SBI calls take the full path (about 430 on hext)." % (fnull, tfnull, met(fnull <= 150)),
        "- One emulated UART register read: %.1f instructions on hext (target <= 300: %s), %.1f on the "
        "trap engine (no target). On hext a guest-page fault on the UART has an entry of its own in "
        "`trap.S` that saves only the registers a C call may change, decodes a plain load or store "
        "(`arch/riscv/hext_dev.c`), emulates the register and goes back without the scheduler when "
        "nothing is due; it was 607 before (trap-speed.md, \"hext: SBI and device exits\", has each "
        "step). On the trap engine the exit goes through the engine's page-fault path (the instruction "
        "read from the shadow tree) and the scheduler." % (mmio, met(mmio <= 300), tmmio),
        "- Console: %.0f bytes per exit with DBCN batches (target >= 4096: %s) against %.2f "
        "exits per byte for the fv 16550." % (con, met(con >= 4096), conf),
        "- Timer: %.4f exits per guest tick with Sstc on hext (target 0: %s); %.4f on the trap engine, "
        "where the tick is the hypervisor's to deliver: %.0f set_timer calls (the next deadline, and the "
        "guest's handler turning the timer off), %.0f timer interrupt of the hypervisor's, and %.0f "
        "emulated privileged instructions of the guest's own trap entry and exit "
        "(its CSR accesses and sret), which a paravirtual trap entry would be what removes." %
        (timer, met(timer == 0), ttimer, value(rows, "trap", "pv", "timer", "exits_per_op:vs-ecall") or 0,
         value(rows, "trap", "pv", "timer", "exits_per_op:irq-s-timer") or 0,
         value(rows, "trap", "pv", "timer", "exits_per_op:priv-insn-emulated") or 0),
        "- Page-table churn (%d pages mapped in two address spaces, touched, unmapped, per round) on the "
        "trap engine: pv %.2f exits per 1,000 updates against fv %.1f, %.0fx fewer (target >= 64x: %s); "
        "%.0f against %.0f instructions per 1,000 updates, %.2fx (target >= 5x fewer: %s). pv sends "
        "its updates, pins and unpins in one multicall that ends in the root switch, four traps per "
        "round; fv pays a shadow fill per page touched in each space and a trapped store per entry "
        "it changes in a table the shadow already walked. Of those instructions the hypervisor's are "
        "%.0f (pv: validating whole trees at pin, clearing new table frames) and %.0f (fv); the rest is "
        "the guest's own work, the same in both flavours in large part (clearing each new page, walking "
        "its tables), which is why the instruction ratio stays far from the exit ratio. On hext, where "
        "both flavours write natively (0 exits), pv-hc shows the same validated path: %.1f exits and %.0f "
        "instructions per 1,000 updates." %
        (64, tpe * 1000, tfe * 1000, tfe / tpe if tpe else 0, met(tpe * 64 <= tfe), tpi * 1000, tfi * 1000,
         tfi / tpi if tpi else 0, met(tpi * 5 <= tfi), tph * 1000, tfh * 1000, hc * 1000, hci * 1000),
        "- Linux boot to init: %.3fx the native instruction count under hext (target <= 1.01: %s) and "
        "%.3fx under the trap engine (target <= 1.3: %s), counted from Linux's first instruction to "
        "init's (the Linux workload below: 128 MiB, no disk, `-seed`); the hypervisor's own boot, which "
        "checks its bundle's sha256 hashes (some 200 million instructions for this 2.4 MB kernel and "
        "initramfs under QEMU), is left out. The native machine has QEMU's whole virt device tree to "
        "probe (PCIe, eight virtio slots, RTC, flash), the guest only its UART and PLIC, which is why a "
        "hext guest can come out slightly ahead despite its trapped UART and SBI console." %
        (ratio, met(ratio <= 1.01), tratio, met(tratio <= 1.3)),
        "- Block I/O (4 KiB blocks written in batches of 16, flushed, read back, on a RAM disk): %.1f "
        "exits per MiB for the pv batch hypercall against %.1f for virtio-blk on hext, %.1f against "
        "%.1f on the trap engine. The fv driver batches too (one QueueNotify per 16 requests) but also "
        "reads InterruptStatus and writes InterruptACK, each a trapped register access; the pv call "
        "needs no acknowledgement because the statuses are written before it returns." %
        (bpv, bfv, tbpv, tbfv),
        ""] + linux_docs(rows) + linux_pv_docs(rows) + harts_docs(rows, value) + capacity_docs(out) + [
        "Raw rows: `build/bench/results.csv` (engine, flavour, workload, metric, value).", "",
        "![pv against fv](bench.svg)", ""]
    with open(os.path.join(ROOT, "docs", "bench.md"), "w") as f:
        f.write("\n".join(lines))
    chart(rows, out)


def chart(rows, out):
    data = os.path.join(out, "chart.dat")
    with open(data, "w") as f:
        for engine in ENGINES:
            for workload, _ in WORKLOADS:
                pi = value(rows, engine, "pv", workload, "instructions_per_op")
                fi = value(rows, engine, "fv", workload, "instructions_per_op")
                f.write("%s:%s %s %f\n" % (engine, workload, "NaN" if pi is None else "%f" % pi, fi))
    svg = os.path.join(out, "bench.svg")
    script = """set terminal svg size 1200,460 dynamic font 'sans,11'
set output '%s'
set title 'guest-visible instructions per operation, pv against fv (log scale)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'instructions per operation'
set xtics rotate by -20
plot '%s' using 2:xtic(1) title 'pv', '' using 3 title 'fv'
""" % (svg, data)
    if shutil.which("gnuplot"):
        subprocess.run(["gnuplot"], input=script.encode(), check=True)
        shutil.copy(svg, os.path.join(ROOT, "docs", "bench.svg"))
    else:
        print("bench: gnuplot missing, no chart (scripts/setup.sh bench installs it)")


if __name__ == "__main__":
    main()
