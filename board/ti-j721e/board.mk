# TI J721E (TDA4VM), as on the SK-TDA4VM starter kit: 2 Cortex-A72, GIC-500 (GICv3 with an
# ITS), 16550-style UARTs ("ti,am654-uart"), an SMMUv3 and Cadence PCIe hosts. Everything
# else about the hardware comes from the device tree U-Boot passes in x0; see README.md.

# Console for messages printed before (or instead of, when the DTB is unusable) discovery:
# MAIN_UART0, the SK's console (Linux's ttyS2, stdout-path "serial2"). Its registers are 32
# bits apart; the UART driver knows that from this compatible.
BOARD_EARLY_UART_COMPAT := ti,am654-uart
BOARD_EARLY_UART_BASE := 0x02800000

# Where to load portcullis.bin from U-Boot (docs/uboot.md): 2 MiB aligned, in DDR below
# OP-TEE (0x9e800000), clear of what TI's U-Boot environment uses for Linux (loadaddr
# 0x80080000, fdtaddr 0x82000000, overlayaddr 0x83000000), so the image may grow to 232 MiB.
BOARD_LOAD_ADDR := 0x90000000

# No QEMU_* settings: QEMU has no model of this SoC; it builds only (docs/boards.md).
