/*
 * exec/expr.h — vectorized expression evaluation.
 *
 * A plan_expr is compiled once per operator (exec_expr_compile) into an exec_expr that holds
 * the result and scratch vectors of every node; exec_expr_eval then evaluates the whole
 * expression over a chunk with one call per expression node (never per row), with
 * type-specialised loops and all-valid fast paths.
 *
 * Results are dense: row i of the result is row i of the input chunk (position sel[i] of its
 * vectors). A column reference over a chunk without a selection aliases the input vector.
 *
 * Semantics (PostgreSQL's): three-valued logic; INT/BIGINT/DOUBLE promotion; integer overflow
 * and division or modulo by zero are errors; integer division truncates; TEXT compares
 * bytewise; AND/OR/CASE evaluate their later operands only for the rows that need them, so
 * `x <> 0 AND 10 / x > 1` and `CASE WHEN x = 0 THEN 0 ELSE 10 / x END` do not fail on x = 0.
 *
 * Not thread-safe: an exec_expr belongs to one operator.
 */
#ifndef STRATA_EXEC_EXPR_H
#define STRATA_EXEC_EXPR_H

#include "exec/exec.h"

typedef struct exec_expr exec_expr;

int exec_expr_compile(exec_ctx *ctx, const plan_expr *e, exec_expr **out);
void exec_expr_free(exec_expr *x); /* NULL is a no-op */
/* Forgets per-run state (cached uncorrelated subquery results) before a rerun. */
void exec_expr_rewind(exec_expr *x);

/* Evaluates x over in's rows; *out holds in->count values, valid until x is evaluated again
 * (or in changes, when it aliases one of in's vectors). */
int exec_expr_eval(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_vector **out);
/* A BOOLEAN x as a filter: writes the vector positions (as in in->sel) of the rows where x is
 * TRUE to sel (EXEC_VECTOR_SIZE entries) and their number to *n. */
int exec_expr_select(exec_ctx *ctx, exec_expr *x, const exec_chunk *in, exec_sel_t *sel, size_t *n);
/* Evaluates an expression that needs no input row (constants, parameters, functions of them,
 * outer references, subqueries) into *out; text bytes are copied into h. */
int exec_expr_eval_value(exec_ctx *ctx, const plan_expr *e, exec_heap *h, sql_value *out);

/* Converts v to type as CAST does; text results are copied into h. Errors (bad text, out of
 * range) are recorded on ctx. */
int exec_cast_value(exec_ctx *ctx, const sql_value *v, int type, exec_heap *h, sql_value *out);
/* Converts n dense rows of src into dst (dst->type set, own buffer). */
int exec_cast_vector(exec_ctx *ctx, const exec_vector *src, size_t n, exec_vector *dst);

/* Value helpers shared by operators. */
int exec_value_cmp(const sql_value *a, const sql_value *b); /* NULL first; numeric promotion */
/* Renders v as text into buf (n bytes); returns the length (NULL → "NULL"). */
size_t exec_value_format(const sql_value *v, char *buf, size_t n);
/* TIMESTAMP text 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' ↔ µs since the epoch. */
int exec_parse_timestamp(const char *p, size_t n, int64_t *us);
size_t exec_format_timestamp(int64_t us, char *buf, size_t n);
/* LIKE with % and _ (case-sensitive; _ is one UTF-8 character). */
int exec_like(const char *s, size_t sn, const char *p, size_t pn);
/* LIKE with an escape sequence esc[0..en-1] (one character; en == 0: none): in p, esc followed by
 * a byte matches that byte literally (so esc% is a literal %); esc at the end of p never matches.
 */
int exec_like_escape(const char *s, size_t sn, const char *p, size_t pn, const char *esc,
                     size_t en);

#endif
