/* SPDX-License-Identifier: MIT */
/*
 * size.c - parse and print sizes for the pinfs command line.
 */
#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <strings.h>

static int parse_digits(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*sp = s;
	*out = v;
	return 0;
}

static int suffix_shift(const char *s, unsigned *shift)
{
	static const char units[] = "KMGTP";
	unsigned i;

	if (*s == '\0') {
		*shift = 0;
		return 0;
	}
	if (!strcasecmp(s, "B")) {
		*shift = 0;
		return 0;
	}
	for (i = 0; units[i]; i++) {
		if (toupper((unsigned char)*s) != units[i])
			continue;
		if (s[1] == '\0' || !strcasecmp(s + 1, "B") ||
		    !strcasecmp(s + 1, "iB")) {
			*shift = 10 * (i + 1);
			return 0;
		}
		return -EINVAL;
	}
	return -EINVAL;
}

int size_parse(const char *s, uint64_t *out)
{
	uint64_t v;
	unsigned shift;
	int ret;

	if (!s)
		return -EINVAL;
	ret = parse_digits(&s, &v);
	if (ret)
		return ret;
	ret = suffix_shift(s, &shift);
	if (ret)
		return ret;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int num_parse(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int ret;

	if (!s)
		return -EINVAL;
	ret = parse_digits(&s, &v);
	if (ret)
		return ret;
	if (*s != '\0')
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

const char *size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	unsigned i = 0;
	double v = (double)bytes;

	while (v >= 1024.0 && i < 6) {
		v /= 1024.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else if (v == (double)(uint64_t)v)
		snprintf(buf, len, "%llu %s", (unsigned long long)v, units[i]);
	else
		snprintf(buf, len, "%.1f %s", v, units[i]);
	return buf;
}
