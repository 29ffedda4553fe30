/* tests/exec/vector_test.c — vectors, strings, validity, gather, chunks, row storage. */
#include "test.h"

#include "exec/op.h"
#include "exec/vector.h"

static void test_strings(void)
{
    exec_heap h;
    exec_heap_init(&h);
    exec_str a = exec_heap_str(&h, "short", 5);
    exec_str b = exec_heap_str(&h, "a string longer than twelve", 27);
    exec_str c = exec_str_make("a string longer than twelve", 27);
    CHECK_EQ_INT(sizeof(exec_str), 16);
    CHECK_EQ_INT(a.len, 5);
    CHECK(memcmp(exec_str_data(&a), "short", 5) == 0);
    CHECK(memcmp(exec_str_data(&b), "a string longer than twelve", 27) == 0);
    CHECK(exec_str_data(&b) != exec_str_data(&c)); /* heap copy */
    CHECK(exec_str_eq(&b, &c));
    CHECK(!exec_str_eq(&a, &b));
    exec_str d = exec_str_make("a string longer than twelvf", 27);
    CHECK(exec_str_cmp(&b, &d) < 0);
    CHECK(exec_str_cmp(&d, &b) > 0);
    exec_str e = exec_str_make("a string", 8);
    CHECK(exec_str_cmp(&e, &b) < 0); /* prefix first */
    exec_str z1 = exec_str_make("", 0), z2 = exec_str_make("", 0);
    CHECK(exec_str_eq(&z1, &z2));
    CHECK_EQ_INT(exec_str_cmp(&z1, &z2), 0);
    /* many allocations, then reset and reuse */
    for (int i = 0; i < 10000; i++) {
        char buf[64];
        int n = snprintf(buf, sizeof buf, "string number %d with padding", i);
        exec_str s = exec_heap_str(&h, buf, (uint32_t)n);
        CHECK(memcmp(exec_str_data(&s), buf, (size_t)n) == 0);
    }
    exec_heap_reset(&h);
    char *big = malloc(200000);
    memset(big, 'x', 200000);
    exec_str s = exec_heap_str(&h, big, 200000);
    CHECK(memcmp(exec_str_data(&s), big, 200000) == 0);
    free(big);
    exec_heap_free(&h);
}

static void test_validity_and_values(void)
{
    exec_vector v;
    exec_vector_init(&v, STRATA_TYPE_INT);
    exec_vector_reset(&v);
    CHECK(v.validity == NULL);
    for (int i = 0; i < EXEC_VECTOR_SIZE; i++) ((int32_t *)v.data)[i] = i;
    exec_vector_set_null(&v, 65);
    CHECK(v.validity != NULL);
    CHECK(!exec_vector_is_valid(&v, 65));
    CHECK(exec_vector_is_valid(&v, 64));
    CHECK(exec_vector_is_valid(&v, 66));
    CHECK_EQ_INT(((int32_t *)v.data)[65], 0); /* NULL slots hold zero */
    sql_value x = exec_vector_get_value(&v, 65);
    CHECK(x.is_null);
    x = sql_int(STRATA_TYPE_INT, 7);
    exec_vector_set_value(&v, 65, &x);
    CHECK(exec_vector_is_valid(&v, 65));
    CHECK_EQ_INT(exec_vector_get_value(&v, 65).u.i, 7);
    exec_vector_reset(&v);
    CHECK(v.validity == NULL);
    exec_vector_free(&v);

    exec_vector t;
    exec_vector_init(&t, STRATA_TYPE_TEXT);
    exec_vector_reset(&t);
    sql_value sv = sql_text(STRATA_TYPE_TEXT, "hello, this is long", 19);
    exec_vector_set_value(&t, 3, &sv);
    sql_value got = exec_vector_get_value(&t, 3);
    CHECK_EQ_INT(got.u.s.n, 19);
    CHECK(memcmp(got.u.s.p, "hello, this is long", 19) == 0);
    exec_vector_free(&t);
}

static void test_gather_and_chunks(void)
{
    int types[2] = {STRATA_TYPE_BIGINT, STRATA_TYPE_TEXT};
    exec_chunk c;
    exec_chunk_init(&c, 2, types);
    exec_chunk_reset(&c);
    for (int i = 0; i < 100; i++) {
        sql_value a = sql_int(STRATA_TYPE_BIGINT, i * 10);
        exec_vector_set_value(&c.cols[0], (size_t)i, &a);
        char buf[40];
        int n = snprintf(buf, sizeof buf, "row %d of the test chunk", i);
        sql_value b = sql_text(STRATA_TYPE_TEXT, buf, (uint32_t)n);
        if (i % 3 == 0)
            exec_vector_set_null(&c.cols[1], (size_t)i);
        else
            exec_vector_set_value(&c.cols[1], (size_t)i, &b);
    }
    c.count = 100;
    exec_sel_t sel[3] = {3, 4, 98};
    c.sel = sel;
    c.count = 3;
    CHECK_EQ_INT(exec_chunk_row(&c, 2), 98);
    exec_vector d;
    exec_vector_init(&d, STRATA_TYPE_TEXT);
    exec_vector_reset(&d);
    exec_vector_gather(&d, 0, &c.cols[1], c.sel, c.count, 1);
    CHECK(!exec_vector_is_valid(&d, 0));
    CHECK(exec_vector_is_valid(&d, 1));
    sql_value v = exec_vector_get_value(&d, 2);
    CHECK(v.u.s.n == strlen("row 98 of the test chunk") && memcmp(v.u.s.p, "row 98", 6) == 0);

    /* row storage keeps strings after the chunk is gone */
    exec_rows r;
    exec_rows_init(&r, 2, types);
    exec_rows_append_chunk(&r, &c);
    exec_chunk_reset(&c);
    exec_chunk_free(&c);
    CHECK_EQ_INT(r.n, 3);
    sql_value a = exec_rows_get(&r, 0, 2), b = exec_rows_get(&r, 1, 2);
    CHECK_EQ_INT(a.u.i, 980);
    CHECK(b.u.s.n == 24 && memcmp(b.u.s.p, "row 98 of the test chunk", 24) == 0);
    CHECK(exec_rows_get(&r, 1, 0).is_null);
    CHECK(exec_rows_cmp(&r, 1, 0, 1) < 0); /* NULL first */
    exec_rows_free(&r);
    exec_vector_free(&d);
}

static void test_rowset(void)
{
    int types[2] = {STRATA_TYPE_INT, STRATA_TYPE_TEXT};
    exec_rowset s;
    exec_rowset_init(&s, 2, types);
    exec_vector a, b;
    exec_vector_init(&a, STRATA_TYPE_INT);
    exec_vector_init(&b, STRATA_TYPE_TEXT);
    /* 3 rounds of the same 1000 keys (a NULL among them): 1000 distinct */
    for (int round = 0; round < 3; round++) {
        exec_vector_reset(&a);
        exec_vector_reset(&b);
        for (int i = 0; i < 1000; i++) {
            sql_value x = sql_int(STRATA_TYPE_INT, i % 500);
            exec_vector_set_value(&a, (size_t)i, &x);
            char buf[32];
            int n = snprintf(buf, sizeof buf, "%s%d", i < 500 ? "k" : "a much longer key ", i % 7);
            sql_value y = sql_text(STRATA_TYPE_TEXT, buf, (uint32_t)n);
            if (i == 999)
                exec_vector_set_null(&b, (size_t)i);
            else
                exec_vector_set_value(&b, (size_t)i, &y);
        }
        exec_vector *vecs[2] = {&a, &b};
        uint32_t ids[1000];
        uint8_t is_new[1000];
        exec_rowset_find(&s, vecs, 1000, 1, ids, is_new);
        int fresh = 0;
        for (int i = 0; i < 1000; i++) fresh += is_new[i];
        CHECK_EQ_INT(fresh, round == 0 ? 1000 : 0);
        CHECK_EQ_INT(s.rows.n, 1000);
    }
    exec_vector_free(&a);
    exec_vector_free(&b);
    exec_rowset_free(&s);
}

TEST_MAIN(test_strings, test_validity_and_values, test_gather_and_chunks, test_rowset)
