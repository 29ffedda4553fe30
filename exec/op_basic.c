/* exec/op_basic.c — streaming operators: VALUES, FILTER, PROJECT, LIMIT. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/op.h"

exec_op *exec_op_alloc(size_t size, const exec_op_vtab *vt, const plan_node *plan, int ncols,
                       const int *types)
{
    exec_op *op = calloc(1, size);
    if (!op) abort();
    op->vt = vt;
    op->plan = plan;
    op->ncols = ncols;
    op->types = types;
    return op;
}

/* ---- VALUES ---- */

typedef struct values_op {
    exec_op base;
    exec_chunk out;
    int row;
} values_op;

static int values_open(exec_op *op, exec_ctx *ctx)
{
    ((values_op *)op)->row = 0;
    return STRATA_OK;
}

static int values_next(exec_op *op, exec_ctx *ctx, exec_chunk **out)
{
    values_op *v = (values_op *)op;
    const plan_node *p = op->plan;
    exec_chunk_reset(&v->out);
    *out = &v->out;
    size_t k = 0;
    while (v->row < p->u.values.nrows && k < EXEC_VECTOR_SIZE) {
        for (int j = 0; j < p->ncols; j++) {
            const plan_expr *e = p->u.values.rows[(size_t)v->row * (size_t)p->ncols + (size_t)j];
            exec_vector *vec = &v->out.cols[j];
            sql_value val;
            int rc = exec_expr_eval_value(ctx, e, &vec->heap, &val);
            if (rc) return rc;
            if (!val.is_null && val.type != vec->type && vec->type != STRATA_TYPE_NULL) {
                rc = exec_cast_value(ctx, &val, vec->type, &vec->heap, &val);
                if (rc) return rc;
            }
            exec_vector_set_value(vec, k, &val);
        }
        k++;
        v->row++;
    }
    v->out.count = k;
    return STRATA_OK;
}

static void values_destroy(exec_op *op)
{
    exec_chunk_free(&((values_op *)op)->out);
}

static void values_explain(const exec_op *op, char *buf, size_t n)
{
    snprintf(buf, n, "%d rows", op->plan->u.values.nrows);
}

static const exec_op_vtab values_vt = {"VALUES", values_open,    values_next,
                                       NULL,     values_destroy, values_explain};

int exec_op_values(exec_ctx *ctx, const plan_node *plan, exec_op **out)
{
    values_op *v =
        (values_op *)exec_op_alloc(sizeof *v, &values_vt, plan, plan->ncols, plan->types);
    exec_chunk_init(&v->out, plan->ncols, plan->types);
    *out = &v->base;
    return STRATA_OK;
}

/* ---- FILTER ---- */

typedef struct filter_op {
    exec_op base;
    exec_expr *cond;
    exec_chunk view; /* the child's vectors, our selection */
    exec_sel_t *sel;
} filter_op;

static int filter_open(exec_op *op, exec_ctx *ctx)
{
    return exec_open(op->child[0], ctx);
}

static int filter_next(exec_op *op, exec_ctx *ctx, exec_chunk **out)
{
    filter_op *f = (filter_op *)op;
    for (;;) {
        exec_chunk *c;
        int rc = exec_next(op->child[0], ctx, &c);
        if (rc) return rc;
        if (c->count == 0) {
            *out = c;
            return STRATA_OK;
        }
        size_t n;
        rc = exec_expr_select(ctx, f->cond, c, f->sel, &n);
        if (rc) return rc;
        if (n == 0) continue;
        f->view.ncols = c->ncols;
        f->view.cols = c->cols;
        f->view.count = n;
        f->view.sel = f->sel;
        *out = &f->view;
        return STRATA_OK;
    }
}

static void filter_close(exec_op *op, exec_ctx *ctx)
{
    exec_close(op->child[0], ctx);
}

static void filter_destroy(exec_op *op)
{
    filter_op *f = (filter_op *)op;
    exec_expr_free(f->cond);
    free(f->sel);
}

static const exec_op_vtab filter_vt = {"FILTER",     filter_open,    filter_next,
                                       filter_close, filter_destroy, NULL};

int exec_op_filter(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out)
{
    filter_op *f =
        (filter_op *)exec_op_alloc(sizeof *f, &filter_vt, plan, child->ncols, child->types);
    f->base.child[0] = child;
    f->base.nchildren = 1;
    f->sel = calloc(EXEC_VECTOR_SIZE, sizeof(exec_sel_t));
    if (!f->sel) abort();
    *out = &f->base;
    return exec_expr_compile(ctx, plan->u.filter.cond, &f->cond);
}

/* ---- PROJECT ---- */

typedef struct project_op {
    exec_op base;
    exec_expr **exprs;
    exec_chunk out; /* vectors alias the expressions' results */
} project_op;

static int project_open(exec_op *op, exec_ctx *ctx)
{
    return exec_open(op->child[0], ctx);
}

static int project_next(exec_op *op, exec_ctx *ctx, exec_chunk **out)
{
    project_op *p = (project_op *)op;
    exec_chunk *c;
    int rc = exec_next(op->child[0], ctx, &c);
    if (rc) return rc;
    p->out.count = c->count;
    p->out.sel = NULL;
    *out = &p->out;
    if (c->count == 0) return STRATA_OK;
    for (int j = 0; j < op->ncols; j++) {
        exec_vector *v;
        rc = exec_expr_eval(ctx, p->exprs[j], c, &v);
        if (rc) return rc;
        if (v->type != p->out.cols[j].type && p->out.cols[j].type != STRATA_TYPE_NULL) {
            exec_vector *dst = &p->out.cols[j];
            dst->data = dst->own;
            rc = exec_cast_vector(ctx, v, c->count, dst);
            if (rc) return rc;
        } else {
            exec_vector_alias(&p->out.cols[j], v);
        }
    }
    return STRATA_OK;
}

static void project_close(exec_op *op, exec_ctx *ctx)
{
    exec_close(op->child[0], ctx);
}

static void project_destroy(exec_op *op)
{
    project_op *p = (project_op *)op;
    for (int j = 0; j < op->ncols; j++) exec_expr_free(p->exprs[j]);
    free(p->exprs);
    exec_chunk_free(&p->out);
}

static const exec_op_vtab project_vt = {"PROJECT",     project_open,    project_next,
                                        project_close, project_destroy, NULL};

int exec_op_project(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out)
{
    project_op *p =
        (project_op *)exec_op_alloc(sizeof *p, &project_vt, plan, plan->ncols, plan->types);
    p->base.child[0] = child;
    p->base.nchildren = 1;
    exec_chunk_init(&p->out, plan->ncols, plan->types);
    p->exprs = calloc((size_t)(plan->ncols ? plan->ncols : 1), sizeof *p->exprs);
    if (!p->exprs) abort();
    *out = &p->base;
    for (int j = 0; j < plan->ncols; j++) {
        int rc = exec_expr_compile(ctx, plan->u.project.exprs[j], &p->exprs[j]);
        if (rc) return rc;
    }
    return STRATA_OK;
}

/* ---- LIMIT ---- */

typedef struct limit_op {
    exec_op base;
    int64_t limit, offset; /* limit < 0: none */
    int64_t skipped, emitted;
    exec_chunk view;
    exec_sel_t *sel;
} limit_op;

static int eval_count(exec_ctx *ctx, const plan_expr *e, const char *what, int64_t *out)
{
    exec_heap h;
    exec_heap_init(&h);
    sql_value v;
    int rc = exec_expr_eval_value(ctx, e, &h, &v);
    if (!rc && !v.is_null && v.type != STRATA_TYPE_BIGINT)
        rc = exec_cast_value(ctx, &v, STRATA_TYPE_BIGINT, &h, &v);
    exec_heap_free(&h);
    if (rc) return rc;
    if (v.is_null) {
        *out = -1;
        return STRATA_OK;
    }
    if (v.u.i < 0) return exec_error(ctx, STRATA_RANGE, "%s must not be negative", what);
    *out = v.u.i;
    return STRATA_OK;
}

static int limit_open(exec_op *op, exec_ctx *ctx)
{
    limit_op *l = (limit_op *)op;
    l->limit = -1;
    l->offset = 0;
    l->skipped = l->emitted = 0;
    int rc = STRATA_OK;
    if (op->plan->u.limit.limit) rc = eval_count(ctx, op->plan->u.limit.limit, "LIMIT", &l->limit);
    if (!rc && op->plan->u.limit.offset) {
        rc = eval_count(ctx, op->plan->u.limit.offset, "OFFSET", &l->offset);
        if (l->offset < 0) l->offset = 0;
    }
    if (rc) return rc;
    return exec_open(op->child[0], ctx);
}

static int limit_next(exec_op *op, exec_ctx *ctx, exec_chunk **out)
{
    limit_op *l = (limit_op *)op;
    for (;;) {
        l->view.count = 0;
        *out = &l->view;
        if (l->limit >= 0 && l->emitted >= l->limit) return STRATA_OK;
        exec_chunk *c;
        int rc = exec_next(op->child[0], ctx, &c);
        if (rc) return rc;
        if (c->count == 0) return STRATA_OK;
        size_t start = 0, n = c->count;
        if (l->skipped < l->offset) {
            int64_t skip = l->offset - l->skipped;
            if ((int64_t)n <= skip) {
                l->skipped += (int64_t)n;
                continue;
            }
            start = (size_t)skip;
            l->skipped = l->offset;
        }
        size_t avail = n - start;
        if (l->limit >= 0 && (int64_t)avail > l->limit - l->emitted)
            avail = (size_t)(l->limit - l->emitted);
        l->emitted += (int64_t)avail;
        if (start == 0 && avail == n) {
            *out = c;
            return STRATA_OK;
        }
        for (size_t i = 0; i < avail; i++) l->sel[i] = (exec_sel_t)exec_chunk_row(c, start + i);
        l->view.ncols = c->ncols;
        l->view.cols = c->cols;
        l->view.count = avail;
        l->view.sel = l->sel;
        return STRATA_OK;
    }
}

static void limit_close(exec_op *op, exec_ctx *ctx)
{
    exec_close(op->child[0], ctx);
}

static void limit_destroy(exec_op *op)
{
    free(((limit_op *)op)->sel);
}

static void limit_explain(const exec_op *op, char *buf, size_t n)
{
    const plan_node *p = op->plan;
    if (p->u.limit.limit && p->u.limit.limit->kind == PEX_CONST &&
        !p->u.limit.limit->u.value.is_null)
        snprintf(buf, n, "%" PRId64, p->u.limit.limit->u.value.u.i);
}

static const exec_op_vtab limit_vt = {"LIMIT",     limit_open,    limit_next,
                                      limit_close, limit_destroy, limit_explain};

int exec_op_limit(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out)
{
    limit_op *l = (limit_op *)exec_op_alloc(sizeof *l, &limit_vt, plan, child->ncols, child->types);
    l->base.child[0] = child;
    l->base.nchildren = 1;
    l->sel = calloc(EXEC_VECTOR_SIZE, sizeof(exec_sel_t));
    if (!l->sel) abort();
    *out = &l->base;
    return STRATA_OK;
}
