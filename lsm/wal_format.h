/*
 * lsm/wal_format.h — the log record layout (write-ahead log and MANIFEST). STORED ON DISK: never
 * change these constants or the checksum definitions. docs/format.md describes the same
 * bytes.
 *
 * A log file is a sequence of records, back to back, from offset 0, with no file header, no
 * padding and no trailer:
 *
 *   +----------+----------+----------+---------------------+
 *   | crc u32  | len u32  | hck u32  | payload (len bytes) |   all integers little-endian
 *   +----------+----------+----------+---------------------+
 *   0          4          8          12                    12 + len
 *
 *   crc = (u32) XXH3_64bits_withSeed(payload, len, WAL_CRC_SEED ^ len)
 *   hck = (u32) XXH3_64bits_withSeed(bytes [0, 8) of the record, 8, WAL_HDR_SEED)
 *   len <= WAL_MAX_RECORD
 *
 * The header check (hck) covers crc and len, so a header that passes it has a trustworthy length:
 * a record with a good header and a bad payload can be stepped over, and a reader can tell a
 * record boundary from arbitrary bytes (a zero-filled region never passes: hck of 8 zero bytes is
 * not 0). Recovery (lsm/wal.h): the first bad record — header fails hck or len is too big, record
 * runs past end of file, or payload fails crc — is a torn tail when no valid record starts
 * after it (searched from the end of its payload when its header is good, else from the next
 * byte), and corruption otherwise — unless a whole 4096-aligned page of zeros lies between it and
 * the next valid record (a page never written before a crash: the log ends there; lsm/wal.h).
 */
#ifndef STRATA_LSM_WAL_FORMAT_H
#define STRATA_LSM_WAL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "util/coding.h"
#include "util/hash.h"

#define WAL_HEADER_SIZE 12
#define WAL_MAX_RECORD  (1u << 30)            /* 1 GiB: above STRATA_KV_MAX_BATCH */
#define WAL_CRC_SEED    0x7374726174615741ULL /* "strataWA" */
#define WAL_HDR_SEED    0x7374726174614844ULL /* "strataHD" */

static inline uint32_t wal_payload_crc(const void *payload, uint32_t len)
{
    return (uint32_t)st_hash64_seed(payload, len, WAL_CRC_SEED ^ (uint64_t)len);
}

/* Fills the 12 header bytes for a payload. REQUIRES: len <= WAL_MAX_RECORD. */
static inline void wal_encode_header(uint8_t h[WAL_HEADER_SIZE], const void *payload, uint32_t len)
{
    put_le32(h, wal_payload_crc(payload, len));
    put_le32(h + 4, len);
    put_le32(h + 8, (uint32_t)st_hash64_seed(h, 8, WAL_HDR_SEED));
}

/* 1 if the 12 bytes at h are a well-formed header (*len set), else 0. */
static inline int wal_header_ok(const uint8_t *h, uint32_t *len)
{
    if (get_le32(h + 8) != (uint32_t)st_hash64_seed(h, 8, WAL_HDR_SEED)) return 0;
    uint32_t l = get_le32(h + 4);
    if (l > WAL_MAX_RECORD) return 0;
    *len = l;
    return 1;
}

/* 1 if the payload matches the crc of its header. */
static inline int wal_payload_ok(const uint8_t *h, const uint8_t *payload, uint32_t len)
{
    return get_le32(h) == wal_payload_crc(payload, len);
}

#endif
