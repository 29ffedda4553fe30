/* fuzz/version_edit.c — libFuzzer target: hostile bytes through ve_decode (lsm/version_edit.h,
 * one MANIFEST record). Nothing may crash, leak or over-read; a failure is STRATA_CORRUPT.
 * An edit that decodes must round-trip: ve_encode of it decodes to the same edit, and encoding
 * that again gives the same bytes (the input itself may differ: fields come back in a fixed
 * order and varints canonical). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsm/version_edit.h"
#include "strata_status.h"

static void fail(const char *what)
{
    fprintf(stderr, "version_edit: %s\n", what);
    abort();
}

static int same_file(const file_meta *a, const file_meta *b)
{
    return a->number == b->number && a->size == b->size && a->min_seq == b->min_seq &&
           a->max_seq == b->max_seq && a->global_seq == b->global_seq &&
           a->smallest_len == b->smallest_len && a->largest_len == b->largest_len &&
           !memcmp(a->smallest, b->smallest, a->smallest_len) &&
           !memcmp(a->largest, b->largest, a->largest_len);
}

static void same_edit(const version_edit *a, const version_edit *b)
{
    if (a->has_log_number != b->has_log_number || a->has_next_file != b->has_next_file ||
        a->has_last_seq != b->has_last_seq)
        fail("presence flags differ");
    if ((a->has_log_number && a->log_number != b->log_number) ||
        (a->has_next_file && a->next_file != b->next_file) ||
        (a->has_last_seq && a->last_seq != b->last_seq))
        fail("scalar fields differ");
    if (a->ndeleted != b->ndeleted || a->nadded != b->nadded) fail("file counts differ");
    for (size_t i = 0; i < a->ndeleted; i++)
        if (a->deleted[i].level != b->deleted[i].level ||
            a->deleted[i].number != b->deleted[i].number)
            fail("deleted file differs");
    for (size_t i = 0; i < a->nadded; i++)
        if (a->added[i].level != b->added[i].level || !same_file(a->added[i].f, b->added[i].f))
            fail("added file differs");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1); /* exact-size buffer: ASan sees any over-read */
    if (!copy) abort();
    memcpy(copy, data, size);
    version_edit e;
    int rc = ve_decode(&e, copy, size);
    free(copy);
    if (rc != STRATA_OK) {
        if (rc != STRATA_CORRUPT && rc != STRATA_NOMEM) fail("failure is not CORRUPT");
        if (e.nadded || e.ndeleted || e.added || e.deleted) fail("failed decode left files");
        return 0;
    }
    for (size_t i = 0; i < e.nadded; i++) {
        const file_meta *f = e.added[i].f;
        if (e.added[i].level < 0 || e.added[i].level >= STRATA_KV_LEVELS) fail("level");
        if (f->smallest_len < 8 || f->largest_len < 8 || f->min_seq > f->max_seq)
            fail("an impossible file decoded");
    }
    for (size_t i = 0; i < e.ndeleted; i++)
        if (e.deleted[i].level < 0 || e.deleted[i].level >= STRATA_KV_LEVELS) fail("level");

    uint8_t *enc = NULL, *enc2 = NULL;
    size_t n = 0, n2 = 0;
    if (ve_encode(&e, &enc, &n) != STRATA_OK) fail("ve_encode");
    version_edit d;
    if (ve_decode(&d, enc, n) != STRATA_OK) fail("the encoding of a decoded edit does not decode");
    same_edit(&e, &d);
    if (ve_encode(&d, &enc2, &n2) != STRATA_OK) fail("ve_encode");
    if (n != n2 || memcmp(enc, enc2, n)) fail("encoding is not a fixed point");
    free(enc);
    free(enc2);
    ve_clear(&d);
    ve_clear(&e);
    return 0;
}
