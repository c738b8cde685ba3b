# SPDX-License-Identifier: MIT
"""Storage with guest-pv: the block workload through the block hypercalls (pv), through the emulated
virtio-blk device (fv) and on a RAM disk, with identical checksums; malformed requests end in I/O
errors while the hypervisor carries on; what the guests wrote is on the host disk, each in its region."""
import re

import pytest

from conftest import boot, disk_copy

GUESTS = ("pv", "fv", "ram")
REGION = 8192 * 512  # configs/blk.c: 8192 sectors each
WORKLOAD_BYTES = 256 * 4096


def test_blk_pv_fv_same_checksum_and_malformed_requests(tmp_path, disk_engine):
    disk = disk_copy("blk.img", tmp_path)
    run = boot("blk", timeout=120, DISK=disk, **disk_engine)
    assert run.returncode == 0, run.output
    sums = {}
    for g in GUESTS:
        lines = run.guest_lines(g)
        assert "blktest: 0 failures" in lines, "\n".join(lines)
        assert not [l for l in lines if "FAIL" in l], "\n".join(lines)
        m = [re.match(r"blk: wrote 256 blocks, read 256 blocks, checksum (0x[0-9a-f]{16})$", l)
             for l in lines]
        sums[g] = [x.group(1) for x in m if x]
        assert len(sums[g]) == 1, "\n".join(lines)
        assert "hyp: guest '%s' stopped: shutdown" % g in run.lines
    assert sums["pv"] == sums["fv"] == sums["ram"], sums
    assert "hyp: guest 'pv': disk of 8192 sectors (host disk)" in run.lines
    assert "hyp: guest 'ram': disk of 8192 sectors (RAM)" in run.lines
    # The RAM disk was made from an image (the guest's own), the host regions start blank.
    assert "blktest: disk starts with this guest's image: yes" in run.guest_lines("ram")
    assert "blktest: disk starts with this guest's image: no" in run.guest_lines("pv")
    # The malformed cases were really tried (and answered, not fatal).
    fv = run.guest_lines("fv")
    for case in ("data outside RAM", "length that wraps", "loop in the chain", "sectors beyond the disk",
                 "head past the table"):
        assert "blktest: %s: status: ok" % case in fv
    assert "blktest: completion interrupt pending: ok" in run.guest_lines("pv")
    # One batch is one exit for pv; fv pays register accesses for the same work.
    exits = run.exits()
    assert run.device_exits("pv") <= 4
    # Both regions of the host disk hold the same blocks, and nothing outside them was written.
    with open(disk, "rb") as f:
        data = f.read()
    pv, fv = data[:WORKLOAD_BYTES], data[REGION:REGION + WORKLOAD_BYTES]
    assert pv == fv and pv.count(0) < len(pv) // 2
    assert data[2 * REGION:] == b"\0" * (len(data) - 2 * REGION)


@pytest.mark.parametrize("qemu_opts", [{}, {"SMP": 2}], ids=["one-hart", "two-harts"])
def test_blk_slow_host_disk_fails_only_the_late_requests(tmp_path, disk_engine, qemu_opts):
    """The host disk throttled to 4 requests a second (QEMU's throttling), the hypervisor's timeout
    cut to 100 ms: bursts of writes time out. Each timeout fails one request of one guest (the
    guests count exactly as many I/O errors as the hypervisor logged timeouts), the device is reset,
    and the disk works again for both guests after it, with the right data; the RAM disk guest
    never notices. On two harts, pv and fv run on different harts and share the host disk's queue."""
    if qemu_opts and disk_engine:
        pytest.skip("two harts on hext only: the host queue across harts is the same code on both engines")
    disk = disk_copy("blk.img", tmp_path)
    run = boot("blk", timeout=150, DISK=disk, DISK_OPTS="throttling.iops-total=4",
               APPEND="hyp.disk_timeout_ms=100 hyp.guestargs=blktest=slow", **disk_engine, **qemu_opts)
    assert run.returncode == 0, run.output
    seen = {}
    for g in GUESTS:
        m = [re.match(r"blktest: slow disk: (\d+) requests timed out, (\d+) of 3 written and read "
                      r"back after them, (\d+) bytes wrong$", l) for l in run.guest_lines(g)]
        m = [x for x in m if x]
        assert len(m) == 1, run.output
        seen[g] = tuple(int(x) for x in m[0].groups())
        assert seen[g][1:] == (3, 0), (g, seen[g], run.output)
    assert seen["ram"][0] == 0
    assert seen["pv"][0] >= 1 and seen["fv"][0] >= 1, seen
    logged = [l for l in run.lines
              if re.match(r"hyp: disk: a request of (pv|fv) took over 100 ms: it fails, and the "
                          r"device is reset$", l)]
    assert len(logged) == seen["pv"][0] + seen["fv"][0], (seen, logged)
