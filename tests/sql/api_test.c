/* tests/sql/api_test.c — the public SQL API (include/strata.h): prepare with tails, parameters,
 * step/column access, reset and re-execution, errors with what and where, changes, statements
 * surviving DDL (re-bound), connections on several threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"
#include "test.h"

static strata_db *open_db(const char *dir)
{
    strata_db *db = NULL;
    int rc = strata_open(dir, NULL, &db);
    if (rc != STRATA_OK) fprintf(stderr, "strata_open: %s\n", strata_open_errmsg());
    REQUIRE(rc == STRATA_OK && db);
    return db;
}

static int count_rows(void *ctx, int ncols, const char *const *values, const char *const *names)
{
    (void)values;
    (void)names;
    (void)ncols;
    (*(int *)ctx)++;
    return 0;
}

static void test_prepare_bind_step(void)
{
    char *dir = test_tmpdir("api_prepare");
    strata_db *db = open_db(dir);
    strata_conn *c;
    REQUIRE(strata_connect(db, &c) == STRATA_OK);
    CHECK_EQ_INT(
        strata_exec(c, "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, v DOUBLE);", NULL, NULL),
        STRATA_OK);

    /* an INSERT with parameters, executed several times */
    strata_stmt *ins;
    REQUIRE(strata_prepare(c, "INSERT INTO t VALUES (?, ?, ?)", &ins, NULL) == STRATA_OK);
    CHECK_EQ_INT(strata_bind_parameter_count(ins), 3);
    for (int i = 1; i <= 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        CHECK_EQ_INT(strata_bind_int64(ins, 1, i), STRATA_OK);
        CHECK_EQ_INT(strata_bind_text(ins, 2, name, -1), STRATA_OK);
        if (i == 3)
            CHECK_EQ_INT(strata_bind_null(ins, 3), STRATA_OK);
        else
            CHECK_EQ_INT(strata_bind_double(ins, 3, i * 1.5), STRATA_OK);
        CHECK_EQ_INT(strata_step(ins), STRATA_DONE);
        CHECK_EQ_INT(strata_changes(c), 1);
        CHECK_EQ_INT(strata_reset(ins), STRATA_OK);
    }
    CHECK_EQ_INT(strata_bind_int64(ins, 4, 1), STRATA_RANGE);
    CHECK(strstr(strata_errmsg(c), "parameter index 4 out of range") != NULL);
    /* a duplicate key fails and says so */
    strata_bind_int64(ins, 1, 2);
    CHECK_EQ_INT(strata_step(ins), STRATA_CONSTRAINT);
    CHECK(strstr(strata_errmsg(c), "duplicate") != NULL);
    strata_finalize(ins);

    /* a query with a parameter, typed by its context */
    strata_stmt *q;
    REQUIRE(strata_prepare(c, "SELECT id, name, v FROM t WHERE id >= ? ORDER BY id", &q, NULL) ==
            STRATA_OK);
    CHECK_EQ_INT(strata_column_count(q), 3);
    CHECK_EQ_STR(strata_column_name(q, 1), "name");
    CHECK_EQ_INT(strata_column_decltype(q, 0), STRATA_TYPE_BIGINT);
    CHECK_EQ_INT(strata_column_decltype(q, 2), STRATA_TYPE_DOUBLE);
    strata_bind_int64(q, 1, 3);
    CHECK_EQ_INT(strata_step(q), STRATA_ROW);
    CHECK_EQ_INT(strata_column_int64(q, 0), 3);
    CHECK_EQ_STR(strata_column_text(q, 1), "n3");
    CHECK(strata_column_is_null(q, 2));
    CHECK_EQ_INT(strata_column_type(q, 2), STRATA_TYPE_NULL);
    CHECK_EQ_INT(strata_step(q), STRATA_ROW);
    CHECK_EQ_INT(strata_column_int64(q, 0), 4);
    CHECK(strata_column_double(q, 2) == 6.0);
    CHECK_EQ_STR(strata_column_text(q, 2), "6");
    CHECK_EQ_INT(strata_step(q), STRATA_ROW);
    CHECK_EQ_INT(strata_step(q), STRATA_DONE);
    /* again with another value */
    strata_reset(q);
    strata_bind_int64(q, 1, 5);
    CHECK_EQ_INT(strata_step(q), STRATA_ROW);
    CHECK_EQ_INT(strata_column_int64(q, 0), 5);
    CHECK_EQ_INT(strata_step(q), STRATA_DONE);

    /* a parameter with nothing to type it is TEXT */
    strata_stmt *p;
    int n;
    REQUIRE(strata_prepare(c, "SELECT ?, ? + 1", &p, NULL) == STRATA_OK);
    strata_bind_text(p, 1, "abc", -1);
    strata_bind_int64(p, 2, 41);
    CHECK_EQ_INT(strata_step(p), STRATA_ROW);
    CHECK_EQ_STR(strata_column_text(p, 0), "abc");
    CHECK_EQ_INT(strata_column_int64(p, 1), 42);
    strata_finalize(p);

    /* EXPLAIN: one TEXT column, a row per operator */
    REQUIRE(strata_prepare(c, "EXPLAIN SELECT id, name, v FROM t WHERE id = 1", &p, NULL) ==
            STRATA_OK);
    CHECK_EQ_INT(strata_column_count(p), 1);
    CHECK_EQ_STR(strata_column_name(p, 0), "plan");
    n = 0;
    while (strata_step(p) == STRATA_ROW) {
        CHECK(strata_column_text(p, 0) != NULL);
        n++;
    }
    CHECK(n >= 1);
    strata_finalize(p);

    /* DDL between executions: the statement is bound again */
    CHECK_EQ_INT(strata_exec(c, "CREATE TABLE other (a INT)", NULL, NULL), STRATA_OK);
    strata_reset(q);
    strata_bind_int64(q, 1, 1);
    n = 0;
    while (strata_step(q) == STRATA_ROW) n++;
    CHECK_EQ_INT(n, 5);
    strata_finalize(q);

    /* UPDATE / DELETE report their row counts */
    CHECK_EQ_INT(strata_exec(c, "UPDATE t SET v = 0 WHERE id <= 2", NULL, NULL), STRATA_OK);
    CHECK_EQ_INT(strata_changes(c), 2);
    CHECK_EQ_INT(strata_exec(c, "DELETE FROM t WHERE v IS NULL", NULL, NULL), STRATA_OK);
    CHECK_EQ_INT(strata_changes(c), 1);

    strata_disconnect(c);
    CHECK_EQ_INT(strata_close(db), STRATA_OK);
    free(dir);
}

static void test_tails_and_errors(void)
{
    char *dir = test_tmpdir("api_errors");
    strata_db *db = open_db(dir);
    strata_conn *c;
    REQUIRE(strata_connect(db, &c) == STRATA_OK);

    /* prepare takes the first statement; the tail points past it */
    const char *sql = "CREATE TABLE a (x BIGINT);  INSERT INTO a VALUES (1);\n  -- done\n";
    strata_stmt *s;
    const char *tail;
    REQUIRE(strata_prepare(c, sql, &s, &tail) == STRATA_OK && s);
    CHECK(tail == sql + strlen("CREATE TABLE a (x BIGINT);"));
    CHECK_EQ_INT(strata_step(s), STRATA_DONE);
    strata_finalize(s);
    REQUIRE(strata_prepare(c, tail, &s, &tail) == STRATA_OK && s);
    CHECK_EQ_INT(strata_step(s), STRATA_DONE);
    strata_finalize(s);
    CHECK_EQ_INT(strata_prepare(c, tail, &s, &tail), STRATA_OK);
    CHECK(s == NULL);

    /* errors say what and where — also for a statement after the first line */
    CHECK_EQ_INT(strata_exec(c, "SELECT 1;\nSELECT *\n  FORM a", NULL, NULL), STRATA_SYNTAX);
    CHECK_EQ_INT(strata_errcode(c), STRATA_SYNTAX);
    CHECK_EQ_STR(strata_errmsg(c), "syntax error at line 3, column 3 near \"FORM\"");
    CHECK_EQ_INT(strata_exec(c, "SELECT 1;  SELECT nope FROM a", NULL, NULL), STRATA_ERROR);
    CHECK_EQ_STR(strata_errmsg(c), "no such column: nope at line 1, column 19");
    CHECK_EQ_INT(strata_prepare(c, "SELECT * FROM missing", &s, NULL), STRATA_NOTFOUND);
    CHECK(s == NULL);
    CHECK_EQ_STR(strata_errmsg(c), "no such table: default.missing at line 1, column 15");
    /* a success clears the error */
    int rows = 0;
    CHECK_EQ_INT(strata_exec(c, "SELECT x FROM a", count_rows, &rows), STRATA_OK);
    CHECK_EQ_INT(rows, 1);
    CHECK_EQ_INT(strata_errcode(c), STRATA_OK);

    /* a statement over 1 MiB */
    size_t big = (1u << 20) + 64;
    char *q = malloc(big + 1);
    memcpy(q, "SELECT '", 8);
    memset(q + 8, 'x', big - 9);
    q[big - 1] = '\'';
    q[big] = 0;
    CHECK_EQ_INT(strata_exec(c, q, NULL, NULL), STRATA_TOOBIG);
    CHECK(strstr(strata_errmsg(c), "statement too big: more than 1048576 bytes at line 1") != NULL);
    free(q);
    rows = 0;
    CHECK_EQ_INT(strata_exec(c, "SELECT x FROM a", count_rows, &rows), STRATA_OK);
    CHECK_EQ_INT(rows, 1);

    strata_disconnect(c);
    strata_close(db);
    free(dir);
}

/* Misuse of the statement API is an error code, never a crash: bad column indexes, column access
 * before the first row, after DONE and after an error, repeated reset/finalize, bad parameter
 * indexes. */
static void test_misuse(void)
{
    char *dir = test_tmpdir("api_misuse");
    strata_db *db = open_db(dir);
    strata_conn *c;
    REQUIRE(strata_connect(db, &c) == STRATA_OK);
    CHECK_EQ_INT(strata_exec(c,
                             "CREATE TABLE m (id BIGINT PRIMARY KEY, s TEXT);"
                             "INSERT INTO m VALUES (1, 'one'), (2, NULL)",
                             NULL, NULL),
                 STRATA_OK);
    strata_stmt *s;
    REQUIRE(strata_prepare(c, "SELECT id, s FROM m WHERE id >= ? ORDER BY id", &s, NULL) ==
            STRATA_OK);
    CHECK_EQ_INT(strata_column_count(s), 2);
    CHECK(strata_column_name(s, 2) == NULL);
    CHECK(strata_column_name(s, -1) == NULL);
    CHECK_EQ_STR(strata_column_name(s, 1), "s");
    /* before the first step: no row */
    CHECK(strata_column_text(s, 0) == NULL);
    CHECK_EQ_INT(strata_column_int64(s, 0), 0);
    CHECK(strata_column_is_null(s, 0));
    /* parameter indexes */
    CHECK_EQ_INT(strata_bind_int64(s, 0, 1), STRATA_RANGE);
    CHECK(strstr(strata_errmsg(c), "parameter index 0 out of range (1..1)") != NULL);
    CHECK_EQ_INT(strata_bind_text(s, 2, "x", -1), STRATA_RANGE);
    CHECK_EQ_INT(strata_bind_null(s, -5), STRATA_RANGE);
    CHECK_EQ_INT(strata_bind_int64(s, 1, 1), STRATA_OK);
    CHECK_EQ_INT(strata_step(s), STRATA_ROW);
    /* binding while rows are produced is misuse, the running query is unaffected */
    CHECK_EQ_INT(strata_bind_int64(s, 1, 2), STRATA_MISUSE);
    CHECK(strata_column_text(s, 2) == NULL);
    CHECK(strata_column_text(s, -1) == NULL);
    size_t n = 99;
    CHECK(strata_column_blob(s, 7, &n) == NULL && n == 0);
    CHECK_EQ_INT(strata_column_type(s, 9), STRATA_TYPE_NULL);
    CHECK_EQ_STR(strata_column_text(s, 1), "one");
    CHECK_EQ_INT(strata_step(s), STRATA_ROW);
    CHECK_EQ_INT(strata_column_int64(s, 0), 2);
    CHECK(strata_column_text(s, 1) == NULL);
    CHECK_EQ_INT(strata_step(s), STRATA_DONE);
    /* after DONE: no row, and stepping again stays DONE */
    CHECK(strata_column_text(s, 0) == NULL);
    CHECK(strata_column_text(s, 1) == NULL);
    CHECK_EQ_INT(strata_column_int64(s, 0), 0);
    CHECK_EQ_INT(strata_step(s), STRATA_DONE);
    /* reset is idempotent; the statement runs again */
    CHECK_EQ_INT(strata_reset(s), STRATA_OK);
    CHECK_EQ_INT(strata_reset(s), STRATA_OK);
    CHECK_EQ_INT(strata_step(s), STRATA_ROW);
    CHECK_EQ_STR(strata_column_text(s, 0), "1");
    /* reset in the middle of the rows, then finalize after reset */
    CHECK_EQ_INT(strata_reset(s), STRATA_OK);
    CHECK(strata_column_text(s, 0) == NULL);
    CHECK_EQ_INT(strata_finalize(s), STRATA_OK);
    CHECK_EQ_INT(strata_finalize(NULL), STRATA_OK);
    CHECK_EQ_INT(strata_reset(NULL), STRATA_MISUSE);
    CHECK_EQ_INT(strata_step(NULL), STRATA_MISUSE);
    CHECK(strata_column_text(NULL, 0) == NULL);
    CHECK_EQ_INT(strata_column_count(NULL), 0);

    /* a statement whose table is dropped: the re-bind fails at step, then no row, no crash */
    REQUIRE(strata_prepare(c, "SELECT id, s FROM m", &s, NULL) == STRATA_OK);
    CHECK_EQ_INT(strata_exec(c, "DROP TABLE m", NULL, NULL), STRATA_OK);
    CHECK_EQ_INT(strata_step(s), STRATA_NOTFOUND);
    CHECK(strstr(strata_errmsg(c), "no such table: default.m") != NULL);
    CHECK(strata_column_text(s, 0) == NULL);
    CHECK_EQ_INT(strata_column_count(s), 0);
    CHECK_EQ_INT(strata_step(s), STRATA_DONE);
    CHECK_EQ_INT(strata_reset(s), STRATA_OK);
    CHECK_EQ_INT(strata_step(s), STRATA_NOTFOUND);
    /* ... and runs again once the table is back */
    CHECK_EQ_INT(strata_exec(c,
                             "CREATE TABLE m (id BIGINT PRIMARY KEY, s TEXT, t TEXT);"
                             "INSERT INTO m VALUES (7, 'a', 'b')",
                             NULL, NULL),
                 STRATA_OK);
    CHECK_EQ_INT(strata_reset(s), STRATA_OK);
    CHECK_EQ_INT(strata_step(s), STRATA_ROW);
    CHECK_EQ_STR(strata_column_text(s, 1), "a");
    CHECK_EQ_INT(strata_finalize(s), STRATA_OK);

    /* a runtime error in the middle of the rows ends the statement */
    REQUIRE(strata_prepare(c, "SELECT 10 / (id - 7) FROM m", &s, NULL) == STRATA_OK);
    CHECK_EQ_INT(strata_step(s), STRATA_RANGE);
    CHECK(strstr(strata_errmsg(c), "division by zero") != NULL);
    CHECK(strata_column_text(s, 0) == NULL);
    CHECK_EQ_INT(strata_step(s), STRATA_DONE);
    CHECK_EQ_INT(strata_finalize(s), STRATA_OK);

    strata_disconnect(c);
    strata_close(db);
    free(dir);
}

typedef struct worker {
    strata_db *db;
    int id;
    int rc;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    strata_conn *c;
    if ((w->rc = strata_connect(w->db, &c)) != STRATA_OK) return NULL;
    strata_stmt *s;
    if ((w->rc = strata_prepare(c, "INSERT INTO k VALUES (?, ?)", &s, NULL)) != STRATA_OK) {
        strata_disconnect(c);
        return NULL;
    }
    for (int i = 0; i < 50 && w->rc == STRATA_OK; i++) {
        strata_bind_int64(s, 1, w->id * 1000 + i);
        strata_bind_int64(s, 2, w->id);
        int rc = strata_step(s);
        w->rc = rc == STRATA_DONE ? STRATA_OK : rc;
        strata_reset(s);
    }
    strata_finalize(s);
    strata_disconnect(c);
    return NULL;
}

static void test_threads(void)
{
    char *dir = test_tmpdir("api_threads");
    strata_db *db = open_db(dir);
    strata_conn *c;
    REQUIRE(strata_connect(db, &c) == STRATA_OK);
    CHECK_EQ_INT(strata_exec(c, "CREATE TABLE k (id BIGINT PRIMARY KEY, w BIGINT)", NULL, NULL),
                 STRATA_OK);
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i].db = db;
        w[i].id = i + 1;
        w[i].rc = 0;
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(w[i].rc, STRATA_OK);
    }
    strata_stmt *s;
    REQUIRE(strata_prepare(c, "SELECT count(*), count(DISTINCT w) FROM k", &s, NULL) == STRATA_OK);
    CHECK_EQ_INT(strata_step(s), STRATA_ROW);
    CHECK_EQ_INT(strata_column_int64(s, 0), 200);
    CHECK_EQ_INT(strata_column_int64(s, 1), 4);
    strata_finalize(s);
    strata_disconnect(c);
    strata_close(db);
    free(dir);
}

TEST_MAIN(test_prepare_bind_step, test_tails_and_errors, test_misuse, test_threads)
