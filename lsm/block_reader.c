/*
 * lsm/block_reader.c — the block iterator (lsm/block_reader.h): binary search over the restart
 * points, then a linear scan; prev re-scans from the restart point before the current entry.
 */
#include "lsm/block_reader.h"

#include <stdlib.h>
#include <string.h>

#include "lsm/dbformat.h"
#include "util/coding.h"

enum { BI_CORRUPT = 1, BI_NOMEM = 2 };

void block_iter_init(block_iter *it)
{
    memset(it, 0, offsetof(block_iter, sbuf));
    it->kbuf = it->sbuf;
    it->kcap = sizeof it->sbuf;
}

void block_iter_destroy(block_iter *it)
{
    if (it->kbuf != it->sbuf) free(it->kbuf);
    it->kbuf = it->sbuf;
    it->kcap = sizeof it->sbuf;
}

static void mark_invalid(block_iter *it, int why)
{
    it->corrupt = why;
    it->cur = it->next = it->restarts;
    it->key = st_slice_make(NULL, 0);
    it->value = st_slice_make(NULL, 0);
}

int block_iter_reset(block_iter *it, const uint8_t *data, size_t n)
{
    it->data = data;
    it->corrupt = 0;
    it->restarts = it->nrestarts = 0;
    it->cur = it->next = 0;
    it->restart_i = 0;
    it->key = it->value = st_slice_make(NULL, 0);
    if (n < 4 || n > UINT32_MAX) goto bad;
    uint32_t nr = get_le32(data + n - 4);
    if (nr == 0 || nr > (n - 4) / 4) goto bad;
    it->nrestarts = nr;
    it->restarts = (uint32_t)(n - 4 - 4 * (size_t)nr);
    it->cur = it->next = it->restarts;
    return 0;
bad:
    it->restarts = 0;
    mark_invalid(it, BI_CORRUPT);
    return -1;
}

/* Offset of restart i, or UINT32_MAX when it lies beyond the entries. */
static uint32_t restart_off(const block_iter *it, uint32_t i)
{
    uint32_t off = get_le32(it->data + it->restarts + 4 * (size_t)i);
    return off <= it->restarts ? off : UINT32_MAX;
}

/* Decodes the header of the entry at p (entries end at end): shared, non-shared and value
 * lengths; returns the start of the non-shared key bytes, or NULL for a header that cannot be
 * right (a bad varint, more shared bytes than prev_len, key + value past end, a key shorter
 * than an internal key's trailer). The usual three one-byte varints take one test. */
static inline const uint8_t *entry_header(const uint8_t *p, const uint8_t *end, size_t prev_len,
                                          uint32_t *shared, uint32_t *non_shared, uint32_t *vlen)
{
    if (end - p >= 3 && ((p[0] | p[1] | p[2]) & 0x80) == 0) {
        *shared = p[0];
        *non_shared = p[1];
        *vlen = p[2];
        p += 3;
    } else if (!(p = get_varint32(p, end, shared)) || !(p = get_varint32(p, end, non_shared)) ||
               !(p = get_varint32(p, end, vlen))) {
        return NULL;
    }
    if (*shared > prev_len || (uint64_t)*non_shared + *vlen > (uint64_t)(end - p) ||
        (uint64_t)*shared + *non_shared < IKEY_TRAILER)
        return NULL;
    return p;
}

/* dst[0..n) = src[0..n) for the short copies of key rebuilding, without a call. */
static inline void copy_short(uint8_t *dst, const uint8_t *src, size_t n)
{
    if (n >= 8 && n <= 16) {
        memcpy(dst, src, 8);
        memcpy(dst + n - 8, src + n - 8, 8);
    } else if (n > 16 && n <= 32) {
        memcpy(dst, src, 16);
        memcpy(dst + n - 16, src + n - 16, 16);
    } else {
        memcpy(dst, src, n);
    }
}

/* Decodes the entry at it->next into key/value; the previous key must still be in it->key. */
static int parse_next(block_iter *it)
{
    it->cur = it->next;
    if (it->cur >= it->restarts) {
        it->cur = it->next = it->restarts;
        return 0;
    }
    const uint8_t *p = it->data + it->cur, *end = it->data + it->restarts;
    uint32_t shared, non_shared, vlen;
    if (!(p = entry_header(p, end, it->key.n, &shared, &non_shared, &vlen))) {
        mark_invalid(it, BI_CORRUPT);
        return 0;
    }
    if (shared == 0) {
        it->key = st_slice_make(p, non_shared);
    } else {
        size_t klen = (size_t)shared + non_shared;
        if (klen > it->kcap) {
            size_t cap = it->kcap * 2;
            while (cap < klen) cap *= 2;
            uint8_t *nb = malloc(cap);
            if (!nb) {
                mark_invalid(it, BI_NOMEM);
                return 0;
            }
            memcpy(nb, it->key.p, shared);
            if (it->kbuf != it->sbuf) free(it->kbuf);
            it->kbuf = nb;
            it->kcap = cap;
        } else if (it->key.p != it->kbuf) {
            copy_short(it->kbuf, it->key.p, shared);
        }
        copy_short(it->kbuf + shared, p, non_shared);
        it->key = st_slice_make(it->kbuf, klen);
    }
    p += non_shared;
    it->value = st_slice_make(p, vlen);
    it->next = (uint32_t)(p + vlen - it->data);
    return 1; /* restart_i is brought up to date by prev, the only reader that needs it */
}

static void seek_to_restart(block_iter *it, uint32_t i)
{
    uint32_t off = restart_off(it, i);
    if (off == UINT32_MAX) {
        mark_invalid(it, BI_CORRUPT);
        return;
    }
    it->restart_i = i;
    it->key = st_slice_make(NULL, 0);
    it->next = off;
}

void block_iter_seek_to_first(block_iter *it)
{
    if (it->corrupt) return;
    seek_to_restart(it, 0);
    if (!it->corrupt) parse_next(it);
}

void block_iter_seek_to_last(block_iter *it)
{
    if (it->corrupt) return;
    seek_to_restart(it, it->nrestarts - 1);
    while (!it->corrupt && parse_next(it) && it->next < it->restarts) {
    }
}

void block_iter_next(block_iter *it)
{
    if (!block_iter_valid(it)) return;
    parse_next(it);
}

int block_iter_restore(block_iter *it, uint32_t cur, uint32_t next, st_slice key, st_slice value)
{
    if (key.n > it->kcap) {
        size_t cap = it->kcap * 2;
        while (cap < key.n) cap *= 2;
        uint8_t *nb = malloc(cap);
        if (!nb) {
            mark_invalid(it, BI_NOMEM);
            return -1;
        }
        if (it->kbuf != it->sbuf) free(it->kbuf);
        it->kbuf = nb;
        it->kcap = cap;
    }
    memmove(it->kbuf, key.p, key.n);
    it->key = st_slice_make(it->kbuf, key.n);
    it->value = value;
    it->cur = cur;
    it->next = next;
    return 0;
}

void block_iter_prev(block_iter *it)
{
    if (!block_iter_valid(it)) return;
    uint32_t original = it->cur;
    /* moving forward left restart_i at or before the region of cur: the last restart < cur */
    while (it->restart_i + 1 < it->nrestarts) {
        uint32_t r = restart_off(it, it->restart_i + 1);
        if (r == UINT32_MAX || r >= original) break;
        it->restart_i++;
    }
    for (;;) {
        uint32_t r = restart_off(it, it->restart_i);
        if (r == UINT32_MAX) {
            mark_invalid(it, BI_CORRUPT);
            return;
        }
        if (r < original) break;
        if (it->restart_i == 0) { /* no entry before the first */
            it->cur = it->next = it->restarts;
            return;
        }
        it->restart_i--;
    }
    seek_to_restart(it, it->restart_i);
    while (!it->corrupt && parse_next(it) && it->next < original) {
    }
}

/* The key stored whole at restart i (shared must be 0). */
static int restart_key(block_iter *it, uint32_t i, st_slice *key)
{
    uint32_t off = restart_off(it, i);
    if (off == UINT32_MAX || off >= it->restarts) return 0;
    const uint8_t *p = it->data + off, *end = it->data + it->restarts;
    uint32_t shared, non_shared, vlen;
    if (!(p = entry_header(p, end, 0, &shared, &non_shared, &vlen))) return 0; /* shared 0 */
    *key = st_slice_make(p, non_shared);
    return 1;
}

/* Starts loading the restart keys the first three steps of the binary search may probe (all of
 * them in a block of up to 8 restarts): the probes then wait for one memory access together,
 * not one each in turn. Prefetches never fault, so a bad offset is harmless here. */
static inline void prefetch_probes(const block_iter *it)
{
    const uint8_t *ra = it->data + it->restarts;
    uint32_t n = it->nrestarts;
    if (n <= 8) {
        for (uint32_t i = 1; i < n; i++) {
            uint32_t off = get_le32(ra + 4 * (size_t)i);
            if (off < it->restarts) __builtin_prefetch(it->data + off);
        }
        return;
    }
    for (uint32_t q = 1; q < 8; q++) {
        uint32_t i = (uint32_t)((uint64_t)n * q / 8), off = get_le32(ra + 4 * (size_t)i);
        if (off < it->restarts) __builtin_prefetch(it->data + off);
    }
}

void block_iter_seek(block_iter *it, st_slice target)
{
    if (it->corrupt) return;
    prefetch_probes(it);
    uint32_t left = 0, right = it->nrestarts - 1;
    while (left < right) {
        uint32_t mid = left + (right - left + 1) / 2;
        st_slice k;
        if (!restart_key(it, mid, &k)) {
            mark_invalid(it, BI_CORRUPT);
            return;
        }
        if (ikey_cmp(k, target) < 0)
            left = mid;
        else
            right = mid - 1;
    }
    seek_to_restart(it, left);
    /* the scan that follows reads the restart interval front to back: start loading its lines
     * (at most 2 KiB) together rather than one per step */
    if (!it->corrupt) {
        uint32_t from = it->next, to = left + 1 < it->nrestarts ? restart_off(it, left + 1) : 0;
        if (to == 0 || to == UINT32_MAX || to > it->restarts) to = it->restarts;
        if (to > from + 2048) to = from + 2048;
        for (uint32_t o = (from & ~63u) + 64; o < to; o += 64) __builtin_prefetch(it->data + o);
    }
    while (!it->corrupt && parse_next(it)) {
        if (ikey_cmp(it->key, target) >= 0) return;
    }
}

size_t block_iter_next_batch(block_iter *it, st_slice limit, int check, size_t max, st_slice *keys,
                             st_slice *vals, uint8_t *kbuf, size_t cap)
{
    if (max == 0) return 0;
    size_t n = 0, used = 0;
    st_slice k = it->key;
    if (k.n <= cap) {
        copy_short(kbuf, k.p, k.n);
        keys[0] = st_slice_make(kbuf, k.n);
        used = k.n;
    } else {
        keys[0] = k; /* valid while the iterator stays on it */
    }
    vals[0] = it->value;
    n = 1;
    uint32_t cur = it->cur, next = it->next;
    const uint8_t *end = it->data + it->restarts;
    while (n < max && next < it->restarts && used) {
        st_slice prev = keys[n - 1];
        uint32_t shared, non_shared, vlen;
        const uint8_t *p = entry_header(it->data + next, end, prev.n, &shared, &non_shared, &vlen);
        if (!p) break;
        size_t klen = (size_t)shared + non_shared;
        if (used + klen + 16 > cap) break; /* 16: the slack of the word copies below */
        uint8_t *kp = kbuf + used;
        if (shared) copy_short(kp, prev.p, shared);
        if (non_shared <= 16 && end - p >= 16)
            memcpy(kp + shared, p, 16); /* whole words: the bytes past non_shared are rewritten */
        else
            memcpy(kp + shared, p, non_shared);
        st_slice nk = st_slice_make(kp, klen);
        if (check && ikey_cmp(nk, limit) >= 0) break;
        keys[n] = nk;
        vals[n] = st_slice_make(p + non_shared, vlen);
        used += klen;
        n++;
        cur = next;
        next = (uint32_t)(p + non_shared + vlen - it->data);
    }
    if (n > 1 && block_iter_restore(it, cur, next, keys[n - 1], vals[n - 1])) return n - 1;
    return n;
}
