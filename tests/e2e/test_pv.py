# SPDX-License-Identifier: MIT
"""The paravirtual interface: every hypercall from a test guest, and the pv and fv flavours of guest-pv
giving identical results, with page tables written natively or validated through hypercalls."""
from conftest import boot
from test_foundation import DEMO_RESULTS, check_demo, demo_results


def test_every_hypercall_well_formed_and_malformed(engine):
    run = boot("hypercalls", **engine)
    assert run.returncode == 0, run.output
    lines = run.guest_lines("hctest")
    bad = [l for l in lines if "FAIL" in l]
    assert not bad, bad
    ok = [l for l in lines if l.startswith("hctest: ") and l.endswith(": ok")]
    assert len(ok) == 82, "\n".join(lines)
    for rule in ("XSA-148", "XSA-182", "XSA-212", "XSA-213"):
        assert any(rule in l for l in ok), rule
    assert "hctest: 0 failures" in lines
    check_demo(run, "demo")


def test_pv_and_fv_flavours_agree(engine):
    run = boot("default", **engine)
    assert run.returncode == 0, run.output
    assert demo_results(run, "pv") == demo_results(run, "fv") == DEMO_RESULTS
    exits = run.exits()
    # The pv console is batched through DBCN; the fv one is the emulated 16550, an exit per access.
    assert run.device_exits("pv") == 0
    assert exits["fv"]["store-guest-page-fault"] > 500
    assert exits["pv"]["total"] < exits["fv"]["total"]


def test_validated_page_tables_give_the_same_results(engine):
    run = boot("pvmmu", **engine)
    assert run.returncode == 0, run.output
    lines = run.guest_lines("pv-mmu")
    assert any(l.startswith("mm: page tables validated by the hypervisor (hypercalls)") for l in lines)
    assert "mm: page tables written natively" in run.guest_lines("fv")
    assert demo_results(run, "pv-mmu") == demo_results(run, "fv") == DEMO_RESULTS
