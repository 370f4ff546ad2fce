/*
 * MMIO emulation dispatch (style.md 12): each emulated device registers a guest-physical
 * region with a handler; a stage-2 data abort in a region becomes one handler call.
 */
#ifndef CORE_EMUL_H
#define CORE_EMUL_H

#include "core/lib/types.h"

struct vcpu;

struct mmio_access {
	u64 offset;  /* from the start of the region */
	unsigned size; /* 1, 2, 4 or 8 bytes */
	bool write;
	u64 value;   /* write: the value written; read: the handler fills it */
};

/* Returns true if the access was handled; false injects an external abort into the guest
 * (e.g. an access size the device does not support). */
typedef bool (*mmio_handler_t)(struct vcpu *v, void *dev, struct mmio_access *a);

struct emul_region {
	u64 ipa;
	u64 size;
	mmio_handler_t handler;
	void *dev;
	const char *name;
};

#define VM_MAX_EMUL 24

struct vm;
/* Returns 0, -E_NOMEM when the VM's table is full, -E_EXIST on overlap. */
int emul_register(struct vm *vm, u64 ipa, u64 size, mmio_handler_t fn, void *dev, const char *name);
/* The region holding ipa, or NULL. The region found last is tried first: a guest's exits
 * mostly go to one device at a time (a virtio queue's notifications). */
const struct emul_region *emul_find(struct vm *vm, u64 ipa);

#endif
