/*
 * tests/lsm/crash_test.c — crash and power-loss recovery of the kernel through the fault env.
 *
 * Each cycle opens the database on a fault env, applies random write batches (puts, deletes,
 * range deletes; some with sync=1; now and then a flush), then "crashes": fault_env_crash kills
 * the simulated process (every handle closed, every later I/O fails), strata_kv_close only frees
 * memory, and fault_env_drop_unsynced cuts the power (unsynced bytes dropped, torn tails on odd
 * cycles, unsynced file creations and renames undone); every third cycle is a process crash
 * without power loss instead (lsm_test_crash_close: files closed, nothing flushed or synced), after
 * which every acknowledged batch must be there. The next open must recover:
 *   - every batch acknowledged with sync=1 is there;
 *   - what is there is exactly the first M batches for some M (each batch carries a marker key,
 *     and the whole key space must equal the model after M batches): no batch appears in part,
 *     none is reordered.
 */
#include <pthread.h>

#include "lsm/env.h"
#include "lsm/test_hooks.h"
#include "strata_kv.h"
#include "test.h"

#include "batch_model.h"

static void run_crash_cycles(strata_env *base, int cycles, uint64_t seed)
{
    rng_state = seed;
    char *dir = test_tmpdir("crash");
    strata_env *env = fault_env_new(base);
    uint32_t base_state[NKEYS] = {0}; /* the model after the recovered prefix */
    uint32_t next_id = 1;             /* batch ids are global: marker m<id> */
    batch *log = malloc(sizeof(batch) * 400);
    uint32_t last_synced = 0; /* the last batch that must survive (acknowledged with sync=1) */
    for (int cycle = 0; cycle <= cycles; cycle++) {
        strata_kv *db;
        REQUIRE(open_db(dir, env, &db) == STRATA_OK);
        long m = count_markers(db);
        CHECK(m >= 0);
        if (m < 0) {
            strata_kv_close(db);
            break;
        }
        /* recovered: batches 1..m. Every synced batch is there; nothing newer than written. */
        CHECK(m >= (long)last_synced);
        CHECK(m < (long)next_id);
        if (m < (long)last_synced)
            fprintf(stderr, "cycle %d: %ld batches recovered, but batch %u was synced\n", cycle, m,
                    last_synced);
        /* the previous cycle logged batches [log[0].id, next_id); replay those recovered */
        if (cycle > 0)
            for (long i = 0; i < (long)(next_id - log[0].id) && (long)log[i].id <= m; i++)
                apply(base_state, &log[i]);
        int bad = check_state(db, base_state);
        CHECK_EQ_INT(bad, 0);
        if (bad) {
            fprintf(stderr, "cycle %d: state after %ld batches differs from the model\n", cycle, m);
            strata_kv_close(db);
            break;
        }
        next_id = (uint32_t)m + 1;
        last_synced = (uint32_t)m; /* recovered state is durable now */
        if (cycle == cycles) {
            CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
            break;
        }
        /* write batches */
        int nb = 20 + (int)rnd(300);
        for (int i = 0; i < nb; i++) {
            random_batch(&log[i], next_id + (uint32_t)i);
            int sync = rnd(4) == 0;
            int rc = write_batch(db, &log[i], sync);
            CHECK_EQ_INT(rc, STRATA_OK);
            if (sync && rc == STRATA_OK) last_synced = log[i].id;
            if (rnd(40) == 0) CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
        }
        next_id += (uint32_t)nb;
        if (cycle % 3 == 2) {
            /* a process crash without power loss: what was written survives, synced or not */
            CHECK_EQ_INT(lsm_test_crash_close(db), STRATA_OK);
            last_synced = next_id - 1;
        } else {
            /* crash, then power loss */
            fault_env_crash(env);
            strata_kv_close(db); /* frees memory; its I/O fails */
            CHECK_EQ_INT(fault_env_drop_unsynced(env, cycle & 1), STRATA_OK);
        }
    }
    free(log);
    fault_env_free(env);
    strata_kv_destroy(dir);
    test_rmdir(dir);
    free(dir);
}

static void test_crash_sync_env(void)
{
    run_crash_cycles(env_sync(), 25, 0x1234567);
}

static void test_crash_uring_env(void)
{
    run_crash_cycles(env_uring(), 25, 0xabcdef1);
}

/* ---- concurrent writers (group commit) crashed in flight ----
 * Four threads write batches to their own quarter of the key space (thread t: keys
 * [t * 50, t * 50 + 50), batch ids t * 1000000 + j, markers in id order). While they write, the
 * process crashes (fault_env_crash: every later I/O fails, so writers stop at their first error),
 * then the power goes. Per thread, the recovered batches must be exactly its first M_t, with
 * M_t >= its last batch acknowledged with sync=1 and M_t <= the batches it attempted, and its keys
 * must equal its model after M_t batches. */

enum { NTHREADS = 4, PART = NKEYS / NTHREADS, PER_CYCLE = 150, ID_BASE = 1000000 };

typedef struct writer {
    strata_kv *db;
    int t;
    uint64_t rng;
    uint32_t first_j;     /* j of the first batch of this cycle */
    int nb;               /* batches logged this cycle */
    uint32_t last_synced; /* j */
    uint32_t attempted;   /* j of the last batch tried */
    int progress;         /* batches acknowledged this cycle (atomic; PER_CYCLE when done) */
    batch log[PER_CYCLE];
    uint8_t val[4096];
} writer;

static uint32_t wrnd(writer *w, uint32_t n)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return (uint32_t)(w->rng % n);
}

static void *writer_main(void *p)
{
    writer *w = p;
    int lo = w->t * PART;
    for (int i = 0; i < PER_CYCLE; i++) {
        batch *b = &w->log[i];
        uint32_t j = w->first_j + (uint32_t)i;
        b->id = (uint32_t)w->t * ID_BASE + j;
        b->nops = 1 + (int)wrnd(w, 4);
        for (int k = 0; k < b->nops; k++) {
            op *o = &b->ops[k];
            uint32_t r = wrnd(w, 100);
            o->kind = r < 75 ? 0 : r < 92 ? 1 : 2;
            o->a = lo + (int)wrnd(w, PART);
            o->b = o->a + 1 + (int)wrnd(w, 10);
            if (o->b > lo + PART) o->b = lo + PART;
        }
        int sync = wrnd(w, 4) == 0;
        w->attempted = j;
        w->nb = i + 1;
        if (write_batch_buf(w->db, b, sync, w->val) != STRATA_OK) break;
        if (sync) w->last_synced = j;
        __atomic_store_n(&w->progress, i + 1, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&w->progress, PER_CYCLE, __ATOMIC_RELEASE); /* done (or stopped) */
    return NULL;
}

/* Markers of thread t: must be j = 1..M without a gap; returns M or -1. */
static long thread_markers(strata_kv *db, int t)
{
    char lo[32], hi[32];
    sprintf(lo, "m%08u", (uint32_t)t * ID_BASE);
    sprintf(hi, "m%08u", (uint32_t)(t + 1) * ID_BASE);
    strata_kv_read_options ro = {0};
    ro.lower = lo;
    ro.lower_len = strlen(lo);
    ro.upper = hi;
    ro.upper_len = strlen(hi);
    strata_kv_iter *it = strata_kv_iter_new(db, &ro);
    if (!it) return -1;
    long m = 0;
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it)) {
        size_t kl;
        const char *k = strata_kv_iter_key(it, &kl);
        char want[32];
        sprintf(want, "m%08u", (uint32_t)t * ID_BASE + (uint32_t)(m + 1));
        if (kl != strlen(want) || memcmp(k, want, kl) != 0) {
            fprintf(stderr, "thread %d: marker %.*s where %s was expected\n", t, (int)kl, k, want);
            m = -1;
            break;
        }
        m++;
    }
    if (strata_kv_iter_status(it) != STRATA_OK) m = -1;
    strata_kv_iter_free(it);
    return m;
}

static void test_crash_concurrent(void)
{
    char *dir = test_tmpdir("crash_conc");
    strata_env *env = fault_env_new(env_uring());
    writer *w = calloc(NTHREADS, sizeof *w);
    uint32_t state[NKEYS] = {0};
    for (int t = 0; t < NTHREADS; t++) {
        w[t].t = t;
        w[t].rng = 0x51ed + (uint64_t)t * 7919;
        w[t].first_j = 1;
    }
    int in_flight = 0; /* writers stopped by the crash (rather than done) */
    for (int cycle = 0; cycle <= 8; cycle++) {
        strata_kv *db;
        REQUIRE(open_db(dir, env, &db) == STRATA_OK);
        int bad = 0;
        for (int t = 0; t < NTHREADS; t++) {
            long m = thread_markers(db, t);
            uint32_t have = w[t].first_j - 1; /* recovered before the last cycle */
            if (m < 0 || (cycle > 0 && (m < (long)w[t].last_synced || m > (long)w[t].attempted)) ||
                m < (long)have) {
                fprintf(stderr, "cycle %d thread %d: %ld batches; synced %u, attempted %u\n", cycle,
                        t, m, w[t].last_synced, w[t].attempted);
                bad++;
                continue;
            }
            for (int i = 0; i < w[t].nb && w[t].first_j + (uint32_t)i <= (uint32_t)m; i++)
                apply(state, &w[t].log[i]);
            w[t].first_j = (uint32_t)m + 1;
            w[t].last_synced = (uint32_t)m;
            w[t].attempted = (uint32_t)m;
            w[t].nb = 0;
        }
        CHECK_EQ_INT(bad, 0);
        if (bad == 0) CHECK_EQ_INT(check_state(db, state), 0);
        if (bad || cycle == 8) {
            strata_kv_close(db);
            break;
        }
        pthread_t th[NTHREADS];
        for (int t = 0; t < NTHREADS; t++) {
            w[t].db = db;
            w[t].progress = 0;
            pthread_create(&th[t], NULL, writer_main, &w[t]);
        }
        /* let every writer get some batches in, then crash in flight */
        int want = 3 + (int)rnd(40);
        for (int t = 0; t < NTHREADS; t++)
            while (__atomic_load_n(&w[t].progress, __ATOMIC_ACQUIRE) < want) usleep(100);
        fault_env_crash(env);
        for (int t = 0; t < NTHREADS; t++) {
            pthread_join(th[t], NULL);
            if (w[t].attempted < w[t].first_j + PER_CYCLE - 1) in_flight++;
        }
        strata_kv_close(db);
        CHECK_EQ_INT(fault_env_drop_unsynced(env, cycle & 1), STRATA_OK);
    }
    CHECK(in_flight > 0);
    free(w);
    fault_env_free(env);
    test_rmdir(dir);
    free(dir);
}

TEST_MAIN(test_crash_sync_env, test_crash_uring_env, test_crash_concurrent)
