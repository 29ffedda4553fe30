/*
 * lsm/bloom.c — cache-local bloom filter (layout in lsm/bloom.h), after RocksDB's
 * FastLocalBloom: the low 32 hash bits pick a 512-bit line, the high 32 bits, remixed by a
 * golden-ratio multiply, give each probe's 9-bit position in it.
 */
#include "lsm/bloom.h"

#include <string.h>

static int num_probes(int bits_per_key)
{
    int k = (int)(bits_per_key * 0.69);
    if (k < 1) k = 1;
    if (k > BLOOM_MAX_PROBES) k = BLOOM_MAX_PROBES;
    return k;
}

static size_t num_lines(size_t n, int bits_per_key)
{
    if (bits_per_key < 1) bits_per_key = 1;
    size_t bits = n * (size_t)bits_per_key;
    return (bits + 511) / 512;
}

size_t bloom_filter_size(size_t n, int bits_per_key)
{
    return num_lines(n, bits_per_key) * BLOOM_LINE_BYTES + 1;
}

static inline uint8_t *line_of(uint8_t *bits, size_t nlines, uint64_t h)
{
    return bits + (((uint64_t)(uint32_t)h * nlines) >> 32) * BLOOM_LINE_BYTES;
}

void bloom_build(const uint64_t *hashes, size_t n, int bits_per_key, uint8_t *out)
{
    size_t nlines = num_lines(n, bits_per_key);
    int k = num_probes(bits_per_key);
    memset(out, 0, nlines * BLOOM_LINE_BYTES);
    out[nlines * BLOOM_LINE_BYTES] = (uint8_t)k;
    if (!nlines) return;
    for (size_t i = 0; i < n; i++) {
        uint8_t *line = line_of(out, nlines, hashes[i]);
        uint32_t h2 = (uint32_t)(hashes[i] >> 32);
        for (int j = 0; j < k; j++) {
            uint32_t b = h2 >> 23;
            line[b >> 3] |= (uint8_t)(1u << (b & 7));
            h2 *= 0x9E3779B9u;
        }
    }
}

int bloom_valid(const uint8_t *f, size_t len)
{
    if (len < 1 || (len - 1) % BLOOM_LINE_BYTES) return 0;
    int k = f[len - 1];
    return k >= 1 && k <= BLOOM_MAX_PROBES;
}

int bloom_may_contain(const uint8_t *f, size_t len, uint64_t h)
{
    size_t nlines = (len - 1) / BLOOM_LINE_BYTES;
    if (!nlines) return 0;
    int k = f[len - 1];
    const uint8_t *line = line_of((uint8_t *)f, nlines, h);
    uint32_t h2 = (uint32_t)(h >> 32);
    for (int j = 0; j < k; j++) {
        uint32_t b = h2 >> 23;
        if (!(line[b >> 3] & (1u << (b & 7)))) return 0;
        h2 *= 0x9E3779B9u;
    }
    return 1;
}
