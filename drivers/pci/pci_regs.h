/*
 * PCI configuration space registers, prefixed by header. Sources:
 *   [PCI]  PCI Local Bus Specification 3.0, 6.1 and 6.2 (the type 0 header)
 *   [P2P]  PCI-to-PCI Bridge Architecture Specification 1.2, 3.2 (the type 1 header)
 *   [PCIE] PCI Express Base Specification 4.0, 7.2.2 (ECAM)
 */
#ifndef DRIVERS_PCI_PCI_REGS_H
#define DRIVERS_PCI_PCI_REGS_H

#include "core/lib/bits.h"

/* [PCIE] 7.2.2: ECAM offset of a register, from the first bus of the window. */
#define PCI_ECAM_BUS GENMASK(27, 20)
#define PCI_ECAM_DEVFN GENMASK(19, 12) /* device 19:15, function 14:12 */
#define PCI_ECAM_REG GENMASK(11, 0)
#define PCI_CFG_SPACE_SIZE 0x1000 /* per function, with the PCIe extended space */
#define PCI_BUS_CFG_SIZE (1ULL << 20)

/* [PCI] 6.1: the header common to every type */
#define PCI_VENDOR_ID 0x00
#define PCI_VENDOR_ID_NONE 0xffff /* read when no function answers */
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO BIT(0)
#define PCI_COMMAND_MEMORY BIT(1)
#define PCI_COMMAND_MASTER BIT(2)
#define PCI_COMMAND_INTX_DISABLE BIT(10)
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST BIT(4)
#define PCI_CLASS_REVISION 0x08
#define PCI_CLASS_REVISION_CLASS GENMASK(31, 8) /* base class, sub-class, programming i/f */
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_TYPE_LAYOUT GENMASK(6, 0)
#define PCI_HEADER_TYPE_NORMAL 0
#define PCI_HEADER_TYPE_BRIDGE 1
#define PCI_HEADER_TYPE_MULTI_FN BIT(7)

/* [PCI] 6.2.5.1: Base Address Registers */
#define PCI_BAR(n) (0x10 + 4 * (n))
#define PCI_BAR_IO BIT(0)
#define PCI_BAR_IO_ADDR GENMASK(31, 2)
#define PCI_BAR_MEM_TYPE GENMASK(2, 1)
#define PCI_BAR_MEM_TYPE_32 0
#define PCI_BAR_MEM_TYPE_64 2
#define PCI_BAR_MEM_PREFETCH BIT(3)
#define PCI_BAR_MEM_ADDR GENMASK(31, 4)
#define PCI_NUM_BARS_NORMAL 6
#define PCI_NUM_BARS_BRIDGE 2

/* [PCI] 6.7: the capabilities list */
#define PCI_CAPABILITY_LIST 0x34
#define PCI_MAX_CAPS 48 /* (256 - 64) / 4: a longer list is a loop */

/* [PCIE] 7.5.3.2: the PCI Express Capability's Device/Port Type, of the bridges a walk up
 * from a device meets (PCIe Base 2.2.6.2 and the PCIe-to-PCI Bridge 1.0, 2.3: their DMA
 * aliases, drivers/pci/pci_route.c) */
#define PCI_CAP_ID_EXP 0x10
#define PCI_EXP_FLAGS 2 /* after the ID and next pointer */
#define PCI_EXP_FLAGS_TYPE GENMASK(7, 4)
#define PCI_EXP_TYPE_ROOT_PORT 0x4
#define PCI_EXP_TYPE_UPSTREAM 0x5
#define PCI_EXP_TYPE_DOWNSTREAM 0x6
#define PCI_EXP_TYPE_PCI_BRIDGE 0x7 /* PCI Express to PCI/PCI-X bridge */

/* [PCI] 6.2.4: interrupt pin, 0 = none, 1..4 = INTA#..INTD# */
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_INTERRUPT_PIN_MAX 4

/* [P2P] 3.2.5: the type 1 header of a PCI-to-PCI bridge */
#define PCI_PRIMARY_BUS 0x18
#define PCI_SECONDARY_BUS 0x19
#define PCI_SUBORDINATE_BUS 0x1a
#define PCI_IO_BASE 0x1c  /* 8 bits: address 15:12 in 7:4; 3:0 the addressing capability */
#define PCI_IO_LIMIT 0x1d
#define PCI_IO_ADDR GENMASK(7, 4)
#define PCI_IO_ADDR_SHIFT 12 /* the address bit PCI_IO_ADDR starts at */
#define PCI_IO_GRANULE SZ_4K
#define PCI_IO_BASE_UPPER16 0x30 /* and the limit's at 0x32, for 32-bit I/O decoding */
#define PCI_MEMORY_BASE 0x20 /* 16 bits: address 31:20 in 15:4 */
#define PCI_MEMORY_LIMIT 0x22
#define PCI_PREF_MEMORY_BASE 0x24 /* as the memory window; 3:0 the addressing capability */
#define PCI_PREF_MEMORY_LIMIT 0x26
#define PCI_PREF_BASE_UPPER32 0x28
#define PCI_PREF_LIMIT_UPPER32 0x2c
#define PCI_PREF_RANGE_TYPE GENMASK(3, 0)
#define PCI_PREF_RANGE_TYPE_64 1
#define PCI_MEM_ADDR GENMASK(15, 4)
#define PCI_MEM_ADDR_SHIFT 20
#define PCI_MEM_GRANULE 0x100000 /* bridge memory windows: 1 MiB */

#endif
