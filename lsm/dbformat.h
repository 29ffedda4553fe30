/*
 * lsm/dbformat.h — the internal key. STORED ON DISK (WAL, SST, MANIFEST): never change.
 *
 *   internal key = user key | trailer (8 bytes, little-endian) = (sequence << 8) | kind
 *
 * Order: user key ascending (bytewise), then trailer descending, so the newest version of a key
 * comes first. Sequences are 56 bits. A lookup for (key, seq) seeks to key|(seq<<8 | KIND_SEEK),
 * which sorts before every entry of key with sequence <= seq.
 */
#ifndef STRATA_LSM_DBFORMAT_H
#define STRATA_LSM_DBFORMAT_H

#include <stdint.h>
#include <string.h>

#include "util/coding.h"
#include "util/slice.h"

enum {
    KIND_DELETE = 0,    /* point tombstone */
    KIND_PUT = 1,       /* value */
    KIND_RANGE_DEL = 2, /* range tombstone [user key, value) (memtable/WAL/SST range block) */
    KIND_SEEK = 2,      /* highest kind: used to build seek keys */
};

#define SEQ_MAX      ((((uint64_t)1) << 56) - 1)
#define IKEY_TRAILER 8

static inline uint64_t ikey_pack(uint64_t seq, int kind)
{
    return (seq << 8) | (uint64_t)kind;
}
static inline uint64_t ikey_trailer(st_slice ikey)
{
    return get_le64(ikey.p + ikey.n - IKEY_TRAILER);
}
static inline uint64_t ikey_seq(st_slice ikey)
{
    return ikey_trailer(ikey) >> 8;
}
static inline int ikey_kind(st_slice ikey)
{
    return (int)(ikey_trailer(ikey) & 0xff);
}
static inline st_slice ikey_user(st_slice ikey)
{
    return st_slice_make(ikey.p, ikey.n - IKEY_TRAILER);
}
/* Writes ukey|trailer into dst (ukey.n + 8 bytes); returns the internal key. */
static inline st_slice ikey_build(uint8_t *dst, st_slice ukey, uint64_t seq, int kind)
{
    if (ukey.n) memcpy(dst, ukey.p, ukey.n);
    put_le64(dst + ukey.n, ikey_pack(seq, kind));
    return st_slice_make(dst, ukey.n + IKEY_TRAILER);
}
/* Internal key order. REQUIRES: both at least 8 bytes. */
static inline int ikey_cmp(st_slice a, st_slice b)
{
    int c = st_slice_cmp(ikey_user(a), ikey_user(b));
    if (c) return c;
    uint64_t ta = ikey_trailer(a), tb = ikey_trailer(b);
    return ta > tb ? -1 : ta < tb;
}

/* A range tombstone: deletes user keys in [start, end) written with a sequence < seq. */
typedef struct range_tombstone {
    st_slice start;
    st_slice end;
    uint64_t seq;
} range_tombstone;

#endif
