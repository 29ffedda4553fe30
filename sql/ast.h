/*
 * sql/ast.h — the abstract syntax tree the grammar (sql/parse.y) builds, and the parse state.
 *
 * Ownership: every node, list and string of a parse lives in the parse's arena and is freed
 * with it (sql_parse_destroy); nothing in the tree is malloc'd on its own, so a syntax error in
 * the middle of a statement leaks nothing, whatever the parser's stack held.
 *
 * Names: identifiers are stored NUL-terminated, unquoted identifiers folded to lower case,
 * quoted ones ("Name", `Name`) kept as written with doubled quotes undone. Every node keeps the
 * token where it starts (line/column) for error messages.
 *
 * Invariants after a successful sql_parse_next: the tree is no deeper than SQL_MAX_DEPTH (so
 * recursive walkers — printer, binder — cannot overflow the C stack), and the statement's text
 * is at most SQL_MAX_SQL_LEN bytes.
 *
 * Thread-safety: a sql_parse is used by one thread.
 */
#ifndef STRATA_SQL_AST_H
#define STRATA_SQL_AST_H

#include <stddef.h>
#include <stdint.h>

#include "sql/tokenize.h"
#include "util/arena.h"

#define SQL_MAX_SQL_LEN (1u << 20) /* bytes of one statement */
#define SQL_MAX_DEPTH   1000       /* nesting of expressions and subqueries */

typedef struct sql_expr sql_expr;
typedef struct sql_select sql_select;
typedef struct sql_stmt sql_stmt;

/* ---- lists ---- */

typedef struct sql_expr_item {
    sql_expr *expr;
    const char *alias; /* select list: AS name (NULL if none); SET list: the column */
    sql_token alias_tok;
    uint8_t desc;  /* ORDER BY: 1 = DESC */
    uint8_t nulls; /* ORDER BY: SQL_NULLS_DEFAULT / FIRST / LAST */
} sql_expr_item;

enum { SQL_NULLS_DEFAULT = 0, SQL_NULLS_FIRST = 1, SQL_NULLS_LAST = 2 };

typedef struct sql_expr_list {
    int n, cap;
    sql_expr_item *items;
} sql_expr_list;

typedef struct sql_name {
    const char *s; /* normalised, NUL-terminated */
    sql_token tok;
} sql_name;

typedef struct sql_id_list {
    int n, cap;
    sql_name *items;
} sql_id_list;

/* A possibly qualified name: [ns.]name. */
typedef struct sql_qname {
    const char *ns; /* NULL: the connection's current namespace */
    const char *name;
    sql_token tok; /* of the first part */
} sql_qname;

/* ---- expressions ---- */

typedef enum sql_expr_kind {
    SQL_E_NULL,
    SQL_E_INT,       /* u.i; a literal above INT64_MAX is a FLOAT, save 2^63 under unary minus */
    SQL_E_FLOAT,     /* u.d */
    SQL_E_STRING,    /* u.s: the literal's bytes with '' undone */
    SQL_E_BLOB,      /* u.s: the decoded bytes */
    SQL_E_BOOL,      /* u.i: 0 or 1 */
    SQL_E_PARAM,     /* u.i: 1-based parameter number */
    SQL_E_COLUMN,    /* [ns.][table.]name: ns, table (NULL if absent), name */
    SQL_E_STAR,      /* * or table.* in a select list; table may be NULL */
    SQL_E_UNARY,     /* op a: SQL_OP_NEG, SQL_OP_PLUS, SQL_OP_NOT, SQL_OP_BITNOT */
    SQL_E_BINARY,    /* a op b */
    SQL_E_ISNULL,    /* a IS [NOT] NULL (not = 1 for IS NOT NULL) */
    SQL_E_IN_LIST,   /* a [NOT] IN (list) */
    SQL_E_IN_SELECT, /* a [NOT] IN (select) */
    SQL_E_BETWEEN,   /* a [NOT] BETWEEN b AND c */
    SQL_E_LIKE,      /* a [NOT] LIKE b [ESCAPE c] */
    SQL_E_CASE,      /* CASE [a] WHEN list[0] THEN list[1] ... [ELSE b] END */
    SQL_E_CAST,      /* CAST(a AS type) */
    SQL_E_EXISTS,    /* [NOT] EXISTS (select) */
    SQL_E_SUBQUERY,  /* (select), a scalar */
    SQL_E_FUNC,      /* name(list) / name(DISTINCT list) / name(*) */
} sql_expr_kind;

typedef enum sql_op {
    SQL_OP_NONE = 0,
    SQL_OP_OR,
    SQL_OP_AND,
    SQL_OP_NOT,
    SQL_OP_EQ,
    SQL_OP_NE,
    SQL_OP_LT,
    SQL_OP_LE,
    SQL_OP_GT,
    SQL_OP_GE,
    SQL_OP_IS,    /* a IS b (NULL-safe equality) */
    SQL_OP_ISNOT, /* a IS NOT b */
    SQL_OP_ADD,
    SQL_OP_SUB,
    SQL_OP_MUL,
    SQL_OP_DIV,
    SQL_OP_MOD,
    SQL_OP_CONCAT,
    SQL_OP_NEG,  /* unary - */
    SQL_OP_PLUS, /* unary + */
    SQL_OP_BITAND,
    SQL_OP_BITOR,
    SQL_OP_LSHIFT,
    SQL_OP_RSHIFT,
    SQL_OP_BITNOT, /* unary ~ */
} sql_op;

/* The operator as written in SQL ("+", "AND", "IS NOT"). */
const char *sql_op_text(int op);

struct sql_expr {
    uint8_t kind;                  /* sql_expr_kind */
    uint8_t op;                    /* sql_op for UNARY/BINARY */
    uint8_t not_;                  /* NOT IN, NOT BETWEEN, NOT LIKE, NOT EXISTS, IS NOT NULL */
    uint8_t distinct;              /* FUNC: f(DISTINCT ...) */
    uint8_t star;                  /* FUNC: f(*) */
    int cast_type;                 /* CAST: strata_type */
    sql_token tok;                 /* where the expression starts (operator token for BINARY) */
    const char *ns, *table, *name; /* COLUMN, STAR (table), FUNC (name, lower case) */
    sql_token type_tok;            /* CAST: the type as written */
    sql_expr *a, *b, *c;
    sql_expr_list *list; /* IN list, FUNC args, CASE when/then pairs */
    sql_select *sel;     /* IN_SELECT, EXISTS, SUBQUERY */
    union {
        int64_t i;
        double d;
        struct {
            const char *p;
            uint32_t n;
        } s;
    } u;
};

/* ---- SELECT ---- */

typedef enum sql_join {
    SQL_JOIN_NONE = 0, /* the first FROM item */
    SQL_JOIN_COMMA,    /* , */
    SQL_JOIN_CROSS,    /* CROSS JOIN */
    SQL_JOIN_INNER,    /* [INNER] JOIN ... ON */
    SQL_JOIN_LEFT,     /* LEFT [OUTER] JOIN ... ON */
} sql_join;

typedef struct sql_from_item {
    sql_qname table;   /* a table or view (table.name NULL for a subquery) */
    sql_select *sel;   /* a subquery in FROM */
    const char *alias; /* NULL if none */
    sql_token alias_tok;
    uint8_t join; /* sql_join: how it joins the items before it */
    sql_expr *on; /* INNER/LEFT JOIN ... ON */
} sql_from_item;

typedef struct sql_from {
    int n, cap;
    sql_from_item *items;
} sql_from;

typedef enum sql_select_kind {
    SQL_SEL_SIMPLE,   /* SELECT ... */
    SQL_SEL_VALUES,   /* VALUES (...), (...) — rows in `values` */
    SQL_SEL_COMPOUND, /* left op right */
} sql_select_kind;

typedef enum sql_compound_op {
    SQL_UNION = 1,
    SQL_UNION_ALL,
    SQL_INTERSECT,
    SQL_EXCEPT,
} sql_compound_op;

struct sql_select {
    uint8_t kind; /* sql_select_kind */
    uint8_t distinct;
    uint8_t op; /* COMPOUND: sql_compound_op */
    sql_token tok;
    sql_expr_list *cols; /* SIMPLE: the result columns */
    sql_from *from;      /* SIMPLE: NULL for SELECT without FROM */
    sql_expr *where;
    sql_expr_list *group_by;
    sql_expr *having;
    int nvalues; /* VALUES: rows */
    sql_expr_list **values;
    sql_select *left, *right; /* COMPOUND */
    /* of the whole select (a compound's ORDER BY/LIMIT sit on the compound node) */
    sql_expr_list *order_by;
    sql_expr *limit, *offset;
};

/* ---- statements ---- */

typedef enum sql_stmt_kind {
    SQL_ST_SELECT,
    SQL_ST_INSERT,
    SQL_ST_UPDATE,
    SQL_ST_DELETE,
    SQL_ST_CREATE_NAMESPACE,
    SQL_ST_DROP_NAMESPACE,
    SQL_ST_USE,
    SQL_ST_SHOW_NAMESPACES,
    SQL_ST_CREATE_TABLE,
    SQL_ST_DROP_TABLE,
    SQL_ST_TRUNCATE,
    SQL_ST_SHOW_TABLES,
    SQL_ST_DESCRIBE,
    SQL_ST_EXPLAIN,
    SQL_ST_CREATE_VIEW,
    SQL_ST_DROP_VIEW,
    SQL_ST_REFRESH,
} sql_stmt_kind;

typedef enum sql_table_kind {
    SQL_TABLE_DEFAULT = 0, /* CREATE TABLE: shared */
    SQL_TABLE_SHARED,
    SQL_TABLE_USER,
    SQL_TABLE_STREAM,
} sql_table_kind;

typedef struct sql_coldef {
    sql_name name;
    sql_token type_tok; /* as written: "VARCHAR(20)" */
    int type;           /* strata_type, -1 if the name is unknown (binder reports it) */
    uint8_t not_null;
    uint8_t primary_key; /* column constraint PRIMARY KEY */
    sql_expr *dflt;      /* DEFAULT, NULL if none */
} sql_coldef;

typedef struct sql_option {
    sql_name key;
    sql_expr *value; /* a literal, or a COLUMN expr for a bare word (format = csv) */
} sql_option;

typedef enum sql_conflict {
    SQL_CONFLICT_NONE = 0,
    SQL_CONFLICT_NOTHING, /* ON CONFLICT [(pk)] DO NOTHING */
    SQL_CONFLICT_UPDATE,  /* ON CONFLICT (pk) DO UPDATE SET ... [WHERE] */
} sql_conflict;

struct sql_stmt {
    uint8_t kind; /* sql_stmt_kind */
    uint8_t if_exists;
    uint8_t if_not_exists;
    uint8_t cascade;
    uint8_t table_kind; /* sql_table_kind */
    sql_token tok;      /* first token */
    const char *text;   /* the statement's SQL (without the ';') */
    size_t text_len;
    sql_qname name;   /* namespace (name.name), table, view */
    sql_select *sel;  /* SELECT, INSERT ... SELECT/VALUES, CREATE VIEW, EXPLAIN */
    sql_id_list *ids; /* INSERT/CREATE VIEW column list; CREATE TABLE PRIMARY KEY (a, b) */
    /* CREATE TABLE */
    int ncols, capcols;
    sql_coldef *cols;
    int nopts, capopts;
    sql_option *opts;
    /* UPDATE SET / DO UPDATE SET: alias = column, expr = value */
    sql_expr_list *set;
    sql_expr *where; /* UPDATE, DELETE, DO UPDATE ... WHERE */
    /* INSERT ON CONFLICT */
    uint8_t conflict;          /* sql_conflict */
    sql_id_list *conflict_ids; /* the target (NULL if not given) */
    sql_token conflict_tok;
};

typedef struct sql_limit {
    sql_expr *limit, *offset;
} sql_limit;

/* ---- the parse ---- */

typedef struct sql_parse {
    arena arena;    /* owns the tree */
    const char *z;  /* the whole SQL text */
    size_t n;       /* its length */
    int rc;         /* STRATA_OK or the first error's code */
    char msg[512];  /* the first error's message */
    sql_stmt *stmt; /* the statement parsed by sql_parse_next */
    int nparams;    /* ? seen so far in the statement */
    sql_stmt *cur;  /* CREATE TABLE being built (columns are added as they are parsed) */
    /* where z[0] sits in the caller's text, for line/column numbers (0: z is the whole text) */
    uint32_t line0, col0;
} sql_parse;

void sql_parse_init(sql_parse *p);
/* Frees the tree of every statement parsed with p. */
void sql_parse_destroy(sql_parse *p);
/* Parses the first statement of z[pos..n): *out gets it (NULL if only whitespace, comments and
 * ';' remain) and *next the offset just past it (and its ';'). The tree stays valid until
 * sql_parse_destroy. On error returns the code with p->msg set ("syntax error at line 1,
 * column 15 near \"FORM\""). REQUIRES: pos <= n. */
int sql_parse_next(sql_parse *p, const char *z, size_t n, size_t pos, sql_stmt **out, size_t *next);

/* Records the first error of the parse (later ones are ignored); returns code. */
int sql_parse_error(sql_parse *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints the statement back as SQL with every operator parenthesised (for tests and EXPLAIN):
 * a malloc'd string the caller frees. */
char *sql_stmt_to_string(const sql_stmt *s);
char *sql_expr_to_string(const sql_expr *e);

/* ---- constructors, called by the grammar's actions; each accepts NULL inputs ---- */
const char *sql_ident(sql_parse *p, const sql_token *t);
sql_expr *sql_expr_new(sql_parse *p, int kind, const sql_token *tok);
sql_expr *sql_expr_literal(sql_parse *p, int tk, const sql_token *tok);
sql_expr *sql_expr_param(sql_parse *p, const sql_token *tok);
sql_expr *sql_expr_column(sql_parse *p, const sql_token *a, const sql_token *b, const sql_token *c);
sql_expr *sql_expr_binary(sql_parse *p, int op, sql_expr *a, sql_expr *b, const sql_token *tok);
sql_expr *sql_expr_unary(sql_parse *p, int op, sql_expr *a, const sql_token *tok);
sql_expr *sql_expr_is(sql_parse *p, int not_, sql_expr *a, sql_expr *b, const sql_token *tok);
sql_expr *sql_expr_func(sql_parse *p, const sql_token *name, sql_expr_list *args, int distinct,
                        int star);
sql_expr *sql_expr_cast(sql_parse *p, sql_expr *a, const sql_token *type, const sql_token *tok);
sql_expr_list *sql_expr_list_append(sql_parse *p, sql_expr_list *l, sql_expr *e);
void sql_expr_list_set_alias(sql_parse *p, sql_expr_list *l, const sql_token *alias);
sql_id_list *sql_id_list_append(sql_parse *p, sql_id_list *l, const sql_token *t);
sql_expr *sql_expr_like(sql_parse *p, sql_expr *a, sql_expr *pat, sql_expr *esc, int not_);
sql_expr *sql_expr_between(sql_parse *p, sql_expr *a, sql_expr *lo, sql_expr *hi, int not_);
sql_expr *sql_expr_in_list(sql_parse *p, sql_expr *a, sql_expr_list *l, int not_);
sql_expr *sql_expr_in_select(sql_parse *p, sql_expr *a, sql_select *s, int not_);
sql_expr *sql_expr_subquery(sql_parse *p, int kind, sql_select *s, const sql_token *tok);
sql_expr *sql_expr_case(sql_parse *p, sql_expr *operand, sql_expr_list *whens, sql_expr *els,
                        const sql_token *tok);
void sql_expr_list_set_order(sql_expr_list *l, int desc, int nulls);
sql_qname sql_qname_make(sql_parse *p, const sql_token *ns, const sql_token *name);
/* A one-item FROM list: a table/view (name) or a subquery (sub). */
sql_from *sql_from_single(sql_parse *p, const sql_qname *name, sql_select *sub,
                          const sql_token *alias);
/* Appends the single item of `item` to f, joined by `join` (ON expression `on`). */
sql_from *sql_from_join(sql_parse *p, sql_from *f, int join, sql_from *item, sql_expr *on);
sql_select *sql_select_new(sql_parse *p, int kind, const sql_token *tok);
sql_select *sql_select_compound(sql_parse *p, int op, sql_select *l, sql_select *r);
sql_select *sql_select_values(sql_parse *p, sql_select *s, sql_expr_list *row,
                              const sql_token *tok);
sql_select *sql_select_finish(sql_parse *p, sql_select *s, sql_expr_list *order, sql_expr *limit,
                              sql_expr *offset);
sql_stmt *sql_stmt_new(sql_parse *p, int kind, const sql_token *tok);
/* CREATE TABLE: columns and options go to p->cur, the statement being built. */
void sql_stmt_add_column(sql_parse *p, const sql_token *name, const sql_token *type);
sql_coldef *sql_last_column(sql_parse *p);
void sql_stmt_add_option(sql_parse *p, const sql_token *key, sql_expr *value);
/* A token spanning a..b (for a type name written as several words or with (n)). */
sql_token sql_token_span(const sql_token *a, const sql_token *b);

#endif
