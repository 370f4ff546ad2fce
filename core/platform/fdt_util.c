/*
 * Reading a hostile flattened device tree (see core/platform/fdt_util.h): property, 'reg' and
 * interrupt decoding, address translation through the ancestors' 'ranges', and the error and
 * warning messages that name the node at fault.
 *
 * Sources, cited by tag below:
 *   [DT]    Devicetree Specification v0.4
 *   [GICV3] Linux Documentation/devicetree/bindings/interrupt-controller/arm,gic-v3.yaml
 *
 * Every property's length is checked before a cell of it is read, strings must be
 * NUL-terminated within their property, and every walk is bounded. Any problem becomes an
 * error message naming the node and property; nothing here can stop the machine.
 */
#include "core/platform/fdt_util.h"

#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "core/lib/string.h"

/* Interrupt-parent links can form a loop; no real tree needs more hops than this. */
#define IRQ_PARENT_MAX_HOPS 32
/* Interrupt-map nexus nodes one interrupt may pass through on its way to the GICv3. */
#define IRQ_NEXUS_MAX_HOPS 8
/* [DT] 2.4.3: cells of a unit address (PCI's 3 at most) and of a specifier at a nexus. */
#define IRQ_ADDR_MAX_CELLS 3
#define IRQ_SPEC_MAX_CELLS 4

/* ---- messages ---- */

static const char *node_name(const void *fdt, int node)
{
	const char *name = fdt_get_name(fdt, node, NULL);

	return name ? name : "?";
}

/* "<path>: <message>" into buf (no prefix when node < 0), always NUL-terminated. */
static void msg_write(const void *fdt, int node, char *buf, size_t len, const char *fmt,
		      va_list ap)
{
	char path[PLAT_MSG_LEN];
	size_t n = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (node >= 0) {
		if (fdt_get_path(fdt, node, path, sizeof(path)) != 0)
			fmt_snprintf(path, sizeof(path), ".../%.48s", node_name(fdt, node));
		fmt_snprintf(buf, len, "%s: ", path);
		n = strnlen(buf, len);
	}
	fmt_vsnprintf(buf + n, len - n, fmt, ap);
}

int dt_fail(struct fdt_ctx *c, int node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_write(c->fdt, node, c->err, c->err_len, fmt, ap);
	va_end(ap);
	return -E_INVAL;
}

/* A finding that does not stop discovery. Past PLAT_MAX_WARN they are dropped. */
void dt_warn(struct fdt_ctx *c, int node, const char *fmt, ...)
{
	struct platform *p = c->p;
	va_list ap;

	if (p->n_warn == PLAT_MAX_WARN)
		return;
	va_start(ap, fmt);
	msg_write(c->fdt, node, p->warn[p->n_warn++], PLAT_MSG_LEN, fmt, ap);
	va_end(ap);
}

/* ---- properties ---- */

/*
 * A property as *n entries of 'unit' cells each. Returns -E_NOENT, with no message, when the
 * property is absent, so that the caller decides whether that is an error.
 */
int dt_prop_cells(struct fdt_ctx *c, int node, const char *name, u32 unit,
	       const fdt32_t **cells, u32 *n)
{
	int len;
	const fdt32_t *v = fdt_getprop(c->fdt, node, name, &len);

	if (!v)
		return -E_NOENT;
	if (len % 4)
		return dt_fail(c, node, "'%s' is %d bytes, not a whole number of cells", name, len);
	if ((u32)(len / 4) % unit)
		return dt_fail(c, node, "'%s' has %d cells, expected a multiple of %u", name, len / 4,
			    unit);
	*cells = v;
	*n = (u32)(len / 4) / unit;
	return 0;
}

/* The big-endian number in 'cells' cells (1 or 2, checked by the caller). */
u64 dt_read_num(const fdt32_t *p, u32 cells)
{
	u64 v = 0;

	for (u32 i = 0; i < cells; i++)
		v = (v << 32) | fdt32_ld(p + i);
	return v;
}

/* A number of exactly 'cells' cells; *out is left alone (the default) when absent. */
int dt_prop_num(struct fdt_ctx *c, int node, const char *name, u32 cells, u64 *out)
{
	const fdt32_t *v;
	u32 n;
	int ret = dt_prop_cells(c, node, name, 1, &v, &n);

	if (ret == -E_NOENT)
		return 0;
	if (ret)
		return ret;
	if (n != cells)
		return dt_fail(c, node, "'%s' has %u cells, expected %u", name, n, cells);
	*out = dt_read_num(v, cells);
	return 0;
}

int dt_prop_u32(struct fdt_ctx *c, int node, const char *name, u32 *out)
{
	u64 v = *out;
	int ret = dt_prop_num(c, node, name, 1, &v);

	*out = (u32)v;
	return ret;
}

/* A string property: present and NUL-terminated within its length. */
int dt_prop_str(struct fdt_ctx *c, int node, const char *name, const char **out)
{
	int len;
	const char *s = fdt_getprop(c->fdt, node, name, &len);

	if (!s)
		return -E_NOENT;
	if (len < 1 || strnlen(s, (size_t)len) == (size_t)len)
		return dt_fail(c, node, "'%s' is not a NUL-terminated string", name);
	*out = s;
	return 0;
}

/* [DT] 2.3.4: a node is usable when 'status' is absent or "okay" (or the older "ok"). */
bool dt_node_enabled(const void *fdt, int node)
{
	int len;
	const char *s = fdt_getprop(fdt, node, "status", &len);

	if (!s)
		return true;
	return (len == 5 && memcmp(s, "okay", 5) == 0) || (len == 3 && memcmp(s, "ok", 3) == 0);
}

/* The first enabled node after 'from' (-1: the start) compatible with 'compat', or < 0. */
int dt_find_compatible(const void *fdt, int from, const char *compat)
{
	int node = fdt_node_offset_by_compatible(fdt, from, compat);

	while (node >= 0 && !dt_node_enabled(fdt, node))
		node = fdt_node_offset_by_compatible(fdt, node, compat);
	return node;
}

/*
 * [DT] 2.3.10 dma-coherent. Like Linux (of_dma_is_coherent), an ancestor's dma-coherent
 * or dma-noncoherent counts too: QEMU's virt machine puts dma-coherent on the root.
 */
bool dt_dma_coherent(const void *fdt, int node)
{
	for (; node >= 0; node = fdt_parent_offset(fdt, node)) {
		if (fdt_getprop(fdt, node, "dma-coherent", NULL))
			return true;
		if (fdt_getprop(fdt, node, "dma-noncoherent", NULL))
			return false;
	}
	return false;
}

int dt_parent_of(struct fdt_ctx *c, int node, int *parent)
{
	*parent = fdt_parent_offset(c->fdt, node);
	if (*parent < 0)
		return dt_fail(c, node, "has no parent node");
	return 0;
}

/*
 * [DT] 2.3.5: '#address-cells' (default 2) and '#size-cells' (default 1) of a bus's children.
 * Addresses and sizes are 64-bit here, so each must be 1 or 2.
 */
int dt_bus_cells(struct fdt_ctx *c, int bus, u32 *ac, u32 *sc)
{
	int ret;

	*ac = 2;
	*sc = 1;
	ret = dt_prop_u32(c, bus, "#address-cells", ac);
	if (!ret)
		ret = dt_prop_u32(c, bus, "#size-cells", sc);
	if (ret)
		return ret;
	if (*ac < 1 || *ac > 2)
		return dt_fail(c, bus, "'#address-cells' is %u, expected 1 or 2", *ac);
	if (*sc < 1 || *sc > 2)
		return dt_fail(c, bus, "'#size-cells' is %u, expected 1 or 2", *sc);
	return 0;
}

int dt_check_wrap(struct fdt_ctx *c, int node, const char *name, u32 i, u64 base, u64 size)
{
	if (size && base + (size - 1) < base)
		return dt_fail(c, node, "'%s' entry %u wraps around the address space", name, i);
	return 0;
}

/* ---- address translation ---- */

/* [DT] 2.3.8: map *addr (size bytes) through one entry list of bus's non-empty 'ranges'. */
static int ranges_map(struct fdt_ctx *c, int bus, u64 *addr, u64 size)
{
	const fdt32_t *r;
	u32 cac, csc, pac, psc, n;
	int up;
	int ret = dt_parent_of(c, bus, &up);

	if (!ret)
		ret = dt_bus_cells(c, bus, &cac, &csc);
	if (!ret)
		ret = dt_bus_cells(c, up, &pac, &psc);
	if (!ret)
		ret = dt_prop_cells(c, bus, "ranges", cac + pac + csc, &r, &n);
	if (ret)
		return ret;
	for (u32 i = 0; i < n; i++, r += cac + pac + csc) {
		u64 child = dt_read_num(r, cac), parent = dt_read_num(r + cac, pac);
		u64 len = dt_read_num(r + cac + pac, csc), off = *addr - child;

		if (*addr < child || off >= len || size > len - off)
			continue;
		if (parent + off < parent)
			return dt_fail(c, bus, "'ranges' entry %u wraps around the address space", i);
		*addr = parent + off;
		return 0;
	}
	return dt_fail(c, bus, "'ranges' does not map 0x%llx", (unsigned long long)*addr);
}

/*
 * [DT] 2.3.8: turn an address in node's parent's space into a CPU physical address, through
 * the 'ranges' of every ancestor below the root. An empty 'ranges' is the identity; a bus
 * without one is not memory mapped.
 */
int dt_translate(struct fdt_ctx *c, int node, u64 *addr, u64 size)
{
	int bus, len;
	int ret = dt_parent_of(c, node, &bus);

	while (!ret && bus != 0) {
		if (!fdt_getprop(c->fdt, bus, "ranges", &len))
			return dt_fail(c, bus, "no 'ranges': its children are not memory mapped");
		if (len)
			ret = ranges_map(c, bus, addr, size);
		if (!ret)
			ret = dt_parent_of(c, bus, &bus);
	}
	return ret;
}

/* ---- reg ---- */

/* [DT] 2.3.6: 'reg' is (address, length) pairs in the parent's cell counts. */
int dt_reg_open(struct fdt_ctx *c, int node, struct reg_list *r)
{
	int parent;
	int ret = dt_parent_of(c, node, &parent);

	r->node = node;
	if (!ret)
		ret = dt_bus_cells(c, parent, &r->ac, &r->sc);
	if (!ret)
		ret = dt_prop_cells(c, node, "reg", r->ac + r->sc, &r->cells, &r->n);
	if (ret == -E_NOENT)
		return dt_fail(c, node, "missing 'reg'");
	if (!ret && r->n == 0)
		return dt_fail(c, node, "'reg' is empty");
	return ret;
}

/* Entry i (< r->n) of a 'reg', as a CPU physical range. */
int dt_reg_get(struct fdt_ctx *c, const struct reg_list *r, u32 i, struct mem_range *out)
{
	const fdt32_t *e = r->cells + i * (r->ac + r->sc);
	u64 base = dt_read_num(e, r->ac), size = dt_read_num(e + r->ac, r->sc);
	int ret = dt_check_wrap(c, r->node, "reg", i, base, size);

	if (!ret)
		ret = dt_translate(c, r->node, &base, size);
	out->base = pa(base);
	out->size = size;
	return ret;
}

/* The first 'reg' entry of a device, which must have a size. */
int dt_reg_first(struct fdt_ctx *c, int node, pa_t *base, u64 *size)
{
	struct reg_list r;
	struct mem_range m;
	int ret = dt_reg_open(c, node, &r);

	if (!ret)
		ret = dt_reg_get(c, &r, 0, &m);
	if (ret)
		return ret;
	if (m.size == 0)
		return dt_fail(c, node, "'reg' entry 0 has size 0");
	*base = m.base;
	*size = m.size;
	return 0;
}

/*
 * Append node's 'reg' entries (those with a size) to arr. Returns 1 when arr filled up
 * first and must_fit is false (the caller warns and stops), an error when must_fit.
 */
int dt_reg_append(struct fdt_ctx *c, int node, struct mem_range *arr, unsigned *n,
	       unsigned max, bool must_fit)
{
	struct reg_list r;
	struct mem_range m;
	int ret = dt_reg_open(c, node, &r);

	for (u32 i = 0; !ret && i < r.n; i++) {
		ret = dt_reg_get(c, &r, i, &m);
		if (ret || m.size == 0)
			continue;
		if (*n == max && !must_fit)
			return 1;
		if (*n == max)
			return dt_fail(c, node, "more than %u reserved ranges", max);
		arr[(*n)++] = m;
	}
	return ret;
}

/* ---- interrupts ---- */

/* One link of the interrupt-parent search from *cur, for node's interrupts. */
static int irq_parent_step(struct fdt_ctx *c, int node, int *cur)
{
	u32 ph = 0;
	int next, ret;

	if (!fdt_getprop(c->fdt, *cur, "interrupt-parent", NULL)) {
		if (dt_parent_of(c, *cur, cur))
			return dt_fail(c, node, "no interrupt parent");
		return 0;
	}
	ret = dt_prop_u32(c, *cur, "interrupt-parent", &ph);
	if (ret)
		return ret;
	next = fdt_node_offset_by_phandle(c->fdt, ph);
	if (next < 0)
		return dt_fail(c, *cur, "'interrupt-parent' <0x%x> names no node", ph);
	*cur = next;
	return 0;
}

/*
 * [DT] 2.4.1: a node's interrupt parent is named by its 'interrupt-parent' phandle, else it
 * is its tree parent; the search goes on to the first node with '#interrupt-cells'.
 */
static int irq_parent(struct fdt_ctx *c, int node, int *out)
{
	int cur = node;

	for (int hop = 0; hop < IRQ_PARENT_MAX_HOPS; hop++) {
		int ret = irq_parent_step(c, node, &cur);

		if (ret)
			return ret;
		if (fdt_getprop(c->fdt, cur, "#interrupt-cells", NULL)) {
			*out = cur;
			return 0;
		}
	}
	return dt_fail(c, node, "interrupt parent chain longer than %d links", IRQ_PARENT_MAX_HOPS);
}

/* 'interrupts-extended' = <phandle specifier>...: every phandle must be the GICv3's. */
static int irq_open_extended(struct fdt_ctx *c, int node, struct irq_list *l)
{
	int ret = dt_prop_cells(c, node, "interrupts-extended", 4, &l->cells, &l->n);

	if (ret)
		return ret == -E_NOENT ? 0 : ret;
	l->stride = 4;
	for (u32 i = 0; i < l->n; i++)
		if (c->gic_phandle == 0 || fdt32_ld(l->cells + 4 * i) != c->gic_phandle)
			return dt_fail(c, node, "'interrupts-extended' entry %u is not for the GICv3", i);
	return 0;
}

/* ---- interrupt nexus: interrupt-map ([DT] 2.4.3) ---- */

/* An interrupt on its way to the GICv3: the node it is at, its unit address and specifier. */
struct irq_route {
	int at;
	u32 ac, ic; /* cells of addr and of spec */
	u32 addr[IRQ_ADDR_MAX_CELLS];
	u32 spec[IRQ_SPEC_MAX_CELLS];
};

/* A cell count of node: 'name', or def when absent, at most max. */
static int irq_cells(struct fdt_ctx *c, int node, const char *name, u32 def, u32 max, u32 *out)
{
	int ret;

	*out = def;
	ret = dt_prop_u32(c, node, name, out);
	if (!ret && *out > max)
		return dt_fail(c, node, "'%s' is %u, at most %u is supported", name, *out, max);
	return ret;
}

/*
 * [DT] 2.4.3.1: the child unit address a nexus matches is the device's 'reg' (its first
 * cells, as Linux's of_irq_parse_one takes them), zero-padded to the nexus's
 * '#address-cells' (default 2).
 */
static int irq_route_start(struct fdt_ctx *c, int node, int nexus, struct irq_route *r)
{
	const fdt32_t *reg;
	int len;
	int ret = irq_cells(c, nexus, "#address-cells", 2, IRQ_ADDR_MAX_CELLS, &r->ac);

	if (!ret)
		ret = irq_cells(c, nexus, "#interrupt-cells", 0, IRQ_SPEC_MAX_CELLS, &r->ic);
	if (ret)
		return ret;
	if (r->ic == 0)
		return dt_fail(c, nexus, "'#interrupt-cells' is 0 or missing");
	r->at = nexus;
	reg = fdt_getprop(c->fdt, node, "reg", &len);
	for (u32 i = 0; i < r->ac; i++)
		r->addr[i] = reg && (u32)len / 4 > i ? fdt32_ld(reg + i) : 0;
	return 0;
}

/* Entry i of r->at's interrupt-map starts at e (left cells remain): its parent, if whole. */
static int irq_map_entry(struct fdt_ctx *c, int node, const fdt32_t *e, u32 left, u32 i,
			 const struct irq_route *r, struct irq_route *up, u32 *len)
{
	u32 head = r->ac + r->ic, ph;

	if (left < head + 1)
		return dt_fail(c, r->at, "'interrupt-map' entry %u is truncated", i);
	ph = fdt32_ld(e + head);
	up->at = fdt_node_offset_by_phandle(c->fdt, ph);
	if (up->at < 0)
		return dt_fail(c, r->at, "'interrupt-map' entry %u: phandle 0x%x names no node", i, ph);
	/* [DT] 2.4.3.1: the parent unit address has the parent's '#address-cells', 0 if none. */
	if (irq_cells(c, up->at, "#address-cells", 0, IRQ_ADDR_MAX_CELLS, &up->ac) ||
	    irq_cells(c, up->at, "#interrupt-cells", 0, IRQ_SPEC_MAX_CELLS, &up->ic))
		return -E_INVAL;
	if (up->ic == 0)
		return dt_fail(c, up->at, "'#interrupt-cells' is 0 or missing");
	*len = head + 1 + up->ac + up->ic;
	if (left < *len)
		return dt_fail(c, r->at, "'interrupt-map' entry %u is truncated", i);
	for (u32 k = 0; k < up->ac; k++)
		up->addr[k] = fdt32_ld(e + head + 1 + k);
	for (u32 k = 0; k < up->ic; k++)
		up->spec[k] = fdt32_ld(e + head + 1 + up->ac + k);
	return 0;
}

/*
 * [DT] 2.4.3: one step through the nexus r->at. The address and specifier, masked with
 * 'interrupt-map-mask' (default all ones), are looked up in 'interrupt-map'; the entry that
 * matches gives the interrupt parent and the specifier there.
 */
static int irq_map_step(struct fdt_ctx *c, int node, struct irq_route *r)
{
	const fdt32_t *map, *mask;
	u32 key[IRQ_ADDR_MAX_CELLS + IRQ_SPEC_MAX_CELLS], m[ARRAY_SIZE(key)];
	u32 head = r->ac + r->ic, n = 0, nmask = 0;
	int ret = dt_prop_cells(c, r->at, "interrupt-map", 1, &map, &n);

	if (!ret)
		ret = dt_prop_cells(c, r->at, "interrupt-map-mask", 1, &mask, &nmask);
	if (ret && ret != -E_NOENT)
		return ret;
	if (ret == 0 && nmask != head)
		return dt_fail(c, r->at, "'interrupt-map-mask' has %u cells, expected %u", nmask, head);
	for (u32 k = 0; k < head; k++) {
		m[k] = ret == -E_NOENT ? ~0U : fdt32_ld(mask + k);
		key[k] = (k < r->ac ? r->addr[k] : r->spec[k - r->ac]) & m[k];
	}
	for (u32 at = 0, i = 0, len = 0; at < n; at += len, i++) {
		struct irq_route up;
		bool match = true;

		ret = irq_map_entry(c, node, map + at, n - at, i, r, &up, &len);
		if (ret)
			return ret;
		for (u32 k = 0; k < head; k++)
			match = match && (fdt32_ld(map + at + k) & m[k]) == key[k];
		if (match) {
			*r = up;
			return 0;
		}
	}
	return dt_fail(c, node, "no entry of %s's 'interrupt-map' matches its interrupt",
		       node_name(c->fdt, r->at));
}

/*
 * Follow one interrupt from the nexus it starts at to the GICv3, writing its 3 GICv3 cells
 * to out. Reaching another interrupt controller: *foreign = it when the caller can do
 * without the interrupt (foreign != NULL), else an error.
 */
static int irq_route_to_gic(struct fdt_ctx *c, int node, struct irq_route *r, fdt32_t *out,
			    int *foreign)
{
	for (int hop = 0; hop <= IRQ_NEXUS_MAX_HOPS; hop++) {
		int ret;

		if (r->at == c->gic) {
			if (r->ic != 3)
				return dt_fail(c, node, "interrupt reaches the GICv3 with %u cells, expected 3",
					       r->ic);
			for (u32 k = 0; k < 3; k++)
				out[k] = cpu_to_fdt32(r->spec[k]);
			return 0;
		}
		if (!fdt_getprop(c->fdt, r->at, "interrupt-map", NULL)) {
			if (foreign && fdt_getprop(c->fdt, r->at, "interrupt-controller", NULL)) {
				*foreign = r->at;
				return 0;
			}
			return dt_fail(c, node, "interrupt parent is not the GICv3");
		}
		if (hop == IRQ_NEXUS_MAX_HOPS)
			break;
		ret = irq_map_step(c, node, r);
		if (ret)
			return ret;
	}
	return dt_fail(c, node, "interrupt goes through more than %d interrupt-map nexus nodes",
		       IRQ_NEXUS_MAX_HOPS);
}

/* 'interrupts' whose parent is the nexus: each routed to the GICv3 into l->mapped. */
static int irq_open_mapped(struct fdt_ctx *c, int node, int nexus, struct irq_list *l,
			   int *foreign)
{
	struct irq_route start;
	const fdt32_t *v;
	u32 n;
	int ret = irq_route_start(c, node, nexus, &start);

	if (!ret)
		ret = dt_prop_cells(c, node, "interrupts", start.ic, &v, &n);
	if (ret)
		return ret;
	if (n > DT_IRQ_MAPPED_MAX)
		return dt_fail(c, node, "%u interrupts through an interrupt-map, at most %u are supported",
			       n, DT_IRQ_MAPPED_MAX);
	for (u32 i = 0; i < n; i++) {
		struct irq_route r = start;

		for (u32 k = 0; k < r.ic; k++)
			r.spec[k] = fdt32_ld(v + i * r.ic + k);
		ret = irq_route_to_gic(c, node, &r, l->mapped + 3 * i, foreign);
		if (ret || (foreign && *foreign >= 0))
			return ret;
	}
	l->is_mapped = true;
	l->stride = 3;
	l->n = n;
	return 0;
}

static int irq_open(struct fdt_ctx *c, int node, struct irq_list *l, int *foreign)
{
	int parent = -1, ret;

	l->node = node;
	l->n = 0;
	l->is_mapped = false;
	if (foreign)
		*foreign = -1;
	if (!fdt_getprop(c->fdt, node, "interrupts", NULL))
		return irq_open_extended(c, node, l);
	ret = irq_parent(c, node, &parent);
	if (ret)
		return ret;
	if (parent != c->gic && fdt_getprop(c->fdt, parent, "interrupt-map", NULL))
		return irq_open_mapped(c, node, parent, l, foreign);
	if (parent != c->gic && foreign &&
	    fdt_getprop(c->fdt, parent, "interrupt-controller", NULL)) {
		*foreign = parent;
		return 0;
	}
	if (parent != c->gic)
		return dt_fail(c, node, "interrupt parent is not the GICv3");
	l->stride = 3;
	return dt_prop_cells(c, node, "interrupts", 3, &l->cells, &l->n);
}

/* A node's interrupts (l->n = 0 when it has none); each must reach the GICv3. */
int dt_irq_open(struct fdt_ctx *c, int node, struct irq_list *l)
{
	return irq_open(c, node, l, NULL);
}

/* The same; interrupts that go to another interrupt controller give *foreign instead. */
int dt_irq_open_optional(struct fdt_ctx *c, int node, struct irq_list *l, int *foreign)
{
	return irq_open(c, node, l, foreign);
}

/*
 * [GICV3] #interrupt-cells: <type number flags>; type 0 SPI (0..987), 1 PPI (0..15),
 * 2 extended SPI (0..1023), 3 extended PPI (0..63). The INTID is the type's first plus number.
 */
static const struct {
	const char *name;
	u32 first, count;
} gic_irq_types[] = {
	{ "SPI", 32, 988 }, { "PPI", 16, 16 }, { "extended SPI", 4096, 1024 },
	{ "extended PPI", 1056, 64 },
};

/* Entry i (< l->n) as an INTID. */
int dt_irq_get(struct fdt_ctx *c, const struct irq_list *l, u32 i, u32 *intid)
{
	const fdt32_t *spec = l->is_mapped ? l->mapped + 3 * i
					   : l->cells + i * l->stride + (l->stride - 3);
	u32 type = fdt32_ld(spec), num = fdt32_ld(spec + 1);

	if (type >= ARRAY_SIZE(gic_irq_types))
		return dt_fail(c, l->node, "interrupt %u has type %u, expected 0..3", i, type);
	if (num >= gic_irq_types[type].count)
		return dt_fail(c, l->node, "interrupt %u: %s %u is out of range", i,
			    gic_irq_types[type].name, num);
	*intid = gic_irq_types[type].first + num;
	return 0;
}

/* The interrupt 'name' in 'interrupt-names'; -E_NOENT (no message) when not listed. */
int dt_irq_by_name(struct fdt_ctx *c, const struct irq_list *l, const char *name, u32 *intid)
{
	int i = fdt_stringlist_search(c->fdt, l->node, "interrupt-names", name);

	if (i == -FDT_ERR_NOTFOUND)
		return -E_NOENT;
	if (i < 0)
		return dt_fail(c, l->node, "'interrupt-names' is not a list of strings");
	if ((u32)i >= l->n)
		return dt_fail(c, l->node, "'interrupt-names' has '%s' at %d, but there are %u interrupts",
			    name, i, l->n);
	return dt_irq_get(c, l, (u32)i, intid);
}
