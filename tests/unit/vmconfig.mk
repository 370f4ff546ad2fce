# VM configs read by tests/unit/test_vmconfig.c: each tests/unit/vmconfig/<name>.dts becomes
# $(VMCONFIG_DTB_DIR)/<name>.dtb. Most /include/ base.dtsi (a valid two-VM config) and change
# one thing. The blobs they /incbin/ are made here, in $(VMCONFIG_BLOB_DIR):
# - kernel.bin: 128 bytes with the arm64 Image magic "ARM\x64" (ARMd) at 0x38;
# - kernel.elf: an ELF64 little-endian AArch64 header (e_machine 183 = 0267); x86.elf the same
#   for x86-64 (62 = 076); short.bin: 63 bytes, one short of either header;
# - initrd.bin: 23 bytes of text;
# - args-2047.bin, args-2048.bin: that many characters and a NUL (bootargs at and past Linux's
#   limit);
# - guest.dtb: a guest DTB padded to 512 bytes; guest-cut.dtb: its first 100 bytes.
VMCONFIG_DTB_DIR := $(UNIT_DTB_DIR)/vmconfig
VMCONFIG_BLOB_DIR := $(VMCONFIG_DTB_DIR)/blobs
VMCONFIG_NAMES := $(basename $(notdir $(wildcard tests/unit/vmconfig/*.dts)))
VMCONFIG_DTBS := $(patsubst %,$(VMCONFIG_DTB_DIR)/%.dtb,$(VMCONFIG_NAMES))
VMCONFIG_BLOBS := $(addprefix $(VMCONFIG_BLOB_DIR)/,kernel.bin kernel.elf x86.elf short.bin \
	initrd.bin args-2047.bin args-2048.bin guest.dtb guest-cut.dtb)

UNIT_DTBS += $(VMCONFIG_DTBS)

$(VMCONFIG_DTBS): $(VMCONFIG_DTB_DIR)/%.dtb: tests/unit/vmconfig/%.dts \
		$(wildcard tests/unit/vmconfig/*.dtsi) $(VMCONFIG_BLOBS)
	dtc -q -I dts -O dtb -i $(VMCONFIG_BLOB_DIR) -o $@ $<

$(VMCONFIG_BLOB_DIR)/kernel.bin:
	@mkdir -p $(@D)
	{ head -c 56 /dev/zero; printf 'ARMd'; head -c 68 /dev/zero; } > $@

$(VMCONFIG_BLOB_DIR)/kernel.elf:
	@mkdir -p $(@D)
	{ printf '\177ELF\002\001\001'; head -c 9 /dev/zero; printf '\002\000\267\000'; \
	  head -c 44 /dev/zero; } > $@

$(VMCONFIG_BLOB_DIR)/x86.elf:
	@mkdir -p $(@D)
	{ printf '\177ELF\002\001\001'; head -c 9 /dev/zero; printf '\002\000\076\000'; \
	  head -c 44 /dev/zero; } > $@

$(VMCONFIG_BLOB_DIR)/short.bin: $(VMCONFIG_BLOB_DIR)/kernel.bin
	head -c 63 $< > $@

$(VMCONFIG_BLOB_DIR)/initrd.bin:
	@mkdir -p $(@D)
	printf 'portcullis test initrd\n' > $@

$(VMCONFIG_BLOB_DIR)/args-%.bin:
	@mkdir -p $(@D)
	{ head -c $* /dev/zero | tr '\000' a; printf '\000'; } > $@

$(VMCONFIG_BLOB_DIR)/guest.dtb:
	@mkdir -p $(@D)
	printf '/dts-v1/;\n/ { model = "guest"; };\n' | dtc -q -I dts -O dtb -S 512 -o $@ -

$(VMCONFIG_BLOB_DIR)/guest-cut.dtb: $(VMCONFIG_BLOB_DIR)/guest.dtb
	head -c 100 $< > $@
