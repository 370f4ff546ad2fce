#include "arch/pmu.h"

#include "arch/barrier.h"
#include "arch/counter.h"
#include "arch/sysreg.h"

/* Field layouts from the register descriptions of Arm ARM (DDI 0487) part D, "AArch64
 * System Register Descriptions". PMCR_EL0.N: the number of event counters. */
#define PMCR_N GENMASK(15, 11)
/* MDCR_EL2: counters [0, HPMN) are the guest's, the rest EL2's, enabled by HPME;
 * HPMD (FEAT_PMUv3p1) stops the guest's counters from counting at EL2. */
#define MDCR_EL2_HPMN GENMASK(4, 0)
#define MDCR_EL2_HPME BIT(7)
#define MDCR_EL2_HPMD BIT(17)
/* PMEVTYPER<n>_EL0: P and U stop counting at EL1 and EL0, NSK and NSU left 0 so that the
 * Non-secure ELs stay filtered too (they count only where NSK == P, NSU == U), NSH counts
 * at EL2. */
#define PMEVTYPER_P BIT(31)
#define PMEVTYPER_U BIT(30)
#define PMEVTYPER_NSH BIT(27)
#define PMEVTYPER_EL2_ONLY (PMEVTYPER_P | PMEVTYPER_U | PMEVTYPER_NSH)
/* Common architectural event numbers ("The PMU event number space"); PMCEID0_EL0 bit n
 * says that event n exists. */
#define EVENT_INST_RETIRED 0x08U
#define EVENT_CPU_CYCLES 0x11U
/* ID_AA64DFR0_EL1.PMUVer: 1 = PMUv3, 4 = PMUv3p1, 0xf = IMPLEMENTATION DEFINED. */
#define DFR0_PMUVER GENMASK(11, 8)
#define PMUVER_V3 1U
#define PMUVER_V3P1 4U
#define PMUVER_IMPDEF 0xfU

enum cost_source { SOURCE_TIMER, SOURCE_INSTRUCTIONS, SOURCE_CYCLES };

/* Decided by each CPU alike (the same PMU everywhere); read by cost_unit() on any. */
static enum cost_source source;
/* The system counter's frequency (drivers/timer says: the firmware's or the device tree's). */
static u32 counter_hz;

/* PMEVCNTR<n>_EL0 is S3_3_C14_C<8 + n / 8>_<n % 8>: the counter number is in the
 * instruction, so each counter has its reader, and cost_now() calls the one chosen at boot
 * (a switch on the number cost more than the rest of a reading). */
#define CNTR_READER(crm, op2) \
	static cost_t read_cntr_##crm##_##op2(void) \
	{ \
		u64 v; \
		__asm__ volatile("mrs %0, S3_3_C14_C" #crm "_" #op2 : "=r"(v)); \
		return (cost_t)v; \
	}
#define CNTR_READER_ROW(crm) \
	CNTR_READER(crm, 0) CNTR_READER(crm, 1) CNTR_READER(crm, 2) CNTR_READER(crm, 3) \
	CNTR_READER(crm, 4) CNTR_READER(crm, 5) CNTR_READER(crm, 6) CNTR_READER(crm, 7)
CNTR_READER_ROW(8) CNTR_READER_ROW(9) CNTR_READER_ROW(10)
CNTR_READER(11, 0) CNTR_READER(11, 1) CNTR_READER(11, 2) CNTR_READER(11, 3)
CNTR_READER(11, 4) CNTR_READER(11, 5) CNTR_READER(11, 6)

#define CNTR_ROW(crm) \
	read_cntr_##crm##_0, read_cntr_##crm##_1, read_cntr_##crm##_2, read_cntr_##crm##_3, \
	read_cntr_##crm##_4, read_cntr_##crm##_5, read_cntr_##crm##_6, read_cntr_##crm##_7
/* PMEVCNTR0_EL0 .. PMEVCNTR30_EL0 */
static cost_t (*const event_counter_readers[31])(void) = {
	CNTR_ROW(8), CNTR_ROW(9), CNTR_ROW(10),
	read_cntr_11_0, read_cntr_11_1, read_cntr_11_2, read_cntr_11_3,
	read_cntr_11_4, read_cntr_11_5, read_cntr_11_6,
};

static cost_t read_timer(void) { return (cost_t)counter_read(); }

/* What cost_now() reads; decided by each CPU alike in pmu_cpu_init(). */
static cost_t (*read_cost)(void) = read_timer;

static enum cost_source pick_source(u64 dfr0, u64 pmcr)
{
	unsigned ver = (unsigned)FIELD_GET(DFR0_PMUVER, dfr0);
	u64 events = read_sysreg(pmceid0_el0);

	/* Keeping a counter back must leave the guest one: HPMN 0 needs FEAT_HPMN0. */
	if (ver < PMUVER_V3 || ver == PMUVER_IMPDEF || FIELD_GET(PMCR_N, pmcr) < 2)
		return SOURCE_TIMER;
	if (events & BIT(EVENT_INST_RETIRED))
		return SOURCE_INSTRUCTIONS;
	if (events & BIT(EVENT_CPU_CYCLES))
		return SOURCE_CYCLES;
	return SOURCE_TIMER;
}

/* Programs the kept counter through PMSELR_EL0: done before the guest runs, so no guest
 * selection is lost. */
static void start_counter(unsigned n, unsigned event)
{
	write_sysreg(pmselr_el0, n);
	isb();
	write_sysreg(pmxevtyper_el0, PMEVTYPER_EL2_ONLY | event);
	write_sysreg(pmselr_el0, 0);
	write_sysreg(pmcntenset_el0, BIT(n));
}

void pmu_cpu_init(void)
{
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
	u64 pmcr = read_sysreg(pmcr_el0);
	unsigned n = (unsigned)FIELD_GET(PMCR_N, pmcr);
	unsigned ver = (unsigned)FIELD_GET(DFR0_PMUVER, dfr0);
	unsigned counter = n - 1; /* the event counter kept for EL2: the last one */
	u64 mdcr;

	source = pick_source(dfr0, pmcr);
	if (source == SOURCE_TIMER) {
		/* Every counter is the guest's (HPMN = N). */
		write_sysreg(mdcr_el2, FIELD_PREP(MDCR_EL2_HPMN, n));
		isb();
		return;
	}
	read_cost = event_counter_readers[counter];
	mdcr = FIELD_PREP(MDCR_EL2_HPMN, counter) | MDCR_EL2_HPME;
	if (ver >= PMUVER_V3P1)
		mdcr |= MDCR_EL2_HPMD;
	write_sysreg(mdcr_el2, mdcr);
	isb();
	start_counter(counter, source == SOURCE_INSTRUCTIONS ? EVENT_INST_RETIRED :
							       EVENT_CPU_CYCLES);
	isb();
}

cost_t cost_now(void)
{
	isb(); /* count what came before, not what is speculated */
	return read_cost();
}

const char *cost_unit(void)
{
	static const char *const names[] = {
		[SOURCE_TIMER] = "ns",
		[SOURCE_INSTRUCTIONS] = "EL2 instructions",
		[SOURCE_CYCLES] = "EL2 cycles",
	};

	return names[source];
}

void pmu_set_counter_frequency(u32 hz)
{
	counter_hz = hz;
}

u64 cost_in_unit(u64 sum)
{
	u64 f = counter_hz ? counter_hz : counter_firmware_hz();

	if (source != SOURCE_TIMER || !f)
		return sum;
	/* Whole seconds first: sum * 10^9 would overflow after minutes of ticks. */
	return sum / f * 1000000000ULL + sum % f * 1000000000ULL / f;
}
