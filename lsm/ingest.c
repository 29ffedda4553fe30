/*
 * lsm/ingest.c — strata_kv_sst_writer and strata_kv_ingest: bulk loading without the WAL.
 *
 * A writer builds NNNNNN.sst in the database directory (its number is a pending output, so
 * obsolete-file deletion leaves it alone) from keys in strictly increasing order, every entry
 * written with sequence 0. strata_kv_ingest:
 *   1. finishes and syncs every writer's file;
 *   2. becomes the commit leader (no write can interleave), flushes the memtable if it holds
 *      anything and waits for it (so nothing in a memtable is older than... newer than the
 *      ingested data);
 *   3. assigns sequences: file i (0-based) reads as sequence L+1+i, where L is the latest
 *      sequence (a "global sequence" recorded in the version edit: the file's own entries keep
 *      sequence 0 and table_cache.c presents them with it; compaction rewrites them with it);
 *      the batch's records get L+n+1 ... (so with equal keys the batch wins over the files and a
 *      later file over an earlier one);
 *   4. writes the batch, if any, as one more small SST (through a temporary memtable);
 *   5. commits every file to L0 in ONE version edit that also records the new last sequence.
 * The edit is the commit point: after a crash, either all files (and the batch) are in the
 * database or none is (unreferenced files are deleted at the next open).
 */
#include <stdlib.h>
#include <string.h>

#include "lsm/db_impl.h"
#include "util/status.h"

struct strata_kv_sst_writer {
    strata_kv *db;
    uint64_t number;
    sst_builder *b;
    uint64_t count;
    uint8_t *last; /* last user key added */
    size_t last_len, last_cap;
    uint8_t *kbuf;
    size_t kcap;
};

int strata_kv_sst_writer_new(strata_kv *db, strata_kv_sst_writer **out)
{
    if (!db || !out) return st_error(STRATA_MISUSE, "strata_kv_sst_writer_new: NULL argument");
    *out = NULL;
    strata_kv_sst_writer *w = calloc(1, sizeof *w);
    if (!w) return st_error(STRATA_NOMEM, "sst writer: out of memory");
    w->db = db;
    pthread_mutex_lock(&db->mu);
    w->number = vset_new_file_number(&db->vs);
    db_pending_add(db, w->number);
    pthread_mutex_unlock(&db->mu);
    char *path = db_filename(db->dir, "sst", w->number);
    sst_build_options o = {0};
    o.block_size = db->opt.block_size;
    o.compression = db->opt.compression[0];
    o.compression_level = db->opt.compression_level[0];
    o.bloom_bits_per_key = db->opt.bloom_bits_per_key;
    int rc = path ? sst_builder_new(db->env, path, &o, &w->b) : STRATA_NOMEM;
    free(path);
    if (rc) {
        pthread_mutex_lock(&db->mu);
        db_pending_remove(db, w->number);
        pthread_mutex_unlock(&db->mu);
        free(w);
        return rc;
    }
    *out = w;
    return STRATA_OK;
}

int strata_kv_sst_writer_put(strata_kv_sst_writer *w, const void *key, size_t klen, const void *val,
                             size_t vlen)
{
    if (!w || (!key && klen) || (!val && vlen))
        return st_error(STRATA_MISUSE, "strata_kv_sst_writer_put: NULL argument");
    if (klen == 0) return st_error(STRATA_INVALID, "sst writer: empty key (reserved)");
    if (klen > STRATA_KV_MAX_KEY)
        return st_error(STRATA_TOOBIG, "sst writer: key of %zu bytes exceeds STRATA_KV_MAX_KEY",
                        klen);
    if (vlen > STRATA_KV_MAX_VALUE)
        return st_error(STRATA_TOOBIG, "sst writer: value of %zu bytes exceeds STRATA_KV_MAX_VALUE",
                        vlen);
    st_slice k = st_slice_make(key, klen);
    if (w->count && st_slice_cmp(k, st_slice_make(w->last, w->last_len)) <= 0)
        return st_error(STRATA_INVALID, "sst writer: keys must be strictly increasing (entry %llu)",
                        (unsigned long long)w->count);
    if (klen + IKEY_TRAILER > w->kcap) {
        size_t nc = (klen + IKEY_TRAILER) * 2;
        uint8_t *nb = realloc(w->kbuf, nc);
        if (!nb) return st_error(STRATA_NOMEM, "sst writer: out of memory");
        w->kbuf = nb;
        w->kcap = nc;
    }
    if (klen > w->last_cap) {
        size_t nc = klen * 2;
        uint8_t *nb = realloc(w->last, nc);
        if (!nb) return st_error(STRATA_NOMEM, "sst writer: out of memory");
        w->last = nb;
        w->last_cap = nc;
    }
    int rc = sst_builder_add(w->b, ikey_build(w->kbuf, k, 0, KIND_PUT), st_slice_make(val, vlen));
    if (rc) return rc;
    memcpy(w->last, key, klen);
    w->last_len = klen;
    w->count++;
    return STRATA_OK;
}

uint64_t strata_kv_sst_writer_count(const strata_kv_sst_writer *w)
{
    return w ? w->count : 0;
}

static void writer_free(strata_kv_sst_writer *w, int abandon)
{
    if (abandon && w->b) sst_builder_abandon(w->b);
    pthread_mutex_lock(&w->db->mu);
    db_pending_remove(w->db, w->number);
    pthread_mutex_unlock(&w->db->mu);
    free(w->last);
    free(w->kbuf);
    free(w);
}

void strata_kv_sst_writer_abandon(strata_kv_sst_writer *w)
{
    if (w) writer_free(w, 1);
}

int strata_kv_ingest(strata_kv *db, strata_kv_sst_writer **writers, size_t n,
                     strata_kv_batch *batch)
{
    if (!db || (n && !writers)) return st_error(STRATA_MISUSE, "strata_kv_ingest: NULL argument");
    int rc = STRATA_OK;
    file_meta **fs = calloc(n + 1, sizeof *fs);
    if (!fs) rc = st_error(STRATA_NOMEM, "ingest: out of memory");
    /* 1. finish the files (outside every lock) */
    for (size_t i = 0; i < n; i++) {
        strata_kv_sst_writer *w = writers[i];
        if (!w) continue;
        if (rc || w->count == 0) {
            sst_builder_abandon(w->b);
            w->b = NULL;
            continue;
        }
        sst_properties props;
        memset(&props, 0, sizeof props);
        int r = sst_builder_finish(w->b, &props);
        w->b = NULL;
        if (r) {
            rc = r;
            continue;
        }
        fs[i] = file_meta_new(w->number, props.file_size,
                              st_slice_make(props.smallest, props.smallest_len),
                              st_slice_make(props.largest, props.largest_len), 0, 0, 0);
        sst_properties_clear(&props);
        if (!fs[i]) rc = st_error(STRATA_NOMEM, "ingest: out of memory");
    }
    /* 2. become the commit leader (no write interleaves: our sequences stay ours), then
     * flush the memtable and wait for it */
    db_writer lw;
    lw.batch = NULL;
    lw.sync = 0;
    pthread_cond_init(&lw.cv, NULL);
    pthread_mutex_lock(&db->mu);
    db_leader_enter(db, &lw);
    uint64_t batch_number = 0;
    memtable *bm = NULL;
    file_meta *bf = NULL;
    if (!rc) rc = db_make_room(db, 1);
    while (!rc && db->imm) {
        if (db->bg_error) {
            rc = db->bg_error;
            break;
        }
        if (db->bg_started) {
            db_maybe_schedule(db);
            pthread_cond_wait(&db->bg_cv, &db->mu);
        } else {
            rc = db_flush_imm(db);
        }
    }
    if (!rc) {
        /* holding mu, no writer can commit (commits publish under mu); sequences are ours */
        uint64_t base = atomic_load(&db->last_seq);
        uint64_t next = base + 1;
        version_edit e;
        ve_init(&e);
        for (size_t i = 0; i < n && !rc; i++) {
            if (!fs[i]) continue;
            fs[i]->global_seq = next;
            fs[i]->min_seq = fs[i]->max_seq = next;
            next++;
            rc = ve_add_file(&e, 0, fs[i]);
        }
        if (!rc && batch && batch->count) {
            bm = mem_new();
            if (!bm) rc = st_error(STRATA_NOMEM, "ingest: out of memory");
            if (!rc) {
                wb_set_sequence(batch, next);
                wb_iter bi;
                rc = wb_iter_init(&bi, batch->data, batch->len);
                int kind;
                st_slice k, v;
                uint64_t s = next;
                while (!rc && (rc = wb_iter_next(&bi, &kind, &k, &v)) == STRATA_OK)
                    mem_add(bm, s++, kind, k, v);
                if (rc == STRATA_DONE) rc = STRATA_OK;
                next = s;
            }
            if (!rc) {
                batch_number = vset_new_file_number(&db->vs);
                db_pending_add(db, batch_number);
                /* a small file: written under the mutex (writers wait, as they must) */
                rc = db_write_l0(db, bm, batch_number, SEQ_MAX, &bf);
                if (!rc && bf) rc = ve_add_file(&e, 0, bf);
            }
        }
        if (!rc && next - 1 > base) {
            e.has_last_seq = 1;
            e.last_seq = next - 1;
            rc = vset_log_and_apply(&db->vs, &e);
            if (!rc) {
                atomic_store(&db->last_seq, next - 1);
                if (batch) atomic_fetch_add(&db->user_bytes, batch->user_bytes);
            }
        }
        ve_clear(&e);
        if (batch_number) db_pending_remove(db, batch_number);
    }
    db_leader_exit(db, &lw);
    pthread_mutex_unlock(&db->mu);
    pthread_cond_destroy(&lw.cv);
    mem_unref(bm);
    file_meta_unref(bf);
    for (size_t i = 0; i < n; i++) {
        file_meta_unref(fs[i]);
        if (writers[i]) writer_free(writers[i], 0);
        writers[i] = NULL;
    }
    free(fs);
    pthread_mutex_lock(&db->mu);
    db_delete_obsolete(db); /* files of a failed ingest */
    db_maybe_schedule(db);
    pthread_mutex_unlock(&db->mu);
    return rc;
}
