/*
 * lsm/compaction.c — background work of a strata_kv: flushing the immutable memtable (to L0, or
 * deeper when it overlaps nothing above: flush_output_level),
 * leveled compaction, manual compact_range, and deletion of obsolete files.
 *
 * Picking: L0 scores (file count / level0_compaction_trigger), Ln (n >= 1) bytes /
 * (max_bytes_for_level_base * 10^(n-1)); the highest score >= 1 is compacted. An L0 compaction
 * takes EVERY L0 file (so the remaining L0 files never overlap the moved ones in sequence
 * numbers) plus the overlapping L1 files; an Ln compaction takes the next file after the
 * level's round-robin pointer plus the overlapping Ln+1 files. When no level scores >= 1, a
 * file whose allowed_seeks reads used up (db.c db_charge_seek: gets and iterator samples that
 * consulted it in vain) is compacted: every L0 file if it is in L0, else that file plus its
 * Ln+1 overlaps. The marker is dropped when consumed or when its file left the version.
 *
 * Merging: entries shadowed by a newer version of the same key in the same snapshot stripe
 * are dropped; point deletes at the bottommost level that every reader sees are dropped; an
 * entry covered by a range tombstone of the inputs (with no live snapshot between the entry
 * and the tombstone) is dropped. An input file whose whole key range is covered by one
 * tombstone fragment newer than the file, with no snapshot in between, is deleted without
 * being read (files_dropped_by_tombstone).
 *
 * Output files are cut at target_file_size and when they would overlap more than
 * 10 x target_file_size of the grandparent level (so no later compaction is oversized), only
 * between user keys (a user key never spans two files of a level). Each output file gets the
 * tombstone fragments clipped to its own key range, so a wide tombstone is split across the
 * outputs instead of widening one file over the whole level. Tombstone sequences in one snapshot
 * stripe collapse to the newest; at the bottommost level a tombstone every reader sees is
 * dropped.
 *
 * Live snapshots include the implicit ones of open iterators (db_iter.c registers them).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsm/db_impl.h"
#include "lsm/merge_iter.h"
#include "util/status.h"

static sst_build_options build_opts(strata_kv *db, int level)
{
    sst_build_options o = {0};
    o.block_size = db->opt.block_size;
    o.compression = db->opt.compression[level];
    o.compression_level = db->opt.compression_level[level];
    o.bloom_bits_per_key = db->opt.bloom_bits_per_key; /* no fill_cache: only flushes set it */
    return o;
}

/* Finishes the file and opens it in the table cache, as LevelDB does after building a table:
 * a table that cannot be read back fails the flush or compaction that wrote it, and the first
 * reader after it does not pay for opening it (index, filter, tombstones). */
static int finish_file(strata_kv *db, sst_builder *b, uint64_t number, file_meta **out)
{
    sst_properties props;
    memset(&props, 0, sizeof props);
    int rc = sst_builder_finish(b, &props);
    if (rc) return rc;
    *out = file_meta_new(number, props.file_size, st_slice_make(props.smallest, props.smallest_len),
                         st_slice_make(props.largest, props.largest_len), props.min_seq,
                         props.max_seq, 0);
    sst_properties_clear(&props);
    if (!*out) return st_error(STRATA_NOMEM, "flush: out of memory");
    sst_reader *r;
    rc = tc_find(&db->tc, *out, &r, NULL);
    if (rc) {
        file_meta_unref(*out);
        *out = NULL;
        return rc;
    }
    return STRATA_OK;
}

int db_write_l0(strata_kv *db, memtable *mem, uint64_t number, uint64_t smallest_snap,
                file_meta **f)
{
    *f = NULL;
    if (mem_empty(mem)) return STRATA_OK;
    char *path = db_filename(db->dir, "sst", number);
    if (!path) return st_error(STRATA_NOMEM, "flush: out of memory");
    sst_build_options o = build_opts(db, 0);
    if (db->opt.fill_cache_on_flush) {
        o.fill_cache = db->bc;
        o.file_number = number;
    }
    sst_builder *b = NULL;
    int rc = sst_builder_new(db->env, path, &o, &b);
    free(path);
    if (rc) return rc;
    sl_iter it;
    sl_iter_init(&it, &mem->list);
    /* an older version of a key is dropped when a newer one is visible to every reader */
    st_slice prev = {0};
    uint64_t prev_seq = SEQ_MAX;
    /* the entries are read in batches whose cache misses overlap (sl_gather) */
    enum { BATCH = 1024 };
    sl_entry *e = malloc(BATCH * sizeof *e);
    if (!e) rc = st_error(STRATA_NOMEM, "flush: out of memory");
    for (sl_iter_seek_to_first(&it); sl_iter_valid(&it) && !rc;) {
        size_t n = sl_gather(&it, e, BATCH);
        for (size_t i = 0; i < n && !rc; i++) {
            st_slice k = e[i].key;
            st_slice u = ikey_user(k);
            if (prev.p && st_slice_eq(u, prev)) {
                if (prev_seq <= smallest_snap) continue;
            }
            prev = u; /* points into the memtable: stable */
            prev_seq = ikey_seq(k);
            rc = sst_builder_add(b, k, e[i].value);
        }
        it.node = sl_node_next(e[n - 1].node);
    }
    free(e);
    range_tombstone *rds = NULL;
    size_t n = mem_range_del_raw(mem, &rds);
    for (size_t i = 0; i < n && !rc; i++)
        rc = sst_builder_add_range_del(b, rds[i].start, rds[i].end, rds[i].seq);
    free(rds);
    if (rc) {
        sst_builder_abandon(b);
    } else {
        rc = finish_file(db, b, number, f);
    }
    if (rc && o.fill_cache) block_cache_erase_file(o.fill_cache, number);
    return rc;
}

/* The level a flushed file goes to (LevelDB's PickLevelForMemTableOutput): a file that overlaps
 * nothing in L0 .. Lk goes straight to Lk, k <= FLUSH_MAX_LEVEL, so a load in key order is not
 * rewritten by compactions and reads search one level file instead of every L0 file. Every
 * version of its keys that the levels hold is then older and deeper, as reads require. It stays
 * in L0 when
 *  - a compaction runs: its outputs are not in the version yet and may span the file's range;
 *  - it would overlap more than 10 x target_file_size of the level below Lk (as compaction
 *    outputs are cut), so no later compaction of it is oversized;
 *  - Lk is written with other compression settings than L0 (the file was built as an L0 file).
 * Ranges are compared as user keys (a range tombstone's end counts as included). REQUIRES mu. */
enum { FLUSH_MAX_LEVEL = 2 };

static int level_overlaps(version *v, int level, st_slice lo, st_slice hi, uint64_t *bytes)
{
    int any = 0;
    for (size_t i = 0; i < v->nfiles[level]; i++) {
        file_meta *g = v->files[level][i];
        if (st_slice_cmp(ikey_user(file_largest(g)), lo) < 0) continue;
        if (st_slice_cmp(ikey_user(file_smallest(g)), hi) > 0) continue;
        any = 1;
        if (bytes) *bytes += g->size;
    }
    return any;
}

static int flush_output_level(strata_kv *db, const file_meta *f)
{
    if (db->compacting) return 0;
    version *v = db->vs.current;
    st_slice lo = ikey_user(file_smallest(f)), hi = ikey_user(file_largest(f));
    if (level_overlaps(v, 0, lo, hi, NULL)) return 0;
    int level = 0;
    while (level < FLUSH_MAX_LEVEL) {
        int next = level + 1;
        if (db->opt.compression[next] != db->opt.compression[0] ||
            db->opt.compression_level[next] != db->opt.compression_level[0])
            break;
        if (level_overlaps(v, next, lo, hi, NULL)) break;
        uint64_t gp = 0;
        if (next + 1 < STRATA_KV_LEVELS) level_overlaps(v, next + 1, lo, hi, &gp);
        if (gp > 10 * (uint64_t)db->opt.target_file_size) break;
        level = next;
    }
    return level;
}

int db_flush_imm(strata_kv *db)
{
    if (!db->imm || db->flushing) return STRATA_OK;
    db->flushing = 1;
    memtable *imm = db->imm;
    uint64_t number = vset_new_file_number(&db->vs);
    db_pending_add(db, number);
    uint64_t smallest_snap = db_oldest_snapshot(db);
    pthread_mutex_unlock(&db->mu);
    file_meta *f = NULL;
    int rc = db_write_l0(db, imm, number, smallest_snap, &f);
    pthread_mutex_lock(&db->mu);
    if (!rc) {
        version_edit e;
        ve_init(&e);
        if (f) rc = ve_add_file(&e, flush_output_level(db, f), f);
        e.has_log_number = 1;
        e.log_number = db->mem->log_number;
        uint64_t ls = atomic_load(&db->last_seq);
        if (ls > db->vs.last_seq) db->vs.last_seq = ls;
        if (!rc) rc = vset_log_and_apply(&db->vs, &e);
        ve_clear(&e);
    }
    if (!rc) {
        db->imm = NULL;
        mem_unref(imm);
        db->flushes++;
        if (f) db->flush_bytes += f->size;
    } else if (!db->bg_error) {
        db->bg_error = rc;
    }
    file_meta_unref(f);
    db_pending_remove(db, number);
    db->flushing = 0;
    if (!rc) db_delete_obsolete(db);
    pthread_cond_broadcast(&db->bg_cv);
    return rc;
}

/* ---- picking ---- */

typedef struct compaction {
    int level; /* inputs from level and level + 1; output to level + 1 */
    file_meta **in[2];
    size_t nin[2];
    file_meta **gp; /* grandparents (level + 2) */
    size_t ngp;
} compaction;

static void compaction_free(compaction *c)
{
    if (!c) return;
    for (int w = 0; w < 2; w++) {
        for (size_t i = 0; i < c->nin[w]; i++) file_meta_unref(c->in[w][i]);
        free(c->in[w]);
    }
    for (size_t i = 0; i < c->ngp; i++) file_meta_unref(c->gp[i]);
    free(c->gp);
    free(c);
}

static uint64_t max_bytes_for_level(strata_kv *db, int level)
{
    uint64_t r = db->opt.max_bytes_for_level_base;
    for (int l = 1; l < level; l++) r *= 10;
    return r;
}

static double level_score(strata_kv *db, version *v, int level)
{
    if (level == 0) return (double)v->nfiles[0] / (double)db->opt.level0_compaction_trigger;
    return (double)version_level_bytes(v, level) / (double)max_bytes_for_level(db, level);
}

void db_seek_clear(strata_kv *db)
{
    file_meta_unref(db->seek_file);
    db->seek_file = NULL;
    atomic_store_explicit(&db->seek_pending, 0, memory_order_relaxed);
}

/* The read-triggered marker, if its file is still in the current version at its level and not
 * being compacted; else the marker is dropped. REQUIRES mu. */
static file_meta *seek_target(strata_kv *db)
{
    file_meta *f = db->seek_file;
    if (!f) return NULL;
    version *v = db->vs.current;
    int level = db->seek_level, live = 0;
    for (size_t i = 0; i < v->nfiles[level] && !live; i++) live = v->files[level][i] == f;
    if (live && !f->being_compacted) return f;
    db_seek_clear(db);
    return NULL;
}

static int needs_compaction(strata_kv *db)
{
    version *v = db->vs.current;
    for (int l = 0; l < STRATA_KV_LEVELS - 1; l++)
        if (level_score(db, v, l) >= 1.0) return 1;
    return seek_target(db) != NULL;
}

static void range_of(file_meta **fs, size_t n, st_slice *lo, st_slice *hi)
{
    for (size_t i = 0; i < n; i++) {
        st_slice s = ikey_user(file_smallest(fs[i])), l = ikey_user(file_largest(fs[i]));
        if (i == 0 || st_slice_cmp(s, *lo) < 0) *lo = s;
        if (i == 0 || st_slice_cmp(l, *hi) > 0) *hi = l;
    }
}

static void ref_all(file_meta **fs, size_t n)
{
    for (size_t i = 0; i < n; i++) file_meta_ref(fs[i]);
}

/* Marks (or unmarks) the inputs of c as being compacted. REQUIRES mu. */
static void mark_inputs(compaction *c, int on)
{
    for (int w = 0; w < 2; w++)
        for (size_t i = 0; i < c->nin[w]; i++) c->in[w][i]->being_compacted = on;
}

/* Builds a compaction of inputs0 (borrowed, copied) at level. REQUIRES mu. */
static compaction *setup_compaction(strata_kv *db, int level, file_meta **inputs0, size_t n0)
{
    version *v = db->vs.current;
    compaction *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->level = level;
    c->in[0] = malloc((n0 ? n0 : 1) * sizeof(file_meta *));
    if (!c->in[0]) {
        free(c);
        return NULL;
    }
    memcpy(c->in[0], inputs0, n0 * sizeof(file_meta *));
    c->nin[0] = n0;
    ref_all(c->in[0], n0);
    st_slice lo = {0}, hi = {0};
    range_of(c->in[0], n0, &lo, &hi);
    c->nin[1] = version_overlapping(v, level + 1, &lo, &hi, &c->in[1]);
    ref_all(c->in[1], c->nin[1]);
    if (level + 2 < STRATA_KV_LEVELS) {
        st_slice lo2 = lo, hi2 = hi;
        if (c->nin[1]) {
            st_slice a, b;
            range_of(c->in[1], c->nin[1], &a, &b);
            if (st_slice_cmp(a, lo2) < 0) lo2 = a;
            if (st_slice_cmp(b, hi2) > 0) hi2 = b;
        }
        c->ngp = version_overlapping(v, level + 2, &lo2, &hi2, &c->gp);
        ref_all(c->gp, c->ngp);
    }
    return c;
}

static compaction *pick_compaction(strata_kv *db)
{
    version *v = db->vs.current;
    int best = -1;
    double best_score = 1.0;
    for (int l = 0; l < STRATA_KV_LEVELS - 1; l++) {
        double s = level_score(db, v, l);
        if (s >= best_score) {
            best_score = s;
            best = l;
        }
    }
    if (best < 0) {
        /* no level is over its size: a file that reads consulted in vain too often */
        file_meta *f = seek_target(db);
        if (!f) return NULL;
        int level = db->seek_level;
        compaction *c = level == 0 ? setup_compaction(db, 0, v->files[0], v->nfiles[0])
                                   : setup_compaction(db, level, &f, 1);
        db_seek_clear(db); /* consumed (a failed setup drops it too: reads record it again) */
        if (c) db->read_compactions++;
        return c;
    }
    if (best == 0) return setup_compaction(db, 0, v->files[0], v->nfiles[0]);
    size_t i = 0;
    if (db->compact_ptr[best]) {
        st_slice p = st_slice_make(db->compact_ptr[best], db->compact_ptr_len[best]);
        while (i < v->nfiles[best] &&
               st_slice_cmp(ikey_user(file_smallest(v->files[best][i])), p) <= 0)
            i++;
        if (i == v->nfiles[best]) i = 0;
    }
    return setup_compaction(db, best, &v->files[best][i], 1);
}

/* ---- running ---- */

typedef struct outputs {
    file_meta **f;
    size_t n, cap;
} outputs;

/* first index with snaps[i] >= s */
static size_t snap_lb(const uint64_t *snaps, size_t n, uint64_t s)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (snaps[mid] < s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* no live snapshot in [a, b) */
static int no_snapshot_between(const uint64_t *snaps, size_t n, uint64_t a, uint64_t b)
{
    size_t i = snap_lb(snaps, n, a);
    return i == n || snaps[i] >= b;
}

typedef struct comp_state {
    strata_kv *db;
    compaction *c;
    int out_level;
    int bottommost;
    uint64_t *snaps;
    size_t nsnaps;
    uint64_t smallest_snap;
    range_del_list *rd;
    sst_builder *b;
    uint64_t b_number;
    uint8_t *lo; /* lower clip bound of the current output (NULL: none) */
    size_t lo_len;
    int have_lo;
    outputs out;
    uint64_t bytes_written;
} comp_state;

static int write_tombstones(comp_state *cs, sst_builder *b, const st_slice *lo, const st_slice *hi,
                            size_t *written)
{
    *written = 0;
    range_del_list *rd = cs->rd;
    for (size_t i = 0; i < rd->n; i++) {
        const rd_frag *f = &rd->frags[i];
        st_slice s = f->start, e = f->end;
        if (lo && st_slice_cmp(s, *lo) < 0) s = *lo;
        if (hi && st_slice_cmp(e, *hi) > 0) e = *hi;
        if (st_slice_cmp(s, e) >= 0) continue;
        size_t last_stripe = (size_t)-1;
        for (size_t k = 0; k < f->nseq; k++) {
            uint64_t t = f->seqs[k];
            if (cs->bottommost && t <= cs->smallest_snap) break; /* older ones too */
            size_t stripe = snap_lb(cs->snaps, cs->nsnaps, t);
            if (stripe == last_stripe) continue;
            last_stripe = stripe;
            int rc = sst_builder_add_range_del(b, s, e, t);
            if (rc) return rc;
            (*written)++;
        }
    }
    return STRATA_OK;
}

static int open_output(comp_state *cs)
{
    strata_kv *db = cs->db;
    pthread_mutex_lock(&db->mu);
    cs->b_number = vset_new_file_number(&db->vs);
    db_pending_add(db, cs->b_number);
    pthread_mutex_unlock(&db->mu);
    char *path = db_filename(db->dir, "sst", cs->b_number);
    if (!path) return st_error(STRATA_NOMEM, "compaction: out of memory");
    sst_build_options o = build_opts(db, cs->out_level);
    int rc = sst_builder_new(db->env, path, &o, &cs->b);
    free(path);
    if (rc) cs->b = NULL;
    return rc;
}

/* Finishes the current output; hi (NULL: none) is the exclusive upper clip bound. */
static int close_output(comp_state *cs, const st_slice *hi)
{
    if (!cs->b) return STRATA_OK;
    st_slice lo = st_slice_make(cs->lo, cs->lo_len);
    size_t nts = 0;
    int rc = write_tombstones(cs, cs->b, cs->have_lo ? &lo : NULL, hi, &nts);
    sst_builder *b = cs->b;
    cs->b = NULL;
    if (rc) {
        sst_builder_abandon(b);
        return rc;
    }
    if (sst_builder_num_entries(b) == 0 && nts == 0) {
        sst_builder_abandon(b);
        return STRATA_OK;
    }
    file_meta *f = NULL;
    rc = finish_file(cs->db, b, cs->b_number, &f);
    if (rc) return rc;
    if (cs->out.n == cs->out.cap) {
        size_t nc = cs->out.cap ? cs->out.cap * 2 : 8;
        file_meta **n = realloc(cs->out.f, nc * sizeof *n);
        if (!n) {
            file_meta_unref(f);
            return st_error(STRATA_NOMEM, "compaction: out of memory");
        }
        cs->out.f = n;
        cs->out.cap = nc;
    }
    cs->out.f[cs->out.n++] = f;
    cs->bytes_written += f->size;
    if (hi) {
        uint8_t *nl = realloc(cs->lo, hi->n ? hi->n : 1);
        if (!nl) return st_error(STRATA_NOMEM, "compaction: out of memory");
        memcpy(nl, hi->p, hi->n);
        cs->lo = nl;
        cs->lo_len = hi->n;
        cs->have_lo = 1;
    }
    return STRATA_OK;
}

/* f's whole user-key range lies in contiguous fragments each holding a tombstone newer than
 * every entry of f, with no live snapshot between f's oldest entry and that tombstone (so no
 * reader can see any entry of f, nor needs f's own tombstones). */
static int file_fully_covered(comp_state *cs, const file_meta *f)
{
    st_slice s = ikey_user(file_smallest(f)), l = ikey_user(file_largest(f));
    uint64_t minseq = f->global_seq ? f->global_seq : f->min_seq;
    uint64_t maxseq = f->global_seq ? f->global_seq : f->max_seq;
    const range_del_list *rd = cs->rd;
    size_t i = rd_lower_bound(rd, s);
    if (i >= rd->n || st_slice_cmp(rd->frags[i].start, s) > 0) return 0;
    for (; i < rd->n; i++) {
        const rd_frag *fr = &rd->frags[i];
        if (i > 0 && st_slice_cmp(fr->start, rd->frags[i - 1].end) != 0 &&
            st_slice_cmp(fr->start, s) > 0)
            return 0; /* a gap */
        int ok = 0;
        for (size_t k = 0; k < fr->nseq && !ok; k++) {
            uint64_t t = fr->seqs[k];
            if (t <= maxseq) break;
            ok = no_snapshot_between(cs->snaps, cs->nsnaps, minseq, t);
        }
        if (!ok) return 0;
        if (st_slice_cmp(fr->end, l) > 0) return 1;
    }
    return 0;
}

static int overlaps_deeper(strata_kv *db, version *v, int out_level, st_slice lo, st_slice hi)
{
    for (int l = out_level + 1; l < STRATA_KV_LEVELS; l++) {
        file_meta **fs;
        size_t n = version_overlapping(v, l, &lo, &hi, &fs);
        free(fs);
        if (n) return 1;
    }
    return 0;
}

/* Runs c. REQUIRES mu held and db->compacting set by the caller; mu is released during I/O. */
static int run_compaction(strata_kv *db, compaction *c)
{
    comp_state cs;
    memset(&cs, 0, sizeof cs);
    cs.db = db;
    cs.c = c;
    cs.out_level = c->level + 1;
    cs.nsnaps = db_snapshot_list(db, &cs.snaps);
    cs.smallest_snap = db_oldest_snapshot(db);
    st_slice lo = {0}, hi = {0};
    int any = 0;
    for (int w = 0; w < 2; w++)
        if (c->nin[w]) {
            st_slice a, b;
            range_of(c->in[w], c->nin[w], &a, &b);
            if (!any || st_slice_cmp(a, lo) < 0) lo = a;
            if (!any || st_slice_cmp(b, hi) > 0) hi = b;
            any = 1;
        }
    cs.bottommost = !overlaps_deeper(db, db->vs.current, cs.out_level, lo, hi);
    pthread_mutex_unlock(&db->mu);

    int rc = STRATA_OK;
    uint64_t bytes_read = 0, ndropped = 0;
    size_t nall = c->nin[0] + c->nin[1];
    file_meta **all = malloc((nall ? nall : 1) * sizeof *all);
    uint8_t *drop = calloc(nall ? nall : 1, 1);
    lsm_iter **kids = malloc((nall ? nall : 1) * sizeof *kids);
    range_tombstone *ts = NULL;
    size_t nts = 0, capts = 0;
    lsm_iter *mi = NULL;
    uint8_t *cur = NULL;
    size_t cur_len = 0, cur_cap = 0;
    if (!all || !drop || !kids) {
        rc = st_error(STRATA_NOMEM, "compaction: out of memory");
        goto done;
    }
    memcpy(all, c->in[0], c->nin[0] * sizeof *all);
    memcpy(all + c->nin[0], c->in[1], c->nin[1] * sizeof *all);
    for (size_t i = 0; i < nall && !rc; i++) {
        sst_reader *r;
        rc = tc_find(&db->tc, all[i], &r, NULL);
        if (rc) break;
        size_t k;
        const range_tombstone *t = sst_reader_range_dels(r, &k);
        if (nts + k > capts) {
            capts = (nts + k) * 2;
            range_tombstone *nt = realloc(ts, capts * sizeof *nt);
            if (!nt) {
                rc = st_error(STRATA_NOMEM, "compaction: out of memory");
                break;
            }
            ts = nt;
        }
        if (k) memcpy(ts + nts, t, k * sizeof *t);
        nts += k;
    }
    if (rc) goto done;
    cs.rd = rd_build(ts, nts);
    if (!cs.rd) {
        rc = st_error(STRATA_NOMEM, "compaction: out of memory");
        goto done;
    }
    size_t nk = 0;
    for (size_t i = 0; i < nall; i++) {
        if (cs.rd->n && file_fully_covered(&cs, all[i])) {
            drop[i] = 1;
            ndropped++;
            continue;
        }
        bytes_read += all[i]->size;
        kids[nk] = tc_iter(&db->tc, all[i], 0, &rc);
        if (!kids[nk]) break;
        nk++;
    }
    if (rc) {
        for (size_t i = 0; i < nk; i++) lsm_iter_destroy(kids[i]);
        goto done;
    }
    mi = merge_iter_new(kids, NULL, nk);
    if (!mi) {
        rc = st_error(STRATA_NOMEM, "compaction: out of memory");
        goto done;
    }
    uint64_t target = db->opt.target_file_size;
    uint64_t max_gp = 10 * target, gp_bytes = 0;
    size_t gp_i = 0;
    int seen_key = 0;
    uint64_t last_seq_for_key = SEQ_MAX;
    int have_cur = 0;
    uint64_t steps = 0;
    for (lsm_iter_seek_to_first(mi); lsm_iter_valid(mi); lsm_iter_next(mi)) {
        if ((++steps & 1023) == 0) {
            pthread_mutex_lock(&db->mu);
            if (db->imm && !db->flushing && !db->shutting_down) db_flush_imm(db);
            pthread_mutex_unlock(&db->mu);
        }
        st_slice k = lsm_iter_key(mi);
        st_slice u = ikey_user(k);
        uint64_t tr = ikey_trailer(k), s = tr >> 8;
        int kind = (int)(tr & 0xff);
        if (!have_cur || !st_slice_eq(u, st_slice_make(cur, cur_len))) {
            /* a new user key: a possible cut point */
            int cut = 0;
            while (gp_i < c->ngp && ikey_cmp(k, file_largest(c->gp[gp_i])) > 0) {
                if (seen_key) gp_bytes += c->gp[gp_i]->size;
                gp_i++;
            }
            seen_key = 1;
            if (cs.b && gp_bytes > max_gp) cut = 1;
            if (cs.b && sst_builder_estimated_size(cs.b) >= target) cut = 1;
            if (cut) {
                gp_bytes = 0;
                if ((rc = close_output(&cs, &u))) break;
            }
            if (u.n > cur_cap) {
                size_t nc = u.n * 2;
                uint8_t *nb = realloc(cur, nc);
                if (!nb) {
                    rc = st_error(STRATA_NOMEM, "compaction: out of memory");
                    break;
                }
                cur = nb;
                cur_cap = nc;
            }
            memcpy(cur, u.p, u.n);
            cur_len = u.n;
            have_cur = 1;
            last_seq_for_key = SEQ_MAX;
        }
        int dropit = 0;
        if (last_seq_for_key <= cs.smallest_snap) {
            dropit = 1; /* shadowed by a newer version every reader sees */
        } else if (kind == KIND_DELETE && s <= cs.smallest_snap && cs.bottommost) {
            dropit = 1;
        } else if (cs.rd->n) {
            const rd_frag *fr = NULL;
            rd_max_covering(cs.rd, u, SEQ_MAX, &fr);
            if (fr) {
                /* the oldest tombstone newer than the entry */
                for (size_t q = fr->nseq; q-- > 0;) {
                    uint64_t t = fr->seqs[q];
                    if (t <= s) continue;
                    if (no_snapshot_between(cs.snaps, cs.nsnaps, s, t)) dropit = 1;
                    break;
                }
            }
        }
        last_seq_for_key = s;
        if (dropit) continue;
        if (!cs.b && (rc = open_output(&cs))) break;
        if ((rc = sst_builder_add(cs.b, k, lsm_iter_value(mi)))) break;
    }
    if (!rc) rc = lsm_iter_status(mi);
    if (!rc && !cs.b && cs.rd->n) rc = open_output(&cs); /* tombstones only */
    if (!rc) rc = close_output(&cs, NULL);

done:
    if (cs.b) sst_builder_abandon(cs.b);
    cs.b = NULL;
    lsm_iter_destroy(mi);
    free(cur);
    free(ts);
    free(kids);
    rd_unref(cs.rd);
    pthread_mutex_lock(&db->mu);
    if (!rc) {
        version_edit e;
        ve_init(&e);
        for (int w = 0; w < 2 && !rc; w++)
            for (size_t i = 0; i < c->nin[w] && !rc; i++)
                rc = ve_delete_file(&e, w == 0 ? c->level : c->level + 1, c->in[w][i]->number);
        for (size_t i = 0; i < cs.out.n && !rc; i++)
            rc = ve_add_file(&e, cs.out_level, cs.out.f[i]);
        uint64_t ls = atomic_load(&db->last_seq);
        if (ls > db->vs.last_seq) db->vs.last_seq = ls;
        if (!rc) rc = vset_log_and_apply(&db->vs, &e);
        ve_clear(&e);
        if (!rc) {
            db->compactions++;
            db->comp_read += bytes_read;
            db->comp_written += cs.bytes_written;
            db->dropped_files += ndropped;
            if (c->nin[0]) {
                st_slice a, b;
                range_of(c->in[0], c->nin[0], &a, &b);
                uint8_t *np = realloc(db->compact_ptr[c->level], b.n ? b.n : 1);
                if (np) {
                    memcpy(np, b.p, b.n);
                    db->compact_ptr[c->level] = np;
                    db->compact_ptr_len[c->level] = b.n;
                }
            }
        }
    }
    for (size_t i = 0; i < cs.out.n; i++) {
        db_pending_remove(db, cs.out.f[i]->number);
        file_meta_unref(cs.out.f[i]);
    }
    if (cs.b_number) db_pending_remove(db, cs.b_number);
    free(cs.out.f);
    free(cs.lo);
    free(cs.snaps);
    free(all);
    free(drop);
    if (rc && !db->bg_error && rc != STRATA_NOMEM) db->bg_error = rc;
    db_delete_obsolete(db);
    return rc;
}

/* A compaction of one file with nothing to merge in the next level (and a bounded grandparent
 * overlap) moves the file down by editing the version: no read, no write. Automatic compactions
 * only: compact_range must rewrite to drop deleted entries. REQUIRES mu. Returns 1 if moved. */
static int try_trivial_move(strata_kv *db, compaction *c)
{
    if (c->nin[0] != 1 || c->nin[1] != 0) return 0;
    file_meta *f = c->in[0][0];
    if (f->global_seq) return 0;
    uint64_t gp = 0;
    for (size_t i = 0; i < c->ngp; i++) gp += c->gp[i]->size;
    if (gp > 10 * (uint64_t)db->opt.target_file_size) return 0;
    version_edit e;
    ve_init(&e);
    int rc = ve_delete_file(&e, c->level, f->number);
    if (!rc) rc = ve_add_file(&e, c->level + 1, f);
    uint64_t ls = atomic_load(&db->last_seq);
    if (ls > db->vs.last_seq) db->vs.last_seq = ls;
    if (!rc) rc = vset_log_and_apply(&db->vs, &e);
    ve_clear(&e);
    if (rc) {
        if (!db->bg_error && rc != STRATA_NOMEM) db->bg_error = rc;
        return 1;
    }
    db->compactions++;
    st_slice b = ikey_user(file_largest(f));
    uint8_t *np = realloc(db->compact_ptr[c->level], b.n ? b.n : 1);
    if (np) {
        memcpy(np, b.p, b.n);
        db->compact_ptr[c->level] = np;
        db->compact_ptr_len[c->level] = b.n;
    }
    return 1;
}

/* ---- scheduling ---- */

static void bg_work_locked(strata_kv *db)
{
    for (;;) {
        if (db->bg_error || db->shutting_down) return;
        if (db->imm && !db->flushing) {
            db_flush_imm(db);
            pthread_cond_broadcast(&db->bg_cv);
            continue;
        }
        if (!db->compacting && needs_compaction(db)) {
            compaction *c = pick_compaction(db);
            if (!c) return;
            db->compacting = 1;
            mark_inputs(c, 1);
            if (!try_trivial_move(db, c)) run_compaction(db, c);
            mark_inputs(c, 0);
            db->compacting = 0;
            compaction_free(c);
            pthread_cond_broadcast(&db->bg_cv);
            continue;
        }
        return;
    }
}

void db_maybe_schedule(strata_kv *db)
{
    if (db->bg_started) {
        pthread_cond_signal(&db->work_cv);
        return;
    }
    if (db->opt.background_compaction) return; /* thread not started yet (open) */
    if (db->inline_running) return;
    db->inline_running = 1;
    bg_work_locked(db);
    db->inline_running = 0;
}

void *db_bg_main(void *arg)
{
    strata_kv *db = arg;
    pthread_mutex_lock(&db->mu);
    while (!db->shutting_down) {
        int busy = (db->imm && !db->flushing) || (!db->compacting && needs_compaction(db));
        if (busy && !db->bg_error) {
            bg_work_locked(db);
            continue;
        }
        pthread_cond_wait(&db->work_cv, &db->mu);
    }
    pthread_cond_broadcast(&db->bg_cv);
    pthread_mutex_unlock(&db->mu);
    return NULL;
}

int db_compact_range(strata_kv *db, const st_slice *begin, const st_slice *end)
{
    pthread_mutex_lock(&db->mu);
    while (db->compacting) pthread_cond_wait(&db->bg_cv, &db->mu);
    db->compacting = 1;
    int rc = STRATA_OK;
    /* every level down to the deepest populated one is compacted into the next, so the range
     * ends one level below (or in the last level), with deleted and covered entries gone */
    int deepest = -1;
    for (int l = 0; l < STRATA_KV_LEVELS; l++)
        if (db->vs.current->nfiles[l]) deepest = l;
    for (int l = 0; l <= deepest && l < STRATA_KV_LEVELS - 1 && !rc; l++) {
        version *v = db->vs.current;
        file_meta **fs;
        size_t n = version_overlapping(v, l, begin, end, &fs);
        if (n == 0) {
            free(fs);
            continue;
        }
        compaction *c = l == 0 ? setup_compaction(db, 0, v->files[0], v->nfiles[0])
                               : setup_compaction(db, l, fs, n);
        free(fs);
        if (!c) {
            rc = st_error(STRATA_NOMEM, "compact_range: out of memory");
            break;
        }
        mark_inputs(c, 1);
        rc = run_compaction(db, c);
        mark_inputs(c, 0);
        compaction_free(c);
    }
    db->compacting = 0;
    if (!rc) rc = db->bg_error;
    pthread_cond_broadcast(&db->bg_cv);
    db_maybe_schedule(db);
    pthread_mutex_unlock(&db->mu);
    return rc;
}

/* ---- obsolete files ---- */

typedef struct live_set {
    uint64_t *v;
    size_t n, cap;
    int oom;
} live_set;

static void live_add(void *ctx, uint64_t number)
{
    live_set *s = ctx;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        uint64_t *n = realloc(s->v, nc * sizeof *n);
        if (!n) {
            s->oom = 1;
            return;
        }
        s->v = n;
        s->cap = nc;
    }
    s->v[s->n++] = number;
}

static int cmp_u64c(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void db_delete_obsolete(strata_kv *db)
{
    if (db->bg_error) return; /* state unknown: keep everything */
    live_set live = {0};
    vset_live_files(&db->vs, live_add, &live);
    for (size_t i = 0; i < db->npending; i++) live_add(&live, db->pending[i]);
    if (live.oom) {
        free(live.v);
        return;
    }
    if (live.n) qsort(live.v, live.n, sizeof *live.v, cmp_u64c);
    char **names = NULL;
    size_t n = 0;
    if (db->env->list(db->env, db->dir, &names, &n)) {
        free(live.v);
        return;
    }
    char **doomed = calloc(n ? n : 1, sizeof *doomed); /* full paths, unlinked below */
    size_t nd = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t num;
        int t = db_parse_filename(names[i], &num);
        int keep = 1;
        if (t == DBF_LOG)
            keep = num >= db->vs.log_number || num == db->log_number ||
                   (db->imm && num == db->imm->log_number);
        else if (t == DBF_MANIFEST)
            keep = num >= db->vs.manifest_number;
        else if (t == DBF_SST)
            keep = live.n && bsearch(&num, live.v, live.n, sizeof *live.v, cmp_u64c);
        else if (t == DBF_TEMP)
            keep = 0;
        if (!keep && doomed) {
            if (t == DBF_SST) tc_evict(&db->tc, num);
            size_t pl = strlen(db->dir) + strlen(names[i]) + 2;
            char *p = malloc(pl);
            if (p) {
                snprintf(p, pl, "%s/%s", db->dir, names[i]);
                doomed[nd++] = p;
            }
        }
        free(names[i]);
    }
    free(names);
    free(live.v);
    /* Unlinking a big WAL or SST drops its page cache and can take milliseconds: not under mu,
     * where it would hold up every read and write (as LevelDB's RemoveObsoleteFiles). None of
     * these files can become live again (numbers are never reused). */
    if (nd) {
        pthread_mutex_unlock(&db->mu);
        for (size_t i = 0; i < nd; i++) {
            db->env->unlink(db->env, doomed[i]);
            free(doomed[i]);
        }
        pthread_mutex_lock(&db->mu);
    }
    free(doomed);
}
