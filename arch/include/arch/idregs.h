/* What a guest sees of the CPU's ID registers: the real values with the features Portcullis
 * does not virtualise hidden (HCR_EL2.TID3 traps the reads). */
#ifndef ARCH_IDREGS_H
#define ARCH_IDREGS_H

#include "core/lib/types.h"

/* sys_id is the trapped register's ISS identity (ISS_SYS_ID_MASK bits). Returns false for
 * a register that is not an ID register. */
bool idreg_guest_value(u64 sys_id, u64 *value);

#endif
