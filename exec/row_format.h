/*
 * exec/row_format.h — the on-disk layout of SQL rows in the LSM: the row key and the row value.
 * Everything here is STORED ON DISK and must never change (add a new version instead).
 * docs/format.md describes it byte by byte.
 *
 * Row key (big-endian so byte order = numeric order):
 *
 *   [table_id u32 BE][vnode u16 BE][primary key, memcomparable (util/memcmp.h)]
 *
 *   vnode = st_hash64(encoded primary key bytes) % vnodes, vnodes per table (1..65536).
 *   A table without a declared primary key uses a hidden BIGINT row id as its primary key.
 *
 * Row value (all columns, including the primary-key ones, so a scan never decodes the key):
 *
 *   offset 0   u8     version (ROW_FORMAT_V1)
 *   offset 1   u16 LE ncols
 *   offset 3   null bitmap, ceil(ncols / 8) bytes: bit (i & 7) of byte (i >> 3) set = column i NULL
 *   then       ncols slots of 8 bytes, slot i at ROW_SLOTS_OFFSET(ncols) + 8 * i:
 *                BOOLEAN/INT/BIGINT/TIMESTAMP  int64 LE (BOOLEAN 0/1; INT sign-extended)
 *                DOUBLE                        IEEE-754 bits, u64 LE
 *                TEXT/BLOB                     u32 LE offset (from the start of the value),
 *                                              u32 LE length
 *                NULL column                   8 zero bytes
 *   then       the var area: TEXT/BLOB bytes, in column order, no padding.
 *
 * A column index >= ncols reads as NULL (rows written before an ADD COLUMN).
 * Bits of the null bitmap past the last column are 0, and row_encode writes the var area in
 * column order, so the encoding is canonical: equal rows (same values, same DOUBLE bits) have
 * equal bytes, and the refresh merge compares rows with memcmp.
 */
#ifndef STRATA_EXEC_ROW_FORMAT_H
#define STRATA_EXEC_ROW_FORMAT_H

#define ROW_KEY_TABLE_ID_SIZE 4
#define ROW_KEY_VNODE_SIZE    2
#define ROW_KEY_PREFIX_SIZE   6 /* table id + vnode */
#define ROW_MAX_VNODES        65536u

#define ROW_FORMAT_V1           1
#define ROW_HEADER_SIZE         3 /* version + ncols */
#define ROW_SLOT_SIZE           8
#define ROW_MAX_COLUMNS         65535u
#define ROW_NULLMAP_SIZE(ncols) (((size_t)(ncols) + 7) / 8)
#define ROW_SLOTS_OFFSET(ncols) (ROW_HEADER_SIZE + ROW_NULLMAP_SIZE(ncols))
#define ROW_VAR_OFFSET(ncols)   (ROW_SLOTS_OFFSET(ncols) + (size_t)(ncols)*ROW_SLOT_SIZE)

#endif
