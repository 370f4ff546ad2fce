/*
 * The VM config device tree, with the guests' images inside it (docs/config.md), linked
 * into the hypervisor's read-only data. `make image` assembles this file with VMCONFIG_DTB
 * naming the compiled config; the plain build has an empty blob (no guests).
 */
	.section .rodata.vmconfig, "a"
	.balign 8
	.globl	vmconfig_blob_start
vmconfig_blob_start:
#ifdef VMCONFIG_DTB
	.incbin	VMCONFIG_DTB
#endif
	.globl	vmconfig_blob_end
vmconfig_blob_end:
