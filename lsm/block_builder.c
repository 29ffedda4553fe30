/*
 * lsm/block_builder.c — prefix-compressed blocks with restart points; layout drawn in
 * lsm/block_builder.h.
 */
#include "lsm/block_builder.h"

#include <stdlib.h>
#include <string.h>

#include "strata_status.h"
#include "util/coding.h"

void block_builder_init(block_builder *b, int restart_interval)
{
    memset(b, 0, sizeof *b);
    b->restart_interval = restart_interval > 0 ? restart_interval : 1;
    block_builder_reset(b);
}

void block_builder_destroy(block_builder *b)
{
    free(b->buf);
    free(b->restarts);
    free(b->last_key);
    memset(b, 0, sizeof *b);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return STRATA_OK;
    size_t n = *cap ? *cap * 2 : 256;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q) return STRATA_NOMEM;
    *p = q;
    *cap = n;
    return STRATA_OK;
}

void block_builder_reset(block_builder *b)
{
    b->len = 0;
    b->nrestarts = 0;
    b->counter = 0;
    b->nentries = 0;
    b->last_len = 0;
    b->finished = 0;
    if (grow((void **)&b->restarts, &b->restarts_cap, 1, sizeof(uint32_t)) == STRATA_OK) {
        b->restarts[0] = 0;
        b->nrestarts = 1;
    }
}

size_t block_builder_size(const block_builder *b)
{
    return b->len + (b->nrestarts + 1) * sizeof(uint32_t);
}

int block_builder_add(block_builder *b, st_slice key, st_slice value)
{
    if (b->nrestarts == 0) return STRATA_NOMEM; /* reset could not allocate */
    size_t shared = 0;
    if (b->counter < b->restart_interval) {
        size_t m = key.n < b->last_len ? key.n : b->last_len;
        while (shared < m && b->last_key[shared] == key.p[shared]) shared++;
    } else {
        if (grow((void **)&b->restarts, &b->restarts_cap, b->nrestarts + 1, sizeof(uint32_t)))
            return STRATA_NOMEM;
        b->restarts[b->nrestarts++] = (uint32_t)b->len;
        b->counter = 0;
    }
    size_t non_shared = key.n - shared;
    if (grow((void **)&b->buf, &b->cap, b->len + 3 * VARINT32_MAX + non_shared + value.n, 1))
        return STRATA_NOMEM;
    uint8_t *p = b->buf + b->len;
    p = put_varint32(p, (uint32_t)shared);
    p = put_varint32(p, (uint32_t)non_shared);
    p = put_varint32(p, (uint32_t)value.n);
    if (non_shared) memcpy(p, key.p + shared, non_shared);
    p += non_shared;
    if (value.n) memcpy(p, value.p, value.n);
    p += value.n;
    b->len = (size_t)(p - b->buf);

    if (grow((void **)&b->last_key, &b->last_cap, key.n, 1)) return STRATA_NOMEM;
    if (non_shared) memcpy(b->last_key + shared, key.p + shared, non_shared);
    b->last_len = key.n;
    b->counter++;
    b->nentries++;
    return STRATA_OK;
}

st_slice block_builder_finish(block_builder *b)
{
    if (!b->finished) {
        size_t need = b->len + (b->nrestarts + 1) * 4;
        if (grow((void **)&b->buf, &b->cap, need, 1)) return st_slice_make(NULL, 0);
        uint8_t *p = b->buf + b->len;
        for (size_t i = 0; i < b->nrestarts; i++, p += 4) put_le32(p, b->restarts[i]);
        put_le32(p, (uint32_t)b->nrestarts);
        b->len = need;
        b->finished = 1;
    }
    return st_slice_make(b->buf, b->len);
}
