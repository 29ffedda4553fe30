/*
 * lsm/db_impl.h — the internals of a strata_kv shared by db.c (open, writes, reads, ingest,
 * stats), compaction.c (flush, compaction, obsolete files) and db_iter.c (iterators).
 *
 * Locking: one mutex (mu) guards the writer queue, mem/imm switching, the version set, the
 * snapshot list, pending outputs and background state. Reads take mu only to reference
 * mem/imm/current version, then read without it. The commit leader writes the WAL and inserts
 * into the memtable without mu (it is the only memtable writer); last_seq is published
 * (release) after the insert, so readers never see half a batch.
 *
 * Background work (flush of imm, compactions) runs on one thread, or inline in the writer
 * when background_compaction = 0. Manual flush/compaction wait for it.
 */
#ifndef STRATA_LSM_DB_IMPL_H
#define STRATA_LSM_DB_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "lsm/cache.h"
#include "lsm/env.h"
#include "lsm/memtable.h"
#include "lsm/table_cache.h"
#include "lsm/version.h"
#include "lsm/wal.h"
#include "lsm/write_batch.h"
#include "strata_kv.h"

struct strata_kv_snapshot {
    uint64_t seq;
    struct strata_kv_snapshot *prev, *next;
};

typedef struct db_writer {
    strata_kv_batch *batch; /* NULL: force a memtable switch (flush) */
    int sync;
    int done;
    int status;
    pthread_cond_t cv;
    struct db_writer *next;
} db_writer;

struct strata_kv {
    char *dir;
    strata_env *env;
    strata_kv_options opt;
    strata_file *lock;
    block_cache *bc;
    table_cache tc;
    version_set vs;

    pthread_mutex_t mu;
    pthread_cond_t bg_cv;   /* background state changed (imm flushed, compaction finished) */
    pthread_cond_t work_cv; /* wakes the background thread */
    memtable *mem, *imm;
    wal_writer *log;
    uint64_t log_number;
    _Atomic uint64_t last_seq; /* published: readers see everything <= last_seq */
    db_writer *wq_head, *wq_tail;
    strata_kv_batch *group;          /* reused group-commit buffer */
    struct strata_kv_snapshot snaps; /* sentinel of the live snapshot list (oldest first) */
    uint64_t *pending;               /* file numbers being written (not yet in a version) */
    size_t npending, cappending;
    pthread_t bg;
    int bg_started;
    /* read-triggered flush: a short-lived thread switches the memtable (a reader must not wait
     * for the WAL sync a switch needs). 0 none, 1 running, 2 done (to be joined); guarded by mu */
    pthread_t switcher;
    int switcher_state;
    int shutting_down;
    int flushing;
    int compacting;
    int inline_running; /* background_compaction = 0: work running in a writer */
    int bg_error;       /* a failed background write or WAL sync: the db becomes read-only */
    uint8_t *compact_ptr[STRATA_KV_LEVELS]; /* round-robin position per level (user key) */
    size_t compact_ptr_len[STRATA_KV_LEVELS];
    /* read-triggered compaction: the file (one reference held) whose allowed_seeks reads used
     * up, and its level; guarded by mu. seek_pending mirrors seek_file != NULL for the read
     * path's lock-free test. */
    file_meta *seek_file;
    int seek_level;
    _Atomic int seek_pending;

    /* stats (guarded by mu, or atomic) */
    _Atomic uint64_t user_bytes, wal_bytes;
    uint64_t flush_bytes, comp_read, comp_written, stall_us, flushes, compactions, dropped_files;
    uint64_t read_compactions, read_flushes; /* read-triggered ones (stats); guarded by mu */
};

/* db.c */
/* Joins the writer queue and waits to be its head (the commit leader) or to be committed by
 * a leader (w->done). REQUIRES mu (held again on return). w->cv initialised by the caller. */
void db_leader_enter(strata_kv *db, db_writer *w);
/* Leaves the head of the queue and wakes the next writer. REQUIRES mu, w the head. */
void db_leader_exit(strata_kv *db, db_writer *w);
/* As the leader: makes room in the memtable (stalls, switches); force switches a non-empty
 * memtable. REQUIRES mu. */
int db_make_room(strata_kv *db, int force);
/* Switches m to the immutable memtable and schedules its flush, without waiting for it, if m is
 * still the current memtable, no flush is pending, compaction runs in the background and
 * read_triggered_compaction is on; otherwise does nothing. For the read-triggered flush
 * (memtable.h). Takes mu. */
void db_request_flush(strata_kv *db, memtable *m);
void db_pending_add(strata_kv *db, uint64_t number);    /* REQUIRES mu */
void db_pending_remove(strata_kv *db, uint64_t number); /* REQUIRES mu */
uint64_t db_oldest_snapshot(strata_kv *db);             /* REQUIRES mu; last_seq if none */
/* Sorted live snapshot sequences; *out malloc'd. REQUIRES mu. */
size_t db_snapshot_list(strata_kv *db, uint64_t **out);
strata_kv_snapshot *db_snapshot_new_locked(strata_kv *db, uint64_t seq);
void db_snapshot_release_locked(strata_kv *db, strata_kv_snapshot *s);
/* The fragmented tombstones of every file of v (cached in v). NULL on error, with *rc the code
 * (STRATA_NOMEM, or the error opening a file: STRATA_IOERR, STRATA_CORRUPT, ...). */
range_del_list *db_version_range_dels(strata_kv *db, version *v, int *rc);

/* Read-triggered compaction. A read that consulted f (of level, in a version it holds) and
 * then had to consult another file charges f: one atomic decrement; when f's allowed_seeks
 * runs out, f is recorded (under mu) as the file to compact if it is still in the current
 * version and not being compacted, and the background work is scheduled. Called without mu. */
void db_charge_seek(strata_kv *db, file_meta *f, int level);
/* An iterator's read sample (about every 1 MiB read): when two or more files of v overlap
 * ukey, charges the first (newest) of them. Called without mu. */
void db_read_sample(strata_kv *db, version *v, st_slice ukey);

/* compaction.c */
/* Drops the read-triggered compaction marker. REQUIRES mu. */
void db_seek_clear(strata_kv *db);
void db_maybe_schedule(strata_kv *db); /* REQUIRES mu */
void *db_bg_main(void *arg);
/* Writes mem to L0 SST `number` (nothing written if mem is empty: *f = NULL), dropping a version
 * shadowed by a newer one whose sequence is <= smallest_snap (the oldest live snapshot, or
 * SEQ_MAX when no reader can exist). Called without mu. */
int db_write_l0(strata_kv *db, memtable *mem, uint64_t number, uint64_t smallest_snap,
                file_meta **f);
/* Flushes imm if there is one. REQUIRES mu (released during I/O). */
int db_flush_imm(strata_kv *db);
/* Compacts [begin, end] (user keys, NULL = unbounded) down to the bottommost level. */
int db_compact_range(strata_kv *db, const st_slice *begin, const st_slice *end);
/* Deletes files no live version or pending output needs. REQUIRES mu, which it releases while
 * it unlinks them (callers must not rely on state read before the call). */
void db_delete_obsolete(strata_kv *db);

#endif
