/*
 * tests/lsm/batch_model.h — the batch workload shared by the kernel's crash, fault and
 * corruption tests: random batches of puts, deletes and range deletes over NKEYS keys, each
 * with a marker key, applied to a model state; checks that a database holds exactly the state
 * after some prefix of the batches (no batch in part, none reordered).
 */
#ifndef STRATA_TESTS_LSM_BATCH_MODEL_H
#define STRATA_TESTS_LSM_BATCH_MODEL_H

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

static int write_batch_buf(strata_kv *db, const batch *b, int sync, uint8_t *val)
{
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

static int write_batch(strata_kv *db, const batch *b, int sync)
{
    static uint8_t val[4096];
    return write_batch_buf(db, b, sync, val);
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

#endif
