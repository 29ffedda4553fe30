/* tests/lsm/bloom_test.c — no false negatives; measured false-positive rate. */
#include "test.h"

#include "lsm/bloom.h"

/* Out of line: gcc -O2 inlining xxh3 next to a small stack array warns (-Warray-bounds)
 * about reads it cannot prove dead. */
static __attribute__((noinline)) uint64_t key_hash(const char *k, int n)
{
    return bloom_hash(st_slice_make(k, (size_t)n));
}

static double fp_rate(size_t n, int bits)
{
    uint64_t *h = malloc(n * sizeof *h);
    char key[32];
    for (size_t i = 0; i < n; i++) {
        int l = snprintf(key, sizeof key, "key%08zu", i);
        h[i] = key_hash(key, l);
    }
    size_t sz = bloom_filter_size(n, bits);
    uint8_t *f = malloc(sz);
    bloom_build(h, n, bits, f);
    CHECK(bloom_valid(f, sz));
    size_t fn = 0;
    for (size_t i = 0; i < n; i++) fn += !bloom_may_contain(f, sz, h[i]);
    CHECK_EQ_INT(fn, 0);
    size_t fp = 0, probes = 100000;
    for (size_t i = 0; i < probes; i++) {
        int l = snprintf(key, sizeof key, "absent%08zu", i);
        fp += bloom_may_contain(f, sz, key_hash(key, l));
    }
    free(f);
    free(h);
    return (double)fp / (double)probes;
}

static void test_fp_rate(void)
{
    double r = fp_rate(100000, 10);
    fprintf(stderr, "  fp rate at 10 bits/key, 100k keys: %.4f\n", r);
    CHECK(r <= 0.015);
    CHECK(fp_rate(1000, 10) <= 0.025); /* small filters too */
    double r20 = fp_rate(20000, 20);
    CHECK(r20 <= 0.002);
    CHECK(fp_rate(10, 10) <= 0.10);
}

static void test_empty_and_invalid(void)
{
    uint8_t f[1];
    bloom_build(NULL, 0, 10, f);
    CHECK(bloom_valid(f, 1));
    CHECK(!bloom_may_contain(f, 1, 12345));
    uint8_t bad[65] = {0};
    CHECK(!bloom_valid(bad, 65)); /* 0 probes */
    bad[64] = 31;
    CHECK(!bloom_valid(bad, 65));
    bad[64] = 6;
    CHECK(bloom_valid(bad, 65));
    CHECK(!bloom_valid(bad, 64)); /* not a whole number of lines */
    CHECK(!bloom_valid(bad, 0));
}

TEST_MAIN(test_fp_rate, test_empty_and_invalid)
