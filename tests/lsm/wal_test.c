/*
 * tests/lsm/wal_test.c — the log: round trips, torn tails at every cut, corruption before the
 * tail, reopen-and-append, write errors, durability of synced records across a power loss.
 */
#include "lsm/wal.h"
#include "lsm/wal_format.h"
#include "test.h"
#include "util/status.h"

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static char *join(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

/* Record i's content is a function of (i, len), so a reader can check it. */
static void make_rec(uint8_t *p, size_t n, size_t i)
{
    uint32_t x = (uint32_t)(i * 2654435761u) ^ (uint32_t)n;
    for (size_t k = 0; k < n; k++) {
        x = x * 1103515245u + 12345u;
        p[k] = (uint8_t)(x >> 16);
    }
}

static int rec_ok(const uint8_t *p, size_t n, size_t i, size_t want_n)
{
    if (n != want_n) return 0;
    uint8_t *tmp = malloc(n ? n : 1);
    make_rec(tmp, n, i);
    int ok = memcmp(tmp, p, n) == 0;
    free(tmp);
    return ok;
}

/* Writes a log of the given record sizes with writer modes cycling; returns its bytes. */
static uint8_t *write_log(strata_env *env, const char *path, const size_t *sizes, size_t nrec,
                          size_t *len)
{
    wal_writer *w;
    REQUIRE(wal_writer_open(env, path, &w) == STRATA_OK);
    size_t maxn = 0;
    for (size_t i = 0; i < nrec; i++)
        if (sizes[i] > maxn) maxn = sizes[i];
    uint8_t *buf = malloc(maxn + 1);
    uint64_t expect = 0;
    for (size_t i = 0; i < nrec; i++) {
        make_rec(buf, sizes[i], i);
        int mode = i % 3 == 0 ? WAL_DEFER : i % 3 == 1 ? WAL_NOSYNC : WAL_SYNC;
        CHECK_EQ_INT(wal_writer_add(w, buf, sizes[i], mode), STRATA_OK);
        expect += WAL_HEADER_SIZE + sizes[i];
        CHECK_EQ_INT(wal_writer_size(w), expect);
    }
    CHECK_EQ_INT(wal_writer_close(w), STRATA_OK);
    free(buf);
    uint8_t *data;
    REQUIRE(env_read_file(env, path, &data, len) == STRATA_OK);
    CHECK_EQ_INT(*len, expect);
    return data;
}

/* Reads path with the file reader; checks the first nrec records; returns the final code. */
static int read_log(strata_env *env, const char *path, const size_t *sizes, size_t nrec,
                    size_t *nread, uint64_t *dropped, uint64_t *good)
{
    wal_reader *r;
    REQUIRE(wal_reader_open(env, path, &r) == STRATA_OK);
    size_t i = 0;
    int rc;
    for (;;) {
        const uint8_t *rec;
        size_t n;
        rc = wal_reader_next(r, &rec, &n);
        if (rc != STRATA_OK) break;
        if (i < nrec) CHECK(rec_ok(rec, n, i, sizes[i]));
        i++;
    }
    /* the answer is final */
    const uint8_t *rec;
    size_t n;
    CHECK_EQ_INT(wal_reader_next(r, &rec, &n), rc);
    *nread = i;
    *dropped = wal_reader_dropped_bytes(r);
    *good = wal_reader_good_offset(r);
    wal_reader_close(r);
    return rc;
}

typedef struct parse_ctx {
    const size_t *sizes;
    size_t nrec, seen;
    int bad;
} parse_ctx;

static int parse_cb(void *ctx, const uint8_t *rec, size_t len)
{
    parse_ctx *c = ctx;
    if (c->seen < c->nrec && !rec_ok(rec, len, c->seen, c->sizes[c->seen])) c->bad++;
    c->seen++;
    return 0;
}

static int parse(const uint8_t *data, size_t n, const size_t *sizes, size_t nrec, size_t *seen,
                 uint64_t *dropped)
{
    parse_ctx c = {sizes, nrec, 0, 0};
    int rc = wal_parse_buffer(data, n, parse_cb, &c, dropped);
    CHECK_EQ_INT(c.bad, 0);
    *seen = c.seen;
    return rc;
}

static void test_round_trip(void)
{
    strata_env *envs[2] = {env_sync(), env_uring()};
    for (int e = 0; e < 2; e++) {
        char *dir = test_tmpdir("wal_rt");
        char *path = join(dir, "000001.log");
        enum { N = 400 };
        size_t sizes[N];
        for (size_t i = 0; i < N; i++) {
            uint64_t k = rnd() % 100;
            sizes[i] = k < 5 ? 0 : k < 80 ? rnd() % 200 : k < 95 ? rnd() % 20000 : rnd() % 400000;
        }
        sizes[7] = 0;
        sizes[8] = 70000;
        sizes[9] = 300000; /* written without copying */
        sizes[10] = 1u << 20;
        size_t len;
        uint8_t *data = write_log(envs[e], path, sizes, N, &len);
        size_t nread;
        uint64_t dropped, good;
        CHECK_EQ_INT(read_log(envs[e], path, sizes, N, &nread, &dropped, &good), STRATA_DONE);
        CHECK_EQ_INT(nread, N);
        CHECK_EQ_INT(dropped, 0);
        CHECK_EQ_INT(good, len);
        size_t seen;
        CHECK_EQ_INT(parse(data, len, sizes, N, &seen, &dropped), STRATA_OK);
        CHECK_EQ_INT(seen, N);
        CHECK_EQ_INT(dropped, 0);
        /* a log must not exist yet */
        wal_writer *w;
        CHECK_EQ_INT(wal_writer_open(envs[e], path, &w), STRATA_EXISTS);
        free(data);
        free(path);
        test_rmdir(dir);
        free(dir);
    }
    /* empty log */
    uint64_t dropped = 9;
    CHECK_EQ_INT(wal_parse_buffer(NULL, 0, NULL, NULL, &dropped), STRATA_OK);
    CHECK_EQ_INT(dropped, 0);
}

static void test_torn_tail_every_cut(void)
{
    char *dir = test_tmpdir("wal_torn");
    char *path = join(dir, "log");
    size_t sizes[5] = {10, 0, 300, 5, 150};
    size_t len;
    uint8_t *data = write_log(env_sync(), path, sizes, 5, &len);
    size_t last = len - (WAL_HEADER_SIZE + sizes[4]);
    for (size_t cut = last; cut < len; cut++) {
        size_t seen;
        uint64_t dropped;
        CHECK_EQ_INT(parse(data, cut, sizes, 5, &seen, &dropped), STRATA_OK);
        CHECK_EQ_INT(seen, 4);
        CHECK_EQ_INT(dropped, cut - last);
    }
    /* the file reader agrees, on a few cuts */
    size_t cuts[] = {last, last + 1, last + 11, last + 12, last + 13, len - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        REQUIRE(env_write_file_sync(env_sync(), path, data, cuts[k]) == STRATA_OK);
        size_t nread;
        uint64_t dropped, good;
        CHECK_EQ_INT(read_log(env_sync(), path, sizes, 5, &nread, &dropped, &good), STRATA_DONE);
        CHECK_EQ_INT(nread, 4);
        CHECK_EQ_INT(dropped, cuts[k] - last);
        CHECK_EQ_INT(good, last);
    }
    free(data);

    /* a last record bigger than the reader's window, cut at a few places */
    size_t big[3] = {100, 200, 700000};
    unlink(path);
    data = write_log(env_uring(), path, big, 3, &len);
    last = len - (WAL_HEADER_SIZE + big[2]);
    size_t bigcuts[] = {last + 5, last + 300000, len - 1};
    for (size_t k = 0; k < 3; k++) {
        REQUIRE(env_write_file_sync(env_sync(), path, data, bigcuts[k]) == STRATA_OK);
        size_t nread;
        uint64_t dropped, good;
        CHECK_EQ_INT(read_log(env_uring(), path, big, 3, &nread, &dropped, &good), STRATA_DONE);
        CHECK_EQ_INT(nread, 2);
        CHECK_EQ_INT(dropped, bigcuts[k] - last);
    }
    /* a zero-filled tail (preallocated or lost blocks) is a torn tail too */
    uint8_t *z = calloc(1, len + 4096);
    memcpy(z, data, len);
    size_t seen;
    uint64_t dropped;
    CHECK_EQ_INT(parse(z, len + 4096, big, 3, &seen, &dropped), STRATA_OK);
    CHECK_EQ_INT(seen, 3);
    CHECK_EQ_INT(dropped, 4096);
    free(z);
    free(data);
    free(path);
    test_rmdir(dir);
    free(dir);
}

static void test_corruption(void)
{
    char *dir = test_tmpdir("wal_corrupt");
    char *path = join(dir, "log");
    size_t sizes[5] = {40, 25, 60, 0, 33};
    size_t len;
    uint8_t *data = write_log(env_sync(), path, sizes, 5, &len);
    size_t start[6];
    start[0] = 0;
    for (int i = 0; i < 5; i++) start[i + 1] = start[i] + WAL_HEADER_SIZE + sizes[i];
    uint8_t *copy = malloc(len);
    /* a flipped byte anywhere in records 1..3 (header or payload): corruption, after the
     * records before it were returned */
    for (int rec = 1; rec <= 3; rec++) {
        for (size_t pos = start[rec]; pos < start[rec + 1]; pos++) {
            memcpy(copy, data, len);
            copy[pos] ^= 0x20;
            size_t seen;
            uint64_t dropped;
            CHECK_EQ_INT(parse(copy, len, sizes, 5, &seen, &dropped), STRATA_CORRUPT);
            CHECK_EQ_INT(seen, (size_t)rec);
            char want[64];
            snprintf(want, sizeof want, "offset %zu", start[rec]);
            CHECK(strstr(st_errmsg(), want) != NULL);
        }
    }
    /* the same through the file reader, naming the file */
    memcpy(copy, data, len);
    copy[start[2] + 20] ^= 1;
    REQUIRE(env_write_file_sync(env_sync(), path, copy, len) == STRATA_OK);
    size_t nread;
    uint64_t dropped, good;
    CHECK_EQ_INT(read_log(env_sync(), path, sizes, 5, &nread, &dropped, &good), STRATA_CORRUPT);
    CHECK_EQ_INT(nread, 2);
    CHECK(strstr(st_errmsg(), path) != NULL);
    /* a flipped byte in the last record: a torn tail */
    for (size_t pos = start[4]; pos < len; pos++) {
        memcpy(copy, data, len);
        copy[pos] ^= 0x01;
        size_t seen;
        CHECK_EQ_INT(parse(copy, len, sizes, 5, &seen, &dropped), STRATA_OK);
        CHECK_EQ_INT(seen, 4);
        CHECK_EQ_INT(dropped, len - start[4]);
    }
    /* an impossible length in a middle header is corruption, not a crash */
    memcpy(copy, data, len);
    put_le32(copy + start[1] + 4, 0xFFFFFFF0u);
    size_t seen;
    CHECK_EQ_INT(parse(copy, len, sizes, 5, &seen, &dropped), STRATA_CORRUPT);
    free(copy);
    free(data);
    free(path);
    test_rmdir(dir);
    free(dir);
}

/* A page of zeros in the middle (a page never written before a crash) ends the log there: the
 * records after it were never synced. A flipped byte with the same records after it is
 * corruption. */
static void test_unwritten_page(void)
{
    char *dir = test_tmpdir("wal_hole");
    char *path = join(dir, "log");
    enum { N = 40 };
    size_t sizes[N];
    for (int i = 0; i < N; i++) sizes[i] = 100 + (size_t)i * 37 % 700;
    size_t len;
    uint8_t *data = write_log(env_sync(), path, sizes, N, &len);
    REQUIRE(len > 4 * 4096);
    size_t start[N + 1];
    start[0] = 0;
    for (int i = 0; i < N; i++) start[i + 1] = start[i] + WAL_HEADER_SIZE + sizes[i];
    for (size_t page = 1; (page + 1) * 4096 < len; page++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, data, len);
        memset(copy + page * 4096, 0, 4096);
        int first_bad = 0; /* the record holding the page's first byte */
        while (start[first_bad + 1] <= page * 4096) first_bad++;
        size_t seen;
        uint64_t dropped;
        CHECK_EQ_INT(parse(copy, len, sizes, N, &seen, &dropped), STRATA_OK);
        CHECK_EQ_INT(seen, (size_t)first_bad);
        CHECK_EQ_INT(dropped, len - start[first_bad]);
        /* the file reader agrees */
        REQUIRE(env_write_file_sync(env_sync(), path, copy, len) == STRATA_OK);
        size_t nread;
        uint64_t good;
        CHECK_EQ_INT(read_log(env_sync(), path, sizes, N, &nread, &dropped, &good), STRATA_DONE);
        CHECK_EQ_INT(nread, (size_t)first_bad);
        CHECK_EQ_INT(good, start[first_bad]);
        /* not a whole aligned page: still corruption */
        memcpy(copy, data, len);
        memset(copy + page * 4096 + 1, 0, 4094);
        CHECK_EQ_INT(parse(copy, len, sizes, N, &seen, &dropped), STRATA_CORRUPT);
        free(copy);
    }
    free(data);
    free(path);
    test_rmdir(dir);
    free(dir);
}

static void test_reopen_append(void)
{
    char *dir = test_tmpdir("wal_reopen");
    char *path = join(dir, "MANIFEST");
    size_t sizes[6] = {11, 22, 33, 44, 55, 66};
    size_t len;
    uint8_t *data = write_log(env_sync(), path, sizes, 3, &len);
    /* a torn write after the three records */
    strata_env *env = env_sync();
    strata_file *f;
    REQUIRE(env->open(env, path, ENV_WRITE, &f) == STRATA_OK);
    CHECK_EQ_INT(env->pwrite(env, f, "\x01\x02\x03\x04\x05\x06\x07", 7, len), STRATA_OK);
    env->close(env, f);
    size_t nread;
    uint64_t dropped, good;
    CHECK_EQ_INT(read_log(env, path, sizes, 6, &nread, &dropped, &good), STRATA_DONE);
    CHECK_EQ_INT(nread, 3);
    CHECK_EQ_INT(dropped, 7);
    CHECK_EQ_INT(good, len);
    wal_writer *w;
    REQUIRE(wal_writer_reopen(env, path, good, &w) == STRATA_OK);
    CHECK_EQ_INT(wal_writer_size(w), len);
    uint8_t buf[100];
    for (size_t i = 3; i < 6; i++) {
        make_rec(buf, sizes[i], i);
        CHECK_EQ_INT(wal_writer_add(w, buf, sizes[i], WAL_DEFER), STRATA_OK);
    }
    CHECK_EQ_INT(wal_writer_sync(w), STRATA_OK);
    CHECK_EQ_INT(wal_writer_close(w), STRATA_OK);
    CHECK_EQ_INT(read_log(env, path, sizes, 6, &nread, &dropped, &good), STRATA_DONE);
    CHECK_EQ_INT(nread, 6);
    CHECK_EQ_INT(dropped, 0);
    free(data);
    free(path);
    test_rmdir(dir);
    free(dir);
}

static void test_write_errors(void)
{
    char *dir = test_tmpdir("wal_err");
    char *path = join(dir, "log");
    strata_env *env = fault_env_new(env_sync());
    wal_writer *w;
    REQUIRE(wal_writer_open(env, path, &w) == STRATA_OK);
    CHECK_EQ_INT(wal_writer_add(w, "abc", 3, WAL_SYNC), STRATA_OK);
    fault_env_fail_nth(env, 1, FAULT_ENOSPC);
    CHECK_EQ_INT(wal_writer_add(w, "defg", 4, WAL_SYNC), STRATA_NOSPACE);
    /* unusable from now on */
    CHECK_EQ_INT(wal_writer_add(w, "hij", 3, WAL_NOSYNC), STRATA_IOERR);
    CHECK(strstr(st_errmsg(), "earlier") != NULL);
    CHECK_EQ_INT(wal_writer_sync(w), STRATA_IOERR);
    CHECK_EQ_INT(wal_writer_close(w), STRATA_OK);
    size_t sizes[1] = {3};
    (void)sizes;
    uint8_t *d;
    size_t n;
    REQUIRE(env_read_file(env_sync(), path, &d, &n) == STRATA_OK);
    size_t seen = 0;
    uint64_t dropped;
    parse_ctx c = {NULL, 0, 0, 0};
    CHECK_EQ_INT(wal_parse_buffer(d, n, parse_cb, &c, &dropped), STRATA_OK);
    CHECK_EQ_INT(c.seen, 1);
    (void)seen;
    free(d);
    /* a torn write: the record is not acknowledged and reads back as a torn tail */
    unlink(path);
    REQUIRE(wal_writer_open(env, path, &w) == STRATA_OK);
    CHECK_EQ_INT(wal_writer_add(w, "first", 5, WAL_SYNC), STRATA_OK);
    fault_env_fail_nth(env, 1, FAULT_TORN);
    uint8_t big[1000];
    memset(big, 7, sizeof big);
    CHECK_EQ_INT(wal_writer_add(w, big, sizeof big, WAL_SYNC), STRATA_IOERR);
    CHECK_EQ_INT(wal_writer_close(w), STRATA_OK);
    REQUIRE(env_read_file(env_sync(), path, &d, &n) == STRATA_OK);
    c = (parse_ctx){NULL, 0, 0, 0};
    CHECK_EQ_INT(wal_parse_buffer(d, n, parse_cb, &c, &dropped), STRATA_OK);
    CHECK_EQ_INT(c.seen, 1);
    CHECK(dropped > 0);
    free(d);
    fault_env_free(env);
    free(path);
    test_rmdir(dir);
    free(dir);
}

/* Records added with WAL_SYNC survive a power loss; later unsynced ones may not, and never in
 * part. */
static void test_power_loss(void)
{
    int lost = 0; /* rounds where unsynced records were really dropped */
    for (int torn = 0; torn <= 1; torn++) {
        for (int round = 0; round < 20; round++) {
            char *dir = test_tmpdir("wal_power");
            char *path = join(dir, "log");
            strata_env *env = fault_env_new(round % 2 ? env_uring() : env_sync());
            fault_env_fail_random(env, 0, (uint64_t)round * 31 + (uint64_t)torn, FAULT_NONE);
            wal_writer *w;
            REQUIRE(wal_writer_open(env, path, &w) == STRATA_OK);
            enum { N = 60 };
            size_t sizes[N];
            size_t synced = 0;
            uint8_t *buf = malloc(70000);
            for (size_t i = 0; i < N; i++) {
                sizes[i] = rnd() % 10 == 0 ? 1000 + rnd() % 69000 : rnd() % 300;
                make_rec(buf, sizes[i], i);
                int mode = (int)(rnd() % 3);
                CHECK_EQ_INT(wal_writer_add(w, buf, sizes[i], mode), STRATA_OK);
                if (mode == WAL_SYNC) synced = i + 1;
            }
            free(buf);
            /* crash: the writer is abandoned, then the power goes */
            CHECK_EQ_INT(fault_env_drop_unsynced(env, torn), STRATA_OK);
            wal_writer_close(w); /* frees; its handle is dead, deferred records are lost */
            size_t nread;
            uint64_t dropped, good;
            CHECK_EQ_INT(read_log(env, path, sizes, N, &nread, &dropped, &good), STRATA_DONE);
            CHECK(nread >= synced);
            if (nread < N) lost++;
            fault_env_free(env);
            free(path);
            test_rmdir(dir);
            free(dir);
        }
    }
    CHECK(lost > 0);
}

TEST_MAIN(test_round_trip, test_torn_tail_every_cut, test_corruption, test_unwritten_page,
          test_reopen_append, test_write_errors, test_power_loss)
