/*
 * util/hash.h — xxh3 wrappers: the one hash of strata (checksums, bloom filters, vnodes, hash
 * tables). Checksums stored on disk are the low 32 bits of XXH3_64bits (st_checksum32) or the full
 * 64 bits; which one a format uses is fixed in its *_format.h.
 */
#ifndef STRATA_UTIL_HASH_H
#define STRATA_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static inline uint64_t st_hash64(const void *p, size_t n)
{
    return XXH3_64bits(p, n);
}
static inline uint64_t st_hash64_seed(const void *p, size_t n, uint64_t seed)
{
    return XXH3_64bits_withSeed(p, n, seed);
}
static inline uint32_t st_checksum32(const void *p, size_t n)
{
    return (uint32_t)XXH3_64bits(p, n);
}
/* A 64-bit mix for integers (hash joins, aggregates). */
static inline uint64_t st_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

#endif
