/* lsm/write_batch.c — see write_batch.h; also the public strata_kv_batch_* functions. */
#include "lsm/write_batch.h"

#include <stdlib.h>
#include <string.h>

#include "lsm/dbformat.h"
#include "util/coding.h"
#include "util/status.h"

static int wb_reserve(strata_kv_batch *b, size_t more)
{
    if (b->len + more <= b->cap) return STRATA_OK;
    size_t nc = b->cap ? b->cap : 64;
    while (nc < b->len + more) nc *= 2;
    uint8_t *n = realloc(b->data, nc);
    if (!n) return st_error(STRATA_NOMEM, "write batch: out of memory growing to %zu bytes", nc);
    b->data = n;
    b->cap = nc;
    return STRATA_OK;
}

strata_kv_batch *strata_kv_batch_new(void)
{
    strata_kv_batch *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    if (wb_reserve(b, 128) != STRATA_OK) {
        free(b);
        return NULL;
    }
    strata_kv_batch_clear(b);
    return b;
}

void strata_kv_batch_free(strata_kv_batch *b)
{
    if (!b) return;
    free(b->data);
    free(b);
}

void strata_kv_batch_clear(strata_kv_batch *b)
{
    memset(b->data, 0, WB_HEADER);
    b->len = WB_HEADER;
    b->count = 0;
    b->user_bytes = 0;
}

void wb_set_sequence(strata_kv_batch *b, uint64_t seq)
{
    put_le64(b->data, seq);
}

int wb_add(strata_kv_batch *b, int kind, st_slice key, st_slice value)
{
    size_t need = 1 + VARINT32_MAX * 2 + key.n + value.n;
    int rc = wb_reserve(b, need);
    if (rc) return rc;
    uint8_t *p = b->data + b->len;
    *p++ = (uint8_t)kind;
    p = put_varint32(p, (uint32_t)key.n);
    if (key.n) memcpy(p, key.p, key.n);
    p += key.n;
    if (kind != KIND_DELETE) {
        p = put_varint32(p, (uint32_t)value.n);
        if (value.n) memcpy(p, value.p, value.n);
        p += value.n;
    }
    b->len = (size_t)(p - b->data);
    b->count++;
    put_le32(b->data + 8, b->count);
    b->user_bytes += key.n + value.n;
    return STRATA_OK;
}

static int check_key(const char *what, size_t n)
{
    if (n == 0)
        return st_error(STRATA_INVALID, "write batch: empty %s (the empty key is reserved)", what);
    if (n > STRATA_KV_MAX_KEY)
        return st_error(STRATA_TOOBIG,
                        "write batch: %s of %zu bytes exceeds STRATA_KV_MAX_KEY (%u)", what, n,
                        STRATA_KV_MAX_KEY);
    return STRATA_OK;
}

static int check_room(const strata_kv_batch *b, size_t k, size_t v)
{
    uint64_t after = (uint64_t)b->len + 1 + 2 * VARINT32_MAX + k + v;
    if (after > STRATA_KV_MAX_BATCH)
        return st_error(STRATA_TOOBIG,
                        "write batch: %llu bytes would exceed STRATA_KV_MAX_BATCH (%u)",
                        (unsigned long long)after, STRATA_KV_MAX_BATCH);
    if (b->count == UINT32_MAX) return st_error(STRATA_TOOBIG, "write batch: too many records");
    return STRATA_OK;
}

int strata_kv_batch_put(strata_kv_batch *b, const void *key, size_t klen, const void *val,
                        size_t vlen)
{
    if (!b || (!key && klen) || (!val && vlen))
        return st_error(STRATA_MISUSE, "strata_kv_batch_put: NULL argument");
    int rc = check_key("key", klen);
    if (rc) return rc;
    if (vlen > STRATA_KV_MAX_VALUE)
        return st_error(STRATA_TOOBIG,
                        "write batch: value of %zu bytes exceeds STRATA_KV_MAX_VALUE (%u)", vlen,
                        STRATA_KV_MAX_VALUE);
    if ((rc = check_room(b, klen, vlen))) return rc;
    return wb_add(b, KIND_PUT, st_slice_make(key, klen), st_slice_make(val, vlen));
}

int strata_kv_batch_delete(strata_kv_batch *b, const void *key, size_t klen)
{
    if (!b || (!key && klen))
        return st_error(STRATA_MISUSE, "strata_kv_batch_delete: NULL argument");
    int rc = check_key("key", klen);
    if (rc) return rc;
    if ((rc = check_room(b, klen, 0))) return rc;
    return wb_add(b, KIND_DELETE, st_slice_make(key, klen), st_slice_make(NULL, 0));
}

int strata_kv_batch_delete_range(strata_kv_batch *b, const void *start, size_t slen,
                                 const void *end, size_t elen)
{
    if (!b || (!start && slen) || (!end && elen))
        return st_error(STRATA_MISUSE, "strata_kv_batch_delete_range: NULL argument");
    int rc = check_key("range start", slen);
    if (rc) return rc;
    if ((rc = check_key("range end", elen))) return rc;
    int c = st_slice_cmp(st_slice_make(start, slen), st_slice_make(end, elen));
    if (c > 0)
        return st_error(STRATA_INVALID,
                        "write batch: delete_range start > end (empty range is start == end)");
    if (c == 0) return STRATA_OK;
    if ((rc = check_room(b, slen, elen))) return rc;
    return wb_add(b, KIND_RANGE_DEL, st_slice_make(start, slen), st_slice_make(end, elen));
}

size_t strata_kv_batch_count(const strata_kv_batch *b)
{
    return b ? b->count : 0;
}

size_t strata_kv_batch_byte_size(const strata_kv_batch *b)
{
    return b ? b->len : 0;
}

int wb_append(strata_kv_batch *b, const strata_kv_batch *src)
{
    size_t n = src->len - WB_HEADER;
    int rc = wb_reserve(b, n);
    if (rc) return rc;
    memcpy(b->data + b->len, src->data + WB_HEADER, n);
    b->len += n;
    b->count += src->count;
    put_le32(b->data + 8, b->count);
    b->user_bytes += src->user_bytes;
    return STRATA_OK;
}

int wb_iter_init(wb_iter *it, const uint8_t *data, size_t n)
{
    if (n < WB_HEADER)
        return st_error(STRATA_CORRUPT, "write batch: %zu bytes, shorter than its header", n);
    it->seq = get_le64(data);
    it->count = get_le32(data + 8);
    it->seen = 0;
    it->p = data + WB_HEADER;
    it->end = data + n;
    return STRATA_OK;
}

static const uint8_t *get_lp(const uint8_t *p, const uint8_t *end, st_slice *s)
{
    uint32_t n;
    p = get_varint32(p, end, &n);
    if (!p || n > (size_t)(end - p)) return NULL;
    *s = st_slice_make(p, n);
    return p + n;
}

int wb_iter_next(wb_iter *it, int *kind, st_slice *key, st_slice *value)
{
    if (it->p == it->end) {
        if (it->seen != it->count)
            return st_error(STRATA_CORRUPT, "write batch: header says %u records, found %u",
                            it->count, it->seen);
        return STRATA_DONE;
    }
    if (it->seen == it->count)
        return st_error(STRATA_CORRUPT, "write batch: bytes after the last of %u records",
                        it->count);
    int k = *it->p++;
    const uint8_t *p = get_lp(it->p, it->end, key);
    if (!p) return st_error(STRATA_CORRUPT, "write batch: record %u: bad key length", it->seen);
    if (k == KIND_DELETE) {
        *value = st_slice_make(NULL, 0);
    } else if (k == KIND_PUT || k == KIND_RANGE_DEL) {
        p = get_lp(p, it->end, value);
        if (!p)
            return st_error(STRATA_CORRUPT, "write batch: record %u: bad value length", it->seen);
    } else {
        return st_error(STRATA_CORRUPT, "write batch: record %u: unknown kind %d", it->seen, k);
    }
    if (key->n == 0 || key->n > STRATA_KV_MAX_KEY)
        return st_error(STRATA_CORRUPT, "write batch: record %u: key length %zu", it->seen, key->n);
    if (k == KIND_RANGE_DEL && st_slice_cmp(*key, *value) >= 0)
        return st_error(STRATA_CORRUPT, "write batch: record %u: range start >= end", it->seen);
    it->p = p;
    it->seen++;
    *kind = k;
    return STRATA_OK;
}
