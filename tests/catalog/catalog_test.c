/* tests/catalog/catalog_test.c — the catalog over a real strata_kv: DDL persists across reopen,
 * drop/recreate, truncate, cascade, error messages, failed commits, stable snapshots, row ids,
 * refresh state and progress, system tables readable with the ordinary row codec. */
#include <pthread.h>
#include <stdatomic.h>

#include "test.h"
#include "catalog/catalog.h"
#include "catalog/catalog_format.h"
#include "exec/row_codec.h"
#include "lsm/env.h"
#include "util/status.h"

typedef struct db {
    char *dir;
    strata_kv *kv;
    catalog *cat;
    strata_env *env; /* fault env or NULL */
} db;

static void db_open(db *d)
{
    strata_kv_options o;
    strata_kv_options_init(&o);
    o.background_compaction = 0;
    o.env = d->env;
    int rc = strata_kv_open(d->dir, &o, &d->kv);
    if (rc) fprintf(stderr, "open: %s\n", strata_kv_errmsg());
    REQUIRE(rc == STRATA_OK);
    rc = cat_open(d->kv, &d->cat);
    if (rc) fprintf(stderr, "cat_open: %s\n", st_errmsg());
    REQUIRE(rc == STRATA_OK);
}

static void db_close(db *d)
{
    cat_close(d->cat);
    d->cat = NULL;
    CHECK_EQ_INT(strata_kv_close(d->kv), STRATA_OK);
    d->kv = NULL;
}

static void db_reopen(db *d)
{
    db_close(d);
    db_open(d);
}

static void db_init(db *d, const char *name)
{
    memset(d, 0, sizeof *d);
    d->dir = test_tmpdir(name);
    db_open(d);
}

static void db_fini(db *d)
{
    db_close(d);
    if (d->env) fault_env_free(d->env);
    test_rmdir(d->dir);
    free(d->dir);
}

/* Runs one DDL step through a txn and a batch; returns the status of the step (or the write). */
typedef int (*ddl_fn)(cat_txn *tx, strata_kv_batch *b, void *arg);
static int run_ddl(db *d, ddl_fn fn, void *arg)
{
    cat_txn *tx;
    REQUIRE(cat_txn_begin(d->cat, &tx) == STRATA_OK);
    strata_kv_batch *b = strata_kv_batch_new();
    int rc = fn(tx, b, arg);
    if (rc == STRATA_OK)
        rc = cat_txn_write(tx, NULL, b);
    else
        cat_txn_abort(tx);
    strata_kv_batch_free(b);
    return rc;
}

static int do_create_table(cat_txn *tx, strata_kv_batch *b, void *arg)
{
    return cat_create_table(tx, b, arg, NULL);
}

typedef struct name_arg {
    const char *ns, *name;
    int flag1, flag2;
} name_arg;

static int do_drop_table(cat_txn *tx, strata_kv_batch *b, void *arg)
{
    name_arg *a = arg;
    return cat_drop_table(tx, b, a->ns, CAT_NTS, a->name, CAT_NTS, a->flag1);
}
static int do_truncate(cat_txn *tx, strata_kv_batch *b, void *arg)
{
    name_arg *a = arg;
    return cat_truncate_table(tx, b, a->ns, CAT_NTS, a->name, CAT_NTS);
}
static int do_create_ns(cat_txn *tx, strata_kv_batch *b, void *arg)
{
    name_arg *a = arg;
    return cat_create_namespace(tx, b, a->name, CAT_NTS, a->flag1);
}
static int do_drop_ns(cat_txn *tx, strata_kv_batch *b, void *arg)
{
    name_arg *a = arg;
    return cat_drop_namespace(tx, b, a->name, CAT_NTS, a->flag1, a->flag2);
}

static int create_simple(db *d, const char *ns, const char *name)
{
    static const cat_column_def cols[] = {
        {"id", STRATA_TYPE_BIGINT, 0, 0, NULL},
        {"v", STRATA_TYPE_TEXT, 0, -1, NULL},
    };
    cat_table_def def = {ns, name, 2, cols, CAT_KIND_SHARED, 0, NULL, 0};
    return run_ddl(d, do_create_table, &def);
}

/* Writes rows (id, "v<id>") for ids [lo, hi) into table ns.name. */
static void insert_rows(db *d, const char *ns, const char *name, int64_t lo, int64_t hi)
{
    const cat_snap *s = cat_snap_acquire(d->cat);
    const cat_table *t;
    REQUIRE(cat_lookup_table(s, ns, CAT_NTS, name, CAT_NTS, &t) == STRATA_OK);
    strata_kv_batch *b = strata_kv_batch_new();
    row_buf rb;
    row_buf_init(&rb);
    for (int64_t i = lo; i < hi; i++) {
        char txt[32];
        int n = snprintf(txt, sizeof txt, "v%lld", (long long)i);
        sql_value vals[2] = {sql_int(STRATA_TYPE_BIGINT, i),
                             sql_text(STRATA_TYPE_TEXT, txt, (uint32_t)n)};
        uint8_t key[64];
        size_t klen;
        REQUIRE(row_key_encode(key, sizeof key, t->id, t->vnodes, t->pk_types, vals, 1, &klen,
                               NULL) == STRATA_OK);
        REQUIRE(row_encode(&rb, t->col_types, vals, t->ncols) == STRATA_OK);
        REQUIRE(strata_kv_batch_put(b, key, klen, rb.p, rb.n) == STRATA_OK);
    }
    REQUIRE(strata_kv_write(d->kv, NULL, b) == STRATA_OK);
    strata_kv_batch_free(b);
    row_buf_free(&rb);
    cat_snap_release(s);
}

static size_t count_range(db *d, uint32_t table_id)
{
    uint8_t s[4], e[4];
    row_key_table_range(table_id, s, e);
    strata_kv_read_options ro = {0};
    ro.lower = s;
    ro.lower_len = 4;
    ro.upper = e;
    ro.upper_len = 4;
    strata_kv_iter *it = strata_kv_iter_new(d->kv, &ro);
    size_t n = 0;
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it)) n++;
    CHECK_EQ_INT(strata_kv_iter_status(it), STRATA_OK);
    strata_kv_iter_free(it);
    return n;
}

static uint32_t table_id_of(db *d, const char *ns, const char *name)
{
    const cat_snap *s = cat_snap_acquire(d->cat);
    const cat_table *t = cat_find_table(s, ns, CAT_NTS, name, CAT_NTS);
    uint32_t id = t ? t->id : 0;
    cat_snap_release(s);
    return id;
}

static void test_bootstrap_create_reopen(void)
{
    db d;
    db_init(&d, "cat_reopen");
    const cat_snap *s = cat_snap_acquire(d.cat);
    CHECK(cat_find_namespace(s, "default", CAT_NTS) != NULL);
    CHECK(cat_find_namespace(s, "SYSTEM", CAT_NTS) != NULL);
    CHECK(cat_find_table(s, "system", CAT_NTS, "Tables", CAT_NTS) != NULL);
    cat_snap_release(s);

    name_arg ns = {NULL, "Sales", 0, 0};
    CHECK_EQ_INT(run_ddl(&d, do_create_ns, &ns), STRATA_OK);
    const cat_column_def cols[] = {
        {"Region", STRATA_TYPE_TEXT, 0, 1, NULL},     {"id", STRATA_TYPE_BIGINT, 0, 0, NULL},
        {"amount", STRATA_TYPE_DOUBLE, 1, -1, "0.0"}, {"note", STRATA_TYPE_TEXT, 0, -1, "'it''s'"},
        {"at", STRATA_TYPE_TIMESTAMP, 0, -1, NULL},   {"ok", STRATA_TYPE_BOOLEAN, 0, -1, NULL},
        {"n", STRATA_TYPE_INT, 0, -1, NULL},          {"raw", STRATA_TYPE_BLOB, 0, -1, NULL},
    };
    const cat_option opts[] = {{"vnodes", "16"}, {"comment", "it's, = 'quoted'"}};
    cat_table_def def = {"sales", "Orders", 8, cols, CAT_KIND_SHARED, 2, opts, 0};
    CHECK_EQ_INT(run_ddl(&d, do_create_table, &def), STRATA_OK);
    const cat_column_def logcols[] = {{"msg", STRATA_TYPE_TEXT, 0, -1, NULL}};
    cat_table_def logdef = {NULL, "log", 1, logcols, CAT_KIND_SHARED, 0, NULL, 0};
    CHECK_EQ_INT(run_ddl(&d, do_create_table, &logdef), STRATA_OK);
    uint32_t orders_id = table_id_of(&d, "SALES", "orders");
    CHECK(orders_id >= CAT_FIRST_USER_TABLE_ID);

    for (int round = 0; round < 2; round++) {
        if (round) db_reopen(&d);
        s = cat_snap_acquire(d.cat);
        const cat_table *t;
        REQUIRE(cat_lookup_table(s, "SaLeS", CAT_NTS, "ORDERS", CAT_NTS, &t) == STRATA_OK);
        CHECK_EQ_INT(t->id, orders_id);
        CHECK_EQ_STR(t->name, "Orders");
        CHECK_EQ_STR(t->ns_name, "Sales");
        CHECK_EQ_INT(t->ncols, 8);
        CHECK_EQ_INT(t->vnodes, 16);
        CHECK_EQ_INT(t->has_rowid, 0);
        CHECK_EQ_INT(t->npk, 2);
        CHECK_EQ_INT(t->pk_cols[0], 1); /* id first, Region second */
        CHECK_EQ_INT(t->pk_cols[1], 0);
        CHECK_EQ_INT(t->pk_types[0], STRATA_TYPE_BIGINT);
        CHECK_EQ_INT(t->pk_types[1], STRATA_TYPE_TEXT);
        for (int i = 0; i < 8; i++) {
            CHECK_EQ_STR(t->cols[i].name, cols[i].name);
            CHECK_EQ_INT(t->cols[i].type, cols[i].type);
            CHECK_EQ_INT(t->col_types[i], cols[i].type);
            CHECK_EQ_INT(t->cols[i].pk_pos, cols[i].pk_pos);
            CHECK_EQ_INT(t->cols[i].not_null, cols[i].not_null || cols[i].pk_pos >= 0);
            if (cols[i].default_sql)
                CHECK_EQ_STR(t->cols[i].default_sql, cols[i].default_sql);
            else
                CHECK(t->cols[i].default_sql == NULL);
        }
        CHECK_EQ_INT(cat_column_index(t, "AMOUNT", CAT_NTS), 2);
        CHECK_EQ_INT(cat_column_index(t, "nope", CAT_NTS), -1);
        CHECK_EQ_INT(t->nopts, 2);
        CHECK_EQ_STR(cat_table_option(t, "Comment"), "it's, = 'quoted'");
        CHECK_EQ_STR(cat_table_option(t, "vnodes"), "16");
        CHECK_EQ_INT(t->refreshable, 0);
        const cat_table *l;
        REQUIRE(cat_lookup_table(s, NULL, 0, "LOG", CAT_NTS, &l) == STRATA_OK);
        CHECK_EQ_INT(l->has_rowid, 1);
        CHECK_EQ_INT(l->npk, 1);
        CHECK_EQ_INT(l->pk_types[0], STRATA_TYPE_BIGINT);
        CHECK_EQ_INT(l->vnodes, CAT_DEFAULT_VNODES);
        CHECK(l->id > orders_id);
        CHECK(cat_table_by_id(s, orders_id) == t);
        /* the row key picks the key columns (id, Region) out of a full row */
        sql_value row[8];
        for (int i = 0; i < 8; i++) row[i] = sql_null(cols[i].type);
        row[0] = sql_text(STRATA_TYPE_TEXT, "eu", 2);
        row[1] = sql_int(STRATA_TYPE_BIGINT, 5);
        sql_value pk[2] = {row[1], row[0]};
        uint8_t k1[64], k2[64];
        size_t n1, n2;
        CHECK_EQ_INT(cat_table_row_key(t, row, 0, k1, sizeof k1, &n1), STRATA_OK);
        CHECK_EQ_INT(row_key_encode(k2, sizeof k2, t->id, 16, t->pk_types, pk, 2, &n2, NULL),
                     STRATA_OK);
        CHECK_MEM(k1, n1, k2, n2);
        sql_value id = sql_int(STRATA_TYPE_BIGINT, 77);
        CHECK_EQ_INT(cat_table_row_key(l, NULL, 77, k1, sizeof k1, &n1), STRATA_OK);
        CHECK_EQ_INT(
            row_key_encode(k2, sizeof k2, l->id, l->vnodes, l->pk_types, &id, 1, &n2, NULL),
            STRATA_OK);
        CHECK_MEM(k1, n1, k2, n2);
        cat_snap_release(s);
    }
    db_fini(&d);
}

static void test_drop_recreate_truncate(void)
{
    db d;
    db_init(&d, "cat_drop");
    REQUIRE(create_simple(&d, NULL, "t") == STRATA_OK);
    uint32_t id1 = table_id_of(&d, NULL, "t");
    insert_rows(&d, NULL, "t", 0, 100);
    CHECK_EQ_INT(count_range(&d, id1), 100);

    /* truncate: rows gone, table stays */
    name_arg t = {NULL, "T", 0, 0};
    CHECK_EQ_INT(run_ddl(&d, do_truncate, &t), STRATA_OK);
    CHECK_EQ_INT(count_range(&d, id1), 0);
    CHECK_EQ_INT(table_id_of(&d, NULL, "t"), id1);
    insert_rows(&d, NULL, "t", 0, 50);
    CHECK_EQ_INT(count_range(&d, id1), 50);

    /* drop + recreate: a new id, no old rows */
    CHECK_EQ_INT(run_ddl(&d, do_drop_table, &t), STRATA_OK);
    CHECK_EQ_INT(table_id_of(&d, NULL, "t"), 0);
    CHECK_EQ_INT(count_range(&d, id1), 0);
    REQUIRE(create_simple(&d, NULL, "t") == STRATA_OK);
    uint32_t id2 = table_id_of(&d, NULL, "t");
    CHECK(id2 > id1);
    CHECK_EQ_INT(count_range(&d, id2), 0);

    /* ids are not reused after a reopen either */
    db_reopen(&d);
    CHECK_EQ_INT(table_id_of(&d, NULL, "t"), id2);
    CHECK_EQ_INT(count_range(&d, id1), 0);
    CHECK_EQ_INT(run_ddl(&d, do_drop_table, &t), STRATA_OK);
    db_reopen(&d);
    CHECK_EQ_INT(table_id_of(&d, NULL, "t"), 0);
    REQUIRE(create_simple(&d, NULL, "t") == STRATA_OK);
    CHECK(table_id_of(&d, NULL, "t") > id2);
    /* system.columns has no rows of the dropped tables */
    const cat_snap *s = cat_snap_acquire(d.cat);
    const cat_table *cols = cat_find_table(s, "system", CAT_NTS, "columns", CAT_NTS);
    REQUIRE(cols != NULL);
    uint8_t st[4], en[4];
    row_key_table_range(cols->id, st, en);
    strata_kv_read_options ro = {0};
    ro.lower = st;
    ro.lower_len = 4;
    ro.upper = en;
    ro.upper_len = 4;
    strata_kv_iter *it = strata_kv_iter_new(d.kv, &ro);
    int rows = 0;
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it)) {
        size_t vlen;
        const uint8_t *v = strata_kv_iter_value(it, &vlen);
        sql_value tid;
        REQUIRE(row_get_column(v, vlen, CAT_C_TABLE_ID, STRATA_TYPE_BIGINT, &tid) == STRATA_OK);
        CHECK(tid.u.i != id1 && tid.u.i != id2);
        rows++;
    }
    strata_kv_iter_free(it);
    CHECK_EQ_INT(rows, 2);
    cat_snap_release(s);
    db_fini(&d);
}

static void test_namespaces_cascade(void)
{
    db d;
    db_init(&d, "cat_ns");
    name_arg ns = {NULL, "app", 0, 0};
    CHECK_EQ_INT(run_ddl(&d, do_create_ns, &ns), STRATA_OK);
    REQUIRE(create_simple(&d, "app", "a") == STRATA_OK);
    REQUIRE(create_simple(&d, "APP", "b") == STRATA_OK);
    REQUIRE(create_simple(&d, NULL, "a") == STRATA_OK); /* same name, other namespace */
    uint32_t ida = table_id_of(&d, "app", "a"), idb = table_id_of(&d, "app", "b");
    insert_rows(&d, "app", "a", 0, 10);
    insert_rows(&d, "app", "b", 0, 10);

    name_arg drop = {NULL, "App", 0, 0};
    CHECK_EQ_INT(run_ddl(&d, do_drop_ns, &drop), STRATA_CONSTRAINT);
    CHECK(strstr(st_errmsg(), "namespace app is not empty (2 tables)") != NULL);
    CHECK(table_id_of(&d, "app", "a") == ida);
    drop.flag2 = 1; /* CASCADE */
    CHECK_EQ_INT(run_ddl(&d, do_drop_ns, &drop), STRATA_OK);
    CHECK_EQ_INT(count_range(&d, ida), 0);
    CHECK_EQ_INT(count_range(&d, idb), 0);
    db_reopen(&d);
    const cat_snap *s = cat_snap_acquire(d.cat);
    CHECK(cat_find_namespace(s, "app", CAT_NTS) == NULL);
    CHECK(cat_find_table(s, NULL, 0, "a", CAT_NTS) != NULL);
    CHECK(cat_table_by_id(s, ida) == NULL);
    cat_snap_release(s);
    /* recreate the namespace: empty */
    CHECK_EQ_INT(run_ddl(&d, do_create_ns, &ns), STRATA_OK);
    s = cat_snap_acquire(d.cat);
    CHECK(cat_find_table(s, "app", CAT_NTS, "a", CAT_NTS) == NULL);
    cat_snap_release(s);
    /* empty namespace drops without cascade; protected ones never */
    drop.flag2 = 0;
    CHECK_EQ_INT(run_ddl(&d, do_drop_ns, &drop), STRATA_OK);
    name_arg sys = {NULL, "system", 0, 1};
    CHECK_EQ_INT(run_ddl(&d, do_drop_ns, &sys), STRATA_INVALID);
    name_arg def = {NULL, "DEFAULT", 0, 1};
    CHECK_EQ_INT(run_ddl(&d, do_drop_ns, &def), STRATA_INVALID);
    db_fini(&d);
}

static void test_errors(void)
{
    db d;
    db_init(&d, "cat_err");
    REQUIRE(create_simple(&d, NULL, "t") == STRATA_OK);
    CHECK_EQ_INT(create_simple(&d, NULL, "T"), STRATA_EXISTS);
    CHECK_EQ_STR(st_errmsg(), "table default.T already exists");
    CHECK_EQ_INT(create_simple(&d, "nowhere", "t"), STRATA_NOTFOUND);
    CHECK_EQ_STR(st_errmsg(), "no such namespace: nowhere");
    const cat_snap *s = cat_snap_acquire(d.cat);
    const cat_table *t;
    CHECK_EQ_INT(cat_lookup_table(s, NULL, 0, "nope", CAT_NTS, &t), STRATA_NOTFOUND);
    CHECK_EQ_STR(st_errmsg(), "no such table: default.nope");
    CHECK(t == NULL);
    CHECK_EQ_INT(cat_lookup_table(s, "x", 1, "nope", 4, &t), STRATA_NOTFOUND);
    CHECK_EQ_STR(st_errmsg(), "no such namespace: x");
    cat_snap_release(s);
    name_arg drop = {NULL, "nope", 0, 0};
    CHECK_EQ_INT(run_ddl(&d, do_drop_table, &drop), STRATA_NOTFOUND);
    CHECK_EQ_STR(st_errmsg(), "no such table: default.nope");
    drop.flag1 = 1; /* IF EXISTS */
    CHECK_EQ_INT(run_ddl(&d, do_drop_table, &drop), STRATA_OK);
    name_arg ns = {NULL, "default", 0, 0};
    CHECK_EQ_INT(run_ddl(&d, do_create_ns, &ns), STRATA_EXISTS);
    CHECK_EQ_STR(st_errmsg(), "namespace default already exists");
    ns.flag1 = 1;
    CHECK_EQ_INT(run_ddl(&d, do_create_ns, &ns), STRATA_OK);
    name_arg dns = {NULL, "ghost", 0, 0};
    CHECK_EQ_INT(run_ddl(&d, do_drop_ns, &dns), STRATA_NOTFOUND);
    dns.flag1 = 1;
    CHECK_EQ_INT(run_ddl(&d, do_drop_ns, &dns), STRATA_OK);

    /* IF NOT EXISTS on an existing table: no change, *out NULL */
    static const cat_column_def one[] = {{"x", STRATA_TYPE_INT, 0, -1, NULL}};
    cat_table_def def = {NULL, "t", 1, one, CAT_KIND_SHARED, 0, NULL, 1};
    CHECK_EQ_INT(run_ddl(&d, do_create_table, &def), STRATA_OK);
    s = cat_snap_acquire(d.cat);
    CHECK_EQ_INT(cat_find_table(s, NULL, 0, "t", CAT_NTS)->ncols, 2);
    cat_snap_release(s);

    /* bad definitions */
    static const cat_column_def dup[] = {{"x", STRATA_TYPE_INT, 0, -1, NULL},
                                         {"X", STRATA_TYPE_INT, 0, -1, NULL}};
    cat_table_def bad = {NULL, "u", 2, dup, CAT_KIND_SHARED, 0, NULL, 0};
    CHECK_EQ_INT(run_ddl(&d, do_create_table, &bad), STRATA_INVALID);
    CHECK(strstr(st_errmsg(), "duplicate column name: X") != NULL);
    static const cat_column_def badpk[] = {{"x", STRATA_TYPE_INT, 0, 1, NULL},
                                           {"y", STRATA_TYPE_INT, 0, -1, NULL}};
    bad.cols = badpk;
    CHECK_EQ_INT(run_ddl(&d, do_create_table, &bad), STRATA_INVALID);
    bad.cols = one;
    bad.ncols = 0;
    CHECK_EQ_INT(run_ddl(&d, do_create_table, &bad), STRATA_INVALID);
    bad.ncols = 1;
    const cat_option vn[] = {{"vnodes", "0"}};
    bad.nopts = 1;
    bad.opts = vn;
    CHECK_EQ_INT(run_ddl(&d, do_create_table, &bad), STRATA_INVALID);
    const cat_option dupopt[] = {{"a", "1"}, {"A", "2"}};
    bad.nopts = 2;
    bad.opts = dupopt;
    CHECK_EQ_INT(run_ddl(&d, do_create_table, &bad), STRATA_INVALID);
    bad.nopts = 0;
    bad.kind = CAT_KIND_USER;
    CHECK_EQ_INT(run_ddl(&d, do_create_table, &bad), STRATA_NOTSUP);
    bad.kind = CAT_KIND_SHARED;
    bad.ns = "system";
    CHECK_EQ_INT(run_ddl(&d, do_create_table, &bad), STRATA_INVALID);
    name_arg sys = {"system", "tables", 0, 0};
    CHECK_EQ_INT(run_ddl(&d, do_drop_table, &sys), STRATA_INVALID);
    CHECK_EQ_INT(run_ddl(&d, do_truncate, &sys), STRATA_INVALID);
    s = cat_snap_acquire(d.cat);
    CHECK(cat_find_table(s, NULL, 0, "u", CAT_NTS) == NULL);
    cat_snap_release(s);
    db_fini(&d);
}

static void test_abort_and_failed_commit(void)
{
    db d;
    memset(&d, 0, sizeof d);
    d.dir = test_tmpdir("cat_fail");
    d.env = fault_env_new(env_sync());
    db_open(&d);
    REQUIRE(create_simple(&d, NULL, "keep") == STRATA_OK);
    const cat_snap *before = cat_snap_acquire(d.cat);
    uint64_t v0 = cat_snap_version(before);

    /* abort: nothing changes */
    cat_txn *tx;
    REQUIRE(cat_txn_begin(d.cat, &tx) == STRATA_OK);
    strata_kv_batch *b = strata_kv_batch_new();
    static const cat_column_def one[] = {{"x", STRATA_TYPE_INT, 0, 0, NULL}};
    cat_table_def def = {NULL, "gone", 1, one, CAT_KIND_SHARED, 0, NULL, 0};
    const cat_table *nt;
    CHECK_EQ_INT(cat_create_table(tx, b, &def, &nt), STRATA_OK);
    CHECK(nt != NULL);
    /* the txn sees its own change, others do not */
    CHECK(cat_find_table(cat_txn_snap(tx), NULL, 0, "gone", CAT_NTS) == nt);
    const cat_snap *mid = cat_snap_acquire(d.cat);
    CHECK(cat_find_table(mid, NULL, 0, "gone", CAT_NTS) == NULL);
    cat_snap_release(mid);
    CHECK_EQ_INT(cat_drop_table(tx, b, NULL, 0, "keep", CAT_NTS, 0), STRATA_OK);
    cat_txn_abort(tx);
    strata_kv_batch_free(b);

    /* failed write: the next I/O of the kernel fails */
    REQUIRE(cat_txn_begin(d.cat, &tx) == STRATA_OK);
    b = strata_kv_batch_new();
    CHECK_EQ_INT(cat_create_table(tx, b, &def, NULL), STRATA_OK);
    CHECK_EQ_INT(cat_drop_table(tx, b, NULL, 0, "keep", CAT_NTS, 0), STRATA_OK);
    fault_env_fail_nth(d.env, 1, FAULT_EIO);
    int rc = cat_txn_write(tx, NULL, b);
    CHECK(rc != STRATA_OK);
    fault_env_fail_nth(d.env, 0, FAULT_NONE);
    strata_kv_batch_free(b);

    const cat_snap *after = cat_snap_acquire(d.cat);
    CHECK(after == before);
    CHECK_EQ_INT(cat_snap_version(after), v0);
    CHECK(cat_find_table(after, NULL, 0, "keep", CAT_NTS) != NULL);
    CHECK(cat_find_table(after, NULL, 0, "gone", CAT_NTS) == NULL);
    cat_snap_release(after);
    cat_snap_release(before);
    /* the kernel may keep refusing writes after an I/O error until reopened (and report it
     * at close): reopen, then DDL works again */
    cat_close(d.cat);
    d.cat = NULL;
    strata_kv_close(d.kv);
    d.kv = NULL;
    db_open(&d);
    REQUIRE(create_simple(&d, NULL, "later") == STRATA_OK);
    db_reopen(&d);
    const cat_snap *s = cat_snap_acquire(d.cat);
    CHECK(cat_find_table(s, NULL, 0, "keep", CAT_NTS) != NULL);
    CHECK(cat_find_table(s, NULL, 0, "gone", CAT_NTS) == NULL);
    CHECK(cat_find_table(s, NULL, 0, "later", CAT_NTS) != NULL);
    cat_snap_release(s);
    db_fini(&d);
}

static void test_stable_snapshot(void)
{
    db d;
    db_init(&d, "cat_snap");
    REQUIRE(create_simple(&d, NULL, "t") == STRATA_OK);
    const cat_snap *old = cat_snap_acquire(d.cat);
    const cat_table *t = cat_find_table(old, NULL, 0, "t", CAT_NTS);
    REQUIRE(t != NULL);
    const cat_table *kept = t;
    cat_table_ref(kept);
    name_arg drop = {NULL, "t", 0, 0};
    CHECK_EQ_INT(run_ddl(&d, do_drop_table, &drop), STRATA_OK);
    REQUIRE(create_simple(&d, NULL, "t") == STRATA_OK);
    /* the old snapshot still shows the old table, intact */
    CHECK(cat_find_table(old, NULL, 0, "t", CAT_NTS) == t);
    CHECK_EQ_STR(t->cols[1].name, "v");
    const cat_snap *now = cat_snap_acquire(d.cat);
    const cat_table *t2 = cat_find_table(now, NULL, 0, "t", CAT_NTS);
    REQUIRE(t2 != NULL);
    CHECK(t2->id != t->id);
    CHECK(cat_snap_version(now) > cat_snap_version(old));
    cat_snap_release(old);
    /* a referenced descriptor outlives its snapshot */
    CHECK_EQ_STR(kept->name, "t");
    CHECK_EQ_INT(kept->ncols, 2);
    cat_table_unref(kept);
    cat_snap_release(now);
    db_fini(&d);
}

static void test_rowids(void)
{
    db d;
    db_init(&d, "cat_rowid");
    static const cat_column_def one[] = {{"msg", STRATA_TYPE_TEXT, 0, -1, NULL}};
    cat_table_def def = {NULL, "log", 1, one, CAT_KIND_SHARED, 0, NULL, 0};
    REQUIRE(run_ddl(&d, do_create_table, &def) == STRATA_OK);
    int64_t last = 0;
    for (int round = 0; round < 3; round++) {
        const cat_snap *s = cat_snap_acquire(d.cat);
        const cat_table *t = cat_find_table(s, NULL, 0, "log", CAT_NTS);
        REQUIRE(t && t->has_rowid);
        for (int i = 0; i < 5; i++) {
            int64_t first;
            CHECK_EQ_INT(cat_rowid_alloc(d.cat, t, 1000, &first), STRATA_OK);
            CHECK(first > last);
            last = first + 999;
        }
        int64_t big;
        CHECK_EQ_INT(cat_rowid_alloc(d.cat, t, 100000, &big), STRATA_OK);
        CHECK(big > last);
        last = big + 99999;
        /* a table with a primary key has no row ids */
        const cat_table *sys = cat_find_table(s, "system", CAT_NTS, "tables", CAT_NTS);
        int64_t x;
        CHECK_EQ_INT(cat_rowid_alloc(d.cat, sys, 1, &x), STRATA_MISUSE);
        cat_snap_release(s);
        db_reopen(&d); /* ids keep increasing across restarts */
    }
    db_fini(&d);
}

static int count_progress(void *ctx, const cat_progress *p)
{
    int *n = ctx;
    if (*n == 0) {
        CHECK_EQ_INT(p->vnode, CAT_PROGRESS_LOAD);
        CHECK_EQ_STR(p->file, "a.csv");
        CHECK_EQ_INT(p->file_offset, 4096);
    } else {
        CHECK_EQ_INT(p->vnode, *n - 1);
        CHECK(p->file == NULL);
        CHECK_EQ_STR(p->stage, "done");
        CHECK_EQ_INT(p->inserted, 10 * (*n - 1));
    }
    (*n)++;
    return 0;
}

typedef struct refresh_arg {
    uint32_t id;
    cat_refresh r;
} refresh_arg;

static int do_set_refresh(cat_txn *tx, strata_kv_batch *b, void *arg)
{
    refresh_arg *a = arg;
    return cat_set_refresh(tx, b, a->id, &a->r);
}

static void test_refresh_state_and_progress(void)
{
    db d;
    db_init(&d, "cat_refresh");
    static const cat_column_def cols[] = {{"k", STRATA_TYPE_TEXT, 0, 0, NULL},
                                          {"v", STRATA_TYPE_BIGINT, 0, -1, NULL}};
    const cat_option opts[] = {
        {"connector", "posix_fs"}, {"path", "/data/x"}, {"format", "csv"}, {"Refreshable", "TRUE"}};
    cat_table_def def = {NULL, "src", 2, cols, CAT_KIND_SHARED, 4, opts, 0};
    REQUIRE(run_ddl(&d, do_create_table, &def) == STRATA_OK);
    const cat_snap *s = cat_snap_acquire(d.cat);
    const cat_table *t = cat_find_table(s, NULL, 0, "src", CAT_NTS);
    REQUIRE(t != NULL);
    CHECK_EQ_INT(t->refreshable, 1);
    CHECK(t->staging_id != 0 && t->staging_id != t->id);
    CHECK_EQ_INT(t->refresh.state, CAT_REFRESH_IDLE);
    uint32_t id = t->id, staging = t->staging_id;
    cat_snap_release(s);
    /* the next table gets an id past the staging id */
    REQUIRE(create_simple(&d, NULL, "next") == STRATA_OK);
    CHECK(table_id_of(&d, NULL, "next") > staging);

    refresh_arg ra = {id, {CAT_REFRESH_FINISHING, 3, 777, 123456, 99, 1, 2, 3, "boom"}};
    CHECK_EQ_INT(run_ddl(&d, do_set_refresh, &ra), STRATA_OK);
    strata_kv_batch *b = strata_kv_batch_new();
    cat_progress lp = {id, CAT_PROGRESS_LOAD, "loading", "a.csv", 4096, 10, 0, 0, 0, 3};
    CHECK_EQ_INT(cat_progress_put(b, &lp), STRATA_OK);
    for (int v = 0; v < 3; v++) {
        cat_progress p = {id, v, "done", NULL, 0, 0, 10 * v, 0, 0, 3};
        CHECK_EQ_INT(cat_progress_put(b, &p), STRATA_OK);
    }
    REQUIRE(strata_kv_write(d.kv, NULL, b) == STRATA_OK);
    strata_kv_batch_free(b);

    db_reopen(&d);
    s = cat_snap_acquire(d.cat);
    t = cat_find_table(s, NULL, 0, "src", CAT_NTS);
    REQUIRE(t != NULL);
    CHECK_EQ_INT(t->refresh.state, CAT_REFRESH_FINISHING);
    CHECK_EQ_INT(t->refresh.epoch, 3);
    CHECK_EQ_INT(t->refresh.read_seq, 777);
    CHECK_EQ_INT(t->refresh.last_refresh_us, 123456);
    CHECK_EQ_INT(t->refresh.last_duration_us, 99);
    CHECK_EQ_INT(t->refresh.last_inserted, 1);
    CHECK_EQ_INT(t->refresh.last_updated, 2);
    CHECK_EQ_INT(t->refresh.last_deleted, 3);
    CHECK_EQ_STR(t->refresh.last_error, "boom");
    CHECK_EQ_INT(t->staging_id, staging);
    CHECK_EQ_STR(cat_table_option(t, "path"), "/data/x");
    cat_snap_release(s);
    int n = 0;
    CHECK_EQ_INT(cat_progress_scan(d.cat, id, count_progress, &n), STRATA_OK);
    CHECK_EQ_INT(n, 4);
    b = strata_kv_batch_new();
    CHECK_EQ_INT(cat_progress_clear(b, id), STRATA_OK);
    REQUIRE(strata_kv_write(d.kv, NULL, b) == STRATA_OK);
    strata_kv_batch_free(b);
    n = 0;
    CHECK_EQ_INT(cat_progress_scan(d.cat, id, count_progress, &n), STRATA_OK);
    CHECK_EQ_INT(n, 0);
    /* a resumed refresh writes new progress after the clear: the scan sees exactly those */
    b = strata_kv_batch_new();
    CHECK_EQ_INT(cat_progress_put(b, &lp), STRATA_OK);
    for (int v = 0; v < 2; v++) {
        cat_progress p = {id, v, "done", NULL, 0, 0, 10 * v, 0, 0, 4};
        CHECK_EQ_INT(cat_progress_put(b, &p), STRATA_OK);
    }
    REQUIRE(strata_kv_write(d.kv, NULL, b) == STRATA_OK);
    strata_kv_batch_free(b);
    n = 0;
    CHECK_EQ_INT(cat_progress_scan(d.cat, id, count_progress, &n), STRATA_OK);
    CHECK_EQ_INT(n, 3);
    /* drop also clears staging rows */
    uint8_t key[16] = {0};
    put_be32(key, staging);
    REQUIRE(strata_kv_put(d.kv, key, 8, "x", 1) == STRATA_OK);
    CHECK_EQ_INT(count_range(&d, staging), 1);
    name_arg drop = {NULL, "src", 0, 0};
    CHECK_EQ_INT(run_ddl(&d, do_drop_table, &drop), STRATA_OK);
    CHECK_EQ_INT(count_range(&d, staging), 0);
    db_fini(&d);
}

/* SELECT * FROM system.tables is an ordinary scan: decode its rows with the descriptor. */
static void test_system_tables_scan(void)
{
    db d;
    db_init(&d, "cat_sys");
    REQUIRE(create_simple(&d, NULL, "alpha") == STRATA_OK);
    REQUIRE(create_simple(&d, NULL, "beta") == STRATA_OK);
    const cat_snap *s = cat_snap_acquire(d.cat);
    const cat_table *st;
    REQUIRE(cat_lookup_table(s, "system", CAT_NTS, "tables", CAT_NTS, &st) == STRATA_OK);
    CHECK_EQ_INT(st->kind, CAT_KIND_SYSTEM);
    CHECK_EQ_STR(st->cols[CAT_T_REFRESH_STATE].name, "refresh_state");
    uint8_t a[4], e[4];
    row_key_table_range(st->id, a, e);
    strata_kv_read_options ro = {0};
    ro.lower = a;
    ro.lower_len = 4;
    ro.upper = e;
    ro.upper_len = 4;
    strata_kv_iter *it = strata_kv_iter_new(d.kv, &ro);
    const char *want[] = {"alpha", "beta"};
    int i = 0;
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it); strata_kv_iter_next(it)) {
        size_t vlen;
        const uint8_t *v = strata_kv_iter_value(it, &vlen);
        sql_value vals[CAT_T_NCOLS];
        REQUIRE(row_decode(v, vlen, st->col_types, st->ncols, vals) == STRATA_OK);
        REQUIRE(i < 2);
        CHECK_MEM(vals[CAT_T_NAME].u.s.p, vals[CAT_T_NAME].u.s.n, want[i], strlen(want[i]));
        CHECK_MEM(vals[CAT_T_NAMESPACE].u.s.p, vals[CAT_T_NAMESPACE].u.s.n, "default", 7);
        CHECK_MEM(vals[CAT_T_KIND].u.s.p, vals[CAT_T_KIND].u.s.n, "shared", 6);
        CHECK_MEM(vals[CAT_T_REFRESH_STATE].u.s.p, vals[CAT_T_REFRESH_STATE].u.s.n, "idle", 4);
        CHECK_EQ_INT(vals[CAT_T_VNODES].u.i, CAT_DEFAULT_VNODES);
        CHECK(vals[CAT_T_OPTIONS].is_null);
        i++;
    }
    CHECK_EQ_INT(i, 2);
    strata_kv_iter_free(it);
    /* every namespace row decodes with system.namespaces' descriptor */
    const cat_table *sn = cat_find_table(s, "system", CAT_NTS, "namespaces", CAT_NTS);
    REQUIRE(sn != NULL);
    CHECK_EQ_INT(count_range(&d, sn->id), 2); /* system, default */
    CHECK_EQ_INT(cat_namespace_count(s), 2);
    CHECK_EQ_INT(cat_table_count(s), 7); /* 5 system + 2 */
    CHECK_EQ_INT(cat_table_at(s, 0)->id, CAT_TID_NAMESPACES);
    cat_snap_release(s);
    db_fini(&d);
}

static void test_corrupt_catalog_row(void)
{
    db d;
    db_init(&d, "cat_corrupt");
    REQUIRE(create_simple(&d, NULL, "t") == STRATA_OK);
    uint32_t id = table_id_of(&d, NULL, "t");
    /* overwrite t's system.tables row with garbage */
    uint8_t key[32];
    size_t klen;
    sql_value pk = sql_int(STRATA_TYPE_BIGINT, id);
    const uint8_t bt = STRATA_TYPE_BIGINT;
    REQUIRE(row_key_encode(key, sizeof key, CAT_TID_TABLES, 1, &bt, &pk, 1, &klen, NULL) ==
            STRATA_OK);
    REQUIRE(strata_kv_put(d.kv, key, klen, "\x01\x02", 2) == STRATA_OK);
    cat_close(d.cat);
    d.cat = NULL;
    CHECK_EQ_INT(cat_open(d.kv, &d.cat), STRATA_CORRUPT);
    CHECK(strstr(st_errmsg(), "system.tables") != NULL);
    CHECK(d.cat == NULL);
    /* restore by deleting the row: its columns are then ignored */
    REQUIRE(strata_kv_delete(d.kv, key, klen) == STRATA_OK);
    REQUIRE(cat_open(d.kv, &d.cat) == STRATA_OK);
    db_fini(&d);
}

/* Hostile catalog rows: a mutated or truncated row in any reserved table makes cat_open return
 * STRATA_OK or STRATA_CORRUPT, never crash (ASan checks the reads). */
typedef struct kvpair {
    uint8_t *k, *v;
    size_t kn, vn;
} kvpair;

static void test_hostile_catalog_rows(void)
{
    db d;
    db_init(&d, "cat_hostile");
    const cat_column_def cols[] = {{"k", STRATA_TYPE_TEXT, 0, 0, "'x'"},
                                   {"v", STRATA_TYPE_BIGINT, 1, -1, "1 + 2"}};
    const cat_option opts[] = {{"refreshable", "true"}, {"path", "/a'b"}};
    cat_table_def def = {NULL, "src", 2, cols, CAT_KIND_SHARED, 2, opts, 0};
    REQUIRE(run_ddl(&d, do_create_table, &def) == STRATA_OK);
    static const cat_column_def one[] = {{"msg", STRATA_TYPE_TEXT, 0, -1, NULL}};
    cat_table_def logdef = {NULL, "log", 1, one, CAT_KIND_SHARED, 0, NULL, 0};
    REQUIRE(run_ddl(&d, do_create_table, &logdef) == STRATA_OK);
    const cat_snap *s = cat_snap_acquire(d.cat);
    int64_t first;
    REQUIRE(cat_rowid_alloc(d.cat, cat_find_table(s, NULL, 0, "log", CAT_NTS), 1, &first) ==
            STRATA_OK);
    cat_snap_release(s);
    cat_close(d.cat);
    d.cat = NULL;

    kvpair rows[64];
    size_t nrows = 0;
    uint8_t lo[4], hi[4];
    row_key_table_range(1, lo, hi);
    put_be32(hi, CAT_FIRST_USER_TABLE_ID);
    strata_kv_read_options ro = {0};
    ro.lower = lo;
    ro.lower_len = 4;
    ro.upper = hi;
    ro.upper_len = 4;
    strata_kv_iter *it = strata_kv_iter_new(d.kv, &ro);
    for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it) && nrows < 64;
         strata_kv_iter_next(it)) {
        kvpair *r = &rows[nrows++];
        const void *k = strata_kv_iter_key(it, &r->kn);
        const void *v = strata_kv_iter_value(it, &r->vn);
        r->k = malloc(r->kn);
        r->v = malloc(r->vn);
        memcpy(r->k, k, r->kn);
        memcpy(r->v, v, r->vn);
    }
    strata_kv_iter_free(it);
    CHECK(nrows >= 10); /* 2 namespaces, 2 tables, 3 columns, >= 3 sequences */

    uint64_t seed = 12345;
    int corrupt = 0;
    for (int iter = 0; iter < 300; iter++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        kvpair *r = &rows[(seed >> 33) % nrows];
        uint8_t *m = malloc(r->vn);
        memcpy(m, r->v, r->vn);
        size_t mn = r->vn;
        if ((seed >> 20) % 4 == 0) {
            mn = (size_t)((seed >> 40) % r->vn);
        } else {
            for (int f = 0; f < 1 + (int)((seed >> 50) % 3); f++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                m[(seed >> 33) % mn] ^= (uint8_t)(1 + (seed >> 45) % 255);
            }
        }
        REQUIRE(strata_kv_put(d.kv, r->k, r->kn, m, mn) == STRATA_OK);
        catalog *c = NULL;
        int rc = cat_open(d.kv, &c);
        CHECK(rc == STRATA_OK || rc == STRATA_CORRUPT);
        corrupt += rc == STRATA_CORRUPT;
        cat_close(c);
        REQUIRE(strata_kv_put(d.kv, r->k, r->kn, r->v, r->vn) == STRATA_OK);
        free(m);
    }
    CHECK(corrupt > 0);
    /* restored: opens and still has both tables */
    REQUIRE(cat_open(d.kv, &d.cat) == STRATA_OK);
    s = cat_snap_acquire(d.cat);
    CHECK(cat_find_table(s, NULL, 0, "src", CAT_NTS) != NULL);
    CHECK(cat_find_table(s, NULL, 0, "log", CAT_NTS) != NULL);
    cat_snap_release(s);
    for (size_t i = 0; i < nrows; i++) {
        free(rows[i].k);
        free(rows[i].v);
    }
    db_fini(&d);
}

/* Many operations in one txn and one batch; later ones see earlier ones. */
static void test_one_txn_many_ops(void)
{
    db d;
    db_init(&d, "cat_many");
    cat_txn *tx;
    REQUIRE(cat_txn_begin(d.cat, &tx) == STRATA_OK);
    strata_kv_batch *b = strata_kv_batch_new();
    CHECK_EQ_INT(cat_create_namespace(tx, b, "bulk", CAT_NTS, 0), STRATA_OK);
    static const cat_column_def cols[] = {{"id", STRATA_TYPE_BIGINT, 0, 0, NULL},
                                          {"v", STRATA_TYPE_TEXT, 0, -1, NULL}};
    for (int i = 0; i < 300; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%03d", i);
        cat_table_def def = {"bulk", name, 2, cols, CAT_KIND_SHARED, 0, NULL, 0};
        const cat_table *t;
        CHECK_EQ_INT(cat_create_table(tx, b, &def, &t), STRATA_OK);
        CHECK(t && cat_table_by_id(cat_txn_snap(tx), t->id) == t);
    }
    CHECK_EQ_INT(cat_drop_table(tx, b, "bulk", CAT_NTS, "t007", CAT_NTS, 0), STRATA_OK);
    CHECK_EQ_INT(cat_create_namespace(tx, b, "BULK", CAT_NTS, 0), STRATA_EXISTS);
    REQUIRE(cat_txn_write(tx, NULL, b) == STRATA_OK);
    strata_kv_batch_free(b);
    for (int round = 0; round < 2; round++) {
        if (round) db_reopen(&d);
        const cat_snap *s = cat_snap_acquire(d.cat);
        CHECK_EQ_INT(cat_table_count(s), 5 + 299);
        CHECK(cat_find_table(s, "bulk", CAT_NTS, "t007", CAT_NTS) == NULL);
        CHECK(cat_find_table(s, "Bulk", CAT_NTS, "T299", CAT_NTS) != NULL);
        for (size_t i = 1; i < cat_table_count(s); i++)
            CHECK(cat_table_at(s, i - 1)->id < cat_table_at(s, i)->id);
        cat_snap_release(s);
    }
    db_fini(&d);
}

/* Readers take snapshots and read descriptors while a writer creates and drops tables: every
 * descriptor a reader holds stays intact (ASan would flag a use after free). */
typedef struct reader_arg {
    catalog *cat;
    atomic_int *stop;
    long seen;
    int bad;
} reader_arg;

static void *reader(void *p)
{
    reader_arg *a = p;
    while (!atomic_load(a->stop)) {
        const cat_snap *s = cat_snap_acquire(a->cat);
        for (size_t i = 0; i < cat_table_count(s); i++) {
            const cat_table *t = cat_table_at(s, i);
            if (t->kind == CAT_KIND_SYSTEM) continue;
            if (t->ncols != 2 || strcmp(t->cols[1].name, "v") != 0 || t->name[0] != 't') a->bad++;
            if (cat_find_table(s, t->ns_name, CAT_NTS, t->name, CAT_NTS) != t) a->bad++;
            a->seen++;
        }
        cat_snap_release(s);
    }
    return NULL;
}

static void test_concurrent_readers(void)
{
    db d;
    db_init(&d, "cat_conc");
    atomic_int stop;
    atomic_init(&stop, 0);
    reader_arg ra[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        ra[i] = (reader_arg){d.cat, &stop, 0, 0};
        pthread_create(&th[i], NULL, reader, &ra[i]);
    }
    for (int i = 0; i < 300; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%d", i % 7);
        if (create_simple(&d, NULL, name) != STRATA_OK) {
            name_arg drop = {NULL, name, 0, 0};
            CHECK_EQ_INT(run_ddl(&d, do_drop_table, &drop), STRATA_OK);
        }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(ra[i].bad, 0);
    }
    db_fini(&d);
}

TEST_MAIN(test_bootstrap_create_reopen, test_drop_recreate_truncate, test_namespaces_cascade,
          test_errors, test_abort_and_failed_commit, test_stable_snapshot, test_rowids,
          test_refresh_state_and_progress, test_system_tables_scan, test_corrupt_catalog_row,
          test_hostile_catalog_rows, test_one_txn_many_ops, test_concurrent_readers)
