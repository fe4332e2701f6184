/* SPDX-License-Identifier: MIT */
/*
 * cmd_hold.c - `pinfs hold`: a pin holder from the shell.
 *
 * Pins a range through libpinfs and prints every event it sees, one line
 * each, stamped with CLOCK_MONOTONIC seconds (the clock of break
 * deadlines and of `pinfs trace`): pinned, lease taken, break received,
 * each break record, SIGBUS, unpinned.  With --write it stores a pattern
 * into the whole mapping, pass after pass, as a DMA engine would, until it
 * unpins.  The policy knobs (--ack-after, --ignore, --catch-sigbus) let a
 * user try every revocation policy without writing C.
 */
#include "cli.h"
#include "size.h"

#include "pinfs/pinfs.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define HOLD_NEVER (-1)

struct hold_opts {
	bool write, lease, unbreakable, ignore, catch_sigbus;
	int ack_after_ms; /* after a break; default 0 */
	int for_ms;       /* unpin after this long anyway; HOLD_NEVER */
	int signo;
	const char *path;
	uint64_t off, len;
};

static void hold_usage(FILE *out)
{
	fprintf(out,
		"Usage: pinfs hold [OPTIONS] FILE OFFSET LENGTH\n"
		"\n"
		"Pin LENGTH bytes of FILE (on a pinfs mount) at OFFSET, map them\n"
		"and print each event with a CLOCK_MONOTONIC timestamp.  On a break\n"
		"it unpins (after --ack-after) and exits.  Sizes take K, M, G.\n"
		"\n"
		"  -w, --write         write pin; keep storing a pattern into the\n"
		"                      whole range until unpinned\n"
		"  -l, --lease         take a breakable lease first\n"
		"  -u, --unbreakable   take an unbreakable lease (implies --lease)\n"
		"  -a, --ack-after MS  unpin MS milliseconds after a break (0)\n"
		"  -i, --ignore        never unpin on a break\n"
		"  -b, --catch-sigbus  survive SIGBUS and keep going\n"
		"  -s, --signal SIG    break signal: number or name (SIGIO)\n"
		"  -t, --for MS        unpin after MS milliseconds in any case\n"
		"  -h, --help          show this help\n"
		"\n"
		"SIGINT or SIGTERM unpins (not with --ignore) and exits.\n"
		"Exit status: 0 unpinned, 1 failure, 2 usage error.\n");
}

/* ---- timestamps and events ---------------------------------------------- */

static void stamp(char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, len, "%lld.%06ld", (long long)ts.tv_sec,
		 ts.tv_nsec / 1000);
}

__attribute__((format(printf, 1, 2)))
static void event(const char *fmt, ...)
{
	char ts[32];
	va_list ap;

	stamp(ts, sizeof(ts));
	printf("%s ", ts);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* ---- SIGBUS --------------------------------------------------------------- */

static atomic_int sigbus_count;
static atomic_int sigbus_fault; /* a real fault, not kill(2) */
static bool sigbus_catch;
static sigjmp_buf sigbus_jmp;
static volatile sig_atomic_t sigbus_jmp_ok;

/* Async-signal-safe "<mono> SIGBUS ...\n" straight to stdout. */
static void sigbus_note(const char *what)
{
	struct timespec ts;
	char buf[96], num[24];
	size_t n = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (int pass = 0; pass < 2; pass++) {
		long long v = pass ? ts.tv_nsec / 1000 : (long long)ts.tv_sec;
		int k = 0, width = pass ? 6 : 1;

		do {
			num[k++] = (char)('0' + v % 10);
			v /= 10;
		} while (v || k < width);
		while (k)
			buf[n++] = num[--k];
		buf[n++] = pass ? ' ' : '.';
	}
	for (const char *s = what; *s && n < sizeof(buf) - 1; s++)
		buf[n++] = *s;
	buf[n++] = '\n';
	(void)!write(STDOUT_FILENO, buf, n);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	bool sent = si && si->si_code <= 0; /* SI_USER, SI_QUEUE, SI_TKILL */

	(void)uc;
	if (!sigbus_catch) {
		sigbus_note("SIGBUS received: not caught, dying");
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	atomic_fetch_add(&sigbus_count, 1);
	if (!sent) {
		/* A real fault would repeat forever: leave the pass. */
		atomic_fetch_add(&sigbus_fault, 1);
		if (sigbus_jmp_ok)
			siglongjmp(sigbus_jmp, 1);
		signal(sig, SIG_DFL);
		return;
	}
}

static int install_sigbus(bool catch)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigbus_catch = catch;
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) < 0 ? -errno : 0;
}

/* "SIGIO" rather than glibc's first name for 29, "SIGPOLL". */
static const char *sig_name(int signo, char *buf, size_t len)
{
	const char *a = signo == SIGIO ? "IO" : sigabbrev_np(signo);

	if (a)
		snprintf(buf, len, "SIG%s", a);
	else
		snprintf(buf, len, "%d", signo);
	return buf;
}

/* ---- options ---------------------------------------------------------- */

static int parse_signal(const char *s, int *out)
{
	uint64_t v;

	if (num_parse(s, (uint64_t)NSIG - 1, &v) == 0 && v > 0) {
		*out = (int)v;
		return 0;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *abbrev = sigabbrev_np(i);

		if (abbrev && !strcasecmp(s, abbrev)) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_ms(const char *s, int *out)
{
	uint64_t v;

	if (num_parse(s, 86400000u, &v) < 0)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int hold_parse(int argc, char **argv, struct hold_opts *o)
{
	static const struct option longopts[] = {
		{ "write", no_argument, NULL, 'w' },
		{ "lease", no_argument, NULL, 'l' },
		{ "unbreakable", no_argument, NULL, 'u' },
		{ "ack-after", required_argument, NULL, 'a' },
		{ "ignore", no_argument, NULL, 'i' },
		{ "catch-sigbus", no_argument, NULL, 'b' },
		{ "signal", required_argument, NULL, 's' },
		{ "for", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct hold_opts){ .signo = SIGIO, .for_ms = HOLD_NEVER };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+wlua:ibs:t:h", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'w': o->write = true; break;
		case 'l': o->lease = true; break;
		case 'u': o->lease = o->unbreakable = true; break;
		case 'i': o->ignore = true; break;
		case 'b': o->catch_sigbus = true; break;
		case 'a':
			if (parse_ms(optarg, &o->ack_after_ms) < 0) {
				cli_err("hold", "bad --ack-after: '%s'", optarg);
				return CLI_USAGE;
			}
			break;
		case 't':
			if (parse_ms(optarg, &o->for_ms) < 0) {
				cli_err("hold", "bad --for: '%s'", optarg);
				return CLI_USAGE;
			}
			break;
		case 's':
			if (parse_signal(optarg, &o->signo) < 0 ||
			    o->signo == SIGKILL || o->signo == SIGSTOP ||
			    o->signo == SIGBUS) {
				cli_err("hold", "bad --signal: '%s'", optarg);
				return CLI_USAGE;
			}
			break;
		case 'h':
			hold_usage(stdout);
			return -1;
		default:
			cli_err("hold", "unknown option '%s'",
				argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (argc - optind != 3) {
		cli_err("hold", "expected FILE OFFSET LENGTH");
		return CLI_USAGE;
	}
	o->path = argv[optind];
	if (size_parse(argv[optind + 1], &o->off) < 0) {
		cli_err("hold", "bad OFFSET: '%s'", argv[optind + 1]);
		return CLI_USAGE;
	}
	if (size_parse(argv[optind + 2], &o->len) < 0 || o->len == 0) {
		cli_err("hold", "bad LENGTH: '%s'", argv[optind + 2]);
		return CLI_USAGE;
	}
	if (o->off + o->len < o->off) {
		cli_err("hold", "OFFSET + LENGTH overflows");
		return CLI_USAGE;
	}
	if (o->ignore && o->ack_after_ms) {
		cli_err("hold", "--ignore and --ack-after exclude each other");
		return CLI_USAGE;
	}
	return 0;
}

/* ---- the holder ------------------------------------------------------- */

static const char *reason_name(uint32_t r)
{
	static const char *const names[] = { "none", "truncate", "punch",
					     "zero-range", "cow", "clone-dest",
					     "move" };

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

static const char *state_name(uint32_t s)
{
	static const char *const names[] = { "?", "active", "breaking",
					     "revoked", "quarantined" };

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Print the pending break records; returns how many. */
static int report_breaks(struct pinfs_file *f, const char *via)
{
	struct pinfs_break_rec rec[32];
	struct timespec now;
	char sb[24];
	int n = pinfs_breaks_read(f, rec, 32);

	if (n < 0) {
		event("break records unreadable: %s", strerror(-n));
		return 0;
	}
	event("break received via %s: %d record%s", via, n, n == 1 ? "" : "s");
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t now_ns = (uint64_t)now.tv_sec * 1000000000u +
			  (uint64_t)now.tv_nsec;
	for (int i = 0; i < n; i++) {
		const struct pinfs_break_rec *b = &rec[i];
		double left = b->deadline_ns ? ((double)b->deadline_ns -
						(double)now_ns) / 1e6 : 0;

		event("break pin=%" PRIu64 " ino=%" PRIu64 " off=%" PRIu64
		      " len=%" PRIu64 " reason=%s state=%s signal=%s "
		      "deadline_in_ms=%.3f",
		      b->pin_id, b->ino, b->off, b->len, reason_name(b->reason),
		      state_name(b->state), sig_name((int)b->signo, sb, sizeof(sb)),
		      left);
	}
	return n;
}

/* One pass of the pattern over the mapping ("DMA engine"). */
static void store_pass(char *p, uint64_t len, uint64_t pass)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "pinfs hold %d pass %" PRIu64,
			 (int)getpid(), pass);

	memset(line + n, '.', sizeof(line) - (size_t)n - 1);
	line[sizeof(line) - 1] = '\n';
	for (uint64_t i = 0; i < len; i += sizeof(line)) {
		uint64_t k = len - i < sizeof(line) ? len - i : sizeof(line);

		memcpy(p + i, line, (size_t)k);
	}
}

/* A pass that a real SIGBUS fault abandons (sigsetjmp kept apart from
 * the loop's locals). */
static void guarded_pass(struct pinfs_mapping *m, uint64_t pass)
{
	sigbus_jmp_ok = 0;
	if (sigsetjmp(sigbus_jmp, 1) == 0) {
		sigbus_jmp_ok = 1;
		store_pass(pinfs_mapping_addr(m), pinfs_mapping_len(m), pass);
	}
	sigbus_jmp_ok = 0;
}

static int open_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* A mapping left pinned on purpose (--ignore) when the command returns. */
static struct pinfs_mapping *volatile hold_kept;

static int do_unpin(struct pinfs_mapping **m, const char *why)
{
	int r = pinfs_unpin(m);

	if (r == 0)
		event("unpinned (%s)", why);
	else
		event("unpin (%s) failed: %s", why, strerror(-r));
	return r == 0 || r == -ENOENT ? CLI_OK : CLI_FAIL;
}

static int hold_loop(struct hold_opts *o, struct pinfs_file *f,
		     struct pinfs_mapping *m, int sfd)
{
	int64_t start = mono_ms(), unpin_at = -1;
	bool watch_pri = true, synced = false, acking = false;
	int seen_bus = 0;
	uint64_t pass = 0;

	if (o->for_ms != HOLD_NEVER)
		unpin_at = start + o->for_ms;
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = pinfs_break_fd(f), .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = watch_pri ? pinfs_file_fd(f) : -1,
			  .events = POLLPRI },
		};
		int timeout = o->write ? 1 : 100;
		int64_t now = mono_ms();

		if (unpin_at >= 0 && now >= unpin_at)
			return do_unpin(&m, acking ? "acknowledging the break"
						   : "--for elapsed");
		if (unpin_at >= 0 && unpin_at - now < timeout)
			timeout = (int)(unpin_at - now);
		if (poll(pfd, 3, timeout) < 0 && errno != EINTR) {
			event("poll failed: %s", strerror(errno));
			pinfs_unpin(&m);
			return CLI_FAIL;
		}
		int bus = atomic_load(&sigbus_count);
		if (bus != seen_bus) {
			event("SIGBUS caught (%d so far%s), going on", bus,
			      atomic_load(&sigbus_fault) ? ", a real fault" : "");
			seen_bus = bus;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			char sb[24];

			(void)!read(sfd, &si, sizeof(si));
			event("%s received",
			      sig_name((int)si.ssi_signo, sb, sizeof(sb)));
			if (o->ignore) {
				event("exiting without unpinning (--ignore)");
				/* The pin lives until this process is gone:
				 * keep the mapping reachable till then. */
				hold_kept = m;
				return CLI_OK;
			}
			return do_unpin(&m, "interrupted");
		}
		bool brk = pfd[0].revents & POLLIN;
		bool pri = pfd[2].revents & POLLPRI;
		if (brk || pri) {
			int n = report_breaks(f, brk ? "signal" : "POLLPRI");

			/* POLLPRI stays up while a break is pending: after
			 * the first, rely on the signal alone. */
			watch_pri = false;
			if (n == 0 && !pinfs_mapping_broken(m)) {
				/* nothing for us */
			} else if (o->ignore) {
				event("ignoring the break (--ignore)");
			} else if (!acking) {
				int64_t at = mono_ms() + o->ack_after_ms;

				if (unpin_at < 0 || at < unpin_at)
					unpin_at = at;
				acking = true;
			}
		}
		if (o->write) {
			guarded_pass(m, pass++);
			if (!synced) {
				int r = pinfs_sync(m, 0, 0);

				if (r < 0)
					event("sync failed: %s", strerror(-r));
				else
					event("wrote pass 0 and synced");
				synced = true;
			}
		}
	}
}

static int hold_run(struct hold_opts *o)
{
	struct pinfs_file *f = NULL;
	struct pinfs_mapping *m = NULL;
	int r, sfd, ret = CLI_FAIL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	r = pinfs_file_new(o->path, o->write ? PINFS_OPEN_WRITE : 0, &f);
	if (r < 0) {
		cli_err("hold", "%s: %s", o->path, r == -ENOTTY
			? "not a file on a pinfs mount" : strerror(-r));
		return CLI_FAIL;
	}
	sfd = open_signalfd();
	if (sfd < 0 || install_sigbus(o->catch_sigbus) < 0 ||
	    pinfs_signal_install(o->signo) < 0) {
		cli_err("hold", "cannot set up signals: %s",
			strerror(sfd < 0 ? -sfd : errno));
		goto out_file;
	}
	if (o->lease) {
		enum pinfs_lease_type t = o->unbreakable
			? PINFS_LEASE_UNBREAKABLE : PINFS_LEASE_BREAKABLE;

		r = pinfs_lease_set(f, t, 0, 0, o->signo);
		if (r < 0) {
			cli_err("hold", "lease: %s", strerror(-r));
			goto out_sfd;
		}
		char sb[24];

		event("lease taken type=%s signal=%s",
		      o->unbreakable ? "unbreakable" : "breakable",
		      sig_name(o->signo, sb, sizeof(sb)));
	}
	r = pinfs_pin(f, o->off, o->len, o->write ? PINFS_PIN_WRITE : 0, &m);
	if (r < 0) {
		cli_err("hold", "pin: %s", strerror(-r));
		goto out_sfd;
	}
	unsigned fl = pinfs_mapping_flags(m);
	event("pinned id=%" PRIu64 " off=%" PRIu64 " len=%" PRIu64
	      " mode=%s%s%s pid=%d", pinfs_mapping_id(m), o->off, o->len,
	      o->write ? "write" : "read",
	      (fl & PINFS_PIN_LEASED) ? " leased" : "",
	      (fl & PINFS_PIN_IMPLICIT) ? " implicit-lease" : "",
	      (int)getpid());
	ret = hold_loop(o, f, m, sfd);
out_sfd:
	if (sfd >= 0)
		close(sfd);
out_file:
	pinfs_file_delete(&f);
	return ret;
}

int cmd_hold(int argc, char **argv); /* listed in cli.h by its owner */

int cmd_hold(int argc, char **argv)
{
	struct hold_opts o;
	int r = hold_parse(argc, argv, &o);

	if (r < 0)
		return CLI_OK; /* --help */
	if (r > 0)
		return r;
	return hold_run(&o);
}
