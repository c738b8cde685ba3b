# SPDX-License-Identifier: MIT
"""Runs every case of the host unit-test binaries (built with ASan and UBSan by `make unit`)."""
import glob
import os
import subprocess

import pytest

from conftest import BUILD

DTB_DIR = os.path.join(BUILD, "unit", "dtb")


def cases():
    for binary in sorted(glob.glob(os.path.join(BUILD, "unit", "test_*"))):
        names = subprocess.run([binary, "--list"], stdout=subprocess.PIPE, check=True).stdout.decode()
        for name in names.split():
            yield pytest.param(binary, name, id="%s:%s" % (os.path.basename(binary)[5:], name))


@pytest.mark.parametrize("binary,name", list(cases()))
def test_unit(binary, name):
    env = dict(os.environ, FDT_TEST_DATA=DTB_DIR)
    p = subprocess.run([binary, name], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=300)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0 and ("PASS %s" % name) in out, out
