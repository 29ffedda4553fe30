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
    /* no point entries (a memtable just switched in): not even a bloom probe, a cache miss */
    if (atomic_load_explicit(&m->num_entries, memory_order_acquire) == 0) return MEM_NONE;
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

/* Bulk reads gather entries ahead (sl_gather) into `ahead`: ahead[pos..n) are the entries
 * from the current node on, in order, while ahead_ok. Every other move drops them. */
#define MI_AHEAD_MAX 1024

typedef struct mem_iter {
    lsm_iter base;
    memtable *m;
    sl_iter it;
    sl_entry *ahead; /* [MI_AHEAD_MAX], allocated by the first batch */
    size_t pos, n, want;
    int ahead_ok;
} mem_iter;

static int mi_valid(lsm_iter *it)
{
    return sl_iter_valid(&((mem_iter *)it)->it);
}
static void mi_first(lsm_iter *it)
{
    ((mem_iter *)it)->ahead_ok = 0;
    sl_iter_seek_to_first(&((mem_iter *)it)->it);
}
static void mi_last(lsm_iter *it)
{
    ((mem_iter *)it)->ahead_ok = 0;
    sl_iter_seek_to_last(&((mem_iter *)it)->it);
}
static void mi_seek(lsm_iter *it, st_slice k)
{
    ((mem_iter *)it)->ahead_ok = 0;
    sl_iter_seek(&((mem_iter *)it)->it, k);
}
static void mi_seek_for_prev(lsm_iter *it, st_slice k)
{
    ((mem_iter *)it)->ahead_ok = 0;
    sl_iter_seek_for_prev(&((mem_iter *)it)->it, k);
}
static void mi_next(lsm_iter *it)
{
    mem_iter *mi = (mem_iter *)it;
    if (mi->ahead_ok && mi->pos + 1 < mi->n) {
        mi->it.node = mi->ahead[++mi->pos].node;
        return;
    }
    mi->ahead_ok = 0;
    sl_iter_next(&mi->it);
}
static void mi_prev(lsm_iter *it)
{
    ((mem_iter *)it)->ahead_ok = 0;
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
    free(mi->ahead);
    free(mi);
}

int mem_scan_wants_flush(memtable *m)
{
    uint64_t read = atomic_load_explicit(&m->scanned, memory_order_relaxed);
    uint64_t n = atomic_load_explicit(&m->num_entries, memory_order_relaxed);
    if (read < MEM_SCAN_FLUSH_MIN || read < n / 4) return 0;
    int no = 0;
    return atomic_compare_exchange_strong(&m->flush_asked, &no, 1);
}

/* A forward batch from the entries gathered ahead (sl_gather: read with overlapping cache
 * misses). The read-ahead grows from 16 to MI_AHEAD_MAX entries as it is used up; what a limit
 * leaves of it serves the next batch. */
static size_t mi_next_batch(lsm_iter *it, st_slice limit, size_t max, lsm_batch *b)
{
    mem_iter *mi = (mem_iter *)it;
    sl_iter *si = &mi->it;
    b->n = 0;
    if (max == 0 || !sl_iter_valid(si)) return 0;
    if (max > LSM_BATCH_MAX) max = LSM_BATCH_MAX;
    if (!mi->ahead_ok || mi->pos >= mi->n) {
        if (!mi->ahead) {
            mi->ahead = malloc(MI_AHEAD_MAX * sizeof *mi->ahead);
            if (!mi->ahead) return lsm_iter_next_batch_generic(it, limit, max, b);
        }
        mi->n = sl_gather(si, mi->ahead, mi->want);
        mi->pos = 0;
        mi->ahead_ok = 1;
        if (mi->want < MI_AHEAD_MAX) mi->want *= 2;
    }
    const sl_entry *e = mi->ahead + mi->pos;
    size_t n = mi->n - mi->pos;
    if (n > max) n = max;
    if (limit.p && ikey_cmp(e[n - 1].key, limit) >= 0) {
        size_t lo = 0, hi = n - 1; /* the first entry >= limit */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (ikey_cmp(e[mid].key, limit) >= 0)
                hi = mid;
            else
                lo = mid + 1;
        }
        n = lo;
        if (n == 0) return 0;
    }
    for (size_t i = 0; i < n; i++) {
        b->key[i] = e[i].key;
        b->val[i] = e[i].value;
    }
    mi->pos += n - 1; /* on the last one returned */
    si->node = mi->ahead[mi->pos].node;
    b->n = n;
    atomic_fetch_add_explicit(&mi->m->scanned, n, memory_order_relaxed);
    return n;
}

static const lsm_iter_ops mem_iter_ops = {mi_valid,         mi_first,  mi_last,    mi_seek,
                                          mi_seek_for_prev, mi_next,   mi_prev,    mi_key,
                                          mi_value,         mi_status, mi_destroy, mi_next_batch};

lsm_iter *mem_iter_new(memtable *m)
{
    mem_iter *mi = malloc(sizeof *mi);
    if (!mi) return NULL;
    mi->base.ops = &mem_iter_ops;
    mi->m = m;
    mi->ahead = NULL;
    mi->pos = mi->n = 0;
    mi->want = 16;
    mi->ahead_ok = 0;
    mem_ref(m);
    sl_iter_init(&mi->it, &m->list);
    return &mi->base;
}
