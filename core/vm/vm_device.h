/*
 * What a VM's emulated and passed-through devices offer the VM model, which knows none of
 * them by name (docs/architecture.md "Layers": devices sit above the VM). Each device
 * registers its ops once at boot; the VM calls them in registration order, stops in the
 * reverse order.
 */
#ifndef CORE_VM_VM_DEVICE_H
#define CORE_VM_VM_DEVICE_H

#include "core/lib/types.h"

struct vm;
struct vcpu;
struct smmu_event;

struct vm_device_ops {
	const char *name;
	/* At creation; an error leaves the VM out (the others run). */
	int (*init)(struct vm *vm);
	/* Each boot and restart, after the images are loaded, before vCPU 0 runs. */
	int (*start)(struct vm *vm);
	/* Every vCPU has left the guest for a stop or restart: nothing the guest programmed
	 * may reach the machine after this. */
	void (*stop)(struct vm *vm);
	/* Before a restart: back to the state a boot expects. */
	void (*reset)(struct vm *vm);
	/* A DMA of one of the VM's devices faulted in the SMMU. */
	void (*dma_fault)(struct vm *vm, const struct smmu_event *ev);
	/* The k-th line the prompt's `stats` prints for the VM; false when there is none. */
	bool (*stats_line)(struct vm *vm, unsigned k, char *buf, size_t len);
};

/* The VM's interrupt controller as a vCPU needs it on its way into and out of the guest
 * (the vGIC's, registered at boot). */
struct vm_irqchip_ops {
	void (*cpu_load)(struct vcpu *v); /* the vCPU is about to run on this CPU */
	void (*cpu_put)(struct vcpu *v);  /* ... and has stopped running on it */
	void (*flush)(struct vcpu *v);    /* before each entry: pending interrupts in */
	void (*sync)(struct vcpu *v);     /* after each exit: what the guest did with them */
	void (*inject_hw)(struct vcpu *v, unsigned intid); /* a forwarded PPI (virtual timer) */
	void (*sgi1r_write)(struct vcpu *v, u64 value);    /* the guest sent SGIs */
};

extern const struct vm_irqchip_ops *vm_irqchip;
void vm_set_irqchip(const struct vm_irqchip_ops *ops);

/* At boot, before any VM is created, in the order the devices' init must run. */
void vm_device_register(const struct vm_device_ops *ops);
int vm_devices_init(struct vm *vm);
int vm_devices_start(struct vm *vm);
void vm_devices_stop(struct vm *vm);
void vm_devices_reset(struct vm *vm);
void vm_devices_dma_fault(struct vm *vm, const struct smmu_event *ev);
/* Every stats line of the VM's devices, each handed to say. */
void vm_devices_stats(struct vm *vm, void (*say)(const char *line));

#endif
