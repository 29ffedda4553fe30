/*
 * strata_kv.h — the public API of strata's storage kernel: an LSM tree with first-class range
 * deletes that does its own I/O through io_uring.
 *
 * Conventions (as in strata.h):
 *   - Opaque handles; keys and values are pointer + length; keys compare bytewise (memcmp, then
 *     shorter first).
 *   - Every function returning int returns STRATA_OK or an error code from strata_status.h;
 *     the message of the last error on the calling thread is strata_kv_errmsg().
 *   - A strata_kv is safe to share between threads. A batch or an iterator is used by one thread
 *     at a time.
 *   - Memory handed to the caller (strata_kv_get's value, multi_get's values) is freed with
 *     strata_kv_free().
 *
 * Limits: a key is 1..STRATA_KV_MAX_KEY bytes (the empty key is reserved), a value at most
 * STRATA_KV_MAX_VALUE bytes, a batch at most STRATA_KV_MAX_BATCH bytes encoded. Beyond them a call
 * returns STRATA_TOOBIG and writes nothing.
 */
#ifndef STRATA_KV_H
#define STRATA_KV_H

#include <stddef.h>
#include <stdint.h>

#include "strata_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define STRATA_KV_MAX_KEY   (64u * 1024u)
#define STRATA_KV_MAX_VALUE (64u * 1024u * 1024u)
#define STRATA_KV_MAX_BATCH (512u * 1024u * 1024u)
#define STRATA_KV_LEVELS    7

typedef struct strata_kv strata_kv;
typedef struct strata_kv_batch strata_kv_batch;
typedef struct strata_kv_iter strata_kv_iter;
typedef struct strata_kv_snapshot strata_kv_snapshot;
typedef struct strata_kv_sst_writer strata_kv_sst_writer;
typedef struct strata_env strata_env; /* lsm/env.h: the OS boundary (io_uring, sync, fault) */

typedef enum strata_kv_compression {
    STRATA_KV_COMPRESS_NONE = 0,
    STRATA_KV_COMPRESS_ZSTD = 1,
} strata_kv_compression;

/* In every mode, a WAL is fdatasync'd once more when the memtable switches to a new WAL, so
 * what survives a power loss is always a prefix of the acknowledged writes that includes every
 * write acknowledged with sync. */
typedef enum strata_kv_sync_mode {
    STRATA_KV_SYNC_OFF = 0,    /* WAL written, never fsynced by commits (flushes still sync) */
    STRATA_KV_SYNC_NORMAL = 1, /* default: WAL fdatasync'd only for writes that ask for it */
    STRATA_KV_SYNC_FULL = 2,   /* every commit fdatasyncs the WAL before it returns */
} strata_kv_sync_mode;

typedef enum strata_kv_io_backend {
    STRATA_KV_IO_DEFAULT = 0, /* io_uring, unless STRATA_IO=sync or the ring cannot be set up */
    STRATA_KV_IO_URING = 1,   /* io_uring; falls back to sync (said once) if setup fails */
    STRATA_KV_IO_SYNC = 2,    /* pread/pwrite */
} strata_kv_io_backend;

typedef struct strata_kv_options {
    int create_if_missing; /* default 1 */
    int error_if_exists;   /* default 0 */
    /* memtable size before a flush; default 64 MiB, >= 64 KiB (see also
     * read_triggered_compaction: a memtable that scans read through is flushed early) */
    size_t write_buffer_size;
    size_t block_size;       /* SST data block target; default 4 KiB, 256 B .. 4 MiB */
    size_t block_cache_size; /* bytes of uncompressed blocks; default 64 MiB, 0 = no cache */
    size_t target_file_size; /* SST output size; default 64 MiB */
    uint64_t max_bytes_for_level_base;       /* L1 size; default 256 MiB; each level 10x */
    int level0_compaction_trigger;           /* default 4 */
    int level0_slowdown_trigger;             /* default 12 */
    int level0_stop_trigger;                 /* default 20 */
    int compression[STRATA_KV_LEVELS];       /* per level; default NONE for L0, ZSTD for L1+ */
    int compression_level[STRATA_KV_LEVELS]; /* zstd level, 1..19; default 3 */
    int bloom_bits_per_key;                  /* default 10; 0 = no filter; max 64 */
    int sync_mode;                           /* strata_kv_sync_mode; default NORMAL */
    int io_backend;                          /* strata_kv_io_backend; default DEFAULT */
    int background_compaction;               /* default 1: a compaction thread; 0: inline */
    /* default 1: reads trigger compactions (as LevelDB's allowed_seeks). A file that gets and
     * iterators keep consulting in vain (its key range covers the key, a newer file or a lower
     * level decides it) is compacted into the next level once it has been charged
     * max(100, file size / 16 KiB) times, so a read-heavy workload converges to a shape with
     * few overlapping files (an empty L0) even when writes alone never reach a compaction
     * trigger. Likewise a memtable that bulk reads (strata_kv_iter_next_batch,
     * strata_kv_iter_scan) have read a quarter of, and at least 64K entries, is flushed early
     * in the background: a skiplist walk costs a cache miss per entry, an SST
     * block scan a fraction of that. 0: only size and file-count triggers compact and only a
     * full memtable is flushed (a fixed shape, for tests). */
    int read_triggered_compaction;
    /* default 1: a flush puts the data blocks it writes into the block cache (as RocksDB's
     * prepopulate_block_cache = kFlushOnly): what was just written is what is read soonest, and
     * the first scan after a flush then neither reads nor verifies the new file. Compactions
     * never do (they rewrite old data). 0: the cache holds only blocks that reads brought in. */
    int fill_cache_on_flush;
    strata_env *env; /* NULL: the env chosen by io_backend */
} strata_kv_options;

/* Fills *o with the defaults above. */
void strata_kv_options_init(strata_kv_options *o);

/* The message of the last error returned on this thread ("" if none). Valid until the next call
 * on this thread. */
const char *strata_kv_errmsg(void);
void strata_kv_free(void *p);

/* ---- open, close ---- */

/* Opens (or creates, with create_if_missing) the database in dir. A second opener of the same
 * directory, in this process or another, gets STRATA_LOCKED. opts may be NULL (defaults). */
int strata_kv_open(const char *dir, const strata_kv_options *opts, strata_kv **out);
/* Waits for background work, flushes nothing it need not (the WAL holds the memtable), closes.
 * NULL is a no-op. */
int strata_kv_close(strata_kv *db);
/* Removes every file of a closed database and the directory. */
int strata_kv_destroy(const char *dir);

/* ---- writes ---- */

strata_kv_batch *strata_kv_batch_new(void);
void strata_kv_batch_free(strata_kv_batch *b);
void strata_kv_batch_clear(strata_kv_batch *b);
int strata_kv_batch_put(strata_kv_batch *b, const void *key, size_t klen, const void *val,
                        size_t vlen);
int strata_kv_batch_delete(strata_kv_batch *b, const void *key, size_t klen);
/* Deletes every key k with start <= k < end. start > end is STRATA_INVALID; start == end is a
 * no-op. */
int strata_kv_batch_delete_range(strata_kv_batch *b, const void *start, size_t slen,
                                 const void *end, size_t elen);
size_t strata_kv_batch_count(const strata_kv_batch *b);     /* operations in the batch */
size_t strata_kv_batch_byte_size(const strata_kv_batch *b); /* encoded size */

typedef struct strata_kv_write_options {
    int sync; /* 1: the WAL is fdatasync'd before the call returns (any sync_mode) */
} strata_kv_write_options;

/* Applies the batch atomically (all or nothing, also across a crash). Concurrent writers are
 * group-committed. wo may be NULL. */
int strata_kv_write(strata_kv *db, const strata_kv_write_options *wo, strata_kv_batch *b);
int strata_kv_put(strata_kv *db, const void *key, size_t klen, const void *val, size_t vlen);
int strata_kv_delete(strata_kv *db, const void *key, size_t klen);
int strata_kv_delete_range(strata_kv *db, const void *start, size_t slen, const void *end,
                           size_t elen);

/* ---- reads ---- */

typedef struct strata_kv_read_options {
    const strata_kv_snapshot *snapshot; /* NULL: the latest committed state */
    int no_fill_cache;                  /* 1: blocks read are not added to the cache */
    const void *lower;                  /* iterators: inclusive lower bound, NULL = none */
    size_t lower_len;
    const void *upper; /* iterators: exclusive upper bound, NULL = none */
    size_t upper_len;
} strata_kv_read_options;

/* *val is malloc'd (free with strata_kv_free); STRATA_NOTFOUND if absent (also for a key outside
 * the key limits, which cannot be stored). ro may be NULL. */
int strata_kv_get(strata_kv *db, const strata_kv_read_options *ro, const void *key, size_t klen,
                  void **val, size_t *vlen);
/* n point reads; the data blocks they need that are not cached (each located through the
 * files' bloom filters and indexes first) go to the io backend in ONE submission.
 * statuses[i] is STRATA_OK (vals[i] malloc'd), STRATA_NOTFOUND (vals[i] NULL) or an error.
 * Returns STRATA_OK unless the call itself failed. */
int strata_kv_multi_get(strata_kv *db, const strata_kv_read_options *ro, size_t n,
                        const void *const *keys, const size_t *klens, void **vals, size_t *vlens,
                        int *statuses);

/* A snapshot pins a consistent view until released: compaction keeps every version a live
 * snapshot can read. Snapshots do not survive close. */
const strata_kv_snapshot *strata_kv_snapshot_new(strata_kv *db);
void strata_kv_snapshot_release(strata_kv *db, const strata_kv_snapshot *s);
uint64_t strata_kv_snapshot_sequence(const strata_kv_snapshot *s);
/* The latest committed sequence number. */
uint64_t strata_kv_latest_sequence(strata_kv *db);
/* A snapshot at an older sequence that is still pinned by another snapshot (or the latest):
 * used by the refresh protocol to read a table as of a recorded sequence. STRATA_INVALID if
 * seq is newer than the latest. Data older than the oldest live snapshot may be compacted away,
 * so callers keep the recorded sequence pinned for as long as they need it. */
int strata_kv_snapshot_at(strata_kv *db, uint64_t seq, const strata_kv_snapshot **out);

/* Iterators see a consistent view (the snapshot or the state at creation), skip a range
 * covered by a tombstone with one seek, and stay within [lower, upper). strata_kv_iter_new
 * returns NULL only when out of memory (or db is NULL); when a file of the view cannot be opened
 * or is corrupt it returns an iterator that is never valid and whose strata_kv_iter_status is
 * the error (STRATA_IOERR, STRATA_CORRUPT), to be freed as usual. */
strata_kv_iter *strata_kv_iter_new(strata_kv *db, const strata_kv_read_options *ro);
void strata_kv_iter_free(strata_kv_iter *it);
int strata_kv_iter_valid(const strata_kv_iter *it);
void strata_kv_iter_seek_to_first(strata_kv_iter *it);
void strata_kv_iter_seek_to_last(strata_kv_iter *it);
void strata_kv_iter_seek(strata_kv_iter *it, const void *key, size_t klen); /* first >= key */
void strata_kv_iter_seek_for_prev(strata_kv_iter *it, const void *key,
                                  size_t klen); /* last <= key */
void strata_kv_iter_next(strata_kv_iter *it);
void strata_kv_iter_prev(strata_kv_iter *it);
/* Valid until the iterator moves. REQUIRES: valid. */
const void *strata_kv_iter_key(const strata_kv_iter *it, size_t *klen);
const void *strata_kv_iter_value(const strata_kv_iter *it, size_t *vlen);
/* STRATA_OK, or the error (STRATA_CORRUPT, STRATA_IOERR) that made the iterator invalid. */
int strata_kv_iter_status(const strata_kv_iter *it);

/* One entry of a bulk read. */
typedef struct strata_kv_entry {
    const void *key;
    size_t klen;
    const void *val;
    size_t vlen;
} strata_kv_entry;
/* Bulk forward read: out[0..n) = the current entry and the ones after it (n <= max); returns n,
 * 0 when the iterator is not valid (at the end or the upper bound: check
 * strata_kv_iter_status). The iterator moves past them; the entries stay valid until the next
 * call on this iterator. They are those a loop of key / value / next calls would give, in the
 * same order; a batch is what one data block or one run of keys that a single source holds
 * gives, decoded without a call per entry through the iterator stack, so fewer than max does
 * not mean the end: call again until 0. From a backward position it gives one entry. */
size_t strata_kv_iter_next_batch(strata_kv_iter *it, strata_kv_entry *out, size_t max);

/* Receives one entry of strata_kv_iter_scan. key and value are valid only during the call.
 * Returns 0 to go on; non-zero stops the scan after this entry. */
typedef int (*strata_kv_scan_fn)(void *ctx, const void *key, size_t klen, const void *val,
                                 size_t vlen);
/* Callback form of strata_kv_iter_next_batch: passes the current entry and the ones after it,
 * at most max of them, to fn, and leaves the iterator on the entry after the last one passed
 * (or invalid at the end or the upper bound: then check strata_kv_iter_status). *count (may be
 * NULL) receives the number of entries passed. Returns 0, or the non-zero value fn returned. */
int strata_kv_iter_scan(strata_kv_iter *it, size_t max, strata_kv_scan_fn fn, void *ctx,
                        size_t *count);

/* ---- bulk load (refresh staging) ----
 * An SST writer builds a file from keys added in strictly increasing order, with no WAL.
 * strata_kv_ingest adds the finished files AND an optional batch in one version edit: after a
 * crash either all of them are in the database or none. Ingested entries are newer than every
 * write committed before the call. */
int strata_kv_sst_writer_new(strata_kv *db, strata_kv_sst_writer **out);
int strata_kv_sst_writer_put(strata_kv_sst_writer *w, const void *key, size_t klen, const void *val,
                             size_t vlen);
uint64_t strata_kv_sst_writer_count(const strata_kv_sst_writer *w);
void strata_kv_sst_writer_abandon(strata_kv_sst_writer *w); /* deletes its file */
/* Finishes and syncs the writers' files and commits them with batch (may be NULL) in one edit.
 * The writers are consumed (freed) whether or not the call succeeds. */
/* Sequences: with L the latest sequence before the call, file i (0-based) reads as sequence
 * L + 1 + i and the batch's records as L + n + 1, ...: with equal keys the batch wins over the
 * files and a later file over an earlier one. A non-empty memtable is flushed first. Keys given to
 * one writer must be strictly increasing (STRATA_INVALID otherwise, from the put). */
int strata_kv_ingest(strata_kv *db, strata_kv_sst_writer **writers, size_t n,
                     strata_kv_batch *batch);

/* ---- maintenance ---- */

/* Writes the memtable to an L0 SST and waits for it. */
int strata_kv_flush(strata_kv *db);
/* Flushes the memtable, then compacts the key range [start, end) (NULL = unbounded) level by
 * level down to the last populated level, dropping deleted and covered entries (and whole files
 * under a covering tombstone), and waits for it. */
int strata_kv_compact_range(strata_kv *db, const void *start, size_t slen, const void *end,
                            size_t elen);
/* Approximate bytes on disk (SSTs) for keys in [start, end). */
int strata_kv_approximate_size(strata_kv *db, const void *start, size_t slen, const void *end,
                               size_t elen, uint64_t *bytes);

typedef struct strata_kv_level_stats {
    int files;
    uint64_t bytes;
} strata_kv_level_stats;

typedef struct strata_kv_stats {
    strata_kv_level_stats levels[STRATA_KV_LEVELS];
    uint64_t memtable_bytes;
    uint64_t user_bytes_written; /* keys + values written by the application */
    uint64_t wal_bytes_written;
    uint64_t flush_bytes_written;
    uint64_t compaction_bytes_read;
    uint64_t compaction_bytes_written;
    double write_amplification; /* (wal + flush + compaction written) / user bytes */
    uint64_t cache_hits;
    uint64_t cache_misses;
    double cache_hit_rate;
    uint64_t stall_micros; /* time writers waited on L0 / memtable stalls */
    uint64_t flushes;
    uint64_t compactions;
    uint64_t files_dropped_by_tombstone; /* SSTs removed whole under a covering tombstone */
    uint64_t read_triggered_compactions; /* compactions started because reads charged a file */
    uint64_t read_triggered_flushes;     /* memtables flushed early because scans read them */
    uint64_t sequence;
    const char *io_backend;         /* "io_uring" or "sync" (static string) */
    const char *io_fallback_reason; /* why io_uring was not used, or NULL */
} strata_kv_stats;

int strata_kv_get_stats(strata_kv *db, strata_kv_stats *out);
/* 1 while background work runs or waits to run: a memtable being flushed (or switched for a
 * flush), a compaction. A hint for a caller that would start threads of its own (the SQL
 * layer's parallel scan waits for a free core). */
int strata_kv_background_busy(strata_kv *db);
/* A human-readable multi-line rendering of the stats; free with strata_kv_free. */
char *strata_kv_stats_string(strata_kv *db);

#ifdef __cplusplus
}
#endif
#endif
