/*
 * tests/lsm/env_test.c — the env backends (sync and io_uring) and the fault env: file data,
 * batched reads with end-of-file short reads, metadata operations, locks, backend selection,
 * injected faults and simulated power loss.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lsm/env.h"
#include "lsm/io_sync.h"
#include "test.h"
#include "util/status.h"

static char *join(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

static int has_name(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return 1;
    return 0;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* ---- one backend, every method ---- */

static void exercise_backend(strata_env *env, const char *tag)
{
    char *dir = test_tmpdir(tag);
    char *path = join(dir, "data");
    strata_file *f;

    /* missing file / exclusive create */
    CHECK_EQ_INT(env->open(env, path, ENV_READ, &f), STRATA_NOTFOUND);
    CHECK(strstr(st_errmsg(), path) != NULL);
    REQUIRE(env->open(env, path, ENV_READ | ENV_WRITE | ENV_CREATE | ENV_EXCL, &f) == STRATA_OK);
    strata_file *g;
    CHECK_EQ_INT(env->open(env, path, ENV_WRITE | ENV_CREATE | ENV_EXCL, &g), STRATA_EXISTS);
    CHECK_EQ_INT(env->exists(env, path), 1);

    /* 3 MiB written in pieces of odd sizes, the last with write+sync */
    size_t total = 3u << 20;
    uint8_t *src = malloc(total), *dst = malloc(total);
    fill(src, total, 7);
    size_t off = 0, piece = 1;
    while (off < total) {
        size_t n = piece < total - off ? piece : total - off;
        int last = off + n == total;
        int rc = last ? env->pwrite_sync(env, f, src + off, n, off)
                      : env->pwrite(env, f, src + off, n, off);
        CHECK_EQ_INT(rc, STRATA_OK);
        off += n;
        piece = piece * 3 + 1;
    }
    CHECK_EQ_INT(env->sync(env, f), STRATA_OK);
    uint64_t size = 0;
    CHECK_EQ_INT(env->size(env, f, &size), STRATA_OK);
    CHECK_EQ_INT(size, total);

    /* whole-file pread, and a read running past end of file */
    size_t nread = 0;
    memset(dst, 0, total);
    CHECK_EQ_INT(env->pread(env, f, dst, total, 0, &nread), STRATA_OK);
    CHECK_EQ_INT(nread, total);
    CHECK_MEM(dst, nread, src, total);
    CHECK_EQ_INT(env->pread(env, f, dst, 100, total - 40, &nread), STRATA_OK);
    CHECK_EQ_INT(nread, 40);
    CHECK_MEM(dst, 40, src + total - 40, 40);
    CHECK_EQ_INT(env->pread(env, f, dst, 100, total + 5, &nread), STRATA_OK);
    CHECK_EQ_INT(nread, 0);

    /* pread_around: the same bytes as pread, the same short read at end of file */
    REQUIRE(env->pread_around != NULL);
    int cold = -1;
    CHECK_EQ_INT(env->pread_around(env, f, dst, 5000, 12345, 64 << 10, &nread, &cold), STRATA_OK);
    CHECK_EQ_INT(nread, 5000);
    CHECK_MEM(dst, 5000, src + 12345, 5000);
    CHECK_EQ_INT(cold, 0); /* just written: in the page cache */
    CHECK_EQ_INT(env->pread_around(env, f, dst, 100, total - 40, 64 << 10, &nread, &cold),
                 STRATA_OK);
    CHECK_EQ_INT(nread, 40);
    CHECK_MEM(dst, 40, src + total - 40, 40);
    CHECK_EQ_INT(env->pread_around(env, f, dst, 100, total + 5, 64 << 10, &nread, &cold),
                 STRATA_OK);
    CHECK_EQ_INT(nread, 0);
    /* out of the page cache (when the file system lets it go: not on tmpfs), a read says it was
     * cold and warms it; the same bytes again are warm */
    int fd = open(path, O_RDONLY);
    REQUIRE(fd >= 0);
    CHECK_EQ_INT(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    char probe[16];
    struct iovec iov = {probe, sizeof probe};
    if (preadv2(fd, &iov, 1, 0, RWF_NOWAIT) < 0 && errno == EAGAIN) {
        CHECK_EQ_INT(env->pread_around(env, f, dst, 3000, 2u << 20, 64 << 10, &nread, &cold),
                     STRATA_OK);
        CHECK_EQ_INT(nread, 3000);
        CHECK_MEM(dst, 3000, src + (2u << 20), 3000);
        CHECK_EQ_INT(cold, 1);
        CHECK_EQ_INT(env->pread_around(env, f, dst, 3000, 2u << 20, 64 << 10, &nread, &cold),
                     STRATA_OK);
        CHECK_EQ_INT(cold, 0);
        CHECK_MEM(dst, 3000, src + (2u << 20), 3000);
    } else {
        fprintf(stderr, "note: %s: the page cache kept the file; cold reads not checked\n", tag);
    }
    close(fd);

    /* a batch larger than a ring: 300 reads, some at EOF, one empty, one past EOF */
    enum { NB = 300 };
    env_read_req reqs[NB];
    uint8_t *bufs = malloc((size_t)NB * 5000);
    for (int i = 0; i < NB; i++) {
        reqs[i].file = f;
        reqs[i].buf = bufs + (size_t)i * 5000;
        reqs[i].len = 1 + (size_t)(i * 37 % 4999);
        reqs[i].offset = (uint64_t)i * 9973 % total;
        reqs[i].status = -1;
        reqs[i].nread = 12345;
    }
    reqs[10].offset = total - 100; /* EOF short read */
    reqs[10].len = 4000;
    reqs[11].len = 0;
    reqs[12].offset = total + 1000;
    reqs[12].len = 10;
    CHECK_EQ_INT(env->read_batch(env, reqs, NB), STRATA_OK);
    for (int i = 0; i < NB; i++) {
        CHECK_EQ_INT(reqs[i].status, STRATA_OK);
        size_t want = reqs[i].offset >= total                ? 0
                      : reqs[i].offset + reqs[i].len > total ? total - reqs[i].offset
                                                             : reqs[i].len;
        CHECK_EQ_INT(reqs[i].nread, want);
        if (want) CHECK_MEM(reqs[i].buf, want, src + reqs[i].offset, want);
    }
    CHECK_EQ_INT(reqs[10].nread, 100);
    CHECK_EQ_INT(reqs[11].nread, 0);
    CHECK_EQ_INT(reqs[12].nread, 0);
    free(bufs);

    /* truncate */
    CHECK_EQ_INT(env->truncate(env, f, 1000), STRATA_OK);
    CHECK_EQ_INT(env->size(env, f, &size), STRATA_OK);
    CHECK_EQ_INT(size, 1000);
    CHECK_EQ_INT(env->close(env, f), STRATA_OK);

    /* whole-file helpers */
    char *small = join(dir, "small");
    CHECK_EQ_INT(env_write_file_sync(env, small, "hello", 5), STRATA_OK);
    uint8_t *d;
    size_t dn;
    CHECK_EQ_INT(env_read_file(env, small, &d, &dn), STRATA_OK);
    CHECK_MEM(d, dn, "hello", 5);
    free(d);
    CHECK_EQ_INT(env_write_file_sync(env, small, "", 0), STRATA_OK);
    CHECK_EQ_INT(env_read_file(env, small, &d, &dn), STRATA_OK);
    CHECK_EQ_INT(dn, 0);
    free(d);

    /* rename replaces; list; unlink; mkdir/rmdir */
    char *moved = join(dir, "moved");
    CHECK_EQ_INT(env_write_file_sync(env, moved, "old", 3), STRATA_OK);
    CHECK_EQ_INT(env->rename(env, path, moved), STRATA_OK);
    CHECK_EQ_INT(env->sync_dir(env, dir), STRATA_OK);
    CHECK_EQ_INT(env->exists(env, path), 0);
    CHECK_EQ_INT(env_read_file(env, moved, &d, &dn), STRATA_OK);
    CHECK_EQ_INT(dn, 1000);
    CHECK_MEM(d, 1000, src, 1000);
    free(d);
    CHECK_EQ_INT(env->rename(env, path, moved), STRATA_NOTFOUND);
    char *sub = join(dir, "sub");
    CHECK_EQ_INT(env->mkdir(env, sub), STRATA_OK);
    CHECK_EQ_INT(env->mkdir(env, sub), STRATA_OK); /* exists: fine */
    char **names;
    size_t nn;
    CHECK_EQ_INT(env->list(env, dir, &names, &nn), STRATA_OK);
    CHECK_EQ_INT(nn, 3);
    CHECK(has_name(names, nn, "moved") && has_name(names, nn, "small") &&
          has_name(names, nn, "sub"));
    CHECK(!has_name(names, nn, ".") && !has_name(names, nn, ".."));
    free_names(names, nn);
    CHECK_EQ_INT(env->unlink(env, small), STRATA_OK);
    CHECK_EQ_INT(env->unlink(env, small), STRATA_NOTFOUND);
    CHECK_EQ_INT(env->rmdir(env, sub), STRATA_OK);
    CHECK_EQ_INT(env->list(env, sub, &names, &nn), STRATA_NOTFOUND);

    /* lock: a second locker is refused, also in this process; unlock releases */
    char *lockp = join(dir, "LOCK");
    strata_file *l1, *l2;
    CHECK_EQ_INT(env->lock(env, lockp, &l1), STRATA_OK);
    CHECK_EQ_INT(env->lock(env, lockp, &l2), STRATA_LOCKED);
    CHECK(strstr(st_errmsg(), "locked") != NULL && strstr(st_errmsg(), lockp) != NULL);
    CHECK_EQ_INT(env->unlock(env, l1), STRATA_OK);
    CHECK_EQ_INT(env->lock(env, lockp, &l2), STRATA_OK);
    CHECK_EQ_INT(env->unlock(env, l2), STRATA_OK);

    free(src);
    free(dst);
    free(path);
    free(small);
    free(moved);
    free(sub);
    free(lockp);
    test_rmdir(dir);
    free(dir);
}

static void test_sync_backend(void)
{
    strata_env *env = env_sync();
    CHECK_EQ_STR(env->name, "sync");
    exercise_backend(env, "env_sync");
}

static void test_uring_backend(void)
{
    strata_env *env = env_uring();
    if (env->fallback_reason)
        fprintf(stderr, "note: io_uring unavailable here (%s): testing its fallback\n",
                env->fallback_reason);
    else
        CHECK_EQ_STR(env->name, "io_uring");
    exercise_backend(env, "env_uring");
    /* again with every read through the ring (no page-cache fast path) */
    io_uring_nowait_reads = 0;
    exercise_backend(env, "env_uring_ring");
    io_uring_nowait_reads = 1;
}

/* ---- threads share one env ---- */

typedef struct thread_arg {
    strata_env *env;
    strata_file *f;
    const uint8_t *src;
    size_t total;
    int id;
    int errors;
} thread_arg;

static void *reader_thread(void *p)
{
    thread_arg *a = p;
    uint8_t buf[8][512];
    for (int round = 0; round < 200; round++) {
        env_read_req reqs[8];
        for (int i = 0; i < 8; i++) {
            reqs[i].file = a->f;
            reqs[i].buf = buf[i];
            reqs[i].len = 512;
            reqs[i].offset = (uint64_t)((round * 8 + i) * 131 + a->id * 7) % (a->total - 512);
        }
        if (a->env->read_batch(a->env, reqs, 8) != STRATA_OK) a->errors++;
        for (int i = 0; i < 8; i++)
            if (reqs[i].status != STRATA_OK || reqs[i].nread != 512 ||
                memcmp(buf[i], a->src + reqs[i].offset, 512) != 0)
                a->errors++;
    }
    return NULL;
}

static void test_threads(void)
{
    strata_env *envs[3] = {env_sync(), env_uring(), env_uring()};
    for (int e = 0; e < 3; e++) {
        strata_env *env = envs[e];
        io_uring_nowait_reads = e != 2; /* the third round: every read through the rings */
        char *dir = test_tmpdir("env_threads");
        char *path = join(dir, "f");
        size_t total = 1 << 20;
        uint8_t *src = malloc(total);
        fill(src, total, 3);
        REQUIRE(env_write_file_sync(env, path, src, total) == STRATA_OK);
        strata_file *f;
        REQUIRE(env->open(env, path, ENV_READ, &f) == STRATA_OK);
        pthread_t th[4];
        thread_arg args[4];
        for (int i = 0; i < 4; i++) {
            args[i] = (thread_arg){env, f, src, total, i, 0};
            pthread_create(&th[i], NULL, reader_thread, &args[i]);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            CHECK_EQ_INT(args[i].errors, 0);
        }
        env->close(env, f);
        free(src);
        free(path);
        test_rmdir(dir);
        free(dir);
    }
    io_uring_nowait_reads = 1;
}

/* ---- backend selection ---- */

static void test_selection(void)
{
    setenv("STRATA_IO", "sync", 1);
    strata_env *e = env_default();
    CHECK_EQ_STR(e->name, "sync");
    CHECK(e->fallback_reason != NULL);
    CHECK(env_for_backend(STRATA_KV_IO_DEFAULT) == e);
    unsetenv("STRATA_IO");
    CHECK(env_default() == env_uring());
    CHECK(env_for_backend(STRATA_KV_IO_DEFAULT) == env_uring());
    CHECK(env_for_backend(STRATA_KV_IO_URING) == env_uring());
    CHECK(env_for_backend(STRATA_KV_IO_SYNC) == env_sync());
    CHECK(env_sync()->fallback_reason == NULL);
    /* the uring env is either the real one or a sync env that says why */
    strata_env *u = env_uring();
    CHECK((strcmp(u->name, "io_uring") == 0 && u->fallback_reason == NULL) ||
          (strcmp(u->name, "sync") == 0 && u->fallback_reason != NULL));
}

/* ---- fault env ---- */

static uint8_t *slurp(strata_env *env, const char *path, size_t *n)
{
    uint8_t *d = NULL;
    *n = 0;
    if (env_read_file(env, path, &d, n) != STRATA_OK) return NULL;
    return d;
}

static void test_fault_nth(void)
{
    char *dir = test_tmpdir("env_fault_nth");
    strata_env *env = fault_env_new(env_sync());
    REQUIRE(env != NULL);
    CHECK(strstr(env->name, "fault") != NULL);
    char *path = join(dir, "f");
    strata_file *f;
    REQUIRE(env->open(env, path, ENV_READ | ENV_WRITE | ENV_CREATE, &f) == STRATA_OK);
    uint64_t before = fault_env_op_count(env);
    CHECK(before >= 1);

    uint8_t data[1000];
    fill(data, sizeof data, 1);
    /* EIO on the next op: nothing written */
    fault_env_fail_nth(env, 1, FAULT_EIO);
    CHECK_EQ_INT(env->pwrite(env, f, data, 100, 0), STRATA_IOERR);
    CHECK(strstr(st_errmsg(), "injected") != NULL);
    uint64_t size = 99;
    CHECK_EQ_INT(env->size(env, f, &size), STRATA_OK);
    CHECK_EQ_INT(size, 0);
    /* the one after the armed op is fine: fail_nth fires once */
    CHECK_EQ_INT(env->pwrite(env, f, data, 100, 0), STRATA_OK);
    CHECK_EQ_INT(fault_env_faults_injected(env), 1);

    /* ENOSPC on the 2nd op from now */
    fault_env_fail_nth(env, 2, FAULT_ENOSPC);
    CHECK_EQ_INT(env->sync(env, f), STRATA_OK);
    CHECK_EQ_INT(env->pwrite(env, f, data + 100, 100, 100), STRATA_NOSPACE);
    CHECK_EQ_INT(env->size(env, f, &size), STRATA_OK);
    CHECK_EQ_INT(size, 100);

    /* reads count as ops and fail as armed, pread_around as pread */
    uint8_t rb[100];
    size_t got = 7;
    int cold = 7;
    fault_env_fail_nth(env, 1, FAULT_EIO);
    CHECK_EQ_INT(env->pread_around(env, f, rb, 100, 0, 64 << 10, &got, &cold), STRATA_IOERR);
    CHECK(strstr(st_errmsg(), "injected") != NULL);
    CHECK_EQ_INT(got, 0);
    CHECK_EQ_INT(env->pread_around(env, f, rb, 100, 0, 64 << 10, &got, &cold), STRATA_OK);
    CHECK_EQ_INT(got, 100);
    CHECK_MEM(rb, 100, data, 100);

    /* short write: half stored, error returned */
    fault_env_fail_nth(env, 1, FAULT_SHORT);
    CHECK_EQ_INT(env->pwrite_sync(env, f, data + 100, 200, 100), STRATA_IOERR);
    CHECK_EQ_INT(env->size(env, f, &size), STRATA_OK);
    CHECK_EQ_INT(size, 200);
    uint8_t back[1000];
    size_t nread;
    CHECK_EQ_INT(env->pread(env, f, back, 1000, 0, &nread), STRATA_OK);
    CHECK_EQ_INT(nread, 200);
    CHECK_MEM(back, 200, data, 200);

    /* torn write: part stored, garbled */
    fault_env_fail_nth(env, 1, FAULT_TORN);
    CHECK_EQ_INT(env->pwrite(env, f, data + 200, 200, 200), STRATA_IOERR);
    CHECK_EQ_INT(env->pread(env, f, back, 1000, 0, &nread), STRATA_OK);
    CHECK_EQ_INT(nread, 300);
    CHECK(memcmp(back + 200, data + 200, 100) != 0);

    /* batched reads fail per request */
    env_read_req reqs[3];
    uint8_t b3[3][10];
    for (int i = 0; i < 3; i++)
        reqs[i] = (env_read_req){.file = f, .offset = (uint64_t)i * 10, .len = 10, .buf = b3[i]};
    fault_env_fail_nth(env, 2, FAULT_EIO);
    CHECK_EQ_INT(env->read_batch(env, reqs, 3), STRATA_OK);
    CHECK_EQ_INT(reqs[0].status, STRATA_OK);
    CHECK_EQ_INT(reqs[1].status, STRATA_IOERR);
    CHECK_EQ_INT(reqs[2].status, STRATA_OK);
    CHECK_MEM(b3[2], 10, data + 20, 10);

    /* metadata ops count and fail too */
    char *other = join(dir, "g");
    fault_env_fail_nth(env, 1, FAULT_EIO);
    CHECK_EQ_INT(env->rename(env, path, other), STRATA_IOERR);
    CHECK_EQ_INT(env->exists(env, path), 1);
    CHECK_EQ_INT(env->exists(env, other), 0);
    fault_env_fail_nth(env, 1, FAULT_EIO);
    strata_file *g;
    CHECK_EQ_INT(env->open(env, other, ENV_WRITE | ENV_CREATE, &g), STRATA_IOERR);
    CHECK_EQ_INT(env->exists(env, other), 0);

    /* random faults, then inactive: nothing counted */
    fault_env_fail_random(env, 2, 42, FAULT_EIO);
    int fails = 0;
    for (int i = 0; i < 100; i++)
        if (env->pread(env, f, back, 10, 0, &nread) != STRATA_OK) fails++;
    CHECK(fails > 10 && fails < 90);
    fault_env_fail_random(env, 0, 0, FAULT_NONE);
    fault_env_set_active(env, 0);
    uint64_t ops = fault_env_op_count(env);
    fault_env_fail_nth(env, 1, FAULT_EIO);
    CHECK_EQ_INT(env->pread(env, f, back, 10, 0, &nread), STRATA_OK);
    CHECK_EQ_INT(fault_env_op_count(env), ops);
    fault_env_set_active(env, 1);

    CHECK_EQ_INT(env->close(env, f), STRATA_OK);
    fault_env_free(env);
    free(path);
    free(other);
    test_rmdir(dir);
    free(dir);
}

static void test_fault_power_loss(void)
{
    for (int torn = 0; torn <= 1; torn++) {
        char *dir = test_tmpdir("env_power");
        strata_env *base = torn ? env_uring() : env_sync();
        strata_env *env = fault_env_new(base);
        char *a = join(dir, "A"), *b = join(dir, "B"), *cur = join(dir, "CURRENT");
        char *tmp = join(dir, "CURRENT.tmp"), *lockp = join(dir, "LOCK");
        uint8_t data[300];
        fill(data, sizeof data, 9);

        strata_file *lk;
        REQUIRE(env->lock(env, lockp, &lk) == STRATA_OK);
        /* A: 100 bytes synced and its directory entry synced; 150 more not synced */
        strata_file *fa;
        REQUIRE(env->open(env, a, ENV_READ | ENV_WRITE | ENV_CREATE, &fa) == STRATA_OK);
        CHECK_EQ_INT(env->pwrite(env, fa, data, 60, 0), STRATA_OK);
        CHECK_EQ_INT(env->pwrite_sync(env, fa, data + 60, 40, 60), STRATA_OK);
        CHECK_EQ_INT(env_write_file_sync(env, cur, "old", 3), STRATA_OK);
        CHECK_EQ_INT(env->sync_dir(env, dir), STRATA_OK);
        CHECK_EQ_INT(env->pwrite(env, fa, data + 100, 150, 100), STRATA_OK);
        /* B: data synced, but its creation never made durable by a directory sync */
        CHECK_EQ_INT(env_write_file_sync(env, b, data, 50), STRATA_OK);
        /* CURRENT replaced by a rename that is not followed by a directory sync */
        CHECK_EQ_INT(env_write_file_sync(env, tmp, "new", 3), STRATA_OK);
        CHECK_EQ_INT(env->rename(env, tmp, cur), STRATA_OK);
        size_t n;
        uint8_t *d = slurp(env, cur, &n);
        CHECK_MEM(d, n, "new", 3);
        free(d);

        CHECK_EQ_INT(fault_env_drop_unsynced(env, torn), STRATA_OK);

        d = slurp(env_sync(), a, &n);
        REQUIRE(d != NULL);
        if (torn) {
            CHECK(n >= 100 && n <= 250);
        } else {
            CHECK_EQ_INT(n, 100);
        }
        CHECK_MEM(d, 100, data, 100);
        free(d);
        CHECK_EQ_INT(env_sync()->exists(env_sync(), b), 0);
        CHECK_EQ_INT(env_sync()->exists(env_sync(), tmp), 0);
        d = slurp(env_sync(), cur, &n);
        CHECK_MEM(d, n, "old", 3);
        free(d);

        /* the crashed process's handles are gone: I/O fails, close works, lock released */
        uint8_t back[10];
        CHECK_EQ_INT(env->pread(env, fa, back, 10, 0, &n), STRATA_IOERR);
        CHECK_EQ_INT(env->close(env, fa), STRATA_OK);
        strata_file *lk2;
        CHECK_EQ_INT(env->lock(env, lockp, &lk2), STRATA_OK);
        CHECK_EQ_INT(env->unlock(env, lk2), STRATA_OK);
        CHECK_EQ_INT(env->unlock(env, lk), STRATA_OK);

        /* the same steps with a directory sync after the rename: it survives; synced data of a
         * file survives; a second power loss drops only what came after */
        CHECK_EQ_INT(env_write_file_sync(env, tmp, "new", 3), STRATA_OK);
        CHECK_EQ_INT(env->rename(env, tmp, cur), STRATA_OK);
        CHECK_EQ_INT(env->sync_dir(env, dir), STRATA_OK);
        strata_file *fb;
        REQUIRE(env->open(env, b, ENV_WRITE | ENV_CREATE, &fb) == STRATA_OK);
        CHECK_EQ_INT(env->pwrite(env, fb, data, 10, 0), STRATA_OK);
        CHECK_EQ_INT(env->sync(env, fb), STRATA_OK);
        CHECK_EQ_INT(env->sync_dir(env, dir), STRATA_OK);
        CHECK_EQ_INT(env->pwrite(env, fb, data + 10, 10, 10), STRATA_OK);
        CHECK_EQ_INT(env->close(env, fb), STRATA_OK);
        CHECK_EQ_INT(fault_env_drop_unsynced(env, 0), STRATA_OK);
        d = slurp(env_sync(), cur, &n);
        CHECK_MEM(d, n, "new", 3);
        free(d);
        d = slurp(env_sync(), b, &n);
        CHECK_MEM(d, n, data, 10);
        free(d);
        d = slurp(env_sync(), a, &n);
        CHECK(n >= 100);
        free(d);

        fault_env_free(env);
        free(a);
        free(b);
        free(cur);
        free(tmp);
        free(lockp);
        test_rmdir(dir);
        free(dir);
    }
}

/* fault_env_crash: the dead process cannot touch the disk; drop_unsynced revives the env */
static void test_fault_crash(void)
{
    char *dir = test_tmpdir("env_crash");
    strata_env *env = fault_env_new(env_sync());
    char *a = join(dir, "A"), *b = join(dir, "B"), *lockp = join(dir, "LOCK");
    strata_file *fa, *lk;
    REQUIRE(env->lock(env, lockp, &lk) == STRATA_OK);
    REQUIRE(env->open(env, a, ENV_WRITE | ENV_CREATE, &fa) == STRATA_OK);
    CHECK_EQ_INT(env->pwrite_sync(env, fa, "synced", 6, 0), STRATA_OK);
    CHECK_EQ_INT(env->sync_dir(env, dir), STRATA_OK);
    CHECK_EQ_INT(env->pwrite(env, fa, "-lost", 5, 6), STRATA_OK);
    fault_env_crash(env);
    CHECK_EQ_INT(env->pwrite(env, fa, "x", 1, 11), STRATA_IOERR);
    CHECK(strstr(st_errmsg(), "crashed") != NULL);
    strata_file *fb;
    CHECK_EQ_INT(env->open(env, b, ENV_WRITE | ENV_CREATE, &fb), STRATA_IOERR);
    CHECK_EQ_INT(env->exists(env, b), 0);
    CHECK_EQ_INT(env->rename(env, a, b), STRATA_IOERR);
    CHECK_EQ_INT(env->close(env, fa), STRATA_OK);
    /* the dead process's lock is gone: another process could lock now */
    strata_file *other;
    CHECK_EQ_INT(env_sync()->lock(env_sync(), lockp, &other), STRATA_OK);
    env_sync()->unlock(env_sync(), other);
    CHECK_EQ_INT(fault_env_drop_unsynced(env, 0), STRATA_OK);
    uint8_t *d;
    size_t n;
    CHECK_EQ_INT(env_read_file(env, a, &d, &n), STRATA_OK);
    CHECK_MEM(d, n, "synced", 6);
    free(d);
    CHECK_EQ_INT(env->unlock(env, lk), STRATA_OK);
    fault_env_free(env);
    free(a);
    free(b);
    free(lockp);
    test_rmdir(dir);
    free(dir);
}

/* The fallback when the ring cannot be set up: a fresh process (this executable re-run with
 * ENV_TEST_FALLBACK_DIR set; the constructor below runs the child's part before main) where the
 * probe is forced to fail gets a working sync env that says why, and the reason is printed once on
 * stderr. */
__attribute__((constructor)) static void fallback_child(void)
{
    const char *dir = getenv("ENV_TEST_FALLBACK_DIR");
    if (!dir) return;
    strata_env *e = env_uring();
    strata_env *e2 = env_default();
    int ok = e == e2 && strcmp(e->name, "sync") == 0 && e->fallback_reason &&
             strstr(e->fallback_reason, "io_uring_queue_init") != NULL;
    char *p = join(dir, "f");
    uint8_t *d = NULL;
    size_t n = 0;
    ok = ok && env_write_file_sync(e, p, "abc", 3) == STRATA_OK &&
         env_read_file(e, p, &d, &n) == STRATA_OK && n == 3 && memcmp(d, "abc", 3) == 0;
    free(d);
    free(p);
    fflush(stderr);
    _exit(ok ? 0 : 1);
}

static void test_uring_fallback(void)
{
    char *dir = test_tmpdir("env_fallback");
    char *errpath = join(dir, "stderr");
    fflush(stderr);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (!freopen(errpath, "w", stderr)) _exit(2);
        setenv("STRATA_TEST_URING_FAIL", "1", 1);
        setenv("ENV_TEST_FALLBACK_DIR", dir, 1);
        unsetenv("STRATA_IO");
        execl("/proc/self/exe", "env_test", (char *)NULL);
        _exit(3);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    uint8_t *msg;
    size_t n;
    REQUIRE(env_read_file(env_sync(), errpath, &msg, &n) == STRATA_OK);
    const char *m = (const char *)msg;
    const char *first = strstr(m, "strata: io_uring unavailable (");
    CHECK(first != NULL);
    CHECK(first && strstr(first, "); using pread/pwrite") != NULL);
    CHECK(!first || strstr(first + 1, "strata: io_uring unavailable") == NULL); /* once */
    free(msg);
    free(errpath);
    test_rmdir(dir);
    free(dir);
}

TEST_MAIN(test_sync_backend, test_uring_backend, test_threads, test_selection, test_fault_nth,
          test_fault_power_loss, test_fault_crash, test_uring_fallback)
