/* Host double of arch/mmu.h: host memory is mapped already, so every mapping succeeds and is
 * counted. */
#include "arch/mmu.h"
#include "arch/fake/fake.h"

/* What ID_AA64MMFR0_EL1.PARange says on QEMU's max CPU: 48 bits. */
#define FAKE_PA_BITS 48

unsigned long fake_mmu_maps;

size_t mmu_boot(pa_t dtb, pa_t early_uart)
{
	(void)dtb, (void)early_uart;
	return 0;
}

static int mapped(pa_t base, u64 size)
{
	(void)base, (void)size;
	fake_mmu_maps++;
	return 0;
}

int mmu_map_device(pa_t base, u64 size) { return mapped(base, size); }
int mmu_map_ram(pa_t base, u64 size) { return mapped(base, size); }
int mmu_unmap(pa_t base, u64 size) { return mapped(base, size); }
void mmu_set_pool(struct pgt_pool *pool) { (void)pool; }
unsigned mmu_pa_bits(void) { return FAKE_PA_BITS; }
