/* tests/util/memcmp_test.c — memcomparable encoding: byte order of encodings == SQL order,
 * round trips, composite keys, hostile decoding. */
#include <math.h>

#include "test.h"
#include "util/memcmp.h"
#include "util/status.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* SQL order written independently of the encoder: NULL first, NaN last, -0 == 0. */
static int sql_cmp(int type, const sql_value *a, const sql_value *b)
{
    if (a->is_null || b->is_null) return (int)!a->is_null - (int)!b->is_null;
    switch (type) {
    case STRATA_TYPE_DOUBLE: {
        double x = a->u.d, y = b->u.d;
        if (isnan(x) || isnan(y)) return (int)isnan(x) != 0 ? (isnan(y) ? 0 : 1) : -1;
        return (x > y) - (x < y);
    }
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB:
        for (uint32_t i = 0; i < a->u.s.n && i < b->u.s.n; i++) {
            uint8_t x = (uint8_t)a->u.s.p[i], y = (uint8_t)b->u.s.p[i];
            if (x != y) return x < y ? -1 : 1;
        }
        return (a->u.s.n > b->u.s.n) - (a->u.s.n < b->u.s.n);
    default:
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    }
}

static int sgn(int x)
{
    return (x > 0) - (x < 0);
}

static char strpool[1 << 16];
static size_t strpool_n;

static sql_value random_value(int type)
{
    if (rnd() % 10 == 0) return sql_null(type);
    switch (type) {
    case STRATA_TYPE_BOOLEAN:
        return sql_int(type, (int64_t)(rnd() & 1));
    case STRATA_TYPE_INT: {
        static const int64_t edge[] = {INT32_MIN, INT32_MIN + 1, -1,       0,
                                       1,         INT32_MAX - 1, INT32_MAX};
        if (rnd() % 4 == 0) return sql_int(type, edge[rnd() % 7]);
        return sql_int(type, (int32_t)(uint32_t)rnd() >> (rnd() % 31));
    }
    case STRATA_TYPE_BIGINT:
    case STRATA_TYPE_TIMESTAMP: {
        static const int64_t edge[] = {INT64_MIN, INT64_MIN + 1, -1,       0,
                                       1,         INT64_MAX - 1, INT64_MAX};
        if (rnd() % 4 == 0) return sql_int(type, edge[rnd() % 7]);
        return sql_int(type, (int64_t)rnd() >> (rnd() % 63));
    }
    case STRATA_TYPE_DOUBLE: {
        static const double edge[] = {0.0, -0.0, 1.0,    -1.0,    INFINITY, -INFINITY,
                                      NAN, -NAN, 5e-324, -5e-324, 1e308,    -1e308};
        if (rnd() % 3 == 0) return sql_double(edge[rnd() % 12]);
        if (rnd() % 2) return sql_double((double)((int64_t)rnd() % 1000) / 7.0);
        uint64_t bits = rnd();
        double d;
        memcpy(&d, &bits, 8);
        return sql_double(d);
    }
    default: {
        static const char alpha[] = {0x00, 0x01, (char)0xFF, 'a', 'b'};
        uint32_t n = (uint32_t)(rnd() % 7);
        if (strpool_n + n > sizeof strpool) strpool_n = 0;
        char *p = strpool + strpool_n;
        for (uint32_t i = 0; i < n; i++) p[i] = alpha[rnd() % 5];
        strpool_n += n;
        return sql_text(type, p, n);
    }
    }
}

/* An encoding in its own exact-size heap block (so ASan catches an over-read when decoding). */
static uint8_t *encode_exact(int type, const sql_value *v, size_t *n)
{
    uint8_t tmp[64];
    REQUIRE(mc_max_size(type, v) <= sizeof tmp);
    uint8_t *e = mc_encode(tmp, type, v);
    *n = (size_t)(e - tmp);
    CHECK_EQ_INT(*n, mc_size(type, v));
    uint8_t *p = malloc(*n);
    memcpy(p, tmp, *n);
    return p;
}

static int bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = memcmp(a, b, m);
    if (c) return sgn(c);
    return (an > bn) - (an < bn);
}

static int same_value(int type, const sql_value *a, const sql_value *b)
{
    if (a->is_null != b->is_null) return 0;
    if (a->is_null) return 1;
    if (type == STRATA_TYPE_DOUBLE) {
        if (isnan(a->u.d)) return isnan(b->u.d);
        return a->u.d == b->u.d;
    }
    return sql_cmp(type, a, b) == 0;
}

static void test_order_and_roundtrip(void)
{
    static const int types[] = {STRATA_TYPE_BOOLEAN,   STRATA_TYPE_INT,    STRATA_TYPE_BIGINT,
                                STRATA_TYPE_TIMESTAMP, STRATA_TYPE_DOUBLE, STRATA_TYPE_TEXT,
                                STRATA_TYPE_BLOB};
    enum { N = 300 };
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        int type = types[t];
        strpool_n = 0;
        sql_value v[N];
        uint8_t *enc[N];
        size_t len[N];
        for (int i = 0; i < N; i++) {
            v[i] = random_value(type);
            enc[i] = encode_exact(type, &v[i], &len[i]);
        }
        int bad = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                int want = sgn(sql_cmp(type, &v[i], &v[j]));
                if (bytes_cmp(enc[i], len[i], enc[j], len[j]) != want) bad++;
                if (mc_compare_values(type, &v[i], &v[j]) != want) bad++;
            }
        if (bad) fprintf(stderr, "type %s: %d misordered pairs\n", sql_type_name(type), bad);
        CHECK_EQ_INT(bad, 0);
        for (int i = 0; i < N; i++) {
            const uint8_t *p = enc[i];
            uint8_t scratch[64], *s = scratch;
            sql_value out;
            CHECK_EQ_INT(mc_decode(&p, enc[i] + len[i], type, &out, &s), STRATA_OK);
            CHECK(p == enc[i] + len[i]);
            CHECK(same_value(type, &v[i], &out));
            CHECK_EQ_INT(out.type, type);
            p = enc[i];
            CHECK_EQ_INT(mc_skip(&p, enc[i] + len[i], type), STRATA_OK);
            CHECK(p == enc[i] + len[i]);
            /* every proper prefix of an encoding is truncated */
            for (size_t k = 0; k < len[i]; k++) {
                uint8_t *cut = malloc(k ? k : 1);
                memcpy(cut, enc[i], k);
                const uint8_t *q = cut;
                s = scratch;
                int rc = mc_decode(&q, cut + k, type, &out, &s);
                /* a cut string may end at an escaped zero that reads as a terminator: still
                 * never an over-read (ASan), and a fixed type must fail */
                if (mc_fixed_size(type) > 0) CHECK_EQ_INT(rc, STRATA_CORRUPT);
                free(cut);
            }
            free(enc[i]);
        }
    }
}

static void test_double_specials(void)
{
    uint8_t a[16], b[16];
    sql_value pz = sql_double(0.0), nz = sql_double(-0.0);
    size_t na = (size_t)(mc_encode(a, STRATA_TYPE_DOUBLE, &pz) - a);
    size_t nb = (size_t)(mc_encode(b, STRATA_TYPE_DOUBLE, &nz) - b);
    CHECK_MEM(a, na, b, nb); /* -0.0 == 0.0 */
    sql_value n1 = sql_double(NAN), n2 = sql_double(-NAN);
    na = (size_t)(mc_encode(a, STRATA_TYPE_DOUBLE, &n1) - a);
    nb = (size_t)(mc_encode(b, STRATA_TYPE_DOUBLE, &n2) - b);
    CHECK_MEM(a, na, b, nb); /* one NaN */
    sql_value inf = sql_double(INFINITY);
    nb = (size_t)(mc_encode(b, STRATA_TYPE_DOUBLE, &inf) - b);
    CHECK(memcmp(b, a, 9) < 0); /* +inf < NaN */
    /* an integer value in a DOUBLE column is converted */
    sql_value i3 = sql_int(STRATA_TYPE_BIGINT, 3), d3 = sql_double(3.0);
    na = (size_t)(mc_encode(a, STRATA_TYPE_DOUBLE, &i3) - a);
    nb = (size_t)(mc_encode(b, STRATA_TYPE_DOUBLE, &d3) - b);
    CHECK_MEM(a, na, b, nb);
    /* a non-canonical NaN body is rejected */
    a[1] = 0xFF;
    a[2] = 0xF0;
    memset(a + 3, 0, 6);
    a[8] = 1; /* 0x7ff0000000000001 flipped: a NaN, but not the canonical one */
    const uint8_t *p = a;
    uint8_t scratch[16], *s = scratch;
    sql_value out;
    CHECK_EQ_INT(mc_decode(&p, a + 9, STRATA_TYPE_DOUBLE, &out, &s), STRATA_CORRUPT);
}

static void test_text_escapes(void)
{
    const char raw[] = {'a', 0, 'b', 0, 0};
    sql_value v = sql_text(STRATA_TYPE_TEXT, raw, 5);
    uint8_t buf[32];
    size_t n = (size_t)(mc_encode(buf, STRATA_TYPE_TEXT, &v) - buf);
    const uint8_t want[] = {MC_VALUE, 'a', 0, 0xFF, 'b', 0, 0xFF, 0, 0xFF, 0, 0};
    CHECK_MEM(buf, n, want, sizeof want);
    uint8_t scratch[32], *s = scratch;
    const uint8_t *p = buf;
    sql_value out;
    CHECK_EQ_INT(mc_decode(&p, buf + n, STRATA_TYPE_TEXT, &out, &s), STRATA_OK);
    CHECK_MEM(out.u.s.p, out.u.s.n, raw, 5);
    CHECK(out.u.s.p == (const char *)scratch); /* unescaped into scratch */
    /* no escapes: borrowed from the input */
    sql_value w = sql_text(STRATA_TYPE_TEXT, "hello", 5);
    n = (size_t)(mc_encode(buf, STRATA_TYPE_TEXT, &w) - buf);
    p = buf;
    s = scratch;
    CHECK_EQ_INT(mc_decode(&p, buf + n, STRATA_TYPE_TEXT, &out, &s), STRATA_OK);
    CHECK(out.u.s.p == (const char *)buf + 1);
    CHECK(s == scratch);
    /* bad escape */
    const uint8_t bad[] = {MC_VALUE, 'a', 0, 0x7, 0, 0};
    p = bad;
    s = scratch;
    CHECK_EQ_INT(mc_decode(&p, bad + sizeof bad, STRATA_TYPE_TEXT, &out, &s), STRATA_CORRUPT);
    const uint8_t badmark[] = {0x02, 'a', 0, 0};
    p = badmark;
    CHECK_EQ_INT(mc_decode(&p, badmark + sizeof badmark, STRATA_TYPE_TEXT, &out, &s),
                 STRATA_CORRUPT);
    const uint8_t badbool[] = {MC_VALUE, 2};
    p = badbool;
    CHECK_EQ_INT(mc_decode(&p, badbool + 2, STRATA_TYPE_BOOLEAN, &out, &s), STRATA_CORRUPT);
}

static void test_composite(void)
{
    const uint8_t types[3] = {STRATA_TYPE_TEXT, STRATA_TYPE_INT, STRATA_TYPE_DOUBLE};
    enum { N = 200 };
    sql_value v[N][3];
    uint8_t *enc[N];
    size_t len[N];
    strpool_n = 0;
    for (int i = 0; i < N; i++) {
        uint8_t buf[256];
        for (int c = 0; c < 3; c++) v[i][c] = random_value(types[c]);
        if (i && rnd() % 3 == 0) v[i][0] = v[i - 1][0]; /* shared first column */
        REQUIRE(mc_encode_key(buf, sizeof buf, types, v[i], 3, &len[i]) == STRATA_OK);
        enc[i] = malloc(len[i]);
        memcpy(enc[i], buf, len[i]);
    }
    int bad = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int want = 0;
            for (int c = 0; c < 3 && !want; c++) want = sgn(sql_cmp(types[c], &v[i][c], &v[j][c]));
            if (bytes_cmp(enc[i], len[i], enc[j], len[j]) != want) bad++;
        }
    CHECK_EQ_INT(bad, 0);
    for (int i = 0; i < N; i++) {
        sql_value out[3];
        uint8_t *scratch = malloc(len[i]);
        CHECK_EQ_INT(mc_decode_key(enc[i], len[i], types, 3, out, scratch, NULL), STRATA_OK);
        for (int c = 0; c < 3; c++) CHECK(same_value(types[c], &v[i][c], &out[c]));
        /* a trailing byte is corrupt unless the caller asks how much was used */
        uint8_t *longer = malloc(len[i] + 1);
        memcpy(longer, enc[i], len[i]);
        longer[len[i]] = 0x42;
        uint8_t *scratch2 = malloc(len[i] + 1);
        CHECK_EQ_INT(mc_decode_key(longer, len[i] + 1, types, 3, out, scratch2, NULL),
                     STRATA_CORRUPT);
        size_t used = 0;
        CHECK_EQ_INT(mc_decode_key(longer, len[i] + 1, types, 3, out, scratch2, &used), STRATA_OK);
        CHECK_EQ_INT(used, len[i]);
        free(longer);
        free(scratch2);
        free(scratch);
        free(enc[i]);
    }
    /* too small a buffer */
    uint8_t small[4];
    size_t n;
    sql_value t = sql_text(STRATA_TYPE_TEXT, "abcdef", 6);
    CHECK_EQ_INT(mc_encode_key(small, sizeof small, types, &t, 1, &n), STRATA_TOOBIG);
}

static void test_hostile(void)
{
    static const int types[] = {STRATA_TYPE_BOOLEAN, STRATA_TYPE_INT,  STRATA_TYPE_BIGINT,
                                STRATA_TYPE_DOUBLE,  STRATA_TYPE_TEXT, STRATA_TYPE_BLOB};
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = rnd() % 24;
        uint8_t *p = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            uint64_t r = rnd() % 8;
            p[i] = r < 3 ? (uint8_t)r : r == 3 ? 0xFF : (uint8_t)rnd();
        }
        uint8_t ktypes[3];
        for (int c = 0; c < 3; c++) ktypes[c] = (uint8_t)types[rnd() % 6];
        sql_value out[3];
        uint8_t *scratch = malloc(n ? n : 1);
        int rc = mc_decode_key(p, n, ktypes, 3, out, scratch, NULL);
        CHECK(rc == STRATA_OK || rc == STRATA_CORRUPT);
        if (rc == STRATA_OK) { /* what decodes re-encodes to the same bytes */
            uint8_t buf[128];
            size_t m;
            REQUIRE(mc_encode_key(buf, sizeof buf, ktypes, out, 3, &m) == STRATA_OK);
            CHECK_MEM(buf, m, p, n);
        }
        const uint8_t *q = p;
        rc = mc_skip(&q, p + n, ktypes[0]);
        CHECK(rc == STRATA_OK || rc == STRATA_CORRUPT);
        free(scratch);
        free(p);
    }
}

static void test_prefix_successor(void)
{
    uint8_t a[] = {1, 2, 0xFF, 0xFF};
    size_t n = 4;
    CHECK_EQ_INT(mc_prefix_successor(a, &n), 0);
    const uint8_t want[] = {1, 3};
    CHECK_MEM(a, n, want, 2);
    uint8_t b[] = {0xFF, 0xFF};
    n = 2;
    CHECK_EQ_INT(mc_prefix_successor(b, &n), -1);
}

TEST_MAIN(test_order_and_roundtrip, test_double_specials, test_text_escapes, test_composite,
          test_hostile, test_prefix_successor)
