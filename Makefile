# SPDX-License-Identifier: MIT
# One Makefile for the hypervisor, the guest-pv guests, the unit tests and the QEMU runs.
#   make run [CONFIG=name] [CPU=..] [SMP=..] [MACHINE=..] [MEM=..]   boot a configuration under QEMU
#   make run KERNEL=path/Image [INITRD=..] [BOOTARGS=..]               boot one guest of your own
#   make debug [CONFIG=name]                                         the same under gdb-multiarch
#   make test                                                        the whole suite
.DEFAULT_GOAL := all

CONFIG  ?= default
CROSS   ?= riscv64-unknown-elf-
CC      := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
HOSTCC  ?= gcc
BUILD   := build
PYTHON  := /usr/bin/python3
# V=1 shows every command; otherwise one short line per step.
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = printf '  %-8s %s\n' $(1) $(2);
endif

CONFIGS := $(patsubst configs/%.dts,%,$(wildcard configs/*.dts))
ifeq ($(filter $(CONFIG),$(CONFIGS)),)
$(error CONFIG=$(CONFIG) is not a configuration; choose one of: $(CONFIGS))
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
        -Wimplicit-fallthrough -Wvla -Wundef
TARGET_CFLAGS := -std=c11 -ffreestanding -nostdlib -fno-common -fno-pie -fno-stack-protector \
        -mcmodel=medany -march=rv64imac_zicsr_zifencei -mabi=lp64 -O2 -g $(WARN) \
        -fno-builtin-printf -ffunction-sections -fdata-sections
HYP_INC := -Ihyp -Ihyp/libc -Iinclude -Iarch/riscv/include -I$(BUILD)/include

# ---- hypervisor --------------------------------------------------------------------------------
HYP_C   := $(filter-out arch/riscv/asm-offsets.c,$(wildcard arch/riscv/*.c)) \
           $(wildcard hyp/*.c hyp/*/*.c)
HYP_S   := $(wildcard arch/riscv/*.S)
HYP_OBJ := $(patsubst %,$(BUILD)/hyp/%.o,$(HYP_C) $(HYP_S))

# Its dependencies are every header asm-offsets.c includes, directly or not (-MMD): a field added to
# a struct nested in struct vm moves the offsets the assembly uses.
$(BUILD)/include/asm-offsets.h: arch/riscv/asm-offsets.c
	@mkdir -p $(dir $@)
	$(Q)$(call say,GEN,$@)$(CC) $(TARGET_CFLAGS) $(HYP_INC) -MMD -MP -MT $@ -MF $@.d -S $< -o $@.s
	@{ echo "/* Generated from arch/riscv/asm-offsets.c: do not edit. */"; \
	   sed -n 's/.*->\([A-Z0-9_]*\) \([0-9]*\).*/#define \1 \2/p' $@.s; } > $@.tmp
	@mv $@.tmp $@

# -fPIE with hidden visibility: symbols are reached PC-relative (no GOT), and what still needs an
# absolute address (tables of pointers) gets a relocation head.S applies.
HYP_CFLAGS := $(TARGET_CFLAGS) -fPIE -fvisibility=hidden -include arch/riscv/include/arch/pie.h

$(HYP_OBJ): $(BUILD)/hyp/%.o: % $(BUILD)/include/asm-offsets.h
	@mkdir -p $(dir $@)
	$(Q)$(call say,CC,$@)$(CC) $(HYP_CFLAGS) $(HYP_INC) -MMD -MP -c $< -o $@

# One image for every board and configuration: linked at 0 as a position-independent executable that
# head.S relocates to wherever it was loaded. The bare-metal toolchain's ld cannot link a PIE, so the
# Linux toolchain's ld (binutils-riscv64-linux-gnu) links the bare-metal objects. Only R_RISCV_RELATIVE
# relocations are allowed: head.S knows no other kind, so the build fails if another appears.
PIE_LD      := riscv64-linux-gnu-ld
HYP_LDFLAGS := -T linker/hyp.ld --gc-sections --no-warn-rwx-segments -pie --no-dynamic-linker \
        -z notext -z norelro --hash-style=sysv --build-id=none

$(BUILD)/hyp.elf: $(HYP_OBJ) linker/hyp.ld
	$(Q)$(call say,LD,$@)$(PIE_LD) $(HYP_LDFLAGS) -o $@ $(HYP_OBJ) $$($(CC) -print-libgcc-file-name)
	$(Q)bad=$$($(CROSS)readelf -rW $@ | awk '/^ *[0-9a-f]+ +[0-9a-f]+ +R_RISCV/ && $$3 != "R_RISCV_RELATIVE"'); \
	    if [ -n "$$bad" ]; then echo "$@: relocations head.S cannot apply:"; echo "$$bad"; rm -f $@; exit 1; fi

$(BUILD)/hyp.bin: $(BUILD)/hyp.elf
	$(Q)$(call say,OBJCOPY,$@)$(OBJCOPY) -O binary $< $@

# build/reloc/hyp-<address>.elf: hyp.bin unchanged, wrapped in an ELF that loads it at <address>
# (QEMU's -kernel loads an ELF where it says, and fw_dynamic jumps to its entry): how the tests boot
# the one image at an address other than OpenSBI's default.
$(BUILD)/reloc/hyp-%.elf: $(BUILD)/hyp.bin
	@mkdir -p $(dir $@)
	@printf '    .section .text, "ax"\n    .incbin "%s"\n' $(abspath $<) > $@.S
	$(Q)$(call say,WRAP,$@)$(CC) -c $@.S -o $@.o && $(CROSS)ld -N --no-warn-rwx-segments -Ttext=$* -e $* -o $@ $@.o

# ---- configurations: guest bundles -------------------------------------------------------------
# configs/<name>.dts describes a configuration's guests and names their images with /incbin/; a path
# that is not absolute is found under $(BUILD) (guest-pv/demo.bin is build/guest-pv/demo.bin).
# `make bundle CONFIG=name` packs it into build/cfg/<name>/guests.img (scripts/mkbundle.py).
config_files = $(foreach p,$(shell sed -n 's|.*/incbin/("\([^"]*\)").*|\1|p' configs/$(1).dts | sort -u),\
                 $(if $(filter /%,$(p)),$(p),$(BUILD)/$(p)))

define config_rules
$(BUILD)/cfg/$(1)/guests.img: configs/$(1).dts scripts/mkbundle.py $(call config_files,$(1))
	@mkdir -p $$(dir $$@)
	$(Q)$$(call say,BUNDLE,$$@)$(PYTHON) scripts/mkbundle.py --include $(BUILD) -o $$@ configs/$(1).dts
endef
$(foreach c,$(CONFIGS),$(eval $(call config_rules,$(c))))

# ---- guest-pv ----------------------------------------------------------------------------------
# Every program is built in two flavours from one source: pv (hypercalls, SBI DBCN console) as
# build/guest-pv/NAME.bin, and fv (only what hardware offers: PTE writes and sfence.vma, the 16550 UART)
# as build/guest-pv/NAME_fv.bin.
GUEST_INC  := -Iguest-pv/include -Iinclude -Ihyp/lib -Ihyp -Ihyp/libc
GUEST_LIB  := $(wildcard guest-pv/kernel/*.c guest-pv/kernel/*.S) hyp/lib/format.c hyp/lib/string.c \
              hyp/fdt.c hyp/fdt_blob.c
GUEST_PROGS := $(patsubst guest-pv/progs/%.c,%,$(wildcard guest-pv/progs/*.c))
# A program may have parts of its own in guest-pv/progs/NAME/*.c, linked with it alone.
GUEST_PARTS := $(wildcard guest-pv/progs/*/*.c)

define guest_flavour
# $(1): flavour, $(2): suffix of the binaries
GUEST_OBJ_$(1) := $(patsubst %,$(BUILD)/guest-pv/$(1)/%.o,$(GUEST_LIB) $(GUEST_PARTS) \
                    $(patsubst %,guest-pv/progs/%.c,$(GUEST_PROGS)))
$$(GUEST_OBJ_$(1)): $(BUILD)/guest-pv/$(1)/%.o: %
	@mkdir -p $$(dir $$@)
	$(Q)$$(call say,CC,$$@)$(CC) $(TARGET_CFLAGS) $(GUEST_INC) -DGUEST_FLAVOUR_$(1) -MMD -MP -c $$< -o $$@

$(patsubst %,$(BUILD)/guest-pv/%$(2).elf,$(GUEST_PROGS)): $(BUILD)/guest-pv/%$(2).elf: \
		$(BUILD)/guest-pv/$(1)/guest-pv/progs/%.c.o $(patsubst %,$(BUILD)/guest-pv/$(1)/%.o,$(GUEST_LIB)) \
		guest-pv/guest.ld
	$(Q)$$(call say,LD,$$@)$(CC) $(TARGET_CFLAGS) -T guest-pv/guest.ld -Wl,--no-warn-rwx-segments \
		-o $$@ $$(filter %.o,$$^) -lgcc

$(patsubst %,$(BUILD)/guest-pv/%$(2).bin,$(GUEST_PROGS)): $(BUILD)/guest-pv/%$(2).bin: \
		$(BUILD)/guest-pv/%$(2).elf
	$(Q)$$(call say,OBJCOPY,$$@)$(OBJCOPY) -O binary $$< $$@
endef
$(eval $(call guest_flavour,pv,))
$(eval $(call guest_flavour,fv,_fv))
# $(1): flavour, $(2): suffix, $(3): program with parts of its own
define guest_parts
$(BUILD)/guest-pv/$(3)$(2).elf: $(patsubst %,$(BUILD)/guest-pv/$(1)/%.o,$(wildcard guest-pv/progs/$(3)/*.c))
endef
$(foreach p,$(patsubst guest-pv/progs/%/,%,$(sort $(dir $(GUEST_PARTS)))),\
    $(eval $(call guest_parts,pv,,$(p)))$(eval $(call guest_parts,fv,_fv,$(p))))

# ---- Linux guest: built once from Debian's linux-source-6.1, cached outside the tree -------------
IMAGE_linux := $(BUILD)/linux/Image
IMAGE_linux_initrd := $(BUILD)/linux/initrd.cpio
$(IMAGE_linux) $(IMAGE_linux_initrd) &: scripts/build-linux.sh configs/linux/kernel.config configs/linux/init.c
	$(Q)scripts/build-linux.sh $(BUILD)/linux

# The cooperative kernel: the same source, fragment and init plus guest-pv/linux/ (docs/architecture.md).
IMAGE_linux_pv := $(BUILD)/linux-pv/Image
IMAGE_linux_pv_initrd := $(BUILD)/linux-pv/initrd.cpio
$(IMAGE_linux_pv) $(IMAGE_linux_pv_initrd) &: scripts/build-linux.sh configs/linux/kernel.config \
		configs/linux/init.c include/hvabi.h $(wildcard guest-pv/linux/*)
	$(Q)scripts/build-linux.sh --pv $(BUILD)/linux-pv

.PHONY: linux linux-pv run-native
linux: $(IMAGE_linux)
linux-pv: $(IMAGE_linux_pv)

# The same kernel and init on QEMU without the hypervisor: the baseline for comparisons.
run-native: setup linux
	@scripts/run-linux-native.sh

# ---- disks: host disk images QEMU attaches as a virtio-blk device (scripts/run-qemu.sh DISK=) ----
# A configuration whose guests have a disk on the host disk names its image as DISK_<config>; make run
# uses that file in place, so it holds what the guests wrote when QEMU ends (tests boot copies).
DISK_linux := $(BUILD)/disk/ext2.img
DISK_linux-pv := $(BUILD)/disk/ext2.img
DISK_uboot := $(BUILD)/disk/ext2.img
DISK_blk   := $(BUILD)/disk/blk.img
DISKS := $(BUILD)/disk/ext2.img $(BUILD)/disk/blk.img

# An ext2 file system holding configs/disk/ (mke2fs -d, e2fsprogs).
$(BUILD)/disk/ext2.img: $(wildcard configs/disk/*)
	@mkdir -p $(dir $@)
	$(Q)$(call say,MKE2FS,$@)rm -f $@ && truncate -s 16M $@ && mke2fs -q -t ext2 -L rvhyp -d configs/disk -F $@

# A blank 8 MiB disk: configs/blk.c gives each of its guests a 4 MiB region of it.
$(BUILD)/disk/blk.img:
	@mkdir -p $(dir $@)
	$(Q)$(call say,DISK,$@)rm -f $@ && truncate -s 8M $@

.PHONY: disks
disks: $(DISKS)

# make boot-script, make bootdisk, make run-bootdisk: the U-Boot boot chain, as on a board.
include scripts/boot.mk
# make census: the sensitive-instruction census, natively and on both engines (docs/virtualizability.md).
include scripts/census.mk

# ---- top-level targets -------------------------------------------------------------------------
.PHONY: all setup hyp bundle guests configs run test unit e2e clean format-check bench

setup:
	@scripts/setup.sh

all: setup
	@$(MAKE) --no-print-directory configs

hyp: $(BUILD)/hyp.bin
bundle: $(BUILD)/cfg/$(CONFIG)/guests.img
guests: $(patsubst %,$(BUILD)/guest-pv/%.bin,$(GUEST_PROGS)) $(patsubst %,$(BUILD)/guest-pv/%_fv.bin,$(GUEST_PROGS))
configs: $(BUILD)/hyp.bin $(patsubst %,$(BUILD)/cfg/%/guests.img,$(CONFIGS))

# make run KERNEL=path/Image [INITRD=..] [BOOTARGS=".."] [VCPUS=n] [GUEST_MEM=256M] [DISK=..] [LOAD_OFFSET=..]
# boots one unmodified guest from a bundle made for this run (build/run/guests.img); the values reach
# scripts/mkbundle.py through the environment, so spaces, commas and quotes in BOOTARGS arrive intact.
ifdef KERNEL
export KERNEL INITRD BOOTARGS VCPUS GUEST_MEM DISK LOAD_OFFSET
run: setup
	@$(MAKE) --no-print-directory hyp
	@$(PYTHON) scripts/mkbundle.py --kernel "$$KERNEL" $${INITRD:+--initrd "$$INITRD"} \
	    $${BOOTARGS+--bootargs "$$BOOTARGS"} $${VCPUS:+--vcpus "$$VCPUS"} \
	    $${GUEST_MEM:+--memory "$$GUEST_MEM"} $${LOAD_OFFSET:+--load-offset "$$LOAD_OFFSET"} \
	    $${DISK:+--disk} -o $(BUILD)/run/guests.img
	@BUNDLE=$(BUILD)/run/guests.img scripts/run-qemu.sh $(BUILD)/hyp.bin
else
# A configuration's own disk is attached where the board has a virtio bus (QEMU's sifive_u has none:
# its guests run without their host disk there); DISK= attaches one anyway, or says why it cannot.
RUN_DISK = $(or $(DISK),$(if $(filter sifive_u%,$(MACHINE)),,$(DISK_$(CONFIG))))
run: setup
	@$(MAKE) --no-print-directory hyp bundle $(RUN_DISK) CONFIG=$(CONFIG)
	@BUNDLE=$(BUILD)/cfg/$(CONFIG)/guests.img DISK=$(RUN_DISK) scripts/run-qemu.sh $(BUILD)/hyp.bin
endif

# make debug [CONFIG=name]: that run paused at reset under QEMU's gdbstub, gdb-multiarch attached with
# the hypervisor's symbols where it runs and the guest-pv guest's (scripts/debug.sh, docs/debugging.md).
.PHONY: debug
debug: setup
	@$(MAKE) --no-print-directory hyp bundle $(or $(DISK),$(DISK_$(CONFIG))) CONFIG=$(CONFIG)
	@BUNDLE=$(BUILD)/cfg/$(CONFIG)/guests.img DISK=$(or $(DISK),$(DISK_$(CONFIG))) CONFIG=$(CONFIG) \
	    scripts/debug.sh $(BUILD)/hyp.bin

# ---- tests -------------------------------------------------------------------------------------
HOST_CFLAGS := -std=c11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
        -fno-omit-frame-pointer -Wall -Wextra -Werror -Wshadow -Wvla -D_DEFAULT_SOURCE
PTVAL_SRCS := $(wildcard hyp/pv/ptval*.c)
SHADOW_SRCS := arch/riscv/shadow.c arch/riscv/shadow_fill.c arch/riscv/shadow_vm.c arch/riscv/tpatch.c
UNIT_INC := -Ihyp -Iinclude -Iarch/riscv/include -Itests/unit

UNIT_fdt    := hyp/fdt.c hyp/fdt_blob.c
UNIT_fdt_hostile := hyp/fdt.c hyp/fdt_blob.c
UNIT_mm     := hyp/mm.c
UNIT_gstage := arch/riscv/gstage.c
UNIT_sbi    := $(wildcard hyp/sbi/*.c hyp/pv/*.c) hyp/guest_mem.c hyp/ramclean.c hyp/lib/format.c \
               hyp/blk/blk.c hyp/blk/hostq.c hyp/dev/vplic.c
UNIT_hc     := $(UNIT_sbi)
UNIT_hc_blk := $(UNIT_sbi)
UNIT_hc_shadow := $(UNIT_sbi)
UNIT_sta    := $(UNIT_sbi)
UNIT_format := hyp/lib/format.c
UNIT_boards := hyp/fdt.c hyp/fdt_blob.c hyp/platform.c
UNIT_sha256 := hyp/lib/sha256.c
UNIT_bundle := hyp/bundle.c hyp/fdt_blob.c hyp/fdt_write.c hyp/lib/sha256.c hyp/lib/format.c
UNIT_fdt_write := hyp/fdt_write.c hyp/fdt.c hyp/fdt_blob.c
UNIT_vuart  := hyp/dev/vuart.c
UNIT_vplic  := hyp/dev/vplic.c
UNIT_hostq  := hyp/blk/hostq.c
UNIT_vblk   := hyp/dev/vblk.c hyp/dev/vblk_mmio.c
UNIT_vblk_work := hyp/dev/vblk.c hyp/dev/vblk_mmio.c
UNIT_vblk_later := hyp/dev/vblk.c hyp/dev/vblk_mmio.c
UNIT_insn   := arch/riscv/insn.c
UNIT_mmio   :=
UNIT_ptval  := $(PTVAL_SRCS)
UNIT_ptval_random := $(PTVAL_SRCS)
UNIT_ptval_budget := $(PTVAL_SRCS)
UNIT_privemu := arch/riscv/privemu.c
UNIT_privemu_traps := arch/riscv/privemu.c
UNIT_vpage  := arch/riscv/vpage.c arch/riscv/privemu.c
UNIT_tvpage := $(UNIT_sbi) arch/riscv/tvpage.c arch/riscv/vpage.c arch/riscv/privemu.c
UNIT_shadow := $(SHADOW_SRCS)
UNIT_shadow_fill := $(SHADOW_SRCS)
UNIT_shadow_wp := $(SHADOW_SRCS)
UNIT_shadow_cache := $(SHADOW_SRCS)
UNIT_shadow_span := $(SHADOW_SRCS)
UNIT_shadow_around := $(SHADOW_SRCS)
UNIT_shadow_fenced := $(SHADOW_SRCS)
UNIT_tpatch := $(SHADOW_SRCS)
UNIT_memop  := arch/riscv/memop.c arch/riscv/insn.c
UNIT_vm     := hyp/vm.c hyp/ramclean.c hyp/lib/format.c
UNIT_ramclean := hyp/ramclean.c
UNIT_conout := hyp/conout.c
UNIT_string :=
UNIT_runq   := hyp/runq.c
UNIT_TESTS  := $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))

.SECONDEXPANSION:
$(BUILD)/unit/test_%: tests/unit/test_%.c tests/unit/check.c $(wildcard tests/unit/*.h) $$(UNIT_$$*)
	@mkdir -p $(dir $@)
	$(Q)$(call say,HOSTCC,$@)$(HOSTCC) $(HOST_CFLAGS) $(UNIT_INC) -o $@ tests/unit/check.c $< $(UNIT_$*)

$(BUILD)/unit/dtb/%.dtb: tests/unit/data/%.dts
	@mkdir -p $(dir $@)
	$(Q)$(call say,DTC,$@)dtc -q -I dts -O dtb -o $@ $<

unit: $(patsubst %,$(BUILD)/unit/test_%,$(UNIT_TESTS)) \
      $(patsubst tests/unit/data/%.dts,$(BUILD)/unit/dtb/%.dtb,$(wildcard tests/unit/data/*.dts))

test: setup
	@$(MAKE) --no-print-directory configs unit disks
	@$(PYTHON) -m pytest -q -p no:cacheprovider tests $(PYTEST_ARGS)

# ---- host fuzzers: libFuzzer (clang) over the pure modules, tests/fuzz/ ----------------------------
# make fuzz-host [FUZZ_SECONDS=60] [FUZZ_JOBS=1]: runs every fuzzer for FUZZ_SECONDS seconds from its
# seeds (tests/fuzz/corpus/NAME), prints executions and crashes per target, fails if one crashed.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
FUZZ_CFLAGS  := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -fno-omit-frame-pointer -Wall -Wextra -Werror -Wshadow -Wvla -D_DEFAULT_SOURCE \
        -fsanitize-coverage-ignorelist=tests/fuzz/coverage-ignore.txt
FUZZ_INC     := -Ihyp -Iinclude -Iarch/riscv/include -Itests/fuzz
FUZZ_fdt       := hyp/fdt.c hyp/fdt_blob.c
FUZZ_bundle    := hyp/bundle.c hyp/fdt_blob.c hyp/lib/sha256.c hyp/lib/format.c
FUZZ_fdt_write := hyp/fdt_write.c hyp/fdt.c hyp/fdt_blob.c
FUZZ_insn      := arch/riscv/insn.c arch/riscv/memop.c
FUZZ_privemu   := arch/riscv/privemu.c
FUZZ_ptval     := $(PTVAL_SRCS)
FUZZ_sbi       := tests/fuzz/sbi_stubs.c $(UNIT_sbi)
FUZZERS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) tests/fuzz/coverage-ignore.txt \
                      $$(FUZZ_$$*)
	@mkdir -p $(dir $@)
	$(Q)$(call say,FUZZCC,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_INC) -o $@ $< $(FUZZ_$*)

.PHONY: fuzz-build fuzz-host
fuzz-build: $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZERS))

fuzz-host: setup
	@$(MAKE) --no-print-directory fuzz-build
	@BUILD=$(abspath $(BUILD)) FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

# ---- guest fuzzing: configs/fuzz.c on both engines -----------------------------------------------
# make fuzz [FUZZ_SEED=1] [FUZZ_N=500000] [FUZZ_EVERY=10000] [FUZZ_TIMEOUT=1800]: two fuzz guests
# (guest-pv/progs/fuzz.c, pv and fv flavours) run FUZZ_N operations each from FUZZ_SEED beside two
# canaries (the demo guest, and the heartbeat guest with about as many beats as the fuzzers take), on
# the hext engine (CPU=rv64) and on the trap engine (CPU=rv64,h=false); logs in build/guestfuzz/.
# Fails unless both fuzz guests and both canaries finish, with no panic, no result the fuzzer flags as
# unexpected, and QEMU exiting 0. A failure replays with the same seed and FUZZ_N; fuzz.trace=I in
# hyp.guestargs prints every operation from iteration I on.
FUZZ_SEED    ?= 1
FUZZ_N       ?= 500000
FUZZ_EVERY   ?= 10000
FUZZ_TIMEOUT ?= 1800

.PHONY: fuzz
fuzz: setup
	@$(MAKE) --no-print-directory hyp bundle CONFIG=fuzz
	@mkdir -p $(BUILD)/guestfuzz
	@fail=0; for e in hext:rv64 trap:rv64,h=false; do \
	    name=$${e%%:*}; log=$(BUILD)/guestfuzz/$$name-seed$(FUZZ_SEED).log; start=$$(date +%s); \
	    args=fuzz.seed=$(FUZZ_SEED),fuzz.n=$(FUZZ_N),fuzz.every=$(FUZZ_EVERY); \
	    CPU=$${e#*:} TIMEOUT=$(FUZZ_TIMEOUT) APPEND=hyp.guestargs=$$args,canary.beats=$$(( $(FUZZ_N) / 30 + 10 )) \
	        BUNDLE=$(BUILD)/cfg/fuzz/guests.img scripts/run-qemu.sh $(BUILD)/hyp.bin < /dev/null > $$log 2>&1; rc=$$?; \
	    done=$$(grep -ac 'fuzz: done seed $(FUZZ_SEED), $(FUZZ_N) operations' $$log); \
	    bad=$$(grep -aEc 'PANIC|fuzz: UNEXPECTED' $$log); \
	    canaries=$$(grep -aEc '^\[demo\] demo done|^\[canary\] canary: done' $$log); \
	    last=$$(grep -aE '^\[(canary|fuzz|fuzzfv)\] (canary|fuzz): done' $$log | tail -1 | cut -c2-7); \
	    verdict=ok; \
	    if [ $$rc -ne 0 ] || [ $$done -ne 2 ] || [ $$bad -ne 0 ] || [ $$canaries -ne 2 ]; then \
	        verdict=FAILED; fail=1; fi; \
	    echo "fuzz: $$name: seed $(FUZZ_SEED), $$done of 2 guests did $(FUZZ_N) operations," \
	         "$$canaries of 2 canaries done (heartbeat to the end: $$([ "$$last" = canary ] && echo yes || echo no))," \
	         "$$bad panics/unexpected, QEMU exit $$rc, $$(( $$(date +%s) - start )) s: $$verdict ($$log)"; \
	done; exit $$fail

# Deterministic counts (QEMU -icount): build/bench/results.csv, docs/bench.md, docs/bench.svg.
bench: setup
	@scripts/setup.sh bench
	@$(MAKE) --no-print-directory configs linux linux-pv
	@$(PYTHON) scripts/bench_capacity.py
	@$(PYTHON) scripts/bench.py

format-check:
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
