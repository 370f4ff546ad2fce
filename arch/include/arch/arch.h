/*
 * Addresses and table writes: what portable code (the page-table engine, discovery, the
 * allocator) needs from the architecture. One header of the arch interface
 * (docs/architecture.md, "The arch interface"), implemented by arch/arm64 for the hypervisor
 * and by arch/fake for host unit tests (style.md 2).
 */
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H

#include "core/lib/types.h"

/* Hypervisor virtual address of physical memory the hypervisor maps (identity on arm64). */
void *pa_to_va(pa_t p);
pa_t va_to_pa(const void *v);

/* Make table entries just written visible to table walkers before they are used. When the
 * walker is not coherent with the CPU caches (an SMMU without COHACC, or the MMU before the
 * caches are on) the lines are also cleaned to the point of coherency. */
void arch_table_write_barrier(const void *va, size_t len, bool clean_to_poc);

#endif
