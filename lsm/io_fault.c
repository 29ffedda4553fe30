/*
 * lsm/io_fault.c — the fault-injecting, power-loss-simulating env of lsm/env.h (tests only).
 *
 * A fault env wraps a base env (sync or io_uring) and forwards every method to it.
 *
 * FAULTS. Every I/O op is counted (one count per call of open, pread, pwrite, pwrite_sync, sync,
 * size, truncate, unlink, rename, mkdir, rmdir, sync_dir, list, lock, and one per request of a
 * read_batch); exists, close and unlock are not counted and never fail. The op whose count is
 * the armed n (fault_env_fail_nth: the n-th op counted after that call), or one drawn with
 * probability 1/one_in (fault_env_fail_random), fails instead of running, by kind:
 *
 *   - FAULT_EIO: nothing happens; STRATA_IOERR ("... (injected EIO)").
 *   - FAULT_ENOSPC: nothing happens; STRATA_NOSPACE.
 *   - FAULT_SHORT: a write (pwrite, pwrite_sync) stores only the first half of its bytes, does
 *     not sync, and returns STRATA_IOERR; any other op fails as with FAULT_EIO.
 *   - FAULT_TORN: as FAULT_SHORT, but the stored half is garbled (every byte XOR 0x5A).
 *
 * A failed sync leaves the file's durable length unchanged. fail_nth fires once; fail_random keeps
 * firing. fault_env_set_active(env, 0) stops counting and injecting (tracking goes on).
 *
 * CRASH. fault_env_crash kills the simulated process: every handle is closed (locks released)
 * and every later op fails with STRATA_IOERR until fault_env_drop_unsynced, so an abandoned or
 * closing database cannot write after its "death".
 *
 * POWER LOSS. The env tracks, per file (by normalised absolute path), its durable length: the
 * file size at its last successful sync/pwrite_sync (a file that existed before the env first
 * saw it counts as durable as it is; opening with ENV_TRUNCATE or truncating makes the durable
 * length at most the new size). It also records, per directory, the directory operations done
 * since that directory's last successful sync_dir: file creations (open with ENV_CREATE of a
 * missing file) and renames (keyed by the target's directory, with the target's previous
 * content saved). fault_env_drop_unsynced then models a power cut followed by a reboot:
 *   1. every handle opened through the env is closed (locks are released, as when a process
 *      dies); later calls on such a handle fail with STRATA_IOERR, close just frees it;
 *   2. every tracked file is cut back to its durable length. With torn_tail, a random prefix of
 *      the unsynced part survives (writes reach the disk in order) and its last up to 512 bytes
 *      (a torn sector) are replaced by random bytes;
 *   3. the recorded directory operations are undone newest first: a rename moves the file back
 *      to its old name and restores the target's previous durable content (or removes the
 *      target if it did not exist); a creation removes the file;
 *   4. what is left is now durable (the tracking restarts from the files as they are).
 * Not modelled (treated as durable at once): unlink, mkdir, rmdir; writes below a file's
 * durable length (the kernel never rewrites synced bytes); a file's size change beyond what was
 * written. This is the strict POSIX model: a new file needs a sync of its directory to survive,
 * even if the file itself was synced.
 *
 * Thread-safety: every method may be called from any thread. Counters and tracking are under a
 * mutex; data operations hold a read lock that fault_env_drop_unsynced takes for writing, so a
 * power cut never races a write in flight.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lsm/env.h"
#include "util/status.h"

typedef struct ftrack {
    char *path;      /* normalised absolute path */
    uint64_t synced; /* durable length */
    struct ftrack *next;
} ftrack;

enum { DIROP_CREATE = 1, DIROP_RENAME = 2 };

typedef struct dirop {
    int kind;
    char *dir;  /* the directory whose sync_dir makes it durable */
    char *path; /* create: the new file; rename: the target */
    char *from; /* rename: the source */
    int had_old;
    uint8_t *old; /* rename: the target's previous durable content */
    size_t old_n;
    struct dirop *prev, *next;
} dirop;

typedef struct fault_file {
    strata_file *base; /* NULL once dead (after a simulated crash) */
    char *path;        /* as opened: for messages */
    ftrack *t;         /* NULL for lock handles */
    int is_lock;
    struct fault_file *prev, *next;
} fault_file;

typedef struct fault_env {
    strata_env env; /* first: the methods; (fault_env *)env */
    strata_env *base;
    pthread_mutex_t mu;     /* counters, tracking, file list */
    pthread_rwlock_t crash; /* read: a data op in flight; write: drop_unsynced */
    int active;
    int crashed; /* fault_env_crash: every op fails until drop_unsynced */
    uint64_t ops, faults;
    uint64_t nth;
    fault_kind nth_kind;
    uint32_t one_in;
    fault_kind rnd_kind;
    uint64_t rng;
    ftrack *files;
    dirop *dhead, *dtail;
    fault_file *open_files;
    char name[96];
} fault_env;

#define FE(e)     ((fault_env *)(e))
#define FF(f)     ((fault_file *)(f))
#define FPATH(ff) ((ff)->path ? (ff)->path : "?")

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- paths ---- */

/* An absolute path with "." / ".." / repeated '/' resolved textually, and the directory part
 * resolved with realpath when it exists (so "dir/x" and "/abs/dir/x" are the same file). */
static char *norm_path(const char *path)
{
    char buf[PATH_MAX * 2];
    if (path[0] == '/') {
        snprintf(buf, sizeof buf, "%s", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;
        snprintf(buf, sizeof buf, "%s/%s", cwd, path);
    }
    /* split into components, resolve . and .. */
    char out[PATH_MAX * 2];
    size_t on = 0;
    char *save = NULL;
    for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0) continue;
        if (strcmp(c, "..") == 0) {
            while (on > 0 && out[on - 1] != '/') on--;
            if (on > 0) on--;
            continue;
        }
        size_t cl = strlen(c);
        if (on + cl + 2 >= sizeof out) break;
        out[on++] = '/';
        memcpy(out + on, c, cl);
        on += cl;
    }
    if (on == 0) out[on++] = '/';
    out[on] = 0;
    /* resolve symlinks in the directory part */
    char *slash = strrchr(out, '/');
    if (slash && slash != out) {
        *slash = 0;
        char real[PATH_MAX];
        if (realpath(out, real)) {
            char res[PATH_MAX * 2 + 2];
            snprintf(res, sizeof res, "%s/%s", strcmp(real, "/") == 0 ? "" : real, slash + 1);
            return strdup(res);
        }
        *slash = '/';
    }
    return strdup(out);
}

/* The directory of a normalised path ("/a/b" → "/a"). */
static char *dir_of(const char *npath)
{
    const char *slash = strrchr(npath, '/');
    if (!slash || slash == npath) return strdup("/");
    return strndup(npath, (size_t)(slash - npath));
}

/* A normalised directory path: the directory itself resolved with realpath when possible. */
static char *norm_dir(const char *dir)
{
    char real[PATH_MAX];
    if (realpath(dir, real)) return strdup(real);
    char *n = norm_path(dir);
    return n;
}

/* ---- tracking (REQUIRES: fe->mu held) ---- */

static ftrack *track_find(fault_env *fe, const char *npath)
{
    for (ftrack *t = fe->files; t; t = t->next)
        if (strcmp(t->path, npath) == 0) return t;
    return NULL;
}

static ftrack *track_add(fault_env *fe, const char *npath, uint64_t synced)
{
    ftrack *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->path = strdup(npath);
    t->synced = synced;
    t->next = fe->files;
    fe->files = t;
    return t;
}

static void track_remove(fault_env *fe, ftrack *t)
{
    for (ftrack **pp = &fe->files; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    for (fault_file *f = fe->open_files; f; f = f->next)
        if (f->t == t) f->t = NULL;
    free(t->path);
    free(t);
}

static void dirop_append(fault_env *fe, dirop *d)
{
    d->next = NULL;
    d->prev = fe->dtail;
    if (fe->dtail)
        fe->dtail->next = d;
    else
        fe->dhead = d;
    fe->dtail = d;
}

static void dirop_unlink(fault_env *fe, dirop *d)
{
    if (d->prev)
        d->prev->next = d->next;
    else
        fe->dhead = d->next;
    if (d->next)
        d->next->prev = d->prev;
    else
        fe->dtail = d->prev;
}

static void dirop_free(dirop *d)
{
    free(d->dir);
    free(d->path);
    free(d->from);
    free(d->old);
    free(d);
}

/* ---- fault decisions ---- */

#define FAULT_DEAD ((fault_kind)100) /* internal: the simulated process has crashed */

/* Counts one op; returns the fault to inject (FAULT_NONE mostly). */
static fault_kind count_op(fault_env *fe)
{
    fault_kind k = FAULT_NONE;
    pthread_mutex_lock(&fe->mu);
    if (fe->crashed) {
        k = FAULT_DEAD;
    } else if (fe->active) {
        fe->ops++;
        if (fe->nth && fe->ops == fe->nth) {
            k = fe->nth_kind;
            fe->nth = 0;
        } else if (fe->one_in && rng_next(&fe->rng) % fe->one_in == 0) {
            k = fe->rnd_kind;
        }
        if (k != FAULT_NONE) fe->faults++;
    }
    pthread_mutex_unlock(&fe->mu);
    return k;
}

static int fault_code(fault_kind k, const char *op, const char *path)
{
    if (k == FAULT_DEAD)
        return st_error(STRATA_IOERR, "%s %s: the process has crashed (simulated)", op, path);
    if (k == FAULT_ENOSPC)
        return st_errno(STRATA_NOSPACE, ENOSPC, "%s %s (injected ENOSPC)", op, path);
    return st_errno(STRATA_IOERR, EIO, "%s %s (injected %s)", op, path,
                    k == FAULT_SHORT  ? "short write"
                    : k == FAULT_TORN ? "torn write"
                                      : "EIO");
}

static int dead_handle(const char *op)
{
    return st_error(STRATA_IOERR, "%s: the process has crashed (simulated): handle closed", op);
}

/* ---- file methods ---- */

static int f_open(strata_env *env, const char *path, int flags, strata_file **out)
{
    fault_env *fe = FE(env);
    *out = NULL;
    fault_kind k = count_op(fe);
    if (k != FAULT_NONE) return fault_code(k, "open", path);
    fault_file *ff = calloc(1, sizeof *ff);
    char *np = norm_path(path);
    if (!ff || !np) {
        free(ff);
        free(np);
        return st_error(STRATA_NOMEM, "open %s: out of memory", path);
    }
    pthread_rwlock_rdlock(&fe->crash);
    int existed = fe->base->exists(fe->base, path);
    int rc = fe->base->open(fe->base, path, flags, &ff->base);
    uint64_t size = 0;
    if (rc == STRATA_OK && existed && !(flags & ENV_TRUNCATE))
        fe->base->size(fe->base, ff->base, &size);
    pthread_rwlock_unlock(&fe->crash);
    if (rc != STRATA_OK) {
        free(ff);
        free(np);
        return rc;
    }
    pthread_mutex_lock(&fe->mu);
    ftrack *t = track_find(fe, np);
    if (!t) {
        t = track_add(fe, np, existed ? size : 0);
    } else if (flags & ENV_TRUNCATE) {
        t->synced = 0;
    }
    if (!existed) {
        dirop *d = calloc(1, sizeof *d);
        if (d) {
            d->kind = DIROP_CREATE;
            d->path = strdup(np);
            d->dir = dir_of(np);
            dirop_append(fe, d);
        }
    }
    ff->t = t;
    ff->path = strdup(path);
    ff->next = fe->open_files;
    if (fe->open_files) fe->open_files->prev = ff;
    fe->open_files = ff;
    pthread_mutex_unlock(&fe->mu);
    free(np);
    *out = (strata_file *)ff;
    return STRATA_OK;
}

static int f_close(strata_env *env, strata_file *f)
{
    fault_env *fe = FE(env);
    fault_file *ff = FF(f);
    if (!ff) return STRATA_OK;
    pthread_rwlock_rdlock(&fe->crash);
    pthread_mutex_lock(&fe->mu);
    if (ff->prev)
        ff->prev->next = ff->next;
    else
        fe->open_files = ff->next;
    if (ff->next) ff->next->prev = ff->prev;
    pthread_mutex_unlock(&fe->mu);
    int rc = STRATA_OK;
    if (ff->base)
        rc = ff->is_lock ? fe->base->unlock(fe->base, ff->base)
                         : fe->base->close(fe->base, ff->base);
    pthread_rwlock_unlock(&fe->crash);
    free(ff->path);
    free(ff);
    return rc;
}

static int f_pread(strata_env *env, strata_file *f, void *buf, size_t n, uint64_t off,
                   size_t *nread)
{
    fault_env *fe = FE(env);
    *nread = 0;
    fault_kind k = count_op(fe);
    if (k != FAULT_NONE) return fault_code(k, "read", FPATH(FF(f)));
    pthread_rwlock_rdlock(&fe->crash);
    int rc = FF(f)->base ? fe->base->pread(fe->base, FF(f)->base, buf, n, off, nread)
                         : dead_handle("read");
    pthread_rwlock_unlock(&fe->crash);
    return rc;
}

static int f_pread_around(strata_env *env, strata_file *f, void *buf, size_t n, uint64_t off,
                          size_t around, size_t *nread, int *cold)
{
    fault_env *fe = FE(env);
    *nread = 0;
    *cold = 0;
    fault_kind k = count_op(fe);
    if (k != FAULT_NONE) return fault_code(k, "read", FPATH(FF(f)));
    pthread_rwlock_rdlock(&fe->crash);
    int rc;
    if (!FF(f)->base)
        rc = dead_handle("read");
    else if (fe->base->pread_around)
        rc = fe->base->pread_around(fe->base, FF(f)->base, buf, n, off, around, nread, cold);
    else
        rc = fe->base->pread(fe->base, FF(f)->base, buf, n, off, nread);
    pthread_rwlock_unlock(&fe->crash);
    return rc;
}

/* Updates the durable length of f's file after a successful sync. */
static void mark_synced(fault_env *fe, fault_file *ff)
{
    uint64_t size;
    if (fe->base->size(fe->base, ff->base, &size) != STRATA_OK) return;
    pthread_mutex_lock(&fe->mu);
    if (ff->t) ff->t->synced = size;
    pthread_mutex_unlock(&fe->mu);
}

static int do_write(strata_env *env, strata_file *f, const void *buf, size_t n, uint64_t off,
                    int dsync)
{
    fault_env *fe = FE(env);
    fault_file *ff = FF(f);
    const char *op = dsync ? "write+sync" : "write";
    fault_kind k = count_op(fe);
    int rc;
    pthread_rwlock_rdlock(&fe->crash);
    if (!ff->base) {
        rc = dead_handle(op);
    } else if (k == FAULT_SHORT || k == FAULT_TORN) {
        size_t part = n / 2;
        if (part > 0) {
            uint8_t *tmp = malloc(part);
            if (tmp) {
                memcpy(tmp, buf, part);
                if (k == FAULT_TORN)
                    for (size_t i = 0; i < part; i++) tmp[i] ^= 0x5A;
                fe->base->pwrite(fe->base, ff->base, tmp, part, off);
                free(tmp);
            }
        }
        rc = fault_code(k, op, FPATH(ff));
    } else if (k != FAULT_NONE) {
        rc = fault_code(k, op, FPATH(ff));
    } else if (dsync) {
        rc = fe->base->pwrite_sync(fe->base, ff->base, buf, n, off);
        if (rc == STRATA_OK) mark_synced(fe, ff);
    } else {
        rc = fe->base->pwrite(fe->base, ff->base, buf, n, off);
    }
    pthread_rwlock_unlock(&fe->crash);
    return rc;
}

static int f_pwrite(strata_env *env, strata_file *f, const void *buf, size_t n, uint64_t off)
{
    return do_write(env, f, buf, n, off, 0);
}

static int f_pwrite_sync(strata_env *env, strata_file *f, const void *buf, size_t n, uint64_t off)
{
    return do_write(env, f, buf, n, off, 1);
}

static int f_sync(strata_env *env, strata_file *f)
{
    fault_env *fe = FE(env);
    fault_file *ff = FF(f);
    fault_kind k = count_op(fe);
    if (k != FAULT_NONE) return fault_code(k, "fdatasync", FPATH(ff));
    pthread_rwlock_rdlock(&fe->crash);
    int rc = ff->base ? fe->base->sync(fe->base, ff->base) : dead_handle("fdatasync");
    if (rc == STRATA_OK) mark_synced(fe, ff);
    pthread_rwlock_unlock(&fe->crash);
    return rc;
}

static int f_size(strata_env *env, strata_file *f, uint64_t *out)
{
    fault_env *fe = FE(env);
    fault_file *ff = FF(f);
    fault_kind k = count_op(fe);
    if (k != FAULT_NONE) return fault_code(k, "fstat", FPATH(ff));
    pthread_rwlock_rdlock(&fe->crash);
    int rc = ff->base ? fe->base->size(fe->base, ff->base, out) : dead_handle("fstat");
    pthread_rwlock_unlock(&fe->crash);
    return rc;
}

static int f_truncate(strata_env *env, strata_file *f, uint64_t size)
{
    fault_env *fe = FE(env);
    fault_file *ff = FF(f);
    fault_kind k = count_op(fe);
    if (k != FAULT_NONE) return fault_code(k, "ftruncate", FPATH(ff));
    pthread_rwlock_rdlock(&fe->crash);
    int rc = ff->base ? fe->base->truncate(fe->base, ff->base, size) : dead_handle("ftruncate");
    if (rc == STRATA_OK) {
        pthread_mutex_lock(&fe->mu);
        if (ff->t && ff->t->synced > size) ff->t->synced = size;
        pthread_mutex_unlock(&fe->mu);
    }
    pthread_rwlock_unlock(&fe->crash);
    return rc;
}

static int f_read_batch(strata_env *env, env_read_req *reqs, size_t n)
{
    fault_env *fe = FE(env);
    env_read_req *sub = malloc((n ? n : 1) * sizeof *sub);
    size_t *map = malloc((n ? n : 1) * sizeof *map);
    if (!sub || !map) {
        free(sub);
        free(map);
        return st_error(STRATA_NOMEM, "read batch of %zu: out of memory", n);
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        fault_file *ff = FF(reqs[i].file);
        reqs[i].nread = 0;
        fault_kind k = count_op(fe);
        if (k != FAULT_NONE) {
            reqs[i].status = fault_code(k, "read", FPATH(ff));
            continue;
        }
        sub[m] = reqs[i];
        map[m++] = i;
    }
    pthread_rwlock_rdlock(&fe->crash);
    int rc = STRATA_OK;
    size_t live = 0;
    for (size_t j = 0; j < m; j++) {
        fault_file *ff = FF(reqs[map[j]].file);
        if (!ff->base) {
            reqs[map[j]].status = dead_handle("read");
            continue;
        }
        sub[live] = sub[j];
        sub[live].file = ff->base;
        map[live++] = map[j];
    }
    if (live) rc = fe->base->read_batch(fe->base, sub, live);
    pthread_rwlock_unlock(&fe->crash);
    for (size_t j = 0; rc == STRATA_OK && j < live; j++) {
        reqs[map[j]].status = sub[j].status;
        reqs[map[j]].nread = sub[j].nread;
    }
    free(sub);
    free(map);
    return rc;
}

/* ---- namespace methods ---- */

static int f_exists(strata_env *env, const char *path)
{
    return FE(env)->base->exists(FE(env)->base, path);
}

static int f_unlink(strata_env *env, const char *path)
{
    fault_env *fe = FE(env);
    fault_kind k = count_op(fe);
    if (k != FAULT_NONE) return fault_code(k, "unlink", path);
    char *np = norm_path(path);
    pthread_rwlock_rdlock(&fe->crash);
    int rc = fe->base->unlink(fe->base, path);
    if (rc == STRATA_OK && np) {
        pthread_mutex_lock(&fe->mu);
        ftrack *t = track_find(fe, np);
        if (t) track_remove(fe, t);
        pthread_mutex_unlock(&fe->mu);
    }
    pthread_rwlock_unlock(&fe->crash);
    free(np);
    return rc;
}

static int f_rename(strata_env *env, const char *from, const char *to)
{
    fault_env *fe = FE(env);
    fault_kind k = count_op(fe);
    if (k != FAULT_NONE) return fault_code(k, "rename", from);
    char *nfrom = norm_path(from), *nto = norm_path(to);
    dirop *d = calloc(1, sizeof *d);
    if (!nfrom || !nto || !d) {
        free(nfrom);
        free(nto);
        free(d);
        return st_error(STRATA_NOMEM, "rename %s: out of memory", from);
    }
    pthread_rwlock_rdlock(&fe->crash);
    /* the target's previous content, restored if the rename is undone */
    d->had_old = fe->base->exists(fe->base, to);
    uint64_t from_size = 0;
    if (d->had_old) {
        if (env_read_file(fe->base, to, &d->old, &d->old_n) != STRATA_OK) d->had_old = 0;
    }
    strata_file *src;
    if (fe->base->open(fe->base, from, ENV_READ, &src) == STRATA_OK) {
        fe->base->size(fe->base, src, &from_size);
        fe->base->close(fe->base, src);
    }
    int rc = fe->base->rename(fe->base, from, to);
    if (rc == STRATA_OK) {
        pthread_mutex_lock(&fe->mu);
        ftrack *told = track_find(fe, nto);
        if (d->had_old && told && told->synced < d->old_n) d->old_n = (size_t)told->synced;
        if (told) track_remove(fe, told);
        ftrack *tf = track_find(fe, nfrom);
        if (tf) {
            free(tf->path);
            tf->path = strdup(nto);
        } else {
            track_add(fe, nto, from_size);
        }
        d->kind = DIROP_RENAME;
        d->from = nfrom;
        d->path = nto;
        d->dir = dir_of(nto);
        dirop_append(fe, d);
        pthread_mutex_unlock(&fe->mu);
    } else {
        dirop_free(d);
        free(nfrom);
        free(nto);
    }
    pthread_rwlock_unlock(&fe->crash);
    return rc;
}

static int f_mkdir(strata_env *env, const char *path)
{
    fault_env *fe = FE(env);
    fault_kind k = count_op(fe);
    if (k != FAULT_NONE) return fault_code(k, "mkdir", path);
    return fe->base->mkdir(fe->base, path);
}

static int f_rmdir(strata_env *env, const char *path)
{
    fault_env *fe = FE(env);
    fault_kind k = count_op(fe);
    if (k != FAULT_NONE) return fault_code(k, "rmdir", path);
    return fe->base->rmdir(fe->base, path);
}

static int f_sync_dir(strata_env *env, const char *dir)
{
    fault_env *fe = FE(env);
    fault_kind k = count_op(fe);
    if (k != FAULT_NONE) return fault_code(k, "fsync directory", dir);
    pthread_rwlock_rdlock(&fe->crash);
    int rc = fe->base->sync_dir(fe->base, dir);
    if (rc == STRATA_OK) {
        char *nd = norm_dir(dir);
        pthread_mutex_lock(&fe->mu);
        for (dirop *d = fe->dhead, *next; d; d = next) {
            next = d->next;
            if (nd && strcmp(d->dir, nd) == 0) {
                dirop_unlink(fe, d);
                dirop_free(d);
            }
        }
        pthread_mutex_unlock(&fe->mu);
        free(nd);
    }
    pthread_rwlock_unlock(&fe->crash);
    return rc;
}

static int f_list(strata_env *env, const char *dir, char ***names, size_t *n)
{
    fault_env *fe = FE(env);
    *names = NULL;
    *n = 0;
    fault_kind k = count_op(fe);
    if (k != FAULT_NONE) return fault_code(k, "list", dir);
    return fe->base->list(fe->base, dir, names, n);
}

static int f_lock(strata_env *env, const char *path, strata_file **out)
{
    fault_env *fe = FE(env);
    *out = NULL;
    fault_kind k = count_op(fe);
    if (k != FAULT_NONE) return fault_code(k, "lock", path);
    fault_file *ff = calloc(1, sizeof *ff);
    if (!ff) return st_error(STRATA_NOMEM, "lock %s: out of memory", path);
    pthread_rwlock_rdlock(&fe->crash);
    int rc = fe->base->lock(fe->base, path, &ff->base);
    pthread_rwlock_unlock(&fe->crash);
    if (rc != STRATA_OK) {
        free(ff);
        return rc;
    }
    ff->is_lock = 1;
    ff->path = strdup(path);
    pthread_mutex_lock(&fe->mu);
    ff->next = fe->open_files;
    if (fe->open_files) fe->open_files->prev = ff;
    fe->open_files = ff;
    pthread_mutex_unlock(&fe->mu);
    *out = (strata_file *)ff;
    return STRATA_OK;
}

static int f_unlock(strata_env *env, strata_file *f)
{
    return f_close(env, f);
}

static void f_destroy(strata_env *env)
{
    fault_env_free(env);
}

/* ---- public ---- */

strata_env *fault_env_new(strata_env *base)
{
    fault_env *fe = calloc(1, sizeof *fe);
    if (!fe) return NULL;
    fe->base = base;
    pthread_mutex_init(&fe->mu, NULL);
    pthread_rwlock_init(&fe->crash, NULL);
    fe->active = 1;
    fe->rng = 0x5eed;
    snprintf(fe->name, sizeof fe->name, "fault(%s)", base->name);
    strata_env *e = &fe->env;
    e->name = fe->name;
    e->open = f_open;
    e->close = f_close;
    e->pread = f_pread;
    e->pread_around = f_pread_around;
    e->pwrite = f_pwrite;
    e->pwrite_sync = f_pwrite_sync;
    e->sync = f_sync;
    e->size = f_size;
    e->truncate = f_truncate;
    e->read_batch = f_read_batch;
    e->exists = f_exists;
    e->unlink = f_unlink;
    e->rename = f_rename;
    e->mkdir = f_mkdir;
    e->rmdir = f_rmdir;
    e->sync_dir = f_sync_dir;
    e->list = f_list;
    e->lock = f_lock;
    e->unlock = f_unlock;
    e->destroy = f_destroy;
    e->fallback_reason = base->fallback_reason;
    return e;
}

/* Frees the env. Handles still open through it are closed and freed too (a test that abandoned
 * a database after a simulated crash need not close them). */
void fault_env_free(strata_env *env)
{
    if (!env) return;
    fault_env *fe = FE(env);
    for (fault_file *f = fe->open_files, *next; f; f = next) {
        next = f->next;
        if (f->base) {
            if (f->is_lock)
                fe->base->unlock(fe->base, f->base);
            else
                fe->base->close(fe->base, f->base);
        }
        free(f->path);
        free(f);
    }
    for (ftrack *t = fe->files, *next; t; t = next) {
        next = t->next;
        free(t->path);
        free(t);
    }
    for (dirop *d = fe->dhead, *next; d; d = next) {
        next = d->next;
        dirop_free(d);
    }
    pthread_mutex_destroy(&fe->mu);
    pthread_rwlock_destroy(&fe->crash);
    free(fe);
}

void fault_env_fail_nth(strata_env *env, uint64_t n, fault_kind kind)
{
    fault_env *fe = FE(env);
    pthread_mutex_lock(&fe->mu);
    fe->nth = n ? fe->ops + n : 0;
    fe->nth_kind = n ? kind : FAULT_NONE;
    pthread_mutex_unlock(&fe->mu);
}

void fault_env_fail_random(strata_env *env, uint32_t one_in, uint64_t seed, fault_kind kind)
{
    fault_env *fe = FE(env);
    pthread_mutex_lock(&fe->mu);
    fe->one_in = kind == FAULT_NONE ? 0 : one_in;
    fe->rng = seed;
    fe->rnd_kind = kind;
    pthread_mutex_unlock(&fe->mu);
}

uint64_t fault_env_op_count(strata_env *env)
{
    fault_env *fe = FE(env);
    pthread_mutex_lock(&fe->mu);
    uint64_t n = fe->ops;
    pthread_mutex_unlock(&fe->mu);
    return n;
}

uint64_t fault_env_faults_injected(strata_env *env)
{
    fault_env *fe = FE(env);
    pthread_mutex_lock(&fe->mu);
    uint64_t n = fe->faults;
    pthread_mutex_unlock(&fe->mu);
    return n;
}

void fault_env_set_active(strata_env *env, int active)
{
    fault_env *fe = FE(env);
    pthread_mutex_lock(&fe->mu);
    fe->active = active;
    pthread_mutex_unlock(&fe->mu);
}

/* Cuts one file back to its durable length (step 2). REQUIRES: both locks held. */
static int drop_file(fault_env *fe, ftrack *t, int torn_tail)
{
    strata_env *b = fe->base;
    strata_file *f;
    int rc = b->open(b, t->path, ENV_READ | ENV_WRITE, &f);
    if (rc == STRATA_NOTFOUND) return STRATA_OK; /* removed behind our back */
    if (rc != STRATA_OK) return rc;
    uint64_t size = 0;
    rc = b->size(b, f, &size);
    if (rc == STRATA_OK && size > t->synced) {
        uint64_t keep = t->synced;
        if (torn_tail) keep += rng_next(&fe->rng) % (size - t->synced + 1);
        rc = b->truncate(b, f, keep);
        uint64_t unsynced_kept = keep - t->synced;
        if (rc == STRATA_OK && unsynced_kept > 0) {
            size_t g = unsynced_kept < 512 ? (size_t)unsynced_kept : 512;
            g = 1 + (size_t)(rng_next(&fe->rng) % g);
            uint8_t junk[512];
            for (size_t i = 0; i < g; i++) junk[i] = (uint8_t)rng_next(&fe->rng);
            rc = b->pwrite(b, f, junk, g, keep - g);
        }
        if (rc == STRATA_OK) rc = b->sync(b, f);
    }
    b->close(b, f);
    return rc;
}

/* Undoes one directory operation (step 3). REQUIRES: both locks held. */
static int undo_dirop(fault_env *fe, dirop *d)
{
    strata_env *b = fe->base;
    int rc = STRATA_OK;
    if (d->kind == DIROP_CREATE) {
        rc = b->unlink(b, d->path);
        if (rc == STRATA_NOTFOUND) rc = STRATA_OK;
        ftrack *t = track_find(fe, d->path);
        if (t) track_remove(fe, t);
        return rc;
    }
    /* rename: put the file back under its old name, restore the target */
    ftrack *t = track_find(fe, d->path);
    if (b->exists(b, d->path)) {
        rc = b->rename(b, d->path, d->from);
        if (rc != STRATA_OK) return rc;
        ftrack *tf = track_find(fe, d->from);
        if (tf) track_remove(fe, tf);
        if (t) {
            free(t->path);
            t->path = strdup(d->from);
        }
    } else if (t) {
        track_remove(fe, t);
    }
    if (d->had_old) {
        rc = env_write_file_sync(b, d->path, d->old, d->old_n);
        if (rc == STRATA_OK && !track_find(fe, d->path)) track_add(fe, d->path, d->old_n);
    }
    return rc;
}

/* The process dies: its descriptors (and locks) go away. REQUIRES: both locks held. */
static void kill_handles(fault_env *fe)
{
    for (fault_file *f = fe->open_files; f; f = f->next) {
        if (!f->base) continue;
        if (f->is_lock)
            fe->base->unlock(fe->base, f->base);
        else
            fe->base->close(fe->base, f->base);
        f->base = NULL;
    }
}

void fault_env_crash(strata_env *env)
{
    fault_env *fe = FE(env);
    pthread_rwlock_wrlock(&fe->crash);
    pthread_mutex_lock(&fe->mu);
    kill_handles(fe);
    fe->crashed = 1;
    pthread_mutex_unlock(&fe->mu);
    pthread_rwlock_unlock(&fe->crash);
}

int fault_env_drop_unsynced(strata_env *env, int torn_tail)
{
    fault_env *fe = FE(env);
    pthread_rwlock_wrlock(&fe->crash);
    pthread_mutex_lock(&fe->mu);
    /* 1. the process dies */
    kill_handles(fe);
    /* 2. unsynced data is lost (or torn) */
    int rc = STRATA_OK;
    for (ftrack *t = fe->files; t; t = t->next) {
        int r = drop_file(fe, t, torn_tail);
        if (r != STRATA_OK && rc == STRATA_OK) rc = r;
    }
    /* 3. directory operations not made durable are undone, newest first */
    while (fe->dtail) {
        dirop *d = fe->dtail;
        int r = undo_dirop(fe, d);
        if (r != STRATA_OK && rc == STRATA_OK) rc = r;
        dirop_unlink(fe, d);
        dirop_free(d);
    }
    /* 4. after the reboot, what is on disk is durable */
    for (ftrack *t = fe->files, *next; t; t = next) {
        next = t->next;
        strata_file *f;
        uint64_t size = 0;
        if (fe->base->open(fe->base, t->path, ENV_READ, &f) != STRATA_OK) {
            track_remove(fe, t);
            continue;
        }
        fe->base->size(fe->base, f, &size);
        fe->base->close(fe->base, f);
        t->synced = size;
    }
    fe->crashed = 0;
    pthread_mutex_unlock(&fe->mu);
    pthread_rwlock_unlock(&fe->crash);
    return rc;
}
