/*
 * Inside the VM config reader: what core/vm/vmconfig.c (reading the blob, VM by VM) and
 * core/vm/vmconfig_check.c (the rules each value must pass) share. Not for the rest of the
 * hypervisor, which sees only core/vm/vmconfig.h.
 */
#ifndef CORE_VMCONFIG_INTERNAL_H
#define CORE_VMCONFIG_INTERNAL_H

#include "core/lib/bits.h"
#include "core/vm/vmconfig.h"

/* One vmconfig_parse call. */
struct ctx {
	const void *fdt;
	const struct platform *plat;
	const struct vmconfig_host *host;
	struct vm_configs *cfg; /* cfg->vm[0..n-1] are the VMs already accepted */
	char *err;
	size_t err_len;
	int node;	       /* the VM node being read; -1 for the blob and the root */
	struct vm_config *vm;  /* what it fills, NULL past VM_MAX; its name is set once valid */
	int vm_node[VM_MAX];   /* each accepted VM's node, for messages */
};

/* ---- messages (core/vm/vmconfig.c) ---- */

/* "<who>: <field>: <message>" (no field: "<who>: <message>"), always NUL-terminated;
 * returns -E_INVAL. */
int vmcfg_fail(const struct ctx *c, const char *field, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* ---- lists of numbers: cpus, intids, pci-devices ---- */

struct u32_list {
	u32 *v;
	unsigned *n;
};

struct list_field {
	const char *prop;
	unsigned max;
	bool required;
	struct u32_list (*of)(struct vm_config *vm);
	/* v's own checks (range, reserved values); 0 or vmcfg_fail()'s result */
	int (*check)(const struct ctx *c, u32 v);
	/* v as messages show it: "CPU 2", "INTID 40", "00:01.0" */
	void (*show)(u32 v, char *buf, size_t len);
};

/* The three list properties and their rules (core/vm/vmconfig_check.c). */
extern const struct list_field vmcfg_cpus;
extern const struct list_field vmcfg_intids;
extern const struct list_field vmcfg_pci_devices;

/* ---- the rules (core/vm/vmconfig_check.c): each returns 0 or vmcfg_fail()'s result ---- */

/* One value of list f: its own checks, then not twice in this VM, nor in an earlier one;
 * recorded in the VM once it passes. */
int vmcfg_list_add(const struct ctx *c, const struct list_field *f, u32 v);
/* A 'memory' region of the VM being read, recorded once it passes. */
int vmcfg_add_ram(const struct ctx *c, u64 base, u64 size);
/* Pin ram at physical address base ('memory-phys'), once the RAM there is free. */
int vmcfg_pin_ram(const struct ctx *c, struct vm_ram_cfg *ram, u64 base);
/* An 'mmio' region's physical range, and where the guest sees it (field: "mmio" or
 * "mmio-ipa"). */
int vmcfg_check_mmio_pa(const struct ctx *c, u64 base, u64 size);
int vmcfg_check_mmio_ipa(const struct ctx *c, const char *field, u64 ipa, u64 size);

#endif
