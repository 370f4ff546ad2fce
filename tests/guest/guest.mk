# The bare-metal test guest (tests/guest), linked for RAM at GUEST_RAM_BASE: where the
# test configs put a VM's RAM. test-guest-qemu.bin is the same guest linked where QEMU virt
# loads an arm64 Image whose text_offset is 0 (2 MiB into its RAM, past QEMU's boot code), for
# make bench to run it straight on QEMU as well (role=msibench).
GUEST_BUILD := build/guest
GUEST_RAM_BASE := 0x80000000
GUEST_QEMU_RAM_BASE := 0x40200000
GUEST_RAM_SIZE := 0x4000000
GUEST_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdlib \
	-mgeneral-regs-only -mstrict-align -fno-stack-protector -fno-pie -no-pie \
	-DGUEST_RAM_SIZE=$(GUEST_RAM_SIZE)ULL

GUEST_SRCS := tests/guest/head.S $(wildcard tests/guest/*.c)

# $(call guest-link,RAM base): compile and link the guest for RAM at that address.
guest-link = $(CC) $(GUEST_CFLAGS) -DGUEST_RAM_BASE=$(1)ULL -Wl,--defsym=GUEST_RAM_BASE=$(1) \
	-Wl,-T,tests/guest/guest.ld -Wl,--build-id=none -Wl,--no-warn-rwx-segments -o $@ \
	$(GUEST_SRCS)

$(GUEST_BUILD)/test-guest.elf: $(GUEST_SRCS) $(wildcard tests/guest/*.h) tests/guest/guest.ld \
		tests/guest/guest.mk | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(call guest-link,$(GUEST_RAM_BASE))

$(GUEST_BUILD)/test-guest-qemu.elf: $(GUEST_SRCS) $(wildcard tests/guest/*.h) \
		tests/guest/guest.ld tests/guest/guest.mk | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(call guest-link,$(GUEST_QEMU_RAM_BASE))

$(GUEST_BUILD)/%.bin: $(GUEST_BUILD)/%.elf
	$(OBJCOPY) -O binary $< $@

.PHONY: test-guest
test-guest: $(GUEST_BUILD)/test-guest.bin $(GUEST_BUILD)/test-guest-qemu.bin
