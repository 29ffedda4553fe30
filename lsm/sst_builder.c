/*
 * lsm/sst_builder.c — writes one SST front to back (layout in lsm/sst_format.h).
 *
 * Entries go into the current data block; when it reaches block_size it is finished, zstd-
 * compressed if asked (kept raw unless that saves >= 12.5%), given its trailer and appended to a
 * write buffer, and its last key → handle goes into the index block. The write buffer goes to
 * the env in chunks of SST_WRITE_CHUNK bytes (no syscall per block). finish() appends the
 * filter, range-del, properties and index blocks and the footer, writes the tail with
 * pwrite_sync (write + fdatasync) and closes.
 *
 * The first error is sticky: every later call returns it; finish then removes the file.
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lsm/block_builder.h"
#include "lsm/bloom.h"
#include "lsm/sst.h"
#include "lsm/sst_format.h"
#include "util/hash.h"
#include "util/status.h"

#define SST_WRITE_CHUNK (1u << 20)

typedef struct pending_rd {
    uint8_t *start, *end; /* one allocation: start bytes then end bytes */
    size_t slen, elen;
    uint64_t seq;
} pending_rd;

struct sst_builder {
    strata_env *env;
    strata_file *file;
    char *path;
    sst_build_options o;
    int status;

    block_builder data, index;
    uint64_t offset; /* bytes appended so far (written + buffered) */
    uint8_t *wbuf;   /* buffered bytes, file offset wbuf_off */
    size_t wlen, wcap;
    uint64_t wbuf_off;

    uint64_t *hashes; /* bloom: one hash per distinct user key */
    size_t nhashes, hcap;
    pending_rd *rds;
    size_t nrds, rdcap;

    uint8_t *first_key, *last_key;
    size_t first_len, last_len, last_cap;
    uint64_t num_entries, num_deletes, raw_key_bytes, raw_value_bytes, data_bytes;
    uint64_t num_data_blocks;
    uint64_t min_seq, max_seq;

    ZSTD_CCtx *cctx;
    uint8_t *cbuf;
    size_t ccap;
};

static int ensure(uint8_t **p, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 4096;
    while (n < need) n *= 2;
    uint8_t *q = realloc(*p, n);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

static int fail(sst_builder *b, int rc)
{
    if (!b->status) b->status = rc;
    return b->status;
}

static int nomem(sst_builder *b)
{
    return fail(b, st_error(STRATA_NOMEM, "sst %s: out of memory", b->path));
}

int sst_builder_new(strata_env *env, const char *path, const sst_build_options *o,
                    sst_builder **out)
{
    *out = NULL;
    sst_builder *b = calloc(1, sizeof *b);
    if (!b) return st_error(STRATA_NOMEM, "sst %s: out of memory", path);
    b->env = env;
    b->o = *o;
    if (b->o.block_size < 256) b->o.block_size = 256;
    if (b->o.block_size > SST_MAX_BLOCK_SIZE / 2) b->o.block_size = SST_MAX_BLOCK_SIZE / 2;
    b->path = strdup(path);
    b->min_seq = UINT64_MAX;
    block_builder_init(&b->data, SST_RESTART_INTERVAL);
    block_builder_init(&b->index, 1);
    if (!b->path) {
        sst_builder_abandon(b);
        return st_error(STRATA_NOMEM, "sst %s: out of memory", path);
    }
    if (b->o.compression == STRATA_KV_COMPRESS_ZSTD) {
        b->cctx = ZSTD_createCCtx();
        if (!b->cctx) {
            sst_builder_abandon(b);
            return st_error(STRATA_NOMEM, "sst %s: cannot create a zstd context", path);
        }
    }
    int rc = env->open(env, path, ENV_WRITE | ENV_CREATE | ENV_EXCL, &b->file);
    if (rc) {
        b->file = NULL;
        sst_builder_abandon(b);
        return rc;
    }
    *out = b;
    return STRATA_OK;
}

static int flush_writes(sst_builder *b, int sync)
{
    if (b->status) return b->status;
    if (!b->wlen && !sync) return STRATA_OK;
    int rc = sync ? b->env->pwrite_sync(b->env, b->file, b->wbuf, b->wlen, b->wbuf_off)
                  : b->env->pwrite(b->env, b->file, b->wbuf, b->wlen, b->wbuf_off);
    if (rc) return fail(b, rc);
    b->wbuf_off += b->wlen;
    b->wlen = 0;
    return STRATA_OK;
}

/* Appends contents as one block (compressing when allowed); off and size get its handle. */
static int write_block(sst_builder *b, st_slice contents, int compress, uint64_t *off,
                       uint64_t *size)
{
    st_slice body = contents;
    uint8_t type = SST_BLOCK_RAW;
    if (compress && b->cctx) {
        size_t need = VARINT32_MAX + ZSTD_compressBound(contents.n);
        if (ensure(&b->cbuf, &b->ccap, need)) return nomem(b);
        uint8_t *p = put_varint32(b->cbuf, (uint32_t)contents.n);
        size_t hdr = (size_t)(p - b->cbuf);
        size_t r = ZSTD_compressCCtx(b->cctx, p, b->ccap - hdr, contents.p, contents.n,
                                     b->o.compression_level);
        if (!ZSTD_isError(r) &&
            hdr + r <= contents.n - (contents.n >> SST_MIN_COMPRESS_SAVING_SHIFT)) {
            body = st_slice_make(b->cbuf, hdr + r);
            type = SST_BLOCK_ZSTD;
        }
    }
    if (ensure(&b->wbuf, &b->wcap, b->wlen + body.n + SST_BLOCK_TRAILER)) return nomem(b);
    uint8_t *p = b->wbuf + b->wlen;
    if (body.n) memcpy(p, body.p, body.n);
    p[body.n] = type;
    put_le32(p + body.n + 1, st_checksum32(p, body.n + 1));
    b->wlen += body.n + SST_BLOCK_TRAILER;
    *off = b->offset;
    *size = body.n + SST_BLOCK_TRAILER;
    b->offset += *size;
    if (b->wlen >= SST_WRITE_CHUNK) return flush_writes(b, 0);
    return STRATA_OK;
}

static int flush_data_block(sst_builder *b)
{
    if (b->status) return b->status;
    if (block_builder_empty(&b->data)) return STRATA_OK;
    st_slice c = block_builder_finish(&b->data);
    if (!c.p) return nomem(b);
    uint64_t off, size;
    int rc = write_block(b, c, 1, &off, &size);
    if (rc) return rc;
    if (b->o.fill_cache) {
        /* a copy, as the reader would have made it; without memory the block is just not
         * cached */
        size_t cap;
        uint8_t *copy = block_cache_buffer(b->o.fill_cache, b->o.file_number, off, c.n, &cap);
        if (copy) {
            if (c.n) memcpy(copy, c.p, c.n);
            block_cache_release(
                b->o.fill_cache,
                block_cache_insert(b->o.fill_cache, b->o.file_number, off, copy, c.n, cap));
        }
    }
    uint8_t h[2 * VARINT64_MAX], *p = h;
    p = put_varint64(p, off);
    p = put_varint64(p, size);
    if (block_builder_add(&b->index, block_builder_last_key(&b->data),
                          st_slice_make(h, (size_t)(p - h))))
        return nomem(b);
    b->data_bytes += size;
    b->num_data_blocks++;
    block_builder_reset(&b->data);
    return STRATA_OK;
}

int sst_builder_add(sst_builder *b, st_slice ikey, st_slice value)
{
    if (b->status) return b->status;
    if (ikey.n < IKEY_TRAILER || (ikey_kind(ikey) != KIND_PUT && ikey_kind(ikey) != KIND_DELETE))
        return st_error(STRATA_INVALID, "sst %s: bad internal key (length %zu)", b->path, ikey.n);
    if (ikey.n > SST_MAX_BLOCK_SIZE / 4 || value.n > SST_MAX_BLOCK_SIZE / 4)
        return st_error(STRATA_TOOBIG, "sst %s: entry of %zu + %zu bytes", b->path, ikey.n,
                        value.n);
    st_slice last = st_slice_make(b->last_key, b->last_len);
    int new_user_key = 1;
    if (b->num_entries) {
        if (ikey_cmp(ikey, last) <= 0)
            return st_error(STRATA_INVALID, "sst %s: keys added out of order", b->path);
        new_user_key = !st_slice_eq(ikey_user(ikey), ikey_user(last));
    }
    if (b->o.bloom_bits_per_key > 0 && new_user_key) {
        if (b->nhashes == b->hcap) {
            size_t cap = b->hcap ? b->hcap * 2 : 1024;
            uint64_t *h = realloc(b->hashes, cap * sizeof *h);
            if (!h) return nomem(b);
            b->hashes = h;
            b->hcap = cap;
        }
        b->hashes[b->nhashes++] = bloom_hash(ikey_user(ikey));
    }
    if (block_builder_add(&b->data, ikey, value)) return nomem(b);
    if (ensure(&b->last_key, &b->last_cap, ikey.n)) return nomem(b);
    memcpy(b->last_key, ikey.p, ikey.n);
    b->last_len = ikey.n;
    if (!b->num_entries) {
        b->first_key = malloc(ikey.n);
        if (!b->first_key) return nomem(b);
        memcpy(b->first_key, ikey.p, ikey.n);
        b->first_len = ikey.n;
    }
    uint64_t seq = ikey_seq(ikey);
    if (seq < b->min_seq) b->min_seq = seq;
    if (seq > b->max_seq) b->max_seq = seq;
    b->num_entries++;
    b->num_deletes += ikey_kind(ikey) == KIND_DELETE;
    b->raw_key_bytes += ikey.n;
    b->raw_value_bytes += value.n;
    if (block_builder_size(&b->data) >= b->o.block_size) return flush_data_block(b);
    return STRATA_OK;
}

int sst_builder_add_range_del(sst_builder *b, st_slice start, st_slice end, uint64_t seq)
{
    if (b->status) return b->status;
    if (seq > SEQ_MAX) return st_error(STRATA_INVALID, "sst %s: range tombstone seq", b->path);
    if (b->nrds == b->rdcap) {
        size_t cap = b->rdcap ? b->rdcap * 2 : 16;
        pending_rd *r = realloc(b->rds, cap * sizeof *r);
        if (!r) return nomem(b);
        b->rds = r;
        b->rdcap = cap;
    }
    pending_rd *r = &b->rds[b->nrds];
    r->start = malloc(start.n + end.n + 1);
    if (!r->start) return nomem(b);
    if (start.n) memcpy(r->start, start.p, start.n);
    r->end = r->start + start.n;
    if (end.n) memcpy(r->end, end.p, end.n);
    r->slen = start.n;
    r->elen = end.n;
    r->seq = seq;
    b->nrds++;
    if (seq < b->min_seq) b->min_seq = seq;
    if (seq > b->max_seq) b->max_seq = seq;
    return STRATA_OK;
}

uint64_t sst_builder_num_entries(const sst_builder *b)
{
    return b->num_entries;
}

uint64_t sst_builder_estimated_size(const sst_builder *b)
{
    return b->offset + (block_builder_empty(&b->data) ? 0 : block_builder_size(&b->data));
}

static int rd_cmp(const void *x, const void *y)
{
    const pending_rd *a = x, *c = y;
    int r = st_slice_cmp(st_slice_make(a->start, a->slen), st_slice_make(c->start, c->slen));
    if (r) return r;
    return a->seq > c->seq ? -1 : a->seq < c->seq;
}

/* A growable byte string for the meta blocks. */
typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
    int oom;
} bytes;

static void bytes_put(bytes *s, const void *p, size_t n)
{
    if (s->oom || ensure(&s->p, &s->cap, s->n + n)) {
        s->oom = 1;
        return;
    }
    if (n) memcpy(s->p + s->n, p, n);
    s->n += n;
}

static void bytes_varint(bytes *s, uint64_t v)
{
    uint8_t t[VARINT64_MAX];
    bytes_put(s, t, (size_t)(put_varint64(t, v) - t));
}

static void bytes_slice(bytes *s, const void *p, size_t n)
{
    bytes_varint(s, n);
    bytes_put(s, p, n);
}

/* Sets props' smallest/largest from the point keys and the tombstones. */
static int key_range(sst_builder *b, sst_properties *pr)
{
    uint8_t *lo = NULL, *hi = NULL;
    size_t lo_n = 0, hi_n = 0;
    if (b->num_entries) {
        lo = malloc(b->first_len);
        hi = malloc(b->last_len);
        if (!lo || !hi) goto oom;
        memcpy(lo, b->first_key, b->first_len);
        memcpy(hi, b->last_key, b->last_len);
        lo_n = b->first_len;
        hi_n = b->last_len;
    }
    for (size_t i = 0; i < b->nrds; i++) {
        pending_rd *r = &b->rds[i];
        uint8_t *s = malloc(r->slen + IKEY_TRAILER), *e = malloc(r->elen + IKEY_TRAILER);
        if (!s || !e) {
            free(s);
            free(e);
            goto oom;
        }
        st_slice sk = ikey_build(s, st_slice_make(r->start, r->slen), r->seq, KIND_RANGE_DEL);
        st_slice ek = ikey_build(e, st_slice_make(r->end, r->elen), SEQ_MAX, KIND_RANGE_DEL);
        if (!lo || ikey_cmp(sk, st_slice_make(lo, lo_n)) < 0) {
            free(lo);
            lo = s;
            lo_n = sk.n;
        } else {
            free(s);
        }
        if (!hi || ikey_cmp(ek, st_slice_make(hi, hi_n)) > 0) {
            free(hi);
            hi = e;
            hi_n = ek.n;
        } else {
            free(e);
        }
    }
    pr->smallest = lo;
    pr->smallest_len = lo_n;
    pr->largest = hi;
    pr->largest_len = hi_n;
    return STRATA_OK;
oom:
    free(lo);
    free(hi);
    return nomem(b);
}

static int write_meta(sst_builder *b, sst_properties *pr, uint8_t *footer)
{
    uint64_t off, size;
    int rc;
    /* filter */
    uint64_t f_off = 0, f_size = 0;
    if (b->o.bloom_bits_per_key > 0) {
        size_t n = bloom_filter_size(b->nhashes, b->o.bloom_bits_per_key);
        uint8_t *f = malloc(n);
        if (!f) return nomem(b);
        bloom_build(b->hashes, b->nhashes, b->o.bloom_bits_per_key, f);
        rc = write_block(b, st_slice_make(f, n), 0, &f_off, &f_size);
        free(f);
        if (rc) return rc;
    }
    /* range tombstones */
    bytes s = {0};
    if (b->nrds) qsort(b->rds, b->nrds, sizeof *b->rds, rd_cmp);
    bytes_varint(&s, b->nrds);
    for (size_t i = 0; i < b->nrds; i++) {
        bytes_slice(&s, b->rds[i].start, b->rds[i].slen);
        bytes_slice(&s, b->rds[i].end, b->rds[i].elen);
        bytes_varint(&s, b->rds[i].seq);
    }
    if (s.oom) {
        free(s.p);
        return nomem(b);
    }
    rc = write_block(b, st_slice_make(s.p, s.n), 0, &off, &size);
    put_le64(footer + SST_FOOTER_RANGE_DEL, off);
    put_le64(footer + SST_FOOTER_RANGE_DEL + 8, size);
    if (rc) goto out;
    /* properties */
    s.n = 0;
    bytes_slice(&s, pr->smallest, pr->smallest_len);
    bytes_slice(&s, pr->largest, pr->largest_len);
    uint64_t nums[] = {pr->min_seq,         pr->max_seq,        pr->num_entries,
                       pr->num_deletes,     pr->num_range_dels, pr->raw_key_bytes,
                       pr->raw_value_bytes, pr->data_bytes,     b->num_data_blocks};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) bytes_varint(&s, nums[i]);
    if (s.oom) {
        rc = nomem(b);
        goto out;
    }
    rc = write_block(b, st_slice_make(s.p, s.n), 0, &off, &size);
    put_le64(footer + SST_FOOTER_PROPS, off);
    put_le64(footer + SST_FOOTER_PROPS + 8, size);
    if (rc) goto out;
    /* index */
    st_slice idx = block_builder_finish(&b->index);
    if (!idx.p) {
        rc = nomem(b);
        goto out;
    }
    rc = write_block(b, idx, 0, &off, &size);
    put_le64(footer + SST_FOOTER_INDEX, off);
    put_le64(footer + SST_FOOTER_INDEX + 8, size);
    put_le64(footer + SST_FOOTER_FILTER, f_off);
    put_le64(footer + SST_FOOTER_FILTER + 8, f_size);
out:
    free(s.p);
    return rc;
}

int sst_builder_finish(sst_builder *b, sst_properties *props)
{
    sst_properties pr = {0};
    uint8_t footer[SST_FOOTER_SIZE] = {0};
    int rc = flush_data_block(b);
    if (rc) goto err;
    if ((rc = key_range(b, &pr))) goto err;
    pr.min_seq = b->min_seq == UINT64_MAX ? 0 : b->min_seq;
    pr.max_seq = b->max_seq;
    pr.num_entries = b->num_entries;
    pr.num_deletes = b->num_deletes;
    pr.num_range_dels = b->nrds;
    pr.raw_key_bytes = b->raw_key_bytes;
    pr.raw_value_bytes = b->raw_value_bytes;
    pr.data_bytes = b->data_bytes;
    if ((rc = write_meta(b, &pr, footer))) goto err;
    put_le32(footer + SST_FOOTER_VERSION, SST_FORMAT_VERSION);
    put_le32(footer + SST_FOOTER_CHECKSUM, st_checksum32(footer, SST_FOOTER_CKSUM));
    put_le64(footer + SST_FOOTER_MAGIC, SST_MAGIC);
    if (ensure(&b->wbuf, &b->wcap, b->wlen + SST_FOOTER_SIZE)) {
        rc = nomem(b);
        goto err;
    }
    memcpy(b->wbuf + b->wlen, footer, SST_FOOTER_SIZE);
    b->wlen += SST_FOOTER_SIZE;
    b->offset += SST_FOOTER_SIZE;
    if ((rc = flush_writes(b, 1))) goto err;
    pr.file_size = b->offset;
    rc = b->env->close(b->env, b->file);
    b->file = NULL;
    if (rc) goto err;
    if (props)
        *props = pr;
    else
        sst_properties_clear(&pr);
    b->status = STRATA_OK;
    sst_builder_abandon(b); /* no file left open: frees only */
    return STRATA_OK;
err:
    sst_properties_clear(&pr);
    if (b->file) {
        b->env->close(b->env, b->file);
        b->file = NULL;
    }
    b->env->unlink(b->env, b->path);
    b->file = NULL;
    free(b->path);
    b->path = NULL;
    sst_builder_abandon(b);
    return rc;
}

void sst_builder_abandon(sst_builder *b)
{
    if (!b) return;
    if (b->file) {
        b->env->close(b->env, b->file);
        b->env->unlink(b->env, b->path);
    }
    block_builder_destroy(&b->data);
    block_builder_destroy(&b->index);
    for (size_t i = 0; i < b->nrds; i++) free(b->rds[i].start);
    free(b->rds);
    free(b->hashes);
    free(b->wbuf);
    free(b->cbuf);
    free(b->first_key);
    free(b->last_key);
    ZSTD_freeCCtx(b->cctx);
    free(b->path);
    free(b);
}

void sst_properties_clear(sst_properties *p)
{
    if (!p) return;
    free(p->smallest);
    free(p->largest);
    memset(p, 0, sizeof *p);
}
