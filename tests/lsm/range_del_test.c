/* tests/lsm/range_del_test.c — fragmentation against a brute-force model on random
 * tombstones: for every key and read sequence, the max covering seq must agree, and the
 * fragment returned must contain the key and carry the answer over its whole extent. */
#include "test.h"
#include "lsm/range_del.h"

static uint64_t rng = 0x1234567;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_random_vs_model(void)
{
    for (int round = 0; round < 200; round++) {
        int n = (int)(rnd() % 12);
        range_tombstone ts[12];
        uint8_t keys[12][2];
        for (int i = 0; i < n; i++) {
            keys[i][0] = (uint8_t)('a' + rnd() % 20);
            keys[i][1] = (uint8_t)('a' + rnd() % 20);
            ts[i].start = st_slice_make(&keys[i][0], 1);
            ts[i].end = st_slice_make(&keys[i][1], 1);
            ts[i].seq = 1 + rnd() % 10;
        }
        range_del_list *l = rd_build(ts, (size_t)n);
        REQUIRE(l != NULL);
        /* fragments sorted and non-overlapping */
        for (size_t f = 0; f + 1 < l->n; f++)
            CHECK(st_slice_cmp(l->frags[f].end, l->frags[f + 1].start) <= 0);
        for (int c = 'a' - 1; c <= 'a' + 21; c++) {
            uint8_t kc = (uint8_t)c;
            st_slice k = st_slice_make(&kc, 1);
            for (uint64_t rs = 0; rs <= 11; rs++) {
                uint64_t want = 0;
                for (int i = 0; i < n; i++)
                    if (st_slice_cmp(ts[i].start, k) <= 0 && st_slice_cmp(k, ts[i].end) < 0 &&
                        ts[i].seq <= rs && ts[i].seq > want)
                        want = ts[i].seq;
                const rd_frag *fr;
                uint64_t got = rd_max_covering(l, k, rs, &fr);
                CHECK_EQ_INT(got, want);
                if (got) {
                    REQUIRE(fr != NULL);
                    CHECK(st_slice_cmp(fr->start, k) <= 0 && st_slice_cmp(k, fr->end) < 0);
                    /* the answer holds for every key of the fragment (skipping to its end is
                     * sound) */
                    for (int d = fr->start.p[0]; d < fr->end.p[0]; d++) {
                        uint8_t dc = (uint8_t)d;
                        CHECK_EQ_INT(rd_max_covering(l, st_slice_make(&dc, 1), rs, NULL), want);
                    }
                }
            }
        }
        rd_unref(l);
    }
}

static void test_empty_and_invalid(void)
{
    range_del_list *l = rd_build(NULL, 0);
    REQUIRE(l);
    CHECK_EQ_INT(l->n, 0);
    CHECK_EQ_INT(rd_max_covering(l, st_slice_make("a", 1), 100, NULL), 0);
    rd_unref(l);
    range_tombstone t = {st_slice_make("b", 1), st_slice_make("a", 1), 5};
    l = rd_build(&t, 1);
    CHECK_EQ_INT(l->n, 0); /* start >= end ignored */
    rd_unref(l);
}

TEST_MAIN(test_random_vs_model, test_empty_and_invalid)
