/* Each VM's stage-2 translation (Arm ARM D8.2): guest-physical to physical, built with the
 * shared table engine. The CPU walks it through VTTBR_EL2; the SMMU will walk the very same
 * table for the VM's devices. */
#ifndef CORE_STAGE2_H
#define CORE_STAGE2_H

#include "core/vm/vm.h"

/* Table pages a VM's stage 2 may use (its RAM is mapped with blocks where aligned). */
#define STAGE2_TABLE_PAGES 1024

/* IPA size every VM gets: GUEST_IPA_BITS capped by the CPU's PARange. */
unsigned stage2_ipa_bits(void);
int stage2_init(struct vm *vm);
int stage2_map(struct vm *vm, ipa_t ipa, pa_t pa, u64 size, bool device);
/* Translate one guest-physical address; false if the VM has nothing mapped there. */
bool stage2_translate(const struct vm *vm, ipa_t ipa, pa_t *out);
/* Point this CPU's stage 2 at the VM (VTCR_EL2, VTTBR_EL2). */
void stage2_load(const struct vm *vm);
/* Drop every TLB entry of the VM (after a reset, or before reusing its VMID). */
void stage2_flush_tlb(const struct vm *vm);

#endif
