/*
 * sql/api.c — include/strata.h: databases, connections, prepared statements.
 *
 * A strata_db owns the kernel (strata_kv) and the catalog; it is shared by threads. Writers
 * (DML and DDL statements) are serialised by db->write_mu, held from the statement's catalog
 * snapshot and KV snapshot to its commit, so a statement's duplicate-key checks and its commit
 * cannot interleave with another writer's. Readers never take it: a SELECT reads one KV
 * snapshot and one catalog snapshot.
 *
 * A statement is parsed once (strata_prepare) and bound against the catalog snapshot current at
 * prepare time; when it starts executing (first strata_step after prepare/reset) and the catalog
 * has changed since, it is bound again, so a prepared statement always runs against the catalog
 * it executes under. Each execution:
 *   - DDL: one cat_txn, its writes in one batch, committed with strata_kv_write; the in-memory
 *     catalog changes only after that batch commits (cat_txn_write).
 *   - DML: one batch with all the statement's writes, committed at the end — all or nothing.
 *   - SELECT / SHOW / DESCRIBE / EXPLAIN: rows through strata_step.
 *
 * Errors: the connection keeps the code and message of its last failed call ("what and where");
 * a success clears them.
 *
 * Thread-safety: strata_db functions are thread-safe; a connection and its statements are used
 * by one thread at a time.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "exec/exec.h"
#include "exec/plan.h"
#include "sql/ast.h"
#include "sql/binder.h"
#include "sql/tokenize.h"
#include "parse.h"
#include "strata.h"
#include "util/arena.h"
#include "util/status.h"

struct strata_db {
    strata_kv *kv;
    catalog *cat;
    pthread_mutex_t write_mu;
    const char *source_root;
    int parallel_scan;
};

struct strata_conn {
    strata_db *db;
    char ns[CAT_MAX_NAME + 1];
    char *user;
    int errcode;
    char errmsg[1024];
    int64_t changes;
};

enum { ST_READY = 0, ST_ROWS = 1, ST_DONE = 2 };

struct strata_stmt {
    strata_conn *c;
    char *sql; /* this statement's text (the AST points into it) */
    size_t sql_len;
    sql_parse parse;
    sql_stmt *ast;
    arena plan_arena;
    const cat_snap *snap; /* the snapshot the plan was bound against; held */
    sql_bound bound;
    int nparams;
    sql_value *params; /* [nparams] */
    char **param_bufs; /* [nparams] copies of text/blob parameters */
    int state;
    /* a running query */
    exec_ctx ctx;
    int ctx_live;
    exec_op *root;
    const strata_kv_snapshot *kvsnap;
    exec_chunk *chunk;
    size_t row;
    /* EXPLAIN: its lines */
    char *explain;
    char **lines;
    int nlines, line;
    /* column access */
    char **text; /* [ntext] rendered text of the current row */
    int ntext;
};

static _Thread_local char open_errmsg[1024];

const char *strata_open_errmsg(void)
{
    return open_errmsg;
}

void strata_options_init(strata_options *o)
{
    memset(o, 0, sizeof *o);
    strata_kv_options_init(&o->kv);
    o->parallel_scan = 1;
}

/* ---------------------------------------------------------------- errors */

static int conn_error(strata_conn *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int conn_error(strata_conn *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->errmsg, sizeof c->errmsg, fmt, ap);
    va_end(ap);
    c->errcode = code;
    return code;
}

/* The message recorded by the layer below (catalog, kernel) for code. */
static int conn_st_error(strata_conn *c, int code)
{
    const char *m = st_errmsg();
    if (!m || !*m) m = strata_kv_errmsg();
    if (!m || !*m) m = strata_status_message(code);
    return conn_error(c, code, "%s", m);
}

static void conn_ok(strata_conn *c)
{
    c->errcode = STRATA_OK;
    c->errmsg[0] = 0;
}

int strata_errcode(strata_conn *c)
{
    return c ? c->errcode : STRATA_MISUSE;
}

const char *strata_errmsg(strata_conn *c)
{
    if (!c) return "NULL connection";
    return c->errcode ? c->errmsg : strata_status_message(STRATA_OK);
}

int64_t strata_changes(strata_conn *c)
{
    return c ? c->changes : 0;
}

/* ---------------------------------------------------------------- db, connections */

int strata_open(const char *dir, const strata_options *opts, strata_db **out)
{
    *out = NULL;
    open_errmsg[0] = 0;
    strata_options def;
    if (!opts) {
        strata_options_init(&def);
        opts = &def;
    }
    strata_db *db = calloc(1, sizeof *db);
    if (!db) {
        snprintf(open_errmsg, sizeof open_errmsg, "out of memory opening %s", dir);
        return STRATA_NOMEM;
    }
    int rc = strata_kv_open(dir, &opts->kv, &db->kv);
    if (rc != STRATA_OK) {
        snprintf(open_errmsg, sizeof open_errmsg, "%s", strata_kv_errmsg());
        free(db);
        return rc;
    }
    rc = cat_open(db->kv, &db->cat);
    if (rc != STRATA_OK) {
        snprintf(open_errmsg, sizeof open_errmsg, "%s: loading the catalog: %s", dir, st_errmsg());
        strata_kv_close(db->kv);
        free(db);
        return rc;
    }
    pthread_mutex_init(&db->write_mu, NULL);
    db->source_root = opts->source_root ? strdup(opts->source_root) : NULL;
    db->parallel_scan = opts->parallel_scan != 0;
    *out = db;
    return STRATA_OK;
}

int strata_close(strata_db *db)
{
    if (!db) return STRATA_OK;
    open_errmsg[0] = 0;
    cat_close(db->cat);
    int rc = strata_kv_close(db->kv);
    if (rc != STRATA_OK) snprintf(open_errmsg, sizeof open_errmsg, "%s", strata_kv_errmsg());
    pthread_mutex_destroy(&db->write_mu);
    free((char *)db->source_root);
    free(db);
    return rc;
}

strata_kv *strata_db_kv(strata_db *db)
{
    return db ? db->kv : NULL;
}

int strata_connect(strata_db *db, strata_conn **out)
{
    *out = NULL;
    if (!db) return STRATA_MISUSE;
    strata_conn *c = calloc(1, sizeof *c);
    if (!c) return STRATA_NOMEM;
    c->db = db;
    strcpy(c->ns, "default");
    *out = c;
    return STRATA_OK;
}

void strata_disconnect(strata_conn *c)
{
    if (!c) return;
    free(c->user);
    free(c);
}

int strata_set_user(strata_conn *c, const char *user_id)
{
    if (!c) return STRATA_MISUSE;
    free(c->user);
    c->user = NULL;
    if (user_id && !(c->user = strdup(user_id)))
        return conn_error(c, STRATA_NOMEM, "out of memory setting the user");
    conn_ok(c);
    return STRATA_OK;
}

/* ---------------------------------------------------------------- statements */

static void stmt_stop(strata_stmt *s)
{
    if (s->root) {
        exec_close(s->root, &s->ctx);
        exec_free(s->root);
        s->root = NULL;
    }
    if (s->ctx_live) {
        exec_ctx_free(&s->ctx);
        s->ctx_live = 0;
    }
    if (s->kvsnap) {
        strata_kv_snapshot_release(s->c->db->kv, s->kvsnap);
        s->kvsnap = NULL;
    }
    free(s->explain);
    free(s->lines);
    s->explain = NULL;
    s->lines = NULL;
    s->nlines = s->line = 0;
    s->chunk = NULL;
    s->row = 0;
}

static void free_text(strata_stmt *s)
{
    if (!s->text) return;
    for (int i = 0; i < s->ntext; i++) {
        free(s->text[i]);
        s->text[i] = NULL;
    }
}

/* Binds the AST against the current catalog snapshot (again, if the catalog changed). */
static int stmt_bind(strata_stmt *s)
{
    strata_conn *c = s->c;
    const cat_snap *snap = cat_snap_acquire(c->db->cat);
    if (s->snap && cat_snap_version(s->snap) == cat_snap_version(snap)) {
        cat_snap_release(snap);
        return STRATA_OK;
    }
    free_text(s);
    free(s->text);
    s->text = NULL;
    s->ntext = 0;
    cat_snap_release(s->snap);
    s->snap = NULL;
    arena_destroy(&s->plan_arena);
    arena_init(&s->plan_arena, 8192);
    sql_binder b;
    sql_binder_init(&b, &s->plan_arena, snap, c->ns);
    int rc = sql_bind(&b, s->ast, &s->bound);
    if (rc != STRATA_OK) {
        cat_snap_release(snap);
        memset(&s->bound, 0, sizeof s->bound);
        return conn_error(c, rc, "%s", b.msg);
    }
    s->snap = snap;
    int ncols = s->bound.plan && s->bound.readonly ? s->bound.plan->ncols : 0;
    if (s->ast->kind == SQL_ST_EXPLAIN) ncols = 1;
    s->text = calloc((size_t)(ncols ? ncols : 1), sizeof *s->text);
    if (!s->text) return conn_error(c, STRATA_NOMEM, "out of memory");
    s->ntext = ncols;
    if (s->bound.nparams > s->nparams) {
        sql_value *p = realloc(s->params, sizeof *p * (size_t)s->bound.nparams);
        char **pb = realloc(s->param_bufs, sizeof *pb * (size_t)s->bound.nparams);
        if (p) s->params = p;
        if (pb) s->param_bufs = pb;
        if (!p || !pb) return conn_error(c, STRATA_NOMEM, "out of memory");
        for (int i = s->nparams; i < s->bound.nparams; i++) {
            s->params[i] = sql_null(STRATA_TYPE_NULL);
            s->param_bufs[i] = NULL;
        }
        s->nparams = s->bound.nparams;
    }
    return STRATA_OK;
}

/* Prepares the first statement of sql, which starts at line0/col0 of the caller's text (for
 * the line/column numbers of errors). */
static int prepare_at(strata_conn *c, const char *sql, uint32_t line0, uint32_t col0,
                      strata_stmt **out, const char **tail)
{
    *out = NULL;
    if (tail) *tail = sql;
    if (!c || !sql) return STRATA_MISUSE;
    /* Find the first statement with the tokenizer alone (it ends at the first ';' or at the
     * end of the text), copy it (with its ';') and parse the copy: the statement then does not
     * depend on sql's lifetime, and line/column numbers stay those of the caller's string. */
    sql_lexer lx;
    sql_lexer_init(&lx, sql, strlen(sql));
    lx.line = line0;
    lx.first_line = line0;
    lx.col_shift = col0 ? col0 - 1 : 0;
    sql_token t;
    int tk;
    const char *start = NULL;
    uint32_t sline = line0, scol = col0;
    while ((tk = sql_lex(&lx, &t)) != 0) {
        if (tk == SQL_TK_SPACE || (tk == TK_SEMI && !start)) continue;
        if (!start) {
            start = t.p;
            sline = t.line;
            scol = t.col;
        }
        if (tk == TK_SEMI) break;
        if ((size_t)(t.p + t.n - start) > SQL_MAX_SQL_LEN)
            return conn_error(c, STRATA_TOOBIG,
                              "statement too big: more than %u bytes at line %u, column %u",
                              SQL_MAX_SQL_LEN, (unsigned)t.line, (unsigned)t.col);
    }
    const char *end = sql + lx.pos;
    if (tail) *tail = end;
    if (!start) {
        conn_ok(c);
        return STRATA_OK;
    }
    size_t len = (size_t)(end - start);
    strata_stmt *s = calloc(1, sizeof *s);
    if (!s) return conn_error(c, STRATA_NOMEM, "out of memory preparing a statement");
    s->c = c;
    s->sql = malloc(len + 1);
    if (!s->sql) {
        free(s);
        return conn_error(c, STRATA_NOMEM, "out of memory preparing a statement");
    }
    memcpy(s->sql, start, len);
    s->sql[len] = 0;
    s->sql_len = len;
    sql_parse_init(&s->parse);
    s->parse.line0 = sline;
    s->parse.col0 = scol;
    arena_init(&s->plan_arena, 8192);
    size_t next = 0;
    int rc = sql_parse_next(&s->parse, s->sql, s->sql_len, 0, &s->ast, &next);
    if (rc != STRATA_OK || !s->ast) {
        rc = conn_error(c, rc ? rc : STRATA_ERROR, "%s", rc ? s->parse.msg : "empty statement");
        if (tail) *tail = sql;
        strata_finalize(s);
        return rc;
    }
    rc = stmt_bind(s);
    if (rc != STRATA_OK) {
        int code = c->errcode;
        char msg[sizeof c->errmsg];
        memcpy(msg, c->errmsg, sizeof msg);
        strata_finalize(s);
        c->errcode = code;
        memcpy(c->errmsg, msg, sizeof msg);
        return rc;
    }
    conn_ok(c);
    *out = s;
    return STRATA_OK;
}

int strata_prepare(strata_conn *c, const char *sql, strata_stmt **out, const char **tail)
{
    return prepare_at(c, sql, 1, 1, out, tail);
}

int strata_finalize(strata_stmt *s)
{
    if (!s) return STRATA_OK;
    stmt_stop(s);
    free_text(s);
    free(s->text);
    for (int i = 0; i < s->nparams; i++) free(s->param_bufs[i]);
    free(s->param_bufs);
    free(s->params);
    cat_snap_release(s->snap);
    arena_destroy(&s->plan_arena);
    sql_parse_destroy(&s->parse);
    free(s->sql);
    free(s);
    return STRATA_OK;
}

int strata_reset(strata_stmt *s)
{
    if (!s) return STRATA_MISUSE;
    stmt_stop(s);
    free_text(s);
    s->state = ST_READY;
    return STRATA_OK;
}

/* ---------------------------------------------------------------- parameters */

static int param_slot(strata_stmt *s, int idx)
{
    if (!s) return STRATA_MISUSE;
    if (s->state == ST_ROWS)
        return conn_error(s->c, STRATA_MISUSE,
                          "parameter %d bound while the statement runs; call strata_reset first",
                          idx);
    if (idx < 1 || idx > s->nparams)
        return conn_error(s->c, STRATA_RANGE, "parameter index %d out of range (1..%d)", idx,
                          s->nparams);
    free(s->param_bufs[idx - 1]);
    s->param_bufs[idx - 1] = NULL;
    return STRATA_OK;
}

int strata_bind_parameter_count(strata_stmt *s)
{
    return s ? s->nparams : 0;
}

int strata_bind_int64(strata_stmt *s, int idx, int64_t v)
{
    int rc = param_slot(s, idx);
    if (rc) return rc;
    s->params[idx - 1] = sql_int(STRATA_TYPE_BIGINT, v);
    return STRATA_OK;
}

int strata_bind_double(strata_stmt *s, int idx, double v)
{
    int rc = param_slot(s, idx);
    if (rc) return rc;
    s->params[idx - 1] = sql_double(v);
    return STRATA_OK;
}

static int bind_bytes(strata_stmt *s, int idx, int type, const void *v, size_t n)
{
    int rc = param_slot(s, idx);
    if (rc) return rc;
    if (n > UINT32_MAX) return conn_error(s->c, STRATA_TOOBIG, "parameter %d too big", idx);
    char *p = malloc(n + 1);
    if (!p) return conn_error(s->c, STRATA_NOMEM, "out of memory binding parameter %d", idx);
    if (n) memcpy(p, v, n);
    p[n] = 0;
    s->param_bufs[idx - 1] = p;
    s->params[idx - 1] = sql_text(type, p, (uint32_t)n);
    return STRATA_OK;
}

int strata_bind_text(strata_stmt *s, int idx, const char *v, int len)
{
    if (!v) return strata_bind_null(s, idx);
    return bind_bytes(s, idx, STRATA_TYPE_TEXT, v, len < 0 ? strlen(v) : (size_t)len);
}

int strata_bind_blob(strata_stmt *s, int idx, const void *v, size_t len)
{
    return bind_bytes(s, idx, STRATA_TYPE_BLOB, v, len);
}

int strata_bind_null(strata_stmt *s, int idx)
{
    int rc = param_slot(s, idx);
    if (rc) return rc;
    s->params[idx - 1] = sql_null(STRATA_TYPE_NULL);
    return STRATA_OK;
}

int strata_clear_bindings(strata_stmt *s)
{
    if (!s) return STRATA_MISUSE;
    for (int i = 0; i < s->nparams; i++) {
        free(s->param_bufs[i]);
        s->param_bufs[i] = NULL;
        s->params[i] = sql_null(STRATA_TYPE_NULL);
    }
    return STRATA_OK;
}

/* ---------------------------------------------------------------- execution */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void ctx_setup(strata_stmt *s, strata_kv_batch *batch)
{
    strata_conn *c = s->c;
    exec_ctx_init(&s->ctx);
    s->ctx_live = 1;
    s->ctx.kv = c->db->kv;
    s->ctx.snapshot = s->kvsnap;
    s->ctx.batch = batch;
    s->ctx.parallel_scan = c->db->parallel_scan && !batch;
    s->ctx.catalog = c->db->cat;
    s->ctx.params = s->params;
    s->ctx.nparams = s->nparams;
    s->ctx.now_us = now_us();
    s->ctx.user_id = c->user;
    s->ctx.user_len = c->user ? strlen(c->user) : 0;
}

static int exec_failed(strata_stmt *s, int rc)
{
    if (s->ctx.errcode && s->ctx.errmsg[0]) return conn_error(s->c, rc, "%s", s->ctx.errmsg);
    return conn_st_error(s->c, rc);
}

static int run_ddl(strata_stmt *s)
{
    strata_conn *c = s->c;
    strata_db *db = c->db;
    const sql_stmt *st = s->ast;
    cat_txn *tx = NULL;
    int rc = cat_txn_begin(db->cat, &tx);
    if (rc != STRATA_OK) return conn_st_error(c, rc);
    strata_kv_batch *batch = strata_kv_batch_new();
    if (!batch) {
        cat_txn_abort(tx);
        return conn_error(c, STRATA_NOMEM, "out of memory");
    }
    st_clear_error();
    const char *ns = st->name.ns ? st->name.ns : c->ns;
    switch (st->kind) {
    case SQL_ST_CREATE_NAMESPACE:
        rc = cat_create_namespace(tx, batch, st->name.name, CAT_NTS, st->if_not_exists);
        break;
    case SQL_ST_DROP_NAMESPACE:
        rc = cat_drop_namespace(tx, batch, st->name.name, CAT_NTS, st->if_exists, st->cascade);
        break;
    case SQL_ST_CREATE_TABLE:
    case SQL_ST_CREATE_VIEW:
        rc = cat_create_table(tx, batch, s->bound.table_def, NULL);
        break;
    case SQL_ST_DROP_VIEW:
    case SQL_ST_DROP_TABLE:
        rc = cat_drop_table(tx, batch, ns, CAT_NTS, st->name.name, CAT_NTS, st->if_exists);
        break;
    case SQL_ST_TRUNCATE:
        rc = cat_truncate_table(tx, batch, ns, CAT_NTS, st->name.name, CAT_NTS);
        break;
    default:
        rc = st_error(STRATA_NOTSUP, "%.*s is not supported yet", (int)st->tok.n, st->tok.p);
    }
    if (rc != STRATA_OK) {
        cat_txn_abort(tx);
        strata_kv_batch_free(batch);
        conn_st_error(c, rc);
        /* the catalog names the object; add where the statement names it */
        size_t n = strlen(c->errmsg);
        if (st->name.tok.line && n < sizeof c->errmsg)
            snprintf(c->errmsg + n, sizeof c->errmsg - n, " at line %u, column %u",
                     (unsigned)st->name.tok.line, (unsigned)st->name.tok.col);
        return rc;
    }
    if (strata_kv_batch_count(batch) == 0) {
        cat_txn_abort(tx); /* IF [NOT] EXISTS and nothing to do */
    } else {
        rc = cat_txn_write(tx, NULL, batch);
        if (rc != STRATA_OK) {
            strata_kv_batch_free(batch);
            return conn_st_error(c, rc);
        }
    }
    strata_kv_batch_free(batch);
    c->changes = 0;
    return STRATA_OK;
}

static int run_dml(strata_stmt *s)
{
    strata_conn *c = s->c;
    strata_db *db = c->db;
    strata_kv_batch *batch = strata_kv_batch_new();
    if (!batch) return conn_error(c, STRATA_NOMEM, "out of memory");
    s->kvsnap = strata_kv_snapshot_new(db->kv);
    ctx_setup(s, batch);
    int rc = exec_run(&s->ctx, s->bound.plan);
    if (rc != STRATA_OK) {
        rc = exec_failed(s, rc);
    } else if (strata_kv_batch_count(batch) > 0) {
        rc = strata_kv_write(db->kv, NULL, batch);
        if (rc != STRATA_OK)
            rc = conn_error(c, rc, "committing the statement's writes: %s", strata_kv_errmsg());
    }
    if (rc == STRATA_OK) c->changes = s->ctx.changes;
    strata_kv_batch_free(batch);
    stmt_stop(s);
    return rc;
}

static int start_query(strata_stmt *s)
{
    strata_conn *c = s->c;
    s->kvsnap = strata_kv_snapshot_new(c->db->kv);
    ctx_setup(s, NULL);
    int rc = exec_build(&s->ctx, s->bound.plan, &s->root);
    if (rc != STRATA_OK) return exec_failed(s, rc);
    if (s->ast->kind == SQL_ST_EXPLAIN) {
        s->explain = exec_explain(s->root);
        if (!s->explain) return conn_error(c, STRATA_NOMEM, "out of memory");
        int n = 1;
        for (char *p = s->explain; *p; p++) n += *p == '\n';
        s->lines = calloc((size_t)n, sizeof *s->lines);
        if (!s->lines) return conn_error(c, STRATA_NOMEM, "out of memory");
        char *save = NULL;
        for (char *l = strtok_r(s->explain, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
            s->lines[s->nlines++] = l;
        s->line = -1;
        return STRATA_OK;
    }
    rc = exec_open(s->root, &s->ctx);
    if (rc != STRATA_OK) return exec_failed(s, rc);
    return STRATA_OK;
}

static int next_row(strata_stmt *s)
{
    free_text(s);
    if (s->ast->kind == SQL_ST_EXPLAIN) {
        if (++s->line >= s->nlines) return STRATA_DONE;
        return STRATA_ROW;
    }
    if (s->chunk && s->row + 1 < s->chunk->count) {
        s->row++;
        return STRATA_ROW;
    }
    for (;;) {
        exec_chunk *ch = NULL;
        int rc = exec_next(s->root, &s->ctx, &ch);
        if (rc != STRATA_OK) {
            s->chunk = NULL;
            return exec_failed(s, rc);
        }
        if (!ch || ch->count == 0) {
            s->chunk = NULL;
            return STRATA_DONE;
        }
        s->chunk = ch;
        s->row = 0;
        return STRATA_ROW;
    }
}

int strata_step(strata_stmt *s)
{
    if (!s) return STRATA_MISUSE;
    strata_conn *c = s->c;
    if (s->state == ST_DONE) return STRATA_DONE;
    if (s->state == ST_ROWS) {
        int rc = next_row(s);
        if (rc != STRATA_ROW) {
            stmt_stop(s);
            s->state = ST_DONE;
            if (rc == STRATA_DONE) conn_ok(c);
        }
        return rc;
    }
    /* ST_READY: start an execution */
    int kind = s->ast->kind;
    int writer = !(kind == SQL_ST_SELECT || kind == SQL_ST_EXPLAIN || kind == SQL_ST_SHOW_TABLES ||
                   kind == SQL_ST_SHOW_NAMESPACES || kind == SQL_ST_DESCRIBE || kind == SQL_ST_USE);
    if (writer) pthread_mutex_lock(&c->db->write_mu);
    int rc = stmt_bind(s);
    if (rc == STRATA_OK) {
        switch (kind) {
        case SQL_ST_USE:
            if (!cat_find_namespace(s->snap, s->ast->name.name, CAT_NTS)) {
                rc = conn_error(c, STRATA_NOTFOUND, "no such namespace: %s at line %u, column %u",
                                s->ast->name.name, (unsigned)s->ast->name.tok.line,
                                (unsigned)s->ast->name.tok.col);
            } else {
                snprintf(c->ns, sizeof c->ns, "%s", s->ast->name.name);
                c->changes = 0;
            }
            break;
        case SQL_ST_INSERT:
        case SQL_ST_UPDATE:
        case SQL_ST_DELETE:
            rc = run_dml(s);
            break;
        case SQL_ST_SELECT:
        case SQL_ST_EXPLAIN:
        case SQL_ST_SHOW_TABLES:
        case SQL_ST_SHOW_NAMESPACES:
        case SQL_ST_DESCRIBE:
            rc = start_query(s);
            break;
        default:
            rc = run_ddl(s);
        }
    }
    if (writer) pthread_mutex_unlock(&c->db->write_mu);
    if (rc != STRATA_OK) {
        stmt_stop(s);
        s->state = ST_DONE;
        return rc;
    }
    if (!s->root && !s->lines) {
        s->state = ST_DONE;
        conn_ok(c);
        return STRATA_DONE;
    }
    s->state = ST_ROWS;
    return strata_step(s);
}

/* ---------------------------------------------------------------- columns */

static const plan_node *out_plan(strata_stmt *s)
{
    return s && s->bound.readonly ? s->bound.plan : NULL;
}

int strata_column_count(strata_stmt *s)
{
    if (!s) return 0;
    if (s->ast->kind == SQL_ST_EXPLAIN) return 1;
    const plan_node *p = out_plan(s);
    return p ? p->ncols : 0;
}

const char *strata_column_name(strata_stmt *s, int col)
{
    if (col < 0 || col >= strata_column_count(s)) return NULL;
    if (s->ast->kind == SQL_ST_EXPLAIN) return "plan";
    const char *n = out_plan(s)->names[col];
    return n ? n : "?column?";
}

int strata_column_decltype(strata_stmt *s, int col)
{
    if (col < 0 || col >= strata_column_count(s)) return STRATA_TYPE_NULL;
    if (s->ast->kind == SQL_ST_EXPLAIN) return STRATA_TYPE_TEXT;
    return out_plan(s)->types[col];
}

/* The current row's value of col; NULL-typed null when there is none. */
static sql_value cur_value(strata_stmt *s, int col)
{
    if (!s || s->state != ST_ROWS || col < 0 || col >= strata_column_count(s))
        return sql_null(STRATA_TYPE_NULL);
    if (s->ast->kind == SQL_ST_EXPLAIN) {
        if (s->line < 0 || s->line >= s->nlines) return sql_null(STRATA_TYPE_NULL);
        const char *l = s->lines[s->line];
        return sql_text(STRATA_TYPE_TEXT, l, (uint32_t)strlen(l));
    }
    if (!s->chunk) return sql_null(STRATA_TYPE_NULL);
    return exec_vector_get_value(&s->chunk->cols[col], exec_chunk_row(s->chunk, s->row));
}

int strata_column_type(strata_stmt *s, int col)
{
    sql_value v = cur_value(s, col);
    return v.is_null ? STRATA_TYPE_NULL : v.type;
}

int strata_column_is_null(strata_stmt *s, int col)
{
    return cur_value(s, col).is_null;
}

int64_t strata_column_int64(strata_stmt *s, int col)
{
    sql_value v = cur_value(s, col);
    if (v.is_null) return 0;
    switch (v.type) {
    case STRATA_TYPE_DOUBLE:
        return (int64_t)v.u.d;
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB: {
        char buf[32];
        size_t n = v.u.s.n < sizeof buf - 1 ? v.u.s.n : sizeof buf - 1;
        memcpy(buf, v.u.s.p, n);
        buf[n] = 0;
        return strtoll(buf, NULL, 10);
    }
    default:
        return v.u.i;
    }
}

double strata_column_double(strata_stmt *s, int col)
{
    sql_value v = cur_value(s, col);
    if (v.is_null) return 0;
    switch (v.type) {
    case STRATA_TYPE_DOUBLE:
        return v.u.d;
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB: {
        char buf[64];
        size_t n = v.u.s.n < sizeof buf - 1 ? v.u.s.n : sizeof buf - 1;
        memcpy(buf, v.u.s.p, n);
        buf[n] = 0;
        return strtod(buf, NULL);
    }
    default:
        return (double)v.u.i;
    }
}

/* Renders v as text (numbers as SQLite prints them, booleans as true/false, timestamps ISO). */
static char *render(sql_value v)
{
    char buf[64];
    switch (v.type) {
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB: {
        char *p = malloc((size_t)v.u.s.n + 1);
        if (!p) return NULL;
        if (v.u.s.n) memcpy(p, v.u.s.p, v.u.s.n);
        p[v.u.s.n] = 0;
        return p;
    }
    case STRATA_TYPE_DOUBLE:
        snprintf(buf, sizeof buf, "%.17g", v.u.d);
        {
            /* shortest form that reads back the same */
            for (int prec = 1; prec <= 17; prec++) {
                char t[64];
                snprintf(t, sizeof t, "%.*g", prec, v.u.d);
                if (strtod(t, NULL) == v.u.d) {
                    memcpy(buf, t, sizeof t);
                    break;
                }
            }
        }
        break;
    case STRATA_TYPE_BOOLEAN:
        snprintf(buf, sizeof buf, "%s", v.u.i ? "true" : "false");
        break;
    case STRATA_TYPE_TIMESTAMP: {
        time_t secs = (time_t)(v.u.i / 1000000);
        int64_t us = v.u.i % 1000000;
        if (us < 0) {
            us += 1000000;
            secs -= 1;
        }
        struct tm tm;
        gmtime_r(&secs, &tm);
        size_t n = strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
        if (us) snprintf(buf + n, sizeof buf - n, ".%06" PRId64, us);
        break;
    }
    default:
        snprintf(buf, sizeof buf, "%" PRId64, v.u.i);
    }
    return strdup(buf);
}

const char *strata_column_text(strata_stmt *s, int col)
{
    sql_value v = cur_value(s, col);
    if (v.is_null) return NULL;
    if (!s->text[col]) s->text[col] = render(v);
    return s->text[col];
}

const void *strata_column_blob(strata_stmt *s, int col, size_t *len)
{
    sql_value v = cur_value(s, col);
    if (v.is_null) {
        if (len) *len = 0;
        return NULL;
    }
    if (v.type == STRATA_TYPE_TEXT || v.type == STRATA_TYPE_BLOB) {
        if (len) *len = v.u.s.n;
        return v.u.s.p;
    }
    const char *t = strata_column_text(s, col);
    if (len) *len = t ? strlen(t) : 0;
    return t;
}

/* ---------------------------------------------------------------- exec */

int strata_exec(strata_conn *c, const char *sql, strata_row_cb cb, void *ctx)
{
    if (!c || !sql) return STRATA_MISUSE;
    const char *p = sql;
    uint32_t line = 1, col = 1; /* of p in sql */
    while (*p) {
        strata_stmt *s = NULL;
        const char *tail = NULL;
        int rc = prepare_at(c, p, line, col, &s, &tail);
        if (rc != STRATA_OK) return rc;
        if (!s) break;
        int ncols = strata_column_count(s);
        const char **vals = calloc((size_t)(ncols ? ncols : 1), sizeof *vals);
        const char **names = calloc((size_t)(ncols ? ncols : 1), sizeof *names);
        if (!vals || !names) {
            free(vals);
            free(names);
            strata_finalize(s);
            return conn_error(c, STRATA_NOMEM, "out of memory");
        }
        for (int i = 0; i < ncols; i++) names[i] = strata_column_name(s, i);
        while ((rc = strata_step(s)) == STRATA_ROW) {
            if (!cb) continue;
            for (int i = 0; i < ncols; i++) vals[i] = strata_column_text(s, i);
            if (cb(ctx, ncols, vals, names)) {
                rc = conn_error(c, STRATA_ERROR, "aborted by the callback");
                break;
            }
        }
        free(vals);
        free(names);
        strata_finalize(s);
        if (rc != STRATA_DONE) return rc;
        for (; p < tail; p++) {
            if (*p == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
    }
    conn_ok(c);
    return STRATA_OK;
}
