/* exec/planner.c — logical plan → operator tree.
 *
 * Rewrites (on copies in the statement arena; the bound plan is never changed):
 *   - a filter's conjuncts move down to the tables they read: through inner and cross joins
 *     (conjuncts reading both sides become the join condition, so comma joins with WHERE
 *     equalities become hash joins), into the left side of left/semi/anti/mark joins, and into
 *     scans, where equality on every primary-key column becomes one get and comparisons on
 *     the first primary-key column become a key range (per-vnode seeks);
 *   - conjuncts holding a subquery stay where they are.
 * Operators: ORDER BY + LIMIT becomes TOP_N; DELETE without WHERE one range delete.
 * Subqueries: uncorrelated ones are run once per execution; correlated ones once per distinct
 * outer row (memoised) — see expr.c. (Unnesting into joins is not done yet.)
 */
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "exec/op.h"

#define MAX_CONJ 256

static plan_node *copy_node(exec_ctx *ctx, const plan_node *p)
{
    plan_node *c = arena_alloc(&ctx->arena, sizeof *c);
    *c = *p;
    return c;
}

static plan_node *rewrite(exec_ctx *ctx, const plan_node *p);
static plan_node *prune(exec_ctx *ctx, plan_node *c);
static plan_node *make_filter(exec_ctx *ctx, plan_node *child, plan_expr *cond);

/* column index of e if it is a plain column reference, else -1 */
static int col_of(const plan_expr *e)
{
    return e && e->kind == PEX_COLUMN ? e->u.col.index : -1;
}

static int flip_op(int op)
{
    switch (op) {
    case PLAN_OP_LT:
        return PLAN_OP_GT;
    case PLAN_OP_LE:
        return PLAN_OP_GE;
    case PLAN_OP_GT:
        return PLAN_OP_LT;
    case PLAN_OP_GE:
        return PLAN_OP_LE;
    default:
        return op;
    }
}

/* Moves conjuncts into a scan: pk equality / first-column range, the rest as its filter. */
static plan_node *filter_into_scan(exec_ctx *ctx, const plan_node *scan, plan_expr **conj, int n)
{
    plan_node *s = copy_node(ctx, scan);
    const cat_table *t = s->u.scan.table;
    plan_expr *rest[MAX_CONJ];
    int nrest = 0;
    if (s->u.scan.filter) nrest = exec_conjuncts(s->u.scan.filter, rest, 0, MAX_CONJ);
    plan_expr **eq = NULL;
    int npk = t && !t->has_rowid ? (int)t->npk : 0;
    if (npk) {
        eq = arena_alloc(&ctx->arena, sizeof(plan_expr *) * (size_t)npk);
        memset(eq, 0, sizeof(plan_expr *) * (size_t)npk);
        if (s->u.scan.pk_eq) memcpy(eq, s->u.scan.pk_eq, sizeof(plan_expr *) * (size_t)npk);
    }
    for (int i = 0; i < n; i++) {
        plan_expr *e = conj[i];
        int used = 0;
        if (npk && e->kind == PEX_BINARY && e->u.binary.op >= PLAN_OP_EQ &&
            e->u.binary.op <= PLAN_OP_GE && e->u.binary.op != PLAN_OP_NE) {
            int op = e->u.binary.op;
            plan_expr *c = e->u.binary.l, *v = e->u.binary.r;
            if (col_of(c) < 0) {
                c = e->u.binary.r;
                v = e->u.binary.l;
                op = flip_op(op);
            }
            int oc = col_of(c);
            /* the value side must not read the row; its type must be the column's (the key
             * encoding is typed), or an integer for an integer column */
            if (oc >= 0 && (exec_expr_sides(v, 0) & 3) == 0 &&
                (v->type == c->type ||
                 (sql_type_is_integer(v->type) && sql_type_is_integer(c->type)))) {
                int tcol = s->u.scan.cols[oc];
                int pos = t->cols[tcol].pk_pos;
                if (pos >= 0 && op == PLAN_OP_EQ && !eq[pos]) {
                    eq[pos] = v;
                    used = 1;
                } else if (pos == 0 && op != PLAN_OP_EQ) {
                    if ((op == PLAN_OP_GT || op == PLAN_OP_GE) && !s->u.scan.pk_lo) {
                        s->u.scan.pk_lo = v;
                        s->u.scan.pk_lo_incl = op == PLAN_OP_GE;
                        used = 1;
                    } else if ((op == PLAN_OP_LT || op == PLAN_OP_LE) && !s->u.scan.pk_hi) {
                        s->u.scan.pk_hi = v;
                        s->u.scan.pk_hi_incl = op == PLAN_OP_LE;
                        used = 1;
                    }
                }
            }
        }
        if (!used && npk == 1 && !s->u.scan.pk_in && e->kind == PEX_IN_LIST && !e->u.in.negated &&
            col_of(e->u.in.arg) >= 0 && e->u.in.n > 0 && e->u.in.n <= 100000 &&
            t->cols[s->u.scan.cols[col_of(e->u.in.arg)]].pk_pos == 0) {
            int ok = 1;
            for (int k = 0; k < e->u.in.n && ok; k++)
                ok = (exec_expr_sides(e->u.in.list[k], 0) & 7) == 0;
            if (ok) {
                s->u.scan.pk_in = e;
                used = 1;
            }
        }
        /* a bound used for the key is still checked by the filter (types, NULLs): cheap */
        if (nrest < MAX_CONJ) rest[nrest++] = e;
        (void)used;
    }
    int all = npk > 0;
    for (int i = 0; i < npk; i++) all &= eq[i] != NULL;
    s->u.scan.pk_eq = all ? eq : NULL;
    s->u.scan.filter = exec_and_all(&ctx->arena, rest, nrest);
    return s;
}

static plan_node *make_filter(exec_ctx *ctx, plan_node *child, plan_expr *cond)
{
    plan_node *f = arena_alloc(&ctx->arena, sizeof *f);
    memset(f, 0, sizeof *f);
    f->kind = PLAN_FILTER;
    f->ncols = child->ncols;
    f->types = child->types;
    f->names = child->names;
    f->left = child;
    f->u.filter.cond = cond;
    return f;
}

/* FILTER(conj) over child, pushed as far as it goes. */
static plan_node *push_filter(exec_ctx *ctx, plan_node *child, plan_expr **conj, int n)
{
    if (n == 0) return child;
    if (child->kind == PLAN_SCAN || child->kind == PLAN_SYSSCAN) {
        plan_expr *movable[MAX_CONJ], *stay[MAX_CONJ];
        int nm = 0, ns = 0;
        for (int i = 0; i < n; i++) {
            if (exec_expr_sides(conj[i], 1 << 30) & 4)
                stay[ns++] = conj[i];
            else
                movable[nm++] = conj[i];
        }
        plan_node *s = nm ? filter_into_scan(ctx, child, movable, nm) : child;
        if (!ns) return s;
        return make_filter(ctx, s, exec_and_all(&ctx->arena, stay, ns));
    }
    if (child->kind == PLAN_JOIN) {
        int jt = child->u.join.type;
        int nl = child->left->ncols;
        plan_expr *lc[MAX_CONJ], *rc[MAX_CONJ], *jc[MAX_CONJ], *stay[MAX_CONJ];
        int nlc = 0, nrc = 0, njc = 0, ns = 0;
        for (int i = 0; i < n; i++) {
            int s = exec_expr_sides(conj[i], nl);
            if (s & 4) {
                stay[ns++] = conj[i];
            } else if (s == 1 || s == 0) {
                lc[nlc++] = conj[i];
            } else if (s == 2 && (jt == PLAN_JOIN_INNER || jt == PLAN_JOIN_CROSS)) {
                rc[nrc++] = exec_expr_remap(&ctx->arena, conj[i], nl, NULL);
            } else if (s == 3 && (jt == PLAN_JOIN_INNER || jt == PLAN_JOIN_CROSS)) {
                jc[njc++] = conj[i];
            } else {
                stay[ns++] = conj[i];
            }
        }
        plan_node *j = copy_node(ctx, child);
        if (nlc) j->left = push_filter(ctx, j->left, lc, nlc);
        if (nrc) j->right = push_filter(ctx, j->right, rc, nrc);
        if (njc) {
            plan_expr *all[MAX_CONJ];
            int na = exec_conjuncts(j->u.join.cond, all, 0, MAX_CONJ);
            for (int i = 0; i < njc && na < MAX_CONJ; i++) all[na++] = jc[i];
            j->u.join.cond = exec_and_all(&ctx->arena, all, na);
            if (jt == PLAN_JOIN_CROSS) j->u.join.type = PLAN_JOIN_INNER;
        }
        if (!ns) return j;
        return make_filter(ctx, j, exec_and_all(&ctx->arena, stay, ns));
    }
    if (child->kind == PLAN_FILTER) {
        plan_expr *all[MAX_CONJ];
        int na = exec_conjuncts(child->u.filter.cond, all, 0, MAX_CONJ);
        for (int i = 0; i < n && na < MAX_CONJ; i++) all[na++] = conj[i];
        if (child->left->kind == PLAN_SCAN || child->left->kind == PLAN_JOIN)
            return push_filter(ctx, child->left, all, na);
        return make_filter(ctx, child->left, exec_and_all(&ctx->arena, all, na));
    }
    return make_filter(ctx, child, exec_and_all(&ctx->arena, conj, n));
}

/* ---- unnesting correlated EXISTS / NOT EXISTS / IN into semi and anti joins ----
 *
 * WHERE [NOT] EXISTS (SELECT ... FROM X WHERE c1 AND c2 ...) where X itself reads nothing of
 * the outer query: the conjuncts that read the outer row become the condition of a SEMI (ANTI)
 * join of the filter's input with X (outer column i → column i, X's column j → nl + j), the
 * others stay a filter on X. Equalities among them make it a hash join. `lhs IN (SELECT e ...)`
 * as a WHERE conjunct is a SEMI join on lhs = e as well. Anything else (aggregates in the
 * subquery, nested subqueries, NOT IN) keeps the per-row evaluation of expr.c. */

static int expr_outer(const plan_expr *e, int depth);

static int plan_outer(const plan_node *p, int depth)
{
    if (!p) return 0;
    int r = 0, i;
    switch (p->kind) {
    case PLAN_SCAN:
    case PLAN_SYSSCAN:
        r = expr_outer(p->u.scan.filter, depth) | expr_outer(p->u.scan.pk_lo, depth) |
            expr_outer(p->u.scan.pk_hi, depth);
        if (p->u.scan.pk_eq && p->u.scan.table)
            for (i = 0; i < (int)p->u.scan.table->npk; i++)
                r |= expr_outer(p->u.scan.pk_eq[i], depth);
        break;
    case PLAN_VALUES:
        for (i = 0; i < p->u.values.nrows * p->ncols; i++)
            r |= expr_outer(p->u.values.rows[i], depth);
        break;
    case PLAN_FILTER:
        r = expr_outer(p->u.filter.cond, depth);
        break;
    case PLAN_PROJECT:
        for (i = 0; i < p->ncols; i++) r |= expr_outer(p->u.project.exprs[i], depth);
        break;
    case PLAN_AGGREGATE:
        for (i = 0; i < p->u.aggregate.ngroups; i++)
            r |= expr_outer(p->u.aggregate.groups[i], depth);
        for (i = 0; i < p->u.aggregate.naggs; i++)
            r |= expr_outer(p->u.aggregate.aggs[i].arg, depth);
        break;
    case PLAN_JOIN:
        r = expr_outer(p->u.join.cond, depth);
        break;
    case PLAN_SORT:
        for (i = 0; i < p->u.sort.nkeys; i++) r |= expr_outer(p->u.sort.keys[i].expr, depth);
        break;
    case PLAN_LIMIT:
        r = expr_outer(p->u.limit.limit, depth) | expr_outer(p->u.limit.offset, depth);
        break;
    default:
        r = 1; /* DML: never inside a subquery */
        break;
    }
    return r | plan_outer(p->left, depth) | plan_outer(p->right, depth);
}

/* 1 if e holds a PEX_OUTER reaching depth or further out. */
static int expr_outer(const plan_expr *e, int depth)
{
    if (!e) return 0;
    switch (e->kind) {
    case PEX_OUTER:
        return e->u.outer.depth >= depth;
    case PEX_UNARY:
        return expr_outer(e->u.unary.arg, depth);
    case PEX_BINARY:
        return expr_outer(e->u.binary.l, depth) | expr_outer(e->u.binary.r, depth);
    case PEX_IN_LIST: {
        int r = expr_outer(e->u.in.arg, depth);
        for (int i = 0; i < e->u.in.n; i++) r |= expr_outer(e->u.in.list[i], depth);
        return r;
    }
    case PEX_BETWEEN:
        return expr_outer(e->u.between.arg, depth) | expr_outer(e->u.between.lo, depth) |
               expr_outer(e->u.between.hi, depth);
    case PEX_CASE: {
        int r = expr_outer(e->u.case_.operand, depth) | expr_outer(e->u.case_.else_, depth);
        for (int i = 0; i < e->u.case_.n; i++)
            r |= expr_outer(e->u.case_.when[i], depth) | expr_outer(e->u.case_.then[i], depth);
        return r;
    }
    case PEX_CAST:
        return expr_outer(e->u.cast.arg, depth);
    case PEX_FUNC: {
        int r = 0;
        for (int i = 0; i < e->u.func.nargs; i++) r |= expr_outer(e->u.func.args[i], depth);
        return r;
    }
    case PEX_SUBQUERY:
        return expr_outer(e->u.sub.lhs, depth) | plan_outer(e->u.sub.plan, depth + 1);
    default:
        return 0;
    }
}

/* An expression of the subquery moved up into a join over outer ++ inner: inner column j →
 * nl + j, outer (depth 1) column i → i, deeper outer references one level less. NULL if it
 * holds a subquery. */
static plan_expr *lift(exec_ctx *ctx, const plan_expr *e, int nl)
{
    if (!e) return NULL;
    plan_expr *c = arena_alloc(&ctx->arena, sizeof *c);
    *c = *e;
    switch (e->kind) {
    case PEX_COLUMN:
        c->u.col.index = e->u.col.index + nl;
        return c;
    case PEX_OUTER:
        if (e->u.outer.depth == 1) {
            c->kind = PEX_COLUMN;
            c->u.col.index = e->u.outer.index;
        } else {
            c->u.outer.depth = e->u.outer.depth - 1;
        }
        return c;
    case PEX_CONST:
    case PEX_PARAM:
        return c;
    case PEX_UNARY:
        return (c->u.unary.arg = lift(ctx, e->u.unary.arg, nl)) ? c : NULL;
    case PEX_BINARY:
        c->u.binary.l = lift(ctx, e->u.binary.l, nl);
        c->u.binary.r = lift(ctx, e->u.binary.r, nl);
        return c->u.binary.l && c->u.binary.r ? c : NULL;
    case PEX_CAST:
        return (c->u.cast.arg = lift(ctx, e->u.cast.arg, nl)) ? c : NULL;
    case PEX_FUNC:
        c->u.func.args =
            arena_alloc(&ctx->arena, sizeof(plan_expr *) * (size_t)(e->u.func.nargs + 1));
        for (int i = 0; i < e->u.func.nargs; i++)
            if (!(c->u.func.args[i] = lift(ctx, e->u.func.args[i], nl))) return NULL;
        return c;
    case PEX_IN_LIST:
        if (!(c->u.in.arg = lift(ctx, e->u.in.arg, nl))) return NULL;
        c->u.in.list = arena_alloc(&ctx->arena, sizeof(plan_expr *) * (size_t)(e->u.in.n + 1));
        for (int i = 0; i < e->u.in.n; i++)
            if (!(c->u.in.list[i] = lift(ctx, e->u.in.list[i], nl))) return NULL;
        return c;
    case PEX_BETWEEN:
        c->u.between.arg = lift(ctx, e->u.between.arg, nl);
        c->u.between.lo = lift(ctx, e->u.between.lo, nl);
        c->u.between.hi = lift(ctx, e->u.between.hi, nl);
        return c->u.between.arg && c->u.between.lo && c->u.between.hi ? c : NULL;
    default:
        return NULL; /* CASE and subqueries: not lifted */
    }
}

/* child FILTER'd by the subquery conjunct e, as a semi/anti join; NULL if not unnestable. */
static plan_node *unnest(exec_ctx *ctx, plan_node *child, const plan_expr *e, int negate)
{
    if (e->kind != PEX_SUBQUERY || !e->u.sub.correlated) return NULL;
    int kind = e->u.sub.kind;
    int neg = e->u.sub.negated ^ negate;
    if (kind == PLAN_SUB_SCALAR || (kind == PLAN_SUB_IN && neg)) return NULL;
    const plan_node *p = e->u.sub.plan;
    const plan_expr *sel = NULL;
    if (p->kind == PLAN_PROJECT) {
        if (kind == PLAN_SUB_IN) {
            if (p->ncols != 1) return NULL;
            sel = p->u.project.exprs[0];
        }
        p = p->left;
    } else if (kind == PLAN_SUB_IN) {
        return NULL;
    }
    plan_expr *conj[MAX_CONJ];
    int n = 0;
    const plan_node *x = p;
    if (p->kind == PLAN_FILTER) {
        n = exec_conjuncts(p->u.filter.cond, conj, 0, MAX_CONJ);
        x = p->left;
    }
    if (plan_outer(x, 1) || (sel && expr_outer(sel, 1))) return NULL;
    int nl = child->ncols;
    plan_expr *inner[MAX_CONJ], *jc[MAX_CONJ];
    int ni = 0, nj = 0;
    for (int i = 0; i < n; i++) {
        if (!expr_outer(conj[i], 1)) {
            inner[ni++] = conj[i];
            continue;
        }
        plan_expr *l = lift(ctx, conj[i], nl);
        if (!l) return NULL;
        jc[nj++] = l;
    }
    if (sel) {
        plan_expr *lhs = e->u.sub.lhs, *rhs = lift(ctx, sel, nl);
        if (!lhs || !rhs || (exec_expr_sides(lhs, nl) & 6)) return NULL;
        jc[nj++] = plan_expr_binary(&ctx->arena, PLAN_OP_EQ, STRATA_TYPE_BOOLEAN, lhs, rhs);
    }
    if (nj == 0) return NULL;
    plan_node *right = (plan_node *)x;
    if (ni) right = make_filter(ctx, right, exec_and_all(&ctx->arena, inner, ni));
    right = rewrite(ctx, right);
    plan_node *j = plan_node_new(&ctx->arena, PLAN_JOIN, 0);
    j->ncols = nl;
    j->types = child->types;
    j->names = child->names;
    j->left = child;
    j->right = right;
    j->u.join.type = neg ? PLAN_JOIN_ANTI : PLAN_JOIN_SEMI;
    j->u.join.cond = exec_and_all(&ctx->arena, jc, nj);
    return j;
}

/* > 0 while rewriting the input of UPDATE / DELETE: that input must stay a chain of filters
 * over the table's scan (it carries the row keys), so subqueries are not unnested there. */
static _Thread_local int no_unnest;

/* ---- unnesting correlated scalar aggregate subqueries (select list, WHERE) ----
 *
 * (SELECT agg(...) FROM X WHERE X.k = outer.c AND <uncorrelated>) becomes a LEFT JOIN of the
 * input with (SELECT k, agg(...) FROM X WHERE <uncorrelated> GROUP BY k) on c = k; the
 * subquery is replaced by the joined aggregate column (count(...) of no row: 0 via coalesce).
 * The input only grows to the right, so the node's other column references stay valid. */

static plan_expr *agg_col(exec_ctx *ctx, const plan_agg *a, int index)
{
    plan_expr *c = plan_expr_column(&ctx->arena, index, a->type);
    if (a->fn != PLAN_AGG_COUNT && a->fn != PLAN_AGG_COUNT_STAR) return c;
    plan_expr *f = plan_expr_new(&ctx->arena, PEX_FUNC, a->type);
    f->u.func.fn = PLAN_FN_COALESCE;
    f->u.func.nargs = 2;
    f->u.func.args = arena_alloc(&ctx->arena, sizeof(plan_expr *) * 2);
    f->u.func.args[0] = c;
    f->u.func.args[1] = plan_expr_const(&ctx->arena, sql_int(a->type, 0));
    return f;
}

/* A copy of e (over the aggregate's output) with aggregate k → agg_col(base + k). */
static plan_expr *subst_aggs(exec_ctx *ctx, const plan_expr *e, const plan_agg *aggs, int naggs,
                             int base)
{
    if (!e) return NULL;
    switch (e->kind) {
    case PEX_COLUMN:
        if (e->u.col.index < 0 || e->u.col.index >= naggs) return NULL;
        return agg_col(ctx, &aggs[e->u.col.index], base + e->u.col.index);
    case PEX_CONST:
    case PEX_PARAM:
        return (plan_expr *)e;
    case PEX_UNARY: {
        plan_expr *a = subst_aggs(ctx, e->u.unary.arg, aggs, naggs, base);
        return a ? plan_expr_unary(&ctx->arena, e->u.unary.op, e->type, a) : NULL;
    }
    case PEX_BINARY: {
        plan_expr *l = subst_aggs(ctx, e->u.binary.l, aggs, naggs, base);
        plan_expr *r = subst_aggs(ctx, e->u.binary.r, aggs, naggs, base);
        return l && r ? plan_expr_binary(&ctx->arena, e->u.binary.op, e->type, l, r) : NULL;
    }
    case PEX_CAST: {
        plan_expr *a = subst_aggs(ctx, e->u.cast.arg, aggs, naggs, base);
        if (!a) return NULL;
        plan_expr *c = plan_expr_new(&ctx->arena, PEX_CAST, e->type);
        c->u.cast.arg = a;
        return c;
    }
    default:
        return NULL;
    }
}

/* Replaces the correlated scalar subquery e by a column of a LEFT JOIN added to *in. */
static plan_expr *decorrelate_scalar(exec_ctx *ctx, plan_node **in, const plan_expr *e)
{
    if (e->kind != PEX_SUBQUERY || e->u.sub.kind != PLAN_SUB_SCALAR || !e->u.sub.correlated)
        return NULL;
    const plan_node *p = e->u.sub.plan, *top = NULL;
    if (p->kind == PLAN_PROJECT && p->ncols == 1 && p->left && p->left->kind == PLAN_AGGREGATE) {
        top = p;
        p = p->left;
    }
    if (p->kind != PLAN_AGGREGATE || p->u.aggregate.ngroups != 0 || p->u.aggregate.naggs < 1)
        return NULL;
    if (!top && p->u.aggregate.naggs != 1) return NULL;
    int naggs = p->u.aggregate.naggs;
    for (int k = 0; k < naggs; k++)
        if (expr_outer(p->u.aggregate.aggs[k].arg, 1)) return NULL;
    if (top && expr_outer(top->u.project.exprs[0], 1)) return NULL;
    const plan_node *x = p->left;
    plan_expr *conj[MAX_CONJ];
    int n = 0;
    if (x && x->kind == PLAN_FILTER) {
        n = exec_conjuncts(x->u.filter.cond, conj, 0, MAX_CONJ);
        x = x->left;
    }
    if (!x || plan_outer(x, 1)) return NULL;
    int nl = (*in)->ncols;
    plan_expr *inner[MAX_CONJ], *ik[MAX_CONJ], *ok[MAX_CONJ];
    int ni = 0, nk = 0;
    for (int i = 0; i < n; i++) {
        plan_expr *c = conj[i];
        if (!expr_outer(c, 1)) {
            inner[ni++] = c;
            continue;
        }
        if (c->kind != PEX_BINARY || c->u.binary.op != PLAN_OP_EQ || nk >= 16) return NULL;
        plan_expr *a = c->u.binary.l, *b = c->u.binary.r;
        if (expr_outer(a, 1)) {
            plan_expr *t = a;
            a = b;
            b = t;
        }
        /* a: inner only; b: outer (depth 1) only */
        if (expr_outer(a, 1) || expr_outer(b, 2) || exec_expr_sides(b, 1 << 30) != 0) return NULL;
        plan_expr *lb = lift(ctx, b, nl);
        if (!lb) return NULL;
        ik[nk] = a;
        ok[nk] = lb;
        nk++;
    }
    if (nk == 0) return NULL;
    plan_node *src = (plan_node *)x;
    if (ni) src = make_filter(ctx, src, exec_and_all(&ctx->arena, inner, ni));
    plan_node *agg = plan_node_new(&ctx->arena, PLAN_AGGREGATE, nk + naggs);
    agg->left = src;
    agg->u.aggregate.ngroups = nk;
    agg->u.aggregate.groups = arena_alloc(&ctx->arena, sizeof(plan_expr *) * (size_t)nk);
    for (int k = 0; k < nk; k++) {
        agg->u.aggregate.groups[k] = ik[k];
        agg->types[k] = ik[k]->type;
        agg->names[k] = "key";
    }
    agg->u.aggregate.naggs = naggs;
    agg->u.aggregate.aggs = p->u.aggregate.aggs;
    for (int k = 0; k < naggs; k++) {
        agg->types[nk + k] = p->u.aggregate.aggs[k].type;
        agg->names[nk + k] = "agg";
    }
    plan_node *r = rewrite(ctx, agg);
    plan_node *j = plan_node_new(&ctx->arena, PLAN_JOIN, nl + nk + naggs);
    memcpy(j->types, (*in)->types, sizeof(int) * (size_t)nl);
    if ((*in)->names) memcpy(j->names, (*in)->names, sizeof(char *) * (size_t)nl);
    memcpy(j->types + nl, agg->types, sizeof(int) * (size_t)(nk + naggs));
    memcpy(j->names + nl, agg->names, sizeof(char *) * (size_t)(nk + naggs));
    j->left = *in;
    j->right = r;
    j->u.join.type = PLAN_JOIN_LEFT;
    plan_expr *jc[16];
    for (int k = 0; k < nk; k++)
        jc[k] = plan_expr_binary(&ctx->arena, PLAN_OP_EQ, STRATA_TYPE_BOOLEAN, ok[k],
                                 plan_expr_column(&ctx->arena, nl + k, ik[k]->type));
    j->u.join.cond = exec_and_all(&ctx->arena, jc, nk);
    plan_expr *rep =
        top ? subst_aggs(ctx, top->u.project.exprs[0], p->u.aggregate.aggs, naggs, nl + nk)
            : agg_col(ctx, &p->u.aggregate.aggs[0], nl + nk);
    if (!rep) return NULL;
    if (rep->type != e->type) {
        plan_expr *c = plan_expr_new(&ctx->arena, PEX_CAST, e->type);
        c->u.cast.arg = rep;
        rep = c;
    }
    *in = j;
    return rep;
}

/* A copy of e with every decorrelatable scalar subquery replaced (joins added to *in);
 * e itself if nothing changed. */
static plan_expr *replace_scalars(exec_ctx *ctx, plan_node **in, plan_expr *e)
{
    if (!e) return e;
    switch (e->kind) {
    case PEX_SUBQUERY: {
        plan_expr *r = decorrelate_scalar(ctx, in, e);
        return r ? r : e;
    }
    case PEX_UNARY: {
        plan_expr *a = replace_scalars(ctx, in, e->u.unary.arg);
        if (a == e->u.unary.arg) return e;
        return plan_expr_unary(&ctx->arena, e->u.unary.op, e->type, a);
    }
    case PEX_BINARY: {
        plan_expr *l = replace_scalars(ctx, in, e->u.binary.l);
        plan_expr *r = replace_scalars(ctx, in, e->u.binary.r);
        if (l == e->u.binary.l && r == e->u.binary.r) return e;
        return plan_expr_binary(&ctx->arena, e->u.binary.op, e->type, l, r);
    }
    case PEX_CAST: {
        plan_expr *a = replace_scalars(ctx, in, e->u.cast.arg);
        if (a == e->u.cast.arg) return e;
        plan_expr *c = plan_expr_new(&ctx->arena, PEX_CAST, e->type);
        c->u.cast.arg = a;
        return c;
    }
    default:
        return e;
    }
}

static plan_node *rewrite(exec_ctx *ctx, const plan_node *p)
{
    if (!p) return NULL;
    plan_node *c = copy_node(ctx, p);
    int dml = p->kind == PLAN_UPDATE || p->kind == PLAN_DELETE;
    no_unnest += dml;
    c->left = rewrite(ctx, p->left);
    no_unnest -= dml;
    c->right = rewrite(ctx, p->right);
    if (c->kind == PLAN_PROJECT && !no_unnest) {
        plan_node *in = c->left;
        plan_expr **ex = NULL;
        for (int j = 0; j < c->ncols; j++) {
            plan_expr *r = replace_scalars(ctx, &in, c->u.project.exprs[j]);
            if (r == c->u.project.exprs[j]) continue;
            if (!ex) {
                ex = arena_alloc(&ctx->arena, sizeof(plan_expr *) * (size_t)c->ncols);
                memcpy(ex, c->u.project.exprs, sizeof(plan_expr *) * (size_t)c->ncols);
            }
            ex[j] = r;
        }
        if (ex) {
            c->u.project.exprs = ex;
            c->left = in;
        }
    }
    if (c->kind == PLAN_FILTER && !no_unnest) {
        plan_node *in = c->left;
        plan_expr *cond = replace_scalars(ctx, &in, c->u.filter.cond);
        if (cond != c->u.filter.cond) {
            /* FILTER over the widened input, then keep the original columns */
            int nl = c->left->ncols;
            plan_node *f = make_filter(ctx, in, cond);
            plan_node *pr = plan_node_new(&ctx->arena, PLAN_PROJECT, nl);
            memcpy(pr->types, c->types, sizeof(int) * (size_t)nl);
            if (c->names) memcpy(pr->names, c->names, sizeof(char *) * (size_t)nl);
            pr->u.project.exprs = arena_alloc(&ctx->arena, sizeof(plan_expr *) * (size_t)(nl + 1));
            for (int j = 0; j < nl; j++)
                pr->u.project.exprs[j] = plan_expr_column(&ctx->arena, j, c->left->types[j]);
            pr->left = rewrite(ctx, f);
            return pr;
        }
    }
    if (c->kind == PLAN_FILTER) {
        plan_expr *conj[MAX_CONJ], *rest[MAX_CONJ];
        int n = exec_conjuncts(c->u.filter.cond, conj, 0, MAX_CONJ), nr = 0;
        plan_node *in = c->left;
        for (int i = 0; i < n; i++) {
            const plan_expr *e = conj[i];
            int negate = 0;
            if (e->kind == PEX_UNARY && e->u.unary.op == PLAN_OP_NOT) {
                e = e->u.unary.arg;
                negate = 1;
            }
            plan_node *j = no_unnest ? NULL : unnest(ctx, in, e, negate);
            if (j)
                in = j;
            else
                rest[nr++] = conj[i];
        }
        return push_filter(ctx, in, rest, nr);
    }
    if (c->kind == PLAN_JOIN && c->u.join.cond &&
        (c->u.join.type == PLAN_JOIN_INNER || c->u.join.type == PLAN_JOIN_CROSS)) {
        /* single-side conjuncts of the join condition go down too */
        plan_expr *conj[MAX_CONJ], *keep[MAX_CONJ], *lc[MAX_CONJ], *rc[MAX_CONJ];
        int n = exec_conjuncts(c->u.join.cond, conj, 0, MAX_CONJ), nk = 0, nlc = 0, nrc = 0;
        int nl = c->left->ncols;
        for (int i = 0; i < n; i++) {
            int s = exec_expr_sides(conj[i], nl);
            if (s == 1)
                lc[nlc++] = conj[i];
            else if (s == 2)
                rc[nrc++] = exec_expr_remap(&ctx->arena, conj[i], nl, NULL);
            else
                keep[nk++] = conj[i];
        }
        if (nlc || nrc) {
            if (nlc) c->left = push_filter(ctx, c->left, lc, nlc);
            if (nrc) c->right = push_filter(ctx, c->right, rc, nrc);
            c->u.join.cond = exec_and_all(&ctx->arena, keep, nk);
        }
    }
    return prune(ctx, c);
}

/* ---- column pruning: a scan decodes only the columns its consumer reads ---- */

/* Marks the columns e reads in used[]; returns -1 if e holds a subquery (whose outer
 * references would need remapping too: not pruned). */
static int mark_cols(const plan_expr *e, uint8_t *used, int n)
{
    if (!e) return 0;
    switch (e->kind) {
    case PEX_COLUMN:
        if (e->u.col.index < 0 || e->u.col.index >= n) return -1;
        used[e->u.col.index] = 1;
        return 0;
    case PEX_SUBQUERY:
        return -1;
    case PEX_UNARY:
        return mark_cols(e->u.unary.arg, used, n);
    case PEX_BINARY:
        return mark_cols(e->u.binary.l, used, n) | mark_cols(e->u.binary.r, used, n);
    case PEX_IN_LIST: {
        int r = mark_cols(e->u.in.arg, used, n);
        for (int i = 0; i < e->u.in.n; i++) r |= mark_cols(e->u.in.list[i], used, n);
        return r;
    }
    case PEX_BETWEEN:
        return mark_cols(e->u.between.arg, used, n) | mark_cols(e->u.between.lo, used, n) |
               mark_cols(e->u.between.hi, used, n);
    case PEX_CASE: {
        int r = mark_cols(e->u.case_.operand, used, n) | mark_cols(e->u.case_.else_, used, n);
        for (int i = 0; i < e->u.case_.n; i++)
            r |= mark_cols(e->u.case_.when[i], used, n) | mark_cols(e->u.case_.then[i], used, n);
        return r;
    }
    case PEX_CAST:
        return mark_cols(e->u.cast.arg, used, n);
    case PEX_FUNC: {
        int r = 0;
        for (int i = 0; i < e->u.func.nargs; i++) r |= mark_cols(e->u.func.args[i], used, n);
        return r;
    }
    default:
        return 0;
    }
}

/* PROJECT / AGGREGATE directly over a SCAN: narrow the scan to the columns read. */
static plan_node *prune(exec_ctx *ctx, plan_node *c)
{
    if ((c->kind != PLAN_PROJECT && c->kind != PLAN_AGGREGATE) || !c->left ||
        (c->left->kind != PLAN_SCAN && c->left->kind != PLAN_SYSSCAN))
        return c;
    plan_node *s = c->left;
    int n = s->ncols;
    if (n <= 0 || n > 4096) return c;
    uint8_t *used = arena_alloc(&ctx->arena, (size_t)n);
    memset(used, 0, (size_t)n);
    int bad = mark_cols(s->u.scan.filter, used, n);
    if (c->kind == PLAN_PROJECT) {
        for (int j = 0; j < c->ncols; j++) bad |= mark_cols(c->u.project.exprs[j], used, n);
    } else {
        for (int j = 0; j < c->u.aggregate.ngroups; j++)
            bad |= mark_cols(c->u.aggregate.groups[j], used, n);
        for (int k = 0; k < c->u.aggregate.naggs; k++)
            bad |= mark_cols(c->u.aggregate.aggs[k].arg, used, n);
    }
    if (bad) return c;
    int *map = arena_alloc(&ctx->arena, sizeof(int) * (size_t)n);
    int m = 0;
    for (int i = 0; i < n; i++) map[i] = used[i] ? m++ : -1;
    if (m == n) return c;
    plan_node *ns = plan_node_new(&ctx->arena, s->kind, m);
    plan_node *keep = ns;
    *ns = *s;
    ns = keep;
    ns->ncols = m;
    ns->types = arena_alloc(&ctx->arena, sizeof(int) * (size_t)(m + 1));
    ns->names = arena_alloc(&ctx->arena, sizeof(char *) * (size_t)(m + 1));
    ns->u.scan.cols = arena_alloc(&ctx->arena, sizeof(int) * (size_t)(m + 1));
    for (int i = 0; i < n; i++) {
        if (map[i] < 0) continue;
        ns->types[map[i]] = s->types[i];
        ns->names[map[i]] = s->names ? s->names[i] : NULL;
        ns->u.scan.cols[map[i]] = s->u.scan.cols[i];
    }
    ns->u.scan.filter = exec_expr_remap(&ctx->arena, s->u.scan.filter, 0, map);
    plan_node *nc = copy_node(ctx, c);
    nc->left = ns;
    if (c->kind == PLAN_PROJECT) {
        nc->u.project.exprs =
            arena_alloc(&ctx->arena, sizeof(plan_expr *) * (size_t)(c->ncols + 1));
        for (int j = 0; j < c->ncols; j++)
            nc->u.project.exprs[j] = exec_expr_remap(&ctx->arena, c->u.project.exprs[j], 0, map);
    } else {
        int ng = c->u.aggregate.ngroups, na = c->u.aggregate.naggs;
        nc->u.aggregate.groups = arena_alloc(&ctx->arena, sizeof(plan_expr *) * (size_t)(ng + 1));
        for (int j = 0; j < ng; j++)
            nc->u.aggregate.groups[j] =
                exec_expr_remap(&ctx->arena, c->u.aggregate.groups[j], 0, map);
        nc->u.aggregate.aggs = arena_alloc(&ctx->arena, sizeof(plan_agg) * (size_t)(na + 1));
        for (int k = 0; k < na; k++) {
            nc->u.aggregate.aggs[k] = c->u.aggregate.aggs[k];
            nc->u.aggregate.aggs[k].arg =
                exec_expr_remap(&ctx->arena, c->u.aggregate.aggs[k].arg, 0, map);
        }
    }
    return nc;
}

/* ---- operator tree ---- */

/* At most a few rows, for sure: a primary-key get, a short VALUES, a LIMIT of a constant, and
 * filters / projections / aggregates without GROUP BY over them. */
static int tiny(const plan_node *p)
{
    switch (p->kind) {
    case PLAN_SCAN:
    case PLAN_SYSSCAN:
        return p->u.scan.pk_eq != NULL;
    case PLAN_VALUES:
        return p->u.values.nrows <= 64;
    case PLAN_AGGREGATE:
        return p->u.aggregate.ngroups == 0 || tiny(p->left);
    case PLAN_LIMIT:
        if (p->u.limit.limit && p->u.limit.limit->kind == PEX_CONST &&
            !p->u.limit.limit->u.value.is_null && sql_type_is_integer(p->u.limit.limit->type) &&
            p->u.limit.limit->u.value.u.i <= 64)
            return 1;
        return tiny(p->left);
    case PLAN_FILTER:
    case PLAN_PROJECT:
    case PLAN_SORT:
    case PLAN_DISTINCT:
        return tiny(p->left);
    case PLAN_JOIN:
        return tiny(p->left) && tiny(p->right) && p->u.join.type != PLAN_JOIN_CROSS;
    default:
        return 0;
    }
}

static int build(exec_ctx *ctx, const plan_node *p, exec_op **out);

static int build1(exec_ctx *ctx, const plan_node *p, exec_op **child)
{
    if (!p->left) return exec_error(ctx, STRATA_ERROR, "plan node %d has no input", p->kind);
    return build(ctx, p->left, child);
}

static int build(exec_ctx *ctx, const plan_node *p, exec_op **out)
{
    exec_op *l = NULL, *r = NULL;
    int rc;
    *out = NULL;
    switch (p->kind) {
    case PLAN_SCAN:
    case PLAN_SYSSCAN:
        return exec_op_scan(ctx, p, out);
    case PLAN_VALUES:
        return exec_op_values(ctx, p, out);
    case PLAN_JOIN:
    case PLAN_SETOP:
        rc = build(ctx, p->left, &l);
        if (!rc) rc = build(ctx, p->right, &r);
        if (rc) {
            exec_free(l);
            exec_free(r);
            return rc;
        }
        return p->kind == PLAN_JOIN
                   ? exec_op_join(ctx, p, l, r, tiny(p->left) && !tiny(p->right), out)
                   : exec_op_setop(ctx, p, l, r, out);
    default:
        break;
    }
    if (p->kind == PLAN_LIMIT && p->left && p->left->kind == PLAN_SORT && p->u.limit.limit) {
        /* ORDER BY + LIMIT: top-N (its bound is evaluated at open) */
        rc = build1(ctx, p->left, &l);
        if (rc) return rc;
        exec_op *sort;
        rc = exec_op_sort(ctx, p->left, l, p, &sort);
        if (rc) {
            exec_free(sort);
            return rc;
        }
        rc = exec_op_limit(ctx, p, sort, out);
        if (rc) {
            exec_free(*out);
            *out = NULL;
        }
        return rc;
    }
    rc = build1(ctx, p, &l);
    if (rc) return rc;
    switch (p->kind) {
    case PLAN_FILTER:
        rc = exec_op_filter(ctx, p, l, out);
        break;
    case PLAN_PROJECT:
        rc = exec_op_project(ctx, p, l, out);
        break;
    case PLAN_AGGREGATE:
        rc = exec_op_aggregate(ctx, p, l, out);
        break;
    case PLAN_DISTINCT:
        rc = exec_op_distinct(ctx, p, l, out);
        break;
    case PLAN_SORT:
        rc = exec_op_sort(ctx, p, l, NULL, out);
        break;
    case PLAN_LIMIT:
        rc = exec_op_limit(ctx, p, l, out);
        break;
    case PLAN_INSERT:
        rc = exec_op_insert(ctx, p, l, out);
        break;
    case PLAN_UPDATE:
        rc = exec_op_update(ctx, p, l, out);
        break;
    case PLAN_DELETE: {
        int whole = p->left->kind == PLAN_SCAN && !p->left->u.scan.filter &&
                    !p->left->u.scan.pk_eq && !p->left->u.scan.pk_lo && !p->left->u.scan.pk_hi;
        rc = exec_op_delete(ctx, p, l, out);
        if (!rc && whole) exec_delete_set_truncate(*out);
        break;
    }
    default:
        exec_free(l);
        return exec_error(ctx, STRATA_ERROR, "unknown plan node kind %d", p->kind);
    }
    if (!*out) {
        exec_free(l);
    } else if (rc) {
        exec_free(*out);
        *out = NULL;
    }
    return rc;
}

int exec_build(exec_ctx *ctx, const plan_node *plan, exec_op **out)
{
    *out = NULL;
    if (!plan) return exec_error(ctx, STRATA_MISUSE, "no plan");
    plan_node *p = rewrite(ctx, plan);
    return build(ctx, p, out);
}
