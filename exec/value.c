/* exec/value.c — single-value helpers: casts, text rendering and parsing of numbers and
 * timestamps, comparison, LIKE (see expr.h). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exec/expr.h"

/* ---- timestamps ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int parse_digits(const char **pp, const char *end, int ndig, int *out)
{
    const char *p = *pp;
    int v = 0;
    for (int i = 0; i < ndig; i++) {
        if (p >= end || !isdigit((unsigned char)*p)) return -1;
        v = v * 10 + (*p++ - '0');
    }
    *pp = p;
    *out = v;
    return 0;
}

int exec_parse_timestamp(const char *s, size_t n, int64_t *us)
{
    const char *p = s, *end = s + n;
    while (p < end && isspace((unsigned char)*p)) p++;
    while (end > p && isspace((unsigned char)end[-1])) end--;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t frac = 0;
    if (parse_digits(&p, end, 4, &y) || p >= end || *p++ != '-') return -1;
    if (parse_digits(&p, end, 2, &mo) || p >= end || *p++ != '-') return -1;
    if (parse_digits(&p, end, 2, &d)) return -1;
    if (p < end && (*p == ' ' || *p == 'T')) {
        p++;
        if (parse_digits(&p, end, 2, &h) || p >= end || *p++ != ':') return -1;
        if (parse_digits(&p, end, 2, &mi)) return -1;
        if (p < end && *p == ':') {
            p++;
            if (parse_digits(&p, end, 2, &sec)) return -1;
            if (p < end && *p == '.') {
                p++;
                int nd = 0;
                while (p < end && isdigit((unsigned char)*p)) {
                    if (nd < 6) frac = frac * 10 + (*p - '0');
                    nd++;
                    p++;
                }
                if (nd == 0) return -1;
                for (; nd < 6; nd++) frac *= 10;
            }
        }
    }
    if (p < end && (*p == 'Z' || *p == 'z')) p++;
    if (p != end) return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59) return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return -1;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *us = ((days * 24 + h) * 60 + mi) * 60 * INT64_C(1000000) + sec * INT64_C(1000000) + frac;
    return 0;
}

size_t exec_format_timestamp(int64_t us, char *buf, size_t n)
{
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    int64_t frac = us - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int len;
    if (frac) {
        len = snprintf(buf, n, "%04" PRId64 "-%02u-%02u %02d:%02d:%02d.%06d", y, m, d,
                       (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (int)frac);
        /* trim trailing zeros of the fraction, as PostgreSQL prints */
        while (len > 0 && (size_t)len < n && buf[len - 1] == '0') buf[--len] = 0;
    } else {
        len = snprintf(buf, n, "%04" PRId64 "-%02u-%02u %02d:%02d:%02d", y, m, d, (int)(sod / 3600),
                       (int)(sod / 60 % 60), (int)(sod % 60));
    }
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

/* ---- numbers ---- */

static size_t format_double(double d, char *buf, size_t n)
{
    int len;
    if (isnan(d)) {
        len = snprintf(buf, n, "NaN");
    } else if (isinf(d)) {
        len = snprintf(buf, n, d > 0 ? "Infinity" : "-Infinity");
    } else {
        len = snprintf(buf, n, "%.15g", d);
        if (strtod(buf, NULL) != d) len = snprintf(buf, n, "%.17g", d);
    }
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

size_t exec_value_format(const sql_value *v, char *buf, size_t n)
{
    int len = 0;
    if (v->is_null || v->type == STRATA_TYPE_NULL) {
        len = snprintf(buf, n, "NULL");
    } else {
        switch (v->type) {
        case STRATA_TYPE_BOOLEAN:
            len = snprintf(buf, n, "%s", v->u.i ? "true" : "false");
            break;
        case STRATA_TYPE_INT:
        case STRATA_TYPE_BIGINT:
            len = snprintf(buf, n, "%" PRId64, v->u.i);
            break;
        case STRATA_TYPE_DOUBLE:
            return format_double(v->u.d, buf, n);
        case STRATA_TYPE_TIMESTAMP:
            return exec_format_timestamp(v->u.i, buf, n);
        case STRATA_TYPE_TEXT:
        case STRATA_TYPE_BLOB:
            len = snprintf(buf, n, "%.*s", (int)v->u.s.n, v->u.s.p);
            break;
        }
    }
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

/* Parses an integer with optional surrounding spaces and sign. 0 ok, -1 syntax, -2 range. */
static int parse_int64(const char *s, size_t n, int64_t *out)
{
    const char *p = s, *end = s + n;
    while (p < end && isspace((unsigned char)*p)) p++;
    while (end > p && isspace((unsigned char)end[-1])) end--;
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-')) neg = *p++ == '-';
    if (p == end) return -1;
    uint64_t v = 0;
    int range = 0;
    for (; p < end; p++) {
        if (!isdigit((unsigned char)*p)) return -1;
        unsigned dgt = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - dgt) / 10)
            range = 1;
        else
            v = v * 10 + dgt;
    }
    if (range) return -2;
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return -2;
        *out = (int64_t)(0 - v);
    } else {
        if (v > (uint64_t)INT64_MAX) return -2;
        *out = (int64_t)v;
    }
    return 0;
}

static int parse_double(const char *s, size_t n, double *out)
{
    char tmp[128];
    if (n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *p = tmp;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) return -1;
    char *e;
    errno = 0;
    double d = strtod(p, &e);
    while (isspace((unsigned char)*e)) e++;
    if (*e) return -1;
    if (errno == ERANGE && isinf(d)) return -2;
    *out = d;
    return 0;
}

static int parse_bool(const char *s, size_t n, int *out)
{
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    static const char *const t[] = {"true", "t", "yes", "y", "on", "1"};
    static const char *const f[] = {"false", "f", "no", "n", "off", "0"};
    for (size_t i = 0; i < 6; i++) {
        if (strlen(t[i]) == n && strncasecmp(t[i], s, n) == 0) return *out = 1, 0;
        if (strlen(f[i]) == n && strncasecmp(f[i], s, n) == 0) return *out = 0, 0;
    }
    return -1;
}

static int cast_error(exec_ctx *ctx, const sql_value *v, int type)
{
    char buf[96];
    exec_value_format(v, buf, sizeof buf);
    return exec_error(ctx, STRATA_TYPE, "invalid input syntax for type %s: \"%s\"",
                      sql_type_name(type), buf);
}

static int range_error(exec_ctx *ctx, int type)
{
    return exec_error(ctx, STRATA_RANGE, "%s out of range",
                      type == STRATA_TYPE_INT      ? "integer"
                      : type == STRATA_TYPE_BIGINT ? "bigint"
                                                   : "value");
}

int exec_cast_value(exec_ctx *ctx, const sql_value *v, int type, exec_heap *h, sql_value *out)
{
    int from = v->type;
    if (v->is_null || from == STRATA_TYPE_NULL) {
        *out = sql_null(type);
        return STRATA_OK;
    }
    if (from == type) {
        *out = *v;
        if ((type == STRATA_TYPE_TEXT || type == STRATA_TYPE_BLOB) && h && v->u.s.n) {
            char *p = exec_heap_alloc(h, v->u.s.n);
            memcpy(p, v->u.s.p, v->u.s.n);
            out->u.s.p = p;
        }
        return STRATA_OK;
    }
    switch (type) {
    case STRATA_TYPE_BOOLEAN:
        if (sql_type_is_integer(from)) {
            *out = sql_int(type, v->u.i != 0);
            return STRATA_OK;
        }
        if (from == STRATA_TYPE_DOUBLE) {
            *out = sql_int(type, v->u.d != 0);
            return STRATA_OK;
        }
        if (from == STRATA_TYPE_TEXT) {
            int b;
            if (parse_bool(v->u.s.p, v->u.s.n, &b)) return cast_error(ctx, v, type);
            *out = sql_int(type, b);
            return STRATA_OK;
        }
        break;
    case STRATA_TYPE_INT:
    case STRATA_TYPE_BIGINT: {
        int64_t i;
        if (from == STRATA_TYPE_BOOLEAN || sql_type_is_integer(from) ||
            (from == STRATA_TYPE_TIMESTAMP && type == STRATA_TYPE_BIGINT)) {
            i = v->u.i;
        } else if (from == STRATA_TYPE_DOUBLE) {
            double d = rint(v->u.d);
            if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
                return range_error(ctx, type);
            i = (int64_t)d;
        } else if (from == STRATA_TYPE_TEXT) {
            int rc = parse_int64(v->u.s.p, v->u.s.n, &i);
            if (rc == -1) {
                double d;
                if (parse_double(v->u.s.p, v->u.s.n, &d) == 0 && d == rint(d) &&
                    d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
                    i = (int64_t)d;
                } else {
                    return cast_error(ctx, v, type);
                }
            } else if (rc == -2) {
                return range_error(ctx, type);
            }
        } else {
            break;
        }
        if (type == STRATA_TYPE_INT && (i < INT32_MIN || i > INT32_MAX))
            return range_error(ctx, type);
        *out = sql_int(type, i);
        return STRATA_OK;
    }
    case STRATA_TYPE_DOUBLE:
        if (from == STRATA_TYPE_BOOLEAN || sql_type_is_integer(from)) {
            *out = sql_double((double)v->u.i);
            return STRATA_OK;
        }
        if (from == STRATA_TYPE_TEXT) {
            double d;
            int rc = parse_double(v->u.s.p, v->u.s.n, &d);
            if (rc == -1) return cast_error(ctx, v, type);
            if (rc == -2) return range_error(ctx, type);
            *out = sql_double(d);
            return STRATA_OK;
        }
        break;
    case STRATA_TYPE_TIMESTAMP:
        if (from == STRATA_TYPE_BIGINT || from == STRATA_TYPE_INT) {
            *out = sql_int(type, v->u.i);
            return STRATA_OK;
        }
        if (from == STRATA_TYPE_TEXT) {
            int64_t us;
            if (exec_parse_timestamp(v->u.s.p, v->u.s.n, &us)) return cast_error(ctx, v, type);
            *out = sql_int(type, us);
            return STRATA_OK;
        }
        break;
    case STRATA_TYPE_TEXT: {
        if (from == STRATA_TYPE_BLOB) {
            sql_value t = *v;
            t.type = STRATA_TYPE_TEXT;
            return exec_cast_value(ctx, &t, type, h, out);
        }
        char buf[64];
        size_t n = exec_value_format(v, buf, sizeof buf);
        char *p = exec_heap_alloc(h, n ? n : 1);
        memcpy(p, buf, n);
        *out = sql_text(type, p, (uint32_t)n);
        return STRATA_OK;
    }
    case STRATA_TYPE_BLOB:
        if (from == STRATA_TYPE_TEXT) {
            sql_value t = *v;
            t.type = STRATA_TYPE_BLOB;
            return exec_cast_value(ctx, &t, type, h, out);
        }
        break;
    }
    return exec_error(ctx, STRATA_TYPE, "cannot cast %s to %s", sql_type_name(from),
                      sql_type_name(type));
}

int exec_value_cmp(const sql_value *a, const sql_value *b)
{
    int an = a->is_null || a->type == STRATA_TYPE_NULL;
    int bn = b->is_null || b->type == STRATA_TYPE_NULL;
    if (an || bn) return an - bn ? (an ? -1 : 1) : 0;
    if (a->type == STRATA_TYPE_DOUBLE || b->type == STRATA_TYPE_DOUBLE) {
        double x = a->type == STRATA_TYPE_DOUBLE ? a->u.d : (double)a->u.i;
        double y = b->type == STRATA_TYPE_DOUBLE ? b->u.d : (double)b->u.i;
        if (a->type == STRATA_TYPE_TEXT || b->type == STRATA_TYPE_TEXT) goto bytes;
        return x < y ? -1 : x > y;
    }
    if (a->type == STRATA_TYPE_TEXT || a->type == STRATA_TYPE_BLOB) {
    bytes:
        if (!(a->type == STRATA_TYPE_TEXT || a->type == STRATA_TYPE_BLOB)) return -1;
        if (!(b->type == STRATA_TYPE_TEXT || b->type == STRATA_TYPE_BLOB)) return 1;
        size_t m = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
        int c = m ? memcmp(a->u.s.p, b->u.s.p, m) : 0;
        if (c) return c < 0 ? -1 : 1;
        return a->u.s.n < b->u.s.n ? -1 : a->u.s.n > b->u.s.n;
    }
    if (b->type == STRATA_TYPE_TEXT || b->type == STRATA_TYPE_BLOB) return -1;
    return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
}

/* ---- LIKE ---- */

int exec_like(const char *s, size_t sn, const char *p, size_t pn)
{
    return exec_like_escape(s, sn, p, pn, NULL, 0);
}

int exec_like_escape(const char *s, size_t sn, const char *p, size_t pn, const char *esc, size_t en)
{
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < sn) {
        if (en && pi < pn && pn - pi >= en && memcmp(p + pi, esc, en) == 0) {
            /* escaped: the next pattern byte matches itself (escape at the end: no match) */
            if (pi + en < pn && p[pi + en] == s[si]) {
                si++;
                pi += en + 1;
                continue;
            }
        } else if (pi < pn && p[pi] == '_') { /* one character: a whole UTF-8 sequence */
            unsigned char c = (unsigned char)s[si];
            size_t cl = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
            si += cl < sn - si ? cl : sn - si;
            pi++;
            continue;
        } else if (pi < pn && p[pi] != '%' && p[pi] == s[si]) {
            si++;
            pi++;
            continue;
        } else if (pi < pn && p[pi] == '%') {
            star_p = pi++;
            star_s = si;
            continue;
        }
        if (star_p == (size_t)-1) return 0;
        pi = star_p + 1;
        si = ++star_s;
    }
    while (pi < pn && p[pi] == '%' && !(en && pn - pi >= en && memcmp(p + pi, esc, en) == 0)) pi++;
    return pi == pn;
}
