/* The hypervisor's own EL2 stage-1 translation: an identity map, so pa_to_va() is free. */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#include "core/lib/types.h"

/* The page-table engine's page source (iommu/pgtable/pgtable.h), handed over opaque. */
struct pgt_pool;

/* Build the boot map from a static pool (image sections, guard pages left out, the early
 * UART, and the DTB read-only if it looks like one) and turn the MMU on. Runs with the MMU
 * off. Returns the DTB size mapped (0 if the blob has no FDT magic). */
size_t mmu_boot(pa_t dtb, pa_t early_uart);

/* Map MMIO (Device-nGnRE, never executable) or RAM (normal, RW, never executable). Ranges
 * are rounded out to pages; what is already mapped with the same kind is left as it is.
 * Return 0 or -E_*. */
int mmu_map_device(pa_t base, u64 size);
int mmu_map_ram(pa_t base, u64 size);
int mmu_unmap(pa_t base, u64 size);

/* From now on table pages come from pool (the page allocator), not the boot pool. */
void mmu_set_pool(struct pgt_pool *pool);

/* Physical address bits the MMU was set up for (ID_AA64MMFR0_EL1.PARange, capped). */
unsigned mmu_pa_bits(void);

#endif
