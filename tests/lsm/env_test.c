/* tests/lsm/env_test.c — the env backends: files, batches, metadata, locks, fault env. */
#include "lsm/env.h"
#include "test.h"

static void test_sync_roundtrip(void)
{
    char *dir = test_tmpdir("env_sync");
    strata_env *env = env_sync();
    char path[4096];
    snprintf(path, sizeof path, "%s/f", dir);
    CHECK_EQ_INT(env_write_file_sync(env, path, "hello", 5), STRATA_OK);
    uint8_t *d;
    size_t n;
    CHECK_EQ_INT(env_read_file(env, path, &d, &n), STRATA_OK);
    CHECK_MEM(d, n, "hello", 5);
    free(d);
    strata_file *l1, *l2;
    snprintf(path, sizeof path, "%s/LOCK", dir);
    CHECK_EQ_INT(env->lock(env, path, &l1), STRATA_OK);
    CHECK_EQ_INT(env->lock(env, path, &l2), STRATA_LOCKED);
    CHECK_EQ_INT(env->unlock(env, l1), STRATA_OK);
    test_rmdir(dir);
    free(dir);
}

TEST_MAIN(test_sync_roundtrip)
