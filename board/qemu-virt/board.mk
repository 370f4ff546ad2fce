# QEMU's virt machine (hw/arm/virt.c). Everything else about the hardware comes from the
# device tree QEMU passes in x0.

# Console for messages printed before (or instead of, when the DTB is unusable) discovery.
BOARD_EARLY_UART_COMPAT := arm,pl011
BOARD_EARLY_UART_BASE := 0x09000000

# How tests and `make run` start this board.
QEMU_MACHINE := virt,virtualization=on,gic-version=3,iommu=smmuv3
QEMU_CPU := max
QEMU_SMP := 4
QEMU_MEM := 2G
# The PCI devices default.dts assigns (00:02.0 nvme and 00:03.0 virtio-blk to linux0, behind
# its virtio-iommu; 00:04.0 nvme to linux1), each on a disk image in build/run/ (64 MiB,
# made on first use). tests/linux/test_portcullis.py starts QEMU the same way.
RUN_DISKS := disk0 disk1 disk2
QEMU_RUN_DEVICES := \
	-device nvme,dbcs=off,serial=d0,drive=disk0,bus=pcie.0,addr=2.0 \
	-device virtio-blk-pci,drive=disk1,iommu_platform=on,disable-legacy=on,bus=pcie.0,addr=3.0 \
	-device nvme,dbcs=off,serial=d2,drive=disk2,bus=pcie.0,addr=4.0
