/* Loading a guest's kernel, initrd and device tree into its RAM (core/vm/vm_image.c). */
#ifndef CORE_VM_IMAGE_H
#define CORE_VM_IMAGE_H

#include "core/vm/vm.h"

/* Copy the images of vm's config into its RAM and set vm->entry and vm->dtb_ipa. Returns 0,
 * or -E_* after logging which image did not fit. */
int vm_load_images(struct vm *vm);

#endif
