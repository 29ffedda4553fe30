/* exec/rows.c — row storage and row hashing for the operators (see op.h). */
#include <stdlib.h>
#include <string.h>

#include "exec/op.h"
#include "util/hash.h"

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) abort();
    return p;
}

void exec_rows_init(exec_rows *r, int ncols, const int *types)
{
    memset(r, 0, sizeof *r);
    r->ncols = ncols;
    r->types = xrealloc(NULL, sizeof(int) * (size_t)(ncols ? ncols : 1));
    r->cols = xrealloc(NULL, sizeof(exec_colbuf) * (size_t)(ncols ? ncols : 1));
    for (int j = 0; j < ncols; j++) {
        r->types[j] = types[j];
        r->cols[j].type = types[j];
        r->cols[j].width = exec_type_width(types[j]);
        r->cols[j].data = NULL;
        r->cols[j].nulls = NULL;
    }
    arena_init(&r->strings, 64 * 1024);
}

void exec_rows_free(exec_rows *r)
{
    for (int j = 0; j < r->ncols; j++) {
        free(r->cols[j].data);
        free(r->cols[j].nulls);
    }
    free(r->cols);
    free(r->types);
    arena_destroy(&r->strings);
    memset(r, 0, sizeof *r);
}

void exec_rows_clear(exec_rows *r)
{
    r->n = 0;
    arena_destroy(&r->strings);
    arena_init(&r->strings, 64 * 1024);
}

static void reserve(exec_rows *r, size_t add)
{
    if (r->n + add <= r->cap) return;
    size_t cap = r->cap ? r->cap : 1024;
    while (cap < r->n + add) cap *= 2;
    for (int j = 0; j < r->ncols; j++) {
        r->cols[j].data = xrealloc(r->cols[j].data, cap * r->cols[j].width);
        r->cols[j].nulls = xrealloc(r->cols[j].nulls, cap);
    }
    r->cap = cap;
}

static void append_col(exec_rows *r, int j, const exec_vector *v, const exec_sel_t *idx, size_t n)
{
    exec_colbuf *c = &r->cols[j];
    size_t w = c->width;
    char *d = c->data + r->n * w;
    uint8_t *nl = c->nulls + r->n;
    const char *s = v->data;
    if (v->type != c->type) {
        /* a NULL-typed source (untyped NULL literal): all NULL */
        memset(d, 0, n * w);
        memset(nl, 1, n);
        return;
    }
    if (!idx) {
        memcpy(d, s, n * w);
    } else if (w == 8) {
        for (size_t k = 0; k < n; k++) ((int64_t *)d)[k] = ((const int64_t *)s)[idx[k]];
    } else if (w == 4) {
        for (size_t k = 0; k < n; k++) ((int32_t *)d)[k] = ((const int32_t *)s)[idx[k]];
    } else {
        for (size_t k = 0; k < n; k++) memcpy(d + k * w, s + (size_t)idx[k] * w, w);
    }
    if (!v->validity) {
        memset(nl, 0, n);
    } else {
        for (size_t k = 0; k < n; k++) nl[k] = !exec_vector_is_valid(v, idx ? idx[k] : k);
    }
    if (c->type == STRATA_TYPE_TEXT || c->type == STRATA_TYPE_BLOB) {
        exec_str *ds = (exec_str *)d;
        for (size_t k = 0; k < n; k++) {
            if (nl[k]) {
                memset(&ds[k], 0, sizeof ds[k]);
            } else if (ds[k].len > EXEC_STR_INLINE) {
                char *p = arena_alloc_aligned(&r->strings, ds[k].len, 1);
                memcpy(p, ds[k].u.ptr, ds[k].len);
                ds[k].u.ptr = p;
            }
        }
    }
}

void exec_rows_append(exec_rows *r, exec_vector *const *vecs, const exec_sel_t *idx, size_t n)
{
    reserve(r, n);
    for (int j = 0; j < r->ncols; j++) append_col(r, j, vecs[j], idx, n);
    r->n += n;
}

void exec_rows_append_chunk(exec_rows *r, const exec_chunk *c)
{
    reserve(r, c->count);
    for (int j = 0; j < r->ncols; j++) append_col(r, j, &c->cols[j], c->sel, c->count);
    r->n += c->count;
}

void exec_rows_gather(const exec_rows *r, int col, const uint32_t *ids, size_t n, exec_vector *dst,
                      size_t dpos)
{
    const exec_colbuf *c = &r->cols[col];
    size_t w = c->width;
    char *d = (char *)dst->data + dpos * w;
    if (w == 8) {
        for (size_t k = 0; k < n; k++) ((int64_t *)d)[k] = ((const int64_t *)c->data)[ids[k]];
    } else if (w == 4) {
        for (size_t k = 0; k < n; k++) ((int32_t *)d)[k] = ((const int32_t *)c->data)[ids[k]];
    } else {
        for (size_t k = 0; k < n; k++) memcpy(d + k * w, c->data + (size_t)ids[k] * w, w);
    }
    for (size_t k = 0; k < n; k++) {
        if (c->nulls[ids[k]]) {
            exec_validity_set_null(exec_vector_validity_make(dst), dpos + k);
        } else if (dst->validity) {
            dst->validity[(dpos + k) >> 6] |= UINT64_C(1) << ((dpos + k) & 63);
        }
    }
}

sql_value exec_rows_get(const exec_rows *r, int col, size_t row)
{
    const exec_colbuf *c = &r->cols[col];
    if (c->nulls[row]) return sql_null(c->type);
    const char *p = c->data + row * c->width;
    switch (c->type) {
    case STRATA_TYPE_BOOLEAN:
        return sql_int(c->type, *(const uint8_t *)p);
    case STRATA_TYPE_INT:
        return sql_int(c->type, *(const int32_t *)p);
    case STRATA_TYPE_DOUBLE:
        return sql_double(*(const double *)p);
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB: {
        const exec_str *s = (const exec_str *)p;
        return sql_text(c->type, exec_str_data(s), s->len);
    }
    default:
        return sql_int(c->type, *(const int64_t *)p);
    }
}

static inline uint64_t hash_double(double d)
{
    if (d == 0) d = 0; /* -0.0 == 0.0 */
    uint64_t b;
    memcpy(&b, &d, 8);
    return st_hash_u64(b);
}

#define NULL_HASH 0x2545f4914f6cdd1dULL
static inline uint64_t combine(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x9e3779b97f4a7c15ULL + (h >> 29);
}

uint64_t exec_rows_hash_value(const exec_rows *r, int col, size_t row, uint64_t h)
{
    const exec_colbuf *c = &r->cols[col];
    if (c->nulls[row]) return combine(h, NULL_HASH);
    const char *p = c->data + row * c->width;
    switch (c->type) {
    case STRATA_TYPE_BOOLEAN:
        return combine(h, st_hash_u64(*(const uint8_t *)p));
    case STRATA_TYPE_INT:
        return combine(h, st_hash_u64((uint64_t)(int64_t) * (const int32_t *)p));
    case STRATA_TYPE_DOUBLE:
        return combine(h, hash_double(*(const double *)p));
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB: {
        const exec_str *s = (const exec_str *)p;
        return combine(h, st_hash64(exec_str_data(s), s->len));
    }
    default:
        return combine(h, st_hash_u64((uint64_t) * (const int64_t *)p));
    }
}

void exec_hash_vectors(exec_vector *const *vecs, int ncols, size_t n, uint64_t *hashes)
{
    for (size_t i = 0; i < n; i++) hashes[i] = 0;
    for (int j = 0; j < ncols; j++) {
        const exec_vector *v = vecs[j];
        switch (v->type) {
        case STRATA_TYPE_BOOLEAN: {
            const uint8_t *d = v->data;
            for (size_t i = 0; i < n; i++) hashes[i] = combine(hashes[i], st_hash_u64(d[i]));
            break;
        }
        case STRATA_TYPE_INT: {
            const int32_t *d = v->data;
            for (size_t i = 0; i < n; i++)
                hashes[i] = combine(hashes[i], st_hash_u64((uint64_t)(int64_t)d[i]));
            break;
        }
        case STRATA_TYPE_BIGINT:
        case STRATA_TYPE_TIMESTAMP: {
            const int64_t *d = v->data;
            for (size_t i = 0; i < n; i++)
                hashes[i] = combine(hashes[i], st_hash_u64((uint64_t)d[i]));
            break;
        }
        case STRATA_TYPE_DOUBLE: {
            const double *d = v->data;
            for (size_t i = 0; i < n; i++) hashes[i] = combine(hashes[i], hash_double(d[i]));
            break;
        }
        case STRATA_TYPE_TEXT:
        case STRATA_TYPE_BLOB: {
            const exec_str *d = v->data;
            for (size_t i = 0; i < n; i++)
                hashes[i] = combine(hashes[i], st_hash64(exec_str_data(&d[i]), d[i].len));
            break;
        }
        default:
            for (size_t i = 0; i < n; i++) hashes[i] = combine(hashes[i], NULL_HASH);
            continue;
        }
        if (v->validity) {
            /* redo NULL rows: their hash must not depend on the slot */
            for (size_t i = 0; i < n; i++) {
                if (exec_vector_is_valid(v, i)) continue;
                /* recompute this row from scratch over all columns so far */
                uint64_t h = 0;
                for (int k = 0; k <= j; k++) {
                    const exec_vector *u = vecs[k];
                    if (!exec_vector_is_valid(u, i)) {
                        h = combine(h, NULL_HASH);
                        continue;
                    }
                    sql_value x = exec_vector_get_value(u, i);
                    uint64_t hv;
                    switch (u->type) {
                    case STRATA_TYPE_DOUBLE:
                        hv = hash_double(x.u.d);
                        break;
                    case STRATA_TYPE_TEXT:
                    case STRATA_TYPE_BLOB:
                        hv = st_hash64(x.u.s.p, x.u.s.n);
                        break;
                    default:
                        hv = st_hash_u64((uint64_t)x.u.i);
                        break;
                    }
                    h = combine(h, hv);
                }
                hashes[i] = h;
            }
        }
    }
}

void exec_rowset_init(exec_rowset *s, int ncols, const int *types)
{
    memset(s, 0, sizeof *s);
    exec_rows_init(&s->rows, ncols, types);
}

void exec_rowset_free(exec_rowset *s)
{
    exec_rows_free(&s->rows);
    free(s->hashes);
    free(s->table);
    memset(s, 0, sizeof *s);
}

/* 1 if dense row i of vecs equals stored row id (NULLs equal). */
static int row_equals(const exec_rows *r, size_t id, exec_vector *const *vecs, size_t i)
{
    for (int j = 0; j < r->ncols; j++) {
        const exec_colbuf *c = &r->cols[j];
        const exec_vector *v = vecs[j];
        int vn = !exec_vector_is_valid(v, i) || v->type != c->type;
        if (vn || c->nulls[id]) {
            if (vn && c->nulls[id]) continue;
            return 0;
        }
        const char *a = c->data + id * c->width;
        const char *b = (const char *)v->data + i * c->width;
        switch (c->type) {
        case STRATA_TYPE_TEXT:
        case STRATA_TYPE_BLOB:
            if (!exec_str_eq((const exec_str *)a, (const exec_str *)b)) return 0;
            break;
        case STRATA_TYPE_DOUBLE:
            if (*(const double *)a != *(const double *)b) return 0;
            break;
        default:
            if (memcmp(a, b, c->width) != 0) return 0;
            break;
        }
    }
    return 1;
}

static void grow_table(exec_rowset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t) abort();
    for (size_t id = 0; id < s->rows.n; id++) {
        size_t j = s->hashes[id] & (cap - 1);
        while (t[j]) j = (j + 1) & (cap - 1);
        t[j] = (uint32_t)id + 1;
    }
    free(s->table);
    s->table = t;
    s->cap = cap;
}

void exec_rowset_find(exec_rowset *s, exec_vector *const *vecs, size_t n, int add, uint32_t *ids,
                      uint8_t *is_new)
{
    uint64_t hashes[EXEC_VECTOR_SIZE];
    exec_hash_vectors(vecs, s->rows.ncols, n, hashes);
    for (size_t i = 0; i < n; i++) {
        if (is_new) is_new[i] = 0;
        if ((s->rows.n + 1) * 2 > s->cap) grow_table(s);
        size_t j = hashes[i] & (s->cap - 1);
        uint32_t found = UINT32_MAX;
        while (s->table[j]) {
            uint32_t id = s->table[j] - 1;
            if (s->hashes[id] == hashes[i] && row_equals(&s->rows, id, vecs, i)) {
                found = id;
                break;
            }
            j = (j + 1) & (s->cap - 1);
        }
        if (found == UINT32_MAX && add) {
            exec_sel_t one = (exec_sel_t)i;
            found = (uint32_t)s->rows.n;
            exec_rows_append(&s->rows, vecs, &one, 1);
            s->hashes = xrealloc(s->hashes, sizeof(uint64_t) * s->rows.cap);
            s->hashes[found] = hashes[i];
            s->table[j] = found + 1;
            if (is_new) is_new[i] = 1;
        }
        ids[i] = found;
    }
}

int exec_rows_cmp(const exec_rows *r, int col, size_t a, size_t b)
{
    const exec_colbuf *c = &r->cols[col];
    int an = c->nulls[a], bn = c->nulls[b];
    if (an || bn) return an == bn ? 0 : an ? -1 : 1;
    const char *x = c->data + a * c->width, *y = c->data + b * c->width;
    switch (c->type) {
    case STRATA_TYPE_BOOLEAN:
        return (*(const uint8_t *)x > *(const uint8_t *)y) -
               (*(const uint8_t *)x < *(const uint8_t *)y);
    case STRATA_TYPE_INT:
        return (*(const int32_t *)x > *(const int32_t *)y) -
               (*(const int32_t *)x < *(const int32_t *)y);
    case STRATA_TYPE_DOUBLE:
        return (*(const double *)x > *(const double *)y) -
               (*(const double *)x < *(const double *)y);
    case STRATA_TYPE_TEXT:
    case STRATA_TYPE_BLOB:
        return exec_str_cmp((const exec_str *)x, (const exec_str *)y);
    default:
        return (*(const int64_t *)x > *(const int64_t *)y) -
               (*(const int64_t *)x < *(const int64_t *)y);
    }
}
