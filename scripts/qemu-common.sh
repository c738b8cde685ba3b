# SPDX-License-Identifier: MIT
# Sourced by the QEMU runners: runs QEMU under a timeout and says clearly when the timeout ended it.
#   qemu_run WHO TIMEOUT_S WHAT_DID_NOT_FINISH QEMU-ARGS...   (exits with QEMU's status)
qemu_run() {
    local who=$1 timeout_s=$2 what=$3 rc
    shift 3
    [ "${ICOUNT:-0}" = 1 ] && set -- "$@" -icount shift=0,sleep=off
    set +e
    timeout --foreground -k 5 "$timeout_s" qemu-system-riscv64 "$@"
    rc=$?
    set -e
    if [ $rc -eq 124 ]; then
        echo "$who: stopped after ${timeout_s}s (TIMEOUT=$timeout_s): $what" >&2
    fi
    exit $rc
}
