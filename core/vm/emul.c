#include "core/vm/emul.h"

#include "core/lib/errno.h"
#include "core/vm/vm.h"

int emul_register(struct vm *vm, u64 ipa, u64 size, mmio_handler_t fn, void *dev, const char *name)
{
	for (unsigned i = 0; i < vm->n_emul; i++) {
		const struct emul_region *r = &vm->emul[i];

		if (ipa < r->ipa + r->size && r->ipa < ipa + size)
			return -E_EXIST;
	}
	if (vm->n_emul == VM_MAX_EMUL)
		return -E_NOMEM;
	vm->emul[vm->n_emul++] = (struct emul_region){ ipa, size, fn, dev, name };
	return 0;
}

static bool holds(const struct emul_region *r, u64 ipa)
{
	return ipa >= r->ipa && ipa - r->ipa < r->size;
}

const struct emul_region *emul_find(struct vm *vm, u64 ipa)
{
	/* Regions are registered before the VM runs and never removed; the hint is shared by
	 * the VM's vCPUs, so it is read and written whole (relaxed: it is only a guess). */
	unsigned last = __atomic_load_n(&vm->emul_last, __ATOMIC_RELAXED);

	if (last < vm->n_emul && holds(&vm->emul[last], ipa))
		return &vm->emul[last];
	for (unsigned i = 0; i < vm->n_emul; i++) {
		if (holds(&vm->emul[i], ipa)) {
			__atomic_store_n(&vm->emul_last, i, __ATOMIC_RELAXED);
			return &vm->emul[i];
		}
	}
	return NULL;
}
