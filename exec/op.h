/*
 * exec/op.h — internals shared by the operators (exec/op_*.c) and the planner: row storage,
 * row hashing and the operator constructors. Not for use outside exec/.
 *
 * exec_rows: an append-only column store of rows (one growable typed array per column, NULL
 * flags, string bytes copied into an arena so they stay valid while the store lives). Sort,
 * hash join, hash aggregate, distinct and set operations materialize into it.
 *
 * exec_rowset: exec_rows plus an open-addressing hash table over all columns (NULLs equal):
 * "find or add" a chunk of rows, returning one id per row. Used for GROUP BY keys, DISTINCT and
 * set operations.
 */
#ifndef STRATA_EXEC_OP_H
#define STRATA_EXEC_OP_H

#include "exec/exec.h"
#include "exec/expr.h"

/* ---- row storage ---- */

typedef struct exec_colbuf {
    int type;
    size_t width;
    char *data;     /* n values of width bytes */
    uint8_t *nulls; /* n flags (1 = NULL) */
} exec_colbuf;

typedef struct exec_rows {
    int ncols;
    int *types;
    exec_colbuf *cols;
    size_t n, cap;
    arena strings; /* long string bytes */
} exec_rows;

void exec_rows_init(exec_rows *r, int ncols, const int *types);
void exec_rows_free(exec_rows *r);
void exec_rows_clear(exec_rows *r);
/* Appends the chunk's rows (through its selection). */
void exec_rows_append_chunk(exec_rows *r, const exec_chunk *c);
/* Appends n rows from dense vectors vecs[0..ncols) positions idx[k] (idx NULL: 0..n-1). */
void exec_rows_append(exec_rows *r, exec_vector *const *vecs, const exec_sel_t *idx, size_t n);
/* dst[dpos + k] = column col of row ids[k] (dst own-buffered). Strings point into r. */
void exec_rows_gather(const exec_rows *r, int col, const uint32_t *ids, size_t n, exec_vector *dst,
                      size_t dpos);
sql_value exec_rows_get(const exec_rows *r, int col, size_t row);
/* Hash of the value at rows[row] of column col combined into h. */
uint64_t exec_rows_hash_value(const exec_rows *r, int col, size_t row, uint64_t h);
int exec_rows_cmp(const exec_rows *r, int col, size_t a, size_t b); /* NULL first */

/* Hashes of n dense rows of vecs (combined over ncols columns) into hashes. */
void exec_hash_vectors(exec_vector *const *vecs, int ncols, size_t n, uint64_t *hashes);

typedef struct exec_rowset {
    exec_rows rows;
    uint64_t *hashes; /* per row */
    uint32_t *table;  /* open addressing: row id + 1, 0 = empty */
    size_t cap;       /* table slots, power of two */
} exec_rowset;

void exec_rowset_init(exec_rowset *s, int ncols, const int *types);
void exec_rowset_free(exec_rowset *s);
/* For each dense row i < n of vecs: ids[i] = its id (added if new; is_new[i] = 1 then).
 * add = 0: lookup only, ids[i] = UINT32_MAX when absent. */
void exec_rowset_find(exec_rowset *s, exec_vector *const *vecs, size_t n, int add, uint32_t *ids,
                      uint8_t *is_new);

/* ---- expression rewriting (planner, join) ---- */

/* Bit 1: e reads a column < nl; bit 2: a column >= nl; bit 4: e holds a subquery (a correlated
 * one also sets 1|2, so it never moves). */
int exec_expr_sides(const plan_expr *e, int nl);
/* A copy of e with column i mapped to map[i] (map NULL: i - shift). */
plan_expr *exec_expr_remap(arena *a, const plan_expr *e, int shift, const int *map);
/* Appends the AND-conjuncts of e to out[n..max); returns the new n. */
int exec_conjuncts(const plan_expr *e, plan_expr **out, int n, int max);
/* c[0] AND c[1] AND ...; NULL for n = 0. */
plan_expr *exec_and_all(arena *a, plan_expr **c, int n);

/* ---- operators ---- */

/* Allocates an operator struct of size bytes (exec_op first) with an output of ncols/types. */
exec_op *exec_op_alloc(size_t size, const exec_op_vtab *vt, const plan_node *plan, int ncols,
                       const int *types);

int exec_op_scan(exec_ctx *ctx, const plan_node *plan, exec_op **out);
int exec_op_values(exec_ctx *ctx, const plan_node *plan, exec_op **out);
int exec_op_filter(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out);
int exec_op_project(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out);
int exec_op_limit(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out);
int exec_op_aggregate(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out);
/* limit: the LIMIT node above (top-N keeps limit + offset rows), or NULL for a full sort */
int exec_op_sort(exec_ctx *ctx, const plan_node *plan, exec_op *child, const plan_node *limit,
                 exec_op **out);
/* build_left: an inner/cross join builds its hash table on the left input instead (the planner
 * asks for it when the left input is tiny) */
int exec_op_join(exec_ctx *ctx, const plan_node *plan, exec_op *left, exec_op *right,
                 int build_left, exec_op **out);
int exec_op_distinct(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out);
int exec_op_setop(exec_ctx *ctx, const plan_node *plan, exec_op *left, exec_op *right,
                  exec_op **out);
int exec_op_insert(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out);
int exec_op_update(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out);
int exec_op_delete(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out);

/* The scan under child (through filters) made to append each row's KV key as a trailing BLOB
 * column; -1 if child is not such a chain. Used by UPDATE and DELETE. */
int exec_scan_emit_key(exec_op *child);
/* A scan that only counts keys then range-deletes the table: DELETE without WHERE. */
void exec_delete_set_truncate(exec_op *del);

#endif
