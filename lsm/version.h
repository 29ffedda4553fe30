/*
 * lsm/version.h — versions: immutable sets of live SSTs per level, and the version set that
 * holds the current one, the file-number counter and the MANIFEST (lsm/manifest.c).
 *
 * Invariants of a version: L0 files are ordered newest first (by max sequence; their sequence
 * ranges do not overlap, since L0 compactions take every L0 file); L1+ files are sorted by
 * smallest key and do not overlap (compared as internal keys). A version is reference counted;
 * an iterator or a get that holds a reference keeps every file of that version on disk, since
 * obsolete-file deletion only removes files no live version lists.
 *
 * Thread-safety: version_ref/version_unref and everything in version_set require the db mutex.
 * The contents of a version (files, nfiles) are immutable and may be read without the mutex by
 * a holder of a reference. rd_cache is set once (compare-and-swap) by the db.
 */
#ifndef STRATA_LSM_VERSION_H
#define STRATA_LSM_VERSION_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lsm/env.h"
#include "lsm/range_del.h"
#include "lsm/version_edit.h"
#include "lsm/wal.h"

typedef struct version_set version_set;

typedef struct version {
    long refs;
    version_set *vs;
    struct version *prev, *next;
    file_meta **files[STRATA_KV_LEVELS];
    size_t nfiles[STRATA_KV_LEVELS];
    _Atomic(range_del_list *) rd_cache; /* fragments of every file's range tombstones */
} version;

struct version_set {
    strata_env *env;
    char *dir;
    version list; /* sentinel of the doubly-linked list of live versions */
    version *current;
    uint64_t next_file;
    uint64_t last_seq; /* as recorded by the next edit */
    uint64_t log_number;
    uint64_t manifest_number;
    wal_writer *manifest;
};

void version_ref(version *v);
void version_unref(version *v);
uint64_t version_level_bytes(const version *v, int level);
/* L1+: index of the first file whose largest key >= ikey (nfiles when none). */
size_t version_find_file(const version *v, int level, st_slice ikey);
/* Files of level overlapping the user-key range [begin, end] (NULL = unbounded); *out malloc'd
 * array of borrowed pointers. */
size_t version_overlapping(const version *v, int level, const st_slice *begin, const st_slice *end,
                           file_meta ***out);

int vset_init(version_set *vs, strata_env *env, const char *dir);
void vset_destroy(version_set *vs); /* REQUIRES: only the current version is referenced */
uint64_t vset_new_file_number(version_set *vs);
/* A new version = current + edit (no I/O). */
int vset_apply(version_set *vs, const version_edit *e, version **out);
/* Makes v current (the set's reference replaces the old current's). */
void vset_install(version_set *vs, version *v);
/* Calls cb for each file number listed by any live version. */
void vset_live_files(version_set *vs, void (*cb)(void *ctx, uint64_t number), void *ctx);

/* ---- manifest.c ---- */
/* Recovers from CURRENT + MANIFEST: STRATA_NOTFOUND if there is no CURRENT, STRATA_CORRUPT for
 * a bad manifest (torn tail is dropped). */
int vset_recover(version_set *vs);
/* Starts a new MANIFEST holding a snapshot of the current version and points CURRENT at it
 * (temp file + rename + sync_dir). Used at open (new and existing databases). */
int vset_new_manifest(version_set *vs);
/* Applies e (its log number / next file / last seq are filled from vs where unset), appends it
 * to the manifest, syncs, installs the new version. On error nothing is installed. */
int vset_log_and_apply(version_set *vs, version_edit *e);

/* File names: dir/NNNNNN.log, dir/NNNNNN.sst, dir/MANIFEST-NNNNNN, dir/CURRENT, dir/LOCK.
 * *out malloc'd. */
char *db_filename(const char *dir, const char *kind, uint64_t number);
enum { DBF_UNKNOWN = 0, DBF_LOG, DBF_SST, DBF_MANIFEST, DBF_CURRENT, DBF_LOCK, DBF_TEMP };
/* Classifies a directory entry name; *number receives its number. */
int db_parse_filename(const char *name, uint64_t *number);

#endif
