/*
 * Helpers for reading a hostile flattened device tree with libfdt, for platform discovery
 * (core/platform*.c): typed property reads, 'reg' entries translated through the ancestors'
 * 'ranges' to CPU physical addresses, GICv3 interrupt specifiers, node status, and messages
 * that name the node at fault.
 *
 * The blob must already have passed fdt_check_full (check_blob in core/platform/platform.c). Each
 * function returns 0 or -E_INVAL with one line in c->err ("<node path>: <what is wrong>");
 * those documented so return -E_NOENT, with no message, when the property is absent, so that
 * the caller decides whether that is an error.
 */
#ifndef CORE_FDT_UTIL_H
#define CORE_FDT_UTIL_H

#include <libfdt.h>

#include "core/lib/bits.h"
#include "core/lib/types.h"
#include "core/platform/platform.h"

/* One discovery in progress. */
struct fdt_ctx {
	const void *fdt;
	size_t max_size;
	struct platform *p; /* being filled in; dt_warn() appends to p->warn */
	char *err;          /* dt_fail() writes its message here */
	size_t err_len;
	int gic;         /* offset of the GICv3 node, once found */
	u32 gic_phandle; /* its phandle (0: none) */
};

/* A node's 'reg' property, decoded with its parent's cell counts. */
struct reg_list {
	int node;
	const fdt32_t *cells;
	u32 ac, sc; /* address and size cells per entry */
	u32 n;      /* entries */
};

/* Interrupts of one node routed through an interrupt-map nexus: at most this many. */
#define DT_IRQ_MAPPED_MAX 8

/* A node's interrupt specifiers, every one of them for the GICv3. */
struct irq_list {
	int node;
	const fdt32_t *cells;
	u32 stride; /* cells per entry: 3 in 'interrupts', 4 in 'interrupts-extended' */
	u32 n;
	/*
	 * Specifiers that reached the GICv3 through an interrupt-map nexus ([DT] 2.4.3), 3
	 * cells each: when is_mapped, entry i is mapped[3 * i] on (cells and stride unused).
	 */
	bool is_mapped;
	fdt32_t mapped[DT_IRQ_MAPPED_MAX * 3];
};

/* ---- messages: "<path>: <message>", or just the message when node < 0 ---- */

/* Write the error into c->err; returns -E_INVAL. */
int dt_fail(struct fdt_ctx *c, int node, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* A finding that does not stop discovery, added to c->p->warn (dropped once it is full). */
void dt_warn(struct fdt_ctx *c, int node, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* ---- properties ---- */

/* A property as *n entries of 'unit' cells each; -E_NOENT when absent. */
int dt_prop_cells(struct fdt_ctx *c, int node, const char *name, u32 unit, const fdt32_t **cells,
	       u32 *n);
/* The big-endian number in 'cells' cells (1 or 2, checked by the caller). */
u64 dt_read_num(const fdt32_t *p, u32 cells);
/* A number of exactly 'cells' cells; *out is left alone (the default) when absent. */
int dt_prop_num(struct fdt_ctx *c, int node, const char *name, u32 cells, u64 *out);
int dt_prop_u32(struct fdt_ctx *c, int node, const char *name, u32 *out);
/* A NUL-terminated string property; -E_NOENT when absent. */
int dt_prop_str(struct fdt_ctx *c, int node, const char *name, const char **out);

/* ---- nodes ---- */

/* 'status' absent, "okay" or "ok". */
bool dt_node_enabled(const void *fdt, int node);
/* The first enabled node after 'from' (-1: the start) compatible with 'compat', or < 0. */
int dt_find_compatible(const void *fdt, int from, const char *compat);
/* dma-coherent on the node or, failing dma-noncoherent, an ancestor. */
bool dt_dma_coherent(const void *fdt, int node);
int dt_parent_of(struct fdt_ctx *c, int node, int *parent);
/* '#address-cells' and '#size-cells' of bus's children (defaults 2 and 1; each 1 or 2). */
int dt_bus_cells(struct fdt_ctx *c, int bus, u32 *ac, u32 *sc);

/* ---- addresses ---- */

/* Entry i of property 'name': an error if [base, base + size) wraps around. */
int dt_check_wrap(struct fdt_ctx *c, int node, const char *name, u32 i, u64 base, u64 size);
/* An address (size bytes) in node's parent's space, made a CPU physical address. */
int dt_translate(struct fdt_ctx *c, int node, u64 *addr, u64 size);

/* ---- reg ---- */

/* A node's 'reg': an error when it is missing or empty. */
int dt_reg_open(struct fdt_ctx *c, int node, struct reg_list *r);
/* Entry i (< r->n) of a 'reg', as a CPU physical range. */
int dt_reg_get(struct fdt_ctx *c, const struct reg_list *r, u32 i, struct mem_range *out);
/* The first 'reg' entry of a device, which must have a size. */
int dt_reg_first(struct fdt_ctx *c, int node, pa_t *base, u64 *size);
/*
 * Append node's 'reg' entries (those with a size) to arr. Returns 1 when arr filled up
 * first and must_fit is false (the caller warns and stops), an error when must_fit.
 */
int dt_reg_append(struct fdt_ctx *c, int node, struct mem_range *arr, unsigned *n, unsigned max,
	       bool must_fit);

/* ---- interrupts (only the GICv3 found by read_gic is accepted as their parent) ---- */

/*
 * A node's interrupts (l->n = 0 when it has none); each must go to the GICv3, directly or
 * through interrupt-map nexus nodes ([DT] 2.4.3).
 */
int dt_irq_open(struct fdt_ctx *c, int node, struct irq_list *l);
/*
 * The same for a device that can do without its interrupts: when they go to an interrupt
 * controller other than the GICv3 (an MSI-based "mbigen", a GPIO controller...), returns 0
 * with l->n = 0 and *foreign = that controller's offset (else -1), for the caller to warn.
 */
int dt_irq_open_optional(struct fdt_ctx *c, int node, struct irq_list *l, int *foreign);
/* Entry i (< l->n) as an INTID. */
int dt_irq_get(struct fdt_ctx *c, const struct irq_list *l, u32 i, u32 *intid);
/* The interrupt 'name' in 'interrupt-names'; -E_NOENT (no message) when not listed. */
int dt_irq_by_name(struct fdt_ctx *c, const struct irq_list *l, const char *name, u32 *intid);

#endif
