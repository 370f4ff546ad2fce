/*
 * The ECAM backend of pci_cfg_ops (PCI Express Base Specification 4.0, 7.2.2): configuration
 * space as memory-mapped registers, one 4 KiB page per function, mapped Device memory into
 * EL2. Accesses are single loads and stores of the size asked for: a wider read-modify-write
 * would also write the neighbouring register (Status, whose bits clear when written 1).
 */
#include "arch/arch.h"
#include "arch/mmu.h"
#include "core/lib/mmio.h"
#include "core/log/log.h"
#include "drivers/pci/pci.h"
#include "drivers/pci/pci_regs.h"

static u32 ecam_read(void *ctx, u32 off, unsigned size)
{
	u64 a = (u64)(uintptr_t)ctx + off;

	switch (size) {
	case 1: return mmio_read8(a);
	case 2: return mmio_read16(a);
	default: return mmio_read32(a);
	}
}

static void ecam_write(void *ctx, u32 off, unsigned size, u32 v)
{
	u64 a = (u64)(uintptr_t)ctx + off;

	switch (size) {
	case 1: mmio_write8(a, (u8)v); break;
	case 2: mmio_write16(a, (u16)v); break;
	default: mmio_write32(a, v); break;
	}
}

void pci_init(const struct plat_pci *host)
{
	u64 size = (host->bus_end - host->bus_start + 1ULL) * PCI_BUS_CFG_SIZE;
	struct pci_cfg_ops ops = { ecam_read, ecam_write, pa_to_va(host->ecam) };

	if (!host->present)
		return;
	if (mmu_map_device(host->ecam, size)) {
		log_warn("PCI: cannot map the ECAM at %lx (%lu MiB): no PCI devices\n", host->ecam.v,
			 size >> 20);
		return;
	}
	pci_enumerate(host, &ops);
}
