/*
 * lsm/sst_format.h — the on-disk layout of a sorted string table. STORED ON DISK: never change
 * a value here (bump SST_FORMAT_VERSION and keep reading the old one instead).
 * docs/format.md describes the same layout byte by byte.
 *
 *   file   = data block* | filter block | range-del block | properties block | index block
 *            | footer
 *   block  = contents | type (1 byte) | checksum (4 bytes LE)
 *            checksum = st_checksum32(contents | type) (low 32 bits of XXH3_64)
 *            type 0: contents are the block itself
 *            type 1: contents = varint32 uncompressed size | one zstd frame
 *   footer = 4 handles (offset u64 LE, size u64 LE; size includes the block trailer):
 *            index, filter, range-del, properties
 *            | format version u32 LE | checksum u32 LE of the 68 bytes before it
 *            | magic u64 LE                                              (SST_FOOTER_SIZE bytes)
 *
 * Data and index blocks use the entry/restart layout of lsm/block_builder.h. Data block keys are
 * internal keys (lsm/dbformat.h) with their values; index block keys are the last internal key of
 * each data block, its value the data block's handle as varint64 offset | varint64 size. The
 * filter, range-del and properties blocks are described in lsm/bloom.h and below.
 */
#ifndef STRATA_LSM_SST_FORMAT_H
#define STRATA_LSM_SST_FORMAT_H

#define SST_MAGIC          0x31545353415453ULL /* "STASST1\0" as LE u64 */
#define SST_FORMAT_VERSION 1u

#define SST_BLOCK_TRAILER 5 /* type byte + checksum */
#define SST_FOOTER_SIZE   80
#define SST_FOOTER_CKSUM  68 /* footer bytes covered by the footer checksum: [0, 68) */

enum {
    SST_BLOCK_RAW = 0,
    SST_BLOCK_ZSTD = 1,
};

/* Footer field offsets. */
enum {
    SST_FOOTER_INDEX = 0,
    SST_FOOTER_FILTER = 16,
    SST_FOOTER_RANGE_DEL = 32,
    SST_FOOTER_PROPS = 48,
    SST_FOOTER_VERSION = 64,
    SST_FOOTER_CHECKSUM = 68,
    SST_FOOTER_MAGIC = 72,
};

/* Restart interval of data blocks (index blocks restart at every entry). */
#define SST_RESTART_INTERVAL 16

/* A decoder rejects (STRATA_CORRUPT) an uncompressed block larger than this, and a block whose
 * uncompressed size claims more. */
#define SST_MAX_BLOCK_SIZE (64u << 20)

/* A compressed block is kept only when it saves at least 1/8 (12.5%) of the raw size. */
#define SST_MIN_COMPRESS_SAVING_SHIFT 3

/*
 * Range-del block contents:
 *   varint64 count | count × (varint32 start_len | start | varint32 end_len | end | varint64 seq)
 *   sorted by start ascending (bytewise), then seq descending.
 *
 * Properties block contents (all varint64 unless noted):
 *   smallest_len | smallest (internal key) | largest_len | largest (internal key)
 *   | min_seq | max_seq | num_entries | num_deletes | num_range_dels | raw_key_bytes
 *   | raw_value_bytes | data_bytes | num_data_blocks
 *   (smallest_len = largest_len = 0 for a table with no entry and no tombstone)
 *
 * Filter block contents: see lsm/bloom.h (empty contents: the table has no filter; size 0 in the
 * footer means the same).
 */

#endif
