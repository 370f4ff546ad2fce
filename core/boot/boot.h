#ifndef CORE_BOOT_H
#define CORE_BOOT_H

#include "core/platform/platform.h"

/* Called by head.S on the boot CPU with the MMU off. */
void boot_main(u64 dtb_addr, u64 load_addr);

#endif
