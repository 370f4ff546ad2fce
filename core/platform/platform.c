/*
 * Platform discovery from the flattened device tree (see core/platform/platform.h): platform_discover()
 * and the steps it runs, in order. This file holds the blob and the root, memory and
 * reservations, CPUs and PSCI, and the console UART; core/platform/platform_gic.c the GICv3 and the
 * timer; core/platform/platform_io.c the SMMUv3 and the PCIe host. All read the tree through
 * core/platform/fdt_util.h.
 *
 * Sources, cited by tag below:
 *   [DT]    Devicetree Specification v0.4
 *   [CPUS]  Linux Documentation/devicetree/bindings/arm/cpus.yaml
 *   [PSCI]  .../bindings/arm/psci.yaml
 *   [RESV]  .../bindings/reserved-memory/reserved-memory.yaml (Linux 6.1; now in dt-schema)
 *   [8250]  .../bindings/serial/8250.yaml (reg-shift, reg-io-width)
 *
 * The blob is hostile: it is validated whole (fdt_check_full) before any node is read, every
 * property's length is checked before a cell of it is read, strings must be NUL-terminated
 * within their property, and every walk is bounded. Any problem becomes an error message
 * naming the node and property; nothing here can stop the machine.
 */
#include "core/platform/platform.h"

#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "core/lib/string.h"
#include "core/platform/fdt_util.h"
#include "core/platform/platform_steps.h"

/* ---- the blob and the root ---- */

/* [DT] 5.2: the header gives the blob's size; nothing past max_size may be read. */
static int check_blob(struct fdt_ctx *c)
{
	int ret;

	if (c->max_size < sizeof(struct fdt_header))
		return dt_fail(c, -1, "DTB: %zu bytes, smaller than its header", c->max_size);
	ret = fdt_check_header(c->fdt);
	if (ret)
		return dt_fail(c, -1, "DTB: bad header (%s)", fdt_strerror(ret));
	if (fdt_totalsize(c->fdt) > c->max_size)
		return dt_fail(c, -1, "DTB: totalsize %u exceeds the %zu bytes available",
			    fdt_totalsize(c->fdt), c->max_size);
	ret = fdt_check_full(c->fdt, c->max_size);
	if (ret)
		return dt_fail(c, -1, "DTB: malformed (%s)", fdt_strerror(ret));
	return 0;
}

/* [DT] 3.2: the root's 'model'. */
static int read_model(struct fdt_ctx *c)
{
	const char *m;
	int ret = dt_prop_str(c, 0, "model", &m);

	if (ret == -E_NOENT)
		return 0;
	if (!ret)
		fmt_snprintf(c->p->model, sizeof(c->p->model), "%s", m);
	return ret;
}

/* ---- memory ---- */

/* [DT] 3.4: every node with device_type "memory" lists RAM in its 'reg'. */
static int read_memory(struct fdt_ctx *c)
{
	struct platform *p = c->p;
	int node = -1;

	for (;;) {
		int ret;

		node = fdt_node_offset_by_prop_value(c->fdt, node, "device_type", "memory",
						     sizeof("memory"));
		if (node < 0)
			break;
		if (!dt_node_enabled(c->fdt, node))
			continue;
		ret = dt_reg_append(c, node, p->mem, &p->n_mem, PLAT_MAX_MEM, false);
		if (ret < 0)
			return ret;
		if (ret > 0) {
			dt_warn(c, node, "more than %u memory ranges: the rest is not used",
			     PLAT_MAX_MEM);
			break;
		}
	}
	if (p->n_mem == 0)
		return dt_fail(c, -1, "no memory: no enabled node with device_type \"memory\"");
	return 0;
}

/* [DT] 5.3: the memory reservation block (/memreserve/ in source). */
static int read_memreserve(struct fdt_ctx *c)
{
	struct platform *p = c->p;
	int n = fdt_num_mem_rsv(c->fdt);

	for (int i = 0; i < n; i++) {
		u64 base, size;

		if (fdt_get_mem_rsv(c->fdt, i, &base, &size) != 0 || size == 0)
			continue;
		if (base + (size - 1) < base)
			return dt_fail(c, -1, "/memreserve/ entry %d wraps around the address space", i);
		if (p->n_resv == PLAT_MAX_RESV)
			return dt_fail(c, -1, "more than %u reserved ranges", PLAT_MAX_RESV);
		p->resv[p->n_resv++] = (struct mem_range){ pa(base), size };
	}
	return 0;
}

/*
 * [RESV]: /reserved-memory children with a 'reg' are fixed carve-outs (firmware, TEE). Those
 * with only 'size' are allocated by the OS from ordinary memory, so there is nothing to keep.
 */
static int read_reserved(struct fdt_ctx *c)
{
	int node, child;
	int ret = read_memreserve(c);

	node = fdt_path_offset(c->fdt, "/reserved-memory");
	if (ret || node < 0)
		return ret;
	fdt_for_each_subnode(child, c->fdt, node) {
		if (!dt_node_enabled(c->fdt, child))
			continue;
		if (!fdt_getprop(c->fdt, child, "reg", NULL)) {
			dt_warn(c, child, "no 'reg' (dynamic allocation), skipped");
			continue;
		}
		ret = dt_reg_append(c, child, c->p->resv, &c->p->n_resv, PLAT_MAX_RESV, true);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- CPUs and PSCI ---- */

/* [CPUS]: /cpus has #address-cells 1 or 2 and #size-cells 0. */
static int cpus_cells(struct fdt_ctx *c, int cpus, u32 *ac)
{
	u32 sc = 1;
	int ret;

	*ac = 2;
	ret = dt_prop_u32(c, cpus, "#address-cells", ac);
	if (!ret)
		ret = dt_prop_u32(c, cpus, "#size-cells", &sc);
	if (ret)
		return ret;
	if (*ac < 1 || *ac > 2)
		return dt_fail(c, cpus, "'#address-cells' is %u, expected 1 or 2", *ac);
	if (sc != 0)
		return dt_fail(c, cpus, "'#size-cells' is %u, expected 0", sc);
	return 0;
}

/*
 * [CPUS] reg: with 1 cell, MPIDR_EL1[23:0]; with 2, MPIDR_EL1[39:32] then [23:0]. Other bits
 * must be zero.
 */
static int read_mpidr(struct fdt_ctx *c, int cpu, u32 ac, u64 *mpidr)
{
	const fdt32_t *v;
	u32 n, hi = 0, lo;
	int ret = dt_prop_cells(c, cpu, "reg", ac, &v, &n);

	if (ret == -E_NOENT)
		return dt_fail(c, cpu, "missing 'reg'");
	if (ret)
		return ret;
	if (n != 1)
		return dt_fail(c, cpu, "'reg' has %u entries, expected 1", n);
	if (ac == 2)
		hi = fdt32_ld(v++);
	lo = fdt32_ld(v);
	if ((hi & ~GENMASK(7, 0)) || (lo & ~GENMASK(23, 0)))
		return dt_fail(c, cpu, "'reg' has bits outside the MPIDR_EL1 affinity fields");
	*mpidr = ((u64)hi << 32) | lo;
	return 0;
}

static bool is_cpu_node(const void *fdt, int node)
{
	int len;
	const char *t = fdt_getprop(fdt, node, "device_type", &len);

	return t && len == sizeof("cpu") && memcmp(t, "cpu", sizeof("cpu")) == 0;
}

static int add_cpu(struct fdt_ctx *c, int cpu, u64 mpidr, unsigned *found)
{
	struct platform *p = c->p;

	for (unsigned i = 0; i < p->n_cpus; i++)
		if (p->cpu_mpidr[i] == mpidr)
			return dt_fail(c, cpu, "MPIDR 0x%llx is also CPU %u's",
				    (unsigned long long)mpidr, i);
	if (p->n_cpus < MAX_CPUS)
		p->cpu_mpidr[p->n_cpus++] = mpidr;
	(*found)++;
	return 0;
}

/* [DT] 3.7, 3.8: the /cpus children with device_type "cpu", in tree order. */
static int read_cpus(struct fdt_ctx *c)
{
	int cpus = fdt_path_offset(c->fdt, "/cpus");
	unsigned found = 0;
	int cpu, ret;
	u32 ac;

	if (cpus < 0)
		return dt_fail(c, -1, "no /cpus node");
	ret = cpus_cells(c, cpus, &ac);
	if (ret)
		return ret;
	fdt_for_each_subnode(cpu, c->fdt, cpus) {
		u64 mpidr = 0;

		if (!is_cpu_node(c->fdt, cpu))
			continue;
		ret = read_mpidr(c, cpu, ac, &mpidr);
		if (!ret)
			ret = add_cpu(c, cpu, mpidr, &found);
		if (ret)
			return ret;
	}
	if (found == 0)
		return dt_fail(c, cpus, "no node with device_type \"cpu\"");
	if (found > MAX_CPUS)
		dt_warn(c, cpus, "%u CPUs: only the first %u are used", found, MAX_CPUS);
	return 0;
}

/* The PSCI node: 0.2 and later use the standard function IDs. */
static int find_psci(struct fdt_ctx *c)
{
	int node = dt_find_compatible(c->fdt, -1, "arm,psci-1.0");

	if (node < 0)
		node = dt_find_compatible(c->fdt, -1, "arm,psci-0.2");
	return node;
}

/* [PSCI]: 'method' "smc" or "hvc" is how to call the firmware. */
static int read_psci(struct fdt_ctx *c)
{
	const char *m;
	int node = find_psci(c);
	int ret;

	c->p->psci = PSCI_NONE;
	if (node < 0 && dt_find_compatible(c->fdt, -1, "arm,psci") >= 0)
		dt_warn(c, -1, "PSCI 0.1 only (firmware-specific function IDs): not used");
	else if (node < 0 && c->p->n_cpus > 1)
		dt_warn(c, -1, "no PSCI: secondary CPUs cannot be started");
	if (node < 0)
		return 0;
	ret = dt_prop_str(c, node, "method", &m);
	if (ret == -E_NOENT)
		return dt_fail(c, node, "missing 'method'");
	if (ret)
		return ret;
	if (strcmp(m, "smc") == 0)
		c->p->psci = PSCI_SMC;
	else if (strcmp(m, "hvc") == 0)
		c->p->psci = PSCI_HVC;
	else
		return dt_fail(c, node, "'method' is \"%s\", expected \"smc\" or \"hvc\"", m);
	return 0;
}

/* ---- UART ---- */

/*
 * [DT] 3.3: a path that does not start with '/' starts with an alias. libfdt reads the
 * alias's value as a C string, so first check that it is one.
 */
static int check_alias(struct fdt_ctx *c, const char *path, int len)
{
	const char *slash = memchr(path, '/', (size_t)len);
	int aliases = fdt_path_offset(c->fdt, "/aliases");
	const char *v;
	int vlen;

	if (len == 0 || path[0] == '/' || aliases < 0)
		return 0;
	len = slash ? (int)(slash - path) : len;
	v = fdt_getprop_namelen(c->fdt, aliases, path, len, &vlen);
	if (v && (vlen < 1 || strnlen(v, (size_t)vlen) == (size_t)vlen))
		return dt_fail(c, aliases, "'%.*s' is not a NUL-terminated string", len, path);
	return 0;
}

/*
 * [DT] 3.6: /chosen 'stdout-path' (older: 'linux,stdout-path') is a path or an alias, and
 * may be followed by ":options". *node = -1 when there is none.
 */
static int stdout_node(struct fdt_ctx *c, int *node)
{
	int chosen = fdt_path_offset(c->fdt, "/chosen");
	const char *path, *colon;
	int len, ret = -E_NOENT;

	*node = -1;
	if (chosen >= 0)
		ret = dt_prop_str(c, chosen, "stdout-path", &path);
	if (ret == -E_NOENT && chosen >= 0)
		ret = dt_prop_str(c, chosen, "linux,stdout-path", &path);
	if (ret)
		return ret == -E_NOENT ? 0 : ret;
	colon = strchr(path, ':');
	len = colon ? (int)(colon - path) : (int)strlen(path);
	ret = check_alias(c, path, len);
	if (ret)
		return ret;
	*node = fdt_path_offset_namelen(c->fdt, path, len);
	if (*node < 0)
		return dt_fail(c, chosen, "'stdout-path' \"%s\" names no node", path);
	if (!dt_node_enabled(c->fdt, *node))
		return dt_fail(c, chosen, "'stdout-path' \"%s\" names a disabled node", path);
	return 0;
}

/* [8250] reg-shift (0..2, default 0) and reg-io-width (1, 2 or 4, default 4). */
static int uart_access(struct fdt_ctx *c, int node, struct plat_uart *u)
{
	int ret;

	u->reg_shift = 0;
	u->reg_io_width = 4;
	ret = dt_prop_u32(c, node, "reg-shift", &u->reg_shift);
	if (!ret)
		ret = dt_prop_u32(c, node, "reg-io-width", &u->reg_io_width);
	if (ret)
		return ret;
	if (u->reg_shift > 2)
		return dt_fail(c, node, "'reg-shift' is %u, expected 0..2", u->reg_shift);
	if (u->reg_io_width != 1 && u->reg_io_width != 2 && u->reg_io_width != 4)
		return dt_fail(c, node, "'reg-io-width' is %u, expected 1, 2 or 4", u->reg_io_width);
	return 0;
}

/*
 * [DT] 2.3.1 compatible: every string that fits whole into u->compatible, each followed by
 * its NUL, then an empty string (the buffer starts zeroed). A first string too long is cut
 * short; it then matches no driver, which says so.
 */
static int uart_compatible(struct fdt_ctx *c, int node, struct plat_uart *u)
{
	size_t used = 0;
	int n = fdt_stringlist_count(c->fdt, node, "compatible");

	if (n <= 0 || !fdt_stringlist_get(c->fdt, node, "compatible", 0, NULL))
		return dt_fail(c, node, "no valid 'compatible'");
	for (int i = 0; i < n; i++) {
		const char *s = fdt_stringlist_get(c->fdt, node, "compatible", i, NULL);
		size_t len = s ? strnlen(s, PLAT_UART_COMPAT_LEN) + 1 : 0;

		if (!s)
			break;
		if (used + len + 1 > sizeof(u->compatible)) {
			if (i == 0)
				fmt_snprintf(u->compatible, sizeof(u->compatible) - 1, "%s", s);
			break;
		}
		memcpy(u->compatible + used, s, len);
		used += len;
	}
	return 0;
}

/*
 * The console's interrupt is only needed for input: one that goes to another interrupt
 * controller than the GICv3 (HiSilicon's MSI-based mbigen...) is a warning, irq 0.
 */
static int uart_irq(struct fdt_ctx *c, int node, struct plat_uart *u)
{
	struct irq_list l;
	int foreign;
	int ret = dt_irq_open_optional(c, node, &l, &foreign);

	if (!ret && foreign >= 0)
		dt_warn(c, node, "interrupt goes to %s, not the GICv3: no console input",
			fdt_get_name(c->fdt, foreign, NULL));
	if (!ret && l.n > 0)
		ret = dt_irq_get(c, &l, 0, &u->irq);
	return ret;
}

static int uart_fill(struct fdt_ctx *c, int node)
{
	struct plat_uart *u = &c->p->uart;
	int ret = uart_compatible(c, node, u);

	if (!ret)
		ret = dt_reg_first(c, node, &u->base, &u->size);
	if (!ret)
		ret = uart_irq(c, node, u);
	if (!ret)
		ret = uart_access(c, node, u);
	return ret;
}

static int read_uart(struct fdt_ctx *c)
{
	int node;
	int ret = stdout_node(c, &node);

	if (ret)
		return ret;
	if (node < 0) {
		node = dt_find_compatible(c->fdt, -1, "arm,pl011");
		if (node < 0)
			return dt_fail(c, -1, "no UART: no /chosen 'stdout-path' and no arm,pl011");
		dt_warn(c, node, "no /chosen 'stdout-path': using this arm,pl011");
	}
	return uart_fill(c, node);
}

/* ---- entry ---- */

int platform_discover(const void *fdt, size_t max_size, struct platform *p, char *err,
		      size_t err_len)
{
	/* In this order: interrupts need the GIC, and the PSCI warning the CPU count. */
	static int (*const steps[])(struct fdt_ctx *) = {
		check_blob, read_model, read_memory, read_reserved, read_cpus, read_psci,
		read_gic, read_timer, read_uart, read_smmu, read_pci,
	};
	struct fdt_ctx c = { .fdt = fdt, .max_size = max_size, .p = p, .err = err,
			     .err_len = err_len, .gic = -1 };

	memset(p, 0, sizeof(*p));
	if (err_len)
		err[0] = '\0';
	for (unsigned i = 0; i < ARRAY_SIZE(steps); i++) {
		int ret = steps[i](&c);

		if (ret)
			return ret;
	}
	return 0;
}

static struct platform machine;

struct platform *platform_machine(void) { return &machine; }
const struct platform *platform(void) { return &machine; }
