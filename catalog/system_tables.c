/* catalog/system_tables.c — schemas and row I/O of the reserved catalog tables. */
#include "catalog/system_tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/row_codec.h"
#include "util/memcmp.h"
#include "util/status.h"

#define B  STRATA_TYPE_BOOLEAN
#define I  STRATA_TYPE_INT
#define BI STRATA_TYPE_BIGINT
#define T  STRATA_TYPE_TEXT
#define TS STRATA_TYPE_TIMESTAMP

/* {name, type, not_null, pk_pos, default} */
static const cat_column_def ns_cols[CAT_NS_NCOLS] = {
    {"id", BI, 1, 0, NULL},
    {"name", T, 1, -1, NULL},
};
static const uint8_t ns_types[] = {BI, T};
static const uint32_t ns_pk[] = {CAT_NS_ID};

static const cat_column_def t_cols[CAT_T_NCOLS] = {
    {"id", BI, 1, 0, NULL},
    {"namespace", T, 1, -1, NULL},
    {"name", T, 1, -1, NULL},
    {"kind", T, 1, -1, NULL},
    {"vnodes", I, 1, -1, NULL},
    {"options", T, 0, -1, NULL},
    {"refreshable", B, 1, -1, NULL},
    {"refresh_state", T, 1, -1, NULL},
    {"refresh_epoch", BI, 1, -1, NULL},
    {"refresh_read_seq", BI, 1, -1, NULL},
    {"last_refresh", TS, 0, -1, NULL},
    {"last_duration_us", BI, 1, -1, NULL},
    {"last_inserted", BI, 1, -1, NULL},
    {"last_updated", BI, 1, -1, NULL},
    {"last_deleted", BI, 1, -1, NULL},
    {"last_error", T, 0, -1, NULL},
    {"namespace_id", BI, 1, -1, NULL},
    {"staging_id", BI, 0, -1, NULL},
};
static const uint8_t t_types[] = {BI, T, T, T, I, T, B, T, BI, BI, TS, BI, BI, BI, BI, T, BI, BI};
static const uint32_t t_pk[] = {CAT_T_ID};

static const cat_column_def c_cols[CAT_C_NCOLS] = {
    {"table_id", BI, 1, 0, NULL},    {"ordinal", I, 1, 1, NULL},
    {"namespace", T, 1, -1, NULL},   {"table_name", T, 1, -1, NULL},
    {"name", T, 1, -1, NULL},        {"type", T, 1, -1, NULL},
    {"not_null", B, 1, -1, NULL},    {"default_expr", T, 0, -1, NULL},
    {"pk_position", I, 0, -1, NULL},
};
static const uint8_t c_types[] = {BI, I, T, T, T, T, B, T, I};
static const uint32_t c_pk[] = {CAT_C_TABLE_ID, CAT_C_ORDINAL};

static const cat_column_def p_cols[CAT_P_NCOLS] = {
    {"table_id", BI, 1, 0, NULL},     {"vnode", I, 1, 1, NULL},
    {"stage", T, 1, -1, NULL},        {"file", T, 0, -1, NULL},
    {"file_offset", BI, 1, -1, NULL}, {"rows_loaded", BI, 1, -1, NULL},
    {"inserted", BI, 1, -1, NULL},    {"updated", BI, 1, -1, NULL},
    {"deleted", BI, 1, -1, NULL},     {"epoch", BI, 1, -1, NULL},
};
static const uint8_t p_types[] = {BI, I, T, T, BI, BI, BI, BI, BI, BI};
static const uint32_t p_pk[] = {CAT_P_TABLE_ID, CAT_P_VNODE};

static const cat_column_def s_cols[CAT_S_NCOLS] = {
    {"name", T, 1, 0, NULL},
    {"value", BI, 1, -1, NULL},
};
static const uint8_t s_types[] = {T, BI};
static const uint32_t s_pk[] = {CAT_S_NAME};

static const cat_sys_schema schemas[] = {
    {CAT_TID_NAMESPACES, "namespaces", CAT_NS_NCOLS, ns_cols, ns_types, 1, ns_pk},
    {CAT_TID_TABLES, "tables", CAT_T_NCOLS, t_cols, t_types, 1, t_pk},
    {CAT_TID_COLUMNS, "columns", CAT_C_NCOLS, c_cols, c_types, 2, c_pk},
    {CAT_TID_REFRESH_PROGRESS, "refresh_progress", CAT_P_NCOLS, p_cols, p_types, 2, p_pk},
    {CAT_TID_SEQUENCES, "sequences", CAT_S_NCOLS, s_cols, s_types, 1, s_pk},
};

const cat_sys_schema *cat_sys_schema_of(uint32_t tid)
{
    for (size_t i = 0; i < sizeof schemas / sizeof schemas[0]; i++)
        if (schemas[i].tid == tid) return &schemas[i];
    return NULL;
}

/* key of a (prefix of a) primary key: [tid][vnode 0][pk...] */
static int sys_key(const cat_sys_schema *s, const sql_value *pk, size_t npk, uint8_t *buf,
                   size_t cap, size_t *len)
{
    uint8_t types[4];
    for (size_t i = 0; i < npk; i++) types[i] = s->types[s->pk_cols[i]];
    return row_key_encode(buf, cap, s->tid, 1, types, pk, npk, len, NULL);
}

#define SYS_KEY_CAP 2048

int cat_sys_put(strata_kv_batch *b, uint32_t tid, const sql_value *vals)
{
    const cat_sys_schema *s = cat_sys_schema_of(tid);
    if (!ALWAYS(s)) return st_error(STRATA_MISUSE, "catalog: no system table %u", tid);
    sql_value pk[4];
    for (uint32_t i = 0; i < s->npk; i++) pk[i] = vals[s->pk_cols[i]];
    uint8_t key[SYS_KEY_CAP];
    size_t klen;
    int rc = sys_key(s, pk, s->npk, key, sizeof key, &klen);
    if (rc) return rc;
    row_buf rb;
    row_buf_init(&rb);
    rc = row_encode(&rb, s->types, vals, s->ncols);
    if (rc == STRATA_OK) rc = strata_kv_batch_put(b, key, klen, rb.p, rb.n);
    row_buf_free(&rb);
    return rc;
}

int cat_sys_get(strata_kv *kv, const strata_kv_snapshot *snap, uint32_t tid, const sql_value *pk,
                void **val, size_t *vlen)
{
    const cat_sys_schema *s = cat_sys_schema_of(tid);
    if (!ALWAYS(s)) return st_error(STRATA_MISUSE, "catalog: no system table %u", tid);
    uint8_t key[SYS_KEY_CAP];
    size_t klen;
    int rc = sys_key(s, pk, s->npk, key, sizeof key, &klen);
    if (rc) return rc;
    strata_kv_read_options ro;
    memset(&ro, 0, sizeof ro);
    ro.snapshot = snap;
    rc = strata_kv_get(kv, &ro, key, klen, val, vlen);
    if (rc && rc != STRATA_NOTFOUND)
        return st_error(rc, "catalog: reading system table %u: %s", tid, strata_kv_errmsg());
    return rc;
}

int cat_sys_delete(strata_kv_batch *b, uint32_t tid, const sql_value *pk)
{
    const cat_sys_schema *s = cat_sys_schema_of(tid);
    if (!ALWAYS(s)) return st_error(STRATA_MISUSE, "catalog: no system table %u", tid);
    uint8_t key[SYS_KEY_CAP];
    size_t klen;
    int rc = sys_key(s, pk, s->npk, key, sizeof key, &klen);
    if (rc) return rc;
    return strata_kv_batch_delete(b, key, klen);
}

/* [start, end) of the rows whose key starts with pk[0..nprefix) */
static int prefix_range(const cat_sys_schema *s, const sql_value *pk, size_t nprefix,
                        uint8_t *start, size_t *slen, uint8_t *end, size_t *elen)
{
    int rc = sys_key(s, pk, nprefix, start, SYS_KEY_CAP, slen);
    if (rc) return rc;
    memcpy(end, start, *slen);
    *elen = *slen;
    if (mc_prefix_successor(end, elen) != 0) /* cannot happen: the table id is < 0xFF.. */
        return st_error(STRATA_INVALID, "catalog: no upper bound for a key prefix");
    return STRATA_OK;
}

int cat_sys_delete_prefix(strata_kv_batch *b, uint32_t tid, const sql_value *pk, size_t nprefix)
{
    const cat_sys_schema *s = cat_sys_schema_of(tid);
    if (!ALWAYS(s)) return st_error(STRATA_MISUSE, "catalog: no system table %u", tid);
    uint8_t start[SYS_KEY_CAP], end[SYS_KEY_CAP];
    size_t slen, elen;
    int rc = prefix_range(s, pk, nprefix, start, &slen, end, &elen);
    if (rc) return rc;
    return strata_kv_batch_delete_range(b, start, slen, end, elen);
}

int cat_sys_scan(strata_kv *kv, uint32_t tid, const sql_value *pk, size_t nprefix,
                 int (*fn)(void *ctx, const sql_value *vals), void *ctx)
{
    const cat_sys_schema *s = cat_sys_schema_of(tid);
    if (!ALWAYS(s)) return st_error(STRATA_MISUSE, "catalog: no system table %u", tid);
    uint8_t start[SYS_KEY_CAP], end[SYS_KEY_CAP];
    size_t slen, elen;
    int rc;
    if (nprefix) {
        rc = prefix_range(s, pk, nprefix, start, &slen, end, &elen);
        if (rc) return rc;
    } else {
        row_key_table_range(tid, start, end);
        slen = elen = ROW_KEY_TABLE_ID_SIZE;
    }
    strata_kv_read_options ro = {0};
    ro.lower = start;
    ro.lower_len = slen;
    ro.upper = end;
    ro.upper_len = elen;
    strata_kv_iter *it = strata_kv_iter_new(kv, &ro);
    if (!it)
        return st_error(STRATA_NOMEM, "catalog: cannot create an iterator over system.%s", s->name);
    sql_value vals[CAT_T_NCOLS];
    rc = STRATA_OK;
    for (strata_kv_iter_seek(it, start, slen); strata_kv_iter_valid(it); strata_kv_iter_next(it)) {
        size_t vlen, klen;
        const uint8_t *v = strata_kv_iter_value(it, &vlen);
        (void)strata_kv_iter_key(it, &klen);
        rc = row_decode(v, vlen, s->types, s->ncols, vals);
        for (uint32_t i = 0; rc == STRATA_OK && i < s->ncols; i++)
            if (s->cols[i].not_null && vals[i].is_null)
                rc = st_error(STRATA_CORRUPT, "system.%s: NULL in column %s", s->name,
                              s->cols[i].name);
        if (rc) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", st_errmsg());
            rc = st_error(rc, "catalog: system.%s row (key of %zu bytes): %s", s->name, klen, msg);
            break;
        }
        rc = fn(ctx, vals);
        if (rc) break;
    }
    if (rc == STRATA_OK) rc = strata_kv_iter_status(it);
    strata_kv_iter_free(it);
    return rc;
}

/* ---- options text ---- */

char *cat_opts_format(uint32_t nopts, const cat_option *opts)
{
    if (nopts == 0) return NULL;
    size_t n = 1;
    for (uint32_t i = 0; i < nopts; i++) n += strlen(opts[i].key) + 2 * strlen(opts[i].value) + 8;
    char *out = malloc(n), *p = out;
    if (!out) return NULL;
    for (uint32_t i = 0; i < nopts; i++) {
        if (i) {
            *p++ = ',';
            *p++ = ' ';
        }
        size_t kl = strlen(opts[i].key);
        memcpy(p, opts[i].key, kl);
        p += kl;
        memcpy(p, " = '", 4);
        p += 4;
        for (const char *v = opts[i].value; *v; v++) {
            if (*v == '\'') *p++ = '\'';
            *p++ = *v;
        }
        *p++ = '\'';
    }
    *p = 0;
    return out;
}

int cat_opts_parse(const char *p, size_t n, int (*fn)(void *ctx, const char *k, const char *v),
                   void *ctx)
{
    const char *end = p + n, *start = p;
    char *kbuf = malloc(n + 1), *vbuf = malloc(n + 1);
    int rc = STRATA_OK;
    if (!kbuf || !vbuf) {
        rc = st_error(STRATA_NOMEM, "catalog: options of %zu bytes", n);
        goto out;
    }
    while (p < end) {
        size_t kl = 0;
        while (p < end && *p != ' ' && *p != '=' && *p != ',' && *p != '\'' && *p)
            kbuf[kl++] = *p++;
        kbuf[kl] = 0;
        if (kl == 0 || end - p < 4 || memcmp(p, " = '", 4) != 0) goto bad;
        p += 4;
        size_t vl = 0;
        for (;;) {
            if (p >= end || !*p) goto bad;
            if (*p == '\'') {
                if (p + 1 < end && p[1] == '\'') {
                    vbuf[vl++] = '\'';
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            vbuf[vl++] = *p++;
        }
        vbuf[vl] = 0;
        rc = fn(ctx, kbuf, vbuf);
        if (rc) goto out;
        if (p == end) break;
        if (end - p < 3 || p[0] != ',' || p[1] != ' ') goto bad;
        p += 2;
    }
    goto out;
bad:
    rc = st_error(STRATA_CORRUPT, "catalog: malformed table options at byte %zu of \"%.*s\"",
                  (size_t)(p - start), (int)(n > 200 ? 200 : n), start);
out:
    free(kbuf);
    free(vbuf);
    return rc;
}

static int name_is(const char *p, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

int cat_kind_from_name(const char *p, size_t n)
{
    for (int k = CAT_KIND_SHARED; k <= CAT_KIND_SYSTEM; k++)
        if (name_is(p, n, cat_kind_name(k))) return k;
    return -1;
}

int cat_refresh_state_from_name(const char *p, size_t n)
{
    for (int k = CAT_REFRESH_IDLE; k <= CAT_REFRESH_FINISHING; k++)
        if (name_is(p, n, cat_refresh_state_name(k))) return k;
    return -1;
}

const char *cat_kind_name(int kind)
{
    switch (kind) {
    case CAT_KIND_SHARED:
        return "shared";
    case CAT_KIND_USER:
        return "user";
    case CAT_KIND_STREAM:
        return "stream";
    case CAT_KIND_SYSTEM:
        return "system";
    }
    return "?";
}

const char *cat_refresh_state_name(int state)
{
    switch (state) {
    case CAT_REFRESH_IDLE:
        return "idle";
    case CAT_REFRESH_REFRESHING:
        return "refreshing";
    case CAT_REFRESH_FINISHING:
        return "finishing";
    }
    return "?";
}

/* ---- refresh progress ---- */

int cat_progress_put(strata_kv_batch *b, const cat_progress *p)
{
    sql_value v[CAT_P_NCOLS];
    v[CAT_P_TABLE_ID] = sql_int(BI, p->table_id);
    v[CAT_P_VNODE] = sql_int(I, p->vnode);
    const char *stage = p->stage ? p->stage : "";
    v[CAT_P_STAGE] = sql_text(T, stage, (uint32_t)strlen(stage));
    v[CAT_P_FILE] = p->file ? sql_text(T, p->file, (uint32_t)strlen(p->file)) : sql_null(T);
    v[CAT_P_FILE_OFFSET] = sql_int(BI, p->file_offset);
    v[CAT_P_ROWS_LOADED] = sql_int(BI, p->rows_loaded);
    v[CAT_P_INSERTED] = sql_int(BI, p->inserted);
    v[CAT_P_UPDATED] = sql_int(BI, p->updated);
    v[CAT_P_DELETED] = sql_int(BI, p->deleted);
    v[CAT_P_EPOCH] = sql_int(BI, (int64_t)p->epoch);
    return cat_sys_put(b, CAT_TID_REFRESH_PROGRESS, v);
}

int cat_progress_clear(strata_kv_batch *b, uint32_t table_id)
{
    sql_value pk = sql_int(BI, table_id);
    return cat_sys_delete_prefix(b, CAT_TID_REFRESH_PROGRESS, &pk, 1);
}

typedef struct progress_ctx {
    int (*fn)(void *ctx, const cat_progress *p);
    void *ctx;
    char *buf; /* NUL-terminated copies of the strings */
    size_t cap;
} progress_ctx;

static int progress_row(void *ctx, const sql_value *v)
{
    progress_ctx *pc = ctx;
    size_t need = (size_t)v[CAT_P_STAGE].u.s.n + 2 +
                  (v[CAT_P_FILE].is_null ? 0 : (size_t)v[CAT_P_FILE].u.s.n);
    if (need > pc->cap) {
        char *nb = realloc(pc->buf, need);
        if (!nb) return st_error(STRATA_NOMEM, "catalog: progress row of %zu bytes", need);
        pc->buf = nb;
        pc->cap = need;
    }
    cat_progress p;
    memset(&p, 0, sizeof p);
    p.table_id = (uint32_t)v[CAT_P_TABLE_ID].u.i;
    p.vnode = (int32_t)v[CAT_P_VNODE].u.i;
    memcpy(pc->buf, v[CAT_P_STAGE].u.s.p, v[CAT_P_STAGE].u.s.n);
    pc->buf[v[CAT_P_STAGE].u.s.n] = 0;
    p.stage = pc->buf;
    if (!v[CAT_P_FILE].is_null) {
        char *f = pc->buf + v[CAT_P_STAGE].u.s.n + 1;
        memcpy(f, v[CAT_P_FILE].u.s.p, v[CAT_P_FILE].u.s.n);
        f[v[CAT_P_FILE].u.s.n] = 0;
        p.file = f;
    }
    p.file_offset = v[CAT_P_FILE_OFFSET].u.i;
    p.rows_loaded = v[CAT_P_ROWS_LOADED].u.i;
    p.inserted = v[CAT_P_INSERTED].u.i;
    p.updated = v[CAT_P_UPDATED].u.i;
    p.deleted = v[CAT_P_DELETED].u.i;
    p.epoch = (uint64_t)v[CAT_P_EPOCH].u.i;
    return pc->fn(pc->ctx, &p);
}

int cat_progress_scan(catalog *c, uint32_t table_id, int (*fn)(void *ctx, const cat_progress *p),
                      void *ctx)
{
    progress_ctx pc = {fn, ctx, NULL, 0};
    sql_value pk = sql_int(BI, table_id);
    int rc = cat_sys_scan(cat_kv(c), CAT_TID_REFRESH_PROGRESS, &pk, 1, progress_row, &pc);
    free(pc.buf);
    return rc;
}
