/* Stage-2 TLB maintenance for the VMID in VTTBR_EL2, broadcast to the Inner Shareable
 * domain (Arm ARM C5.5 "A64 System instructions for TLB maintenance"). The caller orders
 * them: DSB ISHST before (the table writes), DSB ISH after (completion). Inline: every
 * stage-2 unmap issues them. */
#ifndef ARCH_TLB_H
#define ARCH_TLB_H

#include "core/lib/types.h"

/* tlbi_s2_ipa(ipa): TLBI IPAS2E1IS, the stage-2 entries of one IPA page.
 * tlbi_s1_guest(): TLBI VMALLE1IS, the guest's stage-1 (and combined) entries.
 * tlbi_s12_guest(): TLBI VMALLS12E1IS, every stage-1 and stage-2 entry of the VMID. */
#include <arch_impl/tlb.h>

#endif
