/*
 * Fault injection for the boot tests, enabled only by the host device tree's
 * /chosen/portcullis,selftest property (set by whoever owns the machine's firmware; no guest
 * can reach it):
 * - "data-abort", "stack-overflow": an unexpected exception at EL2 is reported and stops
 *   only the CPU it happened on;
 * - "dma-unowned": DMA from a device no VM owns yet (QEMU's edu, bus mastering on) at a
 *   hypervisor page is terminated by the SMMU and reported, and the page is unchanged.
 * Run after PCI enumeration, before any VM is created.
 */
#ifndef CORE_SELFTEST_H
#define CORE_SELFTEST_H

/* Run the self-test the device tree asks for, if any. */
void selftest_run(const void *fdt);

#endif
