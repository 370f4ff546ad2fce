# The bare-metal test guest (tests/guest), linked for RAM at GUEST_RAM_BASE.
GUEST_BUILD := build/guest
GUEST_RAM_BASE := 0x80000000
GUEST_RAM_SIZE := 0x4000000
GUEST_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdlib \
	-mgeneral-regs-only -mstrict-align -fno-stack-protector -fno-pie -no-pie \
	-DGUEST_RAM_BASE=$(GUEST_RAM_BASE)ULL -DGUEST_RAM_SIZE=$(GUEST_RAM_SIZE)ULL

GUEST_SRCS := tests/guest/head.S $(wildcard tests/guest/*.c)

$(GUEST_BUILD)/test-guest.elf: $(GUEST_SRCS) $(wildcard tests/guest/*.h) tests/guest/guest.ld \
		tests/guest/guest.mk | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -Wl,--defsym=GUEST_RAM_BASE=$(GUEST_RAM_BASE) -Wl,-T,tests/guest/guest.ld \
		-Wl,--build-id=none -Wl,--no-warn-rwx-segments -o $@ $(GUEST_SRCS)

$(GUEST_BUILD)/test-guest.bin: $(GUEST_BUILD)/test-guest.elf
	$(OBJCOPY) -O binary $< $@

.PHONY: test-guest
test-guest: $(GUEST_BUILD)/test-guest.bin
