/* util/memcmp.c — memcomparable encoding of SQL values (see util/memcmp.h for the layout). */
#include "util/memcmp.h"

#include <math.h>
#include <string.h>

#include "util/coding.h"
#include "util/status.h"

#define CANON_NAN 0x7ff8000000000000ULL
#define SIGN64    0x8000000000000000ULL

int mc_fixed_size(int type)
{
    switch (type) {
    case STRATA_TYPE_BOOLEAN:
        return 1;
    case STRATA_TYPE_INT:
        return 4;
    case STRATA_TYPE_BIGINT:
    case STRATA_TYPE_TIMESTAMP:
    case STRATA_TYPE_DOUBLE:
        return 8;
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB:
        return 0;
    }
    return -1;
}

static inline uint64_t double_key(double d)
{
    uint64_t b;
    if (d == 0) d = 0.0; /* -0.0 → +0.0 */
    memcpy(&b, &d, 8);
    if (isnan(d)) b = CANON_NAN;
    return (b & SIGN64) ? ~b : b ^ SIGN64;
}

static inline double double_unkey(uint64_t k)
{
    uint64_t b = (k & SIGN64) ? k ^ SIGN64 : ~k;
    double d;
    memcpy(&d, &b, 8);
    return d;
}

size_t mc_size(int type, const sql_value *v)
{
    if (v->is_null) return 1;
    int f = mc_fixed_size(type);
    if (f > 0) return 1 + (size_t)f;
    size_t n = v->u.s.n, zeros = 0;
    const uint8_t *p = (const uint8_t *)v->u.s.p, *end = p + n;
    while (p < end && (p = memchr(p, 0, (size_t)(end - p))) != NULL) {
        zeros++;
        p++;
    }
    return 1 + n + zeros + 2;
}

uint8_t *mc_encode(uint8_t *p, int type, const sql_value *v)
{
    if (v->is_null) {
        *p++ = MC_NULL;
        return p;
    }
    *p++ = MC_VALUE;
    switch (type) {
    case STRATA_TYPE_BOOLEAN:
        *p++ = v->u.i ? 1 : 0;
        return p;
    case STRATA_TYPE_INT:
        put_be32(p, (uint32_t)v->u.i ^ 0x80000000u);
        return p + 4;
    case STRATA_TYPE_BIGINT:
    case STRATA_TYPE_TIMESTAMP:
        put_be64(p, (uint64_t)v->u.i ^ SIGN64);
        return p + 8;
    case STRATA_TYPE_DOUBLE: {
        double d = v->type == STRATA_TYPE_DOUBLE ? v->u.d : (double)v->u.i;
        put_be64(p, double_key(d));
        return p + 8;
    }
    default: { /* TEXT, BLOB */
        const uint8_t *s = (const uint8_t *)v->u.s.p, *end = s + v->u.s.n;
        while (s < end) {
            const uint8_t *z = memchr(s, 0, (size_t)(end - s));
            size_t run = (size_t)((z ? z : end) - s);
            memcpy(p, s, run);
            p += run;
            s += run;
            if (z) {
                *p++ = MC_ESC;
                *p++ = MC_ESC_Z;
                s++;
            }
        }
        *p++ = MC_ESC;
        *p++ = MC_TERM;
        return p;
    }
    }
}

int mc_encode_key(uint8_t *buf, size_t cap, const uint8_t *types, const sql_value *vals, size_t n,
                  size_t *len)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++) {
        size_t need = mc_max_size(types[i], &vals[i]);
        if (ST_UNLIKELY(need > cap - (size_t)(p - buf))) {
            need = mc_size(types[i], &vals[i]);
            if (need > cap - (size_t)(p - buf))
                return st_error(STRATA_TOOBIG, "key column %zu: encoded key exceeds %zu bytes", i,
                                cap);
        }
        p = mc_encode(p, types[i], &vals[i]);
    }
    *len = (size_t)(p - buf);
    return STRATA_OK;
}

static int corrupt(const char *what, int type, size_t at)
{
    return st_error(STRATA_CORRUPT, "memcomparable %s value: %s at byte %zu", sql_type_name(type),
                    what, at);
}

/* Decodes one value; base is the start of the whole key (for messages). */
static int decode_one(const uint8_t **pp, const uint8_t *end, int type, sql_value *out,
                      uint8_t **scratch, const uint8_t *base)
{
    const uint8_t *p = *pp;
    out->type = (uint8_t)type;
    if (p >= end) return corrupt("truncated marker", type, (size_t)(p - base));
    uint8_t m = *p++;
    if (m == MC_NULL) {
        out->is_null = 1;
        out->u.i = 0;
        *pp = p;
        return STRATA_OK;
    }
    if (m != MC_VALUE) return corrupt("bad marker", type, (size_t)(p - 1 - base));
    out->is_null = 0;
    int f = mc_fixed_size(type);
    if (f < 0) return st_error(STRATA_CORRUPT, "memcomparable: cannot decode type %d", type);
    if (f > 0 && (size_t)(end - p) < (size_t)f)
        return corrupt("truncated body", type, (size_t)(p - base));
    switch (type) {
    case STRATA_TYPE_BOOLEAN:
        if (*p > 1) return corrupt("boolean not 0/1", type, (size_t)(p - base));
        out->u.i = *p;
        break;
    case STRATA_TYPE_INT:
        out->u.i = (int32_t)(get_be32(p) ^ 0x80000000u);
        break;
    case STRATA_TYPE_BIGINT:
    case STRATA_TYPE_TIMESTAMP:
        out->u.i = (int64_t)(get_be64(p) ^ SIGN64);
        break;
    case STRATA_TYPE_DOUBLE: {
        uint64_t k = get_be64(p);
        double d = double_unkey(k);
        if (double_key(d) != k) return corrupt("non-canonical double", type, (size_t)(p - base));
        out->u.d = d;
        break;
    }
    default: { /* TEXT, BLOB */
        const uint8_t *s = p;
        const uint8_t *z = memchr(s, 0, (size_t)(end - s));
        if (!z || z + 1 >= end) return corrupt("unterminated string", type, (size_t)(p - base));
        if (z[1] == MC_TERM) { /* common case: no escaped zero, borrow the input */
            out->u.s.p = (const char *)s;
            out->u.s.n = (uint32_t)(z - s);
            *pp = z + 2;
            return STRATA_OK;
        }
        uint8_t *o = *scratch, *o0 = o;
        for (;;) {
            z = memchr(s, 0, (size_t)(end - s));
            if (!z || z + 1 >= end) return corrupt("unterminated string", type, (size_t)(s - base));
            memcpy(o, s, (size_t)(z - s));
            o += z - s;
            if (z[1] == MC_TERM) {
                s = z + 2;
                break;
            }
            if (z[1] != MC_ESC_Z) return corrupt("bad escape", type, (size_t)(z - base));
            *o++ = 0;
            s = z + 2;
        }
        if ((size_t)(o - o0) > UINT32_MAX) return corrupt("string too long", type, 0);
        out->u.s.p = (const char *)o0;
        out->u.s.n = (uint32_t)(o - o0);
        *scratch = o;
        *pp = s;
        return STRATA_OK;
    }
    }
    *pp = p + f;
    return STRATA_OK;
}

int mc_decode(const uint8_t **pp, const uint8_t *end, int type, sql_value *out, uint8_t **scratch)
{
    return decode_one(pp, end, type, out, scratch, *pp);
}

int mc_skip(const uint8_t **pp, const uint8_t *end, int type)
{
    const uint8_t *p = *pp, *base = p;
    if (p >= end) return corrupt("truncated marker", type, 0);
    uint8_t m = *p++;
    if (m == MC_NULL) {
        *pp = p;
        return STRATA_OK;
    }
    if (m != MC_VALUE) return corrupt("bad marker", type, 0);
    int f = mc_fixed_size(type);
    if (f < 0) return st_error(STRATA_CORRUPT, "memcomparable: cannot decode type %d", type);
    if (f > 0) {
        if ((size_t)(end - p) < (size_t)f) return corrupt("truncated body", type, 1);
        *pp = p + f;
        return STRATA_OK;
    }
    for (;;) {
        const uint8_t *z = memchr(p, 0, (size_t)(end - p));
        if (!z || z + 1 >= end) return corrupt("unterminated string", type, (size_t)(p - base));
        if (z[1] == MC_TERM) {
            *pp = z + 2;
            return STRATA_OK;
        }
        if (z[1] != MC_ESC_Z) return corrupt("bad escape", type, (size_t)(z - base));
        p = z + 2;
    }
}

int mc_decode_key(const uint8_t *p, size_t n, const uint8_t *types, size_t ncols, sql_value *out,
                  uint8_t *scratch, size_t *used)
{
    const uint8_t *q = p, *end = p + n;
    for (size_t i = 0; i < ncols; i++) {
        int rc = decode_one(&q, end, types[i], &out[i], &scratch, p);
        if (rc) return rc;
    }
    if (used)
        *used = (size_t)(q - p);
    else if (q != end)
        return st_error(STRATA_CORRUPT, "memcomparable key: %zu trailing bytes after %zu columns",
                        (size_t)(end - q), ncols);
    return STRATA_OK;
}

int mc_prefix_successor(uint8_t *buf, size_t *len)
{
    size_t n = *len;
    while (n > 0 && buf[n - 1] == 0xFF) n--;
    if (n == 0) return -1;
    buf[n - 1]++;
    *len = n;
    return 0;
}

int mc_compare_values(int type, const sql_value *a, const sql_value *b)
{
    if (a->is_null || b->is_null) return (int)!a->is_null - (int)!b->is_null;
    switch (type) {
    case STRATA_TYPE_BOOLEAN:
    case STRATA_TYPE_INT:
    case STRATA_TYPE_BIGINT:
    case STRATA_TYPE_TIMESTAMP:
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    case STRATA_TYPE_DOUBLE: {
        uint64_t x = double_key(a->u.d), y = double_key(b->u.d);
        return (x > y) - (x < y);
    }
    default: {
        size_t m = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
        int c = m ? memcmp(a->u.s.p, b->u.s.p, m) : 0;
        if (c) return c < 0 ? -1 : 1;
        return (a->u.s.n > b->u.s.n) - (a->u.s.n < b->u.s.n);
    }
    }
}
