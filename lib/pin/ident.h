/* SPDX-License-Identifier: MIT */
/*
 * ident.h - who a holder is: a process (thread group) id, its start time
 * (so a recycled pid is never mistaken for the holder) and a pidfd (so its
 * exit is seen at once).  FUSE requests carry the calling *thread* id;
 * pin_ident_tgid() resolves the process.
 */
#ifndef PINFS_PIN_IDENT_H
#define PINFS_PIN_IDENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Thread group id of thread TID (from /proc/TID/status).  -ESRCH if gone. */
int pin_ident_tgid(pid_t tid, pid_t *tgid);
/* Start time of PID in clock ticks since boot (/proc/PID/stat field 22). */
int pin_ident_start_time(pid_t pid, uint64_t *start);
/* Command name (/proc/PID/comm), NUL-terminated, at most 15 chars. */
int pin_ident_comm(pid_t pid, char comm[16]);
/*
 * Open a pidfd on PID and check that PID still started at START: returns
 * the descriptor (O_CLOEXEC), or -ESRCH when that process is gone (pid
 * free or reused).
 */
int pin_ident_pidfd(pid_t pid, uint64_t start);
/* Signal the process behind PIDFD; with VALUE as sigqueue(3) does. */
int pin_ident_signal(int pidfd, int signo, uint64_t value);

#endif /* PINFS_PIN_IDENT_H */
