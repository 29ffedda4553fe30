/* exec/vector.c — vectors, chunks and the string heap (see vector.h). */
#include "exec/vector.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct exec_heap_block {
    exec_heap_block *next;
    size_t size;
    /* bytes follow, 16-byte aligned */
};

#define HEAP_HDR   ((sizeof(exec_heap_block) + 15) & ~(size_t)15)
#define HEAP_BLOCK (64 * 1024)

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "strata: out of memory allocating %zu bytes for a vector\n", n);
        abort();
    }
    return p;
}

void exec_heap_init(exec_heap *h)
{
    h->head = NULL;
    h->used = 0;
}

void exec_heap_reset(exec_heap *h)
{
    if (!h->head) return;
    /* keep the oldest block (the last in the chain) when it has the default size */
    exec_heap_block *b = h->head, *keep = NULL;
    while (b) {
        exec_heap_block *n = b->next;
        if (!n && b->size == HEAP_BLOCK) {
            keep = b;
        } else {
            free(b);
        }
        b = n;
    }
    if (keep) keep->next = NULL;
    h->head = keep;
    h->used = 0;
}

void exec_heap_free(exec_heap *h)
{
    exec_heap_block *b = h->head;
    while (b) {
        exec_heap_block *n = b->next;
        free(b);
        b = n;
    }
    h->head = NULL;
    h->used = 0;
}

void *exec_heap_alloc(exec_heap *h, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!h->head || h->used + n > h->head->size) {
        size_t sz = n > HEAP_BLOCK ? n : HEAP_BLOCK;
        exec_heap_block *b = xmalloc(HEAP_HDR + sz);
        b->size = sz;
        if (sz == HEAP_BLOCK || !h->head) {
            b->next = h->head;
            h->head = b;
            h->used = 0;
        } else {
            /* a big one-off: chain it behind the current block, keep filling the current */
            b->next = h->head->next;
            h->head->next = b;
            return (char *)b + HEAP_HDR;
        }
    }
    void *p = (char *)h->head + HEAP_HDR + h->used;
    h->used += n;
    return p;
}

exec_str exec_heap_str(exec_heap *h, const char *p, uint32_t n)
{
    if (n <= EXEC_STR_INLINE) return exec_str_make(p, n);
    char *q = exec_heap_alloc(h, n);
    memcpy(q, p, n);
    return exec_str_make(q, n);
}

size_t exec_type_width(int type)
{
    switch (type) {
    case STRATA_TYPE_BOOLEAN:
        return 1;
    case STRATA_TYPE_INT:
        return 4;
    case STRATA_TYPE_BIGINT:
    case STRATA_TYPE_TIMESTAMP:
    case STRATA_TYPE_DOUBLE:
        return 8;
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB:
        return sizeof(exec_str);
    default:
        return 8; /* NULL-typed vectors: all rows NULL, 8-byte zero slots */
    }
}

void exec_vector_init(exec_vector *v, int type)
{
    /* own_validity is filled by exec_vector_validity_make when first needed */
    v->type = type;
    v->data = NULL;
    v->validity = NULL;
    v->own = NULL;
    exec_heap_init(&v->heap);
}

/* Vector buffers come from a small per-thread pool of equal-sized blocks: statements create and
 * drop operators all the time (a point select makes a few), and buffers of 16-32 KiB would
 * otherwise go through malloc/free and its consolidation every time. */
#define BUF_SIZE  (sizeof(exec_str) * EXEC_VECTOR_SIZE) /* the widest type */
#define POOL_KEEP 64

typedef struct buf_pool {
    void *buf[POOL_KEEP];
    int n;
} buf_pool;

static _Thread_local buf_pool *pool; /* freed at thread exit by pool_key's destructor */
static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_destroy(void *p)
{
    buf_pool *bp = p;
    for (int i = 0; i < bp->n; i++) free(bp->buf[i]);
    free(bp);
}

static void pool_key_init(void)
{
    pthread_key_create(&pool_key, pool_destroy);
}

static void *buf_get(void)
{
    if (pool && pool->n) return pool->buf[--pool->n];
    return xmalloc(BUF_SIZE);
}

static void buf_put(void *p)
{
    if (!p) return;
    if (!pool) {
        pthread_once(&pool_once, pool_key_init);
        pool = calloc(1, sizeof *pool);
        if (!pool || pthread_setspecific(pool_key, pool) != 0) {
            free(pool);
            pool = NULL;
            free(p);
            return;
        }
    }
    if (pool->n < POOL_KEEP)
        pool->buf[pool->n++] = p;
    else
        free(p);
}

void exec_vector_free(exec_vector *v)
{
    buf_put(v->own);
    exec_heap_free(&v->heap);
    v->own = v->data = NULL;
    v->validity = NULL;
}

void exec_vector_reset(exec_vector *v)
{
    if (!v->own) {
        /* not zeroed: writers fill every slot they produce (NULL slots with zeroes) */
        v->own = buf_get();
    }
    v->data = v->own;
    v->validity = NULL;
    exec_heap_reset(&v->heap);
}

void exec_vector_alias(exec_vector *v, const exec_vector *src)
{
    v->data = src->data;
    v->validity = src->validity;
}

uint64_t *exec_vector_validity_make(exec_vector *v)
{
    if (v->validity == v->own_validity) return v->validity;
    if (v->validity) {
        memcpy(v->own_validity, v->validity, sizeof v->own_validity);
    } else {
        memset(v->own_validity, 0xff, sizeof v->own_validity);
    }
    v->validity = v->own_validity;
    return v->validity;
}

void exec_vector_set_null(exec_vector *v, size_t i)
{
    exec_validity_set_null(exec_vector_validity_make(v), i);
    size_t w = exec_type_width(v->type);
    memset((char *)v->data + i * w, 0, w);
}

sql_value exec_vector_get_value(const exec_vector *v, size_t i)
{
    if (!exec_vector_is_valid(v, i)) return sql_null(v->type);
    switch (v->type) {
    case STRATA_TYPE_BOOLEAN:
        return sql_int(v->type, ((const uint8_t *)v->data)[i]);
    case STRATA_TYPE_INT:
        return sql_int(v->type, ((const int32_t *)v->data)[i]);
    case STRATA_TYPE_BIGINT:
    case STRATA_TYPE_TIMESTAMP:
        return sql_int(v->type, ((const int64_t *)v->data)[i]);
    case STRATA_TYPE_DOUBLE:
        return sql_double(((const double *)v->data)[i]);
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB: {
        const exec_str *s = &((const exec_str *)v->data)[i];
        return sql_text(v->type, exec_str_data(s), s->len);
    }
    default:
        return sql_null(v->type);
    }
}

void exec_vector_set_value(exec_vector *v, size_t i, const sql_value *val)
{
    if (val->is_null || val->type == STRATA_TYPE_NULL) {
        exec_vector_set_null(v, i);
        return;
    }
    if (v->validity && !exec_vector_is_valid(v, i)) {
        uint64_t *m = exec_vector_validity_make(v);
        m[i >> 6] |= UINT64_C(1) << (i & 63);
    }
    switch (v->type) {
    case STRATA_TYPE_BOOLEAN:
        ((uint8_t *)v->data)[i] = val->u.i != 0;
        break;
    case STRATA_TYPE_INT:
        ((int32_t *)v->data)[i] = (int32_t)val->u.i;
        break;
    case STRATA_TYPE_BIGINT:
    case STRATA_TYPE_TIMESTAMP:
        ((int64_t *)v->data)[i] = val->u.i;
        break;
    case STRATA_TYPE_DOUBLE:
        ((double *)v->data)[i] = val->u.d;
        break;
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB:
        ((exec_str *)v->data)[i] = exec_heap_str(&v->heap, val->u.s.p, val->u.s.n);
        break;
    default:
        exec_vector_set_null(v, i);
        break;
    }
}

void exec_vector_gather(exec_vector *dst, size_t dpos, const exec_vector *src,
                        const exec_sel_t *sel, size_t n, int copy_strings)
{
    size_t w = exec_type_width(dst->type);
    char *d = (char *)dst->data + dpos * w;
    const char *s = src->data;
    if (!sel) {
        memcpy(d, s, n * w);
    } else {
        switch (w) {
        case 1:
            for (size_t k = 0; k < n; k++) d[k] = s[sel[k]];
            break;
        case 4:
            for (size_t k = 0; k < n; k++) ((int32_t *)d)[k] = ((const int32_t *)s)[sel[k]];
            break;
        case 8:
            for (size_t k = 0; k < n; k++) ((int64_t *)d)[k] = ((const int64_t *)s)[sel[k]];
            break;
        default:
            for (size_t k = 0; k < n; k++) ((exec_str *)d)[k] = ((const exec_str *)s)[sel[k]];
            break;
        }
    }
    if (src->validity) {
        for (size_t k = 0; k < n; k++) {
            size_t r = sel ? sel[k] : k;
            if (!exec_vector_is_valid(src, r)) {
                exec_validity_set_null(exec_vector_validity_make(dst), dpos + k);
            } else if (dst->validity) {
                dst->validity[(dpos + k) >> 6] |= UINT64_C(1) << ((dpos + k) & 63);
            }
        }
    } else if (dst->validity) {
        for (size_t k = 0; k < n; k++)
            dst->validity[(dpos + k) >> 6] |= UINT64_C(1) << ((dpos + k) & 63);
    }
    if (copy_strings && (dst->type == STRATA_TYPE_TEXT || dst->type == STRATA_TYPE_BLOB)) {
        exec_str *ds = (exec_str *)d;
        for (size_t k = 0; k < n; k++) {
            if (ds[k].len > EXEC_STR_INLINE)
                ds[k] = exec_heap_str(&dst->heap, ds[k].u.ptr, ds[k].len);
        }
    }
}

void exec_chunk_init(exec_chunk *c, int ncols, const int *types)
{
    c->ncols = ncols;
    c->cols = xmalloc(sizeof(exec_vector) * (size_t)(ncols > 0 ? ncols : 1));
    for (int j = 0; j < ncols; j++) exec_vector_init(&c->cols[j], types[j]);
    c->count = 0;
    c->sel = NULL;
    c->own_sel = NULL; /* exec_chunk_sel allocates it */
}

exec_sel_t *exec_chunk_sel(exec_chunk *c)
{
    if (!c->own_sel) c->own_sel = xmalloc(sizeof(exec_sel_t) * EXEC_VECTOR_SIZE);
    return c->own_sel;
}

void exec_chunk_free(exec_chunk *c)
{
    if (!c->cols) return;
    for (int j = 0; j < c->ncols; j++) exec_vector_free(&c->cols[j]);
    free(c->cols);
    free(c->own_sel);
    c->cols = NULL;
    c->own_sel = NULL;
}

void exec_chunk_reset(exec_chunk *c)
{
    for (int j = 0; j < c->ncols; j++) exec_vector_reset(&c->cols[j]);
    c->count = 0;
    c->sel = NULL;
}
