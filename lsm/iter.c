/* lsm/iter.c — the generic forward run of lsm/iter.h. */
#include "lsm/iter.h"

#include "lsm/dbformat.h"

int lsm_iter_run_generic(lsm_iter *it, st_slice limit, lsm_run_fn fn, void *ctx)
{
    while (lsm_iter_valid(it)) {
        st_slice k = lsm_iter_key(it);
        if (limit.p && ikey_cmp(k, limit) >= 0) return 0;
        int rc = fn(ctx, k, lsm_iter_value(it));
        if (rc) return rc;
        lsm_iter_next(it);
    }
    return 0;
}
