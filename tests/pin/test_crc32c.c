/* SPDX-License-Identifier: MIT */
/*
 * test_crc32c.c - CRC-32C (lib/store/crc32c.c): the published check
 * values (RFC 3720 appendix B.4 and "123456789"), the instruction and the
 * slice-by-8 tables agree on every length and alignment, and a CRC
 * continued over two pieces equals the CRC of the whole.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"

START_TEST(known_vectors)
{
	uint8_t b[32];

	ck_assert_uint_eq(crc32c(0, "123456789", 9), 0xE3069283u);
	ck_assert_uint_eq(crc32c_table(0, "123456789", 9), 0xE3069283u);
	ck_assert_uint_eq(crc32c(0, "", 0), 0);
	memset(b, 0, sizeof(b));
	ck_assert_uint_eq(crc32c(0, b, 32), 0x8A9136AAu);
	ck_assert_uint_eq(crc32c_table(0, b, 32), 0x8A9136AAu);
	memset(b, 0xFF, sizeof(b));
	ck_assert_uint_eq(crc32c(0, b, 32), 0x62A8AB43u);
	ck_assert_uint_eq(crc32c_table(0, b, 32), 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	ck_assert_uint_eq(crc32c(0, b, 32), 0x46DD794Eu);
	ck_assert_uint_eq(crc32c_table(0, b, 32), 0x46DD794Eu);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	ck_assert_uint_eq(crc32c(0, b, 32), 0x113FDB5Cu);
	ck_assert_uint_eq(crc32c_table(0, b, 32), 0x113FDB5Cu);
	printf("crc32c: %s\n", crc32c_uses_hw() ? "crc32 instruction"
						 : "slice-by-8 tables");
}
END_TEST

/* Bit-at-a-time reference, independent of both implementations. */
static uint32_t crc_bitwise(const uint8_t *p, size_t len)
{
	uint32_t c = 0xFFFFFFFFu;

	while (len--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	return ~c;
}

START_TEST(all_lengths_alignments)
{
	static uint8_t buf[600];

	srandom(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)random();
	for (size_t a = 0; a < 8; a++) {
		for (size_t n = 0; n + a <= sizeof(buf); n++) {
			uint32_t ref = crc_bitwise(buf + a, n);

			ck_assert_uint_eq(crc32c(0, buf + a, n), ref);
			ck_assert_uint_eq(crc32c_table(0, buf + a, n), ref);
		}
	}
}
END_TEST

START_TEST(continued)
{
	static uint8_t buf[300];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t cut = 0; cut <= sizeof(buf); cut += 13) {
		uint32_t whole = crc32c(0, buf, sizeof(buf));

		ck_assert_uint_eq(crc32c(crc32c(0, buf, cut), buf + cut,
					 sizeof(buf) - cut), whole);
		ck_assert_uint_eq(crc32c_table(crc32c_table(0, buf, cut),
					       buf + cut, sizeof(buf) - cut),
				  whole);
	}
}
END_TEST

static Suite *crc_suite(void)
{
	Suite *s = suite_create("crc32c");
	TCase *tc = tcase_create("crc32c");

	tcase_add_test(tc, known_vectors);
	tcase_add_test(tc, all_lengths_alignments);
	tcase_add_test(tc, continued);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(crc_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
