/* lsm/version.c — see version.h. */
#include "lsm/version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsm/dbformat.h"
#include "util/status.h"

static version *version_alloc(version_set *vs)
{
    version *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->vs = vs;
    atomic_init(&v->rd_cache, NULL);
    return v;
}

static void version_free(version *v)
{
    for (int l = 0; l < STRATA_KV_LEVELS; l++) {
        for (size_t i = 0; i < v->nfiles[l]; i++) file_meta_unref(v->files[l][i]);
        free(v->files[l]);
    }
    rd_unref(atomic_load(&v->rd_cache));
    free(v);
}

void version_ref(version *v)
{
    v->refs++;
}

void version_unref(version *v)
{
    if (--v->refs > 0) return;
    v->prev->next = v->next;
    v->next->prev = v->prev;
    version_free(v);
}

uint64_t version_level_bytes(const version *v, int level)
{
    uint64_t s = 0;
    for (size_t i = 0; i < v->nfiles[level]; i++) s += v->files[level][i]->size;
    return s;
}

size_t version_find_file(const version *v, int level, st_slice ikey)
{
    size_t lo = 0, hi = v->nfiles[level];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ikey_cmp(file_largest(v->files[level][mid]), ikey) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t version_overlapping(const version *v, int level, const st_slice *begin, const st_slice *end,
                           file_meta ***out)
{
    size_t n = 0;
    *out = malloc((v->nfiles[level] ? v->nfiles[level] : 1) * sizeof **out);
    if (!*out) return 0;
    for (size_t i = 0; i < v->nfiles[level]; i++) {
        file_meta *f = v->files[level][i];
        if (begin && st_slice_cmp(ikey_user(file_largest(f)), *begin) < 0) continue;
        if (end && st_slice_cmp(ikey_user(file_smallest(f)), *end) > 0) continue;
        (*out)[n++] = f;
    }
    return n;
}

int vset_init(version_set *vs, strata_env *env, const char *dir)
{
    memset(vs, 0, sizeof *vs);
    vs->env = env;
    vs->dir = strdup(dir);
    vs->list.prev = vs->list.next = &vs->list;
    vs->next_file = 2;
    version *v = version_alloc(vs);
    if (!vs->dir || !v) {
        free(vs->dir);
        free(v);
        return st_error(STRATA_NOMEM, "version set: out of memory");
    }
    vset_install(vs, v);
    return STRATA_OK;
}

void vset_destroy(version_set *vs)
{
    if (vs->manifest) wal_writer_close(vs->manifest);
    vs->manifest = NULL;
    if (vs->current) version_unref(vs->current);
    vs->current = NULL;
    /* versions still referenced (leaked iterators) are freed with the set */
    while (vs->list.next != &vs->list) {
        version *v = vs->list.next;
        v->prev->next = v->next;
        v->next->prev = v->prev;
        version_free(v);
    }
    free(vs->dir);
    vs->dir = NULL;
}

uint64_t vset_new_file_number(version_set *vs)
{
    return vs->next_file++;
}

static int cmp_l0(const void *a, const void *b)
{
    const file_meta *x = *(file_meta *const *)a, *y = *(file_meta *const *)b;
    if (x->max_seq != y->max_seq) return x->max_seq > y->max_seq ? -1 : 1;
    return x->number > y->number ? -1 : x->number < y->number;
}

static int cmp_level(const void *a, const void *b)
{
    const file_meta *x = *(file_meta *const *)a, *y = *(file_meta *const *)b;
    int c = ikey_cmp(file_smallest(x), file_smallest(y));
    if (c) return c;
    return x->number < y->number ? -1 : x->number > y->number;
}

int vset_apply(version_set *vs, const version_edit *e, version **out)
{
    version *base = vs->current, *v = version_alloc(vs);
    if (!v) return st_error(STRATA_NOMEM, "version: out of memory");
    for (int l = 0; l < STRATA_KV_LEVELS; l++) {
        size_t cap = base->nfiles[l];
        for (size_t i = 0; i < e->nadded; i++)
            if (e->added[i].level == l) cap++;
        v->files[l] = malloc((cap ? cap : 1) * sizeof(file_meta *));
        if (!v->files[l]) {
            version_free(v);
            return st_error(STRATA_NOMEM, "version: out of memory");
        }
        size_t n = 0;
        for (size_t i = 0; i < base->nfiles[l]; i++) {
            file_meta *f = base->files[l][i];
            int gone = 0;
            for (size_t d = 0; d < e->ndeleted && !gone; d++)
                gone = e->deleted[d].level == l && e->deleted[d].number == f->number;
            if (gone) continue;
            file_meta_ref(f);
            v->files[l][n++] = f;
        }
        for (size_t i = 0; i < e->nadded; i++) {
            if (e->added[i].level != l) continue;
            file_meta *f = e->added[i].f;
            int gone = 0; /* added then deleted in the same edit (manifest replay) */
            for (size_t d = 0; d < e->ndeleted && !gone; d++)
                gone = e->deleted[d].level == l && e->deleted[d].number == f->number;
            if (gone) continue;
            file_meta_ref(f);
            v->files[l][n++] = f;
        }
        v->nfiles[l] = n;
        qsort(v->files[l], n, sizeof(file_meta *), l == 0 ? cmp_l0 : cmp_level);
    }
    *out = v;
    return STRATA_OK;
}

void vset_install(version_set *vs, version *v)
{
    v->refs = 1;
    v->prev = vs->list.prev;
    v->next = &vs->list;
    v->prev->next = v;
    vs->list.prev = v;
    version *old = vs->current;
    vs->current = v;
    if (old) version_unref(old);
}

void vset_live_files(version_set *vs, void (*cb)(void *ctx, uint64_t number), void *ctx)
{
    for (version *v = vs->list.next; v != &vs->list; v = v->next)
        for (int l = 0; l < STRATA_KV_LEVELS; l++)
            for (size_t i = 0; i < v->nfiles[l]; i++) cb(ctx, v->files[l][i]->number);
}

char *db_filename(const char *dir, const char *kind, uint64_t number)
{
    size_t n = strlen(dir) + 64;
    char *p = malloc(n);
    if (!p) return NULL;
    if (!strcmp(kind, "log") || !strcmp(kind, "sst"))
        snprintf(p, n, "%s/%06llu.%s", dir, (unsigned long long)number, kind);
    else if (!strcmp(kind, "MANIFEST"))
        snprintf(p, n, "%s/MANIFEST-%06llu", dir, (unsigned long long)number);
    else if (!strcmp(kind, "tmp"))
        snprintf(p, n, "%s/%06llu.dbtmp", dir, (unsigned long long)number);
    else
        snprintf(p, n, "%s/%s", dir, kind);
    return p;
}

static int parse_num(const char *s, const char *suffix, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') {
        if (v > UINT64_MAX / 10 - 10) return 0;
        v = v * 10 + (uint64_t)(*p++ - '0');
    }
    if (strcmp(p, suffix) != 0) return 0;
    *out = v;
    return 1;
}

int db_parse_filename(const char *name, uint64_t *number)
{
    *number = 0;
    if (!strcmp(name, "CURRENT")) return DBF_CURRENT;
    if (!strcmp(name, "LOCK")) return DBF_LOCK;
    if (!strncmp(name, "MANIFEST-", 9)) return parse_num(name + 9, "", number) ? DBF_MANIFEST : 0;
    if (parse_num(name, ".log", number)) return DBF_LOG;
    if (parse_num(name, ".sst", number)) return DBF_SST;
    if (parse_num(name, ".dbtmp", number)) return DBF_TEMP;
    return DBF_UNKNOWN;
}
