/* arch/barrier.h on the host: the unit tests run on one thread, so a compiler barrier
 * keeps what ordering they can observe; the hints do nothing. */
#ifndef ARCH_IMPL_BARRIER_H
#define ARCH_IMPL_BARRIER_H

#define fake_barrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define isb() fake_barrier()
#define dsb(opt) fake_barrier()
#define dmb(opt) fake_barrier()
#define wfi() fake_barrier()
#define wfe() fake_barrier()
#define sev() fake_barrier()
#define cpu_relax() fake_barrier()

#endif
