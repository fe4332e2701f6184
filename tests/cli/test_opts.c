/* SPDX-License-Identifier: MIT */
/*
 * test_opts.c - unit tests of the command line's size and mount-option
 * parsing (fusefs/size.c, fusefs/mount_opts.c).
 */
#include "mount_opts.h"
#include "size.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(size_good)
{
	uint64_t v;

	ck_assert_int_eq(size_parse("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(size_parse("64M", &v), 0);
	ck_assert_uint_eq(v, 64ull << 20);
	ck_assert_int_eq(size_parse("1g", &v), 0);
	ck_assert_uint_eq(v, 1ull << 30);
	ck_assert_int_eq(size_parse("1T", &v), 0);
	ck_assert_uint_eq(v, 1ull << 40);
	ck_assert_int_eq(size_parse("512KiB", &v), 0);
	ck_assert_uint_eq(v, 512ull << 10);
	ck_assert_int_eq(size_parse("2GB", &v), 0);
	ck_assert_uint_eq(v, 2ull << 30);
}
END_TEST

START_TEST(size_bad)
{
	static const char *const bad[] = {
		"", "M", "-1", "+5", "1.5G", "1 G", "1X", "1MM", "1Mi", "0x10",
		"12abc", " 1", "1G ", "1KB2",
	};
	uint64_t v = 77;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(size_parse(bad[i], &v) == -EINVAL,
			      "'%s' was accepted", bad[i]);
		ck_assert_uint_eq(v, 77);
	}
	ck_assert_int_eq(size_parse(NULL, &v), -EINVAL);
}
END_TEST

START_TEST(size_overflow)
{
	uint64_t v;

	ck_assert_int_eq(size_parse("18446744073709551616", &v), -ERANGE);
	ck_assert_int_eq(size_parse("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(size_parse("16777216T", &v), -ERANGE);
	ck_assert_int_eq(size_parse("16777215T", &v), 0);
	ck_assert_int_eq(size_parse("99999999999P", &v), -ERANGE);
}
END_TEST

START_TEST(num_limits)
{
	uint64_t v;

	ck_assert_int_eq(num_parse("100", 100, &v), 0);
	ck_assert_uint_eq(v, 100);
	ck_assert_int_eq(num_parse("101", 100, &v), -ERANGE);
	ck_assert_int_eq(num_parse("1K", 5000, &v), -EINVAL);
	ck_assert_int_eq(num_parse("", 5, &v), -EINVAL);
}
END_TEST

START_TEST(size_format_units)
{
	char buf[32];

	ck_assert_str_eq(size_format(4096, buf, sizeof(buf)), "4 KiB");
	ck_assert_str_eq(size_format(100, buf, sizeof(buf)), "100 B");
	ck_assert_str_eq(size_format(3ull << 29, buf, sizeof(buf)), "1.5 GiB");
	ck_assert_str_eq(size_format(1ull << 40, buf, sizeof(buf)), "1 TiB");
}
END_TEST

static int parse(struct mount_opts *o, const char *s, char *err)
{
	mount_opts_init(o);
	return mount_opts_parse(o, s, err, 256);
}

START_TEST(opts_defaults)
{
	struct mount_opts o;

	mount_opts_init(&o);
	ck_assert_str_eq(o.policy, "break");
	ck_assert_uint_eq(o.lease_break_ms, 45000);
	ck_assert_uint_eq(o.kill_grace_ms, MOUNT_OPTS_DEFAULT_KILL_GRACE_MS);
	ck_assert(!o.allow_other && !o.ro && !o.debug && !o.deny_ebusy);
	ck_assert(!o.have_pin_uid && !o.have_pin_gid);
	ck_assert_uint_eq(o.size, 0);
	ck_assert_str_eq(o.kernel, "");
	ck_assert_int_eq(o.perm, MOUNT_PERM_AUTO);
	ck_assert_int_eq(mount_opts_perm(&o), MOUNT_PERM_DAEMON);
	o.allow_other = true;
	ck_assert_int_eq(mount_opts_perm(&o), MOUNT_PERM_KERNEL);
}
END_TEST

START_TEST(opts_all)
{
	struct mount_opts o;
	char err[256] = "";

	ck_assert_int_eq(parse(&o, "size=64M,allow_other,default_permissions,"
				   "ro,pin_uid=1000,pin_gid=0,policy=deny,"
				   "lease_break_time=250,kill_grace=0,"
				   "max_pin_bytes=1G,max_pin_bytes_holder=4M,"
				   "debug,deny_ebusy", err), 0);
	ck_assert(o.deny_ebusy);
	ck_assert_uint_eq(o.size, 64ull << 20);
	ck_assert(o.allow_other && o.ro && o.debug);
	ck_assert(o.have_pin_uid && o.pin_uid == 1000);
	ck_assert(o.have_pin_gid && o.pin_gid == 0);
	ck_assert_str_eq(o.policy, "deny");
	ck_assert_uint_eq(o.lease_break_ms, 250);
	ck_assert_uint_eq(o.kill_grace_ms, 0);
	ck_assert_uint_eq(o.max_pin_bytes, 1ull << 30);
	ck_assert_uint_eq(o.max_pin_bytes_holder, 4ull << 20);
}
END_TEST

START_TEST(opts_names_and_policies)
{
	static const char *const pols[] = { "break", "deny", "require-lease",
					    "implicit-lease", "quarantine",
					    "remap" };
	struct mount_opts o;
	char err[256], buf[64];
	size_t i;

	ck_assert_int_eq(parse(&o, "pin_uid=root,pin_gid=root", err), 0);
	ck_assert_uint_eq(o.pin_uid, 0);
	ck_assert_uint_eq(o.pin_gid, 0);
	for (i = 0; i < sizeof(pols) / sizeof(pols[0]); i++) {
		snprintf(buf, sizeof(buf), "policy=%s", pols[i]);
		ck_assert_int_eq(parse(&o, buf, err), 0);
		ck_assert_str_eq(o.policy, pols[i]);
	}
	/* a plugin path must name a file */
	ck_assert_int_eq(parse(&o, "policy=/bin/sh", err), 0);
	ck_assert_str_eq(o.policy, "/bin/sh");
	ck_assert_int_eq(parse(&o, "policy=/nonexistent/p.so", err), -EINVAL);
	ck_assert_int_eq(parse(&o, "policy=/tmp", err), -EINVAL);
	ck_assert_int_eq(parse(&o, "policy=/bin/sh:x=1", err), 0);
	ck_assert_str_eq(o.policy, "/bin/sh:x=1");
	ck_assert_int_eq(parse(&o, "policy=Break", err), -EINVAL);
}
END_TEST

START_TEST(opts_kernel_and_fstab_words)
{
	struct mount_opts o;
	char err[256];

	ck_assert_int_eq(parse(&o, "defaults,noauto,nofail,_netdev,"
				   "x-systemd.automount,comment=x,nosuid,"
				   "nodev,noatime,rw", err), 0);
	ck_assert_str_eq(o.kernel, "nosuid,nodev,noatime");
	ck_assert(!o.ro);
	ck_assert_int_eq(parse(&o, "ro,rw", err), 0);
	ck_assert(!o.ro);
	ck_assert_int_eq(parse(&o, ",,allow_other,", err), 0);
	ck_assert(o.allow_other);
}
END_TEST

START_TEST(opts_bad)
{
	static const char *const bad[] = {
		"bogus", "allow_others", "size=", "size=12Q", "size=0",
		"lease_break_time=", "lease_break_time=-1",
		"lease_break_time=1s", "lease_break_time=86400001",
		"lease_break_time=0",
		"kill_grace=abc", "max_pin_bytes=0", "max_pin_bytes=lots",
		"max_pin_bytes_holder=", "pin_uid=no-such-user-xyz",
		"pin_gid=no-such-group-xyz", "policy=", "policy=bogus",
		"policy=relative/path.so", "fsname=x", "allow_other=1",
		"ro,bogus=1", "deny_ebusy=1", "permissions=", "permissions=both",
		"permissions=Kernel", "permissions=daemon,permissions=x",
		"default_permissions=1", "permissions",
	};
	struct mount_opts o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(parse(&o, bad[i], err) == -EINVAL,
			      "'%s' was accepted", bad[i]);
		ck_assert_msg(err[0] != '\0' && !strchr(err, '\n'),
			      "'%s': no one-line reason", bad[i]);
	}
	ck_assert_int_eq(parse(&o, "bogus", err), -EINVAL);
	ck_assert_str_eq(err, "unknown mount option 'bogus'");
	ck_assert_int_eq(parse(&o, "permissions=root", err), -EINVAL);
	ck_assert_str_eq(err, "bad value for permissions: 'root' (auto, daemon "
			      "or kernel)");
}
END_TEST

/* Who checks permissions: permissions=daemon|kernel, default_permissions
 * is the kernel's; the last word wins. */
START_TEST(opts_permissions)
{
	struct mount_opts o;
	char err[256];

	ck_assert_int_eq(parse(&o, "permissions=daemon", err), 0);
	ck_assert_int_eq(o.perm, MOUNT_PERM_DAEMON);
	ck_assert_int_eq(parse(&o, "permissions=kernel", err), 0);
	ck_assert_int_eq(o.perm, MOUNT_PERM_KERNEL);
	ck_assert_int_eq(parse(&o, "default_permissions", err), 0);
	ck_assert_int_eq(o.perm, MOUNT_PERM_KERNEL);
	ck_assert_int_eq(parse(&o, "default_permissions,permissions=daemon",
			       err), 0);
	ck_assert_int_eq(o.perm, MOUNT_PERM_DAEMON);
	ck_assert_int_eq(parse(&o, "permissions=daemon,default_permissions",
			       err), 0);
	ck_assert_int_eq(o.perm, MOUNT_PERM_KERNEL);
	/* explicit choices hold with or without allow_other */
	ck_assert_int_eq(parse(&o, "allow_other,permissions=daemon", err), 0);
	ck_assert_int_eq(mount_opts_perm(&o), MOUNT_PERM_DAEMON);
	ck_assert_int_eq(parse(&o, "permissions=kernel", err), 0);
	ck_assert_int_eq(mount_opts_perm(&o), MOUNT_PERM_KERNEL);
	ck_assert_int_eq(parse(&o, "permissions=daemon,permissions=auto,"
				   "allow_other", err), 0);
	ck_assert_int_eq(mount_opts_perm(&o), MOUNT_PERM_KERNEL);
	ck_assert_int_eq(parse(&o, "permissions=auto", err), 0);
	ck_assert_int_eq(mount_opts_perm(&o), MOUNT_PERM_DAEMON);
}
END_TEST

START_TEST(opts_later_overrides)
{
	struct mount_opts o;
	char err[256];

	mount_opts_init(&o);
	ck_assert_int_eq(mount_opts_parse(&o, "policy=deny,kill_grace=10",
					  err, sizeof(err)), 0);
	ck_assert_int_eq(mount_opts_parse(&o, "policy=quarantine", err,
					  sizeof(err)), 0);
	ck_assert_str_eq(o.policy, "quarantine");
	ck_assert_uint_eq(o.kill_grace_ms, 10);
}
END_TEST

static Suite *opts_suite(void)
{
	Suite *s = suite_create("cli-opts");
	TCase *tc;

	tc = tcase_create("size");
	tcase_add_test(tc, size_good);
	tcase_add_test(tc, size_bad);
	tcase_add_test(tc, size_overflow);
	tcase_add_test(tc, num_limits);
	tcase_add_test(tc, size_format_units);
	suite_add_tcase(s, tc);

	tc = tcase_create("mount_opts");
	tcase_add_test(tc, opts_defaults);
	tcase_add_test(tc, opts_all);
	tcase_add_test(tc, opts_names_and_policies);
	tcase_add_test(tc, opts_kernel_and_fstab_words);
	tcase_add_test(tc, opts_bad);
	tcase_add_test(tc, opts_permissions);
	tcase_add_test(tc, opts_later_overrides);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(opts_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
