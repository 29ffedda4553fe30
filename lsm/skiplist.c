/* lsm/skiplist.c — see skiplist.h. */
#include "lsm/skiplist.h"

#include <string.h>

#include "lsm/dbformat.h"

struct sl_node {
    const uint8_t *key; /* ikey bytes, then value bytes */
    uint32_t klen;
    uint32_t vlen;
    _Atomic(sl_node *) next[]; /* height links */
};

static inline sl_node *node_next(sl_node *n, int level)
{
    return atomic_load_explicit(&n->next[level], memory_order_acquire);
}

static inline void node_set_next(sl_node *n, int level, sl_node *x)
{
    atomic_store_explicit(&n->next[level], x, memory_order_release);
}

static inline st_slice node_key(const sl_node *n)
{
    return st_slice_make(n->key, n->klen);
}

static sl_node *new_node(skiplist *s, int height, st_slice ikey, st_slice value)
{
    size_t hdr = sizeof(sl_node) + sizeof(_Atomic(sl_node *)) * (size_t)height;
    uint8_t *mem = arena_alloc(s->arena, hdr + ikey.n + value.n);
    sl_node *n = (sl_node *)mem;
    uint8_t *data = mem + hdr;
    if (ikey.n) memcpy(data, ikey.p, ikey.n);
    if (value.n) memcpy(data + ikey.n, value.p, value.n);
    n->key = data;
    n->klen = (uint32_t)ikey.n;
    n->vlen = (uint32_t)value.n;
    for (int i = 0; i < height; i++) atomic_init(&n->next[i], NULL);
    return n;
}

void sl_init(skiplist *s, arena *a)
{
    s->arena = a;
    s->rnd = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)s;
    atomic_init(&s->max_height, 1);
    s->head = new_node(s, SL_MAX_HEIGHT, st_slice_make(NULL, 0), st_slice_make(NULL, 0));
}

static int random_height(skiplist *s)
{
    int h = 1;
    while (h < SL_MAX_HEIGHT) {
        s->rnd ^= s->rnd << 13;
        s->rnd ^= s->rnd >> 7;
        s->rnd ^= s->rnd << 17;
        if ((s->rnd & 3) != 0) break; /* branching factor 4 */
        h++;
    }
    return h;
}

/* First node >= key; fills prev[level] with the last node < key per level when prev != NULL. */
static sl_node *find_ge(const skiplist *s, st_slice key, sl_node **prev)
{
    sl_node *x = s->head;
    sl_node *last_bigger = NULL; /* known >= key: no need to compare it again one level down */
    int level = atomic_load_explicit(&s->max_height, memory_order_relaxed) - 1;
    for (;;) {
        sl_node *next = node_next(x, level);
        if (next && next != last_bigger && ikey_cmp(node_key(next), key) < 0) {
            x = next;
        } else {
            if (prev) prev[level] = x;
            if (level == 0) return next;
            last_bigger = next;
            level--;
        }
    }
}

/* Last node < key, or head. */
static sl_node *find_lt(const skiplist *s, st_slice key)
{
    sl_node *x = s->head;
    int level = atomic_load_explicit(&s->max_height, memory_order_relaxed) - 1;
    for (;;) {
        sl_node *next = node_next(x, level);
        if (next && ikey_cmp(node_key(next), key) < 0) {
            x = next;
        } else {
            if (level == 0) return x;
            level--;
        }
    }
}

static sl_node *find_last(const skiplist *s)
{
    sl_node *x = s->head;
    int level = atomic_load_explicit(&s->max_height, memory_order_relaxed) - 1;
    for (;;) {
        sl_node *next = node_next(x, level);
        if (next) {
            x = next;
        } else {
            if (level == 0) return x;
            level--;
        }
    }
}

void sl_insert(skiplist *s, st_slice ikey, st_slice value)
{
    sl_node *prev[SL_MAX_HEIGHT];
    find_ge(s, ikey, prev);
    int height = random_height(s);
    int maxh = atomic_load_explicit(&s->max_height, memory_order_relaxed);
    if (height > maxh) {
        for (int i = maxh; i < height; i++) prev[i] = s->head;
        /* Readers seeing the new height before the links find NULL at head: fine. */
        atomic_store_explicit(&s->max_height, height, memory_order_relaxed);
    }
    sl_node *x = new_node(s, height, ikey, value);
    for (int i = 0; i < height; i++) {
        atomic_store_explicit(&x->next[i], node_next(prev[i], i), memory_order_relaxed);
        node_set_next(prev[i], i, x);
    }
}

void sl_iter_init(sl_iter *it, const skiplist *s)
{
    it->list = s;
    it->node = NULL;
}

st_slice sl_iter_key(const sl_iter *it)
{
    return node_key(it->node);
}

st_slice sl_iter_value(const sl_iter *it)
{
    return st_slice_make(it->node->key + it->node->klen, it->node->vlen);
}

void sl_iter_next(sl_iter *it)
{
    sl_node *n = node_next(it->node, 0);
    it->node = n;
    /* A scan visits nodes in key order, which is not allocation order (SQL keys are hash-
     * partitioned by vnode): every node is a cache miss. Start loading the one after n now so
     * that miss overlaps the caller's work on n. */
    if (n) {
        sl_node *nn = node_next(n, 0);
        if (nn) {
            __builtin_prefetch(nn);
            __builtin_prefetch((const char *)nn + 64);
        }
    }
}

void sl_iter_prev(sl_iter *it)
{
    sl_node *x = find_lt(it->list, node_key(it->node));
    it->node = x == it->list->head ? NULL : x;
}

void sl_iter_seek(sl_iter *it, st_slice ikey)
{
    /* a seek at or before the first key (reads of older data while newer keys are being
     * appended) is answered by the first node: one comparison instead of a descent whose every
     * step is a cache miss */
    sl_node *first = node_next(it->list->head, 0);
    if (!first || ikey_cmp(node_key(first), ikey) >= 0) {
        it->node = first;
        return;
    }
    it->node = find_ge(it->list, ikey, NULL);
}

void sl_iter_seek_for_prev(sl_iter *it, st_slice ikey)
{
    sl_node *x = find_ge(it->list, ikey, NULL);
    if (x && ikey_cmp(node_key(x), ikey) == 0) {
        it->node = x;
        return;
    }
    x = find_lt(it->list, ikey);
    it->node = x == it->list->head ? NULL : x;
}

void sl_iter_seek_to_first(sl_iter *it)
{
    it->node = node_next(it->list->head, 0);
}

void sl_iter_seek_to_last(sl_iter *it)
{
    sl_node *x = find_last(it->list);
    it->node = x == it->list->head ? NULL : x;
}

sl_node *sl_node_next(const sl_node *n)
{
    return node_next((sl_node *)n, 0);
}

#define SL_GATHER_LEVEL   2  /* stretches start at nodes taller than this: about one in 16 */
#define SL_GATHER_LANES   16 /* pointer chases in flight */
#define SL_GATHER_STRETCH 64 /* stretches per call */
#define SL_GATHER_CAP     64 /* nodes a stretch may hold; a longer one is cut there */

size_t sl_gather(const sl_iter *it, sl_entry *out, size_t max)
{
    sl_node *c = it->node;
    if (!c || max == 0) return 0;
    const skiplist *s = it->list;
    int level = atomic_load_explicit(&s->max_height, memory_order_relaxed) - 1;
    size_t n = 0;
    if (level < SL_GATHER_LEVEL || max < 2 * SL_GATHER_CAP) {
        for (; c && n < max; c = node_next(c, 0))
            out[n++] = (sl_entry){c, node_key(c), st_slice_make(c->key + c->klen, c->vlen)};
        return n;
    }
    /* the first node at level SL_GATHER_LEVEL that is >= c */
    st_slice key = node_key(c);
    sl_node *x = s->head;
    for (;;) {
        sl_node *next = node_next(x, level);
        if (next && next != c && ikey_cmp(node_key(next), key) < 0) {
            x = next;
        } else if (level == SL_GATHER_LEVEL) {
            break;
        } else {
            level--;
        }
    }
    /* stretch j is [start[j], start[j + 1]); start[nst] NULL: the last runs to the end */
    sl_node *start[SL_GATHER_STRETCH + 1];
    size_t nst = 0;
    sl_node *b = node_next(x, SL_GATHER_LEVEL);
    if (b == c) b = node_next(c, SL_GATHER_LEVEL);
    start[nst++] = c;
    while (nst < SL_GATHER_STRETCH && b && nst * 16 < max) {
        start[nst++] = b;
        b = node_next(b, SL_GATHER_LEVEL);
    }
    start[nst] = b;
    /* each lane walks one stretch at a time and takes the next one when done, so the misses
     * of SL_GATHER_LANES walks overlap until the last stretches */
    static _Thread_local sl_node *buf[SL_GATHER_STRETCH][SL_GATHER_CAP];
    size_t cnt[SL_GATHER_STRETCH];
    uint8_t cut[SL_GATHER_STRETCH];
    sl_node *cur[SL_GATHER_LANES];
    size_t st[SL_GATHER_LANES];
    size_t lanes = 0, next_st = 0, active;
    for (; lanes < SL_GATHER_LANES && next_st < nst; lanes++, next_st++) {
        st[lanes] = next_st;
        cur[lanes] = start[next_st];
        cnt[next_st] = 0;
    }
    active = lanes;
    while (active) {
        for (size_t l = 0; l < lanes; l++) {
            size_t j = st[l];
            if (j == SIZE_MAX) continue;
            sl_node *p = cur[l];
            if (!p || p == start[j + 1] || cnt[j] == SL_GATHER_CAP) {
                cut[j] = p && p != start[j + 1];
                if (next_st < nst) {
                    st[l] = next_st;
                    cur[l] = start[next_st];
                    cnt[next_st++] = 0;
                } else {
                    st[l] = SIZE_MAX;
                    active--;
                }
                continue;
            }
            buf[j][cnt[j]++] = p;
            /* the key and value bytes follow the links: their lines too, for the reader */
            __builtin_prefetch(p->key + p->klen);
            sl_node *q = node_next(p, 0);
            if (q) __builtin_prefetch(q);
            cur[l] = q;
        }
    }
    for (size_t j = 0; j < nst && n < max; j++) {
        for (size_t i = 0; i < cnt[j] && n < max; i++) {
            sl_node *p = buf[j][i];
            out[n++] = (sl_entry){p, node_key(p), st_slice_make(p->key + p->klen, p->vlen)};
        }
        if (cut[j]) break; /* what follows is not contiguous */
    }
    return n;
}
