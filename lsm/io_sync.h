/*
 * lsm/io_sync.h — internals shared by the POSIX-file backends (io_sync.c, io_uring.c). Not for
 * other modules: they use lsm/env.h.
 *
 * Both backends use the same open file (struct strata_file: an fd and the path, for messages),
 * so the io_uring backend reuses every metadata method of the sync backend (open, close, size,
 * truncate, rename, list, lock, ...) and only replaces the data path (pread, pwrite,
 * pwrite_sync, sync, read_batch).
 */
#ifndef STRATA_LSM_IO_SYNC_H
#define STRATA_LSM_IO_SYNC_H

#include "lsm/env.h"

struct strata_file {
    int fd;
    char path[]; /* NUL-terminated; for error messages */
};

int io_sync_open(strata_env *env, const char *path, int flags, strata_file **out);
int io_sync_close(strata_env *env, strata_file *f);
int io_sync_pread(strata_env *env, strata_file *f, void *buf, size_t n, uint64_t off,
                  size_t *nread);
int io_sync_pread_around(strata_env *env, strata_file *f, void *buf, size_t n, uint64_t off,
                         size_t around, size_t *nread, int *cold);
int io_sync_pwrite(strata_env *env, strata_file *f, const void *buf, size_t n, uint64_t off);
int io_sync_pwrite_sync(strata_env *env, strata_file *f, const void *buf, size_t n, uint64_t off);
int io_sync_sync(strata_env *env, strata_file *f);
int io_sync_size(strata_env *env, strata_file *f, uint64_t *out);
int io_sync_truncate(strata_env *env, strata_file *f, uint64_t size);
int io_sync_read_batch(strata_env *env, env_read_req *reqs, size_t n);
int io_sync_exists(strata_env *env, const char *path);
int io_sync_unlink(strata_env *env, const char *path);
int io_sync_rename(strata_env *env, const char *from, const char *to);
int io_sync_mkdir(strata_env *env, const char *path);
int io_sync_rmdir(strata_env *env, const char *path);
int io_sync_sync_dir(strata_env *env, const char *dir);
int io_sync_list(strata_env *env, const char *dir, char ***names, size_t *n);
int io_sync_lock(strata_env *env, const char *path, strata_file **out);
int io_sync_unlock(strata_env *env, strata_file *f);

/* Error helpers: record "<op> <path>: <strerror>" with the code st_from_errno(err) gives. */
int io_errno(int err, const char *op, const char *path);

/* io_uring.c: 1 (default) = read_batch/pread first try preadv2(RWF_NOWAIT) for page-cache hits;
 * 0 = every read goes through the ring (tests use it to exercise the ring path). */
extern int io_uring_nowait_reads;

/* The io_uring env (io_uring.c), or NULL with *reason set when the ring cannot be set up. */
strata_env *io_uring_env_probe(const char **reason);

#endif
