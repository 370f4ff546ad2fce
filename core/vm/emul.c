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

const struct emul_region *emul_find(const struct vm *vm, u64 ipa)
{
	for (unsigned i = 0; i < vm->n_emul; i++) {
		const struct emul_region *r = &vm->emul[i];

		if (ipa >= r->ipa && ipa - r->ipa < r->size)
			return r;
	}
	return NULL;
}
