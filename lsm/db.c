/*
 * lsm/db.c — strata_kv: open/close/destroy, option validation, WAL recovery, group commit,
 * get, multi-get, snapshots, ingest, flush, stats. See db_impl.h for the locking rules,
 * compaction.c for background work and db_iter.c for iterators.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lsm/db_impl.h"
#include "lsm/test_hooks.h"
#include "util/status.h"

/* ---- options ---- */

void strata_kv_options_init(strata_kv_options *o)
{
    memset(o, 0, sizeof *o);
    o->create_if_missing = 1;
    o->error_if_exists = 0;
    o->write_buffer_size = 64u << 20;
    o->block_size = 4096;
    o->block_cache_size = 64u << 20;
    o->target_file_size = 64u << 20;
    o->max_bytes_for_level_base = 256ull << 20;
    o->level0_compaction_trigger = 4;
    o->level0_slowdown_trigger = 12;
    o->level0_stop_trigger = 20;
    for (int l = 0; l < STRATA_KV_LEVELS; l++) {
        o->compression[l] = l == 0 ? STRATA_KV_COMPRESS_NONE : STRATA_KV_COMPRESS_ZSTD;
        o->compression_level[l] = 3;
    }
    o->bloom_bits_per_key = 10;
    o->sync_mode = STRATA_KV_SYNC_NORMAL;
    o->io_backend = STRATA_KV_IO_DEFAULT;
    o->background_compaction = 1;
    o->read_triggered_compaction = 1;
    o->fill_cache_on_flush = 1;
    o->env = NULL;
}

static int validate_options(const strata_kv_options *o)
{
#define BAD(name, fmt, v)                                                                          \
    st_error(STRATA_INVALID, "strata_kv_open: option " name " = " fmt " is out of range", v)
    if (o->write_buffer_size < (64u << 10) || o->write_buffer_size > ((size_t)1 << 36))
        return BAD("write_buffer_size", "%zu (64 KiB .. 64 GiB)", o->write_buffer_size);
    if (o->block_size < 256 || o->block_size > (4u << 20))
        return BAD("block_size", "%zu (256 B .. 4 MiB)", o->block_size);
    if (o->target_file_size < (64u << 10) || o->target_file_size > ((size_t)1 << 36))
        return BAD("target_file_size", "%zu (64 KiB .. 64 GiB)", o->target_file_size);
    if (o->max_bytes_for_level_base < (64u << 10) ||
        o->max_bytes_for_level_base > ((uint64_t)1 << 44))
        return BAD("max_bytes_for_level_base", "%" PRIu64 " (64 KiB .. 16 TiB)",
                   o->max_bytes_for_level_base);
    if (o->level0_compaction_trigger < 1 || o->level0_compaction_trigger > 1000)
        return BAD("level0_compaction_trigger", "%d (1 .. 1000)", o->level0_compaction_trigger);
    if (o->level0_slowdown_trigger < o->level0_compaction_trigger ||
        o->level0_slowdown_trigger > 1000)
        return BAD("level0_slowdown_trigger", "%d (level0_compaction_trigger .. 1000)",
                   o->level0_slowdown_trigger);
    if (o->level0_stop_trigger < o->level0_slowdown_trigger || o->level0_stop_trigger > 1000)
        return BAD("level0_stop_trigger", "%d (level0_slowdown_trigger .. 1000)",
                   o->level0_stop_trigger);
    for (int l = 0; l < STRATA_KV_LEVELS; l++) {
        if (o->compression[l] != STRATA_KV_COMPRESS_NONE &&
            o->compression[l] != STRATA_KV_COMPRESS_ZSTD)
            return st_error(
                STRATA_INVALID,
                "strata_kv_open: option compression[%d] = %d is not a strata_kv_compression", l,
                o->compression[l]);
        if (o->compression_level[l] < 1 || o->compression_level[l] > 19)
            return st_error(
                STRATA_INVALID,
                "strata_kv_open: option compression_level[%d] = %d is out of range (1 .. 19)", l,
                o->compression_level[l]);
    }
    if (o->bloom_bits_per_key < 0 || o->bloom_bits_per_key > 64)
        return BAD("bloom_bits_per_key", "%d (0 .. 64)", o->bloom_bits_per_key);
    if (o->sync_mode < STRATA_KV_SYNC_OFF || o->sync_mode > STRATA_KV_SYNC_FULL)
        return BAD("sync_mode", "%d (0 .. 2)", o->sync_mode);
    if (o->io_backend < STRATA_KV_IO_DEFAULT || o->io_backend > STRATA_KV_IO_SYNC)
        return BAD("io_backend", "%d (0 .. 2)", o->io_backend);
#undef BAD
    return STRATA_OK;
}

void strata_kv_free(void *p)
{
    free(p);
}

/* ---- small helpers ---- */

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void db_pending_add(strata_kv *db, uint64_t number)
{
    if (db->npending == db->cappending) {
        size_t nc = db->cappending ? db->cappending * 2 : 16;
        uint64_t *n = realloc(db->pending, nc * sizeof *n);
        if (!n) abort();
        db->pending = n;
        db->cappending = nc;
    }
    db->pending[db->npending++] = number;
}

void db_pending_remove(strata_kv *db, uint64_t number)
{
    for (size_t i = 0; i < db->npending; i++)
        if (db->pending[i] == number) {
            db->pending[i] = db->pending[--db->npending];
            return;
        }
}

uint64_t db_oldest_snapshot(strata_kv *db)
{
    if (db->snaps.next != &db->snaps) return db->snaps.next->seq;
    return atomic_load(&db->last_seq);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

size_t db_snapshot_list(strata_kv *db, uint64_t **out)
{
    size_t n = 0;
    for (strata_kv_snapshot *s = db->snaps.next; s != &db->snaps; s = s->next) n++;
    *out = malloc((n ? n : 1) * sizeof **out);
    if (!*out) return 0;
    size_t i = 0;
    for (strata_kv_snapshot *s = db->snaps.next; s != &db->snaps; s = s->next) (*out)[i++] = s->seq;
    qsort(*out, n, sizeof **out, cmp_u64);
    return n;
}

strata_kv_snapshot *db_snapshot_new_locked(strata_kv *db, uint64_t seq)
{
    strata_kv_snapshot *s = malloc(sizeof *s);
    if (!s) return NULL;
    s->seq = seq;
    /* keep the list ordered by seq (snapshot_at may insert an older one) */
    strata_kv_snapshot *at = db->snaps.prev;
    while (at != &db->snaps && at->seq > seq) at = at->prev;
    s->prev = at;
    s->next = at->next;
    at->next->prev = s;
    at->next = s;
    return s;
}

void db_snapshot_release_locked(strata_kv *db, strata_kv_snapshot *s)
{
    s->prev->next = s->next;
    s->next->prev = s->prev;
    free(s);
}

range_del_list *db_version_range_dels(strata_kv *db, version *v, int *rc)
{
    *rc = STRATA_OK;
    range_del_list *l = atomic_load_explicit(&v->rd_cache, memory_order_acquire);
    if (l) return l;
    size_t n = 0, cap = 0;
    range_tombstone *all = NULL;
    for (int lv = 0; lv < STRATA_KV_LEVELS; lv++)
        for (size_t i = 0; i < v->nfiles[lv]; i++) {
            sst_reader *r;
            if ((*rc = tc_find(&db->tc, v->files[lv][i], &r, NULL))) {
                free(all);
                return NULL;
            }
            size_t k = 0;
            const range_tombstone *ts = sst_reader_range_dels(r, &k);
            if (!k) continue;
            if (n + k > cap) {
                cap = (n + k) * 2;
                range_tombstone *na = realloc(all, cap * sizeof *na);
                if (!na) {
                    free(all);
                    *rc = st_error(STRATA_NOMEM, "range tombstones: out of memory");
                    return NULL;
                }
                all = na;
            }
            memcpy(all + n, ts, k * sizeof *ts);
            n += k;
        }
    l = rd_build(all, n);
    free(all);
    if (!l) {
        *rc = st_error(STRATA_NOMEM, "range tombstones: out of memory");
        return NULL;
    }
    range_del_list *expected = NULL;
    if (!atomic_compare_exchange_strong(&v->rd_cache, &expected, l)) {
        rd_unref(l);
        l = expected;
    }
    return l;
}

/* ---- open ---- */

static int recover_log(strata_kv *db, uint64_t number, memtable **mem, uint64_t *max_seq)
{
    char *path = db_filename(db->dir, "log", number);
    wal_reader *r = NULL;
    int rc = path ? wal_reader_open(db->env, path, &r) : STRATA_NOMEM;
    if (rc) {
        free(path);
        return rc;
    }
    for (;;) {
        const uint8_t *rec;
        size_t n;
        rc = wal_reader_next(r, &rec, &n);
        if (rc == STRATA_DONE) {
            rc = STRATA_OK;
            break;
        }
        if (rc) break;
        wb_iter it;
        rc = wb_iter_init(&it, rec, n);
        if (rc) {
            rc = st_error(STRATA_CORRUPT, "%s: %s", path, st_errmsg());
            break;
        }
        /* validate the whole batch before applying any of it */
        int kind;
        st_slice k, v;
        wb_iter chk = it;
        while ((rc = wb_iter_next(&chk, &kind, &k, &v)) == STRATA_OK) {
        }
        if (rc != STRATA_DONE) {
            rc = st_error(STRATA_CORRUPT, "%s: %s", path, st_errmsg());
            break;
        }
        rc = STRATA_OK;
        uint64_t seq = it.seq;
        if (it.count && seq + it.count - 1 > SEQ_MAX) {
            rc = st_error(STRATA_CORRUPT, "%s: batch sequence %" PRIu64 " out of range", path, seq);
            break;
        }
        while (wb_iter_next(&it, &kind, &k, &v) == STRATA_OK) {
            mem_add(*mem, seq, kind, k, v);
            if (seq > *max_seq) *max_seq = seq;
            seq++;
        }
        if (mem_usage(*mem) > db->opt.write_buffer_size) {
            /* write it out as an L0 table now */
            uint64_t num = vset_new_file_number(&db->vs);
            file_meta *f = NULL;
            rc = db_write_l0(db, *mem, num, SEQ_MAX, &f);
            if (!rc && f) {
                version_edit e;
                ve_init(&e);
                ve_add_file(&e, 0, f);
                file_meta_unref(f);
                if (*max_seq > db->vs.last_seq) db->vs.last_seq = *max_seq;
                rc = vset_log_and_apply(&db->vs, &e);
                ve_clear(&e);
            }
            mem_unref(*mem);
            *mem = mem_new();
            if (!*mem) rc = STRATA_NOMEM;
            if (rc) break;
        }
    }
    wal_reader_close(r);
    free(path);
    return rc;
}

static int cmp_u64p(const void *a, const void *b)
{
    return cmp_u64(a, b);
}

static int recover(strata_kv *db, int fresh)
{
    int rc;
    if (!fresh) {
        rc = vset_recover(&db->vs);
        if (rc) return rc;
    }
    /* Files numbered at or past the manifest's next file number can exist: created (and their
     * directory entry made durable) but never logged before a crash. New files must not reuse
     * those numbers (they are created exclusively), so the counter moves past every numbered
     * file in the directory; the unreferenced ones are deleted once the open succeeded. */
    char **names = NULL;
    size_t nn = 0;
    rc = db->env->list(db->env, db->dir, &names, &nn);
    if (rc) return rc;
    uint64_t *logs = malloc((nn ? nn : 1) * sizeof *logs);
    size_t nl = 0;
    for (size_t i = 0; i < nn; i++) {
        uint64_t num;
        int t = db_parse_filename(names[i], &num);
        if (t == DBF_LOG || t == DBF_SST || t == DBF_MANIFEST || t == DBF_TEMP) {
            if (num >= db->vs.next_file) db->vs.next_file = num + 1;
        }
        if (logs && t == DBF_LOG && num >= db->vs.log_number) logs[nl++] = num;
        free(names[i]);
    }
    free(names);
    if (!logs) return st_error(STRATA_NOMEM, "open: out of memory");
    rc = vset_new_manifest(&db->vs);
    if (rc) {
        free(logs);
        return rc;
    }
    /* replay the WALs the manifest does not cover */
    qsort(logs, nl, sizeof *logs, cmp_u64p);
    memtable *mem = mem_new();
    uint64_t max_seq = db->vs.last_seq;
    for (size_t i = 0; i < nl && !rc; i++) rc = recover_log(db, logs[i], &mem, &max_seq);
    free(logs);
    if (!rc && !mem_empty(mem)) {
        uint64_t num = vset_new_file_number(&db->vs);
        file_meta *f = NULL;
        rc = db_write_l0(db, mem, num, SEQ_MAX, &f);
        if (!rc && f) {
            version_edit e;
            ve_init(&e);
            ve_add_file(&e, 0, f);
            file_meta_unref(f);
            if (max_seq > db->vs.last_seq) db->vs.last_seq = max_seq;
            rc = vset_log_and_apply(&db->vs, &e);
            ve_clear(&e);
        }
    }
    mem_unref(mem);
    if (rc) return rc;
    if (max_seq > db->vs.last_seq) db->vs.last_seq = max_seq;
    /* a new WAL for the new memtable; older logs become obsolete with this edit */
    db->log_number = vset_new_file_number(&db->vs);
    char *path = db_filename(db->dir, "log", db->log_number);
    rc = path ? wal_writer_open(db->env, path, &db->log) : STRATA_NOMEM;
    free(path);
    if (rc) return rc;
    version_edit e;
    ve_init(&e);
    e.has_log_number = 1;
    e.log_number = db->log_number;
    rc = vset_log_and_apply(&db->vs, &e);
    ve_clear(&e);
    if (rc) return rc;
    db->mem->log_number = db->log_number;
    atomic_store(&db->last_seq, db->vs.last_seq);
    return STRATA_OK;
}

static void db_free(strata_kv *db)
{
    if (db->log) wal_writer_close(db->log);
    mem_unref(db->mem);
    mem_unref(db->imm);
    while (db->snaps.next && db->snaps.next != &db->snaps)
        db_snapshot_release_locked(db, db->snaps.next);
    vset_destroy(&db->vs);
    tc_destroy(&db->tc);
    if (db->bc) block_cache_free(db->bc);
    if (db->lock) db->env->unlock(db->env, db->lock);
    strata_kv_batch_free(db->group);
    file_meta_unref(db->seek_file);
    for (int l = 0; l < STRATA_KV_LEVELS; l++) free(db->compact_ptr[l]);
    free(db->pending);
    pthread_mutex_destroy(&db->mu);
    pthread_cond_destroy(&db->bg_cv);
    pthread_cond_destroy(&db->work_cv);
    free(db->dir);
    free(db);
}

int strata_kv_open(const char *dir, const strata_kv_options *opts, strata_kv **out)
{
    if (!dir || !out) return st_error(STRATA_MISUSE, "strata_kv_open: NULL argument");
    *out = NULL;
    strata_kv_options o;
    if (opts)
        o = *opts;
    else
        strata_kv_options_init(&o);
    int rc = validate_options(&o);
    if (rc) return rc;
    strata_env *env = o.env ? o.env : env_for_backend(o.io_backend);
    if (!env) return st_error(STRATA_ERROR, "strata_kv_open: no io backend");

    strata_kv *db = calloc(1, sizeof *db);
    if (!db) return st_error(STRATA_NOMEM, "strata_kv_open: out of memory");
    db->opt = o;
    db->env = env;
    db->dir = strdup(dir);
    pthread_mutex_init(&db->mu, NULL);
    pthread_cond_init(&db->bg_cv, NULL);
    pthread_cond_init(&db->work_cv, NULL);
    db->snaps.next = db->snaps.prev = &db->snaps;
    db->mem = mem_new();
    db->group = strata_kv_batch_new();
    if (!db->dir || !db->mem || !db->group) {
        rc = st_error(STRATA_NOMEM, "strata_kv_open: out of memory");
        goto fail;
    }
    if (o.block_cache_size) db->bc = block_cache_new(o.block_cache_size);
    if ((rc = tc_init(&db->tc, env, dir, db->bc))) goto fail;
    if ((rc = vset_init(&db->vs, env, dir))) goto fail;

    char *cur = db_filename(dir, "CURRENT", 0);
    char *lockp = db_filename(dir, "LOCK", 0);
    if (!cur || !lockp) {
        free(cur);
        free(lockp);
        rc = st_error(STRATA_NOMEM, "strata_kv_open: out of memory");
        goto fail;
    }
    int dir_exists = env->exists(env, dir);
    int db_exists = dir_exists && env->exists(env, cur);
    free(cur);
    if (!db_exists && !o.create_if_missing) {
        free(lockp);
        rc = st_error(STRATA_NOTFOUND, "strata_kv_open: %s: no database (create_if_missing is off)",
                      dir);
        goto fail;
    }
    if (db_exists && o.error_if_exists) {
        free(lockp);
        rc =
            st_error(STRATA_EXISTS, "strata_kv_open: %s: a database exists (error_if_exists)", dir);
        goto fail;
    }
    if (!dir_exists && (rc = env->mkdir(env, dir))) {
        free(lockp);
        goto fail;
    }
    rc = env->lock(env, lockp, &db->lock);
    free(lockp);
    if (rc) {
        db->lock = NULL;
        if (rc == STRATA_LOCKED)
            rc = st_error(STRATA_LOCKED, "strata_kv_open: %s is in use by another opener", dir);
        goto fail;
    }
    /* error_if_exists / create checks again under the lock (another opener may have raced) */
    if ((rc = recover(db, !db_exists))) goto fail;
    pthread_mutex_lock(&db->mu);
    db_delete_obsolete(db);
    pthread_mutex_unlock(&db->mu);
    if (o.background_compaction) {
        if (pthread_create(&db->bg, NULL, db_bg_main, db) != 0) {
            rc = st_error(STRATA_ERROR, "strata_kv_open: cannot start the background thread");
            goto fail;
        }
        db->bg_started = 1;
    }
    pthread_mutex_lock(&db->mu);
    db_maybe_schedule(db);
    pthread_mutex_unlock(&db->mu);
    *out = db;
    return STRATA_OK;
fail:;
    /* keep the message of the failure; freeing records nothing */
    db_free(db);
    return rc;
}

static void stop_bg(strata_kv *db)
{
    pthread_mutex_lock(&db->mu);
    db->shutting_down = 1;
    pthread_cond_broadcast(&db->work_cv);
    while (db->compacting || db->flushing) pthread_cond_wait(&db->bg_cv, &db->mu);
    pthread_mutex_unlock(&db->mu);
    if (db->bg_started) pthread_join(db->bg, NULL);
    db->bg_started = 0;
}

static void join_switcher_locked(strata_kv *db, int wait);

int strata_kv_close(strata_kv *db)
{
    if (!db) return STRATA_OK;
    pthread_mutex_lock(&db->mu);
    join_switcher_locked(db, 1);
    pthread_mutex_unlock(&db->mu);
    stop_bg(db);
    int rc = STRATA_OK;
    if (db->log && db->opt.sync_mode != STRATA_KV_SYNC_OFF) rc = wal_writer_sync(db->log);
    db_free(db);
    return rc;
}

int lsm_test_crash_close(strata_kv *db)
{
    if (!db) return STRATA_OK;
    pthread_mutex_lock(&db->mu);
    join_switcher_locked(db, 1);
    pthread_mutex_unlock(&db->mu);
    stop_bg(db);
    db_free(db);
    return STRATA_OK;
}

int strata_kv_destroy(const char *dir)
{
    if (!dir) return st_error(STRATA_MISUSE, "strata_kv_destroy: NULL dir");
    strata_env *env = env_default();
    if (!env->exists(env, dir)) return STRATA_OK;
    char *lockp = db_filename(dir, "LOCK", 0);
    strata_file *lk = NULL;
    int rc = env->lock(env, lockp, &lk);
    if (rc) {
        free(lockp);
        return rc == STRATA_LOCKED ? st_error(STRATA_LOCKED, "strata_kv_destroy: %s is open", dir)
                                   : rc;
    }
    char **names = NULL;
    size_t n = 0;
    rc = env->list(env, dir, &names, &n);
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            uint64_t num;
            int t = db_parse_filename(names[i], &num);
            if (t != DBF_UNKNOWN && t != DBF_LOCK) {
                char *p = malloc(strlen(dir) + strlen(names[i]) + 2);
                if (p) {
                    sprintf(p, "%s/%s", dir, names[i]);
                    int r2 = env->unlink(env, p);
                    if (r2 && !rc) rc = r2;
                    free(p);
                }
            }
            free(names[i]);
        }
        free(names);
    }
    env->unlock(env, lk);
    env->unlink(env, lockp);
    free(lockp);
    if (!rc) {
        int r2 = env->rmdir(env, dir);
        if (r2 && !rc) rc = r2;
    }
    return rc;
}

/* ---- writes ---- */

/* REQUIRES mu held by the commit leader. force: switch the memtable even if it has room. */
static int make_room(strata_kv *db, int force)
{
    int allow_delay = !force;
    int log_synced = 0;
    for (;;) {
        if (db->bg_error) return db->bg_error;
        version *v = db->vs.current;
        if (allow_delay && (int)v->nfiles[0] >= db->opt.level0_slowdown_trigger) {
            uint64_t t0 = now_us();
            pthread_mutex_unlock(&db->mu);
            usleep(1000);
            pthread_mutex_lock(&db->mu);
            db->stall_us += now_us() - t0;
            allow_delay = 0;
            continue;
        }
        if (!force && mem_usage(db->mem) <= db->opt.write_buffer_size) return STRATA_OK;
        if (force && mem_empty(db->mem)) return STRATA_OK;
        if (!log_synced) {
            /* A switch is coming: sync the current WAL first. A synced write to the next WAL
             * must not survive a power loss that drops the unsynced tail of this one (recovery
             * must find a prefix of the acknowledged batches). One fdatasync per switch, without
             * mu (only the leader writes the WAL), overlapping a wait for the flush of imm. */
            wal_writer *log = db->log;
            pthread_mutex_unlock(&db->mu);
            int rc = wal_writer_sync(log);
            pthread_mutex_lock(&db->mu);
            if (rc) return rc;
            log_synced = 1;
            continue;
        }
        if (db->imm || (int)v->nfiles[0] >= db->opt.level0_stop_trigger) {
            uint64_t t0 = now_us();
            db_maybe_schedule(db);
            if (db->imm || (int)db->vs.current->nfiles[0] >= db->opt.level0_stop_trigger) {
                if (db->bg_started) {
                    pthread_cond_wait(&db->bg_cv, &db->mu);
                } else {
                    /* inline mode: another thread holds the compaction; let it progress */
                    pthread_mutex_unlock(&db->mu);
                    usleep(1000);
                    pthread_mutex_lock(&db->mu);
                }
            }
            db->stall_us += now_us() - t0;
            continue;
        }
        /* switch to a new memtable and WAL */
        uint64_t num = vset_new_file_number(&db->vs);
        char *path = db_filename(db->dir, "log", num);
        wal_writer *w = NULL;
        int rc = path ? wal_writer_open(db->env, path, &w) : STRATA_NOMEM;
        free(path);
        if (rc) return rc;
        /* a synced record in the new log is only durable with its directory entry */
        rc = db->env->sync_dir(db->env, db->dir);
        if (rc) {
            wal_writer_close(w);
            return rc;
        }
        memtable *m = mem_new();
        if (!m) {
            wal_writer_close(w);
            return st_error(STRATA_NOMEM, "write: out of memory for a memtable");
        }
        /* the old WAL is written and synced: closing loses nothing */
        wal_writer_close(db->log);
        db->log = w;
        db->log_number = num;
        m->log_number = num;
        db->imm = db->mem;
        db->mem = m;
        force = 0;
        log_synced = 0;
        db_maybe_schedule(db);
    }
}

static int apply_to_mem(memtable *mem, const strata_kv_batch *b)
{
    wb_iter it;
    int rc = wb_iter_init(&it, b->data, b->len);
    if (rc) return rc;
    uint64_t seq = it.seq;
    int kind;
    st_slice k, v;
    while ((rc = wb_iter_next(&it, &kind, &k, &v)) == STRATA_OK) mem_add(mem, seq++, kind, k, v);
    return rc == STRATA_DONE ? STRATA_OK : rc;
}

void db_leader_enter(strata_kv *db, db_writer *w)
{
    w->done = 0;
    w->status = 0;
    w->next = NULL;
    if (db->wq_tail)
        db->wq_tail->next = w;
    else
        db->wq_head = w;
    db->wq_tail = w;
    while (!w->done && db->wq_head != w) pthread_cond_wait(&w->cv, &db->mu);
}

void db_leader_exit(strata_kv *db, db_writer *w)
{
    db->wq_head = w->next;
    if (!db->wq_head) db->wq_tail = NULL;
    if (db->wq_head) pthread_cond_signal(&db->wq_head->cv);
}

int db_make_room(strata_kv *db, int force)
{
    return make_room(db, force);
}

static int db_write_impl(strata_kv *db, strata_kv_batch *b, int sync)
{
    db_writer w;
    w.batch = b;
    w.sync = sync;
    pthread_cond_init(&w.cv, NULL);
    pthread_mutex_lock(&db->mu);
    db_leader_enter(db, &w);
    if (w.done) {
        pthread_mutex_unlock(&db->mu);
        pthread_cond_destroy(&w.cv);
        return w.status;
    }
    /* the leader */
    int rc = make_room(db, b == NULL);
    db_writer *last = &w;
    strata_kv_batch *grp = b;
    int do_sync = sync || db->opt.sync_mode == STRATA_KV_SYNC_FULL;
    if (!rc && b) {
        size_t maxsz = b->len <= (128u << 10) ? b->len + (128u << 10) : (1u << 20);
        for (db_writer *n = w.next; n && n->batch; n = n->next) {
            if (grp->len + n->batch->len - WB_HEADER > maxsz) break;
            if (grp == b) {
                strata_kv_batch_clear(db->group);
                if ((rc = wb_append(db->group, b))) break;
                grp = db->group;
            }
            if ((rc = wb_append(grp, n->batch))) break;
            if (n->sync) do_sync = 1;
            last = n;
        }
    }
    if (!rc && grp && grp->count) {
        uint64_t seq = atomic_load(&db->last_seq) + 1;
        if (seq + grp->count > SEQ_MAX)
            rc = st_error(STRATA_RANGE, "write: sequence numbers exhausted");
        if (!rc) {
            wb_set_sequence(grp, seq);
            memtable *mem = db->mem;
            wal_writer *log = db->log;
            mem_ref(mem);
            pthread_mutex_unlock(&db->mu);
            rc = wal_writer_add(log, grp->data, grp->len, do_sync);
            if (!rc) rc = apply_to_mem(mem, grp);
            pthread_mutex_lock(&db->mu);
            mem_unref(mem);
            if (!rc) {
                atomic_store_explicit(&db->last_seq, seq + grp->count - 1, memory_order_release);
                atomic_fetch_add(&db->user_bytes, grp->user_bytes);
                atomic_fetch_add(&db->wal_bytes, grp->len);
            } else if (!db->bg_error) {
                /* the WAL may now hold a partial record: refuse further writes */
                db->bg_error = rc;
            }
        }
    }
    /* wake the group and the next leader */
    for (;;) {
        db_writer *h = db->wq_head;
        db->wq_head = h->next;
        if (!db->wq_head) db->wq_tail = NULL;
        if (h != &w) {
            h->status = rc;
            h->done = 1;
            pthread_cond_signal(&h->cv);
        }
        if (h == last) break;
    }
    if (db->wq_head) pthread_cond_signal(&db->wq_head->cv);
    pthread_mutex_unlock(&db->mu);
    pthread_cond_destroy(&w.cv);
    return rc;
}

int strata_kv_write(strata_kv *db, const strata_kv_write_options *wo, strata_kv_batch *b)
{
    if (!db || !b) return st_error(STRATA_MISUSE, "strata_kv_write: NULL argument");
    if (b->count == 0) return STRATA_OK;
    return db_write_impl(db, b, wo ? wo->sync : 0);
}

/* A single-op write encodes into a stack buffer when it fits (no allocation per put). */
static int write_one(strata_kv *db, int kind, const void *k, size_t kl, const void *v, size_t vl)
{
    if (!db) return st_error(STRATA_MISUSE, "strata_kv: NULL db");
    uint8_t stackbuf[1024];
    strata_kv_batch sb = {stackbuf, WB_HEADER, sizeof stackbuf, 0, 0};
    strata_kv_batch *b = &sb;
    memset(stackbuf, 0, WB_HEADER);
    if (kl + vl + WB_HEADER + 1 + 2 * VARINT32_MAX > sizeof stackbuf) {
        b = strata_kv_batch_new();
        if (!b) return st_error(STRATA_NOMEM, "write: out of memory");
    }
    int rc = kind == KIND_PUT      ? strata_kv_batch_put(b, k, kl, v, vl)
             : kind == KIND_DELETE ? strata_kv_batch_delete(b, k, kl)
                                   : strata_kv_batch_delete_range(b, k, kl, v, vl);
    if (!rc && b->count) rc = db_write_impl(db, b, 0);
    if (b != &sb) strata_kv_batch_free(b);
    return rc;
}

int strata_kv_put(strata_kv *db, const void *key, size_t klen, const void *val, size_t vlen)
{
    return write_one(db, KIND_PUT, key, klen, val, vlen);
}

int strata_kv_delete(strata_kv *db, const void *key, size_t klen)
{
    return write_one(db, KIND_DELETE, key, klen, NULL, 0);
}

int strata_kv_delete_range(strata_kv *db, const void *start, size_t slen, const void *end,
                           size_t elen)
{
    return write_one(db, KIND_RANGE_DEL, start, slen, end, elen);
}

/* ---- reads ---- */

typedef struct read_view {
    memtable *mem, *imm;
    version *v;
    uint64_t seq;
} read_view;

static void view_acquire(strata_kv *db, const strata_kv_read_options *ro, read_view *rv)
{
    pthread_mutex_lock(&db->mu);
    rv->mem = db->mem;
    mem_ref(rv->mem);
    rv->imm = db->imm;
    if (rv->imm) mem_ref(rv->imm);
    rv->v = db->vs.current;
    version_ref(rv->v);
    pthread_mutex_unlock(&db->mu);
    rv->seq = ro && ro->snapshot ? ro->snapshot->seq
                                 : atomic_load_explicit(&db->last_seq, memory_order_acquire);
}

static void view_release(strata_kv *db, read_view *rv)
{
    mem_unref(rv->mem);
    mem_unref(rv->imm);
    pthread_mutex_lock(&db->mu);
    version_unref(rv->v);
    pthread_mutex_unlock(&db->mu);
}

/* Combines one source's answer. Returns 1 when the lookup is decided (*rc set). */
static int decide(int found, int kind, uint64_t fseq, uint64_t t, uint64_t *max_t, int *rc)
{
    if (t > *max_t) *max_t = t;
    if (found) {
        if (*max_t > fseq || kind != KIND_PUT)
            *rc = STRATA_NOTFOUND;
        else
            *rc = STRATA_OK;
        return 1;
    }
    if (*max_t) {
        *rc = STRATA_NOTFOUND;
        return 1;
    }
    return 0;
}

static int copy_out(st_slice v, void **val, size_t *vlen)
{
    void *p = malloc(v.n ? v.n : 1);
    if (!p) return st_error(STRATA_NOMEM, "get: out of memory for a %zu-byte value", v.n);
    if (v.n) memcpy(p, v.p, v.n);
    *val = p;
    *vlen = v.n;
    return STRATA_OK;
}

static int mem_lookup(memtable *m, st_slice ukey, uint64_t seq, uint64_t *max_t, void **val,
                      size_t *vlen, int *rc)
{
    int kind = 0;
    uint64_t fseq = 0, t = 0;
    st_slice v;
    int found = mem_get(m, ukey, seq, &kind, &fseq, &v, &t) == MEM_FOUND;
    if (!decide(found, kind, fseq, t, max_t, rc)) return 0;
    if (*rc == STRATA_OK) *rc = copy_out(v, val, vlen);
    return 1;
}

static int file_lookup(strata_kv *db, file_meta *f, st_slice ukey, uint64_t seq, uint64_t *max_t,
                       void **val, size_t *vlen, int *rc)
{
    sst_reader *r;
    range_del_list *rd;
    int e = tc_find(&db->tc, f, &r, &rd);
    if (e) {
        *rc = e;
        return 1;
    }
    uint64_t t = rd_max_covering(rd, ukey, seq, NULL);
    int kind = 0;
    uint64_t fseq = 0;
    uint8_t *v = NULL;
    size_t vl = 0;
    e = tc_get(&db->tc, f, ukey, seq, &kind, &fseq, &v, &vl);
    if (e != STRATA_OK && e != STRATA_NOTFOUND) {
        *rc = e;
        return 1;
    }
    int found = e == STRATA_OK;
    if (!decide(found, kind, fseq, t, max_t, rc)) return 0;
    if (*rc == STRATA_OK) {
        *val = v;
        *vlen = vl;
        if (!*val) *rc = copy_out(st_slice_make(NULL, 0), val, vlen);
    } else {
        free(v);
    }
    return 1;
}

static int in_range(const file_meta *f, st_slice ukey)
{
    return st_slice_cmp(ukey, ikey_user(file_smallest(f))) >= 0 &&
           st_slice_cmp(ukey, ikey_user(file_largest(f))) <= 0;
}

/* ---- read-triggered compaction ---- */

/* REQUIRES mu. f is listed at level by the current version. */
static int in_current(strata_kv *db, file_meta *f, int level)
{
    version *v = db->vs.current;
    if (level > 0) {
        size_t i = version_find_file(v, level, file_largest(f));
        return i < v->nfiles[level] && v->files[level][i] == f;
    }
    for (size_t i = 0; i < v->nfiles[0]; i++)
        if (v->files[0][i] == f) return 1;
    return 0;
}

static void seek_record(strata_kv *db, file_meta *f, int level)
{
    pthread_mutex_lock(&db->mu);
    if (!db->seek_file && !db->shutting_down && !db->bg_error && !f->being_compacted &&
        level < STRATA_KV_LEVELS - 1 && in_current(db, f, level)) {
        file_meta_ref(f);
        db->seek_file = f;
        db->seek_level = level;
        atomic_store_explicit(&db->seek_pending, 1, memory_order_relaxed);
        db_maybe_schedule(db);
    }
    pthread_mutex_unlock(&db->mu);
}

void db_charge_seek(strata_kv *db, file_meta *f, int level)
{
    if (!db->opt.read_triggered_compaction) return;
    int64_t left = atomic_fetch_sub_explicit(&f->allowed_seeks, 1, memory_order_relaxed) - 1;
    if (left > 0) return;
    /* used up. Past zero the file may be waiting for (or in) a compaction, or another file
     * holds the marker: only every 64th further charge looks again, so a hot file costs the
     * readers no lock per read */
    if (left < 0 && ((-left) & 63) != 0) return;
    if (atomic_load_explicit(&db->seek_pending, memory_order_relaxed)) return;
    seek_record(db, f, level);
}

void db_read_sample(strata_kv *db, version *v, st_slice ukey)
{
    file_meta *first = NULL;
    int first_level = 0;
    for (int l = 0; l < STRATA_KV_LEVELS; l++) {
        size_t i = 0, n = v->nfiles[l];
        if (l > 0) {
            /* the one file of the level that may hold ukey: the first whose largest >= ukey */
            size_t hi = n;
            while (i < hi) {
                size_t mid = i + (hi - i) / 2;
                if (st_slice_cmp(ikey_user(file_largest(v->files[l][mid])), ukey) < 0)
                    i = mid + 1;
                else
                    hi = mid;
            }
            if (i < n) n = i + 1;
        }
        for (; i < n; i++) {
            file_meta *f = v->files[l][i];
            if (!in_range(f, ukey)) continue;
            if (first) {
                db_charge_seek(db, first, first_level);
                return;
            }
            first = f;
            first_level = l;
        }
    }
}

/* A get consults the L0 files covering ukey (newest first), then one file per level, until one
 * decides; when it consulted more than one, the first one is charged (db_charge_seek). */
static int version_get(strata_kv *db, version *v, st_slice ukey, uint64_t seq, uint64_t *max_t,
                       void **val, size_t *vlen)
{
    int rc = STRATA_NOTFOUND;
    file_meta *first = NULL;
    int first_level = 0, consulted = 0;
    for (size_t i = 0; i < v->nfiles[0]; i++) {
        file_meta *f = v->files[0][i];
        if (!in_range(f, ukey)) continue;
        if (!consulted++) first = f;
        if (file_lookup(db, f, ukey, seq, max_t, val, vlen, &rc)) goto out;
    }
    uint8_t tmp[256];
    uint8_t *kb = ukey.n + 8 <= sizeof tmp ? tmp : malloc(ukey.n + 8);
    if (!kb) return st_error(STRATA_NOMEM, "get: out of memory");
    st_slice ik = ikey_build(kb, ukey, seq, KIND_SEEK);
    rc = STRATA_NOTFOUND;
    for (int l = 1; l < STRATA_KV_LEVELS; l++) {
        size_t i = version_find_file(v, l, ik);
        if (i >= v->nfiles[l]) continue;
        file_meta *f = v->files[l][i];
        if (st_slice_cmp(ukey, ikey_user(file_smallest(f))) < 0) continue;
        if (!consulted++) {
            first = f;
            first_level = l;
        }
        if (file_lookup(db, f, ukey, seq, max_t, val, vlen, &rc)) break;
        rc = STRATA_NOTFOUND;
    }
    if (kb != tmp) free(kb);
out:
    if (consulted > 1) db_charge_seek(db, first, first_level);
    return rc;
}

int strata_kv_get(strata_kv *db, const strata_kv_read_options *ro, const void *key, size_t klen,
                  void **val, size_t *vlen)
{
    if (!db || !val || !vlen || (!key && klen))
        return st_error(STRATA_MISUSE, "strata_kv_get: NULL argument");
    *val = NULL;
    *vlen = 0;
    if (klen == 0 || klen > STRATA_KV_MAX_KEY) return STRATA_NOTFOUND;
    st_slice ukey = st_slice_make(key, klen);
    read_view rv;
    view_acquire(db, ro, &rv);
    uint64_t max_t = 0;
    int rc = STRATA_NOTFOUND;
    if (!mem_lookup(rv.mem, ukey, rv.seq, &max_t, val, vlen, &rc) &&
        !(rv.imm && mem_lookup(rv.imm, ukey, rv.seq, &max_t, val, vlen, &rc)))
        rc = version_get(db, rv.v, ukey, rv.seq, &max_t, val, vlen);
    view_release(db, &rv);
    if (rc == STRATA_NOTFOUND) {
        *val = NULL;
        *vlen = 0;
    }
    return rc;
}

/* multi-get: the memtables answer what they can; for every other key, the files that may hold
 * it (each L0 file whose range covers it, newest first, then one file per level) are located
 * through bloom filter and index — stopping after a file with a covering tombstone, below which
 * nothing can matter — and every block needed that is not cached is read with ONE read_batch
 * submission (a block wanted by several keys is read once). Each key is then decided by walking
 * its files in order, exactly as a get does. A block of an older file is read only when a newer
 * file's bloom filter let the key through, so the extra reads are the ones a get would also do
 * after a bloom false positive, or for a key present in several files. */
typedef struct mg_cand {
    file_meta *f;
    int level;
    sst_reader *r;
    sst_block_ref ref;
    uint64_t t;  /* covering tombstone in this file */
    int located; /* the key may be in ref's block */
    long req;    /* index of the read, or -1 (cached or not located) */
} mg_cand;

typedef struct mg_slot {
    uint64_t file, off;
    long req; /* -1: empty */
} mg_slot;

int strata_kv_multi_get(strata_kv *db, const strata_kv_read_options *ro, size_t n,
                        const void *const *keys, const size_t *klens, void **vals, size_t *vlens,
                        int *statuses)
{
    if (!db || (n && (!keys || !klens || !vals || !vlens || !statuses)))
        return st_error(STRATA_MISUSE, "strata_kv_multi_get: NULL argument");
    if (n == 0) return STRATA_OK;
    read_view rv;
    view_acquire(db, ro, &rv);
    size_t maxc = rv.v->nfiles[0] + STRATA_KV_LEVELS;
    uint64_t *max_t = calloc(n, sizeof *max_t);
    uint8_t *done = calloc(n, 1);
    size_t *ncand = calloc(n, sizeof *ncand);
    mg_cand *cand = malloc(n * maxc * sizeof *cand);
    env_read_req *reqs = malloc(n * maxc * sizeof *reqs);
    size_t nslots = 16;
    while (nslots < 2 * n * maxc) nslots *= 2;
    mg_slot *slots = malloc(nslots * sizeof *slots);
    size_t nreq = 0;
    int rc = STRATA_OK;
    if (!max_t || !done || !ncand || !cand || !reqs || !slots) {
        rc = st_error(STRATA_NOMEM, "multi_get: out of memory");
        goto out;
    }
    for (size_t i = 0; i < nslots; i++) slots[i].req = -1;
    uint8_t *kbuf = malloc(STRATA_KV_MAX_KEY + IKEY_TRAILER);
    if (!kbuf) {
        rc = st_error(STRATA_NOMEM, "multi_get: out of memory");
        goto out;
    }
    /* 1. memtables, then locate in the candidate files */
    for (size_t i = 0; i < n; i++) {
        vals[i] = NULL;
        vlens[i] = 0;
        statuses[i] = STRATA_NOTFOUND;
        if (klens[i] == 0 || klens[i] > STRATA_KV_MAX_KEY || !keys[i]) {
            done[i] = 1;
            continue;
        }
        st_slice uk = st_slice_make(keys[i], klens[i]);
        int r = STRATA_NOTFOUND;
        if (mem_lookup(rv.mem, uk, rv.seq, &max_t[i], &vals[i], &vlens[i], &r) ||
            (rv.imm && mem_lookup(rv.imm, uk, rv.seq, &max_t[i], &vals[i], &vlens[i], &r))) {
            statuses[i] = r;
            done[i] = 1;
            continue;
        }
        st_slice ik = ikey_build(kbuf, uk, rv.seq, KIND_SEEK);
        mg_cand *c = cand + i * maxc;
        size_t nc = 0;
        int stop = 0;
        for (int l = 0; l < STRATA_KV_LEVELS && !stop; l++) {
            size_t nf = l == 0 ? rv.v->nfiles[0] : 1;
            for (size_t s = 0; s < nf && !stop; s++) {
                file_meta *f = NULL;
                if (l == 0) {
                    f = rv.v->files[0][s];
                    if (!in_range(f, uk)) continue;
                } else {
                    size_t fi = version_find_file(rv.v, l, ik);
                    if (fi >= rv.v->nfiles[l] ||
                        st_slice_cmp(uk, ikey_user(file_smallest(rv.v->files[l][fi]))) < 0)
                        continue;
                    f = rv.v->files[l][fi];
                }
                mg_cand *m = &c[nc];
                range_del_list *rd;
                int e = tc_find(&db->tc, f, &m->r, &rd);
                if (e) {
                    statuses[i] = e;
                    done[i] = 1;
                    stop = 1;
                    break;
                }
                m->f = f;
                m->level = l;
                m->t = rd_max_covering(rd, uk, rv.seq, NULL);
                m->located = 0;
                m->req = -1;
                m->ref.cached = NULL;
                nc++;
                if (m->t) stop = 1; /* nothing below this file can matter */
                if (f->global_seq && rv.seq < f->global_seq) continue;
                e = sst_reader_locate(m->r, uk, &m->ref);
                if (e == STRATA_NOTFOUND) continue;
                if (e) {
                    statuses[i] = e;
                    done[i] = 1;
                    stop = 1;
                    break;
                }
                m->located = 1;
                if (m->ref.cached) continue;
                /* one read per distinct block */
                size_t h = (size_t)((f->number * 0x9e3779b97f4a7c15ULL) ^
                                    (m->ref.offset * 0xc2b2ae3d27d4eb4fULL));
                h = (h ^ (h >> 29)) & (nslots - 1);
                while (slots[h].req >= 0 &&
                       !(slots[h].file == f->number && slots[h].off == m->ref.offset))
                    h = (h + 1) & (nslots - 1);
                if (slots[h].req < 0) {
                    env_read_req *q = &reqs[nreq];
                    q->file = sst_reader_file(m->r);
                    q->offset = m->ref.offset;
                    q->len = m->ref.len;
                    q->buf = malloc(m->ref.len ? m->ref.len : 1);
                    q->status = 0;
                    q->nread = 0;
                    if (!q->buf) {
                        statuses[i] = st_error(STRATA_NOMEM, "multi_get: out of memory");
                        done[i] = 1;
                        m->located = 0;
                        stop = 1;
                        break;
                    }
                    slots[h].file = f->number;
                    slots[h].off = m->ref.offset;
                    slots[h].req = (long)nreq++;
                }
                m->req = slots[h].req;
            }
        }
        ncand[i] = nc;
    }
    free(kbuf);
    /* 2. one submission for every uncached block */
    if (nreq) {
        int e = db->env->read_batch(db->env, reqs, nreq);
        if (e)
            for (size_t q = 0; q < nreq; q++) reqs[q].status = e;
    }
    /* 3. decide each key by walking its files in order */
    for (size_t i = 0; i < n; i++) {
        mg_cand *c = cand + i * maxc;
        st_slice uk = st_slice_make(keys[i], klens[i]);
        size_t consulted = 0;
        for (size_t j = 0; j < ncand[i] && !done[i]; j++) {
            consulted++;
            mg_cand *m = &c[j];
            int e = STRATA_NOTFOUND, kind = 0;
            uint64_t fseq = 0;
            uint8_t *v = NULL;
            size_t vl = 0;
            if (m->located) {
                const uint8_t *raw = NULL;
                size_t rawlen = 0;
                e = STRATA_OK;
                if (m->req >= 0) {
                    env_read_req *q = &reqs[m->req];
                    e = q->status;
                    if (!e && q->nread < q->len)
                        e = st_error(
                            STRATA_CORRUPT, "multi_get: sst %06llu: short block read at %llu",
                            (unsigned long long)m->f->number, (unsigned long long)q->offset);
                    raw = q->buf;
                    rawlen = q->nread;
                }
                if (!e)
                    e = sst_reader_get_in_block(m->r, &m->ref, raw, rawlen, uk,
                                                m->f->global_seq ? SEQ_MAX : rv.seq, &kind, &fseq,
                                                &v, &vl);
                if (e == STRATA_OK && m->f->global_seq) fseq = m->f->global_seq;
            }
            if (e != STRATA_OK && e != STRATA_NOTFOUND) {
                statuses[i] = e;
                done[i] = 1;
                break;
            }
            int r2 = STRATA_NOTFOUND;
            if (decide(e == STRATA_OK, kind, fseq, m->t, &max_t[i], &r2)) {
                statuses[i] = r2;
                if (r2 == STRATA_OK) {
                    if (v) {
                        vals[i] = v;
                        vlens[i] = vl;
                        v = NULL;
                    } else {
                        statuses[i] = copy_out(st_slice_make(NULL, 0), &vals[i], &vlens[i]);
                    }
                }
                done[i] = 1;
            }
            free(v);
        }
        /* as a get: the first file is charged when it did not decide the key */
        if (consulted > 1) db_charge_seek(db, c[0].f, c[0].level);
        for (size_t j = 0; j < ncand[i]; j++)
            if (c[j].located && c[j].ref.cached) block_cache_release(db->bc, c[j].ref.cached);
    }
    for (size_t q = 0; q < nreq; q++) free(reqs[q].buf);
out:
    view_release(db, &rv);
    free(max_t);
    free(done);
    free(ncand);
    free(cand);
    free(reqs);
    free(slots);
    return rc;
}

/* ---- snapshots ---- */

const strata_kv_snapshot *strata_kv_snapshot_new(strata_kv *db)
{
    if (!db) return NULL;
    pthread_mutex_lock(&db->mu);
    strata_kv_snapshot *s = db_snapshot_new_locked(db, atomic_load(&db->last_seq));
    pthread_mutex_unlock(&db->mu);
    return s;
}

void strata_kv_snapshot_release(strata_kv *db, const strata_kv_snapshot *s)
{
    if (!db || !s) return;
    pthread_mutex_lock(&db->mu);
    db_snapshot_release_locked(db, (strata_kv_snapshot *)s);
    pthread_mutex_unlock(&db->mu);
}

uint64_t strata_kv_snapshot_sequence(const strata_kv_snapshot *s)
{
    return s ? s->seq : 0;
}

uint64_t strata_kv_latest_sequence(strata_kv *db)
{
    return db ? atomic_load(&db->last_seq) : 0;
}

int strata_kv_snapshot_at(strata_kv *db, uint64_t seq, const strata_kv_snapshot **out)
{
    if (!db || !out) return st_error(STRATA_MISUSE, "strata_kv_snapshot_at: NULL argument");
    *out = NULL;
    pthread_mutex_lock(&db->mu);
    uint64_t last = atomic_load(&db->last_seq);
    if (seq > last) {
        pthread_mutex_unlock(&db->mu);
        return st_error(STRATA_INVALID,
                        "strata_kv_snapshot_at: sequence %" PRIu64
                        " is newer than the latest (%" PRIu64 ")",
                        seq, last);
    }
    strata_kv_snapshot *s = db_snapshot_new_locked(db, seq);
    pthread_mutex_unlock(&db->mu);
    if (!s) return st_error(STRATA_NOMEM, "strata_kv_snapshot_at: out of memory");
    *out = s;
    return STRATA_OK;
}

/* ---- flush, compact, sizes ---- */

static void *switcher_main(void *arg)
{
    strata_kv *db = arg;
    (void)db_write_impl(db, NULL, 0); /* a failure is the next write's to report */
    pthread_mutex_lock(&db->mu);
    db->switcher_state = 2;
    pthread_mutex_unlock(&db->mu);
    return NULL;
}

/* Joins a switcher that is done (or, wait: any). REQUIRES mu, which it may drop. */
static void join_switcher_locked(strata_kv *db, int wait)
{
    if (db->switcher_state == 0 || (db->switcher_state == 1 && !wait)) return;
    pthread_t t = db->switcher;
    db->switcher_state = 0;
    pthread_mutex_unlock(&db->mu);
    pthread_join(t, NULL);
    pthread_mutex_lock(&db->mu);
}

void db_request_flush(strata_kv *db, memtable *m)
{
    if (!db->opt.read_triggered_compaction) return;
    pthread_mutex_lock(&db->mu);
    join_switcher_locked(db, 0);
    /* not while a flush is pending or L0 is near its limits */
    if (db->switcher_state == 0 && db->mem == m && !db->imm && db->bg_started &&
        !db->shutting_down && !db->bg_error &&
        (int)db->vs.current->nfiles[0] < db->opt.level0_slowdown_trigger) {
        db->switcher_state = 1;
        if (pthread_create(&db->switcher, NULL, switcher_main, db) != 0)
            db->switcher_state = 0;
        else
            db->read_flushes++;
    }
    pthread_mutex_unlock(&db->mu);
}

int strata_kv_flush(strata_kv *db)
{
    if (!db) return st_error(STRATA_MISUSE, "strata_kv_flush: NULL db");
    int rc = db_write_impl(db, NULL, 0);
    if (rc) return rc;
    pthread_mutex_lock(&db->mu);
    while (db->imm && !db->bg_error) {
        if (db->bg_started) {
            db_maybe_schedule(db);
            pthread_cond_wait(&db->bg_cv, &db->mu);
        } else {
            rc = db_flush_imm(db);
            if (rc) break;
        }
    }
    if (!rc) rc = db->bg_error;
    pthread_mutex_unlock(&db->mu);
    return rc;
}

int strata_kv_compact_range(strata_kv *db, const void *start, size_t slen, const void *end,
                            size_t elen)
{
    if (!db) return st_error(STRATA_MISUSE, "strata_kv_compact_range: NULL db");
    int rc = strata_kv_flush(db);
    if (rc) return rc;
    st_slice b = st_slice_make(start, slen), e = st_slice_make(end, elen);
    return db_compact_range(db, start ? &b : NULL, end ? &e : NULL);
}

int strata_kv_approximate_size(strata_kv *db, const void *start, size_t slen, const void *end,
                               size_t elen, uint64_t *bytes)
{
    if (!db || !bytes) return st_error(STRATA_MISUSE, "strata_kv_approximate_size: NULL argument");
    *bytes = 0;
    st_slice b = st_slice_make(start, slen), e = st_slice_make(end, elen);
    pthread_mutex_lock(&db->mu);
    version *v = db->vs.current;
    version_ref(v);
    pthread_mutex_unlock(&db->mu);
    uint64_t total = 0;
    for (int l = 0; l < STRATA_KV_LEVELS; l++)
        for (size_t i = 0; i < v->nfiles[l]; i++) {
            file_meta *f = v->files[l][i];
            st_slice fs = ikey_user(file_smallest(f)), fl = ikey_user(file_largest(f));
            if (start && st_slice_cmp(fl, b) < 0) continue;
            if (end && st_slice_cmp(fs, e) >= 0) continue;
            /* a file partly in the range counts in proportion of a byte-wise estimate: simple
             * and monotone — the whole file when it is inside, half when it straddles */
            int inside = (!start || st_slice_cmp(fs, b) >= 0) && (!end || st_slice_cmp(fl, e) < 0);
            total += inside ? f->size : f->size / 2;
        }
    pthread_mutex_lock(&db->mu);
    version_unref(v);
    pthread_mutex_unlock(&db->mu);
    *bytes = total;
    return STRATA_OK;
}

/* ---- stats ---- */

int strata_kv_background_busy(strata_kv *db)
{
    if (!db) return 0;
    pthread_mutex_lock(&db->mu);
    int busy = db->imm != NULL || db->flushing || db->compacting || db->inline_running ||
               db->switcher_state == 1;
    pthread_mutex_unlock(&db->mu);
    return busy;
}

int strata_kv_get_stats(strata_kv *db, strata_kv_stats *out)
{
    if (!db || !out) return st_error(STRATA_MISUSE, "strata_kv_get_stats: NULL argument");
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&db->mu);
    version *v = db->vs.current;
    for (int l = 0; l < STRATA_KV_LEVELS; l++) {
        out->levels[l].files = (int)v->nfiles[l];
        out->levels[l].bytes = version_level_bytes(v, l);
    }
    out->memtable_bytes = mem_usage(db->mem) + (db->imm ? mem_usage(db->imm) : 0);
    out->user_bytes_written = atomic_load(&db->user_bytes);
    out->wal_bytes_written = atomic_load(&db->wal_bytes);
    out->flush_bytes_written = db->flush_bytes;
    out->compaction_bytes_read = db->comp_read;
    out->compaction_bytes_written = db->comp_written;
    out->stall_micros = db->stall_us;
    out->flushes = db->flushes;
    out->compactions = db->compactions;
    out->files_dropped_by_tombstone = db->dropped_files;
    out->read_triggered_compactions = db->read_compactions;
    out->read_triggered_flushes = db->read_flushes;
    out->sequence = atomic_load(&db->last_seq);
    pthread_mutex_unlock(&db->mu);
    if (out->user_bytes_written)
        out->write_amplification = (double)(out->wal_bytes_written + out->flush_bytes_written +
                                            out->compaction_bytes_written) /
                                   (double)out->user_bytes_written;
    if (db->bc) {
        size_t usage;
        block_cache_stats(db->bc, &out->cache_hits, &out->cache_misses, &usage);
        if (out->cache_hits + out->cache_misses)
            out->cache_hit_rate =
                (double)out->cache_hits / (double)(out->cache_hits + out->cache_misses);
    }
    out->io_backend = db->env->name;
    out->io_fallback_reason = db->env->fallback_reason;
    return STRATA_OK;
}

char *strata_kv_stats_string(strata_kv *db)
{
    strata_kv_stats s;
    if (strata_kv_get_stats(db, &s)) return NULL;
    size_t cap = 4096;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    int n = 0;
    n += snprintf(buf + n, cap - (size_t)n, "level  files        bytes\n");
    for (int l = 0; l < STRATA_KV_LEVELS; l++)
        n += snprintf(buf + n, cap - (size_t)n, "L%d     %5d %12" PRIu64 "\n", l, s.levels[l].files,
                      s.levels[l].bytes);
    n += snprintf(
        buf + n, cap - (size_t)n,
        "memtable bytes: %" PRIu64 "\nuser bytes written: %" PRIu64 "\nwal bytes written: %" PRIu64
        "\nflush bytes written: %" PRIu64 "\ncompaction bytes read: %" PRIu64 " written: %" PRIu64
        "\nwrite amplification: %.2f\ncache hits: %" PRIu64 " misses: %" PRIu64
        " hit rate: %.3f\nstall micros: %" PRIu64 "\nflushes: %" PRIu64 " compactions: %" PRIu64
        " files dropped by tombstone: %" PRIu64 "\nread-triggered compactions: %" PRIu64
        " flushes: %" PRIu64 "\nsequence: %" PRIu64 "\nio backend: %s%s%s\n",
        s.memtable_bytes, s.user_bytes_written, s.wal_bytes_written, s.flush_bytes_written,
        s.compaction_bytes_read, s.compaction_bytes_written, s.write_amplification, s.cache_hits,
        s.cache_misses, s.cache_hit_rate, s.stall_micros, s.flushes, s.compactions,
        s.files_dropped_by_tombstone, s.read_triggered_compactions, s.read_triggered_flushes,
        s.sequence, s.io_backend ? s.io_backend : "?", s.io_fallback_reason ? " (fallback: " : "",
        s.io_fallback_reason ? s.io_fallback_reason : "");
    if (s.io_fallback_reason && n < (int)cap - 2) {
        buf[n - 1] = ')';
        buf[n++] = '\n';
        buf[n] = 0;
    }
    return buf;
}
