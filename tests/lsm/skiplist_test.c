/* tests/lsm/skiplist_test.c — arena skiplist order, seeks, prev, and a concurrent reader. */
#include <pthread.h>
#include <stdatomic.h>

#include "test.h"
#include "lsm/dbformat.h"
#include "lsm/skiplist.h"

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* ikey for (k, seq): 8-byte big-endian user key so byte order = numeric order */
static st_slice mk(uint8_t *buf, uint64_t k, uint64_t seq)
{
    uint8_t u[8];
    put_be64(u, k);
    return ikey_build(buf, st_slice_make(u, 8), seq, KIND_PUT);
}

static int cmp_pair(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return x[1] > y[1] ? -1 : x[1] < y[1]; /* seq descending */
}

static void test_order_and_seek(void)
{
    arena a;
    arena_init(&a, 4096);
    skiplist s;
    sl_init(&s, &a);
    enum { N = 2000 };
    static uint64_t model[N][2];
    sl_iter e;
    sl_iter_init(&e, &s);
    uint8_t eb[16];
    sl_iter_seek(&e, mk(eb, 0, 1)); /* an empty list */
    CHECK(!sl_iter_valid(&e));
    for (int i = 0; i < N; i++) {
        model[i][0] = rnd() % 500;
        model[i][1] = (uint64_t)i + 1; /* unique seq: no equal internal keys */
        uint8_t kb[16];
        uint8_t v[8];
        put_le64(v, model[i][1]);
        sl_insert(&s, mk(kb, model[i][0], model[i][1]), st_slice_make(v, 8));
    }
    qsort(model, N, sizeof model[0], cmp_pair);
    sl_iter it;
    sl_iter_init(&it, &s);
    sl_iter_seek_to_first(&it);
    for (int i = 0; i < N; i++) {
        REQUIRE(sl_iter_valid(&it));
        st_slice k = sl_iter_key(&it);
        CHECK(get_be64(k.p) == model[i][0]);
        CHECK(ikey_seq(k) == model[i][1]);
        CHECK(get_le64(sl_iter_value(&it).p) == model[i][1]);
        sl_iter_next(&it);
    }
    CHECK(!sl_iter_valid(&it));
    sl_iter_seek_to_last(&it);
    for (int i = N - 1; i >= 0; i--) {
        REQUIRE(sl_iter_valid(&it));
        CHECK(get_be64(sl_iter_key(&it).p) == model[i][0]);
        CHECK(ikey_seq(sl_iter_key(&it)) == model[i][1]);
        sl_iter_prev(&it);
    }
    CHECK(!sl_iter_valid(&it));
    /* seeks before, at and just after the first key */
    sl_iter_seek(&it, mk(eb, model[0][0], N + 5));
    REQUIRE(sl_iter_valid(&it));
    CHECK(ikey_seq(sl_iter_key(&it)) == model[0][1]);
    sl_iter_seek(&it, mk(eb, model[0][0], model[0][1]));
    REQUIRE(sl_iter_valid(&it));
    CHECK(ikey_seq(sl_iter_key(&it)) == model[0][1]);
    sl_iter_seek(&it, mk(eb, model[0][0], model[0][1] - 1));
    REQUIRE(sl_iter_valid(&it));
    CHECK(ikey_seq(sl_iter_key(&it)) == model[1][1]);
    /* seek and seek_for_prev against the model */
    for (int q = 0; q < 500; q++) {
        uint64_t k = rnd() % 520, seq = rnd() % (N + 2);
        uint8_t kb[16];
        st_slice t = mk(kb, k, seq);
        uint64_t probe[2] = {k, seq};
        int lo = 0;
        while (lo < N && cmp_pair(model[lo], probe) < 0) lo++;
        sl_iter_seek(&it, t);
        if (lo == N) {
            CHECK(!sl_iter_valid(&it));
        } else {
            REQUIRE(sl_iter_valid(&it));
            CHECK(get_be64(sl_iter_key(&it).p) == model[lo][0]);
            CHECK(ikey_seq(sl_iter_key(&it)) == model[lo][1]);
        }
        int hi = N - 1;
        while (hi >= 0 && cmp_pair(model[hi], probe) > 0) hi--;
        sl_iter_seek_for_prev(&it, t);
        if (hi < 0) {
            CHECK(!sl_iter_valid(&it));
        } else {
            REQUIRE(sl_iter_valid(&it));
            CHECK(get_be64(sl_iter_key(&it).p) == model[hi][0]);
            CHECK(ikey_seq(sl_iter_key(&it)) == model[hi][1]);
        }
    }
    arena_destroy(&a);
}

static skiplist cs;
static atomic_int done;
static atomic_int reader_errors;

static void *reader(void *arg)
{
    (void)arg;
    while (!atomic_load(&done)) {
        sl_iter it;
        sl_iter_init(&it, &cs);
        sl_iter_seek_to_first(&it);
        uint64_t last = 0;
        int first = 1;
        while (sl_iter_valid(&it)) {
            uint64_t k = get_be64(sl_iter_key(&it).p);
            if (!first && k <= last) atomic_fetch_add(&reader_errors, 1);
            if (get_le64(sl_iter_value(&it).p) != k * 3) atomic_fetch_add(&reader_errors, 1);
            last = k;
            first = 0;
            sl_iter_next(&it);
        }
    }
    return NULL;
}

static void test_concurrent_reader(void)
{
    arena a;
    arena_init(&a, 4096);
    sl_init(&cs, &a);
    pthread_t t;
    pthread_create(&t, NULL, reader, NULL);
    for (uint64_t i = 0; i < 20000; i++) {
        uint64_t k = rnd();
        uint8_t kb[16], v[8];
        put_le64(v, k * 3);
        sl_insert(&cs, mk(kb, k, 1), st_slice_make(v, 8));
    }
    atomic_store(&done, 1);
    pthread_join(t, NULL);
    CHECK_EQ_INT(atomic_load(&reader_errors), 0);
    arena_destroy(&a);
}

/* sl_gather returns what a walk of next calls returns, from any position, for any batch size
 * (the parallel stretches start only with batches of 128 and more, and lists of 3+ levels). */
static void test_gather(void)
{
    arena a;
    arena_init(&a, 1 << 16);
    skiplist s;
    sl_init(&s, &a);
    enum { N = 50000 };
    static uint64_t model[N][2];
    for (int i = 0; i < N; i++) {
        model[i][0] = rnd();
        model[i][1] = (uint64_t)i + 1;
        uint8_t kb[16], v[8];
        put_le64(v, model[i][1]);
        sl_insert(&s, mk(kb, model[i][0], model[i][1]), st_slice_make(v, 8));
    }
    qsort(model, N, sizeof model[0], cmp_pair);
    static sl_entry out[2048];
    static const size_t maxes[] = {1, 7, 127, 128, 300, 1024, 2048};
    for (int round = 0; round < 200; round++) {
        size_t start = (size_t)(rnd() % N), max = maxes[round % 7];
        if (round % 17 == 0) start = N - 1 - (size_t)(rnd() % 50); /* near the end */
        uint8_t kb[16];
        sl_iter it;
        sl_iter_init(&it, &s);
        sl_iter_seek(&it, mk(kb, model[start][0], model[start][1]));
        REQUIRE(sl_iter_valid(&it));
        /* gathers from there on, batch after batch, as a scan does */
        size_t pos = start, total = 0;
        while (pos < N && total < 5000) {
            size_t n = sl_gather(&it, out, max);
            CHECK(n >= 1 && n <= max && n <= N - pos);
            CHECK(out[0].node == it.node); /* the iterator did not move */
            for (size_t i = 0; i < n; i++) {
                CHECK(get_be64(out[i].key.p) == model[pos + i][0]);
                CHECK(ikey_seq(out[i].key) == model[pos + i][1]);
                CHECK(out[i].value.n == 8 && get_le64(out[i].value.p) == model[pos + i][1]);
                if (i + 1 < n) CHECK(sl_node_next(out[i].node) == out[i + 1].node);
            }
            pos += n;
            total += n;
            it.node = sl_node_next(out[n - 1].node);
        }
        CHECK(pos == N ? !sl_iter_valid(&it) : sl_iter_valid(&it));
    }
    arena_destroy(&a);
}

TEST_MAIN(test_order_and_seek, test_concurrent_reader, test_gather)
