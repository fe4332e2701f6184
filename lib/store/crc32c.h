/* SPDX-License-Identifier: MIT */
/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of every pinfs on-media
 * header.  Table-driven, reflected polynomial 0x82F63B78, initial value
 * and final xor 0xFFFFFFFF (the iSCSI / ext4 / btrfs convention), so
 * crc32c("123456789") == 0xE3069283.
 */
#ifndef PINFS_CRC32C_H
#define PINFS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC of LEN bytes at BUF, continuing from CRC (pass 0 to start). */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
