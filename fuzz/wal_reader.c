/*
 * fuzz/wal_reader.c — libFuzzer target: arbitrary bytes parsed as a log (lsm/wal.h).
 *
 * wal_parse_buffer must answer STRATA_OK (clean end or torn tail) or STRATA_CORRUPT for every
 * input, never crash or read out of bounds. Invariants checked: the records handed out lie inside
 * the input, in order, without overlap; the dropped bytes plus the records' bytes account for
 * the whole input when the answer is STRATA_OK; and the answer does not change when the log is
 * parsed a second time.
 *
 * libstrata is built with coverage instrumentation when STRATA_FUZZ is on, so the reader is
 * taken from the library like every other target's code.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lsm/wal.h"
#include "lsm/wal_format.h"

typedef struct fctx {
    const uint8_t *data;
    size_t n;
    const uint8_t *next; /* where the next record's header must start */
    uint64_t bytes;      /* header + payload bytes of the records seen */
    size_t count;
} fctx;

static int on_rec(void *p, const uint8_t *rec, size_t len)
{
    fctx *c = p;
    /* a record lies inside the input, right after the previous one */
    if (rec < c->data + WAL_HEADER_SIZE || rec + len > c->data + c->n) abort();
    if (rec - WAL_HEADER_SIZE != c->next) abort();
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < len; i++) sink ^= rec[i]; /* touch every byte (ASan) */
    (void)sink;
    c->next = rec + len;
    c->bytes += WAL_HEADER_SIZE + len;
    c->count++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fctx c = {data, size, data, 0, 0};
    uint64_t dropped = 0;
    int rc = wal_parse_buffer(data, size, on_rec, &c, &dropped);
    if (rc != STRATA_OK && rc != STRATA_CORRUPT) abort();
    if (rc == STRATA_OK && c.bytes + dropped != size) abort();
    fctx c2 = {data, size, data, 0, 0};
    uint64_t dropped2 = 0;
    int rc2 = wal_parse_buffer(data, size, on_rec, &c2, &dropped2);
    if (rc2 != rc || c2.count != c.count || dropped2 != dropped) abort();
    return 0;
}
