/* sql/ast.c — AST constructors (called by the grammar's actions) and the parse driver. */
#include "sql/ast.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/types.h"
#include "parse.h"
#include "strata_status.h"

/* The Lemon parser (build/sql/parse.c). */
void *sqlParserAlloc(void *(*mallocProc)(size_t), sql_parse *pParse);
void sqlParserFree(void *p, void (*freeProc)(void *));
void sqlParser(void *p, int major, sql_token minor);

void sql_parse_init(sql_parse *p)
{
    memset(p, 0, sizeof *p);
    arena_init(&p->arena, 8192);
}

void sql_parse_destroy(sql_parse *p)
{
    arena_destroy(&p->arena);
}

int sql_parse_error(sql_parse *p, int code, const char *fmt, ...)
{
    if (p->rc != STRATA_OK) return p->rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
    p->rc = code;
    return code;
}

const char *sql_op_text(int op)
{
    switch (op) {
    case SQL_OP_OR:
        return "OR";
    case SQL_OP_AND:
        return "AND";
    case SQL_OP_NOT:
        return "NOT";
    case SQL_OP_EQ:
        return "=";
    case SQL_OP_NE:
        return "<>";
    case SQL_OP_LT:
        return "<";
    case SQL_OP_LE:
        return "<=";
    case SQL_OP_GT:
        return ">";
    case SQL_OP_GE:
        return ">=";
    case SQL_OP_IS:
        return "IS";
    case SQL_OP_ISNOT:
        return "IS NOT";
    case SQL_OP_ADD:
        return "+";
    case SQL_OP_SUB:
        return "-";
    case SQL_OP_MUL:
        return "*";
    case SQL_OP_DIV:
        return "/";
    case SQL_OP_MOD:
        return "%";
    case SQL_OP_CONCAT:
        return "||";
    case SQL_OP_NEG:
        return "-";
    case SQL_OP_PLUS:
        return "+";
    case SQL_OP_BITAND:
        return "&";
    case SQL_OP_BITOR:
        return "|";
    case SQL_OP_LSHIFT:
        return "<<";
    case SQL_OP_RSHIFT:
        return ">>";
    case SQL_OP_BITNOT:
        return "~";
    }
    return "?";
}

/* ---------------------------------------------------------------- constructors */

static void *zalloc(sql_parse *p, size_t n)
{
    void *v = arena_alloc(&p->arena, n);
    memset(v, 0, n);
    return v;
}

/* Grows an arena array of `size`-byte items to hold n + 1. */
static void *grow(sql_parse *p, void *items, int n, int *cap, size_t size)
{
    if (n < *cap) return items;
    int ncap = *cap ? *cap * 2 : 4;
    void *v = arena_alloc(&p->arena, (size_t)ncap * size);
    if (n) memcpy(v, items, (size_t)n * size);
    *cap = ncap;
    return v;
}

const char *sql_ident(sql_parse *p, const sql_token *t)
{
    if (!t || !t->p) return NULL;
    char *s = arena_alloc(&p->arena, (size_t)t->n + 1);
    size_t n = 0;
    if (sql_token_is_quoted(t)) {
        char q = t->p[0];
        for (uint32_t i = 1; i + 1 < t->n; i++) {
            s[n++] = t->p[i];
            if (t->p[i] == q) i++; /* a doubled quote */
        }
    } else {
        for (uint32_t i = 0; i < t->n; i++) {
            char c = t->p[i];
            s[n++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
    }
    s[n] = 0;
    return s;
}

sql_token sql_token_span(const sql_token *a, const sql_token *b)
{
    sql_token t = *a;
    t.n = (uint32_t)(b->p + b->n - a->p);
    return t;
}

sql_qname sql_qname_make(sql_parse *p, const sql_token *ns, const sql_token *name)
{
    sql_qname q;
    memset(&q, 0, sizeof q);
    q.ns = ns ? sql_ident(p, ns) : NULL;
    q.name = sql_ident(p, name);
    q.tok = ns ? *ns : *name;
    return q;
}

sql_expr *sql_expr_new(sql_parse *p, int kind, const sql_token *tok)
{
    sql_expr *e = zalloc(p, sizeof *e);
    e->kind = (uint8_t)kind;
    if (tok) e->tok = *tok;
    return e;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

sql_expr *sql_expr_literal(sql_parse *p, int tk, const sql_token *tok)
{
    sql_expr *e = sql_expr_new(p, SQL_E_NULL, tok);
    const char *z = tok->p;
    uint32_t n = tok->n;
    switch (tk) {
    case TK_NULL:
        break;
    case TK_TRUE:
    case TK_FALSE:
        e->kind = SQL_E_BOOL;
        e->u.i = tk == TK_TRUE;
        break;
    case TK_STRING: {
        char *s = arena_alloc(&p->arena, n);
        uint32_t m = 0;
        for (uint32_t i = 1; i + 1 < n; i++) {
            s[m++] = z[i];
            if (z[i] == '\'') i++;
        }
        e->kind = SQL_E_STRING;
        e->u.s.p = s;
        e->u.s.n = m;
        break;
    }
    case TK_BLOB: {
        /* x'..' with an even number of hex digits (checked by the tokenizer) */
        uint32_t nd = n - 3;
        char *s = arena_alloc(&p->arena, nd / 2 + 1);
        for (uint32_t i = 0; i < nd / 2; i++)
            s[i] = (char)(hexval(z[2 + 2 * i]) * 16 + hexval(z[3 + 2 * i]));
        e->kind = SQL_E_BLOB;
        e->u.s.p = s;
        e->u.s.n = nd / 2;
        break;
    }
    case TK_INTEGER: {
        e->kind = SQL_E_INT;
        if (n > 2 && z[0] == '0' && (z[1] == 'x' || z[1] == 'X')) {
            if (n - 2 > 16) {
                sql_parse_error(p, STRATA_RANGE,
                                "hex literal too big at line %u, column %u: \"%.*s\"",
                                (unsigned)tok->line, (unsigned)tok->col, (int)(n > 64 ? 64 : n), z);
                break;
            }
            uint64_t v = 0;
            for (uint32_t i = 2; i < n; i++) v = v * 16 + (uint64_t)hexval(z[i]);
            e->u.i = (int64_t)v;
            break;
        }
        uint64_t v = 0;
        int over = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t d = (uint64_t)(z[i] - '0');
            if (v > (UINT64_MAX - d) / 10) {
                over = 1;
                break;
            }
            v = v * 10 + d;
        }
        if (!over && v <= (uint64_t)INT64_MAX) {
            e->u.i = (int64_t)v;
            break;
        }
        /* too big for BIGINT: a DOUBLE, as SQLite (2^63 under unary minus becomes INT64_MIN) */
        e->kind = SQL_E_FLOAT;
        e->u.d = strtod(arena_strndup(&p->arena, z, n), NULL);
        if (isinf(e->u.d))
            sql_parse_error(p, STRATA_RANGE, "number out of range at line %u, column %u",
                            (unsigned)tok->line, (unsigned)tok->col);
        break;
    }
    case TK_FLOAT:
        e->kind = SQL_E_FLOAT;
        e->u.d = strtod(arena_strndup(&p->arena, z, n), NULL);
        if (isinf(e->u.d))
            sql_parse_error(p, STRATA_RANGE, "number out of range at line %u, column %u",
                            (unsigned)tok->line, (unsigned)tok->col);
        break;
    }
    return e;
}

sql_expr *sql_expr_param(sql_parse *p, const sql_token *tok)
{
    sql_expr *e = sql_expr_new(p, SQL_E_PARAM, tok);
    e->u.i = ++p->nparams;
    return e;
}

sql_expr *sql_expr_column(sql_parse *p, const sql_token *a, const sql_token *b, const sql_token *c)
{
    sql_expr *e = sql_expr_new(p, SQL_E_COLUMN, a);
    if (c) {
        e->ns = sql_ident(p, a);
        e->table = sql_ident(p, b);
        e->name = sql_ident(p, c);
    } else if (b) {
        e->table = sql_ident(p, a);
        e->name = sql_ident(p, b);
    } else {
        e->name = sql_ident(p, a);
    }
    return e;
}

sql_expr *sql_expr_binary(sql_parse *p, int op, sql_expr *a, sql_expr *b, const sql_token *tok)
{
    sql_expr *e = sql_expr_new(p, SQL_E_BINARY, tok);
    e->op = (uint8_t)op;
    e->a = a;
    e->b = b;
    return e;
}

sql_expr *sql_expr_unary(sql_parse *p, int op, sql_expr *a, const sql_token *tok)
{
    if (a && op == SQL_OP_NEG && a->kind == SQL_E_INT && a->u.i != INT64_MIN) {
        /* fold -literal so the most negative BIGINT is writable */
        a->u.i = -a->u.i;
        if (tok) a->tok = *tok;
        return a;
    }
    if (a && op == SQL_OP_NEG && a->kind == SQL_E_FLOAT && a->tok.n == 19 &&
        memcmp(a->tok.p, "9223372036854775808", 19) == 0) {
        a->kind = SQL_E_INT;
        a->u.i = INT64_MIN;
        if (tok) a->tok = *tok;
        return a;
    }
    if (a && op == SQL_OP_NEG && a->kind == SQL_E_FLOAT) {
        a->u.d = -a->u.d;
        if (tok) a->tok = *tok;
        return a;
    }
    if (a && op == SQL_OP_NOT && a->kind == SQL_E_EXISTS) {
        a->not_ = !a->not_;
        return a;
    }
    sql_expr *e = sql_expr_new(p, SQL_E_UNARY, tok);
    e->op = (uint8_t)op;
    e->a = a;
    return e;
}

sql_expr *sql_expr_is(sql_parse *p, int not_, sql_expr *a, sql_expr *b, const sql_token *tok)
{
    if (b && b->kind == SQL_E_NULL) {
        sql_expr *e = sql_expr_new(p, SQL_E_ISNULL, tok);
        e->a = a;
        e->not_ = (uint8_t)not_;
        return e;
    }
    return sql_expr_binary(p, not_ ? SQL_OP_ISNOT : SQL_OP_IS, a, b, tok);
}

sql_expr *sql_expr_func(sql_parse *p, const sql_token *name, sql_expr_list *args, int distinct,
                        int star)
{
    sql_expr *e = sql_expr_new(p, SQL_E_FUNC, name);
    /* function names are case-insensitive, even quoted */
    char *s = arena_strndup(&p->arena, name->p, name->n);
    const char *id = sql_ident(p, name);
    strcpy(s, id);
    for (char *c = s; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
    e->name = s;
    e->list = args;
    e->distinct = (uint8_t)distinct;
    e->star = (uint8_t)star;
    return e;
}

sql_expr *sql_expr_cast(sql_parse *p, sql_expr *a, const sql_token *type, const sql_token *tok)
{
    sql_expr *e = sql_expr_new(p, SQL_E_CAST, tok);
    e->a = a;
    e->type_tok = *type;
    e->cast_type = sql_type_from_name(type->p, type->n);
    return e;
}

sql_expr *sql_expr_like(sql_parse *p, sql_expr *a, sql_expr *pat, sql_expr *esc, int not_)
{
    sql_expr *e = sql_expr_new(p, SQL_E_LIKE, a ? &a->tok : NULL);
    e->a = a;
    e->b = pat;
    e->c = esc;
    e->not_ = (uint8_t)not_;
    return e;
}

sql_expr *sql_expr_between(sql_parse *p, sql_expr *a, sql_expr *lo, sql_expr *hi, int not_)
{
    sql_expr *e = sql_expr_new(p, SQL_E_BETWEEN, a ? &a->tok : NULL);
    e->a = a;
    e->b = lo;
    e->c = hi;
    e->not_ = (uint8_t)not_;
    return e;
}

sql_expr *sql_expr_in_list(sql_parse *p, sql_expr *a, sql_expr_list *l, int not_)
{
    sql_expr *e = sql_expr_new(p, SQL_E_IN_LIST, a ? &a->tok : NULL);
    e->a = a;
    e->list = l;
    e->not_ = (uint8_t)not_;
    return e;
}

sql_expr *sql_expr_in_select(sql_parse *p, sql_expr *a, sql_select *s, int not_)
{
    sql_expr *e = sql_expr_new(p, SQL_E_IN_SELECT, a ? &a->tok : NULL);
    e->a = a;
    e->sel = s;
    e->not_ = (uint8_t)not_;
    return e;
}

sql_expr *sql_expr_subquery(sql_parse *p, int kind, sql_select *s, const sql_token *tok)
{
    sql_expr *e = sql_expr_new(p, kind, tok);
    e->sel = s;
    return e;
}

sql_expr *sql_expr_case(sql_parse *p, sql_expr *operand, sql_expr_list *whens, sql_expr *els,
                        const sql_token *tok)
{
    sql_expr *e = sql_expr_new(p, SQL_E_CASE, tok);
    e->a = operand;
    e->list = whens;
    e->b = els;
    return e;
}

sql_expr_list *sql_expr_list_append(sql_parse *p, sql_expr_list *l, sql_expr *e)
{
    if (!l) l = zalloc(p, sizeof *l);
    l->items = grow(p, l->items, l->n, &l->cap, sizeof *l->items);
    memset(&l->items[l->n], 0, sizeof l->items[0]);
    l->items[l->n++].expr = e;
    return l;
}

void sql_expr_list_set_alias(sql_parse *p, sql_expr_list *l, const sql_token *alias)
{
    if (!l || l->n == 0 || !alias) return;
    l->items[l->n - 1].alias = sql_ident(p, alias);
    l->items[l->n - 1].alias_tok = *alias;
}

void sql_expr_list_set_order(sql_expr_list *l, int desc, int nulls)
{
    if (!l || l->n == 0) return;
    l->items[l->n - 1].desc = (uint8_t)desc;
    l->items[l->n - 1].nulls = (uint8_t)nulls;
}

sql_id_list *sql_id_list_append(sql_parse *p, sql_id_list *l, const sql_token *t)
{
    if (!l) l = zalloc(p, sizeof *l);
    l->items = grow(p, l->items, l->n, &l->cap, sizeof *l->items);
    l->items[l->n].s = sql_ident(p, t);
    l->items[l->n].tok = *t;
    l->n++;
    return l;
}

sql_from *sql_from_single(sql_parse *p, const sql_qname *name, sql_select *sub,
                          const sql_token *alias)
{
    sql_from *f = zalloc(p, sizeof *f);
    f->items = grow(p, f->items, 0, &f->cap, sizeof *f->items);
    sql_from_item *it = &f->items[0];
    memset(it, 0, sizeof *it);
    if (name) it->table = *name;
    it->sel = sub;
    if (alias && alias->n) {
        it->alias = sql_ident(p, alias);
        it->alias_tok = *alias;
    }
    it->join = SQL_JOIN_NONE;
    f->n = 1;
    return f;
}

sql_from *sql_from_join(sql_parse *p, sql_from *f, int join, sql_from *item, sql_expr *on)
{
    if (!f) return item;
    if (!item || item->n == 0) return f;
    /* A parenthesised join (item->n > 1) is flattened: exact for "," and CROSS JOIN, since
     * x × (a ⋈ b) = (x × a) ⋈ b when the inner ON conditions cannot see x. An ON of the outer
     * join would have to apply after the whole group: not supported. */
    if (item->n > 1 && on) {
        sql_parse_error(p, STRATA_NOTSUP,
                        "a parenthesised join after JOIN ... ON is not supported at line %u, "
                        "column %u",
                        (unsigned)on->tok.line, (unsigned)on->tok.col);
        return f;
    }
    for (int i = 0; i < item->n; i++) {
        f->items = grow(p, f->items, f->n, &f->cap, sizeof *f->items);
        f->items[f->n] = item->items[i];
        if (i == 0) {
            f->items[f->n].join = (uint8_t)join;
            f->items[f->n].on = on;
        }
        f->n++;
    }
    return f;
}

sql_select *sql_select_new(sql_parse *p, int kind, const sql_token *tok)
{
    sql_select *s = zalloc(p, sizeof *s);
    s->kind = (uint8_t)kind;
    if (tok) s->tok = *tok;
    return s;
}

sql_select *sql_select_compound(sql_parse *p, int op, sql_select *l, sql_select *r)
{
    sql_select *s = sql_select_new(p, SQL_SEL_COMPOUND, l ? &l->tok : NULL);
    s->op = (uint8_t)op;
    s->left = l;
    s->right = r;
    return s;
}

sql_select *sql_select_values(sql_parse *p, sql_select *s, sql_expr_list *row, const sql_token *tok)
{
    if (!s) s = sql_select_new(p, SQL_SEL_VALUES, tok);
    int cap = s->nvalues;
    /* capacity: the next power of two at or above nvalues */
    int c = 4;
    while (c < cap) c *= 2;
    if (s->nvalues == 0 || s->nvalues == c) {
        int ncap = s->nvalues == 0 ? 4 : c * 2;
        sql_expr_list **v = arena_alloc(&p->arena, (size_t)ncap * sizeof *v);
        if (s->nvalues) memcpy(v, s->values, (size_t)s->nvalues * sizeof *v);
        s->values = v;
    }
    s->values[s->nvalues++] = row;
    return s;
}

sql_select *sql_select_finish(sql_parse *p, sql_select *s, sql_expr_list *order, sql_expr *limit,
                              sql_expr *offset)
{
    (void)p;
    if (!s) return s;
    s->order_by = order;
    s->limit = limit;
    s->offset = offset;
    return s;
}

sql_stmt *sql_stmt_new(sql_parse *p, int kind, const sql_token *tok)
{
    sql_stmt *s = zalloc(p, sizeof *s);
    s->kind = (uint8_t)kind;
    if (tok) s->tok = *tok;
    return s;
}

void sql_stmt_add_column(sql_parse *p, const sql_token *name, const sql_token *type)
{
    sql_stmt *s = p->cur;
    if (!s) return;
    s->cols = grow(p, s->cols, s->ncols, &s->capcols, sizeof *s->cols);
    sql_coldef *c = &s->cols[s->ncols++];
    memset(c, 0, sizeof *c);
    c->name.s = sql_ident(p, name);
    c->name.tok = *name;
    c->type_tok = *type;
    c->type = sql_type_from_name(type->p, type->n);
}

sql_coldef *sql_last_column(sql_parse *p)
{
    if (!p->cur || p->cur->ncols == 0) return NULL;
    return &p->cur->cols[p->cur->ncols - 1];
}

void sql_stmt_add_option(sql_parse *p, const sql_token *key, sql_expr *value)
{
    sql_stmt *s = p->cur;
    if (!s) return;
    s->opts = grow(p, s->opts, s->nopts, &s->capopts, sizeof *s->opts);
    sql_option *o = &s->opts[s->nopts++];
    o->key.s = sql_ident(p, key);
    o->key.tok = *key;
    o->value = value;
}

/* ---------------------------------------------------------------- depth check */

static int depth_select(const sql_select *s, int d);

static int depth_list(const sql_expr_list *l, int d);

/* Returns 0 if the tree under e is at most SQL_MAX_DEPTH deep counting from d, else 1. The
 * recursion itself stops at SQL_MAX_DEPTH. */
static int depth_expr(const sql_expr *e, int d)
{
    if (!e) return 0;
    if (d > SQL_MAX_DEPTH) return 1;
    if (e->a && depth_expr(e->a, d + 1)) return 1;
    if (e->b && depth_expr(e->b, d + 1)) return 1;
    if (e->c && depth_expr(e->c, d + 1)) return 1;
    if (e->list && depth_list(e->list, d + 1)) return 1;
    if (e->sel && depth_select(e->sel, d + 1)) return 1;
    return 0;
}

static int depth_list(const sql_expr_list *l, int d)
{
    if (!l) return 0;
    for (int i = 0; i < l->n; i++)
        if (depth_expr(l->items[i].expr, d)) return 1;
    return 0;
}

static int depth_select(const sql_select *s, int d)
{
    if (!s) return 0;
    if (d > SQL_MAX_DEPTH) return 1;
    if (s->kind == SQL_SEL_COMPOUND) {
        /* compounds chain to the left: count their length too */
        if (depth_select(s->left, d + 1) || depth_select(s->right, d + 1)) return 1;
    }
    if (depth_list(s->cols, d + 1) || depth_expr(s->where, d + 1) ||
        depth_list(s->group_by, d + 1) || depth_expr(s->having, d + 1) ||
        depth_list(s->order_by, d + 1) || depth_expr(s->limit, d + 1) ||
        depth_expr(s->offset, d + 1))
        return 1;
    for (int i = 0; i < s->nvalues; i++)
        if (depth_list(s->values[i], d + 1)) return 1;
    if (s->from) {
        for (int i = 0; i < s->from->n; i++) {
            if (depth_select(s->from->items[i].sel, d + 1)) return 1;
            if (depth_expr(s->from->items[i].on, d + 1)) return 1;
        }
    }
    return 0;
}

static int depth_stmt(const sql_stmt *s)
{
    if (depth_select(s->sel, 1) || depth_list(s->set, 1) || depth_expr(s->where, 1)) return 1;
    for (int i = 0; i < s->ncols; i++)
        if (depth_expr(s->cols[i].dflt, 1)) return 1;
    return 0;
}

/* ---------------------------------------------------------------- the driver */

int sql_parse_next(sql_parse *p, const char *z, size_t n, size_t pos, sql_stmt **out, size_t *next)
{
    *out = NULL;
    *next = n;
    p->rc = STRATA_OK;
    p->msg[0] = 0;
    p->stmt = NULL;
    p->cur = NULL;
    p->nparams = 0;
    p->z = z;
    p->n = n;

    sql_lexer lx;
    sql_lexer_init(&lx, z, n);
    /* line numbers count from the start of the whole text */
    for (const char *c = z, *end = z + pos; (c = memchr(c, '\n', (size_t)(end - c))) != NULL;) {
        lx.line++;
        lx.line_start = ++c;
    }
    lx.pos = pos;
    if (p->line0) {
        lx.first_line = p->line0;
        lx.col_shift = p->col0 ? p->col0 - 1 : 0;
        lx.line += p->line0 - 1;
    }

    void *engine = sqlParserAlloc(malloc, p);
    if (!engine) return sql_parse_error(p, STRATA_NOMEM, "out of memory allocating the parser");
    const char *start = NULL, *end = NULL;
    int last = 0;
    sql_token t;
    for (;;) {
        int tk = sql_lex(&lx, &t);
        if (tk == SQL_TK_SPACE) continue;
        if (tk == SQL_TK_ILLEGAL) {
            sql_parse_error(p, STRATA_SYNTAX, "%s at line %u, column %u near \"%.*s\"", lx.why,
                            (unsigned)t.line, (unsigned)t.col, (int)(t.n > 64 ? 64 : t.n), t.p);
            break;
        }
        if (tk == 0) {
            if (last != 0 && last != TK_SEMI) sqlParser(engine, TK_SEMI, t); /* t.n == 0 */
            if (p->rc == STRATA_OK && last != 0) sqlParser(engine, 0, t);
            *next = n;
            break;
        }
        if (tk != TK_SEMI) {
            if (!start) start = t.p;
            end = t.p + t.n;
            if ((size_t)(end - start) > SQL_MAX_SQL_LEN) {
                sql_parse_error(p, STRATA_TOOBIG,
                                "statement too big: more than %u bytes at line %u, column %u",
                                SQL_MAX_SQL_LEN, (unsigned)t.line, (unsigned)t.col);
                break;
            }
        }
        sqlParser(engine, tk, t);
        last = tk;
        if (p->rc != STRATA_OK) break;
        if (tk == TK_SEMI && p->stmt) {
            t.n = 0;
            sqlParser(engine, 0, t);
            *next = lx.pos;
            break;
        }
    }
    sqlParserFree(engine, free);
    if (p->rc != STRATA_OK) {
        p->stmt = NULL;
        return p->rc;
    }
    if (p->stmt) {
        p->stmt->text = start;
        p->stmt->text_len = (size_t)(end - start);
        if (depth_stmt(p->stmt)) {
            sql_token st = p->stmt->tok;
            p->stmt = NULL;
            return sql_parse_error(p, STRATA_TOOBIG,
                                   "expression tree too deep (more than %d levels) in the "
                                   "statement at line %u, column %u",
                                   SQL_MAX_DEPTH, (unsigned)st.line, (unsigned)st.col);
        }
    }
    *out = p->stmt;
    return STRATA_OK;
}
