/*
 * Records posted by a context that must not wait for a lock (an interrupt handler), taken
 * by whoever holds that lock. The poster never spins on the lock: it tries it once, and if
 * someone holds it, that holder delivers the records when it lets go (handoff_unlock).
 *
 * One poster at a time (the caller serialises posts, e.g. under its own lock); takers hold
 * the lock. A full box drops the new record and counts it: the poster is never held up.
 */
#ifndef CORE_LIB_HANDOFF_H
#define CORE_LIB_HANDOFF_H

#include "core/lib/spinlock.h"
#include "core/lib/types.h"

#define HANDOFF_RECORDS 16U /* a power of two */
#define HANDOFF_RECORD_MAX 32U

struct handoff {
	spinlock_t *lock;
	/* Hands every waiting record to its consumer; called with the lock held. */
	void (*deliver)(struct handoff *h);
	u32 rec_size;
	u32 head; /* written by the poster: records posted */
	u32 tail; /* written under the lock: records taken */
	unsigned long dropped;
	u8 rec[HANDOFF_RECORDS][HANDOFF_RECORD_MAX];
};

/* A box for records of rec_size bytes (at most HANDOFF_RECORD_MAX), delivered under lock. */
void handoff_init(struct handoff *h, spinlock_t *lock, u32 rec_size,
		  void (*deliver)(struct handoff *h));
/* Posts a record and delivers now if the lock is free. False: the box was full (dropped). */
bool handoff_post(struct handoff *h, const void *rec);
/* Under the lock: the oldest waiting record into rec; false when none waits. */
bool handoff_take(struct handoff *h, void *rec);
/* Delivers what waits, releases the lock, and delivers again what a post that found the
 * lock held left behind (unless a new holder will). Inline: it ends every notification of
 * the device that uses it, and nothing waits almost always. */
void handoff_deliver_while_free(struct handoff *h);

static inline bool handoff_waiting(const struct handoff *h)
{
	return __atomic_load_n(&h->head, __ATOMIC_ACQUIRE) != h->tail;
}

static inline void handoff_unlock(struct handoff *h)
{
	if (handoff_waiting(h))
		h->deliver(h);
	spin_unlock(h->lock);
	/* Between the unlock and the look at head: see core/lib/handoff.c. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (handoff_waiting(h))
		handoff_deliver_while_free(h);
}

#endif
