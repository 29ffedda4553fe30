/*
 * lsm/wal_reader.c — reads a log back (lsm/wal.h, layout in lsm/wal_format.h).
 *
 * The reader sees the file as [0, size) with size fixed at open. It keeps a window of file bytes
 * in one buffer (refilled with reads of at least WAL_READ_CHUNK bytes, grown to hold a whole
 * record), so records are returned without copying and valid until the next call.
 * wal_parse_buffer runs the same code over memory (the window is the whole buffer).
 *
 * Classification of the first bad record at offset X (lsm/wal.h's rules):
 *   - fewer than 12 bytes left, or a good header whose record runs past end of file: torn tail;
 *   - otherwise search for a valid record (good header, fits, good crc) starting anywhere after
 *     X — from the end of X's payload when X's header is good (its length is trustworthy, and
 *     X's own payload is not searched, so user bytes that look like a record cannot turn a torn
 *     tail into corruption), else from X + 1. Found: STRATA_CORRUPT naming the file and X.
 *     Not found: torn tail, dropped bytes = size - X.
 *   - exception: when a whole 4 KiB-aligned page of zeros lies between X and that valid record,
 *     the damage is a page the file system never wrote before a crash (writeback is not in
 *     order, and a file's size can be committed before its data). fdatasync writes every dirty
 *     page of the file, so no record after such a hole was ever synced: the log ends at X as
 *     for a torn tail (dropped bytes = size - X, the later records included).
 * The search looks at every byte position once (a cheap 12-byte header test) and checks the
 * payload crc only where a header passes, so it is linear in practice; it runs at most once per
 * reader, after which the reader's answer is final.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsm/wal.h"
#include "lsm/wal_format.h"
#include "util/status.h"

#define WAL_READ_CHUNK (256u * 1024u)
#define WAL_HOLE_PAGE  4096u

struct wal_reader {
    strata_env *env;
    strata_file *file;   /* NULL in memory mode */
    const uint8_t *data; /* memory mode: the whole log */
    uint64_t size;       /* bytes in the log */
    uint64_t off;        /* offset of the next record */
    uint8_t *buf;        /* file mode: window of bytes [win_off, win_off + win_n) */
    size_t buf_cap, win_n;
    uint64_t win_off;
    int final;        /* 0 while reading; else the sticky answer (STRATA_DONE, CORRUPT, ...) */
    uint64_t dropped; /* torn-tail bytes */
    const char *name; /* for messages */
};

/* Makes [off, off + n) available; returns a pointer to it or NULL with *rc set.
 * REQUIRES: off + n <= r->size. */
static const uint8_t *window(wal_reader *r, uint64_t off, size_t n, int *rc)
{
    if (r->data) return r->data + off;
    if (off >= r->win_off && off + n <= r->win_off + r->win_n) return r->buf + (off - r->win_off);
    size_t want = n > WAL_READ_CHUNK ? n : WAL_READ_CHUNK;
    if (want > r->size - off) want = (size_t)(r->size - off);
    if (want > r->buf_cap) {
        uint8_t *nb = malloc(want);
        if (!nb) {
            *rc = st_error(STRATA_NOMEM, "log %s: out of memory for a record of %zu bytes", r->name,
                           n);
            return NULL;
        }
        free(r->buf);
        r->buf = nb;
        r->buf_cap = want;
    }
    size_t got = 0;
    *rc = r->env->pread(r->env, r->file, r->buf, want, off, &got);
    r->win_off = off;
    r->win_n = *rc == STRATA_OK ? got : 0;
    if (*rc != STRATA_OK) return NULL;
    if (got < n) {
        *rc = st_error(STRATA_IOERR, "log %s: file shrank while being read (offset %llu)", r->name,
                       (unsigned long long)off);
        return NULL;
    }
    return r->buf;
}

/* 1 if a valid record starts at p; -1 on a read error (*rc set). */
static int valid_at(wal_reader *r, uint64_t p, int *rc)
{
    const uint8_t *h = window(r, p, WAL_HEADER_SIZE, rc);
    if (!h) return -1;
    uint32_t len;
    if (!wal_header_ok(h, &len)) return 0;
    if ((uint64_t)len > r->size - p - WAL_HEADER_SIZE) return 0;
    uint8_t hdr[WAL_HEADER_SIZE];
    memcpy(hdr, h, sizeof hdr);
    const uint8_t *rec = window(r, p, WAL_HEADER_SIZE + (size_t)len, rc);
    if (!rec) return -1;
    return wal_payload_ok(hdr, rec + WAL_HEADER_SIZE, len);
}

/* Is there a valid record starting in [from, size)? 1 (*where set) / 0, or -1 on a read error. */
static int valid_after(wal_reader *r, uint64_t from, uint64_t *where, int *rc)
{
    uint64_t p = from;
    while (p + WAL_HEADER_SIZE <= r->size) {
        size_t span = r->size - p > WAL_READ_CHUNK ? WAL_READ_CHUNK : (size_t)(r->size - p);
        const uint8_t *w = window(r, p, span, rc);
        if (!w) return -1;
        size_t i = 0;
        uint64_t cand = UINT64_MAX;
        for (; i + WAL_HEADER_SIZE <= span; i++) {
            uint32_t len;
            if (wal_header_ok(w + i, &len) &&
                (uint64_t)len <= r->size - (p + i) - WAL_HEADER_SIZE) {
                cand = p + i;
                break;
            }
        }
        if (cand == UINT64_MAX) {
            /* the last 11 bytes of this span start headers that run into the next span */
            if (p + span >= r->size) return 0;
            p += span - (WAL_HEADER_SIZE - 1);
            continue;
        }
        int v = valid_at(r, cand, rc);
        if (v > 0) *where = cand;
        if (v != 0) return v;
        p = cand + 1;
    }
    return 0;
}

static int torn(wal_reader *r, uint64_t at)
{
    r->dropped = r->size - at;
    r->off = at;
    return r->final = STRATA_DONE;
}

/* Does [from, to) contain a whole WAL_HOLE_PAGE-aligned page of zero bytes? 1 / 0 / -1. */
static int zero_page_in(wal_reader *r, uint64_t from, uint64_t to, int *rc)
{
    uint64_t a = (from + WAL_HOLE_PAGE - 1) / WAL_HOLE_PAGE * WAL_HOLE_PAGE;
    for (; a + WAL_HOLE_PAGE <= to; a += WAL_HOLE_PAGE) {
        const uint8_t *p = window(r, a, WAL_HOLE_PAGE, rc);
        if (!p) return -1;
        size_t i = 0;
        while (i < WAL_HOLE_PAGE && p[i] == 0) i++;
        if (i == WAL_HOLE_PAGE) return 1;
    }
    return 0;
}

static int bad_record(wal_reader *r, uint64_t at, uint64_t search_from, const char *what)
{
    int rc = STRATA_OK;
    uint64_t next = 0;
    int v = valid_after(r, search_from, &next, &rc);
    if (v < 0) return r->final = rc;
    if (v == 0) return torn(r, at);
    /* a zero page before the next valid record is a page never written before a crash */
    int z = zero_page_in(r, at, next, &rc);
    if (z < 0) return r->final = rc;
    if (z > 0) return torn(r, at);
    r->off = at;
    return r->final = st_error(STRATA_CORRUPT,
                               "log %s: %s in the record at offset %llu, and valid records follow",
                               r->name, what, (unsigned long long)at);
}

int wal_reader_next(wal_reader *r, const uint8_t **rec, size_t *n)
{
    *rec = NULL;
    *n = 0;
    if (r->final) {
        if (r->final == STRATA_CORRUPT)
            return st_error(STRATA_CORRUPT, "log %s: corrupt at offset %llu", r->name,
                            (unsigned long long)r->off);
        return r->final;
    }
    uint64_t at = r->off;
    if (at == r->size) return r->final = STRATA_DONE;
    if (r->size - at < WAL_HEADER_SIZE) return torn(r, at);
    int rc = STRATA_OK;
    const uint8_t *h = window(r, at, WAL_HEADER_SIZE, &rc);
    if (!h) return r->final = rc;
    uint32_t len;
    if (!wal_header_ok(h, &len)) return bad_record(r, at, at + 1, "bad header");
    if ((uint64_t)len > r->size - at - WAL_HEADER_SIZE) return torn(r, at);
    const uint8_t *p = window(r, at, WAL_HEADER_SIZE + (size_t)len, &rc);
    if (!p) return r->final = rc;
    if (!wal_payload_ok(p, p + WAL_HEADER_SIZE, len))
        return bad_record(r, at, at + WAL_HEADER_SIZE + len, "bad checksum");
    r->off = at + WAL_HEADER_SIZE + len;
    *rec = p + WAL_HEADER_SIZE;
    *n = len;
    return STRATA_OK;
}

int wal_reader_open(strata_env *env, const char *path, wal_reader **out)
{
    *out = NULL;
    size_t pl = strlen(path);
    wal_reader *r = calloc(1, sizeof *r + pl + 1);
    if (!r) return st_error(STRATA_NOMEM, "log %s: out of memory", path);
    char *name = (char *)(r + 1);
    memcpy(name, path, pl + 1);
    r->name = name;
    r->env = env;
    int rc = env->open(env, path, ENV_READ, &r->file);
    if (rc != STRATA_OK) {
        free(r);
        return rc;
    }
    rc = env->size(env, r->file, &r->size);
    if (rc != STRATA_OK) {
        env->close(env, r->file);
        free(r);
        return rc;
    }
    *out = r;
    return STRATA_OK;
}

uint64_t wal_reader_dropped_bytes(const wal_reader *r)
{
    return r->dropped;
}

uint64_t wal_reader_good_offset(const wal_reader *r)
{
    return r->off;
}

void wal_reader_close(wal_reader *r)
{
    if (!r) return;
    if (r->file) r->env->close(r->env, r->file);
    free(r->buf);
    free(r);
}

int wal_parse_buffer(const uint8_t *data, size_t n,
                     int (*cb)(void *ctx, const uint8_t *rec, size_t len), void *ctx,
                     uint64_t *dropped)
{
    static const uint8_t empty[1];
    wal_reader r;
    memset(&r, 0, sizeof r);
    r.data = data ? data : empty;
    r.size = data ? n : 0;
    r.name = "(buffer)";
    if (dropped) *dropped = 0;
    for (;;) {
        const uint8_t *rec;
        size_t len;
        int rc = wal_reader_next(&r, &rec, &len);
        if (rc == STRATA_DONE) break;
        if (rc != STRATA_OK) return rc;
        if (cb) {
            int c = cb(ctx, rec, len);
            if (c) return c;
        }
    }
    if (dropped) *dropped = r.dropped;
    return STRATA_OK;
}
