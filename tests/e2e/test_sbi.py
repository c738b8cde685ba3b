# SPDX-License-Identifier: MIT
"""The SBI seen from a guest: every function of Base, TIME, DBCN, SRST and the legacy console."""
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
