/*
 * bench/bench.c — strata-bench: named key-value workloads (db_bench style) run on strata's kernel
 * (strata_kv.h), RocksDB and LevelDB (their C APIs) in one process, with the same options, and
 * the SQL workloads of bench_sql.c on strata (strata.h) and SQLite.
 *
 *   strata-bench [--engines strata,rocksdb,leveldb,sqlite] [--workloads a,b,...] [--num N]
 *                [--reads N] [--csv FILE] [--dir DIR] [--seed S] [--stats]
 *
 * Keys are 16 bytes (the key number as 16 decimal digits, so byte order is numeric order),
 * values 100 bytes. Engines run one after another: every workload on the first engine, then on
 * the next, each engine in its own directory under --dir. A workload that needs the full key
 * set (reads, scans, overwrite, deleterange) first loads it (fillseq, untimed) if the engine's
 * database does not hold it.
 *
 * Comparable settings (the same for the three engines): WAL on, no sync per write (except
 * fillsync), 64 MiB write buffer, 64 MiB block cache, 4 KiB blocks, bloom filter 10 bits/key,
 * compression OFF at every level (LevelDB's C API offers only snappy, which strata lacks, so
 * "none everywhere" is the only setting all three share), background compaction on.
 *
 * Full scans (scan, deleterange) use each engine's best way to read every entry in order:
 * strata's bulk read strata_kv_iter_next_batch (arrays of entries); RocksDB and LevelDB have
 * no bulk read in their C APIs, so they step their iterators (the same work their C++ users do).
 *
 * Output: one row per workload with ops/s per engine and the ratio strata / each peer; --csv
 * writes `workload,engine,ops_per_sec` rows. Single-threaded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <leveldb/c.h>
#include <rocksdb/c.h>

#include "bench.h"
#include "strata_kv.h"

#define KEY_SIZE        16
#define VALUE_SIZE      100
#define CACHE_BYTES     (64u << 20)
#define WRITE_BUFFER    (64u << 20)
#define BLOCK_BYTES     4096
#define BLOOM_BITS      10
#define MULTIGET_BATCH  32
#define SEEK_NEXTS      10
#define FILLSYNC_WRITES 10000

/* ------------------------------------------------------------------ common helpers */

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_die(const char *engine, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "strata-bench: %s: ", engine);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void bench_rmrf(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    char buf[4096];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(buf, sizeof buf, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(buf, &st) == 0 && S_ISDIR(st.st_mode))
            bench_rmrf(buf);
        else
            unlink(buf);
    }
    closedir(d);
    rmdir(path);
}

/* Writes back and drops the OS page cache of every regular file in dir (recursively). */
static void drop_page_cache(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char buf[4096];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(buf, sizeof buf, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(buf, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            drop_page_cache(buf);
            continue;
        }
        if (!S_ISREG(st.st_mode)) continue;
        int fd = open(buf, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        fdatasync(fd); /* dirty pages cannot be dropped */
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
    closedir(d);
}

static inline void make_key(char *k, uint64_t n)
{
    for (int i = KEY_SIZE - 1; i >= 0; i--) {
        k[i] = (char)('0' + n % 10);
        n /= 10;
    }
}

/* ------------------------------------------------------------------ results */

typedef struct result {
    char workload[64];
    char engine[16];
    double ops_per_sec;
} result;

static result *results;
static int nresults, capresults;

void bench_record(const char *workload, const char *engine, double ops, double secs)
{
    if (nresults == capresults) {
        capresults = capresults ? capresults * 2 : 64;
        results = realloc(results, (size_t)capresults * sizeof *results);
        if (!results) bench_die(engine, "out of memory");
    }
    result *r = &results[nresults++];
    snprintf(r->workload, sizeof r->workload, "%s", workload);
    snprintf(r->engine, sizeof r->engine, "%s", engine);
    r->ops_per_sec = secs > 0 ? ops / secs : 0;
    fprintf(stderr, "  %-10s %-24s %12.0f ops/s  (%.0f ops in %.3f s)\n", engine, workload,
            r->ops_per_sec, ops, secs);
}

static double find_result(const char *workload, const char *engine)
{
    for (int i = 0; i < nresults; i++)
        if (!strcmp(results[i].workload, workload) && !strcmp(results[i].engine, engine))
            return results[i].ops_per_sec;
    return -1;
}

/* ------------------------------------------------------------------ engines */

typedef struct kv_engine {
    const char *name;
    void *(*open)(const char *dir);
    void (*close)(void *h);
    void (*flush)(void *h); /* memtable to an SST, waiting for it */
    void (*put)(void *h, const char *k, const char *v, int sync);
    int (*get)(void *h, const char *k); /* 1 found, 0 not found */
    /* n gets; returns how many were found */
    int (*multi_get)(void *h, int n, const char *const *keys);
    /* single-key deletes (LevelDB) or one range tombstone over [lo, hi) */
    void (*delete_range)(void *h, const char *lo, const char *hi, uint64_t n);
    void *(*iter_new)(void *h);
    void (*iter_free)(void *it);
    void (*seek)(void *it, const char *k);
    void (*seek_first)(void *it);
    int (*valid)(void *it);
    void (*next)(void *it);
    void (*stats)(void *h); /* prints the engine's own statistics (--stats), may be NULL */
    /* counts the entries from the first on with the engine's bulk read, if it has one (NULL:
     * seek_first / valid / next) */
    uint64_t (*scan_all)(void *it);
} kv_engine;

static int opt_stats;

/* ---- strata ---- */

static const strata_kv_read_options st_ro; /* all defaults: latest state, fill the cache */

typedef struct st_h {
    strata_kv *db;
    strata_kv_batch *batch;
} st_h;

static void *st_open(const char *dir)
{
    strata_kv_options o;
    strata_kv_options_init(&o);
    o.write_buffer_size = WRITE_BUFFER;
    o.block_cache_size = CACHE_BYTES;
    o.block_size = BLOCK_BYTES;
    o.bloom_bits_per_key = BLOOM_BITS;
    for (int i = 0; i < STRATA_KV_LEVELS; i++) o.compression[i] = STRATA_KV_COMPRESS_NONE;
    o.sync_mode = STRATA_KV_SYNC_NORMAL;
    st_h *h = calloc(1, sizeof *h);
    if (!h) bench_die("strata", "out of memory");
    int rc = strata_kv_open(dir, &o, &h->db);
    if (rc != STRATA_OK) bench_die("strata", "open %s: %s", dir, strata_kv_errmsg());
    h->batch = strata_kv_batch_new();
    return h;
}

static void st_close(void *p)
{
    st_h *h = p;
    strata_kv_batch_free(h->batch);
    if (strata_kv_close(h->db) != STRATA_OK) bench_die("strata", "close: %s", strata_kv_errmsg());
    free(h);
}

static void st_flush(void *p)
{
    st_h *h = p;
    if (strata_kv_flush(h->db) != STRATA_OK) bench_die("strata", "flush: %s", strata_kv_errmsg());
}

static void st_put(void *p, const char *k, const char *v, int sync)
{
    st_h *h = p;
    int rc;
    if (sync) {
        strata_kv_write_options wo = {.sync = 1};
        strata_kv_batch_clear(h->batch);
        rc = strata_kv_batch_put(h->batch, k, KEY_SIZE, v, VALUE_SIZE);
        if (rc == STRATA_OK) rc = strata_kv_write(h->db, &wo, h->batch);
    } else {
        rc = strata_kv_put(h->db, k, KEY_SIZE, v, VALUE_SIZE);
    }
    if (rc != STRATA_OK) bench_die("strata", "put: %s", strata_kv_errmsg());
}

static int st_get(void *p, const char *k)
{
    st_h *h = p;
    void *v = NULL;
    size_t vl = 0;
    int rc = strata_kv_get(h->db, &st_ro, k, KEY_SIZE, &v, &vl);
    if (rc == STRATA_NOTFOUND) return 0;
    if (rc != STRATA_OK) bench_die("strata", "get: %s", strata_kv_errmsg());
    strata_kv_free(v);
    return 1;
}

static int st_multi_get(void *p, int n, const char *const *keys)
{
    st_h *h = p;
    size_t klens[MULTIGET_BATCH], vlens[MULTIGET_BATCH];
    void *vals[MULTIGET_BATCH];
    int sts[MULTIGET_BATCH], found = 0;
    for (int i = 0; i < MULTIGET_BATCH; i++) klens[i] = KEY_SIZE;
    int rc = strata_kv_multi_get(h->db, &st_ro, (size_t)n, (const void *const *)keys, klens, vals,
                                 vlens, sts);
    if (rc != STRATA_OK) bench_die("strata", "multi_get: %s", strata_kv_errmsg());
    for (int i = 0; i < n; i++) {
        if (sts[i] == STRATA_OK) {
            found++;
            strata_kv_free(vals[i]);
        } else if (sts[i] != STRATA_NOTFOUND) {
            bench_die("strata", "multi_get[%d]: status %s", i, strata_status_name(sts[i]));
        }
    }
    return found;
}

static void st_delete_range(void *p, const char *lo, const char *hi, uint64_t n)
{
    st_h *h = p;
    if (strata_kv_delete_range(h->db, lo, KEY_SIZE, hi, KEY_SIZE) != STRATA_OK)
        bench_die("strata", "delete_range: %s", strata_kv_errmsg());
}

static void st_stats(void *p)
{
    st_h *h = p;
    char *s = strata_kv_stats_string(h->db);
    if (s) fprintf(stderr, "%s\n", s);
    strata_kv_free(s);
}

static void *st_iter_new(void *p)
{
    st_h *h = p;
    strata_kv_iter *it = strata_kv_iter_new(h->db, &st_ro);
    if (!it) bench_die("strata", "iter_new: %s", strata_kv_errmsg());
    return it;
}
static void st_iter_free(void *it)
{
    if (strata_kv_iter_status(it) != STRATA_OK)
        bench_die("strata", "iterator: %s", strata_kv_errmsg());
    strata_kv_iter_free(it);
}
static void st_seek(void *it, const char *k)
{
    strata_kv_iter_seek(it, k, KEY_SIZE);
}
static uint64_t st_scan_all(void *it)
{
    strata_kv_entry e[256];
    uint64_t n = 0;
    size_t got;
    strata_kv_iter_seek_to_first(it);
    while ((got = strata_kv_iter_next_batch(it, e, 256)) > 0) n += got;
    if (strata_kv_iter_status(it) != STRATA_OK) bench_die("strata", "scan: %s", strata_kv_errmsg());
    return n;
}

static void st_seek_first(void *it)
{
    strata_kv_iter_seek_to_first(it);
}
static int st_valid(void *it)
{
    return strata_kv_iter_valid(it);
}
static void st_next(void *it)
{
    strata_kv_iter_next(it);
}

/* ---- RocksDB ---- */

typedef struct rk_h {
    rocksdb_t *db;
    rocksdb_options_t *opt;
    rocksdb_block_based_table_options_t *topt;
    rocksdb_cache_t *cache;
    rocksdb_writeoptions_t *wo, *wo_sync;
    rocksdb_readoptions_t *ro;
} rk_h;

static void rk_check(char *err, const char *what)
{
    if (err) bench_die("rocksdb", "%s: %s", what, err);
}

static void *rk_open(const char *dir)
{
    rk_h *h = calloc(1, sizeof *h);
    if (!h) bench_die("rocksdb", "out of memory");
    h->opt = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(h->opt, 1);
    rocksdb_options_set_write_buffer_size(h->opt, WRITE_BUFFER);
    rocksdb_options_set_compression(h->opt, rocksdb_no_compression);
    rocksdb_options_set_bottommost_compression(h->opt, rocksdb_no_compression);
    h->topt = rocksdb_block_based_options_create();
    h->cache = rocksdb_cache_create_lru(CACHE_BYTES);
    rocksdb_block_based_options_set_block_cache(h->topt, h->cache);
    rocksdb_block_based_options_set_block_size(h->topt, BLOCK_BYTES);
    rocksdb_block_based_options_set_filter_policy(h->topt,
                                                  rocksdb_filterpolicy_create_bloom(BLOOM_BITS));
    rocksdb_options_set_block_based_table_factory(h->opt, h->topt);
    char *err = NULL;
    h->db = rocksdb_open(h->opt, dir, &err);
    rk_check(err, "open");
    h->wo = rocksdb_writeoptions_create();
    h->wo_sync = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(h->wo_sync, 1);
    h->ro = rocksdb_readoptions_create();
    return h;
}

static void rk_close(void *p)
{
    rk_h *h = p;
    rocksdb_close(h->db);
    rocksdb_writeoptions_destroy(h->wo);
    rocksdb_writeoptions_destroy(h->wo_sync);
    rocksdb_readoptions_destroy(h->ro);
    rocksdb_options_destroy(h->opt);
    rocksdb_block_based_options_destroy(h->topt);
    rocksdb_cache_destroy(h->cache);
    free(h);
}

static void rk_flush(void *p)
{
    rk_h *h = p;
    char *err = NULL;
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 1);
    rocksdb_flush(h->db, fo, &err);
    rocksdb_flushoptions_destroy(fo);
    rk_check(err, "flush");
}

static void rk_put(void *p, const char *k, const char *v, int sync)
{
    rk_h *h = p;
    char *err = NULL;
    rocksdb_put(h->db, sync ? h->wo_sync : h->wo, k, KEY_SIZE, v, VALUE_SIZE, &err);
    rk_check(err, "put");
}

static int rk_get(void *p, const char *k)
{
    rk_h *h = p;
    char *err = NULL;
    size_t vl;
    char *v = rocksdb_get(h->db, h->ro, k, KEY_SIZE, &vl, &err);
    rk_check(err, "get");
    if (!v) return 0;
    rocksdb_free(v);
    return 1;
}

static int rk_multi_get(void *p, int n, const char *const *keys)
{
    rk_h *h = p;
    size_t klens[MULTIGET_BATCH], vlens[MULTIGET_BATCH];
    char *vals[MULTIGET_BATCH], *errs[MULTIGET_BATCH];
    int found = 0;
    for (int i = 0; i < MULTIGET_BATCH; i++) klens[i] = KEY_SIZE;
    rocksdb_multi_get(h->db, h->ro, (size_t)n, keys, klens, vals, vlens, errs);
    for (int i = 0; i < n; i++) {
        rk_check(errs[i], "multi_get");
        if (vals[i]) {
            found++;
            rocksdb_free(vals[i]);
        }
    }
    return found;
}

static void rk_delete_range(void *p, const char *lo, const char *hi, uint64_t n)
{
    rk_h *h = p;
    char *err = NULL;
    rocksdb_writebatch_t *b = rocksdb_writebatch_create();
    rocksdb_writebatch_delete_range(b, lo, KEY_SIZE, hi, KEY_SIZE);
    rocksdb_write(h->db, h->wo, b, &err);
    rocksdb_writebatch_destroy(b);
    rk_check(err, "delete_range");
}

static void *rk_iter_new(void *p)
{
    rk_h *h = p;
    return rocksdb_create_iterator(h->db, h->ro);
}
static void rk_iter_free(void *it)
{
    char *err = NULL;
    rocksdb_iter_get_error(it, &err);
    rk_check(err, "iterator");
    rocksdb_iter_destroy(it);
}
static void rk_seek(void *it, const char *k)
{
    rocksdb_iter_seek(it, k, KEY_SIZE);
}
static void rk_seek_first(void *it)
{
    rocksdb_iter_seek_to_first(it);
}
static int rk_valid(void *it)
{
    return rocksdb_iter_valid(it);
}
static void rk_next(void *it)
{
    rocksdb_iter_next(it);
}

/* ---- LevelDB ---- */

typedef struct lv_h {
    leveldb_t *db;
    leveldb_options_t *opt;
    leveldb_cache_t *cache;
    leveldb_filterpolicy_t *filter;
    leveldb_writeoptions_t *wo, *wo_sync;
    leveldb_readoptions_t *ro;
} lv_h;

static void lv_check(char *err, const char *what)
{
    if (err) bench_die("leveldb", "%s: %s", what, err);
}

static void *lv_open(const char *dir)
{
    lv_h *h = calloc(1, sizeof *h);
    if (!h) bench_die("leveldb", "out of memory");
    h->opt = leveldb_options_create();
    leveldb_options_set_create_if_missing(h->opt, 1);
    leveldb_options_set_write_buffer_size(h->opt, WRITE_BUFFER);
    leveldb_options_set_compression(h->opt, leveldb_no_compression);
    leveldb_options_set_block_size(h->opt, BLOCK_BYTES);
    h->cache = leveldb_cache_create_lru(CACHE_BYTES);
    leveldb_options_set_cache(h->opt, h->cache);
    h->filter = leveldb_filterpolicy_create_bloom(BLOOM_BITS);
    leveldb_options_set_filter_policy(h->opt, h->filter);
    char *err = NULL;
    h->db = leveldb_open(h->opt, dir, &err);
    lv_check(err, "open");
    h->wo = leveldb_writeoptions_create();
    h->wo_sync = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(h->wo_sync, 1);
    h->ro = leveldb_readoptions_create();
    return h;
}

static void lv_close(void *p)
{
    lv_h *h = p;
    leveldb_close(h->db);
    leveldb_writeoptions_destroy(h->wo);
    leveldb_writeoptions_destroy(h->wo_sync);
    leveldb_readoptions_destroy(h->ro);
    leveldb_options_destroy(h->opt);
    leveldb_cache_destroy(h->cache);
    leveldb_filterpolicy_destroy(h->filter);
    free(h);
}

/* LevelDB has no flush call; reopening writes the log into an L0 table (see reopen_cold). */
static void lv_flush(void *p)
{
    (void)p;
}

static void lv_put(void *p, const char *k, const char *v, int sync)
{
    lv_h *h = p;
    char *err = NULL;
    leveldb_put(h->db, sync ? h->wo_sync : h->wo, k, KEY_SIZE, v, VALUE_SIZE, &err);
    lv_check(err, "put");
}

static int lv_get(void *p, const char *k)
{
    lv_h *h = p;
    char *err = NULL;
    size_t vl;
    char *v = leveldb_get(h->db, h->ro, k, KEY_SIZE, &vl, &err);
    lv_check(err, "get");
    if (!v) return 0;
    leveldb_free(v);
    return 1;
}

/* LevelDB has no multi-get: a loop of gets. */
static int lv_multi_get(void *p, int n, const char *const *keys)
{
    int found = 0;
    for (int i = 0; i < n; i++) found += lv_get(p, keys[i]);
    return found;
}

/* LevelDB has no range delete: one delete per key, in batches of 1000. */
static void lv_delete_range(void *p, const char *lo, const char *hi, uint64_t n)
{
    lv_h *h = p;
    char *err = NULL;
    char k[KEY_SIZE];
    leveldb_writebatch_t *b = leveldb_writebatch_create();
    for (uint64_t i = 0; i < n; i++) {
        make_key(k, i);
        leveldb_writebatch_delete(b, k, KEY_SIZE);
        if ((i + 1) % 1000 == 0 || i + 1 == n) {
            leveldb_write(h->db, h->wo, b, &err);
            lv_check(err, "delete");
            leveldb_writebatch_clear(b);
        }
    }
    leveldb_writebatch_destroy(b);
}

static void *lv_iter_new(void *p)
{
    lv_h *h = p;
    return leveldb_create_iterator(h->db, h->ro);
}
static void lv_iter_free(void *it)
{
    char *err = NULL;
    leveldb_iter_get_error(it, &err);
    lv_check(err, "iterator");
    leveldb_iter_destroy(it);
}
static void lv_seek(void *it, const char *k)
{
    leveldb_iter_seek(it, k, KEY_SIZE);
}
static void lv_seek_first(void *it)
{
    leveldb_iter_seek_to_first(it);
}
static int lv_valid(void *it)
{
    return leveldb_iter_valid(it);
}
static void lv_next(void *it)
{
    leveldb_iter_next(it);
}

static const kv_engine engines[] = {
    {"strata", st_open, st_close, st_flush, st_put, st_get, st_multi_get, st_delete_range,
     st_iter_new, st_iter_free, st_seek, st_seek_first, st_valid, st_next, st_stats, st_scan_all},
    {"rocksdb", rk_open, rk_close, rk_flush, rk_put, rk_get, rk_multi_get, rk_delete_range,
     rk_iter_new, rk_iter_free, rk_seek, rk_seek_first, rk_valid, rk_next, NULL, NULL},
    {"leveldb", lv_open, lv_close, lv_flush, lv_put, lv_get, lv_multi_get, lv_delete_range,
     lv_iter_new, lv_iter_free, lv_seek, lv_seek_first, lv_valid, lv_next, NULL, NULL},
};
#define NENGINES ((int)(sizeof engines / sizeof engines[0]))

/* ------------------------------------------------------------------ workloads */

typedef struct run {
    const kv_engine *e;
    const bench_config *cfg;
    char dir[4096];
    void *h;
    int full;    /* the database holds keys 0..num-1 */
    char *value; /* VALUE_SIZE * 1024 bytes of random value data */
    uint64_t rng;
} run;

typedef struct kv_workload {
    const char *name;
    const char *help;
    void (*fn)(run *r);
} kv_workload;

static const char *value_at(run *r, uint64_t i)
{
    return r->value + (i % 1024) * VALUE_SIZE;
}

static void fresh_db(run *r)
{
    if (r->h) r->e->close(r->h);
    bench_rmrf(r->dir);
    r->h = r->e->open(r->dir);
    r->full = 0;
}

/* Makes every key live in SST files (flush; then close and open once, so that recovery writes
 * what is left in the log into a table), closes, drops the OS page cache of the db's files, and
 * opens again with an empty block cache. */
static void reopen_cold(run *r)
{
    r->e->flush(r->h);
    r->e->close(r->h);
    r->h = r->e->open(r->dir);
    r->e->close(r->h);
    drop_page_cache(r->dir);
    r->h = r->e->open(r->dir);
}

static void load_seq(run *r)
{
    char k[KEY_SIZE];
    for (uint64_t i = 0; i < r->cfg->num; i++) {
        make_key(k, i);
        r->e->put(r->h, k, value_at(r, i), 0);
    }
    r->full = 1;
}

static void need_full(run *r)
{
    if (r->full) return;
    fresh_db(r);
    fprintf(stderr, "  %-10s (loading %llu keys, untimed)\n", r->e->name,
            (unsigned long long)r->cfg->num);
    load_seq(r);
}

static void w_fillseq(run *r)
{
    fresh_db(r);
    double t = bench_now();
    load_seq(r);
    bench_record("fillseq", r->e->name, (double)r->cfg->num, bench_now() - t);
}

/* A random permutation of 0..n-1 (Fisher-Yates), so fillrandom also leaves the full key set. */
static uint64_t *permutation(run *r, uint64_t n)
{
    uint64_t *p = malloc(n * sizeof *p);
    if (!p) bench_die(r->e->name, "out of memory");
    for (uint64_t i = 0; i < n; i++) p[i] = i;
    for (uint64_t i = n; i > 1; i--) {
        uint64_t j = bench_rand(&r->rng) % i, t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
    return p;
}

static void w_fillrandom(run *r)
{
    fresh_db(r);
    uint64_t n = r->cfg->num, *p = permutation(r, n);
    char k[KEY_SIZE];
    double t = bench_now();
    for (uint64_t i = 0; i < n; i++) {
        make_key(k, p[i]);
        r->e->put(r->h, k, value_at(r, p[i]), 0);
    }
    bench_record("fillrandom", r->e->name, (double)n, bench_now() - t);
    free(p);
    r->full = 1;
}

static void w_overwrite(run *r)
{
    need_full(r);
    uint64_t n = r->cfg->num;
    char k[KEY_SIZE];
    double t = bench_now();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t x = bench_rand(&r->rng) % n;
        make_key(k, x);
        r->e->put(r->h, k, value_at(r, x + 7), 0);
    }
    bench_record("overwrite", r->e->name, (double)n, bench_now() - t);
}

static void check_found(run *r, const char *w, uint64_t found, uint64_t expect)
{
    if (found != expect)
        bench_die(r->e->name, "%s: found %llu keys, expected %llu", w, (unsigned long long)found,
                  (unsigned long long)expect);
}

static void random_gets(run *r, const char *name)
{
    uint64_t n = r->cfg->reads, found = 0;
    char k[KEY_SIZE];
    double t = bench_now();
    for (uint64_t i = 0; i < n; i++) {
        make_key(k, bench_rand(&r->rng) % r->cfg->num);
        found += (uint64_t)r->e->get(r->h, k);
    }
    double secs = bench_now() - t;
    check_found(r, name, found, n);
    bench_record(name, r->e->name, (double)n, secs);
}

static void w_readrandom(run *r)
{
    need_full(r);
    /* warm: one untimed pass over a sample so the block cache and page cache hold the data */
    for (uint64_t i = 0; i < r->cfg->num; i += 7) {
        char k[KEY_SIZE];
        make_key(k, i);
        r->e->get(r->h, k);
    }
    random_gets(r, "readrandom");
}

static void w_readrandom_cold(run *r)
{
    need_full(r);
    reopen_cold(r);
    random_gets(r, "readrandom_cold");
}

static void w_multireadrandom(run *r)
{
    need_full(r);
    reopen_cold(r);
    uint64_t n = r->cfg->reads / MULTIGET_BATCH * MULTIGET_BATCH, found = 0;
    if (n == 0) n = MULTIGET_BATCH;
    char kbuf[MULTIGET_BATCH][KEY_SIZE];
    const char *keys[MULTIGET_BATCH];
    for (int i = 0; i < MULTIGET_BATCH; i++) keys[i] = kbuf[i];
    double t = bench_now();
    for (uint64_t i = 0; i < n; i += MULTIGET_BATCH) {
        for (int j = 0; j < MULTIGET_BATCH; j++)
            make_key(kbuf[j], bench_rand(&r->rng) % r->cfg->num);
        found += (uint64_t)r->e->multi_get(r->h, MULTIGET_BATCH, keys);
    }
    double secs = bench_now() - t;
    check_found(r, "multireadrandom", found, n);
    bench_record("multireadrandom", r->e->name, (double)n, secs);
}

static void w_seekrandom(run *r)
{
    need_full(r);
    uint64_t n = r->cfg->reads, got = 0;
    char k[KEY_SIZE];
    void *it = r->e->iter_new(r->h);
    double t = bench_now();
    for (uint64_t i = 0; i < n; i++) {
        make_key(k, bench_rand(&r->rng) % r->cfg->num);
        r->e->seek(it, k);
        for (int j = 0; j <= SEEK_NEXTS && r->e->valid(it); j++) {
            got++;
            if (j < SEEK_NEXTS) r->e->next(it);
        }
    }
    double secs = bench_now() - t;
    r->e->iter_free(it);
    if (got < n) bench_die(r->e->name, "seekrandom: only %llu keys seen", (unsigned long long)got);
    bench_record("seekrandom", r->e->name, (double)n, secs);
}

static uint64_t full_scan(run *r)
{
    uint64_t count = 0;
    void *it = r->e->iter_new(r->h);
    if (r->e->scan_all)
        count = r->e->scan_all(it);
    else
        for (r->e->seek_first(it); r->e->valid(it); r->e->next(it)) count++;
    r->e->iter_free(it);
    return count;
}

static void w_scan(run *r)
{
    need_full(r);
    double t = bench_now();
    uint64_t count = full_scan(r);
    double secs = bench_now() - t;
    check_found(r, "scan", count, r->cfg->num);
    bench_record("scan", r->e->name, (double)count, secs);
}

/* Times full scans (up to 1000 or 1 s: a scan of an empty range takes about a microsecond, so
 * fewer would measure the clock and one-time costs) and --reads random gets of keys in [0, n) on a
 * database that holds none of them; records "<label>.scan" (scans/s) and "<label>.get" (gets/s) and
 * returns the seconds per scan and per get. */
static void empty_reads(run *r, const char *label, uint64_t n, double *sec_per_scan,
                        double *sec_per_get)
{
    char name[64], k[KEY_SIZE];
    int scans = 0;
    double t = bench_now(), secs;
    snprintf(name, sizeof name, "%s.scan", label);
    do {
        check_found(r, name, full_scan(r), 0);
        scans++;
        secs = bench_now() - t;
    } while (scans < 1000 && secs < 1.0);
    bench_record(name, r->e->name, scans, secs);
    *sec_per_scan = secs / scans;

    uint64_t reads = r->cfg->reads, found = 0;
    snprintf(name, sizeof name, "%s.get", label);
    t = bench_now();
    for (uint64_t i = 0; i < reads; i++) {
        make_key(k, bench_rand(&r->rng) % n);
        found += (uint64_t)r->e->get(r->h, k);
    }
    secs = bench_now() - t;
    check_found(r, name, found, 0);
    bench_record(name, r->e->name, (double)reads, secs);
    *sec_per_get = secs / (double)(reads ? reads : 1);
}

static void w_deleterange(run *r)
{
    need_full(r);
    char lo[KEY_SIZE], hi[KEY_SIZE];
    uint64_t n = r->cfg->num;
    make_key(lo, 0);
    make_key(hi, n);
    double t = bench_now();
    r->e->delete_range(r->h, lo, hi, n);
    bench_record("deleterange.delete", r->e->name, (double)n, bench_now() - t);
    r->full = 0;

    double scan_del, get_del;
    empty_reads(r, "deleterange", n, &scan_del, &get_del);

    /* the same reads on a database that never held the keys: the yardstick is that a
     * tombstone costs reads at most 2x of what an empty database costs */
    fresh_db(r);
    double scan_empty, get_empty;
    empty_reads(r, "deleterange.empty", n, &scan_empty, &get_empty);
    r->full = 0;
    printf("  %-9s  deleterange: full scan %.2fx, get %.2fx the time of the same on an empty db\n",
           r->e->name, scan_del / scan_empty, get_del / get_empty);
}

static void w_fillsync(run *r)
{
    fresh_db(r);
    uint64_t n = FILLSYNC_WRITES;
    char k[KEY_SIZE];
    double t = bench_now();
    for (uint64_t i = 0; i < n; i++) {
        make_key(k, bench_rand(&r->rng) % r->cfg->num);
        r->e->put(r->h, k, value_at(r, i), 1);
    }
    bench_record("fillsync", r->e->name, (double)n, bench_now() - t);
    r->full = 0;
}

static const kv_workload kv_workloads[] = {
    {"fillseq", "write --num keys in key order to a new db", w_fillseq},
    {"fillrandom", "write --num keys in random order (a permutation) to a new db", w_fillrandom},
    {"overwrite", "write --num random existing keys (new values)", w_overwrite},
    {"readrandom", "--reads random gets of existing keys after a warm-up pass (warm caches)",
     w_readrandom},
    {"readrandom_cold",
     "--reads random gets after flush, close + reopen (empty block cache) and fdatasync + "
     "posix_fadvise(DONTNEED) on every db file (OS page cache dropped, device cache not); "
     "caches warm up again during the run",
     w_readrandom_cold},
    {"multireadrandom",
     "--reads random gets in batches of 32, cold as readrandom_cold (RocksDB rocksdb_multi_get; "
     "LevelDB has none: a loop of gets)",
     w_multireadrandom},
    {"seekrandom", "--reads seeks to a random key, each followed by 10 nexts (one iterator)",
     w_seekrandom},
    {"scan", "one full forward scan; ops = keys", w_scan},
    {"deleterange",
     "delete every key (one range tombstone; LevelDB: one delete per key), then time full scans "
     "of the emptied db and --reads gets, then the same on a db that never held the keys; rows "
     ".delete (keys/s), .scan (scans/s), .get, .empty.scan, .empty.get",
     w_deleterange},
    {"fillsync", "10,000 random writes, each synced (fdatasync) before it returns", w_fillsync},
};
#define NKV ((int)(sizeof kv_workloads / sizeof kv_workloads[0]))

static const char *default_workloads = "fillseq,fillrandom,overwrite,readrandom,readrandom_cold,"
                                       "multireadrandom,seekrandom,scan,deleterange,fillsync";

/* ------------------------------------------------------------------ driver */

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: strata-bench [--engines strata,rocksdb,leveldb,sqlite] [--workloads a,b,...]\n"
        "                    [--num N] [--reads N] [--csv FILE] [--dir DIR] [--seed S] [--stats]\n"
        "\n"
        "  --engines    comma list of strata, rocksdb, leveldb, sqlite (default all):\n"
        "               KV workloads run on strata, rocksdb, leveldb; SQL ones on strata, "
        "sqlite\n"
        "  --workloads  comma list (default: every KV workload); see below\n"
        "  --num N      keys / rows (default 1000000); keys 16 bytes, values 100 bytes\n"
        "  --reads N    point reads / seeks of the read workloads (default --num)\n"
        "  --csv FILE   also write rows workload,engine,ops_per_sec\n"
        "  --dir DIR    where the databases go (default /tmp/strata-bench); removed after\n"
        "  --seed S     PRNG seed (default 301)\n"
        "  --stats      print strata's kernel statistics after each KV workload\n"
        "\n"
        "Same settings for every KV engine: WAL on, no sync per write (but fillsync),\n"
        "64 MiB write buffer, 64 MiB block cache, 4 KiB blocks, bloom 10 bits/key,\n"
        "compression off at every level (LevelDB's C API has only snappy, strata only zstd).\n"
        "A read workload first loads the key set (fillseq, untimed) if the db lacks it.\n"
        "\nKV workloads:\n");
    for (int i = 0; i < NKV; i++)
        fprintf(f, "  %-16s %s\n", kv_workloads[i].name, kv_workloads[i].help);
    fprintf(f, "\nSQL workloads (table t(id BIGINT PRIMARY KEY, grp INT, val DOUBLE, name TEXT),"
               "\n--num rows, 100 groups; SQLite in WAL mode, synchronous=NORMAL):\n");
    bench_sql_help();
}

static int split(char *s, char **out, int max)
{
    int n = 0;
    for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
        if (*tok) out[n++] = tok;
    return n;
}

static const kv_workload *find_kv(const char *name)
{
    for (int i = 0; i < NKV; i++)
        if (!strcmp(kv_workloads[i].name, name)) return &kv_workloads[i];
    return NULL;
}

/* One aligned table for the rows of one kind (SQL or KV): ops/s per engine, then strata / peer. */
static void print_table(int sql)
{
    char seen[256][64];
    int nseen = 0;
    for (int i = 0; i < nresults && nseen < 256; i++) {
        if ((strncmp(results[i].workload, "sql_", 4) == 0) != sql) continue;
        int dup = 0;
        for (int j = 0; j < nseen; j++)
            if (!strcmp(seen[j], results[i].workload)) dup = 1;
        if (!dup) snprintf(seen[nseen++], 64, "%s", results[i].workload);
    }
    if (!nseen) return;
    const char *kv_cols[] = {"strata", "rocksdb", "leveldb"}, *sql_cols[] = {"strata", "sqlite"};
    const char **cols = sql ? sql_cols : kv_cols;
    int ncols = sql ? 2 : 3;
    printf("\n%-20s", sql ? "SQL workload" : "KV workload");
    for (int c = 0; c < ncols; c++) printf(" %14s", cols[c]);
    for (int c = 1; c < ncols; c++) {
        char h[32];
        snprintf(h, sizeof h, "strata/%s", cols[c]);
        printf(" %15s", h);
    }
    printf("\n");
    for (int i = 0; i < nseen; i++) {
        printf("%-20s", seen[i]);
        double st = find_result(seen[i], "strata");
        for (int c = 0; c < ncols; c++) {
            double v = find_result(seen[i], cols[c]);
            if (v < 0)
                printf(" %14s", "-");
            else
                printf(" %14.0f", v);
        }
        for (int c = 1; c < ncols; c++) {
            double v = find_result(seen[i], cols[c]);
            if (st < 0 || v <= 0)
                printf(" %15s", "-");
            else
                printf(" %14.2fx", st / v);
        }
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    char engines_arg[1024] = "strata,rocksdb,leveldb,sqlite", workloads_arg[4096];
    snprintf(workloads_arg, sizeof workloads_arg, "%s", default_workloads);
    const char *csv = NULL;
    bench_config cfg = {.num = 1000000, .reads = 0, .dir = "/tmp/strata-bench", .seed = 301};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--stats")) {
            opt_stats = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "strata-bench: %s: missing value or unknown option\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--engines")) {
            snprintf(engines_arg, sizeof engines_arg, "%s", v);
        } else if (!strcmp(a, "--workloads") || !strcmp(a, "--benchmarks")) {
            snprintf(workloads_arg, sizeof workloads_arg, "%s", v);
        } else if (!strcmp(a, "--num")) {
            cfg.num = strtoull(v, NULL, 10);
        } else if (!strcmp(a, "--reads")) {
            cfg.reads = strtoull(v, NULL, 10);
        } else if (!strcmp(a, "--csv")) {
            csv = v;
        } else if (!strcmp(a, "--dir")) {
            cfg.dir = v;
        } else if (!strcmp(a, "--seed")) {
            cfg.seed = strtoull(v, NULL, 10);
        } else {
            fprintf(stderr, "strata-bench: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (cfg.num == 0) {
        fprintf(stderr, "strata-bench: --num must be > 0\n");
        return 2;
    }
    if (cfg.reads == 0) cfg.reads = cfg.num;

    char *engs[16], *wls[64];
    int neng = split(engines_arg, engs, 16), nwl = split(workloads_arg, wls, 64);
    char *sqlw[64];
    int nsql = 0;
    for (int i = 0; i < nwl; i++) {
        if (find_kv(wls[i])) continue;
        if (bench_sql_is_workload(wls[i])) {
            sqlw[nsql++] = wls[i];
            continue;
        }
        fprintf(stderr, "strata-bench: unknown workload %s (see --help)\n", wls[i]);
        return 2;
    }
    for (int i = 0; i < neng; i++) {
        int known = 0;
        for (int j = 0; j < NENGINES; j++)
            if (!strcmp(engines[j].name, engs[i])) known = 1;
        if (!known && !bench_sql_has_engine(engs[i]) && strcmp(engs[i], "sqlite")) {
            fprintf(stderr, "strata-bench: unknown engine %s (see --help)\n", engs[i]);
            return 2;
        }
    }
    mkdir(cfg.dir, 0755);

    for (int ei = 0; ei < neng; ei++) {
        const kv_engine *e = NULL;
        for (int j = 0; j < NENGINES; j++)
            if (!strcmp(engines[j].name, engs[ei])) e = &engines[j];
        if (!e) continue;
        int any = 0;
        for (int i = 0; i < nwl; i++) any |= find_kv(wls[i]) != NULL;
        if (!any) break;
        run r = {.e = e, .cfg = &cfg, .rng = cfg.seed};
        snprintf(r.dir, sizeof r.dir, "%s/%s", cfg.dir, e->name);
        r.value = malloc(VALUE_SIZE * 1024);
        uint64_t vs = cfg.seed ^ 0x5eed;
        for (int i = 0; i < VALUE_SIZE * 1024; i++) r.value[i] = (char)('a' + bench_rand(&vs) % 26);
        fprintf(stderr, "%s:\n", e->name);
        for (int i = 0; i < nwl; i++) {
            const kv_workload *w = find_kv(wls[i]);
            if (!w) continue;
            w->fn(&r);
            if (opt_stats && e->stats && r.h) e->stats(r.h);
        }
        if (r.h) e->close(r.h);
        bench_rmrf(r.dir);
        free(r.value);
    }

    if (nsql) {
        /* SQL engines: strata and sqlite, those of them named in --engines */
        const char *sqleng[] = {"strata", "sqlite"};
        for (int i = 0; i < 2; i++) {
            int named = 0;
            for (int j = 0; j < neng; j++) named |= !strcmp(engs[j], sqleng[i]);
            if (!named) continue;
            if (!bench_sql_has_engine(sqleng[i])) {
                fprintf(stderr, "strata-bench: SQL engine %s not built in; skipped\n", sqleng[i]);
                continue;
            }
            bench_sql_run(&cfg, sqleng[i], sqlw, nsql);
        }
    }

    fflush(stderr);
    print_table(0);
    print_table(1);
    printf("(ops/s; ratio = strata ops/s / peer ops/s: > 1 means strata is faster)\n");
    if (csv) {
        FILE *f = fopen(csv, "w");
        if (!f) {
            fprintf(stderr, "strata-bench: %s: %s\n", csv, strerror(errno));
            return 1;
        }
        fprintf(f, "workload,engine,ops_per_sec\n");
        for (int i = 0; i < nresults; i++)
            fprintf(f, "%s,%s,%.1f\n", results[i].workload, results[i].engine,
                    results[i].ops_per_sec);
        fclose(f);
    }
    free(results);
    return 0;
}
