#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boots the minimal Linux guest directly on QEMU with Debian's OpenSBI, no hypervisor: the baseline for runs
# under the hypervisor. Build the images first with make linux (scripts/build-linux.sh).
# Settings from the environment: SMP (1), TIMEOUT (s, 120), ICOUNT (1 for -icount shift=0,sleep=off; one hart
# only: with -smp 2 and -icount Linux hangs at init on QEMU 7.2), LINUX_DIR (build/linux), MEM (512M), DISK (a raw
# disk image attached as a virtio-blk device, as scripts/run-qemu.sh does), APPEND (more kernel arguments), SEED
# (QEMU's -seed: the board's random rng-seed in the device tree, which moves Linux's layout, repeats).
set -euo pipefail

dir=${LINUX_DIR:-build/linux}
smp=${SMP:-1}
timeout_s=${TIMEOUT:-120}
firmware=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin

fail() { echo "run-linux-native: $*" >&2; exit 2; }

for f in "$dir/Image" "$dir/initrd.cpio"; do
    [ -f "$f" ] || fail "no $f (build it with make linux)"
done
[ -f "$firmware" ] || fail "OpenSBI firmware missing at $firmware (apt-get install opensbi)"
[[ "$smp" =~ ^[1-9][0-9]*$ ]] || fail "SMP=$smp is not a positive number of harts"
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || fail "TIMEOUT=$timeout_s is not a number of seconds"

args=(-machine virt -cpu rv64 -smp "$smp" -m "${MEM:-512M}" -nographic -no-reboot -bios "$firmware"
      -kernel "$dir/Image" -initrd "$dir/initrd.cpio" -append "console=ttyS0 earlycon=sbi${APPEND:+ $APPEND}")
[ -n "${SEED:-}" ] && args+=(-seed "$SEED")
if [ -n "${DISK:-}" ]; then
    [ -f "$DISK" ] || fail "DISK=$DISK: no such disk image"
    args+=(-global virtio-mmio.force-legacy=false -drive "file=$DISK,if=none,format=raw,id=hd0"
           -device virtio-blk-device,drive=hd0)
fi
. "$(dirname "$0")/qemu-common.sh"
qemu_run run-linux-native "$timeout_s" "Linux did not power off" "${args[@]}"
