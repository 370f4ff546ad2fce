/*
 * The virtio-iommu device as a guest sees it (virtio 1.2/1.3, "IOMMU device"; the layouts
 * are those of Linux's include/uapi/linux/virtio_iommu.h). Guest-visible ABI only, kept
 * apart from internal headers (style.md 11): wire structs and constants, nothing else.
 *
 * Everything on the wire is little-endian. Portcullis and its host tests run little-endian
 * only (asserted below), so the le* types are plain integers with the byte order written
 * into their name. Every field is naturally aligned inside its struct, so the structs have
 * no padding (checked below); a buffer from a guest may still be unaligned, so requests
 * are copied into a struct (memcpy), never cast.
 */
#ifndef IOMMU_INCLUDE_VIRTIO_IOMMU_ABI_H
#define IOMMU_INCLUDE_VIRTIO_IOMMU_ABI_H

#include "core/lib/bits.h"
#include "core/lib/types.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "virtio-iommu wire format is LE");

typedef u16 le16;
typedef u32 le32;
typedef u64 le64;

/* ---- Identity ---- */
#define VIRTIO_ID_IOMMU 23
#define VIRTIO_IOMMU_REQUESTQ 0
#define VIRTIO_IOMMU_EVENTQ 1

/* Feature bits (bit numbers). */
#define VIRTIO_IOMMU_F_INPUT_RANGE 0
#define VIRTIO_IOMMU_F_DOMAIN_RANGE 1
#define VIRTIO_IOMMU_F_MAP_UNMAP 2
#define VIRTIO_IOMMU_F_BYPASS 3 /* legacy: never offered */
#define VIRTIO_IOMMU_F_PROBE 4
#define VIRTIO_IOMMU_F_MMIO 5
#define VIRTIO_IOMMU_F_BYPASS_CONFIG 6

/* ---- Config space (virtio-mmio offset 0x100), 40 bytes ---- */
struct virtio_iommu_range_64 {
	le64 start;
	le64 end; /* inclusive */
};

struct virtio_iommu_range_32 {
	le32 start;
	le32 end; /* inclusive */
};

struct virtio_iommu_config {
	le64 page_size_mask; /* lowest set bit: the granule; never 0 */
	struct virtio_iommu_range_64 input_range;
	struct virtio_iommu_range_32 domain_range;
	le32 probe_size;
	u8 bypass; /* 0 or 1; written by the driver only with BYPASS_CONFIG */
	u8 reserved[3];
};

/* ---- Requests (requestq) ---- */
#define VIRTIO_IOMMU_T_ATTACH 1
#define VIRTIO_IOMMU_T_DETACH 2
#define VIRTIO_IOMMU_T_MAP 3
#define VIRTIO_IOMMU_T_UNMAP 4
#define VIRTIO_IOMMU_T_PROBE 5

#define VIRTIO_IOMMU_S_OK 0
#define VIRTIO_IOMMU_S_IOERR 1
#define VIRTIO_IOMMU_S_UNSUPP 2
#define VIRTIO_IOMMU_S_DEVERR 3
#define VIRTIO_IOMMU_S_INVAL 4
#define VIRTIO_IOMMU_S_RANGE 5
#define VIRTIO_IOMMU_S_NOENT 6
#define VIRTIO_IOMMU_S_FAULT 7
#define VIRTIO_IOMMU_S_NOMEM 8

/* Device-readable, first in every request. */
struct virtio_iommu_req_head {
	u8 type; /* VIRTIO_IOMMU_T_* */
	u8 reserved[3];
};

/* Device-writable, last in every request. */
struct virtio_iommu_req_tail {
	u8 status; /* VIRTIO_IOMMU_S_* */
	u8 reserved[3];
};

#define VIRTIO_IOMMU_ATTACH_F_BYPASS BIT(0)

struct virtio_iommu_req_attach {
	struct virtio_iommu_req_head head;
	le32 domain;
	le32 endpoint;
	le32 flags; /* VIRTIO_IOMMU_ATTACH_F_* */
	u8 reserved[4];
	struct virtio_iommu_req_tail tail;
};

struct virtio_iommu_req_detach {
	struct virtio_iommu_req_head head;
	le32 domain;
	le32 endpoint;
	u8 reserved[8];
	struct virtio_iommu_req_tail tail;
};

#define VIRTIO_IOMMU_MAP_F_READ BIT(0)
#define VIRTIO_IOMMU_MAP_F_WRITE BIT(1)
#define VIRTIO_IOMMU_MAP_F_MMIO BIT(2)
#define VIRTIO_IOMMU_MAP_F_MASK \
	(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE | VIRTIO_IOMMU_MAP_F_MMIO)

struct virtio_iommu_req_map {
	struct virtio_iommu_req_head head;
	le32 domain;
	le64 virt_start;
	le64 virt_end; /* inclusive */
	le64 phys_start;
	le32 flags; /* VIRTIO_IOMMU_MAP_F_* */
	struct virtio_iommu_req_tail tail;
};

struct virtio_iommu_req_unmap {
	struct virtio_iommu_req_head head;
	le32 domain;
	le64 virt_start;
	le64 virt_end; /* inclusive */
	u8 reserved[4];
	struct virtio_iommu_req_tail tail;
};

/* The device-writable part is properties[probe_size] followed by the tail. */
struct virtio_iommu_req_probe {
	struct virtio_iommu_req_head head;
	le32 endpoint;
	u8 reserved[64];
	/* u8 properties[probe_size]; struct virtio_iommu_req_tail tail; */
};

/* ---- PROBE properties ---- */
#define VIRTIO_IOMMU_PROBE_T_NONE 0 /* ends the list */
#define VIRTIO_IOMMU_PROBE_T_RESV_MEM 1
#define VIRTIO_IOMMU_PROBE_T_MASK GENMASK(11, 0) /* bits 12..15 of type are reserved */

struct virtio_iommu_probe_property {
	le16 type;   /* VIRTIO_IOMMU_PROBE_T_* */
	le16 length; /* of the value that follows, without this header */
};

#define VIRTIO_IOMMU_RESV_MEM_T_RESERVED 0
#define VIRTIO_IOMMU_RESV_MEM_T_MSI 1

struct virtio_iommu_probe_resv_mem {
	struct virtio_iommu_probe_property head; /* length = 20 */
	u8 subtype; /* VIRTIO_IOMMU_RESV_MEM_T_* */
	u8 reserved[3];
	le64 start;
	le64 end; /* inclusive */
};

#define VIRTIO_IOMMU_RESV_MEM_LEN \
	(sizeof(struct virtio_iommu_probe_resv_mem) - sizeof(struct virtio_iommu_probe_property))

/* ---- Fault events (eventq), 24 bytes ---- */
#define VIRTIO_IOMMU_FAULT_R_UNKNOWN 0
#define VIRTIO_IOMMU_FAULT_R_DOMAIN 1
#define VIRTIO_IOMMU_FAULT_R_MAPPING 2

#define VIRTIO_IOMMU_FAULT_F_READ BIT(0)
#define VIRTIO_IOMMU_FAULT_F_WRITE BIT(1)
#define VIRTIO_IOMMU_FAULT_F_ADDRESS BIT(8)
/* Linux's header also has EXEC (bit 2), which the specification does not define: unused. */

struct virtio_iommu_fault {
	u8 reason; /* VIRTIO_IOMMU_FAULT_R_* */
	u8 reserved[3];
	le32 flags; /* VIRTIO_IOMMU_FAULT_F_* */
	le32 endpoint;
	u8 reserved1[4];
	le64 address;
};

/* ---- The layout, checked against the specification's byte offsets ---- */
#define VIRTIO_IOMMU_ABI_AT(type, field, off) \
	_Static_assert(__builtin_offsetof(type, field) == (off), #type "." #field)

_Static_assert(sizeof(struct virtio_iommu_config) == 40, "config");
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_config, input_range.end, 16);
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_config, domain_range.end, 28);
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_config, probe_size, 32);
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_config, bypass, 36);

_Static_assert(sizeof(struct virtio_iommu_req_attach) == 24, "attach");
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_req_attach, flags, 12);
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_req_attach, tail, 20);
_Static_assert(sizeof(struct virtio_iommu_req_detach) == 24, "detach");
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_req_detach, tail, 20);
_Static_assert(sizeof(struct virtio_iommu_req_map) == 40, "map");
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_req_map, virt_start, 8);
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_req_map, phys_start, 24);
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_req_map, flags, 32);
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_req_map, tail, 36);
_Static_assert(sizeof(struct virtio_iommu_req_unmap) == 32, "unmap");
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_req_unmap, reserved, 24);
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_req_unmap, tail, 28);
_Static_assert(sizeof(struct virtio_iommu_req_probe) == 72, "probe");
_Static_assert(sizeof(struct virtio_iommu_probe_resv_mem) == 24, "resv_mem");
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_probe_resv_mem, start, 8);
_Static_assert(VIRTIO_IOMMU_RESV_MEM_LEN == 20, "resv_mem length");
_Static_assert(sizeof(struct virtio_iommu_fault) == 24, "fault");
VIRTIO_IOMMU_ABI_AT(struct virtio_iommu_fault, address, 16);

#endif
