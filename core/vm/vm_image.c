/*
 * Guest images. An arm64 Linux Image (Linux Documentation/arch/arm64/booting.rst) is placed
 * text_offset bytes above the 2 MiB-aligned base of the first RAM region; an ELF64 image's
 * PT_LOAD segments go to their physical addresses. The device tree sits in the top 2 MiB of
 * the first RAM region, the initrd right below it.
 */
#include "core/vm/vm_image.h"

#include <libfdt.h>

#include "core/lib/errno.h"
#include "core/lib/string.h"
#include "core/log/log.h"
#include "core/platform/platform.h"
#include "core/vm/guest_dt.h"

#define IMAGE_LEGACY_TEXT_OFFSET 0x80000
#define DTB_AREA SZ_2M

#define EI_CLASS 4
#define ELFCLASS64 2
#define EM_AARCH64 183
#define PT_LOAD 1

struct elf64_ehdr {
	u8 ident[16];
	u16 type, machine;
	u32 version;
	u64 entry, phoff, shoff;
	u32 flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	u32 type, flags;
	u64 offset, vaddr, paddr, filesz, memsz, align;
};

static u64 le64_at(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }

static int copy_in(struct vm *vm, u64 at, const void *src, u64 len, u64 zero_after, const char *what)
{
	u8 *dst = vm_ram_ptr(vm, ipa(at), len + zero_after);

	if (!dst || len + zero_after < len) {
		log_err("vm '%s': %s (%lu bytes at IPA %lx) does not fit in its RAM\n",
			vm->cfg->name, what, len + zero_after, at);
		return -E_RANGE;
	}
	memcpy(dst, src, len);
	memset(dst + len, 0, zero_after);
	return 0;
}

static int load_linux_image(struct vm *vm, const u8 *img, size_t size, u64 *end)
{
	u64 text_offset = le64_at(img + 8), image_size = le64_at(img + 16);
	u64 base = ALIGN_UP(vm->cfg->ram[0].ipa.v, SZ_2M);

	if (image_size == 0) /* pre-3.17 kernels */
		text_offset = IMAGE_LEGACY_TEXT_OFFSET;
	image_size = MAX(image_size, (u64)size);
	vm->entry = base + text_offset;
	*end = vm->entry + image_size;
	return copy_in(vm, vm->entry, img, size, image_size - size, "kernel");
}

static int load_elf(struct vm *vm, const u8 *img, size_t size, u64 *end)
{
	struct elf64_ehdr eh;
	int ret = 0;

	memcpy(&eh, img, sizeof(eh));
	if (eh.ident[EI_CLASS] != ELFCLASS64 || eh.machine != EM_AARCH64 ||
	    eh.phentsize != sizeof(struct elf64_phdr) || eh.phoff > size ||
	    (u64)eh.phnum * sizeof(struct elf64_phdr) > size - eh.phoff) {
		log_err("vm '%s': kernel is not a valid AArch64 ELF64 image\n", vm->cfg->name);
		return -E_INVAL;
	}
	for (unsigned i = 0; i < eh.phnum && !ret; i++) {
		struct elf64_phdr ph;

		memcpy(&ph, img + eh.phoff + i * sizeof(ph), sizeof(ph));
		if (ph.type != PT_LOAD)
			continue;
		if (ph.offset > size || ph.filesz > size - ph.offset || ph.memsz < ph.filesz) {
			log_err("vm '%s': ELF segment %u lies outside the image\n", vm->cfg->name, i);
			return -E_INVAL;
		}
		ret = copy_in(vm, ph.paddr, img + ph.offset, ph.filesz, ph.memsz - ph.filesz,
			      "ELF segment");
		*end = MAX(*end, ph.paddr + ph.memsz);
	}
	vm->entry = eh.entry;
	return ret;
}

static int load_kernel(struct vm *vm, u64 *end)
{
	const u8 *img = vm->cfg->kernel.data;
	size_t size = vm->cfg->kernel.size;

	/* The config's reader recognised the format and checked the header's size
	 * (core/vm/vmconfig.c, read_kernel). */
	if (vm->cfg->kernel_format == VM_KERNEL_IMAGE)
		return load_linux_image(vm, img, size, end);
	return load_elf(vm, img, size, end);
}

/* The config's own device tree, with /chosen told where the initrd is and what the
 * bootargs are (the config writer cannot know the initrd's address). */
static int place_given_dtb(struct vm *vm, void *dst, u64 initrd_ipa, u64 initrd_size)
{
	const struct vm_config *cfg = vm->cfg;
	int chosen, ret;

	if (cfg->dtb.size > DTB_AREA)
		return copy_in(vm, vm->dtb_ipa, NULL, 0, cfg->dtb.size, "device tree");
	memcpy(dst, cfg->dtb.data, cfg->dtb.size); /* the copy is 8-byte aligned, for libfdt */
	ret = fdt_check_full(dst, cfg->dtb.size) ?: fdt_open_into(dst, dst, DTB_AREA);
	chosen = ret ? ret : fdt_path_offset(dst, "/chosen");
	if (chosen == -FDT_ERR_NOTFOUND)
		chosen = fdt_add_subnode(dst, 0, "chosen");
	ret = chosen < 0 ? chosen : 0;
	if (!ret && initrd_size)
		ret = fdt_setprop_u64(dst, chosen, "linux,initrd-start", initrd_ipa) ?:
		      fdt_setprop_u64(dst, chosen, "linux,initrd-end", initrd_ipa + initrd_size);
	if (!ret && cfg->bootargs[0])
		ret = fdt_setprop_string(dst, chosen, "bootargs", cfg->bootargs);
	if (ret) {
		log_err("vm '%s': its dtb is unusable (%s)\n", cfg->name, fdt_strerror(ret));
		return -E_INVAL;
	}
	return fdt_pack(dst) ? -E_INVAL : 0;
}

int vm_load_images(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	u64 ram_end = cfg->ram[0].ipa.v + cfg->ram[0].size;
	u64 initrd_ipa = 0, initrd_size = cfg->initrd.size, kernel_end = 0;
	void *dtb;
	int ret;

	ret = load_kernel(vm, &kernel_end);
	if (ret)
		return ret;
	vm->dtb_ipa = ram_end - DTB_AREA;
	initrd_ipa = ALIGN_DOWN(vm->dtb_ipa - initrd_size, PAGE_SIZE);
	if (kernel_end > initrd_ipa || initrd_size > vm->dtb_ipa) {
		log_err("vm '%s': kernel, initrd and device tree (2 MiB) do not fit in its first RAM "
			"region\n", cfg->name);
		return -E_RANGE;
	}
	if (initrd_size) {
		ret = copy_in(vm, initrd_ipa, cfg->initrd.data, initrd_size, 0, "initrd");
		if (ret)
			return ret;
	}
	dtb = vm_ram_ptr(vm, ipa(vm->dtb_ipa), DTB_AREA);
	if (!dtb)
		return copy_in(vm, vm->dtb_ipa, NULL, 0, DTB_AREA, "device tree");
	if (cfg->dtb.size)
		return place_given_dtb(vm, dtb, initrd_ipa, initrd_size);
	ret = guest_dt_build(cfg, dtb, DTB_AREA, ipa(initrd_ipa), initrd_size, &platform()->pci,
			     vm->msi);
	if (ret)
		log_err("vm '%s': building its device tree failed (%s)\n", cfg->name, err_name(ret));
	return ret;
}
