/* exec/op_dml.c — INSERT, UPDATE, DELETE.
 *
 * All writes go into ctx->batch (the caller commits it: one batch per statement, so a statement
 * is atomic) and count in ctx->changes. Reads for duplicate detection use the statement's
 * snapshot, plus the keys this statement already wrote or deleted (kept in a hash set), so a
 * duplicate within one INSERT is caught too: "duplicate primary key value in table t: (1)".
 *   INSERT: per chunk, rows are assembled (source columns, defaults, casts), NOT NULL checked,
 *           keys encoded (row ids for tables without a primary key) and probed with one
 *           multi_get; ON CONFLICT DO NOTHING skips, DO UPDATE evaluates its SET over
 *           existing ++ excluded.
 *   UPDATE: the child yields every column plus the row's key (scan emit_key); SET expressions
 *           are evaluated over the chunk; a changed primary key deletes the old key.
 *   DELETE: one delete per key; without WHERE, one range delete of the table.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "exec/op.h"
#include "exec/row_codec.h"
#include "util/hash.h"

/* ---- a set of keys written / deleted by the statement ---- */

typedef struct keyset {
    uint64_t *h;
    uint32_t *off, *len;
    uint8_t *used;
    size_t cap, n;
    arena bytes;
    char **ptrs;
} keyset;

static void keyset_init(keyset *s)
{
    memset(s, 0, sizeof *s);
    arena_init(&s->bytes, 64 * 1024);
}

static void keyset_free(keyset *s)
{
    free(s->h);
    free(s->used);
    free(s->ptrs);
    free(s->len);
    arena_destroy(&s->bytes);
    memset(s, 0, sizeof *s);
}

static long keyset_find(const keyset *s, const void *k, size_t n, uint64_t h)
{
    if (!s->cap) return -1;
    size_t j = h & (s->cap - 1);
    while (s->used[j]) {
        if (s->h[j] == h && s->len[j] == n && memcmp(s->ptrs[j], k, n) == 0) return (long)j;
        j = (j + 1) & (s->cap - 1);
    }
    return -1;
}

static int keyset_has(const keyset *s, const void *k, size_t n)
{
    return keyset_find(s, k, n, st_hash64(k, n)) >= 0;
}

static void keyset_add(keyset *s, const void *k, size_t n)
{
    uint64_t h = st_hash64(k, n);
    if (keyset_find(s, k, n, h) >= 0) return;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        uint64_t *nh = calloc(cap, sizeof *nh);
        uint8_t *nu = calloc(cap, 1);
        char **np = calloc(cap, sizeof *np);
        uint32_t *nl = calloc(cap, sizeof *nl);
        if (!nh || !nu || !np || !nl) abort();
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->used[i]) continue;
            size_t j = s->h[i] & (cap - 1);
            while (nu[j]) j = (j + 1) & (cap - 1);
            nh[j] = s->h[i];
            nu[j] = 1;
            np[j] = s->ptrs[i];
            nl[j] = s->len[i];
        }
        free(s->h);
        free(s->used);
        free(s->ptrs);
        free(s->len);
        s->h = nh;
        s->used = nu;
        s->ptrs = np;
        s->len = nl;
        s->cap = cap;
    }
    size_t j = h & (s->cap - 1);
    while (s->used[j]) j = (j + 1) & (s->cap - 1);
    s->used[j] = 1;
    s->h[j] = h;
    s->ptrs[j] = arena_alloc_aligned(&s->bytes, n ? n : 1, 1);
    memcpy(s->ptrs[j], k, n);
    s->len[j] = (uint32_t)n;
    s->n++;
}

static void keyset_remove(keyset *s, const void *k, size_t n)
{
    /* tombstone by changing the stored length (never matches again) */
    long j = keyset_find(s, k, n, st_hash64(k, n));
    if (j >= 0) s->len[j] = UINT32_MAX;
}

/* ---- shared ---- */

typedef struct dml_op {
    exec_op base;
    const cat_table *t;
    int kind;
    /* insert */
    const int *src_cols;
    int nsrc;
    sql_value *defaults;
    exec_heap dheap;
    exec_expr **set;
    int nset;
    const int *set_cols;
    exec_expr *set_where;
    int *pair_types; /* 2 * ncols */
    exec_chunk pair;
    /* state */
    keyset written, deleted;
    row_buf buf;
    int truncate;
    int64_t delta; /* net rows added by the statement (the table's row count changes by it) */
    int done;
    exec_chunk empty;
    int key_col;
} dml_op;

static int dup_error(exec_ctx *ctx, const cat_table *t, const sql_value *vals)
{
    char msg[400];
    size_t n = 0;
    msg[0] = 0;
    for (uint32_t i = 0; i < t->npk && !t->has_rowid && n < sizeof msg - 40; i++) {
        if (i) n += (size_t)snprintf(msg + n, sizeof msg - n, ", ");
        n += exec_value_format(&vals[t->pk_cols[i]], msg + n, sizeof msg - n);
    }
    return exec_error(ctx, STRATA_CONSTRAINT, "duplicate primary key value in table %s: (%s)",
                      t->name, msg);
}

static int check_not_null(exec_ctx *ctx, const cat_table *t, const sql_value *vals)
{
    for (uint32_t c = 0; c < t->ncols; c++) {
        if ((t->cols[c].not_null || t->cols[c].pk_pos >= 0) && vals[c].is_null)
            return exec_error(ctx, STRATA_CONSTRAINT, "NOT NULL constraint failed: %s.%s", t->name,
                              t->cols[c].name);
    }
    return STRATA_OK;
}

static int encode_key(exec_ctx *ctx, const cat_table *t, const sql_value *vals, int64_t rowid,
                      uint8_t *buf, size_t cap, size_t *len)
{
    sql_value pk[64];
    if (t->npk > 64) return exec_error(ctx, STRATA_NOTSUP, "key of more than 64 columns");
    if (t->has_rowid) {
        pk[0] = sql_int(STRATA_TYPE_BIGINT, rowid);
    } else {
        for (uint32_t i = 0; i < t->npk; i++) pk[i] = vals[t->pk_cols[i]];
    }
    int rc = row_key_encode(buf, cap, t->id, t->vnodes, t->pk_types, pk, t->npk, len, NULL);
    if (rc) return exec_error(ctx, rc, "table %s: %s", t->name, st_errmsg());
    return STRATA_OK;
}

static int put_row(exec_ctx *ctx, dml_op *d, const uint8_t *key, size_t klen, const sql_value *vals)
{
    int rc = row_encode(&d->buf, d->t->col_types, vals, d->t->ncols);
    if (rc) return exec_error(ctx, rc, "table %s: %s", d->t->name, st_errmsg());
    rc = strata_kv_batch_put(ctx->batch, key, klen, d->buf.p, d->buf.n);
    if (rc) return exec_kv_error(ctx, rc, "insert");
    keyset_add(&d->written, key, klen);
    keyset_remove(&d->deleted, key, klen);
    return STRATA_OK;
}

/* Does key exist (statement's view)? *val (malloc'd) gets the stored row if it is in the
 * snapshot and not yet rewritten by the statement. */
static int key_exists(exec_ctx *ctx, dml_op *d, const uint8_t *key, size_t klen, int *exists)
{
    if (keyset_has(&d->written, key, klen)) {
        *exists = 1;
        return STRATA_OK;
    }
    if (keyset_has(&d->deleted, key, klen)) {
        *exists = 0;
        return STRATA_OK;
    }
    strata_kv_read_options ro;
    memset(&ro, 0, sizeof ro);
    ro.snapshot = ctx->snapshot;
    void *val = NULL;
    size_t vlen;
    int rc = strata_kv_get(ctx->kv, &ro, key, klen, &val, &vlen);
    if (rc == STRATA_NOTFOUND) {
        *exists = 0;
        return STRATA_OK;
    }
    if (rc) return exec_kv_error(ctx, rc, "get");
    strata_kv_free(val);
    *exists = 1;
    return STRATA_OK;
}

/* ---- INSERT ---- */

/* ON CONFLICT DO UPDATE for one row: existing (stored value) ++ excluded (vals). */
static int do_update(exec_ctx *ctx, dml_op *d, const uint8_t *key, size_t klen, const void *old,
                     size_t oldlen, const sql_value *vals)
{
    const cat_table *t = d->t;
    uint32_t nc = t->ncols;
    sql_value *oldv = calloc(nc + 1, sizeof *oldv);
    sql_value *newv = calloc(nc + 1, sizeof *newv);
    if (!oldv || !newv) abort();
    int rc = row_decode(old, oldlen, t->col_types, nc, oldv);
    if (rc) {
        rc = exec_error(ctx, rc, "table %s: %s", t->name, st_errmsg());
        goto out;
    }
    exec_chunk_reset(&d->pair);
    for (uint32_t c = 0; c < nc; c++) {
        exec_vector_set_value(&d->pair.cols[c], 0, &oldv[c]);
        exec_vector_set_value(&d->pair.cols[nc + c], 0, &vals[c]);
    }
    d->pair.count = 1;
    if (d->set_where) {
        exec_vector *w;
        rc = exec_expr_eval(ctx, d->set_where, &d->pair, &w);
        if (rc) goto out;
        if (!exec_vector_is_valid(w, 0) || !((uint8_t *)w->data)[0]) goto out; /* skipped */
    }
    for (uint32_t c = 0; c < nc; c++) newv[c] = exec_vector_get_value(&d->pair.cols[c], 0);
    exec_heap h;
    exec_heap_init(&h);
    for (int k = 0; k < d->nset && !rc; k++) {
        exec_vector *v;
        rc = exec_expr_eval(ctx, d->set[k], &d->pair, &v);
        if (rc) break;
        int col = d->set_cols[k];
        sql_value x = exec_vector_get_value(v, 0);
        if (!x.is_null && x.type != t->col_types[col])
            rc = exec_cast_value(ctx, &x, t->col_types[col], &h, &x);
        if (!rc && t->cols[col].pk_pos >= 0 && exec_value_cmp(&x, &newv[col]) != 0)
            rc = exec_error(ctx, STRATA_NOTSUP,
                            "ON CONFLICT DO UPDATE cannot change the primary key of table %s",
                            t->name);
        newv[col] = x;
    }
    if (!rc) rc = check_not_null(ctx, t, newv);
    if (!rc) rc = put_row(ctx, d, key, klen, newv);
    if (!rc) ctx->changes++;
    exec_heap_free(&h);
out:
    free(oldv);
    free(newv);
    return rc;
}

static int insert_chunk(exec_ctx *ctx, dml_op *d, const exec_chunk *c)
{
    const cat_table *t = d->t;
    uint32_t nc = t->ncols;
    size_t n = c->count;
    int rc = STRATA_OK;
    sql_value *vals = calloc((size_t)nc * n + 1, sizeof *vals);
    uint8_t *keys = NULL;
    size_t *koff = calloc(n + 1, sizeof *koff), *klen = calloc(n + 1, sizeof *klen);
    void **gvals = calloc(n + 1, sizeof *gvals);
    size_t *gl = calloc(n + 1, sizeof *gl);
    int *gst = calloc(n + 1, sizeof *gst);
    const void **kp = calloc(n + 1, sizeof *kp);
    exec_heap h;
    exec_heap_init(&h);
    if (!vals || !koff || !klen || !gvals || !gl || !gst || !kp) abort();
    int64_t rowid0 = 0;
    if (t->has_rowid) {
        if (!ctx->catalog) {
            rc = exec_error(ctx, STRATA_MISUSE, "insert into %s without a catalog", t->name);
            goto out;
        }
        rc = cat_rowid_alloc(ctx->catalog, t, n, &rowid0);
        if (rc) {
            rc = exec_error(ctx, rc, "%s", st_errmsg());
            goto out;
        }
    }
    size_t kcap = n * 64 + 64, kused = 0;
    keys = malloc(kcap);
    if (!keys) abort();
    for (size_t i = 0; i < n && !rc; i++) {
        sql_value *row = vals + i * nc;
        for (uint32_t col = 0; col < nc; col++) row[col] = d->defaults[col];
        size_t r = exec_chunk_row(c, i);
        for (int j = 0; j < d->nsrc; j++) {
            int col = d->src_cols[j];
            sql_value v = exec_vector_get_value(&c->cols[j], r);
            if (!v.is_null && v.type != t->col_types[col]) {
                rc = exec_cast_value(ctx, &v, t->col_types[col], &h, &v);
                if (rc) break;
            }
            if (v.is_null) v.type = t->col_types[col];
            row[col] = v;
        }
        if (!rc) rc = check_not_null(ctx, t, row);
        if (rc) break;
        uint8_t kb[8192];
        size_t kl;
        rc = encode_key(ctx, t, row, rowid0 + (int64_t)i, kb, sizeof kb, &kl);
        if (rc) break;
        if (kused + kl > kcap) {
            kcap = (kused + kl) * 2;
            keys = realloc(keys, kcap);
            if (!keys) abort();
        }
        memcpy(keys + kused, kb, kl);
        koff[i] = kused;
        klen[i] = kl;
        kused += kl;
    }
    if (rc) goto out;
    if (!t->has_rowid) {
        for (size_t i = 0; i < n; i++) kp[i] = keys + koff[i];
        strata_kv_read_options ro;
        memset(&ro, 0, sizeof ro);
        ro.snapshot = ctx->snapshot;
        rc = strata_kv_multi_get(ctx->kv, &ro, n, kp, klen, gvals, gl, gst);
        if (rc) {
            rc = exec_kv_error(ctx, rc, "duplicate check");
            goto out;
        }
    }
    for (size_t i = 0; i < n && !rc; i++) {
        const uint8_t *key = keys + koff[i];
        sql_value *row = vals + i * nc;
        int in_stmt = 0, in_db = 0;
        if (!t->has_rowid) {
            if (gst[i] != STRATA_OK && gst[i] != STRATA_NOTFOUND) {
                rc = exec_error(ctx, gst[i], "duplicate check of table %s failed", t->name);
                break;
            }
            in_stmt = keyset_has(&d->written, key, klen[i]);
            in_db = !in_stmt && gst[i] == STRATA_OK && !keyset_has(&d->deleted, key, klen[i]);
        }
        if (in_stmt || in_db) {
            int mode = d->base.plan->u.insert.on_conflict;
            if (mode == PLAN_CONFLICT_NOTHING) continue;
            if (mode == PLAN_CONFLICT_UPDATE) {
                if (in_stmt) {
                    rc = exec_error(ctx, STRATA_CONSTRAINT,
                                    "ON CONFLICT DO UPDATE command cannot affect row a second "
                                    "time in table %s",
                                    t->name);
                    break;
                }
                rc = do_update(ctx, d, key, klen[i], gvals[i], gl[i], row);
                continue;
            }
            rc = dup_error(ctx, t, row);
            break;
        }
        rc = put_row(ctx, d, key, klen[i], row);
        if (!rc) ctx->changes++;
        if (!rc) d->delta++;
    }
out:
    for (size_t i = 0; i < n; i++)
        if (gvals[i]) strata_kv_free(gvals[i]);
    exec_heap_free(&h);
    free(vals);
    free(keys);
    free(koff);
    free(klen);
    free(gvals);
    free(gl);
    free(gst);
    free(kp);
    return rc;
}

/* ---- UPDATE ---- */

static int update_chunk(exec_ctx *ctx, dml_op *d, const exec_chunk *c)
{
    const cat_table *t = d->t;
    uint32_t nc = t->ncols;
    size_t n = c->count;
    int rc = STRATA_OK;
    exec_vector *sv[256];
    if (d->nset > 256) return exec_error(ctx, STRATA_NOTSUP, "too many SET columns");
    for (int k = 0; k < d->nset; k++) {
        rc = exec_expr_eval(ctx, d->set[k], c, &sv[k]);
        if (rc) return rc;
    }
    sql_value *row = calloc(nc + 1, sizeof *row);
    if (!row) abort();
    exec_heap h;
    exec_heap_init(&h);
    for (size_t i = 0; i < n && !rc; i++) {
        size_t r = exec_chunk_row(c, i);
        for (uint32_t col = 0; col < nc; col++) row[col] = exec_vector_get_value(&c->cols[col], r);
        sql_value okey = exec_vector_get_value(&c->cols[d->key_col], r);
        int pk_changed = 0;
        for (int k = 0; k < d->nset && !rc; k++) {
            int col = d->set_cols[k];
            sql_value v = exec_vector_get_value(sv[k], i);
            if (!v.is_null && v.type != t->col_types[col])
                rc = exec_cast_value(ctx, &v, t->col_types[col], &h, &v);
            if (v.is_null) v.type = t->col_types[col];
            if (!t->has_rowid && t->cols[col].pk_pos >= 0 && exec_value_cmp(&v, &row[col]) != 0)
                pk_changed = 1;
            row[col] = v;
        }
        if (!rc) rc = check_not_null(ctx, t, row);
        if (rc) break;
        if (!pk_changed) {
            rc = put_row(ctx, d, (const uint8_t *)okey.u.s.p, okey.u.s.n, row);
        } else {
            uint8_t kb[8192];
            size_t kl;
            rc = encode_key(ctx, t, row, 0, kb, sizeof kb, &kl);
            int exists = 0;
            if (!rc && !(kl == okey.u.s.n && memcmp(kb, okey.u.s.p, kl) == 0)) {
                rc = key_exists(ctx, d, kb, kl, &exists);
                if (!rc && exists) rc = dup_error(ctx, t, row);
                if (!rc) {
                    rc = strata_kv_batch_delete(ctx->batch, okey.u.s.p, okey.u.s.n);
                    if (rc) rc = exec_kv_error(ctx, rc, "update");
                    keyset_remove(&d->written, okey.u.s.p, okey.u.s.n);
                    keyset_add(&d->deleted, okey.u.s.p, okey.u.s.n);
                }
            }
            if (!rc) rc = put_row(ctx, d, kb, kl, row);
        }
        if (!rc) ctx->changes++;
        exec_heap_reset(&h);
    }
    exec_heap_free(&h);
    free(row);
    return rc;
}

/* ---- DELETE ---- */

static int delete_chunk(exec_ctx *ctx, dml_op *d, const exec_chunk *c)
{
    for (size_t i = 0; i < c->count; i++) {
        size_t r = exec_chunk_row(c, i);
        if (!d->truncate) {
            const exec_str *k = &((const exec_str *)c->cols[d->key_col].data)[r];
            int rc = strata_kv_batch_delete(ctx->batch, exec_str_data(k), k->len);
            if (rc) return exec_kv_error(ctx, rc, "delete");
            d->delta--;
        }
        ctx->changes++;
    }
    return STRATA_OK;
}

/* ---- the operator ---- */

static int dml_open(exec_op *op, exec_ctx *ctx)
{
    dml_op *d = (dml_op *)op;
    d->done = 0;
    d->delta = 0;
    if (!ctx->batch)
        return exec_error(ctx, STRATA_MISUSE, "write to %s without a batch", d->t->name);
    if (d->kind == PLAN_INSERT) {
        const plan_node *p = op->plan;
        exec_heap_reset(&d->dheap);
        for (uint32_t c = 0; c < d->t->ncols; c++) {
            sql_value v = sql_null(d->t->col_types[c]);
            const plan_expr *e = p->u.insert.defaults ? p->u.insert.defaults[c] : NULL;
            if (e) {
                int rc = exec_expr_eval_value(ctx, e, &d->dheap, &v);
                if (!rc && !v.is_null && v.type != d->t->col_types[c])
                    rc = exec_cast_value(ctx, &v, d->t->col_types[c], &d->dheap, &v);
                if (rc) return rc;
                if (v.is_null) v.type = d->t->col_types[c];
            }
            d->defaults[c] = v;
        }
    }
    return exec_open(op->child[0], ctx);
}

static int dml_next(exec_op *op, exec_ctx *ctx, exec_chunk **out)
{
    dml_op *d = (dml_op *)op;
    d->empty.count = 0;
    *out = &d->empty;
    if (d->done) return STRATA_OK;
    int64_t count = -1; /* the table's row count before the statement; -1 unknown */
    int rc0 = cat_row_count_get(ctx->kv, ctx->snapshot, d->t, &count);
    if (rc0 == STRATA_NOTFOUND)
        count = -1;
    else if (rc0)
        return exec_error(ctx, rc0, "%s", st_errmsg());
    if (d->kind == PLAN_DELETE && d->truncate && count >= 0) {
        /* DELETE without WHERE: the count says how many rows go; no scan */
        ctx->changes += count;
        d->delta = -count;
    } else {
        for (;;) {
            exec_chunk *c;
            int rc = exec_next(op->child[0], ctx, &c);
            if (rc) return rc;
            if (c->count == 0) break;
            switch (d->kind) {
            case PLAN_INSERT:
                rc = insert_chunk(ctx, d, c);
                break;
            case PLAN_UPDATE:
                rc = update_chunk(ctx, d, c);
                break;
            default:
                rc = delete_chunk(ctx, d, c);
                break;
            }
            if (rc) return rc;
        }
    }
    if (d->kind == PLAN_DELETE && d->truncate) {
        uint8_t s[ROW_KEY_TABLE_ID_SIZE], e[ROW_KEY_TABLE_ID_SIZE];
        row_key_table_range(d->t->id, s, e);
        int rc = strata_kv_batch_delete_range(ctx->batch, s, sizeof s, e, sizeof e);
        if (rc) return exec_kv_error(ctx, rc, "delete");
        rc = cat_row_count_put(ctx->batch, d->t, 0); /* exact again, even if it was unknown */
        if (rc) return exec_error(ctx, rc, "%s", st_errmsg());
    } else if (d->delta != 0 && count >= 0) {
        if (count + d->delta < 0)
            return exec_error(ctx, STRATA_CORRUPT, "row count of table %s would become %" PRId64,
                              d->t->name, count + d->delta);
        int rc = cat_row_count_put(ctx->batch, d->t, count + d->delta);
        if (rc) return exec_error(ctx, rc, "%s", st_errmsg());
    }
    d->done = 1;
    return STRATA_OK;
}

static void dml_close(exec_op *op, exec_ctx *ctx)
{
    exec_close(op->child[0], ctx);
}

static void dml_destroy(exec_op *op)
{
    dml_op *d = (dml_op *)op;
    for (int k = 0; k < d->nset; k++) exec_expr_free(d->set[k]);
    free(d->set);
    exec_expr_free(d->set_where);
    free(d->defaults);
    exec_heap_free(&d->dheap);
    free(d->pair_types);
    exec_chunk_free(&d->pair);
    exec_chunk_free(&d->empty);
    keyset_free(&d->written);
    keyset_free(&d->deleted);
    row_buf_free(&d->buf);
}

static void dml_explain(const exec_op *op, char *buf, size_t n)
{
    const dml_op *d = (const dml_op *)op;
    snprintf(buf, n, "%s%s", d->t->name, d->truncate ? " [range delete]" : "");
}

static const exec_op_vtab insert_vt = {"INSERT",  dml_open,    dml_next,
                                       dml_close, dml_destroy, dml_explain};
static const exec_op_vtab update_vt = {"UPDATE",  dml_open,    dml_next,
                                       dml_close, dml_destroy, dml_explain};
static const exec_op_vtab delete_vt = {"DELETE",  dml_open,    dml_next,
                                       dml_close, dml_destroy, dml_explain};

static dml_op *dml_new(const exec_op_vtab *vt, const plan_node *plan, const cat_table *t,
                       exec_op *child, int kind)
{
    dml_op *d = (dml_op *)exec_op_alloc(sizeof *d, vt, plan, 0, NULL);
    d->t = t;
    d->kind = kind;
    d->base.child[0] = child;
    d->base.nchildren = 1;
    keyset_init(&d->written);
    keyset_init(&d->deleted);
    row_buf_init(&d->buf);
    exec_heap_init(&d->dheap);
    exec_chunk_init(&d->empty, 0, NULL);
    return d;
}

static int refuse(exec_ctx *ctx, const cat_table *t)
{
    if (t->kind == CAT_KIND_SYSTEM)
        return exec_error(ctx, STRATA_MISUSE, "table %s.%s is read-only", t->ns_name, t->name);
    if (t->refreshable)
        return exec_error(ctx, STRATA_MISUSE,
                          "table %s is refreshable: its rows change only by REFRESH TABLE",
                          t->name);
    return STRATA_OK;
}

int exec_op_insert(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out)
{
    const cat_table *t = plan->u.insert.table;
    *out = NULL;
    int rc = refuse(ctx, t);
    if (rc) return rc;
    dml_op *d = dml_new(&insert_vt, plan, t, child, PLAN_INSERT);
    *out = &d->base;
    d->src_cols = plan->u.insert.cols;
    d->nsrc = child->ncols;
    d->defaults = calloc(t->ncols + 1, sizeof *d->defaults);
    if (!d->defaults) abort();
    d->nset = plan->u.insert.nset;
    d->set_cols = plan->u.insert.set_cols;
    d->set = calloc((size_t)d->nset + 1, sizeof *d->set);
    d->pair_types = calloc(2 * (size_t)t->ncols + 1, sizeof(int));
    if (!d->set || !d->pair_types) abort();
    for (uint32_t c = 0; c < t->ncols; c++)
        d->pair_types[c] = d->pair_types[t->ncols + c] = t->col_types[c];
    exec_chunk_init(&d->pair, 2 * (int)t->ncols, d->pair_types);
    for (int k = 0; k < d->nset; k++) {
        rc = exec_expr_compile(ctx, plan->u.insert.set_exprs[k], &d->set[k]);
        if (rc) return rc;
    }
    if (plan->u.insert.set_where)
        return exec_expr_compile(ctx, plan->u.insert.set_where, &d->set_where);
    return STRATA_OK;
}

int exec_op_update(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out)
{
    const cat_table *t = plan->u.update.table;
    *out = NULL;
    int rc = refuse(ctx, t);
    if (rc) return rc;
    dml_op *d = dml_new(&update_vt, plan, t, child, PLAN_UPDATE);
    *out = &d->base;
    d->key_col = exec_scan_emit_key(child);
    if (d->key_col < 0 || (uint32_t)d->key_col != t->ncols)
        return exec_error(ctx, STRATA_NOTSUP, "UPDATE of %s: its input is not a scan of it",
                          t->name);
    d->nset = plan->u.update.nset;
    d->set_cols = plan->u.update.set_cols;
    d->set = calloc((size_t)d->nset + 1, sizeof *d->set);
    if (!d->set) abort();
    for (int k = 0; k < d->nset; k++) {
        rc = exec_expr_compile(ctx, plan->u.update.set_exprs[k], &d->set[k]);
        if (rc) return rc;
    }
    return STRATA_OK;
}

int exec_op_delete(exec_ctx *ctx, const plan_node *plan, exec_op *child, exec_op **out)
{
    const cat_table *t = plan->u.del.table;
    *out = NULL;
    int rc = refuse(ctx, t);
    if (rc) return rc;
    dml_op *d = dml_new(&delete_vt, plan, t, child, PLAN_DELETE);
    *out = &d->base;
    d->key_col = exec_scan_emit_key(child);
    if (d->key_col < 0)
        return exec_error(ctx, STRATA_NOTSUP, "DELETE from %s: its input is not a scan of it",
                          t->name);
    return STRATA_OK;
}

void exec_delete_set_truncate(exec_op *op)
{
    ((dml_op *)op)->truncate = 1;
}
