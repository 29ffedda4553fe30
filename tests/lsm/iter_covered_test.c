/* tests/lsm/iter_covered_test.c — iterators over files that a range tombstone covers entirely
 * (the iterator leaves such files out): what a reader sees must not change — nothing of a
 * covered file at the latest sequence, everything at a snapshot older than the tombstone, the
 * uncovered part of a partly covered file, newer writes inside the deleted range, and data
 * written after an older tombstone. */
#include "test.h"
#include "strata_kv.h"

static strata_kv *open_db(const char *dir)
{
    strata_kv_options o;
    strata_kv_options_init(&o);
    o.write_buffer_size = 64 << 10;
    o.background_compaction = 0;
    o.level0_compaction_trigger = 10;
    o.level0_slowdown_trigger = 20;
    o.level0_stop_trigger = 30;
    strata_kv *db = NULL;
    int rc = strata_kv_open(dir, &o, &db);
    if (rc) fprintf(stderr, "open %s: %s\n", dir, strata_kv_errmsg());
    REQUIRE(rc == STRATA_OK);
    return db;
}

static void key_of(char *k, int i)
{
    snprintf(k, 16, "k%05d", i);
}

static void put_range(strata_kv *db, int from, int to, const char *tag)
{
    char k[16], v[32];
    for (int i = from; i < to; i++) {
        key_of(k, i);
        snprintf(v, sizeof v, "%s%d", tag, i);
        CHECK_EQ_INT(strata_kv_put(db, k, strlen(k), v, strlen(v)), STRATA_OK);
    }
}

static void del_range(strata_kv *db, int from, int to)
{
    char a[16], b[16];
    key_of(a, from);
    key_of(b, to);
    CHECK_EQ_INT(strata_kv_delete_range(db, a, strlen(a), b, strlen(b)), STRATA_OK);
}

/* Scans forward and backward at the snapshot (NULL: latest); returns the count forward and
 * checks the backward scan sees the same number; *first / *last the first and last key index
 * (-1 when empty); *tags counts values starting with tag. */
static int scan(strata_kv *db, const strata_kv_snapshot *snap, int *first, int *last,
                const char *tag, int *tags)
{
    strata_kv_read_options ro = {0};
    ro.snapshot = snap;
    strata_kv_iter *it = strata_kv_iter_new(db, &ro);
    REQUIRE(it);
    int n = 0, nb = 0;
    *first = *last = -1;
    *tags = 0;
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it)) {
        size_t kl, vl;
        const char *k = strata_kv_iter_key(it, &kl);
        const char *v = strata_kv_iter_value(it, &vl);
        int idx = atoi(k + 1);
        if (*first < 0) *first = idx;
        *last = idx;
        if (vl >= strlen(tag) && memcmp(v, tag, strlen(tag)) == 0) (*tags)++;
        n++;
    }
    CHECK_EQ_INT(strata_kv_iter_status(it), STRATA_OK);
    for (strata_kv_iter_seek_to_last(it); strata_kv_iter_valid(it); strata_kv_iter_prev(it)) nb++;
    CHECK_EQ_INT(nb, n);
    strata_kv_iter_free(it);
    return n;
}

static void test_covered_files(void)
{
    char *dir = test_tmpdir("iter_covered");
    strata_kv *db = open_db(dir);
    /* three L0 files: [0, 1000), [1000, 2000), [2000, 3000) */
    put_range(db, 0, 1000, "a");
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    put_range(db, 1000, 2000, "a");
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    put_range(db, 2000, 3000, "a");
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    const strata_kv_snapshot *before = strata_kv_snapshot_new(db);
    /* covers the first two files entirely and half of the third */
    del_range(db, 0, 2500);
    int first, last, tags;
    CHECK_EQ_INT(scan(db, NULL, &first, &last, "a", &tags), 500);
    CHECK_EQ_INT(first, 2500);
    CHECK_EQ_INT(last, 2999);
    /* a snapshot older than the tombstone sees every file */
    CHECK_EQ_INT(scan(db, before, &first, &last, "a", &tags), 3000);
    CHECK_EQ_INT(first, 0);
    /* newer writes inside the deleted range show (memtable, then flushed) */
    put_range(db, 100, 110, "b");
    CHECK_EQ_INT(scan(db, NULL, &first, &last, "b", &tags), 510);
    CHECK_EQ_INT(first, 100);
    CHECK_EQ_INT(tags, 10);
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    CHECK_EQ_INT(scan(db, NULL, &first, &last, "b", &tags), 510);
    CHECK_EQ_INT(tags, 10);
    /* a file written after the tombstone, inside its range, is not covered by it */
    put_range(db, 1000, 1100, "c");
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    CHECK_EQ_INT(scan(db, NULL, &first, &last, "c", &tags), 610);
    CHECK_EQ_INT(tags, 100);
    /* the same after a compaction moved everything below L0 (tombstone with the data) */
    strata_kv_snapshot_release(db, before);
    CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    CHECK_EQ_INT(scan(db, NULL, &first, &last, "c", &tags), 610);
    CHECK_EQ_INT(first, 100);
    CHECK_EQ_INT(last, 2999);
    /* a tombstone over everything: nothing shows; a snapshot before it sees all */
    const strata_kv_snapshot *s2 = strata_kv_snapshot_new(db);
    del_range(db, 0, 99999);
    CHECK_EQ_INT(scan(db, NULL, &first, &last, "a", &tags), 0);
    CHECK_EQ_INT(scan(db, s2, &first, &last, "a", &tags), 610);
    strata_kv_snapshot_release(db, s2);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

/* The memtable under its own tombstone: left out while the tombstone is clean (nothing of the
 * memtable in its range is newer); a write inside the range brings it back; a snapshot older
 * than the tombstone sees everything. */
static void test_covered_memtable(void)
{
    char *dir = test_tmpdir("iter_covered_mem");
    strata_kv_options o;
    strata_kv_options_init(&o); /* 64 MiB memtable: everything stays in it */
    strata_kv *db = NULL;
    REQUIRE(strata_kv_open(dir, &o, &db) == STRATA_OK);
    put_range(db, 0, 500, "a");
    const strata_kv_snapshot *before = strata_kv_snapshot_new(db);
    del_range(db, 0, 1000);
    int first, last, tags;
    CHECK_EQ_INT(scan(db, NULL, &first, &last, "a", &tags), 0);
    CHECK_EQ_INT(scan(db, before, &first, &last, "a", &tags), 500);
    put_range(db, 700, 701, "b");
    CHECK_EQ_INT(scan(db, NULL, &first, &last, "b", &tags), 1);
    CHECK_EQ_INT(first, 700);
    CHECK_EQ_INT(tags, 1);
    CHECK_EQ_INT(scan(db, before, &first, &last, "a", &tags), 500);
    /* a tombstone that covers only part of the memtable leaves it in */
    put_range(db, 2000, 2100, "c");
    del_range(db, 0, 2050);
    CHECK_EQ_INT(scan(db, NULL, &first, &last, "c", &tags), 50);
    CHECK_EQ_INT(first, 2050);
    strata_kv_snapshot_release(db, before);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

TEST_MAIN(test_covered_files, test_covered_memtable)
