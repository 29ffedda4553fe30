/* sql/tokenize.c — see tokenize.h. */
#include "sql/tokenize.h"

#include <string.h>

#include "parse.h"

/* Character classes. */
enum {
    CC_ILLEGAL = 0,
    CC_SPACE,
    CC_NEWLINE,
    CC_ALPHA, /* identifier start: letters, '_', bytes >= 0x80 */
    CC_X,     /* x or X: an identifier or a blob literal */
    CC_DIGIT,
    CC_DOT,
    CC_QUOTE,  /* ' */
    CC_QUOTE2, /* " or ` */
    CC_MINUS,
    CC_SLASH,
    CC_LP,
    CC_RP,
    CC_COMMA,
    CC_SEMI,
    CC_PLUS,
    CC_STAR,
    CC_PERCENT,
    CC_EQ,
    CC_LT,
    CC_GT,
    CC_BANG,
    CC_PIPE,
    CC_QUESTION,
    CC_AMP,   /* & */
    CC_TILDE, /* ~ */
};

static const unsigned char cc_table[256] = {
    /* 0x00 */ 0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    CC_SPACE,
    CC_NEWLINE,
    CC_SPACE,
    CC_SPACE,
    CC_SPACE,
    0,
    0,
    /* 0x10 */ 0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    /* 0x20 */ CC_SPACE,
    CC_BANG,
    CC_QUOTE2,
    0,
    0,
    CC_PERCENT,
    CC_AMP,
    CC_QUOTE,
    CC_LP,
    CC_RP,
    CC_STAR,
    CC_PLUS,
    CC_COMMA,
    CC_MINUS,
    CC_DOT,
    CC_SLASH,
    /* 0x30 */ CC_DIGIT,
    CC_DIGIT,
    CC_DIGIT,
    CC_DIGIT,
    CC_DIGIT,
    CC_DIGIT,
    CC_DIGIT,
    CC_DIGIT,
    CC_DIGIT,
    CC_DIGIT,
    0,
    CC_SEMI,
    CC_LT,
    CC_EQ,
    CC_GT,
    CC_QUESTION,
    /* 0x40 */ 0,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    /* 0x50 */ CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_X,
    CC_ALPHA,
    CC_ALPHA,
    0,
    0,
    0,
    0,
    CC_ALPHA,
    /* 0x60 */ CC_QUOTE2,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    /* 0x70 */ CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_ALPHA,
    CC_X,
    CC_ALPHA,
    CC_ALPHA,
    0,
    CC_PIPE,
    0,
    CC_TILDE,
    0,
    /* 0x80 - 0xff: UTF-8 bytes are identifier characters */
    [0x80 ... 0xff] = CC_ALPHA,
};

static inline int is_ident_char(unsigned char c)
{
    int k = cc_table[c];
    return k == CC_ALPHA || k == CC_X || k == CC_DIGIT;
}
static inline int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}
static inline int is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Sorted by name (uppercase, bytewise) for binary search. */
static const struct {
    const char *name;
    int code;
} keywords[] = {
    {"ALL", TK_ALL},
    {"AND", TK_AND},
    {"AS", TK_AS},
    {"ASC", TK_ASC},
    {"BETWEEN", TK_BETWEEN},
    {"BY", TK_BY},
    {"CASCADE", TK_CASCADE},
    {"CASE", TK_CASE},
    {"CAST", TK_CAST},
    {"CONFLICT", TK_CONFLICT},
    {"CREATE", TK_CREATE},
    {"CROSS", TK_CROSS},
    {"DEFAULT", TK_DEFAULT},
    {"DELETE", TK_DELETE},
    {"DESC", TK_DESC},
    {"DESCRIBE", TK_DESCRIBE},
    {"DISTINCT", TK_DISTINCT},
    {"DO", TK_DO},
    {"DROP", TK_DROP},
    {"ELSE", TK_ELSE},
    {"END", TK_END},
    {"ESCAPE", TK_ESCAPE},
    {"EXCEPT", TK_EXCEPT},
    {"EXISTS", TK_EXISTS},
    {"EXPLAIN", TK_EXPLAIN},
    {"FALSE", TK_FALSE},
    {"FIRST", TK_FIRST},
    {"FROM", TK_FROM},
    {"GROUP", TK_GROUP},
    {"HAVING", TK_HAVING},
    {"IF", TK_IF},
    {"IN", TK_IN},
    {"INNER", TK_INNER},
    {"INSERT", TK_INSERT},
    {"INTERSECT", TK_INTERSECT},
    {"INTO", TK_INTO},
    {"IS", TK_IS},
    {"JOIN", TK_JOIN},
    {"KEY", TK_KEY},
    {"LAST", TK_LAST},
    {"LEFT", TK_LEFT},
    {"LIKE", TK_LIKE},
    {"LIMIT", TK_LIMIT},
    {"NAMESPACE", TK_NAMESPACE},
    {"NAMESPACES", TK_NAMESPACES},
    {"NOT", TK_NOT},
    {"NOTHING", TK_NOTHING},
    {"NULL", TK_NULL},
    {"NULLS", TK_NULLS},
    {"OFFSET", TK_OFFSET},
    {"ON", TK_ON},
    {"OR", TK_OR},
    {"ORDER", TK_ORDER},
    {"OUTER", TK_OUTER},
    {"PRIMARY", TK_PRIMARY},
    {"REFRESH", TK_REFRESH},
    {"SELECT", TK_SELECT},
    {"SET", TK_SET},
    {"SHARED", TK_SHARED},
    {"SHOW", TK_SHOW},
    {"STREAM", TK_STREAM},
    {"TABLE", TK_TABLE},
    {"TABLES", TK_TABLES},
    {"TEMP", TK_TEMP},
    {"TEMPORARY", TK_TEMPORARY},
    {"THEN", TK_THEN},
    {"TRUE", TK_TRUE},
    {"TRUNCATE", TK_TRUNCATE},
    {"UNION", TK_UNION},
    {"UPDATE", TK_UPDATE},
    {"USE", TK_USE},
    {"USER", TK_USER},
    {"VALUES", TK_VALUES},
    {"VIEW", TK_VIEW},
    {"WHEN", TK_WHEN},
    {"WHERE", TK_WHERE},
    {"WITH", TK_WITH},
};

int sql_keyword_code(const char *z, size_t n)
{
    char up[16];
    if (n == 0 || n >= sizeof up) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = z[i];
        up[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    up[n] = 0;
    int lo = 0, hi = (int)(sizeof keywords / sizeof keywords[0]) - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(keywords[mid].name, up);
        if (c == 0) return keywords[mid].code;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

void sql_lexer_init(sql_lexer *lx, const char *z, size_t n)
{
    lx->z = z;
    lx->n = n;
    lx->pos = 0;
    lx->line = 1;
    lx->line_start = z;
    lx->why = NULL;
    lx->first_line = 1;
    lx->col_shift = 0;
}

/* Scans a quoted run starting at z[i] (the opening quote q); returns the index past the closing
 * quote, or 0 if unterminated. A doubled quote is part of the run. */
static size_t scan_quoted(const char *z, size_t n, size_t i, char q)
{
    for (i++; i < n; i++) {
        if (z[i] == q) {
            if (i + 1 < n && z[i + 1] == q) {
                i++;
                continue;
            }
            return i + 1;
        }
    }
    return 0;
}

/* Length of the token at z[0..n) and its code. */
static int scan(sql_lexer *lx, const char *z, size_t n, size_t *len)
{
    unsigned char c = (unsigned char)z[0];
    size_t i;
    switch (cc_table[c]) {
    case CC_SPACE:
    case CC_NEWLINE:
        for (i = 1; i < n && (cc_table[(unsigned char)z[i]] == CC_SPACE ||
                              cc_table[(unsigned char)z[i]] == CC_NEWLINE);
             i++) {
        }
        *len = i;
        return SQL_TK_SPACE;
    case CC_MINUS:
        if (n > 1 && z[1] == '-') {
            for (i = 2; i < n && z[i] != '\n'; i++) {
            }
            *len = i;
            return SQL_TK_SPACE;
        }
        *len = 1;
        return TK_MINUS;
    case CC_SLASH:
        if (n > 1 && z[1] == '*') {
            for (i = 2; i + 1 < n && !(z[i] == '*' && z[i + 1] == '/'); i++) {
            }
            if (i + 1 >= n) { /* unterminated: a comment to the end, as SQLite */
                *len = n;
                return SQL_TK_SPACE;
            }
            *len = i + 2;
            return SQL_TK_SPACE;
        }
        *len = 1;
        return TK_SLASH;
    case CC_LP:
        *len = 1;
        return TK_LP;
    case CC_RP:
        *len = 1;
        return TK_RP;
    case CC_COMMA:
        *len = 1;
        return TK_COMMA;
    case CC_SEMI:
        *len = 1;
        return TK_SEMI;
    case CC_PLUS:
        *len = 1;
        return TK_PLUS;
    case CC_STAR:
        *len = 1;
        return TK_STAR;
    case CC_PERCENT:
        *len = 1;
        return TK_REM;
    case CC_QUESTION:
        *len = 1;
        return TK_QUESTION;
    case CC_EQ:
        *len = (n > 1 && z[1] == '=') ? 2 : 1;
        return TK_EQ;
    case CC_LT:
        if (n > 1 && z[1] == '=') {
            *len = 2;
            return TK_LE;
        }
        if (n > 1 && z[1] == '>') {
            *len = 2;
            return TK_NE;
        }
        if (n > 1 && z[1] == '<') {
            *len = 2;
            return TK_LSHIFT;
        }
        *len = 1;
        return TK_LT;
    case CC_GT:
        if (n > 1 && z[1] == '=') {
            *len = 2;
            return TK_GE;
        }
        if (n > 1 && z[1] == '>') {
            *len = 2;
            return TK_RSHIFT;
        }
        *len = 1;
        return TK_GT;
    case CC_BANG:
        if (n > 1 && z[1] == '=') {
            *len = 2;
            return TK_NE;
        }
        *len = 1;
        lx->why = "unrecognized token";
        return SQL_TK_ILLEGAL;
    case CC_PIPE:
        if (n > 1 && z[1] == '|') {
            *len = 2;
            return TK_CONCAT;
        }
        *len = 1;
        return TK_BITOR;
    case CC_AMP:
        *len = 1;
        return TK_BITAND;
    case CC_TILDE:
        *len = 1;
        return TK_BITNOT;
    case CC_QUOTE:
        i = scan_quoted(z, n, 0, '\'');
        if (!i) {
            *len = n;
            lx->why = "unterminated string literal";
            return SQL_TK_ILLEGAL;
        }
        *len = i;
        return TK_STRING;
    case CC_QUOTE2:
        i = scan_quoted(z, n, 0, z[0]);
        if (!i) {
            *len = n;
            lx->why = "unterminated quoted identifier";
            return SQL_TK_ILLEGAL;
        }
        if (i == 2) {
            *len = 2;
            lx->why = "zero-length quoted identifier";
            return SQL_TK_ILLEGAL;
        }
        *len = i;
        return TK_ID;
    case CC_X:
        if (n > 1 && z[1] == '\'') {
            for (i = 2; i < n && is_hex((unsigned char)z[i]); i++) {
            }
            if (i >= n || z[i] != '\'' || (i - 2) % 2 != 0) {
                while (i < n && z[i] != '\'') i++;
                *len = i < n ? i + 1 : n;
                lx->why = "malformed blob literal";
                return SQL_TK_ILLEGAL;
            }
            *len = i + 1;
            return TK_BLOB;
        }
        /* an identifier */
        __attribute__((fallthrough));
    case CC_ALPHA: {
        for (i = 1; i < n && is_ident_char((unsigned char)z[i]); i++) {
        }
        *len = i;
        int kw = sql_keyword_code(z, i);
        return kw ? kw : TK_ID;
    }
    case CC_DOT:
        if (n > 1 && is_digit((unsigned char)z[1])) break; /* .5 is a number */
        *len = 1;
        return TK_DOT;
    case CC_DIGIT:
        break;
    default:
        *len = 1;
        lx->why = "unrecognized token";
        return SQL_TK_ILLEGAL;
    }

    /* a number */
    int code = TK_INTEGER;
    i = 0;
    if (z[0] == '0' && n > 2 && (z[1] == 'x' || z[1] == 'X') && is_hex((unsigned char)z[2])) {
        for (i = 2; i < n && is_hex((unsigned char)z[i]); i++) {
        }
    } else {
        while (i < n && is_digit((unsigned char)z[i])) i++;
        if (i < n && z[i] == '.') {
            code = TK_FLOAT;
            i++;
            while (i < n && is_digit((unsigned char)z[i])) i++;
        }
        if (i < n && (z[i] == 'e' || z[i] == 'E')) {
            size_t j = i + 1;
            if (j < n && (z[j] == '+' || z[j] == '-')) j++;
            if (j < n && is_digit((unsigned char)z[j])) {
                code = TK_FLOAT;
                i = j;
                while (i < n && is_digit((unsigned char)z[i])) i++;
            }
        }
    }
    if (i < n && is_ident_char((unsigned char)z[i])) { /* 12abc */
        while (i < n && is_ident_char((unsigned char)z[i])) i++;
        *len = i;
        lx->why = "unrecognized token";
        return SQL_TK_ILLEGAL;
    }
    *len = i;
    return code;
}

int sql_lex(sql_lexer *lx, sql_token *t)
{
    if (lx->pos >= lx->n) {
        t->p = lx->z + lx->n;
        t->n = 0;
        t->line = lx->line;
        t->col = (uint32_t)(t->p - lx->line_start) + 1;
        if (t->line == lx->first_line) t->col += lx->col_shift;
        return 0;
    }
    const char *z = lx->z + lx->pos;
    size_t len = 0;
    int code = scan(lx, z, lx->n - lx->pos, &len);
    if (len > UINT32_MAX) len = UINT32_MAX;
    t->p = z;
    t->n = (uint32_t)len;
    t->line = lx->line;
    t->col = (uint32_t)(z - lx->line_start) + 1;
    if (t->line == lx->first_line) t->col += lx->col_shift;
    /* advance, keeping the line count (tokens may span lines: strings, comments) */
    const char *nl = memchr(z, '\n', len);
    while (nl) {
        lx->line++;
        lx->line_start = nl + 1;
        nl = memchr(nl + 1, '\n', (size_t)(z + len - (nl + 1)));
    }
    lx->pos += len;
    return code;
}
