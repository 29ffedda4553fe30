/* exec/row_codec.c — row keys and row values (layout: exec/row_format.h). */
#include "exec/row_codec.h"

#include <stdlib.h>

#include "strata_kv.h"
#include "util/memcmp.h"

int row_key_encode(uint8_t *buf, size_t cap, uint32_t table_id, uint32_t vnodes,
                   const uint8_t *pk_types, const sql_value *pk_vals, size_t npk, size_t *len,
                   uint32_t *vnode_out)
{
    if (ST_UNLIKELY(cap < ROW_KEY_PREFIX_SIZE))
        return st_error(STRATA_TOOBIG, "row key buffer of %zu bytes is too small", cap);
    size_t pklen;
    int rc = mc_encode_key(buf + ROW_KEY_PREFIX_SIZE, cap - ROW_KEY_PREFIX_SIZE, pk_types, pk_vals,
                           npk, &pklen);
    if (rc) return rc;
    uint32_t vnode = row_vnode(buf + ROW_KEY_PREFIX_SIZE, pklen, vnodes);
    row_key_vnode_prefix(buf, table_id, vnode);
    *len = ROW_KEY_PREFIX_SIZE + pklen;
    if (vnode_out) *vnode_out = vnode;
    return STRATA_OK;
}

int row_key_decode_pk(const uint8_t *key, size_t n, const uint8_t *pk_types, size_t npk,
                      sql_value *out, uint8_t *scratch)
{
    int rc = row_key_split(key, n, NULL, NULL, NULL, NULL);
    if (rc) return rc;
    return mc_decode_key(key + ROW_KEY_PREFIX_SIZE, n - ROW_KEY_PREFIX_SIZE, pk_types, npk, out,
                         scratch, NULL);
}

int row_key_rowid(const uint8_t *key, size_t n, int64_t *rowid)
{
    if (n != ROW_KEY_PREFIX_SIZE + 9 || key[ROW_KEY_PREFIX_SIZE] != MC_VALUE)
        return st_error(STRATA_CORRUPT, "row key of %zu bytes is not a row-id key", n);
    *rowid = (int64_t)(get_be64(key + ROW_KEY_PREFIX_SIZE + 1) ^ 0x8000000000000000ULL);
    return STRATA_OK;
}

void row_buf_free(row_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

int row_buf_reserve(row_buf *b, size_t extra)
{
    if (ST_LIKELY(b->cap - b->n >= extra)) return STRATA_OK;
    if (extra > SIZE_MAX / 2 - b->n) return st_error(STRATA_NOMEM, "row buffer: %zu bytes", extra);
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->n < extra) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) return st_error(STRATA_NOMEM, "row buffer: cannot grow to %zu bytes", cap);
    b->p = p;
    b->cap = cap;
    return STRATA_OK;
}

int row_begin(row_buf *b, uint32_t ncols)
{
    if (ncols > ROW_MAX_COLUMNS)
        return st_error(STRATA_TOOBIG, "row of %u columns (at most %u)", ncols, ROW_MAX_COLUMNS);
    size_t hdr = ROW_VAR_OFFSET(ncols);
    b->n = 0;
    int rc = row_buf_reserve(b, hdr);
    if (rc) return rc;
    b->p[0] = ROW_FORMAT_V1;
    put_le16(b->p + 1, (uint16_t)ncols);
    size_t nm = ROW_NULLMAP_SIZE(ncols);
    memset(b->p + ROW_HEADER_SIZE, 0xFF, nm); /* every column starts NULL ... */
    if (ncols & 7) /* ... and the bits past the last column are 0 (rows compare bytewise) */
        b->p[ROW_HEADER_SIZE + nm - 1] = (uint8_t)((1u << (ncols & 7)) - 1);
    memset(b->p + ROW_HEADER_SIZE + nm, 0, (size_t)ncols * ROW_SLOT_SIZE);
    b->n = hdr;
    return STRATA_OK;
}

int row_set_bytes(row_buf *b, uint32_t col, const void *p, uint32_t n)
{
    if (ST_UNLIKELY((uint64_t)b->n + n > STRATA_KV_MAX_VALUE))
        return st_error(STRATA_TOOBIG, "row value exceeds %u bytes at column %u",
                        STRATA_KV_MAX_VALUE, col);
    int rc = row_buf_reserve(b, n);
    if (rc) return rc;
    uint8_t *s = row__slot(b, col);
    put_le32(s, (uint32_t)b->n);
    put_le32(s + 4, n);
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
    return STRATA_OK;
}

int row_set_value(row_buf *b, uint32_t col, int type, const sql_value *v)
{
    if (v->is_null) {
        row_set_null(b, col);
        return STRATA_OK;
    }
    switch (type) {
    case STRATA_TYPE_BOOLEAN:
        row_set_i64(b, col, v->u.i != 0);
        return STRATA_OK;
    case STRATA_TYPE_INT:
    case STRATA_TYPE_BIGINT:
    case STRATA_TYPE_TIMESTAMP:
        row_set_i64(b, col, v->u.i);
        return STRATA_OK;
    case STRATA_TYPE_DOUBLE:
        row_set_f64(b, col, v->type == STRATA_TYPE_DOUBLE ? v->u.d : (double)v->u.i);
        return STRATA_OK;
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB:
        return row_set_bytes(b, col, v->u.s.p, v->u.s.n);
    }
    return st_error(STRATA_TYPE, "row column %u: cannot store type %s", col, sql_type_name(type));
}

int row_encode(row_buf *b, const uint8_t *types, const sql_value *vals, uint32_t ncols)
{
    int rc = row_begin(b, ncols);
    if (rc) return rc;
    for (uint32_t i = 0; i < ncols; i++) {
        if (vals[i].is_null) continue; /* row_begin made it NULL */
        rc = row_set_value(b, i, types[i], &vals[i]);
        if (rc) return rc;
    }
    return STRATA_OK;
}

int row__corrupt_column(const row_view *v, uint32_t col, int type)
{
    return st_error(STRATA_CORRUPT, "row value (%zu bytes, %u columns): bad %s in column %u", v->n,
                    v->ncols, sql_type_name(type), col);
}

int row_get_column(const uint8_t *row, size_t len, uint32_t col, int type, sql_value *out)
{
    row_view v;
    int rc = row_open(&v, row, len);
    if (rc) return rc;
    return row_view_get(&v, col, type, out);
}

int row_decode(const uint8_t *row, size_t len, const uint8_t *types, uint32_t ncols,
               sql_value *vals)
{
    row_view v;
    int rc = row_open(&v, row, len);
    if (rc) return rc;
    for (uint32_t i = 0; i < ncols; i++) {
        rc = row_view_get(&v, i, types[i], &vals[i]);
        if (rc) return rc;
    }
    return STRATA_OK;
}
