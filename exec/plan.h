/*
 * exec/plan.h — the bound logical plan: what the binder (sql/) produces and the planner
 * (exec/planner.c) turns into a tree of physical operators.
 *
 * A plan is a tree of plan_node; expressions are trees of plan_expr. Both are allocated from
 * the statement's arena (plan_node_new / plan_expr_new) and are immutable once built: execution
 * state lives in the operators (exec/exec.h), never in the plan, so one prepared plan runs
 * again after strata_reset with new parameters.
 *
 * Typing: the binder types every expression (e->type is a strata_type). Operands of an operator
 * need NOT have the same type: the executor promotes INT → BIGINT → DOUBLE for arithmetic and
 * comparisons itself. Anything else (TEXT vs number, ...) the binder either rejects or wraps in an
 * explicit PEX_CAST. Every node lists its output columns' types and names.
 *
 * Rows and positions: a PEX_COLUMN names a position in the INPUT row of the node that evaluates
 * the expression:
 *   FILTER, PROJECT, AGGREGATE (groups and aggregate arguments), SORT keys: the child's output;
 *   JOIN condition: left child's columns followed by the right child's columns;
 *   INSERT ... ON CONFLICT DO UPDATE SET/WHERE: the existing row's table columns (in table
 *     order) followed by the proposed row's table columns (excluded.*), 2 * ncols positions;
 *   UPDATE SET expressions: the child's output, which is every table column in table order.
 * An aggregate result is referenced from above (HAVING filter, projection, ORDER BY) as a plain
 * PEX_COLUMN into the AGGREGATE node's output: positions 0..ngroups-1 are the group keys,
 * ngroups + k is aggregate k. (So "aggregate ref" is a column ref over an aggregate node.)
 *
 * Subqueries: a PEX_SUBQUERY carries its own plan. Inside it, a PEX_OUTER (depth, index) reads
 * column `index` of the current input row of the node evaluating the PEX_SUBQUERY that is
 * `depth` levels out (depth 1 = the query directly enclosing the subquery). `correlated` says
 * whether any PEX_OUTER inside refers to this or an enclosing level; an uncorrelated subquery is
 * run once per statement execution, a correlated one once per distinct outer row (memoised), or
 * unnested into a join by the planner.
 *
 * Parameters: PEX_PARAM index is 1-based (?1 is the first ?). The binder types a parameter from
 * its context (`id = ?` → id's type; an INSERT value → the column's type); where nothing says,
 * TEXT. The executor converts the bound value to e->type as a CAST would (error if it cannot).
 */
#ifndef STRATA_EXEC_PLAN_H
#define STRATA_EXEC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "exec/types.h"
#include "util/arena.h"

struct cat_table; /* catalog/catalog.h: a table's descriptor (id, vnodes, kind, columns, pk) */

typedef struct plan_node plan_node;
typedef struct plan_expr plan_expr;

/* ---- expressions ---- */

typedef enum plan_expr_kind {
    PEX_COLUMN,   /* u.col.index: position in the evaluating node's input row */
    PEX_OUTER,    /* u.outer.depth >= 1, u.outer.index: a column of an enclosing query's row */
    PEX_CONST,    /* u.value (text bytes owned by the statement's arena) */
    PEX_PARAM,    /* u.param.index: 1-based */
    PEX_UNARY,    /* u.unary.op: PLAN_OP_NEG, NOT, IS_NULL, IS_NOT_NULL; u.unary.arg */
    PEX_BINARY,   /* u.binary.op: arithmetic, comparison, AND, OR, CONCAT, LIKE, NOT_LIKE, ... */
    PEX_IN_LIST,  /* u.in: arg [NOT] IN (list[0..n-1]); three-valued as in SQL */
    PEX_BETWEEN,  /* u.between: arg [NOT] BETWEEN lo AND hi (binder may lower to AND instead) */
    PEX_CASE,     /* u.case_: CASE [operand] WHEN w THEN t ... [ELSE e] END */
    PEX_CAST,     /* u.cast.arg converted to e->type */
    PEX_FUNC,     /* u.func.fn (plan_func), u.func.args[0..nargs-1] */
    PEX_SUBQUERY, /* u.sub */
} plan_expr_kind;

typedef enum plan_op {
    /* unary */
    PLAN_OP_NEG,
    PLAN_OP_NOT,
    PLAN_OP_IS_NULL,
    PLAN_OP_IS_NOT_NULL,
    /* arithmetic: INT/BIGINT/DOUBLE operands, result type e->type (the wider operand type);
     * integer overflow and division/modulo by zero are errors; integer division truncates */
    PLAN_OP_ADD,
    PLAN_OP_SUB,
    PLAN_OP_MUL,
    PLAN_OP_DIV,
    PLAN_OP_MOD,
    /* comparison: result BOOLEAN; numeric across types, TEXT/BLOB bytewise, BOOLEAN false<true */
    PLAN_OP_EQ,
    PLAN_OP_NE,
    PLAN_OP_LT,
    PLAN_OP_LE,
    PLAN_OP_GT,
    PLAN_OP_GE,
    PLAN_OP_IS_DISTINCT,     /* a IS DISTINCT FROM b: never NULL */
    PLAN_OP_IS_NOT_DISTINCT, /* a IS NOT DISTINCT FROM b (also "a IS b") */
    /* logic: BOOLEAN operands, three-valued */
    PLAN_OP_AND,
    PLAN_OP_OR,
    /* text */
    PLAN_OP_CONCAT,   /* ||: TEXT operands (binder casts others), result TEXT */
    PLAN_OP_LIKE,     /* % and _, case-sensitive, no escape */
    PLAN_OP_NOT_LIKE, /* NOT LIKE */
    /* bitwise: INT/BIGINT operands, result e->type (INT or BIGINT), computed on 64 bits and
     * wrapped to the result width; never an error. Shifts as SQLite: a count >= 64 gives 0
     * (<<) or the sign (>>), a negative count shifts the other way; >> is arithmetic. */
    PLAN_OP_BITAND,
    PLAN_OP_BITOR,
    PLAN_OP_SHL,
    PLAN_OP_SHR,
    PLAN_OP_BITNOT, /* unary ~ */
} plan_op;

typedef enum plan_func {
    PLAN_FN_ABS,         /* numeric → same type; abs(INT_MIN) is integer overflow */
    PLAN_FN_ROUND,       /* round(x [, digits]) → DOUBLE for DOUBLE x; integers unchanged */
    PLAN_FN_LOWER,       /* TEXT → TEXT (ASCII) */
    PLAN_FN_UPPER,       /* TEXT → TEXT (ASCII) */
    PLAN_FN_LENGTH,      /* TEXT → BIGINT (characters, UTF-8), BLOB → BIGINT (bytes) */
    PLAN_FN_SUBSTR,      /* substr(s, start [, len]) 1-based, as SQLite */
    PLAN_FN_TRIM,        /* trim(s [, chars]) */
    PLAN_FN_LTRIM,       /* ltrim(s [, chars]) */
    PLAN_FN_RTRIM,       /* rtrim(s [, chars]) */
    PLAN_FN_COALESCE,    /* args all of type e->type (binder casts) */
    PLAN_FN_NULLIF,      /* nullif(a, b) → type of a */
    PLAN_FN_NOW,         /* now() / CURRENT_TIMESTAMP → TIMESTAMP: the statement's start time */
    PLAN_FN_REPLACE,     /* replace(s, from, to) → TEXT */
    PLAN_FN_LIKE_ESCAPE, /* s LIKE p ESCAPE e (TEXT args) → BOOLEAN; e must be one character
                            (error otherwise); NOT LIKE ... ESCAPE is NOT of it */
} plan_func;

typedef enum plan_subquery_kind {
    PLAN_SUB_SCALAR, /* (SELECT x ...): one column; NULL on no row; >1 row is an error */
    PLAN_SUB_EXISTS, /* [NOT] EXISTS (SELECT ...) */
    PLAN_SUB_IN,     /* lhs [NOT] IN (SELECT x ...): three-valued (NULL if no match and a NULL) */
} plan_subquery_kind;

struct plan_expr {
    uint8_t kind; /* plan_expr_kind */
    uint8_t type; /* strata_type of the result; BOOLEAN for predicates */
    union {
        struct {
            int index;
        } col;
        struct {
            int depth; /* >= 1 */
            int index;
        } outer;
        sql_value value;
        struct {
            int index; /* 1-based */
        } param;
        struct {
            int op; /* plan_op */
            plan_expr *arg;
        } unary;
        struct {
            int op; /* plan_op */
            plan_expr *l, *r;
        } binary;
        struct {
            plan_expr *arg;
            plan_expr **list;
            int n;
            int negated; /* NOT IN */
        } in;
        struct {
            plan_expr *arg, *lo, *hi;
            int negated; /* NOT BETWEEN */
        } between;
        struct {
            plan_expr *operand; /* NULL: searched CASE (each when is BOOLEAN) */
            plan_expr **when, **then;
            int n;
            plan_expr *else_; /* NULL: ELSE NULL */
        } case_;
        struct {
            plan_expr *arg;
        } cast;
        struct {
            int fn; /* plan_func */
            plan_expr **args;
            int nargs;
        } func;
        struct {
            int kind; /* plan_subquery_kind */
            plan_node *plan;
            plan_expr *lhs; /* PLAN_SUB_IN: the left operand (evaluated in the outer row) */
            int negated;    /* NOT EXISTS / NOT IN */
            int correlated; /* 1: contains a PEX_OUTER reaching this level or further out */
        } sub;
    } u;
};

/* ---- aggregates ---- */

typedef enum plan_agg_fn {
    PLAN_AGG_COUNT_STAR, /* count(*): BIGINT; arg NULL */
    PLAN_AGG_COUNT,      /* count(x): BIGINT, non-NULL values */
    PLAN_AGG_SUM,        /* INT/BIGINT → BIGINT (overflow is an error), DOUBLE → DOUBLE; NULL on
                            no non-NULL input */
    PLAN_AGG_AVG,        /* → DOUBLE */
    PLAN_AGG_MIN,        /* → arg type */
    PLAN_AGG_MAX,        /* → arg type */
} plan_agg_fn;

typedef struct plan_agg {
    int fn;         /* plan_agg_fn */
    int distinct;   /* count(DISTINCT x), sum(DISTINCT x), ... */
    plan_expr *arg; /* over the aggregate node's input; NULL for count(*) */
    int type;       /* result strata_type (as listed above) */
} plan_agg;

/* ---- nodes ---- */

typedef enum plan_kind {
    PLAN_SCAN,      /* rows of a table */
    PLAN_SYSSCAN,   /* a system table: system tables are ordinary tables to the executor, so
                       this is run exactly as PLAN_SCAN (u.scan) */
    PLAN_VALUES,    /* literal rows (VALUES (...), (...); SELECT without FROM = 1 row) */
    PLAN_FILTER,    /* left: input; rows where cond is TRUE */
    PLAN_PROJECT,   /* left: input; one expression per output column */
    PLAN_AGGREGATE, /* left: input; output = group keys then aggregates */
    PLAN_JOIN,      /* left, right */
    PLAN_DISTINCT,  /* left: input; distinct rows (NULLs equal) */
    PLAN_SETOP,     /* left, right: same column count; types of the node (binder casts) */
    PLAN_SORT,      /* left: input; stable */
    PLAN_LIMIT,     /* left: input */
    PLAN_INSERT,    /* left: the rows to insert */
    PLAN_UPDATE,    /* left: the rows to change (every table column, table order) */
    PLAN_DELETE,    /* left: the rows to delete (every table column, table order) */
} plan_kind;

typedef enum plan_join_type {
    PLAN_JOIN_INNER, /* output: left ++ right */
    PLAN_JOIN_LEFT,  /* output: left ++ right (right NULL when no match) */
    PLAN_JOIN_CROSS, /* output: left ++ right; cond NULL */
    PLAN_JOIN_SEMI,  /* output: left; rows with at least one match */
    PLAN_JOIN_ANTI,  /* output: left; rows with no match (cond TRUE for none) */
    PLAN_JOIN_MARK,  /* output: left ++ one BOOLEAN: TRUE if some match, else NULL if cond was
                        NULL for some right row, else FALSE (IN / NOT IN semantics) */
} plan_join_type;

typedef enum plan_setop_type {
    PLAN_SET_UNION,     /* all = 0: distinct rows of both; all = 1: concatenation */
    PLAN_SET_INTERSECT, /* distinct rows in both (all = 1: bag semantics) */
    PLAN_SET_EXCEPT,    /* distinct rows of left not in right (all = 1: bag semantics) */
} plan_setop_type;

typedef enum plan_conflict {
    PLAN_CONFLICT_ERROR,   /* duplicate pk: STRATA_CONSTRAINT */
    PLAN_CONFLICT_NOTHING, /* ON CONFLICT DO NOTHING */
    PLAN_CONFLICT_UPDATE,  /* ON CONFLICT DO UPDATE SET ... [WHERE ...] */
} plan_conflict;

typedef struct plan_sort_key {
    plan_expr *expr; /* over the sort node's input */
    int desc;        /* 1: DESC */
    int nulls_first; /* the binder fills the default: NULLS LAST for ASC, FIRST for DESC */
} plan_sort_key;

struct plan_node {
    int kind;           /* plan_kind */
    int ncols;          /* output columns */
    int *types;         /* [ncols] strata_type */
    const char **names; /* [ncols] output names ("a", "sum(val)", "?column?") */
    plan_node *left;    /* the input (or the left input of JOIN / SETOP) */
    plan_node *right;   /* JOIN / SETOP: the right input */
    union {
        struct {
            const struct cat_table *table;
            int *cols; /* [ncols]: the table column index of each output column */
            /* filled by the planner (the binder leaves them zero): */
            plan_expr **pk_eq; /* [npk] equality on every pk column: one get */
            plan_expr *pk_lo;  /* range on the first pk column; NULL = unbounded */
            plan_expr *pk_hi;
            int pk_lo_incl, pk_hi_incl;
            plan_expr *filter; /* pushed filter over the scan's output; NULL = none */
            plan_expr *pk_in;  /* single-column key IN (list without column references): one
                                  multi-get of the listed keys */
        } scan;
        struct {
            int nrows;
            plan_expr **rows; /* [nrows * ncols] row-major; constants, params, expressions
                                 without PEX_COLUMN (PEX_OUTER allowed) */
        } values;
        struct {
            plan_expr *cond; /* BOOLEAN */
        } filter;
        struct {
            plan_expr **exprs; /* [ncols] */
        } project;
        struct {
            int ngroups;
            plan_expr **groups; /* [ngroups] */
            int naggs;
            plan_agg *aggs; /* [naggs] */
        } aggregate;
        struct {
            int type;        /* plan_join_type */
            plan_expr *cond; /* over left ++ right; NULL = always true */
        } join;
        struct {
            int op;  /* plan_setop_type */
            int all; /* UNION ALL etc. */
        } setop;
        struct {
            int nkeys;
            plan_sort_key *keys;
        } sort;
        struct {
            plan_expr *limit;  /* BIGINT constant or param; NULL = no limit */
            plan_expr *offset; /* NULL = 0 */
        } limit;
        struct {
            const struct cat_table *table;
            int *cols;             /* [left->ncols]: the table column each source column fills;
                                      source types equal the column types (binder casts) */
            plan_expr **defaults;  /* [table ncols]: value of a column not in cols; NULL = NULL */
            int on_conflict;       /* plan_conflict */
            int nset;              /* DO UPDATE: */
            int *set_cols;         /* [nset] table column index */
            plan_expr **set_exprs; /* [nset] over existing ++ excluded (2 * table ncols) */
            plan_expr *set_where;  /* NULL = always */
        } insert;
        struct {
            const struct cat_table *table;
            int nset;
            int *set_cols;         /* [nset] table column index */
            plan_expr **set_exprs; /* [nset] over the child's row (every table column) */
        } update;
        struct {
            const struct cat_table *table;
        } del;
    } u;
};

/* Zeroed node with types/names arrays of ncols allocated in a (names NULL until set). */
plan_node *plan_node_new(arena *a, int kind, int ncols);
/* A FILTER node over in (same columns, names and types) keeping the rows where cond is true. */
plan_node *plan_filter_new(arena *a, plan_node *in, plan_expr *cond);
/* Zeroed expression. */
plan_expr *plan_expr_new(arena *a, int kind, int type);
plan_expr *plan_expr_column(arena *a, int index, int type);
plan_expr *plan_expr_const(arena *a, sql_value v); /* copies text bytes into a */
plan_expr *plan_expr_binary(arena *a, int op, int type, plan_expr *l, plan_expr *r);
plan_expr *plan_expr_unary(arena *a, int op, int type, plan_expr *arg);

/* The result type of arithmetic on two numeric types (INT+INT=INT, INT+BIGINT=BIGINT,
 * anything with DOUBLE = DOUBLE); -1 if either is not numeric. */
int plan_arith_type(int l, int r);

#endif
