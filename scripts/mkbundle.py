#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Packs guests and their images into one bundle (a FIT-style device tree, docs/bundles.md).

  mkbundle.py [--include DIR] -o OUT CONFIG.dts
      a configuration: /incbin/ paths that are not absolute are found under DIR
  mkbundle.py --kernel IMAGE [--initrd FILE] [--bootargs ARGS] [--vcpus N] [--memory SIZE]
              [--load-offset N] [--disk] [--name NAME] -o OUT
      one unmodified guest with a UART, a PLIC and (with --disk) a virtio-blk disk on the host disk

mkimage (u-boot-tools) compiles the source with dtc, stores each image after the tree at a 4 KiB
boundary (data-offset, data-size) and fills in the sha256 of every image that has a hash node.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile


def fail(msg):
    sys.stderr.write("mkbundle: %s\n" % msg)
    sys.exit(2)


def dts_string(s):
    """s as a device-tree source string literal: quotes and backslashes escaped, nothing else changed."""
    if any(ord(c) < 0x20 for c in s):
        fail("control characters cannot go into a device-tree string: %r" % s)
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def size_mib(text):
    m = re.fullmatch(r"([1-9][0-9]*)([MG])", text)
    if not m:
        fail("--memory %s: give a size such as 256M or 2G" % text)
    mib = int(m.group(1)) * (1024 if m.group(2) == "G" else 1)
    if mib % 2:
        fail("--memory %s: guest RAM is given in 2 MiB steps" % text)
    return mib


def kernel_source(a):
    """The source of a one-guest bundle for --kernel."""
    for path in [a.kernel] + ([a.initrd] if a.initrd else []):
        if not os.path.isfile(path):
            fail("%s: no such file" % path)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,14}", a.name):
        fail("--name %s: use 1-15 lower-case letters, digits and dashes" % a.name)
    if a.vcpus < 1:
        fail("--vcpus %d: at least one" % a.vcpus)
    src = ["/dts-v1/;", "", "/ {",
           "    description = %s;" % dts_string("%s, from make run KERNEL=" % a.name),
           "    #address-cells = <1>;", "", "    images {",
           "        kernel {", "            data = /incbin/(%s);" % dts_string(os.path.abspath(a.kernel)),
           '            hash { algo = "sha256"; };', "        };"]
    if a.initrd:
        src += ["        initrd {", "            data = /incbin/(%s);" % dts_string(os.path.abspath(a.initrd)),
                '            hash { algo = "sha256"; };', "        };"]
    devices = '"uart", "plic"' + (', "virtio-blk"' if a.disk else "")
    src += ["    };", "", "    guests {", "        %s {" % a.name, '            kernel = "kernel";']
    if a.initrd:
        src += ['            initrd = "initrd";']
    if a.bootargs is not None:
        src += ["            bootargs = %s;" % dts_string(a.bootargs)]
    if a.load_offset is not None:
        src += ["            load-offset = <%s>;" % a.load_offset]
    src += ["            memory-mib = <%d>;" % size_mib(a.memory), "            vcpus = <%d>;" % a.vcpus,
            "            devices = %s;" % devices]
    if a.disk:
        src += ['            disk = "host";']
    src += ["        };", "    };", "};", ""]
    return "\n".join(src)


def main():
    p = argparse.ArgumentParser(description="Pack guests and their images into a bundle.")
    p.add_argument("-o", dest="out", required=True)
    p.add_argument("--include", default=".")
    p.add_argument("--kernel")
    p.add_argument("--initrd")
    p.add_argument("--bootargs")
    p.add_argument("--vcpus", type=int, default=1)
    p.add_argument("--memory", default="256M")
    p.add_argument("--load-offset")
    p.add_argument("--disk", action="store_true")
    p.add_argument("--name", default="guest")
    p.add_argument("config", nargs="?")
    a = p.parse_args()
    if bool(a.kernel) == bool(a.config):
        fail("give either a configuration source or --kernel")
    if a.load_offset is not None and not re.fullmatch(r"(0x[0-9a-fA-F]+|[0-9]+)", a.load_offset):
        fail("--load-offset %s: give a number" % a.load_offset)
    with tempfile.TemporaryDirectory() as tmp:
        src = a.config
        if a.kernel:
            src = os.path.join(tmp, "guests.dts")
            with open(src, "w") as f:
                f.write(kernel_source(a))
        # SOURCE_DATE_EPOCH fixes mkimage's timestamp, so the same inputs make the same bundle.
        env = dict(os.environ, SOURCE_DATE_EPOCH="0")
        dtc = "-I dts -O dtb -p 0 -i %s" % os.path.abspath(a.include)
        out_tmp = os.path.join(tmp, "guests.img")
        r = subprocess.run(["mkimage", "-D", dtc, "-E", "-B", "0x1000", "-f", src, out_tmp], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            msg = r.stdout.decode(errors="replace")
            if "verify_header" in msg:
                msg += "(mkimage checks the FIT layout: the root needs description = \"...\";)\n"
            fail("mkimage failed on %s:\n%s" % (src, msg))
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        os.replace(out_tmp, a.out)


if __name__ == "__main__":
    main()
