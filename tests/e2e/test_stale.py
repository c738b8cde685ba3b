# SPDX-License-Identifier: MIT
"""No stale data: a guest never reads a byte it did not write or was not given. Guest RAM is cleared
page by page on first use (hyp/guest_mem.h), so what a boot loader left in RAM (here QEMU's loader
device writes a pattern where guest RAM will be) and what a guest left before its restart both read
as zeros, on both engines and in both flavours (shadow paging, validated paging, G-stage)."""
import re

import pytest

from conftest import boot


@pytest.mark.parametrize("cpu", ["rv64", "rv64,h=false"])
def test_fresh_guest_ram_holds_nothing_from_before(tmp_path, cpu):
    pattern = tmp_path / "left-by-the-loader.bin"
    pattern.write_bytes(b"\xab" * (1 << 20))
    # Guest 'stale' gets host RAM from about 0x80600000: 0x8c000000 is in the part it scans.
    run = boot("stale", timeout=300, MEM="1G", CPU=cpu,
               QEMU_EXTRA="-device loader,file=%s,addr=0x8c000000" % pattern)
    assert "PANIC" not in run.output
    for guest in ("stale", "stalefv"):
        lines = "\n".join(run.guest_lines(guest))
        counts = re.findall(r"stale: (\d+) of (\d+) pages it never wrote hold data", lines)
        assert len(counts) == 3, "%s: three runs expected\n%s" % (guest, run.output[-3000:])
        for dirty, pages in counts:
            assert int(pages) > 30000
            assert dirty == "0", "%s saw stale data:\n%s" % (guest, lines)
    assert "hyp: guest 'stale' restarting from its configuration (2 of 2)" in run.output
