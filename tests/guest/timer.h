#ifndef GUEST_TIMER_H
#define GUEST_TIMER_H

/* On the calling vCPU, its GIC CPU interface up: take three virtual timer interrupts and
 * print what came. */
void vtimer_test(void);

#endif
