/*
 * Virtual machines and their vCPUs. A VM owns physical CPUs (one vCPU pinned to each, no
 * scheduler), RAM carved from the page allocator and mapped by its own stage 2, devices, and
 * emulated devices (vGIC, virtual UART). See docs/architecture.md "Guests".
 */
#ifndef CORE_VM_H
#define CORE_VM_H

#include "arch/vcpu_ctx.h"
#include "core/lib/spinlock.h"
#include "core/vm/emul.h"
#include "core/vm/vmconfig.h"
#include "iommu/pgtable/pgtable.h"

enum vcpu_power { VCPU_OFF, VCPU_ON };

struct vm;
/* The devices' own state, which only they know (core/vm/vm_device.h): */
struct vgic_cpu;
struct vgic_dist;
struct vpci;
struct vuart;

struct vcpu_stats {
	u64 exits, hvc, smc, wfx, mmio, sysreg, irq, aborts_injected;
	/* The longest exit, guest to guest: time at EL2 with interrupts masked, during which
	 * this vCPU's guest gets none of its interrupts. In counter ticks; its ESR (0: IRQ). */
	u64 longest_exit, longest_exit_esr;
};

struct vcpu {
	struct vcpu_regs regs; /* must stay first: guest.S addresses it from struct vcpu */
	struct vm *vm;
	unsigned id;   /* index in the VM */
	unsigned pcpu; /* the physical CPU it is pinned to */
	struct el1_ctx ctx;
	struct vgic_cpu *vgic; /* the vGIC's, set by its init */
	volatile enum vcpu_power power;
	volatile bool reset_pending; /* the VM is being reset or stopped: leave the guest */
	u64 on_entry, on_ctx; /* PSCI CPU_ON entry point and context id */
	struct vcpu_stats stats;
	/* Set by a handler during an exit: the exit's whole cost at EL2 (cost_now() units, from
	 * this vCPU's last entry through the handling) is added there (core/vm/vcpu.c). */
	u64 *exit_cost_sum;
};

enum vm_state { VM_STOPPED, VM_RUNNING };

struct vm {
	unsigned id; /* index in vms[]; see vm_vmid() */
	const struct vm_config *cfg;
	volatile enum vm_state state;
	spinlock_t lock;
	struct pgtable s2;
	struct pgt_pool s2_pool;
	u64 vttbr;
	pa_t ram_pa[VM_MAX_RAM]; /* backing of cfg->ram[i] */
	unsigned n_vcpus;
	struct vcpu vcpus[VM_MAX_VCPUS];
	struct emul_region emul[VM_MAX_EMUL];
	unsigned n_emul;
	unsigned emul_last; /* the region emul_find found last: a hint, checked before use */
	struct vgic_dist *vgic; /* each set by the device's init */
	struct vuart *vuart;
	struct vpci *vpci;
	bool msi; /* its PCI devices' MSIs go to a virtual ITS (set by the vGIC's init) */
	/* What its devices translate with in isolation mode (vm_iommu.c) */
	struct pgtable dma;
	struct pgt_pool dma_pool;
	u64 cntvoff;          /* the guest's virtual counter starts near 0 at (re)boot */
	u64 entry, dtb_ipa;   /* where vCPU 0 starts, with x0 = dtb_ipa */
	bool stopping;        /* a stop or restart is in progress */
	bool restart;         /* ... and the VM boots again when every vCPU has stopped */
	unsigned stopped;     /* vCPUs that acknowledged the stop */
	unsigned resets;
	/* Aborts and undefined instructions its vCPUs were given: their log lines are
	 * sampled (log_sampled), so a guest looping on one cannot flood the shared console. */
	unsigned long guest_faults;
	/* Its devices' SMMU fault storms (vm_iommu.c "Fault storms"). */
	struct dma_storm {
		spinlock_t lock;
		bool paused;          /* its streams abort silently until resume_at_us */
		u32 events;           /* SMMU events in the window that began at window_us */
		u32 pause_ms;         /* the next pause's length */
		u64 window_us, resume_at_us, resumed_at_us;
		unsigned long pauses;
	} storm;
};

/* The VMID tagging the VM's TLB entries, in the CPUs and the SMMU alike (0 is never a
 * guest's). */
static inline u16 vm_vmid(const struct vm *vm) { return (u16)(vm->id + 1); }

extern struct vm vms[VM_MAX];
extern unsigned n_vms;

/* The vCPU pinned to this physical CPU, or NULL. */
struct vcpu *vcpu_of_cpu(unsigned pcpu);
/* Make the vCPU's physical CPU leave the guest soon (an SGI), so that it notices new
 * pending interrupts or a reset. Safe from any CPU, including its own. */
void vcpu_kick(struct vcpu *v);
/* Translate a guest-physical range inside one RAM region of the VM to a hypervisor
 * pointer; NULL if any byte is outside the VM's RAM. */
void *vm_ram_ptr(struct vm *vm, ipa_t ipa, u64 size);

/* Stop every vCPU of the VM (PSCI SYSTEM_OFF) or stop and boot it again (SYSTEM_RESET).
 * Called from one of its vCPUs or from the console; the others are kicked out. */
void vm_request_stop(struct vm *vm, bool restart);
/* A vCPU saw its VM's stop request and has left the guest (called on its CPU). */
void vm_vcpu_stopped(struct vcpu *v);
/* Create and start every configured VM (boot, on CPU 0). Returns 0 or -E_*; a VM that
 * cannot be created is reported and left out, the others run. */
int vm_create_all(const struct vm_configs *cfgs);
/* Let every CPU look up its vCPU: called once by CPU 0 after vm_create_all. */
void vm_publish(void);
/* Wait (on any CPU) until vm_publish() has been called. */
void vm_wait_published(void);

#endif
