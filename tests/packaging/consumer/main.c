/*
 * tests/packaging/consumer/main.c — a program outside the strata tree that uses an installed
 * strata: opens a KV database in argv[1], writes a key, reads it back. Exit 0 on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strata_kv.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer DIR\n");
        return 2;
    }
    strata_kv *db = NULL;
    if (strata_kv_open(argv[1], NULL, &db) != STRATA_OK) {
        fprintf(stderr, "open %s: %s\n", argv[1], strata_kv_errmsg());
        return 1;
    }
    if (strata_kv_put(db, "hello", 5, "world", 5) != STRATA_OK) {
        fprintf(stderr, "put: %s\n", strata_kv_errmsg());
        return 1;
    }
    void *v = NULL;
    size_t n = 0;
    int rc = strata_kv_get(db, NULL, "hello", 5, &v, &n);
    if (rc != STRATA_OK || n != 5 || memcmp(v, "world", 5) != 0) {
        fprintf(stderr, "get: %s (%s)\n", strata_status_name(rc), strata_kv_errmsg());
        return 1;
    }
    strata_kv_free(v);
    if (strata_kv_close(db) != STRATA_OK) {
        fprintf(stderr, "close: %s\n", strata_kv_errmsg());
        return 1;
    }
    printf("consumer: ok\n");
    return 0;
}
