/* tests/exec/table_test.c — scans and DML over a real strata_kv and catalog: INSERT (defaults,
 * NOT NULL, duplicate keys in the table and within the statement, ON CONFLICT), full scans,
 * primary-key get and range scans (EXPLAIN), UPDATE (also of the key), DELETE, DELETE without
 * WHERE as one range delete, tables without a primary key. */
#include "test.h"

#include "catalog/catalog.h"
#include "exec_testutil.h"
#include "util/status.h"

static char *dir;
static strata_kv *kv;
static catalog *cat;
static const cat_snap *snap;
static const cat_table *t, *r, *ck;
static exec_ctx ctx;

static int do_ddl(const cat_table_def *def)
{
    cat_txn *tx;
    REQUIRE(cat_txn_begin(cat, &tx) == STRATA_OK);
    strata_kv_batch *b = strata_kv_batch_new();
    int rc = cat_create_table(tx, b, def, NULL);
    if (rc == STRATA_OK)
        rc = cat_txn_write(tx, NULL, b);
    else
        cat_txn_abort(tx);
    strata_kv_batch_free(b);
    return rc;
}

static void open_db(void)
{
    dir = test_tmpdir("exec_table");
    strata_kv_options o;
    strata_kv_options_init(&o);
    o.background_compaction = 0;
    REQUIRE(strata_kv_open(dir, &o, &kv) == STRATA_OK);
    REQUIRE(cat_open(kv, &cat) == STRATA_OK);
    cat_column_def tc[3] = {{"id", STRATA_TYPE_INT, 1, 0, NULL},
                            {"name", STRATA_TYPE_TEXT, 1, -1, NULL},
                            {"v", STRATA_TYPE_BIGINT, 0, -1, NULL}};
    cat_option opt[1] = {{"vnodes", "4"}};
    cat_table_def td = {NULL, "t", 3, tc, CAT_KIND_SHARED, 1, opt, 0};
    REQUIRE(do_ddl(&td) == STRATA_OK);
    cat_column_def rc[2] = {{"a", STRATA_TYPE_INT, 0, -1, NULL},
                            {"b", STRATA_TYPE_TEXT, 0, -1, NULL}};
    cat_table_def rd = {NULL, "r", 2, rc, CAT_KIND_SHARED, 0, NULL, 0};
    REQUIRE(do_ddl(&rd) == STRATA_OK);
    cat_column_def cc[3] = {{"k1", STRATA_TYPE_TEXT, 1, 0, NULL},
                            {"k2", STRATA_TYPE_BIGINT, 1, 1, NULL},
                            {"v", STRATA_TYPE_DOUBLE, 0, -1, NULL}};
    cat_option copt[1] = {{"vnodes", "3"}};
    cat_table_def cd = {NULL, "ck", 3, cc, CAT_KIND_SHARED, 1, copt, 0};
    REQUIRE(do_ddl(&cd) == STRATA_OK);
    snap = cat_snap_acquire(cat);
    ck = cat_find_table(snap, "default", CAT_NTS, "ck", CAT_NTS);
    REQUIRE(ck);
    t = cat_find_table(snap, "default", CAT_NTS, "t", CAT_NTS);
    r = cat_find_table(snap, "default", CAT_NTS, "r", CAT_NTS);
    REQUIRE(t && r);
}

static void close_db(void)
{
    cat_snap_release(snap);
    cat_close(cat);
    strata_kv_close(kv);
    test_rmdir(dir);
    free(dir);
}

/* Runs plan as one statement: commits its batch on success. Returns the status. */
static int run(plan_node *plan)
{
    /* the context's arena holds the plans: keep it, reset the results */
    ctx.errcode = STRATA_OK;
    ctx.errmsg[0] = 0;
    ctx.changes = 0;
    ctx.kv = kv;
    ctx.catalog = cat;
    ctx.batch = strata_kv_batch_new();
    int rc = exec_run(&ctx, plan);
    if (rc == STRATA_OK && strata_kv_batch_count(ctx.batch))
        rc = strata_kv_write(kv, NULL, ctx.batch);
    strata_kv_batch_free(ctx.batch);
    ctx.batch = NULL;
    return rc;
}

static plan_node *scan(const cat_table *tab)
{
    plan_node *s = plan_node_new(&ctx.arena, PLAN_SCAN, (int)tab->ncols);
    s->u.scan.table = tab;
    s->u.scan.cols = arena_alloc(&ctx.arena, sizeof(int) * tab->ncols);
    for (uint32_t c = 0; c < tab->ncols; c++) {
        s->types[c] = tab->col_types[c];
        s->names[c] = tab->cols[c].name;
        s->u.scan.cols[c] = (int)c;
    }
    return s;
}

static plan_node *filter(plan_node *child, plan_expr *cond)
{
    plan_node *f = plan_node_new(&ctx.arena, PLAN_FILTER, child->ncols);
    memcpy(f->types, child->types, sizeof(int) * (size_t)child->ncols);
    f->left = child;
    f->u.filter.cond = cond;
    return f;
}

static plan_node *insert(const cat_table *tab, plan_node *src, int conflict)
{
    plan_node *p = plan_node_new(&ctx.arena, PLAN_INSERT, 0);
    p->left = src;
    p->u.insert.table = tab;
    p->u.insert.cols = arena_alloc(&ctx.arena, sizeof(int) * (size_t)src->ncols);
    for (int j = 0; j < src->ncols; j++) p->u.insert.cols[j] = j;
    p->u.insert.on_conflict = conflict;
    return p;
}

/* INSERT INTO t VALUES (i, 'name<i>', i * 10) for i in [from, to) */
static plan_node *insert_range(int from, int to, int conflict)
{
    int n = to - from;
    sql_value *c = malloc(sizeof(sql_value) * (size_t)n * 3);
    char *names = arena_alloc(&ctx.arena, (size_t)n * 16);
    for (int i = 0; i < n; i++) {
        char *nm = names + i * 16;
        int len = snprintf(nm, 16, "name%d", from + i);
        c[3 * i] = I(from + i);
        c[3 * i + 1] = sql_text(STRATA_TYPE_TEXT, nm, (uint32_t)len);
        c[3 * i + 2] = BI((int64_t)(from + i) * 10);
    }
    int types[3] = {STRATA_TYPE_INT, STRATA_TYPE_TEXT, STRATA_TYPE_BIGINT};
    plan_node *p = insert(t, tvalues(&ctx, 3, types, n, c), conflict);
    free(c);
    return p;
}

static plan_node *count_sum(plan_node *child, int col)
{
    plan_node *a = plan_node_new(&ctx.arena, PLAN_AGGREGATE, 2);
    a->left = child;
    a->u.aggregate.naggs = 2;
    a->u.aggregate.aggs = arena_alloc(&ctx.arena, sizeof(plan_agg) * 2);
    memset(a->u.aggregate.aggs, 0, sizeof(plan_agg) * 2);
    a->u.aggregate.aggs[0].fn = PLAN_AGG_COUNT_STAR;
    a->u.aggregate.aggs[0].type = STRATA_TYPE_BIGINT;
    a->u.aggregate.aggs[1].fn = PLAN_AGG_SUM;
    a->u.aggregate.aggs[1].arg = tcol(&ctx, col, child->types[col]);
    a->u.aggregate.aggs[1].type = STRATA_TYPE_BIGINT;
    a->types[0] = a->types[1] = STRATA_TYPE_BIGINT;
    return a;
}

static char *explain(plan_node *p)
{
    exec_op *op;
    if (exec_build(&ctx, p, &op)) return strdup(ctx.errmsg);
    char *s = exec_explain(op);
    exec_free(op);
    return s;
}

static plan_expr *id_col(void)
{
    return tcol(&ctx, 0, STRATA_TYPE_INT);
}

static void test_insert_and_scan(void)
{
    REQUIRE(run(insert_range(0, 3000, PLAN_CONFLICT_ERROR)) == STRATA_OK);
    CHECK_EQ_INT(ctx.changes, 3000);
    CHECK_ROWS(&ctx, count_sum(scan(t), 2), "3000|44985000\n");
    /* pk equality: one get */
    plan_node *q = filter(scan(t), tbin(&ctx, PLAN_OP_EQ, 1, id_col(), tconst(&ctx, I(1234))));
    char *ex = explain(q);
    CHECK(strstr(ex, "PK_GET") != NULL);
    free(ex);
    CHECK_ROWS(&ctx, q, "1234|name1234|12340\n");
    q = filter(scan(t), tbin(&ctx, PLAN_OP_EQ, 1, id_col(), tconst(&ctx, BI(99999))));
    CHECK_ROWS(&ctx, q, "");
    /* pk range: id >= 10 AND 20 < id (so id > 20), per-vnode seeks; rows come in vnode order */
    q = filter(scan(t),
               tbin(&ctx, PLAN_OP_AND, 1, tbin(&ctx, PLAN_OP_GE, 1, id_col(), tconst(&ctx, I(10))),
                    tbin(&ctx, PLAN_OP_LT, 1, tconst(&ctx, I(20)), id_col())));
    ex = explain(q);
    CHECK(strstr(ex, "PK_RANGE_SCAN") != NULL);
    free(ex);
    CHECK_ROWS(&ctx, count_sum(q, 0), "2979|4498290\n");
    q = filter(scan(t),
               tbin(&ctx, PLAN_OP_AND, 1, tbin(&ctx, PLAN_OP_GT, 1, id_col(), tconst(&ctx, I(10))),
                    tbin(&ctx, PLAN_OP_LE, 1, id_col(), tconst(&ctx, I(20)))));
    CHECK_ROWS(&ctx, count_sum(q, 0), "10|155\n");
    /* a filter on a non-key column */
    q = filter(scan(t), tbin(&ctx, PLAN_OP_LIKE, 1, tcol(&ctx, 1, STRATA_TYPE_TEXT),
                             tconst(&ctx, T("name29__"))));
    CHECK_ROWS(&ctx, count_sum(q, 0), "100|294950\n");
}

/* id IN (list): one multi-get of the distinct listed keys */
static void test_in_list_multi_get(void)
{
    plan_expr *in = plan_expr_new(&ctx.arena, PEX_IN_LIST, STRATA_TYPE_BOOLEAN);
    plan_expr *list[7] = {tconst(&ctx, I(5)),       tconst(&ctx, BI(2999)),
                          tconst(&ctx, I(5)),       tconst(&ctx, N(INT)),
                          tconst(&ctx, BI(123456)), tconst(&ctx, BI(INT64_C(1) << 40)),
                          tconst(&ctx, I(7))};
    in->u.in.arg = id_col();
    in->u.in.list = list;
    in->u.in.n = 7;
    plan_node *q = filter(scan(t), in);
    char *ex = explain(q);
    CHECK(strstr(ex, "PK_MULTI_GET") != NULL);
    free(ex);
    /* 5, 7, 2999 exist; duplicates, NULL, missing and out-of-range keys match nothing */
    CHECK_ROWS(&ctx, count_sum(q, 0), "3|3011\n");
    /* with another condition on top */
    q = filter(scan(t), tbin(&ctx, PLAN_OP_AND, 1, in,
                             tbin(&ctx, PLAN_OP_GT, 1, tcol(&ctx, 2, STRATA_TYPE_BIGINT),
                                  tconst(&ctx, BI(60)))));
    CHECK_ROWS(&ctx, count_sum(q, 0), "2|3006\n");
    /* a list longer than a chunk */
    enum { N = 5000 };
    plan_expr **big = arena_alloc(&ctx.arena, sizeof(plan_expr *) * N);
    for (int i = 0; i < N; i++) big[i] = tconst(&ctx, I(i * 2));
    plan_expr *in2 = plan_expr_new(&ctx.arena, PEX_IN_LIST, STRATA_TYPE_BOOLEAN);
    in2->u.in.arg = id_col();
    in2->u.in.list = big;
    in2->u.in.n = N;
    CHECK_ROWS(&ctx, count_sum(filter(scan(t), in2), 0), "1500|2248500\n");
}

static void test_duplicates(void)
{
    CHECK_EQ_INT(run(insert_range(2999, 3001, PLAN_CONFLICT_ERROR)), STRATA_CONSTRAINT);
    CHECK(strstr(ctx.errmsg, "duplicate primary key value in table default.t: (2999)") != NULL);
    CHECK_ROWS(&ctx, count_sum(scan(t), 0), "3000|4498500\n"); /* nothing of it committed */
    /* a duplicate within one statement */
    int types[3] = {STRATA_TYPE_INT, STRATA_TYPE_TEXT, STRATA_TYPE_BIGINT};
    sql_value c[6] = {I(5000), T("x"), BI(1), I(5000), T("y"), BI(2)};
    CHECK_EQ_INT(run(insert(t, tvalues(&ctx, 3, types, 2, c), PLAN_CONFLICT_ERROR)),
                 STRATA_CONSTRAINT);
    CHECK(strstr(ctx.errmsg, "(5000)") != NULL);
    /* ON CONFLICT DO NOTHING */
    CHECK_EQ_INT(run(insert_range(2990, 3010, PLAN_CONFLICT_NOTHING)), STRATA_OK);
    CHECK_EQ_INT(ctx.changes, 10);
    /* ON CONFLICT DO UPDATE SET v = existing.v + excluded.v WHERE existing.id < 3005 */
    plan_node *p = insert_range(3000, 3010, PLAN_CONFLICT_UPDATE);
    p->u.insert.nset = 1;
    p->u.insert.set_cols = arena_alloc(&ctx.arena, sizeof(int));
    p->u.insert.set_cols[0] = 2;
    p->u.insert.set_exprs = arena_alloc(&ctx.arena, sizeof(plan_expr *));
    p->u.insert.set_exprs[0] =
        tbin(&ctx, PLAN_OP_ADD, STRATA_TYPE_BIGINT, tcol(&ctx, 2, STRATA_TYPE_BIGINT),
             tcol(&ctx, 5, STRATA_TYPE_BIGINT));
    p->u.insert.set_where = tbin(&ctx, PLAN_OP_LT, 1, id_col(), tconst(&ctx, I(3005)));
    CHECK_EQ_INT(run(p), STRATA_OK);
    CHECK_EQ_INT(ctx.changes, 5);
    plan_node *q = filter(scan(t), tbin(&ctx, PLAN_OP_EQ, 1, id_col(), tconst(&ctx, I(3004))));
    CHECK_ROWS(&ctx, q, "3004|name3004|60080\n");
    q = filter(scan(t), tbin(&ctx, PLAN_OP_EQ, 1, id_col(), tconst(&ctx, I(3005))));
    CHECK_ROWS(&ctx, q, "3005|name3005|30050\n");
    /* NOT NULL */
    sql_value nn[3] = {I(7000), N(TEXT), BI(1)};
    CHECK_EQ_INT(run(insert(t, tvalues(&ctx, 3, types, 1, nn), PLAN_CONFLICT_ERROR)),
                 STRATA_CONSTRAINT);
    CHECK(strstr(ctx.errmsg, "NOT NULL constraint failed: default.t.name") != NULL);
}

static void test_update_and_delete(void)
{
    /* UPDATE t SET v = v + 1 WHERE id < 100 */
    plan_node *u = plan_node_new(&ctx.arena, PLAN_UPDATE, 0);
    u->left = filter(scan(t), tbin(&ctx, PLAN_OP_LT, 1, id_col(), tconst(&ctx, I(100))));
    u->u.update.table = t;
    u->u.update.nset = 1;
    u->u.update.set_cols = arena_alloc(&ctx.arena, sizeof(int));
    u->u.update.set_cols[0] = 2;
    u->u.update.set_exprs = arena_alloc(&ctx.arena, sizeof(plan_expr *));
    u->u.update.set_exprs[0] = tbin(&ctx, PLAN_OP_ADD, STRATA_TYPE_BIGINT,
                                    tcol(&ctx, 2, STRATA_TYPE_BIGINT), tconst(&ctx, BI(1)));
    CHECK_EQ_INT(run(u), STRATA_OK);
    CHECK_EQ_INT(ctx.changes, 100);
    plan_node *q = filter(scan(t), tbin(&ctx, PLAN_OP_LT, 1, id_col(), tconst(&ctx, I(100))));
    CHECK_ROWS(&ctx, count_sum(q, 2), "100|49600\n");
    /* UPDATE t SET id = id + 100000 WHERE id = 7: the key moves */
    u->left = filter(scan(t), tbin(&ctx, PLAN_OP_EQ, 1, id_col(), tconst(&ctx, I(7))));
    u->u.update.set_cols[0] = 0;
    u->u.update.set_exprs[0] =
        tbin(&ctx, PLAN_OP_ADD, STRATA_TYPE_INT, id_col(), tconst(&ctx, I(100000)));
    CHECK_EQ_INT(run(u), STRATA_OK);
    CHECK_ROWS(&ctx, filter(scan(t), tbin(&ctx, PLAN_OP_EQ, 1, id_col(), tconst(&ctx, I(7)))), "");
    CHECK_ROWS(&ctx, filter(scan(t), tbin(&ctx, PLAN_OP_EQ, 1, id_col(), tconst(&ctx, I(100007)))),
               "100007|name7|71\n");
    /* ... onto an existing key: duplicate */
    u->left = filter(scan(t), tbin(&ctx, PLAN_OP_EQ, 1, id_col(), tconst(&ctx, I(8))));
    u->u.update.set_exprs[0] = tconst(&ctx, I(9));
    CHECK_EQ_INT(run(u), STRATA_CONSTRAINT);
    /* DELETE FROM t WHERE id >= 1000 */
    plan_node *d = plan_node_new(&ctx.arena, PLAN_DELETE, 0);
    d->u.del.table = t;
    d->left = filter(scan(t), tbin(&ctx, PLAN_OP_GE, 1, id_col(), tconst(&ctx, I(1000))));
    CHECK_EQ_INT(run(d), STRATA_OK);
    CHECK_EQ_INT(ctx.changes, 2011);
    CHECK_ROWS(&ctx, count_sum(scan(t), 0), "999|499493\n");
    /* DELETE FROM t: one range delete */
    d->left = scan(t);
    char *ex = explain(d);
    CHECK(strstr(ex, "range delete") != NULL);
    free(ex);
    CHECK_EQ_INT(run(d), STRATA_OK);
    CHECK_EQ_INT(ctx.changes, 999);
    CHECK_ROWS(&ctx, count_sum(scan(t), 0), "0|NULL\n");
}

static void test_rowid_table(void)
{
    int types[2] = {STRATA_TYPE_INT, STRATA_TYPE_TEXT};
    sql_value c[6] = {I(1), T("a"), I(1), T("a"), N(INT), T("long text that is not inline")};
    CHECK_EQ_INT(run(insert(r, tvalues(&ctx, 2, types, 3, c), PLAN_CONFLICT_ERROR)), STRATA_OK);
    CHECK_EQ_INT(run(insert(r, tvalues(&ctx, 2, types, 3, c), PLAN_CONFLICT_ERROR)), STRATA_OK);
    CHECK_ROWS(&ctx, count_sum(scan(r), 0), "6|4\n");
    int cols[1] = {1};
    (void)cols;
    plan_node *f = filter(
        scan(r), plan_expr_unary(&ctx.arena, PLAN_OP_IS_NULL, 1, tcol(&ctx, 0, STRATA_TYPE_INT)));
    CHECK_ROWS(&ctx, f, "NULL|long text that is not inline\nNULL|long text that is not inline\n");
    plan_node *d = plan_node_new(&ctx.arena, PLAN_DELETE, 0);
    d->u.del.table = r;
    d->left = f;
    CHECK_EQ_INT(run(d), STRATA_OK);
    CHECK_EQ_INT(ctx.changes, 2);
    CHECK_ROWS(&ctx, count_sum(scan(r), 0), "4|4\n");
}

/* composite key (TEXT, BIGINT): get on both columns, ranges on the first */
static void test_composite_key(void)
{
    static const char *names[] = {"a", "b", "bb", "b\x01", "c", "long key value over twelve"};
    int types[3] = {STRATA_TYPE_TEXT, STRATA_TYPE_BIGINT, STRATA_TYPE_DOUBLE};
    sql_value c[6 * 4 * 3];
    int n = 0;
    for (int i = 0; i < 6; i++)
        for (int j = -2; j < 2; j++) {
            c[3 * n] = sql_text(STRATA_TYPE_TEXT, names[i], (uint32_t)strlen(names[i]));
            c[3 * n + 1] = BI(j);
            c[3 * n + 2] = D(i + j / 10.0);
            n++;
        }
    CHECK_EQ_INT(run(insert(ck, tvalues(&ctx, 3, types, n, c), PLAN_CONFLICT_ERROR)), STRATA_OK);
    plan_expr *k1 = tcol(&ctx, 0, STRATA_TYPE_TEXT), *k2 = tcol(&ctx, 1, STRATA_TYPE_BIGINT);
    plan_node *q = filter(scan(ck), tbin(&ctx, PLAN_OP_AND, 1,
                                         tbin(&ctx, PLAN_OP_EQ, 1, k1, tconst(&ctx, T("bb"))),
                                         tbin(&ctx, PLAN_OP_EQ, 1, k2, tconst(&ctx, BI(-1)))));
    char *ex = explain(q);
    CHECK(strstr(ex, "PK_GET") != NULL);
    free(ex);
    CHECK_ROWS(&ctx, q, "bb|-1|1.9\n");
    /* k1 > 'b' AND k1 <= 'c': bb, b\x01, c (4 rows each) */
    q = filter(scan(ck),
               tbin(&ctx, PLAN_OP_AND, 1, tbin(&ctx, PLAN_OP_GT, 1, k1, tconst(&ctx, T("b"))),
                    tbin(&ctx, PLAN_OP_LE, 1, k1, tconst(&ctx, T("c")))));
    ex = explain(q);
    CHECK(strstr(ex, "PK_RANGE_SCAN") != NULL);
    free(ex);
    CHECK_ROWS(&ctx, count_sum(q, 1), "12|-6\n");
    /* k1 >= 'b' AND k1 < 'bb': b, b\x01 */
    q = filter(scan(ck),
               tbin(&ctx, PLAN_OP_AND, 1, tbin(&ctx, PLAN_OP_GE, 1, k1, tconst(&ctx, T("b"))),
                    tbin(&ctx, PLAN_OP_LT, 1, k1, tconst(&ctx, T("bb")))));
    CHECK_ROWS(&ctx, count_sum(q, 1), "8|-4\n");
    /* k1 > 'long...' : nothing after the last; k1 < 'a': nothing */
    q = filter(scan(ck),
               tbin(&ctx, PLAN_OP_GT, 1, k1, tconst(&ctx, T("long key value over twelve"))));
    CHECK_ROWS(&ctx, count_sum(q, 1), "0|NULL\n");
    q = filter(scan(ck), tbin(&ctx, PLAN_OP_LT, 1, k1, tconst(&ctx, T("a"))));
    CHECK_ROWS(&ctx, count_sum(q, 1), "0|NULL\n");
    /* k1 = NULL matches nothing */
    q = filter(scan(ck),
               tbin(&ctx, PLAN_OP_AND, 1, tbin(&ctx, PLAN_OP_EQ, 1, k1, tconst(&ctx, N(TEXT))),
                    tbin(&ctx, PLAN_OP_EQ, 1, k2, tconst(&ctx, BI(0)))));
    CHECK_ROWS(&ctx, q, "");
    /* duplicate composite key */
    sql_value d[3] = {T("c"), BI(1), D(0)};
    CHECK_EQ_INT(run(insert(ck, tvalues(&ctx, 3, types, 1, d), PLAN_CONFLICT_ERROR)),
                 STRATA_CONSTRAINT);
    CHECK(strstr(ctx.errmsg, "(c, 1)") != NULL);
}

static void test_setup(void)
{
    exec_ctx_init(&ctx);
    open_db();
}

static void test_teardown(void)
{
    exec_ctx_free(&ctx);
    close_db();
}

TEST_MAIN(test_setup, test_insert_and_scan, test_in_list_multi_get, test_duplicates,
          test_update_and_delete, test_rowid_table, test_composite_key, test_teardown)
