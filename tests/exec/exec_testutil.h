/*
 * tests/exec/exec_testutil.h — helpers for executor tests: build small plans by hand and run
 * them, rendering the result rows as text ("1|NULL|abc", one line per row).
 */
#ifndef STRATA_TESTS_EXEC_TESTUTIL_H
#define STRATA_TESTS_EXEC_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec.h"
#include "exec/expr.h"
#include "exec/plan.h"

#define I(x)  sql_int(STRATA_TYPE_INT, (x))
#define BI(x) sql_int(STRATA_TYPE_BIGINT, (x))
#define B(x)  sql_int(STRATA_TYPE_BOOLEAN, (x))
#define D(x)  sql_double(x)
#define T(s)  sql_text(STRATA_TYPE_TEXT, (s), (uint32_t)strlen(s))
#define N(t)  sql_null(STRATA_TYPE_##t)

static inline plan_expr *tcol(exec_ctx *ctx, int i, int type)
{
    return plan_expr_column(&ctx->arena, i, type);
}
static inline plan_expr *tconst(exec_ctx *ctx, sql_value v)
{
    return plan_expr_const(&ctx->arena, v);
}
static inline plan_expr *tbin(exec_ctx *ctx, int op, int type, plan_expr *l, plan_expr *r)
{
    return plan_expr_binary(&ctx->arena, op, type, l, r);
}

/* VALUES with nrows rows of ncols constants (cells row-major). */
static inline plan_node *tvalues(exec_ctx *ctx, int ncols, const int *types, int nrows,
                                 const sql_value *cells)
{
    plan_node *p = plan_node_new(&ctx->arena, PLAN_VALUES, ncols);
    for (int j = 0; j < ncols; j++) {
        p->types[j] = types[j];
        p->names[j] = "c";
    }
    p->u.values.nrows = nrows;
    p->u.values.rows = arena_alloc(&ctx->arena, sizeof(plan_expr *) * (size_t)(nrows * ncols + 1));
    for (int i = 0; i < nrows * ncols; i++) p->u.values.rows[i] = tconst(ctx, cells[i]);
    return p;
}

/* Appends the text of v to buf. */
static inline void tfmt(char *buf, size_t cap, const sql_value *v)
{
    size_t n = strlen(buf);
    exec_value_format(v, buf + n, cap - n);
}

/* Runs plan; returns malloc'd text of all rows ("a|b\n" each) or NULL on error (message in
 * ctx->errmsg). */
static inline char *trun(exec_ctx *ctx, const plan_node *plan)
{
    exec_op *root;
    int rc = exec_build(ctx, plan, &root);
    if (rc) return NULL;
    size_t cap = 1 << 16;
    char *out = malloc(cap);
    out[0] = 0;
    rc = exec_open(root, ctx);
    while (!rc) {
        exec_chunk *c;
        rc = exec_next(root, ctx, &c);
        if (rc || c->count == 0) break;
        for (size_t i = 0; i < c->count; i++) {
            size_t r = exec_chunk_row(c, i);
            char line[1024] = "";
            for (int j = 0; j < root->ncols; j++) {
                if (j) strcat(line, "|");
                sql_value v = exec_vector_get_value(&c->cols[j], r);
                tfmt(line, sizeof line, &v);
            }
            strcat(line, "\n");
            if (strlen(out) + strlen(line) + 1 > cap) {
                cap *= 2;
                out = realloc(out, cap);
            }
            strcat(out, line);
        }
    }
    exec_close(root, ctx);
    exec_free(root);
    if (rc) {
        free(out);
        return NULL;
    }
    return out;
}

#define CHECK_ROWS(ctx, plan, expect)                                                              \
    do {                                                                                           \
        char *got_ = trun((ctx), (plan));                                                          \
        if (!got_) {                                                                               \
            fprintf(stderr, "%s:%d: %s: error: %s\n", __FILE__, __LINE__, test_current,            \
                    (ctx)->errmsg);                                                                \
            test_failures++;                                                                       \
        } else {                                                                                   \
            CHECK_EQ_STR(got_, (expect));                                                          \
            free(got_);                                                                            \
        }                                                                                          \
    } while (0)

#define CHECK_FAILS(ctx, plan, code, msgpart)                                                      \
    do {                                                                                           \
        char *got_ = trun((ctx), (plan));                                                          \
        CHECK(got_ == NULL);                                                                       \
        free(got_);                                                                                \
        CHECK_EQ_INT((ctx)->errcode, (code));                                                      \
        if (!strstr((ctx)->errmsg, (msgpart))) {                                                   \
            fprintf(stderr, "%s:%d: %s: message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__,        \
                    test_current, (ctx)->errmsg, (msgpart));                                       \
            test_failures++;                                                                       \
        }                                                                                          \
        (ctx)->errcode = STRATA_OK;                                                                \
        (ctx)->errmsg[0] = 0;                                                                      \
    } while (0)

/* PROJECT of exprs over child. */
static inline plan_node *tproject(exec_ctx *ctx, plan_node *child, int n, plan_expr **exprs)
{
    plan_node *p = plan_node_new(&ctx->arena, PLAN_PROJECT, n);
    p->left = child;
    p->u.project.exprs = arena_alloc(&ctx->arena, sizeof(plan_expr *) * (size_t)n);
    for (int j = 0; j < n; j++) {
        p->u.project.exprs[j] = exprs[j];
        p->types[j] = exprs[j]->type;
        p->names[j] = "e";
    }
    return p;
}

/* SELECT e FROM (one row of nothing). */
static inline plan_node *tselect1(exec_ctx *ctx, plan_expr *e)
{
    plan_node *v = plan_node_new(&ctx->arena, PLAN_VALUES, 0);
    v->u.values.nrows = 1;
    return tproject(ctx, v, 1, &e);
}

#endif
