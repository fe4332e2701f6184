/* SPDX-License-Identifier: MIT */
/*
 * itree.h - an augmented AVL interval tree over closed ranges [start, last].
 *
 * The pin layer keeps one per inode (pins and leases), one of every pin by
 * id and small ones for inodes and open files (point ranges).  Nodes are
 * embedded in their owner (container_of style); the tree allocates
 * nothing.  Each node carries the largest `last` of its subtree, so an
 * overlap query skips every subtree that ends before the query starts and
 * every right subtree that starts after it ends: O(log n + k) nodes are
 * visited for k answers in practice (tests/pin/test_itree.c measures it).
 *
 * Not thread-safe: the owner locks.
 */
#ifndef PINFS_PIN_ITREE_H
#define PINFS_PIN_ITREE_H

#include <stddef.h>
#include <stdint.h>

struct itree_node {
	uint64_t start, last; /* closed range, start <= last */
	uint64_t max_last;    /* largest last in this subtree */
	struct itree_node *left, *right;
	int height;
};

struct itree {
	struct itree_node *root;
	uint64_t count;
	uint64_t visited; /* nodes looked at by the last query (for tests) */
};

#define itree_entry(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

void itree_init(struct itree *t);
/* Insert N with N->start/last already set (start <= last). Duplicates of
 * a range are allowed (nodes are ordered by start, then address). */
void itree_insert(struct itree *t, struct itree_node *n);
/* Remove N, which must be in T. */
void itree_remove(struct itree *t, struct itree_node *n);

/*
 * Call FN for each node overlapping [first, last], in order of start.
 * FN returns nonzero to stop the walk; that value is returned.  FN must
 * not change the tree.  t->visited counts the nodes looked at.
 */
typedef int (*itree_fn)(void *arg, struct itree_node *n);
int itree_overlaps(struct itree *t, uint64_t first, uint64_t last,
		   itree_fn fn, void *arg);
/* The first node whose range is exactly the point KEY, or NULL. */
struct itree_node *itree_find_point(struct itree *t, uint64_t key);

#endif /* PINFS_PIN_ITREE_H */
