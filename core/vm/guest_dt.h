/*
 * The device tree Portcullis generates for a VM whose config gives no 'dtb'
 * (docs/config.md): what an arm64 Linux guest needs to boot on the VM as core/vm/guest_layout.h
 * lays it out. Pure (libfdt only): host-tested.
 */
#ifndef CORE_GUEST_DT_H
#define CORE_GUEST_DT_H

#include "core/vm/vmconfig.h"

/*
 * vCPU i is cpu@i with reg = i: the vCPU code must give it VMPIDR_EL2 Aff0 = i (Aff1-3 = 0),
 * or the guest's PSCI CPU_ON and SGIs address the wrong vCPU.
 */

/*
 * Build cfg's device tree into buf (size bytes, 8-byte aligned: libfdt reads trees only
 * there, and so does Linux [booting.rst]). initrd_size 0 means no initrd; otherwise /chosen
 * says it is at [initrd, initrd + initrd_size) in guest-physical memory. Returns 0, or
 * -E_NOMEM when buf is too small (nothing is written past size). A VM with pci-devices
 * gets the host bridge pci describes (NULL: none), with /chosen linux,pci-probe-only; with
 * msi, its devices' MSIs go to a virtual ITS at GUEST_ITS_BASE (DeviceID = requester ID).
 */
int guest_dt_build(const struct vm_config *cfg, void *buf, size_t size, ipa_t initrd,
		   u64 initrd_size, const struct plat_pci *pci, bool msi);

#endif
