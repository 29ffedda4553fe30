/* tests/util/arena_test.c — the bump allocator: every allocation keeps its bytes, is aligned as
 * asked, and big requests get blocks of their own. */
#include <stdint.h>

#include "test.h"
#include "util/arena.h"

static void fill_check(arena *a)
{
    enum { N = 200000 };
    unsigned char **p = malloc(N * sizeof *p);
    size_t *len = malloc(N * sizeof *len);
    REQUIRE(p && len);
    size_t total = 0;
    for (size_t i = 0; i < N; i++) {
        len[i] = 1 + (i * 2654435761u) % 97;
        size_t align = (size_t)1 << (i % 5); /* 1 .. 16 */
        p[i] = arena_alloc_aligned(a, len[i], align);
        CHECK(((uintptr_t)p[i] & (align - 1)) == 0);
        memset(p[i], (int)(i & 0xff), len[i]);
        total += len[i];
    }
    /* a request bigger than a block */
    size_t big_n = (size_t)5 << 20;
    unsigned char *big = arena_alloc(a, big_n);
    memset(big, 0xab, big_n);
    total += big_n;
    int bad = 0;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < len[i]; j++) bad += p[i][j] != (unsigned char)(i & 0xff);
    for (size_t j = 0; j < big_n; j++) bad += big[j] != 0xab;
    CHECK_EQ_INT(bad, 0);
    CHECK(arena_usage(a) >= total);
    free(p);
    free(len);
}

static void test_normal(void)
{
    arena a;
    arena_init(&a, 64 * 1024);
    fill_check(&a);
    arena_destroy(&a);
}

TEST_MAIN(test_normal)
