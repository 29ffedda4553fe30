/* util/slice.h — a borrowed byte range (pointer + length); it owns nothing. */
#ifndef STRATA_UTIL_SLICE_H
#define STRATA_UTIL_SLICE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct st_slice {
    const uint8_t *p;
    size_t n;
} st_slice;

static inline st_slice st_slice_make(const void *p, size_t n)
{
    st_slice s = {(const uint8_t *)p, n};
    return s;
}

/* Bytewise order, shorter first on a common prefix. */
static inline int st_slice_cmp(st_slice a, st_slice b)
{
    size_t m = a.n < b.n ? a.n : b.n, i = 0;
    if (m > 64) { /* long: memcmp's vector loop */
        int c = memcmp(a.p, b.p, m);
        if (c) return c < 0 ? -1 : 1;
        return a.n < b.n ? -1 : a.n > b.n;
    }
    /* keys are mostly short: 8-byte big-endian words inline, no memcmp call (LSM keys share long
     * prefixes, so a first-word test alone rarely decides) */
    for (; i + 8 <= m; i += 8) {
        uint64_t x, y;
        memcpy(&x, a.p + i, 8);
        memcpy(&y, b.p + i, 8);
        if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
    }
    for (; i < m; i++)
        if (a.p[i] != b.p[i]) return a.p[i] < b.p[i] ? -1 : 1;
    return a.n < b.n ? -1 : a.n > b.n;
}

static inline int st_slice_eq(st_slice a, st_slice b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

#endif
