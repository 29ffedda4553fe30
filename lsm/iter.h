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

#endif
