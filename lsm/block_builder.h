/*
 * lsm/block_builder.h — builds one SST block (data or index) of sorted keys with prefix
 * compression and restart points. Layout (STORED ON DISK, see lsm/sst_format.h):
 *
 *   +---------+---------+-----+----------------+---------+-----------------+
 *   | entry 0 | entry 1 | ... | restart[0] u32 | ...     | num_restarts u32|
 *   +---------+---------+-----+----------------+---------+-----------------+
 *   entry = varint32 shared | varint32 non_shared | varint32 value_len
 *           | key bytes [shared, shared + non_shared) | value bytes
 *
 * "shared" is the length of the prefix the key has in common with the previous entry's key; at
 * a restart point it is 0 and restart[i] (LE u32) is the entry's offset in the block. A restart
 * point every `restart_interval` entries lets a reader binary-search the restarts then scan at
 * most restart_interval entries. A block always has at least one restart (an empty block is
 * restart[0] = 0, num_restarts = 1).
 *
 * Thread-safety: one thread per builder.
 */
#ifndef STRATA_LSM_BLOCK_BUILDER_H
#define STRATA_LSM_BLOCK_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "util/slice.h"

typedef struct block_builder {
    uint8_t *buf; /* entries, then restarts at finish */
    size_t len, cap;
    uint32_t *restarts;
    size_t nrestarts, restarts_cap;
    int restart_interval;
    int counter;       /* entries since the last restart */
    size_t nentries;   /* entries since reset */
    uint8_t *last_key; /* copy of the last key added */
    size_t last_len, last_cap;
    int finished;
} block_builder;

void block_builder_init(block_builder *b, int restart_interval);
void block_builder_destroy(block_builder *b);
/* Empties the builder for the next block (keeps its buffers). */
void block_builder_reset(block_builder *b);
/* REQUIRES: not finished; key > every key added since reset (the caller's order).
 * Returns STRATA_OK or STRATA_NOMEM. */
int block_builder_add(block_builder *b, st_slice key, st_slice value);
/* Appends the restart array; the block stays valid until reset/destroy. */
st_slice block_builder_finish(block_builder *b);
/* Size the block would have if finished now. */
size_t block_builder_size(const block_builder *b);
static inline int block_builder_empty(const block_builder *b)
{
    return b->nentries == 0;
}
static inline st_slice block_builder_last_key(const block_builder *b)
{
    return st_slice_make(b->last_key, b->last_len);
}

#endif
