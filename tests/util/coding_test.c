/* tests/util/coding_test.c — varint and fixed-width encodings, including hostile input. */
#include "test.h"
#include "util/coding.h"
#include "util/arena.h"
#include "util/status.h"

static void test_varint_roundtrip(void)
{
    uint64_t vals[] = {0,         1, 127, 128, 300, 16383, 16384, UINT32_MAX, (uint64_t)1 << 49,
                       UINT64_MAX};
    uint8_t buf[VARINT64_MAX * 16];
    uint8_t *p = buf;
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint8_t *q = put_varint64(p, vals[i]);
        CHECK_EQ_INT(q - p, varint_length(vals[i]));
        p = q;
    }
    const uint8_t *r = buf;
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint64_t v = 0;
        r = get_varint64(r, p, &v);
        REQUIRE(r != NULL);
        CHECK(v == vals[i]);
    }
    CHECK(r == p);
}

static void test_varint_hostile(void)
{
    uint8_t trunc[] = {0x80, 0x80};
    uint64_t v;
    CHECK(get_varint64(trunc, trunc + sizeof trunc, &v) == NULL);
    uint8_t overlong[11];
    memset(overlong, 0xff, sizeof overlong);
    CHECK(get_varint64(overlong, overlong + sizeof overlong, &v) == NULL);
    uint8_t big32[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
    uint32_t v32;
    CHECK(get_varint32(big32, big32 + sizeof big32, &v32) == NULL);
    CHECK(get_varint64(trunc, trunc, &v) == NULL);
}

static void test_fixed_be_orders(void)
{
    uint8_t a[8], b[8];
    put_be64(a, 255);
    put_be64(b, 256);
    CHECK(memcmp(a, b, 8) < 0);
    CHECK(get_be64(b) == 256);
    put_be32(a, 0x01020304);
    CHECK(a[0] == 1 && a[3] == 4);
    CHECK(get_be32(a) == 0x01020304);
    put_le32(a, 0x01020304);
    CHECK(a[0] == 4 && get_le32(a) == 0x01020304);
}

static void test_arena(void)
{
    arena a;
    arena_init(&a, 1024);
    for (int i = 0; i < 1000; i++) {
        char *p = arena_alloc(&a, (size_t)(i % 50) + 1);
        CHECK(((uintptr_t)p & 7) == 0);
        memset(p, 'x', (size_t)(i % 50) + 1);
    }
    char *big = arena_alloc(&a, 100000);
    memset(big, 1, 100000);
    CHECK_EQ_STR(arena_strndup(&a, "hello world", 5), "hello");
    CHECK(arena_usage(&a) >= 100000);
    arena_destroy(&a);
}

static void test_status_names(void)
{
    CHECK_EQ_STR(strata_status_name(STRATA_CORRUPT), "STRATA_CORRUPT");
    CHECK_EQ_STR(strata_status_name(12345), "STRATA_UNKNOWN");
    CHECK_EQ_INT(st_error(STRATA_INVALID, "bad %s", "thing"), STRATA_INVALID);
    CHECK_EQ_STR(st_errmsg(), "bad thing");
}

TEST_MAIN(test_varint_roundtrip, test_varint_hostile, test_fixed_be_orders, test_arena,
          test_status_names)
