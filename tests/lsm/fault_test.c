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

enum { NKEYS = 200, MAX_OPS = 8 };

typedef struct op {
    int kind; /* 0 put, 1 delete, 2 delete range [a, b) */
    int a, b;
} op;

typedef struct batch {
    uint32_t id;
    int nops;
    op ops[MAX_OPS];
} batch;

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static void key_of(char *buf, int k)
{
    sprintf(buf, "k%05d", k);
}

/* The value a put of batch id writes to key k: its length varies from 5 to ~3000 bytes. */
static size_t value_of(uint8_t *buf, uint32_t id, int k)
{
    int n = sprintf((char *)buf, "v%u.%d.", id, k);
    size_t pad = (id * 131u + (uint32_t)k * 17u) % 3000u;
    for (size_t i = 0; i < pad; i++) buf[n + i] = (uint8_t)('a' + (id + i) % 26);
    return (size_t)n + pad;
}

/* model: the id of the batch whose put set each key (0 = absent) */
static void apply(uint32_t *state, const batch *b)
{
    for (int i = 0; i < b->nops; i++) {
        const op *o = &b->ops[i];
        if (o->kind == 0)
            state[o->a] = b->id;
        else if (o->kind == 1)
            state[o->a] = 0;
        else
            for (int k = o->a; k < o->b; k++) state[k] = 0;
    }
}

static void random_batch(batch *b, uint32_t id)
{
    b->id = id;
    b->nops = 1 + (int)rnd(MAX_OPS);
    for (int i = 0; i < b->nops; i++) {
        op *o = &b->ops[i];
        uint32_t r = rnd(100);
        o->kind = r < 75 ? 0 : r < 92 ? 1 : 2;
        o->a = (int)rnd(NKEYS);
        o->b = o->a + 1 + (int)rnd(20);
        if (o->b > NKEYS) o->b = NKEYS;
    }
}

static int write_batch(strata_kv *db, const batch *b, int sync)
{
    static uint8_t val[4096];
    strata_kv_batch *wb = strata_kv_batch_new();
    char k1[32], k2[32];
    for (int i = 0; i < b->nops; i++) {
        const op *o = &b->ops[i];
        key_of(k1, o->a);
        if (o->kind == 0) {
            size_t n = value_of(val, b->id, o->a);
            strata_kv_batch_put(wb, k1, strlen(k1), val, n);
        } else if (o->kind == 1) {
            strata_kv_batch_delete(wb, k1, strlen(k1));
        } else {
            key_of(k2, o->b);
            strata_kv_batch_delete_range(wb, k1, strlen(k1), k2, strlen(k2));
        }
    }
    char marker[32];
    sprintf(marker, "m%08u", b->id);
    strata_kv_batch_put(wb, marker, strlen(marker), "1", 1);
    strata_kv_write_options wo = {.sync = sync};
    int rc = strata_kv_write(db, &wo, wb);
    strata_kv_batch_free(wb);
    return rc;
}

/* The markers present must be exactly 1..M; returns M, or -1 (with a message) if not. */
static long count_markers(strata_kv *db)
{
    strata_kv_read_options ro = {0};
    ro.lower = "m";
    ro.lower_len = 1;
    ro.upper = "n";
    ro.upper_len = 1;
    strata_kv_iter *it = strata_kv_iter_new(db, &ro);
    if (!it) {
        fprintf(stderr, "marker scan: strata_kv_iter_new returned NULL: %s\n", strata_kv_errmsg());
        return -1;
    }
    long m = 0;
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it)) {
        size_t kl;
        const char *k = strata_kv_iter_key(it, &kl);
        char want[32];
        sprintf(want, "m%08ld", m + 1);
        if (kl != strlen(want) || memcmp(k, want, kl) != 0) {
            fprintf(stderr, "marker %.*s where %s was expected\n", (int)kl, k, want);
            strata_kv_iter_free(it);
            return -1;
        }
        m++;
    }
    int st = strata_kv_iter_status(it);
    strata_kv_iter_free(it);
    if (st != STRATA_OK) {
        fprintf(stderr, "marker scan: %s: %s\n", strata_status_name(st), strata_kv_errmsg());
        return -1;
    }
    return m;
}

/* Every key equals the model (get and a full scan). Returns the number of mismatches. */
static int check_state(strata_kv *db, const uint32_t *state)
{
    static uint8_t val[4096];
    int bad = 0;
    char k[32];
    for (int i = 0; i < NKEYS; i++) {
        key_of(k, i);
        void *v = NULL;
        size_t vl = 0;
        int rc = strata_kv_get(db, NULL, k, strlen(k), &v, &vl);
        if (state[i] == 0) {
            if (rc != STRATA_NOTFOUND) {
                fprintf(stderr, "%s: expected absent, got %s\n", k, strata_status_name(rc));
                bad++;
            }
        } else {
            size_t n = value_of(val, state[i], i);
            if (rc != STRATA_OK || vl != n || memcmp(v, val, n) != 0) {
                fprintf(stderr, "%s: expected the value of batch %u, got %s (%zu bytes)\n", k,
                        state[i], strata_status_name(rc), vl);
                bad++;
            }
        }
        strata_kv_free(v);
    }
    strata_kv_read_options ro = {0};
    ro.lower = "k";
    ro.lower_len = 1;
    ro.upper = "l";
    ro.upper_len = 1;
    strata_kv_iter *it = strata_kv_iter_new(db, &ro);
    if (!it) {
        fprintf(stderr, "scan: strata_kv_iter_new returned NULL: %s\n", strata_kv_errmsg());
        return bad + 1;
    }
    int next = 0;
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it)) {
        size_t kl;
        const char *key = strata_kv_iter_key(it, &kl);
        while (next < NKEYS && state[next] == 0) next++;
        key_of(k, next);
        if (next >= NKEYS || kl != strlen(k) || memcmp(key, k, kl) != 0) {
            fprintf(stderr, "scan: unexpected key %.*s (expected %s)\n", (int)kl, key,
                    next < NKEYS ? k : "end");
            bad++;
            break;
        }
        next++;
    }
    while (next < NKEYS && state[next] == 0) next++;
    if (next < NKEYS && !bad) {
        fprintf(stderr, "scan: ended before k%05d\n", next);
        bad++;
    }
    CHECK_EQ_INT(strata_kv_iter_status(it), STRATA_OK);
    strata_kv_iter_free(it);
    return bad;
}

static int open_verbose = 1; /* print why an open failed */

static int open_db(const char *dir, strata_env *env, strata_kv **db)
{
    strata_kv_options o;
    strata_kv_options_init(&o);
    o.env = env;
    o.write_buffer_size = 512 * 1024;
    o.target_file_size = 64 * 1024;
    o.block_cache_size = 256 * 1024;
    int rc = strata_kv_open(dir, &o, db);
    if (rc != STRATA_OK && open_verbose)
        fprintf(stderr, "open %s: %s: %s\n", dir, strata_status_name(rc), strata_kv_errmsg());
    return rc;
}

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
