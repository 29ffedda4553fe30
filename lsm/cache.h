/*
 * lsm/cache.h — the sharded block cache of uncompressed SST blocks.
 *
 * Keyed by (file number, block offset). Shards (power of two, by key hash) each evict by CLOCK
 * (second chance) under their own mutex; entries are reference counted: a handle returned by
 * lookup or insert keeps its block alive (even after eviction) until released. Capacity is in
 * bytes of block data (split evenly over the shards); capacity 0 caches nothing, nor does a
 * shard cache a block larger than itself (insert returns a handle to an uncached entry).
 *
 * Thread-safety: every function may be called from any thread concurrently, except
 * block_cache_free.
 */
#ifndef STRATA_LSM_CACHE_H
#define STRATA_LSM_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct block_cache block_cache;
typedef struct cache_handle cache_handle;

block_cache *block_cache_new(size_t capacity);
void block_cache_free(block_cache *c); /* REQUIRES: no handle outstanding */
/* NULL when absent (counts a miss); a hit counts a hit. */
cache_handle *block_cache_lookup(block_cache *c, uint64_t file, uint64_t offset);
/* block_cache_lookup, and on a miss also *buf = block_cache_buffer(len) (one lock for both):
 * the handle on a hit (*buf NULL); NULL on a miss with *buf and *cap set (*buf NULL: out of
 * memory). */
cache_handle *block_cache_lookup_buffer(block_cache *c, uint64_t file, uint64_t offset, size_t len,
                                        void **buf, size_t *cap);
/* Takes ownership of data (malloc'd, freed with free() when the last reference goes). If the key
 * is present already, the new data is freed and the present entry returned. NULL only when out
 * of memory (data is freed then). cap: the bytes allocated at data when the buffer may be
 * recycled for another block once evicted (block_cache_buffer), else 0. */
cache_handle *block_cache_insert(block_cache *c, uint64_t file, uint64_t offset, void *data,
                                 size_t size, size_t cap);
void block_cache_release(block_cache *c, cache_handle *h); /* h may be NULL */
/* A malloc'd buffer of *cap >= len bytes to read the block at (file, offset) into before it is
 * inserted (with that cap): the buffer of an evicted block when one fits (saving a malloc and a
 * free per miss once the cache is full), else a new one. Freed with free() or handed to
 * block_cache_insert. NULL when out of memory. */
void *block_cache_buffer(block_cache *c, uint64_t file, uint64_t offset, size_t len, size_t *cap);
/* 1 when inserting size bytes at (file, offset) would evict something (its shard is full). */
int block_cache_full(block_cache *c, uint64_t file, uint64_t offset, size_t size);
const void *cache_handle_data(const cache_handle *h);
size_t cache_handle_size(const cache_handle *h);
/* Drops the entries of a file (deleted by compaction). */
void block_cache_erase_file(block_cache *c, uint64_t file);
void block_cache_stats(block_cache *c, uint64_t *hits, uint64_t *misses, size_t *usage);

#endif
