/*
 * Private to platform discovery: the steps platform_discover() (core/platform/platform.c) runs that are
 * defined in the other core/platform_*.c files. Each returns 0 or an error from dt_fail().
 */
#ifndef CORE_PLATFORM_STEPS_H
#define CORE_PLATFORM_STEPS_H

#include "core/platform/fdt_util.h"

/* core/platform/platform_gic.c */
int read_gic(struct fdt_ctx *c);
int read_timer(struct fdt_ctx *c);

/* core/platform/platform_io.c */
int read_smmu(struct fdt_ctx *c);
int read_pci(struct fdt_ctx *c);

#endif
