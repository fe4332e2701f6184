/* SPDX-License-Identifier: MIT */
/* copy.c - libpmem2 memcpy + persist into a target, from N threads. */
#include "copy.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats.h"

#define COPY_THREADS_MAX 64

struct copy_thread {
	const struct pinned_target *t;
	const struct copy_params *p;
	unsigned idx;
	char *dst;
	size_t slice;         /* bytes, a multiple of the block */
	char *src;
	pthread_barrier_t *bar;
	uint64_t t0, t1, bytes;
	uint64_t c0, c1;      /* thread CPU time over the timed part */
	bool broken;
};

static uint64_t cpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One pass over the slice, or until a break: bytes written. */
static uint64_t copy_pass(struct copy_thread *c)
{
	const struct region_copy_fn *f = &c->p->fn;
	size_t bs = c->p->block;
	uint64_t done = 0;

	for (size_t off = 0; off + bs <= c->slice; off += bs) {
		if (target_broken(c->t)) {
			c->broken = true;
			break;
		}
		f->memcpy_fn(c->dst + off, c->src, bs, f->flags);
		f->persist_fn(c->dst + off, bs);
		done += bs;
	}
	return done;
}

static void *copy_thread_main(void *arg)
{
	struct copy_thread *c = arg;
	uint64_t end;

	if (c->p->pin_cpu)
		stats_pin_cpu(c->p->first_cpu + c->idx);
	if (c->p->phase == COPY_WARM)
		copy_pass(c); /* fault in and warm the slice, untimed */
	pthread_barrier_wait(c->bar);
	c->c0 = cpu_now_ns();
	c->t0 = stats_now_ns();
	if (c->p->phase == COPY_COLD) {
		c->bytes = copy_pass(c);
	} else if (c->p->phase == COPY_STREAM) {
		end = c->t0 + (uint64_t)(c->p->duration * 1e9);
		do {
			c->bytes += copy_pass(c);
		} while (!c->broken && stats_now_ns() < end);
	} else {
		end = c->t0 + (uint64_t)(c->p->duration * 1e9);
		do {
			c->bytes += copy_pass(c);
		} while (!c->broken && stats_now_ns() < end);
	}
	c->t1 = stats_now_ns();
	c->c1 = cpu_now_ns();
	return NULL;
}

int copy_sources_new(unsigned threads, size_t block, char ***out)
{
	char **s = calloc(threads, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (unsigned i = 0; i < threads; i++) {
		if (posix_memalign((void **)&s[i], 4096, block) != 0) {
			copy_sources_free(&s, threads);
			return -ENOMEM;
		}
		memset(s[i], 0x5A + (int)i, block);
	}
	*out = s;
	return 0;
}

void copy_sources_free(char ***srcp, unsigned threads)
{
	char **s = *srcp;

	if (!s)
		return;
	for (unsigned i = 0; i < threads; i++)
		free(s[i]);
	free(s);
	*srcp = NULL;
}

int copy_run(const struct pinned_target *t, const struct copy_params *p,
	     struct copy_result *res)
{
	struct copy_thread th[COPY_THREADS_MAX];
	pthread_t tid[COPY_THREADS_MAX];
	pthread_barrier_t bar;
	uint64_t t0 = UINT64_MAX, t1 = 0;
	size_t slice;
	unsigned n = 0;
	int ret = 0;

	if (p->threads == 0 || p->threads > COPY_THREADS_MAX || p->block == 0)
		return -EINVAL;
	slice = t->len / p->threads / p->block * p->block;
	if (slice < p->block)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	pthread_barrier_init(&bar, NULL, p->threads);
	for (unsigned i = 0; i < p->threads; i++) {
		th[i] = (struct copy_thread){
			.t = t, .p = p, .idx = i, .bar = &bar,
			.dst = (char *)t->base + (size_t)i * slice,
			.slice = slice,
		};
		if (p->src) {
			th[i].src = p->src[i];
			continue;
		}
		/* the source: private, pre-faulted, in cache for small blocks */
		if (posix_memalign((void **)&th[i].src, 4096, p->block) != 0) {
			ret = -ENOMEM;
			break;
		}
		memset(th[i].src, 0x5A + (int)i, p->block);
		n++;
	}
	if (ret) {
		for (unsigned i = 0; i < n; i++)
			free(th[i].src);
		pthread_barrier_destroy(&bar);
		return ret;
	}
	for (unsigned i = 0; i < p->threads; i++) {
		if (pthread_create(&tid[i], NULL, copy_thread_main, &th[i])) {
			/* the barrier would never fill: cannot recover */
			abort();
		}
	}
	for (unsigned i = 0; i < p->threads; i++) {
		pthread_join(tid[i], NULL);
		t0 = th[i].t0 < t0 ? th[i].t0 : t0;
		t1 = th[i].t1 > t1 ? th[i].t1 : t1;
		res->bytes += th[i].bytes;
		res->cpu_ns += th[i].c1 - th[i].c0;
		res->broken |= th[i].broken;
		if (!p->src)
			free(th[i].src);
	}
	pthread_barrier_destroy(&bar);
	res->ns = t1 - t0;
	return 0;
}
