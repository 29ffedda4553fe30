/* tests/exec/op_test.c — operators over in-memory VALUES sources, through the planner: sort,
 * top-N, limit, hash aggregate, joins of every kind, distinct, set operations, subqueries and
 * EXPLAIN. */
#include "test.h"

#include "exec_testutil.h"

static exec_ctx ctx;

static void setup(void)
{
    exec_ctx_free(&ctx);
    exec_ctx_init(&ctx);
}

/* t(a INT, b TEXT): (3,'c') (1,'a') (NULL,'n') (2,'b') (1,'z') */
static plan_node *table_t(void)
{
    int types[2] = {STRATA_TYPE_INT, STRATA_TYPE_TEXT};
    sql_value c[] = {I(3), T("c"), I(1), T("a"), N(INT), T("n"), I(2), T("b"), I(1), T("z")};
    return tvalues(&ctx, 2, types, 5, c);
}

/* u(x BIGINT, y TEXT): (1,'one') (2,'two') (2,'deux') (4,'four') (NULL,'null') */
static plan_node *table_u(void)
{
    int types[2] = {STRATA_TYPE_BIGINT, STRATA_TYPE_TEXT};
    sql_value c[] = {BI(1),     T("one"), BI(2),     T("two"),  BI(2),
                     T("deux"), BI(4),    T("four"), N(BIGINT), T("null")};
    return tvalues(&ctx, 2, types, 5, c);
}

static plan_node *sort_node(plan_node *child, int nkeys, const int *cols, const int *desc,
                            const int *nulls_first)
{
    plan_node *s = plan_node_new(&ctx.arena, PLAN_SORT, child->ncols);
    memcpy(s->types, child->types, sizeof(int) * (size_t)child->ncols);
    s->left = child;
    s->u.sort.nkeys = nkeys;
    s->u.sort.keys = arena_alloc(&ctx.arena, sizeof(plan_sort_key) * (size_t)nkeys);
    for (int k = 0; k < nkeys; k++) {
        s->u.sort.keys[k].expr = tcol(&ctx, cols[k], child->types[cols[k]]);
        s->u.sort.keys[k].desc = desc[k];
        s->u.sort.keys[k].nulls_first = nulls_first[k];
    }
    return s;
}

static plan_node *limit_node(plan_node *child, int64_t limit, int64_t offset)
{
    plan_node *l = plan_node_new(&ctx.arena, PLAN_LIMIT, child->ncols);
    memcpy(l->types, child->types, sizeof(int) * (size_t)child->ncols);
    l->left = child;
    l->u.limit.limit = limit >= 0 ? tconst(&ctx, BI(limit)) : NULL;
    l->u.limit.offset = offset ? tconst(&ctx, BI(offset)) : NULL;
    return l;
}

static void test_sort(void)
{
    setup();
    int cols[2] = {0, 1}, asc[2] = {0, 0}, desc[2] = {1, 1}, nl[2] = {0, 0}, nf[2] = {1, 1};
    CHECK_ROWS(&ctx, sort_node(table_t(), 2, cols, asc, nl), "1|a\n1|z\n2|b\n3|c\nNULL|n\n");
    CHECK_ROWS(&ctx, sort_node(table_t(), 2, cols, desc, nf), "NULL|n\n3|c\n2|b\n1|z\n1|a\n");
    /* stable: equal keys keep input order */
    CHECK_ROWS(&ctx, sort_node(table_t(), 1, cols, desc, nl), "3|c\n2|b\n1|a\n1|z\nNULL|n\n");
    /* top-N through the planner (ORDER BY a LIMIT 2 OFFSET 1) */
    plan_node *top = limit_node(sort_node(table_t(), 2, cols, asc, nl), 2, 1);
    CHECK_ROWS(&ctx, top, "1|z\n2|b\n");
    exec_op *op;
    REQUIRE(exec_build(&ctx, top, &op) == STRATA_OK);
    char *ex = exec_explain(op);
    CHECK(strstr(ex, "LIMIT") && strstr(ex, "TOP_N"));
    free(ex);
    exec_free(op);
    CHECK_ROWS(&ctx, limit_node(table_t(), 0, 0), "");
    CHECK_ROWS(&ctx, limit_node(table_t(), -1, 4), "1|z\n");
}

static void test_sort_many(void)
{
    setup();
    enum { ROWS = 10000 };
    int types[1] = {STRATA_TYPE_BIGINT};
    sql_value *c = malloc(sizeof(sql_value) * ROWS);
    for (int i = 0; i < ROWS; i++) c[i] = BI((int64_t)((i * 7919) % ROWS));
    plan_node *v = tvalues(&ctx, 1, types, ROWS, c);
    int cols[1] = {0}, desc[1] = {1}, nl[1] = {0};
    /* top 3 of 10000 descending, and the full sort's first rows */
    CHECK_ROWS(&ctx, limit_node(sort_node(v, 1, cols, desc, nl), 3, 0), "9999\n9998\n9997\n");
    char *all = trun(&ctx, sort_node(v, 1, cols, desc, nl));
    REQUIRE(all);
    int ok = 1, expect = ROWS - 1;
    for (char *p = all; *p; expect--) {
        ok &= atoi(p) == expect;
        p = strchr(p, '\n') + 1;
    }
    CHECK(ok && expect == -1);
    free(all);
    free(c);
}

static plan_node *agg_node(plan_node *child, int ngroups, plan_expr **groups, int naggs,
                           const plan_agg *aggs)
{
    plan_node *a = plan_node_new(&ctx.arena, PLAN_AGGREGATE, ngroups + naggs);
    a->left = child;
    a->u.aggregate.ngroups = ngroups;
    a->u.aggregate.groups = groups;
    a->u.aggregate.naggs = naggs;
    a->u.aggregate.aggs = (plan_agg *)aggs;
    for (int j = 0; j < ngroups; j++) a->types[j] = groups[j]->type;
    for (int k = 0; k < naggs; k++) a->types[ngroups + k] = aggs[k].type;
    return a;
}

static void test_aggregate(void)
{
    setup();
    plan_expr *g[1] = {tcol(&ctx, 0, STRATA_TYPE_INT)};
    plan_agg aggs[6] = {
        {PLAN_AGG_COUNT_STAR, 0, NULL, STRATA_TYPE_BIGINT},
        {PLAN_AGG_COUNT, 0, tcol(&ctx, 1, STRATA_TYPE_TEXT), STRATA_TYPE_BIGINT},
        {PLAN_AGG_MIN, 0, tcol(&ctx, 1, STRATA_TYPE_TEXT), STRATA_TYPE_TEXT},
        {PLAN_AGG_MAX, 0, tcol(&ctx, 1, STRATA_TYPE_TEXT), STRATA_TYPE_TEXT},
        {PLAN_AGG_SUM, 0, tcol(&ctx, 0, STRATA_TYPE_INT), STRATA_TYPE_BIGINT},
        {PLAN_AGG_AVG, 0, tcol(&ctx, 0, STRATA_TYPE_INT), STRATA_TYPE_DOUBLE},
    };
    int cols[1] = {0}, asc[1] = {0}, nl[1] = {1};
    /* GROUP BY a (integer fast path), groups ordered for the check */
    CHECK_ROWS(&ctx, sort_node(agg_node(table_t(), 1, g, 6, aggs), 1, cols, asc, nl),
               "NULL|1|1|n|n|NULL|NULL\n1|2|2|a|z|2|1\n2|1|1|b|b|2|2\n3|1|1|c|c|3|3\n");
    /* GROUP BY b (text keys) */
    plan_expr *gb[1] = {tcol(&ctx, 1, STRATA_TYPE_TEXT)};
    CHECK_ROWS(&ctx, sort_node(agg_node(table_t(), 1, gb, 1, aggs), 1, cols, asc, nl),
               "a|1\nb|1\nc|1\nn|1\nz|1\n");
    /* no GROUP BY over no rows: one row, count 0, sum NULL */
    plan_node *f = plan_node_new(&ctx.arena, PLAN_FILTER, 2);
    f->types[0] = STRATA_TYPE_INT;
    f->types[1] = STRATA_TYPE_TEXT;
    f->left = table_t();
    f->u.filter.cond = tconst(&ctx, B(0));
    CHECK_ROWS(&ctx, agg_node(f, 0, NULL, 6, aggs), "0|0|NULL|NULL|NULL|NULL\n");
    /* GROUP BY over no rows: no row */
    CHECK_ROWS(&ctx, agg_node(f, 1, g, 1, aggs), "");
    /* count(DISTINCT a), sum(DISTINCT a) */
    plan_agg dist[2] = {
        {PLAN_AGG_COUNT, 1, tcol(&ctx, 0, STRATA_TYPE_INT), STRATA_TYPE_BIGINT},
        {PLAN_AGG_SUM, 1, tcol(&ctx, 0, STRATA_TYPE_INT), STRATA_TYPE_BIGINT},
    };
    CHECK_ROWS(&ctx, agg_node(table_t(), 0, NULL, 2, dist), "3|6\n");
    /* sum overflow is an error */
    int types[1] = {STRATA_TYPE_BIGINT};
    sql_value big[2] = {BI(INT64_MAX), BI(1)};
    plan_agg sum[1] = {{PLAN_AGG_SUM, 0, tcol(&ctx, 0, STRATA_TYPE_BIGINT), STRATA_TYPE_BIGINT}};
    CHECK_FAILS(&ctx, agg_node(tvalues(&ctx, 1, types, 2, big), 0, NULL, 1, sum), STRATA_RANGE,
                "integer overflow");
    /* two keys (general path) */
    plan_expr *g2[2] = {tcol(&ctx, 0, STRATA_TYPE_INT),
                        plan_expr_unary(&ctx.arena, PLAN_OP_IS_NULL, STRATA_TYPE_BOOLEAN,
                                        tcol(&ctx, 0, STRATA_TYPE_INT))};
    CHECK_ROWS(&ctx, sort_node(agg_node(table_t(), 2, g2, 1, aggs), 1, cols, asc, nl),
               "NULL|true|1\n1|false|2\n2|false|1\n3|false|1\n");
}

static void test_aggregate_many_groups(void)
{
    setup();
    enum { ROWS = 20000 };
    int types[2] = {STRATA_TYPE_BIGINT, STRATA_TYPE_BIGINT};
    sql_value *c = malloc(sizeof(sql_value) * ROWS * 2);
    for (int i = 0; i < ROWS; i++) {
        c[2 * i] = BI(i % 3000);
        c[2 * i + 1] = BI(i);
    }
    plan_expr *g[1] = {tcol(&ctx, 0, STRATA_TYPE_BIGINT)};
    plan_agg aggs[2] = {{PLAN_AGG_COUNT_STAR, 0, NULL, STRATA_TYPE_BIGINT},
                        {PLAN_AGG_SUM, 0, tcol(&ctx, 1, STRATA_TYPE_BIGINT), STRATA_TYPE_BIGINT}};
    plan_node *a = agg_node(tvalues(&ctx, 2, types, ROWS, c), 1, g, 2, aggs);
    plan_agg outer[3] = {{PLAN_AGG_COUNT_STAR, 0, NULL, STRATA_TYPE_BIGINT},
                         {PLAN_AGG_SUM, 0, tcol(&ctx, 1, STRATA_TYPE_BIGINT), STRATA_TYPE_BIGINT},
                         {PLAN_AGG_SUM, 0, tcol(&ctx, 2, STRATA_TYPE_BIGINT), STRATA_TYPE_BIGINT}};
    /* 3000 groups; counts add up to ROWS; sums to 0 + 1 + ... + ROWS-1 */
    char want[64];
    snprintf(want, sizeof want, "3000|%d|%lld\n", ROWS, (long long)ROWS * (ROWS - 1) / 2);
    CHECK_ROWS(&ctx, agg_node(a, 0, NULL, 3, outer), want);
    free(c);
}

static plan_node *join_node(plan_node *l, plan_node *r, int type, plan_expr *cond)
{
    int mark = type == PLAN_JOIN_MARK, lonly = type == PLAN_JOIN_SEMI || type == PLAN_JOIN_ANTI;
    int n = l->ncols + (lonly ? 0 : mark ? 1 : r->ncols);
    plan_node *j = plan_node_new(&ctx.arena, PLAN_JOIN, n);
    memcpy(j->types, l->types, sizeof(int) * (size_t)l->ncols);
    if (mark)
        j->types[l->ncols] = STRATA_TYPE_BOOLEAN;
    else if (!lonly)
        memcpy(j->types + l->ncols, r->types, sizeof(int) * (size_t)r->ncols);
    j->left = l;
    j->right = r;
    j->u.join.type = type;
    j->u.join.cond = cond;
    return j;
}

static plan_node *sorted_all(plan_node *p)
{
    int cols[4] = {0, 1, 2, 3}, asc[4] = {0, 0, 0, 0}, nl[4] = {0, 0, 0, 0};
    return sort_node(p, p->ncols < 4 ? p->ncols : 4, cols, asc, nl);
}

static void test_joins(void)
{
    setup();
    /* t.a = u.x (INT = BIGINT keys) */
#define EQ()                                                                                       \
    tbin(&ctx, PLAN_OP_EQ, 1, tcol(&ctx, 0, STRATA_TYPE_INT), tcol(&ctx, 2, STRATA_TYPE_BIGINT))
    CHECK_ROWS(&ctx, sorted_all(join_node(table_t(), table_u(), PLAN_JOIN_INNER, EQ())),
               "1|a|1|one\n1|z|1|one\n2|b|2|deux\n2|b|2|two\n");
    CHECK_ROWS(&ctx, sorted_all(join_node(table_t(), table_u(), PLAN_JOIN_LEFT, EQ())),
               "1|a|1|one\n1|z|1|one\n2|b|2|deux\n2|b|2|two\n3|c|NULL|NULL\nNULL|n|NULL|NULL\n");
    CHECK_ROWS(&ctx, sorted_all(join_node(table_t(), table_u(), PLAN_JOIN_SEMI, EQ())),
               "1|a\n1|z\n2|b\n");
    CHECK_ROWS(&ctx, sorted_all(join_node(table_t(), table_u(), PLAN_JOIN_ANTI, EQ())),
               "3|c\nNULL|n\n");
    /* mark: a IN (SELECT x FROM u) with u.x holding a NULL: no match is NULL, not FALSE */
    CHECK_ROWS(&ctx, sorted_all(join_node(table_t(), table_u(), PLAN_JOIN_MARK, EQ())),
               "1|a|true\n1|z|true\n2|b|true\n3|c|NULL\nNULL|n|NULL\n");
    /* residual: t.a = u.x AND u.y <> 'two' */
    plan_expr *res =
        tbin(&ctx, PLAN_OP_AND, 1, EQ(),
             tbin(&ctx, PLAN_OP_NE, 1, tcol(&ctx, 3, STRATA_TYPE_TEXT), tconst(&ctx, T("two"))));
    CHECK_ROWS(&ctx, sorted_all(join_node(table_t(), table_u(), PLAN_JOIN_INNER, res)),
               "1|a|1|one\n1|z|1|one\n2|b|2|deux\n");
    /* non-equi: nested loop (t.a > u.x) */
    plan_expr *gt = tbin(&ctx, PLAN_OP_GT, 1, tcol(&ctx, 0, STRATA_TYPE_INT),
                         tcol(&ctx, 2, STRATA_TYPE_BIGINT));
    plan_node *nlj = join_node(table_t(), table_u(), PLAN_JOIN_INNER, gt);
    CHECK_ROWS(&ctx, sorted_all(nlj), "2|b|1|one\n3|c|1|one\n3|c|2|deux\n3|c|2|two\n");
    exec_op *op;
    REQUIRE(exec_build(&ctx, nlj, &op) == STRATA_OK);
    char *ex = exec_explain(op);
    CHECK(strstr(ex, "NESTED_LOOP_JOIN") != NULL);
    free(ex);
    exec_free(op);
    /* cross join count */
    plan_agg cnt[1] = {{PLAN_AGG_COUNT_STAR, 0, NULL, STRATA_TYPE_BIGINT}};
    CHECK_ROWS(&ctx,
               agg_node(join_node(table_t(), table_u(), PLAN_JOIN_CROSS, NULL), 0, NULL, 1, cnt),
               "25\n");
    /* anti join with an empty right side keeps everything; mark gives FALSE */
    plan_node *empty = plan_node_new(&ctx.arena, PLAN_FILTER, 2);
    empty->types[0] = STRATA_TYPE_BIGINT;
    empty->types[1] = STRATA_TYPE_TEXT;
    empty->left = table_u();
    empty->u.filter.cond = tconst(&ctx, B(0));
    CHECK_ROWS(&ctx, agg_node(join_node(table_t(), empty, PLAN_JOIN_ANTI, EQ()), 0, NULL, 1, cnt),
               "5\n");
    CHECK_ROWS(&ctx, sorted_all(join_node(table_t(), empty, PLAN_JOIN_MARK, EQ())),
               "1|a|false\n1|z|false\n2|b|false\n3|c|false\nNULL|n|false\n");
#undef EQ
}

/* a tiny left input is the build side; pairs keep the left ++ right layout */
static void test_join_build_left(void)
{
    setup();
    int t2[2] = {STRATA_TYPE_INT, STRATA_TYPE_TEXT};
    sql_value small[4] = {I(7), T("seven"), I(3), T("three")};
    plan_node *l = tvalues(&ctx, 2, t2, 2, small);
    enum { BIG = 100 };
    int tb[2] = {STRATA_TYPE_BIGINT, STRATA_TYPE_BIGINT};
    sql_value cells[2 * BIG];
    for (int i = 0; i < BIG; i++) {
        cells[2 * i] = BI(i % 10);
        cells[2 * i + 1] = BI(i);
    }
    plan_node *r = tvalues(&ctx, 2, tb, BIG, cells);
    /* l.a = r.k AND r.v > 50 */
    plan_expr *cond = tbin(&ctx, PLAN_OP_AND, 1,
                           tbin(&ctx, PLAN_OP_EQ, 1, tcol(&ctx, 2, STRATA_TYPE_BIGINT),
                                tcol(&ctx, 0, STRATA_TYPE_INT)),
                           tbin(&ctx, PLAN_OP_GT, 1, tcol(&ctx, 3, STRATA_TYPE_BIGINT),
                                tcol(&ctx, 0, STRATA_TYPE_INT)));
    plan_node *j = join_node(l, r, PLAN_JOIN_INNER, cond);
    exec_op *op;
    REQUIRE(exec_build(&ctx, j, &op) == STRATA_OK);
    char *ex = exec_explain(op);
    CHECK(strstr(ex, "build left") != NULL);
    free(ex);
    exec_free(op);
    CHECK_ROWS(&ctx, sorted_all(j),
               "3|three|3|13\n3|three|3|23\n3|three|3|33\n3|three|3|43\n3|three|3|53\n"
               "3|three|3|63\n3|three|3|73\n3|three|3|83\n3|three|3|93\n"
               "7|seven|7|17\n7|seven|7|27\n7|seven|7|37\n7|seven|7|47\n7|seven|7|57\n"
               "7|seven|7|67\n7|seven|7|77\n7|seven|7|87\n7|seven|7|97\n");
}

/* a filter over a cross join becomes a hash join, single-table conjuncts go below it */
static void test_planner_pushdown(void)
{
    setup();
    plan_node *cross = join_node(table_t(), table_u(), PLAN_JOIN_CROSS, NULL);
    plan_node *f = plan_node_new(&ctx.arena, PLAN_FILTER, 4);
    memcpy(f->types, cross->types, sizeof(int) * 4);
    f->left = cross;
    f->u.filter.cond =
        tbin(&ctx, PLAN_OP_AND, 1,
             tbin(&ctx, PLAN_OP_EQ, 1, tcol(&ctx, 2, STRATA_TYPE_BIGINT),
                  tcol(&ctx, 0, STRATA_TYPE_INT)),
             tbin(&ctx, PLAN_OP_NE, 1, tcol(&ctx, 3, STRATA_TYPE_TEXT), tconst(&ctx, T("two"))));
    exec_op *op;
    REQUIRE(exec_build(&ctx, f, &op) == STRATA_OK);
    char *ex = exec_explain(op);
    CHECK_EQ_STR(ex, "HASH_JOIN inner, 1 key\n  VALUES 5 rows\n  FILTER\n    VALUES 5 rows\n");
    free(ex);
    exec_free(op);
    CHECK_ROWS(&ctx, sorted_all(f), "1|a|1|one\n1|z|1|one\n2|b|2|deux\n");
}

static plan_node *setop_node(plan_node *l, plan_node *r, int op, int all)
{
    plan_node *s = plan_node_new(&ctx.arena, PLAN_SETOP, l->ncols);
    memcpy(s->types, l->types, sizeof(int) * (size_t)l->ncols);
    s->left = l;
    s->right = r;
    s->u.setop.op = op;
    s->u.setop.all = all;
    return s;
}

static plan_node *ints(int n, const int *v)
{
    int types[1] = {STRATA_TYPE_INT};
    sql_value c[16];
    for (int i = 0; i < n; i++) c[i] = v[i] < 0 ? N(INT) : I(v[i]);
    return tvalues(&ctx, 1, types, n, c);
}

static void test_set_ops(void)
{
    setup();
    int a[] = {1, 2, 2, 3, -1, -1}, b[] = {2, 3, 3, 4, -1};
    CHECK_ROWS(&ctx, sorted_all(setop_node(ints(6, a), ints(5, b), PLAN_SET_UNION, 0)),
               "1\n2\n3\n4\nNULL\n");
    CHECK_ROWS(&ctx, sorted_all(setop_node(ints(6, a), ints(5, b), PLAN_SET_UNION, 1)),
               "1\n2\n2\n2\n3\n3\n3\n4\nNULL\nNULL\nNULL\n");
    CHECK_ROWS(&ctx, sorted_all(setop_node(ints(6, a), ints(5, b), PLAN_SET_INTERSECT, 0)),
               "2\n3\nNULL\n");
    CHECK_ROWS(&ctx, sorted_all(setop_node(ints(6, a), ints(5, b), PLAN_SET_EXCEPT, 0)), "1\n");
    CHECK_ROWS(&ctx, sorted_all(setop_node(ints(6, a), ints(5, b), PLAN_SET_INTERSECT, 1)),
               "2\n3\nNULL\n");
    CHECK_ROWS(&ctx, sorted_all(setop_node(ints(6, a), ints(5, b), PLAN_SET_EXCEPT, 1)),
               "1\n2\nNULL\n");
    plan_node *d = plan_node_new(&ctx.arena, PLAN_DISTINCT, 1);
    d->types[0] = STRATA_TYPE_INT;
    d->left = ints(6, a);
    CHECK_ROWS(&ctx, d, "1\n2\n3\nNULL\n");
}

static plan_node *sub_plan_u_x(plan_expr *where)
{
    /* SELECT x FROM u [WHERE where] */
    plan_node *u = table_u();
    if (where) {
        plan_node *f = plan_node_new(&ctx.arena, PLAN_FILTER, 2);
        memcpy(f->types, u->types, sizeof(int) * 2);
        f->left = u;
        f->u.filter.cond = where;
        u = f;
    }
    plan_expr *x = tcol(&ctx, 0, STRATA_TYPE_BIGINT);
    return tproject(&ctx, u, 1, &x);
}

static void test_subqueries(void)
{
    setup();
    /* a IN (SELECT x FROM u), NOT IN, EXISTS correlated, scalar correlated */
    plan_expr *in = plan_expr_new(&ctx.arena, PEX_SUBQUERY, STRATA_TYPE_BOOLEAN);
    in->u.sub.kind = PLAN_SUB_IN;
    in->u.sub.plan = sub_plan_u_x(NULL);
    in->u.sub.lhs = tcol(&ctx, 0, STRATA_TYPE_INT);
    plan_expr *notin = plan_expr_new(&ctx.arena, PEX_SUBQUERY, STRATA_TYPE_BOOLEAN);
    *notin = *in;
    notin->u.sub.negated = 1;
    notin->u.sub.plan = sub_plan_u_x(
        tbin(&ctx, PLAN_OP_IS_NOT_DISTINCT, 1,
             plan_expr_unary(&ctx.arena, PLAN_OP_IS_NULL, 1, tcol(&ctx, 0, STRATA_TYPE_BIGINT)),
             tconst(&ctx, B(0))));
    /* EXISTS (SELECT x FROM u WHERE u.x = t.a + 1) */
    plan_expr *outer = plan_expr_new(&ctx.arena, PEX_OUTER, STRATA_TYPE_INT);
    outer->u.outer.depth = 1;
    outer->u.outer.index = 0;
    plan_expr *ex = plan_expr_new(&ctx.arena, PEX_SUBQUERY, STRATA_TYPE_BOOLEAN);
    ex->u.sub.kind = PLAN_SUB_EXISTS;
    ex->u.sub.correlated = 1;
    ex->u.sub.plan =
        sub_plan_u_x(tbin(&ctx, PLAN_OP_EQ, 1, tcol(&ctx, 0, STRATA_TYPE_BIGINT),
                          tbin(&ctx, PLAN_OP_ADD, STRATA_TYPE_INT, outer, tconst(&ctx, I(1)))));
    /* (SELECT count(*) FROM u WHERE u.x <= t.a) */
    plan_expr *outer2 = plan_expr_new(&ctx.arena, PEX_OUTER, STRATA_TYPE_INT);
    outer2->u.outer.depth = 1;
    outer2->u.outer.index = 0;
    plan_node *cf =
        sub_plan_u_x(tbin(&ctx, PLAN_OP_LE, 1, tcol(&ctx, 0, STRATA_TYPE_BIGINT), outer2));
    plan_agg cnt[1] = {{PLAN_AGG_COUNT_STAR, 0, NULL, STRATA_TYPE_BIGINT}};
    plan_expr *sc = plan_expr_new(&ctx.arena, PEX_SUBQUERY, STRATA_TYPE_BIGINT);
    sc->u.sub.kind = PLAN_SUB_SCALAR;
    sc->u.sub.correlated = 1;
    sc->u.sub.plan = agg_node(cf, 0, NULL, 1, cnt);
    plan_expr *e[5] = {tcol(&ctx, 0, STRATA_TYPE_INT), in, notin, ex, sc};
    CHECK_ROWS(
        &ctx, tproject(&ctx, table_t(), 5, e),
        "3|NULL|true|true|3\n1|true|false|true|1\nNULL|NULL|NULL|false|0\n2|true|false|false|3\n"
        "1|true|false|true|1\n");
}

/* WHERE [NOT] EXISTS (SELECT x FROM u WHERE u.x = t.a + 1) becomes a semi (anti) join */
static void test_unnesting(void)
{
    setup();
    for (int neg = 0; neg < 2; neg++) {
        plan_expr *outer = plan_expr_new(&ctx.arena, PEX_OUTER, STRATA_TYPE_INT);
        outer->u.outer.depth = 1;
        outer->u.outer.index = 0;
        plan_expr *ex = plan_expr_new(&ctx.arena, PEX_SUBQUERY, STRATA_TYPE_BOOLEAN);
        ex->u.sub.kind = PLAN_SUB_EXISTS;
        ex->u.sub.correlated = 1;
        ex->u.sub.negated = neg;
        ex->u.sub.plan = sub_plan_u_x(tbin(
            &ctx, PLAN_OP_AND, 1,
            tbin(&ctx, PLAN_OP_EQ, 1, tcol(&ctx, 0, STRATA_TYPE_BIGINT),
                 tbin(&ctx, PLAN_OP_ADD, STRATA_TYPE_INT, outer, tconst(&ctx, I(1)))),
            tbin(&ctx, PLAN_OP_NE, 1, tcol(&ctx, 1, STRATA_TYPE_TEXT), tconst(&ctx, T("one")))));
        plan_node *f = plan_node_new(&ctx.arena, PLAN_FILTER, 2);
        f->types[0] = STRATA_TYPE_INT;
        f->types[1] = STRATA_TYPE_TEXT;
        f->left = table_t();
        f->u.filter.cond = ex;
        exec_op *op;
        REQUIRE(exec_build(&ctx, f, &op) == STRATA_OK);
        char *exp = exec_explain(op);
        CHECK(strstr(exp, neg ? "HASH_JOIN anti" : "HASH_JOIN semi") != NULL);
        free(exp);
        exec_free(op);
        /* t.a + 1 in {2 (two, deux), 4}: a = 1 (twice) and a = 3 */
        CHECK_ROWS(&ctx, sorted_all(f), neg ? "2|b\nNULL|n\n" : "1|a\n1|z\n3|c\n");
    }
}

/* SELECT a, (SELECT count(*) FROM u WHERE u.x = t.a), (SELECT max(y) ...) FROM t:
 * left joins with grouped aggregates */
static void test_scalar_decorrelation(void)
{
    setup();
    plan_expr *sub[2];
    for (int k = 0; k < 2; k++) {
        plan_expr *outer = plan_expr_new(&ctx.arena, PEX_OUTER, STRATA_TYPE_INT);
        outer->u.outer.depth = 1;
        outer->u.outer.index = 0;
        plan_node *f = plan_node_new(&ctx.arena, PLAN_FILTER, 2);
        f->types[0] = STRATA_TYPE_BIGINT;
        f->types[1] = STRATA_TYPE_TEXT;
        f->left = table_u();
        f->u.filter.cond = tbin(&ctx, PLAN_OP_EQ, 1, tcol(&ctx, 0, STRATA_TYPE_BIGINT), outer);
        plan_agg *ag = arena_alloc(&ctx.arena, sizeof(plan_agg));
        memset(ag, 0, sizeof *ag);
        if (k == 0) {
            ag->fn = PLAN_AGG_COUNT_STAR;
            ag->type = STRATA_TYPE_BIGINT;
        } else {
            ag->fn = PLAN_AGG_MAX;
            ag->arg = tcol(&ctx, 1, STRATA_TYPE_TEXT);
            ag->type = STRATA_TYPE_TEXT;
        }
        sub[k] = plan_expr_new(&ctx.arena, PEX_SUBQUERY, ag->type);
        sub[k]->u.sub.kind = PLAN_SUB_SCALAR;
        sub[k]->u.sub.correlated = 1;
        sub[k]->u.sub.plan = agg_node(f, 0, NULL, 1, ag);
    }
    plan_expr *e[3] = {tcol(&ctx, 0, STRATA_TYPE_INT), sub[0], sub[1]};
    plan_node *p = tproject(&ctx, table_t(), 3, e);
    exec_op *op;
    REQUIRE(exec_build(&ctx, p, &op) == STRATA_OK);
    char *exp = exec_explain(op);
    CHECK(strstr(exp, "HASH_JOIN left") != NULL);
    free(exp);
    exec_free(op);
    CHECK_ROWS(&ctx, sorted_all(p), "1|1|one\n1|1|one\n2|2|two\n3|0|NULL\nNULL|0|NULL\n");
    /* in a WHERE: t.a where (SELECT count(*) ...) = 2 */
    plan_node *f = plan_node_new(&ctx.arena, PLAN_FILTER, 2);
    f->types[0] = STRATA_TYPE_INT;
    f->types[1] = STRATA_TYPE_TEXT;
    f->left = table_t();
    f->u.filter.cond = tbin(&ctx, PLAN_OP_EQ, 1, sub[0], tconst(&ctx, BI(2)));
    CHECK_ROWS(&ctx, f, "2|b\n");
}

/* a tree runs again with other parameters: LIMIT ? on top-N, uncorrelated IN (... WHERE ?) */
static void test_rerun_with_parameters(void)
{
    setup();
    int cols[1] = {0}, asc[1] = {0}, nl[1] = {0};
    plan_node *lim = limit_node(sort_node(table_t(), 1, cols, asc, nl), 0, 0);
    plan_expr *p1 = plan_expr_new(&ctx.arena, PEX_PARAM, STRATA_TYPE_BIGINT);
    p1->u.param.index = 1;
    lim->u.limit.limit = p1;
    /* WHERE a IN (SELECT x FROM u WHERE x <> ?2) */
    plan_expr *p2 = plan_expr_new(&ctx.arena, PEX_PARAM, STRATA_TYPE_BIGINT);
    p2->u.param.index = 2;
    plan_expr *in = plan_expr_new(&ctx.arena, PEX_SUBQUERY, STRATA_TYPE_BOOLEAN);
    in->u.sub.kind = PLAN_SUB_IN;
    in->u.sub.plan = sub_plan_u_x(tbin(&ctx, PLAN_OP_NE, 1, tcol(&ctx, 0, STRATA_TYPE_BIGINT), p2));
    in->u.sub.lhs = tcol(&ctx, 0, STRATA_TYPE_INT);
    plan_node *f = plan_node_new(&ctx.arena, PLAN_FILTER, 2);
    f->types[0] = STRATA_TYPE_INT;
    f->types[1] = STRATA_TYPE_TEXT;
    f->left = lim;
    f->u.filter.cond = in;
    exec_op *op;
    REQUIRE(exec_build(&ctx, f, &op) == STRATA_OK);
    const char *want[2] = {"1|a\n1|z\n", "2|b\n"};
    int64_t lims[2] = {3, 4}, excl[2] = {2, 1};
    for (int run = 0; run < 2; run++) {
        sql_value params[2] = {BI(lims[run]), BI(excl[run])};
        ctx.params = params;
        ctx.nparams = 2;
        exec_new_run(&ctx);
        char got[256] = "";
        int rc = exec_open(op, &ctx);
        while (!rc) {
            exec_chunk *c;
            rc = exec_next(op, &ctx, &c);
            if (rc || !c->count) break;
            for (size_t i = 0; i < c->count; i++) {
                size_t r = exec_chunk_row(c, i);
                sql_value a = exec_vector_get_value(&c->cols[0], r),
                          b = exec_vector_get_value(&c->cols[1], r);
                tfmt(got, sizeof got, &a);
                strcat(got, "|");
                tfmt(got, sizeof got, &b);
                strcat(got, "\n");
            }
        }
        exec_close(op, &ctx);
        CHECK_EQ_INT(rc, STRATA_OK);
        CHECK_EQ_STR(got, want[run]);
    }
    exec_free(op);
    ctx.params = NULL;
    ctx.nparams = 0;
}

static void test_done(void)
{
    exec_ctx_free(&ctx);
    memset(&ctx, 0, sizeof ctx);
}

TEST_MAIN(test_sort, test_sort_many, test_aggregate, test_aggregate_many_groups, test_joins,
          test_join_build_left, test_planner_pushdown, test_set_ops, test_subqueries,
          test_unnesting, test_scalar_decorrelation, test_rerun_with_parameters, test_done)
