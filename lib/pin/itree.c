/* SPDX-License-Identifier: MIT */
/*
 * itree.c - augmented AVL interval tree; see itree.h.
 */
#include "itree.h"

#include <stdbool.h>

static int height(const struct itree_node *n)
{
	return n ? n->height : 0;
}

static uint64_t umax(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Recompute height and max_last of N from its children. */
static void update(struct itree_node *n)
{
	int hl = height(n->left), hr = height(n->right);

	n->height = 1 + (hl > hr ? hl : hr);
	n->max_last = n->last;
	if (n->left)
		n->max_last = umax(n->max_last, n->left->max_last);
	if (n->right)
		n->max_last = umax(n->max_last, n->right->max_last);
}

static struct itree_node *rotate_right(struct itree_node *n)
{
	struct itree_node *l = n->left;

	n->left = l->right;
	l->right = n;
	update(n);
	update(l);
	return l;
}

static struct itree_node *rotate_left(struct itree_node *n)
{
	struct itree_node *r = n->right;

	n->right = r->left;
	r->left = n;
	update(n);
	update(r);
	return r;
}

static struct itree_node *rebalance(struct itree_node *n)
{
	int bal;

	update(n);
	bal = height(n->left) - height(n->right);
	if (bal > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (bal < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	return n;
}

/* Total order: by start, then by node address (so equal ranges coexist). */
static bool before(const struct itree_node *a, const struct itree_node *b)
{
	if (a->start != b->start)
		return a->start < b->start;
	return (uintptr_t)a < (uintptr_t)b;
}

static struct itree_node *insert_at(struct itree_node *root,
				    struct itree_node *n)
{
	if (!root)
		return n;
	if (before(n, root))
		root->left = insert_at(root->left, n);
	else
		root->right = insert_at(root->right, n);
	return rebalance(root);
}

void itree_init(struct itree *t)
{
	t->root = NULL;
	t->count = 0;
	t->visited = 0;
}

void itree_insert(struct itree *t, struct itree_node *n)
{
	n->left = n->right = NULL;
	n->height = 1;
	n->max_last = n->last;
	t->root = insert_at(t->root, n);
	t->count++;
}

/* Detach the smallest node of ROOT into *MIN; return the new subtree. */
static struct itree_node *remove_min(struct itree_node *root,
				     struct itree_node **min)
{
	if (!root->left) {
		*min = root;
		return root->right;
	}
	root->left = remove_min(root->left, min);
	return rebalance(root);
}

static struct itree_node *remove_at(struct itree_node *root,
				    struct itree_node *n)
{
	struct itree_node *min;

	if (!root)
		return NULL; /* not found: caller's bug, tree unchanged */
	if (root == n) {
		if (!n->left)
			return n->right;
		if (!n->right)
			return n->left;
		n->right = remove_min(n->right, &min);
		min->left = n->left;
		min->right = n->right;
		return rebalance(min);
	}
	if (before(n, root))
		root->left = remove_at(root->left, n);
	else
		root->right = remove_at(root->right, n);
	return rebalance(root);
}

void itree_remove(struct itree *t, struct itree_node *n)
{
	t->root = remove_at(t->root, n);
	t->count--;
	n->left = n->right = NULL;
}

static int walk(struct itree *t, struct itree_node *n, uint64_t first,
		uint64_t last, itree_fn fn, void *arg)
{
	int rc;

	while (n) {
		t->visited++;
		if (n->max_last < first)
			return 0; /* everything here ends before the query */
		rc = walk(t, n->left, first, last, fn, arg);
		if (rc)
			return rc;
		if (n->start > last)
			return 0; /* this and all to the right start after it */
		if (n->last >= first) {
			rc = fn(arg, n);
			if (rc)
				return rc;
		}
		n = n->right; /* tail position: loop instead of recursing */
	}
	return 0;
}

int itree_overlaps(struct itree *t, uint64_t first, uint64_t last,
		   itree_fn fn, void *arg)
{
	t->visited = 0;
	return walk(t, t->root, first, last, fn, arg);
}

static int first_point(void *arg, struct itree_node *n)
{
	struct itree_node **out = arg;

	if (n->start == n->last) {
		*out = n;
		return 1;
	}
	return 0;
}

struct itree_node *itree_find_point(struct itree *t, uint64_t key)
{
	struct itree_node *out = NULL;

	itree_overlaps(t, key, key, first_point, &out);
	return out;
}
