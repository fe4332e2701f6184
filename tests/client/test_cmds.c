/* SPDX-License-Identifier: MIT */
/*
 * test_cmds.c - `pinfs hold` and `pinfs pins` without a mount: every bad
 * command line is a usage error (2) with nothing done, and files or
 * directories that are not on pinfs fail (1) with a clear message.  The
 * real-mount behaviour is in test_client_fuse.c.  Suite 'unit'.
 *
 * The commands are linked here without fusefs/main.c, so this file
 * supplies the two helpers of cli.h the way main.c defines them.
 */
#include "../../fusefs/cli.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_hold(int argc, char **argv);
int cmd_pins(int argc, char **argv);
int cmd_trace(int argc, char **argv);

static int run(int (*fn)(int, char **), char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return fn(argc, argv);
}

#define RUN(fn, ...) run(fn, (char *[]){ __VA_ARGS__, NULL })

START_TEST(hold_usage_errors)
{
	ck_assert_int_eq(RUN(cmd_hold, "hold"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "/f", "0"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "/f", "0", "4096", "x"),
			 CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "--bogus", "/f", "0", "1"),
			 CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "/f", "-1", "4096"),
			 CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "/f", "0", "0"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "/f", "0", "12Q"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "/f", "16E", "16E"),
			 CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "/f", "18446744073709551615",
			     "2"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "--ack-after", "soon", "/f",
			     "0", "1"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "--ack-after", "-5", "/f",
			     "0", "1"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "--for", "1e3", "/f", "0",
			     "1"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "--signal", "SIGNOPE", "/f",
			     "0", "1"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "--signal", "KILL", "/f",
			     "0", "1"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "--signal", "999", "/f",
			     "0", "1"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "--ignore", "--ack-after",
			     "5", "/f", "0", "1"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "--help"), CLI_OK);
}
END_TEST

START_TEST(hold_refuses_files_off_pinfs)
{
	ck_assert_int_eq(RUN(cmd_hold, "hold", "/nonexistent/f", "0", "4K"),
			 CLI_FAIL);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "--signal", "USR1",
			     "/dev/null", "0", "4K"), CLI_FAIL);
	ck_assert_int_eq(RUN(cmd_hold, "hold", "--write", "--lease",
			     "/dev/null", "0", "4K"), CLI_FAIL);
}
END_TEST

START_TEST(pins_usage_and_refusals)
{
	ck_assert_int_eq(RUN(cmd_pins, "pins"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_pins, "pins", "/a", "/b"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_pins, "pins", "--yaml", "/"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_pins, "pins", "--help"), CLI_OK);
	ck_assert_int_eq(RUN(cmd_pins, "pins", "/nonexistent"), CLI_FAIL);
	ck_assert_int_eq(RUN(cmd_pins, "pins", "/dev/null"), CLI_FAIL);
	ck_assert_int_eq(RUN(cmd_pins, "pins", "--json", "/dev/shm"),
			 CLI_FAIL);
}
END_TEST

START_TEST(trace_usage_and_refusals)
{
	ck_assert_int_eq(RUN(cmd_trace, "trace"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_trace, "trace", "/a", "/b"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_trace, "trace", "--count", "0", "/"),
			 CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_trace, "trace", "--count", "x", "/"),
			 CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_trace, "trace", "--for", "-1", "/"),
			 CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_trace, "trace", "--bogus", "/"), CLI_USAGE);
	ck_assert_int_eq(RUN(cmd_trace, "trace", "--help"), CLI_OK);
	ck_assert_int_eq(RUN(cmd_trace, "trace", "/nonexistent"), CLI_FAIL);
	ck_assert_int_eq(RUN(cmd_trace, "trace", "/dev/shm"), CLI_FAIL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cmds");
	TCase *tc = tcase_create("cmds");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, hold_usage_errors);
	tcase_add_test(tc, hold_refuses_files_off_pinfs);
	tcase_add_test(tc, pins_usage_and_refusals);
	tcase_add_test(tc, trace_usage_and_refusals);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
