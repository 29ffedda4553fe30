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
 *     file and offset);
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

/* Creates path (truncating nothing: it must not exist). */
int wal_writer_open(strata_env *env, const char *path, wal_writer **out);
/* Appends one record; with sync, it is durable (write+fdatasync linked) when this returns. */
int wal_writer_add(wal_writer *w, const void *rec, size_t n, int sync);
int wal_writer_sync(wal_writer *w);
uint64_t wal_writer_size(const wal_writer *w);
int wal_writer_close(wal_writer *w); /* syncs nothing; frees */

typedef struct wal_reader wal_reader;

int wal_reader_open(strata_env *env, const char *path, wal_reader **out);
/* STRATA_OK with the next record in (*rec, *n) (valid until the next call), STRATA_DONE at the
 * end (or a torn tail), STRATA_CORRUPT, or an I/O error. */
int wal_reader_next(wal_reader *r, const uint8_t **rec, size_t *n);
uint64_t wal_reader_dropped_bytes(const wal_reader *r);
/* Offset just past the last good record (where a writer may continue). */
uint64_t wal_reader_good_offset(const wal_reader *r);
void wal_reader_close(wal_reader *r);

/* For fuzzing and tests: parse a whole log held in memory; calls cb per record. Same answers as
 * the reader. */
int wal_parse_buffer(const uint8_t *data, size_t n,
                     int (*cb)(void *ctx, const uint8_t *rec, size_t len), void *ctx,
                     uint64_t *dropped);

#endif
