/*
 * The generated guest device tree (see core/vm/guest_dt.h), written with libfdt's
 * sequential-write API. It describes the VM as QEMU's virt machine describes itself (the
 * guest layout mirrors it), so that a kernel built for that machine boots unchanged.
 *
 * Sources, cited by tag below:
 *   [DT]    Devicetree Specification v0.4
 *   [CHOSEN] Linux Documentation/devicetree/bindings/chosen.txt (now in dt-schema)
 *   [CPUS]  Linux Documentation/devicetree/bindings/arm/cpus.yaml
 *   [PSCI]  .../bindings/arm/psci.yaml
 *   [GICV3] .../bindings/interrupt-controller/arm,gic-v3.yaml
 *   [TIMER] .../bindings/timer/arm,arch_timer.yaml
 *   [PL011] .../bindings/serial/pl011.yaml
 *   [CLK]   .../bindings/clock/fixed-clock.yaml
 */
#include <libfdt.h>
#include <limits.h>

#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "core/vm/guest_dt.h"
#include "core/vm/guest_layout.h"

/* The phandles of the two nodes others refer to. */
#define PHANDLE_GIC 1
#define PHANDLE_CLK 2
#define PHANDLE_VIOMMU 3
#define PHANDLE_ITS 4
/* [GICV3] an interrupt specifier is <type number flags>; flags 4 is level-high. GICv3 has
 * no PPI CPU mask in the flags (that was GICv2's). */
#define GIC_SPI 0
#define GIC_PPI 1
#define GIC_SPI_FIRST 32
#define GIC_PPI_FIRST 16
#define IRQ_LEVEL_HIGH 4
/* The PL011's reference and APB clock, as QEMU virt has it: 24 MHz. */
#define APB_PCLK_HZ 24000000
#define NODE_NAME_LEN 48

/*
 * A tree being written. The first libfdt error sticks and every later call does nothing,
 * so that the builders below read like the tree they write.
 */
struct dtw {
	void *fdt;
	int err;
};

static void begin(struct dtw *w, const char *name)
{
	if (!w->err)
		w->err = fdt_begin_node(w->fdt, name);
}

/* A node named "<base>@<unit address in hex>" [DT 2.2.1]. */
static void begin_at(struct dtw *w, const char *base, u64 addr)
{
	char name[NODE_NAME_LEN];

	fmt_snprintf(name, sizeof(name), "%s@%llx", base, (unsigned long long)addr);
	begin(w, name);
}

static void end(struct dtw *w)
{
	if (!w->err)
		w->err = fdt_end_node(w->fdt);
}

static void prop(struct dtw *w, const char *name, const void *v, int len)
{
	if (!w->err)
		w->err = fdt_property(w->fdt, name, v, len);
}

/* A string or a string list from a literal, "a\0b" (its final NUL included). */
#define PROP_STRS(w, name, lit) prop(w, name, lit, sizeof(lit))

static void prop_str(struct dtw *w, const char *name, const char *s)
{
	if (!w->err)
		w->err = fdt_property_string(w->fdt, name, s);
}

static void prop_u32(struct dtw *w, const char *name, u32 v)
{
	if (!w->err)
		w->err = fdt_property_u32(w->fdt, name, v);
}

static void prop_u64(struct dtw *w, const char *name, u64 v)
{
	if (!w->err)
		w->err = fdt_property_u64(w->fdt, name, v);
}

/* Up to 12 cells, big-endian. */
static void prop_cells(struct dtw *w, const char *name, const u32 *cells, unsigned n)
{
	fdt32_t be[12];

	for (unsigned i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	prop(w, name, be, (int)(n * sizeof(fdt32_t)));
}

/* reg = <base size> with the root's 2 + 2 cells. */
static void prop_reg(struct dtw *w, u64 base, u64 size)
{
	const u32 c[] = { (u32)(base >> 32), (u32)base, (u32)(size >> 32), (u32)size };

	prop_cells(w, "reg", c, ARRAY_SIZE(c));
}

/* ---- nodes ---- */

static void root_props(struct dtw *w, const struct vm_config *cfg)
{
	char model[sizeof("Portcullis VM ") + VM_NAME_LEN];

	fmt_snprintf(model, sizeof(model), "Portcullis VM %s", cfg->name);
	prop_u32(w, "#address-cells", 2);
	prop_u32(w, "#size-cells", 2);
	/* linux,dummy-virt: the QEMU virt machine, which needs no board code in Linux */
	PROP_STRS(w, "compatible", "linux,dummy-virt");
	prop_str(w, "model", model);
	prop_u32(w, "interrupt-parent", PHANDLE_GIC);
}

/* [CHOSEN] the command line, the console, and the initrd's [start, end). */
static void chosen(struct dtw *w, const struct vm_config *cfg, const char *uart_path,
		   ipa_t initrd, u64 initrd_size)
{
	begin(w, "chosen");
	if (cfg->bootargs[0])
		prop_str(w, "bootargs", cfg->bootargs);
	prop_str(w, "stdout-path", uart_path);
	if (initrd_size) {
		prop_u64(w, "linux,initrd-start", initrd.v);
		prop_u64(w, "linux,initrd-end", initrd.v + initrd_size);
	}
	/* [PCI-HOST] BARs are the hypervisor's: the guest must take them as they are. */
	if (cfg->n_pci)
		prop_u32(w, "linux,pci-probe-only", 1);
	end(w);
}

static void aliases(struct dtw *w, const char *uart_path)
{
	begin(w, "aliases");
	prop_str(w, "serial0", uart_path);
	end(w);
}

/* [DT 3.4] one node per RAM region. */
static void memory(struct dtw *w, const struct vm_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_ram; i++) {
		begin_at(w, "memory", cfg->ram[i].ipa.v);
		PROP_STRS(w, "device_type", "memory");
		prop_reg(w, cfg->ram[i].ipa.v, cfg->ram[i].size);
		end(w);
	}
}

/* [CPUS] reg is the MPIDR affinity, 1 cell (Aff0): vCPU i's virtual MPIDR is i. */
static void cpus(struct dtw *w, const struct vm_config *cfg)
{
	begin(w, "cpus");
	prop_u32(w, "#address-cells", 1);
	prop_u32(w, "#size-cells", 0);
	for (unsigned i = 0; i < cfg->n_cpus; i++) {
		begin_at(w, "cpu", i);
		PROP_STRS(w, "device_type", "cpu");
		PROP_STRS(w, "compatible", "arm,armv8");
		prop_u32(w, "reg", i);
		PROP_STRS(w, "enable-method", "psci");
		end(w);
	}
	end(w);
}

/* [PSCI] 0.2 and later function IDs, called with HVC: Portcullis implements them. */
static void psci(struct dtw *w)
{
	begin(w, "psci");
	PROP_STRS(w, "compatible", "arm,psci-1.0\0arm,psci-0.2");
	PROP_STRS(w, "method", "hvc");
	end(w);
}

/* [GICV3] the ITS, a child of the GIC: its two 64 KiB frames; DeviceIDs in one cell. */
static void its(struct dtw *w)
{
	begin_at(w, "msi-controller", GUEST_ITS_BASE);
	PROP_STRS(w, "compatible", "arm,gic-v3-its");
	prop(w, "msi-controller", NULL, 0);
	prop_u32(w, "#msi-cells", 1);
	prop_reg(w, GUEST_ITS_BASE, GUEST_ITS_SIZE);
	prop_u32(w, "phandle", PHANDLE_ITS);
	end(w);
}

/* [GICV3] distributor, one redistributor frame pair per vCPU, the maintenance PPI; with
 * msi, the ITS (whose reg needs the GIC to have address cells, which interrupt-map entries
 * naming the GIC then carry). */
static void gic(struct dtw *w, const struct vm_config *cfg, bool msi)
{
	const u64 gicr_size = cfg->n_cpus * GUEST_GICR_STRIDE;
	const u32 reg[] = { (u32)(GUEST_GICD_BASE >> 32), (u32)GUEST_GICD_BASE,
			    (u32)(GUEST_GICD_SIZE >> 32), (u32)GUEST_GICD_SIZE,
			    (u32)(GUEST_GICR_BASE >> 32), (u32)GUEST_GICR_BASE,
			    (u32)(gicr_size >> 32),	  (u32)gicr_size };
	const u32 maint[] = { GIC_PPI, GUEST_GIC_MAINT_PPI - GIC_PPI_FIRST, IRQ_LEVEL_HIGH };

	begin_at(w, "interrupt-controller", GUEST_GICD_BASE);
	PROP_STRS(w, "compatible", "arm,gic-v3");
	prop_u32(w, "#interrupt-cells", 3);
	/* an interrupt provider says how its interrupt-map keys are addressed */
	prop_u32(w, "#address-cells", msi ? 2 : 0);
	if (msi) {
		prop_u32(w, "#size-cells", 2);
		prop(w, "ranges", NULL, 0);
	}
	prop(w, "interrupt-controller", NULL, 0);
	prop_u32(w, "#redistributor-regions", 1);
	prop_cells(w, "reg", reg, ARRAY_SIZE(reg));
	prop_cells(w, "interrupts", maint, ARRAY_SIZE(maint));
	prop_u32(w, "phandle", PHANDLE_GIC);
	if (msi)
		its(w);
	end(w);
}

/*
 * [TIMER] secure, non-secure physical, virtual, hypervisor physical PPIs. always-on: the
 * counter keeps running while a vCPU waits (WFI traps to Portcullis; the CPU is not powered
 * down), so Linux needs no broadcast timer.
 */
static void timer(struct dtw *w)
{
	const u32 irqs[] = {
		GIC_PPI, GUEST_TIMER_SEC_PPI - GIC_PPI_FIRST,  IRQ_LEVEL_HIGH,
		GIC_PPI, GUEST_TIMER_PHYS_PPI - GIC_PPI_FIRST, IRQ_LEVEL_HIGH,
		GIC_PPI, GUEST_TIMER_VIRT_PPI - GIC_PPI_FIRST, IRQ_LEVEL_HIGH,
		GIC_PPI, GUEST_TIMER_HYP_PPI - GIC_PPI_FIRST,  IRQ_LEVEL_HIGH,
	};

	begin(w, "timer");
	PROP_STRS(w, "compatible", "arm,armv8-timer");
	prop_cells(w, "interrupts", irqs, ARRAY_SIZE(irqs));
	prop(w, "always-on", NULL, 0);
	end(w);
}

/* [CLK] Linux's AMBA bus will not probe the PL011 without its apb_pclk clock. */
static void apb_pclk(struct dtw *w)
{
	begin(w, "apb-pclk");
	PROP_STRS(w, "compatible", "fixed-clock");
	prop_u32(w, "#clock-cells", 0);
	prop_u32(w, "clock-frequency", APB_PCLK_HZ);
	PROP_STRS(w, "clock-output-names", "clk24mhz");
	prop_u32(w, "phandle", PHANDLE_CLK);
	end(w);
}

/* [PL011] the virtual UART (core/dev/vuart.h); uart_path is "/<its node name>". */
static void uart(struct dtw *w, const char *uart_path)
{
	const u32 irq[] = { GIC_SPI, GUEST_UART_INTID - GIC_SPI_FIRST, IRQ_LEVEL_HIGH };
	const u32 clocks[] = { PHANDLE_CLK, PHANDLE_CLK };

	begin(w, uart_path + 1);
	PROP_STRS(w, "compatible", "arm,pl011\0arm,primecell");
	prop_reg(w, GUEST_UART_BASE, GUEST_UART_SIZE);
	prop_cells(w, "interrupts", irq, ARRAY_SIZE(irq));
	prop_cells(w, "clocks", clocks, ARRAY_SIZE(clocks));
	PROP_STRS(w, "clock-names", "uartclk\0apb_pclk");
	end(w);
}

/* The virtio-iommu (iommu/viommu/viommu_dev.c) on virtio-mmio slot 0: `#iommu-cells = <1>`, the cell
 * being the endpoint ID, which is the PCI requester ID (the PCI host's iommu-map below).
 * reg covers the config space (0x100 + 40 bytes); its SPI is level-triggered. */
static void viommu(struct dtw *w)
{
	const u32 irq[] = { GIC_SPI, GUEST_VIRTIO_INTID_BASE - GIC_SPI_FIRST, IRQ_LEVEL_HIGH };

	begin_at(w, "virtio_mmio", GUEST_VIRTIO_BASE);
	PROP_STRS(w, "compatible", "virtio,mmio");
	prop_reg(w, GUEST_VIRTIO_BASE, GUEST_VIRTIO_SIZE);
	prop_cells(w, "interrupts", irq, ARRAY_SIZE(irq));
	prop(w, "dma-coherent", NULL, 0);
	prop_u32(w, "#iommu-cells", 1);
	prop_u32(w, "phandle", PHANDLE_VIOMMU);
	end(w);
}

/* phys.hi of a PCI address (IEEE 1275 PCI binding 2.2.1.1): space code and prefetchable. */
static u32 pci_phys_hi(const struct plat_pci_range *r)
{
	return (r->space << 24) | (r->prefetchable ? BIT(30) : 0);
}

/*
 * [PCI-HOST] the host's ECAM bridge as the VM sees it (core/dev/vpci.c emulates the ECAM at the
 * host's address): its memory windows and INTx routing unchanged, so BARs keep their
 * physical addresses. No I/O window: the VM has no port space.
 */
static void pcie(struct dtw *w, const struct plat_pci *pci, bool viommu, bool msi)
{
	/* RID 0..0xffff -> the virtio-iommu's endpoint IDs 0..0xffff (PCI iommu-map binding),
	 * and -> the ITS's DeviceIDs 0..0xffff (PCI msi-map binding) */
	const u32 iommu_map[] = { 0, PHANDLE_VIOMMU, 0, 0x10000 };
	const u32 msi_map[] = { 0, PHANDLE_ITS, 0, 0x10000 };
	u64 ecam_size = (u64)(pci->bus_end - pci->bus_start + 1) << 20;
	fdt32_t ranges[PLAT_MAX_PCI_RANGES * 7], imap[PLAT_MAX_INTX_MAP * 10];
	const u32 bus_range[] = { pci->bus_start, pci->bus_end };
	unsigned nr = 0, ni = 0;

	for (unsigned i = 0; i < pci->n_ranges; i++) {
		const struct plat_pci_range *r = &pci->ranges[i];
		const u32 c[] = { pci_phys_hi(r), (u32)(r->pci_addr >> 32), (u32)r->pci_addr,
				  (u32)(r->cpu_addr.v >> 32), (u32)r->cpu_addr.v,
				  (u32)(r->size >> 32), (u32)r->size };

		if (r->space == PCI_SPACE_IO)
			continue;
		for (unsigned k = 0; k < ARRAY_SIZE(c); k++)
			ranges[nr++] = cpu_to_fdt32(c[k]);
	}
	for (unsigned i = 0; i < pci->n_intx_map; i++) {
		const struct plat_intx_map *m = &pci->intx_map[i];
		/* child unit address + pin, the GIC (and its unit address, 0, if it has address
		 * cells), its SPI */
		const u32 c[] = { m->child[0], m->child[1], m->child[2], m->child[3], PHANDLE_GIC };
		const u32 spi[] = { GIC_SPI, m->intid - GIC_SPI_FIRST, IRQ_LEVEL_HIGH };

		for (unsigned k = 0; k < ARRAY_SIZE(c); k++)
			imap[ni++] = cpu_to_fdt32(c[k]);
		for (unsigned k = 0; msi && k < 2; k++)
			imap[ni++] = 0;
		for (unsigned k = 0; k < ARRAY_SIZE(spi); k++)
			imap[ni++] = cpu_to_fdt32(spi[k]);
	}
	begin_at(w, "pcie", pci->ecam.v);
	PROP_STRS(w, "compatible", "pci-host-ecam-generic");
	PROP_STRS(w, "device_type", "pci");
	prop_u32(w, "#address-cells", 3);
	prop_u32(w, "#size-cells", 2);
	prop_u32(w, "#interrupt-cells", 1);
	prop_reg(w, pci->ecam.v, ecam_size);
	prop_cells(w, "bus-range", bus_range, ARRAY_SIZE(bus_range));
	prop(w, "ranges", ranges, (int)(nr * sizeof(fdt32_t)));
	prop_cells(w, "interrupt-map-mask", pci->intx_mask, PLAT_PCI_IRQ_CELLS);
	prop(w, "interrupt-map", imap, (int)(ni * sizeof(fdt32_t)));
	if (pci->dma_coherent)
		prop(w, "dma-coherent", NULL, 0);
	if (viommu)
		prop_cells(w, "iommu-map", iommu_map, ARRAY_SIZE(iommu_map));
	if (msi)
		prop_cells(w, "msi-map", msi_map, ARRAY_SIZE(msi_map));
	end(w);
}

int guest_dt_build(const struct vm_config *cfg, void *buf, size_t size, ipa_t initrd,
		   u64 initrd_size, const struct plat_pci *pci, bool msi)
{
	struct dtw w = { .fdt = buf };
	char uart_path[NODE_NAME_LEN];

	fmt_snprintf(uart_path, sizeof(uart_path), "/serial@%llx",
		     (unsigned long long)GUEST_UART_BASE);
	w.err = fdt_create(buf, size > INT_MAX ? INT_MAX : (int)size);
	if (!w.err)
		w.err = fdt_finish_reservemap(buf);
	begin(&w, "");
	root_props(&w, cfg);
	chosen(&w, cfg, uart_path, initrd, initrd_size);
	aliases(&w, uart_path);
	memory(&w, cfg);
	cpus(&w, cfg);
	psci(&w);
	gic(&w, cfg, msi);
	timer(&w);
	apb_pclk(&w);
	uart(&w, uart_path);
	if (cfg->virtio_iommu)
		viommu(&w);
	if (cfg->n_pci && pci && pci->present)
		pcie(&w, pci, cfg->virtio_iommu, msi);
	end(&w);
	if (!w.err)
		w.err = fdt_finish(buf);
	if (w.err == -FDT_ERR_NOSPACE)
		return -E_NOMEM;
	return w.err ? -E_INVAL : 0;
}
