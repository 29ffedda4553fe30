/* tests/lsm/cache_test.c — block cache: hits/misses, CLOCK eviction, pinned handles, erase,
 * recycled buffers, threads. */
#include "test.h"

#include <pthread.h>

#include "lsm/cache.h"

static void *blob(size_t n, int fill)
{
    void *p = malloc(n);
    memset(p, fill, n);
    return p;
}

static void test_basic(void)
{
    block_cache *c = block_cache_new(1 << 20);
    CHECK(block_cache_lookup(c, 1, 0) == NULL);
    cache_handle *h = block_cache_insert(c, 1, 0, blob(100, 'a'), 100, 0);
    REQUIRE(h);
    CHECK_EQ_INT(cache_handle_size(h), 100);
    CHECK_EQ_INT(((const char *)cache_handle_data(h))[99], 'a');
    block_cache_release(c, h);
    h = block_cache_lookup(c, 1, 0);
    REQUIRE(h);
    CHECK_EQ_INT(((const char *)cache_handle_data(h))[0], 'a');
    /* inserting a present key keeps the present entry */
    cache_handle *h2 = block_cache_insert(c, 1, 0, blob(50, 'b'), 50, 0);
    CHECK(h2 == h);
    CHECK_EQ_INT(((const char *)cache_handle_data(h2))[0], 'a');
    block_cache_release(c, h2);
    block_cache_release(c, h);
    CHECK(block_cache_lookup(c, 2, 0) == NULL); /* other file */
    CHECK(block_cache_lookup(c, 1, 4096) == NULL);
    uint64_t hits, misses;
    size_t usage;
    block_cache_stats(c, &hits, &misses, &usage);
    CHECK_EQ_INT(hits, 1);
    CHECK_EQ_INT(misses, 3);
    CHECK_EQ_INT(usage, 100);
    block_cache_free(c);
}

static void test_eviction(void)
{
    /* 16 shards of 4 KiB: 1000 blocks of 1 KiB cannot all stay */
    block_cache *c = block_cache_new(64 * 1024);
    for (uint64_t i = 0; i < 1000; i++)
        block_cache_release(c, block_cache_insert(c, 7, i * 4096, blob(1024, (int)i), 1024, 0));
    size_t usage;
    block_cache_stats(c, NULL, NULL, &usage);
    CHECK(usage <= 64 * 1024);
    CHECK(usage >= 32 * 1024);
    int present = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        cache_handle *h = block_cache_lookup(c, 7, i * 4096);
        if (h) {
            present++;
            CHECK_EQ_INT(((const uint8_t *)cache_handle_data(h))[5], (uint8_t)i);
            block_cache_release(c, h);
        }
    }
    CHECK(present >= 32 && present <= 64);
    /* the most recent inserts survive */
    cache_handle *h = block_cache_lookup(c, 7, 999 * 4096);
    CHECK(h != NULL);
    block_cache_release(c, h);
    block_cache_free(c);
}

/* An entry looked up between inserts stays while a stream of one-time blocks passes through. */
static void test_hot_entry_stays(void)
{
    block_cache *c = block_cache_new(16 * 8 * 1024); /* 8 KiB a shard */
    block_cache_release(c, block_cache_insert(c, 5, 0, blob(1024, 'h'), 1024, 0));
    int lost = 0;
    for (uint64_t i = 1; i < 5000; i++) {
        block_cache_release(c, block_cache_insert(c, 5, i * 1024, blob(1024, 'c'), 1024, 0));
        cache_handle *h = block_cache_lookup(c, 5, 0);
        if (!h) {
            lost++;
            block_cache_release(c, block_cache_insert(c, 5, 0, blob(1024, 'h'), 1024, 0));
        }
        block_cache_release(c, h);
    }
    CHECK_EQ_INT(lost, 0);
    /* and a block never looked up again is gone */
    CHECK(block_cache_lookup(c, 5, 1024) == NULL);
    block_cache_free(c);
}

static void test_pinned_survives_eviction(void)
{
    block_cache *c = block_cache_new(16 * 1024);
    cache_handle *pin = block_cache_insert(c, 1, 0, blob(512, 'p'), 512, 0);
    for (uint64_t i = 1; i < 500; i++)
        block_cache_release(c, block_cache_insert(c, 1, i * 512, blob(512, 'x'), 512, 0));
    /* evicted or not, the pinned data is intact (ASan would flag a use after free) */
    CHECK_EQ_INT(((const char *)cache_handle_data(pin))[511], 'p');
    block_cache_erase_file(c, 1);
    CHECK_EQ_INT(((const char *)cache_handle_data(pin))[0], 'p');
    CHECK(block_cache_lookup(c, 1, 0) == NULL);
    block_cache_release(c, pin);
    size_t usage;
    block_cache_stats(c, NULL, NULL, &usage);
    CHECK_EQ_INT(usage, 0);
    block_cache_free(c);
}

static void test_erase_file(void)
{
    block_cache *c = block_cache_new(1 << 20);
    for (uint64_t i = 0; i < 100; i++) {
        block_cache_release(c, block_cache_insert(c, 1, i, blob(10, 1), 10, 0));
        block_cache_release(c, block_cache_insert(c, 2, i, blob(10, 2), 10, 0));
    }
    block_cache_erase_file(c, 1);
    int left1 = 0, left2 = 0;
    for (uint64_t i = 0; i < 100; i++) {
        cache_handle *h = block_cache_lookup(c, 1, i);
        left1 += h != NULL;
        block_cache_release(c, h);
        h = block_cache_lookup(c, 2, i);
        left2 += h != NULL;
        block_cache_release(c, h);
    }
    CHECK_EQ_INT(left1, 0);
    CHECK_EQ_INT(left2, 100);
    block_cache_free(c);
}

/* A block larger than its shard is handed back uncached, evicting nothing; after erases, new
 * blocks fill the cache to its capacity again (and no further). */
static void test_oversized_and_reuse(void)
{
    block_cache *c = block_cache_new(16 * 4096); /* 4 KiB a shard */
    block_cache_release(c, block_cache_insert(c, 1, 0, blob(1000, 'k'), 1000, 0));
    cache_handle *big = block_cache_insert(c, 1, 4096, blob(8000, 'b'), 8000, 0);
    REQUIRE(big);
    CHECK_EQ_INT(((const char *)cache_handle_data(big))[7999], 'b');
    block_cache_release(c, big);
    CHECK(block_cache_lookup(c, 1, 4096) == NULL); /* not cached */
    cache_handle *h = block_cache_lookup(c, 1, 0); /* the 1000-byte entry stayed */
    REQUIRE(h);
    CHECK_EQ_INT(cache_handle_size(h), 1000);
    block_cache_release(c, h);
    for (int round = 0; round < 3; round++) {
        block_cache_erase_file(c, 2);
        for (uint64_t i = 0; i < 2000; i++) /* 200 KB through 64 KiB */
            block_cache_release(c, block_cache_insert(c, 2, i, blob(100, 'r'), 100, 0));
        size_t usage;
        block_cache_stats(c, NULL, NULL, &usage);
        CHECK(usage > 16 * (4096 - 100) && usage <= 16 * 4096);
    }
    block_cache_free(c);
}

static void test_zero_capacity(void)
{
    block_cache *c = block_cache_new(0);
    cache_handle *h = block_cache_insert(c, 1, 0, blob(100, 'z'), 100, 0);
    REQUIRE(h);
    CHECK_EQ_INT(((const char *)cache_handle_data(h))[0], 'z');
    CHECK(block_cache_lookup(c, 1, 0) == NULL);
    block_cache_release(c, h);
    block_cache_free(c);
}

/* Blocks read into buffers from block_cache_buffer (evicted blocks' buffers, recycled): no block
 * still cached or pinned ever has its buffer handed out again, and every buffer holds len. */
static void test_spare_buffers(void)
{
    block_cache *c = block_cache_new(16 * 16 * 1024); /* 16 KiB a shard */
    enum { N = 3000 };
    cache_handle *pin[4] = {NULL, NULL, NULL, NULL};
    for (uint64_t i = 0; i < N; i++) {
        size_t len = i % 7 == 0 ? 3000 : 1000; /* some do not fit a 1000-byte spare */
        size_t cap;
        uint8_t *b = block_cache_buffer(c, 9, i * 4096, len, &cap);
        REQUIRE(b);
        memset(b, (int)(i & 0xff), len); /* ASan: the buffer holds len bytes */
        CHECK(cap >= len);
        cache_handle *h = block_cache_insert(c, 9, i * 4096, b, len, cap);
        REQUIRE(h);
        if (i % 1000 == 0)
            pin[i / 1000] = h;
        else
            block_cache_release(c, h);
        /* what the cache holds is intact */
        for (uint64_t j = i >= 40 ? i - 40 : 0; j <= i; j++) {
            cache_handle *g = block_cache_lookup(c, 9, j * 4096);
            if (!g) continue;
            const uint8_t *d = cache_handle_data(g);
            size_t n = cache_handle_size(g);
            CHECK(d[0] == (uint8_t)(j & 0xff) && d[n - 1] == (uint8_t)(j & 0xff));
            block_cache_release(c, g);
        }
    }
    for (int p = 0; p < 3; p++) {
        const uint8_t *d = cache_handle_data(pin[p]);
        size_t n = cache_handle_size(pin[p]);
        CHECK(d[0] == (uint8_t)((p * 1000) & 0xff) && d[n - 1] == d[0]);
        block_cache_release(c, pin[p]);
    }
    block_cache_free(c); /* ASan: spares freed */
}

/* The buffer of an erased (or evicted) block is handed out again for a block it fits, not for
 * one it would hold with much to spare; the newest spares are kept, so spares that fit no block
 * being read cannot keep out one that does. */
static void test_spare_reuse(void)
{
    block_cache *c = block_cache_new(16 * 64 * 1024); /* spares up to 16 KiB a shard */
    size_t cap;
    uint8_t *p = block_cache_buffer(c, 1, 0, 1000, &cap);
    REQUIRE(p);
    CHECK(cap >= 1000);
    block_cache_release(c, block_cache_insert(c, 1, 0, p, 1000, cap));
    block_cache_erase_file(c, 1);
    uint8_t *q = block_cache_buffer(c, 1, 0, 900, &cap);
    CHECK(q == p);
    block_cache_release(c, block_cache_insert(c, 1, 0, q, 900, cap));
    block_cache_erase_file(c, 1);
    uint8_t *r = block_cache_buffer(c, 1, 0, 100, &cap); /* p would waste 900 bytes */
    CHECK(r != p);
    free(r);
    /* eight small spares, then a big one: the big one is kept and handed out */
    for (int i = 0; i < 8; i++) {
        block_cache_release(c, block_cache_insert(c, 1, 0, blob(256, 's'), 100, 256));
        block_cache_erase_file(c, 1);
    }
    uint8_t *big = blob(4096, 'b');
    block_cache_release(c, block_cache_insert(c, 1, 0, big, 4000, 4096));
    block_cache_erase_file(c, 1);
    uint8_t *got = block_cache_buffer(c, 1, 0, 4000, &cap);
    CHECK(got == big);
    CHECK_EQ_INT(cap, 4096);
    free(got);
    block_cache_free(c); /* ASan: the remaining spares (p among them) are freed */
}

/* With room for everything, the table is exact: after files are erased between inserts, every
 * key of the other files is found with its own data and none of an erased file (deletions from
 * the open-addressing table must keep every probe run reachable). */
static void test_table_exact(void)
{
    block_cache *c = block_cache_new((size_t)1 << 30);
    enum { FILES = 5, PER = 3000 };
    static uint8_t present[FILES][PER];
    memset(present, 0, sizeof present);
    uint64_t seed = 12345;
    for (int round = 0; round < 6; round++) {
        for (int n = 0; n < 4000; n++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            int f = (int)((seed >> 20) % FILES), k = (int)((seed >> 33) % PER);
            block_cache_release(c, block_cache_insert(c, (uint64_t)f + 1, (uint64_t)k * 4096,
                                                      blob(16, (f * 31 + k) & 0xff), 16, 0));
            present[f][k] = 1;
        }
        int gone = round % FILES;
        block_cache_erase_file(c, (uint64_t)gone + 1);
        memset(present[gone], 0, PER);
        int wrong = 0;
        for (int f = 0; f < FILES; f++) {
            for (int k = 0; k < PER; k++) {
                cache_handle *h = block_cache_lookup(c, (uint64_t)f + 1, (uint64_t)k * 4096);
                if ((h != NULL) != present[f][k]) wrong++;
                if (h && ((const uint8_t *)cache_handle_data(h))[15] != ((f * 31 + k) & 0xff))
                    wrong++;
                block_cache_release(c, h);
            }
        }
        CHECK_EQ_INT(wrong, 0);
    }
    block_cache_free(c);
}

/* A lookup that misses hands out the buffer to read the block into (an evicted block's when
 * one fits); one that hits hands out no buffer. */
static void test_lookup_buffer(void)
{
    block_cache *c = block_cache_new(16 * 64 * 1024);
    void *b = (void *)1;
    size_t cap = 0;
    CHECK(block_cache_lookup_buffer(c, 4, 0, 1000, &b, &cap) == NULL);
    REQUIRE(b);
    CHECK(cap >= 1000);
    memset(b, 'q', 1000);
    block_cache_release(c, block_cache_insert(c, 4, 0, b, 1000, cap));
    void *b2 = (void *)1;
    cache_handle *h = block_cache_lookup_buffer(c, 4, 0, 1000, &b2, &cap);
    REQUIRE(h);
    CHECK(b2 == NULL);
    CHECK(((const uint8_t *)cache_handle_data(h))[999] == 'q');
    block_cache_release(c, h);
    block_cache_erase_file(c, 4); /* b becomes a spare */
    void *b3 = NULL;
    CHECK(block_cache_lookup_buffer(c, 4, 0, 900, &b3, &cap) == NULL); /* same shard */
    CHECK(b3 == b);
    free(b3);
    uint64_t hits, misses;
    block_cache_stats(c, &hits, &misses, NULL);
    CHECK_EQ_INT(hits, 1);
    CHECK_EQ_INT(misses, 2);
    block_cache_free(c);
}

static block_cache *shared_cache;
static void *worker(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg * 7919 + 1;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t off = (seed >> 33) % 512;
        size_t cap;
        void *b = NULL;
        /* odd workers take the buffer with the lookup, even ones after it */
        cache_handle *h = (uintptr_t)arg % 2
                              ? block_cache_lookup_buffer(shared_cache, 3, off, 256, &b, &cap)
                              : block_cache_lookup(shared_cache, 3, off);
        if (h && b) abort();
        if (!h) {
            if (!b) b = block_cache_buffer(shared_cache, 3, off, 256, &cap);
            if (!b) abort();
            memset(b, (int)(off & 0xff), 256);
            h = block_cache_insert(shared_cache, 3, off, b, 256, cap);
        }
        if (((const uint8_t *)cache_handle_data(h))[255] != (uint8_t)(off & 0xff)) abort();
        block_cache_release(shared_cache, h);
        if (i % 5000 == 0) block_cache_erase_file(shared_cache, 3);
    }
    return NULL;
}

static void test_threads(void)
{
    shared_cache = block_cache_new(32 * 1024);
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    uint64_t hits, misses;
    block_cache_stats(shared_cache, &hits, &misses, NULL);
    CHECK_EQ_INT(hits + misses, 80000);
    CHECK(hits > 0);
    block_cache_free(shared_cache);
}

TEST_MAIN(test_basic, test_eviction, test_hot_entry_stays, test_pinned_survives_eviction,
          test_erase_file, test_oversized_and_reuse, test_zero_capacity, test_spare_buffers,
          test_spare_reuse, test_table_exact, test_lookup_buffer, test_threads)
