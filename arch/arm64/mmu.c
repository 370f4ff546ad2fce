/*
 * EL2 stage-1 MMU (Arm ARM D8, EL2 translation regime with HCR_EL2.E2H = 0): an identity
 * map built with the shared page-table engine. Text is read-only executable, read-only data
 * read-only, everything else read-write and never executable (SCTLR_EL2.WXN enforces it).
 */
#include "arch/mmu.h"

#include <libfdt.h>
#include "arch/arch.h"
#include "arch/barrier.h"
#include "arch/cpu.h"
#include "arch/sysreg.h"
#include "core/lib/errno.h"
#include "iommu/pgtable/pgtable.h"
#include "iommu/pgtable/pgtable_desc.h"

#define BOOT_POOL_PAGES 48
#define DTB_MAX_SIZE SZ_2M

extern u8 __image_start[], __text_end[], __rodata_end[], __image_end[];
void mmu_enable_asm(void);
void dcache_clean_inval_range(u64 start, u64 end);

/* Read by mmu_enable_asm on every CPU, the secondaries with their caches still off. */
struct {
	u64 mair, tcr, ttbr0, sctlr;
} el2_mmu_regs;

static u8 boot_pool_pages[BOOT_POOL_PAGES][SZ_4K] __attribute__((aligned(SZ_4K)));
static unsigned boot_pool_next;
static struct pgtable hyp_pgt;
static unsigned pa_bits;

static pa_t boot_alloc(struct pgt_pool *pool, unsigned pages)
{
	(void)pool;
	if (boot_pool_next + pages > BOOT_POOL_PAGES)
		return pa(0);
	boot_pool_next += pages;
	return va_to_pa(boot_pool_pages[boot_pool_next - pages]);
}

static pa_t boot_alloc_page(struct pgt_pool *pool) { return boot_alloc(pool, 1); }

static bool in_boot_pool(pa_t p)
{
	return p.v >= va_to_pa(boot_pool_pages).v &&
	       p.v < va_to_pa(boot_pool_pages[BOOT_POOL_PAGES]).v;
}

/* Boot pool pages are never reused: a boot table the map no longer needs is simply left. */
static void boot_free_page(struct pgt_pool *pool, pa_t p) { (void)pool; (void)p; }

static struct pgt_pool boot_pool = {
	.name = "el2 boot",
	.limit = BOOT_POOL_PAGES,
	.alloc_page = boot_alloc_page,
	.free_page = boot_free_page,
};

static struct pgt_pool *runtime_pool;

static pa_t runtime_alloc_page(struct pgt_pool *pool) { return runtime_pool->alloc_page(runtime_pool); }

static void runtime_free_page(struct pgt_pool *pool, pa_t p)
{
	if (!in_boot_pool(p))
		runtime_pool->free_page(runtime_pool, p);
}

static int el2_tlb_inv(void *ctx, u64 ia, u64 size, bool leaf)
{
	(void)ctx;
	(void)leaf;
	dsb(ishst);
	for (u64 va = ia; va < ia + size; va += PAGE_SIZE)
		__asm__ volatile("tlbi vae2is, %0" : : "r"(va >> PAGE_SHIFT));
	return 0;
}

static int el2_tlb_sync(void *ctx)
{
	(void)ctx;
	dsb(ish);
	isb();
	return 0;
}

static const struct pgt_tlb_ops el2_tlb = { .inv_range = el2_tlb_inv, .sync = el2_tlb_sync };

/* PARange encodings (Arm ARM D19.2.64); Portcullis uses up to 48 bits (no FEAT_LPA). */
static unsigned parange_bits(u64 parange)
{
	static const unsigned bits[] = { 32, 36, 40, 42, 44, 48 };

	return parange < ARRAY_SIZE(bits) ? bits[parange] : 48;
}

static u64 tcr_value(unsigned va_bits, u64 parange)
{
	return TCR_EL2_RES1 | FIELD_PREP(TCR_EL2_T0SZ, 64 - va_bits) |
	       FIELD_PREP(TCR_EL2_IRGN0, TCR_RGN_WBWA) | FIELD_PREP(TCR_EL2_ORGN0, TCR_RGN_WBWA) |
	       FIELD_PREP(TCR_EL2_SH0, TCR_SH_INNER) | FIELD_PREP(TCR_EL2_TG0, TCR_TG0_4K) |
	       FIELD_PREP(TCR_EL2_PS, MIN(parange, 5));
}

static void map_or_halt(u64 start, u64 end, unsigned prot)
{
	if (pgt_map(&hyp_pgt, start, pa(start), end - start, prot))
		cpu_halt(); /* the boot pool is sized for this: a build bug, with no console yet */
}

static size_t map_dtb(pa_t dtb)
{
	const struct fdt_header *h = pa_to_va(dtb);
	u64 start, size;

	/* Only the header's first words are read before mapping: as big-endian 32-bit values,
	 * aligned, so this is safe with the MMU off. */
	if (!IS_ALIGNED(dtb.v, 8) || fdt_magic(h) != FDT_MAGIC)
		return 0;
	size = MIN((u64)fdt_totalsize(h), DTB_MAX_SIZE);
	start = ALIGN_DOWN(dtb.v, PAGE_SIZE);
	if (pgt_map(&hyp_pgt, start, pa(start), ALIGN_UP(dtb.v + size, PAGE_SIZE) - start, PGT_READ))
		return 0;
	return size;
}

size_t mmu_boot(pa_t dtb, pa_t early_uart)
{
	u64 parange = FIELD_GET(ID_AA64MMFR0_PARANGE, read_sysreg(id_aa64mmfr0_el1));
	u64 text = va_to_pa(__image_start).v, rodata = va_to_pa(__text_end).v;
	u64 data = va_to_pa(__rodata_end).v, end = va_to_pa(__image_end).v;
	size_t dtb_size;

	pa_bits = parange_bits(parange);
	hyp_pgt.clean_to_poc = true; /* caches are off while we build it */
	if (pgt_init(&hyp_pgt, PGT_FMT_EL2_S1, PGT_MAX_IAS, &boot_pool, boot_alloc))
		cpu_halt();
	map_or_halt(text, rodata, PGT_READ | PGT_EXEC);
	map_or_halt(rodata, data, PGT_READ);
	map_or_halt(data, end, PGT_READ | PGT_WRITE);
	for (unsigned i = 0; i < MAX_CPUS; i++)
		pgt_unmap(&hyp_pgt, va_to_pa(cpu_stacks[i].guard).v, CPU_STACK_GUARD);
	map_or_halt(ALIGN_DOWN(early_uart.v, PAGE_SIZE), ALIGN_DOWN(early_uart.v, PAGE_SIZE) + PAGE_SIZE,
		    PGT_READ | PGT_WRITE | PGT_DEVICE);
	dtb_size = map_dtb(dtb);

	el2_mmu_regs.mair = PGT_S1_MAIR;
	el2_mmu_regs.tcr = tcr_value(PGT_MAX_IAS, parange);
	el2_mmu_regs.ttbr0 = hyp_pgt.root.v;
	el2_mmu_regs.sctlr = SCTLR_EL2_RES1 | SCTLR_EL2_M | SCTLR_EL2_C | SCTLR_EL2_I |
			     SCTLR_EL2_SA | SCTLR_EL2_WXN;
	/* Nothing we wrote with the caches off may be shadowed by a stale line afterwards. */
	dcache_clean_inval_range(text, end);
	mmu_enable_asm();
	hyp_pgt.clean_to_poc = false;
	hyp_pgt.tlb = &el2_tlb;
	return dtb_size;
}

void mmu_set_pool(struct pgt_pool *pool)
{
	static struct pgt_pool proxy = {
		.name = "el2",
		.alloc_page = runtime_alloc_page,
		.free_page = runtime_free_page,
	};

	runtime_pool = pool;
	proxy.used = boot_pool.used;
	proxy.limit = pool->limit > SIZE_MAX - boot_pool.used ? SIZE_MAX : boot_pool.used + pool->limit;
	hyp_pgt.pool = &proxy;
}

static int map_rounded(pa_t base, u64 size, unsigned prot)
{
	u64 start = ALIGN_DOWN(base.v, PAGE_SIZE), end = ALIGN_UP(base.v + size, PAGE_SIZE);

	if (end <= start || end > BIT(pa_bits))
		return -E_RANGE;
	/* Map the holes; a page already mapped with another kind is an error. */
	while (start < end) {
		u64 run = start, entry;
		unsigned cur_prot;
		pa_t cur;

		while (run < end && !pgt_walk(&hyp_pgt, run, &cur, &cur_prot, &entry))
			run = ALIGN_DOWN(run, entry) + entry;
		run = MIN(run, end);
		if (run > start) {
			int ret = pgt_map(&hyp_pgt, start, pa(start), run - start, prot);

			if (ret)
				return ret;
		}
		if (run == end)
			break;
		if (cur_prot != prot)
			return -E_EXIST;
		start = ALIGN_DOWN(run, entry) + entry;
	}
	return 0;
}

int mmu_map_device(pa_t base, u64 size) { return map_rounded(base, size, PGT_READ | PGT_WRITE | PGT_DEVICE); }
int mmu_map_ram(pa_t base, u64 size) { return map_rounded(base, size, PGT_READ | PGT_WRITE); }

int mmu_unmap(pa_t base, u64 size)
{
	u64 start = ALIGN_DOWN(base.v, PAGE_SIZE), end = ALIGN_UP(base.v + size, PAGE_SIZE);

	return pgt_unmap(&hyp_pgt, start, end - start);
}

unsigned mmu_pa_bits(void) { return pa_bits; }
