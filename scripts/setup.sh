#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages the build, the runs and the tests need; does nothing when they are present.
set -euo pipefail

# binutils-riscv64-linux-gnu links the position-independent hypervisor image (the bare-metal ld cannot);
# u-boot-tools' mkimage makes guest bundles and U-Boot boot scripts; fdisk's sfdisk the boot disk.
# clang and its runtime libraries (libFuzzer, ASan, UBSan; a Recommends, so named) build the host fuzzers;
# gdb-multiarch is make debug's debugger.
pkgs=(make gcc gcc-riscv64-unknown-elf binutils-riscv64-linux-gnu qemu-system-misc opensbi u-boot-qemu
      u-boot-tools fdisk device-tree-compiler python3 python3-pytest python3-pexpect e2fsprogs clang
      libclang-rt-dev gdb-multiarch)
# Extra groups: `setup.sh bench` adds what make bench draws its chart with.
for group in "$@"; do
    case "$group" in
    bench) pkgs+=(gnuplot-nox) ;;
    *) echo "setup: unknown group $group" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
