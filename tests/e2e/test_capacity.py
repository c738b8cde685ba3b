# SPDX-License-Identifier: MIT
"""Capacity: as many guests as a bundle holds run on one hart and finish, on both engines; a guest that
cannot start takes no one's place."""
import os
import re
import subprocess

import pytest

from conftest import BUILD, ROOT, boot


def bundle_of_many(tmp_path, n, extra=""):
    """n demo guests (pv and fv flavours in turn), 8 MiB each, plus `extra` guest source."""
    guests = []
    for i in range(n):
        fv = i % 2 == 1
        guests.append('        g%02d { kernel = "%s"; memory-mib = <8>;%s };'
                      % (i, "demo-fv" if fv else "demo", ' devices = "uart", "plic";' if fv else ""))
    src = ("/dts-v1/;\n/ {\n    description = \"%d guests\";\n    #address-cells = <1>;\n"
           "    images {\n"
           "        demo { data = /incbin/(\"guest-pv/demo.bin\"); hash { algo = \"sha256\"; }; };\n"
           "        demo-fv { data = /incbin/(\"guest-pv/demo_fv.bin\"); hash { algo = \"sha256\"; }; };\n"
           "    };\n    guests {\n%s\n%s\n    };\n};\n" % (n, extra, "\n".join(guests)))
    dts = tmp_path / "many.dts"
    dts.write_text(src)
    out = str(tmp_path / "guests.img")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "mkbundle.py"), "--include",
                    BUILD, "-o", out, str(dts)], check=True)
    return out


def test_64_guests_run_and_finish(tmp_path, disk_engine):
    path = bundle_of_many(tmp_path, 64)
    run = boot(None, timeout=600, BUNDLE=path, MEM="1G", **disk_engine)
    assert run.returncode == 0, run.output[-3000:]
    assert "PANIC" not in run.output
    for i in range(64):
        assert "demo done" in run.guest_lines("g%02d" % i), "g%02d:\n%s" % (i, run.output[-3000:])
    assert "hyp: all guests have stopped" in run.output


def test_a_guest_that_cannot_start_takes_no_slot(tmp_path):
    # The first of the bundle's 64 asks for more RAM than the machine has: the 63 after it all run.
    path = bundle_of_many(tmp_path, 63, '        huge { kernel = "demo"; memory-mib = <4096>; };')
    run = boot(None, timeout=600, BUNDLE=path, MEM="1G")
    assert "guest 'huge' not started: no room for 4096 MiB of RAM" in run.output, run.output[-3000:]
    assert run.returncode == 0, run.output[-3000:]
    assert all("demo done" in run.guest_lines("g%02d" % i) for i in range(63))


def test_linux_on_sifive_u_without_a_virtio_bus():
    """QEMU's HiFive Unleashed has no virtio bus: the linux configuration runs there without its
    host disk (make run attaches none), and says so."""
    run = boot("linux", timeout=300, MACHINE="sifive_u")
    assert run.returncode == 0, run.output[-3000:]
    lines = run.guest_lines("linux")
    assert "init: hello from Linux" in lines and "init: no disk" in lines and "init: done" in lines


def test_disk_on_sifive_u_is_refused_before_booting():
    p = subprocess.run(["make", "-s", "run", "MACHINE=sifive_u", "CONFIG=linux",
                        "DISK=build/disk/ext2.img"], cwd=ROOT, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    assert p.returncode != 0
    assert b"QEMU's sifive_u has no virtio bus for a disk" in p.stdout, p.stdout


def big_guest(tmp_path, flavour):
    image, devices = ("demo", "") if flavour == "pv" else ("demo_fv", ' devices = "uart", "plic";')
    dts = tmp_path / "big.dts"
    dts.write_text('/dts-v1/;\n/ {\n    description = "3 GiB";\n'
                   '    images { k { data = /incbin/("guest-pv/%s.bin"); }; };\n'
                   '    guests { big { kernel = "k"; memory-mib = <3072>;%s }; };\n};\n'
                   % (image, devices))
    out = str(tmp_path / "guests.img")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "mkbundle.py"), "--include",
                    BUILD, "-o", out, str(dts)], check=True)
    return out


@pytest.mark.parametrize("flavour", ["pv", "fv"])
def test_3_gib_guest_on_a_4_gib_machine(tmp_path, disk_engine, flavour):
    # pv: validated paging on the trap engine (all of RAM cleared before its first page-table call
    # completes), the G-stage on hext; fv: shadow paging on the trap engine.
    run = boot(None, timeout=300, BUNDLE=big_guest(tmp_path, flavour), MEM="4G", **disk_engine)
    assert "hyp: guest 'big': 3072 MiB RAM" in run.output, run.output[-3000:]
    assert "demo done" in run.guest_lines("big"), run.output[-3000:]
    assert run.returncode == 0


def test_guest_ram_is_all_ram_but_firmware_and_hypervisor(tmp_path):
    """The bundle moves beside the hypervisor and the board's device tree is not kept, so on 1.5 GiB
    the guest may have all but the firmware's and the hypervisor's few MiB in one run: a request of
    the whole RAM is refused with the largest run named, and that run then boots."""
    path = big_guest(tmp_path, "pv")
    dts = tmp_path / "big.dts"

    def boot_with(mib):
        dts.write_text(re.sub(r"memory-mib = <\d+>", "memory-mib = <%d>" % mib, dts.read_text()))
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "mkbundle.py"), "--include",
                        BUILD, "-o", path, str(dts)], check=True)
        return boot(None, timeout=300, BUNDLE=path, MEM="1536M")

    run = boot_with(1536)
    m = re.search(r"guest 'big' not started: no room for 1536 MiB of RAM \(the largest free run, "
                  r"2 MiB aligned, is (\d+) MiB", run.output)
    assert m, run.output[-3000:]
    largest = int(m.group(1))
    assert largest >= 1536 - 8  # OpenSBI's 512 KiB and the hypervisor's image, bitmaps and bundle
    run = boot_with(largest)
    assert "hyp: bundle: moved from 0x" in run.output, run.output[-3000:]
    assert "hyp: guest 'big': %d MiB RAM" % largest in run.output, run.output[-3000:]
    assert "demo done" in run.guest_lines("big")
