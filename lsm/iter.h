/*
 * lsm/iter.h — the internal iterator: one vtable implemented by the memtable, an SST, a level
 * (concatenation of SSTs) and the merging iterator. Keys are internal keys (dbformat.h).
 *
 * key/value slices stay valid until the iterator moves or is destroyed. An iterator that meets
 * an error becomes invalid and reports it through status().
 */
#ifndef STRATA_LSM_ITER_H
#define STRATA_LSM_ITER_H

#include "util/slice.h"

typedef struct lsm_iter lsm_iter;

/* Receives one entry of a forward run (see lsm_iter_run); the slices are valid only during the
 * call. Returns 0 to go on, non-zero to stop the run ON this entry (the iterator stays there). */
typedef int (*lsm_run_fn)(void *ctx, st_slice ikey, st_slice value);

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
    /* Optional (NULL: the generic loop of lsm_iter_run_generic): see lsm_iter_run. */
    int (*run)(lsm_iter *it, st_slice limit, lsm_run_fn fn, void *ctx);
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

/* The generic forward run: valid / key / compare / fn / next, one entry at a time. */
int lsm_iter_run_generic(lsm_iter *it, st_slice limit, lsm_run_fn fn, void *ctx);

/* A forward run: passes each entry from the current position whose internal key is < limit
 * (limit.p == NULL: no limit) to fn, in order, moving past it when fn returns 0. Stops (and
 * returns) when fn returns non-zero — that value is returned and the iterator stays on the entry
 * fn refused — or at the first entry >= limit, or at the end (returns 0; the iterator is then on
 * that entry or invalid: check status). It is the same walk as a loop of next calls; iterators
 * that can do it without a call per entry through the vtable (a block's entries, a level's files,
 * the merging iterator's child that holds the smallest keys) implement `run`.
 * REQUIRES: the iterator was last positioned by seek / seek_to_first / next (forward). */
static inline int lsm_iter_run(lsm_iter *it, st_slice limit, lsm_run_fn fn, void *ctx)
{
    return it->ops->run ? it->ops->run(it, limit, fn, ctx)
                        : lsm_iter_run_generic(it, limit, fn, ctx);
}

#endif
