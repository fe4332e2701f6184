/* SPDX-License-Identifier: MIT */
/* uring.c - READ_FIXED fills into a target registered as fixed buffers. */
#include "uring.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "stats.h"

#define URING_BUF_MAX (1ull << 30) /* the kernel's limit per fixed buffer */

struct uring_ctx {
	struct io_uring ring;
	const struct pinned_target *t;
	const struct uring_params *p;
	size_t nblocks;       /* blocks in the target */
	size_t blocks_per_buf;
	size_t next_dst;      /* block index */
	size_t next_src;      /* byte offset */
};

static void queue_one(struct uring_ctx *c)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);
	size_t bs = c->p->block;
	size_t blk = c->next_dst;
	char *dst = (char *)c->t->base + blk * bs;

	c->next_dst = (c->next_dst + 1) % c->nblocks;
	io_uring_prep_read_fixed(sqe, c->p->src_fd, dst, (unsigned)bs,
				 c->next_src, (int)(blk / c->blocks_per_buf));
	c->next_src += bs;
	if (c->next_src + bs > c->p->src_len)
		c->next_src = 0;
}

static uint64_t process_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Keep the queue full until deadline (0: one pass over the target). */
static int fill(struct uring_ctx *c, uint64_t deadline, uint64_t *bytes)
{
	unsigned inflight = 0, qd = c->p->queue_depth;
	uint64_t issued = 0, limit = deadline ? UINT64_MAX : c->nblocks;
	bool stop = false;
	int ret = 0;

	while (inflight < qd && issued < limit) {
		queue_one(c);
		inflight++;
		issued++;
	}
	while (inflight) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;

		ret = io_uring_submit_and_wait(&c->ring, 1);
		if (ret < 0) {
			if (ret == -EINTR)
				continue;
			return ret;
		}
		io_uring_for_each_cqe(&c->ring, head, cqe) {
			if (cqe->res != (int)c->p->block && !ret)
				ret = cqe->res < 0 ? cqe->res : -EIO;
			*bytes += cqe->res > 0 ? (uint64_t)cqe->res : 0;
			seen++;
		}
		io_uring_cq_advance(&c->ring, seen);
		inflight -= seen;
		if (ret < 0)
			stop = true;
		else if (deadline && stats_now_ns() >= deadline)
			stop = true;
		while (!stop && inflight < qd && issued < limit) {
			queue_one(c);
			inflight++;
			issued++;
		}
	}
	return ret < 0 ? ret : 0;
}

int uring_fill_run(const struct pinned_target *t, const struct uring_params *p,
		   struct uring_result *res)
{
	struct uring_ctx c = { .t = t, .p = p };
	struct iovec *iov;
	size_t nbufs, buf_len;
	uint64_t t0, c0, warm = 0;
	int ret;

	memset(res, 0, sizeof(*res));
	if (p->block == 0 || p->block > URING_BUF_MAX ||
	    URING_BUF_MAX % p->block || p->queue_depth == 0 ||
	    p->src_len < p->block || t->len < p->block)
		return -EINVAL;
	c.nblocks = t->len / p->block;
	buf_len = t->len < URING_BUF_MAX ? c.nblocks * p->block : URING_BUF_MAX;
	c.blocks_per_buf = buf_len / p->block;
	nbufs = (c.nblocks + c.blocks_per_buf - 1) / c.blocks_per_buf;
	iov = calloc(nbufs, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	for (size_t i = 0; i < nbufs; i++) {
		size_t off = i * buf_len;

		iov[i].iov_base = (char *)t->base + off;
		iov[i].iov_len = c.nblocks * p->block - off < buf_len ?
				 c.nblocks * p->block - off : buf_len;
	}
	if (p->pin_cpu)
		stats_pin_cpu(0);
	ret = io_uring_queue_init(p->queue_depth < 8 ? 8 : p->queue_depth,
				  &c.ring, 0);
	if (ret < 0)
		goto out_free;
	t0 = stats_now_ns();
	ret = io_uring_register_buffers(&c.ring, iov, (unsigned)nbufs);
	res->register_ns = stats_now_ns() - t0;
	if (ret < 0)
		goto out_ring;
	ret = fill(&c, 0, &warm); /* one untimed pass: warm caches */
	if (ret < 0)
		goto out_unreg;
	c0 = process_cpu_ns();
	t0 = stats_now_ns();
	ret = fill(&c, t0 + (uint64_t)(p->duration * 1e9), &res->bytes);
	res->ns = stats_now_ns() - t0;
	res->cpu_ns = process_cpu_ns() - c0;
out_unreg:
	io_uring_unregister_buffers(&c.ring);
out_ring:
	io_uring_queue_exit(&c.ring);
out_free:
	if (p->pin_cpu)
		stats_unpin_cpu();
	free(iov);
	return ret;
}
