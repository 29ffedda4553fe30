/*
 * lsm/table_cache.h — open SST readers kept per file number, and the per-file view the db reads
 * through: point gets, iterators and range tombstones, with the file's global sequence applied.
 *
 * An ingested file (file_meta.global_seq != 0) stores its entries with sequence 0; every read
 * through this module presents them with the global sequence instead (gets report it, iterators
 * rewrite the key trailer), so the rest of the kernel never sees the difference. Compaction
 * rewrites such files with real sequences.
 *
 * Readers stay open until tc_evict (called when the file is deleted). A file is deleted only
 * when no live version lists it, so a reader obtained under a version reference stays valid
 * while that reference is held. Thread-safe (one mutex around the map).
 */
#ifndef STRATA_LSM_TABLE_CACHE_H
#define STRATA_LSM_TABLE_CACHE_H

#include <pthread.h>

#include "lsm/iter.h"
#include "lsm/range_del.h"
#include "lsm/sst.h"
#include "lsm/version_edit.h"

typedef struct tc_entry tc_entry;

typedef struct table_cache {
    strata_env *env;
    char *dir;
    block_cache *bc;
    pthread_mutex_t mu;
    tc_entry **buckets;
    size_t nbuckets;
} table_cache;

int tc_init(table_cache *tc, strata_env *env, const char *dir, block_cache *bc);
void tc_destroy(table_cache *tc);
/* The reader and the fragmented tombstones of f (borrowed). */
int tc_find(table_cache *tc, const file_meta *f, sst_reader **r, range_del_list **rd);
void tc_evict(table_cache *tc, uint64_t number);

/* Newest entry of ukey with sequence <= seq in f (global sequence applied): as sst_reader_get. */
int tc_get(table_cache *tc, const file_meta *f, st_slice ukey, uint64_t seq, int *kind,
           uint64_t *found_seq, uint8_t **val, size_t *vlen);
/* An iterator over f's point entries (global sequence applied). NULL + *rc on error. */
lsm_iter *tc_iter(table_cache *tc, const file_meta *f, int fill_cache, int *rc);
/* A forward/backward concatenation of the sorted, non-overlapping files[0..n) of one level:
 * opens each file's iterator only when reached. Copies the array and references the files. */
lsm_iter *tc_level_iter(table_cache *tc, file_meta *const *files, size_t n, int fill_cache);

#endif
