# SPDX-License-Identifier: MIT
# The virtualizability census (docs/virtualizability.md): its kernel (guest-pv/census/), its bundle,
# and `make census`, which boots it natively, on the hext engine and on the trap engine and compares
# the three outputs (scripts/census.py). Included by the top-level Makefile after its variables
# (BUILD, CC, OBJCOPY, TARGET_CFLAGS, PYTHON, Q, say) and the configuration rules.

CENSUS_SRC := $(wildcard guest-pv/census/*.c guest-pv/census/*.S)
CENSUS_OBJ := $(patsubst guest-pv/census/%,$(BUILD)/census/%.o,$(CENSUS_SRC))

$(CENSUS_OBJ): $(BUILD)/census/%.o: guest-pv/census/%
	@mkdir -p $(dir $@)
	$(Q)$(call say,CC,$@)$(CC) $(TARGET_CFLAGS) -Iguest-pv/census -Iarch/riscv/include -MMD -MP -c $< -o $@

$(BUILD)/census/census.elf: $(CENSUS_OBJ) guest-pv/census/census.ld
	$(Q)$(call say,LD,$@)$(CC) $(TARGET_CFLAGS) -T guest-pv/census/census.ld \
		-Wl,--no-warn-rwx-segments -Wl,--gc-sections -o $@ $(CENSUS_OBJ)

$(BUILD)/census/census.bin: $(BUILD)/census/census.elf
	$(Q)$(call say,OBJCOPY,$@)$(OBJCOPY) -O binary $< $@

# configs/census.dts is a configuration like the others, so the Makefile's configuration rules make
# its bundle; without them (this file used on its own), the same command here.
ifeq ($(filter census,$(CONFIGS)),)
$(BUILD)/cfg/census/guests.img: configs/census.dts scripts/mkbundle.py $(BUILD)/census/census.bin
	@mkdir -p $(dir $@)
	$(Q)$(call say,BUNDLE,$@)$(PYTHON) scripts/mkbundle.py --include $(BUILD) -o $@ configs/census.dts
endif

.PHONY: census census-build census-share
census-build: $(BUILD)/hyp.bin $(BUILD)/census/census.elf $(BUILD)/cfg/census/guests.img

# Three QEMU runs (native, hext, trap) under -icount; logs in build/census/. Fails on an
# undocumented difference, or on a documented one that no longer shows.
census: census-build
	@$(PYTHON) scripts/census.py --build $(BUILD)

# The ">95 % on the hardware" figures of docs/virtualizability.md: Linux's boot and init natively and
# on both engines, counted under -icount (gdb-multiarch stops each run at power-off). Not in make test.
census-share: $(BUILD)/hyp.bin $(BUILD)/census/census.elf $(BUILD)/census/census.bin linux
	@$(PYTHON) scripts/census-share.py --build $(BUILD)

