/*
 * Private to drivers/pci: the enumeration state and the steps pci_enumerate() runs
 * (pci_scan.c, pci_alloc.c, pci_route.c).
 */
#ifndef DRIVERS_PCI_PCI_INTERNAL_H
#define DRIVERS_PCI_PCI_INTERNAL_H

#include "drivers/pci/pci.h"

/* For messages: "bb:dd.f". */
struct pci_state {
	const struct plat_pci *host; /* NULL until pci_enumerate() */
	struct pci_cfg_ops ops;
	struct pci_dev devs[PCI_MAX_DEVS];
	unsigned n_devs;
};

extern struct pci_state pci_state;

/* Configuration access to any function below the host (pci.c). The caller keeps to the
 * host's buses, sizes 1, 2 or 4, and aligned offsets. */
u32 pci_raw_read(u16 bdf, unsigned off, unsigned size);
void pci_raw_write(u16 bdf, unsigned off, unsigned size, u32 v);

/* Walk the buses from the host's first: record, number, disable and size (pci_scan.c). */
void pci_scan(void);
/* Lay out and program BARs and bridge windows, then turn decoding on (pci_alloc.c). */
void pci_assign(void);
/* The CPU address of PCI bus address bus, in I/O or memory space (pci_alloc.c). */
bool pci_bus_to_pa(bool io, u64 bus, pa_t *out);
/* Fill in d's INTID and StreamID (pci_route.c). */
void pci_route(struct pci_dev *d);

#endif
