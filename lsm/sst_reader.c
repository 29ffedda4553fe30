/*
 * lsm/sst_reader.c — serving gets, multi-gets and iterators from one SST (layout in
 * lsm/sst_format.h).
 *
 * Open reads the last 64 KiB of the file: the footer and, unless the table is large, the whole
 * meta region between the last data block and the footer (else a second read): filter,
 * range-del, properties and index blocks. Each is verified
 * (checksum, lengths against the file size) and decoded into the reader: the index becomes an
 * array of (last key, offset, size) searched by binary search, so a get costs one binary search
 * over the index, one data block (cache or one read) and a seek inside it.
 *
 * Data blocks are verified when read and cached uncompressed (the cache owns the bytes); with
 * no cache they live in a private buffer for the duration of the call or iterator step.
 * Everything read from the file is hostile: impossible lengths, bad checksums, keys out of order
 * and bad block contents are STRATA_CORRUPT naming the file and the offset.
 *
 * Thread-safety: after open the reader is immutable; gets and iterators may run on many threads.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lsm/block_reader.h"
#include "lsm/bloom.h"
#include "lsm/sst.h"
#include "lsm/sst_format.h"
#include "util/hash.h"
#include "util/status.h"

/* One data block in the index. The index search reads prefixes and stops on the entry it
 * returns, so the block's place comes with the search's last cache line; the keys (needed only
 * among equal prefixes) are apart, in sst_reader.ikeys. */
typedef struct idx_entry {
    uint64_t pfx; /* key_prefix of the block's last key */
    uint64_t off;
    uint64_t len; /* incl. trailer */
} idx_entry;

/* Eight user key bytes from offset cp (the prefix every index key shares) as a big-endian
 * integer, zero padded. Two keys sharing the first cp bytes whose prefixes differ are ordered
 * as their prefixes (a zero pad byte can only differ from a real byte of a longer key equal
 * before it, which sorts after); equal prefixes need the full comparison. Saves the index
 * binary search a cache miss per step. REQUIRES: the user key is at least cp bytes. */
static inline uint64_t key_prefix(st_slice ikey, size_t cp)
{
    size_t n = ikey.n - IKEY_TRAILER - cp;
    if (n >= 8) return get_be64(ikey.p + cp);
    uint8_t b[8] = {0};
    if (n) memcpy(b, ikey.p + cp, n);
    return get_be64(b);
}

#define IDX_TOP_STRIDE 64

struct sst_reader {
    strata_env *env;
    strata_file *file;
    char *path;
    uint64_t file_number;
    block_cache *cache;
    uint64_t file_size;
    uint64_t data_end; /* data blocks lie in [0, data_end) */
    /* bytes the page cache may still be warmed with by reads around a cold block read (starts
     * at data_end: a table read at random is read around at most once over, and a table larger
     * than the memory that holds it is not read over and over) */
    _Atomic int64_t around_budget;

    idx_entry *idx;
    size_t nidx;
    size_t cp_len; /* length of the user key prefix all index keys share */
    uint8_t *idx_keys;
    st_slice *ikeys; /* ikeys[i]: the last internal key of block i */
    /* top[k] = idx[k * IDX_TOP_STRIDE].pfx. The index search narrows by top (small, stays in
     * the CPU cache), then by prefix within one stride, and compares whole keys only among
     * equal prefixes: about 4 cache lines where a binary search over whole entries touched one
     * per step (14 for 12K blocks). */
    uint64_t *top;
    size_t ntop;

    uint8_t *meta;          /* the meta region as read */
    uint8_t *meta_owned[4]; /* decompressed meta blocks */
    const uint8_t *filter;
    size_t filter_len;
    range_tombstone *rds;
    size_t nrds;
    sst_properties props;
};

/* ---- zstd: one decompression context per thread ---- */

static pthread_key_t dctx_key;
static pthread_once_t dctx_once = PTHREAD_ONCE_INIT;

static void dctx_free(void *p)
{
    ZSTD_freeDCtx(p);
}
static void dctx_init(void)
{
    pthread_key_create(&dctx_key, dctx_free);
}
static ZSTD_DCtx *thread_dctx(void)
{
    pthread_once(&dctx_once, dctx_init);
    ZSTD_DCtx *d = pthread_getspecific(dctx_key);
    if (!d) {
        d = ZSTD_createDCtx();
        if (d) pthread_setspecific(dctx_key, d);
    }
    return d;
}

/* ---- blocks ---- */

static int corrupt(const sst_reader *r, uint64_t off, const char *what)
{
    return st_error(STRATA_CORRUPT, "sst %s: %s at offset %llu", r->path, what,
                    (unsigned long long)off);
}

/* Verifies a block's trailer; *body gets the contents as stored, *type the compression. */
static int block_check(const sst_reader *r, uint64_t off, const uint8_t *raw, size_t len,
                       st_slice *body, int *type)
{
    if (len < SST_BLOCK_TRAILER) return corrupt(r, off, "block too short");
    size_t n = len - SST_BLOCK_TRAILER;
    if (st_checksum32(raw, n + 1) != get_le32(raw + n + 1))
        return corrupt(r, off, "bad block checksum");
    *type = raw[n];
    if (*type != SST_BLOCK_RAW && *type != SST_BLOCK_ZSTD)
        return corrupt(r, off, "unknown block compression");
    if (*type == SST_BLOCK_RAW && n > SST_MAX_BLOCK_SIZE) return corrupt(r, off, "block too big");
    *body = st_slice_make(raw, n);
    return STRATA_OK;
}

/* Decompresses a zstd body into a malloc'd buffer. */
static int block_unzstd(const sst_reader *r, uint64_t off, st_slice body, uint8_t **out,
                        size_t *outn)
{
    uint32_t usize;
    const uint8_t *p = get_varint32(body.p, body.p + body.n, &usize);
    if (!p || usize > SST_MAX_BLOCK_SIZE) return corrupt(r, off, "bad uncompressed block size");
    ZSTD_DCtx *d = thread_dctx();
    uint8_t *buf = malloc(usize ? usize : 1);
    if (!d || !buf) {
        free(buf);
        return st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
    }
    size_t got = ZSTD_decompressDCtx(d, buf, usize, p, (size_t)(body.p + body.n - p));
    if (ZSTD_isError(got) || got != usize) {
        free(buf);
        return corrupt(r, off, "bad zstd block");
    }
    *out = buf;
    *outn = usize;
    return STRATA_OK;
}

/* A data block in use: from the cache (h), a private buffer (owned) or borrowed bytes. */
typedef struct blockref {
    cache_handle *h;
    uint8_t *owned;
    const uint8_t *data;
    size_t n;
} blockref;

static void blockref_release(sst_reader *r, blockref *b)
{
    if (b->h) block_cache_release(r->cache, b->h);
    free(b->owned);
    memset(b, 0, sizeof *b);
}

/* Turns raw block bytes into a usable block. raw_owned: raw is malloc'd and handed over (freed
 * here or kept as the block; raw_cap: its allocated bytes when it may be recycled by the cache,
 * else 0); else raw is borrowed and must outlive the block unless it is copied (it is when the
 * block goes to the cache). */
static int blockref_from_raw(sst_reader *r, uint64_t off, uint8_t *raw, size_t len, int raw_owned,
                             size_t raw_cap, int fill_cache, blockref *out)
{
    memset(out, 0, sizeof *out);
    st_slice body = {NULL, 0};
    int type = SST_BLOCK_RAW, rc = block_check(r, off, raw, len, &body, &type);
    if (rc) goto fail;
    uint8_t *buf;
    size_t n, cap = 0;
    if (type == SST_BLOCK_ZSTD) {
        if ((rc = block_unzstd(r, off, body, &buf, &n))) goto fail;
        if (raw_owned) free(raw);
    } else if (raw_owned) {
        buf = raw;
        n = body.n;
        cap = raw_cap;
    } else if (fill_cache && r->cache) {
        buf = block_cache_buffer(r->cache, r->file_number, off, body.n, &cap);
        if (!buf) return st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
        if (body.n) memcpy(buf, body.p, body.n);
        n = body.n;
    } else {
        out->data = body.p;
        out->n = body.n;
        return STRATA_OK;
    }
    if (fill_cache && r->cache) {
        out->h = block_cache_insert(r->cache, r->file_number, off, buf, n, cap);
        if (!out->h) return st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
        out->data = cache_handle_data(out->h);
        out->n = cache_handle_size(out->h);
    } else {
        out->owned = buf;
        out->data = buf;
        out->n = n;
    }
    return STRATA_OK;
fail:
    if (raw_owned) free(raw);
    return rc;
}

/* The window a cold data block read warms the page cache with (env pread_around), as the
 * kernel's read-around for a fault on a mapped file. */
#define SST_READ_AROUND (1u << 20)

/* Reads exactly len bytes at off into buf (malloc'd; handed over: freed on error). around: a
 * data block read, which reads around it when cold (while the budget lasts). */
static int read_into(sst_reader *r, uint64_t off, size_t len, uint8_t *buf, int around,
                     uint8_t **out)
{
    size_t got = 0;
    int rc, cold = 0;
    if (around && r->env->pread_around &&
        atomic_load_explicit(&r->around_budget, memory_order_relaxed) > 0) {
        rc = r->env->pread_around(r->env, r->file, buf, len, off, SST_READ_AROUND, &got, &cold);
        if (cold)
            atomic_fetch_sub_explicit(&r->around_budget, SST_READ_AROUND, memory_order_relaxed);
    } else {
        rc = r->env->pread(r->env, r->file, buf, len, off, &got);
    }
    if (!rc && got != len) rc = corrupt(r, off, "file truncated");
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    return STRATA_OK;
}

static int read_exact(sst_reader *r, uint64_t off, size_t len, uint8_t **out)
{
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) return st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
    return read_into(r, off, len, buf, 0, out);
}

static int load_block(sst_reader *r, const idx_entry *e, int fill_cache, blockref *out)
{
    memset(out, 0, sizeof *out);
    uint8_t *raw;
    size_t len = (size_t)e->len, cap = 0;
    int rc;
    void *buf = NULL;
    if (r->cache) {
        /* a miss also takes the buffer to read into (a recycled one), under the same lock */
        cache_handle *h = fill_cache ? block_cache_lookup_buffer(r->cache, r->file_number, e->off,
                                                                 len, &buf, &cap)
                                     : block_cache_lookup(r->cache, r->file_number, e->off);
        if (h) {
            out->h = h;
            out->data = cache_handle_data(h);
            out->n = cache_handle_size(h);
            return STRATA_OK;
        }
    }
    if (!(r->cache && fill_cache)) buf = malloc(len ? len : 1);
    if (!buf) return st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
    if ((rc = read_into(r, e->off, len, buf, 1, &raw))) return rc;
    return blockref_from_raw(r, e->off, raw, len, 1, cap, fill_cache, out);
}

static int block_iter_error(sst_reader *r, const block_iter *it, uint64_t off)
{
    if (it->corrupt == 2) return st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
    return corrupt(r, off, "bad data block");
}

/* ---- open ---- */

/* Bytes read at the end of the file by open: the footer and, when it fits, the meta region. */
#define SST_OPEN_TAIL (64u << 10)

static int check_handle(sst_reader *r, const uint8_t *footer, int field, uint64_t limit,
                        uint64_t *off, uint64_t *len, int optional)
{
    *off = get_le64(footer + field);
    *len = get_le64(footer + field + 8);
    if (optional && *len == 0) return STRATA_OK;
    if (*off > limit || *len > limit - *off || *len < SST_BLOCK_TRAILER)
        return corrupt(r, r->file_size - SST_FOOTER_SIZE, "impossible block handle in footer");
    return STRATA_OK;
}

/* The contents of a meta block lying in r->meta (which starts at file offset base). */
static int meta_block(sst_reader *r, uint64_t base, uint64_t off, uint64_t len, int slot,
                      st_slice *out)
{
    st_slice body = {NULL, 0};
    int type = SST_BLOCK_RAW,
        rc = block_check(r, off, r->meta + (off - base), (size_t)len, &body, &type);
    if (rc) return rc;
    if (type == SST_BLOCK_ZSTD) {
        size_t n;
        if ((rc = block_unzstd(r, off, body, &r->meta_owned[slot], &n))) return rc;
        body = st_slice_make(r->meta_owned[slot], n);
    }
    *out = body;
    return STRATA_OK;
}

static int parse_index(sst_reader *r, uint64_t off, st_slice c)
{
    block_iter it;
    block_iter_init(&it);
    size_t cap = 0, kcap = 0, klen = 0;
    uint64_t *koffs = NULL;
    int rc = STRATA_OK;
    if (block_iter_reset(&it, c.p, c.n)) goto bad;
    for (block_iter_seek_to_first(&it); block_iter_valid(&it); block_iter_next(&it)) {
        if (r->nidx == cap) {
            cap = cap ? cap * 2 : 64;
            idx_entry *ni = realloc(r->idx, cap * sizeof *ni);
            uint64_t *nk = realloc(koffs, cap * sizeof *nk);
            st_slice *ns = realloc(r->ikeys, cap * sizeof *ns);
            if (ni) r->idx = ni;
            if (nk) koffs = nk;
            if (ns) r->ikeys = ns;
            if (!ni || !nk || !ns) goto oom;
        }
        if (klen + it.key.n > kcap) {
            kcap = (klen + it.key.n) * 2;
            uint8_t *nb = realloc(r->idx_keys, kcap);
            if (!nb) goto oom;
            r->idx_keys = nb;
        }
        idx_entry *e = &r->idx[r->nidx];
        const uint8_t *p = it.value.p, *end = it.value.p + it.value.n;
        if (!(p = get_varint64(p, end, &e->off)) || !(p = get_varint64(p, end, &e->len)) ||
            p != end || e->off > r->data_end || e->len > r->data_end - e->off ||
            e->len < SST_BLOCK_TRAILER || e->len > SST_MAX_BLOCK_SIZE + 64)
            goto bad;
        if (r->nidx > 0 && e->off < r->idx[r->nidx - 1].off + r->idx[r->nidx - 1].len) goto bad;
        memcpy(r->idx_keys + klen, it.key.p, it.key.n);
        koffs[r->nidx] = klen;
        r->ikeys[r->nidx].n = it.key.n;
        klen += it.key.n;
        r->nidx++;
    }
    if (it.corrupt) goto bad;
    for (size_t i = 0; i < r->nidx; i++) {
        r->ikeys[i].p = r->idx_keys + koffs[i];
        if (i > 0 && ikey_cmp(r->ikeys[i - 1], r->ikeys[i]) >= 0) goto bad;
    }
    if (r->nidx) { /* sorted: what the first and last share, all share */
        st_slice a = ikey_user(r->ikeys[0]), b = ikey_user(r->ikeys[r->nidx - 1]);
        size_t m = a.n < b.n ? a.n : b.n;
        while (r->cp_len < m && a.p[r->cp_len] == b.p[r->cp_len]) r->cp_len++;
    }
    r->ntop = (r->nidx + IDX_TOP_STRIDE - 1) / IDX_TOP_STRIDE;
    r->top = malloc((r->ntop ? r->ntop : 1) * sizeof *r->top);
    if (!r->top) goto oom;
    for (size_t i = 0; i < r->nidx; i++) r->idx[i].pfx = key_prefix(r->ikeys[i], r->cp_len);
    for (size_t k = 0; k < r->ntop; k++) r->top[k] = r->idx[k * IDX_TOP_STRIDE].pfx;
    goto out;
oom:
    rc = st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
    goto out;
bad:
    rc = corrupt(r, off, "bad index block");
out:
    free(koffs);
    block_iter_destroy(&it);
    return rc;
}

static int parse_range_dels(sst_reader *r, uint64_t off, st_slice c)
{
    const uint8_t *p = c.p, *end = c.p + c.n;
    uint64_t n;
    if (!(p = get_varint64(p, end, &n)) || n > c.n / 3)
        return corrupt(r, off, "bad range-del block");
    r->rds = calloc(n ? n : 1, sizeof *r->rds);
    if (!r->rds) return st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
    for (uint64_t i = 0; i < n; i++) {
        range_tombstone *t = &r->rds[i];
        uint32_t sl, el;
        if (!(p = get_varint32(p, end, &sl)) || sl > (size_t)(end - p))
            return corrupt(r, off, "bad range-del block");
        t->start = st_slice_make(p, sl);
        p += sl;
        if (!(p = get_varint32(p, end, &el)) || el > (size_t)(end - p))
            return corrupt(r, off, "bad range-del block");
        t->end = st_slice_make(p, el);
        p += el;
        if (!(p = get_varint64(p, end, &t->seq)) || t->seq > SEQ_MAX)
            return corrupt(r, off, "bad range-del block");
        if (i > 0) {
            int cmp = st_slice_cmp(r->rds[i - 1].start, t->start);
            if (cmp > 0 || (cmp == 0 && r->rds[i - 1].seq < t->seq))
                return corrupt(r, off, "range tombstones out of order");
        }
        r->nrds++;
    }
    if (p != end) return corrupt(r, off, "bad range-del block");
    return STRATA_OK;
}

static int parse_props(sst_reader *r, uint64_t off, st_slice c)
{
    const uint8_t *p = c.p, *end = c.p + c.n;
    sst_properties *pr = &r->props;
    uint64_t sl, ll;
    if (!(p = get_varint64(p, end, &sl)) || sl > (size_t)(end - p) || (sl && sl < IKEY_TRAILER))
        return corrupt(r, off, "bad properties block");
    const uint8_t *s = p;
    p += sl;
    if (!(p = get_varint64(p, end, &ll)) || ll > (size_t)(end - p) || (ll && ll < IKEY_TRAILER))
        return corrupt(r, off, "bad properties block");
    const uint8_t *l = p;
    p += ll;
    uint64_t nblocks;
    uint64_t *nums[] = {&pr->min_seq,         &pr->max_seq,        &pr->num_entries,
                        &pr->num_deletes,     &pr->num_range_dels, &pr->raw_key_bytes,
                        &pr->raw_value_bytes, &pr->data_bytes,     &nblocks};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (!(p = get_varint64(p, end, nums[i]))) return corrupt(r, off, "bad properties block");
    if (p != end || nblocks != r->nidx || pr->num_range_dels != r->nrds)
        return corrupt(r, off, "properties disagree with the file");
    pr->smallest = malloc(sl ? sl : 1);
    pr->largest = malloc(ll ? ll : 1);
    if (!pr->smallest || !pr->largest)
        return st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
    if (sl) memcpy(pr->smallest, s, sl);
    if (ll) memcpy(pr->largest, l, ll);
    pr->smallest_len = sl;
    pr->largest_len = ll;
    pr->file_size = r->file_size;
    return STRATA_OK;
}

int sst_reader_open(strata_env *env, const char *path, uint64_t file_number, block_cache *cache,
                    sst_reader **out)
{
    *out = NULL;
    sst_reader *r = calloc(1, sizeof *r);
    if (!r) return st_error(STRATA_NOMEM, "sst %s: out of memory", path);
    r->env = env;
    r->file_number = file_number;
    r->cache = cache;
    r->path = strdup(path);
    int rc;
    if (!r->path) {
        rc = st_error(STRATA_NOMEM, "sst %s: out of memory", path);
        goto fail;
    }
    if ((rc = env->open(env, path, ENV_READ, &r->file))) {
        r->file = NULL;
        goto fail;
    }
    if ((rc = env->size(env, r->file, &r->file_size))) goto fail;
    if (r->file_size < SST_FOOTER_SIZE) {
        rc = corrupt(r, 0, "file too small for a footer");
        goto fail;
    }
    /* one read of the tail: the footer and, in most tables, the whole meta region */
    uint64_t limit = r->file_size - SST_FOOTER_SIZE;
    uint64_t tail_off = r->file_size > SST_OPEN_TAIL ? r->file_size - SST_OPEN_TAIL : 0;
    uint8_t *tail = NULL;
    if ((rc = read_exact(r, tail_off, (size_t)(r->file_size - tail_off), &tail))) goto fail;
    const uint8_t *footer = tail + (limit - tail_off);
    if (get_le64(footer + SST_FOOTER_MAGIC) != SST_MAGIC) {
        rc = corrupt(r, limit, "bad magic number (not an SST)");
    } else if (st_checksum32(footer, SST_FOOTER_CKSUM) != get_le32(footer + SST_FOOTER_CHECKSUM)) {
        rc = corrupt(r, limit, "bad footer checksum");
    } else if (get_le32(footer + SST_FOOTER_VERSION) != SST_FORMAT_VERSION) {
        rc = st_error(STRATA_CORRUPT, "sst %s: unknown format version %u", path,
                      get_le32(footer + SST_FOOTER_VERSION));
    }
    uint64_t ioff, ilen, foff, flen, roff, rlen, poff, plen;
    if (!rc) rc = check_handle(r, footer, SST_FOOTER_INDEX, limit, &ioff, &ilen, 0);
    if (!rc) rc = check_handle(r, footer, SST_FOOTER_FILTER, limit, &foff, &flen, 1);
    if (!rc) rc = check_handle(r, footer, SST_FOOTER_RANGE_DEL, limit, &roff, &rlen, 0);
    if (!rc) rc = check_handle(r, footer, SST_FOOTER_PROPS, limit, &poff, &plen, 0);
    if (rc) {
        free(tail);
        goto fail;
    }
    uint64_t base = ioff;
    if (roff < base) base = roff;
    if (poff < base) base = poff;
    if (flen && foff < base) base = foff;
    r->data_end = base;
    atomic_init(&r->around_budget, (int64_t)base);
    if (base >= tail_off) {
        r->meta = tail;
        base = tail_off;
    } else {
        free(tail);
        if ((rc = read_exact(r, base, (size_t)(limit - base), &r->meta))) goto fail;
    }
    st_slice c;
    if ((rc = meta_block(r, base, ioff, ilen, 0, &c)) || (rc = parse_index(r, ioff, c))) goto fail;
    if (flen) {
        if ((rc = meta_block(r, base, foff, flen, 1, &c))) goto fail;
        if (!bloom_valid(c.p, c.n)) {
            rc = corrupt(r, foff, "bad filter block");
            goto fail;
        }
        r->filter = c.p;
        r->filter_len = c.n;
    }
    if ((rc = meta_block(r, base, roff, rlen, 2, &c)) || (rc = parse_range_dels(r, roff, c)))
        goto fail;
    if ((rc = meta_block(r, base, poff, plen, 3, &c)) || (rc = parse_props(r, poff, c))) goto fail;
    *out = r;
    return STRATA_OK;
fail:
    sst_reader_close(r);
    return rc;
}

void sst_reader_close(sst_reader *r)
{
    if (!r) return;
    if (r->file) r->env->close(r->env, r->file);
    free(r->idx);
    free(r->idx_keys);
    free(r->ikeys);
    free(r->top);
    free(r->meta);
    for (int i = 0; i < 4; i++) free(r->meta_owned[i]);
    free(r->rds);
    sst_properties_clear(&r->props);
    free(r->path);
    free(r);
}

const sst_properties *sst_reader_properties(const sst_reader *r)
{
    return &r->props;
}

const range_tombstone *sst_reader_range_dels(const sst_reader *r, size_t *n)
{
    *n = r->nrds;
    return r->rds;
}

strata_file *sst_reader_file(sst_reader *r)
{
    return r->file;
}

/* ---- point lookups ---- */

/* First index entry whose last key >= target (nidx if none). */
static size_t index_lower_bound(const sst_reader *r, st_slice target)
{
    size_t lo = 0, hi = r->nidx;
    if (!hi) return 0;
    st_slice tu = ikey_user(target);
    if (r->cp_len) {
        size_t m = tu.n < r->cp_len ? tu.n : r->cp_len;
        int c = memcmp(tu.p, r->ikeys[0].p, m);
        if (c < 0 || (c == 0 && tu.n < r->cp_len)) return 0; /* before every index key */
        if (c > 0) return r->nidx;                           /* after every index key */
    }
    uint64_t tp = key_prefix(target, r->cp_len);
    /* k = the first top entry >= tp: the first prefix >= tp lies in ((k-1)*S, k*S] */
    size_t a = 0, b = r->ntop;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (r->top[mid] < tp)
            a = mid + 1;
        else
            b = mid;
    }
    lo = a ? (a - 1) * IDX_TOP_STRIDE + 1 : 0;
    hi = a * IDX_TOP_STRIDE < r->nidx ? a * IDX_TOP_STRIDE : r->nidx;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->idx[mid].pfx < tp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == r->nidx || r->idx[lo].pfx != tp) return lo; /* every key before lo is < target */
    /* keys sharing the target's prefix: whole-key comparisons among them */
    hi = r->nidx;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t mp = r->idx[mid].pfx;
        if (mp < tp || (mp == tp && ikey_cmp(r->ikeys[mid], target) < 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int may_contain(const sst_reader *r, st_slice ukey)
{
    return !r->filter || bloom_may_contain(r->filter, r->filter_len, bloom_hash(ukey));
}

/* A seek key for (ukey, seq) in buf (stack) or malloc'd (*heap). */
static st_slice seek_key(uint8_t *buf, size_t bufn, uint8_t **heap, st_slice ukey, uint64_t seq)
{
    *heap = NULL;
    uint8_t *dst = buf;
    if (ukey.n + IKEY_TRAILER > bufn) {
        dst = *heap = malloc(ukey.n + IKEY_TRAILER);
        if (!dst) return st_slice_make(NULL, 0);
    }
    return ikey_build(dst, ukey, seq > SEQ_MAX ? SEQ_MAX : seq, KIND_SEEK);
}

enum { FOUND_NONE = 0, FOUND_ENTRY = 1, FOUND_PAST_END = 2 };

/* Seeks target in a block; fills the result when the entry found is ukey's. */
static int search_block(sst_reader *r, uint64_t off, const uint8_t *data, size_t n, st_slice target,
                        st_slice ukey, int *kind, uint64_t *found_seq, uint8_t **val, size_t *vlen,
                        int *found)
{
    block_iter it;
    block_iter_init(&it);
    int rc = STRATA_OK;
    *found = FOUND_NONE;
    block_iter_reset(&it, data, n);
    block_iter_seek(&it, target);
    if (it.corrupt) {
        rc = block_iter_error(r, &it, off);
    } else if (!block_iter_valid(&it)) {
        *found = FOUND_PAST_END;
    } else if (st_slice_eq(ikey_user(it.key), ukey)) {
        int k = ikey_kind(it.key);
        if (k == KIND_PUT) {
            uint8_t *v = malloc(it.value.n ? it.value.n : 1);
            if (!v) {
                rc = st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
                goto out;
            }
            if (it.value.n) memcpy(v, it.value.p, it.value.n);
            *val = v;
            *vlen = it.value.n;
        } else if (k == KIND_DELETE) {
            *val = NULL;
            *vlen = 0;
        } else {
            rc = corrupt(r, off, "bad entry kind in data block");
            goto out;
        }
        *kind = k;
        *found_seq = ikey_seq(it.key);
        *found = FOUND_ENTRY;
    }
out:
    block_iter_destroy(&it);
    return rc;
}

/* The lookup from index entry i on (the entry may continue into the next blocks). */
static int get_from(sst_reader *r, size_t i, st_slice target, st_slice ukey, int *kind,
                    uint64_t *found_seq, uint8_t **val, size_t *vlen)
{
    for (; i < r->nidx; i++) {
        blockref b;
        int found, rc = load_block(r, &r->idx[i], 1, &b);
        if (rc) return rc;
        rc = search_block(r, r->idx[i].off, b.data, b.n, target, ukey, kind, found_seq, val, vlen,
                          &found);
        blockref_release(r, &b);
        if (rc) return rc;
        if (found == FOUND_ENTRY) return STRATA_OK;
        if (found == FOUND_NONE) return STRATA_NOTFOUND;
    }
    return STRATA_NOTFOUND;
}

int sst_reader_get(sst_reader *r, st_slice ukey, uint64_t seq, int *kind, uint64_t *found_seq,
                   uint8_t **val, size_t *vlen)
{
    if (!may_contain(r, ukey)) return STRATA_NOTFOUND;
    uint8_t buf[256], *heap;
    st_slice target = seek_key(buf, sizeof buf, &heap, ukey, seq);
    if (!target.p) return st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
    int rc = get_from(r, index_lower_bound(r, target), target, ukey, kind, found_seq, val, vlen);
    free(heap);
    return rc;
}

int sst_reader_locate(sst_reader *r, st_slice ukey, sst_block_ref *ref)
{
    memset(ref, 0, sizeof *ref);
    if (!may_contain(r, ukey)) return STRATA_NOTFOUND;
    uint8_t buf[256], *heap;
    st_slice target = seek_key(buf, sizeof buf, &heap, ukey, SEQ_MAX);
    if (!target.p) return st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
    size_t i = index_lower_bound(r, target);
    free(heap);
    if (i == r->nidx) return STRATA_NOTFOUND;
    ref->offset = r->idx[i].off;
    ref->len = (size_t)r->idx[i].len;
    if (r->cache) ref->cached = block_cache_lookup(r->cache, r->file_number, ref->offset);
    return STRATA_OK;
}

int sst_reader_get_in_block(sst_reader *r, const sst_block_ref *ref, const uint8_t *raw,
                            size_t raw_len, st_slice ukey, uint64_t seq, int *kind,
                            uint64_t *found_seq, uint8_t **val, size_t *vlen)
{
    blockref b;
    int rc;
    if (ref->cached) {
        memset(&b, 0, sizeof b);
        b.data = cache_handle_data(ref->cached);
        b.n = cache_handle_size(ref->cached);
    } else {
        if (!raw || raw_len != ref->len) return corrupt(r, ref->offset, "file truncated");
        if ((rc = blockref_from_raw(r, ref->offset, (uint8_t *)raw, raw_len, 0, 0, 1, &b)))
            return rc;
    }
    uint8_t buf[256], *heap;
    st_slice target = seek_key(buf, sizeof buf, &heap, ukey, seq);
    int found = FOUND_NONE;
    if (!target.p)
        rc = st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
    else
        rc = search_block(r, ref->offset, b.data, b.n, target, ukey, kind, found_seq, val, vlen,
                          &found);
    blockref_release(r, &b);
    if (!rc && found == FOUND_PAST_END) /* the visible version is in a later block */
        rc = get_from(r, index_lower_bound(r, target), target, ukey, kind, found_seq, val, vlen);
    else if (!rc && found == FOUND_NONE)
        rc = STRATA_NOTFOUND;
    free(heap);
    return rc;
}

/* ---- iterator ---- */

#define SST_READAHEAD_MAX_BYTES (8u << 20)

typedef struct sst_iter {
    lsm_iter base;
    sst_reader *r;
    sst_iter_options o;
    size_t bi; /* current block; r->nidx when none */
    blockref cur;
    block_iter bit;
    int status;
    uint8_t *ra_buf; /* read-ahead: blocks [ra_first, ra_first + ra_n), contiguous */
    size_t ra_cap, ra_first, ra_n;
    size_t run; /* blocks entered in a row by forward moves since the last seek */
} sst_iter;

static int si_valid(lsm_iter *base)
{
    sst_iter *it = (sst_iter *)base;
    return !it->status && it->bi < it->r->nidx && block_iter_valid(&it->bit);
}

static void si_fail(sst_iter *it, int rc)
{
    if (!it->status) it->status = rc;
    it->bi = it->r->nidx;
}

/* Reads block i and up to o.readahead following blocks (while contiguous, at most
 * SST_READAHEAD_MAX_BYTES) with one read request. */
static int readahead(sst_iter *it, size_t i)
{
    sst_reader *r = it->r;
    size_t j = i + 1;
    uint64_t total = r->idx[i].len;
    while (j < r->nidx && j - i <= (size_t)it->o.readahead &&
           r->idx[j].off == r->idx[j - 1].off + r->idx[j - 1].len &&
           total + r->idx[j].len <= SST_READAHEAD_MAX_BYTES) {
        total += r->idx[j].len;
        j++;
    }
    it->ra_n = 0;
    if (total > it->ra_cap) {
        free(it->ra_buf);
        it->ra_buf = malloc((size_t)total);
        it->ra_cap = it->ra_buf ? (size_t)total : 0;
        if (!it->ra_buf) return st_error(STRATA_NOMEM, "sst %s: out of memory", r->path);
    }
    env_read_req req = {r->file, r->idx[i].off, (size_t)total, it->ra_buf, 0, 0};
    int rc = r->env->read_batch(r->env, &req, 1);
    if (!rc) rc = req.status;
    if (!rc && req.nread != total) rc = corrupt(r, r->idx[i].off, "file truncated");
    if (rc) return rc;
    it->ra_first = i;
    it->ra_n = j - i;
    return STRATA_OK;
}

/* Forward block moves in a row before read-ahead starts: a seek followed by a few nexts (one
 * crossing) reads only the blocks it uses, as LevelDB does; a scan reads ahead from its third
 * block on (RocksDB's automatic read-ahead waits the same way). */
#define SST_READAHEAD_AFTER 2

/* Makes block i current (the block iterator is left unpositioned). forward: a sequential scan,
 * which may read ahead. */
static int enter_block(sst_iter *it, size_t i, int forward)
{
    sst_reader *r = it->r;
    blockref_release(r, &it->cur);
    it->bi = i;
    const idx_entry *e = &r->idx[i];
    int rc;
    int in_ra = it->ra_n && i >= it->ra_first && i < it->ra_first + it->ra_n;
    it->run = forward ? it->run + 1 : 0;
    if (!in_ra && forward && it->o.readahead > 0 && it->run > SST_READAHEAD_AFTER) {
        cache_handle *h = r->cache ? block_cache_lookup(r->cache, r->file_number, e->off) : NULL;
        if (h) {
            it->cur.h = h;
            it->cur.data = cache_handle_data(h);
            it->cur.n = cache_handle_size(h);
            goto have;
        }
        if ((rc = readahead(it, i))) return rc;
        in_ra = 1;
    }
    if (in_ra) {
        uint8_t *raw = it->ra_buf + (e->off - r->idx[it->ra_first].off);
        /* scan resistance: a block read ahead for a sequential scan goes into the cache only
         * while the cache has room; otherwise it is used in place, so one long scan does not
         * evict what point reads keep there */
        int fill = it->o.fill_cache && r->cache &&
                   !block_cache_full(r->cache, r->file_number, e->off, (size_t)e->len);
        rc = blockref_from_raw(r, e->off, raw, (size_t)e->len, 0, 0, fill, &it->cur);
    } else {
        rc = load_block(r, e, it->o.fill_cache, &it->cur);
    }
    if (rc) return rc;
have:
    if (block_iter_reset(&it->bit, it->cur.data, it->cur.n))
        return corrupt(r, e->off, "bad data block");
    return STRATA_OK;
}

/* After a move: skips forward over exhausted blocks. */
static void skip_forward(sst_iter *it)
{
    sst_reader *r = it->r;
    while (!it->status && it->bi < r->nidx && !block_iter_valid(&it->bit)) {
        if (it->bit.corrupt) {
            si_fail(it, block_iter_error(r, &it->bit, r->idx[it->bi].off));
            return;
        }
        if (it->bi + 1 >= r->nidx) {
            it->bi = r->nidx;
            return;
        }
        int rc = enter_block(it, it->bi + 1, 1);
        if (rc) {
            si_fail(it, rc);
            return;
        }
        block_iter_seek_to_first(&it->bit);
    }
}

static void skip_backward(sst_iter *it)
{
    sst_reader *r = it->r;
    while (!it->status && it->bi < r->nidx && !block_iter_valid(&it->bit)) {
        if (it->bit.corrupt) {
            si_fail(it, block_iter_error(r, &it->bit, r->idx[it->bi].off));
            return;
        }
        if (it->bi == 0) {
            it->bi = r->nidx;
            return;
        }
        int rc = enter_block(it, it->bi - 1, 0);
        if (rc) {
            si_fail(it, rc);
            return;
        }
        block_iter_seek_to_last(&it->bit);
    }
}

static void si_seek_to_first(lsm_iter *base)
{
    sst_iter *it = (sst_iter *)base;
    if (it->status) return;
    it->bi = it->r->nidx;
    if (!it->r->nidx) return;
    int rc = enter_block(it, 0, 1);
    if (rc) {
        si_fail(it, rc);
        return;
    }
    block_iter_seek_to_first(&it->bit);
    skip_forward(it);
}

static void si_seek_to_last(lsm_iter *base)
{
    sst_iter *it = (sst_iter *)base;
    if (it->status) return;
    it->bi = it->r->nidx;
    if (!it->r->nidx) return;
    int rc = enter_block(it, it->r->nidx - 1, 0);
    if (rc) {
        si_fail(it, rc);
        return;
    }
    block_iter_seek_to_last(&it->bit);
    skip_backward(it);
}

static void si_seek(lsm_iter *base, st_slice target)
{
    sst_iter *it = (sst_iter *)base;
    if (it->status) return;
    size_t i = index_lower_bound(it->r, target);
    it->bi = it->r->nidx;
    if (i >= it->r->nidx) return;
    int rc = enter_block(it, i, 0);
    if (rc) {
        si_fail(it, rc);
        return;
    }
    block_iter_seek(&it->bit, target);
    skip_forward(it);
}

static void si_next(lsm_iter *base)
{
    sst_iter *it = (sst_iter *)base;
    if (!si_valid(base)) return;
    block_iter_next(&it->bit);
    skip_forward(it);
}

static void si_prev(lsm_iter *base)
{
    sst_iter *it = (sst_iter *)base;
    if (!si_valid(base)) return;
    block_iter_prev(&it->bit);
    skip_backward(it);
}

static void si_seek_for_prev(lsm_iter *base, st_slice target)
{
    sst_iter *it = (sst_iter *)base;
    si_seek(base, target);
    if (it->status) return;
    if (!si_valid(base))
        si_seek_to_last(base);
    else if (ikey_cmp(it->bit.key, target) > 0)
        si_prev(base);
}

static st_slice si_key(lsm_iter *base)
{
    return ((sst_iter *)base)->bit.key;
}

static st_slice si_value(lsm_iter *base)
{
    return ((sst_iter *)base)->bit.value;
}

static int si_status(lsm_iter *base)
{
    return ((sst_iter *)base)->status;
}

static void si_destroy(lsm_iter *base)
{
    sst_iter *it = (sst_iter *)base;
    blockref_release(it->r, &it->cur);
    block_iter_destroy(&it->bit);
    free(it->ra_buf);
    free(it);
}

/* A forward batch within the current block (block_iter_next_batch); the limit is compared per
 * entry only in the block whose last key (the index key) reaches it. */
static size_t si_next_batch(lsm_iter *base, st_slice limit, size_t max, lsm_batch *b)
{
    sst_iter *it = (sst_iter *)base;
    b->n = 0;
    if (max == 0 || !si_valid(base)) return 0;
    if (max > LSM_BATCH_MAX) max = LSM_BATCH_MAX;
    int check = limit.p && ikey_cmp(it->r->ikeys[it->bi], limit) >= 0;
    if (check && ikey_cmp(it->bit.key, limit) >= 0) return 0;
    b->n =
        block_iter_next_batch(&it->bit, limit, check, max, b->key, b->val, b->kbuf, sizeof b->kbuf);
    if (!block_iter_valid(&it->bit)) /* out of memory putting it back on the last entry */
        si_fail(it, st_error(STRATA_NOMEM, "sst %s: out of memory", it->r->path));
    return b->n;
}

static const lsm_iter_ops sst_iter_ops = {
    si_valid, si_seek_to_first, si_seek_to_last, si_seek,   si_seek_for_prev, si_next,
    si_prev,  si_key,           si_value,        si_status, si_destroy,       si_next_batch,
};

lsm_iter *sst_reader_iter(sst_reader *r, const sst_iter_options *o)
{
    sst_iter *it = calloc(1, sizeof *it);
    if (!it) return NULL;
    it->base.ops = &sst_iter_ops;
    it->r = r;
    if (o) {
        it->o = *o;
    } else {
        it->o.fill_cache = 1;
        it->o.readahead = 0;
    }
    it->bi = r->nidx;
    block_iter_init(&it->bit);
    return &it->base;
}
