# Real boards' device trees and the boards' default configs, read by tests/unit/test_boards.c.
#
# The trees are compiled here from Debian's linux-source-6.12 (tools/deps.sh installs it) as
# Linux's own build does (scripts/Makefile.lib: cpp, then dtc); nothing of them is copied into
# the repository. Only what they need is extracted, into $(LINUX_DTS_DIR):
# arch/arm64/boot/dts/{arm,ti,hisilicon}, include/dt-bindings, and the one uapi header that
# include/dt-bindings/input/linux-event-codes.h links to.
LINUX_DTS_TAR ?= /usr/src/linux-source-6.12.tar.xz
LINUX_DTS_TOP := linux-source-6.12
LINUX_DTS_DIR := $(UNIT_BUILD)/linux-dts
LINUX_DTS_STAMP := $(LINUX_DTS_DIR)/.extracted
LINUX_DTS_PATHS := arch/arm64/boot/dts/arm arch/arm64/boot/dts/ti arch/arm64/boot/dts/hisilicon \
	include/dt-bindings include/uapi/linux/input-event-codes.h

# <vendor folder>/<name>: each becomes $(BOARD_DTB_DIR)/<name>.dtb
BOARD_REAL_DTS := arm/fvp-base-revc ti/k3-j721e-sk hisilicon/hip07-d05
BOARD_DTB_DIR := $(UNIT_DTB_DIR)/boards
BOARD_REAL_DTBS := $(patsubst %,$(BOARD_DTB_DIR)/%.dtb,$(notdir $(BOARD_REAL_DTS)))

# Each board's default.dts, with the dummy kernel and initrd of tests/unit/vmconfig.mk:
# $(BOARD_DTB_DIR)/<board>-default.dtb.
BOARD_NAMES := $(patsubst board/%/default.dts,%,$(wildcard board/*/default.dts))
BOARD_CONFIG_DTBS := $(patsubst %,$(BOARD_DTB_DIR)/%-default.dtb,$(BOARD_NAMES))
BOARD_CONFIG_DEFS := $(foreach i,0 1 2 3, \
	-DVM$(i)_KERNEL='"$(abspath $(VMCONFIG_BLOB_DIR)/kernel.bin)"' \
	-DVM$(i)_INITRD='"$(abspath $(VMCONFIG_BLOB_DIR)/initrd.bin)"')

UNIT_DTBS += $(BOARD_REAL_DTBS) $(BOARD_CONFIG_DTBS)

$(LINUX_DTS_STAMP): $(LINUX_DTS_TAR) tests/unit/boards.mk | $(DEPS_STAMP)
	@rm -rf $(LINUX_DTS_DIR) && mkdir -p $(LINUX_DTS_DIR)
	tar -xJf $< -C $(LINUX_DTS_DIR) --strip-components=1 \
		$(addprefix $(LINUX_DTS_TOP)/,$(LINUX_DTS_PATHS))
	@touch $@

# As Linux's dtc_cpp_flags do, less the warnings: the trees are read as they are.
define board_dtb_rule
$(BOARD_DTB_DIR)/$(notdir $(1)).dtb: $(LINUX_DTS_STAMP)
	@mkdir -p $$(@D)
	cpp -nostdinc -I $(LINUX_DTS_DIR)/include -I $(LINUX_DTS_DIR)/arch/arm64/boot/dts \
		-undef -D__DTS__ -x assembler-with-cpp -o $$@.pp \
		$(LINUX_DTS_DIR)/arch/arm64/boot/dts/$(1).dts
	dtc -q -I dts -O dtb -o $$@ $$@.pp
endef
$(foreach d,$(BOARD_REAL_DTS),$(eval $(call board_dtb_rule,$(d))))

$(BOARD_CONFIG_DTBS): $(BOARD_DTB_DIR)/%-default.dtb: board/%/default.dts \
		$(VMCONFIG_BLOB_DIR)/kernel.bin $(VMCONFIG_BLOB_DIR)/initrd.bin
	@mkdir -p $(@D)
	cpp -nostdinc -undef -x assembler-with-cpp -P -I board/$* $(BOARD_CONFIG_DEFS) $< \
		| dtc -q -I dts -O dtb -o $@ -
