/*
 * lsm/write_batch.h — the encoding of a strata_kv_batch, which is also the payload of one WAL
 * record. STORED ON DISK (in the WAL): never change. docs/format.md describes it.
 *
 *   header  [sequence u64 LE][count u32 LE]                      (WB_HEADER = 12 bytes)
 *   record  [kind u8][key len varint][key][value len varint][value]   kind KIND_PUT
 *           [kind u8][key len varint][key]                            kind KIND_DELETE
 *           [kind u8][start len varint][start][end len varint][end]   kind KIND_RANGE_DEL
 *
 * Record i of a batch with sequence S gets sequence S + i. The batch API (strata_kv_batch_*,
 * public) enforces the limits of strata_kv.h; a failed call leaves the batch unchanged.
 * wb_iter reads an encoded batch from hostile bytes: any malformed record is STRATA_CORRUPT.
 */
#ifndef STRATA_LSM_WRITE_BATCH_H
#define STRATA_LSM_WRITE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "strata_kv.h"
#include "util/coding.h"
#include "util/slice.h"

#define WB_HEADER 12

struct strata_kv_batch {
    uint8_t *data; /* header + records */
    size_t len, cap;
    uint32_t count;
    uint64_t user_bytes; /* keys + values */
};

static inline uint64_t wb_sequence(const strata_kv_batch *b)
{
    return get_le64(b->data);
}
void wb_set_sequence(strata_kv_batch *b, uint64_t seq);
/* Appends the records of src to b (group commit). STRATA_NOMEM on failure. */
int wb_append(strata_kv_batch *b, const strata_kv_batch *src);
/* Adds a record without the limit checks (REQUIRES valid sizes). */
int wb_add(strata_kv_batch *b, int kind, st_slice key, st_slice value);

typedef struct wb_iter {
    const uint8_t *p, *end;
    uint32_t count, seen;
    uint64_t seq;
} wb_iter;

/* STRATA_OK or STRATA_CORRUPT (shorter than the header). */
int wb_iter_init(wb_iter *it, const uint8_t *data, size_t n);
/* STRATA_OK with the next record (slices point into the data), STRATA_DONE after the last
 * (checking the count), or STRATA_CORRUPT. */
int wb_iter_next(wb_iter *it, int *kind, st_slice *key, st_slice *value);

#endif
