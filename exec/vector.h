/*
 * exec/vector.h — vectors and chunks: the unit of data the executor moves (DuckDB's Vector and
 * DataChunk, in C).
 *
 * A vector holds up to EXEC_VECTOR_SIZE values of one strata_type, column-wise:
 *   BOOLEAN              uint8_t  (0/1)
 *   INT                  int32_t
 *   BIGINT, TIMESTAMP    int64_t
 *   DOUBLE               double
 *   TEXT, BLOB           exec_str (16 bytes: length, 4-byte prefix, inline bytes or a pointer)
 * plus a validity bitmap of uint64_t words (bit i set = row i is not NULL); validity == NULL
 * means every row is valid and costs nothing. The value slot of a NULL row holds zero bytes, so
 * loops may read it without branching.
 *
 * A vector's data either points at its own buffer (vec->own) or aliases another vector's data
 * (a column reference evaluated without a selection): aliasing never copies. Long strings point
 * into a heap (exec_heap) that lives as long as the producer keeps the chunk: a chunk handed out
 * by an operator's next() stays valid until the next call to that operator.
 *
 * A chunk is ncols vectors + count + an optional selection vector: row i of the chunk is
 * position sel[i] of every vector (sel == NULL: identity). Filters narrow sel instead of copying.
 *
 * Not thread-safe; one operator owns each chunk.
 */
#ifndef STRATA_EXEC_VECTOR_H
#define STRATA_EXEC_VECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "exec/types.h"

#define EXEC_VECTOR_SIZE    2048 /* a power of two */
#define EXEC_VALIDITY_WORDS (EXEC_VECTOR_SIZE / 64)

typedef uint16_t exec_sel_t;

/* 16-byte string (DuckDB's string_t): len, then 12 bytes that hold the whole string inline when
 * len <= EXEC_STR_INLINE (unused bytes zero), else its first 4 bytes (prefix) and a pointer to
 * all of it. */
#define EXEC_STR_INLINE 12
typedef struct exec_str {
    uint32_t len;
    char prefix[4];
    union {
        const char *ptr;
        char rest[8];
    } u;
} exec_str;

static inline const char *exec_str_data(const exec_str *s)
{
    return s->len <= EXEC_STR_INLINE ? (const char *)s + 4 : s->u.ptr;
}

/* A string entry for bytes that stay alive elsewhere (not copied when long). */
static inline exec_str exec_str_make(const char *p, uint32_t n)
{
    exec_str s;
    memset(&s, 0, sizeof s);
    s.len = n;
    if (n <= EXEC_STR_INLINE) {
        if (n) memcpy((char *)&s + 4, p, n);
    } else {
        memcpy(s.prefix, p, 4);
        s.u.ptr = p;
    }
    return s;
}

static inline int exec_str_eq(const exec_str *a, const exec_str *b)
{
    if (a->len != b->len) return 0;
    if (memcmp(a->prefix, b->prefix, 4) != 0) return 0;
    if (a->len <= EXEC_STR_INLINE) return memcmp(a->u.rest, b->u.rest, 8) == 0;
    return memcmp(a->u.ptr, b->u.ptr, a->len) == 0;
}

/* Bytewise, shorter first on a common prefix. */
static inline int exec_str_cmp(const exec_str *a, const exec_str *b)
{
    uint32_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->prefix, b->prefix, m < 4 ? m : 4);
    if (c == 0 && m > 4) c = memcmp(exec_str_data(a) + 4, exec_str_data(b) + 4, m - 4);
    if (c) return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* ---- heap: bump storage for string bytes, reset per chunk (keeps its first block) ---- */

typedef struct exec_heap_block exec_heap_block;
typedef struct exec_heap {
    exec_heap_block *head; /* current block, older ones chained behind it */
    size_t used;           /* bytes used in head */
} exec_heap;

void exec_heap_init(exec_heap *h);
void exec_heap_reset(exec_heap *h); /* frees all but one block */
void exec_heap_free(exec_heap *h);
void *exec_heap_alloc(exec_heap *h, size_t n);
/* Copies p[0..n) into h when longer than the inline limit; returns the entry. */
exec_str exec_heap_str(exec_heap *h, const char *p, uint32_t n);

/* ---- vectors ---- */

typedef struct exec_vector {
    int type;           /* strata_type */
    void *data;         /* values; own or aliased */
    uint64_t *validity; /* NULL: all valid; else own_validity or aliased */
    void *own;          /* EXEC_VECTOR_SIZE values allocated for this vector (lazily) */
    uint64_t own_validity[EXEC_VALIDITY_WORDS];
    exec_heap heap; /* long string bytes made by this vector's producer */
} exec_vector;

size_t exec_type_width(int type); /* bytes per value in a vector */

void exec_vector_init(exec_vector *v, int type);
void exec_vector_free(exec_vector *v);
/* Points data at the own buffer (allocating it once), validity NULL, heap reset. */
void exec_vector_reset(exec_vector *v);
/* Makes v alias src's data and validity. */
void exec_vector_alias(exec_vector *v, const exec_vector *src);
/* Switches validity to own_validity with every bit set (before setting NULLs). */
uint64_t *exec_vector_validity_make(exec_vector *v);

static inline int exec_vector_is_valid(const exec_vector *v, size_t i)
{
    return !v->validity || ((v->validity[i >> 6] >> (i & 63)) & 1);
}
static inline void exec_validity_set_null(uint64_t *val, size_t i)
{
    val[i >> 6] &= ~(UINT64_C(1) << (i & 63));
}
/* Sets row i NULL (makes a bitmap if needed) and zeroes its slot. */
void exec_vector_set_null(exec_vector *v, size_t i);

/* Reads/writes one value as an sql_value (row-at-a-time edges; not for hot loops). Text bytes
 * are borrowed from the vector; set_value copies long text into v's heap. */
sql_value exec_vector_get_value(const exec_vector *v, size_t i);
void exec_vector_set_value(exec_vector *v, size_t i, const sql_value *val);

/* dst[dpos + k] = src[sel ? sel[k] : k] for k < n (values and validity; long strings still point
 * at src's bytes unless copy_strings, which copies them into dst's heap). dst is own-buffered. */
void exec_vector_gather(exec_vector *dst, size_t dpos, const exec_vector *src,
                        const exec_sel_t *sel, size_t n, int copy_strings);

/* ---- chunks ---- */

typedef struct exec_chunk {
    int ncols;
    exec_vector *cols;   /* [ncols] */
    size_t count;        /* rows */
    exec_sel_t *sel;     /* NULL: identity; else own_sel or another chunk's */
    exec_sel_t *own_sel; /* EXEC_VECTOR_SIZE entries once exec_chunk_sel made it */
} exec_chunk;

/* Vector buffers are allocated by the first exec_chunk_reset (cheap to create unused chunks). */
void exec_chunk_init(exec_chunk *c, int ncols, const int *types);
exec_sel_t *exec_chunk_sel(exec_chunk *c);
void exec_chunk_free(exec_chunk *c);
/* count = 0, sel = NULL, every vector reset to its own buffer. */
void exec_chunk_reset(exec_chunk *c);
static inline size_t exec_chunk_row(const exec_chunk *c, size_t i)
{
    return c->sel ? c->sel[i] : i;
}

#endif
