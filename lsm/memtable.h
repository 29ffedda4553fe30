/*
 * lsm/memtable.h — the in-memory write buffer: an arena skiplist of internal keys (point puts and
 * deletes) and, beside it, the range tombstones written to it.
 *
 * Thread-safety: one writer at a time (the db's commit leader: mem_add), readers concurrently
 * without locks on the skiplist. Range tombstones are kept in an array under a small mutex; the
 * fragmented view (range_del.h) is built lazily on the first read after a change and shared by
 * readers through a reference. Reference counted: the db holds one reference, iterators and
 * readers take their own.
 *
 * Clean tombstones: for up to MEM_RD_TRACK tombstones at a time (the newest), the writer
 * tracks whether a point entry with a larger sequence was added inside the tombstone's range
 * after it. A tombstone with no such entry is "clean" (range_del.h): every entry of this
 * memtable in its range has a smaller sequence, so readers may skip the range in the skiplist
 * (get: no search; iterator: one seek past it). A tombstone that is not tracked (evicted when a
 * newer one needs the slot, or born after newer entries) is dirty for good; flags only go from
 * clean to dirty, under rd_mu, dropping the cached fragments. The flip of an entry's tombstones
 * happens in mem_add before the entry is visible, so a reader at sequence S (published after
 * every add <= S) sees flags that are exact for entries <= S.
 */
#ifndef STRATA_LSM_MEMTABLE_H
#define STRATA_LSM_MEMTABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lsm/dbformat.h"
#include "lsm/iter.h"
#include "lsm/range_del.h"
#include "lsm/skiplist.h"
#include "util/arena.h"

enum { MEM_RD_TRACK = 64 };

typedef struct memtable {
    _Atomic long refs;
    arena arena;
    skiplist list;
    pthread_mutex_t rd_mu;      /* guards the tombstone array and the cached fragments */
    range_tombstone *rds;       /* keys in the arena */
    uint8_t *rd_clean;          /* parallel to rds: 1 = clean (see above) */
    size_t nrd, caprd;          /* caprd grows by doubling */
    size_t track[MEM_RD_TRACK]; /* writer only: indexes of the clean tombstones, oldest first */
    size_t ntrack;
    range_del_list *rd_cache; /* fragments of rds[0..rd_cache_n), or NULL */
    size_t rd_cache_n;
    _Atomic size_t num_rd;    /* readable without the mutex */
    _Atomic size_t mem_usage; /* approximate bytes */
    _Atomic uint64_t max_seq; /* largest sequence added (0 if empty) */
    _Atomic uint64_t num_entries;
    /* entries read by forward batches (bulk scans), and whether a flush was asked for because of
     * them (see mem_scan_wants_flush) */
    _Atomic uint64_t scanned;
    _Atomic int flush_asked;
    uint64_t log_number; /* the WAL holding this memtable's writes */
    /* bloom filter of the user keys of every point entry (MEM_BLOOM_WORDS words, 3 bits in one
     * word per key; NULL if it could not be allocated): mem_get of an absent key (the
     * duplicate check of every SQL INSERT) skips the skiplist search. Bits are set before the
     * entry is linked, so a reader that can see an entry sees its bits. */
    _Atomic uint64_t *bloom;
} memtable;

#define MEM_BLOOM_WORDS ((size_t)1 << 17) /* 1 MiB, 8M bits */

memtable *mem_new(void);

/* Read-triggered flush. Walking a skiplist costs a cache miss per entry, several times a walk of
 * SST blocks; a memtable that bulk scans have read a quarter of (at least MEM_SCAN_FLUSH_MIN
 * entries) is worth writing out early: asked that soon, the flush is done about when the scan
 * that asked for it has read the memtable through, so the next scan reads SST blocks. Returns 1
 * once per memtable when that point is passed (the caller asks the db for a flush). */
#define MEM_SCAN_FLUSH_MIN 65536
int mem_scan_wants_flush(memtable *m);
void mem_ref(memtable *m);
void mem_unref(memtable *m);

/* Adds one entry. kind KIND_PUT/KIND_DELETE: ukey, value. KIND_RANGE_DEL: ukey = start, value =
 * end (REQUIRES start < end). REQUIRES: writers serialised; seq not already used for ukey. */
void mem_add(memtable *m, uint64_t seq, int kind, st_slice ukey, st_slice value);

enum { MEM_NONE = 0, MEM_FOUND = 1 };
/* Looks up the newest point entry of ukey with sequence <= seq: returns MEM_FOUND with *kind,
 * *found_seq and *val (pointing into the memtable: valid while a reference is held), or
 * MEM_NONE. *tomb_seq receives the largest range tombstone sequence <= seq covering ukey (0 if
 * none). When that tombstone is clean (every entry of ukey here is older, so deleted), the
 * skiplist is not searched: MEM_NONE with *tomb_seq set. */
int mem_get(memtable *m, st_slice ukey, uint64_t seq, int *kind, uint64_t *found_seq, st_slice *val,
            uint64_t *tomb_seq);

/* The fragmented range tombstones (a new reference, release with rd_unref); never NULL unless
 * out of memory. */
range_del_list *mem_range_dels(memtable *m);
/* A snapshot copy of the raw tombstones (pointers into the arena): *out malloc'd. */
size_t mem_range_del_raw(memtable *m, range_tombstone **out);

size_t mem_usage(const memtable *m);
int mem_empty(const memtable *m);

/* An iterator over the point entries (every version), as lsm_iter. Holds a reference. */
lsm_iter *mem_iter_new(memtable *m);

#endif
