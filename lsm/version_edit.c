/* lsm/version_edit.c — see version_edit.h. */
#include "lsm/version_edit.h"

#include <stdlib.h>
#include <string.h>

#include "lsm/dbformat.h"
#include "util/coding.h"
#include "util/status.h"

file_meta *file_meta_new(uint64_t number, uint64_t size, st_slice smallest, st_slice largest,
                         uint64_t min_seq, uint64_t max_seq, uint64_t global_seq)
{
    file_meta *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->smallest = malloc(smallest.n ? smallest.n : 1);
    f->largest = malloc(largest.n ? largest.n : 1);
    if (!f->smallest || !f->largest) {
        free(f->smallest);
        free(f->largest);
        free(f);
        return NULL;
    }
    atomic_init(&f->refs, 1);
    atomic_init(&f->reader, NULL);
    atomic_init(&f->rd, NULL);
    f->number = number;
    f->size = size;
    if (smallest.n) memcpy(f->smallest, smallest.p, smallest.n);
    f->smallest_len = smallest.n;
    if (largest.n) memcpy(f->largest, largest.p, largest.n);
    f->largest_len = largest.n;
    f->min_seq = min_seq;
    f->max_seq = max_seq;
    f->global_seq = global_seq;
    uint64_t seeks = size / FILE_SEEK_BYTES;
    atomic_init(&f->allowed_seeks, seeks < FILE_MIN_SEEKS ? FILE_MIN_SEEKS : (int64_t)seeks);
    return f;
}

void file_meta_ref(file_meta *f)
{
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

void file_meta_unref(file_meta *f)
{
    if (!f || atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1) return;
    free(f->smallest);
    free(f->largest);
    free(f);
}

void ve_init(version_edit *e)
{
    memset(e, 0, sizeof *e);
}

void ve_clear(version_edit *e)
{
    for (size_t i = 0; i < e->nadded; i++) file_meta_unref(e->added[i].f);
    free(e->added);
    free(e->deleted);
    memset(e, 0, sizeof *e);
}

int ve_add_file(version_edit *e, int level, file_meta *f)
{
    if (e->nadded == e->capadded) {
        size_t nc = e->capadded ? e->capadded * 2 : 8;
        ve_new_file *n = realloc(e->added, nc * sizeof *n);
        if (!n) return st_error(STRATA_NOMEM, "version edit: out of memory");
        e->added = n;
        e->capadded = nc;
    }
    file_meta_ref(f);
    e->added[e->nadded].level = level;
    e->added[e->nadded].f = f;
    e->nadded++;
    return STRATA_OK;
}

int ve_delete_file(version_edit *e, int level, uint64_t number)
{
    if (e->ndeleted == e->capdeleted) {
        size_t nc = e->capdeleted ? e->capdeleted * 2 : 8;
        ve_deleted *n = realloc(e->deleted, nc * sizeof *n);
        if (!n) return st_error(STRATA_NOMEM, "version edit: out of memory");
        e->deleted = n;
        e->capdeleted = nc;
    }
    e->deleted[e->ndeleted].level = level;
    e->deleted[e->ndeleted].number = number;
    e->ndeleted++;
    return STRATA_OK;
}

int ve_encode(const version_edit *e, uint8_t **out, size_t *n)
{
    size_t cap =
        3 * (VARINT32_MAX + VARINT64_MAX) + e->ndeleted * (VARINT32_MAX * 2 + VARINT64_MAX);
    for (size_t i = 0; i < e->nadded; i++)
        cap += 2 * VARINT32_MAX + 6 * VARINT64_MAX + 2 * VARINT32_MAX +
               e->added[i].f->smallest_len + e->added[i].f->largest_len;
    uint8_t *buf = malloc(cap), *p = buf;
    if (!buf) return st_error(STRATA_NOMEM, "version edit: out of memory encoding");
    if (e->has_log_number) {
        p = put_varint32(p, VE_LOG_NUMBER);
        p = put_varint64(p, e->log_number);
    }
    if (e->has_next_file) {
        p = put_varint32(p, VE_NEXT_FILE);
        p = put_varint64(p, e->next_file);
    }
    if (e->has_last_seq) {
        p = put_varint32(p, VE_LAST_SEQ);
        p = put_varint64(p, e->last_seq);
    }
    for (size_t i = 0; i < e->ndeleted; i++) {
        p = put_varint32(p, VE_DELETED_FILE);
        p = put_varint32(p, (uint32_t)e->deleted[i].level);
        p = put_varint64(p, e->deleted[i].number);
    }
    for (size_t i = 0; i < e->nadded; i++) {
        const file_meta *f = e->added[i].f;
        p = put_varint32(p, VE_NEW_FILE);
        p = put_varint32(p, (uint32_t)e->added[i].level);
        p = put_varint64(p, f->number);
        p = put_varint64(p, f->size);
        p = put_varint32(p, (uint32_t)f->smallest_len);
        memcpy(p, f->smallest, f->smallest_len);
        p += f->smallest_len;
        p = put_varint32(p, (uint32_t)f->largest_len);
        memcpy(p, f->largest, f->largest_len);
        p += f->largest_len;
        p = put_varint64(p, f->min_seq);
        p = put_varint64(p, f->max_seq);
        p = put_varint64(p, f->global_seq);
    }
    *out = buf;
    *n = (size_t)(p - buf);
    return STRATA_OK;
}

static const uint8_t *get_key(const uint8_t *p, const uint8_t *end, st_slice *k)
{
    uint32_t n;
    p = get_varint32(p, end, &n);
    if (!p || n > (size_t)(end - p) || n < IKEY_TRAILER) return NULL;
    *k = st_slice_make(p, n);
    return p + n;
}

int ve_decode(version_edit *e, const uint8_t *p, size_t n)
{
    ve_init(e);
    const uint8_t *end = p + n;
    while (p < end) {
        uint32_t tag = 0, level;
        uint64_t num, size, minseq, maxseq, gseq;
        st_slice sk, lk;
        const uint8_t *at = p;
        p = get_varint32(p, end, &tag);
        if (!p) goto bad;
        switch (tag) {
        case VE_LOG_NUMBER:
            if (!(p = get_varint64(p, end, &e->log_number))) goto bad;
            e->has_log_number = 1;
            break;
        case VE_NEXT_FILE:
            if (!(p = get_varint64(p, end, &e->next_file))) goto bad;
            e->has_next_file = 1;
            break;
        case VE_LAST_SEQ:
            if (!(p = get_varint64(p, end, &e->last_seq)) || e->last_seq > SEQ_MAX) goto bad;
            e->has_last_seq = 1;
            break;
        case VE_DELETED_FILE:
            if (!(p = get_varint32(p, end, &level)) || level >= STRATA_KV_LEVELS) goto bad;
            if (!(p = get_varint64(p, end, &num))) goto bad;
            if (ve_delete_file(e, (int)level, num)) goto nomem;
            break;
        case VE_NEW_FILE: {
            if (!(p = get_varint32(p, end, &level)) || level >= STRATA_KV_LEVELS) goto bad;
            if (!(p = get_varint64(p, end, &num))) goto bad;
            if (!(p = get_varint64(p, end, &size))) goto bad;
            if (!(p = get_key(p, end, &sk))) goto bad;
            if (!(p = get_key(p, end, &lk))) goto bad;
            if (!(p = get_varint64(p, end, &minseq))) goto bad;
            if (!(p = get_varint64(p, end, &maxseq))) goto bad;
            if (!(p = get_varint64(p, end, &gseq))) goto bad;
            if (minseq > maxseq || maxseq > SEQ_MAX || gseq > SEQ_MAX) goto bad;
            file_meta *f = file_meta_new(num, size, sk, lk, minseq, maxseq, gseq);
            if (!f) goto nomem;
            int rc = ve_add_file(e, (int)level, f);
            file_meta_unref(f);
            if (rc) goto nomem;
            break;
        }
        default:
            ve_clear(e);
            return st_error(STRATA_CORRUPT, "version edit: unknown tag %u at byte %zu", tag,
                            (size_t)(at - (end - n)));
        }
        continue;
    bad:
        ve_clear(e);
        return st_error(STRATA_CORRUPT, "version edit: malformed field (tag %u) at byte %zu", tag,
                        (size_t)(at - (end - n)));
    }
    return STRATA_OK;
nomem:
    ve_clear(e);
    return st_error(STRATA_NOMEM, "version edit: out of memory decoding");
}
