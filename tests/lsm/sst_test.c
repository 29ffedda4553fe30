/* tests/lsm/sst_test.c — SST round trips (raw/zstd, 4 KiB/64 KiB blocks, cache or not), seq
 * visibility, iterators, multi-get, range tombstones, properties, corruption and truncation. */
#include "test.h"

#include <pthread.h>

#include "lsm/env.h"
#include "lsm/sst.h"
#include "util/status.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* One entry of the model: entries sorted in internal key order. */
typedef struct ent {
    char ukey[24];
    size_t ulen;
    uint64_t seq;
    int kind;
    uint8_t *val;
    size_t vlen;
} ent;

typedef struct model {
    ent *e;
    size_t n;
} model;

/* nkeys user keys "k%08u" (even numbers only, so odd ones are absent), 1-3 versions each with
 * descending seqs, some deletes; compressible values. */
static model make_model(size_t nkeys)
{
    model m = {calloc(nkeys * 3, sizeof(ent)), 0};
    uint64_t seq = 1000000;
    for (size_t i = 0; i < nkeys; i++) {
        int versions = 1 + (int)(rnd() % 3);
        uint64_t s = seq + rnd() % 100;
        for (int v = 0; v < versions; v++) {
            ent *e = &m.e[m.n++];
            e->ulen = (size_t)snprintf(e->ukey, sizeof e->ukey, "k%08zu", i * 2);
            e->seq = s;
            s -= 1 + rnd() % 50;
            e->kind = rnd() % 8 == 0 ? KIND_DELETE : KIND_PUT;
            e->val = malloc(201); /* never NULL: compared with memcmp */
            if (e->kind == KIND_PUT) {
                e->vlen = rnd() % 200;
                for (size_t j = 0; j < e->vlen; j++) e->val[j] = (uint8_t)("abcdefgh"[rnd() % 8]);
            }
        }
    }
    return m;
}

static void free_model(model *m)
{
    for (size_t i = 0; i < m->n; i++) free(m->e[i].val);
    free(m->e);
}

static st_slice ekey(const ent *e, uint8_t *buf)
{
    return ikey_build(buf, st_slice_make(e->ukey, e->ulen), e->seq, e->kind);
}

static int build(strata_env *env, const char *path, const model *m, const sst_build_options *o,
                 sst_properties *props)
{
    sst_builder *b;
    int rc = sst_builder_new(env, path, o, &b);
    if (rc) return rc;
    for (size_t i = 0; i < m->n; i++) {
        uint8_t k[64];
        rc = sst_builder_add(b, ekey(&m->e[i], k), st_slice_make(m->e[i].val, m->e[i].vlen));
        if (rc) {
            sst_builder_abandon(b);
            return rc;
        }
    }
    return sst_builder_finish(b, props);
}

static int read_all(strata_env *env, const char *path, const model *m, block_cache *cache);

static void check_entry(lsm_iter *it, const ent *e)
{
    uint8_t k[64];
    st_slice want = ekey(e, k);
    REQUIRE(lsm_iter_valid(it));
    st_slice key = lsm_iter_key(it), val = lsm_iter_value(it);
    CHECK_MEM(key.p, key.n, want.p, want.n);
    CHECK_MEM(val.p, val.n, e->val, e->vlen);
}

/* Newest entry of model index range for ukey visible at seq: index or -1. */
static long visible(const model *m, size_t first, uint64_t seq)
{
    for (size_t i = first; i < m->n && strcmp(m->e[i].ukey, m->e[first].ukey) == 0; i++)
        if (m->e[i].seq <= seq) return (long)i;
    return -1;
}

static void verify_gets(sst_reader *r, const model *m)
{
    for (size_t i = 0; i < m->n; i++) {
        if (i > 0 && strcmp(m->e[i].ukey, m->e[i - 1].ukey) == 0) continue;
        st_slice uk = st_slice_make(m->e[i].ukey, m->e[i].ulen);
        uint64_t seqs[4] = {SEQ_MAX, m->e[i].seq, m->e[i].seq - 1, 5};
        for (int s = 0; s < 4; s++) {
            long want = visible(m, i, seqs[s]);
            int kind = -1;
            uint64_t fseq = 0;
            uint8_t *val = NULL;
            size_t vlen = 0;
            int rc = sst_reader_get(r, uk, seqs[s], &kind, &fseq, &val, &vlen);
            if (want < 0) {
                CHECK_EQ_INT(rc, STRATA_NOTFOUND);
            } else {
                const ent *e = &m->e[want];
                CHECK_EQ_INT(rc, STRATA_OK);
                CHECK_EQ_INT(kind, e->kind);
                CHECK_EQ_INT(fseq, e->seq);
                if (e->kind == KIND_PUT) CHECK_MEM(val, vlen, e->val, e->vlen);
            }
            free(val);
        }
        /* the absent odd neighbour */
        char absent[24];
        int an = snprintf(absent, sizeof absent, "k%08zu", (size_t)atol(m->e[i].ukey + 1) + 1);
        int kind;
        uint64_t fseq;
        uint8_t *val = NULL;
        size_t vlen;
        CHECK_EQ_INT(sst_reader_get(r, st_slice_make(absent, (size_t)an), SEQ_MAX, &kind, &fseq,
                                    &val, &vlen),
                     STRATA_NOTFOUND);
    }
}

/* Multi-get through locate + one read + get_in_block. */
static void verify_multiget(sst_reader *r, strata_env *env, const model *m, block_cache *cache)
{
    for (size_t i = 0; i < m->n; i += 7) {
        if (i > 0 && strcmp(m->e[i].ukey, m->e[i - 1].ukey) == 0) continue;
        st_slice uk = st_slice_make(m->e[i].ukey, m->e[i].ulen);
        sst_block_ref ref;
        int rc = sst_reader_locate(r, uk, &ref);
        REQUIRE(rc == STRATA_OK);
        uint8_t *raw = NULL;
        size_t nread = 0;
        if (!ref.cached) {
            raw = malloc(ref.len);
            env_read_req req = {sst_reader_file(r), ref.offset, ref.len, raw, 0, 0};
            CHECK_EQ_INT(env->read_batch(env, &req, 1), STRATA_OK);
            CHECK_EQ_INT(req.status, STRATA_OK);
            nread = req.nread;
        }
        uint64_t seq = m->e[i].seq - 1; /* the older version, maybe in the next block */
        long want = visible(m, i, seq);
        int kind;
        uint64_t fseq;
        uint8_t *val = NULL;
        size_t vlen;
        rc = sst_reader_get_in_block(r, &ref, raw, nread, uk, seq, &kind, &fseq, &val, &vlen);
        if (want < 0) {
            CHECK_EQ_INT(rc, STRATA_NOTFOUND);
        } else {
            CHECK_EQ_INT(rc, STRATA_OK);
            CHECK_EQ_INT(fseq, m->e[want].seq);
            CHECK_EQ_INT(kind, m->e[want].kind);
            if (kind == KIND_PUT) CHECK_MEM(val, vlen, m->e[want].val, m->e[want].vlen);
        }
        free(val);
        free(raw);
        if (ref.cached) block_cache_release(cache, ref.cached);
    }
}

static void verify_iter(sst_reader *r, const model *m, int readahead)
{
    sst_iter_options io = {1, readahead};
    lsm_iter *it = sst_reader_iter(r, &io);
    REQUIRE(it);
    size_t i = 0;
    for (lsm_iter_seek_to_first(it); lsm_iter_valid(it); lsm_iter_next(it)) {
        REQUIRE(i < m->n);
        check_entry(it, &m->e[i++]);
    }
    CHECK_EQ_INT(i, m->n);
    CHECK_EQ_INT(lsm_iter_status(it), STRATA_OK);
    for (lsm_iter_seek_to_last(it); lsm_iter_valid(it); lsm_iter_prev(it)) {
        REQUIRE(i > 0);
        check_entry(it, &m->e[--i]);
    }
    CHECK_EQ_INT(i, 0);
    /* targets outside the keys, and ones sharing only part of the keys' common prefix */
    const char *outside[] = {"", "a", "k", "k0", "k00", "k1", "l", "zzz", "k00000000000"};
    for (size_t j = 0; j < sizeof outside / sizeof outside[0]; j++) {
        uint8_t k[64];
        st_slice uk = st_slice_make(outside[j], strlen(outside[j]));
        st_slice t = ikey_build(k, uk, SEQ_MAX, KIND_SEEK);
        size_t nx = 0;
        while (nx < m->n && st_slice_cmp(st_slice_make(m->e[nx].ukey, m->e[nx].ulen), uk) < 0) nx++;
        lsm_iter_seek(it, t);
        if (nx < m->n)
            check_entry(it, &m->e[nx]);
        else
            CHECK(!lsm_iter_valid(it));
        lsm_iter_seek_for_prev(it, t);
        if (nx > 0)
            check_entry(it, &m->e[nx - 1]);
        else
            CHECK(!lsm_iter_valid(it));
        int kind;
        uint64_t fseq;
        uint8_t *val = NULL;
        size_t vlen;
        CHECK_EQ_INT(sst_reader_get(r, uk, SEQ_MAX, &kind, &fseq, &val, &vlen), STRATA_NOTFOUND);
    }
    for (size_t j = 0; j < m->n; j += 1 + rnd() % 13) {
        uint8_t k[64];
        lsm_iter_seek(it, ekey(&m->e[j], k));
        check_entry(it, &m->e[j]);
        lsm_iter_prev(it);
        if (j > 0) check_entry(it, &m->e[j - 1]);
        lsm_iter_seek_for_prev(it, ekey(&m->e[j], k));
        check_entry(it, &m->e[j]);
        /* the absent odd key after j's user key: seek lands on the next user key, seek_for_prev
         * on the oldest version of j's user key */
        char absent[24];
        int an = snprintf(absent, sizeof absent, "k%08zu", (size_t)atol(m->e[j].ukey + 1) + 1);
        st_slice t = ikey_build(k, st_slice_make(absent, (size_t)an), SEQ_MAX, KIND_SEEK);
        size_t nx = j;
        while (nx < m->n && strcmp(m->e[nx].ukey, absent) < 0) nx++;
        lsm_iter_seek(it, t);
        if (nx < m->n)
            check_entry(it, &m->e[nx]);
        else
            CHECK(!lsm_iter_valid(it));
        lsm_iter_seek_for_prev(it, t);
        check_entry(it, &m->e[nx - 1]);
    }
    lsm_iter_destroy(it);
}

static void round_trip(size_t block_size, int compression, int with_cache)
{
    char *dir = test_tmpdir("sst_rt");
    char path[4096];
    snprintf(path, sizeof path, "%s/000001.sst", dir);
    strata_env *env = env_default();
    model m = make_model(6000);
    sst_build_options o = {block_size, compression, 3, 10, NULL, 0};
    sst_properties p;
    REQUIRE(build(env, path, &m, &o, &p) == STRATA_OK);
    block_cache *cache = with_cache ? block_cache_new(8 << 20) : NULL;
    sst_reader *r;
    REQUIRE(sst_reader_open(env, path, 1, cache, &r) == STRATA_OK);
    const sst_properties *rp = sst_reader_properties(r);
    uint64_t dels = 0, kb = 0, vb = 0, minseq = UINT64_MAX, maxseq = 0;
    for (size_t i = 0; i < m.n; i++) {
        dels += m.e[i].kind == KIND_DELETE;
        kb += m.e[i].ulen + 8;
        vb += m.e[i].vlen;
        if (m.e[i].seq < minseq) minseq = m.e[i].seq;
        if (m.e[i].seq > maxseq) maxseq = m.e[i].seq;
    }
    const sst_properties *ps[2] = {&p, rp};
    for (int k = 0; k < 2; k++) {
        CHECK_EQ_INT(ps[k]->num_entries, m.n);
        CHECK_EQ_INT(ps[k]->num_deletes, dels);
        CHECK_EQ_INT(ps[k]->num_range_dels, 0);
        CHECK_EQ_INT(ps[k]->raw_key_bytes, kb);
        CHECK_EQ_INT(ps[k]->raw_value_bytes, vb);
        CHECK_EQ_INT(ps[k]->min_seq, minseq);
        CHECK_EQ_INT(ps[k]->max_seq, maxseq);
        uint8_t lo[64], hi[64];
        st_slice slo = ekey(&m.e[0], lo), shi = ekey(&m.e[m.n - 1], hi);
        CHECK_MEM(ps[k]->smallest, ps[k]->smallest_len, slo.p, slo.n);
        CHECK_MEM(ps[k]->largest, ps[k]->largest_len, shi.p, shi.n);
        CHECK(ps[k]->data_bytes > 0 && ps[k]->data_bytes < ps[k]->file_size);
    }
    struct stat st;
    REQUIRE(stat(path, &st) == 0);
    CHECK_EQ_INT(p.file_size, st.st_size);
    CHECK_EQ_INT(rp->file_size, st.st_size);
    if (compression) CHECK(p.data_bytes < (kb + vb) / 2); /* 8-letter alphabet values shrink */

    verify_gets(r, &m);
    verify_multiget(r, env, &m, cache);
    verify_iter(r, &m, 0);
    verify_iter(r, &m, 4);
    if (cache) {
        uint64_t hits, misses;
        block_cache_stats(cache, &hits, &misses, NULL);
        CHECK(hits > 0);
        verify_gets(r, &m); /* served from the cache */
        uint64_t hits2, misses2;
        block_cache_stats(cache, &hits2, &misses2, NULL);
        CHECK(hits2 > hits);
    }
    sst_reader_close(r);
    block_cache_free(cache);
    sst_properties_clear(&p);
    free_model(&m);
    test_rmdir(dir);
    free(dir);
}

static void test_round_trip_raw_4k(void)
{
    round_trip(4096, STRATA_KV_COMPRESS_NONE, 1);
}
static void test_round_trip_zstd_4k(void)
{
    round_trip(4096, STRATA_KV_COMPRESS_ZSTD, 0);
}
static void test_round_trip_raw_64k(void)
{
    round_trip(65536, STRATA_KV_COMPRESS_NONE, 0);
}
static void test_round_trip_zstd_64k(void)
{
    round_trip(65536, STRATA_KV_COMPRESS_ZSTD, 1);
}

/* Incompressible values: zstd cannot save 12.5%, so every block stays raw and the zstd table is
 * byte-for-byte the size of the raw one (and reads back the same). */
static void test_incompressible_blocks_stay_raw(void)
{
    char *dir = test_tmpdir("sst_incomp");
    char p1[4096], p2[4096];
    snprintf(p1, sizeof p1, "%s/raw.sst", dir);
    snprintf(p2, sizeof p2, "%s/zstd.sst", dir);
    model m = make_model(2000);
    for (size_t i = 0; i < m.n; i++)
        for (size_t j = 0; j < m.e[i].vlen; j++) m.e[i].val[j] = (uint8_t)rnd();
    sst_build_options o = {4096, STRATA_KV_COMPRESS_NONE, 3, 10, NULL, 0};
    sst_properties a, b;
    REQUIRE(build(env_default(), p1, &m, &o, &a) == STRATA_OK);
    o.compression = STRATA_KV_COMPRESS_ZSTD;
    REQUIRE(build(env_default(), p2, &m, &o, &b) == STRATA_OK);
    CHECK_EQ_INT(a.file_size, b.file_size);
    CHECK_EQ_INT(a.data_bytes, b.data_bytes);
    CHECK_EQ_INT(read_all(env_default(), p2, &m, NULL), STRATA_OK);
    sst_properties_clear(&a);
    sst_properties_clear(&b);
    free_model(&m);
    test_rmdir(dir);
    free(dir);
}

/* A meta region larger than the tail open reads first (a big filter): the second read. */
static void test_large_meta_region(void)
{
    char *dir = test_tmpdir("sst_bigmeta");
    char path[4096];
    snprintf(path, sizeof path, "%s/big.sst", dir);
    model m = make_model(30000);
    sst_build_options o = {4096, STRATA_KV_COMPRESS_NONE, 3, 30, NULL, 0};
    REQUIRE(build(env_default(), path, &m, &o, NULL) == STRATA_OK);
    CHECK_EQ_INT(read_all(env_default(), path, &m, NULL), STRATA_OK);
    free_model(&m);
    test_rmdir(dir);
    free(dir);
}

static void test_range_dels_and_empty(void)
{
    char *dir = test_tmpdir("sst_rd");
    char path[4096];
    snprintf(path, sizeof path, "%s/000002.sst", dir);
    strata_env *env = env_default();
    sst_build_options o = {4096, STRATA_KV_COMPRESS_NONE, 0, 10, NULL, 0};
    sst_builder *b;
    REQUIRE(sst_builder_new(env, path, &o, &b) == STRATA_OK);
    struct {
        const char *s, *e;
        uint64_t seq;
    } rd[] = {{"m", "p", 5}, {"b", "d", 7}, {"m", "z", 9}, {"a", "c", 3}, {"b", "q", 8}};
    for (size_t i = 0; i < 5; i++)
        CHECK_EQ_INT(sst_builder_add_range_del(b, st_slice_make(rd[i].s, 1),
                                               st_slice_make(rd[i].e, 1), rd[i].seq),
                     STRATA_OK);
    uint8_t k[16];
    CHECK_EQ_INT(sst_builder_add(b, ikey_build(k, st_slice_make("c", 1), 4, KIND_PUT),
                                 st_slice_make("v", 1)),
                 STRATA_OK);
    /* out of order is refused */
    CHECK_EQ_INT(sst_builder_add(b, ikey_build(k, st_slice_make("b", 1), 4, KIND_PUT),
                                 st_slice_make("v", 1)),
                 STRATA_INVALID);
    sst_properties p;
    REQUIRE(sst_builder_finish(b, &p) == STRATA_OK);
    CHECK_EQ_INT(p.num_range_dels, 5);
    CHECK_EQ_INT(p.min_seq, 3);
    CHECK_EQ_INT(p.max_seq, 9);
    uint8_t want[16];
    st_slice lo = ikey_build(want, st_slice_make("a", 1), 3, KIND_RANGE_DEL);
    CHECK_MEM(p.smallest, p.smallest_len, lo.p, lo.n);
    st_slice hi = ikey_build(want, st_slice_make("z", 1), SEQ_MAX, KIND_RANGE_DEL);
    CHECK_MEM(p.largest, p.largest_len, hi.p, hi.n);
    sst_properties_clear(&p);

    sst_reader *r;
    REQUIRE(sst_reader_open(env, path, 2, NULL, &r) == STRATA_OK);
    size_t n;
    const range_tombstone *t = sst_reader_range_dels(r, &n);
    REQUIRE(n == 5);
    const char *order[] = {"a3", "b8", "b7", "m9", "m5"};
    for (size_t i = 0; i < 5; i++) {
        CHECK_EQ_INT(t[i].start.p[0], order[i][0]);
        CHECK_EQ_INT(t[i].seq, order[i][1] - '0');
    }
    CHECK_MEM(t[2].end.p, t[2].end.n, "d", 1);
    CHECK_EQ_INT(sst_reader_properties(r)->num_range_dels, 5);
    sst_reader_close(r);

    /* an existing path is refused */
    CHECK_EQ_INT(sst_builder_new(env, path, &o, &b), STRATA_EXISTS);

    /* an empty table */
    snprintf(path, sizeof path, "%s/000003.sst", dir);
    REQUIRE(sst_builder_new(env, path, &o, &b) == STRATA_OK);
    REQUIRE(sst_builder_finish(b, NULL) == STRATA_OK);
    REQUIRE(sst_reader_open(env, path, 3, NULL, &r) == STRATA_OK);
    CHECK_EQ_INT(sst_reader_properties(r)->num_entries, 0);
    CHECK_EQ_INT(sst_reader_properties(r)->smallest_len, 0);
    int kind;
    uint64_t fseq;
    uint8_t *val;
    size_t vlen;
    CHECK_EQ_INT(sst_reader_get(r, st_slice_make("a", 1), SEQ_MAX, &kind, &fseq, &val, &vlen),
                 STRATA_NOTFOUND);
    lsm_iter *it = sst_reader_iter(r, NULL);
    lsm_iter_seek_to_first(it);
    CHECK(!lsm_iter_valid(it));
    lsm_iter_seek_to_last(it);
    CHECK(!lsm_iter_valid(it));
    lsm_iter_destroy(it);
    sst_reader_close(r);

    /* abandon removes the file */
    snprintf(path, sizeof path, "%s/000004.sst", dir);
    REQUIRE(sst_builder_new(env, path, &o, &b) == STRATA_OK);
    sst_builder_add(b, ikey_build(k, st_slice_make("c", 1), 4, KIND_PUT), st_slice_make("v", 1));
    sst_builder_abandon(b);
    CHECK(!env->exists(env, path));
    test_rmdir(dir);
    free(dir);
}

/* Opens path and reads everything; returns STRATA_OK only if every entry matched the model. */
static int read_all(strata_env *env, const char *path, const model *m, block_cache *cache)
{
    sst_reader *r;
    int rc = sst_reader_open(env, path, 9, cache, &r);
    if (rc) return rc;
    sst_iter_options io = {1, 3};
    lsm_iter *it = sst_reader_iter(r, &io);
    size_t i = 0;
    for (lsm_iter_seek_to_first(it); lsm_iter_valid(it); lsm_iter_next(it), i++) {
        uint8_t k[64];
        st_slice want = ekey(&m->e[i], k);
        st_slice key = lsm_iter_key(it), val = lsm_iter_value(it);
        if (i >= m->n || !st_slice_eq(key, want) ||
            !st_slice_eq(val, st_slice_make(m->e[i].val, m->e[i].vlen))) {
            fprintf(stderr, "wrong data at entry %zu\n", i);
            abort();
        }
    }
    rc = lsm_iter_status(it);
    if (!rc && i != m->n) {
        fprintf(stderr, "iterator ended early at %zu without error\n", i);
        abort();
    }
    for (lsm_iter_seek_to_last(it); !rc && lsm_iter_valid(it); lsm_iter_prev(it)) {
    }
    if (!rc) rc = lsm_iter_status(it);
    lsm_iter_destroy(it);
    for (size_t j = 0; !rc && j < m->n; j++) {
        int kind;
        uint64_t fseq;
        uint8_t *val = NULL;
        size_t vlen;
        rc = sst_reader_get(r, st_slice_make(m->e[j].ukey, m->e[j].ulen), m->e[j].seq, &kind, &fseq,
                            &val, &vlen);
        if (!rc && (fseq != m->e[j].seq || kind != m->e[j].kind ||
                    (kind == KIND_PUT && !st_slice_eq(st_slice_make(val, vlen),
                                                      st_slice_make(m->e[j].val, m->e[j].vlen))))) {
            fprintf(stderr, "wrong get result for entry %zu\n", j);
            abort();
        }
        free(val);
    }
    sst_reader_close(r);
    return rc;
}

static void corruption(int compression)
{
    char *dir = test_tmpdir("sst_corrupt");
    char path[4096], bad[4096];
    snprintf(path, sizeof path, "%s/good.sst", dir);
    snprintf(bad, sizeof bad, "%s/bad.sst", dir);
    strata_env *env = env_sync();
    model m = make_model(60);
    sst_build_options o = {256, compression, 1, 10, NULL, 0};
    REQUIRE(build(env, path, &m, &o, NULL) == STRATA_OK);
    sst_reader *r0;
    REQUIRE(sst_reader_open(env, path, 1, NULL, &r0) == STRATA_OK);
    size_t n0;
    sst_reader_range_dels(r0, &n0);
    sst_reader_close(r0);
    uint8_t *data;
    size_t n;
    REQUIRE(env_read_file(env, path, &data, &n) == STRATA_OK);
    CHECK_EQ_INT(read_all(env, path, &m, NULL), STRATA_OK);
    int ok = 0, bad_count = 0;
    block_cache *cache = block_cache_new(1 << 20);
    for (size_t i = 0; i < n; i++) {
        data[i] ^= (uint8_t)(1 + i % 255);
        unlink(bad); /* a new file: truncating one in place makes ext4 flush it on close */
        FILE *f = fopen(bad, "wb");
        REQUIRE(f && fwrite(data, 1, n, f) == n);
        fclose(f);
        int rc = read_all(env, bad, &m, i % 2 ? cache : NULL);
        block_cache_erase_file(cache, 9);
        if (rc == STRATA_OK)
            ok++;
        else if (rc == STRATA_CORRUPT)
            bad_count++;
        else
            CHECK_EQ_INT(rc, STRATA_CORRUPT);
        data[i] ^= (uint8_t)(1 + i % 255);
    }
    /* every byte is under a checksum or the magic */
    CHECK_EQ_INT(ok, 0);
    CHECK_EQ_INT(bad_count, n);
    for (size_t len = 0; len < n; len++) {
        unlink(bad); /* a new file: truncating one in place makes ext4 flush it on close */
        FILE *f = fopen(bad, "wb");
        REQUIRE(f && fwrite(data, 1, len, f) == len);
        fclose(f);
        CHECK_EQ_INT(read_all(env, bad, &m, NULL), STRATA_CORRUPT);
    }
    block_cache_free(cache);
    free(data);
    free_model(&m);
    test_rmdir(dir);
    free(dir);
}

static void test_corruption_raw(void)
{
    corruption(STRATA_KV_COMPRESS_NONE);
}
static void test_corruption_zstd(void)
{
    corruption(STRATA_KV_COMPRESS_ZSTD);
}

/* Every I/O op of a build, then of an open + full read, fails in turn: the result is the I/O
 * error (and no file left behind by the builder) or the right data, never a crash. */
static void test_io_faults(void)
{
    char *dir = test_tmpdir("sst_fault");
    char path[4096];
    model m = make_model(300);
    sst_build_options o = {512, STRATA_KV_COMPRESS_ZSTD, 1, 10, NULL, 0};
    strata_env *fe = fault_env_new(env_sync());
    fault_kind kinds[] = {FAULT_EIO, FAULT_ENOSPC, FAULT_SHORT};
    for (int k = 0; k < 3; k++) {
        for (uint64_t n = 1;; n++) {
            snprintf(path, sizeof path, "%s/b%d_%llu.sst", dir, k, (unsigned long long)n);
            fault_env_set_active(fe, 1);
            uint64_t before = fault_env_faults_injected(fe);
            fault_env_fail_nth(fe, n, kinds[k]);
            int rc = build(fe, path, &m, &o, NULL);
            int fired = fault_env_faults_injected(fe) > before;
            fault_env_fail_nth(fe, 0, FAULT_NONE);
            fault_env_set_active(fe, 0);
            if (rc == STRATA_OK) {
                CHECK_EQ_INT(read_all(fe, path, &m, NULL), STRATA_OK);
            } else {
                CHECK(fired);
                CHECK(rc == STRATA_IOERR || rc == STRATA_NOSPACE);
                CHECK(!fe->exists(fe, path));
            }
            if (!fired) break;
            REQUIRE(n < 1000);
        }
    }
    snprintf(path, sizeof path, "%s/good.sst", dir);
    REQUIRE(build(fe, path, &m, &o, NULL) == STRATA_OK);
    block_cache *cache = block_cache_new(1 << 20);
    for (uint64_t n = 1;; n++) {
        fault_env_set_active(fe, 1);
        uint64_t before = fault_env_faults_injected(fe);
        fault_env_fail_nth(fe, n, FAULT_EIO);
        int rc = read_all(fe, path, &m, n % 2 ? cache : NULL);
        int fired = fault_env_faults_injected(fe) > before;
        fault_env_fail_nth(fe, 0, FAULT_NONE);
        block_cache_erase_file(cache, 9);
        if (!fired) {
            CHECK_EQ_INT(rc, STRATA_OK);
            break;
        }
        CHECK(rc == STRATA_IOERR || rc == STRATA_OK);
        REQUIRE(n < 10000);
    }
    block_cache_free(cache);
    fault_env_free(fe);
    free_model(&m);
    test_rmdir(dir);
    free(dir);
}

typedef struct mt_arg {
    sst_reader *r;
    const model *m;
    int seed;
    int errors;
} mt_arg;

static void *mt_worker(void *p)
{
    mt_arg *a = p;
    uint64_t s = (uint64_t)a->seed * 2654435761u + 1;
    for (int i = 0; i < 3000; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t j = (size_t)(s >> 33) % a->m->n;
        const ent *e = &a->m->e[j];
        int kind;
        uint64_t fseq;
        uint8_t *val = NULL;
        size_t vlen;
        int rc = sst_reader_get(a->r, st_slice_make(e->ukey, e->ulen), e->seq, &kind, &fseq, &val,
                                &vlen);
        if (rc || fseq != e->seq || kind != e->kind ||
            (kind == KIND_PUT &&
             !st_slice_eq(st_slice_make(val, vlen), st_slice_make(e->val, e->vlen))))
            a->errors++;
        free(val);
    }
    sst_iter_options io = {1, 2};
    lsm_iter *it = sst_reader_iter(a->r, &io);
    size_t n = 0;
    for (lsm_iter_seek_to_first(it); lsm_iter_valid(it); lsm_iter_next(it)) n++;
    if (n != a->m->n) a->errors++;
    lsm_iter_destroy(it);
    return NULL;
}

/* One reader, one small cache, four threads of gets and scans. */
static void test_concurrent_readers(void)
{
    char *dir = test_tmpdir("sst_mt");
    char path[4096];
    snprintf(path, sizeof path, "%s/000005.sst", dir);
    model m = make_model(3000);
    sst_build_options o = {1024, STRATA_KV_COMPRESS_ZSTD, 1, 10, NULL, 0};
    REQUIRE(build(env_default(), path, &m, &o, NULL) == STRATA_OK);
    block_cache *cache = block_cache_new(64 * 1024);
    sst_reader *r;
    REQUIRE(sst_reader_open(env_default(), path, 5, cache, &r) == STRATA_OK);
    pthread_t t[4];
    mt_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (mt_arg){r, &m, i, 0};
        pthread_create(&t[i], NULL, mt_worker, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ_INT(args[i].errors, 0);
    }
    sst_reader_close(r);
    block_cache_free(cache);
    free_model(&m);
    test_rmdir(dir);
    free(dir);
}

TEST_MAIN(test_round_trip_raw_4k, test_round_trip_zstd_4k, test_round_trip_raw_64k,
          test_round_trip_zstd_64k, test_range_dels_and_empty, test_corruption_raw,
          test_corruption_zstd, test_io_faults, test_concurrent_readers,
          test_incompressible_blocks_stay_raw, test_large_meta_region)
