/*
 * lsm/test_hooks.h — test-only entry points of the kernel (crash and fault tests).
 *
 * lsm_test_crash_close: ends a database as a kill would: stops the background thread (letting
 * its current step finish), then closes every file and frees memory WITHOUT flushing the
 * memtable, syncing the WAL or writing the manifest. What survives is exactly what the
 * kernel had made durable, which a fault env's drop_unsynced can then trim further.
 */
#ifndef STRATA_LSM_TEST_HOOKS_H
#define STRATA_LSM_TEST_HOOKS_H

#include "strata_kv.h"

int lsm_test_crash_close(strata_kv *db);

#endif
