/*
 * tests/lsm/fault_test.c — I/O-error sweep of the kernel through the fault env (SQLite's
 * I/O-error loop): a fixed workload (open, write batches — every 5th with sync=1 —, flushes, a
 * full compaction, close) runs with the N-th I/O failing, for N = 1, 2, ... until a run finishes
 * without reaching its N-th op. The failure kind cycles through EIO, ENOSPC, short write and torn
 * write. After each run the database is reopened with faults off (every other run after a
 * simulated power loss too) and must be consistent:
 *   - it opens;
 *   - it holds exactly the first M batches of the workload (markers 1..M, every key as the model
 *     says), with M >= the last batch acknowledged with sync=1 and M <= the batches attempted;
 *   - when the workload reported no error at all (the fault hit an op whose failure is harmless,
 *     or was retried), nothing is missing: M = every batch (without a power loss).
 * A second test injects random faults (one op in 40) and always cuts the power afterwards.
 */
#include "lsm/env.h"
#include "strata_kv.h"
#include "test.h"

#include "batch_model.h"

enum { NB = 30 };

typedef struct run_result {
    int rc;               /* first error of the workload (STRATA_OK if none) */
    int acked;            /* batches acknowledged */
    int attempted;        /* batches attempted (acked, + 1 if a write failed) */
    uint32_t last_synced; /* last batch acknowledged with sync=1 */
} run_result;

static run_result workload(strata_env *env, const char *dir, const batch *log)
{
    run_result r = {0, 0, 0, 0};
    strata_kv *db;
    open_verbose = 0; /* failing here is expected */
    r.rc = open_db(dir, env, &db);
    open_verbose = 1;
    if (r.rc != STRATA_OK) return r;
    for (int i = 0; i < NB && r.rc == STRATA_OK; i++) {
        int sync = i % 5 == 4;
        r.attempted++;
        r.rc = write_batch(db, &log[i], sync);
        if (r.rc != STRATA_OK) break;
        r.acked++;
        if (sync) r.last_synced = log[i].id;
        if (i % 10 == 9) r.rc = strata_kv_flush(db);
        if (r.rc == STRATA_OK && i == NB / 2) r.rc = strata_kv_compact_range(db, NULL, 0, NULL, 0);
    }
    int crc = strata_kv_close(db);
    if (r.rc == STRATA_OK) r.rc = crc;
    return r;
}

/* Reopens without faults and checks the database against the workload's model. */
static int verify(strata_env *env, const char *dir, const batch *log, const run_result *r,
                  int power_loss, uint64_t n)
{
    strata_kv *db;
    int rc = open_db(dir, env, &db);
    if (rc != STRATA_OK) {
        fprintf(stderr, "N=%llu: reopen failed\n", (unsigned long long)n);
        return 1;
    }
    int bad = 0;
    long m = count_markers(db);
    if (m < 0 || m < (long)r->last_synced || m > r->attempted ||
        (r->rc == STRATA_OK && !power_loss && m != NB)) {
        fprintf(stderr,
                "N=%llu: %ld batches present; workload %s after %d acked (last synced %u)%s\n",
                (unsigned long long)n, m, strata_status_name(r->rc), r->acked, r->last_synced,
                power_loss ? ", then power loss" : "");
        bad++;
    }
    if (m >= 0) {
        uint32_t state[NKEYS] = {0};
        for (long i = 0; i < m && i < NB; i++) apply(state, &log[i]);
        bad += check_state(db, state);
    }
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    return bad;
}

static void sweep(strata_env *base, const char *tag)
{
    batch log[NB];
    rng_state = 42;
    for (int i = 0; i < NB; i++) random_batch(&log[i], (uint32_t)i + 1);
    char *root = test_tmpdir(tag);
    char dir[4096];
    static const fault_kind kinds[] = {FAULT_EIO, FAULT_ENOSPC, FAULT_SHORT, FAULT_TORN};
    /* a run without faults: how many ops the workload does, and that it passes the checks */
    snprintf(dir, sizeof dir, "%s/clean", root);
    strata_env *clean = fault_env_new(base);
    run_result cr = workload(clean, dir, log);
    CHECK_EQ_INT(cr.rc, STRATA_OK);
    uint64_t total = fault_env_op_count(clean);
    fault_env_set_active(clean, 0);
    CHECK_EQ_INT(verify(clean, dir, log, &cr, 0, 0), 0);
    fault_env_free(clean);
    test_rmdir(dir);
    /* every op up to 400, then a spread sample (the time budget of a unit test) */
    uint64_t step = total > 400 ? total / 400 : 1;
    int failures = 0, runs = 0, errors_seen = 0;
    for (uint64_t n = 1;; n += n < 200 ? 1 : step) {
        snprintf(dir, sizeof dir, "%s/run%llu", root, (unsigned long long)n);
        strata_env *env = fault_env_new(base);
        fault_env_fail_nth(env, n, kinds[n % 4]);
        run_result r = workload(env, dir, log);
        uint64_t injected = fault_env_faults_injected(env);
        fault_env_fail_nth(env, 0, FAULT_NONE);
        fault_env_set_active(env, 0);
        int power_loss = n % 2 == 0;
        if (power_loss) {
            fault_env_crash(env);
            CHECK_EQ_INT(fault_env_drop_unsynced(env, n % 4 == 0), STRATA_OK);
        }
        if (r.rc != STRATA_OK) errors_seen++;
        int bad = verify(env, dir, log, &r, power_loss, n);
        if (bad) failures++;
        runs++;
        fault_env_free(env);
        test_rmdir(dir);
        if (!injected) break; /* the workload finished before its n-th op */
        if (failures > 5) break;
    }
    CHECK_EQ_INT(failures, 0);
    CHECK(runs > 10);
    CHECK(errors_seen > 0);
    fprintf(stderr, "%s: %d runs (about %llu I/O ops each), %d reported an error\n", tag, runs,
            (unsigned long long)total, errors_seen);
    test_rmdir(root);
    free(root);
}

static void test_fault_sweep_sync(void)
{
    sweep(env_sync(), "fault_sync");
}

static void test_fault_sweep_uring(void)
{
    sweep(env_uring(), "fault_uring");
}

/* Random faults (any op, any kind, one in 40), then a power loss (torn tails on odd rounds):
 * the same consistency checks. */
static void test_random_faults_then_power_loss(void)
{
    batch log[NB];
    rng_state = 4242;
    for (int i = 0; i < NB; i++) random_batch(&log[i], (uint32_t)i + 1);
    char *root = test_tmpdir("fault_random");
    char dir[4096];
    static const fault_kind kinds[] = {FAULT_EIO, FAULT_ENOSPC, FAULT_SHORT, FAULT_TORN};
    int failures = 0, errors_seen = 0;
    for (int round = 0; round < 40 && failures <= 5; round++) {
        snprintf(dir, sizeof dir, "%s/round%d", root, round);
        strata_env *env = fault_env_new(round % 2 ? env_uring() : env_sync());
        fault_env_fail_random(env, 40, (uint64_t)round + 1, kinds[round % 4]);
        run_result r = workload(env, dir, log);
        if (r.rc != STRATA_OK) errors_seen++;
        fault_env_fail_random(env, 0, 0, FAULT_NONE);
        fault_env_set_active(env, 0);
        fault_env_crash(env);
        CHECK_EQ_INT(fault_env_drop_unsynced(env, round & 1), STRATA_OK);
        if (verify(env, dir, log, &r, 1, (uint64_t)round)) failures++;
        fault_env_free(env);
        test_rmdir(dir);
    }
    CHECK_EQ_INT(failures, 0);
    CHECK(errors_seen > 0);
    test_rmdir(root);
    free(root);
}

TEST_MAIN(test_fault_sweep_sync, test_fault_sweep_uring, test_random_faults_then_power_loss)
