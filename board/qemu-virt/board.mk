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
