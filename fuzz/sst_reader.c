/*
 * fuzz/sst_reader.c — libFuzzer target: arbitrary bytes as an SST file. Opens it, iterates
 * forward and backward, seeks, runs gets and a multi-get; nothing may crash, leak or read out
 * of bounds, and every failure must be a status code. Seeds: fuzz/corpus/sst_reader/ (small
 * valid tables, raw and zstd).
 *
 * Each input runs twice: as given (mostly stopped by the checksums), then "repaired": the magic,
 * version and every checksum the harness can find (footer, meta blocks, data blocks named by a
 * raw index block) are recomputed, so mutated contents reach the block, index, filter,
 * range-del and properties decoders.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lsm/block_reader.h"
#include "lsm/env.h"
#include "lsm/sst.h"
#include "lsm/sst_format.h"
#include "util/hash.h"

static char path[4096];

static void exercise(sst_reader *r, block_cache *cache, const uint8_t *data, size_t size)
{
    sst_iter_options io = {1, 2};
    lsm_iter *it = sst_reader_iter(r, &io);
    if (!it) return;
    size_t n = 0;
    for (lsm_iter_seek_to_first(it); lsm_iter_valid(it) && n < 100000; lsm_iter_next(it)) n++;
    for (lsm_iter_seek_to_last(it); lsm_iter_valid(it) && n < 200000; lsm_iter_prev(it)) n++;
    /* forward batches (the scan path), with a limit taken from the input */
    static lsm_batch b;
    st_slice limit = size >= 12 ? st_slice_make(data + size - 12, 12) : st_slice_make(NULL, 0);
    lsm_iter_seek_to_first(it);
    for (int rounds = 0; rounds < 100000 && lsm_iter_valid(it); rounds++) {
        size_t got = lsm_iter_next_batch(it, limit, 1 + (size_t)rounds % LSM_BATCH_MAX, &b);
        for (size_t i = 0; i < got; i++) n += b.key[i].n + b.val[i].n;
        if (got == 0) break;
        lsm_iter_next(it);
    }
    /* keys taken from the input itself */
    for (size_t i = 0; i + 12 <= size && i < 64; i += 12) {
        st_slice k = st_slice_make(data + i, 12);
        lsm_iter_seek(it, k);
        if (lsm_iter_valid(it)) lsm_iter_prev(it);
        lsm_iter_seek_for_prev(it, k);
        if (lsm_iter_valid(it)) lsm_iter_next(it);
        int kind;
        uint64_t seq;
        uint8_t *val = NULL;
        size_t vlen;
        if (sst_reader_get(r, st_slice_make(data + i, 4), SEQ_MAX, &kind, &seq, &val, &vlen) ==
            STRATA_OK)
            free(val);
        sst_block_ref ref;
        if (sst_reader_locate(r, st_slice_make(data + i, 4), &ref) == STRATA_OK) {
            strata_env *env = env_sync();
            uint8_t *raw = NULL;
            size_t got = 0;
            if (!ref.cached && ref.len < (1u << 24)) {
                raw = malloc(ref.len ? ref.len : 1);
                env->pread(env, sst_reader_file(r), raw, ref.len, ref.offset, &got);
            }
            val = NULL;
            if (sst_reader_get_in_block(r, &ref, raw, got, st_slice_make(data + i, 4), 100, &kind,
                                        &seq, &val, &vlen) == STRATA_OK)
                free(val);
            free(raw);
            block_cache_release(cache, ref.cached);
        }
    }
    lsm_iter_destroy(it);
    size_t nrd;
    const range_tombstone *t = sst_reader_range_dels(r, &nrd);
    for (size_t i = 0; i < nrd; i++) n += t[i].start.n + t[i].end.n;
    (void)n;
}

static void fix_block(uint8_t *d, size_t size, uint64_t off, uint64_t len)
{
    if (off > size || len > size - off || len < SST_BLOCK_TRAILER) return;
    put_le32(d + off + len - 4, st_checksum32(d + off, (size_t)len - 4));
}

static void repair(uint8_t *d, size_t size)
{
    if (size < SST_FOOTER_SIZE) return;
    uint8_t *f = d + size - SST_FOOTER_SIZE;
    size_t limit = size - SST_FOOTER_SIZE;
    put_le64(f + SST_FOOTER_MAGIC, SST_MAGIC);
    put_le32(f + SST_FOOTER_VERSION, SST_FORMAT_VERSION);
    int fields[] = {SST_FOOTER_INDEX, SST_FOOTER_FILTER, SST_FOOTER_RANGE_DEL, SST_FOOTER_PROPS};
    for (int i = 0; i < 4; i++)
        fix_block(d, limit, get_le64(f + fields[i]), get_le64(f + fields[i] + 8));
    uint64_t ioff = get_le64(f + SST_FOOTER_INDEX), ilen = get_le64(f + SST_FOOTER_INDEX + 8);
    if (ioff <= limit && ilen <= limit - ioff && ilen >= SST_BLOCK_TRAILER &&
        d[ioff + ilen - SST_BLOCK_TRAILER] == SST_BLOCK_RAW) {
        block_iter it;
        block_iter_init(&it);
        block_iter_reset(&it, d + ioff, (size_t)ilen - SST_BLOCK_TRAILER);
        for (block_iter_seek_to_first(&it); block_iter_valid(&it); block_iter_next(&it)) {
            uint64_t off, len;
            const uint8_t *p = it.value.p, *end = p + it.value.n;
            if ((p = get_varint64(p, end, &off)) && get_varint64(p, end, &len))
                fix_block(d, ioff, off, len);
        }
        block_iter_destroy(&it);
    }
    put_le32(f + SST_FOOTER_CHECKSUM, st_checksum32(f, SST_FOOTER_CKSUM));
}

static void run(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        const char *base = getenv("STRATA_TEST_TMP");
        if (!base || !*base) base = "/tmp";
        snprintf(path, sizeof path, "%s/fuzz_sst_reader.%d.sst", base, (int)getpid());
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    close(fd);
    strata_env *env = env_sync();
    block_cache *cache = block_cache_new(1 << 20);
    for (int pass = 0; pass < 2; pass++) { /* without, then with the cache */
        sst_reader *r;
        if (sst_reader_open(env, path, 1, pass ? cache : NULL, &r) == STRATA_OK) {
            exercise(r, pass ? cache : NULL, data, size);
            exercise(r, pass ? cache : NULL, data, size); /* second time: cache hits */
            sst_reader_close(r);
        }
    }
    block_cache_free(cache);
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    if (size) memcpy(copy, data, size);
    repair(copy, size);
    run(copy, size);
    free(copy);
    return 0;
}
