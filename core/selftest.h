/*
 * Fault injection for the boot tests, enabled only by the host device tree's
 * /chosen/portcullis,selftest property (set by whoever owns the machine's firmware; no guest
 * can reach it). It proves that an unexpected exception at EL2 is reported and stops only
 * the CPU it happened on.
 */
#ifndef CORE_SELFTEST_H
#define CORE_SELFTEST_H

/* Run the self-test the device tree asks for, if any. */
void selftest_run(const void *fdt);

#endif
