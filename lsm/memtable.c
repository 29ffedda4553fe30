/* lsm/memtable.c — see memtable.h. */
#include "lsm/memtable.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/status.h"

static inline void bloom_pos(st_slice ukey, size_t *w, uint64_t *mask)
{
    uint64_t h = st_hash64(ukey.p, ukey.n);
    *w = (size_t)h & (MEM_BLOOM_WORDS - 1);
    *mask = (1ull << ((h >> 40) & 63)) | (1ull << ((h >> 46) & 63)) | (1ull << ((h >> 52) & 63));
}

memtable *mem_new(void)
{
    memtable *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    atomic_init(&m->refs, 1);
    arena_init(&m->arena, 64 * 1024);
    sl_init(&m->list, &m->arena);
    pthread_mutex_init(&m->rd_mu, NULL);
    atomic_init(&m->mem_usage, 0);
    atomic_init(&m->scanned, 0);
    atomic_init(&m->flush_asked, 0);
    m->bloom = calloc(MEM_BLOOM_WORDS, sizeof *m->bloom); /* NULL: no filter */
    return m;
}

void mem_ref(memtable *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void mem_unref(memtable *m)
{
    if (!m) return;
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1) return;
    rd_unref(m->rd_cache);
    free(m->rds);
    free(m->rd_clean);
    pthread_mutex_destroy(&m->rd_mu);
    arena_destroy(&m->arena);
    free((void *)m->bloom);
    free(m);
}

/* Marks rds[i] dirty. REQUIRES: rd_mu held. */
static void mark_dirty_locked(memtable *m, size_t i)
{
    m->rd_clean[i] = 0;
    rd_unref(m->rd_cache); /* its flags are stale */
    m->rd_cache = NULL;
}

/* A point entry (seq, ukey) is about to be added: every tracked tombstone older than it whose
 * range holds ukey becomes dirty. Writer only. */
static void point_added(memtable *m, uint64_t seq, st_slice ukey)
{
    size_t k = 0;
    for (size_t j = 0; j < m->ntrack; j++) {
        const range_tombstone *t = &m->rds[m->track[j]];
        if (seq > t->seq && st_slice_cmp(ukey, t->start) >= 0 && st_slice_cmp(ukey, t->end) < 0) {
            pthread_mutex_lock(&m->rd_mu);
            mark_dirty_locked(m, m->track[j]);
            pthread_mutex_unlock(&m->rd_mu);
        } else {
            m->track[k++] = m->track[j];
        }
    }
    m->ntrack = k;
}

void mem_add(memtable *m, uint64_t seq, int kind, st_slice ukey, st_slice value)
{
    if (kind == KIND_RANGE_DEL) {
        uint8_t *k = arena_alloc_aligned(&m->arena, ukey.n + value.n + 1, 1);
        memcpy(k, ukey.p, ukey.n);
        memcpy(k + ukey.n, value.p, value.n);
        pthread_mutex_lock(&m->rd_mu);
        if (m->nrd == m->caprd) {
            size_t nc = m->caprd ? m->caprd * 2 : 16;
            range_tombstone *n = realloc(m->rds, nc * sizeof *n);
            if (!n) abort(); /* cannot roll back a half-applied batch */
            m->rds = n;
            uint8_t *c = realloc(m->rd_clean, nc);
            if (!c) abort();
            m->rd_clean = c;
            m->caprd = nc;
        }
        size_t i = m->nrd++;
        range_tombstone *t = &m->rds[i];
        t->start = st_slice_make(k, ukey.n);
        t->end = st_slice_make(k + ukey.n, value.n);
        t->seq = seq;
        /* clean only if nothing here is newer (adds normally come in sequence order) */
        m->rd_clean[i] = seq > atomic_load_explicit(&m->max_seq, memory_order_relaxed);
        if (m->rd_clean[i]) {
            if (m->ntrack == MEM_RD_TRACK) { /* evict the oldest tracked */
                mark_dirty_locked(m, m->track[0]);
                memmove(m->track, m->track + 1, (MEM_RD_TRACK - 1) * sizeof *m->track);
                m->ntrack--;
            }
            m->track[m->ntrack++] = i;
        }
        atomic_store_explicit(&m->num_rd, m->nrd, memory_order_release);
        pthread_mutex_unlock(&m->rd_mu);
        atomic_fetch_add_explicit(&m->mem_usage, ukey.n + value.n + sizeof *t,
                                  memory_order_relaxed);
    } else {
        if (m->ntrack) point_added(m, seq, ukey);
        uint8_t buf[256];
        size_t n = ukey.n + IKEY_TRAILER;
        uint8_t *kb = n <= sizeof buf ? buf : malloc(n);
        if (!kb) abort();
        st_slice ik = ikey_build(kb, ukey, seq, kind);
        if (m->bloom) {
            size_t w;
            uint64_t mask;
            bloom_pos(ukey, &w, &mask);
            atomic_fetch_or_explicit(&m->bloom[w], mask, memory_order_relaxed);
        }
        sl_insert(&m->list, ik, value);
        if (kb != buf) free(kb);
        /* entry bytes + node header and ~1.33 links: the data actually buffered (the arena
         * allocates in blocks, which would overstate a small memtable) */
        atomic_fetch_add_explicit(&m->mem_usage, n + value.n + 32, memory_order_relaxed);
        atomic_fetch_add_explicit(&m->num_entries, 1, memory_order_relaxed);
    }
    if (seq > atomic_load_explicit(&m->max_seq, memory_order_relaxed))
        atomic_store_explicit(&m->max_seq, seq, memory_order_release);
}

range_del_list *mem_range_dels(memtable *m)
{
    pthread_mutex_lock(&m->rd_mu);
    if (!m->rd_cache || m->rd_cache_n != m->nrd) {
        range_del_list *l = rd_build_flagged(m->rds, m->rd_clean, m->nrd);
        if (!l) {
            pthread_mutex_unlock(&m->rd_mu);
            return NULL;
        }
        rd_unref(m->rd_cache);
        m->rd_cache = l;
        m->rd_cache_n = m->nrd;
    }
    range_del_list *l = m->rd_cache;
    rd_ref(l);
    pthread_mutex_unlock(&m->rd_mu);
    return l;
}

size_t mem_range_del_raw(memtable *m, range_tombstone **out)
{
    pthread_mutex_lock(&m->rd_mu);
    size_t n = m->nrd;
    *out = NULL;
    if (n) {
        *out = malloc(n * sizeof **out);
        if (*out)
            memcpy(*out, m->rds, n * sizeof **out);
        else
            n = 0;
    }
    pthread_mutex_unlock(&m->rd_mu);
    return n;
}

int mem_get(memtable *m, st_slice ukey, uint64_t seq, int *kind, uint64_t *found_seq, st_slice *val,
            uint64_t *tomb_seq)
{
    *tomb_seq = 0;
    if (atomic_load_explicit(&m->num_rd, memory_order_acquire) > 0) {
        range_del_list *l = mem_range_dels(m);
        if (l) {
            const rd_frag *f;
            *tomb_seq = rd_max_covering(l, ukey, seq, &f);
            int clean = *tomb_seq && rd_frag_clean(f, *tomb_seq);
            rd_unref(l);
            if (clean) return MEM_NONE;
        }
    }
    if (m->bloom) {
        size_t w;
        uint64_t mask;
        bloom_pos(ukey, &w, &mask);
        if ((atomic_load_explicit(&m->bloom[w], memory_order_relaxed) & mask) != mask)
            return MEM_NONE;
    }
    uint8_t buf[256];
    size_t n = ukey.n + IKEY_TRAILER;
    uint8_t *kb = n <= sizeof buf ? buf : malloc(n);
    if (!kb) return MEM_NONE;
    st_slice target = ikey_build(kb, ukey, seq, KIND_SEEK);
    sl_iter it;
    sl_iter_init(&it, &m->list);
    sl_iter_seek(&it, target);
    int r = MEM_NONE;
    if (sl_iter_valid(&it)) {
        st_slice k = sl_iter_key(&it);
        if (st_slice_eq(ikey_user(k), ukey)) {
            uint64_t t = ikey_trailer(k);
            *kind = (int)(t & 0xff);
            *found_seq = t >> 8;
            *val = sl_iter_value(&it);
            r = MEM_FOUND;
        }
    }
    if (kb != buf) free(kb);
    return r;
}

size_t mem_usage(const memtable *m)
{
    return atomic_load_explicit(&m->mem_usage, memory_order_relaxed);
}

int mem_empty(const memtable *m)
{
    return atomic_load_explicit(&m->num_entries, memory_order_relaxed) == 0 &&
           atomic_load_explicit(&m->num_rd, memory_order_relaxed) == 0;
}

/* ---- iterator ---- */

typedef struct mem_iter {
    lsm_iter base;
    memtable *m;
    sl_iter it;
} mem_iter;

static int mi_valid(lsm_iter *it)
{
    return sl_iter_valid(&((mem_iter *)it)->it);
}
static void mi_first(lsm_iter *it)
{
    sl_iter_seek_to_first(&((mem_iter *)it)->it);
}
static void mi_last(lsm_iter *it)
{
    sl_iter_seek_to_last(&((mem_iter *)it)->it);
}
static void mi_seek(lsm_iter *it, st_slice k)
{
    sl_iter_seek(&((mem_iter *)it)->it, k);
}
static void mi_seek_for_prev(lsm_iter *it, st_slice k)
{
    sl_iter_seek_for_prev(&((mem_iter *)it)->it, k);
}
static void mi_next(lsm_iter *it)
{
    sl_iter_next(&((mem_iter *)it)->it);
}
static void mi_prev(lsm_iter *it)
{
    sl_iter_prev(&((mem_iter *)it)->it);
}
static st_slice mi_key(lsm_iter *it)
{
    return sl_iter_key(&((mem_iter *)it)->it);
}
static st_slice mi_value(lsm_iter *it)
{
    return sl_iter_value(&((mem_iter *)it)->it);
}
static int mi_status(lsm_iter *it)
{
    return STRATA_OK;
}
static void mi_destroy(lsm_iter *it)
{
    mem_iter *mi = (mem_iter *)it;
    mem_unref(mi->m);
    free(mi);
}

/* A forward run through sl_gather: batches of entries read with overlapping cache misses. The
 * batch grows from 16 to MI_RUN_BATCH entries while the run goes on, so a short run (a few keys
 * before another source's) reads little ahead. The batch lives in thread-local storage (80 KiB,
 * off the stack); a run started from inside a run's callback on the same thread (another
 * iterator's bulk read) takes the generic path. */
#define MI_RUN_BATCH 2048

static _Thread_local sl_entry mi_batch[MI_RUN_BATCH];
static _Thread_local int mi_in_run;

int mem_scan_wants_flush(memtable *m)
{
    uint64_t read = atomic_load_explicit(&m->scanned, memory_order_relaxed);
    uint64_t n = atomic_load_explicit(&m->num_entries, memory_order_relaxed);
    if (read < MEM_SCAN_FLUSH_MIN || read < n) return 0;
    int no = 0;
    return atomic_compare_exchange_strong(&m->flush_asked, &no, 1);
}

static int mi_run_batched(memtable *m, sl_iter *si, st_slice limit, lsm_run_fn fn, void *ctx)
{
    sl_entry *e = mi_batch;
    size_t want = 16;
    while (sl_iter_valid(si)) {
        size_t n = sl_gather(si, e, want);
        atomic_fetch_add_explicit(&m->scanned, n, memory_order_relaxed);
        /* the limit is compared per entry only in a batch that reaches it */
        int check = limit.p && ikey_cmp(e[n - 1].key, limit) >= 0;
        for (size_t i = 0; i < n; i++) {
            if (check && ikey_cmp(e[i].key, limit) >= 0) {
                si->node = e[i].node;
                return 0;
            }
            int rc = fn(ctx, e[i].key, e[i].value);
            if (rc) {
                si->node = e[i].node;
                return rc;
            }
        }
        si->node = sl_node_next(e[n - 1].node);
        if (want < MI_RUN_BATCH) want *= 2;
    }
    return 0;
}

static int mi_run(lsm_iter *it, st_slice limit, lsm_run_fn fn, void *ctx)
{
    if (mi_in_run) return lsm_iter_run_generic(it, limit, fn, ctx);
    mi_in_run = 1;
    mem_iter *mi = (mem_iter *)it;
    int rc = mi_run_batched(mi->m, &mi->it, limit, fn, ctx);
    mi_in_run = 0;
    return rc;
}

static const lsm_iter_ops mem_iter_ops = {mi_valid,         mi_first,  mi_last,    mi_seek,
                                          mi_seek_for_prev, mi_next,   mi_prev,    mi_key,
                                          mi_value,         mi_status, mi_destroy, mi_run};

lsm_iter *mem_iter_new(memtable *m)
{
    mem_iter *mi = malloc(sizeof *mi);
    if (!mi) return NULL;
    mi->base.ops = &mem_iter_ops;
    mi->m = m;
    mem_ref(m);
    sl_iter_init(&mi->it, &m->list);
    return &mi->base;
}
