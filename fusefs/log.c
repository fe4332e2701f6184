/* SPDX-License-Identifier: MIT */
/*
 * log.c - daemon logging to stderr or syslog.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_bool use_syslog;
static atomic_bool debug_on;

void log_use_syslog(void)
{
	openlog("pinfs", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	atomic_store(&use_syslog, true);
}

bool log_debug_enabled(void)
{
	return atomic_load(&debug_on);
}

void log_set_debug(bool on)
{
	atomic_store(&debug_on, on);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level >= LOG_DEBUG && !atomic_load(&debug_on))
		return;
	va_start(ap, fmt);
	if (atomic_load(&use_syslog)) {
		vsyslog(level, fmt, ap);
	} else {
		char line[1024];

		vsnprintf(line, sizeof(line), fmt, ap);
		fprintf(stderr, "pinfs: %s\n", line);
	}
	va_end(ap);
}
