#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make bench, capacity part: what the hypervisor's own work costs as guests grow, under QEMU -icount
shift=0 (1 instruction = 1 ns, so a timebase tick of QEMU virt's 10 MHz is 100 instructions):
- boot: from the hypervisor's entry to the first guest instruction ("hyp: boot: entered at time A,
  guests start at time B"), one demo guest of 64 MiB, 1 GiB and 2 GiB, per GiB from the difference;
- stop: the exit table's stop-instructions row (what giving back the guest's frames took);
- per exit: the hypervisor's instructions per exit of the first demo guest (idle time not counted) with
  1, 8 and 32 guests.
Writes build/bench/capacity.csv and build/bench/capacity.md (bench.py puts it in docs/bench.md)."""
import csv
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
OUT = os.path.join(BUILD, "bench")
ENGINES = {"hext": "rv64", "trap": "rv64,h=false"}
INSTR_PER_TICK = 100  # -icount shift=0 on QEMU virt (timebase 10 MHz)


def bundle(name, guests):
    """A bundle of demo guests: guests is a list of (name, MiB, fv)."""
    lines = []
    for g, mib, fv in guests:
        extra = ' devices = "uart", "plic";' if fv else ""
        lines.append('        %s { kernel = "%s"; memory-mib = <%d>;%s };' % (g, "demo-fv" if fv else "demo", mib, extra))
    src = ('/dts-v1/;\n/ {\n    description = "%s";\n    images {\n'
           '        demo { data = /incbin/("guest-pv/demo.bin"); };\n'
           '        demo-fv { data = /incbin/("guest-pv/demo_fv.bin"); };\n    };\n'
           '    guests {\n%s\n    };\n};\n' % (name, "\n".join(lines)))
    d = os.path.join(OUT, "capacity", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "guests.dts"), "w") as f:
        f.write(src)
    img = os.path.join(d, "guests.img")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "mkbundle.py"), "--include", BUILD,
                    "-o", img, os.path.join(d, "guests.dts")], check=True, stdout=subprocess.DEVNULL)
    return img


def run(img, engine, mem, machine=None):
    env = dict(os.environ, ICOUNT="1", CPU=ENGINES[engine], MEM=mem, BUNDLE=img, TIMEOUT="600")
    if machine:
        env["MACHINE"] = machine
        del env["CPU"]
    p = subprocess.run([os.path.join(ROOT, "scripts", "run-qemu.sh"), os.path.join(BUILD, "hyp.bin")],
                       env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=700)
    out = p.stdout.decode(errors="replace").replace("\r", "")
    if p.returncode != 0:
        sys.exit("bench-capacity: %s on %s failed:\n%s" % (img, engine, out[-2000:]))
    return out


def table(out):
    """The exit table: {row: [values per guest]} and the guests' names."""
    rows, names = {}, []
    for line in out.splitlines():
        m = re.match(r"hyp:   (\S+)\s+(.*)$", line)
        if m and m.group(1) == "cause":
            names = m.group(2).split()
        elif m and names:
            rows[m.group(1)] = [int(v) for v in m.group(2).split()]
    return rows, names


def main():
    os.makedirs(OUT, exist_ok=True)
    rows = []
    sizes = [(64, "demo"), (1024, "demo"), (2048, "demo")]  # one demo guest, pv
    boot = {}
    for engine in ENGINES:
        for mib, _ in sizes:
            out = run(bundle("one-%d" % mib, [("g", mib, False)]), engine, "4G")
            m = re.search(r"boot: entered at time (\d+), guests start at time (\d+)", out)
            t, names = table(out)
            boot[(engine, mib)] = (int(m.group(2)) - int(m.group(1))) * INSTR_PER_TICK
            rows.append((engine, "boot_instructions_%dmib" % mib, boot[(engine, mib)]))
            rows.append((engine, "stop_instructions_%dmib" % mib, t["stop-instructions"][0]))
            print("bench-capacity: %s %d MiB: boot %d, stop %d instructions" %
                  (engine, mib, boot[(engine, mib)], t["stop-instructions"][0]), flush=True)
        per_gib = (boot[(engine, 2048)] - boot[(engine, 64)]) / ((2048 - 64) / 1024)
        rows.append((engine, "boot_instructions_per_gib", "%.0f" % per_gib))
        for n in (1, 8, 32):
            out = run(bundle("many-%d" % n, [("g%02d" % i, 8, i % 2 == 1) for i in range(n)]), engine, "1G")
            t, names = table(out)
            busy = t["hyp-busy-instructions"]
            per = [h / e for h, e in zip(busy, t["total"]) if e]
            i = names.index("g00")
            rows.append((engine, "hyp_instructions_per_exit_%d_guests" % n, "%.1f" % (busy[i] / t["total"][i])))
            print("bench-capacity: %s %d guests: %.1f hypervisor instructions per exit of g00 "
                  "(mean over guests %.1f)" % (engine, n, busy[i] / t["total"][i], sum(per) / len(per)),
                  flush=True)
    # Linux's boot on the HiFive Unleashed (U54 harts: no time CSR, the firmware emulates rdtime)
    # against the trap engine on virt: the hypervisor's instructions per exit.
    linux = os.path.join(BUILD, "cfg", "linux", "guests.img")
    for where, machine in (("virt", None), ("sifive_u", "sifive_u")):
        t, names = table(run(linux, "trap", "512M", machine))
        i = names.index("linux")
        per = t["hyp-busy-instructions"][i] / t["total"][i]
        rows.append(("trap", "linux_hyp_instructions_per_exit_" + where, "%.1f" % per))
        print("bench-capacity: Linux boot on %s (trap engine): %.1f hypervisor instructions per exit"
              % (where, per), flush=True)
    with open(os.path.join(OUT, "capacity.csv"), "w", newline="") as f:
        csv.writer(f).writerows([("engine", "metric", "value")] + rows)
    v = {(e, k): x for e, k, x in rows}
    md = ["## Capacity: the hypervisor's own work as guests grow", "",
          "`scripts/bench_capacity.py` (part of `make bench`): demo guests under `-icount shift=0`. Boot is "
          "from the hypervisor's entry to the first guest instruction (the boot line's two times, 100 "
          "instructions a tick); stop is the exit table's `stop-instructions` (giving back everything "
          "the guest held); per exit is the `hyp-busy-instructions` (the hypervisor's instructions on its exits, idle time not counted) of guest `g00` over its exits, with 1, "
          "8 and 32 guests (8 MiB each, pv and fv in turn) on one hart. Guest RAM is cleared at first "
          "use, not at boot (docs/security.md, \"No stale data\").", "",
          "| engine | boot, 64 MiB | boot, 1 GiB | boot, 2 GiB | per GiB | stop, 2 GiB | per exit, 1 guest | "
          "8 guests | 32 guests |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for e in ENGINES:
        md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            e, v[(e, "boot_instructions_64mib")], v[(e, "boot_instructions_1024mib")],
            v[(e, "boot_instructions_2048mib")], v[(e, "boot_instructions_per_gib")],
            v[(e, "stop_instructions_2048mib")], v[(e, "hyp_instructions_per_exit_1_guests")],
            v[(e, "hyp_instructions_per_exit_8_guests")], v[(e, "hyp_instructions_per_exit_32_guests")]))
    lu, lv = float(v[("trap", "linux_hyp_instructions_per_exit_sifive_u")]), \
        float(v[("trap", "linux_hyp_instructions_per_exit_virt")])
    md += ["", "Linux's boot to init on QEMU's HiFive Unleashed (U54 harts without a `time` CSR: the "
           "firmware emulates each read) costs the hypervisor %.1f instructions per exit against %.1f on "
           "the trap engine on virt (%.2fx; target <= 1.15x): an exit reads the time only when the "
           "timer armed for the scheduler's deadline has fired." % (lu, lv, lu / lv)]
    md += ["", "Targets (capacity issue), from the figures above:", ""]

    def verdict(ok):
        return "met" if ok else "missed"
    for e in ENGINES:
        boot2, stop2 = int(v[(e, "boot_instructions_2048mib")]), int(v[(e, "stop_instructions_2048mib")])
        one, many = float(v[(e, "hyp_instructions_per_exit_1_guests")]), \
            float(v[(e, "hyp_instructions_per_exit_32_guests")])
        md.append("- %s: boot before a 2 GiB guest's first instruction %d (<= 3,000,000: %s); its stop %d "
                  "(<= 1,000,000: %s); per exit with 32 guests %+.1f %% of 1 guest (within 10 %%: %s)." % (
                      e, boot2, verdict(boot2 <= 3000000), stop2, verdict(stop2 <= 1000000),
                      (many / one - 1) * 100, verdict(abs(many / one - 1) <= 0.10)))
    md.append("- Linux on sifive_u against virt: %.2fx (<= 1.15x: %s)." % (lu / lv, verdict(lu / lv <= 1.15)))
    md += ["", "The VM slots (5 MiB for 64 guests) are not cleared at boot: a slot is cleared when a guest "
           "is built in it, so the boot pays for the guests it builds, not for the limit.", ""]
    with open(os.path.join(OUT, "capacity.md"), "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
