/* SPDX-License-Identifier: MIT */
/*
 * log.h - the daemon's log: stderr in the foreground, syslog once the
 * daemon has detached (stderr is /dev/null then).
 */
#ifndef PINFS_FUSEFS_LOG_H
#define PINFS_FUSEFS_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Switch to syslog (ident "pinfs"); called by the detached daemon. */
void log_use_syslog(void);
bool log_debug_enabled(void);
void log_set_debug(bool on);

/* LEVEL is a syslog level (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG). */
__attribute__((format(printf, 2, 3)))
void log_msg(int level, const char *fmt, ...);

#endif /* PINFS_FUSEFS_LOG_H */
