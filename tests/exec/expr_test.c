/* tests/exec/expr_test.c — vectorized expressions: three-valued logic, overflow, division by
 * zero, promotion, casts, LIKE, functions, CASE / AND guards, filters. */
#include "test.h"

#include <stdint.h>

#include "exec_testutil.h"

static exec_ctx ctx;

static void setup(void)
{
    exec_ctx_free(&ctx);
    exec_ctx_init(&ctx);
}

/* SELECT op(a, b) over a VALUES table of all pairs */
static void test_three_valued_logic(void)
{
    setup();
    sql_value vals[] = {B(1), B(0), N(BOOLEAN)};
    sql_value cells[18];
    int k = 0;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            cells[k++] = vals[a];
            cells[k++] = vals[b];
        }
    int types[2] = {STRATA_TYPE_BOOLEAN, STRATA_TYPE_BOOLEAN};
    plan_node *v = tvalues(&ctx, 2, types, 9, cells);
    plan_expr *e[3] = {
        tbin(&ctx, PLAN_OP_AND, STRATA_TYPE_BOOLEAN, tcol(&ctx, 0, 1), tcol(&ctx, 1, 1)),
        tbin(&ctx, PLAN_OP_OR, STRATA_TYPE_BOOLEAN, tcol(&ctx, 0, 1), tcol(&ctx, 1, 1)),
        plan_expr_unary(&ctx.arena, PLAN_OP_NOT, STRATA_TYPE_BOOLEAN, tcol(&ctx, 1, 1)),
    };
    CHECK_ROWS(&ctx, tproject(&ctx, v, 3, e),
               "true|true|false\n"
               "false|true|true\n"
               "NULL|true|NULL\n"
               "false|true|false\n"
               "false|false|true\n"
               "false|NULL|NULL\n"
               "NULL|true|false\n"
               "false|NULL|true\n"
               "NULL|NULL|NULL\n");
    /* IS NULL / IS NOT DISTINCT FROM never yield NULL */
    plan_expr *f[2] = {
        plan_expr_unary(&ctx.arena, PLAN_OP_IS_NULL, STRATA_TYPE_BOOLEAN, tcol(&ctx, 0, 1)),
        tbin(&ctx, PLAN_OP_IS_NOT_DISTINCT, STRATA_TYPE_BOOLEAN, tcol(&ctx, 0, 1),
             tcol(&ctx, 1, 1)),
    };
    CHECK_ROWS(&ctx, tproject(&ctx, v, 2, f),
               "false|true\nfalse|false\nfalse|false\n"
               "false|false\nfalse|true\nfalse|false\n"
               "true|false\ntrue|false\ntrue|true\n");
}

static void test_arithmetic(void)
{
    setup();
    /* integer division truncates, modulo keeps the sign of the dividend */
    plan_expr *e =
        tbin(&ctx, PLAN_OP_DIV, STRATA_TYPE_INT, tconst(&ctx, I(-7)), tconst(&ctx, I(2)));
    CHECK_ROWS(&ctx, tselect1(&ctx, e), "-3\n");
    e = tbin(&ctx, PLAN_OP_MOD, STRATA_TYPE_INT, tconst(&ctx, I(-7)), tconst(&ctx, I(2)));
    CHECK_ROWS(&ctx, tselect1(&ctx, e), "-1\n");
    /* promotion INT + BIGINT, INT * DOUBLE */
    e = tbin(&ctx, PLAN_OP_ADD, STRATA_TYPE_BIGINT, tconst(&ctx, I(INT32_MAX)),
             tconst(&ctx, BI(1)));
    CHECK_ROWS(&ctx, tselect1(&ctx, e), "2147483648\n");
    e = tbin(&ctx, PLAN_OP_MUL, STRATA_TYPE_DOUBLE, tconst(&ctx, I(3)), tconst(&ctx, D(0.5)));
    CHECK_ROWS(&ctx, tselect1(&ctx, e), "1.5\n");
    /* NULL propagates */
    e = tbin(&ctx, PLAN_OP_ADD, STRATA_TYPE_INT, tconst(&ctx, I(1)), tconst(&ctx, N(INT)));
    CHECK_ROWS(&ctx, tselect1(&ctx, e), "NULL\n");
    /* NULL / 0 is NULL, not an error */
    e = tbin(&ctx, PLAN_OP_DIV, STRATA_TYPE_INT, tconst(&ctx, N(INT)), tconst(&ctx, I(0)));
    CHECK_ROWS(&ctx, tselect1(&ctx, e), "NULL\n");
}

static void test_overflow_and_division_by_zero(void)
{
    setup();
    plan_expr *e =
        tbin(&ctx, PLAN_OP_ADD, STRATA_TYPE_INT, tconst(&ctx, I(INT32_MAX)), tconst(&ctx, I(1)));
    CHECK_FAILS(&ctx, tselect1(&ctx, e), STRATA_RANGE, "integer overflow");
    e = tbin(&ctx, PLAN_OP_MUL, STRATA_TYPE_BIGINT, tconst(&ctx, BI(INT64_MAX / 2)),
             tconst(&ctx, BI(3)));
    CHECK_FAILS(&ctx, tselect1(&ctx, e), STRATA_RANGE, "integer overflow");
    e = tbin(&ctx, PLAN_OP_SUB, STRATA_TYPE_BIGINT, tconst(&ctx, BI(INT64_MIN)),
             tconst(&ctx, BI(1)));
    CHECK_FAILS(&ctx, tselect1(&ctx, e), STRATA_RANGE, "integer overflow");
    e = plan_expr_unary(&ctx.arena, PLAN_OP_NEG, STRATA_TYPE_BIGINT, tconst(&ctx, BI(INT64_MIN)));
    CHECK_FAILS(&ctx, tselect1(&ctx, e), STRATA_RANGE, "integer overflow");
    e = tbin(&ctx, PLAN_OP_DIV, STRATA_TYPE_BIGINT, tconst(&ctx, BI(INT64_MIN)),
             tconst(&ctx, BI(-1)));
    CHECK_FAILS(&ctx, tselect1(&ctx, e), STRATA_RANGE, "integer overflow");
    e = tbin(&ctx, PLAN_OP_DIV, STRATA_TYPE_INT, tconst(&ctx, I(1)), tconst(&ctx, I(0)));
    CHECK_FAILS(&ctx, tselect1(&ctx, e), STRATA_RANGE, "division by zero");
    e = tbin(&ctx, PLAN_OP_MOD, STRATA_TYPE_BIGINT, tconst(&ctx, BI(1)), tconst(&ctx, BI(0)));
    CHECK_FAILS(&ctx, tselect1(&ctx, e), STRATA_RANGE, "division by zero");
    e = tbin(&ctx, PLAN_OP_DIV, STRATA_TYPE_DOUBLE, tconst(&ctx, D(1)), tconst(&ctx, D(0)));
    CHECK_FAILS(&ctx, tselect1(&ctx, e), STRATA_RANGE, "division by zero");
    plan_expr *args[1] = {tconst(&ctx, I(INT32_MIN))};
    e = plan_expr_new(&ctx.arena, PEX_FUNC, STRATA_TYPE_INT);
    e->u.func.fn = PLAN_FN_ABS;
    e->u.func.args = args;
    e->u.func.nargs = 1;
    CHECK_FAILS(&ctx, tselect1(&ctx, e), STRATA_RANGE, "integer overflow");
}

/* x = 0 guards: AND and CASE evaluate the division only where needed */
static void test_guards(void)
{
    setup();
    int types[1] = {STRATA_TYPE_INT};
    sql_value cells[] = {I(0), I(5), I(-2), N(INT)};
    plan_node *v = tvalues(&ctx, 1, types, 4, cells);
    plan_expr *x = tcol(&ctx, 0, STRATA_TYPE_INT);
    plan_expr *div = tbin(&ctx, PLAN_OP_DIV, STRATA_TYPE_INT, tconst(&ctx, I(10)), x);
    plan_expr *guard = tbin(&ctx, PLAN_OP_AND, STRATA_TYPE_BOOLEAN,
                            tbin(&ctx, PLAN_OP_NE, STRATA_TYPE_BOOLEAN, x, tconst(&ctx, I(0))),
                            tbin(&ctx, PLAN_OP_GT, STRATA_TYPE_BOOLEAN, div, tconst(&ctx, I(1))));
    plan_expr *cs = plan_expr_new(&ctx.arena, PEX_CASE, STRATA_TYPE_INT);
    plan_expr *when[1] = {tbin(&ctx, PLAN_OP_EQ, STRATA_TYPE_BOOLEAN, x, tconst(&ctx, I(0)))};
    plan_expr *then[1] = {tconst(&ctx, I(-1))};
    cs->u.case_.when = when;
    cs->u.case_.then = then;
    cs->u.case_.n = 1;
    cs->u.case_.else_ = div;
    plan_expr *e[2] = {guard, cs};
    CHECK_ROWS(&ctx, tproject(&ctx, v, 2, e), "false|-1\ntrue|2\nfalse|-5\nNULL|NULL\n");
    /* the same guard as a filter */
    plan_node *f = plan_node_new(&ctx.arena, PLAN_FILTER, 1);
    f->types[0] = STRATA_TYPE_INT;
    f->left = v;
    f->u.filter.cond = guard;
    CHECK_ROWS(&ctx, f, "5\n");
}

static void test_comparisons_across_types(void)
{
    setup();
    int types[3] = {STRATA_TYPE_INT, STRATA_TYPE_BIGINT, STRATA_TYPE_DOUBLE};
    sql_value cells[] = {I(1), BI(1), D(1.0), I(2), BI(3), D(2.5), N(INT), BI(0), D(-1)};
    plan_node *v = tvalues(&ctx, 3, types, 3, cells);
    plan_expr *e[3] = {
        tbin(&ctx, PLAN_OP_EQ, 1, tcol(&ctx, 0, 2), tcol(&ctx, 1, 3)),
        tbin(&ctx, PLAN_OP_LT, 1, tcol(&ctx, 0, 2), tcol(&ctx, 2, 4)),
        tbin(&ctx, PLAN_OP_GE, 1, tcol(&ctx, 1, 3), tcol(&ctx, 2, 4)),
    };
    CHECK_ROWS(&ctx, tproject(&ctx, v, 3, e), "true|false|true\nfalse|true|true\nNULL|NULL|true\n");
    /* text compares bytewise */
    plan_expr *t = tbin(&ctx, PLAN_OP_LT, 1, tconst(&ctx, T("Zebra")), tconst(&ctx, T("apple")));
    CHECK_ROWS(&ctx, tselect1(&ctx, t), "true\n");
    t = tbin(&ctx, PLAN_OP_LT, 1, tconst(&ctx, T("abcdefghijklmnop1")),
             tconst(&ctx, T("abcdefghijklmnop2")));
    CHECK_ROWS(&ctx, tselect1(&ctx, t), "true\n");
    t = tbin(&ctx, PLAN_OP_EQ, 1, tconst(&ctx, T("abc")), tconst(&ctx, T("abcd")));
    CHECK_ROWS(&ctx, tselect1(&ctx, t), "false\n");
}

static plan_expr *cast(int type, plan_expr *arg)
{
    plan_expr *c = plan_expr_new(&ctx.arena, PEX_CAST, type);
    c->u.cast.arg = arg;
    return c;
}

static void test_casts(void)
{
    setup();
    CHECK_ROWS(&ctx, tselect1(&ctx, cast(STRATA_TYPE_INT, tconst(&ctx, T(" 42 ")))), "42\n");
    CHECK_ROWS(&ctx, tselect1(&ctx, cast(STRATA_TYPE_INT, tconst(&ctx, D(3.7)))), "4\n");
    CHECK_ROWS(&ctx, tselect1(&ctx, cast(STRATA_TYPE_DOUBLE, tconst(&ctx, T("1e3")))), "1000\n");
    CHECK_ROWS(&ctx, tselect1(&ctx, cast(STRATA_TYPE_TEXT, tconst(&ctx, BI(-12)))), "-12\n");
    CHECK_ROWS(&ctx, tselect1(&ctx, cast(STRATA_TYPE_BOOLEAN, tconst(&ctx, T("yes")))), "true\n");
    CHECK_ROWS(&ctx, tselect1(&ctx, cast(STRATA_TYPE_TEXT, tconst(&ctx, B(0)))), "false\n");
    CHECK_ROWS(
        &ctx, tselect1(&ctx, cast(STRATA_TYPE_TIMESTAMP, tconst(&ctx, T("2024-02-29 13:45:01.5")))),
        "2024-02-29 13:45:01.5\n");
    CHECK_ROWS(&ctx,
               tselect1(&ctx, cast(STRATA_TYPE_BIGINT,
                                   cast(STRATA_TYPE_TIMESTAMP, tconst(&ctx, T("1970-01-02"))))),
               "86400000000\n");
    CHECK_ROWS(&ctx, tselect1(&ctx, cast(STRATA_TYPE_TIMESTAMP, tconst(&ctx, BI(-1)))),
               "1969-12-31 23:59:59.999999\n");
    CHECK_ROWS(&ctx, tselect1(&ctx, cast(STRATA_TYPE_INT, tconst(&ctx, N(TEXT)))), "NULL\n");
    CHECK_FAILS(&ctx, tselect1(&ctx, cast(STRATA_TYPE_INT, tconst(&ctx, T("abc")))), STRATA_TYPE,
                "invalid input syntax for type INT: \"abc\"");
    CHECK_FAILS(&ctx, tselect1(&ctx, cast(STRATA_TYPE_INT, tconst(&ctx, BI(INT64_C(1) << 40)))),
                STRATA_RANGE, "out of range");
    CHECK_FAILS(&ctx, tselect1(&ctx, cast(STRATA_TYPE_TIMESTAMP, tconst(&ctx, T("2023-02-29")))),
                STRATA_TYPE, "invalid input syntax");
    CHECK_FAILS(&ctx, tselect1(&ctx, cast(STRATA_TYPE_BOOLEAN, tconst(&ctx, T("maybe")))),
                STRATA_TYPE, "invalid input syntax");
}

static void test_like(void)
{
    CHECK(exec_like("hello", 5, "h%o", 3));
    CHECK(exec_like("hello", 5, "_ello", 5));
    CHECK(exec_like("hello", 5, "%", 1));
    CHECK(exec_like("", 0, "%", 1));
    CHECK(!exec_like("", 0, "_", 1));
    CHECK(exec_like("abcabc", 6, "%bc", 3));
    CHECK(!exec_like("abcabd", 6, "%bc", 3));
    CHECK(exec_like("a%b", 3, "a%b", 3));
    CHECK(!exec_like("Hello", 5, "hello", 5));
    CHECK(exec_like("mississippi", 11, "%iss%pi", 7));
    setup();
    int types[1] = {STRATA_TYPE_TEXT};
    sql_value cells[] = {T("apple"), T("banana"), N(TEXT), T("a long string over twelve")};
    plan_node *v = tvalues(&ctx, 1, types, 4, cells);
    plan_expr *e[2] = {
        tbin(&ctx, PLAN_OP_LIKE, 1, tcol(&ctx, 0, 5), tconst(&ctx, T("%an%"))),
        tbin(&ctx, PLAN_OP_NOT_LIKE, 1, tcol(&ctx, 0, 5), tconst(&ctx, T("a%"))),
    };
    CHECK_ROWS(&ctx, tproject(&ctx, v, 2, e), "false|false\ntrue|true\nNULL|NULL\nfalse|false\n");
}

static plan_expr *fn(int f, int type, int n, plan_expr *a, plan_expr *b, plan_expr *c)
{
    plan_expr *e = plan_expr_new(&ctx.arena, PEX_FUNC, type);
    e->u.func.fn = f;
    e->u.func.args = arena_alloc(&ctx.arena, sizeof(plan_expr *) * 3);
    e->u.func.args[0] = a;
    e->u.func.args[1] = b;
    e->u.func.args[2] = c;
    e->u.func.nargs = n;
    return e;
}

static void test_functions(void)
{
    setup();
    int types[2] = {STRATA_TYPE_TEXT, STRATA_TYPE_INT};
    sql_value cells[] = {T("  Hello World, long text  "), I(-3), N(TEXT), N(INT)};
    plan_node *v = tvalues(&ctx, 2, types, 2, cells);
    plan_expr *s = tcol(&ctx, 0, STRATA_TYPE_TEXT), *x = tcol(&ctx, 1, STRATA_TYPE_INT);
    plan_expr *e[8] = {
        fn(PLAN_FN_UPPER, 5, 1, fn(PLAN_FN_TRIM, 5, 1, s, NULL, NULL), NULL, NULL),
        fn(PLAN_FN_LENGTH, 3, 1, s, NULL, NULL),
        fn(PLAN_FN_SUBSTR, 5, 3, s, tconst(&ctx, I(3)), tconst(&ctx, I(5))),
        fn(PLAN_FN_ABS, 2, 1, x, NULL, NULL),
        fn(PLAN_FN_COALESCE, 2, 2, x, tconst(&ctx, I(7)), NULL),
        fn(PLAN_FN_NULLIF, 2, 2, x, tconst(&ctx, I(-3)), NULL),
        tbin(&ctx, PLAN_OP_CONCAT, 5, fn(PLAN_FN_LOWER, 5, 1, s, NULL, NULL), tconst(&ctx, T("!"))),
        fn(PLAN_FN_REPLACE, 5, 3, s, tconst(&ctx, T("o")), tconst(&ctx, T("0"))),
    };
    CHECK_ROWS(&ctx, tproject(&ctx, v, 8, e),
               "HELLO WORLD, LONG TEXT|26|Hello|3|-3|NULL|  hello world, long text  !|  Hell0 "
               "W0rld, l0ng text  \n"
               "NULL|NULL|NULL|NULL|7|NULL|NULL|NULL\n");
    plan_expr *r = fn(PLAN_FN_ROUND, 4, 2, tconst(&ctx, D(2.345)), tconst(&ctx, I(1)), NULL);
    CHECK_ROWS(&ctx, tselect1(&ctx, r), "2.3\n");
    ctx.now_us = 86400000000;
    CHECK_ROWS(&ctx, tselect1(&ctx, fn(PLAN_FN_NOW, 7, 0, NULL, NULL, NULL)),
               "1970-01-02 00:00:00\n");
}

static void test_in_list_and_between(void)
{
    setup();
    int types[1] = {STRATA_TYPE_INT};
    sql_value cells[] = {I(1), I(4), N(INT)};
    plan_node *v = tvalues(&ctx, 1, types, 3, cells);
    plan_expr *x = tcol(&ctx, 0, STRATA_TYPE_INT);
    plan_expr *in = plan_expr_new(&ctx.arena, PEX_IN_LIST, STRATA_TYPE_BOOLEAN);
    plan_expr *list[3] = {tconst(&ctx, I(1)), tconst(&ctx, I(2)), tconst(&ctx, N(INT))};
    in->u.in.arg = x;
    in->u.in.list = list;
    in->u.in.n = 3;
    plan_expr *notin = plan_expr_new(&ctx.arena, PEX_IN_LIST, STRATA_TYPE_BOOLEAN);
    *notin = *in;
    notin->u.in.negated = 1;
    notin->u.in.n = 2; /* NOT IN (1, 2) */
    plan_expr *bt = plan_expr_new(&ctx.arena, PEX_BETWEEN, STRATA_TYPE_BOOLEAN);
    bt->u.between.arg = x;
    bt->u.between.lo = tconst(&ctx, I(2));
    bt->u.between.hi = tconst(&ctx, BI(10));
    plan_expr *e[3] = {in, notin, bt};
    CHECK_ROWS(&ctx, tproject(&ctx, v, 3, e), "true|false|false\nNULL|true|true\nNULL|NULL|NULL\n");
}

/* a long list of constants goes through a hash set: same answers, also across types */
static void test_long_in_list(void)
{
    setup();
    int types[2] = {STRATA_TYPE_INT, STRATA_TYPE_TEXT};
    sql_value cells[] = {I(3), T("k3"), I(40), T("nope"), N(INT), N(TEXT), I(11), T("k11")};
    plan_node *v = tvalues(&ctx, 2, types, 4, cells);
    plan_expr *li[12], *lt[12];
    for (int i = 0; i < 12; i++) {
        li[i] = tconst(&ctx, i % 2 ? BI(i) : D(i)); /* BIGINT and DOUBLE constants */
        char *buf = arena_alloc(&ctx.arena, 8);
        snprintf(buf, 8, "k%d", i);
        lt[i] = tconst(&ctx, T(buf));
    }
    plan_expr *in1 = plan_expr_new(&ctx.arena, PEX_IN_LIST, STRATA_TYPE_BOOLEAN);
    in1->u.in.arg = tcol(&ctx, 0, STRATA_TYPE_INT);
    in1->u.in.list = li;
    in1->u.in.n = 12;
    plan_expr *in2 = plan_expr_new(&ctx.arena, PEX_IN_LIST, STRATA_TYPE_BOOLEAN);
    in2->u.in.arg = tcol(&ctx, 1, STRATA_TYPE_TEXT);
    in2->u.in.list = lt;
    in2->u.in.n = 12;
    in2->u.in.negated = 1;
    plan_expr *e[2] = {in1, in2};
    CHECK_ROWS(&ctx, tproject(&ctx, v, 2, e), "true|false\nfalse|true\nNULL|NULL\ntrue|false\n");
    /* with a NULL in the list: no match is NULL */
    li[5] = tconst(&ctx, N(BIGINT));
    plan_expr *in3 = plan_expr_new(&ctx.arena, PEX_IN_LIST, STRATA_TYPE_BOOLEAN);
    *in3 = *in1;
    plan_expr *e3[1] = {in3};
    CHECK_ROWS(&ctx, tproject(&ctx, v, 1, e3), "true\nNULL\nNULL\ntrue\n");
}

static void test_parameters(void)
{
    setup();
    sql_value params[2] = {T("17"), BI(5)};
    ctx.params = params;
    ctx.nparams = 2;
    plan_expr *p1 = plan_expr_new(&ctx.arena, PEX_PARAM, STRATA_TYPE_INT);
    p1->u.param.index = 1;
    plan_expr *p2 = plan_expr_new(&ctx.arena, PEX_PARAM, STRATA_TYPE_BIGINT);
    p2->u.param.index = 2;
    CHECK_ROWS(&ctx, tselect1(&ctx, tbin(&ctx, PLAN_OP_ADD, STRATA_TYPE_BIGINT, p1, p2)), "22\n");
    plan_expr *p3 = plan_expr_new(&ctx.arena, PEX_PARAM, STRATA_TYPE_INT);
    p3->u.param.index = 3;
    CHECK_FAILS(&ctx, tselect1(&ctx, p3), STRATA_MISUSE, "?3");
    ctx.params = NULL;
    ctx.nparams = 0;
}

/* the integer fast path of filters agrees with the general path on many rows */
static void test_filter_fast_path(void)
{
    setup();
    enum { ROWS = 5000 };
    sql_value *cells = malloc(sizeof(sql_value) * ROWS);
    for (int i = 0; i < ROWS; i++) cells[i] = BI((i * 7919) % 1000);
    int types[1] = {STRATA_TYPE_BIGINT};
    plan_node *v = tvalues(&ctx, 1, types, ROWS, cells);
    int ops[] = {PLAN_OP_EQ, PLAN_OP_NE, PLAN_OP_LT, PLAN_OP_LE, PLAN_OP_GT, PLAN_OP_GE};
    for (int o = 0; o < 6; o++) {
        int expect = 0;
        for (int i = 0; i < ROWS; i++) {
            int64_t x = (i * 7919) % 1000;
            int r = ops[o] == PLAN_OP_EQ   ? x == 500
                    : ops[o] == PLAN_OP_NE ? x != 500
                    : ops[o] == PLAN_OP_LT ? x < 500
                    : ops[o] == PLAN_OP_LE ? x <= 500
                    : ops[o] == PLAN_OP_GT ? x > 500
                                           : x >= 500;
            expect += r;
        }
        /* count(*) of FILTER(x op 500) */
        plan_node *f = plan_node_new(&ctx.arena, PLAN_FILTER, 1);
        f->types[0] = STRATA_TYPE_BIGINT;
        f->left = v;
        f->u.filter.cond = tbin(&ctx, ops[o], 1, tcol(&ctx, 0, 3), tconst(&ctx, BI(500)));
        plan_node *a = plan_node_new(&ctx.arena, PLAN_AGGREGATE, 1);
        a->types[0] = STRATA_TYPE_BIGINT;
        a->left = f;
        a->u.aggregate.naggs = 1;
        a->u.aggregate.aggs = arena_alloc(&ctx.arena, sizeof(plan_agg));
        memset(a->u.aggregate.aggs, 0, sizeof(plan_agg));
        a->u.aggregate.aggs[0].fn = PLAN_AGG_COUNT_STAR;
        a->u.aggregate.aggs[0].type = STRATA_TYPE_BIGINT;
        char want[32];
        snprintf(want, sizeof want, "%d\n", expect);
        CHECK_ROWS(&ctx, a, want);
        /* constant on the left: 500 op' x */
        f->u.filter.cond = tbin(&ctx, ops[o], 1, tconst(&ctx, BI(500)), tcol(&ctx, 0, 3));
        int expect2 = 0;
        for (int i = 0; i < ROWS; i++) {
            int64_t x = (i * 7919) % 1000;
            int r = ops[o] == PLAN_OP_EQ   ? 500 == x
                    : ops[o] == PLAN_OP_NE ? 500 != x
                    : ops[o] == PLAN_OP_LT ? 500 < x
                    : ops[o] == PLAN_OP_LE ? 500 <= x
                    : ops[o] == PLAN_OP_GT ? 500 > x
                                           : 500 >= x;
            expect2 += r;
        }
        snprintf(want, sizeof want, "%d\n", expect2);
        CHECK_ROWS(&ctx, a, want);
    }
    free(cells);
}

static void test_timestamps(void)
{
    int64_t us;
    CHECK(exec_parse_timestamp("2000-01-01 00:00:00", 19, &us) == 0);
    CHECK_EQ_INT(us, INT64_C(946684800000000));
    char buf[64];
    exec_format_timestamp(us, buf, sizeof buf);
    CHECK_EQ_STR(buf, "2000-01-01 00:00:00");
    CHECK(exec_parse_timestamp("2000-01-01T12:30:00.000001Z", 27, &us) == 0);
    exec_format_timestamp(us, buf, sizeof buf);
    CHECK_EQ_STR(buf, "2000-01-01 12:30:00.000001");
    CHECK(exec_parse_timestamp("2000-13-01", 10, &us) != 0);
    CHECK(exec_parse_timestamp("2000-01-01 25:00:00", 19, &us) != 0);
    CHECK(exec_parse_timestamp("1600-03-01 00:00:00", 19, &us) == 0);
    exec_format_timestamp(us, buf, sizeof buf);
    CHECK_EQ_STR(buf, "1600-03-01 00:00:00");
}

static void test_all_done(void)
{
    exec_ctx_free(&ctx);
    memset(&ctx, 0, sizeof ctx);
}

TEST_MAIN(test_three_valued_logic, test_arithmetic, test_overflow_and_division_by_zero, test_guards,
          test_comparisons_across_types, test_casts, test_like, test_functions,
          test_in_list_and_between, test_long_in_list, test_parameters, test_filter_fast_path,
          test_timestamps, test_all_done)
