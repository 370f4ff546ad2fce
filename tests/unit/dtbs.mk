# Device trees read by tests/unit/test_platform.c, made in $(UNIT_DTB_DIR):
# - qemu-*.dtb: dumped by the QEMU the boot tests use (dumpdtb), in several machine shapes;
# - <name>.dtb for each tests/unit/dts/<name>.dts: QEMU's tree with one deliberate change,
#   written as device-tree source that /include/s the decompiled QEMU tree;
# - truncated.dtb: the first 2000 bytes of a QEMU tree.
UNIT_DTB_DIR := build/unit/dtb

DTB_QEMU_REAL := qemu-smmu-smp8-4g qemu-nosmmu-smp1-512m qemu-smmu-smp130 qemu-gicv2
DTB_EDITED := $(basename $(notdir $(wildcard tests/unit/dts/*.dts)))
DTB_BASE := $(UNIT_DTB_DIR)/qemu-smmu-smp8-4g

UNIT_DTBS := $(patsubst %,$(UNIT_DTB_DIR)/%.dtb,$(DTB_QEMU_REAL) $(DTB_EDITED) truncated)

DTB_VIRT := virt,virtualization=on
$(UNIT_DTB_DIR)/qemu-smmu-smp8-4g.dtb: DTB_MACHINE := $(DTB_VIRT),gic-version=3,iommu=smmuv3
$(UNIT_DTB_DIR)/qemu-smmu-smp8-4g.dtb: DTB_SHAPE := -smp 8 -m 4G
$(UNIT_DTB_DIR)/qemu-nosmmu-smp1-512m.dtb: DTB_MACHINE := $(DTB_VIRT),gic-version=3
$(UNIT_DTB_DIR)/qemu-nosmmu-smp1-512m.dtb: DTB_SHAPE := -smp 1 -m 512M
# More CPUs than MAX_CPUS, and more than one redistributor region holds (123).
$(UNIT_DTB_DIR)/qemu-smmu-smp130.dtb: DTB_MACHINE := $(DTB_VIRT),gic-version=3,iommu=smmuv3
$(UNIT_DTB_DIR)/qemu-smmu-smp130.dtb: DTB_SHAPE := -smp 130 -m 1G
$(UNIT_DTB_DIR)/qemu-gicv2.dtb: DTB_MACHINE := $(DTB_VIRT),gic-version=2
$(UNIT_DTB_DIR)/qemu-gicv2.dtb: DTB_SHAPE := -smp 2 -m 512M

$(patsubst %,$(UNIT_DTB_DIR)/%.dtb,$(DTB_QEMU_REAL)): tests/unit/dtbs.mk | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(QEMU) -machine $(DTB_MACHINE),dumpdtb=$@ $(DTB_SHAPE) -cpu max -nographic -nic none

# Decompiled, without its /dts-v1/ header, so that a .dts can /include/ it after its own
# header and /memreserve/ lines.
$(DTB_BASE).dtsi: $(DTB_BASE).dtb
	dtc -q -I dtb -O dts $< | sed '/^\/dts-v1\/;$$/d' > $@.tmp && mv $@.tmp $@

$(patsubst %,$(UNIT_DTB_DIR)/%.dtb,$(DTB_EDITED)): $(UNIT_DTB_DIR)/%.dtb: tests/unit/dts/%.dts \
		$(DTB_BASE).dtsi
	dtc -q -I dts -O dtb -i $(UNIT_DTB_DIR) -o $@ $<

$(UNIT_DTB_DIR)/truncated.dtb: $(DTB_BASE).dtb
	head -c 2000 $< > $@
