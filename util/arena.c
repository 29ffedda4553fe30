/* util/arena.c — see arena.h. */
#include "util/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_block {
    arena_block *next;
    size_t size;
    /* data follows, 16-byte aligned */
};

#define BLOCK_HDR ((sizeof(arena_block) + 15) & ~(size_t)15)

void arena_init(arena *a, size_t block_size)
{
    memset(a, 0, sizeof *a);
    a->block_size = block_size ? block_size : 4096;
}

void arena_destroy(arena *a)
{
    arena_block *b = a->blocks;
    while (b) {
        arena_block *n = b->next;
        free(b);
        b = n;
    }
    memset(a, 0, sizeof *a);
}

static char *new_block(arena *a, size_t n)
{
    arena_block *b = malloc(BLOCK_HDR + n);
    if (!b) {
        fprintf(stderr, "strata: out of memory allocating %zu bytes for an arena\n", n);
        abort();
    }
    b->size = n;
    b->next = a->blocks;
    a->blocks = b;
    a->usage += BLOCK_HDR + n;
    return (char *)b + BLOCK_HDR;
}

void *arena_alloc_aligned(arena *a, size_t n, size_t align)
{
    size_t pad = (align - ((uintptr_t)a->ptr & (align - 1))) & (align - 1);
    if (a->ptr && n + pad <= a->left) {
        char *p = a->ptr + pad;
        a->ptr = p + n;
        a->left -= n + pad;
        return p;
    }
    if (n > a->block_size / 4) /* big: its own block, keep the current one */
        return new_block(a, n + align);
    char *p = new_block(a, a->block_size);
    a->ptr = p + n;
    a->left = a->block_size - n;
    return p;
}

void *arena_alloc(arena *a, size_t n)
{
    return arena_alloc_aligned(a, n, 8);
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc_aligned(a, n + 1, 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}
