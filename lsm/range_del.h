/*
 * lsm/range_del.h — fragmented range tombstones.
 *
 * A set of tombstones (start, end, seq) — possibly overlapping — is cut into fragments: sorted,
 * non-overlapping [start, end) user-key intervals, each with the sequences of every tombstone
 * that covers it (descending). At read sequence S, the tombstone that matters for a key is the
 * largest sequence <= S among the seqs of the fragment holding the key: an entry of that key with
 * a smaller sequence is deleted. Adjacent fragments with the same seqs are merged.
 *
 * Queries are O(log n) (binary search over fragments). A list is immutable once built and owns
 * copies of its keys; it is reference counted (atomically) so readers can share a cached list.
 *
 * Clean flags (memtable lists only, rd_build_flagged): a tombstone is "clean" when its source
 * holds no point entry inside [start, end) with a larger sequence, so every entry of that source
 * in the range is deleted by it. Per fragment, clean[i] says so for seqs[i] (all tombstones of that
 * sequence covering the fragment are clean); NULL when the list has no flags.
 */
#ifndef STRATA_LSM_RANGE_DEL_H
#define STRATA_LSM_RANGE_DEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lsm/dbformat.h"
#include "util/slice.h"

typedef struct rd_frag {
    st_slice start;
    st_slice end;
    const uint64_t *seqs; /* descending */
    const uint8_t *clean; /* parallel to seqs, or NULL (no flags: never clean) */
    size_t nseq;
} rd_frag;

typedef struct range_del_list {
    _Atomic long refs;
    size_t n;
    rd_frag *frags;
    uint64_t *seqs;
    uint8_t *clean; /* parallel to seqs; NULL without flags */
    uint8_t *keys;
} range_del_list;

/* Builds the fragments of ts[0..n) (copies keys; tombstones with start >= end are ignored).
 * Returns a list with one reference; NULL only when out of memory. n may be 0. */
range_del_list *rd_build(const range_tombstone *ts, size_t n);
/* As rd_build, with clean[i] (0 or 1) the flag of ts[i] (see above). */
range_del_list *rd_build_flagged(const range_tombstone *ts, const uint8_t *clean, size_t n);
static inline void rd_ref(range_del_list *l)
{
    atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
}
void rd_unref(range_del_list *l); /* NULL is a no-op */

/* The largest tombstone sequence <= read_seq covering ukey (0 if none); *frag (may be NULL)
 * receives the fragment holding ukey (NULL when no fragment does). */
uint64_t rd_max_covering(const range_del_list *l, st_slice ukey, uint64_t read_seq,
                         const rd_frag **frag);

/* 1 when f's tombstone(s) of sequence t are all clean (f may be NULL: 0). */
int rd_frag_clean(const rd_frag *f, uint64_t t);

/* Index of the first fragment whose end > ukey (l->n when none). */
size_t rd_lower_bound(const range_del_list *l, st_slice ukey);

#endif
