/* exec/op_join.c — HASH_JOIN and NESTED_LOOP_JOIN (inner, left, cross, semi, anti, mark).
 *
 * The right input is the build side: materialized into an exec_rows together with its
 * evaluated equality keys and chained by key hash. Rows with a NULL key never match. Each left
 * chunk is probed in batches of up to EXEC_VECTOR_SIZE candidate pairs; the residual condition
 * (the non-equality conjuncts) is evaluated over the batch as a left ++ right chunk. Without
 * equality keys every right row is a candidate (nested loop). Semi, anti, mark and the
 * unmatched rows of a left join are emitted after the whole left chunk is probed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/op.h"
#include "util/hash.h"

/* ---- expression helpers (also used by the planner) ---- */

/* Bit 1: reads a left column (< nl); bit 2: reads a right column; bit 4: something that must
 * not move (a subquery, or an outer reference... outer refs are fine: constants per run). */
int exec_expr_sides(const plan_expr *e, int nl)
{
    if (!e) return 0;
    switch (e->kind) {
    case PEX_COLUMN:
        return e->u.col.index < nl ? 1 : 2;
    case PEX_UNARY:
        return exec_expr_sides(e->u.unary.arg, nl);
    case PEX_BINARY:
        return exec_expr_sides(e->u.binary.l, nl) | exec_expr_sides(e->u.binary.r, nl);
    case PEX_IN_LIST: {
        int s = exec_expr_sides(e->u.in.arg, nl);
        for (int i = 0; i < e->u.in.n; i++) s |= exec_expr_sides(e->u.in.list[i], nl);
        return s;
    }
    case PEX_BETWEEN:
        return exec_expr_sides(e->u.between.arg, nl) | exec_expr_sides(e->u.between.lo, nl) |
               exec_expr_sides(e->u.between.hi, nl);
    case PEX_CASE: {
        int s = exec_expr_sides(e->u.case_.operand, nl) | exec_expr_sides(e->u.case_.else_, nl);
        for (int i = 0; i < e->u.case_.n; i++)
            s |= exec_expr_sides(e->u.case_.when[i], nl) | exec_expr_sides(e->u.case_.then[i], nl);
        return s;
    }
    case PEX_CAST:
        return exec_expr_sides(e->u.cast.arg, nl);
    case PEX_FUNC: {
        int s = 0;
        for (int i = 0; i < e->u.func.nargs; i++) s |= exec_expr_sides(e->u.func.args[i], nl);
        return s;
    }
    case PEX_SUBQUERY:
        return 4 | exec_expr_sides(e->u.sub.lhs, nl) | (e->u.sub.correlated ? 3 : 0);
    default:
        return 0;
    }
}

/* A copy of e with every column index i (>= from) mapped to map[i] (map NULL: i - shift). */
plan_expr *exec_expr_remap(arena *a, const plan_expr *e, int shift, const int *map)
{
    if (!e) return NULL;
    plan_expr *c = arena_alloc(a, sizeof *c);
    *c = *e;
    switch (e->kind) {
    case PEX_COLUMN:
        c->u.col.index = map ? map[e->u.col.index] : e->u.col.index - shift;
        break;
    case PEX_UNARY:
        c->u.unary.arg = exec_expr_remap(a, e->u.unary.arg, shift, map);
        break;
    case PEX_BINARY:
        c->u.binary.l = exec_expr_remap(a, e->u.binary.l, shift, map);
        c->u.binary.r = exec_expr_remap(a, e->u.binary.r, shift, map);
        break;
    case PEX_IN_LIST:
        c->u.in.arg = exec_expr_remap(a, e->u.in.arg, shift, map);
        c->u.in.list = arena_alloc(a, sizeof(plan_expr *) * (size_t)(e->u.in.n + 1));
        for (int i = 0; i < e->u.in.n; i++)
            c->u.in.list[i] = exec_expr_remap(a, e->u.in.list[i], shift, map);
        break;
    case PEX_BETWEEN:
        c->u.between.arg = exec_expr_remap(a, e->u.between.arg, shift, map);
        c->u.between.lo = exec_expr_remap(a, e->u.between.lo, shift, map);
        c->u.between.hi = exec_expr_remap(a, e->u.between.hi, shift, map);
        break;
    case PEX_CASE:
        c->u.case_.operand = exec_expr_remap(a, e->u.case_.operand, shift, map);
        c->u.case_.else_ = exec_expr_remap(a, e->u.case_.else_, shift, map);
        c->u.case_.when = arena_alloc(a, sizeof(plan_expr *) * (size_t)(e->u.case_.n + 1));
        c->u.case_.then = arena_alloc(a, sizeof(plan_expr *) * (size_t)(e->u.case_.n + 1));
        for (int i = 0; i < e->u.case_.n; i++) {
            c->u.case_.when[i] = exec_expr_remap(a, e->u.case_.when[i], shift, map);
            c->u.case_.then[i] = exec_expr_remap(a, e->u.case_.then[i], shift, map);
        }
        break;
    case PEX_CAST:
        c->u.cast.arg = exec_expr_remap(a, e->u.cast.arg, shift, map);
        break;
    case PEX_FUNC:
        c->u.func.args = arena_alloc(a, sizeof(plan_expr *) * (size_t)(e->u.func.nargs + 1));
        for (int i = 0; i < e->u.func.nargs; i++)
            c->u.func.args[i] = exec_expr_remap(a, e->u.func.args[i], shift, map);
        break;
    case PEX_SUBQUERY:
        c->u.sub.lhs = exec_expr_remap(a, e->u.sub.lhs, shift, map);
        break;
    default:
        break;
    }
    return c;
}

/* Splits e's AND tree into conjuncts. */
int exec_conjuncts(const plan_expr *e, plan_expr **out, int n, int max)
{
    if (!e) return n;
    if (e->kind == PEX_BINARY && e->u.binary.op == PLAN_OP_AND) {
        n = exec_conjuncts(e->u.binary.l, out, n, max);
        return exec_conjuncts(e->u.binary.r, out, n, max);
    }
    if (n < max) out[n++] = (plan_expr *)e;
    return n;
}

plan_expr *exec_and_all(arena *a, plan_expr **c, int n)
{
    plan_expr *r = NULL;
    for (int i = 0; i < n; i++)
        r = r ? plan_expr_binary(a, PLAN_OP_AND, STRATA_TYPE_BOOLEAN, r, c[i]) : c[i];
    return r;
}

static int key_type(int l, int r)
{
    if (l == r) return l;
    if (sql_type_is_numeric(l) && sql_type_is_numeric(r)) return plan_arith_type(l, r);
    if (l == STRATA_TYPE_TEXT) return r;
    if (r == STRATA_TYPE_TEXT) return l;
    if (l == STRATA_TYPE_NULL) return r;
    if (r == STRATA_TYPE_NULL) return l;
    return -1;
}

static plan_expr *cast_to(arena *a, plan_expr *e, int t)
{
    if (e->type == t) return e;
    plan_expr *c = plan_expr_new(a, PEX_CAST, t);
    c->u.cast.arg = e;
    return c;
}

/* ---- the operator ---- */

#define MAX_KEYS 16

typedef struct join_op {
    exec_op base;
    int type, nl, nr, nk; /* nl: probe (child 0) columns, nr: build (child 1) columns */
    int swapped; /* inner join building on the plan's LEFT input: pairs are build ++ probe */
    exec_expr *lkey[MAX_KEYS], *rkey[MAX_KEYS];
    int ktypes[MAX_KEYS];
    exec_expr *residual;
    int *build_types;
    exec_rows build;
    uint32_t *heads, *next; /* chains: row id + 1, 0 = end */
    size_t hcap;
    int right_has_null_key;
    int built;
    /* probe state */
    exec_chunk *lc;
    size_t li;
    uint32_t cur; /* next candidate row id + 1 in the chain of row li (0: start it) */
    int started_row;
    exec_vector lkv[MAX_KEYS];
    uint64_t lhash[EXEC_VECTOR_SIZE];
    uint8_t lnull[EXEC_VECTOR_SIZE];
    uint8_t matched[EXEC_VECTOR_SIZE];
    uint8_t unknown[EXEC_VECTOR_SIZE];
    int tail_pending;
    int left_done;
    exec_chunk pairs; /* left ++ right */
    exec_sel_t psel[EXEC_VECTOR_SIZE];
    uint32_t pl[EXEC_VECTOR_SIZE], pr[EXEC_VECTOR_SIZE];
    exec_chunk tail;
    int *out_types;
} join_op;

static int build_side(exec_ctx *ctx, join_op *j)
{
    exec_op *r = j->base.child[1];
    int rc = exec_open(r, ctx);
    exec_vector *vecs[512];
    exec_vector kv[MAX_KEYS];
    for (int k = 0; k < j->nk; k++) exec_vector_init(&kv[k], j->ktypes[k]);
    exec_vector *tmp = calloc((size_t)j->nr + 1, sizeof *tmp);
    if (!tmp) abort();
    for (int c = 0; c < j->nr; c++) exec_vector_init(&tmp[c], r->types[c]);
    while (!rc) {
        exec_chunk *c;
        rc = exec_next(r, ctx, &c);
        if (rc || c->count == 0) break;
        size_t n = c->count;
        for (int col = 0; col < j->nr; col++) {
            exec_vector_reset(&tmp[col]);
            exec_vector_gather(&tmp[col], 0, &c->cols[col], c->sel, n, 0);
            vecs[col] = &tmp[col];
        }
        for (int k = 0; k < j->nk && !rc; k++) {
            exec_vector *v;
            rc = exec_expr_eval(ctx, j->rkey[k], c, &v);
            if (rc) break;
            exec_vector_reset(&kv[k]);
            exec_vector_gather(&kv[k], 0, v, NULL, n, 0);
            vecs[j->nr + k] = &kv[k];
        }
        if (rc) break;
        exec_rows_append(&j->build, vecs, NULL, n);
    }
    exec_close(r, ctx);
    for (int k = 0; k < j->nk; k++) exec_vector_free(&kv[k]);
    for (int c = 0; c < j->nr; c++) exec_vector_free(&tmp[c]);
    free(tmp);
    if (rc) return rc;
    /* chains */
    size_t n = j->build.n;
    size_t cap = 16;
    while (cap < n * 2) cap *= 2;
    free(j->heads);
    free(j->next);
    j->heads = calloc(cap, sizeof *j->heads);
    j->next = calloc(n + 1, sizeof *j->next);
    if (!j->heads || !j->next) abort();
    j->hcap = cap;
    j->right_has_null_key = 0;
    if (j->nk == 0) {
        /* one chain holding every row in order */
        for (size_t i = n; i-- > 0;) {
            j->next[i] = j->heads[0];
            j->heads[0] = (uint32_t)i + 1;
        }
        return STRATA_OK;
    }
    for (size_t i = n; i-- > 0;) {
        uint64_t h = 0;
        int null = 0;
        for (int k = 0; k < j->nk; k++) {
            if (j->build.cols[j->nr + k].nulls[i]) null = 1;
            h = exec_rows_hash_value(&j->build, j->nr + k, i, h);
        }
        if (null) {
            j->right_has_null_key = 1;
            continue;
        }
        size_t b = h & (cap - 1);
        j->next[i] = j->heads[b];
        j->heads[b] = (uint32_t)i + 1;
    }
    return STRATA_OK;
}

static int join_open(exec_op *op, exec_ctx *ctx)
{
    join_op *j = (join_op *)op;
    exec_rows_clear(&j->build);
    j->built = 0;
    j->lc = NULL;
    j->left_done = 0;
    j->tail_pending = 0;
    return exec_open(op->child[0], ctx);
}

/* Loads the next left chunk: keys, hashes. 0 rows at the end. */
static int load_left(exec_ctx *ctx, join_op *j)
{
    int rc = exec_next(j->base.child[0], ctx, &j->lc);
    if (rc) return rc;
    size_t n = j->lc->count;
    j->li = 0;
    j->cur = 0;
    j->started_row = 0;
    memset(j->matched, 0, n);
    memset(j->unknown, 0, n);
    memset(j->lnull, 0, n);
    if (n == 0) return STRATA_OK;
    exec_vector *vecs[MAX_KEYS];
    for (int k = 0; k < j->nk; k++) {
        exec_vector *v;
        rc = exec_expr_eval(ctx, j->lkey[k], j->lc, &v);
        if (rc) return rc;
        exec_vector_reset(&j->lkv[k]);
        exec_vector_gather(&j->lkv[k], 0, v, NULL, n, 0);
        vecs[k] = &j->lkv[k];
        for (size_t i = 0; i < n; i++) j->lnull[i] |= !exec_vector_is_valid(&j->lkv[k], i);
    }
    if (j->nk) exec_hash_vectors(vecs, j->nk, n, j->lhash);
    return STRATA_OK;
}

static int keys_equal(const join_op *j, size_t i, uint32_t id)
{
    for (int k = 0; k < j->nk; k++) {
        const exec_colbuf *c = &j->build.cols[j->nr + k];
        const exec_vector *v = &j->lkv[k];
        const char *a = c->data + (size_t)id * c->width;
        const char *b = (const char *)v->data + i * c->width;
        switch (c->type) {
        case STRATA_TYPE_TEXT:
        case STRATA_TYPE_BLOB:
            if (!exec_str_eq((const exec_str *)a, (const exec_str *)b)) return 0;
            break;
        case STRATA_TYPE_DOUBLE:
            if (*(const double *)a != *(const double *)b) return 0;
            break;
        default:
            if (memcmp(a, b, c->width) != 0) return 0;
        }
    }
    return 1;
}

/* Fills up to EXEC_VECTOR_SIZE candidate pairs from the current left chunk; 0 when done. */
static size_t gen_pairs(join_op *j)
{
    size_t k = 0, n = j->lc->count;
    while (j->li < n && k < EXEC_VECTOR_SIZE) {
        size_t i = j->li;
        if (!j->started_row) {
            j->started_row = 1;
            if (j->nk && j->lnull[i]) {
                j->cur = 0;
            } else {
                j->cur = j->nk ? j->heads[j->lhash[i] & (j->hcap - 1)] : j->heads[0];
            }
        }
        /* semi/anti: one match is enough (unless a residual may still say no) */
        while (j->cur && k < EXEC_VECTOR_SIZE) {
            uint32_t id = j->cur - 1;
            j->cur = j->next[id];
            if (j->nk && !keys_equal(j, i, id)) continue;
            j->pl[k] = (uint32_t)i;
            j->pr[k] = id;
            k++;
        }
        if (!j->cur) {
            j->li++;
            j->started_row = 0;
        }
    }
    return k;
}

/* pairs chunk from pl/pr[0..k) */
static void fill_pairs(join_op *j, size_t k)
{
    exec_chunk_reset(&j->pairs);
    exec_sel_t pos[EXEC_VECTOR_SIZE];
    for (size_t t = 0; t < k; t++) pos[t] = (exec_sel_t)exec_chunk_row(j->lc, j->pl[t]);
    int po = j->swapped ? j->nr : 0, bo = j->swapped ? 0 : j->nl;
    for (int c = 0; c < j->nl; c++)
        exec_vector_gather(&j->pairs.cols[po + c], 0, &j->lc->cols[c], pos, k, 0);
    for (int c = 0; c < j->nr; c++)
        exec_rows_gather(&j->build, c, j->pr, k, &j->pairs.cols[bo + c], 0);
    j->pairs.count = k;
}

/* The rows emitted after a left chunk: LEFT's unmatched, SEMI/ANTI/MARK. */
static int make_tail(join_op *j, exec_chunk **out)
{
    exec_chunk *t = &j->tail;
    exec_chunk_reset(t);
    size_t n = j->lc->count, k = 0;
    exec_sel_t pos[EXEC_VECTOR_SIZE];
    uint8_t mark[EXEC_VECTOR_SIZE];
    for (size_t i = 0; i < n; i++) {
        int take;
        switch (j->type) {
        case PLAN_JOIN_LEFT:
        case PLAN_JOIN_ANTI:
            take = !j->matched[i];
            break;
        case PLAN_JOIN_SEMI:
            take = j->matched[i];
            break;
        default:
            take = 1;
            break;
        }
        if (!take) continue;
        pos[k] = (exec_sel_t)exec_chunk_row(j->lc, i);
        if (j->type == PLAN_JOIN_MARK) {
            /* TRUE on a match; else NULL if the key was NULL (and there are right rows), a
             * right key was NULL, or the residual said NULL; else FALSE */
            if (j->matched[i])
                mark[k] = 1;
            else if ((j->nk && j->lnull[i] && j->build.n) || j->unknown[i] ||
                     (j->right_has_null_key && j->nk))
                mark[k] = 2;
            else
                mark[k] = 0;
        }
        k++;
    }
    for (int c = 0; c < j->nl; c++) exec_vector_gather(&t->cols[c], 0, &j->lc->cols[c], pos, k, 0);
    if (j->type == PLAN_JOIN_LEFT) {
        for (int c = 0; c < j->nr; c++) {
            exec_vector *v = &t->cols[j->nl + c];
            uint64_t *m = exec_vector_validity_make(v);
            memset(m, 0, sizeof v->own_validity);
            memset(v->data, 0, exec_type_width(v->type) * k);
        }
    } else if (j->type == PLAN_JOIN_MARK) {
        exec_vector *v = &t->cols[j->nl];
        uint8_t *d = v->data;
        for (size_t i = 0; i < k; i++) {
            if (mark[i] == 2)
                exec_vector_set_null(v, i);
            else
                d[i] = mark[i];
        }
    }
    t->count = k;
    *out = t;
    return STRATA_OK;
}

static int join_next(exec_op *op, exec_ctx *ctx, exec_chunk **out)
{
    join_op *j = (join_op *)op;
    int rc;
    if (!j->built) {
        rc = build_side(ctx, j);
        if (rc) return rc;
        j->built = 1;
    }
    int pairs_out =
        j->type == PLAN_JOIN_INNER || j->type == PLAN_JOIN_CROSS || j->type == PLAN_JOIN_LEFT;
    for (;;) {
        if (j->left_done) {
            j->tail.count = 0;
            *out = &j->tail;
            return STRATA_OK;
        }
        if (!j->lc || (j->li >= j->lc->count && !j->tail_pending)) {
            rc = load_left(ctx, j);
            if (rc) return rc;
            if (j->lc->count == 0) {
                j->left_done = 1;
                continue;
            }
            j->tail_pending = j->type != PLAN_JOIN_INNER && j->type != PLAN_JOIN_CROSS;
        }
        size_t k = gen_pairs(j);
        if (k == 0) {
            if (j->tail_pending) {
                j->tail_pending = 0;
                rc = make_tail(j, out);
                if (rc) return rc;
                if ((*out)->count) return STRATA_OK;
            }
            continue;
        }
        if (!j->residual) {
            for (size_t t = 0; t < k; t++) j->matched[j->pl[t]] = 1;
            if (!pairs_out) continue;
            fill_pairs(j, k);
            *out = &j->pairs;
            return STRATA_OK;
        }
        fill_pairs(j, k);
        exec_vector *v;
        rc = exec_expr_eval(ctx, j->residual, &j->pairs, &v);
        if (rc) return rc;
        const uint8_t *d = v->data;
        size_t m = 0;
        for (size_t t = 0; t < k; t++) {
            if (!exec_vector_is_valid(v, t)) {
                j->unknown[j->pl[t]] = 1;
            } else if (d[t]) {
                j->matched[j->pl[t]] = 1;
                j->psel[m++] = (exec_sel_t)t;
            }
        }
        if (!pairs_out || m == 0) continue;
        j->pairs.sel = j->psel;
        j->pairs.count = m;
        *out = &j->pairs;
        return STRATA_OK;
    }
}

static void join_close(exec_op *op, exec_ctx *ctx)
{
    exec_close(op->child[0], ctx);
}

static void join_destroy(exec_op *op)
{
    join_op *j = (join_op *)op;
    for (int k = 0; k < j->nk; k++) {
        exec_expr_free(j->lkey[k]);
        exec_expr_free(j->rkey[k]);
        exec_vector_free(&j->lkv[k]);
    }
    exec_expr_free(j->residual);
    exec_rows_free(&j->build);
    free(j->heads);
    free(j->next);
    free(j->build_types);
    free(j->out_types);
    exec_chunk_free(&j->pairs);
    exec_chunk_free(&j->tail);
}

static const char *join_type_name(int t)
{
    static const char *const names[] = {"inner", "left", "cross", "semi", "anti", "mark"};
    return t >= 0 && t <= 5 ? names[t] : "?";
}

static void join_explain(const exec_op *op, char *buf, size_t n)
{
    const join_op *j = (const join_op *)op;
    snprintf(buf, n, "%s%s%s%s", join_type_name(j->type),
             j->nk ? (j->nk == 1 ? ", 1 key" : ", keys") : "", j->residual ? ", residual" : "",
             j->swapped ? ", build left" : "");
}

static const exec_op_vtab hash_join_vt = {"HASH_JOIN", join_open,    join_next,
                                          join_close,  join_destroy, join_explain};
static const exec_op_vtab nl_join_vt = {"NESTED_LOOP_JOIN", join_open,    join_next,
                                        join_close,         join_destroy, join_explain};

int exec_op_join(exec_ctx *ctx, const plan_node *plan, exec_op *left, exec_op *right,
                 int build_left, exec_op **out)
{
    int nl = left->ncols, nr = right->ncols;
    int swap = build_left &&
               (plan->u.join.type == PLAN_JOIN_INNER || plan->u.join.type == PLAN_JOIN_CROSS);
    plan_expr *conj[256];
    int nc = exec_conjuncts(plan->u.join.cond, conj, 0, 256);
    plan_expr *rest[256];
    int nrest = 0;
    plan_expr *lk[MAX_KEYS], *rk[MAX_KEYS];
    int kt[MAX_KEYS], nk = 0;
    for (int i = 0; i < nc; i++) {
        plan_expr *e = conj[i];
        if (nk < MAX_KEYS && e->kind == PEX_BINARY && e->u.binary.op == PLAN_OP_EQ) {
            int sl = exec_expr_sides(e->u.binary.l, nl), sr = exec_expr_sides(e->u.binary.r, nl);
            plan_expr *a = NULL, *b = NULL;
            if (sl == 1 && sr == 2)
                a = e->u.binary.l, b = e->u.binary.r;
            else if (sl == 2 && sr == 1)
                a = e->u.binary.r, b = e->u.binary.l;
            int t = a ? key_type(a->type, b->type) : -1;
            if (a && t >= 0) {
                lk[nk] = cast_to(&ctx->arena, a, t);
                rk[nk] = cast_to(&ctx->arena, exec_expr_remap(&ctx->arena, b, nl, NULL), t);
                kt[nk] = t;
                nk++;
                continue;
            }
        }
        rest[nrest++] = e;
    }
    join_op *j = (join_op *)exec_op_alloc(sizeof *j, nk ? &hash_join_vt : &nl_join_vt, plan,
                                          plan->ncols, plan->types);
    exec_op *probe = swap ? right : left, *build = swap ? left : right;
    j->base.child[0] = probe;
    j->base.child[1] = build;
    j->base.nchildren = 2;
    j->type = plan->u.join.type;
    j->swapped = swap;
    j->nl = probe->ncols;
    j->nr = build->ncols;
    j->nk = nk;
    *out = &j->base;
    j->build_types = calloc((size_t)(j->nr + nk + 1), sizeof(int));
    if (!j->build_types) abort();
    for (int c = 0; c < j->nr; c++) j->build_types[c] = build->types[c];
    for (int k = 0; k < nk; k++) {
        j->build_types[nr + k] = kt[k];
        j->ktypes[k] = kt[k];
        exec_vector_init(&j->lkv[k], kt[k]);
    }
    exec_rows_init(&j->build, j->nr + nk, j->build_types);
    /* pairs: left ++ right */
    j->out_types = calloc((size_t)(nl + nr + 1), sizeof(int));
    if (!j->out_types) abort();
    for (int c = 0; c < nl; c++) j->out_types[c] = left->types[c];
    for (int c = 0; c < nr; c++) j->out_types[nl + c] = right->types[c];
    exec_chunk_init(&j->pairs, nl + nr, j->out_types);
    exec_chunk_init(&j->tail, plan->ncols, plan->types);
    int rc;
    for (int k = 0; k < nk; k++) {
        /* lkey: over the probe input's rows, rkey: over the build input's rows */
        rc = exec_expr_compile(ctx, swap ? rk[k] : lk[k], &j->lkey[k]);
        if (!rc) rc = exec_expr_compile(ctx, swap ? lk[k] : rk[k], &j->rkey[k]);
        if (rc) return rc;
    }
    if (nrest) {
        rc = exec_expr_compile(ctx, exec_and_all(&ctx->arena, rest, nrest), &j->residual);
        if (rc) return rc;
    }
    return STRATA_OK;
}
