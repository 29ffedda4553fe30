/*
 * exec/exec.h — running a plan: the execution context and the operator interface.
 *
 * Use (sql/ does this for every statement):
 *
 *   exec_ctx ctx;  exec_ctx_init(&ctx);
 *   ctx.kv = kv; ctx.snapshot = snap; ctx.batch = batch; ctx.catalog = cat;
 *   ctx.params = params; ctx.nparams = n; ctx.now_us = start time; ctx.user_id = ...;
 *   exec_op *root;
 *   rc = exec_build(&ctx, plan, &root);         planner: logical plan → operator tree
 *   rc = exec_open(root, &ctx);
 *   for (;;) { exec_chunk *c; rc = exec_next(root, &ctx, &c); if (rc || c->count == 0) break;
 *              ... rows c->cols[j] at exec_chunk_row(c, i) for i < c->count ... }
 *   exec_close(root); exec_free(root);
 *   if rc == STRATA_OK and the batch is not empty: strata_kv_write(kv, NULL, batch)  — the
 *   caller commits; one batch per statement makes each statement atomic.
 *   On error: ctx.errcode / ctx.errmsg say what and where; the batch must be discarded.
 *   exec_ctx_free(&ctx);
 *
 * DML operators (INSERT, UPDATE, DELETE) return no rows; they add their writes to ctx->batch and
 * their row count to ctx->changes.
 *
 * Reuse: a built tree may run again — exec_close, then exec_open with new ctx->params (strata_reset
 * + new bindings): every parameter, LIMIT and key bound is evaluated at open/next, never at build.
 * The exec_ctx that built the tree must stay alive as long as the tree (the planner's rewritten
 * plan lives in ctx->arena); call exec_new_run(ctx) before each rerun (it resets errcode, errmsg
 * and changes, and drops cached results of uncorrelated subqueries). Building once per
 * prepared statement instead of once per execution saves about 40% of a point select.
 *
 * Operators (DuckDB's physical operators in C): each kind is a table of function pointers
 * (exec_op_vtab); the per-run state lives in the operator struct, never in the plan. A chunk
 * returned by next() belongs to the operator and stays valid until its next call; count == 0
 * means the operator is finished (and stays finished until it is opened again). open may be
 * called again after close to rerun the same tree (correlated subqueries do so).
 *
 * Thread-safety: one statement, one thread.
 */
#ifndef STRATA_EXEC_EXEC_H
#define STRATA_EXEC_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "exec/plan.h"
#include "exec/types.h"
#include "exec/vector.h"
#include "strata_kv.h"
#include "util/arena.h"
#include "util/status.h"

struct catalog; /* catalog/catalog.h */

typedef struct exec_ctx exec_ctx;
typedef struct exec_op exec_op;

/* The outer rows visible to correlated subqueries: a stack, innermost last. */
typedef struct exec_outer_frame {
    const exec_chunk *chunk; /* the evaluating node's input chunk */
    size_t row;              /* the current row (a position in the chunk's vectors) */
} exec_outer_frame;
#define EXEC_MAX_OUTER 32

struct exec_ctx {
    /* set by the caller */
    strata_kv *kv;
    const strata_kv_snapshot *snapshot; /* reads see this state; NULL = latest */
    strata_kv_batch *batch;             /* the statement's writes; NULL for read-only */
    struct catalog *catalog;            /* row ids of tables without a primary key */
    const sql_value *params;            /* [nparams], params[0] is ?1 */
    int nparams;
    int64_t now_us; /* now(): the statement's start time, µs since the epoch */
    /* 1: a big full scan of a read-only statement may read part of the table on a helper
     * thread (rows still come in key order); needs snapshot set. 0 (exec_ctx_init): never. */
    int parallel_scan;
    const char *user_id; /* the session's user (user and stream tables); NULL = none */
    size_t user_len;

    /* results */
    int64_t changes; /* rows inserted / updated / deleted */
    int errcode;     /* STRATA_OK or the first error */
    char errmsg[512];

    /* private to exec/ */
    arena arena; /* statement-lifetime allocations of the executor */
    exec_outer_frame outer[EXEC_MAX_OUTER];
    int nouter;
    uint64_t run; /* bumped by exec_new_run: uncorrelated subquery results are cached per run */
};

void exec_ctx_init(exec_ctx *ctx);
void exec_ctx_free(exec_ctx *ctx);
/* Records the first error on ctx ("integer overflow", "duplicate primary key value in table t:
 * (1)") and returns code. Later errors do not overwrite the first. */
int exec_error(exec_ctx *ctx, int code, const char *fmt, ...) ST_PRINTF(3, 4);
/* Records the kernel's last error (strata_kv_errmsg) under code. */
int exec_kv_error(exec_ctx *ctx, int code, const char *what);

/* ---- operators ---- */

typedef struct exec_op_vtab {
    const char *name; /* EXPLAIN: "HASH_JOIN", "SEQ_SCAN", ... */
    int (*open)(exec_op *op, exec_ctx *ctx);
    int (*next)(exec_op *op, exec_ctx *ctx, exec_chunk **out);
    void (*close)(exec_op *op, exec_ctx *ctx);
    void (*destroy)(exec_op *op); /* frees what open/init allocated, not the children */
    /* EXPLAIN detail after the name ("t [pk = 5]"); may be NULL. Writes at most n bytes. */
    void (*explain)(const exec_op *op, char *buf, size_t n);
} exec_op_vtab;

#define EXEC_MAX_CHILDREN 2

struct exec_op {
    const exec_op_vtab *vt;
    const plan_node *plan; /* the node this operator runs (may be a planner-made copy) */
    exec_op *child[EXEC_MAX_CHILDREN];
    int nchildren;
    int ncols;
    const int *types; /* [ncols] */
    /* an operator's own state follows in its struct (exec_op is its first member) */
};

/* Planner (exec/planner.c): builds the operator tree for plan. Pushes filters to their tables
 * and primary-key equality/ranges into scans, turns equality conditions into hash joins,
 * schedules subqueries. */
int exec_build(exec_ctx *ctx, const plan_node *plan, exec_op **out);

int exec_open(exec_op *op, exec_ctx *ctx);
/* Starts another execution of trees built with ctx (see "Reuse" above). */
void exec_new_run(exec_ctx *ctx);
/* *out: a chunk of up to EXEC_VECTOR_SIZE rows; (*out)->count == 0 at the end. */
int exec_next(exec_op *op, exec_ctx *ctx, exec_chunk **out);
void exec_close(exec_op *op, exec_ctx *ctx);
void exec_free(exec_op *op); /* the whole tree; NULL is a no-op */

/* EXPLAIN: one line per operator, children indented by two spaces; malloc'd, caller frees. */
char *exec_explain(const exec_op *root);

/* Runs plan to completion, discarding rows (DML) — convenience for callers. */
int exec_run(exec_ctx *ctx, const plan_node *plan);

/* Full scans that went parallel in this process (tests check that the path ran). */
uint64_t exec_parallel_scans(void);
/* The most chunks parallel scans have held decoded ahead at once, since the last call with
 * reset = 1 (which returns it and starts again from 0). */
uint64_t exec_parallel_scan_peak(int reset);

#endif
