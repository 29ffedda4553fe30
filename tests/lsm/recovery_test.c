/*
 * tests/lsm/recovery_test.c — targeted recovery cases found by the crash, fault and corruption
 * tests, each reproduced on its own (through the fault env of lsm/io_fault.c):
 *   - a synced write in a new WAL must not survive a power loss that drops the unsynced tail of
 *     the previous WAL (recovery gives a prefix of the acknowledged batches);
 *   - files numbered past the MANIFEST's next file number (created, never logged) do not stop
 *     the reopened database from creating files, and are deleted at open;
 *   - a flushed SST survives a power loss (its directory entry is durable before the MANIFEST
 *     names it);
 *   - an SST named by the MANIFEST but missing is an error for get (never "not found") and for
 *     an iterator (an invalid iterator with a status, not NULL);
 *   - an I/O fault at every op of a recovering open, or of an ingest, with or without a power
 *     loss after it: synced data survives, and an ingest is all or nothing.
 */
#include <dirent.h>

#include "lsm/env.h"
#include "strata_kv.h"
#include "test.h"

static int open_db(const char *dir, strata_env *env, size_t wbuf, strata_kv **db)
{
    strata_kv_options o;
    strata_kv_options_init(&o);
    o.env = env;
    o.write_buffer_size = wbuf;
    o.target_file_size = 64 * 1024;
    int rc = strata_kv_open(dir, &o, db);
    if (rc) fprintf(stderr, "open %s: %s: %s\n", dir, strata_status_name(rc), strata_kv_errmsg());
    return rc;
}

static int count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    size_t sl = strlen(suffix);
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l >= sl && strcmp(e->d_name + l - sl, suffix) == 0) n++;
    }
    closedir(d);
    return n;
}

static int file_exists(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static void write_junk(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    REQUIRE(f);
    fputs("left over by a crash", f);
    fclose(f);
}

/* Unsynced batches fill the memtable; the next batch, with sync=1, switches to a new WAL and is
 * acknowledged; power is lost before the old memtable's flush can finish. Every batch before
 * the synced one must be recovered with it. */
static void test_synced_write_after_wal_switch(void)
{
    char val[1000];
    memset(val, 'v', sizeof val);
    for (int round = 0; round < 4; round++) {
        char *dir = test_tmpdir("recovery_switch");
        strata_env *env = fault_env_new(env_default());
        strata_kv *db;
        REQUIRE(open_db(dir, env, 64 * 1024, &db) == STRATA_OK);
        int n = 0;
        char key[32];
        /* just over one memtable of unsynced puts */
        for (; n < 80; n++) {
            snprintf(key, sizeof key, "k%04d", n);
            CHECK_EQ_INT(strata_kv_put(db, key, strlen(key), val, sizeof val), STRATA_OK);
        }
        strata_kv_batch *b = strata_kv_batch_new();
        snprintf(key, sizeof key, "k%04d", n++);
        strata_kv_batch_put(b, key, strlen(key), val, sizeof val);
        strata_kv_write_options wo = {.sync = 1};
        CHECK_EQ_INT(strata_kv_write(db, &wo, b), STRATA_OK);
        strata_kv_batch_free(b);
        fault_env_crash(env);
        strata_kv_close(db);
        CHECK_EQ_INT(fault_env_drop_unsynced(env, 0), STRATA_OK);
        REQUIRE(open_db(dir, env, 64 * 1024, &db) == STRATA_OK);
        int missing = 0;
        for (int i = 0; i < n; i++) {
            snprintf(key, sizeof key, "k%04d", i);
            void *v = NULL;
            size_t vl = 0;
            int rc = strata_kv_get(db, NULL, key, strlen(key), &v, &vl);
            if (rc != STRATA_OK) missing++;
            strata_kv_free(v);
        }
        if (missing) fprintf(stderr, "round %d: %d of %d batches lost\n", round, missing, n);
        CHECK_EQ_INT(missing, 0);
        CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
        fault_env_free(env);
        strata_kv_destroy(dir);
        test_rmdir(dir);
        free(dir);
    }
}

/* Files a crash left behind, numbered past anything the MANIFEST knows. */
static void test_orphans_past_next_file(void)
{
    char *dir = test_tmpdir("recovery_orphans");
    strata_kv *db;
    REQUIRE(open_db(dir, NULL, 64 * 1024, &db) == STRATA_OK);
    CHECK_EQ_INT(strata_kv_put(db, "a", 1, "1", 1), STRATA_OK);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    /* every number the next opens could pick, as an SST, a WAL and a manifest */
    char name[64];
    for (int i = 1; i <= 40; i++) {
        snprintf(name, sizeof name, "%06d.sst", i);
        if (!file_exists(dir, name)) write_junk(dir, name);
    }
    write_junk(dir, "000041.log.bak"); /* not ours: left alone */
    write_junk(dir, "MANIFEST-000045");
    REQUIRE(open_db(dir, NULL, 64 * 1024, &db) == STRATA_OK);
    CHECK_EQ_INT(strata_kv_put(db, "b", 1, "2", 1), STRATA_OK);
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    void *v = NULL;
    size_t vl = 0;
    CHECK_EQ_INT(strata_kv_get(db, NULL, "a", 1, &v, &vl), STRATA_OK);
    strata_kv_free(v);
    CHECK_EQ_INT(strata_kv_get(db, NULL, "b", 1, &v, &vl), STRATA_OK);
    strata_kv_free(v);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    /* the junk is gone: the live SSTs are the two flushes */
    CHECK_EQ_INT(count_files(dir, ".sst"), 2);
    CHECK(!file_exists(dir, "MANIFEST-000045"));
    CHECK(file_exists(dir, "000041.log.bak"));
    REQUIRE(open_db(dir, NULL, 64 * 1024, &db) == STRATA_OK);
    CHECK_EQ_INT(strata_kv_get(db, NULL, "b", 1, &v, &vl), STRATA_OK);
    strata_kv_free(v);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    test_rmdir(dir);
    free(dir);
}

/* A flush, then power loss: the SST the MANIFEST names is there after the reboot. */
static void test_flushed_sst_survives_power_loss(void)
{
    char *dir = test_tmpdir("recovery_flush");
    strata_env *env = fault_env_new(env_default());
    strata_kv *db;
    REQUIRE(open_db(dir, env, 64 * 1024, &db) == STRATA_OK);
    char key[32];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%04d", i);
        CHECK_EQ_INT(strata_kv_put(db, key, strlen(key), key, strlen(key)), STRATA_OK);
    }
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    CHECK_EQ_INT(strata_kv_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    fault_env_crash(env);
    strata_kv_close(db);
    CHECK_EQ_INT(fault_env_drop_unsynced(env, 0), STRATA_OK);
    REQUIRE(open_db(dir, env, 64 * 1024, &db) == STRATA_OK);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%04d", i);
        void *v = NULL;
        size_t vl = 0;
        CHECK_EQ_INT(strata_kv_get(db, NULL, key, strlen(key), &v, &vl), STRATA_OK);
        strata_kv_free(v);
    }
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    fault_env_free(env);
    strata_kv_destroy(dir);
    test_rmdir(dir);
    free(dir);
}

/* An SST deleted behind the database's back. */
static void test_missing_sst(void)
{
    char *dir = test_tmpdir("recovery_missing");
    strata_kv *db;
    REQUIRE(open_db(dir, NULL, 64 * 1024, &db) == STRATA_OK);
    CHECK_EQ_INT(strata_kv_put(db, "a", 1, "1", 1), STRATA_OK);
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    /* remove the one SST */
    DIR *d = opendir(dir);
    REQUIRE(d);
    int removed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".sst") == 0) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            CHECK_EQ_INT(unlink(p), 0);
            removed++;
        }
    }
    closedir(d);
    CHECK_EQ_INT(removed, 1);
    int rc = open_db(dir, NULL, 64 * 1024, &db);
    CHECK(rc == STRATA_OK || rc == STRATA_CORRUPT);
    if (rc == STRATA_OK) {
        void *v = NULL;
        size_t vl = 0;
        /* the key is in the missing file: an error, not "absent" */
        CHECK_EQ_INT(strata_kv_get(db, NULL, "a", 1, &v, &vl), STRATA_CORRUPT);
        strata_kv_free(v);
        strata_kv_iter *it = strata_kv_iter_new(db, NULL);
        REQUIRE(it != NULL);
        strata_kv_iter_seek_to_first(it);
        CHECK(!strata_kv_iter_valid(it));
        CHECK_EQ_INT(strata_kv_iter_status(it), STRATA_CORRUPT);
        strata_kv_iter_seek(it, "a", 1);
        CHECK(!strata_kv_iter_valid(it));
        strata_kv_iter_next(it);
        strata_kv_iter_free(it);
        CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    }
    strata_kv_destroy(dir);
    test_rmdir(dir);
    free(dir);
}

/* A failure at every I/O op of an open that recovers WALs (then, every other time, power loss):
 * the next open (no faults) still finds every synced key. */
static void test_fault_during_recovery(void)
{
    static const fault_kind kinds[] = {FAULT_EIO, FAULT_ENOSPC, FAULT_SHORT, FAULT_TORN};
    char *root = test_tmpdir("recovery_fault");
    char val[600];
    memset(val, 'r', sizeof val);
    int runs = 0, failed_opens = 0;
    for (uint64_t n = 1; n < 400; n++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/run%llu", root, (unsigned long long)n);
        strata_env *env = fault_env_new(env_default());
        fault_env_set_active(env, 0);
        strata_kv *db;
        REQUIRE(open_db(dir, env, 64 * 1024, &db) == STRATA_OK);
        char key[32];
        strata_kv_write_options wo = {.sync = 1};
        for (int i = 0; i < 300; i++) {
            snprintf(key, sizeof key, "k%04d", i);
            strata_kv_batch *b = strata_kv_batch_new();
            strata_kv_batch_put(b, key, strlen(key), val, sizeof val);
            CHECK_EQ_INT(strata_kv_write(db, &wo, b), STRATA_OK);
            strata_kv_batch_free(b);
            if (i == 100) CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
        }
        /* the process dies with data in two WALs (one switch past the flush) */
        fault_env_crash(env);
        strata_kv_close(db);
        CHECK_EQ_INT(fault_env_drop_unsynced(env, 0), STRATA_OK);
        /* an open (recovery) whose n-th op fails, then power loss */
        fault_env_set_active(env, 1);
        fault_env_fail_nth(env, n, kinds[n % 4]);
        strata_kv_options o;
        strata_kv_options_init(&o);
        o.env = env;
        o.write_buffer_size = 64 * 1024;
        o.target_file_size = 64 * 1024;
        int rc = strata_kv_open(dir, &o, &db);
        uint64_t injected = fault_env_faults_injected(env);
        fault_env_fail_nth(env, 0, FAULT_NONE);
        fault_env_set_active(env, 0);
        if (rc != STRATA_OK) failed_opens++;
        if (n % 2 == 0) { /* the process dies and the power is lost */
            fault_env_crash(env);
            if (rc == STRATA_OK) strata_kv_close(db);
            CHECK_EQ_INT(fault_env_drop_unsynced(env, n % 4 == 0), STRATA_OK);
        } else if (rc == STRATA_OK) {
            CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
        }
        REQUIRE(open_db(dir, env, 64 * 1024, &db) == STRATA_OK);
        int missing = 0;
        for (int i = 0; i < 300; i++) {
            snprintf(key, sizeof key, "k%04d", i);
            void *v = NULL;
            size_t vl = 0;
            int g = strata_kv_get(db, NULL, key, strlen(key), &v, &vl);
            if (g != STRATA_OK || vl != sizeof val) missing++;
            strata_kv_free(v);
        }
        if (missing) fprintf(stderr, "N=%llu: %d keys lost\n", (unsigned long long)n, missing);
        CHECK_EQ_INT(missing, 0);
        CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
        fault_env_free(env);
        test_rmdir(dir);
        runs++;
        if (!injected) break; /* the open finished before its n-th op */
    }
    fprintf(stderr, "recovery faults: %d runs, %d opens failed\n", runs, failed_opens);
    CHECK(runs > 10);
    CHECK(failed_opens > 0);
    test_rmdir(root);
    free(root);
}

/* Counts the keys "<prefix>NNNN" for NNNN < n that get finds (-1 on an unexpected error). */
static int count_present(strata_kv *db, const char *prefix, int n)
{
    int found = 0;
    char key[32];
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "%s%04d", prefix, i);
        void *v = NULL;
        size_t vl = 0;
        int rc = strata_kv_get(db, NULL, key, strlen(key), &v, &vl);
        strata_kv_free(v);
        if (rc == STRATA_OK)
            found++;
        else if (rc != STRATA_NOTFOUND)
            return -1;
    }
    return found;
}

/* Ingest (two files and a batch) with its N-th I/O op failing, then (every other run) power
 * loss: afterwards either everything ingested is there or nothing, and the earlier synced
 * writes are intact. */
static void test_fault_during_ingest(void)
{
    static const fault_kind kinds[] = {FAULT_EIO, FAULT_ENOSPC, FAULT_SHORT, FAULT_TORN};
    char *root = test_tmpdir("recovery_ingest");
    int runs = 0, failed = 0;
    for (uint64_t n = 1; n < 400; n++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/run%llu", root, (unsigned long long)n);
        strata_env *env = fault_env_new(env_default());
        fault_env_set_active(env, 0);
        strata_kv *db;
        REQUIRE(open_db(dir, env, 64 * 1024, &db) == STRATA_OK);
        char key[32];
        strata_kv_write_options wo = {.sync = 1};
        for (int i = 0; i < 50; i++) {
            snprintf(key, sizeof key, "a%04d", i);
            strata_kv_batch *b = strata_kv_batch_new();
            strata_kv_batch_put(b, key, strlen(key), "old", 3);
            CHECK_EQ_INT(strata_kv_write(db, &wo, b), STRATA_OK);
            strata_kv_batch_free(b);
        }
        fault_env_set_active(env, 1);
        fault_env_fail_nth(env, n, kinds[n % 4]);
        strata_kv_sst_writer *w[2] = {NULL, NULL};
        int rc = STRATA_OK;
        for (int f = 0; f < 2 && !rc; f++) {
            rc = strata_kv_sst_writer_new(db, &w[f]);
            for (int i = 0; i < 200 && !rc; i++) {
                snprintf(key, sizeof key, "%c%04d", f ? 'c' : 'b', i);
                rc = strata_kv_sst_writer_put(w[f], key, strlen(key), key, strlen(key));
            }
        }
        strata_kv_batch *b = strata_kv_batch_new();
        for (int i = 0; i < 20; i++) {
            snprintf(key, sizeof key, "d%04d", i);
            strata_kv_batch_put(b, key, strlen(key), "batch", 5);
        }
        if (rc) {
            for (int f = 0; f < 2; f++) strata_kv_sst_writer_abandon(w[f]);
        } else {
            rc = strata_kv_ingest(db, w, 2, b);
        }
        strata_kv_batch_free(b);
        uint64_t injected = fault_env_faults_injected(env);
        fault_env_fail_nth(env, 0, FAULT_NONE);
        fault_env_set_active(env, 0);
        if (rc) failed++;
        if (n % 2 == 0) {
            fault_env_crash(env);
            strata_kv_close(db);
            CHECK_EQ_INT(fault_env_drop_unsynced(env, n % 4 == 0), STRATA_OK);
        } else {
            strata_kv_close(db); /* may report the ingest's error again */
        }
        REQUIRE(open_db(dir, env, 64 * 1024, &db) == STRATA_OK);
        int a = count_present(db, "a", 50), b1 = count_present(db, "b", 200),
            c1 = count_present(db, "c", 200), d1 = count_present(db, "d", 20);
        CHECK_EQ_INT(a, 50);
        int all = b1 == 200 && c1 == 200 && d1 == 20, none = b1 == 0 && c1 == 0 && d1 == 0;
        if (!all && !none)
            fprintf(stderr, "N=%llu: ingest in part: %d, %d, %d of 200, 200, 20 keys\n",
                    (unsigned long long)n, b1, c1, d1);
        CHECK(all || none);
        if (rc == STRATA_OK) CHECK(all); /* acknowledged: durable */
        CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
        fault_env_free(env);
        test_rmdir(dir);
        runs++;
        if (!injected) break;
    }
    fprintf(stderr, "ingest faults: %d runs, %d ingests failed\n", runs, failed);
    CHECK(runs > 10);
    CHECK(failed > 0);
    test_rmdir(root);
    free(root);
}

TEST_MAIN(test_synced_write_after_wal_switch, test_orphans_past_next_file,
          test_flushed_sst_survives_power_loss, test_missing_sst, test_fault_during_recovery,
          test_fault_during_ingest)
