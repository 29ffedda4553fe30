/* tests/lsm/db_test.c — the strata_kv API: behaviour of every call and every bad input (clear
 * codes, nothing written). */
#include <pthread.h>

#include "test.h"
#include "strata_kv.h"
#include "lsm/env.h"
#include "lsm/test_hooks.h"

static strata_kv *open_db(const char *dir, strata_kv_options *o)
{
    strata_kv *db = NULL;
    int rc = strata_kv_open(dir, o, &db);
    if (rc) fprintf(stderr, "open %s: %s\n", dir, strata_kv_errmsg());
    REQUIRE(rc == STRATA_OK);
    return db;
}

static int get_str(strata_kv *db, const strata_kv_read_options *ro, const char *k, char *out,
                   size_t cap)
{
    void *v;
    size_t n;
    int rc = strata_kv_get(db, ro, k, strlen(k), &v, &n);
    if (rc == STRATA_OK) {
        snprintf(out, cap, "%.*s", (int)n, (char *)v);
        strata_kv_free(v);
    }
    return rc;
}

#define PUT(db, k, v) CHECK_EQ_INT(strata_kv_put(db, k, strlen(k), v, strlen(v)), STRATA_OK)

static void test_basic(void)
{
    char *dir = test_tmpdir("db_basic");
    strata_kv_options o;
    strata_kv_options_init(&o);
    strata_kv *db = open_db(dir, &o);
    char buf[64];
    PUT(db, "a", "1");
    PUT(db, "b", "2");
    CHECK_EQ_INT(get_str(db, NULL, "a", buf, sizeof buf), STRATA_OK);
    CHECK_EQ_STR(buf, "1");
    CHECK_EQ_INT(strata_kv_delete(db, "a", 1), STRATA_OK);
    CHECK_EQ_INT(get_str(db, NULL, "a", buf, sizeof buf), STRATA_NOTFOUND);
    CHECK_EQ_INT(get_str(db, NULL, "zz", buf, sizeof buf), STRATA_NOTFOUND);
    const strata_kv_snapshot *s = strata_kv_snapshot_new(db);
    PUT(db, "b", "3");
    strata_kv_read_options ro = {0};
    ro.snapshot = s;
    CHECK_EQ_INT(get_str(db, &ro, "b", buf, sizeof buf), STRATA_OK);
    CHECK_EQ_STR(buf, "2");
    CHECK_EQ_INT(get_str(db, NULL, "b", buf, sizeof buf), STRATA_OK);
    CHECK_EQ_STR(buf, "3");
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    CHECK_EQ_INT(get_str(db, &ro, "b", buf, sizeof buf), STRATA_OK);
    CHECK_EQ_STR(buf, "2");
    CHECK_EQ_INT(get_str(db, NULL, "b", buf, sizeof buf), STRATA_OK);
    CHECK_EQ_STR(buf, "3");
    CHECK_EQ_INT(get_str(db, NULL, "a", buf, sizeof buf), STRATA_NOTFOUND);
    strata_kv_snapshot_release(db, s);
    /* snapshot_at: a recorded sequence read later */
    uint64_t recorded = strata_kv_latest_sequence(db);
    const strata_kv_snapshot *pin = strata_kv_snapshot_new(db);
    PUT(db, "b", "5");
    const strata_kv_snapshot *at = NULL;
    CHECK_EQ_INT(strata_kv_snapshot_at(db, recorded, &at), STRATA_OK);
    CHECK(strata_kv_snapshot_sequence(at) == recorded);
    strata_kv_snapshot_release(db, pin);
    CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    ro.snapshot = at;
    CHECK_EQ_INT(get_str(db, &ro, "b", buf, sizeof buf), STRATA_OK);
    CHECK_EQ_STR(buf, "3");
    strata_kv_snapshot_release(db, at);
    CHECK_EQ_INT(get_str(db, NULL, "b", buf, sizeof buf), STRATA_OK);
    CHECK_EQ_STR(buf, "5");
    strata_kv_stats st;
    CHECK_EQ_INT(strata_kv_get_stats(db, &st), STRATA_OK);
    CHECK(st.levels[0].files + st.levels[1].files >= 1);
    CHECK(st.flushes >= 1);
    char *ss = strata_kv_stats_string(db);
    CHECK(ss && strstr(ss, "L0"));
    strata_kv_free(ss);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    /* reopen: flushed data and WAL data */
    db = open_db(dir, &o);
    PUT(db, "c", "4");
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    db = open_db(dir, &o);
    CHECK_EQ_INT(get_str(db, NULL, "b", buf, sizeof buf), STRATA_OK);
    CHECK_EQ_STR(buf, "5");
    CHECK_EQ_INT(get_str(db, NULL, "c", buf, sizeof buf), STRATA_OK);
    CHECK_EQ_STR(buf, "4");
    CHECK_EQ_INT(get_str(db, NULL, "a", buf, sizeof buf), STRATA_NOTFOUND);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    CHECK_EQ_INT(strata_kv_destroy(dir), STRATA_OK);
    CHECK(access(dir, F_OK) != 0);
    free(dir);
}

static void test_range_delete_and_iter(void)
{
    char *dir = test_tmpdir("db_range");
    strata_kv *db = open_db(dir, NULL);
    char k[16];
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof k, "k%03d", i);
        PUT(db, k, k);
    }
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    CHECK_EQ_INT(strata_kv_delete_range(db, "k010", 4, "k090", 4), STRATA_OK);
    PUT(db, "k050", "new");
    for (int pass = 0; pass < 3; pass++) {
        if (pass == 1) CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
        if (pass == 2) CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
        char buf[16];
        CHECK_EQ_INT(get_str(db, NULL, "k009", buf, sizeof buf), STRATA_OK);
        CHECK_EQ_INT(get_str(db, NULL, "k010", buf, sizeof buf), STRATA_NOTFOUND);
        CHECK_EQ_INT(get_str(db, NULL, "k089", buf, sizeof buf), STRATA_NOTFOUND);
        CHECK_EQ_INT(get_str(db, NULL, "k090", buf, sizeof buf), STRATA_OK);
        CHECK_EQ_INT(get_str(db, NULL, "k050", buf, sizeof buf), STRATA_OK);
        CHECK_EQ_STR(buf, "new");
        strata_kv_iter *it = strata_kv_iter_new(db, NULL);
        REQUIRE(it);
        int n = 0;
        for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it))
            n++;
        CHECK_EQ_INT(n, 10 + 1 + 10);
        n = 0;
        for (strata_kv_iter_seek_to_last(it); strata_kv_iter_valid(it); strata_kv_iter_prev(it))
            n++;
        CHECK_EQ_INT(n, 21);
        strata_kv_iter_seek(it, "k011", 4);
        REQUIRE(strata_kv_iter_valid(it));
        size_t kl;
        const void *kp = strata_kv_iter_key(it, &kl);
        CHECK_MEM(kp, kl, "k050", 4);
        strata_kv_iter_seek_for_prev(it, "k049", 4);
        REQUIRE(strata_kv_iter_valid(it));
        kp = strata_kv_iter_key(it, &kl);
        CHECK_MEM(kp, kl, "k009", 4);
        CHECK_EQ_INT(strata_kv_iter_status(it), STRATA_OK);
        strata_kv_iter_free(it);
        /* bounds */
        strata_kv_read_options ro = {0};
        ro.lower = "k005";
        ro.lower_len = 4;
        ro.upper = "k095";
        ro.upper_len = 4;
        it = strata_kv_iter_new(db, &ro);
        n = 0;
        for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it))
            n++;
        CHECK_EQ_INT(n, 5 + 1 + 5);
        n = 0;
        for (strata_kv_iter_seek_to_last(it); strata_kv_iter_valid(it); strata_kv_iter_prev(it))
            n++;
        CHECK_EQ_INT(n, 11);
        strata_kv_iter_free(it);
    }
    strata_kv_stats st;
    strata_kv_get_stats(db, &st);
    CHECK(st.compactions >= 1);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

static void test_bad_inputs(void)
{
    char *dir = test_tmpdir("db_bad");
    strata_kv_options o;
    strata_kv_options_init(&o);
    strata_kv *db = NULL;
    /* bad options name the option */
    o.block_size = 100;
    CHECK_EQ_INT(strata_kv_open(dir, &o, &db), STRATA_INVALID);
    CHECK(strstr(strata_kv_errmsg(), "block_size") != NULL);
    strata_kv_options_init(&o);
    o.write_buffer_size = 1000;
    CHECK_EQ_INT(strata_kv_open(dir, &o, &db), STRATA_INVALID);
    CHECK(strstr(strata_kv_errmsg(), "write_buffer_size") != NULL);
    strata_kv_options_init(&o);
    o.compression[3] = 7;
    CHECK_EQ_INT(strata_kv_open(dir, &o, &db), STRATA_INVALID);
    CHECK(strstr(strata_kv_errmsg(), "compression[3]") != NULL);
    strata_kv_options_init(&o);
    o.level0_stop_trigger = 2;
    CHECK_EQ_INT(strata_kv_open(dir, &o, &db), STRATA_INVALID);
    CHECK(strstr(strata_kv_errmsg(), "level0_stop_trigger") != NULL);
    strata_kv_options_init(&o);
    o.bloom_bits_per_key = 65;
    CHECK_EQ_INT(strata_kv_open(dir, &o, &db), STRATA_INVALID);
    strata_kv_options_init(&o);
    o.sync_mode = 3;
    CHECK_EQ_INT(strata_kv_open(dir, &o, &db), STRATA_INVALID);
    CHECK(db == NULL);
    /* missing directory without create_if_missing */
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/nope", dir);
    strata_kv_options_init(&o);
    o.create_if_missing = 0;
    CHECK_EQ_INT(strata_kv_open(missing, &o, &db), STRATA_NOTFOUND);
    CHECK(access(missing, F_OK) != 0);
    /* error_if_exists, second opener */
    strata_kv_options_init(&o);
    db = open_db(dir, &o);
    strata_kv *db2 = NULL;
    CHECK_EQ_INT(strata_kv_open(dir, &o, &db2), STRATA_LOCKED);
    CHECK(db2 == NULL);
    CHECK_EQ_INT(strata_kv_destroy(dir), STRATA_LOCKED);
    /* bad writes write nothing */
    uint64_t seq = strata_kv_latest_sequence(db);
    static char big[STRATA_KV_MAX_KEY + 1];
    CHECK_EQ_INT(strata_kv_put(db, big, sizeof big, "v", 1), STRATA_TOOBIG);
    CHECK_EQ_INT(strata_kv_put(db, "", 0, "v", 1), STRATA_INVALID);
    char *bigv = malloc((size_t)STRATA_KV_MAX_VALUE + 1);
    CHECK_EQ_INT(strata_kv_put(db, "k", 1, bigv, (size_t)STRATA_KV_MAX_VALUE + 1), STRATA_TOOBIG);
    free(bigv);
    CHECK_EQ_INT(strata_kv_delete_range(db, "z", 1, "a", 1), STRATA_INVALID);
    CHECK_EQ_INT(strata_kv_delete_range(db, "a", 1, "a", 1), STRATA_OK);
    CHECK_EQ_INT(strata_kv_delete(db, big, sizeof big), STRATA_TOOBIG);
    CHECK(strata_kv_latest_sequence(db) == seq);
    const strata_kv_snapshot *sn = NULL;
    CHECK_EQ_INT(strata_kv_snapshot_at(db, seq + 5, &sn), STRATA_INVALID);
    /* NULL handles and arguments are misuse, not crashes */
    void *gv = NULL;
    size_t gl = 0;
    CHECK_EQ_INT(strata_kv_get(NULL, NULL, "k", 1, &gv, &gl), STRATA_MISUSE);
    CHECK_EQ_INT(strata_kv_get(db, NULL, "k", 1, NULL, &gl), STRATA_MISUSE);
    CHECK_EQ_INT(strata_kv_get(db, NULL, "", 0, &gv, &gl), STRATA_NOTFOUND);
    CHECK_EQ_INT(strata_kv_get(db, NULL, big, sizeof big, &gv, &gl), STRATA_NOTFOUND);
    CHECK_EQ_INT(strata_kv_put(NULL, "k", 1, "v", 1), STRATA_MISUSE);
    CHECK_EQ_INT(strata_kv_write(db, NULL, NULL), STRATA_MISUSE);
    CHECK_EQ_INT(strata_kv_multi_get(db, NULL, 2, NULL, NULL, NULL, NULL, NULL), STRATA_MISUSE);
    CHECK(strata_kv_iter_new(NULL, NULL) == NULL);
    CHECK_EQ_INT(strata_kv_flush(NULL), STRATA_MISUSE);
    CHECK_EQ_INT(strata_kv_close(NULL), STRATA_OK);
    CHECK(strata_kv_latest_sequence(db) == seq);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    o.error_if_exists = 1;
    CHECK_EQ_INT(strata_kv_open(dir, &o, &db2), STRATA_EXISTS);
    strata_kv_destroy(dir);
    free(dir);
}

static void test_multi_get_and_ingest(void)
{
    char *dir = test_tmpdir("db_mget");
    strata_kv *db = open_db(dir, NULL);
    char k[16];
    for (int i = 0; i < 200; i += 2) {
        snprintf(k, sizeof k, "m%04d", i);
        PUT(db, k, k);
    }
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    PUT(db, "m0004", "mem");
    strata_kv_delete(db, "m0006", 5);
    /* ingest: two files and a batch, atomically */
    strata_kv_sst_writer *w[2];
    REQUIRE(strata_kv_sst_writer_new(db, &w[0]) == STRATA_OK);
    REQUIRE(strata_kv_sst_writer_new(db, &w[1]) == STRATA_OK);
    CHECK_EQ_INT(strata_kv_sst_writer_put(w[0], "i1", 2, "a", 1), STRATA_OK);
    CHECK_EQ_INT(strata_kv_sst_writer_put(w[0], "i1", 2, "a", 1), STRATA_INVALID);
    CHECK_EQ_INT(strata_kv_sst_writer_put(w[0], "m0010", 5, "ingested", 8), STRATA_OK);
    CHECK_EQ_INT(strata_kv_sst_writer_put(w[1], "i2", 2, "b", 1), STRATA_OK);
    CHECK_EQ_INT(strata_kv_sst_writer_count(w[0]), 2);
    strata_kv_batch *b = strata_kv_batch_new();
    strata_kv_batch_put(b, "i3", 2, "c", 1);
    strata_kv_batch_delete(b, "m0012", 5);
    CHECK_EQ_INT(strata_kv_ingest(db, w, 2, b), STRATA_OK);
    strata_kv_batch_free(b);
    const char *keys[] = {"m0000", "m0004", "m0006", "m0001", "i1", "i2", "i3", "m0010", "m0012"};
    const char *want[] = {"m0000", "mem", NULL, NULL, "a", "b", "c", "ingested", NULL};
    size_t n = sizeof keys / sizeof keys[0];
    size_t klens[16];
    void *vals[16];
    size_t vlens[16];
    int sts[16];
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < n; i++) klens[i] = strlen(keys[i]);
        CHECK_EQ_INT(
            strata_kv_multi_get(db, NULL, n, (const void *const *)keys, klens, vals, vlens, sts),
            STRATA_OK);
        for (size_t i = 0; i < n; i++) {
            char buf[32];
            int rc = get_str(db, NULL, keys[i], buf, sizeof buf);
            if (want[i]) {
                CHECK_EQ_INT(sts[i], STRATA_OK);
                CHECK_EQ_INT(rc, STRATA_OK);
                if (sts[i] == STRATA_OK) CHECK_MEM(vals[i], vlens[i], want[i], strlen(want[i]));
                if (rc == STRATA_OK) CHECK_EQ_STR(buf, want[i]);
            } else {
                CHECK_EQ_INT(sts[i], STRATA_NOTFOUND);
                CHECK_EQ_INT(rc, STRATA_NOTFOUND);
            }
            strata_kv_free(vals[i]);
        }
        if (round == 0) CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
        if (round == 1) {
            CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
            db = open_db(dir, NULL);
        }
    }
    uint64_t sz = 0;
    CHECK_EQ_INT(strata_kv_approximate_size(db, "m", 1, "n", 1, &sz), STRATA_OK);
    CHECK(sz > 0);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

static void test_tombstone_drops_files(void)
{
    char *dir = test_tmpdir("db_drop");
    strata_kv_options o;
    strata_kv_options_init(&o);
    o.write_buffer_size = 64 << 10;
    o.target_file_size = 64 << 10;
    strata_kv *db = open_db(dir, &o);
    char k[32], v[100];
    memset(v, 'x', sizeof v);
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "t%06d", i);
        CHECK_EQ_INT(strata_kv_put(db, k, strlen(k), v, sizeof v), STRATA_OK);
    }
    /* the data files carry small tombstones of their own (the wide one must still drop them) */
    const strata_kv_snapshot *keep = strata_kv_snapshot_new(db); /* keeps them at the bottom */
    for (int i = 0; i < 5000; i += 500) {
        char e[32];
        snprintf(k, sizeof k, "t%06d", i);
        snprintf(e, sizeof e, "t%06d", i + 3);
        CHECK_EQ_INT(strata_kv_delete_range(db, k, strlen(k), e, strlen(e)), STRATA_OK);
    }
    CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    strata_kv_snapshot_release(db, keep);
    CHECK_EQ_INT(strata_kv_delete_range(db, "t", 1, "u", 1), STRATA_OK);
    CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    strata_kv_stats st;
    strata_kv_get_stats(db, &st);
    CHECK(st.files_dropped_by_tombstone > 0);
    int nfiles = 0;
    for (int l = 0; l < STRATA_KV_LEVELS; l++) nfiles += st.levels[l].files;
    CHECK_EQ_INT(nfiles, 0);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    db = open_db(dir, &o);
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "t%06d", i);
        CHECK_EQ_INT(strata_kv_put(db, k, strlen(k), v, sizeof v), STRATA_OK);
    }
    CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    const strata_kv_snapshot *snap = strata_kv_snapshot_new(db);
    CHECK_EQ_INT(strata_kv_delete_range(db, "t", 1, "u", 1), STRATA_OK);
    CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    strata_kv_get_stats(db, &st);
    /* a snapshot older than the tombstone pins the files: nothing dropped, still readable */
    CHECK_EQ_INT(st.files_dropped_by_tombstone, 0);
    strata_kv_read_options sro = {0};
    sro.snapshot = snap;
    char gb[128];
    CHECK_EQ_INT(get_str(db, &sro, "t004321", gb, sizeof gb), STRATA_OK);
    CHECK_EQ_INT(get_str(db, NULL, "t004321", gb, sizeof gb), STRATA_NOTFOUND);
    strata_kv_iter *sit = strata_kv_iter_new(db, &sro);
    int cnt = 0;
    for (strata_kv_iter_seek_to_first(sit); strata_kv_iter_valid(sit); strata_kv_iter_next(sit))
        cnt++;
    CHECK_EQ_INT(cnt, 5000);
    strata_kv_iter_free(sit);
    strata_kv_snapshot_release(db, snap);
    CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    strata_kv_get_stats(db, &st);
    int files = 0;
    for (int l = 0; l < STRATA_KV_LEVELS; l++) files += st.levels[l].files;
    CHECK_EQ_INT(files, 0);
    strata_kv_iter *it = strata_kv_iter_new(db, NULL);
    strata_kv_iter_seek_to_first(it);
    CHECK(!strata_kv_iter_valid(it));
    strata_kv_iter_free(it);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

static void put_range(strata_kv *db, char prefix, int from, int to, const char *val)
{
    char k[32];
    for (int i = from; i < to; i++) {
        snprintf(k, sizeof k, "%c%04d", prefix, i);
        CHECK_EQ_INT(strata_kv_put(db, k, strlen(k), val, strlen(val)), STRATA_OK);
    }
}

static void level_files(strata_kv *db, int *out)
{
    strata_kv_stats st;
    CHECK_EQ_INT(strata_kv_get_stats(db, &st), STRATA_OK);
    for (int l = 0; l < STRATA_KV_LEVELS; l++) out[l] = st.levels[l].files;
}

/* Every key of [prefix from, prefix to) reads val, and a full scan sees n keys. */
static void check_values(strata_kv *db, const strata_kv_read_options *ro, char prefix, int from,
                         int to, const char *val)
{
    char k[32], got[64];
    for (int i = from; i < to; i++) {
        snprintf(k, sizeof k, "%c%04d", prefix, i);
        CHECK_EQ_INT(get_str(db, ro, k, got, sizeof got), STRATA_OK);
        CHECK_EQ_STR(got, val);
    }
}

static int count_keys(strata_kv *db)
{
    strata_kv_iter *it = strata_kv_iter_new(db, NULL);
    int n = 0;
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it)) n++;
    strata_kv_iter_free(it);
    return n;
}

/* A flushed file that overlaps nothing in L0 .. Lk goes to Lk (k <= 2); one that overlaps stays
 * above what it overlaps, so a newer version is always found first, also after a reopen. */
static void test_flush_level(void)
{
    char *dir = test_tmpdir("db_flush_level");
    strata_kv_options o;
    strata_kv_options_init(&o);
    for (int l = 0; l < STRATA_KV_LEVELS; l++) o.compression[l] = STRATA_KV_COMPRESS_NONE;
    o.background_compaction = 0;
    strata_kv *db = open_db(dir, &o);
    int lv[STRATA_KV_LEVELS];

    put_range(db, 'a', 0, 500, "v1");
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    level_files(db, lv);
    CHECK(lv[0] == 0 && lv[1] == 0 && lv[2] == 1);
    put_range(db, 'b', 0, 500, "v1"); /* after every key of L2: L2 as well */
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    level_files(db, lv);
    CHECK(lv[0] == 0 && lv[1] == 0 && lv[2] == 2);
    const strata_kv_snapshot *snap = strata_kv_snapshot_new(db);

    put_range(db, 'a', 100, 200, "v2"); /* overlaps L2: stops in L1 */
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    level_files(db, lv);
    CHECK(lv[0] == 0 && lv[1] == 1 && lv[2] == 2);
    put_range(db, 'a', 150, 160, "v3"); /* overlaps L1: stays in L0 */
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    level_files(db, lv);
    CHECK(lv[0] == 1 && lv[1] == 1 && lv[2] == 2);
    put_range(db, 'a', 190, 210, "v4"); /* overlaps L1: L0 */
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    put_range(db, 'a', 205, 206, "v5"); /* overlaps only that L0 file (not L1): L0 */
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    level_files(db, lv);
    CHECK(lv[0] == 3 && lv[1] == 1 && lv[2] == 2);
    put_range(db, 'c', 0, 10, "v1"); /* overlaps no level: L2, past the files above */
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    level_files(db, lv);
    CHECK(lv[0] == 3 && lv[1] == 1 && lv[2] == 3);

    for (int pass = 0; pass < 2; pass++) {
        check_values(db, NULL, 'a', 0, 100, "v1");
        check_values(db, NULL, 'a', 100, 150, "v2");
        check_values(db, NULL, 'a', 150, 160, "v3");
        check_values(db, NULL, 'a', 160, 190, "v2");
        check_values(db, NULL, 'a', 190, 205, "v4");
        check_values(db, NULL, 'a', 205, 206, "v5");
        check_values(db, NULL, 'a', 206, 210, "v4");
        check_values(db, NULL, 'a', 210, 500, "v1");
        check_values(db, NULL, 'b', 0, 500, "v1");
        check_values(db, NULL, 'c', 0, 10, "v1");
        CHECK_EQ_INT(count_keys(db), 1010);
        if (pass == 0) {
            strata_kv_read_options ro = {0};
            ro.snapshot = snap;
            check_values(db, &ro, 'a', 0, 500, "v1");
            strata_kv_snapshot_release(db, snap);
            CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
            db = open_db(dir, &o);
            level_files(db, lv);
            CHECK(lv[0] == 3 && lv[1] == 1 && lv[2] == 3);
        }
    }
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);

    /* L1 compressed unlike L0 (the default): a flush is an L0 file */
    strata_kv_options_init(&o);
    o.background_compaction = 0;
    db = open_db(dir, &o);
    put_range(db, 'a', 0, 500, "v1");
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    level_files(db, lv);
    CHECK(lv[0] == 1 && lv[1] == 0 && lv[2] == 0);
    check_values(db, NULL, 'a', 0, 500, "v1");
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

static strata_kv *conc_db;
static void *conc_writer(void *arg)
{
    long id = (long)arg;
    char k[32];
    for (int i = 0; i < 500; i++) {
        snprintf(k, sizeof k, "w%ld-%04d", id, i);
        if (strata_kv_put(conc_db, k, strlen(k), k, strlen(k)) != STRATA_OK) return (void *)1;
    }
    return NULL;
}

static void test_concurrent_writers_and_crash(void)
{
    char *dir = test_tmpdir("db_conc");
    strata_kv_options o;
    strata_kv_options_init(&o);
    o.write_buffer_size = 64 << 10;
    conc_db = open_db(dir, &o);
    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, conc_writer, (void *)i);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        CHECK(r == NULL);
    }
    uint64_t seq = strata_kv_latest_sequence(conc_db);
    CHECK(seq == 2000);
    strata_kv_write_options wo = {1};
    strata_kv_batch *b = strata_kv_batch_new();
    strata_kv_batch_put(b, "synced", 6, "yes", 3);
    CHECK_EQ_INT(strata_kv_write(conc_db, &wo, b), STRATA_OK);
    strata_kv_batch_free(b);
    lsm_test_crash_close(conc_db);
    strata_kv *db = open_db(dir, &o);
    char buf[32];
    CHECK_EQ_INT(get_str(db, NULL, "synced", buf, sizeof buf), STRATA_OK);
    CHECK_EQ_INT(get_str(db, NULL, "w3-0499", buf, sizeof buf), STRATA_OK);
    CHECK(strata_kv_latest_sequence(db) == 2001);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

/* Writers commit pairs (a<i>, b<i>) atomically with the same value; readers (gets with a
 * snapshot, and iterators) must always see both or neither, equal, while flushes and
 * compactions run underneath. */
static strata_kv *stress_db;
static int stress_stop;
static int stress_errors;

static void *stress_writer(void *arg)
{
    long id = (long)arg;
    strata_kv_batch *b = strata_kv_batch_new();
    char k[32], v[64];
    for (int i = 0; i < 1500; i++) {
        int slot = (int)((i * 7 + id * 13) % 200);
        strata_kv_batch_clear(b);
        snprintf(v, sizeof v, "%ld-%d-%040d", id, i, i);
        snprintf(k, sizeof k, "a%03d", slot);
        strata_kv_batch_put(b, k, strlen(k), v, strlen(v));
        snprintf(k, sizeof k, "b%03d", slot);
        strata_kv_batch_put(b, k, strlen(k), v, strlen(v));
        if (i % 97 == 0) {
            snprintf(k, sizeof k, "a%03d", slot);
            char e[8];
            snprintf(e, sizeof e, "a%03d", slot + 5);
            strata_kv_batch_delete_range(b, k, strlen(k), e, strlen(e));
            snprintf(k, sizeof k, "b%03d", slot);
            snprintf(e, sizeof e, "b%03d", slot + 5);
            strata_kv_batch_delete_range(b, k, strlen(k), e, strlen(e));
        }
        if (strata_kv_write(stress_db, NULL, b) != STRATA_OK)
            __atomic_add_fetch(&stress_errors, 1, __ATOMIC_RELAXED);
    }
    strata_kv_batch_free(b);
    return NULL;
}

static void *stress_reader(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stress_stop, __ATOMIC_ACQUIRE)) {
        strata_kv_iter *it = strata_kv_iter_new(stress_db, NULL);
        if (!it) {
            __atomic_add_fetch(&stress_errors, 1, __ATOMIC_RELAXED);
            continue;
        }
        /* collect a* values, then compare with b* in the same iterator view */
        static __thread char av[200][64];
        static __thread int have[200];
        memset(have, 0, sizeof have);
        strata_kv_iter_seek(it, "a", 1);
        for (; strata_kv_iter_valid(it); strata_kv_iter_next(it)) {
            size_t kl, vl;
            const char *k = strata_kv_iter_key(it, &kl);
            const char *v = strata_kv_iter_value(it, &vl);
            if (k[0] != 'a') break;
            int slot = atoi(k + 1);
            snprintf(av[slot], sizeof av[slot], "%.*s", (int)vl, v);
            have[slot] = 1;
        }
        int nb = 0;
        for (; strata_kv_iter_valid(it); strata_kv_iter_next(it)) {
            size_t kl, vl;
            const char *k = strata_kv_iter_key(it, &kl);
            const char *v = strata_kv_iter_value(it, &vl);
            int slot = atoi(k + 1);
            if (!have[slot] || strlen(av[slot]) != vl || memcmp(av[slot], v, vl) != 0)
                __atomic_add_fetch(&stress_errors, 1, __ATOMIC_RELAXED);
            nb++;
        }
        int na = 0;
        for (int i = 0; i < 200; i++) na += have[i];
        if (na != nb) __atomic_add_fetch(&stress_errors, 1, __ATOMIC_RELAXED);
        if (strata_kv_iter_status(it) != STRATA_OK)
            __atomic_add_fetch(&stress_errors, 1, __ATOMIC_RELAXED);
        strata_kv_iter_free(it);
        /* point reads at one snapshot */
        const strata_kv_snapshot *s = strata_kv_snapshot_new(stress_db);
        strata_kv_read_options ro = {0};
        ro.snapshot = s;
        for (int i = 0; i < 20; i++) {
            char k[8];
            void *va = NULL, *vb = NULL;
            size_t la = 0, lb = 0;
            snprintf(k, sizeof k, "a%03d", i * 10);
            int ra = strata_kv_get(stress_db, &ro, k, 4, &va, &la);
            k[0] = 'b';
            int rb = strata_kv_get(stress_db, &ro, k, 4, &vb, &lb);
            if (ra != rb || (ra == STRATA_OK && (la != lb || memcmp(va, vb, la) != 0)))
                __atomic_add_fetch(&stress_errors, 1, __ATOMIC_RELAXED);
            strata_kv_free(va);
            strata_kv_free(vb);
        }
        strata_kv_snapshot_release(stress_db, s);
    }
    return NULL;
}

static void test_concurrent_stress(void)
{
    char *dir = test_tmpdir("db_stress");
    strata_kv_options o;
    strata_kv_options_init(&o);
    o.write_buffer_size = 64 << 10;
    o.target_file_size = 64 << 10;
    o.max_bytes_for_level_base = 64 << 10;
    o.level0_compaction_trigger = 2;
    stress_db = open_db(dir, &o);
    pthread_t w[3], r[2];
    for (long i = 0; i < 2; i++) pthread_create(&r[i], NULL, stress_reader, NULL);
    for (long i = 0; i < 3; i++) pthread_create(&w[i], NULL, stress_writer, (void *)i);
    for (int i = 0; i < 3; i++) pthread_join(w[i], NULL);
    __atomic_store_n(&stress_stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++) pthread_join(r[i], NULL);
    CHECK_EQ_INT(stress_errors, 0);
    strata_kv_stats st;
    strata_kv_get_stats(stress_db, &st);
    CHECK(st.flushes > 0 && st.compactions > 0);
    CHECK_EQ_INT(strata_kv_close(stress_db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

/* Power loss: everything written before the last synced write survives; the database always
 * opens. */
static void test_power_loss(void)
{
    strata_env *fe = fault_env_new(env_sync());
    for (int round = 0; round < 6; round++) {
        char *dir = test_tmpdir("db_power");
        strata_kv_options o;
        strata_kv_options_init(&o);
        o.env = fe;
        o.write_buffer_size = 64 << 10;
        o.target_file_size = 64 << 10;
        o.max_bytes_for_level_base = 64 << 10;
        int total = 0, synced = 0;
        for (int life = 0; life < 3; life++) {
            strata_kv *db = open_db(dir, &o);
            /* everything up to `synced` must be there */
            for (int i = 0; i < synced; i += 7) {
                char k[16], buf[64];
                snprintf(k, sizeof k, "p%06d", i);
                int rc = get_str(db, NULL, k, buf, sizeof buf);
                CHECK_EQ_INT(rc, STRATA_OK);
                if (rc) break;
            }
            int n = 300 + round * 500;
            char k[16], v[80];
            memset(v, 'v', sizeof v);
            strata_kv_write_options wo = {1};
            for (int i = 0; i < n; i++) {
                snprintf(k, sizeof k, "p%06d", total);
                strata_kv_batch *b = strata_kv_batch_new();
                strata_kv_batch_put(b, k, strlen(k), v, sizeof v);
                int sync = i % 50 == 49;
                CHECK_EQ_INT(strata_kv_write(db, sync ? &wo : NULL, b), STRATA_OK);
                strata_kv_batch_free(b);
                total++;
                if (sync) synced = total;
                if (i == n / 2 && round % 2) strata_kv_flush(db);
            }
            fault_env_crash(fe);
            lsm_test_crash_close(db);
            CHECK_EQ_INT(fault_env_drop_unsynced(fe, round % 2), STRATA_OK);
            total = synced; /* what was not synced may be gone; rewrite from there */
        }
        strata_kv *db = open_db(dir, &o);
        CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
        test_rmdir(dir);
        free(dir);
    }
    fault_env_free(fe);
}

TEST_MAIN(test_basic, test_range_delete_and_iter, test_bad_inputs, test_multi_get_and_ingest,
          test_tombstone_drops_files, test_flush_level, test_concurrent_writers_and_crash,
          test_concurrent_stress, test_power_loss)
