/* SPDX-License-Identifier: MIT */
/*
 * test_cmds_fuse.c - `pinfs hold`, `pinfs pins` and `pinfs trace` run as
 * the real program against a real mount: a cooperative holder, an
 * unbreakable lease, a holder that ignores its break (SIGBUS), and the
 * adversarial holder that catches SIGBUS and keeps writing.  Suite 'fuse'
 * (skips like test_client_fuse).
 */
#include "pinfs/pinfs.h"

#include "fuse_util.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

START_TEST(hold_command_acks_a_break)
{
	const char *p = make_file("hold", 65536, 8);
	char out[8192] = "", list[8192] = "";
	size_t len = 0, llen = 0;
	int fd, lfd, st;
	pid_t hold, pins, tr;

	hold = spawn_pinfs(&fd, (char *const[]){ (char *)cf_mnt.bin, "hold",
		"--write", "--lease", "--ack-after", "20", "--signal", "USR1",
		(char *)p, "0", "64K", NULL });
	ck_assert_msg(read_until(fd, out, sizeof(out), &len, "pinned id=",
				 WAIT_MS), "no 'pinned' line: %s", out);

	/* `pinfs pins` shows the holder. */
	pins = spawn_pinfs(&lfd, (char *const[]){ (char *)cf_mnt.bin, "pins",
		"--json", cf_mnt.mnt, NULL });
	read_until(lfd, list, sizeof(list), &llen, "]}", WAIT_MS);
	st = wait_bounded(pins, WAIT_MS);
	close(lfd);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char want[32];
	snprintf(want, sizeof(want), "\"pid\": %d", (int)hold);
	ck_assert_msg(strstr(list, want), "pins --json lacks %s: %s", want,
		      list);

	tr = spawn_truncate(p, 0);
	ck_assert_msg(read_until(fd, out, sizeof(out), &len, "unpinned",
				 WAIT_MS), "no 'unpinned' line: %s", out);
	ck_assert_msg(strstr(out, "break received"), "%s", out);
	ck_assert_msg(strstr(out, "reason=truncate"), "%s", out);
	ck_assert_msg(strstr(out, "lease taken type=breakable signal=SIGUSR1"),
		      "%s", out);
	ck_assert_msg(strstr(out, "signal=SIGUSR1 deadline_in_ms="), "%s", out);
	st = wait_bounded(hold, WAIT_MS);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = wait_bounded(tr, WAIT_MS);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(fd);
}
END_TEST

START_TEST(trace_command_streams_the_pin)
{
	const char *p = make_file("trc", 65536, 11);
	struct pinfs_file *f = NULL;
	struct pinfs_mapping *m = NULL;
	char out[65536] = "", want[64];
	size_t len = 0;
	int fd, st;
	pid_t tr;

	ck_assert_int_eq(pinfs_file_new(p, 0, &f), 0);
	ck_assert_int_eq(pinfs_pin(f, 0, 4096, 0, &m), 0);
	snprintf(want, sizeof(want), "pin=%llu ",
		 (unsigned long long)pinfs_mapping_id(m));
	ck_assert_int_eq(pinfs_unpin(&m), 0);
	tr = spawn_pinfs(&fd, (char *const[]){ (char *)cf_mnt.bin, "trace",
		cf_mnt.mnt, "--all", "--for", "1500", NULL });
	read_until(fd, out, sizeof(out), &len, "\n<never>", 3000);
	st = wait_bounded(tr, WAIT_MS);
	close(fd);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The pin and its release, in that order. */
	char *pin = strstr(out, want), *rel;
	ck_assert_msg(pin, "no %s in: %s", want, out);
	rel = strstr(pin + 1, want);
	ck_assert_msg(rel, "one event only for %s: %s", want, out);
	pinfs_file_delete(&f);
}
END_TEST

START_TEST(adversarial_holder_corrupts_nothing)
{
	/* Ignores the break, catches SIGBUS, keeps writing (kill_grace=0:
	 * never killed).  New files written meanwhile keep their bytes. */
	const char *p = make_file("adv", 262144, 12);
	char out[16384] = "";
	size_t len = 0;
	int fd, st;
	pid_t hold, tr;

	hold = spawn_pinfs(&fd, (char *const[]){ (char *)cf_mnt.bin, "hold",
		"--write", "--lease", "--ignore", "--catch-sigbus", (char *)p,
		"0", "256K", NULL });
	ck_assert_msg(read_until(fd, out, sizeof(out), &len, "synced",
				 WAIT_MS), "holder did not start: %s", out);
	tr = spawn_truncate(p, 0);
	ck_assert_msg(read_until(fd, out, sizeof(out), &len, "SIGBUS caught",
				 WAIT_MS), "no SIGBUS line: %s", out);
	ck_assert_msg(strstr(out, "ignoring the break"), "%s", out);
	st = wait_bounded(tr, WAIT_MS);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* The holder still writes; fill new files and read them back. */
	for (int i = 0; i < 8; i++) {
		char name[16];
		const char *q;
		unsigned char *want = malloc(262144);

		snprintf(name, sizeof(name), "adv-new%d", i);
		q = make_file(name, 262144, 100 + (uint64_t)i);
		usleep(20 * 1000);
		for (size_t k = 0; k < 262144; k++)
			want[k] = pattern_byte(100 + (uint64_t)i, k);
		expect_file_bytes(q, 0, want, 262144);
		free(want);
	}
	ck_assert_int_eq(waitpid(hold, &st, WNOHANG), 0); /* still alive */
	kill(hold, SIGTERM);
	st = wait_bounded(hold, WAIT_MS);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(fd);
}
END_TEST

START_TEST(unbreakable_hold_refuses_truncate)
{
	const char *p = make_file("unbr", 65536, 14);
	char out[8192] = "";
	size_t len = 0;
	int fd, st;
	pid_t hold, tr;

	hold = spawn_pinfs(&fd, (char *const[]){ (char *)cf_mnt.bin, "hold",
		"--unbreakable", (char *)p, "0", "64K", NULL });
	ck_assert_msg(read_until(fd, out, sizeof(out), &len, "pinned id=",
				 WAIT_MS), "no 'pinned' line: %s", out);
	ck_assert_msg(strstr(out, "type=unbreakable"), "%s", out);
	tr = spawn_truncate(p, 0);
	st = wait_bounded(tr, WAIT_MS);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), ETXTBSY);
	ck_assert_int_eq(waitpid(hold, &st, WNOHANG), 0); /* no break */
	kill(hold, SIGINT);
	ck_assert_msg(read_until(fd, out, sizeof(out), &len, "unpinned",
				 WAIT_MS), "%s", out);
	st = wait_bounded(hold, WAIT_MS);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(fd);
	/* Unpinned and the lease gone with the process: truncate works. */
	tr = spawn_truncate(p, 0);
	st = wait_bounded(tr, WAIT_MS);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

START_TEST(holder_ignoring_a_break_dies_of_sigbus)
{
	const char *p = make_file("bus", 65536, 17);
	char out[8192] = "";
	size_t len = 0;
	int fd, st;
	pid_t hold, tr;

	hold = spawn_pinfs(&fd, (char *const[]){ (char *)cf_mnt.bin, "hold",
		"--write", "--lease", "--ignore", (char *)p, "0", "64K", NULL });
	ck_assert_msg(read_until(fd, out, sizeof(out), &len, "synced",
				 WAIT_MS), "holder did not start: %s", out);
	tr = spawn_truncate(p, 0);
	st = wait_bounded(hold, WAIT_MS);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS,
		      "holder status %#x", st);
	read_until(fd, out, sizeof(out), &len, "dying", 1000);
	ck_assert_msg(strstr(out, "SIGBUS received"), "%s", out);
	st = wait_bounded(tr, WAIT_MS);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(fd);
}
END_TEST

static Suite *cmds_fuse_suite(void)
{
	Suite *s = suite_create("cmds-fuse");
	TCase *tc;

#define ADD(name)                                                        \
	do {                                                             \
		tc = tcase_create(#name);                                \
		tcase_set_timeout(tc, 30);                               \
		tcase_add_test(tc, name);                                \
		suite_add_tcase(s, tc);                                  \
	} while (0)
	ADD(hold_command_acks_a_break);
	ADD(trace_command_streams_the_pin);
	ADD(adversarial_holder_corrupts_nothing);
	ADD(unbreakable_hold_refuses_truncate);
	ADD(holder_ignoring_a_break_dies_of_sigbus);
#undef ADD
	return s;
}

int main(void)
{
	return cf_main("test_cmds_fuse", cmds_fuse_suite(), NULL);
}
