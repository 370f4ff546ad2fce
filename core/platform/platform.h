/*
 * The machine as its device tree describes it (Linux Documentation/devicetree/bindings).
 * platform_discover() is pure (libfdt only), so it is unit-tested on the host against real
 * device trees. Everything a driver needs to know about where hardware sits comes from here.
 */
#ifndef CORE_PLATFORM_H
#define CORE_PLATFORM_H

#include "core/lib/config.h"
#include "core/lib/ranges.h"
#include "core/lib/types.h"

#define PLAT_MAX_MEM 16
#define PLAT_MAX_RESV 32
#define PLAT_MAX_REDIST 8
#define PLAT_MAX_PCI_RANGES 4
#define PLAT_MAX_IOMMU_MAP 8
#define PLAT_MAX_MSI_MAP 8
#define PLAT_MAX_INTX_MAP 32
#define PLAT_PCI_IRQ_CELLS 4 /* a PCI child interrupt: 3 unit-address cells + the pin */
#define PLAT_MAX_WARN 8
#define PLAT_MSG_LEN 128

_Static_assert(RANGE_SET_MAX >= PLAT_MAX_MEM + PLAT_MAX_RESV + 8,
	       "a range set holds the RAM banks, the reserved regions and their splits");

enum psci_conduit { PSCI_NONE, PSCI_SMC, PSCI_HVC };

struct plat_gic {
	pa_t dist;
	u64 dist_size;
	struct mem_range redist[PLAT_MAX_REDIST]; /* redistributor regions */
	unsigned n_redist;
	u64 redist_stride; /* 0: the architectural 128 KiB (GICv3) frame pair */
	u32 maint_irq;     /* INTID of the maintenance interrupt, 0 if not given */
	bool has_its;
	pa_t its;
	u32 its_phandle; /* 0: the ITS has none (nothing can name it as msi-parent) */
};

/* Room for a UART's 'compatible' strings: "ti,j721e-uart", "ti,am654-uart" and more. */
#define PLAT_UART_COMPAT_LEN 64

struct plat_uart {
	/*
	 * The stdout-path node's 'compatible': its strings, most specific first, each
	 * NUL-terminated, then an empty one (as many whole strings as fit). Read as a C string
	 * it is the first one; a driver may match any of them (drivers/uart/uart.c).
	 */
	char compatible[PLAT_UART_COMPAT_LEN];
	pa_t base;
	u64 size;
	u32 irq; /* INTID, 0 if none */
	u32 reg_shift;   /* 16550 style: reg-shift, else 0 */
	u32 reg_io_width; /* 16550 style: reg-io-width, else 4 */
};

struct plat_smmu {
	bool present;
	pa_t base;
	u64 size;
	u32 phandle;
	/* INTIDs by interrupt-names; 0 when that interrupt is not wired */
	u32 irq_eventq, irq_priq, irq_cmdq_sync, irq_gerror;
	bool dma_coherent;
};

#define PCI_SPACE_IO 1
#define PCI_SPACE_MEM32 2
#define PCI_SPACE_MEM64 3

struct plat_pci_range {
	u32 space;    /* PCI_SPACE_*: phys.hi bits 25:24 */
	bool prefetchable;
	u64 pci_addr;
	pa_t cpu_addr;
	u64 size;
};

/* One iommu-map or msi-map entry ([PCIIO]): RIDs [rid_base, rid_base + length) -> the
 * target's IDs from out_base (StreamIDs of the IOMMU, DeviceIDs of the ITS). */
struct plat_rid_map {
	u32 rid_base;
	u32 target_phandle;
	u32 out_base;
	u32 length;
};

/*
 * One interrupt-map entry of the host bridge: the child interrupt (unit address phys.hi,
 * phys.mid, phys.lo, then the INTx pin, 1 = INTA .. 4 = INTD) and the GIC INTID it raises.
 */
struct plat_intx_map {
	u32 child[PLAT_PCI_IRQ_CELLS];
	u32 intid;
};

struct plat_pci {
	bool present;
	pa_t ecam;
	u64 ecam_size;
	u32 bus_start, bus_end;
	struct plat_pci_range ranges[PLAT_MAX_PCI_RANGES];
	unsigned n_ranges;
	struct plat_rid_map iommu_map[PLAT_MAX_IOMMU_MAP];
	unsigned n_iommu_map;
	/* Where the devices' MSIs go: msi-map entries that name the ITS (msi-parent = the
	 * ITS: one entry, DeviceID = RID); n_msi_map = 0: no MSI (INTx only). */
	struct plat_rid_map msi_map[PLAT_MAX_MSI_MAP];
	unsigned n_msi_map;
	/* interrupt-map-mask (all ones when absent) and interrupt-map; n_intx_map = 0: none */
	u32 intx_mask[PLAT_PCI_IRQ_CELLS];
	struct plat_intx_map intx_map[PLAT_MAX_INTX_MAP];
	unsigned n_intx_map;
	bool dma_coherent;
};

struct plat_timer {
	/* INTIDs of the architected timer's PPIs */
	u32 sec_phys_irq, phys_irq, virt_irq, hyp_phys_irq;
	u32 clock_frequency; /* 0: read CNTFRQ_EL0 */
};

struct platform {
	char model[64];
	struct mem_range mem[PLAT_MAX_MEM];
	unsigned n_mem;
	/* /memreserve/ entries and reserved-memory children with a reg */
	struct mem_range resv[PLAT_MAX_RESV];
	unsigned n_resv;
	u64 cpu_mpidr[MAX_CPUS]; /* in DT order; index = Portcullis CPU number */
	unsigned n_cpus;
	enum psci_conduit psci;
	struct plat_gic gic;
	struct plat_uart uart;
	struct plat_timer timer;
	struct plat_smmu smmu;
	struct plat_pci pci;
	/* Non-fatal findings (an optional node missing or unsupported), one line each. */
	char warn[PLAT_MAX_WARN][PLAT_MSG_LEN];
	unsigned n_warn;
};

/* The machine's platform: discovered once at boot into platform_machine() (core/boot/boot.c),
 * then read by everyone through platform(). */
struct platform *platform_machine(void);
const struct platform *platform(void);

/*
 * Read the platform from a flattened device tree of at most max_size bytes. Returns 0, or
 * -E_INVAL with one line in err naming the node and property that is missing or malformed.
 */
int platform_discover(const void *fdt, size_t max_size, struct platform *p, char *err,
		      size_t err_len);

#endif
