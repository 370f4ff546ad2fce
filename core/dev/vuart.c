/*
 * Each VM's PL011 at GUEST_UART_BASE (see vuart.h): the register model (core/dev/vpl011.c)
 * under the vuart's lock, its interrupt on the level-sensitive SPI GUEST_UART_INTID, its
 * output to the console multiplexer (core/dev/console.c).
 */
#include "core/dev/vuart.h"

#include "core/dev/console.h"
#include "core/dev/vpl011.h"
#include "core/vgic/vgic.h"
#include "core/vm/guest_layout.h"
#include "core/vm/vm.h"
#include "core/vm/vm_device.h"

/* Drive UARTINTR into the vGIC when it changes (vuart lock held). */
static void update_irq(struct vm *vm)
{
	bool level = vpl011_irq(vm->vuart);

	if (level == vm->vuart->irq_level)
		return;
	vm->vuart->irq_level = level;
	vgic_set_level(vm, GUEST_UART_INTID, level);
}

static bool vuart_mmio(struct vcpu *v, void *dev, struct mmio_access *a)
{
	struct vm *vm = dev;
	struct vpl011_effect fx;
	bool ok;

	spin_lock(&vm->vuart->lock);
	ok = vpl011_access(vm->vuart, a, &fx);
	if (fx.tx >= 0)
		console_vm_output(vm, (char)fx.tx);
	if (fx.output_idle)
		console_vm_output_idle(vm);
	update_irq(vm);
	spin_unlock(&vm->vuart->lock);
	return ok;
}

/* Each VM's: struct vm holds a pointer (core/vm/vm.h knows no device). */
static struct vuart vuart_of_vm[VM_MAX];

static int vuart_vm_init(struct vm *vm)
{
	vm->vuart = &vuart_of_vm[vm->id];
	*vm->vuart = (struct vuart){ .lock = SPINLOCK_INIT };
	vpl011_reset(vm->vuart);
	return emul_register(vm, GUEST_UART_BASE, GUEST_UART_SIZE, vuart_mmio, vm, "pl011");
}

static void vuart_reset(struct vm *vm)
{
	spin_lock(&vm->vuart->lock);
	console_vm_reset(vm);
	vpl011_reset(vm->vuart);
	vm->vuart->irq_level = false;
	vgic_set_level(vm, GUEST_UART_INTID, false);
	spin_unlock(&vm->vuart->lock);
}

void vuart_receive(struct vm *vm, char c)
{
	spin_lock(&vm->vuart->lock);
	vpl011_receive(vm->vuart, (u8)c);
	update_irq(vm);
	spin_unlock(&vm->vuart->lock);
}

const struct vm_device_ops vuart_device = {
	.name = "PL011",
	.init = vuart_vm_init,
	.reset = vuart_reset,
};
