/*
 * BAR and bridge-window layout (see pci_internal.h). Sources, cited by tag below:
 *   [PCI]  PCI Local Bus Specification 3.0, 6.2.5.1 (BARs)
 *   [P2P]  PCI-to-PCI Bridge Architecture Specification 1.2, 3.2.5.6-10 (bridge windows)
 *   [BIND] Linux Documentation/devicetree/bindings/pci/pci.txt (the host's 'ranges')
 *
 * Everything that needs address space on one bus is an item: a BAR, or the window of a
 * bridge on that bus. Each has a kind, and each bus maps kinds to regions: on the root bus
 * the host bridge's windows, behind a bridge that bridge's three windows:
 *   kind   what                        root bus                    behind a bridge
 *   IO     I/O BAR, I/O window         the I/O window              its I/O window
 *   MEM    32-bit BAR, memory window   the 32-bit memory window    its memory window
 *   MEM64  64-bit BAR                  the 64-bit window if it is  its memory window (the
 *                                      not prefetchable, else MEM  only non-prefetchable one)
 *   PREF   64-bit prefetchable BAR,    the 64-bit window, else a   its prefetchable window
 *          prefetchable window         prefetchable 32-bit one,    if 64-bit, else its
 *                                      else MEM                    memory window
 * A 32-bit prefetchable BAR is a MEM item: a prefetchable BAR may always sit in
 * non-prefetchable space. Items are naturally aligned (the size of a BAR is a power of two)
 * and laid out largest alignment first, which leaves no gap between them. Every BAR takes
 * at least a page, so that no two devices share a page a VM could be given.
 *
 * Bridge windows are sized bottom-up (a bridge is recorded before what is behind it, so in
 * reverse order every bridge below comes first), then everything is placed top-down.
 */
#include "core/lib/fmt.h"
#include "core/log/log.h"
#include "drivers/pci/pci_internal.h"
#include "drivers/pci/pci_regs.h"

/* [BIND] phys.hi space code of a 'ranges' entry */
#define SPACE_IO 1
#define SPACE_MEM32 2
#define SPACE_MEM64 3

/* I/O addresses handed out: 16-bit ones (every bridge decodes them), from 0x1000 up so
 * that the legacy ISA ports stay free (as Linux's PCIBIOS_MIN_IO on arm64). */
#define PCI_IO_FIRST 0x1000
#define PCI_IO_LAST 0xffff
#define PCI_MEM32_LAST 0xffffffffULL

#define NUM_ITEMS (PCI_NUM_BARS + PCI_NUM_WIN) /* item j: BAR j, then window j - 6 */
#define MAX_REGIONS MAX(PLAT_MAX_PCI_RANGES, PCI_NUM_WIN)

enum pci_kind { KIND_IO, KIND_MEM, KIND_MEM64, KIND_PREF, NUM_KINDS };

struct item {
	u64 size, align;
	enum pci_kind kind;
};

/* PCI bus addresses [base, limit] */
struct region {
	u64 base, limit;
	bool valid;
};

/* Where the items of one bus go. */
struct layout {
	const struct pci_dev *parent; /* the bridge above the bus, NULL for the root bus */
	struct region r[MAX_REGIONS];
	int of_kind[NUM_KINDS]; /* index into r, -1: nowhere */
};

static const u64 win_granule[PCI_NUM_WIN] = { PCI_IO_GRANULE, PCI_MEM_GRANULE, PCI_MEM_GRANULE };
static const enum pci_kind win_kind[PCI_NUM_WIN] = { KIND_IO, KIND_MEM, KIND_PREF };
static const char *const win_name[PCI_NUM_WIN] = { "I/O", "memory", "prefetchable" };

static bool is_bridge(const struct pci_dev *d)
{
	return FIELD_GET(PCI_HEADER_TYPE_LAYOUT, d->header_type) == PCI_HEADER_TYPE_BRIDGE;
}

static enum pci_kind bar_kind(u32 flags)
{
	if (flags & PCI_BAR_F_IO)
		return KIND_IO;
	if (!(flags & PCI_BAR_F_64))
		return KIND_MEM;
	return flags & PCI_BAR_F_PREFETCH ? KIND_PREF : KIND_MEM64;
}

/* Item j of d, if it needs space. */
static bool item_of(const struct pci_dev *d, unsigned j, struct item *it)
{
	const struct pci_window *w;

	if (j < PCI_NUM_BARS) {
		if (!d->bar[j].size)
			return false;
		it->size = MAX(d->bar[j].size, PAGE_SIZE);
		it->align = it->size;
		it->kind = bar_kind(d->bar[j].flags);
		return true;
	}
	w = &d->win[j - PCI_NUM_BARS];
	it->size = w->size;
	it->align = w->align;
	it->kind = win_kind[j - PCI_NUM_BARS];
	return w->size != 0;
}

/* Item j of d, if d is on l's bus and the item goes to region r. */
static bool item_in(const struct layout *l, const struct pci_dev *d, unsigned j, int r,
		    struct item *it)
{
	return d->parent == l->parent && item_of(d, j, it) && l->of_kind[it->kind] == r;
}

/* ---- the regions of a bus ---- */

bool pci_bus_to_pa(bool io, u64 bus, pa_t *out)
{
	const struct plat_pci *h = pci_state.host;

	for (unsigned i = 0; i < h->n_ranges; i++) {
		const struct plat_pci_range *rg = &h->ranges[i];

		if ((rg->space == SPACE_IO) != io || bus < rg->pci_addr || bus - rg->pci_addr >= rg->size)
			continue;
		*out = pa_add(rg->cpu_addr, bus - rg->pci_addr);
		return true;
	}
	return false;
}

/* The first host window in space that is (pref 1) or is not (0) prefetchable, or either (-1). */
static int host_window(u32 space, int pref)
{
	const struct plat_pci *h = pci_state.host;

	for (unsigned i = 0; i < h->n_ranges; i++)
		if (h->ranges[i].space == space && (pref < 0 || h->ranges[i].prefetchable == pref))
			return (int)i;
	return -1;
}

/* Host window i as a region, cut to the addresses its space can use here. */
static struct region host_region(unsigned i)
{
	const struct plat_pci_range *rg = &pci_state.host->ranges[i];
	u64 first = rg->space == SPACE_IO ? PCI_IO_FIRST : 0;
	u64 last = rg->space == SPACE_IO ? PCI_IO_LAST
		   : rg->space == SPACE_MEM32 ? PCI_MEM32_LAST : ~0ULL;
	u64 end = rg->pci_addr + (rg->size - 1);
	struct region r = { MAX(rg->pci_addr, first), MIN(end, last), false };

	r.valid = rg->size && end >= rg->pci_addr && r.base <= r.limit;
	return r;
}

static void root_layout(struct layout *l)
{
	const struct plat_pci *h = pci_state.host;
	int mem = host_window(SPACE_MEM32, 0), w64 = host_window(SPACE_MEM64, -1);
	int pref32 = host_window(SPACE_MEM32, 1);

	*l = (struct layout){ .parent = NULL };
	for (unsigned i = 0; i < h->n_ranges; i++)
		l->r[i] = host_region(i);
	l->of_kind[KIND_IO] = host_window(SPACE_IO, -1);
	l->of_kind[KIND_MEM] = mem;
	l->of_kind[KIND_MEM64] = w64 >= 0 && !h->ranges[w64].prefetchable ? w64 : mem;
	l->of_kind[KIND_PREF] = w64 >= 0 ? w64 : pref32 >= 0 ? pref32 : mem;
}

static void bridge_layout(struct layout *l, const struct pci_dev *b)
{
	const struct pci_window *pref = &b->win[PCI_WIN_PREF];

	*l = (struct layout){ .parent = b };
	for (unsigned w = 0; w < PCI_NUM_WIN; w++)
		l->r[w] = (struct region){ b->win[w].base, b->win[w].base + (b->win[w].size - 1),
					   b->win[w].assigned };
	l->of_kind[KIND_IO] = b->win[PCI_WIN_IO].present ? PCI_WIN_IO : -1;
	l->of_kind[KIND_MEM] = PCI_WIN_MEM;
	l->of_kind[KIND_MEM64] = PCI_WIN_MEM;
	l->of_kind[KIND_PREF] = pref->present && b->pref64 ? PCI_WIN_PREF : PCI_WIN_MEM;
}

/* ---- placing ---- */

/* "the host bridge" or "bridge bb:dd.f" */
static void where(const struct layout *l, char *buf, size_t len)
{
	if (l->parent)
		fmt_snprintf(buf, len, "bridge " PCI_BDF_FMT, PCI_BDF_ARGS(l->parent->bdf));
	else
		fmt_snprintf(buf, len, "the host bridge");
}

/* Item j (it) of d got no address (fit false: there is no region of its kind at all). */
static void item_fail(const struct layout *l, struct pci_dev *d, unsigned j,
		      const struct item *it, bool fit)
{
	const char *result = "device not usable";
	char what[24], at[24];

	where(l, at, sizeof(at));
	if (j >= PCI_NUM_BARS) {
		d->win[j - PCI_NUM_BARS].assigned = false;
		fmt_snprintf(what, sizeof(what), "%s window", win_name[j - PCI_NUM_BARS]);
		result = "nothing behind it is used";
	} else if (d->bar[j].flags & PCI_BAR_F_IO) {
		fmt_snprintf(what, sizeof(what), "I/O BAR%u", j);
		result = "its I/O decoding stays off";
	} else {
		fmt_snprintf(what, sizeof(what), "BAR%u", j);
		d->usable = false;
	}
	log_warn("PCI " PCI_BDF_FMT ": %s (0x%lx bytes) %s %s: %s\n", PCI_BDF_ARGS(d->bdf), what,
		 (unsigned long)(j < PCI_NUM_BARS ? d->bar[j].size : it->size),
		 fit ? "does not fit in the windows of" : "has no window of its kind at", at, result);
}

/* Item j of d is at bus address 'at'. */
static void item_set(struct pci_dev *d, unsigned j, u64 at)
{
	struct pci_bar *b;

	if (j >= PCI_NUM_BARS) {
		d->win[j - PCI_NUM_BARS].base = at;
		d->win[j - PCI_NUM_BARS].assigned = true;
		return;
	}
	b = &d->bar[j];
	/* at lies in a host window of the BAR's space, so this always finds it */
	pci_bus_to_pa(b->flags & PCI_BAR_F_IO, at, &b->pa);
	b->flags |= PCI_BAR_F_ASSIGNED;
	pci_raw_write(d->bdf, PCI_BAR(j), 4, (u32)at);
	if (b->flags & PCI_BAR_F_64)
		pci_raw_write(d->bdf, PCI_BAR(j + 1), 4, (u32)(at >> 32));
}

/* The largest alignment below 'below' (0: no bound) of the items going to region r; 0: none. */
static u64 next_align(const struct layout *l, int r, u64 below)
{
	u64 best = 0;
	struct item it;

	for (unsigned i = 0; i < pci_state.n_devs; i++)
		for (unsigned j = 0; j < NUM_ITEMS; j++)
			if (item_in(l, &pci_state.devs[i], j, r, &it) && (!below || it.align < below))
				best = MAX(best, it.align);
	return best;
}

/* Whether size bytes at 'at' (at least cur) end by limit, without the cursor wrapping. */
static bool fits(u64 cur, u64 at, u64 size, u64 limit)
{
	return at >= cur && at <= limit && size - 1 <= limit - at && at + size != 0;
}

/*
 * Lay out the items going to region r from base, largest alignment first. With assign,
 * give each an address within the region (those that do not fit fail); without, only
 * measure. Returns the end of what was laid out.
 */
static u64 pack(const struct layout *l, int r, u64 base, bool assign)
{
	const struct region *rg = &l->r[r];
	u64 cur = base, limit = assign ? rg->limit : ~0ULL;
	struct item it;

	for (u64 a = next_align(l, r, 0); a; a = next_align(l, r, a)) {
		for (unsigned i = 0; i < pci_state.n_devs; i++) {
			struct pci_dev *d = &pci_state.devs[i];

			for (unsigned j = 0; j < NUM_ITEMS; j++) {
				u64 at = ALIGN_UP(cur, a);

				if (!item_in(l, d, j, r, &it) || it.align != a)
					continue;
				if ((assign && !rg->valid) || !fits(cur, at, it.size, limit)) {
					if (assign)
						item_fail(l, d, j, &it, true);
					continue;
				}
				if (assign)
					item_set(d, j, at);
				cur = at + it.size;
			}
		}
	}
	return cur;
}

/* Give everything on l's bus an address, or fail it. */
static void place(const struct layout *l)
{
	struct item it;

	for (int r = 0; r < (int)MAX_REGIONS; r++)
		pack(l, r, l->r[r].base, true);
	for (unsigned i = 0; i < pci_state.n_devs; i++)
		for (unsigned j = 0; j < NUM_ITEMS; j++)
			if (item_in(l, &pci_state.devs[i], j, -1, &it))
				item_fail(l, &pci_state.devs[i], j, &it, false);
}

/* [P2P] 3.2.5.6-10: each window covers what is behind it, in its granule (4 KiB for I/O,
 * 1 MiB for memory), aligned for the largest alignment inside. */
static void size_windows(struct pci_dev *b)
{
	struct layout l;

	bridge_layout(&l, b);
	for (int w = 0; w < PCI_NUM_WIN; w++) {
		u64 end = pack(&l, w, 0, false), g = win_granule[w];

		b->win[w].size = end > ~0ULL - g ? 0 : ALIGN_UP(end, g);
		b->win[w].align = MAX(g, next_align(&l, w, 0));
	}
}

/* ---- programming ---- */

/* [P2P] 3.2.5.6-10: a window's first and last address; a closed one has base above limit. */
static void window_bounds(const struct pci_window *w, u64 granule, u64 *base, u64 *last)
{
	*base = w->assigned ? w->base : granule;
	*last = w->assigned ? w->base + (w->size - 1) : 0;
}

static void write_windows(const struct pci_dev *b)
{
	u16 bdf = b->bdf;
	u64 base, last;

	window_bounds(&b->win[PCI_WIN_IO], PCI_IO_GRANULE, &base, &last);
	pci_raw_write(bdf, PCI_IO_BASE, 1, FIELD_PREP(PCI_IO_ADDR, base >> PCI_IO_ADDR_SHIFT));
	pci_raw_write(bdf, PCI_IO_LIMIT, 1, FIELD_PREP(PCI_IO_ADDR, last >> PCI_IO_ADDR_SHIFT));
	pci_raw_write(bdf, PCI_IO_BASE_UPPER16, 4, 0);
	window_bounds(&b->win[PCI_WIN_MEM], PCI_MEM_GRANULE, &base, &last);
	pci_raw_write(bdf, PCI_MEMORY_BASE, 2, FIELD_PREP(PCI_MEM_ADDR, base >> PCI_MEM_ADDR_SHIFT));
	pci_raw_write(bdf, PCI_MEMORY_LIMIT, 2, FIELD_PREP(PCI_MEM_ADDR, last >> PCI_MEM_ADDR_SHIFT));
	window_bounds(&b->win[PCI_WIN_PREF], PCI_MEM_GRANULE, &base, &last);
	pci_raw_write(bdf, PCI_PREF_MEMORY_BASE, 2,
		      FIELD_PREP(PCI_MEM_ADDR, base >> PCI_MEM_ADDR_SHIFT));
	pci_raw_write(bdf, PCI_PREF_MEMORY_LIMIT, 2,
		      FIELD_PREP(PCI_MEM_ADDR, last >> PCI_MEM_ADDR_SHIFT));
	pci_raw_write(bdf, PCI_PREF_BASE_UPPER32, 4, (u32)(base >> 32));
	pci_raw_write(bdf, PCI_PREF_LIMIT_UPPER32, 4, (u32)(last >> 32));
}

/* [PCI] 6.2.2: Memory Space on for a usable function, I/O Space when it has I/O addresses;
 * Bus Master stays off and Interrupt Disable as it was. */
static void enable(const struct pci_dev *d)
{
	u16 set = PCI_COMMAND_MEMORY;

	if (!d->usable)
		return;
	if (d->win[PCI_WIN_IO].assigned)
		set |= PCI_COMMAND_IO;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if ((d->bar[i].flags & PCI_BAR_F_IO) && (d->bar[i].flags & PCI_BAR_F_ASSIGNED))
			set |= PCI_COMMAND_IO;
	pci_raw_write(d->bdf, PCI_COMMAND, 2, pci_raw_read(d->bdf, PCI_COMMAND, 2) | set);
}

void pci_assign(void)
{
	struct pci_dev *devs = pci_state.devs;
	struct layout l;

	for (unsigned i = pci_state.n_devs; i-- > 0;)
		if (is_bridge(&devs[i]))
			size_windows(&devs[i]);
	root_layout(&l);
	place(&l);
	for (unsigned i = 0; i < pci_state.n_devs; i++) {
		if (!is_bridge(&devs[i]))
			continue;
		bridge_layout(&l, &devs[i]);
		place(&l);
		write_windows(&devs[i]);
	}
	for (unsigned i = 0; i < pci_state.n_devs; i++)
		enable(&devs[i]);
}
