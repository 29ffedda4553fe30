/* fuzz/row_codec.c — libFuzzer target: hostile bytes through the row-value decoder
 * (exec/row_codec.h) and the memcomparable key decoder (util/memcmp.h). Nothing may crash or
 * read out of bounds; whatever decodes must round-trip.
 *
 * Input: [mode u8][ncols u8][types: ncols bytes][payload]. Each type byte is taken % 8, so the
 * invalid types 0 (NULL) and 7+ reach the decoders too (type 7 is TIMESTAMP; 8 never occurs, so
 * type byte 0 gives an undecodable column). The payload is decoded:
 *   - as a row value (row_open, row_view_get per column, row_decode, row_get_column);
 *     a decoded row is re-encoded with row_encode and must decode to the same values, and
 *     re-encoding that is a fixed point (the encoding is canonical);
 *   - as a memcomparable key (mc_decode_key with and without `used`; mc_decode and mc_skip
 *     per value: what decodes also skips, over the same bytes); a decoded key re-encodes with
 *     mc_encode_key to exactly the bytes consumed, and mc_compare_values agrees with memcmp
 *     of two decoded values' encodings;
 *   - as a row key (row_key_split, row_key_decode_pk, row_key_rowid): the primary key re-encodes
 *     with row_key_encode to the same bytes after the prefix. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/row_codec.h"
#include "util/memcmp.h"

#define MAX_COLS 64

static void fail(const char *what, uint32_t col)
{
    fprintf(stderr, "row_codec: %s (column %u)\n", what, col);
    abort();
}

static int valid_type(int t)
{
    return t >= STRATA_TYPE_BOOLEAN && t <= STRATA_TYPE_TIMESTAMP;
}

/* Two decoded values are the same value (DOUBLE compared by bits: NaN payloads survive). */
static int same_value(int type, const sql_value *a, const sql_value *b)
{
    if (a->is_null || b->is_null) return a->is_null == b->is_null;
    switch (type) {
    case STRATA_TYPE_DOUBLE:
        return memcmp(&a->u.d, &b->u.d, 8) == 0;
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB:
        return a->u.s.n == b->u.s.n && (a->u.s.n == 0 || !memcmp(a->u.s.p, b->u.s.p, a->u.s.n));
    default:
        return a->u.i == b->u.i;
    }
}

static void fuzz_row_value(const uint8_t *types, uint32_t ncols, const uint8_t *p, size_t n)
{
    sql_value vals[MAX_COLS], again[MAX_COLS];
    row_view v;
    int rc = row_open(&v, p, n);
    if (rc != STRATA_OK) {
        if (rc != STRATA_CORRUPT || v.ncols != 0) fail("row_open: bad failure", 0);
        if (row_decode(p, n, types, ncols, vals) == STRATA_OK) fail("row_decode after bad open", 0);
        return;
    }
    /* every column, including past ncols (NULL) */
    int all_ok = 1;
    for (uint32_t i = 0; i < ncols; i++) {
        rc = row_view_get(&v, i, types[i], &vals[i]);
        if (rc != STRATA_OK) {
            if (rc != STRATA_CORRUPT) fail("row_view_get: not CORRUPT", i);
            all_ok = 0;
            continue;
        }
        if (vals[i].is_null != row_view_is_null(&v, i)) fail("is_null disagrees", i);
        if (!vals[i].is_null &&
            (vals[i].type == STRATA_TYPE_TEXT || vals[i].type == STRATA_TYPE_BLOB)) {
            const uint8_t *s = (const uint8_t *)vals[i].u.s.p;
            if (s < p || s + vals[i].u.s.n > p + n) fail("text outside the value", i);
        }
        sql_value one;
        if (row_get_column(p, n, i, types[i], &one) != STRATA_OK ||
            !same_value(types[i], &one, &vals[i]))
            fail("row_get_column differs from row_view_get", i);
    }
    if (v.ncols > 0) { /* the last real column and one past the end, as BIGINT */
        sql_value x;
        (void)row_view_get(&v, v.ncols - 1, STRATA_TYPE_BIGINT, &x);
        if (row_view_get(&v, v.ncols, STRATA_TYPE_TEXT, &x) != STRATA_OK || !x.is_null)
            fail("a column past ncols is not NULL", v.ncols);
    }
    rc = row_decode(p, n, types, ncols, again);
    if ((rc == STRATA_OK) != all_ok) fail("row_decode disagrees with row_view_get", 0);
    if (!all_ok) return;
    for (uint32_t i = 0; i < ncols; i++)
        if (!same_value(types[i], &vals[i], &again[i])) fail("row_decode value differs", i);

    /* round trip: encode what decoded, decode it, encode again: same values, same bytes */
    row_buf b1, b2;
    row_buf_init(&b1);
    row_buf_init(&b2);
    if (row_encode(&b1, types, vals, ncols) != STRATA_OK) fail("row_encode of decoded values", 0);
    rc = row_decode(b1.p, b1.n, types, ncols, again);
    if (rc != STRATA_OK) fail("re-encoded row does not decode", 0);
    for (uint32_t i = 0; i < ncols; i++)
        if (!same_value(types[i], &vals[i], &again[i])) fail("round trip changed a value", i);
    if (row_encode(&b2, types, again, ncols) != STRATA_OK) fail("second row_encode", 0);
    if (b1.n != b2.n || memcmp(b1.p, b2.p, b1.n)) fail("row encoding is not canonical", 0);
    /* the builder gives the same bytes as row_encode */
    if (row_begin(&b2, ncols) != STRATA_OK) fail("row_begin", 0);
    for (uint32_t i = 0; i < ncols; i++)
        if (row_set_value(&b2, i, types[i], &again[i]) != STRATA_OK) fail("row_set_value", i);
    if (b1.n != b2.n || memcmp(b1.p, b2.p, b1.n)) fail("builder differs from row_encode", 0);
    row_buf_free(&b1);
    row_buf_free(&b2);
}

static void fuzz_key(const uint8_t *types, uint32_t ncols, const uint8_t *p, size_t n)
{
    sql_value vals[MAX_COLS], one;
    uint8_t *scratch = malloc(n ? n : 1), *scratch2 = malloc(n ? n : 1);
    if (!scratch || !scratch2) abort();
    size_t used = 0;
    int rc = mc_decode_key(p, n, types, ncols, vals, scratch, &used);
    /* value by value: mc_decode and mc_skip consume the same bytes */
    const uint8_t *q = p, *r = p, *end = p + n;
    uint8_t *sc = scratch2;
    uint32_t i;
    for (i = 0; i < ncols; i++) {
        const uint8_t *q0 = q;
        int a = mc_decode(&q, end, types[i], &one, &sc);
        int b = mc_skip(&r, end, types[i]);
        /* mc_skip checks the framing only (a non-canonical DOUBLE or BOOLEAN body skips) */
        if (a == STRATA_OK && b != STRATA_OK) fail("mc_skip fails where mc_decode does not", i);
        if (b != STRATA_OK && b != STRATA_CORRUPT) fail("mc_skip: not CORRUPT", i);
        if (a != STRATA_OK) {
            if (a != STRATA_CORRUPT) fail("mc_decode: not CORRUPT", i);
            break;
        }
        if (q != r || q <= q0) fail("mc_decode and mc_skip consumed different bytes", i);
        if (sc > scratch2 + n) fail("scratch overrun", i);
    }
    if ((rc == STRATA_OK) != (i == ncols)) fail("mc_decode_key disagrees with mc_decode", i);
    if (rc == STRATA_OK) {
        if (used != (size_t)(q - p)) fail("mc_decode_key used", 0);
        sql_value again[MAX_COLS];
        rc = mc_decode_key(p, n, types, ncols, again, scratch2, NULL);
        if ((rc == STRATA_OK) != (used == n)) fail("mc_decode_key without used", 0);
        /* canonical: re-encoding gives exactly the bytes consumed */
        uint8_t *enc = malloc(used + 1);
        size_t elen = 0;
        if (!enc) abort();
        if (mc_encode_key(enc, used, types, vals, ncols, &elen) != STRATA_OK)
            fail("mc_encode_key of decoded values does not fit", 0);
        if (elen != used || memcmp(enc, p, used)) fail("memcomparable round trip differs", 0);
        for (uint32_t k = 0; k < ncols; k++) {
            size_t sz = mc_size(types[k], &vals[k]);
            if (sz > mc_max_size(types[k], &vals[k])) fail("mc_size > mc_max_size", k);
        }
        /* order: mc_compare_values agrees with memcmp of the encodings, pairwise by type */
        for (uint32_t k = 0; k + 1 < ncols; k++) {
            if (types[k] != types[k + 1]) continue;
            uint8_t ea[9 + 2 * 4096], eb[9 + 2 * 4096];
            if (mc_max_size(types[k], &vals[k]) > sizeof ea ||
                mc_max_size(types[k], &vals[k + 1]) > sizeof eb)
                continue;
            size_t la = (size_t)(mc_encode(ea, types[k], &vals[k]) - ea);
            size_t lb = (size_t)(mc_encode(eb, types[k], &vals[k + 1]) - eb);
            size_t m = la < lb ? la : lb;
            int c = memcmp(ea, eb, m);
            if (c == 0) c = (la > lb) - (la < lb);
            int d = mc_compare_values(types[k], &vals[k], &vals[k + 1]);
            if ((c > 0) != (d > 0) || (c < 0) != (d < 0)) fail("compare disagrees with memcmp", k);
        }
        free(enc);
    } else if (rc != STRATA_CORRUPT) {
        fail("mc_decode_key: not CORRUPT", 0);
    }
    /* the prefix successor bounds every extension of the prefix */
    if (n > 0 && n <= 64) {
        uint8_t buf[64];
        size_t bl = n;
        memcpy(buf, p, n);
        if (mc_prefix_successor(buf, &bl) == 0) {
            if (bl == 0 || bl > n) fail("prefix successor length", 0);
            size_t m = bl < n ? bl : n;
            int c = memcmp(p, buf, m);
            if (c > 0 || (c == 0 && n >= bl)) fail("prefix successor not above the prefix", 0);
        }
    }

    /* as a row key */
    uint32_t tid, vnode;
    const uint8_t *pk;
    size_t pklen;
    if (row_key_split(p, n, &tid, &vnode, &pk, &pklen) == STRATA_OK) {
        if (pklen != n - ROW_KEY_PREFIX_SIZE || pk != p + ROW_KEY_PREFIX_SIZE)
            fail("row_key_split", 0);
        int64_t rowid;
        if (row_key_rowid(p, n, &rowid) == STRATA_OK) {
            uint8_t bt = STRATA_TYPE_BIGINT;
            sql_value rv = sql_int(STRATA_TYPE_BIGINT, rowid);
            uint8_t kb[ROW_KEY_PREFIX_SIZE + 9];
            size_t kl;
            if (row_key_encode(kb, sizeof kb, tid, 1, &bt, &rv, 1, &kl, NULL) != STRATA_OK ||
                kl != n || memcmp(kb + ROW_KEY_PREFIX_SIZE, pk, pklen))
                fail("row id key round trip", 0);
        }
        if (row_key_decode_pk(p, n, types, ncols, vals, scratch) == STRATA_OK) {
            uint8_t *kb = malloc(n + 1);
            size_t kl;
            uint32_t vn;
            if (!kb) abort();
            if (row_key_encode(kb, n, tid, 7, types, vals, ncols, &kl, &vn) != STRATA_OK ||
                kl != n || memcmp(kb + ROW_KEY_PREFIX_SIZE, pk, pklen) || get_be32(kb) != tid ||
                vn >= 7 || get_be16(kb + 4) != vn)
                fail("row key round trip", 0);
            free(kb);
        }
    } else if (n >= ROW_KEY_PREFIX_SIZE) {
        fail("row_key_split of a long enough key", 0);
    }
    free(scratch);
    free(scratch2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    uint8_t mode = data[0];
    uint32_t ncols = data[1] % (MAX_COLS + 1);
    if (size - 2 < ncols) return 0;
    uint8_t types[MAX_COLS];
    int all_valid = 1;
    for (uint32_t i = 0; i < ncols; i++) {
        types[i] = data[2 + i] % 8;
        if (!valid_type(types[i])) all_valid = 0;
    }
    const uint8_t *p = data + 2 + ncols;
    size_t n = size - 2 - ncols;
    /* copy the payload so ASan sees an over-read of it exactly */
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) abort();
    memcpy(copy, p, n);
    if (!(mode & 1)) {
        if (all_valid)
            fuzz_row_value(types, ncols, copy, n);
        else { /* a bad type is CORRUPT, never a crash */
            sql_value vals[MAX_COLS];
            if (row_decode(copy, n, types, ncols, vals) == STRATA_OK) {
                row_view v;
                if (row_open(&v, copy, n) != STRATA_OK) fail("row_open after row_decode", 0);
                for (uint32_t i = 0; i < ncols; i++)
                    if (!valid_type(types[i]) && !row_view_is_null(&v, i))
                        fail("a non-NULL column of a bad type decoded", i);
            }
        }
    } else if (all_valid) {
        fuzz_key(types, ncols, copy, n);
    } else {
        sql_value vals[MAX_COLS];
        uint8_t *scratch = malloc(n ? n : 1);
        size_t used;
        if (!scratch) abort();
        (void)mc_decode_key(copy, n, types, ncols, vals, scratch, &used);
        const uint8_t *q = copy;
        for (uint32_t i = 0; i < ncols; i++)
            if (mc_skip(&q, copy + n, types[i]) != STRATA_OK) break;
        free(scratch);
    }
    free(copy);
    return 0;
}
