/* tests/sql/parallel_scan_test.c — the parallel full scan (exec/op_scan.c): a big table read by
 * two threads gives exactly what one thread gives, rows in the same order; a query that stops
 * early, a read error in either thread and writes running beside the scan all end cleanly. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/exec.h"
#include "lsm/env.h"
#include "strata.h"
#include "test.h"

/* About 30 chunks in 16 vnodes: the scan goes parallel after 8 chunks, in vnode 4, and each of
 * the 11 pieces after it (one vnode each) fills two chunks. */
#define ROWS 60000

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->n + l + 1 > b->cap) {
        b->cap = (b->n + l + 1) * 2;
        b->p = realloc(b->p, b->cap);
        REQUIRE(b->p);
    }
    memcpy(b->p + b->n, s, l + 1);
    b->n += l;
}

static int collect(void *ctx, int ncols, const char *const *values, const char *const *names)
{
    (void)names;
    for (int i = 0; i < ncols; i++) {
        sb_add(ctx, values[i] ? values[i] : "NULL");
        sb_add(ctx, "|");
    }
    sb_add(ctx, "\n");
    return 0;
}

static strata_db *open_with(const char *dir, int parallel, strata_env *env)
{
    strata_options o;
    strata_options_init(&o);
    o.parallel_scan = parallel;
    o.kv.env = env;
    strata_db *db = NULL;
    int rc = strata_open(dir, &o, &db);
    if (rc != STRATA_OK) fprintf(stderr, "strata_open: %s\n", strata_open_errmsg());
    REQUIRE(rc == STRATA_OK && db);
    return db;
}

/* Row i: g = i % 37, v NULL for every 11th row, name NULL for every 13th and long (stored out of
 * line in the vectors) for every 3rd. */
static double row_v(int i)
{
    return (double)((i * 7919) % 10007) / 10007.0;
}

static void load(strata_conn *c, int from, int n)
{
    char *sql = malloc(128 * 1000 + 64);
    REQUIRE(sql);
    for (int i = from; i < from + n;) {
        char *w = sql + sprintf(sql, "INSERT INTO t VALUES ");
        for (int k = 0; k < 1000 && i < from + n; k++, i++) {
            char v[32], name[64];
            if (i % 11 == 0)
                strcpy(v, "NULL");
            else
                snprintf(v, sizeof v, "%.17g", row_v(i));
            if (i % 13 == 0)
                strcpy(name, "NULL");
            else
                snprintf(name, sizeof name, i % 3 ? "'n%d'" : "'a longer name, number %d'", i);
            w += sprintf(w, "%s(%d, %d, %s, %s)", k ? ", " : "", i, i % 37, v, name);
        }
        CHECK_EQ_INT(strata_exec(c, sql, NULL, NULL), STRATA_OK);
    }
    free(sql);
}

static const char *const queries[] = {
    "SELECT * FROM t",
    "SELECT count(*) FROM t",
    "SELECT count(*), count(v), sum(v), min(name), max(name), avg(g) FROM t WHERE v > 0.25",
    "SELECT g, count(*), sum(v), count(name) FROM t GROUP BY g",
    "SELECT id, name FROM t WHERE name LIKE '%77%' LIMIT 40",
    "SELECT * FROM t LIMIT 3",
    "SELECT count(*) FROM t WHERE id IN (SELECT id FROM t WHERE g = 3)",
    "SELECT DISTINCT g FROM t WHERE v < 0.1",
};
#define NQ (sizeof queries / sizeof queries[0])

static void run_all(strata_conn *c, sbuf *out)
{
    for (size_t q = 0; q < NQ; q++) {
        memset(&out[q], 0, sizeof out[q]);
        sb_add(&out[q], "");
        int rc = strata_exec(c, queries[q], collect, &out[q]);
        if (rc != STRATA_OK) fprintf(stderr, "%s: %s\n", queries[q], strata_errmsg(c));
        CHECK_EQ_INT(rc, STRATA_OK);
    }
}

/* Everything into one level of SSTs (no flush or compaction competes with the queries), then
 * closed. */
static void settle_and_close(strata_db *db, strata_conn *c)
{
    CHECK_EQ_INT(strata_kv_flush(strata_db_kv(db)), STRATA_OK);
    CHECK_EQ_INT(strata_kv_compact_range(strata_db_kv(db), NULL, 0, NULL, 0), STRATA_OK);
    strata_disconnect(c);
    CHECK_EQ_INT(strata_close(db), STRATA_OK);
}

static char *make_db(const char *name)
{
    char *dir = test_tmpdir(name);
    strata_db *db = open_with(dir, 1, NULL);
    strata_conn *c;
    REQUIRE(strata_connect(db, &c) == STRATA_OK);
    CHECK_EQ_INT(strata_exec(c,
                             "CREATE TABLE t (id INT PRIMARY KEY, g INT, v DOUBLE, name TEXT) "
                             "WITH (vnodes = 16)",
                             NULL, NULL),
                 STRATA_OK);
    load(c, 0, ROWS);
    settle_and_close(db, c);
    return dir;
}

static void test_same_as_serial(void)
{
    char *dir = make_db("par_same");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    sbuf par[NQ], ser[NQ];

    strata_db *db = open_with(dir, 1, NULL);
    strata_conn *c;
    REQUIRE(strata_connect(db, &c) == STRATA_OK);
    uint64_t before = exec_parallel_scans();
    run_all(c, par);
    uint64_t went = exec_parallel_scans() - before;
    /* the full scans of t over SSTs only: each big one goes parallel when there is a core */
    if (cpus >= 2) CHECK(went >= 5);
    strata_disconnect(c);
    CHECK_EQ_INT(strata_close(db), STRATA_OK);

    db = open_with(dir, 0, NULL);
    REQUIRE(strata_connect(db, &c) == STRATA_OK);
    before = exec_parallel_scans();
    run_all(c, ser);
    CHECK_EQ_INT(exec_parallel_scans() - before, 0);
    strata_disconnect(c);
    CHECK_EQ_INT(strata_close(db), STRATA_OK);

    for (size_t q = 0; q < NQ; q++) {
        if (strcmp(par[q].p, ser[q].p) != 0) {
            fprintf(stderr, "%s: parallel and serial results differ\n", queries[q]);
            test_failures++;
        }
    }
    /* and the figures are right, not just equal */
    size_t lines = 0;
    for (const char *p = par[0].p; *p; p++) lines += *p == '\n';
    CHECK_EQ_INT(lines, ROWS);
    char want[64];
    snprintf(want, sizeof want, "%d|\n", ROWS);
    CHECK_EQ_STR(par[1].p, want);
    int cnt = 0, cntv = 0;
    for (int i = 0; i < ROWS; i++)
        if (i % 11 != 0 && row_v(i) > 0.25) cnt++, cntv++;
    snprintf(want, sizeof want, "%d|%d|", cnt, cntv);
    CHECK(strncmp(par[2].p, want, strlen(want)) == 0);
    lines = 0;
    for (const char *p = par[3].p; *p; p++) lines += *p == '\n';
    CHECK_EQ_INT(lines, 37);
    CHECK_EQ_STR(par[6].p, "1622|\n"); /* ids with i % 37 == 3 below 60000 */
    for (size_t q = 0; q < NQ; q++) {
        free(par[q].p);
        free(ser[q].p);
    }
    test_rmdir(dir);
    free(dir);
}

/* Query q on a cold cache, with EIO on the n-th I/O op at 12 points spread over the query's ops:
 * each run gives the right answer or STRATA_IOERR (never a wrong answer, a hang or a crash),
 * and the same query right after gives the right answer. */
static void fault_sweep(const char *dir, const char *q)
{
    strata_env *env = fault_env_new(env_default());
    /* a clean run: the answer and how many I/O ops the query does on a cold cache */
    fault_env_set_active(env, 0);
    strata_db *db = open_with(dir, 1, env);
    strata_conn *c;
    REQUIRE(strata_connect(db, &c) == STRATA_OK);
    sbuf good = {0};
    sb_add(&good, "");
    fault_env_set_active(env, 1);
    uint64_t ops0 = fault_env_op_count(env);
    CHECK_EQ_INT(strata_exec(c, q, collect, &good), STRATA_OK);
    uint64_t ops = fault_env_op_count(env) - ops0;
    strata_disconnect(c);
    fault_env_set_active(env, 0);
    CHECK_EQ_INT(strata_close(db), STRATA_OK);
    CHECK(ops >= 10);

    int failed = 0;
    for (int k = 1; k <= 12; k++) {
        fault_env_set_active(env, 0);
        db = open_with(dir, 1, env);
        REQUIRE(strata_connect(db, &c) == STRATA_OK);
        fault_env_set_active(env, 1);
        fault_env_fail_nth(env, ops * (uint64_t)k / 13 + 1, FAULT_EIO);
        sbuf got = {0};
        sb_add(&got, "");
        int rc = strata_exec(c, q, collect, &got);
        if (rc == STRATA_OK) {
            CHECK_EQ_STR(got.p, good.p); /* the fault hit an op whose failure is harmless */
        } else {
            failed++;
            CHECK_EQ_INT(rc, STRATA_IOERR);
            CHECK(strlen(strata_errmsg(c)) > 0);
        }
        /* the fault fired once: the same query now gives the right answer */
        fault_env_fail_nth(env, 0, FAULT_NONE);
        got.n = 0;
        got.p[0] = 0;
        CHECK_EQ_INT(strata_exec(c, q, collect, &got), STRATA_OK);
        CHECK_EQ_STR(got.p, good.p);
        free(got.p);
        strata_disconnect(c);
        fault_env_set_active(env, 0);
        CHECK_EQ_INT(strata_close(db), STRATA_OK);
    }
    CHECK(failed >= 6);
    free(good.p);
    fault_env_free(env);
}

static void test_read_errors(void)
{
    char *dir = make_db("par_fault");
    fault_sweep(dir, "SELECT count(*), sum(v) FROM t");
    test_rmdir(dir);
    free(dir);
}

typedef struct writer_arg {
    strata_db *db;
    int batches;
    _Atomic int done;
} writer_arg;

static void *writer(void *p)
{
    writer_arg *a = p;
    strata_conn *c;
    REQUIRE(strata_connect(a->db, &c) == STRATA_OK);
    for (int b = 0; b < a->batches; b++) load(c, ROWS + b * 100, 100);
    strata_disconnect(c);
    a->done = 1;
    return NULL;
}

static int first_int(void *ctx, int ncols, const char *const *values, const char *const *names)
{
    (void)names;
    if (ncols > 0 && values[0]) *(long long *)ctx = atoll(values[0]);
    return 0;
}

static void test_beside_writes(void)
{
    char *dir = make_db("par_writes");
    strata_db *db = open_with(dir, 1, NULL);
    strata_conn *c;
    REQUIRE(strata_connect(db, &c) == STRATA_OK);
    writer_arg a = {db, 300, 0};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, writer, &a) == 0);
    /* each INSERT adds 100 rows (spread over every vnode) atomically: a count from one
     * consistent view is ROWS plus a multiple of 100, whichever thread read which vnodes */
    int queries = 0, bad = 0;
    while (!a.done) {
        long long n = -1;
        /* count(g): a scan (count(*) alone is the catalog's row count) */
        CHECK_EQ_INT(strata_exec(c, "SELECT count(g) FROM t", first_int, &n), STRATA_OK);
        bad += !(n >= ROWS && (n - ROWS) % 100 == 0);
        queries++;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(queries >= 5);
    /* a scan with nothing else running (the writer's memtable is not flushed yet) */
    pthread_join(th, NULL);
    long long n = -1;
    CHECK_EQ_INT(strata_exec(c, "SELECT count(g) FROM t", first_int, &n), STRATA_OK);
    CHECK_EQ_INT(n, ROWS + 300 * 100);
    strata_disconnect(c);
    CHECK_EQ_INT(strata_close(db), STRATA_OK);
    test_rmdir(dir);
    free(dir);
}

/* Wide rows: the scan may hold only a few chunks decoded ahead (about 8 MiB of them: 2 chunks
 * of 90 columns), and a slow reader makes the helper wait for room; rows still come complete
 * and in the serial order. 4 vnodes: the scan goes parallel in vnode 1, and the two pieces
 * after it hold 5 chunks each, more than the limit. */
enum { WIDE_COLS = 90, WIDE_ROWS = 80000 };

static long long *wide_ids(const char *dir, int parallel, int slow)
{
    strata_db *db = open_with(dir, parallel, NULL);
    strata_conn *c;
    REQUIRE(strata_connect(db, &c) == STRATA_OK);
    strata_stmt *st;
    REQUIRE(strata_prepare(c, "SELECT * FROM w", &st, NULL) == STRATA_OK);
    long long *ids = calloc(WIDE_ROWS + 1, sizeof *ids);
    REQUIRE(ids);
    int n = 0, rc, bad = 0;
    while ((rc = strata_step(st)) == STRATA_ROW) {
        long long id = strata_column_int64(st, 0);
        for (int k = 1; k < WIDE_COLS; k++) bad += strata_column_int64(st, k) != id + k;
        if (n < WIDE_ROWS) ids[n] = id;
        n++;
        if (slow && n % 2048 == 0) usleep(5000);
    }
    CHECK_EQ_INT(rc, STRATA_DONE);
    CHECK_EQ_INT(n, WIDE_ROWS);
    CHECK_EQ_INT(bad, 0);
    strata_finalize(st);
    strata_disconnect(c);
    CHECK_EQ_INT(strata_close(db), STRATA_OK);
    return ids;
}

static char *make_wide_db(const char *name)
{
    char *dir = test_tmpdir(name);
    strata_db *db = open_with(dir, 1, NULL);
    strata_conn *c;
    REQUIRE(strata_connect(db, &c) == STRATA_OK);
    char *sql = malloc(64 * 1024 * 8);
    REQUIRE(sql);
    char *w = sql + sprintf(sql, "CREATE TABLE w (id INT PRIMARY KEY");
    for (int k = 1; k < WIDE_COLS; k++) w += sprintf(w, ", c%d INT", k);
    sprintf(w, ") WITH (vnodes = 4)");
    CHECK_EQ_INT(strata_exec(c, sql, NULL, NULL), STRATA_OK);
    for (int i = 0; i < WIDE_ROWS;) {
        w = sql + sprintf(sql, "INSERT INTO w VALUES ");
        for (int r = 0; r < 500; r++, i++) {
            w += sprintf(w, "%s(%d", r ? ", " : "", i);
            for (int k = 1; k < WIDE_COLS; k++) w += sprintf(w, ",%d", i + k);
            *w++ = ')';
            *w = 0;
        }
        CHECK_EQ_INT(strata_exec(c, sql, NULL, NULL), STRATA_OK);
    }
    free(sql);
    settle_and_close(db, c);
    return dir;
}

static void test_wide_rows_slow_reader(void)
{
    char *dir = make_wide_db("par_wide");
    uint64_t before = exec_parallel_scans();
    exec_parallel_scan_peak(1);
    long long *par = wide_ids(dir, 1, 1);
    if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) CHECK(exec_parallel_scans() > before);
    /* the limit, plus the one chunk the helper may add to a piece the scan waits for */
    CHECK(exec_parallel_scan_peak(0) <= 3);
    exec_parallel_scan_peak(1);
    free(wide_ids(dir, 1, 0)); /* a fast reader */
    CHECK(exec_parallel_scan_peak(0) <= 3);
    long long *ser = wide_ids(dir, 0, 0);
    CHECK(memcmp(par, ser, WIDE_ROWS * sizeof *par) == 0);
    free(par);
    free(ser);
    test_rmdir(dir);
    free(dir);
}

/* Read errors where the scan decodes ahead only part of a piece (wide rows: 2 chunks at most)
 * and reads the rest later from where it stopped. */
static void test_wide_read_errors(void)
{
    char *dir = make_wide_db("par_wide_fault");
    char q[2048], *w = q + sprintf(q, "SELECT count(*)");
    for (int k = 1; k < WIDE_COLS; k++) w += sprintf(w, ", sum(c%d)", k);
    sprintf(w, " FROM w");
    fault_sweep(dir, q);
    test_rmdir(dir);
    free(dir);
}

TEST_MAIN(test_same_as_serial, test_read_errors, test_beside_writes, test_wide_rows_slow_reader,
          test_wide_read_errors)
