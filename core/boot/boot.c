/*
 * Boot flow (docs/architecture.md): EL check, MMU, console, discovery, memory, interrupt
 * controller and timer, secondary CPUs, platform summary.
 */
#include <libfdt.h>

#include "arch/arch.h"
#include "arch/cpu.h"
#include "arch/mmu.h"
#include "arch/psci.h"
#include "arch/sysreg.h"
#include "core/boot/boot.h"
#include "core/boot/selftest.h"
#include "core/boot/smp.h"
#include "core/dev/console.h"
#include "core/dev/vpci.h"
#include "core/dev/vuart.h"
#include "core/lib/errno.h"
#include "core/log/log.h"
#include "core/mm/alloc.h"
#include "core/vgic/vgic.h"
#include "iommu/viommu/viommu_dev.h"
#include "core/vm/vcpu.h"
#include "core/vm/vm.h"
#include "core/vm/vm_device.h"
#include "core/vm/vm_iommu.h"
#include "drivers/gic/gicv3.h"
#include "drivers/gic/its.h"
#include "drivers/pci/pci.h"
#include "drivers/timer/timer.h"
#include "drivers/uart/uart.h"
#include "iommu/smmuv3/smmuv3.h"

extern u8 __image_start[], __text_end[], __rodata_end[], __bss_start[], __image_end[];

extern const u8 vmconfig_blob_start[], vmconfig_blob_end[];

/* How often the SMMU's queues are polled when its interrupts cannot be used. */
#define SMMU_POLL_PERIOD_US 10000

static struct console early_console, dt_console;
static struct pgt_pool hyp_table_pool;
static struct vm_configs vm_cfgs;

NORETURN static void halt_boot(const char *why)
{
	log_err("Portcullis halted: %s\n", why);
	cpu_halt();
}

static void check_el2(void)
{
	u64 el = FIELD_GET(CURRENTEL_EL_MASK, read_sysreg(currentel));

	if (el != 2) {
		log_err("Portcullis must be started at EL2 but runs at EL%lu: enable the "
			"virtualization extensions in the firmware or machine (QEMU: "
			"-machine virt,virtualization=on)\n", el);
		halt_boot("wrong exception level");
	}
}

static void discover(pa_t dtb, size_t dtb_size)
{
	struct platform *plat = platform_machine();
	char err[PLAT_MSG_LEN];

	if (!dtb_size) {
		log_err("no device tree at %lx: x0 must hold the DTB address (bad FDT magic)\n", dtb.v);
		halt_boot("no device tree");
	}
	if (platform_discover(pa_to_va(dtb), dtb_size, plat, err, sizeof(err))) {
		log_err("device tree: %s\n", err);
		halt_boot("unusable device tree");
	}
	for (unsigned i = 0; i < plat->n_warn; i++)
		log_warn("device tree: %s\n", plat->warn[i]);
	/* At EL2 an HVC traps to ourselves: firmware is reachable through SMC only. */
	if (plat->psci == PSCI_HVC) {
		log_warn("device tree: PSCI method 'hvc' cannot reach the firmware from EL2; "
			 "only the boot CPU will run\n");
		plat->psci = PSCI_NONE;
	}
}

static void switch_console(void)
{
	const struct platform *plat = platform();

	if (mmu_map_device(plat->uart.base, PAGE_SIZE) ||
	    !uart_console_init(&dt_console, plat->uart.compatible, plat->uart.base, plat->uart.reg_shift)) {
		log_warn("console: no driver for '%s' at %lx; staying on the early UART\n",
			 plat->uart.compatible, plat->uart.base.v);
		return;
	}
	log_set_console(&dt_console);
}

/* RAM the hypervisor may touch: every bank minus firmware-reserved regions, minus
 * `minus` (the image, and for the allocator the DTB). */
static void usable_ram(struct range_set *s, const struct mem_range *minus, unsigned n_minus)
{
	const struct platform *plat = platform();

	*s = (struct range_set){ .n = 0 };
	for (unsigned i = 0; i < plat->n_mem; i++)
		ranges_add(s, plat->mem[i].base, plat->mem[i].size);
	for (unsigned i = 0; i < plat->n_resv; i++)
		ranges_remove(s, plat->resv[i].base, plat->resv[i].size);
	for (unsigned i = 0; i < n_minus; i++)
		ranges_remove(s, minus[i].base, minus[i].size);
	ranges_align_inward(s, PAGE_SIZE);
}

static void setup_memory(pa_t dtb, size_t dtb_size)
{
	struct mem_range busy[2] = {
		{ va_to_pa(__image_start), (u64)(__image_end - __image_start) },
		{ pa(ALIGN_DOWN(dtb.v, PAGE_SIZE)), ALIGN_UP(dtb.v + dtb_size, PAGE_SIZE) - ALIGN_DOWN(dtb.v, PAGE_SIZE) },
	};
	struct range_set ram;

	usable_ram(&ram, busy, 2);
	for (unsigned i = 0; i < ram.n; i++)
		if (mmu_map_ram(ram.r[i].base, ram.r[i].size))
			halt_boot("cannot map RAM into EL2");
	if (alloc_init(&ram))
		halt_boot("no RAM region can hold the allocator's bitmaps");
	alloc_pgt_pool_init(&hyp_table_pool, "el2", SIZE_MAX);
	mmu_set_pool(&hyp_table_pool);
	if (alloc_ignored_pages())
		log_warn("memory: %lu pages in banks past the first %u are not used\n",
			 alloc_ignored_pages(), ALLOC_MAX_REGIONS);
}

static void print_summary(void)
{
	const struct platform *plat = platform();
	u64 ram = 0;

	for (unsigned i = 0; i < plat->n_mem; i++)
		ram += plat->mem[i].size;
	log_info("Platform: %s (board %s)\n", plat->model, BOARD_NAME);
	log_info("  CPUs      %u online of %u, PSCI via %s\n", smp_online_count(), plat->n_cpus,
		 plat->psci == PSCI_SMC ? "smc" : plat->psci == PSCI_HVC ? "hvc" : "none");
	log_info("  Memory    %lu MiB in %u bank(s), %u reserved region(s)\n", ram >> 20,
		 plat->n_mem, plat->n_resv);
	for (unsigned i = 0; i < plat->n_mem; i++)
		log_info("            bank %u: %lx-%lx\n", i, plat->mem[i].base.v,
			 plat->mem[i].base.v + plat->mem[i].size - 1);
	for (unsigned i = 0; i < plat->n_resv; i++)
		log_info("            reserved: %lx-%lx\n", plat->resv[i].base.v,
			 plat->resv[i].base.v + plat->resv[i].size - 1);
	log_info("  Allocator %lu KiB free of %lu KiB\n", alloc_free_pages() * 4,
		 alloc_total_pages() * 4);
	log_info("  GICv3     distributor %lx, %u redistributor region(s) from %lx%s\n",
		 plat->gic.dist.v, plat->gic.n_redist, plat->gic.redist[0].base.v,
		 plat->gic.has_its ? ", ITS present" : "");
	log_info("  UART      %s at %lx\n", plat->uart.compatible, plat->uart.base.v);
	log_info("  Timer     %u Hz, EL2 physical timer INTID %u, virtual timer INTID %u\n",
		 timer_frequency(), plat->timer.hyp_phys_irq, plat->timer.virt_irq);
	if (plat->smmu.present)
		log_info("  SMMUv3    %lx, interrupts eventq %u priq %u cmdq-sync %u gerror %u\n",
			 plat->smmu.base.v, plat->smmu.irq_eventq, plat->smmu.irq_priq,
			 plat->smmu.irq_cmdq_sync, plat->smmu.irq_gerror);
	else
		log_info("  SMMUv3    none\n");
	smmu_print_summary();
	if (plat->pci.present)
		log_info("  PCIe      ECAM %lx, buses %u-%u, %u window(s), %u iommu-map entr%s, "
			 "MSIs %s\n", plat->pci.ecam.v, plat->pci.bus_start, plat->pci.bus_end,
			 plat->pci.n_ranges, plat->pci.n_iommu_map,
			 plat->pci.n_iommu_map == 1 ? "y" : "ies",
			 plat->pci.n_msi_map ? "to the ITS" : "none (INTx only)");
	else
		log_info("  PCIe      none\n");
	for (unsigned i = 0; i < pci_count(); i++) {
		char line[PCI_DESC_LEN];

		pci_describe(pci_dev_at(i), line, sizeof(line));
		log_info("  %s\n", line);
	}
	log_info("  Image     %lu KiB text, %lu KiB rodata, %lu KiB data+bss\n",
		 (u64)(__text_end - __image_start) >> 10, (u64)(__rodata_end - __text_end) >> 10,
		 (u64)(__image_end - __rodata_end) >> 10);
}

/* What no VM may be given: the image and the devices the hypervisor drives. */
static void host_resources(struct vmconfig_host *h)
{
	const struct platform *plat = platform();

	*h = (struct vmconfig_host){ .n_cpus = smp_online_count(),
				     .gic_spi_end = GIC_SPI_BASE + gic_num_spis() };
	h->hyp[h->n_hyp++] = (struct mem_range){ va_to_pa(__image_start), (u64)(__image_end - __image_start) };
	h->hyp[h->n_hyp++] = (struct mem_range){ plat->uart.base, MAX(plat->uart.size, PAGE_SIZE) };
	h->hyp[h->n_hyp++] = (struct mem_range){ plat->gic.dist, plat->gic.dist_size };
	for (unsigned i = 0; i < plat->gic.n_redist && h->n_hyp < ARRAY_SIZE(h->hyp) - 2; i++)
		h->hyp[h->n_hyp++] = plat->gic.redist[i];
	if (plat->smmu.present)
		h->hyp[h->n_hyp++] = (struct mem_range){ plat->smmu.base, plat->smmu.size };
	if (plat->gic.has_its)
		h->hyp[h->n_hyp++] = (struct mem_range){ plat->gic.its, SZ_64K * 2 };
	if (plat->uart.irq)
		h->hyp_irqs[h->n_hyp_irqs++] = plat->uart.irq;
	if (plat->smmu.present) {
		const u32 irqs[] = { plat->smmu.irq_eventq, plat->smmu.irq_priq, plat->smmu.irq_cmdq_sync,
				     plat->smmu.irq_gerror };

		for (unsigned i = 0; i < ARRAY_SIZE(irqs); i++)
			if (irqs[i])
				h->hyp_irqs[h->n_hyp_irqs++] = irqs[i];
	}
}

/* The VMs' devices, in the order their init runs (core/vm/vm_device.h). */
static void register_vm_devices(void)
{
	vm_set_irqchip(&vgic_irqchip);
	vm_device_register(&vgic_device);
	vm_device_register(&vuart_device);
	vm_device_register(&vpci_device);
	vm_device_register(&viommu_device);
}

/* The largest ITS DeviceID of the devices enumeration found, their DMA aliases' included
 * (0 if none has one). */
static u32 max_device_id(const struct plat_pci *host)
{
	u32 max = 0, id;

	for (unsigned i = 0; i < pci_count(); i++) {
		const struct pci_dev *d = pci_dev_at(i);

		if (!pci_rid_to_devid(host, d->bdf, &id))
			max = MAX(max, id);
		if (d->has_alias && !pci_rid_to_devid(host, d->alias_rid, &id))
			max = MAX(max, id);
	}
	return max;
}

static void start_guests(void)
{
	const struct platform *plat = platform();
	size_t size = (size_t)(vmconfig_blob_end - vmconfig_blob_start);
	struct vmconfig_host host;
	char err[PLAT_MSG_LEN];

	if (!size) {
		log_info("No VM config in this image: running without guests (docs/config.md)\n");
		return;
	}
	host_resources(&host);
	if (vmconfig_parse(vmconfig_blob_start, size, plat, &host, &vm_cfgs, err, sizeof(err)) ||
	    vpci_check_configs(&vm_cfgs, err, sizeof(err))) {
		log_err("config: %s\n", err);
		log_err("config: invalid, no guest started; the hypervisor keeps running\n");
		return;
	}
	vm_iommu_report_events();
	register_vm_devices();
	vm_create_all(&vm_cfgs);
}

void boot_main(u64 dtb_addr, u64 load_addr)
{
	const struct platform *plat = platform();
	pa_t dtb = pa(dtb_addr);
	size_t dtb_size;

	log_set_cpu(cpu_index, cpu_halt);
	/* The early UART works with the MMU off: device accesses need no mapping. */
	uart_console_init(&early_console, BOARD_EARLY_UART_COMPAT, pa(BOARD_EARLY_UART_BASE), 0);
	log_set_console(&early_console);
	check_el2();
	dtb_size = mmu_boot(dtb, pa(BOARD_EARLY_UART_BASE));
	cpu_init(0);
	log_enable_locking();
	log_info("\nPortcullis hypervisor, board %s: loaded at %lx, DTB at %lx, EL2 MMU on\n",
		 BOARD_NAME, load_addr, dtb_addr);
	discover(dtb, dtb_size);
	switch_console();
	psci_set_conduit(plat->psci);
	setup_memory(dtb, dtb_size);
	if (gic_init(&plat->gic))
		halt_boot("interrupt controller");
	timer_init(&plat->timer);
	gic_set_handler(plat->timer.hyp_phys_irq, timer_hyp_irq, NULL);
	gic_enable_local(plat->timer.hyp_phys_irq);
	smmu_init(&plat->smmu);
	pci_init(&plat->pci);
	its_init(plat, max_device_id(&plat->pci));
	smp_boot(plat);
	print_summary();
	smp_demo_ipi();
	timer_demo_tick();
	its_selftest(plat);
	if (smmu_needs_polling()) {
		log_info("SMMUv3: polling its queues every %u ms\n", SMMU_POLL_PERIOD_US / 1000);
		timer_start_ticks(SMMU_POLL_PERIOD_US, TIMER_TICKS_FOREVER, smmu_poll);
	}
	selftest_run(pa_to_va(dtb));
	log_info("Portcullis ready: %u CPUs online\n", smp_online_count());
	console_init(plat);
	start_guests();
	vm_publish();
	vcpu_cpu_loop();
}
