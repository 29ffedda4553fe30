/*
 * sql/binder.h — AST (sql/ast.h) → bound logical plan (exec/plan.h), names resolved against one
 * catalog snapshot (catalog/catalog.h).
 *
 * The binder resolves namespaces (the connection's current one for unqualified names), tables,
 * aliases and columns ("no such column: x at line 1, column 8", "ambiguous column name: x at
 * ..."), types every expression (STRATA_TYPE "type mismatch: TEXT + BIGINT at line 1, column
 * 10"), checks aggregates against GROUP BY, resolves ORDER BY / GROUP BY by output position or
 * alias, expands *, binds subqueries with their outer (correlated) references as PEX_OUTER, and
 * prepares INSERT column lists, defaults and ON CONFLICT. It does no planning: exec/planner.c
 * takes the logical plan from here.
 *
 * Conventions chosen here (see also exec/plan.h):
 *   - integer literals are BIGINT, decimal literals DOUBLE, strings TEXT;
 *   - a numeric operand where a BOOLEAN is needed (WHERE a, NOT a, a AND b) means "<> 0";
 *   - || casts non-TEXT operands to TEXT; LIKE casts its operands to TEXT;
 *   - CASE/COALESCE branches, set-operation columns and VALUES columns are unified to one type
 *     (numeric types widen; NULL takes the other type) and cast explicitly;
 *   - a value stored into a column is cast to the column's type when both are numeric (or it
 *     is NULL or a parameter); anything else is STRATA_TYPE;
 *   - ORDER BY of a plain SELECT may name expressions not in the select list (hidden sort
 *     columns, projected away afterwards), except with DISTINCT.
 *
 * Memory: the plan and everything it points to live in the caller's arena; table descriptors
 * belong to the catalog snapshot the binder was given (keep it while the plan is used).
 *
 * Thread-safety: a sql_binder is used by one thread; the snapshot may be shared.
 */
#ifndef STRATA_SQL_BINDER_H
#define STRATA_SQL_BINDER_H

#include "catalog/catalog.h"
#include "exec/plan.h"
#include "sql/ast.h"
#include "util/arena.h"

typedef struct sql_bound {
    int kind;               /* sql_stmt_kind of the statement */
    plan_node *plan;        /* SELECT, EXPLAIN (of its select), SHOW, DESCRIBE, INSERT,
                               UPDATE, DELETE; NULL for other DDL */
    const cat_table *table; /* DML, TRUNCATE, REFRESH, DROP TABLE (NULL if IF EXISTS and absent) */
    cat_table_def *table_def; /* CREATE TABLE */
    const char *ns;           /* the namespace the statement names or defaults to */
    int nparams;              /* highest ? number */
    int readonly;             /* 1: writes nothing (SELECT, EXPLAIN, SHOW, DESCRIBE) */
} sql_bound;

typedef struct sql_binder {
    arena *arena;         /* plan allocations (the statement's) */
    const cat_snap *snap; /* names resolve here */
    const char *cur_ns;   /* the connection's current namespace */
    int rc;               /* STRATA_OK or the first error */
    char msg[512];        /* its message: what and where */
    int nparams;
    int depth; /* subquery nesting while binding */
    /* INSERT ... SELECT: the target columns' types, given to untyped (NULL, ?) select-list
     * items of the outermost SELECT */
    const int *hint_types;
    int nhint;
    const sql_select *insert_values; /* INSERT ... VALUES: its VALUES list */
} sql_binder;

void sql_binder_init(sql_binder *b, arena *a, const cat_snap *snap, const char *cur_ns);
/* Binds st; on error returns the code with b->msg set. */
int sql_bind(sql_binder *b, const sql_stmt *st, sql_bound *out);

#endif
