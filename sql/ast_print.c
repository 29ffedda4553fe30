/* sql/ast_print.c — prints an AST back as SQL text (tests, EXPLAIN): every binary operator and
 * predicate parenthesised so the tree's shape is visible, names as stored (folded), keywords in
 * upper case. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/types.h"
#include "sql/ast.h"
#include "sql/tokenize.h"

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_grow(sbuf *b, size_t more)
{
    if (b->n + more + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->n + more + 1) cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) abort();
    b->p = np;
    b->cap = cap;
}

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    sb_grow(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) sb_putn(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void pr_select(sbuf *b, const sql_select *s);

/* An identifier, quoted when printing it bare would not read back as the same name. */
static void pr_ident(sbuf *b, const char *s)
{
    if (!s) {
        sb_puts(b, "<null>");
        return;
    }
    int plain = (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_';
    for (const char *c = s; *c && plain; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
    if (plain && !sql_keyword_code(s, strlen(s))) {
        sb_puts(b, s);
        return;
    }
    sb_puts(b, "\"");
    for (const char *c = s; *c; c++) {
        if (*c == '"') sb_puts(b, "\"");
        sb_putn(b, c, 1);
    }
    sb_puts(b, "\"");
}

static void pr_string(sbuf *b, const char *p, uint32_t n)
{
    sb_puts(b, "'");
    for (uint32_t i = 0; i < n; i++) {
        if (p[i] == '\'') sb_puts(b, "'");
        sb_putn(b, &p[i], 1);
    }
    sb_puts(b, "'");
}

static void pr_expr(sbuf *b, const sql_expr *e);

static void pr_list(sbuf *b, const sql_expr_list *l)
{
    if (!l) return;
    for (int i = 0; i < l->n; i++) {
        if (i) sb_puts(b, ", ");
        pr_expr(b, l->items[i].expr);
    }
}

static void pr_expr(sbuf *b, const sql_expr *e)
{
    if (!e) {
        sb_puts(b, "<null>");
        return;
    }
    switch (e->kind) {
    case SQL_E_NULL:
        sb_puts(b, "NULL");
        break;
    case SQL_E_INT:
        sb_printf(b, "%" PRId64, e->u.i);
        break;
    case SQL_E_FLOAT: {
        char num[64];
        snprintf(num, sizeof num, "%.17g", e->u.d);
        sb_puts(b, num);
        if (!strpbrk(num, ".eEn")) sb_puts(b, ".0"); /* reads back as a float */
        break;
    }
    case SQL_E_STRING:
        pr_string(b, e->u.s.p, e->u.s.n);
        break;
    case SQL_E_BLOB:
        sb_puts(b, "X'");
        for (uint32_t i = 0; i < e->u.s.n; i++) sb_printf(b, "%02X", (unsigned char)e->u.s.p[i]);
        sb_puts(b, "'");
        break;
    case SQL_E_BOOL:
        sb_puts(b, e->u.i ? "TRUE" : "FALSE");
        break;
    case SQL_E_PARAM:
        sb_printf(b, "?%" PRId64, e->u.i);
        break;
    case SQL_E_COLUMN:
        if (e->ns) {
            pr_ident(b, e->ns);
            sb_puts(b, ".");
        }
        if (e->table) {
            pr_ident(b, e->table);
            sb_puts(b, ".");
        }
        pr_ident(b, e->name);
        break;
    case SQL_E_STAR:
        if (e->table) {
            pr_ident(b, e->table);
            sb_puts(b, ".");
        }
        sb_puts(b, "*");
        break;
    case SQL_E_UNARY:
        sb_puts(b, "(");
        sb_puts(b, sql_op_text(e->op));
        sb_puts(b, " ");
        pr_expr(b, e->a);
        sb_puts(b, ")");
        break;
    case SQL_E_BINARY:
        sb_puts(b, "(");
        pr_expr(b, e->a);
        sb_printf(b, " %s ", sql_op_text(e->op));
        pr_expr(b, e->b);
        sb_puts(b, ")");
        break;
    case SQL_E_ISNULL:
        sb_puts(b, "(");
        pr_expr(b, e->a);
        sb_puts(b, e->not_ ? " IS NOT NULL)" : " IS NULL)");
        break;
    case SQL_E_IN_LIST:
        sb_puts(b, "(");
        pr_expr(b, e->a);
        sb_puts(b, e->not_ ? " NOT IN (" : " IN (");
        pr_list(b, e->list);
        sb_puts(b, "))");
        break;
    case SQL_E_IN_SELECT:
        sb_puts(b, "(");
        pr_expr(b, e->a);
        sb_puts(b, e->not_ ? " NOT IN (" : " IN (");
        pr_select(b, e->sel);
        sb_puts(b, "))");
        break;
    case SQL_E_BETWEEN:
        sb_puts(b, "(");
        pr_expr(b, e->a);
        sb_puts(b, e->not_ ? " NOT BETWEEN " : " BETWEEN ");
        pr_expr(b, e->b);
        sb_puts(b, " AND ");
        pr_expr(b, e->c);
        sb_puts(b, ")");
        break;
    case SQL_E_LIKE:
        sb_puts(b, "(");
        pr_expr(b, e->a);
        sb_puts(b, e->not_ ? " NOT LIKE " : " LIKE ");
        pr_expr(b, e->b);
        if (e->c) {
            sb_puts(b, " ESCAPE ");
            pr_expr(b, e->c);
        }
        sb_puts(b, ")");
        break;
    case SQL_E_CASE:
        sb_puts(b, "CASE");
        if (e->a) {
            sb_puts(b, " ");
            pr_expr(b, e->a);
        }
        for (int i = 0; e->list && i + 1 < e->list->n; i += 2) {
            sb_puts(b, " WHEN ");
            pr_expr(b, e->list->items[i].expr);
            sb_puts(b, " THEN ");
            pr_expr(b, e->list->items[i + 1].expr);
        }
        if (e->b) {
            sb_puts(b, " ELSE ");
            pr_expr(b, e->b);
        }
        sb_puts(b, " END");
        break;
    case SQL_E_CAST:
        sb_puts(b, "CAST(");
        pr_expr(b, e->a);
        sb_printf(b, " AS %s)", e->cast_type >= 0 ? sql_type_name(e->cast_type) : "?");
        break;
    case SQL_E_EXISTS:
        sb_puts(b, e->not_ ? "NOT EXISTS (" : "EXISTS (");
        pr_select(b, e->sel);
        sb_puts(b, ")");
        break;
    case SQL_E_SUBQUERY:
        sb_puts(b, "(");
        pr_select(b, e->sel);
        sb_puts(b, ")");
        break;
    case SQL_E_FUNC:
        pr_ident(b, e->name);
        sb_puts(b, "(");
        if (e->star) sb_puts(b, "*");
        if (e->distinct) sb_puts(b, "DISTINCT ");
        pr_list(b, e->list);
        sb_puts(b, ")");
        break;
    default:
        sb_puts(b, "<?>");
    }
}

static void pr_qname(sbuf *b, const sql_qname *q)
{
    if (q->ns) {
        pr_ident(b, q->ns);
        sb_puts(b, ".");
    }
    pr_ident(b, q->name);
}

static void pr_ids(sbuf *b, const sql_id_list *l)
{
    sb_puts(b, "(");
    for (int i = 0; l && i < l->n; i++) {
        if (i) sb_puts(b, ", ");
        pr_ident(b, l->items[i].s);
    }
    sb_puts(b, ")");
}

static void pr_select_tail(sbuf *b, const sql_select *s)
{
    if (s->order_by) {
        sb_puts(b, " ORDER BY ");
        for (int i = 0; i < s->order_by->n; i++) {
            const sql_expr_item *it = &s->order_by->items[i];
            if (i) sb_puts(b, ", ");
            pr_expr(b, it->expr);
            if (it->desc) sb_puts(b, " DESC");
            if (it->nulls == SQL_NULLS_FIRST) sb_puts(b, " NULLS FIRST");
            if (it->nulls == SQL_NULLS_LAST) sb_puts(b, " NULLS LAST");
        }
    }
    if (s->limit) {
        sb_puts(b, " LIMIT ");
        pr_expr(b, s->limit);
    }
    if (s->offset) {
        sb_puts(b, " OFFSET ");
        pr_expr(b, s->offset);
    }
}

static void pr_select(sbuf *b, const sql_select *s)
{
    if (!s) {
        sb_puts(b, "<null>");
        return;
    }
    if (s->kind == SQL_SEL_COMPOUND) {
        static const char *ops[] = {"?", "UNION", "UNION ALL", "INTERSECT", "EXCEPT"};
        pr_select(b, s->left);
        sb_printf(b, " %s ", ops[s->op <= SQL_EXCEPT ? s->op : 0]);
        pr_select(b, s->right);
    } else if (s->kind == SQL_SEL_VALUES) {
        sb_puts(b, "VALUES ");
        for (int i = 0; i < s->nvalues; i++) {
            sb_puts(b, i ? ", (" : "(");
            pr_list(b, s->values[i]);
            sb_puts(b, ")");
        }
    } else {
        sb_puts(b, s->distinct ? "SELECT DISTINCT " : "SELECT ");
        for (int i = 0; s->cols && i < s->cols->n; i++) {
            if (i) sb_puts(b, ", ");
            pr_expr(b, s->cols->items[i].expr);
            if (s->cols->items[i].alias) {
                sb_puts(b, " AS ");
                pr_ident(b, s->cols->items[i].alias);
            }
        }
        if (s->from) {
            sb_puts(b, " FROM ");
            for (int i = 0; i < s->from->n; i++) {
                const sql_from_item *it = &s->from->items[i];
                static const char *joins[] = {"", ", ", " CROSS JOIN ", " JOIN ", " LEFT JOIN "};
                sb_puts(b, joins[it->join <= SQL_JOIN_LEFT ? it->join : 0]);
                if (it->sel) {
                    sb_puts(b, "(");
                    pr_select(b, it->sel);
                    sb_puts(b, ")");
                } else {
                    pr_qname(b, &it->table);
                }
                if (it->alias) {
                    sb_puts(b, " AS ");
                    pr_ident(b, it->alias);
                }
                if (it->on) {
                    sb_puts(b, " ON ");
                    pr_expr(b, it->on);
                }
            }
        }
        if (s->where) {
            sb_puts(b, " WHERE ");
            pr_expr(b, s->where);
        }
        if (s->group_by) {
            sb_puts(b, " GROUP BY ");
            pr_list(b, s->group_by);
        }
        if (s->having) {
            sb_puts(b, " HAVING ");
            pr_expr(b, s->having);
        }
    }
    pr_select_tail(b, s);
}

static void pr_setlist(sbuf *b, const sql_expr_list *l)
{
    for (int i = 0; l && i < l->n; i++) {
        if (i) sb_puts(b, ", ");
        pr_ident(b, l->items[i].alias);
        sb_puts(b, " = ");
        pr_expr(b, l->items[i].expr);
    }
}

static void pr_stmt(sbuf *b, const sql_stmt *s)
{
    static const char *kinds[] = {"", "SHARED ", "USER ", "STREAM "};
    switch (s->kind) {
    case SQL_ST_SELECT:
        pr_select(b, s->sel);
        break;
    case SQL_ST_EXPLAIN:
        sb_puts(b, "EXPLAIN ");
        pr_select(b, s->sel);
        break;
    case SQL_ST_INSERT:
        sb_puts(b, "INSERT INTO ");
        pr_qname(b, &s->name);
        if (s->ids) {
            sb_puts(b, " ");
            pr_ids(b, s->ids);
        }
        sb_puts(b, " ");
        pr_select(b, s->sel);
        if (s->conflict) {
            sb_puts(b, " ON CONFLICT");
            if (s->conflict_ids) {
                sb_puts(b, " ");
                pr_ids(b, s->conflict_ids);
            }
            if (s->conflict == SQL_CONFLICT_NOTHING) {
                sb_puts(b, " DO NOTHING");
            } else {
                sb_puts(b, " DO UPDATE SET ");
                pr_setlist(b, s->set);
                if (s->where) {
                    sb_puts(b, " WHERE ");
                    pr_expr(b, s->where);
                }
            }
        }
        break;
    case SQL_ST_UPDATE:
        sb_puts(b, "UPDATE ");
        pr_qname(b, &s->name);
        sb_puts(b, " SET ");
        pr_setlist(b, s->set);
        if (s->where) {
            sb_puts(b, " WHERE ");
            pr_expr(b, s->where);
        }
        break;
    case SQL_ST_DELETE:
        sb_puts(b, "DELETE FROM ");
        pr_qname(b, &s->name);
        if (s->where) {
            sb_puts(b, " WHERE ");
            pr_expr(b, s->where);
        }
        break;
    case SQL_ST_CREATE_NAMESPACE:
        sb_printf(b, "CREATE NAMESPACE %s", s->if_not_exists ? "IF NOT EXISTS " : "");
        pr_ident(b, s->name.name);
        break;
    case SQL_ST_DROP_NAMESPACE:
        sb_printf(b, "DROP NAMESPACE %s", s->if_exists ? "IF EXISTS " : "");
        pr_ident(b, s->name.name);
        if (s->cascade) sb_puts(b, " CASCADE");
        break;
    case SQL_ST_USE:
        sb_puts(b, "USE ");
        pr_ident(b, s->name.name);
        break;
    case SQL_ST_SHOW_NAMESPACES:
        sb_puts(b, "SHOW NAMESPACES");
        break;
    case SQL_ST_SHOW_TABLES:
        sb_puts(b, "SHOW TABLES");
        if (s->name.name) {
            sb_puts(b, " IN ");
            pr_ident(b, s->name.name);
        }
        break;
    case SQL_ST_CREATE_TABLE:
        sb_printf(b, "CREATE %sTABLE %s", kinds[s->table_kind & 3],
                  s->if_not_exists ? "IF NOT EXISTS " : "");
        pr_qname(b, &s->name);
        sb_puts(b, " (");
        for (int i = 0; i < s->ncols; i++) {
            const sql_coldef *c = &s->cols[i];
            if (i) sb_puts(b, ", ");
            pr_ident(b, c->name.s);
            sb_printf(b, " %s", c->type >= 0 ? sql_type_name(c->type) : "?");
            if (c->not_null) sb_puts(b, " NOT NULL");
            if (c->dflt) {
                sb_puts(b, " DEFAULT ");
                pr_expr(b, c->dflt);
            }
            if (c->primary_key) sb_puts(b, " PRIMARY KEY");
        }
        if (s->ids) {
            sb_puts(b, ", PRIMARY KEY ");
            pr_ids(b, s->ids);
        }
        sb_puts(b, ")");
        if (s->nopts) {
            sb_puts(b, " WITH (");
            for (int i = 0; i < s->nopts; i++) {
                if (i) sb_puts(b, ", ");
                pr_ident(b, s->opts[i].key.s);
                sb_puts(b, " = ");
                pr_expr(b, s->opts[i].value);
            }
            sb_puts(b, ")");
        }
        break;
    case SQL_ST_DROP_TABLE:
        sb_printf(b, "DROP TABLE %s", s->if_exists ? "IF EXISTS " : "");
        pr_qname(b, &s->name);
        break;
    case SQL_ST_TRUNCATE:
        sb_puts(b, "TRUNCATE TABLE ");
        pr_qname(b, &s->name);
        break;
    case SQL_ST_DESCRIBE:
        sb_puts(b, "DESCRIBE ");
        pr_qname(b, &s->name);
        break;
    case SQL_ST_REFRESH:
        sb_puts(b, "REFRESH TABLE ");
        pr_qname(b, &s->name);
        break;
    case SQL_ST_CREATE_VIEW:
        sb_printf(b, "CREATE VIEW %s", s->if_not_exists ? "IF NOT EXISTS " : "");
        pr_qname(b, &s->name);
        if (s->ids) {
            sb_puts(b, " ");
            pr_ids(b, s->ids);
        }
        sb_puts(b, " AS ");
        pr_select(b, s->sel);
        break;
    case SQL_ST_DROP_VIEW:
        sb_printf(b, "DROP VIEW %s", s->if_exists ? "IF EXISTS " : "");
        pr_qname(b, &s->name);
        break;
    default:
        sb_puts(b, "<?>");
    }
}

char *sql_stmt_to_string(const sql_stmt *s)
{
    sbuf b = {0};
    sb_grow(&b, 0);
    b.p[0] = 0;
    if (s) pr_stmt(&b, s);
    return b.p;
}

char *sql_expr_to_string(const sql_expr *e)
{
    sbuf b = {0};
    sb_grow(&b, 0);
    b.p[0] = 0;
    pr_expr(&b, e);
    return b.p;
}
