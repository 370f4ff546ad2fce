#include "core/vm/stage2.h"

#include "arch/barrier.h"
#include "arch/mmu.h"
#include "arch/sysreg.h"
#include "arch/tlb.h"
#include "core/mm/alloc.h"
#include "core/vm/guest_layout.h"
#include "iommu/smmuv3/smmuv3.h"

/* VTCR_EL2 (Arm ARM D19.2.163) */
#define VTCR_T0SZ GENMASK(5, 0)
#define VTCR_SL0 GENMASK(7, 6)
#define VTCR_IRGN0 GENMASK(9, 8)
#define VTCR_ORGN0 GENMASK(11, 10)
#define VTCR_SH0 GENMASK(13, 12)
#define VTCR_TG0 GENMASK(15, 14)
#define VTCR_PS GENMASK(18, 16)
#define VTCR_RES1 BIT(31)
#define VTTBR_VMID GENMASK(55, 48)

unsigned stage2_ipa_bits(void)
{
	return MIN(GUEST_IPA_BITS, mmu_pa_bits());
}

static u64 pa_bits_to_ps(unsigned bits)
{
	static const unsigned ps_bits[] = { 32, 36, 40, 42, 44, 48 };

	for (unsigned i = 0; i < ARRAY_SIZE(ps_bits); i++)
		if (ps_bits[i] >= bits)
			return i;
	return ARRAY_SIZE(ps_bits) - 1;
}

/* SL0 for a 4 KiB granule: 0 = start at level 2, 1 = level 1, 2 = level 0 (D19.2.163). */
static u64 vtcr_value(const struct pgtable *s2)
{
	return VTCR_RES1 | FIELD_PREP(VTCR_T0SZ, 64 - s2->ias) |
	       FIELD_PREP(VTCR_SL0, 2 - s2->start_level) | FIELD_PREP(VTCR_IRGN0, TCR_RGN_WBWA) |
	       FIELD_PREP(VTCR_ORGN0, TCR_RGN_WBWA) | FIELD_PREP(VTCR_SH0, TCR_SH_INNER) |
	       FIELD_PREP(VTCR_TG0, TCR_TG0_4K) | FIELD_PREP(VTCR_PS, pa_bits_to_ps(mmu_pa_bits()));
}

/*
 * TLB maintenance by IPA applies to the VMID in VTTBR_EL2, so switch to the VM for it. The
 * CPU doing this is at EL2 and not running that VM's guest at the moment.
 */
/* The SMMU walks this table too when the VM has devices and the SMMU has stage 2: keep its
 * TLB in step with the CPUs' (issue 4, isolation mode). */
static bool smmu_walks(const struct vm *vm)
{
	return vm->cfg->n_pci && smmu_present() && smmu_has_s2();
}

static int s2_tlb_inv(void *ctx, u64 ia, u64 size, bool leaf)
{
	const struct vm *vm = ctx;
	u64 saved = read_sysreg(vttbr_el2);
	int ret = 0;

	if (smmu_walks(vm))
		ret = smmu_tlbi_s2(vm_vmid(vm), ia, size, leaf);
	write_sysreg(vttbr_el2, vm->vttbr);
	isb();
	dsb(ishst);
	for (u64 a = ia; a < ia + size; a += PAGE_SIZE)
		tlbi_s2_ipa(a);
	/* Combined stage 1+2 entries are tagged by VA: drop them all (D8.14.6). */
	dsb(ish);
	tlbi_s1_guest();
	write_sysreg(vttbr_el2, saved);
	isb();
	return ret;
}

static int s2_tlb_sync(void *ctx)
{
	dsb(ish);
	isb();
	return smmu_walks(ctx) ? smmu_sync() : 0;
}

static const struct pgt_tlb_ops s2_tlb = { .inv_range = s2_tlb_inv, .sync = s2_tlb_sync };

int stage2_init(struct vm *vm)
{
	int ret;

	alloc_pgt_pool_init(&vm->s2_pool, vm->cfg->name, STAGE2_TABLE_PAGES);
	ret = pgt_init(&vm->s2, PGT_FMT_S2, stage2_ipa_bits(), &vm->s2_pool, alloc_pgt_root);
	if (ret)
		return ret;
	vm->s2.tlb = &s2_tlb;
	vm->s2.tlb_ctx = vm;
	vm->vttbr = vm->s2.root.v | FIELD_PREP(VTTBR_VMID, vm_vmid(vm));
	return 0;
}

int stage2_map(struct vm *vm, ipa_t ipa, pa_t pa, u64 size, bool device)
{
	unsigned prot = PGT_READ | PGT_WRITE | (device ? PGT_DEVICE : PGT_EXEC);

	return pgt_map(&vm->s2, ipa.v, pa, size, prot);
}

bool stage2_translate(const struct vm *vm, ipa_t ipa, pa_t *out)
{
	return pgt_walk(&vm->s2, ipa.v, out, NULL, NULL);
}

void stage2_load(const struct vm *vm)
{
	write_sysreg(vtcr_el2, vtcr_value(&vm->s2));
	write_sysreg(vttbr_el2, vm->vttbr);
	isb();
}

void stage2_flush_tlb(const struct vm *vm)
{
	u64 saved = read_sysreg(vttbr_el2);

	write_sysreg(vttbr_el2, vm->vttbr);
	isb();
	dsb(ishst);
	tlbi_s12_guest();
	dsb(ish);
	write_sysreg(vttbr_el2, saved);
	isb();
}
