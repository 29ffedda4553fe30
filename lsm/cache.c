/*
 * lsm/cache.c — the sharded CLOCK block cache (lsm/cache.h).
 *
 * CACHE_SHARDS shards chosen by the top bits of a hash of (file, offset); each has an
 * open-addressing hash table (cache_slot), a CLOCK ring of the entries it holds and a mutex. An
 * entry's refs counts the cache's own reference (while it is in the table) plus one per handle
 * given out; the entry (and its data) is freed when refs reaches 0, so an evicted entry stays valid
 * for whoever still holds a handle. Usage counts only entries in the table.
 *
 * CLOCK (second chance): a hit sets the entry's flag in a dense byte array beside the ring;
 * eviction sweeps the ring from the hand, clearing set flags and dropping the first entry whose
 * flag is clear. The sweep reads the flag array, not the entries (an LRU list under random reads
 * paid a cache miss on the tail entry and on each list neighbour it touched). A new entry takes
 * the place of the last one dropped, just behind the hand, so it gets a whole turn.
 *
 * Spares: the data buffer of an evicted entry is kept (the newest CACHE_SPARES a shard, within
 * a quarter of the shard's capacity) and handed out by block_cache_buffer for the next block
 * read that it fits, so a full cache under random reads does not pay a malloc and a free of a
 * block-sized buffer per miss (glibc serves those from its bins, not its thread cache).
 */
#include "lsm/cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

#define CACHE_SHARD_BITS 4
#define CACHE_SHARDS     (1 << CACHE_SHARD_BITS)
#define CACHE_SPARES     8
#define CACHE_BUF_ROUND  256 /* buffer sizes are rounded up to this: a spare fits most blocks */

struct cache_handle {
    uint64_t file, offset;
    void *data;
    size_t size;
    size_t cap;            /* bytes allocated at data when recyclable, else 0 */
    _Atomic uint32_t refs; /* changed under the shard lock, except by release */
    uint8_t embedded;      /* this handle lies in data's allocation, right after the block */
    size_t ring_i;         /* its place in the shard's ring, while cached */
};

/* A buffer from block_cache_buffer has room for the handle after the block: one allocation per
 * cached block, and the handle a lookup reads shares its cache line with the block's end, where
 * the restart array a block iterator reads first lies. */
#define HANDLE_ALIGN 16
#define HANDLE_ROOM  (sizeof(cache_handle) + HANDLE_ALIGN)

static size_t handle_at(size_t size)
{
    return (size + HANDLE_ALIGN - 1) / HANDLE_ALIGN * HANDLE_ALIGN;
}

/* A table slot holds the entry's hash beside the pointer: a probe compares hashes and reads
 * only the entry it finds (a chained table read every entry of the chain: a cache miss each,
 * 76% of block_cache_lookup's time under random reads). */
typedef struct cache_slot {
    uint64_t hash;
    cache_handle *e; /* NULL: empty */
} cache_slot;

typedef struct cache_shard {
    pthread_mutex_t mu;
    cache_slot *slots; /* open addressing, linear probing, at most half full */
    size_t nslots, count;
    cache_handle **ring; /* [0, ring_n): entries, NULL for a free place */
    uint8_t *rhit;       /* rhit[i]: ring[i] was used since the hand last passed it */
    uint64_t *rhash;     /* rhash[i]: ring[i]'s hash (its table slot, without reading it) */
    size_t *holes;       /* free places in [0, ring_n) */
    size_t ring_n, ring_cap, nholes, hand;
    size_t usage, capacity;
    uint64_t hits, misses;
    struct {
        void *p;
        size_t cap;
    } spare[CACHE_SPARES]; /* data buffers of evicted entries, for the next reads */
    int nspare;
    size_t spare_bytes; /* at most capacity / 4 */
} cache_shard;

struct block_cache {
    cache_shard shards[CACHE_SHARDS];
};

static uint64_t key_hash(uint64_t file, uint64_t offset)
{
    return st_hash_u64(st_hash_u64(file) ^ offset);
}

static cache_shard *shard_of(block_cache *c, uint64_t h)
{
    return &c->shards[h >> (64 - CACHE_SHARD_BITS)];
}

block_cache *block_cache_new(size_t capacity)
{
    block_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    for (int i = 0; i < CACHE_SHARDS; i++) {
        cache_shard *s = &c->shards[i];
        pthread_mutex_init(&s->mu, NULL);
        s->capacity = (capacity + CACHE_SHARDS - 1) / CACHE_SHARDS;
        s->nslots = 32;
        s->slots = calloc(s->nslots, sizeof *s->slots);
        if (!s->slots) {
            for (int j = 0; j <= i; j++) {
                free(c->shards[j].slots);
                pthread_mutex_destroy(&c->shards[j].mu);
            }
            free(c);
            return NULL;
        }
    }
    return c;
}

static void entry_free(cache_handle *e)
{
    void *data = e->data;
    int embedded = e->embedded;
    free(data);
    if (!embedded) free(e);
}

/* A spare fits a block of len bytes when it holds it without wasting more than a quarter. */
static int spare_fits(size_t cap, size_t len)
{
    len += HANDLE_ROOM;
    return cap >= len && cap <= len + len / 4 + CACHE_BUF_ROUND;
}

/* Frees e, keeping its data buffer as the newest spare; the oldest spares make room (so spares
 * that fit no block being read do not stay). Lock held. */
static void entry_recycle(cache_shard *s, cache_handle *e)
{
    if (e->cap && e->cap <= s->capacity / 4) {
        while (s->nspare == CACHE_SPARES || s->spare_bytes + e->cap > s->capacity / 4) {
            s->spare_bytes -= s->spare[0].cap;
            free(s->spare[0].p);
            memmove(&s->spare[0], &s->spare[1], (size_t)--s->nspare * sizeof s->spare[0]);
        }
        s->spare[s->nspare].p = e->data;
        s->spare[s->nspare++].cap = e->cap;
        s->spare_bytes += e->cap;
        if (!e->embedded) free(e); /* else it lies in the spare */
        return;
    }
    entry_free(e);
}

/* The newest spare that fits a block of len bytes, taken out of the spares; NULL if none. Lock
 * held. */
static void *take_spare(cache_shard *s, size_t len, size_t *cap)
{
    for (int i = s->nspare - 1; i >= 0; i--) {
        if (spare_fits(s->spare[i].cap, len)) {
            void *buf = s->spare[i].p;
            *cap = s->spare[i].cap;
            s->spare_bytes -= *cap;
            memmove(&s->spare[i], &s->spare[i + 1], (size_t)(--s->nspare - i) * sizeof s->spare[0]);
            return buf;
        }
    }
    return NULL;
}

static void *new_buffer(size_t len, size_t *cap)
{
    len += HANDLE_ROOM;
    *cap = (len + CACHE_BUF_ROUND - 1) / CACHE_BUF_ROUND * CACHE_BUF_ROUND;
    if (*cap == 0) *cap = CACHE_BUF_ROUND;
    void *buf = malloc(*cap);
    if (!buf) *cap = 0;
    return buf;
}

void *block_cache_buffer(block_cache *c, uint64_t file, uint64_t offset, size_t len, size_t *cap)
{
    cache_shard *s = shard_of(c, key_hash(file, offset));
    pthread_mutex_lock(&s->mu);
    void *buf = take_spare(s, len, cap);
    pthread_mutex_unlock(&s->mu);
    return buf ? buf : new_buffer(len, cap);
}

void block_cache_free(block_cache *c)
{
    if (!c) return;
    for (int i = 0; i < CACHE_SHARDS; i++) {
        cache_shard *s = &c->shards[i];
        for (size_t j = 0; j < s->ring_n; j++)
            if (s->ring[j]) entry_free(s->ring[j]);
        for (int j = 0; j < s->nspare; j++) free(s->spare[j].p);
        free(s->ring);
        free(s->rhit);
        free(s->rhash);
        free(s->holes);
        free(s->slots);
        pthread_mutex_destroy(&s->mu);
    }
    free(c);
}

/* The slot holding (file, offset), or the empty slot where it would go. */
static cache_slot *find_slot(cache_shard *s, uint64_t file, uint64_t offset, uint64_t h)
{
    size_t mask = s->nslots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        cache_slot *sl = &s->slots[i];
        if (!sl->e || (sl->hash == h && sl->e->file == file && sl->e->offset == offset)) return sl;
    }
}

/* Empties slot i, moving later entries of its probe run back so every entry stays reachable
 * from its home slot (backward-shift deletion). */
static void slot_delete(cache_shard *s, size_t i)
{
    size_t mask = s->nslots - 1;
    for (size_t j = (i + 1) & mask; s->slots[j].e; j = (j + 1) & mask) {
        size_t home = s->slots[j].hash & mask;
        /* the entry at j stays when its home lies cyclically in (i, j] */
        int stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays) continue;
        s->slots[i] = s->slots[j];
        i = j;
    }
    s->slots[i].e = NULL;
}

/* Room for one more place in the ring; 0 when out of memory. Lock held. */
static int ring_reserve(cache_shard *s)
{
    if (s->nholes || s->ring_n < s->ring_cap) return 1;
    size_t n = s->ring_cap ? s->ring_cap * 2 : 64;
    cache_handle **r = realloc(s->ring, n * sizeof *r);
    if (r) s->ring = r;
    uint8_t *h = realloc(s->rhit, n);
    if (h) s->rhit = h;
    uint64_t *rh = realloc(s->rhash, n * sizeof *rh);
    if (rh) s->rhash = rh;
    size_t *f = realloc(s->holes, n * sizeof *f);
    if (f) s->holes = f;
    if (!r || !h || !f || !rh) return 0;
    s->ring_cap = n;
    return 1;
}

/* Moves the hand to the entry the next eviction will drop (clearing flags on the way, as that
 * eviction would; a few steps at most) and starts loading that entry's handle and table slot,
 * which the eviction reads and writes: a cache miss each, otherwise paid in turn then. Lock
 * held. */
static void next_victim(cache_shard *s)
{
    for (int step = 0; step < 8 && s->ring_n; step++) {
        if (s->hand >= s->ring_n) s->hand = 0;
        size_t i = s->hand;
        if (s->ring[i] && !s->rhit[i]) {
            __builtin_prefetch(s->ring[i], 1);
            __builtin_prefetch(&s->slots[s->rhash[i] & (s->nslots - 1)], 1);
            return;
        }
        s->rhit[i] = 0;
        s->hand++;
    }
}

/* Removes e from the table and the ring and drops the cache's reference. Lock held. */
static void shard_remove(cache_shard *s, cache_handle *e)
{
    size_t mask = s->nslots - 1;
    for (size_t i = s->rhash[e->ring_i] & mask; s->slots[i].e; i = (i + 1) & mask) {
        if (s->slots[i].e == e) {
            slot_delete(s, i);
            break;
        }
    }
    s->ring[e->ring_i] = NULL;
    s->rhit[e->ring_i] = 0;
    s->holes[s->nholes++] = e->ring_i;
    s->count--;
    s->usage -= e->size;
    if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1) entry_recycle(s, e);
}

static void shard_grow(cache_shard *s)
{
    size_t n = s->nslots * 2, mask = n - 1;
    cache_slot *t = calloc(n, sizeof *t);
    if (!t) return; /* stay fuller (an insert needs one empty slot left) */
    for (size_t i = 0; i < s->nslots; i++) {
        if (!s->slots[i].e) continue;
        size_t j = s->slots[i].hash & mask;
        while (t[j].e) j = (j + 1) & mask;
        t[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = t;
    s->nslots = n;
}

/* A lookup; on a miss, when buf is not NULL, also the buffer to read the block into. */
static cache_handle *lookup(block_cache *c, uint64_t file, uint64_t offset, size_t len, void **buf,
                            size_t *cap)
{
    uint64_t h = key_hash(file, offset);
    cache_shard *s = shard_of(c, h);
    if (buf) *buf = NULL;
    pthread_mutex_lock(&s->mu);
    cache_handle *e = find_slot(s, file, offset, h)->e;
    if (e) {
        atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
        s->rhit[e->ring_i] = 1;
        s->hits++;
    } else {
        s->misses++;
        if (buf) *buf = take_spare(s, len, cap);
    }
    pthread_mutex_unlock(&s->mu);
    if (!e && buf && !*buf) *buf = new_buffer(len, cap);
    return e;
}

cache_handle *block_cache_lookup(block_cache *c, uint64_t file, uint64_t offset)
{
    return lookup(c, file, offset, 0, NULL, NULL);
}

cache_handle *block_cache_lookup_buffer(block_cache *c, uint64_t file, uint64_t offset, size_t len,
                                        void **buf, size_t *cap)
{
    return lookup(c, file, offset, len, buf, cap);
}

int block_cache_full(block_cache *c, uint64_t file, uint64_t offset, size_t size)
{
    cache_shard *s = shard_of(c, key_hash(file, offset));
    pthread_mutex_lock(&s->mu);
    int full = s->usage + size > s->capacity;
    pthread_mutex_unlock(&s->mu);
    return full;
}

cache_handle *block_cache_insert(block_cache *c, uint64_t file, uint64_t offset, void *data,
                                 size_t size, size_t cap)
{
    uint64_t h = key_hash(file, offset);
    cache_shard *s = shard_of(c, h);
    cache_handle *ne;
    int embedded = cap >= handle_at(size) + sizeof *ne;
    if (embedded) {
        ne = (cache_handle *)(void *)((uint8_t *)data + handle_at(size));
    } else if (!(ne = malloc(sizeof *ne))) {
        free(data);
        return NULL;
    }
    ne->embedded = (uint8_t)embedded;
    ne->file = file;
    ne->offset = offset;
    ne->data = data;
    ne->size = size;
    ne->cap = cap;
    atomic_init(&ne->refs, 1);
    ne->ring_i = 0;
    if (s->capacity == 0 || size > s->capacity) return ne; /* not cached */

    pthread_mutex_lock(&s->mu);
    if ((s->count + 1) * 2 > s->nslots) shard_grow(s);
    cache_slot *slot = find_slot(s, file, offset, h);
    if (slot->e) {
        cache_handle *e = slot->e;
        atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
        s->rhit[e->ring_i] = 1;
        pthread_mutex_unlock(&s->mu);
        entry_free(ne);
        return e;
    }
    /* no room left and no memory to grow: not cached */
    if (s->count + 2 > s->nslots || !ring_reserve(s)) {
        pthread_mutex_unlock(&s->mu);
        return ne;
    }
    /* make room first; terminates: a lap clears every flag, and no flag is set while we hold
     * the lock */
    size_t place;
    while (s->usage + size > s->capacity && s->count > 0) {
        if (s->hand >= s->ring_n) s->hand = 0;
        size_t i = s->hand++;
        if (!s->ring[i]) continue;
        if (s->rhit[i]) {
            s->rhit[i] = 0;
            continue;
        }
        shard_remove(s, s->ring[i]);
    }
    if (s->nholes) {
        /* the last place freed (just behind the hand when the loop above freed one) */
        place = s->holes[--s->nholes];
    } else {
        place = s->ring_n++;
    }
    slot = find_slot(s, file, offset, h);                      /* removals may have moved slots */
    atomic_store_explicit(&ne->refs, 2, memory_order_relaxed); /* the caller's and the cache's */
    ne->ring_i = place;
    s->ring[place] = ne;
    s->rhit[place] = 0;
    s->rhash[place] = h;
    slot->hash = h;
    slot->e = ne;
    s->count++;
    s->usage += size;
    next_victim(s);
    pthread_mutex_unlock(&s->mu);
    return ne;
}

/* Without the lock: the count reaches 0 here only after the cache dropped its own reference
 * (under the lock), so no lookup can find the entry any more. */
void block_cache_release(block_cache *c, cache_handle *h)
{
    (void)c;
    if (h && atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) == 1) entry_free(h);
}

const void *cache_handle_data(const cache_handle *h)
{
    return h->data;
}

size_t cache_handle_size(const cache_handle *h)
{
    return h->size;
}

void block_cache_erase_file(block_cache *c, uint64_t file)
{
    for (int i = 0; i < CACHE_SHARDS; i++) {
        cache_shard *s = &c->shards[i];
        pthread_mutex_lock(&s->mu);
        for (size_t j = 0; j < s->ring_n; j++)
            if (s->ring[j] && s->ring[j]->file == file) shard_remove(s, s->ring[j]);
        pthread_mutex_unlock(&s->mu);
    }
}

void block_cache_stats(block_cache *c, uint64_t *hits, uint64_t *misses, size_t *usage)
{
    uint64_t th = 0, tm = 0;
    size_t tu = 0;
    for (int i = 0; i < CACHE_SHARDS; i++) {
        cache_shard *s = &c->shards[i];
        pthread_mutex_lock(&s->mu);
        th += s->hits;
        tm += s->misses;
        tu += s->usage;
        pthread_mutex_unlock(&s->mu);
    }
    if (hits) *hits = th;
    if (misses) *misses = tm;
    if (usage) *usage = tu;
}
