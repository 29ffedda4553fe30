/*
 * lsm/wal_writer.c — appends records to a log (lsm/wal.h, layout in lsm/wal_format.h).
 *
 * The writer keeps one growing buffer of bytes not yet handed to the OS: each add encodes the
 * header and copies the payload behind the deferred records, so a record (or a whole deferred
 * group) costs one pwrite — or one linked pwrite+fdatasync with WAL_SYNC. Payloads larger than
 * WAL_DIRECT_BYTES are not copied: the buffer (ending with their header) is written, then the
 * payload itself, the second write carrying the sync.
 *
 * The buffer never holds a byte that an acknowledged WAL_SYNC add needed: a synced add writes
 * everything buffered before it in the same write.
 *
 * Failure: a failed write or sync leaves the file in an unknown state, so the writer becomes
 * unusable (every later call returns STRATA_IOERR naming the first error) rather than risk
 * writing new records after a partial one.
 *
 * Thread-safety: one thread at a time (the db's commit leader).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsm/wal.h"
#include "lsm/wal_format.h"
#include "util/status.h"

#define WAL_DIRECT_BYTES (256u * 1024u) /* payloads above this are written without copying */
#define WAL_DEFER_LIMIT  (1u << 20)     /* deferred bytes above this are written out */

struct wal_writer {
    strata_env *env;
    strata_file *file;
    uint64_t file_off; /* file offset where buf starts */
    uint8_t *buf;
    size_t buf_n, buf_cap;
    int err;          /* sticky error code, 0 if none */
    char errmsg[256]; /* the first error's message */
    char path[];
};

static int writer_new(strata_env *env, const char *path, wal_writer **out)
{
    size_t pl = strlen(path);
    wal_writer *w = calloc(1, sizeof *w + pl + 1);
    if (!w) return st_error(STRATA_NOMEM, "log %s: out of memory", path);
    memcpy(w->path, path, pl + 1);
    w->env = env;
    *out = w;
    return STRATA_OK;
}

static int sync_parent_dir(strata_env *env, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return env->sync_dir(env, ".");
    if (slash == path) return env->sync_dir(env, "/");
    char *dir = strndup(path, (size_t)(slash - path));
    if (!dir) return st_error(STRATA_NOMEM, "log %s: out of memory", path);
    int rc = env->sync_dir(env, dir);
    free(dir);
    return rc;
}

int wal_writer_open(strata_env *env, const char *path, wal_writer **out)
{
    *out = NULL;
    wal_writer *w = NULL;
    int rc = writer_new(env, path, &w);
    if (rc != STRATA_OK) return rc;
    rc = env->open(env, path, ENV_WRITE | ENV_CREATE | ENV_EXCL, &w->file);
    if (rc != STRATA_OK) {
        free(w);
        return rc;
    }
    rc = sync_parent_dir(env, path);
    if (rc != STRATA_OK) {
        env->close(env, w->file);
        env->unlink(env, path);
        free(w);
        return rc;
    }
    *out = w;
    return STRATA_OK;
}

int wal_writer_reopen(strata_env *env, const char *path, uint64_t offset, wal_writer **out)
{
    *out = NULL;
    wal_writer *w = NULL;
    int rc = writer_new(env, path, &w);
    if (rc != STRATA_OK) return rc;
    rc = env->open(env, path, ENV_READ | ENV_WRITE, &w->file);
    if (rc != STRATA_OK) {
        free(w);
        return rc;
    }
    uint64_t size = 0;
    rc = env->size(env, w->file, &size);
    if (rc == STRATA_OK && offset > size)
        rc = st_error(STRATA_INVALID, "log %s: reopen at %llu past end of file (%llu)", path,
                      (unsigned long long)offset, (unsigned long long)size);
    if (rc == STRATA_OK && offset < size) {
        rc = env->truncate(env, w->file, offset);
        if (rc == STRATA_OK) rc = env->sync(env, w->file);
    }
    if (rc != STRATA_OK) {
        env->close(env, w->file);
        free(w);
        return rc;
    }
    w->file_off = offset;
    *out = w;
    return STRATA_OK;
}

static int sticky(wal_writer *w)
{
    return st_error(STRATA_IOERR, "log %s: unusable after an earlier error (%s)", w->path,
                    w->errmsg);
}

static int fail(wal_writer *w, int rc)
{
    w->err = rc;
    snprintf(w->errmsg, sizeof w->errmsg, "%s", st_errmsg());
    w->buf_n = 0;
    return rc;
}

static int reserve(wal_writer *w, size_t extra)
{
    if (w->buf_n + extra <= w->buf_cap) return STRATA_OK;
    size_t cap = w->buf_cap ? w->buf_cap : 4096;
    while (cap < w->buf_n + extra) cap *= 2;
    uint8_t *nb = realloc(w->buf, cap);
    if (!nb) return st_error(STRATA_NOMEM, "log %s: out of memory for %zu bytes", w->path, cap);
    w->buf = nb;
    w->buf_cap = cap;
    return STRATA_OK;
}

/* Writes the buffer (with sync: and fdatasyncs). */
static int write_buf(wal_writer *w, int sync)
{
    int rc;
    if (w->buf_n == 0)
        rc = sync ? w->env->sync(w->env, w->file) : STRATA_OK;
    else if (sync)
        rc = w->env->pwrite_sync(w->env, w->file, w->buf, w->buf_n, w->file_off);
    else
        rc = w->env->pwrite(w->env, w->file, w->buf, w->buf_n, w->file_off);
    if (rc != STRATA_OK) return fail(w, rc);
    w->file_off += w->buf_n;
    w->buf_n = 0;
    /* do not keep a huge buffer around after one big group */
    if (w->buf_cap > 4 * WAL_DEFER_LIMIT) {
        free(w->buf);
        w->buf = NULL;
        w->buf_cap = 0;
    }
    return STRATA_OK;
}

int wal_writer_add(wal_writer *w, const void *rec, size_t n, int sync)
{
    if (w->err) return sticky(w);
    if (n > WAL_MAX_RECORD)
        return st_error(STRATA_TOOBIG, "log %s: record of %zu bytes exceeds the limit of %u",
                        w->path, n, WAL_MAX_RECORD);
    int defer = sync == WAL_DEFER;
    int dsync = sync && !defer;
    int direct = n > WAL_DIRECT_BYTES;
    int rc = reserve(w, WAL_HEADER_SIZE + (direct ? 0 : n));
    if (rc != STRATA_OK) return rc;
    wal_encode_header(w->buf + w->buf_n, rec, (uint32_t)n);
    w->buf_n += WAL_HEADER_SIZE;
    if (!direct) {
        if (n) memcpy(w->buf + w->buf_n, rec, n);
        w->buf_n += n;
        if (defer && w->buf_n < WAL_DEFER_LIMIT) return STRATA_OK;
        return write_buf(w, dsync);
    }
    rc = write_buf(w, 0);
    if (rc != STRATA_OK) return rc;
    rc = dsync ? w->env->pwrite_sync(w->env, w->file, rec, n, w->file_off)
               : w->env->pwrite(w->env, w->file, rec, n, w->file_off);
    if (rc != STRATA_OK) return fail(w, rc);
    w->file_off += n;
    return STRATA_OK;
}

int wal_writer_flush(wal_writer *w)
{
    if (w->err) return sticky(w);
    return write_buf(w, 0);
}

int wal_writer_sync(wal_writer *w)
{
    if (w->err) return sticky(w);
    return write_buf(w, 1);
}

uint64_t wal_writer_size(const wal_writer *w)
{
    return w->file_off + w->buf_n;
}

int wal_writer_close(wal_writer *w)
{
    if (!w) return STRATA_OK;
    int rc = w->err ? STRATA_OK : write_buf(w, 0);
    int rc2 = w->env->close(w->env, w->file);
    free(w->buf);
    free(w);
    return rc != STRATA_OK ? rc : rc2;
}
