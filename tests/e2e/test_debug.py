# SPDX-License-Identifier: MIT
"""make debug's script: QEMU paused at reset under its gdbstub, gdb-multiarch in batch mode with the
hypervisor's symbols relocated to where it runs and the guest-pv guest's symbols."""
import os
import re
import socket
import subprocess
import time

from conftest import HYP, ROOT, bundle_of


def free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def debug(tmp_path, port, *gdb_commands):
    env = dict(os.environ, BUNDLE=bundle_of("default"), CONFIG="default", GDB_PORT=str(port),
               DEBUG_DIR=str(tmp_path), TIMEOUT="60")
    args = ["-batch"]
    for c in gdb_commands:
        args += ["-ex", c]
    p = subprocess.run([os.path.join(ROOT, "scripts", "debug.sh"), HYP] + args, env=env,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    return p.returncode, p.stdout.decode(errors="replace")


def test_gdb_breaks_at_the_exit_dispatcher(tmp_path):
    port = free_port()
    rc, out = debug(tmp_path, port, "break vcpu_handle_exit", "continue", "continue", "bt",
                    "p v->vm->cfg->name", "p/x v->arch.regs.sepc", "info symbol guest_main")
    assert rc == 0, out
    # The symbols are where the image runs (OpenSBI's 0x80200000), from hyp/exit.c.
    assert re.search(r"Breakpoint 1 at 0x802[0-9a-f]{5}: file hyp/exit\.c", out), out
    assert out.count("Breakpoint 1, vcpu_handle_exit (v=") == 2, out
    assert re.search(r"^#0  vcpu_handle_exit \(v=0x[0-9a-f]+ <vms\+\d+>\) at hyp/exit\.c:\d+", out,
                     re.M), out
    assert re.search(r"^#1  .* in (hext_trap|tv_trap) \(", out, re.M), out
    assert re.search(r'= 0x[0-9a-f]+ "(pv|fv)"', out), out  # the guest that exited
    assert re.search(r"= 0x800[0-9a-f]{5}\n", out), out  # its pc, in its RAM
    # The guest-pv guest's symbols, at its own addresses.
    assert "guest_main in section .text" in out, out
    # The guests ran (their console went to a file), and QEMU ended with gdb.
    with open(os.path.join(str(tmp_path), "console.log"), errors="replace") as f:
        assert "RISC-V paravirtualizing microhypervisor" in f.read()
    for _ in range(50):
        left = subprocess.run(["pgrep", "-f", "gdb tcp:localhost:%d" % port],
                              stdout=subprocess.PIPE)
        if left.returncode != 0:
            break
        time.sleep(0.1)
    assert left.returncode != 0, left.stdout
