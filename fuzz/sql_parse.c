/* fuzz/sql_parse.c — libFuzzer target: arbitrary bytes through the SQL front end.
 *
 * 1. Tokenizer + grammar: every statement of the input is parsed in turn and printed back;
 *    nothing may crash, leak (ASan's leak checker) or read out of bounds, whatever the input
 *    holds (NUL bytes included). A statement that parses must print to text that parses again
 *    to the same text.
 * 2. Binder: the input (up to its first NUL) is prepared statement by statement against a small
 *    database opened once (three tables, two namespaces, a view); SELECTs are also run (the
 *    tables are empty, so runs are short). DDL and DML are only prepared, never run, so every
 *    input sees the same catalog. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sql/ast.h"
#include "strata.h"
#include "strata_status.h"

static strata_db *db;
static strata_conn *conn;

static void setup(void)
{
    char dir[256];
    const char *base = getenv("STRATA_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/fuzz_sql_parse.%d", base && *base ? base : "/tmp", (int)getpid());
    if (strata_open(dir, NULL, &db) != STRATA_OK || strata_connect(db, &conn) != STRATA_OK) {
        fprintf(stderr, "fuzz_sql_parse: cannot open %s: %s\n", dir, strata_open_errmsg());
        abort();
    }
    static const char *ddl =
        "CREATE TABLE IF NOT EXISTS t (a BIGINT PRIMARY KEY, b TEXT, c DOUBLE);"
        "CREATE TABLE IF NOT EXISTS u (x INT, y BOOLEAN, z TIMESTAMP, w BLOB);"
        "CREATE NAMESPACE IF NOT EXISTS ns;"
        "CREATE TABLE IF NOT EXISTS ns.t (k TEXT PRIMARY KEY, v BIGINT);"
        "CREATE VIEW IF NOT EXISTS vw AS SELECT a, b FROM t WHERE a > 0;";
    if (strata_exec(conn, ddl, NULL, NULL) != STRATA_OK) {
        fprintf(stderr, "fuzz_sql_parse: setup: %s\n", strata_errmsg(conn));
        abort();
    }
}

static void parse_and_print(const char *z, size_t size)
{
    sql_parse p;
    sql_parse_init(&p);
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
}

static void prepare_and_run(const char *sql)
{
    const char *p = sql;
    for (int i = 0; i < 16 && *p; i++) {
        strata_stmt *s = NULL;
        const char *tail = NULL;
        int rc = strata_prepare(conn, p, &s, &tail);
        if (rc != STRATA_OK) {
            if (!strata_errmsg(conn)[0]) abort();
            break;
        }
        if (!s) break;
        const char *head = p;
        while (*head == ' ' || *head == '\n' || *head == '\t' || *head == ';') head++;
        int is_query = strncasecmp(head, "SELECT", 6) == 0 || strncasecmp(head, "VALUES", 6) == 0;
        if (is_query) {
            for (int k = 0; k < 1000 && strata_step(s) == STRATA_ROW; k++) {
                for (int c = 0; c < strata_column_count(s); c++) (void)strata_column_text(s, c);
            }
        }
        strata_finalize(s);
        if (tail <= p) break;
        p = tail;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db) setup();
    parse_and_print((const char *)data, size);
    if (size > 4096) return 0;
    char *sql = malloc(size + 1);
    if (!sql) return 0;
    memcpy(sql, data, size);
    sql[size] = 0;
    prepare_and_run(sql);
    free(sql);
    return 0;
}
