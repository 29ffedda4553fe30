/*
 * lsm/merge_iter.h — the merging iterator: one ordered stream (internal-key order) over N child
 * lsm_iters, forward and backward, like LevelDB's MergingIterator but with a binary heap (a
 * min-heap going forward, a max-heap going backward). Changing direction repositions every
 * child around the current key, as LevelDB does.
 *
 * merge_iter_reseek_older: for range-tombstone skipping. Each child has a "max sequence" (given
 * at creation: nothing in the child is newer); children whose max sequence is below a tombstone
 * sequence t hold only covered entries inside the tombstone's fragment, so they can be moved
 * past it with one seek each while the other children stay where they are.
 *
 * Owns its children (destroyed with it). Used by one thread at a time.
 */
#ifndef STRATA_LSM_MERGE_ITER_H
#define STRATA_LSM_MERGE_ITER_H

#include <stddef.h>
#include <stdint.h>

#include "lsm/iter.h"

/* Takes ownership of children[0..n) (the array is copied). max_seqs may be NULL (all
 * SEQ_MAX). Returns NULL when out of memory (the children are destroyed). */
lsm_iter *merge_iter_new(lsm_iter **children, const uint64_t *max_seqs, size_t n);

/* Forward (dir > 0): every child with max_seq < t is sought to target (first entry >= target);
 * backward (dir < 0): sought with seek_for_prev(target). The merged position is then the
 * smallest (largest) child. REQUIRES: the iterator moves in that direction already. */
void merge_iter_reseek_older(lsm_iter *it, int dir, uint64_t t, st_slice target);
/* The same, also seeking child `also` (an index in the children given at creation; -1 for
 * none) whatever its max sequence: for a child known to hold only entries older than t inside
 * the range (a memtable whose tombstone t is clean, memtable.h). */
void merge_iter_reseek_older_and(lsm_iter *it, int dir, uint64_t t, long also, st_slice target);

#endif
