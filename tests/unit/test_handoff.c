/*
 * Host tests of core/lib/handoff.c: a record posted while the lock is free is delivered at
 * once, one posted while the lock is held waits for the holder's handoff_unlock (the poster
 * never spins), a full box drops and counts, and under two real threads racing posts
 * against lock holders every record arrives once and in order, and none is left waiting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>

#include "core/lib/bits.h"
#include "core/lib/handoff.h"

struct box {
	struct handoff h;
	spinlock_t lock;
	u32 delivered[HANDOFF_RECORDS * 2];
	unsigned n_delivered;
	bool out_of_order; /* a record other than the one after the last */
	bool lock_held_in_deliver;
	bool post_late; /* deliver() posts once more after its last take */
};

static void deliver(struct handoff *h)
{
	struct box *b = CONTAINER_OF(h, struct box, h);
	u32 rec;

	/* Delivery runs with the lock held: nobody can take it now. */
	b->lock_held_in_deliver = b->lock_held_in_deliver || !spin_trylock(&b->lock);
	while (handoff_take(h, &rec)) {
		b->out_of_order = b->out_of_order || rec != b->n_delivered;
		b->delivered[b->n_delivered++ % ARRAY_SIZE(b->delivered)] = rec;
	}
	if (b->post_late) {
		/* As a poster on another CPU would, between the holder's last take and its
		 * unlock: the lock is held, so the record waits. */
		b->post_late = false;
		rec = b->n_delivered;
		assert_true(handoff_post(h, &rec));
	}
}

static void box_init(struct box *b)
{
	*b = (struct box){ .lock = SPINLOCK_INIT };
	handoff_init(&b->h, &b->lock, sizeof(u32), deliver);
}

static void test_post_with_lock_free_delivers_now(void **state)
{
	struct box b;
	u32 rec = 0;

	(void)state;
	box_init(&b);
	assert_true(handoff_post(&b.h, &rec));
	assert_int_equal(b.n_delivered, 1);
	assert_int_equal(b.delivered[0], 0);
	assert_true(b.lock_held_in_deliver);
	/* The lock was given back. */
	assert_true(spin_trylock(&b.lock));
}

static void test_post_with_lock_held_waits_for_unlock(void **state)
{
	struct box b;
	u32 rec;

	(void)state;
	box_init(&b);
	spin_lock(&b.lock);
	for (rec = 0; rec < 3; rec++)
		assert_true(handoff_post(&b.h, &rec));
	assert_int_equal(b.n_delivered, 0);
	handoff_unlock(&b.h);
	assert_int_equal(b.n_delivered, 3);
	assert_false(b.out_of_order);
	assert_true(spin_trylock(&b.lock));
}

static void test_post_during_delivery_is_not_left_behind(void **state)
{
	struct box b;
	u32 rec = 0;

	(void)state;
	box_init(&b);
	spin_lock(&b.lock);
	assert_true(handoff_post(&b.h, &rec));
	b.post_late = true;
	handoff_unlock(&b.h);
	assert_int_equal(b.n_delivered, 2);
	assert_false(b.out_of_order);
	assert_int_equal(b.h.head, b.h.tail);
}

static void test_full_box_drops_and_counts(void **state)
{
	struct box b;
	u32 rec;

	(void)state;
	box_init(&b);
	spin_lock(&b.lock);
	for (rec = 0; rec < HANDOFF_RECORDS; rec++)
		assert_true(handoff_post(&b.h, &rec));
	assert_false(handoff_post(&b.h, &rec));
	assert_int_equal(b.h.dropped, 1);
	handoff_unlock(&b.h);
	assert_int_equal(b.n_delivered, HANDOFF_RECORDS);
	assert_false(b.out_of_order);
}

static void test_trylock_fails_while_held_or_queued(void **state)
{
	spinlock_t l = SPINLOCK_INIT;

	(void)state;
	assert_true(spin_trylock(&l));
	assert_false(spin_trylock(&l));
	spin_unlock(&l);
	assert_true(spin_trylock(&l));
	spin_unlock(&l);
}

#define RACE_POSTS 200000U

static void *poster(void *arg)
{
	struct box *b = arg;

	for (u32 rec = 0; rec < RACE_POSTS; rec++)
		while (!handoff_post(&b->h, &rec)) /* full: the holder is behind, try again */
			;
	return NULL;
}

static void *holder(void *arg)
{
	struct box *b = arg;

	for (unsigned i = 0; i < RACE_POSTS / 4; i++) {
		spin_lock(&b->lock);
		handoff_unlock(&b->h);
	}
	return NULL;
}

/* The poster retries a full box, so every record must arrive once, in order, and nothing
 * may wait after both threads are done: a lost hand-off leaves the last records behind. */
static void test_race_loses_nothing(void **state)
{
	static struct box b;
	pthread_t p, q;

	(void)state;
	for (unsigned round = 0; round < 5; round++) {
		box_init(&b);
		assert_int_equal(pthread_create(&q, NULL, holder, &b), 0);
		assert_int_equal(pthread_create(&p, NULL, poster, &b), 0);
		pthread_join(p, NULL);
		pthread_join(q, NULL);
		assert_int_equal(b.n_delivered, RACE_POSTS);
		assert_false(b.out_of_order);
		assert_int_equal(b.h.head, b.h.tail);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post_with_lock_free_delivers_now),
		cmocka_unit_test(test_post_with_lock_held_waits_for_unlock),
		cmocka_unit_test(test_post_during_delivery_is_not_left_behind),
		cmocka_unit_test(test_full_box_drops_and_counts),
		cmocka_unit_test(test_trylock_fails_while_held_or_queued),
		cmocka_unit_test(test_race_loses_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
