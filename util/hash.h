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

/* Inputs past XXH3's short-input range go to libxxhash's runtime-dispatched XXH3 (AVX2/AVX-512
 * where the CPU has them; the inline code is built for baseline x86-64 SSE2): a 4 KiB block
 * checksum takes about half the time. The same function, so the same values. */
#if defined(__x86_64__) && defined(STRATA_XXH3_DISPATCH) /* found by CMakeLists.txt */
#define ST_XXH3_DISPATCH 1
XXH64_hash_t XXH3_64bits_dispatch(const void *input, size_t len);
#endif

static inline uint64_t st_hash64(const void *p, size_t n)
{
#ifdef ST_XXH3_DISPATCH
    if (n > 1024) return XXH3_64bits_dispatch(p, n);
#endif
    return XXH3_64bits(p, n);
}
static inline uint64_t st_hash64_seed(const void *p, size_t n, uint64_t seed)
{
    return XXH3_64bits_withSeed(p, n, seed);
}
static inline uint32_t st_checksum32(const void *p, size_t n)
{
    return (uint32_t)st_hash64(p, n);
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
