/*
 * exec/row_codec.h — encoding SQL rows as LSM keys and values (layout: exec/row_format.h,
 * docs/format.md).
 *
 * Keys: row_key_* build [table_id][vnode][memcomparable primary key] and the bounds of a table
 * and of one vnode of a table (each a single contiguous range: TRUNCATE / DROP = one
 * delete_range).
 *
 * Values: EVERY column of the row is stored in the value, primary-key columns included; the key
 * exists for order and lookup and is never decoded on the read path. Column i of an encoded row
 * is found in O(1) (a fixed 8-byte slot; TEXT/BLOB slots point into a tail area), so a scan pulls
 * just the columns it needs:
 *
 *     row_view v;
 *     if (row_open(&v, val, vlen) != STRATA_OK) return the error;   // validates the header once
 *     row_view_get(&v, col, type, &out);                            // per needed column
 *
 * The decoder treats values as hostile: a wrong version, a length that does not hold the header
 * and slots, a TEXT/BLOB slot pointing outside the value, a BOOLEAN other than 0/1 or an INT out of
 * int32 range is STRATA_CORRUPT (message says which column), never an over-read. The value does
 * not record column types: the reader passes the schema's type.
 *
 * Encoding writes into a caller-owned growable row_buf (reused across rows: no allocation per row
 * once it has grown). Either row_encode(values) or the builder row_begin / row_set_* (for callers
 * that hold columns in vectors). No function here takes a lock; row_buf and row_view are used by
 * one thread at a time.
 */
#ifndef STRATA_EXEC_ROW_CODEC_H
#define STRATA_EXEC_ROW_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "exec/row_format.h"
#include "exec/types.h"
#include "util/coding.h"
#include "util/hash.h"
#include "util/status.h"

/* ------------------------------------------------------------------------------------------ */
/* keys                                                                                        */

/* The vnode of an encoded primary key. REQUIRES: 1 <= vnodes <= ROW_MAX_VNODES. */
static inline uint32_t row_vnode(const uint8_t *pk, size_t n, uint32_t vnodes)
{
    return (uint32_t)(st_hash64(pk, n) % vnodes);
}

/* Builds the key of a row: buf[0..*len) = [table_id][vnode][memcomparable pk_vals].
 * pk_types[i] is the type of the i-th primary-key column (for a table without a primary key:
 * one BIGINT, the hidden row id). STRATA_TOOBIG if it does not fit in cap (a key is at most
 * STRATA_KV_MAX_KEY bytes). No allocation. If vnode_out is not NULL it receives the vnode. */
int row_key_encode(uint8_t *buf, size_t cap, uint32_t table_id, uint32_t vnodes,
                   const uint8_t *pk_types, const sql_value *pk_vals, size_t npk, size_t *len,
                   uint32_t *vnode_out);

/* The 4-byte prefix of every key of a table. */
static inline void row_key_table_prefix(uint8_t out[ROW_KEY_TABLE_ID_SIZE], uint32_t table_id)
{
    put_be32(out, table_id);
}

/* [start, end) covering every key of a table: start = [table_id], end = [table_id + 1].
 * REQUIRES: table_id < UINT32_MAX. One delete_range over it empties the table. */
static inline void row_key_table_range(uint32_t table_id, uint8_t start[ROW_KEY_TABLE_ID_SIZE],
                                       uint8_t end[ROW_KEY_TABLE_ID_SIZE])
{
    put_be32(start, table_id);
    put_be32(end, table_id + 1);
}

/* The 6-byte prefix [table_id][vnode] of one vnode of a table. REQUIRES: vnode < 65536. */
static inline void row_key_vnode_prefix(uint8_t out[ROW_KEY_PREFIX_SIZE], uint32_t table_id,
                                        uint32_t vnode)
{
    put_be32(out, table_id);
    put_be16(out + 4, (uint16_t)vnode);
}

/* [start, end) covering every key of one vnode of a table (both 6 bytes; end is the next
 * vnode's prefix, or [table_id + 1][0] after vnode 65535). */
static inline void row_key_vnode_range(uint32_t table_id, uint32_t vnode,
                                       uint8_t start[ROW_KEY_PREFIX_SIZE],
                                       uint8_t end[ROW_KEY_PREFIX_SIZE])
{
    row_key_vnode_prefix(start, table_id, vnode);
    uint64_t e = (((uint64_t)table_id << 16) | vnode) + 1;
    put_be32(end, (uint32_t)(e >> 16));
    put_be16(end + 4, (uint16_t)e);
}

/* Splits a row key: table id, vnode, and the primary-key bytes (borrowed from key).
 * STRATA_CORRUPT if the key is shorter than the prefix. */
static inline int row_key_split(const uint8_t *key, size_t n, uint32_t *table_id, uint32_t *vnode,
                                const uint8_t **pk, size_t *pk_len)
{
    if (n < ROW_KEY_PREFIX_SIZE)
        return st_error(STRATA_CORRUPT, "row key of %zu bytes is shorter than its prefix", n);
    if (table_id) *table_id = get_be32(key);
    if (vnode) *vnode = get_be16(key + 4);
    if (pk) *pk = key + ROW_KEY_PREFIX_SIZE;
    if (pk_len) *pk_len = n - ROW_KEY_PREFIX_SIZE;
    return STRATA_OK;
}

/* Decodes the primary key of a row key (after the 6-byte prefix) into out[0..npk); TEXT/BLOB
 * values point into the key or into scratch (n bytes suffice). STRATA_CORRUPT on bad bytes. */
int row_key_decode_pk(const uint8_t *key, size_t n, const uint8_t *pk_types, size_t npk,
                      sql_value *out, uint8_t *scratch);
/* The hidden row id of a key of a table without a primary key (has_rowid): lets UPDATE/DELETE
 * carry it as a BIGINT and rebuild the key with row_key_encode. STRATA_CORRUPT if the key is not
 * [prefix][non-NULL BIGINT]. */
int row_key_rowid(const uint8_t *key, size_t n, int64_t *rowid);

/* ------------------------------------------------------------------------------------------ */
/* value encoding                                                                              */

/* A growable byte buffer owned by the caller; reused across rows. Zero-initialised = empty. */
typedef struct row_buf {
    uint8_t *p;
    size_t n;   /* bytes used */
    size_t cap; /* bytes allocated */
} row_buf;

static inline void row_buf_init(row_buf *b)
{
    b->p = NULL;
    b->n = b->cap = 0;
}
void row_buf_free(row_buf *b);
/* Makes room for `extra` more bytes after b->n. STRATA_NOMEM on allocation failure (b
 * unchanged). */
int row_buf_reserve(row_buf *b, size_t extra);

/* Encodes one row of ncols values into b, REPLACING its content (b->p[0..b->n) is the value).
 * types[i] is column i's type; vals[i] is NULL-flagged or holds a value of that type (as for
 * mc_encode: the binder casts first; a DOUBLE column accepts an integer value).
 * STRATA_TOOBIG if ncols > ROW_MAX_COLUMNS or the value exceeds STRATA_KV_MAX_VALUE;
 * STRATA_NOMEM. */
int row_encode(row_buf *b, const uint8_t *types, const sql_value *vals, uint32_t ncols);

/* The builder, for rows assembled column by column (e.g. from vectors):
 *   row_begin(b, ncols)        replaces b's content with a row of ncols NULL columns
 *   row_set_i64 / f64 / bytes  sets column col (each column at most once per row; TEXT/BLOB
 *                              columns must be set in increasing column order — any order works
 *                              for the decoder, but the bytes are appended)
 *   row_set_null               leaves/makes column col NULL (only before it was set)
 * The row is complete after the last set: b->p[0..b->n) is the value.
 * REQUIRES: col < ncols of row_begin. */
int row_begin(row_buf *b, uint32_t ncols);
static inline uint8_t *row__slot(row_buf *b, uint32_t col)
{
    uint32_t ncols = get_le16(b->p + 1);
    b->p[ROW_HEADER_SIZE + (col >> 3)] &= (uint8_t) ~(1u << (col & 7));
    return b->p + ROW_SLOTS_OFFSET(ncols) + (size_t)col * ROW_SLOT_SIZE;
}
static inline void row_set_i64(row_buf *b, uint32_t col, int64_t v)
{
    put_le64(row__slot(b, col), (uint64_t)v);
}
static inline void row_set_f64(row_buf *b, uint32_t col, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    put_le64(row__slot(b, col), bits);
}
static inline void row_set_null(row_buf *b, uint32_t col)
{
    uint32_t ncols = get_le16(b->p + 1);
    b->p[ROW_HEADER_SIZE + (col >> 3)] |= (uint8_t)(1u << (col & 7));
    memset(b->p + ROW_SLOTS_OFFSET(ncols) + (size_t)col * ROW_SLOT_SIZE, 0, ROW_SLOT_SIZE);
}
/* TEXT/BLOB: appends n bytes to the var area. STRATA_NOMEM, or STRATA_TOOBIG beyond
 * STRATA_KV_MAX_VALUE. */
int row_set_bytes(row_buf *b, uint32_t col, const void *p, uint32_t n);
/* Sets column col from a value (NULL, or a value of `type` as for row_encode). */
int row_set_value(row_buf *b, uint32_t col, int type, const sql_value *v);

/* ------------------------------------------------------------------------------------------ */
/* value decoding                                                                              */

/* A validated view of one encoded row value; borrows the bytes (valid while they are). */
typedef struct row_view {
    const uint8_t *p;
    size_t n;
    uint32_t ncols;
    const uint8_t *nulls; /* null bitmap */
    const uint8_t *slots; /* slot 0 */
} row_view;

/* Validates the header (version, ncols, length >= header + null bitmap + slots).
 * STRATA_CORRUPT with a message otherwise. */
static inline int row_open(row_view *v, const uint8_t *p, size_t n)
{
    v->p = v->nulls = v->slots = p; /* an empty view (ncols 0) even on error */
    v->n = n;
    v->ncols = 0;
    if (ST_UNLIKELY(n < ROW_HEADER_SIZE || p[0] != ROW_FORMAT_V1))
        return st_error(STRATA_CORRUPT, "row value: bad header (%zu bytes, version %d)", n,
                        n ? p[0] : -1);
    uint32_t ncols = get_le16(p + 1);
    if (ST_UNLIKELY(n < ROW_VAR_OFFSET(ncols)))
        return st_error(STRATA_CORRUPT, "row value: %zu bytes cannot hold %u columns", n, ncols);
    v->ncols = ncols;
    v->nulls = p + ROW_HEADER_SIZE;
    v->slots = p + ROW_SLOTS_OFFSET(ncols);
    return STRATA_OK;
}

/* 1 if column col is NULL (or col >= ncols). */
static inline int row_view_is_null(const row_view *v, uint32_t col)
{
    return col >= v->ncols || ((v->nulls[col >> 3] >> (col & 7)) & 1);
}

int row__corrupt_column(const row_view *v, uint32_t col, int type);

/* Reads column col as `type` into *out (out->type = type). TEXT/BLOB bytes are borrowed from
 * the row. A column >= ncols is NULL. STRATA_CORRUPT on bad bytes. O(1). */
static inline int row_view_get(const row_view *v, uint32_t col, int type, sql_value *out)
{
    out->type = (uint8_t)type;
    if (row_view_is_null(v, col)) {
        out->is_null = 1;
        out->u.i = 0;
        return STRATA_OK;
    }
    out->is_null = 0;
    const uint8_t *s = v->slots + (size_t)col * ROW_SLOT_SIZE;
    switch (type) {
    case STRATA_TYPE_BIGINT:
    case STRATA_TYPE_TIMESTAMP:
        out->u.i = (int64_t)get_le64(s);
        return STRATA_OK;
    case STRATA_TYPE_INT:
        out->u.i = (int64_t)get_le64(s);
        if (ST_UNLIKELY(out->u.i < INT32_MIN || out->u.i > INT32_MAX))
            return row__corrupt_column(v, col, type);
        return STRATA_OK;
    case STRATA_TYPE_BOOLEAN:
        out->u.i = (int64_t)get_le64(s);
        if (ST_UNLIKELY((uint64_t)out->u.i > 1)) return row__corrupt_column(v, col, type);
        return STRATA_OK;
    case STRATA_TYPE_DOUBLE: {
        uint64_t bits = get_le64(s);
        memcpy(&out->u.d, &bits, 8);
        return STRATA_OK;
    }
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB: {
        uint32_t off = get_le32(s), len = get_le32(s + 4);
        if (ST_UNLIKELY(off > v->n || len > v->n - off)) return row__corrupt_column(v, col, type);
        out->u.s.p = (const char *)v->p + off;
        out->u.s.n = len;
        return STRATA_OK;
    }
    }
    return row__corrupt_column(v, col, type);
}

/* One-shot: row_open + row_view_get (a scan needing several columns should open once). */
int row_get_column(const uint8_t *row, size_t len, uint32_t col, int type, sql_value *out);

/* Decodes the first ncols columns into vals (types[i] each). Bytes borrowed from row. */
int row_decode(const uint8_t *row, size_t len, const uint8_t *types, uint32_t ncols,
               sql_value *vals);

#endif
