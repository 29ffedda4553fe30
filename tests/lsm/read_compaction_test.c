/* tests/lsm/read_compaction_test.c — read-triggered compaction (read_triggered_compaction):
 * reads that keep consulting several overlapping files (gets, multi-gets, iterators) make the
 * database compact them, although no size or file-count trigger is reached; every key still
 * reads its value. With the option off the shape stays as the writes left it. */
#include <pthread.h>
#include <time.h>

#include "test.h"
#include "strata_kv.h"

enum { NKEYS = 1500, ROUNDS = 3 };

static strata_kv *open_db(const char *dir, const strata_kv_options *o)
{
    strata_kv *db = NULL;
    int rc = strata_kv_open(dir, o, &db);
    if (rc) fprintf(stderr, "open %s: %s\n", dir, strata_kv_errmsg());
    REQUIRE(rc == STRATA_OK);
    return db;
}

/* A small write buffer, an L0 trigger no test reaches, inline or background compaction. */
static void small_options(strata_kv_options *o, int background, int read_triggered)
{
    strata_kv_options_init(o);
    o->write_buffer_size = 64 << 10;
    o->target_file_size = 64 << 10;
    o->level0_compaction_trigger = 10;
    o->level0_slowdown_trigger = 20;
    o->level0_stop_trigger = 30;
    o->background_compaction = background;
    o->read_triggered_compaction = read_triggered;
}

static void key_of(char *k, int i)
{
    snprintf(k, 16, "key%06d", i);
}

/* The value the model holds for key i after the rounds: round r writes the keys with
 * i % ROUNDS == r, and every round rewrites the keys with i % 10 == 0. */
static void value_of(char *v, size_t cap, int i)
{
    int last = i % 10 == 0 ? ROUNDS - 1 : i % ROUNDS;
    snprintf(v, cap, "value-%06d-round-%d-xxxxxxxxxxxx", i, last);
}

/* ROUNDS flushed L0 files, each spanning the whole key range. */
static void build_overlapping_l0(strata_kv *db)
{
    char k[16], v[64];
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < NKEYS; i++) {
            if (i % ROUNDS != r && i % 10 != 0) continue;
            key_of(k, i);
            snprintf(v, sizeof v, "value-%06d-round-%d-xxxxxxxxxxxx", i, r);
            CHECK_EQ_INT(strata_kv_put(db, k, strlen(k), v, strlen(v)), STRATA_OK);
        }
        CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    }
    strata_kv_stats st;
    CHECK_EQ_INT(strata_kv_get_stats(db, &st), STRATA_OK);
    REQUIRE(st.levels[0].files == ROUNDS);
    for (int l = 1; l < STRATA_KV_LEVELS; l++) REQUIRE(st.levels[l].files == 0);
}

static int level_files(strata_kv *db, int level)
{
    strata_kv_stats st;
    CHECK_EQ_INT(strata_kv_get_stats(db, &st), STRATA_OK);
    return st.levels[level].files;
}

static int deeper_files(strata_kv *db, int level)
{
    strata_kv_stats st;
    CHECK_EQ_INT(strata_kv_get_stats(db, &st), STRATA_OK);
    int n = 0;
    for (int l = level + 1; l < STRATA_KV_LEVELS; l++) n += st.levels[l].files;
    return n;
}

/* Every key reads its model value, by get and by a full scan. */
static void check_contents(strata_kv *db)
{
    char k[16], want[64];
    int bad = 0;
    for (int i = 0; i < NKEYS; i++) {
        key_of(k, i);
        value_of(want, sizeof want, i);
        void *v = NULL;
        size_t n = 0;
        int rc = strata_kv_get(db, NULL, k, strlen(k), &v, &n);
        if (rc != STRATA_OK || n != strlen(want) || memcmp(v, want, n) != 0) bad++;
        strata_kv_free(v);
    }
    CHECK_EQ_INT(bad, 0);
    strata_kv_iter *it = strata_kv_iter_new(db, NULL);
    REQUIRE(it);
    int i = 0;
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it), i++) {
        size_t kl, vl;
        const void *kp = strata_kv_iter_key(it, &kl);
        const void *vp = strata_kv_iter_value(it, &vl);
        key_of(k, i);
        value_of(want, sizeof want, i);
        if (kl != strlen(k) || memcmp(kp, k, kl) != 0 || vl != strlen(want) ||
            memcmp(vp, want, vl) != 0)
            bad++;
    }
    CHECK_EQ_INT(strata_kv_iter_status(it), STRATA_OK);
    CHECK_EQ_INT(i, NKEYS);
    CHECK_EQ_INT(bad, 0);
    strata_kv_iter_free(it);
}

/* One pass of gets over the keys the newest file does not hold. */
static void get_pass(strata_kv *db)
{
    char k[16];
    for (int i = 0; i < NKEYS; i++) {
        if (i % ROUNDS == ROUNDS - 1 || i % 10 == 0) continue;
        key_of(k, i);
        void *v = NULL;
        size_t n = 0;
        CHECK_EQ_INT(strata_kv_get(db, NULL, k, strlen(k), &v, &n), STRATA_OK);
        strata_kv_free(v);
    }
}

enum { BATCH = 32 };

static void multi_get_pass(strata_kv *db)
{
    char kb[BATCH][16];
    const void *keys[BATCH];
    size_t klens[BATCH], vlens[BATCH];
    void *vals[BATCH];
    int st[BATCH];
    for (int i = 0; i < NKEYS; i += BATCH) {
        size_t n = 0;
        for (int j = i; j < i + BATCH && j < NKEYS; j++, n++) {
            key_of(kb[n], j);
            keys[n] = kb[n];
            klens[n] = strlen(kb[n]);
        }
        CHECK_EQ_INT(strata_kv_multi_get(db, NULL, n, keys, klens, vals, vlens, st), STRATA_OK);
        for (size_t j = 0; j < n; j++) {
            CHECK_EQ_INT(st[j], STRATA_OK);
            strata_kv_free(vals[j]);
        }
    }
}

static void scan_pass(strata_kv *db)
{
    strata_kv_iter *it = strata_kv_iter_new(db, NULL);
    REQUIRE(it);
    int n = 0;
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it)) n++;
    CHECK_EQ_INT(n, NKEYS);
    CHECK_EQ_INT(strata_kv_iter_status(it), STRATA_OK);
    strata_kv_iter_free(it);
}

static int count_entry(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)k, (void)kl, (void)v, (void)vl;
    (*(int *)ctx)++;
    return 0;
}

/* a full scan through the bulk read (strata_kv_iter_scan) */
static void bulk_scan_pass(strata_kv *db)
{
    strata_kv_iter *it = strata_kv_iter_new(db, NULL);
    REQUIRE(it);
    int n = 0;
    strata_kv_iter_seek_to_first(it);
    CHECK_EQ_INT(strata_kv_iter_scan(it, (size_t)-1, count_entry, &n, NULL), 0);
    CHECK_EQ_INT(n, NKEYS);
    CHECK_EQ_INT(strata_kv_iter_status(it), STRATA_OK);
    strata_kv_iter_free(it);
}

/* seeks to random keys, reading a few entries after each (backward for every other one) */
static void seek_pass(strata_kv *db, uint64_t *rng)
{
    strata_kv_iter *it = strata_kv_iter_new(db, NULL);
    REQUIRE(it);
    char k[16];
    for (int s = 0; s < 200; s++) {
        *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
        key_of(k, (int)((*rng >> 33) % NKEYS));
        if (s & 1) {
            strata_kv_iter_seek_for_prev(it, k, strlen(k));
            for (int j = 0; j < 8 && strata_kv_iter_valid(it); j++) strata_kv_iter_prev(it);
        } else {
            strata_kv_iter_seek(it, k, strlen(k));
            for (int j = 0; j < 8 && strata_kv_iter_valid(it); j++) strata_kv_iter_next(it);
        }
    }
    CHECK_EQ_INT(strata_kv_iter_status(it), STRATA_OK);
    strata_kv_iter_free(it);
}

enum { MODE_GET, MODE_MULTI_GET, MODE_SCAN, MODE_BULK_SCAN, MODE_SEEK };

/* Reads in the mode until L0 is empty or max_passes passes ran; returns the passes run. */
static int read_until_drained(strata_kv *db, int mode, int max_passes, int background)
{
    uint64_t rng = 42;
    int p = 0;
    for (; p < max_passes && level_files(db, 0) > 0; p++) {
        switch (mode) {
        case MODE_GET:
            get_pass(db);
            break;
        case MODE_MULTI_GET:
            multi_get_pass(db);
            break;
        case MODE_SCAN:
            scan_pass(db);
            break;
        case MODE_BULK_SCAN:
            bulk_scan_pass(db);
            break;
        default:
            seek_pass(db, &rng);
            break;
        }
        if (background) {
            struct timespec ts = {0, 2 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return p;
}

static void run_mode(const char *name, int mode, int max_passes)
{
    char *dir = test_tmpdir(name);
    strata_kv_options o;
    small_options(&o, 0, 1);
    strata_kv *db = open_db(dir, &o);
    build_overlapping_l0(db);
    /* only reads of the mode under test before the check (a get would charge files too) */
    read_until_drained(db, mode, max_passes, 0);
    CHECK_EQ_INT(level_files(db, 0), 0);
    CHECK(deeper_files(db, 0) >= 1);
    strata_kv_stats st;
    CHECK_EQ_INT(strata_kv_get_stats(db, &st), STRATA_OK);
    CHECK(st.read_triggered_compactions >= 1);
    check_contents(db);
    /* the shape survives a reopen */
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    db = open_db(dir, &o);
    CHECK_EQ_INT(level_files(db, 0), 0);
    check_contents(db);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

static void test_gets_drain_l0(void)
{
    run_mode("rc_get", MODE_GET, 20);
}

static void test_multi_gets_drain_l0(void)
{
    run_mode("rc_mget", MODE_MULTI_GET, 20);
}

static void test_scans_drain_l0(void)
{
    run_mode("rc_scan", MODE_SCAN, 5000);
}

static void test_bulk_scans_drain_l0(void)
{
    run_mode("rc_bulk", MODE_BULK_SCAN, 5000);
}

static void test_seeks_drain_l0(void)
{
    run_mode("rc_seek", MODE_SEEK, 20000);
}

/* The background thread does the same (reads only schedule it). */
static void test_background(void)
{
    char *dir = test_tmpdir("rc_bg");
    strata_kv_options o;
    small_options(&o, 1, 1);
    strata_kv *db = open_db(dir, &o);
    build_overlapping_l0(db);
    /* generous: the compaction runs concurrently; passes keep charging until it is done */
    read_until_drained(db, MODE_GET, 20000, 1);
    CHECK_EQ_INT(level_files(db, 0), 0);
    check_contents(db);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

/* read_triggered_compaction = 0: the same reads leave the shape alone. */
static void test_option_off(void)
{
    char *dir = test_tmpdir("rc_off");
    strata_kv_options o;
    small_options(&o, 0, 0);
    strata_kv *db = open_db(dir, &o);
    build_overlapping_l0(db);
    CHECK_EQ_INT(read_until_drained(db, MODE_GET, 20, 0), 20);
    CHECK_EQ_INT(read_until_drained(db, MODE_SCAN, 200, 0), 200);
    strata_kv_stats st;
    CHECK_EQ_INT(strata_kv_get_stats(db, &st), STRATA_OK);
    CHECK_EQ_INT(st.levels[0].files, ROUNDS);
    CHECK_EQ_INT((int)st.compactions, 0);
    CHECK_EQ_INT((int)st.read_triggered_compactions, 0);
    check_contents(db);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

/* A file below L0: gets that pass through an L1 file to find their key in L2 make the L1 file
 * be compacted down. */
static void even_gets(strata_kv *db)
{
    char k[16];
    for (int i = 0; i < NKEYS; i += 2) {
        key_of(k, i);
        void *val = NULL;
        size_t n = 0;
        CHECK_EQ_INT(strata_kv_get(db, NULL, k, strlen(k), &val, &n), STRATA_OK);
        strata_kv_free(val);
    }
}

static void test_level1_file(void)
{
    char *dir = test_tmpdir("rc_l1");
    strata_kv_options o;
    small_options(&o, 0, 1);
    o.level0_compaction_trigger = 1; /* a flushed file goes on to L1 at once */
    strata_kv *db = open_db(dir, &o);
    char k[16], v[64];
    /* the even keys below L1 (manual compactions) */
    for (int i = 0; i < NKEYS; i += 2) {
        key_of(k, i);
        value_of(v, sizeof v, i);
        CHECK_EQ_INT(strata_kv_put(db, k, strlen(k), v, strlen(v)), STRATA_OK);
    }
    CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    /* the odd keys to L1 (a flush, moved into the empty L1 by the L0 trigger) */
    for (int i = 1; i < NKEYS; i += 2) {
        key_of(k, i);
        value_of(v, sizeof v, i);
        CHECK_EQ_INT(strata_kv_put(db, k, strlen(k), v, strlen(v)), STRATA_OK);
    }
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    strata_kv_stats st;
    CHECK_EQ_INT(strata_kv_get_stats(db, &st), STRATA_OK);
    int deep = STRATA_KV_LEVELS - 1;
    while (deep > 0 && st.levels[deep].files == 0) deep--;
    REQUIRE(st.levels[0].files == 0 && st.levels[1].files == 1 && deep >= 2);
    /* gets of even keys pass through the L1 file (its range covers them) to a deeper level */
    for (int p = 0; p < 20 && level_files(db, 1) > 0; p++) even_gets(db);
    CHECK_EQ_INT(strata_kv_get_stats(db, &st), STRATA_OK);
    CHECK_EQ_INT(st.levels[0].files, 0);
    CHECK_EQ_INT(st.levels[1].files, 0);
    /* every key, old and new, reads its value */
    int bad = 0;
    for (int i = 0; i < NKEYS; i++) {
        key_of(k, i);
        value_of(v, sizeof v, i);
        void *val = NULL;
        size_t n = 0;
        int rc = strata_kv_get(db, NULL, k, strlen(k), &val, &n);
        if (rc != STRATA_OK || n != strlen(v) || memcmp(val, v, n) != 0) bad++;
        strata_kv_free(val);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

/* Readers (gets, multi-gets, scans) charging files from several threads while a writer keeps
 * flushing new overlapping L0 files and the background thread compacts: no error, and every
 * read sees a value of the key. */
static strata_kv *conc_db;
static int conc_stop, conc_errors;

static void *conc_reader(void *arg)
{
    long mode = (long)arg;
    char k[16];
    while (!__atomic_load_n(&conc_stop, __ATOMIC_ACQUIRE)) {
        if (mode == 2) {
            strata_kv_iter *it = strata_kv_iter_new(conc_db, NULL);
            int n = 0;
            for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it);
                 strata_kv_iter_next(it)) {
                size_t kl, vl;
                const char *kp = strata_kv_iter_key(it, &kl);
                const char *vp = strata_kv_iter_value(it, &vl);
                key_of(k, n++);
                if (kl != strlen(k) || memcmp(kp, k, kl) != 0 || vl < 12 ||
                    memcmp(vp + 6, k + 3, 6) != 0)
                    __atomic_fetch_add(&conc_errors, 1, __ATOMIC_RELAXED);
            }
            if (n != NKEYS || strata_kv_iter_status(it))
                __atomic_fetch_add(&conc_errors, 1, __ATOMIC_RELAXED);
            strata_kv_iter_free(it);
            continue;
        }
        if (mode == 1) {
            multi_get_pass(conc_db);
            continue;
        }
        for (int i = 0; i < NKEYS; i += 3) {
            key_of(k, i);
            void *v = NULL;
            size_t n = 0;
            int rc = strata_kv_get(conc_db, NULL, k, strlen(k), &v, &n);
            if (rc != STRATA_OK || n < 12 || memcmp((char *)v + 6, k + 3, 6) != 0)
                __atomic_fetch_add(&conc_errors, 1, __ATOMIC_RELAXED);
            strata_kv_free(v);
        }
    }
    return NULL;
}

static void test_concurrent(void)
{
    char *dir = test_tmpdir("rc_conc");
    strata_kv_options o;
    small_options(&o, 1, 1);
    conc_db = open_db(dir, &o);
    build_overlapping_l0(conc_db);
    pthread_t r[3];
    for (long i = 0; i < 3; i++) pthread_create(&r[i], NULL, conc_reader, (void *)i);
    char k[16], v[64];
    for (int round = 0; round < 6; round++) {
        for (int i = round; i < NKEYS; i += 7) {
            key_of(k, i);
            snprintf(v, sizeof v, "value-%06d-rewrite-%d", i, round);
            CHECK_EQ_INT(strata_kv_put(conc_db, k, strlen(k), v, strlen(v)), STRATA_OK);
        }
        CHECK_EQ_INT(strata_kv_flush(conc_db), STRATA_OK);
    }
    /* keep reading until the reads drained L0 (the readers charge the new files too) */
    for (int i = 0; i < 20000 && level_files(conc_db, 0) > 0; i++) {
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    __atomic_store_n(&conc_stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 3; i++) pthread_join(r[i], NULL);
    CHECK_EQ_INT(conc_errors, 0);
    CHECK_EQ_INT(level_files(conc_db, 0), 0);
    CHECK_EQ_INT(strata_kv_close(conc_db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

TEST_MAIN(test_gets_drain_l0, test_multi_gets_drain_l0, test_scans_drain_l0,
          test_bulk_scans_drain_l0, test_seeks_drain_l0, test_background, test_option_off,
          test_level1_file, test_concurrent)
