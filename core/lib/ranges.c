#include "core/lib/ranges.h"

#include "core/lib/bits.h"
#include "core/lib/errno.h"

int ranges_add(struct range_set *s, pa_t base, u64 size)
{
	if (!size)
		return -E_INVAL;
	if (s->n >= sizeof(s->r) / sizeof(s->r[0]))
		return -E_NOMEM;
	s->r[s->n++] = (struct mem_range){ base, size };
	return 0;
}

static void drop(struct range_set *s, unsigned i)
{
	s->r[i] = s->r[--s->n];
}

int ranges_remove(struct range_set *s, pa_t base, u64 size)
{
	u64 cut_lo = base.v, cut_hi = base.v + size; /* callers pass ranges below 2^64 */

	for (unsigned i = 0; i < s->n;) {
		u64 lo = s->r[i].base.v, hi = lo + s->r[i].size;

		if (cut_hi <= lo || cut_lo >= hi) {
			i++;
			continue;
		}
		if (cut_lo > lo && cut_hi < hi) { /* a hole in the middle: split */
			if (s->n >= sizeof(s->r) / sizeof(s->r[0]))
				return -E_NOMEM;
			s->r[s->n++] = (struct mem_range){ pa(cut_hi), hi - cut_hi };
			s->r[i].size = cut_lo - lo;
			i++;
		} else if (cut_lo > lo) {
			s->r[i++].size = cut_lo - lo;
		} else if (cut_hi < hi) {
			s->r[i] = (struct mem_range){ pa(cut_hi), hi - cut_hi };
			i++;
		} else {
			drop(s, i);
		}
	}
	return 0;
}

void ranges_align_inward(struct range_set *s, u64 align)
{
	for (unsigned i = 0; i < s->n;) {
		u64 lo = ALIGN_UP(s->r[i].base.v, align);
		u64 hi = ALIGN_DOWN(s->r[i].base.v + s->r[i].size, align);

		if (hi <= lo) {
			drop(s, i);
			continue;
		}
		s->r[i++] = (struct mem_range){ pa(lo), hi - lo };
	}
}

u64 ranges_total(const struct range_set *s)
{
	u64 t = 0;

	for (unsigned i = 0; i < s->n; i++)
		t += s->r[i].size;
	return t;
}
