/*
 * PCI host side (see pci.h): the enumeration state, configuration access by BDF, bus
 * mastering, and the summary line. Sources, cited by tag below:
 *   [PCI]  PCI Local Bus Specification 3.0
 *   [PCIE] PCI Express Base Specification 4.0
 */
#include "drivers/pci/pci.h"

#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "core/lib/spinlock.h"
#include "core/lib/string.h"
#include "core/log/log.h"
#include "drivers/pci/pci_internal.h"
#include "drivers/pci/pci_regs.h"

struct pci_state pci_state;

/* Serialises read-modify-write of configuration registers between CPUs. */
static spinlock_t cfg_lock = SPINLOCK_INIT;

/* ---- configuration access ---- */

/* [PCIE] 7.2.2: bus, device and function select a 4 KiB page of the ECAM. */
static u32 ecam_offset(u16 bdf, unsigned off)
{
	u32 first = (u32)pci_state.host->bus_start << 8;

	return (u32)FIELD_PREP(PCI_ECAM_BUS | PCI_ECAM_DEVFN, bdf - first) |
	       (u32)FIELD_PREP(PCI_ECAM_REG, off);
}

u32 pci_raw_read(u16 bdf, unsigned off, unsigned size)
{
	return pci_state.ops.read(pci_state.ops.ctx, ecam_offset(bdf, off), size);
}

void pci_raw_write(u16 bdf, unsigned off, unsigned size, u32 v)
{
	pci_state.ops.write(pci_state.ops.ctx, ecam_offset(bdf, off), size, v);
}

/* An access the public API accepts: to a recorded function, naturally aligned, in 4 KiB. */
static bool cfg_ok(u16 bdf, unsigned off, unsigned size)
{
	if (size != 1 && size != 2 && size != 4)
		return false;
	return off % size == 0 && off + size <= PCI_CFG_SPACE_SIZE && pci_find(bdf);
}

u32 pci_cfg_read(u16 bdf, unsigned off, unsigned size)
{
	if (!cfg_ok(bdf, off, size))
		return ~0U;
	return pci_raw_read(bdf, off, size);
}

void pci_cfg_write(u16 bdf, unsigned off, unsigned size, u32 v)
{
	if (!cfg_ok(bdf, off, size))
		return;
	spin_lock(&cfg_lock);
	pci_raw_write(bdf, off, size, v);
	spin_unlock(&cfg_lock);
}

u8 pci_find_cap(u16 bdf, u8 id)
{
	unsigned at;

	if (!(pci_cfg_read(bdf, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	at = pci_cfg_read(bdf, PCI_CAPABILITY_LIST, 1) & 0xfc;
	for (unsigned n = 0; n < PCI_MAX_CAPS && at >= 0x40; n++) {
		if (pci_cfg_read(bdf, at, 1) == id)
			return (u8)at;
		at = pci_cfg_read(bdf, at + 1, 1) & 0xfc;
	}
	return 0;
}

/* Set or clear bits of the Command register atomically with respect to pci_cfg_write. */
static void command_update(u16 bdf, u16 clear, u16 set)
{
	u16 cmd;

	spin_lock(&cfg_lock);
	cmd = (u16)pci_raw_read(bdf, PCI_COMMAND, 2);
	pci_raw_write(bdf, PCI_COMMAND, 2, (cmd & ~clear) | set);
	spin_unlock(&cfg_lock);
}

/*
 * [PCI] 6.2.2 Bus Master Enable; for a bridge, PCI-to-PCI Bridge Architecture 1.2 3.2.5.1:
 * it also gates the forwarding of requests from the secondary side upstream. Turning a
 * device off leaves its bridges on: other devices behind them may still be on.
 */
int pci_set_bus_master(u16 bdf, bool on)
{
	const struct pci_dev *d = pci_find(bdf);

	if (!d)
		return -E_NOENT;
	if (!on) {
		command_update(bdf, PCI_COMMAND_MASTER, 0);
		return 0;
	}
	if (!d->usable)
		return -E_NODEV;
	for (; d; d = d->parent)
		command_update(d->bdf, 0, PCI_COMMAND_MASTER);
	return 0;
}

/* ---- the device list ---- */

unsigned pci_count(void) { return pci_state.n_devs; }

const struct pci_dev *pci_dev_at(unsigned i)
{
	return i < pci_state.n_devs ? &pci_state.devs[i] : NULL;
}

const struct pci_dev *pci_find(u16 bdf)
{
	for (unsigned i = 0; i < pci_state.n_devs; i++)
		if (pci_state.devs[i].bdf == bdf)
			return &pci_state.devs[i];
	return NULL;
}

void pci_enumerate(const struct plat_pci *host, const struct pci_cfg_ops *ops)
{
	memset(&pci_state, 0, sizeof(pci_state));
	if (!host->present)
		return;
	pci_state.host = host;
	pci_state.ops = *ops;
	pci_scan();
	pci_assign();
	for (unsigned i = 0; i < pci_state.n_devs; i++)
		pci_route(&pci_state.devs[i]);
}

/* ---- the summary line ---- */

static void PRINTF_LIKE(3, 4) append(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strnlen(buf, len);
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* " 16K", " 1M", " 256": the largest unit that divides size. */
static void append_size(char *buf, size_t len, u64 size)
{
	static const char units[] = { 'G', 'M', 'K' };

	for (unsigned i = 0; i < ARRAY_SIZE(units); i++) {
		unsigned shift = 30 - 10 * i;

		if (IS_ALIGNED(size, 1ULL << shift)) {
			append(buf, len, " %lu%c", (unsigned long)(size >> shift), units[i]);
			return;
		}
	}
	append(buf, len, " %lu", (unsigned long)size);
}

static void describe_windows(const struct pci_dev *d, char *buf, size_t len)
{
	static const char *const names[PCI_NUM_WIN] = { "I/O", "mem", "pref" };

	append(buf, len, ", bridge to %02x-%02x", d->secondary, d->subordinate);
	for (unsigned w = 0; w < PCI_NUM_WIN; w++) {
		pa_t at;

		if (!d->win[w].assigned || !pci_bus_to_pa(w == PCI_WIN_IO, d->win[w].base, &at))
			continue;
		append(buf, len, ", %s %lx", names[w], (unsigned long)at.v);
		append_size(buf, len, d->win[w].size);
	}
}

static void describe_bar(const struct pci_dev *d, unsigned i, char *buf, size_t len)
{
	const struct pci_bar *b = &d->bar[i];

	append(buf, len, ", BAR%u%s", i, b->flags & PCI_BAR_F_IO ? " I/O" : "");
	if (b->flags & PCI_BAR_F_ASSIGNED)
		append(buf, len, " %lx", (unsigned long)b->pa.v);
	append_size(buf, len, b->size);
	append(buf, len, "%s%s%s", b->flags & PCI_BAR_F_64 ? " 64-bit" : "",
	       b->flags & PCI_BAR_F_PREFETCH ? " pref" : "",
	       b->flags & PCI_BAR_F_ASSIGNED ? "" : " unassigned");
}

void pci_describe(const struct pci_dev *d, char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	append(buf, len, "PCI " PCI_BDF_FMT " [%04x:%04x] class %06x", PCI_BDF_ARGS(d->bdf),
	       d->vendor, d->device, d->class);
	if (d->secondary)
		describe_windows(d, buf, len);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].size)
			describe_bar(d, i, buf, len);
	if (d->pin && d->intid)
		append(buf, len, ", INT%c -> INTID %u", 'A' + d->pin - 1, d->intid);
	else if (d->pin)
		append(buf, len, ", INT%c -> no INTID", 'A' + d->pin - 1);
	if (d->has_sid)
		append(buf, len, ", StreamID 0x%x", d->sid);
	else
		append(buf, len, ", no StreamID");
	if (d->has_alias)
		append(buf, len, ", DMA alias " PCI_BDF_FMT, PCI_BDF_ARGS(d->alias_rid));
	if (d->has_alias_sid)
		append(buf, len, " (StreamID 0x%x)", d->alias_sid);
	if (!d->usable)
		append(buf, len, ", NOT USABLE");
}
