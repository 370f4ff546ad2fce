/* The registry of device ops (core/vm/vm_device.h). */
#include "core/vm/vm_device.h"

#include "core/lib/errno.h"
#include "core/log/log.h"
#include "core/vm/vm.h"

#define VM_DEVICE_TYPES 8U
#define STATS_LINE_MAX 256U

const struct vm_irqchip_ops *vm_irqchip;
static const struct vm_device_ops *types[VM_DEVICE_TYPES];
static unsigned n_types;

void vm_set_irqchip(const struct vm_irqchip_ops *ops)
{
	vm_irqchip = ops;
}

void vm_device_register(const struct vm_device_ops *ops)
{
	if (n_types == VM_DEVICE_TYPES)
		panic("vm_device_register: more than %u device types\n", VM_DEVICE_TYPES);
	types[n_types++] = ops;
}

int vm_devices_init(struct vm *vm)
{
	for (unsigned i = 0; i < n_types; i++) {
		int ret = types[i]->init ? types[i]->init(vm) : 0;

		if (ret) {
			log_err("vm '%s': %s: not created (%s)\n", vm->cfg->name, types[i]->name,
				err_name(ret));
			return ret;
		}
	}
	return 0;
}

int vm_devices_start(struct vm *vm)
{
	for (unsigned i = 0; i < n_types; i++) {
		int ret = types[i]->start ? types[i]->start(vm) : 0;

		if (ret)
			return ret;
	}
	return 0;
}

void vm_devices_stop(struct vm *vm)
{
	for (unsigned i = n_types; i-- > 0;)
		if (types[i]->stop)
			types[i]->stop(vm);
}

void vm_devices_reset(struct vm *vm)
{
	for (unsigned i = 0; i < n_types; i++)
		if (types[i]->reset)
			types[i]->reset(vm);
}

void vm_devices_dma_fault(struct vm *vm, const struct smmu_event *ev)
{
	for (unsigned i = 0; i < n_types; i++)
		if (types[i]->dma_fault)
			types[i]->dma_fault(vm, ev);
}

void vm_devices_stats(struct vm *vm, void (*say)(const char *line))
{
	char line[STATS_LINE_MAX];

	for (unsigned i = 0; i < n_types; i++)
		for (unsigned k = 0; types[i]->stats_line &&
				     types[i]->stats_line(vm, k, line, sizeof(line)); k++)
			say(line);
}
