/*
 * lsm/block_reader.h — decoding one SST block (layout in lsm/block_builder.h): an iterator over
 * its entries whose keys are internal keys (lsm/dbformat.h, compared with ikey_cmp).
 *
 * The bytes are hostile: every varint, length, restart offset and key length (>= 8, the internal
 * key trailer) is bounds-checked; a bad block makes the iterator invalid with corrupt set, it
 * never reads outside [data, data + n). The caller turns `corrupt` into an STRATA_CORRUPT error
 * naming the file and block.
 *
 * Keys are decoded into a buffer the iterator reuses (no allocation per entry): a key stored
 * whole (shared == 0) points straight into the block, others are rebuilt in `kbuf` (inline
 * storage first, then the heap). The key and value slices stay valid until the iterator moves,
 * is reset on another block or destroyed, and while the block's bytes stay alive.
 *
 * A block_iter must not be copied by value (kbuf may point at its own sbuf).
 * Thread-safety: one thread per iterator; the block bytes may be shared read-only.
 */
#ifndef STRATA_LSM_BLOCK_READER_H
#define STRATA_LSM_BLOCK_READER_H

#include <stddef.h>
#include <stdint.h>

#include "util/slice.h"

typedef struct block_iter {
    const uint8_t *data;
    uint32_t restarts; /* offset of the restart array (= end of the entries) */
    uint32_t nrestarts;
    uint32_t cur;       /* offset of the current entry; == restarts when invalid */
    uint32_t next;      /* offset after the current entry */
    uint32_t restart_i; /* a restart at or before cur (prev brings it to cur's region) */
    int corrupt;
    st_slice key, value;
    uint8_t *kbuf;
    size_t kcap;
    uint8_t sbuf[128];
} block_iter;

void block_iter_init(block_iter *it);
void block_iter_destroy(block_iter *it);
/* Points the iterator at a block (keeps the key buffer); the iterator is left invalid. Returns 0,
 * or -1 (and corrupt set) when the restart array is impossible. */
int block_iter_reset(block_iter *it, const uint8_t *data, size_t n);

static inline int block_iter_valid(const block_iter *it)
{
    return it->cur < it->restarts && !it->corrupt;
}
void block_iter_seek_to_first(block_iter *it);
void block_iter_seek_to_last(block_iter *it);
/* First entry with key >= target (internal key order). */
void block_iter_seek(block_iter *it, st_slice target);
void block_iter_next(block_iter *it);
void block_iter_prev(block_iter *it);
/* Puts the iterator back on an entry it was on: offsets cur/next, its whole key (copied) and
 * value. For a caller that read one entry past where it means to stay. 0, or -1 out of memory
 * (the iterator is then invalid). */
int block_iter_restore(block_iter *it, uint32_t cur, uint32_t next, st_slice key, st_slice value);

/* A forward batch within the block (lsm/iter.h): keys[0..n) / vals[0..n) = the current entry
 * and the ones after it while their key is < limit (when check), n <= max; each key is rebuilt
 * straight into kbuf (cap bytes; the batch stops when the next would not fit, but takes at
 * least the current entry, whose key may then point into the iterator). The iterator is left
 * on the last entry returned. A corrupt entry ends the batch before it (the next move reports
 * it). REQUIRES: valid, and the current entry < limit when check. */
size_t block_iter_next_batch(block_iter *it, st_slice limit, int check, size_t max, st_slice *keys,
                             st_slice *vals, uint8_t *kbuf, size_t cap);

#endif
