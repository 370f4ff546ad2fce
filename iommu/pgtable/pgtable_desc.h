/* VMSAv8-64 descriptor fields (Arm ARM D8.3.1 and D8.3.2), 4 KiB granule. */
#ifndef IOMMU_PGTABLE_DESC_H
#define IOMMU_PGTABLE_DESC_H

#include "core/lib/bits.h"

#define PTE_VALID BIT(0)
#define PTE_TYPE_MASK GENMASK(1, 0)
#define PTE_TYPE_BLOCK U(1) /* levels 1 and 2 */
#define PTE_TYPE_TABLE U(3) /* levels 0 to 2 */
#define PTE_TYPE_PAGE U(3)  /* level 3 */
#define PTE_ADDR GENMASK(47, 12)
#define PTE_ADDR_MAX GENMASK(47, 0) /* highest output address (48-bit OA) */

/* Stage 1 lower and upper attributes */
#define PTE_ATTRINDX GENMASK(4, 2)
#define PTE_AP_UNPRIV BIT(6) /* AP[1] */
#define PTE_AP_RO BIT(7)     /* AP[2] */
#define PTE_SH GENMASK(9, 8)
#define PTE_SH_INNER U(3)
#define PTE_AF BIT(10)
#define PTE_NG BIT(11)
#define PTE_PXN BIT(53)
#define PTE_XN BIT(54) /* UXN in a two-privilege regime */

/* Stage 2 attributes (D8.3.2, FEAT_S2FWB not used) */
#define PTE_S2_MEMATTR GENMASK(5, 2)
#define S2_MEMATTR_DEVICE_nGnRE U(0x1)
#define S2_MEMATTR_NORMAL_WB U(0xf)
#define PTE_S2AP_R BIT(6)
#define PTE_S2AP_W BIT(7)
#define PTE_S2_XN GENMASK(54, 53)
#define S2_XN_NONE U(2) /* not executable at EL1 or EL0 */

/* MAIR indices every stage-1 format uses; PGT_S1_MAIR is the matching MAIR value, shared by
 * MAIR_EL2 and SMMU context descriptors. */
#define PGT_MAIR_IDX_NORMAL 0
#define PGT_MAIR_IDX_DEVICE 1
#define PGT_S1_MAIR (ULL(0xff) | (ULL(0x04) << 8))

#endif
