/* fuzz/kv_ops.c — libFuzzer target: the input bytes are decoded as a sequence of operations
 * applied both to a database (in a temporary directory, tiny write buffer so flushes and
 * compactions happen) and to an in-memory model; every read is checked against the model.
 *
 * Encoding: each op is one byte (op = b % 10) followed by its operands (key ids are one byte:
 * 64 keys; values are derived from a byte). A mismatch aborts (a crash for libFuzzer). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strata_kv.h"

#define NK 64

static void key_of(int id, char *k, size_t *kl)
{
    *kl = (size_t)snprintf(k, 16, "k%02d", id);
}

static void fail(const char *what, int id)
{
    fprintf(stderr, "kv_ops: mismatch: %s (key %d)\n", what, id);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[256];
    if (!dir[0]) {
        const char *base = getenv("STRATA_TEST_TMP");
        base = base && *base ? base : "/tmp";
        mkdir(base, 0755);
        snprintf(dir, sizeof dir, "%s/kv_ops.%d", base, (int)getpid());
    }
    strata_kv_destroy(dir);
    strata_kv_options o;
    strata_kv_options_init(&o);
    o.write_buffer_size = 64 << 10;
    o.target_file_size = 64 << 10;
    o.max_bytes_for_level_base = 64 << 10;
    o.io_backend = STRATA_KV_IO_SYNC;
    o.block_cache_size = 256 << 10;
    strata_kv *db = NULL;
    if (strata_kv_open(dir, &o, &db) != STRATA_OK) {
        fprintf(stderr, "kv_ops: open %s: %s\n", dir, strata_kv_errmsg());
        abort();
    }
    int present[NK] = {0};
    uint8_t vals[NK] = {0};
    size_t vlen[NK] = {0};
    size_t i = 0;
    char k[16], k2[16];
    size_t kl, kl2;
    uint8_t vbuf[600];
    while (i < size) {
        int op = data[i++] % 10;
        int a = i < size ? data[i++] % NK : 0;
        int b = i < size ? data[i++] : 0;
        key_of(a, k, &kl);
        switch (op) {
        case 0:
        case 1: { /* put: value = b repeated, length from b */
            size_t n = (size_t)(b * 2 + (op == 1 ? 100 : 0)) % sizeof vbuf;
            memset(vbuf, b, n);
            if (strata_kv_put(db, k, kl, vbuf, n) != STRATA_OK) abort();
            present[a] = 1;
            vals[a] = (uint8_t)b;
            vlen[a] = n;
            break;
        }
        case 2:
            if (strata_kv_delete(db, k, kl) != STRATA_OK) abort();
            present[a] = 0;
            break;
        case 3: { /* delete_range [a, a + b % 16) */
            int e = a + b % 16;
            if (e > NK) e = NK;
            key_of(e, k2, &kl2);
            if (strata_kv_delete_range(db, k, kl, k2, kl2) != STRATA_OK) abort();
            for (int j = a; j < e; j++) present[j] = 0;
            break;
        }
        case 4:
        case 5: { /* get */
            void *v;
            size_t n;
            int rc = strata_kv_get(db, NULL, k, kl, &v, &n);
            if (present[a]) {
                if (rc != STRATA_OK || n != vlen[a]) fail("get", a);
                for (size_t j = 0; j < n; j++)
                    if (((uint8_t *)v)[j] != vals[a]) fail("get value", a);
                strata_kv_free(v);
            } else if (rc != STRATA_NOTFOUND) {
                fail("get of a deleted key", a);
            }
            break;
        }
        case 6: { /* scan forward from a, or backward when b is odd */
            strata_kv_iter *it = strata_kv_iter_new(db, NULL);
            if (!it) abort();
            int pos;
            if (b & 1) {
                strata_kv_iter_seek_for_prev(it, k, kl);
                pos = a;
                while (pos >= 0 && !present[pos]) pos--;
            } else {
                strata_kv_iter_seek(it, k, kl);
                pos = a;
                while (pos < NK && !present[pos]) pos++;
            }
            if ((b & 3) == 2) { /* forward in batches: the same entries as next calls */
                strata_kv_entry e[8];
                for (int round = 0; round < 3; round++) {
                    size_t n = strata_kv_iter_next_batch(it, e, 1 + (size_t)(b >> 2) % 8);
                    for (size_t j = 0; j < n; j++) {
                        if (pos >= NK) fail("batch past the end", pos);
                        key_of(pos, k2, &kl2);
                        if (e[j].klen != kl2 || memcmp(e[j].key, k2, kl2)) fail("batch key", pos);
                        if (e[j].vlen != vlen[pos]) fail("batch value length", pos);
                        for (size_t x = 0; x < e[j].vlen; x++)
                            if (((const uint8_t *)e[j].val)[x] != vals[pos])
                                fail("batch value", pos);
                        pos++;
                        while (pos < NK && !present[pos]) pos++;
                    }
                    if (n == 0 && pos < NK) fail("batch ended early", pos);
                }
            }
            for (int s = 0; s < 8; s++) {
                int want = pos >= 0 && pos < NK;
                if (!!strata_kv_iter_valid(it) != want) fail("scan validity", pos);
                if (!want) break;
                size_t n;
                const char *got = strata_kv_iter_key(it, &n);
                key_of(pos, k2, &kl2);
                if (n != kl2 || memcmp(got, k2, n)) fail("scan key", pos);
                if (b & 1) {
                    strata_kv_iter_prev(it);
                    pos--;
                    while (pos >= 0 && !present[pos]) pos--;
                } else {
                    strata_kv_iter_next(it);
                    pos++;
                    while (pos < NK && !present[pos]) pos++;
                }
            }
            if (strata_kv_iter_status(it) != STRATA_OK) abort();
            strata_kv_iter_free(it);
            break;
        }
        case 7:
            if (strata_kv_flush(db) != STRATA_OK) abort();
            break;
        case 8:
            if (strata_kv_compact_range(db, NULL, 0, NULL, 0) != STRATA_OK) abort();
            break;
        case 9:
            if (strata_kv_close(db) != STRATA_OK) abort();
            db = NULL;
            if (strata_kv_open(dir, &o, &db) != STRATA_OK) abort();
            break;
        }
    }
    strata_kv_close(db);
    strata_kv_destroy(dir);
    return 0;
}
