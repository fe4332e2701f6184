/* SPDX-License-Identifier: MIT */
/*
 * gate.c - the store's gate: before a layout change of a range, decide
 * per the policy what each overlapping pin means for it.
 *
 * Runs with the store's locks held: it takes only pt->lock, allocates at
 * most the scratch array, and leaves every signal and notification to
 * the revoke engine (woken through its eventfd, which never blocks).
 * Decisions are made for all pins first; only if none denies are they
 * applied, so a denied change starts no break (invariant 3).
 */
#include <errno.h>
#include <stdlib.h>

#include "pin_impl.h"

/* The store's changes, the break reasons and the policy API's changes
 * are one numbering. */
_Static_assert((int)STORE_CHANGE_TRUNCATE == (int)PINFS_REASON_TRUNCATE &&
	       (int)STORE_CHANGE_PUNCH == (int)PINFS_REASON_PUNCH &&
	       (int)STORE_CHANGE_ZERO == (int)PINFS_REASON_ZERO &&
	       (int)STORE_CHANGE_COW == (int)PINFS_REASON_COW &&
	       (int)STORE_CHANGE_CLONE_DEST == (int)PINFS_REASON_CLONE_DEST &&
	       (int)STORE_CHANGE_MOVE == (int)PINFS_REASON_MOVE, "change numbering");
_Static_assert((int)PINFS_CHANGE_TRUNCATE == (int)PINFS_REASON_TRUNCATE &&
	       (int)PINFS_CHANGE_PUNCH == (int)PINFS_REASON_PUNCH &&
	       (int)PINFS_CHANGE_ZERO == (int)PINFS_REASON_ZERO &&
	       (int)PINFS_CHANGE_COW == (int)PINFS_REASON_COW &&
	       (int)PINFS_CHANGE_CLONE_DEST == (int)PINFS_REASON_CLONE_DEST &&
	       (int)PINFS_CHANGE_MOVE == (int)PINFS_REASON_MOVE, "change numbering");

/*
 * A policy's answer as the gate applies it.  BREAK for a pin without a
 * lease is REVOKE, as the built-in `break` does: with no lease there is
 * no signal the holder chose, nor a promise to be told and waited for,
 * so a plugin's BREAK means the same as the built-in's for that pin.
 * An answer outside enum pinfs_policy_action (a plugin bug) fails safe:
 * DENY, the change fails and nothing is revoked.
 */
static int pin_act_fixup(int act, const struct pinfs_policy_pin *desc)
{
	switch (act) {
	case PINFS_ACT_BREAK:
		return (desc->flags & PINFS_POLICY_PIN_LEASED) ? act
							       : PINFS_ACT_REVOKE;
	case PINFS_ACT_IGNORE:
	case PINFS_ACT_DENY:
	case PINFS_ACT_REVOKE:
	case PINFS_ACT_QUARANTINE:
		return act;
	default:
		return PINFS_ACT_DENY;
	}
}

static int gather(void *arg, struct itree_node *n)
{
	struct pin_table *pt = arg;
	struct pin_range **v;
	uint32_t cap;

	if (pt->nscratch == pt->scratch_cap) {
		cap = pt->scratch_cap ? pt->scratch_cap * 2 : 64;
		v = realloc(pt->scratch, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		pt->scratch = v;
		pt->scratch_cap = cap;
	}
	pt->scratch[pt->nscratch++] = itree_entry(n, struct pin_range, node);
	return 0;
}

static void note_break(struct pin *p, uint64_t first, uint64_t last,
		       enum store_change why)
{
	uint64_t a = first > p->off ? first : p->off;
	uint64_t pl = p->off + p->len - 1;
	uint64_t b = last < pl ? last : pl;

	p->brk_reason = (uint32_t)why;
	p->brk_off = a;
	p->brk_len = b - a + 1;
}

static void apply(struct pin_table *pt, struct pin *p, uint64_t first,
		  uint64_t last, enum store_change why, uint64_t now)
{
	uint64_t grace = pt->opt.kill_grace_ms * NS_PER_MS;

	note_break(p, first, last, why);
	switch (p->act) {
	case PINFS_ACT_BREAK:
		p->state = PINFS_STATE_BREAKING;
		p->deadline_ns = now + pt->opt.lease_break_ms * NS_PER_MS;
		pin_deadline_add_locked(pt, p->deadline_ns, p->id);
		pin_queue_work_locked(pt, p, PIN_PEND_BREAK);
		break;
	case PINFS_ACT_REVOKE:
		p->state = PINFS_STATE_REVOKED;
		p->deadline_ns = now;
		if (grace) {
			p->kill_ns = now + grace;
			pin_deadline_add_locked(pt, p->kill_ns, p->id);
		}
		pin_queue_work_locked(pt, p, PIN_PEND_SIGBUS);
		break;
	case PINFS_ACT_QUARANTINE:
		p->state = PINFS_STATE_QUARANTINED;
		p->deadline_ns = 0;
		pin_queue_work_locked(pt, p, PIN_PEND_QUAR);
		pin_trace_emit(pt->trace, PIN_TR_QUARANTINE, p->id, p->ino,
			       p->brk_off, p->brk_len, p->holder->pid, why);
		break;
	default:
		break;
	}
}

/* What the last -EAGAIN of the gate on this thread was about, so that the
 * daemon can wait for exactly that range (pin_wait_last). */
static __thread struct {
	struct pin_table *pt;
	uint64_t ino, off, len;
	enum store_change why;
} last_again;

int pin_wait_last(struct pin_table *pt, pin_done_fn done, void *arg,
		  uint64_t *handle)
{
	int rc;

	if (last_again.pt != pt)
		return -EINVAL;
	rc = pin_wait(pt, last_again.ino, last_again.off, last_again.len,
		      last_again.why, done, arg, handle);
	last_again.pt = NULL;
	return rc;
}

int pin_gate(void *arg, uint64_t ino, uint64_t off, uint64_t len,
	     enum store_change why)
{
	struct pinfs_policy_change_desc chg = {
		.ino = ino, .off = off, .len = len, .why = (uint32_t)why,
	};
	struct pin_table *pt = arg;
	struct pinfs_policy_pin desc;
	struct pin_policy *pol;
	struct pin_inode *in;
	struct itree_node *n;
	bool deny = false, wait = false, work = false;
	uint64_t last, now;
	uint32_t i;
	int rc;

	if (len == 0)
		return 0;
	last = off + len - 1 < off ? UINT64_MAX : off + len - 1;
	pthread_mutex_lock(&pt->lock);
	n = itree_find_point(&pt->inodes, ino);
	if (!n) {
		pthread_mutex_unlock(&pt->lock);
		return 0;
	}
	in = itree_entry(n, struct pin_inode, node);
	pol = pin_policy_of_locked(pt, in);
	pt->nscratch = 0;
	rc = itree_overlaps(&in->ranges, off, last, gather, pt);
	if (rc) {
		pthread_mutex_unlock(&pt->lock);
		return rc;
	}
	for (i = 0; i < pt->nscratch; i++) {
		struct pin_range *r = pt->scratch[i];
		struct pin *p;

		if (r->kind == PIN_KIND_LEASE) {
			struct pin_file *f = itree_entry(r, struct pin_file,
							 lease);
			if (f->type == PINFS_LEASE_UNBREAKABLE) {
				deny = true;
				pin_trace_emit(pt->trace, PIN_TR_CONFLICT, 0,
					       ino, off, len, f->holder->pid,
					       why);
			}
			continue;
		}
		p = (struct pin *)r;
		p->act = PINFS_ACT_IGNORE;
		if (p->state == PINFS_STATE_BREAKING) {
			wait = true;
			continue;
		}
		if (p->state != PINFS_STATE_ACTIVE)
			continue;
		pin_policy_desc(pt, p, &desc);
		p->act = pol->ops->on_conflict(pol->state, &chg, &desc);
		p->act = pin_act_fixup(p->act, &desc);
		pin_trace_emit(pt->trace, PIN_TR_CONFLICT, p->id, ino, off, len,
			       p->holder->pid, why);
		if (p->act == PINFS_ACT_DENY)
			deny = true;
	}
	if (deny) {
		rc = (pt->opt.flags & PIN_OPT_DENY_EBUSY) ? -EBUSY : -ETXTBSY;
		pin_trace_emit(pt->trace, PIN_TR_DENY, 0, ino, off, len, 0, rc);
		pthread_mutex_unlock(&pt->lock);
		return rc;
	}
	now = pin_now_ns();
	for (i = 0; i < pt->nscratch; i++) {
		struct pin *p;

		if (pt->scratch[i]->kind != PIN_KIND_PIN)
			continue;
		p = (struct pin *)pt->scratch[i];
		if (p->state != PINFS_STATE_ACTIVE ||
		    p->act == PINFS_ACT_IGNORE)
			continue;
		apply(pt, p, off, last, why, now);
		work = true;
		if (p->act == PINFS_ACT_BREAK)
			wait = true;
	}
	if (!wait)
		in->gen++; /* the change goes ahead: pins in the making retry */
	pthread_mutex_unlock(&pt->lock);
	if (work)
		pin_engine_kick(pt);
	if (!wait)
		return 0;
	last_again.pt = pt;
	last_again.ino = ino;
	last_again.off = off;
	last_again.len = last - off + 1 ? last - off + 1 : UINT64_MAX;
	last_again.why = why;
	return -EAGAIN;
}
