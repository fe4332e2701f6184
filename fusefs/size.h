/* SPDX-License-Identifier: MIT */
/*
 * size.h - byte sizes and small numbers as the command line spells them.
 *
 * "64M", "1G", "1T", "4096", "512K": a decimal number with an optional
 * binary suffix K, M, G, T or P (case-insensitive, optionally followed by
 * "iB" or "B").  No sign, no fraction, no spaces, no overflow.
 */
#ifndef PINFS_FUSEFS_SIZE_H
#define PINFS_FUSEFS_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* 0 with *out set, -EINVAL for anything malformed, -ERANGE on overflow. */
int size_parse(const char *s, uint64_t *out);

/* A plain decimal number (no suffix) no larger than MAX. */
int num_parse(const char *s, uint64_t max, uint64_t *out);

/* "64 MiB", "1.5 GiB", "4096 B" into BUF; returns BUF. */
const char *size_format(uint64_t bytes, char *buf, size_t len);

#endif /* PINFS_FUSEFS_SIZE_H */
