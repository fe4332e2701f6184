/* SPDX-License-Identifier: MIT */
/* stats.c - clocks, samples, percentiles and summaries. */
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

uint64_t stats_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int samples_add(struct samples *s, double x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		double *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

void samples_free(struct samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
	s->cap = 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

static void samples_sort(struct samples *s)
{
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
}

double samples_pct(struct samples *s, double p)
{
	size_t rank;

	if (s->n == 0)
		return NAN;
	samples_sort(s);
	/* nearest rank: ceil(p/100 * n), 1-based */
	rank = (size_t)ceil(p / 100.0 * (double)s->n);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->v[rank - 1];
}

struct summary summary_of(struct samples *s)
{
	struct summary r = { NAN, NAN, NAN, 0 };

	if (s->n == 0)
		return r;
	samples_sort(s);
	r.min = s->v[0];
	r.max = s->v[s->n - 1];
	if (s->n % 2)
		r.med = s->v[s->n / 2];
	else
		r.med = (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2.0;
	r.n = (unsigned)s->n;
	return r;
}

struct summary summary_one(double x)
{
	struct summary r = { x, x, x, 1 };

	return r;
}

bool summary_valid(const struct summary *s)
{
	return s->n > 0 && !isnan(s->med);
}

int stats_pin_cpu(unsigned cpu)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (n < 1)
		n = 1;
	CPU_ZERO(&set);
	CPU_SET(cpu % (unsigned)n, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	return 0;
}

int stats_unpin_cpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	for (long i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET((int)i, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	return 0;
}
