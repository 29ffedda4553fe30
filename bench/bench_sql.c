/*
 * bench/bench_sql.c — strata-bench's SQL workloads on strata (strata.h) and SQLite.
 *
 * Table t (id BIGINT PRIMARY KEY, grp INT, val DOUBLE, name TEXT) with --num rows: id = i,
 * grp = i % 100, val uniform in [0, 1) from a hash of i (the same rows for both engines),
 * name = "name-<i>". SQLite runs in WAL mode with synchronous=NORMAL and prepared statements.
 *
 * The strata engine is compiled only when the library defines the SQL API
 * (STRATA_BENCH_HAVE_SQL, set by bench/bench.cmake after checking the library's sources);
 * without it the SQL workloads run on SQLite alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "bench.h"
#ifdef STRATA_BENCH_HAVE_SQL
#include "strata.h"
#endif

#define POINT_QUERIES 100000
#define INSERT_BATCH  256 /* rows per multi-row INSERT statement (strata) */
#define GROUPS        100
#define SCAN_REPEATS  3

static const char *sql_workloads[][2] = {
    {"sql_insert", "insert --num rows with a prepared statement (SQLite: one row per statement, "
                   "one transaction; strata: 256-row VALUES lists, each statement atomic)"},
    {"sql_point", "100,000 primary-key selects of random ids (prepared)"},
    {"sql_groupby", "SELECT grp, count(*), sum(val) FROM t GROUP BY grp, 3 times; ops = rows"},
    {"sql_filter_count", "SELECT count(*) FROM t WHERE val > 0.9 (10%), 3 times; ops = rows"},
    {"sql_update", "UPDATE t SET val = val + 1 WHERE grp < 10 (10% of rows); ops = rows"},
    {"sql_delete_all", "DELETE FROM t; ops = rows (strata also: sql_truncate, TRUNCATE t)"},
};
#define NSQL ((int)(sizeof sql_workloads / sizeof sql_workloads[0]))

int bench_sql_is_workload(const char *name)
{
    for (int i = 0; i < NSQL; i++)
        if (!strcmp(sql_workloads[i][0], name)) return 1;
    return 0;
}

int bench_sql_has_engine(const char *engine)
{
    if (!strcmp(engine, "sqlite")) return 1;
#ifdef STRATA_BENCH_HAVE_SQL
    if (!strcmp(engine, "strata")) return 1;
#endif
    return 0;
}

void bench_sql_help(void)
{
    for (int i = 0; i < NSQL; i++) printf("  %-16s %s\n", sql_workloads[i][0], sql_workloads[i][1]);
#ifndef STRATA_BENCH_HAVE_SQL
    printf("  (this build has no strata SQL API: SQL workloads run on sqlite only)\n");
#endif
}

static double row_val(uint64_t i)
{
    uint64_t s = i * 0x2545f4914f6cdd1dull;
    return (double)(bench_rand(&s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ------------------------------------------------------------------ engine interface */

typedef struct sql_engine {
    const char *name;
    void *(*open)(const char *dir);
    void (*close)(void *h);
    void (*exec)(void *h, const char *sql);
    void (*insert)(void *h, uint64_t n);             /* rows 0..n-1 */
    int64_t (*query_int)(void *h, const char *sql);  /* first column of the only row */
    int64_t (*query_rows)(void *h, const char *sql); /* number of rows returned */
    int (*point)(void *h, int64_t id);               /* 1 if the row was found */
    int64_t (*changes)(void *h);
} sql_engine;

/* ---- SQLite ---- */

typedef struct lite_h {
    sqlite3 *db;
    sqlite3_stmt *point;
} lite_h;

static void lite_check(lite_h *h, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        bench_die("sqlite", "%s: %s", what, sqlite3_errmsg(h->db));
}

static void lite_exec(void *p, const char *sql)
{
    lite_h *h = p;
    char *err = NULL;
    if (sqlite3_exec(h->db, sql, NULL, NULL, &err) != SQLITE_OK)
        bench_die("sqlite", "%s: %s", sql, err ? err : "?");
}

static void *lite_open(const char *dir)
{
    lite_h *h = calloc(1, sizeof *h);
    if (!h) bench_die("sqlite", "out of memory");
    char path[4096];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/bench.db", dir);
    if (sqlite3_open(path, &h->db) != SQLITE_OK)
        bench_die("sqlite", "open %s: %s", path, sqlite3_errmsg(h->db));
    lite_exec(h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536");
    return h;
}

static void lite_close(void *p)
{
    lite_h *h = p;
    sqlite3_finalize(h->point);
    sqlite3_close(h->db);
    free(h);
}

static void lite_insert(void *p, uint64_t n)
{
    lite_h *h = p;
    sqlite3_stmt *s;
    char name[32];
    lite_check(h, sqlite3_prepare_v2(h->db, "INSERT INTO t VALUES (?, ?, ?, ?)", -1, &s, NULL),
               "prepare insert");
    lite_exec(h, "BEGIN");
    for (uint64_t i = 0; i < n; i++) {
        int len = snprintf(name, sizeof name, "name-%llu", (unsigned long long)i);
        sqlite3_bind_int64(s, 1, (sqlite3_int64)i);
        sqlite3_bind_int(s, 2, (int)(i % GROUPS));
        sqlite3_bind_double(s, 3, row_val(i));
        sqlite3_bind_text(s, 4, name, len, SQLITE_TRANSIENT);
        lite_check(h, sqlite3_step(s), "insert");
        sqlite3_reset(s);
    }
    lite_exec(h, "COMMIT");
    sqlite3_finalize(s);
}

static int64_t lite_query(lite_h *h, const char *sql, int want_rows)
{
    sqlite3_stmt *s;
    int64_t v = 0, rows = 0;
    int rc;
    lite_check(h, sqlite3_prepare_v2(h->db, sql, -1, &s, NULL), sql);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (rows == 0) v = sqlite3_column_int64(s, 0);
        rows++;
    }
    lite_check(h, rc, sql);
    sqlite3_finalize(s);
    return want_rows ? rows : v;
}

static int64_t lite_query_int(void *p, const char *sql)
{
    return lite_query(p, sql, 0);
}
static int64_t lite_query_rows(void *p, const char *sql)
{
    return lite_query(p, sql, 1);
}

static int lite_point(void *p, int64_t id)
{
    lite_h *h = p;
    if (!h->point)
        lite_check(h,
                   sqlite3_prepare_v2(h->db, "SELECT grp, val, name FROM t WHERE id = ?", -1,
                                      &h->point, NULL),
                   "prepare point");
    sqlite3_bind_int64(h->point, 1, id);
    int rc = sqlite3_step(h->point), found = rc == SQLITE_ROW;
    if (found) (void)sqlite3_column_text(h->point, 2);
    lite_check(h, rc, "point select");
    sqlite3_reset(h->point);
    return found;
}

static int64_t lite_changes(void *p)
{
    return sqlite3_changes(((lite_h *)p)->db);
}

/* ---- strata ---- */
#ifdef STRATA_BENCH_HAVE_SQL

typedef struct sq_h {
    strata_db *db;
    strata_conn *c;
    strata_stmt *point;
} sq_h;

static void sq_check(sq_h *h, int rc, const char *what)
{
    if (rc != STRATA_OK && rc != STRATA_ROW && rc != STRATA_DONE)
        bench_die("strata", "%s: %s", what, strata_errmsg(h->c));
}

static void *sq_open(const char *dir)
{
    sq_h *h = calloc(1, sizeof *h);
    if (!h) bench_die("strata", "out of memory");
    strata_options o;
    strata_options_init(&o);
    o.kv.write_buffer_size = 64u << 20;
    o.kv.block_cache_size = 64u << 20;
    for (int i = 0; i < STRATA_KV_LEVELS; i++) o.kv.compression[i] = STRATA_KV_COMPRESS_NONE;
    if (strata_open(dir, &o, &h->db) != STRATA_OK)
        bench_die("strata", "open %s: %s", dir, strata_open_errmsg());
    if (strata_connect(h->db, &h->c) != STRATA_OK) bench_die("strata", "connect failed");
    return h;
}

static void sq_close(void *p)
{
    sq_h *h = p;
    strata_finalize(h->point);
    strata_disconnect(h->c);
    if (strata_close(h->db) != STRATA_OK) bench_die("strata", "close: %s", strata_open_errmsg());
    free(h);
}

static void sq_exec(void *p, const char *sql)
{
    sq_h *h = p;
    sq_check(h, strata_exec(h->c, sql, NULL, NULL), sql);
}

static strata_stmt *sq_prepare_insert(sq_h *h, int rows)
{
    size_t cap = 32 + (size_t)rows * 16;
    char *sql = malloc(cap), *w = sql;
    w += sprintf(w, "INSERT INTO t VALUES ");
    for (int r = 0; r < rows; r++) w += sprintf(w, "%s(?, ?, ?, ?)", r ? ", " : "");
    strata_stmt *s = NULL;
    int rc = strata_prepare(h->c, sql, &s, NULL);
    free(sql);
    if (rc != STRATA_OK) return NULL;
    return s;
}

static void sq_bind_row(sq_h *h, strata_stmt *s, int base, uint64_t i)
{
    char name[32];
    int len = snprintf(name, sizeof name, "name-%llu", (unsigned long long)i);
    int rc = strata_bind_int64(s, base + 1, (int64_t)i);
    if (rc == STRATA_OK) rc = strata_bind_int64(s, base + 2, (int64_t)(i % GROUPS));
    if (rc == STRATA_OK) rc = strata_bind_double(s, base + 3, row_val(i));
    if (rc == STRATA_OK) rc = strata_bind_text(s, base + 4, name, len);
    sq_check(h, rc, "bind");
}

static void sq_insert(void *p, uint64_t n)
{
    sq_h *h = p;
    strata_stmt *multi = sq_prepare_insert(h, INSERT_BATCH);
    strata_stmt *one = sq_prepare_insert(h, 1);
    if (!one) bench_die("strata", "prepare insert: %s", strata_errmsg(h->c));
    uint64_t i = 0;
    if (multi) {
        for (; i + INSERT_BATCH <= n; i += INSERT_BATCH) {
            for (int r = 0; r < INSERT_BATCH; r++) sq_bind_row(h, multi, r * 4, i + (uint64_t)r);
            sq_check(h, strata_step(multi), "insert");
            sq_check(h, strata_reset(multi), "reset");
        }
    }
    for (; i < n; i++) {
        sq_bind_row(h, one, 0, i);
        sq_check(h, strata_step(one), "insert");
        sq_check(h, strata_reset(one), "reset");
    }
    strata_finalize(multi);
    strata_finalize(one);
}

static int64_t sq_query(sq_h *h, const char *sql, int want_rows)
{
    strata_stmt *s = NULL;
    int64_t v = 0, rows = 0;
    int rc;
    sq_check(h, strata_prepare(h->c, sql, &s, NULL), sql);
    while ((rc = strata_step(s)) == STRATA_ROW) {
        if (rows == 0) v = strata_column_int64(s, 0);
        rows++;
    }
    sq_check(h, rc, sql);
    strata_finalize(s);
    return want_rows ? rows : v;
}

static int64_t sq_query_int(void *p, const char *sql)
{
    return sq_query(p, sql, 0);
}
static int64_t sq_query_rows(void *p, const char *sql)
{
    return sq_query(p, sql, 1);
}

static int sq_point(void *p, int64_t id)
{
    sq_h *h = p;
    if (!h->point)
        sq_check(h,
                 strata_prepare(h->c, "SELECT grp, val, name FROM t WHERE id = ?", &h->point, NULL),
                 "prepare point");
    sq_check(h, strata_bind_int64(h->point, 1, id), "bind");
    int rc = strata_step(h->point), found = rc == STRATA_ROW;
    if (found) (void)strata_column_text(h->point, 2);
    sq_check(h, rc, "point select");
    sq_check(h, strata_reset(h->point), "reset");
    return found;
}

static int64_t sq_changes(void *p)
{
    return strata_changes(((sq_h *)p)->c);
}
#endif

static const sql_engine sql_engines[] = {
    {"sqlite", lite_open, lite_close, lite_exec, lite_insert, lite_query_int, lite_query_rows,
     lite_point, lite_changes},
#ifdef STRATA_BENCH_HAVE_SQL
    {"strata", sq_open, sq_close, sq_exec, sq_insert, sq_query_int, sq_query_rows, sq_point,
     sq_changes},
#endif
};

/* ------------------------------------------------------------------ workloads */

typedef struct sql_run {
    const sql_engine *e;
    const bench_config *cfg;
    void *h;
    int loaded;  /* t holds rows 0..num-1 as inserted */
    int created; /* t exists */
    uint64_t rng;
} sql_run;

static void new_table(sql_run *r)
{
    if (r->created) r->e->exec(r->h, "DROP TABLE t");
    r->e->exec(r->h, "CREATE TABLE t (id BIGINT PRIMARY KEY, grp INT, val DOUBLE, name TEXT)");
    r->created = 1;
}

static void need_rows(sql_run *r)
{
    if (r->loaded) return;
    new_table(r);
    r->e->insert(r->h, r->cfg->num);
    r->loaded = 1;
}

static void expect(sql_run *r, const char *w, int64_t got, int64_t want)
{
    if (got != want)
        bench_die(r->e->name, "%s: got %lld, expected %lld", w, (long long)got, (long long)want);
}

static void run_one(sql_run *r, const char *w)
{
    uint64_t n = r->cfg->num;
    double t;
    if (!strcmp(w, "sql_insert")) {
        new_table(r);
        t = bench_now();
        r->e->insert(r->h, n);
        bench_record(w, r->e->name, (double)n, bench_now() - t);
        r->loaded = 1;
        expect(r, w, r->e->query_int(r->h, "SELECT count(*) FROM t"), (int64_t)n);
    } else if (!strcmp(w, "sql_point")) {
        need_rows(r);
        int64_t found = 0;
        t = bench_now();
        for (int i = 0; i < POINT_QUERIES; i++)
            found += r->e->point(r->h, (int64_t)(bench_rand(&r->rng) % n));
        bench_record(w, r->e->name, POINT_QUERIES, bench_now() - t);
        expect(r, w, found, POINT_QUERIES);
    } else if (!strcmp(w, "sql_groupby")) {
        need_rows(r);
        t = bench_now();
        for (int i = 0; i < SCAN_REPEATS; i++)
            expect(r, w,
                   r->e->query_rows(r->h, "SELECT grp, count(*), sum(val) FROM t GROUP BY grp"),
                   n < GROUPS ? (int64_t)n : GROUPS);
        bench_record(w, r->e->name, (double)n * SCAN_REPEATS, bench_now() - t);
    } else if (!strcmp(w, "sql_filter_count")) {
        need_rows(r);
        int64_t want = 0;
        for (uint64_t i = 0; i < n; i++) want += row_val(i) > 0.9;
        t = bench_now();
        for (int i = 0; i < SCAN_REPEATS; i++)
            expect(r, w, r->e->query_int(r->h, "SELECT count(*) FROM t WHERE val > 0.9"), want);
        bench_record(w, r->e->name, (double)n * SCAN_REPEATS, bench_now() - t);
    } else if (!strcmp(w, "sql_update")) {
        need_rows(r);
        t = bench_now();
        r->e->exec(r->h, "UPDATE t SET val = val + 1 WHERE grp < 10");
        double secs = bench_now() - t;
        int64_t changed = r->e->changes(r->h);
        bench_record(w, r->e->name, (double)changed, secs);
        int64_t want = 0;
        for (uint64_t i = 0; i < n; i++) want += i % GROUPS < 10;
        expect(r, w, changed, want);
        r->loaded = 0; /* values changed: reload before the next workload that reads them */
    } else if (!strcmp(w, "sql_delete_all")) {
        need_rows(r);
        t = bench_now();
        r->e->exec(r->h, "DELETE FROM t");
        bench_record(w, r->e->name, (double)n, bench_now() - t);
        expect(r, w, r->e->query_int(r->h, "SELECT count(*) FROM t"), 0);
        r->loaded = 0;
        if (!strcmp(r->e->name, "strata")) {
            need_rows(r);
            t = bench_now();
            r->e->exec(r->h, "TRUNCATE t");
            bench_record("sql_truncate", r->e->name, (double)n, bench_now() - t);
            expect(r, "sql_truncate", r->e->query_int(r->h, "SELECT count(*) FROM t"), 0);
            r->loaded = 0;
        }
    }
}

void bench_sql_run(const bench_config *cfg, const char *engine, char **workloads, int nworkloads)
{
    const sql_engine *e = NULL;
    for (size_t i = 0; i < sizeof sql_engines / sizeof sql_engines[0]; i++)
        if (!strcmp(sql_engines[i].name, engine)) e = &sql_engines[i];
    if (!e) return;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/sql_%s", cfg->dir, engine);
    bench_rmrf(dir);
    sql_run r = {.e = e, .cfg = cfg, .rng = cfg->seed};
    r.h = e->open(dir);
    fprintf(stderr, "%s (SQL):\n", engine);
    for (int i = 0; i < nworkloads; i++) run_one(&r, workloads[i]);
    e->close(r.h);
    bench_rmrf(dir);
}
