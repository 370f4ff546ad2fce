/*
 * diskbench: the bench's disk workload (tests/bench/bench.py), run inside a Linux guest.
 *   diskbench <block device> <random reads>
 * reads the whole device in 1 MiB blocks, then <random reads> 4 KiB blocks at places a
 * fixed pseudo-random sequence picks (the same every run), both with O_DIRECT so that every
 * read is a DMA of the device, and prints one line:
 *   diskbench seq_mib_s <MiB/s> rand_kib_s <KiB/s> bytes <n> reads <n>
 * Time is CLOCK_MONOTONIC: guest time, which under QEMU's -icount follows instructions.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#define SEQ_BLOCK (1 << 20)
#define RAND_BLOCK 4096

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t size = 0, seed = 0x9e3779b97f4a7c15ULL, done = 0;
	long reads = argc > 2 ? atol(argv[2]) : 1000;
	double t0, seq, rnd;
	void *buf;
	int fd;

	if (argc < 2 || (fd = open(argv[1], O_RDONLY | O_DIRECT)) < 0 ||
	    ioctl(fd, BLKGETSIZE64, &size) || size < SEQ_BLOCK ||
	    posix_memalign(&buf, 4096, SEQ_BLOCK)) {
		fprintf(stderr, "usage: diskbench <block device> [random reads]\n");
		return 1;
	}
	t0 = now();
	for (uint64_t off = 0; off + SEQ_BLOCK <= size; off += SEQ_BLOCK)
		done += pread(fd, buf, SEQ_BLOCK, (off_t)off) == SEQ_BLOCK ? SEQ_BLOCK : 0;
	seq = now() - t0;
	t0 = now();
	for (long i = 0; i < reads; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		pread(fd, buf, RAND_BLOCK, (off_t)((seed >> 33) % (size / RAND_BLOCK) * RAND_BLOCK));
	}
	rnd = now() - t0;
	printf("diskbench seq_mib_s %.1f rand_kib_s %.1f bytes %llu reads %ld\n",
	       done / seq / (1 << 20), reads * (RAND_BLOCK / 1024.0) / rnd,
	       (unsigned long long)done, reads);
	return 0;
}
