#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make census-share: how much of a Linux guest's run is the guest's own instructions, on each engine
(the ">95 % on the hardware" measure of docs/virtualizability.md).

  census-share.py [--build DIR]

Boots the Linux guest of configs/linux.dts without its disk, as configs/boards.dts has it (Linux 6.1
to its init, whose workload checks the console, procfs, memory, fork and wait, then powers off),
under QEMU -icount on the hext and trap engines, and the same kernel and initrd natively. Two
instruction counts bound the guest's run:
  T  where OpenSBI stores to the sifive_test finisher that powers the machine off: gdb stops the run
     there and QEMU's QMP query-replay reads the count (stopping anywhere earlier makes Linux hang
     when it continues, on QEMU 7.2);
  B  where the guest's first instruction runs: a stand-in run boots the census kernel the same way
     (natively: with Linux's initrd and bootargs; under the hypervisor: in Linux's place in a bundle
     with the same images, which the hypervisor hashes at boot, and Linux's Image as its initrd, so
     that nearly as many bytes are copied before it starts), and the census prints the time it reads
     first (x 100: one tick is 100 instructions under -icount shift=0 at QEMU's 10 MHz timebase).
W = T - B is the guest's run: its own instructions plus everything done for it. H, the exit table's
hyp-instructions row, is what the hypervisor spent on its exits from its trap entry to its register
restore (the ~90 instructions of trap.S around that, and OpenSBI's forwarding of the traps it gets
first, are outside H). The share printed is (W - H) / W, with E exits.
Prints a markdown table; the counts repeat run after run."""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIRMWARE_ELF = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.elf"
ENTRY = 0x80200000
TIMEOUT = 600


def finisher_store():
    """The address of OpenSBI's store of FINISHER_PASS (0x5555) to the sifive_test device."""
    dis = subprocess.run(["riscv64-unknown-elf-objdump", "-d", FIRMWARE_ELF], stdout=subprocess.PIPE,
                         check=True).stdout.decode().split("\n")
    for i, line in enumerate(dis):
        m = re.search(r"\tadd(?:i)?w?\s+(\w+),\1,1365\b", line)
        if not m:
            continue
        for nxt in dis[i + 1:i + 5]:
            s = re.match(r"\s*([0-9a-f]+):\s+\S+\s+sh\s+%s,0\(" % m.group(1), nxt)
            if s:
                return int(s.group(1), 16)
    sys.exit("census-share: no FINISHER_PASS store found in %s" % FIRMWARE_ELF)


def qmp_icount(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rw")
    f.readline()
    for cmd in ("qmp_capabilities", "query-replay"):
        f.write(json.dumps({"execute": cmd}) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "event" not in r:
                break
    s.close()
    return r["return"]["icount"]


def qemu_env(name, build, tmp, kernel_bundle):
    """The environment run-qemu.sh boots run `name` with."""
    env = dict(os.environ, ICOUNT="1", TIMEOUT=str(TIMEOUT))
    for k in ("QEMU_EXTRA", "DISK"):
        env.pop(k, None)
    if name == "native":
        # QEMU's own device tree carries a random rng-seed, which moves Linux's layout: fix it.
        env["QEMU_EXTRA"] = "-seed 1"
        env.update(CPU="rv64", BUNDLE=os.path.join(build, "linux", "initrd.cpio"),
                   APPEND="console=ttyS0 earlycon=sbi", MEM="128M")  # the guest's RAM: set-up scales with it
    else:
        env.update(CPU="rv64" if name == "hext" else "rv64,h=false", BUNDLE=kernel_bundle)
        env.pop("APPEND", None)
    return env


def linux_source():
    """configs/linux.dts without its disk: the Linux guest as configs/boards.dts has it (initramfs,
    UART, PLIC). The hypervisor serves a host disk by polling it, which follows host timing, so with
    a disk the counts would not repeat."""
    with open(os.path.join(ROOT, "configs", "linux.dts")) as f:
        src = f.read()
    nodisk = src.replace(', "virtio-blk"', "").replace('            disk = "host";\n', "")
    if nodisk == src or "disk" in nodisk.split("guests {")[1].replace("no disk", ""):
        sys.exit("census-share: configs/linux.dts no longer has the shape this script rewrites")
    return nodisk


def bundle(build, tmp, name, src):
    dts = os.path.join(tmp, name + ".dts")
    with open(dts, "w") as f:
        f.write(src)
    out = os.path.join(tmp, name + ".img")
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "mkbundle.py"), "--include", build,
                    "-o", out, dts], check=True)
    return out


def standin_bundle(build, tmp):
    """configs/linux.dts with the census kernel in Linux's place: the same images, hashed alike at
    boot (the census image has no hash node, so it adds nothing to hash), and Linux's Image as the
    census's initrd, so nearly as many bytes are copied into its RAM (0.4 MB fewer: the cpio)."""
    src = linux_source()
    census = os.path.join(build, "census", "census.bin")
    src = src.replace("    images {\n", '    images {\n        census {\n            data = /incbin/("%s");\n'
                      "        };\n" % census, 1)
    src = src.replace('kernel = "linux";', 'kernel = "census";', 1)
    src = src.replace('initrd = "linux-initrd";', 'initrd = "linux";', 1)
    src = src.replace('bootargs = "console=ttyS0 earlycon=sbi";',
                      'bootargs = "census.fatal=9";\n            load-offset = <0x200000>;', 1)
    if 'kernel = "census";' not in src or 'initrd = "linux";' not in src or "census.fatal" not in src:
        sys.exit("census-share: configs/linux.dts no longer has the shape this script rewrites")
    return bundle(build, tmp, "standin", src)


def guest_entry(name, build, tmp, bundle):
    """B: the census stand-in's first reading of time, in instructions."""
    env = qemu_env(name, build, tmp, bundle)
    if name == "native":
        image = os.path.join(build, "census", "census.elf")
    else:
        image = os.path.join(build, "hyp.bin")
    p = subprocess.run([os.path.join(ROOT, "scripts", "run-qemu.sh"), image], env=env,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=TIMEOUT + 60)
    out = p.stdout.decode(errors="replace")
    m = re.search(r"census: start, entry time (\d+)", out)
    if not m:
        sys.exit("census-share: %s: the census stand-in did not start:\n%s" % (name, out[-2000:]))
    return int(m.group(1)) * 100


def linux_run(name, build, tmp, stop_addr, linux_bundle):
    """T, exits and hyp-instructions of one Linux run."""
    port = 20000 + (os.getpid() * 7 + len(name)) % 20000
    sock = os.path.join(tmp, name + ".qmp")
    env = qemu_env(name, build, tmp, linux_bundle)
    env["QEMU_EXTRA"] = (env.get("QEMU_EXTRA", "") +
                         " -gdb tcp:127.0.0.1:%d -S -qmp unix:%s,server=on,wait=off" % (port, sock)).strip()
    image = os.path.join(build, "linux", "Image") if name == "native" else os.path.join(build, "hyp.bin")
    q = subprocess.Popen([os.path.join(ROOT, "scripts", "run-qemu.sh"), image], env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    chunks = []
    reader = threading.Thread(target=lambda: chunks.append(q.stdout.read()))
    reader.start()
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    marks = os.path.join(tmp, name + ".marks")
    helper = "%s %s --icount %s > %s" % (sys.executable, os.path.abspath(__file__), sock, marks)
    script = ["set pagination off", "target remote 127.0.0.1:%d" % port, "hbreak *0x%x" % stop_addr,
              "continue", "shell " + helper, "kill"]
    gdb_cmds = os.path.join(tmp, name + ".gdb")
    with open(gdb_cmds, "w") as f:
        f.write("\n".join(script) + "\n")
    subprocess.run(["gdb-multiarch", "-q", "-batch", "-x", gdb_cmds], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT + 60)
    q.wait(timeout=60)
    reader.join()
    out = b"".join(chunks).decode(errors="replace").replace("\r", "")
    with open(os.path.join(build, "census", "share-%s.log" % name), "w") as f:
        f.write(out)
    if "init: done" not in out or not os.path.exists(marks):
        sys.exit("census-share: %s: Linux did not finish its init (build/census/share-%s.log)" % (name, name))
    with open(marks) as f:
        t = int(f.read().split()[0])
    causes = {}
    for line in out.split("\n"):
        m = re.match(r"hyp:   (\S+)\s+(\d+)$", line)
        if m:
            causes[m.group(1)] = int(m.group(2))
    return t, causes


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--icount":
        print(qmp_icount(sys.argv[2]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.makedirs(os.path.join(build, "census"), exist_ok=True)
    stop = finisher_store()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        standin = standin_bundle(build, tmp)
        linux = bundle(build, tmp, "linux", linux_source())
        for name in ("native", "hext", "trap"):
            b = guest_entry(name, build, tmp, standin)
            t, causes = linux_run(name, build, tmp, stop, linux)
            e, h = causes.get("total", 0), causes.get("hyp-instructions", 0)
            rows[name] = (b, t, e, h)
            print("census-share: %s: guest entry at %d, power-off at %d, %d exits, %d hypervisor instructions"
                  % (name, b, t, e, h))
            if e:
                top = sorted(((n, c) for n, c in causes.items() if n not in ("total", "hyp-instructions",
                              "longest-exit", "ram-clearing-faults", "slice-ends",
                              "stop-instructions", "hyp-busy-instructions") and c), key=lambda x: -x[1])
                print("census-share: %s: exits by cause: %s" % (name, ", ".join("%s %d" % x for x in top)))
    native_w = rows["native"][1] - rows["native"][0]
    print("\n| run | B: guest entry | T: power-off | W = T - B | E: exits | H: hyp-instructions "
          "| (W - H) / W | native W / W | 1 - E / (W - H) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (b, t, e, h) in rows.items():
        w = t - b
        pct = (lambda x: "%.2f %%" % (100.0 * x)) if name != "native" else (lambda x: "-")
        print("| %s | %d | %d | %d | %d | %d | %s | %s | %s |" % (name, b, t, w, e, h, pct((w - h) / w),
              pct(native_w / w), pct(1 - e / (w - h))))


if __name__ == "__main__":
    main()
