/* fuzz/sql_exec.c — libFuzzer target: the input is SQL text, split into statements that run one
 * by one (prepare, bind, step, read every column) on a temporary database; an error is fine, a
 * crash, leak or sanitizer report is not.
 *
 * One strata_db per process, in a temporary directory under $STRATA_TEST_TMP (or /tmp). Between
 * inputs the database is emptied through the API (every view, table and namespace the user made
 * is dropped, and the listing is checked to be empty); a fresh directory is opened every
 * FRESH_EVERY inputs and whenever emptying fails, so one input never sees another's rows.
 *
 * After each input the invariants a user would check are checked for every table and view of
 * every namespace (system tables included): SELECT count(*), SELECT * and SELECT * ORDER BY 1
 * see the same number of rows, and a column's IS NULL and IS NOT NULL rows add up to count(*)
 * (compared when the queries succeed: a view may fail to evaluate). A mismatch aborts.
 *
 * Work per input is bounded (CI runs each target for ~20 s on 2 cores): at most MAX_STMTS
 * statements, at most MAX_ROWS rows stepped per statement, and the input stops once its
 * statements have changed MAX_CHANGES rows (so tables stay small and joins cheap).
 *
 * A statement that is just RESTART (not SQL: as in sqllogictest) closes the database and opens
 * it again, so what was committed before must be there after (the invariants then check it).
 *
 * The session's user is "alice" (user and stream tables need one); refreshable tables' sources
 * are confined to an empty directory (options.source_root), so no input reads outside it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strata.h"

#define MAX_STMTS   48
#define MAX_ROWS    4096
#define MAX_CHANGES 2000
#define FRESH_EVERY 512
#define MAX_NAMES   64

static strata_db *g_db;
static char g_dir[512], g_src[600];
static unsigned g_inputs;
static int g_verbose; /* $STRATA_FUZZ_VERBOSE: print each statement's outcome (seed writing) */

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "sql_exec: %s: %s\n", what, detail ? detail : "");
    abort();
}

/* Closes the database (if open) and opens it again: emptied first if `fresh`. */
static void reopen(int fresh)
{
    if (g_db && strata_close(g_db) != STRATA_OK) die("close", strata_open_errmsg());
    g_db = NULL;
    if (fresh) strata_kv_destroy(g_dir);
    strata_options o;
    strata_options_init(&o);
    o.kv.write_buffer_size = 64 << 10;
    o.kv.target_file_size = 64 << 10;
    o.kv.max_bytes_for_level_base = 256 << 10;
    o.kv.block_cache_size = 256 << 10;
    o.kv.io_backend = STRATA_KV_IO_SYNC;
    o.kv.sync_mode = STRATA_KV_SYNC_OFF;
    o.kv.background_compaction = 0; /* compactions inline: runs are reproducible */
    o.source_root = g_src;
    if (strata_open(g_dir, &o, &g_db) != STRATA_OK) die("open", strata_open_errmsg());
}

static void open_fresh(void)
{
    reopen(1);
}

static strata_conn *connect_db(void)
{
    strata_conn *c = NULL;
    if (strata_connect(g_db, &c) != STRATA_OK) die("connect", NULL);
    if (strata_set_user(c, "alice") != STRATA_OK) die("set_user", NULL);
    return c;
}

/* 1 if [p, end) is the pseudo-statement RESTART (any case, blanks around). */
static int is_restart(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (strncasecmp(p, "restart", 7) != 0) return 0;
    for (p += 7; *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') return 0;
    return 1;
}

static void cleanup(void)
{
    if (g_db) strata_close(g_db);
    g_db = NULL;
    strata_kv_destroy(g_dir);
    rmdir(g_src);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    g_verbose = getenv("STRATA_FUZZ_VERBOSE") != NULL;
    const char *base = getenv("STRATA_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    snprintf(g_dir, sizeof g_dir, "%s/sql_exec.%d", base, (int)getpid());
    snprintf(g_src, sizeof g_src, "%s.src", g_dir);
    mkdir(base, 0755);
    mkdir(g_src, 0755);
    open_fresh();
    atexit(cleanup);
    return 0;
}

/* ------------------------------------------------------------------ running statements */

/* Runs one statement with prepare/step, binding parameters and reading every column of up to
 * MAX_ROWS rows with every accessor. Returns the rows stepped, or -1 on an error. */
static long run_one(strata_conn *c, const char *sql, int64_t *changes)
{
    long rows = 0;
    while (*sql) {
        strata_stmt *s = NULL;
        const char *tail = NULL;
        if (strata_prepare(c, sql, &s, &tail) != STRATA_OK) {
            if (strata_errmsg(c)[0] == 0) die("an error without a message", sql);
            if (g_verbose) fprintf(stderr, "[prepare] %s\n  -> %s\n", sql, strata_errmsg(c));
            return -1;
        }
        if (!s) break;
        int np = strata_bind_parameter_count(s);
        for (int i = 1; i <= np; i++) {
            switch (i % 5) {
            case 0:
                strata_bind_int64(s, i, -i);
                break;
            case 1:
                strata_bind_int64(s, i, i);
                break;
            case 2:
                strata_bind_text(s, i, "x'y", -1);
                break;
            case 3:
                strata_bind_double(s, i, 0.5 * i);
                break;
            case 4:
                strata_bind_null(s, i);
                break;
            }
        }
        int ncols = strata_column_count(s), rc;
        for (int i = 0; i < ncols; i++) {
            if (!strata_column_name(s, i)) die("a column without a name", sql);
            (void)strata_column_decltype(s, i);
        }
        while ((rc = strata_step(s)) == STRATA_ROW && rows < MAX_ROWS) {
            rows++;
            for (int i = 0; i < ncols; i++) {
                int t = strata_column_type(s, i);
                int isnull = strata_column_is_null(s, i);
                if (isnull != (t == STRATA_TYPE_NULL)) die("is_null disagrees with type", sql);
                (void)strata_column_int64(s, i);
                (void)strata_column_double(s, i);
                size_t n = 0;
                const void *b = strata_column_blob(s, i, &n);
                if (b && n) (void)((volatile const uint8_t *)b)[n - 1];
                const char *txt = strata_column_text(s, i);
                if (!isnull && !txt) die("a non-NULL value without text", sql);
                if (txt) (void)strlen(txt);
            }
        }
        if (rc != STRATA_ROW && rc != STRATA_DONE && strata_errmsg(c)[0] == 0)
            die("a step error without a message", sql);
        *changes += strata_changes(c);
        if (g_verbose)
            fprintf(stderr, "[%s] %.*s\n  -> %ld rows%s%s\n",
                    rc == STRATA_ROW || rc == STRATA_DONE ? "ok" : "step",
                    (int)(tail ? tail - sql : (long)strlen(sql)), sql, rows,
                    rc == STRATA_ROW || rc == STRATA_DONE ? "" : ", ",
                    rc == STRATA_ROW || rc == STRATA_DONE ? "" : strata_errmsg(c));
        strata_finalize(s);
        if (rc != STRATA_ROW && rc != STRATA_DONE) return -1;
        sql = tail;
    }
    return rows;
}

/* The next statement of [p, end): up to a ';' outside quotes and comments (';' excluded).
 * Returns its end. */
static const char *split_next(const char *p, const char *end)
{
    while (p < end) {
        char ch = *p;
        if (ch == ';') return p;
        if (ch == '\'' || ch == '"' || ch == '`') {
            for (p++; p < end && *p != ch; p++) {
            }
            if (p < end) p++;
        } else if (ch == '-' && p + 1 < end && p[1] == '-') {
            while (p < end && *p != '\n') p++;
        } else if (ch == '/' && p + 1 < end && p[1] == '*') {
            for (p += 2; p + 1 < end && !(p[0] == '*' && p[1] == '/'); p++) {
            }
            p = p + 1 < end ? p + 2 : end;
        } else {
            p++;
        }
    }
    return end;
}

/* ------------------------------------------------------------------ listing, invariants */

typedef struct names {
    int n;
    char v[MAX_NAMES][2][160]; /* name, kind */
} names;

static int collect(void *ctx, int ncols, const char *const *vals, const char *const *cols)
{
    (void)cols;
    names *l = ctx;
    if (l->n == MAX_NAMES) return 0;
    snprintf(l->v[l->n][0], sizeof l->v[0][0], "%s", vals[0] ? vals[0] : "");
    snprintf(l->v[l->n][1], sizeof l->v[0][1], "%s", ncols > 1 && vals[1] ? vals[1] : "");
    l->n++;
    return 0;
}

/* `"name"` with '"' doubled, into out. */
static void quote(char *out, size_t cap, const char *name)
{
    size_t k = 0;
    out[k++] = '"';
    for (; *name && k + 3 < cap; name++) {
        if (*name == '"') out[k++] = '"';
        out[k++] = *name;
    }
    out[k++] = '"';
    out[k] = 0;
}

typedef struct scan_count {
    long rows;
    char first[160], last[160]; /* the first and last column names */
} scan_count;

static int count_rows(void *ctx, int ncols, const char *const *vals, const char *const *cols)
{
    (void)vals;
    scan_count *sc = ctx;
    if (sc->rows++ == 0 && ncols > 0) {
        snprintf(sc->first, sizeof sc->first, "%s", cols[0] ? cols[0] : "");
        snprintf(sc->last, sizeof sc->last, "%s", cols[ncols - 1] ? cols[ncols - 1] : "");
    }
    return 0;
}

static int first_value(void *ctx, int ncols, const char *const *vals, const char *const *cols)
{
    (void)cols;
    snprintf(ctx, 64, "%s", ncols > 0 && vals[0] ? vals[0] : "NULL");
    return 0;
}

static void mismatch(const char *qns, const char *qt, const char *what, long a, long b)
{
    fprintf(stderr, "sql_exec: %s.%s: %s: %ld vs %ld rows\n", qns, qt, what, a, b);
    abort();
}

/* SELECT count(*) of `FROM qns.qt <tail>`; -1 if it fails. */
static long count_star(strata_conn *c, const char *qns, const char *qt, const char *tail)
{
    char sql[1400], cnt[64] = "";
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.%s%s", qns, qt, tail);
    if (strata_exec(c, sql, first_value, cnt) != STRATA_OK) return -1;
    return strtol(cnt, NULL, 10);
}

/* What a user would check of any table or view: count(*) = the rows of SELECT * (sorted or
 * not), and a column's NULL and non-NULL rows add up to all rows. Only compared when both
 * queries succeed (a view may fail to evaluate, e.g. a division by zero). */
static void check_table(strata_conn *c, const char *qns, const char *qt)
{
    char sql[1400], q[400];
    long n = count_star(c, qns, qt, "");
    scan_count all = {0, "", ""}, sorted = {0, "", ""};
    snprintf(sql, sizeof sql, "SELECT * FROM %s.%s", qns, qt);
    int ok = strata_exec(c, sql, count_rows, &all) == STRATA_OK;
    if (ok && n >= 0 && n != all.rows) mismatch(qns, qt, "count(*) vs SELECT *", n, all.rows);
    snprintf(sql, sizeof sql, "SELECT * FROM %s.%s ORDER BY 1 DESC", qns, qt);
    if (ok && strata_exec(c, sql, count_rows, &sorted) == STRATA_OK && sorted.rows != all.rows)
        mismatch(qns, qt, "SELECT * vs SELECT * ORDER BY 1 DESC", all.rows, sorted.rows);
    if (!ok || n < 0 || all.rows == 0) return;
    for (int k = 0; k < 2; k++) {
        const char *col = k ? all.last : all.first;
        if (!*col || (k && !strcmp(all.first, all.last))) continue;
        quote(q, sizeof q, col);
        char tail[500];
        snprintf(tail, sizeof tail, " WHERE %s IS NULL", q);
        long nulls = count_star(c, qns, qt, tail);
        snprintf(tail, sizeof tail, " WHERE %s IS NOT NULL", q);
        long vals = count_star(c, qns, qt, tail);
        if (nulls >= 0 && vals >= 0 && nulls + vals != n)
            mismatch(qns, qt, "IS NULL + IS NOT NULL vs count(*)", nulls + vals, n);
    }
}

static void check_invariants(strata_conn *c)
{
    static names nss, tabs;
    nss.n = 0;
    if (strata_exec(c, "SHOW NAMESPACES", collect, &nss) != STRATA_OK)
        die("SHOW NAMESPACES", strata_errmsg(c));
    for (int i = 0; i < nss.n; i++) {
        char qns[400], qt[400], sql[900];
        quote(qns, sizeof qns, nss.v[i][0]);
        tabs.n = 0;
        snprintf(sql, sizeof sql, "SHOW TABLES IN %s", qns);
        if (strata_exec(c, sql, collect, &tabs) != STRATA_OK) die(sql, strata_errmsg(c));
        for (int j = 0; j < tabs.n; j++) {
            quote(qt, sizeof qt, tabs.v[j][0]);
            check_table(c, qns, qt);
        }
    }
}

/* Drops every view, table and namespace the input made. 0 when the database is back to its
 * initial listing (namespaces default and system, no table in default). */
static int empty_db(strata_conn *c)
{
    static names nss, tabs;
    char q[400], sql[900];
    nss.n = 0;
    if (strata_exec(c, "SHOW NAMESPACES", collect, &nss) != STRATA_OK) return -1;
    int has_default = 0;
    for (int i = 0; i < nss.n; i++) {
        const char *ns = nss.v[i][0];
        if (!strcmp(ns, "system")) continue;
        if (!strcmp(ns, "default")) {
            has_default = 1;
            continue;
        }
        quote(q, sizeof q, ns);
        snprintf(sql, sizeof sql, "DROP NAMESPACE %s CASCADE", q);
        if (strata_exec(c, sql, NULL, NULL) != STRATA_OK) return -1;
    }
    if (!has_default || nss.n >= MAX_NAMES) return -1;
    for (int pass = 0; pass < 2; pass++) { /* views first: they may name tables */
        tabs.n = 0;
        if (strata_exec(c, "SHOW TABLES IN default", collect, &tabs) != STRATA_OK) return -1;
        if (tabs.n >= MAX_NAMES) return -1;
        for (int j = 0; j < tabs.n; j++) {
            int view = !strcmp(tabs.v[j][1], "view");
            if (view != (pass == 0)) continue;
            quote(q, sizeof q, tabs.v[j][0]);
            snprintf(sql, sizeof sql, "DROP %s default.%s", view ? "VIEW" : "TABLE", q);
            if (strata_exec(c, sql, NULL, NULL) != STRATA_OK) return -1;
        }
    }
    nss.n = tabs.n = 0;
    if (strata_exec(c, "SHOW NAMESPACES", collect, &nss) != STRATA_OK || nss.n != 2) return -1;
    if (strata_exec(c, "SHOW TABLES IN default", collect, &tabs) != STRATA_OK || tabs.n != 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ the target */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (++g_inputs % FRESH_EVERY == 0) open_fresh();
    strata_conn *c = connect_db();

    char *text = malloc(size + 1);
    if (!text) die("out of memory", NULL);
    memcpy(text, data, size);
    text[size] = 0;
    const char *p = text, *end = text + strlen(text); /* an embedded NUL ends the input */
    int64_t changes = 0;
    for (int i = 0; i < MAX_STMTS && p < end && changes < MAX_CHANGES; i++) {
        char *e = (char *)split_next(p, end);
        char saved = *e;
        *e = 0;
        if (is_restart(p)) {
            strata_disconnect(c);
            reopen(0);
            c = connect_db();
        } else {
            run_one(c, p, &changes);
        }
        *e = saved;
        p = e < end ? e + 1 : end;
    }
    free(text);

    /* a fresh connection: the input's USE does not leak into the checks */
    strata_disconnect(c);
    c = connect_db();
    check_invariants(c);
    int rc = empty_db(c);
    strata_disconnect(c);
    if (rc != 0) open_fresh();
    return 0;
}
