# SPDX-License-Identifier: MIT
"""Runs each host fuzzer (tests/fuzz/, libFuzzer with ASan and UBSan, built by `make fuzz-build`)
for a few seconds from a copy of its seed corpus: every seed, the inputs that once found bugs
included, runs first, then new inputs. `make fuzz-host` runs them for longer."""
import glob
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT

SECONDS = 5  # per target: six targets stay well under a minute on 2 cores
FUZZERS = sorted(re.match(r"fuzz_(.*)\.c$", os.path.basename(p)).group(1)
                 for p in glob.glob(os.path.join(ROOT, "tests", "fuzz", "fuzz_*.c")))


@pytest.fixture(scope="module")
def built():
    p = subprocess.run(["make", "--no-print-directory", "-j2", "fuzz-build"], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    assert p.returncode == 0, p.stdout.decode(errors="replace")
    return os.path.join(BUILD, "fuzz")


@pytest.mark.parametrize("name", FUZZERS)
def test_fuzz_host(built, name, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(os.path.join(ROOT, "tests", "fuzz", "corpus", name), str(corpus))
    seeds = len(os.listdir(str(corpus)))
    assert seeds > 0
    p = subprocess.run([os.path.join(built, "fuzz_" + name), "-max_total_time=%d" % SECONDS,
                        "-timeout=25", "-rss_limit_mb=2048", "-artifact_prefix=%s/" % tmp_path,
                        str(corpus)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=SECONDS + 120)
    out = p.stdout.decode(errors="replace")
    crashes = [f for f in os.listdir(str(tmp_path)) if re.match(r"(crash|leak|timeout|oom)-", f)]
    assert p.returncode == 0 and not crashes, out[-4000:]
    m = re.search(r"^Done (\d+) runs", out, re.M)
    assert m and int(m.group(1)) >= seeds, out[-4000:]
