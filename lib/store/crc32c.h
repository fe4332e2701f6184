/* SPDX-License-Identifier: MIT */
/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of every pinfs on-media
 * header.  Reflected polynomial 0x82F63B78, initial value and final xor
 * 0xFFFFFFFF (the iSCSI / ext4 / btrfs convention), so
 * crc32c("123456789") == 0xE3069283.  Computed with the SSE4.2 crc32
 * instruction when the CPU has it (checked once, at the first call), else
 * with slice-by-8 tables; both give the same values (tests/pin/test_crc32c).
 */
#ifndef PINFS_CRC32C_H
#define PINFS_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CRC of LEN bytes at BUF, continuing from CRC (pass 0 to start). */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
/* The same with the tables, whatever the CPU (tests). */
uint32_t crc32c_table(uint32_t crc, const void *buf, size_t len);
/* True when crc32c() uses the crc32 instruction. */
bool crc32c_uses_hw(void);

#endif
