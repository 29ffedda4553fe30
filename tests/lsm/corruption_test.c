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

#include "batch_model.h"

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

/* Whether (key, value) is the model's entry after position *next (keys the model holds no value
 * for are skipped); moves *next past it. */
static int model_entry(const uint32_t *state, int *next, const void *key, size_t kl, const void *v,
                       size_t vl)
{
    static uint8_t val[4096];
    char k[32];
    while (*next < NKEYS && state[*next] == 0) (*next)++;
    if (*next >= NKEYS) return 0;
    key_of(k, *next);
    size_t n = value_of(val, state[*next], *next);
    (*next)++;
    return kl == strlen(k) && memcmp(key, k, kl) == 0 && vl == n && memcmp(v, val, n) == 0;
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
        if (!model_entry(state, &next, key, kl, v, vl)) {
            fprintf(stderr, "%s: scan: wrong entry %.*s\n", what, (int)kl, key);
            bad++;
            break;
        }
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
    /* the same scan in batches (strata_kv_iter_next_batch decodes blocks its own way) */
    it = strata_kv_iter_new(db, &ro);
    if (!it) return bad + 1;
    next = 0;
    strata_kv_entry e[64];
    size_t got;
    strata_kv_iter_seek_to_first(it);
    while (!bad && (got = strata_kv_iter_next_batch(it, e, 64)) > 0) {
        for (size_t i = 0; i < got && !bad; i++) {
            if (!model_entry(state, &next, e[i].key, e[i].klen, e[i].val, e[i].vlen)) {
                fprintf(stderr, "%s: batch scan: wrong entry %.*s\n", what, (int)e[i].klen,
                        (const char *)e[i].key);
                bad++;
            }
        }
    }
    st = strata_kv_iter_status(it);
    strata_kv_iter_free(it);
    if (st == STRATA_OK && !bad) {
        while (next < NKEYS && state[next] == 0) next++;
        if (next < NKEYS) {
            fprintf(stderr, "%s: batch scan ended early without an error\n", what);
            bad++;
        }
    } else if (st != STRATA_OK && !is_error(st)) {
        fprintf(stderr, "%s: batch scan ended with %s\n", what, strata_status_name(st));
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
