/* tests/lsm/scan_flush_test.c — the read-triggered flush: a memtable that bulk scans have read
 * through is written out (the next scans read SST blocks), with nothing lost; a short scan of a
 * big memtable does not switch it. */
#include <unistd.h>

#include "test.h"
#include "strata_kv.h"

enum { N = 100000 };

static void key_of(int i, char *k)
{
    snprintf(k, 16, "k%09d", (i * 7919) % N); /* inserted out of order */
}

static int count_entry(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    int *n = ctx;
    char want[16];
    snprintf(want, sizeof want, "k%09d", *n);
    if (kl != 10 || memcmp(k, want, 10) != 0 || vl != 10 || memcmp(v, want, 10) != 0) return 1;
    (*n)++;
    return 0;
}

/* A full bulk scan: every key, in order, with its value; returns how many. */
static int scan_all(strata_kv *db)
{
    strata_kv_iter *it = strata_kv_iter_new(db, NULL);
    REQUIRE(it);
    int n = 0;
    strata_kv_iter_seek_to_first(it);
    CHECK_EQ_INT(strata_kv_iter_scan(it, SIZE_MAX, count_entry, &n, NULL), 0);
    CHECK_EQ_INT(strata_kv_iter_status(it), STRATA_OK);
    strata_kv_iter_free(it);
    return n;
}

/* N keys, far below the write buffer: all in the memtable */
static void fill(strata_kv *db)
{
    char k[16];
    for (int i = 0; i < N; i++) {
        key_of(i, k);
        REQUIRE(strata_kv_put(db, k, 10, k, 10) == STRATA_OK);
    }
}

static int l0_files(strata_kv *db)
{
    strata_kv_stats st;
    REQUIRE(strata_kv_get_stats(db, &st) == STRATA_OK);
    return st.levels[0].files;
}

static void test_scanned_memtable_is_flushed(void)
{
    char *dir = test_tmpdir("scan_flush");
    strata_kv_options o;
    strata_kv_options_init(&o);
    strata_kv *db = NULL;
    REQUIRE(strata_kv_open(dir, &o, &db) == STRATA_OK);
    fill(db);
    CHECK_EQ_INT(l0_files(db), 0); /* far below the write buffer */

    /* a short scan does not ask for a flush */
    strata_kv_iter *it = strata_kv_iter_new(db, NULL);
    REQUIRE(it);
    int n = 0;
    strata_kv_iter_seek_to_first(it);
    CHECK_EQ_INT(strata_kv_iter_scan(it, 1000, count_entry, &n, NULL), 0);
    CHECK_EQ_INT(n, 1000);
    strata_kv_iter_free(it);
    strata_kv_stats st;
    REQUIRE(strata_kv_get_stats(db, &st) == STRATA_OK);
    CHECK_EQ_INT((int)st.flushes, 0);
    CHECK_EQ_INT((int)st.read_triggered_flushes, 0);

    /* a full one does: the memtable is switched at once and flushed in the background */
    CHECK_EQ_INT(scan_all(db), N);
    int waited = 0;
    while (l0_files(db) == 0 && waited < 30000) {
        usleep(1000);
        waited++;
    }
    CHECK_EQ_INT(l0_files(db), 1);
    REQUIRE(strata_kv_get_stats(db, &st) == STRATA_OK);
    CHECK_EQ_INT((int)st.read_triggered_flushes, 1);
    CHECK_EQ_INT(scan_all(db), N);

    /* and after a restart */
    REQUIRE(strata_kv_close(db) == STRATA_OK);
    REQUIRE(strata_kv_open(dir, &o, &db) == STRATA_OK);
    CHECK_EQ_INT(scan_all(db), N);
    REQUIRE(strata_kv_close(db) == STRATA_OK);
    free(dir);
}

/* read_triggered_compaction = 0: only a full memtable is flushed */
static void test_option_off(void)
{
    char *dir = test_tmpdir("scan_flush_off");
    strata_kv_options o;
    strata_kv_options_init(&o);
    o.read_triggered_compaction = 0;
    strata_kv *db = NULL;
    REQUIRE(strata_kv_open(dir, &o, &db) == STRATA_OK);
    fill(db);
    for (int r = 0; r < 3; r++) CHECK_EQ_INT(scan_all(db), N);
    /* a flush asked for would be done well within this (the test above waits for one) */
    for (int waited = 0; waited < 1000 && l0_files(db) == 0; waited++) usleep(1000);
    CHECK_EQ_INT(l0_files(db), 0);
    REQUIRE(strata_kv_close(db) == STRATA_OK);
    free(dir);
}

TEST_MAIN(test_scanned_memtable_is_flushed, test_option_off)
