/*
 * tests/api/threads_test.c — the SQL C API under threads: one strata_db shared by several
 * threads, each with its own strata_conn, inserting rows (prepared, bound) and reading its own
 * and everyone's rows while the others write. Checks what a user would: every committed row is
 * visible to its writer at once, counts never go backwards, and at the end every row is there
 * exactly once, also after reopening the database.
 */
#include <pthread.h>

#include "strata.h"
#include "test.h"

#define THREADS 4
#define ROWS    300 /* per thread */

typedef struct worker {
    strata_db *db;
    int id;
    char err[512]; /* the first failure, "" if none */
} worker;

static void fail(worker *w, const char *what, strata_conn *c)
{
    if (!w->err[0])
        snprintf(w->err, sizeof w->err, "thread %d: %s: %s", w->id, what,
                 c ? strata_errmsg(c) : "");
}

static int64_t count_where(strata_conn *c, strata_stmt *s, int64_t thread, int *ok)
{
    int64_t n = -1;
    *ok = 0;
    if (strata_bind_int64(s, 1, thread) != STRATA_OK) return -1;
    if (strata_step(s) == STRATA_ROW) {
        n = strata_column_int64(s, 0);
        *ok = strata_step(s) == STRATA_DONE;
    }
    strata_reset(s);
    (void)c;
    return n;
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    strata_conn *c = NULL;
    strata_stmt *ins = NULL, *own = NULL, *all = NULL;
    if (strata_connect(w->db, &c) != STRATA_OK) {
        fail(w, "connect", NULL);
        return NULL;
    }
    if (strata_prepare(c, "INSERT INTO t VALUES (?, ?, ?)", &ins, NULL) != STRATA_OK ||
        strata_prepare(c, "SELECT count(*) FROM t WHERE thread = ?", &own, NULL) != STRATA_OK ||
        strata_prepare(c, "SELECT count(*) FROM t", &all, NULL) != STRATA_OK) {
        fail(w, "prepare", c);
        goto out;
    }
    int64_t last_all = 0;
    for (int i = 0; i < ROWS && !w->err[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "row %d of thread %d", i, w->id);
        if (strata_bind_int64(ins, 1, (int64_t)w->id * ROWS + i) != STRATA_OK ||
            strata_bind_int64(ins, 2, w->id) != STRATA_OK ||
            strata_bind_text(ins, 3, name, -1) != STRATA_OK) {
            fail(w, "bind", c);
            break;
        }
        if (strata_step(ins) != STRATA_DONE) {
            fail(w, "insert", c);
            break;
        }
        if (strata_changes(c) != 1) fail(w, "insert changed != 1 row", c);
        strata_reset(ins);
        if (i % 25 == 24) {
            int ok;
            int64_t n = count_where(c, own, w->id, &ok);
            if (!ok || n != i + 1) {
                char what[128];
                snprintf(what, sizeof what, "own count %lld after %d inserts", (long long)n, i + 1);
                fail(w, what, c);
            }
            int64_t a = -1;
            if (strata_step(all) == STRATA_ROW) a = strata_column_int64(all, 0);
            strata_reset(all);
            if (a < last_all || a < i + 1 || a > THREADS * ROWS) {
                char what[128];
                snprintf(what, sizeof what, "total count %lld (before: %lld)", (long long)a,
                         (long long)last_all);
                fail(w, what, c);
            }
            last_all = a;
        }
    }
out:
    strata_finalize(ins);
    strata_finalize(own);
    strata_finalize(all);
    strata_disconnect(c);
    return NULL;
}

static int64_t query_int(strata_conn *c, const char *sql)
{
    strata_stmt *s = NULL;
    int64_t v = -1;
    if (strata_prepare(c, sql, &s, NULL) != STRATA_OK) {
        fprintf(stderr, "%s: %s\n", sql, strata_errmsg(c));
        return -1;
    }
    if (strata_step(s) == STRATA_ROW) v = strata_column_int64(s, 0);
    strata_finalize(s);
    return v;
}

static void check_all_rows(strata_conn *c)
{
    CHECK_EQ_INT(query_int(c, "SELECT count(*) FROM t"), THREADS * ROWS);
    CHECK_EQ_INT(query_int(c, "SELECT count(*) FROM t WHERE thread = 2"), ROWS);
    CHECK_EQ_INT(query_int(c, "SELECT min(id) FROM t"), 0);
    CHECK_EQ_INT(query_int(c, "SELECT max(id) FROM t"), THREADS * ROWS - 1);
}

static void test_threads_share_a_db(void)
{
    char *dir = test_tmpdir("api_conn_threads");
    strata_db *db = NULL;
    strata_conn *c = NULL;
    REQUIRE(strata_open(dir, NULL, &db) == STRATA_OK);
    REQUIRE(strata_connect(db, &c) == STRATA_OK);
    REQUIRE(strata_exec(c, "CREATE TABLE t (id BIGINT PRIMARY KEY, thread INT, name TEXT)", NULL,
                        NULL) == STRATA_OK);

    worker w[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.db = db, .id = i};
        REQUIRE(pthread_create(&th[i], NULL, run_worker, &w[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        if (w[i].err[0]) fprintf(stderr, "%s\n", w[i].err);
        CHECK(w[i].err[0] == 0);
    }
    check_all_rows(c);
    /* a duplicate key from any connection is rejected and changes nothing */
    CHECK(strata_exec(c, "INSERT INTO t VALUES (5, 9, 'dup')", NULL, NULL) != STRATA_OK);
    CHECK_EQ_INT(query_int(c, "SELECT count(*) FROM t"), THREADS * ROWS);

    strata_disconnect(c);
    CHECK_EQ_INT(strata_close(db), STRATA_OK);
    REQUIRE(strata_open(dir, NULL, &db) == STRATA_OK);
    REQUIRE(strata_connect(db, &c) == STRATA_OK);
    check_all_rows(c);
    strata_disconnect(c);
    CHECK_EQ_INT(strata_close(db), STRATA_OK);
    test_rmdir(dir);
    free(dir);
}

TEST_MAIN(test_threads_share_a_db)
