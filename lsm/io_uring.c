/*
 * lsm/io_uring.c — the io_uring backend of lsm/env.h (placeholder: the probe reports the backend
 * as unavailable until the liburing data path lands, so env_uring() falls back to sync).
 */
#include "lsm/io_sync.h"

strata_env *io_uring_env_probe(const char **reason)
{
    *reason = "io_uring backend not built yet";
    return NULL;
}
