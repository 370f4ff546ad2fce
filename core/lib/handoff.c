/*
 * The lock hand-off of core/lib/handoff.h. The poster writes head then tries the lock; the
 * holder releases the lock then reads head. Each side has a full barrier between its write
 * and its read, so at least one of them sees the other's (the store-buffering case): either
 * the poster gets the lock, or the holder sees the record after releasing it.
 */
#include "core/lib/handoff.h"

#include "core/lib/bits.h"
#include "core/lib/string.h"

void handoff_init(struct handoff *h, spinlock_t *lock, u32 rec_size,
		  void (*deliver)(struct handoff *h))
{
	*h = (struct handoff){ .lock = lock, .deliver = deliver,
			       .rec_size = MIN(rec_size, HANDOFF_RECORD_MAX) };
}

/* Delivers under the lock for as long as records come in and the lock can be had. The
 * caller has fenced between its write (head, or the unlock) and this look. */
void handoff_deliver_while_free(struct handoff *h)
{
	while (handoff_waiting(h) && spin_trylock(h->lock)) {
		h->deliver(h);
		spin_unlock(h->lock);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
}

bool handoff_post(struct handoff *h, const void *rec)
{
	u32 head = h->head;

	if (head - __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) >= HANDOFF_RECORDS) {
		h->dropped++;
		return false;
	}
	memcpy(h->rec[head % HANDOFF_RECORDS], rec, h->rec_size);
	__atomic_store_n(&h->head, head + 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* between head written and the lock tried */
	handoff_deliver_while_free(h);
	return true;
}

bool handoff_take(struct handoff *h, void *rec)
{
	if (!handoff_waiting(h))
		return false;
	memcpy(rec, h->rec[h->tail % HANDOFF_RECORDS], h->rec_size);
	/* The copy is done before the poster may reuse the slot. */
	__atomic_store_n(&h->tail, h->tail + 1, __ATOMIC_RELEASE);
	return true;
}

