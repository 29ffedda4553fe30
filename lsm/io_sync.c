/*
 * lsm/io_sync.c — the pread/pwrite backend of lsm/env.h.
 *
 * Every method is a direct system call on a file descriptor; there is no shared mutable state
 * besides the kernel's, so every method is thread-safe. read_batch is a loop of preads.
 * Short reads are retried until EOF (so *nread < n only at end of file); short writes are
 * resubmitted until everything is written or an error occurs; EINTR is retried.
 *
 * Locks are flock(LOCK_EX | LOCK_NB) on a file descriptor of their own: flock locks belong to an
 * open file description, so a second lock of the same path fails also inside one process — the
 * second strata_kv_open of a directory gets STRATA_LOCKED. Closing the descriptor (unlock, or the
 * process dying) releases it.
 *
 * The io_uring backend (io_uring.c) reuses everything here except the data path.
 */
#include "lsm/io_sync.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/status.h"

int io_errno(int err, const char *op, const char *path)
{
    return st_errno(st_from_errno(err), err, "%s %s", op, path);
}

static strata_file *file_new(int fd, const char *path)
{
    size_t len = strlen(path);
    strata_file *f = malloc(sizeof *f + len + 1);
    if (!f) return NULL;
    f->fd = fd;
    memcpy(f->path, path, len + 1);
    return f;
}

int io_sync_open(strata_env *env, const char *path, int flags, strata_file **out)
{
    int oflags = O_CLOEXEC;
    *out = NULL;
    if ((flags & ENV_READ) && (flags & ENV_WRITE))
        oflags |= O_RDWR;
    else if (flags & ENV_WRITE)
        oflags |= O_WRONLY;
    else
        oflags |= O_RDONLY;
    if (flags & ENV_CREATE) oflags |= O_CREAT;
    if (flags & ENV_TRUNCATE) oflags |= O_TRUNC;
    if (flags & ENV_EXCL) oflags |= O_CREAT | O_EXCL;
    int fd;
    do {
        fd = open(path, oflags, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT) return st_errno(STRATA_NOTFOUND, err, "open %s", path);
        if (err == EEXIST) return st_errno(STRATA_EXISTS, err, "open %s", path);
        return io_errno(err, "open", path);
    }
    strata_file *f = file_new(fd, path);
    if (!f) {
        close(fd);
        return st_error(STRATA_NOMEM, "open %s: out of memory", path);
    }
    *out = f;
    return STRATA_OK;
}

int io_sync_close(strata_env *env, strata_file *f)
{
    if (!f) return STRATA_OK;
    int rc = STRATA_OK;
    /* close() is not retried on EINTR: on Linux the descriptor is released regardless. */
    if (close(f->fd) != 0 && errno != EINTR) rc = io_errno(errno, "close", f->path);
    free(f);
    return rc;
}

int io_sync_pread(strata_env *env, strata_file *f, void *buf, size_t n, uint64_t off, size_t *nread)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(f->fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            *nread = done;
            return st_errno(st_from_errno(errno), errno, "read %s at %llu (%zu bytes)", f->path,
                            (unsigned long long)(off + done), n - done);
        }
        if (r == 0) break; /* end of file */
        done += (size_t)r;
    }
    *nread = done;
    return STRATA_OK;
}

int io_sync_pread_around(strata_env *env, strata_file *f, void *buf, size_t n, uint64_t off,
                         size_t around, size_t *nread, int *cold)
{
    *cold = 0;
    size_t done = 0;
    if (n && around) {
        /* RWF_NOWAIT: served only from the page cache, never blocks (EAGAIN when not cached;
         * a short count when only the front is) */
        struct iovec iov = {buf, n};
        ssize_t got = preadv2(f->fd, &iov, 1, (off_t)off, RWF_NOWAIT);
        if (got == (ssize_t)n) {
            *nread = n;
            return STRATA_OK;
        }
        if (got > 0) done = (size_t)got;
        if (got > 0 || (got < 0 && errno == EAGAIN)) {
            uint64_t start = (off + done) & ~(uint64_t)(around - 1);
            (void)posix_fadvise(f->fd, (off_t)start, (off_t)around, POSIX_FADV_WILLNEED);
            *cold = 1;
        }
        /* else unsupported (EOPNOTSUPP) or an error the pread below reports */
    }
    size_t rest = 0;
    int rc = io_sync_pread(env, f, (char *)buf + done, n - done, off + done, &rest);
    *nread = done + rest;
    return rc;
}

int io_sync_pwrite(strata_env *env, strata_file *f, const void *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pwrite(f->fd, (const char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return st_errno(st_from_errno(errno), errno, "write %s at %llu (%zu bytes)", f->path,
                            (unsigned long long)(off + done), n - done);
        }
        if (r == 0) /* cannot happen for n > 0 on a regular file; avoid spinning */
            return st_error(STRATA_IOERR, "write %s at %llu: wrote 0 bytes", f->path,
                            (unsigned long long)(off + done));
        done += (size_t)r;
    }
    return STRATA_OK;
}

int io_sync_sync(strata_env *env, strata_file *f)
{
    int r;
    do {
        r = fdatasync(f->fd);
    } while (r != 0 && errno == EINTR);
    if (r != 0) return io_errno(errno, "fdatasync", f->path);
    return STRATA_OK;
}

int io_sync_pwrite_sync(strata_env *env, strata_file *f, const void *buf, size_t n, uint64_t off)
{
    int rc = io_sync_pwrite(env, f, buf, n, off);
    if (rc != STRATA_OK) return rc;
    return io_sync_sync(env, f);
}

int io_sync_size(strata_env *env, strata_file *f, uint64_t *out)
{
    struct stat st;
    if (fstat(f->fd, &st) != 0) return io_errno(errno, "fstat", f->path);
    *out = (uint64_t)st.st_size;
    return STRATA_OK;
}

int io_sync_truncate(strata_env *env, strata_file *f, uint64_t size)
{
    int r;
    do {
        r = ftruncate(f->fd, (off_t)size);
    } while (r != 0 && errno == EINTR);
    if (r != 0) return io_errno(errno, "ftruncate", f->path);
    return STRATA_OK;
}

int io_sync_read_batch(strata_env *env, env_read_req *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        reqs[i].status = io_sync_pread(env, reqs[i].file, reqs[i].buf, reqs[i].len, reqs[i].offset,
                                       &reqs[i].nread);
    return STRATA_OK;
}

int io_sync_exists(strata_env *env, const char *path)
{
    return access(path, F_OK) == 0;
}

int io_sync_unlink(strata_env *env, const char *path)
{
    if (unlink(path) != 0) {
        if (errno == ENOENT) return st_errno(STRATA_NOTFOUND, errno, "unlink %s", path);
        return io_errno(errno, "unlink", path);
    }
    return STRATA_OK;
}

int io_sync_rename(strata_env *env, const char *from, const char *to)
{
    if (rename(from, to) != 0) {
        int err = errno;
        int code = err == ENOENT ? STRATA_NOTFOUND : st_from_errno(err);
        return st_errno(code, err, "rename %s to %s", from, to);
    }
    return STRATA_OK;
}

int io_sync_mkdir(strata_env *env, const char *path)
{
    if (mkdir(path, 0755) != 0) {
        int err = errno;
        struct stat st;
        if (err == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return STRATA_OK;
        if (err == EEXIST) return st_errno(STRATA_EXISTS, err, "mkdir %s (not a directory)", path);
        if (err == ENOENT) return st_errno(STRATA_NOTFOUND, err, "mkdir %s", path);
        return io_errno(err, "mkdir", path);
    }
    return STRATA_OK;
}

int io_sync_rmdir(strata_env *env, const char *path)
{
    if (rmdir(path) != 0) {
        if (errno == ENOENT) return st_errno(STRATA_NOTFOUND, errno, "rmdir %s", path);
        return io_errno(errno, "rmdir", path);
    }
    return STRATA_OK;
}

int io_sync_sync_dir(strata_env *env, const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return st_errno(STRATA_NOTFOUND, errno, "open directory %s", dir);
        return io_errno(errno, "open directory", dir);
    }
    int r;
    do {
        r = fsync(fd);
    } while (r != 0 && errno == EINTR);
    int err = errno;
    close(fd);
    if (r != 0) return io_errno(err, "fsync directory", dir);
    return STRATA_OK;
}

int io_sync_list(strata_env *env, const char *dir, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return st_errno(STRATA_NOTFOUND, errno, "list %s", dir);
        return io_errno(errno, "list", dir);
    }
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    int rc = STRATA_OK;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno) rc = io_errno(errno, "list", dir);
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nv = realloc(v, ncap * sizeof *nv);
            if (!nv) {
                rc = st_error(STRATA_NOMEM, "list %s: out of memory", dir);
                break;
            }
            v = nv;
            cap = ncap;
        }
        v[cnt] = strdup(e->d_name);
        if (!v[cnt]) {
            rc = st_error(STRATA_NOMEM, "list %s: out of memory", dir);
            break;
        }
        cnt++;
    }
    closedir(d);
    if (rc != STRATA_OK) {
        for (size_t i = 0; i < cnt; i++) free(v[i]);
        free(v);
        return rc;
    }
    *names = v;
    *n = cnt;
    return STRATA_OK;
}

int io_sync_lock(strata_env *env, const char *path, strata_file **out)
{
    *out = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return io_errno(errno, "open lock file", path);
    int r;
    do {
        r = flock(fd, LOCK_EX | LOCK_NB);
    } while (r != 0 && errno == EINTR);
    if (r != 0) {
        int err = errno;
        close(fd);
        if (err == EWOULDBLOCK)
            return st_error(STRATA_LOCKED, "database is locked by another process or handle: %s",
                            path);
        return io_errno(err, "flock", path);
    }
    strata_file *f = file_new(fd, path);
    if (!f) {
        close(fd);
        return st_error(STRATA_NOMEM, "lock %s: out of memory", path);
    }
    *out = f;
    return STRATA_OK;
}

int io_sync_unlock(strata_env *env, strata_file *f)
{
    if (!f) return STRATA_OK;
    flock(f->fd, LOCK_UN);
    return io_sync_close(env, f);
}

static strata_env sync_env = {
    .name = "sync",
    .open = io_sync_open,
    .close = io_sync_close,
    .pread = io_sync_pread,
    .pread_around = io_sync_pread_around,
    .pwrite = io_sync_pwrite,
    .pwrite_sync = io_sync_pwrite_sync,
    .sync = io_sync_sync,
    .size = io_sync_size,
    .truncate = io_sync_truncate,
    .read_batch = io_sync_read_batch,
    .exists = io_sync_exists,
    .unlink = io_sync_unlink,
    .rename = io_sync_rename,
    .mkdir = io_sync_mkdir,
    .rmdir = io_sync_rmdir,
    .sync_dir = io_sync_sync_dir,
    .list = io_sync_list,
    .lock = io_sync_lock,
    .unlock = io_sync_unlock,
    .destroy = NULL,
    .fallback_reason = NULL,
};

strata_env *env_sync(void)
{
    return &sync_env;
}
