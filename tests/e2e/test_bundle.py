# SPDX-License-Identifier: MIT
"""One hypervisor image for every configuration: guests come from a bundle loaded beside it, the image
runs wherever it is loaded, `make run KERNEL=` boots any kernel, and a broken bundle is reported
guest by guest without harming the others."""
import hashlib
import os
import subprocess

import pytest

from conftest import BUILD, HYP, ROOT, boot, bundle_of

DEMO = os.path.join(BUILD, "guest-pv", "demo.bin")
DEMO_FV = os.path.join(BUILD, "guest-pv", "demo_fv.bin")


def make(*args, timeout=600, **env):
    e = dict(os.environ, **env)
    p = subprocess.run(["make", "-s", "--no-print-directory"] + list(args), cwd=ROOT, env=e,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace").replace("\r", "")


def test_hyp_bin_holds_no_guest():
    with open(HYP, "rb") as f:
        hyp = f.read()
    for path in (DEMO, DEMO_FV):
        with open(path, "rb") as f:
            code = f.read()[256:1280]  # a stretch of guest code that no other file shares
        assert code not in hyp
    assert len(hyp) < 1 << 20


def demo_lines(run):
    return {g: run.guest_lines(g) for g in ("pv", "fv")}


@pytest.mark.parametrize("address", ["0x90200000", "0x80400000"])
def test_same_image_runs_at_another_address(address):
    """build/hyp.bin unchanged, loaded by QEMU at `address` through an ELF wrapper: the demo runs
    and prints what it prints at OpenSBI's default address."""
    rc, out = make("build/reloc/hyp-%s.elf" % address)
    assert rc == 0, out
    here = boot("default")
    there = boot("default", image="%s/reloc/hyp-%s.elf" % (BUILD, address))
    assert here.returncode == 0 and there.returncode == 0, there.output
    assert "booting on hart 0 at 0x80200000" in here.output
    assert "booting on hart 0 at %s" % address in there.output, there.output
    assert demo_lines(here) == demo_lines(there)
    assert "demo done" in demo_lines(there)["pv"] and "demo done" in demo_lines(there)["fv"]


def test_no_bundle_is_a_clear_error():
    run = boot(None, timeout=30)
    assert "no guests: no bundle was loaded" in run.output, run.output
    assert "no guest could be started" in run.output
    assert "PANIC" not in run.output


def test_run_kernel_boots_linux_with_its_bootargs():
    args = "console=ttyS0,115200 earlycon=sbi rvhyp.note=\"a b,c\""
    rc, out = make("run", "KERNEL=build/linux/Image", "INITRD=build/linux/initrd.cpio",
                   "BOOTARGS=" + args, "TIMEOUT=150")
    assert rc == 0, out
    assert "Kernel command line: " + args in out, out
    assert "[guest] init: " in out, out
    assert "hyp: guest 'guest' stopped: shutdown" in out


def test_run_kernel_follows_the_file_given():
    """Two runs with different KERNEL boot each its own file (the bundle is made for every run)."""
    rc, out = make("run", "KERNEL=" + DEMO, "GUEST_MEM=16M", "TIMEOUT=60")
    assert rc == 0, out
    assert "[guest] guest-pv demo (pv flavour)" in out, out
    rc, out = make("run", "KERNEL=" + DEMO_FV, "GUEST_MEM=16M", "TIMEOUT=60")
    assert rc == 0, out
    assert "[guest] guest-pv demo (fv flavour)" in out, out
    assert "[guest] demo done" in out


# ---- broken bundles: made here from a source the test writes, with the images placed by hand ----

def dts_bytes(data):
    return "[" + " ".join("%02x" % b for b in data) + "]"


def hand_bundle(tmp_path, images, guests, cut=0):
    """A bundle whose images sit after the tree at the data-offsets given. images: (name, data,
    offset, hash_of) where hash_of is the data its sha256 node vouches for; an offset past 1 GiB is
    written in the tree but nothing is stored there. Returns its path."""
    nodes = []
    for name, data, off, hash_of in images:
        nodes.append('        %s { data-offset = <%d>; data-size = <%d>;\n'
                     '            hash-1 { algo = "sha256"; value = %s; }; };'
                     % (name, off, len(data), dts_bytes(hashlib.sha256(hash_of).digest())))
    src = ("/dts-v1/;\n/ {\n    description = \"hand-made\";\n    images {\n%s\n    };\n"
           "    guests {\n%s\n    };\n};\n" % ("\n".join(nodes), guests))
    dts = tmp_path / "b.dts"
    dts.write_text(src)
    tree = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", str(dts)], check=True,
                          stdout=subprocess.PIPE).stdout
    tree += b"\0" * (-len(tree) % 4)
    stored = [(data, off) for _, data, off, _ in images if off < 1 << 30]
    store = bytearray(max(off + len(data) for data, off in stored))
    for data, off in stored:
        store[off:off + len(data)] = data
    blob = tree + bytes(store)
    path = tmp_path / "guests.img"
    path.write_bytes(blob[:len(blob) - cut])
    return str(path)


GUESTS = """        pv { kernel = "demo"; memory-mib = <16>; };
        fv { kernel = "demo-fv"; memory-mib = <16>; devices = "uart", "plic"; };"""


def read(path):
    with open(path, "rb") as f:
        return f.read()


def boot_hand(path):
    run = boot(None, timeout=60, BUNDLE=path)
    assert "PANIC" not in run.output, run.output
    assert run.returncode == 0, run.output
    return run


def test_bundle_made_by_hand_runs(tmp_path):
    demo, fv = read(DEMO), read(DEMO_FV)
    run = boot_hand(hand_bundle(tmp_path, [("demo", demo, 0, demo), ("demo-fv", fv, 0x10000, fv)],
                                GUESTS))
    assert "demo done" in run.guest_lines("pv") and "demo done" in run.guest_lines("fv")


def test_truncated_bundle(tmp_path):
    demo, fv = read(DEMO), read(DEMO_FV)
    run = boot_hand(hand_bundle(tmp_path, [("demo", demo, 0, demo), ("demo-fv", fv, 0x10000, fv)],
                                GUESTS, cut=100))
    assert "image 'demo-fv' unusable: its data lies past the end of the bundle" in run.output
    assert "guest 'fv' not started: its kernel 'demo-fv' is unusable" in run.output
    assert "demo done" in run.guest_lines("pv")


def test_truncated_inside_the_tree(tmp_path):
    demo = read(DEMO)
    path = hand_bundle(tmp_path, [("demo", demo, 0, demo)], GUESTS)
    with open(path, "r+b") as f:
        f.truncate(64)
    run = boot(None, timeout=30, BUNDLE=path)
    assert "bundle: truncated: its header says" in run.output, run.output
    assert "no guest could be started" in run.output and "PANIC" not in run.output


def test_overlapping_images(tmp_path):
    demo, fv = read(DEMO), read(DEMO_FV)
    guests = GUESTS + '\n        other { kernel = "third"; memory-mib = <16>; };'
    run = boot_hand(hand_bundle(tmp_path, [("demo", demo, 0, demo), ("demo-fv", fv, 0x10000, fv),
                                           ("third", demo, 0x10800, demo)], guests))
    assert "bundle: images 'demo-fv' and 'third' overlap" in run.output, run.output
    assert "guest 'fv' not started" in run.output and "guest 'other' not started" in run.output
    assert "demo done" in run.guest_lines("pv")


def test_out_of_range_image(tmp_path):
    demo, fv = read(DEMO), read(DEMO_FV)
    run = boot_hand(hand_bundle(tmp_path, [("demo", demo, 0, demo), ("demo-fv", fv, 0x7f010000, fv)],
                                GUESTS))
    assert "image 'demo-fv' unusable: its data lies past the end" in run.output, run.output
    assert "demo done" in run.guest_lines("pv")


def test_bad_hash(tmp_path):
    demo, fv = read(DEMO), read(DEMO_FV)
    damaged = bytearray(demo)
    damaged[1000] ^= 0x10
    run = boot_hand(hand_bundle(tmp_path, [("demo", bytes(damaged), 0, demo),
                                           ("demo-fv", fv, 0x10000, fv)], GUESTS))
    assert "image 'demo' unusable: its sha256 does not match" in run.output, run.output
    assert "guest 'pv' not started: its kernel 'demo' is unusable" in run.output
    assert "demo done" in run.guest_lines("fv")


def test_guest_larger_than_ram(tmp_path):
    demo, fv = read(DEMO), read(DEMO_FV)
    guests = GUESTS.replace('pv { kernel = "demo"; memory-mib = <16>;',
                            'pv { kernel = "demo"; memory-mib = <4096>;')
    run = boot_hand(hand_bundle(tmp_path, [("demo", demo, 0, demo), ("demo-fv", fv, 0x10000, fv)],
                                guests))
    assert "guest 'pv' not started: no room for 4096 MiB of RAM" in run.output, run.output
    assert "demo done" in run.guest_lines("fv")
