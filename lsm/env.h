/*
 * lsm/env.h — the OS boundary of the kernel (like SQLite's VFS, LevelDB's Env).
 *
 * Only code behind an env touches files. Three backends implement it:
 *   io_uring.c  the default: liburing; batched reads (read_batch: one submission for a multi-get
 *               or iterator read-ahead), queued writes, linked write+fdatasync for the WAL.
 *   io_sync.c   pread/pwrite; chosen by STRATA_IO=sync, STRATA_KV_IO_SYNC, or when the ring
 *               cannot be set up (the reason is printed once on stderr and kept for stats).
 *   io_fault.c  for tests: wraps another env; fails the N-th I/O (EIO, ENOSPC, short or torn
 *               writes) and simulates power loss (drops what was not synced).
 *
 * Contract for every backend:
 *   - Every method is thread-safe (flush, compaction and readers use one env concurrently).
 *   - Methods return STRATA_OK or an error code (STRATA_IOERR, STRATA_NOSPACE, STRATA_NOTFOUND
 *     for a missing file on open/unlink/rename, STRATA_LOCKED for lock), with the detail recorded
 *     by st_error/st_errno (path and operation).
 *   - Short reads happen only at end of file (*nread < n); short writes are resubmitted by the
 *     backend until complete or failed: a successful write wrote everything.
 *   - Files are append-only in practice: the kernel writes each file front to back, and never
 *     rewrites a byte it has synced.
 */
#ifndef STRATA_LSM_ENV_H
#define STRATA_LSM_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "strata_kv.h"

typedef struct strata_file strata_file; /* a backend's open file */

enum {
    ENV_READ = 1,     /* open for reading */
    ENV_WRITE = 2,    /* open for writing */
    ENV_CREATE = 4,   /* create if missing */
    ENV_TRUNCATE = 8, /* empty it */
    ENV_EXCL = 16,    /* fail with STRATA_EXISTS if it exists */
};

/* One read of a batch: filled by the caller, res by the backend. */
typedef struct env_read_req {
    strata_file *file;
    uint64_t offset;
    size_t len;
    void *buf;
    int status;   /* out: STRATA_OK or an error code */
    size_t nread; /* out: bytes read (< len only at end of file) */
} env_read_req;

struct strata_env {
    const char *name; /* "io_uring", "sync", "fault(...)" */
    int (*open)(strata_env *env, const char *path, int flags, strata_file **out);
    int (*close)(strata_env *env, strata_file *f);
    int (*pread)(strata_env *env, strata_file *f, void *buf, size_t n, uint64_t off, size_t *nread);
    /* A pread that, when its bytes are not in the OS page cache, first has the kernel read the
     * aligned window of `around` bytes (a power of two) holding them, asynchronously
     * (posix_fadvise WILLNEED), as a fault on a mapped file reads around it: a cold database
     * warms up in one device read per window instead of one per block. *cold says whether it
     * did. NULL: the env has none (use pread). */
    int (*pread_around)(strata_env *env, strata_file *f, void *buf, size_t n, uint64_t off,
                        size_t around, size_t *nread, int *cold);
    int (*pwrite)(strata_env *env, strata_file *f, const void *buf, size_t n, uint64_t off);
    /* Writes then fdatasyncs (linked in one submission on io_uring). */
    int (*pwrite_sync)(strata_env *env, strata_file *f, const void *buf, size_t n, uint64_t off);
    int (*sync)(strata_env *env, strata_file *f); /* fdatasync */
    int (*size)(strata_env *env, strata_file *f, uint64_t *out);
    int (*truncate)(strata_env *env, strata_file *f, uint64_t size);
    /* n reads, submitted together; returns STRATA_OK when every req was attempted (each req
     * has its own status), an error only if the batch itself could not run. */
    int (*read_batch)(strata_env *env, env_read_req *reqs, size_t n);

    int (*exists)(strata_env *env, const char *path); /* 1 / 0 */
    int (*unlink)(strata_env *env, const char *path);
    int (*rename)(strata_env *env, const char *from, const char *to); /* atomic replace */
    int (*mkdir)(strata_env *env, const char *path);                  /* OK if it exists */
    int (*rmdir)(strata_env *env, const char *path);
    int (*sync_dir)(strata_env *env, const char *dir); /* fsync a directory after a rename */
    /* Names (not paths) of the entries of dir, without . and ..; *names and each name are
     * malloc'd. */
    int (*list)(strata_env *env, const char *dir, char ***names, size_t *n);
    /* flock(LOCK_EX|LOCK_NB) on path (created if missing); STRATA_LOCKED if held elsewhere. */
    int (*lock)(strata_env *env, const char *path, strata_file **out);
    int (*unlock)(strata_env *env, strata_file *f);
    void (*destroy)(strata_env *env); /* NULL for the shared default envs */
    const char *fallback_reason;      /* io_uring: why it fell back to sync, else NULL */
};

/* The process-wide default envs (never destroyed). env_default() honours STRATA_IO=sync and
 * falls back to sync when the ring cannot be set up. */
strata_env *env_default(void);
strata_env *env_sync(void);
strata_env *env_uring(void); /* may return the sync env, with fallback_reason set */
/* The env for an io_backend option value. */
strata_env *env_for_backend(int io_backend);

/* Convenience: read a whole file / write a whole file and sync it. *data is malloc'd. */
int env_read_file(strata_env *env, const char *path, uint8_t **data, size_t *n);
int env_write_file_sync(strata_env *env, const char *path, const void *data, size_t n);

/* ---- fault injection (io_fault.c, tests only) ---- */
typedef enum fault_kind {
    FAULT_NONE = 0,
    FAULT_EIO,    /* the op fails with EIO */
    FAULT_ENOSPC, /* the op fails with ENOSPC */
    FAULT_SHORT,  /* a write stores only part of its bytes, then fails with EIO */
    FAULT_TORN,   /* a write stores part of its bytes garbled, then fails with EIO */
} fault_kind;

/* A fault env over base. Counts every I/O op (open/read/write/sync/rename/unlink/...). */
strata_env *fault_env_new(strata_env *base);
void fault_env_free(strata_env *env);
/* From now on, the n-th counted op (1-based, counted from this call) fails with kind; 0
 * disables. Fires once. */
void fault_env_fail_nth(strata_env *env, uint64_t n, fault_kind kind);
/* Every op fails with probability 1/one_in (0 disables), seeded. */
void fault_env_fail_random(strata_env *env, uint32_t one_in, uint64_t seed, fault_kind kind);
uint64_t fault_env_op_count(strata_env *env);
uint64_t fault_env_faults_injected(strata_env *env);
/* The process dies: every handle opened through env is closed (locks released) and every later
 * op fails with STRATA_IOERR until fault_env_drop_unsynced — so a database abandoned after this
 * (or closed: its close frees memory, its writes fail) cannot touch the disk any more. */
void fault_env_crash(strata_env *env);
/* Power loss and reboot (implies fault_env_crash first): every file loses what was written after
 * its last sync (with torn_tail, a random prefix of the unsynced part survives with its last
 * sector garbled); file creations and renames not made durable by a sync_dir of their directory
 * are undone. Afterwards the env works again. Exact model: lsm/io_fault.c. Call with no I/O in
 * flight (the database crashed via fault_env_crash, closed, or abandoned). */
int fault_env_drop_unsynced(strata_env *env, int torn_tail);
/* Stop counting/injecting (e.g. during reopen + verification). */
void fault_env_set_active(strata_env *env, int active);

#endif
