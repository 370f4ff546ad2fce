/* Ticket spinlock. Only valid once the MMU and caches are on: exclusive accesses need
 * Normal cacheable memory (Arm ARM B2.9.5). */
#ifndef CORE_LIB_SPINLOCK_H
#define CORE_LIB_SPINLOCK_H

#include "core/lib/types.h"

typedef struct {
	u32 next;
	u32 owner;
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

/* A hint that this CPU is spinning (host unit-test builds have no such hint). */
static inline void spin_relax(void)
{
#ifdef __aarch64__
	__asm__ volatile("yield" : : : "memory");
#endif
}

static inline void spin_lock(spinlock_t *l)
{
	u32 ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
		spin_relax();
}

/* Takes the lock only if nobody holds or waits for it; true if taken. */
static inline bool spin_trylock(spinlock_t *l)
{
	u32 owner = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
	u32 ticket = owner;

	return __atomic_compare_exchange_n(&l->next, &ticket, owner + 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

#endif
