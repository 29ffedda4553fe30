/* tests/lsm/manifest_test.c — version edits (round trip, hostile bytes), manifest replay, a torn
 * manifest tail, a corrupt edit, CURRENT problems. */
#include "test.h"
#include "lsm/dbformat.h"
#include "lsm/version.h"
#include "lsm/wal.h"
#include "util/status.h"

static file_meta *mkfile(uint64_t num, const char *lo, const char *hi, uint64_t seq)
{
    uint8_t a[64], b[64];
    st_slice s = ikey_build(a, st_slice_make(lo, strlen(lo)), seq, KIND_PUT);
    st_slice l = ikey_build(b, st_slice_make(hi, strlen(hi)), seq, KIND_PUT);
    return file_meta_new(num, 1000 + num, s, l, seq, seq + 1, 0);
}

static void test_edit_roundtrip_and_hostile(void)
{
    version_edit e, d;
    ve_init(&e);
    e.has_log_number = 1;
    e.log_number = 7;
    e.has_last_seq = 1;
    e.last_seq = 12345;
    file_meta *f = mkfile(9, "apple", "pear", 5);
    ve_add_file(&e, 1, f);
    file_meta_unref(f);
    ve_delete_file(&e, 0, 3);
    uint8_t *buf;
    size_t n;
    REQUIRE(ve_encode(&e, &buf, &n) == STRATA_OK);
    REQUIRE(ve_decode(&d, buf, n) == STRATA_OK);
    CHECK(d.has_log_number && d.log_number == 7);
    CHECK(d.has_last_seq && d.last_seq == 12345);
    CHECK(!d.has_next_file);
    REQUIRE(d.nadded == 1);
    CHECK(d.added[0].level == 1 && d.added[0].f->number == 9 && d.added[0].f->size == 1009);
    CHECK(d.added[0].f->min_seq == 5 && d.added[0].f->max_seq == 6);
    CHECK(st_slice_eq(ikey_user(file_largest(d.added[0].f)), st_slice_make("pear", 4)));
    REQUIRE(d.ndeleted == 1);
    CHECK(d.deleted[0].level == 0 && d.deleted[0].number == 3);
    ve_clear(&d);
    /* every truncation decodes or fails cleanly; every byte flip too */
    for (size_t i = 0; i < n; i++) {
        int rc = ve_decode(&d, buf, i);
        CHECK(rc == STRATA_OK || rc == STRATA_CORRUPT);
        ve_clear(&d);
        uint8_t *cp = malloc(n);
        memcpy(cp, buf, n);
        cp[i] ^= 0x5a;
        rc = ve_decode(&d, cp, n);
        CHECK(rc == STRATA_OK || rc == STRATA_CORRUPT);
        ve_clear(&d);
        free(cp);
    }
    uint8_t bad_tag[] = {99, 1};
    CHECK_EQ_INT(ve_decode(&d, bad_tag, 2), STRATA_CORRUPT);
    uint8_t bad_level[] = {VE_DELETED_FILE, STRATA_KV_LEVELS, 1};
    CHECK_EQ_INT(ve_decode(&d, bad_level, 3), STRATA_CORRUPT);
    free(buf);
    ve_clear(&e);
}

static int open_set(version_set *vs, const char *dir)
{
    vset_init(vs, env_sync(), dir);
    return vset_recover(vs);
}

static char *manifest_path(version_set *vs)
{
    return db_filename(vs->dir, "MANIFEST", vs->manifest_number);
}

static void test_replay(void)
{
    char *dir = test_tmpdir("manifest_replay");
    version_set vs;
    CHECK_EQ_INT(open_set(&vs, dir), STRATA_NOTFOUND);
    REQUIRE(vset_new_manifest(&vs) == STRATA_OK);
    for (int i = 0; i < 5; i++) {
        version_edit e;
        ve_init(&e);
        char lo[8], hi[8];
        snprintf(lo, sizeof lo, "k%d0", i);
        snprintf(hi, sizeof hi, "k%d9", i);
        uint64_t num = vset_new_file_number(&vs);
        file_meta *f = mkfile(num, lo, hi, (uint64_t)i * 10 + 1);
        ve_add_file(&e, i < 3 ? 0 : 1, f);
        file_meta_unref(f);
        if (i == 4) ve_delete_file(&e, 0, vs.current->files[0][0]->number);
        vs.last_seq = (uint64_t)i * 10 + 2;
        REQUIRE(vset_log_and_apply(&vs, &e) == STRATA_OK);
        ve_clear(&e);
    }
    uint64_t next = vs.next_file;
    CHECK_EQ_INT(vs.current->nfiles[0], 2);
    CHECK_EQ_INT(vs.current->nfiles[1], 2);
    /* L0 newest first */
    CHECK(vs.current->files[0][0]->max_seq > vs.current->files[0][1]->max_seq);
    vset_destroy(&vs);

    version_set r;
    REQUIRE(open_set(&r, dir) == STRATA_OK);
    CHECK_EQ_INT(r.current->nfiles[0], 2);
    CHECK_EQ_INT(r.current->nfiles[1], 2);
    CHECK(r.last_seq == 42);
    CHECK(r.next_file >= next);
    /* torn tail: cut a few bytes off the manifest: the last edit is dropped, no error */
    char *mp = manifest_path(&r);
    vset_destroy(&r);
    struct stat st;
    REQUIRE(stat(mp, &st) == 0);
    REQUIRE(truncate(mp, st.st_size - 3) == 0);
    REQUIRE(open_set(&r, dir) == STRATA_OK);
    CHECK_EQ_INT(r.current->nfiles[0], 3); /* the deletion of edit 4 is gone */
    CHECK_EQ_INT(r.current->nfiles[1], 1);
    CHECK(r.last_seq == 32);
    vset_destroy(&r);
    free(mp);
    test_rmdir(dir);
    free(dir);
}

static void test_corrupt_edit(void)
{
    char *dir = test_tmpdir("manifest_corrupt");
    version_set vs;
    open_set(&vs, dir);
    REQUIRE(vset_new_manifest(&vs) == STRATA_OK);
    /* a well-framed log record whose payload is not a version edit */
    uint8_t junk[] = {VE_NEW_FILE, 0, 5, 0xff, 0xff, 0xff};
    REQUIRE(wal_writer_add(vs.manifest, junk, sizeof junk, 1) == STRATA_OK);
    vset_destroy(&vs);
    CHECK_EQ_INT(open_set(&vs, dir), STRATA_CORRUPT);
    CHECK(strstr(strata_kv_errmsg(), "MANIFEST") != NULL);
    vset_destroy(&vs);
    /* CURRENT naming a missing manifest */
    char cur[4200];
    snprintf(cur, sizeof cur, "%s/CURRENT", dir);
    FILE *f = fopen(cur, "w");
    fputs("MANIFEST-999999\n", f);
    fclose(f);
    CHECK_EQ_INT(open_set(&vs, dir), STRATA_CORRUPT);
    vset_destroy(&vs);
    f = fopen(cur, "w");
    fputs("garbage", f);
    fclose(f);
    CHECK_EQ_INT(open_set(&vs, dir), STRATA_CORRUPT);
    vset_destroy(&vs);
    test_rmdir(dir);
    free(dir);
}

static void test_filenames(void)
{
    uint64_t n;
    CHECK_EQ_INT(db_parse_filename("000012.sst", &n), DBF_SST);
    CHECK(n == 12);
    CHECK_EQ_INT(db_parse_filename("000013.log", &n), DBF_LOG);
    CHECK_EQ_INT(db_parse_filename("MANIFEST-000002", &n), DBF_MANIFEST);
    CHECK(n == 2);
    CHECK_EQ_INT(db_parse_filename("CURRENT", &n), DBF_CURRENT);
    CHECK_EQ_INT(db_parse_filename("LOCK", &n), DBF_LOCK);
    CHECK_EQ_INT(db_parse_filename("x.sst", &n), DBF_UNKNOWN);
    CHECK_EQ_INT(db_parse_filename("12.sstx", &n), DBF_UNKNOWN);
}

TEST_MAIN(test_edit_roundtrip_and_hostile, test_replay, test_corrupt_edit, test_filenames)
