/* Naming an exception's syndrome for a report. */
#ifndef ARCH_EXCEPTION_H
#define ARCH_EXCEPTION_H

#include "core/lib/types.h"

/* Name of an exception class (ESR_ELx.EC, Arm ARM D19.2.40). */
const char *esr_class_name(u64 esr);

#endif
