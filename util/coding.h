/*
 * util/coding.h — fixed-width (little- and big-endian) and varint encodings.
 *
 * Little-endian fixed ints are used inside file formats; big-endian ones in keys (so byte order
 * is numeric order). Varints are LEB128 (7 bits a byte, low group first), at most 10 bytes.
 * Decoders take an end pointer and never read past it: they return NULL on truncated or
 * overlong input (hostile bytes).
 */
#ifndef STRATA_UTIL_CODING_H
#define STRATA_UTIL_CODING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VARINT32_MAX 5
#define VARINT64_MAX 10

static inline void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void put_le32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4); /* x86_64 and aarch64 Linux are little-endian */
}
static inline void put_le64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}
static inline uint16_t get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t get_le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint64_t get_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static inline void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void put_be32(uint8_t *p, uint32_t v)
{
    v = __builtin_bswap32(v);
    memcpy(p, &v, 4);
}
static inline void put_be64(uint8_t *p, uint64_t v)
{
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
}
static inline uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t get_be32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}
static inline uint64_t get_be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

/* Writes v as a varint at p; returns the byte after it. p needs VARINT64_MAX bytes. */
static inline uint8_t *put_varint64(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}
static inline uint8_t *put_varint32(uint8_t *p, uint32_t v)
{
    return put_varint64(p, v);
}
static inline int varint_length(uint64_t v)
{
    int n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Decodes a varint from [p, end); returns the byte after it, or NULL if truncated/overlong. */
static inline const uint8_t *get_varint64(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift <= 63 && p < end; shift += 7) {
        uint64_t b = *p++;
        r |= (b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return p;
        }
    }
    return NULL;
}
static inline const uint8_t *get_varint32(const uint8_t *p, const uint8_t *end, uint32_t *v)
{
    if (p < end && !(*p & 0x80)) { /* fast path: one byte */
        *v = *p;
        return p + 1;
    }
    uint64_t r;
    p = get_varint64(p, end, &r);
    if (!p || r > UINT32_MAX) return NULL;
    *v = (uint32_t)r;
    return p;
}

#endif
