/*
 * util/arena.h — a bump allocator: many small allocations freed all at once.
 *
 * Blocks of `block_size` bytes (larger requests get a block of their own). Not thread-safe; the
 * memtable's skiplist serialises its inserts. arena_alloc never returns NULL: out of memory
 * aborts (an arena backs structures that cannot roll back half an insert).
 */
#ifndef STRATA_UTIL_ARENA_H
#define STRATA_UTIL_ARENA_H

#include <stddef.h>

typedef struct arena_block arena_block;

typedef struct arena {
    char *ptr;           /* next free byte in the current block */
    size_t left;         /* bytes left in the current block */
    size_t block_size;   /* default block size */
    size_t usage;        /* total bytes of all blocks */
    arena_block *blocks; /* every block, newest first */
} arena;

void arena_init(arena *a, size_t block_size);
void arena_destroy(arena *a);          /* frees every block */
void *arena_alloc(arena *a, size_t n); /* 8-byte aligned */
void *arena_alloc_aligned(arena *a, size_t n, size_t align);
char *arena_strndup(arena *a, const char *s, size_t n); /* NUL-terminated copy */
static inline size_t arena_usage(const arena *a)
{
    return a->usage;
}

#endif
