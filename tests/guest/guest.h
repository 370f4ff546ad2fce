/*
 * Portcullis's bare-metal test guest: what every part shares. It runs at EL1 with its MMU
 * off, so every access is to Device memory: aligned only, no exclusives. Variables two
 * vCPUs share have one writer each.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdint.h>

#define GUEST_MAX_VCPUS 4 /* head.S gives each a 4 KiB stack */

#define PSCI_CPU_OFF 0x84000002U
#define PSCI_CPU_ON 0xC4000003U
#define PSCI_AFFINITY_INFO 0xC4000004U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U
#define PSCI_AFFINITY_OFF 1

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_WNR (1U << 6)
#define ESR_DFSC(esr) ((esr) & 0x3f)
#define EC_DABT_CUR 0x25
#define DFSC_SYNC_EXTERNAL 0x10

#define read_sysreg(r)                                         \
	({                                                     \
		uint64_t v_;                                   \
		__asm__ volatile("mrs %0, " #r : "=r"(v_));    \
		v_;                                            \
	})
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)) : "memory")
#define isb() __asm__ volatile("isb" : : : "memory")

static inline uint32_t mmio_read32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline void mmio_write8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void mmio_write64(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

/* This vCPU's number: Portcullis gives vCPU i MPIDR Aff0 = i. */
static inline unsigned cpu_id(void) { return read_sysreg(mpidr_el1) & 0xff; }

/* lib.c */
void puts(const char *s);
void puthex(uint64_t v);
void putdec(uint64_t v);
int64_t psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
uint64_t counter(void);
uint64_t ms_to_ticks(uint64_t ms);
uint64_t ticks_to_ms(uint64_t ticks);
void delay_ms(uint64_t ms);
/* Wait until *p == want, at most timeout_ms; returns whether it got there. */
int wait_eq(const volatile uint32_t *p, uint32_t want, uint64_t timeout_ms);
int has_arg(const char *args, const char *want);
const char *bootargs(const uint8_t *dtb);
/* Read and write one word at ipa; 1 if both came back as synchronous external aborts. */
int probe(uint64_t ipa);

/* QEMU's edu at 00:02.0 (dma.c): BAR0 set up with decoding and bus mastering on, and one
 * transfer of count bytes (1 once done, 0 on timeout). */
#define EDU_DMA_TO_RAM (1U << 1) /* device buffer -> RAM; clear: RAM -> device buffer */
#define EDU_DMA_BUF 0x40000ULL   /* the device buffer's device address */
uint64_t edu_setup(void);
/* The edu the VM drives: 00:02.0 unless edu_use(device) says 00:<device>.0 (before
 * edu_setup); its requester ID (bus 0), which is also its virtio-iommu endpoint ID. */
void edu_use(unsigned device);
unsigned edu_rid(void);
/* Whether edu's BAR0 has an address (Portcullis assigns every BAR; straight on QEMU no
 * firmware does), and giving it one: QEMU virt's 32-bit PCI window starts there. */
#define EDU_BAR_DEFAULT 0x10000000U
int edu_bar_assigned(void);
void edu_assign_bar(uint32_t addr);
int edu_dma(uint64_t bar, uint64_t src, uint64_t dst, uint32_t count, uint32_t dir);

/* Roles, chosen by the bootargs (main.c). */
void prober(void);
void resetter(void);
void spin(void);
void prober_secondary(unsigned cpu, uint64_t task);
void watcher(void);
void rtc(void);
void dma(void);
void msi(void);
void msi_bench(void);
void viommu(void);
/* PSCI CPU_ON context_id that starts vCPU 1 of role=viommu as its racing partner. */
#define VIOMMU_RACE_TASK 0x7aceULL
void viommu_secondary(void);
void viommu_bench(void);
void viommu_flood(void);
void viommu_faulter(void);

#endif
