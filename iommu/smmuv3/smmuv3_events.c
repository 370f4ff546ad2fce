/*
 * SMMUv3 event records (IHI 0070 7.3): names, and which fields each type carries. Pure,
 * host-tested (tests/unit/test_smmuv3.c).
 */
#include "core/lib/fmt.h"
#include "iommu/smmuv3/smmuv3_ste.h"

const char *smmu_event_name(unsigned type)
{
	switch (type) {
	case EVT_F_UUT: return "F_UUT";
	case EVT_C_BAD_STREAMID: return "C_BAD_STREAMID";
	case EVT_F_STE_FETCH: return "F_STE_FETCH";
	case EVT_C_BAD_STE: return "C_BAD_STE";
	case EVT_F_BAD_ATS_TREQ: return "F_BAD_ATS_TREQ";
	case EVT_F_STREAM_DISABLED: return "F_STREAM_DISABLED";
	case EVT_F_TRANSL_FORBIDDEN: return "F_TRANSL_FORBIDDEN";
	case EVT_C_BAD_SUBSTREAMID: return "C_BAD_SUBSTREAMID";
	case EVT_F_CD_FETCH: return "F_CD_FETCH";
	case EVT_C_BAD_CD: return "C_BAD_CD";
	case EVT_F_WALK_EABT: return "F_WALK_EABT";
	case EVT_F_TRANSLATION: return "F_TRANSLATION";
	case EVT_F_ADDR_SIZE: return "F_ADDR_SIZE";
	case EVT_F_ACCESS: return "F_ACCESS";
	case EVT_F_PERMISSION: return "F_PERMISSION";
	case EVT_F_TLB_CONFLICT: return "F_TLB_CONFLICT";
	case EVT_F_CFG_CONFLICT: return "F_CFG_CONFLICT";
	case EVT_E_PAGE_REQUEST: return "E_PAGE_REQUEST";
	case EVT_F_VMS_FETCH: return "F_VMS_FETCH";
	default:
		return type >= EVT_IMPDEF_FIRST && type <= EVT_IMPDEF_LAST ? "IMPDEF" : "reserved";
	}
}

/* The fields each record type carries (7.3): the input address and the transaction's
 * attributes for those about a transaction; S2, CLASS and the IPA for translation faults;
 * the fetch address for failed structure fetches and external aborts on a walk. */
static u32 event_fields(unsigned type)
{
	const u32 txn = SMMU_EVF_ADDR | SMMU_EVF_ACCESS;

	switch (type) {
	case EVT_F_UUT:
	case EVT_F_BAD_ATS_TREQ:
	case EVT_F_TRANSL_FORBIDDEN:
	case EVT_E_PAGE_REQUEST:
		return txn;
	case EVT_F_TLB_CONFLICT:
		return txn | SMMU_EVF_S2;
	case EVT_F_WALK_EABT:
		return txn | SMMU_EVF_S2 | SMMU_EVF_CLASS | SMMU_EVF_FETCH;
	case EVT_F_TRANSLATION:
	case EVT_F_ADDR_SIZE:
	case EVT_F_ACCESS:
	case EVT_F_PERMISSION:
		return txn | SMMU_EVF_S2 | SMMU_EVF_CLASS | SMMU_EVF_IPA;
	case EVT_F_STE_FETCH:
	case EVT_F_CD_FETCH:
	case EVT_F_VMS_FETCH:
		return SMMU_EVF_FETCH;
	default:
		return 0;
	}
}

void smmu_event_decode(const struct smmu_evt *evt, struct smmu_event *ev)
{
	unsigned type = FIELD_GET(EVT_0_TYPE, evt->data[0]);
	u32 fields = event_fields(type), flags = 0;

	*ev = (struct smmu_event){
		.type = type,
		.name = smmu_event_name(type),
		.sid = FIELD_GET(EVT_0_SID, evt->data[0]),
		.ssv = evt->data[0] & EVT_0_SSV,
		.ssid = FIELD_GET(EVT_0_SSID, evt->data[0]),
	};
	ev->raw = *evt;
	if (fields & SMMU_EVF_ADDR) {
		flags |= SMMU_EVF_ADDR;
		ev->addr = FIELD_GET(EVT_2_INPUT_ADDR, evt->data[2]);
	}
	if (fields & SMMU_EVF_ACCESS) {
		flags |= SMMU_EVF_ACCESS;
		flags |= (evt->data[1] & EVT_1_RNW) ? 0 : SMMU_EVF_WRITE;
		flags |= (evt->data[1] & EVT_1_PNU) ? SMMU_EVF_PRIV : 0;
		flags |= (evt->data[1] & EVT_1_IND) ? SMMU_EVF_INSTR : 0;
	}
	if ((fields & SMMU_EVF_S2) && (evt->data[1] & EVT_1_S2))
		flags |= SMMU_EVF_S2;
	if (fields & SMMU_EVF_CLASS) {
		flags |= SMMU_EVF_CLASS;
		ev->cls = FIELD_GET(EVT_1_CLASS, evt->data[1]);
	}
	/* The IPA is reported for a stage-2 fault only (for a stage-2-only stream it is the
	 * input address again). */
	if ((fields & SMMU_EVF_IPA) && (flags & SMMU_EVF_S2)) {
		flags |= SMMU_EVF_IPA;
		ev->ipa = evt->data[3] & EVT_3_IPA;
	}
	if (fields & SMMU_EVF_FETCH) {
		flags |= SMMU_EVF_FETCH;
		ev->fetch = evt->data[3] & EVT_3_FETCH_ADDR;
	}
	ev->flags = flags;
}

int smmu_event_format(const struct smmu_event *ev, char *buf, size_t len)
{
	static const char *const cls[] = { "CD fetch", "table walk", "input address", "?" };
	int n = fmt_snprintf(buf, len, "%s (0x%02x) sid %x", ev->name, ev->type, ev->sid);

#define APPEND(...) n += fmt_snprintf(buf + MIN((size_t)n, len), len - MIN((size_t)n, len), __VA_ARGS__)
	if (ev->ssv)
		APPEND(" ssid %x", ev->ssid);
	if (ev->flags & SMMU_EVF_ACCESS)
		APPEND(" %s%s%s", ev->flags & SMMU_EVF_WRITE ? "write" : "read",
		       ev->flags & SMMU_EVF_PRIV ? " priv" : "",
		       ev->flags & SMMU_EVF_INSTR ? " instr" : "");
	if (ev->flags & SMMU_EVF_ADDR)
		APPEND(" at %lx", ev->addr);
	if (ev->flags & SMMU_EVF_CLASS)
		APPEND(", stage %u %s", ev->flags & SMMU_EVF_S2 ? 2 : 1, cls[ev->cls & 3]);
	if (ev->flags & SMMU_EVF_IPA)
		APPEND(", IPA %lx", ev->ipa);
	if (ev->flags & SMMU_EVF_FETCH)
		APPEND(", fetching %lx", ev->fetch);
#undef APPEND
	return n;
}
