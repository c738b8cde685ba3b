#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make census: boots the census kernel (guest-pv/census/) natively, on the hext engine and on the trap
engine, and compares what each run printed, probe by probe.

  census.py [--build DIR] [--logs DIR] [--no-run] [-v]

Every probe line is "probe NAME: VALUE". A probe is identical when all three runs print the same
value; a documented difference when each engine that differs from the native run is listed for it in
the table of docs/virtualizability.md (between the census-differences markers); otherwise an
undocumented difference. A documented difference that no longer shows, or one naming a probe no run
printed, is stale documentation. The last line is
  census: N probes, I identical, D documented differences, U undocumented
and the exit status is non-zero when U > 0 or any entry is stale. The runs use QEMU -icount, so they
repeat exactly; their logs are kept in DIR/census/ (--no-run compares those again)."""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "virtualizability.md")
RUNNER = os.path.join(ROOT, "scripts", "run-qemu.sh")
ENGINES = ["hext", "trap"]
RUNS = {
    # The native baseline is a hart without H: what the guests are told they run on.
    "native": {"CPU": "rv64,h=false"},
    "hext": {"CPU": "rv64"},
    "trap": {"CPU": "rv64,h=false"},
}
TIMEOUT = 120
ABSENT = "<absent>"


def run(name, build):
    """Boots one run and returns its console output (the log is kept)."""
    env = dict(os.environ, ICOUNT="1", TIMEOUT=str(TIMEOUT), **RUNS[name])
    env.pop("APPEND", None)
    if name == "native":
        env.pop("BUNDLE", None)
        image = os.path.join(build, "census", "census.elf")
    else:
        env["BUNDLE"] = os.path.join(build, "cfg", "census", "guests.img")
        image = os.path.join(build, "hyp.bin")
    p = subprocess.run([RUNNER, image], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=TIMEOUT + 60)
    out = p.stdout.decode(errors="replace").replace("\r", "")
    with open(log_path(build, name), "w") as f:
        f.write(out)
    # Under the hypervisor a guest stopped by a fatal probe makes the run end as failed: not an error.
    print("census: %s run: QEMU exit %d (%s)" % (name, p.returncode, log_path(build, name)))
    return out


def log_path(build, name):
    return os.path.join(build, "census", name + ".log")


def parse(out, native):
    """{probe: value} from one run. Under the hypervisor every census guest's lines are merged; a
    guest stopped right after announcing a fatal probe gets the hypervisor's reason as that probe's
    value."""
    values, announced, stopped = {}, {}, {}
    for line in out.split("\n"):
        guest = None
        if not native:
            m = re.match(r"\[(census[^\]]*)\] (.*)$", line)
            if m:
                guest, line = m.group(1), m.group(2)
            else:
                m = re.match(r"hyp: guest '(census[^']*)' stopped: (.*)$", line)
                if m:
                    stopped[m.group(1)] = re.sub(r" \(pc 0x[0-9a-f]+\)$", "", m.group(2))
                continue
        m = re.match(r"probe (\S+): (.*)$", line)
        if m:
            values[m.group(1)] = m.group(2).strip()
            continue
        m = re.match(r"census: fatal probe (\S+) next$", line)
        if m:
            announced[guest] = m.group(1)
    for guest, probe in announced.items():
        if probe not in values and guest in stopped:
            values[probe] = "guest stopped by the hypervisor: " + stopped[guest]
    return values


def documented():
    """{(probe, engine): (kind, why)} from the table in docs/virtualizability.md."""
    doc, inside = {}, False
    with open(DOC) as f:
        for line in f:
            if "<!-- census-differences -->" in line:
                inside = True
                continue
            if "<!-- end census-differences -->" in line:
                break
            if not inside or not line.startswith("|"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 4 or cells[0] in ("probe", "") or set(cells[0]) <= set("-: "):
                continue
            probe = cells[0].strip("`")
            for engine in re.split(r"[,\s]+", cells[1]):
                if engine not in ENGINES:
                    sys.exit("census: %s: engine '%s' of %s is not one of %s" % (DOC, engine, probe, ENGINES))
                doc[(probe, engine)] = (cells[2], cells[3])
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--no-run", action="store_true", help="compare the logs of the last runs again")
    ap.add_argument("-v", action="store_true", help="list documented differences too")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.makedirs(os.path.join(build, "census"), exist_ok=True)

    outs = {}
    for name in RUNS:
        if a.no_run:
            with open(log_path(build, name), errors="replace") as f:
                outs[name] = f.read()
        else:
            outs[name] = run(name, build)
    values = {name: parse(out, name == "native") for name, out in outs.items()}
    if "census: done" not in outs["native"]:
        print("census: the native run did not finish: its missing probes count as differences")

    doc = documented()
    probes = []
    for name in RUNS:
        probes += [p for p in values[name] if p not in probes]
    identical = documented_n = undocumented = stale = 0
    for p in probes:
        native = values["native"].get(p, ABSENT)
        differs = [e for e in ENGINES if values[e].get(p, ABSENT) != native]
        if not differs:
            identical += 1
            continue
        missing = [e for e in differs if (p, e) not in doc]
        if missing:
            undocumented += 1
            print("census: UNDOCUMENTED %s: native '%s', %s" % (p, native, ", ".join(
                "%s '%s'" % (e, values[e].get(p, ABSENT)) for e in ENGINES)))
        else:
            documented_n += 1
            if a.v:
                print("census: documented %s (%s): native '%s', %s" % (p, ", ".join(
                    "%s: %s" % (e, doc[(p, e)][0]) for e in differs), native, ", ".join(
                    "%s '%s'" % (e, values[e].get(p, ABSENT)) for e in differs)))
    # The table may only list differences a probe produces now.
    for (p, e), (kind, _) in sorted(doc.items()):
        if p not in probes:
            stale += 1
            print("census: STALE documentation: %s (%s) names a probe no run printed" % (p, e))
        elif values[e].get(p, ABSENT) == values["native"].get(p, ABSENT):
            stale += 1
            print("census: STALE documentation: %s on %s is listed as a difference (%s) but is identical: "
                  "'%s'" % (p, e, kind, values[e].get(p, ABSENT)))
    if stale:
        print("census: %d stale documentation entries in %s" % (stale, os.path.relpath(DOC, ROOT)))
    print("census: %d probes, %d identical, %d documented differences, %d undocumented" %
          (len(probes), identical, documented_n, undocumented))
    sys.exit(1 if undocumented or stale else 0)


if __name__ == "__main__":
    main()
