/* exec/op_agg.c — HASH_AGGREGATE: GROUP BY keys hashed into a row set (or, for one integer
 * key, a specialised int64 → group table), aggregate states in per-aggregate arrays indexed by
 * group id and updated with one type-specialised loop per aggregate per chunk. Output: groups in
 * first-seen order. Without GROUP BY there is exactly one group, also for empty input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "exec/op.h"
#include "util/hash.h"

typedef struct agg_state {
    int64_t *cnt;
    int64_t *isum;
    double *dsum;
    uint8_t *has;
    int64_t *imm; /* min/max for integer-like types */
    double *dmm;
    exec_str *smm;
    exec_rowset *distinct; /* (group id, value) pairs seen */
} agg_state;

typedef struct agg_op {
    exec_op base;
    int ngroups, naggs;
    exec_expr **gexpr, **aexpr;
    agg_state *st;
    exec_rowset keys; /* one row per group: the key values */
    size_t ngrp, cap;
    /* one integer key fast path */
    int int_key;
    uint64_t *itab_key;
    uint32_t *itab_id; /* group id + 1; 0 empty */
    size_t itab_cap;
    int64_t null_group; /* -1: none yet */
    arena strings;      /* min/max text */
    /* SELECT count(*) FROM t (no WHERE, no GROUP BY): t's row count from the catalog */
    const cat_table *count_table;
    /* output */
    int done_input;
    size_t emit_pos;
    exec_chunk out;
} agg_op;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) abort();
    return p;
}

static void grow_states(agg_op *a, size_t need)
{
    if (need <= a->cap) return;
    size_t cap = a->cap ? a->cap * 2 : 256;
    while (cap < need) cap *= 2;
    for (int k = 0; k < a->naggs; k++) {
        agg_state *s = &a->st[k];
#define GROW(f)                                                                                    \
    do {                                                                                           \
        s->f = xrealloc(s->f, cap * sizeof *s->f);                                                 \
        memset(s->f + a->cap, 0, (cap - a->cap) * sizeof *s->f);                                   \
    } while (0)
        GROW(cnt);
        GROW(isum);
        GROW(dsum);
        GROW(has);
        GROW(imm);
        GROW(dmm);
        GROW(smm);
#undef GROW
    }
    a->cap = cap;
}

static void free_states(agg_op *a)
{
    for (int k = 0; k < a->naggs; k++) {
        agg_state *s = &a->st[k];
        free(s->cnt);
        free(s->isum);
        free(s->dsum);
        free(s->has);
        free(s->imm);
        free(s->dmm);
        free(s->smm);
        if (s->distinct) {
            exec_rowset_free(s->distinct);
            free(s->distinct);
        }
        memset(s, 0, sizeof *s);
    }
    a->cap = 0;
}

static void reset_groups(agg_op *a)
{
    free_states(a);
    exec_rowset_free(&a->keys);
    int *types = calloc((size_t)(a->ngroups ? a->ngroups : 1), sizeof(int));
    if (!types) abort();
    for (int j = 0; j < a->ngroups; j++) types[j] = a->base.types[j];
    exec_rowset_init(&a->keys, a->ngroups, types);
    free(types);
    a->ngrp = 0;
    free(a->itab_key);
    free(a->itab_id);
    a->itab_key = NULL;
    a->itab_id = NULL;
    a->itab_cap = 0;
    a->null_group = -1;
    arena_destroy(&a->strings);
    arena_init(&a->strings, 16 * 1024);
    for (int k = 0; k < a->naggs; k++) {
        const plan_agg *pa = &a->base.plan->u.aggregate.aggs[k];
        if (pa->distinct && pa->arg) {
            int t[2] = {STRATA_TYPE_BIGINT, pa->arg->type};
            a->st[k].distinct = calloc(1, sizeof(exec_rowset));
            if (!a->st[k].distinct) abort();
            exec_rowset_init(a->st[k].distinct, 2, t);
        }
    }
    if (a->ngroups == 0) {
        grow_states(a, 1);
        a->ngrp = 1;
    }
}

static void itab_grow(agg_op *a)
{
    size_t cap = a->itab_cap ? a->itab_cap * 2 : 1024;
    uint64_t *k = calloc(cap, sizeof *k);
    uint32_t *id = calloc(cap, sizeof *id);
    if (!k || !id) abort();
    for (size_t i = 0; i < a->itab_cap; i++) {
        if (!a->itab_id[i]) continue;
        size_t j = st_hash_u64(a->itab_key[i]) & (cap - 1);
        while (id[j]) j = (j + 1) & (cap - 1);
        k[j] = a->itab_key[i];
        id[j] = a->itab_id[i];
    }
    free(a->itab_key);
    free(a->itab_id);
    a->itab_key = k;
    a->itab_id = id;
    a->itab_cap = cap;
}

/* Group ids of the n rows of key vector v (one integer key). */
static void int_groups(agg_op *a, exec_vector *v, size_t n, uint32_t *gids)
{
    int is32 = v->type == STRATA_TYPE_INT;
    size_t i = 0;
    if (!v->validity) {
        /* no NULL keys: the rows whose key the table holds already, in a tight loop; a new key
         * goes to the general loop below */
        for (; i < n; i++) {
            uint64_t key = is32 ? (uint64_t)(int64_t)((const int32_t *)v->data)[i]
                                : (uint64_t)((const int64_t *)v->data)[i];
            if (!a->itab_cap) break;
            size_t j = st_hash_u64(key) & (a->itab_cap - 1);
            uint32_t id;
            while ((id = a->itab_id[j]) && a->itab_key[j] != key) j = (j + 1) & (a->itab_cap - 1);
            if (!id) break;
            gids[i] = id - 1;
        }
    }
    for (; i < n; i++) {
        if (v->validity && !exec_vector_is_valid(v, i)) {
            if (a->null_group < 0) {
                a->null_group = (int64_t)a->ngrp;
                exec_sel_t one = (exec_sel_t)i;
                exec_rows_append(&a->keys.rows, &v, &one, 1);
                grow_states(a, ++a->ngrp);
            }
            gids[i] = (uint32_t)a->null_group;
            continue;
        }
        uint64_t key = is32 ? (uint64_t)(int64_t)((const int32_t *)v->data)[i]
                            : (uint64_t)((const int64_t *)v->data)[i];
        if ((a->ngrp + 1) * 2 > a->itab_cap) itab_grow(a);
        size_t j = st_hash_u64(key) & (a->itab_cap - 1);
        for (;;) {
            uint32_t id = a->itab_id[j];
            if (!id) {
                a->itab_key[j] = key;
                a->itab_id[j] = (uint32_t)a->ngrp + 1;
                gids[i] = (uint32_t)a->ngrp;
                exec_sel_t one = (exec_sel_t)i;
                exec_rows_append(&a->keys.rows, &v, &one, 1);
                grow_states(a, ++a->ngrp);
                break;
            }
            if (a->itab_key[j] == key) {
                gids[i] = id - 1;
                break;
            }
            j = (j + 1) & (a->itab_cap - 1);
        }
    }
}

static int update_agg(exec_ctx *ctx, agg_op *a, int k, exec_vector *v, const uint32_t *gids,
                      size_t n, const uint8_t *use)
{
    const plan_agg *pa = &a->base.plan->u.aggregate.aggs[k];
    agg_state *s = &a->st[k];
    switch (pa->fn) {
    case PLAN_AGG_COUNT_STAR:
        for (size_t i = 0; i < n; i++) s->cnt[gids[i]]++;
        return STRATA_OK;
    case PLAN_AGG_COUNT:
        for (size_t i = 0; i < n; i++)
            s->cnt[gids[i]] += exec_vector_is_valid(v, i) && (!use || use[i]);
        return STRATA_OK;
    default:
        break;
    }
    int t = v->type;
    if (t == STRATA_TYPE_NULL) return STRATA_OK;
    int sum = pa->fn == PLAN_AGG_SUM || pa->fn == PLAN_AGG_AVG;
    if (sum && !sql_type_is_numeric(t))
        return exec_error(ctx, STRATA_TYPE, "function %s(%s) does not exist",
                          pa->fn == PLAN_AGG_SUM ? "sum" : "avg", sql_type_name(t));
    int all = !v->validity && !use;
    if (sum && pa->fn == PLAN_AGG_SUM && sql_type_is_integer(t)) {
        int ovf = 0;
        if (t == STRATA_TYPE_INT) {
            const int32_t *d = v->data;
            if (all) {
                for (size_t i = 0; i < n; i++) {
                    ovf |=
                        __builtin_add_overflow(s->isum[gids[i]], (int64_t)d[i], &s->isum[gids[i]]);
                    s->has[gids[i]] = 1;
                }
            } else {
                for (size_t i = 0; i < n; i++) {
                    if (!exec_vector_is_valid(v, i) || (use && !use[i])) continue;
                    ovf |=
                        __builtin_add_overflow(s->isum[gids[i]], (int64_t)d[i], &s->isum[gids[i]]);
                    s->has[gids[i]] = 1;
                }
            }
        } else {
            const int64_t *d = v->data;
            if (all) {
                for (size_t i = 0; i < n; i++) {
                    ovf |= __builtin_add_overflow(s->isum[gids[i]], d[i], &s->isum[gids[i]]);
                    s->has[gids[i]] = 1;
                }
            } else {
                for (size_t i = 0; i < n; i++) {
                    if (!exec_vector_is_valid(v, i) || (use && !use[i])) continue;
                    ovf |= __builtin_add_overflow(s->isum[gids[i]], d[i], &s->isum[gids[i]]);
                    s->has[gids[i]] = 1;
                }
            }
        }
        if (ovf) return exec_error(ctx, STRATA_RANGE, "integer overflow");
        return STRATA_OK;
    }
    if (sum && all && t == STRATA_TYPE_DOUBLE) {
        /* the common case without the per-row tests of the loop below */
        const double *d = v->data;
        for (size_t i = 0; i < n; i++) {
            uint32_t g = gids[i];
            s->dsum[g] += d[i];
            s->cnt[g]++;
            s->has[g] = 1;
        }
        return STRATA_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if (!exec_vector_is_valid(v, i) || (use && !use[i])) continue;
        uint32_t g = gids[i];
        if (sum) {
            double x = t == STRATA_TYPE_DOUBLE ? ((const double *)v->data)[i]
                       : t == STRATA_TYPE_INT  ? ((const int32_t *)v->data)[i]
                                               : (double)((const int64_t *)v->data)[i];
            s->dsum[g] += x;
            s->cnt[g]++;
            s->has[g] = 1;
            continue;
        }
        int is_min = pa->fn == PLAN_AGG_MIN;
        switch (t) {
        case STRATA_TYPE_DOUBLE: {
            double x = ((const double *)v->data)[i];
            if (!s->has[g] || (is_min ? x < s->dmm[g] : x > s->dmm[g])) s->dmm[g] = x;
            break;
        }
        case STRATA_TYPE_TEXT:
        case STRATA_TYPE_BLOB: {
            const exec_str *x = &((const exec_str *)v->data)[i];
            if (!s->has[g] ||
                (is_min ? exec_str_cmp(x, &s->smm[g]) < 0 : exec_str_cmp(x, &s->smm[g]) > 0)) {
                if (x->len > EXEC_STR_INLINE) {
                    char *p = arena_alloc_aligned(&a->strings, x->len, 1);
                    memcpy(p, x->u.ptr, x->len);
                    s->smm[g] = exec_str_make(p, x->len);
                } else {
                    s->smm[g] = *x;
                }
            }
            break;
        }
        default: {
            int64_t x = t == STRATA_TYPE_INT       ? ((const int32_t *)v->data)[i]
                        : t == STRATA_TYPE_BOOLEAN ? ((const uint8_t *)v->data)[i]
                                                   : ((const int64_t *)v->data)[i];
            if (!s->has[g] || (is_min ? x < s->imm[g] : x > s->imm[g])) s->imm[g] = x;
            break;
        }
        }
        s->has[g] = 1;
    }
    return STRATA_OK;
}

static int consume(exec_ctx *ctx, agg_op *a, const exec_chunk *c)
{
    size_t n = c->count;
    uint32_t gids[EXEC_VECTOR_SIZE];
    int rc;
    if (a->ngroups == 0) {
        memset(gids, 0, n * sizeof gids[0]);
    } else {
        exec_vector *keys[64];
        exec_vector kcopy[64];
        int ng = a->ngroups;
        if (ng > 64) return exec_error(ctx, STRATA_NOTSUP, "more than 64 GROUP BY keys");
        for (int j = 0; j < ng; j++) {
            exec_vector *v;
            rc = exec_expr_eval(ctx, a->gexpr[j], c, &v);
            if (rc) {
                if (ng > 1)
                    for (int i = 0; i < j; i++) exec_vector_free(&kcopy[i]);
                return rc;
            }
            if (ng > 1) { /* keep: the next key may reuse scratch of a shared subexpression */
                exec_vector_init(&kcopy[j], v->type);
                exec_vector_reset(&kcopy[j]);
                exec_vector_gather(&kcopy[j], 0, v, NULL, n, 0);
                keys[j] = &kcopy[j];
            } else {
                keys[j] = v;
            }
        }
        if (a->int_key) {
            int_groups(a, keys[0], n, gids);
        } else {
            uint8_t is_new[EXEC_VECTOR_SIZE];
            exec_rowset_find(&a->keys, keys, n, 1, gids, is_new);
            if (a->keys.rows.n > a->ngrp) {
                a->ngrp = a->keys.rows.n;
                grow_states(a, a->ngrp);
            }
        }
        if (ng > 1)
            for (int j = 0; j < ng; j++) exec_vector_free(&kcopy[j]);
    }
    for (int k = 0; k < a->naggs; k++) {
        exec_vector *v = NULL;
        if (a->aexpr[k]) {
            rc = exec_expr_eval(ctx, a->aexpr[k], c, &v);
            if (rc) return rc;
        }
        uint8_t use[EXEC_VECTOR_SIZE];
        const uint8_t *usep = NULL;
        if (a->st[k].distinct) {
            /* (group id, value) pairs not seen before */
            exec_vector gv;
            exec_vector_init(&gv, STRATA_TYPE_BIGINT);
            exec_vector_reset(&gv);
            for (size_t i = 0; i < n; i++) ((int64_t *)gv.data)[i] = gids[i];
            exec_vector *pair[2] = {&gv, v};
            uint32_t ids[EXEC_VECTOR_SIZE];
            exec_rowset_find(a->st[k].distinct, pair, n, 1, ids, use);
            exec_vector_free(&gv);
            usep = use;
        }
        rc = update_agg(ctx, a, k, v, gids, n, usep);
        if (rc) return rc;
    }
    return STRATA_OK;
}

static int agg_open(exec_op *op, exec_ctx *ctx)
{
    agg_op *a = (agg_op *)op;
    reset_groups(a);
    a->done_input = 0;
    a->emit_pos = 0;
    return exec_open(op->child[0], ctx);
}

static int agg_next(exec_op *op, exec_ctx *ctx, exec_chunk **out)
{
    agg_op *a = (agg_op *)op;
    int rc;
    if (!a->done_input && a->count_table) {
        int64_t n;
        rc = cat_row_count_get(ctx->kv, ctx->snapshot, a->count_table, &n);
        if (rc == STRATA_OK) {
            a->st[0].cnt[0] = n;
            a->done_input = 1;
        } else if (rc != STRATA_NOTFOUND) {
            return exec_error(ctx, rc, "%s", st_errmsg());
        }
    }
    if (!a->done_input) {
        for (;;) {
            exec_chunk *c;
            rc = exec_next(op->child[0], ctx, &c);
            if (rc) return rc;
            if (c->count == 0) break;
            rc = consume(ctx, a, c);
            if (rc) return rc;
        }
        a->done_input = 1;
    }
    exec_chunk_reset(&a->out);
    *out = &a->out;
    size_t n = a->ngrp - a->emit_pos;
    if (n > EXEC_VECTOR_SIZE) n = EXEC_VECTOR_SIZE;
    if (n == 0) return STRATA_OK;
    uint32_t ids[EXEC_VECTOR_SIZE];
    for (size_t i = 0; i < n; i++) ids[i] = (uint32_t)(a->emit_pos + i);
    for (int j = 0; j < a->ngroups; j++)
        exec_rows_gather(&a->keys.rows, j, ids, n, &a->out.cols[j], 0);
    for (int k = 0; k < a->naggs; k++) {
        const plan_agg *pa = &op->plan->u.aggregate.aggs[k];
        agg_state *s = &a->st[k];
        exec_vector *v = &a->out.cols[a->ngroups + k];
        int argt = pa->arg ? pa->arg->type : STRATA_TYPE_NULL;
        for (size_t i = 0; i < n; i++) {
            uint32_t g = ids[i];
            sql_value r;
            switch (pa->fn) {
            case PLAN_AGG_COUNT_STAR:
            case PLAN_AGG_COUNT:
                r = sql_int(STRATA_TYPE_BIGINT, s->cnt[g]);
                break;
            case PLAN_AGG_SUM:
                if (!s->has[g])
                    r = sql_null(v->type);
                else if (sql_type_is_integer(argt))
                    r = sql_int(STRATA_TYPE_BIGINT, s->isum[g]);
                else
                    r = sql_double(s->dsum[g]);
                break;
            case PLAN_AGG_AVG:
                r = s->has[g] ? sql_double(s->dsum[g] / (double)s->cnt[g]) : sql_null(v->type);
                break;
            default:
                if (!s->has[g]) {
                    r = sql_null(v->type);
                } else if (argt == STRATA_TYPE_DOUBLE) {
                    r = sql_double(s->dmm[g]);
                } else if (argt == STRATA_TYPE_TEXT || argt == STRATA_TYPE_BLOB) {
                    r = sql_text(argt, exec_str_data(&s->smm[g]), s->smm[g].len);
                } else {
                    r = sql_int(argt, s->imm[g]);
                }
                break;
            }
            if (!r.is_null && r.type != v->type) {
                rc = exec_cast_value(ctx, &r, v->type, &v->heap, &r);
                if (rc) return rc;
            }
            exec_vector_set_value(v, i, &r);
        }
    }
    a->out.count = n;
    a->emit_pos += n;
    return STRATA_OK;
}

static void agg_close(exec_op *op, exec_ctx *ctx)
{
    exec_close(op->child[0], ctx);
}

static void agg_destroy(exec_op *op)
{
    agg_op *a = (agg_op *)op;
    for (int j = 0; j < a->ngroups; j++) exec_expr_free(a->gexpr[j]);
    for (int k = 0; k < a->naggs; k++) exec_expr_free(a->aexpr[k]);
    free(a->gexpr);
    free(a->aexpr);
    free_states(a);
    free(a->st);
    exec_rowset_free(&a->keys);
    free(a->itab_key);
    free(a->itab_id);
    arena_destroy(&a->strings);
    exec_chunk_free(&a->out);
}

static void agg_explain(const exec_op *op, char *buf, size_t n)
{
    const agg_op *a = (const agg_op *)op;
    snprintf(buf, n, "%d keys%s, %d aggregates%s", a->ngroups, a->int_key ? " (integer)" : "",
             a->naggs, a->count_table ? " [row count]" : "");
}

static const exec_op_vtab agg_vt = {"HASH_AGGREGATE", agg_open,    agg_next,
                                    agg_close,        agg_destroy, agg_explain};

int exec_op_aggregate(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out)
{
    agg_op *a = (agg_op *)exec_op_alloc(sizeof *a, &agg_vt, plan, plan->ncols, plan->types);
    a->base.child[0] = child;
    a->base.nchildren = 1;
    a->ngroups = plan->u.aggregate.ngroups;
    a->naggs = plan->u.aggregate.naggs;
    a->gexpr = calloc((size_t)a->ngroups + 1, sizeof *a->gexpr);
    a->aexpr = calloc((size_t)a->naggs + 1, sizeof *a->aexpr);
    a->st = calloc((size_t)a->naggs + 1, sizeof *a->st);
    if (!a->gexpr || !a->aexpr || !a->st) abort();
    exec_rowset_init(&a->keys, 0, NULL);
    arena_init(&a->strings, 16 * 1024);
    exec_chunk_init(&a->out, plan->ncols, plan->types);
    a->null_group = -1;
    *out = &a->base;
    const plan_node *in = plan->left;
    if (a->ngroups == 0 && a->naggs == 1 && plan->u.aggregate.aggs[0].fn == PLAN_AGG_COUNT_STAR &&
        !plan->u.aggregate.aggs[0].distinct && in && in->kind == PLAN_SCAN &&
        in->u.scan.table->kind != CAT_KIND_SYSTEM && !in->u.scan.pk_eq && !in->u.scan.pk_lo &&
        !in->u.scan.pk_hi && !in->u.scan.filter)
        a->count_table = in->u.scan.table;
    a->int_key = a->ngroups == 1 && sql_type_is_integer(plan->u.aggregate.groups[0]->type) &&
                 plan->types[0] == plan->u.aggregate.groups[0]->type;
    for (int j = 0; j < a->ngroups; j++) {
        int rc = exec_expr_compile(ctx, plan->u.aggregate.groups[j], &a->gexpr[j]);
        if (rc) return rc;
    }
    for (int k = 0; k < a->naggs; k++) {
        if (!plan->u.aggregate.aggs[k].arg) continue;
        int rc = exec_expr_compile(ctx, plan->u.aggregate.aggs[k].arg, &a->aexpr[k]);
        if (rc) return rc;
    }
    return STRATA_OK;
}
