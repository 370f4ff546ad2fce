/*
 * Guest-visible virtio ABI shared by the transport and the device models, from the Virtual
 * I/O Device (VIRTIO) specification 1.2: 2.1 device status, 2.2 and 6 feature bits, 2.7 split
 * virtqueues, 4.2 virtio over MMIO (version 2, no legacy interface). Everything is
 * little-endian.
 *
 * Registers: VIRTIO_MMIO_<register> is the offset, followed by its values. In-memory
 * structures (descriptor, available ring, used ring) are described by the byte offset and
 * size of each field, VIRTQ_<structure>_<FIELD>; no C struct stands for a guest layout.
 */
#ifndef CORE_VIRTIO_REGS_H
#define CORE_VIRTIO_REGS_H

#include "core/lib/bits.h"

/* ---- 4.2.2 MMIO device register layout (table 4.1). Every control register is 32 bits
 * wide and accessed with aligned 32-bit accesses only. ---- */
#define VIRTIO_MMIO_MAGIC_VALUE U(0x000)
#define VIRTIO_MMIO_MAGIC U(0x74726976) /* "virt" */
#define VIRTIO_MMIO_VERSION U(0x004)
#define VIRTIO_MMIO_VERSION_2 U(2)      /* 1 was the legacy interface */
#define VIRTIO_MMIO_DEVICE_ID U(0x008)
#define VIRTIO_MMIO_VENDOR_ID U(0x00c)
#define VIRTIO_MMIO_DEVICE_FEATURES U(0x010)
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL U(0x014)
#define VIRTIO_MMIO_DRIVER_FEATURES U(0x020)
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL U(0x024)
#define VIRTIO_MMIO_QUEUE_SEL U(0x030)
#define VIRTIO_MMIO_QUEUE_NUM_MAX U(0x034)
#define VIRTIO_MMIO_QUEUE_NUM U(0x038)
#define VIRTIO_MMIO_QUEUE_READY U(0x044)
#define VIRTIO_MMIO_QUEUE_NOTIFY U(0x050) /* the queue index (no NOTIFICATION_DATA) */
#define VIRTIO_MMIO_INTERRUPT_STATUS U(0x060)
#define VIRTIO_MMIO_INTERRUPT_ACK U(0x064)
#define VIRTIO_MMIO_INT_USED_BUFFER BIT(0)
#define VIRTIO_MMIO_INT_CONFIG BIT(1)
#define VIRTIO_MMIO_INT_ALL (VIRTIO_MMIO_INT_USED_BUFFER | VIRTIO_MMIO_INT_CONFIG)
#define VIRTIO_MMIO_STATUS U(0x070)
#define VIRTIO_MMIO_QUEUE_DESC_LOW U(0x080)
#define VIRTIO_MMIO_QUEUE_DESC_HIGH U(0x084)
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW U(0x090)
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH U(0x094)
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW U(0x0a0)
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH U(0x0a4)
#define VIRTIO_MMIO_SHM_SEL U(0x0ac)
#define VIRTIO_MMIO_SHM_LEN_LOW U(0x0b0)  /* no region: the length reads as -1 */
#define VIRTIO_MMIO_SHM_LEN_HIGH U(0x0b4)
#define VIRTIO_MMIO_SHM_BASE_LOW U(0x0b8) /* no region: the base reads as all ones */
#define VIRTIO_MMIO_SHM_BASE_HIGH U(0x0bc)
#define VIRTIO_MMIO_QUEUE_RESET U(0x0c0) /* only with VIRTIO_F_RING_RESET (not offered) */
#define VIRTIO_MMIO_CONFIG_GENERATION U(0x0fc)
#define VIRTIO_MMIO_CONFIG U(0x100)      /* device-specific configuration space */
/* The register file and its config space: one slot (core/vm/guest_layout.h GUEST_VIRTIO_SIZE). */
#define VIRTIO_MMIO_REGION_SIZE U(0x200)
#define VIRTIO_MMIO_CONFIG_MAX (VIRTIO_MMIO_REGION_SIZE - VIRTIO_MMIO_CONFIG)

/* ---- 2.1 Device status field ---- */
#define VIRTIO_STATUS_ACKNOWLEDGE BIT(0)
#define VIRTIO_STATUS_DRIVER BIT(1)
#define VIRTIO_STATUS_DRIVER_OK BIT(2)
#define VIRTIO_STATUS_FEATURES_OK BIT(3)
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET BIT(6)
#define VIRTIO_STATUS_FAILED BIT(7)

/* ---- 2.2 and 6 Reserved feature bits (as masks). Device types own bits 0-23 and 50-127;
 * 24-40 belong to the queues and negotiation, 41-49 to future extensions. ---- */
#define VIRTIO_F_INDIRECT_DESC BIT(28)
#define VIRTIO_F_EVENT_IDX BIT(29)
#define VIRTIO_F_VERSION_1 BIT(32)
#define VIRTIO_F_ACCESS_PLATFORM BIT(33)
#define VIRTIO_F_RING_PACKED BIT(34)
#define VIRTIO_F_IN_ORDER BIT(35)
#define VIRTIO_F_ORDER_PLATFORM BIT(36)
#define VIRTIO_F_SR_IOV BIT(37)
#define VIRTIO_F_NOTIFICATION_DATA BIT(38)
#define VIRTIO_F_NOTIF_CONFIG_DATA BIT(39)
#define VIRTIO_F_RING_RESET BIT(40)
#define VIRTIO_F_RESERVED_MASK GENMASK(49, 24)

/* ---- 2.7 Split virtqueues. The maximum queue size; sizes are powers of 2. ---- */
#define VIRTQ_SIZE_MAX U(32768)

/* 2.7.5 Descriptor table: 16-byte entries, the table 16-byte aligned. */
#define VIRTQ_DESC_ALIGN U(16)
#define VIRTQ_DESC_SIZE U(16)
#define VIRTQ_DESC_ADDR U(0)  /* le64 guest-physical address of the buffer */
#define VIRTQ_DESC_LEN U(8)   /* le32 */
#define VIRTQ_DESC_FLAGS U(12) /* le16 */
#define VIRTQ_DESC_F_NEXT BIT(0)
#define VIRTQ_DESC_F_WRITE BIT(1)    /* device-writable (else device-readable) */
#define VIRTQ_DESC_F_INDIRECT BIT(2) /* only with VIRTIO_F_INDIRECT_DESC */
#define VIRTQ_DESC_NEXT U(14) /* le16 */
/* 2.7.4: a chain's buffers may total at most 2^32 bytes. */
#define VIRTQ_CHAIN_BYTES_MAX BIT(32)

/* 2.7.6 Available ring (the driver area): 2-byte aligned, 6 + 2 * size bytes. */
#define VIRTQ_AVAIL_ALIGN U(2)
#define VIRTQ_AVAIL_FLAGS U(0) /* le16 */
#define VIRTQ_AVAIL_F_NO_INTERRUPT BIT(0)
#define VIRTQ_AVAIL_IDX U(2)   /* le16, free-running */
#define VIRTQ_AVAIL_RING U(4)  /* le16 ring[size]: chain heads, then le16 used_event */
#define VIRTQ_AVAIL_BYTES(num) (6 + 2 * (u64)(num))

/* 2.7.8 Used ring (the device area): 4-byte aligned, 6 + 8 * size bytes. */
#define VIRTQ_USED_ALIGN U(4)
#define VIRTQ_USED_FLAGS U(0) /* le16; the driver zeroes it and the device leaves it 0 */
#define VIRTQ_USED_IDX U(2)   /* le16, free-running */
#define VIRTQ_USED_RING U(4)  /* struct virtq_used_elem ring[size], then le16 avail_event */
#define VIRTQ_USED_ELEM_SIZE U(8)
#define VIRTQ_USED_ELEM_ID U(0)  /* le32 head of the chain */
#define VIRTQ_USED_ELEM_LEN U(4) /* le32 bytes written into its device-writable part */
#define VIRTQ_USED_BYTES(num) (6 + 8 * (u64)(num))

#define VIRTQ_DESC_BYTES(num) (VIRTQ_DESC_SIZE * (u64)(num))

#endif
