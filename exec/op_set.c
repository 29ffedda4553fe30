/* exec/op_set.c — DISTINCT and the set operations (UNION [ALL], INTERSECT [ALL], EXCEPT [ALL]),
 * hash based: rows are found or added in an exec_rowset (NULLs equal, as SQL's set semantics
 * want). The right input of INTERSECT / EXCEPT is built first; the left then streams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/op.h"

typedef struct set_op {
    exec_op base;
    int kind; /* -1: DISTINCT, else plan_setop_type */
    int all;
    exec_rowset seen;  /* rows emitted (DISTINCT, UNION, INTERSECT, EXCEPT) */
    exec_rowset right; /* INTERSECT / EXCEPT: the right input's rows */
    int64_t *counts;   /* ALL variants: remaining count per right row */
    int built;
    int side; /* 0: reading left, 1: reading right (UNION), 2: done */
    exec_vector *dense;
    exec_chunk view;
    exec_sel_t sel[EXEC_VECTOR_SIZE];
} set_op;

/* Dense copies of c's columns, cast to the operator's types. */
static int densify(exec_ctx *ctx, set_op *s, const exec_chunk *c, exec_vector **vecs)
{
    for (int j = 0; j < s->base.ncols; j++) {
        exec_vector *d = &s->dense[j];
        const exec_vector *src = &c->cols[j];
        exec_vector_reset(d);
        if (src->type == d->type) {
            exec_vector_gather(d, 0, src, c->sel, c->count, 0);
        } else {
            exec_vector tmp;
            exec_vector_init(&tmp, src->type);
            exec_vector_reset(&tmp);
            exec_vector_gather(&tmp, 0, src, c->sel, c->count, 0);
            int rc = exec_cast_vector(ctx, &tmp, c->count, d);
            exec_vector_free(&tmp);
            if (rc) return rc;
        }
        vecs[j] = d;
    }
    return STRATA_OK;
}

static int set_open(exec_op *op, exec_ctx *ctx)
{
    set_op *s = (set_op *)op;
    exec_rowset_free(&s->seen);
    exec_rowset_init(&s->seen, op->ncols, op->types);
    exec_rowset_free(&s->right);
    exec_rowset_init(&s->right, op->ncols, op->types);
    free(s->counts);
    s->counts = NULL;
    s->built = 0;
    s->side = 0;
    int rc = exec_open(op->child[0], ctx);
    if (!rc && s->kind == PLAN_SET_UNION) rc = exec_open(op->child[1], ctx);
    return rc;
}

static int build_right(exec_ctx *ctx, set_op *s)
{
    exec_op *r = s->base.child[1];
    int rc = exec_open(r, ctx);
    exec_vector *vecs[512];
    uint32_t ids[EXEC_VECTOR_SIZE];
    size_t cap = 0;
    while (!rc) {
        exec_chunk *c;
        rc = exec_next(r, ctx, &c);
        if (rc || c->count == 0) break;
        rc = densify(ctx, s, c, vecs);
        if (rc) break;
        exec_rowset_find(&s->right, vecs, c->count, 1, ids, NULL);
        if (s->all) {
            if (s->right.rows.n > cap) {
                size_t ncap = s->right.rows.cap;
                s->counts = realloc(s->counts, ncap * sizeof *s->counts);
                if (!s->counts) abort();
                memset(s->counts + cap, 0, (ncap - cap) * sizeof *s->counts);
                cap = ncap;
            }
            for (size_t i = 0; i < c->count; i++) s->counts[ids[i]]++;
        }
    }
    exec_close(r, ctx);
    return rc;
}

static int set_next(exec_op *op, exec_ctx *ctx, exec_chunk **out)
{
    set_op *s = (set_op *)op;
    int rc;
    if ((s->kind == PLAN_SET_INTERSECT || s->kind == PLAN_SET_EXCEPT) && !s->built) {
        rc = build_right(ctx, s);
        if (rc) return rc;
        s->built = 1;
    }
    exec_vector *vecs[512];
    uint32_t ids[EXEC_VECTOR_SIZE], rids[EXEC_VECTOR_SIZE];
    uint8_t is_new[EXEC_VECTOR_SIZE];
    for (;;) {
        if (s->side == 2) {
            s->view.count = 0;
            s->view.ncols = op->ncols;
            s->view.cols = s->dense;
            s->view.sel = NULL;
            *out = &s->view;
            return STRATA_OK;
        }
        exec_chunk *c;
        rc = exec_next(op->child[s->side], ctx, &c);
        if (rc) return rc;
        if (c->count == 0) {
            s->side = (s->kind == PLAN_SET_UNION && s->side == 0) ? 1 : 2;
            continue;
        }
        if (s->kind == PLAN_SET_UNION && s->all) {
            *out = c;
            return STRATA_OK;
        }
        rc = densify(ctx, s, c, vecs);
        if (rc) return rc;
        size_t n = c->count, k = 0;
        if (s->kind == -1 || s->kind == PLAN_SET_UNION) {
            exec_rowset_find(&s->seen, vecs, n, 1, ids, is_new);
            for (size_t i = 0; i < n; i++)
                if (is_new[i]) s->sel[k++] = (exec_sel_t)i;
        } else {
            exec_rowset_find(&s->right, vecs, n, 0, rids, NULL);
            if (s->all) {
                for (size_t i = 0; i < n; i++) {
                    int in_right = rids[i] != UINT32_MAX && s->counts[rids[i]] > 0;
                    if (in_right) s->counts[rids[i]]--;
                    if (in_right == (s->kind == PLAN_SET_INTERSECT)) s->sel[k++] = (exec_sel_t)i;
                }
            } else {
                exec_rowset_find(&s->seen, vecs, n, 1, ids, is_new);
                for (size_t i = 0; i < n; i++) {
                    int in_right = rids[i] != UINT32_MAX;
                    if (is_new[i] && in_right == (s->kind == PLAN_SET_INTERSECT))
                        s->sel[k++] = (exec_sel_t)i;
                }
            }
        }
        if (k == 0) continue;
        s->view.ncols = op->ncols;
        s->view.cols = s->dense;
        s->view.count = k;
        s->view.sel = s->sel;
        *out = &s->view;
        return STRATA_OK;
    }
}

static void set_close(exec_op *op, exec_ctx *ctx)
{
    exec_close(op->child[0], ctx);
    set_op *s = (set_op *)op;
    if (s->kind == PLAN_SET_UNION) exec_close(op->child[1], ctx);
}

static void set_destroy(exec_op *op)
{
    set_op *s = (set_op *)op;
    exec_rowset_free(&s->seen);
    exec_rowset_free(&s->right);
    free(s->counts);
    for (int j = 0; j < op->ncols; j++) exec_vector_free(&s->dense[j]);
    free(s->dense);
}

static void set_explain(const exec_op *op, char *buf, size_t n)
{
    const set_op *s = (const set_op *)op;
    if (s->kind >= 0) snprintf(buf, n, "%s", s->all ? "all" : "distinct");
}

static const exec_op_vtab distinct_vt = {"HASH_DISTINCT", set_open,    set_next,
                                         set_close,       set_destroy, NULL};
static const exec_op_vtab union_vt = {"UNION",   set_open,    set_next,
                                      set_close, set_destroy, set_explain};
static const exec_op_vtab intersect_vt = {"HASH_INTERSECT", set_open,    set_next,
                                          set_close,        set_destroy, set_explain};
static const exec_op_vtab except_vt = {"HASH_EXCEPT", set_open,    set_next,
                                       set_close,     set_destroy, set_explain};

static set_op *set_new(const exec_op_vtab *vt, const plan_node *plan, int kind)
{
    set_op *s = (set_op *)exec_op_alloc(sizeof *s, vt, plan, plan->ncols, plan->types);
    s->kind = kind;
    s->dense = calloc((size_t)plan->ncols + 1, sizeof *s->dense);
    if (!s->dense) abort();
    for (int j = 0; j < plan->ncols; j++) exec_vector_init(&s->dense[j], plan->types[j]);
    exec_rowset_init(&s->seen, plan->ncols, plan->types);
    exec_rowset_init(&s->right, plan->ncols, plan->types);
    return s;
}

int exec_op_distinct(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out)
{
    set_op *s = set_new(&distinct_vt, plan, -1);
    s->base.child[0] = child;
    s->base.nchildren = 1;
    *out = &s->base;
    return STRATA_OK;
}

int exec_op_setop(exec_ctx *ctx, const plan_node *plan, exec_op *left, exec_op *right,
                  exec_op **out)
{
    int kind = plan->u.setop.op;
    set_op *s = set_new(kind == PLAN_SET_UNION       ? &union_vt
                        : kind == PLAN_SET_INTERSECT ? &intersect_vt
                                                     : &except_vt,
                        plan, kind);
    s->all = plan->u.setop.all;
    s->base.child[0] = left;
    s->base.child[1] = right;
    s->base.nchildren = 2;
    *out = &s->base;
    return STRATA_OK;
}
