/*
 * The bus walk (see pci_internal.h): every function from the host's first bus, depth-first
 * through PCI-to-PCI bridges, which get bus numbers on the way. Each function found has
 * I/O, memory and bus-master decoding turned off before its BARs are sized, so nothing it
 * does reaches memory until pci_set_bus_master(). Sources, cited by tag below:
 *   [PCI] PCI Local Bus Specification 3.0
 *   [P2P] PCI-to-PCI Bridge Architecture Specification 1.2
 *   [PCIE] PCI Express Base Specification 4.0
 */
#include "core/log/log.h"
#include "drivers/pci/pci_internal.h"
#include "drivers/pci/pci_regs.h"

#define PCI_DEVS_PER_BUS 32
#define PCI_FNS_PER_DEV 8
/* Bridges nested deeper than this are not scanned: the walk recurses on a 16 KiB stack. */
#define PCI_MAX_DEPTH 16

static u32 next_bus;

static void scan_bus(u32 bus, struct pci_dev *parent, unsigned depth);

/* [PCI] 6.2.2: no I/O or memory decoding, no bus mastering; the rest of Command kept. */
static void disable_fn(u16 bdf)
{
	u16 cmd = (u16)pci_raw_read(bdf, PCI_COMMAND, 2);
	u16 off = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	pci_raw_write(bdf, PCI_COMMAND, 2, cmd & ~off);
}

/* [PCI] 6.2.5.1: write all ones, read what sticks, put the old value back. */
static u32 probe(u16 bdf, unsigned off)
{
	u32 old = pci_raw_read(bdf, off, 4), v;

	pci_raw_write(bdf, off, 4, ~0U);
	v = pci_raw_read(bdf, off, 4);
	pci_raw_write(bdf, off, 4, old);
	return v;
}

/*
 * [PCI] 6.2.5.1: size BAR i of n; the lowest address bit that sticks is the size. A 64-bit
 * BAR takes the next slot for its upper half. Returns the slots used.
 */
static unsigned size_bar(struct pci_dev *d, unsigned i, unsigned n)
{
	u32 type = pci_raw_read(d->bdf, PCI_BAR(i), 4), lo = probe(d->bdf, PCI_BAR(i));
	struct pci_bar *b = &d->bar[i];
	u64 mask;

	if (type & PCI_BAR_IO) {
		mask = lo & PCI_BAR_IO_ADDR;
		b->flags = PCI_BAR_F_IO;
	} else {
		mask = lo & PCI_BAR_MEM_ADDR;
		b->flags = type & PCI_BAR_MEM_PREFETCH ? PCI_BAR_F_PREFETCH : 0;
	}
	if (!(type & PCI_BAR_IO) && FIELD_GET(PCI_BAR_MEM_TYPE, type) == PCI_BAR_MEM_TYPE_64) {
		if (i + 1 == n) {
			log_warn("PCI " PCI_BDF_FMT ": BAR%u is 64-bit but has no upper half: ignored\n",
				 PCI_BDF_ARGS(d->bdf), i);
			b->flags = 0;
			return 1;
		}
		mask |= (u64)probe(d->bdf, PCI_BAR(i + 1)) << 32;
		b->flags |= PCI_BAR_F_64;
	}
	b->size = mask & (~mask + 1);
	if (!b->size)
		b->flags &= PCI_BAR_F_64; /* not implemented, but its slots are used */
	return b->flags & PCI_BAR_F_64 ? 2 : 1;
}

static void size_bars(struct pci_dev *d)
{
	u32 layout = (u32)FIELD_GET(PCI_HEADER_TYPE_LAYOUT, d->header_type);
	unsigned n = layout == PCI_HEADER_TYPE_NORMAL   ? PCI_NUM_BARS_NORMAL
		     : layout == PCI_HEADER_TYPE_BRIDGE ? PCI_NUM_BARS_BRIDGE
							: 0;

	for (unsigned i = 0; i < n;)
		i += size_bar(d, i, n);
}

/* [PCI] 6.2.4 Interrupt Pin: 0 none, 1..4 INTA#..INTD#. */
static void read_pin(struct pci_dev *d)
{
	u32 pin = pci_raw_read(d->bdf, PCI_INTERRUPT_PIN, 1);

	if (pin > PCI_INTERRUPT_PIN_MAX) {
		log_warn("PCI " PCI_BDF_FMT ": interrupt pin %u is not 0..4: INTx not used\n",
			 PCI_BDF_ARGS(d->bdf), pin);
		pin = 0;
	}
	d->pin = (u8)pin;
}

/* A function found: a new record, or NULL (with a warning naming it) when the table is full. */
static struct pci_dev *record(u16 bdf, struct pci_dev *parent)
{
	struct pci_dev *d;

	if (pci_state.n_devs == PCI_MAX_DEVS) {
		log_warn("PCI " PCI_BDF_FMT ": more than %u functions: left disabled\n",
			 PCI_BDF_ARGS(bdf), PCI_MAX_DEVS);
		return NULL;
	}
	d = &pci_state.devs[pci_state.n_devs++];
	d->bdf = bdf;
	d->parent = parent;
	d->vendor = (u16)pci_raw_read(bdf, PCI_VENDOR_ID, 2);
	d->device = (u16)pci_raw_read(bdf, PCI_DEVICE_ID, 2);
	d->class = (u32)FIELD_GET(PCI_CLASS_REVISION_CLASS, pci_raw_read(bdf, PCI_CLASS_REVISION, 4));
	d->header_type = (u8)pci_raw_read(bdf, PCI_HEADER_TYPE, 1);
	d->usable = true;
	return d;
}

static void set_buses(u16 bdf, u32 primary, u32 secondary, u32 subordinate)
{
	pci_raw_write(bdf, PCI_PRIMARY_BUS, 1, primary);
	pci_raw_write(bdf, PCI_SECONDARY_BUS, 1, secondary);
	pci_raw_write(bdf, PCI_SUBORDINATE_BUS, 1, subordinate);
}

/*
 * [P2P] 3.2.5.6 and 3.2.5.9: the I/O and prefetchable windows are optional; one that is
 * not implemented reads as zero whatever is written. Every window is left closed (base
 * above limit) until pci_assign() opens it.
 */
static void probe_windows(struct pci_dev *b)
{
	u16 bdf = b->bdf;
	u32 io, pref;

	pci_raw_write(bdf, PCI_IO_BASE, 2, 0xf0f0);
	io = pci_raw_read(bdf, PCI_IO_BASE, 2);
	pci_raw_write(bdf, PCI_PREF_MEMORY_BASE, 4, 0xfff0fff0);
	pref = pci_raw_read(bdf, PCI_PREF_MEMORY_BASE, 4);
	b->win[PCI_WIN_IO].present = io != 0;
	b->win[PCI_WIN_MEM].present = true;
	b->win[PCI_WIN_PREF].present = pref != 0;
	b->pref64 = FIELD_GET(PCI_PREF_RANGE_TYPE, pref) == PCI_PREF_RANGE_TYPE_64;
	pci_raw_write(bdf, PCI_IO_BASE, 2, 0x00f0);
	pci_raw_write(bdf, PCI_MEMORY_BASE, 4, 0x0000fff0);
	pci_raw_write(bdf, PCI_PREF_MEMORY_BASE, 4, 0x0000fff0);
}

/* Whether the buses behind bridge b (at depth) can be walked; if not, says why. */
static bool can_scan(const struct pci_dev *b, unsigned depth)
{
	if (depth == PCI_MAX_DEPTH)
		log_warn("PCI " PCI_BDF_FMT ": bridge nested deeper than %u: nothing behind it is "
			 "used\n", PCI_BDF_ARGS(b->bdf), PCI_MAX_DEPTH);
	else if (next_bus > pci_state.host->bus_end)
		log_warn("PCI " PCI_BDF_FMT ": bridge with no bus number left for it: nothing "
			 "behind it is used\n", PCI_BDF_ARGS(b->bdf));
	else
		return true;
	return false;
}

/* [PCIE] 7.5.3.2: whether the bridge is a PCI Express one, and which kind (its DMA alias
 * depends on it: pci_route.c). */
static void read_pcie_type(struct pci_dev *b)
{
	u8 cap = pci_find_cap(b->bdf, PCI_CAP_ID_EXP);

	b->is_pcie = cap != 0;
	if (cap)
		b->pcie_type = (u8)FIELD_GET(PCI_EXP_FLAGS_TYPE,
					     pci_raw_read(b->bdf, cap + PCI_EXP_FLAGS, 2));
}

/* [P2P] 3.2.5.3-5: number the buses behind a bridge depth-first, then walk them. */
static void scan_bridge(struct pci_dev *b, unsigned depth)
{
	const struct plat_pci *host = pci_state.host;
	u32 bus = (u32)FIELD_GET(PCI_BDF_BUS, b->bdf);

	probe_windows(b);
	read_pcie_type(b);
	if (!can_scan(b, depth)) {
		set_buses(b->bdf, bus, 0, 0);
		return;
	}
	b->secondary = (u8)next_bus++;
	/* While its buses are walked it forwards every bus number up to the host's last. */
	set_buses(b->bdf, bus, b->secondary, host->bus_end);
	scan_bus(b->secondary, b, depth + 1);
	b->subordinate = (u8)(next_bus - 1);
	pci_raw_write(b->bdf, PCI_SUBORDINATE_BUS, 1, b->subordinate);
}

static void scan_fn(u16 bdf, struct pci_dev *parent, unsigned depth)
{
	struct pci_dev *d;

	disable_fn(bdf);
	d = record(bdf, parent);
	if (!d)
		return;
	size_bars(d);
	read_pin(d);
	if (FIELD_GET(PCI_HEADER_TYPE_LAYOUT, d->header_type) == PCI_HEADER_TYPE_BRIDGE)
		scan_bridge(d, depth);
}

/* [PCI] 6.2.1: function 0 answers for every device; others only if it is multi-function. */
static void scan_bus(u32 bus, struct pci_dev *parent, unsigned depth)
{
	for (u32 dev = 0; dev < PCI_DEVS_PER_BUS; dev++) {
		for (u32 fn = 0; fn < PCI_FNS_PER_DEV; fn++) {
			u16 bdf = PCI_BDF(bus, dev, fn);
			u32 hdr;

			if (pci_raw_read(bdf, PCI_VENDOR_ID, 2) == PCI_VENDOR_ID_NONE) {
				if (fn == 0)
					break;
				continue;
			}
			hdr = pci_raw_read(bdf, PCI_HEADER_TYPE, 1);
			scan_fn(bdf, parent, depth);
			if (fn == 0 && !(hdr & PCI_HEADER_TYPE_MULTI_FN))
				break;
		}
	}
}

void pci_scan(void)
{
	next_bus = pci_state.host->bus_start + 1;
	scan_bus(pci_state.host->bus_start, NULL, 0);
}
