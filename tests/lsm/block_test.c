/* tests/lsm/block_test.c — block builder/reader round trips, seeks, prev, hostile bytes. */
#include "test.h"

#include "lsm/block_builder.h"
#include "lsm/block_reader.h"
#include "lsm/dbformat.h"

static uint64_t rng_state = 0x1234567;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef struct kv {
    uint8_t key[64];
    size_t klen;
    uint8_t val[40];
    size_t vlen;
} kv;

static int kv_cmp(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    return ikey_cmp(st_slice_make(x->key, x->klen), st_slice_make(y->key, y->klen));
}

static st_slice K(const kv *e)
{
    return st_slice_make(e->key, e->klen);
}

/* n sorted distinct internal keys sharing prefixes, several versions of some user keys. */
static kv *make_kvs(size_t n)
{
    kv *v = calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        uint8_t uk[48];
        size_t ul = 1 + rnd() % 40;
        for (size_t j = 0; j < ul; j++) uk[j] = (uint8_t)("abc\xff"[rnd() % 4]);
        if (i > 0 && rnd() % 4 == 0) { /* another version of the previous user key */
            ul = v[i - 1].klen - 8;
            memcpy(uk, v[i - 1].key, ul);
        }
        ikey_build(v[i].key, st_slice_make(uk, ul), rnd() % 1000, (int)(rnd() % 2));
        v[i].klen = ul + 8;
        v[i].vlen = rnd() % 40;
        for (size_t j = 0; j < v[i].vlen; j++) v[i].val[j] = (uint8_t)rnd();
    }
    qsort(v, n, sizeof *v, kv_cmp);
    size_t m = 0; /* dedupe equal internal keys */
    for (size_t i = 0; i < n; i++)
        if (m == 0 || kv_cmp(&v[m - 1], &v[i]) != 0) v[m++] = v[i];
    for (size_t i = m; i < n; i++) v[i].klen = 0;
    return v;
}

static size_t count_kvs(const kv *v, size_t n)
{
    size_t m = 0;
    while (m < n && v[m].klen) m++;
    return m;
}

static void check_at(block_iter *it, const kv *e)
{
    REQUIRE(block_iter_valid(it));
    CHECK_MEM(it->key.p, it->key.n, e->key, e->klen);
    CHECK_MEM(it->value.p, it->value.n, e->val, e->vlen);
}

static void round_trip(size_t n, int interval)
{
    kv *v = make_kvs(n);
    n = count_kvs(v, n);
    block_builder b;
    block_builder_init(&b, interval);
    for (size_t i = 0; i < n; i++)
        REQUIRE(block_builder_add(&b, K(&v[i]), st_slice_make(v[i].val, v[i].vlen)) == 0);
    size_t est = block_builder_size(&b);
    st_slice blk = block_builder_finish(&b);
    CHECK_EQ_INT(blk.n, est);

    block_iter it;
    block_iter_init(&it);
    REQUIRE(block_iter_reset(&it, blk.p, blk.n) == 0);
    size_t i = 0;
    for (block_iter_seek_to_first(&it); block_iter_valid(&it); block_iter_next(&it)) {
        REQUIRE(i < n);
        check_at(&it, &v[i++]);
    }
    CHECK_EQ_INT(i, n);
    CHECK(!it.corrupt);
    i = n;
    for (block_iter_seek_to_last(&it); block_iter_valid(&it); block_iter_prev(&it)) {
        REQUIRE(i > 0);
        check_at(&it, &v[--i]);
    }
    CHECK_EQ_INT(i, 0);
    for (i = 0; i < n; i++) { /* seek to every key, step around it */
        block_iter_seek(&it, K(&v[i]));
        check_at(&it, &v[i]);
        block_iter_prev(&it);
        if (i > 0)
            check_at(&it, &v[i - 1]);
        else
            CHECK(!block_iter_valid(&it));
        block_iter_seek(&it, K(&v[i]));
        block_iter_next(&it);
        if (i + 1 < n)
            check_at(&it, &v[i + 1]);
        else
            CHECK(!block_iter_valid(&it));
    }
    for (i = 0; i < n; i++) { /* between keys: the user key with a 0 byte appended, seq 0 */
        uint8_t t[80];
        st_slice uk = ikey_user(K(&v[i]));
        memcpy(t, uk.p, uk.n);
        t[uk.n] = 0;
        st_slice target = ikey_build(t, st_slice_make(t, uk.n + 1), 0, KIND_DELETE);
        size_t j = 0;
        while (j < n && ikey_cmp(K(&v[j]), target) < 0) j++;
        block_iter_seek(&it, target);
        if (j < n)
            check_at(&it, &v[j]);
        else
            CHECK(!block_iter_valid(&it));
    }
    block_iter_destroy(&it);
    block_builder_destroy(&b);
    free(v);
}

static void test_round_trip(void)
{
    round_trip(1, 16);
    round_trip(15, 16);
    round_trip(16, 16);
    round_trip(17, 16);
    round_trip(33, 16);
    round_trip(500, 16);
    round_trip(300, 1);
    round_trip(300, 3);
}

static void test_empty_block(void)
{
    block_builder b;
    block_builder_init(&b, 16);
    st_slice blk = block_builder_finish(&b);
    CHECK_EQ_INT(blk.n, 8);
    block_iter it;
    block_iter_init(&it);
    CHECK_EQ_INT(block_iter_reset(&it, blk.p, blk.n), 0);
    block_iter_seek_to_first(&it);
    CHECK(!block_iter_valid(&it));
    block_iter_seek_to_last(&it);
    CHECK(!block_iter_valid(&it));
    uint8_t t[16];
    block_iter_seek(&it, ikey_build(t, st_slice_make("a", 1), 1, KIND_PUT));
    CHECK(!block_iter_valid(&it));
    CHECK(!it.corrupt);
    block_iter_destroy(&it);
    block_builder_destroy(&b);
}

static void test_long_keys(void)
{
    /* keys longer than the inline key buffer force the heap buffer */
    block_builder b;
    block_builder_init(&b, 16);
    uint8_t k[600];
    memset(k, 'x', sizeof k);
    for (int i = 0; i < 50; i++) {
        uint8_t ik[700];
        k[500] = (uint8_t)('a' + i % 26);
        k[499] = (uint8_t)('a' + i / 26);
        ikey_build(ik, st_slice_make(k, 501), 7, KIND_PUT);
        REQUIRE(block_builder_add(&b, st_slice_make(ik, 509), st_slice_make("v", 1)) == 0);
    }
    st_slice blk = block_builder_finish(&b);
    block_iter it;
    block_iter_init(&it);
    block_iter_reset(&it, blk.p, blk.n);
    int n = 0;
    for (block_iter_seek_to_last(&it); block_iter_valid(&it); block_iter_prev(&it)) {
        CHECK_EQ_INT(it.key.n, 509);
        CHECK_EQ_INT(it.key.p[500], 'a' + (49 - n) % 26);
        n++;
    }
    CHECK_EQ_INT(n, 50);
    block_iter_destroy(&it);
    block_builder_destroy(&b);
}

/* Mutated blocks: the iterator must stay inside the bytes (ASan checks) and terminate. */
static void test_hostile_bytes(void)
{
    kv *v = make_kvs(100);
    size_t n = count_kvs(v, 100);
    block_builder b;
    block_builder_init(&b, 4);
    for (size_t i = 0; i < n; i++)
        block_builder_add(&b, K(&v[i]), st_slice_make(v[i].val, v[i].vlen));
    st_slice blk = block_builder_finish(&b);
    uint8_t *m = malloc(blk.n);
    block_iter it;
    block_iter_init(&it);
    for (int round = 0; round < 20000; round++) {
        memcpy(m, blk.p, blk.n);
        size_t len = blk.n;
        int flips = 1 + (int)(rnd() % 4);
        for (int f = 0; f < flips; f++) m[rnd() % len] ^= (uint8_t)(1 + rnd() % 255);
        if (round % 7 == 0) len = rnd() % (blk.n + 1);
        uint8_t *copy = malloc(len ? len : 1); /* exact size so ASan sees an over-read */
        memcpy(copy, m, len);
        block_iter_reset(&it, copy, len);
        size_t steps = 0;
        for (block_iter_seek_to_first(&it); block_iter_valid(&it); block_iter_next(&it))
            REQUIRE(++steps <= len);
        steps = 0;
        for (block_iter_seek_to_last(&it); block_iter_valid(&it); block_iter_prev(&it))
            REQUIRE(++steps <= len);
        block_iter_reset(&it, copy, len);
        block_iter_seek(&it, K(&v[rnd() % n]));
        if (block_iter_valid(&it)) block_iter_prev(&it);
        free(copy);
    }
    block_iter_destroy(&it);
    block_builder_destroy(&b);
    free(m);
    free(v);
}

TEST_MAIN(test_round_trip, test_empty_block, test_long_keys, test_hostile_bytes)
