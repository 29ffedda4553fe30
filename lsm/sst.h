/*
 * lsm/sst.h — sorted string tables: the builder writes one, the reader serves gets and
 * iterators from one. Layout in lsm/sst_format.h and docs/format.md.
 *
 * File: data blocks (prefix-compressed internal keys with restart points; zstd per block when
 * the level asks for it), a bloom filter over user keys (xxh3, ~bits_per_key), a range-tombstone
 * block, a properties block, an index block (last key of each data block → handle), and a
 * fixed-size footer with a magic number and its own checksum. Every block carries a trailer
 * (compression type + xxh3 checksum). A bad checksum or an impossible length is STRATA_CORRUPT,
 * never a crash, whatever the bytes.
 *
 * Thread-safety: a builder is used by one thread. A reader is immutable after open and safe to
 * use from many threads (its blocks come from the shared block cache or private buffers).
 */
#ifndef STRATA_LSM_SST_H
#define STRATA_LSM_SST_H

#include <stddef.h>
#include <stdint.h>

#include "lsm/cache.h"
#include "lsm/dbformat.h"
#include "lsm/env.h"
#include "lsm/iter.h"
#include "util/slice.h"

typedef struct sst_build_options {
    size_t block_size;      /* target uncompressed data block size */
    int compression;        /* STRATA_KV_COMPRESS_NONE or _ZSTD */
    int compression_level;  /* zstd level */
    int bloom_bits_per_key; /* 0: no filter */
    /* NULL, or a cache that every data block written goes into (uncompressed, under
     * (file_number, offset), as sst_reader looks it up) */
    block_cache *fill_cache;
    uint64_t file_number;
} sst_build_options;

/* What a finished table holds; keys are malloc'd copies owned by the struct
 * (sst_properties_clear frees them). smallest/largest are internal keys and cover both the
 * point entries and the range tombstones (a tombstone [s, e)@seq counts as s@seq .. e@SEQ_MAX). */
typedef struct sst_properties {
    uint8_t *smallest;
    size_t smallest_len;
    uint8_t *largest;
    size_t largest_len;
    uint64_t min_seq, max_seq;
    uint64_t num_entries;    /* point entries (puts + deletes) */
    uint64_t num_deletes;    /* point tombstones */
    uint64_t num_range_dels; /* range tombstones */
    uint64_t raw_key_bytes, raw_value_bytes;
    uint64_t data_bytes; /* bytes of data blocks on disk */
    uint64_t file_size;
} sst_properties;

void sst_properties_clear(sst_properties *p);

typedef struct sst_builder sst_builder;

/* Creates path (must not exist) and prepares to write. */
int sst_builder_new(strata_env *env, const char *path, const sst_build_options *o,
                    sst_builder **out);
/* REQUIRES: ikey > every key added before (internal key order); kind PUT or DELETE. */
int sst_builder_add(sst_builder *b, st_slice ikey, st_slice value);
/* Range tombstones may be added in any order; the builder sorts them by (start, seq desc). */
int sst_builder_add_range_del(sst_builder *b, st_slice start, st_slice end, uint64_t seq);
uint64_t sst_builder_num_entries(const sst_builder *b);
uint64_t sst_builder_estimated_size(const sst_builder *b); /* bytes written + pending */
/* Writes the remaining blocks and the footer, fdatasyncs, closes; fills *props (may be NULL).
 * The builder is freed whatever the result; on error the file is removed. */
int sst_builder_finish(sst_builder *b, sst_properties *props);
/* Closes and removes the file; frees the builder. */
void sst_builder_abandon(sst_builder *b);

typedef struct sst_reader sst_reader;

/* Opens an SST: reads and verifies the footer, index, filter, range-tombstone and properties
 * blocks (two reads). file_number keys the block cache (cache may be NULL: blocks are then
 * read for each use). STRATA_CORRUPT (with path and offset) for anything inconsistent. */
int sst_reader_open(strata_env *env, const char *path, uint64_t file_number, block_cache *cache,
                    sst_reader **out);
void sst_reader_close(sst_reader *r);
const sst_properties *sst_reader_properties(const sst_reader *r);
/* The file's range tombstones, sorted by start then seq descending; owned by the reader. */
const range_tombstone *sst_reader_range_dels(const sst_reader *r, size_t *n);

/* Point lookup of the newest entry of ukey with sequence <= seq.
 * Returns STRATA_OK with *kind = KIND_PUT (value copied to *val, malloc'd) or KIND_DELETE;
 * STRATA_NOTFOUND if the file has no such entry (the bloom filter may answer without I/O);
 * or an error. *found_seq receives the entry's sequence. Range tombstones are NOT applied
 * here (the caller does, from sst_reader_range_dels). */
int sst_reader_get(sst_reader *r, st_slice ukey, uint64_t seq, int *kind, uint64_t *found_seq,
                   uint8_t **val, size_t *vlen);

/* Multi-get support, so one io submission can serve many keys:
 * sst_reader_locate: bloom + index; STRATA_NOTFOUND if the key cannot be in the file, else
 * fills the block to read (offset, len incl. trailer) and *cached (non-NULL when the block is in
 * the cache already: then no read is needed; the caller releases it with block_cache_release
 * after sst_reader_get_in_block). The block located is the one holding the key's newest entry.
 * sst_reader_get_in_block: finishes the lookup in a block's raw bytes (as read from disk, with
 * trailer: verified, decompressed, inserted into the cache; raw_len must equal ref->len, else
 * STRATA_CORRUPT: a short read means a truncated file) or in the cached block (raw ignored).
 * Same results as sst_reader_get; when the entry visible at seq lies in a later block (a key
 * with many versions), that block is read synchronously. raw stays the caller's. */
typedef struct sst_block_ref {
    uint64_t offset;
    size_t len;
    cache_handle *cached;
} sst_block_ref;
int sst_reader_locate(sst_reader *r, st_slice ukey, sst_block_ref *ref);
int sst_reader_get_in_block(sst_reader *r, const sst_block_ref *ref, const uint8_t *raw,
                            size_t raw_len, st_slice ukey, uint64_t seq, int *kind,
                            uint64_t *found_seq, uint8_t **val, size_t *vlen);
strata_file *sst_reader_file(sst_reader *r);

typedef struct sst_iter_options {
    int fill_cache; /* 1: blocks read are added to the cache */
    int readahead;  /* data blocks to read ahead in one batch when scanning (0: none) */
} sst_iter_options;

/* An iterator over the point entries (internal keys, every version), as lsm_iter; o NULL means
 * {fill_cache 1, readahead 0}. Read-ahead applies to forward scans (seek_to_first, and next
 * crossing into the following block): the next block and up to `readahead` more are read with
 * one request. NULL when out of memory. The reader must outlive the iterator. */
lsm_iter *sst_reader_iter(sst_reader *r, const sst_iter_options *o);

#endif
