/*
 * strata.h — the public SQL API of strata, modelled on SQLite's.
 *
 *   strata_db    the database: one per directory, safe to share between threads.
 *   strata_conn  a session: current namespace (starts in "default") and current user; used by
 *                one thread at a time. Each thread uses its own connection.
 *   strata_stmt  a prepared statement of one connection.
 *
 * Every function returning int returns STRATA_OK or a code of strata_status.h (strata_step also
 * STRATA_ROW / STRATA_DONE). After an error, strata_errcode/strata_errmsg of the connection say
 * what and where ("syntax error at line 1, column 15 near \"FORM\"", "no such table: t").
 * Every statement is atomic: it commits one write batch or nothing.
 */
#ifndef STRATA_H
#define STRATA_H

#include <stddef.h>
#include <stdint.h>

#include "strata_status.h"
#include "strata_kv.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct strata_db strata_db;
typedef struct strata_conn strata_conn;
typedef struct strata_stmt strata_stmt;

/* Column types, as reported by strata_column_type. */
typedef enum strata_type {
    STRATA_TYPE_NULL = 0,
    STRATA_TYPE_BOOLEAN = 1,
    STRATA_TYPE_INT = 2,
    STRATA_TYPE_BIGINT = 3,
    STRATA_TYPE_DOUBLE = 4,
    STRATA_TYPE_TEXT = 5,
    STRATA_TYPE_BLOB = 6,
    STRATA_TYPE_TIMESTAMP = 7,
} strata_type;

typedef struct strata_options {
    strata_kv_options kv;    /* the kernel's options (strata_kv_options_init defaults) */
    const char *source_root; /* refreshable tables: sources must lie under it; NULL = anywhere */
    /* default 1: a full scan of a big table by a read-only statement reads part of it on a
     * second thread when the machine has two or more cores (rows still come in key order, so
     * results are the same); 0: every statement runs on its caller's thread alone. */
    int parallel_scan;
} strata_options;

void strata_options_init(strata_options *o);

int strata_open(const char *dir, const strata_options *opts /* NULL: defaults */, strata_db **out);
int strata_close(strata_db *db);
/* The message of the last strata_open/strata_close failure on this thread. */
const char *strata_open_errmsg(void);
/* The kernel under the database (for stats, flush, compaction). */
strata_kv *strata_db_kv(strata_db *db);

int strata_connect(strata_db *db, strata_conn **out);
void strata_disconnect(strata_conn *c);
/* Only the application sets the user; SQL cannot. NULL clears it. */
int strata_set_user(strata_conn *c, const char *user_id);

/* Called once per result row of strata_exec: ncols values as text (NULL for SQL NULL) and the
 * column names. Return non-zero to stop (strata_exec then returns STRATA_ERROR, "aborted"). */
typedef int (*strata_row_cb)(void *ctx, int ncols, const char *const *values,
                             const char *const *names);

/* Runs every statement in sql, in order; stops at the first error. cb may be NULL. */
int strata_exec(strata_conn *c, const char *sql, strata_row_cb cb, void *ctx);

/* Prepares the first statement of sql; *tail (if not NULL) points past it. A string holding
 * only whitespace and comments gives *out = NULL and STRATA_OK. */
int strata_prepare(strata_conn *c, const char *sql, strata_stmt **out, const char **tail);
/* Parameters are ?, numbered from 1 in order of appearance. */
int strata_bind_int64(strata_stmt *s, int idx, int64_t v);
int strata_bind_double(strata_stmt *s, int idx, double v);
int strata_bind_text(strata_stmt *s, int idx, const char *v, int len /* -1: strlen */);
int strata_bind_blob(strata_stmt *s, int idx, const void *v, size_t len);
int strata_bind_null(strata_stmt *s, int idx);
int strata_bind_parameter_count(strata_stmt *s);

int strata_step(strata_stmt *s); /* STRATA_ROW, STRATA_DONE or an error */
int strata_column_count(strata_stmt *s);
const char *strata_column_name(strata_stmt *s, int col);
int strata_column_type(strata_stmt *s, int col);     /* of the current row's value; NULL → 0 */
int strata_column_decltype(strata_stmt *s, int col); /* the column's declared strata_type */
int64_t strata_column_int64(strata_stmt *s, int col);
double strata_column_double(strata_stmt *s, int col);
/* Text of any value (numbers rendered); valid until the next step/reset/finalize. */
const char *strata_column_text(strata_stmt *s, int col);
const void *strata_column_blob(strata_stmt *s, int col, size_t *len);
int strata_column_is_null(strata_stmt *s, int col);
int strata_reset(strata_stmt *s);
int strata_clear_bindings(strata_stmt *s);
int strata_finalize(strata_stmt *s); /* NULL is a no-op */

int strata_errcode(strata_conn *c);
const char *strata_errmsg(strata_conn *c);
/* Rows inserted, updated or deleted by the connection's last statement. */
int64_t strata_changes(strata_conn *c);

#ifdef __cplusplus
}
#endif
#endif
