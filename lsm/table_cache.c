/* lsm/table_cache.c — see table_cache.h. */
#include "lsm/table_cache.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsm/version.h"
#include "util/status.h"

struct tc_entry {
    tc_entry *next;
    uint64_t number;
    sst_reader *r;
    range_del_list *rd;
};

int tc_init(table_cache *tc, strata_env *env, const char *dir, block_cache *bc)
{
    memset(tc, 0, sizeof *tc);
    tc->env = env;
    tc->dir = strdup(dir);
    tc->bc = bc;
    tc->nbuckets = 1024;
    tc->buckets = calloc(tc->nbuckets, sizeof *tc->buckets);
    if (!tc->dir || !tc->buckets) {
        free(tc->dir);
        free(tc->buckets);
        return st_error(STRATA_NOMEM, "table cache: out of memory");
    }
    pthread_mutex_init(&tc->mu, NULL);
    return STRATA_OK;
}

void tc_destroy(table_cache *tc)
{
    if (!tc->buckets) return;
    for (size_t i = 0; i < tc->nbuckets; i++) {
        tc_entry *e = tc->buckets[i];
        while (e) {
            tc_entry *n = e->next;
            sst_reader_close(e->r);
            rd_unref(e->rd);
            free(e);
            e = n;
        }
    }
    free(tc->buckets);
    free(tc->dir);
    pthread_mutex_destroy(&tc->mu);
    memset(tc, 0, sizeof *tc);
}

int tc_find(table_cache *tc, const file_meta *f, sst_reader **r, range_del_list **rd)
{
    file_meta *mf = (file_meta *)f;
    void *cr = atomic_load_explicit(&mf->reader, memory_order_acquire);
    if (cr) {
        *r = cr;
        if (rd) *rd = atomic_load_explicit(&mf->rd, memory_order_acquire);
        return STRATA_OK;
    }
    size_t b = (size_t)(f->number * 0x9e3779b97f4a7c15ULL >> 40) & (tc->nbuckets - 1);
    pthread_mutex_lock(&tc->mu);
    for (tc_entry *e = tc->buckets[b]; e; e = e->next)
        if (e->number == f->number) {
            *r = e->r;
            if (rd) *rd = e->rd;
            atomic_store_explicit(&mf->rd, e->rd, memory_order_relaxed);
            atomic_store_explicit(&mf->reader, e->r, memory_order_release);
            pthread_mutex_unlock(&tc->mu);
            return STRATA_OK;
        }
    char *path = db_filename(tc->dir, "sst", f->number);
    tc_entry *e = calloc(1, sizeof *e);
    int rc = (!path || !e) ? st_error(STRATA_NOMEM, "table cache: out of memory") : STRATA_OK;
    if (!rc) rc = sst_reader_open(tc->env, path, f->number, tc->bc, &e->r);
    if (rc == STRATA_NOTFOUND) {
        /* a file of a version is missing: the database is damaged. Never let this read as
         * "key not found" (a get would answer that the key is absent). */
        char why[256];
        snprintf(why, sizeof why, "%s", st_errmsg());
        rc = st_error(STRATA_CORRUPT, "sst %s: listed in the MANIFEST but missing (%s)", path, why);
    }
    if (!rc) {
        size_t n = 0;
        const range_tombstone *ts = sst_reader_range_dels(e->r, &n);
        e->rd = rd_build(ts, n);
        if (!e->rd) {
            sst_reader_close(e->r);
            rc = st_error(STRATA_NOMEM, "table cache: out of memory");
        }
    }
    if (rc) {
        free(e);
    } else {
        e->number = f->number;
        e->next = tc->buckets[b];
        tc->buckets[b] = e;
        *r = e->r;
        if (rd) *rd = e->rd;
        atomic_store_explicit(&mf->rd, e->rd, memory_order_relaxed);
        atomic_store_explicit(&mf->reader, e->r, memory_order_release);
    }
    pthread_mutex_unlock(&tc->mu);
    free(path);
    return rc;
}

void tc_evict(table_cache *tc, uint64_t number)
{
    size_t b = (size_t)(number * 0x9e3779b97f4a7c15ULL >> 40) & (tc->nbuckets - 1);
    pthread_mutex_lock(&tc->mu);
    for (tc_entry **pe = &tc->buckets[b]; *pe; pe = &(*pe)->next) {
        tc_entry *e = *pe;
        if (e->number != number) continue;
        *pe = e->next;
        sst_reader_close(e->r);
        rd_unref(e->rd);
        free(e);
        break;
    }
    pthread_mutex_unlock(&tc->mu);
    if (tc->bc) block_cache_erase_file(tc->bc, number);
}

int tc_get(table_cache *tc, const file_meta *f, st_slice ukey, uint64_t seq, int *kind,
           uint64_t *found_seq, uint8_t **val, size_t *vlen)
{
    sst_reader *r;
    int rc = tc_find(tc, f, &r, NULL);
    if (rc) return rc;
    if (f->global_seq) {
        if (seq < f->global_seq) return STRATA_NOTFOUND;
        rc = sst_reader_get(r, ukey, SEQ_MAX, kind, found_seq, val, vlen);
        if (rc == STRATA_OK) *found_seq = f->global_seq;
        return rc;
    }
    return sst_reader_get(r, ukey, seq, kind, found_seq, val, vlen);
}

/* ---- global-sequence iterator: rewrites the trailer of every key ---- */

typedef struct gseq_iter {
    lsm_iter base;
    lsm_iter *in;
    uint64_t gseq;
    uint8_t *buf;
    size_t cap;
} gseq_iter;

#define GI(it) ((gseq_iter *)(it))
static st_slice gi_key(lsm_iter *it);
static int gi_valid(lsm_iter *it)
{
    return lsm_iter_valid(GI(it)->in);
}
static void gi_first(lsm_iter *it)
{
    lsm_iter_seek_to_first(GI(it)->in);
}
static void gi_last(lsm_iter *it)
{
    lsm_iter_seek_to_last(GI(it)->in);
}
/* Inside the file every key has sequence 0: position on the user key, then step over the
 * entries whose presented key (user key @ gseq) is on the wrong side of the target. */
static void gi_seek(lsm_iter *it, st_slice k)
{
    gseq_iter *g = GI(it);
    st_slice u = ikey_user(k);
    uint8_t tmp[256];
    uint8_t *b = u.n + 8 <= sizeof tmp ? tmp : malloc(u.n + 8);
    if (!b) abort();
    lsm_iter_seek(g->in, ikey_build(b, u, SEQ_MAX, KIND_SEEK));
    while (lsm_iter_valid(g->in) && st_slice_eq(ikey_user(lsm_iter_key(g->in)), u) &&
           ikey_cmp(gi_key(it), k) < 0)
        lsm_iter_next(g->in);
    if (b != tmp) free(b);
}
static void gi_seek_for_prev(lsm_iter *it, st_slice k)
{
    gseq_iter *g = GI(it);
    st_slice u = ikey_user(k);
    uint8_t tmp[256];
    uint8_t *b = u.n + 8 <= sizeof tmp ? tmp : malloc(u.n + 8);
    if (!b) abort();
    lsm_iter_seek_for_prev(g->in, ikey_build(b, u, 0, 0));
    while (lsm_iter_valid(g->in) && st_slice_eq(ikey_user(lsm_iter_key(g->in)), u) &&
           ikey_cmp(gi_key(it), k) > 0)
        lsm_iter_prev(g->in);
    if (b != tmp) free(b);
}
static void gi_next(lsm_iter *it)
{
    lsm_iter_next(GI(it)->in);
}
static void gi_prev(lsm_iter *it)
{
    lsm_iter_prev(GI(it)->in);
}
static st_slice gi_key(lsm_iter *it)
{
    gseq_iter *g = GI(it);
    st_slice k = lsm_iter_key(g->in);
    if (k.n > g->cap) {
        size_t nc = k.n * 2;
        uint8_t *nb = realloc(g->buf, nc);
        if (!nb) abort();
        g->buf = nb;
        g->cap = nc;
    }
    return ikey_build(g->buf, ikey_user(k), g->gseq, ikey_kind(k));
}
static st_slice gi_value(lsm_iter *it)
{
    return lsm_iter_value(GI(it)->in);
}
static int gi_status(lsm_iter *it)
{
    return lsm_iter_status(GI(it)->in);
}
static void gi_destroy(lsm_iter *it)
{
    lsm_iter_destroy(GI(it)->in);
    free(GI(it)->buf);
    free(it);
}
static const lsm_iter_ops gseq_ops = {gi_valid,         gi_first,  gi_last,    gi_seek,
                                      gi_seek_for_prev, gi_next,   gi_prev,    gi_key,
                                      gi_value,         gi_status, gi_destroy, NULL};

lsm_iter *tc_iter(table_cache *tc, const file_meta *f, int fill_cache, int *rc)
{
    sst_reader *r;
    *rc = tc_find(tc, f, &r, NULL);
    if (*rc) return NULL;
    sst_iter_options o = {fill_cache, 2};
    lsm_iter *in = sst_reader_iter(r, &o);
    if (!in) {
        *rc = st_error(STRATA_NOMEM, "sst iterator: out of memory");
        return NULL;
    }
    if (!f->global_seq) return in;
    gseq_iter *g = calloc(1, sizeof *g);
    if (!g) {
        lsm_iter_destroy(in);
        *rc = st_error(STRATA_NOMEM, "sst iterator: out of memory");
        return NULL;
    }
    g->base.ops = &gseq_ops;
    g->in = in;
    g->gseq = f->global_seq;
    return &g->base;
}

/* ---- level iterator: concatenation of one level's files ---- */

typedef struct level_iter {
    lsm_iter base;
    table_cache *tc;
    file_meta **files;
    size_t n;
    size_t idx; /* file of cur */
    lsm_iter *cur;
    int fill_cache;
    int status;
} level_iter;

#define LI(it) ((level_iter *)(it))

static void li_open(level_iter *l, size_t idx)
{
    if (l->cur && l->idx == idx) return;
    if (l->cur) {
        int st = lsm_iter_status(l->cur);
        if (st && !l->status) l->status = st;
        lsm_iter_destroy(l->cur);
        l->cur = NULL;
    }
    l->idx = idx;
    if (idx >= l->n) return;
    int rc;
    l->cur = tc_iter(l->tc, l->files[idx], l->fill_cache, &rc);
    if (!l->cur && !l->status) l->status = rc;
}

static int li_valid(lsm_iter *it)
{
    level_iter *l = LI(it);
    return l->cur && lsm_iter_valid(l->cur);
}

static void li_skip_fwd(level_iter *l)
{
    while (l->cur && !lsm_iter_valid(l->cur) && !lsm_iter_status(l->cur)) {
        if (l->idx + 1 >= l->n) {
            return;
        }
        li_open(l, l->idx + 1);
        if (l->cur) lsm_iter_seek_to_first(l->cur);
    }
}

static void li_skip_back(level_iter *l)
{
    while (l->cur && !lsm_iter_valid(l->cur) && !lsm_iter_status(l->cur)) {
        if (l->idx == 0) return;
        li_open(l, l->idx - 1);
        if (l->cur) lsm_iter_seek_to_last(l->cur);
    }
}

static void li_first(lsm_iter *it)
{
    level_iter *l = LI(it);
    if (!l->n) return;
    li_open(l, 0);
    if (l->cur) lsm_iter_seek_to_first(l->cur);
    li_skip_fwd(l);
}
static void li_last(lsm_iter *it)
{
    level_iter *l = LI(it);
    if (!l->n) return;
    li_open(l, l->n - 1);
    if (l->cur) lsm_iter_seek_to_last(l->cur);
    li_skip_back(l);
}
static size_t li_find(level_iter *l, st_slice k)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ikey_cmp(file_largest(l->files[mid]), k) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
static void li_seek(lsm_iter *it, st_slice k)
{
    level_iter *l = LI(it);
    size_t i = li_find(l, k);
    if (i >= l->n) {
        li_open(l, l->n); /* invalid */
        return;
    }
    li_open(l, i);
    if (l->cur) lsm_iter_seek(l->cur, k);
    li_skip_fwd(l);
}
static void li_seek_for_prev(lsm_iter *it, st_slice k)
{
    level_iter *l = LI(it);
    size_t i = li_find(l, k);
    if (i >= l->n) i = l->n ? l->n - 1 : 0;
    if (!l->n) return;
    li_open(l, i);
    if (l->cur) lsm_iter_seek_for_prev(l->cur, k);
    li_skip_back(l);
}
static void li_next(lsm_iter *it)
{
    level_iter *l = LI(it);
    lsm_iter_next(l->cur);
    li_skip_fwd(l);
}
static void li_prev(lsm_iter *it)
{
    level_iter *l = LI(it);
    lsm_iter_prev(l->cur);
    li_skip_back(l);
}
static st_slice li_key(lsm_iter *it)
{
    return lsm_iter_key(LI(it)->cur);
}
static st_slice li_value(lsm_iter *it)
{
    return lsm_iter_value(LI(it)->cur);
}
static int li_status(lsm_iter *it)
{
    level_iter *l = LI(it);
    if (l->status) return l->status;
    return l->cur ? lsm_iter_status(l->cur) : STRATA_OK;
}
static void li_destroy(lsm_iter *it)
{
    level_iter *l = LI(it);
    lsm_iter_destroy(l->cur);
    for (size_t i = 0; i < l->n; i++) file_meta_unref(l->files[i]);
    free(l->files);
    free(l);
}
/* A forward run over the files: each file's run, then the next file. */
static int li_run(lsm_iter *it, st_slice limit, lsm_run_fn fn, void *ctx)
{
    level_iter *l = LI(it);
    while (li_valid(it)) {
        int rc = lsm_iter_run(l->cur, limit, fn, ctx);
        if (rc || lsm_iter_valid(l->cur)) return rc;
        li_skip_fwd(l);
    }
    return 0;
}

static const lsm_iter_ops level_ops = {li_valid,         li_first,  li_last,    li_seek,
                                       li_seek_for_prev, li_next,   li_prev,    li_key,
                                       li_value,         li_status, li_destroy, li_run};

lsm_iter *tc_level_iter(table_cache *tc, file_meta *const *files, size_t n, int fill_cache)
{
    level_iter *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->files = malloc((n ? n : 1) * sizeof *l->files);
    if (!l->files) {
        free(l);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        l->files[i] = files[i];
        file_meta_ref(files[i]);
    }
    l->base.ops = &level_ops;
    l->tc = tc;
    l->n = n;
    l->idx = n;
    l->fill_cache = fill_cache;
    return &l->base;
}
