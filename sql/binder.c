/* sql/binder.c — see binder.h. */
#include "sql/binder.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/sql_format.h"
#include "strata_status.h"

/* ---------------------------------------------------------------- errors */

static int berr(sql_binder *b, int code, const sql_token *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int berr(sql_binder *b, int code, const sql_token *at, const char *fmt, ...)
{
    if (b->rc != STRATA_OK) return b->rc;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->msg, sizeof b->msg, fmt, ap);
    va_end(ap);
    if (at && at->line && n >= 0 && (size_t)n < sizeof b->msg)
        snprintf(b->msg + n, sizeof b->msg - (size_t)n, " at line %u, column %u",
                 (unsigned)at->line, (unsigned)at->col);
    b->rc = code;
    return code;
}

void sql_binder_init(sql_binder *b, arena *a, const cat_snap *snap, const char *cur_ns)
{
    memset(b, 0, sizeof *b);
    b->arena = a;
    b->snap = snap;
    b->cur_ns = cur_ns;
}

static void *balloc(sql_binder *b, size_t n)
{
    void *p = arena_alloc(b->arena, n ? n : 1);
    memset(p, 0, n ? n : 1);
    return p;
}

static const char *bstrdup(sql_binder *b, const char *s)
{
    return arena_strndup(b->arena, s, strlen(s));
}

/* ---------------------------------------------------------------- scopes */

typedef struct scope_item {
    const char *name; /* alias, or the table's name */
    const char *ns;   /* the table's namespace (NULL for a subquery) */
    int ncols;
    const char *const *names;
    const int *types;
    int offset; /* of its first column in the scope's row */
    int qualified_only;
} scope_item;

typedef struct agg_state {
    int ngroups;
    plan_expr **groups;
    int naggs, capaggs;
    plan_agg *aggs;
} agg_state;

typedef struct scope {
    struct scope *parent;
    int level;
    int n, cap;
    scope_item *items;
    int ncols; /* of the whole row */
    /* aggregation: agg_mode = 1 while binding expressions evaluated above the AGGREGATE */
    agg_state *agg;
    int agg_mode;
    int agg_allowed;       /* aggregates may appear (select list, HAVING, ORDER BY) */
    int in_agg;            /* binding an aggregate's argument */
    const char *agg_where; /* "WHERE", "GROUP BY", ... for the error when not allowed */
    int correlated;        /* something inside referred to an enclosing level */
} scope;

static void scope_add(sql_binder *b, scope *s, const char *name, const char *ns, int ncols,
                      const char *const *names, const int *types, int qualified_only)
{
    if (s->n == s->cap) {
        int ncap = s->cap ? s->cap * 2 : 4;
        scope_item *v = balloc(b, sizeof *v * (size_t)ncap);
        if (s->n) memcpy(v, s->items, sizeof *v * (size_t)s->n);
        s->items = v;
        s->cap = ncap;
    }
    scope_item *it = &s->items[s->n++];
    it->name = name;
    it->ns = ns;
    it->ncols = ncols;
    it->names = names;
    it->types = types;
    it->offset = s->ncols;
    it->qualified_only = qualified_only;
    s->ncols += ncols;
}

/* ---------------------------------------------------------------- helpers */

static int is_null_type(const plan_expr *e)
{
    return e->type == STRATA_TYPE_NULL;
}

static plan_expr *mk_cast(sql_binder *b, plan_expr *e, int type)
{
    plan_expr *c = plan_expr_new(b->arena, PEX_CAST, type);
    c->u.cast.arg = e;
    return c;
}

/* e as `type`: a NULL literal or an untyped parameter takes the type; anything else gets a
 * CAST unless it already has it. */
static plan_expr *retype(sql_binder *b, plan_expr *e, int type)
{
    if (!e || e->type == type) return e;
    if (e->kind == PEX_CONST && e->u.value.is_null) {
        e->type = (uint8_t)type;
        e->u.value.type = (uint8_t)type;
        return e;
    }
    if (e->kind == PEX_PARAM && e->type == STRATA_TYPE_NULL) {
        e->type = (uint8_t)type;
        return e;
    }
    return mk_cast(b, e, type);
}

/* The type an untyped expression gets where nothing else says: TEXT for a parameter (the
 * executor converts the bound value), BIGINT for a NULL. */
static plan_expr *default_type(sql_binder *b, plan_expr *e)
{
    if (!e || e->type != STRATA_TYPE_NULL) return e;
    return retype(b, e, e->kind == PEX_PARAM ? STRATA_TYPE_TEXT : STRATA_TYPE_BIGINT);
}

/* The common type of a and b for CASE/COALESCE/UNION/VALUES; -1 if none. */
static int unify(int a, int c)
{
    if (a == STRATA_TYPE_NULL) return c;
    if (c == STRATA_TYPE_NULL) return a;
    if (a == c) return a;
    if (sql_type_is_numeric(a) && sql_type_is_numeric(c)) return plan_arith_type(a, c);
    if (a == STRATA_TYPE_BOOLEAN && sql_type_is_numeric(c)) return c;
    if (c == STRATA_TYPE_BOOLEAN && sql_type_is_numeric(a)) return a;
    return -1;
}

/* A predicate: BOOLEAN as is, a number means "<> 0". */
static plan_expr *as_bool(sql_binder *b, plan_expr *e, const sql_token *at, const char *what)
{
    if (!e) return NULL;
    if (e->type == STRATA_TYPE_BOOLEAN) return e;
    if (is_null_type(e)) return retype(b, e, STRATA_TYPE_BOOLEAN);
    if (sql_type_is_numeric(e->type)) {
        sql_value zero = sql_int(STRATA_TYPE_BIGINT, 0);
        return plan_expr_binary(b->arena, PLAN_OP_NE, STRATA_TYPE_BOOLEAN, e,
                                plan_expr_const(b->arena, zero));
    }
    berr(b, STRATA_TYPE, at, "type mismatch: %s must be BOOLEAN, not %s", what,
         sql_type_name(e->type));
    return NULL;
}

static int expr_equal(const plan_expr *x, const plan_expr *y);

static int list_equal(plan_expr *const *a, plan_expr *const *c, int n)
{
    for (int i = 0; i < n; i++)
        if (!expr_equal(a[i], c[i])) return 0;
    return 1;
}

static int expr_equal(const plan_expr *x, const plan_expr *y)
{
    if (x == y) return 1;
    if (!x || !y || x->kind != y->kind || x->type != y->type) return 0;
    switch (x->kind) {
    case PEX_COLUMN:
        return x->u.col.index == y->u.col.index;
    case PEX_OUTER:
        return x->u.outer.depth == y->u.outer.depth && x->u.outer.index == y->u.outer.index;
    case PEX_CONST: {
        const sql_value *a = &x->u.value, *c = &y->u.value;
        if (a->is_null || c->is_null) return a->is_null && c->is_null;
        if (a->type == STRATA_TYPE_DOUBLE) return a->u.d == c->u.d;
        if (a->type == STRATA_TYPE_TEXT || a->type == STRATA_TYPE_BLOB)
            return a->u.s.n == c->u.s.n && memcmp(a->u.s.p, c->u.s.p, a->u.s.n) == 0;
        return a->u.i == c->u.i;
    }
    case PEX_PARAM:
        return x->u.param.index == y->u.param.index;
    case PEX_UNARY:
        return x->u.unary.op == y->u.unary.op && expr_equal(x->u.unary.arg, y->u.unary.arg);
    case PEX_BINARY:
        return x->u.binary.op == y->u.binary.op && expr_equal(x->u.binary.l, y->u.binary.l) &&
               expr_equal(x->u.binary.r, y->u.binary.r);
    case PEX_CAST:
        return expr_equal(x->u.cast.arg, y->u.cast.arg);
    case PEX_FUNC:
        return x->u.func.fn == y->u.func.fn && x->u.func.nargs == y->u.func.nargs &&
               list_equal(x->u.func.args, y->u.func.args, x->u.func.nargs);
    case PEX_IN_LIST:
        return x->u.in.negated == y->u.in.negated && x->u.in.n == y->u.in.n &&
               expr_equal(x->u.in.arg, y->u.in.arg) &&
               list_equal(x->u.in.list, y->u.in.list, x->u.in.n);
    case PEX_BETWEEN:
        return x->u.between.negated == y->u.between.negated &&
               expr_equal(x->u.between.arg, y->u.between.arg) &&
               expr_equal(x->u.between.lo, y->u.between.lo) &&
               expr_equal(x->u.between.hi, y->u.between.hi);
    case PEX_CASE:
        return x->u.case_.n == y->u.case_.n && expr_equal(x->u.case_.operand, y->u.case_.operand) &&
               list_equal(x->u.case_.when, y->u.case_.when, x->u.case_.n) &&
               list_equal(x->u.case_.then, y->u.case_.then, x->u.case_.n) &&
               expr_equal(x->u.case_.else_, y->u.case_.else_);
    }
    return 0; /* subqueries: only the same node */
}

/* 1 if e reads a column of the row it is evaluated on (PEX_COLUMN outside subqueries). */
static int has_column(const plan_expr *e)
{
    if (!e) return 0;
    switch (e->kind) {
    case PEX_COLUMN:
        return 1;
    case PEX_UNARY:
        return has_column(e->u.unary.arg);
    case PEX_BINARY:
        return has_column(e->u.binary.l) || has_column(e->u.binary.r);
    case PEX_CAST:
        return has_column(e->u.cast.arg);
    case PEX_FUNC:
        for (int i = 0; i < e->u.func.nargs; i++)
            if (has_column(e->u.func.args[i])) return 1;
        return 0;
    case PEX_IN_LIST:
        if (has_column(e->u.in.arg)) return 1;
        for (int i = 0; i < e->u.in.n; i++)
            if (has_column(e->u.in.list[i])) return 1;
        return 0;
    case PEX_BETWEEN:
        return has_column(e->u.between.arg) || has_column(e->u.between.lo) ||
               has_column(e->u.between.hi);
    case PEX_CASE:
        if (has_column(e->u.case_.operand) || has_column(e->u.case_.else_)) return 1;
        for (int i = 0; i < e->u.case_.n; i++)
            if (has_column(e->u.case_.when[i]) || has_column(e->u.case_.then[i])) return 1;
        return 0;
    case PEX_SUBQUERY:
        return has_column(e->u.sub.lhs);
    }
    return 0;
}

/* ---------------------------------------------------------------- AST inspection */

static const char *const agg_names[] = {"count", "sum", "avg", "min", "max", "total", NULL};

static int is_agg_name(const char *name)
{
    for (int i = 0; agg_names[i]; i++)
        if (strcmp(name, agg_names[i]) == 0) return 1;
    return 0;
}

/* 1 if the AST e holds an aggregate call of this query level (not inside subqueries). */
static int ast_has_agg(const sql_expr *e)
{
    if (!e) return 0;
    if (e->kind == SQL_E_FUNC && is_agg_name(e->name)) return 1;
    if (e->kind == SQL_E_SUBQUERY || e->kind == SQL_E_EXISTS) return 0;
    if (ast_has_agg(e->a) || ast_has_agg(e->b) || ast_has_agg(e->c)) return 1;
    if (e->list)
        for (int i = 0; i < e->list->n; i++)
            if (ast_has_agg(e->list->items[i].expr)) return 1;
    return 0;
}

static int ast_has_subquery(const sql_expr *e)
{
    if (!e) return 0;
    if (e->sel) return 1;
    if (ast_has_subquery(e->a) || ast_has_subquery(e->b) || ast_has_subquery(e->c)) return 1;
    if (e->list)
        for (int i = 0; i < e->list->n; i++)
            if (ast_has_subquery(e->list->items[i].expr)) return 1;
    return 0;
}

static int list_has_agg(const sql_expr_list *l)
{
    for (int i = 0; l && i < l->n; i++)
        if (ast_has_agg(l->items[i].expr)) return 1;
    return 0;
}

/* ---------------------------------------------------------------- names */

/* Finds the column (table, name) in s only; returns 1 and sets idx and type if found once, 0 if
 * absent, -1 (error recorded) if ambiguous. */
static int scope_find(sql_binder *b, const scope *s, const sql_expr *e, int *idx, int *type)
{
    int found = 0;
    for (int i = 0; i < s->n; i++) {
        const scope_item *it = &s->items[i];
        if (e->table) {
            if (!it->name || strcasecmp(it->name, e->table) != 0) continue;
            if (e->ns && (!it->ns || strcasecmp(it->ns, e->ns) != 0)) continue;
        } else if (it->qualified_only) {
            continue;
        }
        for (int c = 0; c < it->ncols; c++) {
            if (!it->names[c] || strcasecmp(it->names[c], e->name) != 0) continue;
            if (found) {
                berr(b, STRATA_ERROR, &e->tok, "ambiguous column name: %s%s%s",
                     e->table ? e->table : "", e->table ? "." : "", e->name);
                return -1;
            }
            found = 1;
            *idx = it->offset + c;
            *type = it->types[c];
        }
    }
    return found;
}

/* In agg mode, a column of this level can only be read as a GROUP BY key. */
static plan_expr *agg_column(sql_binder *b, scope *s, int idx, int type, const sql_expr *e)
{
    for (int g = 0; g < s->agg->ngroups; g++) {
        const plan_expr *ge = s->agg->groups[g];
        if (ge->kind == PEX_COLUMN && ge->u.col.index == idx)
            return plan_expr_column(b->arena, g, ge->type);
    }
    (void)type;
    berr(b, STRATA_ERROR, &e->tok,
         "column \"%s\" must appear in the GROUP BY clause or be used in an aggregate function",
         e->name);
    return NULL;
}

static plan_expr *bind_column(sql_binder *b, scope *s, const sql_expr *e)
{
    int depth = 0;
    for (scope *cur = s; cur; cur = cur->parent, depth++) {
        int idx = 0, type = 0;
        int r = scope_find(b, cur, e, &idx, &type);
        if (r < 0) return NULL;
        if (r == 0) continue;
        if (depth == 0) {
            if (cur->agg_mode && !cur->in_agg) return agg_column(b, cur, idx, type, e);
            return plan_expr_column(b->arena, idx, type);
        }
        /* an outer reference: every level between is correlated */
        plan_expr *inner;
        if (cur->agg_mode && !cur->in_agg) {
            inner = agg_column(b, cur, idx, type, e);
            if (!inner) return NULL;
        } else {
            inner = plan_expr_column(b->arena, idx, type);
        }
        for (scope *x = s; x != cur; x = x->parent) x->correlated = 1;
        plan_expr *o = plan_expr_new(b->arena, PEX_OUTER, inner->type);
        o->u.outer.depth = depth;
        o->u.outer.index = inner->u.col.index;
        return o;
    }
    if (e->table)
        berr(b, STRATA_ERROR, &e->tok, "no such column: %s%s%s.%s", e->ns ? e->ns : "",
             e->ns ? "." : "", e->table, e->name);
    else
        berr(b, STRATA_ERROR, &e->tok, "no such column: %s", e->name);
    return NULL;
}

/* ---------------------------------------------------------------- expressions */

static plan_expr *bind_expr(sql_binder *b, scope *s, const sql_expr *e);
static plan_node *bind_select(sql_binder *b, scope *parent, const sql_select *sel);

static int binop_of(int op)
{
    switch (op) {
    case SQL_OP_ADD:
        return PLAN_OP_ADD;
    case SQL_OP_SUB:
        return PLAN_OP_SUB;
    case SQL_OP_MUL:
        return PLAN_OP_MUL;
    case SQL_OP_DIV:
        return PLAN_OP_DIV;
    case SQL_OP_MOD:
        return PLAN_OP_MOD;
    case SQL_OP_EQ:
        return PLAN_OP_EQ;
    case SQL_OP_NE:
        return PLAN_OP_NE;
    case SQL_OP_LT:
        return PLAN_OP_LT;
    case SQL_OP_LE:
        return PLAN_OP_LE;
    case SQL_OP_GT:
        return PLAN_OP_GT;
    case SQL_OP_GE:
        return PLAN_OP_GE;
    case SQL_OP_IS:
        return PLAN_OP_IS_NOT_DISTINCT;
    case SQL_OP_ISNOT:
        return PLAN_OP_IS_DISTINCT;
    case SQL_OP_AND:
        return PLAN_OP_AND;
    case SQL_OP_OR:
        return PLAN_OP_OR;
    case SQL_OP_CONCAT:
        return PLAN_OP_CONCAT;
    case SQL_OP_BITAND:
        return PLAN_OP_BITAND;
    case SQL_OP_BITOR:
        return PLAN_OP_BITOR;
    case SQL_OP_LSHIFT:
        return PLAN_OP_SHL;
    case SQL_OP_RSHIFT:
        return PLAN_OP_SHR;
    }
    return -1;
}

/* Makes l and r comparable (for =, <, IN, BETWEEN, IS); 0 on a mismatch (error recorded). */
static int compare_types(sql_binder *b, plan_expr **l, plan_expr **r, const sql_token *at,
                         const char *op)
{
    int lt = (*l)->type, rt = (*r)->type;
    if (lt == rt) return 1;
    if (lt == STRATA_TYPE_NULL) {
        *l = retype(b, *l, rt);
        return 1;
    }
    if (rt == STRATA_TYPE_NULL) {
        *r = retype(b, *r, lt);
        return 1;
    }
    if (sql_type_is_numeric(lt) && sql_type_is_numeric(rt)) return 1;
    /* BOOLEAN vs number: compare as numbers (SQLite's 0/1) */
    if (lt == STRATA_TYPE_BOOLEAN && sql_type_is_numeric(rt)) {
        *l = mk_cast(b, *l, STRATA_TYPE_BIGINT);
        return 1;
    }
    if (rt == STRATA_TYPE_BOOLEAN && sql_type_is_numeric(lt)) {
        *r = mk_cast(b, *r, STRATA_TYPE_BIGINT);
        return 1;
    }
    /* a TEXT constant against a TIMESTAMP: the constant is read as a timestamp */
    if (lt == STRATA_TYPE_TIMESTAMP && rt == STRATA_TYPE_TEXT && (*r)->kind == PEX_CONST) {
        *r = mk_cast(b, *r, lt);
        return 1;
    }
    if (rt == STRATA_TYPE_TIMESTAMP && lt == STRATA_TYPE_TEXT && (*l)->kind == PEX_CONST) {
        *l = mk_cast(b, *l, rt);
        return 1;
    }
    berr(b, STRATA_TYPE, at, "type mismatch: %s %s %s", sql_type_name(lt), op, sql_type_name(rt));
    return 0;
}

static plan_expr *bind_binary(sql_binder *b, scope *s, const sql_expr *e)
{
    plan_expr *l = bind_expr(b, s, e->a);
    if (!l) return NULL;
    plan_expr *r = bind_expr(b, s, e->b);
    if (!r) return NULL;
    int op = binop_of(e->op);
    const char *opname = sql_op_text(e->op);
    switch (e->op) {
    case SQL_OP_AND:
    case SQL_OP_OR:
        l = as_bool(b, l, &e->a->tok, e->op == SQL_OP_AND ? "operand of AND" : "operand of OR");
        r = l ? as_bool(b, r, &e->b->tok, e->op == SQL_OP_AND ? "operand of AND" : "operand of OR")
              : NULL;
        if (!l || !r) return NULL;
        return plan_expr_binary(b->arena, op, STRATA_TYPE_BOOLEAN, l, r);
    case SQL_OP_ADD:
    case SQL_OP_SUB:
    case SQL_OP_MUL:
    case SQL_OP_DIV:
    case SQL_OP_MOD: {
        int lt = l->type, rt = r->type;
        if (lt == STRATA_TYPE_NULL && rt == STRATA_TYPE_NULL) lt = rt = STRATA_TYPE_BIGINT;
        if (lt == STRATA_TYPE_NULL) lt = rt;
        if (rt == STRATA_TYPE_NULL) rt = lt;
        int t = plan_arith_type(lt, rt);
        if (t < 0) {
            berr(b, STRATA_TYPE, &e->tok, "type mismatch: %s %s %s", sql_type_name(l->type), opname,
                 sql_type_name(r->type));
            return NULL;
        }
        l = retype(b, l, l->type == STRATA_TYPE_NULL ? lt : l->type);
        r = retype(b, r, r->type == STRATA_TYPE_NULL ? rt : r->type);
        return plan_expr_binary(b->arena, op, t, l, r);
    }
    case SQL_OP_BITAND:
    case SQL_OP_BITOR:
    case SQL_OP_LSHIFT:
    case SQL_OP_RSHIFT: {
        /* INT/BIGINT only (as PostgreSQL); NULL is BIGINT */
        int lt = l->type == STRATA_TYPE_NULL ? STRATA_TYPE_BIGINT : l->type;
        int rt = r->type == STRATA_TYPE_NULL ? STRATA_TYPE_BIGINT : r->type;
        if (!sql_type_is_integer(lt) || !sql_type_is_integer(rt)) {
            berr(b, STRATA_TYPE, &e->tok, "type mismatch: %s %s %s", sql_type_name(l->type), opname,
                 sql_type_name(r->type));
            return NULL;
        }
        /* & |: the wider type; << >>: the left operand's type (as PostgreSQL) */
        int t = lt == STRATA_TYPE_BIGINT || rt == STRATA_TYPE_BIGINT ? STRATA_TYPE_BIGINT
                                                                     : STRATA_TYPE_INT;
        if (e->op == SQL_OP_LSHIFT || e->op == SQL_OP_RSHIFT) t = lt;
        return plan_expr_binary(b->arena, op, t, retype(b, l, lt), retype(b, r, rt));
    }
    case SQL_OP_CONCAT:
        if (l->type == STRATA_TYPE_BLOB || r->type == STRATA_TYPE_BLOB) {
            berr(b, STRATA_TYPE, &e->tok, "type mismatch: %s || %s", sql_type_name(l->type),
                 sql_type_name(r->type));
            return NULL;
        }
        return plan_expr_binary(b->arena, op, STRATA_TYPE_TEXT, retype(b, l, STRATA_TYPE_TEXT),
                                retype(b, r, STRATA_TYPE_TEXT));
    default:
        if (!compare_types(b, &l, &r, &e->tok, opname)) return NULL;
        return plan_expr_binary(b->arena, op, STRATA_TYPE_BOOLEAN, l, r);
    }
}

typedef struct fn_def {
    const char *name;
    int fn;
    int min, max; /* argument counts */
} fn_def;

static const fn_def scalar_fns[] = {
    {"abs", PLAN_FN_ABS, 1, 1},
    {"round", PLAN_FN_ROUND, 1, 2},
    {"lower", PLAN_FN_LOWER, 1, 1},
    {"upper", PLAN_FN_UPPER, 1, 1},
    {"length", PLAN_FN_LENGTH, 1, 1},
    {"substr", PLAN_FN_SUBSTR, 2, 3},
    {"substring", PLAN_FN_SUBSTR, 2, 3},
    {"trim", PLAN_FN_TRIM, 1, 2},
    {"ltrim", PLAN_FN_LTRIM, 1, 2},
    {"rtrim", PLAN_FN_RTRIM, 1, 2},
    {"coalesce", PLAN_FN_COALESCE, 1, 1000},
    {"ifnull", PLAN_FN_COALESCE, 2, 2},
    {"nullif", PLAN_FN_NULLIF, 2, 2},
    {"now", PLAN_FN_NOW, 0, 0},
    {"replace", PLAN_FN_REPLACE, 3, 3},
};

static plan_expr *bind_agg(sql_binder *b, scope *s, const sql_expr *e)
{
    if (!s || !s->agg_allowed || !s->agg) {
        berr(b, STRATA_ERROR, &e->tok, "aggregate function %s() is not allowed in %s", e->name,
             s && s->agg_where ? s->agg_where : "this context");
        return NULL;
    }
    if (s->in_agg) {
        berr(b, STRATA_ERROR, &e->tok, "aggregate function calls cannot be nested");
        return NULL;
    }
    plan_agg a;
    memset(&a, 0, sizeof a);
    a.distinct = e->distinct;
    int nargs = e->list ? e->list->n : 0;
    if (e->star) {
        if (strcmp(e->name, "count") != 0) {
            berr(b, STRATA_ERROR, &e->tok, "%s(*) is not a function; only count(*)", e->name);
            return NULL;
        }
        a.fn = PLAN_AGG_COUNT_STAR;
        a.type = STRATA_TYPE_BIGINT;
    } else {
        if (nargs != 1) {
            berr(b, STRATA_ERROR, &e->tok, "wrong number of arguments to function %s(): %d",
                 e->name, nargs);
            return NULL;
        }
        s->in_agg = 1;
        plan_expr *arg = bind_expr(b, s, e->list->items[0].expr);
        s->in_agg = 0;
        if (!arg) return NULL;
        int t = arg->type;
        if (strcmp(e->name, "count") == 0) {
            a.fn = PLAN_AGG_COUNT;
            a.type = STRATA_TYPE_BIGINT;
        } else if (strcmp(e->name, "min") == 0 || strcmp(e->name, "max") == 0) {
            a.fn = e->name[1] == 'i' ? PLAN_AGG_MIN : PLAN_AGG_MAX;
            if (t == STRATA_TYPE_NULL) arg = retype(b, arg, t = STRATA_TYPE_BIGINT);
            a.type = t;
        } else {
            if (t == STRATA_TYPE_NULL) arg = retype(b, arg, t = STRATA_TYPE_BIGINT);
            if (t == STRATA_TYPE_BOOLEAN) arg = mk_cast(b, arg, t = STRATA_TYPE_BIGINT);
            if (!sql_type_is_numeric(t)) {
                berr(b, STRATA_TYPE, &e->tok, "type mismatch: %s(%s)", e->name, sql_type_name(t));
                return NULL;
            }
            if (strcmp(e->name, "avg") == 0) {
                a.fn = PLAN_AGG_AVG;
                a.type = STRATA_TYPE_DOUBLE;
            } else if (strcmp(e->name, "total") == 0) { /* SQLite's total(): a DOUBLE sum */
                a.fn = PLAN_AGG_SUM;
                if (t != STRATA_TYPE_DOUBLE) arg = mk_cast(b, arg, STRATA_TYPE_DOUBLE);
                a.type = STRATA_TYPE_DOUBLE;
            } else {
                a.fn = PLAN_AGG_SUM;
                a.type = t == STRATA_TYPE_DOUBLE ? STRATA_TYPE_DOUBLE : STRATA_TYPE_BIGINT;
            }
        }
        a.arg = arg;
    }
    agg_state *st = s->agg;
    for (int k = 0; k < st->naggs; k++) {
        const plan_agg *x = &st->aggs[k];
        if (x->fn == a.fn && x->distinct == a.distinct && expr_equal(x->arg, a.arg))
            return plan_expr_column(b->arena, st->ngroups + k, x->type);
    }
    if (st->naggs == st->capaggs) {
        int ncap = st->capaggs ? st->capaggs * 2 : 4;
        plan_agg *v = balloc(b, sizeof *v * (size_t)ncap);
        if (st->naggs) memcpy(v, st->aggs, sizeof *v * (size_t)st->naggs);
        st->aggs = v;
        st->capaggs = ncap;
    }
    st->aggs[st->naggs] = a;
    return plan_expr_column(b->arena, st->ngroups + st->naggs++, a.type);
}

static plan_expr *bind_func(sql_binder *b, scope *s, const sql_expr *e)
{
    if (is_agg_name(e->name)) return bind_agg(b, s, e);
    const fn_def *d = NULL;
    for (size_t i = 0; i < sizeof scalar_fns / sizeof scalar_fns[0]; i++)
        if (strcmp(scalar_fns[i].name, e->name) == 0) d = &scalar_fns[i];
    if (!d) {
        berr(b, STRATA_ERROR, &e->tok, "no such function: %s", e->name);
        return NULL;
    }
    int nargs = e->list ? e->list->n : 0;
    if (e->star || e->distinct || nargs < d->min || nargs > d->max) {
        berr(b, STRATA_ERROR, &e->tok, "wrong number of arguments to function %s()", e->name);
        return NULL;
    }
    plan_expr **args = balloc(b, sizeof *args * (size_t)(nargs ? nargs : 1));
    for (int i = 0; i < nargs; i++) {
        args[i] = bind_expr(b, s, e->list->items[i].expr);
        if (!args[i]) return NULL;
    }
    int t = STRATA_TYPE_TEXT;
    switch (d->fn) {
    case PLAN_FN_ABS:
    case PLAN_FN_ROUND:
        if (args[0]->type == STRATA_TYPE_NULL) args[0] = retype(b, args[0], STRATA_TYPE_BIGINT);
        if (!sql_type_is_numeric(args[0]->type)) goto mismatch;
        if (nargs == 2) args[1] = retype(b, args[1], STRATA_TYPE_BIGINT);
        t = args[0]->type;
        break;
    case PLAN_FN_LOWER:
    case PLAN_FN_UPPER:
    case PLAN_FN_TRIM:
    case PLAN_FN_LTRIM:
    case PLAN_FN_RTRIM:
    case PLAN_FN_REPLACE:
        for (int i = 0; i < nargs; i++) {
            if (args[i]->type == STRATA_TYPE_BLOB) goto mismatch;
            args[i] = retype(b, args[i], STRATA_TYPE_TEXT);
        }
        break;
    case PLAN_FN_LENGTH:
        if (args[0]->type != STRATA_TYPE_BLOB) args[0] = retype(b, args[0], STRATA_TYPE_TEXT);
        t = STRATA_TYPE_BIGINT;
        break;
    case PLAN_FN_SUBSTR:
        if (args[0]->type == STRATA_TYPE_BLOB) goto mismatch;
        args[0] = retype(b, args[0], STRATA_TYPE_TEXT);
        for (int i = 1; i < nargs; i++) {
            if (!sql_type_is_numeric(args[i]->type) && args[i]->type != STRATA_TYPE_NULL)
                goto mismatch;
            args[i] = retype(b, args[i], STRATA_TYPE_BIGINT);
        }
        break;
    case PLAN_FN_COALESCE: {
        t = STRATA_TYPE_NULL;
        for (int i = 0; i < nargs; i++) {
            int u = unify(t, args[i]->type);
            if (u < 0) goto mismatch;
            t = u;
        }
        if (t == STRATA_TYPE_NULL) t = STRATA_TYPE_BIGINT;
        for (int i = 0; i < nargs; i++) args[i] = retype(b, args[i], t);
        break;
    }
    case PLAN_FN_NULLIF:
        if (!compare_types(b, &args[0], &args[1], &e->tok, "nullif")) return NULL;
        t = args[0]->type == STRATA_TYPE_NULL ? STRATA_TYPE_BIGINT : args[0]->type;
        args[0] = retype(b, args[0], t);
        break;
    case PLAN_FN_NOW:
        t = STRATA_TYPE_TIMESTAMP;
        break;
    }
    plan_expr *f = plan_expr_new(b->arena, PEX_FUNC, t);
    f->u.func.fn = d->fn;
    f->u.func.args = args;
    f->u.func.nargs = nargs;
    return f;
mismatch : {
    char types[128] = "";
    size_t n = 0;
    for (int i = 0; i < nargs && n < sizeof types; i++)
        n += (size_t)snprintf(types + n, sizeof types - n, "%s%s", i ? ", " : "",
                              sql_type_name(args[i]->type));
    berr(b, STRATA_TYPE, &e->tok, "type mismatch: %s(%s)", e->name, types);
    return NULL;
}
}

static plan_expr *bind_subquery(sql_binder *b, scope *s, const sql_expr *e, int kind,
                                plan_expr *lhs)
{
    if (++b->depth > 64) {
        berr(b, STRATA_TOOBIG, &e->tok, "subqueries nested too deeply (more than 64)");
        return NULL;
    }
    /* the subquery's own scope is created by bind_select with s as its parent; its correlated
     * flag comes back through sub_correlated */
    scope probe;
    memset(&probe, 0, sizeof probe);
    probe.parent = s;
    probe.level = s ? s->level + 1 : 1;
    plan_node *p = bind_select(b, &probe, e->sel);
    b->depth--;
    if (!p) return NULL;
    plan_expr *x = plan_expr_new(b->arena, PEX_SUBQUERY, STRATA_TYPE_BOOLEAN);
    x->u.sub.kind = kind;
    x->u.sub.plan = p;
    x->u.sub.negated = e->not_;
    x->u.sub.correlated = probe.correlated;
    if (kind == PLAN_SUB_SCALAR || kind == PLAN_SUB_IN) {
        if (p->ncols != 1) {
            berr(b, STRATA_ERROR, &e->tok, "sub-select returns %d columns - expected 1", p->ncols);
            return NULL;
        }
        if (kind == PLAN_SUB_SCALAR) {
            x->type = (uint8_t)(p->types[0] == STRATA_TYPE_NULL ? STRATA_TYPE_BIGINT : p->types[0]);
        } else {
            plan_expr col = {0};
            col.kind = PEX_COLUMN;
            col.type = (uint8_t)p->types[0];
            plan_expr *cp = &col;
            if (!compare_types(b, &lhs, &cp, &e->tok, "IN")) return NULL;
            x->u.sub.lhs = lhs;
        }
    }
    return x;
}

/* Binds e evaluated above the aggregate: a GROUP BY key or an expression built from keys,
 * aggregates and constants. */
static plan_expr *bind_agg_mode(sql_binder *b, scope *s, const sql_expr *e, int *done)
{
    *done = 0;
    if (ast_has_agg(e) || ast_has_subquery(e)) return NULL;
    s->agg_mode = 0;
    plan_expr *pe = bind_expr(b, s, e);
    s->agg_mode = 1;
    if (!pe) {
        *done = 1;
        return NULL;
    }
    for (int g = 0; g < s->agg->ngroups; g++) {
        if (expr_equal(pe, s->agg->groups[g])) {
            *done = 1;
            return plan_expr_column(b->arena, g, pe->type);
        }
    }
    if (!has_column(pe)) {
        *done = 1;
        return pe;
    }
    return NULL; /* recurse: parts of it may be keys; a bare column is an error there */
}

static plan_expr *bind_expr(sql_binder *b, scope *s, const sql_expr *e)
{
    if (b->rc) return NULL;
    if (!e) {
        berr(b, STRATA_ERROR, NULL, "missing expression");
        return NULL;
    }
    if (s && s->agg_mode && !s->in_agg && e->kind != SQL_E_COLUMN) {
        int done;
        plan_expr *pe = bind_agg_mode(b, s, e, &done);
        if (done) return pe;
        if (b->rc) return NULL;
    }
    switch (e->kind) {
    case SQL_E_NULL:
        return plan_expr_const(b->arena, sql_null(STRATA_TYPE_NULL));
    case SQL_E_INT:
        return plan_expr_const(b->arena, sql_int(STRATA_TYPE_BIGINT, e->u.i));
    case SQL_E_FLOAT:
        return plan_expr_const(b->arena, sql_double(e->u.d));
    case SQL_E_STRING:
        return plan_expr_const(b->arena, sql_text(STRATA_TYPE_TEXT, e->u.s.p, e->u.s.n));
    case SQL_E_BLOB:
        return plan_expr_const(b->arena, sql_text(STRATA_TYPE_BLOB, e->u.s.p, e->u.s.n));
    case SQL_E_BOOL:
        return plan_expr_const(b->arena, sql_int(STRATA_TYPE_BOOLEAN, e->u.i));
    case SQL_E_PARAM: {
        plan_expr *p = plan_expr_new(b->arena, PEX_PARAM, STRATA_TYPE_NULL);
        p->u.param.index = (int)e->u.i;
        if (e->u.i > b->nparams) b->nparams = (int)e->u.i;
        return p;
    }
    case SQL_E_COLUMN: {
        /* CURRENT_TIMESTAMP is now() unless a column has that name */
        int is_now = !e->table && strcmp(e->name, "current_timestamp") == 0;
        if (is_now) {
            int idx, t, found = 0;
            for (scope *x = s; x && !found; x = x->parent)
                found = scope_find(b, x, e, &idx, &t) != 0;
            if (b->rc) return NULL;
            if (!found) {
                plan_expr *f = plan_expr_new(b->arena, PEX_FUNC, STRATA_TYPE_TIMESTAMP);
                f->u.func.fn = PLAN_FN_NOW;
                return f;
            }
        }
        if (!s) {
            berr(b, STRATA_ERROR, &e->tok, "no such column: %s", e->name);
            return NULL;
        }
        return bind_column(b, s, e);
    }
    case SQL_E_STAR:
        berr(b, STRATA_SYNTAX, &e->tok, "* is only allowed in a select list or count(*)");
        return NULL;
    case SQL_E_UNARY: {
        plan_expr *a = bind_expr(b, s, e->a);
        if (!a) return NULL;
        if (e->op == SQL_OP_NOT) {
            a = as_bool(b, a, &e->tok, "argument of NOT");
            return a ? plan_expr_unary(b->arena, PLAN_OP_NOT, STRATA_TYPE_BOOLEAN, a) : NULL;
        }
        if (a->type == STRATA_TYPE_NULL) a = retype(b, a, STRATA_TYPE_BIGINT);
        if (e->op == SQL_OP_BITNOT) {
            if (a->type != STRATA_TYPE_INT && a->type != STRATA_TYPE_BIGINT) {
                berr(b, STRATA_TYPE, &e->tok, "type mismatch: ~%s", sql_type_name(a->type));
                return NULL;
            }
            return plan_expr_unary(b->arena, PLAN_OP_BITNOT, a->type, a);
        }
        if (!sql_type_is_numeric(a->type)) {
            berr(b, STRATA_TYPE, &e->tok, "type mismatch: %s%s", sql_op_text(e->op),
                 sql_type_name(a->type));
            return NULL;
        }
        if (e->op == SQL_OP_PLUS) return a;
        return plan_expr_unary(b->arena, PLAN_OP_NEG, a->type, a);
    }
    case SQL_E_BINARY:
        return bind_binary(b, s, e);
    case SQL_E_ISNULL: {
        plan_expr *a = bind_expr(b, s, e->a);
        if (!a) return NULL;
        if (a->type == STRATA_TYPE_NULL) a = retype(b, a, STRATA_TYPE_BIGINT);
        return plan_expr_unary(b->arena, e->not_ ? PLAN_OP_IS_NOT_NULL : PLAN_OP_IS_NULL,
                               STRATA_TYPE_BOOLEAN, a);
    }
    case SQL_E_IN_LIST: {
        plan_expr *a = bind_expr(b, s, e->a);
        if (!a) return NULL;
        int n = e->list ? e->list->n : 0;
        if (n == 0) /* x IN () is FALSE, x NOT IN () TRUE */
            return plan_expr_const(b->arena, sql_int(STRATA_TYPE_BOOLEAN, e->not_));
        plan_expr **list = balloc(b, sizeof *list * (size_t)n);
        for (int i = 0; i < n; i++) {
            list[i] = bind_expr(b, s, e->list->items[i].expr);
            if (!list[i] || !compare_types(b, &a, &list[i], &e->list->items[i].expr->tok, "IN"))
                return NULL;
        }
        if (a->type == STRATA_TYPE_NULL) {
            int t = STRATA_TYPE_NULL;
            for (int i = 0; i < n; i++)
                t = unify(t, list[i]->type) < 0 ? t : unify(t, list[i]->type);
            a = retype(b, a, t == STRATA_TYPE_NULL ? STRATA_TYPE_BIGINT : t);
            for (int i = 0; i < n; i++) list[i] = retype(b, list[i], a->type);
        }
        plan_expr *x = plan_expr_new(b->arena, PEX_IN_LIST, STRATA_TYPE_BOOLEAN);
        x->u.in.arg = a;
        x->u.in.list = list;
        x->u.in.n = n;
        x->u.in.negated = e->not_;
        return x;
    }
    case SQL_E_IN_SELECT: {
        plan_expr *a = bind_expr(b, s, e->a);
        if (!a) return NULL;
        return bind_subquery(b, s, e, PLAN_SUB_IN, a);
    }
    case SQL_E_BETWEEN: {
        plan_expr *a = bind_expr(b, s, e->a);
        plan_expr *lo = a ? bind_expr(b, s, e->b) : NULL;
        plan_expr *hi = lo ? bind_expr(b, s, e->c) : NULL;
        if (!hi) return NULL;
        if (!compare_types(b, &a, &lo, &e->tok, "BETWEEN") ||
            !compare_types(b, &a, &hi, &e->tok, "BETWEEN"))
            return NULL;
        if (a->type == STRATA_TYPE_NULL) a = retype(b, a, STRATA_TYPE_BIGINT);
        lo = retype(b, lo, lo->type == STRATA_TYPE_NULL ? a->type : lo->type);
        hi = retype(b, hi, hi->type == STRATA_TYPE_NULL ? a->type : hi->type);
        plan_expr *x = plan_expr_new(b->arena, PEX_BETWEEN, STRATA_TYPE_BOOLEAN);
        x->u.between.arg = a;
        x->u.between.lo = lo;
        x->u.between.hi = hi;
        x->u.between.negated = e->not_;
        return x;
    }
    case SQL_E_LIKE: {
        plan_expr *a = bind_expr(b, s, e->a);
        plan_expr *p = a ? bind_expr(b, s, e->b) : NULL;
        if (!p) return NULL;
        if (a->type == STRATA_TYPE_BLOB || p->type == STRATA_TYPE_BLOB) {
            berr(b, STRATA_TYPE, &e->tok, "type mismatch: %s LIKE %s", sql_type_name(a->type),
                 sql_type_name(p->type));
            return NULL;
        }
        if (e->c) { /* LIKE ... ESCAPE: like_escape(a, p, esc), NOT LIKE is NOT of it */
            plan_expr *esc = bind_expr(b, s, e->c);
            if (!esc) return NULL;
            if (esc->type == STRATA_TYPE_BLOB) {
                berr(b, STRATA_TYPE, &e->c->tok, "type mismatch: ESCAPE %s",
                     sql_type_name(esc->type));
                return NULL;
            }
            plan_expr *f = plan_expr_new(b->arena, PEX_FUNC, STRATA_TYPE_BOOLEAN);
            f->u.func.fn = PLAN_FN_LIKE_ESCAPE;
            f->u.func.nargs = 3;
            f->u.func.args = balloc(b, sizeof *f->u.func.args * 3);
            f->u.func.args[0] = retype(b, a, STRATA_TYPE_TEXT);
            f->u.func.args[1] = retype(b, p, STRATA_TYPE_TEXT);
            f->u.func.args[2] = retype(b, esc, STRATA_TYPE_TEXT);
            return e->not_ ? plan_expr_unary(b->arena, PLAN_OP_NOT, STRATA_TYPE_BOOLEAN, f) : f;
        }
        return plan_expr_binary(b->arena, e->not_ ? PLAN_OP_NOT_LIKE : PLAN_OP_LIKE,
                                STRATA_TYPE_BOOLEAN, retype(b, a, STRATA_TYPE_TEXT),
                                retype(b, p, STRATA_TYPE_TEXT));
    }
    case SQL_E_CASE: {
        int n = e->list ? e->list->n / 2 : 0;
        plan_expr *operand = NULL;
        if (e->a && !(operand = bind_expr(b, s, e->a))) return NULL;
        plan_expr **when = balloc(b, sizeof *when * (size_t)(n ? n : 1));
        plan_expr **then = balloc(b, sizeof *then * (size_t)(n ? n : 1));
        int t = STRATA_TYPE_NULL;
        for (int i = 0; i < n; i++) {
            const sql_expr *we = e->list->items[2 * i].expr, *te = e->list->items[2 * i + 1].expr;
            when[i] = bind_expr(b, s, we);
            if (!when[i]) return NULL;
            if (operand) {
                if (!compare_types(b, &operand, &when[i], &we->tok, "=")) return NULL;
            } else if (!(when[i] = as_bool(b, when[i], &we->tok, "a WHEN condition"))) {
                return NULL;
            }
            then[i] = bind_expr(b, s, te);
            if (!then[i]) return NULL;
            int u = unify(t, then[i]->type);
            if (u < 0) {
                berr(b, STRATA_TYPE, &te->tok, "type mismatch: CASE branches of types %s and %s",
                     sql_type_name(t), sql_type_name(then[i]->type));
                return NULL;
            }
            t = u;
        }
        plan_expr *els = NULL;
        if (e->b) {
            if (!(els = bind_expr(b, s, e->b))) return NULL;
            int u = unify(t, els->type);
            if (u < 0) {
                berr(b, STRATA_TYPE, &e->b->tok, "type mismatch: CASE branches of types %s and %s",
                     sql_type_name(t), sql_type_name(els->type));
                return NULL;
            }
            t = u;
        }
        if (t == STRATA_TYPE_NULL) t = STRATA_TYPE_BIGINT;
        if (operand && operand->type == STRATA_TYPE_NULL)
            operand = retype(b, operand, STRATA_TYPE_BIGINT);
        for (int i = 0; i < n; i++) {
            then[i] = retype(b, then[i], t);
            if (operand)
                when[i] = retype(b, when[i],
                                 when[i]->type == STRATA_TYPE_NULL ? operand->type : when[i]->type);
        }
        if (els) els = retype(b, els, t);
        plan_expr *x = plan_expr_new(b->arena, PEX_CASE, t);
        x->u.case_.operand = operand;
        x->u.case_.when = when;
        x->u.case_.then = then;
        x->u.case_.n = n;
        x->u.case_.else_ = els;
        return x;
    }
    case SQL_E_CAST: {
        if (e->cast_type < 0) {
            berr(b, STRATA_TYPE, &e->type_tok, "unknown type name: %.*s", (int)e->type_tok.n,
                 e->type_tok.p);
            return NULL;
        }
        plan_expr *a = bind_expr(b, s, e->a);
        if (!a) return NULL;
        if (a->type == e->cast_type) return a;
        if (a->type == STRATA_TYPE_NULL) return retype(b, a, e->cast_type);
        return mk_cast(b, a, e->cast_type);
    }
    case SQL_E_EXISTS:
        return bind_subquery(b, s, e, PLAN_SUB_EXISTS, NULL);
    case SQL_E_SUBQUERY:
        return bind_subquery(b, s, e, PLAN_SUB_SCALAR, NULL);
    case SQL_E_FUNC:
        return bind_func(b, s, e);
    }
    berr(b, STRATA_ERROR, &e->tok, "unsupported expression");
    return NULL;
}

/* ---------------------------------------------------------------- SELECT */

/* A view is kept in the catalog as a table descriptor without rows whose columns are the
 * view's output columns and whose option VIEW_OPTION holds the view's SELECT (printed by
 * sql_stmt_to_string; names in it resolve in the view's namespace). The binder expands it
 * wherever it is named; DML on it is refused. User options may not contain '.', so no table
 * can become a view by accident. */
#define VIEW_OPTION SQL_VIEW_OPTION

static const char *view_sql(const cat_table *t)
{
    return t->kind == CAT_KIND_SYSTEM ? NULL : cat_table_option(t, VIEW_OPTION);
}

static const cat_table *find_table(sql_binder *b, const sql_qname *q)
{
    const char *ns = q->ns ? q->ns : b->cur_ns;
    const cat_table *t = cat_find_table(b->snap, ns, CAT_NTS, q->name, CAT_NTS);
    if (!t) {
        if (!cat_find_namespace(b->snap, ns, CAT_NTS))
            berr(b, STRATA_NOTFOUND, &q->tok, "no such namespace: %s", ns);
        else
            berr(b, STRATA_NOTFOUND, &q->tok, "no such table: %s.%s", ns, q->name);
    }
    return t;
}

static plan_node *scan_node(sql_binder *b, const cat_table *t)
{
    plan_node *n = plan_node_new(b->arena, t->kind == CAT_KIND_SYSTEM ? PLAN_SYSSCAN : PLAN_SCAN,
                                 (int)t->ncols);
    n->u.scan.table = t;
    n->u.scan.cols = balloc(b, sizeof(int) * t->ncols);
    for (uint32_t i = 0; i < t->ncols; i++) {
        n->types[i] = t->cols[i].type;
        n->names[i] = t->cols[i].name;
        n->u.scan.cols[i] = (int)i;
    }
    return n;
}

/* The name of an output column computed by e. */
static const char *expr_name(sql_binder *b, const sql_expr *e)
{
    if (e->kind == SQL_E_COLUMN) return bstrdup(b, e->name);
    char *s = sql_expr_to_string(e);
    size_t n = strlen(s);
    const char *r;
    if (n >= 2 && s[0] == '(' && s[n - 1] == ')' && e->kind != SQL_E_SUBQUERY)
        r = arena_strndup(b->arena, s + 1, n - 2);
    else
        r = arena_strndup(b->arena, s, n);
    free(s);
    return r;
}

/* The plan of view t: its stored SELECT, bound in the view's namespace with no outer scope. */
static plan_node *bind_view(sql_binder *b, const cat_table *t, const sql_token *at)
{
    if (++b->depth > 64) {
        berr(b, STRATA_TOOBIG, at, "views nested too deeply (or defined in a cycle): %s.%s",
             t->ns_name, t->name);
        return NULL;
    }
    const char *text = view_sql(t);
    sql_parse p;
    sql_parse_init(&p);
    sql_stmt *st = NULL;
    size_t next;
    plan_node *pl = NULL;
    if (sql_parse_next(&p, text, strlen(text), 0, &st, &next) != STRATA_OK || !st ||
        st->kind != SQL_ST_SELECT) {
        berr(b, STRATA_CORRUPT, at, "view %s.%s: bad definition in the catalog: %s", t->ns_name,
             t->name, p.rc ? p.msg : "not a SELECT");
    } else {
        const char *save_ns = b->cur_ns;
        const int *save_hint = b->hint_types;
        b->cur_ns = t->ns_name;
        b->hint_types = NULL;
        scope sub;
        memset(&sub, 0, sizeof sub);
        sub.level = 2;
        pl = bind_select(b, &sub, st->sel);
        b->cur_ns = save_ns;
        b->hint_types = save_hint;
        if (!pl) {
            char inner[sizeof b->msg];
            memcpy(inner, b->msg, sizeof inner);
            int n = snprintf(b->msg, sizeof b->msg, "view %s.%s: ", t->ns_name, t->name);
            if (n > 0 && (size_t)n < sizeof b->msg)
                snprintf(b->msg + n, sizeof b->msg - (size_t)n, "%.*s",
                         (int)(sizeof b->msg - (size_t)n - 1), inner);
        } else if ((uint32_t)pl->ncols != t->ncols) {
            berr(b, STRATA_ERROR, at,
                 "view %s.%s no longer matches its definition (%d columns, not %u); "
                 "re-create it",
                 t->ns_name, t->name, pl->ncols, t->ncols);
            pl = NULL;
        }
    }
    sql_parse_destroy(&p);
    b->depth--;
    return pl;
}

static plan_node *bind_from(sql_binder *b, scope *s, const sql_from *from)
{
    plan_node *cur = NULL;
    for (int i = 0; i < from->n; i++) {
        const sql_from_item *it = &from->items[i];
        plan_node *p;
        const char *name, *ns = NULL;
        if (it->sel) {
            scope sub;
            memset(&sub, 0, sizeof sub); /* a derived table sees no outer columns */
            sub.level = s->level + 1;
            if (++b->depth > 64) {
                berr(b, STRATA_TOOBIG, &it->alias_tok, "subqueries nested too deeply");
                return NULL;
            }
            p = bind_select(b, &sub, it->sel);
            b->depth--;
            if (!p) return NULL;
            name = it->alias;
        } else {
            const cat_table *t = find_table(b, &it->table);
            if (!t) return NULL;
            if (view_sql(t)) {
                p = bind_view(b, t, &it->table.tok);
                if (!p) return NULL;
                for (int c = 0; c < p->ncols; c++) p->names[c] = t->cols[c].name;
            } else {
                p = scan_node(b, t);
            }
            name = it->alias ? it->alias : t->name;
            ns = it->alias ? NULL : t->ns_name;
        }
        for (int k = 0; k < s->n; k++) {
            if (name && s->items[k].name && strcasecmp(s->items[k].name, name) == 0 &&
                !(s->items[k].ns && ns && strcasecmp(s->items[k].ns, ns) != 0)) {
                berr(b, STRATA_ERROR, it->alias ? &it->alias_tok : &it->table.tok,
                     "table name \"%s\" specified more than once", name);
                return NULL;
            }
        }
        scope_add(b, s, name, ns, p->ncols, p->names, p->types, 0);
        if (!cur) {
            cur = p;
            continue;
        }
        plan_node *j = plan_node_new(b->arena, PLAN_JOIN, cur->ncols + p->ncols);
        memcpy(j->types, cur->types, sizeof(int) * (size_t)cur->ncols);
        memcpy(j->types + cur->ncols, p->types, sizeof(int) * (size_t)p->ncols);
        memcpy(j->names, cur->names, sizeof(char *) * (size_t)cur->ncols);
        memcpy(j->names + cur->ncols, p->names, sizeof(char *) * (size_t)p->ncols);
        j->left = cur;
        j->right = p;
        switch (it->join) {
        case SQL_JOIN_LEFT:
            j->u.join.type = PLAN_JOIN_LEFT;
            break;
        case SQL_JOIN_INNER:
            j->u.join.type = PLAN_JOIN_INNER;
            break;
        default:
            j->u.join.type = PLAN_JOIN_CROSS;
        }
        if (it->on) {
            s->agg_where = "JOIN ... ON";
            plan_expr *c = bind_expr(b, s, it->on);
            c = as_bool(b, c, &it->on->tok, "the ON condition");
            if (!c) return NULL;
            j->u.join.cond = c;
        }
        cur = j;
    }
    return cur;
}

/* The select list entry of ORDER BY / GROUP BY term e: by position (integer) or by output
 * name; -1 if it is neither (an expression). */
static int output_ref(sql_binder *b, const sql_expr *e, int ncols, const char *const *names,
                      const char *what)
{
    if (e->kind == SQL_E_INT) {
        if (e->u.i < 1 || e->u.i > ncols) {
            berr(b, STRATA_ERROR, &e->tok, "%s term out of range - should be between 1 and %d",
                 what, ncols);
            return -2;
        }
        return (int)e->u.i - 1;
    }
    if (e->kind == SQL_E_COLUMN && !e->table && names) {
        for (int i = 0; i < ncols; i++)
            if (names[i] && strcasecmp(names[i], e->name) == 0) return i;
    }
    return -1;
}

static plan_node *add_limit(sql_binder *b, plan_node *in, const sql_select *sel)
{
    if (!sel->limit && !sel->offset) return in;
    plan_node *l = plan_node_new(b->arena, PLAN_LIMIT, in->ncols);
    memcpy(l->types, in->types, sizeof(int) * (size_t)in->ncols);
    memcpy(l->names, in->names, sizeof(char *) * (size_t)in->ncols);
    l->left = in;
    const sql_expr *xs[2] = {sel->limit, sel->offset};
    plan_expr *out[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        if (!xs[i]) continue;
        plan_expr *x = bind_expr(b, NULL, xs[i]);
        if (!x) return NULL;
        if (!sql_type_is_integer(x->type) && x->type != STRATA_TYPE_NULL) {
            berr(b, STRATA_TYPE, &xs[i]->tok, "type mismatch: %s must be an integer, not %s",
                 i ? "OFFSET" : "LIMIT", sql_type_name(x->type));
            return NULL;
        }
        out[i] = retype(b, x, STRATA_TYPE_BIGINT);
    }
    l->u.limit.limit = out[0];
    l->u.limit.offset = out[1];
    return l;
}

/* 1 if sel is the plain VALUES list of an INSERT (its values are cast to their columns one by
 * one instead of being unified per column). */
static int is_insert_values(const sql_binder *b, const sql_select *sel)
{
    return sel == b->insert_values && sel->kind == SQL_SEL_VALUES && !sel->order_by &&
           !sel->limit && !sel->offset;
}

static plan_node *bind_values(sql_binder *b, scope *s, const sql_select *sel)
{
    int ncols = sel->values[0] ? sel->values[0]->n : 0;
    /* the rows of INSERT ... VALUES: each value is cast (or refused) by its target column
     * later, not unified with the others */
    int raw = is_insert_values(b, sel);
    plan_expr **rows = balloc(b, sizeof *rows * (size_t)sel->nvalues * (size_t)ncols);
    int *types = balloc(b, sizeof(int) * (size_t)ncols);
    for (int r = 0; r < sel->nvalues; r++) {
        const sql_expr_list *row = sel->values[r];
        if (row->n != ncols) {
            berr(b, STRATA_ERROR, &row->items[0].expr->tok,
                 "all VALUES must have the same number of terms (%d, not %d)", ncols, row->n);
            return NULL;
        }
        for (int c = 0; c < ncols; c++) {
            plan_expr *x = bind_expr(b, s, row->items[c].expr);
            if (!x) return NULL;
            if (has_column(x)) {
                berr(b, STRATA_ERROR, &row->items[c].expr->tok, "VALUES may not refer to columns");
                return NULL;
            }
            rows[(size_t)r * ncols + c] = x;
            if (raw) continue;
            int u = unify(types[c], x->type);
            if (u < 0) {
                berr(b, STRATA_TYPE, &row->items[c].expr->tok,
                     "type mismatch: VALUES column %d holds %s and %s", c + 1,
                     sql_type_name(types[c]), sql_type_name(x->type));
                return NULL;
            }
            types[c] = u;
        }
    }
    plan_node *n = plan_node_new(b->arena, PLAN_VALUES, ncols);
    for (int c = 0; c < ncols; c++) {
        char name[32];
        snprintf(name, sizeof name, "column%d", c + 1);
        n->names[c] = bstrdup(b, name);
        /* untyped (NULL/param only) columns stay NULL here: an INSERT gives them its type */
        n->types[c] = types[c];
    }
    for (int r = 0; r < sel->nvalues && !raw; r++)
        for (int c = 0; c < ncols; c++)
            if (types[c] != STRATA_TYPE_NULL)
                rows[(size_t)r * ncols + c] = retype(b, rows[(size_t)r * ncols + c], types[c]);
    n->u.values.nrows = sel->nvalues;
    n->u.values.rows = rows;
    return n;
}

static plan_node *project_cast(sql_binder *b, plan_node *in, const int *types)
{
    int need = 0;
    for (int i = 0; i < in->ncols; i++)
        if (in->types[i] != types[i]) need = 1;
    if (!need) return in;
    plan_node *p = plan_node_new(b->arena, PLAN_PROJECT, in->ncols);
    p->left = in;
    p->u.project.exprs = balloc(b, sizeof(plan_expr *) * (size_t)in->ncols);
    for (int i = 0; i < in->ncols; i++) {
        plan_expr *c = plan_expr_column(b->arena, i, in->types[i]);
        if (in->types[i] == STRATA_TYPE_NULL)
            c = mk_cast(b, c, types[i]);
        else if (in->types[i] != types[i])
            c = mk_cast(b, c, types[i]);
        p->u.project.exprs[i] = c;
        p->types[i] = types[i];
        p->names[i] = in->names[i];
    }
    return p;
}

static plan_node *bind_order_compound(sql_binder *b, plan_node *in, const sql_select *sel)
{
    if (!sel->order_by) return in;
    plan_node *so = plan_node_new(b->arena, PLAN_SORT, in->ncols);
    memcpy(so->types, in->types, sizeof(int) * (size_t)in->ncols);
    memcpy(so->names, in->names, sizeof(char *) * (size_t)in->ncols);
    so->left = in;
    so->u.sort.nkeys = sel->order_by->n;
    so->u.sort.keys = balloc(b, sizeof(plan_sort_key) * (size_t)sel->order_by->n);
    for (int i = 0; i < sel->order_by->n; i++) {
        const sql_expr_item *it = &sel->order_by->items[i];
        int k = output_ref(b, it->expr, in->ncols, in->names, "ORDER BY");
        if (k == -2) return NULL;
        if (k < 0) {
            berr(b, STRATA_ERROR, &it->expr->tok,
                 "ORDER BY term of a compound SELECT must name an output column");
            return NULL;
        }
        plan_sort_key *key = &so->u.sort.keys[i];
        key->expr = plan_expr_column(b->arena, k, in->types[k]);
        key->desc = it->desc;
        key->nulls_first = it->nulls ? it->nulls == SQL_NULLS_FIRST : it->desc;
    }
    return so;
}

static plan_node *bind_compound(sql_binder *b, scope *parent, const sql_select *sel)
{
    scope ls = {0}, rs = {0};
    ls.parent = rs.parent = parent->parent;
    ls.level = rs.level = parent->level;
    plan_node *l = bind_select(b, &ls, sel->left);
    if (!l) return NULL;
    plan_node *r = bind_select(b, &rs, sel->right);
    if (!r) return NULL;
    parent->correlated |= ls.correlated | rs.correlated;
    if (l->ncols != r->ncols) {
        berr(b, STRATA_ERROR, &sel->right->tok,
             "SELECTs to the left and right of %s do not have the same number of result "
             "columns (%d and %d)",
             sel->op == SQL_UNION       ? "UNION"
             : sel->op == SQL_UNION_ALL ? "UNION ALL"
             : sel->op == SQL_INTERSECT ? "INTERSECT"
                                        : "EXCEPT",
             l->ncols, r->ncols);
        return NULL;
    }
    int *types = balloc(b, sizeof(int) * (size_t)l->ncols);
    for (int i = 0; i < l->ncols; i++) {
        int u = unify(l->types[i], r->types[i]);
        if (u < 0) {
            berr(b, STRATA_TYPE, &sel->right->tok,
                 "type mismatch: column %d of the compound SELECT is %s on the left and %s on "
                 "the right",
                 i + 1, sql_type_name(l->types[i]), sql_type_name(r->types[i]));
            return NULL;
        }
        types[i] = u == STRATA_TYPE_NULL ? STRATA_TYPE_BIGINT : u;
    }
    l = project_cast(b, l, types);
    r = project_cast(b, r, types);
    plan_node *n = plan_node_new(b->arena, PLAN_SETOP, l->ncols);
    memcpy(n->types, types, sizeof(int) * (size_t)l->ncols);
    memcpy(n->names, l->names, sizeof(char *) * (size_t)l->ncols);
    n->left = l;
    n->right = r;
    switch (sel->op) {
    case SQL_UNION:
        n->u.setop.op = PLAN_SET_UNION;
        break;
    case SQL_UNION_ALL:
        n->u.setop.op = PLAN_SET_UNION;
        n->u.setop.all = 1;
        break;
    case SQL_INTERSECT:
        n->u.setop.op = PLAN_SET_INTERSECT;
        break;
    default:
        n->u.setop.op = PLAN_SET_EXCEPT;
    }
    n = bind_order_compound(b, n, sel);
    return n ? add_limit(b, n, sel) : NULL;
}

/* Binds sel with scope s (already linked to its parent; its items are added here). */
static plan_node *bind_select(sql_binder *b, scope *s, const sql_select *sel)
{
    if (b->rc) return NULL;
    if (sel->kind == SQL_SEL_COMPOUND) return bind_compound(b, s, sel);
    if (sel->kind == SQL_SEL_VALUES) {
        plan_node *v = bind_values(b, s, sel);
        if (!v) return NULL;
        if (is_insert_values(b, sel)) {
            /* INSERT ... VALUES: bind_insert casts every value to its column */
            for (int i = 0; i < v->ncols; i++)
                v->types[i] = i < b->nhint ? b->hint_types[i] : STRATA_TYPE_BIGINT;
            v = bind_order_compound(b, v, sel);
            return v ? add_limit(b, v, sel) : NULL;
        }
        for (int i = 0; i < v->ncols; i++) {
            if (v->types[i] != STRATA_TYPE_NULL) continue;
            int all_params = 1;
            for (int r = 0; r < v->u.values.nrows; r++) {
                const plan_expr *x = v->u.values.rows[(size_t)r * v->ncols + i];
                if (x->kind != PEX_PARAM) all_params = 0;
            }
            v->types[i] = all_params ? STRATA_TYPE_TEXT : STRATA_TYPE_BIGINT;
            if (s->level == 1 && b->hint_types && i < b->nhint) v->types[i] = b->hint_types[i];
        }
        for (int r = 0; r < v->u.values.nrows; r++)
            for (int c = 0; c < v->ncols; c++)
                v->u.values.rows[(size_t)r * v->ncols + c] =
                    retype(b, v->u.values.rows[(size_t)r * v->ncols + c], v->types[c]);
        v = bind_order_compound(b, v, sel);
        return v ? add_limit(b, v, sel) : NULL;
    }

    /* FROM */
    plan_node *in;
    if (sel->from) {
        in = bind_from(b, s, sel->from);
        if (!in) return NULL;
    } else {
        in = plan_node_new(b->arena, PLAN_VALUES, 0);
        in->u.values.nrows = 1;
    }

    /* WHERE */
    if (sel->where) {
        s->agg_where = "WHERE";
        plan_expr *c = bind_expr(b, s, sel->where);
        c = as_bool(b, c, &sel->where->tok, "the WHERE condition");
        if (!c) return NULL;
        in = plan_filter_new(b->arena, in, c);
    }

    /* the select list, * expanded */
    int nitems = 0;
    for (int i = 0; i < sel->cols->n; i++) {
        const sql_expr *e = sel->cols->items[i].expr;
        if (e->kind != SQL_E_STAR) {
            nitems++;
            continue;
        }
        int found = 0;
        for (int k = 0; k < s->n; k++) {
            if (e->table && (!s->items[k].name || strcasecmp(s->items[k].name, e->table) != 0))
                continue;
            if (s->items[k].qualified_only) continue;
            nitems += s->items[k].ncols;
            found = 1;
        }
        if (!found) {
            if (e->table)
                berr(b, STRATA_ERROR, &e->tok, "no such table: %s", e->table);
            else
                berr(b, STRATA_ERROR, &e->tok, "SELECT * with no tables specified");
            return NULL;
        }
    }

    /* aggregation */
    int aggregated = sel->group_by || list_has_agg(sel->cols) || ast_has_agg(sel->having) ||
                     list_has_agg(sel->order_by);
    agg_state agg = {0};
    plan_node *aggnode = NULL;
    if (sel->having && !aggregated) {
        berr(b, STRATA_ERROR, &sel->having->tok, "a GROUP BY clause is required before HAVING");
        return NULL;
    }
    if (aggregated) {
        int ng = sel->group_by ? sel->group_by->n : 0;
        agg.groups = balloc(b, sizeof(plan_expr *) * (size_t)(ng ? ng : 1));
        s->agg_where = "GROUP BY";
        for (int g = 0; g < ng; g++) {
            const sql_expr *ge = sel->group_by->items[g].expr;
            /* GROUP BY 2 / GROUP BY alias name the select list's expression */
            if (ge->kind == SQL_E_INT || ge->kind == SQL_E_COLUMN) {
                const char **names = balloc(b, sizeof(char *) * (size_t)sel->cols->n);
                for (int i = 0; i < sel->cols->n; i++) names[i] = sel->cols->items[i].alias;
                int k = -1;
                if (ge->kind == SQL_E_INT) {
                    k = output_ref(b, ge, sel->cols->n, names, "GROUP BY");
                } else {
                    int idx, t;
                    scope only = *s;
                    only.parent = NULL;
                    int r = scope_find(b, &only, ge, &idx, &t);
                    if (r < 0) return NULL;
                    if (r == 0) k = output_ref(b, ge, sel->cols->n, names, "GROUP BY");
                }
                if (k == -2) return NULL;
                if (k >= 0) {
                    ge = sel->cols->items[k].expr;
                    if (ge->kind == SQL_E_STAR || ast_has_agg(ge)) {
                        berr(b, STRATA_ERROR, &sel->group_by->items[g].expr->tok,
                             "GROUP BY term %d refers to an aggregate or *", g + 1);
                        return NULL;
                    }
                }
            }
            plan_expr *x = bind_expr(b, s, ge);
            if (!x) return NULL;
            agg.groups[agg.ngroups++] = default_type(b, x);
        }
        aggnode = plan_node_new(b->arena, PLAN_AGGREGATE, 0);
        aggnode->left = in;
        s->agg = &agg;
        s->agg_mode = 1;
    }

    /* select list */
    int nhidden = 0, cap = nitems + (sel->order_by ? sel->order_by->n : 0);
    plan_expr **exprs = balloc(b, sizeof(plan_expr *) * (size_t)(cap ? cap : 1));
    const char **names = balloc(b, sizeof(char *) * (size_t)(cap ? cap : 1));
    int n = 0;
    s->agg_allowed = 1;
    s->agg_where = "the select list";
    for (int i = 0; i < sel->cols->n; i++) {
        const sql_expr_item *it = &sel->cols->items[i];
        const sql_expr *e = it->expr;
        if (e->kind == SQL_E_STAR) {
            for (int k = 0; k < s->n; k++) {
                const scope_item *si = &s->items[k];
                if (e->table && (!si->name || strcasecmp(si->name, e->table) != 0)) continue;
                if (si->qualified_only) continue;
                for (int c = 0; c < si->ncols; c++) {
                    int idx = si->offset + c;
                    if (aggregated) {
                        sql_expr fake = *e;
                        fake.kind = SQL_E_COLUMN;
                        fake.name = si->names[c];
                        exprs[n] = agg_column(b, s, idx, si->types[c], &fake);
                        if (!exprs[n]) return NULL;
                    } else {
                        exprs[n] = plan_expr_column(b->arena, idx, si->types[c]);
                    }
                    names[n++] = si->names[c];
                }
            }
            continue;
        }
        plan_expr *x = bind_expr(b, s, e);
        if (!x) return NULL;
        if (x->type == STRATA_TYPE_NULL && s->level == 1 && b->hint_types && n < b->nhint)
            x = retype(b, x, b->hint_types[n]);
        exprs[n] = default_type(b, x);
        names[n++] = it->alias ? bstrdup(b, it->alias) : expr_name(b, e);
    }
    int nout = n;

    /* HAVING */
    plan_expr *having = NULL;
    if (sel->having) {
        s->agg_where = "HAVING";
        having = bind_expr(b, s, sel->having);
        having = as_bool(b, having, &sel->having->tok, "the HAVING condition");
        if (!having) return NULL;
    }

    /* ORDER BY: output column, or (without DISTINCT) a hidden column */
    plan_sort_key *keys = NULL;
    if (sel->order_by) {
        s->agg_where = "ORDER BY";
        keys = balloc(b, sizeof *keys * (size_t)sel->order_by->n);
        for (int i = 0; i < sel->order_by->n; i++) {
            const sql_expr_item *it = &sel->order_by->items[i];
            int k = output_ref(b, it->expr, nout, names, "ORDER BY");
            if (k == -2) return NULL;
            if (k >= 0 && it->expr->kind == SQL_E_COLUMN) {
                /* a name that is also an input column of another meaning: the output alias
                 * wins (SQL's rule for ORDER BY) */
            }
            if (k < 0) {
                plan_expr *x = bind_expr(b, s, it->expr);
                if (!x) return NULL;
                x = default_type(b, x);
                for (int j = 0; j < n && k < 0; j++)
                    if (expr_equal(exprs[j], x)) k = j;
                if (k < 0) {
                    if (sel->distinct) {
                        berr(b, STRATA_ERROR, &it->expr->tok,
                             "for SELECT DISTINCT, ORDER BY expressions must appear in the "
                             "select list");
                        return NULL;
                    }
                    exprs[n] = x;
                    names[n] = "?sort?";
                    k = n++;
                    nhidden++;
                }
            }
            keys[i].expr = plan_expr_column(b->arena, k, exprs[k]->type);
            keys[i].desc = it->desc;
            keys[i].nulls_first = it->nulls ? it->nulls == SQL_NULLS_FIRST : it->desc;
        }
    }
    s->agg_mode = 0;
    s->agg = NULL;
    s->agg_allowed = 0;

    if (aggregated) {
        /* now the aggregate node's shape is known */
        plan_node *a = plan_node_new(b->arena, PLAN_AGGREGATE, agg.ngroups + agg.naggs);
        a->left = in;
        a->u.aggregate.ngroups = agg.ngroups;
        a->u.aggregate.groups = agg.groups;
        a->u.aggregate.naggs = agg.naggs;
        a->u.aggregate.aggs = agg.aggs;
        for (int g = 0; g < agg.ngroups; g++) {
            a->types[g] = agg.groups[g]->type;
            a->names[g] = "?group?";
        }
        for (int k = 0; k < agg.naggs; k++) {
            a->types[agg.ngroups + k] = agg.aggs[k].type;
            a->names[agg.ngroups + k] = "?agg?";
        }
        in = a;
        if (having) {
            in = plan_filter_new(b->arena, in, having);
        }
    }

    plan_node *p = plan_node_new(b->arena, PLAN_PROJECT, n);
    p->left = in;
    p->u.project.exprs = exprs;
    for (int i = 0; i < n; i++) {
        p->types[i] = exprs[i]->type;
        p->names[i] = names[i];
    }
    in = p;
    if (sel->distinct) {
        plan_node *d = plan_node_new(b->arena, PLAN_DISTINCT, n);
        memcpy(d->types, p->types, sizeof(int) * (size_t)n);
        memcpy(d->names, p->names, sizeof(char *) * (size_t)n);
        d->left = in;
        in = d;
    }
    if (keys) {
        plan_node *so = plan_node_new(b->arena, PLAN_SORT, n);
        memcpy(so->types, in->types, sizeof(int) * (size_t)n);
        memcpy(so->names, in->names, sizeof(char *) * (size_t)n);
        so->left = in;
        so->u.sort.nkeys = sel->order_by->n;
        so->u.sort.keys = keys;
        in = so;
    }
    if (nhidden) {
        plan_node *q = plan_node_new(b->arena, PLAN_PROJECT, nout);
        q->left = in;
        q->u.project.exprs = balloc(b, sizeof(plan_expr *) * (size_t)nout);
        for (int i = 0; i < nout; i++) {
            q->u.project.exprs[i] = plan_expr_column(b->arena, i, in->types[i]);
            q->types[i] = in->types[i];
            q->names[i] = in->names[i];
        }
        in = q;
    }
    return add_limit(b, in, sel);
}

/* ---------------------------------------------------------------- statements */

static plan_node *rows_node(sql_binder *b, int ncols, const char *const *names, const int *types,
                            int nrows, plan_expr **rows)
{
    plan_node *n = plan_node_new(b->arena, PLAN_VALUES, ncols);
    for (int i = 0; i < ncols; i++) {
        n->names[i] = names[i];
        n->types[i] = types[i];
    }
    n->u.values.nrows = nrows;
    n->u.values.rows = rows;
    return n;
}

static plan_expr *text_const(sql_binder *b, const char *s)
{
    if (!s) return plan_expr_const(b->arena, sql_null(STRATA_TYPE_TEXT));
    return plan_expr_const(b->arena, sql_text(STRATA_TYPE_TEXT, s, (uint32_t)strlen(s)));
}

static int bind_show(sql_binder *b, const sql_stmt *st, sql_bound *out)
{
    static const char *const ns_names[] = {"name"};
    static const int ns_types[] = {STRATA_TYPE_TEXT};
    static const char *const t_names[] = {"name", "kind"};
    static const int t_types[] = {STRATA_TYPE_TEXT, STRATA_TYPE_TEXT};
    static const char *const d_names[] = {"name", "type", "not_null", "primary_key", "default"};
    static const int d_types[] = {STRATA_TYPE_TEXT, STRATA_TYPE_TEXT, STRATA_TYPE_BOOLEAN,
                                  STRATA_TYPE_BOOLEAN, STRATA_TYPE_TEXT};
    if (st->kind == SQL_ST_SHOW_NAMESPACES) {
        size_t n = cat_namespace_count(b->snap);
        plan_expr **rows = balloc(b, sizeof *rows * (n ? n : 1));
        for (size_t i = 0; i < n; i++) rows[i] = text_const(b, cat_namespace_at(b->snap, i)->name);
        out->plan = rows_node(b, 1, ns_names, ns_types, (int)n, rows);
        return STRATA_OK;
    }
    if (st->kind == SQL_ST_SHOW_TABLES) {
        const char *ns = st->name.name ? st->name.name : b->cur_ns;
        const cat_namespace *nsp = cat_find_namespace(b->snap, ns, CAT_NTS);
        if (!nsp) return berr(b, STRATA_NOTFOUND, &st->name.tok, "no such namespace: %s", ns);
        size_t n = cat_table_count(b->snap), k = 0;
        plan_expr **rows = balloc(b, sizeof *rows * 2 * (n ? n : 1));
        for (size_t i = 0; i < n; i++) {
            const cat_table *t = cat_table_at(b->snap, i);
            if (t->ns_id != nsp->id) continue;
            rows[2 * k] = text_const(b, t->name);
            rows[2 * k + 1] = text_const(b, view_sql(t) ? "view" : cat_kind_name(t->kind));
            k++;
        }
        out->plan = rows_node(b, 2, t_names, t_types, (int)k, rows);
        return STRATA_OK;
    }
    /* DESCRIBE */
    const cat_table *t = find_table(b, &st->name);
    if (!t) return b->rc;
    plan_expr **rows = balloc(b, sizeof *rows * 5 * (t->ncols ? t->ncols : 1));
    for (uint32_t i = 0; i < t->ncols; i++) {
        const cat_column *c = &t->cols[i];
        rows[5 * i] = text_const(b, c->name);
        rows[5 * i + 1] = text_const(b, sql_type_name(c->type));
        rows[5 * i + 2] = plan_expr_const(b->arena, sql_int(STRATA_TYPE_BOOLEAN, c->not_null));
        rows[5 * i + 3] = plan_expr_const(b->arena, sql_int(STRATA_TYPE_BOOLEAN, c->pk_pos >= 0));
        rows[5 * i + 4] = text_const(b, c->default_sql);
    }
    out->plan = rows_node(b, 5, d_names, d_types, (int)t->ncols, rows);
    out->table = t;
    return STRATA_OK;
}

/* A value for column c of t: numbers widen or narrow by CAST, NULL and ? take the type. */
static plan_expr *store_cast(sql_binder *b, plan_expr *x, const cat_column *c, const sql_token *at)
{
    int from = x->type, to = c->type;
    if (from == to) return x;
    if ((x->kind == PEX_CONST && x->u.value.is_null) || x->kind == PEX_PARAM) {
        /* NULL and ? take the column's type, whatever a VALUES list defaulted them to */
        x->type = (uint8_t)to;
        if (x->kind == PEX_CONST) x->u.value.type = (uint8_t)to;
        return x;
    }
    if (from == STRATA_TYPE_NULL) return retype(b, x, to);
    if ((sql_type_is_numeric(from) && sql_type_is_numeric(to)) ||
        (from == STRATA_TYPE_BOOLEAN && sql_type_is_numeric(to)) ||
        (from == STRATA_TYPE_TEXT && to == STRATA_TYPE_TIMESTAMP && x->kind == PEX_CONST) ||
        (sql_type_is_integer(from) && to == STRATA_TYPE_TIMESTAMP) ||
        (sql_type_is_integer(from) && to == STRATA_TYPE_BOOLEAN && x->kind == PEX_CONST))
        return mk_cast(b, x, to);
    berr(b, STRATA_TYPE, at, "type mismatch: cannot store %s in column %s of type %s",
         sql_type_name(from), c->name, sql_type_name(to));
    return NULL;
}

static int check_writable(sql_binder *b, const cat_table *t, const sql_token *at)
{
    if (view_sql(t))
        return berr(b, STRATA_ERROR, at, "cannot modify %s.%s because it is a view", t->ns_name,
                    t->name);
    if (t->kind == CAT_KIND_SYSTEM)
        return berr(b, STRATA_ERROR, at, "table %s.%s is a system table and may not be modified",
                    t->ns_name, t->name);
    if (t->refreshable)
        return berr(b, STRATA_ERROR, at,
                    "table %s.%s is refreshable: its rows change only by REFRESH TABLE", t->ns_name,
                    t->name);
    return STRATA_OK;
}

/* Binds the DEFAULT of column c (stored as SQL text) to a constant expression. */
static plan_expr *bind_default(sql_binder *b, const cat_table *t, const cat_column *c)
{
    if (!c->default_sql) return NULL;
    sql_parse p;
    sql_parse_init(&p);
    size_t len = strlen(c->default_sql) + 8;
    char *sql = malloc(len);
    snprintf(sql, len, "SELECT %s", c->default_sql);
    sql_stmt *st = NULL;
    size_t next;
    plan_expr *x = NULL;
    if (sql_parse_next(&p, sql, strlen(sql), 0, &st, &next) != STRATA_OK || !st ||
        st->kind != SQL_ST_SELECT || st->sel->kind != SQL_SEL_SIMPLE || st->sel->cols->n != 1) {
        berr(b, STRATA_CORRUPT, NULL, "bad DEFAULT of column %s.%s.%s in the catalog: %s",
             t->ns_name, t->name, c->name, c->default_sql);
    } else {
        x = bind_expr(b, NULL, st->sel->cols->items[0].expr);
        if (x) x = store_cast(b, x, c, NULL);
    }
    free(sql);
    sql_parse_destroy(&p);
    return x;
}

static int bind_insert(sql_binder *b, const sql_stmt *st, sql_bound *out)
{
    const cat_table *t = find_table(b, &st->name);
    if (!t || check_writable(b, t, &st->name.tok)) return b->rc;
    out->table = t;
    int nc = st->ids ? st->ids->n : (int)t->ncols;
    int *cols = balloc(b, sizeof(int) * (size_t)nc);
    char *given = balloc(b, t->ncols);
    for (int i = 0; i < nc; i++) {
        if (!st->ids) {
            cols[i] = i;
        } else {
            const sql_name *nm = &st->ids->items[i];
            int k = cat_column_index(t, nm->s, CAT_NTS);
            if (k < 0)
                return berr(b, STRATA_ERROR, &nm->tok, "table %s.%s has no column named %s",
                            t->ns_name, t->name, nm->s);
            if (given[k])
                return berr(b, STRATA_ERROR, &nm->tok, "column %s given more than once", nm->s);
            cols[i] = k;
        }
        given[cols[i]] = 1;
    }
    /* the source rows; untyped values take their column's type */
    int *hint = balloc(b, sizeof(int) * (size_t)nc);
    for (int i = 0; i < nc; i++) hint[i] = t->cols[cols[i]].type;
    b->hint_types = hint;
    b->nhint = nc;
    b->insert_values = st->sel;
    scope s0 = {0};
    s0.level = 1;
    plan_node *src = bind_select(b, &s0, st->sel);
    b->hint_types = NULL;
    b->nhint = 0;
    b->insert_values = NULL;
    if (!src) return b->rc;
    if (src->ncols != nc)
        return berr(b, STRATA_ERROR, &st->sel->tok,
                    "table %s.%s has %d columns but %d values "
                    "were supplied",
                    t->ns_name, t->name, nc, src->ncols);
    if (src->kind == PLAN_VALUES && st->sel->kind == SQL_SEL_VALUES && src->ncols == nc &&
        !st->sel->order_by && !st->sel->limit && !st->sel->offset) {
        /* cast each value to its column's type in place */
        for (int r = 0; r < src->u.values.nrows; r++) {
            for (int c = 0; c < nc; c++) {
                plan_expr **x = &src->u.values.rows[(size_t)r * nc + c];
                const sql_expr *ae =
                    st->sel->kind == SQL_SEL_VALUES ? st->sel->values[r]->items[c].expr : NULL;
                *x = store_cast(b, *x, &t->cols[cols[c]], ae ? &ae->tok : &st->sel->tok);
                if (!*x) return b->rc;
            }
        }
        for (int c = 0; c < nc; c++) {
            src->types[c] = t->cols[cols[c]].type;
            src->names[c] = t->cols[cols[c]].name;
        }
    } else {
        plan_node *p = plan_node_new(b->arena, PLAN_PROJECT, nc);
        p->left = src;
        p->u.project.exprs = balloc(b, sizeof(plan_expr *) * (size_t)nc);
        for (int c = 0; c < nc; c++) {
            plan_expr *x = plan_expr_column(b->arena, c, src->types[c]);
            x = store_cast(b, x, &t->cols[cols[c]], &st->sel->tok);
            if (!x) return b->rc;
            p->u.project.exprs[c] = x;
            p->types[c] = t->cols[cols[c]].type;
            p->names[c] = t->cols[cols[c]].name;
        }
        src = p;
    }
    plan_node *ins = plan_node_new(b->arena, PLAN_INSERT, 0);
    ins->left = src;
    ins->u.insert.table = t;
    ins->u.insert.cols = cols;
    ins->u.insert.defaults = balloc(b, sizeof(plan_expr *) * t->ncols);
    for (uint32_t i = 0; i < t->ncols; i++) {
        if (given[i]) continue;
        const cat_column *c = &t->cols[i];
        if (c->default_sql) {
            ins->u.insert.defaults[i] = bind_default(b, t, c);
            if (!ins->u.insert.defaults[i]) return b->rc ? b->rc : STRATA_ERROR;
        } else if (c->not_null) {
            return berr(b, STRATA_CONSTRAINT, &st->tok,
                        "NOT NULL constraint failed: %s.%s.%s has no value and no default",
                        t->ns_name, t->name, c->name);
        }
    }
    ins->u.insert.on_conflict = PLAN_CONFLICT_ERROR;
    if (st->conflict) {
        if (t->has_rowid)
            return berr(b, STRATA_ERROR, &st->conflict_tok,
                        "ON CONFLICT needs a primary key; table %s.%s has none", t->ns_name,
                        t->name);
        if (st->conflict_ids) {
            int ok = st->conflict_ids->n == (int)t->npk;
            for (int i = 0; ok && i < st->conflict_ids->n; i++) {
                int k = cat_column_index(t, st->conflict_ids->items[i].s, CAT_NTS);
                int in_pk = 0;
                for (uint32_t j = 0; j < t->npk; j++)
                    if ((int)t->pk_cols[j] == k) in_pk = 1;
                ok = k >= 0 && in_pk;
            }
            if (!ok)
                return berr(b, STRATA_ERROR, &st->conflict_tok,
                            "ON CONFLICT target must be the primary key of %s.%s", t->ns_name,
                            t->name);
        } else if (st->conflict == SQL_CONFLICT_UPDATE) {
            return berr(b, STRATA_SYNTAX, &st->conflict_tok,
                        "ON CONFLICT DO UPDATE requires a conflict target (the primary key)");
        }
    }
    if (st->conflict == SQL_CONFLICT_NOTHING) {
        ins->u.insert.on_conflict = PLAN_CONFLICT_NOTHING;
    } else if (st->conflict == SQL_CONFLICT_UPDATE) {
        ins->u.insert.on_conflict = PLAN_CONFLICT_UPDATE;
        const char **names = balloc(b, sizeof(char *) * t->ncols);
        int *types = balloc(b, sizeof(int) * t->ncols);
        for (uint32_t i = 0; i < t->ncols; i++) {
            names[i] = t->cols[i].name;
            types[i] = t->cols[i].type;
        }
        scope s = {0};
        s.level = 1;
        scope_add(b, &s, t->name, t->ns_name, (int)t->ncols, names, types, 0);
        scope_add(b, &s, "excluded", NULL, (int)t->ncols, names, types, 1);
        s.agg_where = "ON CONFLICT DO UPDATE";
        int n = st->set->n;
        ins->u.insert.nset = n;
        ins->u.insert.set_cols = balloc(b, sizeof(int) * (size_t)n);
        ins->u.insert.set_exprs = balloc(b, sizeof(plan_expr *) * (size_t)n);
        for (int i = 0; i < n; i++) {
            const sql_expr_item *it = &st->set->items[i];
            int k = cat_column_index(t, it->alias, CAT_NTS);
            if (k < 0)
                return berr(b, STRATA_ERROR, &it->alias_tok, "table %s.%s has no column named %s",
                            t->ns_name, t->name, it->alias);
            for (int j = 0; j < i; j++)
                if (ins->u.insert.set_cols[j] == k)
                    return berr(b, STRATA_ERROR, &it->alias_tok,
                                "column %s assigned more than once", it->alias);
            plan_expr *x = bind_expr(b, &s, it->expr);
            if (!x || !(x = store_cast(b, x, &t->cols[k], &it->expr->tok))) return b->rc;
            ins->u.insert.set_cols[i] = k;
            ins->u.insert.set_exprs[i] = x;
        }
        if (st->where) {
            plan_expr *w = bind_expr(b, &s, st->where);
            w = as_bool(b, w, &st->where->tok, "the WHERE condition");
            if (!w) return b->rc;
            ins->u.insert.set_where = w;
        }
    }
    out->plan = ins;
    return STRATA_OK;
}

/* SCAN t [FILTER where]: every column in table order, for UPDATE and DELETE. */
static plan_node *dml_input(sql_binder *b, const cat_table *t, const sql_expr *where, scope *s)
{
    plan_node *in = scan_node(b, t);
    scope_add(b, s, t->name, t->ns_name, in->ncols, in->names, in->types, 0);
    if (!where) return in;
    s->agg_where = "WHERE";
    plan_expr *c = bind_expr(b, s, where);
    c = as_bool(b, c, &where->tok, "the WHERE condition");
    if (!c) return NULL;
    return plan_filter_new(b->arena, in, c);
}

static int bind_update(sql_binder *b, const sql_stmt *st, sql_bound *out)
{
    const cat_table *t = find_table(b, &st->name);
    if (!t || check_writable(b, t, &st->name.tok)) return b->rc;
    out->table = t;
    scope s = {0};
    s.level = 1;
    plan_node *in = dml_input(b, t, st->where, &s);
    if (!in) return b->rc;
    int n = st->set->n;
    plan_node *u = plan_node_new(b->arena, PLAN_UPDATE, 0);
    u->left = in;
    u->u.update.table = t;
    u->u.update.nset = n;
    u->u.update.set_cols = balloc(b, sizeof(int) * (size_t)n);
    u->u.update.set_exprs = balloc(b, sizeof(plan_expr *) * (size_t)n);
    s.agg_where = "UPDATE ... SET";
    for (int i = 0; i < n; i++) {
        const sql_expr_item *it = &st->set->items[i];
        int k = cat_column_index(t, it->alias, CAT_NTS);
        if (k < 0)
            return berr(b, STRATA_ERROR, &it->alias_tok, "table %s.%s has no column named %s",
                        t->ns_name, t->name, it->alias);
        for (int j = 0; j < i; j++)
            if (u->u.update.set_cols[j] == k)
                return berr(b, STRATA_ERROR, &it->alias_tok, "column %s assigned more than once",
                            it->alias);
        plan_expr *x = bind_expr(b, &s, it->expr);
        if (!x || !(x = store_cast(b, x, &t->cols[k], &it->expr->tok))) return b->rc;
        u->u.update.set_cols[i] = k;
        u->u.update.set_exprs[i] = x;
    }
    out->plan = u;
    return STRATA_OK;
}

static int bind_delete(sql_binder *b, const sql_stmt *st, sql_bound *out)
{
    const cat_table *t = find_table(b, &st->name);
    if (!t || check_writable(b, t, &st->name.tok)) return b->rc;
    out->table = t;
    scope s = {0};
    s.level = 1;
    plan_node *in = dml_input(b, t, st->where, &s);
    if (!in) return b->rc;
    plan_node *d = plan_node_new(b->arena, PLAN_DELETE, 0);
    d->left = in;
    d->u.del.table = t;
    out->plan = d;
    return STRATA_OK;
}

static int bind_create_table(sql_binder *b, const sql_stmt *st, sql_bound *out)
{
    if (st->ncols > CAT_MAX_COLUMNS)
        return berr(b, STRATA_TOOBIG, &st->tok, "too many columns: %d (at most %d)", st->ncols,
                    CAT_MAX_COLUMNS);
    cat_table_def *d = balloc(b, sizeof *d);
    cat_column_def *cols = balloc(b, sizeof *cols * (size_t)st->ncols);
    d->ns = st->name.ns ? st->name.ns : b->cur_ns;
    d->name = st->name.name;
    d->ncols = (uint32_t)st->ncols;
    d->cols = cols;
    d->if_not_exists = st->if_not_exists;
    switch (st->table_kind) {
    case SQL_TABLE_USER:
        d->kind = CAT_KIND_USER;
        break;
    case SQL_TABLE_STREAM:
        d->kind = CAT_KIND_STREAM;
        break;
    default:
        d->kind = CAT_KIND_SHARED;
    }
    int npk = 0;
    for (int i = 0; i < st->ncols; i++) {
        const sql_coldef *c = &st->cols[i];
        if (c->type < 0)
            return berr(b, STRATA_TYPE, &c->type_tok, "unknown type name: %.*s", (int)c->type_tok.n,
                        c->type_tok.p);
        for (int j = 0; j < i; j++)
            if (strcasecmp(st->cols[j].name.s, c->name.s) == 0)
                return berr(b, STRATA_ERROR, &c->name.tok, "duplicate column name: %s", c->name.s);
        cols[i].name = c->name.s;
        cols[i].type = c->type;
        cols[i].not_null = c->not_null || c->primary_key;
        cols[i].pk_pos = -1;
        if (c->primary_key) {
            if (npk++ || st->ids)
                return berr(b, STRATA_ERROR, &c->name.tok, "table %s has more than one primary key",
                            st->name.name);
            cols[i].pk_pos = 0;
        }
        if (c->dflt) {
            plan_expr *x = bind_expr(b, NULL, c->dflt);
            if (!x) return b->rc;
            cat_column cc = {0};
            cc.name = c->name.s;
            cc.type = (uint8_t)c->type;
            if (!store_cast(b, x, &cc, &c->dflt->tok)) return b->rc;
            if (b->nparams)
                return berr(b, STRATA_ERROR, &c->dflt->tok, "a DEFAULT may not hold parameters");
            char *text = sql_expr_to_string(c->dflt);
            cols[i].default_sql = bstrdup(b, text);
            free(text);
        }
    }
    if (st->ids) {
        for (int k = 0; k < st->ids->n; k++) {
            const sql_name *nm = &st->ids->items[k];
            int found = -1;
            for (int i = 0; i < st->ncols; i++)
                if (strcasecmp(st->cols[i].name.s, nm->s) == 0) found = i;
            if (found < 0)
                return berr(b, STRATA_ERROR, &nm->tok, "no such column in PRIMARY KEY: %s", nm->s);
            if (cols[found].pk_pos >= 0)
                return berr(b, STRATA_ERROR, &nm->tok, "column %s appears twice in PRIMARY KEY",
                            nm->s);
            cols[found].pk_pos = k;
            cols[found].not_null = 1;
        }
    }
    d->nopts = (uint32_t)st->nopts;
    cat_option *opts = balloc(b, sizeof *opts * (size_t)(st->nopts ? st->nopts : 1));
    for (int i = 0; i < st->nopts; i++) {
        const sql_expr *v = st->opts[i].value;
        opts[i].key = st->opts[i].key.s;
        if (strchr(opts[i].key, '.'))
            return berr(b, STRATA_ERROR, &st->opts[i].key.tok, "unknown table option: %s",
                        opts[i].key);
        char buf[64];
        switch (v->kind) {
        case SQL_E_STRING:
            opts[i].value = arena_strndup(b->arena, v->u.s.p, v->u.s.n);
            break;
        case SQL_E_COLUMN:
            opts[i].value = v->name;
            break;
        case SQL_E_BOOL:
            opts[i].value = v->u.i ? "true" : "false";
            break;
        case SQL_E_INT:
            snprintf(buf, sizeof buf, "%lld", (long long)v->u.i);
            opts[i].value = bstrdup(b, buf);
            break;
        case SQL_E_FLOAT:
            snprintf(buf, sizeof buf, "%.17g", v->u.d);
            opts[i].value = bstrdup(b, buf);
            break;
        default:
            return berr(b, STRATA_ERROR, &v->tok, "bad value for option %s", opts[i].key);
        }
    }
    d->opts = opts;
    out->table_def = d;
    out->ns = d->ns;
    return STRATA_OK;
}

static int bind_create_view(sql_binder *b, const sql_stmt *st, sql_bound *out)
{
    const char *ns = st->name.ns ? st->name.ns : b->cur_ns;
    scope s0 = {0};
    s0.level = 2;
    const char *save_ns = b->cur_ns;
    b->cur_ns = ns; /* names in the view resolve in its own namespace */
    plan_node *p = bind_select(b, &s0, st->sel);
    b->cur_ns = save_ns;
    if (!p) return b->rc;
    if (b->nparams) return berr(b, STRATA_ERROR, &st->tok, "a view may not hold parameters");
    if (st->ids && st->ids->n != p->ncols)
        return berr(b, STRATA_ERROR, &st->ids->items[0].tok,
                    "view %s has %d column names but its SELECT returns %d columns", st->name.name,
                    st->ids->n, p->ncols);
    cat_table_def *d = balloc(b, sizeof *d);
    cat_column_def *cols = balloc(b, sizeof *cols * (size_t)p->ncols);
    for (int i = 0; i < p->ncols; i++) {
        cols[i].name = st->ids ? st->ids->items[i].s : p->names[i];
        for (int j = 0; j < i; j++)
            if (strcasecmp(cols[j].name, cols[i].name) == 0)
                return berr(b, STRATA_ERROR, &st->sel->tok,
                            "duplicate column name in view %s: %s (name it with AS)", st->name.name,
                            cols[i].name);
        cols[i].type = p->types[i] == STRATA_TYPE_NULL ? STRATA_TYPE_BIGINT : p->types[i];
        cols[i].pk_pos = -1;
    }
    sql_stmt sel = {0};
    sel.kind = SQL_ST_SELECT;
    sel.sel = st->sel;
    char *text = sql_stmt_to_string(&sel);
    cat_option *opt = balloc(b, sizeof *opt);
    opt->key = VIEW_OPTION;
    opt->value = bstrdup(b, text);
    free(text);
    d->ns = ns;
    d->name = st->name.name;
    d->ncols = (uint32_t)p->ncols;
    d->cols = cols;
    d->kind = CAT_KIND_SHARED;
    d->nopts = 1;
    d->opts = opt;
    d->if_not_exists = st->if_not_exists;
    out->table_def = d;
    out->ns = ns;
    return STRATA_OK;
}

int sql_bind(sql_binder *b, const sql_stmt *st, sql_bound *out)
{
    memset(out, 0, sizeof *out);
    out->kind = st->kind;
    out->ns = st->name.ns ? st->name.ns : b->cur_ns;
    int rc = STRATA_OK;
    switch (st->kind) {
    case SQL_ST_SELECT:
    case SQL_ST_EXPLAIN: {
        scope s = {0};
        s.level = 1;
        out->plan = bind_select(b, &s, st->sel);
        out->readonly = 1;
        rc = b->rc;
        break;
    }
    case SQL_ST_SHOW_NAMESPACES:
    case SQL_ST_SHOW_TABLES:
    case SQL_ST_DESCRIBE:
        rc = bind_show(b, st, out);
        out->readonly = 1;
        break;
    case SQL_ST_INSERT:
        rc = bind_insert(b, st, out);
        break;
    case SQL_ST_UPDATE:
        rc = bind_update(b, st, out);
        break;
    case SQL_ST_DELETE:
        rc = bind_delete(b, st, out);
        break;
    case SQL_ST_CREATE_TABLE:
        rc = bind_create_table(b, st, out);
        break;
    case SQL_ST_CREATE_NAMESPACE:
    case SQL_ST_DROP_NAMESPACE:
    case SQL_ST_USE:
        out->ns = st->name.name;
        break;
    case SQL_ST_DROP_TABLE:
    case SQL_ST_TRUNCATE:
    case SQL_ST_REFRESH: {
        const char *ns = st->name.ns ? st->name.ns : b->cur_ns;
        const cat_table *t = cat_find_table(b->snap, ns, CAT_NTS, st->name.name, CAT_NTS);
        if (!t && !(st->kind == SQL_ST_DROP_TABLE && st->if_exists))
            rc = find_table(b, &st->name) ? STRATA_OK : b->rc;
        if (t && t->kind == CAT_KIND_SYSTEM)
            rc = berr(b, STRATA_ERROR, &st->name.tok, "table %s.%s is a system table", ns, t->name);
        if (t && view_sql(t) && !rc)
            rc = berr(b, STRATA_ERROR, &st->name.tok, "%s.%s is a view, not a table%s", ns, t->name,
                      st->kind == SQL_ST_DROP_TABLE ? "; use DROP VIEW" : "");
        if (t && st->kind == SQL_ST_TRUNCATE && !rc) rc = check_writable(b, t, &st->name.tok);
        out->table = t;
        break;
    }
    case SQL_ST_CREATE_VIEW:
        rc = bind_create_view(b, st, out);
        break;
    case SQL_ST_DROP_VIEW: {
        const char *ns = st->name.ns ? st->name.ns : b->cur_ns;
        const cat_table *t = cat_find_table(b->snap, ns, CAT_NTS, st->name.name, CAT_NTS);
        if (!t && !st->if_exists)
            rc = berr(b, STRATA_NOTFOUND, &st->name.tok, "no such view: %s.%s", ns, st->name.name);
        else if (t && !view_sql(t))
            rc = berr(b, STRATA_ERROR, &st->name.tok,
                      "%s.%s is a table, not a view; use DROP TABLE", ns, t->name);
        out->table = t;
        break;
    }
    default:
        rc = berr(b, STRATA_ERROR, &st->tok, "unsupported statement");
    }
    out->nparams = b->nparams;
    if (rc == STRATA_OK && b->rc) rc = b->rc;
    return rc;
}
