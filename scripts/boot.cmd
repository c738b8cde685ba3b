# SPDX-License-Identifier: MIT
# U-Boot boot script: starts the hypervisor (hyp.bin) with its guest bundle (guests.img) from the
# partition this script was read from. `make boot-script` compiles it to boot.scr with mkimage.
#
# U-Boot distro boot (bootcmd=run distro_bootcmd) scans each boot device for boot.scr.uimg and
# boot.scr, in / then in /boot/, on the partitions marked bootable (else the first), and sources the
# first it finds with devtype, devnum, distro_bootpart and prefix naming where that was: hyp.bin and
# guests.img are read from the same directory.
#
# The hypervisor finds its bundle where Linux finds an initrd, through /chosen linux,initrd-start and
# linux,initrd-end. `booti <kernel> <initrd>:<size> <fdt>` cannot say so here: the bundle is a device
# tree, so U-Boot takes it for a FIT image, looks in it for a ramdisk subimage and gives up ("Could
# not find subimage node type ramdisk"). So this script writes the two properties itself, into a copy
# of the device tree at fdt_addr_r, and boots with no initrd (booti <kernel> - <fdt>), which leaves
# them as they are. Hypervisor options (hyp.engine=trap, ...) go in bootargs: booti copies them.
#
# Hush reads this file: no apostrophes outside comments (they start a quoted string).

# Distro boot sets these as shell variables, not in the environment (so no `env exists` here). When
# the script is sourced by hand they may be unset: assume the first partition of the first virtio
# disk (QEMU virt) and say so; set them before sourcing to point elsewhere. The defaults are shell
# variables too: hush cannot set a shell variable that also exists in the environment, so a setenv
# here would freeze the loops of a later distro boot (for prefix in ...) at this value.
if test -z "${devtype}"; then
    devtype=virtio
    echo "boot.scr: devtype not set (not started by distro boot?): assuming virtio"
fi
if test -z "${devnum}"; then
    devnum=0
fi
if test -z "${distro_bootpart}"; then
    distro_bootpart=1
fi
if test -z "${prefix}"; then
    prefix=/
fi
echo "boot.scr: booting from ${devtype} ${devnum}:${distro_bootpart}, directory ${prefix}"

# Each step clears hyp_ok on failure rather than stopping, so one run names every missing file.
setenv hyp_ok 1

# The device tree, copied or loaded to fdt_addr_r so that U-Boot keeps its own intact. By default it
# is the one U-Boot runs on (fdtcontroladdr), as the firmware handed it over (QEMU builds it; on a
# board OpenSBI passes on what the previous stage gave it). A board whose U-Boot names its DTB in
# fdtfile may carry a newer one beside this script: then that is used. Either way it is given room to
# grow to hyp_fdt_size (for the properties added below), with booti adding 12 KiB of its own: well
# short of what U-Boot keeps 1 MiB above fdt_addr_r (scriptaddr, this script, on QEMU virt;
# ramdisk_addr_r on the VisionFive 2).
setenv hyp_fdt_size 0x20000
if test -n "${fdtfile}" && test -e ${devtype} ${devnum}:${distro_bootpart} ${prefix}${fdtfile}; then
    echo "boot.scr: loading device tree ${prefix}${fdtfile} to ${fdt_addr_r}"
    load ${devtype} ${devnum}:${distro_bootpart} ${fdt_addr_r} ${prefix}${fdtfile} || setenv hyp_ok 0
    fdt addr ${fdt_addr_r} ${hyp_fdt_size} || setenv hyp_ok 0
else
    if test -n "${fdtfile}"; then
        echo "boot.scr: no ${prefix}${fdtfile} here"
    fi
    echo "boot.scr: copying the device tree U-Boot runs on (${fdtcontroladdr}) to ${fdt_addr_r}"
    fdt move ${fdtcontroladdr} ${fdt_addr_r} ${hyp_fdt_size} || setenv hyp_ok 0
fi

# The hypervisor: a RISC-V Linux Image, so booti checks its header and moves it to the start of RAM
# plus its text_offset before jumping to it.
if test -e ${devtype} ${devnum}:${distro_bootpart} ${prefix}hyp.bin; then
    echo "boot.scr: loading ${prefix}hyp.bin to ${kernel_addr_r}"
    load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} ${prefix}hyp.bin || setenv hyp_ok 0
else
    echo "boot.scr: ERROR: no ${prefix}hyp.bin on ${devtype} ${devnum}:${distro_bootpart}"
    setenv hyp_ok 0
fi

# The guest bundle: load leaves its size (hex) in filesize.
if test -e ${devtype} ${devnum}:${distro_bootpart} ${prefix}guests.img; then
    echo "boot.scr: loading ${prefix}guests.img to ${ramdisk_addr_r}"
    if load ${devtype} ${devnum}:${distro_bootpart} ${ramdisk_addr_r} ${prefix}guests.img; then
        setenv hyp_bundle_size ${filesize}
    else
        setenv hyp_ok 0
    fi
else
    echo "boot.scr: ERROR: no ${prefix}guests.img on ${devtype} ${devnum}:${distro_bootpart}"
    setenv hyp_ok 0
fi

if test "${hyp_ok}" = 1; then
    # As booti would write them for an initrd: two cells each (Linux and the hypervisor take the
    # property length as the number size), the end exclusive. `fdt chosen <start> <size>` is no use:
    # in this U-Boot it stores start + size - 1 as the end. The /memreserve/ entry is what booti adds
    # too: a U-Boot that moves the device tree (fdt_high not all ones) then keeps it off the bundle.
    setexpr hyp_bundle_end ${ramdisk_addr_r} + ${hyp_bundle_size}
    setexpr hyp_start_hi ${ramdisk_addr_r} / 100000000
    setexpr hyp_start_lo ${ramdisk_addr_r} % 100000000
    setexpr hyp_end_hi ${hyp_bundle_end} / 100000000
    setexpr hyp_end_lo ${hyp_bundle_end} % 100000000
    echo "boot.scr: bundle at ${ramdisk_addr_r}, 0x${hyp_bundle_size} bytes: /chosen linux,initrd-start/-end"
    fdt addr ${fdt_addr_r}
    # Creates /chosen if the tree has none.
    fdt chosen
    fdt set /chosen linux,initrd-start "<0x${hyp_start_hi} 0x${hyp_start_lo}>" || setenv hyp_ok 0
    fdt set /chosen linux,initrd-end "<0x${hyp_end_hi} 0x${hyp_end_lo}>" || setenv hyp_ok 0
    fdt rsvmem add ${ramdisk_addr_r} ${hyp_bundle_size} || setenv hyp_ok 0
fi

if test "${hyp_ok}" = 1; then
    echo "boot.scr: booti ${kernel_addr_r} - ${fdt_addr_r}"
    booti ${kernel_addr_r} - ${fdt_addr_r}
    # booti only comes back when it refused the image or the device tree.
    echo "boot.scr: ERROR: booti failed (see above): hypervisor not started"
else
    echo "boot.scr: ERROR: missing or unreadable files (see above): hypervisor not started"
fi
