/* tests/lsm/memtable_test.c — memtable gets at sequences, range tombstones, iterator; write
 * batch limits and hostile decoding. */
#include "test.h"
#include "lsm/memtable.h"
#include "lsm/write_batch.h"
#include "util/status.h"

#define S(x) st_slice_make((x), strlen(x))

static void test_get_versions(void)
{
    memtable *m = mem_new();
    CHECK(mem_empty(m));
    mem_add(m, 1, KIND_PUT, S("a"), S("a1"));
    mem_add(m, 2, KIND_PUT, S("b"), S("b2"));
    mem_add(m, 3, KIND_PUT, S("a"), S("a3"));
    mem_add(m, 4, KIND_DELETE, S("b"), S(""));
    int kind;
    uint64_t fs, ts;
    st_slice v;
    CHECK_EQ_INT(mem_get(m, S("a"), 10, &kind, &fs, &v, &ts), MEM_FOUND);
    CHECK(kind == KIND_PUT && fs == 3 && st_slice_eq(v, S("a3")));
    CHECK_EQ_INT(mem_get(m, S("a"), 2, &kind, &fs, &v, &ts), MEM_FOUND);
    CHECK(st_slice_eq(v, S("a1")));
    CHECK_EQ_INT(mem_get(m, S("a"), 0, &kind, &fs, &v, &ts), MEM_NONE);
    CHECK_EQ_INT(mem_get(m, S("b"), 4, &kind, &fs, &v, &ts), MEM_FOUND);
    CHECK(kind == KIND_DELETE);
    CHECK_EQ_INT(mem_get(m, S("b"), 3, &kind, &fs, &v, &ts), MEM_FOUND);
    CHECK(kind == KIND_PUT && st_slice_eq(v, S("b2")));
    CHECK_EQ_INT(mem_get(m, S("c"), 10, &kind, &fs, &v, &ts), MEM_NONE);
    CHECK(!mem_empty(m));
    CHECK(mem_usage(m) > 0);
    mem_unref(m);
}

/* Many keys (the key filter is in play): every added key is found, absent keys are not, and an
 * absent key under a range tombstone still reports the tombstone. */
static void test_many_keys(void)
{
    memtable *m = mem_new();
    char k[32];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(k, sizeof k, "key%07d", i * 2);
        mem_add(m, (uint64_t)i + 1, i % 7 ? KIND_PUT : KIND_DELETE, st_slice_make(k, (size_t)n),
                S("v"));
    }
    mem_add(m, 30000, KIND_RANGE_DEL, S("key0000100"), S("key0000200"));
    int kind, found = 0, absent = 0, tomb = 0;
    uint64_t fs, ts;
    st_slice v;
    for (int i = 0; i < 40000; i++) {
        int n = snprintf(k, sizeof k, "key%07d", i);
        int r = mem_get(m, st_slice_make(k, (size_t)n), 40000, &kind, &fs, &v, &ts);
        if (i % 2 == 0) {
            found += r == MEM_FOUND && fs == (uint64_t)(i / 2) + 1 &&
                     kind == ((i / 2) % 7 ? KIND_PUT : KIND_DELETE);
        } else {
            absent += r == MEM_NONE;
            if (i > 100 && i < 200) tomb += ts == 30000;
        }
    }
    CHECK_EQ_INT(found, 20000);
    CHECK_EQ_INT(absent, 20000);
    CHECK_EQ_INT(tomb, 50);
    mem_unref(m);
}

static void test_range_tombstones(void)
{
    memtable *m = mem_new();
    mem_add(m, 1, KIND_PUT, S("b"), S("v"));
    mem_add(m, 2, KIND_RANGE_DEL, S("a"), S("c"));
    mem_add(m, 3, KIND_PUT, S("b"), S("w"));
    int kind;
    uint64_t fs, ts;
    st_slice v;
    CHECK_EQ_INT(mem_get(m, S("b"), 2, &kind, &fs, &v, &ts), MEM_FOUND);
    CHECK(fs == 1 && ts == 2); /* the caller sees the tombstone is newer: deleted */
    CHECK_EQ_INT(mem_get(m, S("b"), 3, &kind, &fs, &v, &ts), MEM_FOUND);
    CHECK(fs == 3 && ts == 2);
    CHECK_EQ_INT(mem_get(m, S("b"), 1, &kind, &fs, &v, &ts), MEM_FOUND);
    CHECK(ts == 0);
    mem_get(m, S("c"), 5, &kind, &fs, &v, &ts);
    CHECK(ts == 0); /* end is exclusive */
    mem_add(m, 4, KIND_RANGE_DEL, S("b"), S("d"));
    mem_get(m, S("c"), 5, &kind, &fs, &v, &ts);
    CHECK(ts == 4); /* cache rebuilt after the new tombstone */
    range_tombstone *raw;
    CHECK_EQ_INT(mem_range_del_raw(m, &raw), 2);
    free(raw);
    mem_unref(m);
}

static void test_iterator(void)
{
    memtable *m = mem_new();
    char k[16];
    for (int i = 99; i >= 0; i--) {
        snprintf(k, sizeof k, "k%03d", i);
        mem_add(m, (uint64_t)(100 - i), KIND_PUT, S(k), S(k));
    }
    lsm_iter *it = mem_iter_new(m);
    mem_unref(m); /* the iterator keeps it alive */
    int n = 0;
    for (lsm_iter_seek_to_first(it); lsm_iter_valid(it); lsm_iter_next(it)) {
        snprintf(k, sizeof k, "k%03d", n);
        CHECK(st_slice_eq(ikey_user(lsm_iter_key(it)), S(k)));
        n++;
    }
    CHECK_EQ_INT(n, 100);
    uint8_t buf[32];
    lsm_iter_seek(it, ikey_build(buf, S("k050"), SEQ_MAX, KIND_SEEK));
    REQUIRE(lsm_iter_valid(it));
    CHECK(st_slice_eq(lsm_iter_value(it), S("k050")));
    lsm_iter_prev(it);
    REQUIRE(lsm_iter_valid(it));
    CHECK(st_slice_eq(lsm_iter_value(it), S("k049")));
    CHECK_EQ_INT(lsm_iter_status(it), STRATA_OK);
    lsm_iter_destroy(it);
}

static void test_batch_encoding(void)
{
    strata_kv_batch *b = strata_kv_batch_new();
    CHECK_EQ_INT(strata_kv_batch_put(b, "k", 1, "v", 1), STRATA_OK);
    CHECK_EQ_INT(strata_kv_batch_delete(b, "d", 1), STRATA_OK);
    CHECK_EQ_INT(strata_kv_batch_delete_range(b, "a", 1, "z", 1), STRATA_OK);
    size_t before = strata_kv_batch_byte_size(b);
    /* bad inputs: clear codes, nothing written */
    CHECK_EQ_INT(strata_kv_batch_put(b, "", 0, "v", 1), STRATA_INVALID);
    static char big[STRATA_KV_MAX_KEY + 1];
    CHECK_EQ_INT(strata_kv_batch_put(b, big, sizeof big, "v", 1), STRATA_TOOBIG);
    CHECK_EQ_INT(strata_kv_batch_delete(b, big, sizeof big), STRATA_TOOBIG);
    CHECK_EQ_INT(strata_kv_batch_put(b, "k", 1, big, (size_t)STRATA_KV_MAX_VALUE + 1),
                 STRATA_TOOBIG);
    CHECK_EQ_INT(strata_kv_batch_delete_range(b, "z", 1, "a", 1), STRATA_INVALID);
    CHECK_EQ_INT(strata_kv_batch_delete_range(b, "m", 1, "m", 1), STRATA_OK); /* no-op */
    CHECK_EQ_INT(strata_kv_batch_byte_size(b), before);
    CHECK_EQ_INT(strata_kv_batch_count(b), 3);
    wb_set_sequence(b, 77);
    wb_iter it;
    REQUIRE(wb_iter_init(&it, b->data, b->len) == STRATA_OK);
    CHECK(it.seq == 77 && it.count == 3);
    int kind;
    st_slice k, v;
    CHECK_EQ_INT(wb_iter_next(&it, &kind, &k, &v), STRATA_OK);
    CHECK(kind == KIND_PUT && st_slice_eq(k, S("k")) && st_slice_eq(v, S("v")));
    CHECK_EQ_INT(wb_iter_next(&it, &kind, &k, &v), STRATA_OK);
    CHECK(kind == KIND_DELETE && st_slice_eq(k, S("d")));
    CHECK_EQ_INT(wb_iter_next(&it, &kind, &k, &v), STRATA_OK);
    CHECK(kind == KIND_RANGE_DEL && st_slice_eq(k, S("a")) && st_slice_eq(v, S("z")));
    CHECK_EQ_INT(wb_iter_next(&it, &kind, &k, &v), STRATA_DONE);
    /* every truncation and every single-byte corruption: an answer, never an over-read */
    for (size_t n = 0; n < b->len; n++) {
        uint8_t *cp = malloc(n ? n : 1);
        memcpy(cp, b->data, n);
        int rc = wb_iter_init(&it, cp, n);
        while (rc == STRATA_OK) rc = wb_iter_next(&it, &kind, &k, &v);
        CHECK(rc == STRATA_CORRUPT);
        free(cp);
    }
    for (size_t i = 0; i < b->len; i++) {
        uint8_t *cp = malloc(b->len);
        memcpy(cp, b->data, b->len);
        cp[i] ^= 0xff;
        int rc = wb_iter_init(&it, cp, b->len);
        while (rc == STRATA_OK) rc = wb_iter_next(&it, &kind, &k, &v);
        CHECK(rc == STRATA_CORRUPT || rc == STRATA_DONE);
        free(cp);
    }
    strata_kv_batch_clear(b);
    CHECK_EQ_INT(strata_kv_batch_count(b), 0);
    CHECK_EQ_INT(strata_kv_batch_byte_size(b), WB_HEADER);
    strata_kv_batch_free(b);
}

TEST_MAIN(test_get_versions, test_many_keys, test_range_tombstones, test_iterator,
          test_batch_encoding)
