/*
 * tests/lsm/tombstone_skip_test.c — reads past a range tombstone that lives in the memtable with
 * the keys it covers. A "clean" tombstone (no newer entry inside its range in the same memtable)
 * lets a get answer without searching the skiplist and an iterator jump over the memtable's
 * covered keys; these tests check that nothing newer than the tombstone, and nothing a snapshot
 * older than it should see, is skipped: forward and backward scans, seeks and gets, also after
 * the memtable's cached fragments were built before a newer put, and with more tombstones than
 * the memtable tracks. A randomized run compares every read with a simple model.
 */
#include "lsm/memtable.h"
#include "lsm/range_del.h"
#include "strata_kv.h"
#include "test.h"

static void put(strata_kv *db, const char *k)
{
    CHECK_EQ_INT(strata_kv_put(db, k, strlen(k), k, strlen(k)), STRATA_OK);
}

static void del_range(strata_kv *db, const char *a, const char *b)
{
    CHECK_EQ_INT(strata_kv_delete_range(db, a, strlen(a), b, strlen(b)), STRATA_OK);
}

/* The keys the iterator yields (from seek when given), joined by ',' into out. */
static void scan_from(strata_kv *db, const strata_kv_snapshot *snap, const char *seek, int backward,
                      char *out, size_t cap)
{
    strata_kv_read_options ro = {0};
    ro.snapshot = snap;
    strata_kv_iter *it = strata_kv_iter_new(db, &ro);
    REQUIRE(it);
    size_t n = 0;
    out[0] = 0;
    if (seek && backward)
        strata_kv_iter_seek_for_prev(it, seek, strlen(seek));
    else if (seek)
        strata_kv_iter_seek(it, seek, strlen(seek));
    else if (backward)
        strata_kv_iter_seek_to_last(it);
    else
        strata_kv_iter_seek_to_first(it);
    while (strata_kv_iter_valid(it)) {
        size_t kl, vl;
        const char *k = strata_kv_iter_key(it, &kl);
        const char *v = strata_kv_iter_value(it, &vl);
        CHECK_MEM(k, kl, v, vl);
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s", n ? "," : "", (int)kl, k);
        if (backward)
            strata_kv_iter_prev(it);
        else
            strata_kv_iter_next(it);
    }
    CHECK_EQ_INT(strata_kv_iter_status(it), STRATA_OK);
    strata_kv_iter_free(it);
}

static void scan(strata_kv *db, const strata_kv_snapshot *snap, int backward, char *out, size_t cap)
{
    scan_from(db, snap, NULL, backward, out, cap);
}

static int get(strata_kv *db, const strata_kv_snapshot *snap, const char *k)
{
    strata_kv_read_options ro = {0};
    ro.snapshot = snap;
    void *v = NULL;
    size_t vl = 0;
    int rc = strata_kv_get(db, &ro, k, strlen(k), &v, &vl);
    if (rc == STRATA_OK) CHECK_MEM(v, vl, k, strlen(k));
    strata_kv_free(v);
    return rc;
}

static strata_kv *open_db(const char *name, char **dir)
{
    *dir = test_tmpdir(name);
    strata_kv *db;
    REQUIRE(strata_kv_open(*dir, NULL, &db) == STRATA_OK);
    return db;
}

static void close_db(strata_kv *db, char *dir)
{
    CHECK_EQ_INT(strata_kv_close(db), STRATA_OK);
    strata_kv_destroy(dir);
    free(dir);
}

/* fragments carry the flags of their tombstones, per sequence */
static void test_fragment_flags(void)
{
    range_tombstone ts[3] = {
        {st_slice_make("a", 1), st_slice_make("c", 1), 5},
        {st_slice_make("b", 1), st_slice_make("d", 1), 7},
        {st_slice_make("d", 1), st_slice_make("f", 1), 9},
    };
    uint8_t clean[3] = {1, 0, 1};
    range_del_list *l = rd_build_flagged(ts, clean, 3);
    REQUIRE(l);
    const rd_frag *f;
    CHECK_EQ_INT(rd_max_covering(l, st_slice_make("a", 1), 100, &f), 5);
    CHECK(rd_frag_clean(f, 5));
    CHECK_EQ_INT(rd_max_covering(l, st_slice_make("b", 1), 100, &f), 7);
    CHECK(!rd_frag_clean(f, 7));
    CHECK_EQ_INT(rd_max_covering(l, st_slice_make("b", 1), 6, &f), 5);
    CHECK(rd_frag_clean(f, 5)); /* an older snapshot sees the clean one */
    CHECK_EQ_INT(rd_max_covering(l, st_slice_make("c", 1), 100, &f), 7);
    CHECK(!rd_frag_clean(f, 7));
    CHECK_EQ_INT(rd_max_covering(l, st_slice_make("e", 1), 100, &f), 9);
    CHECK(rd_frag_clean(f, 9));
    rd_unref(l);
    /* without flags nothing is clean */
    l = rd_build(ts, 3);
    REQUIRE(l);
    CHECK_EQ_INT(rd_max_covering(l, st_slice_make("a", 1), 100, &f), 5);
    CHECK(!rd_frag_clean(f, 5));
    rd_unref(l);
}

/* the memtable: a clean tombstone answers a get; a newer put inside makes it dirty */
static void test_memtable_flags(void)
{
    memtable *m = mem_new();
    REQUIRE(m);
    mem_add(m, 1, KIND_PUT, st_slice_make("b", 1), st_slice_make("1", 1));
    mem_add(m, 2, KIND_RANGE_DEL, st_slice_make("a", 1), st_slice_make("m", 1));
    int kind;
    uint64_t fseq, t;
    st_slice v;
    CHECK_EQ_INT(mem_get(m, st_slice_make("b", 1), 10, &kind, &fseq, &v, &t), MEM_NONE);
    CHECK_EQ_INT(t, 2);
    /* an older read sees the put under the tombstone */
    CHECK_EQ_INT(mem_get(m, st_slice_make("b", 1), 1, &kind, &fseq, &v, &t), MEM_FOUND);
    CHECK_EQ_INT(t, 0);
    CHECK_EQ_INT(fseq, 1);
    mem_add(m, 3, KIND_PUT, st_slice_make("z", 1), st_slice_make("3", 1)); /* outside */
    range_del_list *l = mem_range_dels(m);
    REQUIRE(l);
    const rd_frag *f;
    CHECK_EQ_INT(rd_max_covering(l, st_slice_make("c", 1), 10, &f), 2);
    CHECK(rd_frag_clean(f, 2));
    rd_unref(l);
    mem_add(m, 4, KIND_PUT, st_slice_make("c", 1), st_slice_make("4", 1)); /* inside: dirty */
    l = mem_range_dels(m);
    REQUIRE(l);
    CHECK_EQ_INT(rd_max_covering(l, st_slice_make("c", 1), 10, &f), 2);
    CHECK(!rd_frag_clean(f, 2));
    rd_unref(l);
    CHECK_EQ_INT(mem_get(m, st_slice_make("c", 1), 10, &kind, &fseq, &v, &t), MEM_FOUND);
    CHECK_EQ_INT(fseq, 4);
    CHECK_EQ_INT(t, 2);
    mem_unref(m);
}

static void test_newer_puts_visible(void)
{
    char *dir;
    strata_kv *db = open_db("tomb_skip_newer", &dir);
    const char *keys[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    for (int i = 0; i < 8; i++) put(db, keys[i]);
    const strata_kv_snapshot *before = strata_kv_snapshot_new(db);
    REQUIRE(before);
    del_range(db, "b", "g");
    char out[256];
    /* read first: the memtable's fragments are built and cached while the tombstone is clean */
    scan(db, NULL, 0, out, sizeof out);
    CHECK_EQ_STR(out, "a,g,h");
    scan(db, NULL, 1, out, sizeof out);
    CHECK_EQ_STR(out, "h,g,a");
    CHECK_EQ_INT(get(db, NULL, "c"), STRATA_NOTFOUND);
    const strata_kv_snapshot *mid = strata_kv_snapshot_new(db);
    REQUIRE(mid);
    put(db, "c");
    put(db, "e");
    put(db, "ee");
    scan(db, NULL, 0, out, sizeof out);
    CHECK_EQ_STR(out, "a,c,e,ee,g,h");
    scan(db, NULL, 1, out, sizeof out);
    CHECK_EQ_STR(out, "h,g,ee,e,c,a");
    scan_from(db, NULL, "b", 0, out, sizeof out);
    CHECK_EQ_STR(out, "c,e,ee,g,h");
    scan_from(db, NULL, "f", 1, out, sizeof out);
    CHECK_EQ_STR(out, "ee,e,c,a");
    CHECK_EQ_INT(get(db, NULL, "c"), STRATA_OK);
    CHECK_EQ_INT(get(db, NULL, "e"), STRATA_OK);
    CHECK_EQ_INT(get(db, NULL, "b"), STRATA_NOTFOUND);
    CHECK_EQ_INT(get(db, NULL, "d"), STRATA_NOTFOUND);
    CHECK_EQ_INT(get(db, NULL, "f"), STRATA_NOTFOUND);
    CHECK_EQ_INT(get(db, NULL, "g"), STRATA_OK);
    /* the snapshot taken before the tombstone still sees every key */
    scan(db, before, 0, out, sizeof out);
    CHECK_EQ_STR(out, "a,b,c,d,e,f,g,h");
    scan(db, before, 1, out, sizeof out);
    CHECK_EQ_STR(out, "h,g,f,e,d,c,b,a");
    for (int i = 0; i < 8; i++) CHECK_EQ_INT(get(db, before, keys[i]), STRATA_OK);
    /* the one between the tombstone and the puts sees neither */
    scan(db, mid, 0, out, sizeof out);
    CHECK_EQ_STR(out, "a,g,h");
    scan(db, mid, 1, out, sizeof out);
    CHECK_EQ_STR(out, "h,g,a");
    CHECK_EQ_INT(get(db, mid, "c"), STRATA_NOTFOUND);
    strata_kv_snapshot_release(db, before);
    strata_kv_snapshot_release(db, mid);
    close_db(db, dir);
}

/* a put and a tombstone in one batch: the order inside the batch decides */
static void test_batch_order(void)
{
    char *dir;
    strata_kv *db = open_db("tomb_skip_batch", &dir);
    put(db, "k1");
    put(db, "k5");
    strata_kv_batch *b = strata_kv_batch_new();
    REQUIRE(b);
    CHECK_EQ_INT(strata_kv_batch_put(b, "k2", 2, "k2", 2), STRATA_OK); /* older: deleted */
    CHECK_EQ_INT(strata_kv_batch_delete_range(b, "k", 1, "l", 1), STRATA_OK);
    CHECK_EQ_INT(strata_kv_batch_put(b, "k3", 2, "k3", 2), STRATA_OK); /* newer: visible */
    CHECK_EQ_INT(strata_kv_write(db, NULL, b), STRATA_OK);
    strata_kv_batch_free(b);
    char out[256];
    scan(db, NULL, 0, out, sizeof out);
    CHECK_EQ_STR(out, "k3");
    scan(db, NULL, 1, out, sizeof out);
    CHECK_EQ_STR(out, "k3");
    CHECK_EQ_INT(get(db, NULL, "k2"), STRATA_NOTFOUND);
    CHECK_EQ_INT(get(db, NULL, "k3"), STRATA_OK);
    CHECK_EQ_INT(get(db, NULL, "k5"), STRATA_NOTFOUND);
    close_db(db, dir);
}

/* older data in a file, tombstone and newer data in the memtable; then both flushed */
static void test_with_files(void)
{
    char *dir;
    strata_kv *db = open_db("tomb_skip_files", &dir);
    put(db, "a");
    put(db, "c");
    put(db, "e");
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    put(db, "b");
    put(db, "d");
    del_range(db, "a", "z");
    char out[256];
    scan(db, NULL, 0, out, sizeof out);
    CHECK_EQ_STR(out, "");
    put(db, "cc");
    scan(db, NULL, 0, out, sizeof out);
    CHECK_EQ_STR(out, "cc");
    scan(db, NULL, 1, out, sizeof out);
    CHECK_EQ_STR(out, "cc");
    CHECK_EQ_INT(get(db, NULL, "c"), STRATA_NOTFOUND);
    CHECK_EQ_INT(get(db, NULL, "d"), STRATA_NOTFOUND);
    CHECK_EQ_INT(get(db, NULL, "cc"), STRATA_OK);
    CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
    scan(db, NULL, 0, out, sizeof out);
    CHECK_EQ_STR(out, "cc");
    CHECK_EQ_INT(get(db, NULL, "cc"), STRATA_OK);
    close_db(db, dir);
}

/* overlapping tombstones: a dirty older one and a clean newer one over part of it */
static void test_overlapping(void)
{
    char *dir;
    strata_kv *db = open_db("tomb_skip_overlap", &dir);
    const char *keys[] = {"a", "d", "k", "m", "n", "p", "t"};
    for (int i = 0; i < 7; i++) put(db, keys[i]);
    del_range(db, "a", "z");
    put(db, "m2"); /* dirties [a, z) */
    put(db, "n");
    del_range(db, "k", "p"); /* clean; deletes m2 and n again */
    put(db, "o");            /* dirties [k, p) */
    put(db, "r");            /* in [a, z) only */
    char out[256];
    scan(db, NULL, 0, out, sizeof out);
    CHECK_EQ_STR(out, "o,r");
    scan(db, NULL, 1, out, sizeof out);
    CHECK_EQ_STR(out, "r,o");
    CHECK_EQ_INT(get(db, NULL, "m2"), STRATA_NOTFOUND);
    CHECK_EQ_INT(get(db, NULL, "n"), STRATA_NOTFOUND);
    CHECK_EQ_INT(get(db, NULL, "o"), STRATA_OK);
    CHECK_EQ_INT(get(db, NULL, "r"), STRATA_OK);
    CHECK_EQ_INT(get(db, NULL, "t"), STRATA_NOTFOUND);
    close_db(db, dir);
}

/* more tombstones than the memtable tracks: the evicted ones are treated as dirty */
static void test_many_tombstones(void)
{
    char *dir;
    strata_kv *db = open_db("tomb_skip_many", &dir);
    char k[32], e[32];
    int n = MEM_RD_TRACK + 20;
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof k, "r%03d/a", i);
        put(db, k);
        snprintf(k, sizeof k, "r%03d/m", i);
        put(db, k);
    }
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof k, "r%03d/", i);
        snprintf(e, sizeof e, "r%03d0", i);
        del_range(db, k, e);
    }
    char out[256];
    scan(db, NULL, 0, out, sizeof out);
    CHECK_EQ_STR(out, "");
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof k, "r%03d/b", i);
        put(db, k);
    }
    static char big[32 * 1024];
    scan(db, NULL, 0, big, sizeof big);
    size_t pos = 0;
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof k, "%sr%03d/b", i ? "," : "", i);
        CHECK(strncmp(big + pos, k, strlen(k)) == 0);
        pos += strlen(k);
    }
    CHECK_EQ_INT(big[pos], 0);
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof k, "r%03d/b", i);
        CHECK_EQ_INT(get(db, NULL, k), STRATA_OK);
        snprintf(k, sizeof k, "r%03d/m", i);
        CHECK_EQ_INT(get(db, NULL, k), STRATA_NOTFOUND);
    }
    close_db(db, dir);
}

/* ---- randomized: every read checked against a model ---- */

enum { NKEYS = 40, NSNAP = 4, NOPS = 1500 };

typedef struct model {
    uint8_t live[NKEYS];
} model;

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void key_of(int i, char *k)
{
    snprintf(k, 8, "k%02d", i);
}

static void check_model(strata_kv *db, const strata_kv_snapshot *snap, const model *m, uint64_t *rs)
{
    char want[NKEYS * 4 + 1], out[NKEYS * 4 + 1], k[8];
    size_t n = 0;
    want[0] = 0;
    for (int i = 0; i < NKEYS; i++)
        if (m->live[i]) {
            key_of(i, k);
            n += (size_t)snprintf(want + n, sizeof want - n, "%s%s", n ? "," : "", k);
        }
    scan(db, snap, 0, out, sizeof out);
    CHECK_EQ_STR(out, want);
    /* backward: the same keys reversed */
    char rev[NKEYS * 4 + 1];
    n = 0;
    rev[0] = 0;
    for (int i = NKEYS; i-- > 0;)
        if (m->live[i]) {
            key_of(i, k);
            n += (size_t)snprintf(rev + n, sizeof rev - n, "%s%s", n ? "," : "", k);
        }
    scan(db, snap, 1, out, sizeof out);
    CHECK_EQ_STR(out, rev);
    for (int j = 0; j < 8; j++) {
        int i = (int)(rng_next(rs) % NKEYS);
        key_of(i, k);
        CHECK_EQ_INT(get(db, snap, k), m->live[i] ? STRATA_OK : STRATA_NOTFOUND);
    }
}

static void test_random_model(void)
{
    char *dir;
    strata_kv *db = open_db("tomb_skip_model", &dir);
    uint64_t rs = 0x9e3779b97f4a7c15ULL;
    model cur = {{0}};
    model snapm[NSNAP];
    const strata_kv_snapshot *snaps[NSNAP] = {0};
    char k[8], e[8];
    int failed_before = test_failures;
    for (int op = 0; op < NOPS && test_failures == failed_before; op++) {
        int r = (int)(rng_next(&rs) % 100);
        int i = (int)(rng_next(&rs) % NKEYS);
        key_of(i, k);
        if (r < 55) {
            put(db, k);
            cur.live[i] = 1;
        } else if (r < 65) {
            CHECK_EQ_INT(strata_kv_delete(db, k, strlen(k)), STRATA_OK);
            cur.live[i] = 0;
        } else if (r < 75) {
            int j = i + 1 + (int)(rng_next(&rs) % 15);
            if (j > NKEYS) j = NKEYS;
            key_of(j, e); /* "k40" past the last key */
            del_range(db, k, e);
            for (int x = i; x < j; x++) cur.live[x] = 0;
        } else if (r < 78) {
            int s = (int)(rng_next(&rs) % NSNAP);
            if (snaps[s]) strata_kv_snapshot_release(db, snaps[s]);
            snaps[s] = strata_kv_snapshot_new(db);
            REQUIRE(snaps[s]);
            snapm[s] = cur;
        } else if (r < 79) {
            CHECK_EQ_INT(strata_kv_flush(db), STRATA_OK);
        } else {
            check_model(db, NULL, &cur, &rs);
            int s = (int)(rng_next(&rs) % NSNAP);
            if (snaps[s]) check_model(db, snaps[s], &snapm[s], &rs);
        }
    }
    for (int s = 0; s < NSNAP; s++)
        if (snaps[s]) strata_kv_snapshot_release(db, snaps[s]);
    close_db(db, dir);
}

TEST_MAIN(test_fragment_flags, test_memtable_flags, test_newer_puts_visible, test_batch_order,
          test_with_files, test_overlapping, test_many_tombstones, test_random_model)
