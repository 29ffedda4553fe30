/*
 * sql/tokenize.h — the hand-written SQL tokenizer (SQLite's src/tokenize.c, in miniature).
 *
 * A 256-entry character-class table feeds one switch; keywords are found by binary search in a
 * sorted table, case-insensitively. Tokens are pointer + length into the SQL text (never
 * copies) with a 1-based line and byte column. Token codes are the grammar's (TK_* of the
 * generated parse.h); whitespace and comments are SQL_TK_SPACE, bad input SQL_TK_ILLEGAL.
 *
 * Recognised: identifiers (bare, "quoted" and `quoted`, with doubled quotes inside), string
 * literals '...' with '' escapes, blob literals x'hex', integers (decimal and 0x hex), floats
 * (1.5, .5, 1e10), ? parameters, -- and C-style comments, and the operators
 * ( ) , ; . + - * / % || = == < <= > >= <> != .
 *
 * Thread-safety: stateless apart from the sql_lexer the caller owns.
 */
#ifndef STRATA_SQL_TOKENIZE_H
#define STRATA_SQL_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

typedef struct sql_token {
    const char *p; /* into the SQL text; n == 0 for the virtual end-of-input token */
    uint32_t n;
    uint32_t line; /* 1-based */
    uint32_t col;  /* 1-based, in bytes */
} sql_token;

/* Token codes outside the grammar's range. */
#define SQL_TK_SPACE   1000 /* whitespace or a comment */
#define SQL_TK_ILLEGAL 1001 /* an unrecognised or unterminated token; see sql_lexer.why */

typedef struct sql_lexer {
    const char *z;          /* the SQL text */
    size_t n;               /* its length */
    size_t pos;             /* next byte to read */
    uint32_t line;          /* line of z[pos] */
    const char *line_start; /* first byte of that line */
    const char *why;        /* for SQL_TK_ILLEGAL: "unterminated string" etc. */
    uint32_t first_line;    /* columns on this line are shifted by col_shift: the text is */
    uint32_t col_shift;     /* a piece of a larger one that started mid-line */
} sql_lexer;

void sql_lexer_init(sql_lexer *lx, const char *z, size_t n);
/* Scans the next token into *t and returns its code: a TK_* code, SQL_TK_SPACE, SQL_TK_ILLEGAL,
 * or 0 at the end of the text. */
int sql_lex(sql_lexer *lx, sql_token *t);
/* The keyword code of z[0..n) (case-insensitive), or 0 if it is no keyword. */
int sql_keyword_code(const char *z, size_t n);
/* 1 if the token is an identifier written in quotes ("x" or `x`). */
static inline int sql_token_is_quoted(const sql_token *t)
{
    return t->n >= 2 && (t->p[0] == '"' || t->p[0] == '`');
}

#endif
