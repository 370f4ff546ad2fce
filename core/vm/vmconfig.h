/*
 * The static partitioning of the machine: which VMs exist, with which CPUs, memory, images
 * and devices. Read from the config device tree linked into the image (docs/config.md) and
 * validated against the platform before any guest starts. Pure (libfdt only): host-tested.
 */
#ifndef CORE_VMCONFIG_H
#define CORE_VMCONFIG_H

#include "core/platform/platform.h"

#define VM_MAX 8
#define VM_MAX_VCPUS 8
#define VM_MAX_RAM 4
#define VM_MAX_MMIO 8
#define VM_MAX_IRQS 16
#define VM_MAX_PCI 16
/* virtio-iommu limits per VM: defaults, and the most a config may ask for. */
#define VIOMMU_DEFAULT_MAPPINGS 16384U
#define VIOMMU_MAX_MAPPINGS 1048576U
#define VIOMMU_DEFAULT_TABLE_PAGES 1024U
#define VIOMMU_MAX_TABLE_PAGES 262144U /* 1 GiB */
#define VM_NAME_LEN 16 /* with its NUL: names have 1..15 characters */
/* Linux arm64's COMMAND_LINE_SIZE, with the NUL. */
#define VM_BOOTARGS_LEN 2048
#define VMCONFIG_MAX_HYP 24
#define VMCONFIG_MAX_HYP_IRQS 16

struct vm_ram_cfg {
	ipa_t ipa;
	u64 size;
	bool pinned; /* pa given by the config; otherwise the allocator picks it */
	pa_t pa;
};

struct vm_mmio_cfg {
	pa_t pa;
	ipa_t ipa; /* where the guest sees it (defaults to pa) */
	u64 size;
};

struct vm_blob {
	const void *data; /* inside the config blob, which stays mapped read-only */
	size_t size;
};

enum vm_kernel_format {
	VM_KERNEL_IMAGE, /* arm64 Linux Image (Linux Documentation/arch/arm64/booting.rst) */
	VM_KERNEL_ELF,	 /* ELF64, little-endian, EM_AARCH64 */
};

struct vm_config {
	char name[VM_NAME_LEN];
	unsigned n_cpus;
	unsigned cpus[VM_MAX_VCPUS]; /* Portcullis CPU numbers; vCPU i runs on cpus[i] */
	struct vm_ram_cfg ram[VM_MAX_RAM];
	unsigned n_ram;
	/* Blobs are only 4-byte aligned inside the config: copy them, never cast them. */
	struct vm_blob kernel; /* arm64 Linux Image or ELF */
	enum vm_kernel_format kernel_format;
	struct vm_blob initrd; /* size 0: none */
	struct vm_blob dtb;    /* size 0: generated (core/vm/guest_dt.c) */
	const char *bootargs;  /* "" when absent */
	struct vm_mmio_cfg mmio[VM_MAX_MMIO];
	unsigned n_mmio;
	u32 irqs[VM_MAX_IRQS]; /* physical SPIs (INTIDs) forwarded to this VM */
	unsigned n_irqs;
	u32 pci_bdf[VM_MAX_PCI]; /* bus << 8 | dev << 3 | fn */
	unsigned n_pci;
	bool virtio_iommu;
	u32 viommu_mappings;    /* live mappings over all its domains */
	u32 viommu_table_pages; /* 4 KiB pages for its domains' tables and CDs */
	/* Time its exits and its virtio-iommu's work with the EL2 cost counter
	 * (arch/arm64/pmu.h) for `stats`: off by default, as every reading costs. */
	bool measure_costs;
};

struct vm_configs {
	struct vm_config vm[VM_MAX];
	unsigned n;
};

/* What the hypervisor keeps for itself: no VM may be given any part of it. */
struct vmconfig_host {
	unsigned n_cpus; /* CPUs online: Portcullis CPU numbers 0..n_cpus-1 */
	/*
	 * The image, its DTB and the config blob, and hypervisor-owned MMIO (UART, GICD, every
	 * GICR region, ITS, SMMU, PCIe ECAM, ...).
	 */
	struct mem_range hyp[VMCONFIG_MAX_HYP];
	unsigned n_hyp;
	u32 hyp_irqs[VMCONFIG_MAX_HYP_IRQS]; /* INTIDs the hypervisor uses (its UART, SMMU, ...) */
	unsigned n_hyp_irqs;
	u32 gic_spi_end; /* one past the GIC's last SPI: 32 * (GICD_TYPER.ITLinesNumber + 1) */
};

/*
 * Parse and validate the config blob. Returns 0 (cfg->n may be 0: no guests), or -E_INVAL
 * with cfg->n = 0 and one line in err naming the VM and the field ("vm 'linux1': cpus: CPU 2
 * is already given to vm 'linux0'"). Blob properties (kernel, initrd, dtb) point into fdt,
 * which must outlive cfg. Pinned memory (memory-phys) is checked against plat's RAM and
 * reservations and host->hyp only: the caller must keep the page allocator off it.
 */
int vmconfig_parse(const void *fdt, size_t size, const struct platform *plat,
		   const struct vmconfig_host *host, struct vm_configs *cfg, char *err,
		   size_t err_len);

#endif
