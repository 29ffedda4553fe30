/*
 * catalog/catalog.h — namespaces, tables, columns, table options and refresh state, kept as rows
 * of reserved tables in the same LSM as the data (layouts: catalog/catalog_format.h,
 * docs/format_rows.md).
 *
 * Model
 *   - A catalog belongs to one strata_kv and is shared by every connection of the database.
 *   - Its in-memory state is a chain of immutable SNAPSHOTS (cat_snap). A statement takes one
 *     with cat_snap_acquire and keeps it until it ends: every pointer it got from the snapshot
 *     (namespaces, tables, columns, names) stays valid and unchanged until cat_snap_release, even
 *     if a concurrent DROP TABLE commits meanwhile. Table descriptors are reference counted and
 *     shared between snapshots; cat_table_ref lets a prepared statement keep one past its
 *     snapshot.
 *   - DDL runs in a cat_txn: operations validate against the txn's private working copy (so a
 *     later operation of the same txn sees the earlier ones), ADD their catalog writes (and range
 *     deletes of table data) to a caller-provided strata_kv_batch, and change only the working
 *     copy. After strata_kv_write of that batch succeeds, cat_txn_commit publishes the working
 *     copy as the new current snapshot; if the write fails (or the statement fails for any other
 *     reason) cat_txn_abort discards it and memory is as before. DDL is serialised: a txn holds
 *     the catalog's DDL mutex from begin to commit/abort (one at a time per database; keep it
 *     short — it never waits on readers). The same batch may carry data changes of the statement.
 *   - On error a DDL operation may have added part of its writes to the batch: the caller must
 *     then not write that batch (discard it and cat_txn_abort).
 *
 * Names
 *   Identifiers are stored as given and compared case-insensitively (ASCII). Lookups take
 *   pointer + length (len = CAT_NTS: NUL-terminated). Names are 1..CAT_MAX_NAME bytes.
 *   Namespace "system" holds the reserved tables (read-only for SQL: kind CAT_KIND_SYSTEM) and
 *   cannot be dropped or receive tables; "default" is created on first open and cannot be
 *   dropped.
 *
 * Keys of a table's rows: [table id][vnode][pk] (exec/row_codec.h row_key_encode with the
 * descriptor's id, vnodes, pk_types). A table without a declared primary key has has_rowid = 1:
 * its key is a hidden BIGINT row id from cat_rowid_alloc (never repeated, also across
 * restarts), not stored in the row value. Row values hold every declared column (row_encode
 * with col_types).
 *
 * System tables: system.namespaces, system.tables, system.columns, system.refresh_progress and
 * system.sequences are ordinary tables to the executor (descriptors with kind CAT_KIND_SYSTEM,
 * found like any table): `SELECT * FROM system.tables` is a normal scan of their key range,
 * decoded with the normal row codec. DML and DDL on them must be rejected by the binder.
 *
 * Errors: functions return STRATA_OK or a code and record "what and where" with st_error:
 * "no such table: ns.t" (STRATA_NOTFOUND), "table ns.t already exists" (STRATA_EXISTS),
 * "no such namespace: x" (STRATA_NOTFOUND), "namespace x already exists" (STRATA_EXISTS),
 * "namespace x is not empty (n tables); use DROP NAMESPACE x CASCADE" (STRATA_CONSTRAINT),
 * STRATA_CORRUPT for an undecodable catalog row at open.
 *
 * Thread-safety: catalog functions are thread-safe; a cat_snap is immutable and may be shared;
 * a cat_txn is used by one thread.
 */
#ifndef STRATA_CATALOG_CATALOG_H
#define STRATA_CATALOG_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "strata_kv.h"
#include "exec/types.h"

#define CAT_NTS            ((size_t)-1) /* length of a NUL-terminated name */
#define CAT_MAX_NAME       255          /* bytes of an identifier */
#define CAT_MAX_COLUMNS    2000
#define CAT_DEFAULT_VNODES 256

typedef struct catalog catalog;
typedef struct cat_snap cat_snap;
typedef struct cat_txn cat_txn;

typedef enum cat_kind {
    CAT_KIND_SHARED = 0, /* one set of rows for everyone (the only kind CREATE TABLE makes now) */
    CAT_KIND_USER = 1,   /* reserved: rows per user */
    CAT_KIND_STREAM = 2, /* reserved: append-only events with TTL */
    CAT_KIND_SYSTEM = 3, /* a reserved catalog table (ids < 16): read-only to SQL */
} cat_kind;

typedef enum cat_refresh_state {
    CAT_REFRESH_IDLE = 0,
    CAT_REFRESH_REFRESHING = 1, /* loading the source into staging */
    CAT_REFRESH_FINISHING = 2,  /* merging staging into the table, vnode by vnode */
} cat_refresh_state;

typedef struct cat_column {
    const char *name;        /* as declared */
    uint8_t type;            /* strata_type */
    uint8_t not_null;        /* 1: NOT NULL (primary-key columns always are) */
    int32_t pk_pos;          /* position in the primary key (0-based), -1 if not in it */
    const char *default_sql; /* DEFAULT expression as SQL text, NULL if none */
} cat_column;

typedef struct cat_option {
    const char *key;   /* WITH (key = 'value'): key as written, compared case-insensitively */
    const char *value; /* the value's text (quotes removed) */
} cat_option;

/* Refresh state of a refreshable table (DESIGN.md "Refresh protocol"). All zero/NULL = idle,
 * never refreshed. */
typedef struct cat_refresh {
    int state;                /* cat_refresh_state */
    uint64_t epoch;           /* bumped by every REFRESH start */
    uint64_t read_seq;        /* finishing: the KV sequence readers use; 0 otherwise */
    int64_t last_refresh_us;  /* end of the last refresh (µs since epoch), 0 = never */
    int64_t last_duration_us; /* its duration */
    int64_t last_inserted, last_updated, last_deleted;
    const char *last_error; /* message of the last failed refresh, NULL if none */
} cat_refresh;

typedef struct cat_namespace {
    uint32_t id;
    const char *name;
} cat_namespace;

/* A table descriptor: immutable once published. */
typedef struct cat_table {
    uint32_t id; /* key prefix; never reused */
    uint32_t ns_id;
    const char *ns_name; /* the namespace's name */
    const char *name;    /* as declared */
    int kind;            /* cat_kind */
    uint32_t vnodes;     /* 1..65536 */
    uint32_t ncols;      /* declared columns (the hidden row id is not one) */
    const cat_column *cols;
    const uint8_t *col_types; /* ncols types: row_encode / row_view_get */
    uint32_t npk;             /* key columns: the declared primary key's, or 1 (row id) */
    const uint32_t *pk_cols;  /* npk column indexes in key order; NULL if has_rowid */
    const uint8_t *pk_types;  /* npk key types (BIGINT for the row id): row_key_encode */
    int has_rowid;            /* 1: no declared primary key, keys are hidden row ids */
    uint32_t nopts;
    const cat_option *opts; /* WITH options in declaration order */
    int refreshable;        /* WITH (refreshable = true): DML rejected, REFRESH TABLE loads it */
    uint32_t staging_id;    /* refreshable: table id whose key range holds the staging rows */
    cat_refresh refresh;
    uint64_t version; /* catalog version that produced this descriptor */
} cat_table;

/* ---- open, close ---- */

/* Loads the catalog from kv (which must outlive it). On the first open of an empty database it
 * creates namespaces "system" and "default" (one committed batch). STRATA_CORRUPT if a catalog
 * row cannot be decoded. */
int cat_open(strata_kv *kv, catalog **out);
/* REQUIRES: no snapshot, txn or table reference of this catalog is still held. NULL: no-op. */
void cat_close(catalog *c);
strata_kv *cat_kv(catalog *c);

/* ---- snapshots and lookups ---- */

/* The current snapshot, referenced (never NULL). Cheap: a read lock and an atomic increment. */
const cat_snap *cat_snap_acquire(catalog *c);
void cat_snap_release(const cat_snap *s); /* NULL: no-op */
/* Increases with every committed DDL txn that changed something. */
uint64_t cat_snap_version(const cat_snap *s);

/* NULL if absent (no error recorded). */
const cat_namespace *cat_find_namespace(const cat_snap *s, const char *name, size_t len);
const cat_table *cat_find_table(const cat_snap *s, const char *ns, size_t nslen, const char *name,
                                size_t len);
const cat_table *cat_table_by_id(const cat_snap *s, uint32_t id);
/* As the find functions, but recording "no such namespace: x" / "no such table: ns.t" and
 * returning STRATA_NOTFOUND. */
int cat_lookup_namespace(const cat_snap *s, const char *name, size_t len,
                         const cat_namespace **out);
int cat_lookup_table(const cat_snap *s, const char *ns, size_t nslen, const char *name, size_t len,
                     const cat_table **out);

/* Enumeration: namespaces ordered by id, tables ordered by id (system tables first). */
size_t cat_namespace_count(const cat_snap *s);
const cat_namespace *cat_namespace_at(const cat_snap *s, size_t i);
size_t cat_table_count(const cat_snap *s);
const cat_table *cat_table_at(const cat_snap *s, size_t i);

/* Index of the column named name (case-insensitive), -1 if none. */
int cat_column_index(const cat_table *t, const char *name, size_t len);
/* The value of option key (case-insensitive), NULL if not given. */
const char *cat_table_option(const cat_table *t, const char *key);
const char *cat_kind_name(int kind);           /* "shared", "user", "stream", "system" */
const char *cat_refresh_state_name(int state); /* "idle", "refreshing", "finishing" */

/* The row key of a row of t: row holds all t->ncols column values in table order (the key
 * columns are picked by t->pk_cols); for a table with has_rowid, rowid is the key instead.
 * Writes buf[0..*len), STRATA_TOOBIG if cap is too small. No allocation. */
int cat_table_row_key(const cat_table *t, const sql_value *row, int64_t rowid, uint8_t *buf,
                      size_t cap, size_t *len);

/* Keep a descriptor beyond its snapshot (e.g. in a prepared statement). */
void cat_table_ref(const cat_table *t);
void cat_table_unref(const cat_table *t); /* NULL: no-op */

/* ---- hidden row ids ---- */

/* Reserves n (>= 1) consecutive row ids for t (which must have has_rowid) and returns the first
 * in *first. Ids are never handed out twice, across restarts too: the catalog persists a high-water
 * mark in system.sequences with its own small KV write (not in the caller's batch) whenever the
 * reserved block runs out, in blocks of at least 64K ids. Thread-safe. */
int cat_rowid_alloc(catalog *c, const cat_table *t, uint64_t n, int64_t *first);

/* ---- exact row counts ---- */

/* The number of rows of t at snap (NULL: latest), kept in system.sequences ("rows.<id>") by
 * every statement that changes t's rows, in that statement's batch. STRATA_NOTFOUND (no error
 * recorded) when unknown: system and refreshable tables, tables of databases made before counts
 * existed (until their next TRUNCATE / DELETE without WHERE). */
int cat_row_count_get(strata_kv *kv, const strata_kv_snapshot *snap, const cat_table *t,
                      int64_t *count);
/* Adds the write of t's row count to b (no-op for system and refreshable tables). REQUIRES: the
 * caller holds the database's writer lock from reading the old count to committing b. */
int cat_row_count_put(strata_kv_batch *b, const cat_table *t, int64_t count);

/* ---- DDL ---- */

typedef struct cat_column_def {
    const char *name;        /* NUL-terminated; copied */
    int type;                /* strata_type, not STRATA_TYPE_NULL */
    int not_null;            /* 1: NOT NULL */
    int pk_pos;              /* position in the PRIMARY KEY (0-based), -1 if not in it */
    const char *default_sql; /* NULL or the DEFAULT expression's SQL text; copied */
} cat_column_def;

typedef struct cat_table_def {
    const char *ns;   /* NULL: "default" */
    const char *name; /* NUL-terminated; copied */
    uint32_t ncols;   /* 1..CAT_MAX_COLUMNS */
    const cat_column_def *cols;
    int kind; /* CAT_KIND_SHARED (user/stream: STRATA_NOTSUP for now) */
    uint32_t nopts;
    const cat_option *opts; /* WITH options, copied and stored verbatim. Interpreted:
                             * vnodes = 1..65536 (default CAT_DEFAULT_VNODES),
                             * refreshable = true|false|1|0 (default false). */
    int if_not_exists;
} cat_table_def;

/* Starts a DDL txn (waits while another one is open). */
int cat_txn_begin(catalog *c, cat_txn **out);
/* The txn's working copy: lookups through it see the txn's own changes. Valid until the txn
 * ends. */
const cat_snap *cat_txn_snap(cat_txn *tx);
/* Publishes the txn's changes (call only after the batch holding them committed) and ends it. */
void cat_txn_commit(cat_txn *tx);
/* Discards the txn's changes and ends it. NULL: no-op. */
void cat_txn_abort(cat_txn *tx);
/* Convenience: strata_kv_write(kv, wo, b), then commit on success or abort on failure; returns
 * the write's status. The txn is ended either way. */
int cat_txn_write(cat_txn *tx, const strata_kv_write_options *wo, strata_kv_batch *b);

/* CREATE NAMESPACE [IF NOT EXISTS] name. */
int cat_create_namespace(cat_txn *tx, strata_kv_batch *b, const char *name, size_t len,
                         int if_not_exists);
/* DROP NAMESPACE [IF EXISTS] name [CASCADE]: with cascade drops its tables too (rows and
 * catalog entries, same batch); without, a non-empty namespace is STRATA_CONSTRAINT. */
int cat_drop_namespace(cat_txn *tx, strata_kv_batch *b, const char *name, size_t len, int if_exists,
                       int cascade);
/* CREATE TABLE [IF NOT EXISTS]. *out (may be NULL) receives the new descriptor (owned by the
 * txn's working copy: valid until the txn ends), or NULL when it already existed and
 * if_not_exists was set (nothing written). A new table gets a table id never used before, so a
 * re-created name never sees rows of its predecessor. */
int cat_create_table(cat_txn *tx, strata_kv_batch *b, const cat_table_def *def,
                     const cat_table **out);
/* DROP TABLE [IF EXISTS] ns.name (ns NULL: "default"): deletes its catalog rows and range-deletes
 * its rows (and its staging rows) in b. */
int cat_drop_table(cat_txn *tx, strata_kv_batch *b, const char *ns, size_t nslen, const char *name,
                   size_t len, int if_exists);
/* TRUNCATE ns.name: one range delete of its rows in b (row ids keep increasing). */
int cat_truncate_table(cat_txn *tx, strata_kv_batch *b, const char *ns, size_t nslen,
                       const char *name, size_t len);
/* Replaces the refresh state of table_id (rewrites its system.tables row in b). For the refresh
 * job; strings in r are copied. */
int cat_set_refresh(cat_txn *tx, strata_kv_batch *b, uint32_t table_id, const cat_refresh *r);

/* ---- refresh progress rows (system.refresh_progress) ---- */

/* One progress row of a refresh. vnode = CAT_PROGRESS_LOAD (-1) is the load row (file, offset,
 * rows_loaded); vnode >= 0 rows record the merge of that vnode. */
#define CAT_PROGRESS_LOAD (-1)
typedef struct cat_progress {
    uint32_t table_id;
    int32_t vnode;
    const char *stage; /* e.g. "loading", "done" */
    const char *file;  /* load row: current source file, else NULL */
    int64_t file_offset;
    int64_t rows_loaded;
    int64_t inserted, updated, deleted;
    uint64_t epoch;
} cat_progress;

/* Adds the write of a progress row to b (replaces the row with the same table_id, vnode). */
int cat_progress_put(strata_kv_batch *b, const cat_progress *p);
/* Adds one range delete of every progress row of table_id to b. */
int cat_progress_clear(strata_kv_batch *b, uint32_t table_id);
/* Reads the progress rows of table_id (ordered by vnode, load row first) from the latest KV
 * state; calls fn for each (strings valid during the call only). fn returning non-zero stops
 * (that value is returned). */
int cat_progress_scan(catalog *c, uint32_t table_id, int (*fn)(void *ctx, const cat_progress *p),
                      void *ctx);

#endif
