/* SPDX-License-Identifier: MIT */
/*
 * pinfs/pinfs.h - libpinfs, the holder's library.
 *
 * A holder opens a file on a pinfs mount, optionally takes a lease on it,
 * pins a byte range and gets back ONE contiguous mapping of the pinned
 * data: the library asks the daemon for the pin (PINFS_IOC_PIN), fetches
 * the region descriptor from the daemon's broker (read-only for read
 * pins), reserves one span of address space and maps each extent into it.
 * Stores into a write mapping reach the persistent-memory region directly;
 * pinfs_sync() tells the daemon which bytes were written.
 *
 * When the filesystem needs a pinned range back it sends a *break*: a
 * signal carrying the pin id in si_value (SI_QUEUE), and POLLPRI on the
 * file's descriptor.  The library turns the signal into a readable event
 * descriptor (pinfs_break_fd(), an eventfd: POLLIN, fits poll, epoll and
 * io_uring POLL_ADD) once pinfs_signal_install() has installed its
 * handler; pinfs_breaks_read() returns the break records (which pin,
 * which range, why, deadline).  A holder that ignores a break past its
 * deadline gets SIGBUS; one that does not exit then gets SIGKILL.
 *
 * Conventions: every function returning int returns 0 (or a count) on
 * success and -errno on failure, and then changes nothing.  Objects are
 * opaque; *_delete and pinfs_unpin NULL the caller's pointer.  All calls
 * are thread-safe: each file handle has its own mutex; a mapping may be
 * used from any thread, but must not be unpinned while another thread
 * still uses it (as with free()).  The signal handler touches only
 * atomics and write().
 *
 * A cooperative holder, in short (errors unchecked for brevity):
 *
 *	struct pinfs_file *f;
 *	struct pinfs_mapping *m;
 *	pinfs_file_new("/mnt/pinfs/buf", PINFS_OPEN_WRITE, &f);
 *	pinfs_signal_install(SIGRTMIN);
 *	pinfs_lease_set(f, PINFS_LEASE_BREAKABLE, 0, 0, SIGRTMIN);
 *	pinfs_pin(f, 0, 1 << 20, PINFS_PIN_WRITE, &m);
 *	... store into pinfs_mapping_addr(m), pinfs_sync(m, 0, 0) ...
 *	... poll(pinfs_break_fd(f), POLLIN) fires: stop the stores, then
 *	pinfs_unpin(&m);
 *	pinfs_file_delete(&f);
 *
 * Trust model: the region descriptor behind a mapping reaches the whole
 * region; the daemon hands it only to holders the mount admits.  A read
 * pin's descriptor is O_RDONLY, so the kernel refuses writable mappings
 * of it — a guard against mistakes, not against root.
 */
#ifndef PINFS_PINFS_H
#define PINFS_PINFS_H

#include <pinfs/ioctl.h>

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An open file on a pinfs mount. */
struct pinfs_file;
/* One pin and the contiguous mapping of its range. */
struct pinfs_mapping;

/* ---- files -------------------------------------------------------------- */

enum pinfs_open_flags {
	PINFS_OPEN_WRITE = 1u << 0, /* open O_RDWR (needed for write pins) */
};

/*
 * Open @path (O_RDONLY, or O_RDWR with PINFS_OPEN_WRITE; always
 * O_CLOEXEC) and check that it is on a pinfs mount speaking this ABI
 * (PINFS_IOC_INFO).  Errors: -EINVAL (NULL argument, unknown flag),
 * -ENOTTY (not a pinfs file), -EPROTONOSUPPORT (other ABI version), and
 * open(2)'s errors.
 */
int pinfs_file_new(const char *path, unsigned flags, struct pinfs_file **out);

/*
 * The same for a descriptor the caller already has; the library works on
 * its own duplicate (F_DUPFD_CLOEXEC), so the caller may close @fd.
 */
int pinfs_file_from_fd(int fd, struct pinfs_file **out);

/*
 * Drop the caller's reference and NULL *fp.  The descriptor is closed (and
 * with it the file's lease) once the last mapping made from the file is
 * unpinned.  NULL-safe.
 */
void pinfs_file_delete(struct pinfs_file **fp);

/*
 * The file's descriptor, owned by the library.  Poll it for POLLPRI
 * (poll, epoll, io_uring POLL_ADD) to learn of breaks without a signal.
 */
int pinfs_file_fd(const struct pinfs_file *f);

/* PINFS_IOC_INFO: region and block size, limits, broker name. */
int pinfs_file_info(struct pinfs_file *f, struct pinfs_info *out);

/* ---- leases ------------------------------------------------------------- */

/*
 * Take or change the file's lease: @type BREAKABLE or UNBREAKABLE, on
 * [@off, @off + @len) (@len 0: to the end of the file, ever; block
 * aligned), with break signal @signo (0: SIGIO).  PINFS_LEASE_NONE
 * releases it.  Errors: -EINVAL (bad type, unaligned range, signo out of
 * range), -EAGAIN (a conflicting lease), and the daemon's errors.
 */
int pinfs_lease_set(struct pinfs_file *f, enum pinfs_lease_type type,
		    uint64_t off, uint64_t len, int signo);

/* The lease the caller holds on the file (type NONE: none). */
int pinfs_lease_get(struct pinfs_file *f, struct pinfs_lease *out);

/* ---- pins and mappings -------------------------------------------------- */

/*
 * Pin [@off, @off + @len) of the file (@flags: PINFS_PIN_WRITE for a
 * write pin; the file must then be open for writing) and map it as one
 * contiguous range.  The pinned range is @off and @len widened to whole
 * blocks; pinfs_mapping_addr() points at byte @off.  A read pin maps
 * PROT_READ (writes fault), a write pin PROT_READ|PROT_WRITE.  Errors:
 * -EINVAL (@len 0, overflow, unknown flag), -EBADF (write pin on a
 * read-only file), -EPERM/-EACCES (the mount does not admit the caller),
 * -ENOSPC / -EDQUOT (pin limits), -ETXTBSY, -EIO (the daemon returned an
 * extent list with a hole under a write pin, or unaligned extents),
 * the broker's errors.  On failure no pin is left behind.
 */
int pinfs_pin(struct pinfs_file *f, uint64_t off, uint64_t len,
	      unsigned flags, struct pinfs_mapping **out);

/*
 * Re-attach to pin @pin_id after the daemon restarted (or from a new file
 * handle of the same process): PINFS_IOC_ATTACH, then map as pinfs_pin().
 */
int pinfs_attach(struct pinfs_file *f, uint64_t pin_id,
		 struct pinfs_mapping **out);

/*
 * Tell the daemon that [@off, @off + @len) (file offsets inside the pin;
 * @len 0: the whole pin) was written through the mapping: msync(2) of
 * those pages, then PINFS_IOC_SYNC.  When it returns, read(2) through the
 * mount returns the bytes.  -EINVAL outside the pin, -EBADF for a read
 * pin.
 */
int pinfs_sync(struct pinfs_mapping *m, uint64_t off, uint64_t len);

/*
 * End the pin: unmap the span (so no access can follow), then
 * PINFS_IOC_UNPIN, which acknowledges any pending break.  The mapping is
 * freed and *mp NULLed in every case; the return value is the unpin's
 * (-ENOENT if the daemon had already revoked the pin).  NULL-safe.
 */
int pinfs_unpin(struct pinfs_mapping **mp);

void *pinfs_mapping_addr(const struct pinfs_mapping *m); /* byte @off */
uint64_t pinfs_mapping_off(const struct pinfs_mapping *m);
uint64_t pinfs_mapping_len(const struct pinfs_mapping *m);
uint64_t pinfs_mapping_id(const struct pinfs_mapping *m);
/* enum pinfs_pin_flags as the daemon returned them (WRITE, LEASED...). */
unsigned pinfs_mapping_flags(const struct pinfs_mapping *m);

/*
 * True once a break for this pin arrived through the signal handler or
 * was read by pinfs_breaks_read().  Async-signal-safe.
 */
bool pinfs_mapping_broken(const struct pinfs_mapping *m);

/* ---- breaks -------------------------------------------------------------- */

/*
 * Install the library's SA_SIGINFO handler for @signo (the lease's break
 * signal; 0: SIGIO).  On a signal it reads the pin id from si_value
 * (sival_ptr, as sigqueue(3) sent it), marks that mapping broken and
 * makes its file's pinfs_break_fd() readable; a signal naming no known
 * pin wakes every file's descriptor.  A signal not sent by sigqueue
 * (si_code != SI_QUEUE) is passed to the handler installed before, if
 * any.  Idempotent.  -EINVAL for a signal that cannot be caught.
 */
int pinfs_signal_install(int signo);

/* Restore the handler that was installed before pinfs_signal_install. */
int pinfs_signal_uninstall(int signo);

/*
 * An eventfd (O_NONBLOCK, close-on-exec, owned by the library) that
 * becomes readable (POLLIN) when a break for the file arrives through
 * the signal handler.  pinfs_breaks_read() drains it.
 */
int pinfs_break_fd(const struct pinfs_file *f);

/*
 * Read up to @max pending break records of the caller's pins on this
 * file (PINFS_IOC_BREAKS, paged).  Returns the number stored (0: none),
 * drains pinfs_break_fd(), and marks the named mappings broken.
 */
int pinfs_breaks_read(struct pinfs_file *f, struct pinfs_break_rec *recs,
		      unsigned max);

#ifdef __cplusplus
}
#endif

#endif /* PINFS_PINFS_H */
