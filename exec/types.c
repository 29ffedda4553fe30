/* exec/types.c — type names. */
#include "exec/types.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

const char *sql_type_name(int type)
{
    switch (type) {
    case STRATA_TYPE_NULL:
        return "NULL";
    case STRATA_TYPE_BOOLEAN:
        return "BOOLEAN";
    case STRATA_TYPE_INT:
        return "INT";
    case STRATA_TYPE_BIGINT:
        return "BIGINT";
    case STRATA_TYPE_DOUBLE:
        return "DOUBLE";
    case STRATA_TYPE_TEXT:
        return "TEXT";
    case STRATA_TYPE_BLOB:
        return "BLOB";
    case STRATA_TYPE_TIMESTAMP:
        return "TIMESTAMP";
    }
    return "?";
}

static const struct {
    const char *name;
    int type;
} type_names[] = {
    {"BOOLEAN", STRATA_TYPE_BOOLEAN}, {"BOOL", STRATA_TYPE_BOOLEAN},
    {"INT", STRATA_TYPE_INT},         {"INTEGER", STRATA_TYPE_INT},
    {"INT4", STRATA_TYPE_INT},        {"SMALLINT", STRATA_TYPE_INT},
    {"TINYINT", STRATA_TYPE_INT},     {"BIGINT", STRATA_TYPE_BIGINT},
    {"INT8", STRATA_TYPE_BIGINT},     {"DOUBLE", STRATA_TYPE_DOUBLE},
    {"REAL", STRATA_TYPE_DOUBLE},     {"FLOAT", STRATA_TYPE_DOUBLE},
    {"FLOAT8", STRATA_TYPE_DOUBLE},   {"NUMERIC", STRATA_TYPE_DOUBLE},
    {"DECIMAL", STRATA_TYPE_DOUBLE},  {"TEXT", STRATA_TYPE_TEXT},
    {"VARCHAR", STRATA_TYPE_TEXT},    {"CHAR", STRATA_TYPE_TEXT},
    {"STRING", STRATA_TYPE_TEXT},     {"BLOB", STRATA_TYPE_BLOB},
    {"BYTEA", STRATA_TYPE_BLOB},      {"TIMESTAMP", STRATA_TYPE_TIMESTAMP},
};

int sql_type_from_name(const char *name, size_t len)
{
    /* "VARCHAR(20)" and "DOUBLE PRECISION" name their base type first */
    size_t n = 0;
    while (n < len && (isalnum((unsigned char)name[n]) || name[n] == '_')) n++;
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
        if (strlen(type_names[i].name) == n && strncasecmp(type_names[i].name, name, n) == 0)
            return type_names[i].type;
    }
    return -1;
}
