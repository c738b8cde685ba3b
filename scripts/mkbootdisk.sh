#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds a disk image laid out as a board's SD card or disk would be for U-Boot's distro boot: an MBR
# partition table with one bootable ext2 partition holding boot.scr and the files it loads.
#   mkbootdisk.sh OUT FILE[=NAME]...    each FILE is stored in the partition as NAME (default: its own
#                                       name in the root), e.g. build/linux/Image=hyp.bin or
#                                       build/hyp.bin=boot/hyp.bin
# No root and no loop device: sfdisk writes the table into the image file and mke2fs -d fills the
# partition in place (-E offset). ext2 rather than FAT: Debian's U-Boot reads both, and ext2 needs only
# e2fsprogs, which the build already uses.
set -euo pipefail

fail() { echo "mkbootdisk: $*" >&2; exit 2; }

out=${1:?usage: mkbootdisk.sh OUT FILE[=NAME]...}
shift
[ $# -gt 0 ] || fail "no files to put on the disk"
# Both live in /usr/sbin, which a user's PATH may lack.
export PATH=$PATH:/usr/sbin:/sbin
command -v sfdisk >/dev/null || fail "sfdisk missing (apt-get install fdisk)"
command -v mke2fs >/dev/null || fail "mke2fs missing (apt-get install e2fsprogs)"

# Built under a temporary name, so that a failed run leaves no image make would take as up to date.
stage=$(mktemp -d)
tmp=$out.tmp
trap 'rm -rf "$stage" "$tmp"' EXIT
for arg in "$@"; do
    src=${arg%%=*}
    name=$(basename "$src")
    [ "$arg" != "$src" ] && name=${arg#*=}
    [ -f "$src" ] || fail "no file $src"
    case "$name" in /*|*..*) fail "$name: give a path inside the partition" ;; esac
    [ -e "$stage/$name" ] && fail "$name given twice"
    mkdir -p "$(dirname "$stage/$name")"
    cp "$src" "$stage/$name"
done

# The partition starts at 1 MiB, where partitioning tools put it (erase-block aligned on flash). The
# file system gets its files plus a quarter and 4 MiB for its own metadata, in whole MiB.
start_mib=1
files_kib=$(du -sk --apparent-size "$stage" | cut -f1)
fs_mib=$(( (files_kib * 5 / 4 + 4 * 1024 + 1023) / 1024 ))
rm -f "$tmp"
truncate -s $(( (start_mib + fs_mib) * 1024 * 1024 )) "$tmp"

# Type 83 (Linux); bootable, since distro boot first tries the partitions marked so (part list -bootable).
printf 'label: dos\nstart=%dMiB, size=%dMiB, type=83, bootable\n' $start_mib $fs_mib |
    sfdisk --quiet "$tmp"
mke2fs -q -F -t ext2 -L rvhyp-boot -E offset=$(( start_mib * 1024 * 1024 )) \
    -d "$stage" "$tmp" "${fs_mib}M"
mv "$tmp" "$out"
