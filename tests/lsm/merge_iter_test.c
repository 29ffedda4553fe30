/* tests/lsm/merge_iter_test.c — the merging iterator against a sorted-array model: random
 * children, random walks mixing next/prev/seek/seek_for_prev (direction changes included). */
#include "test.h"
#include "lsm/dbformat.h"
#include "lsm/memtable.h"
#include "lsm/merge_iter.h"

static uint64_t rng = 0xabcdef12345ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

typedef struct ent {
    uint8_t k[16];
} ent;

static int cmp_ent(const void *a, const void *b)
{
    return ikey_cmp(st_slice_make(((const ent *)a)->k, 16), st_slice_make(((const ent *)b)->k, 16));
}

static st_slice mk(uint8_t *buf, uint64_t k, uint64_t seq)
{
    uint8_t u[8];
    put_be64(u, k);
    return ikey_build(buf, st_slice_make(u, 8), seq, KIND_PUT);
}

static void test_random_walks(void)
{
    for (int round = 0; round < 30; round++) {
        size_t nk = 1 + rnd() % 6;
        lsm_iter *kids[6];
        memtable *mems[6];
        enum { MAXN = 1200 };
        static ent model[MAXN];
        size_t nm = 0;
        uint64_t seq = 1;
        for (size_t c = 0; c < nk; c++) {
            mems[c] = mem_new();
            size_t cnt = rnd() % 200;
            for (size_t i = 0; i < cnt; i++) {
                uint64_t k = rnd() % 300;
                uint8_t u[8];
                put_be64(u, k);
                mem_add(mems[c], seq, KIND_PUT, st_slice_make(u, 8), st_slice_make("v", 1));
                mk(model[nm++].k, k, seq);
                seq++;
            }
            kids[c] = mem_iter_new(mems[c]);
            mem_unref(mems[c]);
        }
        qsort(model, nm, sizeof model[0], cmp_ent);
        lsm_iter *m = merge_iter_new(kids, NULL, nk);
        REQUIRE(m);
        long pos = -1; /* model index; -1 / nm = invalid */
        for (int step = 0; step < 400; step++) {
            int op = (int)(rnd() % 6);
            uint8_t tb[16];
            if (op == 0 || (pos < 0 || pos >= (long)nm)) {
                int which = (int)(rnd() % 4);
                if (which == 0) {
                    lsm_iter_seek_to_first(m);
                    pos = 0;
                } else if (which == 1) {
                    lsm_iter_seek_to_last(m);
                    pos = (long)nm - 1;
                } else {
                    st_slice t = mk(tb, rnd() % 310, rnd() % (seq + 1));
                    ent e;
                    memcpy(e.k, tb, 16);
                    if (which == 2) {
                        lsm_iter_seek(m, t);
                        pos = 0;
                        while (pos < (long)nm && cmp_ent(&model[pos], &e) < 0) pos++;
                    } else {
                        lsm_iter_seek_for_prev(m, t);
                        pos = (long)nm - 1;
                        while (pos >= 0 && cmp_ent(&model[pos], &e) > 0) pos--;
                    }
                }
            } else if (op <= 3) {
                lsm_iter_next(m);
                pos++;
            } else {
                lsm_iter_prev(m);
                pos--;
            }
            if (pos < 0 || pos >= (long)nm) {
                CHECK(!lsm_iter_valid(m));
            } else {
                REQUIRE(lsm_iter_valid(m));
                CHECK(memcmp(lsm_iter_key(m).p, model[pos].k, 16) == 0);
            }
        }
        CHECK_EQ_INT(lsm_iter_status(m), 0);
        lsm_iter_destroy(m);
    }
}

static void test_reseek_older(void)
{
    /* child 0 (newer, max seq 100) and child 1 (older, max seq 10): a tombstone at seq 50 lets
     * child 1 jump while child 0 stays */
    memtable *a = mem_new(), *b = mem_new();
    for (uint64_t k = 0; k < 50; k++) {
        uint8_t u[8];
        put_be64(u, k);
        if (k % 10 == 0) mem_add(a, 60 + k, KIND_PUT, st_slice_make(u, 8), st_slice_make("", 0));
        mem_add(b, 1 + k / 10, KIND_PUT, st_slice_make(u, 8), st_slice_make("", 0));
    }
    lsm_iter *kids[2] = {mem_iter_new(a), mem_iter_new(b)};
    uint64_t ms[2] = {100, 10};
    mem_unref(a);
    mem_unref(b);
    lsm_iter *m = merge_iter_new(kids, ms, 2);
    lsm_iter_seek_to_first(m);
    uint8_t tb[16];
    merge_iter_reseek_older(m, 1, 50, mk(tb, 35, SEQ_MAX));
    /* child 0 still at key 0, child 1 at 35 */
    REQUIRE(lsm_iter_valid(m));
    CHECK(get_be64(lsm_iter_key(m).p) == 0);
    int n = 0;
    while (lsm_iter_valid(m)) {
        n++;
        lsm_iter_next(m);
    }
    CHECK_EQ_INT(n, 5 + 15); /* 0,10,20,30,40 from a; 35..49 from b */
    lsm_iter_destroy(m);
}

TEST_MAIN(test_random_walks, test_reseek_older)
