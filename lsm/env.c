/*
 * lsm/env.c — choosing an env (io_uring, sync, fallback) and whole-file helpers.
 *
 * env_uring() probes io_uring once per process (pthread_once): when the ring can be set up it
 * returns the io_uring env; otherwise it returns a sync env whose fallback_reason says why, and
 * prints "strata: io_uring unavailable (<reason>); using pread/pwrite" once on stderr.
 * env_default() is env_uring() unless STRATA_IO=sync is set in the environment, in which case it
 * returns a sync env with fallback_reason "forced by STRATA_IO=sync" (nothing is printed).
 * All returned envs are process-wide statics: never destroyed, safe to share between threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsm/io_sync.h"
#include "util/status.h"

static pthread_once_t uring_once = PTHREAD_ONCE_INIT;
static strata_env *uring_choice;
static strata_env fallback_env; /* a copy of the sync env, with fallback_reason */
static char fallback_reason[256];

static void uring_probe(void)
{
    const char *reason = NULL;
    strata_env *e = io_uring_env_probe(&reason);
    if (e) {
        uring_choice = e;
        return;
    }
    snprintf(fallback_reason, sizeof fallback_reason, "%s", reason ? reason : "unknown reason");
    fallback_env = *env_sync();
    fallback_env.fallback_reason = fallback_reason;
    uring_choice = &fallback_env;
    fprintf(stderr, "strata: io_uring unavailable (%s); using pread/pwrite\n", fallback_reason);
}

strata_env *env_uring(void)
{
    pthread_once(&uring_once, uring_probe);
    return uring_choice;
}

static pthread_once_t forced_once = PTHREAD_ONCE_INIT;
static strata_env forced_env;

static void forced_init(void)
{
    forced_env = *env_sync();
    forced_env.fallback_reason = "forced by STRATA_IO=sync";
}

strata_env *env_default(void)
{
    const char *io = getenv("STRATA_IO");
    if (io && strcmp(io, "sync") == 0) {
        pthread_once(&forced_once, forced_init);
        return &forced_env;
    }
    return env_uring();
}

strata_env *env_for_backend(int io_backend)
{
    switch (io_backend) {
    case STRATA_KV_IO_URING:
        return env_uring();
    case STRATA_KV_IO_SYNC:
        return env_sync();
    case STRATA_KV_IO_DEFAULT:
    default: /* option validation is the caller's; an unknown value gets the default */
        return env_default();
    }
}

int env_read_file(strata_env *env, const char *path, uint8_t **data, size_t *n)
{
    *data = NULL;
    *n = 0;
    strata_file *f;
    int rc = env->open(env, path, ENV_READ, &f);
    if (rc != STRATA_OK) return rc;
    uint64_t size;
    rc = env->size(env, f, &size);
    if (rc != STRATA_OK) goto out;
    if (size > (uint64_t)SIZE_MAX - 1) {
        rc = st_error(STRATA_TOOBIG, "read %s: file of %llu bytes is too big", path,
                      (unsigned long long)size);
        goto out;
    }
    uint8_t *buf = malloc((size_t)size + 1);
    if (!buf) {
        rc = st_error(STRATA_NOMEM, "read %s: out of memory for %llu bytes", path,
                      (unsigned long long)size);
        goto out;
    }
    size_t got = 0;
    rc = env->pread(env, f, buf, (size_t)size, 0, &got);
    if (rc != STRATA_OK) {
        free(buf);
        goto out;
    }
    buf[got] = 0; /* convenience for text files; not counted in *n */
    *data = buf;
    *n = got;
out:
    env->close(env, f);
    return rc;
}

int env_write_file_sync(strata_env *env, const char *path, const void *data, size_t n)
{
    strata_file *f;
    int rc = env->open(env, path, ENV_WRITE | ENV_CREATE | ENV_TRUNCATE, &f);
    if (rc != STRATA_OK) return rc;
    rc = env->pwrite_sync(env, f, data, n, 0);
    int rc2 = env->close(env, f);
    return rc != STRATA_OK ? rc : rc2;
}
