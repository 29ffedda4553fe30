/*
 * lsm/wal.h — the log: checksummed records written in order, read back in order. Used for the
 * write-ahead log (one record per write batch) and for the MANIFEST (one record per version
 * edit). Layout in lsm/wal_format.h and docs/format.md.
 *
 * Recovery rules (wal_reader_next):
 *   - a record that is incomplete or fails its checksum at the END of the log (nothing valid
 *     after it) is a torn tail: reading stops there with STRATA_DONE, and
 *     wal_reader_dropped_bytes() says how much was dropped;
 *   - a bad record followed by valid data is corruption: STRATA_CORRUPT (the message names the
 *     file and offset) — unless a whole 4 KiB-aligned page of zeros lies between them: that is a
 *     page the file system never wrote before a crash, nothing after it was ever synced (a sync
 *     writes every dirty page), and the log ends at the bad record as for a torn tail;
 *   - any byte string gives one of these answers, never a crash or an over-read.
 *
 * A writer is used by one thread at a time (the db's commit leader).
 */
#ifndef STRATA_LSM_WAL_H
#define STRATA_LSM_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "lsm/env.h"

typedef struct wal_writer wal_writer;

/* Creates path (truncating nothing: it must not exist; STRATA_EXISTS if it does) and syncs its
 * directory, so the new file survives a power loss once its data is synced. */
int wal_writer_open(strata_env *env, const char *path, wal_writer **out);
/* Continues an existing log at offset (wal_reader_good_offset() of a finished reader): cuts the
 * file there (dropping a torn tail) and syncs the cut before returning. */
int wal_writer_reopen(strata_env *env, const char *path, uint64_t offset, wal_writer **out);

/* Values of wal_writer_add's sync argument. */
enum {
    WAL_NOSYNC = 0, /* written to the OS (one pwrite with the records buffered before it) */
    WAL_SYNC = 1,   /* written and fdatasync'd (linked in one submission): durable on return */
    WAL_DEFER = 2,  /* kept in the writer's buffer; written by the next non-deferred add, flush,
                     * sync or close (or when the buffer passes 1 MiB). For a group commit: all
                     * records but the last deferred, so the group costs one write. */
};
/* Appends one record (n <= WAL_MAX_RECORD, else STRATA_TOOBIG). sync is WAL_NOSYNC, WAL_SYNC
 * (any other nonzero value but WAL_DEFER means WAL_SYNC) or WAL_DEFER. After a failed write or
 * sync the writer is unusable: every later call returns STRATA_IOERR (what reached the file is
 * unknown; the caller starts a new log). */
int wal_writer_add(wal_writer *w, const void *rec, size_t n, int sync);
/* Writes deferred records to the OS (no fdatasync). */
int wal_writer_flush(wal_writer *w);
/* Writes deferred records and fdatasyncs: everything added so far is durable. */
int wal_writer_sync(wal_writer *w);
/* Bytes in the log including deferred records (the offset the next record will get). */
uint64_t wal_writer_size(const wal_writer *w);
/* Writes deferred records (no sync) and frees the writer; returns the write's status. NULL is a
 * no-op. */
int wal_writer_close(wal_writer *w);

typedef struct wal_reader wal_reader;

/* The log is read as it is at open (its size then); it must not be written while read. */
int wal_reader_open(strata_env *env, const char *path, wal_reader **out);
/* STRATA_OK with the next record in (*rec, *n) (valid until the next call), STRATA_DONE at the
 * end (or a torn tail), STRATA_CORRUPT, or an I/O error. */
int wal_reader_next(wal_reader *r, const uint8_t **rec, size_t *n);
uint64_t wal_reader_dropped_bytes(const wal_reader *r);
/* Offset just past the last good record (where a writer may continue): meaningful once next
 * returned STRATA_DONE. */
uint64_t wal_reader_good_offset(const wal_reader *r);
void wal_reader_close(wal_reader *r); /* NULL is a no-op */

/* For fuzzing and tests: parse a whole log held in memory; calls cb per record (a nonzero return
 * from cb stops the parse and is returned). Same answers as the reader: STRATA_OK when the log
 * ended cleanly or with a torn tail (*dropped says how many bytes were dropped; dropped may be
 * NULL), STRATA_CORRUPT otherwise. */
int wal_parse_buffer(const uint8_t *data, size_t n,
                     int (*cb)(void *ctx, const uint8_t *rec, size_t len), void *ctx,
                     uint64_t *dropped);

#endif
