/*
 * tests/lsm/iter_bounds_test.c — iterator bounds meeting range tombstones that reach past them
 * (a tombstone ending at or past the upper bound, or starting before the lower bound): the
 * iterator skips the covered keys with one reseek clamped to the bound and still returns the
 * keys written after the tombstone inside the bounds, in both directions.
 */
#include "strata_kv.h"
#include "test.h"

static void put(strata_kv *db, const char *k)
{
    CHECK_EQ_INT(strata_kv_put(db, k, strlen(k), k, strlen(k)), STRATA_OK);
}

/* The keys the iterator yields, joined by ',' into out. */
static void scan(strata_kv *db, const char *lower, const char *upper, int backward, char *out,
                 size_t cap)
{
    strata_kv_read_options ro = {0};
    if (lower) {
        ro.lower = lower;
        ro.lower_len = strlen(lower);
    }
    if (upper) {
        ro.upper = upper;
        ro.upper_len = strlen(upper);
    }
    strata_kv_iter *it = strata_kv_iter_new(db, &ro);
    REQUIRE(it);
    size_t n = 0;
    out[0] = 0;
    if (backward)
        strata_kv_iter_seek_to_last(it);
    else
        strata_kv_iter_seek_to_first(it);
    while (strata_kv_iter_valid(it)) {
        size_t kl;
        const char *k = strata_kv_iter_key(it, &kl);
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s", n ? "," : "", (int)kl, k);
        if (backward)
            strata_kv_iter_prev(it);
        else
            strata_kv_iter_next(it);
    }
    CHECK_EQ_INT(strata_kv_iter_status(it), STRATA_OK);
    strata_kv_iter_free(it);
}

static void test_tombstone_past_bounds(void)
{
    char *dir = test_tmpdir("iter_bounds");
    strata_kv *db;
    REQUIRE(strata_kv_open(dir, NULL, &db) == STRATA_OK);
    const char *keys[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    for (int i = 0; i < 8; i++) put(db, keys[i]);
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK); /* older data in an SST */
    /* [c, z) covers everything from c on, past the upper bound "f" */
    CHECK_EQ_INT(strata_kv_delete_range(db, "c", 1, "z", 1), STRATA_OK);
    put(db, "d"); /* newer than the tombstone, inside the bounds */
    put(db, "e1");
    char got[256];
    scan(db, NULL, "f", 0, got, sizeof got);
    CHECK_EQ_STR(got, "a,b,d,e1");
    scan(db, NULL, "f", 1, got, sizeof got);
    CHECK_EQ_STR(got, "e1,d,b,a");
    /* the tombstone at the upper bound exactly */
    CHECK_EQ_INT(strata_kv_delete_range(db, "a", 1, "b", 1), STRATA_OK);
    scan(db, NULL, "b", 0, got, sizeof got);
    CHECK_EQ_STR(got, "");
    /* a tombstone starting before the lower bound, backward and forward */
    scan(db, "c", "z", 1, got, sizeof got);
    CHECK_EQ_STR(got, "e1,d");
    scan(db, "c", "z", 0, got, sizeof got);
    CHECK_EQ_STR(got, "d,e1");
    scan(db, "bb", NULL, 0, got, sizeof got);
    CHECK_EQ_STR(got, "d,e1");
    /* the same from SSTs only */
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    scan(db, NULL, "f", 0, got, sizeof got);
    CHECK_EQ_STR(got, "b,d,e1");
    scan(db, "c", "e2", 1, got, sizeof got);
    CHECK_EQ_STR(got, "e1,d");
    CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    scan(db, NULL, "f", 0, got, sizeof got);
    CHECK_EQ_STR(got, "b,d,e1");
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    test_rmdir(dir);
    free(dir);
}

TEST_MAIN(test_tombstone_past_bounds)
