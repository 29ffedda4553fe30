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

#endif
