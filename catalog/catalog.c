/*
 * catalog/catalog.c — the in-memory catalog: immutable snapshots of refcounted descriptors, DDL
 * txns that build the next snapshot, loading from the reserved tables at open.
 *
 * Locks: c->lock (rwlock) guards c->cur (the current snapshot pointer) only; c->ddl (mutex)
 * is held by the one open txn; c->rowid_mu guards the row-id counters. Descriptors and snapshots
 * are immutable after publication; their reference counts are atomic.
 */
#include "catalog/catalog.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_format.h"
#include "catalog/system_tables.h"
#include "exec/row_codec.h"
#include "util/arena.h"
#include "util/status.h"

typedef struct cat_rowid {
    uint32_t table_id;
    int64_t next;  /* next id to hand out */
    int64_t limit; /* ids < limit are covered by the persisted high-water mark */
    struct cat_rowid *link;
} cat_rowid;

typedef struct table_impl {
    cat_table pub; /* first: a cat_table * is a table_impl * */
    atomic_int refs;
    cat_rowid *rowid; /* has_rowid tables: the catalog's counter (outlives the descriptor) */
    arena mem;        /* every string and array of the descriptor */
} table_impl;

typedef struct ns_impl {
    cat_namespace pub;
    atomic_int refs;
    char name[]; /* NUL-terminated */
} ns_impl;

struct cat_snap {
    atomic_int refs;
    uint64_t version;
    size_t nns, ns_cap;
    ns_impl **ns; /* ordered by id */
    size_t ntab, tab_cap;
    table_impl **tab; /* ordered by id */
};

struct catalog {
    strata_kv *kv;
    pthread_rwlock_t lock;
    cat_snap *cur;
    pthread_mutex_t ddl;
    uint64_t next_table_id, next_ns_id; /* persisted in system.sequences; changed under ddl */
    pthread_mutex_t rowid_mu;
    cat_rowid *rowids;
};

struct cat_txn {
    catalog *c;
    cat_snap *work;
    uint64_t next_table_id, next_ns_id;
    int changed;
};

/* ------------------------------------------------------------------------------------------ */
/* names                                                                                       */

static inline int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* a (NUL-terminated) equals b[0..blen) ignoring ASCII case */
static int name_eq(const char *a, const char *b, size_t blen)
{
    size_t i = 0;
    for (; i < blen; i++) {
        if (!a[i] || lower((unsigned char)a[i]) != lower((unsigned char)b[i])) return 0;
    }
    return a[i] == 0;
}

static size_t name_len(const char *p, size_t len)
{
    return len == CAT_NTS ? strlen(p) : len;
}

static int check_name(const char *what, const char *p, size_t n)
{
    if (n == 0 || n > CAT_MAX_NAME || memchr(p, 0, n))
        return st_error(STRATA_INVALID, "bad %s name \"%.*s\" (1..%d bytes, no NUL)", what,
                        (int)(n > 64 ? 64 : n), p, CAT_MAX_NAME);
    return STRATA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* descriptors                                                                                 */

static void ns_unref(ns_impl *n)
{
    if (n && atomic_fetch_sub(&n->refs, 1) == 1) free(n);
}

static ns_impl *ns_new(uint32_t id, const char *name, size_t len)
{
    ns_impl *n = malloc(sizeof *n + len + 1);
    if (!n) return NULL;
    memcpy(n->name, name, len);
    n->name[len] = 0;
    n->pub.id = id;
    n->pub.name = n->name;
    atomic_init(&n->refs, 1);
    return n;
}

void cat_table_ref(const cat_table *t)
{
    atomic_fetch_add(&((table_impl *)t)->refs, 1);
}

void cat_table_unref(const cat_table *t)
{
    table_impl *ti = (table_impl *)t;
    if (ti && atomic_fetch_sub(&ti->refs, 1) == 1) {
        arena_destroy(&ti->mem);
        free(ti);
    }
}

static char *dupstr(arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

/* The fields of a descriptor before it is built (strings borrowed). */
typedef struct table_spec {
    uint32_t id, ns_id;
    const char *ns_name, *name;
    int kind;
    uint32_t vnodes;
    uint32_t ncols;
    const cat_column_def *cols;
    uint32_t nopts;
    const cat_option *opts;
    int refreshable;
    uint32_t staging_id;
    const cat_refresh *refresh; /* NULL: idle */
    uint64_t version;
} table_spec;

/* Builds a descriptor (refs = 1). REQUIRES: spec validated (pk positions a permutation). */
static table_impl *table_build(const table_spec *s)
{
    table_impl *ti = calloc(1, sizeof *ti);
    if (!ti) return NULL;
    arena_init(&ti->mem, 2048);
    atomic_init(&ti->refs, 1);
    arena *a = &ti->mem;
    cat_table *t = &ti->pub;
    t->id = s->id;
    t->ns_id = s->ns_id;
    t->ns_name = dupstr(a, s->ns_name);
    t->name = dupstr(a, s->name);
    t->kind = s->kind;
    t->vnodes = s->vnodes;
    t->ncols = s->ncols;
    cat_column *cols = arena_alloc(a, sizeof *cols * s->ncols);
    uint8_t *types = arena_alloc(a, s->ncols);
    uint32_t npk = 0;
    for (uint32_t i = 0; i < s->ncols; i++) {
        cols[i].name = dupstr(a, s->cols[i].name);
        cols[i].type = (uint8_t)s->cols[i].type;
        cols[i].pk_pos = s->cols[i].pk_pos;
        cols[i].not_null = (uint8_t)(s->cols[i].not_null || s->cols[i].pk_pos >= 0);
        cols[i].default_sql = dupstr(a, s->cols[i].default_sql);
        types[i] = (uint8_t)s->cols[i].type;
        if (s->cols[i].pk_pos >= 0) npk++;
    }
    t->cols = cols;
    t->col_types = types;
    if (npk) {
        uint32_t *pk = arena_alloc(a, sizeof *pk * npk);
        uint8_t *pkt = arena_alloc(a, npk);
        for (uint32_t i = 0; i < s->ncols; i++)
            if (s->cols[i].pk_pos >= 0) {
                pk[s->cols[i].pk_pos] = i;
                pkt[s->cols[i].pk_pos] = types[i];
            }
        t->npk = npk;
        t->pk_cols = pk;
        t->pk_types = pkt;
    } else {
        uint8_t *pkt = arena_alloc(a, 1);
        pkt[0] = STRATA_TYPE_BIGINT;
        t->npk = 1;
        t->pk_cols = NULL;
        t->pk_types = pkt;
        t->has_rowid = 1;
    }
    t->nopts = s->nopts;
    cat_option *opts = arena_alloc(a, sizeof *opts * (s->nopts ? s->nopts : 1));
    for (uint32_t i = 0; i < s->nopts; i++) {
        opts[i].key = dupstr(a, s->opts[i].key);
        opts[i].value = dupstr(a, s->opts[i].value);
    }
    t->opts = opts;
    t->refreshable = s->refreshable;
    t->staging_id = s->staging_id;
    if (s->refresh) {
        t->refresh = *s->refresh;
        t->refresh.last_error = dupstr(a, s->refresh->last_error);
    }
    t->version = s->version;
    return ti;
}

/* A spec that reproduces an existing descriptor (to derive a changed copy). The column defs
 * are written to cols (t->ncols entries). */
static void spec_of(const cat_table *t, table_spec *s, cat_column_def *cols)
{
    memset(s, 0, sizeof *s);
    s->id = t->id;
    s->ns_id = t->ns_id;
    s->ns_name = t->ns_name;
    s->name = t->name;
    s->kind = t->kind;
    s->vnodes = t->vnodes;
    s->ncols = t->ncols;
    for (uint32_t i = 0; i < t->ncols; i++) {
        cols[i].name = t->cols[i].name;
        cols[i].type = t->cols[i].type;
        cols[i].not_null = t->cols[i].not_null;
        cols[i].pk_pos = t->cols[i].pk_pos;
        cols[i].default_sql = t->cols[i].default_sql;
    }
    s->cols = cols;
    s->nopts = t->nopts;
    s->opts = t->opts;
    s->refreshable = t->refreshable;
    s->staging_id = t->staging_id;
    s->refresh = &t->refresh;
    s->version = t->version;
}

/* ------------------------------------------------------------------------------------------ */
/* snapshots                                                                                   */

static cat_snap *snap_new(void)
{
    cat_snap *s = calloc(1, sizeof *s);
    if (s) atomic_init(&s->refs, 1);
    return s;
}

static void snap_free(cat_snap *s)
{
    for (size_t i = 0; i < s->nns; i++) ns_unref(s->ns[i]);
    for (size_t i = 0; i < s->ntab; i++) cat_table_unref(&s->tab[i]->pub);
    free(s->ns);
    free(s->tab);
    free(s);
}

void cat_snap_release(const cat_snap *cs)
{
    cat_snap *s = (cat_snap *)cs;
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) snap_free(s);
}

static cat_snap *snap_clone(const cat_snap *o)
{
    cat_snap *s = snap_new();
    if (!s) return NULL;
    s->version = o->version;
    s->ns_cap = o->nns + 4;
    s->tab_cap = o->ntab + 8;
    s->ns = malloc(sizeof *s->ns * s->ns_cap);
    s->tab = malloc(sizeof *s->tab * s->tab_cap);
    if (!s->ns || !s->tab) {
        snap_free(s);
        return NULL;
    }
    for (size_t i = 0; i < o->nns; i++) {
        s->ns[i] = o->ns[i];
        atomic_fetch_add(&o->ns[i]->refs, 1);
    }
    s->nns = o->nns;
    for (size_t i = 0; i < o->ntab; i++) {
        s->tab[i] = o->tab[i];
        cat_table_ref(&o->tab[i]->pub);
    }
    s->ntab = o->ntab;
    return s;
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return STRATA_OK;
    size_t nc = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, nc * elem);
    if (!p) return st_error(STRATA_NOMEM, "catalog: out of memory");
    *arr = p;
    *cap = nc;
    return STRATA_OK;
}

/* Inserts (taking over the reference) keeping id order. */
static int snap_add_ns(cat_snap *s, ns_impl *n)
{
    int rc = grow((void **)&s->ns, &s->ns_cap, s->nns, sizeof *s->ns);
    if (rc) return rc;
    size_t i = s->nns;
    while (i > 0 && s->ns[i - 1]->pub.id > n->pub.id) i--;
    memmove(s->ns + i + 1, s->ns + i, (s->nns - i) * sizeof *s->ns);
    s->ns[i] = n;
    s->nns++;
    return STRATA_OK;
}

static int snap_add_table(cat_snap *s, table_impl *t)
{
    int rc = grow((void **)&s->tab, &s->tab_cap, s->ntab, sizeof *s->tab);
    if (rc) return rc;
    size_t i = s->ntab;
    while (i > 0 && s->tab[i - 1]->pub.id > t->pub.id) i--;
    memmove(s->tab + i + 1, s->tab + i, (s->ntab - i) * sizeof *s->tab);
    s->tab[i] = t;
    s->ntab++;
    return STRATA_OK;
}

static size_t snap_table_pos(const cat_snap *s, uint32_t id)
{
    size_t lo = 0, hi = s->ntab;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->tab[mid]->pub.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void snap_remove_table(cat_snap *s, uint32_t id)
{
    size_t i = snap_table_pos(s, id);
    if (!ALWAYS(i < s->ntab && s->tab[i]->pub.id == id)) return;
    cat_table_unref(&s->tab[i]->pub);
    memmove(s->tab + i, s->tab + i + 1, (s->ntab - i - 1) * sizeof *s->tab);
    s->ntab--;
}

static void snap_replace_table(cat_snap *s, table_impl *t)
{
    size_t i = snap_table_pos(s, t->pub.id);
    if (!ALWAYS(i < s->ntab && s->tab[i]->pub.id == t->pub.id)) {
        cat_table_unref(&t->pub);
        return;
    }
    cat_table_unref(&s->tab[i]->pub);
    s->tab[i] = t;
}

static void snap_remove_ns(cat_snap *s, uint32_t id)
{
    for (size_t i = 0; i < s->nns; i++)
        if (s->ns[i]->pub.id == id) {
            ns_unref(s->ns[i]);
            memmove(s->ns + i, s->ns + i + 1, (s->nns - i - 1) * sizeof *s->ns);
            s->nns--;
            return;
        }
}

const cat_snap *cat_snap_acquire(catalog *c)
{
    pthread_rwlock_rdlock(&c->lock);
    cat_snap *s = c->cur;
    atomic_fetch_add(&s->refs, 1);
    pthread_rwlock_unlock(&c->lock);
    return s;
}

uint64_t cat_snap_version(const cat_snap *s)
{
    return s->version;
}

const cat_namespace *cat_find_namespace(const cat_snap *s, const char *name, size_t len)
{
    len = name_len(name, len);
    for (size_t i = 0; i < s->nns; i++)
        if (name_eq(s->ns[i]->pub.name, name, len)) return &s->ns[i]->pub;
    return NULL;
}

static const char *default_ns(const char **ns, size_t *nslen)
{
    if (!*ns) {
        *ns = "default";
        *nslen = 7;
    } else {
        *nslen = name_len(*ns, *nslen);
    }
    return *ns;
}

static const cat_table *find_in_ns(const cat_snap *s, uint32_t ns_id, const char *name, size_t len)
{
    for (size_t i = 0; i < s->ntab; i++) {
        const cat_table *t = &s->tab[i]->pub;
        if (t->ns_id == ns_id && name_eq(t->name, name, len)) return t;
    }
    return NULL;
}

const cat_table *cat_find_table(const cat_snap *s, const char *ns, size_t nslen, const char *name,
                                size_t len)
{
    default_ns(&ns, &nslen);
    const cat_namespace *n = cat_find_namespace(s, ns, nslen);
    if (!n) return NULL;
    return find_in_ns(s, n->id, name, name_len(name, len));
}

const cat_table *cat_table_by_id(const cat_snap *s, uint32_t id)
{
    size_t i = snap_table_pos(s, id);
    return i < s->ntab && s->tab[i]->pub.id == id ? &s->tab[i]->pub : NULL;
}

int cat_lookup_namespace(const cat_snap *s, const char *name, size_t len, const cat_namespace **out)
{
    len = name_len(name, len);
    *out = cat_find_namespace(s, name, len);
    if (!*out)
        return st_error(STRATA_NOTFOUND, "no such namespace: %.*s", (int)(len > 300 ? 300 : len),
                        name);
    return STRATA_OK;
}

int cat_lookup_table(const cat_snap *s, const char *ns, size_t nslen, const char *name, size_t len,
                     const cat_table **out)
{
    *out = NULL;
    default_ns(&ns, &nslen);
    len = name_len(name, len);
    const cat_namespace *n;
    int rc = cat_lookup_namespace(s, ns, nslen, &n);
    if (rc) return rc;
    *out = find_in_ns(s, n->id, name, len);
    if (!*out)
        return st_error(STRATA_NOTFOUND, "no such table: %s.%.*s", n->name,
                        (int)(len > 300 ? 300 : len), name);
    return STRATA_OK;
}

size_t cat_namespace_count(const cat_snap *s)
{
    return s->nns;
}
const cat_namespace *cat_namespace_at(const cat_snap *s, size_t i)
{
    return i < s->nns ? &s->ns[i]->pub : NULL;
}
size_t cat_table_count(const cat_snap *s)
{
    return s->ntab;
}
const cat_table *cat_table_at(const cat_snap *s, size_t i)
{
    return i < s->ntab ? &s->tab[i]->pub : NULL;
}

int cat_column_index(const cat_table *t, const char *name, size_t len)
{
    len = name_len(name, len);
    for (uint32_t i = 0; i < t->ncols; i++)
        if (name_eq(t->cols[i].name, name, len)) return (int)i;
    return -1;
}

const char *cat_table_option(const cat_table *t, const char *key)
{
    for (uint32_t i = 0; i < t->nopts; i++)
        if (name_eq(t->opts[i].key, key, strlen(key))) return t->opts[i].value;
    return NULL;
}

int cat_table_row_key(const cat_table *t, const sql_value *row, int64_t rowid, uint8_t *buf,
                      size_t cap, size_t *len)
{
    if (t->has_rowid) {
        sql_value id = sql_int(STRATA_TYPE_BIGINT, rowid);
        return row_key_encode(buf, cap, t->id, t->vnodes, t->pk_types, &id, 1, len, NULL);
    }
    sql_value pk[16] = {{0}}, *p = pk;
    if (t->npk > 16 && !(p = malloc(sizeof *p * t->npk)))
        return st_error(STRATA_NOMEM, "catalog: out of memory");
    for (uint32_t i = 0; i < t->npk; i++) p[i] = row[t->pk_cols[i]];
    int rc = row_key_encode(buf, cap, t->id, t->vnodes, t->pk_types, p, t->npk, len, NULL);
    if (p != pk) free(p);
    return rc;
}

strata_kv *cat_kv(catalog *c)
{
    return c->kv;
}

/* ------------------------------------------------------------------------------------------ */
/* catalog rows                                                                                */

#define BI STRATA_TYPE_BIGINT
#define TX STRATA_TYPE_TEXT

static sql_value text_or_null(const char *s)
{
    return s ? sql_text(TX, s, (uint32_t)strlen(s)) : sql_null(TX);
}
static sql_value text_of(const char *s)
{
    return sql_text(TX, s, (uint32_t)strlen(s));
}

static int put_seq(strata_kv_batch *b, const char *name, int64_t value)
{
    sql_value v[CAT_S_NCOLS];
    v[CAT_S_NAME] = text_of(name);
    v[CAT_S_VALUE] = sql_int(BI, value);
    return cat_sys_put(b, CAT_TID_SEQUENCES, v);
}

static void rowid_seq_name(char *buf, size_t cap, uint32_t table_id)
{
    snprintf(buf, cap, "%s%u", CAT_SEQ_ROWID_PREFIX, table_id);
}

static void rows_seq_name(char *buf, size_t cap, uint32_t table_id)
{
    snprintf(buf, cap, "%s%u", CAT_SEQ_ROWS_PREFIX, table_id);
}

int cat_row_count_get(strata_kv *kv, const strata_kv_snapshot *snap, const cat_table *t,
                      int64_t *count)
{
    if (t->kind == CAT_KIND_SYSTEM || t->refreshable) return STRATA_NOTFOUND;
    char name[32];
    rows_seq_name(name, sizeof name, t->id);
    sql_value pk = text_of(name);
    void *val = NULL;
    size_t vlen = 0;
    int rc = cat_sys_get(kv, snap, CAT_TID_SEQUENCES, &pk, &val, &vlen);
    if (rc) return rc;
    sql_value v[CAT_S_NCOLS];
    rc = row_decode(val, vlen, cat_sys_schema_of(CAT_TID_SEQUENCES)->types, CAT_S_NCOLS, v);
    if (rc == STRATA_OK && (v[CAT_S_VALUE].is_null || v[CAT_S_VALUE].u.i < 0))
        rc = st_error(STRATA_CORRUPT, "catalog: bad row count %s", name);
    if (rc == STRATA_OK) *count = v[CAT_S_VALUE].u.i;
    strata_kv_free(val);
    return rc;
}

int cat_row_count_put(strata_kv_batch *b, const cat_table *t, int64_t count)
{
    if (t->kind == CAT_KIND_SYSTEM || t->refreshable) return STRATA_OK;
    char name[32];
    rows_seq_name(name, sizeof name, t->id);
    return put_seq(b, name, count);
}

static int put_ns_row(strata_kv_batch *b, uint32_t id, const char *name)
{
    sql_value v[CAT_NS_NCOLS];
    v[CAT_NS_ID] = sql_int(BI, id);
    v[CAT_NS_NAME] = text_of(name);
    return cat_sys_put(b, CAT_TID_NAMESPACES, v);
}

static int put_table_row(strata_kv_batch *b, const cat_table *t)
{
    sql_value v[CAT_T_NCOLS];
    char *opts = cat_opts_format(t->nopts, t->opts);
    if (t->nopts && !opts) return st_error(STRATA_NOMEM, "catalog: out of memory");
    v[CAT_T_ID] = sql_int(BI, t->id);
    v[CAT_T_NAMESPACE] = text_of(t->ns_name);
    v[CAT_T_NAME] = text_of(t->name);
    v[CAT_T_KIND] = text_of(cat_kind_name(t->kind));
    v[CAT_T_VNODES] = sql_int(STRATA_TYPE_INT, t->vnodes);
    v[CAT_T_OPTIONS] = text_or_null(opts);
    v[CAT_T_REFRESHABLE] = sql_int(STRATA_TYPE_BOOLEAN, t->refreshable != 0);
    v[CAT_T_REFRESH_STATE] = text_of(cat_refresh_state_name(t->refresh.state));
    v[CAT_T_REFRESH_EPOCH] = sql_int(BI, (int64_t)t->refresh.epoch);
    v[CAT_T_REFRESH_READ_SEQ] = sql_int(BI, (int64_t)t->refresh.read_seq);
    v[CAT_T_LAST_REFRESH] = t->refresh.last_refresh_us
                                ? sql_int(STRATA_TYPE_TIMESTAMP, t->refresh.last_refresh_us)
                                : sql_null(STRATA_TYPE_TIMESTAMP);
    v[CAT_T_LAST_DURATION_US] = sql_int(BI, t->refresh.last_duration_us);
    v[CAT_T_LAST_INSERTED] = sql_int(BI, t->refresh.last_inserted);
    v[CAT_T_LAST_UPDATED] = sql_int(BI, t->refresh.last_updated);
    v[CAT_T_LAST_DELETED] = sql_int(BI, t->refresh.last_deleted);
    v[CAT_T_LAST_ERROR] = text_or_null(t->refresh.last_error);
    v[CAT_T_NAMESPACE_ID] = sql_int(BI, t->ns_id);
    v[CAT_T_STAGING_ID] = t->staging_id ? sql_int(BI, t->staging_id) : sql_null(BI);
    int rc = cat_sys_put(b, CAT_TID_TABLES, v);
    free(opts);
    return rc;
}

static int put_column_rows(strata_kv_batch *b, const cat_table *t)
{
    for (uint32_t i = 0; i < t->ncols; i++) {
        const cat_column *c = &t->cols[i];
        sql_value v[CAT_C_NCOLS];
        v[CAT_C_TABLE_ID] = sql_int(BI, t->id);
        v[CAT_C_ORDINAL] = sql_int(STRATA_TYPE_INT, i);
        v[CAT_C_NAMESPACE] = text_of(t->ns_name);
        v[CAT_C_TABLE_NAME] = text_of(t->name);
        v[CAT_C_NAME] = text_of(c->name);
        v[CAT_C_TYPE] = text_of(sql_type_name(c->type));
        v[CAT_C_NOT_NULL] = sql_int(STRATA_TYPE_BOOLEAN, c->not_null);
        v[CAT_C_DEFAULT_EXPR] = text_or_null(c->default_sql);
        v[CAT_C_PK_POSITION] =
            c->pk_pos >= 0 ? sql_int(STRATA_TYPE_INT, c->pk_pos) : sql_null(STRATA_TYPE_INT);
        int rc = cat_sys_put(b, CAT_TID_COLUMNS, v);
        if (rc) return rc;
    }
    return STRATA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* row ids                                                                                     */

static cat_rowid *rowid_state(catalog *c, uint32_t table_id, int64_t limit)
{
    pthread_mutex_lock(&c->rowid_mu);
    cat_rowid *r;
    for (r = c->rowids; r; r = r->link)
        if (r->table_id == table_id) break;
    if (!r && (r = calloc(1, sizeof *r)) != NULL) {
        r->table_id = table_id;
        r->next = r->limit = limit;
        r->link = c->rowids;
        c->rowids = r;
    }
    pthread_mutex_unlock(&c->rowid_mu);
    return r;
}

int cat_rowid_alloc(catalog *c, const cat_table *t, uint64_t n, int64_t *first)
{
    const table_impl *ti = (const table_impl *)t;
    if (!t->has_rowid || !ti->rowid || n == 0)
        return st_error(STRATA_MISUSE, "table %s.%s has no row ids", t->ns_name, t->name);
    cat_rowid *r = ti->rowid;
    int rc = STRATA_OK;
    pthread_mutex_lock(&c->rowid_mu);
    if (n > (uint64_t)(INT64_MAX - r->next - CAT_ROWID_BLOCK)) {
        rc = st_error(STRATA_RANGE, "table %s.%s: row ids exhausted", t->ns_name, t->name);
    } else if (r->next + (int64_t)n > r->limit) {
        int64_t limit = r->next + (int64_t)n + CAT_ROWID_BLOCK;
        strata_kv_batch *b = strata_kv_batch_new();
        char name[32];
        rowid_seq_name(name, sizeof name, t->id);
        rc = b ? put_seq(b, name, limit) : st_error(STRATA_NOMEM, "catalog: out of memory");
        if (rc == STRATA_OK) rc = strata_kv_write(c->kv, NULL, b);
        strata_kv_batch_free(b);
        if (rc == STRATA_OK) r->limit = limit;
    }
    if (rc == STRATA_OK) {
        *first = r->next;
        r->next += (int64_t)n;
    }
    pthread_mutex_unlock(&c->rowid_mu);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* txns and DDL                                                                                */

int cat_txn_begin(catalog *c, cat_txn **out)
{
    *out = NULL;
    cat_txn *tx = calloc(1, sizeof *tx);
    if (!tx) return st_error(STRATA_NOMEM, "catalog: out of memory");
    pthread_mutex_lock(&c->ddl);
    const cat_snap *cur = cat_snap_acquire(c);
    tx->work = snap_clone(cur);
    cat_snap_release(cur);
    if (!tx->work) {
        pthread_mutex_unlock(&c->ddl);
        free(tx);
        return st_error(STRATA_NOMEM, "catalog: out of memory");
    }
    tx->work->version++;
    tx->c = c;
    tx->next_table_id = c->next_table_id;
    tx->next_ns_id = c->next_ns_id;
    *out = tx;
    return STRATA_OK;
}

const cat_snap *cat_txn_snap(cat_txn *tx)
{
    return tx->work;
}

void cat_txn_commit(cat_txn *tx)
{
    catalog *c = tx->c;
    if (tx->changed) {
        c->next_table_id = tx->next_table_id;
        c->next_ns_id = tx->next_ns_id;
        pthread_rwlock_wrlock(&c->lock);
        cat_snap *old = c->cur;
        c->cur = tx->work;
        pthread_rwlock_unlock(&c->lock);
        cat_snap_release(old);
    } else {
        cat_snap_release(tx->work);
    }
    pthread_mutex_unlock(&c->ddl);
    free(tx);
}

void cat_txn_abort(cat_txn *tx)
{
    if (!tx) return;
    cat_snap_release(tx->work);
    pthread_mutex_unlock(&tx->c->ddl);
    free(tx);
}

int cat_txn_write(cat_txn *tx, const strata_kv_write_options *wo, strata_kv_batch *b)
{
    int rc = strata_kv_batch_count(b) ? strata_kv_write(tx->c->kv, wo, b) : STRATA_OK;
    if (rc == STRATA_OK)
        cat_txn_commit(tx);
    else
        cat_txn_abort(tx);
    return rc;
}

int cat_create_namespace(cat_txn *tx, strata_kv_batch *b, const char *name, size_t len,
                         int if_not_exists)
{
    len = name_len(name, len);
    int rc = check_name("namespace", name, len);
    if (rc) return rc;
    const cat_namespace *n = cat_find_namespace(tx->work, name, len);
    if (n) {
        if (if_not_exists) return STRATA_OK;
        return st_error(STRATA_EXISTS, "namespace %s already exists", n->name);
    }
    if (tx->next_ns_id > UINT32_MAX) return st_error(STRATA_RANGE, "namespace ids exhausted");
    ns_impl *ni = ns_new((uint32_t)tx->next_ns_id, name, len);
    if (!ni) return st_error(STRATA_NOMEM, "catalog: out of memory");
    rc = put_ns_row(b, ni->pub.id, ni->name);
    if (rc == STRATA_OK) rc = put_seq(b, CAT_SEQ_NEXT_NS_ID, (int64_t)tx->next_ns_id + 1);
    if (rc == STRATA_OK) rc = snap_add_ns(tx->work, ni);
    if (rc) {
        ns_unref(ni);
        return rc;
    }
    tx->next_ns_id++;
    tx->changed = 1;
    return STRATA_OK;
}

/* Adds every write that removes table t (catalog rows, row ids, progress, rows, staging rows)
 * to b, and removes it from the working copy. */
static int drop_table_writes(cat_txn *tx, strata_kv_batch *b, const cat_table *t)
{
    uint32_t id = t->id, staging = t->staging_id;
    sql_value pk = sql_int(BI, id);
    int rc = cat_sys_delete(b, CAT_TID_TABLES, &pk);
    if (rc == STRATA_OK) rc = cat_sys_delete_prefix(b, CAT_TID_COLUMNS, &pk, 1);
    if (rc == STRATA_OK) rc = cat_progress_clear(b, id);
    if (rc == STRATA_OK && t->has_rowid) {
        char name[32];
        rowid_seq_name(name, sizeof name, id);
        sql_value seq = text_of(name);
        rc = cat_sys_delete(b, CAT_TID_SEQUENCES, &seq);
    }
    if (rc == STRATA_OK) {
        char name[32];
        rows_seq_name(name, sizeof name, id);
        sql_value seq = text_of(name);
        rc = cat_sys_delete(b, CAT_TID_SEQUENCES, &seq);
    }
    uint8_t s[ROW_KEY_TABLE_ID_SIZE], e[ROW_KEY_TABLE_ID_SIZE];
    if (rc == STRATA_OK) {
        row_key_table_range(id, s, e);
        rc = strata_kv_batch_delete_range(b, s, sizeof s, e, sizeof e);
    }
    if (rc == STRATA_OK && staging) {
        row_key_table_range(staging, s, e);
        rc = strata_kv_batch_delete_range(b, s, sizeof s, e, sizeof e);
    }
    if (rc) return rc;
    snap_remove_table(tx->work, id);
    tx->changed = 1;
    return STRATA_OK;
}

static int is_protected_ns(uint32_t id)
{
    return id == CAT_NSID_SYSTEM || id == CAT_NSID_DEFAULT;
}

int cat_drop_namespace(cat_txn *tx, strata_kv_batch *b, const char *name, size_t len, int if_exists,
                       int cascade)
{
    len = name_len(name, len);
    const cat_namespace *n;
    int rc = cat_lookup_namespace(tx->work, name, len, &n);
    if (rc) return if_exists && rc == STRATA_NOTFOUND ? STRATA_OK : rc;
    if (is_protected_ns(n->id))
        return st_error(STRATA_INVALID, "cannot drop namespace %s", n->name);
    uint32_t ns_id = n->id;
    size_t count = 0;
    for (size_t i = 0; i < tx->work->ntab; i++) count += tx->work->tab[i]->pub.ns_id == ns_id;
    if (count && !cascade)
        return st_error(STRATA_CONSTRAINT,
                        "namespace %s is not empty (%zu tables); use DROP NAMESPACE %s CASCADE",
                        n->name, count, n->name);
    for (size_t i = 0; i < tx->work->ntab;) {
        const cat_table *t = &tx->work->tab[i]->pub;
        if (t->ns_id != ns_id) {
            i++;
            continue;
        }
        rc = drop_table_writes(tx, b, t); /* removes tab[i] */
        if (rc) return rc;
    }
    sql_value pk = sql_int(BI, ns_id);
    rc = cat_sys_delete(b, CAT_TID_NAMESPACES, &pk);
    if (rc) return rc;
    snap_remove_ns(tx->work, ns_id);
    tx->changed = 1;
    return STRATA_OK;
}

typedef struct opt_scan {
    uint32_t vnodes;
    int refreshable;
} opt_scan;

static int parse_bool(const char *v, int *out)
{
    static const char *t[] = {"true", "1", "yes", "on"}, *f[] = {"false", "0", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (name_eq(t[i], v, strlen(v))) return *out = 1, 0;
        if (name_eq(f[i], v, strlen(v))) return *out = 0, 0;
    }
    return -1;
}

static int interpret_options(const cat_table_def *def, opt_scan *o)
{
    o->vnodes = CAT_DEFAULT_VNODES;
    o->refreshable = 0;
    for (uint32_t i = 0; i < def->nopts; i++) {
        const char *k = def->opts[i].key, *v = def->opts[i].value;
        if (!k || !v || !*k || strlen(k) > CAT_MAX_NAME || strpbrk(k, " =,'"))
            return st_error(STRATA_INVALID, "bad option name \"%s\"", k ? k : "");
        for (uint32_t j = 0; j < i; j++)
            if (name_eq(def->opts[j].key, k, strlen(k)))
                return st_error(STRATA_INVALID, "duplicate option: %s", k);
        if (name_eq("vnodes", k, strlen(k))) {
            char *end;
            unsigned long n = strtoul(v, &end, 10);
            if (!*v || *end || n < 1 || n > ROW_MAX_VNODES || *v == '-')
                return st_error(STRATA_INVALID, "option vnodes = '%s': expected 1..%u", v,
                                ROW_MAX_VNODES);
            o->vnodes = (uint32_t)n;
        } else if (name_eq("refreshable", k, strlen(k))) {
            if (parse_bool(v, &o->refreshable) != 0)
                return st_error(STRATA_INVALID, "option refreshable = '%s': expected true or false",
                                v);
        }
    }
    return STRATA_OK;
}

static int validate_columns(const char *ns, const char *tname, uint32_t ncols,
                            const cat_column_def *cols)
{
    if (ncols == 0 || ncols > CAT_MAX_COLUMNS)
        return st_error(STRATA_INVALID, "table %s.%s: %u columns (1..%d)", ns, tname, ncols,
                        CAT_MAX_COLUMNS);
    uint32_t npk = 0;
    for (uint32_t i = 0; i < ncols; i++) {
        const cat_column_def *c = &cols[i];
        int rc = check_name("column", c->name ? c->name : "", c->name ? strlen(c->name) : 0);
        if (rc) return rc;
        if (c->type < STRATA_TYPE_BOOLEAN || c->type > STRATA_TYPE_TIMESTAMP)
            return st_error(STRATA_INVALID, "column %s: bad type %d", c->name, c->type);
        for (uint32_t j = 0; j < i; j++)
            if (name_eq(cols[j].name, c->name, strlen(c->name)))
                return st_error(STRATA_INVALID, "table %s.%s: duplicate column name: %s", ns, tname,
                                c->name);
        if (c->pk_pos >= 0) npk++;
    }
    /* primary-key positions must be 0..npk-1, each once */
    for (uint32_t i = 0; i < ncols; i++) {
        if (cols[i].pk_pos < -1 || cols[i].pk_pos >= (int)npk)
            return st_error(STRATA_INVALID, "table %s.%s: bad primary key position %d of %s", ns,
                            tname, cols[i].pk_pos, cols[i].name);
        for (uint32_t j = 0; j < i; j++)
            if (cols[i].pk_pos >= 0 && cols[j].pk_pos == cols[i].pk_pos)
                return st_error(STRATA_INVALID,
                                "table %s.%s: columns %s and %s at the same primary key position",
                                ns, tname, cols[j].name, cols[i].name);
    }
    return STRATA_OK;
}

int cat_create_table(cat_txn *tx, strata_kv_batch *b, const cat_table_def *def,
                     const cat_table **out)
{
    if (out) *out = NULL;
    const char *ns = def->ns ? def->ns : "default";
    const cat_namespace *n;
    int rc = cat_lookup_namespace(tx->work, ns, strlen(ns), &n);
    if (rc) return rc;
    const char *name = def->name ? def->name : "";
    rc = check_name("table", name, strlen(name));
    if (rc) return rc;
    if (n->id == CAT_NSID_SYSTEM)
        return st_error(STRATA_INVALID, "cannot create table %s.%s: namespace %s is reserved",
                        n->name, name, n->name);
    if (find_in_ns(tx->work, n->id, name, strlen(name))) {
        if (def->if_not_exists) return STRATA_OK;
        return st_error(STRATA_EXISTS, "table %s.%s already exists", n->name, name);
    }
    if (def->kind != CAT_KIND_SHARED)
        return st_error(STRATA_NOTSUP, "table %s.%s: %s tables are not supported yet", n->name,
                        name, cat_kind_name(def->kind));
    rc = validate_columns(n->name, name, def->ncols, def->cols);
    if (rc) return rc;
    opt_scan o;
    rc = interpret_options(def, &o);
    if (rc) return rc;
    uint64_t need = o.refreshable ? 2 : 1;
    if (tx->next_table_id + need > UINT32_MAX) return st_error(STRATA_RANGE, "table ids exhausted");

    table_spec s;
    memset(&s, 0, sizeof s);
    s.id = (uint32_t)tx->next_table_id;
    s.staging_id = o.refreshable ? s.id + 1 : 0;
    s.ns_id = n->id;
    s.ns_name = n->name;
    s.name = name;
    s.kind = def->kind;
    s.vnodes = o.vnodes;
    s.ncols = def->ncols;
    s.cols = def->cols;
    s.nopts = def->nopts;
    s.opts = def->opts;
    s.refreshable = o.refreshable;
    s.version = tx->work->version;
    table_impl *ti = table_build(&s);
    if (!ti) return st_error(STRATA_NOMEM, "catalog: out of memory");
    if (ti->pub.has_rowid) ti->rowid = rowid_state(tx->c, s.id, 1);
    rc = ti->pub.has_rowid && !ti->rowid ? st_error(STRATA_NOMEM, "catalog: out of memory")
                                         : STRATA_OK;
    if (rc == STRATA_OK) rc = put_table_row(b, &ti->pub);
    if (rc == STRATA_OK) rc = put_column_rows(b, &ti->pub);
    if (rc == STRATA_OK) rc = cat_row_count_put(b, &ti->pub, 0);
    if (rc == STRATA_OK)
        rc = put_seq(b, CAT_SEQ_NEXT_TABLE_ID, (int64_t)(tx->next_table_id + need));
    if (rc == STRATA_OK) rc = snap_add_table(tx->work, ti);
    if (rc) {
        cat_table_unref(&ti->pub);
        return rc;
    }
    tx->next_table_id += need;
    tx->changed = 1;
    if (out) *out = &ti->pub;
    return STRATA_OK;
}

static int resolve_user_table(cat_txn *tx, const char *ns, size_t nslen, const char *name,
                              size_t len, const cat_table **out, const char *verb)
{
    int rc = cat_lookup_table(tx->work, ns, nslen, name, len, out);
    if (rc) return rc;
    if ((*out)->kind == CAT_KIND_SYSTEM)
        return st_error(STRATA_INVALID, "cannot %s system table %s.%s", verb, (*out)->ns_name,
                        (*out)->name);
    return STRATA_OK;
}

int cat_drop_table(cat_txn *tx, strata_kv_batch *b, const char *ns, size_t nslen, const char *name,
                   size_t len, int if_exists)
{
    const cat_table *t;
    int rc = resolve_user_table(tx, ns, nslen, name, len, &t, "drop");
    if (rc) return if_exists && rc == STRATA_NOTFOUND ? STRATA_OK : rc;
    return drop_table_writes(tx, b, t);
}

int cat_truncate_table(cat_txn *tx, strata_kv_batch *b, const char *ns, size_t nslen,
                       const char *name, size_t len)
{
    const cat_table *t;
    int rc = resolve_user_table(tx, ns, nslen, name, len, &t, "truncate");
    if (rc) return rc;
    uint8_t s[ROW_KEY_TABLE_ID_SIZE], e[ROW_KEY_TABLE_ID_SIZE];
    row_key_table_range(t->id, s, e);
    rc = strata_kv_batch_delete_range(b, s, sizeof s, e, sizeof e);
    if (rc == STRATA_OK) rc = cat_row_count_put(b, t, 0);
    return rc;
}

int cat_set_refresh(cat_txn *tx, strata_kv_batch *b, uint32_t table_id, const cat_refresh *r)
{
    const cat_table *t = cat_table_by_id(tx->work, table_id);
    if (!t || t->kind == CAT_KIND_SYSTEM)
        return st_error(STRATA_NOTFOUND, "no such table: id %u", table_id);
    cat_column_def *cols = malloc(sizeof *cols * t->ncols);
    if (!cols) return st_error(STRATA_NOMEM, "catalog: out of memory");
    table_spec s;
    spec_of(t, &s, cols);
    s.refresh = r;
    s.version = tx->work->version;
    table_impl *ti = table_build(&s);
    free(cols);
    if (!ti) return st_error(STRATA_NOMEM, "catalog: out of memory");
    ti->rowid = ((const table_impl *)t)->rowid;
    int rc = put_table_row(b, &ti->pub);
    if (rc) {
        cat_table_unref(&ti->pub);
        return rc;
    }
    snap_replace_table(tx->work, ti); /* drops t's reference from the working copy */
    tx->changed = 1;
    return STRATA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* open: system descriptors, loading                                                           */

static int add_system_tables(catalog *c, cat_snap *s)
{
    for (uint32_t tid = CAT_TID_NAMESPACES; tid <= CAT_TID_SEQUENCES; tid++) {
        const cat_sys_schema *sc = cat_sys_schema_of(tid);
        table_spec spec;
        memset(&spec, 0, sizeof spec);
        spec.id = tid;
        spec.ns_id = CAT_NSID_SYSTEM;
        spec.ns_name = "system";
        spec.name = sc->name;
        spec.kind = CAT_KIND_SYSTEM;
        spec.vnodes = 1;
        spec.ncols = sc->ncols;
        spec.cols = sc->cols;
        table_impl *ti = table_build(&spec);
        if (!ti) return st_error(STRATA_NOMEM, "catalog: out of memory");
        int rc = snap_add_table(s, ti);
        if (rc) {
            cat_table_unref(&ti->pub);
            return rc;
        }
    }
    return STRATA_OK;
}

/* A table being loaded: its system.tables row, then its columns. */
typedef struct load_table {
    table_spec spec;
    char *ns_name, *name, *opts_text, *last_error;
    cat_refresh refresh;
    uint32_t ncols, cap;
    cat_column_def *cols;
    uint32_t nopts, optcap;
    cat_option *opts;
} load_table;

typedef struct load_ctx {
    catalog *c;
    cat_snap *s;
    load_table *tabs;
    size_t ntabs, cap;
    int have_default, have_system;
} load_ctx;

static char *vdup(const sql_value *v)
{
    if (v->is_null) return NULL;
    char *p = malloc((size_t)v->u.s.n + 1);
    if (!p) return NULL;
    memcpy(p, v->u.s.p, v->u.s.n);
    p[v->u.s.n] = 0;
    return p;
}

static int load_seq(void *ctx, const sql_value *v)
{
    load_ctx *lc = ctx;
    const sql_value *name = &v[CAT_S_NAME];
    int64_t val = v[CAT_S_VALUE].u.i;
    size_t pl = strlen(CAT_SEQ_ROWID_PREFIX);
    if (name->u.s.n == strlen(CAT_SEQ_NEXT_TABLE_ID) &&
        !memcmp(name->u.s.p, CAT_SEQ_NEXT_TABLE_ID, name->u.s.n)) {
        if (val < CAT_FIRST_USER_TABLE_ID || val > UINT32_MAX)
            return st_error(STRATA_CORRUPT, "catalog: next_table_id %lld", (long long)val);
        lc->c->next_table_id = (uint64_t)val;
    } else if (name->u.s.n == strlen(CAT_SEQ_NEXT_NS_ID) &&
               !memcmp(name->u.s.p, CAT_SEQ_NEXT_NS_ID, name->u.s.n)) {
        if (val < CAT_FIRST_USER_NS_ID || val > UINT32_MAX)
            return st_error(STRATA_CORRUPT, "catalog: next_namespace_id %lld", (long long)val);
        lc->c->next_ns_id = (uint64_t)val;
    } else if (name->u.s.n > pl && !memcmp(name->u.s.p, CAT_SEQ_ROWID_PREFIX, pl)) {
        char buf[32];
        size_t dl = name->u.s.n - pl;
        if (dl >= sizeof buf || val < 1)
            return st_error(STRATA_CORRUPT, "catalog: bad row-id sequence");
        memcpy(buf, name->u.s.p + pl, dl);
        buf[dl] = 0;
        char *end;
        unsigned long id = strtoul(buf, &end, 10);
        if (*end || id > UINT32_MAX)
            return st_error(STRATA_CORRUPT, "catalog: bad row-id sequence %s", buf);
        if (!rowid_state(lc->c, (uint32_t)id, val))
            return st_error(STRATA_NOMEM, "catalog: out of memory");
    } /* unknown sequences are kept for newer versions */
    return STRATA_OK;
}

static int load_ns(void *ctx, const sql_value *v)
{
    load_ctx *lc = ctx;
    int64_t id = v[CAT_NS_ID].u.i;
    const sql_value *nm = &v[CAT_NS_NAME];
    if (id < 1 || id > UINT32_MAX || check_name("namespace", nm->u.s.p, nm->u.s.n) != STRATA_OK)
        return st_error(STRATA_CORRUPT, "catalog: bad system.namespaces row id %lld",
                        (long long)id);
    ns_impl *n = ns_new((uint32_t)id, nm->u.s.p, nm->u.s.n);
    if (!n) return st_error(STRATA_NOMEM, "catalog: out of memory");
    if (id == CAT_NSID_DEFAULT) lc->have_default = 1;
    if (id == CAT_NSID_SYSTEM) lc->have_system = 1;
    int rc = snap_add_ns(lc->s, n);
    if (rc) ns_unref(n);
    return rc;
}

static int load_opt(void *ctx, const char *k, const char *v)
{
    load_table *lt = ctx;
    if (lt->nopts == lt->optcap) {
        uint32_t nc = lt->optcap ? lt->optcap * 2 : 4;
        cat_option *p = realloc(lt->opts, sizeof *p * nc);
        if (!p) return st_error(STRATA_NOMEM, "catalog: out of memory");
        lt->opts = p;
        lt->optcap = nc;
    }
    char *kk = strdup(k), *vv = strdup(v);
    if (!kk || !vv) {
        free(kk);
        free(vv);
        return st_error(STRATA_NOMEM, "catalog: out of memory");
    }
    lt->opts[lt->nopts].key = kk;
    lt->opts[lt->nopts].value = vv;
    lt->nopts++;
    return STRATA_OK;
}

static int load_tab(void *ctx, const sql_value *v)
{
    load_ctx *lc = ctx;
    int64_t id = v[CAT_T_ID].u.i;
    int rc = grow((void **)&lc->tabs, &lc->cap, lc->ntabs, sizeof *lc->tabs);
    if (rc) return rc;
    load_table *lt = &lc->tabs[lc->ntabs++];
    memset(lt, 0, sizeof *lt);
    int kind = cat_kind_from_name(v[CAT_T_KIND].u.s.p, v[CAT_T_KIND].u.s.n);
    int state =
        cat_refresh_state_from_name(v[CAT_T_REFRESH_STATE].u.s.p, v[CAT_T_REFRESH_STATE].u.s.n);
    int64_t vnodes = v[CAT_T_VNODES].u.i, ns_id = v[CAT_T_NAMESPACE_ID].u.i;
    int64_t staging = v[CAT_T_STAGING_ID].is_null ? 0 : v[CAT_T_STAGING_ID].u.i;
    if (id < CAT_FIRST_USER_TABLE_ID || id >= UINT32_MAX || kind < 0 || kind == CAT_KIND_SYSTEM ||
        state < 0 || vnodes < 1 || vnodes > ROW_MAX_VNODES || ns_id < 1 || ns_id > UINT32_MAX ||
        staging < 0 || staging >= UINT32_MAX ||
        check_name("table", v[CAT_T_NAME].u.s.p, v[CAT_T_NAME].u.s.n) != STRATA_OK)
        return st_error(STRATA_CORRUPT, "catalog: bad system.tables row id %lld", (long long)id);
    lt->ns_name = vdup(&v[CAT_T_NAMESPACE]);
    lt->name = vdup(&v[CAT_T_NAME]);
    lt->last_error = vdup(&v[CAT_T_LAST_ERROR]);
    if (!lt->ns_name || !lt->name || (!v[CAT_T_LAST_ERROR].is_null && !lt->last_error))
        return st_error(STRATA_NOMEM, "catalog: out of memory");
    if (!v[CAT_T_OPTIONS].is_null) {
        rc = cat_opts_parse(v[CAT_T_OPTIONS].u.s.p, v[CAT_T_OPTIONS].u.s.n, load_opt, lt);
        if (rc) return rc;
    }
    lt->refresh.state = state;
    lt->refresh.epoch = (uint64_t)v[CAT_T_REFRESH_EPOCH].u.i;
    lt->refresh.read_seq = (uint64_t)v[CAT_T_REFRESH_READ_SEQ].u.i;
    lt->refresh.last_refresh_us = v[CAT_T_LAST_REFRESH].is_null ? 0 : v[CAT_T_LAST_REFRESH].u.i;
    lt->refresh.last_duration_us = v[CAT_T_LAST_DURATION_US].u.i;
    lt->refresh.last_inserted = v[CAT_T_LAST_INSERTED].u.i;
    lt->refresh.last_updated = v[CAT_T_LAST_UPDATED].u.i;
    lt->refresh.last_deleted = v[CAT_T_LAST_DELETED].u.i;
    lt->refresh.last_error = lt->last_error;
    table_spec *s = &lt->spec;
    s->id = (uint32_t)id;
    s->ns_id = (uint32_t)ns_id;
    s->ns_name = lt->ns_name;
    s->name = lt->name;
    s->kind = kind;
    s->vnodes = (uint32_t)vnodes;
    s->refreshable = (int)v[CAT_T_REFRESHABLE].u.i;
    s->staging_id = (uint32_t)staging;
    return STRATA_OK;
}

static load_table *find_load(load_ctx *lc, int64_t id)
{
    size_t lo = 0, hi = lc->ntabs; /* rows came in id order */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (lc->tabs[mid].spec.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < lc->ntabs && lc->tabs[lo].spec.id == id ? &lc->tabs[lo] : NULL;
}

static int load_col(void *ctx, const sql_value *v)
{
    load_ctx *lc = ctx;
    int64_t tid = v[CAT_C_TABLE_ID].u.i, ord = v[CAT_C_ORDINAL].u.i;
    load_table *lt = find_load(lc, tid);
    if (!lt) return STRATA_OK; /* columns of a table whose row is gone: ignored */
    int type = sql_type_from_name(v[CAT_C_TYPE].u.s.p, v[CAT_C_TYPE].u.s.n);
    int64_t pk = v[CAT_C_PK_POSITION].is_null ? -1 : v[CAT_C_PK_POSITION].u.i;
    if (ord != lt->ncols || ord >= CAT_MAX_COLUMNS || type < STRATA_TYPE_BOOLEAN ||
        check_name("column", v[CAT_C_NAME].u.s.p, v[CAT_C_NAME].u.s.n) != STRATA_OK || pk < -1 ||
        pk >= CAT_MAX_COLUMNS)
        return st_error(STRATA_CORRUPT,
                        "catalog: bad system.columns row (table %lld, ordinal %lld)",
                        (long long)tid, (long long)ord);
    if (lt->ncols == lt->cap) {
        uint32_t nc = lt->cap ? lt->cap * 2 : 8;
        cat_column_def *p = realloc(lt->cols, sizeof *p * nc);
        if (!p) return st_error(STRATA_NOMEM, "catalog: out of memory");
        lt->cols = p;
        lt->cap = nc;
    }
    cat_column_def *c = &lt->cols[lt->ncols];
    c->name = vdup(&v[CAT_C_NAME]);
    c->default_sql = vdup(&v[CAT_C_DEFAULT_EXPR]);
    c->type = type;
    c->not_null = (int)v[CAT_C_NOT_NULL].u.i;
    c->pk_pos = (int)pk;
    lt->ncols++;
    if (!c->name || (!v[CAT_C_DEFAULT_EXPR].is_null && !c->default_sql))
        return st_error(STRATA_NOMEM, "catalog: out of memory");
    return STRATA_OK;
}

static void load_free(load_ctx *lc)
{
    for (size_t i = 0; i < lc->ntabs; i++) {
        load_table *lt = &lc->tabs[i];
        free(lt->ns_name);
        free(lt->name);
        free(lt->last_error);
        for (uint32_t j = 0; j < lt->ncols; j++) {
            free((char *)lt->cols[j].name);
            free((char *)lt->cols[j].default_sql);
        }
        free(lt->cols);
        for (uint32_t j = 0; j < lt->nopts; j++) {
            free((char *)lt->opts[j].key);
            free((char *)lt->opts[j].value);
        }
        free(lt->opts);
    }
    free(lc->tabs);
}

static int build_loaded(load_ctx *lc)
{
    for (size_t i = 0; i < lc->ntabs; i++) {
        load_table *lt = &lc->tabs[i];
        table_spec *s = &lt->spec;
        s->ncols = lt->ncols;
        s->cols = lt->cols;
        s->nopts = lt->nopts;
        s->opts = lt->opts;
        s->refresh = &lt->refresh;
        int rc = validate_columns(s->ns_name, s->name, s->ncols, s->cols);
        if (rc) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", st_errmsg());
            return st_error(STRATA_CORRUPT, "catalog: table id %u: %s", s->id, msg);
        }
        const cat_namespace *n = NULL;
        for (size_t j = 0; j < lc->s->nns; j++)
            if (lc->s->ns[j]->pub.id == s->ns_id) n = &lc->s->ns[j]->pub;
        if (!n || n->id == CAT_NSID_SYSTEM)
            return st_error(STRATA_CORRUPT, "catalog: table %s.%s in unknown namespace id %u",
                            s->ns_name, s->name, s->ns_id);
        if (s->id >= lc->c->next_table_id || s->staging_id >= lc->c->next_table_id)
            return st_error(STRATA_CORRUPT, "catalog: table id %u at or above next_table_id %llu",
                            s->id, (unsigned long long)lc->c->next_table_id);
        s->version = lc->s->version;
        table_impl *ti = table_build(s);
        if (!ti) return st_error(STRATA_NOMEM, "catalog: out of memory");
        if (ti->pub.has_rowid) ti->rowid = rowid_state(lc->c, s->id, 1);
        rc = ti->pub.has_rowid && !ti->rowid ? st_error(STRATA_NOMEM, "catalog: out of memory")
                                             : snap_add_table(lc->s, ti);
        if (rc) {
            cat_table_unref(&ti->pub);
            return rc;
        }
    }
    return STRATA_OK;
}

/* First open: namespaces system and default and the id sequences, in one synced batch. */
static int bootstrap(catalog *c, load_ctx *lc)
{
    strata_kv_batch *b = strata_kv_batch_new();
    if (!b) return st_error(STRATA_NOMEM, "catalog: out of memory");
    int rc = STRATA_OK;
    if (!lc->have_system) rc = put_ns_row(b, CAT_NSID_SYSTEM, "system");
    if (rc == STRATA_OK && !lc->have_default) rc = put_ns_row(b, CAT_NSID_DEFAULT, "default");
    if (rc == STRATA_OK) rc = put_seq(b, CAT_SEQ_NEXT_TABLE_ID, (int64_t)c->next_table_id);
    if (rc == STRATA_OK) rc = put_seq(b, CAT_SEQ_NEXT_NS_ID, (int64_t)c->next_ns_id);
    strata_kv_write_options wo = {1};
    if (rc == STRATA_OK) rc = strata_kv_write(c->kv, &wo, b);
    strata_kv_batch_free(b);
    if (rc) return rc;
    if (!lc->have_system) {
        ns_impl *n = ns_new(CAT_NSID_SYSTEM, "system", 6);
        rc = n ? snap_add_ns(lc->s, n) : st_error(STRATA_NOMEM, "catalog: out of memory");
        if (rc) return rc;
    }
    if (!lc->have_default) {
        ns_impl *n = ns_new(CAT_NSID_DEFAULT, "default", 7);
        rc = n ? snap_add_ns(lc->s, n) : st_error(STRATA_NOMEM, "catalog: out of memory");
        if (rc) return rc;
    }
    return STRATA_OK;
}

int cat_open(strata_kv *kv, catalog **out)
{
    *out = NULL;
    catalog *c = calloc(1, sizeof *c);
    if (!c) return st_error(STRATA_NOMEM, "catalog: out of memory");
    c->kv = kv;
    pthread_rwlock_init(&c->lock, NULL);
    pthread_mutex_init(&c->ddl, NULL);
    pthread_mutex_init(&c->rowid_mu, NULL);
    c->next_table_id = CAT_FIRST_USER_TABLE_ID;
    c->next_ns_id = CAT_FIRST_USER_NS_ID;
    load_ctx lc;
    memset(&lc, 0, sizeof lc);
    lc.c = c;
    lc.s = snap_new();
    int rc = lc.s ? STRATA_OK : st_error(STRATA_NOMEM, "catalog: out of memory");
    if (rc == STRATA_OK) lc.s->version = 1;
    if (rc == STRATA_OK) rc = add_system_tables(c, lc.s);
    if (rc == STRATA_OK) rc = cat_sys_scan(kv, CAT_TID_SEQUENCES, NULL, 0, load_seq, &lc);
    if (rc == STRATA_OK) rc = cat_sys_scan(kv, CAT_TID_NAMESPACES, NULL, 0, load_ns, &lc);
    if (rc == STRATA_OK) rc = cat_sys_scan(kv, CAT_TID_TABLES, NULL, 0, load_tab, &lc);
    if (rc == STRATA_OK) rc = cat_sys_scan(kv, CAT_TID_COLUMNS, NULL, 0, load_col, &lc);
    if (rc == STRATA_OK) rc = build_loaded(&lc);
    if (rc == STRATA_OK && (!lc.have_system || !lc.have_default)) rc = bootstrap(c, &lc);
    load_free(&lc);
    if (rc) {
        if (lc.s) c->cur = lc.s;
        cat_close(c);
        return rc;
    }
    c->cur = lc.s;
    *out = c;
    return STRATA_OK;
}

void cat_close(catalog *c)
{
    if (!c) return;
    cat_snap_release(c->cur);
    while (c->rowids) {
        cat_rowid *r = c->rowids;
        c->rowids = r->link;
        free(r);
    }
    pthread_rwlock_destroy(&c->lock);
    pthread_mutex_destroy(&c->ddl);
    pthread_mutex_destroy(&c->rowid_mu);
    free(c);
}
