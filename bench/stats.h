/* SPDX-License-Identifier: MIT */
/*
 * stats.h - clocks, latency samples and summaries for pinfs-bench.
 *
 * Every figure is taken with CLOCK_MONOTONIC.  A measurement is repeated
 * (--repeat); the report shows the median of the runs with their min and
 * max.  Latency runs keep every sample so percentiles and distribution
 * plots come from the raw data.
 */
#ifndef PINFS_BENCH_STATS_H
#define PINFS_BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nanoseconds on CLOCK_MONOTONIC. */
uint64_t stats_now_ns(void);

/* A growable array of samples (any unit). */
struct samples {
	double *v;
	size_t n;
	size_t cap;
};

/* Append a sample: 0 or -ENOMEM. */
int samples_add(struct samples *s, double x);
void samples_free(struct samples *s);
/* Percentile p in [0, 100] (nearest rank, sorts s in place); NAN if empty. */
double samples_pct(struct samples *s, double p);

/* Median, min and max of n runs; n == 0 means "not measured". */
struct summary {
	double med;
	double min;
	double max;
	unsigned n;
};

/* Summarise s (sorts it in place). */
struct summary summary_of(struct samples *s);
/* A summary that holds one value. */
struct summary summary_one(double x);
bool summary_valid(const struct summary *s);

/* Pin the calling thread to CPU cpu % ncpu: 0 or -errno. */
int stats_pin_cpu(unsigned cpu);
/* Let the calling thread run on every online CPU again: 0 or -errno. */
int stats_unpin_cpu(void);

/* xorshift64* generator: fast, seedable, good enough for offsets. */
static inline uint64_t stats_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

#endif /* PINFS_BENCH_STATS_H */
