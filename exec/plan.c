/* exec/plan.c — constructors for the bound logical plan (see plan.h). */
#include "exec/plan.h"

#include <string.h>

plan_node *plan_node_new(arena *a, int kind, int ncols)
{
    plan_node *n = arena_alloc(a, sizeof *n);
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->ncols = ncols;
    /* never NULL, even with no columns (SELECT ... WHERE without FROM): callers copy these
     * arrays with memcpy, which must not see a NULL pointer even for 0 bytes */
    size_t slots = ncols > 0 ? (size_t)ncols : 1;
    n->types = arena_alloc(a, sizeof(int) * slots);
    memset(n->types, 0, sizeof(int) * slots);
    n->names = arena_alloc(a, sizeof(char *) * slots);
    memset(n->names, 0, sizeof(char *) * slots);
    return n;
}

plan_node *plan_filter_new(arena *a, plan_node *in, plan_expr *cond)
{
    plan_node *f = plan_node_new(a, PLAN_FILTER, in->ncols);
    memcpy(f->types, in->types, sizeof(int) * (size_t)in->ncols);
    memcpy(f->names, in->names, sizeof(char *) * (size_t)in->ncols);
    f->left = in;
    f->u.filter.cond = cond;
    return f;
}

plan_expr *plan_expr_new(arena *a, int kind, int type)
{
    plan_expr *e = arena_alloc(a, sizeof *e);
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)kind;
    e->type = (uint8_t)type;
    return e;
}

plan_expr *plan_expr_column(arena *a, int index, int type)
{
    plan_expr *e = plan_expr_new(a, PEX_COLUMN, type);
    e->u.col.index = index;
    return e;
}

plan_expr *plan_expr_const(arena *a, sql_value v)
{
    plan_expr *e = plan_expr_new(a, PEX_CONST, v.type);
    if (!v.is_null && (v.type == STRATA_TYPE_TEXT || v.type == STRATA_TYPE_BLOB)) {
        char *p = arena_alloc(a, v.u.s.n + 1);
        if (v.u.s.n) memcpy(p, v.u.s.p, v.u.s.n);
        p[v.u.s.n] = 0;
        v.u.s.p = p;
    }
    e->u.value = v;
    return e;
}

plan_expr *plan_expr_binary(arena *a, int op, int type, plan_expr *l, plan_expr *r)
{
    plan_expr *e = plan_expr_new(a, PEX_BINARY, type);
    e->u.binary.op = op;
    e->u.binary.l = l;
    e->u.binary.r = r;
    return e;
}

plan_expr *plan_expr_unary(arena *a, int op, int type, plan_expr *arg)
{
    plan_expr *e = plan_expr_new(a, PEX_UNARY, type);
    e->u.unary.op = op;
    e->u.unary.arg = arg;
    return e;
}

int plan_arith_type(int l, int r)
{
    if (!sql_type_is_numeric(l) || !sql_type_is_numeric(r)) return -1;
    if (l == STRATA_TYPE_DOUBLE || r == STRATA_TYPE_DOUBLE) return STRATA_TYPE_DOUBLE;
    if (l == STRATA_TYPE_BIGINT || r == STRATA_TYPE_BIGINT) return STRATA_TYPE_BIGINT;
    return STRATA_TYPE_INT;
}
