# Arm Fixed Virtual Platform "FVP Base RevC" (FVP_Base_RevC-2xAEMvA): 8 CPUs in two clusters,
# GICv3 with an ITS, PL011 UARTs, an SMMUv3 and a generic ECAM PCIe host. Everything else
# about the hardware comes from the device tree the firmware passes in x0; see README.md.

# Console for messages printed before (or instead of, when the DTB is unusable) discovery:
# UART0 of the motherboard (v2m_serial0), the one TF-A and U-Boot print on.
BOARD_EARLY_UART_COMPAT := arm,pl011
BOARD_EARLY_UART_BASE := 0x1c090000

# Where to load portcullis.bin from U-Boot (docs/uboot.md): 2 MiB aligned, in DRAM, clear of
# the firmware's reservations and of where U-Boot keeps the DTB (tests/unit/test_boards.c).
BOARD_LOAD_ADDR := 0x90000000

# No QEMU_* settings: QEMU has no model of this machine; it builds only (docs/boards.md).
