# SPDX-License-Identifier: MIT
# Booting as on a board: OpenSBI starts U-Boot, whose distro boot finds boot.scr on a disk partition;
# the script loads hyp.bin and a configuration's guests.img from beside it and starts them with booti.
# Included by the top Makefile after BUILD, Q and say are defined (they are used in rule headers).
#   make boot-script              $(BUILD)/boot.scr: scripts/boot.cmd compiled for U-Boot's source
#   make bootdisk [CONFIG=name]   $(BUILD)/bootdisk-<name>.img: an MBR disk whose one ext2 partition
#                                 holds boot.scr, hyp.bin and build/cfg/<name>/guests.img; copy it to
#                                 an SD card or attach it to QEMU as a virtio-blk disk
#   make run-bootdisk [CONFIG=name]   that disk booted on QEMU through OpenSBI and Debian's U-Boot

# A legacy script image (-T script): the header and CRC U-Boot's source command checks before
# running it. The name shows in U-Boot's "## Executing script" line.
$(BUILD)/boot.scr: scripts/boot.cmd
	@mkdir -p $(dir $@)
	$(Q)$(call say,MKIMAGE,$@)mkimage -q -A riscv -O linux -T script -C none -n "rvhyp boot script" \
		-d $< $@

$(BUILD)/bootdisk-%.img: $(BUILD)/boot.scr $(BUILD)/hyp.bin $(BUILD)/cfg/%/guests.img scripts/mkbootdisk.sh
	$(Q)$(call say,BOOTDISK,$@)scripts/mkbootdisk.sh $@ $(BUILD)/boot.scr $(BUILD)/hyp.bin \
		$(BUILD)/cfg/$*/guests.img

.PHONY: boot-script bootdisk run-bootdisk
boot-script: $(BUILD)/boot.scr
bootdisk: $(BUILD)/bootdisk-$(CONFIG).img

# U-Boot in place of the hypervisor as OpenSBI's payload. The run gets a copy of the disk: guests of a
# configuration with a host disk (disk = "host") are given this very disk and may write to it.
UBOOT_SMODE := /usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
run-bootdisk: setup
	@$(MAKE) --no-print-directory bootdisk CONFIG=$(CONFIG)
	@cp $(BUILD)/bootdisk-$(CONFIG).img $(BUILD)/run-bootdisk-$(CONFIG).img
	@DISK=$(BUILD)/run-bootdisk-$(CONFIG).img scripts/run-qemu.sh $(UBOOT_SMODE)
