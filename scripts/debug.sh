#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Debugs the hypervisor on QEMU: QEMU (through run-qemu.sh, same settings) waits at reset with its
# gdbstub, and gdb-multiarch attaches with the hypervisor's symbols where it runs and the guest-pv
# guest's symbols (docs/debugging.md).
#   scripts/debug.sh IMAGE [GDB-ARGS...]   GDB-ARGS go to gdb after the set-up (e.g. -batch -ex ...)
# Environment: what run-qemu.sh takes (BUNDLE, DISK, CPU, MACHINE, APPEND...), and
#   CONFIG (configs/CONFIG.dts: its first guest-pv image gives the guest symbols), GUEST_ELF (those
#   symbols from this ELF instead; "none" for none), HYP_LOAD (where the loader puts the image:
#   0x80200000, OpenSBI's payload address on QEMU), GDB_PORT (1234), DEBUG_DIR (build/debug: the
#   gdb script, and console.log, where the guests' console goes).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
image=${1:?usage: debug.sh IMAGE [GDB-ARGS...]}
shift
elf=${image%.bin}.elf
load=${HYP_LOAD:-0x80200000}
port=${GDB_PORT:-1234}
dir=${DEBUG_DIR:-$root/build/debug}
gdb=gdb-multiarch

fail() { echo "debug: $*" >&2; exit 2; }

command -v "$gdb" >/dev/null || fail "$gdb is missing (apt-get install gdb-multiarch)"
[ -f "$elf" ] || fail "no symbols at $elf (make hyp builds it beside $image)"
[[ "$port" =~ ^[1-9][0-9]*$ ]] || fail "GDB_PORT=$port is not a port number"

# The guest-pv guest's symbols: build/guest-pv/NAME.elf for the first guest-pv image the
# configuration names. Every guest-pv kernel is linked at 0x80000000, where its guest sees its RAM.
guest=${GUEST_ELF:-}
if [ -z "$guest" ] && [ -n "${CONFIG:-}" ] && [ -f "$root/configs/$CONFIG.dts" ]; then
    name=$(sed -n 's|.*/incbin/("guest-pv/\([^"]*\)\.bin").*|\1|p' "$root/configs/$CONFIG.dts" |
           head -1)
    [ -n "$name" ] && guest=$root/build/guest-pv/$name.elf
fi
[ "$guest" = none ] && guest=

mkdir -p "$dir"
{
    echo "set confirm off"
    echo "set pagination off"
    echo "set architecture riscv:rv64"
    # run-qemu.sh first asks QEMU whether its settings exist: gdb retries until the gdbstub listens.
    echo "set tcp auto-retry on"
    echo "set tcp connect-timeout 30"
    echo "add-symbol-file $elf -o $load"
    if [ -n "$guest" ]; then
        [ -f "$guest" ] || fail "no guest symbols at $guest (GUEST_ELF=none for none)"
        echo "add-symbol-file $guest"
    fi
    echo "target remote localhost:$port"
} > "$dir/gdbinit"

# QEMU in a session of its own, so that everything it started ends with it; its console to a file
# (gdb has the terminal): tail -f that file in another terminal.
: > "$dir/console.log"
TIMEOUT=${TIMEOUT:-86400} QEMU_EXTRA="${QEMU_EXTRA:+$QEMU_EXTRA }-S -gdb tcp:localhost:$port" \
    setsid "$here/run-qemu.sh" "$image" < /dev/null > "$dir/console.log" 2>&1 &
qemu=$!
trap 'kill -- -$qemu 2>/dev/null; wait $qemu 2>/dev/null || true' EXIT

echo "debug: QEMU waits at reset on port $port; the guests' console goes to $dir/console.log"
rc=0
"$gdb" -q -x "$dir/gdbinit" "$@" || rc=$?
# QEMU gone before gdb was done (a setting it refused, a run that ended): say what it said.
if [ $rc -ne 0 ] && ! kill -0 $qemu 2>/dev/null; then
    echo "debug: QEMU ended; the end of $dir/console.log:" >&2
    tail -n 5 "$dir/console.log" >&2
fi
exit $rc
