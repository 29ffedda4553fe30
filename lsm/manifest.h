/*
 * lsm/manifest.h — the MANIFEST and CURRENT files (implemented in lsm/manifest.c; the functions
 * are declared with the version set in lsm/version.h: vset_recover, vset_new_manifest,
 * vset_log_and_apply).
 *
 * MANIFEST-NNNNNN is a log in the wal.h record format, one encoded version_edit per record;
 * the first record of a manifest is a snapshot of the whole version (every live file, log
 * number, next file number, last sequence). CURRENT holds "MANIFEST-NNNNNN\n" and is replaced
 * atomically: written to NNNNNN.dbtmp, fdatasync'd, renamed over CURRENT, directory synced.
 * Recovery reads CURRENT, replays every edit in order (a torn tail is dropped, as for the WAL;
 * a bad record before the tail, an undecodable edit or a CURRENT naming nothing sensible is
 * STRATA_CORRUPT).
 */
#ifndef STRATA_LSM_MANIFEST_H
#define STRATA_LSM_MANIFEST_H

#include "lsm/version.h"

#endif
