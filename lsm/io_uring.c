/*
 * lsm/io_uring.c — the io_uring backend of lsm/env.h (liburing).
 *
 * Thread-safety: every thread that does I/O through this env gets its own ring, created lazily on
 * its first data operation and torn down by a pthread key destructor when the thread exits. A
 * ring is therefore only ever touched by one thread (no locks on the I/O path, and the ring is
 * set up with IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN where the kernel knows
 * them). If a thread cannot get a ring (resource limits), that thread does its I/O with the sync
 * backend's pread/pwrite instead; results are identical.
 *
 * Data path:
 *   read_batch   first, every request tries preadv2(RWF_NOWAIT): a page-cache hit is served at
 *                once, at the cost of a plain pread, and never blocks. What is left (not cached,
 *                or partly) goes to the ring: up to RING_DEPTH reads in flight; all that fit are
 *                prepared and
 *                submitted with ONE io_uring_submit_and_wait, completions are reaped in batches
 *                (io_uring_peek_batch_cqe + io_uring_cq_advance); a short read is resubmitted for
 *                its remainder (a read returning 0 is end of file and stops that request),
 *                -EAGAIN/-EINTR are resubmitted, any other cqe->res = -errno is that request's
 *                error.
 *   pread        the sync backend's pread(2): one read has nothing to overlap, and a ring round
 *                trip (submit, wait, possibly an io-wq worker hop) costs more than the syscall.
 *   pwrite       the sync backend's pwrite(2), for the same reason: the WAL's unsynced appends
 *                and the SST builder's chunked writes are single buffered writes. Measured with
 *                strace on fillseq: two io_uring_enter calls and a worker wake-up per put before,
 *                one pwrite after.
 *   pwrite_sync  write + fdatasync linked (IOSQE_IO_LINK) in one submission; a short write
 *                cancels the fsync (-ECANCELED), and the remainder is resubmitted with a new
 *                linked fsync.
 *   sync         one IORING_OP_FSYNC with IORING_FSYNC_DATASYNC.
 * Every other method (open, close, size, truncate, rename, list, lock, ...) is the sync
 * backend's (io_sync.c): the open file is the same struct strata_file.
 *
 * One SQE moves at most IO_CHUNK bytes (the SQE length is 32 bits); longer requests are resumed
 * like short ones.
 *
 * If io_uring_submit_and_wait itself fails with anything but EINTR/EAGAIN/EBUSY (it should not),
 * the thread's ring is torn down, the thread switches to the sync backend, and the operation is
 * finished with pread/pwrite.
 */
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "lsm/io_sync.h"
#include "util/status.h"

enum { RING_DEPTH = 128 };
#define IO_CHUNK ((size_t)1 << 30)

enum { RING_NONE = 0, RING_OK = 1, RING_FAILED = 2 };

int io_uring_nowait_reads = 1;

typedef struct tl_ring {
    struct io_uring ring;
    int state;
} tl_ring;

static _Thread_local tl_ring *tl;
static pthread_key_t ring_key;
static pthread_once_t ring_key_once = PTHREAD_ONCE_INIT;
static int ring_key_ok;

static void ring_free(void *p)
{
    tl_ring *r = p;
    if (r->state == RING_OK) io_uring_queue_exit(&r->ring);
    free(r);
}

static void ring_key_init(void)
{
    ring_key_ok = pthread_key_create(&ring_key, ring_free) == 0;
}

static int ring_init(struct io_uring *ring, unsigned depth)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    int rc = io_uring_queue_init_params(depth, ring, &p);
    if (rc == -EINVAL) { /* kernel older than 6.1: plain ring */
        memset(&p, 0, sizeof p);
        rc = io_uring_queue_init_params(depth, ring, &p);
    }
    return rc;
}

/* This thread's ring, or NULL when this thread must use the sync path. */
static struct io_uring *ring_get(void)
{
    if (ST_LIKELY(tl != NULL)) return tl->state == RING_OK ? &tl->ring : NULL;
    pthread_once(&ring_key_once, ring_key_init);
    tl_ring *r = calloc(1, sizeof *r);
    if (!r) return NULL; /* tried again next time */
    r->state = ring_init(&r->ring, RING_DEPTH) == 0 ? RING_OK : RING_FAILED;
    tl = r;
    if (ring_key_ok) pthread_setspecific(ring_key, r);
    return r->state == RING_OK ? &r->ring : NULL;
}

/* After a hard submission error: drop the ring, this thread uses the sync path from now on.
 * Requests still in flight are cancelled by the kernel when the ring closes; they target the
 * same bytes the sync path is about to read or write again. */
static void ring_break(void)
{
    if (tl && tl->state == RING_OK) {
        io_uring_queue_exit(&tl->ring);
        tl->state = RING_FAILED;
    }
}

static struct io_uring_sqe *sqe_get(struct io_uring *ring)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) { /* cannot happen: we never prepare more than RING_DEPTH at a time */
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
    }
    return sqe;
}

static int retryable(int res)
{
    return res == -EINTR || res == -EAGAIN || res == -EBUSY;
}

/* ---- reads ---- */

static void prep_read(struct io_uring *ring, env_read_req *r, size_t idx)
{
    struct io_uring_sqe *sqe = sqe_get(ring);
    size_t left = r->len - r->nread;
    if (left > IO_CHUNK) left = IO_CHUNK;
    io_uring_prep_read(sqe, r->file->fd, (char *)r->buf + r->nread, (unsigned)left,
                       r->offset + r->nread);
    io_uring_sqe_set_data64(sqe, (uint64_t)idx);
}

/* Finishes the requests of a batch that the ring could not serve, with pread. */
static int read_batch_sync_rest(env_read_req *reqs, size_t n, const unsigned char *done)
{
    for (size_t i = 0; i < n; i++) {
        if (done[i]) continue;
        env_read_req *r = &reqs[i];
        size_t more = 0;
        r->status = io_sync_pread(NULL, r->file, (char *)r->buf + r->nread, r->len - r->nread,
                                  r->offset + r->nread, &more);
        r->nread += more;
    }
    return STRATA_OK;
}

static int uring_read_batch(strata_env *env, env_read_req *reqs, size_t n)
{
    struct io_uring *ring = ring_get();
    if (!ring) return io_sync_read_batch(env, reqs, n);

    /* done[] marks finished requests; small batches use the stack */
    unsigned char stack_done[256];
    unsigned char *done = n <= sizeof stack_done ? stack_done : calloc(n, 1);
    if (!done) return io_sync_read_batch(env, reqs, n);
    if (done == stack_done) memset(done, 0, n);

    size_t next = 0, inflight = 0, finished = 0;
    for (size_t i = 0; i < n; i++) {
        env_read_req *r = &reqs[i];
        r->status = STRATA_OK;
        r->nread = 0;
        /* page-cache hits are served at once without blocking; the rest goes to the ring */
        if (io_uring_nowait_reads && r->len && r->len <= IO_CHUNK) {
            struct iovec iov = {r->buf, r->len};
            ssize_t got = preadv2(r->file->fd, &iov, 1, (off_t)r->offset, RWF_NOWAIT);
            if (got > 0) r->nread = (size_t)got;
            if (got == (ssize_t)r->len) {
                done[i] = 1;
                finished++;
            }
        }
    }
    while (finished < n) {
        while (next < n && inflight < RING_DEPTH) {
            if (done[next]) {
                next++;
                continue;
            }
            if (reqs[next].len == 0) {
                done[next++] = 1;
                finished++;
                continue;
            }
            prep_read(ring, &reqs[next], next);
            next++;
            inflight++;
        }
        if (finished == n) break;
        int rc = io_uring_submit_and_wait(ring, 1);
        if (rc < 0 && !retryable(rc)) {
            ring_break();
            read_batch_sync_rest(reqs, n, done);
            goto out;
        }
        struct io_uring_cqe *cqes[RING_DEPTH];
        unsigned got = io_uring_peek_batch_cqe(ring, cqes, RING_DEPTH);
        for (unsigned k = 0; k < got; k++) {
            size_t idx = (size_t)io_uring_cqe_get_data64(cqes[k]);
            int res = cqes[k]->res;
            env_read_req *r = &reqs[idx];
            if (res > 0) {
                r->nread += (size_t)res;
                if (r->nread < r->len) { /* short read (or chunk): ask for the rest */
                    prep_read(ring, r, idx);
                    continue;
                }
            } else if (retryable(res)) {
                prep_read(ring, r, idx);
                continue;
            } else if (res < 0) {
                r->status = st_errno(st_from_errno(-res), -res, "read %s at %llu (%zu bytes)",
                                     r->file->path, (unsigned long long)(r->offset + r->nread),
                                     r->len - r->nread);
            } /* res == 0: end of file */
            done[idx] = 1;
            inflight--;
            finished++;
        }
        io_uring_cq_advance(ring, got);
    }
out:
    if (done != stack_done) free(done);
    return STRATA_OK;
}

static int uring_pread(strata_env *env, strata_file *f, void *buf, size_t n, uint64_t off,
                       size_t *nread)
{
    return io_sync_pread(env, f, buf, n, off, nread);
}

/* ---- writes ---- */

/* Waits for one completion; returns its res and user data. */
static int wait_one(struct io_uring *ring, int *res, uint64_t *data)
{
    struct io_uring_cqe *cqe;
    int rc;
    do {
        rc = io_uring_wait_cqe(ring, &cqe);
    } while (rc == -EINTR || rc == -EAGAIN);
    if (rc < 0) return rc;
    *res = cqe->res;
    *data = io_uring_cqe_get_data64(cqe);
    io_uring_cqe_seen(ring, cqe);
    return 0;
}

static int write_error(int err, strata_file *f, uint64_t off, size_t n)
{
    return st_errno(st_from_errno(err), err, "write %s at %llu (%zu bytes)", f->path,
                    (unsigned long long)off, n);
}

/* Writes buf[0..n) at off; with dsync, linked with an fdatasync that must also succeed. */
static int uring_write(strata_env *env, strata_file *f, const void *buf, size_t n, uint64_t off,
                       int dsync)
{
    struct io_uring *ring = ring_get();
    if (!ring) goto sync_path;
    size_t done = 0;
    for (;;) {
        size_t left = n - done;
        size_t chunk = left > IO_CHUNK ? IO_CHUNK : left;
        int want = 0;
        if (chunk > 0) {
            struct io_uring_sqe *sqe = sqe_get(ring);
            io_uring_prep_write(sqe, f->fd, (const char *)buf + done, (unsigned)chunk, off + done);
            io_uring_sqe_set_data64(sqe, 1);
            /* link the fsync only to the last chunk */
            if (dsync && chunk == left) sqe->flags |= IOSQE_IO_LINK;
            want++;
        }
        int with_sync = dsync && chunk == left;
        if (with_sync) {
            struct io_uring_sqe *sqe = sqe_get(ring);
            io_uring_prep_fsync(sqe, f->fd, IORING_FSYNC_DATASYNC);
            io_uring_sqe_set_data64(sqe, 2);
            want++;
        }
        if (want == 0) return STRATA_OK; /* n == 0 and no sync */
        int rc;
        do {
            rc = io_uring_submit(ring);
        } while (retryable(rc));
        if (rc < 0) {
            ring_break();
            buf = (const char *)buf + done;
            n -= done;
            off += done;
            goto sync_path;
        }
        int wres = (int)chunk, sres = 0;
        for (int k = 0; k < want; k++) {
            int res;
            uint64_t data;
            rc = wait_one(ring, &res, &data);
            if (rc < 0) {
                ring_break();
                buf = (const char *)buf + done;
                n -= done;
                off += done;
                goto sync_path;
            }
            if (data == 1)
                wres = res;
            else
                sres = res;
        }
        if (wres < 0) {
            if (retryable(wres)) continue;
            return write_error(-wres, f, off + done, n - done);
        }
        if (chunk > 0 && wres == 0)
            return st_error(STRATA_IOERR, "write %s at %llu: wrote 0 bytes", f->path,
                            (unsigned long long)(off + done));
        done += (size_t)wres;
        if (done < n) continue; /* short write or next chunk (a linked fsync was cancelled) */
        if (!dsync) return STRATA_OK;
        if (with_sync && (size_t)wres == chunk) {
            if (sres == 0) return STRATA_OK;
            if (retryable(sres) || sres == -ECANCELED) { /* write complete: sync alone */
                return env->sync(env, f);
            }
            return st_errno(st_from_errno(-sres), -sres, "fdatasync %s", f->path);
        }
        return env->sync(env, f);
    }
sync_path:
    return dsync ? io_sync_pwrite_sync(env, f, buf, n, off) : io_sync_pwrite(env, f, buf, n, off);
}

/* A buffered write without sync is a copy into the page cache. io_uring hands appends (writes
 * that extend the file) to a kernel worker thread, which measured 5-7x slower than pwrite for
 * WAL- and block-sized appends (ext4, kernel 6.x), so plain writes use pwrite. */
static int uring_pwrite(strata_env *env, strata_file *f, const void *buf, size_t n, uint64_t off)
{
    return io_sync_pwrite(env, f, buf, n, off);
}

static int uring_pwrite_sync(strata_env *env, strata_file *f, const void *buf, size_t n,
                             uint64_t off)
{
    return uring_write(env, f, buf, n, off, 1);
}

static int uring_sync(strata_env *env, strata_file *f)
{
    struct io_uring *ring = ring_get();
    if (!ring) return io_sync_sync(env, f);
    for (;;) {
        struct io_uring_sqe *sqe = sqe_get(ring);
        io_uring_prep_fsync(sqe, f->fd, IORING_FSYNC_DATASYNC);
        io_uring_sqe_set_data64(sqe, 2);
        int rc;
        do {
            rc = io_uring_submit(ring);
        } while (retryable(rc));
        int res;
        uint64_t data;
        if (rc < 0 || wait_one(ring, &res, &data) < 0) {
            ring_break();
            return io_sync_sync(env, f);
        }
        if (res == 0) return STRATA_OK;
        if (retryable(res)) continue;
        return st_errno(st_from_errno(-res), -res, "fdatasync %s", f->path);
    }
}

static strata_env uring_env = {
    .name = "io_uring",
    .open = io_sync_open,
    .close = io_sync_close,
    .pread = uring_pread,
    .pread_around = io_sync_pread_around,
    .pwrite = uring_pwrite,
    .pwrite_sync = uring_pwrite_sync,
    .sync = uring_sync,
    .size = io_sync_size,
    .truncate = io_sync_truncate,
    .read_batch = uring_read_batch,
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

strata_env *io_uring_env_probe(const char **reason)
{
    static char why[200];
    struct io_uring ring;
#ifdef STRATA_TEST_HOOKS
    /* tests of the fallback path (a child process sets it before the first env_uring call) */
    const char *force = getenv("STRATA_TEST_URING_FAIL");
    if (force && *force) {
        snprintf(why, sizeof why, "io_uring_queue_init: %s (forced by STRATA_TEST_URING_FAIL)",
                 strerror(ENOSYS));
        *reason = why;
        return NULL;
    }
#endif
    int rc = ring_init(&ring, 4);
    if (rc < 0) {
        snprintf(why, sizeof why, "io_uring_queue_init: %s", strerror(-rc));
        *reason = why;
        return NULL;
    }
    struct io_uring_probe *p = io_uring_get_probe_ring(&ring);
    int ok = p && io_uring_opcode_supported(p, IORING_OP_READ) &&
             io_uring_opcode_supported(p, IORING_OP_WRITE) &&
             io_uring_opcode_supported(p, IORING_OP_FSYNC);
    if (p) io_uring_free_probe(p);
    io_uring_queue_exit(&ring);
    if (!ok) {
        snprintf(why, sizeof why, "kernel lacks IORING_OP_READ/WRITE/FSYNC");
        *reason = why;
        return NULL;
    }
    *reason = NULL;
    return &uring_env;
}
