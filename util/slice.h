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
    size_t m = a.n < b.n ? a.n : b.n;
    int c = m ? memcmp(a.p, b.p, m) : 0;
    if (c) return c;
    return a.n < b.n ? -1 : a.n > b.n;
}

static inline int st_slice_eq(st_slice a, st_slice b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

#endif
