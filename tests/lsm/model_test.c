/* tests/lsm/model_test.c — random operation sequences checked op by op against an in-memory
 * model: put / delete / delete_range / batches / get / multi_get / scans (forward, backward,
 * direction changes, bounds) / snapshot reads / flush / compact_range / reopen, across option
 * sets (4 KiB and 64 KiB blocks, compression on and off, a 64 KiB write buffer forcing many
 * flushes and compactions, io_uring and sync backends, inline compaction).
 * Seeded: STRATA_SEED=<n> reproduces a run; the seed is printed on failure. */
#include <time.h>

#include "test.h"
#include "strata_kv.h"

#define NKEYS 1000
#define MAXV  3000

typedef struct model {
    int present[NKEYS];
    uint16_t vlen[NKEYS];
    uint32_t vseed[NKEYS];
} model;

static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t seed;
static int failed_once;

static void keyname(int id, char *out, size_t *len)
{
    /* varying lengths, same order as id: the id zero-padded, then a suffix of id % 7 chars */
    int n = snprintf(out, 32, "key%05d", id);
    for (int i = 0; i < id % 7; i++) out[n++] = (char)('a' + i);
    out[n] = 0;
    *len = (size_t)n;
}

static void makeval(uint32_t vs, uint16_t len, uint8_t *out)
{
    uint32_t x = vs | 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (uint8_t)x;
    }
}

#define MCHECK(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            if (!failed_once)                                                                      \
                fprintf(stderr, "model_test: seed %llu (STRATA_SEED=%llu), set %d, op %d: ",       \
                        (unsigned long long)seed, (unsigned long long)seed, set, op);              \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            failed_once = 1;                                                                       \
            test_failures++;                                                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

typedef struct snapinfo {
    const strata_kv_snapshot *s;
    model m;
} snapinfo;

static int set, op;

static void check_get(strata_kv *db, const strata_kv_read_options *ro, const model *m, int id)
{
    char k[32];
    size_t kl;
    keyname(id, k, &kl);
    void *v = NULL;
    size_t vl = 0;
    int rc = strata_kv_get(db, ro, k, kl, &v, &vl);
    if (m->present[id]) {
        MCHECK(rc == STRATA_OK, "get %s: rc %d (%s), want OK", k, rc, strata_kv_errmsg());
        static uint8_t want[MAXV];
        makeval(m->vseed[id], m->vlen[id], want);
        MCHECK(vl == m->vlen[id] && memcmp(v, want, vl) == 0,
               "get %s: wrong value (len %zu want %u)", k, vl, m->vlen[id]);
    } else {
        MCHECK(rc == STRATA_NOTFOUND, "get %s: rc %d, want NOTFOUND", k, rc);
    }
    strata_kv_free(v);
}

static void check_multi_get(strata_kv *db, const strata_kv_read_options *ro, const model *m)
{
    enum { N = 24 };
    char keys[N][32];
    const void *kp[N];
    size_t kl[N], vl[N];
    void *vals[N];
    int st[N], ids[N];
    for (int i = 0; i < N; i++) {
        ids[i] = (int)(rnd() % NKEYS);
        keyname(ids[i], keys[i], &kl[i]);
        kp[i] = keys[i];
    }
    int rc = strata_kv_multi_get(db, ro, N, kp, kl, vals, vl, st);
    MCHECK(rc == STRATA_OK, "multi_get: %d %s", rc, strata_kv_errmsg());
    for (int i = 0; i < N; i++) {
        int id = ids[i];
        if (m->present[id]) {
            static uint8_t want[MAXV];
            makeval(m->vseed[id], m->vlen[id], want);
            int ok =
                st[i] == STRATA_OK && vl[i] == m->vlen[id] && memcmp(vals[i], want, vl[i]) == 0;
            if (!ok) {
                for (int j = 0; j < N; j++) strata_kv_free(vals[j]);
                MCHECK(0, "multi_get %s: status %d, want a value", keys[i], st[i]);
            }
        } else if (st[i] != STRATA_NOTFOUND) {
            for (int j = 0; j < N; j++) strata_kv_free(vals[j]);
            MCHECK(0, "multi_get %s: status %d, want NOTFOUND", keys[i], st[i]);
        }
    }
    for (int i = 0; i < N; i++) strata_kv_free(vals[i]);
}

/* model index of the key at the iterator, or -1 */
static int iter_id(strata_kv_iter *it)
{
    size_t kl;
    const char *k = strata_kv_iter_key(it, &kl);
    if (kl < 8) return -2;
    int id = 0;
    for (int i = 3; i < 8; i++) id = id * 10 + (k[i] - '0');
    char want[32];
    size_t wl;
    keyname(id, want, &wl);
    if (wl != kl || memcmp(want, k, kl) != 0) return -2;
    return id;
}

/* strata_kv_iter_scan's callback: checks each entry against the model, in order. */
typedef struct bulk_check {
    const model *m;
    int pos, hi; /* the next id expected; ids allowed < hi */
    int stop_at; /* return non-zero on this entry (-1: never) */
    int seen, bad;
} bulk_check;

static int bulk_entry(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    bulk_check *b = ctx;
    char k[32];
    size_t kl;
    static uint8_t want[MAXV];
    if (b->pos < 0 || b->pos >= b->hi) {
        b->bad = 1;
        return 1;
    }
    keyname(b->pos, k, &kl);
    const model *m = b->m;
    if (vlen) makeval(m->vseed[b->pos], m->vlen[b->pos], want);
    if (klen != kl || memcmp(key, k, kl) != 0 || vlen != m->vlen[b->pos] ||
        (vlen && memcmp(val, want, vlen) != 0)) {
        b->bad = 1;
        return 1;
    }
    int stop = b->seen == b->stop_at;
    b->seen++;
    b->pos++;
    while (b->pos < b->hi && !m->present[b->pos]) b->pos++;
    if (b->pos >= b->hi) b->pos = -1;
    return stop ? 7 : 0;
}

static void check_scan(strata_kv *db, const strata_kv_snapshot *snap, const model *m)
{
    strata_kv_read_options ro = {0};
    ro.snapshot = snap;
    char lk[32], uk[32];
    size_t ll = 0, ul = 0;
    int lo = 0, hi = NKEYS; /* ids allowed: [lo, hi) */
    if (rnd() % 3 == 0) {
        lo = (int)(rnd() % NKEYS);
        keyname(lo, lk, &ll);
        ro.lower = lk;
        ro.lower_len = ll;
    }
    if (rnd() % 3 == 0) {
        hi = lo + (int)(rnd() % (NKEYS - lo + 1));
        if (hi < NKEYS) {
            keyname(hi, uk, &ul);
            ro.upper = uk;
            ro.upper_len = ul;
        } else {
            hi = NKEYS;
        }
    }
    strata_kv_iter *it = strata_kv_iter_new(db, &ro);
    MCHECK(it, "iter_new: %s", strata_kv_errmsg());
    int pos; /* expected id, -1 = invalid */
    int start = (int)(rnd() % 4);
    if (start == 0) {
        strata_kv_iter_seek_to_first(it);
        pos = lo;
        while (pos < hi && !m->present[pos]) pos++;
        if (pos >= hi) pos = -1;
    } else if (start == 1) {
        strata_kv_iter_seek_to_last(it);
        pos = hi - 1;
        while (pos >= lo && !m->present[pos]) pos--;
        if (pos < lo) pos = -1;
    } else {
        int t = (int)(rnd() % NKEYS);
        char tk[32];
        size_t tl;
        keyname(t, tk, &tl);
        if (start == 2) {
            strata_kv_iter_seek(it, tk, tl);
            pos = t < lo ? lo : t;
            while (pos < hi && !m->present[pos]) pos++;
            if (pos >= hi) pos = -1;
        } else {
            strata_kv_iter_seek_for_prev(it, tk, tl);
            pos = t >= hi ? hi - 1 : t;
            while (pos >= lo && !m->present[pos]) pos--;
            if (pos < lo) pos = -1;
        }
    }
    int steps = (int)(rnd() % 60);
    for (int s = 0;; s++) {
        if (pos < 0) {
            if (strata_kv_iter_valid(it)) {
                int got = iter_id(it);
                strata_kv_iter_free(it);
                MCHECK(0, "scan (start %d, step %d, bounds [%d,%d)): valid at %d, want end", start,
                       s, lo, hi, got);
            }
            break;
        }
        if (!strata_kv_iter_valid(it)) {
            int st = strata_kv_iter_status(it);
            strata_kv_iter_free(it);
            MCHECK(0, "scan (start %d, step %d, bounds [%d,%d)): ended (status %d), want key %d",
                   start, s, lo, hi, st, pos);
        }
        int got = iter_id(it);
        size_t vl;
        const void *v = strata_kv_iter_value(it, &vl);
        static uint8_t want[MAXV];
        int vok =
            got == pos && vl == m->vlen[pos] &&
            (vl == 0 || (makeval(m->vseed[pos], m->vlen[pos], want), memcmp(v, want, vl) == 0));
        if (!vok) {
            strata_kv_iter_free(it);
            MCHECK(0, "scan (start %d, step %d, bounds [%d,%d)): at %d, want %d (value ok %d)",
                   start, s, lo, hi, got, pos, got == pos);
        }
        if (s >= steps) break;
        if (rnd() % 4 == 1) {
            /* bulk forward read: the same entries as a loop of next calls */
            bulk_check b = {m, pos, hi, rnd() % 3 ? -1 : (int)(rnd() % 8), 0, 0};
            size_t max = 1 + rnd() % 40, count = 0;
            int rc = strata_kv_iter_scan(it, max, bulk_entry, &b, &count);
            if (b.bad || count != (size_t)b.seen ||
                rc != (b.stop_at >= 0 && b.seen > b.stop_at ? 7 : 0)) {
                strata_kv_iter_free(it);
                MCHECK(0,
                       "bulk scan (start %d, step %d, bounds [%d,%d), from %d, max %zu): bad %d, "
                       "count %zu, seen %d, rc %d",
                       start, s, lo, hi, pos, max, b.bad, count, b.seen, rc);
            }
            pos = b.pos;
        } else if (rnd() % 4 == 0) {
            strata_kv_iter_prev(it);
            pos--;
            while (pos >= lo && !m->present[pos]) pos--;
            if (pos < lo) pos = -1;
        } else {
            strata_kv_iter_next(it);
            pos++;
            while (pos < hi && !m->present[pos]) pos++;
            if (pos >= hi) pos = -1;
        }
    }
    MCHECK(strata_kv_iter_status(it) == STRATA_OK, "scan status %d", strata_kv_iter_status(it));
    strata_kv_iter_free(it);
}

static void run_set(const char *name, strata_kv_options *o, int nops)
{
    char *dir = test_tmpdir(name);
    strata_kv *db = NULL;
    REQUIRE(strata_kv_open(dir, o, &db) == STRATA_OK);
    static model m;
    memset(&m, 0, sizeof m);
    static snapinfo snaps[4];
    int nsnaps = 0;
    static uint8_t vbuf[MAXV];
    strata_kv_batch *b = strata_kv_batch_new();
    for (op = 0; op < nops && !failed_once; op++) {
        int r = (int)(rnd() % 100);
        char k[32], k2[32];
        size_t kl, kl2;
        if (r < 35) { /* put */
            int id = (int)(rnd() % NKEYS);
            uint16_t len = (uint16_t)(rnd() % 10 < 3 ? rnd() % MAXV : rnd() % 64);
            uint32_t vs = (uint32_t)rnd();
            makeval(vs, len, vbuf);
            keyname(id, k, &kl);
            int rc = strata_kv_put(db, k, kl, vbuf, len);
            MCHECK(rc == STRATA_OK, "put: %s", strata_kv_errmsg());
            m.present[id] = 1;
            m.vlen[id] = len;
            m.vseed[id] = vs;
        } else if (r < 43) { /* delete */
            int id = (int)(rnd() % NKEYS);
            keyname(id, k, &kl);
            MCHECK(strata_kv_delete(db, k, kl) == STRATA_OK, "delete: %s", strata_kv_errmsg());
            m.present[id] = 0;
        } else if (r < 47) { /* delete_range */
            int a = (int)(rnd() % NKEYS), n = (int)(rnd() % 40);
            int e = a + n > NKEYS ? NKEYS : a + n;
            keyname(a, k, &kl);
            if (e < NKEYS)
                keyname(e, k2, &kl2);
            else {
                strcpy(k2, "kez");
                kl2 = 3;
            }
            MCHECK(strata_kv_delete_range(db, k, kl, k2, kl2) == STRATA_OK, "delete_range: %s",
                   strata_kv_errmsg());
            for (int i = a; i < e; i++) m.present[i] = 0;
        } else if (r < 52) { /* batch */
            strata_kv_batch_clear(b);
            int n = 1 + (int)(rnd() % 8);
            model m2 = m;
            for (int i = 0; i < n; i++) {
                int id = (int)(rnd() % NKEYS);
                keyname(id, k, &kl);
                int w = (int)(rnd() % 5);
                if (w < 3) {
                    uint16_t len = (uint16_t)(rnd() % 100);
                    uint32_t vs = (uint32_t)rnd();
                    makeval(vs, len, vbuf);
                    strata_kv_batch_put(b, k, kl, vbuf, len);
                    m2.present[id] = 1;
                    m2.vlen[id] = len;
                    m2.vseed[id] = vs;
                } else if (w == 3) {
                    strata_kv_batch_delete(b, k, kl);
                    m2.present[id] = 0;
                } else {
                    int e = id + (int)(rnd() % 10) + 1;
                    if (e > NKEYS) e = NKEYS;
                    if (e < NKEYS) {
                        keyname(e, k2, &kl2);
                    } else {
                        strcpy(k2, "kez");
                        kl2 = 3;
                    }
                    strata_kv_batch_delete_range(b, k, kl, k2, kl2);
                    for (int j = id; j < e; j++) m2.present[j] = 0;
                }
            }
            strata_kv_write_options wo = {(int)(rnd() % 10 == 0)};
            MCHECK(strata_kv_write(db, &wo, b) == STRATA_OK, "write: %s", strata_kv_errmsg());
            m = m2;
        } else if (r < 70) {
            check_get(db, NULL, &m, (int)(rnd() % NKEYS));
        } else if (r < 74) {
            check_multi_get(db, NULL, &m);
        } else if (r < 84) {
            check_scan(db, NULL, &m);
        } else if (r < 88) { /* snapshots */
            if (nsnaps < 4 && rnd() % 2) {
                snaps[nsnaps].s = strata_kv_snapshot_new(db);
                snaps[nsnaps].m = m;
                nsnaps++;
            } else if (nsnaps) {
                int i = (int)(rnd() % nsnaps);
                strata_kv_read_options ro = {0};
                ro.snapshot = snaps[i].s;
                for (int q = 0; q < 5; q++) check_get(db, &ro, &snaps[i].m, (int)(rnd() % NKEYS));
                check_multi_get(db, &ro, &snaps[i].m);
                check_scan(db, snaps[i].s, &snaps[i].m);
                if (rnd() % 3 == 0) {
                    strata_kv_snapshot_release(db, snaps[i].s);
                    snaps[i] = snaps[--nsnaps];
                }
            }
        } else if (r < 91) {
            MCHECK(strata_kv_flush(db) == STRATA_OK, "flush: %s", strata_kv_errmsg());
        } else if (r < 93) {
            int a = (int)(rnd() % NKEYS), e = a + (int)(rnd() % 100);
            keyname(a, k, &kl);
            keyname(e < NKEYS ? e : NKEYS - 1, k2, &kl2);
            int whole = rnd() % 2;
            MCHECK(strata_kv_compact_range(db, whole ? NULL : k, kl, whole ? NULL : k2, kl2) ==
                       STRATA_OK,
                   "compact_range: %s", strata_kv_errmsg());
        } else if (r < 95) { /* reopen */
            while (nsnaps) strata_kv_snapshot_release(db, snaps[--nsnaps].s);
            MCHECK(strata_kv_close(db) == STRATA_OK, "close: %s", strata_kv_errmsg());
            db = NULL;
            MCHECK(strata_kv_open(dir, o, &db) == STRATA_OK, "reopen: %s", strata_kv_errmsg());
        } else if (r < 97) { /* ingest: 1-2 sorted files + maybe a batch */
            int nf = 1 + (int)(rnd() % 2);
            strata_kv_sst_writer *ws[2];
            model m2 = m;
            for (int f = 0; f < nf; f++) {
                MCHECK(strata_kv_sst_writer_new(db, &ws[f]) == STRATA_OK, "sst_writer_new: %s",
                       strata_kv_errmsg());
                int id = (int)(rnd() % NKEYS);
                int cnt = (int)(rnd() % 30);
                for (int i = 0; i < cnt && id < NKEYS; i++, id += 1 + (int)(rnd() % 5)) {
                    keyname(id, k, &kl);
                    uint16_t len = (uint16_t)(rnd() % 80);
                    uint32_t vs = (uint32_t)rnd();
                    makeval(vs, len, vbuf);
                    MCHECK(strata_kv_sst_writer_put(ws[f], k, kl, vbuf, len) == STRATA_OK,
                           "sst_writer_put: %s", strata_kv_errmsg());
                    m2.present[id] = 1;
                    m2.vlen[id] = len;
                    m2.vseed[id] = vs;
                }
            }
            strata_kv_batch_clear(b);
            if (rnd() % 2) {
                int id = (int)(rnd() % NKEYS);
                keyname(id, k, &kl);
                strata_kv_batch_delete(b, k, kl);
                m2.present[id] = 0;
                id = (int)(rnd() % NKEYS);
                keyname(id, k, &kl);
                uint32_t vs = (uint32_t)rnd();
                makeval(vs, 7, vbuf);
                strata_kv_batch_put(b, k, kl, vbuf, 7);
                m2.present[id] = 1;
                m2.vlen[id] = 7;
                m2.vseed[id] = vs;
            }
            MCHECK(strata_kv_ingest(db, ws, (size_t)nf, b) == STRATA_OK, "ingest: %s",
                   strata_kv_errmsg());
            m = m2;
        } else {
            check_get(db, NULL, &m, (int)(rnd() % NKEYS));
        }
    }
    /* final full comparison */
    if (!failed_once)
        for (int id = 0; id < NKEYS; id++) check_get(db, NULL, &m, id);
    while (nsnaps) strata_kv_snapshot_release(db, snaps[--nsnaps].s);
    strata_kv_batch_free(b);
    if (db && getenv("STRATA_MODEL_STATS")) {
        char *ss = strata_kv_stats_string(db);
        fprintf(stderr, "%s:\n%s", name, ss);
        strata_kv_free(ss);
    }
    if (db) CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

static void test_model(void)
{
    const char *env = getenv("STRATA_SEED");
    seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
    const char *nenv = getenv("STRATA_MODEL_OPS");
    int nops = nenv ? atoi(nenv) : 2500;
    struct {
        const char *name;
        size_t block, wbuf;
        int zstd, backend, bg;
    } sets[] = {
        {"model_4k_plain_tiny_sync", 4096, 64 << 10, 0, STRATA_KV_IO_SYNC, 1},
        {"model_64k_zstd_tiny_uring", 65536, 64 << 10, 1, STRATA_KV_IO_URING, 1},
        {"model_4k_zstd_big_uring", 4096, 4 << 20, 1, STRATA_KV_IO_URING, 1},
        {"model_4k_plain_tiny_inline", 4096, 64 << 10, 0, STRATA_KV_IO_SYNC, 0},
    };
    for (set = 0; set < (int)(sizeof sets / sizeof sets[0]) && !failed_once; set++) {
        rng = seed * 2654435761u + (uint64_t)set + 1;
        for (int i = 0; i < 10; i++) rnd();
        strata_kv_options o;
        strata_kv_options_init(&o);
        o.block_size = sets[set].block;
        o.write_buffer_size = sets[set].wbuf;
        o.target_file_size = 64 << 10;
        o.max_bytes_for_level_base = 64 << 10;
        for (int l = 0; l < STRATA_KV_LEVELS; l++)
            o.compression[l] = sets[set].zstd ? STRATA_KV_COMPRESS_ZSTD : STRATA_KV_COMPRESS_NONE;
        o.io_backend = sets[set].backend;
        o.background_compaction = sets[set].bg;
        o.block_cache_size = set == 3 ? 0 : (1 << 20);
        run_set(sets[set].name, &o, nops);
    }
}

TEST_MAIN(test_model)
