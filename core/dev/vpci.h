/*
 * PCI devices given to a VM (docs/config.md `pci-devices`). The VM sees an emulated ECAM at
 * the host ECAM's address holding only its devices and the bridges above them: other
 * functions read as absent, BARs stay where the hypervisor put them (sizing works, moving
 * does not), and only the command register's decode, bus-master and INTx-disable bits, the
 * status register's write-one-to-clear bits and the scratch registers take writes, filtered
 * byte by byte (core/dev/vpci_rules.c). BARs are
 * mapped into the VM's stage 2 at their physical addresses, and INTx lines are forwarded to
 * the VM as its own SPIs. The SMMU side (isolation of the devices' DMA) is core/vm/vm_iommu.c.
 */
#ifndef CORE_VPCI_H
#define CORE_VPCI_H

#include "core/vm/vmconfig.h"

struct pci_dev;

struct vpci_dev {
	const struct pci_dev *pdev;
	u8 sizing; /* bit n: BAR n was written with all ones and reads back its size mask */
	/* Config offsets of the MSI and MSI-X capabilities (0: none, or the VM has no ITS) */
	u8 msi_cap, msix_cap;
};

struct vpci {
	struct vpci_dev dev[VM_MAX_PCI];
	unsigned n;
};

struct vm;

/* Check every VM's devices against what enumeration found: each must exist and be usable,
 * no INTx line may reach two VMs (nor a VM's own intids and another VM's device), no VM
 * may be given a bridge with another VM's device below it, a device's DMA alias must have
 * a StreamID no other VM's device uses (devices behind one PCIe-to-PCI bridge go to one
 * VM), and a VM with a virtio-iommu must have no two Requester IDs on one StreamID.
 * Returns 0, or -E_INVAL with one line in err naming the VM, the device and the reason.
 * (core/dev/vpci_rules.c) */
int vpci_check_configs(const struct vm_configs *cfgs, char *err, size_t err_len);

/* One configuration write to a device. */
struct vpci_write {
	u16 reg;
	u8 size;
	u32 value;
};
#define VPCI_MAX_WRITES 4
/* What a guest's write of size bytes (1, 2, 4) at reg, naturally aligned, to its own
 * device becomes, filtered byte by byte (BARs aside: the caller's): COMMAND's guest bits
 * merged into cmd (the register now), STATUS, cache line size, latency timer and interrupt
 * line; nothing else. Into out[0 .. VPCI_MAX_WRITES); returns how many. */
unsigned vpci_filter_write(unsigned reg, unsigned size, u32 v, u16 cmd, struct vpci_write *out);
struct vm_device_ops;
/* The VM's PCI devices (core/vm/vm_device.h): init registers the emulated ECAM, maps the
 * BARs and forwards the INTx lines; reset forgets BAR sizing state. */
extern const struct vm_device_ops vpci_device;
/* The VM's device with this StreamID, or NULL. */
const struct pci_dev *vpci_dev_by_sid(const struct vm *vm, u32 sid);

#endif
