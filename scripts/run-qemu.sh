#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boots a hypervisor image on QEMU with Debian's OpenSBI. Settings come from the environment:
#   MACHINE (virt), CPU (rv64; sifive-u54 on sifive_u), SMP (1; 2 on sifive_u), MEM (512M), APPEND (hypervisor boot options), TIMEOUT (s, 300),
#   ICOUNT (set to 1 for -icount shift=0,sleep=off), QEMU_EXTRA (more QEMU arguments),
#   DISK (a raw disk image attached as a virtio-blk device on a virtio-mmio slot, written in place),
#   DISK_OPTS (more -drive options for it, such as throttling.iops-total=2 to make it slow),
#   BUNDLE (the guest bundle, given as the initrd: the hypervisor finds it through /chosen),
#   RAW (1: the first guest's console bytes pass unchanged, hyp.raw; a guest's name: that guest's).
# Exits with QEMU's status, which the hypervisor sets (README, "Exit status"): 0 when every guest
# stopped cleanly, 3 when a guest failed, 4 when no guest started, 5 when the hypervisor panicked;
# 124 when TIMEOUT ended the run, 2 for a setting refused here.
set -euo pipefail

image=${1:?usage: run-qemu.sh IMAGE}
machine=${MACHINE:-virt}
# The HiFive Unleashed's application harts are U54s (no H extension); virt gets QEMU's generic rv64.
# It has an E51 monitor hart besides them, so at least two harts.
case "${MACHINE:-virt}" in
    sifive_u*) cpu=${CPU:-sifive-u54}; smp=${SMP:-2} ;;
    *) cpu=${CPU:-rv64}; smp=${SMP:-1} ;;
esac
mem=${MEM:-512M}
timeout_s=${TIMEOUT:-300}
firmware=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin

fail() { echo "run-qemu: $*" >&2; exit 2; }

[ -f "$image" ] || fail "no image at $image (build it with make hyp)"
[ -f "$firmware" ] || fail "OpenSBI firmware missing at $firmware (apt-get install opensbi)"
[[ "$smp" =~ ^[1-9][0-9]*$ ]] || fail "SMP=$smp is not a positive number of harts"
[[ "$mem" =~ ^[1-9][0-9]*[MG]$ ]] || fail "MEM=$mem is not a size like 512M or 2G"
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || fail "TIMEOUT=$timeout_s is not a number of seconds"
case "$machine" in
    virt|virt,*|sifive_u|sifive_u,*) ;;
    *) fail "MACHINE=$machine: the hypervisor knows QEMU's virt and sifive_u boards" ;;
esac
disk_args=()
if [ -n "${DISK:-}" ]; then
    [ -f "$DISK" ] || fail "DISK=$DISK: no such disk image"
    # QEMU's dumpdtb probe below ends before devices are made, so it cannot catch this one.
    case "$machine" in
        sifive_u*) fail "DISK=$DISK: QEMU's sifive_u has no virtio bus for a disk (give guests RAM disks: disk = \"ram\")" ;;
    esac
    # QEMU 7.2's virtio-mmio transports are legacy (version 1) unless told otherwise; the hypervisor
    # drives version 2 only.
    disk_args=(-global virtio-mmio.force-legacy=false -drive "file=$DISK,if=none,format=raw,id=hd0${DISK_OPTS:+,$DISK_OPTS}"
               -device virtio-blk-device,drive=hd0)
fi
# Ask QEMU itself whether the machine, CPU model and options exist, so a typo gets QEMU's own
# explanation before anything boots.
# (dumpdtb replaces its target file, so it gets a scratch file of its own, never /dev/null.)
probe=$(mktemp)
trap 'rm -f "$probe"' EXIT
if ! err=$(qemu-system-riscv64 -machine "$machine" -cpu "$cpu" -smp "$smp" -m "$mem" -nographic \
        -bios "$firmware" -display none -monitor none -serial none -no-reboot "${disk_args[@]}" \
        -machine dumpdtb="$probe" 2>&1); then
    fail "QEMU rejects MACHINE=$machine CPU=$cpu SMP=$smp MEM=$mem${DISK:+ DISK=$DISK}: $(echo "$err" | grep -v 'dtb dumped' | head -3)"
fi

append=${APPEND:-}
case "${RAW:-}" in
    ""|0) ;;
    1) append="${append:+$append }hyp.raw" ;;
    *[!A-Za-z0-9._-]*) fail "RAW=$RAW: give 1 or a guest's name" ;;
    *) append="${append:+$append }hyp.raw=$RAW" ;;
esac

args=(-machine "$machine" -cpu "$cpu" -smp "$smp" -m "$mem" -nographic -no-reboot
      -bios "$firmware" -kernel "$image")
[ -n "$append" ] && args+=(-append "$append")
if [ -n "${BUNDLE:-}" ]; then
    [ -f "$BUNDLE" ] || fail "BUNDLE=$BUNDLE: no such file (make bundle CONFIG=...)"
    args+=(-initrd "$BUNDLE")
fi
args+=("${disk_args[@]}")
# shellcheck disable=SC2206
[ -n "${QEMU_EXTRA:-}" ] && args+=($QEMU_EXTRA)

. "$(dirname "$0")/qemu-common.sh"
set +e
(qemu_run run-qemu "$timeout_s" "the guests did not finish" "${args[@]}")
rc=$?
set -e
case $rc in
    3) echo "run-qemu: exit status 3: a guest failed (named above: hyp: guest '...' failed)" >&2 ;;
    4) echo "run-qemu: exit status 4: the hypervisor started no guest (its log says why)" >&2 ;;
    5) echo "run-qemu: exit status 5: the hypervisor panicked (see 'hyp: PANIC' above)" >&2 ;;
esac
exit $rc
