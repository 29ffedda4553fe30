/*
 * lsm/version_edit.h — a change to the set of live files, one MANIFEST record.
 * STORED ON DISK (MANIFEST): the tags below never change. docs/format.md.
 *
 *   record = field*, each field = [tag varint32][payload]
 *     VE_LOG_NUMBER   (1)  varint64: WALs with a smaller number are fully in SSTs
 *     VE_NEXT_FILE    (2)  varint64: next file number to allocate
 *     VE_LAST_SEQ     (3)  varint64: last sequence used
 *     VE_DELETED_FILE (4)  varint32 level, varint64 file number
 *     VE_NEW_FILE     (5)  varint32 level, varint64 number, varint64 size,
 *                          varint32 len + smallest internal key, varint32 len + largest,
 *                          varint64 min_seq, varint64 max_seq,
 *                          varint64 global_seq (0: the file's own sequences; else every entry
 *                          of the file reads as having this sequence — ingested files)
 *
 * Decoding treats the bytes as hostile: an unknown tag, a level >= STRATA_KV_LEVELS, a key
 * shorter than its 8-byte trailer or any truncation is STRATA_CORRUPT.
 */
#ifndef STRATA_LSM_VERSION_EDIT_H
#define STRATA_LSM_VERSION_EDIT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "strata_kv.h"
#include "util/slice.h"

/* Every FILE_SEEK_BYTES of a file's size buy one more read charge before it is compacted
 * (LevelDB's estimate: one seek costs about as much as compacting 16 KiB), at least
 * FILE_MIN_SEEKS. Not stored on disk. */
enum { FILE_SEEK_BYTES = 16 << 10, FILE_MIN_SEEKS = 100 };

enum {
    VE_LOG_NUMBER = 1,
    VE_NEXT_FILE = 2,
    VE_LAST_SEQ = 3,
    VE_DELETED_FILE = 4,
    VE_NEW_FILE = 5,
};

/* One SST of a version. Shared (reference counted, atomically) by every version holding it;
 * immutable after creation except the flags noted. */
typedef struct file_meta {
    _Atomic long refs;
    uint64_t number;
    uint64_t size;
    uint8_t *smallest; /* internal keys, malloc'd */
    size_t smallest_len;
    uint8_t *largest;
    size_t largest_len;
    uint64_t min_seq, max_seq;
    uint64_t global_seq;
    int being_compacted; /* guarded by the db mutex */
    /* read-triggered compaction: reads that consulted this file in vain left before the file
     * is compacted (db.c db_charge_seek); max(100, size / 16 KiB) at creation and load. Goes
     * below zero; only its crossing of zero matters. */
    _Atomic int64_t allowed_seeks;
    /* the table cache's open reader and tombstones, cached here after the first lookup so
     * reads skip the cache's lock (set once; valid while any version lists the file) */
    _Atomic(void *) reader;
    _Atomic(void *) rd;
} file_meta;

file_meta *file_meta_new(uint64_t number, uint64_t size, st_slice smallest, st_slice largest,
                         uint64_t min_seq, uint64_t max_seq, uint64_t global_seq);
void file_meta_ref(file_meta *f);
void file_meta_unref(file_meta *f);
static inline st_slice file_smallest(const file_meta *f)
{
    return st_slice_make(f->smallest, f->smallest_len);
}
static inline st_slice file_largest(const file_meta *f)
{
    return st_slice_make(f->largest, f->largest_len);
}

typedef struct ve_new_file {
    int level;
    file_meta *f; /* one reference owned by the edit */
} ve_new_file;

typedef struct ve_deleted {
    int level;
    uint64_t number;
} ve_deleted;

typedef struct version_edit {
    int has_log_number, has_next_file, has_last_seq;
    uint64_t log_number, next_file, last_seq;
    ve_new_file *added;
    size_t nadded, capadded;
    ve_deleted *deleted;
    size_t ndeleted, capdeleted;
} version_edit;

void ve_init(version_edit *e);
void ve_clear(version_edit *e); /* frees; e can be reused after ve_init */
/* Adds a new file; the edit takes a new reference of f. */
int ve_add_file(version_edit *e, int level, file_meta *f);
int ve_delete_file(version_edit *e, int level, uint64_t number);
/* Encodes into *out (malloc'd). */
int ve_encode(const version_edit *e, uint8_t **out, size_t *n);
/* Decodes hostile bytes into e (ve_init'd by the call). STRATA_OK or STRATA_CORRUPT. */
int ve_decode(version_edit *e, const uint8_t *p, size_t n);

#endif
