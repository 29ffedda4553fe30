/* tests/lsm/flush_cache_test.c — fill_cache_on_flush: the blocks a flush writes are in the block
 * cache, so the first scan after it reads no block from disk; with the option off (and after a
 * compaction, which never fills the cache) the blocks are read in. */
#include "test.h"
#include "strata_kv.h"

enum { N = 50000 };

static strata_kv *open_db(const char *dir, int fill)
{
    strata_kv_options o;
    strata_kv_options_init(&o);
    o.fill_cache_on_flush = fill;
    o.read_triggered_compaction = 0; /* a fixed shape */
    strata_kv *db = NULL;
    REQUIRE(strata_kv_open(dir, &o, &db) == STRATA_OK);
    return db;
}

static void fill_and_flush(strata_kv *db)
{
    char k[16], v[32];
    for (int i = 0; i < N; i++) {
        snprintf(k, sizeof k, "k%09d", (i * 7919) % N);
        snprintf(v, sizeof v, "value-%d", (i * 7919) % N);
        REQUIRE(strata_kv_put(db, k, 10, v, strlen(v)) == STRATA_OK);
    }
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
}

/* Scans everything, checking each entry; returns the cache misses the scan caused (each block
 * the scan needs is looked up once: a miss reads it from the file). */
static uint64_t scan_misses(strata_kv *db)
{
    strata_kv_stats s0, s1;
    CHECK_EQ_INT(strata_kv_get_stats(db, &s0), STRATA_OK);
    strata_kv_iter *it = strata_kv_iter_new(db, NULL);
    REQUIRE(it);
    int n = 0;
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it), n++) {
        char k[16], v[32];
        snprintf(k, sizeof k, "k%09d", n);
        snprintf(v, sizeof v, "value-%d", n);
        size_t kl, vl;
        const void *kp = strata_kv_iter_key(it, &kl), *vp = strata_kv_iter_value(it, &vl);
        if (kl != 10 || memcmp(kp, k, 10) != 0 || vl != strlen(v) || memcmp(vp, v, vl) != 0) break;
    }
    CHECK_EQ_INT(n, N);
    CHECK_EQ_INT(strata_kv_iter_status(it), STRATA_OK);
    strata_kv_iter_free(it);
    CHECK_EQ_INT(strata_kv_get_stats(db, &s1), STRATA_OK);
    return s1.cache_misses - s0.cache_misses;
}

static void test_flush_fills_cache(void)
{
    char *dir = test_tmpdir("flush_cache_on");
    strata_kv *db = open_db(dir, 1);
    fill_and_flush(db);
    CHECK_EQ_INT(strata_kv_background_busy(db), 0);
    CHECK_EQ_INT(scan_misses(db), 0);
    /* a compaction rewrites the data into files whose blocks are not cached yet */
    CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    CHECK_EQ_INT(strata_kv_background_busy(db), 0);
    CHECK(scan_misses(db) > 0);
    CHECK_EQ_INT(scan_misses(db), 0); /* and the first scan put them there */
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    test_rmdir(dir);
    free(dir);
}

static void test_option_off(void)
{
    char *dir = test_tmpdir("flush_cache_off");
    strata_kv *db = open_db(dir, 0);
    fill_and_flush(db);
    CHECK(scan_misses(db) > 0);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    test_rmdir(dir);
    free(dir);
}

TEST_MAIN(test_flush_fills_cache, test_option_off)
