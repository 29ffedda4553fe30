/*
 * exec/types.h — SQL types and single values, shared by catalog/, sql/ and exec/.
 *
 * Types are strata_type (include/strata.h): BOOLEAN, INT (32-bit), BIGINT, DOUBLE, TEXT, BLOB,
 * TIMESTAMP (µs since the Unix epoch, UTC). STRATA_TYPE_NULL is the type of an untyped NULL
 * literal only; a column always has a real type.
 *
 * A value (sql_value) is a tagged scalar. Its text/blob bytes are borrowed: whoever builds one
 * says who owns the bytes (an arena, a row buffer, the statement). Vectors (exec/vector.h) hold
 * many values of one type column-wise; sql_value is for constants, parameters, defaults and the
 * row-at-a-time edges (API, catalog).
 */
#ifndef STRATA_EXEC_TYPES_H
#define STRATA_EXEC_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

typedef struct sql_value {
    uint8_t type;    /* strata_type */
    uint8_t is_null; /* 1: SQL NULL (type may still say what NULL it is) */
    union {
        int64_t i; /* BOOLEAN (0/1), INT, BIGINT, TIMESTAMP */
        double d;  /* DOUBLE */
        struct {
            const char *p; /* TEXT (not NUL-terminated), BLOB */
            uint32_t n;
        } s;
    } u;
} sql_value;

static inline sql_value sql_null(int type)
{
    sql_value v = {(uint8_t)type, 1, {0}};
    return v;
}
static inline sql_value sql_int(int type, int64_t i)
{
    sql_value v = {(uint8_t)type, 0, {0}};
    v.u.i = i;
    return v;
}
static inline sql_value sql_double(double d)
{
    sql_value v = {STRATA_TYPE_DOUBLE, 0, {0}};
    v.u.d = d;
    return v;
}
static inline sql_value sql_text(int type, const char *p, uint32_t n)
{
    sql_value v = {(uint8_t)type, 0, {0}};
    v.u.s.p = p;
    v.u.s.n = n;
    return v;
}

/* "BIGINT" etc.; "NULL" for STRATA_TYPE_NULL. */
const char *sql_type_name(int type);
/* Parses a type name as written in SQL (INT, INTEGER, BIGINT, DOUBLE, REAL, FLOAT, TEXT,
 * VARCHAR, VARCHAR(n), BOOLEAN, BOOL, BLOB, TIMESTAMP, ...); -1 if unknown. */
int sql_type_from_name(const char *name, size_t len);
static inline int sql_type_is_integer(int t)
{
    return t == STRATA_TYPE_INT || t == STRATA_TYPE_BIGINT;
}
static inline int sql_type_is_numeric(int t)
{
    return t == STRATA_TYPE_INT || t == STRATA_TYPE_BIGINT || t == STRATA_TYPE_DOUBLE;
}

#endif
