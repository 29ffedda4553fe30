/* exec/op_sort.c — SORT and TOP_N: materialize the input with its evaluated sort keys into an
 * exec_rows, sort row ids (stable: ties keep input order), emit by gathering. TOP_N (ORDER BY +
 * LIMIT) keeps at most limit rows: whenever the buffer holds limit + 4096 rows it is sorted and
 * cut back to limit, so memory stays bounded. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/op.h"

typedef struct sort_op {
    exec_op base;
    int nkeys;
    exec_expr **keys;
    int *all_types; /* input cols then keys */
    int nin;
    exec_rows rows;
    uint32_t *order;
    size_t norder;
    int64_t limit;               /* top-N: > 0 (set at open) */
    const plan_node *limit_node; /* the LIMIT above, for top-N; NULL: a plain sort */
    int sorted;
    size_t emit_pos;
    exec_chunk out;
} sort_op;

static int cmp_ids(const void *pa, const void *pb, void *arg)
{
    const sort_op *s = arg;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    const plan_sort_key *keys = s->base.plan->u.sort.keys;
    for (int k = 0; k < s->nkeys; k++) {
        int col = s->nin + k;
        const exec_colbuf *c = &s->rows.cols[col];
        int an = c->nulls[a], bn = c->nulls[b];
        int r;
        if (an || bn) {
            if (an && bn) continue;
            r = an ? (keys[k].nulls_first ? -1 : 1) : (keys[k].nulls_first ? 1 : -1);
            return r;
        }
        r = exec_rows_cmp(&s->rows, col, a, b);
        if (r) return keys[k].desc ? -r : r;
    }
    return (a > b) - (a < b);
}

static void sort_ids(sort_op *s)
{
    free(s->order);
    s->norder = s->rows.n;
    s->order = malloc(sizeof(uint32_t) * (s->norder ? s->norder : 1));
    if (!s->order) abort();
    for (size_t i = 0; i < s->norder; i++) s->order[i] = (uint32_t)i;
    qsort_r(s->order, s->norder, sizeof(uint32_t), cmp_ids, s);
}

/* Top-N: keep the first limit rows in sorted order, drop the rest. */
static void cut(sort_op *s)
{
    sort_ids(s);
    size_t keep = s->norder < (size_t)s->limit ? s->norder : (size_t)s->limit;
    exec_rows nr;
    int ncols = s->rows.ncols;
    exec_rows_init(&nr, ncols, s->all_types);
    exec_chunk tmp;
    exec_chunk_init(&tmp, ncols, s->all_types);
    for (size_t pos = 0; pos < keep; pos += EXEC_VECTOR_SIZE) {
        size_t n = keep - pos < EXEC_VECTOR_SIZE ? keep - pos : EXEC_VECTOR_SIZE;
        exec_chunk_reset(&tmp);
        for (int j = 0; j < ncols; j++)
            exec_rows_gather(&s->rows, j, s->order + pos, n, &tmp.cols[j], 0);
        tmp.count = n;
        exec_rows_append_chunk(&nr, &tmp);
    }
    exec_chunk_free(&tmp);
    exec_rows_free(&s->rows);
    s->rows = nr;
}

/* LIMIT n [OFFSET m] above: keep n + m rows. Evaluated at every open, so a prepared plan
 * rerun with other parameters gets the new bound. A bad value means a full sort (the LIMIT
 * operator reports the error). */
static int64_t topn_bound(exec_ctx *ctx, const plan_node *lim)
{
    int64_t v[2] = {-1, 0};
    const plan_expr *e[2] = {lim->u.limit.limit, lim->u.limit.offset};
    int had_error = ctx->errcode != STRATA_OK;
    exec_heap h;
    exec_heap_init(&h);
    for (int i = 0; i < 2; i++) {
        sql_value x;
        if (!e[i]) continue;
        if (exec_expr_eval_value(ctx, e[i], &h, &x) != STRATA_OK || x.is_null ||
            !sql_type_is_integer(x.type) || x.u.i < 0) {
            v[0] = -1;
            break;
        }
        v[i] = x.u.i;
    }
    exec_heap_free(&h);
    if (!had_error) {
        ctx->errcode = STRATA_OK;
        ctx->errmsg[0] = 0;
    }
    if (v[0] < 0 || v[0] + v[1] >= (INT64_C(1) << 40)) return 0;
    return v[0] + v[1] > 0 ? v[0] + v[1] : 1;
}

static int sort_open(exec_op *op, exec_ctx *ctx)
{
    sort_op *s = (sort_op *)op;
    if (s->limit_node) s->limit = topn_bound(ctx, s->limit_node);
    exec_rows_clear(&s->rows);
    s->sorted = 0;
    s->emit_pos = 0;
    return exec_open(op->child[0], ctx);
}

static int sort_next(exec_op *op, exec_ctx *ctx, exec_chunk **out)
{
    sort_op *s = (sort_op *)op;
    int rc;
    if (!s->sorted) {
        exec_vector *vecs[256];
        exec_vector *tmp = calloc((size_t)s->rows.ncols, sizeof *tmp);
        if (!tmp) abort();
        for (int j = 0; j < s->rows.ncols; j++) exec_vector_init(&tmp[j], s->all_types[j]);
        rc = STRATA_OK;
        for (;;) {
            exec_chunk *c;
            rc = exec_next(op->child[0], ctx, &c);
            if (rc || c->count == 0) break;
            size_t n = c->count;
            for (int j = 0; j < s->nin; j++) {
                exec_vector_reset(&tmp[j]);
                exec_vector_gather(&tmp[j], 0, &c->cols[j], c->sel, n, 0);
                vecs[j] = &tmp[j];
            }
            for (int k = 0; k < s->nkeys && !rc; k++) {
                exec_vector *v;
                rc = exec_expr_eval(ctx, s->keys[k], c, &v);
                if (rc) break;
                exec_vector_reset(&tmp[s->nin + k]);
                if (v->type != tmp[s->nin + k].type) {
                    rc = exec_cast_vector(ctx, v, n, &tmp[s->nin + k]);
                } else {
                    exec_vector_gather(&tmp[s->nin + k], 0, v, NULL, n, 0);
                }
                vecs[s->nin + k] = &tmp[s->nin + k];
            }
            if (rc) break;
            exec_rows_append(&s->rows, vecs, NULL, n);
            if (s->limit > 0 && s->rows.n >= (size_t)s->limit + 4096) cut(s);
        }
        for (int j = 0; j < s->rows.ncols; j++) exec_vector_free(&tmp[j]);
        free(tmp);
        if (rc) return rc;
        sort_ids(s);
        if (s->limit > 0 && s->norder > (size_t)s->limit) s->norder = (size_t)s->limit;
        s->sorted = 1;
    }
    exec_chunk_reset(&s->out);
    *out = &s->out;
    size_t n = s->norder - s->emit_pos;
    if (n > EXEC_VECTOR_SIZE) n = EXEC_VECTOR_SIZE;
    for (int j = 0; j < s->nin; j++)
        exec_rows_gather(&s->rows, j, s->order + s->emit_pos, n, &s->out.cols[j], 0);
    s->out.count = n;
    s->emit_pos += n;
    return STRATA_OK;
}

static void sort_close(exec_op *op, exec_ctx *ctx)
{
    exec_close(op->child[0], ctx);
}

static void sort_destroy(exec_op *op)
{
    sort_op *s = (sort_op *)op;
    for (int k = 0; k < s->nkeys; k++) exec_expr_free(s->keys[k]);
    free(s->keys);
    exec_rows_free(&s->rows);
    free(s->order);
    free(s->all_types);
    exec_chunk_free(&s->out);
}

static void sort_explain(const exec_op *op, char *buf, size_t n)
{
    const sort_op *s = (const sort_op *)op;
    if (s->limit_node)
        snprintf(buf, n, "%d keys, top-N", s->nkeys);
    else
        snprintf(buf, n, "%d keys", s->nkeys);
}

static const exec_op_vtab sort_vt = {"SORT",     sort_open,    sort_next,
                                     sort_close, sort_destroy, sort_explain};
static const exec_op_vtab topn_vt = {"TOP_N",    sort_open,    sort_next,
                                     sort_close, sort_destroy, sort_explain};

int exec_op_sort(exec_ctx *ctx, const plan_node *plan, exec_op *child, const plan_node *limit,
                 exec_op **out)
{
    sort_op *s = (sort_op *)exec_op_alloc(sizeof *s, limit ? &topn_vt : &sort_vt, plan,
                                          child->ncols, child->types);
    s->base.child[0] = child;
    s->base.nchildren = 1;
    s->nin = child->ncols;
    s->nkeys = plan->u.sort.nkeys;
    s->limit_node = limit;
    *out = &s->base;
    if (s->nin + s->nkeys > 256) return exec_error(ctx, STRATA_NOTSUP, "too many sort columns");
    s->all_types = calloc((size_t)(s->nin + s->nkeys + 1), sizeof(int));
    s->keys = calloc((size_t)s->nkeys + 1, sizeof *s->keys);
    if (!s->all_types || !s->keys) abort();
    for (int j = 0; j < s->nin; j++) s->all_types[j] = child->types[j];
    for (int k = 0; k < s->nkeys; k++) s->all_types[s->nin + k] = plan->u.sort.keys[k].expr->type;
    exec_rows_init(&s->rows, s->nin + s->nkeys, s->all_types);
    exec_chunk_init(&s->out, child->ncols, child->types);
    for (int k = 0; k < s->nkeys; k++) {
        int rc = exec_expr_compile(ctx, plan->u.sort.keys[k].expr, &s->keys[k]);
        if (rc) return rc;
    }
    return STRATA_OK;
}
