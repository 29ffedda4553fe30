/* tests/sql/parse_test.c — the tokenizer and the grammar: statements parse to the right tree
 * (printed back as fully parenthesised SQL), and bad input gives the right error with its line,
 * column and token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "sql/ast.h"
#include "sql/tokenize.h"
#include "strata_status.h"
#include "test.h"

/* Parses every statement of sql; returns them printed, joined by "; ", or "ERROR <code>: msg". */
static char *parse_all(const char *sql)
{
    static char out[65536];
    sql_parse p;
    sql_parse_init(&p);
    size_t pos = 0, n = strlen(sql);
    out[0] = 0;
    while (pos < n) {
        sql_stmt *st = NULL;
        size_t next = 0;
        int rc = sql_parse_next(&p, sql, n, pos, &st, &next);
        if (rc != STRATA_OK) {
            snprintf(out, sizeof out, "ERROR %s: %s", strata_status_name(rc), p.msg);
            break;
        }
        if (!st) break;
        char *s = sql_stmt_to_string(st);
        if (out[0]) strcat(out, "; ");
        strncat(out, s, sizeof out - strlen(out) - 1);
        free(s);
        CHECK(next > pos);
        pos = next;
    }
    sql_parse_destroy(&p);
    return out;
}

#define PARSES(sql, want) CHECK_EQ_STR(parse_all(sql), want)

static void test_tokenizer(void)
{
    const char *sql = "SELECT \"Quoted\"\"x\", `b`, 'it''s', x'0aFF', 12, 1.5e3, .5, 0x1F, ?\n"
                      "  -- comment\n  /* block */ a||b <= >= <> != == < > = %;";
    int want[] = {
        TK_SELECT, TK_ID,       TK_COMMA, TK_ID,     TK_COMMA, TK_STRING, TK_COMMA, TK_BLOB,
        TK_COMMA,  TK_INTEGER,  TK_COMMA, TK_FLOAT,  TK_COMMA, TK_FLOAT,  TK_COMMA, TK_INTEGER,
        TK_COMMA,  TK_QUESTION, TK_ID,    TK_CONCAT, TK_ID,    TK_LE,     TK_GE,    TK_NE,
        TK_NE,     TK_EQ,       TK_LT,    TK_GT,     TK_EQ,    TK_REM,    TK_SEMI,  0};
    sql_lexer lx;
    sql_lexer_init(&lx, sql, strlen(sql));
    sql_token t;
    int i = 0, tk;
    uint32_t a_line = 0, a_col = 0;
    do {
        do tk = sql_lex(&lx, &t);
        while (tk == SQL_TK_SPACE);
        CHECK_EQ_INT(tk, want[i]);
        if (tk == TK_ID && t.n == 1 && t.p[0] == 'a') {
            a_line = t.line;
            a_col = t.col;
        }
        i++;
    } while (tk != 0 && i < (int)(sizeof want / sizeof want[0]));
    CHECK_EQ_INT(a_line, 3);
    CHECK_EQ_INT(a_col, 15);

    /* keywords are case-insensitive; non-keywords are IDs */
    CHECK_EQ_INT(sql_keyword_code("select", 6), TK_SELECT);
    CHECK_EQ_INT(sql_keyword_code("SeLeCt", 6), TK_SELECT);
    CHECK_EQ_INT(sql_keyword_code("selects", 7), 0);
    CHECK_EQ_INT(sql_keyword_code("namespaces", 10), TK_NAMESPACES);
    CHECK_EQ_INT(sql_keyword_code("", 0), 0);

    /* bad tokens */
    const char *bad[] = {"'abc", "\"abc", "x'abc'", "x'zz'", "12abc", "#", "!", "^"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        sql_lexer_init(&lx, bad[k], strlen(bad[k]));
        CHECK_EQ_INT(sql_lex(&lx, &t), SQL_TK_ILLEGAL);
    }
}

static void test_select_shapes(void)
{
    PARSES("select 1", "SELECT 1");
    PARSES("SELECT a, b AS x, c y FROM t", "SELECT a, b AS x, c AS y FROM t");
    PARSES("SELECT 1 + 2 * 3 - 4 / 2 % 3", "SELECT ((1 + (2 * 3)) - ((4 / 2) % 3))");
    /* bitwise: below + -, above comparison, one left-associative level; ~ binds tightest */
    PARSES("SELECT 1 << 2 + 1 & ~3 | 4 >> 1 < 5",
           "SELECT (((((1 << (2 + 1)) & (~ 3)) | 4) >> 1) < 5)");
    PARSES("SELECT a||b LIKE c ESCAPE '!'", "SELECT ((a || b) LIKE c ESCAPE '!')");
    PARSES("SELECT a || b || c", "SELECT ((a || b) || c)");
    PARSES("SELECT NOT a = 1 AND b OR c", "SELECT (((NOT (a = 1)) AND b) OR c)");
    PARSES("SELECT a < b = c", "SELECT ((a < b) = c)");
    PARSES("SELECT -a * b, +c, - - 3", "SELECT ((- a) * b), (+ c), 3");
    PARSES("SELECT -9223372036854775808, 9223372036854775807",
           "SELECT -9223372036854775808, 9223372036854775807");
    PARSES("SELECT 9223372036854775808", "SELECT 9.2233720368547758e+18");
    PARSES("SELECT 'it''s', x'00fF', TRUE, false, NULL, 2.5, 0x10",
           "SELECT 'it''s', X'00FF', TRUE, FALSE, NULL, 2.5, 16");
    PARSES("SELECT a IS NULL, a IS NOT NULL, a IS b, a IS NOT b",
           "SELECT (a IS NULL), (a IS NOT NULL), (a IS b), (a IS NOT b)");
    PARSES("SELECT a BETWEEN 1 AND 2 AND b NOT BETWEEN c AND d",
           "SELECT ((a BETWEEN 1 AND 2) AND (b NOT BETWEEN c AND d))");
    PARSES("SELECT a IN (1, 2), b NOT IN (SELECT x FROM u), c IN ()",
           "SELECT (a IN (1, 2)), (b NOT IN (SELECT x FROM u)), (c IN ())");
    PARSES("SELECT a LIKE 'x%', b NOT LIKE 'y' ESCAPE '!'",
           "SELECT (a LIKE 'x%'), (b NOT LIKE 'y' ESCAPE '!')");
    PARSES("SELECT CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END, CASE x WHEN 1 THEN 'a' END",
           "SELECT CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END, CASE x WHEN 1 THEN 'a' END");
    PARSES("SELECT CAST(a AS integer), CAST(b AS VARCHAR(20)), cast(c as double precision)",
           "SELECT CAST(a AS INT), CAST(b AS TEXT), CAST(c AS DOUBLE)");
    PARSES("SELECT EXISTS (SELECT 1), NOT EXISTS(SELECT 2), (SELECT max(x) FROM u)",
           "SELECT EXISTS (SELECT 1), NOT EXISTS (SELECT 2), (SELECT max(x) FROM u)");
    PARSES("SELECT count(*), COUNT(DISTINCT a), Sum(b), f()",
           "SELECT count(*), count(DISTINCT a), sum(b), f()");
    PARSES("SELECT *, t.*, ns.t.c, t.c FROM ns.t", "SELECT *, t.*, ns.t.c, t.c FROM ns.t");
    PARSES("SELECT \"MixedCase\", MixedCase FROM \"T\"",
           "SELECT \"MixedCase\", mixedcase FROM \"T\"");
    PARSES("SELECT ?, ?, a = ?", "SELECT ?1, ?2, (a = ?3)");
    PARSES("SELECT DISTINCT a FROM t WHERE a > 1 GROUP BY a, b HAVING count(*) > 2 "
           "ORDER BY 1 DESC, b ASC NULLS FIRST, c NULLS LAST LIMIT 10 OFFSET 5",
           "SELECT DISTINCT a FROM t WHERE (a > 1) GROUP BY a, b HAVING (count(*) > 2) "
           "ORDER BY 1 DESC, b NULLS FIRST, c NULLS LAST LIMIT 10 OFFSET 5");
    PARSES("SELECT a FROM t LIMIT 5, 10", "SELECT a FROM t LIMIT 10 OFFSET 5");
}

static void test_from_and_compound(void)
{
    PARSES("SELECT * FROM a, b AS x, c y", "SELECT * FROM a, b AS x, c AS y");
    PARSES("SELECT * FROM a CROSS JOIN b JOIN c ON a.x = c.x LEFT JOIN d ON d.y = 1 "
           "INNER JOIN e ON TRUE LEFT OUTER JOIN f ON 1",
           "SELECT * FROM a CROSS JOIN b JOIN c ON (a.x = c.x) LEFT JOIN d ON (d.y = 1) "
           "JOIN e ON TRUE LEFT JOIN f ON 1");
    PARSES("SELECT * FROM (SELECT 1 AS x) AS s, (VALUES (1), (2)) v",
           "SELECT * FROM (SELECT 1 AS x) AS s, (VALUES (1), (2)) AS v");
    PARSES("SELECT 1 UNION SELECT 2 UNION ALL SELECT 3 INTERSECT SELECT 4 EXCEPT SELECT 5 "
           "ORDER BY 1 LIMIT 2",
           "SELECT 1 UNION SELECT 2 UNION ALL SELECT 3 INTERSECT SELECT 4 EXCEPT SELECT 5 "
           "ORDER BY 1 LIMIT 2");
    PARSES("VALUES (1, 'a'), (2, 'b')", "VALUES (1, 'a'), (2, 'b')");
    /* a parenthesised join is flattened where that is exact */
    PARSES("SELECT 1 FROM ( t AS a CROSS JOIN t AS b ), (u JOIN v ON u.x = v.x)",
           "SELECT 1 FROM t AS a CROSS JOIN t AS b, u JOIN v ON (u.x = v.x)");
    PARSES("SELECT 1 FROM x JOIN (a, b) ON x.k = b.k",
           "ERROR STRATA_NOTSUP: a parenthesised join after JOIN ... ON is not supported at "
           "line 1, column 36");
    /* a correlated subquery */
    PARSES("SELECT a FROM t1 WHERE b > (SELECT avg(b) FROM t1 AS x WHERE x.c = t1.c)",
           "SELECT a FROM t1 WHERE (b > (SELECT avg(b) FROM t1 AS x WHERE (x.c = t1.c)))");
}

static void test_ddl_dml(void)
{
    PARSES("CREATE NAMESPACE app; create namespace if not exists app2; DROP NAMESPACE app; "
           "DROP NAMESPACE IF EXISTS app2 CASCADE; USE app; SHOW NAMESPACES; SHOW TABLES; "
           "SHOW TABLES IN app",
           "CREATE NAMESPACE app; CREATE NAMESPACE IF NOT EXISTS app2; DROP NAMESPACE app; "
           "DROP NAMESPACE IF EXISTS app2 CASCADE; USE app; SHOW NAMESPACES; SHOW TABLES; "
           "SHOW TABLES IN app");
    PARSES("CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(30) NOT NULL DEFAULT 'x', "
           "v DOUBLE DEFAULT -1.5, w INT DEFAULT (1 + 2), b BOOLEAN NULL)",
           "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x', "
           "v DOUBLE DEFAULT -1.5, w INT DEFAULT (1 + 2), b BOOLEAN)");
    PARSES("CREATE SHARED TABLE IF NOT EXISTS app.t (a INT, b TEXT, PRIMARY KEY (a, b)) "
           "WITH (vnodes = 16, format = csv, path = '/x', refreshable = true)",
           "CREATE SHARED TABLE IF NOT EXISTS app.t (a INT, b TEXT, PRIMARY KEY (a, b)) "
           "WITH (vnodes = 16, format = csv, path = '/x', refreshable = TRUE)");
    PARSES("CREATE TABLE e (at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)",
           "CREATE TABLE e (at TIMESTAMP NOT NULL DEFAULT current_timestamp)");
    PARSES("CREATE USER TABLE m (id BIGINT PRIMARY KEY, body TEXT)",
           "CREATE USER TABLE m (id BIGINT PRIMARY KEY, body TEXT)");
    PARSES("DROP TABLE t; DROP TABLE IF EXISTS app.t; TRUNCATE TABLE t; TRUNCATE u; "
           "DESCRIBE app.t; REFRESH TABLE t; EXPLAIN SELECT 1",
           "DROP TABLE t; DROP TABLE IF EXISTS app.t; TRUNCATE TABLE t; TRUNCATE TABLE u; "
           "DESCRIBE app.t; REFRESH TABLE t; EXPLAIN SELECT 1");
    PARSES("INSERT INTO t VALUES (1, 'a'), (2, 'b')", "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
    PARSES("INSERT INTO app.t (a, b) SELECT x, y FROM u WHERE x > 0",
           "INSERT INTO app.t (a, b) SELECT x, y FROM u WHERE (x > 0)");
    PARSES("INSERT INTO t (id, v) VALUES (1, 2) ON CONFLICT (id) DO NOTHING",
           "INSERT INTO t (id, v) VALUES (1, 2) ON CONFLICT (id) DO NOTHING");
    PARSES("INSERT INTO t VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET v = excluded.v, w = 3",
           "INSERT INTO t VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET v = excluded.v, w = 3");
    PARSES("INSERT INTO t SELECT * FROM a JOIN b ON a.x = b.x ON CONFLICT DO NOTHING",
           "INSERT INTO t SELECT * FROM a JOIN b ON (a.x = b.x) ON CONFLICT DO NOTHING");
    PARSES("UPDATE t SET a = a + 1, b = 'x' WHERE id = 3; DELETE FROM t; DELETE FROM ns.t "
           "WHERE a IS NULL",
           "UPDATE t SET a = (a + 1), b = 'x' WHERE (id = 3); DELETE FROM t; DELETE FROM ns.t "
           "WHERE (a IS NULL)");
    PARSES("CREATE TEMP VIEW v AS SELECT 1; CREATE temporary VIEW w AS SELECT 2",
           "CREATE VIEW v AS SELECT 1; CREATE VIEW w AS SELECT 2");
    PARSES("CREATE VIEW v AS SELECT 1; CREATE VIEW IF NOT EXISTS v2 (a) AS SELECT x FROM t; "
           "DROP VIEW v; DROP VIEW IF EXISTS v2",
           "CREATE VIEW v AS SELECT 1; CREATE VIEW IF NOT EXISTS v2 (a) AS SELECT x FROM t; "
           "DROP VIEW v; DROP VIEW IF EXISTS v2");
    /* non-reserved keywords are identifiers */
    PARSES("SELECT first, last, key, user, view, namespace FROM tables",
           "SELECT \"first\", \"last\", \"key\", \"user\", \"view\", \"namespace\" FROM "
           "\"tables\"");
    /* comments, empty statements, no trailing semicolon */
    PARSES(" ; -- nothing\n ;; SELECT 1 /* c */ ; ;", "SELECT 1");
    PARSES("", "");
    PARSES("  -- only a comment", "");
}

static void test_errors(void)
{
    PARSES("SELECT a FROM t WHERE", "ERROR STRATA_SYNTAX: incomplete input at line 1, column 22");
    PARSES("SELECT * FORM t",
           "ERROR STRATA_SYNTAX: syntax error at line 1, column 10 near \"FORM\"");
    /* "b FORM" is b AS form: the error is at the next word, as in SQLite */
    PARSES("SELECT a, b FORM t",
           "ERROR STRATA_SYNTAX: syntax error at line 1, column 18 near \"t\"");
    PARSES("SELECT 1;\nSELECT a\n  FROM t WHERE WHERE",
           "ERROR STRATA_SYNTAX: syntax error at line 3, column 16 near \"WHERE\"");
    PARSES("SELECT 'abc", "ERROR STRATA_SYNTAX: unterminated string literal at line 1, column 8 "
                          "near \"'abc\"");
    PARSES("SELECT 12abc", "ERROR STRATA_SYNTAX: unrecognized token at line 1, column 8 near "
                           "\"12abc\"");
    PARSES("SELECT x'abc'", "ERROR STRATA_SYNTAX: malformed blob literal at line 1, column 8 near "
                            "\"x'abc'\"");
    PARSES("SELECT (1", "ERROR STRATA_SYNTAX: incomplete input at line 1, column 10");
    PARSES("CREATE TABLE t (a)", "ERROR STRATA_SYNTAX: syntax error at line 1, column 18 near "
                                 "\")\"");
    PARSES("SELECT 0x11112222333344445", "ERROR STRATA_RANGE: hex literal too big at line 1, "
                                         "column 8: \"0x11112222333344445\"");
    PARSES("SELECT * FROM a JOIN b", "ERROR STRATA_SYNTAX: incomplete input at line 1, column 23");
    PARSES("select * from t order by a union select 1",
           "ERROR STRATA_SYNTAX: syntax error at line 1, column 28 near \"union\"");
    /* a statement after an error is not parsed (the first error ends the parse) */
    PARSES("SELECT FROM; SELECT 1",
           "ERROR STRATA_SYNTAX: syntax error at line 1, column 8 near \"FROM\"");
}

static char *repeat(const char *a, int n, const char *mid, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), lm = strlen(mid);
    char *s = malloc(la * n + lb * n + lm + 1), *p = s;
    for (int i = 0; i < n; i++, p += la) memcpy(p, a, la);
    memcpy(p, mid, lm);
    p += lm;
    for (int i = 0; i < n; i++, p += lb) memcpy(p, b, lb);
    *p = 0;
    return s;
}

static void test_limits(void)
{
    /* deep parentheses: the parser's stack is bounded, no crash */
    char *s = repeat("(", 100000, "1", ")");
    char *sql = malloc(strlen(s) + 16);
    sprintf(sql, "SELECT %s", s);
    CHECK(strncmp(parse_all(sql), "ERROR STRATA_TOOBIG", 19) == 0);
    free(s);
    free(sql);
    /* a long left-deep chain: the tree depth is bounded */
    s = repeat("1+", 5000, "1", "");
    sql = malloc(strlen(s) + 16);
    sprintf(sql, "SELECT %s", s);
    CHECK_EQ_STR(parse_all(sql), "ERROR STRATA_TOOBIG: expression tree too deep (more than 1000 "
                                 "levels) in the statement at line 1, column 1");
    free(s);
    free(sql);
    /* nested subqueries */
    s = repeat("(SELECT ", 3000, "1", ")");
    sql = malloc(strlen(s) + 16);
    sprintf(sql, "SELECT %s", s);
    CHECK(strncmp(parse_all(sql), "ERROR STRATA_TOOBIG", 19) == 0);
    free(s);
    free(sql);
    /* moderate depth is fine */
    s = repeat("(", 200, "1", ")");
    sql = malloc(strlen(s) + 16);
    sprintf(sql, "SELECT %s", s);
    CHECK_EQ_STR(parse_all(sql), "SELECT 1");
    free(s);
    free(sql);
    /* a statement over 1 MiB */
    size_t n = SQL_MAX_SQL_LEN + 100;
    sql = malloc(n + 1);
    memcpy(sql, "SELECT '", 8);
    memset(sql + 8, 'x', n - 9);
    sql[n - 1] = '\'';
    sql[n] = 0;
    CHECK(strncmp(parse_all(sql), "ERROR STRATA_TOOBIG: statement too big", 38) == 0);
    free(sql);
}

static void test_prepare_tail(void)
{
    const char *sql = "SELECT 1; SELECT 2;\n  ";
    sql_parse p;
    sql_parse_init(&p);
    sql_stmt *st;
    size_t next;
    CHECK_EQ_INT(sql_parse_next(&p, sql, strlen(sql), 0, &st, &next), STRATA_OK);
    REQUIRE(st != NULL);
    CHECK_EQ_INT(next, 9);
    CHECK_EQ_INT(st->text_len, 8);
    CHECK_EQ_INT(sql_parse_next(&p, sql, strlen(sql), next, &st, &next), STRATA_OK);
    REQUIRE(st != NULL);
    CHECK_EQ_INT(st->tok.col, 11);
    CHECK_EQ_INT(sql_parse_next(&p, sql, strlen(sql), next, &st, &next), STRATA_OK);
    CHECK(st == NULL);
    sql_parse_destroy(&p);
}

TEST_MAIN(test_tokenizer, test_select_shapes, test_from_and_compound, test_ddl_dml, test_errors,
          test_limits, test_prepare_tail)
