/* fuzz/sql_parse.c — libFuzzer target: arbitrary bytes through the tokenizer and the grammar.
 * Every statement of the input is parsed in turn and printed back; nothing may crash, leak
 * (ASan's leak checker) or read out of bounds, whatever the input holds (NUL bytes included).
 * A statement that parses must print to text that parses again to the same text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/ast.h"
#include "strata_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sql_parse p;
    sql_parse_init(&p);
    const char *z = (const char *)data;
    size_t pos = 0;
    for (int i = 0; i < 64 && pos < size; i++) {
        sql_stmt *st = NULL;
        size_t next = 0;
        int rc = sql_parse_next(&p, z, size, pos, &st, &next);
        if (rc != STRATA_OK) {
            if (p.msg[0] == 0) abort(); /* every error says what and where */
            break;
        }
        if (!st) break;
        if (next <= pos || next > size) abort();
        char *text = sql_stmt_to_string(st);
        /* the printed form re-parses to itself */
        sql_parse q;
        sql_parse_init(&q);
        sql_stmt *st2 = NULL;
        size_t next2 = 0;
        if (sql_parse_next(&q, text, strlen(text), 0, &st2, &next2) == STRATA_OK && st2) {
            char *text2 = sql_stmt_to_string(st2);
            if (strcmp(text, text2) != 0) {
                fprintf(stderr, "reprint differs:\n%s\n%s\n", text, text2);
                abort();
            }
            free(text2);
        }
        sql_parse_destroy(&q);
        free(text);
        pos = next;
    }
    sql_parse_destroy(&p);
    return 0;
}
