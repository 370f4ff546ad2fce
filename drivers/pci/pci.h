/*
 * The PCIe host side: enumeration of the generic ECAM host bridge that platform discovery
 * found (struct plat_pci), at boot and once.
 *
 * pci_init() maps the ECAM and walks every bus from bus_start depth-first: each function is
 * recorded, bridges get bus numbers, BARs are sized and given addresses from the host
 * bridge's windows, bridge windows are opened around what is behind them, and Memory Space
 * decoding is turned on. Bus mastering (DMA) stays off on every function until
 * pci_set_bus_master() allows it, once the device is isolated behind the SMMU. Each device
 * also gets the GIC INTID of its INTx pin, the StreamID of its Requester ID, and its DMA
 * alias: the Requester ID a bridge above puts on its requests instead (pci_route.c).
 *
 * The walk itself (pci_enumerate) reaches configuration space only through struct
 * pci_cfg_ops, so that it runs on the host against a fake configuration space.
 */
#ifndef DRIVERS_PCI_PCI_H
#define DRIVERS_PCI_PCI_H

#include "core/lib/bits.h"
#include "core/lib/types.h"
#include "core/platform/platform.h"

#define PCI_MAX_DEVS 64 /* functions recorded; past this they are left disabled */
#define PCI_NUM_BARS 6
#define PCI_DESC_LEN 200

/* A Bus/Device/Function number, which is also the Requester ID (PCIe Base 2.2.6.2). */
#define PCI_BDF_BUS GENMASK(15, 8)
#define PCI_BDF_DEV GENMASK(7, 3)
#define PCI_BDF_FN GENMASK(2, 0)
#define PCI_BDF(bus, dev, fn) \
	((u16)(FIELD_PREP(PCI_BDF_BUS, bus) | FIELD_PREP(PCI_BDF_DEV, dev) | FIELD_PREP(PCI_BDF_FN, fn)))
/* A BDF in messages: bb:dd.f */
#define PCI_BDF_FMT "%02x:%02x.%x"
#define PCI_BDF_ARGS(bdf)                                                      \
	(unsigned)FIELD_GET(PCI_BDF_BUS, bdf), (unsigned)FIELD_GET(PCI_BDF_DEV, bdf), \
		(unsigned)FIELD_GET(PCI_BDF_FN, bdf)

/* struct pci_bar flags */
#define PCI_BAR_F_IO BIT(0)       /* I/O space; else memory */
#define PCI_BAR_F_64 BIT(1)       /* a 64-bit memory BAR: it also uses the next BAR slot */
#define PCI_BAR_F_PREFETCH BIT(2) /* prefetchable memory */
#define PCI_BAR_F_ASSIGNED BIT(3) /* pa holds the address the BAR was given */

struct pci_bar {
	pa_t pa;   /* CPU physical address (of I/O space through the host's I/O window) */
	u64 size;  /* 0: not implemented, or the upper half of a 64-bit BAR */
	u32 flags; /* PCI_BAR_F_* */
};

/* A bridge's forwarding windows (PCI-to-PCI Bridge Architecture 1.2, 3.2.5.6 to 3.2.5.10). */
enum pci_win { PCI_WIN_IO, PCI_WIN_MEM, PCI_WIN_PREF, PCI_NUM_WIN };

struct pci_window {
	bool present; /* the bridge implements it (the I/O and prefetchable ones are optional) */
	bool assigned; /* open at base */
	u64 base;     /* PCI bus address */
	u64 size;     /* what is behind it needs, rounded to the window granule; 0: none */
	u64 align;    /* the largest alignment of what is behind it, at least the granule */
};

struct pci_dev {
	u16 bdf;
	u16 vendor, device;
	u32 class;      /* base class, sub-class, programming interface */
	u8 header_type; /* as read, with the multi-function bit */
	/* every memory BAR got an address: only then is Memory Space decoding on */
	bool usable;
	struct pci_bar bar[PCI_NUM_BARS];
	u8 pin;    /* 0: no INTx, 1..4: INTA..INTD */
	u32 intid; /* the GIC INTID pin raises (through bridge swizzles and interrupt-map), 0 if unknown */
	bool has_sid;
	u32 sid;                      /* StreamID of the Requester ID, by iommu-map */
	/* The DMA alias: a PCIe-to-PCI or conventional bridge above it takes its requests
	 * (DMA and MSI writes) over with this Requester ID of its own, which the SMMU and the
	 * ITS then see (pci_route.c). Never the device's own RID. */
	bool has_alias;
	bool nested_alias; /* more than one bridge above aliases it: alias_rid is the topmost's */
	u16 alias_rid;
	/* The bridge whose alias it is: Linux puts it in the device's IOMMU group and attaches
	 * its RID too (a virtio-iommu endpoint, iommu/viommu/viommu_dev.c) */
	const struct pci_dev *alias_bridge;
	bool has_alias_sid;
	u32 alias_sid; /* StreamID of alias_rid, by iommu-map */
	const struct pci_dev *parent; /* the bridge above, NULL on the root bus */
	/* header type 1 (PCI-to-PCI bridge) only */
	bool is_pcie;  /* it has a PCI Express Capability, whose Device/Port Type is: */
	u8 pcie_type;  /* PCI_EXP_TYPE_* */
	u8 secondary, subordinate; /* 0, 0: no bus behind it */
	bool pref64;               /* its prefetchable window decodes 64-bit addresses */
	struct pci_window win[PCI_NUM_WIN];
};

/* Configuration space, by ECAM offset from the host's first bus (PCIe Base 7.2.2). */
struct pci_cfg_ops {
	u32 (*read)(void *ctx, u32 off, unsigned size);
	void (*write)(void *ctx, u32 off, unsigned size, u32 v);
	void *ctx;
};

/* Map the host's ECAM and enumerate (nothing when host->present is false). Problems are
 * logged; every device that could be set up is. */
void pci_init(const struct plat_pci *host);
/* The walk, through ops: what pci_init does once the ECAM is mapped. */
void pci_enumerate(const struct plat_pci *host, const struct pci_cfg_ops *ops);

unsigned pci_count(void);
/* Functions in the order found (a bridge before what is behind it); NULL past the end. */
const struct pci_dev *pci_dev_at(unsigned i);
const struct pci_dev *pci_find(u16 bdf);

/*
 * Configuration access to an enumerated function: size 1, 2 or 4 at an offset aligned to
 * it, below 4 KiB. Anything else reads as all ones (as a master abort does) and writes
 * nothing.
 */
u32 pci_cfg_read(u16 bdf, unsigned off, unsigned size);
void pci_cfg_write(u16 bdf, unsigned off, unsigned size, u32 v);
/* The offset of an enumerated function's capability id (PCI Local Bus 3.0, 6.7), or 0 (none;
 * a list that loops or points into the header ends the walk). */
u8 pci_find_cap(u16 bdf, u8 id);

/*
 * Allow (or stop) DMA from a usable device: its Bus Master Enable, and with on also every
 * bridge's above it, so that its requests are forwarded upstream. -E_NOENT: no such device;
 * -E_NODEV: not usable.
 */
int pci_set_bus_master(u16 bdf, bool on);

/* One line for the boot summary, e.g.
 * "PCI 00:02.0 [1234:11e8] class 00ff00, BAR0 10000000 1M, INTA -> INTID 37, StreamID 0x10",
 * with ", DMA alias 02:00.0 (StreamID 0x200)" for a device behind a PCIe-to-PCI bridge */
void pci_describe(const struct pci_dev *d, char *buf, size_t len);

/* ---- routing, from the host bridge's device-tree maps ---- */

/* PCI-to-PCI Bridge Architecture 1.2, 9.1: the pin (1..4) a device's INTx pin arrives on at
 * the bridge above it, for the device number devnum on the bridge's secondary bus. */
u32 pci_swizzle(u32 pin, u32 devnum);
/* interrupt-map: the INTID pin (1..4) of the root-bus device bdf raises; -E_NOENT if none. */
int pci_intx_lookup(const struct plat_pci *host, u16 bdf, u32 pin, u32 *intid);
/* iommu-map: the StreamID of Requester ID rid; -E_NOENT when no entry covers it. */
int pci_rid_to_sid(const struct plat_pci *host, u16 rid, u32 *sid);
/* The ITS DeviceID of the function with requester ID rid (msi-map): 0 or -E_NOENT (its
 * MSIs cannot be translated: no ITS, or not in the map). */
int pci_rid_to_devid(const struct plat_pci *host, u16 rid, u32 *devid);

#endif
