/*
 * catalog/system_tables.h — internal to catalog/: the schemas of the reserved tables and the
 * reading and writing of their rows (keys [tid][vnode 0][memcomparable pk], values in the
 * ordinary row format). Column positions are in catalog/catalog_format.h.
 *
 * Pure functions over a batch or a strata_kv; no catalog state, no locks.
 */
#ifndef STRATA_CATALOG_SYSTEM_TABLES_H
#define STRATA_CATALOG_SYSTEM_TABLES_H

#include "catalog/catalog.h"
#include "catalog/catalog_format.h"

typedef struct cat_sys_schema {
    uint32_t tid;
    const char *name; /* "namespaces", ... (in namespace "system") */
    uint32_t ncols;
    const cat_column_def *cols;
    const uint8_t *types; /* ncols */
    uint32_t npk;
    const uint32_t *pk_cols; /* npk, key order */
} cat_sys_schema;

/* The schema of reserved table tid (1..5), NULL for another id. */
const cat_sys_schema *cat_sys_schema_of(uint32_t tid);

/* Adds put(key(vals), row(vals)) to b; vals has the table's ncols values. */
int cat_sys_put(strata_kv_batch *b, uint32_t tid, const sql_value *vals);
/* Reads the row with primary key pk (npk values) at snap (NULL: latest) into *val (free with
 * strata_kv_free). STRATA_NOTFOUND (no error recorded) if absent. */
int cat_sys_get(strata_kv *kv, const strata_kv_snapshot *snap, uint32_t tid, const sql_value *pk,
                void **val, size_t *vlen);
/* Adds the delete of the row with primary key pk (npk values) to b. */
int cat_sys_delete(strata_kv_batch *b, uint32_t tid, const sql_value *pk);
/* Adds a range delete of every row whose primary key starts with pk[0..nprefix) to b. */
int cat_sys_delete_prefix(strata_kv_batch *b, uint32_t tid, const sql_value *pk, size_t nprefix);
/* Calls fn(ctx, vals) for every row of tid whose primary key starts with pk[0..nprefix), in key
 * order, reading the latest state of kv. vals (ncols values) borrow the iterator's bytes: valid
 * during the call only. A NULL in a NOT NULL column is STRATA_CORRUPT. fn returning non-zero
 * stops the scan with that value. */
int cat_sys_scan(strata_kv *kv, uint32_t tid, const sql_value *pk, size_t nprefix,
                 int (*fn)(void *ctx, const sql_value *vals), void *ctx);

/* WITH options as stored in system.tables.options: "key = 'value', key2 = 'v''2'".
 * cat_opts_format returns a malloc'd string (NULL if nopts == 0 or out of memory: check nopts).
 * cat_opts_parse calls fn for each pair (strings NUL-terminated, valid during the call);
 * STRATA_CORRUPT on malformed text. */
char *cat_opts_format(uint32_t nopts, const cat_option *opts);
int cat_opts_parse(const char *p, size_t n, int (*fn)(void *ctx, const char *k, const char *v),
                   void *ctx);

/* "shared" ... → kind, -1 if unknown; "idle" ... → state, -1 if unknown. */
int cat_kind_from_name(const char *p, size_t n);
int cat_refresh_state_from_name(const char *p, size_t n);

#endif
