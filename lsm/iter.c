/* lsm/iter.c — the generic forward batch of lsm/iter.h. */
#include "lsm/iter.h"

#include "lsm/dbformat.h"

size_t lsm_iter_next_batch_generic(lsm_iter *it, st_slice limit, size_t max, lsm_batch *b)
{
    b->n = 0;
    if (max == 0 || !lsm_iter_valid(it)) return 0;
    st_slice k = lsm_iter_key(it);
    if (limit.p && ikey_cmp(k, limit) >= 0) return 0;
    b->key[0] = k;
    b->val[0] = lsm_iter_value(it);
    b->n = 1;
    return 1;
}
