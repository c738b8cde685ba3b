#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the minimal Linux 6.1 guest (Debian's linux-source-6.1, tinyconfig + configs/linux/kernel.config) and an
# initramfs holding the static init of configs/linux/init.c, cached outside the tree.
#   scripts/build-linux.sh [--pv] [OUTDIR]    build (or find in the cache) Image and initrd.cpio; copy them to OUTDIR
# --pv builds the cooperative kernel: the same source and fragment plus guest-pv/linux/*.patch, guest-pv/linux/pv.config
# and the HV_ constants of include/hvabi.h (as asm/hvabi.h), so the two kernels differ only by those.
# The cache is ${RVHYP_CACHE:-~/.cache/rvhyp}/linux-<key> (linux-pv-<key>); the key hashes the fragment, init.c, this
# script, the pv inputs and the linux-source-6.1 package version, so changing any of them builds afresh and a hit
# costs nothing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
self="$here/$(basename "${BASH_SOURCE[0]}")"
fragment="$root/configs/linux/kernel.config"
init_c="$root/configs/linux/init.c"
tarball=/usr/src/linux-source-6.1.tar.xz
cross=riscv64-linux-gnu-
pv=0
if [ "${1:-}" = --pv ]; then
    pv=1
    shift
fi
outdir=${1:-}

say() { echo "build-linux: $*"; }
fail() { echo "build-linux: $*" >&2; exit 1; }

[ $# -le 1 ] || fail "usage: build-linux.sh [--pv] [OUTDIR]"
[ -f "$fragment" ] || fail "missing $fragment"
[ -f "$init_c" ] || fail "missing $init_c"

# ---- packages ----------------------------------------------------------------------------------
# Measured: nothing beyond these (no libssl-dev, libelf-dev, python or perl extras) is needed for this config.
pkgs=(make gcc libc6-dev gcc-riscv64-linux-gnu libc6-dev-riscv64-cross binutils-riscv64-linux-gnu
      linux-source-6.1 bc flex bison cpio xz-utils)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -f "$tarball" ] || fail "$tarball missing although linux-source-6.1 is installed"

# ---- cache key ---------------------------------------------------------------------------------
src_version=$(dpkg-query -W -f='${Version}' linux-source-6.1)
# The cross toolchain is an input too: a new compiler or libc builds afresh.
tools_version=$(dpkg-query -W -f='${Package} ${Version}\n' gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu \
    libc6-dev-riscv64-cross 2>/dev/null)
# The pv inputs, in a fixed order: the config fragment, the ABI header, the patches.
pv_inputs=()
if [ $pv -eq 1 ]; then
    pv_inputs=("$root/guest-pv/linux/pv.config" "$root/include/hvabi.h")
    for f in "$root"/guest-pv/linux/*.patch; do pv_inputs+=("$f"); done
fi
key_of() { { echo "linux-source-6.1 $src_version"; echo "$tools_version"; cat "$@" "$self"; } |
    sha256sum | cut -c1-16; }
key=$(key_of "$fragment" "$init_c" "${pv_inputs[@]}")
cache=${RVHYP_CACHE:-$HOME/.cache/rvhyp}
flavour=linux
[ $pv -eq 0 ] || flavour=linux-pv
dir="$cache/$flavour-$key"

# Copies the cached images to OUTDIR (a hard link when it can: the cache files are read-only, so nobody can
# change the cache through OUTDIR).
publish() {
    if [ -z "$outdir" ]; then
        echo "$dir/Image"
        echo "$dir/initrd.cpio"
        return
    fi
    mkdir -p "$outdir"
    for f in Image initrd.cpio; do
        rm -f "$outdir/$f"
        if ln "$dir/$f" "$outdir/$f" 2>/dev/null; then
            say "linked $outdir/$f -> $dir/$f"
        else
            cp "$dir/$f" "$outdir/$f"
            say "copied $dir/$f to $outdir/$f"
        fi
    done
}

if [ -f "$dir/Image" ] && [ -f "$dir/initrd.cpio" ]; then
    publish
    exit 0
fi

# ---- build -------------------------------------------------------------------------------------
mkdir -p "$cache"
# One builder per key: a second invocation waits, then finds the finished cache.
exec 9>"$dir.lock"
flock 9
if [ -f "$dir/Image" ] && [ -f "$dir/initrd.cpio" ]; then
    publish
    exit 0
fi
# Holding the lock, any leftover for this key is from an interrupted or failed run: no one else is using it.
rm -rf "$dir" "$dir".tmp.*

tmp=$(mktemp -d "$dir.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Without these, bash killed by a signal would skip the EXIT trap and leave a gigabyte behind.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
log="$tmp/build.log"
# Build from copies, so that what is cached under the key is what the key was computed from even if someone
# edits configs/linux meanwhile.
cp "$fragment" "$tmp/kernel.config"
cp "$init_c" "$tmp/init.c"
copies=()
for f in "${pv_inputs[@]}"; do
    cp "$f" "$tmp/pv.$(basename "$f")"
    copies+=("$tmp/pv.$(basename "$f")")
done
[ "$(key_of "$tmp/kernel.config" "$tmp/init.c" "${copies[@]}")" = "$key" ] ||
    fail "configs/linux or guest-pv/linux changed just now: run again"
if [ $pv -eq 1 ]; then
    # The fragment is checked line by line below: the pv lines are checked with it.
    cat "$tmp/pv.pv.config" >>"$tmp/kernel.config"
fi
# The same inputs give the same Image, byte for byte (so the boot banner and a boot's instruction count do not
# change from build to build): the build date is the source tarball's, which the built-in initramfs uses too.
build_date=$(LC_ALL=C date -u -d @"$(stat -c %Y "$tarball")")
kmake=(make -C "$tmp/src" ARCH=riscv CROSS_COMPILE="$cross" -j"$(nproc)"
       KBUILD_BUILD_TIMESTAMP="$build_date" KBUILD_BUILD_USER=rvhyp KBUILD_BUILD_HOST=rvhyp KBUILD_BUILD_VERSION=1)

# Runs a step with its output in the log; on failure shows the log's tail and keeps the log next to the cache.
step() {
    local what=$1
    shift
    if ! "$@" >>"$log" 2>&1; then
        echo "build-linux: $what failed; the end of $cache/$flavour-$key.failed.log:" >&2
        tail -n 40 "$log" >&2
        cp "$log" "$cache/$flavour-$key.failed.log"
        exit 1
    fi
}

say "building Linux from linux-source-6.1 $src_version in $dir (log: build.log there)"
start=$SECONDS
mkdir "$tmp/src"
step "unpacking $tarball" tar -xJf "$tarball" -C "$tmp/src" --strip-components=1
if [ $pv -eq 1 ]; then
    for f in "${copies[@]}"; do
        case "$f" in *.patch) step "applying $(basename "$f")" patch -d "$tmp/src" -p1 -i "$f" ;; esac
    done
    # Only the HV_ constants, without their comments: the rest of hvabi.h (the SBI numbers) Linux has already
    # in asm/sbi.h under the same names, as enumerators.
    { echo "/* Generated by rvhyp's scripts/build-linux.sh from its include/hvabi.h: do not edit. */"
      echo "#ifndef _ASM_RISCV_HVABI_H"
      echo "#define _ASM_RISCV_HVABI_H"
      sed -n 's|^\(#define HV_[A-Za-z0-9_]* [^/]*[^/ ]\).*|\1|p' "$tmp/pv.hvabi.h"
      echo "#endif"; } >"$tmp/src/arch/riscv/include/asm/hvabi.h"
fi

kstart=$SECONDS
step "make tinyconfig" "${kmake[@]}" tinyconfig
# -n: tinyconfig's .config plus the fragment go through allnoconfig, as tinyconfig itself does, so whatever the
# fragment makes visible stays off unless asked for (olddefconfig would switch on VT, input, HID, swap...).
step "merging $fragment" env -C "$tmp/src" ARCH=riscv CROSS_COMPILE="$cross" \
    scripts/kconfig/merge_config.sh -n .config "$tmp/kernel.config"
# Kconfig silently drops what it cannot satisfy: every line of the fragment must be in .config as written.
bad=0
while IFS= read -r line; do
    case "$line" in
    CONFIG_*=*)
        if ! grep -qxF -- "$line" "$tmp/src/.config"; then
            name=${line%%=*}
            got=$(grep -E "^$name=|^# $name is not set" "$tmp/src/.config" || echo "absent")
            echo "build-linux: $fragment asks $line but .config has: $got" >&2
            bad=1
        fi
        ;;
    "# CONFIG_"*" is not set")
        name=${line#\# }
        name=${name%% *}
        if grep -qE "^$name=" "$tmp/src/.config"; then
            echo "build-linux: $fragment turns $name off but .config has: $(grep -E "^$name=" "$tmp/src/.config")" >&2
            bad=1
        fi
        ;;
    esac
done <"$tmp/kernel.config"
if [ $bad -ne 0 ]; then
    cp "$tmp/src/.config" "$cache/$flavour-$key.failed.config"
    fail "the kernel configuration does not match $fragment (see above; result in $cache/$flavour-$key.failed.config)"
fi

step "building the kernel" "${kmake[@]}" Image
kernel_s=$((SECONDS - kstart))

# The static init: keep the unstripped ELF for debugging, put the stripped one in the initramfs.
step "compiling $init_c" ${cross}gcc -static -O2 -Wall -Wextra -Werror -o "$tmp/init.elf" "$tmp/init.c"
step "stripping init" ${cross}strip -o "$tmp/init" "$tmp/init.elf"

# gen_init_cpio writes the device node into the archive, so no root-owned node is ever made on the host.
gen="$tmp/src/usr/gen_init_cpio"
[ -x "$gen" ] || step "compiling gen_init_cpio" gcc -O2 -o "$gen" "$tmp/src/usr/gen_init_cpio.c"
cat >"$tmp/initramfs.list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
file /init $tmp/init 0755 0 0
EOF
# Fixed timestamps (-t for directories and nodes, the file's own mtime for /init): same init, same archive.
touch -d @0 "$tmp/init"
# shellcheck disable=SC2016 # the inner shell expands its own arguments
step "making initrd.cpio" sh -c '"$0" -t 0 "$1" >"$2"' "$gen" "$tmp/initramfs.list" "$tmp/initrd.cpio"
sed -i "s|$tmp/|<cache>/|" "$tmp/initramfs.list"

# Keep what is worth keeping (the images, symbols for decoding guest traps, the inputs, the config, the log)
# and drop the source tree; then publish the directory in one rename, so a directory named linux-<key> is
# always complete.
cp "$tmp/src/arch/riscv/boot/Image" "$tmp/src/vmlinux" "$tmp/src/System.map" "$tmp/"
cp "$tmp/src/.config" "$tmp/config"
rm -rf "$tmp/src"
chmod a-w "$tmp"/Image "$tmp"/initrd.cpio
chmod 755 "$tmp"
mv "$tmp" "$dir"
trap - EXIT
say "built in $((SECONDS - start))s (configure and make Image: ${kernel_s}s): Image $(stat -c %s "$dir/Image") bytes," \
    "initrd.cpio $(stat -c %s "$dir/initrd.cpio") bytes"
publish
