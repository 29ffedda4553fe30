/* exec/op_scan.c — SEQ_SCAN / PK_GET / PK_RANGE_SCAN of a table.
 *
 * Reads the table's key range with one KV iterator and decodes only the needed columns of each
 * row value straight into the output vectors (row_view_get is O(1) per column). Long strings are
 * copied into the vector's heap because the iterator's bytes move with it. A pushed filter
 * runs over each decoded chunk (exec_expr_select) before it is handed up.
 *   - pk equality on every key column: one strata_kv_get.
 *   - a range on the first key column: keys are [table][vnode][pk], so each vnode is one seek
 *     to [table][vnode][lo] and a walk up to [table][vnode][hi].
 * A refreshable table that is finishing a refresh is read at its recorded sequence.
 * With emit_key (UPDATE, DELETE) each row's key is appended as a trailing BLOB column.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "exec/op.h"
#include "exec/row_codec.h"
#include "util/memcmp.h"
#include "util/slice.h"

#define KEY_CAP 4096 /* bounds and keys built here (longer ones: STRATA_TOOBIG) */

/* the parallel full scan (see "parallel full scan" below) */
#define PAR_MIN_CHUNKS  8                 /* chunks a full scan reads alone first */
#define PAR_PIECES      64                /* pieces the rest is split into, at most */
#define PAR_MAX_QUEUED  32                /* chunks the helper may have decoded ahead, at most */
#define PAR_QUEUE_BYTES ((size_t)8 << 20) /* and about this many bytes of them */

typedef struct scan_op {
    exec_op base;
    const cat_table *t;
    int ncols; /* table columns decoded (not counting the key column) */
    const int *cols;
    int emit_key;
    int *out_types; /* with the key column */
    exec_expr *filter;
    strata_kv_iter *it;
    const strata_kv_snapshot *own_snap;
    /* ranges */
    int mode; /* 0 full, 1 get, 2 range, 3 multi-get of an IN list */
    /* mode 3: the distinct encoded keys, sorted */
    uint8_t *in_keys;
    size_t *in_off, *in_len;
    size_t in_n, in_pos;
    int done;
    uint32_t vnode;
    /* key buffers, malloc'd on first use (not zeroed: a scan op is created per statement) */
    uint8_t *lo, *hi; /* pk-part bounds (without prefix) */
    size_t lo_len, hi_len;
    int have_lo, have_hi;
    uint8_t *cur_end; /* [KEY_CAP + 8] */
    size_t cur_end_len;
    uint8_t *key_buf; /* [KEY_CAP] */
    exec_chunk out;
    exec_sel_t *sel; /* the pushed filter's selection (exec_chunk_sel of out) */
    uint8_t prefix[ROW_KEY_TABLE_ID_SIZE];
    uint8_t table_end[ROW_KEY_TABLE_ID_SIZE];
    /* a full scan that has gone parallel (scan_par below); NULL: serial */
    struct par_scan *par;
    int par_ok;     /* this run may go parallel */
    int chunks_out; /* chunks the serial full scan has produced */
} scan_op;

static int in_keys_build(exec_ctx *ctx, scan_op *s);
static inline int decode_row(exec_ctx *ctx, const scan_op *s, exec_chunk *out, const uint8_t *val,
                             size_t vlen, size_t k);
static void put_key(const scan_op *s, exec_chunk *out, size_t k, const void *key, size_t klen);
static void par_stop(scan_op *s);

static int scan_read_options(exec_ctx *ctx, scan_op *s, strata_kv_read_options *ro)
{
    memset(ro, 0, sizeof *ro);
    ro->snapshot = ctx->snapshot;
    if (s->t->refreshable && s->t->refresh.state == CAT_REFRESH_FINISHING &&
        s->t->refresh.read_seq) {
        if (!s->own_snap) {
            int rc = strata_kv_snapshot_at(ctx->kv, s->t->refresh.read_seq, &s->own_snap);
            if (rc) return exec_kv_error(ctx, rc, "snapshot of a refreshing table");
        }
        ro->snapshot = s->own_snap;
    }
    return STRATA_OK;
}

/* Encodes v as a value of type t in memcomparable form into buf. */
static int encode_bound(exec_ctx *ctx, const plan_expr *e, int type, uint8_t *buf, size_t cap,
                        size_t *len, int *is_null)
{
    exec_heap h;
    exec_heap_init(&h);
    sql_value v;
    int rc = exec_expr_eval_value(ctx, e, &h, &v);
    if (!rc && !v.is_null && v.type != type) {
        if (sql_type_is_integer(type) && v.type == STRATA_TYPE_BIGINT && type == STRATA_TYPE_INT &&
            (v.u.i < INT32_MIN || v.u.i > INT32_MAX)) {
            /* out of the column's range: clamp, the filter decides */
            v.u.i = v.u.i < 0 ? INT32_MIN : INT32_MAX;
            v.type = STRATA_TYPE_INT;
        } else {
            rc = exec_cast_value(ctx, &v, type, &h, &v);
        }
    }
    if (!rc) {
        *is_null = v.is_null;
        if (!v.is_null) {
            if (mc_max_size(type, &v) > cap) {
                rc = exec_error(ctx, STRATA_TOOBIG, "key bound too long");
            } else {
                uint8_t *end = mc_encode(buf, type, &v);
                *len = (size_t)(end - buf);
            }
        }
    }
    exec_heap_free(&h);
    return rc;
}

/* Bounds ro to the table's keys, [start, end) in the caller's buffers. */
static void table_bounds(const scan_op *s, strata_kv_read_options *ro,
                         uint8_t start[ROW_KEY_TABLE_ID_SIZE], uint8_t end[ROW_KEY_TABLE_ID_SIZE])
{
    row_key_table_range(s->t->id, start, end);
    ro->lower = start;
    ro->lower_len = ROW_KEY_TABLE_ID_SIZE;
    ro->upper = end;
    ro->upper_len = ROW_KEY_TABLE_ID_SIZE;
}

static int scan_open(exec_op *op, exec_ctx *ctx)
{
    scan_op *s = (scan_op *)op;
    const plan_node *p = op->plan;
    par_stop(s);
    s->done = 0;
    s->vnode = 0;
    s->mode = 0;
    s->chunks_out = 0;
    s->par_ok = 0;
    if (s->it) {
        strata_kv_iter_free(s->it);
        s->it = NULL;
    }
    if (!ctx->kv)
        return exec_error(ctx, STRATA_MISUSE, "scan of %s without a database", s->t->name);
    strata_kv_read_options ro;
    int rc = scan_read_options(ctx, s, &ro);
    if (rc) return rc;
    if (!s->key_buf) {
        s->key_buf = malloc(4 * KEY_CAP + 8);
        if (!s->key_buf) return exec_error(ctx, STRATA_NOMEM, "scan of %s", s->t->name);
        s->lo = s->key_buf + KEY_CAP;
        s->hi = s->lo + KEY_CAP;
        s->cur_end = s->hi + KEY_CAP;
    }
    if (p->u.scan.pk_eq && !s->t->has_rowid) {
        s->mode = 1;
        return STRATA_OK;
    }
    if (p->u.scan.pk_in && !s->t->has_rowid && s->t->npk == 1) {
        s->mode = 3;
        return in_keys_build(ctx, s);
    }
    /* the iterator is bounded to the table; the scan also checks each key's table prefix (an
     * older kernel missed rows written after a range delete starting at the lower bound) */
    uint8_t start[ROW_KEY_TABLE_ID_SIZE], end[ROW_KEY_TABLE_ID_SIZE];
    table_bounds(s, &ro, start, end);
    row_key_table_prefix(s->prefix, s->t->id);
    memcpy(s->table_end, end, sizeof end);
    s->it = strata_kv_iter_new(ctx->kv, &ro);
    if (!s->it) return exec_kv_error(ctx, STRATA_NOMEM, "scan iterator");
    s->have_lo = s->have_hi = 0;
    if ((p->u.scan.pk_lo || p->u.scan.pk_hi) && !s->t->has_rowid) {
        int type = s->t->pk_types[0], isnull = 0;
        s->mode = 2;
        if (p->u.scan.pk_lo) {
            rc = encode_bound(ctx, p->u.scan.pk_lo, type, s->lo, KEY_CAP - 8, &s->lo_len, &isnull);
            if (rc) return rc;
            if (isnull) {
                s->done = 1; /* x > NULL: nothing */
                return STRATA_OK;
            }
            if (!p->u.scan.pk_lo_incl) {
                /* past every key starting with lo */
                if (mc_prefix_successor(s->lo, &s->lo_len) != 0) s->done = 1;
            }
            s->have_lo = 1;
        }
        if (p->u.scan.pk_hi) {
            rc = encode_bound(ctx, p->u.scan.pk_hi, type, s->hi, KEY_CAP - 8, &s->hi_len, &isnull);
            if (rc) return rc;
            if (isnull) {
                s->done = 1;
                return STRATA_OK;
            }
            if (p->u.scan.pk_hi_incl) {
                if (mc_prefix_successor(s->hi, &s->hi_len) == 0) s->have_hi = 1;
            } else {
                s->have_hi = 1;
            }
        }
        /* NULL keys cannot exist (pk columns are NOT NULL) */
        if (!s->have_lo) {
            s->lo[0] = MC_VALUE;
            s->lo_len = 1;
            s->have_lo = 1;
        }
        s->vnode = 0;
        s->cur_end_len = 0; /* start the first vnode */
    } else {
        strata_kv_iter_seek(s->it, s->prefix, sizeof s->prefix);
        /* a read-only full scan of a consistent view may hand vnodes to a helper thread */
        s->par_ok = ctx->parallel_scan && ro.snapshot && s->t->vnodes >= 4;
    }
    return STRATA_OK;
}

typedef struct key_list {
    const uint8_t *base;
    const size_t *off, *len;
} key_list;

static int cmp_keys(const void *a, const void *b, void *arg)
{
    const key_list *kl = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    size_t li = kl->len[i], lj = kl->len[j];
    int c = memcmp(kl->base + kl->off[i], kl->base + kl->off[j], li < lj ? li : lj);
    return c ? c : (li > lj) - (li < lj);
}

/* mode 3: evaluates the IN list, encodes the distinct keys (values of another type that cannot
 * be converted, and NULLs, match nothing). */
static int in_keys_build(exec_ctx *ctx, scan_op *s)
{
    const plan_expr *in = s->base.plan->u.scan.pk_in;
    size_t n = (size_t)in->u.in.n, cap = n * 24 + 64, used = 0;
    free(s->in_keys);
    free(s->in_off);
    free(s->in_len);
    s->in_keys = malloc(cap);
    s->in_off = malloc(sizeof(size_t) * (n + 1));
    s->in_len = malloc(sizeof(size_t) * (n + 1));
    size_t *idx = malloc(sizeof(size_t) * (n + 1));
    if (!s->in_keys || !s->in_off || !s->in_len || !idx) {
        free(idx);
        return exec_error(ctx, STRATA_NOMEM, "IN list of %zu keys", n);
    }
    exec_heap h;
    exec_heap_init(&h);
    int rc = STRATA_OK, had_error = ctx->errcode != STRATA_OK;
    size_t m = 0;
    int type = s->t->pk_types[0];
    for (size_t i = 0; i < n && !rc; i++) {
        sql_value v;
        rc = exec_expr_eval_value(ctx, in->u.in.list[i], &h, &v);
        if (rc) break;
        if (!v.is_null && v.type != type && exec_cast_value(ctx, &v, type, &h, &v) != STRATA_OK) {
            if (!had_error) ctx->errcode = STRATA_OK; /* cannot be a key: matches nothing */
            continue;
        }
        if (v.is_null) continue;
        size_t need = ROW_KEY_PREFIX_SIZE + mc_max_size(type, &v);
        if (used + need > cap) {
            cap = (used + need) * 2;
            uint8_t *nk = realloc(s->in_keys, cap);
            if (!nk) {
                rc = exec_error(ctx, STRATA_NOMEM, "IN list keys");
                break;
            }
            s->in_keys = nk;
        }
        size_t klen;
        rc = row_key_encode(s->in_keys + used, cap - used, s->t->id, s->t->vnodes, s->t->pk_types,
                            &v, 1, &klen, NULL);
        if (rc) {
            rc = exec_error(ctx, rc, "%s", st_errmsg());
            break;
        }
        s->in_off[m] = used;
        s->in_len[m] = klen;
        idx[m] = m;
        m++;
        used += klen;
        exec_heap_reset(&h);
    }
    exec_heap_free(&h);
    if (!rc) {
        /* sort and drop duplicates (each row once, in key order) */
        key_list kl = {s->in_keys, s->in_off, s->in_len};
        qsort_r(idx, m, sizeof *idx, cmp_keys, &kl);
        size_t *off2 = malloc(sizeof(size_t) * (m + 1)), *len2 = malloc(sizeof(size_t) * (m + 1));
        if (!off2 || !len2) {
            free(off2);
            free(len2);
            free(idx);
            return exec_error(ctx, STRATA_NOMEM, "IN list keys");
        }
        size_t u = 0;
        for (size_t i = 0; i < m; i++) {
            size_t k = idx[i];
            if (u && len2[u - 1] == s->in_len[k] &&
                memcmp(s->in_keys + off2[u - 1], s->in_keys + s->in_off[k], s->in_len[k]) == 0)
                continue;
            off2[u] = s->in_off[k];
            len2[u] = s->in_len[k];
            u++;
        }
        free(s->in_off);
        free(s->in_len);
        s->in_off = off2;
        s->in_len = len2;
        s->in_n = u;
    }
    s->in_pos = 0;
    free(idx);
    return rc;
}

/* mode 3: the next batch of keys, one multi-get. */
static int fill_in(exec_ctx *ctx, scan_op *s)
{
    size_t n = s->in_n - s->in_pos;
    if (n > EXEC_VECTOR_SIZE) n = EXEC_VECTOR_SIZE;
    if (n == 0) {
        s->done = 1;
        return STRATA_OK;
    }
    const void *keys[EXEC_VECTOR_SIZE];
    size_t klens[EXEC_VECTOR_SIZE], vlens[EXEC_VECTOR_SIZE];
    void *vals[EXEC_VECTOR_SIZE];
    int st[EXEC_VECTOR_SIZE];
    for (size_t i = 0; i < n; i++) {
        keys[i] = s->in_keys + s->in_off[s->in_pos + i];
        klens[i] = s->in_len[s->in_pos + i];
        vals[i] = NULL;
    }
    strata_kv_read_options ro;
    int rc = scan_read_options(ctx, s, &ro);
    if (rc) return rc;
    rc = strata_kv_multi_get(ctx->kv, &ro, n, keys, klens, vals, vlens, st);
    if (rc) return exec_kv_error(ctx, rc, "multi-get");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rc && st[i] == STRATA_OK) {
            rc = decode_row(ctx, s, &s->out, vals[i], vlens[i], k);
            if (!rc && s->emit_key) put_key(s, &s->out, k, keys[i], klens[i]);
            k++;
        } else if (!rc && st[i] != STRATA_NOTFOUND) {
            rc = exec_error(ctx, st[i], "multi-get of %s", s->t->name);
        }
        if (vals[i]) strata_kv_free(vals[i]);
    }
    s->in_pos += n;
    s->out.count = k;
    return rc;
}

/* Positions the iterator on the next vnode's range; 0 when none left. */
static int next_vnode(scan_op *s)
{
    while (s->vnode < s->t->vnodes) {
        uint8_t key[KEY_CAP + 8];
        row_key_vnode_prefix(key, s->t->id, s->vnode);
        memcpy(key + ROW_KEY_PREFIX_SIZE, s->lo, s->lo_len);
        row_key_vnode_prefix(s->cur_end, s->t->id, s->vnode);
        if (s->have_hi) {
            memcpy(s->cur_end + ROW_KEY_PREFIX_SIZE, s->hi, s->hi_len);
            s->cur_end_len = ROW_KEY_PREFIX_SIZE + s->hi_len;
        } else {
            uint8_t st[ROW_KEY_PREFIX_SIZE];
            row_key_vnode_range(s->t->id, s->vnode, st, s->cur_end);
            s->cur_end_len = ROW_KEY_PREFIX_SIZE;
        }
        s->vnode++;
        strata_kv_iter_seek(s->it, key, ROW_KEY_PREFIX_SIZE + s->lo_len);
        if (strata_kv_iter_valid(s->it)) {
            size_t kl;
            const void *k = strata_kv_iter_key(s->it, &kl);
            st_slice a = st_slice_make(k, kl), b = st_slice_make(s->cur_end, s->cur_end_len);
            if (st_slice_cmp(a, b) < 0) return 1;
        }
    }
    return 0;
}

/* A TEXT or BLOB column of a row: row_view_get checks its bounds. Out of line, so that the
 * loop over fixed-width columns keeps its values in registers. */
static __attribute__((noinline)) int decode_var(exec_ctx *ctx, const scan_op *s, const uint8_t *val,
                                                size_t vlen, uint32_t col, exec_vector *v, size_t k)
{
    int type = s->t->col_types[col];
    row_view rv;
    int rc = row_open(&rv, val, vlen);
    sql_value sv = sql_null(type);
    if (!rc) rc = row_view_get(&rv, col, type, &sv);
    if (ST_UNLIKELY(rc)) return exec_error(ctx, rc, "table %s: %s", s->t->name, st_errmsg());
    ((exec_str *)v->data)[k] = exec_heap_str(&v->heap, sv.u.s.p, sv.u.s.n);
    return STRATA_OK;
}

/* Decodes one row value into row k of the output. The header is read here (the fixed-width
 * columns need nothing else); a TEXT or BLOB column goes through row_view_get, which checks
 * its bounds. A bad header is reported by row_open. */
static inline int decode_row(exec_ctx *ctx, const scan_op *s, exec_chunk *out, const uint8_t *val,
                             size_t vlen, size_t k)
{
    int nc = s->ncols;
    if (nc == 0) return STRATA_OK; /* count(*): nothing to decode */
    uint32_t ncols = vlen >= ROW_HEADER_SIZE ? get_le16(val + 1) : 0;
    if (ST_UNLIKELY(vlen < ROW_HEADER_SIZE || val[0] != ROW_FORMAT_V1 ||
                    vlen < ROW_VAR_OFFSET(ncols))) {
        row_view bad;
        int rc = row_open(&bad, val, vlen);
        return exec_error(ctx, rc ? rc : STRATA_CORRUPT, "table %s: %s", s->t->name, st_errmsg());
    }
    const uint8_t *nulls = val + ROW_HEADER_SIZE, *slots = val + ROW_SLOTS_OFFSET(ncols);
    const uint8_t *types = s->t->col_types;
    const int *cols = s->cols;
    exec_vector *vs = out->cols;
    for (int j = 0; j < nc; j++) {
        uint32_t col = (uint32_t)cols[j];
        exec_vector *v = &vs[j];
        if (ST_UNLIKELY(col >= ncols || ((nulls[col >> 3] >> (col & 7)) & 1))) {
            exec_vector_set_null(v, k);
            continue;
        }
        const uint8_t *slot = slots + (size_t)col * ROW_SLOT_SIZE;
        switch (types[col]) {
        case STRATA_TYPE_BIGINT:
        case STRATA_TYPE_TIMESTAMP:
            ((int64_t *)v->data)[k] = (int64_t)get_le64(slot);
            break;
        case STRATA_TYPE_INT:
            ((int32_t *)v->data)[k] = (int32_t)(int64_t)get_le64(slot);
            break;
        case STRATA_TYPE_DOUBLE: {
            uint64_t bits = get_le64(slot);
            memcpy(&((double *)v->data)[k], &bits, 8);
            break;
        }
        case STRATA_TYPE_BOOLEAN:
            ((uint8_t *)v->data)[k] = (uint8_t)(get_le64(slot) != 0);
            break;
        default: {
            int rc = decode_var(ctx, s, val, vlen, col, v, k);
            if (ST_UNLIKELY(rc)) return rc;
            break;
        }
        }
    }
    return STRATA_OK;
}

static void put_key(const scan_op *s, exec_chunk *out, size_t k, const void *key, size_t klen)
{
    exec_vector *v = &out->cols[s->ncols];
    ((exec_str *)v->data)[k] = exec_heap_str(&v->heap, key, (uint32_t)klen);
}

/* key < end, for an end that is a key prefix ([table] or [table][vnode]) */
static inline int key_before(const void *key, size_t klen, const uint8_t *end, size_t elen)
{
    int c = memcmp(key, end, klen < elen ? klen : elen);
    return c < 0 || (c == 0 && klen < elen);
}

/* A full scan's rows come in batches (strata_kv_iter_next_batch), decoded straight into out
 * (reset by the caller) up to a full chunk. The range ends before end: the table's end, or a
 * vnode's for a piece of a parallel scan. Batches are in key order, so only a batch whose last
 * key is not before end is looked at entry by entry. *exhausted = 1 at the end of the range. */
static int fill_range(exec_ctx *ctx, const scan_op *s, strata_kv_iter *it, exec_chunk *out,
                      const uint8_t *end, size_t elen, int *exhausted)
{
    strata_kv_entry e[256];
    size_t k = 0;
    *exhausted = 0;
    while (k < EXEC_VECTOR_SIZE) {
        size_t want = EXEC_VECTOR_SIZE - k < 256 ? EXEC_VECTOR_SIZE - k : 256;
        size_t n = strata_kv_iter_next_batch(it, e, want);
        if (n == 0) {
            int rc = strata_kv_iter_status(it);
            if (rc) return exec_kv_error(ctx, rc, "scan");
            *exhausted = 1;
            break;
        }
        if (!key_before(e[n - 1].key, e[n - 1].klen, end, elen)) {
            size_t m = 0;
            while (m < n && key_before(e[m].key, e[m].klen, end, elen)) m++;
            n = m;
            *exhausted = 1;
        }
        for (size_t i = 0; i < n; i++, k++) {
            int rc = decode_row(ctx, s, out, e[i].val, e[i].vlen, k);
            if (ST_UNLIKELY(rc)) return rc;
            if (s->emit_key) put_key(s, out, k, e[i].key, e[i].klen);
        }
        if (*exhausted) break;
    }
    out->count = k;
    return STRATA_OK;
}

static void par_start(exec_ctx *ctx, scan_op *s);

static int fill(exec_ctx *ctx, scan_op *s)
{
    exec_chunk_reset(&s->out);
    size_t k = 0;
    int rc;
    if (s->done) return STRATA_OK;
    if (s->mode == 1) {
        /* one get */
        const plan_node *p = s->base.plan;
        sql_value vals[64];
        exec_heap h;
        exec_heap_init(&h);
        uint32_t npk = s->t->npk;
        rc = npk > 64 ? exec_error(ctx, STRATA_NOTSUP, "key of more than 64 columns") : 0;
        int isnull = 0;
        for (uint32_t i = 0; i < npk && !rc; i++) {
            rc = exec_expr_eval_value(ctx, p->u.scan.pk_eq[i], &h, &vals[i]);
            if (!rc && !vals[i].is_null && vals[i].type != s->t->pk_types[i]) {
                sql_value c;
                rc = exec_cast_value(ctx, &vals[i], s->t->pk_types[i], &h, &c);
                if (rc) {
                    /* a value the key type cannot hold matches nothing */
                    ctx->errcode = STRATA_OK;
                    rc = STRATA_OK;
                    isnull = 1;
                } else {
                    vals[i] = c;
                }
            }
            if (vals[i].is_null) isnull = 1;
        }
        s->done = 1;
        size_t klen = 0;
        if (!rc && !isnull) {
            rc = row_key_encode(s->key_buf, KEY_CAP, s->t->id, s->t->vnodes, s->t->pk_types, vals,
                                npk, &klen, NULL);
            if (rc) rc = exec_error(ctx, rc, "%s", st_errmsg());
        }
        exec_heap_free(&h);
        if (rc || isnull) return rc;
        strata_kv_read_options ro;
        rc = scan_read_options(ctx, s, &ro);
        if (rc) return rc;
        void *val;
        size_t vlen;
        rc = strata_kv_get(ctx->kv, &ro, s->key_buf, klen, &val, &vlen);
        if (rc == STRATA_NOTFOUND) return STRATA_OK;
        if (rc) return exec_kv_error(ctx, rc, "get");
        rc = decode_row(ctx, s, &s->out, val, vlen, 0);
        if (!rc && s->emit_key) put_key(s, &s->out, 0, s->key_buf, klen);
        strata_kv_free(val);
        if (!rc) s->out.count = 1;
        return rc;
    }
    if (s->mode == 3) return fill_in(ctx, s);
    if (s->mode == 0) {
        int exhausted;
        rc = fill_range(ctx, s, s->it, &s->out, s->table_end, sizeof s->table_end, &exhausted);
        if (rc) return rc;
        if (exhausted) {
            s->done = 1;
        } else if (s->par_ok && ++s->chunks_out % PAR_MIN_CHUNKS == 0) {
            par_start(ctx, s); /* a big table: the rest may go faster on two threads */
        }
        return STRATA_OK;
    }
    strata_kv_iter *it = s->it;
    if (s->mode == 2 && s->cur_end_len == 0) {
        if (!next_vnode(s)) {
            s->done = 1;
            return STRATA_OK;
        }
    }
    while (k < EXEC_VECTOR_SIZE) {
        if (!strata_kv_iter_valid(it)) {
            rc = strata_kv_iter_status(it);
            if (rc) return exec_kv_error(ctx, rc, "scan");
            if (s->mode == 2 && next_vnode(s)) continue;
            s->done = 1;
            break;
        }
        size_t klen, vlen;
        const void *key = strata_kv_iter_key(it, &klen);
        if (s->mode == 2) {
            st_slice a = st_slice_make(key, klen), b = st_slice_make(s->cur_end, s->cur_end_len);
            if (st_slice_cmp(a, b) >= 0) {
                if (next_vnode(s)) continue;
                s->done = 1;
                break;
            }
        } else if (ST_UNLIKELY(klen < ROW_KEY_TABLE_ID_SIZE ||
                               memcmp(key, s->prefix, ROW_KEY_TABLE_ID_SIZE) != 0)) {
            s->done = 1; /* past the table */
            break;
        }
        const uint8_t *val = strata_kv_iter_value(it, &vlen);
        rc = decode_row(ctx, s, &s->out, val, vlen, k);
        if (rc) return rc;
        if (s->emit_key) put_key(s, &s->out, k, key, klen);
        k++;
        strata_kv_iter_next(it);
    }
    s->out.count = k;
    return STRATA_OK;
}

/* ---- parallel full scan ----
 *
 * A read-only full scan that has produced PAR_MIN_CHUNKS chunks (a big table), on a machine with a
 * core to spare (on two cores: while the kernel runs no flush or compaction; asked again every
 * PAR_MIN_CHUNKS chunks), splits the vnodes after the current one into up to PAR_PIECES pieces of
 * consecutive vnodes. Pieces are claimed in key order, one at a time, by the scan's own thread and
 * by one helper thread with its own iterator over the same snapshot. The helper decodes the pieces
 * it claims into chunks queued on the piece; the scan hands pieces up strictly in key order: a
 * piece it claimed where it hands it up it reads itself, a queued piece it passes on from the
 * queue, and rather than wait for a queued piece it decodes a later one ahead (par_decode). Rows
 * thus come in the serial scan's order, and the first error in key order is the one reported.
 * Decoded-ahead chunks stay within max_queued (PAR_MAX_QUEUED, fewer for wide rows; one more for
 * a piece the scan waits on with nothing to take). The helper stops when the scan has handed up
 * every piece or closes. The pushed filter and everything above the scan stay on the statement's
 * thread. */

/* A piece is read by the scan where it hands it up (MAIN), or decoded into its queue ahead of
 * that (QUEUED): by the helper, or by the scan itself while it would otherwise wait. */
enum { PIECE_FREE = 0, PIECE_MAIN = 1, PIECE_QUEUED = 2 };

static _Atomic uint64_t par_scans; /* exec_parallel_scans */
static _Atomic uint64_t par_peak;  /* exec_parallel_scan_peak */

uint64_t exec_parallel_scans(void)
{
    return atomic_load(&par_scans);
}

uint64_t exec_parallel_scan_peak(int reset)
{
    return reset ? atomic_exchange(&par_peak, 0) : atomic_load(&par_peak);
}

typedef struct par_chunk {
    exec_chunk c;
    struct par_chunk *next;
} par_chunk;

typedef struct par_piece {
    uint8_t end[ROW_KEY_PREFIX_SIZE];   /* the piece is [start, end) */
    uint8_t start[ROW_KEY_PREFIX_SIZE]; /* of its first vnode */
    int owner;
    int done;               /* QUEUED: decoding finished (or failed: rc) */
    par_chunk *head, *tail; /* QUEUED: decoded chunks, in key order */
    /* QUEUED by the scan itself, which stopped part-way: the queue holds the keys below
     * resume, the scan reads the rest when it gets there (malloc'd; NULL: none) */
    uint8_t *resume;
    size_t resume_len;
    int rc;
    char errmsg[sizeof((exec_ctx *)0)->errmsg];
} par_piece;

typedef struct par_scan {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    par_piece *pieces;
    uint32_t npieces;
    uint32_t next_claim; /* pieces below it are claimed */
    uint32_t emit;       /* the piece the scan hands up now */
    int queued;          /* chunks in the pieces' queues */
    int max_queued;      /* the limit the helper keeps to */
    int stop;
    int failed; /* a piece has failed: nothing more is decoded ahead */
    par_chunk *free_list;
    par_chunk *held;    /* the chunk the scan handed up last (recycled at the next call) */
    int main_reading;   /* the scan reads pieces[emit] with its own iterator */
    strata_kv_iter *it; /* the helper's */
    const scan_op *s;
    exec_ctx hctx; /* the helper's errors */
    exec_ctx mctx; /* the errors of pieces the scan decodes ahead */
} par_scan;

static void par_chunks_free(par_chunk *c)
{
    while (c) {
        par_chunk *n = c->next;
        exec_chunk_free(&c->c);
        free(c);
        c = n;
    }
}

/* Decodes piece j (claimed by the caller) into its queue with iterator it, errors on ectx;
 * called and returns without p->mu. The helper (by_helper) waits while the queues are full,
 * unless the scan is waiting for this piece with nothing to take. The scan itself (it decodes
 * ahead instead of waiting) stops as soon as the queues are full, leaving the rest of the piece
 * (from pc->resume) to read when it gets there. */
static void par_decode(par_scan *p, uint32_t j, strata_kv_iter *it, exec_ctx *ectx, int by_helper)
{
    const scan_op *s = p->s;
    par_piece *pc = &p->pieces[j];
    strata_kv_iter_seek(it, pc->start, sizeof pc->start);
    int rc = STRATA_OK, exhausted = 0;
    pthread_mutex_lock(&p->mu);
    while (!exhausted && !p->stop) {
        par_chunk *c = p->free_list;
        if (c) p->free_list = c->next;
        pthread_mutex_unlock(&p->mu);
        if (!c) {
            c = malloc(sizeof *c);
            if (!c) {
                rc = exec_error(ectx, STRATA_NOMEM, "parallel scan of %s", s->t->name);
                pthread_mutex_lock(&p->mu);
                break;
            }
            exec_chunk_init(&c->c, s->ncols + s->emit_key, s->out_types);
        }
        c->next = NULL;
        exec_chunk_reset(&c->c);
        rc = fill_range(ectx, s, it, &c->c, pc->end, sizeof pc->end, &exhausted);
        pthread_mutex_lock(&p->mu);
        if (rc || c->c.count == 0) {
            c->next = p->free_list;
            p->free_list = c;
            if (rc) break;
            continue;
        }
        if (pc->tail)
            pc->tail->next = c;
        else
            pc->head = c;
        pc->tail = c;
        p->queued++;
        uint64_t peak = atomic_load(&par_peak);
        while ((uint64_t)p->queued > peak &&
               !atomic_compare_exchange_weak(&par_peak, &peak, (uint64_t)p->queued)) {
        }
        pthread_cond_broadcast(&p->cv);
        if (by_helper) {
            /* the queues are full: wait, unless the scan has nothing to take (it waits for
             * this very piece) */
            while (!p->stop && p->queued >= p->max_queued && !(p->emit == j && !p->pieces[j].head))
                pthread_cond_wait(&p->cv, &p->mu);
        } else if (!exhausted && p->queued >= p->max_queued) {
            /* the scan decodes ahead only up to the limit: it stops here and reads the rest of
             * the piece when it gets to it */
            size_t kl = 0;
            const void *k = strata_kv_iter_valid(it) ? strata_kv_iter_key(it, &kl) : NULL;
            if (!k) {
                /* the end of the table (nothing is left), or a read error */
                int st = strata_kv_iter_status(it);
                if (st) rc = exec_kv_error(ectx, st, "scan");
                break;
            }
            pc->resume = malloc(kl);
            if (!pc->resume) {
                rc = exec_error(ectx, STRATA_NOMEM, "parallel scan of %s", s->t->name);
                break;
            }
            memcpy(pc->resume, k, kl);
            pc->resume_len = kl;
            break;
        }
    }
    if (rc) {
        pc->rc = rc;
        memcpy(pc->errmsg, ectx->errmsg, sizeof pc->errmsg);
        ectx->errcode = STRATA_OK; /* each piece reports its own error */
        ectx->errmsg[0] = 0;
        p->failed = 1;
    }
    pc->done = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void *par_helper(void *arg)
{
    par_scan *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop && p->next_claim < p->npieces) {
        uint32_t j = p->next_claim++;
        p->pieces[j].owner = PIECE_QUEUED;
        pthread_mutex_unlock(&p->mu);
        par_decode(p, j, p->it, &p->hctx, 1);
        pthread_mutex_lock(&p->mu);
        if (p->pieces[j].rc) break; /* the scan stops at this piece */
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Goes parallel from the serial scan's position: the rest of its current vnode stays the
 * scan's, the later vnodes become pieces. Stays serial when that is not worth it or a thread
 * cannot be had. */
static void par_start(exec_ctx *ctx, scan_op *s)
{
    if (!strata_kv_iter_valid(s->it)) return;
    size_t kl;
    const uint8_t *key = strata_kv_iter_key(s->it, &kl);
    uint32_t tid, vc;
    if (kl < ROW_KEY_PREFIX_SIZE || row_key_split(key, kl, &tid, &vc, NULL, NULL) ||
        tid != s->t->id)
        return;
    uint32_t vnodes = s->t->vnodes;
    if (vc + 3 > vnodes) return; /* too little left */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 2) {
        s->par_ok = 0;
        return;
    }
    /* a flush or compaction has the other core: the scan would only slow it down (it asks
     * again PAR_MIN_CHUNKS chunks later) */
    if (cpus < 3 && strata_kv_background_busy(ctx->kv)) return;
    /* the view of the scan's own iterator (scan_open made the snapshot it may need) */
    strata_kv_read_options ro;
    memset(&ro, 0, sizeof ro);
    ro.snapshot = s->own_snap ? s->own_snap : ctx->snapshot;
    uint8_t lo[ROW_KEY_TABLE_ID_SIZE], hi[ROW_KEY_TABLE_ID_SIZE];
    table_bounds(s, &ro, lo, hi);
    uint32_t rest = vnodes - vc - 1;
    uint32_t np = rest < PAR_PIECES - 1 ? rest : PAR_PIECES - 1;
    s->par_ok = 0; /* from here on, a failure means: stay serial for good */
    par_scan *p = calloc(1, sizeof *p);
    if (!p) return;
    p->pieces = calloc((size_t)np + 1, sizeof *p->pieces);
    p->it = p->pieces ? strata_kv_iter_new(ctx->kv, &ro) : NULL;
    if (!p->it || strata_kv_iter_status(p->it) != STRATA_OK) goto fail;
    /* piece 0: the rest of vnode vc, read by the scan's iterator where it stands */
    uint8_t st[ROW_KEY_PREFIX_SIZE];
    row_key_vnode_range(s->t->id, vc, p->pieces[0].start, p->pieces[0].end);
    p->pieces[0].owner = PIECE_MAIN;
    uint32_t v = vc + 1;
    for (uint32_t i = 1; i <= np; i++) {
        uint32_t n = rest / np + (i - 1 < rest % np); /* vnodes in piece i */
        row_key_vnode_prefix(p->pieces[i].start, s->t->id, v);
        row_key_vnode_range(s->t->id, v + n - 1, st, p->pieces[i].end);
        v += n;
    }
    p->npieces = np + 1;
    /* a chunk holds up to 16 bytes a value per column, and a TEXT or BLOB column at least one
     * 64 KiB block of string bytes (longer strings than that are not foreseen here) */
    size_t chunk_bytes = (size_t)(s->ncols + s->emit_key + 1) * EXEC_VECTOR_SIZE * 16;
    for (int j = 0; j < s->ncols; j++) {
        int type = s->t->col_types[s->cols[j]];
        if (type == STRATA_TYPE_TEXT || type == STRATA_TYPE_BLOB) chunk_bytes += (size_t)64 << 10;
    }
    size_t mq = PAR_QUEUE_BYTES / chunk_bytes;
    p->max_queued = mq < 2 ? 2 : mq > PAR_MAX_QUEUED ? PAR_MAX_QUEUED : (int)mq;
    p->next_claim = 1;
    p->emit = 0;
    p->main_reading = 1;
    p->s = s;
    exec_ctx_init(&p->hctx);
    exec_ctx_init(&p->mctx);
    if (pthread_mutex_init(&p->mu, NULL)) goto fail_ctx;
    if (pthread_cond_init(&p->cv, NULL)) {
        pthread_mutex_destroy(&p->mu);
        goto fail_ctx;
    }
    if (pthread_create(&p->thread, NULL, par_helper, p)) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        goto fail_ctx;
    }
    s->par = p;
    atomic_fetch_add(&par_scans, 1);
    return;
fail_ctx:
    exec_ctx_free(&p->hctx);
    exec_ctx_free(&p->mctx);
fail:
    if (p->it) strata_kv_iter_free(p->it);
    free(p->pieces);
    free(p);
}

/* The next chunk of a parallel scan, in key order; count 0 at the end. */
static int par_next(exec_ctx *ctx, scan_op *s, exec_chunk **out)
{
    par_scan *p = s->par;
    pthread_mutex_lock(&p->mu);
    if (p->held) {
        p->held->next = p->free_list;
        p->free_list = p->held;
        p->held = NULL;
    }
    for (;;) {
        if (p->emit >= p->npieces) {
            pthread_mutex_unlock(&p->mu);
            par_stop(s); /* every piece handed up: the helper has ended or is ending */
            exec_chunk_reset(&s->out);
            s->done = 1;
            *out = &s->out;
            return STRATA_OK;
        }
        par_piece *pc = &p->pieces[p->emit];
        if (pc->owner == PIECE_FREE) {
            pc->owner = PIECE_MAIN; /* unclaimed pieces start at emit: the next to claim */
            p->next_claim = p->emit + 1;
            p->main_reading = 0;
        }
        if (pc->owner == PIECE_MAIN) {
            pthread_mutex_unlock(&p->mu);
            if (!p->main_reading) {
                if (pc->resume)
                    strata_kv_iter_seek(s->it, pc->resume, pc->resume_len);
                else
                    strata_kv_iter_seek(s->it, pc->start, sizeof pc->start);
                p->main_reading = 1;
            }
            int exhausted;
            exec_chunk_reset(&s->out);
            int rc = fill_range(ctx, s, s->it, &s->out, pc->end, sizeof pc->end, &exhausted);
            if (rc) return rc;
            pthread_mutex_lock(&p->mu);
            if (exhausted) {
                p->emit++;
                p->main_reading = 0;
                pthread_cond_broadcast(&p->cv);
            }
            if (s->out.count == 0) continue;
            pthread_mutex_unlock(&p->mu);
            *out = &s->out;
            return STRATA_OK;
        }
        /* a queued piece: rather than wait for it, decode a later one ahead */
        while (!pc->head && !pc->done) {
            if (p->next_claim < p->npieces && p->queued < p->max_queued && !p->failed) {
                uint32_t j = p->next_claim++;
                p->pieces[j].owner = PIECE_QUEUED;
                p->main_reading = 0;
                pthread_mutex_unlock(&p->mu);
                par_decode(p, j, s->it, &p->mctx, 0);
                pthread_mutex_lock(&p->mu);
                continue;
            }
            pthread_cond_wait(&p->cv, &p->mu);
        }
        if (pc->head) {
            par_chunk *c = pc->head;
            pc->head = c->next;
            if (!pc->head) pc->tail = NULL;
            p->queued--;
            p->held = c;
            pthread_cond_broadcast(&p->cv);
            pthread_mutex_unlock(&p->mu);
            *out = &c->c;
            return STRATA_OK;
        }
        if (pc->rc) {
            int rc = pc->rc;
            char msg[sizeof pc->errmsg];
            memcpy(msg, pc->errmsg, sizeof msg);
            pthread_mutex_unlock(&p->mu);
            return exec_error(ctx, rc, "%s", msg);
        }
        if (pc->resume) {
            /* the queued part is handed up: the scan reads the rest itself */
            pc->owner = PIECE_MAIN;
            p->main_reading = 0;
            continue;
        }
        p->emit++;
        pthread_cond_broadcast(&p->cv);
    }
}

/* Stops the helper and frees what the parallel scan holds. */
static void par_stop(scan_op *s)
{
    par_scan *p = s->par;
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    for (uint32_t i = 0; i < p->npieces; i++) {
        par_chunks_free(p->pieces[i].head);
        free(p->pieces[i].resume);
    }
    par_chunks_free(p->free_list);
    par_chunks_free(p->held ? (p->held->next = NULL, p->held) : NULL);
    strata_kv_iter_free(p->it);
    exec_ctx_free(&p->hctx);
    exec_ctx_free(&p->mctx);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->pieces);
    free(p);
    s->par = NULL;
}

static int scan_next(exec_op *op, exec_ctx *ctx, exec_chunk **out)
{
    scan_op *s = (scan_op *)op;
    for (;;) {
        exec_chunk *c = &s->out;
        int rc = s->par ? par_next(ctx, s, &c) : fill(ctx, s);
        if (rc) return rc;
        *out = c;
        if (c->count == 0 || !s->filter) return STRATA_OK;
        size_t n;
        exec_sel_t *sel;
        if (c == &s->out) {
            if (!s->sel) s->sel = exec_chunk_sel(&s->out);
            sel = s->sel;
        } else {
            sel = exec_chunk_sel(c);
        }
        rc = exec_expr_select(ctx, s->filter, c, sel, &n);
        if (rc) return rc;
        if (n == 0) continue;
        if (n < c->count) {
            c->sel = sel;
            c->count = n;
        }
        return STRATA_OK;
    }
}

static void scan_close(exec_op *op, exec_ctx *ctx)
{
    scan_op *s = (scan_op *)op;
    par_stop(s);
    if (s->it) strata_kv_iter_free(s->it);
    s->it = NULL;
    if (s->own_snap) strata_kv_snapshot_release(ctx->kv, s->own_snap);
    s->own_snap = NULL;
}

static void scan_destroy(exec_op *op)
{
    scan_op *s = (scan_op *)op;
    par_stop(s);
    if (s->it) strata_kv_iter_free(s->it);
    free(s->key_buf);
    free(s->in_keys);
    free(s->in_off);
    free(s->in_len);
    exec_expr_free(s->filter);
    exec_chunk_free(&s->out);
    free(s->out_types);
}

static void scan_explain(const exec_op *op, char *buf, size_t n)
{
    const scan_op *s = (const scan_op *)op;
    const plan_node *p = op->plan;
    snprintf(buf, n, "%s.%s%s%s", s->t->ns_name ? s->t->ns_name : "", s->t->name,
             p->u.scan.pk_eq                        ? " [pk =]"
             : (p->u.scan.pk_lo || p->u.scan.pk_hi) ? " [pk range]"
                                                    : "",
             s->filter ? " [filter]" : "");
}

static const exec_op_vtab scan_vt = {"SEQ_SCAN", scan_open,    scan_next,
                                     scan_close, scan_destroy, scan_explain};
static const exec_op_vtab get_vt = {"PK_GET",   scan_open,    scan_next,
                                    scan_close, scan_destroy, scan_explain};
static const exec_op_vtab multi_vt = {"PK_MULTI_GET", scan_open,    scan_next,
                                      scan_close,     scan_destroy, scan_explain};
static const exec_op_vtab range_vt = {"PK_RANGE_SCAN", scan_open,    scan_next,
                                      scan_close,      scan_destroy, scan_explain};

int exec_op_scan(exec_ctx *ctx, const plan_node *plan, exec_op **out)
{
    const cat_table *t = plan->u.scan.table;
    *out = NULL;
    if (!t) return exec_error(ctx, STRATA_ERROR, "scan without a table");
    const exec_op_vtab *vt = plan->u.scan.pk_eq && !t->has_rowid                  ? &get_vt
                             : plan->u.scan.pk_in && !t->has_rowid && t->npk == 1 ? &multi_vt
                             : (plan->u.scan.pk_lo || plan->u.scan.pk_hi) && !t->has_rowid
                                 ? &range_vt
                                 : &scan_vt;
    scan_op *s = (scan_op *)exec_op_alloc(sizeof *s, vt, plan, plan->ncols, plan->types);
    s->t = t;
    s->ncols = plan->ncols;
    s->cols = plan->u.scan.cols;
    s->out_types = calloc((size_t)plan->ncols + 2, sizeof(int));
    if (!s->out_types) abort();
    for (int j = 0; j < plan->ncols; j++) {
        s->out_types[j] = t->col_types[plan->u.scan.cols[j]];
        if ((uint32_t)plan->u.scan.cols[j] >= t->ncols) {
            free(s->out_types);
            free(s);
            return exec_error(ctx, STRATA_ERROR, "scan of %s: no column %d", t->name,
                              plan->u.scan.cols[j]);
        }
    }
    s->out_types[plan->ncols] = STRATA_TYPE_BLOB;
    exec_chunk_init(&s->out, plan->ncols, s->out_types);
    *out = &s->base;
    if (plan->u.scan.filter) return exec_expr_compile(ctx, plan->u.scan.filter, &s->filter);
    return STRATA_OK;
}

int exec_scan_emit_key(exec_op *op)
{
    while (op && op->vt->next != scan_next) {
        if (op->nchildren != 1 || strcmp(op->vt->name, "FILTER") != 0) return -1;
        op = op->child[0];
    }
    if (!op) return -1;
    scan_op *s = (scan_op *)op;
    if (!s->emit_key) {
        s->emit_key = 1;
        exec_chunk_free(&s->out);
        exec_chunk_init(&s->out, s->ncols + 1, s->out_types);
        s->sel = NULL;
    }
    return s->ncols;
}
