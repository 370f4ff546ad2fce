/*
 * Portcullis's bare-metal test guest. It checks from inside a VM what Linux would hide.
 * Its role comes from the device tree's bootargs:
 * - "role=prober" (prober.c): every access outside its RAM is an external abort; PSCI
 *   CPU_ON/AFFINITY_INFO/CPU_OFF on its vCPUs; the virtual timer; SGIs between its two
 *   vCPUs; PSCI SYSTEM_RESET restarts only its VM, with its vGIC reset.
 * - "role=resetter" (prober.c): resets its VM every two seconds (make soak); "role=spin":
 *   only spins (the flood's baseline in tests/linux/test_livelock.py).
 * - "role=watcher" (watcher.c): what it was not given is out of reach; a canary in its RAM
 *   and the interrupts it gets, reported every 200 ms.
 * - "role=rtc" (rtc.c): a passed-through device and its forwarded interrupt.
 * - "role=viommu" (viommu.c): its own virtio-iommu driver, checked through edu's DMA.
 * - "role=flood" (viommu.c): edu's DMA into an IOVA nothing maps, in a loop: SMMU faults.
 * - "role=faulter" (viommu.c): its edu (00:05.0) faults now and then, each fault at an IOVA
 *   of its own; it counts which of them its virtio-iommu reported (beside a flood).
 * - "role=dma" (dma.c): a passed-through PCI device (QEMU's edu) found through the emulated
 *   ECAM, and its DMA, inside and outside the VM's RAM.
 * - "role=msi" (msi.c): edu's MSI through the VM's virtual ITS, and what a hostile guest
 *   can try with its MSI and its ITS; "role=msibench": the MSI's latency alone (make
 *   bench, also straight on QEMU).
 */
#include "guest.h"

void guest_main(const uint8_t *dtb)
{
	const char *args = bootargs(dtb);

	puts("GUEST: hello, bootargs '");
	puts(args);
	puts("'\n");
	if (has_arg(args, "role=prober"))
		prober();
	else if (has_arg(args, "role=resetter"))
		resetter();
	else if (has_arg(args, "role=spin"))
		spin();
	else if (has_arg(args, "role=watcher"))
		watcher();
	else if (has_arg(args, "role=rtc"))
		rtc();
	else if (has_arg(args, "role=viommubench"))
		viommu_bench();
	else if (has_arg(args, "role=flood"))
		viommu_flood();
	else if (has_arg(args, "role=faulter"))
		viommu_faulter();
	else if (has_arg(args, "role=viommu"))
		viommu();
	else if (has_arg(args, "role=dma"))
		dma();
	else if (has_arg(args, "role=msibench"))
		msi_bench();
	else if (has_arg(args, "role=msi"))
		msi();
}

/* A vCPU other than 0, started by PSCI CPU_ON with context_id. */
void guest_secondary(uint64_t cpu, uint64_t context_id)
{
	if (context_id == VIOMMU_RACE_TASK)
		viommu_secondary();
	else
		prober_secondary((unsigned)cpu, context_id);
}
