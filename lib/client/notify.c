/* SPDX-License-Identifier: MIT */
/*
 * notify.c - learning of breaks: the signal handler helper, the per-file
 * break eventfds and the break records.
 *
 * The handler may run in any thread at any moment, so it reads only
 * process-wide tables of lock-free atomics and calls only write(2).  A
 * slot is torn down by clearing it and then waiting until no handler is
 * running (in_handler == 0), so the handler never writes to a descriptor
 * number that was closed and reused.
 */
#include "client.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#if ATOMIC_LLONG_LOCK_FREE != 2 || ATOMIC_INT_LOCK_FREE != 2
#error "the signal handler needs lock-free 64-bit atomics"
#endif

#define PIN_SLOTS 4096
#define FILE_SLOTS 1024

struct pin_slot {
	atomic_int used;      /* 0 free, 1 taken */
	_Atomic uint64_t pin_id; /* 0 while being set up or torn down */
	atomic_int efd;
	atomic_bool broken;
};

static struct pin_slot pin_slots[PIN_SLOTS];
static atomic_int pin_hwm;   /* slots at and above are unused */
static atomic_int file_slots[FILE_SLOTS]; /* eventfd + 1; 0 = free */
static atomic_int file_hwm;
static atomic_int in_handler;

static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction old_act[NSIG];
static bool installed[NSIG];

static void wait_handlers(void)
{
	while (atomic_load(&in_handler) != 0)
		sched_yield();
}

static void raise_hwm(atomic_int *hwm, int slot)
{
	int h = atomic_load(hwm);

	while (h <= slot && !atomic_compare_exchange_weak(hwm, &h, slot + 1))
		;
}

int cl_note_file_add(int efd)
{
	for (int i = 0; i < FILE_SLOTS; i++) {
		int zero = 0;

		if (atomic_compare_exchange_strong(&file_slots[i], &zero,
						   efd + 1)) {
			raise_hwm(&file_hwm, i);
			return i;
		}
	}
	return -1;
}

void cl_note_file_del(int slot)
{
	if (slot < 0)
		return;
	atomic_store(&file_slots[slot], 0);
	wait_handlers();
}

int cl_note_pin_add(uint64_t pin_id, int efd)
{
	for (int i = 0; i < PIN_SLOTS; i++) {
		struct pin_slot *s = &pin_slots[i];
		int zero = 0;

		if (!atomic_compare_exchange_strong(&s->used, &zero, 1))
			continue;
		atomic_store(&s->broken, false);
		atomic_store(&s->efd, efd);
		atomic_store(&s->pin_id, pin_id);
		raise_hwm(&pin_hwm, i);
		return i;
	}
	return -1;
}

void cl_note_pin_del(int slot)
{
	if (slot < 0)
		return;
	atomic_store(&pin_slots[slot].pin_id, 0);
	wait_handlers();
	atomic_store(&pin_slots[slot].efd, -1);
	atomic_store(&pin_slots[slot].used, 0);
}

bool cl_note_pin_broken(int slot)
{
	return atomic_load(&pin_slots[slot].broken);
}

void cl_note_mark_broken(uint64_t pin_id)
{
	int n = atomic_load(&pin_hwm);

	for (int i = 0; i < n; i++)
		if (pin_id && atomic_load(&pin_slots[i].pin_id) == pin_id)
			atomic_store(&pin_slots[i].broken, true);
}

static void poke(int efd)
{
	uint64_t one = 1;

	/* EAGAIN (counter full) still leaves it readable. */
	(void)!write(efd, &one, sizeof(one));
}

static void wake_all_files(void)
{
	int n = atomic_load(&file_hwm);

	for (int i = 0; i < n; i++) {
		int v = atomic_load(&file_slots[i]);

		if (v > 0)
			poke(v - 1);
	}
}

/* A break for @pin_id: mark and wake its mappings, else every file. */
static void deliver(uint64_t pin_id)
{
	int n = atomic_load(&pin_hwm);
	bool hit = false;

	for (int i = 0; i < n && pin_id; i++) {
		struct pin_slot *s = &pin_slots[i];

		if (atomic_load(&s->pin_id) != pin_id)
			continue;
		atomic_store(&s->broken, true);
		int efd = atomic_load(&s->efd);
		if (efd >= 0)
			poke(efd);
		hit = true;
	}
	if (!hit)
		wake_all_files();
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	atomic_fetch_add(&in_handler, 1);
	if (si && si->si_code == SI_QUEUE) {
		deliver((uint64_t)(uintptr_t)si->si_value.sival_ptr);
	} else {
		const struct sigaction *o = &old_act[sig];

		if (o->sa_flags & SA_SIGINFO)
			o->sa_sigaction(sig, si, uc);
		else if (o->sa_handler != SIG_DFL && o->sa_handler != SIG_IGN)
			o->sa_handler(sig);
		else
			wake_all_files(); /* kill(2)-style break: no pin id */
	}
	atomic_fetch_sub(&in_handler, 1);
	errno = saved;
}

static bool catchable(int signo)
{
	return signo > 0 && signo < NSIG && signo != SIGKILL &&
	       signo != SIGSTOP;
}

int pinfs_signal_install(int signo)
{
	struct sigaction sa;
	int r = 0;

	if (signo == 0)
		signo = SIGIO;
	if (!catchable(signo))
		return -EINVAL;
	pthread_mutex_lock(&sig_lock);
	if (installed[signo])
		goto out_unlock;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	/* Read the old action first: the handler may chain to it at once. */
	if (sigaction(signo, NULL, &old_act[signo]) < 0 ||
	    sigaction(signo, &sa, NULL) < 0) {
		r = -errno;
		goto out_unlock;
	}
	installed[signo] = true;
out_unlock:
	pthread_mutex_unlock(&sig_lock);
	return r;
}

int pinfs_signal_uninstall(int signo)
{
	int r = 0;

	if (signo == 0)
		signo = SIGIO;
	if (!catchable(signo))
		return -EINVAL;
	pthread_mutex_lock(&sig_lock);
	if (!installed[signo]) {
		r = -ENOENT;
		goto out_unlock;
	}
	if (sigaction(signo, &old_act[signo], NULL) < 0) {
		r = -errno;
		goto out_unlock;
	}
	installed[signo] = false;
out_unlock:
	pthread_mutex_unlock(&sig_lock);
	return r;
}

int pinfs_break_fd(const struct pinfs_file *f)
{
	return f ? f->break_fd : -EINVAL;
}

int pinfs_breaks_read(struct pinfs_file *f, struct pinfs_break_rec *recs,
		      unsigned max)
{
	struct pinfs_breaks *b;
	uint64_t drain;
	unsigned got = 0;
	int r = 0;

	if (!f || (!recs && max))
		return -EINVAL;
	/* Drain first: a break arriving after the ioctl wakes us again. */
	(void)!read(f->break_fd, &drain, sizeof(drain));
	b = malloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	do {
		memset(b, 0, sizeof(*b)); /* all of it: the kernel copies it in */
		b->abi_version = PINFS_ABI_VERSION;
		b->first = got;
		if (ioctl(f->fd, PINFS_IOC_BREAKS, b) < 0) {
			r = -errno;
			break;
		}
		if (b->count > PINFS_BREAKS_MAX) {
			r = -EIO;
			break;
		}
		for (uint32_t i = 0; i < b->count; i++) {
			cl_note_mark_broken(b->rec[i].pin_id);
			if (got < max)
				recs[got++] = b->rec[i];
		}
		if (b->count == 0)
			break;
	} while (got < max && got < b->total);
	free(b);
	return r < 0 ? r : (int)got;
}
