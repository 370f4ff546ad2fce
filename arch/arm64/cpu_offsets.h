/* Offsets into struct cpu (cpu.h) used by assembly; cpu.c checks them at build time. */
#ifndef ARCH_ARM64_CPU_OFFSETS_H
#define ARCH_ARM64_CPU_OFFSETS_H

#define CPU_EMERGENCY_SP 0
#define CPU_GUEST_REGS 8

#endif
