/*
 * tests/lsm/corruption_test.c — damaged files never crash the kernel or give a wrong answer.
 *
 * A database is built in two phases: batches flushed into SSTs (phase 1), then, after a reopen,
 * batches left in the WAL (phase 2), and closed cleanly. Then, one at a time, a byte of an SST,
 * the WAL, the MANIFEST or CURRENT is flipped (at its first and last bytes and at positions
 * spread over it) in a pristine copy of the directory, and the database is opened:
 *   - open fails with STRATA_CORRUPT, or
 *   - open succeeds and every answer is right or an error: the marker keys are 1..M without a
 *     gap, M is at least the phase-1 batches (only the WAL's torn tail may be lost, and then only
 *     at its end), and every get and the full scan return the model's state after M batches —
 *     or STRATA_CORRUPT / STRATA_IOERR; never a wrong value, a missing key or a crash.
 */
#include "lsm/env.h"
#include "strata_kv.h"
#include "test.h"
#include "util/status.h"

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

enum { NB1 = 60, NB2 = 30 };

typedef struct saved_file {
    char *name;
    uint8_t *data;
    size_t n;
} saved_file;

static char *join(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

/* Removes every file of dir and writes the saved ones back. */
static void restore(const char *dir, const saved_file *files, size_t nf)
{
    strata_env *env = env_sync();
    char **names;
    size_t n;
    REQUIRE(env->list(env, dir, &names, &n) == STRATA_OK);
    for (size_t i = 0; i < n; i++) {
        char *p = join(dir, names[i]);
        env->unlink(env, p);
        free(p);
        free(names[i]);
    }
    free(names);
    for (size_t i = 0; i < nf; i++) {
        char *p = join(dir, files[i].name);
        REQUIRE(env_write_file_sync(env, p, files[i].data, files[i].n) == STRATA_OK);
        free(p);
    }
}

static int is_error(int rc)
{
    return rc == STRATA_CORRUPT || rc == STRATA_IOERR;
}

/* Checks an opened damaged database; returns the number of wrong answers. */
static int check_damaged(strata_kv *db, const batch *log, const char *what)
{
    int bad = 0;
    /* markers: 1..M without a gap, or an error */
    strata_kv_read_options ro = {0};
    ro.lower = "m";
    ro.lower_len = 1;
    ro.upper = "n";
    ro.upper_len = 1;
    strata_kv_iter *it = strata_kv_iter_new(db, &ro);
    if (!it) { /* strata_kv.h: an iterator reports errors through strata_kv_iter_status */
        fprintf(stderr, "%s: strata_kv_iter_new returned NULL (%s)\n", what, strata_kv_errmsg());
        return bad + 1;
    }
    long m = 0;
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it)) {
        size_t kl;
        const char *k = strata_kv_iter_key(it, &kl);
        char want[32];
        sprintf(want, "m%08ld", m + 1);
        if (kl != strlen(want) || memcmp(k, want, kl) != 0) {
            fprintf(stderr, "%s: marker %.*s where %s was expected\n", what, (int)kl, k, want);
            bad++;
            break;
        }
        m++;
    }
    int st = strata_kv_iter_status(it);
    strata_kv_iter_free(it);
    if (st != STRATA_OK && !is_error(st)) {
        fprintf(stderr, "%s: marker scan ended with %s\n", what, strata_status_name(st));
        bad++;
    }
    if (st != STRATA_OK || bad) return bad; /* the markers themselves are unreadable */
    if (m < NB1) {
        fprintf(stderr, "%s: only %ld batches, but %d were in SSTs\n", what, m, NB1);
        return bad + 1;
    }
    uint32_t state[NKEYS] = {0};
    for (long i = 0; i < m; i++) apply(state, &log[i]);
    /* gets: the model's value, or an error */
    static uint8_t val[4096];
    char k[32];
    for (int i = 0; i < NKEYS; i++) {
        key_of(k, i);
        void *v = NULL;
        size_t vl = 0;
        int rc = strata_kv_get(db, NULL, k, strlen(k), &v, &vl);
        if (is_error(rc)) continue;
        if (state[i] == 0 && rc != STRATA_NOTFOUND) {
            fprintf(stderr, "%s: %s should be absent, got %s\n", what, k, strata_status_name(rc));
            bad++;
        } else if (state[i] != 0) {
            size_t n = value_of(val, state[i], i);
            if (rc != STRATA_OK || vl != n || memcmp(v, val, n) != 0) {
                fprintf(stderr, "%s: %s: wrong answer (%s, %zu bytes)\n", what, k,
                        strata_status_name(rc), vl);
                bad++;
            }
        }
        strata_kv_free(v);
    }
    /* scan: the model's keys and values in order, possibly cut short by an error */
    ro.lower = "k";
    ro.upper = "l";
    it = strata_kv_iter_new(db, &ro);
    if (!it) {
        fprintf(stderr, "%s: strata_kv_iter_new returned NULL (%s)\n", what, strata_kv_errmsg());
        return bad + 1;
    }
    int next = 0;
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it)) {
        size_t kl, vl;
        const char *key = strata_kv_iter_key(it, &kl);
        const void *v = strata_kv_iter_value(it, &vl);
        while (next < NKEYS && state[next] == 0) next++;
        key_of(k, next);
        size_t n = next < NKEYS ? value_of(val, state[next], next) : 0;
        if (next >= NKEYS || kl != strlen(k) || memcmp(key, k, kl) != 0 || vl != n ||
            memcmp(v, val, n) != 0) {
            fprintf(stderr, "%s: scan: wrong entry %.*s\n", what, (int)kl, key);
            bad++;
            break;
        }
        next++;
    }
    st = strata_kv_iter_status(it);
    strata_kv_iter_free(it);
    if (st == STRATA_OK && !bad) {
        while (next < NKEYS && state[next] == 0) next++;
        if (next < NKEYS) {
            fprintf(stderr, "%s: scan ended early without an error\n", what);
            bad++;
        }
    } else if (st != STRATA_OK && !is_error(st)) {
        fprintf(stderr, "%s: scan ended with %s\n", what, strata_status_name(st));
        bad++;
    }
    return bad;
}

static void test_flipped_bytes(void)
{
    batch log[NB1 + NB2];
    rng_state = 7;
    for (int i = 0; i < NB1 + NB2; i++) random_batch(&log[i], (uint32_t)i + 1);
    char *dir = test_tmpdir("corrupt");
    strata_env *env = env_sync();
    strata_kv *db;
    REQUIRE(open_db(dir, env, &db) == STRATA_OK);
    for (int i = 0; i < NB1; i++) REQUIRE(write_batch(db, &log[i], 0) == STRATA_OK);
    REQUIRE(strata_kv_flush(db) == STRATA_OK);
    REQUIRE(strata_kv_close(db) == STRATA_OK);
    REQUIRE(open_db(dir, env, &db) == STRATA_OK);
    for (int i = NB1; i < NB1 + NB2; i++) REQUIRE(write_batch(db, &log[i], 0) == STRATA_OK);
    REQUIRE(strata_kv_close(db) == STRATA_OK);

    /* the pristine files */
    char **names;
    size_t nn;
    REQUIRE(env->list(env, dir, &names, &nn) == STRATA_OK);
    saved_file *files = calloc(nn, sizeof *files);
    size_t nf = 0;
    for (size_t i = 0; i < nn; i++) {
        char *p = join(dir, names[i]);
        if (strcmp(names[i], "LOCK") != 0) {
            files[nf].name = names[i];
            REQUIRE(env_read_file(env, p, &files[nf].data, &files[nf].n) == STRATA_OK);
            nf++;
        } else {
            free(names[i]);
        }
        free(p);
    }
    free(names);
    /* the undamaged copy reads back completely */
    restore(dir, files, nf);
    REQUIRE(open_db(dir, env, &db) == STRATA_OK);
    uint32_t full[NKEYS] = {0};
    for (int i = 0; i < NB1 + NB2; i++) apply(full, &log[i]);
    CHECK_EQ_INT(check_state(db, full), 0);
    CHECK_EQ_INT(count_markers(db), NB1 + NB2);
    strata_kv_close(db);

    int kinds_seen[4] = {0}; /* sst, log, manifest, current */
    int opened = 0, refused = 0, wrong = 0;
    for (size_t f = 0; f < nf; f++) {
        const char *name = files[f].name;
        int kind = strstr(name, ".sst")                ? 0
                   : strstr(name, ".log")              ? 1
                   : strncmp(name, "MANIFEST", 8) == 0 ? 2
                   : strcmp(name, "CURRENT") == 0      ? 3
                                                       : -1;
        if (kind < 0 || files[f].n == 0) continue;
        kinds_seen[kind] = 1;
        size_t size = files[f].n;
        size_t pos[80];
        size_t np = 0;
        for (size_t i = 0; i < 12 && i < size; i++) pos[np++] = i;
        for (size_t i = 0; i < 24 && i < size; i++) pos[np++] = size - 1 - i;
        for (size_t i = 1; i <= 40 && size > 40; i++) pos[np++] = size * i / 41;
        for (size_t p = 0; p < np; p++) {
            uint8_t *orig = files[f].data;
            uint8_t *copy = malloc(size);
            memcpy(copy, orig, size);
            copy[pos[p]] ^= 0x5a;
            files[f].data = copy;
            restore(dir, files, nf);
            files[f].data = orig;
            free(copy);
            char what[256];
            snprintf(what, sizeof what, "%s byte %zu of %zu", name, pos[p], size);
            open_verbose = 0; /* refusals are expected */
            int rc = open_db(dir, env, &db);
            open_verbose = 1;
            if (rc == STRATA_OK) {
                opened++;
                int b = check_damaged(db, log, what);
                wrong += b;
                strata_kv_close(db);
            } else if (rc == STRATA_CORRUPT) {
                refused++;
            } else {
                fprintf(stderr, "%s: open failed with %s, expected STRATA_CORRUPT\n", what,
                        strata_status_name(rc));
                wrong++;
            }
        }
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK(kinds_seen[0] && kinds_seen[1] && kinds_seen[2] && kinds_seen[3]);
    CHECK(refused > 0);
    fprintf(stderr, "corruption: %d opens refused (STRATA_CORRUPT), %d opened and checked\n",
            refused, opened);
    for (size_t i = 0; i < nf; i++) {
        free(files[i].name);
        free(files[i].data);
    }
    free(files);
    test_rmdir(dir);
    free(dir);
}

TEST_MAIN(test_flipped_bytes)
