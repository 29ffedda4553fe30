/* lsm/merge_iter.c — see merge_iter.h. */
#include "lsm/merge_iter.h"

#include <stdlib.h>
#include <string.h>

#include "lsm/dbformat.h"
#include "strata_status.h"

typedef struct merge_iter {
    lsm_iter base;
    size_t n;
    lsm_iter **kids;
    uint64_t *max_seqs;
    size_t *heap; /* indexes of valid children */
    /* keys[i]: child i's current key while it is valid (read once per move: the heap compares
     * and key() then take no calls through the child's ops, which go down to the block
     * iterator) */
    st_slice *keys;
    size_t nheap;
    int dir; /* 1 forward, -1 backward */
    int status;
    uint8_t *keybuf; /* saved key for direction changes */
    size_t keycap;
} merge_iter;

/* heap order: forward: smaller key first; backward: larger first */
static inline int before(merge_iter *m, size_t a, size_t b)
{
    int c = ikey_cmp(m->keys[a], m->keys[b]);
    return m->dir > 0 ? c < 0 : c > 0;
}

static void sift_down(merge_iter *m, size_t i)
{
    size_t n = m->nheap;
    for (;;) {
        size_t l = 2 * i + 1, best = i;
        if (l < n && before(m, m->heap[l], m->heap[best])) best = l;
        if (l + 1 < n && before(m, m->heap[l + 1], m->heap[best])) best = l + 1;
        if (best == i) return;
        size_t t = m->heap[i];
        m->heap[i] = m->heap[best];
        m->heap[best] = t;
        i = best;
    }
}

static void rebuild(merge_iter *m)
{
    m->nheap = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (lsm_iter_valid(m->kids[i])) {
            m->keys[i] = lsm_iter_key(m->kids[i]);
            m->heap[m->nheap++] = i;
        } else if (m->status == STRATA_OK && lsm_iter_status(m->kids[i]) != STRATA_OK)
            m->status = lsm_iter_status(m->kids[i]);
    }
    if (m->nheap > 1)
        for (size_t i = m->nheap / 2; i-- > 0;) sift_down(m, i);
}

/* after the top child moved: fix the heap */
static void fix_top(merge_iter *m)
{
    size_t top = m->heap[0];
    if (!lsm_iter_valid(m->kids[top])) {
        if (m->status == STRATA_OK && lsm_iter_status(m->kids[top]) != STRATA_OK)
            m->status = lsm_iter_status(m->kids[top]);
        m->heap[0] = m->heap[--m->nheap];
    } else {
        m->keys[top] = lsm_iter_key(m->kids[top]);
    }
    if (m->nheap > 1) sift_down(m, 0);
}

static int m_valid(lsm_iter *it)
{
    merge_iter *m = (merge_iter *)it;
    return m->nheap > 0 && m->status == STRATA_OK;
}

static void m_seek_to_first(lsm_iter *it)
{
    merge_iter *m = (merge_iter *)it;
    for (size_t i = 0; i < m->n; i++) lsm_iter_seek_to_first(m->kids[i]);
    m->dir = 1;
    rebuild(m);
}

static void m_seek_to_last(lsm_iter *it)
{
    merge_iter *m = (merge_iter *)it;
    for (size_t i = 0; i < m->n; i++) lsm_iter_seek_to_last(m->kids[i]);
    m->dir = -1;
    rebuild(m);
}

static void m_seek(lsm_iter *it, st_slice k)
{
    merge_iter *m = (merge_iter *)it;
    for (size_t i = 0; i < m->n; i++) lsm_iter_seek(m->kids[i], k);
    m->dir = 1;
    rebuild(m);
}

static void m_seek_for_prev(lsm_iter *it, st_slice k)
{
    merge_iter *m = (merge_iter *)it;
    for (size_t i = 0; i < m->n; i++) lsm_iter_seek_for_prev(m->kids[i], k);
    m->dir = -1;
    rebuild(m);
}

static st_slice save_key(merge_iter *m)
{
    st_slice k = m->keys[m->heap[0]];
    if (k.n > m->keycap) {
        size_t nc = k.n * 2;
        uint8_t *nb = realloc(m->keybuf, nc);
        if (!nb) abort();
        m->keybuf = nb;
        m->keycap = nc;
    }
    memcpy(m->keybuf, k.p, k.n);
    return st_slice_make(m->keybuf, k.n);
}

static void m_next(lsm_iter *it)
{
    merge_iter *m = (merge_iter *)it;
    if (m->dir < 0) {
        /* every child other than the current one moves to the first entry > key */
        size_t cur = m->heap[0];
        st_slice k = save_key(m);
        for (size_t i = 0; i < m->n; i++) {
            if (i == cur) continue;
            lsm_iter *c = m->kids[i];
            lsm_iter_seek(c, k);
            if (lsm_iter_valid(c) && ikey_cmp(lsm_iter_key(c), k) == 0) lsm_iter_next(c);
        }
        lsm_iter_next(m->kids[cur]);
        m->dir = 1;
        rebuild(m);
        return;
    }
    lsm_iter_next(m->kids[m->heap[0]]);
    fix_top(m);
}

static void m_prev(lsm_iter *it)
{
    merge_iter *m = (merge_iter *)it;
    if (m->dir > 0) {
        size_t cur = m->heap[0];
        st_slice k = save_key(m);
        for (size_t i = 0; i < m->n; i++) {
            if (i == cur) continue;
            lsm_iter *c = m->kids[i];
            lsm_iter_seek_for_prev(c, k);
            if (lsm_iter_valid(c) && ikey_cmp(lsm_iter_key(c), k) == 0) lsm_iter_prev(c);
        }
        lsm_iter_prev(m->kids[cur]);
        m->dir = -1;
        rebuild(m);
        return;
    }
    lsm_iter_prev(m->kids[m->heap[0]]);
    fix_top(m);
}

static st_slice m_key(lsm_iter *it)
{
    merge_iter *m = (merge_iter *)it;
    return m->keys[m->heap[0]];
}

static st_slice m_value(lsm_iter *it)
{
    merge_iter *m = (merge_iter *)it;
    return lsm_iter_value(m->kids[m->heap[0]]);
}

static int m_status(lsm_iter *it)
{
    merge_iter *m = (merge_iter *)it;
    if (m->status) return m->status;
    for (size_t i = 0; i < m->n; i++) {
        int rc = lsm_iter_status(m->kids[i]);
        if (rc) return rc;
    }
    return STRATA_OK;
}

static void m_destroy(lsm_iter *it)
{
    merge_iter *m = (merge_iter *)it;
    for (size_t i = 0; i < m->n; i++) lsm_iter_destroy(m->kids[i]);
    free(m->kids);
    free(m->max_seqs);
    free(m->heap);
    free(m->keys);
    free(m->keybuf);
    free(m);
}

/* A forward batch: the child holding the smallest key gives its entries up to the smallest key
 * of the others (or the caller's limit). The heap stays valid: that child is left on its last
 * entry returned, still below every other child. Batches are long when the children hold
 * disjoint key ranges (a memtable whose keys sort after a file's, files of different levels). */
static size_t m_next_batch(lsm_iter *it, st_slice limit, size_t max, lsm_batch *b)
{
    merge_iter *m = (merge_iter *)it;
    b->n = 0;
    if (m->dir < 0) return lsm_iter_next_batch_generic(it, limit, max, b);
    if (m->nheap == 0 || m->status != STRATA_OK) return 0;
    st_slice lim = limit;
    if (m->nheap > 1) {
        size_t c = m->heap[1];
        if (m->nheap > 2 && before(m, m->heap[2], c)) c = m->heap[2];
        st_slice k2 = m->keys[c];
        if (!lim.p || ikey_cmp(k2, lim) < 0) lim = k2;
    }
    size_t top = m->heap[0], n = lsm_iter_next_batch(m->kids[top], lim, max, b);
    /* the child stays on its last entry returned (valid), or fails (then invalid) */
    if (lsm_iter_valid(m->kids[top]))
        m->keys[top] = lsm_iter_key(m->kids[top]);
    else
        fix_top(m);
    return n;
}

static const lsm_iter_ops merge_ops = {
    m_valid, m_seek_to_first, m_seek_to_last, m_seek,   m_seek_for_prev, m_next,
    m_prev,  m_key,           m_value,        m_status, m_destroy,       m_next_batch};

lsm_iter *merge_iter_new(lsm_iter **children, const uint64_t *max_seqs, size_t n)
{
    merge_iter *m = calloc(1, sizeof *m);
    if (m) {
        m->kids = malloc((n ? n : 1) * sizeof *m->kids);
        m->max_seqs = malloc((n ? n : 1) * sizeof *m->max_seqs);
        m->heap = malloc((n ? n : 1) * sizeof *m->heap);
        m->keys = malloc((n ? n : 1) * sizeof *m->keys);
    }
    if (!m || !m->kids || !m->max_seqs || !m->heap || !m->keys) {
        for (size_t i = 0; i < n; i++) lsm_iter_destroy(children[i]);
        if (m) {
            free(m->kids);
            free(m->max_seqs);
            free(m->heap);
            free(m->keys);
            free(m);
        }
        return NULL;
    }
    m->base.ops = &merge_ops;
    m->n = n;
    if (n) memcpy(m->kids, children, n * sizeof *children);
    for (size_t i = 0; i < n; i++) m->max_seqs[i] = max_seqs ? max_seqs[i] : SEQ_MAX;
    m->dir = 1;
    return &m->base;
}

void merge_iter_reseek_older(lsm_iter *it, int dir, uint64_t t, st_slice target)
{
    merge_iter_reseek_older_and(it, dir, t, -1, target);
}

void merge_iter_reseek_older_and(lsm_iter *it, int dir, uint64_t t, long also, st_slice target)
{
    merge_iter *m = (merge_iter *)it;
    for (size_t i = 0; i < m->n; i++) {
        if (m->max_seqs[i] >= t && (long)i != also) continue;
        if (dir > 0)
            lsm_iter_seek(m->kids[i], target);
        else
            lsm_iter_seek_for_prev(m->kids[i], target);
    }
    m->dir = dir > 0 ? 1 : -1;
    rebuild(m);
}
