/* SPDX-License-Identifier: MIT */
/*
 * test_itree.c - the interval tree: answers equal a brute-force scan on
 * random data through inserts and removes, and a query over 100 000 pins
 * looks at O(log n + k) nodes.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "itree.h"

struct item {
	struct itree_node node;
	int live;
	int seen;
};

static int mark(void *arg, struct itree_node *n)
{
	int *count = arg;

	itree_entry(n, struct item, node)->seen++;
	(*count)++;
	return 0;
}

static uint64_t rnd(uint64_t max)
{
	return ((uint64_t)random() << 31 ^ (uint64_t)random()) % max;
}

START_TEST(test_random_vs_brute)
{
	enum { N = 3000, Q = 2000 };
	struct item *it = calloc(N, sizeof(*it));
	struct itree t;
	int i, q, count, expect, wrong = 0;

	srandom(1234);
	itree_init(&t);
	for (i = 0; i < N; i++) {
		it[i].node.start = rnd(100000);
		it[i].node.last = it[i].node.start + rnd(i % 10 ? 500 : 20000);
		itree_insert(&t, &it[i].node);
		it[i].live = 1;
	}
	for (i = 0; i < N; i += 3) { /* remove a third */
		itree_remove(&t, &it[i].node);
		it[i].live = 0;
	}
	ck_assert_uint_eq(t.count, N - (N + 2) / 3);
	for (q = 0; q < Q; q++) {
		uint64_t a = rnd(110000), b = a + rnd(q % 2 ? 100 : 5000);

		for (i = 0; i < N; i++)
			it[i].seen = 0;
		count = 0;
		itree_overlaps(&t, a, b, mark, &count);
		expect = 0;
		for (i = 0; i < N; i++) {
			int ov = it[i].live && it[i].node.start <= b &&
				 it[i].node.last >= a;

			expect += ov;
			wrong += it[i].seen != ov;
		}
		wrong += count != expect;
	}
	ck_assert_int_eq(wrong, 0); /* one assert: Check's are costly */
	/* Point lookups on a second tree. */
	{
		struct itree pts;
		struct item p[100];

		itree_init(&pts);
		for (i = 0; i < 100; i++) {
			p[i].node.start = p[i].node.last = (uint64_t)i * 7;
			itree_insert(&pts, &p[i].node);
		}
		ck_assert_ptr_eq(itree_find_point(&pts, 77), &p[11].node);
		ck_assert_ptr_null(itree_find_point(&pts, 78));
	}
	free(it);
}
END_TEST

/* Every AVL node's balance is within 1 and max_last is right; counts
 * the nodes where not in `bad`. */
static int bad;

static int check_node(const struct itree_node *n, uint64_t *maxl)
{
	uint64_t ml, mr;
	int hl, hr;

	if (!n) {
		*maxl = 0;
		return 0;
	}
	hl = check_node(n->left, &ml);
	hr = check_node(n->right, &mr);
	bad += abs(hl - hr) > 1;
	*maxl = n->last;
	if (n->left && ml > *maxl)
		*maxl = ml;
	if (n->right && mr > *maxl)
		*maxl = mr;
	bad += *maxl != n->max_last;
	return 1 + (hl > hr ? hl : hr);
}

START_TEST(test_scale_100k)
{
	enum { N = 100000 };
	struct item *it = calloc(N, sizeof(*it));
	struct itree t;
	uint64_t maxl, worst = 0, over = 0;
	double logn = log2((double)N);
	int i, q, count, h;

	srandom(99);
	itree_init(&t);
	/* 100 000 pins of 1..16 blocks spread over a 4 GiB file. */
	for (i = 0; i < N; i++) {
		it[i].node.start = rnd(1ull << 20) * 4096;
		it[i].node.last = it[i].node.start + (1 + rnd(16)) * 4096 - 1;
		itree_insert(&t, &it[i].node);
	}
	h = check_node(t.root, &maxl);
	ck_assert_int_eq(bad, 0);
	ck_assert_int_le(h, (int)(1.45 * logn) + 2);
	for (q = 0; q < 1000; q++) {
		uint64_t a = rnd(1ull << 20) * 4096, b = a + rnd(64) * 4096;
		uint64_t bound;

		count = 0;
		itree_overlaps(&t, a, b, mark, &count);
		/* O(log n + k): a small constant times (height + k). */
		bound = (uint64_t)(4 * (h + count) + 8);
		over += t.visited > bound;
		if (t.visited > worst)
			worst = t.visited;
	}
	ck_assert_msg(over == 0, "%lu queries over O(log n + k); worst %lu",
		      (unsigned long)over, (unsigned long)worst);
	/* A query far from all pins costs about one root-to-leaf path. */
	itree_overlaps(&t, UINT64_MAX - 10, UINT64_MAX, mark, &count);
	ck_assert_uint_le(t.visited, (uint64_t)(2 * h + 2));
	for (i = 0; i < N; i += 2)
		itree_remove(&t, &it[i].node);
	check_node(t.root, &maxl);
	ck_assert_int_eq(bad, 0);
	ck_assert_uint_eq(t.count, N / 2);
	free(it);
}
END_TEST

static Suite *itree_suite(void)
{
	Suite *s = suite_create("itree");
	TCase *tc = tcase_create("correctness");

	tcase_add_test(tc, test_random_vs_brute);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("scale");
	tcase_add_test(tc, test_scale_100k);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(itree_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
