/*
 * lsm/db_iter.c — strata_kv_iter: the user-visible iterator.
 *
 * A merging iterator over the memtable, the immutable memtable, each L0 file and one
 * concatenating iterator per level L1+, read at a fixed sequence (the snapshot's, or the latest
 * at creation, registered as an implicit snapshot so compaction keeps what the iterator may
 * still read). The iterator pins mem, imm and the version.
 *
 * It shows, for each user key, the newest version visible at that sequence, hiding point
 * deletes and keys covered by a range tombstone newer than the version. When the current key
 * is covered, it does not walk the covered keys: every child whose newest entry is older than
 * the tombstone is moved past the tombstone fragment with ONE seek (merge_iter_reseek_older);
 * children that may hold newer data inside the range (usually only the memtable) are walked.
 * A memtable is not walked either when the tombstone is its own and clean (memtable.h: nothing
 * of that memtable inside the range is newer): it is sought past the fragment too. Both
 * directions.
 *
 * Read sampling: about every 1 MiB of entries read, the key read is reported to
 * db_read_sample (read-triggered compaction: several overlapping files charge the newest).
 *
 * Bounds: keys stay within [lower, upper). Moving forward, the key and value returned point into
 * the children (no copy); moving backward, the value of the key is saved (copied once per
 * key into a reusable buffer) since finding it walks past it.
 */
#include <stdlib.h>
#include <string.h>

#include "lsm/db_impl.h"
#include "lsm/merge_iter.h"
#include "util/status.h"

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static int buf_set(buf *b, st_slice s)
{
    if (s.n > b->cap) {
        size_t nc = s.n < 64 ? 64 : s.n * 2;
        uint8_t *np = realloc(b->p, nc);
        if (!np) return STRATA_NOMEM;
        b->p = np;
        b->cap = nc;
    }
    if (s.n) memcpy(b->p, s.p, s.n);
    b->n = s.n;
    return STRATA_OK;
}

static inline st_slice buf_slice(const buf *b)
{
    return st_slice_make(b->p, b->n);
}

struct strata_kv_iter {
    strata_kv *db;
    lsm_iter *mi;
    memtable *mem, *imm;
    version *v;
    strata_kv_snapshot *snap; /* implicit snapshot (NULL when the caller gave one) */
    uint64_t seq;
    range_del_list *rds[3];
    long rd_kid[3]; /* the merge child of rds[i]'s memtable, or -1 (files, or no child) */
    size_t nrds;
    buf lower, upper;
    int has_lower, has_upper;
    int valid;
    int dir; /* 1 forward, -1 backward */
    int status;
    buf key;   /* backward: current user key; forward: skip key */
    buf value; /* backward: current value */
    buf seek;  /* scratch for seek targets */
    buf lim;   /* scratch for batch limits */
    /* bulk reads: the entries of the last batch are still the caller's; the iterator moves past
     * them (resolve_pending) at the next call */
    int pending;
    lsm_batch *batch;  /* allocated on first use */
    int clear_known;   /* forward keys < clear_hi lie inside no tombstone fragment */
    st_slice clear_hi; /* .p NULL: no fragment after the last key checked */

    /* read sampling (read-triggered compaction) */
    int64_t sample_left; /* bytes to read before the next sample */
    uint64_t rng;
};

/* Read-triggered compaction (db_read_sample): about every READ_SAMPLE_BYTES of entries read
 * (key + value, a random period in [0, 2 x READ_SAMPLE_BYTES) as LevelDB's), the user key of
 * the entry read is sampled; when several files overlap it, the newest is charged. */
enum { READ_SAMPLE_BYTES = 1 << 20 };

static int64_t sample_period(strata_kv_iter *it)
{
    it->rng ^= it->rng << 13;
    it->rng ^= it->rng >> 7;
    it->rng ^= it->rng << 17;
    return (int64_t)(it->rng % (2 * READ_SAMPLE_BYTES));
}

static void read_sample_slow(strata_kv_iter *it, st_slice ikey)
{
    while (it->sample_left < 0) it->sample_left += sample_period(it);
    db_read_sample(it->db, it->v, ikey_user(ikey));
}

static inline void read_sample(strata_kv_iter *it, st_slice ikey, size_t vlen)
{
    it->sample_left -= (int64_t)(ikey.n + vlen);
    if (it->sample_left < 0) read_sample_slow(it, ikey);
}

static st_slice seek_key(strata_kv_iter *it, st_slice ukey, uint64_t seq, int kind)
{
    if (ukey.n + IKEY_TRAILER > it->seek.cap) {
        size_t nc = (ukey.n + IKEY_TRAILER) * 2;
        uint8_t *np = realloc(it->seek.p, nc);
        if (!np) abort();
        it->seek.p = np;
        it->seek.cap = nc;
    }
    return ikey_build(it->seek.p, ukey, seq, kind);
}

/* The newest tombstone <= seq covering ukey over every source; *frag its fragment; *also the
 * merge child that may be sought past the fragment besides the older ones (-1: none). */
static uint64_t covering(strata_kv_iter *it, st_slice ukey, const rd_frag **frag, long *also)
{
    uint64_t best = 0;
    size_t src = 0;
    *frag = NULL;
    for (size_t i = 0; i < it->nrds; i++) {
        const rd_frag *f;
        uint64_t t = rd_max_covering(it->rds[i], ukey, it->seq, &f);
        if (t > best) {
            best = t;
            *frag = f;
            src = i;
        }
    }
    *also = best && rd_frag_clean(*frag, best) ? it->rd_kid[src] : -1;
    return best;
}

static void resolve_pending(strata_kv_iter *it);

static void set_error(strata_kv_iter *it, int rc)
{
    it->valid = 0;
    if (!it->status) it->status = rc;
}

/* Forward: position on the first visible user key at or after the merge position, skipping
 * the user key in it->key when skipping. */
static void find_next(strata_kv_iter *it, int skipping)
{
    lsm_iter *mi = it->mi;
    while (lsm_iter_valid(mi)) {
        st_slice k = lsm_iter_key(mi);
        read_sample(it, k, lsm_iter_value(mi).n);
        st_slice u = ikey_user(k);
        uint64_t tr = ikey_trailer(k), s = tr >> 8;
        if (it->has_upper && st_slice_cmp(u, buf_slice(&it->upper)) >= 0) break;
        if (s > it->seq || (skipping && st_slice_cmp(u, buf_slice(&it->key)) <= 0)) {
            lsm_iter_next(mi);
            continue;
        }
        int kind = (int)(tr & 0xff);
        if (kind == KIND_PUT) {
            const rd_frag *f = NULL;
            long also = -1;
            uint64_t t = it->nrds ? covering(it, u, &f, &also) : 0;
            if (t <= s) {
                it->valid = 1;
                return;
            }
            if (buf_set(&it->key, u)) return set_error(it, STRATA_NOMEM);
            skipping = 1;
            /* newer children may hold keys inside the fragment: only older ones jump */
            st_slice end = f->end;
            if (it->has_upper && st_slice_cmp(end, buf_slice(&it->upper)) > 0)
                end = buf_slice(&it->upper);
            merge_iter_reseek_older_and(mi, 1, t, also, seek_key(it, end, SEQ_MAX, KIND_SEEK));
            continue;
        }
        /* a point delete (or anything else): hide every older version of this key */
        if (buf_set(&it->key, u)) return set_error(it, STRATA_NOMEM);
        skipping = 1;
        lsm_iter_next(mi);
    }
    it->valid = 0;
    int rc = lsm_iter_status(mi);
    if (rc) set_error(it, rc);
}

/* Backward: position on the last visible user key before the merge position (inclusive). */
static void find_prev(strata_kv_iter *it)
{
    lsm_iter *mi = it->mi;
    for (;;) {
        int have = 0;
        uint64_t have_seq = 0;
        while (lsm_iter_valid(mi)) {
            st_slice k = lsm_iter_key(mi);
            read_sample(it, k, lsm_iter_value(mi).n);
            st_slice u = ikey_user(k);
            uint64_t tr = ikey_trailer(k), s = tr >> 8;
            if (it->has_lower && st_slice_cmp(u, buf_slice(&it->lower)) < 0) break;
            if (s <= it->seq) {
                if (have && st_slice_cmp(u, buf_slice(&it->key)) < 0) break;
                if ((int)(tr & 0xff) == KIND_PUT) {
                    if (buf_set(&it->key, u) || buf_set(&it->value, lsm_iter_value(mi)))
                        return set_error(it, STRATA_NOMEM);
                    have = 1;
                    have_seq = s;
                } else {
                    have = 0;
                }
            }
            lsm_iter_prev(mi);
        }
        int rc = lsm_iter_status(mi);
        if (rc) return set_error(it, rc);
        if (!have) {
            it->valid = 0;
            return;
        }
        const rd_frag *f = NULL;
        long also = -1;
        uint64_t t = it->nrds ? covering(it, buf_slice(&it->key), &f, &also) : 0;
        if (t <= have_seq) {
            it->valid = 1;
            return;
        }
        /* older children jump before the fragment; newer ones continue where they are */
        st_slice start = f->start;
        if (it->has_lower && st_slice_cmp(start, buf_slice(&it->lower)) < 0)
            start = buf_slice(&it->lower);
        merge_iter_reseek_older_and(mi, -1, t, also, seek_key(it, start, SEQ_MAX, KIND_SEEK));
    }
}

/* 1 when one source's tombstones alone cover f's whole key range, each fragment with a tombstone
 * visible at the iterator's sequence and newer than every entry of f: no entry of f can show,
 * so f gets no child (a database emptied by delete_range scans as fast as an empty one). f's
 * own tombstones stay in it->rds. */
static int range_hidden(const strata_kv_iter *it, st_slice s, st_slice l, uint64_t maxseq,
                        long clean_src);

static int file_hidden(const strata_kv_iter *it, const file_meta *f)
{
    uint64_t maxseq = f->global_seq ? f->global_seq : f->max_seq;
    return range_hidden(it, ikey_user(file_smallest(f)), ikey_user(file_largest(f)), maxseq, -1);
}

/* The same for a memtable: the immutable one under the mutable one's tombstones (its maxseq),
 * or the mutable one under its own clean tombstones (memtable.h: no entry of that memtable in
 * the range is newer; what is written after the iterator's sequence does not show anyway). */
static int mem_hidden(const strata_kv_iter *it, memtable *m, uint64_t maxseq, long clean_src)
{
    sl_iter si;
    sl_iter_init(&si, &m->list);
    sl_iter_seek_to_first(&si);
    if (!sl_iter_valid(&si)) return 0;
    st_slice s = ikey_user(sl_iter_key(&si));
    sl_iter_seek_to_last(&si);
    st_slice l = ikey_user(sl_iter_key(&si));
    return range_hidden(it, s, l, maxseq, clean_src);
}

/* 1 when the fragments of one source cover [s, l] without a gap, each with a tombstone visible
 * at the iterator's sequence that is newer than maxseq, or (clean_src: that source) clean. */
static int range_hidden(const strata_kv_iter *it, st_slice s, st_slice l, uint64_t maxseq,
                        long clean_src)
{
    for (size_t r = 0; r < it->nrds; r++) {
        const range_del_list *rd = it->rds[r];
        size_t first = rd_lower_bound(rd, s);
        if (first >= rd->n || st_slice_cmp(rd->frags[first].start, s) > 0) continue;
        for (size_t i = first; i < rd->n; i++) {
            const rd_frag *fr = &rd->frags[i];
            if (i > first && st_slice_cmp(fr->start, fr[-1].end) != 0) break; /* a gap */
            size_t k = 0;
            while (k < fr->nseq && fr->seqs[k] > it->seq) k++; /* invisible: newer */
            if (k == fr->nseq) break;
            if (fr->seqs[k] <= maxseq && !((long)r == clean_src && rd_frag_clean(fr, fr->seqs[k])))
                break;
            if (st_slice_cmp(fr->end, l) > 0) return 1;
        }
    }
    return 0;
}

/* An iterator that could not be set up (a file missing, unreadable or corrupt): it stays
 * invalid, every positioning call is a no-op, and strata_kv_iter_status reports rc (the message
 * recorded when it failed stays this thread's last error). */
static strata_kv_iter *failed(strata_kv_iter *it, int rc)
{
    lsm_iter_destroy(it->mi);
    it->mi = NULL;
    it->valid = 0;
    it->status = rc;
    return it;
}

strata_kv_iter *strata_kv_iter_new(strata_kv *db, const strata_kv_read_options *ro)
{
    if (!db) {
        st_error(STRATA_MISUSE, "strata_kv_iter_new: NULL db");
        return NULL;
    }
    strata_kv_iter *it = calloc(1, sizeof *it);
    if (!it) {
        st_error(STRATA_NOMEM, "strata_kv_iter_new: out of memory");
        return NULL;
    }
    it->db = db;
    it->dir = 1;
    /* a counter, not only the address: a freed iterator's memory is often reused by the next
     * one, and the same address would give every iterator the same sampling points */
    static _Atomic uint64_t iter_seed;
    uint64_t seed = atomic_fetch_add_explicit(&iter_seed, 1, memory_order_relaxed);
    it->rng = ((seed + 1) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)it) | 1;
    it->sample_left = db->opt.read_triggered_compaction ? sample_period(it) : INT64_MAX;
    if (ro && ro->lower) {
        it->has_lower = 1;
        if (buf_set(&it->lower, st_slice_make(ro->lower, ro->lower_len))) goto oom;
    }
    if (ro && ro->upper) {
        it->has_upper = 1;
        if (buf_set(&it->upper, st_slice_make(ro->upper, ro->upper_len))) goto oom;
    }
    int fill = !(ro && ro->no_fill_cache);
    pthread_mutex_lock(&db->mu);
    it->mem = db->mem;
    mem_ref(it->mem);
    it->imm = db->imm;
    if (it->imm) mem_ref(it->imm);
    it->v = db->vs.current;
    version_ref(it->v);
    if (ro && ro->snapshot) {
        it->seq = ro->snapshot->seq;
    } else {
        it->seq = atomic_load(&db->last_seq);
        it->snap = db_snapshot_new_locked(db, it->seq);
    }
    pthread_mutex_unlock(&db->mu);
    if (!ro || !ro->snapshot) {
        if (!it->snap) goto oom;
    }
    version *v = it->v;
    int rc = STRATA_OK;
    /* range tombstones of every source */
    if (atomic_load(&it->mem->num_rd)) {
        it->rd_kid[it->nrds] = 0;
        it->rds[it->nrds++] = mem_range_dels(it->mem);
    }
    if (it->imm && atomic_load(&it->imm->num_rd)) {
        it->rd_kid[it->nrds] = 1;
        it->rds[it->nrds++] = mem_range_dels(it->imm);
    }
    range_del_list *vl = db_version_range_dels(db, v, &rc);
    if (!vl) {
        if (rc == STRATA_NOMEM) goto oom;
        return failed(it, rc);
    }
    if (vl->n) {
        rd_ref(vl);
        it->rd_kid[it->nrds] = -1;
        it->rds[it->nrds++] = vl;
    }
    for (size_t i = 0; i < it->nrds; i++)
        if (!it->rds[i]) goto oom;
    size_t nk = 2 + v->nfiles[0] + STRATA_KV_LEVELS, maxl = 0;
    for (int l = 1; l < STRATA_KV_LEVELS; l++)
        if (v->nfiles[l] > maxl) maxl = v->nfiles[l];
    lsm_iter **kids = malloc(nk * sizeof *kids);
    uint64_t *ms = malloc(nk * sizeof *ms);
    file_meta **shown = malloc((maxl ? maxl : 1) * sizeof *shown);
    if (!kids || !ms || !shown) {
        free(kids);
        free(ms);
        free(shown);
        goto oom;
    }
    size_t n = 0;
    /* entries newer than it->seq are invisible: the newest visible one is <= it->seq */
    uint64_t mmax = atomic_load(&it->mem->max_seq);
    if (!(it->nrds && it->rd_kid[0] == 0 && mem_hidden(it, it->mem, mmax, 0))) {
        kids[n] = mem_iter_new(it->mem);
        ms[n++] = mmax < it->seq ? mmax : it->seq;
    }
    long mem_kid = n ? 0 : -1, imm_kid = -1;
    uint64_t imax = it->imm ? atomic_load(&it->imm->max_seq) : 0;
    if (it->imm && !(it->nrds && mem_hidden(it, it->imm, imax, -1))) {
        imm_kid = (long)n;
        kids[n] = mem_iter_new(it->imm);
        ms[n++] = imax;
    }
    /* rd_kid named the memtable (0 mem, 1 imm): now its merge child, -1 if it has none */
    for (size_t i = 0; i < it->nrds; i++)
        if (it->rd_kid[i] >= 0) it->rd_kid[i] = it->rd_kid[i] == 0 ? mem_kid : imm_kid;
    for (size_t i = 0; i < v->nfiles[0] && !rc; i++) {
        file_meta *f = v->files[0][i];
        if (it->nrds && file_hidden(it, f)) continue;
        kids[n] = tc_iter(&db->tc, f, fill, &rc);
        if (kids[n]) ms[n++] = f->global_seq ? f->global_seq : f->max_seq;
    }
    for (int l = 1; l < STRATA_KV_LEVELS && !rc; l++) {
        size_t ns = 0;
        uint64_t mx = 0;
        for (size_t i = 0; i < v->nfiles[l]; i++) {
            file_meta *f = v->files[l][i];
            if (it->nrds && file_hidden(it, f)) continue;
            shown[ns++] = f;
            if (f->max_seq > mx) mx = f->max_seq;
        }
        if (!ns) continue;
        kids[n] = tc_level_iter(&db->tc, shown, ns, fill);
        if (!kids[n]) {
            rc = st_error(STRATA_NOMEM, "strata_kv_iter_new: out of memory");
            break;
        }
        ms[n++] = mx;
    }
    for (size_t i = 0; i < n && !rc; i++)
        if (!kids[i]) rc = st_error(STRATA_NOMEM, "strata_kv_iter_new: out of memory");
    free(shown);
    if (rc) {
        for (size_t i = 0; i < n; i++) lsm_iter_destroy(kids[i]);
        free(kids);
        free(ms);
        if (rc == STRATA_NOMEM) {
            strata_kv_iter_free(it);
            return NULL;
        }
        return failed(it, rc);
    }
    it->mi = merge_iter_new(kids, ms, n);
    free(kids);
    free(ms);
    if (!it->mi) goto oom;
    return it;
oom:
    st_error(STRATA_NOMEM, "strata_kv_iter_new: out of memory");
    strata_kv_iter_free(it);
    return NULL;
}

void strata_kv_iter_free(strata_kv_iter *it)
{
    if (!it) return;
    if (it->mem && mem_scan_wants_flush(it->mem)) db_request_flush(it->db, it->mem);
    lsm_iter_destroy(it->mi);
    for (size_t i = 0; i < it->nrds; i++) rd_unref(it->rds[i]);
    mem_unref(it->mem);
    mem_unref(it->imm);
    strata_kv *db = it->db;
    if (it->v || it->snap) {
        pthread_mutex_lock(&db->mu);
        if (it->v) version_unref(it->v);
        if (it->snap) db_snapshot_release_locked(db, it->snap);
        pthread_mutex_unlock(&db->mu);
    }
    free(it->lower.p);
    free(it->upper.p);
    free(it->key.p);
    free(it->value.p);
    free(it->seek.p);
    free(it->lim.p);
    free(it->batch);
    free(it);
}

int strata_kv_iter_valid(const strata_kv_iter *it)
{
    if (it) resolve_pending((strata_kv_iter *)it); /* logically const: the batch is over */
    return it && it->valid;
}

void strata_kv_iter_seek(strata_kv_iter *it, const void *key, size_t klen)
{
    if (!it || it->status) return;
    it->pending = 0;
    it->clear_known = 0;
    st_slice k = st_slice_make(key, klen);
    if (it->has_lower && st_slice_cmp(k, buf_slice(&it->lower)) < 0) k = buf_slice(&it->lower);
    lsm_iter_seek(it->mi, seek_key(it, k, SEQ_MAX, KIND_SEEK));
    it->dir = 1;
    find_next(it, 0);
}

void strata_kv_iter_seek_to_first(strata_kv_iter *it)
{
    if (!it || it->status) return;
    it->pending = 0;
    it->clear_known = 0;
    if (it->has_lower) {
        strata_kv_iter_seek(it, it->lower.p, it->lower.n);
        return;
    }
    lsm_iter_seek_to_first(it->mi);
    it->dir = 1;
    find_next(it, 0);
}

void strata_kv_iter_seek_for_prev(strata_kv_iter *it, const void *key, size_t klen)
{
    if (!it || it->status) return;
    it->pending = 0;
    it->clear_known = 0;
    st_slice k = st_slice_make(key, klen);
    if (it->has_upper && st_slice_cmp(k, buf_slice(&it->upper)) >= 0)
        lsm_iter_seek_for_prev(it->mi, seek_key(it, buf_slice(&it->upper), SEQ_MAX, KIND_SEEK));
    else
        lsm_iter_seek_for_prev(it->mi, seek_key(it, k, 0, 0));
    it->dir = -1;
    find_prev(it);
}

void strata_kv_iter_seek_to_last(strata_kv_iter *it)
{
    if (!it || it->status) return;
    it->pending = 0;
    it->clear_known = 0;
    if (it->has_upper)
        lsm_iter_seek_for_prev(it->mi, seek_key(it, buf_slice(&it->upper), SEQ_MAX, KIND_SEEK));
    else
        lsm_iter_seek_to_last(it->mi);
    it->dir = -1;
    find_prev(it);
}

void strata_kv_iter_next(strata_kv_iter *it)
{
    if (it) resolve_pending(it);
    if (!it || !it->valid) return;
    if (it->dir < 0) {
        /* it->key holds the current key: go to its first entry, then past it */
        lsm_iter_seek(it->mi, seek_key(it, buf_slice(&it->key), SEQ_MAX, KIND_SEEK));
        it->dir = 1;
        find_next(it, 1);
        return;
    }
    if (buf_set(&it->key, ikey_user(lsm_iter_key(it->mi)))) return set_error(it, STRATA_NOMEM);
    lsm_iter_next(it->mi);
    find_next(it, 1);
}

void strata_kv_iter_prev(strata_kv_iter *it)
{
    if (it) resolve_pending(it);
    if (!it || !it->valid) return;
    it->clear_known = 0;
    if (it->dir > 0) {
        /* before every entry of the current key */
        st_slice u = ikey_user(lsm_iter_key(it->mi));
        if (buf_set(&it->key, u)) return set_error(it, STRATA_NOMEM);
        lsm_iter_seek_for_prev(it->mi, seek_key(it, buf_slice(&it->key), SEQ_MAX, KIND_SEEK));
        it->dir = -1;
    }
    find_prev(it);
}

const void *strata_kv_iter_key(const strata_kv_iter *it, size_t *klen)
{
    resolve_pending((strata_kv_iter *)it);
    if (it->dir > 0) {
        st_slice u = ikey_user(lsm_iter_key(it->mi));
        *klen = u.n;
        return u.p;
    }
    *klen = it->key.n;
    return it->key.p;
}

const void *strata_kv_iter_value(const strata_kv_iter *it, size_t *vlen)
{
    resolve_pending((strata_kv_iter *)it);
    if (it->dir > 0) {
        st_slice v = lsm_iter_value(it->mi);
        *vlen = v.n;
        return v.p;
    }
    *vlen = it->value.n;
    return it->value.p;
}

int strata_kv_iter_status(const strata_kv_iter *it)
{
    if (it) resolve_pending((strata_kv_iter *)it);
    return it ? it->status : STRATA_MISUSE;
}

/* ---- bulk forward reads ---- */

/* 1 when no tombstone fragment of any source holds ukey. Keys only grow going forward, so the
 * gap to the next fragment found for one key serves the following ones with one compare (reset
 * by every seek). */
static int outside_tombstones(strata_kv_iter *it, st_slice u)
{
    if (it->clear_known && (!it->clear_hi.p || st_slice_cmp(u, it->clear_hi) < 0)) return 1;
    st_slice hi = {0};
    for (size_t i = 0; i < it->nrds; i++) {
        const range_del_list *l = it->rds[i];
        size_t j = rd_lower_bound(l, u);
        if (j >= l->n) continue;
        const rd_frag *f = &l->frags[j];
        if (st_slice_cmp(f->start, u) <= 0) return 0; /* inside: next decides, one by one */
        if (!hi.p || st_slice_cmp(f->start, hi) < 0) hi = f->start;
    }
    it->clear_known = 1;
    it->clear_hi = hi;
    return 1;
}

/* u == b[0..n), comparing the last bytes first (keys of one table differ there). */
static inline int same_key(st_slice u, const uint8_t *b, size_t n)
{
    if (u.n != n) return 0;
    if (n >= 8) {
        uint64_t x, y;
        memcpy(&x, u.p + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        if (x != y) return 0;
    }
    return memcmp(u.p, b, n) == 0;
}

/* Moves past the entries of the last batch: the merge position is the last entry the batch
 * took, it->key the last user key decided (shown, deleted, or an older version). */
static void resolve_pending(strata_kv_iter *it)
{
    if (!it->pending) return;
    it->pending = 0;
    if (it->dir < 0) {
        strata_kv_iter_next(it);
        return;
    }
    lsm_iter_next(it->mi);
    find_next(it, 1);
}

/* A batch of the current entry alone (a backward position, or an entry inside a tombstone
 * fragment: the next call moves on as next does). */
static size_t current_alone(strata_kv_iter *it, strata_kv_entry *out)
{
    size_t kl, vl;
    out[0].key = strata_kv_iter_key(it, &kl);
    out[0].klen = kl;
    out[0].val = strata_kv_iter_value(it, &vl);
    out[0].vlen = vl;
    /* going forward, resolve_pending skips the user key in it->key */
    if (it->dir > 0 && buf_set(&it->key, st_slice_make(out[0].key, kl))) {
        set_error(it, st_error(STRATA_NOMEM, "strata_kv_iter_next_batch: out of memory"));
        return 0;
    }
    it->pending = 1;
    return 1;
}

size_t strata_kv_iter_next_batch(strata_kv_iter *it, strata_kv_entry *out, size_t max)
{
    if (!it || !out || max == 0) return 0;
    resolve_pending(it);
    if (!it->valid) return 0;
    if (it->dir < 0) return current_alone(it, out);
    /* the merge position is on the current (visible) entry */
    st_slice u0 = ikey_user(lsm_iter_key(it->mi));
    st_slice hi = {0}; /* user-key limit: the upper bound, or the next tombstone fragment */
    if (it->has_upper) hi = buf_slice(&it->upper);
    if (it->nrds) {
        if (!outside_tombstones(it, u0)) return current_alone(it, out);
        if (it->clear_hi.p && (!hi.p || st_slice_cmp(it->clear_hi, hi) < 0)) hi = it->clear_hi;
    }
    st_slice limit = {0};
    if (hi.p) {
        if (hi.n + IKEY_TRAILER > it->lim.cap) {
            size_t nc = (hi.n + IKEY_TRAILER) * 2;
            uint8_t *np = realloc(it->lim.p, nc);
            if (!np) {
                set_error(it, st_error(STRATA_NOMEM, "strata_kv_iter_next_batch: out of memory"));
                return 0;
            }
            it->lim.p = np;
            it->lim.cap = nc;
        }
        limit = ikey_build(it->lim.p, hi, SEQ_MAX, KIND_SEEK);
    }
    if (!it->batch && !(it->batch = malloc(sizeof *it->batch))) {
        set_error(it, st_error(STRATA_NOMEM, "strata_kv_iter_next_batch: out of memory"));
        return 0;
    }
    lsm_batch *b = it->batch;
    size_t m = lsm_iter_next_batch(it->mi, limit, max, b);
    if (m == 0) return current_alone(it, out); /* the current entry is below the limit: not met */
    /* a scan that has read the memtable through asks for its flush at once (memtable.h) */
    if (mem_scan_wants_flush(it->mem)) db_request_flush(it->db, it->mem);
    /* read sampling: the bytes of the whole batch, the last key as the sample */
    int64_t bytes = 0;
    for (size_t i = 0; i < m; i++) bytes += (int64_t)(b->key[i].n + b->val[i].n);
    it->sample_left -= bytes;
    if (it->sample_left < 0) read_sample_slow(it, b->key[m - 1]);
    /* b[0] is the current entry, visible; the others are decided here as find_next would */
    size_t n = 0;
    st_slice last = {0}; /* the last user key decided */
    for (size_t i = 0; i < m; i++) {
        st_slice k = b->key[i];
        st_slice uk = ikey_user(k);
        uint64_t tr = ikey_trailer(k);
        if ((tr >> 8) > it->seq) continue;                    /* newer than the view: not decided */
        if (last.p && same_key(uk, last.p, last.n)) continue; /* an older version */
        last = uk;
        if ((int)(tr & 0xff) != KIND_PUT) continue; /* a delete hides what follows */
        out[n].key = uk.p;
        out[n].klen = uk.n;
        out[n].val = b->val[i].p;
        out[n].vlen = b->val[i].n;
        n++;
    }
    if (buf_set(&it->key, last)) {
        set_error(it, st_error(STRATA_NOMEM, "strata_kv_iter_next_batch: out of memory"));
        return 0;
    }
    it->pending = 1;
    return n;
}

int strata_kv_iter_scan(strata_kv_iter *it, size_t max, strata_kv_scan_fn fn, void *ctx,
                        size_t *count)
{
    strata_kv_entry e[256];
    size_t done = 0;
    int rc = 0;
    if (count) *count = 0;
    if (!it || !fn) return 0;
    while (done < max) {
        size_t want = max - done < 256 ? max - done : 256;
        size_t n = strata_kv_iter_next_batch(it, e, want);
        if (n == 0) break;
        size_t i = 0;
        for (; i < n && !rc; i++) rc = fn(ctx, e[i].key, e[i].klen, e[i].val, e[i].vlen);
        done += i;
        if (rc && i < n) {
            /* stopped inside the batch: back to the first entry not passed (visible, so a seek
             * to its key finds it) */
            uint8_t *k = malloc(e[i].klen ? e[i].klen : 1);
            if (!k) {
                set_error(it, st_error(STRATA_NOMEM, "strata_kv_iter_scan: out of memory"));
                break;
            }
            memcpy(k, e[i].key, e[i].klen);
            strata_kv_iter_seek(it, k, e[i].klen);
            free(k);
        }
        if (rc) break;
    }
    if (count) *count = done;
    return rc;
}
