/* lsm/range_del.c — see range_del.h. */
#include "lsm/range_del.h"

#include <stdlib.h>
#include <string.h>

static int cmp_ts_start(const void *a, const void *b)
{
    const range_tombstone *x = a, *y = b;
    return st_slice_cmp(x->start, y->start);
}

static int cmp_slice(const void *a, const void *b)
{
    return st_slice_cmp(*(const st_slice *)a, *(const st_slice *)b);
}

static int cmp_u64_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x > y ? -1 : x < y;
}

void rd_unref(range_del_list *l)
{
    if (!l) return;
    if (atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) != 1) return;
    free(l->frags);
    free(l->seqs);
    free(l->clean);
    free(l->keys);
    free(l);
}

range_del_list *rd_build(const range_tombstone *in, size_t n)
{
    return rd_build_flagged(in, NULL, n);
}

/* While building, a tombstone's seq and flag travel together as seq << 1 | dirty (sequences
 * are < 2^56): sorted descending, the first of equal sequences is dirty if any is. */
range_del_list *rd_build_flagged(const range_tombstone *in, const uint8_t *clean, size_t n)
{
    range_del_list *l = calloc(1, sizeof *l);
    range_tombstone *ts = NULL;
    st_slice *bounds = NULL;
    size_t *active = NULL;
    uint64_t *tmp = NULL;
    if (!l) return NULL;
    atomic_init(&l->refs, 1);
    /* copy the valid tombstones' keys into one buffer */
    size_t m = 0, kbytes = 0;
    for (size_t i = 0; i < n; i++)
        if (st_slice_cmp(in[i].start, in[i].end) < 0) {
            m++;
            kbytes += in[i].start.n + in[i].end.n;
        }
    if (m == 0) return l;
    ts = malloc(m * sizeof *ts);
    bounds = malloc(2 * m * sizeof *bounds);
    active = malloc(m * sizeof *active);
    tmp = malloc(m * sizeof *tmp);
    l->keys = malloc(kbytes ? kbytes : 1);
    if (!ts || !bounds || !active || !tmp || !l->keys) goto oom;
    uint8_t *kp = l->keys;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (st_slice_cmp(in[i].start, in[i].end) >= 0) continue;
        memcpy(kp, in[i].start.p, in[i].start.n);
        ts[j].start = st_slice_make(kp, in[i].start.n);
        kp += in[i].start.n;
        memcpy(kp, in[i].end.p, in[i].end.n);
        ts[j].end = st_slice_make(kp, in[i].end.n);
        kp += in[i].end.n;
        ts[j].seq = in[i].seq << 1 | (clean && clean[i] ? 0 : 1);
        bounds[2 * j] = ts[j].start;
        bounds[2 * j + 1] = ts[j].end;
        j++;
    }
    qsort(ts, m, sizeof *ts, cmp_ts_start);
    qsort(bounds, 2 * m, sizeof *bounds, cmp_slice);
    size_t nb = 0;
    for (size_t i = 0; i < 2 * m; i++)
        if (nb == 0 || st_slice_cmp(bounds[nb - 1], bounds[i]) != 0) bounds[nb++] = bounds[i];
    /* at most nb-1 fragments, each with at most m seqs: grow seqs as needed */
    l->frags = malloc((nb ? nb : 1) * sizeof *l->frags);
    size_t seqcap = m * 2, nseqs = 0;
    l->seqs = malloc(seqcap * sizeof *l->seqs);
    if (clean) l->clean = malloc(seqcap);
    if (!l->frags || !l->seqs || (clean && !l->clean)) goto oom;
    size_t nact = 0, next_ts = 0;
    for (size_t b = 0; b + 1 < nb; b++) {
        st_slice lo = bounds[b], hi = bounds[b + 1];
        /* drop tombstones ending at or before lo */
        size_t k = 0;
        for (size_t a = 0; a < nact; a++)
            if (st_slice_cmp(ts[active[a]].end, lo) > 0) active[k++] = active[a];
        nact = k;
        while (next_ts < m && st_slice_cmp(ts[next_ts].start, lo) <= 0) active[nact++] = next_ts++;
        if (nact == 0) continue;
        for (size_t a = 0; a < nact; a++) tmp[a] = ts[active[a]].seq;
        qsort(tmp, nact, sizeof *tmp, cmp_u64_desc);
        size_t u = 0; /* unique sequences, still encoded */
        for (size_t a = 0; a < nact; a++)
            if (u == 0 || tmp[u - 1] >> 1 != tmp[a] >> 1) tmp[u++] = tmp[a];
        if (l->n > 0) {
            rd_frag *p = &l->frags[l->n - 1];
            int same = p->end.p == lo.p && p->end.n == lo.n && p->nseq == u;
            for (size_t a = 0; same && a < u; a++)
                same = p->seqs[a] == tmp[a] >> 1 && (!clean || p->clean[a] == !(tmp[a] & 1));
            if (same) {
                p->end = hi; /* contiguous, same seqs: extend */
                continue;
            }
        }
        if (nseqs + u > seqcap) {
            while (nseqs + u > seqcap) seqcap *= 2;
            uint64_t *ns = realloc(l->seqs, seqcap * sizeof *ns);
            if (!ns) goto oom;
            if (clean) {
                uint8_t *nc = realloc(l->clean, seqcap);
                if (!nc) {
                    l->seqs = ns; /* freed by rd_unref */
                    goto oom;
                }
                for (size_t f = 0; f < l->n; f++)
                    l->frags[f].clean = nc + (l->frags[f].clean - l->clean);
                l->clean = nc;
            }
            /* re-point earlier fragments */
            for (size_t f = 0; f < l->n; f++) l->frags[f].seqs = ns + (l->frags[f].seqs - l->seqs);
            l->seqs = ns;
        }
        for (size_t a = 0; a < u; a++) {
            l->seqs[nseqs + a] = tmp[a] >> 1;
            if (clean) l->clean[nseqs + a] = !(tmp[a] & 1);
        }
        rd_frag *f = &l->frags[l->n++];
        f->start = lo;
        f->end = hi;
        f->seqs = l->seqs + nseqs;
        f->clean = clean ? l->clean + nseqs : NULL;
        f->nseq = u;
        nseqs += u;
    }
    free(ts);
    free(bounds);
    free(active);
    free(tmp);
    return l;
oom:
    free(ts);
    free(bounds);
    free(active);
    free(tmp);
    rd_unref(l);
    return NULL;
}

size_t rd_lower_bound(const range_del_list *l, st_slice ukey)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st_slice_cmp(l->frags[mid].end, ukey) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint64_t rd_max_covering(const range_del_list *l, st_slice ukey, uint64_t read_seq,
                         const rd_frag **frag)
{
    if (frag) *frag = NULL;
    if (!l || l->n == 0) return 0;
    size_t i = rd_lower_bound(l, ukey);
    if (i == l->n) return 0;
    const rd_frag *f = &l->frags[i];
    if (st_slice_cmp(f->start, ukey) > 0) return 0;
    if (frag) *frag = f;
    for (size_t s = 0; s < f->nseq; s++)
        if (f->seqs[s] <= read_seq) return f->seqs[s];
    return 0;
}

int rd_frag_clean(const rd_frag *f, uint64_t t)
{
    if (!f || !f->clean) return 0;
    for (size_t s = 0; s < f->nseq; s++)
        if (f->seqs[s] == t) return f->clean[s];
    return 0;
}
