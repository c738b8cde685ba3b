# SPDX-License-Identifier: MIT
"""The SBI seen from a guest: every function of Base, TIME, DBCN, SRST, STA and the legacy console."""
import re

from conftest import boot
from test_foundation import check_demo

EXPECTED_OK = [
    "base spec version is 2.0", "base spec version error", "base impl id", "base impl version",
    "probe base", "probe time", "probe dbcn", "probe srst", "probe legacy putchar", "probe unknown",
    "mvendorid error", "base unknown fid",
    "set_timer", "timer interrupt taken", "past deadline fires", "legacy set_timer fires",
    "time unknown fid",
    "dbcn write", "dbcn write count", "dbcn write_byte", "dbcn write outside RAM",
    "dbcn write with high address bits", "dbcn write wrapping", "dbcn write huge length",
    "dbcn write across end of RAM", "dbcn read with no input", "dbcn read count",
    "dbcn read outside RAM", "dbcn unknown fid",
    "legacy putchar", "legacy getchar with no input", "legacy call preserves a1",
    "unknown extension", "experimental range without our extension",
    "srst reserved type", "srst vendor type", "srst reserved reason", "srst implementation reason",
    "srst unknown fid",
    "probe sta", "sta flags", "sta misaligned", "sta high address bits", "sta outside RAM",
    "sta just past RAM", "sta wrapping", "sta register", "sta record zeroed",
    "sta past the record untouched", "sta unknown fid", "sta record of the last life left alone",
    "sta stop", "sta stop when stopped",
]


def test_sbi_functions_and_errors(engine):
    run = boot("sbi", **engine)
    assert run.returncode == 0, run.output
    text = "\n".join(run.guest_lines("sbitest"))
    assert "FAIL" not in text, text
    for name in EXPECTED_OK:
        assert "sbitest: %s: ok" % name in text, name
    assert "sbitest: dbcn write reached the console" in text
    assert "sbitest: 0 failures" in text
    assert "sbitest: after reboot: 0 failures" in text


def test_srst_reboots_then_shuts_down_only_that_guest(engine):
    run = boot("sbi", **engine)
    lines = run.guest_lines("sbitest")
    boots = [l for l in lines if l.startswith("sbitest: boot ")]
    assert boots == ["sbitest: boot 0", "sbitest: boot 1", "sbitest: boot 2"], run.output
    assert "hyp: guest 'sbitest' cold reboot" in run.lines
    assert "hyp: guest 'sbitest' warm reboot" in run.lines
    assert "hyp: guest 'sbitest' stopped: shutdown" in run.lines
    # The other guest ran to its end through all of that.
    check_demo(run, "demo")
    assert run.returncode == 0


def test_steal_time_counts_waits_for_the_hart_not_sleep(engine):
    """SBI STA: two busy vCPUs on one hart each wait about half the time; a WFI sleep is not steal."""
    run = boot("steal", **engine)
    assert run.returncode == 0, run.output
    text = "\n".join(run.guest_lines("steal"))
    assert "FAIL" not in text, text
    assert "steal: 0 failures" in text, text
    busy = re.search(r"steal: busy: (\d+) of (\d+) us stolen", text)
    idle = re.search(r"steal: idle: (\d+) of (\d+) us stolen", text)
    assert busy and idle, text
    # Round robin between two busy vCPUs: about half; bounds wide enough for where slices fall.
    assert 0.25 <= int(busy.group(1)) / int(busy.group(2)) <= 0.75, text
    assert int(idle.group(1)) < 0.1 * int(idle.group(2)), text
    assert "steal: vCPU 1 stolen" in text


def test_steal_time_of_vcpus_on_harts_of_their_own(disk_engine):
    """SBI STA on a VM that spans two harts (records written under its lock): nothing is stolen."""
    run = boot("steal", SMP=2, APPEND="hyp.guestargs=steal.harts=2", **disk_engine)
    assert run.returncode == 0, run.output
    text = "\n".join(run.guest_lines("steal"))
    assert "steal: 0 failures" in text, text
    placed = re.search(r"guest 'steal': .* 2 vCPU on harts (\d),(\d)", run.output)
    assert placed and placed.group(1) != placed.group(2), run.output
    busy = re.search(r"steal: busy: (\d+) of (\d+) us stolen", text)
    assert busy and int(busy.group(1)) < 0.1 * int(busy.group(2)), text
