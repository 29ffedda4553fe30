/*
 * lsm/iter.h — the internal iterator: one vtable implemented by the memtable, an SST, a level
 * (concatenation of SSTs) and the merging iterator. Keys are internal keys (dbformat.h).
 *
 * key/value slices stay valid until the iterator moves or is destroyed. An iterator that meets
 * an error becomes invalid and reports it through status().
 */
#ifndef STRATA_LSM_ITER_H
#define STRATA_LSM_ITER_H

#include <stddef.h>
#include <stdint.h>

#include "util/slice.h"

typedef struct lsm_iter lsm_iter;

/* A batch of consecutive entries (see lsm_iter_next_batch). */
#define LSM_BATCH_MAX       256
#define LSM_BATCH_KEY_BYTES 8192
typedef struct lsm_batch {
    size_t n;
    st_slice key[LSM_BATCH_MAX]; /* internal keys */
    st_slice val[LSM_BATCH_MAX];
    uint8_t kbuf[LSM_BATCH_KEY_BYTES]; /* copies of keys that would not stay valid */
} lsm_batch;

typedef struct lsm_iter_ops {
    int (*valid)(lsm_iter *it);
    void (*seek_to_first)(lsm_iter *it);
    void (*seek_to_last)(lsm_iter *it);
    void (*seek)(lsm_iter *it, st_slice ikey);          /* first entry >= ikey */
    void (*seek_for_prev)(lsm_iter *it, st_slice ikey); /* last entry <= ikey */
    void (*next)(lsm_iter *it);
    void (*prev)(lsm_iter *it);
    st_slice (*key)(lsm_iter *it);
    st_slice (*value)(lsm_iter *it);
    int (*status)(lsm_iter *it);
    void (*destroy)(lsm_iter *it);
    /* Optional (NULL: lsm_iter_next_batch_generic, one entry): see lsm_iter_next_batch. */
    size_t (*next_batch)(lsm_iter *it, st_slice limit, size_t max, lsm_batch *b);
} lsm_iter_ops;

struct lsm_iter {
    const lsm_iter_ops *ops;
};

static inline int lsm_iter_valid(lsm_iter *it)
{
    return it->ops->valid(it);
}
static inline void lsm_iter_seek_to_first(lsm_iter *it)
{
    it->ops->seek_to_first(it);
}
static inline void lsm_iter_seek_to_last(lsm_iter *it)
{
    it->ops->seek_to_last(it);
}
static inline void lsm_iter_seek(lsm_iter *it, st_slice k)
{
    it->ops->seek(it, k);
}
static inline void lsm_iter_seek_for_prev(lsm_iter *it, st_slice k)
{
    it->ops->seek_for_prev(it, k);
}
static inline void lsm_iter_next(lsm_iter *it)
{
    it->ops->next(it);
}
static inline void lsm_iter_prev(lsm_iter *it)
{
    it->ops->prev(it);
}
static inline st_slice lsm_iter_key(lsm_iter *it)
{
    return it->ops->key(it);
}
static inline st_slice lsm_iter_value(lsm_iter *it)
{
    return it->ops->value(it);
}
static inline int lsm_iter_status(lsm_iter *it)
{
    return it->ops->status(it);
}
static inline void lsm_iter_destroy(lsm_iter *it)
{
    if (it) it->ops->destroy(it);
}

/* One entry: the current one, if it is < limit. */
size_t lsm_iter_next_batch_generic(lsm_iter *it, st_slice limit, size_t max, lsm_batch *b);

/* A forward batch: b->key/val[0..n) = the current entry and the ones after it, in order, all
 * with internal keys < limit (limit.p == NULL: no limit), n <= max and <= LSM_BATCH_MAX; returns
 * n. The iterator is left ON the last entry returned (next moves past it), or unmoved when n is
 * 0 (invalid, or the current entry >= limit). The slices stay valid until the iterator moves.
 * A batch holds what one source gives without a call per entry through the vtable: a run of
 * one block, of a memtable, or of the merging iterator's child holding the smallest keys; fewer
 * than max entries does not mean the end. REQUIRES: last positioned by a forward move. */
static inline size_t lsm_iter_next_batch(lsm_iter *it, st_slice limit, size_t max, lsm_batch *b)
{
    return it->ops->next_batch ? it->ops->next_batch(it, limit, max, b)
                               : lsm_iter_next_batch_generic(it, limit, max, b);
}

#endif
