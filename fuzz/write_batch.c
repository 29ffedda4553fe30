/* fuzz/write_batch.c — libFuzzer target: hostile bytes through the write-batch reader
 * (lsm/write_batch.h: wb_iter, the payload of one WAL record). Nothing may crash or over-read;
 * a malformed batch is STRATA_CORRUPT. A batch that reads to STRATA_DONE must round-trip: its
 * records rebuilt with the public strata_kv_batch_* calls (which enforce the limits) give a
 * batch that reads back to the same records, and rebuilding that gives the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsm/dbformat.h"
#include "lsm/write_batch.h"
#include "strata_kv.h"

#define MAX_RECS 4096

typedef struct rec {
    int kind;
    st_slice key, value;
} rec;

static void fail(const char *what, size_t i)
{
    fprintf(stderr, "write_batch: %s (record %zu)\n", what, i);
    abort();
}

/* Reads every record of data[0..n) into recs; STRATA_DONE, STRATA_CORRUPT, or -1 when there
 * are more than MAX_RECS records. */
static int read_all(const uint8_t *data, size_t n, rec *recs, size_t *nrec, uint64_t *seq)
{
    wb_iter it;
    *nrec = 0;
    int rc = wb_iter_init(&it, data, n);
    if (rc != STRATA_OK) {
        if (rc != STRATA_CORRUPT || n >= WB_HEADER) fail("wb_iter_init", 0);
        return rc;
    }
    *seq = it.seq;
    for (;;) {
        rec r;
        rc = wb_iter_next(&it, &r.kind, &r.key, &r.value);
        if (rc == STRATA_DONE || rc == STRATA_CORRUPT) return rc;
        if (rc != STRATA_OK) fail("wb_iter_next: unexpected code", *nrec);
        if (r.key.n == 0 || r.key.n > STRATA_KV_MAX_KEY) fail("a bad key length read", *nrec);
        if (r.key.p < data || r.key.p + r.key.n > data + n) fail("key outside the batch", *nrec);
        if (r.value.n && (r.value.p < data || r.value.p + r.value.n > data + n))
            fail("value outside the batch", *nrec);
        if (*nrec == MAX_RECS) return -1;
        recs[(*nrec)++] = r;
    }
}

static strata_kv_batch *rebuild(const rec *recs, size_t nrec, uint64_t seq)
{
    strata_kv_batch *b = strata_kv_batch_new();
    if (!b) abort();
    for (size_t i = 0; i < nrec; i++) {
        const rec *r = &recs[i];
        int rc = STRATA_OK;
        if (r->kind == KIND_PUT)
            rc = strata_kv_batch_put(b, r->key.p, r->key.n, r->value.p, r->value.n);
        else if (r->kind == KIND_DELETE)
            rc = strata_kv_batch_delete(b, r->key.p, r->key.n);
        else if (r->kind == KIND_RANGE_DEL)
            rc = strata_kv_batch_delete_range(b, r->key.p, r->key.n, r->value.p, r->value.n);
        else
            fail("an unknown kind read", i);
        if (rc != STRATA_OK) fail("a record that read back is refused by the batch API", i);
    }
    if (strata_kv_batch_count(b) != nrec) fail("count of the rebuilt batch", nrec);
    wb_set_sequence(b, seq);
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static rec recs[MAX_RECS], recs2[MAX_RECS];
    uint8_t *copy = malloc(size ? size : 1); /* exact-size buffer: ASan sees any over-read */
    if (!copy) abort();
    memcpy(copy, data, size);
    size_t nrec = 0, nrec2 = 0;
    uint64_t seq = 0, seq2 = 0;
    int rc = read_all(copy, size, recs, &nrec, &seq);
    if (rc != STRATA_DONE) {
        free(copy);
        return 0;
    }
    strata_kv_batch *b = rebuild(recs, nrec, seq);
    if (wb_sequence(b) != seq) fail("sequence", 0);
    if (read_all(b->data, b->len, recs2, &nrec2, &seq2) != STRATA_DONE)
        fail("the rebuilt batch does not read", 0);
    if (nrec2 != nrec || seq2 != seq) fail("the rebuilt batch has other records", nrec2);
    for (size_t i = 0; i < nrec; i++)
        if (recs[i].kind != recs2[i].kind || recs[i].key.n != recs2[i].key.n ||
            memcmp(recs[i].key.p, recs2[i].key.p, recs[i].key.n) ||
            recs[i].value.n != recs2[i].value.n ||
            (recs[i].value.n && memcmp(recs[i].value.p, recs2[i].value.p, recs[i].value.n)))
            fail("a record differs after the round trip", i);
    strata_kv_batch *b2 = rebuild(recs2, nrec2, seq2);
    if (b2->len != b->len || memcmp(b2->data, b->data, b->len))
        fail("rebuilding is not a fixed point", 0);
    /* wb_append of the batch onto a copy of itself doubles the records */
    if (wb_append(b2, b) != STRATA_OK) fail("wb_append", 0);
    if (read_all(b2->data, b2->len, recs2, &nrec2, &seq2) == STRATA_CORRUPT ||
        (nrec * 2 <= MAX_RECS && nrec2 != 2 * nrec))
        fail("appended batch", nrec2);
    strata_kv_batch_free(b2);
    strata_kv_batch_free(b);
    free(copy);
    return 0;
}
