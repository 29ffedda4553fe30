/*
 * catalog/catalog_format.h — the reserved catalog tables: ids, column order, fixed rows.
 * STORED ON DISK (table ids, namespace ids, column positions and types of the system tables,
 * sequence names, kind and state strings): never change them; add columns at the end only.
 *
 * Every system table uses the ordinary row layout (exec/row_format.h) with vnodes = 1, so its
 * keys are [table id][0x0000][memcomparable primary key] and a scan returns rows in primary-key
 * order. docs/format_rows.md lists the columns.
 */
#ifndef STRATA_CATALOG_FORMAT_H
#define STRATA_CATALOG_FORMAT_H

/* reserved table ids (< CAT_FIRST_USER_TABLE_ID) */
#define CAT_TID_NAMESPACES       1
#define CAT_TID_TABLES           2
#define CAT_TID_COLUMNS          3
#define CAT_TID_REFRESH_PROGRESS 4
#define CAT_TID_SEQUENCES        5
#define CAT_FIRST_USER_TABLE_ID  16

/* reserved namespace ids */
#define CAT_NSID_SYSTEM      1
#define CAT_NSID_DEFAULT     2
#define CAT_FIRST_USER_NS_ID 16

/* system.namespaces: PRIMARY KEY (id) */
#define CAT_NS_ID    0 /* BIGINT */
#define CAT_NS_NAME  1 /* TEXT */
#define CAT_NS_NCOLS 2

/* system.tables: PRIMARY KEY (id) */
#define CAT_T_ID               0  /* BIGINT */
#define CAT_T_NAMESPACE        1  /* TEXT, the namespace's name */
#define CAT_T_NAME             2  /* TEXT */
#define CAT_T_KIND             3  /* TEXT: "shared" | "user" | "stream" */
#define CAT_T_VNODES           4  /* INT */
#define CAT_T_OPTIONS          5  /* TEXT: key = 'value', ... (quotes doubled), NULL if none */
#define CAT_T_REFRESHABLE      6  /* BOOLEAN */
#define CAT_T_REFRESH_STATE    7  /* TEXT: "idle" | "refreshing" | "finishing" */
#define CAT_T_REFRESH_EPOCH    8  /* BIGINT */
#define CAT_T_REFRESH_READ_SEQ 9  /* BIGINT */
#define CAT_T_LAST_REFRESH     10 /* TIMESTAMP, NULL = never */
#define CAT_T_LAST_DURATION_US 11 /* BIGINT */
#define CAT_T_LAST_INSERTED    12 /* BIGINT */
#define CAT_T_LAST_UPDATED     13 /* BIGINT */
#define CAT_T_LAST_DELETED     14 /* BIGINT */
#define CAT_T_LAST_ERROR       15 /* TEXT */
#define CAT_T_NAMESPACE_ID     16 /* BIGINT */
#define CAT_T_STAGING_ID       17 /* BIGINT, NULL if not refreshable */
#define CAT_T_NCOLS            18

/* system.columns: PRIMARY KEY (table_id, ordinal) */
#define CAT_C_TABLE_ID     0 /* BIGINT */
#define CAT_C_ORDINAL      1 /* INT, 0-based position in the table */
#define CAT_C_NAMESPACE    2 /* TEXT */
#define CAT_C_TABLE_NAME   3 /* TEXT */
#define CAT_C_NAME         4 /* TEXT */
#define CAT_C_TYPE         5 /* TEXT: sql_type_name() */
#define CAT_C_NOT_NULL     6 /* BOOLEAN */
#define CAT_C_DEFAULT_EXPR 7 /* TEXT, NULL if none */
#define CAT_C_PK_POSITION  8 /* INT, NULL if not in the primary key */
#define CAT_C_NCOLS        9

/* system.refresh_progress: PRIMARY KEY (table_id, vnode) */
#define CAT_P_TABLE_ID    0 /* BIGINT */
#define CAT_P_VNODE       1 /* INT, -1 = the load row */
#define CAT_P_STAGE       2 /* TEXT */
#define CAT_P_FILE        3 /* TEXT */
#define CAT_P_FILE_OFFSET 4 /* BIGINT */
#define CAT_P_ROWS_LOADED 5 /* BIGINT */
#define CAT_P_INSERTED    6 /* BIGINT */
#define CAT_P_UPDATED     7 /* BIGINT */
#define CAT_P_DELETED     8 /* BIGINT */
#define CAT_P_EPOCH       9 /* BIGINT */
#define CAT_P_NCOLS       10

/* system.sequences: PRIMARY KEY (name) */
#define CAT_S_NAME  0 /* TEXT */
#define CAT_S_VALUE 1 /* BIGINT */
#define CAT_S_NCOLS 2

/* sequence names: the next id to hand out; "rowid.<table id>": row ids below it may be in use */
#define CAT_SEQ_NEXT_TABLE_ID "next_table_id"
#define CAT_SEQ_NEXT_NS_ID    "next_namespace_id"
#define CAT_SEQ_ROWID_PREFIX  "rowid."
/* "rows.<table id>": the exact number of rows of the table, written in the same batch as every
 * change of its rows. Absent (a table of an older database, or a refreshable table): unknown. */
#define CAT_SEQ_ROWS_PREFIX "rows."
#define CAT_ROWID_BLOCK     65536

#endif
