/*
 * util/memcmp.h — memcomparable encoding of SQL values: memcmp order of the encodings is SQL
 * order of the values (NULL first), so keys built from them sort in the LSM exactly as the
 * primary key sorts in SQL.
 *
 * Every value starts with a marker byte, then a body fixed by the column TYPE (not by the value):
 *
 *   NULL                     [0x00]                                   (sorts before any value)
 *   BOOLEAN                  [0x01][0x00 | 0x01]
 *   INT (32-bit)             [0x01][u32 BE of (uint32)v ^ 0x80000000]  (sign bit flipped)
 *   BIGINT, TIMESTAMP        [0x01][u64 BE of (uint64)v ^ 1<<63]
 *   DOUBLE                   [0x01][u64 BE of t(bits)]: bits = IEEE-754 bits after -0.0 → +0.0
 *                            and every NaN → 0x7ff8000000000000; t(b) = ~b if the sign bit is
 *                            set, else b ^ 1<<63. Order: -inf < ... < -0 = +0 < ... < +inf < NaN.
 *   TEXT, BLOB               [0x01][bytes, each 0x00 written as 0x00 0xFF][0x00 0x00]
 *                            (the terminator sorts below any continuation, so "ab" < "ab\0" <
 *                            "abc"; TEXT order is bytewise = BINARY collation)
 *
 * A composite key is the concatenation of its values' encodings; every encoding is
 * self-delimiting given its type, so a prefix of a composite key (its first k values) is a key
 * prefix of every longer key beginning with the same values.
 * The marker values and bodies are STORED ON DISK inside keys: they must never change.
 *
 * Decoders treat input as hostile: a bad marker, a truncated body, a BOOLEAN byte other than
 * 0/1, an escape other than 0x00 0xFF / 0x00 0x00, or a non-canonical DOUBLE (-0.0, a NaN other
 * than the canonical one) is STRATA_CORRUPT with a message, never an over-read.
 *
 * Speed: no allocation anywhere; encoders write into a caller buffer sized with mc_max_size /
 * mc_key_max_size. Pure functions: thread-safe.
 */
#ifndef STRATA_UTIL_MEMCMP_H
#define STRATA_UTIL_MEMCMP_H

#include <stddef.h>
#include <stdint.h>

#include "exec/types.h"

/* Stored on disk: never change. */
#define MC_NULL  0x00 /* marker of SQL NULL */
#define MC_VALUE 0x01 /* marker of a non-NULL value */
#define MC_ESC   0x00 /* TEXT/BLOB: an escape pair starts with 0x00 ... */
#define MC_ESC_Z 0xFF /* ... 0x00 0xFF is a 0x00 byte of the value */
#define MC_TERM  0x00 /* ... 0x00 0x00 ends the value */

/* Body size of a fixed-width type (BOOLEAN 1, INT 4, BIGINT/TIMESTAMP/DOUBLE 8); 0 for TEXT and
 * BLOB; -1 for a type that cannot be encoded (STRATA_TYPE_NULL or unknown). */
int mc_fixed_size(int type);

/* An upper bound of the encoded size of v as a column of `type` (exact for fixed types;
 * 1 + 2n + 2 for TEXT/BLOB of n bytes). */
static inline size_t mc_max_size(int type, const sql_value *v)
{
    if (v->is_null) return 1;
    if (type == STRATA_TYPE_TEXT || type == STRATA_TYPE_BLOB) return 3 + 2 * (size_t)v->u.s.n;
    return 9;
}

/* The exact encoded size (scans TEXT/BLOB for 0x00 bytes). */
size_t mc_size(int type, const sql_value *v);

/* Writes the encoding of v as a column of `type` at p and returns the byte after it.
 * REQUIRES: p has mc_max_size(type, v) bytes; v->is_null, or v holds a value of `type`
 *           (BOOLEAN/INT/BIGINT/TIMESTAMP in u.i — INT within int32 — DOUBLE in u.d, TEXT/BLOB
 *           in u.s); the binder casts before encoding. A DOUBLE column also accepts an integer
 *           value (converted). */
uint8_t *mc_encode(uint8_t *p, int type, const sql_value *v);

/* Encodes the composite key vals[0..n) (types[i] is the type of vals[i]) into buf[0..cap).
 * *len = bytes written. STRATA_TOOBIG (with a message) if it does not fit in cap. */
int mc_encode_key(uint8_t *buf, size_t cap, const uint8_t *types, const sql_value *vals, size_t n,
                  size_t *len);

/* Decodes one value of `type` from [*pp, end) into *out and advances *pp past it.
 * out->u.s of TEXT/BLOB points into the input when the value has no escaped 0x00 byte, else into
 * *scratch, which is advanced by the bytes written (at most the encoded size of the value; a
 * scratch of as many bytes as the input always suffices). out is borrowed from the input and the
 * scratch. STRATA_CORRUPT on hostile bytes. */
int mc_decode(const uint8_t **pp, const uint8_t *end, int type, sql_value *out, uint8_t **scratch);

/* Advances *pp past one encoded value of `type` without decoding it. STRATA_CORRUPT on hostile
 * bytes. */
int mc_skip(const uint8_t **pp, const uint8_t *end, int type);

/* Decodes a composite key of ncols values from p[0..n). scratch must hold n bytes (TEXT/BLOB
 * values may point into it). If used is NULL the key must be exactly n bytes (trailing bytes are
 * STRATA_CORRUPT); otherwise *used = bytes consumed. */
int mc_decode_key(const uint8_t *p, size_t n, const uint8_t *types, size_t ncols, sql_value *out,
                  uint8_t *scratch, size_t *used);

/* Turns buf[0..*len) into the smallest byte string greater than every string that has it as a
 * prefix (increments the last byte that is not 0xFF and drops the bytes after it): the
 * exclusive upper bound of a prefix range. Returns 0, or -1 if buf is all 0xFF (no bound:
 * the range is open-ended). */
int mc_prefix_successor(uint8_t *buf, size_t *len);

/* Compares two values of one type in SQL order (NULL first, DOUBLE as above, TEXT/BLOB
 * bytewise): <0, 0, >0. Consistent with memcmp of the encodings; used by tests and merges. */
int mc_compare_values(int type, const sql_value *a, const sql_value *b);

#endif
