/* tests/catalog/row_codec_test.c — row values (O(1) column access, round trips, hostile bytes)
 * and row keys (layout, vnode, table and vnode ranges). */
#include <math.h>

#include "test.h"
#include "exec/row_codec.h"
#include "util/memcmp.h"

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const int all_types[] = {STRATA_TYPE_BOOLEAN,  STRATA_TYPE_INT,  STRATA_TYPE_BIGINT,
                                STRATA_TYPE_DOUBLE,   STRATA_TYPE_TEXT, STRATA_TYPE_BLOB,
                                STRATA_TYPE_TIMESTAMP};

static char pool[1 << 16];

static sql_value random_value(int type, size_t *poolpos)
{
    if (rnd() % 5 == 0) return sql_null(type);
    switch (type) {
    case STRATA_TYPE_BOOLEAN:
        return sql_int(type, (int64_t)(rnd() & 1));
    case STRATA_TYPE_INT:
        return sql_int(type, (int32_t)(uint32_t)rnd());
    case STRATA_TYPE_BIGINT:
    case STRATA_TYPE_TIMESTAMP:
        return sql_int(type, (int64_t)rnd());
    case STRATA_TYPE_DOUBLE:
        return sql_double((double)(int64_t)rnd() / 3.0);
    default: {
        uint32_t n = (uint32_t)(rnd() % 40);
        if (*poolpos + n > sizeof pool) *poolpos = 0;
        char *p = pool + *poolpos;
        for (uint32_t i = 0; i < n; i++) p[i] = (char)rnd();
        *poolpos += n;
        return sql_text(type, p, n);
    }
    }
}

static int same(const sql_value *a, const sql_value *b)
{
    if (a->is_null != b->is_null || a->type != b->type) return 0;
    if (a->is_null) return 1;
    switch (a->type) {
    case STRATA_TYPE_DOUBLE:
        return memcmp(&a->u.d, &b->u.d, 8) == 0;
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB:
        return a->u.s.n == b->u.s.n && (a->u.s.n == 0 || !memcmp(a->u.s.p, b->u.s.p, a->u.s.n));
    default:
        return a->u.i == b->u.i;
    }
}

static void test_roundtrip(void)
{
    row_buf b;
    row_buf_init(&b);
    size_t pp = 0;
    for (int iter = 0; iter < 2000; iter++) {
        uint32_t ncols = 1 + (uint32_t)(rnd() % 20);
        uint8_t types[20];
        sql_value vals[20];
        for (uint32_t i = 0; i < ncols; i++) {
            types[i] = (uint8_t)all_types[rnd() % 7];
            vals[i] = random_value(types[i], &pp);
        }
        REQUIRE(row_encode(&b, types, vals, ncols) == STRATA_OK);
        /* exact-size copy so ASan sees any over-read */
        uint8_t *row = malloc(b.n);
        memcpy(row, b.p, b.n);
        row_view v;
        REQUIRE(row_open(&v, row, b.n) == STRATA_OK);
        CHECK_EQ_INT(v.ncols, ncols);
        /* columns in random order, each on its own */
        for (uint32_t k = 0; k < ncols; k++) {
            uint32_t i = (uint32_t)(rnd() % ncols);
            sql_value out;
            CHECK_EQ_INT(row_view_get(&v, i, types[i], &out), STRATA_OK);
            CHECK(same(&vals[i], &out));
            CHECK_EQ_INT(row_get_column(row, b.n, i, types[i], &out), STRATA_OK);
            CHECK(same(&vals[i], &out));
        }
        sql_value all[20];
        CHECK_EQ_INT(row_decode(row, b.n, types, ncols, all), STRATA_OK);
        for (uint32_t i = 0; i < ncols; i++) CHECK(same(&vals[i], &all[i]));
        /* a column the row does not have (added later) reads as NULL */
        sql_value extra;
        CHECK_EQ_INT(row_view_get(&v, ncols, STRATA_TYPE_BIGINT, &extra), STRATA_OK);
        CHECK(extra.is_null);
        free(row);
    }
    row_buf_free(&b);
}

static void test_builder_matches_encode(void)
{
    const uint8_t types[4] = {STRATA_TYPE_BIGINT, STRATA_TYPE_TEXT, STRATA_TYPE_DOUBLE,
                              STRATA_TYPE_BLOB};
    sql_value vals[4] = {sql_int(STRATA_TYPE_BIGINT, -42), sql_text(STRATA_TYPE_TEXT, "héllo", 6),
                         sql_null(STRATA_TYPE_DOUBLE), sql_text(STRATA_TYPE_BLOB, "\0\1", 2)};
    row_buf a, b;
    row_buf_init(&a);
    row_buf_init(&b);
    REQUIRE(row_encode(&a, types, vals, 4) == STRATA_OK);
    REQUIRE(row_begin(&b, 4) == STRATA_OK);
    row_set_i64(&b, 0, -42);
    CHECK_EQ_INT(row_set_bytes(&b, 1, "héllo", 6), STRATA_OK);
    CHECK_EQ_INT(row_set_bytes(&b, 3, "\0\1", 2), STRATA_OK);
    CHECK_MEM(a.p, a.n, b.p, b.n);
    /* layout: version, ncols, null bitmap (only column 2 NULL), slots, var area */
    CHECK_EQ_INT(a.p[0], ROW_FORMAT_V1);
    CHECK_EQ_INT(get_le16(a.p + 1), 4);
    CHECK_EQ_INT(a.p[3], 0x04);
    CHECK_EQ_INT(a.n, ROW_VAR_OFFSET(4) + 6 + 2);
    CHECK_EQ_INT(get_le32(a.p + ROW_SLOTS_OFFSET(4) + 8), ROW_VAR_OFFSET(4));
    CHECK_EQ_INT(get_le32(a.p + ROW_SLOTS_OFFSET(4) + 12), 6);
    /* re-encoding into a used buffer replaces it */
    REQUIRE(row_encode(&a, types, vals, 4) == STRATA_OK);
    CHECK_MEM(a.p, a.n, b.p, b.n);
    row_buf_free(&a);
    row_buf_free(&b);
}

static void test_hostile(void)
{
    row_buf b;
    row_buf_init(&b);
    size_t pp = 0;
    int corrupt = 0, ok = 0;
    for (int iter = 0; iter < 20000; iter++) {
        uint32_t ncols = 1 + (uint32_t)(rnd() % 6);
        uint8_t types[6];
        sql_value vals[6];
        for (uint32_t i = 0; i < ncols; i++) {
            types[i] = (uint8_t)all_types[rnd() % 7];
            vals[i] = random_value(types[i], &pp);
        }
        REQUIRE(row_encode(&b, types, vals, ncols) == STRATA_OK);
        size_t n = b.n;
        int mode = (int)(rnd() % 3);
        if (mode == 0) n = rnd() % (b.n + 1); /* truncate */
        uint8_t *row = malloc(n ? n : 1);
        memcpy(row, b.p, n);
        if (mode >= 1 && n) /* flip bytes */
            for (int k = 0; k < 1 + (int)(rnd() % 3); k++)
                row[rnd() % n] ^= (uint8_t)(1 + rnd() % 255);
        for (uint32_t i = 0; i < ncols + 1; i++) {
            sql_value out;
            int rc = row_get_column(row, n, i, i < ncols ? types[i] : STRATA_TYPE_TEXT, &out);
            CHECK(rc == STRATA_OK || rc == STRATA_CORRUPT);
            if (rc == STRATA_OK && !out.is_null &&
                (out.type == STRATA_TYPE_TEXT || out.type == STRATA_TYPE_BLOB)) {
                /* borrowed bytes lie inside the row */
                CHECK((const uint8_t *)out.u.s.p >= row);
                CHECK((const uint8_t *)out.u.s.p + out.u.s.n <= row + n);
            }
            rc == STRATA_OK ? ok++ : corrupt++;
        }
        free(row);
    }
    CHECK(corrupt > 0);
    CHECK(ok > 0);
    /* specific cases */
    const uint8_t badver[] = {2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    sql_value out;
    CHECK_EQ_INT(row_get_column(badver, sizeof badver, 0, STRATA_TYPE_BIGINT, &out),
                 STRATA_CORRUPT);
    uint8_t boolrow[] = {1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0};
    CHECK_EQ_INT(row_get_column(boolrow, sizeof boolrow, 0, STRATA_TYPE_BOOLEAN, &out),
                 STRATA_CORRUPT);
    boolrow[4] = 1;
    CHECK_EQ_INT(row_get_column(boolrow, sizeof boolrow, 0, STRATA_TYPE_BOOLEAN, &out), STRATA_OK);
    CHECK_EQ_INT(out.u.i, 1);
    uint8_t introw[] = {1, 1, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0}; /* 2^31: not an INT */
    CHECK_EQ_INT(row_get_column(introw, sizeof introw, 0, STRATA_TYPE_INT, &out), STRATA_CORRUPT);
    uint8_t txtrow[] = {1, 1, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0}; /* offset 12 len 1 in 12 bytes */
    CHECK_EQ_INT(row_get_column(txtrow, sizeof txtrow, 0, STRATA_TYPE_TEXT, &out), STRATA_CORRUPT);
    txtrow[8] = 0;
    CHECK_EQ_INT(row_get_column(txtrow, sizeof txtrow, 0, STRATA_TYPE_TEXT, &out), STRATA_OK);
    CHECK_EQ_INT(out.u.s.n, 0);
    row_buf_free(&b);
}

static void test_keys(void)
{
    const uint8_t pkt[2] = {STRATA_TYPE_BIGINT, STRATA_TYPE_TEXT};
    uint8_t key[128];
    size_t n;
    uint32_t vnode;
    sql_value pk[2] = {sql_int(STRATA_TYPE_BIGINT, 7), sql_text(STRATA_TYPE_TEXT, "x", 1)};
    REQUIRE(row_key_encode(key, sizeof key, 42, 256, pkt, pk, 2, &n, &vnode) == STRATA_OK);
    CHECK_EQ_INT(get_be32(key), 42);
    CHECK_EQ_INT(get_be16(key + 4), vnode);
    CHECK(vnode < 256);
    /* vnode = hash of the encoded primary key */
    uint8_t pkbytes[64];
    size_t pklen;
    REQUIRE(mc_encode_key(pkbytes, sizeof pkbytes, pkt, pk, 2, &pklen) == STRATA_OK);
    CHECK_MEM(key + 6, n - 6, pkbytes, pklen);
    CHECK_EQ_INT(vnode, st_hash64(pkbytes, pklen) % 256);
    uint32_t tid = 0, vn = 0;
    const uint8_t *pkp = NULL;
    size_t pkn = 0;
    CHECK_EQ_INT(row_key_split(key, n, &tid, &vn, &pkp, &pkn), STRATA_OK);
    CHECK_EQ_INT(tid, 42);
    CHECK_EQ_INT(vn, vnode);
    CHECK_EQ_INT(pkn, pklen);
    CHECK_EQ_INT(row_key_split(key, 5, &tid, &vn, &pkp, &pkn), STRATA_CORRUPT);

    /* vnodes spread: 1000 keys over 16 vnodes all land in range, most vnodes used */
    int used[16] = {0};
    for (int64_t i = 0; i < 1000; i++) {
        sql_value id = sql_int(STRATA_TYPE_BIGINT, i);
        REQUIRE(row_key_encode(key, sizeof key, 42, 16, pkt, &id, 1, &n, &vnode) == STRATA_OK);
        REQUIRE(vnode < 16);
        used[vnode]++;
        uint8_t ts[4], te[4], vs[6], ve[6];
        row_key_table_range(42, ts, te);
        CHECK(memcmp(key, ts, 4) >= 0 && memcmp(key, te, 4) < 0);
        row_key_vnode_range(42, vnode, vs, ve);
        CHECK(memcmp(key, vs, 6) >= 0 && memcmp(key, ve, 6) < 0);
        row_key_vnode_range(42, (vnode + 1) % 16, vs, ve);
        CHECK(!(memcmp(key, vs, 6) >= 0 && memcmp(key, ve, 6) < 0));
    }
    int nonempty = 0;
    for (int i = 0; i < 16; i++) nonempty += used[i] > 0;
    CHECK_EQ_INT(nonempty, 16);
    /* the last vnode's range ends at the next table */
    uint8_t vs[6], ve[6];
    row_key_vnode_range(42, 65535, vs, ve);
    const uint8_t want[6] = {0, 0, 0, 43, 0, 0};
    CHECK_MEM(ve, 6, want, 6);
    /* decoding the primary key back */
    REQUIRE(row_key_encode(key, sizeof key, 42, 256, pkt, pk, 2, &n, NULL) == STRATA_OK);
    sql_value back[2];
    uint8_t scratch[128];
    CHECK_EQ_INT(row_key_decode_pk(key, n, pkt, 2, back, scratch), STRATA_OK);
    CHECK_EQ_INT(back[0].u.i, 7);
    CHECK_MEM(back[1].u.s.p, back[1].u.s.n, "x", 1);
    CHECK_EQ_INT(row_key_decode_pk(key, n - 1, pkt, 2, back, scratch), STRATA_CORRUPT);
    /* hidden row ids */
    int64_t ids[] = {1, -5, INT64_MAX, INT64_MIN};
    for (int i = 0; i < 4; i++) {
        sql_value id = sql_int(STRATA_TYPE_BIGINT, ids[i]);
        REQUIRE(row_key_encode(key, sizeof key, 9, 256, pkt, &id, 1, &n, NULL) == STRATA_OK);
        int64_t got = 0;
        CHECK_EQ_INT(row_key_rowid(key, n, &got), STRATA_OK);
        CHECK(got == ids[i]);
        CHECK_EQ_INT(row_key_rowid(key, n - 1, &got), STRATA_CORRUPT);
    }
    /* a key too big for the buffer */
    sql_value big = sql_text(STRATA_TYPE_TEXT, pool, 200);
    CHECK_EQ_INT(row_key_encode(key, sizeof key, 1, 1, pkt + 1, &big, 1, &n, NULL), STRATA_TOOBIG);
}

TEST_MAIN(test_roundtrip, test_builder_matches_encode, test_hostile, test_keys)
