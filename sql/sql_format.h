/*
 * sql/sql_format.h — what the SQL layer stores in the catalog. STORED ON DISK: these names and
 * conventions must never change (docs/format.md describes them).
 *
 *   - A column's DEFAULT is stored (cat_column.default_sql) as the expression printed by
 *     sql_expr_to_string: canonical SQL that the grammar parses back to the same tree.
 *   - A view is a catalog table descriptor without rows: its columns are the view's output
 *     columns, and its option SQL_VIEW_OPTION holds the view's SELECT as printed by
 *     sql_stmt_to_string. Unqualified names in it resolve in the view's own namespace.
 *     User-given WITH option keys may not contain '.', so no table becomes a view by accident.
 *
 * Every later grammar must keep parsing what earlier versions printed.
 */
#ifndef STRATA_SQL_FORMAT_H
#define STRATA_SQL_FORMAT_H

#define SQL_VIEW_OPTION "strata.view"

#endif
