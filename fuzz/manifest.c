/* fuzz/manifest.c — libFuzzer target: a hostile MANIFEST recovered by strata_kv_open.
 *
 * The input is a list of records, each [len u16 LE][len bytes] (a short tail is one last
 * record); each is appended to MANIFEST-000001 with the log writer (so the checksums are right
 * and the bytes reach ve_decode and the version set), CURRENT names that manifest, and the
 * directory also holds 000005.sst .. 000007.sst: copies of one real table (keys k000..k099), so
 * an edit may name real files with metadata that lies about them (levels, key ranges, sizes,
 * sequences). strata_kv_open must then fail with an error or open a database on which reads,
 * an iterator, a write, a flush and a compaction return errors or results, never crash, leak
 * or over-read. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lsm/env.h"
#include "lsm/wal.h"
#include "strata_kv.h"

static char g_dir[512];
static uint8_t *g_sst;
static size_t g_sst_len;

static void die(const char *what)
{
    fprintf(stderr, "manifest: %s: %s\n", what, strata_kv_errmsg());
    abort();
}

static void options(strata_kv_options *o)
{
    strata_kv_options_init(o);
    o->write_buffer_size = 64 << 10;
    o->target_file_size = 64 << 10;
    o->block_cache_size = 64 << 10;
    o->io_backend = STRATA_KV_IO_SYNC;
    o->sync_mode = STRATA_KV_SYNC_OFF;
    o->background_compaction = 0;
}

static void write_file(const char *name, const void *p, size_t n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) die(path);
}

/* Builds one real table in g_dir and keeps its bytes. */
static void make_template(void)
{
    strata_kv_options o;
    options(&o);
    strata_kv *db;
    strata_kv_destroy(g_dir);
    if (strata_kv_open(g_dir, &o, &db) != STRATA_OK) die("template open");
    for (int i = 0; i < 100; i++) {
        char k[8], v[16];
        snprintf(k, sizeof k, "k%03d", i);
        snprintf(v, sizeof v, "value-%d", i);
        if (strata_kv_put(db, k, 4, v, strlen(v)) != STRATA_OK) die("template put");
    }
    if (strata_kv_delete_range(db, "k010", 4, "k020", 4) != STRATA_OK) die("template range");
    if (strata_kv_flush(db) != STRATA_OK || strata_kv_close(db) != STRATA_OK) die("template");
    DIR *d = opendir(g_dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".sst")) {
            char path[800];
            snprintf(path, sizeof path, "%s/%s", g_dir, e->d_name);
            if (env_read_file(env_sync(), path, &g_sst, &g_sst_len) != STRATA_OK) die(path);
            break;
        }
    }
    if (d) closedir(d);
    if (!g_sst) die("template: no table file");
    strata_kv_destroy(g_dir);
}

static void cleanup(void)
{
    strata_kv_destroy(g_dir);
    free(g_sst);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *base = getenv("STRATA_TEST_TMP");
    snprintf(g_dir, sizeof g_dir, "%s/manifest.%d", base && *base ? base : "/tmp", (int)getpid());
    make_template();
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strata_kv_destroy(g_dir);
    if (env_sync()->mkdir(env_sync(), g_dir) != STRATA_OK) die("mkdir");
    char path[600];
    snprintf(path, sizeof path, "%s/MANIFEST-000001", g_dir);
    wal_writer *w = NULL;
    if (wal_writer_open(env_sync(), path, &w) != STRATA_OK) die("manifest writer");
    size_t i = 0;
    while (i < size) {
        size_t n = size - i >= 2 ? (size_t)(data[i] | data[i + 1] << 8) : 0;
        i += size - i >= 2 ? 2 : size - i;
        if (n > size - i) n = size - i;
        if (wal_writer_add(w, data + i, n, WAL_NOSYNC) != STRATA_OK) die("manifest add");
        i += n;
    }
    if (wal_writer_close(w) != STRATA_OK) die("manifest close");
    write_file("CURRENT", "MANIFEST-000001\n", 16);
    write_file("000005.sst", g_sst, g_sst_len);
    write_file("000006.sst", g_sst, g_sst_len);
    write_file("000007.sst", g_sst, g_sst_len);

    strata_kv_options o;
    options(&o);
    o.create_if_missing = 0;
    strata_kv *db = NULL;
    int verbose = getenv("STRATA_FUZZ_VERBOSE") != NULL; /* for writing seeds */
    if (strata_kv_open(g_dir, &o, &db) != STRATA_OK) {   /* an error is a fine answer */
        if (verbose) fprintf(stderr, "open: %s\n", strata_kv_errmsg());
        return 0;
    }
    void *v = NULL;
    size_t vl = 0;
    if (strata_kv_get(db, NULL, "k050", 4, &v, &vl) == STRATA_OK) strata_kv_free(v);
    strata_kv_iter *it = strata_kv_iter_new(db, NULL);
    if (it) {
        int steps = 0;
        for (strata_kv_iter_seek_to_first(it); strata_kv_iter_valid(it) && steps < 300; steps++)
            strata_kv_iter_next(it);
        strata_kv_iter_seek_for_prev(it, "k015", 4);
        if (strata_kv_iter_valid(it)) strata_kv_iter_prev(it);
        int st = strata_kv_iter_status(it);
        if (verbose) fprintf(stderr, "iterator: %d keys, status %d\n", steps, st);
        strata_kv_iter_free(it);
    }
    if (strata_kv_put(db, "k055", 4, "new", 3) == STRATA_OK) (void)strata_kv_flush(db);
    (void)strata_kv_compact_range(db, NULL, 0, NULL, 0);
    if (strata_kv_get(db, NULL, "k099", 4, &v, &vl) == STRATA_OK) strata_kv_free(v);
    strata_kv_close(db);
    return 0;
}
