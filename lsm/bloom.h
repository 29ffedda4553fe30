/*
 * lsm/bloom.h — the SST bloom filter over user keys: cache-local (every key's probes fall in one
 * 64-byte line, one cache miss per lookup), xxh3-based.
 *
 * Filter contents (STORED ON DISK, the SST filter block):
 *   nlines × 64 bytes of bits | num_probes (1 byte, 1..30)
 * For a key with h = st_hash64(user key):
 *   line = ((h & 0xffffffff) * nlines) >> 32
 *   h2 = h >> 32; repeat num_probes times: bit (h2 >> 23) of the line (bit b is byte b/8,
 *   mask 1 << (b%8)) is set; h2 = h2 * 0x9E3779B9 (mod 2^32)
 * nlines = ceil(num_keys × bits_per_key / 512); num_probes = bits_per_key × 0.69 clamped to
 * [1, 30]. An empty table has nlines = 0 and matches no key.
 *
 * Thread-safety: the functions are pure.
 */
#ifndef STRATA_LSM_BLOOM_H
#define STRATA_LSM_BLOOM_H

#include <stddef.h>
#include <stdint.h>

#include "util/hash.h"
#include "util/slice.h"

#define BLOOM_LINE_BYTES 64
#define BLOOM_MAX_PROBES 30

static inline uint64_t bloom_hash(st_slice ukey)
{
    return st_hash64(ukey.p, ukey.n);
}

/* Size of the filter for n keys. */
size_t bloom_filter_size(size_t n, int bits_per_key);
/* Writes the filter of the n key hashes into out (bloom_filter_size(n, bits_per_key) bytes). */
void bloom_build(const uint64_t *hashes, size_t n, int bits_per_key, uint8_t *out);
/* 0 when the filter contents are impossible (wrong size, bad num_probes). */
int bloom_valid(const uint8_t *f, size_t len);
/* 0: the key is certainly absent; 1: it may be present. REQUIRES: bloom_valid(f, len). */
int bloom_may_contain(const uint8_t *f, size_t len, uint64_t h);

#endif
