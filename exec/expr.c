/* exec/expr.c — vectorized expression evaluation (see expr.h).
 *
 * Each plan_expr node compiles to an exec_expr with a result vector; evaluation recurses once
 * per node per chunk. Operand types are promoted (INT → BIGINT → DOUBLE; TEXT compared with a
 * non-text type is cast to it) into scratch vectors before the type-specialised loops run.
 * Invariant: the value slot of a NULL row holds zero bytes in every vector produced here.
 */
#include "exec/expr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

struct exec_expr {
    const plan_expr *e;
    int type;
    exec_vector res;
    exec_vector tmp[2]; /* promoted operands */
    exec_expr **kid;
    int nkid;
    int can_error; /* evaluating it may fail: AND/OR/CASE evaluate it only where needed */
    /* CASE: row subsets */
    exec_sel_t *idx, *pos;
    /* subqueries */
    exec_op *sub;
    uint64_t sub_done;  /* uncorrelated: ctx->run + 1 when the result below was computed */
    sql_value sub_val;  /* scalar / exists result */
    exec_heap sub_heap; /* bytes of sub_val / the IN set */
    struct sub_set *set;
    struct memo *memo;
    uint64_t memo_run; /* ctx->run the memo belongs to */
    int memo_ok;       /* correlated at depth 1 only: memoise per outer row */
    int *outer_cols;
    int nouter_cols;
};

struct sub_set {
    uint64_t *hashes; /* open addressing; 0 = empty */
    sql_value *vals;
    size_t cap, n;
    int has_null;
};

/* ---- small helpers ---- */

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p) abort();
    return p;
}

static int is_str_type(int t)
{
    return t == STRATA_TYPE_TEXT || t == STRATA_TYPE_BLOB;
}

/* A view of in restricted to the dense rows idx[0..k): positions composed with in->sel. */
static void make_view(const exec_chunk *in, const exec_sel_t *idx, size_t k, exec_sel_t *pos,
                      exec_chunk *view)
{
    for (size_t j = 0; j < k; j++) pos[j] = in->sel ? in->sel[idx[j]] : idx[j];
    view->ncols = in->ncols;
    view->cols = in->cols;
    view->count = k;
    view->sel = pos;
    view->own_sel = NULL;
}

/* dst[idx[j]] = src[j] for j < k (values + validity). */
static void scatter(exec_vector *dst, const exec_vector *src, const exec_sel_t *idx, size_t k)
{
    size_t w = exec_type_width(dst->type);
    for (size_t j = 0; j < k; j++) {
        if (!exec_vector_is_valid(src, j)) {
            exec_vector_set_null(dst, idx[j]);
        } else {
            memcpy((char *)dst->data + idx[j] * w, (const char *)src->data + j * w, w);
            if (dst->validity) dst->validity[idx[j] >> 6] |= UINT64_C(1) << (idx[j] & 63);
        }
    }
}

/* Fills n rows of v with the value c (broadcast). */
static void broadcast(exec_vector *v, const sql_value *c, size_t n)
{
    exec_vector_reset(v);
    if (c->is_null || c->type == STRATA_TYPE_NULL) {
        uint64_t *m = exec_vector_validity_make(v);
        memset(m, 0, sizeof v->own_validity);
        memset(v->data, 0, exec_type_width(v->type) * n);
        return;
    }
    switch (v->type) {
    case STRATA_TYPE_BOOLEAN:
        memset(v->data, c->u.i != 0, n);
        break;
    case STRATA_TYPE_INT: {
        int32_t x = (int32_t)c->u.i, *d = v->data;
        for (size_t i = 0; i < n; i++) d[i] = x;
        break;
    }
    case STRATA_TYPE_BIGINT:
    case STRATA_TYPE_TIMESTAMP: {
        int64_t x = c->u.i, *d = v->data;
        for (size_t i = 0; i < n; i++) d[i] = x;
        break;
    }
    case STRATA_TYPE_DOUBLE: {
        double x = c->u.d, *d = v->data;
        for (size_t i = 0; i < n; i++) d[i] = x;
        break;
    }
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB: {
        exec_str s = exec_heap_str(&v->heap, c->u.s.p, c->u.s.n), *d = v->data;
        for (size_t i = 0; i < n; i++) d[i] = s;
        break;
    }
    }
}

/* The combined validity of a and b into r (r reset, own buffer). */
static void and_validity(exec_vector *r, const exec_vector *a, const exec_vector *b, size_t n)
{
    if (!a->validity && !b->validity) {
        r->validity = NULL;
        return;
    }
    uint64_t *m = exec_vector_validity_make(r);
    size_t words = (n + 63) / 64;
    for (size_t w = 0; w < words; w++) {
        uint64_t x = a->validity ? a->validity[w] : ~UINT64_C(0);
        uint64_t y = b->validity ? b->validity[w] : ~UINT64_C(0);
        m[w] = x & y;
    }
}

/* Zeroes the slots of NULL rows (keeps the invariant after computing over garbage). */
static void zero_nulls(exec_vector *r, size_t n)
{
    if (!r->validity) return;
    size_t w = exec_type_width(r->type);
    for (size_t i = 0; i < n; i++)
        if (!exec_vector_is_valid(r, i)) memset((char *)r->data + i * w, 0, w);
}

/* ---- casts over vectors ---- */

int exec_cast_vector(exec_ctx *ctx, const exec_vector *src, size_t n, exec_vector *dst)
{
    int from = src->type, to = dst->type;
    exec_vector_reset(dst);
    if (from == to) {
        exec_vector_gather(dst, 0, src, NULL, n, 0);
        return STRATA_OK;
    }
    if (src->validity) {
        uint64_t *m = exec_vector_validity_make(dst);
        memcpy(m, src->validity, sizeof dst->own_validity);
    }
    /* fast numeric widenings */
    if (from == STRATA_TYPE_INT && (to == STRATA_TYPE_BIGINT || to == STRATA_TYPE_TIMESTAMP)) {
        const int32_t *s = src->data;
        int64_t *d = dst->data;
        for (size_t i = 0; i < n; i++) d[i] = s[i];
        return STRATA_OK;
    }
    if (from == STRATA_TYPE_INT && to == STRATA_TYPE_DOUBLE) {
        const int32_t *s = src->data;
        double *d = dst->data;
        for (size_t i = 0; i < n; i++) d[i] = s[i];
        return STRATA_OK;
    }
    if ((from == STRATA_TYPE_BIGINT || from == STRATA_TYPE_TIMESTAMP) && to == STRATA_TYPE_DOUBLE) {
        const int64_t *s = src->data;
        double *d = dst->data;
        for (size_t i = 0; i < n; i++) d[i] = (double)s[i];
        return STRATA_OK;
    }
    if ((from == STRATA_TYPE_BIGINT && to == STRATA_TYPE_TIMESTAMP) ||
        (from == STRATA_TYPE_TIMESTAMP && to == STRATA_TYPE_BIGINT)) {
        memcpy(dst->data, src->data, 8 * n);
        return STRATA_OK;
    }
    if (from == STRATA_TYPE_NULL) {
        uint64_t *m = exec_vector_validity_make(dst);
        memset(m, 0, sizeof dst->own_validity);
        memset(dst->data, 0, exec_type_width(to) * n);
        return STRATA_OK;
    }
    /* general: value at a time */
    for (size_t i = 0; i < n; i++) {
        if (!exec_vector_is_valid(src, i)) continue;
        sql_value v = exec_vector_get_value(src, i), r;
        int rc = exec_cast_value(ctx, &v, to, &dst->heap, &r);
        if (rc) return rc;
        exec_vector_set_value(dst, i, &r);
    }
    return STRATA_OK;
}

/* v as type t: v itself, or cast into scratch. */
static int promote(exec_ctx *ctx, exec_vector *v, size_t n, int t, exec_vector *scratch,
                   exec_vector **out)
{
    if (v->type == t) {
        *out = v;
        return STRATA_OK;
    }
    if (scratch->type != t) {
        exec_vector_free(scratch);
        exec_vector_init(scratch, t);
    }
    *out = scratch;
    return exec_cast_vector(ctx, v, n, scratch);
}

/* The type both comparison operands are brought to. */
static int compare_type(int l, int r)
{
    if (l == r) return l;
    if (l == STRATA_TYPE_NULL) return r;
    if (r == STRATA_TYPE_NULL) return l;
    if (sql_type_is_numeric(l) && sql_type_is_numeric(r)) return plan_arith_type(l, r);
    if (is_str_type(l) && is_str_type(r)) return STRATA_TYPE_TEXT;
    if (l == STRATA_TYPE_TEXT) return r;
    if (r == STRATA_TYPE_TEXT) return l;
    if ((l == STRATA_TYPE_TIMESTAMP && sql_type_is_integer(r)) ||
        (r == STRATA_TYPE_TIMESTAMP && sql_type_is_integer(l)))
        return STRATA_TYPE_BIGINT;
    if (l == STRATA_TYPE_BOOLEAN && sql_type_is_integer(r)) return r;
    if (r == STRATA_TYPE_BOOLEAN && sql_type_is_integer(l)) return l;
    return -1;
}

/* ---- compile ---- */

static int expr_can_error(const plan_expr *e)
{
    switch (e->kind) {
    case PEX_COLUMN:
    case PEX_OUTER:
    case PEX_CONST:
    case PEX_PARAM:
        return 0;
    case PEX_UNARY:
        return e->u.unary.op == PLAN_OP_NEG || expr_can_error(e->u.unary.arg);
    case PEX_BINARY:
        if (e->u.binary.op >= PLAN_OP_ADD && e->u.binary.op <= PLAN_OP_MOD) return 1;
        return expr_can_error(e->u.binary.l) || expr_can_error(e->u.binary.r);
    default:
        return 1;
    }
}

static void collect_outer(const plan_expr *e, int depth, int *maxdepth, int **cols, int *n);
static void collect_outer_plan(const plan_node *p, int depth, int *maxdepth, int **cols, int *n);

static int compile(exec_ctx *ctx, const plan_expr *e, exec_expr **out);
struct sub_set;
static int set_add(struct sub_set *s, exec_heap *h, const sql_value *v);
static int set_has(const struct sub_set *s, const sql_value *v);

static int compile_kids(exec_ctx *ctx, exec_expr *x, plan_expr **kids, int n)
{
    x->kid = xcalloc((size_t)n, sizeof *x->kid);
    x->nkid = n;
    for (int i = 0; i < n; i++) {
        int rc = compile(ctx, kids[i], &x->kid[i]);
        if (rc) return rc;
    }
    return STRATA_OK;
}

static int compile(exec_ctx *ctx, const plan_expr *e, exec_expr **out)
{
    exec_expr *x = xcalloc(1, sizeof *x);
    *out = x;
    x->e = e;
    x->type = e->type;
    exec_vector_init(&x->res, e->type);
    exec_vector_init(&x->tmp[0], STRATA_TYPE_NULL);
    exec_vector_init(&x->tmp[1], STRATA_TYPE_NULL);
    exec_heap_init(&x->sub_heap);
    x->can_error = expr_can_error(e);
    switch (e->kind) {
    case PEX_UNARY:
        return compile_kids(ctx, x, (plan_expr **)&e->u.unary.arg, 1);
    case PEX_BINARY: {
        plan_expr *k[2] = {e->u.binary.l, e->u.binary.r};
        if (e->u.binary.op == PLAN_OP_AND || e->u.binary.op == PLAN_OP_OR) {
            x->idx = xcalloc(EXEC_VECTOR_SIZE * 2, sizeof(exec_sel_t));
            x->pos = x->idx + EXEC_VECTOR_SIZE;
        }
        return compile_kids(ctx, x, k, 2);
    }
    case PEX_IN_LIST: {
        int consts = e->u.in.n >= 8;
        for (int i = 0; i < e->u.in.n && consts; i++) consts = e->u.in.list[i]->kind == PEX_CONST;
        if (consts) {
            /* a long list of constants: one hash set, probed per row */
            x->set = xcalloc(1, sizeof *x->set);
            for (int i = 0; i < e->u.in.n; i++)
                set_add(x->set, &x->sub_heap, &e->u.in.list[i]->u.value);
            return compile_kids(ctx, x, (plan_expr **)&e->u.in.arg, 1);
        }
        plan_expr **k = arena_alloc(&ctx->arena, sizeof(plan_expr *) * (size_t)(e->u.in.n + 1));
        k[0] = e->u.in.arg;
        memcpy(k + 1, e->u.in.list, sizeof(plan_expr *) * (size_t)e->u.in.n);
        return compile_kids(ctx, x, k, e->u.in.n + 1);
    }
    case PEX_BETWEEN: {
        plan_expr *k[3] = {e->u.between.arg, e->u.between.lo, e->u.between.hi};
        return compile_kids(ctx, x, k, 3);
    }
    case PEX_CASE: {
        /* kids: when0, then0, when1, then1, ..., else; a simple CASE compares operand = when */
        int n = e->u.case_.n;
        plan_expr **k = arena_alloc(&ctx->arena, sizeof(plan_expr *) * (size_t)(2 * n + 1));
        for (int i = 0; i < n; i++) {
            plan_expr *w = e->u.case_.when[i];
            if (e->u.case_.operand)
                w = plan_expr_binary(&ctx->arena, PLAN_OP_EQ, STRATA_TYPE_BOOLEAN,
                                     e->u.case_.operand, w);
            k[2 * i] = w;
            k[2 * i + 1] = e->u.case_.then[i];
        }
        k[2 * n] = e->u.case_.else_;
        if (!k[2 * n]) k[2 * n] = plan_expr_const(&ctx->arena, sql_null(e->type));
        x->idx = xcalloc(EXEC_VECTOR_SIZE * 3, sizeof(exec_sel_t));
        x->pos = x->idx + EXEC_VECTOR_SIZE;
        return compile_kids(ctx, x, k, 2 * n + 1);
    }
    case PEX_CAST:
        return compile_kids(ctx, x, (plan_expr **)&e->u.cast.arg, 1);
    case PEX_FUNC:
        return compile_kids(ctx, x, e->u.func.args, e->u.func.nargs);
    case PEX_SUBQUERY: {
        int rc = STRATA_OK;
        if (e->u.sub.lhs) rc = compile_kids(ctx, x, (plan_expr **)&e->u.sub.lhs, 1);
        if (rc) return rc;
        rc = exec_build(ctx, e->u.sub.plan, &x->sub);
        if (rc) return rc;
        if (e->u.sub.correlated) {
            int maxdepth = 0;
            collect_outer_plan(e->u.sub.plan, 1, &maxdepth, &x->outer_cols, &x->nouter_cols);
            x->memo_ok = maxdepth <= 1;
        }
        return STRATA_OK;
    }
    default:
        return STRATA_OK;
    }
}

int exec_expr_compile(exec_ctx *ctx, const plan_expr *e, exec_expr **out)
{
    *out = NULL;
    int rc = compile(ctx, e, out);
    if (rc) {
        exec_expr_free(*out);
        *out = NULL;
    }
    return rc;
}

struct memo_entry {
    uint64_t h;
    char *key;
    size_t klen;
    sql_value val;
    int used;
};
struct memo {
    struct memo_entry *e;
    size_t cap, n;
    arena a;
};

static void set_free(struct sub_set *s)
{
    if (!s) return;
    free(s->hashes);
    free(s->vals);
    free(s);
}

static void memo_free(struct memo *m)
{
    if (!m) return;
    free(m->e);
    arena_destroy(&m->a);
    free(m);
}

void exec_expr_free(exec_expr *x)
{
    if (!x) return;
    for (int i = 0; i < x->nkid; i++) exec_expr_free(x->kid[i]);
    free(x->kid);
    exec_vector_free(&x->res);
    exec_vector_free(&x->tmp[0]);
    exec_vector_free(&x->tmp[1]);
    exec_heap_free(&x->sub_heap);
    free(x->idx);
    exec_free(x->sub);
    set_free(x->set);
    memo_free(x->memo);
    free(x->outer_cols);
    free(x);
}

void exec_expr_rewind(exec_expr *x)
{
    if (!x) return;
    for (int i = 0; i < x->nkid; i++) exec_expr_rewind(x->kid[i]);
    if (x->e->kind != PEX_SUBQUERY) return; /* an IN list's constant set stays */
    x->sub_done = 0;
    set_free(x->set);
    x->set = NULL;
    memo_free(x->memo);
    x->memo = NULL;
    exec_heap_reset(&x->sub_heap);
}

/* ---- outer references ---- */

static void collect_outer(const plan_expr *e, int depth, int *maxdepth, int **cols, int *n)
{
    if (!e) return;
    switch (e->kind) {
    case PEX_OUTER:
        if (e->u.outer.depth >= depth) {
            int rel = e->u.outer.depth - depth + 1;
            if (rel > *maxdepth) *maxdepth = rel;
            if (rel == 1) {
                *cols = realloc(*cols, sizeof(int) * (size_t)(*n + 1));
                if (!*cols) abort();
                (*cols)[(*n)++] = e->u.outer.index;
            }
        }
        break;
    case PEX_UNARY:
        collect_outer(e->u.unary.arg, depth, maxdepth, cols, n);
        break;
    case PEX_BINARY:
        collect_outer(e->u.binary.l, depth, maxdepth, cols, n);
        collect_outer(e->u.binary.r, depth, maxdepth, cols, n);
        break;
    case PEX_IN_LIST:
        collect_outer(e->u.in.arg, depth, maxdepth, cols, n);
        for (int i = 0; i < e->u.in.n; i++)
            collect_outer(e->u.in.list[i], depth, maxdepth, cols, n);
        break;
    case PEX_BETWEEN:
        collect_outer(e->u.between.arg, depth, maxdepth, cols, n);
        collect_outer(e->u.between.lo, depth, maxdepth, cols, n);
        collect_outer(e->u.between.hi, depth, maxdepth, cols, n);
        break;
    case PEX_CASE:
        collect_outer(e->u.case_.operand, depth, maxdepth, cols, n);
        for (int i = 0; i < e->u.case_.n; i++) {
            collect_outer(e->u.case_.when[i], depth, maxdepth, cols, n);
            collect_outer(e->u.case_.then[i], depth, maxdepth, cols, n);
        }
        collect_outer(e->u.case_.else_, depth, maxdepth, cols, n);
        break;
    case PEX_CAST:
        collect_outer(e->u.cast.arg, depth, maxdepth, cols, n);
        break;
    case PEX_FUNC:
        for (int i = 0; i < e->u.func.nargs; i++)
            collect_outer(e->u.func.args[i], depth, maxdepth, cols, n);
        break;
    case PEX_SUBQUERY:
        collect_outer(e->u.sub.lhs, depth, maxdepth, cols, n);
        collect_outer_plan(e->u.sub.plan, depth + 1, maxdepth, cols, n);
        break;
    }
}

static void collect_outer_plan(const plan_node *p, int depth, int *maxdepth, int **cols, int *n)
{
    if (!p) return;
    int i;
    switch (p->kind) {
    case PLAN_SCAN:
        collect_outer(p->u.scan.filter, depth, maxdepth, cols, n);
        collect_outer(p->u.scan.pk_lo, depth, maxdepth, cols, n);
        collect_outer(p->u.scan.pk_hi, depth, maxdepth, cols, n);
        break;
    case PLAN_VALUES:
        for (i = 0; i < p->u.values.nrows * p->ncols; i++)
            collect_outer(p->u.values.rows[i], depth, maxdepth, cols, n);
        break;
    case PLAN_FILTER:
        collect_outer(p->u.filter.cond, depth, maxdepth, cols, n);
        break;
    case PLAN_PROJECT:
        for (i = 0; i < p->ncols; i++)
            collect_outer(p->u.project.exprs[i], depth, maxdepth, cols, n);
        break;
    case PLAN_AGGREGATE:
        for (i = 0; i < p->u.aggregate.ngroups; i++)
            collect_outer(p->u.aggregate.groups[i], depth, maxdepth, cols, n);
        for (i = 0; i < p->u.aggregate.naggs; i++)
            collect_outer(p->u.aggregate.aggs[i].arg, depth, maxdepth, cols, n);
        break;
    case PLAN_JOIN:
        collect_outer(p->u.join.cond, depth, maxdepth, cols, n);
        break;
    case PLAN_SORT:
        for (i = 0; i < p->u.sort.nkeys; i++)
            collect_outer(p->u.sort.keys[i].expr, depth, maxdepth, cols, n);
        break;
    case PLAN_LIMIT:
        collect_outer(p->u.limit.limit, depth, maxdepth, cols, n);
        collect_outer(p->u.limit.offset, depth, maxdepth, cols, n);
        break;
    }
    collect_outer_plan(p->left, depth, maxdepth, cols, n);
    collect_outer_plan(p->right, depth, maxdepth, cols, n);
}

/* ---- evaluation ---- */

static int eval(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_vector **out);

static int eval_column(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_vector **out)
{
    const exec_vector *src = &in->cols[x->e->u.col.index];
    size_t n = in->count;
    if (src->type != x->type) {
        /* the binder typed the reference differently: convert */
        exec_vector_reset(&x->tmp[0]);
        if (x->tmp[0].type != src->type) {
            exec_vector_free(&x->tmp[0]);
            exec_vector_init(&x->tmp[0], src->type);
            exec_vector_reset(&x->tmp[0]);
        }
        exec_vector_gather(&x->tmp[0], 0, src, in->sel, n, 0);
        *out = &x->res;
        return exec_cast_vector(ctx, &x->tmp[0], n, &x->res);
    }
    if (!in->sel) {
        exec_vector_alias(&x->res, src);
    } else {
        exec_vector_reset(&x->res);
        exec_vector_gather(&x->res, 0, src, in->sel, n, 0);
    }
    *out = &x->res;
    return STRATA_OK;
}

static int get_param(exec_ctx *ctx, const plan_expr *e, exec_heap *h, sql_value *out)
{
    int i = e->u.param.index;
    if (i < 1 || i > ctx->nparams || !ctx->params)
        return exec_error(ctx, STRATA_MISUSE, "parameter ?%d is not bound", i);
    if (e->type == STRATA_TYPE_NULL) {
        *out = ctx->params[i - 1];
        return STRATA_OK;
    }
    return exec_cast_value(ctx, &ctx->params[i - 1], e->type, h, out);
}

static int get_outer(exec_ctx *ctx, const plan_expr *e, sql_value *out)
{
    int d = e->u.outer.depth;
    if (d < 1 || d > ctx->nouter)
        return exec_error(ctx, STRATA_ERROR, "outer reference at depth %d has no row", d);
    const exec_outer_frame *f = &ctx->outer[ctx->nouter - d];
    if (e->u.outer.index < 0 || e->u.outer.index >= f->chunk->ncols)
        return exec_error(ctx, STRATA_ERROR, "outer reference to column %d out of range",
                          e->u.outer.index);
    *out = exec_vector_get_value(&f->chunk->cols[e->u.outer.index], f->row);
    return STRATA_OK;
}

/* -- arithmetic -- */

#define ARITH_INT_LOOP(T, BUILTIN)                                                                 \
    do {                                                                                           \
        const T *a = l->data, *b = r->data;                                                        \
        T *d = x->res.data;                                                                        \
        int ovf = 0;                                                                               \
        if (!x->res.validity) {                                                                    \
            for (size_t i = 0; i < n; i++) ovf |= BUILTIN(a[i], b[i], &d[i]);                      \
        } else {                                                                                   \
            for (size_t i = 0; i < n; i++)                                                         \
                if (exec_vector_is_valid(&x->res, i)) ovf |= BUILTIN(a[i], b[i], &d[i]);           \
        }                                                                                          \
        if (ovf) return exec_error(ctx, STRATA_RANGE, "integer overflow");                         \
    } while (0)

#define DIV_INT_LOOP(T, MINV, OPSYM)                                                               \
    do {                                                                                           \
        const T *a = l->data, *b = r->data;                                                        \
        T *d = x->res.data;                                                                        \
        for (size_t i = 0; i < n; i++) {                                                           \
            if (x->res.validity && !exec_vector_is_valid(&x->res, i)) continue;                    \
            if (b[i] == 0) return exec_error(ctx, STRATA_RANGE, "division by zero");               \
            if (b[i] == -1) {                                                                      \
                if (OPSYM == '/' && a[i] == MINV)                                                  \
                    return exec_error(ctx, STRATA_RANGE, "integer overflow");                      \
                d[i] = OPSYM == '/' ? (T)-a[i] : 0;                                                \
            } else {                                                                               \
                d[i] = OPSYM == '/' ? a[i] / b[i] : a[i] % b[i];                                   \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* Operands a binary operator does not take: an untyped NULL operand makes the result all NULL;
 * anything else is "operator does not exist: TYPE op TYPE". */
static int operand_mismatch(exec_ctx *ctx, exec_expr *x, exec_vector *l, exec_vector *r, size_t n,
                            const char *op)
{
    if (l->type == STRATA_TYPE_NULL || r->type == STRATA_TYPE_NULL) {
        sql_value nv = sql_null(x->type);
        broadcast(&x->res, &nv, n);
        return STRATA_OK;
    }
    return exec_error(ctx, STRATA_TYPE, "operator does not exist: %s %s %s", sql_type_name(l->type),
                      op, sql_type_name(r->type));
}

static int eval_arith(exec_ctx *ctx, exec_expr *x, int op, exec_vector *l, exec_vector *r, size_t n)
{
    int ct = plan_arith_type(l->type, r->type);
    if (ct < 0)
        return operand_mismatch(ctx, x, l, r, n,
                                op == PLAN_OP_ADD   ? "+"
                                : op == PLAN_OP_SUB ? "-"
                                : op == PLAN_OP_MUL ? "*"
                                : op == PLAN_OP_DIV ? "/"
                                                    : "%");
    int rc = promote(ctx, l, n, ct, &x->tmp[0], &l);
    if (!rc) rc = promote(ctx, r, n, ct, &x->tmp[1], &r);
    if (rc) return rc;
    exec_vector *res = &x->res;
    if (res->type != ct) {
        exec_vector_free(res);
        exec_vector_init(res, ct);
    }
    exec_vector_reset(res);
    and_validity(res, l, r, n);
    if (ct == STRATA_TYPE_INT) {
        switch (op) {
        case PLAN_OP_ADD:
            ARITH_INT_LOOP(int32_t, __builtin_add_overflow);
            break;
        case PLAN_OP_SUB:
            ARITH_INT_LOOP(int32_t, __builtin_sub_overflow);
            break;
        case PLAN_OP_MUL:
            ARITH_INT_LOOP(int32_t, __builtin_mul_overflow);
            break;
        case PLAN_OP_DIV:
            DIV_INT_LOOP(int32_t, INT32_MIN, '/');
            break;
        case PLAN_OP_MOD:
            DIV_INT_LOOP(int32_t, INT32_MIN, '%');
            break;
        }
    } else if (ct == STRATA_TYPE_BIGINT) {
        switch (op) {
        case PLAN_OP_ADD:
            ARITH_INT_LOOP(int64_t, __builtin_add_overflow);
            break;
        case PLAN_OP_SUB:
            ARITH_INT_LOOP(int64_t, __builtin_sub_overflow);
            break;
        case PLAN_OP_MUL:
            ARITH_INT_LOOP(int64_t, __builtin_mul_overflow);
            break;
        case PLAN_OP_DIV:
            DIV_INT_LOOP(int64_t, INT64_MIN, '/');
            break;
        case PLAN_OP_MOD:
            DIV_INT_LOOP(int64_t, INT64_MIN, '%');
            break;
        }
    } else {
        const double *a = l->data, *b = r->data;
        double *d = res->data;
        switch (op) {
        case PLAN_OP_ADD:
            for (size_t i = 0; i < n; i++) d[i] = a[i] + b[i];
            break;
        case PLAN_OP_SUB:
            for (size_t i = 0; i < n; i++) d[i] = a[i] - b[i];
            break;
        case PLAN_OP_MUL:
            for (size_t i = 0; i < n; i++) d[i] = a[i] * b[i];
            break;
        case PLAN_OP_DIV:
        case PLAN_OP_MOD:
            for (size_t i = 0; i < n; i++) {
                if (res->validity && !exec_vector_is_valid(res, i)) continue;
                if (b[i] == 0) return exec_error(ctx, STRATA_RANGE, "division by zero");
                d[i] = op == PLAN_OP_DIV ? a[i] / b[i] : fmod(a[i], b[i]);
            }
            break;
        }
        zero_nulls(res, n);
    }
    if (x->type != ct && x->type != STRATA_TYPE_NULL) {
        /* the binder asked for another result type (e.g. BIGINT for INT + INT) */
        exec_vector *t = &x->tmp[0];
        exec_vector_free(t);
        exec_vector_init(t, ct);
        exec_vector_reset(t);
        exec_vector_gather(t, 0, res, NULL, n, 0);
        exec_vector_free(res);
        exec_vector_init(res, x->type);
        return exec_cast_vector(ctx, t, n, res);
    }
    return STRATA_OK;
}

/* -- comparison -- */

#define CMP_LOOP(T, EXPR)                                                                          \
    do {                                                                                           \
        const T *a = l->data, *b = r->data;                                                        \
        switch (op) {                                                                              \
        case PLAN_OP_EQ:                                                                           \
            for (size_t i = 0; i < n; i++) d[i] = EXPR(a[i], b[i]) == 0;                           \
            break;                                                                                 \
        case PLAN_OP_NE:                                                                           \
            for (size_t i = 0; i < n; i++) d[i] = EXPR(a[i], b[i]) != 0;                           \
            break;                                                                                 \
        case PLAN_OP_LT:                                                                           \
            for (size_t i = 0; i < n; i++) d[i] = EXPR(a[i], b[i]) < 0;                            \
            break;                                                                                 \
        case PLAN_OP_LE:                                                                           \
            for (size_t i = 0; i < n; i++) d[i] = EXPR(a[i], b[i]) <= 0;                           \
            break;                                                                                 \
        case PLAN_OP_GT:                                                                           \
            for (size_t i = 0; i < n; i++) d[i] = EXPR(a[i], b[i]) > 0;                            \
            break;                                                                                 \
        default:                                                                                   \
            for (size_t i = 0; i < n; i++) d[i] = EXPR(a[i], b[i]) >= 0;                           \
            break;                                                                                 \
        }                                                                                          \
    } while (0)

#define NUM_CMP(x, y) (((x) > (y)) - ((x) < (y)))
#define STR_CMP(x, y) exec_str_cmp(&(x), &(y))

/* d[i] = l[i] op r[i] for the common type (values only; validity by the caller). */
static int compare_values(exec_ctx *ctx, exec_expr *x, int op, exec_vector *l, exec_vector *r,
                          size_t n, uint8_t *d)
{
    int ct = compare_type(l->type, r->type);
    if (ct < 0)
        return exec_error(ctx, STRATA_TYPE, "cannot compare %s with %s", sql_type_name(l->type),
                          sql_type_name(r->type));
    int rc = promote(ctx, l, n, ct, &x->tmp[0], &l);
    if (!rc) rc = promote(ctx, r, n, ct, &x->tmp[1], &r);
    if (rc) return rc;
    if (op == PLAN_OP_IS_DISTINCT || op == PLAN_OP_IS_NOT_DISTINCT) op = PLAN_OP_EQ;
    switch (ct) {
    case STRATA_TYPE_BOOLEAN:
        CMP_LOOP(uint8_t, NUM_CMP);
        break;
    case STRATA_TYPE_INT:
        CMP_LOOP(int32_t, NUM_CMP);
        break;
    case STRATA_TYPE_BIGINT:
    case STRATA_TYPE_TIMESTAMP:
        CMP_LOOP(int64_t, NUM_CMP);
        break;
    case STRATA_TYPE_DOUBLE:
        CMP_LOOP(double, NUM_CMP);
        break;
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB:
        if (op == PLAN_OP_EQ || op == PLAN_OP_NE) {
            const exec_str *a = l->data, *b = r->data;
            int want = op == PLAN_OP_EQ;
            for (size_t i = 0; i < n; i++) d[i] = exec_str_eq(&a[i], &b[i]) == want;
        } else {
            CMP_LOOP(exec_str, STR_CMP);
        }
        break;
    case STRATA_TYPE_NULL:
        memset(d, 0, n);
        break;
    }
    return STRATA_OK;
}

static int eval_compare(exec_ctx *ctx, exec_expr *x, int op, exec_vector *l, exec_vector *r,
                        size_t n)
{
    exec_vector *res = &x->res;
    exec_vector_reset(res);
    uint8_t *d = res->data;
    int rc = compare_values(ctx, x, op, l, r, n, d);
    if (rc) return rc;
    if (op == PLAN_OP_IS_DISTINCT || op == PLAN_OP_IS_NOT_DISTINCT) {
        int want_eq = op == PLAN_OP_IS_NOT_DISTINCT;
        for (size_t i = 0; i < n; i++) {
            int ln = !exec_vector_is_valid(l, i), rn = !exec_vector_is_valid(r, i);
            int eq = (ln || rn) ? (ln && rn) : d[i];
            d[i] = eq == want_eq;
        }
        return STRATA_OK;
    }
    and_validity(res, l, r, n);
    zero_nulls(res, n);
    return STRATA_OK;
}

/* -- logic -- */

/* Three-valued AND/OR of l and r into res. */
static void combine_logic(exec_vector *res, int is_and, const exec_vector *l, const exec_vector *r,
                          size_t n)
{
    exec_vector_reset(res);
    uint8_t *d = res->data;
    const uint8_t *a = l->data, *b = r->data;
    if (!l->validity && !r->validity) {
        if (is_and)
            for (size_t i = 0; i < n; i++) d[i] = a[i] & b[i];
        else
            for (size_t i = 0; i < n; i++) d[i] = a[i] | b[i];
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int lv = exec_vector_is_valid(l, i), rv = exec_vector_is_valid(r, i);
        if (is_and) {
            if ((lv && !a[i]) || (rv && !b[i]))
                d[i] = 0;
            else if (lv && rv)
                d[i] = 1;
            else
                exec_vector_set_null(res, i);
        } else {
            if ((lv && a[i]) || (rv && b[i]))
                d[i] = 1;
            else if (lv && rv)
                d[i] = 0;
            else
                exec_vector_set_null(res, i);
        }
    }
}

static int eval_logic(exec_ctx *ctx, exec_expr *x, int is_and, const exec_chunk *in,
                      exec_vector **out)
{
    size_t n = in->count;
    exec_vector *l, *r;
    int rc = eval(ctx, x->kid[0], in, &l);
    if (rc) return rc;
    if (!x->kid[1]->can_error) {
        rc = eval(ctx, x->kid[1], in, &r);
        if (rc) return rc;
        combine_logic(&x->res, is_and, l, r, n);
        *out = &x->res;
        return STRATA_OK;
    }
    /* evaluate the right side only where the left does not decide: keep l's result first */
    exec_vector *keep = &x->tmp[0];
    if (keep->type != STRATA_TYPE_BOOLEAN) {
        exec_vector_free(keep);
        exec_vector_init(keep, STRATA_TYPE_BOOLEAN);
    }
    exec_vector_reset(keep);
    exec_vector_gather(keep, 0, l, NULL, n, 0);
    const uint8_t *a = keep->data;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int decided = exec_vector_is_valid(keep, i) && (is_and ? !a[i] : a[i]);
        if (!decided) x->idx[k++] = (exec_sel_t)i;
    }
    exec_vector *res = &x->res;
    exec_vector_reset(res);
    exec_vector_gather(res, 0, keep, NULL, n, 0);
    if (k) {
        exec_chunk view;
        make_view(in, x->idx, k, x->pos, &view);
        rc = eval(ctx, x->kid[1], &view, &r);
        if (rc) return rc;
        uint8_t *d = res->data;
        const uint8_t *b = r->data;
        for (size_t j = 0; j < k; j++) {
            size_t i = x->idx[j];
            int lv = exec_vector_is_valid(keep, i), rv = exec_vector_is_valid(r, j);
            int val;
            /* here l is TRUE (AND) / FALSE (OR) or NULL */
            if (rv && (is_and ? !b[j] : b[j])) {
                val = is_and ? 0 : 1;
            } else if (lv && rv) {
                val = b[j];
            } else {
                val = -1;
            }
            if (val < 0) {
                exec_vector_set_null(res, i);
            } else {
                d[i] = (uint8_t)val;
                if (res->validity) res->validity[i >> 6] |= UINT64_C(1) << (i & 63);
            }
        }
    }
    *out = res;
    return STRATA_OK;
}

/* -- text -- */

static int eval_concat(exec_ctx *ctx, exec_expr *x, exec_vector *l, exec_vector *r, size_t n)
{
    int rc = promote(ctx, l, n, STRATA_TYPE_TEXT, &x->tmp[0], &l);
    if (!rc) rc = promote(ctx, r, n, STRATA_TYPE_TEXT, &x->tmp[1], &r);
    if (rc) return rc;
    exec_vector *res = &x->res;
    exec_vector_reset(res);
    and_validity(res, l, r, n);
    const exec_str *a = l->data, *b = r->data;
    exec_str *d = res->data;
    for (size_t i = 0; i < n; i++) {
        if (res->validity && !exec_vector_is_valid(res, i)) {
            memset(&d[i], 0, sizeof d[i]);
            continue;
        }
        uint32_t len = a[i].len + b[i].len;
        char buf[EXEC_STR_INLINE];
        char *p = len <= EXEC_STR_INLINE ? buf : exec_heap_alloc(&res->heap, len);
        memcpy(p, exec_str_data(&a[i]), a[i].len);
        memcpy(p + a[i].len, exec_str_data(&b[i]), b[i].len);
        d[i] = exec_str_make(p, len);
    }
    return STRATA_OK;
}

static int eval_like(exec_ctx *ctx, exec_expr *x, int negate, exec_vector *l, exec_vector *r,
                     size_t n)
{
    int rc = promote(ctx, l, n, STRATA_TYPE_TEXT, &x->tmp[0], &l);
    if (!rc) rc = promote(ctx, r, n, STRATA_TYPE_TEXT, &x->tmp[1], &r);
    if (rc) return rc;
    exec_vector *res = &x->res;
    exec_vector_reset(res);
    and_validity(res, l, r, n);
    const exec_str *a = l->data, *b = r->data;
    uint8_t *d = res->data;
    for (size_t i = 0; i < n; i++) {
        if (res->validity && !exec_vector_is_valid(res, i)) {
            d[i] = 0;
            continue;
        }
        int m = exec_like(exec_str_data(&a[i]), a[i].len, exec_str_data(&b[i]), b[i].len);
        d[i] = (uint8_t)(m ^ negate);
    }
    return STRATA_OK;
}

/* -- bitwise -- */

/* SQLite's shifts: counts >= 64 (or <= -64) shift everything out, >> is arithmetic. */
static int64_t shl64(int64_t a, int64_t c);
static int64_t shr64(int64_t a, int64_t c)
{
    if (c < 0) return c <= -64 ? 0 : shl64(a, -c);
    if (c >= 64) return a < 0 ? -1 : 0;
    return a >> c; /* gcc/clang: arithmetic on signed values */
}
static int64_t shl64(int64_t a, int64_t c)
{
    if (c < 0) return c <= -64 ? (a < 0 ? -1 : 0) : shr64(a, -c);
    if (c >= 64) return 0;
    return (int64_t)((uint64_t)a << c);
}

static int eval_bitwise(exec_ctx *ctx, exec_expr *x, int op, exec_vector *l, exec_vector *r,
                        size_t n)
{
    if (!sql_type_is_integer(l->type) || !sql_type_is_integer(r->type))
        return operand_mismatch(ctx, x, l, r, n,
                                op == PLAN_OP_BITAND  ? "&"
                                : op == PLAN_OP_BITOR ? "|"
                                : op == PLAN_OP_SHL   ? "<<"
                                                      : ">>");
    int rc = promote(ctx, l, n, STRATA_TYPE_BIGINT, &x->tmp[0], &l);
    if (!rc) rc = promote(ctx, r, n, STRATA_TYPE_BIGINT, &x->tmp[1], &r);
    if (rc) return rc;
    exec_vector *res = &x->res;
    int rt = x->type == STRATA_TYPE_INT ? STRATA_TYPE_INT : STRATA_TYPE_BIGINT;
    if (res->type != rt) {
        exec_vector_free(res);
        exec_vector_init(res, rt);
    }
    exec_vector_reset(res);
    and_validity(res, l, r, n);
    const int64_t *a = l->data, *b = r->data;
    int64_t *d64 = rt == STRATA_TYPE_BIGINT ? res->data : NULL;
    int32_t *d32 = rt == STRATA_TYPE_INT ? res->data : NULL;
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        switch (op) {
        case PLAN_OP_BITAND:
            v = a[i] & b[i];
            break;
        case PLAN_OP_BITOR:
            v = a[i] | b[i];
            break;
        case PLAN_OP_SHL:
            v = shl64(a[i], b[i]);
            break;
        default:
            v = shr64(a[i], b[i]);
            break;
        }
        if (d64)
            d64[i] = v;
        else
            d32[i] = (int32_t)(uint32_t)(uint64_t)v; /* wraps to 32 bits, as PostgreSQL */
    }
    zero_nulls(res, n);
    return STRATA_OK;
}

static int eval_binary(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_vector **out)
{
    int op = x->e->u.binary.op;
    if (op == PLAN_OP_AND || op == PLAN_OP_OR)
        return eval_logic(ctx, x, op == PLAN_OP_AND, in, out);
    exec_vector *l, *r;
    int rc = eval(ctx, x->kid[0], in, &l);
    if (!rc) rc = eval(ctx, x->kid[1], in, &r);
    if (rc) return rc;
    size_t n = in->count;
    *out = &x->res;
    switch (op) {
    case PLAN_OP_ADD:
    case PLAN_OP_SUB:
    case PLAN_OP_MUL:
    case PLAN_OP_DIV:
    case PLAN_OP_MOD:
        return eval_arith(ctx, x, op, l, r, n);
    case PLAN_OP_CONCAT:
        return eval_concat(ctx, x, l, r, n);
    case PLAN_OP_LIKE:
    case PLAN_OP_NOT_LIKE:
        return eval_like(ctx, x, op == PLAN_OP_NOT_LIKE, l, r, n);
    case PLAN_OP_BITAND:
    case PLAN_OP_BITOR:
    case PLAN_OP_SHL:
    case PLAN_OP_SHR:
        return eval_bitwise(ctx, x, op, l, r, n);
    default:
        return eval_compare(ctx, x, op, l, r, n);
    }
}

static int eval_unary(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_vector **out)
{
    exec_vector *a;
    int rc = eval(ctx, x->kid[0], in, &a);
    if (rc) return rc;
    size_t n = in->count;
    exec_vector *res = &x->res;
    *out = res;
    switch (x->e->u.unary.op) {
    case PLAN_OP_IS_NULL:
    case PLAN_OP_IS_NOT_NULL: {
        exec_vector_reset(res);
        uint8_t *d = res->data;
        int want = x->e->u.unary.op == PLAN_OP_IS_NULL;
        for (size_t i = 0; i < n; i++) d[i] = (!exec_vector_is_valid(a, i)) == want;
        return STRATA_OK;
    }
    case PLAN_OP_NOT: {
        exec_vector_reset(res);
        exec_vector_gather(res, 0, a, NULL, n, 0);
        uint8_t *d = res->data;
        for (size_t i = 0; i < n; i++) d[i] = !d[i];
        zero_nulls(res, n);
        return STRATA_OK;
    }
    case PLAN_OP_BITNOT:
        if (res->type != a->type) {
            exec_vector_free(res);
            exec_vector_init(res, a->type);
        }
        exec_vector_reset(res);
        exec_vector_gather(res, 0, a, NULL, n, 0);
        if (a->type == STRATA_TYPE_INT) {
            int32_t *d = res->data;
            for (size_t i = 0; i < n; i++) d[i] = ~d[i];
        } else if (a->type == STRATA_TYPE_BIGINT) {
            int64_t *d = res->data;
            for (size_t i = 0; i < n; i++) d[i] = ~d[i];
        } else if (a->type != STRATA_TYPE_NULL) {
            return exec_error(ctx, STRATA_TYPE, "operator does not exist: ~ %s",
                              sql_type_name(a->type));
        }
        zero_nulls(res, n);
        return STRATA_OK;
    default: { /* NEG */
        if (res->type != a->type) {
            exec_vector_free(res);
            exec_vector_init(res, a->type);
        }
        exec_vector_reset(res);
        exec_vector_gather(res, 0, a, NULL, n, 0);
        if (a->type == STRATA_TYPE_INT) {
            int32_t *d = res->data;
            for (size_t i = 0; i < n; i++) {
                if (d[i] == INT32_MIN) return exec_error(ctx, STRATA_RANGE, "integer overflow");
                d[i] = -d[i];
            }
        } else if (a->type == STRATA_TYPE_BIGINT) {
            int64_t *d = res->data;
            for (size_t i = 0; i < n; i++) {
                if (d[i] == INT64_MIN) return exec_error(ctx, STRATA_RANGE, "integer overflow");
                d[i] = -d[i];
            }
        } else if (a->type == STRATA_TYPE_DOUBLE) {
            double *d = res->data;
            for (size_t i = 0; i < n; i++) d[i] = -d[i];
            zero_nulls(res, n);
        } else if (a->type != STRATA_TYPE_NULL) {
            return exec_error(ctx, STRATA_TYPE, "operator does not exist: - %s",
                              sql_type_name(a->type));
        }
        return STRATA_OK;
    }
    }
}

/* arg IN (list): OR of equalities, NULL when nothing matched and something was NULL. */
static int eval_in_list(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_vector **out)
{
    size_t n = in->count;
    exec_vector *a;
    int rc = eval(ctx, x->kid[0], in, &a);
    if (rc) return rc;
    if (x->set) {
        exec_vector *res = &x->res;
        exec_vector_reset(res);
        uint8_t *d = res->data;
        int neg = x->e->u.in.negated;
        for (size_t i = 0; i < n; i++) {
            if (!exec_vector_is_valid(a, i)) {
                exec_vector_set_null(res, i);
                continue;
            }
            sql_value v = exec_vector_get_value(a, i);
            if (set_has(x->set, &v))
                d[i] = (uint8_t)!neg;
            else if (x->set->has_null)
                exec_vector_set_null(res, i);
            else
                d[i] = (uint8_t)neg;
        }
        *out = res;
        return STRATA_OK;
    }
    /* keep the argument: evaluating the list may reuse scratch vectors */
    exec_vector arg;
    exec_vector_init(&arg, a->type);
    exec_vector_reset(&arg);
    exec_vector_gather(&arg, 0, a, NULL, n, 0);
    uint8_t found[EXEC_VECTOR_SIZE], unknown[EXEC_VECTOR_SIZE], eq[EXEC_VECTOR_SIZE];
    memset(found, 0, n);
    memset(unknown, 0, n);
    for (int k = 1; k < x->nkid && !rc; k++) {
        exec_vector *b;
        rc = eval(ctx, x->kid[k], in, &b);
        if (rc) break;
        rc = compare_values(ctx, x, PLAN_OP_EQ, &arg, b, n, eq);
        if (rc) break;
        for (size_t i = 0; i < n; i++) {
            if (!exec_vector_is_valid(b, i))
                unknown[i] = 1;
            else
                found[i] |= eq[i];
        }
    }
    if (!rc) {
        exec_vector *res = &x->res;
        exec_vector_reset(res);
        uint8_t *d = res->data;
        int neg = x->e->u.in.negated;
        for (size_t i = 0; i < n; i++) {
            if (!exec_vector_is_valid(&arg, i) || (!found[i] && unknown[i])) {
                exec_vector_set_null(res, i);
            } else {
                d[i] = (uint8_t)(found[i] ^ neg);
            }
        }
        *out = res;
    }
    exec_vector_free(&arg);
    return rc;
}

static int eval_between(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_vector **out)
{
    size_t n = in->count;
    exec_vector *a, *lo, *hi;
    int rc = eval(ctx, x->kid[0], in, &a);
    if (rc) return rc;
    exec_vector arg;
    exec_vector_init(&arg, a->type);
    exec_vector_reset(&arg);
    exec_vector_gather(&arg, 0, a, NULL, n, 0);
    uint8_t ge[EXEC_VECTOR_SIZE], le[EXEC_VECTOR_SIZE];
    rc = eval(ctx, x->kid[1], in, &lo);
    if (!rc) rc = compare_values(ctx, x, PLAN_OP_GE, &arg, lo, n, ge);
    exec_vector lov;
    exec_vector_init(&lov, STRATA_TYPE_BOOLEAN);
    exec_vector_reset(&lov);
    if (!rc) {
        memcpy(lov.data, ge, n);
        and_validity(&lov, &arg, lo, n);
        rc = eval(ctx, x->kid[2], in, &hi);
    }
    if (!rc) rc = compare_values(ctx, x, PLAN_OP_LE, &arg, hi, n, le);
    if (!rc) {
        exec_vector hiv;
        exec_vector_init(&hiv, STRATA_TYPE_BOOLEAN);
        exec_vector_reset(&hiv);
        memcpy(hiv.data, le, n);
        and_validity(&hiv, &arg, hi, n);
        combine_logic(&x->res, 1, &lov, &hiv, n);
        exec_vector_free(&hiv);
        if (x->e->u.between.negated) {
            uint8_t *d = x->res.data;
            for (size_t i = 0; i < n; i++) d[i] = !d[i];
            zero_nulls(&x->res, n);
        }
        *out = &x->res;
    }
    exec_vector_free(&lov);
    exec_vector_free(&arg);
    return rc;
}

static int eval_case(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_vector **out)
{
    size_t n = in->count;
    exec_vector *res = &x->res;
    exec_vector_reset(res);
    /* remaining rows, as dense indexes into in */
    exec_sel_t *rem = x->idx, *pos = x->pos, *hit = x->idx + 2 * EXEC_VECTOR_SIZE;
    size_t nrem = n;
    for (size_t i = 0; i < n; i++) rem[i] = (exec_sel_t)i;
    int npairs = (x->nkid - 1) / 2;
    int rc;
    for (int p = 0; p < npairs && nrem; p++) {
        exec_chunk view;
        make_view(in, rem, nrem, pos, &view);
        exec_vector *c;
        rc = eval(ctx, x->kid[2 * p], &view, &c);
        if (rc) return rc;
        const uint8_t *cb = c->data;
        size_t nhit = 0, nkeep = 0;
        for (size_t j = 0; j < nrem; j++) {
            if (exec_vector_is_valid(c, j) && cb[j])
                hit[nhit++] = rem[j];
            else
                rem[nkeep++] = rem[j];
        }
        nrem = nkeep;
        if (!nhit) continue;
        exec_sel_t hpos[EXEC_VECTOR_SIZE];
        make_view(in, hit, nhit, hpos, &view);
        exec_vector *t;
        rc = eval(ctx, x->kid[2 * p + 1], &view, &t);
        if (rc) return rc;
        if (t->type != res->type) {
            rc = promote(ctx, t, nhit, res->type, &x->tmp[0], &t);
            if (rc) return rc;
        }
        scatter(res, t, hit, nhit);
        if (is_str_type(res->type)) {
            exec_str *d = res->data;
            for (size_t j = 0; j < nhit; j++)
                if (d[hit[j]].len > EXEC_STR_INLINE)
                    d[hit[j]] = exec_heap_str(&res->heap, d[hit[j]].u.ptr, d[hit[j]].len);
        }
    }
    if (nrem) {
        exec_chunk view;
        make_view(in, rem, nrem, pos, &view);
        exec_vector *t;
        rc = eval(ctx, x->kid[x->nkid - 1], &view, &t);
        if (rc) return rc;
        if (t->type != res->type) {
            rc = promote(ctx, t, nrem, res->type, &x->tmp[0], &t);
            if (rc) return rc;
        }
        scatter(res, t, rem, nrem);
        if (is_str_type(res->type)) {
            exec_str *d = res->data;
            for (size_t j = 0; j < nrem; j++)
                if (d[rem[j]].len > EXEC_STR_INLINE)
                    d[rem[j]] = exec_heap_str(&res->heap, d[rem[j]].u.ptr, d[rem[j]].len);
        }
    }
    *out = res;
    return STRATA_OK;
}

static int eval_cast(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_vector **out)
{
    exec_vector *a;
    int rc = eval(ctx, x->kid[0], in, &a);
    if (rc) return rc;
    if (a->type == x->type) {
        *out = a;
        return STRATA_OK;
    }
    *out = &x->res;
    return exec_cast_vector(ctx, a, in->count, &x->res);
}

/* -- functions -- */

static uint32_t utf8_len(const char *p, uint32_t n)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++) c += ((unsigned char)p[i] & 0xc0) != 0x80;
    return c;
}

/* Byte offset of the character number ch (0-based) in p[0..n). */
static uint32_t utf8_offset(const char *p, uint32_t n, int64_t ch)
{
    uint32_t i = 0;
    while (i < n && ch > 0) {
        i++;
        while (i < n && ((unsigned char)p[i] & 0xc0) == 0x80) i++;
        ch--;
    }
    return i;
}

static int in_set(char c, const char *set, uint32_t n)
{
    return memchr(set, c, n) != NULL;
}

static int eval_func(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_vector **out)
{
    size_t n = in->count;
    int fn = x->e->u.func.fn;
    exec_vector *a[4] = {0};
    exec_vector keep[4];
    int nk = x->nkid < 4 ? x->nkid : 4;
    int rc = STRATA_OK;
    /* evaluate the arguments, keeping copies (later kids may share scratch) */
    for (int i = 0; i < nk; i++) {
        exec_vector *v;
        rc = eval(ctx, x->kid[i], in, &v);
        if (rc) {
            for (int j = 0; j < i; j++) exec_vector_free(&keep[j]);
            return rc;
        }
        exec_vector_init(&keep[i], v->type);
        exec_vector_reset(&keep[i]);
        exec_vector_gather(&keep[i], 0, v, NULL, n, 0);
        a[i] = &keep[i];
    }
    exec_vector *res = &x->res;
    exec_vector_reset(res);
    *out = res;
    switch (fn) {
    case PLAN_FN_NOW: {
        sql_value v = sql_int(STRATA_TYPE_TIMESTAMP, ctx->now_us);
        if (res->type != STRATA_TYPE_TIMESTAMP) {
            rc = exec_cast_value(ctx, &v, res->type, &res->heap, &v);
            if (rc) break;
        }
        broadcast(res, &v, n);
        break;
    }
    case PLAN_FN_COALESCE:
    case PLAN_FN_NULLIF:
    case PLAN_FN_ABS:
    case PLAN_FN_ROUND:
        for (size_t i = 0; i < n && !rc; i++) {
            sql_value v = sql_null(res->type);
            if (fn == PLAN_FN_COALESCE) {
                for (int k = 0; k < nk; k++) {
                    if (exec_vector_is_valid(a[k], i)) {
                        v = exec_vector_get_value(a[k], i);
                        break;
                    }
                }
            } else if (nk >= 1 && exec_vector_is_valid(a[0], i)) {
                v = exec_vector_get_value(a[0], i);
                if (fn == PLAN_FN_NULLIF) {
                    if (nk >= 2 && exec_vector_is_valid(a[1], i)) {
                        sql_value w = exec_vector_get_value(a[1], i);
                        if (exec_value_cmp(&v, &w) == 0) v = sql_null(res->type);
                    }
                } else if (fn == PLAN_FN_ABS) {
                    if (v.type == STRATA_TYPE_DOUBLE) {
                        v.u.d = fabs(v.u.d);
                    } else if ((v.type == STRATA_TYPE_INT && v.u.i == INT32_MIN) ||
                               v.u.i == INT64_MIN) {
                        rc = exec_error(ctx, STRATA_RANGE, "integer overflow");
                    } else if (v.u.i < 0) {
                        v.u.i = -v.u.i;
                    }
                } else { /* ROUND */
                    if (v.type == STRATA_TYPE_DOUBLE) {
                        int64_t digits = 0;
                        if (nk >= 2) {
                            if (!exec_vector_is_valid(a[1], i)) {
                                v = sql_null(res->type);
                                goto put;
                            }
                            sql_value dg = exec_vector_get_value(a[1], i);
                            digits = dg.type == STRATA_TYPE_DOUBLE ? (int64_t)dg.u.d : dg.u.i;
                        }
                        double s = pow(10.0, (double)digits);
                        double r = round(v.u.d * s) / s;
                        v.u.d = isfinite(r) ? r : v.u.d;
                    }
                }
            }
        put:
            if (!rc && !v.is_null && v.type != res->type) {
                rc = exec_cast_value(ctx, &v, res->type, &res->heap, &v);
            }
            if (!rc) exec_vector_set_value(res, i, &v);
        }
        break;
    default: { /* text functions */
        for (size_t i = 0; i < n && !rc; i++) {
            int null = 0;
            for (int k = 0; k < nk; k++) null |= !exec_vector_is_valid(a[k], i);
            if (null || nk == 0) {
                exec_vector_set_null(res, i);
                continue;
            }
            sql_value s = exec_vector_get_value(a[0], i);
            if (s.type != STRATA_TYPE_TEXT && s.type != STRATA_TYPE_BLOB) {
                rc = exec_cast_value(ctx, &s, STRATA_TYPE_TEXT, &res->heap, &s);
                if (rc) break;
            }
            const char *p = s.u.s.p;
            uint32_t len = s.u.s.n;
            sql_value r;
            switch (fn) {
            case PLAN_FN_LENGTH:
                r = sql_int(STRATA_TYPE_BIGINT,
                            s.type == STRATA_TYPE_BLOB ? len : utf8_len(p, len));
                break;
            case PLAN_FN_LOWER:
            case PLAN_FN_UPPER: {
                char *q = exec_heap_alloc(&res->heap, len ? len : 1);
                for (uint32_t j = 0; j < len; j++) {
                    char c = p[j];
                    if (fn == PLAN_FN_LOWER && c >= 'A' && c <= 'Z') c = (char)(c + 32);
                    if (fn == PLAN_FN_UPPER && c >= 'a' && c <= 'z') c = (char)(c - 32);
                    q[j] = c;
                }
                r = sql_text(STRATA_TYPE_TEXT, q, len);
                break;
            }
            case PLAN_FN_SUBSTR: {
                sql_value st = exec_vector_get_value(a[1], i);
                int64_t start = st.type == STRATA_TYPE_DOUBLE ? (int64_t)st.u.d : st.u.i;
                int64_t nchars = utf8_len(p, len);
                int64_t cnt = INT64_MAX / 4;
                if (nk >= 3) {
                    sql_value c = exec_vector_get_value(a[2], i);
                    cnt = c.type == STRATA_TYPE_DOUBLE ? (int64_t)c.u.d : c.u.i;
                    if (cnt < 0) {
                        rc = exec_error(ctx, STRATA_RANGE, "negative substring length");
                        break;
                    }
                }
                /* SQL: characters start .. start+cnt-1 (1-based); before 1 is cut */
                int64_t from = start - 1, to = from + cnt;
                if (start < 0 && nk < 3) { /* SQLite: negative start counts from the end */
                    from = nchars + start;
                    to = nchars;
                }
                if (from < 0) from = 0;
                if (to > nchars) to = nchars;
                if (to < from) to = from;
                uint32_t b0 = utf8_offset(p, len, from), b1 = utf8_offset(p, len, to);
                r = sql_text(STRATA_TYPE_TEXT, p + b0, b1 - b0);
                break;
            }
            case PLAN_FN_TRIM:
            case PLAN_FN_LTRIM:
            case PLAN_FN_RTRIM: {
                const char *set = " ";
                uint32_t setn = 1;
                if (nk >= 2) {
                    sql_value cs = exec_vector_get_value(a[1], i);
                    set = cs.u.s.p;
                    setn = cs.u.s.n;
                }
                uint32_t b0 = 0, b1 = len;
                if (fn != PLAN_FN_RTRIM)
                    while (b0 < b1 && in_set(p[b0], set, setn)) b0++;
                if (fn != PLAN_FN_LTRIM)
                    while (b1 > b0 && in_set(p[b1 - 1], set, setn)) b1--;
                r = sql_text(STRATA_TYPE_TEXT, p + b0, b1 - b0);
                break;
            }
            case PLAN_FN_REPLACE: {
                sql_value f = exec_vector_get_value(a[1], i), t = exec_vector_get_value(a[2], i);
                if (f.u.s.n == 0) {
                    r = s;
                    break;
                }
                size_t cap = len + 1, outn = 0;
                for (uint32_t j = 0; j + f.u.s.n <= len;) {
                    if (memcmp(p + j, f.u.s.p, f.u.s.n) == 0) {
                        cap += t.u.s.n;
                        j += f.u.s.n;
                    } else {
                        j++;
                    }
                }
                char *q = exec_heap_alloc(&res->heap, cap);
                for (uint32_t j = 0; j < len;) {
                    if (j + f.u.s.n <= len && memcmp(p + j, f.u.s.p, f.u.s.n) == 0) {
                        memcpy(q + outn, t.u.s.p, t.u.s.n);
                        outn += t.u.s.n;
                        j += f.u.s.n;
                    } else {
                        q[outn++] = p[j++];
                    }
                }
                r = sql_text(STRATA_TYPE_TEXT, q, (uint32_t)outn);
                break;
            }
            case PLAN_FN_LIKE_ESCAPE: {
                sql_value pat = exec_vector_get_value(a[1], i),
                          esc = exec_vector_get_value(a[2], i);
                if (esc.u.s.n == 0 || utf8_len(esc.u.s.p, esc.u.s.n) != 1) {
                    rc = exec_error(ctx, STRATA_ERROR,
                                    "ESCAPE expression must be a single character, not '%.*s'",
                                    (int)(esc.u.s.n > 16 ? 16 : esc.u.s.n), esc.u.s.p);
                    r = sql_null(res->type);
                    break;
                }
                r = sql_int(STRATA_TYPE_BOOLEAN,
                            exec_like_escape(p, len, pat.u.s.p, pat.u.s.n, esc.u.s.p, esc.u.s.n));
                break;
            }
            default:
                rc = exec_error(ctx, STRATA_NOTSUP, "function %d not supported", fn);
                r = sql_null(res->type);
                break;
            }
            if (rc) break;
            if (r.type != res->type) {
                rc = exec_cast_value(ctx, &r, res->type, &res->heap, &r);
                if (rc) break;
            }
            exec_vector_set_value(res, i, &r);
        }
        break;
    }
    }
    for (int i = 0; i < nk; i++) exec_vector_free(&keep[i]);
    return rc;
}

/* -- subqueries -- */

static uint64_t value_hash(const sql_value *v)
{
    if (v->is_null) return 0x9e3779b97f4a7c15ULL;
    switch (v->type) {
    case STRATA_TYPE_DOUBLE: {
        double d = v->u.d;
        if (d == (double)(int64_t)d) return st_hash_u64((uint64_t)(int64_t)d);
        uint64_t b;
        memcpy(&b, &d, 8);
        return st_hash_u64(b ^ 0x5555);
    }
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB:
        return st_hash64(v->u.s.p, v->u.s.n);
    default:
        return st_hash_u64((uint64_t)v->u.i);
    }
}

static int set_add(struct sub_set *s, exec_heap *h, const sql_value *v)
{
    if (v->is_null || v->type == STRATA_TYPE_NULL) {
        s->has_null = 1;
        return 0;
    }
    if ((s->n + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        uint64_t *nh = xcalloc(ncap, sizeof *nh);
        sql_value *nv = xcalloc(ncap, sizeof *nv);
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->hashes[i]) continue;
            size_t j = s->hashes[i] & (ncap - 1);
            while (nh[j]) j = (j + 1) & (ncap - 1);
            nh[j] = s->hashes[i];
            nv[j] = s->vals[i];
        }
        free(s->hashes);
        free(s->vals);
        s->hashes = nh;
        s->vals = nv;
        s->cap = ncap;
    }
    uint64_t hv = value_hash(v) | 1;
    size_t j = hv & (s->cap - 1);
    while (s->hashes[j]) {
        if (s->hashes[j] == hv && exec_value_cmp(&s->vals[j], v) == 0) return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->hashes[j] = hv;
    sql_value c = *v;
    if (is_str_type(c.type) && c.u.s.n) {
        char *p = exec_heap_alloc(h, c.u.s.n);
        memcpy(p, c.u.s.p, c.u.s.n);
        c.u.s.p = p;
    }
    s->vals[j] = c;
    s->n++;
    return 0;
}

static int set_has(const struct sub_set *s, const sql_value *v)
{
    if (!s->cap) return 0;
    uint64_t hv = value_hash(v) | 1;
    size_t j = hv & (s->cap - 1);
    while (s->hashes[j]) {
        if (s->hashes[j] == hv && exec_value_cmp(&s->vals[j], v) == 0) return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

/* Runs the subquery tree once (outer frames already pushed): scalar/EXISTS → x->sub_val;
 * IN → x->set (rebuilt). */
static int run_sub(exec_ctx *ctx, exec_expr *x)
{
    int kind = x->e->u.sub.kind;
    int rc = exec_open(x->sub, ctx);
    int seen = 0;
    sql_value val = sql_null(x->type);
    if (kind == PLAN_SUB_IN) {
        set_free(x->set);
        x->set = xcalloc(1, sizeof *x->set);
    }
    while (!rc) {
        exec_chunk *c;
        rc = exec_next(x->sub, ctx, &c);
        if (rc || c->count == 0) break;
        if (kind == PLAN_SUB_EXISTS) {
            seen = 1;
            break;
        }
        if (kind == PLAN_SUB_SCALAR) {
            if (seen || c->count > 1) {
                rc = exec_error(ctx, STRATA_ERROR,
                                "more than one row returned by a subquery used as an expression");
                break;
            }
            seen = 1;
            val = exec_vector_get_value(&c->cols[0], exec_chunk_row(c, 0));
            if (is_str_type(val.type) && !val.is_null) {
                char *p = exec_heap_alloc(&x->sub_heap, val.u.s.n ? val.u.s.n : 1);
                memcpy(p, val.u.s.p, val.u.s.n);
                val.u.s.p = p;
            }
            continue;
        }
        for (size_t i = 0; i < c->count; i++) {
            sql_value v = exec_vector_get_value(&c->cols[0], exec_chunk_row(c, i));
            set_add(x->set, &x->sub_heap, &v);
        }
    }
    exec_close(x->sub, ctx);
    if (rc) return rc;
    if (kind == PLAN_SUB_EXISTS) val = sql_int(STRATA_TYPE_BOOLEAN, seen);
    if (kind == PLAN_SUB_SCALAR && !val.is_null && val.type != x->type && x->type) {
        rc = exec_cast_value(ctx, &val, x->type, &x->sub_heap, &val);
        if (rc) return rc;
    }
    x->sub_val = val;
    return STRATA_OK;
}

/* The IN result for one lhs value against x->set. */
static sql_value in_result(const exec_expr *x, const sql_value *lhs)
{
    int neg = x->e->u.sub.negated;
    if (x->set->n == 0 && !x->set->has_null) return sql_int(STRATA_TYPE_BOOLEAN, neg);
    if (lhs->is_null) return sql_null(STRATA_TYPE_BOOLEAN);
    if (set_has(x->set, lhs)) return sql_int(STRATA_TYPE_BOOLEAN, !neg);
    if (x->set->has_null) return sql_null(STRATA_TYPE_BOOLEAN);
    return sql_int(STRATA_TYPE_BOOLEAN, neg);
}

/* memo: serialized outer values (+ lhs) → result value */
static void key_append(char **buf, size_t *len, size_t *cap, const sql_value *v)
{
    char tmp[16];
    size_t add;
    const void *src;
    uint8_t tag = v->is_null ? 0xff : v->type;
    if (v->is_null) {
        add = 0;
        src = NULL;
    } else if (is_str_type(v->type)) {
        add = v->u.s.n;
        src = v->u.s.p;
    } else {
        memcpy(tmp, &v->u, 8);
        add = 8;
        src = tmp;
    }
    if (*len + add + 5 > *cap) {
        *cap = (*len + add + 5) * 2;
        *buf = realloc(*buf, *cap);
        if (!*buf) abort();
    }
    (*buf)[(*len)++] = (char)tag;
    uint32_t n32 = (uint32_t)add;
    memcpy(*buf + *len, &n32, 4);
    *len += 4;
    if (add) memcpy(*buf + *len, src, add);
    *len += add;
}

static struct memo_entry *memo_find(struct memo *m, const char *key, size_t klen, uint64_t h,
                                    int insert)
{
    if (insert && (m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        struct memo_entry *ne = xcalloc(ncap, sizeof *ne);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->e[i].used) continue;
            size_t j = m->e[i].h & (ncap - 1);
            while (ne[j].used) j = (j + 1) & (ncap - 1);
            ne[j] = m->e[i];
        }
        free(m->e);
        m->e = ne;
        m->cap = ncap;
    }
    if (!m->cap) return NULL;
    size_t j = h & (m->cap - 1);
    while (m->e[j].used) {
        if (m->e[j].h == h && m->e[j].klen == klen && memcmp(m->e[j].key, key, klen) == 0)
            return &m->e[j];
        j = (j + 1) & (m->cap - 1);
    }
    if (!insert) return NULL;
    m->e[j].used = 1;
    m->e[j].h = h;
    m->e[j].key = arena_alloc(&m->a, klen ? klen : 1);
    memcpy(m->e[j].key, key, klen);
    m->e[j].klen = klen;
    m->n++;
    return &m->e[j];
}

static int eval_subquery(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_vector **out)
{
    size_t n = in->count;
    int kind = x->e->u.sub.kind;
    exec_vector *res = &x->res;
    exec_vector *lhs = NULL;
    int rc;
    exec_vector lkeep;
    exec_vector_init(&lkeep, STRATA_TYPE_NULL);
    if (kind == PLAN_SUB_IN) {
        rc = eval(ctx, x->kid[0], in, &lhs);
        if (rc) return rc;
        exec_vector_free(&lkeep);
        exec_vector_init(&lkeep, lhs->type);
        exec_vector_reset(&lkeep);
        exec_vector_gather(&lkeep, 0, lhs, NULL, n, 0);
        lhs = &lkeep;
    }
    *out = res;
    if (!x->e->u.sub.correlated) {
        if (x->sub_done != ctx->run + 1) {
            rc = run_sub(ctx, x);
            if (rc) goto out;
            x->sub_done = ctx->run + 1;
        }
        if (kind != PLAN_SUB_IN) {
            sql_value v = x->sub_val;
            if (kind == PLAN_SUB_EXISTS && x->e->u.sub.negated) v.u.i = !v.u.i;
            broadcast(res, &v, n);
            rc = STRATA_OK;
            goto out;
        }
        exec_vector_reset(res);
        for (size_t i = 0; i < n; i++) {
            sql_value l = exec_vector_get_value(lhs, i);
            sql_value r = in_result(x, &l);
            exec_vector_set_value(res, i, &r);
        }
        rc = STRATA_OK;
        goto out;
    }
    /* correlated: once per row, memoised on the outer values it reads */
    if (ctx->nouter >= EXEC_MAX_OUTER) {
        rc = exec_error(ctx, STRATA_ERROR, "subqueries nested too deeply");
        goto out;
    }
    exec_vector_reset(res);
    if (x->memo && x->memo_run != ctx->run) { /* a new execution: the data may differ */
        memo_free(x->memo);
        x->memo = NULL;
    }
    x->memo_run = ctx->run;
    if (x->memo_ok && !x->memo) {
        x->memo = xcalloc(1, sizeof *x->memo);
        arena_init(&x->memo->a, 4096);
    }
    char *kbuf = NULL;
    size_t kcap = 0;
    rc = STRATA_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        size_t row = exec_chunk_row(in, i);
        sql_value l = lhs ? exec_vector_get_value(lhs, i) : sql_null(STRATA_TYPE_NULL);
        struct memo_entry *me = NULL;
        size_t klen = 0;
        uint64_t h = 0;
        if (x->memo) {
            for (int k = 0; k < x->nouter_cols; k++) {
                int c = x->outer_cols[k];
                sql_value ov = c < in->ncols ? exec_vector_get_value(&in->cols[c], row)
                                             : sql_null(STRATA_TYPE_NULL);
                key_append(&kbuf, &klen, &kcap, &ov);
            }
            if (lhs) key_append(&kbuf, &klen, &kcap, &l);
            h = st_hash64(kbuf ? kbuf : "", klen);
            me = memo_find(x->memo, kbuf ? kbuf : "", klen, h, 0);
            if (me) {
                exec_vector_set_value(res, i, &me->val);
                continue;
            }
        }
        ctx->outer[ctx->nouter].chunk = in;
        ctx->outer[ctx->nouter].row = row;
        ctx->nouter++;
        rc = run_sub(ctx, x);
        ctx->nouter--;
        if (rc) break;
        sql_value r;
        if (kind == PLAN_SUB_IN) {
            r = in_result(x, &l);
        } else {
            r = x->sub_val;
            if (kind == PLAN_SUB_EXISTS && x->e->u.sub.negated) r.u.i = !r.u.i;
        }
        exec_vector_set_value(res, i, &r);
        if (x->memo) {
            me = memo_find(x->memo, kbuf ? kbuf : "", klen, h, 1);
            me->val = r;
            if (is_str_type(r.type) && !r.is_null) {
                char *p = arena_alloc(&x->memo->a, r.u.s.n ? r.u.s.n : 1);
                memcpy(p, r.u.s.p, r.u.s.n);
                me->val.u.s.p = p;
            }
        }
    }
    free(kbuf);
out:
    exec_vector_free(&lkeep);
    return rc;
}

static int eval(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_vector **out)
{
    const plan_expr *e = x->e;
    switch (e->kind) {
    case PEX_COLUMN:
        return eval_column(ctx, x, in, out);
    case PEX_CONST:
        broadcast(&x->res, &e->u.value, in->count);
        *out = &x->res;
        return STRATA_OK;
    case PEX_PARAM: {
        sql_value v;
        exec_heap_reset(&x->sub_heap);
        int rc = get_param(ctx, e, &x->sub_heap, &v);
        if (rc) return rc;
        if (x->res.type != v.type && e->type == STRATA_TYPE_NULL) {
            exec_vector_free(&x->res);
            exec_vector_init(&x->res, v.type);
        }
        broadcast(&x->res, &v, in->count);
        *out = &x->res;
        return STRATA_OK;
    }
    case PEX_OUTER: {
        sql_value v;
        int rc = get_outer(ctx, e, &v);
        if (rc) return rc;
        if (!v.is_null && v.type != x->type) {
            rc = exec_cast_value(ctx, &v, x->type, &x->sub_heap, &v);
            if (rc) return rc;
        }
        broadcast(&x->res, &v, in->count);
        *out = &x->res;
        return STRATA_OK;
    }
    case PEX_UNARY:
        return eval_unary(ctx, x, in, out);
    case PEX_BINARY:
        return eval_binary(ctx, x, in, out);
    case PEX_IN_LIST:
        return eval_in_list(ctx, x, in, out);
    case PEX_BETWEEN:
        return eval_between(ctx, x, in, out);
    case PEX_CASE:
        return eval_case(ctx, x, in, out);
    case PEX_CAST:
        return eval_cast(ctx, x, in, out);
    case PEX_FUNC:
        return eval_func(ctx, x, in, out);
    case PEX_SUBQUERY:
        return eval_subquery(ctx, x, in, out);
    }
    return exec_error(ctx, STRATA_ERROR, "unknown expression kind %d", e->kind);
}

int exec_expr_eval(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_vector **out)
{
    return eval(ctx, x, in, out);
}

/* ---- filters ---- */

#define SEL_CMP_LOOP(T, CV)                                                                        \
    do {                                                                                           \
        const T *a = v->data;                                                                      \
        T c = (T)(CV);                                                                             \
        switch (op) {                                                                              \
        case PLAN_OP_EQ:                                                                           \
            for (size_t i = 0; i < cnt; i++) {                                                     \
                size_t p = in->sel ? in->sel[i] : i;                                               \
                sel[k] = (exec_sel_t)p;                                                            \
                k += a[p] == c;                                                                    \
            }                                                                                      \
            break;                                                                                 \
        case PLAN_OP_NE:                                                                           \
            for (size_t i = 0; i < cnt; i++) {                                                     \
                size_t p = in->sel ? in->sel[i] : i;                                               \
                sel[k] = (exec_sel_t)p;                                                            \
                k += a[p] != c;                                                                    \
            }                                                                                      \
            break;                                                                                 \
        case PLAN_OP_LT:                                                                           \
            for (size_t i = 0; i < cnt; i++) {                                                     \
                size_t p = in->sel ? in->sel[i] : i;                                               \
                sel[k] = (exec_sel_t)p;                                                            \
                k += a[p] < c;                                                                     \
            }                                                                                      \
            break;                                                                                 \
        case PLAN_OP_LE:                                                                           \
            for (size_t i = 0; i < cnt; i++) {                                                     \
                size_t p = in->sel ? in->sel[i] : i;                                               \
                sel[k] = (exec_sel_t)p;                                                            \
                k += a[p] <= c;                                                                    \
            }                                                                                      \
            break;                                                                                 \
        case PLAN_OP_GT:                                                                           \
            for (size_t i = 0; i < cnt; i++) {                                                     \
                size_t p = in->sel ? in->sel[i] : i;                                               \
                sel[k] = (exec_sel_t)p;                                                            \
                k += a[p] > c;                                                                     \
            }                                                                                      \
            break;                                                                                 \
        default:                                                                                   \
            for (size_t i = 0; i < cnt; i++) {                                                     \
                size_t p = in->sel ? in->sel[i] : i;                                               \
                sel[k] = (exec_sel_t)p;                                                            \
                k += a[p] >= c;                                                                    \
            }                                                                                      \
            break;                                                                                 \
        }                                                                                          \
    } while (0)

/* column <op> integer constant over an integer column: no intermediate vectors. */
static int select_fast(const exec_expr *x, const exec_chunk *in, exec_sel_t *sel, size_t *n)
{
    const plan_expr *e = x->e;
    if (e->kind != PEX_BINARY || e->u.binary.op < PLAN_OP_EQ || e->u.binary.op > PLAN_OP_GE)
        return 0;
    const plan_expr *l = e->u.binary.l, *r = e->u.binary.r;
    int op = e->u.binary.op;
    if (l->kind == PEX_CONST && r->kind == PEX_COLUMN) {
        const plan_expr *t = l;
        l = r;
        r = t;
        static const int flip[] = {
            [PLAN_OP_EQ] = PLAN_OP_EQ, [PLAN_OP_NE] = PLAN_OP_NE, [PLAN_OP_LT] = PLAN_OP_GT,
            [PLAN_OP_LE] = PLAN_OP_GE, [PLAN_OP_GT] = PLAN_OP_LT, [PLAN_OP_GE] = PLAN_OP_LE};
        op = flip[op];
    }
    if (l->kind != PEX_COLUMN || r->kind != PEX_CONST || r->u.value.is_null) return 0;
    const exec_vector *v = &in->cols[l->u.col.index];
    if (v->validity) return 0;
    int ct = r->u.value.type;
    size_t cnt = in->count, k = 0;
    if (v->type == STRATA_TYPE_BIGINT && sql_type_is_integer(ct)) {
        SEL_CMP_LOOP(int64_t, r->u.value.u.i);
    } else if (v->type == STRATA_TYPE_INT && sql_type_is_integer(ct) &&
               r->u.value.u.i >= INT32_MIN && r->u.value.u.i <= INT32_MAX) {
        SEL_CMP_LOOP(int32_t, r->u.value.u.i);
    } else if (v->type == STRATA_TYPE_DOUBLE && ct == STRATA_TYPE_DOUBLE) {
        SEL_CMP_LOOP(double, r->u.value.u.d);
    } else if (v->type == STRATA_TYPE_TIMESTAMP && ct == STRATA_TYPE_TIMESTAMP) {
        SEL_CMP_LOOP(int64_t, r->u.value.u.i);
    } else {
        return 0;
    }
    *n = k;
    return 1;
}

int exec_expr_select(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_sel_t *sel, size_t *n)
{
    if (in->count == 0) {
        *n = 0;
        return STRATA_OK;
    }
    if (select_fast(x, in, sel, n)) return STRATA_OK;
    if (x->e->kind == PEX_BINARY && x->e->u.binary.op == PLAN_OP_AND) {
        /* narrow by the left side, then the right side over the survivors only */
        size_t k;
        exec_sel_t tmp[EXEC_VECTOR_SIZE];
        int rc = exec_expr_select(ctx, x->kid[0], in, tmp, &k);
        if (rc) return rc;
        exec_chunk view = *in;
        view.sel = tmp;
        view.count = k;
        view.own_sel = NULL;
        return exec_expr_select(ctx, x->kid[1], &view, sel, n);
    }
    exec_vector *v;
    int rc = eval(ctx, x, in, &v);
    if (rc) return rc;
    const uint8_t *d = v->data;
    size_t k = 0, cnt = in->count;
    if (!v->validity) {
        for (size_t i = 0; i < cnt; i++) {
            sel[k] = (exec_sel_t)(in->sel ? in->sel[i] : i);
            k += d[i] != 0;
        }
    } else {
        for (size_t i = 0; i < cnt; i++) {
            sel[k] = (exec_sel_t)(in->sel ? in->sel[i] : i);
            k += d[i] != 0 && exec_vector_is_valid(v, i);
        }
    }
    *n = k;
    return STRATA_OK;
}

int exec_expr_eval_value(exec_ctx *ctx, const plan_expr *e, exec_heap *h, sql_value *out)
{
    if (e->kind == PEX_CONST) {
        *out = e->u.value;
        return STRATA_OK;
    }
    if (e->kind == PEX_PARAM) return get_param(ctx, e, h, out);
    exec_expr *x;
    int rc = exec_expr_compile(ctx, e, &x);
    if (rc) return rc;
    /* one row of no columns */
    exec_chunk one;
    memset(&one, 0, sizeof one);
    one.count = 1;
    exec_vector *v;
    rc = eval(ctx, x, &one, &v);
    if (!rc) {
        sql_value r = exec_vector_get_value(v, 0);
        if (is_str_type(r.type) && !r.is_null) {
            char *p = exec_heap_alloc(h, r.u.s.n ? r.u.s.n : 1);
            memcpy(p, r.u.s.p, r.u.s.n);
            r.u.s.p = p;
        }
        *out = r;
    }
    exec_expr_free(x);
    return rc;
}
